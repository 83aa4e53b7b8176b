/*
 * test_br_portal.c: portals in the bridge core over an in-memory Matrix
 * side (struct br_mx implemented here; calls complete when the test
 * says) and a SQLite database in /tmp: FIFO order under parking, the
 * readiness gate, refcounts and the registry, room creation, ghost
 * ensure and displaynames; and the createRoom body / m.bridge content
 * through the real adapter (bridge/mx_as.c on matrix/, no homeserver).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "db/db.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/loop.h"

static char *const noenv[] = { NULL };

static const char cfg_yaml[] =
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n"
    "appservice:\n"
    "    hostname: 127.0.0.1\n"
    "    port: 0\n"
    "    as_token: AS\n"
    "    hs_token: HS\n";

#define BOT_ID	"@whatsappbot:t.test"
#define GROUP	"120363012345678901@g.us"
#define GROUP2	"120363000000000002@g.us"
#define DM	"4915199999999@s.whatsapp.net"

/* ---- the fake Matrix side ---- */

#define FAKE_MAX 64

struct fcall {
	char		 op[24];
	char		 room[128];
	char		 arg1[128];
	br_mx_done_fn	 done;
	void		*arg;
	int		 pending;
};

static struct {
	struct br_mx	 mx;
	struct fcall	 calls[FAKE_MAX];
	size_t		 n;
} F;

static struct br_mx_intent *
f_bot(struct br_mx *mx)
{
	(void)mx;
	return (struct br_mx_intent *)(void *)&F;
}

static struct br_mx_intent *
f_ghost(struct br_mx *mx, const char *id)
{
	(void)mx;
	return id[0] != '\0' ? (struct br_mx_intent *)(void *)&F.calls : NULL;
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
	return "t.test/whatsapp";
}

static struct fcall *
rec(const char *op, const char *room, const char *a1, br_mx_done_fn done,
    void *arg)
{
	struct fcall *c;

	if (F.n >= FAKE_MAX)
		abort();
	c = &F.calls[F.n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->room, sizeof(c->room), "%s", room ? room : "");
	snprintf(c->arg1, sizeof(c->arg1), "%s", a1 ? a1 : "");
	c->done = done;
	c->arg = arg;
	c->pending = 1;
	return c;
}

/* The fake's body: just what the core passed, to check the spec. */
static json_t *
f_create_req(struct br_mx *mx, const struct br_mx_room_spec *s)
{
	json_t *bi = json_pack("{s:s,s:{s:s}}", "bridgebot", BOT_ID,
	    "channel", "id", s->channel_id);

	(void)mx;
	if (s->name != NULL)
		json_object_set_new(json_object_get(bi, "channel"),
		    "displayname", json_string(s->name));
	return json_pack("{s:s,s:b,s:[{s:s,s:s,s:o}]}", "name_seen",
	    s->name ? s->name : "", "is_direct", s->is_dm,
	    "initial_state", "type", "m.bridge", "state_key",
	    "t.test/whatsapp", "content", bi);
}

static int
f_create(struct br_mx *mx, struct br_mx_intent *in, json_t *req,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)in;
	rec("create", "", json_string_value(json_object_get(req,
	    "name_seen")), done, arg);
	return 0;
}

static int
f_send_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, json_t *content, br_mx_done_fn done,
    void *arg)
{
	(void)mx;
	(void)in;
	(void)key;
	(void)content;
	rec("state", room, type, done, arg);
	return 0;
}

static int
f_register(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done,
    void *arg)
{
	(void)mx;
	(void)in;
	rec("register", "", "", done, arg);
	return 0;
}

static int
f_name(struct br_mx *mx, struct br_mx_intent *in, const char *name,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)in;
	rec("displayname", "", name, done, arg);
	return 0;
}

static int
f_join(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)in;
	rec("join", room, "", done, arg);
	return 0;
}

static const struct br_mx_ops fake_ops = {
	.bot = f_bot,
	.ghost = f_ghost,
	.bot_id = f_bot_id,
	.bridge_state_key = f_key,
	.portal_create_req = f_create_req,
	.create_room = f_create,
	.send_state = f_send_state,
	.ensure_registered = f_register,
	.set_displayname = f_name,
	.ensure_joined = f_join,
};

