/*
 * test_wa_msg_group.c: group messages and the generic payload API without
 * a connection (waweb/send_message.c, recv_message.c): phash, the w:g2
 * member list, receipts, the wire-level payload split and the
 * deviceSentMessage wrapper, and a group conversation through real Signal
 * sessions and sender keys: SKDM then skmsg, skmsg alone, a key rotation
 * that shuts out a removed member, an skmsg without its sender key, and a
 * sender key planted for another group.  Stanza options (mediatype,
 * decrypt-fail, poll meta), read receipts, and what wa_msg_send refuses
 * before anything goes out.  The phone-number and LID forms of a device
 * sharing one session (wa_signal_learn_lid, from stanzas and usync).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/e2e.pb-c.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/loop.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"

#define GID_R "120363000000000001@g.us"

static struct wa_jid
jid(const char *s)
{
	struct wa_jid j;

	memset(&j, 0, sizeof(j));
	if (wa_jid_parse(s, &j) != 0)
		abort();
	return j;
}

TEST(test_wa_msg_group_phash)
{
	/* "user.agent:device@server", sorted, SHA-256, 6 bytes, base64
	 * without padding (computed independently with Python's hashlib). */
	struct wa_jid d[4] = { jid("300:1@lid"), jid("100@lid"),
	    jid("200:2@lid"), jid("200@lid") };
	char ph[16];

	struct wa_jid r[4] = { d[3], d[2], d[1], d[0] };

	wa_msg_phash(d, 4, ph);
	CHECK_EQ_STR(ph, "2:uTC5hdGX");
	/* Order does not matter. */
	wa_msg_phash(r, 4, ph);
	CHECK_EQ_STR(ph, "2:uTC5hdGX");
	/* One device fewer: another hash. */
	wa_msg_phash(d, 3, ph);
	CHECK(strcmp(ph, "2:uTC5hdGX") != 0);
	CHECK_EQ_INT(strlen(ph), 10);
}

TEST(test_wa_msg_group_skips_hosted_devices)
{
	struct wa_jid d[4] = { jid("300:1@lid"), jid("300:99@hosted.lid"),
	    jid("200@lid"), jid("400:99@hosted") };
	char s[WA_JID_STR_MAX];

	REQUIRE(wa_msg_group_devices(d, 4) == 2);
	CHECK_EQ_STR(wa_jid_format(&d[0], s, sizeof(s)), "300:1@lid");
	CHECK_EQ_STR(wa_jid_format(&d[1], s, sizeof(s)), "200@lid");
}

TEST(test_wa_msg_group_members)
{
	struct wa_node *res = wa_node_new("iq"), *g = wa_node_new("group"), *p;
	struct wa_jid out[4], gid = jid("120363000000000001@g.us");
	const char *members[] = { "100@lid", "200@lid", "100@lid", "300@lid" };
	char s[WA_JID_STR_MAX];
	size_t i;

	wa_node_set_attr(res, "type", "result");
	for (i = 0; i < 4; i++) {
		struct wa_jid j = jid(members[i]);

		p = wa_node_new("participant");
		wa_node_set_attr_jid(p, "jid", &j);
		wa_node_add_child(g, p);
	}
	wa_node_add_child(res, g);
	CHECK_EQ_INT(wa_msg_group_is_lid(res), 0);
	wa_node_set_attr(g, "addressing_mode", "lid");
	CHECK_EQ_INT(wa_msg_group_is_lid(res), 1);
	/* A listed-twice member counts once. */
	REQUIRE(wa_msg_parse_group(res, out, 4) == 3);
	CHECK_EQ_STR(wa_jid_format(&out[2], s, sizeof(s)), "300@lid");
	CHECK_EQ_INT(wa_msg_parse_group(res, out, 2), WA_ERR_TOO_BIG);
	wa_node_set_attr(res, "type", "error");
	CHECK_EQ_INT(wa_msg_parse_group(res, out, 4), WA_ERR_IQ);
	wa_node_set_attr(res, "type", "result");
	wa_node_set_attr(g->children[0], "jid", "120363@g.us");
	CHECK_EQ_INT(wa_msg_parse_group(res, out, 4), WA_ERR_MSG_MALFORMED);
	wa_node_free(res);
	res = wa_msg_group_query_node(&gid);
	CHECK_EQ_STR(wa_node_attr(res, "xmlns"), "w:g2");
	CHECK_EQ_STR(wa_node_attr(res, "type"), "get");
	CHECK_EQ_STR(wa_node_attr(wa_node_child(res, "query"), "request"),
	    "interactive");
	wa_node_free(res);
}

TEST(test_wa_msg_group_receipt_parsed)
{
	struct wa_node *n = wa_node_new("receipt"), *l = wa_node_new("list");
	struct wa_node *it;
	struct wa_jid g = jid("120363000000000001@g.us"), p = jid("200:1@lid");
	struct wa_msg_receipt r;
	const char *ids[3];
	char s[WA_JID_STR_MAX];
	int i;

	wa_node_set_attr(n, "id", "A1");
	wa_node_set_attr_jid(n, "from", &g);
	wa_node_set_attr_jid(n, "participant", &p);
	wa_node_set_attr(n, "type", "read");
	wa_node_set_attr(n, "t", "1700000001");
	for (i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "B%d", i);
		it = wa_node_new("item");
		wa_node_set_attr(it, "id", id);
		wa_node_add_child(l, it);
	}
	wa_node_add_child(n, l);
	/* Bounded by the caller's array: id + 2 of the 3 items. */
	REQUIRE(wa_msg_parse_receipt(n, &r, ids, 3) == 0);
	CHECK_EQ_INT(r.n, 3);
	CHECK_EQ_STR(r.ids[0], "A1");
	CHECK_EQ_STR(r.ids[2], "B1");
	CHECK_EQ_STR(r.type, "read");
	CHECK_EQ_INT(r.is_group, 1);
	CHECK_EQ_INT(r.ts, 1700000001);
	CHECK_EQ_STR(wa_jid_format(&r.chat, s, sizeof(s)),
	    "120363000000000001@g.us");
	CHECK_EQ_STR(wa_jid_format(&r.sender, s, sizeof(s)), "200:1@lid");
	/* 1:1 from a device, delivery (no type). */
	wa_node_free(n);
	n = wa_node_new("receipt");
	wa_node_set_attr(n, "id", "C");
	wa_node_set_attr_jid(n, "from", &p);
	REQUIRE(wa_msg_parse_receipt(n, &r, ids, 3) == 0);
	CHECK(r.type == NULL);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_STR(wa_jid_format(&r.chat, s, sizeof(s)), "200@lid");
	/* No id: refused. */
	wa_node_set_attr(n, "id", NULL);
	CHECK_EQ_INT(wa_msg_parse_receipt(n, &r, ids, 3), U_ERR_INVALID);
	wa_node_free(n);
}

