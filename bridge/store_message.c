/*
 * store_message.c: message and reaction rows (store.h).
 *
 * Queries follow mautrix-go bridgev2/database message.go and reaction.go,
 * including the "(room_receiver=$r OR room_receiver='')" lookups that let
 * a login find messages of shared portals.  Orderings are upstream's
 * (timestamp, id, part_id) so "last" and "first" agree with mautrix.
 * Does not: interpret message metadata or IDs (see ids.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/store_int.h"
#include "util/err.h"
#include "util/mem.h"

#define MSG_COLS "rowid, id, part_id, mxid, room_id, room_receiver, " \
	"sender_id, sender_mxid, timestamp, edit_count, double_puppeted, " \
	"thread_root_id, reply_to_id, reply_to_part_id, send_txn_id, metadata"
#define MSG_SELECT "SELECT " MSG_COLS " FROM message WHERE bridge_id='' "
#define MSG_IN_PORTAL MSG_SELECT "AND room_id=$1 AND room_receiver=$2 "
#define NEWEST "ORDER BY timestamp DESC, id DESC, part_id DESC "
#define OLDEST "ORDER BY timestamp ASC, id ASC, part_id ASC "

void
br_message_free(struct br_message *m)
{
	if (m == NULL)
		return;
	free(m->id);
	free(m->part_id);
	free(m->mxid);
	free(m->room_id);
	free(m->room_receiver);
	free(m->sender_id);
	free(m->sender_mxid);
	free(m->thread_root_id);
	free(m->reply_to_id);
	free(m->reply_to_part_id);
	free(m->send_txn_id);
	json_decref(m->metadata);
	free(m);
}

static void
msg_free_v(void *p)
{
	br_message_free(p);
}

void
br_message_list_free(struct br_message **v)
{
	br__list_free((void **)v, msg_free_v);
}

static int
scan_msg(struct db_stmt *st, void **out)
{
	struct br_message *m = u_calloc(1, sizeof(*m));
	int r;

	m->rowid = db_column_int64(st, 0);
	m->id = br__col_str0(st, 1);
	m->part_id = br__col_str0(st, 2);
	m->mxid = br__col_str0(st, 3);
	m->room_id = br__col_str0(st, 4);
	m->room_receiver = br__col_str0(st, 5);
	m->sender_id = br__col_str0(st, 6);
	m->sender_mxid = br__col_str0(st, 7);
	m->timestamp = db_column_int64(st, 8);
	m->edit_count = (int)db_column_int64(st, 9);
	m->double_puppeted = db_column_is_null(st, 10) ? -1 :
	    db_column_bool(st, 10);
	m->thread_root_id = br__col_str(st, 11);
	m->reply_to_id = br__col_str(st, 12);
	m->reply_to_part_id = br__col_str(st, 13);
	m->send_txn_id = br__col_str(st, 14);
	if ((r = br__col_json(st, 15, &m->metadata)) != 0) {
		br_message_free(m);
		return r;
	}
	*out = m;
	return 0;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

int
br_store_message_get_part(struct db *db, const char *receiver, const char *id,
    const char *part_id, struct br_message **out)
{
	return br__st_get(db, MSG_SELECT "AND (room_receiver=$1 OR "
	    "room_receiver='') AND id=$2 AND part_id=$3",
	    BR__ARGS(BR__T(receiver), BR__T(id), BR__T(nz(part_id))),
	    scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_list_parts(struct db *db, const char *receiver,
    const char *id, struct br_message ***out)
{
	return br__st_list(db, MSG_SELECT "AND (room_receiver=$1 OR "
	    "room_receiver='') AND id=$2 ORDER BY part_id",
	    BR__ARGS(BR__T(receiver), BR__T(id)), scan_msg, msg_free_v,
	    (void ***)out);
}

int
br_store_message_get_first_part(struct db *db, const char *receiver,
    const char *id, struct br_message **out)
{
	return br__st_get(db, MSG_SELECT "AND (room_receiver=$1 OR "
	    "room_receiver='') AND id=$2 ORDER BY part_id ASC LIMIT 1",
	    BR__ARGS(BR__T(receiver), BR__T(id)), scan_msg,
	    msg_free_v, (void **)out);
}

int
br_store_message_get_last_part(struct db *db, const char *receiver,
    const char *id, struct br_message **out)
{
	return br__st_get(db, MSG_SELECT "AND (room_receiver=$1 OR "
	    "room_receiver='') AND id=$2 ORDER BY part_id DESC LIMIT 1",
	    BR__ARGS(BR__T(receiver), BR__T(id)), scan_msg,
	    msg_free_v, (void **)out);
}

int
br_store_message_get_by_mxid(struct db *db, const char *mxid,
    struct br_message **out)
{
	return br__st_get(db, MSG_SELECT "AND mxid=$1", BR__ARGS(BR__T(mxid)),
	    scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_get_by_rowid(struct db *db, int64_t rowid,
    struct br_message **out)
{
	return br__st_get(db, MSG_SELECT "AND rowid=$1", BR__ARGS(BR__I(rowid)),
	    scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_get_by_txn(struct db *db, const char *receiver,
    const char *mxid, const char *txn_id, struct br_message **out)
{
	return br__st_get(db, MSG_SELECT "AND (room_receiver=$1 OR "
	    "room_receiver='') AND (mxid=$2 OR send_txn_id=$3)",
	    BR__ARGS(BR__T(receiver), BR__T(nz(mxid)), BR__T(nz(txn_id))),
	    scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_get_last_in_portal(struct db *db, struct br_portal_key key,
    struct br_message **out)
{
	return br__st_get(db, MSG_IN_PORTAL NEWEST "LIMIT 1",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), scan_msg, msg_free_v,
	    (void **)out);
}

int
br_store_message_list_last_n(struct db *db, struct br_portal_key key, int n,
    struct br_message ***out)
{
	if (n < 1 || n > BR_STORE_LIST_N_MAX)
		return U_ERR_INVALID;
	return br__st_list(db, MSG_IN_PORTAL NEWEST "LIMIT $3",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver), BR__I(n)), scan_msg,
	    msg_free_v, (void ***)out);
}

int
br_store_message_get_first_in_portal(struct db *db, struct br_portal_key key,
    struct br_message **out)
{
	return br__st_get(db, MSG_IN_PORTAL OLDEST "LIMIT 1",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), scan_msg, msg_free_v,
	    (void **)out);
}

int
br_store_message_get_last_before(struct db *db, struct br_portal_key key,
    int64_t ts, struct br_message **out)
{
	return br__st_get(db, MSG_IN_PORTAL "AND timestamp<=$3 " NEWEST
	    "LIMIT 1", BR__ARGS(BR__T(key.id), BR__T(key.receiver),
	    BR__I(ts)), scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_list_between(struct db *db, struct br_portal_key key,
    int64_t start, int64_t end, struct br_message ***out)
{
	return br__st_list(db, MSG_IN_PORTAL "AND timestamp>$3 AND "
	    "timestamp<=$4 " OLDEST, BR__ARGS(BR__T(key.id),
	    BR__T(key.receiver), BR__I(start), BR__I(end)), scan_msg,
	    msg_free_v, (void ***)out);
}

/* Bridge-made placeholder events have "~fake:" event IDs (upstream). */
#define REAL "AND mxid NOT LIKE '~fake:%' "

