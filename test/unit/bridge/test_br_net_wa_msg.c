/*
 * test_br_net_wa_msg.c: the WhatsApp side's message conversion
 * (bridge/net_wa_msg.c): pending rows (payload + metadata JSON) to the
 * core's br_net_message, and the core's content to wa_content for
 * sending.  Payloads are made with waweb/content.c's encoder.
 *
 * Cases: text with mentions and a reply; reactions, edits and revokes
 * resolve the acted-on message's author as upstream's KeyToMessageID
 * (from_me, participant, DM other side); media waits for its download
 * and reports a failed one; protocol messages are ignored; garbage and
 * undecryptable rows become UNSUPPORTED / UNDECRYPTABLE, never errors;
 * metadata JSON round trip; sending: text, reactions with from_me keys,
 * group participants, unsupported kinds refused.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/net_wa_msg.h"
#include "bridge/net_wa_pending.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/content.h"
#include "waweb/recv_message.h"

#define OWN "33600000001@s.whatsapp.net"
#define BOB "33600000002@s.whatsapp.net"
#define CAROL "33600000003@s.whatsapp.net"
#define GROUP "120363000000000001@g.us"

/* Encode c into row (payload owned by the caller). */
static void
row_of(struct br_wa_pending *row, struct wa_content *c, const char *chat,
    const char *sender, const char *meta)
{
	memset(row, 0, sizeof(*row));
	row->seq = 7;
	row->chat = (char *)chat;
	row->sender = (char *)sender;
	row->msg_id = "3EB0X";
	row->meta = (char *)meta;
	row->ts_ms = 1700000000000LL;
	if (c != NULL && wa_content_encode(c, &row->payload, &row->len) != 0)
		abort();
}

TEST(test_nw_msg_text_mentions_reply)
{
	struct wa_content c;
	struct br_wa_pending row;
	struct br__nw_msg *m = NULL;
	char *mentions[1];

	memset(&c, 0, sizeof(c));
	c.kind = WA_CONTENT_TEXT;
	c.text = "hi @33600000003 *b*";
	mentions[0] = CAROL;
	c.mentions = mentions;
	c.nmentions = 1;
	c.reply.stanza_id = "3EB0PREV";
	c.reply.participant = CAROL;
	row_of(&row, &c, GROUP, BOB, "{\"from_me\":false,\"is_group\":true,"
	    "\"push_name\":\"Bob\"}");
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	CHECK_EQ_INT(m->m.seq, 7);
	CHECK_EQ_STR(m->m.chat, GROUP);
	CHECK_EQ_STR(m->m.sender, BOB);
	CHECK_EQ_STR(m->m.id, "3EB0X");
	CHECK_EQ_STR(m->m.sender_name, "Bob");
	CHECK(m->m.is_group && !m->m.from_me);
	CHECK_EQ_INT(m->m.ts_ms, 1700000000000LL);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_TEXT);
	CHECK_EQ_STR(m->m.c.text, "hi @33600000003 *b*");
	REQUIRE(m->m.c.n_mentions == 1);
	CHECK_EQ_STR(m->m.c.mentions[0], CAROL);
	CHECK_EQ_STR(m->m.c.reply_id, "3EB0PREV");
	CHECK_EQ_STR(m->m.c.reply_sender, CAROL);
	CHECK(!m->ignore && !m->needs_media);
	br__nw_msg_free(m);
	free(row.payload);
}

/* A reaction by `sender` in `chat` with key (from_me, participant). */
static const char *
reaction_target(const char *chat, const char *sender, int from_me,
    const char *participant, struct br__nw_msg **out)
{
	struct wa_content c;
	struct br_wa_pending row;

	memset(&c, 0, sizeof(c));
	c.kind = WA_CONTENT_REACTION;
	c.text = "\xe2\x9d\xa4";
	c.key.chat = (char *)chat;
	c.key.id = "3EB0T";
	c.key.from_me = from_me;
	c.key.participant = (char *)participant;
	row_of(&row, &c, chat, sender, strstr(chat, "g.us") ?
	    "{\"is_group\":true}" : "{}");
	if (br__nw_msg_build(&row, OWN, out) != 0)
		abort();
	free(row.payload);
	return (*out)->m.c.target_sender;
}

