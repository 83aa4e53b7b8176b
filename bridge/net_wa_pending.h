/*
 * net_wa_pending.h: the pending-inbound store of the WhatsApp side
 * (table ponton_wa_pending, db/embed/ponton-00-latest.sql).
 *
 * A WhatsApp message is written here before it is acknowledged to
 * WhatsApp, and deleted once the bridge core has bridged it (net.h
 * message_done); the rows left at start-up are delivered again, in seq
 * order.  So a crash between the ack and the Matrix event loses nothing.
 *
 * Also the polls seen, with their secrets (to open votes).
 *
 * What it does not do: decode payloads, talk to WhatsApp or Matrix.
 *
 * Invariants: seq grows per login (the largest live seq + 1), so the order
 * of rows is the order of arrival; (login, chat, sender, msg_id) is unique:
 * a redelivered message that is still pending is reported as a duplicate
 * and not stored twice.  Every call is one short synchronous statement.
 * Inputs are bounded (BR_WA_PENDING_*_MAX) before anything is written.
 */
#ifndef PONTON_BRIDGE_NET_WA_PENDING_H
#define PONTON_BRIDGE_NET_WA_PENDING_H

#include <stddef.h>
#include <stdint.h>

struct db;

/* Largest payload stored (the E2EMessage decoder's own limit: 2 MiB). */
#define BR_WA_PENDING_PAYLOAD_MAX (2u * 1024 * 1024)
/* Largest metadata JSON text. */
#define BR_WA_PENDING_META_MAX (16u * 1024)
/* Rows handed out by one list call. */
#define BR_WA_PENDING_LIST_MAX 10000
/* put's "already pending" answer. */
#define BR_WA_PENDING_DUP 1

/* One row; strings and payload owned. */
struct br_wa_pending {
	int64_t		 seq;
	char		*chat, *sender, *msg_id;
	uint8_t		*payload;
	size_t		 len;
	char		*meta;		/* JSON text */
	int64_t		 ts_ms;
};
void br_wa_pending_free(struct br_wa_pending *p);
void br_wa_pending_list_free(struct br_wa_pending **v);

/*
 * Store a message: 0 and *seq, BR_WA_PENDING_DUP (and the existing row's
 * *seq) when (login, chat, sender, msg_id) is already pending,
 * U_ERR_TOO_BIG past a limit, U_ERR_INVALID for empty ids, or a db code.
 */
int br_wa_pending_put(struct db *db, const char *login_id, const char *chat,
    const char *sender, const char *msg_id, const uint8_t *payload,
    size_t len, const char *meta, int64_t ts_ms, int64_t *seq);
/* Delete one row: 0, U_ERR_NOT_FOUND, or a db code. */
int br_wa_pending_delete(struct db *db, const char *login_id, int64_t seq);
/* Delete every row of a login (logout).  0 or a db code. */
int br_wa_pending_delete_login(struct db *db, const char *login_id);
/* The login's rows with seq > after, by seq, at most max (1..LIST_MAX):
 * a NULL-terminated owned array.  0 or a db code. */
int br_wa_pending_list(struct db *db, const char *login_id, int64_t after,
    int max, struct br_wa_pending ***out);
/* Rows pending for a login (tests, logs); -1 on error. */
int64_t br_wa_pending_count(struct db *db, const char *login_id);

/*
 * Polls seen (table ponton_wa_poll): the 32-byte message secret and the
 * option names, kept to open later votes.  Options at most
 * BR_WA_POLL_OPTIONS_MAX, names bounded by the JSON size below.
 */
#define BR_WA_POLL_OPTIONS_MAX 32
#define BR_WA_POLL_JSON_MAX (64u * 1024)
/* Insert or replace.  0, U_ERR_TOO_BIG / U_ERR_INVALID, or a db code. */
int br_wa_poll_put(struct db *db, const char *login_id, const char *chat,
    const char *sender, const char *msg_id, const uint8_t secret[32],
    char *const *options, size_t n);
/* 0 and secret, *options (owned NULL-terminated array: br_strv_free of
 * bridge/store.h frees it) and *n; U_ERR_NOT_FOUND; U_ERR_INVALID for a
 * bad stored row; or a db code. */
int br_wa_poll_get(struct db *db, const char *login_id, const char *chat,
    const char *sender, const char *msg_id, uint8_t secret[32],
    char ***options, size_t *n);

#endif
