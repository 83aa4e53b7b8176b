/*
 * cry.h: the cryptographic primitives every module uses, behind one small
 * interface: random bytes, SHA-256, HMAC-SHA256/512, HKDF-SHA256,
 * AES-256-GCM, AES-256-CBC, Curve25519 key pairs and X25519, and XEdDSA
 * signatures over Curve25519 keys exactly as Signal and WhatsApp make them.
 *
 * Backends: libsodium (random, hashes, HMAC, X25519), OpenSSL EVP (AES), and
 * libsignal-protocol-c's curve code (XEdDSA), which runs on a process-wide
 * signal_context whose crypto provider is implemented here (cry_signal.h).
 *
 * Does not: know anything about WhatsApp framing or Signal sessions.
 *
 * Invariants:
 *  - Every function initialises the backends on first use (cry_init() is
 *    idempotent and only also registers cry_strerror); one thread only.
 *  - Functions return 0 or a negative CRY_ERR_* code; out-parameters are
 *    written only on success (one-shot digests cannot fail and return void).
 *  - Public keys are 32 raw bytes everywhere in this API; the 33-byte form
 *    with the 0x05 "DJB" type prefix exists only at the edges (Signal wire
 *    formats) and is converted with cry_pub_prefix / cry_pub_unprefix.
 *  - Secrets held in heap objects are wiped with sodium_memzero when freed.
 */
#ifndef PONTON_CRYPTO_CRY_H
#define PONTON_CRYPTO_CRY_H

#include <stddef.h>
#include <stdint.h>

enum {
	CRY_ERR_INTERNAL = -200,	/* backend failed where it never should */
	CRY_ERR_INIT = -201,		/* libsodium/libsignal could not start */
	CRY_ERR_AUTH = -202,		/* AEAD tag or MAC mismatch */
	CRY_ERR_BAD_KEY = -203,		/* wrong key length/prefix, low-order point */
	CRY_ERR_BAD_SIG = -204,		/* signature does not verify */
	CRY_ERR_BAD_LEN = -205,		/* input length impossible for the operation */
	CRY_ERR_PADDING = -206,		/* CBC padding is wrong */
	CRY_ERR_TOO_BIG = -207,		/* output longer than the primitive allows */
};

#define CRY_KEY_LEN		32	/* Curve25519 private and raw public keys */
#define CRY_PUB_PREFIXED_LEN	33	/* 0x05 || raw public key */
#define CRY_DJB_TYPE		0x05
#define CRY_SIG_LEN		64	/* XEdDSA */
#define CRY_SHA256_LEN		32
#define CRY_SHA512_LEN		64
#define CRY_AES_KEY_LEN		32	/* AES-256 only */
#define CRY_AES_BLOCK		16
#define CRY_GCM_IV_LEN		12
#define CRY_GCM_TAG_LEN		16
/* HKDF-SHA256 can expand to at most 255 blocks (RFC 5869 2.3). */
#define CRY_HKDF_MAX_OUT	(255 * CRY_SHA256_LEN)

/* Start libsodium and libsignal, register cry_strerror.  Idempotent. */
int cry_init(void);
/* Text for any code in -200..-299 (never NULL). */
const char *cry_strerror(int code);

/* --- Random ------------------------------------------------------------- */
void cry_random(void *buf, size_t n);
uint32_t cry_random_u32(void);

/* --- Hashes and MACs ---------------------------------------------------- */
void cry_sha256(const void *p, size_t n, uint8_t out[CRY_SHA256_LEN]);
/* SHA-256 of the concatenation a || b, without building it. */
void cry_sha256_cat(const void *a, size_t alen, const void *b, size_t blen,
    uint8_t out[CRY_SHA256_LEN]);
void cry_sha512(const void *p, size_t n, uint8_t out[CRY_SHA512_LEN]);
void cry_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
    uint8_t out[CRY_SHA256_LEN]);
void cry_hmac_sha512(const void *key, size_t keylen, const void *p, size_t n,
    uint8_t out[CRY_SHA512_LEN]);
/* Constant-time equality of two n-byte strings: 1 if equal, else 0. */
int cry_equal(const void *a, const void *b, size_t n);

/*
 * HKDF-SHA256 (RFC 5869): extract with salt (NULL or empty means HashLen
 * zero bytes), expand with info into out[outlen].  CRY_ERR_TOO_BIG if
 * outlen > CRY_HKDF_MAX_OUT.
 */
int cry_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm,
    size_t ikmlen, const void *info, size_t infolen, uint8_t *out,
    size_t outlen);

