/*
 * pg.c: the PostgreSQL backend (libpq).
 *
 * Accepts what mautrix's Go driver accepts in database.uri: postgres:// and
 * postgresql:// URIs and key=value connection strings.  A connect timeout
 * is always set (the URI's own connect_timeout wins), so an unreachable
 * server is an error after a bounded time, never a hang.
 *
 * Statements: db_prepare asks the server to parse the SQL once (an unnamed
 * prepared statement) to learn the parameter count and types and to report
 * syntax errors early, and remembers the answer per SQL text (a small LRU
 * cache, cleared by db_exec, which carries DDL).  Each execution then sends
 * the SQL with its parameters (PQexecParams), so no named statement lives
 * on the server and nothing needs cleaning up after a failed transaction or
 * a reconnect.
 * Parameters go as text, except for bytea parameters, which go in binary
 * so bytes with NULs need no escaping.  Results come back as text; bytea
 * columns are decoded from PostgreSQL's hex form by db_column_blob.
 *
 * A lost connection fails the call that meets it; the next call outside a
 * transaction reconnects (PQreset) and redoes the session settings.
 *
 * Does not: retry a failed statement (it may have run), or stream rows (a
 * result is held whole; callers page big queries with LIMIT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

/* Type OIDs from pg_type.h (stable since forever). */
#define OID_BOOL 16
#define OID_BYTEA 17

/* Longest URI we accept: far above any real conninfo. */
#define PG_URI_MAX 4096

#define CONN(db) ((PGconn *)(db)->pg)
#define RES(st) ((PGresult *)(st)->res)

/* Copy msg without libpq's trailing newline. */
static int
pg_err(struct db *db, int code, const char *what, const char *msg)
{
	size_t n = msg != NULL ? strlen(msg) : 0;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	return db__err(db, code, "postgres: %s: %.*s", what, (int)n,
	    msg != NULL ? msg : "");
}

static int
map_result(struct db *db, PGresult *res, const char *what)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : NULL;
	int code = DB_ERR_QUERY;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(CONN(db));
	if (state == NULL) {
		if (PQstatus(CONN(db)) != CONNECTION_OK)
			code = DB_ERR_CONNECT;
	} else if (strncmp(state, "23", 2) == 0) {
		code = DB_ERR_CONSTRAINT;
	} else if (strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0) {
		code = DB_ERR_BUSY;
	} else if (strncmp(state, "08", 2) == 0) {
		code = DB_ERR_CONNECT;
	}
	return pg_err(db, code, what, msg);
}

static void
notice_to_log(void *arg, const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && msg[n - 1] == '\n')
		n--;
	log_debug("database: postgres: %.*s", (int)n, msg);
}

/* What every (re)connection needs. */
static int
session_setup(struct db *db)
{
	PGresult *res;
	int r = 0;

	if (PQsetClientEncoding(CONN(db), "UTF8") != 0)
		return pg_err(db, DB_ERR_CONNECT, "client encoding",
		    PQerrorMessage(CONN(db)));
	/* db_column_blob decodes the hex form only. */
	res = PQexec(CONN(db), "SET bytea_output = 'hex'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = map_result(db, res, "SET bytea_output");
	PQclear(res);
	return r;
}

/*
 * A lost connection (server restart, idle kill) fails the call that finds
 * it; the next call outside a transaction reconnects.  Inside a transaction
 * the work is gone with the connection, so the caller must roll back first.
 * Safe because no named statement lives on the server (see the top).
 */
static int
ensure_conn(struct db *db)
{
	if (PQstatus(CONN(db)) == CONNECTION_OK)
		return 0;
	if (db->txn_depth > 0)
		return db__err(db, DB_ERR_CONNECT, "postgres: connection lost "
		    "inside a transaction");
	log_info("database: postgres: connection lost; reconnecting");
	PQreset(CONN(db));
	if (PQstatus(CONN(db)) != CONNECTION_OK)
		return pg_err(db, DB_ERR_CONNECT, "reconnect",
		    PQerrorMessage(CONN(db)));
	return session_setup(db);
}

static int
hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into b; -1 if malformed or has a NUL byte. */
static int
pct_decode(struct u_buf *b, const char *s, size_t n)
{
	size_t i;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			if (u_buf_add_u8(b, (uint8_t)s[i]) != 0)
				return -1;
			continue;
		}
		if (i + 2 >= n)
			return -1;
		h = hexdig((unsigned char)s[i + 1]);
		l = hexdig((unsigned char)s[i + 2]);
		if (h < 0 || l < 0 || (h | l) == 0 ||
		    u_buf_add_u8(b, (uint8_t)(h << 4 | l)) != 0)
			return -1;
		i += 2;
	}
	return 0;
}

