/*
 * Tests for waweb/node.c on bad input: every way a stranger's bytes can be
 * wrong must give its error code, never a crash, a leak or an allocation
 * beyond the limits (ASan and the limits' own checks).  Fixtures are in
 * test/data/waweb/<what-is-wrong>.bin.
 */
#include <zlib.h>

#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/node.h"

static uint8_t *
fixture(const char *name, size_t *len)
{
	const char *top = getenv("TOP");
	char path[512];
	uint8_t *p = malloc(1 << 16);
	FILE *f;

	snprintf(path, sizeof(path), "%s/test/data/waweb/%s",
	    top != NULL ? top : ".", name);
	if (p == NULL || (f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "  cannot open %s\n", path);
		free(p);
		return NULL;
	}
	*len = fread(p, 1, 1 << 16, f);
	fclose(f);
	return p;
}

static int
decode_fixture(const char *name, int frame)
{
	struct wa_node *n = NULL;
	uint8_t *p;
	size_t len;
	int r;

	if ((p = fixture(name, &len)) == NULL)
		return 1;	/* not an error code: fails every CHECK */
	r = frame ? wa_node_decode_frame(p, len, &n) :
	    wa_node_decode(p, len, &n);
	if (r != 0 && n != NULL)
		r = 2;		/* *out set on failure */
	wa_node_free(n);
	free(p);
	return r;
}

TEST(test_wa_node_fixtures)
{
	CHECK_EQ_INT(decode_fixture("good-iq-ping.bin", 0), 0);
	CHECK_EQ_INT(decode_fixture("good-frame-deflated.bin", 1), 0);
	CHECK_EQ_INT(decode_fixture("bad-nibble-digit.bin", 0),
	    WA_ERR_BAD_PACKED);
	CHECK_EQ_INT(decode_fixture("bad-token-240.bin", 0), WA_ERR_BAD_TOKEN);
	CHECK_EQ_INT(decode_fixture("oversized-binary32.bin", 0),
	    WA_ERR_TOO_BIG);
	CHECK_EQ_INT(decode_fixture("oversized-list16.bin", 0),
	    WA_ERR_TRUNCATED);
	CHECK_EQ_INT(decode_fixture("too-deep.bin", 0), WA_ERR_TOO_DEEP);
	CHECK_EQ_INT(decode_fixture("bad-zlib-frame.bin", 1), WA_ERR_INFLATE);
	CHECK_EQ_INT(decode_fixture("trailing-byte.bin", 0), WA_ERR_TRAILING);
	CHECK_EQ_INT(decode_fixture("bad-jid-nested.bin", 0), WA_ERR_BAD_JID);
	CHECK_EQ_INT(decode_fixture("bad-duplicate-key.bin", 0),
	    WA_ERR_BAD_NODE);
	CHECK_EQ_INT(decode_fixture("bad-utf8-attr.bin", 0), WA_ERR_BAD_UTF8);
}

static int
decode_bytes(const uint8_t *p, size_t len)
{
	struct wa_node *n = NULL;
	int r = wa_node_decode(p, len, &n);

	if (r != 0 && n != NULL)
		r = 2;
	wa_node_free(n);
	return r;
}

#define DEC(...) decode_bytes((const uint8_t[]){ __VA_ARGS__ }, \
    sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* A node using every kind of item, cut at every offset. */
