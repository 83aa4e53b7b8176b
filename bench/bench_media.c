/*
 * bench/bench_media: the cost of WhatsApp media crypto (waweb/media.h) on
 * one core, no network: encrypting (HKDF, AES-256-CBC, HMAC, two SHA-256)
 * and checking + decrypting (SHA-256 of the blob, HMAC, AES, SHA-256 of
 * the file) a 64 KiB voice note, a 1 MiB image and a 16 MiB document.
 * Reported, never asserted.
 *
 *   bench_media   prints one JSON line: {"rows":[{"name":N,"bytes":B,
 *                 "ops":K,"s":T},...]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cry.h"
#include "waweb/media.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
row(const char *name, enum wa_media_type t, size_t len, int ops, int *first)
{
	uint8_t *data = malloc(len), *pt = NULL;
	struct wa_media_enc e;
	size_t n = 0;
	double t0, t1, t2;
	int i;

	if (data == NULL)
		exit(1);
	cry_random(data, len);
	t0 = now();
	for (i = 0; i < ops; i++) {
		if (wa_media_encrypt(t, data, len, NULL, &e) != 0)
			exit(1);
		if (i + 1 < ops)
			wa_media_enc_free(&e);
	}
	t1 = now();
	for (i = 0; i < ops; i++) {
		if (wa_media_decrypt(t, e.media_key, e.blob, e.blob_len,
		    e.file_enc_sha256, e.file_sha256, len, &pt, &n) != 0 ||
		    n != len)
			exit(1);
		free(pt);
	}
	t2 = now();
	printf("%s{\"name\":\"encrypt %s\",\"bytes\":%zu,\"ops\":%d,\"s\":%.6f},"
	    "{\"name\":\"decrypt %s\",\"bytes\":%zu,\"ops\":%d,\"s\":%.6f}",
	    *first ? "" : ",", name, len, ops, t1 - t0, name, len, ops,
	    t2 - t1);
	*first = 0;
	wa_media_enc_free(&e);
	free(data);
}

int
main(void)
{
	int first = 1;

	if (cry_init() != 0)
		return 1;
	printf("{\"rows\":[");
	row("voice 64 KiB", WA_MEDIA_AUDIO, (size_t)64 << 10, 200, &first);
	row("image 1 MiB", WA_MEDIA_IMAGE, (size_t)1 << 20, 20, &first);
	row("document 16 MiB", WA_MEDIA_DOCUMENT, (size_t)16 << 20, 3, &first);
	printf("]}\n");
	return 0;
}
