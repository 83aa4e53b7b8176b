/*
 * test_br_store.c: bridge/store.h on a real database.
 *
 * Runs on the backend PONTON_TEST_DB names (SQLite by default, PostgreSQL
 * from test/suites/30-db.sh), on a fresh database brought to the latest
 * schema by db_upgrade for each test.  Covers every store function, the
 * foreign-key cascades, the unique constraints, JSON round trips and
 * NULL handling.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"
#include "bridge/store.h"
#include "util/err.h"

#define ALICE "@alice:example.com"
#define BOB "@bob:example.com"
#define LOGIN_A "4915100000001"
#define LOGIN_B "4915100000002"
#define GROUP "120363012345678901@g.us"
#define DM "4915199999999@s.whatsapp.net"
#define GHOST "4915199999999"
#define GHOST2 "lid-123456789012345"

static struct db *
open_db(struct tdb *t)
{
	if (tdb_fresh(t, NULL) != 0)
		return NULL;
	if (db_upgrade(t->db) != 0) {
		fprintf(stderr, "  upgrade: %s\n", db_errmsg(t->db));
		return NULL;
	}
	return t->db;
}

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	if (j == NULL) {
		fprintf(stderr, "bad test JSON %s\n", text);
		abort();
	}
	return j;
}

/* 1 if a and b are equal JSON values (NULL == NULL). */
static int
jeq(const json_t *a, const char *b)
{
	json_t *jb;
	int r;

	if (b == NULL)
		return a == NULL;
	if (a == NULL)
		return 0;
	jb = js(b);
	r = json_equal(a, jb);
	json_decref(jb);
	return r;
}

/* User ALICE with login LOGIN_A, user BOB with LOGIN_B, ghosts GHOST and
 * GHOST2, a shared group portal and ALICE's DM portal. */
static int
fixture(struct db *db)
{
	struct br_user ua = { .mxid = ALICE }, ub = { .mxid = BOB };
	struct br_login la = { .id = LOGIN_A, .user_mxid = ALICE,
	    .remote_name = "+" LOGIN_A };
	struct br_login lb = { .id = LOGIN_B, .user_mxid = BOB,
	    .remote_name = "+" LOGIN_B };
	struct br_ghost g = { .id = GHOST, .name = "Ghost" };
	struct br_ghost g2 = { .id = GHOST2, .name = "Lid ghost" };
	struct br_portal grp = { .id = GROUP, .receiver = "", .mxid =
	    "!group:example.com", .name = "Group", .room_type = "" };
	struct br_portal dm = { .id = DM, .receiver = LOGIN_A, .mxid =
	    "!dm:example.com", .other_user_id = GHOST, .room_type = "dm" };
	int r;

	if ((r = br_store_user_insert(db, &ua)) != 0 ||
	    (r = br_store_user_insert(db, &ub)) != 0 ||
	    (r = br_store_login_insert(db, &la)) != 0 ||
	    (r = br_store_login_insert(db, &lb)) != 0 ||
	    (r = br_store_ghost_insert(db, &g)) != 0 ||
	    (r = br_store_ghost_insert(db, &g2)) != 0 ||
	    (r = br_store_portal_insert(db, &grp)) != 0 ||
	    (r = br_store_portal_insert(db, &dm)) != 0)
		fprintf(stderr, "  fixture: %d %s\n", r, db_errmsg(db));
	return r;
}

#define SETUP(t, db)							\
	struct tdb t;							\
	struct db *db = open_db(&t);					\
	if (db == NULL || fixture(db) != 0) {				\
		tdb_done(&t);						\
		REQUIRE(0);						\
	}

static const struct br_portal_key group_key = { GROUP, "" };
static const struct br_portal_key dm_key = { DM, LOGIN_A };

TEST(test_br_store_user_crud)
{
	struct br_user u = { .mxid = "@carol:example.com",
	    .management_room = "!mgmt:example.com" }, *got = NULL;

	SETUP(t, db);
	CHECK_EQ_INT(br_store_user_insert(db, &u), 0);
	CHECK_EQ_INT(br_store_user_insert(db, &u), DB_ERR_CONSTRAINT);
	REQUIRE(br_store_user_get(db, u.mxid, &got) == 0);
	CHECK_EQ_STR(got->mxid, u.mxid);
	CHECK_EQ_STR(got->management_room, "!mgmt:example.com");
	CHECK(got->access_token == NULL);
	br_user_free(got);
	got = NULL;

	u.management_room = NULL;
	u.access_token = "syt_secret";
	CHECK_EQ_INT(br_store_user_update(db, &u), 0);
	REQUIRE(br_store_user_get(db, u.mxid, &got) == 0);
	CHECK(got->management_room == NULL);
	CHECK_EQ_STR(got->access_token, "syt_secret");
	br_user_free(got);
	got = NULL;

	CHECK_EQ_INT(br_store_user_get(db, "@nobody:example.com", &got),
	    U_ERR_NOT_FOUND);
	CHECK(got == NULL);
	u.mxid = "@nobody:example.com";
	CHECK_EQ_INT(br_store_user_update(db, &u), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_user_delete(db, "@carol:example.com"), 0);
	CHECK_EQ_INT(br_store_user_delete(db, "@carol:example.com"),
	    U_ERR_NOT_FOUND);
	br_user_free(NULL);
	tdb_done(&t);
}

