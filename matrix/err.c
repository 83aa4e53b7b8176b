/*
 * err.c: mx_strerror and its registration with util/err.
 */
#include "matrix/mx.h"

const char *
mx_strerror(int code)
{
	switch (code) {
	case MX_ERR_INTERNAL:		return "matrix: internal error";
	case MX_ERR_HTTP:		return "matrix: homeserver returned an error";
	case MX_ERR_NETWORK:		return "matrix: cannot reach the homeserver";
	case MX_ERR_TIMEOUT:		return "matrix: request timed out";
	case MX_ERR_BAD_RESPONSE:	return "matrix: unexpected homeserver response";
	case MX_ERR_BAD_JSON:		return "matrix: malformed JSON";
	case MX_ERR_INVALID:		return "matrix: invalid request content";
	case MX_ERR_TOO_BIG:		return "matrix: size limit exceeded";
	case MX_ERR_NO_TOKEN:		return "matrix: missing access token";
	case MX_ERR_BAD_TOKEN:		return "matrix: wrong access token";
	case MX_ERR_NOT_OURS:		return "matrix: user is outside the appservice namespace";
	case MX_ERR_CANCELLED:		return "matrix: request cancelled";
	case MX_ERR_LISTEN:		return "matrix: cannot listen for the homeserver";
	case MX_ERR_NO_SECRET:		return "matrix: no appservice double-puppet secret for that server";
	case MX_ERR_BAD_MXC:		return "matrix: malformed mxc URI";
	case MX_ERR_START_CONNECT:	return "matrix: homeserver unreachable or appservice not registered";
	case MX_ERR_START_VERSION:	return "matrix: homeserver too old (spec < v1.4)";
	case MX_ERR_START_WHOAMI:	return "matrix: whoami is not the bridge bot";
	case MX_ERR_START_PING:		return "matrix: homeserver cannot reach the appservice (ping failed)";
	}
	return "matrix: unknown error";
}

void
mx_err_register(void)
{
	u_strerror_register(U_ERR_RANGE_MX, mx_strerror);
}
