/*
 * test_br_cmd_fake.h: the in-memory Matrix side, network side and fixture
 * the command tests (test_br_cmd_*.c) share.  Header-only: each test
 * program includes it once.
 *
 * The Matrix side records every call; pump() completes the pending ones in
 * order (completions may add calls) with canned answers: F.pls for
 * m.room.power_levels, F.create for m.room.create, F.members for
 * joined_members, F.state for other state (by type), a fresh event or
 * room ID otherwise.  F.fail_op makes calls of that op fail.
 *
 * The network side has logins (N.logins: ID, owner) and answers resolve,
 * invite_link, join_link, create_group, list_groups and chat_info from
 * N.* fields, also through pump().
 */
#ifndef TEST_BR_CMD_FAKE_H
#define TEST_BR_CMD_FAKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "bridge/texts.h"
#include "db/db.h"
#include "test/unit/test.h"

/* Each test program uses a part of the fakes. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define BOT_ID	"@whatsappbot:t.test"
#define ADMIN	"@admin:t.test"
#define ALICE	"@alice:t.test"
#define BOB	"@bob:t.test"
#define CAROL	"@carol:t.test"
#define GROUP	"120363000000000001@g.us"
#define PROOM	"!portal:t.test"
#define MGMT	"!mgmt:t.test"

/* ---- Matrix side ---- */

#define FAKE_MAX 128

struct fcall {
	char		 op[24];
	char		 room[128];
	char		 who[128];	/* intent user, or target user */
	char		 type[64];	/* state / event type, msgtype */
	char		*body;		/* owned: message body */
	json_t		*content;	/* ref: state / event content */
	char		 reason[160];
	br_mx_done_fn	 done;
	void		*arg;
	int		 pending;
	int		 net;		/* a network call (see below) */
	br_net_done_fn	 ndone;
};

static struct {
	struct br_mx	 mx;
	struct fcall	 calls[FAKE_MAX];
	size_t		 n;
	json_t		*pls;		/* ref or NULL: 404 */
	json_t		*create;	/* ref: the whole event */
	json_t		*members;	/* ref: {"joined": {...}} */
	json_t		*state;		/* ref: {"m.room.name": {...}} */
	json_t		*state_list;	/* ref or NULL (slot fails): the
					 * room_state_list answer */
	char		 fail_op[24];
	int		 seq;
} F;

struct fintent {
	char	id[128];
};
static struct fintent intents[16];
static size_t n_intents;

static struct br_mx_intent *
f_bot(struct br_mx *mx)
{
	return (struct br_mx_intent *)(void *)&intents[0];
}

static struct br_mx_intent *
f_ghost(struct br_mx *mx, const char *rid)
{
	size_t i;
	char id[128];

	snprintf(id, sizeof(id), "@whatsapp_%s:t.test", rid);
	for (i = 1; i < n_intents; i++)
		if (strcmp(intents[i].id, id) == 0)
			return (struct br_mx_intent *)(void *)&intents[i];
	if (n_intents >= 16)
		abort();
	snprintf(intents[n_intents].id, sizeof(intents[0].id), "%s", id);
	return (struct br_mx_intent *)(void *)&intents[n_intents++];
}

static const char *
f_user_id(const struct br_mx_intent *in)
{
	return ((const struct fintent *)(const void *)in)->id;
}

static const char *
f_bot_id(const struct br_mx *mx)
{
	return BOT_ID;
}

static int
f_is_ours(const struct br_mx *mx, const char *u)
{
	return strcmp(u, BOT_ID) == 0 || strncmp(u, "@whatsapp_", 10) == 0;
}

static struct fcall *
rec(const char *op, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	struct fcall *c;

	if (F.n >= FAKE_MAX)
		abort();
	c = &F.calls[F.n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->room, sizeof(c->room), "%s", room ? room : "");
	if (in != NULL)
		snprintf(c->who, sizeof(c->who), "%s", f_user_id(in));
	c->done = done;
	c->arg = arg;
	c->pending = 1;
	return c;
}

