/*
 * net_wa_pending.c: the pending-inbound store (net_wa_pending.h) on db/,
 * the same SQL on SQLite and PostgreSQL.
 *
 * What it does not do: transactions spanning calls; the one thread calls
 * put and delete in turn, so "MAX(seq) + 1" in one INSERT is safe.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/net_wa_pending.h"
#include "db/db.h"
#include "util/err.h"
#include "util/mem.h"

void
br_wa_pending_free(struct br_wa_pending *p)
{
	if (p == NULL)
		return;
	free(p->chat);
	free(p->sender);
	free(p->msg_id);
	free(p->payload);
	free(p->meta);
	free(p);
}

void
br_wa_pending_list_free(struct br_wa_pending **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		br_wa_pending_free(v[i]);
	free(v);
}

static int
find_seq(struct db *db, const char *login_id, const char *chat,
    const char *sender, const char *msg_id, int64_t *seq)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, "SELECT seq FROM ponton_wa_pending WHERE "
	    "login_id=$1 AND chat=$2 AND sender=$3 AND msg_id=$4", &st);
	if (r != 0)
		return r;
	db_bind_text(st, 1, login_id);
	db_bind_text(st, 2, chat);
	db_bind_text(st, 3, sender);
	db_bind_text(st, 4, msg_id);
	r = db_step(st);
	if (r == DB_ROW) {
		*seq = db_column_int64(st, 0);
		r = 0;
	} else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

int
br_wa_pending_put(struct db *db, const char *login_id, const char *chat,
    const char *sender, const char *msg_id, const uint8_t *payload,
    size_t len, const char *meta, int64_t ts_ms, int64_t *seq)
{
	struct db_stmt *st = NULL;
	int r;

	if (login_id == NULL || chat == NULL || sender == NULL ||
	    msg_id == NULL || login_id[0] == '\0' || chat[0] == '\0' ||
	    msg_id[0] == '\0')
		return U_ERR_INVALID;
	if (len > BR_WA_PENDING_PAYLOAD_MAX || (meta != NULL &&
	    strlen(meta) > BR_WA_PENDING_META_MAX))
		return U_ERR_TOO_BIG;
	r = find_seq(db, login_id, chat, sender, msg_id, seq);
	if (r == 0)
		return BR_WA_PENDING_DUP;
	if (r != U_ERR_NOT_FOUND)
		return r;
	r = db_prepare(db, "INSERT INTO ponton_wa_pending (login_id, seq, "
	    "chat, sender, msg_id, payload, meta, ts) SELECT $1, "
	    "COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7 FROM "
	    "ponton_wa_pending WHERE login_id=$1", &st);
	if (r != 0)
		return r;
	db_bind_text(st, 1, login_id);
	db_bind_text(st, 2, chat);
	db_bind_text(st, 3, sender);
	db_bind_text(st, 4, msg_id);
	/* A zero-length blob must still be non-NULL (NOT NULL column). */
	db_bind_blob(st, 5, len > 0 ? (const void *)payload : "", len);
	db_bind_text(st, 6, meta != NULL ? meta : "{}");
	db_bind_int64(st, 7, ts_ms);
	r = db_stmt_exec(st);
	db_stmt_free(st);
	if (r != 0)
		return r;
	return find_seq(db, login_id, chat, sender, msg_id, seq);
}

int
br_wa_pending_delete(struct db *db, const char *login_id, int64_t seq)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, "DELETE FROM ponton_wa_pending WHERE login_id=$1 "
	    "AND seq=$2", &st);
	if (r != 0)
		return r;
	db_bind_text(st, 1, login_id);
	db_bind_int64(st, 2, seq);
	r = db_stmt_exec(st);
	if (r == 0 && db_stmt_changes(st) == 0)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

int
br_wa_pending_delete_login(struct db *db, const char *login_id)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, "DELETE FROM ponton_wa_pending WHERE login_id=$1",
	    &st);
	if (r != 0)
		return r;
	db_bind_text(st, 1, login_id);
	r = db_stmt_exec(st);
	db_stmt_free(st);
	return r;
}

int
br_wa_pending_list(struct db *db, const char *login_id, int64_t after,
    int max, struct br_wa_pending ***out)
{
	struct db_stmt *st = NULL;
	struct br_wa_pending **v, *p;
	const void *blob;
	size_t n = 0, bl;
	int r;

	if (max < 1 || max > BR_WA_PENDING_LIST_MAX)
		return U_ERR_INVALID;
	r = db_prepare(db, "SELECT seq, chat, sender, msg_id, payload, meta, "
	    "ts FROM ponton_wa_pending WHERE login_id=$1 AND seq>$2 ORDER BY "
	    "seq LIMIT $3", &st);
	if (r != 0)
		return r;
	db_bind_text(st, 1, login_id);
	db_bind_int64(st, 2, after);
	db_bind_int64(st, 3, max);
	v = u_calloc((size_t)max + 1, sizeof(*v));
	while ((r = db_step(st)) == DB_ROW) {
		blob = db_column_blob(st, 4, &bl);
		if (bl > BR_WA_PENDING_PAYLOAD_MAX) {
			r = U_ERR_TOO_BIG;
			break;
		}
		p = u_calloc(1, sizeof(*p));
		p->seq = db_column_int64(st, 0);
		p->chat = u_strdup(db_column_text(st, 1) ?
		    db_column_text(st, 1) : "");
		p->sender = u_strdup(db_column_text(st, 2) ?
		    db_column_text(st, 2) : "");
		p->msg_id = u_strdup(db_column_text(st, 3) ?
		    db_column_text(st, 3) : "");
		p->payload = u_malloc(bl > 0 ? bl : 1);
		if (bl > 0)
			memcpy(p->payload, blob, bl);
		p->len = bl;
		p->meta = u_strdup(db_column_text(st, 5) ?
		    db_column_text(st, 5) : "{}");
		p->ts_ms = db_column_int64(st, 6);
		v[n++] = p;
		if (n >= (size_t)max) {
			r = DB_DONE;
			break;
		}
	}
	db_stmt_free(st);
	if (r != DB_DONE) {
		br_wa_pending_list_free(v);
		return r < 0 ? r : U_ERR_INVALID;
	}
	*out = v;
	return 0;
}

