/*
 * test_wa_msg.c: 1:1 text stanzas (waweb/send_message.c, recv_message.c)
 * without a connection: ids, usync and prekey queries and their parsing,
 * the E2EMessage payload, acks with server errors, receipts, and a message
 * built for three devices (the recipient's two, our own other one) opened
 * by each of them with real Signal sessions; replays and junk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "test/unit/test.h"
#include "util/buf.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"

static char *
xml(const struct wa_node *n)
{
	static char out[8192];
	struct u_buf b;

	u_buf_init(&b, sizeof(out) - 1);
	if (wa_node_to_xml(n, &b, 0) != 0 || b.len >= sizeof(out)) {
		u_buf_free(&b);
		return strcpy(out, "(too big)");
	}
	memcpy(out, b.p, b.len);
	out[b.len] = 0;
	u_buf_free(&b);
	return out;
}

static struct wa_jid
jid(const char *s)
{
	struct wa_jid j;

	memset(&j, 0, sizeof(j));
	if (wa_jid_parse(s, &j) != 0)
		abort();
	return j;
}

TEST(test_wa_msg_id_format)
{
	char a[WA_MSG_ID_MAX], b[WA_MSG_ID_MAX];
	size_t i;

	wa_msg_new_id(a);
	wa_msg_new_id(b);
	CHECK_EQ_INT(strlen(a), WA_MSG_ID_LEN);
	CHECK(strncmp(a, "3EB0", 4) == 0);
	for (i = 4; i < strlen(a); i++)
		CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'A' && a[i] <= 'F'));
	CHECK(strcmp(a, b) != 0);
}

TEST(test_wa_msg_usync_query)
{
	struct wa_jid u[2] = { jid("33600000002@s.whatsapp.net"),
	    jid("33600000001:3@s.whatsapp.net") };
	struct wa_node *n = wa_msg_usync_node(u, 2, "sid-1");

	CHECK_EQ_STR(xml(n), "<iq xmlns=\"usync\" type=\"get\" "
	    "to=\"s.whatsapp.net\"><usync sid=\"sid-1\" mode=\"query\" "
	    "last=\"true\" index=\"0\" context=\"message\"><query><devices "
	    "version=\"2\"/><lid/></query><list><user jid=\"33600000002@s.whatsapp.net\"/>"
	    "<user jid=\"33600000001@s.whatsapp.net\"/></list></usync></iq>");
	wa_node_free(n);
}

static struct wa_node *
usync_result(const char *user, const unsigned *ids, size_t n)
{
	struct wa_node *iq = wa_node_new("iq"), *us, *list, *u, *d, *dl, *dv;
	struct wa_jid j = jid(user);
	size_t i;

	wa_node_set_attr(iq, "type", "result");
	us = wa_node_new("usync");
	list = wa_node_new("list");
	u = wa_node_new("user");
	wa_node_set_attr_jid(u, "jid", &j);
	d = wa_node_new("devices");
	dl = wa_node_new("device-list");
	for (i = 0; i < n; i++) {
		dv = wa_node_new("device");
		wa_node_set_attr_u64(dv, "id", ids[i]);
		wa_node_add_child(dl, dv);
	}
	wa_node_add_child(d, dl);
	wa_node_add_child(u, d);
	wa_node_add_child(list, u);
	wa_node_add_child(us, list);
	wa_node_add_child(iq, us);
	return iq;
}

TEST(test_wa_msg_usync_result_parsed)
{
	static const unsigned ids[] = { 0, 1, 7 };
	struct wa_node *res = usync_result("33600000002@s.whatsapp.net", ids, 3);
	struct wa_jid out[4];
	char s[WA_JID_STR_MAX];

	REQUIRE(wa_msg_parse_usync(res, out, 4) == 3);
	CHECK_EQ_STR(wa_jid_format(&out[0], s, sizeof(s)),
	    "33600000002@s.whatsapp.net");
	CHECK_EQ_STR(wa_jid_format(&out[2], s, sizeof(s)),
	    "33600000002:7@s.whatsapp.net");
	/* More devices than the caller's room. */
	CHECK_EQ_INT(wa_msg_parse_usync(res, out, 2), WA_ERR_TOO_BIG);
	/* A hosted (Cloud API) device goes to the hosted server. */
	{
		struct wa_node *dl = wa_node_child(wa_node_child(wa_node_child(
		    wa_node_child(wa_node_child(res, "usync"), "list"), "user"),
		    "devices"), "device-list");

		REQUIRE(dl != NULL && dl->nchildren == 3);
		wa_node_set_attr(dl->children[2], "is_hosted", "true");
		REQUIRE(wa_msg_parse_usync(res, out, 4) == 3);
		CHECK_EQ_STR(wa_jid_format(&out[2], s, sizeof(s)),
		    "33600000002:7@hosted");
		CHECK(wa_jid_is_hosted(&out[2]));
	}
	wa_node_free(res);
}