TEST(test_nw_msg_keys_as_upstream)
{
	struct br__nw_msg *m = NULL;

	/* Bob reacts in our DM to his own message. */
	CHECK_EQ_STR(reaction_target(BOB, BOB, 1, NULL, &m), BOB);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_REACTION);
	CHECK_EQ_STR(m->m.c.target_id, "3EB0T");
	CHECK_EQ_STR(m->m.c.text, "\xe2\x9d\xa4");
	br__nw_msg_free(m);
	/* Bob reacts to ours: the other side of Bob is us. */
	CHECK_EQ_STR(reaction_target(BOB, BOB, 0, NULL, &m), OWN);
	br__nw_msg_free(m);
	/* Our other device reacts in the DM to Bob's: the chat. */
	CHECK_EQ_STR(reaction_target(BOB, OWN, 0, NULL, &m), BOB);
	br__nw_msg_free(m);
	/* Groups: the participant (device part dropped). */
	CHECK_EQ_STR(reaction_target(GROUP, BOB, 0,
	    "33600000003:4@s.whatsapp.net", &m), CAROL);
	br__nw_msg_free(m);
	/* A group key without participant names nobody: not bridged. */
	reaction_target(GROUP, BOB, 0, NULL, &m);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_UNSUPPORTED);
	br__nw_msg_free(m);
}

TEST(test_nw_msg_media_protocol_garbage_undecryptable)
{
	struct wa_content c;
	struct br_wa_pending row;
	struct br__nw_msg *m = NULL;
	uint8_t *data;

	memset(&c, 0, sizeof(c));
	c.kind = WA_CONTENT_IMAGE;
	c.text = "caption";
	c.media.direct_path = "/v/t62/x.enc";
	c.media.mimetype = "image/jpeg";
	c.media.has_media_key = 1;
	c.media.width = 4;
	c.media.height = 3;
	row_of(&row, &c, BOB, BOB, "{}");
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	free(row.payload);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_IMAGE);
	CHECK(m->needs_media);
	CHECK_EQ_STR(m->m.c.text, "caption");
	CHECK_EQ_STR(m->m.c.mime, "image/jpeg");
	CHECK_EQ_INT(m->m.c.width, 4);
	data = u_malloc(3);
	memcpy(data, "abc", 3);
	br__nw_msg_set_media(m, data, 3, 0);
	CHECK(!m->needs_media);
	CHECK_EQ_INT(m->m.c.media_error, 0);
	CHECK_EQ_INT(m->m.c.len, 3);
	CHECK_EQ_MEM(m->m.c.data, "abc", 3);
	br__nw_msg_set_media(m, NULL, 0, U_ERR_IO);
	CHECK(m->m.c.data == NULL && m->m.c.media_error != 0);
	br__nw_msg_free(m);

	/* A media message without its key cannot be downloaded. */
	c.media.has_media_key = 0;
	row_of(&row, &c, BOB, BOB, "{}");
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	free(row.payload);
	CHECK(!m->needs_media && m->m.c.media_error != 0);
	br__nw_msg_free(m);

	/* Garbage payload and broken metadata: unsupported, not an error. */
	memset(&row, 0, sizeof(row));
	row.chat = BOB;
	row.sender = BOB;
	row.msg_id = "X";
	row.payload = (uint8_t *)"\xff\xff\xff";
	row.len = 3;
	row.meta = "{not json";
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_UNSUPPORTED);
	CHECK(!m->m.from_me && m->m.sender_name == NULL);
	br__nw_msg_free(m);

	row.payload = NULL;
	row.len = 0;
	row.meta = "{\"undecryptable\":-331,\"from_me\":true}";
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_UNDECRYPTABLE);
	CHECK(m->m.from_me);
	br__nw_msg_free(m);

	/* A row without ids is refused. */
	row.msg_id = "";
	CHECK_EQ_INT(br__nw_msg_build(&row, OWN, &m), U_ERR_INVALID);
}

TEST(test_nw_msg_contact_name_from_vcard)
{
	struct wa_content c;
	struct wa_content_contact cc;
	struct br_wa_pending row;
	struct br__nw_msg *m = NULL;

	memset(&c, 0, sizeof(c));
	memset(&cc, 0, sizeof(cc));
	c.kind = WA_CONTENT_CONTACT;
	cc.vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\n"
	    "TEL:+33611111111\r\nEND:VCARD";
	c.contacts = &cc;
	c.ncontacts = 1;
	row_of(&row, &c, BOB, BOB, "{}");
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	free(row.payload);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_CONTACT);
	CHECK_EQ_STR(m->m.c.text, "Ann Lee");
	CHECK(m->m.c.vcard != NULL && strstr(m->m.c.vcard, "FN:Ann") != NULL);
	br__nw_msg_free(m);
	/* The display name wins over FN; a card without FN has no name. */
	cc.display_name = "Annie";
	row_of(&row, &c, BOB, BOB, "{}");
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	free(row.payload);
	CHECK_EQ_STR(m->m.c.text, "Annie");
	br__nw_msg_free(m);
	cc.display_name = NULL;
	cc.vcard = "BEGIN:VCARD\nEND:VCARD";
	row_of(&row, &c, BOB, BOB, "{}");
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	free(row.payload);
	CHECK(m->m.c.text == NULL);
	br__nw_msg_free(m);
}

