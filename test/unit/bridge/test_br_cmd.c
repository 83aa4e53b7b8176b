/*
 * test_br_cmd.c: command recognition and parsing, gates, help, texts (en
 * and fr), and the core's event handling (bot invite, management room,
 * commands, refusals, pending states) over an in-memory Matrix side
 * (struct br_mx implemented here) and a SQLite database in /tmp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/store.h"
#include "bridge/texts.h"
#include "db/db.h"
#include "test/unit/test.h"

static char *const noenv[] = { NULL };

static const char cfg_yaml[] =
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n"
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"t.test\": user\n"
    "        \"@admin:t.test\": admin\n"
    "        \"@blocked:t.test\": block\n";

#define BOT_ID	"@whatsappbot:t.test"

/* ---- the fake Matrix side ---- */

#define FAKE_MAX 64

struct fcall {
	char		 op[24];
	char		 room[128];
	char		 msgtype[16];
	char		*body;		/* owned */
	char		*html;		/* owned */
	char		 reason[160];
	br_mx_done_fn	 done;
	void		*arg;
	int		 pending;
};

struct fake {
	struct br_mx	 mx;
	struct fcall	 calls[FAKE_MAX];
	size_t		 n;
	int		 members;	/* joined_members answer size: 2 or 3 */
};

static struct fake F;

static struct br_mx_intent *
f_bot(struct br_mx *mx)
{
	return (struct br_mx_intent *)(void *)&F;
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
rec(const char *op, const char *room, br_mx_done_fn done, void *arg)
{
	struct fcall *c;

	if (F.n >= FAKE_MAX)
		abort();
	c = &F.calls[F.n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->room, sizeof(c->room), "%s", room);
	c->done = done;
	c->arg = arg;
	c->pending = 1;
	return c;
}

static int
f_join(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	rec("join", room, done, arg);
	return 0;
}

static int
f_leave(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *reason, br_mx_done_fn done, void *arg)
{
	struct fcall *c = rec("leave", room, done, arg);

	snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
	return 0;
}

static int
f_send(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *msgtype, const char *body, const char *html,
    br_mx_done_fn done, void *arg)
{
	struct fcall *c = rec("send", room, done, arg);

	snprintf(c->msgtype, sizeof(c->msgtype), "%s", msgtype);
	c->body = strdup(body);
	c->html = html ? strdup(html) : NULL;
	return 0;
}

static int
f_members(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	rec("members", room, done, arg);
	return 0;
}

static const struct br_mx_ops fake_ops = {
	.bot = f_bot,
	.bot_id = f_bot_id,
	.is_ours = f_is_ours,
	.ensure_joined = f_join,
	.leave = f_leave,
	.send_message = f_send,
	.joined_members = f_members,
};

/* Complete every pending call (in order; completions may add calls). */
static void
pump(const char *member_a, int rc)
{
	size_t i;
	json_t *resp;

	for (i = 0; i < F.n; i++) {
		struct fcall *c = &F.calls[i];

		if (!c->pending)
			continue;
		c->pending = 0;
		if (strcmp(c->op, "members") == 0) {
			resp = json_pack("{s:{s:{}, s:{}}}", "joined", BOT_ID,
			    member_a);
			if (F.members == 3)
				json_object_set_new(json_object_get(resp,
				    "joined"), "@carol:t.test", json_object());
		} else {
			resp = json_pack("{s:s}", "event_id", "$e");
		}
		c->done(c->arg, rc, resp);
		json_decref(resp);
	}
}

static void
fake_reset(void)
{
	size_t i;

	pump("@x:t.test", BR_ERR_MX_CANCELLED);
	for (i = 0; i < F.n; i++) {
		free(F.calls[i].body);
		free(F.calls[i].html);
	}
	memset(&F, 0, sizeof(F));
	F.mx.ops = &fake_ops;
	F.members = 2;
}

/* The last send's body, or "". */
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

/* ---- fixture ---- */

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_bridge	*br;
	char			 path[64];
};

