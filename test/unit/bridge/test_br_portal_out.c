/*
 * test_br_portal_out.c: Matrix events in portal rooms -> WhatsApp
 * (bridge/portal_out.c, bridge/relay.c) over an in-memory Matrix side and
 * network side (both implemented here; calls complete when the test says)
 * and a SQLite database in /tmp: text with markup and mentions, replies,
 * edits, reactions (and their replacement), redactions, media (download,
 * kinds, captions, voice waveform), locations, read receipts, typing, the
 * FIFO order while a send is in flight, at-most-once, "not logged in",
 * a refused send reaching the sender, m.notice gating, relay mode with the
 * default templates, and the notice texts in both languages.
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
#include "bridge/portal_out.h"
#include "bridge/store.h"
#include "bridge/texts_out.h"
#include "db/db.h"
#include "test/unit/test.h"
#include "util/err.h"

static char *const noenv[] = { NULL };

static const char cfg_yaml[] =
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n"
    "appservice:\n"
    "    username_template: whatsapp_{{.}}\n"
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"t.test\": user\n"
    "        \"@admin:t.test\": admin\n"
    "        \"@blocked:t.test\": block\n";

#define BOT_ID	"@whatsappbot:t.test"
#define ADMIN	"@admin:t.test"
#define ALICE	"@alice:t.test"
#define GROUP	"120363012345678901@g.us"
#define ROOM	"!group:t.test"
#define LOGIN	"33600000001"
#define OWN	"33600000001@s.whatsapp.net"
#define BOB	"33600000002@s.whatsapp.net"
#define DMCHAT	"33600000002@s.whatsapp.net"
#define DMROOM	"!dm:t.test"

/* ---- the fake Matrix side ---- */

#define FAKE_MAX 64

struct mcall {
	char		 op[24];
	char		 room[64];
	char		 type[48];
	char		 arg[128];
	json_t		*content;	/* ref */
	br_mx_done_fn	 done;
	br_mx_data_fn	 data_done;
	void		*cb_arg;
	int		 pending;
};

static struct {
	struct br_mx	 mx;
	struct mcall	 calls[FAKE_MAX];
	size_t		 n;
} M;

static struct br_mx_intent *
m_bot(struct br_mx *mx)
{
	return (struct br_mx_intent *)(void *)&M;
}

static const char *
m_bot_id(const struct br_mx *mx)
{
	return BOT_ID;
}

static int
m_is_ours(const struct br_mx *mx, const char *u)
{
	return strcmp(u, BOT_ID) == 0 || strncmp(u, "@whatsapp_", 10) == 0;
}

static struct mcall *
m_rec(const char *op, const char *room, const char *type, const char *arg)
{
	struct mcall *c;

	if (M.n >= FAKE_MAX)
		abort();
	c = &M.calls[M.n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	snprintf(c->room, sizeof(c->room), "%s", room ? room : "");
	snprintf(c->type, sizeof(c->type), "%s", type ? type : "");
	snprintf(c->arg, sizeof(c->arg), "%s", arg ? arg : "");
	c->pending = 1;
	return c;
}

static int
m_send_event(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, json_t *content, uint64_t ts, br_mx_done_fn done,
    void *arg)
{
	struct mcall *c = m_rec("event", room, type, NULL);

	c->content = json_deep_copy(content);
	c->done = done;
	c->cb_arg = arg;
	return 0;
}

static int
m_send_message(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *msgtype, const char *body, const char *html,
    br_mx_done_fn done, void *arg)
{
	struct mcall *c = m_rec("message", room, msgtype, body);

	c->done = done;
	c->cb_arg = arg;
	return 0;
}

static int
m_get_state(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *type, const char *key, br_mx_done_fn done, void *arg)
{
	struct mcall *c = m_rec("state", room, type, key);

	c->done = done;
	c->cb_arg = arg;
	return 0;
}

static int
m_members(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    br_mx_done_fn done, void *arg)
{
	struct mcall *c = m_rec("members", room, NULL, NULL);

	c->done = done;
	c->cb_arg = arg;
	return 0;
}

static int
m_download(struct br_mx *mx, struct br_mx_intent *in, const char *mxc,
    size_t max, br_mx_data_fn done, void *arg)
{
	struct mcall *c = m_rec("download", NULL, NULL, mxc);

	c->data_done = done;
	c->cb_arg = arg;
	return 0;
}

static int
m_redact(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *event_id, const char *reason, br_mx_done_fn done, void *arg)
{
	struct mcall *c = m_rec("redact", room, NULL, event_id);

	c->done = done;
	c->cb_arg = arg;
	return 0;
}

static int
m_receipt(struct br_mx *mx, struct br_mx_intent *in, const char *room,
    const char *event_id, br_mx_done_fn done, void *arg)
{
	struct mcall *c = m_rec("receipt", room, NULL, event_id);

	c->done = done;
	c->cb_arg = arg;
	return 0;
}

static const struct br_mx_ops m_ops = {
	.bot = m_bot,
	.bot_id = m_bot_id,
	.is_ours = m_is_ours,
	.send_event = m_send_event,
	.send_message = m_send_message,
	.get_state = m_get_state,
	.joined_members = m_members,
	.download = m_download,
	.redact = m_redact,
	.receipt = m_receipt,
};

/* The first pending Matrix call of op, or NULL. */
static struct mcall *
m_find(const char *op)
{
	size_t i;

	for (i = 0; i < M.n; i++)
		if (M.calls[i].pending && strcmp(M.calls[i].op, op) == 0)
			return &M.calls[i];
	return NULL;
}

static void
m_complete(struct mcall *c, int rc, const char *answer)
{
	json_t *j = answer != NULL ? json_loads(answer, 0, NULL) : NULL;

	c->pending = 0;
	if (c->data_done != NULL)
		c->data_done(c->cb_arg, rc, rc == 0 ?
		    (const unsigned char *)answer : NULL, rc == 0 ?
		    strlen(answer) : 0, "image/jpeg");
	else
		c->done(c->cb_arg, rc, j);
	json_decref(j);
}

/* Complete a download with these bytes. */
static void
m_complete_data(struct mcall *c, const unsigned char *data, size_t len)
{
	c->pending = 0;
	c->data_done(c->cb_arg, 0, data, len, "image/jpeg");
}

/* Complete every pending fire-and-forget call (events, redacts...). */
static void
m_flush(int rc)
{
	size_t i;

	for (i = 0; i < M.n; i++) {
		struct mcall *c = &M.calls[i];

		if (!c->pending)
			continue;
		if (c->data_done != NULL)
			m_complete(c, rc == 0 ? BR_ERR_MX_CANCELLED : rc,
			    NULL);
		else
			m_complete(c, rc, "{\"event_id\":\"$x\"}");
	}
}

static size_t
m_count(const char *op, const char *type)
{
	size_t i, n = 0;

	for (i = 0; i < M.n; i++)
		n += strcmp(M.calls[i].op, op) == 0 &&
		    (type == NULL || strcmp(M.calls[i].type, type) == 0);
	return n;
}

/* The last event of type, or NULL. */
static json_t *
m_last(const char *type)
{
	size_t i = M.n;

	while (i-- > 0)
		if (strcmp(M.calls[i].op, "event") == 0 &&
		    strcmp(M.calls[i].type, type) == 0)
			return M.calls[i].content;
	return NULL;
}

static void
m_reset(void)
{
	size_t i;

	m_flush(BR_ERR_MX_CANCELLED);
	for (i = 0; i < M.n; i++)
		json_decref(M.calls[i].content);
	memset(&M, 0, sizeof(M));
	M.mx.ops = &m_ops;
}

/* ---- the fake network side ---- */

struct br_net_login {
	struct br_net_login_info info;
	char			 id[32];
	char			 mxid[64];
};

#define SENT_MAX 32

struct sent {
	struct br_net_login	*l;
	char			 chat[64];
	enum br_net_kind	 kind;
	char			 text[256];
	char			 mention0[64];
	size_t			 n_mentions;
	char			 reply_id[64], reply_sender[64];
	char			 target_id[64], target_sender[64];
	char			 mime[48], filename[64];
	size_t			 len, waveform_len;
	unsigned		 wave0, wave1;
	uint32_t		 width, duration;
	double			 lat, lon;
	br_net_done_fn		 done;
	void			*arg;
	int			 pending;
};

static struct {
	struct br_net		 net;
	struct br_net_login	 logins[4];
	size_t			 n_logins;
	struct sent		 sent[SENT_MAX];
	size_t			 n_sent;
	char			 reads[8][160];	/* "sender|id,id" */
	size_t			 n_reads;
	char			 typing[8][80];	/* "chat:state" */
	size_t			 n_typing;
} N;

static struct br_net_login *
n_login_get(struct br_net *n, const char *id)
{
	size_t i;

	for (i = 0; i < N.n_logins; i++)
		if (strcmp(N.logins[i].id, id) == 0)
			return &N.logins[i];
	return NULL;
}

static size_t
n_logins_of(struct br_net *n, const char *mxid, struct br_net_login **v,
    size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < N.n_logins && k < max; i++)
		if (strcmp(N.logins[i].mxid, mxid) == 0)
			v[k++] = &N.logins[i];
	return k;
}

