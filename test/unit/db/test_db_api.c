/*
 * Tests for db/db.h on whichever backend PONTON_TEST_DB names (dbtest.h):
 * opening, prepared statements with every parameter type, getters, errors,
 * transactions.
 */
#include <stdint.h>

#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"
#include "util/err.h"

TEST(test_db_open_both_uri_styles)
{
	struct tdb t;
	struct db *db = NULL;
	char *plain;

	REQUIRE(tdb_create(&t) == 0);
	REQUIRE(tdb_open(&t, NULL) == 0);
	CHECK_EQ_INT(db_dialect(t.db), tdb_is_pg() ? DB_POSTGRES : DB_SQLITE);
	CHECK_EQ_INT(db_exec(t.db, "CREATE TABLE x (a INTEGER)"), 0);
	tdb_close(&t);
	/* The other spelling reaches the same database. */
	if (tdb_is_pg())
		plain = u_strdup(t.conninfo);
	else
		plain = u_strdup(t.path);
	REQUIRE(db_open(&db, tdb_type(), plain, NULL) == 0);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM x", NULL), 0);
	db_close(db);
	db = NULL;
	if (tdb_is_pg()) {
		/* postgres:// as well as postgresql://, and type "postgresql". */
		char *u = u_asprintf("postgres://%s", t.uri + strlen("postgresql://"));

		CHECK_EQ_INT(db_open(&db, "postgresql", u, NULL), 0);
		if (db != NULL)
			CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM x", NULL), 0);
		db_close(db);
		free(u);
	} else {
		/* A query string on a plain path is read, then dropped. */
		char *u = u_asprintf("%s?_txlock=immediate&_busy_timeout=100",
		    t.path);

		CHECK_EQ_INT(db_open(&db, "litestream", u, NULL), 0);
		if (db != NULL)
			CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM x", NULL), 0);
		db_close(db);
		free(u);
	}
	free(plain);
	tdb_done(&t);
}

TEST(test_db_open_rejects_bad_type_and_empty_uri)
{
	struct db *db = NULL;

	CHECK_EQ_INT(db_open(&db, "mysql", "x", NULL), DB_ERR_URI);
	CHECK(strstr(db_open_errmsg(), "mysql") != NULL);
	CHECK_EQ_INT(db_open(&db, "sqlite3", "x.db", NULL), DB_ERR_URI);
	CHECK(strstr(db_open_errmsg(), "sqlite3-fk-wal") != NULL);
	CHECK_EQ_INT(db_open(&db, tdb_type(), "", NULL), DB_ERR_URI);
	CHECK_EQ_INT(db_open(&db, tdb_type(), NULL, NULL), DB_ERR_URI);
	CHECK(db == NULL);
	/* Codes print through u_strerror once db/ registered itself. */
	CHECK(strstr(u_strerror(DB_ERR_URI), "URI") != NULL);
}

static const char *tricky[] = {
	"plain",
	"'; DROP TABLE t; --",
	"Robert'); DROP TABLE t;--",
	"\" OR 1=1 --",
	"$1 $2 ? :name @x",
	"back\\slash and 'quotes'",
	"unicode: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	"",
};

