/*
 * Tests for waweb/node.c and token.c: the tree API, exact encodings of every
 * tag kind, decoding each of them, round trips, the debug printer.
 * Rejections are in test_wa_node_reject.c.
 */
#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/token.h"

static int
encode_hex(const struct wa_node *n, char *hex, size_t size)
{
	struct u_buf b;
	size_t i;
	int r;

	u_buf_init(&b, 0);
	r = wa_node_encode(n, &b);
	hex[0] = '\0';
	for (i = 0; r == 0 && i < b.len && 2 * i + 2 < size; i++)
		snprintf(hex + 2 * i, 3, "%02x", b.p[i]);
	u_buf_free(&b);
	return r;
}

static struct wa_node *
decode_hex(const char *hex, int *err)
{
	uint8_t buf[512];
	size_t n = strlen(hex) / 2, i;
	struct wa_node *node = NULL;
	unsigned v;

	for (i = 0; i < n && i < sizeof(buf); i++) {
		sscanf(hex + 2 * i, "%2x", &v);
		buf[i] = (uint8_t)v;
	}
	*err = wa_node_decode(buf, n, &node);
	return node;
}

static char *
xml(const struct wa_node *n)
{
	struct u_buf b;

	u_buf_init(&b, 0);
	if (wa_node_to_xml(n, &b, 0) != 0)
		u_buf_add_str(&b, "(error)");
	u_buf_add_u8(&b, 0);
	return (char *)u_buf_steal(&b, NULL);
}

TEST(test_wa_node_tokens_consistent)
{
	size_t i, n = wa_token_count();
	const char *prev = NULL, *s;
	unsigned d, k;
	int code;

	CHECK_EQ_INT(n, 235 + 4 * 256);
	for (i = 0; i < n; i++) {
		s = wa_token_at(i, &code);
		REQUIRE(s != NULL);
		if (prev != NULL)
			CHECK(strcmp(prev, s) < 0);
		prev = s;
		if (code < 256)
			CHECK_EQ_STR(wa_token_single((unsigned)code), s);
		else
			CHECK_EQ_STR(wa_token_double((unsigned)(code - 256) / 256,
			    (unsigned)(code - 256) % 256), s);
	}
	for (k = 1; k < WA_TOKEN_SINGLE_COUNT; k++)
		CHECK_EQ_INT(wa_token_find(wa_token_single(k),
		    strlen(wa_token_single(k))), k);
	for (d = 0; d < 4; d++)
		for (k = 0; k < 256; k++)
			CHECK_EQ_INT(wa_token_find(wa_token_double(d, k),
			    strlen(wa_token_double(d, k))), 256 + d * 256 + k);
	CHECK(wa_token_single(0) == NULL);
	CHECK(wa_token_single(236) == NULL);
	CHECK(wa_token_double(4, 0) == NULL);
	CHECK_EQ_INT(wa_token_find("not-a-token", 11), -1);
	CHECK_EQ_INT(wa_token_find("typ", 3), -1);
	CHECK_EQ_STR(wa_token_single(1), "xmlstreamstart");
	CHECK_EQ_STR(wa_token_single(3), "s.whatsapp.net");
	CHECK_EQ_STR(wa_token_single(25), "iq");
	CHECK_EQ_STR(wa_token_double(0, 0), "read-self");
	CHECK_EQ_STR(wa_token_double(3, 255), "1961");
}