TEST(test_nw_msg_poll_vote_opens)
{
	struct wa_content c;
	struct br_wa_pending row;
	struct br__nw_msg *m = NULL;
	char *opts[3] = { "Pizza", "Sushi", "Salad" };
	const char *sel[1] = { "Sushi" };
	const char *creators[1] = { BOB }, *voters[1] = { CAROL };
	uint8_t secret[32];

	/* The poll, as Bob created it in the group. */
	memset(&c, 0, sizeof(c));
	c.kind = WA_CONTENT_POLL_CREATE;
	c.poll.name = "Lunch?";
	c.poll.options = opts;
	c.poll.noptions = 3;
	c.poll.selectable_count = 1;
	memset(c.secret, 7, sizeof(c.secret));
	c.has_secret = 1;
	row_of(&row, &c, GROUP, BOB, "{\"is_group\":true}");
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	free(row.payload);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_POLL);
	CHECK_EQ_STR(m->m.c.text, "Lunch?");
	REQUIRE(m->m.c.n_options == 3);
	CHECK_EQ_STR(m->m.c.options[2], "Salad");
	CHECK(m->wc.has_secret);
	memcpy(secret, m->wc.secret, 32);
	br__nw_msg_free(m);

	/* Carol votes "Sushi". */
	memset(&c, 0, sizeof(c));
	c.key.chat = GROUP;
	c.key.id = "POLL1";
	c.key.participant = BOB;
	REQUIRE(wa_content_vote_encrypt(&c, secret, BOB, CAROL, sel, 1) == 0);
	REQUIRE(wa_content_encode(&c, &row.payload, &row.len) == 0);
	row.chat = GROUP;
	row.sender = CAROL;
	row.msg_id = "VOTE1";
	row.meta = "{\"is_group\":true}";
	row.seq = 9;
	c.key.chat = NULL;
	c.key.id = NULL;
	c.key.participant = NULL;
	wa_content_free(&c);
	REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
	free(row.payload);
	CHECK_EQ_INT(m->m.c.kind, BR_NET_KIND_POLL_VOTE);
	CHECK(m->ignore);		/* until opened */
	CHECK_EQ_STR(m->m.c.target_id, "POLL1");
	CHECK_EQ_STR(m->m.c.target_sender, BOB);
	/* A wrong secret does not open it. */
	{
		uint8_t bad[32];

		memset(bad, 1, sizeof(bad));
		CHECK(br__nw_msg_open_vote(m, bad, opts, 3, creators, 1,
		    voters, 1) != 0);
		CHECK(m->ignore);
	}
	REQUIRE(br__nw_msg_open_vote(m, secret, opts, 3, creators, 1, voters,
	    1) == 0);
	CHECK(!m->ignore);
	REQUIRE(m->m.c.n_options == 1);
	CHECK_EQ_STR(m->m.c.options[0], "Sushi");
	br__nw_msg_free(m);
}

/* Rows from a crashed run or a hostile sender never crash the build:
 * random payloads and metadata, and valid payloads with bytes flipped. */
TEST(test_nw_msg_build_survives_garbage)
{
	static const char *const metas[] = {
		"{}", "[]", "null", "{\"push_name\":7}", "{\"from_me\":\"x\"}",
		"{\"undecryptable\":\"x\"}", "\xff\xfe", "{\"a\":1,\"a\":2}",
	};
	struct wa_content c;
	struct br_wa_pending row;
	struct br__nw_msg *m = NULL;
	uint8_t *valid = NULL, buf[512];
	size_t vlen = 0, i, k, n;
	uint32_t x = 2463534242u;
	char *mentions[1] = { CAROL };

	memset(&c, 0, sizeof(c));
	c.kind = WA_CONTENT_TEXT;
	c.text = "hello *world*";
	c.mentions = mentions;
	c.nmentions = 1;
	c.reply.stanza_id = "R";
	c.reply.participant = BOB;
	REQUIRE(wa_content_encode(&c, &valid, &vlen) == 0);
	REQUIRE(vlen <= sizeof(buf));
	for (i = 0; i < 3000; i++) {
		memset(&row, 0, sizeof(row));
		row.chat = (i & 1) ? GROUP : BOB;
		row.sender = BOB;
		row.msg_id = "X";
		row.meta = (char *)metas[i % (sizeof(metas) /
		    sizeof(metas[0]))];
		if (i & 2) {
			memcpy(buf, valid, vlen);
			n = vlen;
			for (k = 0; k < 1 + i % 4; k++) {
				x ^= x << 13, x ^= x >> 17, x ^= x << 5;
				buf[x % n] ^= (uint8_t)(x >> 8);
			}
		} else {
			n = i % sizeof(buf);
			for (k = 0; k < n; k++) {
				x ^= x << 13, x ^= x >> 17, x ^= x << 5;
				buf[k] = (uint8_t)x;
			}
		}
		row.payload = buf;
		row.len = n;
		REQUIRE(br__nw_msg_build(&row, OWN, &m) == 0);
		CHECK(m->m.c.kind >= 0 && m->m.c.kind < BR_NET_KIND_COUNT_);
		CHECK_EQ_STR(m->m.id, "X");
		br__nw_msg_free(m);
		m = NULL;
	}
	free(valid);
}

