/*
 * conn.c: one client connection to wasim.
 *
 *   HELLO --ClientHello--> FINISH --ClientFinish--> PAIRING (registration)
 *                                                \-> LOGGED_IN (login)
 *   PAIRING --admin scan--> PAIR_SENT --pair-device-sign--> 515, closed
 *   any --stream error / failure--> CLOSING --flushed--> closed
 *
 * Frames are reassembled with waweb/frame.h, the handshake and transport
 * are waweb/noise.h in the responder role, stanzas are waweb/node.h nodes.
 *
 * Does not: answer iqs (iq.c) or pair (pair.c).
 * Invariants: a connection that misbehaves (bad frame, failed decryption,
 * undecodable node) is closed and never takes the process down; output is
 * capped at SIM_OUT_MAX; a conn freed by lws is only marked dead and reaped
 * at the end of the loop turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "proto/wa6.pb-c.h"
#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/frame.h"
#include "waweb/noise.h"

/* Largest websocket message we write at once (frames may span several). */
#define WRITE_CHUNK_SIZE ((size_t)128 << 10)

struct sim_noise {
	struct wa_noise_hs		*hs;	/* owned; until split */
	struct wa_noise_transport	*t;	/* owned; after split */
};

static const char *const state_names[] = {
	[SIM_CONN_HELLO] = "hello",
	[SIM_CONN_FINISH] = "finish",
	[SIM_CONN_PAIRING] = "pairing",
	[SIM_CONN_PAIR_SENT] = "pair-sent",
	[SIM_CONN_LOGGED_IN] = "logged-in",
	[SIM_CONN_CLOSING] = "closing",
};

const char *
sim_conn_state_name(enum sim_conn_state st)
{
	return state_names[st];
}

void
sim_conn_set_state(struct sim_conn *c, enum sim_conn_state st)
{
	if (c->state == st)
		return;
	logp_debug(c->prefix, "%s -> %s", state_names[c->state],
	    state_names[st]);
	c->state = st;
}

void
sim_next_id(struct sim *s, char *buf, size_t size)
{
	snprintf(buf, size, "wasim-%u", ++s->next_iq);
}

struct sim_conn *
sim_conn_new(struct sim *s, struct lws *wsi)
{
	struct sim_conn *c = u_calloc(1, sizeof(*c));
	struct wa_frame_dec *d = u_calloc(1, sizeof(*d));

	c->sim = s;
	c->wsi = wsi;
	c->serial = ++s->next_conn_serial;
	snprintf(c->prefix, sizeof(c->prefix), "conn[%u]", c->serial);
	c->state = SIM_CONN_HELLO;
	c->noise = u_calloc(1, sizeof(*c->noise));
	wa_frame_dec_init(d, SIM_FRAME_MAX, WA_FRAME_DEC_INTRO);
	c->frame_dec = d;
	u_buf_init(&c->out, SIM_OUT_MAX);
	c->next = s->conns;
	s->conns = c;
	logp_info(c->prefix, "connected");
	return c;
}

void
sim_conn_free(struct sim_conn *c)
{
	if (c == NULL)
		return;
	if (c->device != NULL && c->device->conn == c)
		c->device->conn = NULL;
	if (c->noise != NULL) {
		wa_noise_hs_free(c->noise->hs);
		wa_noise_transport_free(c->noise->t);
		free(c->noise);
	}
	if (c->frame_dec != NULL) {
		wa_frame_dec_free(c->frame_dec);
		free(c->frame_dec);
	}
	u_timer_free(c->offline_timer);
	u_timer_free(c->close_timer);
	u_timer_free(c->pair_timer);
	u_buf_free(&c->out);
	free(c->pair_details);
	cry_keypair_wipe(&c->paircode.phone_eph);
	free(c);
}

static void
reap(void *arg)
{
	struct sim *s = arg;
	struct sim_conn **pp = &s->conns, *c;

	s->reap_scheduled = false;
	while ((c = *pp) != NULL) {
		if (c->dead) {
			*pp = c->next;
			sim_conn_free(c);
		} else
			pp = &c->next;
	}
}

