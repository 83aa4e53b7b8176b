/*
 * fuzz_wa_frame.c: the frame decoder (waweb/frame.h) on arbitrary streams
 * cut into arbitrary websocket messages.
 *
 * Input: byte 0 = flags (bit 0: server side with intro; bit 1: small
 * limit), byte 1 = seed for the cut points, then the stream.  Invariants
 * checked: the decoder never delivers more payload bytes than it was fed,
 * never a frame above its limit, and an error is sticky.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "waweb/frame.h"

struct seen {
	size_t	total;
	size_t	max;
};

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct seen *s = arg;
	volatile uint8_t sink = 0;

	if (len > s->max)
		abort();
	if (len > 0)
		sink = p[0] ^ p[len - 1];	/* touch both ends (ASan) */
	(void)sink;
	s->total += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_frame_dec d;
	struct seen s = { 0, 0 };
	size_t off = 2, n;
	uint32_t x;
	int r = 0, flags;

	if (size < 2)
		return 0;
	flags = data[0] & 1 ? WA_FRAME_DEC_INTRO : 0;
	wa_frame_dec_init(&d, data[0] & 2 ? 64 : 0, flags);
	s.max = d.max;
	x = data[1] | 0x100;
	while (off < size) {
		/* xorshift cut points: 1..64 bytes per message */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = 1 + x % 64;
		if (n > size - off)
			n = size - off;
		r = wa_frame_dec_feed(&d, data + off, n, on_frame, &s);
		off += n;
		if (r != 0) {
			if (wa_frame_dec_feed(&d, data, 1, on_frame, &s) != r)
				abort();
			break;
		}
	}
	if (s.total > size)
		abort();
	wa_frame_dec_free(&d);
	return 0;
}