static const struct br_net_login_info *
n_info(const struct br_net_login *l)
{
	return &l->info;
}

static void
cp(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "");
}

static int
n_send(struct br_net_login *l, const char *chat,
    const struct br_net_content *c, br_net_done_fn done, void *arg)
{
	struct sent *s;

	if (N.n_sent >= SENT_MAX)
		abort();
	s = &N.sent[N.n_sent++];
	memset(s, 0, sizeof(*s));
	s->l = l;
	cp(s->chat, sizeof(s->chat), chat);
	s->kind = c->kind;
	cp(s->text, sizeof(s->text), c->text);
	s->n_mentions = c->n_mentions;
	if (c->n_mentions > 0)
		cp(s->mention0, sizeof(s->mention0), c->mentions[0]);
	cp(s->reply_id, sizeof(s->reply_id), c->reply_id);
	cp(s->reply_sender, sizeof(s->reply_sender), c->reply_sender);
	cp(s->target_id, sizeof(s->target_id), c->target_id);
	cp(s->target_sender, sizeof(s->target_sender), c->target_sender);
	cp(s->mime, sizeof(s->mime), c->mime);
	cp(s->filename, sizeof(s->filename), c->filename);
	s->len = c->len;
	s->waveform_len = c->waveform_len;
	if (c->waveform_len >= 2) {
		s->wave0 = c->waveform[0];
		s->wave1 = c->waveform[1];
	}
	s->width = c->width;
	s->duration = c->duration_s;
	s->lat = c->lat;
	s->lon = c->lon;
	s->done = done;
	s->arg = arg;
	s->pending = 1;
	return 0;
}

static int
n_mark_read(struct br_net_login *l, const char *chat, const char *sender,
    const char *const *ids, size_t n)
{
	char *d;
	size_t i;

	if (N.n_reads >= 8)
		abort();
	d = N.reads[N.n_reads++];
	snprintf(d, 160, "%s|", sender != NULL ? sender : "-");
	for (i = 0; i < n; i++) {
		strncat(d, ids[i], 160 - strlen(d) - 1);
		if (i + 1 < n)
			strncat(d, ",", 160 - strlen(d) - 1);
	}
	return 0;
}

static int
n_set_typing(struct br_net_login *l, const char *chat,
    enum br_net_chatstate st)
{
	if (N.n_typing >= 8)
		abort();
	snprintf(N.typing[N.n_typing++], 80, "%s:%d", chat, (int)st);
	return 0;
}

static char n_meta[4][96];	/* "name:<v>", "topic:<v>", "avatar:<len>" */
static size_t n_nmeta;
static br_net_done_fn n_meta_done;
static void *n_meta_arg;

static int
n_meta_rec(const char *what, const char *v, br_net_done_fn done, void *arg)
{
	if (n_nmeta >= 4)
		abort();
	snprintf(n_meta[n_nmeta++], sizeof(n_meta[0]), "%s:%s", what, v);
	n_meta_done = done;
	n_meta_arg = arg;
	return 0;
}

static int
n_set_name(struct br_net_login *l, const char *chat, const char *name,
    br_net_done_fn done, void *arg)
{
	return n_meta_rec("name", name, done, arg);
}

static int
n_set_topic(struct br_net_login *l, const char *chat, const char *topic,
    br_net_done_fn done, void *arg)
{
	return n_meta_rec("topic", topic, done, arg);
}

static int
n_set_avatar(struct br_net_login *l, const char *chat,
    const unsigned char *jpeg, size_t len, br_net_done_fn done, void *arg)
{
	char n[24];

	snprintf(n, sizeof(n), "%zu", jpeg != NULL ? len : (size_t)0);
	return n_meta_rec("avatar", n, done, arg);
}

/* Complete the pending group change. */
static void
n_meta_complete(int rc)
{
	struct br_net_result r;
	br_net_done_fn d = n_meta_done;

	memset(&r, 0, sizeof(r));
	r.reason = rc < 0 ? "not an admin" : NULL;
	n_meta_done = NULL;
	if (d != NULL)
		d(n_meta_arg, rc, &r);
}

static const struct br_net_ops n_ops = {
	.name = "WhatsApp",
	.login_get = n_login_get,
	.logins_of = n_logins_of,
	.info = n_info,
	.send = n_send,
	.mark_read = n_mark_read,
	.set_typing = n_set_typing,
	.set_name = n_set_name,
	.set_topic = n_set_topic,
	.set_avatar = n_set_avatar,
};

static void
n_add_login(const char *id, const char *mxid)
{
	struct br_net_login *l = &N.logins[N.n_logins++];

	cp(l->id, sizeof(l->id), id);
	cp(l->mxid, sizeof(l->mxid), mxid);
	l->info.id = l->id;
	l->info.user_mxid = l->mxid;
	l->info.remote_name = "+33600000001";
	l->info.state.event = BR_NET_CONNECTED;
}

/* Complete send i: rc 0 with a WhatsApp ID, or an error and reason. */
static void
n_complete(size_t i, int rc, const char *id, const char *reason)
{
	struct br_net_result r;

	if (i >= N.n_sent || !N.sent[i].pending)
		abort();
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.ts_ms = 1700000000000ULL + i;
	r.reason = reason;
	N.sent[i].pending = 0;
	N.sent[i].done(N.sent[i].arg, rc, &r);
}

static void
n_reset(void)
{
	size_t i;

	for (i = 0; i < N.n_sent; i++)
		if (N.sent[i].pending)
			n_complete(i, BR_ERR_NET_CANCELLED, NULL, NULL);
	memset(&N, 0, sizeof(N));
	N.net.ops = &n_ops;
	if (n_meta_done != NULL)
		n_meta_complete(BR_ERR_NET_CANCELLED);
	n_nmeta = 0;
}

/* ---- fixture ---- */

