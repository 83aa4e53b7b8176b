/*
 * test_wa_noise.c: the Noise handshake, initiator against responder in
 * memory: both sides agree (payload, static keys, transport keys), frames
 * round-trip in both directions, and every kind of tampering, misuse and
 * malformed message is refused.
 */
#include <string.h>
#include <time.h>

#include "crypto/cry.h"
#include "proto/wa6.pb-c.h"
#include "test/unit/test.h"
#include "util/buf.h"
#include "waweb/cert.h"
#include "waweb/errors.h"
#include "waweb/frame.h"
#include "waweb/noise.h"

struct pair {
	struct cry_keypair	 root, cs, ss;	/* trust root, client/server static */
	struct wa_noise_hs	*cli, *srv;
	struct u_buf		 cert, hello, shello, fin;
	struct wa_noise_transport *ct, *st;
	uint8_t			*payload;
	size_t			 payload_len;
};

static const char client_payload[] = "serialized ClientPayload";

static void
pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	cry_keypair_generate(&p->root);
	cry_keypair_generate(&p->cs);
	cry_keypair_generate(&p->ss);
	p->cli = wa_noise_hs_new(WA_NOISE_INITIATOR, &p->cs, wa_frame_intro,
	    WA_FRAME_INTRO_LEN);
	p->srv = wa_noise_hs_new(WA_NOISE_RESPONDER, &p->ss, wa_frame_intro,
	    WA_FRAME_INTRO_LEN);
	u_buf_init(&p->cert, 0);
	u_buf_init(&p->hello, 0);
	u_buf_init(&p->shello, 0);
	u_buf_init(&p->fin, 0);
	if (wa_cert_issue_chain(&p->root, p->ss.pub, NULL, &p->cert) != 0)
		abort();
}

static void
pair_free(struct pair *p)
{
	wa_noise_hs_free(p->cli);
	wa_noise_hs_free(p->srv);
	wa_noise_transport_free(p->ct);
	wa_noise_transport_free(p->st);
	u_buf_free(&p->cert);
	u_buf_free(&p->hello);
	u_buf_free(&p->shello);
	u_buf_free(&p->fin);
	free(p->payload);
}

/* Run the first two messages; returns the client's read_server_hello result. */
static int
pair_hellos(struct pair *p, const uint8_t *root)
{
	int r;

	if ((r = wa_noise_write_client_hello(p->cli, &p->hello)) != 0 ||
	    (r = wa_noise_read_client_hello(p->srv, p->hello.p,
	    p->hello.len)) != 0 ||
	    (r = wa_noise_write_server_hello(p->srv, p->cert.p, p->cert.len,
	    &p->shello)) != 0)
		return r;
	return wa_noise_read_server_hello(p->cli, p->shello.p, p->shello.len,
	    root, (int64_t)time(NULL));
}

static int
pair_finish(struct pair *p)
{
	int r;

	if ((r = wa_noise_write_client_finish(p->cli, client_payload,
	    sizeof(client_payload) - 1, &p->fin)) != 0)
		return r;
	return wa_noise_read_client_finish(p->srv, p->fin.p, p->fin.len,
	    &p->payload, &p->payload_len);
}

static int
pair_full(struct pair *p)
{
	int r;

	if ((r = pair_hellos(p, p->root.pub)) != 0 ||
	    (r = pair_finish(p)) != 0 ||
	    (r = wa_noise_hs_split(p->cli, &p->ct)) != 0)
		return r;
	return wa_noise_hs_split(p->srv, &p->st);
}

TEST(test_wa_noise_protocol_name_is_32_bytes)
{
	CHECK_EQ_INT(sizeof(WA_NOISE_PROTOCOL) - 1, 32);
}

