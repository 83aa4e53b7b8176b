/*
 * test_br_portal_recover.c: "no lost rooms".  The m.bridge judgement on
 * crafted contents (valid group and DM, another bridge's bot, malformed,
 * not a chat), the table decisions (new row, fixed row, already known,
 * conflicting rooms, the database winning), and the whole walk over an
 * in-memory Matrix side whose rooms carry crafted state (ours, another
 * bridge's key, none), with a SQLite database in /tmp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/portal.h"
#include "bridge/portal_recover.h"
#include "bridge/store.h"
#include "db/db.h"
#include "test/unit/test.h"
#include "util/err.h"

static char *const noenv[] = { NULL };

static const char cfg_yaml[] =
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n";

#define BOT_ID	"@whatsappbot:t.test"
#define KEY	"t.test/whatsapp"
#define GROUP	"120363012345678901@g.us"
#define GROUP2	"120363000000000002@g.us"
#define DM	"4915199999999@s.whatsapp.net"

static json_t *
js(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (j == NULL) {
		fprintf(stderr, "bad test JSON %s\n", text);
		abort();
	}
	return j;
}

static enum br_recover_verdict
judge(const char *text, char **id, char **recv)
{
	json_t *j = js(text);
	enum br_recover_verdict v;

	*id = *recv = NULL;
	v = br_recover_parse(j, BOT_ID, id, recv);
	json_decref(j);
	return v;
}

TEST(recover_parse_decisions)
{
	char *id, *rv;

	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"protocol\":{\"id\":"
	    "\"whatsapp\"},\"channel\":{\"id\":\"" GROUP "\"}}", &id, &rv),
	    BR_RECOVER_OK);
	CHECK_EQ_STR(id, GROUP);
	CHECK_EQ_STR(rv, "");
	free(id);
	free(rv);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
	    "\"" DM "\",\"fi.mau.receiver\":\"4915100000001\"}}", &id, &rv),
	    BR_RECOVER_OK);
	CHECK_EQ_STR(id, DM);
	CHECK_EQ_STR(rv, "4915100000001");
	free(id);
	free(rv);
	/* Another bridge's bot (same key on a shared homeserver, or a
	 * copied state), another protocol under our key. */
	CHECK_EQ_INT(judge("{\"bridgebot\":\"@signalbot:t.test\",\"channel\":"
	    "{\"id\":\"" GROUP "\"}}", &id, &rv), BR_RECOVER_WRONG_BOT);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"protocol\":{\"id\":"
	    "\"signal\"},\"channel\":{\"id\":\"" GROUP "\"}}", &id, &rv),
	    BR_RECOVER_NOT_OURS);
	/* Malformed. */
	CHECK_EQ_INT(judge("[]", &id, &rv), BR_RECOVER_MALFORMED);
	CHECK_EQ_INT(judge("{\"channel\":{\"id\":\"" GROUP "\"}}", &id, &rv),
	    BR_RECOVER_MALFORMED);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":\"x\"}",
	    &id, &rv), BR_RECOVER_MALFORMED);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
	    "12}}", &id, &rv), BR_RECOVER_MALFORMED);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
	    "\"" DM "\",\"fi.mau.receiver\":5}}", &id, &rv),
	    BR_RECOVER_MALFORMED);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
	    "\"" DM "\",\"fi.mau.receiver\":\"@x:y\"}}", &id, &rv),
	    BR_RECOVER_MALFORMED);
	/* Not a chat JID: free text, a device JID, no user part. */
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
	    "\"hello world\"}}", &id, &rv), BR_RECOVER_NOT_CHAT);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
	    "\"4915199999999:3@s.whatsapp.net\"}}", &id, &rv),
	    BR_RECOVER_NOT_CHAT);
	CHECK_EQ_INT(judge("{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
	    "\"g.us\"}}", &id, &rv), BR_RECOVER_NOT_CHAT);
}

/* ---- fixture ---- */

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_portals	*reg;
	char			 path[64];
};

/* ---- the fake Matrix side: rooms with crafted state ---- */

