/*
 * store_misc.c: user_portal, kv_store and disappearing_message rows
 * (store.h).
 *
 * Queries follow mautrix-go bridgev2/database userportal.go, kvstore.go
 * and disappear.go.  A user_portal row's absence means "this login is not
 * in that portal", which the core uses for relay and read-receipt
 * decisions; rows are created lazily by get_or_create / set_*.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/store_int.h"
#include "util/err.h"
#include "util/mem.h"

#define UP_COLS "user_mxid, login_id, portal_id, portal_receiver, in_space, " \
	"preferred, last_read"
#define UP_SELECT "SELECT " UP_COLS " FROM user_portal WHERE bridge_id='' "

void
br_user_portal_free(struct br_user_portal *up)
{
	if (up == NULL)
		return;
	free(up->user_mxid);
	free(up->login_id);
	free(up->portal_id);
	free(up->portal_receiver);
	free(up);
}

static void
up_free_v(void *p)
{
	br_user_portal_free(p);
}

void
br_user_portal_list_free(struct br_user_portal **v)
{
	br__list_free((void **)v, up_free_v);
}

static int
scan_up(struct db_stmt *st, void **out)
{
	struct br_user_portal *up = u_calloc(1, sizeof(*up));

	up->user_mxid = br__col_str0(st, 0);
	up->login_id = br__col_str0(st, 1);
	up->portal_id = br__col_str0(st, 2);
	up->portal_receiver = br__col_str0(st, 3);
	up->in_space = db_column_bool(st, 4);
	up->preferred = db_column_bool(st, 5);
	up->last_read = db_column_int64(st, 6);
	*out = up;
	return 0;
}

int
br_store_user_portal_get(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key,
    struct br_user_portal **out)
{
	return br__st_get(db, UP_SELECT "AND user_mxid=$1 AND login_id=$2 AND "
	    "portal_id=$3 AND portal_receiver=$4", BR__ARGS(BR__T(user_mxid),
	    BR__T(login_id), BR__T(key.id), BR__T(key.receiver)), scan_up,
	    up_free_v,
	    (void **)out);
}

int
br_store_user_portal_get_or_create(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key,
    struct br_user_portal **out)
{
	/* The no-op update makes RETURNING give the existing row too. */
	return br__st_get(db, "INSERT INTO user_portal (bridge_id, user_mxid, "
	    "login_id, portal_id, portal_receiver, in_space, preferred) "
	    "VALUES ('', $1, $2, $3, $4, false, false) ON CONFLICT (bridge_id, "
	    "user_mxid, login_id, portal_id, portal_receiver) DO UPDATE SET "
	    "portal_id=user_portal.portal_id RETURNING " UP_COLS,
	    BR__ARGS(BR__T(user_mxid), BR__T(login_id), BR__T(key.id),
	    BR__T(key.receiver)), scan_up, up_free_v, (void **)out);
}

int
br_store_user_portal_put(struct db *db, const struct br_user_portal *up)
{
	return br__st_exec(db, "INSERT INTO user_portal (bridge_id, " UP_COLS
	    ") VALUES ('', $1, $2, $3, $4, $5, $6, $7) ON CONFLICT (bridge_id, "
	    "user_mxid, login_id, portal_id, portal_receiver) DO UPDATE SET "
	    "in_space=excluded.in_space, preferred=excluded.preferred, "
	    "last_read=COALESCE(excluded.last_read, user_portal.last_read)",
	    BR__ARGS(BR__T(up->user_mxid), BR__T(up->login_id),
	    BR__T(up->portal_id), BR__T(up->portal_receiver),
	    BR__B(up->in_space), BR__B(up->preferred),
	    up->last_read != 0 ? BR__I(up->last_read) : BR__N()), NULL);
}