TEST(test_wa_node_attr_api)
{
	struct wa_node *n = wa_node_new("iq");
	struct wa_jid j, got;
	uint64_t v = 0;

	wa_node_set_attr(n, "id", "1");
	wa_node_set_attr(n, "type", "get");
	wa_node_set_attr(n, "id", "2");		/* replaced in place */
	CHECK_EQ_INT(n->nattrs, 2);
	CHECK_EQ_STR(n->attrs[0].key, "id");
	CHECK_EQ_STR(wa_node_attr(n, "id"), "2");
	REQUIRE(wa_jid_parse("123@lid", &j) == 0);
	wa_node_set_attr_jid(n, "to", &j);
	CHECK(wa_node_attr(n, "to") == NULL);	/* not a string */
	CHECK_EQ_INT(wa_node_attr_jid(n, "to", &got), 0);
	CHECK(wa_jid_equal(&got, &j));
	CHECK_EQ_INT(wa_node_attr_jid(n, "id", &got), WA_ERR_BAD_JID);
	CHECK_EQ_INT(wa_node_attr_jid(n, "nope", &got), U_ERR_NOT_FOUND);
	wa_node_set_attr_u64(n, "t", 18446744073709551615ull);
	CHECK_EQ_INT(wa_node_attr_u64(n, "t", &v), 0);
	CHECK(v == 18446744073709551615ull);
	wa_node_set_attr(n, "t", "18446744073709551616");
	CHECK_EQ_INT(wa_node_attr_u64(n, "t", &v), U_ERR_INVALID);
	wa_node_set_attr(n, "t", "");
	CHECK_EQ_INT(wa_node_attr_u64(n, "t", &v), U_ERR_INVALID);
	CHECK_EQ_INT(wa_node_attr_u64(n, "to", &v), U_ERR_INVALID);
	CHECK_EQ_INT(wa_node_attr_u64(n, "x", &v), U_ERR_NOT_FOUND);
	wa_node_set_attr(n, "type", NULL);	/* removal keeps order */
	CHECK_EQ_INT(n->nattrs, 3);
	CHECK_EQ_STR(n->attrs[1].key, "to");
	CHECK(wa_node_attr(n, "type") == NULL);
	wa_node_set_attr(n, "absent", NULL);
	CHECK_EQ_INT(n->nattrs, 3);
	wa_node_free(n);
	wa_node_free(NULL);
}

TEST(test_wa_node_children_api)
{
	struct wa_node *n = wa_node_new("usync");
	struct wa_node *d;

	CHECK(wa_node_child(n, "query") == NULL);
	wa_node_add_child(n, wa_node_new("query"));
	wa_node_add_child(n, wa_node_new("list"));
	wa_node_add_child(n, wa_node_new("list"));
	CHECK_EQ_INT(n->kind, WA_CONTENT_LIST);
	CHECK(wa_node_child(n, "list") == n->children[1]);
	CHECK(wa_node_child_at(n, 2) == n->children[2]);
	CHECK(wa_node_child_at(n, 3) == NULL);
	d = wa_node_dup(n);
	CHECK(wa_node_equal(n, d));
	wa_node_set_bytes(d->children[0], "ab", 2);
	CHECK(!wa_node_equal(n, d));
	wa_node_set_string(d->children[0], "x");
	CHECK_EQ_INT(d->children[0]->kind, WA_CONTENT_STRING);
	CHECK_EQ_STR((char *)d->children[0]->bytes, "x");
	wa_node_clear_content(d);
	CHECK_EQ_INT(d->kind, WA_CONTENT_NONE);
	CHECK_EQ_INT(d->nchildren, 0);
	wa_node_free(d);
	wa_node_free(n);
}

