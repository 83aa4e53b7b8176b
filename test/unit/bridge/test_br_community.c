/*
 * test_br_community.c: community portals (bridge/community.c) through the
 * core's hooks, over an in-memory Matrix side and WhatsApp side (both
 * implemented here; their calls are answered by responders the test can
 * tune) and a SQLite database in /tmp:
 *  - the welcome in a group the relay account joins (once; not in groups
 *    it created; configured text);
 *  - method 1: `!am @member` creates the room, relay on, PL 100 for the
 *    member, invite, answer in the group; a repeat re-invites into the same
 *    room; a non-member is refused and nothing changes;
 *  - method 2: `!am whatsapp` in a member's private room: group created
 *    with the room's name, THIS room attached, relay on, bridge bot raised,
 *    invited and joined, m.bridge sent, the invite link posted; refusals
 *    (encrypted, not alone, not admin, bot without power) change nothing;
 *    in a bridged room it turns relay back on;
 *  - `!am whatsapp +<number>`: direct add and ghost join; the refused add
 *    sends an invitation; a number not on WhatsApp; rate limit per member;
 *  - `!am reset`: relay on, bot joined, m.bridge, ghosts of the members;
 *  - bad commands and flooding: one answer, nothing changed; commands are
 *    consumed (never relayed), WhatsApp commands still bridged;
 *  - the community bot's invites: a member's accepted, a stranger's
 *    rejected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "bridge/community.h"
#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "db/db.h"
#include "test/unit/test.h"
#include "util/err.h"

static char *const noenv[] = { NULL };

#define BOT_ID	"@whatsappbot:t.test"
#define CBOT_ID	"@arnmessager:t.test"
#define RELAY	"33600000001"
#define GROUP	"120363012345678901@g.us"
#define NEWGRP	"120363999999999999@g.us"
#define GROUP2	"120363000000000002@g.us"
#define ROOM	"!mine:t.test"
#define MEMBER	"@libremax:t.test"

static const char cfg_yaml[] =
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n"
    "appservice:\n"
    "    hostname: 127.0.0.1\n"
    "    port: 0\n"
    "    as_token: AS\n"
    "    hs_token: HS\n"
    "bridge:\n"
    "    permissions:\n"
    "        \"t.test\": relay\n"
    "        \"@blocked:t.test\": block\n"
    "        \"@admin:t.test\": admin\n"
    "community:\n"
    "    enabled: true\n"
    "    bot_username: arnmessager\n"
    "    commands_per_minute: 4\n"
    "    adds_per_member_per_day: 2\n";

/* ---- a generic call log ---- */

#define CALLS_MAX 256

struct call {
	char		 op[24];
	char		 a[512], b[160], c[512];
	json_t		*json;		/* owned copy of a content */
	br_mx_done_fn	 mdone;
	br_net_done_fn	 ndone;
	void		(*gdone)(void *, int);
	void		*arg;
	int		 pending;
};

static struct {
	struct call	 v[CALLS_MAX];
	size_t		 n;
	/* Responder knobs. */
	const char	*room_state;	/* room_state_list answer */
	const char	*pls;		/* get_state power levels answer */
	int		 add_code;	/* members ADD code */
	int		 fail_create;
	unsigned	 room_seq;
	const char	*cbot_absent;	/* room the community bot is not in */
} F;

static struct call *
rec(const char *op, const char *a, const char *b, const char *c)
{
	struct call *k;

	if (F.n >= CALLS_MAX)
		abort();
	k = &F.v[F.n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->op, sizeof(k->op), "%s", op);
	snprintf(k->a, sizeof(k->a), "%s", a ? a : "");
	snprintf(k->b, sizeof(k->b), "%s", b ? b : "");
	snprintf(k->c, sizeof(k->c), "%s", c ? c : "");
	k->pending = 1;
	return k;
}

static size_t
count(const char *op, const char *a, const char *cpart)
{
	size_t i, n = 0;

	for (i = 0; i < F.n; i++)
		if (strcmp(F.v[i].op, op) == 0 &&
		    (a == NULL || strcmp(F.v[i].a, a) == 0) &&
		    (cpart == NULL || strstr(F.v[i].c, cpart) != NULL))
			n++;
	return n;
}

/* Calls of op in room a whose b starts with bpre. */
static size_t
count_b(const char *op, const char *a, const char *bpre)
{
	size_t i, n = 0;

	for (i = 0; i < F.n; i++)
		if (strcmp(F.v[i].op, op) == 0 && strcmp(F.v[i].a, a) == 0 &&
		    strncmp(F.v[i].b, bpre, strlen(bpre)) == 0)
			n++;
	return n;
}

static struct call *
find(const char *op, const char *a)
{
	size_t i;

	for (i = F.n; i-- > 0; )
		if (strcmp(F.v[i].op, op) == 0 &&
		    (a == NULL || strcmp(F.v[i].a, a) == 0))
			return &F.v[i];
	return NULL;
}

/* ---- the fake Matrix side ---- */

static struct br_mx FMX;
static int bot_tag, cbot_tag, ghost_tag;

static struct br_mx_intent *
f_bot(struct br_mx *mx)
{
	(void)mx;
	return (struct br_mx_intent *)(void *)&bot_tag;
}

static struct br_mx_intent *
f_cbot(struct br_mx *mx)
{
	(void)mx;
	return (struct br_mx_intent *)(void *)&cbot_tag;
}

static struct br_mx_intent *
f_ghost(struct br_mx *mx, const char *id)
{
	(void)mx;
	return id[0] != '\0' ? (struct br_mx_intent *)(void *)&ghost_tag :
	    NULL;
}

static const char *
f_user_id(const struct br_mx_intent *in)
{
	if (in == (const void *)&bot_tag)
		return BOT_ID;
	if (in == (const void *)&cbot_tag)
		return CBOT_ID;
	return "@whatsapp_ghost:t.test";
}

static const char *
f_bot_id(const struct br_mx *mx)
{
	(void)mx;
	return BOT_ID;
}

static int
f_is_ours(const struct br_mx *mx, const char *u)
{
	(void)mx;
	return strcmp(u, BOT_ID) == 0 || strcmp(u, CBOT_ID) == 0 ||
	    strncmp(u, "@whatsapp_", 10) == 0;
}

static const char *
f_key(const struct br_mx *mx)
{
	(void)mx;
	return "t.test/whatsapp";
}

#define MXREC(op, a, b, c) do {						\
	struct call *k_ = rec(op, a, b, c);				\
	k_->mdone = done;						\
	k_->arg = arg;							\
	(void)mx;							\
} while (0)

static int
f_send_message(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *msgtype, const char *body, const char *html,
    br_mx_done_fn done, void *arg)
{
	(void)html;
	MXREC("say", room, f_user_id(in), body);
	return 0;
}

