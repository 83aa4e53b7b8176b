/*
 * test_br_avatar.c: WhatsApp pictures on Matrix (bridge/portal.c room
 * avatars, bridge/portal_ghost.c ghost avatars) over an in-memory Matrix
 * side and network side (both implemented here; calls complete when the
 * test says) and a SQLite database in /tmp: a new picture is uploaded and
 * set, the same id does nothing, the same bytes under a new id skip the
 * upload, a removed picture clears the avatar once; ids and hashes saved
 * in the portal and ghost rows; the known id goes to the network; a
 * ghost's first sight fetches its picture, later ones do not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "db/db.h"
#include "test/unit/test.h"
#include "util/err.h"

static char *const noenv[] = { NULL };

static const char cfg_yaml[] =
    "bridge:\n"
    "    private_chat_portal_meta: true\n"
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n"
    "appservice:\n"
    "    hostname: 127.0.0.1\n"
    "    port: 0\n"
    "    as_token: AS\n"
    "    hs_token: HS\n";

#define GROUP	"120363012345678901@g.us"
#define USER	"4915199999999@s.whatsapp.net"
#define GHOST	"4915199999999"
#define ROOM	"!g:t.test"
/* sha256("JPEG-1") and ("JPEG-2") in hex are computed by the code under
 * test; the test compares them with its own br__avatar_hash call and
 * checks they differ. */

/* ---- the fake Matrix side ---- */

#define FAKE_MAX 64

struct fcall {
	char		 op[24];
	char		 who[16];	/* "bot" or "ghost" */
	char		 room[128];
	char		 arg1[256];	/* type, mxc, upload bytes */
	br_mx_done_fn	 done;
	void		*arg;
	int		 pending;
};

static struct {
	struct br_mx	 mx;
	struct fcall	 calls[FAKE_MAX];
	size_t		 n;
	int		 bot, ghost;	/* intent tokens */
} F;

static struct br_mx_intent *
f_bot(struct br_mx *mx)
{
	(void)mx;
	return (struct br_mx_intent *)(void *)&F.bot;
}

static struct br_mx_intent *
f_ghost(struct br_mx *mx, const char *id)
{
	(void)mx;
	return id[0] != '\0' ? (struct br_mx_intent *)(void *)&F.ghost : NULL;
}

static struct fcall *
rec(const char *op, struct br_mx_intent *in, const char *room,
    const char *a1, br_mx_done_fn done, void *arg)
{
	struct fcall *c;

	if (F.n >= FAKE_MAX)
		abort();
	c = &F.calls[F.n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->who, sizeof(c->who), "%s",
	    in == (struct br_mx_intent *)(void *)&F.bot ? "bot" : "ghost");
	snprintf(c->room, sizeof(c->room), "%s", room ? room : "");
	snprintf(c->arg1, sizeof(c->arg1), "%s", a1 ? a1 : "");
	c->done = done;
	c->arg = arg;
	c->pending = 1;
	return c;
}

static int
f_send_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, json_t *content, br_mx_done_fn done,
    void *arg)
{
	char *s = json_dumps(content, JSON_COMPACT | JSON_SORT_KEYS);
	char a1[256];

	(void)mx;
	(void)key;
	snprintf(a1, sizeof(a1), "%s %s", type, s);
	free(s);
	rec("state", in, room, a1, done, arg);
	return 0;
}

static int
f_upload(struct br_mx *mx, struct br_mx_intent *in, const void *data,
    size_t len, const char *ctype, const char *fname, br_mx_done_fn done,
    void *arg)
{
	char a1[256];

	(void)mx;
	snprintf(a1, sizeof(a1), "%.*s %s %s", (int)len, (const char *)data,
	    ctype, fname);
	rec("upload", in, "", a1, done, arg);
	return 0;
}

static int
f_set_avatar(struct br_mx *mx, struct br_mx_intent *in, const char *mxc,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	rec("avatar", in, "", mxc, done, arg);
	return 0;
}

static int
f_register(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done,
    void *arg)
{
	(void)mx;
	rec("register", in, "", "", done, arg);
	return 0;
}