struct seen_receipts {
	int	n;
	char	senders[4][WA_JID_STR_MAX];
	char	ids[4][16];
	uint64_t ts[4];
};

static void
count_receipt(void *arg, const struct wa_msg_receipt *r)
{
	struct seen_receipts *s = arg;

	if (s->n < 4) {
		wa_jid_format(&r->sender, s->senders[s->n],
		    sizeof(s->senders[0]));
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", r->ids[0]);
		s->ts[s->n] = r->ts;
	}
	s->n++;
}

TEST(test_wa_msg_grouped_receipt_per_user)
{
	struct wa_node *n = wa_node_new("receipt"), *p, *u;
	struct wa_jid g = jid(GID_R), a = jid("200:1@lid"), b = jid("300@lid");
	struct seen_receipts sr;

	memset(&sr, 0, sizeof(sr));
	wa_node_set_attr(n, "id", "X");
	wa_node_set_attr_jid(n, "from", &g);
	wa_node_set_attr(n, "type", "read");
	p = wa_node_new("participants");
	wa_node_set_attr(p, "key", "3EB0K1");
	u = wa_node_new("user");
	wa_node_set_attr_jid(u, "jid", &a);
	wa_node_set_attr(u, "t", "1700000009");
	wa_node_add_child(p, u);
	u = wa_node_new("user");
	wa_node_set_attr_jid(u, "jid", &b);
	wa_node_add_child(p, u);
	u = wa_node_new("junk");
	wa_node_add_child(p, u);
	wa_node_add_child(n, p);
	CHECK_EQ_INT(wa_msg_receipt_each(n, count_receipt, &sr), 2);
	CHECK_EQ_INT(sr.n, 2);
	CHECK_EQ_STR(sr.senders[0], "200:1@lid");
	CHECK_EQ_STR(sr.ids[0], "3EB0K1");
	CHECK_EQ_INT(sr.ts[0], 1700000009);
	CHECK_EQ_STR(sr.senders[1], "300@lid");
	/* With a participant it is an ordinary receipt: once. */
	wa_node_set_attr_jid(n, "participant", &a);
	sr.n = 0;
	CHECK_EQ_INT(wa_msg_receipt_each(n, count_receipt, &sr), 1);
	CHECK_EQ_STR(sr.ids[0], "X");
	/* Grouped but empty: nothing reported. */
	wa_node_free(n);
	n = wa_node_new("receipt");
	wa_node_set_attr_jid(n, "from", &g);
	sr.n = 0;
	CHECK_EQ_INT(wa_msg_receipt_each(n, count_receipt, &sr),
	    U_ERR_INVALID);
	CHECK_EQ_INT(sr.n, 0);
	wa_node_free(n);
}

TEST(test_wa_msg_payload_split_and_dsm)
{
	Wa__E2EMessage m = WA__E2_EMESSAGE__INIT;
	Wa__E2EExtendedTextMessage et = WA__E2_EEXTENDED_TEXT_MESSAGE__INIT;
	Wa__E2EMessageContextInfo mci = WA__E2_EMESSAGE_CONTEXT_INFO__INIT;
	Wa__E2ESenderKeyDistributionMessage sk =
	    WA__E2_ESENDER_KEY_DISTRIBUTION_MESSAGE__INIT;
	uint8_t buf[256], *dsm, secret[4] = { 9, 8, 7, 6 }, ax[3] = { 1, 2, 3 };
	size_t n, dlen, il, dl, skl, gl;
	const uint8_t *in, *skp;
	const char *dest, *g;
	char *text, *d;
	int other;
	/* field 999 (varint 1): a kind e2e.proto does not know */
	static const uint8_t unknown[] = { 0xb8, 0x3e, 0x01 };

	et.text = (char *)"hi there";
	m.extended_text_message = &et;
	mci.has_message_secret = 1;
	mci.message_secret.data = secret;
	mci.message_secret.len = sizeof(secret);
	m.message_context_info = &mci;
	n = wa__e2_emessage__get_packed_size(&m);
	REQUIRE(n < sizeof(buf));
	wa__e2_emessage__pack(&m, buf);
	REQUIRE(wa_msg_dsm_payload(buf, n, "200@lid", &dsm, &dlen) == 0);
	/* The wrapped message comes back byte for byte, with its dest. */
	REQUIRE(wa_msg_payload_split(dsm, dlen, &in, &il, &dest, &dl, &skp,
	    &skl, &g, &gl, &other) == 0);
	CHECK_EQ_INT(il, n);
	CHECK(memcmp(in, buf, n) == 0);
	CHECK_EQ_INT(dl, 7);
	CHECK(memcmp(dest, "200@lid", 7) == 0);
	CHECK(skp == NULL);
	CHECK_EQ_INT(other, 1);
	/* protobuf-c agrees: text and destination, and the message secret
	 * was copied to the wrapper. */
	REQUIRE(wa_msg_payload_text(dsm, dlen, &text, &d) == 0);
	CHECK_EQ_STR(text, "hi there");
	CHECK_EQ_STR(d, "200@lid");
	free(text);
	free(d);
	{
		Wa__E2EMessage *u = wa__e2_emessage__unpack(NULL, dlen, dsm);

		REQUIRE(u != NULL);
		CHECK(u->message_context_info != NULL &&
		    u->message_context_info->message_secret.len == 4);
		wa__e2_emessage__free_unpacked(u, NULL);
	}
	free(dsm);
	/* An SKDM alone is not content. */
	memset(&m, 0, sizeof(m));
	wa__e2_emessage__init(&m);
	sk.group_id = (char *)"1203@g.us";
	sk.has_axolotl_sender_key_distribution_message = 1;
	sk.axolotl_sender_key_distribution_message.data = ax;
	sk.axolotl_sender_key_distribution_message.len = sizeof(ax);
	m.sender_key_distribution_message = &sk;
	m.message_context_info = &mci;
	n = wa__e2_emessage__pack(&m, buf);
	REQUIRE(wa_msg_payload_split(buf, n, &in, &il, &dest, &dl, &skp, &skl,
	    &g, &gl, &other) == 0);
	CHECK_EQ_INT(other, 0);
	CHECK(dest == NULL);
	CHECK_EQ_INT(skl, 3);
	CHECK(memcmp(skp, ax, 3) == 0);
	CHECK_EQ_INT(gl, 9);
	/* ... but with anything else it is (a group retry re-send). */
	memcpy(buf + n, unknown, sizeof(unknown));
	REQUIRE(wa_msg_payload_split(buf, n + sizeof(unknown), &in, &il, NULL,
	    NULL, NULL, NULL, NULL, NULL, &other) == 0);
	CHECK_EQ_INT(other, 1);
	/* Truncations and a bad wire type are malformed, never a crash. */
	CHECK_EQ_INT(wa_msg_payload_split(buf, n - 1, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL), WA_ERR_MSG_MALFORMED);
	buf[0] = 0x0b;	/* field 1, start group */
	CHECK_EQ_INT(wa_msg_payload_split(buf, n, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL), WA_ERR_MSG_MALFORMED);
	CHECK_EQ_INT(wa_msg_dsm_payload(unknown, 1, "x@lid", &dsm, &dlen),
	    WA_ERR_MSG_MALFORMED);
}

