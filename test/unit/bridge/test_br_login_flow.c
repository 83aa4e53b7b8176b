/*
 * Tests for bridge/login_flow.c over an in-memory network side and an
 * in-memory Matrix side: `login` flow choice and its replies, the QR
 * image (PNG upload named qr.png, m.image with the QR text, later codes
 * as m.replace edits of the first, only the newest code sent while an
 * upload is in flight, redacted at the end), "Successfully logged in as
 * +<number>", the phone flow's pending state (bad numbers asked again,
 * the pairing code as code), `cancel`, an ongoing login refused,
 * list-logins and logout (own logins only), French texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/config.h"
#include "bridge/login_flow.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "db/db.h"
#include "test/unit/test.h"
#include "util/mem.h"

static char *const noenv[] = { NULL };

#define BOT_ID	"@whatsappbot:t.test"
#define ALICE	"@alice:t.test"
#define MGMT	"!mgmt:t.test"

/* ---- in-memory Matrix side ---- */

#define MXF_MAX 64

struct mcall {
	char		 op[16];
	char		*body;		/* owned: notice body */
	json_t		*content;	/* ref: send_event content */
	char		 ctype[32], fname[32];
	size_t		 len;
	int		 png;		/* data starts with the PNG magic */
	char		 redacts[64];
	br_mx_done_fn	 done;
	void		*arg;
	int		 pending;
};

static struct {
	struct br_mx	mx;
	struct mcall	c[MXF_MAX];
	size_t		n;
	int		seq;
} M;

static struct br_mx_intent *
m_bot(struct br_mx *mx)
{
	return (struct br_mx_intent *)(void *)&M;
}

static struct mcall *
m_rec(const char *op, br_mx_done_fn done, void *arg)
{
	struct mcall *c;

	if (M.n >= MXF_MAX)
		abort();
	c = &M.c[M.n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	c->done = done;
	c->arg = arg;
	c->pending = 1;
	return c;
}

static int
m_send(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *msgtype, const char *body, const char *html,
    br_mx_done_fn done, void *arg)
{
	m_rec("notice", done, arg)->body = strdup(body);
	return 0;
}

static int
m_send_event(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, json_t *content, uint64_t ts, br_mx_done_fn done,
    void *arg)
{
	m_rec("event", done, arg)->content = json_deep_copy(content);
	return 0;
}

static int
m_upload(struct br_mx *mx, struct br_mx_intent *in, const void *data,
    size_t len, const char *ctype, const char *fname, br_mx_done_fn done,
    void *arg)
{
	struct mcall *c = m_rec("upload", done, arg);

	snprintf(c->ctype, sizeof(c->ctype), "%s", ctype);
	snprintf(c->fname, sizeof(c->fname), "%s", fname);
	c->len = len;
	c->png = len > 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0;
	return 0;
}

static int
m_redact(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *ev, const char *reason, br_mx_done_fn done, void *arg)
{
	snprintf(m_rec("redact", done, arg)->redacts, 64, "%s", ev);
	return 0;
}

static const struct br_mx_ops m_ops = {
	.bot = m_bot,
	.send_message = m_send,
	.send_event = m_send_event,
	.upload = m_upload,
	.redact = m_redact,
};

/* Complete pending calls in order (completions may add calls). */
static void
m_pump(int rc)
{
	size_t i;

	for (i = 0; i < M.n; i++) {
		struct mcall *c = &M.c[i];
		json_t *resp;

		if (!c->pending)
			continue;
		c->pending = 0;
		if (strcmp(c->op, "upload") == 0)
			resp = json_pack("{s:s}", "content_uri",
			    "mxc://t.test/qr");
		else {
			char ev[32];

			snprintf(ev, sizeof(ev), "$ev%d", ++M.seq);
			resp = json_pack("{s:s}", "event_id", ev);
		}
		c->done(c->arg, rc, resp);
		json_decref(resp);
	}
}

static void
m_reset(void)
{
	size_t i;

	m_pump(BR_ERR_MX_CANCELLED);
	for (i = 0; i < M.n; i++) {
		free(M.c[i].body);
		json_decref(M.c[i].content);
	}
	memset(&M, 0, sizeof(M));
	M.mx.ops = &m_ops;
}

static size_t
m_count(const char *op)
{
	size_t i, n = 0;

	for (i = 0; i < M.n; i++)
		n += strcmp(M.c[i].op, op) == 0;
	return n;
}

/* The i-th (0-based) call of op, or NULL. */
static struct mcall *
m_nth(const char *op, size_t k)
{
	size_t i;

	for (i = 0; i < M.n; i++)
		if (strcmp(M.c[i].op, op) == 0 && k-- == 0)
			return &M.c[i];
	return NULL;
}

static const char *
last_notice(void)
{
	size_t i = M.n;

	while (i-- > 0)
		if (strcmp(M.c[i].op, "notice") == 0)
			return M.c[i].body;
	return "";
}

static int
any_notice(const char *needle)
{
	size_t i;

	for (i = 0; i < M.n; i++)
		if (strcmp(M.c[i].op, "notice") == 0 &&
		    strstr(M.c[i].body, needle) != NULL)
			return 1;
	return 0;
}

/* ---- in-memory network side ---- */

struct br_net_login {
	struct br_net_login_info info;
};

struct br_net_flow {
	int	 unused;
};

static struct {
	struct br_net		 net;
	struct br_net_flow	 flow;
	const struct br_net_flow_cbs *cbs;
	void			*arg;
	int			 started, cancelled, logouts;
	enum br_net_flow_type	 type;
	char			 phone[32];
	struct br_net_login	 logins[4];
	size_t			 nlogins;
} N;

static int
n_flow_start(struct br_net *n, const char *mxid, enum br_net_flow_type t,
    const char *phone, const struct br_net_flow_cbs *cbs, void *arg,
    struct br_net_flow **out)
{
	char d[BR_NET_PHONE_MAX + 1];
	int r;

	if (t == BR_NET_FLOW_PHONE && (r = br_net_phone_clean(phone, d)) != 0)
		return r;
	N.started++;
	N.type = t;
	snprintf(N.phone, sizeof(N.phone), "%s", phone ? phone : "");
	N.cbs = cbs;
	N.arg = arg;
	*out = &N.flow;
	return 0;
}

static void
n_flow_cancel(struct br_net_flow *f)
{
	N.cancelled++;
	N.cbs = NULL;
}

static struct br_net_login *
n_login_get(struct br_net *n, const char *id)
{
	size_t i;

	for (i = 0; i < N.nlogins; i++)
		if (strcmp(N.logins[i].info.id, id) == 0)
			return &N.logins[i];
	return NULL;
}

static size_t
n_logins_of(struct br_net *n, const char *mxid, struct br_net_login **v,
    size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < N.nlogins && k < max; i++)
		if (strcmp(N.logins[i].info.user_mxid, mxid) == 0)
			v[k++] = &N.logins[i];
	return k;
}