static int
f_send(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *msgtype, const char *body, const char *html,
    br_mx_done_fn done, void *arg)
{
	struct fcall *c = rec("send", in, room, done, arg);

	snprintf(c->type, sizeof(c->type), "%s", msgtype);
	c->body = strdup(body);
	return 0;
}

static int
f_send_event(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, json_t *content, uint64_t ts, br_mx_done_fn done,
    void *arg)
{
	struct fcall *c = rec("event", in, room, done, arg);

	snprintf(c->type, sizeof(c->type), "%s", type);
	c->content = json_deep_copy(content);
	return 0;
}

static int
f_send_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, json_t *content, br_mx_done_fn done,
    void *arg)
{
	struct fcall *c = rec("state", in, room, done, arg);

	snprintf(c->type, sizeof(c->type), "%s", type);
	c->content = json_deep_copy(content);
	return 0;
}

static int
f_upload(struct br_mx *mx, struct br_mx_intent *in, const void *data,
    size_t len, const char *content_type, const char *filename,
    br_mx_done_fn done, void *arg)
{
	struct fcall *c = rec("upload", in, NULL, done, arg);

	snprintf(c->type, sizeof(c->type), "%s", content_type ?
	    content_type : "");
	c->content = json_pack("{s:I}", "len", (json_int_t)len);
	return 0;
}

static int
f_get_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, br_mx_done_fn done, void *arg)
{
	snprintf(rec("get_state", in, room, done, arg)->type,
	    sizeof(F.calls[0].type), "%s", type);
	return 0;
}

static int
f_get_state_event(struct br_mx *mx, struct br_mx_intent *in,
    const char *room, const char *type, const char *key, br_mx_done_fn done,
    void *arg)
{
	snprintf(rec("get_state_event", in, room, done, arg)->type,
	    sizeof(F.calls[0].type), "%s", type);
	return 0;
}

static int
f_members(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	rec("members", in, room, done, arg);
	return 0;
}

static int
f_room_state_list(struct br_mx *mx, struct br_mx_intent *in,
    const char *room, br_mx_done_fn done, void *arg)
{
	if (F.state_list == NULL)
		return BR_ERR_MX_UNSUPPORTED;
	rec("state_list", in, room, done, arg);
	return 0;
}

static int
f_leave(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *reason, br_mx_done_fn done, void *arg)
{
	struct fcall *c = rec("leave", in, room, done, arg);

	snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
	return 0;
}

static int
f_kick(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *user, const char *reason, br_mx_done_fn done, void *arg)
{
	struct fcall *c = rec("kick", in, room, done, arg);

	snprintf(c->who, sizeof(c->who), "%s", user);
	snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
	return 0;
}

static int
f_invite(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *user, br_mx_done_fn done, void *arg)
{
	snprintf(rec("invite", in, room, done, arg)->who,
	    sizeof(F.calls[0].who), "%s", user);
	return 0;
}

static int
f_join(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	rec("join", in, room, done, arg);
	return 0;
}

static int
f_registered(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done,
    void *arg)
{
	rec("register", in, "", done, arg);
	return 0;
}

static int
f_displayname(struct br_mx *mx, struct br_mx_intent *in, const char *name,
    br_mx_done_fn done, void *arg)
{
	rec("displayname", in, "", done, arg)->body = strdup(name);
	return 0;
}

static int
f_create_room(struct br_mx *mx, struct br_mx_intent *in, json_t *req,
    br_mx_done_fn done, void *arg)
{
	rec("create_room", in, "", done, arg)->content = json_deep_copy(req);
	return 0;
}

