/*
 * conn.c: the WhatsApp client connection (client.h): websocket -> frames ->
 * Noise -> binary nodes, login, iq table, keepalive, dispatch, stream
 * errors and reconnects.  Linking a new device (QR refs, pair-success,
 * pairing code) is login.c; prekeys are prekeys.c.
 *
 * Layers, bottom up, each owned by struct wa_client per connection:
 *   ws.c (lws on the u_loop)  bytes in/out
 *   frame.h decoder           3-byte length frames, any split point
 *   noise.h                   handshake (initiator), then the transport
 *   node.h                    binary nodes, flag byte first
 * Every failure of a lower layer on the server's input (bad frame, failed
 * decryption, undecodable node, certificate that does not chain to the
 * trust root) is one warning and a reconnect with backoff, never a crash.
 *
 * Re-entrancy: node handlers run inside wa_frame_dec_feed, which must not
 * be torn down under its own feet; a handler that wants the connection gone
 * records the decision in c->pending and returns non-zero, and the caller
 * of the feed applies it.  User callbacks that call wa_client_stop while a
 * feed runs get the same treatment.
 *
 * Does not: decrypt messages, app state or anything above the connection;
 * other stanzas go to cbs->on_node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/cert.h"
#include "waweb/conn_int.h"
#include "waweb/errors.h"
#include "waweb/frame.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/noise.h"
#include "waweb/ws.h"

static void handle_node(struct wa_client *c, struct wa_node *n);
static void conn_teardown(struct wa_client *c);
static void connect_now(struct wa_client *c);
static void apply_disconnect(struct wa_client *c, const struct wa__disconnect *d);

/* --- State ------------------------------------------------------------ */

static void
set_state(struct wa_client *c, enum wa_state s, const char *reason)
{
	enum wa_state old = c->state;

	if (old == s)
		return;
	if (!wa__state_transition_ok(old, s))
		logp_warnx(c->prefix, "unexpected state change %s -> %s",
		    wa_state_name(old), wa_state_name(s));
	c->state = s;
	logp_info(c->prefix, "%s -> %s%s%s", wa_state_name(old), wa_state_name(s),
	    reason != NULL ? ": " : "", reason != NULL ? reason : "");
	if (c->cbs.on_state != NULL)
		c->cbs.on_state(c->cbarg, old, s, reason != NULL ? reason : "");
}

enum wa_state
wa_client_state(const struct wa_client *c)
{
	return c->state;
}

const struct wa_device *
wa_client_device(const struct wa_client *c)
{
	return c->have_dev ? &c->dev : NULL;
}

/* Record a disconnect decision; applied now or after the current feed. */
void
wa__request_disconnect(struct wa_client *c, const struct wa__disconnect *d)
{
	if (c->in_feed) {
		if (!c->has_pending) {
			c->pending = *d;
			c->has_pending = 1;
		}
		return;
	}
	apply_disconnect(c, d);
}

void
wa__fail_transport(struct wa_client *c, const char *why)
{
	struct wa__disconnect d;

	wa__classify_transport(why, &d);
	wa__request_disconnect(c, &d);
}

/* --- Sending ---------------------------------------------------------- */

int
wa__send_node(struct wa_client *c, const struct wa_node *n)
{
	struct u_buf plain, enc;
	int r;

	if (c->tr == NULL || !c->connected)
		return WA_ERR_NOT_CONNECTED;
	u_buf_init(&plain, WA_FRAME_MAX);
	u_buf_init(&enc, WA_FRAME_MAX + 64);
	if ((r = wa_node_encode_frame(n, &plain)) != 0 ||
	    (r = wa_noise_encrypt_frame(c->tr, plain.p, plain.len, &enc)) != 0 ||
	    (r = wa__ws_send(c->ws, enc.p, enc.len)) != 0)
		logp_warnx(c->prefix, "cannot send <%s>: %s", n->tag, u_strerror(r));
	if (r == 0 && u_log_enabled(U_LOG_TRACE)) {
		struct u_buf x;
		u_buf_init(&x, 1 << 16);
		if (wa_node_to_xml(n, &x, 64) == 0 && u_buf_add_u8(&x, 0) == 0)
			logp_trace(c->prefix, "send %s", (char *)x.p);
		u_buf_free(&x);
	}
	u_buf_free(&plain);
	u_buf_free(&enc);
	return r;
}

