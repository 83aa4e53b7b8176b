/*
 * db.c: the backend-independent half of db/: opening by type, error codes
 * and texts, statement bookkeeping, getters' type checks, transactions with
 * savepoints, and the small catalog helpers.
 *
 * It does not talk to an engine itself: each call dispatches to sqlite.c or
 * pg.c by the handle's dialect.
 *
 * Invariants: db->txn_depth counts BEGIN (1) plus open savepoints; every
 * statement on the handle is in db->stmts until db_stmt_free, so db_close
 * can finalise leftovers (a leftover is a caller bug and is logged).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

static char open_errmsg[DB_ERRMSG_MAX];

const char *
db_strerror(int code)
{
	switch (code) {
	case DB_ERR_INTERNAL:	return "database: internal error";
	case DB_ERR_URI:	return "database: malformed type or URI";
	case DB_ERR_CONNECT:	return "database: cannot open or connect";
	case DB_ERR_QUERY:	return "database: statement failed";
	case DB_ERR_CONSTRAINT:	return "database: constraint violated";
	case DB_ERR_BUSY:	return "database: locked (busy timeout)";
	case DB_ERR_PARAM:	return "database: bad or unbound parameter";
	case DB_ERR_COLUMN:	return "database: no such column or no row";
	case DB_ERR_TYPE:	return "database: value has the wrong type";
	case DB_ERR_TXN:	return "database: no transaction open";
	case DB_ERR_NOT_OWNED:	return "database: owned by another program";
	case DB_ERR_FOREIGN_TABLES:
		return "database: contains foreign tables";
	case DB_ERR_UNSUPPORTED_VERSION:
		return "database: unsupported schema version";
	case DB_ERR_MIGRATION:	return "database: schema migration failed";
	case DB_ERR_TOO_BIG:	return "database: value exceeds a limit";
	}
	return "database: unknown error";
}

void
db_init(void)
{
	u_strerror_register(U_ERR_RANGE_DB, db_strerror);
}

int
db__err(struct db *db, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
	return code;
}

void
db__clear_err(struct db *db)
{
	db->errmsg[0] = '\0';
}

void
db__open_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(open_errmsg, sizeof(open_errmsg), fmt, ap);
	va_end(ap);
}

const char *
db_open_errmsg(void)
{
	return open_errmsg;
}

int
db__parse_int64(const char *s, size_t len, int64_t *out)
{
	char tmp[32], *end;
	long long v;

	if (s == NULL || len == 0 || len >= sizeof(tmp))
		return DB_ERR_TYPE;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || end == tmp)
		return DB_ERR_TYPE;
	*out = v;
	return 0;
}

static int
is_sqlite_type(const char *type)
{
	/* The names mautrix registers as database/sql drivers on SQLite. */
	return strcmp(type, "sqlite3-fk-wal") == 0 ||
	    strcmp(type, "sqlite3-fk-wal-fullsync") == 0 ||
	    strcmp(type, "litestream") == 0;
}

int
db_open(struct db **out, const char *type, const char *uri,
    const struct db_open_opts *opts)
{
	struct db *db;
	int r = DB_ERR_INTERNAL;

	db_init();
	open_errmsg[0] = '\0';
	if (type == NULL || uri == NULL || *uri == '\0') {
		db__open_err("database type and uri must be set");
		return DB_ERR_URI;
	}
	db = u_calloc(1, sizeof(*db));
	if (opts != NULL)
		db->opts = *opts;
	db->owner = u_strdup(opts != NULL && opts->owner != NULL ?
	    opts->owner : DB_OWNER_DEFAULT);
	db->opts.owner = db->owner;
	if (db->opts.max_open_conns > 1)
		log_debug("database: max_open_conns=%d is a hint; ponton uses "
		    "one connection", db->opts.max_open_conns);
	if (is_sqlite_type(type)) {
		db->dialect = DB_SQLITE;
		r = db__sq_open(db, type, uri);
	} else if (strcmp(type, "postgres") == 0 ||
	    strcmp(type, "postgresql") == 0 || strcmp(type, "pgx") == 0) {
		db->dialect = DB_POSTGRES;
		r = db__pg_open(db, uri);
	} else if (strcmp(type, "sqlite3") == 0) {
		/* mautrix refuses it too: plain sqlite3 has no FK/WAL hook. */
		db__open_err("invalid database type sqlite3; use sqlite3-fk-wal");
		r = DB_ERR_URI;
	} else {
		db__open_err("unknown database type '%.64s' (expected "
		    "sqlite3-fk-wal, litestream or postgres)", type);
		r = DB_ERR_URI;
	}
	if (r != 0) {
		if (open_errmsg[0] == '\0')
			db__open_err("%s", db->errmsg[0] ? db->errmsg :
			    db_strerror(r));
		db_close(db);
		return r;
	}
	*out = db;
	return 0;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	while (db->stmts != NULL) {
		log_warnx("database: statement still prepared at close "
		    "(caller bug); freeing it");
		db_stmt_free(db->stmts);
	}
	if (db->dialect == DB_SQLITE)
		db__sq_close(db);
	else if (db->dialect == DB_POSTGRES)
		db__pg_close(db);
	free(db->owner);
	free(db);
}

