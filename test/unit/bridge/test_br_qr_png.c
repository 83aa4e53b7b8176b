/* Tests for bridge/qr_png.c: the PNG, decoded back with libpng, shows
 * libqrencode's module matrix exactly (every pixel of every module), with
 * a light quiet zone, at a size no larger than upstream's 512 px; bad
 * input is refused. */
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "bridge/qr_png.h"
#include "test/unit/test.h"

/* Decode to 8-bit grey; 0 and *pix (owned), *w, *h. */
static int
decode(const uint8_t *png, size_t len, uint8_t **pix, unsigned *w,
    unsigned *h)
{
	png_image im;
	uint8_t *buf;

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&im, png, len))
		return -1;
	im.format = PNG_FORMAT_GRAY;
	buf = malloc(PNG_IMAGE_SIZE(im));
	if (buf == NULL)
		return -1;
	if (!png_image_finish_read(&im, NULL, buf, 0, NULL)) {
		free(buf);
		return -1;
	}
	*pix = buf;
	*w = im.width;
	*h = im.height;
	return 0;
}

static void
check_text(int *test_failed_, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	uint8_t *png = NULL, *pix = NULL;
	size_t len = 0;
	unsigned px = 0, sc = 0, w = 0, h = 0, x, y, bad = 0, darks = 0;

	REQUIRE(q != NULL);
	REQUIRE(br_qr_png(text, &png, &len, &px, &sc) == 0);
	CHECK(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
	REQUIRE(decode(png, len, &pix, &w, &h) == 0);
	CHECK_EQ_INT(w, px);
	CHECK_EQ_INT(h, px);
	CHECK(px <= BR_QR_PNG_TARGET_PX);
	CHECK(sc >= 2);
	CHECK_EQ_INT(px, sc * ((unsigned)q->width + 2 * BR_QR_PNG_QUIET));
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			int mx = (int)(x / sc) - BR_QR_PNG_QUIET;
			int my = (int)(y / sc) - BR_QR_PNG_QUIET;
			int want = 0;

			if (mx >= 0 && my >= 0 && mx < q->width &&
			    my < q->width)
				want = q->data[my * q->width + mx] & 1;
			if (want)
				darks++;
			if (pix[y * w + x] != (want ? 0x00 : 0xff))
				bad++;
		}
	CHECK_EQ_INT(bad, 0);
	CHECK(darks > 0);
	free(pix);
	free(png);
	QRcode_free(q);
}

TEST(test_br_qr_png_matches_qrencode_modules)
{
	/* A real 5-field WhatsApp QR string (ref, noise, identity, adv). */
	check_text(test_failed_,
	    "2@Q3Vn1X0bV7hq4YtA0mZcOe3kQ1qfGZbqkYzQkq0tJr9s8H1dV2Y3o4p5"
	    "q6r7s8t9u0vwxyzABCDEFGHIJK==,"
	    "d2hhdHNhcHAgbm9pc2Uga2V5IGJhc2U2NCBmb3IgdGVzdHM=,"
	    "aWRlbnRpdHkga2V5IGJhc2U2NCBmb3IgdGVzdHMgb25seSE=,"
	    "YWR2IHNlY3JldCBiYXNlNjQgZm9yIHRlc3RzIG9ubHkhIQ==,1");
	check_text(test_failed_, "x");
}

TEST(test_br_qr_png_large_version_stays_bounded)
{
	char *t = malloc(BR_QR_PNG_TEXT_MAX + 1);
	uint8_t *png = NULL;
	size_t len;
	unsigned px, sc;

	REQUIRE(t != NULL);
	/* 1200 bytes: a high version (width > 100), still at least 2 px a
	 * module and within upstream's size. */
	memset(t, 'a', 1200);
	t[1200] = '\0';
	REQUIRE(br_qr_png(t, &png, &len, &px, &sc) == 0);
	CHECK(px <= BR_QR_PNG_TARGET_PX);
	CHECK(sc >= 2 && sc < 5);
	free(png);
	free(t);
}

TEST(test_br_qr_png_rejects_too_long)
{
	char *t = malloc(BR_QR_PNG_TEXT_MAX + 2);
	uint8_t *png = NULL;
	size_t len = 7;
	unsigned px = 0, sc = 0;

	REQUIRE(t != NULL);
	memset(t, 'a', BR_QR_PNG_TEXT_MAX + 1);
	t[BR_QR_PNG_TEXT_MAX + 1] = '\0';
	CHECK_EQ_INT(br_qr_png(t, &png, &len, &px, &sc), BR_ERR_QR_TOO_LONG);
	CHECK(png == NULL);
	CHECK_EQ_INT(len, 7);
	CHECK(br_qr_png_strerror(BR_ERR_QR_TOO_LONG) != NULL);
	free(t);
}

TEST_MAIN()
