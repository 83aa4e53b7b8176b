/*
 * Tests for bridge/net_wa.c without a server: client states become
 * mautrix-whatsapp's bridge states and error codes, device JIDs become
 * login IDs, phone numbers are checked as bridgev2 + whatsmeow do, and
 * stored user_login rows are loaded (sorted per user; a row without a
 * stored session is reported BAD_CREDENTIALS wa-not-logged-in and not
 * connected); logging out an unconnected login deletes its row and
 * session and reports it gone after the loop turn.  The live flows
 * (QR, pairing code, reconnect, remote logout) run against wasim in
 * test/suites/56-bridge-login.sh.
 */
#include <string.h>

#include "bridge/net.h"
#include "bridge/net_wa.h"
#include "bridge/store.h"
#include "bridge/wa_store_db.h"
#include "test/unit/db/dbtest.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/store.h"

TEST(test_br_net_wa_state_map_as_upstream)
{
	struct br_net_state s;

	CHECK_EQ_INT(br__net_wa_state_map(WA_STATE_IDLE, "", &s), -1);
	REQUIRE(br__net_wa_state_map(WA_STATE_CONNECTING, "", &s) == 0);
	CHECK_EQ_INT(s.event, BR_NET_CONNECTING);
	CHECK(s.error == NULL);
	REQUIRE(br__net_wa_state_map(WA_STATE_CONNECTED, "", &s) == 0);
	CHECK_EQ_INT(s.event, BR_NET_CONNECTED);
	REQUIRE(br__net_wa_state_map(WA_STATE_WAIT_RECONNECT,
	    "server closed the stream", &s) == 0);
	CHECK_EQ_INT(s.event, BR_NET_TRANSIENT_DISCONNECT);
	CHECK_EQ_STR(s.error, "wa-transient-disconnect");
	REQUIRE(br__net_wa_state_map(WA_STATE_WAIT_RECONNECT,
	    "keepalive timeout", &s) == 0);
	CHECK_EQ_STR(s.error, "wa-keepalive-timeout");
	REQUIRE(br__net_wa_state_map(WA_STATE_LOGGED_OUT, "401", &s) == 0);
	CHECK_EQ_INT(s.event, BR_NET_BAD_CREDENTIALS);
	CHECK_EQ_STR(s.error, "wa-logged-out");
	CHECK(s.message != NULL && strstr(s.message, "Relogin") != NULL);
	REQUIRE(br__net_wa_state_map(WA_STATE_CLIENT_OUTDATED, "405", &s) == 0);
	CHECK_EQ_INT(s.event, BR_NET_UNKNOWN_ERROR);
	CHECK_EQ_STR(s.error, "wa-client-outdated");
	CHECK_EQ_STR(s.message,
	    "Connect failure: 405 client outdated. Bridge must be updated.");
	REQUIRE(br__net_wa_state_map(WA_STATE_STREAM_REPLACED, "", &s) == 0);
	CHECK_EQ_INT(s.event, BR_NET_UNKNOWN_ERROR);
	CHECK_EQ_STR(s.error, "wa-stream-replaced");
	REQUIRE(br__net_wa_state_map(WA_STATE_BANNED, "402", &s) == 0);
	CHECK_EQ_INT(s.event, BR_NET_BAD_CREDENTIALS);
	CHECK_EQ_STR(s.error, "wa-temporary-ban");
	REQUIRE(br__net_wa_state_map(WA_STATE_PAIR_TIMEOUT, "", &s) == 0);
	CHECK_EQ_STR(s.error, "wa-not-logged-in");
	CHECK_EQ_STR(br_net_state_event_name(BR_NET_TRANSIENT_DISCONNECT),
	    "TRANSIENT_DISCONNECT");
	CHECK_EQ_STR(br_net_state_event_name(BR_NET_STATE_COUNT_),
	    "UNKNOWN_ERROR");
}

TEST(test_br_net_wa_jid_to_login_id)
{
	char id[BR_NET_WA_ID_MAX + 1];
	unsigned dev = 99;

	REQUIRE(br__net_wa_jid_login("33612345678:12@s.whatsapp.net", id,
	    &dev) == 0);
	CHECK_EQ_STR(id, "33612345678");
	CHECK_EQ_INT(dev, 12);
	REQUIRE(br__net_wa_jid_login("4915123456789@s.whatsapp.net", id,
	    &dev) == 0);
	CHECK_EQ_STR(id, "4915123456789");
	CHECK_EQ_INT(dev, 0);
	REQUIRE(br__net_wa_jid_login("33612345678.1:3@s.whatsapp.net", id,
	    &dev) == 0);
	CHECK_EQ_INT(dev, 3);
	CHECK(br__net_wa_jid_login("100000000000009:4@lid", id, &dev) != 0);
	CHECK(br__net_wa_jid_login(":4@s.whatsapp.net", id, &dev) != 0);
	CHECK(br__net_wa_jid_login("336:70000@s.whatsapp.net", id, &dev) != 0);
	CHECK(br__net_wa_jid_login("336:@s.whatsapp.net", id, &dev) != 0);
	CHECK(br__net_wa_jid_login("123456789012345678901@s.whatsapp.net", id,
	    &dev) != 0);
	CHECK(br__net_wa_jid_login("0336@s.whatsapp.net", id, &dev) != 0);
}

