/*
 * test_br_history.c: history sync in the bridge: the WhatsApp side's
 * conversion of a parsed blob into the core's struct br_net_history
 * (bridge/net_wa_history.h: chats named as net.h names them, senders,
 * own messages, stubs and protocol messages left out, nothing pending),
 * and the core's pieces (bridge/history.h): which chats get portals, how
 * many messages are backfilled, and what is stored in
 * whatsapp_history_sync_conversation / _message (on SQLite, or the
 * database PONTON_TEST_DB names), a second blob updating, not
 * duplicating.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/config.h"
#include "bridge/history.h"
#include "bridge/net_wa_history.h"
#include "db/db.h"
#include "bridge/net_wa_msg.h"
#include "proto/e2e.pb-c.h"
#include "proto/history.pb-c.h"
#include "test/unit/db/dbtest.h"
#include "test/unit/test.h"
#include "util/loop.h"
#include "waweb/history.h"
#include "waweb/jid.h"
#include "waweb/recv_message.h"
#include "waweb/store.h"

#include <zlib.h>

#define OWN "33600000001@s.whatsapp.net"
#define BOB "33600000002@s.whatsapp.net"
#define WENDY "33600000003@s.whatsapp.net"
#define GROUP "120363000000000001@g.us"

/* A WebMessageInfo; text NULL: a stub without message; proto: a
 * protocol message (key share) instead of text. */