enum db_dialect
db_dialect(const struct db *db)
{
	return db->dialect;
}

const char *
db_errmsg(const struct db *db)
{
	return db->errmsg;
}

int
db_exec(struct db *db, const char *sql)
{
	db__clear_err(db);
	if (db->dialect == DB_SQLITE)
		return db__sq_exec(db, sql);
	return db__pg_exec(db, sql);
}

int
db_upgrade(struct db *db)
{
	db__clear_err(db);
	return db__migrate_all(db);
}

/* --- Statements ----------------------------------------------------------- */

int
db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct db_stmt *st;
	int r;

	db__clear_err(db);
	st = u_calloc(1, sizeof(*st));
	st->db = db;
	if (db->dialect == DB_SQLITE)
		r = db__sq_prepare(st, sql);
	else
		r = db__pg_prepare(st, sql);
	if (r != 0) {
		if (db->dialect == DB_SQLITE)
			db__sq_finalize(st);
		else
			db__pg_finalize(st);
		free(st);
		return r;
	}
	st->next = db->stmts;
	if (st->next != NULL)
		st->next->prevp = &st->next;
	st->prevp = &db->stmts;
	db->stmts = st;
	*out = st;
	return 0;
}

void
db_stmt_free(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (st->db->dialect == DB_SQLITE)
		db__sq_finalize(st);
	else
		db__pg_finalize(st);
	*st->prevp = st->next;
	if (st->next != NULL)
		st->next->prevp = st->prevp;
	free(st);
}

static int
bind(struct db_stmt *st, int idx, int kind, int64_t i, const void *p,
    size_t n)
{
	struct db *db = st->db;
	int r;

	if (idx < 1 || idx > DB_MAX_PARAMS || idx > st->nparams)
		return db__err(db, DB_ERR_PARAM, "no parameter $%d in the "
		    "statement (it has %d)", idx, st->nparams);
	if (st->state != DB__ST_READY)
		return db__err(db, DB_ERR_PARAM,
		    "bind after step without db_reset");
	if (db->dialect == DB_SQLITE)
		r = db__sq_bind(st, idx, kind, i, p, n);
	else
		r = db__pg_bind(st, idx, kind, i, p, n);
	if (r == 0)
		st->bound |= 1ULL << (idx - 1);
	return r;
}

int
db_bind_null(struct db_stmt *st, int idx)
{
	return bind(st, idx, DB__P_NULL, 0, NULL, 0);
}

int
db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return bind(st, idx, DB__P_INT64, v, NULL, 0);
}

int
db_bind_bool(struct db_stmt *st, int idx, int v)
{
	return bind(st, idx, DB__P_BOOL, v != 0, NULL, 0);
}

int
db_bind_text(struct db_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return db_bind_null(st, idx);
	return bind(st, idx, DB__P_TEXT, 0, s, strlen(s));
}

int
db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
	if (p == NULL)
		return db_bind_null(st, idx);
	return bind(st, idx, DB__P_BLOB, 0, p, n);
}

