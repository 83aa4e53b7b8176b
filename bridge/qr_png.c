/*
 * qr_png.c: a QR code as a PNG image (see qr_png.h).
 *
 * libpng writes into a capped u_buf through its write callback; its
 * errors come back through setjmp/longjmp, so every object that must be
 * freed after a longjmp lives outside the setjmp frame (volatile where
 * it changes after setjmp).
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "bridge/qr_png.h"
#include "util/buf.h"
#include "util/mem.h"

/* The PNG of a 1024 px square greyscale image, compressed or not
 * (1024 * 1025 bytes of filtered rows plus headers), stays below this. */
#define QR_PNG_BYTES_MAX	((size_t)2 << 20)

const char *
br_qr_png_strerror(int code)
{
	switch (code) {
	case BR_ERR_QR_TOO_LONG: return "QR text too long";
	case BR_ERR_QR_ENCODE: return "QR text cannot be encoded";
	case BR_ERR_QR_PNG: return "PNG encoding failed";
	}
	return "unknown QR image error";
}

static void
png_write_cb(png_structp pp, png_bytep data, png_size_t n)
{
	struct u_buf *b = png_get_io_ptr(pp);

	if (u_buf_add(b, data, n) != 0)
		png_error(pp, "QR PNG over its byte cap");
}

static void
png_flush_cb(png_structp pp)
{
	(void)pp;
}

static void
png_warn_cb(png_structp pp, png_const_charp msg)
{
	(void)pp;
	(void)msg;
}

static int
write_png(const QRcode *q, unsigned scale, unsigned px, struct u_buf *b)
{
	png_structp pp;
	png_infop ip = NULL;
	uint8_t *volatile row = NULL;
	unsigned w = (unsigned)q->width, x, y, m;
	volatile int r = BR_ERR_QR_PNG;

	pp = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL,
	    png_warn_cb);
	if (pp == NULL)
		return BR_ERR_QR_PNG;
	if ((ip = png_create_info_struct(pp)) == NULL)
		goto out;
	row = u_malloc(px);
	if (setjmp(png_jmpbuf(pp)))
		goto out;
	png_set_write_fn(pp, b, png_write_cb, png_flush_cb);
	png_set_IHDR(pp, ip, px, px, 8, PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(pp, ip);
	for (y = 0; y < px; y++) {
		unsigned my = y / scale;

		for (x = 0; x < px; x++) {
			unsigned mx = x / scale;
			int dark = 0;

			if (my >= BR_QR_PNG_QUIET && mx >= BR_QR_PNG_QUIET &&
			    my - BR_QR_PNG_QUIET < w && mx - BR_QR_PNG_QUIET < w) {
				m = (my - BR_QR_PNG_QUIET) * w +
				    (mx - BR_QR_PNG_QUIET);
				dark = q->data[m] & 1;
			}
			row[x] = dark ? 0x00 : 0xff;
		}
		png_write_row(pp, row);
	}
	png_write_end(pp, NULL);
	r = 0;
out:
	png_destroy_write_struct(&pp, ip != NULL ? &ip : NULL);
	free(row);
	return r;
}

int
br_qr_png(const char *text, uint8_t **png, size_t *len, unsigned *px,
    unsigned *scale)
{
	QRcode *q = NULL;
	struct u_buf b;
	unsigned mods, sc, size;
	int r;

	u_buf_init(&b, QR_PNG_BYTES_MAX);
	if (strlen(text) > BR_QR_PNG_TEXT_MAX) {
		r = BR_ERR_QR_TOO_LONG;
		goto out;
	}
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (q == NULL || q->width <= 0) {
		r = BR_ERR_QR_ENCODE;
		goto out;
	}
	mods = (unsigned)q->width + 2 * BR_QR_PNG_QUIET;
	sc = BR_QR_PNG_TARGET_PX / mods;
	if (sc < 2)
		sc = 2;
	size = sc * mods;
	if (size > BR_QR_PNG_MAX_PX) {
		r = BR_ERR_QR_ENCODE;
		goto out;
	}
	if ((r = write_png(q, sc, size, &b)) != 0)
		goto out;
	*png = b.p;
	*len = b.len;
	*px = size;
	*scale = sc;
	b.p = NULL;
	r = 0;
out:
	if (q != NULL)
		QRcode_free(q);
	u_buf_free(&b);
	return r;
}