struct fx {
	struct br_config	*cfg;
	struct db		*db;
	struct br_bridge	*br;
	char			 path[64];
};

static int
fx_open(struct fx *x, const char *extra, int with_login)
{
	struct br_config_opts o = { noenv };
	struct br_portal_key k = { GROUP, "" };
	char err[256], uri[128], yaml[2048];
	int fd;

	memset(x, 0, sizeof(*x));
	snprintf(yaml, sizeof(yaml), "%s%s", cfg_yaml, extra ? extra : "");
	if (br_config_load_mem("t.yaml", yaml, strlen(yaml), &o, &x->cfg, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "/tmp/ponton-brout-XXXXXX");
	if ((fd = mkstemp(x->path)) < 0)
		return -1;
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s?_txlock=immediate", x->path);
	if (db_open(&x->db, "sqlite3-fk-wal", uri, NULL) < 0 ||
	    db_upgrade(x->db) < 0)
		return -1;
	m_reset();
	n_reset();
	x->br = br_bridge_new(x->cfg, x->db);
	if (x->br->out == NULL)
		return -1;
	br_bridge_set_mx(x->br, &M.mx);
	br_bridge_set_net(x->br, &N.net);
	if (with_login) {
		struct br_user u = { (char *)ADMIN, NULL, NULL };
		struct br_login l = { (char *)LOGIN, (char *)ADMIN,
		    (char *)"+33600000001", NULL, NULL, NULL };

		if (br_store_user_insert(x->db, &u) < 0 ||
		    br_store_login_insert(x->db, &l) < 0)
			return -1;
		n_add_login(LOGIN, ADMIN);
	}
	if (br_portal_attach(x->br->portals, k, ROOM, "Cafe", NULL, NULL, 0) <
	    0)
		return -1;
	br_portals_set_ready(x->br->portals, 1);
	return 0;
}

static void
fx_close(struct fx *x)
{
	char p[96];

	br_bridge_stop(x->br);
	n_reset();
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

/* Deliver an m.room.message (content JSON text) from sender. */
static void
deliver(struct fx *x, const char *sender, const char *event_id,
    const char *content)
{
	json_t *c = json_loads(content, 0, NULL);
	json_t *rel = json_object_get(c, "m.relates_to");
	struct br_mx_message m;

	if (c == NULL)
		abort();
	memset(&m, 0, sizeof(m));
	m.room_id = ROOM;
	m.event_id = event_id;
	m.sender = sender;
	m.msgtype = json_string_value(json_object_get(c, "msgtype"));
	if (m.msgtype == NULL)
		m.msgtype = "";
	m.body = json_string_value(json_object_get(c, "body"));
	m.formatted_body = json_string_value(json_object_get(c,
	    "formatted_body"));
	m.reply_to = json_string_value(json_object_get(json_object_get(rel,
	    "m.in_reply_to"), "event_id"));
	if (json_string_value(json_object_get(rel, "rel_type")) != NULL &&
	    strcmp(json_string_value(json_object_get(rel, "rel_type")),
	    "m.replace") == 0)
		m.edit_of = json_string_value(json_object_get(rel,
		    "event_id"));
	m.ts_ms = 1700000000000ULL;
	m.content = c;
	br_bridge_on_message(x->br, &m);
	json_decref(c);
}

/* Send a text from the admin and complete it as WhatsApp ID wa. */
static void
send_text(struct fx *x, const char *event_id, const char *body,
    const char *wa)
{
	char c[256];

	snprintf(c, sizeof(c), "{\"msgtype\":\"m.text\",\"body\":\"%s\"}",
	    body);
	deliver(x, ADMIN, event_id, c);
	if (N.n_sent > 0 && N.sent[N.n_sent - 1].pending)
		n_complete(N.n_sent - 1, 0, wa, NULL);
}

static char *
row_id(struct fx *x, const char *mxid)
{
	struct br_message *m = NULL;
	char *id;

	if (br_store_message_get_by_mxid(x->db, mxid, &m) < 0)
		return NULL;
	id = strdup(m->id);
	br_message_free(m);
	return id;
}

/* ---- text ---- */

TEST(portal_out_text_markup_mentions_and_row)
{
	struct fx x;
	char *id;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	deliver(&x, ADMIN, "$t1",
	    "{\"msgtype\":\"m.text\",\"body\":\"hi Bob\",\"format\":"
	    "\"org.matrix.custom.html\",\"formatted_body\":\"<b>hi</b> <a "
	    "href=\\\"https://matrix.to/#/@whatsapp_33600000002:t.test\\\">"
	    "Bob</a>\",\"m.mentions\":{\"user_ids\":"
	    "[\"@whatsapp_33600000002:t.test\"]}}");
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_INT(N.sent[0].kind, BR_NET_KIND_TEXT);
	CHECK_EQ_STR(N.sent[0].chat, GROUP);
	CHECK_EQ_STR(N.sent[0].text, "*hi* @33600000002");
	CHECK_EQ_INT(N.sent[0].n_mentions, 1);
	CHECK_EQ_STR(N.sent[0].mention0, BOB);
	/* The placeholder row is there while the send is in flight. */
	id = row_id(&x, "$t1");
	REQUIRE(id != NULL);
	CHECK(strncmp(id, "fake:", 5) == 0);
	free(id);
	n_complete(0, 0, "3EB0AAAA", NULL);
	id = row_id(&x, "$t1");
	CHECK_EQ_STR(id, GROUP ":" OWN ":3EB0AAAA");
	free(id);
	/* No status event by default, no notice on success. */
	CHECK_EQ_INT(m_count("event", NULL), 0);
	fx_close(&x);
}

TEST(portal_out_at_most_once_and_fifo_order)
{
	struct fx x;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	deliver(&x, ADMIN, "$a", "{\"msgtype\":\"m.text\",\"body\":\"one\"}");
	deliver(&x, ADMIN, "$b", "{\"msgtype\":\"m.text\",\"body\":\"two\"}");
	/* The second waits for the first's send. */
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_STR(N.sent[0].text, "one");
	n_complete(0, 0, "3EB0A", NULL);
	REQUIRE(N.n_sent == 2);
	CHECK_EQ_STR(N.sent[1].text, "two");
	n_complete(1, 0, "3EB0B", NULL);
	/* The same event again (a replayed transaction): nothing sent. */
	deliver(&x, ADMIN, "$a", "{\"msgtype\":\"m.text\",\"body\":\"one\"}");
	CHECK_EQ_INT(N.n_sent, 2);
	fx_close(&x);
}

TEST(portal_out_not_logged_in_notice)
{
	struct fx x;
	json_t *n;

	REQUIRE(fx_open(&x, "matrix:\n    message_status_events: true\n",
	    1) == 0);
	deliver(&x, ALICE, "$n1", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}");
	CHECK_EQ_INT(N.n_sent, 0);
	n = m_last("m.room.message");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(n, "body")),
	    "\u26a0\ufe0f Your message was not bridged: You're not logged in");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(
	    json_object_get(n, "m.relates_to"), "m.in_reply_to"),
	    "event_id")), "$n1");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(
	    json_object_get(n, "m.mentions"), "user_ids"), 0)), ALICE);
	n = m_last("com.beeper.message_send_status");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(n, "status")),
	    "FAIL_RETRIABLE");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(n,
	    "m.relates_to"), "event_id")), "$n1");
	fx_close(&x);
}

