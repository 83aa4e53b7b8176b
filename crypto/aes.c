/*
 * aes.c: AES-256-GCM and AES-256-CBC (crypto/cry.h) on OpenSSL EVP.
 *
 * OpenSSL rather than libsodium because libsodium's AES-GCM exists only on
 * CPUs with AES-NI, and it has no CBC at all.
 *
 * Does not: choose nonces (callers do: the Noise layer uses counters).
 * Invariants: a struct cry_gcm holds two EVP contexts keyed once, one per
 * direction; EVP_CIPHER_CTX_free wipes the key schedule.  Lengths handed
 * to EVP are checked against INT_MAX first.
 */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/cry.h"
#include "util/mem.h"

struct cry_gcm {
	EVP_CIPHER_CTX	*enc;	/* owned */
	EVP_CIPHER_CTX	*dec;	/* owned */
};

struct cry_gcm *
cry_gcm_new(const uint8_t key[CRY_AES_KEY_LEN])
{
	struct cry_gcm *g = u_calloc(1, sizeof(*g));

	g->enc = EVP_CIPHER_CTX_new();
	g->dec = EVP_CIPHER_CTX_new();
	if (g->enc == NULL || g->dec == NULL ||
	    EVP_EncryptInit_ex(g->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(g->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
		cry_gcm_free(g);
		return NULL;
	}
	return g;
}

void
cry_gcm_free(struct cry_gcm *g)
{
	if (g == NULL)
		return;
	EVP_CIPHER_CTX_free(g->enc);
	EVP_CIPHER_CTX_free(g->dec);
	free(g);
}

int
cry_gcm_seal(struct cry_gcm *g, const uint8_t iv[CRY_GCM_IV_LEN],
    const void *aad, size_t aadlen, const void *pt, size_t ptlen,
    uint8_t *out)
{
	int l;

	if (ptlen > INT_MAX - CRY_AES_BLOCK || aadlen > INT_MAX)
		return CRY_ERR_TOO_BIG;
	if (EVP_EncryptInit_ex(g->enc, NULL, NULL, NULL, iv) != 1)
		return CRY_ERR_INTERNAL;
	if (aadlen > 0 &&
	    EVP_EncryptUpdate(g->enc, NULL, &l, aad, (int)aadlen) != 1)
		return CRY_ERR_INTERNAL;
	if (ptlen > 0 &&
	    EVP_EncryptUpdate(g->enc, out, &l, pt, (int)ptlen) != 1)
		return CRY_ERR_INTERNAL;
	if (EVP_EncryptFinal_ex(g->enc, out + ptlen, &l) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG, CRY_GCM_TAG_LEN,
	    out + ptlen) != 1)
		return CRY_ERR_INTERNAL;
	return 0;
}

int
cry_gcm_open(struct cry_gcm *g, const uint8_t iv[CRY_GCM_IV_LEN],
    const void *aad, size_t aadlen, const void *ct, size_t ctlen,
    uint8_t *out)
{
	uint8_t tag[CRY_GCM_TAG_LEN];
	size_t n;
	int l;

	if (ctlen < CRY_GCM_TAG_LEN)
		return CRY_ERR_BAD_LEN;
	if (ctlen > INT_MAX || aadlen > INT_MAX)
		return CRY_ERR_TOO_BIG;
	n = ctlen - CRY_GCM_TAG_LEN;
	memcpy(tag, (const uint8_t *)ct + n, sizeof(tag));
	if (EVP_DecryptInit_ex(g->dec, NULL, NULL, NULL, iv) != 1)
		return CRY_ERR_INTERNAL;
	if (aadlen > 0 &&
	    EVP_DecryptUpdate(g->dec, NULL, &l, aad, (int)aadlen) != 1)
		return CRY_ERR_INTERNAL;
	if (n > 0 && EVP_DecryptUpdate(g->dec, out, &l, ct, (int)n) != 1)
		return CRY_ERR_INTERNAL;
	if (EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG, sizeof(tag),
	    tag) != 1)
		return CRY_ERR_INTERNAL;
	if (EVP_DecryptFinal_ex(g->dec, out + n, &l) != 1)
		return CRY_ERR_AUTH;
	return 0;
}

int
cry_aes_gcm_encrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *pt, size_t ptlen, uint8_t *out)
{
	struct cry_gcm *g;
	int r;

	if ((g = cry_gcm_new(key)) == NULL)
		return CRY_ERR_INTERNAL;
	r = cry_gcm_seal(g, iv, aad, aadlen, pt, ptlen, out);
	cry_gcm_free(g);
	return r;
}

int
cry_aes_gcm_decrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *ct, size_t ctlen, uint8_t *out)
{
	struct cry_gcm *g;
	int r;

	if ((g = cry_gcm_new(key)) == NULL)
		return CRY_ERR_INTERNAL;
	r = cry_gcm_open(g, iv, aad, aadlen, ct, ctlen, out);
	cry_gcm_free(g);
	return r;
}

int
cry_aes_cbc_encrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_AES_BLOCK], const void *pt, size_t ptlen,
    uint8_t *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c;
	int l1 = 0, l2 = 0, r = CRY_ERR_INTERNAL;

	if (ptlen > INT_MAX - CRY_AES_BLOCK)
		return CRY_ERR_TOO_BIG;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return CRY_ERR_INTERNAL;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv) != 1)
		goto out;
	if (ptlen > 0 && EVP_EncryptUpdate(c, out, &l1, pt, (int)ptlen) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(c, out + l1, &l2) != 1)
		goto out;
	*outlen = (size_t)l1 + (size_t)l2;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int
cry_aes_cbc_decrypt(const uint8_t key[CRY_AES_KEY_LEN],
    const uint8_t iv[CRY_AES_BLOCK], const void *ct, size_t ctlen,
    uint8_t *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c;
	int l1 = 0, l2 = 0, r = CRY_ERR_INTERNAL;
	unsigned pad, i, bad;

	if (ctlen == 0 || ctlen % CRY_AES_BLOCK != 0)
		return CRY_ERR_BAD_LEN;
	if (ctlen > INT_MAX - CRY_AES_BLOCK)
		return CRY_ERR_TOO_BIG;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return CRY_ERR_INTERNAL;
	/*
	 * Padding is checked here rather than by EVP so that out needs
	 * exactly ctlen bytes (EVP asks for a spare block).
	 */
	if (EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1)
		goto out;
	if (EVP_DecryptUpdate(c, out, &l1, ct, (int)ctlen) != 1 ||
	    EVP_DecryptFinal_ex(c, out + l1, &l2) != 1 ||
	    (size_t)l1 + (size_t)l2 != ctlen)
		goto out;
	pad = out[ctlen - 1];
	bad = pad == 0 || pad > CRY_AES_BLOCK;
	for (i = 1; !bad && i <= pad; i++)
		bad |= out[ctlen - i] != pad;
	if (bad) {
		sodium_memzero(out, ctlen);
		r = CRY_ERR_PADDING;
		goto out;
	}
	*outlen = ctlen - pad;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}