/* A small stand-in for matrix/'s builder: what the tests look at. */
static json_t *
f_portal_create_req(struct br_mx *mx, const struct br_mx_room_spec *spec)
{
	json_t *req = json_object(), *inv = json_array();
	size_t i;

	json_object_set_new(req, "initial_state", json_pack("[{s:s,s:s,s:{}}]",
	    "type", "m.bridge", "state_key", "t.test/wa", "content"));
	if (spec->name != NULL)
		json_object_set_new(req, "name", json_string(spec->name));
	if (spec->topic != NULL)
		json_object_set_new(req, "topic", json_string(spec->topic));
	json_object_set_new(req, "is_direct", json_boolean(spec->is_dm));
	for (i = 0; spec->invite != NULL && spec->invite[i] != NULL; i++)
		json_array_append_new(inv, json_string(spec->invite[i]));
	json_object_set_new(req, "invite", inv);
	return req;
}

static const char *
f_bridge_state_key(const struct br_mx *mx)
{
	return "t.test/wa";
}

static const struct br_mx_ops fake_ops = {
	.bot = f_bot,
	.ghost = f_ghost,
	.user_id = f_user_id,
	.bot_id = f_bot_id,
	.is_ours = f_is_ours,
	.ensure_registered = f_registered,
	.ensure_joined = f_join,
	.set_displayname = f_displayname,
	.send_message = f_send,
	.send_event = f_send_event,
	.send_state = f_send_state,
	.upload = f_upload,
	.create_room = f_create_room,
	.invite = f_invite,
	.kick = f_kick,
	.leave = f_leave,
	.joined_members = f_members,
	.portal_create_req = f_portal_create_req,
	.bridge_state_key = f_bridge_state_key,
	.get_state = f_get_state,
	.get_state_event = f_get_state_event,
	.room_state_list = f_room_state_list,
};

/* ---- network side ---- */

#define NET_LOGINS 4

struct flogin {
	char			 id[32];
	char			 owner[64];
	char			 name[40];
	struct br_net_login_info info;
};

static struct {
	struct br_net	 net;
	struct flogin	 l[NET_LOGINS];
	size_t		 n;
	int		 rc;		/* answer code of every call */
	const char	*reason;
	const char	*user;		/* resolve answer ("" not on WA) */
	const char	*link;		/* invite_link answer */
	const char	*chat;		/* join / create answer */
	const char	*name;		/* chat_info name */
	const char	*topic;
	const char	*avatar_id;	/* chat_info picture id, or NULL */
	const unsigned char *avatar;	/* its JPEG bytes */
	size_t		 avatar_len;
	const char *const *chats;	/* list_groups */
	const char *const *names;
	size_t		 n_chats;
	/* create_group: per-user codes (same order as asked) */
	const int	*codes;
	/* what the last call got */
	char		 last_op[24], last_arg[256], last_login[32];
	int		 last_reset;
	char		 last_users[8][64];
	size_t		 last_n;
	int		 slots;		/* 0: optional slots NULL */
} N;

static struct br_net_login *
n_login_get(struct br_net *n, const char *id)
{
	size_t i;

	for (i = 0; i < N.n; i++)
		if (strcmp(N.l[i].id, id) == 0)
			return (struct br_net_login *)(void *)&N.l[i];
	return NULL;
}

static size_t
n_logins_of(struct br_net *n, const char *user, struct br_net_login **v,
    size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < N.n && k < max; i++)
		if (strcmp(N.l[i].owner, user) == 0)
			v[k++] = (struct br_net_login *)(void *)&N.l[i];
	return k;
}

static const struct br_net_login_info *
n_info(const struct br_net_login *l)
{
	return &((const struct flogin *)(const void *)l)->info;
}

static struct fcall *
nrec(const char *op, struct br_net_login *l, const char *arg,
    br_net_done_fn done, void *cbarg)
{
	struct fcall *c = rec(op, NULL, "", NULL, cbarg);

	c->net = 1;
	c->ndone = done;
	snprintf(N.last_op, sizeof(N.last_op), "%s", op);
	snprintf(N.last_arg, sizeof(N.last_arg), "%s", arg ? arg : "");
	snprintf(N.last_login, sizeof(N.last_login), "%s", n_info(l)->id);
	return c;
}