static int
f_name(struct br_mx *mx, struct br_mx_intent *in, const char *name,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	rec("displayname", in, "", name, done, arg);
	return 0;
}

static const struct br_mx_ops fake_ops = {
	.bot = f_bot,
	.ghost = f_ghost,
	.send_state = f_send_state,
	.upload = f_upload,
	.set_avatar = f_set_avatar,
	.ensure_registered = f_register,
	.set_displayname = f_name,
};

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

/* ---- the fake network side ---- */

#define NET_PEND 16

static struct {
	struct br_net		 net;
	struct br_net_login_info info;
	int			 login;		/* the login token */
	size_t			 n;		/* avatar calls made */
	char			 chat[64], known[64];	/* the last call's */
	/* Pending calls, oldest first; done/arg: the oldest's. */
	struct {
		char		 chat[64];
		br_net_done_fn	 done;
		void		*arg;
	}			 pend[NET_PEND];
	size_t			 npend;
	br_net_done_fn		 done;
	void			*arg;
} N;

static void
pend_front(void)
{
	N.done = N.npend > 0 ? N.pend[0].done : NULL;
	N.arg = N.npend > 0 ? N.pend[0].arg : NULL;
	if (N.npend > 0)
		snprintf(N.chat, sizeof(N.chat), "%s", N.pend[0].chat);
}

static int
n_avatar(struct br_net_login *l, const char *chat, const char *known,
    br_net_done_fn done, void *arg)
{
	if (l != (struct br_net_login *)(void *)&N.login ||
	    N.npend >= NET_PEND)
		abort();
	N.n++;
	snprintf(N.pend[N.npend].chat, sizeof(N.pend[0].chat), "%s", chat);
	N.pend[N.npend].done = done;
	N.pend[N.npend].arg = arg;
	N.npend++;
	snprintf(N.known, sizeof(N.known), "%s", known ? known : "");
	pend_front();
	if (N.npend == 1)
		snprintf(N.chat, sizeof(N.chat), "%s", chat);
	return 0;
}

/* The oldest pending call leaves the list (before its answer runs). */
static void
pend_pop(void)
{
	memmove(&N.pend[0], &N.pend[1], (N.npend - 1) * sizeof(N.pend[0]));
	N.npend--;
	pend_front();
}

static const struct br_net_login_info *
n_info(const struct br_net_login *l)
{
	(void)l;
	return &N.info;
}

static struct br_net_login *
n_login_get(struct br_net *n, const char *id)
{
	(void)n;
	return strcmp(id, "491500000000") == 0 ?
	    (struct br_net_login *)(void *)&N.login : NULL;
}

static const struct br_net_ops net_ops = {
	.name = "fake",
	.avatar = n_avatar,
	.info = n_info,
	.login_get = n_login_get,
};

/* Answer the pending avatar call: id and bytes (NULL: none). */
static void
answer(const char *id, const char *jpeg)
{
	struct br_net_chat_info ci;
	struct br_net_result r;
	br_net_done_fn done = N.done;
	void *arg = N.arg;
	char chat[64];

	if (done == NULL)
		abort();
	snprintf(chat, sizeof(chat), "%s", N.chat);
	pend_pop();
	memset(&ci, 0, sizeof(ci));
	memset(&r, 0, sizeof(r));
	ci.chat = chat;
	ci.avatar_id = id;
	ci.avatar = (const unsigned char *)jpeg;
	ci.avatar_len = jpeg != NULL ? strlen(jpeg) : 0;
	r.info = &ci;
	done(arg, 0, &r);
}

#define LOGIN ((struct br_net_login *)(void *)&N.login)

/* ---- fixture ---- */

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_portals	*reg;
	char			 path[64];
};