static int
n_logout(struct br_net_login *l)
{
	N.logouts++;
	return 0;
}

static const struct br_net_login_info *
n_info(const struct br_net_login *l)
{
	return &l->info;
}

static const struct br_net_ops n_ops = {
	.name = "fake",
	.login_get = n_login_get,
	.logins_of = n_logins_of,
	.flow_start = n_flow_start,
	.flow_cancel = n_flow_cancel,
	.logout = n_logout,
	.info = n_info,
};

static void
n_reset(void)
{
	memset(&N, 0, sizeof(N));
	N.net.ops = &n_ops;
}

static void
n_add(const char *id, const char *mxid, const char *name,
    enum br_net_state_event ev)
{
	struct br_net_login *l = &N.logins[N.nlogins++];

	l->info.id = id;
	l->info.user_mxid = mxid;
	l->info.remote_name = name;
	l->info.state.event = ev;
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
	char err[256], yaml[512];
	int fd;

	memset(x, 0, sizeof(*x));
	snprintf(yaml, sizeof(yaml),
	    "homeserver:\n    address: http://127.0.0.1:1\n"
	    "    domain: t.test\n"
	    "bridge:\n    permissions:\n        \"t.test\": user\n"
	    "ponton:\n    language: %s\n", lang);
	if (br_config_load_mem("t.yaml", yaml, strlen(yaml), &o, &x->cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brlogin-XXXXXX");
	if ((fd = mkstemp(x->path)) < 0)
		return -1;
	close(fd);
	if (db_open(&x->db, "sqlite3-fk-wal", x->path, NULL) < 0 ||
	    db_upgrade(x->db) < 0)
		return -1;
	m_reset();
	n_reset();
	x->br = br_bridge_new(x->cfg, x->db);
	br_bridge_set_mx(x->br, &M.mx);
	br_login_attach(&N.net);
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];

	br_login_attach(NULL);
	m_reset();
	br_bridge_free(x->br);
	db_close(x->db);
	br_config_free(x->cfg);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

/* A command from sender in room (the management room unless said). */
static void
cmd(struct fx *x, const char *room, const char *text,
    void (*fn)(struct br_cmd_event *))
{
	struct br_cmd_event ce;

	memset(&ce, 0, sizeof(ce));
	ce.br = x->br;
	ce.room_id = room;
	ce.event_id = "$cmd";
	ce.sender = ALICE;
	ce.mgmt_room = MGMT;
	br_cmd_event_parse(&ce, u_strdup(text));
	if (fn != NULL)
		fn(&ce);
	else
		br_cmd_run(&ce);
	br_cmd_event_clear(&ce);
}

static const char *
jstr(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_string_value(v) ? json_string_value(v) : "";
}

TEST(test_br_login_flow_choice)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	cmd(&x, MGMT, "login", br_cmd_login);
	CHECK(strncmp(last_notice(), "Please specify a login flow, e.g. "
	    "`login qr`.\n\n* `qr` - Scan a QR code", 60) == 0);
	cmd(&x, MGMT, "login sms", br_cmd_login);
	CHECK(strncmp(last_notice(), "Invalid login flow `sms`. Available "
	    "options:\n\n* `qr`", 46) == 0);
	CHECK_EQ_INT(N.started, 0);
	fx_close(&x);
}

TEST(test_br_login_qr_image_edits_and_success)
{
	struct fx x;
	struct br_net_login l = { { "33655500001", ALICE, "+33655500001",
	    { BR_NET_CONNECTED, NULL, NULL } } };
	struct mcall *c;
	json_t *ct;

	REQUIRE(fx_open(&x, "en") == 0);
	cmd(&x, MGMT, "login QR", br_cmd_login);
	REQUIRE(N.started == 1 && N.type == BR_NET_FLOW_QR);
	CHECK_EQ_STR(last_notice(),
	    "Scan the QR code with the WhatsApp mobile app to log in");
	/* In the management room: no warning. */
	CHECK(!any_notice("not your management room"));

	N.cbs->on_qr(N.arg, "2@ref1,noise,ident,adv,1");
	REQUIRE(m_count("upload") == 1);
	c = m_nth("upload", 0);
	CHECK(c->png && c->len > 100);
	CHECK_EQ_STR(c->ctype, "image/png");
	CHECK_EQ_STR(c->fname, "qr.png");
	m_pump(0);
	REQUIRE(m_count("event") == 1);
	ct = m_nth("event", 0)->content;
	CHECK_EQ_STR(jstr(ct, "msgtype", NULL), "m.image");
	CHECK_EQ_STR(jstr(ct, "filename", NULL), "qr.png");
	CHECK_EQ_STR(jstr(ct, "url", NULL), "mxc://t.test/qr");
	CHECK_EQ_STR(jstr(ct, "body", NULL), "2@ref1,noise,ident,adv,1");
	CHECK_EQ_STR(jstr(ct, "formatted_body", NULL),
	    "<pre><code>2@ref1,noise,ident,adv,1</code></pre>");
	CHECK_EQ_STR(jstr(ct, "info", "mimetype"), "image/png");
	{
		json_t *info = json_object_get(ct, "info");
		json_int_t w = json_integer_value(json_object_get(info, "w"));

		CHECK(w > 200 && w <= 512);
		CHECK_EQ_INT(json_integer_value(json_object_get(info, "h")), w);
		CHECK_EQ_INT(json_integer_value(json_object_get(info, "size")),
		    c->len);
	}
	CHECK(json_object_get(ct, "m.relates_to") == NULL);
	m_pump(0);	/* $ev1 was the notice, $ev2 the QR */

	/* Rotation: an edit of the first event. */
	N.cbs->on_qr(N.arg, "2@ref2,noise,ident,adv,1");
	m_pump(0);
	m_pump(0);
	REQUIRE(m_count("event") == 2);
	ct = m_nth("event", 1)->content;
	CHECK_EQ_STR(jstr(ct, "m.relates_to", "rel_type"), "m.replace");
	CHECK_EQ_STR(jstr(ct, "m.relates_to", "event_id"), "$ev2");
	CHECK_EQ_STR(jstr(ct, "m.new_content", "body"),
	    "2@ref2,noise,ident,adv,1");
	CHECK_EQ_STR(jstr(ct, "body", NULL), "* 2@ref2,noise,ident,adv,1");

	/* Two codes while an upload is in flight: only the newest goes. */
	N.cbs->on_qr(N.arg, "2@ref3,noise,ident,adv,1");
	N.cbs->on_qr(N.arg, "2@ref4,noise,ident,adv,1");
	N.cbs->on_qr(N.arg, "2@ref5,noise,ident,adv,1");
	m_pump(0);
	m_pump(0);
	m_pump(0);
	CHECK_EQ_INT(m_count("upload"), 4);
	REQUIRE(m_count("event") == 4);
	CHECK_EQ_STR(jstr(m_nth("event", 3)->content, "m.new_content",
	    "body"), "2@ref5,noise,ident,adv,1");

	/* Chatter while the code is shown: unknown command, still waiting. */
	cmd(&x, MGMT, "hello there", NULL);
	CHECK_EQ_STR(last_notice(), br_text(BR_LANG_EN,
	    BR_TXT_UNKNOWN_COMMAND));
	REQUIRE(x.br->states != NULL);
	CHECK_EQ_STR(x.br->states->action, "Login");
	CHECK_EQ_INT(N.cancelled, 0);

	/* Success: the QR is redacted, upstream's text, state gone. */
	N.cbs->on_success(N.arg, &l);
	REQUIRE(m_count("redact") == 1);
	CHECK_EQ_STR(m_nth("redact", 0)->redacts, "$ev2");
	CHECK_EQ_STR(last_notice(), "Successfully logged in as +33655500001");
	CHECK(x.br->states == NULL);
	m_pump(0);
	fx_close(&x);
}

TEST(test_br_login_qr_ends_while_uploading)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	cmd(&x, "!other:t.test", "login qr", br_cmd_login);
	CHECK(any_notice("This is not your management room. Entering login "
	    "info must be prefixed with `!wa` like other commands."));
	N.cbs->on_qr(N.arg, "2@a,b,c,d,1");
	N.cbs->on_failure(N.arg, BR_ERR_NET_TIMEOUT, "QR codes ran out");
	CHECK_EQ_STR(last_notice(), "Login failed: Entering code or scanning "
	    "QR timed out. Please try again.");
	/* The upload completes after the end: no send, nothing leaks. */
	m_pump(0);
	m_pump(0);
	CHECK_EQ_INT(m_count("event"), 0);
	CHECK(x.br->states == NULL);