int
wa_client_send_node(struct wa_client *c, struct wa_node *n)
{
	int r = wa__send_node(c, n);

	wa_node_free(n);
	return r;
}

void
wa__set_server_to(struct wa_node *n)
{
	struct wa_jid j;

	if (wa_jid_make(&j, NULL, WA_SERVER_USER, 0) == 0)
		wa_node_set_attr_jid(n, "to", &j);
}

static void
iq_tick(void *arg)
{
	struct wa_client *c = arg;
	struct iq_wait **pp = &c->iqs, *w;
	uint64_t now = u_loop_now(c->loop);

	while ((w = *pp) != NULL) {
		if (w->deadline > now) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		c->niqs--;
		logp_debug(c->prefix, "iq %s: no reply in time", w->id);
		if (w->cb != NULL)
			w->cb(w->arg, NULL, WA_ERR_TIMEOUT);
		free(w);
		/* The callback may have changed the list: start over. */
		pp = &c->iqs;
	}
	if (c->iqs == NULL)
		u_timer_stop(c->t_iq);
}

int
wa_client_send_iq(struct wa_client *c, struct wa_node *iq, unsigned timeout_ms,
    wa_iq_cb cb, void *arg)
{
	struct iq_wait *w;
	int r;

	if (c->tr == NULL || !c->connected) {
		wa_node_free(iq);
		return WA_ERR_NOT_CONNECTED;
	}
	if (c->niqs >= CONN_IQ_MAX) {
		wa_node_free(iq);
		return WA_ERR_TOO_BIG;
	}
	w = u_calloc(1, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "%s%u", c->iq_prefix, ++c->iq_counter);
	wa_node_set_attr(iq, "id", w->id);
	if ((r = wa__send_node(c, iq)) != 0) {
		free(w);
		wa_node_free(iq);
		return r;
	}
	wa_node_free(iq);
	w->deadline = u_loop_now(c->loop) +
	    (timeout_ms != 0 ? timeout_ms : WA_IQ_TIMEOUT_MS);
	w->cb = cb;
	w->arg = arg;
	w->next = c->iqs;
	c->iqs = w;
	c->niqs++;
	/* Deadlines are checked 4 times a second: precise enough for
	 * 10-60 s deadlines, and a timer per iq would cost more. */
	u_timer_start(c->t_iq, 250, 250);
	return 0;
}

/* <iq xmlns=... type=... to=s.whatsapp.net> with one optional child. */
struct wa_node *
wa__new_iq(const char *xmlns, const char *type, struct wa_node *child)
{
	struct wa_node *iq = wa_node_new("iq");

	wa_node_set_attr(iq, "xmlns", xmlns);
	wa_node_set_attr(iq, "type", type);
	wa__set_server_to(iq);
	if (child != NULL)
		wa_node_add_child(iq, child);
	return iq;
}

static void
fail_iqs(struct wa_client *c)
{
	struct iq_wait *w;

	while ((w = c->iqs) != NULL) {
		c->iqs = w->next;
		c->niqs--;
		if (w->cb != NULL)
			w->cb(w->arg, NULL, WA_ERR_NOT_CONNECTED);
		free(w);
	}
	if (c->t_iq != NULL)
		u_timer_stop(c->t_iq);
}

/* Send <iq type=result id=.. to=..> answering a server iq. */
void
wa__ack_iq(struct wa_client *c, const struct wa_node *req)
{
	struct wa_node *res = wa_node_new("iq");
	const char *id = wa_node_attr(req, "id");

	wa_node_set_attr(res, "type", "result");
	if (id != NULL)
		wa_node_set_attr(res, "id", id);
	wa__set_server_to(res);
	wa__send_node(c, res);
	wa_node_free(res);
}

/* --- Keepalive -------------------------------------------------------- */

