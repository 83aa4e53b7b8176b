/*
 * test_wa_history.c: history sync notifications and blobs (waweb/history.h):
 * a notification is only taken from our own account, its download
 * reference or inline payload, the capped inflate, and a HistorySync
 * parsed into conversations with their messages oldest first, malformed
 * parts skipped, limits applied.  Blobs are built here with the generated
 * protobuf-c packers and zlib.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "proto/history.pb-c.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/history.h"
#include "waweb/jid.h"
#include "waweb/node.h"

static uint8_t *
pack_notif(Wa__HistSyncNotification *hn, int type, size_t *len)
{
	Wa__HistE2EMessage m = WA__HIST_E2_EMESSAGE__INIT;
	Wa__HistProtocolMessage pm = WA__HIST_PROTOCOL_MESSAGE__INIT;
	uint8_t *out;

	pm.has_type = 1;
	pm.type = type;
	pm.history_sync_notification = hn;
	m.protocol_message = &pm;
	*len = wa__hist_e2_emessage__get_packed_size(&m);
	out = malloc(*len);
	wa__hist_e2_emessage__pack(&m, out);
	return out;
}

static uint8_t key32[32], sha[32], encsha[32];

static void
fill_download(Wa__HistSyncNotification *hn)
{
	memset(key32, 7, sizeof(key32));
	memset(sha, 8, sizeof(sha));
	memset(encsha, 9, sizeof(encsha));
	hn->has_media_key = 1;
	hn->media_key.data = key32;
	hn->media_key.len = 32;
	hn->has_file_sha256 = 1;
	hn->file_sha256.data = sha;
	hn->file_sha256.len = 32;
	hn->has_file_enc_sha256 = 1;
	hn->file_enc_sha256.data = encsha;
	hn->file_enc_sha256.len = 32;
	hn->direct_path = "/v/t62.hist/abc.enc?x=1";
	hn->has_file_length = 1;
	hn->file_length = 1234;
	hn->has_sync_type = 1;
	hn->sync_type = WA_HIST_INITIAL_BOOTSTRAP;
	hn->has_chunk_order = 1;
	hn->chunk_order = 1;
}

TEST(notif_download_from_own_account)
{
	Wa__HistSyncNotification hn = WA__HIST_SYNC_NOTIFICATION__INIT;
	struct wa_hist_notif *nt = NULL;
	struct wa_media_ref ref;
	uint8_t *p;
	size_t n;

	fill_download(&hn);
	p = pack_notif(&hn, WA_HIST_PROTOCOL_TYPE, &n);
	/* From someone else: never a notification. */
	CHECK_EQ_INT(wa_hist_notif_parse(p, n, 0, &nt), 0);
	CHECK(nt == NULL);
	REQUIRE(wa_hist_notif_parse(p, n, 1, &nt) == 1);
	CHECK_EQ_STR(nt->direct_path, "/v/t62.hist/abc.enc?x=1");
	CHECK_EQ_MEM(nt->media_key, key32, 32);
	CHECK(nt->has_file_sha256 && nt->has_file_enc_sha256);
	CHECK_EQ_INT((int)nt->file_length, 1234);
	CHECK_EQ_INT(nt->sync_type, WA_HIST_INITIAL_BOOTSTRAP);
	CHECK_EQ_INT((int)nt->chunk_order, 1);
	CHECK(nt->inline_payload == NULL);
	REQUIRE(wa_hist_notif_ref(nt, &ref) == 0);
	CHECK_EQ_INT((int)ref.type, (int)WA_MEDIA_HISTORY);
	CHECK_EQ_STR(ref.direct_path, nt->direct_path);
	CHECK_EQ_MEM(ref.file_enc_sha256, encsha, 32);
	CHECK_EQ_STR(wa_media_mms_type(ref.type), "md-msg-hist");
	wa_hist_notif_free(nt);
	free(p);
}

