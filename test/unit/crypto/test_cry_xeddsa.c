/*
 * test_cry_xeddsa.c: XEdDSA signatures over Curve25519 keys, and the
 * libsignal crypto provider behind them.
 *
 * The known-answer vector is Signal's (libsignal's Curve25519 signature
 * test: Alice's identity key signs her 0x05-prefixed ephemeral public key);
 * it proves our verification accepts what libsignal produced and that our
 * key derivation matches libsignal's.
 */
#include <string.h>

#include "crypto/cry.h"
#include "crypto/cry_signal.h"
#include "test/unit/test.h"

static const uint8_t alice_priv[32] = {
	0xc0, 0x97, 0x24, 0x84, 0x12, 0xe5, 0x8b, 0xf0,
	0x5d, 0xf4, 0x87, 0x96, 0x82, 0x05, 0x13, 0x27,
	0x94, 0x17, 0x8e, 0x36, 0x76, 0x37, 0xf5, 0x81,
	0x8f, 0x81, 0xe0, 0xe6, 0xce, 0x73, 0xe8, 0x65 };
static const uint8_t alice_pub[33] = {
	0x05, 0xab, 0x7e, 0x71, 0x7d, 0x4a, 0x16, 0x3b,
	0x7d, 0x9a, 0x1d, 0x80, 0x71, 0xdf, 0xe9, 0xdc,
	0xf8, 0xcd, 0xcd, 0x1c, 0xea, 0x33, 0x39, 0xb6,
	0x35, 0x6b, 0xe8, 0x4d, 0x88, 0x7e, 0x32, 0x2c,
	0x64 };
static const uint8_t alice_eph_pub[33] = {
	0x05, 0xed, 0xce, 0x9d, 0x9c, 0x41, 0x5c, 0xa7,
	0x8c, 0xb7, 0x25, 0x2e, 0x72, 0xc2, 0xc4, 0xa5,
	0x54, 0xd3, 0xeb, 0x29, 0x48, 0x5a, 0x0e, 0x1d,
	0x50, 0x31, 0x18, 0xd1, 0xa8, 0x2d, 0x99, 0xfb,
	0x4a };
static const uint8_t alice_sig[64] = {
	0x5d, 0xe8, 0x8c, 0xa9, 0xa8, 0x9b, 0x4a, 0x11,
	0x5d, 0xa7, 0x91, 0x09, 0xc6, 0x7c, 0x9c, 0x74,
	0x64, 0xa3, 0xe4, 0x18, 0x02, 0x74, 0xf1, 0xcb,
	0x8c, 0x63, 0xc2, 0x98, 0x4e, 0x28, 0x6d, 0xfb,
	0xed, 0xe8, 0x2d, 0xeb, 0x9d, 0xcd, 0x9f, 0xae,
	0x0b, 0xfb, 0xb8, 0x21, 0x56, 0x9b, 0x3d, 0x90,
	0x01, 0xbd, 0x81, 0x30, 0xcd, 0x11, 0xd4, 0x86,
	0xce, 0xf0, 0x47, 0xbd, 0x60, 0xb8, 0x6e, 0x88 };

TEST(test_cry_xeddsa_verifies_libsignal_vector)
{
	uint8_t pub[32], sig[64];
	size_t i;

	CHECK_EQ_INT(cry_public_from_private(pub, alice_priv), 0);
	CHECK_EQ_MEM(pub, alice_pub + 1, 32);
	CHECK_EQ_INT(cry_xeddsa_verify(alice_pub + 1, alice_eph_pub, 33,
	    alice_sig), 0);
	/* Every single-bit change of the signature is rejected. */
	for (i = 0; i < sizeof(sig); i++) {
		memcpy(sig, alice_sig, sizeof(sig));
		sig[i] ^= 0x01;
		CHECK_EQ_INT(cry_xeddsa_verify(alice_pub + 1, alice_eph_pub,
		    33, sig), CRY_ERR_BAD_SIG);
	}
	/* And so is a change of the message. */
	CHECK_EQ_INT(cry_xeddsa_verify(alice_pub + 1, alice_eph_pub, 32,
	    alice_sig), CRY_ERR_BAD_SIG);
}

TEST(test_cry_xeddsa_sign_then_verify)
{
	struct cry_keypair kp, other;
	uint8_t s1[64], s2[64];
	const char *msg = "\x06\x00" "device identity";

	cry_keypair_generate(&kp);
	cry_keypair_generate(&other);
	CHECK_EQ_INT(cry_xeddsa_sign(s1, kp.priv, msg, 17), 0);
	CHECK_EQ_INT(cry_xeddsa_sign(s2, kp.priv, msg, 17), 0);
	/* Randomised: two signatures differ, both verify. */
	CHECK(memcmp(s1, s2, 64) != 0);
	CHECK_EQ_INT(cry_xeddsa_verify(kp.pub, msg, 17, s1), 0);
	CHECK_EQ_INT(cry_xeddsa_verify(kp.pub, msg, 17, s2), 0);
	CHECK_EQ_INT(cry_xeddsa_verify(other.pub, msg, 17, s1), CRY_ERR_BAD_SIG);
	CHECK_EQ_INT(cry_xeddsa_verify(kp.pub, msg, 16, s1), CRY_ERR_BAD_SIG);
	/* Empty message. */
	CHECK_EQ_INT(cry_xeddsa_sign(s1, kp.priv, NULL, 0), 0);
	CHECK_EQ_INT(cry_xeddsa_verify(kp.pub, NULL, 0, s1), 0);
}

