/*
 * Tests for waweb/conn.c after a correct handshake: an in-process server
 * (Noise responder, certificate chain from a test root) completes the
 * handshake, then misbehaves: a frame that does not decrypt, a node that
 * does not decode, a reply to an iq nobody sent, a login failure 405.
 * The client must drop and reconnect (or stop in CLIENT_OUTDATED), never
 * crash.  With a stored session: after <success> a server that answers
 * nothing makes the keepalive time out (reconnect); one that answers every
 * iq gets the prekey upload, passive/active and keepalive pings.  Also: a server whose chain leads to another root is refused
 * before any payload is sent.
 */
#include <string.h>

#include <libwebsockets.h>

#include "crypto/cry.h"
#include "test/unit/test.h"
#include "util/buf.h"
#include "util/loop.h"
#include "waweb/cert.h"
#include "waweb/client.h"
#include "waweb/frame.h"
#include "waweb/node.h"
#include "waweb/noise.h"

enum mode { M_BAD_CIPHER, M_BAD_NODE, M_UNKNOWN_IQ_THEN_405, M_OTHER_ROOT,
    M_SUCCESS_SILENT, M_SUCCESS_ANSWERS, M_LOW_PREKEYS };

struct fs {
	enum mode		 mode;
	struct cry_keypair	 root, other_root, stat;
	struct u_buf		 chain;
	int			 conns, finished, sent;
	int			 pings, uploaded, active;
	int			 freed, pings_after_free;
	int			 uploads, acks;
};

struct pss {
	struct wa_frame_dec		 dec;
	struct wa_noise_hs		*hs;
	struct wa_noise_transport	*t;
	struct u_buf			 out;	/* pending frames */
	struct lws			*wsi;
};

static struct fs fs;

static void
queue_node(struct pss *p, struct wa_node *n)
{
	struct u_buf plain;

	u_buf_init(&plain, 0);
	wa_node_encode_frame(n, &plain);
	wa_noise_encrypt_frame(p->t, plain.p, plain.len, &p->out);
	u_buf_free(&plain);
	wa_node_free(n);
}

static void
misbehave(struct pss *p)
{
	static const uint8_t junk_node[] = { 0, 0xf8, 0x05, 0xff, 0xff, 0xff };
	struct wa_node *n;
	struct u_buf tmp;

	switch (fs.mode) {
	case M_BAD_CIPHER:	/* 40 random bytes as a frame: tag mismatch */
		u_buf_init(&tmp, 0);
		u_buf_reserve(&tmp, 40);
		cry_random(tmp.p, 40);
		tmp.len = 40;
		wa_frame_write(&p->out, tmp.p, tmp.len);
		u_buf_free(&tmp);
		break;
	case M_BAD_NODE:	/* decrypts fine, is not a node */
		wa_noise_encrypt_frame(p->t, junk_node, sizeof(junk_node), &p->out);
		break;
	case M_UNKNOWN_IQ_THEN_405:
		n = wa_node_new("iq");
		wa_node_set_attr(n, "type", "result");
		wa_node_set_attr(n, "id", "no-such-request");
		queue_node(p, n);
		n = wa_node_new("failure");
		wa_node_set_attr(n, "reason", "405");
		queue_node(p, n);
		break;
	case M_SUCCESS_SILENT:
	case M_SUCCESS_ANSWERS:
	case M_LOW_PREKEYS:
		n = wa_node_new("success");
		wa_node_set_attr(n, "t", "1700000000");
		wa_node_set_attr(n, "lid", "100000000000042:3@lid");
		queue_node(p, n);
		break;
	default:
		break;
	}
	fs.sent++;
}