int
br_store_user_portal_set_last_read(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key, int64_t ts)
{
	return br__st_exec(db, "INSERT INTO user_portal (bridge_id, user_mxid, "
	    "login_id, portal_id, portal_receiver, in_space, preferred, "
	    "last_read) VALUES ('', $1, $2, $3, $4, false, false, $5) "
	    "ON CONFLICT (bridge_id, user_mxid, login_id, portal_id, "
	    "portal_receiver) DO UPDATE SET last_read=excluded.last_read",
	    BR__ARGS(BR__T(user_mxid), BR__T(login_id), BR__T(key.id),
	    BR__T(key.receiver), BR__I(ts)), NULL);
}

static int
set_preferred(struct db *db, void *arg)
{
	const struct br_user_portal *up = arg;
	struct br_portal_key key = { up->portal_id, up->portal_receiver };
	struct br_user_portal *row = NULL;
	int r;

	if ((r = br_store_user_portal_get_or_create(db, up->user_mxid,
	    up->login_id, key, &row)) != 0)
		return r;
	br_user_portal_free(row);
	/* The comparison is computed in SQL, as upstream does; the
	 * parameter is cast so PostgreSQL types it as text. */
	return br__st_exec(db, "UPDATE user_portal SET preferred=(login_id="
	    "CAST($2 AS TEXT)) WHERE bridge_id='' AND user_mxid=$1 AND "
	    "portal_id=$3 AND portal_receiver=$4",
	    BR__ARGS(BR__T(up->user_mxid), BR__T(up->login_id),
	    BR__T(up->portal_id), BR__T(up->portal_receiver)), NULL);
}

int
br_store_user_portal_set_preferred(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key)
{
	struct br_user_portal up = {
		.user_mxid = (char *)user_mxid, .login_id = (char *)login_id,
		.portal_id = (char *)key.id,
		.portal_receiver = (char *)key.receiver,
	};

	return db_txn(db, set_preferred, &up);
}

int
br_store_user_portal_list_for_user(struct db *db, const char *user_mxid,
    struct br_portal_key key, struct br_user_portal ***out)
{
	return br__st_list(db, UP_SELECT "AND user_mxid=$1 AND portal_id=$2 "
	    "AND portal_receiver=$3 ORDER BY CASE WHEN preferred THEN 0 ELSE 1 "
	    "END, login_id", BR__ARGS(BR__T(user_mxid), BR__T(key.id),
	    BR__T(key.receiver)), scan_up, up_free_v, (void ***)out);
}

int
br_store_user_portal_list_in_portal(struct db *db, struct br_portal_key key,
    struct br_user_portal ***out)
{
	return br__st_list(db, UP_SELECT "AND portal_id=$1 AND "
	    "portal_receiver=$2 ORDER BY user_mxid, login_id",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), scan_up, up_free_v,
	    (void ***)out);
}

int
br_store_user_portal_list_for_login(struct db *db, const char *user_mxid,
    const char *login_id, struct br_user_portal ***out)
{
	return br__st_list(db, UP_SELECT "AND user_mxid=$1 AND login_id=$2 "
	    "ORDER BY portal_id, portal_receiver", BR__ARGS(BR__T(user_mxid),
	    BR__T(login_id)), scan_up, up_free_v, (void ***)out);
}

int
br_store_user_portal_mark_all_not_in_space(struct db *db,
    struct br_portal_key key)
{
	return br__st_exec(db, "UPDATE user_portal SET in_space=false WHERE "
	    "bridge_id='' AND portal_id=$1 AND portal_receiver=$2",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), NULL);
}

int
br_store_user_portal_delete(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM user_portal WHERE bridge_id='' "
	    "AND user_mxid=$1 AND login_id=$2 AND portal_id=$3 AND "
	    "portal_receiver=$4", BR__ARGS(BR__T(user_mxid), BR__T(login_id),
	    BR__T(key.id), BR__T(key.receiver)), &n);

	return br__changed(r, n);
}

/* ---- kv_store ---- */

static int
scan_str(struct db_stmt *st, void **out)
{
	*out = br__col_str0(st, 0);
	return 0;
}

int
br_store_kv_get(struct db *db, const char *key, char **out)
{
	return br__st_get(db, "SELECT value FROM kv_store WHERE bridge_id='' "
	    "AND key=$1", BR__ARGS(BR__T(key)), scan_str, free, (void **)out);
}