TEST(test_cry_xeddsa_libsignal_key_agrees)
{
	/* The vector's private key, given to our signing wrapper, makes
	 * signatures that verify under the vector's public key. */
	uint8_t sig[64];

	CHECK_EQ_INT(cry_xeddsa_sign(sig, alice_priv, "hello", 5), 0);
	CHECK_EQ_INT(cry_xeddsa_verify(alice_pub + 1, "hello", 5, sig), 0);
}

TEST(test_cry_xeddsa_unclamped_private_key)
{
	/* A private key that was not clamped (imported, or all one byte)
	 * signs consistently with the public key X25519 derives from it. */
	struct cry_keypair kp;
	uint8_t priv[32], sig[64];

	memset(priv, 0xff, sizeof(priv));
	REQUIRE(cry_keypair_from_private(&kp, priv) == 0);
	CHECK_EQ_INT(cry_xeddsa_sign(sig, kp.priv, "m", 1), 0);
	CHECK_EQ_INT(cry_xeddsa_verify(kp.pub, "m", 1, sig), 0);
}

TEST(test_cry_signal_provider_hmac_and_sha512)
{
	signal_crypto_provider p;
	signal_buffer *out = NULL;
	void *ctx = NULL;
	uint8_t key[20], want[64];

	REQUIRE(cry_signal_context() != NULL);
	cry_signal_provider(&p);
	memset(key, 0x0b, sizeof(key));
	REQUIRE(p.hmac_sha256_init_func(&ctx, key, 20, NULL) == 0);
	CHECK(p.hmac_sha256_update_func(ctx, (const uint8_t *)"Hi ", 3, NULL) == 0);
	CHECK(p.hmac_sha256_update_func(ctx, (const uint8_t *)"There", 5, NULL) == 0);
	REQUIRE(p.hmac_sha256_final_func(ctx, &out, NULL) == 0);
	p.hmac_sha256_cleanup_func(ctx, NULL);
	cry_hmac_sha256(key, 20, "Hi There", 8, want);
	CHECK_EQ_INT(signal_buffer_len(out), 32);
	CHECK_EQ_MEM(signal_buffer_data(out), want, 32);
	signal_buffer_free(out);

	REQUIRE(p.sha512_digest_init_func(&ctx, NULL) == 0);
	CHECK(p.sha512_digest_update_func(ctx, (const uint8_t *)"abc", 3, NULL) == 0);
	REQUIRE(p.sha512_digest_final_func(ctx, &out, NULL) == 0);
	cry_sha512("abc", 3, want);
	CHECK_EQ_MEM(signal_buffer_data(out), want, 64);
	signal_buffer_free(out);
	/* Reusable after final. */
	CHECK(p.sha512_digest_update_func(ctx, (const uint8_t *)"abc", 3, NULL) == 0);
	REQUIRE(p.sha512_digest_final_func(ctx, &out, NULL) == 0);
	CHECK_EQ_MEM(signal_buffer_data(out), want, 64);
	signal_buffer_free(out);
	p.sha512_digest_cleanup_func(ctx, NULL);
}

TEST(test_cry_signal_provider_aes)
{
	signal_crypto_provider p;
	signal_buffer *ct = NULL, *pt = NULL;
	uint8_t key[32], iv[16];
	uint8_t ref[48];
	size_t rl = 0;

	cry_signal_provider(&p);
	cry_random(key, sizeof(key));
	cry_random(iv, sizeof(iv));
	/* CBC matches cry_aes_cbc_encrypt and round-trips. */
	REQUIRE(p.encrypt_func(&ct, SG_CIPHER_AES_CBC_PKCS5, key, 32, iv, 16,
	    (const uint8_t *)"signal message", 14, NULL) == 0);
	CHECK_EQ_INT(cry_aes_cbc_encrypt(key, iv, "signal message", 14, ref, &rl), 0);
	CHECK_EQ_INT(signal_buffer_len(ct), rl);
	CHECK_EQ_MEM(signal_buffer_data(ct), ref, rl);
	REQUIRE(p.decrypt_func(&pt, SG_CIPHER_AES_CBC_PKCS5, key, 32, iv, 16,
	    signal_buffer_data(ct), signal_buffer_len(ct), NULL) == 0);
	CHECK_EQ_INT(signal_buffer_len(pt), 14);
	CHECK_EQ_MEM(signal_buffer_data(pt), "signal message", 14);
	signal_buffer_free(ct);
	signal_buffer_free(pt);
	ct = pt = NULL;
	/* CTR keeps the length. */
	REQUIRE(p.encrypt_func(&ct, SG_CIPHER_AES_CTR_NOPADDING, key, 32, iv, 16,
	    (const uint8_t *)"abc", 3, NULL) == 0);
	CHECK_EQ_INT(signal_buffer_len(ct), 3);
	REQUIRE(p.decrypt_func(&pt, SG_CIPHER_AES_CTR_NOPADDING, key, 32, iv, 16,
	    signal_buffer_data(ct), 3, NULL) == 0);
	CHECK_EQ_MEM(signal_buffer_data(pt), "abc", 3);
	signal_buffer_free(ct);
	signal_buffer_free(pt);
	/* Bad key length / cipher are refused. */
	CHECK(p.encrypt_func(&ct, SG_CIPHER_AES_CBC_PKCS5, key, 31, iv, 16,
	    (const uint8_t *)"abc", 3, NULL) < 0);
	CHECK(p.encrypt_func(&ct, 99, key, 32, iv, 16,
	    (const uint8_t *)"abc", 3, NULL) < 0);
}

TEST_MAIN()