TEST(test_wa_msg_usync_result_rejects_bad)
{
	static const unsigned big[] = { 70000 };
	struct wa_node *res = usync_result("33600000002@s.whatsapp.net", big, 1);
	struct wa_jid out[4];

	CHECK_EQ_INT(wa_msg_parse_usync(res, out, 4), WA_ERR_MSG_MALFORMED);
	wa_node_free(res);
	/* A group JID is not a user. */
	res = usync_result("1203630000@g.us", big, 0);
	CHECK_EQ_INT(wa_msg_parse_usync(res, out, 4), WA_ERR_MSG_MALFORMED);
	wa_node_free(res);
	res = wa_node_new("iq");
	wa_node_set_attr(res, "type", "error");
	CHECK_EQ_INT(wa_msg_parse_usync(res, out, 4), WA_ERR_IQ);
	wa_node_set_attr(res, "type", "result");
	CHECK_EQ_INT(wa_msg_parse_usync(res, out, 4), WA_ERR_MSG_MALFORMED);
	wa_node_free(res);
}

TEST(test_wa_msg_prekey_query)
{
	struct wa_jid d[2] = { jid("33600000002:1@s.whatsapp.net"),
	    jid("33600000002@s.whatsapp.net") };
	struct wa_node *n = wa_msg_prekey_node(d, 2);

	CHECK_EQ_STR(xml(n), "<iq xmlns=\"encrypt\" type=\"get\" "
	    "to=\"s.whatsapp.net\"><key><user jid=\"33600000002:1@s.whatsapp.net\"/>"
	    "<user jid=\"33600000002@s.whatsapp.net\"/></key></iq>");
	wa_node_free(n);
}

TEST(test_wa_msg_payload_roundtrip)
{
	uint8_t *p;
	size_t n;
	char *text, *dest;

	REQUIRE(wa_msg_text_payload("héllo ✓", NULL, &p, &n) == 0);
	/* field 1 (conversation), length 10 */
	CHECK(n == 12 && p[0] == 0x0a && p[1] == 10);
	REQUIRE(wa_msg_payload_text(p, n, &text, &dest) == 0);
	CHECK_EQ_STR(text, "héllo ✓");
	CHECK(dest == NULL);
	free(text);
	free(p);
	REQUIRE(wa_msg_text_payload("x", "33600000002@s.whatsapp.net", &p,
	    &n) == 0);
	/* field 31 (deviceSentMessage), length-delimited: tag 0xfa 0x01 */
	CHECK(p[0] == 0xfa && p[1] == 0x01);
	REQUIRE(wa_msg_payload_text(p, n, &text, &dest) == 0);
	CHECK_EQ_STR(text, "x");
	CHECK_EQ_STR(dest, "33600000002@s.whatsapp.net");
	free(text);
	free(dest);
	free(p);
}

TEST(test_wa_msg_payload_extended_text_and_junk)
{
	/* extendedTextMessage (6) { text (1) = "hi" } */
	static const uint8_t ext[] = { 0x32, 0x04, 0x0a, 0x02, 'h', 'i' };
	static const uint8_t junk[] = { 0x0a, 0x05, 'a' };
	static const uint8_t none[] = { 0xa0, 0x06, 0x01 };	/* field 100 */
	char *text = NULL, *dest = NULL;

	REQUIRE(wa_msg_payload_text(ext, sizeof(ext), &text, &dest) == 0);
	CHECK_EQ_STR(text, "hi");
	free(text);
	CHECK_EQ_INT(wa_msg_payload_text(junk, sizeof(junk), &text, &dest),
	    WA_ERR_MSG_MALFORMED);
	/* Unknown fields only: no text, no error. */
	text = (char *)"unset";
	REQUIRE(wa_msg_payload_text(none, sizeof(none), &text, &dest) == 0);
	CHECK(text == NULL);
}

TEST(test_wa_msg_ack_errors_surface)
{
	struct wa_node *ack = wa_node_new("ack");
	int code = 0;

	wa_node_set_attr(ack, "class", "message");
	wa_node_set_attr(ack, "id", "3EB0AA");
	CHECK_EQ_INT(wa_msg_parse_ack(ack, &code), 0);
	wa_node_set_attr(ack, "error", "463");
	CHECK_EQ_INT(wa_msg_parse_ack(ack, &code), WA_ERR_MSG_SERVER);
	CHECK_EQ_INT(code, 463);
	wa_node_set_attr(ack, "error", "bogus");
	CHECK_EQ_INT(wa_msg_parse_ack(ack, &code), WA_ERR_MSG_SERVER);
	CHECK_EQ_INT(code, 0);
	wa_node_free(ack);
}