TEST(test_wa_node_rejects_truncated_at_every_offset)
{
	struct wa_node *root = wa_node_new("message"), *c, *n;
	struct wa_jid j;
	struct u_buf b;
	uint8_t bytes[300];
	size_t cut;

	memset(bytes, 7, sizeof(bytes));
	REQUIRE(wa_jid_parse("123456789012345:7@lid", &j) == 0);
	wa_node_set_attr_jid(root, "from", &j);
	REQUIRE(wa_jid_parse("15551234567@s.whatsapp.net", &j) == 0);
	wa_node_set_attr_jid(root, "to", &j);
	REQUIRE(wa_jid_parse("5551:2@msgr", &j) == 0);
	wa_node_set_attr_jid(root, "fb", &j);
	REQUIRE(wa_jid_parse("5551:1@interop", &j) == 0);
	wa_node_set_attr_jid(root, "io", &j);
	wa_node_set_attr(root, "id", "3EB0A1B2");
	wa_node_set_attr(root, "t", "1700000000");
	wa_node_set_attr(root, "reaction", "mute_v2");
	wa_node_set_attr(root, "name", "some text");
	c = wa_node_new("enc");
	wa_node_set_bytes(c, bytes, sizeof(bytes));
	wa_node_add_child(root, c);
	c = wa_node_new("x");
	wa_node_set_bytes(c, bytes, 3);
	wa_node_add_child(root, c);
	c = wa_node_new("count");
	wa_node_set_string(c, "42");
	wa_node_add_child(root, c);
	u_buf_init(&b, 0);
	REQUIRE(wa_node_encode(root, &b) == 0);
	REQUIRE(decode_bytes(b.p, b.len) == 0);
	for (cut = 0; cut < b.len; cut++) {
		/* A copy of exactly `cut` bytes, so ASan sees any over-read. */
		uint8_t *p = malloc(cut ? cut : 1);
		int r;

		REQUIRE(p != NULL);
		memcpy(p, b.p, cut);
		n = NULL;
		r = wa_node_decode(p, cut, &n);
		if (r != WA_ERR_TRUNCATED)
			fprintf(stderr, "  cut at %zu: %d\n", cut, r);
		CHECK_EQ_INT(r, WA_ERR_TRUNCATED);
		CHECK(n == NULL);
		free(p);
	}
	u_buf_free(&b);
	wa_node_free(root);
}

TEST(test_wa_node_rejects_bad_structure)
{
	/* Empty input, a non-list root, LIST_EMPTY root, empty tag. */
	CHECK_EQ_INT(decode_bytes(NULL, 0), WA_ERR_TRUNCATED);
	CHECK_EQ_INT(DEC(0x19), WA_ERR_BAD_TAG);
	CHECK_EQ_INT(DEC(0x00), WA_ERR_BAD_NODE);
	CHECK_EQ_INT(DEC(0xf8, 0x00), WA_ERR_BAD_NODE);
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xfc, 0x00), WA_ERR_BAD_NODE);
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0x00), WA_ERR_BAD_NODE);
	/* The tag is a JID; a key is a JID; a key is empty. */
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xfa, 0x00, 0x03), WA_ERR_BAD_NODE);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0xfa, 0x00, 0x03, 0x04),
	    WA_ERR_BAD_NODE);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0xfc, 0x00, 0x04), WA_ERR_BAD_NODE);
	/* A list where a string goes; tags 240..244. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xf8, 0x01, 0x19),
	    WA_ERR_BAD_TAG);
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xf0), WA_ERR_BAD_TOKEN);
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xf4), WA_ERR_BAD_TOKEN);
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xf2), WA_ERR_BAD_TOKEN);
	/* Content list holding something that is not a node. */
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xf8, 0x01, 0x19, 0x19),
	    WA_ERR_BAD_TAG);
	/* Tag not UTF-8; attribute value with NUL. */
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xfc, 0x01, 0xff), WA_ERR_BAD_UTF8);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfc, 0x02, 'a', 0),
	    WA_ERR_BAD_UTF8);
	/* Overlong UTF-8 and a surrogate. */
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xfc, 0x02, 0xc0, 0xaf), WA_ERR_BAD_UTF8);
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xfc, 0x03, 0xed, 0xa0, 0x80),
	    WA_ERR_BAD_UTF8);
	/* A correct 4-byte sequence is fine. */
	CHECK_EQ_INT(DEC(0xf8, 0x01, 0xfc, 0x04, 0xf0, 0x9f, 0x98, 0x80), 0);
}