static int
f_send_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, json_t *content, br_mx_done_fn done,
    void *arg)
{
	char *dump = json_dumps(content, JSON_SORT_KEYS | JSON_COMPACT);
	struct call *k = rec("state", room, type, dump);

	(void)mx;
	(void)key;
	free(dump);
	snprintf(k->b, sizeof(k->b), "%s %s", type, f_user_id(in));
	k->mdone = done;
	k->arg = arg;
	return 0;
}

static int
f_get_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, br_mx_done_fn done, void *arg)
{
	(void)in;
	(void)key;
	MXREC("get_state", room, type, "");
	return 0;
}

static int
f_invite(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *user, br_mx_done_fn done, void *arg)
{
	MXREC("invite", room, user, f_user_id(in));
	return 0;
}

static int
f_join(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	MXREC("join", room, f_user_id(in), "");
	return 0;
}

static int
f_leave(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *reason, br_mx_done_fn done, void *arg)
{
	MXREC("leave", room, f_user_id(in), reason);
	return 0;
}

static int
f_state_list(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	MXREC("state_list", room, f_user_id(in), "");
	return 0;
}

static json_t *
f_create_req(struct br_mx *mx, const struct br_mx_room_spec *s)
{
	(void)mx;
	return json_pack("{s:s,s:[{s:s,s:s,s:{s:s,s:{s:s}}}]}", "name",
	    s->name ? s->name : "", "initial_state", "type", "m.bridge",
	    "state_key", "t.test/whatsapp", "content", "bridgebot", BOT_ID,
	    "channel", "id", s->channel_id);
}

static int
f_create(struct br_mx *mx, struct br_mx_intent *in, json_t *req,
    br_mx_done_fn done, void *arg)
{
	(void)in;
	MXREC("create", json_string_value(json_object_get(req, "name")), "",
	    "");
	return 0;
}

static int
f_register(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done,
    void *arg)
{
	(void)in;
	MXREC("register", "", "", "");
	return 0;
}

static int
f_name(struct br_mx *mx, struct br_mx_intent *in, const char *name,
    br_mx_done_fn done, void *arg)
{
	(void)in;
	MXREC("displayname", name, "", "");
	return 0;
}

static const struct br_mx_ops mx_ops = {
	.bot = f_bot,
	.community_bot = f_cbot,
	.ghost = f_ghost,
	.user_id = f_user_id,
	.bot_id = f_bot_id,
	.is_ours = f_is_ours,
	.bridge_state_key = f_key,
	.portal_create_req = f_create_req,
	.create_room = f_create,
	.send_message = f_send_message,
	.send_state = f_send_state,
	.get_state = f_get_state,
	.invite = f_invite,
	.ensure_joined = f_join,
	.ensure_registered = f_register,
	.set_displayname = f_name,
	.leave = f_leave,
	.room_state_list = f_state_list,
};

/* ---- the fake WhatsApp side ---- */

static struct br_net FNET;
static int login_tag;
static struct br_net_login_info LINFO = { RELAY, "@admin:t.test",
    "+" RELAY, { BR_NET_CONNECTED, NULL, NULL } };
static int have_login = 1;

static struct br_net_login *
n_login_get(struct br_net *n, const char *id)
{
	(void)n;
	return have_login && strcmp(id, RELAY) == 0 ?
	    (struct br_net_login *)(void *)&login_tag : NULL;
}

static int n_lookups;

static size_t
n_logins_of(struct br_net *n, const char *user, struct br_net_login **v,
    size_t max)
{
	(void)n;
	n_lookups++;
	if (!have_login || strcmp(user, "@admin:t.test") != 0 || max < 1)
		return 0;
	v[0] = (struct br_net_login *)(void *)&login_tag;
	return 1;
}

static const struct br_net_login_info *
n_info(const struct br_net_login *l)
{
	(void)l;
	return &LINFO;
}

#define NREC(op, a, b, c) do {						\
	struct call *k_ = rec(op, a, b, c);				\
	k_->ndone = done;						\
	k_->arg = arg;							\
	(void)l;							\
} while (0)

static int
n_send(struct br_net_login *l, const char *chat,
    const struct br_net_content *c, br_net_done_fn done, void *arg)
{
	char kind[64] = "";

	if (c->kind == BR_NET_KIND_GROUP_INVITE)
		snprintf(kind, sizeof(kind), "invite %s %s", c->invite_group,
		    c->invite_code);
	NREC("wa_say", chat, kind, c->text);
	return 0;
}

static int
n_chat_info(struct br_net_login *l, const char *chat, br_net_done_fn done,
    void *arg)
{
	NREC("chat_info", chat, "", "");
	return 0;
}

static int
n_create(struct br_net_login *l, const char *name, const char *const *users,
    size_t n, br_net_done_fn done, void *arg)
{
	(void)users;
	NREC("create_group", name, "", n == 0 ? "nobody" : "someone");
	return 0;
}

static int
n_link(struct br_net_login *l, const char *chat, int reset,
    br_net_done_fn done, void *arg)
{
	(void)reset;
	NREC("invite_link", chat, "", "");
	return 0;
}

static int
n_members(struct br_net_login *l, const char *chat, enum br_net_member_op op,
    const char *const *users, size_t n, br_net_done_fn done, void *arg)
{
	NREC("members", chat, n > 0 ? users[0] : "", op == BR_NET_OP_ADD ?
	    "add" : "other");
	return 0;
}

static int
n_invite_user(struct br_net_login *l, const char *chat, const char *user,
    const char *code, uint64_t exp, br_net_done_fn done, void *arg)
{
	(void)exp;
	NREC("invite_user", chat, user, code);
	return 0;
}

static int
n_resolve(struct br_net_login *l, const char *phone, br_net_done_fn done,
    void *arg)
{
	NREC("resolve", phone, "", "");
	return 0;
}

static struct br_net_ops net_ops = {
	.name = "WhatsApp",
	.login_get = n_login_get,
	.logins_of = n_logins_of,
	.info = n_info,
	.send = n_send,
	.chat_info = n_chat_info,
	.create_group = n_create,
	.invite_link = n_link,
	.members = n_members,
	.invite_user = n_invite_user,
	.resolve = n_resolve,
};

/* ---- answering calls ---- */

static void
answer_mx(struct call *k)
{
	char buf[4096];
	const char *txt = "{}";
	json_t *j;
	int rc = 0;

	if (strcmp(k->op, "say") == 0 && F.cbot_absent != NULL &&
	    strcmp(k->a, F.cbot_absent) == 0 && strcmp(k->b, CBOT_ID) == 0) {
		rc = BR_ERR_MX_FAILED;	/* M_FORBIDDEN: not in the room */
		txt = "{\"errcode\":\"M_FORBIDDEN\"}";
	} else if (strcmp(k->op, "say") == 0 || strcmp(k->op, "state") == 0)
		txt = "{\"event_id\":\"$e\"}";
	else if (strcmp(k->op, "create") == 0) {
		snprintf(buf, sizeof(buf), "{\"room_id\":\"!new%u:t.test\"}",
		    ++F.room_seq);
		txt = buf;
	} else if (strcmp(k->op, "get_state") == 0)
		txt = F.pls;
	else if (strcmp(k->op, "state_list") == 0)
		txt = F.room_state;
	j = json_loads(txt, 0, NULL);
	k->pending = 0;
	k->mdone(k->arg, rc, j);
	json_decref(j);
}