static void
keepalive_schedule(struct wa_client *c)
{
	uint64_t ms = WA_KEEPALIVE_MIN_MS +
	    randombytes_uniform(WA_KEEPALIVE_MAX_MS - WA_KEEPALIVE_MIN_MS);

	if (c->keepalive_ms != 0)
		ms = c->keepalive_ms;

	u_timer_start(c->t_keepalive, ms, 0);
}

static void
keepalive_reply(void *arg, const struct wa_node *res, int err)
{
	struct wa_client *c = arg;

	c->keepalive_out = 0;
	if (err == WA_ERR_NOT_CONNECTED)
		return;
	if (res == NULL) {
		logp_warnx(c->prefix, "keepalive: no answer in %u ms",
		    c->keepalive_ms ? c->keepalive_ms : WA_KEEPALIVE_DEADLINE_MS);
		wa__fail_transport(c, "keepalive timeout");
		return;
	}
	if (c->state == WA_STATE_CONNECTED || c->state == WA_STATE_LOGGING_IN)
		keepalive_schedule(c);
}

static void
keepalive_fire(void *arg)
{
	struct wa_client *c = arg;

	if (c->keepalive_out || c->tr == NULL)
		return;
	c->keepalive_out = 1;
	if (wa_client_send_iq(c, wa__new_iq("w:p", "get", wa_node_new("ping")),
	    c->keepalive_ms ? c->keepalive_ms : WA_KEEPALIVE_DEADLINE_MS,
	    keepalive_reply, c) != 0)
		c->keepalive_out = 0;
}

/* --- Connection lifecycle --------------------------------------------- */

static void
conn_teardown(struct wa_client *c)
{
	if (c->ws != NULL)
		wa__ws_disconnect(c->ws);
	c->connected = 0;
	c->logged_in = 0;
	wa_noise_hs_free(c->hs);
	c->hs = NULL;
	wa_noise_transport_free(c->tr);
	c->tr = NULL;
	if (c->dec_init) {
		wa_frame_dec_free(&c->dec);
		c->dec_init = 0;
	}
	fail_iqs(c);
	c->keepalive_out = 0;
	u_timer_stop(c->t_keepalive);
	wa__pairing_reset(c);
}

static void
reconnect_fire(void *arg)
{
	struct wa_client *c = arg;

	if (c->state == WA_STATE_WAIT_RECONNECT)
		connect_now(c);
}

static void
apply_disconnect(struct wa_client *c, const struct wa__disconnect *d)
{
	uint64_t delay;
	int r;

	conn_teardown(c);
	if (d->wipe_session && c->dev.jid != NULL) {
		logp_info(c->prefix, "deleting the session from the store");
		if ((r = c->ops->device_delete(c->sarg, c->dev.jid)) != 0 &&
		    r != U_ERR_NOT_FOUND)
			logp_warnx(c->prefix, "cannot delete the session: %s",
			    u_strerror(r));
		wa_device_clear(&c->dev);
		c->have_dev = 0;
	}
	set_state(c, d->next, d->reason);
	if (d->next != WA_STATE_WAIT_RECONNECT)
		return;
	delay = d->immediate ? 0 :
	    wa__reconnect_delay(c->attempt, c->backoff_base_ms, c->backoff_max_ms);
	if (!d->immediate)
		c->attempt++;
	logp_info(c->prefix, "reconnecting in %llu ms", (unsigned long long)delay);
	u_timer_start(c->t_reconnect, delay, 0);
}

static int
load_device(struct wa_client *c)
{
	int r;

	if (c->have_dev)
		return 0;
	memset(&c->dev, 0, sizeof(c->dev));
	r = c->pair_new ? U_ERR_NOT_FOUND :
	    c->ops->device_load(c->sarg, c->device_jid, &c->dev);
	if (r == 0) {
		c->have_dev = 1;
		return 0;
	}
	if (r != U_ERR_NOT_FOUND)
		return r;
	if (c->device_jid != NULL)
		logp_warnx(c->prefix, "no stored session for that device; pairing anew");
	if ((r = wa_device_generate(&c->dev)) != 0)
		return r;
	c->have_dev = 1;
	return 0;
}

