/*
 * bench/bridge: the bridge core end to end in one process, one loop:
 * the real core (bridge/: portals, FIFOs, conversions, the database on
 * SQLite) and the real Matrix side (bridge/mx_as.c on matrix/: appservice
 * server and client), with a stub homeserver served here (libwebsockets,
 * answers every call at once) and an in-memory WhatsApp side (struct
 * br_net implemented here: messages are injected as the WhatsApp adapter
 * would hand them over, sends complete on the next loop turn).  So what is
 * measured is what the bridge adds, not WhatsApp or Synapse.
 *
 *  1. memory: 1 login, PORTALS group chats with GHOSTS_PER members each;
 *     one message from every member creates every portal room and ghost;
 *     RSS (VmRSS, VmHWM) before and after.
 *  2. WhatsApp -> Matrix: messages handed to the core with CONC in flight
 *     (a new one each time one is done), over every portal: messages per
 *     second, and the added latency (handed over -> message_done, i.e.
 *     the Matrix event is sent and the message row stored) p50 / p99; also
 *     with 1 in flight (no queueing).
 *  3. Matrix -> WhatsApp: transactions of one m.room.message each PUT to
 *     the appservice (CONC in flight) in the portal rooms, from the login's
 *     owner: messages per second and the latency from the PUT to the
 *     WhatsApp side's send call, p50 / p99.
 * Reported, never asserted.  Usage: bridge [SECONDS] -> one JSON line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "bridge/bridge.h"
#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/portal_in.h"
#include "bridge/store.h"
#include "db/db.h"
#include "matrix/mx.h"
#include "matrix/mx_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

#define PORTALS		200
#define GHOSTS_PER	10
#define CONC		32
#define LAT_MAX		200000
#define OWNER		"@admin:bench"
#define LOGIN		"33600000001"

static struct u_loop *loop;
static struct br_bridge *br;
static struct br_mx *mx;

/* ---- stub homeserver ---- */

struct stub_sess {
	char	uri[512];
	int	get;
};

static unsigned long stub_seq;