TEST(test_br_store_login_crud_and_json)
{
	struct br_login l = { .id = "4915100000003", .user_mxid = ALICE,
	    .remote_name = "+4915100000003" }, *got = NULL, **v = NULL;
	char **users = NULL;

	SETUP(t, db);
	/* No metadata given: {} is written (NOT NULL column). */
	CHECK_EQ_INT(br_store_login_insert(db, &l), 0);
	REQUIRE(br_store_login_get(db, l.id, &got) == 0);
	CHECK(jeq(got->metadata, "{}"));
	CHECK(got->remote_profile == NULL);
	CHECK(got->space_room == NULL);
	CHECK_EQ_STR(got->remote_name, "+4915100000003");
	br_login_free(got);
	got = NULL;

	l.metadata = js("{\"wa_device_id\":12,\"phone_last_seen\":1700000000,"
	    "\"timezone\":\"Europe/Berlin\",\"push_keys\":{\"p256dh\":\"AQ==\","
	    "\"auth\":\"Ag==\",\"private\":\"Aw==\"},\"app_state_recovery_"
	    "attempted\":{\"regular\":\"2024-01-01T00:00:00Z\"}}");
	l.remote_profile = js("{\"phone\":\"+4915100000003\",\"name\":"
	    "\"Caf\\u00e9 \\ud83d\\ude00\"}");
	l.space_room = "!space:example.com";
	CHECK_EQ_INT(br_store_login_update(db, &l), 0);
	REQUIRE(br_store_login_get(db, l.id, &got) == 0);
	CHECK(json_equal(got->metadata, l.metadata));
	CHECK(json_equal(got->remote_profile, l.remote_profile));
	CHECK_EQ_STR(got->space_room, "!space:example.com");
	CHECK_EQ_INT(json_integer_value(json_object_get(got->metadata,
	    "wa_device_id")), 12);
	br_login_free(got);
	got = NULL;

	REQUIRE(br_store_login_list_by_user(db, ALICE, &v) == 0);
	REQUIRE(v[0] != NULL && v[1] != NULL);
	CHECK_EQ_STR(v[0]->id, LOGIN_A);
	CHECK_EQ_STR(v[1]->id, "4915100000003");
	CHECK(v[2] == NULL);
	br_login_list_free(v);
	v = NULL;
	REQUIRE(br_store_login_list_by_user(db, "@x:y", &v) == 0);
	CHECK(v[0] == NULL);
	br_login_list_free(v);

	REQUIRE(br_store_login_users(db, &users) == 0);
	REQUIRE(users[0] != NULL && users[1] != NULL);
	CHECK_EQ_STR(users[0], ALICE);
	CHECK_EQ_STR(users[1], BOB);
	CHECK(users[2] == NULL);
	br_strv_free(users);

	/* A login needs its user (FK). */
	l.id = "4915100000004";
	l.user_mxid = "@nobody:example.com";
	CHECK_EQ_INT(br_store_login_insert(db, &l), DB_ERR_CONSTRAINT);
	l.user_mxid = ALICE;
	CHECK_EQ_INT(br_store_login_update(db, &l), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_login_delete(db, "4915100000003"), 0);
	CHECK_EQ_INT(br_store_login_get(db, "4915100000003", &got),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_login_delete(db, "4915100000003"),
	    U_ERR_NOT_FOUND);

	/* Deleting a user deletes its logins. */
	CHECK_EQ_INT(br_store_user_delete(db, BOB), 0);
	CHECK_EQ_INT(br_store_login_get(db, LOGIN_B, &got), U_ERR_NOT_FOUND);
	json_decref(l.metadata);
	json_decref(l.remote_profile);
	br_login_free(NULL);
	br_login_list_free(NULL);
	tdb_done(&t);
}

TEST(test_br_store_portal_roundtrip)
{
	struct br_portal p = {
		.id = "120363000000000002@g.us", .receiver = "",
		.mxid = "!p2:example.com", .parent_id = GROUP,
		.parent_receiver = "", .relay_login_id = LOGIN_A,
		.name = "Name", .topic = "Topic", .avatar_id = "123",
		.avatar_hash = "ab01", .avatar_mxc = "mxc://example.com/x",
		.name_set = 1, .avatar_set = 0, .topic_set = 1,
		.name_is_custom = 0, .in_space = 1, .message_request = 1,
		.room_type = "", .disappear_type = "after_send",
		.disappear_timer = 86400LL * 1000000000LL,
	}, *got = NULL, **v = NULL;
	struct br_portal_key k = { p.id, p.receiver };

	SETUP(t, db);
	p.cap_state = js("{\"source\":\"" LOGIN_A "\",\"id\":\"fi.mau.whatsapp"
	    ".capabilities.2026_07_22\",\"flags\":1}");
	p.metadata = js("{\"disappearing_timer_set_at\":1700000000,\"is_cag\""
	    ":true,\"addressing_mode\":\"lid\"}");
	CHECK_EQ_INT(br_store_portal_insert(db, &p), 0);
	CHECK_EQ_INT(br_store_portal_insert(db, &p), DB_ERR_CONSTRAINT);
	REQUIRE(br_store_portal_get(db, k, &got) == 0);
	CHECK_EQ_STR(got->id, p.id);
	CHECK_EQ_STR(got->receiver, "");
	CHECK_EQ_STR(got->mxid, "!p2:example.com");
	CHECK_EQ_STR(got->parent_id, GROUP);
	CHECK_EQ_STR(got->parent_receiver, "");
	CHECK_EQ_STR(got->relay_login_id, LOGIN_A);
	CHECK(got->other_user_id == NULL);
	CHECK_EQ_STR(got->name, "Name");
	CHECK_EQ_STR(got->topic, "Topic");
	CHECK_EQ_STR(got->avatar_id, "123");
	CHECK_EQ_STR(got->avatar_hash, "ab01");
	CHECK_EQ_STR(got->avatar_mxc, "mxc://example.com/x");
	/* Each flag in its own column (upstream swaps avatar/topic). */
	CHECK_EQ_INT(got->name_set, 1);
	CHECK_EQ_INT(got->avatar_set, 0);
	CHECK_EQ_INT(got->topic_set, 1);
	CHECK_EQ_INT(got->name_is_custom, 0);
	CHECK_EQ_INT(got->in_space, 1);
	CHECK_EQ_INT(got->message_request, 1);
	CHECK_EQ_STR(got->room_type, "");
	CHECK_EQ_STR(got->disappear_type, "after_send");
	CHECK_EQ_INT(got->disappear_timer, 86400LL * 1000000000LL);
	CHECK(json_equal(got->cap_state, p.cap_state));
	CHECK(json_equal(got->metadata, p.metadata));
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM portal WHERE "
	    "relay_bridge_id='' AND id=$1", p.id), 1);
	br_portal_free(got);
	got = NULL;

	/* Clearing optional fields writes NULLs; timer goes with type. */
	p.mxid = NULL;
	p.parent_id = NULL;
	p.relay_login_id = "";
	p.disappear_type = NULL;
	json_decref(p.cap_state);
	p.cap_state = NULL;
	p.avatar_set = 1;
	p.topic_set = 0;
	CHECK_EQ_INT(br_store_portal_update(db, &p), 0);
	REQUIRE(br_store_portal_get(db, k, &got) == 0);
	CHECK(got->mxid == NULL);
	CHECK(got->parent_id == NULL);
	CHECK_EQ_STR(got->parent_receiver, "");
	CHECK(got->relay_login_id == NULL);
	CHECK(got->disappear_type == NULL);
	CHECK_EQ_INT(got->disappear_timer, 0);
	CHECK(got->cap_state == NULL);
	CHECK_EQ_INT(got->avatar_set, 1);
	CHECK_EQ_INT(got->topic_set, 0);
	br_portal_free(got);
	got = NULL;
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM portal WHERE "
	    "relay_bridge_id IS NULL AND disappear_timer IS NULL AND "
	    "cap_state IS NULL AND id=$1", p.id), 1);

	/* Two portals may not share a room. */
	p.mxid = "!group:example.com";
	CHECK_EQ_INT(br_store_portal_update(db, &p), DB_ERR_CONSTRAINT);
	/* A parent must exist. */
	p.mxid = NULL;
	p.parent_id = "nope@g.us";
	CHECK_EQ_INT(br_store_portal_update(db, &p), DB_ERR_CONSTRAINT);
	p.id = "nope@g.us";
	p.parent_id = NULL;
	CHECK_EQ_INT(br_store_portal_update(db, &p), U_ERR_NOT_FOUND);

	CHECK_EQ_INT(br_store_portal_list_all(db, &v), 0);
	REQUIRE(v != NULL);
	CHECK(v[0] && v[1] && v[2] && !v[3]);
	br_portal_list_free(v);
	v = NULL;
	json_decref(p.metadata);
	br_portal_free(NULL);
	br_portal_list_free(NULL);
	tdb_done(&t);
}

