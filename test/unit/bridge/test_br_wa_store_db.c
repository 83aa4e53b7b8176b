/*
 * Tests for bridge/wa_store_db.c: the WhatsApp device store on db/ with
 * mautrix-whatsapp's tables.  Runs on a fresh SQLite file, or on
 * PostgreSQL with PONTON_TEST_DB=postgres and PONTON_TEST_PG_URI (see
 * test/unit/db/dbtest.h).
 */
#include "bridge/wa_store_db.h"
#include "test/unit/db/dbtest.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/store.h"

static const struct wa_store_ops *ops = &br_wa_store_db_ops;

static int
open_fresh(struct tdb *t)
{
	if (tdb_fresh(t, NULL) != 0)
		return -1;
	return db_upgrade(t->db);
}

TEST(test_br_wa_store_db_device_roundtrip)
{
	struct tdb t;
	struct wa_device d, got;

	REQUIRE(open_fresh(&t) == 0);
	memset(&d, 0, sizeof(d));
	memset(&got, 0, sizeof(got));
	REQUIRE(wa_device_generate(&d) == 0);
	d.jid = u_strdup("33600000009:4@s.whatsapp.net");
	d.lid = u_strdup("100000000000009:4@lid");
	d.adv_details = u_memdup("\x08\x2a\x18\x03", 4);
	d.adv_details_len = 4;
	memset(d.adv_account_sig_key, 0xa2, WA_KEY_LEN);
	d.platform = u_strdup("android");
	CHECK_EQ_INT(ops->device_load(t.db, NULL, &got), U_ERR_NOT_FOUND);
	REQUIRE(ops->device_save(t.db, &d) == 0);
	REQUIRE(ops->device_load(t.db, NULL, &got) == 0);
	CHECK_EQ_STR(got.jid, d.jid);
	CHECK_EQ_STR(got.lid, d.lid);
	CHECK_EQ_STR(got.platform, "android");
	CHECK_EQ_INT(got.registration_id, d.registration_id);
	CHECK_EQ_INT(got.signed_prekey_id, 1);
	/* Only private keys are stored; public halves come back derived. */
	CHECK_EQ_MEM(got.noise.pub, d.noise.pub, WA_KEY_LEN);
	CHECK_EQ_MEM(got.identity.pub, d.identity.pub, WA_KEY_LEN);
	CHECK_EQ_MEM(got.signed_prekey.pub, d.signed_prekey.pub, WA_KEY_LEN);
	CHECK_EQ_MEM(got.signed_prekey_sig, d.signed_prekey_sig, WA_SIG_LEN);
	CHECK_EQ_MEM(got.adv_secret, d.adv_secret, WA_KEY_LEN);
	CHECK_EQ_INT(got.adv_details_len, 4);
	CHECK_EQ_MEM(got.adv_account_sig_key, d.adv_account_sig_key, WA_KEY_LEN);
	wa_device_clear(&got);
	/* Update in place (same jid): the LID changes, one row. */
	free(d.lid);
	d.lid = u_strdup("100000000000010:4@lid");
	REQUIRE(ops->device_save(t.db, &d) == 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM whatsmeow_device", NULL), 1);
	REQUIRE(ops->device_load(t.db, d.jid, &got) == 0);
	CHECK_EQ_STR(got.lid, "100000000000010:4@lid");
	wa_device_clear(&got);
	CHECK_EQ_INT(ops->device_load(t.db, "1:1@s.whatsapp.net", &got),
	    U_ERR_NOT_FOUND);
	/* Unpaired devices are never saved. */
	free(d.jid);
	d.jid = NULL;
	CHECK_EQ_INT(ops->device_save(t.db, &d), U_ERR_INVALID);
	wa_device_clear(&d);
	tdb_done(&t);
}

TEST(test_br_wa_store_db_prekeys_identity_lidmap_and_wipe)
{
	const char *jid = "33600000009:4@s.whatsapp.net";
	uint8_t k[WA_KEY_LEN], privs[8][WA_KEY_LEN], key[WA_KEY_LEN];
	uint32_t ids[8], max = 99, i;
	struct wa_device d;
	unsigned n = 0;
	struct tdb t;

	REQUIRE(open_fresh(&t) == 0);
	memset(&d, 0, sizeof(d));
	REQUIRE(wa_device_generate(&d) == 0);
	d.jid = u_strdup(jid);
	d.adv_details = u_memdup("x", 1);
	d.adv_details_len = 1;
	REQUIRE(ops->device_save(t.db, &d) == 0);

	CHECK_EQ_INT(ops->prekey_max_id(t.db, jid, &max), 0);
	CHECK_EQ_INT(max, 0);
	for (i = 1; i <= 6; i++) {
		memset(k, (int)i, sizeof(k));
		CHECK_EQ_INT(ops->prekey_put(t.db, jid, i, k, 0), 0);
	}
	CHECK_EQ_INT(ops->prekey_put(t.db, jid, WA_PREKEY_ID_MAX + 1, k, 0),
	    U_ERR_INVALID);
	CHECK_EQ_INT(ops->prekey_max_id(t.db, jid, &max), 0);
	CHECK_EQ_INT(max, 6);
	CHECK_EQ_INT(ops->prekeys_pending(t.db, jid, 4, ids, privs, &n), 0);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(ids[0], 1);
	CHECK_EQ_INT(ids[3], 4);
	CHECK_EQ_INT(privs[3][0], 4);
	CHECK_EQ_INT(ops->prekeys_mark_uploaded(t.db, jid, 4), 0);
	CHECK_EQ_INT(ops->prekeys_count_uploaded(t.db, jid, &n), 0);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(ops->prekeys_pending(t.db, jid, 8, ids, privs, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(ids[0], 5);
	CHECK_EQ_INT(ops->prekey_load(t.db, jid, 3, k), 0);
	CHECK_EQ_INT(k[0], 3);
	CHECK_EQ_INT(ops->prekey_remove(t.db, jid, 3), 0);
	CHECK_EQ_INT(ops->prekey_load(t.db, jid, 3, k), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(ops->prekey_remove(t.db, jid, 3), U_ERR_NOT_FOUND);

	memset(key, 0x55, sizeof(key));
	CHECK_EQ_INT(ops->identity_put(t.db, jid, "100000000000009_1:0", key), 0);
	CHECK_EQ_INT(ops->identity_put(t.db, jid, "100000000000009_1:0", key), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM whatsmeow_identity_keys "
	    "WHERE their_id = $1", "100000000000009_1:0"), 1);
	CHECK_EQ_INT(ops->lid_map_put(t.db, "100000000000009", "33600000009"), 0);
	/* A phone number moves to a new LID: the old pair goes. */
	CHECK_EQ_INT(ops->lid_map_put(t.db, "100000000000011", "33600000009"), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM whatsmeow_lid_map WHERE "
	    "pn = $1", "33600000009"), 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM whatsmeow_lid_map WHERE "
	    "lid = $1", "100000000000011"), 1);

	/* Logging out deletes the device and, by cascade, its keys. */
	CHECK_EQ_INT(ops->device_delete(t.db, jid), 0);
	CHECK_EQ_INT(ops->device_delete(t.db, jid), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM whatsmeow_pre_keys", NULL), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM whatsmeow_identity_keys",
	    NULL), 0);
	wa_device_clear(&d);
	tdb_done(&t);
}

