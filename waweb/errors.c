/*
 * errors.c: text for the waweb error codes (see errors.h).  Pure lookup, no
 * state besides the one-time registration with util/err.c.
 */
#include "util/err.h"
#include "waweb/errors.h"

const char *
wa_strerror(int code)
{
	switch (code) {
	case WA_ERR_INTERNAL:	return "waweb: internal error";
	case WA_ERR_TRUNCATED:	return "waweb: input truncated";
	case WA_ERR_TOO_BIG:	return "waweb: size or count exceeds a limit";
	case WA_ERR_TOO_DEEP:	return "waweb: nodes nested too deep";
	case WA_ERR_BAD_TAG:	return "waweb: invalid tag byte";
	case WA_ERR_BAD_TOKEN:	return "waweb: invalid token index";
	case WA_ERR_BAD_PACKED:	return "waweb: invalid packed digit";
	case WA_ERR_BAD_JID:	return "waweb: invalid JID";
	case WA_ERR_BAD_NODE:	return "waweb: invalid node";
	case WA_ERR_TRAILING:	return "waweb: trailing bytes after node";
	case WA_ERR_BAD_UTF8:	return "waweb: string is not valid UTF-8";
	case WA_ERR_INFLATE:	return "waweb: cannot inflate compressed frame";
	case WA_ERR_INVALID:	return "waweb: value cannot be encoded";
	}
	return "waweb: unknown error";
}

void
wa_errors_register(void)
{
	u_strerror_register(U_ERR_RANGE_WA, wa_strerror);
}