TEST(test_nw_msg_meta_json)
{
	struct wa_msg_event ev;
	char *s;

	memset(&ev, 0, sizeof(ev));
	ev.from_me = 1;
	ev.is_group = 1;
	ev.push_name = "Al \"quoted\"";
	ev.type = "text";
	ev.edit = "1";
	s = br__nw_meta_json(&ev, 0);
	CHECK_EQ_STR(s, "{\"from_me\":true,\"is_group\":true,\"push_name\":"
	    "\"Al \\\"quoted\\\"\",\"type\":\"text\",\"edit\":\"1\"}");
	free(s);
	memset(&ev, 0, sizeof(ev));
	s = br__nw_meta_json(&ev, -331);
	CHECK_EQ_STR(s, "{\"from_me\":false,\"is_group\":false,"
	    "\"undecryptable\":-331}");
	free(s);
}

TEST(test_nw_content_to_wa)
{
	struct br_net_content c;
	struct wa_content w;
	const char *ment[1] = { CAROL };

	memset(&c, 0, sizeof(c));
	c.kind = BR_NET_KIND_TEXT;
	c.text = "hello";
	c.mentions = ment;
	c.n_mentions = 1;
	c.reply_id = "3EB0R";
	c.reply_sender = BOB;
	REQUIRE(br__nw_content_to_wa(&c, BOB, OWN, &w) == 0);
	CHECK_EQ_INT(w.kind, WA_CONTENT_TEXT);
	CHECK_EQ_STR(w.text, "hello");
	CHECK_EQ_STR(w.mentions[0], CAROL);
	CHECK_EQ_STR(w.reply.stanza_id, "3EB0R");
	CHECK_EQ_STR(w.reply.participant, BOB);
	wa_content_free(&w);

	/* Reacting to our own message: from_me, no participant. */
	memset(&c, 0, sizeof(c));
	c.kind = BR_NET_KIND_REACTION;
	c.text = "x";
	c.target_id = "T1";
	c.target_sender = OWN;
	REQUIRE(br__nw_content_to_wa(&c, GROUP, OWN, &w) == 0);
	CHECK(w.key.from_me);
	CHECK(w.key.participant == NULL);
	CHECK_EQ_STR(w.key.chat, GROUP);
	wa_content_free(&w);
	/* To Bob's in a group: participant Bob. */
	c.target_sender = BOB;
	REQUIRE(br__nw_content_to_wa(&c, GROUP, OWN, &w) == 0);
	CHECK(!w.key.from_me);
	CHECK_EQ_STR(w.key.participant, BOB);
	wa_content_free(&w);
	/* In a DM: no participant. */
	REQUIRE(br__nw_content_to_wa(&c, BOB, OWN, &w) == 0);
	CHECK(!w.key.from_me && w.key.participant == NULL);
	wa_content_free(&w);
	/* Missing target, empty text, kinds WhatsApp cannot carry. */
	c.target_id = NULL;
	CHECK_EQ_INT(br__nw_content_to_wa(&c, BOB, OWN, &w), U_ERR_INVALID);
	memset(&c, 0, sizeof(c));
	c.kind = BR_NET_KIND_TEXT;
	c.text = "";
	CHECK_EQ_INT(br__nw_content_to_wa(&c, BOB, OWN, &w), U_ERR_INVALID);
	c.kind = BR_NET_KIND_UNDECRYPTABLE;
	CHECK_EQ_INT(br__nw_content_to_wa(&c, BOB, OWN, &w),
	    BR_ERR_NET_UNSUPPORTED);
	/* A location encodes and decodes back. */
	memset(&c, 0, sizeof(c));
	c.kind = BR_NET_KIND_LOCATION;
	c.lat = 1.5;
	c.lon = -2.25;
	c.loc_name = "Here";
	REQUIRE(br__nw_content_to_wa(&c, BOB, OWN, &w) == 0);
	{
		uint8_t *p = NULL;
		size_t n = 0;
		struct wa_content d;

		REQUIRE(wa_content_encode(&w, &p, &n) == 0);
		REQUIRE(wa_content_decode(p, n, &d) == 0);
		CHECK_EQ_INT(d.kind, WA_CONTENT_LOCATION);
		CHECK(d.location.lat == 1.5 && d.location.lon == -2.25);
		CHECK_EQ_STR(d.location.name, "Here");
		wa_content_free(&d);
		free(p);
	}
	wa_content_free(&w);
}

TEST_MAIN()