/* One encoding per tag kind, worked out by hand from the format. */
TEST(test_wa_node_encodes_every_tag_kind)
{
	struct wa_node *n;
	struct wa_jid j;
	char hex[1200];
	uint8_t big[300];

	/* LIST_8 header, single-byte tokens, JID_PAIR with empty user. */
	n = wa_node_new("iq");
	wa_node_set_attr(n, "id", "abc");
	REQUIRE(wa_jid_parse("s.whatsapp.net", &j) == 0);
	wa_node_set_attr_jid(n, "to", &j);
	wa_node_set_attr(n, "type", "get");
	wa_node_set_attr(n, "xmlns", "w:p");
	wa_node_add_child(n, wa_node_new("ping"));
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f80a1908fc0361626311fa000304291657f801f80156");
	wa_node_free(n);

	/* Double-byte tokens (dict 0..3), NIBBLE_8 odd and even, HEX_8. */
	n = wa_node_new("read-self");			/* ec 00 */
	wa_node_set_attr(n, "reject", "64");		/* ed 00, ee 00 */
	wa_node_set_attr(n, "1724", "123-4.5");	/* ef 00, ff 84 ... */
	wa_node_set_attr(n, "v", "3EB0");		/* 51, fb 02 3e b0 */
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f807ec00ed00ee00ef00ff84123a4b5f51fb023eb0");
	wa_node_free(n);

	/* Empty string: BINARY_8 0; lowercase hex is raw; 128 digits raw. */
	n = wa_node_new("x");
	wa_node_set_attr(n, "v", "");
	wa_node_set_attr(n, "id", "ab");
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f805fc017851fc0008fc026162");
	wa_node_free(n);

	/* AD_JID for devices: lid domain 1, hosted 128 (explicit device 0). */
	n = wa_node_new("x");
	REQUIRE(wa_jid_parse("5551:3@lid", &j) == 0);
	wa_node_set_attr_jid(n, "jid", &j);
	REQUIRE(wa_jid_parse("5551:0@hosted", &j) == 0);
	wa_node_set_attr_jid(n, "to", &j);
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f805fc01780cf70103ff025551" "11f78000ff025551");
	wa_node_free(n);

	/* Device 0 given explicitly: AD_JID like Baileys; else JID_PAIR. */
	n = wa_node_new("x");
	REQUIRE(wa_jid_parse("5551:0@s.whatsapp.net", &j) == 0);
	wa_node_set_attr_jid(n, "jid", &j);
	j.ad = 0;
	wa_node_set_attr_jid(n, "to", &j);
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f805fc01780cf70000ff025551" "11faff02555103");
	wa_node_free(n);

	/* FB_JID and INTEROP_JID (whatsmeow's forms). */
	n = wa_node_new("x");
	REQUIRE(wa_jid_parse("5551:2@msgr", &j) == 0);
	wa_node_set_attr_jid(n, "jid", &j);
	REQUIRE(wa_jid_parse("5551:1@interop", &j) == 0);
	j.integrator = 7;
	wa_node_set_attr_jid(n, "to", &j);
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f805fc01780cf6ff0255510002cc"
	    "11f5ff02555100010007fc07696e7465726f70");
	wa_node_free(n);

	/* A raw agent is not written (whatsmeow's ActualAgent). */
	n = wa_node_new("x");
	REQUIRE(wa_jid_parse("5551.5:2@s.whatsapp.net", &j) == 0);
	wa_node_set_attr_jid(n, "to", &j);
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f803fc017811f70002ff025551");
	wa_node_free(n);

	/* A bare msgr server JID (found by fuzz_wa_node): JID_PAIR. */
	n = wa_node_new("x");
	REQUIRE(wa_jid_parse("msgr", &j) == 0);
	wa_node_set_attr_jid(n, "to", &j);
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f803fc017811fa00cc");
	wa_node_free(n);

	/* String content with '@' becomes a JID_PAIR (Baileys' rule). */
	n = wa_node_new("x");
	wa_node_set_string(n, "5551@g.us");
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f802fc0178faff0255511c");
	wa_node_free(n);

	/* BINARY_8 / BINARY_20 lengths, and an empty list. */
	n = wa_node_new("enc");
	memset(big, 0xab, sizeof(big));
	wa_node_set_bytes(n, big, 3);
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f8021dfc03ababab");
	wa_node_set_bytes(n, big, 256);
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK(strncmp(hex, "f8021dfd000100abab", 18) == 0);
	wa_node_clear_content(n);
	n->kind = WA_CONTENT_LIST;
	CHECK_EQ_INT(encode_hex(n, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "f8021d00");
	wa_node_free(n);
}

