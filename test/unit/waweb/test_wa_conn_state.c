/* Tests for waweb/conn_state.c: what stream errors and login failures lead
 * to, the legal state transitions, and the reconnect backoff. */
#include "test/unit/test.h"
#include "waweb/conn_int.h"

TEST(test_wa_conn_stream_error_515_reconnects_at_once)
{
	struct wa__disconnect d;

	wa__classify_stream_error("515", NULL, &d);
	CHECK_EQ_INT(d.next, WA_STATE_WAIT_RECONNECT);
	CHECK_EQ_INT(d.immediate, 1);
	CHECK_EQ_INT(d.wipe_session, 0);
}

TEST(test_wa_conn_stream_error_401_logs_out_and_wipes)
{
	struct wa__disconnect d;

	wa__classify_stream_error("401", "device_removed", &d);
	CHECK_EQ_INT(d.next, WA_STATE_LOGGED_OUT);
	CHECK_EQ_INT(d.wipe_session, 1);
	CHECK(wa_state_is_terminal(d.next));
	wa__classify_stream_error("401", NULL, &d);
	CHECK_EQ_INT(d.next, WA_STATE_LOGGED_OUT);
}

TEST(test_wa_conn_stream_error_conflict_replaced)
{
	struct wa__disconnect d;

	wa__classify_stream_error(NULL, "replaced", &d);
	CHECK_EQ_INT(d.next, WA_STATE_STREAM_REPLACED);
	CHECK_EQ_INT(d.wipe_session, 0);
	CHECK(wa_state_is_terminal(d.next));
}

TEST(test_wa_conn_stream_error_503_and_unknown_reconnect_with_backoff)
{
	struct wa__disconnect d;

	wa__classify_stream_error("503", NULL, &d);
	CHECK_EQ_INT(d.next, WA_STATE_WAIT_RECONNECT);
	CHECK_EQ_INT(d.immediate, 0);
	wa__classify_stream_error("999", "", &d);
	CHECK_EQ_INT(d.next, WA_STATE_WAIT_RECONNECT);
	CHECK_EQ_INT(d.immediate, 0);
}

TEST(test_wa_conn_stream_error_405_is_client_outdated)
{
	struct wa__disconnect d;

	wa__classify_stream_error("405", NULL, &d);
	CHECK_EQ_INT(d.next, WA_STATE_CLIENT_OUTDATED);
	CHECK_EQ_INT(d.wipe_session, 0);
	CHECK(wa_state_is_terminal(d.next));
}

TEST(test_wa_conn_failure_codes)
{
	struct wa__disconnect d;

	wa__classify_failure(405, &d);
	CHECK_EQ_INT(d.next, WA_STATE_CLIENT_OUTDATED);
	CHECK_EQ_INT(d.wipe_session, 0);
	CHECK(d.reason != NULL && strstr(d.reason, "version") != NULL);
	wa__classify_failure(401, &d);
	CHECK_EQ_INT(d.next, WA_STATE_LOGGED_OUT);
	CHECK_EQ_INT(d.wipe_session, 1);
	wa__classify_failure(403, &d);
	CHECK_EQ_INT(d.wipe_session, 1);
	wa__classify_failure(406, &d);
	CHECK_EQ_INT(d.next, WA_STATE_LOGGED_OUT);
	wa__classify_failure(402, &d);
	CHECK_EQ_INT(d.next, WA_STATE_BANNED);
	CHECK_EQ_INT(d.wipe_session, 0);
	wa__classify_failure(503, &d);
	CHECK_EQ_INT(d.next, WA_STATE_WAIT_RECONNECT);
	wa__classify_failure(12345, &d);
	CHECK_EQ_INT(d.next, WA_STATE_WAIT_RECONNECT);
}

TEST(test_wa_conn_transitions)
{
	CHECK(wa__state_transition_ok(WA_STATE_IDLE, WA_STATE_CONNECTING));
	CHECK(wa__state_transition_ok(WA_STATE_CONNECTING, WA_STATE_PAIRING));
	CHECK(wa__state_transition_ok(WA_STATE_CONNECTING, WA_STATE_LOGGING_IN));
	CHECK(wa__state_transition_ok(WA_STATE_LOGGING_IN, WA_STATE_CONNECTED));
	CHECK(wa__state_transition_ok(WA_STATE_CONNECTED, WA_STATE_WAIT_RECONNECT));
	CHECK(wa__state_transition_ok(WA_STATE_WAIT_RECONNECT, WA_STATE_CONNECTING));
	CHECK(wa__state_transition_ok(WA_STATE_PAIRING, WA_STATE_PAIR_TIMEOUT));
	CHECK(wa__state_transition_ok(WA_STATE_CONNECTED, WA_STATE_LOGGED_OUT));
	CHECK(wa__state_transition_ok(WA_STATE_LOGGED_OUT, WA_STATE_IDLE));
	/* Never connected without logging in; never out of a terminal state
	 * except through IDLE; no self-transitions. */
	CHECK(!wa__state_transition_ok(WA_STATE_CONNECTING, WA_STATE_CONNECTED));
	CHECK(!wa__state_transition_ok(WA_STATE_PAIRING, WA_STATE_CONNECTED));
	CHECK(!wa__state_transition_ok(WA_STATE_LOGGED_OUT, WA_STATE_CONNECTING));
	CHECK(!wa__state_transition_ok(WA_STATE_CLIENT_OUTDATED, WA_STATE_CONNECTING));
	CHECK(!wa__state_transition_ok(WA_STATE_CONNECTED, WA_STATE_CONNECTED));
	CHECK(!wa__state_transition_ok(WA_STATE_CONNECTED, WA_STATE_PAIR_TIMEOUT));
	CHECK(!wa__state_transition_ok(WA_STATE_COUNT_, WA_STATE_IDLE));
}

TEST(test_wa_conn_state_names)
{
	CHECK_EQ_STR(wa_state_name(WA_STATE_CONNECTED), "CONNECTED");
	CHECK_EQ_STR(wa_state_name(WA_STATE_CLIENT_OUTDATED), "CLIENT_OUTDATED");
	CHECK_EQ_STR(wa_state_name((enum wa_state)99), "?");
}

TEST(test_wa_conn_backoff_grows_with_jitter_and_caps)
{
	uint64_t d;
	unsigned i, a;

	for (i = 0; i < 200; i++) {
		d = wa__reconnect_delay(0, 1000, 120000);
		CHECK(d >= 800 && d <= 1200);
		d = wa__reconnect_delay(3, 1000, 120000);
		CHECK(d >= 6400 && d <= 9600);
		d = wa__reconnect_delay(40, 1000, 120000);
		CHECK(d >= 96000 && d <= 144000);
	}
	/* Defaults when the options say 0. */
	d = wa__reconnect_delay(0, 0, 0);
	CHECK(d >= WA_BACKOFF_BASE_MS * 8 / 10 && d <= WA_BACKOFF_BASE_MS * 12 / 10);
	/* Jitter really varies. */
	for (a = 0, i = 0; i < 50; i++)
		a |= wa__reconnect_delay(5, 1000, 120000) != wa__reconnect_delay(5, 1000, 120000);
	CHECK(a);
}

TEST_MAIN()