TEST(notif_inline_and_other_protocol_types)
{
	Wa__HistSyncNotification hn = WA__HIST_SYNC_NOTIFICATION__INIT;
	struct wa_hist_notif *nt = NULL;
	struct wa_media_ref ref;
	uint8_t inl[5] = { 1, 2, 3, 4, 5 }, *p;
	size_t n;

	hn.has_initial_hist_bootstrap_inline_payload = 1;
	hn.initial_hist_bootstrap_inline_payload.data = inl;
	hn.initial_hist_bootstrap_inline_payload.len = sizeof(inl);
	p = pack_notif(&hn, WA_HIST_PROTOCOL_TYPE, &n);
	REQUIRE(wa_hist_notif_parse(p, n, 1, &nt) == 1);
	CHECK_EQ_INT((int)nt->inline_len, 5);
	CHECK_EQ_MEM(nt->inline_payload, inl, 5);
	CHECK_EQ_INT(wa_hist_notif_ref(nt, &ref), U_ERR_INVALID);
	wa_hist_notif_free(nt);
	free(p);
	/* A revoke (type 0) is not a history notification. */
	p = pack_notif(&hn, 0, &n);
	nt = NULL;
	CHECK_EQ_INT(wa_hist_notif_parse(p, n, 1, &nt), 0);
	CHECK(nt == NULL);
	free(p);
	/* Not a protobuf at all. */
	CHECK_EQ_INT(wa_hist_notif_parse((const uint8_t *)"\xff\xff\xff", 3,
	    1, &nt), 0);
	CHECK_EQ_INT(wa_hist_notif_parse(NULL, 0, 1, &nt), 0);
}

TEST(notif_unusable_is_malformed)
{
	Wa__HistSyncNotification hn = WA__HIST_SYNC_NOTIFICATION__INIT;
	struct wa_hist_notif *nt = NULL;
	uint8_t *p;
	size_t n;

	/* Type 5 without the notification. */
	p = pack_notif(NULL, WA_HIST_PROTOCOL_TYPE, &n);
	CHECK_EQ_INT(wa_hist_notif_parse(p, n, 1, &nt), WA_ERR_MSG_MALFORMED);
	free(p);
	/* A 16-byte key. */
	fill_download(&hn);
	hn.media_key.len = 16;
	p = pack_notif(&hn, WA_HIST_PROTOCOL_TYPE, &n);
	CHECK_EQ_INT(wa_hist_notif_parse(p, n, 1, &nt), WA_ERR_MSG_MALFORMED);
	free(p);
	/* A path that is not a path. */
	fill_download(&hn);
	hn.direct_path = "https://evil.example/x";
	p = pack_notif(&hn, WA_HIST_PROTOCOL_TYPE, &n);
	CHECK_EQ_INT(wa_hist_notif_parse(p, n, 1, &nt), WA_ERR_MSG_MALFORMED);
	free(p);
	/* A file length over the history limit. */
	fill_download(&hn);
	hn.file_length = (uint64_t)wa_media_max(WA_MEDIA_HISTORY) + 1;
	p = pack_notif(&hn, WA_HIST_PROTOCOL_TYPE, &n);
	CHECK_EQ_INT(wa_hist_notif_parse(p, n, 1, &nt), WA_ERR_MSG_MALFORMED);
	free(p);
	CHECK(nt == NULL);
}

static uint8_t *
zip(const uint8_t *p, size_t n, size_t *outlen)
{
	uLongf cap = compressBound((uLong)n);
	uint8_t *out = malloc(cap);

	if (compress(out, &cap, p, (uLong)n) != Z_OK)
		abort();
	*outlen = cap;
	return out;
}

TEST(inflate_caps_and_rejects)
{
	uint8_t plain[200000], *z, *out = NULL, *bad;
	size_t zn, n = 0, i;

	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 31 % 251);
	z = zip(plain, sizeof(plain), &zn);
	REQUIRE(wa_hist_inflate(z, zn, sizeof(plain), &out, &n) == 0);
	CHECK_EQ_INT((int)n, (int)sizeof(plain));
	CHECK_EQ_MEM(out, plain, sizeof(plain));
	free(out);
	out = NULL;
	/* One byte under the size: refused, nothing handed out. */
	CHECK_EQ_INT(wa_hist_inflate(z, zn, sizeof(plain) - 1, &out, &n),
	    WA_ERR_TOO_BIG);
	CHECK(out == NULL);
	/* Truncated. */
	CHECK_EQ_INT(wa_hist_inflate(z, zn / 2, sizeof(plain), &out, &n),
	    WA_ERR_INFLATE);
	/* Trailing garbage. */
	bad = malloc(zn + 3);
	memcpy(bad, z, zn);
	memcpy(bad + zn, "xyz", 3);
	CHECK_EQ_INT(wa_hist_inflate(bad, zn + 3, sizeof(plain), &out, &n),
	    WA_ERR_INFLATE);
	/* Not zlib. */
	CHECK_EQ_INT(wa_hist_inflate((const uint8_t *)"hello", 5, 100, &out,
	    &n), WA_ERR_INFLATE);
	CHECK(out == NULL);
	free(bad);
	free(z);
}