	/* `cancel` after a QR was shown redacts it. */
	cmd(&x, MGMT, "login qr", br_cmd_login);
	N.cbs->on_qr(N.arg, "2@b,b,c,d,1");
	m_pump(0);
	m_pump(0);
	REQUIRE(m_count("event") == 1);
	cmd(&x, MGMT, "cancel", NULL);
	CHECK_EQ_INT(N.cancelled, 1);
	REQUIRE(m_count("redact") == 1);
	CHECK(m_nth("redact", 0)->redacts[0] == '$');
	CHECK_EQ_STR(last_notice(), "Login cancelled.");
	/* Cancelled while the upload is in flight: nothing is sent. */
	cmd(&x, MGMT, "login qr", br_cmd_login);
	N.cbs->on_qr(N.arg, "2@c,b,c,d,1");
	cmd(&x, MGMT, "cancel", NULL);
	m_pump(0);
	m_pump(0);
	CHECK_EQ_INT(m_count("event"), 1);
	CHECK_EQ_INT(N.cancelled, 2);
	fx_close(&x);
}

TEST(test_br_login_phone_state_code_and_cancel)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	cmd(&x, MGMT, "login phone", br_cmd_login);
	CHECK_EQ_STR(last_notice(), "Please enter your Phone number\nYour "
	    "WhatsApp phone number in international format");
	CHECK_EQ_INT(N.started, 0);
	REQUIRE(x.br->states != NULL);
	CHECK_EQ_STR(x.br->states->action, "Login");
	/* Not a command: the pending step gets it. */
	cmd(&x, MGMT, "0612345678", NULL);
	CHECK_EQ_STR(last_notice(), "Invalid value: Phone number must be in "
	    "international format");
	CHECK_EQ_INT(N.started, 0);
	/* A second login while this one waits is refused. */
	cmd(&x, MGMT, "login qr", br_cmd_login);
	CHECK_EQ_STR(last_notice(), "You already have an ongoing login. You "
	    "can use `!wa cancel` to cancel it.");
	cmd(&x, MGMT, "+33 6 55 50 00 02", NULL);
	REQUIRE(N.started == 1);
	CHECK(N.type == BR_NET_FLOW_PHONE);
	CHECK_EQ_STR(N.phone, "+33 6 55 50 00 02");
	N.cbs->on_code(N.arg, "ABCD-EFGH");
	CHECK(any_notice("Input the pairing code in the WhatsApp mobile app "
	    "to log in"));
	CHECK_EQ_STR(last_notice(), "`ABCD-EFGH`");
	/* cancel (a real command of the table) cancels the flow. */
	cmd(&x, MGMT, "cancel", NULL);
	CHECK_EQ_INT(N.cancelled, 1);
	CHECK_EQ_STR(last_notice(), "Login cancelled.");
	CHECK(x.br->states == NULL);
	/* The number given with the command. */
	cmd(&x, MGMT, "login phone +33655500003", br_cmd_login);
	CHECK_EQ_INT(N.started, 2);
	CHECK_EQ_STR(N.phone, "+33655500003");
	fx_close(&x);
	/* Detaching cancelled the flow in progress. */
	CHECK_EQ_INT(N.cancelled, 1 + 1);
}

