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
 * What it does not do: polls' votes, keep notifications
 * across a restart (upstream buffers them in
 * whatsapp_history_sync_notification; here a notification whose download
 * is cut by a restart or a disconnect is lost: the connection's wa_media
 * drops its callbacks).
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
};

/*
 * A decrypted message: 1 when it was a history sync notification from
 * our own account (taken: the caller acks it and does nothing more; a
 * malformed one is logged and dropped), 0 otherwise (the caller goes on).
 */
int br__nw_history_take(struct br_net_login *l,
    const struct br__nw_hist_ctx *ctx, const struct wa_msg_event *ev);
/* The login goes away: its jobs are dropped. */
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
