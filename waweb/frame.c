/*
 * frame.c: WhatsApp Web framing (waweb/frame.h): the client intro header,
 * frame writing, and a resumable frame decoder.
 *
 * Does not: encrypt, or look inside payloads.
 *
 * Invariants:
 *  - The decoder consumes input byte-exactly: intro and length bytes are
 *    collected in d->hdr across calls, payload bytes in d->frame; a frame
 *    that arrives whole inside one message is handed out without a copy.
 *  - The declared length is compared with d->max before anything is
 *    reserved, and d->frame grows only with bytes that actually arrived, so
 *    a peer announcing 16 MiB and sending nothing costs nothing.
 */
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/frame.h"

/*
 * After a big frame the buffer is released rather than kept for the
 * connection's lifetime: most frames are well under this.
 */
#define FRAME_KEEP_ALLOC	(256 * 1024)

const uint8_t wa_frame_intro[WA_FRAME_INTRO_LEN] = {
	'W', 'A', WA_FRAME_MAGIC, WA_FRAME_DICT_VERSION,
};

enum {
	ST_INTRO,	/* server side: first two bytes decide WA or ED */
	ST_ED,		/* "ED" 0x00 0x01 len(3) */
	ST_SKIP,	/* routing bytes */
	ST_WA,		/* "WA" magic dict */
	ST_LEN,		/* 3-byte frame length */
	ST_BODY,	/* payload */
};

int
wa_frame_write_intro(struct u_buf *out, const void *routing,
    size_t routing_len)
{
	int r;

	if (routing_len > WA_FRAME_ROUTING_MAX)
		return WA_ERR_TOO_BIG;
	if (routing_len > 0) {
		if ((r = u_buf_add(out, "ED\x00\x01", 4)) != 0 ||
		    (r = u_buf_add_u24be(out, (uint32_t)routing_len)) != 0 ||
		    (r = u_buf_add(out, routing, routing_len)) != 0)
			return r;
	}
	return u_buf_add(out, wa_frame_intro, sizeof(wa_frame_intro));
}

int
wa_frame_write(struct u_buf *out, const void *payload, size_t n)
{
	int r;

	if (n > WA_FRAME_MAX)
		return WA_ERR_TOO_BIG;
	if ((r = u_buf_reserve(out, WA_FRAME_LEN_SIZE + n)) != 0)
		return r;
	if ((r = u_buf_add_u24be(out, (uint32_t)n)) != 0)
		return r;
	return u_buf_add(out, payload, n);
}

void
wa_frame_dec_init(struct wa_frame_dec *d, size_t max, int flags)
{
	memset(d, 0, sizeof(*d));
	d->max = max == 0 || max > WA_FRAME_MAX ? WA_FRAME_MAX : max;
	d->flags = flags;
	d->state = flags & WA_FRAME_DEC_INTRO ? ST_INTRO : ST_LEN;
	u_buf_init(&d->frame, d->max);
}

void
wa_frame_dec_free(struct wa_frame_dec *d)
{
	if (d == NULL)
		return;
	u_buf_free(&d->frame);
}

const uint8_t *
wa_frame_dec_intro(const struct wa_frame_dec *d)
{
	return d->have_intro ? d->intro : NULL;
}

static uint32_t
be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static int
fail(struct wa_frame_dec *d, int err)
{
	d->err = err;
	u_buf_free(&d->frame);
	return err;
}

static void
frame_done(struct wa_frame_dec *d)
{
	d->state = ST_LEN;
	d->want = 0;
	if (d->frame.alloc > FRAME_KEEP_ALLOC)
		u_buf_free(&d->frame);
	else
		u_buf_reset(&d->frame);
}

int
wa_frame_dec_feed(struct wa_frame_dec *d, const void *data, size_t n,
    int (*cb)(void *arg, const uint8_t *frame, size_t len), void *arg)
{
	const uint8_t *p = data;
	size_t k;
	int r;

	if (d->err != 0)
		return d->err;
	while (n > 0) {
		switch (d->state) {
		case ST_INTRO:
			d->hdr[d->hdr_len++] = *p++;
			n--;
			if (d->hdr_len < 2)
				break;
			if (d->hdr[0] == 'W' && d->hdr[1] == 'A')
				d->state = ST_WA;
			else if (d->hdr[0] == 'E' && d->hdr[1] == 'D')
				d->state = ST_ED;
			else
				return fail(d, WA_ERR_BAD_INTRO);
			break;
		case ST_ED:
			d->hdr[d->hdr_len++] = *p++;
			n--;
			if (d->hdr_len < 7)
				break;
			/* Baileys writes version bytes 0, 1. */
			if (d->hdr[2] != 0 || d->hdr[3] != 1)
				return fail(d, WA_ERR_BAD_INTRO);
			d->skip = be24(d->hdr + 4);
			if (d->skip > WA_FRAME_ROUTING_MAX)
				return fail(d, WA_ERR_TOO_BIG);
			d->hdr_len = 0;
			d->state = d->skip > 0 ? ST_SKIP : ST_WA;
			break;
		case ST_SKIP:
			k = n < d->skip ? n : d->skip;
			p += k;
			n -= k;
			d->skip -= k;
			if (d->skip == 0)
				d->state = ST_WA;
			break;
		case ST_WA:
			d->hdr[d->hdr_len++] = *p++;
			n--;
			if (d->hdr_len < WA_FRAME_INTRO_LEN)
				break;
			if (d->hdr[0] != 'W' || d->hdr[1] != 'A')
				return fail(d, WA_ERR_BAD_INTRO);
			memcpy(d->intro, d->hdr, WA_FRAME_INTRO_LEN);
			d->have_intro = 1;
			d->hdr_len = 0;
			d->state = ST_LEN;
			break;
		case ST_LEN:
			d->hdr[d->hdr_len++] = *p++;
			n--;
			if (d->hdr_len < WA_FRAME_LEN_SIZE)
				break;
			d->hdr_len = 0;
			d->want = be24(d->hdr);
			/* Checked before a single byte is reserved. */
			if (d->want > d->max)
				return fail(d, WA_ERR_TOO_BIG);
			if (d->want == 0) {
				frame_done(d);
				if ((r = cb(arg, (const uint8_t *)"", 0)) != 0)
					return r;
				break;
			}
			d->state = ST_BODY;
			break;
		case ST_BODY:
			if (d->frame.len == 0 && n >= d->want) {
				/* Whole frame in this message: no copy. */
				k = d->want;
				frame_done(d);
				p += k;
				n -= k;
				if ((r = cb(arg, p - k, k)) != 0)
					return r;
				break;
			}
			k = d->want - d->frame.len;
			if (k > n)
				k = n;
			if ((r = u_buf_add(&d->frame, p, k)) != 0)
				return fail(d, r);
			p += k;
			n -= k;
			if (d->frame.len == d->want) {
				r = cb(arg, d->frame.p, d->frame.len);
				frame_done(d);
				if (r != 0)
					return r;
			}
			break;
		}
	}
	return 0;
}
