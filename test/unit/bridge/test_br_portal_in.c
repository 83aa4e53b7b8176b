/*
 * test_br_portal_in.c: WhatsApp -> Matrix in the core (bridge/portal_in.c)
 * over an in-memory Matrix side and network side (both implemented here;
 * Matrix calls complete when the test drains them, with made-up IDs) and
 * a SQLite database in /tmp.
 *
 * Cases: a DM's first message creates the room (is_direct, owner and
 * ghost invited, private-chat topic), names and joins the ghost, sends the
 * text as HTML, stores the message row and hands the message back; the
 * same message again is only handed back; messages of one chat are sent
 * in arrival order while the first waits; replies, edits, reactions
 * (replaced, removed), revokes; a group room from the chat info (name,
 * admins' power levels, member ghosts joined); our own messages through
 * the owner's double puppet; a Matrix failure leaves the message pending;
 * notices for unsupported and undecryptable messages, media that failed;
 * location, media upload; receipts and typing; the texts table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/portal_in.h"
#include "bridge/store.h"
#include "bridge/texts_in.h"
#include "db/db.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/mem.h"

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

#define OWNER	"@alice:t.test"
#define LOGIN	"33600000001"
#define OWN	LOGIN "@s.whatsapp.net"
#define BOB	"33600000002@s.whatsapp.net"
#define CAROL	"33600000003@s.whatsapp.net"
#define GROUP	"120363000000000001@g.us"
#define GBOB	"@whatsapp_33600000002:t.test"
#define GCAROL	"@whatsapp_33600000003:t.test"

/* ---- fake Matrix side ---- */

#define CALLS_MAX 512
#define INTENTS_MAX 16

struct fintent {
	char	mxid[96];
};

struct fcall {
	char		 op[24];
	char		 who[96];	/* the intent's MXID */
	char		 room[96];
	char		 type[64];	/* event type / target / name */
	json_t		*content;	/* owned copy or NULL */
	br_mx_done_fn	 done;
	void		*arg;
	int		 pending;
};

static struct {
	struct br_mx	 mx;
	struct fintent	 bot, intents[INTENTS_MAX];
	size_t		 nintents;
	struct fcall	 calls[CALLS_MAX];
	size_t		 n, done_upto;
	int		 fail_sends;	/* send_event fails at completion */
	int		 dp_enabled;
	int		 seq;
} F;

static struct br_mx_intent *
f_bot(struct br_mx *mx)
{
	(void)mx;
	return (struct br_mx_intent *)(void *)&F.bot;
}

static struct br_mx_intent *
intent_for(const char *mxid)
{
	size_t i;

	for (i = 0; i < F.nintents; i++)
		if (strcmp(F.intents[i].mxid, mxid) == 0)
			return (struct br_mx_intent *)(void *)&F.intents[i];
	if (F.nintents >= INTENTS_MAX)
		abort();
	snprintf(F.intents[F.nintents].mxid, sizeof(F.intents[0].mxid), "%s",
	    mxid);
	return (struct br_mx_intent *)(void *)&F.intents[F.nintents++];
}

static struct br_mx_intent *
f_ghost(struct br_mx *mx, const char *id)
{
	char m[96];

	(void)mx;
	if (id[0] == '\0')
		return NULL;
	snprintf(m, sizeof(m), "@whatsapp_%s:t.test", id);
	return intent_for(m);
}

static struct br_mx_intent *
f_dp(struct br_mx *mx, const char *user)
{
	(void)mx;
	return F.dp_enabled ? intent_for(user) : NULL;
}

static const char *
f_user_id(const struct br_mx_intent *in)
{
	return ((const struct fintent *)(const void *)in)->mxid;
}

static const char *
f_bot_id(const struct br_mx *mx)
{
	(void)mx;
	return "@whatsappbot:t.test";
}

static struct fcall *
rec(const char *op, struct br_mx_intent *in, const char *room,
    const char *type, json_t *content, br_mx_done_fn done, void *arg)
{
	struct fcall *c;

	if (F.n >= CALLS_MAX)
		abort();
	c = &F.calls[F.n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->who, sizeof(c->who), "%s", in ? f_user_id(in) : "");
	snprintf(c->room, sizeof(c->room), "%s", room ? room : "");
	snprintf(c->type, sizeof(c->type), "%s", type ? type : "");
	c->content = content ? json_deep_copy(content) : NULL;
	c->done = done;
	c->arg = arg;
	c->pending = 1;
	return c;
}

static json_t *
f_create_req(struct br_mx *mx, const struct br_mx_room_spec *s)
{
	json_t *inv = json_array();
	size_t i;

	(void)mx;
	for (i = 0; s->invite != NULL && s->invite[i] != NULL; i++)
		json_array_append_new(inv, json_string(s->invite[i]));
	return json_pack("{s:s, s:s, s:b, s:o, s:O, s:s}", "name",
	    s->name ? s->name : "", "topic", s->topic ? s->topic : "",
	    "is_direct", s->is_dm, "invite", inv, "users_pl",
	    s->users_pl ? s->users_pl : json_null(), "channel",
	    s->channel_id);
}

static int
f_create(struct br_mx *mx, struct br_mx_intent *in, json_t *req,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	rec("create", in, "", "", req, done, arg);
	return 0;
}

static int
f_register(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done,
    void *arg)
{
	(void)mx;
	rec("register", in, "", "", NULL, done, arg);
	return 0;
}