/* M_SUCCESS_ANSWERS: answer each iq like a tolerant server. */
static void
answer(struct pss *p, const struct wa_node *req)
{
	const char *xmlns = wa_node_attr(req, "xmlns");
	struct wa_node *res, *cnt;

	if (strcmp(req->tag, "ack") == 0 && wa_node_attr(req, "id") != NULL &&
	    strcmp(wa_node_attr(req, "id"), "n-low-1") == 0)
		fs.acks++;
	if (strcmp(req->tag, "iq") != 0 || wa_node_attr(req, "id") == NULL)
		return;
	if (xmlns != NULL && strcmp(xmlns, "w:p") == 0) {
		fs.pings++;
		fs.pings_after_free += fs.freed;
	}
	if (xmlns != NULL && strcmp(xmlns, "encrypt") == 0 &&
	    wa_node_child(req, "list") != NULL) {
		fs.uploaded = (int)wa_node_child(req, "list")->nchildren;
		fs.uploads++;
	}
	if (xmlns != NULL && strcmp(xmlns, "passive") == 0)
		fs.active++;
	res = wa_node_new("iq");
	wa_node_set_attr(res, "type", "result");
	wa_node_set_attr(res, "id", wa_node_attr(req, "id"));
	wa_node_set_attr(res, "from", "s.whatsapp.net");
	if (wa_node_child(req, "count") != NULL) {
		cnt = wa_node_new("count");
		wa_node_set_attr(cnt, "value", "0");
		wa_node_add_child(res, cnt);
	}
	queue_node(p, res);
	if (fs.mode == M_LOW_PREKEYS && xmlns != NULL &&
	    strcmp(xmlns, "passive") == 0) {
		/* Logged in: the server says it is running out of prekeys. */
		struct wa_node *nt = wa_node_new("notification");

		wa_node_set_attr(nt, "type", "encrypt");
		wa_node_set_attr(nt, "id", "n-low-1");
		wa_node_set_attr(nt, "from", "s.whatsapp.net");
		cnt = wa_node_new("count");
		wa_node_set_attr(cnt, "value", "2");
		wa_node_add_child(nt, cnt);
		queue_node(p, nt);
	}
}

static int
on_frame(void *arg, const uint8_t *f, size_t len)
{
	struct pss *p = arg;
	uint8_t *payload = NULL;
	size_t plen = 0;
	struct u_buf msg;

	if (p->hs == NULL && p->t == NULL) {
		const struct cry_keypair *root =
		    fs.mode == M_OTHER_ROOT ? &fs.other_root : &fs.root;

		p->hs = wa_noise_hs_new(WA_NOISE_RESPONDER, &fs.stat,
		    wa_frame_dec_intro(&p->dec), WA_FRAME_INTRO_LEN);
		if (wa_noise_read_client_hello(p->hs, f, len) != 0)
			return -1;
		u_buf_free(&fs.chain);
		u_buf_init(&fs.chain, 0);
		wa_cert_issue_chain(root, fs.stat.pub, NULL, &fs.chain);
		u_buf_init(&msg, 0);
		wa_noise_write_server_hello(p->hs, fs.chain.p, fs.chain.len, &msg);
		wa_frame_write(&p->out, msg.p, msg.len);
		u_buf_free(&msg);
		return 0;
	}
	if (p->t == NULL) {
		if (wa_noise_read_client_finish(p->hs, f, len, &payload, &plen) != 0)
			return -1;
		free(payload);
		wa_noise_hs_split(p->hs, &p->t);
		wa_noise_hs_free(p->hs);
		p->hs = NULL;
		fs.finished++;
		misbehave(p);
		return 0;
	}
	if (fs.mode == M_SUCCESS_ANSWERS || fs.mode == M_LOW_PREKEYS) {
		struct u_buf pt;
		struct wa_node *n = NULL;

		u_buf_init(&pt, 0);
		if (wa_noise_decrypt(p->t, f, len, &pt) == 0 &&
		    wa_node_decode_frame(pt.p, pt.len, &n) == 0)
			answer(p, n);
		wa_node_free(n);
		u_buf_free(&pt);
	}
	return 0;	/* M_SUCCESS_SILENT: ignore everything */
}

