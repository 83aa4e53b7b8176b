/*
 * dbtest.h: shared by the db/ unit tests (header only, static functions).
 *
 * The parameterised tests run on the backend the environment names:
 *   PONTON_TEST_DB=sqlite (or unset)   a fresh SQLite file per test
 *   PONTON_TEST_DB=postgres            a fresh database per test on the
 *   PONTON_TEST_PG_URI=postgresql://.. server this admin URI points at
 * test/suites/30-db.sh runs them once per backend; the unit suite runs
 * them with no environment, i.e. on SQLite.
 */
#ifndef PONTON_TEST_DBTEST_H
#define PONTON_TEST_DBTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "util/log.h"
#include "util/mem.h"

struct tdb {
	struct db	*db;
	char		 dir[64];	/* SQLite: temp dir */
	char		 path[128];	/* SQLite: file path */
	char		 name[64];	/* PostgreSQL: database name */
	char		*uri;		/* owned: URI form */
	char		*conninfo;	/* owned: key=value form (PostgreSQL) */
};

static struct db *tdb_admin;
static int tdb_seq;

static inline int
tdb_is_pg(void)
{
	const char *e = getenv("PONTON_TEST_DB");

	return e != NULL && strcmp(e, "postgres") == 0;
}

static inline const char *
tdb_type(void)
{
	return tdb_is_pg() ? "postgres" : "sqlite3-fk-wal";
}

static void
tdb_admin_close(void)
{
	db_close(tdb_admin);
	tdb_admin = NULL;
}

static inline void
tdb_quiet(void)
{
	struct u_log_config c = { .min_level = U_LOG_WARN,
	    .stdout_enabled = 1, .stdout_level = U_LOG_WARN };

	if (getenv("PONTON_TEST_DEBUG") != NULL)
		c.min_level = c.stdout_level = U_LOG_DEBUG;
	u_log_setup(&c);
}

/* Parsed parts of the admin URI, for building per-test URIs. */
static inline const char *
tdb_pg_opt(PQconninfoOption *o, const char *kw)
{
	for (; o->keyword != NULL; o++)
		if (strcmp(o->keyword, kw) == 0)
			return o->val != NULL ? o->val : "";
	return "";
}

/* Fills t->uri and t->conninfo for t->name. */
static inline void
tdb_pg_uris(struct tdb *t)
{
	PQconninfoOption *o;
	char *err = NULL;
	const char *admin = getenv("PONTON_TEST_PG_URI");

	o = PQconninfoParse(admin, &err);
	if (o == NULL) {
		fprintf(stderr, "bad PONTON_TEST_PG_URI: %s\n", err);
		exit(2);
	}
	t->uri = u_asprintf("postgresql:///%s?host=%s&port=%s&user=%s",
	    t->name, tdb_pg_opt(o, "host"), *tdb_pg_opt(o, "port") ?
	    tdb_pg_opt(o, "port") : "5432", tdb_pg_opt(o, "user"));
	t->conninfo = u_asprintf("host='%s' port='%s' user='%s' dbname='%s'",
	    tdb_pg_opt(o, "host"), *tdb_pg_opt(o, "port") ?
	    tdb_pg_opt(o, "port") : "5432", tdb_pg_opt(o, "user"), t->name);
	PQconninfoFree(o);
}

/* A new empty database, not yet opened.  0 or a DB_ERR_*. */
static inline int
tdb_create(struct tdb *t)
{
	char sql[128];
	int r;

	memset(t, 0, sizeof(*t));
	tdb_quiet();
	if (!tdb_is_pg()) {
		snprintf(t->dir, sizeof(t->dir), "/tmp/ponton-dbtest-XXXXXX");
		if (mkdtemp(t->dir) == NULL)
			return DB_ERR_INTERNAL;
		snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
		t->uri = u_asprintf("file:%s?_txlock=immediate", t->path);
		return 0;
	}
	if (tdb_admin == NULL) {
		if (getenv("PONTON_TEST_PG_URI") == NULL) {
			fprintf(stderr, "PONTON_TEST_PG_URI is not set\n");
			return DB_ERR_URI;
		}
		r = db_open(&tdb_admin, "postgres", getenv("PONTON_TEST_PG_URI"),
		    NULL);
		if (r != 0) {
			fprintf(stderr, "admin connect: %s\n", db_open_errmsg());
			return r;
		}
		atexit(tdb_admin_close);
	}
	snprintf(t->name, sizeof(t->name), "ponton_t_%d_%d", (int)getpid(),
	    ++tdb_seq);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", t->name);
	if ((r = db_exec(tdb_admin, sql)) != 0)
		return r;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->name);
	if ((r = db_exec(tdb_admin, sql)) != 0) {
		fprintf(stderr, "%s\n", db_errmsg(tdb_admin));
		return r;
	}
	tdb_pg_uris(t);
	return 0;
}

static inline int
tdb_open(struct tdb *t, const struct db_open_opts *o)
{
	int r = db_open(&t->db, tdb_type(), t->uri, o);

	if (r != 0)
		fprintf(stderr, "  open: %s\n", db_open_errmsg());
	return r;
}

/* tdb_create + tdb_open. */
static inline int
tdb_fresh(struct tdb *t, const struct db_open_opts *o)
{
	int r;

	if ((r = tdb_create(t)) != 0)
		return r;
	return tdb_open(t, o);
}

static inline void
tdb_close(struct tdb *t)
{
	db_close(t->db);
	t->db = NULL;
}

static inline void
tdb_done(struct tdb *t)
{
	char sql[160];

	tdb_close(t);
	if (t->name[0] != '\0' && tdb_admin != NULL) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", t->name);
		if (db_exec(tdb_admin, sql) != 0)
			fprintf(stderr, "  drop: %s\n", db_errmsg(tdb_admin));
	}
	if (t->path[0] != '\0') {
		char p[160];

		unlink(t->path);
		snprintf(p, sizeof(p), "%s-wal", t->path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", t->path);
		unlink(p);
		rmdir(t->dir);
	}
	free(t->uri);
	free(t->conninfo);
	memset(t, 0, sizeof(*t));
}

/* Run one statement with up to two text params; returns 0 or the error. */
static inline int
tdb_exec2(struct db *db, const char *sql, const char *a, const char *b)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, sql, &st)) != 0)
		return r;
	if (a != NULL && (r = db_bind_text(st, 1, a)) != 0)
		goto out;
	if (b != NULL && (r = db_bind_text(st, 2, b)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	db_stmt_free(st);
	return r;
}

/* First column of the first row as int64; -999 if no row or an error. */
static inline int64_t
tdb_int(struct db *db, const char *sql, const char *a)
{
	struct db_stmt *st = NULL;
	int64_t v = -999;

	if (db_prepare(db, sql, &st) != 0) {
		fprintf(stderr, "  prepare %s: %s\n", sql, db_errmsg(db));
		return v;
	}
	if ((a == NULL || db_bind_text(st, 1, a) == 0) &&
	    db_step(st) == DB_ROW)
		v = db_column_int64(st, 0);
	db_stmt_free(st);
	return v;
}

#endif