/* --- A group through real sessions and sender keys ---------------------- */

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

#define GID "120363000000000042@g.us"
#define ME "100:3@lid"

/* As wasim delivers a group message to dev: from=GID participant=ME,
 * dev's SKDM enc (if any), then the skmsg. */
static struct wa_node *
delivered(const struct wa_node *msg, const char *dev)
{
	const struct wa_node *parts = wa_node_child(msg, "participants");
	struct wa_node *n = wa_node_new("message");
	struct wa_jid g = jid(GID), p = jid(ME), pn = jid("33600000001@s.whatsapp.net");
	struct wa_jid want = jid(dev), tj;
	size_t i;

	wa_node_set_attr_jid(n, "from", &g);
	wa_node_set_attr_jid(n, "participant", &p);
	wa_node_set_attr_jid(n, "participant_pn", &pn);
	wa_node_set_attr(n, "addressing_mode", "lid");
	wa_node_set_attr(n, "id", wa_node_attr(msg, "id"));
	wa_node_set_attr(n, "type", wa_node_attr(msg, "type"));
	if (wa_node_attr(msg, "edit") != NULL)
		wa_node_set_attr(n, "edit", wa_node_attr(msg, "edit"));
	wa_node_set_attr(n, "t", "1700000000");
	for (i = 0; parts != NULL && i < parts->nchildren; i++)
		if (wa_node_attr_jid(parts->children[i], "jid", &tj) == 0 &&
		    wa_jid_equal(&tj, &want))
			wa_node_add_child(n,
			    wa_node_dup(parts->children[i]->children[0]));
	for (i = 0; i < msg->nchildren; i++)
		if (strcmp(msg->children[i]->tag, "enc") == 0)
			wa_node_add_child(n, wa_node_dup(msg->children[i]));
	return n;
}

static struct wa_node *
build(struct party *me, const struct wa_device *dev, const char *id,
    const char *text, const struct wa_jid *skdm, size_t nskdm,
    const struct wa_msg_send_opts *o, size_t *got)
{
	struct wa_jid g = jid(GID);
	struct wa_node *msg = NULL;
	uint8_t *p;
	size_t n;

	if (wa_msg_text_payload(text, NULL, &p, &n) != 0)
		abort();
	if (wa_msg_build_group(me->s, dev, id, &g, "100_1:3", p, n, o, skdm,
	    nskdm, "2:abcdefgh", got, &msg) != 0)
		msg = NULL;
	free(p);
	return msg;
}

/* Open msg as dev in party p: 0 and the text, or the error.  ev borrows
 * from the delivered stanza, kept until the next call (or NULL msg). */
static int
open_as(struct party *p, const struct wa_node *msg, const char *dev,
    char **text, struct wa_msg_event *ev)
{
	static struct wa_node *in;
	uint8_t *pl = NULL;
	int r;

	wa_node_free(in);
	in = NULL;
	if (msg == NULL)
		return 0;
	in = delivered(msg, dev);
	*text = NULL;
	r = wa_msg_open(p->s, in, ev, &pl, text);
	free(pl);
	return r;
}