TEST(test_wa_node_rejects_bad_packed)
{
	/* Nibble digits 12, 13, 14 anywhere; 15 except as odd padding. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x01, 0xc1),
	    WA_ERR_BAD_PACKED);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x01, 0x1d),
	    WA_ERR_BAD_PACKED);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x01, 0x1e),
	    WA_ERR_BAD_PACKED);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x01, 0x1f),
	    WA_ERR_BAD_PACKED);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x02, 0x1f, 0x11),
	    WA_ERR_BAD_PACKED);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x81, 0x1f), 0);
	/* Odd flag with no bytes. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x80),
	    WA_ERR_BAD_PACKED);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfb, 0x80),
	    WA_ERR_BAD_PACKED);
	/* The longest packed run the count byte allows: 127 bytes. */
	{
		uint8_t p[6 + 127];
		struct wa_node *n = NULL;

		memcpy(p, (const uint8_t[]){ 0xf8, 0x03, 0x19, 0x04, 0xff,
		    0x7f }, 6);
		memset(p + 6, 0x98, 127);
		CHECK_EQ_INT(wa_node_decode(p, sizeof(p), &n), 0);
		REQUIRE(n != NULL);
		CHECK_EQ_INT(strlen(wa_node_attr(n, "type")), 254);
		wa_node_free(n);
		p[4] = 0xfb;
		p[5] = 0xff;	/* odd: 253 digits */
		CHECK_EQ_INT(wa_node_decode(p, sizeof(p), &n), 0);
		REQUIRE(n != NULL);
		CHECK_EQ_INT(strlen(wa_node_attr(n, "type")), 253);
		wa_node_free(n);
	}
	/* Declared more packed bytes than there are. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xff, 0x7f, 0x11),
	    WA_ERR_TRUNCATED);
}

TEST(test_wa_node_rejects_bad_jids)
{
	/* JID_PAIR: empty server; nested JID; server too long. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfa, 0x00, 0x00),
	    WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfa, 0x00, 0xfc, 0x00),
	    WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfa, 0xfa, 0x00, 0x03,
	    0x03), WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfa, 0x00, 0xfc, 33,
	    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
	    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
	    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'),
	    WA_ERR_BAD_JID);
	/* User with '@' or ':' or a control character. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfa, 0xfc, 0x01, '@',
	    0x03), WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfa, 0xfc, 0x01, ':',
	    0x03), WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xfa, 0xfc, 0x01, '\n',
	    0x03), WA_ERR_BAD_JID);
	/* AD_JID without a user. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xf7, 0x00, 0x01, 0x00),
	    WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xf7, 0x00, 0x01, 0xfc,
	    0x00), WA_ERR_BAD_JID);
	/* FB_JID / INTEROP_JID on the wrong server. */
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xf6, 0xff, 0x01, 0x55,
	    0x00, 0x01, 0x03), WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xf5, 0xff, 0x01, 0x55,
	    0x00, 0x01, 0x00, 0x02, 0xcc), WA_ERR_BAD_JID);
	CHECK_EQ_INT(DEC(0xf8, 0x03, 0x19, 0x04, 0xf6, 0xff, 0x01, 0x55,
	    0x00, 0x01, 0xcc), 0);
}

TEST(test_wa_node_rejects_oversized_lengths)
{
	/* BINARY_32 over the limit; BINARY_20 / _8 past the input. */
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xfe, 0x01, 0x00, 0x00, 0x01),
	    WA_ERR_TOO_BIG);
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xfe, 0x00, 0x00, 0x10, 0x00),
	    WA_ERR_TRUNCATED);
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xfd, 0x0f, 0xff, 0xff),
	    WA_ERR_TRUNCATED);
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xfc, 0x02, 0x00),
	    WA_ERR_TRUNCATED);
	/* The top nibble of BINARY_20 is not part of the length. */
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xfd, 0xf0, 0x00, 0x01, 0xaa), 0);
	/* Attribute count past the input, or past WA_NODE_MAX_ATTRS. */
	CHECK_EQ_INT(DEC(0xf8, 0xff, 0x19, 0x04, 0x04), WA_ERR_TRUNCATED);
	CHECK_EQ_INT(DEC(0xf9, 0x01, 0x03, 0x19), WA_ERR_TOO_BIG);
	/* Child count past the input. */
	CHECK_EQ_INT(DEC(0xf8, 0x02, 0x19, 0xf8, 0x03, 0xf8, 0x01, 0x19),
	    WA_ERR_TRUNCATED);
}

