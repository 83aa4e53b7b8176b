/*
 * Tests for bridge/wa_signal_db.c: the Signal store on whatsmeow's tables.
 * A party on the database talks to an in-memory party; its Signal object
 * is dropped and rebuilt from the database between messages, so every
 * session, identity, prekey and sender key goes through the tables (and
 * the JSON records whatsmeow writes) and back.  Runs on a fresh SQLite
 * file, or on PostgreSQL with PONTON_TEST_DB=postgres (test/unit/db/dbtest.h).
 */
#include <jansson.h>

#include "bridge/wa_signal_db.h"
#include "bridge/wa_store_db.h"
#include "crypto/cry.h"
#include "test/unit/db/dbtest.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/signal.h"
#include "waweb/store.h"

#define OUR_JID "33600000001:7@s.whatsapp.net"
#define GROUP "120363000000000042@g.us"
#define J(s) (s), strlen(s)

struct fix {
	struct tdb		 t;
	struct wa_device	 dev;
	struct br_wa_signal_db	*st;
	struct wa_signal	*a;		/* on the database */
	struct wa_signal_store_mem *mb;
	struct wa_signal	*b;		/* in memory */
	const char		*aaddr, *baddr;
};

static int
fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	if (tdb_fresh(&f->t, NULL) != 0 || db_upgrade(f->t.db) != 0)
		return -1;
	if (wa_device_generate(&f->dev) != 0)
		return -2;
	f->dev.jid = u_strdup(OUR_JID);
	f->dev.adv_details = u_memdup("\x08\x2a\x18\x03", 4);
	f->dev.adv_details_len = 4;
	f->dev.platform = u_strdup("android");
	if (br_wa_store_db_ops.device_save(f->t.db, &f->dev) != 0)
		return -3;
	f->st = br_wa_signal_db_new(f->t.db, OUR_JID);
	f->a = wa_signal_new(&br_wa_signal_db_ops, f->st);
	f->mb = wa_signal_store_mem_new(9);
	f->b = wa_signal_new(&wa_signal_store_mem_ops, f->mb);
	f->aaddr = "33600000001:7";
	f->baddr = "100000000000002_1:3";
	return 0;
}

/* Forget everything a's Signal object might cache: rebuild it. */
static void
reopen(struct fix *f)
{
	wa_signal_free(f->a);
	f->a = wa_signal_new(&br_wa_signal_db_ops, f->st);
}

static void
fix_done(struct fix *f)
{
	wa_signal_free(f->a);
	wa_signal_free(f->b);
	wa_signal_store_mem_free(f->mb);
	br_wa_signal_db_free(f->st);
	wa_device_clear(&f->dev);
	tdb_done(&f->t);
}

static int
xfer(struct wa_signal *from, const char *to, struct wa_signal *rx,
    const char *fromaddr, const char *text, int *type)
{
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctn, ptn;
	int r;

	if ((r = wa_signal_encrypt(from, to, (const uint8_t *)text,
	    strlen(text), type, &ct, &ctn)) != 0)
		return r;
	r = wa_signal_decrypt(rx, fromaddr, *type, 2, ct, ctn, &pt, &ptn);
	if (r == 0 && (ptn != strlen(text) || memcmp(pt, text, ptn) != 0))
		r = -1;
	free(ct);
	free(pt);
	return r;
}

static int
gxfer(struct wa_signal *from, const char *fromaddr, struct wa_signal *rx,
    const char *text)
{
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctn, ptn;
	int r;

	if ((r = wa_signal_group_encrypt(from, GROUP, fromaddr,
	    (const uint8_t *)text, strlen(text), &ct, &ctn)) != 0)
		return r;
	r = wa_signal_group_decrypt(rx, GROUP, fromaddr, 2, ct, ctn, &pt, &ptn);
	if (r == 0 && (ptn != strlen(text) || memcmp(pt, text, ptn) != 0))
		r = -1;
	free(ct);
	free(pt);
	return r;
}

/* The stored record is whatsmeow's JSON, with its field names. */
static void
check_json(int *test_failed_, struct db *db, const char *sql,
    const char *key)
{
	struct db_stmt *st = NULL;
	const void *p;
	size_t n;
	json_t *o;
	json_error_t e;

	REQUIRE(db_prepare(db, sql, &st) == 0);
	REQUIRE(db_step(st) == DB_ROW);
	p = db_column_blob(st, 0, &n);
	REQUIRE(p != NULL);
	o = json_loadb(p, n, 0, &e);
	CHECK(o != NULL && json_object_get(o, key) != NULL);
	json_decref(o);
	db_stmt_free(st);
}

