/*
 * noise.c: Noise_XX_25519_AESGCM_SHA256 as WhatsApp Web runs it, initiator
 * and responder, and the transport cipher (waweb/noise.h).
 *
 * Symmetric state: h (handshake hash), ck (chaining key), k (cipher key),
 * n (nonce counter).  MixHash(x): h = SHA256(h || x).  MixKey(ikm):
 * ck || k = HKDF(salt ck, ikm, info "", 64 bytes), n = 0.
 * EncryptAndHash / DecryptAndHash use AES-256-GCM with aad = h and nonce
 * n++, then MixHash(ciphertext).
 *
 * Does not: frame (frame.c), build the ClientPayload (the connection does)
 * or decide whether a client static key is registered (the simulator does).
 *
 * Invariants:
 *  - hs->state only moves forward along its role's path; any failure moves
 *    it to ST_FAILED, after which every step returns WA_ERR_NOISE_STATE.
 *  - Every received HandshakeMessage is size-checked, then unpacked into an
 *    owned protobuf-c struct, validated (lengths, presence), then used.
 *  - Key material (static and ephemeral keys, h, ck, k, DH outputs) is
 *    wiped before memory is released.
 */
#include <string.h>

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>

#include "crypto/cry.h"
#include "proto/wa6.pb-c.h"
#include "util/buf.h"
#include "util/mem.h"
#include "waweb/cert.h"
#include "waweb/errors.h"
#include "waweb/frame.h"
#include "waweb/noise.h"

#define KEY		CRY_KEY_LEN
#define TAG		CRY_GCM_TAG_LEN
/* The transport nonce holds a 32-bit counter. */
#define NONCE_LIMIT	((uint64_t)UINT32_MAX + 1)

enum {
	ST_START,
	/* initiator */
	ST_I_HELLO_SENT,
	ST_I_HELLO_READ,
	/* responder */
	ST_R_HELLO_READ,
	ST_R_HELLO_SENT,
	/* both */
	ST_DONE,
	ST_SPLIT,
	ST_FAILED,
};

struct wa_noise_hs {
	enum wa_noise_role	 role;
	int			 state;
	uint8_t			 h[CRY_SHA256_LEN];
	uint8_t			 ck[KEY];
	uint8_t			 k[KEY];
	struct cry_gcm		*gcm;	/* owned; keyed with k, NULL before MixKey */
	uint32_t		 n;
	struct cry_keypair	 s;	/* our static */
	struct cry_keypair	 e;	/* our ephemeral */
	int			 have_e;
	uint8_t			 re[KEY];	/* remote ephemeral */
	uint8_t			 rs[KEY];	/* remote static */
	int			 have_rs;
};

struct wa_noise_transport {
	struct cry_gcm	*send;	/* owned */
	struct cry_gcm	*recv;	/* owned */
	uint64_t	 sent;
	uint64_t	 received;
};

static void
nonce(uint8_t iv[CRY_GCM_IV_LEN], uint32_t n)
{
	memset(iv, 0, 8);
	iv[8] = (uint8_t)(n >> 24);
	iv[9] = (uint8_t)(n >> 16);
	iv[10] = (uint8_t)(n >> 8);
	iv[11] = (uint8_t)n;
}

static void
mix_hash(struct wa_noise_hs *hs, const void *p, size_t n)
{
	cry_sha256_cat(hs->h, sizeof(hs->h), p, n, hs->h);
}

static int
mix_key(struct wa_noise_hs *hs, const uint8_t *ikm, size_t n)
{
	uint8_t out[2 * KEY];
	int r;

	if ((r = cry_hkdf_sha256(hs->ck, KEY, ikm, n, NULL, 0, out,
	    sizeof(out))) != 0)
		return r;
	memcpy(hs->ck, out, KEY);
	memcpy(hs->k, out + KEY, KEY);
	sodium_memzero(out, sizeof(out));
	hs->n = 0;
	cry_gcm_free(hs->gcm);
	if ((hs->gcm = cry_gcm_new(hs->k)) == NULL)
		return CRY_ERR_INTERNAL;
	return 0;
}