TEST(test_br_login_list_and_logout)
{
	struct fx x;

	REQUIRE(fx_open(&x, "en") == 0);
	cmd(&x, MGMT, "list-logins", br_cmd_list_logins);
	CHECK_EQ_STR(last_notice(), "You're not logged in");
	n_add("33655500001", ALICE, "+33655500001", BR_NET_CONNECTED);
	n_add("33655500002", ALICE, "+33655500002", BR_NET_BAD_CREDENTIALS);
	n_add("447700900123", "@bob:t.test", "+447700900123",
	    BR_NET_CONNECTED);
	cmd(&x, MGMT, "list-logins", br_cmd_list_logins);
	CHECK_EQ_STR(last_notice(),
	    "* `33655500001` (+33655500001) - `CONNECTED`\n"
	    "* `33655500002` (+33655500002) - `BAD_CREDENTIALS`");
	cmd(&x, MGMT, "logout", br_cmd_logout);
	CHECK(strncmp(last_notice(), "Usage: `!wa logout <login ID>`\n\n"
	    "Your logins:\n\n* `33655500001`", 60) == 0);
	cmd(&x, MGMT, "logout 447700900123", br_cmd_logout);
	CHECK_EQ_STR(last_notice(), "Login `447700900123` not found");
	cmd(&x, MGMT, "logout 999", br_cmd_logout);
	CHECK_EQ_STR(last_notice(), "Login `999` not found");
	CHECK_EQ_INT(N.logouts, 0);
	cmd(&x, MGMT, "logout 33655500002", br_cmd_logout);
	CHECK_EQ_INT(N.logouts, 1);
	CHECK_EQ_STR(last_notice(), "Logged out");
	fx_close(&x);
}