static int
f_name(struct br_mx *mx, struct br_mx_intent *in, const char *name,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	rec("displayname", in, "", name, NULL, done, arg);
	return 0;
}

static int
f_join(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	(void)mx;
	rec("join", in, room, "", NULL, done, arg);
	return 0;
}

static int
f_send_event(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, json_t *content, uint64_t ts, br_mx_done_fn done,
    void *arg)
{
	(void)mx;
	(void)ts;
	rec("send", in, room, type, content, done, arg);
	return 0;
}

static int
f_send_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, json_t *content, br_mx_done_fn done,
    void *arg)
{
	(void)mx;
	(void)key;
	rec("state", in, room, type, content, done, arg);
	return 0;
}

static int
f_redact(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *ev, const char *reason, br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)reason;
	rec("redact", in, room, ev, NULL, done, arg);
	return 0;
}

static int
f_upload(struct br_mx *mx, struct br_mx_intent *in, const void *data,
    size_t len, const char *ct, const char *fn, br_mx_done_fn done,
    void *arg)
{
	json_t *c = json_pack("{s:I, s:s, s:s}", "len", (json_int_t)len,
	    "ct", ct ? ct : "", "fn", fn ? fn : "");

	(void)mx;
	rec("upload", in, "", fn, c, done, arg);
	json_decref(c);
	return 0;
}

static int
f_receipt(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *ev, br_mx_done_fn done, void *arg)
{
	(void)mx;
	rec("receipt", in, room, ev, NULL, done, arg);
	return 0;
}

static int
f_typing(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    int typing, unsigned ms, br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)ms;
	rec("typing", in, room, typing ? "on" : "off", NULL, done, arg);
	return 0;
}

static int
f_leave(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *reason, br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)reason;
	rec("leave", in, room, "", NULL, done, arg);
	return 0;
}

static int
f_get_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, br_mx_done_fn done, void *arg)
{
	(void)mx;
	(void)key;
	rec("get_state", in, room, type, NULL, done, arg);
	return 0;
}

static const struct br_mx_ops fake_ops = {
	.bot = f_bot,
	.ghost = f_ghost,
	.user_id = f_user_id,
	.bot_id = f_bot_id,
	.double_puppet = f_dp,
	.portal_create_req = f_create_req,
	.create_room = f_create,
	.ensure_registered = f_register,
	.set_displayname = f_name,
	.ensure_joined = f_join,
	.send_event = f_send_event,
	.send_state = f_send_state,
	.redact = f_redact,
	.upload = f_upload,
	.receipt = f_receipt,
	.typing = f_typing,
	.leave = f_leave,
	.get_state = f_get_state,
};

/* Complete pending calls in order (those they start too) until none
 * is left or max were completed. */
static void
drain_n(size_t max)
{
	size_t i, k = 0;
	int again = 1;

	while (again && k < max) {
		again = 0;
		for (i = 0; i < F.n && k < max; i++) {
			struct fcall *c = &F.calls[i];
			json_t *ans = NULL;
			char id[64];
			int rc = 0;

			if (!c->pending)
				continue;
			c->pending = 0;
			F.seq++;
			if (strcmp(c->op, "create") == 0) {
				snprintf(id, sizeof(id), "!room%d:t.test",
				    F.seq);
				ans = json_pack("{s:s}", "room_id", id);
			} else if (strcmp(c->op, "send") == 0 ||
			    strcmp(c->op, "redact") == 0) {
				snprintf(id, sizeof(id), "$ev%d", F.seq);
				ans = json_pack("{s:s}", "event_id", id);
				if (F.fail_sends && strcmp(c->op, "send") == 0)
					rc = BR_ERR_MX_FAILED;
			} else if (strcmp(c->op, "get_state") == 0) {
				ans = json_pack("{s:{s:i, s:i}}", "users",
				    "@whatsappbot:t.test", 100, GBOB, 50);
			} else if (strcmp(c->op, "upload") == 0) {
				snprintf(id, sizeof(id), "mxc://t.test/m%d",
				    F.seq);
				ans = json_pack("{s:s}", "content_uri", id);
			} else
				ans = json_object();
			c->done(c->arg, rc, rc == 0 ? ans : NULL);
			json_decref(ans);
			k++;
			again = 1;
		}
	}
}

static void
drain(void)
{
	drain_n((size_t)-1);
}

/* The index of the n-th (0-based) call with op (and type if non-NULL),
 * or -1. */
static int
find(const char *op, const char *type, int nth)
{
	size_t i;

	for (i = 0; i < F.n; i++)
		if (strcmp(F.calls[i].op, op) == 0 && (type == NULL ||
		    strcmp(F.calls[i].type, type) == 0) && nth-- == 0)
			return (int)i;
	return -1;
}

static int
count(const char *op)
{
	size_t i;
	int n = 0;

	for (i = 0; i < F.n; i++)
		n += strcmp(F.calls[i].op, op) == 0;
	return n;
}

static const char *
cs(int i, const char *path)
{
	json_t *j;
	char buf[128], *tok, *save = NULL;

	if (i < 0)
		return NULL;
	j = F.calls[i].content;
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok != NULL && j != NULL;
	    tok = strtok_r(NULL, "/", &save))
		j = json_object_get(j, tok);
	return json_is_string(j) ? json_string_value(j) : NULL;
}

static void
fake_reset(void)
{
	size_t i;

	for (i = 0; i < F.n; i++)
		json_decref(F.calls[i].content);
	memset(&F, 0, sizeof(F));
	snprintf(F.bot.mxid, sizeof(F.bot.mxid), "@whatsappbot:t.test");
	F.mx.ops = &fake_ops;
}