TEST(portal_out_refused_send_reaches_sender)
{
	struct fx x;
	json_t *n;
	struct br_message *m = NULL;

	REQUIRE(fx_open(&x, "matrix:\n    message_status_events: true\n"
	    "    delivery_receipts: true\n", 1) == 0);
	deliver(&x, ADMIN, "$r1", "{\"msgtype\":\"m.text\",\"body\":\"x\"}");
	REQUIRE(N.n_sent == 1);
	n_complete(0, -370, NULL, "server refused the message (463)");
	/* The placeholder is gone: a later retry of the event may send. */
	CHECK_EQ_INT(br_store_message_get_by_mxid(x.db, "$r1", &m),
	    U_ERR_NOT_FOUND);
	n = m_last("m.room.message");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(n, "body")),
	    "\u26a0\ufe0f Your message may not have been bridged: server "
	    "refused the message (463)");
	n = m_last("com.beeper.message_send_status");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(n, "reason")),
	    "m.foreign_network_error");
	CHECK_EQ_INT(m_count("receipt", NULL), 0);
	/* A success: status SUCCESS and the bot's delivery receipt. */
	send_text(&x, "$r2", "y", "3EB0R2");
	n = m_last("com.beeper.message_send_status");
	CHECK_EQ_STR(json_string_value(json_object_get(n, "status")),
	    "SUCCESS");
	CHECK_EQ_INT(m_count("receipt", NULL), 1);
	fx_close(&x);
}

TEST(portal_out_notice_needs_bridge_notices)
{
	struct fx x;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	deliver(&x, ADMIN, "$no", "{\"msgtype\":\"m.notice\",\"body\":\"n\"}");
	CHECK_EQ_INT(N.n_sent, 0);
	CHECK_EQ_INT(m_count("event", "m.room.message"), 0);
	fx_close(&x);
	REQUIRE(fx_open(&x, "    bridge_notices: true\n", 1) == 0);
	deliver(&x, ADMIN, "$no", "{\"msgtype\":\"m.notice\",\"body\":\"n\"}");
	CHECK_EQ_INT(N.n_sent, 1);
	fx_close(&x);
}

TEST(portal_out_reply_edit_reaction_redaction)
{
	struct fx x;
	struct br_reaction *rx = NULL;
	struct br_message *m = NULL;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	send_text(&x, "$m1", "first", "3EB0M1");
	/* Reply: the quoted message's WhatsApp ID and sender; the fallback
	 * is removed from the text. */
	deliver(&x, ADMIN, "$m2", "{\"msgtype\":\"m.text\",\"body\":\"> <@a:t"
	    ".test> first\\n\\nanswer\",\"format\":\"org.matrix.custom."
	    "html\",\"formatted_body\":\"<mx-reply><blockquote>first"
	    "</blockquote></mx-reply>answer\",\"m.relates_to\":{"
	    "\"m.in_reply_to\":{\"event_id\":\"$m1\"}}}");
	REQUIRE(N.n_sent == 2);
	CHECK_EQ_STR(N.sent[1].text, "answer");
	CHECK_EQ_STR(N.sent[1].reply_id, "3EB0M1");
	CHECK_EQ_STR(N.sent[1].reply_sender, OWN);
	n_complete(1, 0, "3EB0M2", NULL);
	REQUIRE(br_store_message_get_by_mxid(x.db, "$m2", &m) == 0);
	CHECK_EQ_STR(m->reply_to_id, GROUP ":" OWN ":3EB0M1");
	br_message_free(m);
	/* Edit. */
	deliver(&x, ADMIN, "$e1", "{\"msgtype\":\"m.text\",\"body\":\" * "
	    "fixed\",\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":"
	    "\"fixed\"},\"m.relates_to\":{\"rel_type\":\"m.replace\","
	    "\"event_id\":\"$m1\"}}");
	REQUIRE(N.n_sent == 3);
	CHECK_EQ_INT(N.sent[2].kind, BR_NET_KIND_EDIT);
	CHECK_EQ_STR(N.sent[2].text, "fixed");
	CHECK_EQ_STR(N.sent[2].target_id, "3EB0M1");
	n_complete(2, 0, "3EB0E1", NULL);
	/* Reaction, variation selector removed, row saved. */
	{
		struct br_mx_reaction r = { ROOM, "$x1", ADMIN, "$m1",
		    "\u2764\ufe0f" };

		br_bridge_on_reaction(x.br, &r);
	}
	REQUIRE(N.n_sent == 4);
	CHECK_EQ_INT(N.sent[3].kind, BR_NET_KIND_REACTION);
	CHECK_EQ_STR(N.sent[3].text, "\u2764");
	CHECK_EQ_STR(N.sent[3].target_id, "3EB0M1");
	n_complete(3, 0, "3EB0X1", NULL);
	REQUIRE(br_store_reaction_get_by_mxid(x.db, "$x1", &rx) == 0);
	CHECK_EQ_STR(rx->emoji, "\u2764");
	br_reaction_free(rx);
	/* Another emoji replaces it: the old Matrix reaction is redacted. */
	{
		struct br_mx_reaction r = { ROOM, "$x2", ADMIN, "$m1",
		    "\U0001f44d" };

		br_bridge_on_reaction(x.br, &r);
	}
	REQUIRE(N.n_sent == 5);
	n_complete(4, 0, "3EB0X2", NULL);
	CHECK_EQ_INT(m_count("redact", NULL), 1);
	rx = NULL;
	CHECK_EQ_INT(br_store_reaction_get_by_mxid(x.db, "$x2", &rx), 0);
	br_reaction_free(rx);
	/* Redacting the reaction removes it on WhatsApp ("" emoji). */
	{
		struct br_mx_redaction r = { ROOM, "$d1", ADMIN, "$x2", "" };

		br_bridge_on_redaction(x.br, &r);
	}
	REQUIRE(N.n_sent == 6);
	CHECK_EQ_INT(N.sent[5].kind, BR_NET_KIND_REACTION);
	CHECK_EQ_STR(N.sent[5].text, "");
	n_complete(5, 0, "3EB0D1", NULL);
	rx = NULL;
	CHECK_EQ_INT(br_store_reaction_get_by_mxid(x.db, "$x2", &rx),
	    U_ERR_NOT_FOUND);
	/* Redacting the message revokes it. */
	{
		struct br_mx_redaction r = { ROOM, "$d2", ADMIN, "$m1", "" };

		br_bridge_on_redaction(x.br, &r);
	}
	REQUIRE(N.n_sent == 7);
	CHECK_EQ_INT(N.sent[6].kind, BR_NET_KIND_REVOKE);
	CHECK_EQ_STR(N.sent[6].target_id, "3EB0M1");
	CHECK_EQ_STR(N.sent[6].target_sender, OWN);
	n_complete(6, 0, "3EB0D2", NULL);
	m = NULL;
	CHECK_EQ_INT(br_store_message_get_by_mxid(x.db, "$m1", &m),
	    U_ERR_NOT_FOUND);
	/* A reaction to an unknown event: nothing sent. */
	{
		struct br_mx_reaction r = { ROOM, "$x3", ADMIN, "$nope", "a" };

		br_bridge_on_reaction(x.br, &r);
	}
	CHECK_EQ_INT(N.n_sent, 7);
	fx_close(&x);
}

/* ---- media, location ---- */