static ProtobufCBinaryData
wmi(const char *chat, const char *id, int from_me, const char *participant,
    uint64_t ts, const char *push, const char *text, int proto)
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
	w.key = &k;
	w.participant = (char *)participant;
	w.has_message_timestamp = 1;
	w.message_timestamp = ts;
	w.push_name = (char *)push;
	if (proto) {
		/* Message{protocolMessage (12): {type (2): 6}}: a key share. */
		static const uint8_t pm[] = { 0x62, 0x02, 0x10, 0x06 };

		w.has_message = 1;
		w.message.data = (uint8_t *)pm;
		w.message.len = sizeof(pm);
	} else if (text != NULL) {
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

/* A parsed blob: a DM with Bob (3 texts, one our own, one stub, one
 * protocol message) and a group (one text from Wendy). */
static struct wa_hist_sync *
sample(void)
{
	Wa__HistSync hs = WA__HIST_SYNC__INIT;
	Wa__HistConversation c1 = WA__HIST_CONVERSATION__INIT,
	    c2 = WA__HIST_CONVERSATION__INIT;
	Wa__HistConversation *cv[2] = { &c1, &c2 };
	Wa__HistSyncMsg m[6], *mp1[5], *mp2[1];
	struct wa_hist_sync *s = NULL;
	uint8_t *p;
	size_t n, i;

	for (i = 0; i < 6; i++) {
		wa__hist_sync_msg__init(&m[i]);
		m[i].has_message = 1;
	}
	m[0].message = wmi(BOB, "D3", 0, NULL, 1300, "Bob", "three", 0);
	m[1].message = wmi(BOB, "D2", 1, NULL, 1200, NULL, "two", 0);
	m[2].message = wmi(BOB, "D1", 0, NULL, 1100, "Bob", "one", 0);
	m[3].message = wmi(BOB, "STUB", 0, NULL, 1000, NULL, NULL, 0);
	m[4].message = wmi(BOB, "REV", 0, NULL, 1250, NULL, NULL, 1);
	m[5].message = wmi(GROUP, "G1", 0, "33600000003:5@s.whatsapp.net",
	    900, "Wendy", "hi all", 0);
	for (i = 0; i < 5; i++)
		mp1[i] = &m[i];
	mp2[0] = &m[5];
	c1.id = BOB;
	c1.messages = mp1;
	c1.n_messages = 5;
	c2.id = GROUP;
	c2.name = "Cafe";
	c2.messages = mp2;
	c2.n_messages = 1;
	c2.has_pinned = 1;
	c2.pinned = 77;
	hs.has_sync_type = 1;
	hs.sync_type = WA_HIST_INITIAL_BOOTSTRAP;
	hs.conversations = cv;
	hs.n_conversations = 2;
	n = wa__hist_sync__get_packed_size(&hs);
	p = malloc(n);
	wa__hist_sync__pack(&hs, p);
	if (wa_hist_sync_parse(p, n, &s) != 0)
		s = NULL;
	for (i = 0; i < 6; i++)
		free(m[i].message.data);
	free(p);
	return s;
}

TEST(net_side_builds_the_core_view)
{
	struct wa_hist_sync *s = sample();
	struct br__nw_hist *x;
	const struct br_net_history *h;
	const struct br_net_history_chat *dm, *grp;

	REQUIRE(s != NULL);
	x = br__nw_hist_build(s, OWN, 1000);
	h = br__nw_hist_view(x);
	CHECK_EQ_INT(h->sync_type, WA_HIST_INITIAL_BOOTSTRAP);
	REQUIRE(h->n_chats == 2);
	dm = &h->chats[0];
	grp = &h->chats[1];
	CHECK_EQ_STR(dm->chat, BOB);
	/* The stub and the protocol message are left out. */
	REQUIRE(dm->n_msgs == 3);
	CHECK_EQ_STR(dm->msgs[0].id, "D1");
	CHECK_EQ_STR(dm->msgs[1].id, "D2");
	CHECK_EQ_STR(dm->msgs[2].id, "D3");
	CHECK_EQ_STR(dm->msgs[0].sender, BOB);
	CHECK_EQ_STR(dm->msgs[0].chat, BOB);
	CHECK_EQ_STR(dm->msgs[0].sender_name, "Bob");
	CHECK_EQ_STR(dm->msgs[0].c.text, "one");
	CHECK_EQ_INT((int)dm->msgs[0].c.kind, (int)BR_NET_KIND_TEXT);
	CHECK(dm->msgs[0].ts_ms == 1100000);
	CHECK(dm->msgs[0].seq == 0);
	CHECK(!dm->msgs[0].is_group);
	/* Our own message: sent by the login's account. */
	CHECK(dm->msgs[1].from_me);
	CHECK_EQ_STR(dm->msgs[1].sender, OWN);
	CHECK(dm->last_ts_ms == 1300000);
	CHECK(dm->raw[0] != NULL && dm->raw_len[0] > 0);
	CHECK_EQ_STR(grp->chat, GROUP);
	CHECK_EQ_STR(grp->name, "Cafe");
	CHECK(grp->pinned == 77);
	REQUIRE(grp->n_msgs == 1);
	CHECK(grp->msgs[0].is_group);
	/* The participant without its device. */
	CHECK_EQ_STR(grp->msgs[0].sender, WENDY);
	CHECK_EQ_STR(grp->msgs[0].c.text, "hi all");
	br__nw_hist_free(x);
	wa_hist_sync_free(s);
}

TEST(older_messages_kept_for_storage_only)
{
	struct wa_hist_sync *s = sample();
	struct br__nw_hist *x;
	const struct br_net_history *h;
	const struct br_net_history_chat *dm;

	REQUIRE(s != NULL);
	/* Backfilling 1 per chat: only the newest is decoded; the rest
	 * (stub and protocol message included) are kept for the tables. */
	x = br__nw_hist_build(s, OWN, 1);
	h = br__nw_hist_view(x);
	REQUIRE(h->n_chats == 2);
	dm = &h->chats[0];
	REQUIRE(dm->n_msgs == 5);
	CHECK_EQ_STR(dm->msgs[0].id, "STUB");
	CHECK_EQ_INT((int)dm->msgs[0].c.kind, (int)BR_NET_KIND_UNSUPPORTED);
	CHECK_EQ_STR(dm->msgs[1].id, "D1");
	CHECK_EQ_STR(dm->msgs[1].sender, BOB);
	CHECK(dm->msgs[1].c.text == NULL);
	CHECK_EQ_STR(dm->msgs[2].sender, OWN);
	CHECK(dm->msgs[2].from_me);
	CHECK_EQ_STR(dm->msgs[3].id, "REV");
	CHECK_EQ_STR(dm->msgs[4].id, "D3");
	CHECK_EQ_STR(dm->msgs[4].c.text, "three");
	CHECK(dm->msgs[4].ts_ms == 1300000);
	CHECK(dm->raw[0] != NULL && dm->raw_len[4] > 0);
	REQUIRE(h->chats[1].n_msgs == 1);
	CHECK_EQ_STR(h->chats[1].msgs[0].c.text, "hi all");
	br__nw_hist_free(x);
	/* No backfill: nothing decoded, everything kept. */
	x = br__nw_hist_build(s, OWN, 0);
	h = br__nw_hist_view(x);
	REQUIRE(h->n_chats == 2);
	CHECK_EQ_INT((int)h->chats[0].n_msgs, 5);
	REQUIRE(h->chats[1].n_msgs == 1);
	CHECK_EQ_STR(h->chats[1].msgs[0].sender, WENDY);
	CHECK(h->chats[1].msgs[0].c.text == NULL);
	br__nw_hist_free(x);
	wa_hist_sync_free(s);
}

TEST(pick_newest_portal_chats)
{
	struct br_net_history_chat c[5];
	struct br_net_history h;
	size_t idx[5], n;

	memset(c, 0, sizeof(c));
	c[0].chat = BOB;
	c[0].last_ts_ms = 100;
	c[1].chat = "status@broadcast";
	c[1].last_ts_ms = 999;
	c[2].chat = GROUP;
	c[2].last_ts_ms = 300;
	c[3].chat = "123456789@lid";
	c[3].last_ts_ms = 200;
	c[4].chat = "1@newsletter";
	c[4].last_ts_ms = 500;
	h.sync_type = 0;
	h.chats = c;
	h.n_chats = 5;
	n = br_history_pick(&h, -1, idx);
	REQUIRE(n == 3);
	CHECK_EQ_INT((int)idx[0], 2);
	CHECK_EQ_INT((int)idx[1], 3);
	CHECK_EQ_INT((int)idx[2], 0);
	n = br_history_pick(&h, 2, idx);
	REQUIRE(n == 2);
	CHECK_EQ_INT((int)idx[0], 2);
	CHECK_EQ_INT((int)idx[1], 3);
	CHECK_EQ_INT((int)br_history_pick(&h, 0, idx), 0);
}

TEST(backfill_count_follows_config)
{
	CHECK_EQ_INT((int)br_history_backfill_count(0, 50, 10), 0);
	CHECK_EQ_INT((int)br_history_backfill_count(1, 0, 10), 0);
	CHECK_EQ_INT((int)br_history_backfill_count(1, 50, 10), 10);
	CHECK_EQ_INT((int)br_history_backfill_count(1, 3, 10), 3);
	CHECK_EQ_INT((int)br_history_backfill_count(1, -1, 10), 0);
	CHECK_EQ_INT((int)br_history_backfill_count(1, 5, 0), 0);
}

static int64_t
count(struct db *db, const char *sql)
{
	struct db_stmt *st = NULL;
	int64_t n = -1;

	if (db_prepare(db, sql, &st) == 0 && db_step(st) == 1)
		n = db_column_int64(st, 0);
	db_stmt_free(st);
	return n;
}

TEST(store_conversations_and_messages)
{
	struct tdb t;
	struct wa_hist_sync *s = sample();
	struct br__nw_hist *x;
	const struct br_net_history *h;

	memset(&t, 0, sizeof(t));
	REQUIRE(s != NULL);
	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	REQUIRE(db_exec(t.db, "INSERT INTO \"user\" (bridge_id, mxid) "
	    "VALUES ('', '@a:x')") == 0);
	REQUIRE(db_exec(t.db, "INSERT INTO user_login (bridge_id, user_mxid, "
	    "id, remote_name, metadata) VALUES ('', '@a:x', '33600000001', "
	    "'+33600000001', '{}')") == 0);
	x = br__nw_hist_build(s, OWN, 1000);
	h = br__nw_hist_view(x);
	CHECK_EQ_INT(br_history_store(t.db, "33600000001", h), 0);
	CHECK(count(t.db, "SELECT COUNT(*) FROM "
	    "whatsapp_history_sync_conversation") == 2);
	CHECK(count(t.db, "SELECT COUNT(*) FROM whatsapp_history_sync_message")
	    == 4);
	CHECK(count(t.db, "SELECT last_message_timestamp FROM "
	    "whatsapp_history_sync_conversation WHERE chat_jid='" BOB "'")
	    == 1300);
	CHECK(count(t.db, "SELECT COUNT(*) FROM whatsapp_history_sync_"
	    "conversation WHERE chat_jid='" GROUP "' AND pinned") == 1);
	CHECK(count(t.db, "SELECT timestamp FROM whatsapp_history_sync_"
	    "message WHERE message_id='D2' AND sender_jid='" OWN "'") == 1200);
	CHECK(count(t.db, "SELECT COUNT(*) FROM whatsapp_history_sync_message "
	    "WHERE message_id='G1' AND sender_jid='" WENDY "' AND "
	    "length(data) > 10") == 1);
	/* The same blob again: nothing doubled. */
	CHECK_EQ_INT(br_history_store(t.db, "33600000001", h), 0);
	CHECK(count(t.db, "SELECT COUNT(*) FROM whatsapp_history_sync_message")
	    == 4);
	CHECK(count(t.db, "SELECT COUNT(*) FROM "
	    "whatsapp_history_sync_conversation") == 2);
	/* An unknown login: the foreign key refuses, nothing half-done. */
	CHECK(br_history_store(t.db, "999", h) != 0);
	CHECK(count(t.db, "SELECT COUNT(*) FROM "
	    "whatsapp_history_sync_conversation") == 2);
	br__nw_hist_free(x);
	wa_hist_sync_free(s);
	tdb_done(&t);
}

static int
dummy_hook(void *arg, struct br_net_login *l, const struct br_net_message *m)
{
	(void)arg;
	(void)l;
	(void)m;
	return 0;
}

TEST(community_commands_not_backfilled)
{
	struct br_bridge br;
	struct br_config cfg;
	struct br_net_message m;

	memset(&br, 0, sizeof(br));
	memset(&cfg, 0, sizeof(cfg));
	memset(&m, 0, sizeof(m));
	br.cfg = &cfg;
	cfg.community.enabled = 1;
	cfg.community.command_prefix = "!am";
	m.is_group = 1;
	m.c.kind = BR_NET_KIND_TEXT;
	m.c.text = "!am help";
	/* No hook layered on the core: an ordinary message. */
	CHECK_EQ_INT(br_history_hook_command(&br, &m), 0);
	br.hooks.wa_message = dummy_hook;
	CHECK_EQ_INT(br_history_hook_command(&br, &m), 1);
	m.c.text = "hello !am";
	CHECK_EQ_INT(br_history_hook_command(&br, &m), 0);
	m.c.text = "!am help";
	m.is_group = 0;
	CHECK_EQ_INT(br_history_hook_command(&br, &m), 0);
	m.is_group = 1;
	cfg.community.enabled = 0;
	CHECK_EQ_INT(br_history_hook_command(&br, &m), 0);
}

/* ---- a notification through br__nw_history_take ---- */

static int hist_calls;
static size_t hist_chats;
static struct br_net_login *hist_login;

static void
on_hist(void *arg, struct br_net_login *l, const struct br_net_history *h)
{
	(void)arg;
	hist_calls++;
	hist_chats = h->n_chats;
	hist_login = l;
}

static void
stop_loop(void *arg)
{
	u_loop_stop(arg);
}

/* An E2E message carrying a history sync notification with an inline
 * zlib'ed HistorySync of two chats (or, bad: type 5 without it). */
static uint8_t *
inline_notif(int bad, size_t *len)
{
	Wa__HistSync hs = WA__HIST_SYNC__INIT;
	Wa__HistConversation c1 = WA__HIST_CONVERSATION__INIT,
	    c2 = WA__HIST_CONVERSATION__INIT, *cv[2] = { &c1, &c2 };
	Wa__HistSyncNotification hn = WA__HIST_SYNC_NOTIFICATION__INIT;
	Wa__HistProtocolMessage pm = WA__HIST_PROTOCOL_MESSAGE__INIT;
	Wa__HistE2EMessage m = WA__HIST_E2_EMESSAGE__INIT;
	uint8_t *raw, *z, *out;
	uLongf zn;
	size_t n;

	c1.id = BOB;
	c2.id = GROUP;
	hs.conversations = cv;
	hs.n_conversations = 2;
	n = wa__hist_sync__get_packed_size(&hs);
	raw = malloc(n);
	wa__hist_sync__pack(&hs, raw);
	zn = compressBound((uLong)n);
	z = malloc(zn);
	if (compress(z, &zn, raw, (uLong)n) != Z_OK)
		abort();
	hn.has_initial_hist_bootstrap_inline_payload = 1;
	hn.initial_hist_bootstrap_inline_payload.data = z;
	hn.initial_hist_bootstrap_inline_payload.len = zn;
	pm.has_type = 1;
	pm.type = WA_HIST_PROTOCOL_TYPE;
	pm.history_sync_notification = bad ? NULL : &hn;
	m.protocol_message = &pm;
	*len = wa__hist_e2_emessage__get_packed_size(&m);
	out = malloc(*len);
	wa__hist_e2_emessage__pack(&m, out);
	free(raw);
	free(z);
	return out;
}

TEST(take_from_own_phone_only_and_forget)
{
	struct br_net_login *fake = (struct br_net_login *)(uintptr_t)0x1234;
	struct br_net_events evs;
	struct br__nw_hist_ctx ctx;
	struct wa_device dev;
	struct wa_msg_event ev;
	struct u_loop *loop = u_loop_new();
	uint8_t *p, *bad;
	size_t n, nb;

	memset(&evs, 0, sizeof(evs));
	evs.on_history = on_hist;
	memset(&dev, 0, sizeof(dev));
	dev.jid = "33600000001:7@s.whatsapp.net";
	memset(&ctx, 0, sizeof(ctx));
	ctx.loop = loop;
	ctx.dev = &dev;
	ctx.own_user = OWN;
	ctx.ev = &evs;
	ctx.prefix = "test";
	p = inline_notif(0, &n);
	bad = inline_notif(1, &nb);
	memset(&ev, 0, sizeof(ev));
	ev.id = "N1";
	ev.payload = p;
	ev.payload_len = n;
	/* From Bob's device: not ours to take, never a history sync. */
	REQUIRE(wa_jid_parse("33600000002:1@s.whatsapp.net", &ev.sender) == 0);
	CHECK_EQ_INT(br__nw_history_take(fake, &ctx, &ev), 0);
	/* From our phone (a peer message: from_me is not set). */
	REQUIRE(wa_jid_parse("33600000001:1@s.whatsapp.net", &ev.sender) == 0);
	CHECK_EQ_INT(br__nw_history_take(fake, &ctx, &ev), 1);
	/* Handed over in a later loop turn, not from inside take. */
	CHECK_EQ_INT(hist_calls, 0);
	u_loop_defer(loop, stop_loop, loop);
	u_loop_run(loop);
	CHECK_EQ_INT(hist_calls, 1);
	CHECK_EQ_INT((int)hist_chats, 2);
	CHECK(hist_login == fake);
	/* The login goes away before the turn: no callback, nothing
	 * leaked. */
	CHECK_EQ_INT(br__nw_history_take(fake, &ctx, &ev), 1);
	br__nw_history_forget(fake);
	u_loop_defer(loop, stop_loop, loop);
	u_loop_run(loop);
	CHECK_EQ_INT(hist_calls, 1);
	/* Unusable: taken (acked) and dropped. */
	ev.payload = bad;
	ev.payload_len = nb;
	CHECK_EQ_INT(br__nw_history_take(fake, &ctx, &ev), 1);
	u_loop_defer(loop, stop_loop, loop);
	u_loop_run(loop);
	CHECK_EQ_INT(hist_calls, 1);
	free(p);
	free(bad);
	u_loop_free(loop);
}

/* ---- H20: a notification is kept until handled ---- */

/* An E2E message with a notification to download (no inline blob). */
static uint8_t *
ref_notif(size_t *len)
{
	static uint8_t key[32] = { 1, 2, 3 };
	Wa__HistSyncNotification hn = WA__HIST_SYNC_NOTIFICATION__INIT;
	Wa__HistProtocolMessage pm = WA__HIST_PROTOCOL_MESSAGE__INIT;
	Wa__HistE2EMessage m = WA__HIST_E2_EMESSAGE__INIT;
	uint8_t *out;

	hn.has_media_key = 1;
	hn.media_key.data = key;
	hn.media_key.len = sizeof(key);
	hn.direct_path = "/v/t62.1-24/hist";
	pm.has_type = 1;
	pm.type = WA_HIST_PROTOCOL_TYPE;
	pm.history_sync_notification = &hn;
	m.protocol_message = &pm;
	*len = wa__hist_e2_emessage__get_packed_size(&m);
	out = malloc(*len);
	wa__hist_e2_emessage__pack(&m, out);
	return out;
}

#define NOTIF_ROWS "SELECT COUNT(*) FROM whatsapp_history_sync_notification"

static void
run_turn(struct u_loop *loop)
{
	u_loop_defer(loop, stop_loop, loop);
	u_loop_run(loop);
}

TEST(notification_kept_until_handled_across_restart)
{
	struct br_net_login *fake = (struct br_net_login *)(uintptr_t)0x1234;
	struct br_net_login *fake2 = (struct br_net_login *)(uintptr_t)0x5678;
	struct br_net_events evs;
	struct br__nw_hist_ctx ctx;
	struct wa_device dev;
	struct wa_msg_event ev;
	struct u_loop *loop = u_loop_new();
	struct tdb t;
	uint8_t *p, *pr;
	size_t n, nr;

	memset(&t, 0, sizeof(t));
	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	REQUIRE(db_exec(t.db, "INSERT INTO \"user\" (bridge_id, mxid) "
	    "VALUES ('', '@a:x')") == 0);
	REQUIRE(db_exec(t.db, "INSERT INTO user_login (bridge_id, user_mxid, "
	    "id, remote_name, metadata) VALUES ('', '@a:x', '33600000001', "
	    "'+33600000001', '{}')") == 0);
	hist_calls = 0;
	memset(&evs, 0, sizeof(evs));
	evs.on_history = on_hist;
	memset(&dev, 0, sizeof(dev));
	dev.jid = "33600000001:7@s.whatsapp.net";
	memset(&ctx, 0, sizeof(ctx));
	ctx.loop = loop;
	ctx.dev = &dev;
	ctx.own_user = OWN;
	ctx.ev = &evs;
	ctx.prefix = "test";
	ctx.db = t.db;
	ctx.login_id = "33600000001";
	p = inline_notif(0, &n);
	pr = ref_notif(&nr);
	memset(&ev, 0, sizeof(ev));
	ev.id = "N1";
	ev.payload = p;
	ev.payload_len = n;
	REQUIRE(wa_jid_parse("33600000001:1@s.whatsapp.net", &ev.sender) == 0);

	/* Stored when taken (before the caller acks), deleted once the
	 * core had it. */
	CHECK_EQ_INT(br__nw_history_take(fake, &ctx, &ev), 1);
	CHECK(count(t.db, NOTIF_ROWS) == 1);
	CHECK(count(t.db, "SELECT COUNT(*) FROM whatsapp_history_sync_"
	    "notification WHERE bridge_id='' AND user_login_id='33600000001'"
	    " AND length(data) > 10") == 1);
	run_turn(loop);
	CHECK_EQ_INT(hist_calls, 1);
	CHECK(count(t.db, NOTIF_ROWS) == 0);

	/* Stopped before it was handled: the row stays. */
	CHECK_EQ_INT(br__nw_history_take(fake, &ctx, &ev), 1);
	br__nw_history_forget(fake);
	run_turn(loop);
	CHECK_EQ_INT(hist_calls, 1);
	CHECK(count(t.db, NOTIF_ROWS) == 1);
	/* A blob that cannot be fetched now (no media client): kept. */
	ev.id = "N2";
	ev.payload = pr;
	ev.payload_len = nr;
	CHECK_EQ_INT(br__nw_history_take(fake, &ctx, &ev), 1);
	run_turn(loop);
	CHECK_EQ_INT(hist_calls, 1);
	CHECK(count(t.db, NOTIF_ROWS) == 2);
	br__nw_history_forget(fake);

	/* "Restart": a new connection to the same database, a new loop and
	 * login; resume handles the stored inline one (and deletes it), the
	 * one still not fetchable stays. */
	tdb_close(&t);
	u_loop_free(loop);
	loop = u_loop_new();
	REQUIRE(tdb_open(&t, NULL) == 0);
	ctx.db = t.db;
	ctx.loop = loop;
	CHECK(count(t.db, NOTIF_ROWS) == 2);
	br__nw_history_resume(fake2, &ctx);
	CHECK_EQ_INT(hist_calls, 1);	/* in a later turn */
	run_turn(loop);
	CHECK_EQ_INT(hist_calls, 1 + 1);
	CHECK((int)hist_chats == 2);
	CHECK(hist_login == fake2);
	CHECK(count(t.db, NOTIF_ROWS) == 1);
	CHECK(count(t.db, "SELECT COUNT(*) FROM whatsapp_history_sync_"
	    "notification WHERE length(data) > 40") == 1);

	/* A row already being handled is not started twice. */
	ev.id = "N3";
	ev.payload = p;
	ev.payload_len = n;
	CHECK_EQ_INT(br__nw_history_take(fake2, &ctx, &ev), 1);
	CHECK(count(t.db, NOTIF_ROWS) == 2);
	br__nw_history_resume(fake2, &ctx);
	run_turn(loop);
	CHECK_EQ_INT(hist_calls, 3);
	CHECK(count(t.db, NOTIF_ROWS) == 1);

	/* A stored row that does not parse is deleted. */
	{
		static const uint8_t junk[] = { 0x01 };
		struct db_stmt *st = NULL;

		/* A bound blob: the literal syntax differs per backend. */
		REQUIRE(db_prepare(t.db, "INSERT INTO "
		    "whatsapp_history_sync_notification (bridge_id, "
		    "user_login_id, data) VALUES ('', '33600000001', $1)",
		    &st) == 0);
		REQUIRE(db_bind_blob(st, 1, junk, sizeof(junk)) == 0);
		REQUIRE(db_stmt_exec(st) == 0);
		db_stmt_free(st);
	}
	CHECK(count(t.db, NOTIF_ROWS) == 2);
	br__nw_history_resume(fake2, &ctx);
	run_turn(loop);
	CHECK_EQ_INT(hist_calls, 3);
	CHECK(count(t.db, NOTIF_ROWS) == 1);

	/* An unknown login: not kept (the foreign key refuses) but still
	 * handled, and the caller's transaction is not spoiled. */
	ctx.login_id = "999";
	REQUIRE(db_begin(t.db) == 0);
	REQUIRE(db_exec(t.db, "INSERT INTO \"user\" (bridge_id, mxid) "
	    "VALUES ('', '@b:x')") == 0);
	CHECK_EQ_INT(br__nw_history_take(fake2, &ctx, &ev), 1);
	CHECK_EQ_INT(db_commit(t.db), 0);
	CHECK(count(t.db, "SELECT COUNT(*) FROM \"user\" WHERE "
	    "mxid='@b:x'") == 1);
	run_turn(loop);
	CHECK_EQ_INT(hist_calls, 4);
	CHECK(count(t.db, NOTIF_ROWS) == 1);

	br__nw_history_forget(fake2);
	run_turn(loop);
	free(p);
	free(pr);
	u_loop_free(loop);
	tdb_done(&t);
}

TEST(pn_lid_mappings_name_senders)
{
	Wa__HistSync hs = WA__HIST_SYNC__INIT;
	Wa__HistConversation c1 = WA__HIST_CONVERSATION__INIT,
	    c2 = WA__HIST_CONVERSATION__INIT, *cv[2] = { &c1, &c2 };
	Wa__HistSyncMsg m1 = WA__HIST_SYNC_MSG__INIT, *mp1[1] = { &m1 };
	Wa__HistSyncMsg m2 = WA__HIST_SYNC_MSG__INIT, *mp2[1] = { &m2 };
	Wa__HistPnLid map = WA__HIST_PN_LID__INIT, *mapp[1] = { &map };
	struct wa_hist_sync *s = NULL;
	struct br__nw_hist *x;
	const struct br_net_history *h;
	uint8_t *p;
	size_t n;

	/* A DM named by LID and a group message from a LID participant;
	 * the blob maps that LID to Bob's number. */
	m1.has_message = 1;
	m1.message = wmi("777@lid", "L1", 0, NULL, 10, NULL, "lid dm", 0);
	m2.has_message = 1;
	m2.message = wmi(GROUP, "L2", 0, "777:3@lid", 11, NULL, "lid grp",
	    0);
	c1.id = "777@lid";
	c1.messages = mp1;
	c1.n_messages = 1;
	c2.id = GROUP;
	c2.messages = mp2;
	c2.n_messages = 1;
	map.pn_jid = BOB;
	map.lid_jid = "777@lid";
	hs.conversations = cv;
	hs.n_conversations = 2;
	hs.phone_number_to_lid_mappings = mapp;
	hs.n_phone_number_to_lid_mappings = 1;
	n = wa__hist_sync__get_packed_size(&hs);
	p = malloc(n);
	wa__hist_sync__pack(&hs, p);
	REQUIRE(wa_hist_sync_parse(p, n, &s) == 0);
	CHECK_EQ_INT((int)s->n_pnlids, 1);
	x = br__nw_hist_build(s, OWN, 1000);
	h = br__nw_hist_view(x);
	REQUIRE(h->n_chats == 2);
	CHECK_EQ_STR(h->chats[0].chat, BOB);
	REQUIRE(h->chats[0].n_msgs == 1);
	CHECK_EQ_STR(h->chats[0].msgs[0].sender, BOB);
	REQUIRE(h->chats[1].n_msgs == 1);
	CHECK_EQ_STR(h->chats[1].msgs[0].sender, BOB);
	br__nw_hist_free(x);
	wa_hist_sync_free(s);
	free(m1.message.data);
	free(m2.message.data);
	free(p);
}

/* An image message's WebMessageInfo (media key and path: fetchable). */
static ProtobufCBinaryData
wmi_image(const char *id, uint64_t ts)
{
	Wa__HistWebMessageInfo w = WA__HIST_WEB_MESSAGE_INFO__INIT;
	Wa__HistMessageKey k = WA__HIST_MESSAGE_KEY__INIT;
	Wa__E2EMessage e = WA__E2_EMESSAGE__INIT;
	Wa__E2EImageMessage im = WA__E2_EIMAGE_MESSAGE__INIT;
	static uint8_t key[32], sha[32];
	ProtobufCBinaryData out;
	uint8_t buf[512];

	im.mimetype = "image/png";
	im.has_media_key = 1;
	im.media_key.data = key;
	im.media_key.len = 32;
	im.has_file_sha256 = 1;
	im.file_sha256.data = sha;
	im.file_sha256.len = 32;
	im.direct_path = "/v/t62/x.enc";
	e.image_message = &im;
	k.remote_jid = BOB;
	k.id = (char *)id;
	w.key = &k;
	w.has_message_timestamp = 1;
	w.message_timestamp = ts;
	w.has_message = 1;
	w.message.len = wa__e2_emessage__pack(&e, buf);
	w.message.data = buf;
	out.len = wa__hist_web_message_info__get_packed_size(&w);
	out.data = malloc(out.len);
	wa__hist_web_message_info__pack(&w, out.data);
	return out;
}

TEST(media_of_the_backfilled_messages_only)
{
	Wa__HistSync hs = WA__HIST_SYNC__INIT;
	Wa__HistConversation c = WA__HIST_CONVERSATION__INIT, *cv[1] = { &c };
	Wa__HistSyncMsg m[3], *mp[3];
	struct wa_hist_sync *s = NULL;
	struct br__nw_hist *x;
	const struct br_net_history *h;
	struct br__nw_msg *nm;
	size_t ci = 0, mi = 0, i, n;
	uint8_t *p;

	for (i = 0; i < 3; i++) {
		wa__hist_sync_msg__init(&m[i]);
		m[i].has_message = 1;
		mp[i] = &m[i];
	}
	m[0].message = wmi_image("IMG2", 300);
	m[1].message = wmi(BOB, "TXT", 0, NULL, 200, NULL, "text", 0);
	m[2].message = wmi_image("IMG1", 100);
	c.id = BOB;
	c.messages = mp;
	c.n_messages = 3;
	hs.conversations = cv;
	hs.n_conversations = 1;
	n = wa__hist_sync__get_packed_size(&hs);
	p = malloc(n);
	wa__hist_sync__pack(&hs, p);
	REQUIRE(wa_hist_sync_parse(p, n, &s) == 0);
	x = br__nw_hist_build(s, OWN, 1000);
	/* Backfilling the last 2: only IMG2 is fetched. */
	nm = br__nw_hist_media_next(x, 2, &ci, &mi);
	REQUIRE(nm != NULL);
	CHECK_EQ_STR(nm->id, "IMG2");
	CHECK(br__nw_hist_media_next(x, 2, &ci, &mi) == NULL);
	/* The last 3: IMG1 then IMG2. */
	ci = mi = 0;
	nm = br__nw_hist_media_next(x, 3, &ci, &mi);
	REQUIRE(nm != NULL);
	CHECK_EQ_STR(nm->id, "IMG1");
	nm = br__nw_hist_media_next(x, 3, &ci, &mi);
	REQUIRE(nm != NULL);
	CHECK_EQ_STR(nm->id, "IMG2");
	CHECK(br__nw_hist_media_next(x, 3, &ci, &mi) == NULL);
	/* Nothing when backfill is off. */
	ci = mi = 0;
	CHECK(br__nw_hist_media_next(x, 0, &ci, &mi) == NULL);
	/* What was not fetched goes with media_error. */
	br__nw_hist_media_fail(x);
	h = br__nw_hist_view(x);
	REQUIRE(h->n_chats == 1 && h->chats[0].n_msgs == 3);
	CHECK_EQ_INT((int)h->chats[0].msgs[0].c.kind, (int)BR_NET_KIND_IMAGE);
	CHECK(h->chats[0].msgs[0].c.media_error != 0);
	CHECK(h->chats[0].msgs[0].c.data == NULL);
	ci = mi = 0;
	CHECK(br__nw_hist_media_next(x, 3, &ci, &mi) == NULL);
	br__nw_hist_free(x);
	wa_hist_sync_free(s);
	for (i = 0; i < 3; i++)
		free(m[i].message.data);
	free(p);
}

TEST_MAIN()