/* Complete call i (json text answer or NULL). */
static void
complete(size_t i, int rc, const char *answer)
{
	json_t *j = answer ? json_loads(answer, 0, NULL) : NULL;

	if (i >= F.n || !F.calls[i].pending)
		abort();
	F.calls[i].pending = 0;
	F.calls[i].done(F.calls[i].arg, rc, j);
	json_decref(j);
}

static void
cancel_all(void)
{
	size_t i;

	for (i = 0; i < F.n; i++)
		if (F.calls[i].pending)
			complete(i, BR_ERR_MX_CANCELLED, NULL);
}

/* ---- fixture ---- */

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_portals	*reg;
	char			 path[64];
};

static int
fx_open(struct fx *x, const char *extra)
{
	struct br_config_opts o = { noenv };
	char err[256], uri[128], yaml[2048];
	int fd;

	memset(x, 0, sizeof(*x));
	snprintf(yaml, sizeof(yaml), "%s%s", cfg_yaml, extra ? extra : "");
	if (br_config_load_mem("t.yaml", yaml, strlen(yaml), &o, &x->cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brportal-XXXXXX");
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

	br_portals_close(x->reg);
	cancel_all();
	br_portals_free(x->reg);
	db_close(x->db);
	br_config_free(x->cfg);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

/* ---- FIFO ---- */

static char trace[256];
static struct br_portal_obj *parked_p;

static enum br_portal_step
run_log(struct br_portal_obj *p, void *arg)
{
	const char *s = arg;

	strncat(trace, s + 1, sizeof(trace) - strlen(trace) - 1);
	if (s[0] == 'P') {		/* "P<name>": park */
		parked_p = p;
		return BR_PORTAL_PARKED;
	}
	if (s[0] == 'E')		/* enqueue more from inside a run */
		br_portal_enqueue(p, run_log, NULL, (void *)"-e");
	return BR_PORTAL_DONE;
}

static int ndropped;

static void
drop_count(void *arg)
{
	(void)arg;
	ndropped++;
}

TEST(portal_fifo_keeps_order_while_parked)
{
	struct fx x;
	struct br_portal_key k = { GROUP, "" };
	struct br_portal_obj *p;

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_portal_get(x.reg, k, 1, &p) == 0);
	trace[0] = '\0';
	/* Not ready (recovery running): nothing runs yet. */
	br_portal_enqueue(p, run_log, NULL, (void *)"-a");
	br_portal_enqueue(p, run_log, NULL, (void *)"Pb");
	br_portal_enqueue(p, run_log, NULL, (void *)"Ec");
	CHECK_EQ_STR(trace, "");
	br_portals_set_ready(x.reg, 1);
	/* a ran, b parked: c waits although it was queued long ago. */
	CHECK_EQ_STR(trace, "ab");
	br_portal_enqueue(p, run_log, NULL, (void *)"-d");
	CHECK_EQ_STR(trace, "ab");
	CHECK(p->parked);
	br_portal_resume(parked_p);
	/* c queued e from inside its run: e comes after d. */
	CHECK_EQ_STR(trace, "abcde");
	CHECK(!p->parked);
	CHECK_EQ_INT(p->queued, 0);
	br_portal_unref(p);
	fx_close(&x);
}

TEST(portal_queue_bounded_and_dropped_at_teardown)
{
	struct fx x;
	struct br_portal_key k = { GROUP, "" };
	struct br_portal_obj *p;
	size_t i;

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_portal_get(x.reg, k, 1, &p) == 0);
	ndropped = 0;
	for (i = 0; i < BR_PORTAL_QUEUE_MAX; i++)
		REQUIRE(br_portal_enqueue(p, run_log, drop_count,
		    (void *)"-x") == 0);
	CHECK_EQ_INT(br_portal_enqueue(p, run_log, drop_count, (void *)"-x"),
	    U_ERR_TOO_BIG);
	br_portal_unref(p);
	fx_close(&x);	/* never ready: every item dropped, none run */
	CHECK_EQ_INT(ndropped, BR_PORTAL_QUEUE_MAX);
}

TEST(portal_registry_refcounts_and_lookups)
{
	struct fx x;
	struct br_portal_key k = { GROUP, "" }, bad = { "not a jid", "" };
	struct br_portal_key dev = { "4915199999999:3@s.whatsapp.net", "1" };
	struct br_portal_obj *p, *q, *r;

	REQUIRE(fx_open(&x, NULL) == 0);
	CHECK_EQ_INT(br_portal_get(x.reg, k, 0, &p), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_portal_get(x.reg, bad, 1, &p), BR_ERR_PORTAL_BAD_ID);
	CHECK_EQ_INT(br_portal_get(x.reg, dev, 1, &p), BR_ERR_PORTAL_BAD_ID);
	REQUIRE(br_portal_get(x.reg, k, 1, &p) == 0);
	REQUIRE(br_portal_get(x.reg, k, 0, &q) == 0);
	CHECK(p == q);
	CHECK_EQ_INT(p->refs, 3);	/* registry + two callers */
	br_portal_unref(q);
	CHECK_EQ_INT(p->refs, 2);
	/* By room: through the store, then the cache. */
	free(p->row->mxid);
	p->row->mxid = strdup("!a:t.test");
	REQUIRE(br_portal_save(p) == 0);
	REQUIRE(br_portal_get_by_mxid(x.reg, "!a:t.test", &r) == 0);
	CHECK(r == p);
	br_portal_unref(r);
	CHECK_EQ_INT(br_portal_get_by_mxid(x.reg, "!none:t.test", &r),
	    U_ERR_NOT_FOUND);
	/* Forgotten: a new object is loaded from the row; the old one
	 * lives on while referenced. */
	br_portals_forget(x.reg, k);
	CHECK_EQ_INT(p->refs, 1);
	REQUIRE(br_portal_get_by_mxid(x.reg, "!a:t.test", &r) == 0);
	CHECK(r != p);
	CHECK_EQ_STR(r->row->id, GROUP);
	br_portal_unref(r);
	br_portal_unref(p);
	fx_close(&x);
}

/* ---- room creation ---- */

static int created_rc = 1;
static char created_room[64];

static void
on_created(void *arg, int rc, const char *room)
{
	(void)arg;
	created_rc = rc;
	snprintf(created_room, sizeof(created_room), "%s", room ? room : "");
}

TEST(portal_create_room_saves_mxid_once)
{
	struct fx x;
	struct br_portal_key k = { GROUP, "" };
	struct br_portal_obj *p;
	struct br_portal_info info = { .name = "Club" };
	struct br_portal *row = NULL;

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_portal_get(x.reg, k, 1, &p) == 0);
	REQUIRE(br_portal_create_room(p, &info, on_created, NULL) == 0);
	/* Held until recovery says the rooms are known. */
	CHECK_EQ_INT(F.n, 0);
	br_portals_set_ready(x.reg, 1);
	REQUIRE(F.n == 1);
	CHECK_EQ_STR(F.calls[0].op, "create");
	CHECK_EQ_STR(F.calls[0].arg1, "Club");
	/* A second request queued while the first is in flight. */
	REQUIRE(br_portal_create_room(p, NULL, on_created, NULL) == 0);
	CHECK_EQ_INT(F.n, 1);
	complete(0, 0, "{\"room_id\":\"!new:t.test\"}");
	CHECK_EQ_INT(created_rc, 0);
	CHECK_EQ_STR(created_room, "!new:t.test");
	CHECK_EQ_INT(F.n, 1);		/* the second made no new room */
	REQUIRE(br_store_portal_get(x.db, k, &row) == 0);
	CHECK_EQ_STR(row->mxid, "!new:t.test");
	CHECK_EQ_STR(row->name, "Club");
	CHECK(row->name_set);
	br_portal_free(row);
	/* Bridge info re-sent: m.bridge then uk.half-shot.bridge, in order. */
	REQUIRE(br_portal_update_bridge_info(p) == 0);
	REQUIRE(F.n == 2);
	CHECK_EQ_STR(F.calls[1].arg1, "m.bridge");
	complete(1, 0, "{\"event_id\":\"$1\"}");
	REQUIRE(F.n == 3);
	CHECK_EQ_STR(F.calls[2].arg1, "uk.half-shot.bridge");
	complete(2, 0, "{\"event_id\":\"$2\"}");
	CHECK(!p->parked);
	br_portal_unref(p);
	fx_close(&x);
}

