/*
 * fuzz_db_uri.c: libFuzzer entry point for db/'s text front ends: the
 * SQLite URI parser (go-sqlite3 style parameters), the PostgreSQL URI
 * rewriter (lib/pq style run-time parameters into libpq's options) and
 * the migration files' dialect filter ("-- only:" markers).
 *
 * Input: byte 0 picks the target (low two bits: 0 SQLite URI, 1
 * PostgreSQL URI, 2 filter for SQLite, 3 filter for PostgreSQL), the rest
 * is the text.  Nothing is opened or connected.
 *
 * Checks beyond "no crash, no leak": a parsed SQLite URI keeps the path
 * before '?' and only shrinks, its busy timeout and _txlock are in range;
 * a PostgreSQL string that is not a URI with a query comes back unchanged;
 * the dialect filter never grows its input (it only drops lines and "--"
 * prefixes, and ends the last line with '\n') and succeeds or fails the
 * same way when run twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bigger than every limit in the parsers, so their checks get hit. */
#define FUZZ_TEXT_MAX 16384

static void
fuzz_sqlite(const char *s)
{
	char *out = NULL, err[256];
	const char *q;
	size_t base;
	int txlock = -1, busy = -1;

	if (db__sq_parse_uri(s, &out, &txlock, &busy, err, sizeof(err)) != 0) {
		if (out != NULL || err[0] == '\0')
			abort();	/* errors always say why */
		return;
	}
	q = strchr(s, '?');
	base = q != NULL && q != s ? (size_t)(q - s) : strlen(s);
	if (strncmp(out, s, base) != 0 || strlen(out) > strlen(s))
		abort();
	if (busy < 0 || busy > 3600000 || txlock < 0 || txlock > 3)
		abort();
	free(out);
}

static void
fuzz_pg(const char *s)
{
	char *out = NULL, err[256];

	if (db__pg_rewrite_uri(s, &out, err, sizeof(err)) != 0) {
		if (out != NULL)
			abort();
		return;
	}
	if ((strncmp(s, "postgres://", 11) != 0 &&
	    strncmp(s, "postgresql://", 13) != 0) || strchr(s, '?') == NULL) {
		if (strcmp(out, s) != 0)
			abort();
	} else if (strncmp(out, s, (size_t)(strchr(s, '?') - s)) != 0)
		abort();	/* the part before the query is kept */
	free(out);
}

static void
fuzz_filter(const char *p, size_t n, int dialect)
{
	char *out = NULL, *out2 = NULL;
	int r, r2;

	r = db__mig_filter(p, n, dialect, &out);
	r2 = db__mig_filter(p, n, dialect, &out2);
	if (r != r2)
		abort();
	if (r == 0) {
		/* +1: a last line without '\n' gets one. */
		if (out == NULL || out2 == NULL || strlen(out) > n + 1 ||
		    strcmp(out, out2) != 0)
			abort();
	}
	free(out);
	free(out2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > FUZZ_TEXT_MAX)
		return 0;
	s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] & 3) {
	case 0:
		if (strlen(s) == size - 1)	/* URIs are C strings */
			fuzz_sqlite(s);
		break;
	case 1:
		if (strlen(s) == size - 1)
			fuzz_pg(s);
		break;
	case 2:
		fuzz_filter(s, size - 1, DB_SQLITE);
		break;
	case 3:
		fuzz_filter(s, size - 1, DB_POSTGRES);
		break;
	}
	free(s);
	return 0;
}