TEST(test_wa_node_encodes_large_sizes)
{
	struct wa_node *n = wa_node_new("list");
	struct u_buf b;
	uint8_t *big;
	size_t i;

	/* 300 children: LIST_16 content header. */
	for (i = 0; i < 300; i++)
		wa_node_add_child(n, wa_node_new("item"));
	u_buf_init(&b, 0);
	REQUIRE(wa_node_encode(n, &b) == 0);
	CHECK_EQ_INT(b.p[0], 0xf8);
	CHECK_EQ_INT(b.p[3], 0xf9);
	CHECK_EQ_INT(b.p[4], 0x01);
	CHECK_EQ_INT(b.p[5], 0x2c);
	u_buf_free(&b);
	/* 128 attributes: 257 items, LIST_16 node header. */
	wa_node_clear_content(n);
	for (i = 0; i < 128; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%zu", i);
		wa_node_set_attr(n, k, "v");
	}
	u_buf_init(&b, 0);
	REQUIRE(wa_node_encode(n, &b) == 0);
	CHECK_EQ_INT(b.p[0], 0xf9);
	CHECK_EQ_INT(b.p[1], 0x01);
	CHECK_EQ_INT(b.p[2], 0x01);
	u_buf_free(&b);
	wa_node_free(n);
	/* 1 MiB of bytes: BINARY_32. */
	n = wa_node_new("media");
	big = calloc(1, (size_t)1 << 20);
	REQUIRE(big != NULL);
	wa_node_set_bytes(n, big, (size_t)1 << 20);
	free(big);
	u_buf_init(&b, 0);
	REQUIRE(wa_node_encode(n, &b) == 0);
	CHECK_EQ_INT(b.p[3], 0xfe);
	CHECK_EQ_INT(b.p[4], 0x00);
	CHECK_EQ_INT(b.p[5], 0x10);
	CHECK_EQ_INT(b.p[6], 0x00);
	CHECK_EQ_INT(b.p[7], 0x00);
	u_buf_free(&b);
	wa_node_free(n);
}