/* A WebMessageInfo, packed. */
static ProtobufCBinaryData
wmi(const char *chat, const char *id, int from_me, const char *participant,
    uint64_t ts, const char *push, const char *text)
{
	Wa__HistWebMessageInfo w = WA__HIST_WEB_MESSAGE_INFO__INIT;
	Wa__HistMessageKey k = WA__HIST_MESSAGE_KEY__INIT;
	ProtobufCBinaryData out;
	uint8_t msg[256];
	size_t tl;

	k.remote_jid = (char *)chat;
	k.id = (char *)id;
	k.has_from_me = 1;
	k.from_me = from_me;
	w.key = id != NULL ? &k : NULL;
	w.participant = (char *)participant;
	w.has_message_timestamp = 1;
	w.message_timestamp = ts;
	w.push_name = (char *)push;
	if (text != NULL) {
		/* E2E Message{conversation (1): text}. */
		tl = strlen(text);
		msg[0] = 0x0a;
		msg[1] = (uint8_t)tl;
		memcpy(msg + 2, text, tl);
		w.has_message = 1;
		w.message.data = msg;
		w.message.len = tl + 2;
	}
	out.len = wa__hist_web_message_info__get_packed_size(&w);
	out.data = malloc(out.len);
	wa__hist_web_message_info__pack(&w, out.data);
	return out;
}