static void
answer_net(struct call *k)
{
	struct br_net_result r;
	struct br_net_member mem[2] = {
		{ "33600000002@s.whatsapp.net", "Bob", BR_NET_ADMIN },
		{ RELAY "@s.whatsapp.net", NULL, BR_NET_MEMBER },
	};
	struct br_net_chat_info info;
	const char *users[1], *codes_s[1];
	int codes[1];
	uint64_t exps[1] = { 0 };
	char juser[64];
	int rc = 0;

	memset(&r, 0, sizeof(r));
	memset(&info, 0, sizeof(info));
	if (strcmp(k->op, "chat_info") == 0) {
		info.chat = k->a;
		info.is_group = 1;
		info.name = "Cafe";
		info.members = mem;
		info.n_members = 2;
		r.info = &info;
	} else if (strcmp(k->op, "create_group") == 0) {
		if (F.fail_create) {
			rc = BR_ERR_NET_FAILED;
			r.reason = "server said no";
		}
		r.chat = NEWGRP;
	} else if (strcmp(k->op, "invite_link") == 0)
		r.link = "https://chat.whatsapp.com/CODE123";
	else if (strcmp(k->op, "resolve") == 0) {
		snprintf(juser, sizeof(juser), "%s@s.whatsapp.net", k->a + 1);
		r.user = strncmp(k->a, "+999", 4) == 0 ? "" : juser;
	} else if (strcmp(k->op, "members") == 0) {
		users[0] = k->b;
		codes[0] = F.add_code;
		codes_s[0] = F.add_code == 403 ? "INVCODE" : NULL;
		r.users = users;
		r.codes = codes;
		r.invite_codes = codes_s;
		r.invite_expirations = exps;
		r.n_users = 1;
	} else if (strcmp(k->op, "wa_say") == 0)
		r.id = "3EB0AA";
	k->pending = 0;
	k->ndone(k->arg, rc, &r);
}

static void
answer_ghost(struct call *k)
{
	k->pending = 0;
	k->gdone(k->arg, 0);
}

/* Answer every pending call, in order, until none is left. */
static void
settle(void)
{
	size_t i;
	int again = 1;

	while (again) {
		again = 0;
		for (i = 0; i < F.n; i++) {
			struct call *k = &F.v[i];

			if (!k->pending)
				continue;
			again = 1;
			if (k->mdone != NULL)
				answer_mx(k);
			else if (k->ndone != NULL)
				answer_net(k);
			else if (k->gdone != NULL)
				answer_ghost(k);
			else
				k->pending = 0;
		}
	}
}

static void
cancel_all(void)
{
	size_t i;

	for (i = 0; i < F.n; i++) {
		struct call *k = &F.v[i];

		if (!k->pending)
			continue;
		k->pending = 0;
		if (k->mdone != NULL)
			k->mdone(k->arg, BR_ERR_MX_CANCELLED, NULL);
	}
}

/* ---- fixture ---- */

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_bridge	*br;
	struct br_community	*c;
	char			 path[64];
};

static uint64_t clock_ms;

static uint64_t
fake_now(void *arg)
{
	(void)arg;
	return clock_ms;
}

