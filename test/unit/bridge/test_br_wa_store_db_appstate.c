/*
 * Tests for the app-state and contact ops of bridge/wa_store_db.c on
 * whatsmeow's tables (whatsmeow_app_state_sync_keys, _version,
 * _mutation_macs, whatsmeow_contacts): rows as whatsmeow writes them, the
 * newer-timestamp rule for keys, MAC lookups by newest version, the
 * cascade of a version delete, transactions, contact columns upserted
 * one group at a time; then a snapshot and a patch applied through
 * waweb/appstate on the database.  SQLite by default, PostgreSQL with
 * PONTON_TEST_DB=postgres (test/suites/30-db.sh runs both).
 */
#include "bridge/wa_store_db.h"
#include "test/unit/db/dbtest.h"
#include "test/unit/test.h"
#include "test/unit/waweb/appstate_build.h"
#include "util/err.h"
#include "waweb/appstate.h"
#include "waweb/errors.h"
#include "waweb/store.h"

static const struct wa_store_ops *ops = &br_wa_store_db_ops;

#define JID "33600000009:4@s.whatsapp.net"

/* A fresh migrated database holding one device (the foreign keys). */
static int
open_with_device(struct tdb *t)
{
	struct wa_device d;
	int r;

	if (tdb_fresh(t, NULL) != 0 || db_upgrade(t->db) != 0)
		return -1;
	memset(&d, 0, sizeof(d));
	if (wa_device_generate(&d) != 0)
		return -1;
	d.jid = u_strdup(JID);
	d.adv_details = u_memdup("\x08\x2a\x18\x03", 4);
	d.adv_details_len = 4;
	d.platform = u_strdup("android");
	r = ops->device_save(t->db, &d);
	wa_device_clear(&d);
	return r;
}

TEST(test_br_wa_store_db_appstate_keys)
{
	struct tdb t;
	uint8_t data[64], k1[32], k2[32];
	size_t len = 0;

	REQUIRE(open_with_device(&t) == 0);
	memset(k1, 0x11, 32);
	memset(k2, 0x22, 32);
	CHECK_EQ_INT(ops->appstate_key_get(t.db, JID, KID, 2, data,
	    sizeof(data), &len), U_ERR_NOT_FOUND);
	REQUIRE(ops->appstate_key_put(t.db, JID, KID, 2, k1, 32, 1000,
	    (const uint8_t *)"\x08\x07", 2) == 0);
	REQUIRE(ops->appstate_key_get(t.db, JID, KID, 2, data, sizeof(data),
	    &len) == 0);
	CHECK_EQ_INT(len, 32);
	CHECK_EQ_MEM(data, k1, 32);
	/* An older share does not replace it; a newer one does. */
	REQUIRE(ops->appstate_key_put(t.db, JID, KID, 2, k2, 32, 999,
	    (const uint8_t *)"", 0) == 0);
	REQUIRE(ops->appstate_key_get(t.db, JID, KID, 2, data, sizeof(data),
	    &len) == 0);
	CHECK_EQ_MEM(data, k1, 32);
	REQUIRE(ops->appstate_key_put(t.db, JID, KID, 2, k2, 32, 1001,
	    (const uint8_t *)"", 0) == 0);
	REQUIRE(ops->appstate_key_get(t.db, JID, KID, 2, data, sizeof(data),
	    &len) == 0);
	CHECK_EQ_MEM(data, k2, 32);
	CHECK_EQ_INT(ops->appstate_key_get(t.db, JID, KID, 2, data, 16, &len),
	    U_ERR_TOO_BIG);
	/* Rows as whatsmeow writes them: bytea id, data, timestamp. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM "
	    "whatsmeow_app_state_sync_keys WHERE timestamp = 1001", NULL), 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT length(key_id) FROM "
	    "whatsmeow_app_state_sync_keys", NULL), 2);
	CHECK_EQ_INT(ops->appstate_key_get(t.db, JID, KID2, 2, data,
	    sizeof(data), &len), U_ERR_NOT_FOUND);
	tdb_done(&t);
}

TEST(test_br_wa_store_db_appstate_versions_and_macs)
{
	struct tdb t;
	uint8_t h[128], h2[128], im[32], vm1[32], vm2[32], got[32];
	uint64_t v = 0;

	REQUIRE(open_with_device(&t) == 0);
	memset(h, 0xab, sizeof(h));
	memset(im, 0x01, 32);
	memset(vm1, 0x02, 32);
	memset(vm2, 0x03, 32);
	CHECK_EQ_INT(ops->appstate_version_get(t.db, JID, "regular", &v, h2),
	    U_ERR_NOT_FOUND);
	REQUIRE(ops->appstate_version_put(t.db, JID, "regular", 7, h) == 0);
	REQUIRE(ops->appstate_version_get(t.db, JID, "regular", &v, h2) == 0);
	CHECK_EQ_INT(v, 7);
	CHECK_EQ_MEM(h2, h, 128);
	REQUIRE(ops->appstate_mac_put(t.db, JID, "regular", 6, im, vm1) == 0);
	REQUIRE(ops->appstate_mac_put(t.db, JID, "regular", 7, im, vm2) == 0);
	/* The newest version's value MAC answers. */
	REQUIRE(ops->appstate_mac_get(t.db, JID, "regular", im, got) == 0);
	CHECK_EQ_MEM(got, vm2, 32);
	CHECK_EQ_INT(ops->appstate_mac_get(t.db, JID, "regular_low", im, got),
	    U_ERR_NOT_FOUND);
	REQUIRE(ops->appstate_mac_delete(t.db, JID, "regular", im) == 0);
	CHECK_EQ_INT(ops->appstate_mac_get(t.db, JID, "regular", im, got),
	    U_ERR_NOT_FOUND);
	/* A transaction rolled back leaves nothing. */
	REQUIRE(ops->appstate_txn(t.db, WA_STORE_TXN_BEGIN) == 0);
	REQUIRE(ops->appstate_mac_put(t.db, JID, "regular", 8, im, vm1) == 0);
	REQUIRE(ops->appstate_txn(t.db, WA_STORE_TXN_ROLLBACK) == 0);
	CHECK_EQ_INT(ops->appstate_mac_get(t.db, JID, "regular", im, got),
	    U_ERR_NOT_FOUND);
	REQUIRE(ops->appstate_txn(t.db, WA_STORE_TXN_BEGIN) == 0);
	REQUIRE(ops->appstate_mac_put(t.db, JID, "regular", 8, im, vm1) == 0);
	REQUIRE(ops->appstate_txn(t.db, WA_STORE_TXN_COMMIT) == 0);
	REQUIRE(ops->appstate_mac_get(t.db, JID, "regular", im, got) == 0);
	/* Deleting the version takes the MACs along (ON DELETE CASCADE). */
	REQUIRE(ops->appstate_version_delete(t.db, JID, "regular") == 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM "
	    "whatsmeow_app_state_mutation_macs", NULL), 0);
	CHECK_EQ_INT(ops->appstate_version_get(t.db, JID, "regular", &v, h2),
	    U_ERR_NOT_FOUND);
	tdb_done(&t);
}