static int
fx_open(struct fx *x)
{
	struct br_config_opts o = { noenv };
	char err[256], uri[128];
	int fd;

	memset(x, 0, sizeof(*x));
	if (br_config_load_mem("t.yaml", cfg_yaml, strlen(cfg_yaml), &o,
	    &x->cfg, err, sizeof(err)) < 0)
		return -1;
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-bravatar-XXXXXX");
	if ((fd = mkstemp(x->path)) < 0)
		return -1;
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s?_txlock=immediate", x->path);
	if (db_open(&x->db, "sqlite3-fk-wal", uri, NULL) < 0 ||
	    db_upgrade(x->db) < 0)
		return -1;
	memset(&F, 0, sizeof(F));
	F.mx.ops = &fake_ops;
	memset(&N, 0, sizeof(N));
	N.net.ops = &net_ops;
	N.info.id = "491500000000";
	x->reg = br_portals_new(x->db, x->cfg);
	br_portals_set_mx(x->reg, &F.mx);
	br_portals_set_ready(x->reg, 1);
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];
	size_t i;

	br_portals_close(x->reg);
	for (i = 0; i < F.n; i++)
		if (F.calls[i].pending)
			complete(i, BR_ERR_MX_CANCELLED, NULL);
	br_portals_free(x->reg);
	db_close(x->db);
	br_config_free(x->cfg);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

static struct br_portal_obj *
group_portal(struct fx *x)
{
	struct br_portal_key k = { GROUP, "" };
	struct br_portal_obj *p = NULL;

	if (br_portal_attach(x->reg, k, ROOM, "G", NULL, NULL, 0) != 0 ||
	    br_portal_get(x->reg, k, 0, &p) != 0)
		abort();
	return p;
}

/* ---- room avatars ---- */

TEST(room_avatar_set_same_change_remove)
{
	struct fx x;
	struct br_portal_obj *p;
	struct br_portal *row = NULL;
	struct br_portal_key k = { GROUP, "" };
	char h1[65];

	REQUIRE(fx_open(&x) == 0);
	p = group_portal(&x);
	br__avatar_hash((const unsigned char *)"JPEG-1", 6, h1);

	/* A new picture: uploaded by the bot, then m.room.avatar. */
	REQUIRE(br_portal_set_avatar(p, "100", (const unsigned char *)"JPEG-1",
	    6) == 0);
	REQUIRE(F.n == 1);
	CHECK_EQ_STR(F.calls[0].op, "upload");
	CHECK_EQ_STR(F.calls[0].who, "bot");
	CHECK_EQ_STR(F.calls[0].arg1, "JPEG-1 image/jpeg avatar.jpg");
	complete(0, 0, "{\"content_uri\":\"mxc://t.test/one\"}");
	REQUIRE(F.n == 2);
	CHECK_EQ_STR(F.calls[1].op, "state");
	CHECK_EQ_STR(F.calls[1].room, ROOM);
	CHECK_EQ_STR(F.calls[1].arg1,
	    "m.room.avatar {\"url\":\"mxc://t.test/one\"}");
	complete(1, 0, "{\"event_id\":\"$1\"}");
	REQUIRE(br_store_portal_get(x.db, k, &row) == 0);
	CHECK_EQ_STR(row->avatar_id, "100");
	CHECK_EQ_STR(row->avatar_mxc, "mxc://t.test/one");
	CHECK_EQ_STR(row->avatar_hash, h1);
	CHECK(row->avatar_set);
	br_portal_free(row);

	/* The same id: nothing. */
	REQUIRE(br_portal_set_avatar(p, "100", (const unsigned char *)"JPEG-1",
	    6) == 0);
	CHECK_EQ_INT(F.n, 2);
	/* The same bytes under a new id: no upload, the same mxc. */
	REQUIRE(br_portal_set_avatar(p, "101", (const unsigned char *)"JPEG-1",
	    6) == 0);
	REQUIRE(F.n == 3);
	CHECK_EQ_STR(F.calls[2].op, "state");
	CHECK_EQ_STR(F.calls[2].arg1,
	    "m.room.avatar {\"url\":\"mxc://t.test/one\"}");
	complete(2, 0, "{}");
	/* Another picture: uploaded. */
	REQUIRE(br_portal_set_avatar(p, "102", (const unsigned char *)"JPEG-2",
	    6) == 0);
	REQUIRE(F.n == 4);
	CHECK_EQ_STR(F.calls[3].op, "upload");
	complete(3, 0, "{\"content_uri\":\"mxc://t.test/two\"}");
	CHECK_EQ_STR(F.calls[4].arg1,
	    "m.room.avatar {\"url\":\"mxc://t.test/two\"}");
	complete(4, 0, "{}");
	CHECK_EQ_STR(p->row->avatar_id, "102");
	CHECK(strcmp(p->row->avatar_hash, h1) != 0);
	/* Removed: an empty m.room.avatar, the row cleared; again: nothing
	 * sent. */
	REQUIRE(br_portal_set_avatar(p, "remove", NULL, 0) == 0);
	REQUIRE(F.n == 6);
	CHECK_EQ_STR(F.calls[5].arg1, "m.room.avatar {}");
	complete(5, 0, "{}");
	REQUIRE(br_store_portal_get(x.db, k, &row) == 0);
	CHECK_EQ_STR(row->avatar_id, "remove");
	CHECK_EQ_STR(row->avatar_mxc, "");
	CHECK_EQ_STR(row->avatar_hash, "");
	br_portal_free(row);
	REQUIRE(br_portal_set_avatar(p, "remove", NULL, 0) == 0);
	CHECK_EQ_INT(F.n, 6);
	/* A failed upload leaves the row as it was. */
	REQUIRE(br_portal_set_avatar(p, "103", (const unsigned char *)"JPEG-3",
	    6) == 0);
	complete(6, BR_ERR_MX_FAILED, NULL);
	CHECK_EQ_INT(F.n, 7);
	CHECK_EQ_STR(p->row->avatar_id, "remove");
	br_portal_unref(p);
	fx_close(&x);
}

