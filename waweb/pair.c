/*
 * pair.c: checking the phone's pair-success and signing our side of it;
 * creating a fresh device's keys.
 *
 * pair-success carries <device-identity> = ADVSignedDeviceIdentityHMAC:
 *  1. HMAC-SHA256(ADV secret, [06 05 if account type HOSTED] || details)
 *     must equal its hmac (constant-time compare);
 *  2. details = ADVSignedDeviceIdentity, whose details = ADVDeviceIdentity;
 *  3. the account signature (XEdDSA by account_signature_key, the phone's
 *     identity key) must verify over 06 00 (06 05 for a HOSTED device) ||
 *     ADVDeviceIdentity bytes || our identity public key;
 *  4. we sign 06 01 || ADVDeviceIdentity bytes || our identity public key ||
 *     account_signature_key with our identity key;
 *  5. the reply <pair-device-sign><device-identity key-index=N> carries the
 *     ADVSignedDeviceIdentity without account_signature_key and with our
 *     device signature.
 * (research/wa-protocol.md 4.3; whatsmeow pair.go.)
 *
 * Does not: send anything (conn.c does) or save the device (the store).
 * Limits: the container is refused above WA_PAIR_IDENTITY_MAX before
 * protobuf-c allocates anything.
 */
#include <string.h>

#include <sodium.h>

#include "crypto/cry.h"
#include "proto/adv.pb-c.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/pair.h"

static const uint8_t prefix_account[2] = { 6, 0 };
static const uint8_t prefix_device[2] = { 6, 1 };
static const uint8_t prefix_hosted_account[2] = { 6, 5 };

void
wa__pair_result_clear(struct wa__pair_result *r)
{
	if (r == NULL)
		return;
	free(r->adv_details);
	free(r->reply);
	sodium_memzero(r, sizeof(*r));
}

int
wa__pair_verify(const struct wa_device *dev, const uint8_t *p, size_t len,
    struct wa__pair_result *out)
{
	Wa__ADVSignedDeviceIdentityHMAC *hm = NULL;
	Wa__ADVSignedDeviceIdentity *sdi = NULL;
	Wa__ADVDeviceIdentity *di = NULL;
	struct wa__pair_result res;
	uint8_t mac[CRY_SHA256_LEN], *msg = NULL, *macin = NULL;
	const uint8_t *prefix;
	size_t n;
	int r = WA_ERR_PAIR_MALFORMED;

	memset(&res, 0, sizeof(res));
	if (len == 0 || len > WA_PAIR_IDENTITY_MAX)
		goto out;
	if ((hm = wa__advsigned_device_identity_hmac__unpack(NULL, len, p)) == NULL)
		goto out;
	if (!hm->has_details || !hm->has_hmac || hm->hmac.len != CRY_SHA256_LEN)
		goto out;

	/* 1. HMAC with the ADV secret we put in the QR code. */
	n = hm->details.len;
	macin = u_malloc(n + 2);
	if (hm->has_account_type && hm->account_type == WA__ADVENCRYPTION_TYPE__ADV_HOSTED) {
		memcpy(macin, prefix_hosted_account, 2);
		memcpy(macin + 2, hm->details.data, n);
		n += 2;
	} else
		memcpy(macin, hm->details.data, n);
	cry_hmac_sha256(dev->adv_secret, WA_KEY_LEN, macin, n, mac);
	if (!cry_equal(mac, hm->hmac.data, CRY_SHA256_LEN)) {
		r = WA_ERR_PAIR_HMAC;
		goto out;
	}

	/* 2. The signed identity and its details. */
	sdi = wa__advsigned_device_identity__unpack(NULL, hm->details.len,
	    hm->details.data);
	if (sdi == NULL || !sdi->has_details ||
	    sdi->details.len > WA_ADV_DETAILS_MAX)
		goto out;
	di = wa__advdevice_identity__unpack(NULL, sdi->details.len,
	    sdi->details.data);
	if (di == NULL)
		goto out;