TEST(portal_out_media_kinds_caption_voice)
{
	struct fx x;
	struct mcall *d;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	/* An image with body == file name: no caption. */
	deliver(&x, ADMIN, "$i1", "{\"msgtype\":\"m.image\",\"body\":"
	    "\"cat.jpg\",\"url\":\"mxc://t.test/abc\",\"info\":{\"mimetype\":"
	    "\"image/jpeg\",\"w\":640,\"h\":480,\"size\":4}}");
	CHECK_EQ_INT(N.n_sent, 0);
	d = m_find("download");
	REQUIRE(d != NULL);
	CHECK_EQ_STR(d->arg, "mxc://t.test/abc");
	m_complete(d, 0, "JPEG");
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_INT(N.sent[0].kind, BR_NET_KIND_IMAGE);
	CHECK_EQ_STR(N.sent[0].text, "");
	CHECK_EQ_STR(N.sent[0].mime, "image/jpeg");
	CHECK_EQ_STR(N.sent[0].filename, "cat.jpg");
	CHECK_EQ_INT(N.sent[0].len, 4);
	CHECK_EQ_INT(N.sent[0].width, 640);
	n_complete(0, 0, "3EB0I1", NULL);
	/* A file with a caption. */
	deliver(&x, ADMIN, "$f1", "{\"msgtype\":\"m.file\",\"body\":\"see "
	    "*this*\",\"filename\":\"doc.pdf\",\"url\":\"mxc://t.test/d\","
	    "\"info\":{\"mimetype\":\"application/pdf\"}}");
	m_complete(m_find("download"), 0, "%PDF");
	REQUIRE(N.n_sent == 2);
	CHECK_EQ_INT(N.sent[1].kind, BR_NET_KIND_FILE);
	CHECK_EQ_STR(N.sent[1].filename, "doc.pdf");
	CHECK_EQ_STR(N.sent[1].text, "see *this*");
	n_complete(1, 0, "3EB0F1", NULL);
	/* A voice message: PTT, duration, waveform scaled (max > 256). */
	deliver(&x, ADMIN, "$v1", "{\"msgtype\":\"m.audio\",\"body\":"
	    "\"voice.ogg\",\"url\":\"mxc://t.test/v\",\"info\":{\"mimetype\":"
	    "\"audio/ogg\",\"duration\":3500},\"org.matrix.msc3245.voice\":"
	    "{},\"org.matrix.msc1767.audio\":{\"duration\":3500,\"waveform\":"
	    "[0,1024,512]}}");
	m_complete(m_find("download"), 0, "OggS");
	REQUIRE(N.n_sent == 3);
	CHECK_EQ_INT(N.sent[2].kind, BR_NET_KIND_VOICE);
	CHECK_EQ_STR(N.sent[2].mime, "audio/ogg; codecs=opus");
	CHECK_EQ_INT(N.sent[2].duration, 3);
	CHECK_EQ_INT(N.sent[2].waveform_len, 3);
	CHECK_EQ_INT(N.sent[2].wave1, 255);
	n_complete(2, 0, "3EB0V1", NULL);
	/* Audio WhatsApp does not play: refused with a notice. */
	deliver(&x, ADMIN, "$v2", "{\"msgtype\":\"m.audio\",\"body\":\"a."
	    "flac\",\"url\":\"mxc://t.test/f\",\"info\":{\"mimetype\":"
	    "\"audio/flac\"}}");
	m_complete(m_find("download"), 0, "fLaC");
	CHECK_EQ_INT(N.n_sent, 3);
	CHECK_EQ_STR(json_string_value(json_object_get(m_last(
	    "m.room.message"), "body")), "\u26a0\ufe0f Your message was not "
	    "bridged: unsupported media type audio/flac");
	/* A failed download. */
	deliver(&x, ADMIN, "$i2", "{\"msgtype\":\"m.image\",\"body\":\"x\","
	    "\"url\":\"mxc://t.test/gone\"}");
	m_complete(m_find("download"), BR_ERR_MX_NOT_FOUND, NULL);
	CHECK_EQ_INT(N.n_sent, 3);
	CHECK_EQ_STR(json_string_value(json_object_get(m_last(
	    "m.room.message"), "body")), "\u26a0\ufe0f Your message was not "
	    "bridged: failed to download media");
	fx_close(&x);
}

TEST(portal_out_location_and_geo_parser)
{
	struct fx x;
	double a, b;

	CHECK_EQ_INT(br_out_parse_geo("geo:48.85,2.35", &a, &b), 0);
	CHECK(a > 48.84 && a < 48.86 && b > 2.34 && b < 2.36);
	CHECK_EQ_INT(br_out_parse_geo("geo:-1.5,3;u=35", &a, &b), 0);
	CHECK_EQ_INT(br_out_parse_geo("geo:1,2,3", &a, &b), U_ERR_INVALID);
	CHECK_EQ_INT(br_out_parse_geo("geo:x,2", &a, &b), U_ERR_INVALID);
	CHECK_EQ_INT(br_out_parse_geo("geo:", &a, &b), U_ERR_INVALID);
	CHECK_EQ_INT(br_out_parse_geo("http:1,2", &a, &b), U_ERR_INVALID);
	CHECK_EQ_INT(br_out_parse_geo("geo:nan,2", &a, &b), U_ERR_INVALID);
	REQUIRE(fx_open(&x, NULL, 1) == 0);
	deliver(&x, ADMIN, "$l1", "{\"msgtype\":\"m.location\",\"body\":"
	    "\"Paris\",\"geo_uri\":\"geo:48.85,2.35\"}");
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_INT(N.sent[0].kind, BR_NET_KIND_LOCATION);
	CHECK(N.sent[0].lat > 48.84 && N.sent[0].lon < 2.36);
	CHECK_EQ_STR(N.sent[0].text, "Paris");
	n_complete(0, 0, "3EB0L1", NULL);
	fx_close(&x);
}

/* ---- relay mode ---- */

static int
set_relay(struct fx *x)
{
	struct br_portal_key k = { GROUP, "" };
	struct br_portal *p = NULL;
	int r;

	if (br_store_portal_get(x->db, k, &p) < 0)
		return -1;
	free(p->relay_login_id);
	p->relay_login_id = strdup(LOGIN);
	r = br_store_portal_update(x->db, p);
	br_portal_free(p);
	br_portals_forget(x->br->portals, k);
	return r;
}

