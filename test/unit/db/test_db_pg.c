/*
 * Tests for the PostgreSQL backend that need no server: an unreachable or
 * silent server is a clear error within the connect timeout (never a
 * hang), and malformed URIs are refused before any connection attempt.
 * The tests that need a server are the parameterised ones in
 * test_db_api.c / test_db_migrate.c (run on PostgreSQL by 30-db.sh).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test/unit/test.h"
#include "test/unit/db/dbtest.h"

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

TEST(test_db_pg_silent_server_times_out)
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
		"postgresql://host/db?bogus_option=1",
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

TEST_MAIN()