/* ---- fake network side ---- */

struct br_net_login {
	struct br_net_login_info info;
};

static struct {
	struct br_net		 net;
	struct br_net_login	 login;
	uint64_t		 done[256];
	size_t			 ndone;
	int			 with_info;
	br_net_done_fn		 info_done;
	void			*info_arg;
	br_net_done_fn		 infos[8];	/* every chat_info asked */
	void			*info_args[8];
	size_t			 ninfos;
	int			 lists;
	br_net_done_fn		 list_done;
	void			*list_arg;
} N;

static struct br_net_login *
n_login_get(struct br_net *n, const char *id)
{
	(void)n;
	return strcmp(id, LOGIN) == 0 ? &N.login : NULL;
}

static const struct br_net_login_info *
n_info(const struct br_net_login *l)
{
	return &l->info;
}

static void
n_message_done(struct br_net_login *l, uint64_t seq)
{
	(void)l;
	if (N.ndone < 256)
		N.done[N.ndone++] = seq;
}

static int
n_chat_info(struct br_net_login *l, const char *chat, br_net_done_fn done,
    void *arg)
{
	(void)l;
	(void)chat;
	if (!N.with_info)
		return BR_ERR_NET_UNSUPPORTED;
	N.info_done = done;
	N.info_arg = arg;
	if (N.ninfos < 8) {
		N.infos[N.ninfos] = done;
		N.info_args[N.ninfos++] = arg;
	}
	return 0;
}

static int
n_list_groups(struct br_net_login *l, br_net_done_fn done, void *arg)
{
	(void)l;
	N.lists++;
	N.list_done = done;
	N.list_arg = arg;
	return 0;
}

static const struct br_net_ops net_ops = {
	.name = "fake",
	.login_get = n_login_get,
	.info = n_info,
	.message_done = n_message_done,
	.chat_info = n_chat_info,
	.list_groups = n_list_groups,
};

static int
was_done(uint64_t seq)
{
	size_t i;

	for (i = 0; i < N.ndone; i++)
		if (N.done[i] == seq)
			return 1;
	return 0;
}

/* ---- fixture ---- */

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_bridge	*br;
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
	    &x->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brin-XXXXXX");
	if ((fd = mkstemp(x->path)) < 0)
		return -1;
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s?_txlock=immediate", x->path);
	if (db_open(&x->db, "sqlite3-fk-wal", uri, NULL) < 0 ||
	    db_upgrade(x->db) < 0)
		return -1;
	fake_reset();
	memset(&N, 0, sizeof(N));
	N.net.ops = &net_ops;
	N.login.info.id = LOGIN;
	N.login.info.user_mxid = OWNER;
	N.login.info.remote_name = "+" LOGIN;
	{
		/* The owner and the login, as the login flow stores them. */
		struct br_user u = { OWNER, NULL, NULL };
		struct br_login lr;

		memset(&lr, 0, sizeof(lr));
		lr.id = LOGIN;
		lr.user_mxid = OWNER;
		lr.remote_name = "+" LOGIN;
		if (br_store_user_insert(x->db, &u) != 0 ||
		    br_store_login_insert(x->db, &lr) != 0)
			return -1;
	}
	x->br = br_bridge_new(x->cfg, x->db);
	br_bridge_set_mx(x->br, &F.mx);
	br_bridge_set_net(x->br, &N.net);
	br_portals_set_ready(x->br->portals, 1);
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];

	br_bridge_stop(x->br);
	drain();
	br_bridge_free(x->br);
	fake_reset();
	db_close(x->db);
	br_config_free(x->cfg);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

static void
msg_init(struct br_net_message *m, uint64_t seq, const char *chat,
    const char *sender, const char *id, const char *text)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->chat = chat;
	m->sender = sender;
	m->id = id;
	m->sender_name = "Bob";
	m->ts_ms = 1700000000000ULL + seq;
	m->is_group = strstr(chat, "@g.us") != NULL;
	m->c.kind = BR_NET_KIND_TEXT;
	m->c.text = text;
}

static void
deliver(struct fx *x, const struct br_net_message *m)
{
	br_portal_in_on_message(x->br, &N.login, m);
}

static char *
stored_mxid(struct fx *x, const char *chat, const char *sender,
    const char *id)
{
	struct br_message *row = NULL;
	char mid[256], *r;

	snprintf(mid, sizeof(mid), "%s:%s:%s", chat, sender, id);
	if (br_store_message_get_first_part(x->db, strstr(chat, "@g.us") ?
	    "" : LOGIN, mid, &row) != 0)
		return NULL;
	r = u_strdup(row->mxid);
	br_message_free(row);
	return r;
}

/* ---- cases ---- */