static void
connect_now(struct wa_client *c)
{
	int r;

	conn_teardown(c);
	if ((r = load_device(c)) != 0) {
		logp_warnx(c->prefix, "cannot load the device: %s", u_strerror(r));
		wa__fail_transport(c, "store unavailable");
		return;
	}
	set_state(c, WA_STATE_CONNECTING, c->dev.jid != NULL ? "logging in" :
	    "no session yet: pairing");
	wa_frame_dec_init(&c->dec, CONN_FRAME_MAX, 0);
	c->dec_init = 1;
	c->hs = wa_noise_hs_new(WA_NOISE_INITIATOR,
	    (const struct cry_keypair *)&c->dev.noise, wa_frame_intro,
	    WA_FRAME_INTRO_LEN);
	if (c->hs == NULL) {
		wa__fail_transport(c, "cannot start the handshake");
		return;
	}
	snprintf(c->iq_prefix, sizeof(c->iq_prefix), "%u.%u-",
	    randombytes_uniform(65536), randombytes_uniform(65536));
	c->iq_counter = 0;
	/* lws may report the failure synchronously (through ws_close, which
	 * already moved us to WAIT_RECONNECT); count it once. */
	if (wa__ws_connect(c->ws, &c->url) != 0 &&
	    c->state == WA_STATE_CONNECTING)
		wa__fail_transport(c, "cannot start the websocket connection");
}

/* --- Handshake -------------------------------------------------------- */

static void
ws_open(void *arg)
{
	struct wa_client *c = arg;
	struct u_buf out, hello;
	int r;

	c->connected = 1;
	u_buf_init(&out, 4096);
	u_buf_init(&hello, 4096);
	if ((r = wa_frame_write_intro(&out, NULL, 0)) != 0 ||
	    (r = wa_noise_write_client_hello(c->hs, &hello)) != 0 ||
	    (r = wa_frame_write(&out, hello.p, hello.len)) != 0 ||
	    (r = wa__ws_send(c->ws, out.p, out.len)) != 0) {
		logp_warnx(c->prefix, "cannot send the client hello: %s",
		    u_strerror(r));
		wa__fail_transport(c, "handshake failed");
	}
	u_buf_free(&out);
	u_buf_free(&hello);
}

static int
handshake_step(struct wa_client *c, const uint8_t *p, size_t len)
{
	struct wa__payload_opts po;
	struct u_buf payload, fin, out;
	int registration = c->dev.jid == NULL, r;

	r = wa_noise_read_server_hello(c->hs, p, len,
	    c->has_root ? c->root : NULL, (int64_t)time(NULL));
	if (r != 0) {
		if (r <= WA_ERR_CERT_MALFORMED && r >= WA_ERR_CERT_EXPIRED) {
			logp_warnx(c->prefix, "the server's certificate does not "
			    "chain to the trusted root: %s", u_strerror(r));
			wa__fail_transport(c, "untrusted server certificate");
		} else {
			logp_warnx(c->prefix, "bad server hello: %s", u_strerror(r));
			wa__fail_transport(c, "handshake failed");
		}
		return -1;
	}
	memset(&po, 0, sizeof(po));
	memcpy(po.version, c->version, sizeof(po.version));
	po.os_name = c->os_name;
	po.browser_name = c->browser_name;
	po.push_name = c->dev.push_name;
	u_buf_init(&payload, 1 << 16);
	u_buf_init(&fin, 1 << 16);
	u_buf_init(&out, 1 << 16);
	if ((r = wa__client_payload(&c->dev, &po, registration, &payload)) != 0 ||
	    (r = wa_noise_write_client_finish(c->hs, payload.p, payload.len,
	    &fin)) != 0 ||
	    (r = wa_frame_write(&out, fin.p, fin.len)) != 0 ||
	    (r = wa__ws_send(c->ws, out.p, out.len)) != 0 ||
	    (r = wa_noise_hs_split(c->hs, &c->tr)) != 0) {
		logp_warnx(c->prefix, "cannot finish the handshake: %s",
		    u_strerror(r));
		wa__fail_transport(c, "handshake failed");
		r = -1;
	}
	u_buf_free(&payload);
	u_buf_free(&fin);
	u_buf_free(&out);
	if (r != 0)
		return -1;
	wa_noise_hs_free(c->hs);
	c->hs = NULL;
	set_state(c, registration ? WA_STATE_PAIRING : WA_STATE_LOGGING_IN,
	    registration ? "waiting for the phone" : "waiting for the server");
	return 0;
}

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct wa_client *c = arg;
	struct wa_node *n = NULL;
	struct u_buf pt;
	int r;

	if (c->has_pending)
		return 1;
	if (c->hs != NULL)
		return handshake_step(c, p, len) != 0 || c->has_pending;
	if (c->tr == NULL)
		return 1;
	u_buf_init(&pt, CONN_FRAME_MAX);
	if ((r = wa_noise_decrypt(c->tr, p, len, &pt)) != 0) {
		logp_warnx(c->prefix, "cannot decrypt a frame: %s", u_strerror(r));
		u_buf_free(&pt);
		wa__fail_transport(c, "undecryptable frame");
		return 1;
	}
	r = wa_node_decode_frame(pt.p, pt.len, &n);
	u_buf_free(&pt);
	if (r != 0) {
		logp_warnx(c->prefix, "malformed node from the server: %s",
		    u_strerror(r));
		wa__fail_transport(c, "malformed node");
		return 1;
	}
	if (u_log_enabled(U_LOG_TRACE)) {
		struct u_buf x;
		u_buf_init(&x, 1 << 16);
		if (wa_node_to_xml(n, &x, 64) == 0 && u_buf_add_u8(&x, 0) == 0)
			logp_trace(c->prefix, "recv %s", (char *)x.p);
		u_buf_free(&x);
	}
	handle_node(c, n);
	wa_node_free(n);
	return c->has_pending || c->stop_pending;
}