TEST(test_br_wa_signal_db_session_survives_reopen)
{
	struct fix f;
	struct wa_signal_bundle b;
	struct cry_keypair pk;
	uint8_t k[32];
	char text[48];
	int type, i;

	REQUIRE(fix_init(&f) == 0);
	CHECK_EQ_INT(br_wa_signal_db_ops.identity_load(f.st, f.baddr, k),
	    U_ERR_NOT_FOUND);
	/* a starts a session with b from b's bundle. */
	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(f.mb, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 9;
	cry_keypair_generate(&pk);
	b.has_prekey = true;
	b.prekey_id = 5;
	memcpy(b.prekey, pk.pub, 32);
	REQUIRE(wa_signal_store_mem_ops.prekey_store(f.mb, 5, pk.priv) == 0);
	REQUIRE(wa_signal_session_from_bundle(f.a, f.baddr, &b) == 0);
	reopen(&f);
	CHECK_EQ_INT(wa_signal_has_session(f.a, f.baddr), 1);
	REQUIRE(xfer(f.a, f.baddr, f.b, f.aaddr, "pk over db", &type) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_PKMSG);
	reopen(&f);
	REQUIRE(xfer(f.b, f.aaddr, f.a, f.baddr, "reply", &type) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	for (i = 0; i < 12; i++) {
		snprintf(text, sizeof(text), "round %d", i);
		reopen(&f);
		if (i % 2)
			CHECK_EQ_INT(xfer(f.a, f.baddr, f.b, f.aaddr, text,
			    &type), 0);
		else
			CHECK_EQ_INT(xfer(f.b, f.aaddr, f.a, f.baddr, text,
			    &type), 0);
		CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	}
	/* Identity kept as 32 raw bytes; the session as whatsmeow's JSON. */
	REQUIRE(br_wa_signal_db_ops.identity_load(f.st, f.baddr, k) == 0);
	CHECK_EQ_MEM(k, b.identity, 32);
	check_json(test_failed_, f.t.db, "SELECT session FROM "
	    "whatsmeow_sessions", "SessionState");
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_sessions "
	    "WHERE their_id = '100000000000002_1:3'", NULL), 1);
	/* Sub-device listing and delete-all match the name exactly. */
	{
		uint32_t *ids = NULL;
		size_t n = 0;

		REQUIRE(br_wa_signal_db_ops.session_devices(f.st,
		    "100000000000002_1", &ids, &n) == 0);
		CHECK(n == 1 && ids[0] == 3);
		free(ids);
		REQUIRE(br_wa_signal_db_ops.session_devices(f.st,
		    "100000000000002", &ids, &n) == 0);
		CHECK_EQ_INT((int)n, 0);
		free(ids);
		REQUIRE(br_wa_signal_db_ops.identity_save(f.st,
		    "100000000000002_10:0", k) == 0);
		REQUIRE(wa_signal_forget_user(f.a, "100000000000002_1") == 0);
		CHECK_EQ_INT(wa_signal_has_session(f.a, f.baddr), 0);
		CHECK_EQ_INT(br_wa_signal_db_ops.identity_load(f.st, f.baddr,
		    k), U_ERR_NOT_FOUND);
		CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM "
		    "whatsmeow_identity_keys", NULL), 1);
	}
	fix_done(&f);
}