TEST(test_wa_msg_receipts)
{
	struct wa_node *m = wa_node_new("message"), *r;
	struct wa_jid from = jid("100000000000001:1@lid");
	struct wa_jid rc = jid("33600000002@s.whatsapp.net");

	wa_node_set_attr(m, "id", "3EB0BB");
	wa_node_set_attr_jid(m, "from", &from);
	wa_node_set_attr(m, "t", "1700000000");
	r = wa_msg_receipt_node(m, 0);
	CHECK_EQ_STR(xml(r), "<receipt id=\"3EB0BB\" to=\"100000000000001:1@lid\"/>");
	wa_node_free(r);
	wa_node_set_attr_jid(m, "recipient", &rc);
	r = wa_msg_receipt_node(m, 1);
	CHECK_EQ_STR(xml(r), "<receipt id=\"3EB0BB\" to=\"100000000000001:1@lid\" "
	    "type=\"sender\" recipient=\"33600000002@s.whatsapp.net\"/>");
	wa_node_free(r);
	r = wa_msg_retry_receipt_node(m, 0x01020304);
	CHECK_EQ_STR(xml(r), "<receipt id=\"3EB0BB\" to=\"100000000000001:1@lid\" "
	    "type=\"retry\"><retry count=\"1\" id=\"3EB0BB\" t=\"1700000000\" "
	    "v=\"1\"/><registration>[hex 01020304]</registration></receipt>");
	wa_node_free(r);
	wa_node_free(m);
}

/* --- A whole message through real sessions ------------------------------ */

struct party {
	struct wa_signal_store_mem	*m;
	struct wa_signal		*s;
};

static void
party_init(struct party *p)
{
	p->m = wa_signal_store_mem_new(7);
	p->s = wa_signal_new(&wa_signal_store_mem_ops, p->m);
}

static void
party_fini(struct party *p)
{
	wa_signal_free(p->s);
	wa_signal_store_mem_free(p->m);
}

