/* Tests for bridge/login_cli.c's terminal QR rendering: the half-block
 * text, read back module by module, is exactly libqrencode's matrix with a
 * light quiet zone. */
#include <qrencode.h>

#include "bridge/login_cli.h"
#include "test/unit/test.h"

/* One character cell back to its (top, bottom) darkness; -1 if unknown. */
static int
cell(const char **p, int *top, int *bot)
{
	const unsigned char *s = (const unsigned char *)*p;

	if (s[0] == ' ') {
		*top = *bot = 1;
		*p += 1;
		return 0;
	}
	if (s[0] != 0xe2 || s[1] != 0x96)
		return -1;
	switch (s[2]) {
	case 0x88: *top = 0; *bot = 0; break;	/* full: both light */
	case 0x80: *top = 0; *bot = 1; break;	/* upper half light */
	case 0x84: *top = 1; *bot = 0; break;	/* lower half light */
	default: return -1;
	}
	*p += 3;
	return 0;
}

static void
check_roundtrip(int *test_failed_, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *p;
	int w, n, x, y, top, bot, bad = 0, rows = 0;

	REQUIRE(q != NULL && f != NULL);
	REQUIRE(br_login_render_qr(text, f) == 0);
	fclose(f);
	w = q->width;
	n = w + 2 * BR_LOGIN_QR_QUIET;
	p = buf;
	for (y = -BR_LOGIN_QR_QUIET; y < w + BR_LOGIN_QR_QUIET; y += 2, rows++) {
		for (x = -BR_LOGIN_QR_QUIET; x < w + BR_LOGIN_QR_QUIET; x++) {
			int want_top, want_bot;

			if (cell(&p, &top, &bot) != 0) {
				bad++;
				break;
			}
			want_top = y >= 0 && y < w && x >= 0 && x < w &&
			    (q->data[y * w + x] & 1);
			want_bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
			    (q->data[(y + 1) * w + x] & 1);
			bad += top != want_top || bot != want_bot;
		}
		if (*p++ != '\n')
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(rows, (n + 1) / 2);
	CHECK(*p == '\0');
	QRcode_free(q);
	free(buf);
}

TEST(test_br_login_qr_matches_libqrencode_matrix)
{
	check_roundtrip(test_failed_, "https://wa.me/settings/linked_devices#2@"
	    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/==,"
	    "R/bPam2muFQgYDybJXktOXzwCtleOJ/tfTg6SZBzOBk=,"
	    "6QphZ5FRYS+cu7Pmeu/0e1zQmpjSYxTTT87AZK9lr14=,"
	    "gxGdQnZ+PoFDnpCfk3TOaSnOnL89DuSgwzRr+xSqO6E=,1");
	check_roundtrip(test_failed_, "x");
}

TEST_MAIN()