TEST(test_br_store_portal_lookups)
{
	struct br_portal *got = NULL, **v = NULL;
	struct br_portal child = { .id = "120363000000000003@g.us",
	    .receiver = "", .parent_id = GROUP, .relay_login_id = LOGIN_B,
	    .room_type = "" };
	struct br_portal split = { .id = GROUP, .receiver = LOGIN_B,
	    .room_type = "" };

	SETUP(t, db);
	REQUIRE(br_store_portal_insert(db, &child) == 0);
	REQUIRE(br_store_portal_get_by_mxid(db, "!dm:example.com", &got) == 0);
	CHECK_EQ_STR(got->id, DM);
	CHECK_EQ_STR(got->receiver, LOGIN_A);
	CHECK_EQ_STR(got->other_user_id, GHOST);
	CHECK_EQ_STR(got->room_type, "dm");
	br_portal_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_portal_get_by_mxid(db, "!none:example.com",
	    &got), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_portal_get(db, (struct br_portal_key){ DM, "" },
	    &got), U_ERR_NOT_FOUND);

	/* Uncertain receiver: the shared row, then the exact one wins. */
	REQUIRE(br_store_portal_get_any_receiver(db,
	    (struct br_portal_key){ GROUP, LOGIN_B }, &got) == 0);
	CHECK_EQ_STR(got->receiver, "");
	br_portal_free(got);
	got = NULL;
	REQUIRE(br_store_portal_insert(db, &split) == 0);
	REQUIRE(br_store_portal_get_any_receiver(db,
	    (struct br_portal_key){ GROUP, LOGIN_B }, &got) == 0);
	CHECK_EQ_STR(got->receiver, LOGIN_B);
	br_portal_free(got);
	got = NULL;

	REQUIRE(br_store_portal_list_with_room(db, &v) == 0);
	CHECK(v[0] && v[1] && !v[2]);
	if (v[0] && v[1]) {
		CHECK_EQ_STR(v[0]->id, GROUP);
		CHECK_EQ_STR(v[1]->id, DM);
	}
	br_portal_list_free(v);
	v = NULL;
	REQUIRE(br_store_portal_list_by_relay(db, LOGIN_B, &v) == 0);
	CHECK(v[0] && !v[1]);
	if (v[0])
		CHECK_EQ_STR(v[0]->id, child.id);
	br_portal_list_free(v);
	v = NULL;
	REQUIRE(br_store_portal_list_children(db, group_key, &v) == 0);
	CHECK(v[0] && !v[1]);
	br_portal_list_free(v);
	v = NULL;
	REQUIRE(br_store_portal_get_dm(db, LOGIN_A, GHOST, &got) == 0);
	CHECK_EQ_STR(got->id, DM);
	br_portal_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_portal_get_dm(db, LOGIN_B, GHOST, &got),
	    U_ERR_NOT_FOUND);
	REQUIRE(br_store_portal_list_dms_with(db, GHOST, &v) == 0);
	CHECK(v[0] && !v[1]);
	if (v[0])
		CHECK_EQ_STR(v[0]->receiver, LOGIN_A);
	br_portal_list_free(v);
	v = NULL;
	REQUIRE(br_store_portal_list_dms_with(db, GHOST2, &v) == 0);
	CHECK(v[0] == NULL);
	br_portal_list_free(v);
	v = NULL;

	/* Deleting the relay login nulls relay_login_id (SET NULL). */
	CHECK_EQ_INT(br_store_login_delete(db, LOGIN_B), 0);
	REQUIRE(br_store_portal_get(db, (struct br_portal_key){ child.id, "" },
	    &got) == 0);
	CHECK(got->relay_login_id == NULL);
	br_portal_free(got);
	got = NULL;
	REQUIRE(br_store_portal_list_by_relay(db, LOGIN_B, &v) == 0);
	CHECK(v[0] == NULL);
	br_portal_list_free(v);
	/* A relay login must exist. */
	child.relay_login_id = "nope";
	CHECK_EQ_INT(br_store_portal_update(db, &child), DB_ERR_CONSTRAINT);
	tdb_done(&t);
}

TEST(test_br_store_ghost_crud)
{
	struct br_ghost g = { .id = "bot-867051314767696", .name = "Meta AI",
	    .avatar_id = "a", .avatar_hash = "h", .avatar_mxc = "mxc://x/y",
	    .name_set = 1, .avatar_set = 1, .contact_info_set = 0,
	    .is_bot = 1 }, *got = NULL;

	SETUP(t, db);
	CHECK_EQ_INT(br_store_ghost_insert(db, &g), 0);
	CHECK_EQ_INT(br_store_ghost_insert(db, &g), DB_ERR_CONSTRAINT);
	REQUIRE(br_store_ghost_get(db, g.id, &got) == 0);
	CHECK_EQ_STR(got->name, "Meta AI");
	CHECK_EQ_STR(got->avatar_mxc, "mxc://x/y");
	CHECK(got->name_set && got->avatar_set && !got->contact_info_set &&
	    got->is_bot);
	CHECK(jeq(got->identifiers, "[]"));
	CHECK(got->extra_profile == NULL);
	CHECK(jeq(got->metadata, "{}"));
	br_ghost_free(got);
	got = NULL;

	g.identifiers = js("[\"tel:+4915199999999\"]");
	g.extra_profile = js("{\"about\":\"hi\"}");
	g.metadata = js("{\"last_sync\":1700000000}");
	g.is_bot = 0;
	CHECK_EQ_INT(br_store_ghost_update(db, &g), 0);
	REQUIRE(br_store_ghost_get(db, g.id, &got) == 0);
	CHECK(json_equal(got->identifiers, g.identifiers));
	CHECK(json_equal(got->extra_profile, g.extra_profile));
	CHECK(json_equal(got->metadata, g.metadata));
	CHECK_EQ_INT(got->is_bot, 0);
	br_ghost_free(got);
	got = NULL;

	/* mautrix-go writes a nil slice or map as JSON null: read as null. */
	REQUIRE(tdb_exec2(db, "UPDATE ghost SET identifiers='null', "
	    "extra_profile='null' WHERE id=$1", g.id, NULL) == 0);
	REQUIRE(br_store_ghost_get(db, g.id, &got) == 0);
	CHECK(got->identifiers != NULL && json_is_null(got->identifiers));
	CHECK(got->extra_profile != NULL && json_is_null(got->extra_profile));
	br_ghost_free(got);
	got = NULL;

	CHECK_EQ_INT(br_store_ghost_delete(db, g.id), 0);
	CHECK_EQ_INT(br_store_ghost_get(db, g.id, &got), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_ghost_update(db, &g), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_ghost_delete(db, g.id), U_ERR_NOT_FOUND);
	json_decref(g.identifiers);
	json_decref(g.extra_profile);
	json_decref(g.metadata);
	br_ghost_free(NULL);
	tdb_done(&t);
}