TEST(test_wa_msg_group_conversation)
{
	struct party me, bob, carol;
	struct wa_device dev;
	struct wa_jid both[2] = { jid("200:1@lid"), jid("300:1@lid") };
	struct wa_jid self_dev = jid(ME);
	uint8_t adv[4] = { 1, 2, 3, 4 };
	struct wa_node *m1, *m2, *m3;
	struct wa_msg_event ev;
	struct wa_msg_send_opts eo = { .type = "text", .edit = "1",
	    .decrypt_fail_hide = 1 };
	const struct wa_node *parts, *last;
	char *text, s[WA_JID_STR_MAX];
	size_t got;

	party_init(&me);
	party_init(&bob);
	party_init(&carol);
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.lid = (char *)ME;
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	REQUIRE(connect_to(&me, &bob, "200_1:1") == 0);
	REQUIRE(connect_to(&me, &carol, "300_1:1") == 0);

	/* First message: SKDM to both (and never to ourselves), skmsg. */
	{
		struct wa_jid three[3] = { both[0], both[1], self_dev };

		m1 = build(&me, &dev, "3EB0G1", "hello group ✓", three, 3,
		    NULL, &got);
	}
	REQUIRE(m1 != NULL);
	CHECK_EQ_INT(got, 2);
	CHECK_EQ_STR(wa_node_attr(m1, "phash"), "2:abcdefgh");
	CHECK_EQ_STR(wa_node_attr(m1, "addressing_mode"), "lid");
	REQUIRE((parts = wa_node_child(m1, "participants")) != NULL);
	CHECK_EQ_INT(parts->nchildren, 2);
	CHECK_EQ_STR(wa_node_attr(parts->children[0]->children[0], "type"),
	    "pkmsg");
	CHECK(wa_node_child(m1, "device-identity") != NULL);
	last = m1->children[m1->nchildren - 1];
	CHECK_EQ_STR(last->tag, "enc");
	CHECK_EQ_STR(wa_node_attr(last, "type"), "skmsg");
	REQUIRE(open_as(&bob, m1, "200:1@lid", &text, &ev) == 0);
	CHECK_EQ_STR(text, "hello group ✓");
	CHECK_EQ_INT(ev.is_group, 1);
	CHECK_EQ_STR(wa_jid_format(&ev.chat, s, sizeof(s)), GID);
	CHECK_EQ_STR(wa_jid_format(&ev.sender, s, sizeof(s)), ME);
	CHECK_EQ_INT(ev.has_sender_pn, 1);
	CHECK_EQ_STR(wa_jid_format(&ev.sender_pn, s, sizeof(s)),
	    "33600000001@s.whatsapp.net");
	free(text);
	REQUIRE(open_as(&carol, m1, "300:1@lid", &text, &ev) == 0);
	CHECK_EQ_STR(text, "hello group ✓");
	free(text);

	/* The key alone (its skmsg stripped): stored, no message. */
	{
		struct wa_node *in;
		struct party carol2;
		uint8_t *pl2 = NULL;
		char *t2 = NULL;

		party_init(&carol2);
		REQUIRE(connect_to(&me, &carol2, "300_1:1") == 0);
		/* A fresh message to carol2 (new session): SKDM pkmsg... */
		{
			struct wa_jid c2 = jid("300:1@lid");
			struct wa_node *mk = build(&me, &dev, "3EB0GK", "keyed",
			    &c2, 1, NULL, &got);

			REQUIRE(mk != NULL);
			in = delivered(mk, "300:1@lid");
			/* ... without the skmsg. */
			REQUIRE(in->nchildren == 2);
			wa_node_free(in->children[1]);
			in->nchildren = 1;
			CHECK_EQ_INT(wa_msg_open(carol2.s, in, &ev, &pl2, &t2),
			    WA_MSG_OPEN_KEYS_ONLY);
			CHECK(pl2 == NULL && t2 == NULL);
			wa_node_free(in);
			/* The key was stored: the full stanza's skmsg now
			 * decrypts with it alone. */
			in = delivered(mk, "300:1@lid");
			wa_node_free(in->children[0]);
			in->children[0] = in->children[1];
			in->nchildren = 1;
			REQUIRE(wa_msg_open(carol2.s, in, &ev, &pl2, &t2) == 0);
			CHECK_EQ_STR(t2, "keyed");
			free(t2);
			free(pl2);
			wa_node_free(in);
			wa_node_free(mk);
		}
		party_fini(&carol2);
	}

	/* Second: nobody needs the key again, skmsg only; an edit keeps its
	 * attributes. */
	m2 = build(&me, &dev, "3EB0G2", "second", NULL, 0, &eo, &got);
	REQUIRE(m2 != NULL);
	CHECK_EQ_INT(got, 0);
	CHECK(wa_node_child(m2, "device-identity") == NULL);
	CHECK_EQ_STR(wa_node_attr(m2, "edit"), "1");
	REQUIRE(open_as(&bob, m2, "200:1@lid", &text, &ev) == 0);
	CHECK_EQ_STR(text, "second");
	CHECK_EQ_STR(ev.edit, "1");
	CHECK_EQ_STR(ev.type, "text");
	CHECK_EQ_INT(ev.payload_len > 0, 1);
	free(text);
	/* Replayed: the chain key is used up. */
	CHECK(open_as(&bob, m2, "200:1@lid", &text, &ev) < 0);
	CHECK(text == NULL);

	/* Carol is removed: rotate, the new key goes to bob only. */
	REQUIRE(wa_signal_group_rotate(me.s, GID, "100_1:3") == 0);
	m3 = build(&me, &dev, "3EB0G3", "after carol left", both, 1, NULL,
	    &got);
	REQUIRE(m3 != NULL);
	CHECK_EQ_INT(got, 1);
	REQUIRE(open_as(&bob, m3, "200:1@lid", &text, &ev) == 0);
	CHECK_EQ_STR(text, "after carol left");
	free(text);
	/* Carol has the old key only: she cannot read it. */
	CHECK(open_as(&carol, m3, "300:1@lid", &text, &ev) < 0);
	CHECK(text == NULL);
	/* Nor can a device that never got any key: the retry path. */
	{
		struct party dave;

		party_init(&dave);
		CHECK_EQ_INT(open_as(&dave, m2, "400:1@lid", &text, &ev),
		    WA_ERR_SIG_NO_SENDER_KEY);
		party_fini(&dave);
	}
	open_as(NULL, NULL, NULL, NULL, NULL);
	wa_node_free(m1);
	wa_node_free(m2);
	wa_node_free(m3);
	party_fini(&me);
	party_fini(&bob);
	party_fini(&carol);
}