static int
fx_open(struct fx *x, const char *lang)
{
	struct br_config_opts o = { noenv };
	char err[256], uri[128], yaml[1024];
	int fd;

	memset(x, 0, sizeof(*x));
	snprintf(yaml, sizeof(yaml), "%sponton:\n    language: %s\n",
	    cfg_yaml, lang);
	if (br_config_load_mem("t.yaml", yaml, strlen(yaml), &o, &x->cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brcmd-XXXXXX");
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
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];

	fake_reset();	/* cancels what is pending, frees the ops */
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

static void
invite_bot(struct fx *x, const char *sender, const char *room)
{
	struct br_mx_member m;

	memset(&m, 0, sizeof(m));
	m.room_id = room;
	m.event_id = "$inv";
	m.sender = sender;
	m.state_key = BOT_ID;
	m.membership = "invite";
	m.prev_membership = "";
	m.reason = "";
	m.is_direct = 1;
	m.target_is_bot = 1;
	br_bridge_on_member(x->br, &m);
}

static char *
mgmt(struct fx *x, const char *mxid)
{
	char *r = NULL;

	if (br_mgmt_db_get(x->db, mxid, &r) < 0)
		return strdup("(error)");
	return r;
}

/* ---- recognition and parsing ---- */

TEST(test_br_cmd_recognise_prefix_and_management_room)
{
	char *m = NULL;
	char big[BR_CMD_MESSAGE_MAX + 2];

	CHECK(br_cmd_recognise("!wa help", "!wa", 0, &m) == 1);
	CHECK_EQ_STR(m, "help");
	free(m);
	/* Without the space, upstream's TrimPrefix keeps the prefix. */
	CHECK(br_cmd_recognise("!wahelp", "!wa", 0, &m) == 1);
	CHECK_EQ_STR(m, "!wahelp");
	free(m);
	CHECK(br_cmd_recognise("help", "!wa", 0, &m) == 0);
	CHECK(br_cmd_recognise("help", "!wa", 1, &m) == 1);
	CHECK_EQ_STR(m, "help");
	free(m);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(br_cmd_recognise(big, "!wa", 1, &m) == 0);
}

TEST(test_br_cmd_parse_lowercases_and_splits)
{
	struct br_cmd_event ce;
	char buf[600];
	size_t i, o = 0;

	memset(&ce, 0, sizeof(ce));
	br_cmd_event_parse(&ce, strdup("  HeLp  a\tb  "));
	CHECK_EQ_STR(ce.command, "help");
	CHECK_EQ_INT(ce.nargs, 2);
	CHECK_EQ_STR(ce.args[0], "a");
	CHECK_EQ_STR(ce.args[1], "b");
	CHECK(ce.cmd != NULL && strcmp(ce.cmd->name, "help") == 0);
	br_cmd_event_clear(&ce);

	br_cmd_event_parse(&ce, strdup("set-management-room x"));
	CHECK_EQ_STR(ce.raw_args, "x");
	br_cmd_event_clear(&ce);
	/* Upstream trims the lower-cased word, so "HELP x" keeps "HELP". */
	br_cmd_event_parse(&ce, strdup("HELP x"));
	CHECK_EQ_STR(ce.raw_args, "HELP x");
	br_cmd_event_clear(&ce);

	br_cmd_event_parse(&ce, strdup("   "));
	CHECK_EQ_STR(ce.command, "unknown-command");
	CHECK(ce.cmd == NULL);
	br_cmd_event_clear(&ce);

	/* More words than BR_CMD_ARGS_MAX: bounded, nothing leaks. */
	for (i = 0; i < 100; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "w%zu ", i);
	br_cmd_event_parse(&ce, strdup(buf));
	CHECK_EQ_INT(ce.nargs, BR_CMD_ARGS_MAX);
	CHECK_EQ_STR(ce.args[BR_CMD_ARGS_MAX - 1], "w32");
	br_cmd_event_clear(&ce);
}

TEST(test_br_cmd_table_names_unique_and_described)
{
	size_t i, j;

	for (i = 0; i < br_ncmds; i++) {
		CHECK(br_cmd_find(br_cmds[i].name) == &br_cmds[i]);
		CHECK(br_text(BR_LANG_EN, br_cmds[i].desc)[0] != '\0');
		for (j = i + 1; j < br_ncmds; j++)
			CHECK(strcmp(br_cmds[i].name, br_cmds[j].name) != 0);
	}
	CHECK(br_cmd_find("login") != NULL);	/* bridge/login_flow.c */
}

/* ---- gates ---- */

TEST(test_br_cmd_gates_in_upstream_order)
{
	struct br_cmd c = { "x", NULL, BR_CMD_SEC_GENERAL, BR_TXT_DESC_HELP,
	    NULL, BR_CMD_REQ_ADMIN | BR_CMD_REQ_LOGIN_PERM |
	    BR_CMD_REQ_PORTAL | BR_CMD_REQ_LOGIN, NULL };
	struct br_cmd_event ce;

	memset(&ce, 0, sizeof(ce));
	ce.perm.flags = BR_PERM_LEVEL_USER;
	CHECK_EQ_INT(br_cmd_gate(&c, &ce), BR_TXT_ADMIN_ONLY);
	ce.perm.flags = BR_PERM_LEVEL_COMMANDS | BR_PERM_ADMIN;
	CHECK_EQ_INT(br_cmd_gate(&c, &ce), BR_TXT_NO_LOGIN_PERM);
	ce.perm.flags = BR_PERM_LEVEL_ADMIN;
	CHECK_EQ_INT(br_cmd_gate(&c, &ce), BR_TXT_NEEDS_PORTAL);
	ce.in_portal = 1;
	CHECK_EQ_INT(br_cmd_gate(&c, &ce), BR_TXT_NEEDS_LOGIN);
	ce.logged_in = 1;
	CHECK_EQ_INT(br_cmd_gate(&c, &ce), BR_TXT_COUNT);
	c.gates = 0;
	ce.perm.flags = BR_PERM_LEVEL_COMMANDS;
	ce.in_portal = ce.logged_in = 0;
	CHECK_EQ_INT(br_cmd_gate(&c, &ce), BR_TXT_COUNT);
}

TEST(test_br_cmd_help_hides_admin_commands_and_sorts)
{
	static const struct br_cmd t[] = {
		{ "zeta", NULL, BR_CMD_SEC_GENERAL, BR_TXT_DESC_HELP, NULL, 0,
		    NULL },
		{ "alpha", NULL, BR_CMD_SEC_GENERAL, BR_TXT_DESC_VERSION,
		    "<login ID>", 0, NULL },
		{ "secret", NULL, BR_CMD_SEC_ADMIN, BR_TXT_DESC_CANCEL, NULL,
		    BR_CMD_REQ_ADMIN, NULL },
		{ "auth", NULL, BR_CMD_SEC_AUTH, BR_TXT_DESC_SET_MGMT, NULL,
		    BR_CMD_REQ_LOGIN_PERM, NULL },
	};
	static const char head[] = "This is your management room: "
	    "prefixing commands with `!wa` is not required.\nParameters in "
	    "[square brackets] are optional, while parameters in <angle "
	    "brackets> are required.\n\n#### General\n**alpha** <login ID> - "
	    "Get the bridge version.\n**zeta** - Show this help message.\n\n"
	    "#### Authentication\n**auth** - Mark this room as your "
	    "management room\n\n";
	struct fx x;
	struct br_cmd_event ce;
	char *h;

	REQUIRE(fx_open(&x, "en") == 0);
	memset(&ce, 0, sizeof(ce));
	ce.br = x.br;
	ce.room_id = "!r:t.test";
	ce.mgmt_room = "!r:t.test";
	ce.perm.flags = BR_PERM_LEVEL_USER;
	h = br_cmd_help_table(&ce, t, 4);
	CHECK(strncmp(h, head, strlen(head)) == 0);
	CHECK(strstr(h, "secret") == NULL);
	CHECK(strstr(h, "Administration") == NULL);
	free(h);
	ce.perm.flags = BR_PERM_LEVEL_ADMIN;
	ce.mgmt_room = NULL;
	h = br_cmd_help_table(&ce, t, 4);
	CHECK(strstr(h, "#### Administration\n**secret** - Cancel an ongoing "
	    "action.\n") != NULL);
	CHECK(strncmp(h, "This is not your management room", 32) == 0);
	free(h);
	ce.in_portal = 1;
	h = br_cmd_help_table(&ce, t, 4);
	CHECK(strncmp(h, "**This is a portal room**", 25) == 0);
	free(h);
	fx_close(&x);
}

/* ---- texts ---- */

static void
placeholders(const char *s, int *has0, int *has1)
{
	*has0 = strstr(s, "{0}") != NULL;
	*has1 = strstr(s, "{1}") != NULL;
}

TEST(test_br_cmd_texts_every_language_same_placeholders)
{
	int i, a0, a1, b0, b1;
	enum br_lang l;

	for (i = 0; i < BR_TXT_COUNT; i++) {
		placeholders(br_text(BR_LANG_EN, (enum br_text_id)i), &a0, &a1);
		CHECK(br_text(BR_LANG_EN, (enum br_text_id)i)[0] != '\0');
		CHECK(br_text(BR_LANG_FR, (enum br_text_id)i)[0] != '\0');
		placeholders(br_text(BR_LANG_FR, (enum br_text_id)i), &b0, &b1);
		CHECK(a0 == b0 && a1 == b1);
	}
	CHECK(br_lang_parse("fr", &l) == 0 && l == BR_LANG_FR);
	CHECK(br_lang_parse("en", &l) == 0 && l == BR_LANG_EN);
	CHECK(br_lang_parse("de", &l) < 0);
	CHECK(br_lang_parse("", &l) < 0);
}

TEST(test_br_cmd_texts_fill_and_markdown)
{
	char *t;

	t = br_text_fmt(BR_LANG_EN, BR_TXT_WELCOME_EXISTING, "!wa", NULL);
	CHECK_EQ_STR(t, "Hello, I'm a WhatsApp bridge bot.\n\nUse `!wa help` "
	    "for help.");
	free(t);
	/* An argument is inserted as is, never interpreted. */
	t = br_text_fmt(BR_LANG_FR, BR_TXT_CANCELLED, "%s{1}%n", "z");
	CHECK_EQ_STR(t, "%s{1}%n : annulé.");
	free(t);
	t = br_text_md_html("Hello <b>&\n\nUse `a<b` or **bold `c`**\n"
	    "#### Sec\n**x** - y\n**z**");
	CHECK_EQ_STR(t, "<p>Hello &lt;b&gt;&amp;</p>\n<p>Use <code>a&lt;b"
	    "</code> or <strong>bold <code>c</code></strong></p>\n<h4>Sec</h4>"
	    "\n<p><strong>x</strong> - y<br>\n<strong>z</strong></p>");
	free(t);
	t = br_text_md_html("unclosed `tick and **star");
	CHECK_EQ_STR(t, "<p>unclosed `tick and **star</p>");
	free(t);
	t = br_text_md_html("");
	CHECK_EQ_STR(t, "");
	free(t);
}

/* ---- the core over the fake Matrix side ---- */

TEST(test_br_cmd_bot_invite_makes_management_room)
{
	struct fx x;
	char *r;

	REQUIRE(fx_open(&x, "en") == 0);
	invite_bot(&x, "@alice:t.test", "!dm:t.test");
	CHECK_EQ_INT(count("join"), 1);
	pump("@alice:t.test", 0);	/* join -> members */
	CHECK_EQ_INT(count("members"), 1);
	pump("@alice:t.test", 0);	/* members -> welcome */
	CHECK_EQ_STR(last_body(), br_text(BR_LANG_EN, BR_TXT_WELCOME_NEW));
	CHECK_EQ_STR(F.calls[F.n - 1].msgtype, "m.text");
	CHECK(F.calls[F.n - 1].html != NULL &&
	    strstr(F.calls[F.n - 1].html, "<code>login</code>") != NULL);
	r = mgmt(&x, "@alice:t.test");
	CHECK(r != NULL && strcmp(r, "!dm:t.test") == 0);
	free(r);

	/* A second room: the short welcome, the first room stays. */
	invite_bot(&x, "@alice:t.test", "!dm2:t.test");
	pump("@alice:t.test", 0);
	pump("@alice:t.test", 0);
	CHECK_EQ_STR(last_body(), "Hello, I'm a WhatsApp bridge bot.\n\nUse "
	    "`!wa help` for help.");
	r = mgmt(&x, "@alice:t.test");
	CHECK(r != NULL && strcmp(r, "!dm:t.test") == 0);
	free(r);

	/* Three members: joined, but no welcome. */
	F.members = 3;
	invite_bot(&x, "@bob:t.test", "!group:t.test");
	pump("@bob:t.test", 0);
	pump("@bob:t.test", 0);
	CHECK(mgmt(&x, "@bob:t.test") == NULL);
	CHECK_EQ_INT(count("send"), 2);
	fx_close(&x);
}

TEST(test_br_cmd_invites_without_permission_rejected)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	invite_bot(&x, "@blocked:t.test", "!a:t.test");
	CHECK_EQ_INT(count("leave"), 1);
	CHECK_EQ_STR(F.calls[0].reason, "You don't have permission to "
	    "interact with this bridge");
	invite_bot(&x, "@stranger:other.test", "!b:t.test");	/* relay */
	CHECK_EQ_INT(count("leave"), 2);
	CHECK_EQ_STR(F.calls[1].reason, "You don't have permission to send "
	    "commands to this bridge");
	CHECK_EQ_INT(count("join"), 0);
	pump("@x:t.test", 0);
	fx_close(&x);

	REQUIRE(fx_open(&x, "fr") == 0);
	invite_bot(&x, "@blocked:t.test", "!a:t.test");
	CHECK_EQ_STR(F.calls[0].reason, "Vous n'avez pas la permission "
	    "d'utiliser cette passerelle");
	fx_close(&x);
}

TEST(test_br_cmd_commands_and_permissions)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	REQUIRE(br_mgmt_db_set(x.db, "@alice:t.test", "!m:t.test") == 0);
	say(&x, "@alice:t.test", "!m:t.test", "help");
	CHECK_EQ_INT(count("send"), 1);
	CHECK(strncmp(last_body(), "This is your management room", 28) == 0);
	CHECK_EQ_STR(F.calls[F.n - 1].msgtype, "m.notice");
	say(&x, "@alice:t.test", "!other:t.test", "help");	/* no prefix */
	CHECK_EQ_INT(count("send"), 1);
	say(&x, "@alice:t.test", "!other:t.test", "!wa help");
	CHECK(strncmp(last_body(), "This is not your management room", 32) ==
	    0);
	say(&x, "@alice:t.test", "!m:t.test", "Frobnicate");
	CHECK_EQ_STR(last_body(), "Unknown command, use the `help` command "
	    "for help.");
	say(&x, "@alice:t.test", "!m:t.test", "!wa version");
	CHECK(strncmp(last_body(), "ponton ", 7) == 0);
	/* A reply's fallback is removed before recognition. */
	{
		struct br_mx_message m;

		memset(&m, 0, sizeof(m));
		m.room_id = "!other:t.test";
		m.sender = "@alice:t.test";
		m.body = "> <@bob:t.test> hi\n> there\n\n!wa cancel";
		m.reply_to = "$orig";
		br_bridge_on_message(x.br, &m);
		CHECK_EQ_STR(last_body(), "No ongoing command.");
	}
	CHECK_EQ_INT(count("send"), 5);
	/* No commands permission, echoes, blocked users: nothing. */
	say(&x, "@stranger:other.test", "!m:t.test", "!wa help");
	say(&x, BOT_ID, "!m:t.test", "!wa help");
	say(&x, "@whatsapp_123:t.test", "!m:t.test", "!wa help");
	say(&x, "@blocked:t.test", "!m:t.test", "!wa help");
	CHECK_EQ_INT(count("send"), 5);
	CHECK_EQ_INT((int)x.br->n_commands, 5);
	fx_close(&x);
}