static int
count_contact(void *arg, const struct wa_contact *c)
{
	int *n = arg;

	(*n)++;
	return c->jid != NULL ? 0 : -1;
}

TEST(test_br_wa_store_db_contacts)
{
	struct tdb t;
	struct wa_contact c;
	int n = 0;

	REQUIRE(open_with_device(&t) == 0);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(ops->contact_get(t.db, JID, "336@s.whatsapp.net", &c),
	    U_ERR_NOT_FOUND);
	REQUIRE(ops->contact_put_push_name(t.db, JID, "336@s.whatsapp.net",
	    "Ali") == 0);
	REQUIRE(ops->contact_put_name(t.db, JID, "336@s.whatsapp.net",
	    "Alice", "Alice Martin") == 0);
	REQUIRE(ops->contact_put_business_name(t.db, JID, "337@s.whatsapp.net",
	    "Shop") == 0);
	REQUIRE(ops->contact_get(t.db, JID, "336@s.whatsapp.net", &c) == 0);
	CHECK_EQ_STR(c.jid, "336@s.whatsapp.net");
	CHECK_EQ_STR(c.first_name, "Alice");
	CHECK_EQ_STR(c.full_name, "Alice Martin");
	CHECK_EQ_STR(c.push_name, "Ali");	/* kept by the name upsert */
	CHECK(c.business_name == NULL);
	wa_contact_clear(&c);
	REQUIRE(ops->contact_get(t.db, JID, "337@s.whatsapp.net", &c) == 0);
	CHECK_EQ_STR(c.business_name, "Shop");
	CHECK(c.full_name == NULL);
	wa_contact_clear(&c);
	REQUIRE(ops->contacts_list(t.db, JID, count_contact, &n) == 0);
	CHECK_EQ_INT(n, 2);
	tdb_done(&t);
}

static int ncontacts;
static char last_full[64];

static void
on_contact(void *arg, const struct wa_appstate_contact *c)
{
	ncontacts++;
	snprintf(last_full, sizeof(last_full), "%s", c->full_name ?
	    c->full_name : "");
}

