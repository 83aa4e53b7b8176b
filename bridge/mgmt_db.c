/*
 * mgmt_db.c: the management room column of the "user" table, read and
 * written with db/ directly.  Small on purpose: when the typed store
 * (bridge/store*.c, br_store_user_*) lands, these two functions switch to
 * it and nothing else changes.
 *
 * Rows are mautrix-go bridgev2's: bridge_id '' (mautrix-whatsapp's), the
 * MXID, management_room NULL when there is none; like upstream, a row is
 * created for every Matrix user whose event the bridge looks at.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "db/db.h"
#include "util/mem.h"

int
br_mgmt_db_get(struct db *db, const char *mxid, char **room)
{
	struct db_stmt *st = NULL;
	const char *v;
	int r;

	r = db_prepare(db, "SELECT management_room FROM \"user\" WHERE "
	    "bridge_id='' AND mxid=$1", &st);
	if (r < 0)
		goto out;
	if ((r = db_bind_text(st, 1, mxid)) < 0)
		goto out;
	r = db_step(st);
	if (r < 0)
		goto out;
	v = r == DB_ROW ? db_column_text(st, 0) : NULL;
	*room = v != NULL && v[0] != '\0' ? u_strdup(v) : NULL;
	r = 0;
out:
	db_stmt_free(st);
	return r;
}

int
br_user_db_load(struct db *db, const char *mxid, char **room)
{
	struct db_stmt *st = NULL;
	const char *v;
	int r, found;

	r = db_prepare(db, "SELECT management_room FROM \"user\" WHERE "
	    "bridge_id='' AND mxid=$1", &st);
	if (r < 0)
		goto out;
	if ((r = db_bind_text(st, 1, mxid)) < 0)
		goto out;
	if ((r = db_step(st)) < 0)
		goto out;
	found = r == DB_ROW;
	v = found ? db_column_text(st, 0) : NULL;
	*room = v != NULL && v[0] != '\0' ? u_strdup(v) : NULL;
	db_stmt_free(st);
	st = NULL;
	r = 0;
	if (found)
		goto out;
	/* Upstream's GetUserByMXID inserts the row for any new sender. */
	r = db_prepare(db, "INSERT INTO \"user\" (bridge_id, mxid) VALUES "
	    "('', $1) ON CONFLICT (bridge_id, mxid) DO NOTHING", &st);
	if (r < 0 || (r = db_bind_text(st, 1, mxid)) < 0 ||
	    (r = db_stmt_exec(st)) < 0) {
		free(*room);
		*room = NULL;
		goto out;
	}
out:
	db_stmt_free(st);
	return r;
}

int
br_mgmt_db_set(struct db *db, const char *mxid, const char *room)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, "INSERT INTO \"user\" (bridge_id, mxid, "
	    "management_room) VALUES ('', $1, $2) ON CONFLICT (bridge_id, "
	    "mxid) DO UPDATE SET management_room=excluded.management_room",
	    &st);
	if (r < 0)
		goto out;
	if ((r = db_bind_text(st, 1, mxid)) < 0 ||
	    (r = db_bind_text(st, 2, room)) < 0)
		goto out;
	r = db_stmt_exec(st);
out:
	db_stmt_free(st);
	return r;
}

/* 1 if the query returns a row, 0 if not, negative on error. */
static int
exists(struct db *db, const char *sql, const char *arg)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, sql, &st);
	if (r < 0)
		goto out;
	if ((r = db_bind_text(st, 1, arg)) < 0)
		goto out;
	r = db_step(st);
	if (r >= 0)
		r = r == DB_ROW;
out:
	db_stmt_free(st);
	return r;
}

int
br_db_room_is_portal(struct db *db, const char *room_id)
{
	return exists(db, "SELECT 1 FROM portal WHERE bridge_id='' AND "
	    "mxid=$1", room_id);
}

int
br_db_user_has_login(struct db *db, const char *mxid)
{
	return exists(db, "SELECT 1 FROM user_login WHERE bridge_id='' AND "
	    "user_mxid=$1", mxid);
}
