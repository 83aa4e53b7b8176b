/* Tests for waweb/payload.c: the ClientPayload for registration and login,
 * and WhatsApp Web version strings. */
#include <openssl/evp.h>

#include "proto/companion_reg.pb-c.h"
#include "proto/wa6.pb-c.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/conn_int.h"

TEST(test_wa_conn_web_version_parse)
{
	uint32_t v[3];

	CHECK_EQ_INT(wa__web_version_parse("2.3000.1045649367", v), 0);
	CHECK_EQ_INT(v[0], 2);
	CHECK_EQ_INT(v[1], 3000);
	CHECK_EQ_INT(v[2], 1045649367u);
	CHECK_EQ_INT(wa__web_version_parse("2.3000", v), U_ERR_INVALID);
	CHECK_EQ_INT(wa__web_version_parse("2.3000.1.4", v), U_ERR_INVALID);
	CHECK_EQ_INT(wa__web_version_parse("2.3000.x", v), U_ERR_INVALID);
	CHECK_EQ_INT(wa__web_version_parse("2.3000.99999999999", v), U_ERR_INVALID);
	CHECK_EQ_INT(wa__web_version_parse("-2.3000.1", v), U_ERR_INVALID);
	CHECK_EQ_INT(wa__web_version_parse("", v), U_ERR_INVALID);
}

static Wa__ClientPayload *
build(struct wa_device *d, int reg, const char *browser)
{
	struct wa__payload_opts o = { { 2, 3000, 1045649367 }, "ponton-test",
	    browser, NULL };
	struct u_buf b;
	Wa__ClientPayload *cp = NULL;

	u_buf_init(&b, 0);
	if (wa__client_payload(d, &o, reg, &b) == 0)
		cp = wa__client_payload__unpack(NULL, b.len, b.p);
	u_buf_free(&b);
	return cp;
}

TEST(test_wa_conn_payload_registration)
{
	struct wa_device d;
	Wa__ClientPayload *cp;
	Wa__DeviceProps *dp;
	uint8_t md5[16];
	unsigned mlen;

	REQUIRE(wa_device_generate(&d) == 0);
	d.registration_id = 0x01020304;
	cp = build(&d, 1, "firefox");
	REQUIRE(cp != NULL);
	CHECK(!cp->has_username);
	CHECK(cp->has_passive && !cp->passive);
	CHECK(cp->has_pull && !cp->pull);
	REQUIRE(cp->user_agent != NULL && cp->user_agent->app_version != NULL);
	CHECK_EQ_INT(cp->user_agent->platform, 14);
	CHECK_EQ_INT(cp->user_agent->app_version->tertiary, 1045649367u);
	CHECK_EQ_STR(cp->user_agent->device, "Desktop");
	CHECK_EQ_INT(cp->connect_type, 1);
	CHECK_EQ_INT(cp->connect_reason, 1);
	REQUIRE(cp->device_pairing_data != NULL);
	CHECK_EQ_INT(cp->device_pairing_data->e_regid.len, 4);
	CHECK_EQ_INT(cp->device_pairing_data->e_regid.data[0], 1);
	CHECK_EQ_INT(cp->device_pairing_data->e_regid.data[3], 4);
	CHECK_EQ_INT(cp->device_pairing_data->e_keytype.data[0], 5);
	CHECK_EQ_MEM(cp->device_pairing_data->e_ident.data, d.identity.pub, 32);
	CHECK_EQ_INT(cp->device_pairing_data->e_skey_id.len, 3);
	CHECK_EQ_INT(cp->device_pairing_data->e_skey_id.data[2], 1);
	CHECK_EQ_MEM(cp->device_pairing_data->e_skey_val.data, d.signed_prekey.pub, 32);
	CHECK_EQ_MEM(cp->device_pairing_data->e_skey_sig.data, d.signed_prekey_sig, 64);
	EVP_Digest("2.3000.1045649367", 17, md5, &mlen, EVP_md5(), NULL);
	CHECK_EQ_INT(cp->device_pairing_data->build_hash.len, 16);
	CHECK_EQ_MEM(cp->device_pairing_data->build_hash.data, md5, 16);
	dp = wa__device_props__unpack(NULL, cp->device_pairing_data->device_props.len,
	    cp->device_pairing_data->device_props.data);
	REQUIRE(dp != NULL);
	CHECK_EQ_STR(dp->os, "ponton-test");
	CHECK_EQ_INT(dp->platform_type, 2);
	wa__device_props__free_unpacked(dp, NULL);
	wa__client_payload__free_unpacked(cp, NULL);
	wa_device_clear(&d);
}

TEST(test_wa_conn_payload_login)
{
	struct wa_device d;
	Wa__ClientPayload *cp;

	REQUIRE(wa_device_generate(&d) == 0);
	d.jid = u_strdup("33612345678:12@s.whatsapp.net");
	cp = build(&d, 0, NULL);
	REQUIRE(cp != NULL);
	CHECK(cp->has_username && cp->username == 33612345678ULL);
	CHECK(cp->has_device && cp->device == 12);
	CHECK(cp->passive && cp->pull && cp->lid_db_migrated);
	CHECK(cp->has_lc && cp->lc == 1);
	CHECK(cp->device_pairing_data == NULL);
	wa__client_payload__free_unpacked(cp, NULL);
	/* A login needs a numeric phone-number JID. */
	free(d.jid);
	d.jid = u_strdup("group@g.us");
	CHECK(build(&d, 0, NULL) == NULL);
	wa_device_clear(&d);
}

TEST_MAIN()