TEST(room_avatar_sync_asks_with_the_known_id)
{
	struct fx x;
	struct br_portal_obj *p;

	REQUIRE(fx_open(&x) == 0);
	p = group_portal(&x);
	REQUIRE(br_portal_sync_avatar(p, &N.net, LOGIN) == 0);
	CHECK_EQ_STR(N.chat, GROUP);
	CHECK_EQ_STR(N.known, "");
	answer("200", "PIC");
	REQUIRE(F.n == 1);
	CHECK_EQ_STR(F.calls[0].op, "upload");
	complete(0, 0, "{\"content_uri\":\"mxc://t.test/p\"}");
	complete(1, 0, "{}");
	CHECK_EQ_STR(p->row->avatar_id, "200");
	/* Next time the id goes along; "unchanged" (same id, no bytes) does
	 * nothing. */
	REQUIRE(br_portal_sync_avatar(p, &N.net, LOGIN) == 0);
	CHECK_EQ_STR(N.known, "200");
	answer("200", NULL);
	CHECK_EQ_INT(F.n, 2);
	/* No slot: unsupported. */
	{
		struct br_net_ops none = { .name = "none" };
		struct br_net n2 = { &none, NULL };

		CHECK_EQ_INT(br_portal_sync_avatar(p, &n2, LOGIN),
		    BR_ERR_NET_UNSUPPORTED);
	}
	br_portal_unref(p);
	fx_close(&x);
}

/* ---- ghost avatars ---- */

static int ghost_rc = 1;

static void
on_ghost(void *arg, int rc)
{
	(void)arg;
	ghost_rc = rc;
}

static void
insert_ghost(struct fx *x)
{
	struct br_ghost g;

	memset(&g, 0, sizeof(g));
	g.id = (char *)GHOST;
	g.name = (char *)"Bob";
	g.avatar_id = g.avatar_hash = g.avatar_mxc = (char *)"";
	g.name_set = 1;
	if (br_store_ghost_insert(x->db, &g) != 0)
		abort();
}