static int
fx_open(struct fx *x, const char *extra)
{
	struct br_config_opts o = { noenv };
	char err[256], uri[128], yaml[4096];
	struct br_login lg;
	int fd;

	memset(x, 0, sizeof(*x));
	memset(&F, 0, sizeof(F));
	F.pls = "{\"users\":{\"" BOT_ID "\":100}}";
	have_login = 1;
	clock_ms = 1000000;
	snprintf(yaml, sizeof(yaml), "%s%s", cfg_yaml, extra ? extra : "");
	if (br_config_load_mem("t.yaml", yaml, strlen(yaml), &o, &x->cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brcomm-XXXXXX");
	if ((fd = mkstemp(x->path)) < 0)
		return -1;
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s?_txlock=immediate", x->path);
	if (db_open(&x->db, "sqlite3-fk-wal", uri, NULL) < 0 ||
	    db_upgrade(x->db) < 0)
		return -1;
	/* The relay login's row (the relay account of an admin). */
	memset(&lg, 0, sizeof(lg));
	lg.id = (char *)RELAY;
	lg.user_mxid = (char *)"@admin:t.test";
	lg.remote_name = (char *)"+" RELAY;
	{
		struct br_user u = { (char *)"@admin:t.test", NULL, NULL };

		if (br_store_user_insert(x->db, &u) < 0 ||
		    br_store_login_insert(x->db, &lg) < 0)
			return -1;
	}
	FMX.ops = &mx_ops;
	FNET.ops = &net_ops;
	x->br = br_bridge_new(x->cfg, x->db);
	br_bridge_set_mx(x->br, &FMX);
	br_bridge_set_net(x->br, &FNET);
	br_portals_set_ready(x->br->portals, 1);
	x->c = br_community_new(x->br, x->cfg);
	if (x->c != NULL)
		br_community_set_clock(x->c, fake_now, NULL);
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];
	size_t i;

	br_bridge_stop(x->br);
	cancel_all();
	br_community_free(x->c);
	br_bridge_free(x->br);
	db_close(x->db);
	br_config_free(x->cfg);
	for (i = 0; i < F.n; i++)
		json_decref(F.v[i].json);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

static struct br_net_login *
LOGIN(void)
{
	return (struct br_net_login *)(void *)&login_tag;
}

/* A WhatsApp group message through the hook; its return value. */
static int
wa_msg(struct fx *x, const char *chat, const char *text)
{
	struct br_net_message m;

	memset(&m, 0, sizeof(m));
	m.chat = chat;
	m.id = "3EB0X";
	m.sender = "33600000002@s.whatsapp.net";
	m.is_group = 1;
	m.c.kind = BR_NET_KIND_TEXT;
	m.c.text = text;
	return x->br->hooks.wa_message(x->br->hooks.arg, LOGIN(), &m);
}

static int
mx_msg(struct fx *x, const char *room, const char *sender, const char *body)
{
	struct br_mx_message m;

	memset(&m, 0, sizeof(m));
	m.room_id = room;
	m.event_id = "$ev";
	m.sender = sender;
	m.msgtype = "m.text";
	m.body = body;
	return x->br->hooks.mx_message(x->br->hooks.arg, &m);
}

static void
joined(struct fx *x, const char *chat, const char *actor)
{
	struct br_net_group_event g;

	memset(&g, 0, sizeof(g));
	g.change = BR_NET_GROUP_JOINED;
	g.chat = chat;
	g.actor = actor;
	(void)x->br->hooks.wa_group(x->br->hooks.arg, LOGIN(), &g);
}

static char *
portal_room(struct fx *x, const char *chat)
{
	struct br_portal *p = NULL;
	struct br_portal_key k = { chat, "" };
	char *room = NULL;

	if (br_store_portal_get(x->db, k, &p) == 0 && p->mxid != NULL)
		room = strdup(p->mxid);
	br_portal_free(p);
	return room;
}

static int
portal_relay(struct fx *x, const char *chat)
{
	struct br_portal *p = NULL;
	struct br_portal_key k = { chat, "" };
	int ok;

	if (br_store_portal_get(x->db, k, &p) != 0)
		return 0;
	ok = p->relay_login_id != NULL && strcmp(p->relay_login_id, RELAY)
	    == 0;
	br_portal_free(p);
	return ok;
}

/* ---- tests ---- */

TEST(community_off_sets_no_hooks)
{
	struct fx x;
	struct br_config_opts o = { noenv };
	struct br_config *cfg = NULL;
	struct br_bridge *br;
	char err[128];
	static const char off[] = "homeserver: {domain: t.test}\n";

	REQUIRE(fx_open(&x, "    language: fr\n") == 0);
	CHECK(x.c != NULL);
	REQUIRE(br_config_load_mem("t", off, strlen(off), &o, &cfg, err,
	    sizeof(err)) == 0);
	br = br_bridge_new(cfg, x.db);
	CHECK(br_community_new(br, cfg) == NULL);
	CHECK(br->hooks.wa_message == NULL);
	CHECK(br->hooks.mx_message == NULL);
	br_bridge_free(br);
	br_config_free(cfg);
	fx_close(&x);
}

TEST(community_welcome_once_and_not_in_own_groups)
{
	struct fx x;

	REQUIRE(fx_open(&x, "    language: fr\n") == 0);
	joined(&x, GROUP, "33600000002@s.whatsapp.net");
	settle();
	CHECK_EQ_INT(count("wa_say", GROUP, "!am @votrepseudo:t.test"), 1);
	/* A reconnect reports the group again: no second welcome. */
	joined(&x, GROUP, "33600000002@s.whatsapp.net");
	/* A group the account created itself. */
	joined(&x, NEWGRP, RELAY "@s.whatsapp.net");
	settle();
	CHECK_EQ_INT(count("wa_say", NULL, NULL), 1);
	/* Added to an existing group: welcomed; someone else added: not. */
	{
		struct br_net_group_event g;
		const char *them[1] = { "33600000009@s.whatsapp.net" };
		const char *us[2] = { "33600000009@s.whatsapp.net",
		    RELAY "@s.whatsapp.net" };

		memset(&g, 0, sizeof(g));
		g.change = BR_NET_GROUP_ADD;
		g.chat = GROUP2;
		g.actor = "33600000002@s.whatsapp.net";
		g.users = them;
		g.n_users = 1;
		(void)x.br->hooks.wa_group(x.br->hooks.arg, LOGIN(), &g);
		settle();
		CHECK_EQ_INT(count("wa_say", GROUP2, NULL), 0);
		g.users = us;
		g.n_users = 2;
		(void)x.br->hooks.wa_group(x.br->hooks.arg, LOGIN(), &g);
		settle();
		CHECK_EQ_INT(count("wa_say", GROUP2, "!am @votrepseudo"), 1);
	}
	fx_close(&x);
	REQUIRE(fx_open(&x, "    welcome_en: \"Hi! {prefix} @me:{domain}\"\n")
	    == 0);
	/* No actor: the bridge learnt of a group it was already in (sync,
	 * join, a new login's groups): no welcome. */
	joined(&x, GROUP, NULL);
	settle();
	CHECK_EQ_INT(count("wa_say", NULL, NULL), 0);
	joined(&x, GROUP2, "33600000002@s.whatsapp.net");
	settle();
	CHECK_EQ_INT(count("wa_say", GROUP2, "Hi! !am @me:t.test"), 1);
	fx_close(&x);
}

TEST(community_method1_creates_invites_answers)
{
	struct fx x;
	char *room;
	struct call *k;

	REQUIRE(fx_open(&x, NULL) == 0);
	/* Still bridged (0), answered after the calls complete. */
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @LibreMax:t.test"), 0);
	settle();
	room = portal_room(&x, GROUP);
	REQUIRE(room != NULL);
	CHECK_EQ_INT(count("create", "Cafe", NULL), 1);
	CHECK(portal_relay(&x, GROUP));
	k = find("state", room);
	REQUIRE(k != NULL);
	CHECK(strstr(k->c, "\"" MEMBER "\":100") != NULL);
	CHECK(strstr(k->c, "\"" BOT_ID "\":100") != NULL);
	CHECK_EQ_INT(count("invite", room, NULL), 1);
	CHECK_EQ_STR(find("invite", room)->b, MEMBER);
	CHECK_EQ_INT(count("wa_say", GROUP, MEMBER " is invited"), 1);
	/* Again (the host's FAQ): same room, invited again, no new room. */
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @libremax:t.test"), 0);
	settle();
	CHECK_EQ_INT(count("create", NULL, NULL), 1);
	CHECK_EQ_INT(count("invite", room, NULL), 2);
	/* Only the named member was ever invited. */
	CHECK_EQ_INT(count("invite", NULL, NULL), 2);
	free(room);
	fx_close(&x);
}

/* A backfilled `!am` (history sync) is the past: nothing runs again. */
TEST(community_backfilled_command_not_run)
{
	struct fx x;
	struct br_net_message m;

	REQUIRE(fx_open(&x, NULL) == 0);
	memset(&m, 0, sizeof(m));
	m.chat = GROUP;
	m.id = "3EB0OLD";
	m.sender = "33600000002@s.whatsapp.net";
	m.is_group = 1;
	m.backfill = 1;
	m.c.kind = BR_NET_KIND_TEXT;
	m.c.text = "!am @libremax:t.test";
	CHECK_EQ_INT(x.br->hooks.wa_message(x.br->hooks.arg, LOGIN(), &m), 0);
	settle();
	CHECK_EQ_INT(count("create", NULL, NULL), 0);
	CHECK_EQ_INT(count("invite", NULL, NULL), 0);
	CHECK_EQ_INT(count("wa_say", NULL, NULL), 0);
	/* The same text live is run. */
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @libremax:t.test"), 0);
	settle();
	CHECK_EQ_INT(count("create", NULL, NULL), 1);
	fx_close(&x);
}

TEST(community_member_power_level_configurable)
{
	struct fx x;
	char *room;
	struct call *k;

	REQUIRE(fx_open(&x, "    member_power_level: 50\n") == 0);
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @LibreMax:t.test"), 0);
	settle();
	room = portal_room(&x, GROUP);
	REQUIRE(room != NULL);
	k = find("state", room);
	REQUIRE(k != NULL);
	CHECK(strstr(k->c, "\"" MEMBER "\":50") != NULL);
	CHECK(strstr(k->c, "\"" MEMBER "\":100") == NULL);
	CHECK_EQ_INT(count("invite", room, NULL), 1);
	free(room);
	fx_close(&x);
}

TEST(community_method1_split_portals_key)
{
	struct fx x;
	struct br_portal *p = NULL;
	struct br_portal_key k = { GROUP, RELAY };

	REQUIRE(fx_open(&x, NULL) == 0);
	x.cfg->bridge.split_portals = 1;	/* groups keyed by login */
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @libremax:t.test"), 0);
	settle();
	REQUIRE(br_store_portal_get(x.db, k, &p) == 0);
	CHECK(p->mxid != NULL);
	br_portal_free(p);
	CHECK(portal_room(&x, GROUP) == NULL);	/* no shared-key row */
	fx_close(&x);
}

TEST(community_method1_refuses_non_members_and_bad_ids)
{
	struct fx x;

	REQUIRE(fx_open(&x, NULL) == 0);
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @evil:elsewhere.org"), 0);
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @nocolon"), 0);
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am frobnicate"), 0);
	CHECK_EQ_INT(wa_msg(&x, GROUP, "just chatting"), 0);
	settle();
	CHECK_EQ_INT(count("wa_say", GROUP, "is not an account of the "
	    "community"), 1);
	CHECK_EQ_INT(count("wa_say", GROUP, "not a Matrix user ID"), 1);
	CHECK_EQ_INT(count("wa_say", GROUP, "Unknown command"), 1);
	CHECK_EQ_INT(count("wa_say", NULL, NULL), 3);
	CHECK(portal_room(&x, GROUP) == NULL);
	CHECK_EQ_INT(count("create", NULL, NULL), 0);
	CHECK_EQ_INT(count("invite", NULL, NULL), 0);
	fx_close(&x);
}

TEST(community_flooding_gets_one_answer)
{
	struct fx x;
	int i;

	REQUIRE(fx_open(&x, NULL) == 0);
	for (i = 0; i < 20; i++)
		CHECK_EQ_INT(wa_msg(&x, GROUP, "!am nonsense"), 0);
	settle();
	/* 4 per minute answered, then one "too many", then silence. */
	CHECK_EQ_INT(count("wa_say", GROUP, "Unknown command"), 4);
	CHECK_EQ_INT(count("wa_say", GROUP, "Too many commands"), 1);
	CHECK_EQ_INT(count("wa_say", NULL, NULL), 5);
	for (i = 0; i < 20; i++)
		CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am zzz"), 1);
	settle();
	CHECK_EQ_INT(count("say", ROOM, "Unknown command"), 4);
	CHECK_EQ_INT(count("say", ROOM, "Too many commands"), 1);
	/* A minute later it answers again. */
	clock_ms += 61000;
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am help"), 0);
	settle();
	CHECK_EQ_INT(count("wa_say", GROUP, "Commands of the Matrix bridge"),
	    1);
	fx_close(&x);
}

static const char alone_room[] =
    "{\"state\":["
    "{\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"" MEMBER
    "\",\"content\":{\"room_version\":\"10\"}},"
    "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"" MEMBER
    "\",\"content\":{\"name\":\"Apéro\"}},"
    "{\"type\":\"m.room.join_rules\",\"state_key\":\"\",\"sender\":\""
    MEMBER "\",\"content\":{\"join_rule\":\"invite\"}},"
    "{\"type\":\"m.room.power_levels\",\"state_key\":\"\",\"sender\":\""
    MEMBER "\",\"content\":{\"users\":{\"" MEMBER "\":100,\"" CBOT_ID
    "\":100}}},"
    "{\"type\":\"m.room.member\",\"state_key\":\"" MEMBER "\",\"sender\":"
    "\"" MEMBER "\",\"content\":{\"membership\":\"join\"}},"
    "{\"type\":\"m.room.member\",\"state_key\":\"" CBOT_ID "\",\"sender\":"
    "\"" CBOT_ID "\",\"content\":{\"membership\":\"join\"}}"
    "]}";

TEST(community_method2_bridges_this_room)
{
	struct fx x;
	struct br_portal *p = NULL;
	struct br_portal_key k = { NEWGRP, "" };
	struct call *c;

	REQUIRE(fx_open(&x, NULL) == 0);
	F.room_state = alone_room;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(count("create_group", "Apéro", "nobody"), 1);
	REQUIRE(br_store_portal_get(x.db, k, &p) == 0);
	CHECK_EQ_STR(p->mxid, ROOM);
	CHECK(p->relay_login_id != NULL &&
	    strcmp(p->relay_login_id, RELAY) == 0);
	br_portal_free(p);
	/* No second room. */
	CHECK_EQ_INT(count("create", NULL, NULL), 0);
	/* The community bot raised the bridge bot, invited it; it joined
	 * and sent m.bridge. */
	c = find("state", ROOM);
	REQUIRE(c != NULL);
	CHECK_EQ_INT(count("state", ROOM, "\"" BOT_ID "\":100"), 1);
	CHECK_EQ_INT(count("invite", ROOM, CBOT_ID), 1);
	CHECK_EQ_STR(find("invite", ROOM)->b, BOT_ID);
	CHECK_EQ_INT(count("join", ROOM, NULL), 1);
	CHECK_EQ_STR(find("join", ROOM)->b, BOT_ID);
	CHECK_EQ_INT(count_b("state", ROOM, "m.bridge " BOT_ID), 1);
	CHECK_EQ_INT(count("say", ROOM,
	    "https://chat.whatsapp.com/CODE123"), 1);
	/* The creation notice of our own group: no welcome. */
	joined(&x, NEWGRP, NULL);
	settle();
	CHECK_EQ_INT(count("wa_say", NULL, NULL), 0);
	/* `!am whatsapp` again: relay back on, nothing created. */
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(count("create_group", NULL, NULL), 1);
	CHECK_EQ_INT(count("say", ROOM, "relaying is on"), 1);
	fx_close(&x);
}

static void
refused(const char *state, const char *sender, const char *expect)
{
	struct fx x;
	int failed_ = 0, *test_failed_ = &failed_;

	if (fx_open(&x, NULL) != 0)
		abort();
	F.room_state = state;
	CHECK_EQ_INT(mx_msg(&x, ROOM, sender, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(count("create_group", NULL, NULL), 0);
	CHECK_EQ_INT(count("invite", NULL, NULL), 0);
	CHECK_EQ_INT(count("state", NULL, NULL), 0);
	CHECK_EQ_INT(count("say", ROOM, expect), 1);
	CHECK_EQ_INT(count("say", NULL, NULL), 1);
	fx_close(&x);
	if (failed_)
		fprintf(stderr, "  (case expecting \"%s\")\n", expect);
	if (failed_)
		abort();
}

static char *
variant(const char *from, const char *to)
{
	const char *at = strstr(alone_room, from);
	char *s = malloc(strlen(alone_room) + strlen(to) + 1);

	if (at == NULL || s == NULL)
		abort();
	memcpy(s, alone_room, (size_t)(at - alone_room));
	strcpy(s + (at - alone_room), to);
	strcat(s, at + strlen(from));
	return s;
}

TEST(community_method2_long_room_name_cut)
{
	struct fx x;
	char *s, name[512], expect[512];
	size_t i;

	/* 120 two-byte characters: the subject keeps the first 100. */
	name[0] = '\0';
	for (i = 0; i < 120; i++)
		strcat(name, "\xc3\xa9");
	s = variant("\"name\":\"Ap\xc3\xa9ro\"", "\"name\":\"");
	{
		char *t = malloc(strlen(s) + strlen(name) + 2);
		char *at = strstr(s, "\"name\":\"") + 8;

		REQUIRE(t != NULL);
		memcpy(t, s, (size_t)(at - s));
		strcpy(t + (at - s), name);
		strcat(t, "\"");
		strcat(t, at);
		free(s);
		s = t;
	}
	REQUIRE(fx_open(&x, NULL) == 0);
	F.room_state = s;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	memcpy(expect, name, 200);
	expect[200] = '\0';
	CHECK_EQ_INT(count("create_group", expect, NULL), 1);
	fx_close(&x);
	free(s);
}

TEST(community_method2_refusals_change_nothing)
{
	char *s;

	s = variant("{\"type\":\"m.room.name\"", "{\"type\":"
	    "\"m.room.encryption\",\"state_key\":\"\",\"sender\":\"x\","
	    "\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\"}},"
	    "{\"type\":\"m.room.name\"");
	refused(s, MEMBER, "encrypted");
	free(s);
	s = variant("\"join_rule\":\"invite\"", "\"join_rule\":\"public\"");
	refused(s, MEMBER, "public");
	free(s);
	s = variant("{\"type\":\"m.room.name\"", "{\"type\":"
	    "\"m.room.member\",\"state_key\":\"@friend:t.test\",\"sender\":"
	    "\"@friend:t.test\",\"content\":{\"membership\":\"join\"}},"
	    "{\"type\":\"m.room.name\"");
	refused(s, MEMBER, "alone");
	free(s);
	s = variant("\"" MEMBER "\":100,", "\"" MEMBER "\":50,");
	refused(s, MEMBER, "power level 100");
	free(s);
	s = variant("\"" CBOT_ID "\":100", "\"" CBOT_ID "\":0");
	refused(s, MEMBER, CBOT_ID " needs admin rights");
	free(s);
	/* A stranger: refused before anything is read; so is a member the
	 * bridge blocks (bridge.permissions). */
	refused(alone_room, "@evil:elsewhere.org", "Only accounts of the "
	    "community");
	refused(alone_room, "@blocked:t.test", "Only accounts of the "
	    "community");
}

TEST(community_add_number_direct_and_invitation)
{
	struct fx x;
	char *room;

	REQUIRE(fx_open(&x, NULL) == 0);
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @libremax:t.test"), 0);
	settle();
	room = portal_room(&x, GROUP);
	REQUIRE(room != NULL);
	/* Not a portal: nothing done. */
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp +33654321234"),
	    1);
	settle();
	CHECK_EQ_INT(count("say", ROOM, "not bridged"), 1);
	CHECK_EQ_INT(count("resolve", NULL, NULL), 0);
	/* Direct add: the ghost joins the room. */
	CHECK_EQ_INT(mx_msg(&x, room, MEMBER, "!am whatsapp +33 6 54 32 12 "
	    "34"), 1);
	settle();
	CHECK_EQ_INT(count("resolve", "+33654321234", NULL), 1);
	CHECK_EQ_INT(count("members", GROUP, "add"), 1);
	CHECK_EQ_STR(find("members", GROUP)->b,
	    "33654321234@s.whatsapp.net");
	CHECK_EQ_INT(count("say", room, "+33654321234 was added"), 1);
	CHECK(count("join", room, NULL) >= 1);
	/* Refused by privacy settings: an invitation instead. */
	F.add_code = 403;
	CHECK_EQ_INT(mx_msg(&x, room, MEMBER, "!am whatsapp +33654321235"),
	    1);
	settle();
	CHECK_EQ_INT(count("invite_user", GROUP, "INVCODE"), 1);
	CHECK_EQ_INT(count("say", room, "an invitation to the group"), 1);
	/* Without the invite_user slot: a group-invite message instead. */
	net_ops.invite_user = NULL;
	CHECK_EQ_INT(mx_msg(&x, room, "@third:t.test",
	    "!am whatsapp +33654321299"), 1);
	settle();
	net_ops.invite_user = n_invite_user;
	CHECK_EQ_INT(count_b("wa_say", "33654321299@s.whatsapp.net",
	    "invite " GROUP " INVCODE"), 1);
	CHECK_EQ_INT(count("say", room, "an invitation to the group"), 2);
	/* Third add of the day for this member: refused before asking. */
	F.add_code = 0;
	CHECK_EQ_INT(mx_msg(&x, room, MEMBER, "!am whatsapp +33654321236"),
	    1);
	settle();
	CHECK_EQ_INT(count("say", room, "Too many phone numbers"), 1);
	CHECK_EQ_INT(count("resolve", NULL, NULL), 3);
	/* Not on WhatsApp (another member, who has adds left). */
	CHECK_EQ_INT(mx_msg(&x, room, "@other:t.test",
	    "!am whatsapp +9991234567"), 1);
	settle();
	CHECK_EQ_INT(count("say", room, "is not on WhatsApp"), 1);
	CHECK_EQ_INT(count("members", NULL, NULL), 3);
	/* Malformed numbers: one answer, nothing asked. */
	CHECK_EQ_INT(mx_msg(&x, room, "@other:t.test",
	    "!am whatsapp 0612345678"), 1);
	settle();
	CHECK_EQ_INT(count("say", room, "international format"), 1);
	CHECK_EQ_INT(count("resolve", NULL, NULL), 4);
	free(room);
	fx_close(&x);
}

TEST(community_reset_repairs)
{
	struct fx x;
	char *room;
	struct br_portal *p = NULL;
	struct br_portal_key k = { GROUP, "" };
	size_t joins;

	REQUIRE(fx_open(&x, NULL) == 0);
	CHECK_EQ_INT(wa_msg(&x, GROUP, "!am @libremax:t.test"), 0);
	settle();
	room = portal_room(&x, GROUP);
	REQUIRE(room != NULL);
	/* Relay lost (the host's FAQ). */
	REQUIRE(br_store_portal_get(x.db, k, &p) == 0);
	free(p->relay_login_id);
	p->relay_login_id = NULL;
	free(p->name);
	p->name = strdup("Old name");	/* the group was renamed meanwhile */
	REQUIRE(br_store_portal_update(x.db, p) == 0);
	br_portal_free(p);
	br_portals_forget(x.br->portals, k);
	CHECK(!portal_relay(&x, GROUP));
	joins = count("join", room, NULL);
	CHECK_EQ_INT(mx_msg(&x, room, MEMBER, "!am reset"), 1);
	settle();
	CHECK(portal_relay(&x, GROUP));
	CHECK_EQ_INT(count("chat_info", GROUP, NULL), 2);
	/* The bot and Bob's ghost (not our own account) joined. */
	CHECK_EQ_INT(count("join", room, NULL) - joins, 2);
	CHECK_EQ_INT(count_b("state", room, "m.bridge " BOT_ID), 1);
	CHECK_EQ_INT(count("say", room, "Bridge repaired"), 1);
	/* The group's current name into the room; the topic (none) left. */
	CHECK_EQ_INT(count("state", room, "{\"name\":\"Cafe\"}"), 1);
	CHECK_EQ_INT(count_b("state", room, "m.room.topic"), 0);
	free(room);
	fx_close(&x);
}

TEST(community_commands_consumed_and_others_pass)
{
	struct fx x;

	REQUIRE(fx_open(&x, "    language: fr\n") == 0);
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "hello"), 0);
	CHECK_EQ_INT(mx_msg(&x, ROOM, BOT_ID, "!am help"), 0);
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am aide"), 1);
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am help en"), 1);
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am @libremax:t.test"), 1);
	settle();
	CHECK_EQ_INT(count("say", ROOM, "Commandes de la communauté"), 1);
	CHECK_EQ_INT(count("say", ROOM, "Community commands"), 1);
	CHECK_EQ_INT(count("say", ROOM, "Commande inconnue"), 1);
	/* Answers come from the community bot outside portals. */
	CHECK_EQ_INT(count("say", ROOM, NULL), 3);
	CHECK_EQ_STR(find("say", ROOM)->b, CBOT_ID);
	/* No relay login: a clear answer. */
	have_login = 0;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(count("say", ROOM, "n'est pas connecté"), 1);
	CHECK_EQ_INT(count("state_list", NULL, NULL), 0);
	fx_close(&x);
}

TEST(community_answer_falls_back_to_the_bridge_bot)
{
	struct fx x;
	size_t i, from_bot = 0, from_cbot = 0;

	REQUIRE(fx_open(&x, NULL) == 0);
	/* A room with the bridge bot only (a management room). */
	F.cbot_absent = "!mgmt:t.test";
	CHECK_EQ_INT(mx_msg(&x, "!mgmt:t.test", MEMBER, "!am help"), 1);
	settle();
	for (i = 0; i < F.n; i++) {
		if (strcmp(F.v[i].op, "say") != 0 ||
		    strcmp(F.v[i].a, "!mgmt:t.test") != 0)
			continue;
		from_bot += strcmp(F.v[i].b, BOT_ID) == 0;
		from_cbot += strcmp(F.v[i].b, CBOT_ID) == 0;
	}
	CHECK_EQ_INT(from_cbot, 1);
	CHECK_EQ_INT(from_bot, 1);
	CHECK_EQ_INT(count("say", "!mgmt:t.test", "Community commands"), 2);
	fx_close(&x);
}

TEST(community_bot_invites)
{
	struct fx x;
	struct br_mx_member m;

	REQUIRE(fx_open(&x, NULL) == 0);
	memset(&m, 0, sizeof(m));
	m.room_id = ROOM;
	m.event_id = "$i";
	m.sender = MEMBER;
	m.state_key = CBOT_ID;
	m.membership = "invite";
	m.prev_membership = "";
	m.reason = "";
	m.target_is_community_bot = 1;
	CHECK_EQ_INT(x.br->hooks.mx_member(x.br->hooks.arg, &m), 1);
	settle();
	CHECK_EQ_INT(count("join", ROOM, NULL), 1);
	CHECK_EQ_STR(find("join", ROOM)->b, CBOT_ID);
	CHECK_EQ_INT(count("say", ROOM, "!am whatsapp"), 1);
	m.room_id = "!other:t.test";
	m.sender = "@evil:elsewhere.org";
	CHECK_EQ_INT(x.br->hooks.mx_member(x.br->hooks.arg, &m), 1);
	settle();
	CHECK_EQ_INT(count("join", "!other:t.test", NULL), 0);
	CHECK_EQ_INT(count("leave", "!other:t.test", NULL), 1);
	/* Other invites are the core's. */
	m.target_is_community_bot = 0;
	m.state_key = BOT_ID;
	m.target_is_bot = 1;
	CHECK_EQ_INT(x.br->hooks.mx_member(x.br->hooks.arg, &m), 0);
	fx_close(&x);
}

TEST(community_group_creation_failure_is_reported)
{
	struct fx x;

	REQUIRE(fx_open(&x, NULL) == 0);
	F.room_state = alone_room;
	F.fail_create = 1;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(count("say", ROOM, "server said no"), 1);
	CHECK_EQ_INT(br_db_room_is_portal(x.db, ROOM), 0);
	fx_close(&x);
}

TEST(community_method2_in_another_bridges_portal)
{
	struct fx x;
	char *s;

	/* A Signal portal: its bot and a ghost in the room, its m.bridge. */
	s = variant("{\"type\":\"m.room.name\"", "{\"type\":"
	    "\"m.room.member\",\"state_key\":\"@signalbot:t.test\","
	    "\"sender\":\"@signalbot:t.test\",\"content\":{\"membership\":"
	    "\"join\"}},{\"type\":\"m.room.member\",\"state_key\":"
	    "\"@signal_abc:t.test\",\"sender\":\"@signal_abc:t.test\","
	    "\"content\":{\"membership\":\"join\"}},{\"type\":\"m.bridge\","
	    "\"state_key\":\"t.test/signal\",\"sender\":\"@signalbot:t.test\","
	    "\"content\":{\"bridgebot\":\"@signalbot:t.test\"}},"
	    "{\"type\":\"m.room.name\"");
	REQUIRE(fx_open(&x, NULL) == 0);
	F.room_state = s;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(br_db_room_is_portal(x.db, ROOM), 1);
	/* Only our own m.bridge is written; theirs is never touched. */
	CHECK_EQ_INT(count_b("state", ROOM, "m.bridge"), 1);
	CHECK_EQ_INT(count("state", ROOM, "signal"), 0);
	fx_close(&x);
	free(s);
}

TEST(community_method2_wins_the_creation_race)
{
	struct fx x;
	struct br_portal_key k = { NEWGRP, "" };

	REQUIRE(fx_open(&x, NULL) == 0);
	/* The group's creation notice came first and the core made a room
	 * for it: the member's room still becomes the portal. */
	REQUIRE(br_portal_attach(x.br->portals, k, "!auto:t.test", "Apéro",
	    NULL, NULL, 0) == 0);
	F.room_state = alone_room;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(br_db_room_is_portal(x.db, ROOM), 1);
	CHECK_EQ_INT(br_db_room_is_portal(x.db, "!auto:t.test"), 0);
	CHECK_EQ_INT(count("say", ROOM, "https://chat.whatsapp.com/"), 1);
	fx_close(&x);
}

TEST(community_direct_chats_are_not_community_portals)
{
	struct fx x;
	struct br_portal_key k = { "33600000002@s.whatsapp.net", RELAY };

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_portal_attach(x.br->portals, k, "!dm:t.test", "Bob", NULL,
	    NULL, 0) == 0);
	CHECK_EQ_INT(mx_msg(&x, "!dm:t.test", MEMBER, "!am whatsapp"), 1);
	CHECK_EQ_INT(mx_msg(&x, "!dm:t.test", MEMBER,
	    "!am whatsapp +33654321234"), 1);
	CHECK_EQ_INT(mx_msg(&x, "!dm:t.test", MEMBER, "!am reset"), 1);
	settle();
	CHECK_EQ_INT(count("say", "!dm:t.test", "not bridged"), 3);
	CHECK_EQ_INT(count("create_group", NULL, NULL), 0);
	CHECK_EQ_INT(count("resolve", NULL, NULL), 0);
	{
		struct br_portal *p = NULL;

		REQUIRE(br_store_portal_get(x.db, k, &p) == 0);
		CHECK(p->relay_login_id == NULL);
		br_portal_free(p);
	}
	fx_close(&x);
}