static int
mix_dh(struct wa_noise_hs *hs, const uint8_t priv[KEY], const uint8_t pub[KEY])
{
	uint8_t shared[KEY];
	int r;

	if ((r = cry_dh(shared, priv, pub)) != 0)
		return r;
	r = mix_key(hs, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return r;
}

/* out: n + TAG bytes, owned by the caller. */
static int
encrypt_and_hash(struct wa_noise_hs *hs, const void *pt, size_t n,
    uint8_t **out)
{
	uint8_t iv[CRY_GCM_IV_LEN], *ct;
	int r;

	if (hs->gcm == NULL)
		return WA_ERR_INTERNAL;
	ct = u_malloc(n + TAG);
	nonce(iv, hs->n++);
	if ((r = cry_gcm_seal(hs->gcm, iv, hs->h, sizeof(hs->h), pt, n, ct)) != 0) {
		free(ct);
		return r;
	}
	mix_hash(hs, ct, n + TAG);
	*out = ct;
	return 0;
}

/* *out: len - TAG bytes (at least 1 byte allocated), owned by the caller. */
static int
decrypt_and_hash(struct wa_noise_hs *hs, const ProtobufCBinaryData *ct,
    uint8_t **out, size_t *outlen)
{
	uint8_t iv[CRY_GCM_IV_LEN], *pt;
	size_t n;

	if (hs->gcm == NULL)
		return WA_ERR_INTERNAL;
	if (ct->len < TAG)
		return WA_ERR_NOISE_DECRYPT;
	n = ct->len - TAG;
	pt = u_malloc(n + 1);
	nonce(iv, hs->n++);
	if (cry_gcm_open(hs->gcm, iv, hs->h, sizeof(hs->h), ct->data, ct->len,
	    pt) != 0) {
		u_free_secret(pt, n + 1);
		return WA_ERR_NOISE_DECRYPT;
	}
	mix_hash(hs, ct->data, ct->len);
	*out = pt;
	*outlen = n;
	return 0;
}

static int
pack_msg(const Wa__HandshakeMessage *m, struct u_buf *out)
{
	size_t n = wa__handshake_message__get_packed_size(m);
	int r;

	if ((r = u_buf_reserve(out, n)) != 0)
		return r;
	out->len += wa__handshake_message__pack(m, out->p + out->len);
	out->p[out->len] = '\0';
	return 0;
}

static int
unpack_msg(const uint8_t *msg, size_t len, Wa__HandshakeMessage **out)
{
	Wa__HandshakeMessage *m;

	if (len > WA_NOISE_MSG_MAX)
		return WA_ERR_TOO_BIG;
	if ((m = wa__handshake_message__unpack(NULL, len, msg)) == NULL)
		return WA_ERR_HANDSHAKE;
	*out = m;
	return 0;
}

static int
enter(struct wa_noise_hs *hs, enum wa_noise_role role, int state)
{
	if (hs->role != role || hs->state != state)
		return WA_ERR_NOISE_STATE;
	return 0;
}

/* Record the outcome of a step: failures are final. */
static int
leave(struct wa_noise_hs *hs, int r, int next)
{
	hs->state = r == 0 ? next : ST_FAILED;
	return r;
}

struct wa_noise_hs *
wa_noise_hs_new(enum wa_noise_role role, const struct cry_keypair *static_kp,
    const uint8_t *prologue, size_t prologue_len)
{
	struct wa_noise_hs *hs;

	if (prologue_len > WA_NOISE_PROLOGUE_MAX)
		return NULL;
	hs = u_calloc(1, sizeof(*hs));
	hs->role = role;
	hs->state = ST_START;
	hs->s = *static_kp;
	/* The name is exactly 32 bytes: it is h and ck as is. */
	memcpy(hs->h, WA_NOISE_PROTOCOL, sizeof(hs->h));
	memcpy(hs->ck, WA_NOISE_PROTOCOL, sizeof(hs->ck));
	mix_hash(hs, prologue_len ? prologue : (const uint8_t *)"",
	    prologue_len);
	return hs;
}

void
wa_noise_hs_free(struct wa_noise_hs *hs)
{
	if (hs == NULL)
		return;
	cry_gcm_free(hs->gcm);
	u_free_secret(hs, sizeof(*hs));
}

int
wa_noise_hs_set_ephemeral(struct wa_noise_hs *hs, const struct cry_keypair *e)
{
	if (hs->state != ST_START)
		return WA_ERR_NOISE_STATE;
	hs->e = *e;
	hs->have_e = 1;
	return 0;
}

static void
need_ephemeral(struct wa_noise_hs *hs)
{
	if (!hs->have_e) {
		cry_keypair_generate(&hs->e);
		hs->have_e = 1;
	}
}

const uint8_t *
wa_noise_hs_remote_static(const struct wa_noise_hs *hs)
{
	return hs->have_rs ? hs->rs : NULL;
}

/* --- Initiator ----------------------------------------------------------- */

int
wa_noise_write_client_hello(struct wa_noise_hs *hs, struct u_buf *out)
{
	Wa__HandshakeMessage__ClientHello hello;
	Wa__HandshakeMessage m;
	int r;

	if ((r = enter(hs, WA_NOISE_INITIATOR, ST_START)) != 0)
		return r;
	need_ephemeral(hs);
	mix_hash(hs, hs->e.pub, KEY);
	wa__handshake_message__init(&m);
	wa__handshake_message__client_hello__init(&hello);
	hello.has_ephemeral = 1;
	hello.ephemeral.data = hs->e.pub;
	hello.ephemeral.len = KEY;
	m.client_hello = &hello;
	r = pack_msg(&m, out);
	return leave(hs, r, ST_I_HELLO_SENT);
}

int
wa_noise_read_server_hello(struct wa_noise_hs *hs, const uint8_t *msg,
    size_t len, const uint8_t root[CRY_KEY_LEN], int64_t now)
{
	Wa__HandshakeMessage__ServerHello *sh;
	Wa__HandshakeMessage *m = NULL;
	uint8_t *st = NULL, *cert = NULL;
	size_t stlen = 0, certlen = 0;
	int r;

	if ((r = enter(hs, WA_NOISE_INITIATOR, ST_I_HELLO_SENT)) != 0)
		return r;
	if ((r = unpack_msg(msg, len, &m)) != 0)
		goto out;
	r = WA_ERR_HANDSHAKE;
	sh = m->server_hello;
	/* What whatsmeow requires: a 32-byte ephemeral, static and payload. */
	if (sh == NULL || !sh->has_ephemeral || sh->ephemeral.len != KEY ||
	    !sh->has_static_ || !sh->has_payload)
		goto out;
	memcpy(hs->re, sh->ephemeral.data, KEY);
	mix_hash(hs, hs->re, KEY);
	if ((r = mix_dh(hs, hs->e.priv, hs->re)) != 0)
		goto out;
	if ((r = decrypt_and_hash(hs, &sh->static_, &st, &stlen)) != 0)
		goto out;
	if (stlen != KEY) {
		r = WA_ERR_HANDSHAKE;
		goto out;
	}
	memcpy(hs->rs, st, KEY);
	hs->have_rs = 1;
	if ((r = mix_dh(hs, hs->e.priv, hs->rs)) != 0)
		goto out;
	if ((r = decrypt_and_hash(hs, &sh->payload, &cert, &certlen)) != 0)
		goto out;
	r = wa_cert_verify_chain(cert, certlen, root, hs->rs, now);
out:
	free(st);
	free(cert);
	if (m != NULL)
		wa__handshake_message__free_unpacked(m, NULL);
	return leave(hs, r, ST_I_HELLO_READ);
}

int
wa_noise_write_client_finish(struct wa_noise_hs *hs, const void *payload,
    size_t len, struct u_buf *out)
{
	Wa__HandshakeMessage__ClientFinish fin;
	Wa__HandshakeMessage m;
	uint8_t *cs = NULL, *cp = NULL;
	int r;

	if ((r = enter(hs, WA_NOISE_INITIATOR, ST_I_HELLO_READ)) != 0)
		return r;
	r = WA_ERR_TOO_BIG;
	if (len > WA_NOISE_MSG_MAX)
		goto out;
	/* Same key that decrypted the certificate, nonce 1. */
	if ((r = encrypt_and_hash(hs, hs->s.pub, KEY, &cs)) != 0)
		goto out;
	if ((r = mix_dh(hs, hs->s.priv, hs->re)) != 0)
		goto out;
	if ((r = encrypt_and_hash(hs, len ? payload : "", len, &cp)) != 0)
		goto out;
	wa__handshake_message__init(&m);
	wa__handshake_message__client_finish__init(&fin);
	fin.has_static_ = 1;
	fin.static_.data = cs;
	fin.static_.len = KEY + TAG;
	fin.has_payload = 1;
	fin.payload.data = cp;
	fin.payload.len = len + TAG;
	m.client_finish = &fin;
	r = pack_msg(&m, out);
out:
	free(cs);
	free(cp);
	return leave(hs, r, ST_DONE);
}

/* --- Responder ----------------------------------------------------------- */

int
wa_noise_read_client_hello(struct wa_noise_hs *hs, const uint8_t *msg,
    size_t len)
{
	Wa__HandshakeMessage *m = NULL;
	int r;

	if ((r = enter(hs, WA_NOISE_RESPONDER, ST_START)) != 0)
		return r;
	if ((r = unpack_msg(msg, len, &m)) != 0)
		goto out;
	r = WA_ERR_HANDSHAKE;
	if (m->client_hello == NULL || !m->client_hello->has_ephemeral ||
	    m->client_hello->ephemeral.len != KEY)
		goto out;
	memcpy(hs->re, m->client_hello->ephemeral.data, KEY);
	mix_hash(hs, hs->re, KEY);
	r = 0;
out:
	if (m != NULL)
		wa__handshake_message__free_unpacked(m, NULL);
	return leave(hs, r, ST_R_HELLO_READ);
}

int
wa_noise_write_server_hello(struct wa_noise_hs *hs, const void *cert,
    size_t len, struct u_buf *out)
{
	Wa__HandshakeMessage__ServerHello sh;
	Wa__HandshakeMessage m;
	uint8_t *cs = NULL, *cp = NULL;
	int r;

	if ((r = enter(hs, WA_NOISE_RESPONDER, ST_R_HELLO_READ)) != 0)
		return r;
	r = WA_ERR_TOO_BIG;
	if (len > WA_NOISE_MSG_MAX)
		goto out;
	need_ephemeral(hs);
	mix_hash(hs, hs->e.pub, KEY);
	if ((r = mix_dh(hs, hs->e.priv, hs->re)) != 0)
		goto out;
	if ((r = encrypt_and_hash(hs, hs->s.pub, KEY, &cs)) != 0)
		goto out;
	if ((r = mix_dh(hs, hs->s.priv, hs->re)) != 0)
		goto out;
	if ((r = encrypt_and_hash(hs, len ? cert : "", len, &cp)) != 0)
		goto out;
	wa__handshake_message__init(&m);
	wa__handshake_message__server_hello__init(&sh);
	sh.has_ephemeral = 1;
	sh.ephemeral.data = hs->e.pub;
	sh.ephemeral.len = KEY;
	sh.has_static_ = 1;
	sh.static_.data = cs;
	sh.static_.len = KEY + TAG;
	sh.has_payload = 1;
	sh.payload.data = cp;
	sh.payload.len = len + TAG;
	m.server_hello = &sh;
	r = pack_msg(&m, out);
out:
	free(cs);
	free(cp);
	return leave(hs, r, ST_R_HELLO_SENT);
}

int
wa_noise_read_client_finish(struct wa_noise_hs *hs, const uint8_t *msg,
    size_t len, uint8_t **payload, size_t *payload_len)
{
	Wa__HandshakeMessage__ClientFinish *fin;
	Wa__HandshakeMessage *m = NULL;
	uint8_t *st = NULL, *pl = NULL;
	size_t stlen = 0, pllen = 0;
	int r;

	if ((r = enter(hs, WA_NOISE_RESPONDER, ST_R_HELLO_SENT)) != 0)
		return r;
	if ((r = unpack_msg(msg, len, &m)) != 0)
		goto out;
	r = WA_ERR_HANDSHAKE;
	fin = m->client_finish;
	if (fin == NULL || !fin->has_static_ || !fin->has_payload)
		goto out;
	if ((r = decrypt_and_hash(hs, &fin->static_, &st, &stlen)) != 0)
		goto out;
	if (stlen != KEY) {
		r = WA_ERR_HANDSHAKE;
		goto out;
	}
	memcpy(hs->rs, st, KEY);
	hs->have_rs = 1;
	if ((r = mix_dh(hs, hs->e.priv, hs->rs)) != 0)
		goto out;
	if ((r = decrypt_and_hash(hs, &fin->payload, &pl, &pllen)) != 0)
		goto out;
	*payload = pl;
	*payload_len = pllen;
	pl = NULL;
	r = 0;
out:
	free(st);
	free(pl);
	if (m != NULL)
		wa__handshake_message__free_unpacked(m, NULL);
	return leave(hs, r, ST_DONE);
}

/* --- Split and transport ------------------------------------------------ */

int
wa_noise_hs_split(struct wa_noise_hs *hs, struct wa_noise_transport **out)
{
	struct wa_noise_transport *t;
	uint8_t keys[2 * KEY];
	const uint8_t *send, *recv;
	int r;

	if (hs->state != ST_DONE)
		return WA_ERR_NOISE_STATE;
	if ((r = cry_hkdf_sha256(hs->ck, KEY, NULL, 0, NULL, 0, keys,
	    sizeof(keys))) != 0)
		return leave(hs, r, ST_FAILED);
	/* The initiator writes with the first half, the responder reads with it. */
	send = hs->role == WA_NOISE_INITIATOR ? keys : keys + KEY;
	recv = hs->role == WA_NOISE_INITIATOR ? keys + KEY : keys;
	t = u_calloc(1, sizeof(*t));
	t->send = cry_gcm_new(send);
	t->recv = cry_gcm_new(recv);
	sodium_memzero(keys, sizeof(keys));
	if (t->send == NULL || t->recv == NULL) {
		wa_noise_transport_free(t);
		return leave(hs, CRY_ERR_INTERNAL, ST_FAILED);
	}
	hs->state = ST_SPLIT;
	*out = t;
	return 0;
}

void
wa_noise_transport_free(struct wa_noise_transport *t)
{
	if (t == NULL)
		return;
	cry_gcm_free(t->send);
	cry_gcm_free(t->recv);
	free(t);
}

int
wa_noise_encrypt(struct wa_noise_transport *t, const void *pt, size_t n,
    struct u_buf *out)
{
	uint8_t iv[CRY_GCM_IV_LEN];
	int r;

	if (n > WA_FRAME_MAX - TAG)
		return WA_ERR_TOO_BIG;
	if (t->sent >= NONCE_LIMIT)
		return WA_ERR_NOISE_EXHAUSTED;
	if ((r = u_buf_reserve(out, n + TAG)) != 0)
		return r;
	nonce(iv, (uint32_t)t->sent);
	if ((r = cry_gcm_seal(t->send, iv, NULL, 0, n ? pt : "", n,
	    out->p + out->len)) != 0)
		return r;
	t->sent++;
	out->len += n + TAG;
	out->p[out->len] = '\0';
	return 0;
}

int
wa_noise_encrypt_frame(struct wa_noise_transport *t, const void *pt,
    size_t n, struct u_buf *out)
{
	size_t mark = out->len;
	int r;

	if (n > WA_FRAME_MAX - TAG)
		return WA_ERR_TOO_BIG;
	if ((r = u_buf_reserve(out, WA_FRAME_LEN_SIZE + n + TAG)) != 0)
		return r;
	if ((r = u_buf_add_u24be(out, (uint32_t)(n + TAG))) != 0 ||
	    (r = wa_noise_encrypt(t, pt, n, out)) != 0) {
		out->len = mark;
		return r;
	}
	return 0;
}

int
wa_noise_decrypt(struct wa_noise_transport *t, const void *ct, size_t n,
    struct u_buf *out)
{
	uint8_t iv[CRY_GCM_IV_LEN];
	uint32_t c;
	int r;

	if (t->received >= NONCE_LIMIT)
		return WA_ERR_NOISE_EXHAUSTED;
	c = (uint32_t)t->received++;
	if (n < TAG)
		return WA_ERR_NOISE_DECRYPT;
	if ((r = u_buf_reserve(out, n - TAG)) != 0)
		return r;
	nonce(iv, c);
	if (cry_gcm_open(t->recv, iv, NULL, 0, ct, n, out->p + out->len) != 0) {
		/* Nothing of a forged frame is kept. */
		sodium_memzero(out->p + out->len, n - TAG);
		return WA_ERR_NOISE_DECRYPT;
	}
	out->len += n - TAG;
	out->p[out->len] = '\0';
	return 0;
}

void
wa_noise_transport_seek(struct wa_noise_transport *t, uint64_t sent,
    uint64_t received)
{
	t->sent = sent;
	t->received = received;
}

uint64_t
wa_noise_transport_sent(const struct wa_noise_transport *t)
{
	return t->sent;
}

uint64_t
wa_noise_transport_received(const struct wa_noise_transport *t)
{
	return t->received;
}
