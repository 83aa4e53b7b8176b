/*
 * fuzz_br_out.c: libFuzzer entry point for what the Matrix -> WhatsApp
 * half parses: a location's geo: URI (br_out_parse_geo, from any Matrix
 * user) and a row of the durable event queue (br_out_row_check, read back
 * from the database at start-up, so possibly damaged).
 *
 * Input: two strings separated by a NUL byte: a (geo URI), b (queue row).
 * Checks beyond "no crash, no leak":
 *  - an accepted geo URI gives finite coordinates;
 *  - an accepted row, written back and read again, is accepted and written
 *    back identically (resuming after a second restart sees the same
 *    event).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/portal_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A queue row is one Matrix event (at most 64 KiB) and a few fields. */
#define FUZZ_INPUT_MAX (80 * 1024)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *a, *b, *again = NULL, *again2 = NULL;
	double lat, lon;
	size_t n;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	buf = malloc(size + 2);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	a = buf;
	n = strlen(a);
	b = n < size ? a + n + 1 : a + n;
	if (br_out_parse_geo(a, &lat, &lon) == 0 &&
	    (!isfinite(lat) || !isfinite(lon)))
		abort();
	if (br_out_row_check(b, &again) == 0) {
		if (again == NULL || br_out_row_check(again, &again2) != 0 ||
		    again2 == NULL || strcmp(again, again2) != 0)
			abort();
	}
	free(again);
	free(again2);
	free(buf);
	return 0;
}
