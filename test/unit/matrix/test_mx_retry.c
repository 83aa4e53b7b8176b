/* Tests for matrix/http.c: retry decisions (429, 5xx, network errors,
 * idempotency) and backoff bounds. */
#include "matrix/mx_int.h"
#include "test/unit/test.h"

TEST(test_mx_retry_429_uses_retry_after_ms_then_header)
{
	uint64_t d = 0;
	json_t *b = json_pack("{s:s,s:i}", "errcode", "M_LIMIT_EXCEEDED",
	    "retry_after_ms", 1234);

	CHECK(mx__retry_decide(MX_NET_OK, 429, 0, "9", b, 0, 500, &d));
	CHECK_EQ_INT(d, 1234);
	json_decref(b);
	CHECK(mx__retry_decide(MX_NET_OK, 429, 0, "3", NULL, 0, 500, &d));
	CHECK_EQ_INT(d, 3000);
	CHECK(mx__retry_decide(MX_NET_OK, 429, 0, "100000", NULL, 0, 500, &d));
	CHECK_EQ_INT(d, MX_RETRY_AFTER_MAX_MS);
	CHECK(mx__retry_decide(MX_NET_OK, 429, 0, NULL, NULL, 0, 500, &d));
	CHECK(d >= 400 && d <= 600);
}

TEST(test_mx_retry_5xx_only_when_idempotent)
{
	uint64_t d = 0;

	CHECK(mx__retry_decide(MX_NET_OK, 502, 1, NULL, NULL, 2, 500, &d));
	CHECK(d >= 1600 && d <= 2400);
	CHECK(!mx__retry_decide(MX_NET_OK, 500, 0, NULL, NULL, 0, 500, &d));
	CHECK(!mx__retry_decide(MX_NET_OK, 400, 1, NULL, NULL, 0, 500, &d));
	CHECK(!mx__retry_decide(MX_NET_OK, 403, 1, NULL, NULL, 0, 500, &d));
	CHECK(!mx__retry_decide(MX_NET_OK, 404, 1, NULL, NULL, 0, 500, &d));
}

TEST(test_mx_retry_network_errors)
{
	uint64_t d = 0;

	/* never sent: always safe */
	CHECK(mx__retry_decide(MX_NET_NOT_SENT, 0, 0, NULL, NULL, 0, 500, &d));
	/* maybe processed: only if repeating is harmless */
	CHECK(mx__retry_decide(MX_NET_FAILED, 0, 1, NULL, NULL, 0, 500, &d));
	CHECK(!mx__retry_decide(MX_NET_FAILED, 0, 0, NULL, NULL, 0, 500, &d));
}

TEST(test_mx_backoff_is_capped)
{
	uint64_t d = 0;

	CHECK(mx__retry_decide(MX_NET_NOT_SENT, 0, 0, NULL, NULL, 40, 500, &d));
	CHECK(d <= MX_BACKOFF_MAX_MS + MX_BACKOFF_MAX_MS / 5);
	CHECK(d >= MX_BACKOFF_MAX_MS - MX_BACKOFF_MAX_MS / 5);
}

TEST_MAIN()
