/* Tests for waweb/store_mem.c and waweb/device.c: the in-memory device store. */
#include <string.h>

#include "test/unit/test.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/store.h"

static void
fill_device(struct wa_device *d, const char *jid)
{
	memset(d, 0, sizeof(*d));
	memset(d->noise.priv, 1, WA_KEY_LEN);
	memset(d->identity.priv, 2, WA_KEY_LEN);
	memset(d->signed_prekey.priv, 3, WA_KEY_LEN);
	wa_device_derive_public(d);
	d->registration_id = 12345;
	d->signed_prekey_id = 1;
	memset(d->adv_secret, 4, WA_KEY_LEN);
	d->jid = u_strdup(jid);
	d->lid = u_strdup("999:7@lid");
	d->adv_details = u_memdup("\x08\x01", 2);
	d->adv_details_len = 2;
	d->platform = u_strdup("android");
}

TEST(test_wa_store_mem_device_roundtrip)
{
	struct wa_store_mem *m = wa_store_mem_new();
	const struct wa_store_ops *ops = &wa_store_mem_ops;
	struct wa_device d, got;

	memset(&got, 0, sizeof(got));
	CHECK_EQ_INT(ops->device_load(m, NULL, &got), U_ERR_NOT_FOUND);
	fill_device(&d, "33600000000:7@s.whatsapp.net");
	CHECK_EQ_INT(ops->device_save(m, &d), 0);
	CHECK_EQ_INT(ops->device_load(m, "33600000000:7@s.whatsapp.net", &got), 0);
	CHECK_EQ_STR(got.jid, d.jid);
	CHECK_EQ_STR(got.lid, "999:7@lid");
	CHECK_EQ_INT(got.registration_id, 12345);
	CHECK_EQ_MEM(got.identity.pub, d.identity.pub, WA_KEY_LEN);
	CHECK_EQ_INT(got.adv_details_len, 2);
	wa_device_clear(&got);
	CHECK_EQ_INT(ops->device_load(m, "other@s.whatsapp.net", &got), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(ops->device_delete(m, d.jid), 0);
	CHECK_EQ_INT(ops->device_load(m, NULL, &got), U_ERR_NOT_FOUND);
	wa_device_clear(&d);
	wa_store_mem_free(m);
}

TEST(test_wa_device_derive_public_is_x25519_base)
{
	/* RFC 7748 6.1: Alice's private key and public key. */
	static const uint8_t priv[32] = {
		0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1,
		0x72, 0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0,
		0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a };
	static const uint8_t pub[32] = {
		0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d,
		0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38,
		0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a };
	struct wa_device d;

	memset(&d, 0, sizeof(d));
	memcpy(d.noise.priv, priv, 32);
	wa_device_derive_public(&d);
	CHECK_EQ_MEM(d.noise.pub, pub, 32);
}

TEST(test_wa_store_mem_prekeys)
{
	struct wa_store_mem *m = wa_store_mem_new();
	const struct wa_store_ops *ops = &wa_store_mem_ops;
	const char *jid = "1:2@s.whatsapp.net";
	uint8_t k[WA_KEY_LEN], privs[10][WA_KEY_LEN];
	uint32_t ids[10], max = 99, i;
	unsigned n = 99;

	CHECK_EQ_INT(ops->prekey_max_id(m, jid, &max), 0);
	CHECK_EQ_INT(max, 0);
	for (i = 5; i >= 1; i--) {
		memset(k, (int)i, sizeof(k));
		CHECK_EQ_INT(ops->prekey_put(m, jid, i, k, 0), 0);
	}
	CHECK_EQ_INT(ops->prekey_put(m, jid, 0, k, 0), U_ERR_INVALID);
	CHECK_EQ_INT(ops->prekey_put(m, jid, WA_PREKEY_ID_MAX + 1, k, 0), U_ERR_INVALID);
	CHECK_EQ_INT(ops->prekey_max_id(m, jid, &max), 0);
	CHECK_EQ_INT(max, 5);
	CHECK_EQ_INT(ops->prekeys_pending(m, jid, 3, ids, privs, &n), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(ids[0], 1);
	CHECK_EQ_INT(ids[2], 3);
	CHECK_EQ_INT(privs[2][0], 3);
	CHECK_EQ_INT(ops->prekeys_mark_uploaded(m, jid, 3), 0);
	CHECK_EQ_INT(ops->prekeys_count_uploaded(m, jid, &n), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(ops->prekeys_pending(m, jid, 10, ids, privs, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(ids[0], 4);
	CHECK_EQ_INT(ops->prekey_load(m, jid, 2, k), 0);
	CHECK_EQ_INT(k[0], 2);
	CHECK_EQ_INT(ops->prekey_remove(m, jid, 2), 0);
	CHECK_EQ_INT(ops->prekey_load(m, jid, 2, k), U_ERR_NOT_FOUND);
	wa_store_mem_free(m);
}

TEST(test_wa_store_mem_kv)
{
	struct wa_store_mem *m = wa_store_mem_new();
	const struct wa_store_ops *ops = &wa_store_mem_ops;
	char *v = NULL;

	CHECK_EQ_INT(ops->kv_get(m, WA_KV_WEB_VERSION, &v), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(ops->kv_set(m, WA_KV_WEB_VERSION, "2.3000.1"), 0);
	CHECK_EQ_INT(ops->kv_set(m, WA_KV_WEB_VERSION, "2.3000.2"), 0);
	CHECK_EQ_INT(ops->kv_get(m, WA_KV_WEB_VERSION, &v), 0);
	CHECK_EQ_STR(v, "2.3000.2");
	free(v);
	wa_store_mem_free(m);
}

TEST_MAIN()