TEST(test_db_stmt_every_param_type_roundtrips)
{
	static const unsigned char blob[] = { 0x00, 0x01, 0x00, 0xff, '\'',
	    '\\', 'x', 0x00 };
	struct tdb t;
	struct db_stmt *st = NULL;
	const void *p;
	size_t n, i;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, db_dialect(t.db) == DB_POSTGRES ?
	    "CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, i BIGINT, "
	    "b BOOLEAN, d bytea)" :
	    "CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, i BIGINT, "
	    "b BOOLEAN, d BLOB)") == 0);
	REQUIRE(db_prepare(t.db, "INSERT INTO t (k, s, i, b, d) VALUES "
	    "($1, $2, $3, $4, $5)", &st) == 0);
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		CHECK_EQ_INT(db_bind_int64(st, 1, (int64_t)i), 0);
		CHECK_EQ_INT(db_bind_text(st, 2, tricky[i]), 0);
		CHECK_EQ_INT(db_bind_int64(st, 3, i == 0 ? INT64_MIN :
		    i == 1 ? INT64_MAX : -(int64_t)i), 0);
		CHECK_EQ_INT(db_bind_bool(st, 4, (int)(i & 1)), 0);
		CHECK_EQ_INT(db_bind_blob(st, 5, blob, i), 0);
		CHECK_EQ_INT(db_stmt_exec(st), 0);
		CHECK_EQ_INT(db_stmt_changes(st), 1);
		db_reset(st);
	}
	/* A row of NULLs. */
	CHECK_EQ_INT(db_bind_int64(st, 1, 100), 0);
	CHECK_EQ_INT(db_bind_text(st, 2, NULL), 0);
	CHECK_EQ_INT(db_bind_null(st, 3), 0);
	CHECK_EQ_INT(db_bind_null(st, 4), 0);
	CHECK_EQ_INT(db_bind_blob(st, 5, NULL, 0), 0);
	CHECK_EQ_INT(db_stmt_exec(st), 0);
	db_stmt_free(st);
	st = NULL;

	/* The injection-looking strings were data: the table is intact. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM t", NULL), 9);
	REQUIRE(db_prepare(t.db, "SELECT k, s, i, b, d FROM t ORDER BY k",
	    &st) == 0);
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		REQUIRE(db_step(st) == DB_ROW);
		CHECK_EQ_INT(db_column_count(st), 5);
		CHECK_EQ_STR(db_column_name(st, 1), "s");
		CHECK_EQ_INT(db_column_int64(st, 0), i);
		CHECK_EQ_STR(db_column_text(st, 1), tricky[i]);
		CHECK(db_column_int64(st, 2) == (i == 0 ? INT64_MIN :
		    i == 1 ? INT64_MAX : -(int64_t)i));
		CHECK_EQ_INT(db_column_bool(st, 3), (int)(i & 1));
		CHECK(!db_column_is_null(st, 4));
		p = db_column_blob(st, 4, &n);
		REQUIRE(p != NULL);
		CHECK_EQ_INT(n, i);
		CHECK_EQ_MEM(p, blob, n);
		CHECK_EQ_INT(db_column_check(st), 0);
	}
	REQUIRE(db_step(st) == DB_ROW);
	CHECK_EQ_INT(db_column_int64(st, 0), 100);
	for (i = 1; i < 5; i++)
		CHECK(db_column_is_null(st, (int)i));
	CHECK(db_column_text(st, 1) == NULL);
	CHECK_EQ_INT(db_column_int64(st, 2), 0);
	CHECK(db_column_blob(st, 4, &n) == NULL && n == 0);
	CHECK_EQ_INT(db_column_check(st), 0);
	CHECK_EQ_INT(db_step(st), DB_DONE);
	/* Stepping past the end stays done; getters then report no row. */
	CHECK_EQ_INT(db_step(st), DB_DONE);
	CHECK(db_column_text(st, 0) == NULL);
	CHECK_EQ_INT(db_column_check(st), DB_ERR_COLUMN);
	db_stmt_free(st);
	tdb_done(&t);
}

TEST(test_db_stmt_where_param_matches_exactly)
{
	struct tdb t;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE u (name TEXT)") == 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO u VALUES ($1)", "alice",
	    NULL), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO u VALUES ($1)", "bob", NULL),
	    0);
	/* A classic injection finds nothing instead of everything. */
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM u WHERE name=$1",
	    "x' OR '1'='1"), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM u WHERE name=$1",
	    "bob"), 1);
	/* The same placeholder twice, and out of order. */
	CHECK_EQ_INT(tdb_exec2(t.db, "DELETE FROM u WHERE name=$2 OR name=$1 "
	    "OR name=$2", "nobody", "alice"), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM u", NULL), 1);
	tdb_done(&t);
}

