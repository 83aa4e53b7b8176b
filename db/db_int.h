/*
 * db_int.h: what the db/ files share and nobody else sees: the handle and
 * statement structs, and the per-backend entry points db.c dispatches to.
 *
 * db.c owns the generic parts (open dispatch, errors, transactions,
 * statement bookkeeping); sqlite.c and pg.c are the two backends;
 * migrate.c runs the embedded schema files.
 */
#ifndef PONTON_DB_DB_INT_H
#define PONTON_DB_DB_INT_H

#include <stdint.h>

#include "db/db.h"

struct sqlite3;
struct sqlite3_stmt;
struct pg_conn;
struct pg_result;

/* SQLite BEGIN flavour, from go-sqlite3's _txlock URI parameter. */
enum db_txlock {
	DB_TXLOCK_DEFERRED,
	DB_TXLOCK_IMMEDIATE,
	DB_TXLOCK_EXCLUSIVE,
};

#define DB_ERRMSG_MAX 512

struct db {
	enum db_dialect		 dialect;
	char			 errmsg[DB_ERRMSG_MAX];
	struct db_open_opts	 opts;		/* owner copied below */
	char			*owner;		/* owned */
	int			 txn_depth;	/* 0: none; >1: savepoints */
	struct db_stmt		*stmts;		/* borrowed list, for db_close */

	/* SQLite */
	struct sqlite3		*sq;		/* owned */
	enum db_txlock		 txlock;

	/* PostgreSQL */
	struct pg_conn		*pg;		/* owned (PGconn) */
	struct db_pg_shape	*shapes;	/* owned, DB_PG_SHAPES entries */
	uint64_t		 shape_clock;
	uint64_t		 pg_describes;	/* server round trips (tests) */
};

/*
 * PostgreSQL statement cache: what the server told us about an SQL text
 * (parameter count and types), so preparing it again costs no round trip.
 */
#define DB_PG_SHAPES 64
struct db_pg_shape {
	char		*sql;		/* owned; NULL: free slot */
	int		 nparams;
	unsigned int	 types[DB_MAX_PARAMS];
	uint64_t	 used;		/* shape_clock at last use, for LRU */
};
/* Forget every cached shape (after DDL through db_exec). */
void db__pg_shapes_clear(struct db *db);

/* One bound parameter, kept for PostgreSQL (SQLite binds at once). */
struct db_param {
	int		 set;
	int		 is_null;
	int		 binary;	/* send in binary format (bytea) */
	char		*val;		/* owned; text or raw bytes */
	size_t		 len;
};

struct db_stmt {
	struct db		*db;		/* borrowed */
	struct db_stmt		*next, **prevp;	/* in db->stmts */
	int			 nparams;
	uint64_t		 bound;		/* bit i-1: $i bound (SQLite) */
	int			 state;		/* ST_* in db.c */
	int			 col_err;	/* first getter error since step */
	int			 step_err;	/* the failed step's code, kept */
	int64_t			 changes;

	/* SQLite */
	struct sqlite3_stmt	*sq;		/* owned */

	/* PostgreSQL */
	char			*sql;		/* owned, sent at each execution */
	unsigned int		*ptypes;	/* owned, nparams OIDs */
	struct db_param		*params;	/* owned, nparams */
	struct pg_result	*res;		/* owned (PGresult) */
	int			 row;		/* current row in res */
	int			 nrows;
	void			**blobs;	/* owned, per column: decoded bytea */
	int			 nblobs;
};

enum {
	DB__ST_READY,		/* bound or binding, not executed */
	DB__ST_ROW,		/* positioned on a row */
	DB__ST_DONE,		/* finished; db_reset to run again */
};

/* Formats into db->errmsg and returns code (for `return db__err(...)`). */
int db__err(struct db *db, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void db__clear_err(struct db *db);
/* Sets the db_open_errmsg() text. */
void db__open_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sqlite.c */
int db__sq_open(struct db *db, const char *type, const char *uri);
void db__sq_close(struct db *db);
int db__sq_exec(struct db *db, const char *sql);
int db__sq_prepare(struct db_stmt *st, const char *sql);
void db__sq_finalize(struct db_stmt *st);
int db__sq_bind(struct db_stmt *st, int idx, int kind, int64_t i,
    const void *p, size_t n);
int db__sq_step(struct db_stmt *st);
void db__sq_reset(struct db_stmt *st);
int db__sq_column_count(const struct db_stmt *st);
const char *db__sq_column_name(struct db_stmt *st, int col);
int db__sq_is_null(struct db_stmt *st, int col);
const char *db__sq_text(struct db_stmt *st, int col);
int db__sq_int64(struct db_stmt *st, int col, int64_t *out);
const void *db__sq_blob(struct db_stmt *st, int col, size_t *len);

/* pg.c */
int db__pg_open(struct db *db, const char *uri);
void db__pg_close(struct db *db);
int db__pg_exec(struct db *db, const char *sql);
int db__pg_prepare(struct db_stmt *st, const char *sql);
void db__pg_finalize(struct db_stmt *st);
int db__pg_bind(struct db_stmt *st, int idx, int kind, int64_t i,
    const void *p, size_t n);
int db__pg_step(struct db_stmt *st);
void db__pg_reset(struct db_stmt *st);
int db__pg_column_count(const struct db_stmt *st);
const char *db__pg_column_name(struct db_stmt *st, int col);
int db__pg_is_null(struct db_stmt *st, int col);
const char *db__pg_text(struct db_stmt *st, int col);
int db__pg_int64(struct db_stmt *st, int col, int64_t *out);
const void *db__pg_blob(struct db_stmt *st, int col, size_t *len);

/* Parameter kinds for db__*_bind. */
enum {
	DB__P_NULL,
	DB__P_INT64,
	DB__P_BOOL,
	DB__P_TEXT,
	DB__P_BLOB,
};

/* migrate.c */

/* One embedded migration file (db/embed/<name>). */
struct mig_file {
	const char		*name;
	const unsigned char	*data;		/* borrowed, *len bytes */
	const unsigned long	*len;
	int			 dialect;	/* 0: both; else split file */
};

/* A schema section: a version table and its migration files. */
struct mig_section {
	const char		*name;		/* for messages */
	const char		*version_table;	/* fixed identifier */
	int			 guard;		/* owner + foreign tables */
	const struct mig_file	*files;
	size_t			 nfiles;
};

int db__migrate_all(struct db *db);
/* Bring one section up to date (db__migrate_all runs the real ones). */
int db__migrate_section(struct db *db, const struct mig_section *sec);
/* The dialect filter alone (for tests): *out is an owned string. */
int db__mig_filter(const char *body, size_t len, int dialect, char **out);

/*
 * The URI front ends alone, with no file or server touched (unit tests and
 * test/fuzz/fuzz_db_uri.c).  db__sq_parse_uri: the go-sqlite3 style URI
 * into what sqlite3_open_v2 gets (*sqlite_uri, owned) plus the _txlock and
 * busy timeout it sets.  db__pg_rewrite_uri: the lib/pq style URI into
 * what libpq accepts (*out, owned).  Both return 0 or DB_ERR_URI and leave
 * the reason in err (errsz bytes, may be 0).
 */
int db__sq_parse_uri(const char *uri, char **sqlite_uri, int *txlock,
    int *busy_timeout, char *err, size_t errsz);
int db__pg_rewrite_uri(const char *uri, char **out, char *err, size_t errsz);

/* Strict decimal int64 parse of a whole string; 0 or DB_ERR_TYPE. */
int db__parse_int64(const char *s, size_t len, int64_t *out);

#endif
