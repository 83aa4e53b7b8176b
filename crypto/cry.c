/*
 * cry.c: start-up, error text, random bytes, hashes, MACs, HKDF and
 * Curve25519 key handling (crypto/cry.h), on libsodium.
 *
 * Does not: AES (aes.c) or XEdDSA and the libsignal provider (signal.c).
 * Invariants: sodium_init() has run before any libsodium call here (each
 * entry point that needs it goes through cry__ready()); one thread.
 */
#include <string.h>

#include <sodium.h>

#include "crypto/cry.h"
#include "crypto/cry_int.h"
#include "util/err.h"
#include "util/log.h"

static int sodium_ready;

int
cry__ready(void)
{
	if (!sodium_ready) {
		if (sodium_init() < 0)
			return CRY_ERR_INIT;
		sodium_ready = 1;
	}
	return 0;
}

/* libsodium failing to start means no randomness: nothing can go on. */
static void
need_sodium(void)
{
	if (cry__ready() != 0)
		fatalx("crypto: libsodium cannot start");
}

int
cry_init(void)
{
	int r;

	if ((r = cry__ready()) != 0)
		return r;
	u_strerror_register(U_ERR_RANGE_CRY, cry_strerror);
	return 0;
}

const char *
cry_strerror(int code)
{
	switch (code) {
	case CRY_ERR_INTERNAL:	return "crypto: internal error";
	case CRY_ERR_INIT:	return "crypto: library initialisation failed";
	case CRY_ERR_AUTH:	return "crypto: authentication tag mismatch";
	case CRY_ERR_BAD_KEY:	return "crypto: invalid key";
	case CRY_ERR_BAD_SIG:	return "crypto: signature does not verify";
	case CRY_ERR_BAD_LEN:	return "crypto: invalid input length";
	case CRY_ERR_PADDING:	return "crypto: invalid padding";
	case CRY_ERR_TOO_BIG:	return "crypto: input or output too long";
	}
	return "crypto: unknown error";
}

void
cry_random(void *buf, size_t n)
{
	need_sodium();
	randombytes_buf(buf, n);
}

uint32_t
cry_random_u32(void)
{
	need_sodium();
	return randombytes_random();
}

void
cry_sha256(const void *p, size_t n, uint8_t out[CRY_SHA256_LEN])
{
	need_sodium();
	crypto_hash_sha256(out, p, n);
}

void
cry_sha256_cat(const void *a, size_t alen, const void *b, size_t blen,
    uint8_t out[CRY_SHA256_LEN])
{
	crypto_hash_sha256_state st;

	need_sodium();
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, a, alen);
	crypto_hash_sha256_update(&st, b, blen);
	crypto_hash_sha256_final(&st, out);
}

void
cry_sha512(const void *p, size_t n, uint8_t out[CRY_SHA512_LEN])
{
	need_sodium();
	crypto_hash_sha512(out, p, n);
}