TEST(test_portal_in_dm_first_message_creates_room)
{
	struct br_net_message m;
	struct br_portal *row = NULL;
	struct br_portal_key k = { BOB, LOGIN };
	struct fx x;
	int i;
	char *ev;

	REQUIRE(fx_open(&x) == 0);
	msg_init(&m, 1, BOB, BOB, "3EB0A1", "hi *there*");
	deliver(&x, &m);
	drain();
	i = find("create", NULL, 0);
	REQUIRE(i >= 0);
	CHECK(json_is_true(json_object_get(F.calls[i].content, "is_direct")));
	CHECK_EQ_STR(cs(i, "topic"), "WhatsApp private chat");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(
	    F.calls[i].content, "invite"), 0)), OWNER);
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(
	    F.calls[i].content, "invite"), 1)), GBOB);
	/* The ghost is registered before the room, joined after it. */
	CHECK(find("register", NULL, 0) >= 0 && find("register", NULL, 0) < i);
	CHECK(find("join", NULL, 0) > i);
	CHECK_EQ_STR(F.calls[find("join", NULL, 0)].who, GBOB);
	CHECK(find("displayname", "Bob (WA)", 0) >= 0);
	i = find("send", "m.room.message", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, GBOB);
	CHECK_EQ_STR(cs(i, "body"), "hi *there*");
	CHECK_EQ_STR(cs(i, "formatted_body"), "hi <strong>there</strong>");
	CHECK(was_done(1));
	ev = stored_mxid(&x, BOB, BOB, "3EB0A1");
	CHECK(ev != NULL && ev[0] == '$');
	free(ev);
	REQUIRE(br_store_portal_get(x.db, k, &row) == 0);
	CHECK(row->mxid != NULL);
	CHECK_EQ_STR(row->room_type, "dm");
	CHECK_EQ_STR(row->other_user_id, "33600000002");
	br_portal_free(row);

	/* A redelivery (new seq, same message): handed back, not sent. */
	msg_init(&m, 2, BOB, BOB, "3EB0A1", "hi *there*");
	deliver(&x, &m);
	drain();
	CHECK(was_done(2));
	CHECK_EQ_INT(count("send"), 1);
	CHECK_EQ_INT(count("create"), 1);
	fx_close(&x);
}

TEST(test_portal_in_order_kept_while_waiting)
{
	struct br_net_message m;
	struct fx x;
	char id[16], text[16];
	int i;

	REQUIRE(fx_open(&x) == 0);
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "ID%02d", i);
		snprintf(text, sizeof(text), "m%02d", i);
		msg_init(&m, (uint64_t)i + 1, BOB, BOB, id, text);
		deliver(&x, &m);	/* copied: m may change after */
		/* Complete a few calls between arrivals. */
		drain_n(2);
	}
	drain();
	for (i = 0; i < 20; i++) {
		int k = find("send", "m.room.message", i);

		snprintf(text, sizeof(text), "m%02d", i);
		REQUIRE(k >= 0);
		CHECK_EQ_STR(cs(k, "body"), text);
		CHECK(was_done((uint64_t)i + 1));
	}
	CHECK_EQ_INT(count("create"), 1);
	fx_close(&x);
}

TEST(test_portal_in_reply_edit_reaction_revoke)
{
	struct br_net_message m;
	struct fx x;
	char *first;
	int i;

	REQUIRE(fx_open(&x) == 0);
	msg_init(&m, 1, BOB, BOB, "FIRST", "first");
	deliver(&x, &m);
	drain();
	first = stored_mxid(&x, BOB, BOB, "FIRST");
	REQUIRE(first != NULL);

	msg_init(&m, 2, BOB, BOB, "REPLY", "a reply");
	m.c.reply_id = "FIRST";
	m.c.reply_sender = BOB;
	deliver(&x, &m);
	drain();
	i = find("send", "m.room.message", 1);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "m.relates_to/m.in_reply_to/event_id"), first);

	msg_init(&m, 3, BOB, BOB, "EDIT1", "first, edited");
	m.c.kind = BR_NET_KIND_EDIT;
	m.c.target_id = "FIRST";
	m.c.target_sender = BOB;
	deliver(&x, &m);
	drain();
	i = find("send", "m.room.message", 2);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "m.relates_to/rel_type"), "m.replace");
	CHECK_EQ_STR(cs(i, "m.relates_to/event_id"), first);
	CHECK_EQ_STR(cs(i, "m.new_content/body"), "first, edited");
	CHECK_EQ_STR(cs(i, "body"), "* first, edited");
	CHECK(was_done(3));

	/* A reaction, replaced by another, then removed. */
	msg_init(&m, 4, BOB, BOB, "R1", "\xf0\x9f\x91\x8d");
	m.c.kind = BR_NET_KIND_REACTION;
	m.c.target_id = "FIRST";
	m.c.target_sender = BOB;
	deliver(&x, &m);
	drain();
	i = find("send", "m.reaction", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "m.relates_to/key"), "\xf0\x9f\x91\x8d");
	CHECK_EQ_STR(cs(i, "m.relates_to/event_id"), first);
	msg_init(&m, 5, BOB, BOB, "R2", "\xe2\x9d\xa4");
	m.c.kind = BR_NET_KIND_REACTION;
	m.c.target_id = "FIRST";
	m.c.target_sender = BOB;
	deliver(&x, &m);
	drain();
	CHECK(find("send", "m.reaction", 1) >= 0);
	CHECK_EQ_INT(count("redact"), 1);	/* the 👍 went */
	msg_init(&m, 6, BOB, BOB, "R3", "");
	m.c.kind = BR_NET_KIND_REACTION;
	m.c.target_id = "FIRST";
	m.c.target_sender = BOB;
	deliver(&x, &m);
	drain();
	CHECK_EQ_INT(count("redact"), 2);
	CHECK(was_done(6));
	/* A reaction to a message never bridged: handed back, nothing sent. */
	msg_init(&m, 7, BOB, BOB, "R4", "x");
	m.c.kind = BR_NET_KIND_REACTION;
	m.c.target_id = "NOPE";
	m.c.target_sender = BOB;
	deliver(&x, &m);
	drain();
	CHECK(was_done(7));
	CHECK_EQ_INT(count("send"), 5);

	/* Delete for everyone: the event is redacted, the row gone. */
	msg_init(&m, 8, BOB, BOB, "DEL", NULL);
	m.c.kind = BR_NET_KIND_REVOKE;
	m.c.target_id = "FIRST";
	m.c.target_sender = BOB;
	deliver(&x, &m);
	drain();
	i = find("redact", NULL, 2);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].type, first);
	CHECK(was_done(8));
	{
		char *gone = stored_mxid(&x, BOB, BOB, "FIRST");

		CHECK(gone == NULL);
		free(gone);
	}
	free(first);
	fx_close(&x);
}