/* A message in the group from GHOST at ts with WA id wa. */
static int
add_msg(struct db *db, const char *wa, const char *part, int64_t ts,
    struct br_message *out)
{
	char id[128], mxid[128];
	struct br_message m = { .part_id = (char *)part, .room_id = GROUP,
	    .room_receiver = "", .sender_id = GHOST, .sender_mxid = "",
	    .timestamp = ts, .double_puppeted = -1 };
	int r;

	snprintf(id, sizeof(id), GROUP ":" GHOST "@s.whatsapp.net:%s", wa);
	snprintf(mxid, sizeof(mxid), "$%s%s", wa, part);
	m.id = id;
	m.mxid = mxid;
	r = br_store_message_insert(db, &m);
	if (out != NULL)
		out->rowid = m.rowid;
	return r;
}

static char *
msg_id(const char *wa)
{
	return u_asprintf(GROUP ":" GHOST "@s.whatsapp.net:%s", wa);
}

TEST(test_br_store_message_crud)
{
	struct br_message m = { .id = "x", .part_id = "", .mxid = "$ev1",
	    .room_id = DM, .room_receiver = LOGIN_A, .sender_id = GHOST,
	    .sender_mxid = "@whatsapp_" GHOST ":example.com",
	    .timestamp = 1700000000123456789LL, .edit_count = 0,
	    .double_puppeted = 1, .reply_to_id = "r1", .reply_to_part_id = "",
	    .send_txn_id = "3EB0AAAA" }, *got = NULL;
	int64_t first;

	SETUP(t, db);
	m.metadata = js("{\"sender_device_id\":3,\"error\":\"media_not_found\","
	    "\"group_invite\":{\"jid\":\"1@g.us\",\"code\":\"c\",\"expiration\""
	    ":\"1700000000\",\"inviter\":\"2@s.whatsapp.net\"},\"edits\":"
	    "[\"A\",\"B\"]}");
	REQUIRE(br_store_message_insert(db, &m) == 0);
	CHECK(m.rowid > 0);
	first = m.rowid;
	REQUIRE(br_store_message_get_by_rowid(db, m.rowid, &got) == 0);
	CHECK_EQ_STR(got->id, "x");
	CHECK_EQ_STR(got->part_id, "");
	CHECK_EQ_STR(got->mxid, "$ev1");
	CHECK_EQ_STR(got->room_id, DM);
	CHECK_EQ_STR(got->room_receiver, LOGIN_A);
	CHECK_EQ_STR(got->sender_id, GHOST);
	CHECK_EQ_STR(got->sender_mxid, m.sender_mxid);
	CHECK_EQ_INT(got->timestamp, 1700000000123456789LL);
	CHECK_EQ_INT(got->double_puppeted, 1);
	CHECK(got->thread_root_id == NULL);
	CHECK_EQ_STR(got->reply_to_id, "r1");
	CHECK_EQ_STR(got->reply_to_part_id, "");
	CHECK_EQ_STR(got->send_txn_id, "3EB0AAAA");
	CHECK(json_equal(got->metadata, m.metadata));
	br_message_free(got);
	got = NULL;

	/* Lookups: by key (with the exact and the '' receiver), mxid, txn. */
	REQUIRE(br_store_message_get_part(db, LOGIN_A, "x", "", &got) == 0);
	CHECK_EQ_INT(got->rowid, first);
	br_message_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_message_get_part(db, LOGIN_B, "x", "", &got),
	    U_ERR_NOT_FOUND);
	REQUIRE(br_store_message_get_by_mxid(db, "$ev1", &got) == 0);
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_by_txn(db, LOGIN_A, NULL, "3EB0AAAA",
	    &got) == 0);
	CHECK_EQ_STR(got->mxid, "$ev1");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_by_txn(db, LOGIN_A, "$ev1", "zzz",
	    &got) == 0);
	br_message_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_message_get_by_txn(db, LOGIN_A, "$no", "no",
	    &got), U_ERR_NOT_FOUND);

	/* Uniqueness: same key, same mxid, same txn id per receiver. */
	m.mxid = "$ev2";
	CHECK_EQ_INT(br_store_message_insert(db, &m), DB_ERR_CONSTRAINT);
	m.id = "y";
	m.mxid = "$ev1";
	m.send_txn_id = NULL;
	CHECK_EQ_INT(br_store_message_insert(db, &m), DB_ERR_CONSTRAINT);
	m.mxid = "$ev2";
	m.send_txn_id = "3EB0AAAA";
	CHECK_EQ_INT(br_store_message_insert(db, &m), DB_ERR_CONSTRAINT);
	/* FKs: portal and sender ghost must exist. */
	m.send_txn_id = NULL;
	m.sender_id = "nope";
	CHECK_EQ_INT(br_store_message_insert(db, &m), DB_ERR_CONSTRAINT);
	m.sender_id = GHOST;
	m.room_receiver = LOGIN_B;
	CHECK_EQ_INT(br_store_message_insert(db, &m), DB_ERR_CONSTRAINT);
	m.room_receiver = LOGIN_A;
	m.double_puppeted = -1;
	json_decref(m.metadata);
	m.metadata = NULL;
	REQUIRE(br_store_message_insert(db, &m) == 0);
	CHECK(m.rowid > first);
	REQUIRE(br_store_message_get_by_mxid(db, "$ev2", &got) == 0);
	CHECK_EQ_INT(got->double_puppeted, -1);
	CHECK(got->send_txn_id == NULL && got->reply_to_id != NULL);
	CHECK(jeq(got->metadata, "{}"));

	/* Update rewrites the row in place. */
	free(got->mxid);
	got->mxid = u_strdup("$ev2-edited");
	got->edit_count = 2;
	json_decref(got->metadata);
	got->metadata = js("{\"edits\":[\"E1\"]}");
	free(got->reply_to_id);
	got->reply_to_id = NULL;
	CHECK_EQ_INT(br_store_message_update(db, got), 0);
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_by_rowid(db, m.rowid, &got) == 0);
	CHECK_EQ_STR(got->mxid, "$ev2-edited");
	CHECK_EQ_INT(got->edit_count, 2);
	CHECK(got->reply_to_id == NULL);
	CHECK(jeq(got->metadata, "{\"edits\":[\"E1\"]}"));
	got->rowid = 999999;
	CHECK_EQ_INT(br_store_message_update(db, got), U_ERR_NOT_FOUND);
	br_message_free(got);
	got = NULL;

	CHECK_EQ_INT(br_store_message_delete(db, m.rowid), 0);
	CHECK_EQ_INT(br_store_message_delete(db, m.rowid), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_message_get_by_rowid(db, m.rowid, &got),
	    U_ERR_NOT_FOUND);
	br_message_free(NULL);
	br_message_list_free(NULL);
	tdb_done(&t);
}

