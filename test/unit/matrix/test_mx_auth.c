/* Tests for matrix/auth.c: hs_token checks, routes, body limits. */
#include <stdlib.h>
#include <string.h>

#include "matrix/mx_int.h"
#include "test/unit/test.h"

TEST(test_mx_ct_equal)
{
	CHECK(mx__ct_equal("abc", 3, "abc", 3));
	CHECK(!mx__ct_equal("abc", 3, "abd", 3));
	CHECK(!mx__ct_equal("abc", 3, "abcd", 4));
	CHECK(!mx__ct_equal("abc", 2, "abc", 3));
	CHECK(mx__ct_equal("", 0, "", 0));
}

TEST(test_mx_auth_missing_is_401_wrong_is_403)
{
	const char *tok = "hs_secret_token";

	CHECK_EQ_INT(mx__auth_check(NULL, tok), MX_ERR_NO_TOKEN);
	CHECK_EQ_INT(mx__auth_check("", tok), MX_ERR_NO_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Bearer", tok), MX_ERR_NO_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Bearer   ", tok), MX_ERR_NO_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Basic aHM6eA==", tok), MX_ERR_NO_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Bearerhs_secret_token", tok), MX_ERR_NO_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Bearer hs_secret_toke", tok), MX_ERR_BAD_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Bearer hs_secret_token2", tok), MX_ERR_BAD_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Bearer HS_SECRET_TOKEN", tok), MX_ERR_BAD_TOKEN);
	CHECK_EQ_INT(mx__auth_check("Bearer hs_secret_token", tok), 0);
	CHECK_EQ_INT(mx__auth_check("bearer  hs_secret_token ", tok), 0);
}

TEST(test_mx_auth_rejects_huge_header)
{
	char *h = malloc(MX_AUTH_HEADER_MAX + 16);

	memset(h, 'a', MX_AUTH_HEADER_MAX + 15);
	memcpy(h, "Bearer ", 7);
	h[MX_AUTH_HEADER_MAX + 15] = '\0';
	CHECK_EQ_INT(mx__auth_check(h, "a"), MX_ERR_BAD_TOKEN);
	free(h);
}

TEST(test_mx_routes)
{
	char *p = NULL;

	CHECK_EQ_INT(mx__route("PUT", "/_matrix/app/v1/transactions/12", &p), MX_ROUTE_TXN);
	CHECK_EQ_STR(p, "12");
	free(p);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/transactions/12", &p), MX_ROUTE_BAD_METHOD);
	CHECK(p == NULL);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/users/@a:b", &p), MX_ROUTE_USER);
	CHECK_EQ_STR(p, "@a:b");
	free(p);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/rooms/#a:b", &p), MX_ROUTE_ROOM);
	free(p);
	CHECK_EQ_INT(mx__route("POST", "/_matrix/app/v1/ping", &p), MX_ROUTE_PING);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/ping", &p), MX_ROUTE_BAD_METHOD);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/mau/live", &p), MX_ROUTE_LIVE);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/mau/ready", &p), MX_ROUTE_READY);
	CHECK_EQ_INT(mx__route("PUT", "/_matrix/app/v1/transactions/", &p), MX_ROUTE_NONE);
	CHECK_EQ_INT(mx__route("PUT", "/_matrix/app/v1/transactions/1/2", &p), MX_ROUTE_NONE);
	CHECK_EQ_INT(mx__route("PUT", "/_matrix/app/v1/transactions/a\x01", &p), MX_ROUTE_NONE);
	CHECK_EQ_INT(mx__route("PUT", "/transactions/1", &p), MX_ROUTE_NONE);
	/* decoded parameters must be UTF-8 */
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/rooms/#caf\xc3\xa9:b", &p), MX_ROUTE_ROOM);
	free(p);
	p = NULL;
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/rooms/#\xff:b", &p), MX_ROUTE_NONE);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/rooms/#\xc3:b", &p), MX_ROUTE_NONE);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/rooms/#\xc0\xaf", &p), MX_ROUTE_NONE);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/rooms/#\xed\xa0\x80", &p), MX_ROUTE_NONE);
	CHECK_EQ_INT(mx__route("GET", "/_matrix/app/v1/thirdparty/protocol/wa", &p), MX_ROUTE_NONE);
	CHECK(p == NULL);
}

TEST(test_mx_body_limits_checked_from_content_length)
{
	size_t n = 0;

	CHECK(mx__route_body_max(MX_ROUTE_TXN) == MX_TXN_BODY_MAX);
	CHECK(mx__route_body_max(MX_ROUTE_PING) == MX_SMALL_BODY_MAX);
	CHECK_EQ_INT(mx__content_length("123", 1000, &n), 0);
	CHECK_EQ_INT(n, 123);
	CHECK_EQ_INT(mx__content_length("1001", 1000, &n), MX_ERR_TOO_BIG);
	CHECK_EQ_INT(mx__content_length("99999999999999999999999", 1000, &n), MX_ERR_TOO_BIG);
	CHECK_EQ_INT(mx__content_length("-1", 1000, &n), U_ERR_INVALID);
	CHECK_EQ_INT(mx__content_length("12x", 1000, &n), U_ERR_INVALID);
	CHECK_EQ_INT(mx__content_length("", 1000, &n), U_ERR_INVALID);
	CHECK_EQ_INT(n, 123);	/* untouched on failure */
}

TEST(test_mx_strerror_registered)
{
	mx_err_register();
	CHECK_EQ_STR(u_strerror(MX_ERR_START_PING), mx_strerror(MX_ERR_START_PING));
	CHECK(strcmp(mx_strerror(MX_ERR_START_CONNECT), mx_strerror(MX_ERR_START_WHOAMI)) != 0);
	CHECK(MX_ERR_START_PING <= -400 && MX_ERR_START_PING >= -499);
}

TEST_MAIN()