static int cancelled;
static char got[64];

static void
st_next(struct br_cmd_event *ce, void *arg)
{
	snprintf(got, sizeof(got), "%s|%s", ce->message, (const char *)arg);
}

static void
st_cancel(void *arg)
{
	cancelled++;
}

TEST(test_br_cmd_pending_state_and_cancel)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	REQUIRE(br_mgmt_db_set(x.db, "@alice:t.test", "!m:t.test") == 0);
	cancelled = 0;
	br_cmd_state_set(x.br, "@alice:t.test", "Login", st_next, st_cancel,
	    "arg");
	say(&x, "@alice:t.test", "!m:t.test", "+33 6 12");
	CHECK_EQ_STR(got, "+33 6 12|arg");
	CHECK_EQ_INT(count("send"), 0);
	/* The state was consumed: now an unknown command. */
	say(&x, "@alice:t.test", "!m:t.test", "+33 6 12");
	CHECK_EQ_STR(last_body(), "Unknown command, use the `help` command "
	    "for help.");
	br_cmd_state_set(x.br, "@alice:t.test", "Login", st_next, st_cancel,
	    "arg");
	say(&x, "@alice:t.test", "!m:t.test", "cancel");
	CHECK_EQ_STR(last_body(), "Login cancelled.");
	CHECK_EQ_INT(cancelled, 1);
	br_cmd_state_set(x.br, "@alice:t.test", "", NULL, NULL, NULL);
	say(&x, "@alice:t.test", "!m:t.test", "cancel");
	CHECK_EQ_STR(last_body(), "Unknown action cancelled.");
	/* A state left at shutdown is cancelled by br_bridge_free. */
	br_cmd_state_set(x.br, "@bob:t.test", "Login", st_next, st_cancel,
	    "arg");
	fx_close(&x);
	CHECK_EQ_INT(cancelled, 2);
}