TEST(test_br_store_message_portal_queries)
{
	struct br_message *got = NULL, **v = NULL;
	int64_t n = -1;
	char *id1 = msg_id("A1"), *id2 = msg_id("A2");

	SETUP(t, db);
	CHECK_EQ_INT(br_store_message_get_last_in_portal(db, group_key, &got),
	    U_ERR_NOT_FOUND);
	REQUIRE(add_msg(db, "A1", "", 1000, NULL) == 0);
	REQUIRE(add_msg(db, "A2", "", 2000, NULL) == 0);
	REQUIRE(add_msg(db, "A2", "p1", 2000, NULL) == 0);
	REQUIRE(add_msg(db, "A3", "", 3000, NULL) == 0);
	REQUIRE(add_msg(db, "A4", "", 4000, NULL) == 0);

	CHECK_EQ_INT(br_store_message_count_in_portal(db, group_key, &n), 0);
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(br_store_message_count_in_portal(db, dm_key, &n), 0);
	CHECK_EQ_INT(n, 0);

	REQUIRE(br_store_message_get_last_in_portal(db, group_key, &got) == 0);
	CHECK_EQ_STR(got->mxid, "$A4");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_first_in_portal(db, group_key, &got) == 0);
	CHECK_EQ_STR(got->mxid, "$A1");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_last_before(db, group_key, 2999, &got)
	    == 0);
	CHECK_EQ_STR(got->mxid, "$A2p1");
	br_message_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_message_get_last_before(db, group_key, 999, &got),
	    U_ERR_NOT_FOUND);

	/* Read receipt window: (1000, 3000]. */
	REQUIRE(br_store_message_list_between(db, group_key, 1000, 3000, &v)
	    == 0);
	REQUIRE(v[0] && v[1] && v[2]);
	CHECK(v[3] == NULL);
	CHECK_EQ_STR(v[0]->mxid, "$A2");
	CHECK_EQ_STR(v[1]->mxid, "$A2p1");
	CHECK_EQ_STR(v[2]->mxid, "$A3");
	br_message_list_free(v);
	v = NULL;

	REQUIRE(br_store_message_list_last_n(db, group_key, 2, &v) == 0);
	REQUIRE(v[0] && v[1]);
	CHECK(v[2] == NULL);
	CHECK_EQ_STR(v[0]->mxid, "$A4");
	CHECK_EQ_STR(v[1]->mxid, "$A3");
	br_message_list_free(v);
	v = NULL;
	CHECK_EQ_INT(br_store_message_list_last_n(db, group_key, 0, &v),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_store_message_list_last_n(db, group_key,
	    BR_STORE_LIST_N_MAX + 1, &v), U_ERR_INVALID);

	/* Parts of one message; a shared portal's rows match any receiver. */
	REQUIRE(br_store_message_list_parts(db, LOGIN_A, id2, &v) == 0);
	REQUIRE(v[0] && v[1]);
	CHECK(v[2] == NULL);
	CHECK_EQ_STR(v[0]->part_id, "");
	CHECK_EQ_STR(v[1]->part_id, "p1");
	br_message_list_free(v);
	v = NULL;
	REQUIRE(br_store_message_get_first_part(db, LOGIN_A, id2, &got) == 0);
	CHECK_EQ_STR(got->part_id, "");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_last_part(db, "", id2, &got) == 0);
	CHECK_EQ_STR(got->part_id, "p1");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_part(db, LOGIN_B, id2, "p1", &got) == 0);
	br_message_free(got);
	got = NULL;

	CHECK_EQ_INT(br_store_message_delete_all_parts(db, LOGIN_A, id2), 0);
	CHECK_EQ_INT(br_store_message_get_part(db, "", id2, "", &got),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_message_delete_all_parts(db, LOGIN_A, id2),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_message_count_in_portal(db, group_key, &n), 0);
	CHECK_EQ_INT(n, 3);

	/* Deleting the portal removes its messages (CASCADE). */
	CHECK_EQ_INT(br_store_portal_delete(db, group_key), 0);
	CHECK_EQ_INT(br_store_portal_delete(db, group_key), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_message_get_part(db, "", id1, "", &got),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM message", NULL), 0);
	free(id1);
	free(id2);
	tdb_done(&t);
}

/* A raw message row in the group for the thread and fake-mxid cases. */
static int
put_msg(struct db *db, const char *id, const char *mxid, int64_t ts,
    const char *thread_root)
{
	struct br_message m = { .id = (char *)id, .part_id = "",
	    .mxid = (char *)mxid, .room_id = GROUP, .room_receiver = "",
	    .sender_id = GHOST, .sender_mxid = "", .timestamp = ts,
	    .double_puppeted = -1, .thread_root_id = (char *)thread_root };

	return br_store_message_insert(db, &m);
}

TEST(test_br_store_message_real_and_threads)
{
	struct br_message *got = NULL;

	SETUP(t, db);
	REQUIRE(put_msg(db, "root", "$root", 1000, NULL) == 0);
	REQUIRE(put_msg(db, "r1", "$r1", 2000, "root") == 0);
	REQUIRE(put_msg(db, "r2", "~fake:$r2", 3000, "root") == 0);
	REQUIRE(put_msg(db, "other", "$other", 2500, NULL) == 0);

	/* Placeholders are skipped for read receipts. */
	REQUIRE(br_store_message_get_last_before(db, group_key, 3000, &got)
	    == 0);
	CHECK_EQ_STR(got->mxid, "~fake:$r2");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_last_real_before(db, group_key, 3000,
	    &got) == 0);
	CHECK_EQ_STR(got->mxid, "$other");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_first_real_after(db, group_key, 1000,
	    &got) == 0);
	CHECK_EQ_STR(got->mxid, "$r1");
	br_message_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_message_get_first_real_after(db, group_key,
	    2500, &got), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_message_get_last_real_before(db, group_key,
	    999, &got), U_ERR_NOT_FOUND);

	/* Threads: the root first, the newest reply last. */
	REQUIRE(br_store_message_get_thread_first(db, group_key, "root", &got)
	    == 0);
	CHECK_EQ_STR(got->mxid, "$root");
	br_message_free(got);
	got = NULL;
	REQUIRE(br_store_message_get_thread_last(db, group_key, "root", &got)
	    == 0);
	CHECK_EQ_STR(got->mxid, "~fake:$r2");
	br_message_free(got);
	got = NULL;
	/* A root without replies is its own first and last. */
	REQUIRE(br_store_message_get_thread_last(db, group_key, "other", &got)
	    == 0);
	CHECK_EQ_STR(got->mxid, "$other");
	br_message_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_message_get_thread_first(db, group_key, "none",
	    &got), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_message_get_thread_first(db, dm_key, "root",
	    &got), U_ERR_NOT_FOUND);
	tdb_done(&t);
}