TEST(test_portal_in_group_room_from_chat_info)
{
	struct br_net_member mem[3] = {
		{ BOB, "Bob", BR_NET_SUPERADMIN },
		{ CAROL, "Carol", BR_NET_ADMIN },
		{ OWN, NULL, BR_NET_MEMBER },
	};
	struct br_net_chat_info ci;
	struct br_net_result r;
	struct br_net_message m;
	struct fx x;
	json_t *pl;
	int i;

	REQUIRE(fx_open(&x) == 0);
	N.with_info = 1;
	msg_init(&m, 1, GROUP, CAROL, "G1", "hello group");
	m.sender_name = "Carol";
	deliver(&x, &m);
	drain();
	CHECK_EQ_INT(count("create"), 0);	/* waits for the info */
	REQUIRE(N.info_done != NULL);
	memset(&ci, 0, sizeof(ci));
	ci.chat = GROUP;
	ci.is_group = 1;
	ci.name = "Cafe";
	ci.topic = "Coffee talk";
	ci.members = mem;
	ci.n_members = 3;
	memset(&r, 0, sizeof(r));
	r.info = &ci;
	N.info_done(N.info_arg, 0, &r);
	drain();
	i = find("create", NULL, 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "name"), "Cafe");
	CHECK_EQ_STR(cs(i, "topic"), "Coffee talk");
	CHECK(!json_is_true(json_object_get(F.calls[i].content, "is_direct")));
	pl = json_object_get(F.calls[i].content, "users_pl");
	CHECK_EQ_INT(json_integer_value(json_object_get(pl, GBOB)), 75);
	CHECK_EQ_INT(json_integer_value(json_object_get(pl, GCAROL)), 50);
	CHECK_EQ_INT(json_object_size(pl), 2);
	/* Both member ghosts joined (not our own account). */
	CHECK(find("join", NULL, 0) >= 0 && find("join", NULL, 1) >= 0);
	i = find("send", "m.room.message", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, GCAROL);
	CHECK_EQ_STR(cs(i, "body"), "hello group");
	CHECK(was_done(1));
	{
		char *ev = stored_mxid(&x, GROUP, CAROL, "G1");

		CHECK(ev != NULL);
		free(ev);
	}
	fx_close(&x);
}

TEST(test_portal_in_from_me_double_puppet_and_failure)
{
	struct br_net_message m;
	struct br_message *row = NULL;
	struct fx x;
	int i;

	REQUIRE(fx_open(&x) == 0);
	F.dp_enabled = 1;
	msg_init(&m, 1, BOB, OWN, "MINE", "sent from my phone");
	m.from_me = 1;
	m.sender_name = NULL;
	deliver(&x, &m);
	drain();
	i = find("send", "m.room.message", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, OWNER);
	CHECK(was_done(1));
	REQUIRE(br_store_message_get_first_part(x.db, LOGIN,
	    BOB ":" OWN ":MINE", &row) == 0);
	CHECK_EQ_STR(row->sender_mxid, OWNER);
	CHECK_EQ_STR(row->sender_id, LOGIN);
	CHECK_EQ_INT(row->double_puppeted, 1);
	br_message_free(row);

	/* The homeserver refuses: not handed back (stays pending), and the
	 * next message still goes. */
	F.fail_sends = 1;
	msg_init(&m, 2, BOB, BOB, "LOST", "x");
	deliver(&x, &m);
	drain();
	CHECK(!was_done(2));
	F.fail_sends = 0;
	msg_init(&m, 3, BOB, BOB, "NEXT", "y");
	deliver(&x, &m);
	drain();
	CHECK(was_done(3));
	fx_close(&x);
}

