/*
 * portal_out.h: the Matrix -> WhatsApp half of the bridge core (mautrix-go
 * bridgev2's Portal.handleMatrixEvent and its handlers, with
 * mautrix-whatsapp's handlematrix.go / msgconv from-matrix.go behaviour).
 *
 * What it does: takes the Matrix side's events in portal rooms (messages,
 * edits, reactions, redactions, read receipts, typing), queues each on its
 * portal's FIFO (so one chat's events keep their order with the other
 * direction's), and there: picks the sending login (bridge/relay.h),
 * converts (HTML -> WhatsApp markup with mentions, replies, media
 * downloaded from Matrix, locations, relay templates), sends through
 * bridge/net.h, stores the message / reaction rows, and reports the
 * outcome to the sender as upstream does (com.beeper.message_send_status
 * when matrix.message_status_events, a "⚠️ Your message was not bridged"
 * notice when matrix.message_error_notices, a bot read receipt when
 * matrix.delivery_receipts).
 *
 * What it does not do: permissions (bridge.c drops events of users
 * without send_events before calling here), commands, room state
 * (name/topic/avatar) and membership, WhatsApp -> Matrix (portal_in.c).
 *
 * Invariants: one thread.  A message takes effect at most once: its row
 * (a placeholder with a fake ID, replaced by the WhatsApp ID once sent) is
 * written before the send, and an event whose event ID already has a row
 * is dropped.  Every item holds a portal reference until it finishes.
 */
#ifndef PONTON_BRIDGE_PORTAL_OUT_H
#define PONTON_BRIDGE_PORTAL_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/mx.h"

struct br_bridge;
struct br_out;

/* Largest Matrix file carried to WhatsApp: the file is held in memory
 * while it is uploaded, and WhatsApp's own document limit is far above
 * what a bridge should buffer.  Bigger files fail "media too large". */
#define BR_OUT_MEDIA_MAX	((size_t)100 << 20)
/* Users tracked as typing per portal room (the typing diff). */
#define BR_OUT_TYPING_MAX	64

/* The state of the half (relay templates, who is typing).  Owned by the
 * bridge; NULL on a template error (logged). */
struct br_out *br_out_new(struct br_bridge *br);
void br_out_free(struct br_out *o);

/*
 * Route one event.  Each returns 1 when the room is a portal (the event is
 * queued or deliberately dropped there), 0 when it is not a portal, or a
 * negative code (database error, queue full: logged).
 * br_out_message: m.room.message (and m.sticker with msgtype "m.sticker").
 */
int br_out_message(struct br_bridge *br, const struct br_mx_message *m);
int br_out_reaction(struct br_bridge *br, const struct br_mx_reaction *r);
int br_out_redaction(struct br_bridge *br, const struct br_mx_redaction *r);
int br_out_receipt(struct br_bridge *br, const struct br_mx_receipt *r);
int br_out_typing(struct br_bridge *br, const struct br_mx_typing *t);

/*
 * Room name, topic and avatar changed on Matrix (m.room.name, m.room.topic,
 * m.room.avatar with an empty state key) -> the WhatsApp group's subject,
 * description and picture (upstream's handleMatrixRoomMeta with
 * mautrix-whatsapp's HandleMatrixRoom{Name,Topic,Avatar}): refused in DMs,
 * a value equal to the portal's is not sent again, the portal row and its
 * m.bridge follow a change.  An avatar must be a JPEG (upstream converts
 * other images; ponton does not).  The Matrix side's on_state reaches it
 * through br_bridge_on_room_state (bridge.h).  Borrowed for the call.
 */
/* Largest avatar downloaded for a group picture. */
#define BR_OUT_AVATAR_MAX	((size_t)10 << 20)
int br_out_room_state(struct br_bridge *br, const struct br_mx_state *s);

/*
 * Login readiness (bridge.c passes the network side's events on): a
 * message whose login is not connected waits for it, once the network
 * side is known to report states (the first call turns this on), goes
 * when the login is synced (synced = 1, on_synced), and fails "not logged
 * in" if the login is logged out meanwhile.
 */
struct br_net_login;
struct br_net_state;
void br_out_login_state(struct br_bridge *br, struct br_net_login *l,
    const struct br_net_state *st, int synced);
/* Before the registry goes: waiting items are released (their events
 * stay queued in the database for the next start). */
void br_out_stop(struct br_out *o);

/*
 * The durable queue (store_outq.c): events accepted from the homeserver
 * and not handled yet, in kv_store under "ponton.mx_out.<seq>", resumed
 * in order at start-up by br_out_new.
 */
/* Rows loaded at one start (a bigger backlog is resumed over restarts). */
#define BR_OUTQ_LOAD_MAX	100000
struct br_outq_row {
	int64_t	 seq;
	char	*value;		/* owned: the event as JSON */
};
struct db;
int br_store_outq_put(struct db *db, int64_t seq, const char *value);
/* U_ERR_NOT_FOUND if no such row. */
int br_store_outq_delete(struct db *db, int64_t seq);
/* In seq order, at most limit (1..BR_OUTQ_LOAD_MAX). */
int br_store_outq_list(struct db *db, int limit, struct br_outq_row ***out);
void br_outq_row_free(struct br_outq_row *row);
void br_outq_row_list_free(struct br_outq_row **v);

/*
 * A queue row as resuming reads it (for tests and the fuzzer): 0 if it is
 * a usable event, U_ERR_INVALID otherwise; with again, the row written
 * back from what was read (owned, NULL on allocation failure).
 */
int br_out_row_check(const char *json, char **again);

/* Parse "geo:<lat>,<lon>[;...]" as upstream's parseGeoURI: 0, or
 * U_ERR_INVALID.  Public for tests. */
int br_out_parse_geo(const char *uri, double *lat, double *lon);

#endif