TEST(test_br_wa_store_db_appstate_apply)
{
	struct tdb t;
	struct as_builder b;
	struct wa_appstate_opts o;
	struct wa_appstate_cbs cbs = { on_contact, NULL, NULL, NULL };
	struct wa_appstate *as;
	struct wa_contact c;
	struct mspec s[2];
	const uint8_t *ps[1];
	size_t ls[1], slen, plen, al1, al2;
	uint8_t *snap, *patch;

	REQUIRE(open_with_device(&t) == 0);
	wa_errors_register();
	as_builder_init(&b, "critical_unblock_low");
	REQUIRE(ops->appstate_key_put(t.db, JID, KID, 2, KEYDATA, 32, 1,
	    (const uint8_t *)"", 0) == 0);
	memset(&o, 0, sizeof(o));
	o.ops = ops;
	o.store_arg = t.db;
	o.our_jid = JID;
	as = wa_appstate_new(&o, &cbs, NULL);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33611111111@s.whatsapp.net\"]";
	s[0].action = contact_action("Alice Martin", "Alice", NULL, &al1);
	s[0].action_len = al1;
	s[1].index = "[\"contact\",\"33622222222@s.whatsapp.net\"]";
	s[1].action = contact_action("Bob", "Bob", NULL, &al2);
	s[1].action_len = al2;
	snap = build_snapshot(&b, 3, s, 2, &slen);
	REQUIRE(wa_appstate_apply(as, b.name, snap, slen, NULL, NULL, 0, NULL,
	    NULL, 1) == 0);
	b.model = b.pending;
	CHECK_EQ_INT(ncontacts, 2);
	/* Bob is removed, Alice renamed. */
	s[1].op = 1;
	free(s[0].action);
	s[0].action = contact_action("Alice Dupont", "Alice", NULL, &al1);
	s[0].action_len = al1;
	patch = build_patch(&b, 4, s, 2, &plen);
	ps[0] = patch;
	ls[0] = plen;
	REQUIRE(wa_appstate_apply(as, b.name, NULL, 0, ps, ls, 1, NULL, NULL,
	    0) == 0);
	b.model = b.pending;
	CHECK_EQ_INT(ncontacts, 3);
	CHECK_EQ_STR(last_full, "Alice Dupont");
	/* whatsmeow's rows: the version; Bob's MAC rows gone with the
	 * REMOVE; Alice's SET at v4 added beside her v3 row (whatsmeow
	 * keeps both; lookups take the newest). */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT version FROM "
	    "whatsmeow_app_state_version WHERE name = 'critical_unblock_low'",
	    NULL), 4);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM "
	    "whatsmeow_app_state_mutation_macs", NULL), 2);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT MAX(version) FROM "
	    "whatsmeow_app_state_mutation_macs", NULL), 4);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(DISTINCT index_mac) FROM "
	    "whatsmeow_app_state_mutation_macs", NULL), 1);
	{
		uint8_t h[128];
		uint64_t v;
		REQUIRE(wa_appstate_state(as, b.name, &v, h) == 0);
		CHECK_EQ_INT(v, 4);
		CHECK_EQ_MEM(h, b.model.hash, 128);
	}
	memset(&c, 0, sizeof(c));
	REQUIRE(ops->contact_get(t.db, JID, "33611111111@s.whatsapp.net",
	    &c) == 0);
	CHECK_EQ_STR(c.full_name, "Alice Dupont");
	wa_contact_clear(&c);
	wa_appstate_free(as);
	free(snap);
	free(patch);
	free(s[0].action);
	free(s[1].action);
	tdb_done(&t);
}

static int
failing_put_name(void *arg, const char *our, const char *their,
    const char *first, const char *full)
{
	return U_ERR_IO;
}

TEST(test_br_wa_store_db_appstate_contact_failure_rolls_back)
{
	struct tdb t;
	struct as_builder b;
	struct wa_store_ops bad = br_wa_store_db_ops;
	struct wa_appstate_opts o;
	struct wa_appstate_cbs cbs = { on_contact, NULL, NULL, NULL };
	struct wa_appstate *as;
	struct mspec s[1];
	const uint8_t *ps[1];
	size_t ls[1], al;
	uint8_t *p;

	REQUIRE(open_with_device(&t) == 0);
	wa_errors_register();
	as_builder_init(&b, "critical_unblock_low");
	REQUIRE(ops->appstate_key_put(t.db, JID, KID, 2, KEYDATA, 32, 1,
	    (const uint8_t *)"", 0) == 0);
	bad.contact_put_name = failing_put_name;
	memset(&o, 0, sizeof(o));
	o.ops = &bad;
	o.store_arg = t.db;
	o.our_jid = JID;
	as = wa_appstate_new(&o, &cbs, NULL);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33611111111@s.whatsapp.net\"]";
	s[0].action = contact_action("Alice", "Alice", NULL, &al);
	s[0].action_len = al;
	p = build_patch(&b, 1, s, 1, &ls[0]);
	ps[0] = p;
	ncontacts = 0;
	/* The contact row is written in the patch's transaction: its
	 * failure rolls the version and the MACs back, nothing reported. */
	CHECK_EQ_INT(wa_appstate_apply(as, b.name, NULL, 0, ps, ls, 1, NULL,
	    NULL, 0), U_ERR_IO);
	CHECK_EQ_INT(ncontacts, 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM "
	    "whatsmeow_app_state_version", NULL), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM "
	    "whatsmeow_app_state_mutation_macs", NULL), 0);
	wa_appstate_free(as);
	free(p);
	free(s[0].action);
	tdb_done(&t);
}

TEST_MAIN()