TEST(test_br_store_reactions)
{
	struct br_reaction x = { .message_part_id = "", .sender_id = GHOST2,
	    .sender_mxid = "", .emoji_id = "", .emoji = "\xf0\x9f\x91\x8d",
	    .room_id = GROUP, .room_receiver = "", .mxid = "$r1",
	    .timestamp = 5000 }, *got = NULL, **v = NULL;
	char *id1 = msg_id("M1");
	struct br_reaction_key k = { "", id1, "", GHOST2, "" };

	SETUP(t, db);
	REQUIRE(add_msg(db, "M1", "", 1000, NULL) == 0);
	x.message_id = id1;
	x.metadata = js("{\"sender_device_id\":2}");
	CHECK_EQ_INT(br_store_reaction_upsert(db, &x), 0);
	REQUIRE(br_store_reaction_get(db, k, &got) == 0);
	CHECK_EQ_STR(got->emoji, "\xf0\x9f\x91\x8d");
	CHECK_EQ_STR(got->mxid, "$r1");
	CHECK_EQ_INT(got->timestamp, 5000);
	CHECK_EQ_STR(got->room_id, GROUP);
	CHECK(json_equal(got->metadata, x.metadata));
	br_reaction_free(got);
	got = NULL;

	/* Same sender, same message: replaced, not added. */
	x.emoji = "\xe2\x9d\xa4\xef\xb8\x8f";
	x.mxid = "$r2";
	x.timestamp = 6000;
	CHECK_EQ_INT(br_store_reaction_upsert(db, &x), 0);
	REQUIRE(br_store_reaction_get_by_mxid(db, "$r2", &got) == 0);
	CHECK_EQ_STR(got->emoji, "\xe2\x9d\xa4\xef\xb8\x8f");
	br_reaction_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_reaction_get_by_mxid(db, "$r1", &got),
	    U_ERR_NOT_FOUND);
	/* Without a part: the first part's reaction. */
	k.message_part_id = NULL;
	REQUIRE(br_store_reaction_get(db, k, &got) == 0);
	CHECK_EQ_STR(got->mxid, "$r2");
	br_reaction_free(got);
	got = NULL;
	CHECK_EQ_INT(br_store_reaction_delete(db, k), U_ERR_INVALID);
	k.message_part_id = "";

	/* Another sender; the reaction mxid is unique. */
	x.sender_id = GHOST;
	CHECK_EQ_INT(br_store_reaction_upsert(db, &x), DB_ERR_CONSTRAINT);
	x.mxid = "$r3";
	x.timestamp = 7000;
	CHECK_EQ_INT(br_store_reaction_upsert(db, &x), 0);
	REQUIRE(br_store_reaction_list_to_message(db, "", id1, NULL, &v) == 0);
	REQUIRE(v[0] && v[1]);
	CHECK(v[2] == NULL);
	CHECK_EQ_STR(v[0]->mxid, "$r2");
	CHECK_EQ_STR(v[1]->mxid, "$r3");
	br_reaction_list_free(v);
	v = NULL;
	REQUIRE(br_store_reaction_list_to_message(db, "", id1, GHOST, &v) == 0);
	CHECK(v[0] && !v[1]);
	br_reaction_list_free(v);
	v = NULL;
	REQUIRE(br_store_reaction_list_to_part(db, "", id1, "", &v) == 0);
	CHECK(v[0] && v[1] && !v[2]);
	br_reaction_list_free(v);
	v = NULL;
	REQUIRE(br_store_reaction_list_to_part(db, "", id1, "p9", &v) == 0);
	CHECK(v[0] == NULL);
	br_reaction_list_free(v);
	v = NULL;
	/* A reaction needs its message (FK). */
	x.message_id = "nope";
	x.mxid = "$r4";
	CHECK_EQ_INT(br_store_reaction_upsert(db, &x), DB_ERR_CONSTRAINT);

	CHECK_EQ_INT(br_store_reaction_delete(db, k), 0);
	CHECK_EQ_INT(br_store_reaction_delete(db, k), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_reaction_get_by_mxid(db, "$r2", &got),
	    U_ERR_NOT_FOUND);

	/* Deleting the message removes its reactions; so does the portal. */
	CHECK_EQ_INT(br_store_message_delete_all_parts(db, "", id1), 0);
	CHECK_EQ_INT(br_store_reaction_get_by_mxid(db, "$r3", &got),
	    U_ERR_NOT_FOUND);
	REQUIRE(add_msg(db, "M1", "", 1000, NULL) == 0);
	x.message_id = id1;
	CHECK_EQ_INT(br_store_reaction_upsert(db, &x), 0);
	CHECK_EQ_INT(br_store_portal_delete(db, group_key), 0);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM reaction", NULL), 0);
	json_decref(x.metadata);
	free(id1);
	br_reaction_free(NULL);
	br_reaction_list_free(NULL);
	tdb_done(&t);
}

TEST(test_br_store_ghost_delete_cascades)
{
	struct br_message *got = NULL;
	char *id1 = msg_id("G1");

	SETUP(t, db);
	REQUIRE(add_msg(db, "G1", "", 1000, NULL) == 0);
	CHECK_EQ_INT(br_store_ghost_delete(db, GHOST), 0);
	CHECK_EQ_INT(br_store_message_get_part(db, "", id1, "", &got),
	    U_ERR_NOT_FOUND);
	free(id1);
	tdb_done(&t);
}

