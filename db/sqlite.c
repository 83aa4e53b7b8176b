/*
 * sqlite.c: the SQLite backend (libsqlite3).
 *
 * Opens a path or a file: URI the way mautrix's go-sqlite3 drivers
 * ("sqlite3-fk-wal", "sqlite3-fk-wal-fullsync", "litestream") do: the
 * driver's own _parameters are consumed here (_txlock, _busy_timeout), other
 * _parameters are ignored with a debug line, plain parameters (mode=ro,
 * cache=shared, vfs=...) are handed to SQLite's URI parser.  As go-sqlite3
 * does, a query string on a plain path (not file:) is read and then dropped.
 * Then, on every connection: foreign_keys=ON, journal_mode=WAL, a busy
 * timeout and the synchronous level of the driver type.
 *
 * Does not: share the connection between threads (opened NOMUTEX), accept
 * `?`, `:name` or `$name` placeholders (only $1..$N, so one SQL text serves
 * both backends), or run several statements in one prepared statement.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "db/db_int.h"
#include "util/log.h"
#include "util/mem.h"

/* Longest URI we parse: far above any real path, keeps the parse bounded. */
#define SQ_URI_MAX 4096
/* go-sqlite3 takes milliseconds; an hour is already absurd. */
#define SQ_BUSY_TIMEOUT_MAX 3600000

static int
map_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return DB_ERR_CONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_ERR_BUSY;
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return DB_ERR_CONNECT;
	case SQLITE_TOOBIG:
		return DB_ERR_TOO_BIG;
	}
	return DB_ERR_QUERY;
}

static int
sq_err(struct db *db, int rc, const char *what)
{
	return db__err(db, map_code(rc), "sqlite: %s: %s", what,
	    db->sq != NULL ? sqlite3_errmsg(db->sq) : sqlite3_errstr(rc));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string; NULL if malformed or has NUL. */
static char *
pct_decode(const char *s, size_t n)
{
	char *o = u_malloc(n + 1);
	size_t i, j = 0;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				free(o);
				return NULL;
			}
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				free(o);
				return NULL;
			}
			o[j++] = (char)(h << 4 | l);
			i += 2;
		} else if (s[i] == '+') {
			o[j++] = ' ';
		} else {
			o[j++] = s[i];
		}
	}
	o[j] = '\0';
	return o;
}

struct sq_params {
	int	busy_timeout;
	char	*sqlite_uri;	/* owned: what sqlite3_open_v2 gets */
};

/* One go-sqlite3 driver parameter; returns 0 or DB_ERR_URI. */
static int
driver_param(struct db *db, struct sq_params *sp, const char *k, const char *v)
{
	char *end;
	long n;

	if (strcmp(k, "_txlock") == 0) {
		if (strcmp(v, "immediate") == 0)
			db->txlock = DB_TXLOCK_IMMEDIATE;
		else if (strcmp(v, "exclusive") == 0)
			db->txlock = DB_TXLOCK_EXCLUSIVE;
		else if (strcmp(v, "deferred") == 0)
			db->txlock = DB_TXLOCK_DEFERRED;
		else
			return db__err(db, DB_ERR_URI, "sqlite: invalid _txlock "
			    "'%.32s' (immediate, deferred or exclusive)", v);
	} else if (strcmp(k, "_busy_timeout") == 0 ||
	    strcmp(k, "_timeout") == 0) {
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 0 ||
		    n > SQ_BUSY_TIMEOUT_MAX)
			return db__err(db, DB_ERR_URI, "sqlite: invalid %s "
			    "'%.32s' (milliseconds)", k, v);
		sp->busy_timeout = (int)n;
	} else if (strcmp(k, "_foreign_keys") == 0 || strcmp(k, "_fk") == 0 ||
	    strcmp(k, "_journal_mode") == 0 || strcmp(k, "_journal") == 0) {
		log_debug("database: sqlite: ignoring %s=%s: foreign keys and "
		    "WAL are always on", k, v);
	} else {
		log_debug("database: sqlite: ignoring unknown URI parameter %s",
		    k);
	}
	return 0;
}

