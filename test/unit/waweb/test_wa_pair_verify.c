/* Tests for waweb/pair.c: pair-success verification with a simulated phone,
 * good and tampered HMAC and signatures, and the pair-device-sign reply. */
#include "crypto/cry.h"
#include "proto/adv.pb-c.h"
#include "test/unit/test.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/pair.h"

struct phone {
	struct cry_keypair	 account;
	uint8_t			*details;	/* ADVDeviceIdentity */
	size_t			 details_len;
};

enum tamper {
	T_NONE, T_HMAC, T_ACCOUNT_SIG, T_OTHER_IDENTITY, T_HOSTED,
	T_SHORT_KEY,
};

/* Build the <device-identity> bytes a phone would send; owned result. */
static uint8_t *
make_identity(struct phone *ph, const struct wa_device *dev, enum tamper t,
    size_t *outlen)
{
	Wa__ADVDeviceIdentity di = WA__ADVDEVICE_IDENTITY__INIT;
	Wa__ADVSignedDeviceIdentity sdi = WA__ADVSIGNED_DEVICE_IDENTITY__INIT;
	Wa__ADVSignedDeviceIdentityHMAC hm = WA__ADVSIGNED_DEVICE_IDENTITY_HMAC__INIT;
	uint8_t sig[64], mac[32], msg[512], other[32], *sdibuf, *out, *macin;
	size_t n;

	di.has_raw_id = 1;
	di.raw_id = 4242;
	di.has_timestamp = 1;
	di.timestamp = 1700000000;
	di.has_key_index = 1;
	di.key_index = 3;
	if (t == T_HOSTED) {
		di.has_device_type = 1;
		di.device_type = WA__ADVENCRYPTION_TYPE__ADV_HOSTED;
	}
	ph->details_len = wa__advdevice_identity__get_packed_size(&di);
	ph->details = u_malloc(ph->details_len);
	wa__advdevice_identity__pack(&di, ph->details);

	msg[0] = 6;
	msg[1] = t == T_HOSTED ? 5 : 0;
	memcpy(msg + 2, ph->details, ph->details_len);
	cry_random(other, 32);
	memcpy(msg + 2 + ph->details_len,
	    t == T_OTHER_IDENTITY ? other : dev->identity.pub, 32);
	cry_xeddsa_sign(sig, ph->account.priv, msg, 2 + ph->details_len + 32);
	if (t == T_ACCOUNT_SIG)
		sig[10] ^= 1;
	sdi.has_details = 1;
	sdi.details.data = ph->details;
	sdi.details.len = ph->details_len;
	sdi.has_account_signature_key = 1;
	sdi.account_signature_key.data = ph->account.pub;
	sdi.account_signature_key.len = t == T_SHORT_KEY ? 31 : 32;
	sdi.has_account_signature = 1;
	sdi.account_signature.data = sig;
	sdi.account_signature.len = 64;
	n = wa__advsigned_device_identity__get_packed_size(&sdi);
	sdibuf = u_malloc(n);
	wa__advsigned_device_identity__pack(&sdi, sdibuf);

	if (t == T_HOSTED) {
		macin = u_malloc(n + 2);
		macin[0] = 6;
		macin[1] = 5;
		memcpy(macin + 2, sdibuf, n);
		cry_hmac_sha256(dev->adv_secret, 32, macin, n + 2, mac);
		free(macin);
		hm.has_account_type = 1;
		hm.account_type = WA__ADVENCRYPTION_TYPE__ADV_HOSTED;
	} else
		cry_hmac_sha256(dev->adv_secret, 32, sdibuf, n, mac);
	if (t == T_HMAC)
		mac[0] ^= 0x80;
	hm.has_details = 1;
	hm.details.data = sdibuf;
	hm.details.len = n;
	hm.has_hmac = 1;
	hm.hmac.data = mac;
	hm.hmac.len = 32;
	*outlen = wa__advsigned_device_identity_hmac__get_packed_size(&hm);
	out = u_malloc(*outlen);
	wa__advsigned_device_identity_hmac__pack(&hm, out);
	free(sdibuf);
	return out;
}

static int
run(enum tamper t, struct wa__pair_result *res, struct phone *ph,
    struct wa_device *dev)
{
	uint8_t *id;
	size_t len;
	int r;

	if (wa_device_generate(dev) != 0)
		return -9999;
	cry_keypair_generate(&ph->account);
	id = make_identity(ph, dev, t, &len);
	memset(res, 0, sizeof(*res));
	r = wa__pair_verify(dev, id, len, res);
	free(id);
	return r;
}

