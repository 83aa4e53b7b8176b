/*
 * history.h: history sync in the bridge core (mautrix-whatsapp's
 * pkg/connector/historysync.go and bridgev2's forward backfill on room
 * creation).  After pairing, the phone pushes the account's chats with
 * their last messages; the network side hands them over as one
 * struct br_net_history per blob (net.h on_history).
 *
 * What it does:
 *  - stores what upstream stores: one whatsapp_history_sync_conversation
 *    row per chat (last message time, archived, pinned, mute, unread...)
 *    and one whatsapp_history_sync_message row per message (the
 *    WebMessageInfo protobuf), so a later consumer finds them;
 *  - creates portals for the newest network.history_sync.
 *    max_initial_conversations chats (-1 = all, capped at
 *    BR_HIST_PORTALS_MAX), through the core's own paths (portal_in.c):
 *    the same room as for a first message or for a group we are added to;
 *  - with backfill.enabled, sends up to backfill.max_initial_messages of
 *    each chat's messages into its NEW room, oldest first, each with its
 *    original timestamp (the appservice `ts`, as portal_in sends every
 *    message) and its message row (so edits, reactions and the same
 *    message arriving live are matched / de-duplicated); each is marked
 *    m->backfill, and a community command is left out (it would run
 *    again: br_history_hook_command).
 *
 * "New room": the chat had no room, or its room holds no bridged message
 * yet (a group room a new login's group listing has just created, empty).
 * A room with messages is never backfilled into (messages would land out
 * of order); its chat only gets its rows stored.
 *
 * Media of backfilled messages is downloaded by the network side before
 * the blob is handed over (within its limits, net_wa_history.h); what it
 * could not fetch comes with media_error (portal_in's notice).
 *
 * What it does not do: the backwards backfill queue (backfill.queue),
 * media retries for expired history media, threads, the dispatch_wait
 * quiet period (blobs are handled as they come), counting
 * max_initial_conversations across several blobs (each blob picks its own
 * newest).
 *
 * Invariants: one thread; everything in h is borrowed for the call (the
 * core copies what it queues).
 */
#ifndef PONTON_BRIDGE_HISTORY_H
#define PONTON_BRIDGE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/net.h"

struct db;

/* Portals one blob may create (a -1 max_initial_conversations is "all",
 * within this). */
#define BR_HIST_PORTALS_MAX 1000

/* net.h on_history, arg the struct br_bridge; main.c installs it. */
void br_history_on_history(void *arg, struct br_net_login *l,
    const struct br_net_history *h);

/* ---- pieces, public for the unit tests ---- */

/*
 * Store a blob's chats and messages for login_id (one transaction;
 * messages already stored are left alone).  0 or a db code.
 */
int br_history_store(struct db *db, const char *login_id,
    const struct br_net_history *h);

/*
 * Which chats get portals: the indexes into h->chats of the newest max
 * (-1: all) chats that can be portals (users, LIDs and groups; not status
 * or newsletters), newest first, written to idx (room for n_chats);
 * returns how many (at most BR_HIST_PORTALS_MAX).
 */
size_t br_history_pick(const struct br_net_history *h, int64_t max,
    size_t *idx);

/*
 * How many of a chat's messages to backfill: 0 when backfill is off or
 * max_initial_messages is 0 or less (as the example config says), else
 * min(n_msgs, max_initial_messages).
 */
size_t br_history_backfill_count(int enabled, int64_t max_initial,
    size_t n_msgs);

/*
 * Is m a message a hook layered on the core would act on (a community
 * command in a group, when community portals are on)?  Such messages are
 * not backfilled, so that an old command is not run again.  1 or 0.
 */
struct br_bridge;
int br_history_hook_command(const struct br_bridge *br,
    const struct br_net_message *m);

#endif