TEST(test_wa_node_decodes_every_tag_kind)
{
	struct wa_node *n;
	struct wa_jid j;
	char *s;
	int r;

	n = decode_hex("f807ec00ed00ee00ef00ff84123a4b5f51fb023eb0", &r);
	REQUIRE(r == 0);
	s = xml(n);
	CHECK_EQ_STR(s, "<read-self reject=\"64\" 1724=\"123-4.5\" "
	    "v=\"3EB0\"/>");
	free(s);
	wa_node_free(n);

	/* AD_JID domains 0, 1, 128, 129 and a legacy agent 5. */
	n = decode_hex("f80bfc0178" "01f70003ff0112" "02f70104ff0112"
	    "03f78063ff0112" "04f78163ff0112" "05f70502ff0112", &r);
	REQUIRE(r == 0);
	s = xml(n);
	CHECK_EQ_STR(s, "<x xmlstreamstart=\"12:3@s.whatsapp.net\" "
	    "xmlstreamend=\"12:4@lid\" s.whatsapp.net=\"12:99@hosted\" "
	    "type=\"12:99@hosted.lid\" participant=\"12.5:2@s.whatsapp.net\"/>");
	free(s);
	REQUIRE(wa_node_attr_jid(n, "xmlstreamend", &j) == 0);
	CHECK(j.ad && j.device == 4 && strcmp(j.server, "lid") == 0);
	wa_node_free(n);

	/* JID_PAIR (empty user), FB_JID, INTEROP_JID. */
	n = decode_hex("f807fc0178" "01fa0003" "02f6ff01120002cc"
	    "03f5ff011200010007fc07696e7465726f70", &r);
	REQUIRE(r == 0);
	REQUIRE(wa_node_attr_jid(n, "s.whatsapp.net", &j) == 0);
	CHECK_EQ_INT(j.integrator, 7);
	CHECK_EQ_INT(j.device, 1);
	s = xml(n);
	CHECK_EQ_STR(s, "<x xmlstreamstart=\"s.whatsapp.net\" "
	    "xmlstreamend=\"12:2@msgr\" s.whatsapp.net=\"12:1@interop\"/>");
	free(s);
	wa_node_free(n);

	/* Content kinds: token string, packed, JID, bytes, empty list. */
	n = decode_hex("f802fc01785a", &r);	/* content token 90 "set" */
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->kind, WA_CONTENT_STRING);
	CHECK_EQ_STR((char *)n->bytes, "set");
	wa_node_free(n);
	n = decode_hex("f802fc0178fafc016103", &r);
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->kind, WA_CONTENT_JID);
	CHECK_EQ_STR(n->jid.user, "a");
	wa_node_free(n);
	n = decode_hex("f8021dfc0300ff80", &r);
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->kind, WA_CONTENT_BYTES);
	CHECK_EQ_INT(n->len, 3);
	s = xml(n);
	CHECK_EQ_STR(s, "<enc>[hex 00ff80]</enc>");
	free(s);
	wa_node_free(n);
	n = decode_hex("f8021dfd000003616263", &r);	/* BINARY_20 */
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->len, 3);
	wa_node_free(n);
	n = decode_hex("f8021dfe00000003616263", &r);	/* BINARY_32 */
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->len, 3);
	wa_node_free(n);
	n = decode_hex("f8021d00", &r);
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->kind, WA_CONTENT_LIST);
	CHECK_EQ_INT(n->nchildren, 0);
	wa_node_free(n);
	n = decode_hex("f8021df80000", &r);	/* one byte too many */
	CHECK_EQ_INT(r, WA_ERR_TRAILING);
	wa_node_free(n);
	n = decode_hex("f8021df800", &r);
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->kind, WA_CONTENT_LIST);
	wa_node_free(n);
	n = decode_hex("f9000219f90000", &r);	/* LIST_16 headers */
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->nchildren, 0);
	wa_node_free(n);
	n = decode_hex("f9000219f90001f9000119", &r);
	REQUIRE(r == 0);
	CHECK_EQ_INT(n->nchildren, 1);
	wa_node_free(n);
	/* Packed: hex odd with padding, nibble even, empty packed run. */
	n = decode_hex("f803fc01785afb83abcdef", &r);
	REQUIRE(r == 0);
	CHECK_EQ_STR(wa_node_attr(n, "set"), "ABCDE");
	wa_node_free(n);
	n = decode_hex("f803fc01785aff020123", &r);
	REQUIRE(r == 0);
	CHECK_EQ_STR(wa_node_attr(n, "set"), "0123");
	wa_node_free(n);
	n = decode_hex("f803fc01785aff00", &r);
	REQUIRE(r == 0);
	CHECK_EQ_STR(wa_node_attr(n, "set"), "");
	wa_node_free(n);
	/* LIST_EMPTY as an attribute value reads as "". */
	n = decode_hex("f803fc01785a00", &r);
	REQUIRE(r == 0);
	CHECK_EQ_STR(wa_node_attr(n, "set"), "");
	wa_node_free(n);
}