struct froom {
	const char	*id;
	const char	*bridge;	/* m.bridge content under KEY or NULL */
	const char	*name;		/* m.room.name or NULL */
	const char	*state;		/* the state list (JSON array) or NULL:
					 * room_state_list fails */
};

#define PENDING_MAX 8

static struct {
	struct br_mx		 mx;
	const struct froom	*rooms;
	size_t			 nrooms;
	int			 fail_list;
	size_t			 ncalls;
	struct {
		br_mx_done_fn	 done;
		void		*arg;
		json_t		*resp;
		int		 rc;
	} pend[PENDING_MAX];
	size_t			 npend;
} F;

static struct br_mx_intent *
f_bot(struct br_mx *mx)
{
	(void)mx;
	return (struct br_mx_intent *)(void *)&F;
}

static const char *
f_bot_id(const struct br_mx *mx)
{
	(void)mx;
	return BOT_ID;
}

static const char *
f_key(const struct br_mx *mx)
{
	(void)mx;
	return KEY;
}

static void
later(br_mx_done_fn done, void *arg, int rc, json_t *resp)
{
	if (F.npend >= PENDING_MAX)
		abort();
	F.pend[F.npend].done = done;
	F.pend[F.npend].arg = arg;
	F.pend[F.npend].rc = rc;
	F.pend[F.npend].resp = resp;
	F.npend++;
	F.ncalls++;
}

/* Run the completions (never from inside a call, as mx.h promises). */
static void
drain(void)
{
	size_t i;

	while (F.npend > 0) {
		br_mx_done_fn done = F.pend[0].done;
		void *arg = F.pend[0].arg;
		json_t *resp = F.pend[0].resp;
		int rc = F.pend[0].rc;

		F.npend--;
		for (i = 0; i < F.npend; i++)
			F.pend[i] = F.pend[i + 1];
		done(arg, rc, resp);
		json_decref(resp);
	}
}

static int
f_joined(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done,
    void *arg)
{
	json_t *arr = json_array();
	size_t i;

	(void)mx;
	(void)in;
	if (F.fail_list) {
		later(done, arg, BR_ERR_MX_FAILED, NULL);
		json_decref(arr);
		return 0;
	}
	for (i = 0; i < F.nrooms; i++)
		json_array_append_new(arr, json_string(F.rooms[i].id));
	/* Garbage in the list is skipped. */
	json_array_append_new(arr, json_integer(7));
	json_array_append_new(arr, json_string("not-a-room"));
	later(done, arg, 0, json_pack("{s:o}", "joined_rooms", arr));
	return 0;
}

static int
f_get_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, br_mx_done_fn done, void *arg)
{
	const struct froom *r = NULL;
	size_t i;

	(void)mx;
	(void)in;
	for (i = 0; i < F.nrooms; i++)
		if (strcmp(F.rooms[i].id, room) == 0)
			r = &F.rooms[i];
	if (r == NULL)
		abort();
	if (strcmp(type, "m.bridge") == 0 && strcmp(key, KEY) == 0 &&
	    r->bridge != NULL)
		later(done, arg, 0, js(r->bridge));
	else if (strcmp(type, "m.room.name") == 0 && r->name != NULL)
		later(done, arg, 0, json_pack("{s:s}", "name", r->name));
	else if (strcmp(type, "m.room.topic") == 0)
		later(done, arg, 0, json_pack("{s:s}", "topic", "the topic"));
	else
		later(done, arg, BR_ERR_MX_NOT_FOUND, js("{\"errcode\":"
		    "\"M_NOT_FOUND\"}"));
	return 0;
}

static int
f_state_list(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	size_t i;

	(void)mx;
	(void)in;
	for (i = 0; i < F.nrooms; i++)
		if (strcmp(F.rooms[i].id, room) == 0) {
			if (F.rooms[i].state == NULL)
				later(done, arg, BR_ERR_MX_FAILED, NULL);
			else
				later(done, arg, 0, json_pack("{s:o}", "state",
				    js(F.rooms[i].state)));
			return 0;
		}
	abort();
}