void
sim_conn_on_closed(struct sim_conn *c)
{
	logp_info(c->prefix, "closed (%s)", state_names[c->state]);
	c->wsi = NULL;
	c->dead = true;
	if (!c->sim->stopping && c->state == SIM_CONN_LOGGED_IN)
		sim_presence_conn_gone(c);
	if (c->device != NULL && c->device->conn == c)
		c->device->conn = NULL;
	if (!c->sim->reap_scheduled) {
		c->sim->reap_scheduled = true;
		u_loop_defer(c->sim->loop, reap, c->sim);
	}
}

static void
conn_abort(struct sim_conn *c, const char *why, int r)
{
	if (r != 0)
		logp_warnx(c->prefix, "closing: %s: %s", why, u_strerror(r));
	else
		logp_warnx(c->prefix, "closing: %s", why);
	/* A misbehaving client gets no grace period. */
	c->close_after_flush = true;
	c->close_now = true;
	sim_conn_set_state(c, SIM_CONN_CLOSING);
	sim_server_want_write(c);
}

int
sim_conn_send(struct sim_conn *c, const struct wa_node *n)
{
	struct u_buf plain;
	int r;

	if (c->dead || c->noise->t == NULL || c->close_after_flush)
		return U_ERR_INVALID;
	if (u_log_enabled(U_LOG_DEBUG)) {
		struct u_buf x;

		u_buf_init(&x, 1 << 16);
		if (wa_node_to_xml(n, &x, 64) == 0 && u_buf_add_u8(&x, 0) == 0)
			logp_debug(c->prefix, "send %s", (char *)x.p);
		u_buf_free(&x);
	}
	u_buf_init(&plain, WA_FRAME_MAX - CRY_GCM_TAG_LEN);
	r = wa_node_encode_frame(n, &plain);
	if (r == 0)
		r = wa_noise_encrypt_frame(c->noise->t, plain.p, plain.len,
		    &c->out);
	u_buf_free(&plain);
	if (r != 0) {
		conn_abort(c, "cannot send", r);
		return r;
	}
	sim_server_want_write(c);
	return 0;
}

void
sim_conn_send_and_close(struct sim_conn *c, const struct wa_node *n)
{
	sim_conn_send(c, n);
	c->close_after_flush = true;
	sim_conn_set_state(c, SIM_CONN_CLOSING);
	sim_server_want_write(c);
}

void
sim_conn_stream_error(struct sim_conn *c, const char *code,
    const char *conflict)
{
	struct wa_node *n = wa_node_new("stream:error"), *ch;

	if (code != NULL)
		wa_node_set_attr(n, "code", code);
	if (conflict != NULL) {
		ch = wa_node_new("conflict");
		wa_node_set_attr(ch, "type", conflict);
		wa_node_add_child(n, ch);
	}
	logp_info(c->prefix, "stream error code=%s%s%s", code ? code : "-",
	    conflict ? " conflict=" : "", conflict ? conflict : "");
	sim_conn_send_and_close(c, n);
	wa_node_free(n);
}

void
sim_conn_failure(struct sim_conn *c, const char *reason)
{
	struct wa_node *n = wa_node_new("failure");

	wa_node_set_attr(n, "reason", reason);
	wa_node_set_attr(n, "location", "wasim");
	logp_info(c->prefix, "failure reason=%s", reason);
	sim_conn_send_and_close(c, n);
	wa_node_free(n);
}

static void
close_timer_cb(void *arg)
{
	struct sim_conn *c = arg;

	c->close_now = true;
	sim_server_want_write(c);
}

int
sim_conn_on_writable(struct sim_conn *c)
{
	size_t n;
	uint8_t *buf;
	int w;

	if (c->out.len > 0) {
		n = c->out.len < WRITE_CHUNK_SIZE ? c->out.len : WRITE_CHUNK_SIZE;
		buf = u_malloc(LWS_PRE + n);
		memcpy(buf + LWS_PRE, c->out.p, n);
		w = lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_BINARY);
		free(buf);
		if (w < (int)n) {
			logp_warnx(c->prefix, "write failed");
			return -1;
		}
		u_buf_consume(&c->out, n);
		if (c->out.len > 0) {
			lws_callback_on_writable(c->wsi);
			return 0;
		}
	}
	if (c->close_after_flush && c->close_now) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	if (c->close_after_flush && c->close_timer == NULL) {
		c->close_timer = u_timer_new(c->sim->loop, close_timer_cb, c);
		u_timer_start(c->close_timer, SIM_CLOSE_LINGER_MS, 0);
	}
	return 0;
}

