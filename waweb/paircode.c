/*
 * paircode.c: the phone-number pairing code (link_code_companion_reg).
 *
 * The companion shows an 8-character code; both sides wrap an ephemeral
 * X25519 public key under a key derived from it:
 *   key     = PBKDF2-HMAC-SHA256(code, salt, 131072 rounds, 32 bytes)
 *   wrapped = salt(32) || iv(16) || AES-256-CTR(key, iv, pub(32))
 * (whatsmeow pair-code.go, Baileys socket.ts; research/wa-protocol.md 4.4).
 * The rest of the flow (stages, key bundle, ADV secret) lives in conn.c.
 *
 * Uses OpenSSL's EVP directly: PBKDF2 and AES-CTR are used nowhere else, so
 * crypto/ does not wrap them.
 */
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "waweb/conn_int.h"
#include "waweb/errors.h"

/* Crockford-like alphabet without 0, I, O, U (whatsmeow linkingBase32). */
static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";

void
wa__paircode_encode(const uint8_t rnd[5], char out[WA_PAIRCODE_LEN + 1])
{
	uint64_t v = 0;
	int i;

	/* 40 bits, big-endian, as 8 base32 digits (no padding needed). */
	for (i = 0; i < 5; i++)
		v = (v << 8) | rnd[i];
	for (i = WA_PAIRCODE_LEN - 1; i >= 0; i--) {
		out[i] = alphabet[v & 31];
		v >>= 5;
	}
	out[WA_PAIRCODE_LEN] = '\0';
}

static int
ctr(const char *code, const uint8_t salt[32], const uint8_t iv[16],
    const uint8_t in[32], uint8_t out[32])
{
	uint8_t key[32];
	EVP_CIPHER_CTX *ctx = NULL;
	int n = 0, fin = 0, r = WA_ERR_INTERNAL;

	if (PKCS5_PBKDF2_HMAC(code, (int)strlen(code), salt, 32,
	    WA_PAIRCODE_PBKDF2_ROUNDS, EVP_sha256(), sizeof(key), key) != 1)
		goto out;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &n, in, 32) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + n, &fin) != 1 || n + fin != 32)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	sodium_memzero(key, sizeof(key));
	return r;
}

int
wa__paircode_wrap(const char *code, const uint8_t salt[32], const uint8_t iv[16],
    const uint8_t pub[32], uint8_t out[WA_PAIRCODE_WRAPPED_LEN])
{
	memcpy(out, salt, 32);
	memcpy(out + 32, iv, 16);
	return ctr(code, salt, iv, pub, out + 48);
}

int
wa__paircode_unwrap(const char *code,
    const uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN], uint8_t pub[32])
{
	return ctr(code, wrapped, wrapped + 32, wrapped + 48, pub);
}
