/*
 * errors.c: dispatch a bridge error code to the part that owns it, and
 * register every module's strerror at start-up (see errors.h).
 */
#include "bridge/config.h"
#include "bridge/errors.h"
#include "bridge/format.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/qr_png.h"
#include "crypto/cry.h"
#include "db/db.h"
#include "util/err.h"
#include "waweb/errors.h"

const char *
br_strerror(int code)
{
	if (code <= -500 && code >= -519)
		return br_config_strerror(code);
	if (code <= -520 && code >= -529)
		return br_portal_strerror(code);
	if (code <= -560 && code >= -569)
		return br_mx_strerror(code);
	if (code <= -570 && code >= -579)
		return br_net_strerror(code);
	if (code <= -580 && code >= -589)
		return br_qr_png_strerror(code);
	if (code <= -590 && code >= -599)
		return br_fmt_strerror(code);
	return "unknown bridge error";
}

void
br_errors_register(void)
{
	u_strerror_register(U_ERR_RANGE_BR, br_strerror);
	db_init();
	wa_errors_register();
	(void)cry_init();
}