int
br_store_message_get_last_real_before(struct db *db, struct br_portal_key key,
    int64_t ts, struct br_message **out)
{
	return br__st_get(db, MSG_IN_PORTAL "AND timestamp<=$3 " REAL NEWEST
	    "LIMIT 1", BR__ARGS(BR__T(key.id), BR__T(key.receiver),
	    BR__I(ts)), scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_get_first_real_after(struct db *db, struct br_portal_key key,
    int64_t ts, struct br_message **out)
{
	return br__st_get(db, MSG_IN_PORTAL "AND timestamp>$3 " REAL OLDEST
	    "LIMIT 1", BR__ARGS(BR__T(key.id), BR__T(key.receiver),
	    BR__I(ts)), scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_get_thread_first(struct db *db, struct br_portal_key key,
    const char *root_id, struct br_message **out)
{
	/* The root itself (thread_root_id NULL) sorts first. */
	return br__st_get(db, MSG_IN_PORTAL "AND (id=$3 OR thread_root_id=$3) "
	    "ORDER BY thread_root_id IS NOT NULL, thread_root_id, "
	    "timestamp ASC, id ASC, part_id ASC LIMIT 1",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver), BR__T(root_id)),
	    scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_get_thread_last(struct db *db, struct br_portal_key key,
    const char *root_id, struct br_message **out)
{
	/* Replies (thread_root_id set) before the root. */
	return br__st_get(db, MSG_IN_PORTAL "AND (id=$3 OR thread_root_id=$3) "
	    "ORDER BY thread_root_id IS NULL, thread_root_id, "
	    "timestamp DESC, id DESC, part_id DESC LIMIT 1",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver), BR__T(root_id)),
	    scan_msg, msg_free_v, (void **)out);
}

int
br_store_message_count_in_portal(struct db *db, struct br_portal_key key,
    int64_t *out)
{
	return br__st_int(db, "SELECT COUNT(*) FROM message WHERE "
	    "bridge_id='' AND room_id=$1 AND room_receiver=$2",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), out);
}

/* $1..$15 of insert and update. */
#define MSG_VALUES(m) \
	BR__T(nz((m)->id)), BR__T(nz((m)->part_id)), BR__T(nz((m)->mxid)), \
	BR__T(nz((m)->room_id)), BR__T(nz((m)->room_receiver)), \
	BR__T(nz((m)->sender_id)), BR__T(nz((m)->sender_mxid)), \
	BR__I((m)->timestamp), BR__I((m)->edit_count), \
	(m)->double_puppeted < 0 ? BR__N() : BR__B((m)->double_puppeted), \
	BR__T((m)->thread_root_id), BR__T((m)->reply_to_id), \
	BR__T((m)->reply_to_part_id), BR__T((m)->send_txn_id), \
	BR__JO((m)->metadata)

int
br_store_message_insert(struct db *db, struct br_message *m)
{
	int64_t rowid = 0;
	int r;

	r = br__st_int(db, "INSERT INTO message (bridge_id, id, part_id, "
	    "mxid, room_id, room_receiver, sender_id, sender_mxid, timestamp, "
	    "edit_count, double_puppeted, thread_root_id, reply_to_id, "
	    "reply_to_part_id, send_txn_id, metadata) VALUES ('', $1, $2, $3, "
	    "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
	    "RETURNING rowid", BR__ARGS(MSG_VALUES(m)), &rowid);
	if (r == 0)
		m->rowid = rowid;
	return r;
}

int
br_store_message_update(struct db *db, const struct br_message *m)
{
	int64_t n = 0;
	int r = br__st_exec(db, "UPDATE message SET id=$1, part_id=$2, "
	    "mxid=$3, room_id=$4, room_receiver=$5, sender_id=$6, "
	    "sender_mxid=$7, timestamp=$8, edit_count=$9, double_puppeted=$10, "
	    "thread_root_id=$11, reply_to_id=$12, reply_to_part_id=$13, "
	    "send_txn_id=$14, metadata=$15 WHERE bridge_id='' AND rowid=$16",
	    BR__ARGS(MSG_VALUES(m), BR__I(m->rowid)), &n);

	return br__changed(r, n);
}

int
br_store_message_delete(struct db *db, int64_t rowid)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM message WHERE bridge_id='' AND "
	    "rowid=$1", BR__ARGS(BR__I(rowid)), &n);

	return br__changed(r, n);
}