TEST(portal_create_room_failure_and_shutdown)
{
	struct fx x;
	struct br_portal_key k = { DM, "4915100000001" };
	struct br_portal_obj *p;

	REQUIRE(fx_open(&x, NULL) == 0);
	br_portals_set_ready(x.reg, 1);
	REQUIRE(br_portal_get(x.reg, k, 1, &p) == 0);
	REQUIRE(br_portal_create_room(p, NULL, on_created, NULL) == 0);
	complete(0, BR_ERR_MX_FAILED, NULL);
	CHECK_EQ_INT(created_rc, BR_ERR_MX_FAILED);
	CHECK(p->row->mxid == NULL);
	/* Next one in flight at shutdown: cancelled, nothing leaks. */
	REQUIRE(br_portal_create_room(p, NULL, on_created, NULL) == 0);
	REQUIRE(br_portal_create_room(p, NULL, on_created, NULL) == 0);
	br_portal_unref(p);
	fx_close(&x);
	CHECK_EQ_INT(created_rc, BR_ERR_PORTAL_CLOSED);
}

TEST(portal_resend_bridge_info_to_every_room)
{
	struct fx x;
	struct br_portal_key a = { GROUP, "" }, b = { GROUP2, "" },
	    c = { DM, "4915100000001" };
	struct br_portal_obj *p;
	size_t i, nb = 0, nh = 0;

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_portal_attach(x.reg, a, "!a:t.test", NULL, NULL, NULL, 0) ==
	    0);
	REQUIRE(br_portal_attach(x.reg, b, "!b:t.test", NULL, NULL, NULL, 0) ==
	    0);
	REQUIRE(br_portal_get(x.reg, c, 1, &p) == 0);	/* no room */
	br_portal_unref(p);
	br_portals_set_ready(x.reg, 1);
	CHECK_EQ_INT(br_portals_resend_bridge_info(x.reg), 2);
	/* Each portal: m.bridge, then (on completion) uk.half-shot.bridge. */
	for (i = 0; i < F.n; i++)
		if (F.calls[i].pending)
			complete(i, 0, "{\"event_id\":\"$e\"}");
	for (i = 0; i < F.n; i++)
		if (F.calls[i].pending)
			complete(i, 0, "{\"event_id\":\"$e\"}");
	for (i = 0; i < F.n; i++) {
		nb += strcmp(F.calls[i].arg1, "m.bridge") == 0;
		nh += strcmp(F.calls[i].arg1, "uk.half-shot.bridge") == 0;
	}
	CHECK_EQ_INT(nb, 2);
	CHECK_EQ_INT(nh, 2);
	fx_close(&x);
}