TEST(sync_parse_conversations_oldest_first)
{
	Wa__HistSync hs = WA__HIST_SYNC__INIT;
	Wa__HistConversation c1 = WA__HIST_CONVERSATION__INIT,
	    c2 = WA__HIST_CONVERSATION__INIT, c3 = WA__HIST_CONVERSATION__INIT;
	Wa__HistConversation *cv[3] = { &c1, &c2, &c3 };
	Wa__HistSyncMsg m[5], *mp1[3], *mp2[2];
	Wa__HistPushname pn = WA__HIST_PUSHNAME__INIT, *pnp[1] = { &pn };
	struct wa_hist_sync *s = NULL;
	uint8_t *p, *z;
	size_t n, zn, i;

	for (i = 0; i < 5; i++) {
		wa__hist_sync_msg__init(&m[i]);
		m[i].has_message = 1;
	}
	/* A DM, newest first as a phone lists it. */
	m[0].message = wmi("33600000002@s.whatsapp.net", "C", 0, NULL, 300,
	    "Bob", "third");
	m[1].message = wmi("33600000002@s.whatsapp.net", "B", 1, NULL, 200,
	    NULL, "second");
	m[2].message = wmi("33600000002@s.whatsapp.net", "A", 0, NULL, 100,
	    "Bob", "first");
	mp1[0] = &m[0];
	mp1[1] = &m[1];
	mp1[2] = &m[2];
	c1.id = "33600000002@s.whatsapp.net";
	c1.messages = mp1;
	c1.n_messages = 3;
	c1.has_last_msg_timestamp = 1;
	c1.last_msg_timestamp = 300;
	/* A group: one message from a participant, one without a key. */
	m[3].message = wmi("123-456@g.us", "G1", 0,
	    "33600000003@s.whatsapp.net", 50, "Wendy", "hi group");
	m[4].message = wmi("123-456@g.us", NULL, 0, NULL, 60, NULL, "x");
	mp2[0] = &m[3];
	mp2[1] = &m[4];
	c2.id = "123-456@g.us";
	c2.name = "Cafe";
	c2.messages = mp2;
	c2.n_messages = 2;
	c2.has_archived = 1;
	c2.archived = 1;
	/* Not a JID: skipped. */
	c3.id = "not a jid";
	hs.has_sync_type = 1;
	hs.sync_type = WA_HIST_INITIAL_BOOTSTRAP;
	hs.conversations = cv;
	hs.n_conversations = 3;
	pn.id = "33600000002@s.whatsapp.net";
	pn.pushname = "Bobby";
	hs.pushnames = pnp;
	hs.n_pushnames = 1;
	n = wa__hist_sync__get_packed_size(&hs);
	p = malloc(n);
	wa__hist_sync__pack(&hs, p);
	z = zip(p, n, &zn);
	REQUIRE(wa_hist_sync_decode(z, zn, &s) == 0);
	CHECK_EQ_INT(s->sync_type, WA_HIST_INITIAL_BOOTSTRAP);
	REQUIRE(s->n_convs == 2);
	CHECK_EQ_INT((int)s->skipped, 2);	/* c3 and the keyless message */
	CHECK_EQ_STR(s->convs[0].id, "33600000002@s.whatsapp.net");
	CHECK_EQ_INT((int)s->convs[0].last_msg_ts, 300);
	REQUIRE(s->convs[0].n_msgs == 3);
	CHECK_EQ_STR(s->convs[0].msgs[0].id, "A");
	CHECK_EQ_STR(s->convs[0].msgs[1].id, "B");
	CHECK_EQ_STR(s->convs[0].msgs[2].id, "C");
	CHECK(s->convs[0].msgs[1].from_me);
	CHECK(!s->convs[0].msgs[0].from_me);
	CHECK_EQ_STR(s->convs[0].msgs[0].push_name, "Bob");
	CHECK(s->convs[0].msgs[0].participant == NULL);
	CHECK_EQ_INT((int)s->convs[0].msgs[0].timestamp, 100);
	CHECK_EQ_INT((int)s->convs[0].msgs[0].payload_len, 7);
	CHECK_EQ_MEM(s->convs[0].msgs[0].payload + 2, "first", 5);
	CHECK(s->convs[0].msgs[0].raw_len > 0);
	CHECK_EQ_STR(s->convs[1].name, "Cafe");
	CHECK(s->convs[1].archived);
	REQUIRE(s->convs[1].n_msgs == 1);
	CHECK_EQ_STR(s->convs[1].msgs[0].participant,
	    "33600000003@s.whatsapp.net");
	/* No lastMsgTimestamp: the newest message's. */
	CHECK_EQ_INT((int)s->convs[1].last_msg_ts, 50);
	REQUIRE(s->n_pushnames == 1);
	CHECK_EQ_STR(s->pushnames[0].name, "Bobby");
	wa_hist_sync_free(s);
	for (i = 0; i < 5; i++)
		free(m[i].message.data);
	free(p);
	free(z);
}

TEST(sync_parse_limits_and_bad_strings)
{
	Wa__HistSync hs = WA__HIST_SYNC__INIT;
	Wa__HistConversation c = WA__HIST_CONVERSATION__INIT, *cp[1] = { &c };
	Wa__HistSyncMsg *mp[WA_HIST_MSG_MAX + 5], *ms;
	struct wa_hist_sync *s = NULL;
	char id[32];
	uint8_t *p;
	size_t n, i, total = WA_HIST_MSG_MAX + 5;

	ms = calloc(total, sizeof(*ms));
	for (i = 0; i < total; i++) {
		wa__hist_sync_msg__init(&ms[i]);
		snprintf(id, sizeof(id), "M%zu", i);
		ms[i].has_message = 1;
		/* Newest first: the first in the list has the largest ts. */
		ms[i].message = wmi("123-9@g.us", id, 1, NULL, 10000 - i,
		    "\xc3\x28", "x");
		mp[i] = &ms[i];
	}
	c.id = "123-9@g.us";
	c.name = "bad \xff utf8";
	c.messages = mp;
	c.n_messages = total;
	hs.conversations = cp;
	hs.n_conversations = 1;
	n = wa__hist_sync__get_packed_size(&hs);
	p = malloc(n);
	wa__hist_sync__pack(&hs, p);
	REQUIRE(wa_hist_sync_parse(p, n, &s) == 0);
	REQUIRE(s->n_convs == 1);
	/* The newest WA_HIST_MSG_MAX are kept, oldest first. */
	CHECK_EQ_INT((int)s->convs[0].n_msgs, WA_HIST_MSG_MAX);
	CHECK_EQ_INT((int)s->skipped, 5);
	snprintf(id, sizeof(id), "M%d", WA_HIST_MSG_MAX - 1);
	CHECK_EQ_STR(s->convs[0].msgs[0].id, id);
	CHECK_EQ_STR(s->convs[0].msgs[WA_HIST_MSG_MAX - 1].id, "M0");
	/* Invalid UTF-8 names are dropped. */
	CHECK(s->convs[0].name == NULL);
	CHECK(s->convs[0].msgs[0].push_name == NULL);
	wa_hist_sync_free(s);
	/* Garbage is not a HistorySync; a huge size is refused unread. */
	CHECK_EQ_INT(wa_hist_sync_parse((const uint8_t *)"\x12\xff\xff", 3,
	    &s), WA_ERR_MSG_MALFORMED);
	CHECK_EQ_INT(wa_hist_sync_parse(p, WA_HIST_INFLATED_MAX + 1, &s),
	    WA_ERR_TOO_BIG);
	for (i = 0; i < total; i++)
		free(ms[i].message.data);
	free(ms);
	free(p);
}