void
cry_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
    uint8_t out[CRY_SHA256_LEN])
{
	crypto_auth_hmacsha256_state st;

	need_sodium();
	crypto_auth_hmacsha256_init(&st, keylen ? key : (const void *)"", keylen);
	crypto_auth_hmacsha256_update(&st, n ? p : (const void *)"", n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void
cry_hmac_sha512(const void *key, size_t keylen, const void *p, size_t n,
    uint8_t out[CRY_SHA512_LEN])
{
	crypto_auth_hmacsha512_state st;

	need_sodium();
	crypto_auth_hmacsha512_init(&st, keylen ? key : (const void *)"", keylen);
	crypto_auth_hmacsha512_update(&st, n ? p : (const void *)"", n);
	crypto_auth_hmacsha512_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

int
cry_equal(const void *a, const void *b, size_t n)
{
	need_sodium();
	return sodium_memcmp(a, b, n) == 0;
}

int
cry_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm,
    size_t ikmlen, const void *info, size_t infolen, uint8_t *out,
    size_t outlen)
{
	static const uint8_t zero_salt[CRY_SHA256_LEN];
	crypto_auth_hmacsha256_state st;
	uint8_t prk[CRY_SHA256_LEN], t[CRY_SHA256_LEN];
	size_t done = 0, n;
	uint8_t i;

	if (outlen > CRY_HKDF_MAX_OUT)
		return CRY_ERR_TOO_BIG;
	need_sodium();
	if (salt == NULL || saltlen == 0) {
		salt = zero_salt;
		saltlen = sizeof(zero_salt);
	}
	/* Extract: PRK = HMAC(salt, IKM). */
	cry_hmac_sha256(salt, saltlen, ikm, ikmlen, prk);
	/* Expand: T(i) = HMAC(PRK, T(i-1) || info || i). */
	for (i = 1; done < outlen; i++) {
		crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
		if (i > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof(t));
		if (infolen > 0)
			crypto_auth_hmacsha256_update(&st, info, infolen);
		crypto_auth_hmacsha256_update(&st, &i, 1);
		crypto_auth_hmacsha256_final(&st, t);
		n = outlen - done < sizeof(t) ? outlen - done : sizeof(t);
		memcpy(out + done, t, n);
		done += n;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	return 0;
}

/* --- Curve25519 --------------------------------------------------------- */

void
cry_keypair_generate(struct cry_keypair *kp)
{
	need_sodium();
	randombytes_buf(kp->priv, sizeof(kp->priv));
	/* The clamping libsignal's generatePrivateKey applies. */
	kp->priv[0] &= 248;
	kp->priv[31] &= 127;
	kp->priv[31] |= 64;
	if (crypto_scalarmult_curve25519_base(kp->pub, kp->priv) != 0)
		fatalx("crypto: X25519 base multiplication failed");
}

int
cry_public_from_private(uint8_t pub[CRY_KEY_LEN],
    const uint8_t priv[CRY_KEY_LEN])
{
	uint8_t tmp[CRY_KEY_LEN];

	need_sodium();
	if (crypto_scalarmult_curve25519_base(tmp, priv) != 0)
		return CRY_ERR_BAD_KEY;
	memcpy(pub, tmp, sizeof(tmp));
	return 0;
}

int
cry_keypair_from_private(struct cry_keypair *kp,
    const uint8_t priv[CRY_KEY_LEN])
{
	uint8_t pub[CRY_KEY_LEN];
	int r;

	if ((r = cry_public_from_private(pub, priv)) != 0)
		return r;
	memmove(kp->priv, priv, CRY_KEY_LEN);
	memcpy(kp->pub, pub, CRY_KEY_LEN);
	return 0;
}

void
cry_keypair_wipe(struct cry_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

int
cry_dh(uint8_t out[CRY_KEY_LEN], const uint8_t priv[CRY_KEY_LEN],
    const uint8_t pub[CRY_KEY_LEN])
{
	uint8_t tmp[CRY_KEY_LEN];

	need_sodium();
	/* libsodium refuses an all-zero result (low-order peer point). */
	if (crypto_scalarmult_curve25519(tmp, priv, pub) != 0)
		return CRY_ERR_BAD_KEY;
	memcpy(out, tmp, sizeof(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

void
cry_pub_prefix(uint8_t out[CRY_PUB_PREFIXED_LEN],
    const uint8_t pub[CRY_KEY_LEN])
{
	memmove(out + 1, pub, CRY_KEY_LEN);
	out[0] = CRY_DJB_TYPE;
}

int
cry_pub_unprefix(uint8_t out[CRY_KEY_LEN], const void *in, size_t len)
{
	const uint8_t *p = in;

	if (len == CRY_KEY_LEN) {
		memmove(out, p, CRY_KEY_LEN);
		return 0;
	}
	if (len == CRY_PUB_PREFIXED_LEN && p[0] == CRY_DJB_TYPE) {
		memmove(out, p + 1, CRY_KEY_LEN);
		return 0;
	}
	return CRY_ERR_BAD_KEY;
}