TEST(test_wa_noise_full_handshake_and_transport)
{
	struct pair p;
	struct u_buf a, b;
	char msg[64];
	int i;

	pair_init(&p);
	REQUIRE(pair_full(&p) == 0);
	CHECK_EQ_INT(p.payload_len, sizeof(client_payload) - 1);
	CHECK_EQ_MEM(p.payload, client_payload, p.payload_len);
	/* Each side learned the other's static key. */
	REQUIRE(wa_noise_hs_remote_static(p.srv) != NULL);
	REQUIRE(wa_noise_hs_remote_static(p.cli) != NULL);
	CHECK_EQ_MEM(wa_noise_hs_remote_static(p.srv), p.cs.pub, 32);
	CHECK_EQ_MEM(wa_noise_hs_remote_static(p.cli), p.ss.pub, 32);

	/* Same transport keys: frames decrypt in both directions, in order. */
	u_buf_init(&a, 0);
	u_buf_init(&b, 0);
	for (i = 0; i < 20; i++) {
		snprintf(msg, sizeof(msg), "frame %d from client", i);
		u_buf_reset(&a);
		u_buf_reset(&b);
		REQUIRE(wa_noise_encrypt(p.ct, msg, strlen(msg), &a) == 0);
		CHECK_EQ_INT(a.len, strlen(msg) + 16);
		REQUIRE(wa_noise_decrypt(p.st, a.p, a.len, &b) == 0);
		CHECK_EQ_INT(b.len, strlen(msg));
		CHECK_EQ_MEM(b.p, msg, strlen(msg));

		snprintf(msg, sizeof(msg), "frame %d from server", i);
		u_buf_reset(&a);
		u_buf_reset(&b);
		REQUIRE(wa_noise_encrypt(p.st, msg, strlen(msg), &a) == 0);
		REQUIRE(wa_noise_decrypt(p.ct, a.p, a.len, &b) == 0);
		CHECK_EQ_MEM(b.p, msg, strlen(msg));
	}
	CHECK_EQ_INT(wa_noise_transport_sent(p.ct), 20);
	CHECK_EQ_INT(wa_noise_transport_received(p.ct), 20);

	/* A client frame cannot be decrypted by the client's own reader
	 * (directions use different keys). */
	u_buf_reset(&a);
	u_buf_reset(&b);
	REQUIRE(wa_noise_encrypt(p.ct, "x", 1, &a) == 0);
	CHECK_EQ_INT(wa_noise_decrypt(p.ct, a.p, a.len, &b), WA_ERR_NOISE_DECRYPT);
	u_buf_free(&a);
	u_buf_free(&b);
	pair_free(&p);
}

struct fr {
	struct wa_noise_transport	*t;
	struct u_buf			 out;
	int				 n;
};

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct fr *f = arg;

	f->n++;
	return wa_noise_decrypt(f->t, p, len, &f->out);
}

TEST(test_wa_noise_encrypt_frame_through_decoder)
{
	struct pair p;
	struct wa_frame_dec d;
	struct u_buf wire;
	struct fr f;
	size_t i;

	pair_init(&p);
	REQUIRE(pair_full(&p) == 0);
	u_buf_init(&wire, 0);
	REQUIRE(wa_noise_encrypt_frame(p.st, "one", 3, &wire) == 0);
	REQUIRE(wa_noise_encrypt_frame(p.st, "", 0, &wire) == 0);
	REQUIRE(wa_noise_encrypt_frame(p.st, "three", 5, &wire) == 0);
	CHECK_EQ_INT(wire.len, 3 * 3 + 3 + 16 + 0 + 16 + 5 + 16);
	memset(&f, 0, sizeof(f));
	f.t = p.ct;
	u_buf_init(&f.out, 0);
	wa_frame_dec_init(&d, 0, 0);
	/* Byte by byte: the decoder reassembles, the cipher sees whole frames. */
	for (i = 0; i < wire.len; i++)
		CHECK_EQ_INT(wa_frame_dec_feed(&d, wire.p + i, 1, on_frame, &f), 0);
	CHECK_EQ_INT(f.n, 3);
	CHECK_EQ_INT(f.out.len, 8);
	CHECK_EQ_MEM(f.out.p, "onethree", 8);
	wa_frame_dec_free(&d);
	u_buf_free(&f.out);
	u_buf_free(&wire);
	pair_free(&p);
}