TEST(test_db_stmt_param_errors)
{
	struct tdb t;
	struct db_stmt *st = NULL;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE u (a TEXT, b TEXT)") == 0);
	REQUIRE(db_prepare(t.db, "INSERT INTO u VALUES ($1, $2)", &st) == 0);
	CHECK_EQ_INT(db_bind_text(st, 0, "x"), DB_ERR_PARAM);
	CHECK_EQ_INT(db_bind_text(st, 3, "x"), DB_ERR_PARAM);
	CHECK_EQ_INT(db_bind_text(st, DB_MAX_PARAMS + 1, "x"), DB_ERR_PARAM);
	CHECK_EQ_INT(db_bind_text(st, 1, "x"), 0);
	/* $2 unbound: refused rather than silently NULL. */
	CHECK_EQ_INT(db_step(st), DB_ERR_PARAM);
	CHECK(strstr(db_errmsg(t.db), "$2") != NULL);
	db_reset(st);
	CHECK_EQ_INT(db_bind_text(st, 1, "x"), 0);
	CHECK_EQ_INT(db_bind_text(st, 2, "y"), 0);
	CHECK_EQ_INT(db_stmt_exec(st), 0);
	/* Binding again without a reset is a caller bug, reported. */
	CHECK_EQ_INT(db_bind_text(st, 1, "z"), DB_ERR_PARAM);
	db_stmt_free(st);
	st = NULL;
	/* Two statements in one prepare are refused. */
	CHECK(db_prepare(t.db, "DELETE FROM u; DELETE FROM u", &st) != 0);
	CHECK(st == NULL);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM u", NULL), 1);
	/* A syntax error names itself. */
	CHECK_EQ_INT(db_prepare(t.db, "SELEC 1", &st), DB_ERR_QUERY);
	CHECK(strstr(db_errmsg(t.db), "syntax") != NULL);
	/* Only $N placeholders (SQLite would take these; PostgreSQL not). */
	if (!tdb_is_pg()) {
		CHECK_EQ_INT(db_prepare(t.db, "SELECT ?", &st), DB_ERR_PARAM);
		CHECK_EQ_INT(db_prepare(t.db, "SELECT :a", &st), DB_ERR_PARAM);
		CHECK_EQ_INT(db_prepare(t.db, "SELECT $a", &st), DB_ERR_PARAM);
		CHECK_EQ_INT(db_prepare(t.db, "SELECT $01", &st), DB_ERR_PARAM);
		CHECK_EQ_INT(db_prepare(t.db, "SELECT $2", &st), DB_ERR_PARAM);
	} else {
		CHECK(db_prepare(t.db, "SELECT ?", &st) != 0);
		CHECK(db_prepare(t.db, "SELECT $2::text", &st) != 0);
	}
	CHECK(st == NULL);
	tdb_done(&t);
}

TEST(test_db_stmt_getter_type_errors)
{
	struct tdb t;
	struct db_stmt *st = NULL;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_prepare(t.db, "SELECT 'abc', '12', 7", &st) == 0);
	REQUIRE(db_step(st) == DB_ROW);
	CHECK_EQ_INT(db_column_int64(st, 1), 12);
	CHECK_EQ_INT(db_column_check(st), 0);
	CHECK_EQ_INT(db_column_int64(st, 0), 0);
	CHECK_EQ_INT(db_column_check(st), DB_ERR_TYPE);
	CHECK_EQ_INT(db_column_int64(st, 3), 0);
	CHECK_EQ_INT(db_column_check(st), DB_ERR_COLUMN);
	CHECK(db_column_text(st, -1) == NULL);
	CHECK_EQ_INT(db_column_check(st), DB_ERR_COLUMN);
	CHECK_EQ_INT(db_column_int64(st, 2), 7);
	CHECK_EQ_INT(db_column_check(st), 0);
	db_stmt_free(st);
	tdb_done(&t);
}

TEST(test_db_constraint_violation_has_its_code)
{
	struct tdb t;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE p (id TEXT PRIMARY KEY); "
	    "CREATE TABLE c (pid TEXT NOT NULL REFERENCES p (id))") == 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO p VALUES ($1)", "a", NULL), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO p VALUES ($1)", "a", NULL),
	    DB_ERR_CONSTRAINT);
	CHECK(db_errmsg(t.db)[0] != '\0');
	/* Foreign keys are enforced (on SQLite only because we turn them on). */
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO c VALUES ($1)", "zz", NULL),
	    DB_ERR_CONSTRAINT);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO c VALUES ($1)", "a", NULL), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO c VALUES ($1)", NULL, NULL),
	    DB_ERR_PARAM);
	/* A failed step keeps failing until reset, then works again. */
	{
		struct db_stmt *st = NULL;

		REQUIRE(db_prepare(t.db, "INSERT INTO p VALUES ($1)", &st) == 0);
		CHECK_EQ_INT(db_bind_text(st, 1, "a"), 0);
		CHECK_EQ_INT(db_step(st), DB_ERR_CONSTRAINT);
		CHECK_EQ_INT(db_step(st), DB_ERR_CONSTRAINT);
		db_reset(st);
		CHECK_EQ_INT(db_bind_text(st, 1, "b"), 0);
		CHECK_EQ_INT(db_step(st), DB_DONE);
		CHECK_EQ_INT(db_stmt_changes(st), 1);
		db_stmt_free(st);
	}
	tdb_done(&t);
}

