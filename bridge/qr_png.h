/*
 * qr_png.h: a QR code as a PNG image, for the bot to upload and send as
 * the `qr.png` m.image of `login qr` (mautrix-go bridgev2 sends a 512 px
 * PNG with the QR text as the body).
 *
 * What it does: encode text with libqrencode (error correction L, the
 * smallest version, 8-bit mode, as the terminal login does) and write an
 * 8-bit greyscale PNG with libpng: dark modules black, light white, a
 * 4-module light quiet zone (the QR spec's), each module an integer
 * number of pixels so that no module blurs.
 *
 * What it does not do: upload or send (bridge/login_flow.c does).
 *
 * Invariants: text over BR_QR_PNG_TEXT_MAX bytes is refused before
 * encoding; the image is never wider than BR_QR_PNG_MAX_PX.
 */
#ifndef PONTON_BRIDGE_QR_PNG_H
#define PONTON_BRIDGE_QR_PNG_H

#include <stddef.h>
#include <stdint.h>

/* A WhatsApp QR string is ~200 bytes; version 40-L holds 2953. */
#define BR_QR_PNG_TEXT_MAX	2048
/* The size upstream sends; we stay at or below it. */
#define BR_QR_PNG_TARGET_PX	512
/* Upper bound of width/height whatever the version (177 + 8 modules at
 * the minimum scale of 2 px). */
#define BR_QR_PNG_MAX_PX	1024
/* Light modules around the code (the spec's quiet zone). */
#define BR_QR_PNG_QUIET		4

/* Bridge error codes -580..-584 belong to the QR image. */
enum {
	BR_ERR_QR_TOO_LONG = -580,	/* text over BR_QR_PNG_TEXT_MAX */
	BR_ERR_QR_ENCODE = -581,	/* libqrencode refused the text */
	BR_ERR_QR_PNG = -582,		/* libpng failed */
};

/*
 * Render text.  0 with *png (owned, free()) and *len, *px (width ==
 * height, pixels) and *scale (pixels per module); or a BR_ERR_QR_* code
 * (nothing set).  Callable from any loop callback; does not block.
 */
int br_qr_png(const char *text, uint8_t **png, size_t *len, unsigned *px,
    unsigned *scale);
const char *br_qr_png_strerror(int code);

#endif