TEST(ghost_avatar_first_sight_change_remove)
{
	struct fx x;
	struct br_ghost *g = NULL;
	char h[65];

	REQUIRE(fx_open(&x) == 0);
	insert_ghost(&x);
	/* No ghost row: not found. */
	CHECK_EQ_INT(br_ghost_sync_avatar(x.reg, &N.net, LOGIN,
	    "4915100000000@s.whatsapp.net", 0, on_ghost, NULL),
	    U_ERR_NOT_FOUND);
	/* First sight: asked without an id; uploaded as the ghost. */
	REQUIRE(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 0, on_ghost,
	    NULL) == 0);
	CHECK_EQ_STR(N.chat, USER);
	CHECK_EQ_STR(N.known, "");
	answer("7", "FACE");
	REQUIRE(F.n == 1);
	CHECK_EQ_STR(F.calls[0].op, "upload");
	CHECK_EQ_STR(F.calls[0].who, "ghost");
	complete(0, 0, "{\"content_uri\":\"mxc://t.test/face\"}");
	REQUIRE(F.n == 2);
	CHECK_EQ_STR(F.calls[1].op, "avatar");
	CHECK_EQ_STR(F.calls[1].arg1, "mxc://t.test/face");
	ghost_rc = 1;
	complete(1, 0, "{}");
	CHECK_EQ_INT(ghost_rc, 0);
	REQUIRE(br_store_ghost_get(x.db, GHOST, &g) == 0);
	br__avatar_hash((const unsigned char *)"FACE", 4, h);
	CHECK_EQ_STR(g->avatar_id, "7");
	CHECK_EQ_STR(g->avatar_mxc, "mxc://t.test/face");
	CHECK_EQ_STR(g->avatar_hash, h);
	CHECK_EQ_STR(g->name, "Bob");		/* the rest kept */
	CHECK(g->avatar_set);
	br_ghost_free(g);
	/* Seen again: not asked (1). */
	CHECK_EQ_INT(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 0,
	    on_ghost, NULL), 1);
	CHECK_EQ_INT(N.n, 1);
	/* A notification (force): asked with the id; unchanged: nothing. */
	ghost_rc = 1;
	REQUIRE(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 1, on_ghost,
	    NULL) == 0);
	CHECK_EQ_STR(N.known, "7");
	answer("7", NULL);
	CHECK_EQ_INT(ghost_rc, 0);
	CHECK_EQ_INT(F.n, 2);
	/* Removed: avatar_url cleared, "remove" kept; the next ask sends no
	 * id (upstream). */
	REQUIRE(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 1, on_ghost,
	    NULL) == 0);
	answer("remove", NULL);
	REQUIRE(F.n == 3);
	CHECK_EQ_STR(F.calls[2].op, "avatar");
	CHECK_EQ_STR(F.calls[2].arg1, "");
	complete(2, 0, "{}");
	REQUIRE(br_store_ghost_get(x.db, GHOST, &g) == 0);
	CHECK_EQ_STR(g->avatar_id, "remove");
	CHECK_EQ_STR(g->avatar_mxc, "");
	br_ghost_free(g);
	REQUIRE(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 1, on_ghost,
	    NULL) == 0);
	CHECK_EQ_STR(N.known, "");
	answer("remove", NULL);
	CHECK_EQ_INT(F.n, 3);		/* already without: nothing sent */
	/* A network failure reaches done. */
	REQUIRE(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 1, on_ghost,
	    NULL) == 0);
	{
		struct br_net_result r;
		br_net_done_fn done = N.done;
		void *arg = N.arg;

		memset(&r, 0, sizeof(r));
		pend_pop();
		done(arg, BR_ERR_NET_FAILED, &r);
	}
	CHECK_EQ_INT(ghost_rc, BR_ERR_NET_FAILED);
	fx_close(&x);
}

TEST(ghost_ensure_fetches_the_avatar_on_first_sight)
{
	struct fx x;
	struct br_ghost_info gi = { .push_name = "Bob" };

	REQUIRE(fx_open(&x) == 0);
	gi.net = &N.net;
	gi.login = LOGIN;
	REQUIRE(br_ghost_ensure(x.reg, GHOST, &gi, NULL, on_ghost, NULL) ==
	    0);
	complete(0, 0, "{}");		/* register */
	CHECK_EQ_INT(N.n, 0);
	complete(1, 0, "{}");		/* displayname */
	/* The ghost row exists now: its picture is asked for. */
	CHECK_EQ_INT(ghost_rc, 0);
	CHECK_EQ_INT(N.n, 1);
	CHECK_EQ_STR(N.chat, USER);
	/* No picture: the id is kept, no profile change (the ghost has no
	 * avatar to remove). */
	answer("remove", NULL);
	CHECK_EQ_INT(F.n, 2);
	{
		struct br_ghost *g = NULL;

		REQUIRE(br_store_ghost_get(x.db, GHOST, &g) == 0);
		CHECK_EQ_STR(g->avatar_id, "remove");
		br_ghost_free(g);
	}
	/* Seen again: no second ask. */
	REQUIRE(br_ghost_ensure(x.reg, GHOST, &gi, NULL, on_ghost, NULL) ==
	    0);
	complete(2, 0, "{}");
	CHECK_EQ_INT(N.n, 1);
	fx_close(&x);
}