static int
n_resolve(struct br_net_login *l, const char *phone, br_net_done_fn done,
    void *arg)
{
	nrec("resolve", l, phone, done, arg);
	return 0;
}

static int
n_invite_link(struct br_net_login *l, const char *chat, int reset,
    br_net_done_fn done, void *arg)
{
	nrec("invite_link", l, chat, done, arg);
	N.last_reset = reset;
	return 0;
}

static int
n_join_link(struct br_net_login *l, const char *link, br_net_done_fn done,
    void *arg)
{
	nrec("join_link", l, link, done, arg);
	return 0;
}

static int
n_create_group(struct br_net_login *l, const char *name,
    const char *const *users, size_t n, br_net_done_fn done, void *arg)
{
	size_t i;

	nrec("create_group", l, name, done, arg);
	N.last_n = n;
	for (i = 0; i < n && i < 8; i++)
		snprintf(N.last_users[i], sizeof(N.last_users[i]), "%s",
		    users[i]);
	return 0;
}

static int
n_list_groups(struct br_net_login *l, br_net_done_fn done, void *arg)
{
	nrec("list_groups", l, "", done, arg);
	return 0;
}

static int
n_chat_info(struct br_net_login *l, const char *chat, br_net_done_fn done,
    void *arg)
{
	nrec("chat_info", l, chat, done, arg);
	return 0;
}

static int
n_set_topic(struct br_net_login *l, const char *chat, const char *topic,
    br_net_done_fn done, void *arg)
{
	nrec("set_topic", l, topic, done, arg);
	return 0;
}

static const struct br_net_ops n_ops_full = {
	.name = "WhatsApp",
	.login_get = n_login_get,
	.logins_of = n_logins_of,
	.info = n_info,
	.resolve = n_resolve,
	.invite_link = n_invite_link,
	.join_link = n_join_link,
	.create_group = n_create_group,
	.list_groups = n_list_groups,
	.chat_info = n_chat_info,
	.set_topic = n_set_topic,
};
static const struct br_net_ops n_ops_min = {
	.name = "WhatsApp",
	.login_get = n_login_get,
	.logins_of = n_logins_of,
	.info = n_info,
};

static void
net_call_done(struct fcall *c)
{
	struct br_net_result r;
	struct br_net_chat_info info;
	const char *users[8];
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(&info, 0, sizeof(info));
	r.reason = N.reason;
	if (strcmp(c->op, "resolve") == 0)
		r.user = N.user;
	else if (strcmp(c->op, "invite_link") == 0)
		r.link = N.link;
	else if (strcmp(c->op, "join_link") == 0)
		r.chat = N.chat;
	else if (strcmp(c->op, "create_group") == 0) {
		r.chat = N.chat;
		info.chat = N.chat;
		info.is_group = 1;
		info.name = N.last_arg;
		r.info = &info;
		for (i = 0; i < N.last_n && i < 8; i++)
			users[i] = N.last_users[i];
		r.users = users;
		r.codes = N.codes;
		r.n_users = N.codes != NULL ? N.last_n : 0;
	} else if (strcmp(c->op, "list_groups") == 0) {
		r.chats = N.chats;
		r.names = N.names;
		r.n_chats = N.n_chats;
	} else if (strcmp(c->op, "chat_info") == 0) {
		info.chat = N.last_arg;
		info.is_group = 1;
		info.name = N.name;
		info.topic = N.topic;
		info.avatar_id = N.avatar_id;
		info.avatar = N.avatar;
		info.avatar_len = N.avatar_len;
		r.info = &info;
	}
	c->ndone(c->arg, N.rc, &r);
}