/* from gets a session with `to` at addr (no one-time prekey). */
static int
connect_to(struct party *from, struct party *to, const char *addr)
{
	struct wa_signal_bundle b;

	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(to->m, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 7;
	return wa_signal_session_from_bundle(from->s, addr, &b);
}

/* The stanza as wasim delivers it to `dev`: from=sender, its enc only. */
static struct wa_node *
delivered(const struct wa_node *msg, const char *dev, const char *from,
    const char *recipient)
{
	const struct wa_node *parts = wa_node_child(msg, "participants");
	struct wa_node *n = wa_node_new("message");
	struct wa_jid f = jid(from), r;
	size_t i;

	wa_node_set_attr_jid(n, "from", &f);
	wa_node_set_attr(n, "id", wa_node_attr(msg, "id"));
	wa_node_set_attr(n, "type", "text");
	wa_node_set_attr(n, "t", "1700000000");
	if (recipient != NULL) {
		r = jid(recipient);
		wa_node_set_attr_jid(n, "recipient", &r);
	}
	for (i = 0; parts != NULL && i < parts->nchildren; i++) {
		const struct wa_node *to = parts->children[i];
		struct wa_jid tj, want = jid(dev);

		if (wa_node_attr_jid(to, "jid", &tj) == 0 &&
		    wa_jid_equal(&tj, &want))
			wa_node_add_child(n, wa_node_dup(to->children[0]));
	}
	return n;
}

TEST(test_wa_msg_build_and_open)
{
	struct party me, bob1, bob2, mine2;
	struct wa_device dev;
	struct wa_jid to = jid("33600000002@s.whatsapp.net");
	struct wa_jid devs[5] = { jid("33600000002@s.whatsapp.net"),
	    jid("33600000002:1@s.whatsapp.net"),
	    jid("33600000002:2@s.whatsapp.net"),
	    jid("33600000001:3@s.whatsapp.net"),
	    jid("33600000001:5@s.whatsapp.net") };
	uint8_t adv[4] = { 1, 2, 3, 4 };
	struct wa_node *msg = NULL, *in;
	struct wa_msg_event ev;
	const struct wa_node *parts;
	char *text = NULL, s[WA_JID_STR_MAX];
	uint8_t *pl = NULL;

	party_init(&me);
	party_init(&bob1);
	party_init(&bob2);
	party_init(&mine2);
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	/* Sessions with bob's 1 and 2 and our device 5; none with bob's
	 * phone (device 0), which is then skipped. */
	REQUIRE(connect_to(&me, &bob1, "33600000002:1") == 0);
	REQUIRE(connect_to(&me, &bob2, "33600000002:2") == 0);
	REQUIRE(connect_to(&me, &mine2, "33600000001:5") == 0);
	REQUIRE(wa_msg_build_stanza(me.s, &dev, "3EB0CC", &to, "bonjour ✓",
	    devs, 5, &msg) == 0);
	CHECK_EQ_STR(wa_node_attr(msg, "id"), "3EB0CC");
	CHECK_EQ_STR(wa_node_attr(msg, "type"), "text");
	REQUIRE((parts = wa_node_child(msg, "participants")) != NULL);
	CHECK_EQ_INT(parts->nchildren, 3);
	CHECK_EQ_STR(wa_node_attr(parts->children[0]->children[0], "type"),
	    "pkmsg");
	CHECK_EQ_STR(wa_node_attr(parts->children[0]->children[0], "v"), "2");
	CHECK(wa_node_child(msg, "device-identity") != NULL);

	/* Bob's device 2 opens it. */
	in = delivered(msg, "33600000002:2@s.whatsapp.net",
	    "33600000001:3@s.whatsapp.net", NULL);
	REQUIRE(wa_msg_open(bob2.s, in, &ev, &pl, &text) == 0);
	CHECK_EQ_STR(text, "bonjour ✓");
	CHECK_EQ_STR(ev.id, "3EB0CC");
	CHECK_EQ_INT(ev.from_me, 0);
	CHECK_EQ_INT(ev.timestamp, 1700000000);
	CHECK_EQ_STR(wa_jid_format(&ev.chat, s, sizeof(s)),
	    "33600000001@s.whatsapp.net");
	free(text);
	text = NULL;
	free(pl);
	pl = NULL;
	/* A replay is a duplicate, not a second message. */
	CHECK_EQ_INT(wa_msg_open(bob2.s, in, &ev, &pl, &text), WA_ERR_SIG_DUPLICATE);
	CHECK(text == NULL);
	wa_node_free(in);

	/* Our device 5 gets the deviceSentMessage: chat is bob. */
	in = delivered(msg, "33600000001:5@s.whatsapp.net",
	    "33600000001:3@s.whatsapp.net", "33600000002@s.whatsapp.net");
	REQUIRE(wa_msg_open(mine2.s, in, &ev, &pl, &text) == 0);
	CHECK_EQ_STR(text, "bonjour ✓");
	CHECK_EQ_INT(ev.from_me, 1);
	CHECK_EQ_STR(wa_jid_format(&ev.chat, s, sizeof(s)),
	    "33600000002@s.whatsapp.net");
	free(text);
	text = NULL;
	free(pl);
	pl = NULL;
	wa_node_free(in);

	/* Bob's device 1 with a flipped ciphertext byte: an error, no crash. */
	in = delivered(msg, "33600000002:1@s.whatsapp.net",
	    "33600000001:3@s.whatsapp.net", NULL);
	REQUIRE(in->nchildren == 1 && in->children[0]->len > 40);
	in->children[0]->bytes[in->children[0]->len - 12] ^= 1;
	CHECK(wa_msg_open(bob1.s, in, &ev, &pl, &text) < 0);
	CHECK(text == NULL);
	/* ... which does not spoil the real one. */
	in->children[0]->bytes[in->children[0]->len - 12] ^= 1;
	REQUIRE(wa_msg_open(bob1.s, in, &ev, &pl, &text) == 0);
	CHECK_EQ_STR(text, "bonjour ✓");
	free(text);
	text = NULL;
	free(pl);
	pl = NULL;
	/* A msg (not pkmsg) from a device bob has no session with. */
	wa_node_set_attr(in->children[0], "type", "msg");
	{
		struct wa_jid other = jid("33600000009:1@s.whatsapp.net");

		wa_node_set_attr_jid(in, "from", &other);
	}
	CHECK(wa_msg_open(bob1.s, in, &ev, &pl, &text) < 0);
	CHECK(text == NULL);
	/* skmsg (groups) and a node with no enc are malformed for now. */
	wa_node_set_attr(in->children[0], "type", "skmsg");
	CHECK_EQ_INT(wa_msg_open(bob1.s, in, &ev, &pl, &text), WA_ERR_MSG_MALFORMED);
	wa_node_clear_content(in);
	CHECK_EQ_INT(wa_msg_open(bob1.s, in, &ev, &pl, &text), WA_ERR_MSG_MALFORMED);
	wa_node_free(in);
	wa_node_free(msg);
	msg = NULL;

	/* Nobody of the recipient reachable: WA_ERR_MSG_NO_DEVICES. */
	CHECK_EQ_INT(wa_msg_build_stanza(me.s, &dev, "3EB0DD", &to, "x",
	    devs, 1, &msg), WA_ERR_MSG_NO_DEVICES);
	CHECK(msg == NULL);
	/* An unpaired device cannot send. */
	dev.jid = NULL;
	CHECK_EQ_INT(wa_msg_build_stanza(me.s, &dev, "3EB0DD", &to, "x",
	    devs, 5, &msg), U_ERR_INVALID);
	party_fini(&me);
	party_fini(&bob1);
	party_fini(&bob2);
	party_fini(&mine2);
}

TEST_MAIN()
