/*
 * store_portal.c: portal and ghost rows (store.h).
 *
 * Queries follow mautrix-go bridgev2/database portal.go and ghost.go.
 * One deliberate difference: upstream's insert/update bind TopicSet to
 * the avatar_set column and AvatarSet to topic_set while its select reads
 * them the other way round (so the two flags swap on each save/load); we
 * use each column for its own flag.  The flags only decide whether a
 * room's name/topic/avatar is re-sent, so a swap read from an upstream
 * database costs at most one redundant state event.
 *
 * relay_bridge_id is '' exactly when relay_login_id is set (the composite
 * foreign key to user_login needs both), computed here instead of
 * upstream's CASE in SQL.  disappear_timer is stored only with a type.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/store_int.h"
#include "util/err.h"
#include "util/mem.h"

#define PORTAL_COLS "id, receiver, mxid, parent_id, parent_receiver, " \
	"relay_login_id, other_user_id, name, topic, avatar_id, avatar_hash, " \
	"avatar_mxc, name_set, topic_set, avatar_set, name_is_custom, " \
	"in_space, message_request, room_type, disappear_type, " \
	"disappear_timer, cap_state, metadata"
#define PORTAL_SELECT "SELECT " PORTAL_COLS " FROM portal WHERE bridge_id='' "

void
br_portal_free(struct br_portal *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->receiver);
	free(p->mxid);
	free(p->parent_id);
	free(p->parent_receiver);
	free(p->relay_login_id);
	free(p->other_user_id);
	free(p->name);
	free(p->topic);
	free(p->avatar_id);
	free(p->avatar_hash);
	free(p->avatar_mxc);
	free(p->room_type);
	free(p->disappear_type);
	json_decref(p->cap_state);
	json_decref(p->metadata);
	free(p);
}

static void
portal_free_v(void *p)
{
	br_portal_free(p);
}

void
br_portal_list_free(struct br_portal **v)
{
	br__list_free((void **)v, portal_free_v);
}

static int
scan_portal(struct db_stmt *st, void **out)
{
	struct br_portal *p = u_calloc(1, sizeof(*p));
	int r;

	p->id = br__col_str0(st, 0);
	p->receiver = br__col_str0(st, 1);
	p->mxid = br__col_str(st, 2);
	p->parent_id = br__col_str(st, 3);
	p->parent_receiver = br__col_str0(st, 4);
	p->relay_login_id = br__col_str(st, 5);
	p->other_user_id = br__col_str(st, 6);
	p->name = br__col_str0(st, 7);
	p->topic = br__col_str0(st, 8);
	p->avatar_id = br__col_str0(st, 9);
	p->avatar_hash = br__col_str0(st, 10);
	p->avatar_mxc = br__col_str0(st, 11);
	p->name_set = db_column_bool(st, 12);
	p->topic_set = db_column_bool(st, 13);
	p->avatar_set = db_column_bool(st, 14);
	p->name_is_custom = db_column_bool(st, 15);
	p->in_space = db_column_bool(st, 16);
	p->message_request = db_column_bool(st, 17);
	p->room_type = br__col_str0(st, 18);
	p->disappear_type = br__col_str(st, 19);
	if (p->disappear_type != NULL)
		p->disappear_timer = db_column_int64(st, 20);
	if ((r = br__col_json(st, 21, &p->cap_state)) != 0 ||
	    (r = br__col_json(st, 22, &p->metadata)) != 0) {
		br_portal_free(p);
		return r;
	}
	*out = p;
	return 0;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* Empty strings in optional columns are stored as NULL, like upstream's
 * dbutil.StrPtr. */
static const char *
nullable(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

int
br_store_portal_get(struct db *db, struct br_portal_key key,
    struct br_portal **out)
{
	return br__st_get(db, PORTAL_SELECT "AND id=$1 AND receiver=$2",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), scan_portal,
	    portal_free_v,
	    (void **)out);
}

int
br_store_portal_get_any_receiver(struct db *db, struct br_portal_key key,
    struct br_portal **out)
{
	/* Prefer the exact receiver over the shared row. */
	return br__st_get(db, PORTAL_SELECT "AND id=$1 AND "
	    "(receiver=$2 OR receiver='') ORDER BY receiver DESC",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), scan_portal,
	    portal_free_v,
	    (void **)out);
}

int
br_store_portal_get_by_mxid(struct db *db, const char *mxid,
    struct br_portal **out)
{
	return br__st_get(db, PORTAL_SELECT "AND mxid=$1",
	    BR__ARGS(BR__T(mxid)), scan_portal, portal_free_v, (void **)out);
}