static int
parse_uri(struct db *db, const char *uri, struct sq_params *sp)
{
	const char *q, *p, *amp, *eq;
	size_t baselen, klen;
	char *k = NULL, *v = NULL, *out = NULL;
	size_t outlen, outcap;
	int is_file, r = DB_ERR_URI, nkeep = 0;

	if (strlen(uri) > SQ_URI_MAX)
		return db__err(db, DB_ERR_URI, "sqlite: URI longer than %d bytes",
		    SQ_URI_MAX);
	is_file = strncmp(uri, "file:", 5) == 0;
	q = strchr(uri, '?');
	/* go-sqlite3 only reads a query string that is not at position 0. */
	if (q == uri)
		q = NULL;
	baselen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (baselen == 0 || (is_file && baselen == 5))
		return db__err(db, DB_ERR_URI, "sqlite: empty database path");
	outcap = strlen(uri) + 1;
	out = u_malloc(outcap);
	memcpy(out, uri, baselen);
	outlen = baselen;
	for (p = q != NULL ? q + 1 : NULL; p != NULL && *p != '\0'; p = amp) {
		amp = strchr(p, '&');
		klen = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (amp != NULL)
			amp++;
		if (klen == 0)
			continue;
		eq = memchr(p, '=', klen);
		k = pct_decode(p, eq != NULL ? (size_t)(eq - p) : klen);
		v = eq != NULL ? pct_decode(eq + 1, klen - (eq + 1 - p)) :
		    u_strdup("");
		if (k == NULL || v == NULL || *k == '\0') {
			r = db__err(db, DB_ERR_URI, "sqlite: malformed URI "
			    "parameter '%.*s'", (int)(klen > 64 ? 64 : klen), p);
			goto out;
		}
		if (k[0] == '_') {
			if ((r = driver_param(db, sp, k, v)) != 0)
				goto out;
		} else if (is_file) {
			/* SQLite's own (mode, cache, vfs, immutable...). */
			out[outlen++] = nkeep++ == 0 ? '?' : '&';
			memcpy(out + outlen, p, klen);
			outlen += klen;
		} else {
			log_debug("database: sqlite: ignoring parameter %s on a "
			    "plain path (use a file: URI)", k);
		}
		free(k);
		free(v);
		k = v = NULL;
	}
	out[outlen] = '\0';
	sp->sqlite_uri = out;
	out = NULL;
	r = 0;
out:
	free(k);
	free(v);
	free(out);
	return r;
}