TEST(test_br_wa_signal_db_incoming_pkmsg_uses_db_prekeys)
{
	struct fix f;
	struct wa_signal_bundle ab;
	struct cry_keypair pk;
	int type;

	REQUIRE(fix_init(&f) == 0);
	/* a's bundle: the device's identity and signed prekey, a prekey put
	 * where whatsmeow keeps them. */
	memset(&ab, 0, sizeof(ab));
	memcpy(ab.identity, f.dev.identity.pub, 32);
	ab.registration_id = f.dev.registration_id;
	ab.signed_prekey_id = f.dev.signed_prekey_id;
	memcpy(ab.signed_prekey, f.dev.signed_prekey.pub, 32);
	memcpy(ab.signature, f.dev.signed_prekey_sig, 64);
	cry_keypair_generate(&pk);
	REQUIRE(br_wa_signal_db_ops.prekey_store(f.st, 77, pk.priv) == 0);
	ab.has_prekey = true;
	ab.prekey_id = 77;
	memcpy(ab.prekey, pk.pub, 32);
	REQUIRE(wa_signal_session_from_bundle(f.b, f.aaddr, &ab) == 0);
	REQUIRE(xfer(f.b, f.aaddr, f.a, f.baddr, "hello db", &type) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_pre_keys "
	    "WHERE key_id = 77", NULL), 0);
	reopen(&f);
	REQUIRE(xfer(f.a, f.baddr, f.b, f.aaddr, "back", &type) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	fix_done(&f);
}

TEST(test_br_wa_signal_db_sender_keys_survive_reopen)
{
	struct fix f;
	uint8_t *skdm;
	size_t n;

	REQUIRE(fix_init(&f) == 0);
	/* b -> a: b's key stored in the database. */
	REQUIRE(wa_signal_group_skdm(f.b, GROUP, f.baddr, &skdm, &n) == 0);
	REQUIRE(wa_signal_group_process_skdm(f.a, GROUP, f.baddr, skdm,
	    n) == 0);
	free(skdm);
	reopen(&f);
	CHECK_EQ_INT(gxfer(f.b, f.baddr, f.a, "group one"), 0);
	reopen(&f);
	CHECK_EQ_INT(gxfer(f.b, f.baddr, f.a, "group two"), 0);
	/* a -> b: a's own key lives in the database too. */
	REQUIRE(wa_signal_group_skdm(f.a, GROUP, f.aaddr, &skdm, &n) == 0);
	REQUIRE(wa_signal_group_process_skdm(f.b, GROUP, f.aaddr, skdm,
	    n) == 0);
	free(skdm);
	reopen(&f);
	CHECK_EQ_INT(gxfer(f.a, f.aaddr, f.b, "from the db"), 0);
	reopen(&f);
	CHECK_EQ_INT(gxfer(f.a, f.aaddr, f.b, "again"), 0);
	check_json(test_failed_, f.t.db, "SELECT sender_key FROM "
	    "whatsmeow_sender_keys", "SenderKeyStates");
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM "
	    "whatsmeow_sender_keys WHERE chat_id = '" GROUP "'", NULL), 2);
	fix_done(&f);
}

TEST(test_br_wa_signal_db_bad_records_refused)
{
	uint8_t *pb = NULL;
	size_t n;
	char *json;

	CHECK_EQ_INT(br_signal_session_json_to_pb(J("not json"), &pb, &n),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_signal_session_json_to_pb(J("{\"SessionState\":5}"),
	    &pb, &n), U_ERR_INVALID);
	CHECK_EQ_INT(br_signal_session_json_to_pb(
	    J("{\"SessionState\":{\"RootKey\":\"!!\"}}"), &pb, &n),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_signal_session_json_to_pb(
	    J("{\"PreviousStates\":[],\"PreviousStates\":[]}"), &pb, &n),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_signal_sender_key_json_to_pb(
	    J("{\"SenderKeyStates\":[{\"KeyID\":-1}]}"), &pb, &n),
	    U_ERR_INVALID);
	CHECK(pb == NULL);
	CHECK_EQ_INT(br_signal_session_pb_to_json((const uint8_t *)"\x0a\xff",
	    2, &json, &n), U_ERR_INVALID);
	/* An empty record both ways. */
	REQUIRE(br_signal_session_json_to_pb(J("{\"SessionState\":null,"
	    "\"PreviousStates\":null}"), &pb, &n) == 0);
	CHECK_EQ_INT((int)n, 0);
	REQUIRE(br_signal_session_pb_to_json(pb, n, &json, &n) == 0);
	CHECK_EQ_STR(json, "{\"SessionState\":null,\"PreviousStates\":[]}");
	free(pb);
	free(json);
}

/*
 * PN<->LID pairs in whatsmeow_lid_map: learnt by a's Signal object, found
 * again by a new one on the database (a restart) for PN-addressed
 * sessions; rows in whatsmeow's form (user parts, no server or device);
 * a PN or a LID moving as whatsmeow's PutLIDMapping moves them; a row
 * whatsmeow wrote is read; a bad row is refused, not trusted.
 */
