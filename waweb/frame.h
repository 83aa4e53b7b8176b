/*
 * frame.h: WhatsApp Web's framing inside websocket binary messages.
 *
 * Every frame is a 3-byte big-endian length and that many payload bytes.
 * The client's first websocket message starts with the intro header
 * "WA" 0x06 0x03 (magic 6, token dictionary version 3), optionally preceded
 * by Baileys' edge-routing block "ED" 0x00 0x01 len(3) routing-bytes.
 * Frames do not follow websocket message boundaries: one message may hold
 * several frames and one frame may span several messages.
 *
 * Does not: encrypt (waweb/noise.h does) or decode binary nodes.
 *
 * Invariants:
 *  - The decoder holds at most one partial frame and resumes from any split
 *    point (inside the intro, the length or the payload).
 *  - A declared length above the decoder's limit is rejected before any
 *    allocation; the buffer then grows only as bytes actually arrive.
 *  - After an error the decoder stays failed and returns the same error.
 */
#ifndef PONTON_WAWEB_FRAME_H
#define PONTON_WAWEB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define WA_FRAME_LEN_SIZE	3
/* The largest payload a 3-byte length can declare (whatsmeow refuses to
 * send anything >= 1 << 24 too). */
#define WA_FRAME_MAX		((size_t)(1u << 24) - 1)
#define WA_FRAME_INTRO_LEN	4
#define WA_FRAME_MAGIC		6	/* WAMagicValue */
#define WA_FRAME_DICT_VERSION	3	/* token dictionary version */
/*
 * Routing info in an "ED" intro: a server-issued blob of a few dozen bytes;
 * anything longer is not a real client.
 */
#define WA_FRAME_ROUTING_MAX	1024

/* "WA" 0x06 0x03: the intro header and the Noise prologue. */
extern const uint8_t wa_frame_intro[WA_FRAME_INTRO_LEN];

/*
 * Client side, once, before the first frame: append the optional ED routing
 * block (routing may be NULL/0) and the WA intro header to out.
 * Errors: WA_ERR_TOO_BIG (routing_len > WA_FRAME_ROUTING_MAX), U_ERR_TOO_BIG
 * (out's cap).
 */
int wa_frame_write_intro(struct u_buf *out, const void *routing,
    size_t routing_len);
/* Append one frame (length prefix + payload).  WA_ERR_TOO_BIG if n > WA_FRAME_MAX. */
int wa_frame_write(struct u_buf *out, const void *payload, size_t n);

enum wa_frame_dec_flags {
	/* Server side: the stream starts with the client's intro header. */
	WA_FRAME_DEC_INTRO = 1 << 0,
};

/* Treat the fields as private; the struct is public only to be embedded. */
struct wa_frame_dec {
	size_t		 max;		/* largest payload accepted */
	int		 flags;
	int		 err;		/* sticky error, 0 while healthy */
	int		 state;
	uint8_t		 hdr[8];	/* partial length / intro bytes */
	size_t		 hdr_len;
	size_t		 skip;		/* routing bytes still to skip */
	uint8_t		 intro[WA_FRAME_INTRO_LEN];
	int		 have_intro;
	size_t		 want;		/* declared length of the current frame */
	struct u_buf	 frame;		/* owned: the current partial frame */
};

/*
 * max: the largest payload to accept (0 means WA_FRAME_MAX; values above
 * WA_FRAME_MAX are clamped).  flags: WA_FRAME_DEC_*.
 */
void wa_frame_dec_init(struct wa_frame_dec *d, size_t max, int flags);
void wa_frame_dec_free(struct wa_frame_dec *d);

/*
 * Feed the bytes of one websocket message.  cb is called once per complete
 * frame with the payload, which is borrowed until cb returns.  If cb returns
 * non-zero, feeding stops, the rest of p is dropped and that value is
 * returned (the caller is expected to close the connection).
 * Errors (sticky): WA_ERR_TOO_BIG (declared length > max, or routing info
 * too long), WA_ERR_BAD_INTRO (server side: not "WA"/"ED").
 * cb may not call wa_frame_dec_feed or wa_frame_dec_free on d.
 */
int wa_frame_dec_feed(struct wa_frame_dec *d, const void *p, size_t n,
    int (*cb)(void *arg, const uint8_t *frame, size_t len), void *arg);

/*
 * Server side: the 4-byte WA intro header the client sent (the Noise
 * prologue), or NULL while it has not fully arrived.  Borrowed from d.
 */
const uint8_t *wa_frame_dec_intro(const struct wa_frame_dec *d);

#endif
