/*
 * bench/mx_as: throughput of the Matrix side, one process, one loop.
 *  1. appservice server: transactions per second the AS takes (PUT
 *     /_matrix/app/v1/transactions/N with EVENTS events each, CONC in
 *     flight, through matrix/'s own libcurl client on the same loop);
 *  2. client: events per second sent as a ghost (PUT .../send/...) to a
 *     stub homeserver served here with libwebsockets (answers every
 *     request with {"event_id":...}).
 * Reported, never asserted.
 *
 *   mx_as [SECONDS]   prints one JSON line:
 *   {"txn_per_s":..,"events_in_per_s":..,"sends_per_s":..}
 *
 *   mx_as SECONDS HS_URL AS_TOKEN DOMAIN ROOM_ID GHOST_MXID
 *     only step 2, against a real homeserver (bench/mx_as.sh starts a
 *     Synapse from test/synapse/, registers GHOST_MXID and has it create
 *     ROOM_ID); prints {"sends_per_s":..,"in_flight":..}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "matrix/mx.h"
#include "matrix/mx_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

#define EVENTS	10
#define CONC	8

static struct u_loop *loop;
static struct mx_appservice *as;
static struct mx_http *client;
static uint64_t deadline, events_seen, txns_done, sends_done, next_txn;
static char *txn_body;
static int in_flight;
static char url_base[128];

static void
on_event(void *arg, json_t *ev)
{
	events_seen++;
}

static void put_txn(void);

static void
txn_done(void *arg, int rc, int status, json_t *resp)
{
	in_flight--;
	if (rc != 0)
		fatalx("bench: transaction failed: %s (%d)", mx_strerror(rc), status);
	txns_done++;
	if (u_loop_now(loop) < deadline)
		put_txn();
	else if (in_flight == 0)
		u_loop_stop(loop);
}

static void
put_txn(void)
{
	struct mx_http_opts o = { 0 };
	char *url = u_asprintf("%s/_matrix/app/v1/transactions/%llu", url_base,
	    (unsigned long long)++next_txn);

	o.method = "PUT";
	o.url = url;
	o.token = "hst";
	o.body = txn_body;
	o.body_len = strlen(txn_body);
	o.idempotent = 1;
	o.done = txn_done;
	mx__http_start(client, &o);
	in_flight++;
	free(url);
}

/* --- stub homeserver --- */