static int
srv_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss *p = user;
	uint8_t *buf;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof(*p));
		wa_frame_dec_init(&p->dec, 0, WA_FRAME_DEC_INTRO);
		u_buf_init(&p->out, 0);
		p->wsi = wsi;
		fs.conns++;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (wa_frame_dec_feed(&p->dec, in, len, on_frame, p) != 0)
			return -1;
		if (p->out.len > 0)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (p->out.len == 0)
			return 0;
		buf = malloc(LWS_PRE + p->out.len);
		memcpy(buf + LWS_PRE, p->out.p, p->out.len);
		lws_write(wsi, buf + LWS_PRE, p->out.len, LWS_WRITE_BINARY);
		free(buf);
		u_buf_reset(&p->out);
		return 0;
	case LWS_CALLBACK_CLOSED:
		wa_frame_dec_free(&p->dec);
		wa_noise_hs_free(p->hs);
		wa_noise_transport_free(p->t);
		u_buf_free(&p->out);
		memset(p, 0, sizeof(*p));
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols srv_protocols[] = {
	{ "fake", srv_cb, sizeof(struct pss), 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

struct watch {
	int	 waits, outdated, connected, pairing;
	char	 reason[160];
};

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct watch *w = arg;

	if (cur == WA_STATE_WAIT_RECONNECT) {
		w->waits++;
		snprintf(w->reason, sizeof(w->reason), "%s", reason);
	}
	w->outdated += cur == WA_STATE_CLIENT_OUTDATED;
	w->connected += cur == WA_STATE_CONNECTED;
	w->pairing += cur == WA_STATE_PAIRING;
}

static void
stop_loop(void *arg)
{
	u_loop_stop(arg);
}

static enum wa_state
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
	struct wa_client_cbs cbs = { .on_state = on_state };
	void *foreign[1] = { u_loop_uv(loop) };
	enum wa_state end = WA_STATE_IDLE;
	char url[64];

	cry_init();
	memset(&fs, 0, sizeof(fs));
	fs.mode = mode;
	cry_keypair_generate(&fs.root);
	cry_keypair_generate(&fs.other_root);
	cry_keypair_generate(&fs.stat);
	u_buf_init(&fs.chain, 0);
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
	o.trust_root = fs.root.pub;
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 80;
	o.keepalive_ms = 300;
	if (mode == M_SUCCESS_SILENT || mode == M_SUCCESS_ANSWERS ||
	    mode == M_LOW_PREKEYS) {
		/* A stored session, so that the client logs in. */
		struct wa_device d;

		wa_device_generate(&d);
		d.jid = strdup("33600000042:3@s.whatsapp.net");
		d.adv_details = (uint8_t *)strdup("x");
		d.adv_details_len = 1;
		wa_store_mem_ops.device_save(m, &d);
		wa_device_clear(&d);
	}
	c = wa_client_new(loop, &o, &wa_store_mem_ops, m, &cbs, w);
	if (wa_client_start(c) == 0) {
		t = u_timer_new(loop, stop_loop, loop);
		u_timer_start(t, ms, 0);
		u_loop_run(loop);
		u_timer_free(t);
	}
	end = wa_client_state(c);
	wa_client_free(c);
	wa_client_shutdown(loop);
	lws_context_destroy(ctx);
	for (int i = 0; i < 64; i++)
		uv_run(u_loop_uv(loop), UV_RUN_NOWAIT);
	lws_context_destroy(ctx);
	u_loop_free(loop);
	wa_store_mem_free(m);
	u_buf_free(&fs.chain);
	return end;
}

TEST(test_wa_conn_undecryptable_frame_reconnects)
{
	struct watch w;

	run(M_BAD_CIPHER, 1500, &w);
	CHECK(fs.finished >= 2);
	CHECK(w.waits >= 2);
	CHECK(w.pairing >= 2);	/* the handshake itself worked each time */
	CHECK(strstr(w.reason, "undecryptable") != NULL);
}

TEST(test_wa_conn_malformed_node_reconnects)
{
	struct watch w;

	run(M_BAD_NODE, 1500, &w);
	CHECK(fs.finished >= 2);
	CHECK(w.waits >= 2);
	CHECK(strstr(w.reason, "malformed node") != NULL);
}

TEST(test_wa_conn_unknown_iq_dropped_then_405_is_terminal)
{
	struct watch w;
	enum wa_state end;

	end = run(M_UNKNOWN_IQ_THEN_405, 1500, &w);
	CHECK_EQ_INT(fs.conns, 1);	/* no reconnect after 405 */
	CHECK_EQ_INT(w.outdated, 1);
	CHECK_EQ_INT(w.waits, 0);
	/* The client stops itself when freed; before that it sat in
	 * CLIENT_OUTDATED, which wa_client_state reported. */
	CHECK(end == WA_STATE_CLIENT_OUTDATED);
}

TEST(test_wa_conn_other_root_refused_before_payload)
{
	struct watch w;

	run(M_OTHER_ROOT, 1200, &w);
	CHECK(fs.conns >= 2);
	CHECK_EQ_INT(fs.finished, 0);	/* never got a ClientFinish */
	CHECK_EQ_INT(w.pairing, 0);
	CHECK(strstr(w.reason, "untrusted server certificate") != NULL);
}

TEST(test_wa_conn_keepalive_timeout_reconnects)
{
	struct watch w;

	run(M_SUCCESS_SILENT, 2500, &w);
	CHECK(fs.finished >= 2);
	CHECK(w.waits >= 1);
	CHECK_EQ_INT(w.connected, 0);
	CHECK(strstr(w.reason, "keepalive") != NULL);
}