/* --- AES-256-GCM -------------------------------------------------------- */
/*
 * A GCM key schedule kept for many operations (the Noise transport does one
 * per frame).  Owned; cry_gcm_free wipes it.  NULL to free is a no-op.
 */
struct cry_gcm;
struct cry_gcm *cry_gcm_new(const uint8_t key[CRY_AES_KEY_LEN]);
void cry_gcm_free(struct cry_gcm *g);
/* out receives ptlen + CRY_GCM_TAG_LEN bytes (ciphertext || tag). */
int cry_gcm_seal(struct cry_gcm *g, const uint8_t iv[CRY_GCM_IV_LEN],
    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
    uint8_t *out);
/*
 * ct is ciphertext || tag; out receives ctlen - CRY_GCM_TAG_LEN bytes.
 * CRY_ERR_BAD_LEN if ctlen < tag length, CRY_ERR_AUTH if the tag is wrong
 * (out may then hold garbage and must not be used).
 */
int cry_gcm_open(struct cry_gcm *g, const uint8_t iv[CRY_GCM_IV_LEN],
    const void *aad, size_t aadlen, const void *ct, size_t ctlen,
    uint8_t *out);
/* One-shot forms of the two above. */
int cry_aes_gcm_encrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *pt, size_t ptlen, uint8_t *out);
int cry_aes_gcm_decrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *ct, size_t ctlen, uint8_t *out);

/* --- AES-256-CBC with PKCS#7 padding (WhatsApp media, Signal messages) --- */
/* out needs room for ptlen + CRY_AES_BLOCK; *outlen receives the length. */
int cry_aes_cbc_encrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_AES_BLOCK], const void *pt, size_t ptlen,
    uint8_t *out, size_t *outlen);
/*
 * out needs room for ctlen bytes.  CRY_ERR_BAD_LEN unless ctlen is a
 * non-zero multiple of the block size; CRY_ERR_PADDING on bad padding.
 */
int cry_aes_cbc_decrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_AES_BLOCK], const void *ct, size_t ctlen,
    uint8_t *out, size_t *outlen);

/* --- Curve25519 --------------------------------------------------------- */
/* Same layout as struct wa_keypair (waweb/store.h): public first. */
struct cry_keypair {
	uint8_t	pub[CRY_KEY_LEN];
	uint8_t	priv[CRY_KEY_LEN];
};

/* Fresh key pair; the private key is clamped as libsignal clamps it. */
void cry_keypair_generate(struct cry_keypair *kp);
/* Set kp from a private key (copied, not clamped) and its public half. */
int cry_keypair_from_private(struct cry_keypair *kp,
    const uint8_t priv[CRY_KEY_LEN]);
/* Public half of a private key. */
int cry_public_from_private(uint8_t pub[CRY_KEY_LEN],
    const uint8_t priv[CRY_KEY_LEN]);
void cry_keypair_wipe(struct cry_keypair *kp);
/*
 * X25519(priv, pub) into out.  CRY_ERR_BAD_KEY if the result is all zero
 * (the peer sent a low-order point; whatsmeow rejects it the same way).
 */
int cry_dh(uint8_t out[CRY_KEY_LEN], const uint8_t priv[CRY_KEY_LEN],
    const uint8_t pub[CRY_KEY_LEN]);

/* 0x05 || pub. */
void cry_pub_prefix(uint8_t out[CRY_PUB_PREFIXED_LEN],
    const uint8_t pub[CRY_KEY_LEN]);
/*
 * Accept a public key as 32 raw bytes or 33 bytes starting with 0x05; write
 * the raw form.  CRY_ERR_BAD_KEY for any other length or prefix.
 */
int cry_pub_unprefix(uint8_t out[CRY_KEY_LEN], const void *in, size_t len);

/*
 * XEdDSA over a Curve25519 key pair, the "curve25519 signature" of Signal
 * (libsignal-protocol-c curve_calculate_signature / curve_verify_signature;
 * what WhatsApp uses for the server certificate chain, signed prekeys and
 * ADV device identities).  Signing uses 64 fresh random bytes, so two
 * signatures of one message differ; both verify.
 */
int cry_xeddsa_sign(uint8_t sig[CRY_SIG_LEN], const uint8_t priv[CRY_KEY_LEN],
    const void *msg, size_t n);
/* 0 if sig is a valid signature of msg by pub, else CRY_ERR_BAD_SIG. */
int cry_xeddsa_verify(const uint8_t pub[CRY_KEY_LEN], const void *msg,
    size_t n, const uint8_t sig[CRY_SIG_LEN]);

#endif