int
br_store_portal_list_with_room(struct db *db, struct br_portal ***out)
{
	return br__st_list(db, PORTAL_SELECT "AND mxid IS NOT NULL "
	    "ORDER BY id, receiver", NULL, 0, scan_portal, portal_free_v,
	    (void ***)out);
}

int
br_store_portal_list_all(struct db *db, struct br_portal ***out)
{
	return br__st_list(db, PORTAL_SELECT "ORDER BY id, receiver", NULL, 0,
	    scan_portal, portal_free_v, (void ***)out);
}

int
br_store_portal_list_by_relay(struct db *db, const char *login_id,
    struct br_portal ***out)
{
	return br__st_list(db, PORTAL_SELECT "AND relay_login_id=$1 "
	    "ORDER BY id, receiver", BR__ARGS(BR__T(login_id)), scan_portal,
	    portal_free_v, (void ***)out);
}

int
br_store_portal_list_children(struct db *db, struct br_portal_key parent,
    struct br_portal ***out)
{
	return br__st_list(db, PORTAL_SELECT "AND parent_id=$1 AND "
	    "parent_receiver=$2 ORDER BY id, receiver",
	    BR__ARGS(BR__T(parent.id), BR__T(parent.receiver)), scan_portal,
	    portal_free_v, (void ***)out);
}

int
br_store_portal_list_dms_with(struct db *db, const char *other_user_id,
    struct br_portal ***out)
{
	return br__st_list(db, PORTAL_SELECT "AND room_type='dm' AND "
	    "other_user_id=$1 ORDER BY id, receiver",
	    BR__ARGS(BR__T(other_user_id)), scan_portal, portal_free_v,
	    (void ***)out);
}

int
br_store_portal_get_dm(struct db *db, const char *receiver,
    const char *other_user_id, struct br_portal **out)
{
	return br__st_get(db, PORTAL_SELECT "AND room_type='dm' AND "
	    "receiver=$1 AND other_user_id=$2 ORDER BY id",
	    BR__ARGS(BR__T(receiver), BR__T(other_user_id)), scan_portal,
	    portal_free_v,
	    (void **)out);
}

/* The 24 values $1..$24 of the SQL below: the key, then the columns. */
#define PORTAL_VALUES(p) \
	BR__T(nz((p)->id)), BR__T(nz((p)->receiver)), \
	BR__T(nullable((p)->mxid)), BR__T(nullable((p)->parent_id)), \
	BR__T(nullable((p)->parent_id) ? nz((p)->parent_receiver) : ""), \
	BR__T(nullable((p)->relay_login_id) ? "" : NULL), \
	BR__T(nullable((p)->relay_login_id)), \
	BR__T(nullable((p)->other_user_id)), \
	BR__T(nz((p)->name)), BR__T(nz((p)->topic)), \
	BR__T(nz((p)->avatar_id)), BR__T(nz((p)->avatar_hash)), \
	BR__T(nz((p)->avatar_mxc)), BR__B((p)->name_set), \
	BR__B((p)->topic_set), BR__B((p)->avatar_set), \
	BR__B((p)->name_is_custom), BR__B((p)->in_space), \
	BR__B((p)->message_request), BR__T(nz((p)->room_type)), \
	BR__T(nullable((p)->disappear_type)), \
	nullable((p)->disappear_type) ? BR__I((p)->disappear_timer) : BR__N(), \
	BR__J((p)->cap_state), BR__JO((p)->metadata)

int
br_store_portal_insert(struct db *db, const struct br_portal *p)
{
	return br__st_exec(db, "INSERT INTO portal (bridge_id, id, receiver, "
	    "mxid, parent_id, parent_receiver, relay_bridge_id, "
	    "relay_login_id, other_user_id, name, topic, avatar_id, "
	    "avatar_hash, avatar_mxc, name_set, topic_set, avatar_set, "
	    "name_is_custom, in_space, message_request, room_type, "
	    "disappear_type, disappear_timer, cap_state, metadata) VALUES "
	    "('', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
	    "$15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
	    BR__ARGS(PORTAL_VALUES(p)), NULL);
}

int
br_store_portal_update(struct db *db, const struct br_portal *p)
{
	int64_t n = 0;
	int r = br__st_exec(db, "UPDATE portal SET mxid=$3, parent_id=$4, "
	    "parent_receiver=$5, relay_bridge_id=$6, relay_login_id=$7, "
	    "other_user_id=$8, name=$9, topic=$10, avatar_id=$11, "
	    "avatar_hash=$12, avatar_mxc=$13, name_set=$14, topic_set=$15, "
	    "avatar_set=$16, name_is_custom=$17, in_space=$18, "
	    "message_request=$19, room_type=$20, disappear_type=$21, "
	    "disappear_timer=$22, cap_state=$23, metadata=$24 "
	    "WHERE bridge_id='' AND id=$1 AND receiver=$2",
	    BR__ARGS(PORTAL_VALUES(p)), &n);

	return br__changed(r, n);
}