TEST(test_br_wa_store_db_kv_version)
{
	struct tdb t;
	char *v = NULL;

	REQUIRE(open_fresh(&t) == 0);
	CHECK_EQ_INT(ops->kv_get(t.db, WA_KV_WEB_VERSION, &v), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(ops->kv_set(t.db, WA_KV_WEB_VERSION, "2.3000.1"), 0);
	CHECK_EQ_INT(ops->kv_set(t.db, WA_KV_WEB_VERSION, "2.3000.2"), 0);
	REQUIRE(ops->kv_get(t.db, WA_KV_WEB_VERSION, &v) == 0);
	CHECK_EQ_STR(v, "2.3000.2");
	free(v);
	/* mautrix's single bridge writes bridge_id ''. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM kv_store WHERE "
	    "bridge_id = '' AND key = $1", WA_KV_WEB_VERSION), 1);
	tdb_done(&t);
}

TEST(test_br_wa_store_db_refuses_bad_rows)
{
	struct wa_device got;
	struct tdb t;

	REQUIRE(open_fresh(&t) == 0);
	memset(&got, 0, sizeof(got));
	/* The schema checks most lengths but not adv_key's: a row another
	 * program wrote with a 31-byte ADV secret must be refused, not
	 * padded. */
	{
		static const uint8_t z[64];
		struct db_stmt *st = NULL;

		REQUIRE(db_prepare(t.db, "INSERT INTO whatsmeow_device (jid, "
		    "registration_id, noise_key, identity_key, signed_pre_key, "
		    "signed_pre_key_id, signed_pre_key_sig, adv_key, adv_details, "
		    "adv_account_sig, adv_account_sig_key, adv_device_sig) VALUES "
		    "('1:1@s.whatsapp.net', 1, $1, $1, $1, 1, $2, $3, $4, $2, $1, "
		    "$2)", &st) == 0);
		REQUIRE(db_bind_blob(st, 1, z, 32) == 0);
		REQUIRE(db_bind_blob(st, 2, z, 64) == 0);
		REQUIRE(db_bind_blob(st, 3, z, 31) == 0);
		REQUIRE(db_bind_blob(st, 4, z, 2) == 0);
		CHECK_EQ_INT(db_stmt_exec(st), 0);
		db_stmt_free(st);
	}
	CHECK_EQ_INT(ops->device_load(t.db, NULL, &got), U_ERR_INVALID);
	CHECK(got.jid == NULL);
	tdb_done(&t);
}

TEST_MAIN()