TEST(test_portal_in_notices_location_media)
{
	static const unsigned char img[] = { 0xff, 0xd8, 0xff, 0x00, 'j' };
	static const unsigned char wave[3] = { 0, 50, 100 };
	struct br_net_message m;
	struct fx x;
	int i;

	REQUIRE(fx_open(&x) == 0);
	msg_init(&m, 1, BOB, BOB, "U1", NULL);
	m.c.kind = BR_NET_KIND_UNSUPPORTED;
	deliver(&x, &m);
	msg_init(&m, 2, BOB, BOB, "U2", NULL);
	m.c.kind = BR_NET_KIND_UNDECRYPTABLE;
	deliver(&x, &m);
	msg_init(&m, 3, BOB, BOB, "L1", NULL);
	m.c.kind = BR_NET_KIND_LOCATION;
	m.c.lat = 48.8584;
	m.c.lon = -2.2945;
	deliver(&x, &m);
	msg_init(&m, 4, BOB, BOB, "I1", "a caption");
	m.c.kind = BR_NET_KIND_IMAGE;
	m.c.data = img;
	m.c.len = sizeof(img);
	m.c.mime = "image/jpeg";
	m.c.width = 10;
	m.c.height = 20;
	deliver(&x, &m);
	msg_init(&m, 5, BOB, BOB, "V1", NULL);
	m.c.kind = BR_NET_KIND_VOICE;
	m.c.data = img;
	m.c.len = sizeof(img);
	m.c.mime = "audio/ogg; codecs=opus";
	m.c.duration_s = 3;
	m.c.waveform = wave;
	m.c.waveform_len = 3;
	deliver(&x, &m);
	msg_init(&m, 6, BOB, BOB, "F1", NULL);
	m.c.kind = BR_NET_KIND_FILE;
	m.c.media_error = BR_ERR_NET_FAILED;
	deliver(&x, &m);
	drain();

	i = find("send", "m.room.message", 0);
	CHECK_EQ_STR(cs(i, "msgtype"), "m.notice");
	CHECK_EQ_STR(cs(i, "body"), "Unknown message type, please view it "
	    "on the WhatsApp app");
	i = find("send", "m.room.message", 1);
	CHECK_EQ_STR(cs(i, "msgtype"), "m.notice");
	CHECK(cs(i, "body") != NULL && strncmp(cs(i, "body"), "Decrypting "
	    "message from WhatsApp failed", 38) == 0);
	i = find("send", "m.room.message", 2);
	CHECK_EQ_STR(cs(i, "msgtype"), "m.location");
	CHECK_EQ_STR(cs(i, "geo_uri"), "geo:48.85840,-2.29450");
	CHECK(cs(i, "body") != NULL && strstr(cs(i, "body"),
	    "48.8584° N 2.2945° W") != NULL);
	/* The image: uploaded by the ghost, then m.image with its caption. */
	i = find("upload", NULL, 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, GBOB);
	CHECK_EQ_STR(cs(i, "ct"), "image/jpeg");
	i = find("send", "m.room.message", 3);
	CHECK_EQ_STR(cs(i, "msgtype"), "m.image");
	CHECK_EQ_STR(cs(i, "body"), "a caption");
	CHECK(cs(i, "url") != NULL && strncmp(cs(i, "url"), "mxc://", 6) == 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(
	    F.calls[i].content, "info"), "w")), 10);
	i = find("send", "m.room.message", 4);
	CHECK_EQ_STR(cs(i, "msgtype"), "m.audio");
	CHECK(json_object_get(F.calls[i].content,
	    "org.matrix.msc3245.voice") != NULL);
	CHECK_EQ_INT(json_integer_value(json_array_get(json_object_get(
	    json_object_get(F.calls[i].content, "org.matrix.msc1767.audio"),
	    "waveform"), 2)), 1024);
	i = find("send", "m.room.message", 5);
	CHECK_EQ_STR(cs(i, "msgtype"), "m.notice");
	CHECK(cs(i, "body") != NULL && strncmp(cs(i, "body"),
	    "Failed to bridge media", 22) == 0);
	for (i = 1; i <= 6; i++)
		CHECK(was_done((uint64_t)i));
	fx_close(&x);
}

TEST(test_portal_in_receipt_and_typing)
{
	struct br_net_message m;
	struct br_net_receipt r;
	const char *ids[2] = { "OURS", "UNKNOWN" };
	struct fx x;
	char *ev;
	int i;

	REQUIRE(fx_open(&x) == 0);
	F.dp_enabled = 1;
	msg_init(&m, 1, BOB, OWN, "OURS", "from us");
	m.from_me = 1;
	deliver(&x, &m);
	drain();
	ev = stored_mxid(&x, BOB, OWN, "OURS");
	REQUIRE(ev != NULL);
	memset(&r, 0, sizeof(r));
	r.type = BR_NET_RECEIPT_READ;
	r.chat = BOB;
	r.sender = BOB;
	r.ids = ids;
	r.n = 2;
	br_portal_in_on_receipt(x.br, &N.login, &r);
	drain();
	i = find("receipt", NULL, 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, GBOB);
	CHECK_EQ_STR(F.calls[i].type, ev);
	free(ev);
	br_portal_in_on_typing(x.br, &N.login, BOB, BOB, BR_NET_TYPING);
	br_portal_in_on_typing(x.br, &N.login, BOB, BOB,
	    BR_NET_TYPING_STOPPED);
	drain();
	CHECK(find("typing", "on", 0) >= 0);
	CHECK(find("typing", "off", 0) > find("typing", "on", 0));
	/* No portal: nothing. */
	br_portal_in_on_typing(x.br, &N.login, CAROL, CAROL, BR_NET_TYPING);
	drain();
	CHECK_EQ_INT(count("typing"), 2);
	fx_close(&x);
}

