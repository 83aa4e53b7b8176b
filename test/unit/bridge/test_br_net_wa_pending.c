/*
 * test_br_net_wa_pending.c: the pending-inbound store of the WhatsApp side
 * (bridge/net_wa_pending.h, table ponton_wa_pending of the "ponton"
 * migration set) on a real database: SQLite by default, PostgreSQL from
 * test/suites/30-db.sh (PONTON_TEST_DB).
 *
 * Cases: the ponton set is created with its version row; rows come back
 * in arrival order with every field intact (binary payload included);
 * a message still pending is not stored twice; delete and per-login
 * delete; seq keeps growing while rows are live; limits refused before
 * anything is written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"
#include "bridge/net_wa_pending.h"
#include "bridge/store.h"
#include "util/err.h"

#define L1 "33600000001"
#define L2 "33600000009"
#define CHAT "33600000002@s.whatsapp.net"
#define GROUP "120363000000000001@g.us"

static struct db *
open_db(struct tdb *t)
{
	if (tdb_fresh(t, NULL) != 0)
		return NULL;
	if (db_upgrade(t->db) != 0) {
		fprintf(stderr, "  upgrade: %s\n", db_errmsg(t->db));
		return NULL;
	}
	return t->db;
}

TEST(test_pending_set_has_version_row)
{
	struct tdb t;
	struct db *db;

	REQUIRE((db = open_db(&t)) != NULL);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM ponton_version WHERE "
	    "version=2", NULL), 1);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM ponton_wa_pending",
	    NULL), 0);
	/* Upgrading again is a no-op. */
	CHECK_EQ_INT(db_upgrade(db), 0);
	tdb_done(&t);
}

TEST(test_pending_order_fields_and_dedup)
{
	static const uint8_t bin[] = { 0x0a, 0x00, 0xff, 0x10, 0x00, 0x7f };
	struct br_wa_pending **v = NULL;
	struct tdb t;
	struct db *db;
	int64_t s1 = 0, s2 = 0, s3 = 0, d = 0;
	char id[32];
	int i;

	REQUIRE((db = open_db(&t)) != NULL);
	CHECK_EQ_INT(br_wa_pending_put(db, L1, CHAT, CHAT, "3EB0A", bin,
	    sizeof(bin), "{\"from_me\":false}", 1700000000123LL, &s1), 0);
	CHECK_EQ_INT(br_wa_pending_put(db, L1, GROUP, CHAT, "3EB0B",
	    (const uint8_t *)"x", 1, NULL, 2, &s2), 0);
	/* The same message id from another chat is another message. */
	CHECK_EQ_INT(br_wa_pending_put(db, L1, GROUP, GROUP, "3EB0A",
	    (const uint8_t *)"y", 1, NULL, 3, &s3), 0);
	CHECK(s1 < s2 && s2 < s3);
	/* Redelivered while pending: the same row. */
	CHECK_EQ_INT(br_wa_pending_put(db, L1, CHAT, CHAT, "3EB0A", bin,
	    sizeof(bin), NULL, 1, &d), BR_WA_PENDING_DUP);
	CHECK_EQ_INT(d, s1);
	/* Another login has its own rows and seqs. */
	CHECK_EQ_INT(br_wa_pending_put(db, L2, CHAT, CHAT, "3EB0A", bin,
	    sizeof(bin), NULL, 1, &d), 0);
	CHECK_EQ_INT(br_wa_pending_count(db, L1), 3);
	CHECK_EQ_INT(br_wa_pending_count(db, L2), 1);

	REQUIRE(br_wa_pending_list(db, L1, 0, 100, &v) == 0);
	REQUIRE(v[0] != NULL && v[1] != NULL && v[2] != NULL);
	CHECK(v[3] == NULL);
	CHECK_EQ_INT(v[0]->seq, s1);
	CHECK_EQ_STR(v[0]->chat, CHAT);
	CHECK_EQ_STR(v[0]->sender, CHAT);
	CHECK_EQ_STR(v[0]->msg_id, "3EB0A");
	CHECK_EQ_INT(v[0]->len, sizeof(bin));
	CHECK_EQ_MEM(v[0]->payload, bin, sizeof(bin));
	CHECK_EQ_STR(v[0]->meta, "{\"from_me\":false}");
	CHECK_EQ_INT(v[0]->ts_ms, 1700000000123LL);
	CHECK_EQ_STR(v[1]->msg_id, "3EB0B");
	CHECK_EQ_STR(v[1]->meta, "{}");
	CHECK_EQ_STR(v[2]->chat, GROUP);
	br_wa_pending_list_free(v);

	/* after and max page through. */
	REQUIRE(br_wa_pending_list(db, L1, s1, 1, &v) == 0);
	REQUIRE(v[0] != NULL);
	CHECK_EQ_INT(v[0]->seq, s2);
	CHECK(v[1] == NULL);
	br_wa_pending_list_free(v);

	/* Done in the middle: the others stay, in order; a new one comes
	 * after the largest live seq. */
	CHECK_EQ_INT(br_wa_pending_delete(db, L1, s2), 0);
	CHECK_EQ_INT(br_wa_pending_delete(db, L1, s2), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_wa_pending_put(db, L1, CHAT, CHAT, "3EB0C",
	    (const uint8_t *)"z", 1, NULL, 4, &d), 0);
	CHECK(d > s3);
	REQUIRE(br_wa_pending_list(db, L1, 0, 100, &v) == 0);
	CHECK_EQ_STR(v[0]->msg_id, "3EB0A");
	CHECK_EQ_STR(v[1]->chat, GROUP);
	CHECK_EQ_STR(v[2]->msg_id, "3EB0C");
	CHECK(v[3] == NULL);
	br_wa_pending_list_free(v);

	/* Many in a row keep their order. */
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "BURST%03d", i);
		CHECK_EQ_INT(br_wa_pending_put(db, L2, CHAT, CHAT, id,
		    (const uint8_t *)id, strlen(id), NULL, i, &d), 0);
	}
	REQUIRE(br_wa_pending_list(db, L2, 0, 1000, &v) == 0);
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "BURST%03d", i);
		REQUIRE(v[i + 1] != NULL);
		CHECK_EQ_STR(v[i + 1]->msg_id, id);
	}
	br_wa_pending_list_free(v);

	CHECK_EQ_INT(br_wa_pending_delete_login(db, L1), 0);
	CHECK_EQ_INT(br_wa_pending_count(db, L1), 0);
	CHECK_EQ_INT(br_wa_pending_count(db, L2), 51);
	tdb_done(&t);
}