TEST(test_br_store_user_portal)
{
	struct br_user_portal *up = NULL, **v = NULL;
	struct br_login **lv = NULL;
	struct br_login l2 = { .id = "4915100000003", .user_mxid = ALICE,
	    .remote_name = "+4915100000003" };

	SETUP(t, db);
	REQUIRE(br_store_login_insert(db, &l2) == 0);
	CHECK_EQ_INT(br_store_user_portal_get(db, ALICE, LOGIN_A, group_key,
	    &up), U_ERR_NOT_FOUND);
	REQUIRE(br_store_user_portal_get_or_create(db, ALICE, LOGIN_A,
	    group_key, &up) == 0);
	CHECK_EQ_STR(up->user_mxid, ALICE);
	CHECK_EQ_STR(up->login_id, LOGIN_A);
	CHECK_EQ_STR(up->portal_id, GROUP);
	CHECK_EQ_STR(up->portal_receiver, "");
	CHECK(!up->in_space && !up->preferred && up->last_read == 0);
	br_user_portal_free(up);
	up = NULL;

	CHECK_EQ_INT(br_store_user_portal_set_last_read(db, ALICE, LOGIN_A,
	    group_key, 1700000000000000000LL), 0);
	/* get_or_create on an existing row returns it unchanged. */
	REQUIRE(br_store_user_portal_get_or_create(db, ALICE, LOGIN_A,
	    group_key, &up) == 0);
	CHECK_EQ_INT(up->last_read, 1700000000000000000LL);
	up->in_space = 1;
	up->last_read = 0;	/* keeps the stored value */
	CHECK_EQ_INT(br_store_user_portal_put(db, up), 0);
	br_user_portal_free(up);
	up = NULL;
	REQUIRE(br_store_user_portal_get(db, ALICE, LOGIN_A, group_key, &up)
	    == 0);
	CHECK_EQ_INT(up->in_space, 1);
	CHECK_EQ_INT(up->last_read, 1700000000000000000LL);
	br_user_portal_free(up);
	up = NULL;

	/* set_last_read creates a missing row. */
	CHECK_EQ_INT(br_store_user_portal_set_last_read(db, BOB, LOGIN_B,
	    group_key, 42), 0);
	REQUIRE(br_store_user_portal_get(db, BOB, LOGIN_B, group_key, &up)
	    == 0);
	CHECK_EQ_INT(up->last_read, 42);
	br_user_portal_free(up);
	up = NULL;

	/* Preferred: one of ALICE's logins at a time; preferred first. */
	CHECK_EQ_INT(br_store_user_portal_set_preferred(db, ALICE,
	    "4915100000003", group_key), 0);
	REQUIRE(br_store_user_portal_list_for_user(db, ALICE, group_key, &v)
	    == 0);
	REQUIRE(v[0] && v[1]);
	CHECK(v[2] == NULL);
	CHECK_EQ_STR(v[0]->login_id, "4915100000003");
	CHECK_EQ_INT(v[0]->preferred, 1);
	CHECK_EQ_STR(v[1]->login_id, LOGIN_A);
	CHECK_EQ_INT(v[1]->preferred, 0);
	br_user_portal_list_free(v);
	v = NULL;
	CHECK_EQ_INT(br_store_user_portal_set_preferred(db, ALICE, LOGIN_A,
	    group_key), 0);
	REQUIRE(br_store_user_portal_list_for_user(db, ALICE, group_key, &v)
	    == 0);
	REQUIRE(v[0] && v[1]);
	CHECK_EQ_STR(v[0]->login_id, LOGIN_A);
	CHECK_EQ_INT(v[0]->preferred, 1);
	CHECK_EQ_INT(v[1]->preferred, 0);
	br_user_portal_list_free(v);
	v = NULL;

	REQUIRE(br_store_user_portal_list_in_portal(db, group_key, &v) == 0);
	CHECK(v[0] && v[1] && v[2] && !v[3]);
	br_user_portal_list_free(v);
	v = NULL;

	CHECK_EQ_INT(br_store_user_portal_set_last_read(db, ALICE, LOGIN_A,
	    dm_key, 7), 0);
	REQUIRE(br_store_user_portal_list_for_login(db, ALICE, LOGIN_A, &v)
	    == 0);
	REQUIRE(v[0] && v[1]);
	CHECK(v[2] == NULL);
	CHECK_EQ_STR(v[0]->portal_id, GROUP);
	CHECK_EQ_STR(v[1]->portal_id, DM);
	br_user_portal_list_free(v);
	v = NULL;
	CHECK_EQ_INT(br_store_user_portal_delete(db, ALICE, LOGIN_A, dm_key),
	    0);
	CHECK_EQ_INT(br_store_user_portal_mark_all_not_in_space(db, group_key),
	    0);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM user_portal WHERE "
	    "in_space AND portal_id=$1", GROUP), 0);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM user_portal WHERE "
	    "portal_id=$1", GROUP), 3);
	REQUIRE(br_store_login_list_in_portal(db, group_key, &lv) == 0);
	REQUIRE(lv[0] && lv[1] && lv[2]);
	CHECK(lv[3] == NULL);
	CHECK_EQ_STR(lv[0]->id, LOGIN_A);
	CHECK_EQ_STR(lv[1]->id, LOGIN_B);
	CHECK(lv[0]->metadata != NULL);
	br_login_list_free(lv);
	lv = NULL;
	REQUIRE(br_store_login_list_in_portal(db, dm_key, &lv) == 0);
	CHECK(lv[0] == NULL);
	br_login_list_free(lv);
	lv = NULL;

	/* FKs: the login and the portal must exist; both cascade. */
	CHECK_EQ_INT(br_store_user_portal_set_last_read(db, ALICE, "nope",
	    group_key, 1), DB_ERR_CONSTRAINT);
	CHECK_EQ_INT(br_store_user_portal_set_last_read(db, ALICE, LOGIN_A,
	    (struct br_portal_key){ "nope@g.us", "" }, 1), DB_ERR_CONSTRAINT);
	CHECK_EQ_INT(br_store_login_delete(db, LOGIN_B), 0);
	CHECK_EQ_INT(br_store_user_portal_get(db, BOB, LOGIN_B, group_key,
	    &up), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_user_portal_delete(db, ALICE, LOGIN_A,
	    group_key), 0);
	CHECK_EQ_INT(br_store_user_portal_delete(db, ALICE, LOGIN_A,
	    group_key), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_store_portal_delete(db, group_key), 0);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM user_portal", NULL), 0);
	br_user_portal_free(NULL);
	br_user_portal_list_free(NULL);
	tdb_done(&t);
}

TEST(test_br_store_kv)
{
	char *v = NULL;

	SETUP(t, db);
	CHECK_EQ_INT(br_store_kv_get(db, "bridge_info_version", &v),
	    U_ERR_NOT_FOUND);
	CHECK(v == NULL);
	CHECK_EQ_INT(br_store_kv_set(db, "bridge_info_version", "1,9"), 0);
	REQUIRE(br_store_kv_get(db, "bridge_info_version", &v) == 0);
	CHECK_EQ_STR(v, "1,9");
	free(v);
	v = NULL;
	CHECK_EQ_INT(br_store_kv_set(db, "bridge_info_version", ""), 0);
	REQUIRE(br_store_kv_get(db, "bridge_info_version", &v) == 0);
	CHECK_EQ_STR(v, "");
	free(v);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM kv_store WHERE "
	    "bridge_id='' AND key=$1", "bridge_info_version"), 1);
	/* value is NOT NULL. */
	CHECK_EQ_INT(br_store_kv_set(db, "k", NULL), DB_ERR_CONSTRAINT);
	tdb_done(&t);
}