TEST(test_br_login_relogin)
{
	struct fx x;
	struct br_net_login other = { { "33655500009", ALICE, "+33655500009",
	    { BR_NET_CONNECTED, NULL, NULL } } };

	REQUIRE(fx_open(&x, "en") == 0);
	n_add("33655500001", ALICE, "+33655500001", BR_NET_BAD_CREDENTIALS);
	n_add("447700900123", "@bob:t.test", "+447700900123",
	    BR_NET_CONNECTED);
	cmd(&x, MGMT, "relogin", br_cmd_relogin);
	CHECK_EQ_STR(last_notice(), "Usage: `!wa relogin <login ID> "
	    "[_flow ID_]`\n\nYour logins:\n\n* `33655500001` (+33655500001) - "
	    "`BAD_CREDENTIALS`");
	cmd(&x, MGMT, "relogin 447700900123 qr", br_cmd_relogin);
	CHECK_EQ_STR(last_notice(), "Login `447700900123` not found");
	cmd(&x, MGMT, "relogin 33655500001", br_cmd_relogin);
	CHECK(strncmp(last_notice(), "Please specify a login flow, e.g. "
	    "`relogin 33655500001 qr`.\n\n* `qr`", 60) == 0);
	CHECK_EQ_INT(N.started, 0);
	/* phone: the login's own number, not asked. */
	cmd(&x, MGMT, "relogin 33655500001 phone", br_cmd_relogin);
	REQUIRE(N.started == 1);
	CHECK_EQ_STR(N.phone, "+33655500001");
	CHECK(!any_notice("Please enter your Phone number"));
	/* Same account again: nothing else is logged out. */
	N.cbs->on_success(N.arg, &N.logins[0]);
	CHECK_EQ_INT(N.logouts, 0);
	/* QR relogin that lands on another account replaces the old one. */
	cmd(&x, MGMT, "relogin 33655500001 qr", br_cmd_relogin);
	REQUIRE(N.started == 2);
	N.cbs->on_success(N.arg, &other);
	CHECK_EQ_INT(N.logouts, 1);
	CHECK_EQ_STR(last_notice(), "Successfully logged in as +33655500009");
	m_pump(0);
	fx_close(&x);
}