static int
txn_insert_then(struct db *db, void *arg)
{
	int r = tdb_exec2(db, "INSERT INTO k VALUES ($1)", "in-txn", NULL);

	if (r != 0)
		return r;
	return *(int *)arg;
}

TEST(test_db_txn_commit_rollback_and_nesting)
{
	struct tdb t;
	int rc;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE k (v TEXT)") == 0);
	CHECK_EQ_INT(db_commit(t.db), DB_ERR_TXN);
	CHECK_EQ_INT(db_rollback(t.db), DB_ERR_TXN);

	CHECK_EQ_INT(db_begin(t.db), 0);
	CHECK(db_in_txn(t.db));
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "a", NULL), 0);
	CHECK_EQ_INT(db_rollback(t.db), 0);
	CHECK(!db_in_txn(t.db));
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM k", NULL), 0);

	CHECK_EQ_INT(db_begin(t.db), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "b", NULL), 0);
	/* Inner transaction = savepoint: its rollback keeps "b". */
	CHECK_EQ_INT(db_begin(t.db), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "c", NULL), 0);
	CHECK_EQ_INT(db_rollback(t.db), 0);
	CHECK_EQ_INT(db_begin(t.db), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "d", NULL), 0);
	CHECK_EQ_INT(db_commit(t.db), 0);
	CHECK(db_in_txn(t.db));
	CHECK_EQ_INT(db_commit(t.db), 0);
	CHECK(!db_in_txn(t.db));
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM k WHERE v IN "
	    "('b', 'd')", NULL), 2);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM k", NULL), 2);

	/* db_txn: 0 commits; an error rolls back and comes back unchanged. */
	rc = 0;
	CHECK_EQ_INT(db_txn(t.db, txn_insert_then, &rc), 0);
	rc = DB_ERR_NOT_OWNED;
	CHECK_EQ_INT(db_txn(t.db, txn_insert_then, &rc), DB_ERR_NOT_OWNED);
	CHECK(!db_in_txn(t.db));
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM k WHERE v=$1",
	    "in-txn"), 1);
	tdb_done(&t);
}

TEST(test_db_txn_after_failed_statement_rolls_back)
{
	struct tdb t;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE k (v TEXT PRIMARY KEY)") == 0);
	CHECK_EQ_INT(db_begin(t.db), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "a", NULL), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "a", NULL),
	    DB_ERR_CONSTRAINT);
	/* The error text survives the rollback for the caller to log. */
	CHECK_EQ_INT(db_rollback(t.db), 0);
	CHECK(db_errmsg(t.db)[0] != '\0');
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM k", NULL), 0);
	/* The connection is usable afterwards. */
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "a", NULL), 0);
	tdb_done(&t);
}

TEST(test_db_stmt_reuse_and_leftover_freed_at_close)
{
	struct tdb t;
	struct db_stmt *st = NULL, *leak = NULL;
	int i;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE n (v BIGINT)") == 0);
	REQUIRE(db_prepare(t.db, "INSERT INTO n VALUES ($1)", &st) == 0);
	for (i = 0; i < 50; i++) {
		CHECK_EQ_INT(db_bind_int64(st, 1, i), 0);
		CHECK_EQ_INT(db_stmt_exec(st), 0);
		db_reset(st);
	}
	db_stmt_free(st);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT SUM(v) FROM n", NULL), 49 * 50 / 2);
	/* A statement left open is finalised by db_close (no leak, no crash). */
	REQUIRE(db_prepare(t.db, "SELECT v FROM n", &leak) == 0);
	CHECK_EQ_INT(db_step(leak), DB_ROW);
	tdb_done(&t);
	db_stmt_free(NULL);
	db_close(NULL);
}

TEST_MAIN()