int64_t
br_wa_pending_count(struct db *db, const char *login_id)
{
	struct db_stmt *st = NULL;
	int64_t n = -1;

	if (db_prepare(db, "SELECT COUNT(*) FROM ponton_wa_pending WHERE "
	    "login_id=$1", &st) != 0)
		return -1;
	db_bind_text(st, 1, login_id);
	if (db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	db_stmt_free(st);
	return n;
}

int
br_wa_poll_put(struct db *db, const char *login_id, const char *chat,
    const char *sender, const char *msg_id, const uint8_t secret[32],
    char *const *options, size_t n)
{
	struct db_stmt *st = NULL;
	json_t *a;
	char *js;
	size_t i;
	int r;

	if (login_id == NULL || chat == NULL || sender == NULL ||
	    msg_id == NULL || msg_id[0] == '\0')
		return U_ERR_INVALID;
	if (n > BR_WA_POLL_OPTIONS_MAX)
		return U_ERR_TOO_BIG;
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(options[i] ? options[i] :
		    ""));
	js = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (js == NULL)
		return U_ERR_INVALID;
	if (strlen(js) > BR_WA_POLL_JSON_MAX) {
		free(js);
		return U_ERR_TOO_BIG;
	}
	r = db_prepare(db, "DELETE FROM ponton_wa_poll WHERE login_id=$1 AND "
	    "chat=$2 AND sender=$3 AND msg_id=$4", &st);
	if (r == 0) {
		db_bind_text(st, 1, login_id);
		db_bind_text(st, 2, chat);
		db_bind_text(st, 3, sender);
		db_bind_text(st, 4, msg_id);
		r = db_stmt_exec(st);
		db_stmt_free(st);
		st = NULL;
	}
	if (r == 0)
		r = db_prepare(db, "INSERT INTO ponton_wa_poll (login_id, "
		    "chat, sender, msg_id, secret, options) VALUES ($1, $2, "
		    "$3, $4, $5, $6)", &st);
	if (r == 0) {
		db_bind_text(st, 1, login_id);
		db_bind_text(st, 2, chat);
		db_bind_text(st, 3, sender);
		db_bind_text(st, 4, msg_id);
		db_bind_blob(st, 5, secret, 32);
		db_bind_text(st, 6, js);
		r = db_stmt_exec(st);
		db_stmt_free(st);
	}
	free(js);
	return r;
}

int
br_wa_poll_get(struct db *db, const char *login_id, const char *chat,
    const char *sender, const char *msg_id, uint8_t secret[32],
    char ***options, size_t *n)
{
	struct db_stmt *st = NULL;
	const void *b;
	const char *t;
	json_error_t je;
	json_t *a = NULL, *v;
	char **o;
	size_t bl, i;
	int r;

	r = db_prepare(db, "SELECT secret, options FROM ponton_wa_poll WHERE "
	    "login_id=$1 AND chat=$2 AND sender=$3 AND msg_id=$4", &st);
	if (r != 0)
		return r;
	db_bind_text(st, 1, login_id);
	db_bind_text(st, 2, chat);
	db_bind_text(st, 3, sender);
	db_bind_text(st, 4, msg_id);
	r = db_step(st);
	if (r != DB_ROW) {
		db_stmt_free(st);
		return r == DB_DONE ? U_ERR_NOT_FOUND : r;
	}
	b = db_column_blob(st, 0, &bl);
	t = db_column_text(st, 1);
	if (bl != 32 || t == NULL || strlen(t) > BR_WA_POLL_JSON_MAX ||
	    (a = json_loads(t, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_array(a) || json_array_size(a) > BR_WA_POLL_OPTIONS_MAX) {
		json_decref(a);
		db_stmt_free(st);
		return U_ERR_INVALID;
	}
	memcpy(secret, b, 32);
	o = u_calloc(json_array_size(a) + 1, sizeof(*o));
	json_array_foreach(a, i, v)
		o[i] = u_strdup(json_is_string(v) ? json_string_value(v) : "");
	*n = json_array_size(a);
	*options = o;
	json_decref(a);
	db_stmt_free(st);
	return 0;
}