int
db_step(struct db_stmt *st)
{
	struct db *db = st->db;
	int i, r;

	/* Finished or failed: the same answer until db_reset. */
	if (st->state == DB__ST_DONE)
		return st->step_err != 0 ? st->step_err : DB_DONE;
	if (st->state == DB__ST_READY) {
		db__clear_err(db);
		for (i = 1; i <= st->nparams; i++)
			if (!(st->bound & (1ULL << (i - 1))))
				return db__err(db, DB_ERR_PARAM,
				    "parameter $%d is not bound", i);
	}
	st->col_err = 0;
	if (db->dialect == DB_SQLITE)
		r = db__sq_step(st);
	else
		r = db__pg_step(st);
	if (r == DB_ROW) {
		st->state = DB__ST_ROW;
	} else {
		st->state = DB__ST_DONE;
		st->step_err = r < 0 ? r : 0;
	}
	return r;
}

int
db_stmt_exec(struct db_stmt *st)
{
	int r;

	while ((r = db_step(st)) == DB_ROW)
		;
	return r;
}

int64_t
db_stmt_changes(const struct db_stmt *st)
{
	return st->changes;
}

void
db_reset(struct db_stmt *st)
{
	if (st->db->dialect == DB_SQLITE)
		db__sq_reset(st);
	else
		db__pg_reset(st);
	st->bound = 0;
	st->step_err = 0;
	st->state = DB__ST_READY;
	st->col_err = 0;
	st->changes = 0;
}

/* --- Getters ---------------------------------------------------------------- */

int
db_column_count(const struct db_stmt *st)
{
	if (st->state != DB__ST_ROW)
		return 0;
	if (st->db->dialect == DB_SQLITE)
		return db__sq_column_count(st);
	return db__pg_column_count(st);
}

static int
col_ok(struct db_stmt *st, int col)
{
	if (st->state != DB__ST_ROW || col < 0 || col >= db_column_count(st)) {
		if (st->col_err == 0)
			st->col_err = DB_ERR_COLUMN;
		return 0;
	}
	return 1;
}

const char *
db_column_name(struct db_stmt *st, int col)
{
	if (!col_ok(st, col))
		return NULL;
	if (st->db->dialect == DB_SQLITE)
		return db__sq_column_name(st, col);
	return db__pg_column_name(st, col);
}

int
db_column_is_null(struct db_stmt *st, int col)
{
	if (!col_ok(st, col))
		return 1;
	if (st->db->dialect == DB_SQLITE)
		return db__sq_is_null(st, col);
	return db__pg_is_null(st, col);
}

const char *
db_column_text(struct db_stmt *st, int col)
{
	if (db_column_is_null(st, col))
		return NULL;
	if (st->db->dialect == DB_SQLITE)
		return db__sq_text(st, col);
	return db__pg_text(st, col);
}

int64_t
db_column_int64(struct db_stmt *st, int col)
{
	int64_t v = 0;
	int r;

	if (db_column_is_null(st, col))
		return 0;
	if (st->db->dialect == DB_SQLITE)
		r = db__sq_int64(st, col, &v);
	else
		r = db__pg_int64(st, col, &v);
	if (r != 0) {
		if (st->col_err == 0)
			st->col_err = r;
		return 0;
	}
	return v;
}

int
db_column_bool(struct db_stmt *st, int col)
{
	const char *s;

	if (db_column_is_null(st, col))
		return 0;
	/* PostgreSQL booleans come back as text "t"/"f"; SQLite stores 0/1. */
	if (st->db->dialect == DB_POSTGRES) {
		s = db__pg_text(st, col);
		if (strcmp(s, "t") == 0 || strcmp(s, "true") == 0)
			return 1;
		if (strcmp(s, "f") == 0 || strcmp(s, "false") == 0)
			return 0;
	}
	return db_column_int64(st, col) != 0;
}

const void *
db_column_blob(struct db_stmt *st, int col, size_t *len)
{
	const void *p;

	*len = 0;
	if (db_column_is_null(st, col))
		return NULL;
	if (st->db->dialect == DB_SQLITE)
		p = db__sq_blob(st, col, len);
	else
		p = db__pg_blob(st, col, len);
	if (p == NULL && st->col_err == 0)
		st->col_err = DB_ERR_TYPE;
	return p;
}

int
db_column_check(struct db_stmt *st)
{
	int r = st->col_err;

	st->col_err = 0;
	return r;
}

/* --- Transactions ------------------------------------------------------------ */

