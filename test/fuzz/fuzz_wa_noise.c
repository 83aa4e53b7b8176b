/*
 * fuzz_wa_noise.c: the Noise handshake (waweb/noise.h) fed arbitrary peer
 * messages, in both roles, and the transport fed arbitrary frames.
 *
 * Input: byte 0 selects the scenario, bytes 1-2 the length L of the first
 * message (big-endian), then message 1 (L bytes), then message 2 (the rest).
 *   0: responder: message 1 as ClientHello; if accepted, server hello,
 *      then message 2 as ClientFinish.
 *   1: initiator: client hello, message 1 as ServerHello, then message 2 as
 *      the ClientPayload of our finish.
 *   2: responder after a genuine ClientHello: message 1 as ClientFinish.
 *   3: a genuine handshake, then messages 1 and 2 as transport frames.
 * All keys are fixed, and so is the certificate chain (issued once by the
 * fixed root for the fixed server key, valid until 2100), so the whole
 * transcript is deterministic and seeds (test/data/fuzz_wa_noise/) made
 * with the same keys and chain reach deep into each scenario.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cry.h"
#include "util/buf.h"
#include "waweb/cert.h"
#include "waweb/frame.h"
#include "waweb/noise.h"

static struct cry_keypair root, cs, ce, ss, se;
static struct u_buf cert;
static int ready;

/* wa_cert_issue_chain(root 0x11.., server 0x44.., serials 1/2, 0..2100). */
static const uint8_t chain[] = {
	0x0a, 0x72, 0x0a, 0x2e, 0x08, 0x02, 0x10, 0x01, 0x1a, 0x20, 0xff, 0x2e,
	0xe4, 0x56, 0x01, 0xec, 0x1b, 0x67, 0x31, 0x0c, 0x77, 0x90, 0x40, 0x45,
	0x85, 0xae, 0x69, 0x73, 0x31, 0xee, 0xe1, 0xc1, 0xf8, 0xcf, 0x24, 0x19,
	0x73, 0x1c, 0x1f, 0xff, 0x3e, 0x6b, 0x20, 0x00, 0x28, 0x80, 0xae, 0x99,
	0xa4, 0x0f, 0x12, 0x40, 0x2c, 0xfe, 0x3d, 0x2b, 0x94, 0x96, 0x12, 0x6c,
	0xd6, 0x2b, 0x8b, 0xa4, 0x80, 0x46, 0x50, 0xd9, 0x84, 0x2e, 0xf4, 0x23,
	0x54, 0x5f, 0x31, 0x39, 0x82, 0xe0, 0xf3, 0x04, 0x68, 0x2b, 0xa7, 0x3b,
	0x28, 0x37, 0xf0, 0x48, 0xba, 0xcb, 0x64, 0xe7, 0xc5, 0x5e, 0x96, 0x8e,
	0xea, 0x39, 0x10, 0x02, 0x78, 0x15, 0x7d, 0xe4, 0xd4, 0xe5, 0x90, 0x1d,
	0xff, 0x11, 0x6f, 0x6c, 0x1e, 0xfa, 0x10, 0x0c, 0x12, 0x72, 0x0a, 0x2e,
	0x08, 0x01, 0x10, 0x00, 0x1a, 0x20, 0x0b, 0xf9, 0x84, 0xfd, 0xc3, 0x8e,
	0x0a, 0xc9, 0x39, 0xc7, 0x05, 0xe0, 0xab, 0x7f, 0x11, 0xa3, 0x5d, 0x11,
	0x3c, 0x31, 0x77, 0x62, 0xb5, 0xad, 0xda, 0xf8, 0x72, 0x05, 0xf4, 0x82,
	0xbd, 0x04, 0x20, 0x00, 0x28, 0x80, 0xae, 0x99, 0xa4, 0x0f, 0x12, 0x40,
	0x3d, 0x83, 0xc4, 0x5a, 0x59, 0x94, 0xa5, 0x1f, 0x1c, 0xc3, 0x59, 0x4f,
	0x98, 0xc2, 0x49, 0x11, 0x50, 0x5a, 0xff, 0xfe, 0x31, 0xba, 0x18, 0xaa,
	0x46, 0xa5, 0x56, 0x25, 0x61, 0x46, 0x21, 0xdc, 0x33, 0xf0, 0xf7, 0x8b,
	0x1c, 0x8b, 0xf9, 0x83, 0x2a, 0x47, 0x5a, 0xe7, 0x82, 0xc9, 0x62, 0xfe,
	0x64, 0x01, 0xf1, 0x1d, 0x11, 0x27, 0x13, 0x3f, 0x0d, 0x9f, 0xd7, 0x29,
	0xaa, 0xd8, 0x0c, 0x88
};