int
br_store_portal_delete(struct db *db, struct br_portal_key key)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM portal WHERE bridge_id='' AND "
	    "id=$1 AND receiver=$2",
	    BR__ARGS(BR__T(key.id), BR__T(key.receiver)), &n);

	return br__changed(r, n);
}

int
br_store_portal_reid(struct db *db, struct br_portal_key from,
    struct br_portal_key to)
{
	int64_t n = 0;
	int r = br__st_exec(db, "UPDATE portal SET id=$3, receiver=$4 "
	    "WHERE bridge_id='' AND id=$1 AND receiver=$2",
	    BR__ARGS(BR__T(from.id), BR__T(from.receiver), BR__T(to.id),
	    BR__T(to.receiver)), &n);

	return br__changed(r, n);
}

/* ---- ghost ---- */

#define GHOST_COLS "id, name, avatar_id, avatar_hash, avatar_mxc, name_set, " \
	"avatar_set, contact_info_set, is_bot, identifiers, extra_profile, " \
	"metadata"

void
br_ghost_free(struct br_ghost *g)
{
	if (g == NULL)
		return;
	free(g->id);
	free(g->name);
	free(g->avatar_id);
	free(g->avatar_hash);
	free(g->avatar_mxc);
	json_decref(g->identifiers);
	json_decref(g->extra_profile);
	json_decref(g->metadata);
	free(g);
}

static void
ghost_free_v(void *p)
{
	br_ghost_free(p);
}

static int
scan_ghost(struct db_stmt *st, void **out)
{
	struct br_ghost *g = u_calloc(1, sizeof(*g));
	int r;

	g->id = br__col_str0(st, 0);
	g->name = br__col_str0(st, 1);
	g->avatar_id = br__col_str0(st, 2);
	g->avatar_hash = br__col_str0(st, 3);
	g->avatar_mxc = br__col_str0(st, 4);
	g->name_set = db_column_bool(st, 5);
	g->avatar_set = db_column_bool(st, 6);
	g->contact_info_set = db_column_bool(st, 7);
	g->is_bot = db_column_bool(st, 8);
	if ((r = br__col_json(st, 9, &g->identifiers)) != 0 ||
	    (r = br__col_json(st, 10, &g->extra_profile)) != 0 ||
	    (r = br__col_json(st, 11, &g->metadata)) != 0) {
		br_ghost_free(g);
		return r;
	}
	*out = g;
	return 0;
}

int
br_store_ghost_get(struct db *db, const char *id, struct br_ghost **out)
{
	return br__st_get(db, "SELECT " GHOST_COLS " FROM ghost WHERE "
	    "bridge_id='' AND id=$1", BR__ARGS(BR__T(id)), scan_ghost,
	    ghost_free_v,
	    (void **)out);
}

#define GHOST_VALUES(g) \
	BR__T(nz((g)->id)), BR__T(nz((g)->name)), BR__T(nz((g)->avatar_id)), \
	BR__T(nz((g)->avatar_hash)), BR__T(nz((g)->avatar_mxc)), \
	BR__B((g)->name_set), BR__B((g)->avatar_set), \
	BR__B((g)->contact_info_set), BR__B((g)->is_bot), \
	BR__JA((g)->identifiers), BR__J((g)->extra_profile), \
	BR__JO((g)->metadata)

int
br_store_ghost_insert(struct db *db, const struct br_ghost *g)
{
	return br__st_exec(db, "INSERT INTO ghost (bridge_id, " GHOST_COLS
	    ") VALUES ('', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	    BR__ARGS(GHOST_VALUES(g)), NULL);
}

int
br_store_ghost_update(struct db *db, const struct br_ghost *g)
{
	int64_t n = 0;
	int r = br__st_exec(db, "UPDATE ghost SET name=$2, avatar_id=$3, "
	    "avatar_hash=$4, avatar_mxc=$5, name_set=$6, avatar_set=$7, "
	    "contact_info_set=$8, is_bot=$9, identifiers=$10, "
	    "extra_profile=$11, metadata=$12 WHERE bridge_id='' AND id=$1",
	    BR__ARGS(GHOST_VALUES(g)), &n);

	return br__changed(r, n);
}

int
br_store_ghost_delete(struct db *db, const char *id)
{
	int64_t n = 0;
	int r = br__st_exec(db, "DELETE FROM ghost WHERE bridge_id='' AND "
	    "id=$1", BR__ARGS(BR__T(id)), &n);

	return br__changed(r, n);
}