TEST(community_relay_login_lookup_cached)
{
	struct fx x;
	int i;

	REQUIRE(fx_open(&x, NULL) == 0);
	n_lookups = 0;
	for (i = 0; i < 10; i++)
		CHECK_EQ_INT(wa_msg(&x, GROUP, "chatting"), 0);
	CHECK_EQ_INT(n_lookups, 1);
	clock_ms += 61000;
	CHECK_EQ_INT(wa_msg(&x, GROUP, "later"), 0);
	CHECK_EQ_INT(n_lookups, 2);
	/* Not found is not remembered: a login linked now is seen now. */
	have_login = 0;
	clock_ms += 61000;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	have_login = 1;
	F.room_state = alone_room;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	settle();
	CHECK_EQ_INT(count("say", ROOM, "not connected"), 1);
	CHECK_EQ_INT(count("create_group", NULL, NULL), 1);
	fx_close(&x);
}

TEST(community_quiet_when_stopping)
{
	struct fx x;
	struct call *k;
	size_t i, n;

	REQUIRE(fx_open(&x, NULL) == 0);
	F.room_state = alone_room;
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	/* Answer the Matrix side only, until the group creation waits. */
	for (i = 0; i < F.n; i++)
		if (F.v[i].pending && F.v[i].mdone != NULL)
			answer_mx(&F.v[i]);
	k = find("create_group", NULL);
	REQUIRE(k != NULL && k->pending);
	/* Shutdown: the WhatsApp side fails its pending call afterwards. */
	br_bridge_stop(x.br);
	n = F.n;
	k->pending = 0;
	k->ndone(k->arg, BR_ERR_NET_CANCELLED, NULL);
	CHECK_EQ_INT(F.n, n);		/* no Matrix call, no answer */
	CHECK_EQ_INT(br_db_room_is_portal(x.db, ROOM), 0);
	/* And commands wait for the portals to run. */
	CHECK_EQ_INT(mx_msg(&x, ROOM, MEMBER, "!am whatsapp"), 1);
	CHECK_EQ_INT(count("say", ROOM, "still starting"), 1);
	CHECK_EQ_INT(count("state_list", NULL, NULL), 1);
	fx_close(&x);
}