static int
stub_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	static const char body[] = "{\"event_id\":\"$bench\"}";
	uint8_t buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start;
	uint8_t *end = buf + sizeof(buf) - 1;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
			goto reply;
		return 0;	/* wait for the body */
	case LWS_CALLBACK_HTTP_BODY:
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
reply:
		if (lws_add_http_common_headers(wsi, 200, "application/json",
		    sizeof(body) - 1, &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		memcpy(start, body, sizeof(body) - 1);
		if (lws_write(wsi, start, sizeof(body) - 1, LWS_WRITE_HTTP_FINAL) < 0)
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols stub_protocols[] = {
	{ "http", stub_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static struct mx_intent *ghost;
static json_t *content;
static const char *room_id = "!room:bench";

static void send_one(void);

static void
sent(void *arg, int rc, int status, json_t *resp)
{
	in_flight--;
	if (rc != 0)
		fatalx("bench: send failed: %s (%d)", mx_strerror(rc), status);
	sends_done++;
	if (u_loop_now(loop) < deadline)
		send_one();
	else if (in_flight == 0)
		u_loop_stop(loop);
}

static void
send_one(void)
{
	in_flight++;
	if (mx_intent_send(ghost, room_id, "m.room.message", content, 0,
	    sent, NULL) != 0)
		fatalx("bench: send refused");
}

/* Step 2 alone, against a real homeserver: the ghost must already be a
 * member of the room. */
static int
bench_homeserver(double secs, const char *hs, const char *as_token,
    const char *domain, const char *room, const char *ghost_mxid)
{
	struct mx_config cfg = { 0 };
	struct mx_callbacks cb = { 0 };
	uint64_t t0, t1;
	int i, r;

	loop = u_loop_new();
	cfg.hs_address = hs;
	cfg.domain = domain;
	cfg.as_id = "bench";
	cfg.as_token = as_token;
	cfg.hs_token = "hst";
	cfg.listen_host = "127.0.0.1";
	cfg.bot_localpart = "bot";
	cfg.username_template = "wa_{{.}}";
	cb.on_event = on_event;
	if ((r = mx_appservice_new(loop, &cfg, &cb, &as)) != 0)
		fatalx("bench: appservice: %s", mx_strerror(r));
	room_id = room;
	ghost = mx_intent_for(as, ghost_mxid);
	content = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", "hello");
	t0 = u_loop_now(loop);
	deadline = t0 + (uint64_t)(secs * 1000);
	for (i = 0; i < CONC; i++)
		send_one();
	u_loop_run(loop);
	t1 = u_loop_now(loop);
	printf("{\"sends_per_s\":%.0f,\"sends\":%llu,\"in_flight\":%d}\n",
	    sends_done / ((t1 - t0) / 1000.0), (unsigned long long)sends_done,
	    CONC);
	json_decref(content);
	mx_appservice_free(as);
	for (i = 0; i < 64; i++)
		if (uv_run(u_loop_uv(loop), UV_RUN_NOWAIT) == 0)
			break;
	u_loop_free(loop);
	return 0;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct lws_context_creation_info info;
	struct lws_context *stub;
	struct mx_config cfg = { 0 };
	struct mx_callbacks cb = { 0 };
	char hs[64];
	void *foreign[1];
	uint64_t t0, t1, t2;
	struct u_buf b;
	int i, r, stub_port;

	lws_set_log_level(LLL_ERR, NULL);
	if (argc == 7)
		return bench_homeserver(secs, argv[2], argv[3], argv[4], argv[5],
		    argv[6]);
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
	stub_port = lws_get_vhost_listen_port(lws_get_vhost_by_name(stub, "default"));
	snprintf(hs, sizeof(hs), "http://127.0.0.1:%d", stub_port);

	cfg.hs_address = hs;
	cfg.domain = "bench";
	cfg.as_id = "bench";
	cfg.as_token = "ast";
	cfg.hs_token = "hst";
	cfg.listen_host = "127.0.0.1";
	cfg.bot_localpart = "bot";
	cfg.username_template = "wa_{{.}}";
	cb.on_event = on_event;
	if ((r = mx_appservice_new(loop, &cfg, &cb, &as)) != 0)
		fatalx("bench: appservice: %s", mx_strerror(r));
	snprintf(url_base, sizeof(url_base), "http://127.0.0.1:%d",
	    mx_appservice_port(as));

	u_buf_init(&b, 0);
	u_buf_add_str(&b, "{\"events\":[");
	for (i = 0; i < EVENTS; i++)
		u_buf_printf(&b, "%s{\"type\":\"m.room.message\",\"sender\":"
		    "\"@alice:bench\",\"room_id\":\"!r:bench\",\"event_id\":\"$%d\","
		    "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\","
		    "\"body\":\"hello %d\"}}", i ? "," : "", i, i);
	u_buf_add_str(&b, "]}");
	txn_body = (char *)u_buf_steal(&b, NULL);

	/* 1. transactions into the AS */
	client = mx__http_new(loop, 100);
	t0 = u_loop_now(loop);
	deadline = t0 + (uint64_t)(secs * 1000);
	for (i = 0; i < CONC; i++)
		put_txn();
	u_loop_run(loop);
	t1 = u_loop_now(loop);

	/* 2. sends to the stub homeserver */
	ghost = mx_intent_for(as, "@wa_1:bench");
	content = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", "hello");
	deadline = t1 + (uint64_t)(secs * 1000);
	for (i = 0; i < CONC; i++)
		send_one();
	u_loop_run(loop);
	t2 = u_loop_now(loop);

	printf("{\"txn_per_s\":%.0f,\"events_in_per_s\":%.0f,\"sends_per_s\":%.0f,"
	    "\"events_per_txn\":%d,\"in_flight\":%d}\n",
	    txns_done / ((t1 - t0) / 1000.0), events_seen / ((t1 - t0) / 1000.0),
	    sends_done / ((t2 - t1) / 1000.0), EVENTS, CONC);
	json_decref(content);
	free(txn_body);
	mx__http_free(client);
	mx_appservice_free(as);
	lws_context_destroy(stub);
	for (i = 0; i < 64; i++)
		if (uv_run(u_loop_uv(loop), UV_RUN_NOWAIT) == 0)
			break;
	lws_context_destroy(stub);
	u_loop_free(loop);
	return 0;
}