static int
pct_encode(struct u_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			if (u_buf_add_u8(b, c) != 0)
				return -1;
		} else if (u_buf_add_u8(b, '%') != 0 ||
		    u_buf_add_u8(b, (uint8_t)hex[c >> 4]) != 0 ||
		    u_buf_add_u8(b, (uint8_t)hex[c & 15]) != 0) {
			return -1;
		}
	}
	return 0;
}

static int
is_libpq_keyword(const PQconninfoOption *defs, const char *k)
{
	for (; defs != NULL && defs->keyword != NULL; defs++)
		if (strcmp(defs->keyword, k) == 0)
			return 1;
	return 0;
}

/*
 * lib/pq (mautrix's Go driver) sends URI parameters it does not know to the
 * server as run-time settings (?search_path=x); libpq would refuse them.
 * Rewrite such parameters into libpq's options=-c k=v, and drop the few
 * that only configure lib/pq itself.  key=value strings are left alone.
 * *out is an owned string.  Returns 0 or DB_ERR_URI.
 */
static int
rewrite_uri(struct db *db, const char *uri, char **out)
{
	static const char *pq_only[] = { "binary_parameters",
	    "disable_prepared_binary_result", "sslinline" };
	PQconninfoOption *defs = NULL;
	struct u_buf q, opts, k, v;
	const char *qm, *p, *amp, *eq;
	size_t n, i, klen;
	int r = DB_ERR_URI, skip, nq = 0;

	qm = strchr(uri, '?');
	if ((strncmp(uri, "postgres://", 11) != 0 &&
	    strncmp(uri, "postgresql://", 13) != 0) || qm == NULL) {
		*out = u_strdup(uri);
		return 0;
	}
	u_buf_init(&q, 0);
	u_buf_init(&opts, 0);
	u_buf_init(&k, 0);
	u_buf_init(&v, 0);
	defs = PQconndefaults();
	if (u_buf_add(&q, uri, (size_t)(qm - uri)) != 0)
		goto out;
	for (p = qm + 1; *p != '\0'; p = amp) {
		amp = strchr(p, '&');
		n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (amp != NULL)
			amp++;
		else
			amp = p + n;
		if (n == 0)
			continue;
		eq = memchr(p, '=', n);
		klen = eq != NULL ? (size_t)(eq - p) : n;
		u_buf_reset(&k);
		u_buf_reset(&v);
		if (pct_decode(&k, p, klen) != 0 || u_buf_add_u8(&k, 0) != 0 ||
		    (eq != NULL && pct_decode(&v, eq + 1, n - klen - 1) != 0) ||
		    u_buf_add_u8(&v, 0) != 0) {
			r = db__err(db, DB_ERR_URI, "postgres: malformed URI "
			    "parameter '%.*s'", (int)(n > 64 ? 64 : n), p);
			goto out;
		}
		if (is_libpq_keyword(defs, (const char *)k.p) &&
		    strcmp((const char *)k.p, "options") != 0) {
			if (u_buf_add_u8(&q, nq++ ? '&' : '?') != 0 ||
			    u_buf_add(&q, p, n) != 0)
				goto out;
			continue;
		}
		for (i = 0, skip = 0; i < sizeof(pq_only) / sizeof(*pq_only); i++)
			skip |= strcmp((const char *)k.p, pq_only[i]) == 0;
		if (skip) {
			log_debug("database: postgres: ignoring lib/pq-only URI "
			    "parameter %s", (const char *)k.p);
			continue;
		}
		if (opts.len > 0 && u_buf_add_u8(&opts, ' ') != 0)
			goto out;
		if (strcmp((const char *)k.p, "options") == 0) {
			/* The caller's own options go through unchanged. */
			if (u_buf_add_str(&opts, (const char *)v.p) != 0)
				goto out;
			continue;
		}
		log_debug("database: postgres: URI parameter %s sent as a "
		    "run-time setting", (const char *)k.p);
		if (u_buf_add_str(&opts, "-c ") != 0 ||
		    u_buf_add_str(&opts, (const char *)k.p) != 0 ||
		    u_buf_add_u8(&opts, '=') != 0)
			goto out;
		/* In options, a space ends an argument unless escaped. */
		for (i = 0; v.p[i] != '\0'; i++)
			if (((v.p[i] == ' ' || v.p[i] == '\\') &&
			    u_buf_add_u8(&opts, '\\') != 0) ||
			    u_buf_add_u8(&opts, v.p[i]) != 0)
				goto out;
	}
	if (opts.len > 0) {
		if (u_buf_add_u8(&opts, 0) != 0 ||
		    u_buf_add_str(&q, nq++ ? "&options=" : "?options=") != 0 ||
		    pct_encode(&q, (const char *)opts.p) != 0)
			goto out;
	}
	if (u_buf_add_u8(&q, 0) != 0)
		goto out;
	*out = (char *)u_buf_steal(&q, NULL);
	r = 0;
out:
	if (r == DB_ERR_URI && db->errmsg[0] == '\0')
		db__err(db, r, "postgres: URI too long");
	PQconninfoFree(defs);
	u_buf_free(&q);
	u_buf_free(&opts);
	u_buf_free(&k);
	u_buf_free(&v);
	return r;
}