static void
fixed(struct cry_keypair *kp, uint8_t v)
{
	uint8_t priv[32];

	memset(priv, v, sizeof(priv));
	if (cry_keypair_from_private(kp, priv) != 0)
		abort();
}

static void
setup(void)
{
	if (ready)
		return;
	fixed(&root, 0x11);
	fixed(&cs, 0x22);
	fixed(&ce, 0x33);
	fixed(&ss, 0x44);
	fixed(&se, 0x55);
	u_buf_init(&cert, 0);
	if (u_buf_add(&cert, chain, sizeof(chain)) != 0 ||
	    wa_cert_verify_chain(chain, sizeof(chain), root.pub, ss.pub,
	    (int64_t)time(NULL)) != 0)
		abort();
	ready = 1;
}

static struct wa_noise_hs *
hs(enum wa_noise_role role)
{
	struct wa_noise_hs *h = wa_noise_hs_new(role,
	    role == WA_NOISE_INITIATOR ? &cs : &ss, wa_frame_intro,
	    WA_FRAME_INTRO_LEN);

	if (h == NULL || wa_noise_hs_set_ephemeral(h,
	    role == WA_NOISE_INITIATOR ? &ce : &se) != 0)
		abort();
	return h;
}

static void
split_and_free(struct wa_noise_hs *h)
{
	struct wa_noise_transport *t = NULL;

	if (wa_noise_hs_split(h, &t) == 0)
		wa_noise_transport_free(t);
	wa_noise_hs_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_noise_hs *c = NULL, *s = NULL;
	struct wa_noise_transport *ct = NULL, *st = NULL;
	struct u_buf a, b;
	const uint8_t *m1, *m2;
	size_t l1, l2;
	uint8_t *pl = NULL;
	size_t pll = 0;

	if (size < 3)
		return 0;
	setup();
	l1 = (size_t)data[1] << 8 | data[2];
	if (l1 > size - 3)
		l1 = size - 3;
	m1 = data + 3;
	m2 = m1 + l1;
	l2 = size - 3 - l1;
	u_buf_init(&a, 0);
	u_buf_init(&b, 0);

	switch (data[0] % 4) {
	case 0:
		s = hs(WA_NOISE_RESPONDER);
		if (wa_noise_read_client_hello(s, m1, l1) == 0 &&
		    wa_noise_write_server_hello(s, cert.p, cert.len, &a) == 0 &&
		    wa_noise_read_client_finish(s, m2, l2, &pl, &pll) == 0)
			free(pl);
		split_and_free(s);
		break;
	case 1:
		c = hs(WA_NOISE_INITIATOR);
		if (wa_noise_write_client_hello(c, &a) == 0 &&
		    wa_noise_read_server_hello(c, m1, l1, root.pub,
		    (int64_t)time(NULL)) == 0)
			(void)wa_noise_write_client_finish(c, m2, l2, &b);
		split_and_free(c);
		break;
	case 2:
		c = hs(WA_NOISE_INITIATOR);
		s = hs(WA_NOISE_RESPONDER);
		if (wa_noise_write_client_hello(c, &a) != 0 ||
		    wa_noise_read_client_hello(s, a.p, a.len) != 0 ||
		    wa_noise_write_server_hello(s, cert.p, cert.len, &b) != 0)
			abort();
		if (wa_noise_read_client_finish(s, m1, l1, &pl, &pll) == 0)
			free(pl);
		split_and_free(s);
		wa_noise_hs_free(c);
		break;
	case 3:
		c = hs(WA_NOISE_INITIATOR);
		s = hs(WA_NOISE_RESPONDER);
		if (wa_noise_write_client_hello(c, &a) != 0 ||
		    wa_noise_read_client_hello(s, a.p, a.len) != 0 ||
		    wa_noise_write_server_hello(s, cert.p, cert.len, &b) != 0 ||
		    wa_noise_read_server_hello(c, b.p, b.len, root.pub,
		    (int64_t)time(NULL)) != 0)
			abort();
		u_buf_reset(&a);
		if (wa_noise_write_client_finish(c, "p", 1, &a) != 0 ||
		    wa_noise_read_client_finish(s, a.p, a.len, &pl, &pll) != 0 ||
		    wa_noise_hs_split(c, &ct) != 0 || wa_noise_hs_split(s, &st) != 0)
			abort();
		free(pl);
		u_buf_reset(&b);
		(void)wa_noise_decrypt(ct, m1, l1, &b);
		(void)wa_noise_decrypt(ct, m2, l2, &b);
		(void)wa_noise_decrypt(st, m1, l1, &b);
		wa_noise_transport_free(ct);
		wa_noise_transport_free(st);
		wa_noise_hs_free(c);
		wa_noise_hs_free(s);
		break;
	}
	u_buf_free(&a);
	u_buf_free(&b);
	return 0;
}
