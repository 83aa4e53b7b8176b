/*
 * db.h: the storage interface.  One API, two backends: SQLite (libsqlite3)
 * and PostgreSQL (libpq), chosen by the config's database.type.
 *
 * What it does: opens a database from mautrix-style type + URI, runs the
 * embedded schema migrations (db_upgrade), and gives callers prepared
 * statements with typed parameters, row iteration with typed getters and
 * transactions.  SQL is written once with $1-style placeholders, which both
 * engines accept; callers that need dialect-specific SQL ask db_dialect().
 *
 * What it does not do: no SQL is ever built by concatenating data; no
 * connection pool (ponton has one thread and one connection; the config's
 * max_open_conns is only a hint); nothing asynchronous (calls are short and
 * synchronous, which style.md allows for db/).
 *
 * Invariants:
 *  - Every SQLite connection runs with foreign_keys=ON, journal_mode=WAL and
 *    a busy timeout; every PostgreSQL connection has a connect timeout.
 *  - Errors are DB_ERR_* codes (-100..-199); the engine's own message for the
 *    last failure is kept in the handle (db_errmsg), so a caller can log one
 *    line naming the cause.
 *  - The schema written is mautrix-whatsapp's (bridgev2 core, whatsmeow), with
 *    the same version tables and database_owner row, so a database can be
 *    handed from one program to the other.  docs/database.md has the details.
 *
 * Not thread-safe: one thread, like the rest of ponton.
 */
#ifndef PONTON_DB_DB_H
#define PONTON_DB_DB_H

#include <stddef.h>
#include <stdint.h>

enum {
	DB_ERR_INTERNAL = -100,		/* our bug */
	DB_ERR_URI = -101,		/* malformed type, URI or URI parameter */
	DB_ERR_CONNECT = -102,		/* cannot open the file / reach the server */
	DB_ERR_QUERY = -103,		/* the engine rejected or failed a statement */
	DB_ERR_CONSTRAINT = -104,	/* unique, foreign key, check, not null */
	DB_ERR_BUSY = -105,		/* locked past the busy timeout */
	DB_ERR_PARAM = -106,		/* bad placeholder index, unbound parameter */
	DB_ERR_COLUMN = -107,		/* column index out of range, no current row */
	DB_ERR_TYPE = -108,		/* value not convertible to the asked type */
	DB_ERR_TXN = -109,		/* commit/rollback with no transaction open */
	DB_ERR_NOT_OWNED = -110,	/* database_owner names another program */
	DB_ERR_FOREIGN_TABLES = -111,	/* Synapse or Dendrite tables found */
	DB_ERR_UNSUPPORTED_VERSION = -112, /* schema newer than ponton knows */
	DB_ERR_MIGRATION = -113,	/* a migration failed or cannot be applied */
	DB_ERR_TOO_BIG = -114,		/* a value passed a named limit */
};

const char *db_strerror(int code);
/* Registers db_strerror with u_strerror; db_open does it too. */
void db_init(void);

enum db_dialect {
	DB_SQLITE = 1,
	DB_POSTGRES = 2,
};

/* What mautrix-whatsapp writes into database_owner. */
#define DB_OWNER_DEFAULT "megabridge/mautrix-whatsapp"

struct db_open_opts {
	int		 ignore_unsupported;	/* --ignore-unsupported-database */
	int		 ignore_foreign_tables;	/* --ignore-foreign-tables */
	int		 max_open_conns;	/* hint only; logged, not used */
	const char	*owner;		/* borrowed; NULL: DB_OWNER_DEFAULT */
	/* PostgreSQL connect timeout in seconds when the URI sets none;
	 * 0: DB_PG_CONNECT_TIMEOUT_DEFAULT. */
	int		 connect_timeout;
};

#define DB_PG_CONNECT_TIMEOUT_DEFAULT 10
/* SQLite busy timeout when the URI sets none (upstream uses 5000 too). */
#define DB_SQLITE_BUSY_TIMEOUT_DEFAULT 5000

struct db;
struct db_stmt;

/*
 * Open a database.  type: "sqlite3-fk-wal", "sqlite3-fk-wal-fullsync",
 * "litestream" (all SQLite), "postgres" or "postgresql".  uri: for SQLite a
 * path or a file: URI with go-sqlite3 style parameters (_txlock=immediate|
 * deferred|exclusive, _busy_timeout/_timeout=ms; other _params are ignored
 * with a debug line; plain params such as mode=ro go to SQLite); for
 * PostgreSQL a postgres:// or postgresql:// URI or a key=value string.
 * opts may be NULL (all defaults).  On success *out is an owned handle for
 * db_close.  Errors: DB_ERR_URI, DB_ERR_CONNECT, DB_ERR_QUERY (then
 * db_open_errmsg() returns the reason).
 */
int db_open(struct db **out, const char *type, const char *uri,
    const struct db_open_opts *opts);
