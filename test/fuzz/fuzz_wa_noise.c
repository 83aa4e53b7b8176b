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
 * All keys are fixed so that seeds (test/data/fuzz_wa_noise/) made with the
 * same keys reach deep into each scenario.
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
	if (wa_cert_issue_chain(&root, ss.pub, NULL, &cert) != 0)
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