TEST(test_wa_msg_group_skdm_for_other_group_ignored)
{
	struct party me, bob;
	struct wa_device dev;
	struct wa_jid b = jid("200:1@lid"), other = jid("120363999@g.us");
	uint8_t adv[4] = { 1 }, *p;
	size_t n;
	struct wa_node *m, *in;
	struct wa_msg_event ev;
	uint8_t *pl = NULL;
	char *text = NULL;

	party_init(&me);
	party_init(&bob);
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.lid = (char *)ME;
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	REQUIRE(connect_to(&me, &bob, "200_1:1") == 0);
	/* A message for group `other`, delivered as if it were in GID:
	 * its SKDM names `other`, so bob keeps no key for GID. */
	REQUIRE(wa_msg_text_payload("x", NULL, &p, &n) == 0);
	REQUIRE(wa_msg_build_group(me.s, &dev, "3EB0X", &other, "100_1:3", p,
	    n, NULL, &b, 1, NULL, NULL, &m) == 0);
	free(p);
	in = delivered(m, "200:1@lid");
	CHECK_EQ_INT(wa_msg_open(bob.s, in, &ev, &pl, &text),
	    WA_ERR_SIG_NO_SENDER_KEY);
	CHECK(text == NULL);
	wa_node_free(in);
	wa_node_free(m);
	party_fini(&me);
	party_fini(&bob);
}

TEST(test_wa_msg_group_retry_receipt_names_participant)
{
	struct wa_node *m = wa_node_new("message"), *r;
	struct wa_jid g = jid(GID), p = jid("200:1@lid");

	wa_node_set_attr(m, "id", "3EB0RR");
	wa_node_set_attr_jid(m, "from", &g);
	wa_node_set_attr_jid(m, "participant", &p);
	wa_node_set_attr(m, "t", "1700000000");
	r = wa_msg_retry_receipt_node(m, 1);
	CHECK_EQ_STR(wa_node_attr(r, "type"), "retry");
	CHECK(wa_node_attr_get(r, "participant") != NULL);
	CHECK(wa_node_attr_get(r, "to") != NULL &&
	    wa_jid_equal(&wa_node_attr_get(r, "to")->jid, &g));
	wa_node_free(r);
	r = wa_msg_receipt_node(m, 0);
	CHECK(wa_node_attr_get(r, "participant") != NULL);
	CHECK(wa_node_attr(r, "type") == NULL);
	wa_node_free(r);
	wa_node_free(m);
}

/* As delivered() but with participant given (PN or LID device). */
static struct wa_node *
delivered_as(const struct wa_node *msg, const char *dev, const char *part)
{
	struct wa_node *n = delivered(msg, dev);
	struct wa_jid p = jid(part);

	wa_node_set_attr_jid(n, "participant", &p);
	return n;
}

TEST(test_wa_msg_group_skdm_msg_from_lid_uses_pn_session)
{
	struct party me, bob;
	struct wa_device dev;
	struct wa_jid b = jid("200:1@lid"), g = jid(GID);
	uint8_t adv[4] = { 1 }, *p, *pl = NULL, *ct, *pt;
	size_t n, ctlen, ptlen;
	struct wa_node *m, *in;
	struct wa_msg_event ev;
	char *text = NULL;
	int type;

	party_init(&me);
	party_init(&bob);
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.lid = (char *)ME;
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	REQUIRE(connect_to(&me, &bob, "200_1:1") == 0);
	REQUIRE(wa_msg_text_payload("one", NULL, &p, &n) == 0);
	/* First seen from our phone-number device: bob's session with us is
	 * under "33600000001:3". */
	REQUIRE(wa_msg_build_group(me.s, &dev, "3EB0P1", &g, "100_1:3", p, n,
	    NULL, &b, 1, NULL, NULL, &m) == 0);
	in = delivered_as(m, "200:1@lid", "33600000001:3@s.whatsapp.net");
	REQUIRE(wa_msg_open(bob.s, in, &ev, &pl, &text) == 0);
	CHECK_EQ_STR(text, "one");
	free(text);
	free(pl);
	wa_node_free(in);
	wa_node_free(m);
	/* Bob answers (1:1), so our next encryption to him is a msg. */
	REQUIRE(wa_signal_encrypt(bob.s, "33600000001:3", p, n, &type, &ct,
	    &ctlen) == 0);
	REQUIRE(wa_signal_decrypt(me.s, "200_1:1", type, 2, ct, ctlen, &pt,
	    &ptlen) == 0);
	free(ct);
	free(pt);
	free(p);
	/* A new key, its SKDM as a msg, now from our LID device: bob has no
	 * session under the LID address and falls back to participant_pn's. */
	REQUIRE(wa_signal_group_rotate(me.s, GID, "100_1:3") == 0);
	REQUIRE(wa_msg_text_payload("two", NULL, &p, &n) == 0);
	REQUIRE(wa_msg_build_group(me.s, &dev, "3EB0P2", &g, "100_1:3", p, n,
	    NULL, &b, 1, NULL, NULL, &m) == 0);
	free(p);
	CHECK_EQ_STR(wa_node_attr(wa_node_child(m, "participants")->
	    children[0]->children[0], "type"), "msg");
	in = delivered(m, "200:1@lid");
	REQUIRE(wa_msg_open(bob.s, in, &ev, &pl, &text) == 0);
	CHECK_EQ_STR(text, "two");
	free(text);
	free(pl);
	wa_node_free(in);
	wa_node_free(m);
	party_fini(&me);
	party_fini(&bob);
}

/* Whether the store itself (no aliases) holds a session under addr. */
static int
stored(struct party *p, const char *addr)
{
	struct wa_signal *raw = wa_signal_new(&wa_signal_store_mem_ops, p->m);
	int r = wa_signal_has_session(raw, addr);

	wa_signal_free(raw);
	return r;
}

/* Once a stanza named both forms of the sender, the session bob starts
 * with its phone-number address is the one of its LID address (the
 * sender, like Baileys, has one per device): the SKDM that follows, a msg
 * of that session, opens, and bob's answer to the LID reads too. */
