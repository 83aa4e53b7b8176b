/*
 * Tests for the PostgreSQL backend that need no server: an unreachable or
 * silent server is a clear error within the connect timeout (never a
 * hang), and malformed URIs are refused before any connection attempt.
 * Tests named *_server_* need the server 30-db.sh starts
 * (PONTON_TEST_DB=postgres, PONTON_TEST_PG_URI); without it (the unit
 * suite) they are left out with a comment line, since 30-db.sh runs them.
 * The parameterised tests in test_db_api.c / test_db_migrate.c also run
 * on PostgreSQL there.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"
#include "db/db_int.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(test_db_pg_refused_connection_is_clear_error)
{
	struct db *db = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char *uri;
	int fd;

	tdb_quiet();
	/* A port that is surely closed: bind one, note it, close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	close(fd);
	uri = u_asprintf("postgres://u@127.0.0.1:%d/db?sslmode=disable",
	    ntohs(sa.sin_port));
	CHECK_EQ_INT(db_open(&db, "postgres", uri, NULL), DB_ERR_CONNECT);
	CHECK(strstr(db_open_errmsg(), "postgres") != NULL);
	CHECK(strstr(db_open_errmsg(), "refused") != NULL);
	CHECK(db == NULL);
	free(uri);
	/* A unix socket directory with no server in it. */
	CHECK_EQ_INT(db_open(&db, "postgres",
	    "host=/nonexistent-ponton-dir dbname=x user=u", NULL),
	    DB_ERR_CONNECT);
	CHECK(strstr(db_open_errmsg(), "nonexistent-ponton-dir") != NULL);
}

TEST(test_db_pg_silent_listener_times_out)
{
	struct db_open_opts o = { .connect_timeout = 2 };
	struct db *db = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	double t0, dt;
	char *uri;
	int fd;

	tdb_quiet();
	/*
	 * A listener that never accepts: the kernel completes the TCP
	 * handshake, then nothing ever answers the startup packet.  Without
	 * a connect timeout libpq would wait forever.
	 */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	REQUIRE(listen(fd, 4) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	uri = u_asprintf("postgresql://u@127.0.0.1:%d/db?sslmode=disable",
	    ntohs(sa.sin_port));
	t0 = now();
	CHECK_EQ_INT(db_open(&db, "postgres", uri, &o), DB_ERR_CONNECT);
	dt = now() - t0;
	CHECK(dt >= 1.0 && dt < 10.0);
	CHECK(strstr(db_open_errmsg(), "timeout") != NULL);
	free(uri);
	/* The URI's own connect_timeout wins over the option. */
	uri = u_asprintf("host=127.0.0.1 port=%d user=u dbname=db "
	    "sslmode=disable connect_timeout=1", ntohs(sa.sin_port));
	o.connect_timeout = 30;
	t0 = now();
	CHECK_EQ_INT(db_open(&db, "postgres", uri, &o), DB_ERR_CONNECT);
	dt = now() - t0;
	CHECK(dt < 10.0);
	free(uri);
	close(fd);
}

TEST(test_db_pg_malformed_uris_rejected)
{
	static const char *bad[] = {
		"nonsense",
		"postgres:/missing-slash",
		"postgresql://[::1",
		"postgresql://host/db?search_path=%zz",
		"postgresql://host/db?%00=1",
		"postgresql://%zz@host/db",
		"host=x bogus_key=1",
		"host='unterminated",
		"mysql://host/db",
	};
	struct db *db = NULL;
	size_t i;
	double t0;

	tdb_quiet();
	t0 = now();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (db_open(&db, "postgres", bad[i], NULL) != DB_ERR_URI) {
			fprintf(stderr, "  not DB_ERR_URI: %s (%s)\n", bad[i],
			    db_open_errmsg());
			CHECK(0);
			db_close(db);
			db = NULL;
		}
		CHECK(db_open_errmsg()[0] != '\0');
	}
	/* None of them tried to connect anywhere. */
	CHECK(now() - t0 < 2.0);
}

static int
admin_exec1(const char *sql, const char *arg)
{
	return tdb_exec2(tdb_admin, sql, arg, NULL);
}