TEST(community_phone_days)
{
	int64_t d = 24 * 3600;

	CHECK_EQ_INT(br_community_phone_days(0, 100 * d), 0);
	CHECK_EQ_INT(br_community_phone_days(100 * d, 111 * d + 1), 0);
	CHECK_EQ_INT(br_community_phone_days(100 * d, 112 * d), 12);
	CHECK_EQ_INT(br_community_phone_days(100 * d, 99 * d), 0);
	CHECK_EQ_INT(br_community_phone_days(1, INT64_MAX), 100000);
}

static int64_t
stored_seen(struct fx *x)
{
	struct br_login *l = NULL;
	json_t *v;
	int64_t t;

	if (br_store_login_get(x->db, RELAY, &l) != 0)
		return -1;
	v = json_object_get(l->metadata, "phone_last_seen");
	t = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	br_login_free(l);
	return t;
}

TEST(community_phone_warning)
{
	struct fx x;
	struct br_net_message m;
	int64_t now = 1800000000, d = 24 * 3600;

	REQUIRE(fx_open(&x, NULL) == 0);
	REQUIRE(br_mgmt_db_set(x.db, "@admin:t.test", "!mgmt:t.test") == 0);
	/* Never seen: no warning (as upstream). */
	CHECK_EQ_INT(br_community_warn_check(x.c, now), 0);
	CHECK_EQ_INT(br_community_phone_seen(x.c, RELAY, now - 13 * d), 0);
	CHECK_EQ_INT(stored_seen(&x), now - 13 * d);
	/* Moves by an hour at least. */
	CHECK_EQ_INT(br_community_phone_seen(x.c, RELAY, now - 13 * d + 60),
	    0);
	CHECK_EQ_INT(stored_seen(&x), now - 13 * d);
	CHECK_EQ_INT(br_community_warn_check(x.c, now), 1);
	settle();
	CHECK_EQ_INT(count("say", "!mgmt:t.test", "not been seen for 13 "
	    "days"), 1);
	/* Once a day. */
	CHECK_EQ_INT(br_community_warn_check(x.c, now + 3600), 0);
	CHECK_EQ_INT(br_community_warn_check(x.c, now + d + 1), 1);
	/* Our own account writes from its phone: seen, no more warnings. */
	memset(&m, 0, sizeof(m));
	m.chat = GROUP;
	m.id = "3EB0Y";
	m.sender = RELAY "@s.whatsapp.net";
	m.from_me = 1;
	m.is_group = 1;
	m.ts_ms = (uint64_t)(now + 2 * d) * 1000;
	m.c.kind = BR_NET_KIND_TEXT;
	m.c.text = "hello from the phone";
	CHECK_EQ_INT(x.br->hooks.wa_message(x.br->hooks.arg, LOGIN(), &m), 0);
	CHECK_EQ_INT(stored_seen(&x), now + 2 * d);
	CHECK_EQ_INT(br_community_warn_check(x.c, now + 3 * d), 0);
	settle();
	CHECK_EQ_INT(count("say", "!mgmt:t.test", NULL), 2);
	fx_close(&x);
}

TEST_MAIN()