TEST(test_wa_msg_group_pn_and_lid_share_one_session)
{
	struct party me, bob;
	struct wa_device dev;
	struct wa_jid b = jid("200:1@lid");
	uint8_t adv[4] = { 1 }, *p, *ct, *pt;
	size_t n, ctlen, ptlen;
	struct wa_node *m;
	struct wa_msg_event ev;
	char *text = NULL;
	int type;

	party_init(&me);
	party_init(&bob);
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.lid = (char *)ME;
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	/* Bob starts over below while ours is unanswered, as in a
	 * crossing: without the crossing window we follow his session. */
	wa_signal_set_crossing_ms(me.s, 0);
	REQUIRE(connect_to(&me, &bob, "200_1:1") == 0);
	m = build(&me, &dev, "3EB0S1", "one", &b, 1, NULL, NULL);
	REQUIRE(m != NULL);
	CHECK_EQ_INT(open_as(&bob, m, "200:1@lid", &text, &ev), 0);
	CHECK_EQ_STR(text, "one");
	free(text);
	wa_node_free(m);
	/* Bob starts over with our phone-number address: kept under our
	 * LID address, nothing under the PN one. */
	REQUIRE(connect_to(&bob, &me, "33600000001:3") == 0);
	CHECK_EQ_INT(stored(&bob, "100_1:3"), 1);
	CHECK_EQ_INT(stored(&bob, "33600000001:3"), 0);
	CHECK_EQ_INT(wa_signal_has_session(bob.s, "33600000001:3"), 1);
	REQUIRE(wa_msg_text_payload("hi", NULL, &p, &n) == 0);
	REQUIRE(wa_signal_encrypt(bob.s, "33600000001:3", p, n, &type, &ct,
	    &ctlen) == 0);
	free(p);
	CHECK_EQ_INT(type, WA_SIGNAL_PKMSG);
	REQUIRE(wa_signal_decrypt(me.s, "200_1:1", type, 2, ct, ctlen, &pt,
	    &ptlen) == 0);
	free(ct);
	free(pt);
	/* A new key; its SKDM goes out as a msg of that session. */
	REQUIRE(wa_signal_group_rotate(me.s, GID, "100_1:3") == 0);
	m = build(&me, &dev, "3EB0S2", "two", &b, 1, NULL, NULL);
	REQUIRE(m != NULL);
	CHECK_EQ_STR(wa_node_attr(wa_node_child(m, "participants")->
	    children[0]->children[0], "type"), "msg");
	CHECK_EQ_INT(open_as(&bob, m, "200:1@lid", &text, &ev), 0);
	CHECK_EQ_STR(text, "two");
	free(text);
	wa_node_free(m);
	/* Bob's answer to our LID is a msg of it, and reads. */
	REQUIRE(wa_msg_text_payload("back", NULL, &p, &n) == 0);
	REQUIRE(wa_signal_encrypt(bob.s, "100_1:3", p, n, &type, &ct,
	    &ctlen) == 0);
	free(p);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	CHECK_EQ_INT(wa_signal_decrypt(me.s, "200_1:1", type, 2, ct, ctlen,
	    &pt, &ptlen), 0);
	free(ct);
	free(pt);
	open_as(&bob, NULL, NULL, NULL, NULL);
	party_fini(&me);
	party_fini(&bob);
}

/* Sessions made before the two forms were known to be one device: A under
 * the LID (the sender's pkmsg), B under the PN (bob's), the sender now on
 * B.  Under the LID alone its msg does not read; learning the pair merges
 * them into the LID record (B current, A kept as an old state), the PN
 * one is gone, and both B's msg and a late message of A read. */
TEST(test_wa_signal_learn_lid_merges_sessions)
{
	struct party me, bob;
	uint8_t *p, *ct, *ct_old, *pt;
	size_t n, ctlen, oldlen, ptlen;
	int type, otype;

	party_init(&me);
	party_init(&bob);
	/* B arrives while A is unanswered, as in a crossing: without the
	 * crossing window we follow B (what this test is about). */
	wa_signal_set_crossing_ms(me.s, 0);
	REQUIRE(connect_to(&me, &bob, "200_1:1") == 0);
	REQUIRE(wa_msg_text_payload("one", NULL, &p, &n) == 0);
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, n, &type, &ct,
	    &ctlen) == 0);
	REQUIRE(wa_signal_decrypt(bob.s, "100_1:3", type, 2, ct, ctlen, &pt,
	    &ptlen) == 0);
	free(ct);
	free(pt);
	/* A message of A, held back (delivered late). */
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, n, &otype, &ct_old,
	    &oldlen) == 0);
	/* B: bob to our PN; we answer on it. */
	REQUIRE(connect_to(&bob, &me, "33600000001:3") == 0);
	REQUIRE(wa_signal_encrypt(bob.s, "33600000001:3", p, n, &type, &ct,
	    &ctlen) == 0);
	REQUIRE(wa_signal_decrypt(me.s, "200_1:1", type, 2, ct, ctlen, &pt,
	    &ptlen) == 0);
	free(ct);
	free(pt);
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, n, &type, &ct,
	    &ctlen) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	CHECK_EQ_INT(wa_signal_decrypt(bob.s, "100_1:3", type, 2, ct, ctlen,
	    &pt, &ptlen), WA_ERR_SIG_INVALID_MESSAGE);
	CHECK_EQ_INT(wa_signal_learn_lid(bob.s, "3360000000x", "100"),
	    WA_ERR_INVALID);
	CHECK_EQ_INT(wa_signal_learn_lid(bob.s, "33600000001", "100_1"),
	    WA_ERR_INVALID);
	REQUIRE(wa_signal_learn_lid(bob.s, "33600000001", "100") == 0);
	CHECK_EQ_INT(stored(&bob, "33600000001:3"), 0);
	CHECK_EQ_INT(stored(&bob, "100_1:3"), 1);
	CHECK_EQ_INT(wa_signal_decrypt(bob.s, "100_1:3", type, 2, ct, ctlen,
	    &pt, &ptlen), 0);
	free(ct);
	free(pt);
	CHECK_EQ_INT(wa_signal_decrypt(bob.s, "33600000001:3", otype, 2,
	    ct_old, oldlen, &pt, &ptlen), 0);
	free(ct_old);
	free(pt);
	/* Learning the same pair again moves nothing and fails nothing. */
	CHECK_EQ_INT(wa_signal_learn_lid(bob.s, "33600000001", "100"), 0);
	free(p);
	party_fini(&me);
	party_fini(&bob);
}