TEST(test_db_pg_server_reconnects_after_connection_loss)
{
	struct tdb t;
	struct db_stmt *st = NULL;
	int r;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE k (v TEXT)") == 0);
	/* Kill our backend from the admin connection (a server restart). */
	REQUIRE(admin_exec1("SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE datname=$1", t.name) == 0);
	/* The call that meets the dead connection fails, clearly ... */
	r = tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "a", NULL);
	CHECK(r == DB_ERR_CONNECT || r == DB_ERR_QUERY);
	CHECK(db_errmsg(t.db)[0] != '\0');
	/* ... and the next one reconnects. */
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "b", NULL), 0);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM k", NULL), 1);
	/* bytea still comes back decoded after the reconnect. */
	REQUIRE(db_prepare(t.db, "SELECT '\\x00ff'::bytea", &st) == 0);
	if (db_step(st) == DB_ROW) {
		size_t n = 0;
		const unsigned char *p = db_column_blob(st, 0, &n);

		CHECK(p != NULL && n == 2 && p[0] == 0 && p[1] == 0xff);
	} else {
		CHECK(0);
	}
	db_stmt_free(st);

	/* Lost inside a transaction: errors until the caller rolls back. */
	CHECK_EQ_INT(db_begin(t.db), 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "c", NULL), 0);
	REQUIRE(admin_exec1("SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE datname=$1", t.name) == 0);
	CHECK(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "d", NULL) != 0);
	CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO k VALUES ($1)", "e", NULL),
	    DB_ERR_CONNECT);
	CHECK_EQ_INT(db_rollback(t.db), 0);
	CHECK(!db_in_txn(t.db));
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM k", NULL), 1);
	tdb_done(&t);
}

TEST(test_db_pg_server_bytea_and_text_params)
{
	static const unsigned char bin[] = { 0, 'a', 0, 0xfe, '\\', 'x' };
	struct tdb t;
	struct db_stmt *st = NULL;
	const unsigned char *p;
	size_t n = 0;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE b (d bytea, s TEXT, i INTEGER, "
	    "f BOOLEAN)") == 0);
	/* Text into bytea is the bytes of the text; bool into INTEGER is 1. */
	REQUIRE(db_prepare(t.db, "INSERT INTO b VALUES ($1, $2, $3, $4)",
	    &st) == 0);
	CHECK_EQ_INT(db_bind_text(st, 1, "\\x41"), 0);
	CHECK_EQ_INT(db_bind_text(st, 2, "t"), 0);
	CHECK_EQ_INT(db_bind_bool(st, 3, 1), 0);
	CHECK_EQ_INT(db_bind_int64(st, 4, 0), 0);
	CHECK_EQ_INT(db_stmt_exec(st), 0);
	db_reset(st);
	CHECK_EQ_INT(db_bind_blob(st, 1, bin, sizeof(bin)), 0);
	CHECK_EQ_INT(db_bind_null(st, 2), 0);
	CHECK_EQ_INT(db_bind_int64(st, 3, 2), 0);
	CHECK_EQ_INT(db_bind_bool(st, 4, 1), 0);
	CHECK_EQ_INT(db_stmt_exec(st), 0);
	db_stmt_free(st);
	st = NULL;
	REQUIRE(db_prepare(t.db, "SELECT d, i, f FROM b ORDER BY i", &st) == 0);
	REQUIRE(db_step(st) == DB_ROW);
	p = db_column_blob(st, 0, &n);
	CHECK(p != NULL && n == 4 && memcmp(p, "\\x41", 4) == 0);
	CHECK_EQ_INT(db_column_int64(st, 1), 1);
	CHECK_EQ_INT(db_column_bool(st, 2), 0);
	REQUIRE(db_step(st) == DB_ROW);
	p = db_column_blob(st, 0, &n);
	CHECK(p != NULL && n == sizeof(bin) && memcmp(p, bin, n) == 0);
	CHECK_EQ_INT(db_column_bool(st, 2), 1);
	CHECK_EQ_INT(db_column_check(st), 0);
	db_stmt_free(st);
	tdb_done(&t);
}

static char *
show(struct db *db, const char *sql)
{
	struct db_stmt *st = NULL;
	char *v = NULL;

	if (db_prepare(db, sql, &st) == 0 && db_step(st) == DB_ROW)
		v = u_strdup(db_column_text(st, 0));
	db_stmt_free(st);
	return v != NULL ? v : u_strdup("(error)");
}