TEST(test_pending_limits)
{
	struct br_wa_pending **v = NULL;
	struct tdb t;
	struct db *db;
	uint8_t *big;
	char *meta;
	int64_t s = 0;

	REQUIRE((db = open_db(&t)) != NULL);
	big = calloc(1, BR_WA_PENDING_PAYLOAD_MAX + 1);
	REQUIRE(big != NULL);
	CHECK_EQ_INT(br_wa_pending_put(db, L1, CHAT, CHAT, "X", big,
	    BR_WA_PENDING_PAYLOAD_MAX + 1, NULL, 0, &s), U_ERR_TOO_BIG);
	free(big);
	meta = malloc(BR_WA_PENDING_META_MAX + 2);
	REQUIRE(meta != NULL);
	memset(meta, 'a', BR_WA_PENDING_META_MAX + 1);
	meta[BR_WA_PENDING_META_MAX + 1] = '\0';
	CHECK_EQ_INT(br_wa_pending_put(db, L1, CHAT, CHAT, "X",
	    (const uint8_t *)"a", 1, meta, 0, &s), U_ERR_TOO_BIG);
	free(meta);
	CHECK_EQ_INT(br_wa_pending_put(db, L1, CHAT, CHAT, "",
	    (const uint8_t *)"a", 1, NULL, 0, &s), U_ERR_INVALID);
	CHECK_EQ_INT(br_wa_pending_put(db, "", CHAT, CHAT, "X",
	    (const uint8_t *)"a", 1, NULL, 0, &s), U_ERR_INVALID);
	/* An empty payload is stored as zero bytes, not NULL. */
	CHECK_EQ_INT(br_wa_pending_put(db, L1, CHAT, CHAT, "E", NULL, 0,
	    NULL, 0, &s), 0);
	CHECK_EQ_INT(br_wa_pending_count(db, L1), 1);
	CHECK_EQ_INT(br_wa_pending_list(db, L1, 0, 0, &v), U_ERR_INVALID);
	CHECK_EQ_INT(br_wa_pending_list(db, L1, 0,
	    BR_WA_PENDING_LIST_MAX + 1, &v), U_ERR_INVALID);
	REQUIRE(br_wa_pending_list(db, L1, 0, 10, &v) == 0);
	REQUIRE(v[0] != NULL);
	CHECK_EQ_INT(v[0]->len, 0);
	br_wa_pending_list_free(v);
	tdb_done(&t);
}

TEST(test_poll_put_get_and_upgrade_from_v1)
{
	struct tdb t;
	struct db *db;
	uint8_t sec[32], got[32];
	char *opts[2] = { "Pizza", "Su\"shi" }, **o = NULL;
	size_t n = 0;

	REQUIRE((db = open_db(&t)) != NULL);
	memset(sec, 0xab, sizeof(sec));
	CHECK_EQ_INT(br_wa_poll_get(db, L1, GROUP, CHAT, "P1", got, &o, &n),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_wa_poll_put(db, L1, GROUP, CHAT, "P1", sec, opts, 2),
	    0);
	/* Replaced, not duplicated. */
	CHECK_EQ_INT(br_wa_poll_put(db, L1, GROUP, CHAT, "P1", sec, opts, 2),
	    0);
	REQUIRE(br_wa_poll_get(db, L1, GROUP, CHAT, "P1", got, &o, &n) == 0);
	CHECK_EQ_MEM(got, sec, 32);
	REQUIRE(n == 2);
	CHECK_EQ_STR(o[0], "Pizza");
	CHECK_EQ_STR(o[1], "Su\"shi");
	CHECK(o[2] == NULL);
	br_strv_free(o);
	CHECK_EQ_INT(br_wa_poll_put(db, L1, GROUP, CHAT, "P2", sec, opts,
	    BR_WA_POLL_OPTIONS_MAX + 1), U_ERR_TOO_BIG);
	CHECK_EQ_INT(br_wa_poll_put(db, L1, GROUP, CHAT, "", sec, opts, 2),
	    U_ERR_INVALID);
	/* A database at ponton v1 (before polls) gets the table. */
	REQUIRE(db_exec(db, "DROP TABLE ponton_wa_poll") == 0);
	REQUIRE(db_exec(db, "UPDATE ponton_version SET version=1, compat=1")
	    == 0);
	CHECK_EQ_INT(db_upgrade(db), 0);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM ponton_version WHERE "
	    "version=2", NULL), 1);
	CHECK_EQ_INT(br_wa_poll_put(db, L1, GROUP, CHAT, "P1", sec, opts, 2),
	    0);
	tdb_done(&t);
}

TEST_MAIN()