TEST(test_wa_noise_tampered_transport_frame_rejected)
{
	struct pair p;
	struct u_buf a, b;
	size_t i;

	pair_init(&p);
	REQUIRE(pair_full(&p) == 0);
	u_buf_init(&a, 0);
	u_buf_init(&b, 0);
	REQUIRE(wa_noise_encrypt(p.ct, "payload", 7, &a) == 0);
	/* Flip each byte in turn on a fresh receiver counter each time. */
	for (i = 0; i < a.len; i++) {
		a.p[i] ^= 0x40;
		wa_noise_transport_seek(p.st, 0, 0);
		CHECK_EQ_INT(wa_noise_decrypt(p.st, a.p, a.len, &b),
		    WA_ERR_NOISE_DECRYPT);
		CHECK_EQ_INT(b.len, 0);
		a.p[i] ^= 0x40;
	}
	/* Truncated below the tag size. */
	wa_noise_transport_seek(p.st, 0, 0);
	CHECK_EQ_INT(wa_noise_decrypt(p.st, a.p, 15, &b), WA_ERR_NOISE_DECRYPT);
	/* Replayed or reordered: the counter moved on. */
	wa_noise_transport_seek(p.st, 0, 1);
	CHECK_EQ_INT(wa_noise_decrypt(p.st, a.p, a.len, &b), WA_ERR_NOISE_DECRYPT);
	wa_noise_transport_seek(p.st, 0, 0);
	CHECK_EQ_INT(wa_noise_decrypt(p.st, a.p, a.len, &b), 0);
	CHECK_EQ_MEM(b.p, "payload", 7);
	u_buf_free(&a);
	u_buf_free(&b);
	pair_free(&p);
}

TEST(test_wa_noise_transport_nonce_exhaustion)
{
	struct pair p;
	struct u_buf a, b;

	pair_init(&p);
	REQUIRE(pair_full(&p) == 0);
	u_buf_init(&a, 0);
	u_buf_init(&b, 0);
	/* The last usable nonce works, the next one is refused. */
	wa_noise_transport_seek(p.ct, UINT32_MAX, 0);
	wa_noise_transport_seek(p.st, 0, UINT32_MAX);
	REQUIRE(wa_noise_encrypt(p.ct, "last", 4, &a) == 0);
	CHECK_EQ_INT(wa_noise_decrypt(p.st, a.p, a.len, &b), 0);
	CHECK_EQ_INT(wa_noise_encrypt(p.ct, "more", 4, &a), WA_ERR_NOISE_EXHAUSTED);
	CHECK_EQ_INT(wa_noise_decrypt(p.st, a.p, a.len, &b), WA_ERR_NOISE_EXHAUSTED);
	u_buf_free(&a);
	u_buf_free(&b);
	pair_free(&p);
}

TEST(test_wa_noise_transport_size_limit)
{
	struct pair p;
	struct u_buf a;

	pair_init(&p);
	REQUIRE(pair_full(&p) == 0);
	u_buf_init(&a, 0);
	CHECK_EQ_INT(wa_noise_encrypt(p.ct, "x", WA_FRAME_MAX - 15, &a),
	    WA_ERR_TOO_BIG);
	CHECK_EQ_INT(wa_noise_encrypt_frame(p.ct, "x", WA_FRAME_MAX - 15, &a),
	    WA_ERR_TOO_BIG);
	CHECK_EQ_INT(a.len, 0);
	CHECK_EQ_INT(wa_noise_transport_sent(p.ct), 0);
	u_buf_free(&a);
	pair_free(&p);
}