TEST(test_wa_conn_login_uploads_prekeys_goes_active_and_pings)
{
	struct watch w;

	run(M_SUCCESS_ANSWERS, 1500, &w);
	CHECK_EQ_INT(fs.conns, 1);
	CHECK_EQ_INT(w.connected, 1);
	CHECK_EQ_INT(w.waits, 0);
	CHECK_EQ_INT(fs.uploaded, 812);	/* server and store both empty */
	CHECK_EQ_INT(fs.active, 1);
	CHECK(fs.pings >= 2);		/* every 300 ms, answered */
}

TEST(test_wa_conn_low_prekey_notification_tops_up)
{
	struct watch w;

	run(M_LOW_PREKEYS, 1500, &w);
	CHECK_EQ_INT(w.connected, 1);
	CHECK_EQ_INT(fs.acks, 1);	/* the notification was acked */
	CHECK_EQ_INT(fs.uploads, 2);	/* 812 at login, then a batch */
	CHECK_EQ_INT(fs.uploaded, 50);
}

struct two {
	struct u_loop		*loop;
	struct wa_client	*a;
};

static void
free_a(void *arg)
{
	struct two *t = arg;

	/* From a loop callback (not a's own): must not re-enter the loop. */
	wa_client_free(t->a);
	t->a = NULL;
	fs.freed = 1;
}

TEST(test_wa_conn_two_clients_share_a_context_and_free_from_a_callback)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct wa_client *b;
	struct u_timer *t1, *t2;
	struct wa_store_mem *ma = wa_store_mem_new(), *mb = wa_store_mem_new();
	struct wa_client_opts o;
	struct watch wa, wb;
	struct wa_client_cbs cbs = { .on_state = on_state };
	struct two two;
	struct wa_device d;
	char url[64];
	void *foreign[1];

	cry_init();
	memset(&fs, 0, sizeof(fs));
	fs.mode = M_SUCCESS_ANSWERS;
	cry_keypair_generate(&fs.root);
	cry_keypair_generate(&fs.stat);
	u_buf_init(&fs.chain, 0);
	memset(&wa, 0, sizeof(wa));
	memset(&wb, 0, sizeof(wb));
	two.loop = u_loop_new();
	foreign[0] = u_loop_uv(two.loop);
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
	o.trust_root = fs.root.pub;
	o.keepalive_ms = 200;
	wa_device_generate(&d);
	d.jid = strdup("33600000042:3@s.whatsapp.net");
	d.adv_details = (uint8_t *)strdup("x");
	d.adv_details_len = 1;
	wa_store_mem_ops.device_save(ma, &d);
	free(d.jid);
	d.jid = strdup("33600000043:3@s.whatsapp.net");
	wa_store_mem_ops.device_save(mb, &d);
	wa_device_clear(&d);

	two.a = wa_client_new(two.loop, &o, &wa_store_mem_ops, ma, &cbs, &wa);
	b = wa_client_new(two.loop, &o, &wa_store_mem_ops, mb, &cbs, &wb);
	REQUIRE(wa_client_start(two.a) == 0 && wa_client_start(b) == 0);
	t1 = u_timer_new(two.loop, free_a, &two);
	u_timer_start(t1, 700, 0);
	t2 = u_timer_new(two.loop, stop_loop, two.loop);
	u_timer_start(t2, 1500, 0);
	u_loop_run(two.loop);
	u_timer_free(t1);
	u_timer_free(t2);
	CHECK_EQ_INT(fs.conns, 2);
	CHECK_EQ_INT(wa.connected, 1);
	CHECK_EQ_INT(wb.connected, 1);
	CHECK(two.a == NULL);
	CHECK(fs.pings_after_free >= 2);	/* b goes on alone */
	CHECK(wa_client_state(b) == WA_STATE_CONNECTED);
	wa_client_free(b);
	wa_client_shutdown(two.loop);
	lws_context_destroy(ctx);
	for (int i = 0; i < 64; i++)
		uv_run(u_loop_uv(two.loop), UV_RUN_NOWAIT);
	lws_context_destroy(ctx);
	u_loop_free(two.loop);
	wa_store_mem_free(ma);
	wa_store_mem_free(mb);
	u_buf_free(&fs.chain);
}

TEST_MAIN()