static int
stub_reply(struct lws *wsi, struct stub_sess *s)
{
	uint8_t buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start;
	uint8_t *end = buf + sizeof(buf) - 1;
	char body[256];
	int status = 200, n;

	stub_seq++;
	if (strstr(s->uri, "/createRoom"))
		n = snprintf(body, sizeof(body), "{\"room_id\":\"!r%lu:bench\"}",
		    stub_seq);
	else if (strstr(s->uri, "/joined_rooms"))
		n = snprintf(body, sizeof(body), "{\"joined_rooms\":[]}");
	else if (strstr(s->uri, "/joined_members"))
		n = snprintf(body, sizeof(body), "{\"joined\":{}}");
	else if (strstr(s->uri, "/upload"))
		n = snprintf(body, sizeof(body),
		    "{\"content_uri\":\"mxc://bench/m%lu\"}", stub_seq);
	else if (strstr(s->uri, "/register"))
		n = snprintf(body, sizeof(body), "{\"user_id\":\"@x:bench\"}");
	else if (s->get && strstr(s->uri, "/state/")) {
		status = 404;
		n = snprintf(body, sizeof(body),
		    "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}");
	} else if (strstr(s->uri, "/join"))
		n = snprintf(body, sizeof(body), "{\"room_id\":\"!j:bench\"}");
	else
		n = snprintf(body, sizeof(body), "{\"event_id\":\"$e%lu\"}",
		    stub_seq);
	if (lws_add_http_common_headers(wsi, status, "application/json",
	    (lws_filepos_t)n, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	memcpy(start, body, (size_t)n);
	if (lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP_FINAL) < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
stub_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct stub_sess *s = user;
	static const enum lws_token_indexes toks[] = {
		WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_PUT_URI,
		WSI_TOKEN_DELETE_URI,
	};
	size_t i;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		s->uri[0] = '\0';
		s->get = 0;
		for (i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
			if (lws_hdr_total_length(wsi, toks[i]) > 0) {
				lws_hdr_copy(wsi, s->uri, sizeof(s->uri),
				    toks[i]);
				s->get = toks[i] == WSI_TOKEN_GET_URI;
				break;
			}
		if (s->get)
			return stub_reply(wsi, s);
		return 0;	/* wait for the body */
	case LWS_CALLBACK_HTTP_BODY:
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return stub_reply(wsi, s);
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols stub_protocols[] = {
	{ "http", stub_cb, sizeof(struct stub_sess), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- in-memory WhatsApp side ---- */

struct br_net_login {
	struct br_net_login_info info;
};

static struct br_net net;
static struct br_net_login login;

/* Messages handed over and not yet done: seq -> time handed over. */
static uint64_t *t_in;		/* indexed by seq */
static uint64_t n_done, n_sent, seq_next, seq_max, in_flight;
static double *lat;
static size_t nlat;
static int phase;		/* 1 memory, 2 WA->Matrix, 3 Matrix->WA */
static uint64_t deadline;
static uint64_t conc;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void inject(void);

static struct br_net_login *
n_login_get(struct br_net *n, const char *id)
{
	return strcmp(id, LOGIN) == 0 ? &login : NULL;
}

static size_t
n_logins_of(struct br_net *n, const char *mxid, struct br_net_login **v,
    size_t max)
{
	if (strcmp(mxid, OWNER) != 0 || max == 0)
		return 0;
	v[0] = &login;
	return 1;
}

static const struct br_net_login_info *
n_info(const struct br_net_login *l)
{
	return &l->info;
}

static void
n_message_done(struct br_net_login *l, uint64_t seq)
{
	if (seq < seq_max && t_in[seq] != 0) {
		if (nlat < LAT_MAX)
			lat[nlat++] = (double)(now_us() - t_in[seq]);
		t_in[seq] = 0;
	}
	n_done++;
	in_flight--;
	if (phase == 2 && u_loop_now(loop) < deadline)
		inject();
	else if (in_flight == 0)
		u_loop_stop(loop);
}

/* Group N's members: 33700000000 + N * GHOSTS_PER + k. */
static void
member_jid(char *out, size_t sz, unsigned group, unsigned k)
{
	snprintf(out, sz, "%llu@s.whatsapp.net",
	    33700000000ULL + group * GHOSTS_PER + k);
}

struct info_call {
	char		 chat[64];
	br_net_done_fn	 done;
	void		*arg;
};

static void
info_complete(void *arg)
{
	struct info_call *c = arg;
	struct br_net_member m[GHOSTS_PER + 1];
	char jids[GHOSTS_PER][48], name[32];
	struct br_net_chat_info info;
	struct br_net_result r;
	unsigned g = (unsigned)strtoul(c->chat + 12, NULL, 10), k;

	memset(&info, 0, sizeof(info));
	memset(m, 0, sizeof(m));
	for (k = 0; k < GHOSTS_PER; k++) {
		member_jid(jids[k], sizeof(jids[k]), g, k);
		m[k].user = jids[k];
		m[k].role = k == 0 ? BR_NET_ADMIN : BR_NET_MEMBER;
	}
	m[GHOSTS_PER].user = LOGIN "@s.whatsapp.net";
	snprintf(name, sizeof(name), "Group %u", g);
	info.chat = c->chat;
	info.is_group = 1;
	info.name = name;
	info.members = m;
	info.n_members = GHOSTS_PER + 1;
	memset(&r, 0, sizeof(r));
	r.info = &info;
	c->done(c->arg, 0, &r);
	free(c);
}

static int
n_chat_info(struct br_net_login *l, const char *chat, br_net_done_fn done,
    void *arg)
{
	struct info_call *c = u_calloc(1, sizeof(*c));

	snprintf(c->chat, sizeof(c->chat), "%s", chat);
	c->done = done;
	c->arg = arg;
	u_loop_defer(loop, info_complete, c);
	return 0;
}

struct send_call {
	br_net_done_fn	 done;
	void		*arg;
	char		 id[32];
};

static void
send_complete(void *arg)
{
	struct send_call *c = arg;
	struct br_net_result r;

	memset(&r, 0, sizeof(r));
	r.id = c->id;
	r.ts_ms = 1700000000000ULL;
	c->done(c->arg, 0, &r);
	free(c);
}

/* Matrix -> WhatsApp: the time each transaction was PUT, by body text. */
static uint64_t *t_put;

static int
n_send(struct br_net_login *l, const char *chat,
    const struct br_net_content *ct, br_net_done_fn done, void *arg)
{
	struct send_call *c = u_calloc(1, sizeof(*c));
	unsigned long k;

	if (ct->text != NULL && strncmp(ct->text, "out ", 4) == 0) {
		k = strtoul(ct->text + 4, NULL, 10);
		if (k < seq_max && t_put[k] != 0 && nlat < LAT_MAX) {
			lat[nlat++] = (double)(now_us() - t_put[k]);
			t_put[k] = 0;
		}
	}
	n_sent++;
	snprintf(c->id, sizeof(c->id), "3EB0%018llX",
	    (unsigned long long)n_sent);
	c->done = done;
	c->arg = arg;
	u_loop_defer(loop, send_complete, c);
	return 0;
}

static int
n_mark_read(struct br_net_login *l, const char *chat, const char *sender,
    const char *const *ids, size_t n)
{
	return 0;
}

static int
n_set_typing(struct br_net_login *l, const char *chat,
    enum br_net_chatstate st)
{
	return 0;
}

static const struct br_net_ops net_ops = {
	.name = "bench",
	.login_get = n_login_get,
	.logins_of = n_logins_of,
	.info = n_info,
	.message_done = n_message_done,
	.chat_info = n_chat_info,
	.send = n_send,
	.mark_read = n_mark_read,
	.set_typing = n_set_typing,
};

/* ---- WhatsApp -> Matrix ---- */

static uint64_t inject_k;

static void
inject(void)
{
	struct br_net_message m;
	char chat[64], sender[48], id[32], text[64];
	unsigned g, k;
	uint64_t seq;

	if (seq_next >= seq_max)
		return;
	seq = seq_next++;
	if (phase == 1) {
		g = (unsigned)(inject_k / GHOSTS_PER);
		k = (unsigned)(inject_k % GHOSTS_PER);
	} else {
		g = (unsigned)(inject_k % PORTALS);
		k = (unsigned)((inject_k / PORTALS) % GHOSTS_PER);
	}
	inject_k++;
	snprintf(chat, sizeof(chat), "120363000000%06u@g.us", g);
	member_jid(sender, sizeof(sender), g, k);
	snprintf(id, sizeof(id), "3EB0B%017llX", (unsigned long long)seq);
	snprintf(text, sizeof(text), "message %llu", (unsigned long long)seq);
	memset(&m, 0, sizeof(m));
	m.seq = seq;
	m.chat = chat;
	m.id = id;
	m.sender = sender;
	m.sender_name = "Member";
	m.is_group = 1;
	m.ts_ms = 1700000000000ULL + seq;
	m.c.kind = BR_NET_KIND_TEXT;
	m.c.text = text;
	t_in[seq] = now_us();
	in_flight++;
	br_portal_in_on_message(br, &login, &m);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t i;

	if (nlat == 0)
		return 0;
	qsort(lat, nlat, sizeof(lat[0]), cmp_d);
	i = (size_t)(p * (double)(nlat - 1));
	return lat[i] / 1000.0;
}

static long
status_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static void
on_deadline(void *arg)
{
	u_loop_stop(loop);
}

/* Run the loop until stopped or a hard limit (a stuck bridge fails the
 * bench instead of hanging it). */
static void
run_for(unsigned ms)
{
	struct u_timer *t = u_timer_new(loop, on_deadline, NULL);

	u_timer_start(t, ms, 0);
	u_loop_run(loop);
	u_timer_stop(t);
	u_timer_free(t);
}

static void
wa_to_mx(double secs, uint64_t c, double *rate, double *p50, double *p99)
{
	uint64_t t0, done0 = n_done, i;

	phase = 2;
	conc = c;
	nlat = 0;
	t0 = now_us();
	deadline = u_loop_now(loop) + (uint64_t)(secs * 1000);
	for (i = 0; i < c; i++)
		inject();
	run_for((unsigned)(secs * 1000) + 60000);
	*rate = (double)(n_done - done0) / ((double)(now_us() - t0) / 1e6);
	*p50 = pct(0.50);
	*p99 = pct(0.99);
}

/* ---- Matrix -> WhatsApp ---- */

static struct mx_http *client;
static char as_url[128];
static char **rooms;
static size_t nrooms;
static uint64_t put_k, puts_done;

static void put_one(void);

static void
put_done(void *arg, int rc, int status, json_t *resp)
{
	in_flight--;
	if (rc != 0)
		fatalx("bench: transaction failed: %s (%d)", mx_strerror(rc),
		    status);
	puts_done++;
	if (u_loop_now(loop) < deadline)
		put_one();
	else if (in_flight == 0)
		u_loop_stop(loop);
}

static void
put_one(void)
{
	struct mx_http_opts o = { 0 };
	char *url, *body;
	uint64_t k = put_k++;

	if (k >= seq_max)
		return;
	url = u_asprintf("%s/_matrix/app/v1/transactions/b%llu", as_url,
	    (unsigned long long)k);
	body = u_asprintf("{\"events\":[{\"type\":\"m.room.message\","
	    "\"sender\":\"" OWNER "\",\"room_id\":\"%s\",\"event_id\":"
	    "\"$out%llu\",\"origin_server_ts\":1700000000000,\"content\":"
	    "{\"msgtype\":\"m.text\",\"body\":\"out %llu\"}}]}",
	    rooms[k % nrooms], (unsigned long long)k, (unsigned long long)k);
	o.method = "PUT";
	o.url = url;
	o.token = "hst";
	o.body = body;
	o.body_len = strlen(body);
	o.idempotent = 1;
	o.done = put_done;
	t_put[k] = now_us();
	in_flight++;
	mx__http_start(client, &o);
	free(url);
	free(body);
}

static void
mx_to_wa(double secs, uint64_t c, double *rate, double *p50, double *p99)
{
	uint64_t t0, sent0 = n_sent, i;

	phase = 3;
	nlat = 0;
	in_flight = 0;
	t0 = now_us();
	deadline = u_loop_now(loop) + (uint64_t)(secs * 1000);
	for (i = 0; i < c; i++)
		put_one();
	run_for((unsigned)(secs * 1000) + 60000);
	/* Let the last sends reach the WhatsApp side. */
	*rate = (double)(n_sent - sent0) / ((double)(now_us() - t0) / 1e6);
	*p50 = pct(0.50);
	*p99 = pct(0.99);
}

/* ---- set-up ---- */

static const char cfg_fmt[] =
    "homeserver:\n"
    "    address: %s\n"
    "    domain: bench\n"
    "appservice:\n"
    "    hostname: 127.0.0.1\n"
    "    port: 0\n"
    "    as_token: ast\n"
    "    hs_token: hst\n"
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"bench\": user\n"
    "        \"" OWNER "\": admin\n"
    "logging:\n"
    "    min_level: warn\n";

static void
load_rooms(struct db *db)
{
	struct br_portal **v = NULL;
	size_t i;

	if (br_store_portal_list_with_room(db, &v) < 0)
		fatalx("bench: portal list");
	for (i = 0; v[i] != NULL; i++)
		;
	rooms = u_calloc(i + 1, sizeof(*rooms));
	for (i = 0; v[i] != NULL; i++)
		rooms[nrooms++] = u_strdup(v[i]->mxid);
	br_portal_list_free(v);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct lws_context_creation_info info;
	struct lws_context *stub;
	struct br_config_opts co = { 0 };
	static char *const noenv[] = { NULL };
	struct br_mx_handlers h;
	struct br_config *cfg;
	struct br_user u;
	struct br_login lg;
	struct db *db;
	char hs[64], err[256], path[64], uri[128], *yaml;
	void *foreign[1];
	long rss0, rss1, hwm1;
	double r2, a50, a99, r1, b50, b99, r3, c50, c99;
	uint64_t t0, t1;
	int fd, port;
	struct u_log_config lc = { 0 };

	lws_set_log_level(LLL_ERR, NULL);
	lc.min_level = U_LOG_WARN;
	lc.stdout_enabled = 0;
	u_log_setup(&lc);
	loop = u_loop_new();
	foreign[0] = u_loop_uv(loop);
	memset(&info, 0, sizeof(info));
	info.port = 0;
	info.iface = "127.0.0.1";
	info.protocols = stub_protocols;
	info.options = LWS_SERVER_OPTION_LIBUV;
	info.foreign_loops = foreign;
	if ((stub = lws_create_context(&info)) == NULL)
		fatalx("bench: stub server");
	port = lws_get_vhost_listen_port(lws_get_vhost_by_name(stub,
	    "default"));
	snprintf(hs, sizeof(hs), "http://127.0.0.1:%d", port);

	yaml = u_asprintf(cfg_fmt, hs);
	co.envp = noenv;
	if (br_config_load_mem("bench.yaml", yaml, strlen(yaml), &co, &cfg,
	    err, sizeof(err)) < 0)
		fatalx("bench: config: %s", err);
	free(yaml);
	snprintf(path, sizeof(path), "/tmp/ponton-bench-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		fatal("bench: mkstemp");
	close(fd);
	snprintf(uri, sizeof(uri), "file:%s?_txlock=immediate", path);
	if (db_open(&db, "sqlite3-fk-wal", uri, NULL) < 0 ||
	    db_upgrade(db) < 0)
		fatalx("bench: database: %s", db_open_errmsg());
	memset(&u, 0, sizeof(u));
	u.mxid = (char *)OWNER;
	memset(&lg, 0, sizeof(lg));
	lg.id = (char *)LOGIN;
	lg.user_mxid = (char *)OWNER;
	lg.remote_name = (char *)"+" LOGIN;
	if (br_store_user_insert(db, &u) < 0 ||
	    br_store_login_insert(db, &lg) < 0)
		fatalx("bench: user/login rows");

	net.ops = &net_ops;
	login.info.id = LOGIN;
	login.info.user_mxid = OWNER;
	login.info.remote_name = "+" LOGIN;
	login.info.state.event = BR_NET_CONNECTED;
	br = br_bridge_new(cfg, db);
	br_bridge_handlers(br, &h);
	if (br_mx_as_new(loop, cfg, 1, &h, &mx) != 0)
		fatalx("bench: appservice");
	br_bridge_set_mx(br, mx);
	br_bridge_set_net(br, &net);
	br_portals_set_ready(br->portals, 1);
	snprintf(as_url, sizeof(as_url), "http://127.0.0.1:%d",
	    br_mx_as_port(mx));

	seq_max = 2000000;
	t_in = u_calloc(seq_max, sizeof(*t_in));
	t_put = u_calloc(seq_max, sizeof(*t_put));
	lat = u_calloc(LAT_MAX, sizeof(*lat));

	/* 1. memory: every portal and ghost made by one message each. */
	rss0 = status_kb("VmRSS:");
	phase = 1;
	t0 = now_us();
	{
		uint64_t i;

		for (i = 0; i < (uint64_t)PORTALS * GHOSTS_PER; i++)
			inject();
	}
	run_for(600000);
	t1 = now_us();
	if (n_done != (uint64_t)PORTALS * GHOSTS_PER)
		fatalx("bench: only %llu of %d first messages bridged",
		    (unsigned long long)n_done, PORTALS * GHOSTS_PER);
	rss1 = status_kb("VmRSS:");
	hwm1 = status_kb("VmHWM:");

	/* 2. WhatsApp -> Matrix. */
	wa_to_mx(secs, 1, &r1, &b50, &b99);
	wa_to_mx(secs, CONC, &r2, &a50, &a99);

	/* 3. Matrix -> WhatsApp, in the rooms made above. */
	load_rooms(db);
	client = mx__http_new(loop, 100);
	mx_to_wa(secs, CONC, &r3, &c50, &c99);

	printf("{\"portals\":%d,\"ghosts\":%d,\"setup_s\":%.2f,"
	    "\"rss_kb_before\":%ld,\"rss_kb\":%ld,\"hwm_kb\":%ld,"
	    "\"wa_to_mx_per_s\":%.0f,\"wa_to_mx_p50_ms\":%.2f,"
	    "\"wa_to_mx_p99_ms\":%.2f,\"wa_to_mx_1_per_s\":%.0f,"
	    "\"wa_to_mx_1_p50_ms\":%.2f,\"wa_to_mx_1_p99_ms\":%.2f,"
	    "\"mx_to_wa_per_s\":%.0f,\"mx_to_wa_p50_ms\":%.2f,"
	    "\"mx_to_wa_p99_ms\":%.2f,\"conc\":%d,\"rooms\":%zu}\n",
	    PORTALS, PORTALS * GHOSTS_PER, (double)(t1 - t0) / 1e6, rss0, rss1,
	    hwm1, r2, a50, a99, r1, b50, b99, r3, c50, c99, CONC, nrooms);

	mx__http_free(client);
	br_bridge_stop(br);
	br_mx_as_free(mx);
	br_bridge_free(br);
	lws_context_destroy(stub);
	db_close(db);
	br_config_free(cfg);
	unlink(path);
	return 0;
}