TEST(test_wa_node_rejects_excessive_depth)
{
	/* node = f8 02 19 f8 01 <child>; leaf = f8 01 19. */
	uint8_t *p = malloc(5 * WA_NODE_MAX_DEPTH + 8);
	size_t n, k;

	REQUIRE(p != NULL);
	/* WA_NODE_MAX_DEPTH levels decode, one more does not. */
	for (n = 0, k = 0; k + 1 < WA_NODE_MAX_DEPTH; k++) {
		p[n++] = 0xf8; p[n++] = 0x02; p[n++] = 0x19;
		p[n++] = 0xf8; p[n++] = 0x01;
	}
	p[n++] = 0xf8; p[n++] = 0x01; p[n++] = 0x19;
	CHECK_EQ_INT(decode_bytes(p, n), 0);
	for (n = 0, k = 0; k < WA_NODE_MAX_DEPTH; k++) {
		p[n++] = 0xf8; p[n++] = 0x02; p[n++] = 0x19;
		p[n++] = 0xf8; p[n++] = 0x01;
	}
	p[n++] = 0xf8; p[n++] = 0x01; p[n++] = 0x19;
	CHECK_EQ_INT(decode_bytes(p, n), WA_ERR_TOO_DEEP);
	free(p);
}

TEST(test_wa_node_rejects_too_many_nodes)
{
	/* Root with k children, each a list of 60000 leaves. */
	size_t per = 60000, n = 0, i, k;
	uint8_t *p = malloc(16 + 2 * (6 + per * 3));
	int r;

	REQUIRE(p != NULL);
	REQUIRE(2 * per + 3 > WA_NODE_MAX_NODES && per + 2 < WA_NODE_MAX_NODES);
	p[n++] = 0xf8; p[n++] = 0x02; p[n++] = 0x19;
	p[n++] = 0xf8; p[n++] = 0x02;
	for (k = 0; k < 2; k++) {
		p[n++] = 0xf8; p[n++] = 0x02; p[n++] = 0x19;
		p[n++] = 0xf9; p[n++] = (uint8_t)(per >> 8);
		p[n++] = (uint8_t)per;
		for (i = 0; i < per; i++) {
			p[n++] = 0xf8; p[n++] = 0x01; p[n++] = 0x19;
		}
	}
	r = decode_bytes(p, n);
	CHECK_EQ_INT(r, WA_ERR_TOO_BIG);
	/* One of them (60002 nodes) is within the limit. */
	p[4] = 0x01;
	r = decode_bytes(p, n - (6 + per * 3));
	CHECK_EQ_INT(r, 0);
	free(p);
}

TEST(test_wa_node_rejects_too_many_attrs_in_total)
{
	/* 2000 nodes of 127 attributes (token key/value pairs). */
	size_t nodes = 2000, n = 0, i, a;
	uint8_t *p = malloc(16 + nodes * (5 + 127 * 2));
	int r;

	REQUIRE(p != NULL);
	REQUIRE(nodes * 127 > WA_NODE_MAX_TOTAL_ATTRS);
	p[n++] = 0xf8; p[n++] = 0x02; p[n++] = 0x19;
	p[n++] = 0xf9; p[n++] = (uint8_t)(nodes >> 8);
	p[n++] = (uint8_t)nodes;
	for (i = 0; i < nodes; i++) {
		p[n++] = 0xf8; p[n++] = 0xff; p[n++] = 0x19;
		for (a = 0; a < 127; a++) {
			p[n++] = (uint8_t)(1 + a);	/* distinct keys */
			p[n++] = 0x04;
		}
	}
	r = decode_bytes(p, n);
	CHECK_EQ_INT(r, WA_ERR_TOO_BIG);
	free(p);
}