static int
f_create(struct br_mx *mx, struct br_mx_intent *in, json_t *req,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)req;
	rec("create", in, "", "", done, arg);
	return 0;
}

static json_t *
f_create_req(struct br_mx *mx, const struct br_mx_room_spec *sp)
{
	(void)mx;
	return json_pack("{s:s?}", "avatar", sp->avatar_mxc);
}

static void
on_room(void *arg, int rc, const char *room)
{
	(void)arg;
	(void)room;
	ghost_rc = rc;
}

TEST(dm_room_shows_the_ghost_avatar)
{
	struct fx x;
	struct br_portal_key k = { USER, "491500000000" };
	struct br_portal_key k2 = { "4915188888888@s.whatsapp.net",
	    "491500000000" };
	struct br_portal_obj *p = NULL;
	struct br_mx_ops ops = fake_ops;
	size_t n;

	REQUIRE(fx_open(&x) == 0);
	insert_ghost(&x);
	/* A DM room (attach makes it a DM of the ghost). */
	REQUIRE(br_portal_attach(x.reg, k, "!dm:t.test", NULL, NULL, NULL,
	    0) == 0);
	REQUIRE(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 0, on_ghost,
	    NULL) == 0);
	answer("7", "FACE");
	complete(0, 0, "{\"content_uri\":\"mxc://t.test/face\"}");
	complete(1, 0, "{}");		/* the ghost's avatar_url */
	/* The DM room follows, with the same mxc (no second upload). */
	REQUIRE(F.n == 3);
	CHECK_EQ_STR(F.calls[2].op, "state");
	CHECK_EQ_STR(F.calls[2].room, "!dm:t.test");
	CHECK_EQ_STR(F.calls[2].arg1,
	    "m.room.avatar {\"url\":\"mxc://t.test/face\"}");
	complete(2, 0, "{}");
	REQUIRE(br_portal_get(x.reg, k, 0, &p) == 0);
	CHECK_EQ_STR(p->row->avatar_id, "7");
	CHECK_EQ_STR(p->row->avatar_mxc, "mxc://t.test/face");
	br_portal_unref(p);
	/* Removed: the DM's avatar goes too. */
	REQUIRE(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, USER, 1, on_ghost,
	    NULL) == 0);
	answer("remove", NULL);
	complete(3, 0, "{}");
	REQUIRE(F.n == 5);
	CHECK_EQ_STR(F.calls[4].arg1, "m.room.avatar {}");
	complete(4, 0, "{}");

	/* A new DM room of a ghost with an avatar starts with it. */
	{
		struct br_ghost g;

		memset(&g, 0, sizeof(g));
		g.id = (char *)"4915188888888";
		g.name = (char *)"";
		g.avatar_id = (char *)"9";
		g.avatar_hash = (char *)"ab";
		g.avatar_mxc = (char *)"mxc://t.test/nine";
		g.avatar_set = 1;
		REQUIRE(br_store_ghost_insert(x.db, &g) == 0);
	}
	ops.create_room = f_create;
	ops.portal_create_req = f_create_req;
	F.mx.ops = &ops;
	REQUIRE(br_portal_get(x.reg, k2, 1, &p) == 0);
	free(p->row->room_type);
	p->row->room_type = strdup("dm");
	p->row->other_user_id = strdup("4915188888888");
	n = F.n;
	REQUIRE(br_portal_create_room(p, NULL, on_room, NULL) == 0);
	REQUIRE(F.n == n + 1);
	CHECK_EQ_STR(F.calls[n].op, "create");
	CHECK_EQ_STR(p->row->avatar_mxc, "mxc://t.test/nine");
	CHECK_EQ_STR(p->row->avatar_id, "9");
	complete(n, 0, "{\"room_id\":\"!dm2:t.test\"}");
	CHECK(p->row->avatar_set);
	br_portal_unref(p);
	fx_close(&x);
	F.mx.ops = &fake_ops;
}

