/*
 * portal_in.h: WhatsApp -> Matrix in the bridge core (mautrix-go
 * bridgev2's handleRemoteMessage, handleRemoteEdit, handleRemoteReaction,
 * handleRemoteMessageRemove, handleRemoteReadReceipt, handleRemoteTyping
 * and CreateMatrixRoom for a remote event).
 *
 * The handlers below are the core's struct br_net_events slots (arg: the
 * struct br_bridge); main.c installs them.  Each event goes to its
 * portal's FIFO (a copy), so one chat is bridged in arrival order.
 *
 * What it does: the portal room on the first message (DMs: the other
 * user's ghost and the login's owner invited, is_direct; groups: the chat
 * info's name, topic and members, admins' power levels), ghosts with
 * displayname_template, text with WhatsApp markup as HTML and mentions as
 * pills, replies, edits, deletes, reactions, media (uploaded to Matrix),
 * locations, contacts, polls, group invites, notices for what cannot be
 * shown; messages from our own other devices through the owner's double
 * puppet when there is one; the message and reaction rows; message_done.
 * Read receipts, typing and group changes.
 *
 * What it does not do: Matrix -> WhatsApp (portal_out.c), backfill,
 * disappearing timers, avatars.
 *
 * Invariants: a message is handed back (message_done) only once its
 * Matrix event exists (or a notice replaced it, or it was already
 * bridged: the message table is checked first); a Matrix failure leaves
 * it pending, so the next start bridges it again.
 */
#ifndef PONTON_BRIDGE_PORTAL_IN_H
#define PONTON_BRIDGE_PORTAL_IN_H

#include "bridge/net.h"

void br_portal_in_on_message(void *arg, struct br_net_login *l,
    const struct br_net_message *m);
void br_portal_in_on_receipt(void *arg, struct br_net_login *l,
    const struct br_net_receipt *r);
void br_portal_in_on_typing(void *arg, struct br_net_login *l,
    const char *chat, const char *user, enum br_net_chatstate st);
void br_portal_in_on_group(void *arg, struct br_net_login *l,
    const struct br_net_group_event *g);
/*
 * A login is connected and synced: when it has no portal yet (a new
 * login), its groups are listed and each gets its room (at most
 * BR_IN_INITIAL_GROUPS_MAX), as upstream creates portals for existing
 * chats after a login.
 */
#define BR_IN_INITIAL_GROUPS_MAX 100
void br_portal_in_on_synced(void *arg, struct br_net_login *l);

#endif