/* --- Login ------------------------------------------------------------------ */

static void
send_offline(struct sim_conn *c)
{
	struct wa_node *ib, *off;
	struct wa_jid server;
	unsigned n;

	if (c->offline_sent || c->state != SIM_CONN_LOGGED_IN)
		return;
	/* What arrived while the device was away, then the marker. */
	n = sim_route_flush(c);
	c->offline_sent = true;
	ib = wa_node_new("ib");
	if (wa_jid_make(&server, NULL, WA_SERVER_USER, 0) == 0)
		wa_node_set_attr_jid(ib, "from", &server);
	off = wa_node_new("offline");
	wa_node_set_attr_u64(off, "count", n);
	wa_node_add_child(ib, off);
	sim_conn_send(c, ib);
	wa_node_free(ib);
}

static void
offline_timer_cb(void *arg)
{
	send_offline(arg);
}

void
sim_conn_offline_now(struct sim_conn *c)
{
	send_offline(c);
}

void
sim_conn_login_success(struct sim_conn *c)
{
	struct wa_node *n = wa_node_new("success");
	struct wa_jid lid;

	wa_node_set_attr_u64(n, "t", (uint64_t)sim_now());
	wa_node_set_attr(n, "props", "1");
	wa_node_set_attr(n, "abprops", "1");
	wa_node_set_attr(n, "location", "wasim");
	wa_node_set_attr_u64(n, "creation", (uint64_t)c->account->created);
	/* Baileys takes me.lid from here: always present, device-qualified. */
	if (wa_jid_make(&lid, c->account->lid, WA_SERVER_LID,
	    c->device->id) == 0)
		wa_node_set_attr_jid(n, "lid", &lid);
	sim_conn_set_state(c, SIM_CONN_LOGGED_IN);
	logp_info(c->prefix, "logged in: device %u of account %s",
	    c->device->id, c->account->phone);
	sim_conn_send(c, n);
	wa_node_free(n);
	/* The offline marker follows the client's <passive><active/>; send
	 * it anyway after a while, as the real server does. */
	c->offline_timer = u_timer_new(c->sim->loop, offline_timer_cb, c);
	u_timer_start(c->offline_timer, c->sim->opts.offline_delay_ms, 0);
}

static void
handle_login(struct sim_conn *c, const Wa__ClientPayload *cp)
{
	char phone[32];
	struct sim_account *a;
	struct sim_device *d;

	snprintf(phone, sizeof(phone), "%llu",
	    (unsigned long long)cp->username);
	a = sim_account_find(c->sim, phone);
	if (a != NULL && a->login_failures > 0) {
		a->login_failures--;
		logp_info(c->prefix, "injected login failure");
		sim_conn_failure(c, a->login_failure);
		return;
	}
	d = a != NULL && cp->has_device && cp->device <= UINT16_MAX ?
	    sim_device_find(a, (uint16_t)cp->device) : NULL;
	if (d == NULL || d->removed) {
		logp_info(c->prefix, "login for unknown device %s:%u", phone,
		    cp->has_device ? cp->device : 0);
		sim_conn_failure(c, "401");
		return;
	}
	if (!cry_equal(d->noise_pub, c->client_static, CRY_KEY_LEN)) {
		logp_warnx(c->prefix, "login with the wrong noise key");
		sim_conn_failure(c, "401");
		return;
	}
	if (d->conn != NULL && d->conn != c) {
		/* The newest connection wins, as on the real server. */
		sim_conn_stream_error(d->conn, NULL, "replaced");
		d->conn->device = NULL;
	}
	c->account = a;
	c->device = d;
	d->conn = c;
	sim_conn_login_success(c);
}

static int
get_be(const ProtobufCBinaryData *b, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (b->len != n || n > 4)
		return U_ERR_INVALID;
	for (i = 0; i < n; i++)
		v = v << 8 | b->data[i];
	*out = v;
	return 0;
}