TEST(test_br_net_phone_clean_as_bridgev2_and_whatsmeow)
{
	char out[BR_NET_PHONE_MAX + 1];

	REQUIRE(br_net_phone_clean("+33 6 12-34-56 (78)", out) == 0);
	CHECK_EQ_STR(out, "33612345678");
	CHECK_EQ_INT(br_net_phone_clean("33612345678", out),
	    BR_ERR_NET_PHONE_INTL);		/* no '+' */
	CHECK_EQ_INT(br_net_phone_clean("+0612345678", out),
	    BR_ERR_NET_PHONE_INTL);		/* national */
	CHECK_EQ_INT(br_net_phone_clean("+336 12a", out),
	    BR_ERR_NET_PHONE_INTL);
	CHECK_EQ_INT(br_net_phone_clean("+123456", out),
	    BR_ERR_NET_PHONE_SHORT);
	CHECK_EQ_INT(br_net_phone_clean("++33612345678", out),
	    BR_ERR_NET_PHONE_INTL);
	CHECK_EQ_INT(br_net_phone_clean("+123456789012345678901", out),
	    BR_ERR_NET_PHONE_INTL);		/* over BR_NET_PHONE_MAX */
	CHECK_EQ_STR(br_net_strerror(BR_ERR_NET_PHONE_SHORT),
	    "Phone number too short");
}

/* ---- stored logins ---- */

struct rec {
	struct u_loop	*loop;
	struct br_net	*net;
	int		 states, gone;
	char		 last_error[64];
	char		 gone_id[32];
};

static void
rec_state(void *arg, struct br_net_login *l, const struct br_net_state *st)
{
	struct rec *r = arg;

	r->states++;
	snprintf(r->last_error, sizeof(r->last_error), "%s %s",
	    br_net_state_event_name(st->event), st->error ? st->error : "-");
}

static void
rec_gone(void *arg, struct br_net_login *l)
{
	struct rec *r = arg;

	r->gone++;
	snprintf(r->gone_id, sizeof(r->gone_id), "%s",
	    r->net->ops->info(l)->id);
	u_loop_stop(r->loop);
}

static int
add_login(struct db *db, const char *mxid, const char *id, int dev)
{
	struct br_user u = { (char *)mxid, NULL, NULL };
	struct br_login l;
	int r;

	memset(&l, 0, sizeof(l));
	r = br_store_user_insert(db, &u);
	if (r != 0 && r != DB_ERR_CONSTRAINT)
		return r;
	l.id = (char *)id;
	l.user_mxid = (char *)mxid;
	l.remote_name = u_asprintf("+%s", id);
	l.metadata = json_pack("{s:i}", "wa_device_id", dev);
	r = br_store_login_insert(db, &l);
	free(l.remote_name);
	json_decref(l.metadata);
	return r;
}

static int
add_device(struct db *db, const char *jid)
{
	struct wa_device d;
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = wa_device_generate(&d)) != 0)
		return r;
	d.jid = u_strdup(jid);
	d.adv_details = u_memdup("\x08\x2a\x18\x03", 4);
	d.adv_details_len = 4;
	memset(d.adv_account_sig_key, 0xa2, WA_KEY_LEN);
	d.platform = u_strdup("android");
	r = br_wa_store_db_ops.device_save(db, &d);
	wa_device_clear(&d);
	return r;
}