static void
ws_data(void *arg, const uint8_t *p, size_t n)
{
	struct wa_client *c = arg;
	struct wa__disconnect d;
	int r;

	if (!c->dec_init)
		return;
	c->in_feed = 1;
	r = wa_frame_dec_feed(&c->dec, p, n, on_frame, c);
	c->in_feed = 0;
	if (c->stop_pending) {
		c->stop_pending = 0;
		c->has_pending = 0;
		wa_client_stop(c);
		return;
	}
	if (c->has_pending) {
		d = c->pending;
		c->has_pending = 0;
		apply_disconnect(c, &d);
		return;
	}
	if (r < 0) {
		logp_warnx(c->prefix, "bad frame from the server: %s", u_strerror(r));
		wa__fail_transport(c, "malformed frame");
	}
}

static void
ws_close(void *arg, const char *why)
{
	struct wa_client *c = arg;

	c->connected = 0;
	if (c->state == WA_STATE_IDLE || wa_state_is_terminal(c->state))
		return;
	logp_info(c->prefix, "connection lost: %s", why);
	wa__fail_transport(c, why);
}

/* --- After <success> -------------------------------------------------- */

static void
active_reply(void *arg, const struct wa_node *res, int err)
{
	struct wa_client *c = arg;

	if (res == NULL) {
		if (err != WA_ERR_NOT_CONNECTED)
			wa__fail_transport(c, "no answer to passive/active");
		return;
	}
	c->attempt = 0;
	set_state(c, WA_STATE_CONNECTED, "logged in");
	if (c->cbs.on_connected != NULL)
		c->cbs.on_connected(c->cbarg);
}

static void
prekeys_done(void *arg, int err)
{
	struct wa_client *c = arg;

	if (err == WA_ERR_NOT_CONNECTED)
		return;
	if (err != 0)
		logp_warnx(c->prefix, "prekey upload failed: %s", u_strerror(err));
	wa_client_send_iq(c, wa__new_iq("passive", "set", wa_node_new("active")), 0,
	    active_reply, c);
}