static int
handle_registration(struct sim_conn *c, const Wa__ClientPayload *cp)
{
	const Wa__ClientPayload__DevicePairingRegistrationData *pd =
	    cp->device_pairing_data;
	uint8_t msg[CRY_PUB_PREFIXED_LEN];
	struct sim_reg *reg = &c->reg;

	if (!pd->has_e_regid || get_be(&pd->e_regid, 4, &reg->reg_id) != 0 ||
	    !pd->has_e_keytype || pd->e_keytype.len != 1 ||
	    pd->e_keytype.data[0] != CRY_DJB_TYPE ||
	    !pd->has_e_ident || pd->e_ident.len != CRY_KEY_LEN ||
	    !pd->has_e_skey_id || get_be(&pd->e_skey_id, 3, &reg->skey_id) != 0 ||
	    !pd->has_e_skey_val || pd->e_skey_val.len != CRY_KEY_LEN ||
	    !pd->has_e_skey_sig || pd->e_skey_sig.len != CRY_SIG_LEN) {
		logp_warnx(c->prefix, "malformed device pairing data");
		return U_ERR_INVALID;
	}
	memcpy(reg->identity_pub, pd->e_ident.data, CRY_KEY_LEN);
	memcpy(reg->skey_pub, pd->e_skey_val.data, CRY_KEY_LEN);
	memcpy(reg->skey_sig, pd->e_skey_sig.data, CRY_SIG_LEN);
	/* The real server checks the signed prekey signature too. */
	cry_pub_prefix(msg, reg->skey_pub);
	if (cry_xeddsa_verify(reg->identity_pub, msg, sizeof(msg),
	    reg->skey_sig) != 0) {
		logp_warnx(c->prefix, "signed prekey signature invalid");
		return U_ERR_INVALID;
	}
	if (cp->push_name != NULL)
		snprintf(reg->push_name, sizeof(reg->push_name), "%s",
		    cp->push_name);
	c->registering = true;
	sim_pair_start(c);
	return 0;
}

/* --- Incoming frames --------------------------------------------------------- */

static int
on_client_hello(struct sim_conn *c, const uint8_t *p, size_t len)
{
	const uint8_t *intro = wa_frame_dec_intro(c->frame_dec);
	struct u_buf msg;
	int r;

	if (intro == NULL)
		return WA_ERR_INTERNAL;
	c->noise->hs = wa_noise_hs_new(WA_NOISE_RESPONDER,
	    &c->sim->server_static, intro, WA_FRAME_INTRO_LEN);
	if (c->noise->hs == NULL)
		return WA_ERR_INTERNAL;
	if ((r = wa_noise_read_client_hello(c->noise->hs, p, len)) != 0)
		return r;
	u_buf_init(&msg, SIM_HANDSHAKE_MAX);
	r = wa_noise_write_server_hello(c->noise->hs, c->sim->cert_chain.p,
	    c->sim->cert_chain.len, &msg);
	if (r == 0)
		r = wa_frame_write(&c->out, msg.p, msg.len);
	u_buf_free(&msg);
	if (r != 0)
		return r;
	sim_conn_set_state(c, SIM_CONN_FINISH);
	sim_server_want_write(c);
	return 0;
}

static int
on_client_finish(struct sim_conn *c, const uint8_t *p, size_t len)
{
	uint8_t *payload = NULL;
	size_t plen = 0;
	Wa__ClientPayload *cp = NULL;
	const uint8_t *rs;
	int r;

	r = wa_noise_read_client_finish(c->noise->hs, p, len, &payload, &plen);
	if (r != 0)
		goto out;
	rs = wa_noise_hs_remote_static(c->noise->hs);
	if (rs == NULL) {
		r = WA_ERR_INTERNAL;
		goto out;
	}
	memcpy(c->client_static, rs, CRY_KEY_LEN);
	if ((r = wa_noise_hs_split(c->noise->hs, &c->noise->t)) != 0)
		goto out;
	wa_noise_hs_free(c->noise->hs);
	c->noise->hs = NULL;
	cp = wa__client_payload__unpack(NULL, plen, payload);
	if (cp == NULL) {
		logp_warnx(c->prefix, "ClientPayload does not parse");
		sim_conn_failure(c, "400");
		r = 0;
		goto out;
	}
	if (cp->device_pairing_data != NULL) {
		if (handle_registration(c, cp) != 0)
			sim_conn_failure(c, "400");
	} else if (cp->has_username)
		handle_login(c, cp);
	else {
		logp_warnx(c->prefix, "ClientPayload neither registers nor "
		    "logs in");
		sim_conn_failure(c, "400");
	}
	r = 0;
out:
	if (cp != NULL)
		wa__client_payload__free_unpacked(cp, NULL);
	free(payload);
	return r;
}

