/*
 * test_br_store_outq.c: the durable queue of Matrix events not yet handled
 * (bridge/store_outq.c, "ponton.mx_out.<seq>" rows of kv_store) on a real
 * database: SQLite by default, PostgreSQL with PONTON_TEST_DB=postgres
 * (test/suites/30-db.sh style).
 *
 * Cases: rows come back in seq order (numeric, not text: 9 before 10) with
 * their value intact, other kv_store keys are not listed, delete removes
 * one row and says when there was none, the listing limit is checked and
 * honoured.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"
#include "bridge/portal_out.h"
#include "bridge/store.h"
#include "util/err.h"

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

TEST(test_outq_order_values_and_other_keys)
{
	struct tdb t;
	struct db *db = open_db(&t);
	struct br_outq_row **v = NULL;
	char *s = NULL;

	REQUIRE(db != NULL);
	REQUIRE(br_store_outq_put(db, 10, "{\"e\":10}") == 0);
	REQUIRE(br_store_outq_put(db, 9, "{\"e\":9}") == 0);
	REQUIRE(br_store_outq_put(db, 11, "{\"e\":\"\xc3\xa9\"}") == 0);
	/* Neighbouring keys are not queue rows. */
	REQUIRE(br_store_kv_set(db, "ponton.mx_out", "x") == 0);
	REQUIRE(br_store_kv_set(db, "ponton.mx_outz", "x") == 0);
	REQUIRE(br_store_kv_set(db, "bridge_info_version", "1,9") == 0);
	REQUIRE(br_store_outq_list(db, 100, &v) == 0);
	REQUIRE(v != NULL && v[0] != NULL && v[1] != NULL && v[2] != NULL);
	CHECK(v[3] == NULL);
	CHECK_EQ_INT(v[0]->seq, 9);
	CHECK_EQ_INT(v[1]->seq, 10);
	CHECK_EQ_INT(v[2]->seq, 11);
	CHECK_EQ_STR(v[0]->value, "{\"e\":9}");
	CHECK_EQ_STR(v[2]->value, "{\"e\":\"\xc3\xa9\"}");
	br_outq_row_list_free(v);
	/* The same seq again replaces its value. */
	REQUIRE(br_store_outq_put(db, 9, "{\"e\":\"again\"}") == 0);
	REQUIRE(br_store_kv_get(db, "ponton.mx_out.00000000000000000009",
	    &s) == 0);
	CHECK_EQ_STR(s, "{\"e\":\"again\"}");
	free(s);
	tdb_done(&t);
}

TEST(test_outq_delete_and_limits)
{
	struct tdb t;
	struct db *db = open_db(&t);
	struct br_outq_row **v = NULL;
	int64_t i;

	REQUIRE(db != NULL);
	for (i = 1; i <= 5; i++)
		REQUIRE(br_store_outq_put(db, i, "{}") == 0);
	CHECK_EQ_INT(br_store_outq_delete(db, 3), 0);
	CHECK_EQ_INT(br_store_outq_delete(db, 3), U_ERR_NOT_FOUND);
	REQUIRE(br_store_outq_list(db, 2, &v) == 0);
	REQUIRE(v != NULL && v[0] != NULL && v[1] != NULL);
	CHECK(v[2] == NULL);
	CHECK_EQ_INT(v[0]->seq, 1);
	CHECK_EQ_INT(v[1]->seq, 2);
	br_outq_row_list_free(v);
	v = NULL;
	REQUIRE(br_store_outq_list(db, 100, &v) == 0);
	REQUIRE(v != NULL && v[3] != NULL);
	CHECK(v[4] == NULL);
	CHECK_EQ_INT(v[2]->seq, 4);
	br_outq_row_list_free(v);
	v = NULL;
	CHECK_EQ_INT(br_store_outq_list(db, 0, &v), U_ERR_INVALID);
	CHECK_EQ_INT(br_store_outq_list(db, BR_OUTQ_LOAD_MAX + 1, &v),
	    U_ERR_INVALID);
	CHECK(v == NULL);
	tdb_done(&t);
}

TEST_MAIN()