TEST(sync_parse_total_message_cap)
{
	enum { NC = WA_HIST_TOTAL_MSG_MAX / WA_HIST_MSG_MAX + 2 };
	Wa__HistSync hs = WA__HIST_SYNC__INIT;
	Wa__HistConversation *cv, **cp;
	Wa__HistSyncMsg m = WA__HIST_SYNC_MSG__INIT, **mp;
	struct wa_hist_sync *s = NULL;
	uint8_t *p;
	size_t n, i, total = 0;

	m.has_message = 1;
	m.message = wmi("1-1@g.us", "X", 1, NULL, 5, NULL, "x");
	mp = calloc(WA_HIST_MSG_MAX, sizeof(*mp));
	for (i = 0; i < WA_HIST_MSG_MAX; i++)
		mp[i] = &m;
	cv = calloc(NC, sizeof(*cv));
	cp = calloc(NC, sizeof(*cp));
	for (i = 0; i < NC; i++) {
		wa__hist_conversation__init(&cv[i]);
		cv[i].id = "1-1@g.us";
		cv[i].messages = mp;
		cv[i].n_messages = WA_HIST_MSG_MAX;
		cp[i] = &cv[i];
	}
	hs.conversations = cp;
	hs.n_conversations = NC;
	n = wa__hist_sync__get_packed_size(&hs);
	p = malloc(n);
	wa__hist_sync__pack(&hs, p);
	REQUIRE(wa_hist_sync_parse(p, n, &s) == 0);
	CHECK_EQ_INT((int)s->n_convs, NC);
	for (i = 0; i < s->n_convs; i++)
		total += s->convs[i].n_msgs;
	/* Past the cap the later chats get no messages. */
	CHECK_EQ_INT((int)total, WA_HIST_TOTAL_MSG_MAX);
	CHECK_EQ_INT((int)s->convs[NC - 1].n_msgs, 0);
	CHECK_EQ_INT((int)s->skipped, NC * WA_HIST_MSG_MAX -
	    WA_HIST_TOTAL_MSG_MAX);
	wa_hist_sync_free(s);
	free(p);
	free(cp);
	free(cv);
	free(mp);
	free(m.message.data);
}

TEST(hist_sync_receipt_to_own_account)
{
	struct wa_node *n;
	struct wa_jid j;

	n = wa_hist_receipt_node("ABC", "33600000001:4@s.whatsapp.net");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(n->tag, "receipt");
	CHECK_EQ_STR(wa_node_attr(n, "id"), "ABC");
	CHECK_EQ_STR(wa_node_attr(n, "type"), "hist_sync");
	REQUIRE(wa_node_attr_jid(n, "to", &j) == 0);
	CHECK_EQ_STR(j.user, "33600000001");
	CHECK_EQ_STR(j.server, "s.whatsapp.net");
	CHECK_EQ_INT(j.device, 0);
	wa_node_free(n);
	CHECK(wa_hist_receipt_node(NULL, "1@s.whatsapp.net") == NULL);
	CHECK(wa_hist_receipt_node("A", "not a jid") == NULL);
}

TEST_MAIN()