static size_t
deflate_to(const uint8_t *in, size_t inlen, uint8_t **out)
{
	uLongf n = compressBound(inlen);

	*out = malloc(n + 1);
	if (*out == NULL || compress(*out + 1, &n, in, inlen) != Z_OK)
		return 0;
	(*out)[0] = WA_FRAME_FLAG_COMPRESSED;
	return n + 1;
}

TEST(test_wa_node_frames)
{
	static const uint8_t ping[] = { 0xf8, 0x01, 0x56 };
	struct wa_node *n = NULL;
	uint8_t *z = NULL;
	uint8_t plain[4] = { 0, 0xf8, 0x01, 0x56 };
	size_t zlen;

	CHECK_EQ_INT(wa_node_decode_frame(plain, 0, &n), WA_ERR_TRUNCATED);
	CHECK_EQ_INT(wa_node_decode_frame(plain, 4, &n), 0);
	REQUIRE(n != NULL);
	CHECK_EQ_STR(n->tag, "ping");
	wa_node_free(n);
	n = NULL;
	/* Other flag bits are ignored, like both clients do. */
	plain[0] = 0x01;
	CHECK_EQ_INT(wa_node_decode_frame(plain, 4, &n), 0);
	wa_node_free(n);
	n = NULL;

	zlen = deflate_to(ping, sizeof(ping), &z);
	REQUIRE(zlen > 0);
	CHECK_EQ_INT(wa_node_decode_frame(z, zlen, &n), 0);
	REQUIRE(n != NULL);
	CHECK_EQ_STR(n->tag, "ping");
	wa_node_free(n);
	n = NULL;
	/* Truncated stream, flipped byte, trailing garbage. */
	CHECK_EQ_INT(wa_node_decode_frame(z, zlen - 3, &n), WA_ERR_INFLATE);
	z[zlen - 1] ^= 0x55;	/* Adler-32 */
	CHECK_EQ_INT(wa_node_decode_frame(z, zlen, &n), WA_ERR_INFLATE);
	z[zlen - 1] ^= 0x55;
	z = realloc(z, zlen + 1);
	REQUIRE(z != NULL);
	z[zlen] = 0;
	CHECK_EQ_INT(wa_node_decode_frame(z, zlen + 1, &n), WA_ERR_INFLATE);
	/* Empty compressed payload. */
	CHECK_EQ_INT(wa_node_decode_frame(z, 1, &n), WA_ERR_INFLATE);
	CHECK(n == NULL);
	free(z);
}

TEST(test_wa_node_rejects_decompression_bomb)
{
	/* A node whose BINARY_32 content inflates past the cap. */
	size_t big = WA_NODE_MAX_INFLATED + 1;
	uint8_t *plain = calloc(1, big), *z = NULL;
	struct wa_node *n = NULL;
	size_t zlen;

	REQUIRE(plain != NULL);
	/* <iq/> and then zeros: a node with trailing bytes once inflated. */
	memcpy(plain, (const uint8_t[]){ 0xf8, 0x01, 0x19 }, 3);
	zlen = deflate_to(plain, big, &z);
	REQUIRE(zlen > 0);
	CHECK(zlen < 100000);
	CHECK_EQ_INT(wa_node_decode_frame(z, zlen, &n), WA_ERR_TOO_BIG);
	CHECK(n == NULL);
	free(z);
	/* Exactly at the cap it inflates (and then fails as a node). */
	zlen = deflate_to(plain, WA_NODE_MAX_INFLATED, &z);
	REQUIRE(zlen > 0);
	CHECK_EQ_INT(wa_node_decode_frame(z, zlen, &n), WA_ERR_TRAILING);
	free(z);
	free(plain);
}

TEST_MAIN()