TEST(test_br_wa_signal_db_lid_map_survives_restart)
{
	const struct wa_signal_store_ops *o = &br_wa_signal_db_ops;
	struct fix f;
	struct wa_signal_bundle b;
	struct cry_keypair pk;
	char out[WA_SIGNAL_LIDMAP_USER_MAX + 1];
	int type;

	REQUIRE(fix_init(&f) == 0);
	REQUIRE(wa_signal_learn_lid(f.a, "33612345678", "100000000000002") ==
	    0);
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_lid_map "
	    "WHERE lid = '100000000000002' AND pn = '33612345678'", NULL), 1);
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_lid_map",
	    NULL), 1);
	/* a starts a session with b by its PN address: kept under the LID. */
	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(f.mb, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 9;
	cry_keypair_generate(&pk);
	b.has_prekey = true;
	b.prekey_id = 5;
	memcpy(b.prekey, pk.pub, 32);
	REQUIRE(wa_signal_store_mem_ops.prekey_store(f.mb, 5, pk.priv) == 0);
	REQUIRE(wa_signal_session_from_bundle(f.a, "33612345678:3", &b) == 0);
	reopen(&f);
	CHECK_EQ_INT(wa_signal_has_session(f.a, "33612345678:3"), 1);
	REQUIRE(xfer(f.a, "33612345678:3", f.b, f.aaddr, "pk by pn",
	    &type) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_PKMSG);
	reopen(&f);
	REQUIRE(xfer(f.b, f.aaddr, f.a, "33612345678:3", "reply to pn",
	    &type) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	reopen(&f);
	REQUIRE(xfer(f.a, "33612345678:3", f.b, f.aaddr, "msg by pn",
	    &type) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_sessions "
	    "WHERE their_id = '100000000000002_1:3'", NULL), 1);
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_sessions",
	    NULL), 1);

	/* The PN moves to a new LID; then that LID to another PN. */
	REQUIRE(o->lid_save(f.st, "33612345678", "100000000000009") == 0);
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_lid_map "
	    "WHERE lid = '100000000000009' AND pn = '33612345678'", NULL), 1);
	CHECK_EQ_INT(o->pn_for_lid(f.st, "100000000000002", out, sizeof(out)),
	    U_ERR_NOT_FOUND);
	REQUIRE(o->lid_save(f.st, "33699999999", "100000000000009") == 0);
	CHECK_EQ_INT(o->lid_for_pn(f.st, "33612345678", out, sizeof(out)),
	    U_ERR_NOT_FOUND);
	REQUIRE(o->pn_for_lid(f.st, "100000000000009", out, sizeof(out)) == 0);
	CHECK_EQ_STR(out, "33699999999");
	REQUIRE(o->lid_save(f.st, "33699999999", "100000000000009") == 0);
	CHECK_EQ_INT(tdb_int(f.t.db, "SELECT COUNT(*) FROM whatsmeow_lid_map",
	    NULL), 1);

	/* A row as whatsmeow writes it is read; a bad one is refused. */
	REQUIRE(db_exec(f.t.db, "INSERT INTO whatsmeow_lid_map (lid, pn) "
	    "VALUES ('200000000000001', '33611111111'), "
	    "('3@lid', '33622222222')") == 0);
	REQUIRE(o->lid_for_pn(f.st, "33611111111", out, sizeof(out)) == 0);
	CHECK_EQ_STR(out, "200000000000001");
	CHECK_EQ_INT(o->lid_for_pn(f.st, "33611111111", out, 5),
	    U_ERR_INVALID);
	CHECK_EQ_INT(o->lid_for_pn(f.st, "33622222222", out, sizeof(out)),
	    U_ERR_INVALID);
	reopen(&f);
	CHECK_EQ_INT(wa_signal_has_session(f.a, "33622222222:0"), 0);
	CHECK_EQ_INT(wa_signal_lid_for_pn(f.a, "33611111111", out,
	    sizeof(out)), 0);
	CHECK_EQ_STR(out, "200000000000001");
	CHECK_EQ_INT(o->lid_save(f.st, "33611111111", "1_1"), U_ERR_INVALID);
	fix_done(&f);
}

TEST_MAIN()