int
db__pg_rewrite_uri(const char *uri, char **out, char *err, size_t errsz)
{
	struct db *db = u_calloc(1, sizeof(*db));
	int r;

	db->dialect = DB_POSTGRES;
	r = rewrite_uri(db, uri, out);
	if (errsz > 0)
		snprintf(err, errsz, "%s", db->errmsg);
	free(db);
	return r;
}

int
db__pg_open(struct db *db, const char *uri)
{
	const char *kw[4], *val[4];
	PQconninfoOption *opts = NULL;
	char *perr = NULL, *fixed = NULL, timeout[16];
	int r = DB_ERR_INTERNAL;

	if (strlen(uri) > PG_URI_MAX)
		return db__err(db, DB_ERR_URI, "postgres: URI longer than %d "
		    "bytes", PG_URI_MAX);
	if (strncmp(uri, "postgres://", 11) != 0 &&
	    strncmp(uri, "postgresql://", 13) != 0 && strchr(uri, '=') == NULL)
		return db__err(db, DB_ERR_URI, "postgres: '%.64s' is neither a "
		    "postgres:// URI nor a key=value connection string", uri);
	if ((r = rewrite_uri(db, uri, &fixed)) != 0)
		return r;
	/* Parse alone first, so a malformed URI is DB_ERR_URI, not CONNECT. */
	opts = PQconninfoParse(fixed, &perr);
	if (opts == NULL) {
		r = pg_err(db, DB_ERR_URI, "malformed URI", perr != NULL ? perr :
		    "out of memory");
		goto out;
	}
	snprintf(timeout, sizeof(timeout), "%d", db->opts.connect_timeout > 0 ?
	    db->opts.connect_timeout : DB_PG_CONNECT_TIMEOUT_DEFAULT);
	/* Earlier keywords are defaults that the expanded dbname overrides. */
	kw[0] = "connect_timeout";		val[0] = timeout;
	kw[1] = "fallback_application_name";	val[1] = "ponton";
	kw[2] = "dbname";			val[2] = fixed;
	kw[3] = NULL;				val[3] = NULL;
	db->pg = (struct pg_conn *)PQconnectdbParams(kw, val, 1);
	if (db->pg == NULL) {
		r = db__err(db, DB_ERR_CONNECT, "postgres: out of memory");
		goto out;
	}
	if (PQstatus(CONN(db)) != CONNECTION_OK) {
		r = pg_err(db, DB_ERR_CONNECT, "cannot connect",
		    PQerrorMessage(CONN(db)));
		goto out;
	}
	PQsetNoticeProcessor(CONN(db), notice_to_log, NULL);
	if ((r = session_setup(db)) != 0)
		goto out;
	log_debug("database: postgres: connected to %s (server %d)",
	    PQdb(CONN(db)), PQserverVersion(CONN(db)));
	r = 0;
out:
	PQconninfoFree(opts);
	PQfreemem(perr);
	free(fixed);
	return r;
}

void
db__pg_close(struct db *db)
{
	db__pg_shapes_clear(db);
	free(db->shapes);
	db->shapes = NULL;
	if (db->pg != NULL)
		PQfinish(CONN(db));
	db->pg = NULL;
}

static int
is_txn_control(const char *sql)
{
	static const char *ctl[] = { "BEGIN", "COMMIT", "ROLLBACK",
	    "SAVEPOINT ", "RELEASE SAVEPOINT " };
	size_t i;

	for (i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
		if (strncmp(sql, ctl[i], strlen(ctl[i])) == 0)
			return 1;
	return 0;
}

int
db__pg_exec(struct db *db, const char *sql)
{
	PGresult *res;
	int r = 0;

	/* ROLLBACK on a dead connection: the server already dropped it. */
	if (PQstatus(CONN(db)) != CONNECTION_OK && db->txn_depth > 0 &&
	    strncmp(sql, "ROLLBACK", 8) == 0)
		return 0;
	if ((r = ensure_conn(db)) != 0)
		return r;
	/* db_exec carries DDL, which may change parameter types. */
	if (!is_txn_control(sql))
		db__pg_shapes_clear(db);
	res = PQexec(CONN(db), sql);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	default:
		r = map_result(db, res, "exec");
	}
	PQclear(res);
	return r;
}

