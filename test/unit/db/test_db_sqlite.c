/*
 * Tests for the SQLite backend only (always SQLite, whatever the
 * environment): the pragmas every connection gets, go-sqlite3 style URI
 * parameters, _txlock=immediate, the driver types, malformed URIs.
 */
#include <stdio.h>
#include <unistd.h>

#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"
#include "db/db_int.h"

#define FILTER(s, d, out) db__mig_filter((s), strlen(s), (d), (out))

struct sdir {
	char	dir[64];
	char	path[128];
};

static void
sdir_new(struct sdir *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/ponton-dbsq-XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		abort();
	snprintf(s->path, sizeof(s->path), "%s/s.db", s->dir);
}

static void
sdir_rm(struct sdir *s)
{
	char p[160];

	unlink(s->path);
	snprintf(p, sizeof(p), "%s-wal", s->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", s->path);
	unlink(p);
	rmdir(s->dir);
}

static char *
pragma(struct db *db, const char *sql)
{
	struct db_stmt *st = NULL;
	char *v = NULL;

	if (db_prepare(db, sql, &st) != 0)
		return u_strdup("(prepare failed)");
	if (db_step(st) == DB_ROW)
		v = u_strdup(db_column_text(st, 0));
	db_stmt_free(st);
	return v != NULL ? v : u_strdup("(no row)");
}

static void
check_pragma(int *test_failed_, struct db *db, const char *sql,
    const char *want)
{
	char *v = pragma(db, sql);

	CHECK_EQ_STR(v, want);
	free(v);
}

TEST(test_db_sqlite_pragmas_fk_wal_busy_on_every_type)
{
	static const char *types[] = { "sqlite3-fk-wal",
	    "sqlite3-fk-wal-fullsync", "litestream" };
	struct sdir s;
	struct db *db = NULL;
	size_t i;

	tdb_quiet();
	sdir_new(&s);
	for (i = 0; i < 3; i++) {
		REQUIRE(db_open(&db, types[i], s.path, NULL) == 0);
		check_pragma(test_failed_, db, "PRAGMA foreign_keys", "1");
		check_pragma(test_failed_, db, "PRAGMA journal_mode", "wal");
		check_pragma(test_failed_, db, "PRAGMA busy_timeout", "5000");
		check_pragma(test_failed_, db, "PRAGMA synchronous",
		    i == 1 ? "2" : "1");
		check_pragma(test_failed_, db, "PRAGMA wal_autocheckpoint",
		    i == 2 ? "0" : "1000");
		db_close(db);
		db = NULL;
	}
	/* The file really is in WAL mode for the next opener. */
	CHECK(access(s.path, F_OK) == 0);
	sdir_rm(&s);
}

TEST(test_db_sqlite_uri_params)
{
	struct sdir s;
	struct db *db = NULL;
	char *u;

	tdb_quiet();
	sdir_new(&s);
	/* Driver params consumed, unknown _params ignored, SQLite's own kept. */
	u = u_asprintf("file:%s?_busy_timeout=1234&_foo=bar&_fk=0&cache=private"
	    "&_txlock=immediate", s.path);
	REQUIRE(db_open(&db, "sqlite3-fk-wal", u, NULL) == 0);
	check_pragma(test_failed_, db, "PRAGMA busy_timeout", "1234");
	/* _fk=0 cannot switch foreign keys off. */
	check_pragma(test_failed_, db, "PRAGMA foreign_keys", "1");
	CHECK_EQ_INT(db_exec(db, "CREATE TABLE a (x INTEGER)"), 0);
	db_close(db);
	db = NULL;
	free(u);
	/* mode=ro reaches SQLite: writes fail, reads work. */
	u = u_asprintf("file:%s?mode=ro", s.path);
	REQUIRE(db_open(&db, "sqlite3-fk-wal", u, NULL) == 0);
	CHECK_EQ_INT(tdb_int(db, "SELECT COUNT(*) FROM a", NULL), 0);
	CHECK(db_exec(db, "INSERT INTO a VALUES (1)") != 0);
	db_close(db);
	db = NULL;
	free(u);
	/* _timeout is go-sqlite3's other spelling; %-encoding is decoded. */
	u = u_asprintf("file:%s?_timeout=%%37%%37", s.path);
	REQUIRE(db_open(&db, "sqlite3-fk-wal", u, NULL) == 0);
	check_pragma(test_failed_, db, "PRAGMA busy_timeout", "77");
	db_close(db);
	free(u);
	sdir_rm(&s);
}

TEST(test_db_sqlite_malformed_uris_rejected)
{
	static const char *bad[] = {
		"file:",
		"file:?mode=ro",
		"file:x.db?_txlock=sometimes",
		"file:x.db?_busy_timeout=abc",
		"file:x.db?_busy_timeout=-1",
		"file:x.db?_busy_timeout=99999999999",
		"file:x.db?_txlock=%zz",
		"file:x.db?_txlock=%4",
		"file:x.db?=v",
		"x.db?_txlock=nope",
	};
	struct db *db = NULL;
	size_t i;
	char *huge;

	tdb_quiet();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (db_open(&db, "sqlite3-fk-wal", bad[i], NULL) != DB_ERR_URI) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			CHECK(0);
			db_close(db);
			db = NULL;
		}
		CHECK(db_open_errmsg()[0] != '\0');
	}
	CHECK(access("x.db", F_OK) != 0);
	/* Longer than the limit: refused before anything is parsed. */
	huge = u_malloc(8192);
	memset(huge, 'a', 8191);
	huge[8191] = '\0';
	CHECK_EQ_INT(db_open(&db, "sqlite3-fk-wal", huge, NULL), DB_ERR_URI);
	free(huge);
	/* Not a database: a clear open error, not a crash. */
	{
		struct sdir s;
		FILE *f;

		sdir_new(&s);
		f = fopen(s.path, "w");
		REQUIRE(f != NULL);
		fputs("this is not an SQLite database, just some text ......"
		    "..........................................................",
		    f);
		fclose(f);
		CHECK_EQ_INT(db_open(&db, "sqlite3-fk-wal", s.path, NULL),
		    DB_ERR_CONNECT);
		CHECK(strstr(db_open_errmsg(), "not a database") != NULL);
		sdir_rm(&s);
	}
	/* A directory that does not exist. */
	CHECK_EQ_INT(db_open(&db, "sqlite3-fk-wal",
	    "/nonexistent-ponton/dir/x.db", NULL), DB_ERR_CONNECT);
	CHECK(db == NULL);
}

