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
	case WA_ERR_NOISE_STATE:	return "waweb: noise handshake step out of order";
	case WA_ERR_HANDSHAKE:	return "waweb: malformed noise handshake message";
	case WA_ERR_NOISE_DECRYPT:	return "waweb: noise decryption failed";
	case WA_ERR_NOISE_EXHAUSTED:	return "waweb: noise nonce counter exhausted";
	case WA_ERR_BAD_INTRO:	return "waweb: bad connection intro header";
	case WA_ERR_CERT_MALFORMED:	return "waweb: malformed server certificate chain";
	case WA_ERR_CERT_SIGNATURE:	return "waweb: server certificate signature invalid";
	case WA_ERR_CERT_SERIAL:	return "waweb: server certificate issuer serial mismatch";
	case WA_ERR_CERT_KEY:	return "waweb: server certificate key is not the static key";
	case WA_ERR_CERT_EXPIRED:	return "waweb: server certificate outside its validity";
	case WA_ERR_PAIR_HMAC:	return "waweb: pairing HMAC mismatch";
	case WA_ERR_PAIR_SIGNATURE:	return "waweb: pairing account signature invalid";
	case WA_ERR_PAIR_MALFORMED:	return "waweb: malformed pairing device identity";
	case WA_ERR_NOT_CONNECTED:	return "waweb: not connected";
	case WA_ERR_TIMEOUT:	return "waweb: no reply before the deadline";
	case WA_ERR_IQ:	return "waweb: server answered with an error";
	case WA_ERR_SIG_NO_SESSION:	return "waweb: no Signal session";
	case WA_ERR_SIG_UNTRUSTED:	return "waweb: Signal identity key changed";
	case WA_ERR_SIG_INVALID_MESSAGE:	return "waweb: invalid Signal message";
	case WA_ERR_SIG_DUPLICATE:	return "waweb: duplicate Signal message";
	case WA_ERR_SIG_BAD_SIGNATURE:	return "waweb: signed prekey signature invalid";
	case WA_ERR_SIG_KEY_ID:	return "waweb: unknown prekey id";
	case WA_ERR_SIG_BAD_KEY:	return "waweb: invalid Signal public key";
	case WA_ERR_SIG_PADDING:	return "waweb: invalid plaintext padding";
	case WA_ERR_SIG_BAD_BUNDLE:	return "waweb: malformed prekey bundle";
	case WA_ERR_SIGNAL:	return "waweb: Signal protocol error";
	case WA_ERR_SIG_NO_SENDER_KEY:	return "waweb: no sender key";
	case WA_ERR_MSG_SERVER:	return "waweb: the server refused the message";
	case WA_ERR_MSG_NO_DEVICES:	return "waweb: no device to send to";
	case WA_ERR_MSG_MALFORMED:	return "waweb: malformed message";
	case WA_ERR_MEDIA_MAC:	return "waweb: media MAC mismatch";
	case WA_ERR_MEDIA_HASH:	return "waweb: media SHA-256 mismatch";
	case WA_ERR_MEDIA_TOO_BIG:	return "waweb: media too large";
	case WA_ERR_MEDIA_EXPIRED:	return "waweb: media URL expired";
	case WA_ERR_MEDIA_HTTP:	return "waweb: media server error";
	case WA_ERR_MEDIA_CONN:	return "waweb: unusable media_conn reply";
	case WA_ERR_MEDIA_MALFORMED:	return "waweb: malformed media blob";
	case WA_ERR_MEDIA_RETRY:	return "waweb: media not available from the sender";
	case WA_ERR_APPSTATE_NO_KEY:	return "waweb: app-state key missing";
	case WA_ERR_APPSTATE_MAC:	return "waweb: app-state mutation MAC mismatch";
	case WA_ERR_APPSTATE_LTHASH:	return "waweb: app-state LTHash mismatch";
	case WA_ERR_APPSTATE_PATCH_MAC:	return "waweb: app-state patch MAC mismatch";
	case WA_ERR_APPSTATE_MALFORMED:	return "waweb: malformed app-state data";
	case WA_ERR_APPSTATE_VERSION:	return "waweb: app-state version out of order";
	case WA_ERR_APPSTATE_SERVER:	return "waweb: the server refused the app-state request";
	case WA_ERR_APPSTATE_NO_MEDIA:	return "waweb: app-state blob cannot be downloaded";
	}
	return "waweb: unknown error";
}

void
wa_errors_register(void)
{
	u_strerror_register(U_ERR_RANGE_WA, wa_strerror);
}