int
br_store_kv_set(struct db *db, const char *key, const char *value)
{
	return br__st_exec(db, "INSERT INTO kv_store (bridge_id, key, value) "
	    "VALUES ('', $1, $2) ON CONFLICT (bridge_id, key) DO UPDATE SET "
	    "value=excluded.value", BR__ARGS(BR__T(key), BR__T(value)), NULL);
}

/* ---- disappearing_message ---- */

#define DM_COLS "mx_room, mxid, timestamp, type, timer, disappear_at"

void
br_disappearing_free(struct br_disappearing *d)
{
	if (d == NULL)
		return;
	free(d->room_mxid);
	free(d->mxid);
	free(d->type);
	free(d);
}

static void
dm_free_v(void *p)
{
	br_disappearing_free(p);
}

void
br_disappearing_list_free(struct br_disappearing **v)
{
	br__list_free((void **)v, dm_free_v);
}

static int
scan_dm(struct db_stmt *st, void **out)
{
	struct br_disappearing *d = u_calloc(1, sizeof(*d));

	d->room_mxid = br__col_str0(st, 0);
	d->mxid = br__col_str0(st, 1);
	d->timestamp = db_column_int64(st, 2);
	d->type = br__col_str0(st, 3);
	d->timer = db_column_int64(st, 4);
	d->disappear_at = db_column_int64(st, 5);
	*out = d;
	return 0;
}

int
br_store_disappearing_put(struct db *db, const struct br_disappearing *d)
{
	return br__st_exec(db, "INSERT INTO disappearing_message (bridge_id, "
	    DM_COLS ") VALUES ('', $1, $2, $3, $4, $5, $6) ON CONFLICT "
	    "(bridge_id, mxid) DO UPDATE SET timer=excluded.timer, "
	    "disappear_at=excluded.disappear_at",
	    BR__ARGS(BR__T(d->room_mxid), BR__T(d->mxid), BR__I(d->timestamp),
	    BR__T(d->type), BR__I(d->timer), d->disappear_at != 0 ?
	    BR__I(d->disappear_at) : BR__N()), NULL);
}

int
br_store_disappearing_get(struct db *db, const char *mxid,
    struct br_disappearing **out)
{
	return br__st_get(db, "SELECT " DM_COLS " FROM disappearing_message "
	    "WHERE bridge_id='' AND mxid=$1", BR__ARGS(BR__T(mxid)), scan_dm,
	    dm_free_v,
	    (void **)out);
}

int
br_store_disappearing_start(struct db *db, const char *room_mxid,
    int64_t read_ts, int64_t now, struct br_disappearing ***out)
{
	return br__st_list(db, "UPDATE disappearing_message SET "
	    "disappear_at=CAST($1 AS BIGINT) + timer WHERE bridge_id='' AND "
	    "mx_room=$2 AND disappear_at IS NULL AND type='after_read' AND "
	    "timestamp<=$3 RETURNING " DM_COLS, BR__ARGS(BR__I(now),
	    BR__T(room_mxid), BR__I(read_ts)), scan_dm, dm_free_v,
	    (void ***)out);
}

int
br_store_disappearing_list_ready(struct db *db, int64_t before, int limit,
    struct br_disappearing ***out)
{
	if (limit < 1 || limit > BR_STORE_LIST_N_MAX)
		return U_ERR_INVALID;
	return br__st_list(db, "SELECT " DM_COLS " FROM disappearing_message "
	    "WHERE bridge_id='' AND disappear_at IS NOT NULL AND "
	    "disappear_at<$1 ORDER BY disappear_at LIMIT $2",
	    BR__ARGS(BR__I(before), BR__I(limit)), scan_dm, dm_free_v,
	    (void ***)out);
}

int
br_store_disappearing_delete(struct db *db, const char *mxid)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM disappearing_message WHERE "
	    "bridge_id='' AND mxid=$1", BR__ARGS(BR__T(mxid)), &n);

	return br__changed(r, n);
}
