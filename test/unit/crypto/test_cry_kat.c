/*
 * test_cry_kat.c: known-answer tests for the crypto primitives: SHA-256,
 * HMAC-SHA256/512 (RFC 4231), HKDF-SHA256 (RFC 5869), AES-256-GCM (GCM spec
 * test cases 13, 14, 16), AES-256-CBC (NIST SP 800-38A F.2.5), X25519
 * (RFC 7748 6.1), and the error paths around them.
 */
#include <string.h>

#include "crypto/cry.h"
#include "test/unit/test.h"
#include "test/unit/crypto/hex.h"
#include "util/err.h"

#define EQ_HEX(buf, len, hex) do {					\
	size_t n_;							\
	uint8_t *x_ = unhex(hex, &n_);					\
	CHECK_EQ_INT(len, n_);						\
	if ((size_t)(len) == n_)					\
		CHECK_EQ_MEM(buf, x_, n_);				\
	free(x_);							\
} while (0)

TEST(test_cry_init_registers_strerror)
{
	CHECK_EQ_INT(cry_init(), 0);
	CHECK_EQ_INT(cry_init(), 0);
	CHECK_EQ_STR(u_strerror(CRY_ERR_AUTH),
	    "crypto: authentication tag mismatch");
}

TEST(test_cry_sha256_abc)
{
	uint8_t out[32];

	cry_sha256("abc", 3, out);
	EQ_HEX(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cry_sha256_cat("a", 1, "bc", 2, out);
	EQ_HEX(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(test_cry_hmac_rfc4231)
{
	uint8_t key[131], o256[32], o512[64];
	const char *d1 = "Hi There", *d2 = "what do ya want for nothing?";
	const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";

	memset(key, 0x0b, 20);
	cry_hmac_sha256(key, 20, d1, strlen(d1), o256);
	EQ_HEX(o256, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	cry_hmac_sha512(key, 20, d1, strlen(d1), o512);
	EQ_HEX(o512, 64, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");

	cry_hmac_sha256("Jefe", 4, d2, strlen(d2), o256);
	EQ_HEX(o256, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	cry_hmac_sha512("Jefe", 4, d2, strlen(d2), o512);
	EQ_HEX(o512, 64, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");

	memset(key, 0xaa, sizeof(key));
	cry_hmac_sha256(key, 131, d6, strlen(d6), o256);
	EQ_HEX(o256, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	cry_hmac_sha512(key, 131, d6, strlen(d6), o512);
	EQ_HEX(o512, 64, "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	    "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

TEST(test_cry_hkdf_rfc5869)
{
	uint8_t ikm[80], salt[80], info[80], out[82];
	int i;

	/* Test case 1 */
	memset(ikm, 0x0b, 22);
	for (i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	CHECK_EQ_INT(cry_hkdf_sha256(salt, 13, ikm, 22, info, 10, out, 42), 0);
	EQ_HEX(out, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865");

	/* Test case 2: long inputs, 82-byte output (three blocks) */
	for (i = 0; i < 80; i++) {
		ikm[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0x60 + i);
		info[i] = (uint8_t)(0xb0 + i);
	}
	CHECK_EQ_INT(cry_hkdf_sha256(salt, 80, ikm, 80, info, 80, out, 82), 0);
	EQ_HEX(out, 82, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	    "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	    "cc30c58179ec3e87c14c01d5c1f3434f1d87");

	/* Test case 3: no salt, no info */
	memset(ikm, 0x0b, 22);
	CHECK_EQ_INT(cry_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, out, 42), 0);
	EQ_HEX(out, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8");
}

TEST(test_cry_hkdf_rejects_long_output)
{
	uint8_t out[1];

	CHECK_EQ_INT(cry_hkdf_sha256(NULL, 0, "x", 1, NULL, 0, out,
	    CRY_HKDF_MAX_OUT + 1), CRY_ERR_TOO_BIG);
}

TEST(test_cry_gcm_spec_vectors)
{
	uint8_t key[32] = { 0 }, iv[12] = { 0 }, pt[64] = { 0 }, out[128];
	uint8_t back[128];
	size_t kl, pl, al, il, cl;
	uint8_t *k, *p, *a, *v, *c;

	/* Test case 13: empty plaintext, zero key and IV */
	CHECK_EQ_INT(cry_aes_gcm_encrypt(key, iv, NULL, 0, NULL, 0, out), 0);
	EQ_HEX(out, 16, "530f8afbc74536b9a963b4f1c4cb738b");
	CHECK_EQ_INT(cry_aes_gcm_decrypt(key, iv, NULL, 0, out, 16, back), 0);

	/* Test case 14: one zero block */
	CHECK_EQ_INT(cry_aes_gcm_encrypt(key, iv, NULL, 0, pt, 16, out), 0);
	EQ_HEX(out, 32, "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");

	/* Test case 16: AAD and a 60-byte plaintext */
	k = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", &kl);
	p = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39", &pl);
	a = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", &al);
	v = unhex("cafebabefacedbaddecaf888", &il);
	c = unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
	    "76fc6ece0f4e1768cddf8853bb2d551b", &cl);
	REQUIRE(kl == 32 && il == 12 && cl == pl + 16);
	CHECK_EQ_INT(cry_aes_gcm_encrypt(k, v, a, al, p, pl, out), 0);
	CHECK_EQ_MEM(out, c, cl);
	memset(back, 0, sizeof(back));
	CHECK_EQ_INT(cry_aes_gcm_decrypt(k, v, a, al, c, cl, back), 0);
	CHECK_EQ_MEM(back, p, pl);

	/* Any flipped bit in ciphertext, tag or AAD fails authentication. */
	c[3] ^= 1;
	CHECK_EQ_INT(cry_aes_gcm_decrypt(k, v, a, al, c, cl, back), CRY_ERR_AUTH);
	c[3] ^= 1;
	c[cl - 1] ^= 0x80;
	CHECK_EQ_INT(cry_aes_gcm_decrypt(k, v, a, al, c, cl, back), CRY_ERR_AUTH);
	c[cl - 1] ^= 0x80;
	a[0] ^= 1;
	CHECK_EQ_INT(cry_aes_gcm_decrypt(k, v, a, al, c, cl, back), CRY_ERR_AUTH);
	a[0] ^= 1;
	CHECK_EQ_INT(cry_aes_gcm_decrypt(k, v, a, al, c, cl, back), 0);
	CHECK_EQ_INT(cry_aes_gcm_decrypt(k, v, a, al, c, 15, back), CRY_ERR_BAD_LEN);
	free(k);
	free(p);
	free(a);
	free(v);
	free(c);
}

TEST(test_cry_gcm_context_reuse)
{
	uint8_t key[32], iv[12] = { 0 }, out[64], back[64];
	struct cry_gcm *g;
	int i;

	cry_random(key, sizeof(key));
	g = cry_gcm_new(key);
	REQUIRE(g != NULL);
	/* Interleaved seal/open on one context, as the Noise transport does. */
	for (i = 0; i < 5; i++) {
		iv[11] = (uint8_t)i;
		CHECK_EQ_INT(cry_gcm_seal(g, iv, "ad", 2, "hello world", 11, out), 0);
		CHECK_EQ_INT(cry_gcm_open(g, iv, "ad", 2, out, 27, back), 0);
		CHECK_EQ_MEM(back, "hello world", 11);
	}
	iv[11] = 99;
	CHECK_EQ_INT(cry_gcm_open(g, iv, "ad", 2, out, 27, back), CRY_ERR_AUTH);
	cry_gcm_free(g);
	cry_gcm_free(NULL);
}

TEST(test_cry_cbc_sp800_38a)
{
	uint8_t *k, *iv, *p, out[64], back[64];
	size_t kl, il, pl, ol = 0, bl = 0;

	k = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", &kl);
	iv = unhex("000102030405060708090a0b0c0d0e0f", &il);
	p = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", &pl);
	CHECK_EQ_INT(cry_aes_cbc_encrypt(k, iv, p, pl, out, &ol), 0);
	/* Two data blocks plus one full block of PKCS#7 padding. */
	CHECK_EQ_INT(ol, 48);
	EQ_HEX(out, 32, "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d");
	CHECK_EQ_INT(cry_aes_cbc_decrypt(k, iv, out, ol, back, &bl), 0);
	CHECK_EQ_INT(bl, 32);
	CHECK_EQ_MEM(back, p, 32);

	/* Odd length round trip. */
	CHECK_EQ_INT(cry_aes_cbc_encrypt(k, iv, "abc", 3, out, &ol), 0);
	CHECK_EQ_INT(ol, 16);
	CHECK_EQ_INT(cry_aes_cbc_decrypt(k, iv, out, ol, back, &bl), 0);
	CHECK_EQ_INT(bl, 3);
	CHECK_EQ_MEM(back, "abc", 3);

	/* The data blocks alone (no padding block) end in bad padding. */
	CHECK_EQ_INT(cry_aes_cbc_encrypt(k, iv, p, pl, out, &ol), 0);
	CHECK_EQ_INT(cry_aes_cbc_decrypt(k, iv, out, 32, back, &bl), CRY_ERR_PADDING);
	CHECK_EQ_INT(cry_aes_cbc_decrypt(k, iv, out, 31, back, &bl), CRY_ERR_BAD_LEN);
	CHECK_EQ_INT(cry_aes_cbc_decrypt(k, iv, out, 0, back, &bl), CRY_ERR_BAD_LEN);
	free(k);
	free(iv);
	free(p);
}

TEST(test_cry_x25519_rfc7748)
{
	uint8_t *a, *b, pub[32], s1[32], s2[32];
	size_t al, bl;
	struct cry_keypair kp;

	a = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", &al);
	b = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", &bl);
	CHECK_EQ_INT(cry_keypair_from_private(&kp, a), 0);
	EQ_HEX(kp.pub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	CHECK_EQ_INT(cry_public_from_private(pub, b), 0);
	EQ_HEX(pub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	CHECK_EQ_INT(cry_dh(s1, a, pub), 0);
	CHECK_EQ_INT(cry_dh(s2, b, kp.pub), 0);
	EQ_HEX(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	CHECK_EQ_MEM(s1, s2, 32);
	cry_keypair_wipe(&kp);
	free(a);
	free(b);
}

TEST(test_cry_x25519_rejects_low_order_point)
{
	struct cry_keypair kp;
	uint8_t zero[32] = { 0 }, one[32] = { 1 }, out[32];

	cry_keypair_generate(&kp);
	CHECK_EQ_INT(cry_dh(out, kp.priv, zero), CRY_ERR_BAD_KEY);
	CHECK_EQ_INT(cry_dh(out, kp.priv, one), CRY_ERR_BAD_KEY);
}

TEST(test_cry_keypair_generate_is_clamped_and_consistent)
{
	struct cry_keypair a, b;
	uint8_t pub[32], s1[32], s2[32];

	cry_keypair_generate(&a);
	cry_keypair_generate(&b);
	CHECK((a.priv[0] & 7) == 0);
	CHECK((a.priv[31] & 0xc0) == 0x40);
	CHECK(memcmp(a.priv, b.priv, 32) != 0);
	CHECK_EQ_INT(cry_public_from_private(pub, a.priv), 0);
	CHECK_EQ_MEM(pub, a.pub, 32);
	CHECK_EQ_INT(cry_dh(s1, a.priv, b.pub), 0);
	CHECK_EQ_INT(cry_dh(s2, b.priv, a.pub), 0);
	CHECK_EQ_MEM(s1, s2, 32);
}

TEST(test_cry_pub_prefix_forms)
{
	uint8_t raw[32], pre[33], back[32];

	cry_random(raw, sizeof(raw));
	cry_pub_prefix(pre, raw);
	CHECK_EQ_INT(pre[0], 0x05);
	CHECK_EQ_MEM(pre + 1, raw, 32);
	CHECK_EQ_INT(cry_pub_unprefix(back, pre, 33), 0);
	CHECK_EQ_MEM(back, raw, 32);
	CHECK_EQ_INT(cry_pub_unprefix(back, raw, 32), 0);
	CHECK_EQ_MEM(back, raw, 32);
	pre[0] = 0x06;
	CHECK_EQ_INT(cry_pub_unprefix(back, pre, 33), CRY_ERR_BAD_KEY);
	CHECK_EQ_INT(cry_pub_unprefix(back, raw, 31), CRY_ERR_BAD_KEY);
	CHECK_EQ_INT(cry_pub_unprefix(back, raw, 0), CRY_ERR_BAD_KEY);
}

TEST(test_cry_equal)
{
	CHECK(cry_equal("abcd", "abcd", 4));
	CHECK(!cry_equal("abcd", "abce", 4));
}

TEST_MAIN()
