/*
 * bench/wa_signal: Signal operations per second in ponton's Signal layer
 * (waweb/signal.h) with in-memory stores: session setup (bundle ->
 * pkmsg -> decrypt), msg encryption and decryption along one chain,
 * skmsg encryption and decryption, all with WhatsApp padding and a
 * 100-byte plaintext.  bench/wa_signal.sh runs Baileys' Signal repository
 * (libsignal-node) on the same operations and prints the ratio.
 * Reported, never asserted.
 *
 *   wa_signal [SECONDS]   prints one JSON line:
 *   {"rows":[{"name":N,"ops":K,"s":T},...]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cry.h"
#include "waweb/signal.h"

#define BATCH 256
#define PT_LEN 100
#define GROUP "120363000000000001@g.us"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct party {
	struct wa_signal_store_mem	*m;
	struct wa_signal		*s;
};

static void
party(struct party *p)
{
	p->m = wa_signal_store_mem_new(1);
	p->s = wa_signal_new(&wa_signal_store_mem_ops, p->m);
}

static void
unparty(struct party *p)
{
	wa_signal_free(p->s);
	wa_signal_store_mem_free(p->m);
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "wa_signal: %s: %d\n", what, r);
	exit(1);
}

/* One full setup: b's bundle, a's session, a pkmsg b decrypts. */
static void
setup_once(const uint8_t *pt)
{
	struct party a, b;
	struct wa_signal_bundle bb;
	struct cry_keypair pk;
	uint8_t *ct, *out;
	size_t ctn, outn;
	int type, r;

	party(&a);
	party(&b);
	memset(&bb, 0, sizeof(bb));
	wa_signal_store_mem_keys(b.m, bb.identity, &bb.registration_id,
	    bb.signed_prekey, bb.signature);
	bb.signed_prekey_id = 1;
	cry_keypair_generate(&pk);
	bb.has_prekey = true;
	bb.prekey_id = 1;
	memcpy(bb.prekey, pk.pub, 32);
	wa_signal_store_mem_ops.prekey_store(b.m, 1, pk.priv);
	if ((r = wa_signal_session_from_bundle(a.s, "2:0", &bb)) != 0 ||
	    (r = wa_signal_encrypt(a.s, "2:0", pt, PT_LEN, &type, &ct,
	    &ctn)) != 0 ||
	    (r = wa_signal_decrypt(b.s, "1:0", type, 2, ct, ctn, &out,
	    &outn)) != 0)
		die("setup", r);
	free(ct);
	free(out);
	unparty(&a);
	unparty(&b);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1, t0, t;
	struct party a, b;
	struct wa_signal_bundle bb;
	uint8_t pt[PT_LEN], *ct[BATCH], *out, *skdm;
	size_t ctn[BATCH], outn, n;
	long ops;
	int type, r, i;

	if (cry_init() != 0)
		return 1;
	memset(pt, 'x', sizeof(pt));
	printf("{\"rows\":[");

	ops = 0;
	t0 = now();
	do {
		setup_once(pt);
		ops++;
	} while ((t = now() - t0) < secs);
	printf("{\"name\":\"session-setup\",\"ops\":%ld,\"s\":%.4f}", ops, t);

	/* A session in msg mode, then batches along one chain. */
	party(&a);
	party(&b);
	memset(&bb, 0, sizeof(bb));
	wa_signal_store_mem_keys(b.m, bb.identity, &bb.registration_id,
	    bb.signed_prekey, bb.signature);
	bb.signed_prekey_id = 1;
	if ((r = wa_signal_session_from_bundle(a.s, "2:0", &bb)) != 0 ||
	    (r = wa_signal_encrypt(a.s, "2:0", pt, PT_LEN, &type, &ct[0],
	    &ctn[0])) != 0 ||
	    (r = wa_signal_decrypt(b.s, "1:0", type, 2, ct[0], ctn[0], &out,
	    &outn)) != 0)
		die("session", r);
	free(ct[0]);
	free(out);
	if ((r = wa_signal_encrypt(b.s, "1:0", pt, PT_LEN, &type, &ct[0],
	    &ctn[0])) != 0 ||
	    (r = wa_signal_decrypt(a.s, "2:0", type, 2, ct[0], ctn[0], &out,
	    &outn)) != 0)
		die("reply", r);
	free(ct[0]);
	free(out);
	{
		double enc = 0, dec = 0;
		long k = 0;

		while (enc + dec < 2 * secs) {
			t0 = now();
			for (i = 0; i < BATCH; i++)
				if ((r = wa_signal_encrypt(a.s, "2:0", pt,
				    PT_LEN, &type, &ct[i], &ctn[i])) != 0)
					die("encrypt", r);
			enc += now() - t0;
			t0 = now();
			for (i = 0; i < BATCH; i++) {
				if ((r = wa_signal_decrypt(b.s, "1:0", type, 2,
				    ct[i], ctn[i], &out, &outn)) != 0)
					die("decrypt", r);
				free(out);
				free(ct[i]);
			}
			dec += now() - t0;
			k += BATCH;
		}
		printf(",{\"name\":\"msg-encrypt\",\"ops\":%ld,\"s\":%.4f}", k,
		    enc);
		printf(",{\"name\":\"msg-decrypt\",\"ops\":%ld,\"s\":%.4f}", k,
		    dec);
	}
	if ((r = wa_signal_group_skdm(a.s, GROUP, "1:0", &skdm, &n)) != 0 ||
	    (r = wa_signal_group_process_skdm(b.s, GROUP, "1:0", skdm, n)) != 0)
		die("skdm", r);
	free(skdm);
	{
		double enc = 0, dec = 0;
		long k = 0;

		while (enc + dec < 2 * secs) {
			t0 = now();
			for (i = 0; i < BATCH; i++)
				if ((r = wa_signal_group_encrypt(a.s, GROUP,
				    "1:0", pt, PT_LEN, &ct[i], &ctn[i])) != 0)
					die("group encrypt", r);
			enc += now() - t0;
			t0 = now();
			for (i = 0; i < BATCH; i++) {
				if ((r = wa_signal_group_decrypt(b.s, GROUP,
				    "1:0", 2, ct[i], ctn[i], &out,
				    &outn)) != 0)
					die("group decrypt", r);
				free(out);
				free(ct[i]);
			}
			dec += now() - t0;
			k += BATCH;
		}
		printf(",{\"name\":\"skmsg-encrypt\",\"ops\":%ld,\"s\":%.4f}",
		    k, enc);
		printf(",{\"name\":\"skmsg-decrypt\",\"ops\":%ld,\"s\":%.4f}",
		    k, dec);
	}
	printf("]}\n");
	unparty(&a);
	unparty(&b);
	return 0;
}