TEST(test_br_net_wa_loads_rows_and_logs_out_offline)
{
	struct tdb t;
	struct rec rc;
	struct br_net_events ev = { .on_state = rec_state,
	    .on_login_gone = rec_gone, .arg = &rc };
	/* A loopback port nothing listens on: the loaded login with a
	 * session tries and fails to connect, which is fine here. */
	struct br_net_wa_opts o = { .url = "ws://127.0.0.1:9/ws/chat",
	    .backoff_base_ms = 60000 };
	struct br_net_login *v[8];
	struct br_login *row = NULL;
	struct wa_device d;
	size_t n;

	memset(&rc, 0, sizeof(rc));
	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	REQUIRE(add_login(t.db, "@bob:hs", "4915123456789", 7) == 0);
	REQUIRE(add_login(t.db, "@bob:hs", "33612345678", 3) == 0);
	REQUIRE(add_login(t.db, "@carol:hs", "447700900123", 2) == 0);
	/* Only 33612345678 has its whatsmeow session. */
	REQUIRE(add_device(t.db, "33612345678:3@s.whatsapp.net") == 0);

	rc.loop = u_loop_new();
	REQUIRE(br_net_wa_new(rc.loop, NULL, t.db, &o, &ev, &rc.net) == 0);
	REQUIRE(rc.net->ops->start(rc.net) == 0);
	/* Messages are wired; a login not connected refuses to send
	 * (no callback) and has nothing to mark read. */
	REQUIRE(rc.net->ops->send != NULL);
	REQUIRE(rc.net->ops->message_done != NULL);
	{
		struct br_net_content c;

		memset(&c, 0, sizeof(c));
		c.kind = BR_NET_KIND_TEXT;
		c.text = "hi";
		CHECK_EQ_INT(rc.net->ops->send(rc.net->ops->login_get(rc.net,
		    "33612345678"), "33600000002@s.whatsapp.net", &c, NULL,
		    NULL), BR_ERR_NET_FAILED);
	}

	n = rc.net->ops->logins_of(rc.net, "@bob:hs", v, 8);
	REQUIRE(n == 2);
	CHECK_EQ_STR(rc.net->ops->info(v[0])->id, "33612345678");
	CHECK_EQ_STR(rc.net->ops->info(v[0])->remote_name, "+33612345678");
	CHECK_EQ_STR(rc.net->ops->info(v[1])->id, "4915123456789");
	/* No session: reported, not connected. */
	CHECK_EQ_INT(rc.net->ops->info(v[1])->state.event,
	    BR_NET_BAD_CREDENTIALS);
	CHECK_EQ_STR(rc.net->ops->info(v[1])->state.error, "wa-not-logged-in");
	CHECK(rc.net->ops->login_get(rc.net, "447700900123") != NULL);
	CHECK(rc.net->ops->login_get(rc.net, "999") == NULL);
	CHECK_EQ_INT(rc.net->ops->logins_of(rc.net, "@nobody:hs", v, 8), 0);
	CHECK(rc.states >= 2);

	/* Logout of the login that has a session, not connected: the row
	 * and the session go, on_login_gone comes after the loop turn. */
	n = rc.net->ops->logins_of(rc.net, "@bob:hs", v, 8);
	REQUIRE(rc.net->ops->logout(v[0]) == 0);
	CHECK_EQ_INT(rc.gone, 0);
	u_loop_run(rc.loop);
	CHECK_EQ_INT(rc.gone, 1);
	CHECK_EQ_STR(rc.gone_id, "33612345678");
	CHECK_EQ_INT(br_store_login_get(t.db, "33612345678", &row),
	    U_ERR_NOT_FOUND);
	memset(&d, 0, sizeof(d));
	CHECK_EQ_INT(br_wa_store_db_ops.device_load(t.db,
	    "33612345678:3@s.whatsapp.net", &d), U_ERR_NOT_FOUND);
	CHECK(rc.net->ops->login_get(rc.net, "33612345678") == NULL);
	CHECK_EQ_INT(rc.net->ops->logins_of(rc.net, "@bob:hs", v, 8), 1);
	REQUIRE(br_store_login_get(t.db, "4915123456789", &row) == 0);
	br_login_free(row);

	rc.net->ops->free(rc.net);
	/* free reported the remaining two. */
	CHECK_EQ_INT(rc.gone, 3);
	u_loop_free(rc.loop);
	tdb_done(&t);
}

TEST(test_br_net_wa_bad_metadata_row_skipped)
{
	struct tdb t;
	struct u_loop *loop = u_loop_new();
	struct br_net *net = NULL;
	struct br_net_login *v[4];
	struct br_login l;
	struct br_user u = { "@dan:hs", NULL, NULL };
	struct br_net_wa_opts o = { .url = "ws://127.0.0.1:9/ws/chat" };

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_upgrade(t.db) == 0);
	REQUIRE(br_store_user_insert(t.db, &u) == 0);
	memset(&l, 0, sizeof(l));
	l.id = "33600000001";
	l.user_mxid = "@dan:hs";
	l.remote_name = "+33600000001";
	l.metadata = json_pack("{s:s}", "wa_device_id", "seven");
	REQUIRE(br_store_login_insert(t.db, &l) == 0);
	json_decref(l.metadata);
	REQUIRE(br_net_wa_new(loop, NULL, t.db, &o, NULL, &net) == 0);
	/* The bad row is skipped (logged), not fatal. */
	CHECK_EQ_INT(net->ops->start(net), 0);
	CHECK_EQ_INT(net->ops->logins_of(net, "@dan:hs", v, 4), 0);
	net->ops->free(net);
	u_loop_free(loop);
	tdb_done(&t);
}

TEST_MAIN()
