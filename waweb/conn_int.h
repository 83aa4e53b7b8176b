/*
 * conn_int.h: helpers shared inside waweb/ by the client connection
 * (conn.c), its state rules (conn_state.c), pairing (pair.c, paircode.c)
 * and prekeys (prekeys.c).  Not for other modules.
 */
#ifndef PONTON_WAWEB_CONN_INT_H
#define PONTON_WAWEB_CONN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/client.h"
#include "waweb/store.h"

/* What to do when the server ends the stream or refuses the login. */
struct wa__disconnect {
	enum wa_state	 next;		/* WAIT_RECONNECT or a terminal state */
	int		 wipe_session;	/* delete the device from the store */
	int		 immediate;	/* reconnect at once (515 after pairing) */
	const char	*reason;	/* static text */
};

/*
 * <stream:error code=... ><conflict type=...>: code and conflict_type may be
 * NULL when absent.  Follows whatsmeow's connectionevents.go.
 */
void wa__classify_stream_error(const char *code, const char *conflict_type,
    struct wa__disconnect *out);
/* <failure reason=N> received instead of <success>. */
void wa__classify_failure(unsigned reason, struct wa__disconnect *out);
/* A transport error: close, bad frame, bad certificate, keepalive timeout. */
void wa__classify_transport(const char *why, struct wa__disconnect *out);
/* Delay before reconnect attempt `attempt` (0-based), with jitter. */
uint64_t wa__reconnect_delay(unsigned attempt, unsigned base_ms,
    unsigned max_ms);
/* Whether old -> cur is a transition the client may make. */
int wa__state_transition_ok(enum wa_state old, enum wa_state cur);

/*
 * The QR platform id (5th field) for a browser name ("chrome" -> "1", ...,
 * unknown -> "9", the "other web client" whatsmeow sends by default), and
 * the DeviceProps.PlatformType enum value for it.
 */
const char *wa__qr_platform_id(const char *browser_name);
unsigned wa__device_platform_type(const char *browser_name);
/*
 * The QR string: "https://wa.me/settings/linked_devices#" ref "," base64
 * noise pub "," base64 identity pub "," base64 ADV secret "," platform id.
 * Returns an owned string, or NULL if ref is not printable ASCII or longer
 * than WA_QR_REF_MAX.
 */
#define WA_QR_REF_MAX 256
#define WA_QR_PREFIX "https://wa.me/settings/linked_devices#"
char *wa__qr_string(const uint8_t *ref, size_t ref_len,
    const struct wa_device *dev, const char *platform_id);

/* Pairing code (paircode.c). */
#define WA_PAIRCODE_LEN 8
#define WA_PAIRCODE_WRAPPED_LEN 80
/* PBKDF2-HMAC-SHA256 rounds on the code (2 << 16, as both clients do). */
#define WA_PAIRCODE_PBKDF2_ROUNDS 131072
/* 5 random bytes -> 8 characters of 123456789ABCDEFGHJKLMNPQRSTVWXYZ. */
void wa__paircode_encode(const uint8_t rnd[5], char out[WA_PAIRCODE_LEN + 1]);
/*
 * wrapped = salt(32) || iv(16) || AES-256-CTR(PBKDF2(code, salt), iv, pub)
 * and its inverse.  Errors: WA_ERR_INTERNAL (crypto library failure).
 */
int wa__paircode_wrap(const char *code, const uint8_t salt[32],
    const uint8_t iv[16], const uint8_t pub[32],
    uint8_t out[WA_PAIRCODE_WRAPPED_LEN]);
int wa__paircode_unwrap(const char *code,
    const uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN], uint8_t pub[32]);

#endif