static void
handle_success(struct wa_client *c, const struct wa_node *n)
{
	char *lid = wa__attr_jid_string(n, "lid");
	char *cached = NULL;
	int r;

	if (c->dev.jid == NULL) {
		logp_warnx(c->prefix, "<success> without a paired session: ignored");
		free(lid);
		return;
	}
	c->logged_in = 1;
	if (lid != NULL && (c->dev.lid == NULL || strcmp(c->dev.lid, lid) != 0)) {
		free(c->dev.lid);
		c->dev.lid = lid;
		lid = NULL;
		if ((r = c->ops->device_save(c->sarg, &c->dev)) != 0)
			logp_warnx(c->prefix, "cannot save the LID: %s", u_strerror(r));
		{
			struct wa_jid pn, l;
			if (c->ops->lid_map_put != NULL &&
			    wa_jid_parse(c->dev.jid, &pn) == 0 &&
			    wa_jid_parse(c->dev.lid, &l) == 0 && wa_jid_is_lid(&l))
				c->ops->lid_map_put(c->sarg, l.user, pn.user);
		}
	}
	free(lid);
	/* The server accepted this version: remember it for next time. */
	if (c->ops->kv_get(c->sarg, WA_KV_WEB_VERSION, &cached) != 0 ||
	    strcmp(cached, c->version_s) != 0)
		c->ops->kv_set(c->sarg, WA_KV_WEB_VERSION, c->version_s);
	free(cached);
	keepalive_schedule(c);
	wa__prekeys_check(c, prekeys_done, c);
}

/* --- Dispatch --------------------------------------------------------- */

static int
from_server(const struct wa_node *n)
{
	struct wa_jid j;
	const char *s;

	if (wa_node_attr_jid(n, "from", &j) == 0)
		return wa_jid_is_server(&j) && strcmp(j.server, WA_SERVER_USER) == 0;
	s = wa_node_attr(n, "from");
	return s != NULL && strcmp(s, WA_SERVER_USER) == 0;
}

static int
iq_reply(struct wa_client *c, const struct wa_node *n)
{
	const char *id = wa_node_attr(n, "id");
	struct iq_wait **pp, *w;

	if (id == NULL)
		return 0;
	for (pp = &c->iqs; (w = *pp) != NULL; pp = &w->next) {
		if (strcmp(w->id, id) != 0)
			continue;
		*pp = w->next;
		c->niqs--;
		if (w->cb != NULL)
			w->cb(w->arg, n, strcmp(wa_node_attr(n, "type"), "error") == 0 ?
			    WA_ERR_IQ : 0);
		free(w);
		return 1;
	}
	logp_debug(c->prefix, "reply to unknown iq %s dropped", id);
	return 1;
}

static void
handle_iq(struct wa_client *c, const struct wa_node *n)
{
	const char *type = wa_node_attr(n, "type");
	const struct wa_node *child = wa_node_child_at(n, 0);

	if (type == NULL)
		return;
	if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) {
		iq_reply(c, n);
		return;
	}
	if (child != NULL && strcmp(type, "set") == 0 && from_server(n) &&
	    n->nchildren == 1) {
		if (strcmp(child->tag, "pair-device") == 0) {
			wa__handle_pair_device(c, n, child);
			return;
		}
		if (strcmp(child->tag, "pair-success") == 0) {
			wa__handle_pair_success(c, n, child);
			return;
		}
	}
	if (strcmp(type, "get") == 0 && child != NULL &&
	    strcmp(child->tag, "ping") == 0) {
		wa__ack_iq(c, n);
		return;
	}
	if (c->cbs.on_node != NULL)
		c->cbs.on_node(c->cbarg, n);
}

int
wa_client_send_ack(struct wa_client *c, const struct wa_node *n)
{
	struct wa_node *ack;
	const struct wa_attr *from = wa_node_attr_get(n, "from");
	const char *id = wa_node_attr(n, "id"), *type = wa_node_attr(n, "type");
	int r;

	if (id == NULL || from == NULL)
		return U_ERR_INVALID;
	ack = wa_node_new("ack");
	wa_node_set_attr(ack, "id", id);
	wa_node_set_attr(ack, "class", n->tag);
	if (type != NULL)
		wa_node_set_attr(ack, "type", type);
	if (from->kind == WA_VAL_JID)
		wa_node_set_attr_jid(ack, "to", &from->jid);
	else
		wa_node_set_attr(ack, "to", from->str);
	r = wa__send_node(c, ack);
	wa_node_free(ack);
	return r;
}