TEST(test_db_pg_server_uri_runtime_params_like_lib_pq)
{
	struct tdb t;
	struct db *db = NULL;
	char *uri, *v;

	REQUIRE(tdb_create(&t) == 0);
	/*
	 * lib/pq sends unknown URI parameters as settings; libpq's own
	 * keywords (application_name) stay keywords; lib/pq-only ones are
	 * dropped; a value with a space and a backslash survives.
	 */
	uri = u_asprintf("%s&search_path=s1%%2C%%20public&application_name=pt"
	    "&binary_parameters=yes&options=-c%%20work_mem%%3D5MB"
	    "&lock_timeout=1234", t.uri);
	REQUIRE(db_open(&db, "postgres", uri, NULL) == 0);
	v = show(db, "SHOW search_path");
	CHECK_EQ_STR(v, "s1, public");
	free(v);
	v = show(db, "SELECT current_setting('application_name')");
	CHECK_EQ_STR(v, "pt");
	free(v);
	v = show(db, "SHOW work_mem");
	CHECK_EQ_STR(v, "5MB");
	free(v);
	v = show(db, "SHOW lock_timeout");
	CHECK_EQ_STR(v, "1234ms");
	free(v);
	db_close(db);
	db = NULL;
	free(uri);
	/* A setting the server does not know: its own error, at connect. */
	uri = u_asprintf("%s&no_such_setting=1", t.uri);
	CHECK_EQ_INT(db_open(&db, "postgres", uri, NULL), DB_ERR_CONNECT);
	CHECK(strstr(db_open_errmsg(), "no_such_setting") != NULL);
	free(uri);
	tdb_done(&t);
}

TEST(test_db_pg_server_statement_shapes_are_cached)
{
	struct tdb t;
	uint64_t before;
	int i;

	REQUIRE(tdb_fresh(&t, NULL) == 0);
	REQUIRE(db_exec(t.db, "CREATE TABLE c (v TEXT)") == 0);
	before = t.db->pg_describes;
	CHECK_EQ_INT(db_begin(t.db), 0);
	for (i = 0; i < 20; i++)
		CHECK_EQ_INT(tdb_exec2(t.db, "INSERT INTO c VALUES ($1)", "x",
		    NULL), 0);
	CHECK_EQ_INT(db_commit(t.db), 0);
	/* One round trip to learn the shape, none for the other 19. */
	CHECK_EQ_INT(t.db->pg_describes - before, 1);
	CHECK_EQ_INT(tdb_int(t.db, "SELECT COUNT(*) FROM c", NULL), 20);
	/* DDL clears the cache: a changed column type is picked up. */
	REQUIRE(db_exec(t.db, "ALTER TABLE c ADD COLUMN d bytea") == 0);
	before = t.db->pg_describes;
	{
		struct db_stmt *st = NULL;

		REQUIRE(db_prepare(t.db, "INSERT INTO c (d) VALUES ($1)",
		    &st) == 0);
		CHECK_EQ_INT(db_bind_blob(st, 1, "\0\1", 2), 0);
		CHECK_EQ_INT(db_stmt_exec(st), 0);
		db_stmt_free(st);
	}
	CHECK_EQ_INT(t.db->pg_describes - before, 1);
	/* More distinct statements than the cache holds: still correct. */
	for (i = 0; i < DB_PG_SHAPES + 10; i++) {
		char sql[64];

		snprintf(sql, sizeof(sql), "SELECT %d + $1::int", i);
		CHECK_EQ_INT(tdb_int(t.db, sql, "1"), i + 1);
	}
	tdb_done(&t);
}

int
main(void)
{
	int i, j;

	/* Without a server, leave out the *_server_* cases (see the top). */
	if (!tdb_is_pg() || getenv("PONTON_TEST_PG_URI") == NULL) {
		for (i = j = 0; i < test_ncases; i++) {
			if (strstr(test_cases[i].name, "_server_") != NULL) {
				printf("# %s: needs PostgreSQL, run by "
				    "test/suites/30-db.sh\n", test_cases[i].name);
				continue;
			}
			test_cases[j++] = test_cases[i];
		}
		test_ncases = j;
	}
	return test_main();
}