TEST(test_db_sqlite_txlock_immediate_takes_write_lock_at_begin)
{
	struct sdir s;
	struct db *a = NULL, *b = NULL;
	char *ua, *ub;

	tdb_quiet();
	sdir_new(&s);
	ua = u_asprintf("file:%s?_txlock=immediate&_busy_timeout=50", s.path);
	ub = u_asprintf("file:%s?_txlock=immediate&_busy_timeout=50", s.path);
	REQUIRE(db_open(&a, "sqlite3-fk-wal", ua, NULL) == 0);
	REQUIRE(db_open(&b, "sqlite3-fk-wal", ub, NULL) == 0);
	REQUIRE(db_exec(a, "CREATE TABLE t (x INTEGER)") == 0);
	/* a's BEGIN IMMEDIATE holds the write lock before any write ... */
	CHECK_EQ_INT(db_begin(a), 0);
	/* ... so b cannot even begin: busy after its 50 ms timeout. */
	CHECK_EQ_INT(db_begin(b), DB_ERR_BUSY);
	CHECK(!db_in_txn(b));
	CHECK_EQ_INT(db_commit(a), 0);
	CHECK_EQ_INT(db_begin(b), 0);
	CHECK_EQ_INT(db_commit(b), 0);
	db_close(a);
	db_close(b);
	a = b = NULL;
	/* Deferred (the default) BEGIN takes no lock: both may begin. */
	REQUIRE(db_open(&a, "sqlite3-fk-wal", s.path, NULL) == 0);
	REQUIRE(db_open(&b, "sqlite3-fk-wal", s.path, NULL) == 0);
	CHECK_EQ_INT(db_begin(a), 0);
	CHECK_EQ_INT(db_begin(b), 0);
	CHECK_EQ_INT(db_rollback(a), 0);
	CHECK_EQ_INT(db_rollback(b), 0);
	db_close(a);
	db_close(b);
	free(ua);
	free(ub);
	sdir_rm(&s);
}