/* Ghost rows 4915100000001.. with no picture yet. */
static void
insert_ghosts(struct fx *x, int n)
{
	struct br_ghost g;
	char id[32];
	int i;

	for (i = 1; i <= n; i++) {
		memset(&g, 0, sizeof(g));
		snprintf(id, sizeof(id), "49151000000%02d", i);
		g.id = id;
		g.name = (char *)"";
		g.avatar_id = g.avatar_hash = g.avatar_mxc = (char *)"";
		if (br_store_ghost_insert(x->db, &g) != 0)
			abort();
	}
}

static int ndone, done_rcs[16];

static void
count_done(void *arg, int rc)
{
	(void)arg;
	if (ndone < 16)
		done_rcs[ndone] = rc;
	ndone++;
}

TEST(ghost_avatars_a_few_at_a_time_in_order)
{
	struct fx x;
	char user[64];
	int i;

	REQUIRE(fx_open(&x) == 0);
	insert_ghosts(&x, 7);
	ndone = 0;
	for (i = 1; i <= 7; i++) {
		snprintf(user, sizeof(user), "49151000000%02d@s.whatsapp.net",
		    i);
		CHECK_EQ_INT(br_ghost_sync_avatar(x.reg, &N.net, LOGIN, user,
		    0, count_done, NULL), 0);
	}
	/* Four asked, three waiting; the same user again waits once. */
	CHECK_EQ_INT(N.n, 4);
	CHECK_EQ_INT(br_ghost_sync_avatar(x.reg, &N.net, LOGIN,
	    "4915100000007@s.whatsapp.net", 0, count_done, NULL), 1);
	CHECK_EQ_STR(N.chat, "4915100000001@s.whatsapp.net");
	/* One ends (nothing to set): the fifth starts, in order. */
	answer("remove", NULL);		/* no avatar to clear: done */
	CHECK_EQ_INT(ndone, 1);
	CHECK_EQ_INT(done_rcs[0], 0);
	CHECK_EQ_INT(N.n, 5);
	CHECK_EQ_STR(N.pend[N.npend - 1].chat,
	    "4915100000005@s.whatsapp.net");
	/* A failure also frees a place. */
	{
		struct br_net_result r;
		br_net_done_fn done = N.done;
		void *arg = N.arg;

		memset(&r, 0, sizeof(r));
		pend_pop();
		done(arg, BR_ERR_NET_FAILED, &r);
	}
	CHECK_EQ_INT(ndone, 2);
	CHECK_EQ_INT(done_rcs[1], BR_ERR_NET_FAILED);
	CHECK_EQ_INT(N.n, 6);
	/* Teardown: the one still waiting gets BR_ERR_PORTAL_CLOSED at
	 * close, and nothing starts when the others end. */
	br_portals_close(x.reg);
	CHECK_EQ_INT(ndone, 3);
	CHECK_EQ_INT(done_rcs[2], BR_ERR_PORTAL_CLOSED);
	while (N.npend > 0) {
		struct br_net_result r;
		br_net_done_fn done = N.done;
		void *arg = N.arg;

		memset(&r, 0, sizeof(r));
		pend_pop();
		done(arg, BR_ERR_NET_CANCELLED, &r);
	}
	br_portals_free(x.reg);
	x.reg = NULL;
	CHECK_EQ_INT(ndone, 7);
	CHECK_EQ_INT(N.n, 6);
	CHECK_EQ_INT(done_rcs[6], BR_ERR_NET_CANCELLED);
	db_close(x.db);
	br_config_free(x.cfg);
	unlink(x.path);
}

TEST_MAIN()
