/*
 * mgmt_db.c: what the core reads about users and rooms, on the typed
 * store (bridge/store.h): the management room of a user, the "user" row
 * every sender gets, whether a room is a portal, whether a user has a
 * login.  One small file so that the core's files never see the store's
 * structs for these few questions.
 *
 * Rows are mautrix-go bridgev2's: bridge_id '' (mautrix-whatsapp's), the
 * MXID, management_room NULL when there is none; like upstream, a row is
 * created for every Matrix user whose event the bridge looks at.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/store.h"
#include "util/err.h"
#include "util/mem.h"

static char *
room_of(const struct br_user *u)
{
	return u->management_room != NULL && u->management_room[0] != '\0' ?
	    u_strdup(u->management_room) : NULL;
}

int
br_mgmt_db_get(struct db *db, const char *mxid, char **room)
{
	struct br_user *u = NULL;
	int r = br_store_user_get(db, mxid, &u);

	if (r == U_ERR_NOT_FOUND) {
		*room = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	*room = room_of(u);
	br_user_free(u);
	return 0;
}

int
br_user_db_load(struct db *db, const char *mxid, char **room)
{
	struct br_user *u = NULL, nu;
	int r = br_store_user_get(db, mxid, &u);

	if (r == U_ERR_NOT_FOUND) {
		/* Upstream's GetUserByMXID inserts the row for any new
		 * sender. */
		memset(&nu, 0, sizeof(nu));
		nu.mxid = (char *)(uintptr_t)mxid;	/* borrowed by insert */
		if ((r = br_store_user_insert(db, &nu)) < 0)
			return r;
		*room = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	*room = room_of(u);
	br_user_free(u);
	return 0;
}

int
br_mgmt_db_set(struct db *db, const char *mxid, const char *room)
{
	struct br_user *u = NULL, nu;
	int r = br_store_user_get(db, mxid, &u);

	if (r == U_ERR_NOT_FOUND) {
		memset(&nu, 0, sizeof(nu));
		nu.mxid = (char *)(uintptr_t)mxid;
		nu.management_room = (char *)(uintptr_t)room;
		return br_store_user_insert(db, &nu);
	}
	if (r < 0)
		return r;
	free(u->management_room);
	u->management_room = room != NULL ? u_strdup(room) : NULL;
	r = br_store_user_update(db, u);
	br_user_free(u);
	return r;
}

int
br_db_room_is_portal(struct db *db, const char *room_id)
{
	struct br_portal *p = NULL;
	int r = br_store_portal_get_by_mxid(db, room_id, &p);

	if (r == U_ERR_NOT_FOUND)
		return 0;
	if (r < 0)
		return r;
	br_portal_free(p);
	return 1;
}

int
br_db_user_has_login(struct db *db, const char *mxid)
{
	struct br_login **v = NULL;
	int r = br_store_login_list_by_user(db, mxid, &v), has;

	if (r < 0)
		return r;
	has = v != NULL && v[0] != NULL;
	br_login_list_free(v);
	return has;
}