int
br_store_message_delete_all_parts(struct db *db, const char *receiver,
    const char *id)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM message WHERE bridge_id='' AND "
	    "(room_receiver=$1 OR room_receiver='') AND id=$2",
	    BR__ARGS(BR__T(receiver), BR__T(id)), &n);

	return br__changed(r, n);
}

/* ---- reaction ---- */

#define REACT_COLS "message_id, message_part_id, sender_id, sender_mxid, " \
	"emoji_id, emoji, room_id, room_receiver, mxid, timestamp, metadata"
#define REACT_SELECT "SELECT " REACT_COLS " FROM reaction WHERE bridge_id='' "

void
br_reaction_free(struct br_reaction *r)
{
	if (r == NULL)
		return;
	free(r->message_id);
	free(r->message_part_id);
	free(r->sender_id);
	free(r->sender_mxid);
	free(r->emoji_id);
	free(r->emoji);
	free(r->room_id);
	free(r->room_receiver);
	free(r->mxid);
	json_decref(r->metadata);
	free(r);
}

static void
react_free_v(void *p)
{
	br_reaction_free(p);
}

void
br_reaction_list_free(struct br_reaction **v)
{
	br__list_free((void **)v, react_free_v);
}

static int
scan_react(struct db_stmt *st, void **out)
{
	struct br_reaction *x = u_calloc(1, sizeof(*x));
	int r;

	x->message_id = br__col_str0(st, 0);
	x->message_part_id = br__col_str0(st, 1);
	x->sender_id = br__col_str0(st, 2);
	x->sender_mxid = br__col_str0(st, 3);
	x->emoji_id = br__col_str0(st, 4);
	x->emoji = br__col_str0(st, 5);
	x->room_id = br__col_str0(st, 6);
	x->room_receiver = br__col_str0(st, 7);
	x->mxid = br__col_str0(st, 8);
	x->timestamp = db_column_int64(st, 9);
	if ((r = br__col_json(st, 10, &x->metadata)) != 0) {
		br_reaction_free(x);
		return r;
	}
	*out = x;
	return 0;
}