TEST(portal_attach_overwrite_takes_the_room_from_a_cached_portal)
{
	struct fx x;
	struct br_portal_key a = { GROUP, "" }, b = { GROUP2, "" };
	struct br_portal_obj *pa;
	struct br_portal *row = NULL;

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_portal_attach(x.reg, a, "!x:t.test", "A", NULL, NULL, 0) ==
	    0);
	REQUIRE(br_portal_get(x.reg, a, 0, &pa) == 0);
	CHECK_EQ_STR(pa->row->mxid, "!x:t.test");
	/* Another chat may not take the room without overwrite... */
	CHECK_EQ_INT(br_portal_attach(x.reg, b, "!x:t.test", NULL, NULL, NULL,
	    0), BR_ERR_PORTAL_EXISTS);
	/* ...nor may a chat with a room get a second one. */
	CHECK_EQ_INT(br_portal_attach(x.reg, a, "!y:t.test", NULL, NULL, NULL,
	    0), BR_ERR_PORTAL_EXISTS);
	REQUIRE(br_portal_attach(x.reg, b, "!x:t.test", NULL, NULL, NULL, 1) ==
	    0);
	/* The cached object lost the room too: saving it keeps it lost. */
	CHECK(pa->row->mxid == NULL);
	REQUIRE(br_portal_save(pa) == 0);
	REQUIRE(br_store_portal_get(x.db, a, &row) == 0);
	CHECK(row->mxid == NULL);
	br_portal_free(row);
	REQUIRE(br_store_portal_get(x.db, b, &row) == 0);
	CHECK_EQ_STR(row->mxid, "!x:t.test");
	br_portal_free(row);
	br_portal_unref(pa);
	fx_close(&x);
}

