/* Tests for waweb/paircode.c and waweb/qr.c: the pairing code alphabet and
 * key wrapping (vectors computed with Python's hashlib and cryptography),
 * and the QR text format. */
#include <sodium.h>

#include "test/unit/test.h"
#include "waweb/conn_int.h"

TEST(test_wa_paircode_encode_matches_base32_alphabet)
{
	/* base64.b32encode translated to the linking alphabet. */
	static const uint8_t a[5] = { 0x01, 0x23, 0x45, 0x67, 0x89 };
	static const uint8_t b[5] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t z[5] = { 0, 0, 0, 0, 0 };
	char out[WA_PAIRCODE_LEN + 1];

	wa__paircode_encode(a, out);
	CHECK_EQ_STR(out, "15JMBSWA");
	wa__paircode_encode(b, out);
	CHECK_EQ_STR(out, "ZZZZZZZZ");
	wa__paircode_encode(z, out);
	CHECK_EQ_STR(out, "11111111");
}

TEST(test_wa_paircode_wrap_known_vector)
{
	static const uint8_t want[32] = {
		0x63, 0xaf, 0xc0, 0x8e, 0x42, 0x8d, 0x15, 0x18, 0x34, 0x92, 0x9e,
		0x31, 0x37, 0x4e, 0x3a, 0x64, 0x47, 0x9f, 0xd1, 0xe1, 0x88, 0x70,
		0x36, 0xe4, 0xf5, 0x74, 0x3e, 0x1a, 0x59, 0x96, 0x5c, 0x27 };
	uint8_t salt[32], iv[16], pub[32], out[WA_PAIRCODE_WRAPPED_LEN], back[32];
	int i;

	for (i = 0; i < 32; i++) {
		salt[i] = (uint8_t)i;
		pub[i] = (uint8_t)(200 + i);
	}
	for (i = 0; i < 16; i++)
		iv[i] = (uint8_t)(100 + i);
	REQUIRE(wa__paircode_wrap("ABCD2345", salt, iv, pub, out) == 0);
	CHECK_EQ_MEM(out, salt, 32);
	CHECK_EQ_MEM(out + 32, iv, 16);
	CHECK_EQ_MEM(out + 48, want, 32);
	REQUIRE(wa__paircode_unwrap("ABCD2345", out, back) == 0);
	CHECK_EQ_MEM(back, pub, 32);
	/* A wrong code gives another key, not an error: the DH then fails. */
	REQUIRE(wa__paircode_unwrap("ABCD2346", out, back) == 0);
	CHECK(memcmp(back, pub, 32) != 0);
}

TEST(test_wa_qr_string_has_five_fields)
{
	struct wa_device d;
	char *qr, *p, *field[6];
	uint8_t bin[64];
	size_t binlen, n = 0;

	memset(&d, 0, sizeof(d));
	randombytes_buf(d.noise.pub, 32);
	randombytes_buf(d.identity.pub, 32);
	randombytes_buf(d.adv_secret, 32);
	qr = wa__qr_string((const uint8_t *)"2@abc/DEF+==", 12, &d,
	    wa__qr_platform_id("chrome"));
	REQUIRE(qr != NULL);
	REQUIRE(strncmp(qr, WA_QR_PREFIX, strlen(WA_QR_PREFIX)) == 0);
	p = qr + strlen(WA_QR_PREFIX);
	while (n < 6 && (field[n] = strsep(&p, ",")) != NULL)
		n++;
	REQUIRE(n == 5);
	CHECK_EQ_STR(field[0], "2@abc/DEF+==");
	REQUIRE(sodium_base642bin(bin, sizeof(bin), field[1], strlen(field[1]),
	    NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
	CHECK(binlen == 32 && memcmp(bin, d.noise.pub, 32) == 0);
	REQUIRE(sodium_base642bin(bin, sizeof(bin), field[2], strlen(field[2]),
	    NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
	CHECK(binlen == 32 && memcmp(bin, d.identity.pub, 32) == 0);
	REQUIRE(sodium_base642bin(bin, sizeof(bin), field[3], strlen(field[3]),
	    NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
	CHECK(binlen == 32 && memcmp(bin, d.adv_secret, 32) == 0);
	CHECK_EQ_STR(field[4], "1");
	free(qr);
}

TEST(test_wa_qr_string_rejects_bad_refs)
{
	struct wa_device d;

	memset(&d, 0, sizeof(d));
	CHECK(wa__qr_string((const uint8_t *)"a,b", 3, &d, "9") == NULL);
	CHECK(wa__qr_string((const uint8_t *)"a\nb", 3, &d, "9") == NULL);
	CHECK(wa__qr_string((const uint8_t *)"", 0, &d, "9") == NULL);
}

TEST(test_wa_qr_platform_ids)
{
	CHECK_EQ_STR(wa__qr_platform_id(NULL), "9");
	CHECK_EQ_STR(wa__qr_platform_id("unknown"), "9");
	CHECK_EQ_STR(wa__qr_platform_id("Chrome"), "1");
	CHECK_EQ_STR(wa__qr_platform_id("firefox"), "3");
	CHECK_EQ_STR(wa__qr_platform_id("edge"), "2");
	CHECK_EQ_STR(wa__qr_platform_id("android_phone"), "e");
	CHECK_EQ_INT(wa__device_platform_type("firefox"), 2);
	CHECK_EQ_INT(wa__device_platform_type("nonsense"), 0);
}

TEST_MAIN()