/* A usync answer's <lid val> for a phone-number user: our session with its
 * device moves to the LID address, and the PN address finds it there; a
 * user without <lid>, a LID user and a malformed one are left alone. */
TEST(test_wa_msg_usync_learn_lids)
{
	struct party me, bob;
	struct wa_node *iq = wa_node_new("iq"), *us = wa_node_new("usync"),
	    *list = wa_node_new("list"), *u, *l;
	struct wa_jid j;

	party_init(&me);
	party_init(&bob);
	REQUIRE(connect_to(&me, &bob, "33600000002:0") == 0);
	wa_node_set_attr(iq, "type", "result");
	u = wa_node_new("user");
	j = jid("33600000002@s.whatsapp.net");
	wa_node_set_attr_jid(u, "jid", &j);
	l = wa_node_new("lid");
	j = jid("200@lid");
	wa_node_set_attr_jid(l, "val", &j);
	wa_node_add_child(u, l);
	wa_node_add_child(list, u);
	u = wa_node_new("user");	/* no <lid> */
	j = jid("33600000003@s.whatsapp.net");
	wa_node_set_attr_jid(u, "jid", &j);
	wa_node_add_child(list, u);
	u = wa_node_new("user");	/* a LID user naming a LID */
	j = jid("300@lid");
	wa_node_set_attr_jid(u, "jid", &j);
	l = wa_node_new("lid");
	j = jid("301@lid");
	wa_node_set_attr_jid(l, "val", &j);
	wa_node_add_child(u, l);
	wa_node_add_child(list, u);
	u = wa_node_new("user");	/* <lid> without val */
	j = jid("33600000004@s.whatsapp.net");
	wa_node_set_attr_jid(u, "jid", &j);
	wa_node_add_child(u, wa_node_new("lid"));
	wa_node_add_child(list, u);
	wa_node_add_child(us, list);
	wa_node_add_child(iq, us);
	CHECK_EQ_INT(stored(&me, "33600000002:0"), 1);
	CHECK_EQ_INT(wa_msg_usync_learn_lids(me.s, iq), 1);
	CHECK_EQ_INT(stored(&me, "33600000002:0"), 0);
	CHECK_EQ_INT(stored(&me, "200_1:0"), 1);
	CHECK_EQ_INT(wa_signal_has_session(me.s, "33600000002:0"), 1);
	CHECK_EQ_INT(wa_signal_has_session(me.s, "33600000003:0"), 0);
	wa_node_free(iq);
	party_fini(&me);
	party_fini(&bob);
}

/* A 1:1 msg from a phone-number device whose stanza names its LID
 * (sender_lid): our session with it is under the LID address (its first
 * message came from there); without the pair it would find none. */
TEST(test_wa_msg_sender_lid_finds_lid_session)
{
	struct party me, bob;
	struct wa_node *n, *enc;
	struct wa_jid from = jid("33600000001:3@s.whatsapp.net"),
	    lid = jid("100:3@lid");
	struct wa_msg_event ev;
	uint8_t *p, *ct, *pt, *pl = NULL;
	size_t len, ctlen, ptlen;
	char *text = NULL;
	int type;

	party_init(&me);
	party_init(&bob);
	REQUIRE(connect_to(&me, &bob, "200_1:1") == 0);
	REQUIRE(wa_msg_text_payload("first", NULL, &p, &len) == 0);
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, len, &type, &ct,
	    &ctlen) == 0);
	free(p);
	REQUIRE(wa_signal_decrypt(bob.s, "100_1:3", type, 2, ct, ctlen, &pt,
	    &ptlen) == 0);
	free(ct);
	free(pt);
	REQUIRE(wa_msg_text_payload("reply", NULL, &p, &len) == 0);
	REQUIRE(wa_signal_encrypt(bob.s, "100_1:3", p, len, &type, &ct,
	    &ctlen) == 0);
	free(p);
	REQUIRE(wa_signal_decrypt(me.s, "200_1:1", type, 2, ct, ctlen, &pt,
	    &ptlen) == 0);
	free(ct);
	free(pt);
	REQUIRE(wa_msg_text_payload("from my PN", NULL, &p, &len) == 0);
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, len, &type, &ct,
	    &ctlen) == 0);
	free(p);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	n = wa_node_new("message");
	wa_node_set_attr_jid(n, "from", &from);
	wa_node_set_attr_jid(n, "sender_lid", &lid);
	wa_node_set_attr(n, "id", "3EB0SL");
	wa_node_set_attr(n, "type", "text");
	wa_node_set_attr(n, "t", "1700000000");
	enc = wa_node_new("enc");
	wa_node_set_attr(enc, "v", "2");
	wa_node_set_attr(enc, "type", "msg");
	wa_node_set_bytes(enc, ct, ctlen);
	wa_node_add_child(n, enc);
	free(ct);
	CHECK_EQ_INT(stored(&bob, "33600000001:3"), 0);
	CHECK_EQ_INT(wa_msg_open(bob.s, n, &ev, &pl, &text), 0);
	CHECK_EQ_STR(text, "from my PN");
	free(text);
	free(pl);
	wa_node_free(n);
	party_fini(&me);
	party_fini(&bob);
}