static const struct br_mx_ops fake_ops = {
	.bot = f_bot,
	.bot_id = f_bot_id,
	.bridge_state_key = f_key,
	.joined_rooms = f_joined,
	.get_state = f_get_state,
	.room_state_list = f_state_list,
};

static int
fx_open(struct fx *x)
{
	struct br_config_opts o = { noenv };
	char err[256], uri[128];
	int fd;

	memset(x, 0, sizeof(*x));
	if (br_config_load_mem("t.yaml", cfg_yaml, strlen(cfg_yaml), &o,
	    &x->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brrecover-XXXXXX");
	if ((fd = mkstemp(x->path)) < 0)
		return -1;
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s?_txlock=immediate", x->path);
	if (db_open(&x->db, "sqlite3-fk-wal", uri, NULL) < 0 ||
	    db_upgrade(x->db) < 0)
		return -1;
	memset(&F, 0, sizeof(F));
	F.mx.ops = &fake_ops;
	x->reg = br_portals_new(x->db, x->cfg);
	br_portals_set_mx(x->reg, &F.mx);
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];

	br_portals_free(x->reg);
	db_close(x->db);
	br_config_free(x->cfg);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

static char *
mxid_of(struct db *db, const char *id, const char *recv)
{
	struct br_portal_key k = { id, recv };
	struct br_portal *row = NULL;
	char *m;

	if (br_store_portal_get(db, k, &row) < 0)
		return NULL;
	m = row->mxid != NULL ? strdup(row->mxid) : strdup("(null)");
	br_portal_free(row);
	return m;
}

static struct br_recover_claim
claim(const char *room, const char *id, const char *recv)
{
	struct br_recover_claim c;

	memset(&c, 0, sizeof(c));
	c.room_id = strdup(room);
	c.id = strdup(id);
	c.receiver = strdup(recv);
	c.name = strdup("N");
	return c;
}

TEST(recover_apply_conflicts_and_known_rooms)
{
	struct fx x;
	struct br_recover_claim c[5];
	struct br_recover_stats st;
	const char *joined[] = { "!b:t", "!a:t", "!c:t", "!old:t", "!d:t" };
	struct br_portal_key k2 = { GROUP2, "" };
	struct br_portal_obj *p;
	char *m;
	size_t i;

	REQUIRE(fx_open(&x) == 0);
	/* GROUP2's row points to a room the bot is still in: it wins. */
	REQUIRE(br_portal_attach(x.reg, k2, "!old:t", NULL, NULL, NULL, 0) ==
	    0);
	memset(&st, 0, sizeof(st));
	c[0] = claim("!b:t", GROUP, "");	/* loses to !a:t */
	c[1] = claim("!a:t", GROUP, "");
	c[2] = claim("!c:t", GROUP2, "");	/* loses to the table */
	c[3] = claim("!old:t", GROUP2, "");	/* already known */
	c[4] = claim("!d:t", DM, "4915100000001");
	REQUIRE(br_recover_apply(x.reg, c, 5, joined, 5, &st) == 0);
	CHECK_EQ_INT(st.recovered, 2);
	CHECK_EQ_INT(st.already, 1);
	CHECK_EQ_INT(st.conflicts, 2);
	m = mxid_of(x.db, GROUP, "");
	CHECK_EQ_STR(m, "!a:t");
	free(m);
	m = mxid_of(x.db, GROUP2, "");
	CHECK_EQ_STR(m, "!old:t");
	free(m);
	m = mxid_of(x.db, DM, "4915100000001");
	CHECK_EQ_STR(m, "!d:t");
	free(m);
	/* The registry sees the recovered room. */
	REQUIRE(br_portal_get_by_mxid(x.reg, "!d:t", &p) == 0);
	CHECK_EQ_STR(p->row->room_type, "dm");
	REQUIRE(p->row->other_user_id != NULL);
	CHECK_EQ_STR(p->row->other_user_id, "4915199999999");
	CHECK_EQ_STR(p->row->name, "N");
	br_portal_unref(p);
	for (i = 0; i < 5; i++)
		br_recover_claim_clear(&c[i]);
	/* Same claims in another order: same outcome (deterministic). */
	fx_close(&x);
}

TEST(recover_apply_fixes_a_row_whose_room_is_gone)
{
	struct fx x;
	struct br_recover_claim c[1];
	struct br_recover_stats st;
	const char *joined[] = { "!new:t" };
	struct br_portal_key k = { GROUP, "" };
	char *m;

	REQUIRE(fx_open(&x) == 0);
	/* The row points to a room the bot is no longer in. */
	REQUIRE(br_portal_attach(x.reg, k, "!gone:t", NULL, NULL, NULL, 0) ==
	    0);
	memset(&st, 0, sizeof(st));
	c[0] = claim("!new:t", GROUP, "");
	REQUIRE(br_recover_apply(x.reg, c, 1, joined, 1, &st) == 0);
	CHECK_EQ_INT(st.recovered, 1);
	m = mxid_of(x.db, GROUP, "");
	CHECK_EQ_STR(m, "!new:t");
	free(m);
	br_recover_claim_clear(&c[0]);
	fx_close(&x);
}

static int done_rc = 1;
static struct br_recover_stats done_st;

static void
on_done(void *arg, int rc, const struct br_recover_stats *st)
{
	(void)arg;
	done_rc = rc;
	if (st != NULL)
		done_st = *st;
}

static const struct froom rooms[] = {
	{ "!z-group:t", "{\"bridgebot\":\"" BOT_ID "\",\"protocol\":{\"id\":"
	    "\"whatsapp\"},\"channel\":{\"id\":\"" GROUP "\",\"displayname\":"
	    "\"Old name\"}}", "Club" },
	{ "!dm:t", "{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":\"" DM
	    "\",\"fi.mau.receiver\":\"4915100000001\"}}", NULL },
	{ "!a-twin:t", "{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":\""
	    GROUP "\"}}", NULL },
	/* Another bridge's room: its m.bridge has another state key, so
	 * ours is 404. */
	{ "!signal:t", NULL, "Signal room", "[{\"type\":\"m.bridge\","
	    "\"state_key\":\"t.test/signal\",\"content\":{\"bridgebot\":"
	    "\"@signalbot:t.test\",\"channel\":{\"id\":\"" GROUP2 "\"}}}]" },
	{ "!wrongbot:t", "{\"bridgebot\":\"@other:t.test\",\"channel\":"
	    "{\"id\":\"" GROUP2 "\"}}", NULL },
	{ "!junk:t", "{\"bridgebot\":\"" BOT_ID "\",\"channel\":[1]}", NULL },
	{ "!mgmt:t", NULL, NULL },
};

TEST(recover_walk_over_the_bots_rooms)
{
	struct fx x;
	struct br_portal_key kg = { GROUP, "" };
	struct br_portal *row = NULL;
	char *m;

	REQUIRE(fx_open(&x) == 0);
	F.rooms = rooms;
	F.nrooms = sizeof(rooms) / sizeof(rooms[0]);
	done_rc = 1;
	REQUIRE(br_recover_start(x.reg, on_done, NULL) == 0);
	CHECK_EQ_INT(done_rc, 1);	/* nothing completes inside start */
	drain();
	CHECK_EQ_INT(done_rc, 0);
	CHECK_EQ_INT(done_st.joined, 9);
	CHECK_EQ_INT(done_st.with_state, 5);
	CHECK_EQ_INT(done_st.recovered, 2);
	CHECK_EQ_INT(done_st.conflicts, 1);
	CHECK_EQ_INT(done_st.ignored, 2);
	/* The twin with the smaller room ID wins; name from m.room.name,
	 * else the m.bridge channel displayname; topic from state. */
	REQUIRE(br_store_portal_get(x.db, kg, &row) == 0);
	CHECK_EQ_STR(row->mxid, "!a-twin:t");
	CHECK_EQ_STR(row->topic, "the topic");
	br_portal_free(row);
	m = mxid_of(x.db, DM, "4915100000001");
	CHECK_EQ_STR(m, "!dm:t");
	free(m);
	CHECK(mxid_of(x.db, GROUP2, "") == NULL);
	/* Run again: nothing new, both known. */
	REQUIRE(br_recover_start(x.reg, on_done, NULL) == 0);
	drain();
	CHECK_EQ_INT(done_st.recovered, 0);
	CHECK_EQ_INT(done_st.already, 2);
	/* A homeserver error ends the walk with the code. */
	F.fail_list = 1;
	REQUIRE(br_recover_start(x.reg, on_done, NULL) == 0);
	drain();
	CHECK_EQ_INT(done_rc, BR_ERR_MX_FAILED);
	fx_close(&x);
}

TEST(recover_name_from_bridge_info)
{
	struct fx x;
	static const struct froom one[] = {
		{ "!g:t", "{\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":"
		    "\"" GROUP "\",\"displayname\":\"From m.bridge\"}}", NULL },
	};
	struct br_portal_key kg = { GROUP, "" };
	struct br_portal *row = NULL;

	REQUIRE(fx_open(&x) == 0);
	F.rooms = one;
	F.nrooms = 1;
	REQUIRE(br_recover_start(x.reg, on_done, NULL) == 0);
	drain();
	CHECK_EQ_INT(done_rc, 0);
	REQUIRE(br_store_portal_get(x.db, kg, &row) == 0);
	CHECK_EQ_STR(row->name, "From m.bridge");
	CHECK(row->name_set);
	br_portal_free(row);
	fx_close(&x);
}

#define LEGACY(jid, chan, extra) "{\"type\":\"m.bridge\",\"state_key\":" \
	"\"net.maunium.whatsapp://whatsapp/" jid "\",\"content\":{" \
	"\"bridgebot\":\"" BOT_ID "\",\"channel\":{\"id\":\"" chan "\"" \
	extra "}}}"

TEST(recover_legacy_state_key)
{
	struct fx x;
	static const struct froom legacy[] = {
		{ "!leg:t", NULL, NULL, "[{\"type\":\"m.room.name\","
		    "\"state_key\":\"\",\"content\":{\"name\":\"Old club\"}},"
		    LEGACY(GROUP, GROUP, "") "]" },
		/* A legacy DM: no receiver, cannot be placed. */
		{ "!legdm:t", NULL, NULL, "[" LEGACY(DM, DM, "") "]" },
		/* Key and channel disagree. */
		{ "!legbad:t", NULL, NULL, "[" LEGACY(GROUP2, GROUP, "") "]" },
		/* A DM with a receiver is fine. */
		{ "!legdm2:t", NULL, NULL, "[" LEGACY("4915100000002@s.whatsapp.net",
		    "4915100000002@s.whatsapp.net",
		    ",\"fi.mau.receiver\":\"4915100000001\"") "]" },
		/* No state list (homeserver without /initialSync). */
		{ "!nolist:t", NULL, NULL, NULL },
	};
	struct br_portal_key kg = { GROUP, "" };
	struct br_portal *row = NULL;
	char *m;

	REQUIRE(fx_open(&x) == 0);
	F.rooms = legacy;
	F.nrooms = sizeof(legacy) / sizeof(legacy[0]);
	REQUIRE(br_recover_start(x.reg, on_done, NULL) == 0);
	drain();
	CHECK_EQ_INT(done_rc, 0);
	CHECK_EQ_INT(done_st.with_state, 4);
	CHECK_EQ_INT(done_st.recovered, 2);
	CHECK_EQ_INT(done_st.ignored, 2);
	REQUIRE(br_store_portal_get(x.db, kg, &row) == 0);
	CHECK_EQ_STR(row->mxid, "!leg:t");
	CHECK_EQ_STR(row->name, "Old club");
	br_portal_free(row);
	m = mxid_of(x.db, "4915100000002@s.whatsapp.net", "4915100000001");
	CHECK_EQ_STR(m, "!legdm2:t");
	free(m);
	CHECK(mxid_of(x.db, DM, "") == NULL);
	fx_close(&x);
}

TEST_MAIN()