void
db__pg_shapes_clear(struct db *db)
{
	int i;

	for (i = 0; db->shapes != NULL && i < DB_PG_SHAPES; i++) {
		free(db->shapes[i].sql);
		db->shapes[i].sql = NULL;
	}
}

static struct db_pg_shape *
shape_find(struct db *db, const char *sql)
{
	int i;

	for (i = 0; db->shapes != NULL && i < DB_PG_SHAPES; i++)
		if (db->shapes[i].sql != NULL &&
		    strcmp(db->shapes[i].sql, sql) == 0) {
			db->shapes[i].used = ++db->shape_clock;
			return &db->shapes[i];
		}
	return NULL;
}

static void
shape_add(struct db *db, const char *sql, int nparams,
    const unsigned int *types)
{
	struct db_pg_shape *victim;
	int i;

	if (db->shapes == NULL)
		db->shapes = u_calloc(DB_PG_SHAPES, sizeof(*db->shapes));
	victim = &db->shapes[0];
	for (i = 0; i < DB_PG_SHAPES; i++) {
		if (db->shapes[i].sql == NULL) {
			victim = &db->shapes[i];
			break;
		}
		if (db->shapes[i].used < victim->used)
			victim = &db->shapes[i];
	}
	free(victim->sql);
	victim->sql = u_strdup(sql);
	victim->nparams = nparams;
	memcpy(victim->types, types, (size_t)nparams * sizeof(*types));
	victim->used = ++db->shape_clock;
}

int
db__pg_prepare(struct db_stmt *st, const char *sql)
{
	struct db *db = st->db;
	struct db_pg_shape *sh;
	PGresult *res;
	int i, r;

	if ((sh = shape_find(db, sql)) != NULL) {
		st->nparams = sh->nparams;
		st->ptypes = u_calloc((size_t)st->nparams + 1,
		    sizeof(*st->ptypes));
		st->params = u_calloc((size_t)st->nparams + 1,
		    sizeof(*st->params));
		memcpy(st->ptypes, sh->types, (size_t)st->nparams *
		    sizeof(*st->ptypes));
		st->sql = u_strdup(sql);
		return 0;
	}
	if ((r = ensure_conn(db)) != 0)
		return r;
	db->pg_describes++;
	res = PQprepare(CONN(db), "", sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = map_result(db, res, "prepare");
		PQclear(res);
		return r;
	}
	PQclear(res);
	res = PQdescribePrepared(CONN(db), "");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = map_result(db, res, "describe");
		PQclear(res);
		return r;
	}
	st->nparams = PQnparams(res);
	if (st->nparams > DB_MAX_PARAMS) {
		PQclear(res);
		return db__err(db, DB_ERR_PARAM, "more than %d parameters",
		    DB_MAX_PARAMS);
	}
	st->ptypes = u_calloc((size_t)st->nparams + 1, sizeof(*st->ptypes));
	st->params = u_calloc((size_t)st->nparams + 1, sizeof(*st->params));
	for (i = 0; i < st->nparams; i++)
		st->ptypes[i] = PQparamtype(res, i);
	PQclear(res);
	st->sql = u_strdup(sql);
	shape_add(db, sql, st->nparams, st->ptypes);
	return 0;
}

static void
clear_result(struct db_stmt *st)
{
	int i;

	PQclear(RES(st));
	st->res = NULL;
	for (i = 0; i < st->nblobs; i++)
		free(st->blobs[i]);
	free(st->blobs);
	st->blobs = NULL;
	st->nblobs = 0;
	st->row = 0;
	st->nrows = 0;
}

static void
clear_params(struct db_stmt *st)
{
	int i;

	for (i = 0; i < st->nparams && st->params != NULL; i++) {
		free(st->params[i].val);
		memset(&st->params[i], 0, sizeof(st->params[i]));
	}
}

void
db__pg_finalize(struct db_stmt *st)
{
	clear_result(st);
	clear_params(st);
	free(st->params);
	free(st->ptypes);
	free(st->sql);
	st->params = NULL;
	st->ptypes = NULL;
	st->sql = NULL;
}