static void
send_ack(struct wa_client *c, const struct wa_node *n)
{
	wa_client_send_ack(c, n);
}

static void
handle_notification(struct wa_client *c, const struct wa_node *n)
{
	const char *type = wa_node_attr(n, "type");
	const struct wa_node *x;
	uint64_t v;

	if (type != NULL && strcmp(type, "link_code_companion_reg") == 0) {
		send_ack(c, n);
		if ((x = wa_node_child(n, "link_code_companion_reg")) != NULL)
			wa__handle_pair_code_notification(c, x);
		return;
	}
	if (type != NULL && strcmp(type, "encrypt") == 0 && from_server(n) &&
	    (x = wa_node_child(n, "count")) != NULL &&
	    wa_node_attr_u64(x, "value", &v) == 0) {
		send_ack(c, n);
		if (v < WA_PREKEY_MIN && c->logged_in)
			wa__prekeys_upload(c, 0, NULL, NULL);
		return;
	}
	if (c->cbs.on_node != NULL)
		c->cbs.on_node(c->cbarg, n);
}

static void
handle_node(struct wa_client *c, struct wa_node *n)
{
	struct wa__disconnect d;
	const struct wa_node *x;
	uint64_t v;

	if (strcmp(n->tag, "iq") == 0) {
		handle_iq(c, n);
	} else if (strcmp(n->tag, "success") == 0) {
		handle_success(c, n);
	} else if (strcmp(n->tag, "failure") == 0) {
		if (wa_node_attr_u64(n, "reason", &v) != 0 || v > 100000)
			v = 0;
		logp_warnx(c->prefix, "login failed with reason %llu",
		    (unsigned long long)v);
		wa__classify_failure((unsigned)v, &d);
		wa__request_disconnect(c, &d);
	} else if (strcmp(n->tag, "stream:error") == 0) {
		x = wa_node_child(n, "conflict");
		logp_warnx(c->prefix, "stream error %s%s%s",
		    wa_node_attr(n, "code") ? wa_node_attr(n, "code") : "-",
		    x != NULL ? ", conflict " : "",
		    x != NULL && wa_node_attr(x, "type") ? wa_node_attr(x, "type") : "");
		wa__classify_stream_error(wa_node_attr(n, "code"),
		    x != NULL ? wa_node_attr(x, "type") : NULL, &d);
		wa__request_disconnect(c, &d);
	} else if (strcmp(n->tag, "xmlstreamend") == 0) {
		wa__fail_transport(c, "server closed the stream");
	} else if (strcmp(n->tag, "ib") == 0) {
		if ((x = wa_node_child(n, "offline")) != NULL) {
			if (wa_node_attr_u64(x, "count", &v) != 0 || v > 0xffffffffu)
				v = 0;
			logp_info(c->prefix, "offline queue delivered (%llu)",
			    (unsigned long long)v);
			if (c->cbs.on_offline_done != NULL)
				c->cbs.on_offline_done(c->cbarg, (unsigned)v);
		} else if (c->cbs.on_node != NULL)
			c->cbs.on_node(c->cbarg, n);
	} else if (strcmp(n->tag, "notification") == 0) {
		handle_notification(c, n);
	} else if (c->cbs.on_node != NULL) {
		c->cbs.on_node(c->cbarg, n);
	}
}

/* --- Public ----------------------------------------------------------- */

static char *
dup_opt(const char *s)
{
	return s != NULL ? u_strdup(s) : NULL;
}

