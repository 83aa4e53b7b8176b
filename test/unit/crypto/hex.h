/*
 * hex.h: hex decoding for the crypto known-answer tests (header only).
 */
#ifndef PONTON_TEST_CRYPTO_HEX_H
#define PONTON_TEST_CRYPTO_HEX_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex into a malloc'd buffer; *n gets its length.  Aborts on junk. */
static inline uint8_t *
unhex(const char *s, size_t *n)
{
	size_t len = strlen(s), i;
	uint8_t *p = malloc(len / 2 + 1);

	if (p == NULL || len % 2 != 0)
		abort();
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			abort();
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return p;
}

#endif