TEST(test_wa_pair_verify_accepts_good_identity_and_signs)
{
	struct wa__pair_result res;
	struct wa_device dev;
	struct phone ph;
	Wa__ADVSignedDeviceIdentity *rep;
	uint8_t msg[512];
	size_t n;

	REQUIRE(run(T_NONE, &res, &ph, &dev) == 0);
	CHECK_EQ_INT(res.key_index, 3);
	CHECK_EQ_INT(res.adv_details_len, ph.details_len);
	CHECK_EQ_MEM(res.adv_details, ph.details, ph.details_len);
	CHECK_EQ_MEM(res.account_sig_key, ph.account.pub, 32);
	/* The reply drops the account key and adds a device signature that
	 * verifies with our identity over 06 01 || details || id || account. */
	rep = wa__advsigned_device_identity__unpack(NULL, res.reply_len, res.reply);
	REQUIRE(rep != NULL);
	CHECK(!rep->has_account_signature_key);
	CHECK(rep->has_account_signature && rep->account_signature.len == 64);
	REQUIRE(rep->has_device_signature && rep->device_signature.len == 64);
	CHECK_EQ_MEM(rep->device_signature.data, res.device_sig, 64);
	msg[0] = 6;
	msg[1] = 1;
	n = 2;
	memcpy(msg + n, ph.details, ph.details_len);
	n += ph.details_len;
	memcpy(msg + n, dev.identity.pub, 32);
	n += 32;
	memcpy(msg + n, ph.account.pub, 32);
	n += 32;
	CHECK_EQ_INT(cry_xeddsa_verify(dev.identity.pub, msg, n, res.device_sig), 0);
	/* ... and not with the account prefix. */
	msg[1] = 0;
	CHECK(cry_xeddsa_verify(dev.identity.pub, msg, n, res.device_sig) != 0);
	wa__advsigned_device_identity__free_unpacked(rep, NULL);
	wa__pair_result_clear(&res);
	wa_device_clear(&dev);
	free(ph.details);
}

TEST(test_wa_pair_verify_accepts_hosted_prefixes)
{
	struct wa__pair_result res;
	struct wa_device dev;
	struct phone ph;

	CHECK_EQ_INT(run(T_HOSTED, &res, &ph, &dev), 0);
	wa__pair_result_clear(&res);
	wa_device_clear(&dev);
	free(ph.details);
}

static void
expect_fail(int *test_failed_, enum tamper t, int want)
{
	struct wa__pair_result res;
	struct wa_device dev;
	struct phone ph;
	unsigned code;
	const char *text;

	CHECK_EQ_INT(run(t, &res, &ph, &dev), want);
	CHECK(res.reply == NULL);
	wa__pair_error_reply(want, &code, &text);
	CHECK_EQ_INT(code, want == WA_ERR_PAIR_MALFORMED ? 500 : 401);
	wa_device_clear(&dev);
	free(ph.details);
}

TEST(test_wa_pair_verify_rejects_tampered_hmac)
{
	expect_fail(test_failed_, T_HMAC, WA_ERR_PAIR_HMAC);
}

TEST(test_wa_pair_verify_rejects_tampered_account_signature)
{
	expect_fail(test_failed_, T_ACCOUNT_SIG, WA_ERR_PAIR_SIGNATURE);
}

TEST(test_wa_pair_verify_rejects_signature_over_other_identity)
{
	expect_fail(test_failed_, T_OTHER_IDENTITY, WA_ERR_PAIR_SIGNATURE);
}

TEST(test_wa_pair_verify_rejects_short_account_key)
{
	expect_fail(test_failed_, T_SHORT_KEY, WA_ERR_PAIR_SIGNATURE);
}

TEST(test_wa_pair_verify_rejects_wrong_adv_secret)
{
	struct wa__pair_result res;
	struct wa_device dev;
	struct phone ph;
	uint8_t *id;
	size_t len;

	REQUIRE(wa_device_generate(&dev) == 0);
	cry_keypair_generate(&ph.account);
	id = make_identity(&ph, &dev, T_NONE, &len);
	dev.adv_secret[5] ^= 1;
	CHECK_EQ_INT(wa__pair_verify(&dev, id, len, &res), WA_ERR_PAIR_HMAC);
	free(id);
	wa_device_clear(&dev);
	free(ph.details);
}

TEST(test_wa_pair_verify_rejects_garbage_and_oversize)
{
	static const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2 };
	struct wa__pair_result res;
	struct wa_device dev;
	uint8_t *big;

	REQUIRE(wa_device_generate(&dev) == 0);
	CHECK_EQ_INT(wa__pair_verify(&dev, junk, sizeof(junk), &res),
	    WA_ERR_PAIR_MALFORMED);
	CHECK_EQ_INT(wa__pair_verify(&dev, junk, 0, &res), WA_ERR_PAIR_MALFORMED);
	big = u_calloc(1, WA_PAIR_IDENTITY_MAX + 1);
	CHECK_EQ_INT(wa__pair_verify(&dev, big, WA_PAIR_IDENTITY_MAX + 1, &res),
	    WA_ERR_PAIR_MALFORMED);
	free(big);
	wa_device_clear(&dev);
}

TEST(test_wa_device_generate_signs_prekey)
{
	struct wa_device dev;
	uint8_t msg[33];

	REQUIRE(wa_device_generate(&dev) == 0);
	CHECK_EQ_INT(dev.signed_prekey_id, 1);
	cry_pub_prefix(msg, dev.signed_prekey.pub);
	CHECK_EQ_INT(cry_xeddsa_verify(dev.identity.pub, msg, 33,
	    dev.signed_prekey_sig), 0);
	wa_device_clear(&dev);
}

TEST_MAIN()