TEST(test_br_cmd_set_management_room_and_leave)
{
	struct fx x;
	struct br_mx_member m;
	char *r;

	REQUIRE(fx_open(&x, "en") == 0);
	F.members = 3;
	say(&x, "@alice:t.test", "!g:t.test", "!wa set-management-room");
	pump("@alice:t.test", 0);
	CHECK_EQ_STR(last_body(), "Your management room must not have any "
	    "members other than you and the bridge bot");
	CHECK(mgmt(&x, "@alice:t.test") == NULL);
	F.members = 2;
	say(&x, "@alice:t.test", "!d:t.test", "!wa set-management-room");
	pump("@alice:t.test", 0);
	CHECK_EQ_STR(last_body(), "Management room updated");
	r = mgmt(&x, "@alice:t.test");
	CHECK(r != NULL && strcmp(r, "!d:t.test") == 0);
	free(r);
	/* The members call failing. */
	say(&x, "@alice:t.test", "!e:t.test", "!wa set-management-room");
	pump("@alice:t.test", BR_ERR_MX_FAILED);
	CHECK_EQ_STR(last_body(), "Failed to get room members");

	/* Someone else leaving does not clear it; alice leaving does. */
	memset(&m, 0, sizeof(m));
	m.room_id = "!d:t.test";
	m.sender = "@alice:t.test";
	m.state_key = "@carol:t.test";
	m.membership = "leave";
	m.reason = m.prev_membership = "";
	br_bridge_on_member(x.br, &m);
	r = mgmt(&x, "@alice:t.test");
	CHECK(r != NULL);
	free(r);
	m.state_key = "@alice:t.test";
	br_bridge_on_member(x.br, &m);
	CHECK(mgmt(&x, "@alice:t.test") == NULL);
	fx_close(&x);
}