TEST(portal_out_relay_default_template)
{
	struct fx x;
	struct mcall *c;

	REQUIRE(fx_open(&x, "    relay:\n        enabled: true\n", 1) == 0);
	REQUIRE(set_relay(&x) == 0);
	deliver(&x, ALICE, "$rl1", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}");
	/* The members' displaynames first. */
	c = m_find("members");
	REQUIRE(c != NULL);
	CHECK_EQ_STR(c->room, ROOM);
	CHECK_EQ_INT(N.n_sent, 0);
	m_complete(c, 0, "{\"joined\":{\"@alice:t.test\":{\"display_name\":"
	    "\"Alice\"},\"@whatsapp_336:t.test\":{\"display_name\":"
	    "\"alice\"}}}");
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_STR(N.sent[0].text, "*Alice*: hi");
	n_complete(0, 0, "3EB0RL1", NULL);
	/* No displayname: the MXID. */
	deliver(&x, ALICE, "$rl2", "{\"msgtype\":\"m.emote\",\"body\":"
	    "\"waves\"}");
	m_complete(m_find("members"), BR_ERR_MX_FAILED, NULL);
	REQUIRE(N.n_sent == 2);
	CHECK_EQ_STR(N.sent[1].text, "* *@alice:t.test* waves");
	n_complete(1, 0, "3EB0RL2", NULL);
	/* Another (real) member named alice: "Alice (@alice:t.test)". */
	deliver(&x, ALICE, "$rl2b", "{\"msgtype\":\"m.text\",\"body\":"
	    "\"me\"}");
	m_complete(m_find("members"), 0, "{\"joined\":{\"@alice:t.test\":{"
	    "\"display_name\":\"Alice\"},\"@alice2:t.test\":{"
	    "\"display_name\":\"alice\"}}}");
	REQUIRE(N.n_sent == 3);
	CHECK_EQ_STR(N.sent[2].text, "*Alice (@alice:t.test)*: me");
	n_complete(2, 0, "3EB0RL2B", NULL);
	/* Media: the file keeps its name, the caption is the template. */
	deliver(&x, ALICE, "$rl3", "{\"msgtype\":\"m.image\",\"body\":"
	    "\"cat.jpg\",\"url\":\"mxc://t.test/c\",\"info\":{\"mimetype\":"
	    "\"image/jpeg\"}}");
	m_complete(m_find("members"), 0, "{\"joined\":{\"@alice:t.test\":{"
	    "\"display_name\":\"Alice\"}}}");
	m_complete(m_find("download"), 0, "JPEG");
	REQUIRE(N.n_sent == 4);
	CHECK_EQ_INT(N.sent[3].kind, BR_NET_KIND_IMAGE);
	CHECK_EQ_STR(N.sent[3].filename, "cat.jpg");
	CHECK_EQ_STR(N.sent[3].text, "*Alice* sent an image");
	n_complete(3, 0, "3EB0RL3", NULL);
	/* Relayed users' reactions are ignored. */
	{
		struct br_mx_reaction r = { ROOM, "$rx", ALICE, "$rl1", "a" };

		br_bridge_on_reaction(x.br, &r);
	}
	CHECK_EQ_INT(N.n_sent, 4);
	/* The relay owner's own messages are not prefixed. */
	send_text(&x, "$own", "mine", "3EB0OWN");
	CHECK_EQ_STR(N.sent[4].text, "mine");
	/* A relayed edit is rendered again and sent through the relay. */
	deliver(&x, ALICE, "$rle", "{\"msgtype\":\"m.text\",\"body\":\" * "
	    "hello\",\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":"
	    "\"hello\"},\"m.relates_to\":{\"rel_type\":\"m.replace\","
	    "\"event_id\":\"$rl1\"}}");
	m_complete(m_find("members"), 0, "{\"joined\":{\"@alice:t.test\":{"
	    "\"display_name\":\"Alice\"}}}");
	REQUIRE(N.n_sent == 6);
	CHECK_EQ_INT(N.sent[5].kind, BR_NET_KIND_EDIT);
	CHECK_EQ_STR(N.sent[5].text, "*Alice*: hello");
	CHECK_EQ_STR(N.sent[5].target_id, "3EB0RL1");
	n_complete(5, 0, "3EB0RLE", NULL);
	/* A relayed redaction goes through the relay too. */
	{
		struct br_mx_redaction r = { ROOM, "$rld", ALICE, "$rl1", "" };

		br_bridge_on_redaction(x.br, &r);
	}
	REQUIRE(N.n_sent == 7);
	CHECK_EQ_INT(N.sent[6].kind, BR_NET_KIND_REVOKE);
	CHECK(N.sent[6].l == &N.logins[0]);
	n_complete(6, 0, "3EB0RLD", NULL);
	fx_close(&x);
}

TEST(portal_out_relay_needs_relay_login)
{
	struct fx x;

	/* Relay mode on, but no relay set in this portal. */
	REQUIRE(fx_open(&x, "    relay:\n        enabled: true\n", 1) == 0);
	deliver(&x, ALICE, "$q1", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}");
	CHECK_EQ_INT(N.n_sent, 0);
	CHECK_EQ_INT(m_count("members", NULL), 0);
	CHECK_EQ_INT(m_count("event", "m.room.message"), 1);
	fx_close(&x);
}

/* ---- receipts, typing ---- */

TEST(portal_out_read_receipt_and_typing)
{
	struct fx x;
	struct br_message m;
	struct br_ghost g;
	struct br_mx_receipt rr;
	const char *who[1] = { ADMIN };
	struct br_mx_typing t = { ROOM, who, 1 };

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	/* A message from Bob, bridged earlier. */
	memset(&g, 0, sizeof(g));
	g.id = (char *)"33600000002";
	g.name = g.avatar_id = g.avatar_hash = g.avatar_mxc = (char *)"";
	REQUIRE(br_store_ghost_insert(x.db, &g) == 0);
	memset(&m, 0, sizeof(m));
	m.id = (char *)(GROUP ":" BOB ":3EB0BOB");
	m.part_id = (char *)"";
	m.mxid = (char *)"$bob1";
	m.room_id = (char *)GROUP;
	m.room_receiver = (char *)"";
	m.sender_id = (char *)"33600000002";
	m.sender_mxid = (char *)"";
	m.timestamp = 1700000000000LL * 1000000;
	m.double_puppeted = -1;
	REQUIRE(br_store_message_insert(x.db, &m) == 0);
	memset(&rr, 0, sizeof(rr));
	rr.room_id = ROOM;
	rr.user_id = ADMIN;
	rr.event_id = "$bob1";
	rr.type = "m.read";
	rr.ts_ms = 1700000001000ULL;
	br_bridge_on_receipt(x.br, &rr);
	REQUIRE(N.n_reads == 1);
	CHECK_EQ_STR(N.reads[0], BOB "|3EB0BOB");
	/* Again: already read, nothing more. */
	br_bridge_on_receipt(x.br, &rr);
	CHECK_EQ_INT(N.n_reads, 1);
	/* Private receipts are not bridged. */
	rr.type = "m.read.private";
	br_bridge_on_receipt(x.br, &rr);
	CHECK_EQ_INT(N.n_reads, 1);
	/* Typing: started, then stopped. */
	br_bridge_on_typing(x.br, &t);
	REQUIRE(N.n_typing == 1);
	CHECK_EQ_STR(N.typing[0], GROUP ":1");
	br_bridge_on_typing(x.br, &t);
	CHECK_EQ_INT(N.n_typing, 1);
	t.n = 0;
	br_bridge_on_typing(x.br, &t);
	REQUIRE(N.n_typing == 2);
	CHECK_EQ_STR(N.typing[1], GROUP ":0");
	fx_close(&x);
}

TEST(portal_out_implicit_read_on_send)
{
	struct fx x;
	struct br_message m;
	struct br_ghost g;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	memset(&g, 0, sizeof(g));
	g.id = (char *)"33600000002";
	g.name = g.avatar_id = g.avatar_hash = g.avatar_mxc = (char *)"";
	REQUIRE(br_store_ghost_insert(x.db, &g) == 0);
	memset(&m, 0, sizeof(m));
	m.id = (char *)(GROUP ":" BOB ":3EB0BOB2");
	m.part_id = (char *)"";
	m.mxid = (char *)"$bob2";
	m.room_id = (char *)GROUP;
	m.room_receiver = (char *)"";
	m.sender_id = (char *)"33600000002";
	m.sender_mxid = (char *)"";
	m.timestamp = (1700000000000LL - 1000) * 1000000;
	m.double_puppeted = -1;
	REQUIRE(br_store_message_insert(x.db, &m) == 0);
	/* Answering reads Bob's message (upstream's implicit receipt). */
	send_text(&x, "$ans", "answer", "3EB0ANS");
	REQUIRE(N.n_reads == 1);
	CHECK_EQ_STR(N.reads[0], BOB "|3EB0BOB2");
	CHECK_EQ_INT(N.n_sent, 1);
	fx_close(&x);
}