struct wa_client *
wa_client_new(struct u_loop *loop, const struct wa_client_opts *o,
    const struct wa_store_ops *ops, void *store_arg,
    const struct wa_client_cbs *cbs, void *cb_arg)
{
	static unsigned serial;
	struct wa_client *c = u_calloc(1, sizeof(*c));
	static const struct wa__ws_cbs wcbs = {
		.on_open = ws_open,
		.on_data = ws_data,
		.on_close = ws_close,
	};

	cry_init();
	wa_errors_register();
	c->loop = loop;
	c->ops = ops;
	c->sarg = store_arg;
	c->cbs = *cbs;
	c->cbarg = cb_arg;
	snprintf(c->prefix, sizeof(c->prefix), "wa[%u]", ++serial);
	c->url_s = u_strdup(o->url != NULL ? o->url : WA_URL_DEFAULT);
	if (o->trust_root != NULL) {
		memcpy(c->root, o->trust_root, CRY_KEY_LEN);
		c->has_root = 1;
	}
	c->os_name = dup_opt(o->os_name);
	c->browser_name = dup_opt(o->browser_name);
	c->web_version = dup_opt(o->web_version);
	c->device_jid = dup_opt(o->device_jid);
	c->pair_phone = dup_opt(o->pair_phone);
	c->pair_new = o->pair_new && o->device_jid == NULL;
	c->qr_first_ms = o->qr_first_ms ? o->qr_first_ms : WA_QR_FIRST_MS;
	c->qr_next_ms = o->qr_next_ms ? o->qr_next_ms : WA_QR_NEXT_MS;
	c->backoff_base_ms = o->backoff_base_ms;
	c->backoff_max_ms = o->backoff_max_ms;
	c->keepalive_ms = o->keepalive_ms;
	c->ws = wa__ws_new(loop, &wcbs, c);
	c->t_reconnect = u_timer_new(loop, reconnect_fire, c);
	c->t_keepalive = u_timer_new(loop, keepalive_fire, c);
	c->t_qr = u_timer_new(loop, wa__qr_fire, c);
	c->t_iq = u_timer_new(loop, iq_tick, c);
	return c;
}

void
wa_client_free(struct wa_client *c)
{
	if (c == NULL)
		return;
	wa_client_stop(c);
	u_timer_free(c->t_reconnect);
	u_timer_free(c->t_keepalive);
	u_timer_free(c->t_qr);
	u_timer_free(c->t_iq);
	wa__ws_free(c->ws);
	wa_device_clear(&c->dev);
	free(c->url_s);
	free(c->os_name);
	free(c->browser_name);
	free(c->web_version);
	free(c->device_jid);
	free(c->pair_phone);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

void
wa_client_shutdown(struct u_loop *loop)
{
	wa__ws_shutdown(loop);
}

int
wa_client_start(struct wa_client *c)
{
	char *cached = NULL;
	const char *vs;
	int r;

	if (wa__url_parse(c->url_s, &c->url) != 0) {
		logp_warnx(c->prefix, "refusing websocket URL %s: use wss://, or "
		    "ws:// to a loopback address", c->url_s);
		return U_ERR_INVALID;
	}
	/* Version: configured, else the last one the server accepted. */
	vs = c->web_version;
	if (vs == NULL && c->ops->kv_get(c->sarg, WA_KV_WEB_VERSION, &cached) == 0)
		vs = cached;
	if (vs == NULL || wa__web_version_parse(vs, c->version) != 0) {
		if (vs != NULL)
			logp_warnx(c->prefix, "ignoring WhatsApp Web version '%s'", vs);
		wa__web_version_parse(WA_WEB_VERSION_DEFAULT, c->version);
	}
	snprintf(c->version_s, sizeof(c->version_s), "%u.%u.%u", c->version[0],
	    c->version[1], c->version[2]);
	free(cached);
	if ((r = load_device(c)) != 0)
		return r;
	logp_info(c->prefix, "connecting to %s (WhatsApp Web %s)", c->url_s,
	    c->version_s);
	c->started = 1;
	c->attempt = 0;
	connect_now(c);
	return 0;
}

void
wa_client_stop(struct wa_client *c)
{
	if (c->in_feed) {
		c->stop_pending = 1;
		return;
	}
	u_timer_stop(c->t_reconnect);
	conn_teardown(c);
	c->started = 0;
	if (c->state != WA_STATE_IDLE)
		set_state(c, WA_STATE_IDLE, "stopped");
}

/* --- For prekeys.c ---------------------------------------------------- */

struct wa_device *
wa__client_dev(struct wa_client *c)
{
	return &c->dev;
}

const struct wa_store_ops *
wa__client_store(struct wa_client *c, void **arg)
{
	*arg = c->sarg;
	return c->ops;
}

const char *
wa__client_prefix(struct wa_client *c)
{
	return c->prefix;
}