TEST(test_wa_noise_tampered_server_hello_rejected)
{
	struct pair p;
	size_t i;
	int r, bad = 0;

	/* Flip each byte of the ServerHello: never accepted. */
	for (i = 0; i < 400; i += 7) {
		pair_init(&p);
		REQUIRE(wa_noise_write_client_hello(p.cli, &p.hello) == 0);
		REQUIRE(wa_noise_read_client_hello(p.srv, p.hello.p, p.hello.len) == 0);
		REQUIRE(wa_noise_write_server_hello(p.srv, p.cert.p, p.cert.len,
		    &p.shello) == 0);
		if (i >= p.shello.len) {
			pair_free(&p);
			break;
		}
		p.shello.p[i] ^= 0x01;
		r = wa_noise_read_server_hello(p.cli, p.shello.p, p.shello.len,
		    p.root.pub, (int64_t)time(NULL));
		if (r == 0)
			bad++;
		/* Failed handshakes stay failed. */
		CHECK_EQ_INT(wa_noise_write_client_finish(p.cli, "x", 1, &p.fin),
		    WA_ERR_NOISE_STATE);
		pair_free(&p);
	}
	CHECK_EQ_INT(bad, 0);
}

TEST(test_wa_noise_tampered_client_finish_rejected)
{
	struct pair p;
	int r;

	pair_init(&p);
	REQUIRE(pair_hellos(&p, p.root.pub) == 0);
	REQUIRE(wa_noise_write_client_finish(p.cli, client_payload,
	    sizeof(client_payload) - 1, &p.fin) == 0);
	p.fin.p[p.fin.len - 1] ^= 0x80;		/* inside the payload tag */
	r = wa_noise_read_client_finish(p.srv, p.fin.p, p.fin.len, &p.payload,
	    &p.payload_len);
	CHECK_EQ_INT(r, WA_ERR_NOISE_DECRYPT);
	CHECK(p.payload == NULL);
	CHECK_EQ_INT(wa_noise_hs_split(p.srv, &p.st), WA_ERR_NOISE_STATE);
	pair_free(&p);
}

TEST(test_wa_noise_wrong_root_rejected)
{
	struct pair p;
	struct cry_keypair other;

	pair_init(&p);
	cry_keypair_generate(&other);
	CHECK_EQ_INT(pair_hellos(&p, other.pub), WA_ERR_CERT_SIGNATURE);
	pair_free(&p);

	/* No root given means WhatsApp's, which did not sign the test chain:
	 * verification cannot be skipped. */
	pair_init(&p);
	CHECK_EQ_INT(pair_hellos(&p, NULL), WA_ERR_CERT_SIGNATURE);
	pair_free(&p);
}

TEST(test_wa_noise_chain_for_another_server_rejected)
{
	struct pair p;
	struct cry_keypair other;

	/* A valid chain, but its leaf is another server's key. */
	pair_init(&p);
	cry_keypair_generate(&other);
	u_buf_reset(&p.cert);
	REQUIRE(wa_cert_issue_chain(&p.root, other.pub, NULL, &p.cert) == 0);
	CHECK_EQ_INT(pair_hellos(&p, p.root.pub), WA_ERR_CERT_KEY);
	pair_free(&p);
}

TEST(test_wa_noise_steps_out_of_order)
{
	struct pair p;
	uint8_t *pl = NULL;
	size_t pll = 0;
	struct wa_noise_transport *t = NULL;
	struct cry_keypair e;

	pair_init(&p);
	/* Wrong role. */
	CHECK_EQ_INT(wa_noise_write_client_hello(p.srv, &p.hello), WA_ERR_NOISE_STATE);
	CHECK_EQ_INT(wa_noise_read_client_hello(p.cli, (const uint8_t *)"", 0),
	    WA_ERR_NOISE_STATE);
	/* Skipping steps. */
	CHECK_EQ_INT(wa_noise_read_server_hello(p.cli, (const uint8_t *)"", 0,
	    NULL, 0), WA_ERR_NOISE_STATE);
	CHECK_EQ_INT(wa_noise_write_client_finish(p.cli, "x", 1, &p.fin),
	    WA_ERR_NOISE_STATE);
	CHECK_EQ_INT(wa_noise_write_server_hello(p.srv, "c", 1, &p.shello),
	    WA_ERR_NOISE_STATE);
	CHECK_EQ_INT(wa_noise_read_client_finish(p.srv, (const uint8_t *)"", 0,
	    &pl, &pll), WA_ERR_NOISE_STATE);
	CHECK_EQ_INT(wa_noise_hs_split(p.cli, &t), WA_ERR_NOISE_STATE);
	CHECK(t == NULL);
	/* Misuse did not break the handshake: it still completes. */
	REQUIRE(pair_full(&p) == 0);
	/* Ephemeral can only be chosen before the first step. */
	cry_keypair_generate(&e);
	CHECK_EQ_INT(wa_noise_hs_set_ephemeral(p.cli, &e), WA_ERR_NOISE_STATE);
	/* Split only once. */
	CHECK_EQ_INT(wa_noise_hs_split(p.cli, &t), WA_ERR_NOISE_STATE);
	pair_free(&p);
	CHECK(wa_noise_hs_new(WA_NOISE_INITIATOR, &e, (const uint8_t *)"x",
	    WA_NOISE_PROLOGUE_MAX + 1) == NULL);
	wa_noise_hs_free(NULL);
	wa_noise_transport_free(NULL);
}

