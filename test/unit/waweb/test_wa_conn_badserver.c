/*
 * Tests for waweb/conn.c against a hostile server: an in-process websocket
 * server on 127.0.0.1 answers the client hello with junk (bytes that are
 * not a handshake message, a frame longer than allowed, a text message,
 * an abrupt close).  The client must log, drop the connection and
 * reconnect with backoff, never crash, and be stoppable cleanly.
 */
#include <string.h>

#include <libwebsockets.h>

#include "test/unit/test.h"
#include "util/log.h"
#include "util/loop.h"
#include "waweb/client.h"

enum mode { M_JUNK_FRAME, M_HUGE_LENGTH, M_TEXT, M_CLOSE, M_JUNK_NO_FRAME };

struct srv {
	enum mode	 mode;
	int		 conns;		/* connections accepted */
	int		 replied;
};

static struct srv srv;

static int
srv_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	unsigned char buf[LWS_PRE + 64];
	unsigned char *p = buf + LWS_PRE;
	size_t n = 0;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		srv.conns++;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		/* The client hello arrived: answer with trouble. */
		if (srv.mode == M_CLOSE)
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		switch (srv.mode) {
		case M_JUNK_FRAME:	/* a frame holding no HandshakeMessage */
			p[0] = 0; p[1] = 0; p[2] = 8;
			memcpy(p + 3, "\xff\xfe\xfd\xfc\x01\x02\x03\x04", 8);
			n = 11;
			break;
		case M_HUGE_LENGTH:	/* 16 MiB - 1 declared, then silence */
			p[0] = 0xff; p[1] = 0xff; p[2] = 0xff;
			memset(p + 3, 0x41, 20);
			n = 23;
			break;
		case M_JUNK_NO_FRAME:	/* 2 bytes: an incomplete length */
			p[0] = 0x00; p[1] = 0x00;
			n = 2;
			break;
		case M_TEXT:
			memcpy(p, "hello", 5);
			lws_write(wsi, p, 5, LWS_WRITE_TEXT);
			srv.replied++;
			return 0;
		default:
			return -1;
		}
		lws_write(wsi, p, n, LWS_WRITE_BINARY);
		srv.replied++;
		if (srv.mode == M_HUGE_LENGTH || srv.mode == M_JUNK_NO_FRAME)
			return -1;	/* and hang up mid-frame */
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols srv_protocols[] = {
	{ "bad", srv_cb, 0, 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

struct watch {
	struct u_loop	*loop;
	int		 reconnect_waits;
	int		 connected;
	int		 qr;
	char		 last_reason[128];
};

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct watch *w = arg;

	if (cur == WA_STATE_WAIT_RECONNECT) {
		w->reconnect_waits++;
		snprintf(w->last_reason, sizeof(w->last_reason), "%s", reason);
	}
	if (cur == WA_STATE_CONNECTED)
		w->connected++;
}

static void
on_qr(void *arg, const char *qr)
{
	((struct watch *)arg)->qr++;
}

static void
stop_loop(void *arg)
{
	u_loop_stop(arg);
}

/* Run the client against the bad server for ms; returns what it saw. */
static void
run(enum mode mode, unsigned ms, struct watch *w)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct wa_client *c;
	struct u_timer *t;
	struct u_loop *loop = u_loop_new();
	struct wa_store_mem *m = wa_store_mem_new();
	struct wa_client_opts o;
	struct wa_client_cbs cbs = { .on_state = on_state, .on_qr = on_qr };
	void *foreign[1] = { u_loop_uv(loop) };
	char url[64];

	memset(&srv, 0, sizeof(srv));
	srv.mode = mode;
	memset(w, 0, sizeof(*w));
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.foreign_loops = foreign;
	info.port = CONTEXT_PORT_NO_LISTEN;
	ctx = lws_create_context(&info);
	memset(&info, 0, sizeof(info));
	info.iface = "127.0.0.1";
	info.port = 0;
	info.protocols = srv_protocols;
	info.options = LWS_SERVER_OPTION_LIBUV;
	vh = lws_create_vhost(ctx, &info);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws/chat",
	    lws_get_vhost_listen_port(vh));

	memset(&o, 0, sizeof(o));
	o.url = url;
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 80;
	c = wa_client_new(loop, &o, &wa_store_mem_ops, m, &cbs, w);
	if (wa_client_start(c) == 0) {
		t = u_timer_new(loop, stop_loop, loop);
		u_timer_start(t, ms, 0);
		u_loop_run(loop);
		u_timer_free(t);
	}
	wa_client_free(c);
	wa_client_shutdown(loop);
	lws_context_destroy(ctx);
	for (int i = 0; i < 64; i++)
		uv_run(u_loop_uv(loop), UV_RUN_NOWAIT);
	lws_context_destroy(ctx);
	u_loop_free(loop);
	wa_store_mem_free(m);
}

TEST(test_wa_conn_junk_handshake_reconnects_with_backoff)
{
	struct watch w;

	run(M_JUNK_FRAME, 1500, &w);
	CHECK(srv.conns >= 3);
	CHECK(w.reconnect_waits >= 3);
	CHECK(w.connected == 0 && w.qr == 0);
	CHECK(strstr(w.last_reason, "handshake") != NULL);
}

TEST(test_wa_conn_oversized_frame_then_hangup_reconnects)
{
	struct watch w;

	run(M_HUGE_LENGTH, 1500, &w);
	CHECK(srv.conns >= 3);
	CHECK(w.reconnect_waits >= 3);
	CHECK(w.connected == 0);
}

TEST(test_wa_conn_partial_length_then_hangup_reconnects)
{
	struct watch w;

	run(M_JUNK_NO_FRAME, 1500, &w);
	CHECK(srv.conns >= 3);
	CHECK(w.reconnect_waits >= 3);
}

TEST(test_wa_conn_text_message_is_refused)
{
	struct watch w;

	run(M_TEXT, 1500, &w);
	CHECK(srv.conns >= 2);
	CHECK(w.reconnect_waits >= 2);
	CHECK(w.connected == 0);
}

TEST(test_wa_conn_server_hangup_reconnects)
{
	struct watch w;

	run(M_CLOSE, 1500, &w);
	CHECK(srv.conns >= 3);
	CHECK(w.reconnect_waits >= 3);
}

TEST(test_wa_conn_backoff_limits_attempts)
{
	struct watch w;

	/* 20 ms doubling to 80 ms: in 1 s at most ~1000/64 + a few tries,
	 * never a tight loop. */
	run(M_CLOSE, 1000, &w);
	CHECK(srv.conns <= 25);
}

TEST_MAIN()