/* ---- ghosts ---- */

TEST(ghost_displayname_template_subset)
{
	struct br_ghost_info gi = { .push_name = "Alice",
	    .phone = "+4915199999999" };
	char *s = NULL;

	REQUIRE(br_ghost_displayname("{{or .BusinessName .PushName .Phone "
	    ".RedactedPhone \"Unknown user\"}} (WA)", &gi, &s) == 0);
	CHECK_EQ_STR(s, "Alice (WA)");
	free(s);
	gi.push_name = "";
	gi.business_name = "Shop";
	REQUIRE(br_ghost_displayname("{{or .BusinessName .PushName}} (WA)",
	    &gi, &s) == 0);
	CHECK_EQ_STR(s, "Shop (WA)");
	free(s);
	gi.business_name = NULL;
	REQUIRE(br_ghost_displayname("{{or .PushName .RedactedPhone}}", &gi,
	    &s) == 0);
	/* "+4915199999999": "+4", ten U+2219, "99" (upstream's). */
	CHECK_EQ_STR(s, "+4\xe2\x88\x99\xe2\x88\x99\xe2\x88\x99\xe2\x88\x99"
	    "\xe2\x88\x99\xe2\x88\x99\xe2\x88\x99\xe2\x88\x99\xe2\x88\x99"
	    "\xe2\x88\x99""99");
	free(s);
	gi.phone = "+123";
	REQUIRE(br_ghost_displayname("{{.RedactedPhone}}", &gi, &s) == 0);
	CHECK_EQ_STR(s, "+123");
	free(s);
	gi.phone = NULL;
	REQUIRE(br_ghost_displayname("{{or .PushName .Phone \"Unknown "
	    "user\"}}", &gi, &s) == 0);
	CHECK_EQ_STR(s, "Unknown user");
	free(s);
	REQUIRE(br_ghost_displayname("{{.JID}}!{{.Notify}}", &gi, &s) == 0);
	CHECK_EQ_STR(s, "!");
	free(s);
	s = NULL;
	CHECK_EQ_INT(br_ghost_displayname("{{.Nope}}", &gi, &s),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_ghost_displayname("{{or .PushName", &gi, &s),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_ghost_displayname("{{\"open}}", &gi, &s),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_ghost_displayname("{{.PushName .Phone}}", &gi, &s),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_ghost_displayname("{{printf \"%s\" .PushName}}", &gi,
	    &s), U_ERR_INVALID);
	CHECK(s == NULL);
}

static int ghost_rc = 1;

static void
on_ghost(void *arg, int rc)
{
	(void)arg;
	ghost_rc = rc;
}

TEST(ghost_ensure_registers_names_joins_and_saves)
{
	struct fx x;
	struct br_ghost_info gi = { .push_name = "Bob" };
	struct br_ghost *g = NULL;

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_ghost_ensure(x.reg, "4915199999999", &gi, "!r:t.test",
	    on_ghost, NULL) == 0);
	REQUIRE(F.n == 1);
	CHECK_EQ_STR(F.calls[0].op, "register");
	complete(0, 0, "{}");
	REQUIRE(F.n == 2);
	CHECK_EQ_STR(F.calls[1].op, "displayname");
	CHECK_EQ_STR(F.calls[1].arg1, "Bob (WA)");
	complete(1, 0, "{}");
	REQUIRE(F.n == 3);
	CHECK_EQ_STR(F.calls[2].op, "join");
	CHECK_EQ_STR(F.calls[2].room, "!r:t.test");
	complete(2, 0, "{\"room_id\":\"!r:t.test\"}");
	CHECK_EQ_INT(ghost_rc, 0);
	REQUIRE(br_store_ghost_get(x.db, "4915199999999", &g) == 0);
	CHECK_EQ_STR(g->name, "Bob (WA)");
	CHECK(g->name_set);
	br_ghost_free(g);
	/* Same name again: no displayname call. */
	REQUIRE(br_ghost_ensure(x.reg, "4915199999999", &gi, NULL, on_ghost,
	    NULL) == 0);
	complete(3, 0, "{}");
	CHECK_EQ_INT(F.n, 4);
	CHECK_EQ_INT(ghost_rc, 0);
	/* A failure ends the chain with its code. */
	ghost_rc = 1;
	REQUIRE(br_ghost_ensure(x.reg, "lid-1", &gi, "!r:t.test", on_ghost,
	    NULL) == 0);
	complete(4, BR_ERR_MX_FAILED, NULL);
	CHECK_EQ_INT(ghost_rc, BR_ERR_MX_FAILED);
	CHECK_EQ_INT(F.n, 5);
	fx_close(&x);
}