int
db_begin(struct db *db)
{
	char sql[64];
	int r;

	if (db->txn_depth == 0) {
		if (db->dialect == DB_SQLITE && db->txlock == DB_TXLOCK_IMMEDIATE)
			r = db_exec(db, "BEGIN IMMEDIATE");
		else if (db->dialect == DB_SQLITE &&
		    db->txlock == DB_TXLOCK_EXCLUSIVE)
			r = db_exec(db, "BEGIN EXCLUSIVE");
		else
			r = db_exec(db, "BEGIN");
	} else {
		snprintf(sql, sizeof(sql), "SAVEPOINT ponton_sp%d",
		    db->txn_depth);
		r = db_exec(db, sql);
	}
	if (r == 0)
		db->txn_depth++;
	return r;
}

int
db_commit(struct db *db)
{
	char sql[64];
	int r;

	if (db->txn_depth == 0)
		return db__err(db, DB_ERR_TXN, "commit with no transaction");
	if (db->txn_depth == 1) {
		r = db_exec(db, "COMMIT");
	} else {
		snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT ponton_sp%d",
		    db->txn_depth - 1);
		r = db_exec(db, sql);
	}
	/*
	 * A failed COMMIT (e.g. a deferred foreign key) ends the transaction
	 * on PostgreSQL; on SQLite it may stay open, so roll it back to keep
	 * the depth honest.
	 */
	if (r != 0 && db->txn_depth == 1 && db->dialect == DB_SQLITE)
		(void)db__sq_exec(db, "ROLLBACK");
	db->txn_depth--;
	return r;
}

int
db_rollback(struct db *db)
{
	char sql[128];
	char saved[DB_ERRMSG_MAX];
	int r;

	if (db->txn_depth == 0)
		return db__err(db, DB_ERR_TXN, "rollback with no transaction");
	/* Keep the error that caused the rollback for the caller to log. */
	memcpy(saved, db->errmsg, sizeof(saved));
	if (db->txn_depth == 1) {
		r = db_exec(db, "ROLLBACK");
	} else {
		snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT ponton_sp%d; "
		    "RELEASE SAVEPOINT ponton_sp%d", db->txn_depth - 1,
		    db->txn_depth - 1);
		r = db_exec(db, sql);
	}
	db->txn_depth--;
	if (r == 0)
		memcpy(db->errmsg, saved, sizeof(saved));
	return r;
}

int
db_txn(struct db *db, int (*fn)(struct db *, void *), void *arg)
{
	int r;

	if ((r = db_begin(db)) != 0)
		return r;
	r = fn(db, arg);
	if (r != 0) {
		(void)db_rollback(db);
		return r;
	}
	return db_commit(db);
}

int
db_in_txn(const struct db *db)
{
	return db->txn_depth > 0;
}

/* --- Catalog ----------------------------------------------------------------- */

static int
query_exists(struct db *db, const char *sql, const char *a, const char *b,
    int *exists)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, sql, &st)) != 0)
		return r;
	if ((r = db_bind_text(st, 1, a)) != 0)
		goto out;
	if (b != NULL && (r = db_bind_text(st, 2, b)) != 0)
		goto out;
	r = db_step(st);
	if (r == DB_ROW) {
		*exists = db_column_bool(st, 0);
		r = db_column_check(st);
	} else if (r == DB_DONE) {
		r = db__err(db, DB_ERR_INTERNAL, "EXISTS query gave no row");
	}
out:
	db_stmt_free(st);
	return r;
}

int
db_table_exists(struct db *db, const char *table, int *exists)
{
	/*
	 * Like upstream: on PostgreSQL any schema counts, which is what the
	 * foreign-table guard wants (Synapse may use a non-public schema).
	 */
	if (db->dialect == DB_SQLITE)
		return query_exists(db, "SELECT EXISTS(SELECT 1 FROM sqlite_master"
		    " WHERE type='table' AND tbl_name=$1)", table, NULL, exists);
	return query_exists(db, "SELECT EXISTS(SELECT 1 FROM "
	    "information_schema.tables WHERE table_name=$1)", table, NULL,
	    exists);
}

int
db_column_exists(struct db *db, const char *table, const char *column,
    int *exists)
{
	if (db->dialect == DB_SQLITE)
		return query_exists(db, "SELECT EXISTS(SELECT 1 FROM "
		    "pragma_table_info($1) WHERE name=$2)", table, column, exists);
	return query_exists(db, "SELECT EXISTS(SELECT 1 FROM "
	    "information_schema.columns WHERE table_name=$1 AND "
	    "column_name=$2)", table, column, exists);
}
