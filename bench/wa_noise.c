/*
 * bench/wa_noise: Noise transport throughput of ponton (frame encryption
 * with the length prefix, and frame decryption), per payload size, after a
 * real in-memory handshake.  bench/wa_noise.sh runs Baileys' transport on
 * the same sizes and prints the ratio.  Reported, never asserted.
 *
 *   wa_noise [SECONDS]   prints one JSON line:
 *   {"rows":[{"size":S,"enc_bytes":B,"enc_s":T,"dec_bytes":B,"dec_s":T},..]}
 * Each size gets SECONDS (default 1) of encryption and of decryption.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cry.h"
#include "util/buf.h"
#include "waweb/cert.h"
#include "waweb/frame.h"
#include "waweb/noise.h"

static const size_t sizes[] = { 64, 1024, 16384, 262144 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define BATCH_BYTES ((size_t)4 << 20)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
handshake(struct wa_noise_transport **ct, struct wa_noise_transport **st)
{
	struct cry_keypair root, cs, ss;
	struct wa_noise_hs *c, *s;
	struct u_buf cert, m1, m2, m3;
	uint8_t *pl = NULL;
	size_t pll;

	cry_keypair_generate(&root);
	cry_keypair_generate(&cs);
	cry_keypair_generate(&ss);
	u_buf_init(&cert, 0);
	u_buf_init(&m1, 0);
	u_buf_init(&m2, 0);
	u_buf_init(&m3, 0);
	c = wa_noise_hs_new(WA_NOISE_INITIATOR, &cs, wa_frame_intro, WA_FRAME_INTRO_LEN);
	s = wa_noise_hs_new(WA_NOISE_RESPONDER, &ss, wa_frame_intro, WA_FRAME_INTRO_LEN);
	if (wa_cert_issue_chain(&root, ss.pub, NULL, &cert) != 0 ||
	    wa_noise_write_client_hello(c, &m1) != 0 ||
	    wa_noise_read_client_hello(s, m1.p, m1.len) != 0 ||
	    wa_noise_write_server_hello(s, cert.p, cert.len, &m2) != 0 ||
	    wa_noise_read_server_hello(c, m2.p, m2.len, root.pub, (int64_t)time(NULL)) != 0 ||
	    wa_noise_write_client_finish(c, "payload", 7, &m3) != 0 ||
	    wa_noise_read_client_finish(s, m3.p, m3.len, &pl, &pll) != 0 ||
	    wa_noise_hs_split(c, ct) != 0 || wa_noise_hs_split(s, st) != 0) {
		fprintf(stderr, "wa_noise: handshake failed\n");
		exit(1);
	}
	free(pl);
	wa_noise_hs_free(c);
	wa_noise_hs_free(s);
	u_buf_free(&cert);
	u_buf_free(&m1);
	u_buf_free(&m2);
	u_buf_free(&m3);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0, t0, enc_s, dec_s;
	struct wa_noise_transport *ct, *st;
	struct u_buf out, batch, pt;
	size_t i, k, nb, enc_bytes, dec_bytes;
	uint8_t *payload;

	if (secs <= 0)
		secs = 1.0;
	handshake(&ct, &st);
	u_buf_init(&out, 0);
	u_buf_init(&batch, 0);
	u_buf_init(&pt, 0);
	printf("{\"rows\":[");
	for (i = 0; i < NSIZES; i++) {
		payload = malloc(sizes[i]);
		if (payload == NULL)
			return 1;
		cry_random(payload, sizes[i]);
		/* Encryption: the client writing frames. */
		enc_bytes = 0;
		t0 = now();
		do {
			for (k = 0; k < 64; k++) {
				u_buf_reset(&out);
				if (wa_noise_encrypt_frame(ct, payload, sizes[i], &out) != 0)
					return 1;
				enc_bytes += sizes[i];
			}
		} while ((enc_s = now() - t0) < secs);
		/* Decryption: the client reading server frames, made in
		 * untimed batches because counters must follow in order. */
		nb = BATCH_BYTES / (sizes[i] + 16);
		if (nb == 0)
			nb = 1;
		dec_bytes = 0;
		dec_s = 0;
		while (dec_s < secs) {
			u_buf_reset(&batch);
			for (k = 0; k < nb; k++)
				if (wa_noise_encrypt(st, payload, sizes[i], &batch) != 0)
					return 1;
			t0 = now();
			for (k = 0; k < nb; k++) {
				u_buf_reset(&pt);
				if (wa_noise_decrypt(ct, batch.p + k * (sizes[i] + 16),
				    sizes[i] + 16, &pt) != 0)
					return 1;
				dec_bytes += sizes[i];
			}
			dec_s += now() - t0;
		}
		printf("%s{\"size\":%zu,\"enc_bytes\":%zu,\"enc_s\":%.6f,"
		    "\"dec_bytes\":%zu,\"dec_s\":%.6f}", i ? "," : "", sizes[i],
		    enc_bytes, enc_s, dec_bytes, dec_s);
		free(payload);
	}
	printf("]}\n");
	u_buf_free(&out);
	u_buf_free(&batch);
	u_buf_free(&pt);
	wa_noise_transport_free(ct);
	wa_noise_transport_free(st);
	return 0;
}