static int
user_rows(struct fx *x, const char *mxid)
{
	struct db_stmt *st = NULL;
	int n = -1;

	if (db_prepare(x->db, "SELECT count(*) FROM \"user\" WHERE "
	    "bridge_id='' AND mxid=$1", &st) == 0 &&
	    db_bind_text(st, 1, mxid) == 0 && db_step(st) == DB_ROW)
		n = (int)db_column_int64(st, 0);
	db_stmt_free(st);
	return n;
}

TEST(test_br_cmd_every_sender_gets_a_user_row)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	CHECK_EQ_INT(user_rows(&x, "@new:t.test"), 0);
	say(&x, "@new:t.test", "!r:t.test", "just chatting");
	CHECK_EQ_INT(user_rows(&x, "@new:t.test"), 1);
	say(&x, "@new:t.test", "!r:t.test", "again");
	CHECK_EQ_INT(user_rows(&x, "@new:t.test"), 1);
	/* Blocked users too (upstream loads the sender first), but never
	 * our own bot or ghosts. */
	say(&x, "@blocked:t.test", "!r:t.test", "hi");
	CHECK_EQ_INT(user_rows(&x, "@blocked:t.test"), 1);
	say(&x, BOT_ID, "!r:t.test", "hi");
	CHECK_EQ_INT(user_rows(&x, BOT_ID), 0);
	invite_bot(&x, "@inviter:t.test", "!i:t.test");
	CHECK_EQ_INT(user_rows(&x, "@inviter:t.test"), 1);
	CHECK(mgmt(&x, "@new:t.test") == NULL);
	fx_close(&x);
}