static void
net_reset(int slots)
{
	memset(&N, 0, sizeof(N));
	N.net.ops = slots ? &n_ops_full : &n_ops_min;
	N.slots = slots;
	N.user = "";
}

static void
net_add_login(const char *id, const char *owner)
{
	struct flogin *l = &N.l[N.n++];

	snprintf(l->id, sizeof(l->id), "%s", id);
	snprintf(l->owner, sizeof(l->owner), "%s", owner);
	snprintf(l->name, sizeof(l->name), "+%s", id);
	l->info.id = l->id;
	l->info.user_mxid = l->owner;
	l->info.remote_name = l->name;
	l->info.state.event = BR_NET_CONNECTED;
}

/* ---- completing calls ---- */

static json_t *
answer(const struct fcall *c)
{
	char id[48];

	if (strcmp(c->op, "get_state") == 0) {
		if (strcmp(c->type, "m.room.power_levels") == 0)
			return F.pls ? json_incref(F.pls) : NULL;
		return json_incref(json_object_get(F.state, c->type));
	}
	if (strcmp(c->op, "get_state_event") == 0)
		return F.create ? json_incref(F.create) : NULL;
	if (strcmp(c->op, "members") == 0)
		return json_incref(F.members);
	if (strcmp(c->op, "state_list") == 0)
		return json_incref(F.state_list);
	if (strcmp(c->op, "create_room") == 0) {
		snprintf(id, sizeof(id), "!new%d:t.test", ++F.seq);
		return json_pack("{s:s}", "room_id", id);
	}
	if (strcmp(c->op, "upload") == 0) {
		snprintf(id, sizeof(id), "mxc://t.test/up%d", ++F.seq);
		return json_pack("{s:s}", "content_uri", id);
	}
	snprintf(id, sizeof(id), "$ev%d", ++F.seq);
	return json_pack("{s:s}", "event_id", id);
}

/* Complete pending calls in order with rc (answers as above; a get with
 * no canned answer is BR_ERR_MX_NOT_FOUND, F.fail_op fails). */
static void
pump(int rc)
{
	size_t i;
	json_t *resp;
	int r;

	for (i = 0; i < F.n; i++) {
		struct fcall *c = &F.calls[i];

		if (!c->pending)
			continue;
		c->pending = 0;
		if (c->net) {
			net_call_done(c);
			continue;
		}
		resp = rc == 0 ? answer(c) : NULL;
		r = rc;
		if (r == 0 && resp == NULL)
			r = BR_ERR_MX_NOT_FOUND;
		if (r == 0 && strcmp(F.fail_op, c->op) == 0)
			r = BR_ERR_MX_FAILED;
		c->done(c->arg, r, r == 0 ? resp : NULL);
		json_decref(resp);
	}
}

static void
fake_reset(void)
{
	size_t i;

	pump(BR_ERR_MX_CANCELLED);
	for (i = 0; i < F.n; i++) {
		free(F.calls[i].body);
		json_decref(F.calls[i].content);
	}
	json_decref(F.pls);
	json_decref(F.create);
	json_decref(F.members);
	json_decref(F.state);
	json_decref(F.state_list);
	memset(&F, 0, sizeof(F));
	F.mx.ops = &fake_ops;
	F.members = json_pack("{s:{}}", "joined");
	F.state = json_object();
	n_intents = 1;
	snprintf(intents[0].id, sizeof(intents[0].id), "%s", BOT_ID);
}

/* The last message body sent, or "". */
static const char *
last_body(void)
{
	size_t i = F.n;

	while (i-- > 0)
		if (strcmp(F.calls[i].op, "send") == 0)
			return F.calls[i].body;
	return "";
}

static size_t
count(const char *op)
{
	size_t i, n = 0;

	for (i = 0; i < F.n; i++)
		n += strcmp(F.calls[i].op, op) == 0;
	return n;
}

