/*
 * signal.c: the libsignal-protocol-c crypto provider (crypto/cry_signal.h)
 * and XEdDSA sign/verify through libsignal's curve code (crypto/cry.h).
 *
 * libsignal-protocol-c brings its own Curve25519/XEdDSA implementation but
 * asks the application for random bytes, HMAC-SHA256, SHA-512 and AES
 * (CBC with PKCS#5 padding, CTR without); those are libsodium and OpenSSL
 * here.  The same context will serve the Signal sessions later.
 *
 * Does not: keep stores, sessions or any state besides the one context.
 * Invariants: the context is created on first use and lives until exit;
 * provider callbacks return 0 or SG_ERR_* as libsignal expects; HMAC and
 * digest contexts are wiped when released.
 */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <signal/curve.h>
#include <signal/signal_protocol.h>
#include <sodium.h>

#include "crypto/cry.h"
#include "crypto/cry_int.h"
#include "crypto/cry_signal.h"
#include "util/mem.h"

static signal_context *global_ctx;

static int
p_random(uint8_t *data, size_t len, void *user_data)
{
	randombytes_buf(data, len);
	return 0;
}

static int
p_hmac_init(void **hmac_context, const uint8_t *key, size_t key_len,
    void *user_data)
{
	crypto_auth_hmacsha256_state *st = u_malloc(sizeof(*st));

	crypto_auth_hmacsha256_init(st, key_len ? key : (const uint8_t *)"",
	    key_len);
	*hmac_context = st;
	return 0;
}

static int
p_hmac_update(void *hmac_context, const uint8_t *data, size_t data_len,
    void *user_data)
{
	crypto_auth_hmacsha256_update(hmac_context,
	    data_len ? data : (const uint8_t *)"", data_len);
	return 0;
}

static int
p_hmac_final(void *hmac_context, signal_buffer **output, void *user_data)
{
	signal_buffer *b = signal_buffer_alloc(crypto_auth_hmacsha256_BYTES);

	if (b == NULL)
		return SG_ERR_NOMEM;
	crypto_auth_hmacsha256_final(hmac_context, signal_buffer_data(b));
	*output = b;
	return 0;
}

static void
p_hmac_cleanup(void *hmac_context, void *user_data)
{
	u_free_secret(hmac_context, sizeof(crypto_auth_hmacsha256_state));
}

static int
p_sha512_init(void **digest_context, void *user_data)
{
	crypto_hash_sha512_state *st = u_malloc(sizeof(*st));

	crypto_hash_sha512_init(st);
	*digest_context = st;
	return 0;
}

static int
p_sha512_update(void *digest_context, const uint8_t *data, size_t data_len,
    void *user_data)
{
	crypto_hash_sha512_update(digest_context,
	    data_len ? data : (const uint8_t *)"", data_len);
	return 0;
}

static int
p_sha512_final(void *digest_context, signal_buffer **output, void *user_data)
{
	signal_buffer *b = signal_buffer_alloc(crypto_hash_sha512_BYTES);

	if (b == NULL)
		return SG_ERR_NOMEM;
	crypto_hash_sha512_final(digest_context, signal_buffer_data(b));
	/* "prepare the context for reuse" */
	crypto_hash_sha512_init(digest_context);
	*output = b;
	return 0;
}

static void
p_sha512_cleanup(void *digest_context, void *user_data)
{
	u_free_secret(digest_context, sizeof(crypto_hash_sha512_state));
}

static const EVP_CIPHER *
pick_cipher(int cipher, size_t key_len)
{
	if (cipher == SG_CIPHER_AES_CBC_PKCS5) {
		switch (key_len) {
		case 16: return EVP_aes_128_cbc();
		case 24: return EVP_aes_192_cbc();
		case 32: return EVP_aes_256_cbc();
		}
	} else if (cipher == SG_CIPHER_AES_CTR_NOPADDING) {
		switch (key_len) {
		case 16: return EVP_aes_128_ctr();
		case 24: return EVP_aes_192_ctr();
		case 32: return EVP_aes_256_ctr();
		}
	}
	return NULL;
}

static int
p_cipher(signal_buffer **output, int cipher, const uint8_t *key,
    size_t key_len, const uint8_t *iv, size_t iv_len, const uint8_t *in,
    size_t in_len, int enc)
{
	const EVP_CIPHER *evp = pick_cipher(cipher, key_len);
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *buf = NULL;
	int l1 = 0, l2 = 0, r = SG_ERR_UNKNOWN;

	if (evp == NULL || iv_len != 16 || in_len > INT_MAX - 32)
		return SG_ERR_INVAL;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return SG_ERR_NOMEM;
	buf = u_malloc(in_len + 32);
	if (EVP_CipherInit_ex(c, evp, NULL, key, iv, enc) != 1)
		goto out;
	if (in_len > 0 && EVP_CipherUpdate(c, buf, &l1, in, (int)in_len) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, buf + l1, &l2) != 1)
		goto out;
	if ((*output = signal_buffer_create(buf, (size_t)l1 + (size_t)l2)) ==
	    NULL) {
		r = SG_ERR_NOMEM;
		goto out;
	}
	r = 0;