/* ---- the real adapter's body ---- */

static json_t *
state_of(json_t *req, const char *type, const char **key)
{
	json_t *ev;
	size_t i;

	json_array_foreach(json_object_get(req, "initial_state"), i, ev)
		if (strcmp(json_string_value(json_object_get(ev, "type")),
		    type) == 0) {
			if (key != NULL)
				*key = json_string_value(json_object_get(ev,
				    "state_key"));
			return json_object_get(ev, "content");
		}
	return NULL;
}

TEST(portal_create_body_through_the_adapter)
{
	struct fx x;
	struct u_loop *loop;
	struct br_mx_handlers h;
	struct br_mx *mx = NULL;
	struct br_portal *row;
	struct br_portal_key k = { DM, "4915100000001" };
	struct br_portal_obj *p;
	struct br_mx_room_spec spec;
	json_t *req, *c, *bi;
	const char *key = NULL;

	REQUIRE(fx_open(&x, NULL) == 0);
	loop = u_loop_new();
	memset(&h, 0, sizeof(h));
	REQUIRE(br_mx_as_new(loop, x.cfg, 0, &h, &mx) == 0);
	br_portals_set_mx(x.reg, mx);
	CHECK_EQ_STR(mx->ops->bridge_state_key(mx), "t.test/whatsapp");
	REQUIRE(br_portal_get(x.reg, k, 1, &p) == 0);
	row = p->row;
	free(row->name);
	row->name = strdup("Bob");
	free(row->room_type);
	row->room_type = strdup("dm");
	br_portal_room_spec(x.reg, row, &spec);
	req = mx->ops->portal_create_req(mx, &spec);
	REQUIRE(req != NULL);
	CHECK(json_is_true(json_object_get(req, "is_direct")));
	CHECK_EQ_STR(json_string_value(json_object_get(req, "preset")),
	    "private_chat");
	/* matrix.federate_rooms defaults to true: no m.federate key. */
	CHECK(json_object_get(json_object_get(req, "creation_content"),
	    "m.federate") == NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(
	    json_object_get(req, "power_level_content_override"), "users"),
	    BOT_ID)), 9001);
	c = state_of(req, "m.bridge", &key);
	REQUIRE(c != NULL);
	CHECK_EQ_STR(key, "t.test/whatsapp");
	CHECK_EQ_STR(json_string_value(json_object_get(c, "bridgebot")),
	    BOT_ID);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(c,
	    "channel"), "id")), DM);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(c,
	    "channel"), "fi.mau.receiver")), "4915100000001");
	CHECK(state_of(req, "uk.half-shot.bridge", NULL) != NULL);
	CHECK(state_of(req, "io.element.functional_members", NULL) != NULL);
	CHECK(json_is_true(json_object_get(state_of(req, "m.room.name", NULL),
	    "com.beeper.exclude_from_timeline")));
	/* The re-sent m.bridge is the creation's, built once. */
	bi = br_portal_bridge_info(x.reg, row);
	CHECK(json_equal(bi, c));
	json_decref(bi);
	json_decref(req);
	br_portal_unref(p);
	br_portals_close(x.reg);
	br_mx_as_free(mx);
	u_loop_free(loop);
	br_portals_set_mx(x.reg, &F.mx);
	fx_close(&x);
}

TEST_MAIN()