/* The dialect filter on upstream's marker forms. */
TEST(test_db_sqlite_migration_dialect_filter)
{
	static const char body[] =
	    "A;\n"
	    "-- only: postgres\n"
	    "PG1;\n"
	    "-- only: sqlite (line commented)\n"
	    "--SQ1;\n"
	    "  -- only: sqlite for next 2 lines\n"
	    "SQ2;\n"
	    "SQ3;\n"
	    "-- only: postgres until \"end only\"\n"
	    "PG2;\n"
	    "PG3;\n"
	    "-- end only postgres\n"
	    "-- only: sqlite until \"end only\" (lines commented)\n"
	    "--SQ4;\n"
	    "-- end only sqlite\n"
	    "B;";
	char *out = NULL;

	REQUIRE(db__mig_filter(body, sizeof(body) - 1, DB_SQLITE, &out) == 0);
	CHECK_EQ_STR(out, "A;\nSQ1;\nSQ2;\nSQ3;\nSQ4;\nB;\n");
	free(out);
	REQUIRE(db__mig_filter(body, sizeof(body) - 1, DB_POSTGRES, &out) == 0);
	CHECK_EQ_STR(out, "A;\nPG1;\nPG2;\nPG3;\nB;\n");
	free(out);
	/* Broken blocks are errors, not silently half-applied. */
	out = NULL;
	CHECK_EQ_INT(FILTER("-- only: sqlite until \"end only\"\nX;\n",
	    DB_SQLITE, &out), DB_ERR_MIGRATION);
	CHECK_EQ_INT(FILTER("-- only: sqlite until \"end only\"\nX;\n"
	    "-- end only postgres\n", DB_SQLITE, &out), DB_ERR_MIGRATION);
	CHECK_EQ_INT(FILTER("-- only: sqlite until \"end only\" (lines "
	    "commented)\nX;\n-- end only sqlite", DB_SQLITE, &out),
	    DB_ERR_MIGRATION);
	CHECK(out == NULL);
}

/* Random mixes of marker lines never crash or over-read (ASan watches). */
TEST(test_db_sqlite_migration_filter_survives_random_input)
{
	static const char *pieces[] = { "-- only: sqlite", "-- only: postgres",
	    " for next 3 lines", " for next 99999 lines", " until \"end only\"",
	    " (line commented)", " (lines commented)", "-- end only sqlite",
	    "-- end only postgres", "--", "X;", "\n", "\n", "\t", "-- only: " };
	unsigned int seed = 12345;
	char buf[512], *out;
	size_t n, len;
	int i, k;

	for (i = 0; i < 3000; i++) {
		len = 0;
		n = 1 + (seed = seed * 1103515245 + 12345) % 12;
		while (n-- > 0) {
			const char *p = pieces[(seed = seed * 1103515245 +
			    12345) / 7 % (sizeof(pieces) / sizeof(*pieces))];

			if (len + strlen(p) >= sizeof(buf))
				break;
			memcpy(buf + len, p, strlen(p));
			len += strlen(p);
		}
		for (k = DB_SQLITE; k <= DB_POSTGRES; k++) {
			/* Exactly len bytes: no NUL for the filter to lean on. */
			char *in = u_memdup(buf, len ? len : 1);

			out = NULL;
			if (db__mig_filter(in, len, k, &out) == 0) {
				CHECK(out != NULL);
				CHECK(strlen(out) <= len + 64);
			}
			free(out);
			free(in);
		}
	}
}

TEST_MAIN()