TEST(test_portal_in_group_joined_creates_room)
{
	struct br_net_member mem[2] = {
		{ BOB, "Bob", BR_NET_ADMIN },
		{ OWN, NULL, BR_NET_MEMBER },
	};
	struct br_net_chat_info ci;
	struct br_net_group_event g;
	const char *users[1] = { CAROL };
	struct fx x;
	int i;

	REQUIRE(fx_open(&x) == 0);
	memset(&ci, 0, sizeof(ci));
	ci.chat = GROUP;
	ci.is_group = 1;
	ci.name = "Added";
	ci.members = mem;
	ci.n_members = 2;
	memset(&g, 0, sizeof(g));
	g.change = BR_NET_GROUP_JOINED;
	g.chat = GROUP;
	g.info = &ci;
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	i = find("create", NULL, 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "name"), "Added");
	CHECK(find("join", NULL, 0) >= 0);
	CHECK_EQ_STR(F.calls[find("join", NULL, 0)].who, GBOB);

	/* Then: a member added, the subject changed, a member left. */
	memset(&g, 0, sizeof(g));
	g.change = BR_NET_GROUP_ADD;
	g.chat = GROUP;
	g.users = users;
	g.n_users = 1;
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	i = find("join", NULL, 1);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, GCAROL);
	g.change = BR_NET_GROUP_NAME;
	g.text = "Renamed";
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	i = find("state", "m.room.name", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "name"), "Renamed");
	/* Carol promoted, then Bob demoted: the power levels read and
	 * written back by the bot. */
	g.change = BR_NET_GROUP_PROMOTE;
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	i = find("state", "m.room.power_levels", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(
	    F.calls[i].content, "users"), GCAROL)), 50);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(
	    F.calls[i].content, "users"), "@whatsappbot:t.test")), 100);
	{
		const char *bob[1] = { BOB };

		g.change = BR_NET_GROUP_DEMOTE;
		g.users = bob;
		br_portal_in_on_group(x.br, &N.login, &g);
		drain();
		i = find("state", "m.room.power_levels", 1);
		REQUIRE(i >= 0);
		CHECK(json_object_get(json_object_get(F.calls[i].content,
		    "users"), GBOB) == NULL);
		g.users = users;
	}
	/* Settings: announce -> sending needs admin; locked -> the room's
	 * name, avatar and topic need admin (upstream's wrapGroupInfo). */
	g.change = BR_NET_GROUP_SETTINGS;
	g.announce = 1;
	g.locked = -1;
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	i = find("state", "m.room.power_levels", 2);
	REQUIRE(i >= 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(F.calls[i].content,
	    "events_default")), 50);
	CHECK(json_object_get(F.calls[i].content, "events") == NULL);
	/* The users the homeserver had are kept. */
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(
	    F.calls[i].content, "users"), GBOB)), 50);
	g.announce = -1;
	g.locked = 1;
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	i = find("state", "m.room.power_levels", 3);
	REQUIRE(i >= 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(
	    F.calls[i].content, "events"), "m.room.topic")), 50);
	CHECK(json_object_get(F.calls[i].content, "events_default") == NULL);
	g.announce = g.locked = 0;
	g.change = BR_NET_GROUP_REMOVE;
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	i = find("leave", NULL, 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, GCAROL);
	fx_close(&x);
}

TEST(test_portal_in_added_to_existing_group)
{
	struct br_net_member mem[2] = {
		{ CAROL, "Carol", BR_NET_SUPERADMIN },
		{ OWN, NULL, BR_NET_MEMBER },
	};
	const char *users[1] = { OWN };
	struct br_net_group_event g;
	struct br_net_chat_info ci;
	struct br_net_result r;
	struct fx x;
	int i;

	REQUIRE(fx_open(&x) == 0);
	N.with_info = 1;
	memset(&g, 0, sizeof(g));
	g.change = BR_NET_GROUP_ADD;
	g.chat = GROUP;
	g.actor = CAROL;
	g.users = users;
	g.n_users = 1;
	br_portal_in_on_group(x.br, &N.login, &g);
	drain();
	REQUIRE(N.info_done != NULL);	/* the info is asked first */
	memset(&ci, 0, sizeof(ci));
	ci.chat = GROUP;
	ci.is_group = 1;
	ci.name = "Existing";
	ci.members = mem;
	ci.n_members = 2;
	memset(&r, 0, sizeof(r));
	r.info = &ci;
	N.info_done(N.info_arg, 0, &r);
	drain();
	i = find("create", NULL, 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "name"), "Existing");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(
	    F.calls[i].content, "users_pl"), GCAROL)), 75);
	i = find("join", NULL, 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(F.calls[i].who, GCAROL);
	CHECK_EQ_INT(count("send"), 0);
	fx_close(&x);
}

TEST(test_portal_in_undecryptable_then_resent_edits_the_notice)
{
	struct br_net_message m;
	struct br_message *row = NULL;
	struct fx x;
	char *notice;
	int i;

	REQUIRE(fx_open(&x) == 0);
	msg_init(&m, 1, BOB, BOB, "UNDEC", NULL);
	m.c.kind = BR_NET_KIND_UNDECRYPTABLE;
	deliver(&x, &m);
	drain();
	notice = stored_mxid(&x, BOB, BOB, "UNDEC");
	REQUIRE(notice != NULL);
	REQUIRE(br_store_message_get_first_part(x.db, LOGIN,
	    BOB ":" BOB ":UNDEC", &row) == 0);
	CHECK_EQ_STR(json_string_value(json_object_get(row->metadata,
	    "error")), "decryption_failed");
	br_message_free(row);
	/* The same undecryptable again: nothing new. */
	msg_init(&m, 2, BOB, BOB, "UNDEC", NULL);
	m.c.kind = BR_NET_KIND_UNDECRYPTABLE;
	deliver(&x, &m);
	drain();
	CHECK_EQ_INT(count("send"), 1);
	/* The sender re-sends it, decryptable: an edit of the notice. */
	msg_init(&m, 3, BOB, BOB, "UNDEC", "now readable");
	deliver(&x, &m);
	drain();
	i = find("send", "m.room.message", 1);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "m.relates_to/rel_type"), "m.replace");
	CHECK_EQ_STR(cs(i, "m.relates_to/event_id"), notice);
	CHECK_EQ_STR(cs(i, "m.new_content/body"), "now readable");
	CHECK(was_done(3));
	REQUIRE(br_store_message_get_first_part(x.db, LOGIN,
	    BOB ":" BOB ":UNDEC", &row) == 0);
	CHECK_EQ_STR(row->mxid, notice);
	CHECK(json_object_get(row->metadata, "error") == NULL);
	br_message_free(row);
	/* And once more: already bridged. */
	msg_init(&m, 4, BOB, BOB, "UNDEC", "now readable");
	deliver(&x, &m);
	drain();
	CHECK_EQ_INT(count("send"), 2);
	CHECK(was_done(4));
	free(notice);
	fx_close(&x);
}