int
db__pg_bind(struct db_stmt *st, int idx, int kind, int64_t i, const void *p,
    size_t n)
{
	struct db_param *pm = &st->params[idx - 1];
	unsigned int type = st->ptypes[idx - 1];

	free(pm->val);
	memset(pm, 0, sizeof(*pm));
	pm->set = 1;
	switch (kind) {
	case DB__P_NULL:
		pm->is_null = 1;
		break;
	case DB__P_INT64:
		pm->val = u_asprintf("%lld", (long long)i);
		pm->len = strlen(pm->val);
		break;
	case DB__P_BOOL:
		/* "t"/"f" for boolean, 1/0 for integer columns (SQLite style). */
		if (type == OID_BOOL)
			pm->val = u_strdup(i ? "t" : "f");
		else
			pm->val = u_strdup(i ? "1" : "0");
		pm->len = 1;
		break;
	case DB__P_TEXT:
	case DB__P_BLOB:
		/*
		 * bytea goes in binary: the bytes as they are.  Text in a text
		 * parameter is a C string; a blob bound to a non-bytea
		 * parameter is sent as is and the server checks its encoding.
		 */
		pm->val = u_malloc(n + 1);
		memcpy(pm->val, p, n);
		pm->val[n] = '\0';
		pm->len = n;
		pm->binary = type == OID_BYTEA || kind == DB__P_BLOB;
		break;
	}
	return 0;
}

int
db__pg_step(struct db_stmt *st)
{
	const char *values[DB_MAX_PARAMS + 1];
	int lengths[DB_MAX_PARAMS + 1], formats[DB_MAX_PARAMS + 1];
	struct db *db = st->db;
	PGresult *res;
	const char *ct;
	int i, r;

	if (st->res == NULL) {
		if ((r = ensure_conn(db)) != 0)
			return r;
		for (i = 0; i < st->nparams; i++) {
			values[i] = st->params[i].is_null ? NULL :
			    st->params[i].val;
			lengths[i] = (int)st->params[i].len;
			formats[i] = st->params[i].binary;
		}
		res = PQexecParams(CONN(db), st->sql, st->nparams,
		    (const Oid *)st->ptypes, values, lengths, formats, 0);
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			break;
		default:
			r = map_result(db, res, "step");
			PQclear(res);
			return r;
		}
		st->res = (struct pg_result *)res;
		st->nrows = PQntuples(res);
		st->row = -1;
		ct = PQcmdTuples(res);
		st->changes = ct != NULL && *ct != '\0' ? atoll(ct) : 0;
		st->nblobs = PQnfields(res);
		st->blobs = u_calloc((size_t)st->nblobs + 1, sizeof(void *));
	}
	for (i = 0; i < st->nblobs; i++) {
		free(st->blobs[i]);
		st->blobs[i] = NULL;
	}
	if (++st->row < st->nrows)
		return DB_ROW;
	st->row = st->nrows;
	return DB_DONE;
}

void
db__pg_reset(struct db_stmt *st)
{
	clear_result(st);
	clear_params(st);
}

int
db__pg_column_count(const struct db_stmt *st)
{
	return st->res != NULL ? PQnfields(RES(st)) : 0;
}

const char *
db__pg_column_name(struct db_stmt *st, int col)
{
	return PQfname(RES(st), col);
}

int
db__pg_is_null(struct db_stmt *st, int col)
{
	return PQgetisnull(RES(st), st->row, col);
}

const char *
db__pg_text(struct db_stmt *st, int col)
{
	return PQgetvalue(RES(st), st->row, col);
}

int
db__pg_int64(struct db_stmt *st, int col, int64_t *out)
{
	return db__parse_int64(PQgetvalue(RES(st), st->row, col),
	    (size_t)PQgetlength(RES(st), st->row, col), out);
}

const void *
db__pg_blob(struct db_stmt *st, int col, size_t *len)
{
	const char *v = PQgetvalue(RES(st), st->row, col);
	size_t n = (size_t)PQgetlength(RES(st), st->row, col), i;
	unsigned char *o;
	int h, l;

	if (PQftype(RES(st), col) != OID_BYTEA) {
		*len = n;
		return v;
	}
	/* bytea_output is hex (set at connect): "\x" then two digits a byte. */
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || (n - 2) % 2 != 0)
		return NULL;
	if (st->blobs[col] == NULL) {
		o = u_malloc((n - 2) / 2 + 1);
		for (i = 0; i < (n - 2) / 2; i++) {
			h = hexdig((unsigned char)v[2 + 2 * i]);
			l = hexdig((unsigned char)v[3 + 2 * i]);
			if (h < 0 || l < 0) {
				free(o);
				return NULL;
			}
			o[i] = (unsigned char)(h << 4 | l);
		}
		st->blobs[col] = o;
	}
	*len = (n - 2) / 2;
	return st->blobs[col];
}
