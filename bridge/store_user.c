/*
 * store_user.c: "user" and user_login rows (store.h).
 *
 * Queries follow mautrix-go bridgev2/database user.go and userlogin.go;
 * bridge_id is the literal ''.  Does not: decide anything about logins
 * (that is the core's job); user_login.metadata is passed through.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/store_int.h"
#include "util/err.h"
#include "util/mem.h"

void
br_user_free(struct br_user *u)
{
	if (u == NULL)
		return;
	free(u->mxid);
	free(u->management_room);
	free(u->access_token);
	free(u);
}

static void
user_free_v(void *p)
{
	br_user_free(p);
}

static int
scan_user(struct db_stmt *st, void **out)
{
	struct br_user *u = u_calloc(1, sizeof(*u));

	u->mxid = br__col_str0(st, 0);
	u->management_room = br__col_str(st, 1);
	u->access_token = br__col_str(st, 2);
	*out = u;
	return 0;
}

int
br_store_user_get(struct db *db, const char *mxid, struct br_user **out)
{
	return br__st_get(db, "SELECT mxid, management_room, access_token "
	    "FROM \"user\" WHERE bridge_id='' AND mxid=$1",
	    BR__ARGS(BR__T(mxid)), scan_user, user_free_v, (void **)out);
}

int
br_store_user_insert(struct db *db, const struct br_user *u)
{
	return br__st_exec(db, "INSERT INTO \"user\" (bridge_id, mxid, "
	    "management_room, access_token) VALUES ('', $1, $2, $3)",
	    BR__ARGS(BR__T(u->mxid), BR__T(u->management_room),
	    BR__T(u->access_token)), NULL);
}

int
br_store_user_update(struct db *db, const struct br_user *u)
{
	int64_t n = 0;
	int r = br__st_exec(db, "UPDATE \"user\" SET management_room=$2, "
	    "access_token=$3 WHERE bridge_id='' AND mxid=$1",
	    BR__ARGS(BR__T(u->mxid), BR__T(u->management_room),
	    BR__T(u->access_token)), &n);

	return br__changed(r, n);
}

int
br_store_user_delete(struct db *db, const char *mxid)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM \"user\" WHERE bridge_id='' AND "
	    "mxid=$1", BR__ARGS(BR__T(mxid)), &n);

	return br__changed(r, n);
}

/* ---- user_login ---- */

#define LOGIN_COLS "ul.id, ul.user_mxid, ul.remote_name, ul.remote_profile, " \
	"ul.space_room, ul.metadata"

void
br_login_free(struct br_login *l)
{
	if (l == NULL)
		return;
	free(l->id);
	free(l->user_mxid);
	free(l->remote_name);
	json_decref(l->remote_profile);
	free(l->space_room);
	json_decref(l->metadata);
	free(l);
}

static void
login_free_v(void *p)
{
	br_login_free(p);
}

void
br_login_list_free(struct br_login **v)
{
	br__list_free((void **)v, login_free_v);
}

static int
scan_login(struct db_stmt *st, void **out)
{
	struct br_login *l = u_calloc(1, sizeof(*l));
	int r;

	l->id = br__col_str0(st, 0);
	l->user_mxid = br__col_str0(st, 1);
	l->remote_name = br__col_str0(st, 2);
	l->space_room = br__col_str(st, 4);
	if ((r = br__col_json(st, 3, &l->remote_profile)) != 0 ||
	    (r = br__col_json(st, 5, &l->metadata)) != 0) {
		br_login_free(l);
		return r;
	}
	*out = l;
	return 0;
}

int
br_store_login_get(struct db *db, const char *id, struct br_login **out)
{
	return br__st_get(db, "SELECT " LOGIN_COLS " FROM user_login ul "
	    "WHERE ul.bridge_id='' AND ul.id=$1", BR__ARGS(BR__T(id)),
	    scan_login, login_free_v, (void **)out);
}

int
br_store_login_list_by_user(struct db *db, const char *user_mxid,
    struct br_login ***out)
{
	return br__st_list(db, "SELECT " LOGIN_COLS " FROM user_login ul "
	    "WHERE ul.bridge_id='' AND ul.user_mxid=$1 ORDER BY ul.id",
	    BR__ARGS(BR__T(user_mxid)), scan_login, login_free_v,
	    (void ***)out);
}

int
br_store_login_list_in_portal(struct db *db, struct br_portal_key key,
    struct br_login ***out)
{
	/* Inner join: a user_portal row always has its login (FK). */
	return br__st_list(db, "SELECT " LOGIN_COLS " FROM user_portal up "
	    "JOIN user_login ul ON up.bridge_id=ul.bridge_id AND "
	    "up.user_mxid=ul.user_mxid AND up.login_id=ul.id "
	    "WHERE up.bridge_id='' AND up.portal_id=$1 AND "
	    "up.portal_receiver=$2 ORDER BY ul.id",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), scan_login,
	    login_free_v, (void ***)out);
}

static int
scan_str(struct db_stmt *st, void **out)
{
	*out = br__col_str0(st, 0);
	return 0;
}

static void
str_free_v(void *p)
{
	free(p);
}

void
br_strv_free(char **v)
{
	br__list_free((void **)v, str_free_v);
}

int
br_store_login_users(struct db *db, char ***out)
{
	return br__st_list(db, "SELECT DISTINCT user_mxid FROM user_login "
	    "WHERE bridge_id='' ORDER BY user_mxid", NULL, 0, scan_str,
	    str_free_v, (void ***)out);
}

int
br_store_login_insert(struct db *db, const struct br_login *l)
{
	return br__st_exec(db, "INSERT INTO user_login (bridge_id, user_mxid, "
	    "id, remote_name, remote_profile, space_room, metadata) "
	    "VALUES ('', $1, $2, $3, $4, $5, $6)",
	    BR__ARGS(BR__T(l->user_mxid), BR__T(l->id),
	    BR__T(l->remote_name != NULL ? l->remote_name : ""),
	    BR__J(l->remote_profile), BR__T(l->space_room),
	    BR__JO(l->metadata)), NULL);
}

int
br_store_login_update(struct db *db, const struct br_login *l)
{
	int64_t n = 0;
	int r = br__st_exec(db, "UPDATE user_login SET remote_name=$3, "
	    "remote_profile=$4, space_room=$5, metadata=$6 "
	    "WHERE bridge_id='' AND user_mxid=$1 AND id=$2",
	    BR__ARGS(BR__T(l->user_mxid), BR__T(l->id),
	    BR__T(l->remote_name != NULL ? l->remote_name : ""),
	    BR__J(l->remote_profile), BR__T(l->space_room),
	    BR__JO(l->metadata)), &n);

	return br__changed(r, n);
}

int
br_store_login_delete(struct db *db, const char *id)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM user_login WHERE bridge_id='' "
	    "AND id=$1", BR__ARGS(BR__T(id)), &n);

	return br__changed(r, n);
}