TEST(test_wa_noise_malformed_messages)
{
	struct pair p;
	Wa__HandshakeMessage m = WA__HANDSHAKE_MESSAGE__INIT;
	Wa__HandshakeMessage__ClientHello ch =
	    WA__HANDSHAKE_MESSAGE__CLIENT_HELLO__INIT;
	uint8_t buf[128], eph[33] = { 0 };
	size_t n;
	static uint8_t big[WA_NOISE_MSG_MAX + 1];

	/* Not a protobuf. */
	pair_init(&p);
	CHECK_EQ_INT(wa_noise_read_client_hello(p.srv, (const uint8_t *)"\xff\xff\xff", 3),
	    WA_ERR_HANDSHAKE);
	pair_free(&p);
	/* Too long to even parse. */
	pair_init(&p);
	CHECK_EQ_INT(wa_noise_read_client_hello(p.srv, big, sizeof(big)),
	    WA_ERR_TOO_BIG);
	pair_free(&p);
	/* Empty message: no clientHello. */
	pair_init(&p);
	CHECK_EQ_INT(wa_noise_read_client_hello(p.srv, buf, 0), WA_ERR_HANDSHAKE);
	pair_free(&p);
	/* Ephemeral of 33 bytes. */
	ch.has_ephemeral = 1;
	ch.ephemeral.data = eph;
	ch.ephemeral.len = 33;
	m.client_hello = &ch;
	n = wa__handshake_message__pack(&m, buf);
	pair_init(&p);
	CHECK_EQ_INT(wa_noise_read_client_hello(p.srv, buf, n), WA_ERR_HANDSHAKE);
	pair_free(&p);
	/* A low-order (all zero) ephemeral: accepted as bytes, refused at DH. */
	ch.ephemeral.len = 32;
	n = wa__handshake_message__pack(&m, buf);
	pair_init(&p);
	REQUIRE(wa_noise_read_client_hello(p.srv, buf, n) == 0);
	CHECK_EQ_INT(wa_noise_write_server_hello(p.srv, "c", 1, &p.shello),
	    CRY_ERR_BAD_KEY);
	pair_free(&p);
	/* A server hello with parts missing. */
	pair_init(&p);
	REQUIRE(wa_noise_write_client_hello(p.cli, &p.hello) == 0);
	n = wa__handshake_message__pack(&m, buf);	/* a ClientHello, no ServerHello */
	CHECK_EQ_INT(wa_noise_read_server_hello(p.cli, buf, n, p.root.pub,
	    (int64_t)time(NULL)), WA_ERR_HANDSHAKE);
	pair_free(&p);
}

TEST(test_wa_noise_prologue_must_match)
{
	struct pair p;
	static const uint8_t other[4] = { 'W', 'A', 6, 2 };

	/* A server hashing a different intro cannot talk to the client. */
	pair_init(&p);
	wa_noise_hs_free(p.srv);
	p.srv = wa_noise_hs_new(WA_NOISE_RESPONDER, &p.ss, other, 4);
	CHECK_EQ_INT(pair_hellos(&p, p.root.pub), WA_ERR_NOISE_DECRYPT);
	pair_free(&p);
}

TEST_MAIN()