static void
dispatch(struct sim_conn *c, const struct wa_node *n)
{
	if (strcmp(n->tag, "iq") == 0) {
		sim_iq_handle(c, n);
		return;
	}
	if (strcmp(n->tag, "receipt") == 0) {
		sim_route_receipt(c, n);
		return;
	}
	if (strcmp(n->tag, "presence") == 0) {
		sim_presence(c, n);
		return;
	}
	if (strcmp(n->tag, "chatstate") == 0) {
		sim_chatstate(c, n);
		return;
	}
	if (strcmp(n->tag, "message") == 0) {
		/* Acknowledge at once (the client retries otherwise), then
		 * deliver. */
		struct wa_node *ack = wa_node_new("ack");
		const char *id = wa_node_attr(n, "id");
		const struct wa_attr *to = wa_node_attr_get(n, "to");

		wa_node_set_attr(ack, "class", "message");
		if (id != NULL)
			wa_node_set_attr(ack, "id", id);
		if (to != NULL && to->kind == WA_VAL_JID)
			wa_node_set_attr_jid(ack, "from", &to->jid);
		wa_node_set_attr_u64(ack, "t", (uint64_t)sim_now());
		if (c->account != NULL && c->account->message_errors > 0) {
			c->account->message_errors--;
			/* "hold": the server never answers (a send stays in
			 * flight on the client's side). */
			if (strcmp(c->account->message_error, "hold") == 0) {
				logp_info(c->prefix, "message %s held",
				    id != NULL ? id : "?");
				wa_node_free(ack);
				return;
			}
			wa_node_set_attr(ack, "error", c->account->message_error);
			sim_conn_send(c, ack);
			wa_node_free(ack);
			return;
		}
		sim_conn_send(c, ack);
		wa_node_free(ack);
		sim_route_message(c, n);
		return;
	}
	/* ib (unified_session, offline_batch), ack: accepted without a
	 * reply. */
	logp_debug(c->prefix, "ignoring <%s>", n->tag);
}

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct sim_conn *c = arg;
	struct u_buf plain;
	struct wa_node *n = NULL;
	int r;

	if (c->dead || c->close_after_flush)
		return 0;
	switch (c->state) {
	case SIM_CONN_HELLO:
		if ((r = on_client_hello(c, p, len)) != 0) {
			conn_abort(c, "bad ClientHello", r);
			return -1;
		}
		return 0;
	case SIM_CONN_FINISH:
		if ((r = on_client_finish(c, p, len)) != 0) {
			conn_abort(c, "bad ClientFinish", r);
			return -1;
		}
		return 0;
	default:
		break;
	}
	u_buf_init(&plain, SIM_FRAME_MAX);
	r = wa_noise_decrypt(c->noise->t, p, len, &plain);
	if (r == 0)
		r = wa_node_decode_frame(plain.p, plain.len, &n);
	u_buf_free(&plain);
	if (r != 0) {
		conn_abort(c, "bad frame", r);
		return -1;
	}
	if (u_log_enabled(U_LOG_DEBUG)) {
		struct u_buf x;

		u_buf_init(&x, 1 << 16);
		if (wa_node_to_xml(n, &x, 64) == 0 && u_buf_add_u8(&x, 0) == 0)
			logp_debug(c->prefix, "recv %s", (char *)x.p);
		u_buf_free(&x);
	}
	dispatch(c, n);
	wa_node_free(n);
	return 0;
}

int
sim_conn_on_data(struct sim_conn *c, const void *p, size_t n)
{
	int r;

	if (c->dead)
		return -1;
	if (c->close_after_flush)
		return 0;	/* draining: ignore what still arrives */
	r = wa_frame_dec_feed(c->frame_dec, p, n, on_frame, c);
	if (r != 0 && !c->close_after_flush)
		conn_abort(c, "bad framing", r);
	/* Keep the socket until queued output (failure, stream error) is
	 * written; on_writable closes it. */
	return 0;
}