TEST(test_br_store_disappearing)
{
	struct br_disappearing d = { .room_mxid = "!group:example.com",
	    .mxid = "$d1", .timestamp = 100, .type = "after_read",
	    .timer = 50 }, *got = NULL, **v = NULL;

	SETUP(t, db);
	CHECK_EQ_INT(br_store_disappearing_put(db, &d), 0);
	d.mxid = "$d2";
	d.timestamp = 300;
	CHECK_EQ_INT(br_store_disappearing_put(db, &d), 0);
	d.mxid = "$d3";
	d.type = "after_send";
	d.timestamp = 100;
	d.disappear_at = 150;
	CHECK_EQ_INT(br_store_disappearing_put(db, &d), 0);
	REQUIRE(br_store_disappearing_get(db, "$d1", &got) == 0);
	CHECK_EQ_STR(got->room_mxid, "!group:example.com");
	CHECK_EQ_STR(got->type, "after_read");
	CHECK_EQ_INT(got->timestamp, 100);
	CHECK_EQ_INT(got->timer, 50);
	CHECK_EQ_INT(got->disappear_at, 0);
	br_disappearing_free(got);
	got = NULL;

	/* Read up to 200 at time 1000: only $d1 starts. */
	REQUIRE(br_store_disappearing_start(db, "!group:example.com", 200,
	    1000, &v) == 0);
	REQUIRE(v[0] != NULL);
	CHECK(v[1] == NULL);
	CHECK_EQ_STR(v[0]->mxid, "$d1");
	CHECK_EQ_INT(v[0]->disappear_at, 1050);
	br_disappearing_list_free(v);
	v = NULL;
	/* Already started: not again. */
	REQUIRE(br_store_disappearing_start(db, "!group:example.com", 200,
	    2000, &v) == 0);
	CHECK(v[0] == NULL);
	br_disappearing_list_free(v);
	v = NULL;

	REQUIRE(br_store_disappearing_list_ready(db, 2000, 10, &v) == 0);
	REQUIRE(v[0] && v[1]);
	CHECK(v[2] == NULL);
	CHECK_EQ_STR(v[0]->mxid, "$d3");
	CHECK_EQ_STR(v[1]->mxid, "$d1");
	br_disappearing_list_free(v);
	v = NULL;
	REQUIRE(br_store_disappearing_list_ready(db, 2000, 1, &v) == 0);
	CHECK(v[0] && !v[1]);
	br_disappearing_list_free(v);
	v = NULL;
	REQUIRE(br_store_disappearing_list_ready(db, 1050, 10, &v) == 0);
	CHECK(v[0] && !v[1]);
	br_disappearing_list_free(v);
	v = NULL;
	CHECK_EQ_INT(br_store_disappearing_list_ready(db, 1, 0, &v),
	    U_ERR_INVALID);

	CHECK_EQ_INT(br_store_disappearing_delete(db, "$d3"), 0);
	CHECK_EQ_INT(br_store_disappearing_delete(db, "$d3"), U_ERR_NOT_FOUND);
	/* The room must be a portal's; deleting the portal cascades. */
	d.room_mxid = "!nope:example.com";
	d.mxid = "$d4";
	CHECK_EQ_INT(br_store_disappearing_put(db, &d), DB_ERR_CONSTRAINT);
	CHECK_EQ_INT(br_store_portal_delete(db, group_key), 0);
	CHECK_EQ_INT(br_store_disappearing_get(db, "$d1", &got),
	    U_ERR_NOT_FOUND);
	br_disappearing_free(NULL);
	br_disappearing_list_free(NULL);
	tdb_done(&t);
}

TEST(test_br_store_portal_reid_moves_children)
{
	struct br_portal *got = NULL;
	struct br_message *m = NULL;
	struct br_portal_key lid = { "123456789012345@lid", LOGIN_A };
	int64_t n = -1;

	SETUP(t, db);
	{
		struct br_message msg = { .id = "dm1", .part_id = "",
		    .mxid = "$dm1", .room_id = DM, .room_receiver = LOGIN_A,
		    .sender_id = GHOST, .sender_mxid = "", .timestamp = 1,
		    .double_puppeted = -1 };

		REQUIRE(br_store_message_insert(db, &msg) == 0);
	}
	CHECK_EQ_INT(br_store_portal_reid(db, dm_key, lid), 0);
	CHECK_EQ_INT(br_store_portal_get(db, dm_key, &got), U_ERR_NOT_FOUND);
	REQUIRE(br_store_portal_get(db, lid, &got) == 0);
	CHECK_EQ_STR(got->mxid, "!dm:example.com");
	br_portal_free(got);
	REQUIRE(br_store_message_get_by_mxid(db, "$dm1", &m) == 0);
	CHECK_EQ_STR(m->room_id, "123456789012345@lid");
	br_message_free(m);
	CHECK_EQ_INT(br_store_message_count_in_portal(db, lid, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(br_store_portal_reid(db, dm_key, lid), U_ERR_NOT_FOUND);
	tdb_done(&t);
}

TEST(test_br_store_rejects_bad_stored_json)
{
	struct br_ghost *g = NULL;
	struct br_portal *p = NULL;

	SETUP(t, db);
	/* Rows written by something else: duplicate keys are refused. */
	if (!tdb_is_pg()) {
		REQUIRE(tdb_exec2(db, "UPDATE ghost SET metadata=$1 WHERE id=$2",
		    "{\"a\":1,\"a\":2}", GHOST) == 0);
		CHECK_EQ_INT(br_store_ghost_get(db, GHOST, &g), U_ERR_INVALID);
		REQUIRE(tdb_exec2(db, "UPDATE ghost SET metadata=$1 WHERE id=$2",
		    "{not json", GHOST) == 0);
		CHECK_EQ_INT(br_store_ghost_get(db, GHOST, &g), U_ERR_INVALID);
		CHECK(g == NULL);
	} else {
		/* PostgreSQL itself refuses text that is not JSON. */
		CHECK_EQ_INT(tdb_exec2(db, "UPDATE ghost SET metadata=$1 "
		    "WHERE id=$2", "{not json", GHOST), DB_ERR_QUERY);
	}
	/* The portal list fails as a whole and leaks nothing. */
	if (!tdb_is_pg()) {
		struct br_portal **v = NULL;

		REQUIRE(tdb_exec2(db, "UPDATE portal SET cap_state=$1 WHERE "
		    "id=$2", "[1,", DM) == 0);
		CHECK_EQ_INT(br_store_portal_list_all(db, &v), U_ERR_INVALID);
		CHECK(v == NULL);
		CHECK_EQ_INT(br_store_portal_get(db, dm_key, &p),
		    U_ERR_INVALID);
	}
	/* A number column holding text (SQLite allows it): DB_ERR_TYPE, and
	 * the half-read row is freed (ASan's leak check would see it). */
	if (!tdb_is_pg()) {
		struct br_message m = { .id = "t", .part_id = "", .mxid = "$t",
		    .room_id = GROUP, .room_receiver = "", .sender_id = GHOST,
		    .sender_mxid = "", .double_puppeted = -1 }, *got = NULL;
		struct br_message **v = NULL;

		REQUIRE(br_store_message_insert(db, &m) == 0);
		REQUIRE(tdb_exec2(db, "UPDATE message SET timestamp=$1 WHERE "
		    "mxid=$2", "soon", "$t") == 0);
		CHECK_EQ_INT(br_store_message_get_by_mxid(db, "$t", &got),
		    DB_ERR_TYPE);
		CHECK(got == NULL);
		CHECK_EQ_INT(br_store_message_list_last_n(db, group_key, 5, &v),
		    DB_ERR_TYPE);
		CHECK(v == NULL);
	}
	CHECK(p == NULL);
	tdb_done(&t);
}

TEST_MAIN()