TEST(test_br_login_french)
{
	struct fx x;

	REQUIRE(fx_open(&x, "fr") == 0);
	cmd(&x, MGMT, "login qr", br_cmd_login);
	CHECK_EQ_STR(last_notice(), "Scannez le code QR avec l'application "
	    "mobile WhatsApp pour vous connecter");
	N.cbs->on_failure(N.arg, BR_ERR_NET_FAILED, "");
	CHECK_EQ_STR(last_notice(), "Échec de la connexion : Événement "
	    "inattendu pendant l'attente de la connexion");
	cmd(&x, MGMT, "list-logins", br_cmd_list_logins);
	CHECK_EQ_STR(last_notice(), "Vous n'êtes pas connecté");
	fx_close(&x);
}

TEST(test_br_login_state_notices_errors_then_recovery)
{
	struct fx x;
	struct br_net_state ok = { BR_NET_CONNECTED, NULL, NULL };
	struct br_net_state bad = { BR_NET_BAD_CREDENTIALS, "wa-logged-out",
	    "You were logged out from another device. Relogin to continue "
	    "using the bridge." };
	struct br_net_state td = { BR_NET_TRANSIENT_DISCONNECT,
	    "wa-transient-disconnect", NULL };
	char *room = NULL;
	json_t *c;

	REQUIRE(fx_open(&x, "en") == 0);
	n_add("33655500001", ALICE, "+33655500001", BR_NET_CONNECTED);
	n_add("447700900123", "@bob:t.test", "+447700900123",
	    BR_NET_CONNECTED);
	REQUIRE(br_user_db_load(x.db, ALICE, &room) == 0);
	free(room);
	REQUIRE(br_mgmt_db_set(x.db, ALICE, MGMT) == 0);
	CHECK_EQ_STR(x.cfg->bridge.bridge_status_notices, "errors");

	br_login_on_state(x.br, &N.logins[0], &ok);
	br_login_on_state(x.br, &N.logins[0], &td);
	CHECK_EQ_INT(m_count("event"), 0);	/* not errors */
	br_login_on_state(x.br, &N.logins[0], &bad);
	REQUIRE(m_count("event") == 1);
	c = m_nth("event", 0)->content;
	CHECK_EQ_STR(jstr(c, "msgtype", NULL), "m.text");
	CHECK_EQ_STR(jstr(c, "body", NULL), "State update for +33655500001: "
	    "`BAD_CREDENTIALS` (`wa-logged-out`): You were logged out from "
	    "another device. Relogin to continue using the bridge.");
	CHECK_EQ_STR(jstr(c, "fi.mau.bridge_state", "state_event"),
	    "BAD_CREDENTIALS");
	CHECK_EQ_STR(jstr(c, "fi.mau.bridge_state", "error"), "wa-logged-out");
	CHECK_EQ_STR(jstr(c, "fi.mau.bridge_state", "remote_id"),
	    "33655500001");
	/* Recovery after an error is told, once, as a notice. */
	br_login_on_state(x.br, &N.logins[0], &ok);
	REQUIRE(m_count("event") == 2);
	c = m_nth("event", 1)->content;
	CHECK_EQ_STR(jstr(c, "msgtype", NULL), "m.notice");
	CHECK_EQ_STR(jstr(c, "body", NULL),
	    "State update for +33655500001: `CONNECTED`");
	br_login_on_state(x.br, &N.logins[0], &ok);
	CHECK_EQ_INT(m_count("event"), 2);
	/* A user without a management room gets nothing. */
	br_login_on_state(x.br, &N.logins[1], &bad);
	CHECK_EQ_INT(m_count("event"), 2);
	/* Gone: the memory of the error goes too. */
	br_login_on_state(x.br, &N.logins[0], &bad);
	br_login_on_gone(x.br, &N.logins[0]);
	br_login_on_state(x.br, &N.logins[0], &ok);
	CHECK_EQ_INT(m_count("event"), 3);
	/* Remembered at shutdown: detaching forgets it (no leak). */
	br_login_on_state(x.br, &N.logins[0], &bad);
	m_pump(0);
	fx_close(&x);
}

TEST_MAIN()
