/* Tests for bridge/errors.c: every module's codes print through u_strerror. */
#include "test/unit/test.h"
#include "bridge/config.h"
#include "bridge/errors.h"
#include "bridge/format.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/qr_png.h"
#include "util/err.h"

static int
known(int code)
{
	const char *s = u_strerror(code);

	return s != NULL && strstr(s, "unknown") == NULL;
}

TEST(test_br_errors_every_range_prints)
{
	br_errors_register();
	CHECK(known(BR_ERR_CONFIG_PARSE));
	CHECK(known(BR_ERR_PORTAL_NO_ROOM));
	CHECK(known(BR_ERR_MX_NOT_FOUND));
	CHECK(known(BR_ERR_NET_TIMEOUT));
	CHECK(known(BR_ERR_QR_ENCODE));
	CHECK(known(BR_ERR_FMT_TEMPLATE));
	CHECK(known(-100));	/* db */
	CHECK(known(-200));	/* crypto */
	CHECK(known(-300));	/* waweb */
	CHECK(known(U_ERR_TRUNCATED));
	CHECK(!known(-555));	/* an unassigned bridge slice */
}

TEST_MAIN()