TEST(test_br_cmd_help_in_portal_room)
{
	struct fx x;
	struct br_portal p;

	REQUIRE(fx_open(&x, "en") == 0);
	memset(&p, 0, sizeof(p));
	p.id = "120363000000000001@g.us";
	p.receiver = "";
	p.mxid = "!portal:t.test";
	p.parent_receiver = "";
	p.name = p.topic = p.avatar_id = p.avatar_hash = p.avatar_mxc = "";
	p.room_type = "";
	REQUIRE(br_store_portal_insert(x.db, &p) == 0);
	CHECK_EQ_INT(br_db_room_is_portal(x.db, "!portal:t.test"), 1);
	CHECK_EQ_INT(br_db_room_is_portal(x.db, "!other:t.test"), 0);
	CHECK_EQ_INT(br_db_user_has_login(x.db, "@alice:t.test"), 0);
	say(&x, "@alice:t.test", "!portal:t.test", "!wa help");
	CHECK(strncmp(last_body(), "**This is a portal room**: you must "
	    "always prefix commands with `!wa`.", 60) == 0);
	fx_close(&x);
}

TEST(test_br_cmd_french_replies)
{
	struct fx x;

	REQUIRE(fx_open(&x, "fr") == 0);
	REQUIRE(br_mgmt_db_set(x.db, "@alice:t.test", "!m:t.test") == 0);
	say(&x, "@alice:t.test", "!m:t.test", "help");
	CHECK(strstr(last_body(), "Ceci est votre salon de gestion") != NULL);
	CHECK(strstr(last_body(), "#### Général\n") != NULL);
	say(&x, "@alice:t.test", "!m:t.test", "nope");
	CHECK_EQ_STR(last_body(), "Commande inconnue, utilisez la commande "
	    "`help` pour l'aide.");
	invite_bot(&x, "@bob:t.test", "!b:t.test");
	pump("@bob:t.test", 0);
	pump("@bob:t.test", 0);
	CHECK_EQ_STR(last_body(), br_text(BR_LANG_FR, BR_TXT_WELCOME_NEW));
	fx_close(&x);
}

TEST(test_br_cmd_shutdown_cancels_pending_steps)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	invite_bot(&x, "@alice:t.test", "!dm:t.test");
	say(&x, "@alice:t.test", "!x:t.test", "!wa help");
	CHECK_EQ_INT(F.n, 2);
	/* Shutdown completes the join and the send with CANCELLED: no
	 * members query or welcome follows, and the ops are freed (ASan
	 * reports a leak otherwise). */
	pump("@alice:t.test", BR_ERR_MX_CANCELLED);
	CHECK_EQ_INT(F.n, 2);
	CHECK_EQ_INT(count("members"), 0);
	fx_close(&x);
}

TEST_MAIN()