int
br_store_reaction_get(struct db *db, struct br_reaction_key k,
    struct br_reaction **out)
{
	if (k.message_part_id == NULL)
		return br__st_get(db, REACT_SELECT "AND room_receiver=$1 AND "
		    "message_id=$2 AND sender_id=$3 AND emoji_id=$4 "
		    "ORDER BY message_part_id ASC LIMIT 1",
		    BR__ARGS(BR__T(nz(k.room_receiver)), BR__T(k.message_id),
		    BR__T(k.sender_id), BR__T(nz(k.emoji_id))), scan_react,
	    react_free_v,
		    (void **)out);
	return br__st_get(db, REACT_SELECT "AND room_receiver=$1 AND "
	    "message_id=$2 AND message_part_id=$3 AND sender_id=$4 AND "
	    "emoji_id=$5", BR__ARGS(BR__T(nz(k.room_receiver)),
	    BR__T(k.message_id), BR__T(k.message_part_id), BR__T(k.sender_id),
	    BR__T(nz(k.emoji_id))), scan_react, react_free_v, (void **)out);
}

int
br_store_reaction_get_by_mxid(struct db *db, const char *mxid,
    struct br_reaction **out)
{
	return br__st_get(db, REACT_SELECT "AND mxid=$1", BR__ARGS(BR__T(mxid)),
	    scan_react, react_free_v, (void **)out);
}

int
br_store_reaction_list_to_message(struct db *db, const char *receiver,
    const char *message_id, const char *sender_id, struct br_reaction ***out)
{
	if (sender_id != NULL)
		return br__st_list(db, REACT_SELECT "AND room_receiver=$1 AND "
		    "message_id=$2 AND sender_id=$3 ORDER BY timestamp DESC",
		    BR__ARGS(BR__T(nz(receiver)), BR__T(message_id),
		    BR__T(sender_id)), scan_react, react_free_v,
		    (void ***)out);
	return br__st_list(db, REACT_SELECT "AND room_receiver=$1 AND "
	    "message_id=$2 ORDER BY timestamp, sender_id",
	    BR__ARGS(BR__T(nz(receiver)), BR__T(message_id)), scan_react,
	    react_free_v, (void ***)out);
}

int
br_store_reaction_list_to_part(struct db *db, const char *receiver,
    const char *message_id, const char *part_id, struct br_reaction ***out)
{
	return br__st_list(db, REACT_SELECT "AND room_receiver=$1 AND "
	    "message_id=$2 AND message_part_id=$3 ORDER BY timestamp, "
	    "sender_id", BR__ARGS(BR__T(nz(receiver)), BR__T(message_id),
	    BR__T(nz(part_id))), scan_react, react_free_v, (void ***)out);
}

int
br_store_reaction_upsert(struct db *db, const struct br_reaction *x)
{
	return br__st_exec(db, "INSERT INTO reaction (bridge_id, " REACT_COLS
	    ") VALUES ('', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
	    "ON CONFLICT (bridge_id, room_receiver, message_id, "
	    "message_part_id, sender_id, emoji_id) DO UPDATE SET "
	    "sender_mxid=excluded.sender_mxid, mxid=excluded.mxid, "
	    "timestamp=excluded.timestamp, emoji=excluded.emoji, "
	    "metadata=excluded.metadata",
	    BR__ARGS(BR__T(nz(x->message_id)), BR__T(nz(x->message_part_id)),
	    BR__T(nz(x->sender_id)), BR__T(nz(x->sender_mxid)),
	    BR__T(nz(x->emoji_id)), BR__T(nz(x->emoji)), BR__T(nz(x->room_id)),
	    BR__T(nz(x->room_receiver)), BR__T(nz(x->mxid)),
	    BR__I(x->timestamp), BR__JO(x->metadata)), NULL);
}

int
br_store_reaction_delete(struct db *db, struct br_reaction_key k)
{
	int64_t n = 0;
	int r;

	if (k.message_part_id == NULL)
		return U_ERR_INVALID;
	r = br__st_exec(db, "DELETE FROM reaction WHERE bridge_id='' AND "
	    "room_receiver=$1 AND message_id=$2 AND message_part_id=$3 AND "
	    "sender_id=$4 AND emoji_id=$5", BR__ARGS(BR__T(nz(k.room_receiver)),
	    BR__T(k.message_id), BR__T(k.message_part_id), BR__T(k.sender_id),
	    BR__T(nz(k.emoji_id))), &n);
	return br__changed(r, n);
}
