/*
 * fuzz_wa_content.c: wa_content_decode (waweb/content.c) on arbitrary
 * bytes, as a decrypted E2EMessage from a stranger would reach it.
 *
 * For every input that decodes: the canonical line is built; a poll vote
 * is decrypted with a fixed secret (fails, except for crafted inputs, but
 * must not crash); a content that can be encoded is encoded, decoded
 * again, and from then on the round trip must be exact (the first pass
 * may normalise, e.g. a reply's missing quoted text becomes "").
 * Everything is freed (LeakSanitizer watches).
 *
 * Seeds: test/data/fuzz_wa_content/, real payloads Baileys and whatsmeow
 * sent in test/wa/55-ponton-kinds.sh (wa_kinds --dump-dir) and a few
 * hand-made ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "waweb/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
line_of(const struct wa_content *c)
{
	struct u_buf b;
	char *s;
	size_t n;

	u_buf_init(&b, 0);
	if (wa_content_line(c, &b) != 0)
		abort();
	u_buf_add(&b, "", 1);
	s = (char *)u_buf_steal(&b, &n);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[WA_CONTENT_SECRET_LEN] = { 1, 2, 3 };
	struct wa_content c, d, e;
	uint8_t *p = NULL, *q = NULL;
	size_t n, m;
	char *l1, *l2;

	if (wa_content_decode(data, size, &c) != 0) {
		wa_content_free(&c);
		return 0;
	}
	free(line_of(&c));
	if (c.kind == WA_CONTENT_POLL_VOTE &&
	    wa_content_vote_decrypt(&c, secret, "1@s.whatsapp.net",
	    "2@s.whatsapp.net") == 0) {
		char *opts[] = { "a", "b" };

		wa_content_vote_match(&c, opts, 2);
	}
	if (wa_content_encode(&c, &p, &n) == 0) {
		if (wa_content_decode(p, n, &d) != 0)
			abort();	/* we wrote what we cannot read */
		if (wa_content_encode(&d, &q, &m) != 0)
			abort();
		if (wa_content_decode(q, m, &e) != 0)
			abort();
		l1 = line_of(&d);
		l2 = line_of(&e);
		if (strcmp(l1, l2) != 0) {
			fprintf(stderr, "round trip differs:\n%s\n%s\n", l1, l2);
			abort();
		}
		free(l1);
		free(l2);
		wa_content_free(&d);
		wa_content_free(&e);
		free(p);
		free(q);
	}
	wa_content_free(&c);
	return 0;
}
