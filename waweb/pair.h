/*
 * pair.h: pair-success verification (pair.c).  Internal to waweb/; the
 * public entry points are in client.h.  See pair.c for the rules.
 */
#ifndef PONTON_WAWEB_PAIR_H
#define PONTON_WAWEB_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/store.h"

/* ADVSignedDeviceIdentityHMAC is ~250 bytes; 4 KiB is plenty. */
#define WA_PAIR_IDENTITY_MAX 4096

struct wa__pair_result {
	uint8_t		*adv_details;	/* owned; ADVDeviceIdentity bytes */
	size_t		 adv_details_len;
	uint8_t		 account_sig[WA_SIG_LEN];
	uint8_t		 account_sig_key[WA_KEY_LEN];	/* the phone's identity */
	uint8_t		 device_sig[WA_SIG_LEN];	/* ours */
	uint32_t	 key_index;
	uint8_t		*reply;		/* owned; <device-identity> content */
	size_t		 reply_len;
};

/*
 * Verify the <device-identity> bytes of pair-success for dev (its identity
 * key pair and ADV secret) and sign our side.  *out is set only on success
 * (wa__pair_result_clear frees it).
 * Errors: WA_ERR_PAIR_MALFORMED, WA_ERR_PAIR_HMAC, WA_ERR_PAIR_SIGNATURE,
 * crypto codes.
 */
int wa__pair_verify(const struct wa_device *dev, const uint8_t *p, size_t len,
    struct wa__pair_result *out);
void wa__pair_result_clear(struct wa__pair_result *r);
/* The <error code text> the client answers a failed pair-success with. */
void wa__pair_error_reply(int err, unsigned *code, const char **text);

#endif