TEST(test_wa_node_roundtrips_built_tree)
{
	struct wa_node *root = wa_node_new("message"), *c, *back = NULL;
	struct wa_jid j;
	struct u_buf b, b2;
	static const uint8_t blob[] = { 0, 1, 0xff, 0xfe, 0x80, 'a' };

	REQUIRE(wa_jid_parse("123456789012345@lid", &j) == 0);
	wa_node_set_attr_jid(root, "to", &j);
	wa_node_set_attr(root, "id", "3EB0A1B2C3D4E5F6");
	wa_node_set_attr(root, "t", "1700000000");
	wa_node_set_attr(root, "name", "J\xc3\xbcrgen");
	c = wa_node_new("enc");
	wa_node_set_attr(c, "v", "2");
	wa_node_set_bytes(c, blob, sizeof(blob));
	wa_node_add_child(root, c);
	c = wa_node_new("participants");
	c->kind = WA_CONTENT_LIST;
	wa_node_add_child(root, c);
	c = wa_node_new("device");
	REQUIRE(wa_jid_parse("123456789012345:7@lid", &j) == 0);
	wa_node_set_jid(c, &j);
	wa_node_add_child(root, c);
	c = wa_node_new("count");
	wa_node_set_string(c, "42");
	wa_node_add_child(root, c);

	u_buf_init(&b, 0);
	u_buf_init(&b2, 0);
	REQUIRE(wa_node_encode_frame(root, &b) == 0);
	CHECK_EQ_INT(b.p[0], 0);
	REQUIRE(wa_node_decode_frame(b.p, b.len, &back) == 0);
	CHECK(wa_node_equal(root, back));
	REQUIRE(wa_node_encode_frame(back, &b2) == 0);
	CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
	u_buf_free(&b);
	u_buf_free(&b2);
	wa_node_free(back);
	wa_node_free(root);
}

TEST(test_wa_node_xml_escapes_and_truncates)
{
	struct wa_node *n = wa_node_new("body");
	struct u_buf b;
	char *s;

	wa_node_set_attr(n, "q", "a<\"&>");
	wa_node_set_bytes(n, "hello world", 11);
	u_buf_init(&b, 0);
	REQUIRE(wa_node_to_xml(n, &b, 5) == 0);
	u_buf_add_u8(&b, 0);
	s = (char *)u_buf_steal(&b, NULL);
	CHECK_EQ_STR(s, "<body q=\"a&lt;&quot;&amp;&gt;\">hello"
	    "\xe2\x80\xa6(11 bytes)</body>");
	free(s);
	wa_node_free(n);
}

TEST(test_wa_node_encoder_rejects_unencodable)
{
	struct wa_node *n = wa_node_new("x"), *p, *deep;
	struct wa_jid j;
	struct u_buf b;
	int i;

	u_buf_init(&b, 0);
	REQUIRE(wa_jid_parse("12:300@s.whatsapp.net", &j) == 0);
	wa_node_set_attr_jid(n, "jid", &j);	/* AD_JID has one device byte */
	CHECK_EQ_INT(wa_node_encode(n, &b), WA_ERR_INVALID);
	REQUIRE(wa_jid_parse("12:3@g.us", &j) == 0);
	wa_node_set_attr_jid(n, "jid", &j);	/* JID_PAIR has no device */
	CHECK_EQ_INT(wa_node_encode(n, &b), WA_ERR_INVALID);
	REQUIRE(wa_jid_parse("12:3@g.us", &j) == 0);
	wa_node_free(n);
	n = wa_node_new("");
	CHECK_EQ_INT(wa_node_encode(n, &b), WA_ERR_INVALID);
	wa_node_free(n);
	/* Deeper than the decoder accepts: refused when encoding too. */
	deep = wa_node_new("leaf");
	for (i = 0; i < WA_NODE_MAX_DEPTH; i++) {
		p = wa_node_new("n");
		wa_node_add_child(p, deep);
		deep = p;
	}
	CHECK_EQ_INT(wa_node_encode(deep, &b), WA_ERR_INVALID);
	p = deep->children[0];
	deep->nchildren = 0;
	wa_node_free(deep);
	u_buf_reset(&b);
	CHECK_EQ_INT(wa_node_encode(p, &b), 0);	/* exactly the limit */
	wa_node_free(p);
	/* The buffer's cap. */
	u_buf_free(&b);
	u_buf_init(&b, 4);
	n = wa_node_new("custom-tag");
	CHECK_EQ_INT(wa_node_encode(n, &b), U_ERR_TOO_BIG);
	wa_node_free(n);
	u_buf_free(&b);
}

TEST_MAIN()