TEST(test_portal_in_poll_and_vote)
{
	const char *opts[2] = { "Pizza", "Sushi" }, *sel[1] = { "Sushi" };
	struct br_net_message m;
	struct fx x;
	char *poll;
	int i;

	REQUIRE(fx_open(&x) == 0);
	msg_init(&m, 1, BOB, BOB, "POLL1", "Lunch?");
	m.c.kind = BR_NET_KIND_POLL;
	m.c.options = opts;
	m.c.n_options = 2;
	m.c.selectable = 1;
	deliver(&x, &m);
	drain();
	i = find("send", "org.matrix.msc3381.poll.start", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "org.matrix.msc3381.poll.start/question/"
	    "org.matrix.msc1767.text"), "Lunch?");
	CHECK_EQ_STR(cs(i, "org.matrix.msc1767.text"),
	    "Lunch?\n1. Pizza\n2. Sushi");
	poll = stored_mxid(&x, BOB, BOB, "POLL1");
	REQUIRE(poll != NULL);
	msg_init(&m, 2, BOB, OWN, "VOTE1", NULL);
	m.from_me = 1;
	m.c.kind = BR_NET_KIND_POLL_VOTE;
	m.c.target_id = "POLL1";
	m.c.target_sender = BOB;
	m.c.options = sel;
	m.c.n_options = 1;
	deliver(&x, &m);
	drain();
	i = find("send", "org.matrix.msc3381.poll.response", 0);
	REQUIRE(i >= 0);
	CHECK_EQ_STR(cs(i, "m.relates_to/rel_type"), "m.reference");
	CHECK_EQ_STR(cs(i, "m.relates_to/event_id"), poll);
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(
	    json_object_get(F.calls[i].content,
	    "org.matrix.msc3381.poll.response"), "answers"), 0)), "Sushi");
	/* The answer IDs of the poll start are the names the vote uses. */
	i = find("send", "org.matrix.msc3381.poll.start", 0);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(F.calls[i].content,
	    "org.matrix.msc3381.poll.start"), "answers"), 1), "id")), "Sushi");
	CHECK(was_done(2));
	free(poll);
	fx_close(&x);
}

TEST(test_portal_in_new_login_gets_its_groups)
{
	struct br_net_member mem[1] = { { BOB, "Bob", BR_NET_ADMIN } };
	const char *chats[2] = { GROUP, "120363000000000002@g.us" };
	const char *names[2] = { "One", "Two" };
	struct br_user_portal **v = NULL;
	struct br_net_chat_info ci;
	struct br_net_result r;
	struct fx x;
	size_t k;

	REQUIRE(fx_open(&x) == 0);
	N.with_info = 1;
	br_portal_in_on_synced(x.br, &N.login);
	REQUIRE(N.lists == 1 && N.list_done != NULL);
	memset(&r, 0, sizeof(r));
	r.chats = chats;
	r.names = names;
	r.n_chats = 2;
	N.list_done(N.list_arg, 0, &r);
	drain();
	/* Each group's info is asked (the items of two portals run side by
	 * side), then its room made. */
	REQUIRE(N.ninfos == 2);
	for (k = 0; k < 2; k++) {
		memset(&ci, 0, sizeof(ci));
		ci.chat = chats[k];
		ci.is_group = 1;
		ci.name = names[k];
		ci.members = mem;
		ci.n_members = 1;
		memset(&r, 0, sizeof(r));
		r.info = &ci;
		N.infos[k](N.info_args[k], 0, &r);
		drain();
	}
	CHECK_EQ_INT(count("create"), 2);
	CHECK_EQ_STR(cs(find("create", NULL, 0), "name"), "One");
	CHECK_EQ_STR(cs(find("create", NULL, 1), "name"), "Two");
	REQUIRE(br_store_user_portal_list_for_login(x.db, OWNER, LOGIN,
	    &v) == 0);
	CHECK(v[0] != NULL && v[1] != NULL && v[2] == NULL);
	br_user_portal_list_free(v);
	/* Not a new login any more: no second listing. */
	br_portal_in_on_synced(x.br, &N.login);
	CHECK_EQ_INT(N.lists, 1);
	fx_close(&x);
}

TEST(test_portal_in_texts_complete)
{
	int l, i;

	for (l = 0; l < BR_LANG_COUNT; l++)
		for (i = 0; i < BR_TIN_COUNT_; i++)
			CHECK(br_text_in((enum br_lang)l,
			    (enum br_text_in_id)i)[0] != '\0');
	{
		char *s = br_text_in_fmt(BR_LANG_EN, BR_TIN_MEDIA_FAILED,
		    "boom");

		CHECK_EQ_STR(s, "Failed to bridge media: boom");
		free(s);
	}
}

TEST_MAIN()
