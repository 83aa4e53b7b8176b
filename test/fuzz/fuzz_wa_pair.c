/*
 * fuzz_wa_pair: libFuzzer entry point for pair-success verification
 * (waweb/pair.c: ADVSignedDeviceIdentityHMAC, ADVSignedDeviceIdentity,
 * ADVDeviceIdentity from the server).
 *
 * First input byte selects the mode: even, the rest is the <device-identity>
 * bytes as received; odd, the rest is taken as the inner
 * ADVSignedDeviceIdentity and wrapped in a container with a correct HMAC,
 * so the fuzzer gets past the MAC into the inner parsers and the signature
 * checks.  Any crash, leak or UB is a finding; a verified result must come
 * with a reply.  Seeds: test/data/fuzz_wa_pair/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "proto/adv.pb-c.h"
#include "util/mem.h"
#include "waweb/pair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Wa__ADVSignedDeviceIdentityHMAC hm = WA__ADVSIGNED_DEVICE_IDENTITY_HMAC__INIT;
	struct wa__pair_result res;
	struct wa_device dev;
	uint8_t mac[32], *buf = NULL;
	size_t n;

	if (size < 1)
		return 0;
	memset(&dev, 0, sizeof(dev));
	memset(dev.identity.priv, 0x42, 32);
	memset(dev.adv_secret, 0x17, 32);
	wa_device_derive_public(&dev);
	if (data[0] & 1) {
		cry_hmac_sha256(dev.adv_secret, 32, data + 1, size - 1, mac);
		hm.has_details = 1;
		hm.details.data = (uint8_t *)data + 1;
		hm.details.len = size - 1;
		hm.has_hmac = 1;
		hm.hmac.data = mac;
		hm.hmac.len = 32;
		n = wa__advsigned_device_identity_hmac__get_packed_size(&hm);
		buf = u_malloc(n);
		wa__advsigned_device_identity_hmac__pack(&hm, buf);
	} else {
		n = size - 1;
		buf = u_memdup(data + 1, n);
	}
	if (wa__pair_verify(&dev, buf, n, &res) == 0) {
		if (res.reply == NULL || res.reply_len == 0)
			abort();
		wa__pair_result_clear(&res);
	}
	free(buf);
	return 0;
}