TEST(portal_out_queue_row_check)
{
	const char *ok = "{\"k\":0,\"room\":\"!r:hs\",\"event\":\"$e\","
	    "\"sender\":\"@a:hs\",\"ts\":5,\"msgtype\":\"m.text\","
	    "\"reply_to\":\"$p\",\"content\":{\"body\":\"hi\"}}";
	char *again = NULL, *again2 = NULL;

	REQUIRE(br_out_row_check(ok, &again) == 0);
	REQUIRE(again != NULL);
	CHECK(strstr(again, "\"reply_to\":\"$p\"") != NULL);
	CHECK_EQ_INT(br_out_row_check(again, &again2), 0);
	CHECK_EQ_STR(again, again2);
	free(again);
	free(again2);
	/* Unreadable rows are refused, not resumed. */
	CHECK_EQ_INT(br_out_row_check("", NULL), U_ERR_INVALID);
	CHECK_EQ_INT(br_out_row_check("[]", NULL), U_ERR_INVALID);
	CHECK_EQ_INT(br_out_row_check("{\"k\":3,\"room\":\"!r\",\"event\":"
	    "\"$e\",\"sender\":\"@a\"}", NULL), U_ERR_INVALID);
	/* A message without content, a reaction without key. */
	CHECK_EQ_INT(br_out_row_check("{\"k\":0,\"room\":\"!r\",\"event\":"
	    "\"$e\",\"sender\":\"@a\",\"msgtype\":\"m.text\"}", NULL),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_out_row_check("{\"k\":1,\"room\":\"!r\",\"event\":"
	    "\"$e\",\"sender\":\"@a\",\"target\":\"$t\"}", NULL),
	    U_ERR_INVALID);
	/* Duplicate keys are refused (JSON read back is untrusted). */
	CHECK_EQ_INT(br_out_row_check("{\"k\":2,\"k\":2,\"room\":\"!r\","
	    "\"event\":\"$e\",\"sender\":\"@a\",\"target\":\"$t\"}",
	    NULL), U_ERR_INVALID);
}

/* ---- texts ---- */

static int
placeholders(const char *s)
{
	return strstr(s, "{0}") != NULL;
}

TEST(portal_out_texts_both_languages)
{
	int i;

	for (i = 0; i < BR_OTX_COUNT; i++) {
		const char *en = br_out_text(BR_LANG_EN, i);
		const char *fr = br_out_text(BR_LANG_FR, i);

		CHECK(en[0] != '\0');
		CHECK(fr[0] != '\0');
		CHECK_EQ_INT(placeholders(en), placeholders(fr));
	}
}

TEST(portal_out_french_notice)
{
	struct fx x;

	REQUIRE(fx_open(&x, "ponton:\n    language: fr\n", 1) == 0);
	deliver(&x, ALICE, "$fr", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}");
	CHECK_EQ_STR(json_string_value(json_object_get(m_last(
	    "m.room.message"), "body")), "\u26a0\ufe0f Votre message n'a pas "
	    "été transmis : Vous n'êtes pas connecté");
	fx_close(&x);
}

/* ---- nothing lost across a restart; waiting for the login ---- */

/* Stop and free the bridge as a shutdown does (sends in flight are
 * cancelled), then start a new one on the same database. */
static void
restart(struct fx *x, int ready)
{
	br_bridge_stop(x->br);
	n_reset();
	m_reset();
	br_bridge_free(x->br);
	n_add_login(LOGIN, ADMIN);
	x->br = br_bridge_new(x->cfg, x->db);
	br_bridge_set_mx(x->br, &M.mx);
	br_bridge_set_net(x->br, &N.net);
	if (ready)
		br_portals_set_ready(x->br->portals, 1);
}

TEST(portal_out_queue_survives_restart_in_order)
{
	struct fx x;
	char *id;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	/* One in flight, two queued behind it, when the bridge stops. */
	deliver(&x, ADMIN, "$q1", "{\"msgtype\":\"m.text\",\"body\":\"1\"}");
	deliver(&x, ADMIN, "$q2", "{\"msgtype\":\"m.text\",\"body\":\"2\"}");
	deliver(&x, ADMIN, "$q3", "{\"msgtype\":\"m.text\",\"body\":\"3\"}");
	REQUIRE(N.n_sent == 1);
	restart(&x, 0);
	/* Nothing runs before the portals are ready... */
	CHECK_EQ_INT(N.n_sent, 0);
	br_portals_set_ready(x.br->portals, 1);
	/* ...then the two that never started go, in order; the one that
	 * was in flight is not sent again (at most once). */
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_STR(N.sent[0].text, "2");
	n_complete(0, 0, "3EB0Q2", NULL);
	REQUIRE(N.n_sent == 2);
	CHECK_EQ_STR(N.sent[1].text, "3");
	n_complete(1, 0, "3EB0Q3", NULL);
	id = row_id(&x, "$q3");
	CHECK_EQ_STR(id, GROUP ":" OWN ":3EB0Q3");
	free(id);
	/* Every queue row is gone: a third start resumes nothing. */
	restart(&x, 1);
	CHECK_EQ_INT(N.n_sent, 0);
	fx_close(&x);
}

TEST(portal_out_waits_for_login_to_connect)
{
	struct fx x;
	struct br_net_state st = { BR_NET_CONNECTING, NULL, NULL };

	REQUIRE(fx_open(&x, "matrix:\n    message_status_events: true\n",
	    1) == 0);
	N.logins[0].info.state.event = BR_NET_CONNECTING;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	deliver(&x, ADMIN, "$w1", "{\"msgtype\":\"m.text\",\"body\":\"a\"}");
	deliver(&x, ADMIN, "$w2", "{\"msgtype\":\"m.text\",\"body\":\"b\"}");
	CHECK_EQ_INT(N.n_sent, 0);
	/* Connected is not enough (the sender comes with the sync)... */
	st.event = BR_NET_CONNECTED;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	CHECK_EQ_INT(N.n_sent, 0);
	/* ...synced: the first goes, the second follows. */
	N.logins[0].info.state.event = BR_NET_CONNECTED;
	br_bridge_on_login_synced(x.br, &N.logins[0]);
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_STR(N.sent[0].text, "a");
	n_complete(0, 0, "3EB0W1", NULL);
	REQUIRE(N.n_sent == 2);
	n_complete(1, 0, "3EB0W2", NULL);
	/* Logged out while a message waits: "not logged in". */
	st.event = BR_NET_TRANSIENT_DISCONNECT;
	N.logins[0].info.state.event = BR_NET_TRANSIENT_DISCONNECT;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	deliver(&x, ADMIN, "$w3", "{\"msgtype\":\"m.text\",\"body\":\"c\"}");
	CHECK_EQ_INT(N.n_sent, 2);
	st.event = BR_NET_LOGGED_OUT;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	CHECK_EQ_INT(N.n_sent, 2);
	CHECK_EQ_STR(json_string_value(json_object_get(m_last(
	    "m.room.message"), "body")), "\u26a0\ufe0f Your message was not "
	    "bridged: You're not logged in");
	fx_close(&x);
}