	/* 3. The phone's account signature over our identity key. */
	r = WA_ERR_PAIR_SIGNATURE;
	if (!sdi->has_account_signature_key || !sdi->has_account_signature ||
	    sdi->account_signature_key.len != WA_KEY_LEN ||
	    sdi->account_signature.len != WA_SIG_LEN)
		goto out;
	prefix = di->has_device_type &&
	    di->device_type == WA__ADVENCRYPTION_TYPE__ADV_HOSTED ?
	    prefix_hosted_account : prefix_account;
	n = 2 + sdi->details.len + WA_KEY_LEN + WA_KEY_LEN;
	msg = u_malloc(n);
	memcpy(msg, prefix, 2);
	memcpy(msg + 2, sdi->details.data, sdi->details.len);
	memcpy(msg + 2 + sdi->details.len, dev->identity.pub, WA_KEY_LEN);
	if (cry_xeddsa_verify(sdi->account_signature_key.data, msg,
	    2 + sdi->details.len + WA_KEY_LEN, sdi->account_signature.data) != 0)
		goto out;

	/* 4. Our device signature. */
	memcpy(msg, prefix_device, 2);
	memcpy(msg + 2 + sdi->details.len + WA_KEY_LEN,
	    sdi->account_signature_key.data, WA_KEY_LEN);
	if ((r = cry_xeddsa_sign(res.device_sig, dev->identity.priv, msg, n)) != 0)
		goto out;

	res.key_index = di->has_key_index ? di->key_index : 0;
	res.adv_details = u_memdup(sdi->details.data, sdi->details.len);
	res.adv_details_len = sdi->details.len;
	memcpy(res.account_sig, sdi->account_signature.data, WA_SIG_LEN);
	memcpy(res.account_sig_key, sdi->account_signature_key.data, WA_KEY_LEN);

	/* 5. The reply: same identity, key removed, our signature added. */
	sdi->has_account_signature_key = 0;
	sdi->account_signature_key.len = 0;
	sdi->has_device_signature = 1;
	sdi->device_signature.data = res.device_sig;
	sdi->device_signature.len = WA_SIG_LEN;
	res.reply_len = wa__advsigned_device_identity__get_packed_size(sdi);
	res.reply = u_malloc(res.reply_len);
	wa__advsigned_device_identity__pack(sdi, res.reply);
	/* Hand the borrowed pointer back before protobuf-c frees sdi. */
	sdi->device_signature.data = NULL;
	sdi->has_device_signature = 0;

	*out = res;
	memset(&res, 0, sizeof(res));
	r = 0;
out:
	wa__pair_result_clear(&res);
	free(msg);
	free(macin);
	if (di != NULL)
		wa__advdevice_identity__free_unpacked(di, NULL);
	if (sdi != NULL)
		wa__advsigned_device_identity__free_unpacked(sdi, NULL);
	if (hm != NULL)
		wa__advsigned_device_identity_hmac__free_unpacked(hm, NULL);
	return r;
}

void
wa__pair_error_reply(int err, unsigned *code, const char **text)
{
	switch (err) {
	case WA_ERR_PAIR_HMAC:
		*code = 401;
		*text = "hmac-mismatch";
		break;
	case WA_ERR_PAIR_SIGNATURE:
		*code = 401;
		*text = "signature-mismatch";
		break;
	default:
		*code = 500;
		*text = "internal-error";
		break;
	}
}

int
wa_device_generate(struct wa_device *dev)
{
	uint8_t msg[CRY_PUB_PREFIXED_LEN];
	struct cry_keypair kp;
	int r;

	if ((r = cry_init()) != 0)
		return r;
	memset(dev, 0, sizeof(*dev));
	cry_keypair_generate(&kp);
	memcpy(&dev->noise, &kp, sizeof(kp));
	cry_keypair_generate(&kp);
	memcpy(&dev->identity, &kp, sizeof(kp));
	cry_keypair_generate(&kp);
	memcpy(&dev->signed_prekey, &kp, sizeof(kp));
	cry_keypair_wipe(&kp);
	dev->signed_prekey_id = 1;
	/* Signed prekeys are signed over the 0x05-prefixed public key. */
	cry_pub_prefix(msg, dev->signed_prekey.pub);
	if ((r = cry_xeddsa_sign(dev->signed_prekey_sig, dev->identity.priv, msg,
	    sizeof(msg))) != 0) {
		wa_device_clear(dev);
		return r;
	}
	/* Like whatsmeow: any 32-bit value (Baileys uses 14 bits; both work). */
	dev->registration_id = cry_random_u32();
	cry_random(dev->adv_secret, sizeof(dev->adv_secret));
	return 0;
}