/* Why the last failed db_open failed; borrowed, "" if none. */
const char *db_open_errmsg(void);
/*
 * NULL is a no-op.  Statements should be freed first; one still prepared is
 * a caller bug: it is logged and freed here, and its pointer is dead.
 */
void db_close(struct db *db);

/*
 * Bring every schema section up to date, in order: bridgev2 core ("version",
 * with the database_owner and foreign-table guards), the Matrix state store
 * ("mx_version"), whatsmeow ("whatsmeow_version"), mautrix-whatsapp's
 * connector tables ("whatsapp_version").  A fresh database gets each
 * section's latest schema in one step; an older one is upgraded step by
 * step, each step in a transaction.  Must not be called inside a
 * transaction (DB_ERR_TXN).  Errors: DB_ERR_NOT_OWNED, DB_ERR_FOREIGN_TABLES,
 * DB_ERR_UNSUPPORTED_VERSION, DB_ERR_MIGRATION, or an engine error; the
 * text of db_errmsg() names the cause and the flag that overrides it.
 */
int db_upgrade(struct db *db);

enum db_dialect db_dialect(const struct db *db);
/* Last error text on this handle ("" if none); borrowed until the next call. */
const char *db_errmsg(const struct db *db);

/*
 * Run one or more statements without parameters (schema, PRAGMA), never
 * with data in the text.  On PostgreSQL it also drops the statement-shape
 * cache, as DDL may change parameter types.
 */
int db_exec(struct db *db, const char *sql);

/*
 * Prepared statements.  Placeholders are $1..$N (DB_MAX_PARAMS at most) in
 * both dialects; `?`, `:name` and `$name` are refused with DB_ERR_PARAM.
 * Every placeholder must be bound before the first db_step.  Bound text and
 * blobs are copied.  db_prepare returns an owned statement (db_stmt_free).
 */
#define DB_MAX_PARAMS 64
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
void db_stmt_free(struct db_stmt *st);

/*
 * idx is 1-based: idx 1 binds $1.  s == NULL / p == NULL bind NULL.
 * bool is 0/1 on SQLite, a boolean on PostgreSQL (1/0 for an integer
 * parameter).  Text bound to a PostgreSQL bytea parameter is its bytes.
 * Errors: DB_ERR_PARAM (no such $idx, or bound after a step without
 * db_reset).
 */
int db_bind_null(struct db_stmt *st, int idx);
int db_bind_int64(struct db_stmt *st, int idx, int64_t v);
int db_bind_bool(struct db_stmt *st, int idx, int v);
int db_bind_text(struct db_stmt *st, int idx, const char *s);
int db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n);

/*
 * Returns DB_ROW (a row is available), DB_DONE, or a negative error.  After
 * DB_DONE or an error, further calls return the same until db_reset.
 */
#define DB_ROW 1
#define DB_DONE 0
int db_step(struct db_stmt *st);
/* Step until DB_DONE; returns 0 or an error (rows are discarded). */
int db_stmt_exec(struct db_stmt *st);
/* Rows changed by the last completed INSERT/UPDATE/DELETE. */
int64_t db_stmt_changes(const struct db_stmt *st);
/* Forget the result and every binding; the statement can be bound again. */
void db_reset(struct db_stmt *st);

/*
 * Column getters on the current row, col is 0-based.  Values borrowed from
 * the statement stay valid until the next db_step/db_reset/db_stmt_free.
 * Getters on NULL: text/blob give NULL (len 0), int64/bool give 0; use
 * db_column_is_null to tell.  A value that does not convert (e.g. "abc" as
 * int64) gives 0 and db_column_check() then reports DB_ERR_TYPE.  Read
 * booleans with db_column_bool (text is "t"/"f" on PostgreSQL, "1"/"0" on
 * SQLite) and bytea/BLOB with db_column_blob.
 */
int db_column_count(const struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int col);
int db_column_is_null(struct db_stmt *st, int col);
const char *db_column_text(struct db_stmt *st, int col);
int64_t db_column_int64(struct db_stmt *st, int col);
int db_column_bool(struct db_stmt *st, int col);
const void *db_column_blob(struct db_stmt *st, int col, size_t *len);
/* 0, or the first DB_ERR_COLUMN / DB_ERR_TYPE since the last step; clears it. */
int db_column_check(struct db_stmt *st);

/*
 * Transactions.  db_begin nests with savepoints, so a helper may open its
 * own transaction inside a caller's.  SQLite uses BEGIN IMMEDIATE when the
 * URI says _txlock=immediate.  db_txn runs fn(db, arg) inside a transaction
 * and commits if it returns 0, else rolls back and returns fn's code.
 */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
int db_txn(struct db *db, int (*fn)(struct db *db, void *arg), void *arg);
int db_in_txn(const struct db *db);

/* Catalog helpers (used by the migration runner and tests). */
int db_table_exists(struct db *db, const char *table, int *exists);
int db_column_exists(struct db *db, const char *table, const char *column,
    int *exists);

#endif
