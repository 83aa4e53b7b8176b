/*
 * errors.h: error codes of the waweb module (WA_ERR_*, range -300..-399) and
 * their text.
 *
 * Every waweb function that can fail returns 0 or one of these (or a util
 * U_ERR_* code passed through from util/, e.g. U_ERR_TOO_BIG from a capped
 * buffer).  wa_strerror() knows every code in the range; wa_errors_register()
 * hooks it into u_strerror() and is called once at start-up.
 *
 * Other waweb files may add codes: append them at the END of the enum (keep
 * the existing values stable, they appear in logs and tests) and add the text
 * to errors.c.
 */
#ifndef PONTON_WAWEB_ERRORS_H
#define PONTON_WAWEB_ERRORS_H

enum {
	WA_ERR_INTERNAL = -300,		/* our bug */
	/* Binary node codec (node.c), JIDs (jid.c). */
	WA_ERR_TRUNCATED = -301,	/* input ended inside an item */
	WA_ERR_TOO_BIG = -302,		/* a count or length passes a named limit */
	WA_ERR_TOO_DEEP = -303,		/* nodes nested deeper than the limit */
	WA_ERR_BAD_TAG = -304,		/* a tag byte not valid at that place */
	WA_ERR_BAD_TOKEN = -305,	/* token index outside the dictionaries */
	WA_ERR_BAD_PACKED = -306,	/* invalid nibble or hex digit */
	WA_ERR_BAD_JID = -307,		/* malformed or over-long JID */
	WA_ERR_BAD_NODE = -308,		/* empty tag, empty node, bad key */
	WA_ERR_TRAILING = -309,		/* bytes left after the root node */
	WA_ERR_BAD_UTF8 = -310,		/* a string is not UTF-8 or holds NUL */
	WA_ERR_INFLATE = -311,		/* compressed frame does not inflate */
	WA_ERR_INVALID = -312,		/* caller passed something unencodable */
	/* Noise handshake and transport (noise.c), framing (frame.c),
	 * server certificate chain (cert.c). */
	WA_ERR_NOISE_STATE = -313,	/* step out of order, or after a failure */
	WA_ERR_HANDSHAKE = -314,	/* malformed handshake message */
	WA_ERR_NOISE_DECRYPT = -315,	/* AES-GCM tag mismatch (forged, desynced) */
	WA_ERR_NOISE_EXHAUSTED = -316,	/* 2^32 frames: nonce would repeat */
	WA_ERR_BAD_INTRO = -317,	/* client stream does not start with WA/ED */
	WA_ERR_CERT_MALFORMED = -318,	/* chain does not parse or lacks parts */
	WA_ERR_CERT_SIGNATURE = -319,	/* a certificate signature does not verify */
	WA_ERR_CERT_SERIAL = -320,	/* issuer serial mismatch */
	WA_ERR_CERT_KEY = -321,		/* leaf key is not the server static key */
	WA_ERR_CERT_EXPIRED = -322,	/* now outside a certificate's validity */
	/* Client connection (conn.c), pairing (pair.c). */
	WA_ERR_PAIR_HMAC = -323,	/* pair-success HMAC does not match */
	WA_ERR_PAIR_SIGNATURE = -324,	/* pair-success account signature invalid */
	WA_ERR_PAIR_MALFORMED = -325,	/* pair-success does not parse */
	WA_ERR_NOT_CONNECTED = -326,	/* no logged-in connection to send on */
	WA_ERR_TIMEOUT = -327,		/* an iq got no reply before its deadline */
	WA_ERR_IQ = -328,		/* the server answered an iq with an error */
	/* Signal layer (signal.c). */
	WA_ERR_SIG_NO_SESSION = -329,	/* no session with that address */
	WA_ERR_SIG_UNTRUSTED = -330,	/* identity key differs from the stored one */
	WA_ERR_SIG_INVALID_MESSAGE = -331,	/* malformed, bad MAC, wrong version */
	WA_ERR_SIG_DUPLICATE = -332,	/* message key already used (replay) */
	WA_ERR_SIG_BAD_SIGNATURE = -333,	/* signed prekey signature invalid */
	WA_ERR_SIG_KEY_ID = -334,	/* message names a prekey we do not hold */
	WA_ERR_SIG_BAD_KEY = -335,	/* malformed public key */
	WA_ERR_SIG_PADDING = -336,	/* plaintext padding invalid */
	WA_ERR_SIG_BAD_BUNDLE = -337,	/* prekey bundle node malformed */
	WA_ERR_SIGNAL = -338,		/* other libsignal failure */
	WA_ERR_SIG_NO_SENDER_KEY = -339,	/* no sender key for group+sender */
	/* 1:1 messages (send_message.c, recv_message.c). */
	WA_ERR_MSG_SERVER = -340,	/* the server refused a message (<ack error>) */
	WA_ERR_MSG_NO_DEVICES = -341,	/* no device of the recipient to encrypt for */
	WA_ERR_MSG_MALFORMED = -342,	/* a message stanza or its protobuf is malformed */
	/* Media (media.c): a block of its own, -360..-369, so that codes
	 * appended above by other files cannot collide with it. */
	WA_ERR_MEDIA_MAC = -360,	/* media HMAC does not match (forged, corrupt) */
	WA_ERR_MEDIA_HASH = -361,	/* fileEncSha256 or fileSha256 mismatch */
	WA_ERR_MEDIA_TOO_BIG = -362,	/* media larger than its type's limit */
	WA_ERR_MEDIA_EXPIRED = -363,	/* media URL gone (403/404/410): ask a retry */
	WA_ERR_MEDIA_HTTP = -364,	/* media server refused or failed the request */
	WA_ERR_MEDIA_CONN = -365,	/* media_conn reply unusable */
	WA_ERR_MEDIA_MALFORMED = -366,	/* blob too short or not block-aligned */
	WA_ERR_MEDIA_RETRY = -367,	/* the sender's phone cannot re-upload it */
	/* App-state sync (appstate.c): a block of its own, -370..-379. */
	WA_ERR_APPSTATE_NO_KEY = -370,	/* a patch names a key we were not given */
	WA_ERR_APPSTATE_MAC = -371,	/* a mutation's value or index MAC is wrong */
	WA_ERR_APPSTATE_LTHASH = -372,	/* snapshot MAC mismatch: LTHash differs */
	WA_ERR_APPSTATE_PATCH_MAC = -373,	/* patch MAC mismatch */
	WA_ERR_APPSTATE_MALFORMED = -374,	/* reply, patch or action does not parse */
	WA_ERR_APPSTATE_VERSION = -375,	/* versions out of order, unasked snapshot */
	WA_ERR_APPSTATE_SERVER = -376,	/* the server answered the collection with an error */
	WA_ERR_APPSTATE_NO_MEDIA = -377,	/* an external blob, and no way to download it */
	/* Others: append new codes here. */
};

/* Text for any code in -300..-399 (never NULL). */
const char *wa_strerror(int code);
/* Register wa_strerror with u_strerror(); idempotent. */
void wa_errors_register(void);

#endif