out:
	u_free_secret(buf, in_len + 32);
	EVP_CIPHER_CTX_free(c);
	return r;
}

static int
p_encrypt(signal_buffer **output, int cipher, const uint8_t *key,
    size_t key_len, const uint8_t *iv, size_t iv_len,
    const uint8_t *plaintext, size_t plaintext_len, void *user_data)
{
	return p_cipher(output, cipher, key, key_len, iv, iv_len, plaintext,
	    plaintext_len, 1);
}

static int
p_decrypt(signal_buffer **output, int cipher, const uint8_t *key,
    size_t key_len, const uint8_t *iv, size_t iv_len,
    const uint8_t *ciphertext, size_t ciphertext_len, void *user_data)
{
	return p_cipher(output, cipher, key, key_len, iv, iv_len, ciphertext,
	    ciphertext_len, 0);
}

void
cry_signal_provider(signal_crypto_provider *p)
{
	memset(p, 0, sizeof(*p));
	p->random_func = p_random;
	p->hmac_sha256_init_func = p_hmac_init;
	p->hmac_sha256_update_func = p_hmac_update;
	p->hmac_sha256_final_func = p_hmac_final;
	p->hmac_sha256_cleanup_func = p_hmac_cleanup;
	p->sha512_digest_init_func = p_sha512_init;
	p->sha512_digest_update_func = p_sha512_update;
	p->sha512_digest_final_func = p_sha512_final;
	p->sha512_digest_cleanup_func = p_sha512_cleanup;
	p->encrypt_func = p_encrypt;
	p->decrypt_func = p_decrypt;
}

signal_context *
cry_signal_context(void)
{
	signal_crypto_provider p;
	signal_context *ctx = NULL;

	if (global_ctx != NULL)
		return global_ctx;
	if (cry__ready() != 0)
		return NULL;
	if (signal_context_create(&ctx, NULL) != 0)
		return NULL;
	cry_signal_provider(&p);
	if (signal_context_set_crypto_provider(ctx, &p) != 0) {
		signal_context_destroy(ctx);
		return NULL;
	}
	global_ctx = ctx;
	return global_ctx;
}

int
cry_xeddsa_sign(uint8_t sig[CRY_SIG_LEN], const uint8_t priv[CRY_KEY_LEN],
    const void *msg, size_t n)
{
	signal_context *ctx = cry_signal_context();
	ec_private_key *key = NULL;
	signal_buffer *out = NULL;
	uint8_t clamped[CRY_KEY_LEN];
	int r = CRY_ERR_INTERNAL;

	if (ctx == NULL)
		return CRY_ERR_INIT;
	/*
	 * libsignal signs with the scalar as given while X25519 clamps it:
	 * clamping here keeps signatures consistent with the public key for
	 * a private key that was not generated clamped (generated ones are,
	 * and are unchanged by this).
	 */
	memcpy(clamped, priv, sizeof(clamped));
	clamped[0] &= 248;
	clamped[31] &= 127;
	clamped[31] |= 64;
	r = curve_decode_private_point(&key, clamped, CRY_KEY_LEN, ctx);
	sodium_memzero(clamped, sizeof(clamped));
	if (r != 0) {
		r = CRY_ERR_INTERNAL;
		goto out;
	}
	r = CRY_ERR_INTERNAL;
	if (curve_calculate_signature(ctx, &out, key, n ? msg : "", n) != 0)
		goto out;
	if (signal_buffer_len(out) != CRY_SIG_LEN)
		goto out;
	memcpy(sig, signal_buffer_data(out), CRY_SIG_LEN);
	r = 0;
out:
	signal_buffer_free(out);
	SIGNAL_UNREF(key);
	return r;
}

int
cry_xeddsa_verify(const uint8_t pub[CRY_KEY_LEN], const void *msg, size_t n,
    const uint8_t sig[CRY_SIG_LEN])
{
	signal_context *ctx = cry_signal_context();
	uint8_t prefixed[CRY_PUB_PREFIXED_LEN];
	ec_public_key *key = NULL;
	int r = CRY_ERR_INTERNAL, v;

	if (ctx == NULL)
		return CRY_ERR_INIT;
	cry_pub_prefix(prefixed, pub);
	if (curve_decode_point(&key, prefixed, sizeof(prefixed), ctx) != 0)
		goto out;
	v = curve_verify_signature(key, n ? msg : "", n, sig, CRY_SIG_LEN);
	/* 1: valid; 0: invalid; < 0: libsignal refused the input. */
	r = v == 1 ? 0 : CRY_ERR_BAD_SIG;
out:
	SIGNAL_UNREF(key);
	return r;
}