TEST(portal_out_waiting_at_stop_resumes_next_start)
{
	struct fx x;
	struct br_net_state st = { BR_NET_CONNECTING, NULL, NULL };

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	N.logins[0].info.state.event = BR_NET_CONNECTING;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	deliver(&x, ADMIN, "$s1", "{\"msgtype\":\"m.text\",\"body\":\"x\"}");
	deliver(&x, ADMIN, "$s2", "{\"msgtype\":\"m.text\",\"body\":\"y\"}");
	CHECK_EQ_INT(N.n_sent, 0);
	/* Stopped while both wait (no placeholder row was written: the
	 * send never started), then started again: both go once the login
	 * is synced, in order. */
	restart(&x, 0);
	/* As at a real start: the network side reports its logins
	 * (connecting) before the portals' queues run. */
	N.logins[0].info.state.event = BR_NET_CONNECTING;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	br_portals_set_ready(x.br->portals, 1);
	CHECK_EQ_INT(N.n_sent, 0);
	N.logins[0].info.state.event = BR_NET_CONNECTED;
	br_bridge_on_login_synced(x.br, &N.logins[0]);
	REQUIRE(N.n_sent == 1);
	CHECK_EQ_STR(N.sent[0].text, "x");
	n_complete(0, 0, "3EB0S1", NULL);
	REQUIRE(N.n_sent == 2);
	CHECK_EQ_STR(N.sent[1].text, "y");
	n_complete(1, 0, "3EB0S2", NULL);
	fx_close(&x);
}

/*
 * The restart burst's shape (test/e2e/22-out-restart): events arrive
 * while the login connects, between CONNECTED and synced, and while the
 * first ones are in flight; CONNECTED reported again after the sync
 * (without it) must not make the login unready.  Every event goes once,
 * in order, and every row gets its WhatsApp ID.
 */
TEST(portal_out_burst_across_connect_and_sync)
{
	static const char *const ev[5] = { "$b1", "$b2", "$b3", "$b4", "$b5" };
	static const char *const body[5] = { "1", "2", "3", "4", "5" };
	struct fx x;
	struct br_net_state st = { BR_NET_CONNECTING, NULL, NULL };
	char c[64], wa[16], want[96], *id;
	size_t i;

	REQUIRE(fx_open(&x, NULL, 1) == 0);
	N.logins[0].info.state.event = BR_NET_CONNECTING;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	for (i = 0; i < 2; i++) {
		snprintf(c, sizeof(c), "{\"msgtype\":\"m.text\",\"body\":"
		    "\"%s\"}", body[i]);
		deliver(&x, ADMIN, ev[i], c);
	}
	st.event = BR_NET_CONNECTED;
	N.logins[0].info.state.event = BR_NET_CONNECTED;
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	deliver(&x, ADMIN, ev[2], "{\"msgtype\":\"m.text\",\"body\":\"3\"}");
	CHECK_EQ_INT(N.n_sent, 0);
	br_bridge_on_login_synced(x.br, &N.logins[0]);
	REQUIRE(N.n_sent == 1);
	/* A repeated CONNECTED (no sync in it) keeps the login ready. */
	br_bridge_on_login_state(x.br, &N.logins[0], &st);
	deliver(&x, ADMIN, ev[3], "{\"msgtype\":\"m.text\",\"body\":\"4\"}");
	for (i = 0; i < 5; i++) {
		if (i == 4)
			deliver(&x, ADMIN, ev[4],
			    "{\"msgtype\":\"m.text\",\"body\":\"5\"}");
		REQUIRE(N.n_sent == i + 1);
		CHECK_EQ_STR(N.sent[i].text, body[i]);
		snprintf(wa, sizeof(wa), "3EB0B%zu", i + 1);
		n_complete(i, 0, wa, NULL);
	}
	CHECK_EQ_INT(N.n_sent, 5);
	for (i = 0; i < 5; i++) {
		id = row_id(&x, ev[i]);
		snprintf(want, sizeof(want), GROUP ":" OWN ":3EB0B%zu", i + 1);
		CHECK_EQ_STR(id, want);
		free(id);
	}
	fx_close(&x);
}

static void
room_state(struct fx *x, const char *type, const char *content)
{
	json_t *c = json_loads(content, 0, NULL);
	struct br_mx_state st = { ROOM, "$st", ADMIN, type, "", c };

	br_bridge_on_room_state(x->br, &st);
	json_decref(c);
}

TEST(portal_out_room_name_topic_avatar)
{
	struct fx x;
	struct br_portal *p = NULL;
	struct br_portal_key k = { GROUP, "" };
	static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 1, 2 };
	json_t *n;

	REQUIRE(fx_open(&x, "matrix:\n    message_status_events: true\n",
	    1) == 0);
	/* The same name as the portal's: nothing sent. */
	room_state(&x, "m.room.name", "{\"name\":\"Cafe\"}");
	CHECK_EQ_INT(n_nmeta, 0);
	room_state(&x, "m.room.name", "{\"name\":\"Bistro\"}");
	REQUIRE(n_nmeta == 1);
	CHECK_EQ_STR(n_meta[0], "name:Bistro");
	/* The FIFO waits for the change. */
	room_state(&x, "m.room.topic", "{\"topic\":\"Open late\"}");
	CHECK_EQ_INT(n_nmeta, 1);
	n_meta_complete(0);
	REQUIRE(n_nmeta == 2);
	CHECK_EQ_STR(n_meta[1], "topic:Open late");
	n_meta_complete(BR_ERR_NET_FAILED);
	n = m_last("com.beeper.message_send_status");
	CHECK_EQ_STR(json_string_value(json_object_get(n, "status")),
	    "FAIL_RETRIABLE");
	/* The row follows the name, not the refused topic. */
	REQUIRE(br_store_portal_get(x.db, k, &p) == 0);
	CHECK_EQ_STR(p->name, "Bistro");
	CHECK(p->name_set);
	CHECK_EQ_STR(p->topic, "");
	br_portal_free(p);
	/* Avatar: downloaded, must be JPEG. */
	room_state(&x, "m.room.avatar", "{\"url\":\"mxc://t.test/png\"}");
	m_complete(m_find("download"), 0, "\x89PNG");
	CHECK_EQ_INT(n_nmeta, 2);
	room_state(&x, "m.room.avatar", "{\"url\":\"mxc://t.test/jpg\"}");
	m_complete_data(m_find("download"), jpeg, sizeof(jpeg));
	REQUIRE(n_nmeta == 3);
	CHECK_EQ_STR(n_meta[2], "avatar:6");
	n_meta_complete(0);
	p = NULL;
	REQUIRE(br_store_portal_get(x.db, k, &p) == 0);
	CHECK_EQ_STR(p->avatar_mxc, "mxc://t.test/jpg");
	CHECK(p->avatar_hash != NULL && strlen(p->avatar_hash) == 64);
	br_portal_free(p);
	/* Removing it. */
	room_state(&x, "m.room.avatar", "{}");
	REQUIRE(n_nmeta == 4);
	CHECK_EQ_STR(n_meta[3], "avatar:0");
	n_meta_complete(0);
	fx_close(&x);
}

TEST(portal_out_room_meta_refused_in_dm)
{
	struct fx x;
	struct br_portal_key k = { DMCHAT, LOGIN };
	json_t *c = json_loads("{\"name\":\"x\"}", 0, NULL);
	struct br_mx_state st = { DMROOM, "$dm", ADMIN, "m.room.name",
	    "", c };

	REQUIRE(fx_open(&x, "matrix:\n    message_status_events: true\n",
	    1) == 0);
	REQUIRE(br_portal_attach(x.br->portals, k, DMROOM, NULL, NULL, NULL,
	    0) == 0);
	br_bridge_on_room_state(x.br, &st);
	CHECK_EQ_INT(n_nmeta, 0);
	CHECK_EQ_STR(json_string_value(json_object_get(m_last(
	    "com.beeper.message_send_status"), "message")),
	    "cannot set room name for DM");
	json_decref(c);
	fx_close(&x);
}

TEST_MAIN()