/* The k-th (0-based) call of op, or NULL. */
static struct fcall *
nth(const char *op, size_t k)
{
	size_t i;

	for (i = 0; i < F.n; i++)
		if (strcmp(F.calls[i].op, op) == 0 && k-- == 0)
			return &F.calls[i];
	return NULL;
}

/* ---- fixture ---- */

static char *const noenv[] = { NULL };

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_bridge	*br;
	char			 path[64];
};

static const char fx_base_yaml[] =
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n"
    "appservice:\n"
    "    username_template: whatsapp_{{.}}\n";

/* extra: YAML appended (a "bridge:" block with permissions and relay). */
static int
fx_open_yaml(struct fx *x, const char *lang, const char *bridge_yaml)
{
	struct br_config_opts o = { noenv };
	char err[256], uri[128], yaml[4096];
	int fd;

	memset(x, 0, sizeof(*x));
	snprintf(yaml, sizeof(yaml), "%s%sponton:\n    language: %s\n",
	    fx_base_yaml, bridge_yaml, lang);
	if (br_config_load_mem("t.yaml", yaml, strlen(yaml), &o, &x->cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brcmdx-XXXXXX");
	if ((fd = mkstemp(x->path)) < 0)
		return -1;
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s?_txlock=immediate", x->path);
	if (db_open(&x->db, "sqlite3-fk-wal", uri, NULL) < 0 ||
	    db_upgrade(x->db) < 0)
		return -1;
	fake_reset();
	x->br = br_bridge_new(x->cfg, x->db);
	br_bridge_set_mx(x->br, &F.mx);
	br_portals_set_ready(x->br->portals, 1);
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];

	fake_reset();
	br_bridge_free(x->br);
	db_close(x->db);
	br_config_free(x->cfg);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

static void
say(struct fx *x, const char *sender, const char *room, const char *body)
{
	struct br_mx_message m;

	memset(&m, 0, sizeof(m));
	m.room_id = room;
	m.event_id = "$cmd";
	m.sender = sender;
	m.msgtype = "m.text";
	m.body = body;
	br_bridge_on_message(x->br, &m);
}

/* A login row (id digits, owner). */
static int
add_login(struct fx *x, const char *id, const char *owner)
{
	struct br_login l;
	char name[40], *mg = NULL;

	memset(&l, 0, sizeof(l));
	snprintf(name, sizeof(name), "+%s", id);
	l.id = (char *)id;
	l.user_mxid = (char *)owner;
	l.remote_name = name;
	if (br_user_db_load(x->db, owner, &mg) < 0)
		return -1;
	free(mg);
	return br_store_login_insert(x->db, &l);
}

/* A portal row for chat with room (NULL: none), receiver "". */
static int
add_portal(struct fx *x, const char *chat, const char *receiver,
    const char *room)
{
	struct br_portal p;

	memset(&p, 0, sizeof(p));
	p.id = (char *)chat;
	p.receiver = (char *)receiver;
	p.mxid = (char *)room;
	p.parent_receiver = "";
	p.name = "Cafe";
	p.topic = p.avatar_id = p.avatar_hash = p.avatar_mxc = "";
	p.room_type = "";
	return br_store_portal_insert(x->db, &p);
}

/* The stored portal row of chat (receiver ""), or NULL. */
static struct br_portal *
get_portal(struct fx *x, const char *chat, const char *receiver)
{
	struct br_portal_key k = { chat, receiver };
	struct br_portal *p = NULL;

	if (br_store_portal_get(x->db, k, &p) < 0)
		return NULL;
	return p;
}

/* user_portal row: login is in the chat. */
static int
add_in_portal(struct fx *x, const char *owner, const char *login,
    const char *chat)
{
	struct br_portal_key k = { chat, "" };
	struct br_user_portal *up = NULL;
	int r = br_store_user_portal_get_or_create(x->db, owner, login, k,
	    &up);

	br_user_portal_free(up);
	return r;
}

#endif
