/*
 * net_wa_history.h: history sync on the WhatsApp side (H19): a history
 * sync notification from our own phone is taken out of the message path
 * (net_wa.c rc_on_message hands every decrypted message here first), its
 * blob downloaded (or taken inline), inflated and parsed by
 * waweb/history.c, and its chats converted into the core's struct
 * br_net_history (messages built exactly as pending rows are,
 * net_wa_msg.c) for the on_history event.
 *
 * Besides the ordinary delivery receipt and ack (the receiver's), a
 * <receipt type=hist_sync> goes to our own account, as whatsmeow sends.
 *
 * Media of the messages the core may backfill (the last
 * backfill.max_initial_messages of each chat, when backfill is enabled)
 * is downloaded before the chats are handed over, one file at a time, at
 * most NET_WA_HIST_MEDIA_MAX files and NET_WA_HIST_MEDIA_BYTES bytes per
 * blob; the rest (and failures) reach the core with media_error set, and
 * portal_in says the media is missing.  No media retry for expired media.
 *
 * A notification survives a restart (H20): its HistorySyncNotification
 * bytes are written to whatsapp_history_sync_notification (as upstream)
 * in the receiver's transaction, so before the message is acked; the row
 * is deleted once the core had the chats, or when the blob is definitively
 * unusable (the server says it is gone, MAC/hash mismatch, too big, does
 * not decode).  A download cut by a disconnect or a restart, or failing
 * transiently, leaves the row; br__nw_history_resume (each time the
 * login is synced) handles the stored rows again, oldest first.
 *
 * What it does not do: polls' votes.
 *
 * Invariants: one thread; a job never outlives its login
 * (br__nw_history_forget, called from the login's free before its
 * wa_media is freed, which drops the pending downloads' callbacks).
 */
#ifndef PONTON_BRIDGE_NET_WA_HISTORY_H
#define PONTON_BRIDGE_NET_WA_HISTORY_H

#include <stddef.h>

#include "bridge/net.h"

struct u_loop;
struct br_config;
struct wa_client;
struct wa_media;
struct wa_device;
struct wa_msg_event;
struct wa_hist_sync;
struct db;

/* Media fetched per history blob before the core gets it. */
#define NET_WA_HIST_MEDIA_MAX	200
#define NET_WA_HIST_MEDIA_BYTES	((size_t)256 << 20)

/* What a job needs from its login (all borrowed for the call). */
struct br__nw_hist_ctx {
	struct u_loop			*loop;
	struct wa_client		*client;	/* may be NULL */
	/* The login's wa_media field (read at each download: NULL while
	 * the login is torn down); the slot lives as long as the login. */
	struct wa_media			**media_slot;
	const struct br_config		*cfg;		/* may be NULL */
	const struct wa_device		*dev;		/* may be NULL */
	const char			*own_user;	/* "<digits>@s..." */
	const struct br_net_events	*ev;		/* lives with the side */
	const char			*prefix;
	/* Where notifications are kept until handled (H20); either NULL:
	 * not kept. */
	struct db			*db;
	const char			*login_id;
};

/* Stored notifications handled again per resume (the oldest first). */
#define NET_WA_HIST_RESUME_MAX	1000
/* Largest stored notification accepted (an inline one carries its
 * blob: the E2E message's own limit). */
#define NET_WA_HIST_ROW_MAX	((size_t)2 << 20)

/*
 * A decrypted message: 1 when it was a history sync notification from
 * our own account (taken: the caller acks it and does nothing more; a
 * malformed one is logged and dropped), 0 otherwise (the caller goes on).
 */
int br__nw_history_take(struct br_net_login *l,
    const struct br__nw_hist_ctx *ctx, const struct wa_msg_event *ev);
/*
 * The login is synced: its stored notifications (whatsapp_history_sync_
 * notification) not already being handled start again, oldest first.
 * Rows that no longer parse are deleted.  Never fails (logs).
 */
void br__nw_history_resume(struct br_net_login *l,
    const struct br__nw_hist_ctx *ctx);
/* The login goes away: its jobs are dropped (their rows stay). */
void br__nw_history_forget(struct br_net_login *l);

/* ---- the conversion, public for the unit tests ---- */

struct br__nw_hist;
/*
 * The core's view of a parsed blob (owned; every pointer inside points
 * into it or into s, which must outlive it).  The newest per_chat
 * messages of each chat that carry something for the core are built in
 * full (protocol messages and stubs among them left out; media keep
 * needs_media: fetch, or br__nw_hist_media_fail); older ones are handed
 * over for storage only (ids, sender, time, kind UNSUPPORTED, their
 * content not decoded), so the core's backfill of the last per_chat never
 * reaches them.  Never fails.
 */
struct br__nw_hist *br__nw_hist_build(const struct wa_hist_sync *s,
    const char *own_user, size_t per_chat);
const struct br_net_history *br__nw_hist_view(const struct br__nw_hist *x);
void br__nw_hist_free(struct br__nw_hist *x);
/* The next message whose media is still to fetch among the last per_chat
 * messages of each chat, walking from (*ci, *mi) (both 0 at first); NULL
 * when none is left. */
struct br__nw_msg;
struct br__nw_msg *br__nw_hist_media_next(struct br__nw_hist *x,
    size_t per_chat, size_t *ci, size_t *mi);
/* Every message still waiting for its media gets media_error. */
void br__nw_hist_media_fail(struct br__nw_hist *x);

#endif
