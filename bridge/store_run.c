/*
 * store_run.c: the statement runner and column readers behind store.h.
 *
 * Does: binds a struct br__arg array, steps, scans rows into owned
 * objects, parses JSON columns with limits.  Does not: know any table.
 * Invariant: a statement is always freed before returning, so nothing of
 * db/'s borrowed column memory escapes.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/store_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Bind a[0..n) to $1..$n. */
static int
bind_args(struct db_stmt *st, const struct br__arg *a, int n)
{
	char *js;
	int i, r = 0;

	for (i = 0; i < n && r == 0; i++) {
		switch (a[i].kind) {
		case BR__A_TEXT:
			r = db_bind_text(st, i + 1, a[i].s);
			break;
		case BR__A_INT:
			r = db_bind_int64(st, i + 1, a[i].i);
			break;
		case BR__A_BOOL:
			r = db_bind_bool(st, i + 1, (int)a[i].i);
			break;
		case BR__A_NULL:
			r = db_bind_null(st, i + 1);
			break;
		case BR__A_JSON:
		case BR__A_JSON_OBJ:
		case BR__A_JSON_ARR:
			if (a[i].j == NULL) {
				if (a[i].kind == BR__A_JSON)
					r = db_bind_null(st, i + 1);
				else
					r = db_bind_text(st, i + 1,
					    a[i].kind == BR__A_JSON_OBJ ?
					    "{}" : "[]");
				break;
			}
			js = json_dumps(a[i].j, JSON_COMPACT | JSON_ENCODE_ANY);
			if (js == NULL)
				return U_ERR_INVALID;
			r = db_bind_text(st, i + 1, js);
			free(js);
			break;
		}
	}
	return r;
}

static int
prepare(struct db *db, const char *sql, const struct br__arg *a, int n,
    struct db_stmt **out)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, sql, &st)) != 0) {
		log_warnx("store: prepare: %s", db_errmsg(db));
		return r;
	}
	if ((r = bind_args(st, a, n)) != 0) {
		db_stmt_free(st);
		return r;
	}
	*out = st;
	return 0;
}

int
br__st_exec(struct db *db, const char *sql, const struct br__arg *a, int n,
    int64_t *changes)
{
	struct db_stmt *st = NULL;
	int r;

	if ((r = prepare(db, sql, a, n, &st)) != 0)
		return r;
	if ((r = db_stmt_exec(st)) == 0 && changes != NULL)
		*changes = db_stmt_changes(st);
	if (r != 0 && r != DB_ERR_CONSTRAINT)
		log_warnx("store: %s", db_errmsg(db));
	db_stmt_free(st);
	return r;
}

void
br__list_free(void **v, br__free_fn fr)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		fr(v[i]);
	free(v);
}

/* Scan every row (at most max, 0: all) into a NULL-terminated array. */
static int
collect(struct db *db, const char *sql, const struct br__arg *a, int n,
    br__scan_fn scan, br__free_fn fr, size_t max, void ***out, size_t *count)
{
	struct db_stmt *st = NULL;
	void **v = NULL, *obj;
	size_t len = 0, cap = 0;
	int r;

	if ((r = prepare(db, sql, a, n, &st)) != 0)
		return r;
	v = u_calloc(1, sizeof(*v));
	while ((r = db_step(st)) == DB_ROW) {
		if (max != 0 && len == max)
			break;
		obj = NULL;
		if ((r = scan(st, &obj)) != 0)
			goto out;
		if ((r = db_column_check(st)) != 0) {
			fr(obj);
			goto out;
		}
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 8;
			v = u_reallocarray(v, cap + 1, sizeof(*v));
		}
		v[len++] = obj;
		v[len] = NULL;
	}
	if (r < 0) {
		if (r != DB_ERR_CONSTRAINT)
			log_warnx("store: %s", db_errmsg(db));
		goto out;
	}
	r = 0;
	*out = v;
	*count = len;
	v = NULL;
out:
	br__list_free(v, fr);
	db_stmt_free(st);
	return r;
}

int
br__st_list(struct db *db, const char *sql, const struct br__arg *a, int n,
    br__scan_fn scan, br__free_fn fr, void ***out)
{
	size_t count;

	return collect(db, sql, a, n, scan, fr, 0, out, &count);
}

int
br__st_get(struct db *db, const char *sql, const struct br__arg *a, int n,
    br__scan_fn scan, br__free_fn fr, void **out)
{
	void **v = NULL;
	size_t count = 0;
	int r;

	/* With max 1 there is at most one object, handed over below. */
	if ((r = collect(db, sql, a, n, scan, fr, 1, &v, &count)) != 0)
		return r;
	if (count == 0) {
		free(v);
		return U_ERR_NOT_FOUND;
	}
	*out = v[0];
	free(v);
	return 0;
}

static int
scan_int(struct db_stmt *st, void **out)
{
	int64_t *p = u_malloc(sizeof(*p));

	*p = db_column_int64(st, 0);
	*out = p;
	return 0;
}

int
br__st_int(struct db *db, const char *sql, const struct br__arg *a, int n,
    int64_t *out)
{
	void *p = NULL;
	int r;

	if ((r = br__st_get(db, sql, a, n, scan_int, free, &p)) != 0)
		return r;
	*out = *(int64_t *)p;
	free(p);
	return 0;
}

char *
br__col_str(struct db_stmt *st, int col)
{
	const char *s;

	if (db_column_is_null(st, col))
		return NULL;
	s = db_column_text(st, col);
	return u_strdup(s != NULL ? s : "");
}

char *
br__col_str0(struct db_stmt *st, int col)
{
	const char *s = db_column_text(st, col);

	return u_strdup(s != NULL ? s : "");
}

int
br__col_json(struct db_stmt *st, int col, json_t **out)
{
	json_error_t err;
	const char *s;
	json_t *j;

	if (db_column_is_null(st, col)) {
		*out = NULL;
		return 0;
	}
	s = db_column_text(st, col);
	if (s == NULL)
		s = "";
	if (strnlen(s, BR_STORE_JSON_MAX + 1) > BR_STORE_JSON_MAX)
		return U_ERR_TOO_BIG;
	j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (j == NULL) {
		log_warnx("store: unreadable JSON in column %s: %s",
		    db_column_name(st, col), err.text);
		return U_ERR_INVALID;
	}
	*out = j;
	return 0;
}