static int
pragma_text(struct db *db, const char *sql, char *buf, size_t bufsz)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc;

	buf[0] = '\0';
	rc = sqlite3_prepare_v2(db->sq, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_err(db, rc, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		snprintf(buf, bufsz, "%s", t != NULL ? (const char *)t : "");
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		rc = sq_err(db, rc, sql);
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db__sq_parse_uri(const char *uri, char **sqlite_uri, int *txlock,
    int *busy_timeout, char *err, size_t errsz)
{
	struct sq_params sp = { .busy_timeout = DB_SQLITE_BUSY_TIMEOUT_DEFAULT };
	struct db *db = u_calloc(1, sizeof(*db));
	int r;

	db->dialect = DB_SQLITE;
	if ((r = parse_uri(db, uri, &sp)) == 0) {
		*sqlite_uri = sp.sqlite_uri;
		*txlock = (int)db->txlock;
		*busy_timeout = sp.busy_timeout;
	}
	if (errsz > 0)
		snprintf(err, errsz, "%s", db->errmsg);
	free(db);
	return r;
}

int
db__sq_open(struct db *db, const char *type, const char *uri)
{
	struct sq_params sp = { .busy_timeout = DB_SQLITE_BUSY_TIMEOUT_DEFAULT };
	char val[64];
	int rc, r;

	if ((r = parse_uri(db, uri, &sp)) != 0)
		goto out;
	rc = sqlite3_open_v2(sp.sqlite_uri, &db->sq, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		db__err(db, DB_ERR_CONNECT, "sqlite: cannot open %s: %s",
		    sp.sqlite_uri, db->sq != NULL ? sqlite3_errmsg(db->sq) :
		    sqlite3_errstr(rc));
		r = DB_ERR_CONNECT;
		goto out;
	}
	sqlite3_extended_result_codes(db->sq, 1);
	sqlite3_busy_timeout(db->sq, sp.busy_timeout);
	/*
	 * The same pragmas mautrix's driver hooks run.  journal_mode is the
	 * first statement that reads the file, so a file that is not a
	 * database fails here with a clear message.
	 */
	if ((r = db__sq_exec(db, "PRAGMA foreign_keys = ON")) != 0)
		goto out;
	if (pragma_text(db, "PRAGMA journal_mode = WAL", val,
	    sizeof(val)) != 0) {
		r = DB_ERR_CONNECT;
		goto out;
	}
	if (strcasecmp(val, "wal") != 0)
		log_debug("database: sqlite: journal_mode is %s, not wal "
		    "(in-memory or read-only database)", val);
	if (strcmp(type, "sqlite3-fk-wal-fullsync") == 0)
		r = db__sq_exec(db, "PRAGMA synchronous = FULL");
	else
		r = db__sq_exec(db, "PRAGMA synchronous = NORMAL");
	if (r != 0)
		goto out;
	if (strcmp(type, "litestream") == 0) {
		/* Litestream does the checkpointing and needs the WAL kept. */
		int one = 1;

		sqlite3_file_control(db->sq, "main", SQLITE_FCNTL_PERSIST_WAL,
		    &one);
		if ((r = db__sq_exec(db, "PRAGMA wal_autocheckpoint = 0")) != 0)
			goto out;
	}
	if ((r = pragma_text(db, "PRAGMA foreign_keys", val, sizeof(val))) != 0)
		goto out;
	if (strcmp(val, "1") != 0) {
		r = db__err(db, DB_ERR_CONNECT, "sqlite: foreign keys cannot be "
		    "enabled (SQLite built without them?)");
		goto out;
	}
	log_debug("database: sqlite: opened %s (txlock %d, busy timeout %d ms)",
	    sp.sqlite_uri, (int)db->txlock, sp.busy_timeout);
	r = 0;
out:
	free(sp.sqlite_uri);
	return r;
}

void
db__sq_close(struct db *db)
{
	if (db->sq != NULL && sqlite3_close(db->sq) != SQLITE_OK)
		log_warnx("database: sqlite: close failed: %s",
		    sqlite3_errmsg(db->sq));
	db->sq = NULL;
}

int
db__sq_exec(struct db *db, const char *sql)
{
	int rc;

	rc = sqlite3_exec(db->sq, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_err(db, rc, "exec");
	return 0;
}

/* "$N" with N in 1..DB_MAX_PARAMS, no leading zero; else 0. */
static int
param_number(const char *name)
{
	int n = 0;

	if (name == NULL || name[0] != '$' || name[1] < '1' || name[1] > '9')
		return 0;
	for (name++; *name != '\0'; name++) {
		if (!isdigit((unsigned char)*name))
			return 0;
		n = n * 10 + (*name - '0');
		if (n > DB_MAX_PARAMS)
			return 0;
	}
	return n;
}

int
db__sq_prepare(struct db_stmt *st, const char *sql)
{
	struct db *db = st->db;
	sqlite3_stmt *extra = NULL;
	const char *tail = NULL, *name;
	uint64_t seen = 0;
	int rc, i, n, count;

	rc = sqlite3_prepare_v2(db->sq, sql, -1, &st->sq, &tail);
	if (rc != SQLITE_OK)
		return sq_err(db, rc, "prepare");
	if (st->sq == NULL)
		return db__err(db, DB_ERR_QUERY, "sqlite: empty statement");
	if (tail != NULL && *tail != '\0') {
		rc = sqlite3_prepare_v2(db->sq, tail, -1, &extra, NULL);
		if (extra != NULL || rc != SQLITE_OK) {
			sqlite3_finalize(extra);
			return db__err(db, DB_ERR_QUERY, "sqlite: more than one "
			    "statement in a prepared statement");
		}
	}
	count = sqlite3_bind_parameter_count(st->sq);
	for (i = 1; i <= count; i++) {
		name = sqlite3_bind_parameter_name(st->sq, i);
		if ((n = param_number(name)) == 0)
			return db__err(db, DB_ERR_PARAM, "placeholder '%.16s' "
			    "is not $1..$%d", name != NULL ? name : "?",
			    DB_MAX_PARAMS);
		seen |= 1ULL << (n - 1);
		if (n > st->nparams)
			st->nparams = n;
	}
	for (i = 1; i <= st->nparams; i++)
		if (!(seen & (1ULL << (i - 1))))
			return db__err(db, DB_ERR_PARAM, "placeholder $%d is "
			    "missing but $%d is used", i, st->nparams);
	return 0;
}

void
db__sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(st->sq);
	st->sq = NULL;
}

int
db__sq_bind(struct db_stmt *st, int idx, int kind, int64_t i, const void *p,
    size_t n)
{
	char name[16];
	int pi, rc = SQLITE_MISUSE;

	snprintf(name, sizeof(name), "$%d", idx);
	pi = sqlite3_bind_parameter_index(st->sq, name);
	if (pi == 0)
		return db__err(st->db, DB_ERR_PARAM, "no parameter %s", name);
	switch (kind) {
	case DB__P_NULL:
		rc = sqlite3_bind_null(st->sq, pi);
		break;
	case DB__P_INT64:
	case DB__P_BOOL:
		rc = sqlite3_bind_int64(st->sq, pi, i);
		break;
	case DB__P_TEXT:
		rc = sqlite3_bind_text64(st->sq, pi, p, n, SQLITE_TRANSIENT,
		    SQLITE_UTF8);
		break;
	case DB__P_BLOB:
		rc = sqlite3_bind_blob64(st->sq, pi, p, n, SQLITE_TRANSIENT);
		break;
	}
	if (rc != SQLITE_OK)
		return sq_err(st->db, rc, "bind");
	return 0;
}

int
db__sq_step(struct db_stmt *st)
{
	int rc;

	rc = sqlite3_step(st->sq);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		st->changes = sqlite3_changes64(st->db->sq);
		return DB_DONE;
	}
	return sq_err(st->db, rc, "step");
}

void
db__sq_reset(struct db_stmt *st)
{
	sqlite3_reset(st->sq);
	sqlite3_clear_bindings(st->sq);
}

int
db__sq_column_count(const struct db_stmt *st)
{
	return sqlite3_data_count(st->sq);
}

const char *
db__sq_column_name(struct db_stmt *st, int col)
{
	return sqlite3_column_name(st->sq, col);
}

int
db__sq_is_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(st->sq, col) == SQLITE_NULL;
}

const char *
db__sq_text(struct db_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st->sq, col);

	return t != NULL ? (const char *)t : "";
}

int
db__sq_int64(struct db_stmt *st, int col, int64_t *out)
{
	const unsigned char *t;

	switch (sqlite3_column_type(st->sq, col)) {
	case SQLITE_INTEGER:
		*out = sqlite3_column_int64(st->sq, col);
		return 0;
	case SQLITE_FLOAT:
		*out = (int64_t)sqlite3_column_double(st->sq, col);
		return 0;
	case SQLITE_TEXT:
		t = sqlite3_column_text(st->sq, col);
		return db__parse_int64((const char *)t,
		    (size_t)sqlite3_column_bytes(st->sq, col), out);
	}
	return DB_ERR_TYPE;
}

const void *
db__sq_blob(struct db_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(st->sq, col);
	int n = sqlite3_column_bytes(st->sq, col);

	*len = n > 0 ? (size_t)n : 0;
	/* A zero-length blob comes back as a NULL pointer. */
	return p != NULL ? p : "";
}