TEST(test_wa_msg_send_opts_in_stanzas)
{
	struct party me, bob;
	struct wa_device dev;
	struct wa_jid to = jid("200@lid"), devs[1] = { jid("200:1@lid") };
	struct wa_jid g = jid(GID);
	uint8_t adv[4] = { 1 }, *p;
	size_t n;
	struct wa_node *m;
	const struct wa_node *enc;
	struct wa_msg_send_opts o = { .type = "media", .mediatype = "image",
	    .edit = "1", .decrypt_fail_hide = 1, .polltype = "vote" };

	party_init(&me);
	party_init(&bob);
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.lid = (char *)ME;
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	REQUIRE(connect_to(&me, &bob, "200_1:1") == 0);
	REQUIRE(wa_msg_text_payload("x", NULL, &p, &n) == 0);
	REQUIRE(wa_msg_build(me.s, &dev, "3EB0O1", &to, p, n, &o, devs, 1,
	    &m) == 0);
	CHECK_EQ_STR(wa_node_attr(m, "type"), "media");
	CHECK_EQ_STR(wa_node_attr(m, "edit"), "1");
	enc = wa_node_child(m, "participants")->children[0]->children[0];
	CHECK_EQ_STR(wa_node_attr(enc, "mediatype"), "image");
	CHECK_EQ_STR(wa_node_attr(enc, "decrypt-fail"), "hide");
	CHECK_EQ_STR(wa_node_attr(wa_node_child(m, "meta"), "polltype"),
	    "vote");
	wa_node_free(m);
	/* Groups: mediatype on the skmsg only. */
	REQUIRE(wa_msg_build_group(me.s, &dev, "3EB0O2", &g, "100_1:3", p, n,
	    &o, devs, 1, NULL, NULL, &m) == 0);
	enc = wa_node_child(m, "participants")->children[0]->children[0];
	CHECK(wa_node_attr(enc, "mediatype") == NULL);
	enc = m->children[m->nchildren - 1];
	CHECK_EQ_STR(wa_node_attr(enc, "type"), "skmsg");
	CHECK_EQ_STR(wa_node_attr(enc, "mediatype"), "image");
	CHECK(wa_node_attr(enc, "decrypt-fail") == NULL);
	CHECK(wa_node_attr_get(m, "phash") == NULL);
	wa_node_free(m);
	/* A phone-number-addressed group: sent as our PN device, no
	 * addressing_mode. */
	REQUIRE(wa_msg_build_group(me.s, &dev, "3EB0O3", &g, "33600000001:3",
	    p, n, NULL, devs, 1, NULL, NULL, &m) == 0);
	CHECK(wa_node_attr(m, "addressing_mode") == NULL);
	wa_node_free(m);
	free(p);
	party_fini(&me);
	party_fini(&bob);
}

TEST(test_wa_msg_read_receipt)
{
	struct wa_jid g = jid(GID), author = jid("200:4@lid"), u = jid("200@lid");
	const char *ids[3] = { "A", "B", "C" };
	struct wa_node *r;
	const struct wa_attr *a;

	r = wa_msg_read_receipt_node(&g, &author, ids, 3, 1700000005);
	CHECK_EQ_STR(wa_node_attr(r, "type"), "read");
	CHECK_EQ_STR(wa_node_attr(r, "id"), "A");
	REQUIRE((a = wa_node_attr_get(r, "participant")) != NULL);
	CHECK(wa_jid_equal(&a->jid, &u));	/* the account, not the device */
	REQUIRE(wa_node_child(r, "list") != NULL);
	CHECK_EQ_INT(wa_node_child(r, "list")->nchildren, 2);
	CHECK_EQ_STR(wa_node_attr(wa_node_child(r, "list")->children[1], "id"),
	    "C");
	wa_node_free(r);
	/* 1:1: no participant, one id: no list. */
	r = wa_msg_read_receipt_node(&u, &author, ids, 1, 1700000005);
	CHECK(wa_node_attr_get(r, "participant") == NULL);
	CHECK(wa_node_child(r, "list") == NULL);
	wa_node_free(r);
}

TEST(test_wa_msg_send_refuses_before_sending)
{
	struct u_loop *loop = u_loop_new();
	struct wa_store_mem *sm = wa_store_mem_new();
	struct wa_client_opts co;
	struct wa_client_cbs cc;
	struct wa_client *c;
	struct party me;
	struct wa_msg_sender *s;
	char id[WA_MSG_ID_MAX];
	uint8_t *p;
	size_t n;
	static const uint8_t junk[] = { 0x0a, 0x05, 'a' };
	struct wa_msg_send_opts bad = { .type = "te\"xt" };
	struct wa_msg_send_opts longer = { .mediatype =
	    "a-media-type-name-much-longer-than-32-bytes" };
	const char *ids[1] = { "A" };

	memset(&co, 0, sizeof(co));
	memset(&cc, 0, sizeof(cc));
	c = wa_client_new(loop, &co, &wa_store_mem_ops, sm, &cc, NULL);
	party_init(&me);
	s = wa_msg_sender_new(loop, c, me.s);
	REQUIRE(wa_msg_text_payload("x", NULL, &p, &n) == 0);
	CHECK_EQ_INT(wa_msg_send(s, "not a jid@", p, n, NULL, id, NULL, NULL),
	    WA_ERR_BAD_JID);
	CHECK_EQ_INT(wa_msg_send(s, "status@broadcast", p, n, NULL, id, NULL,
	    NULL), U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send(s, GID, junk, sizeof(junk), NULL, id, NULL,
	    NULL), U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send(s, GID, p, 0, NULL, id, NULL, NULL),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send(s, GID, p, WA_MSG_PAYLOAD_MAX + 1, NULL, id,
	    NULL, NULL), U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send(s, GID, p, n, &bad, id, NULL, NULL),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send(s, GID, p, n, &longer, id, NULL, NULL),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send_text(s, GID, "", id, NULL, NULL),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send_text(s, GID, "\xff", id, NULL, NULL),
	    U_ERR_INVALID);
	/* Well-formed: only the connection is missing. */
	CHECK_EQ_INT(wa_msg_send(s, GID, p, n, NULL, id, NULL, NULL),
	    WA_ERR_NOT_CONNECTED);
	CHECK_EQ_INT(wa_msg_send_read(s, GID, "200@lid", ids, 0),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_msg_send_read(s, GID, "200@lid", ids, 1),
	    WA_ERR_NOT_CONNECTED);
	free(p);
	wa_msg_sender_free(s);
	party_fini(&me);
	wa_client_free(c);
	wa_client_shutdown(loop);
	u_loop_free(loop);
	wa_store_mem_free(sm);
}

TEST_MAIN()
