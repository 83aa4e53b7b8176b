/*
 * store_int.h: helpers shared by the bridge/store_*.c files only.
 *
 * One statement runner binds an argument array (so each query reads as
 * its SQL plus a list of values), steps, and hands rows to a scan
 * function.  JSON values are bound and read here and nowhere else, which
 * is the one place the dialect matters for jsonb: db/pg.c asks the server
 * for each parameter's type, so a jsonb column's parameter is typed jsonb
 * and the JSON text we send is parsed by the server; SQLite stores the
 * text as is.  Reading back gives text in both (PostgreSQL's jsonb output
 * may reorder keys and add spaces; jansson does not care).
 */
#ifndef PONTON_BRIDGE_STORE_INT_H
#define PONTON_BRIDGE_STORE_INT_H

#include "bridge/store.h"
#include "db/db.h"
#include "util/err.h"

enum br__arg_kind {
	BR__A_TEXT,	/* s; NULL binds NULL */
	BR__A_INT,	/* i */
	BR__A_BOOL,	/* i */
	BR__A_NULL,
	BR__A_JSON,	/* j; NULL binds NULL */
	BR__A_JSON_OBJ,	/* j; NULL binds {} */
	BR__A_JSON_ARR,	/* j; NULL binds [] */
};

struct br__arg {
	enum br__arg_kind	 kind;
	const char		*s;	/* borrowed */
	int64_t			 i;
	const json_t		*j;	/* borrowed */
};

#define BR__T(x) ((struct br__arg){ .kind = BR__A_TEXT, .s = (x) })
#define BR__I(x) ((struct br__arg){ .kind = BR__A_INT, .i = (x) })
#define BR__B(x) ((struct br__arg){ .kind = BR__A_BOOL, .i = !!(x) })
#define BR__N() ((struct br__arg){ .kind = BR__A_NULL })
#define BR__J(x) ((struct br__arg){ .kind = BR__A_JSON, .j = (x) })
#define BR__JO(x) ((struct br__arg){ .kind = BR__A_JSON_OBJ, .j = (x) })
#define BR__JA(x) ((struct br__arg){ .kind = BR__A_JSON_ARR, .j = (x) })
#define BR__ARGS(...) (const struct br__arg[]){ __VA_ARGS__ }, \
	(int)(sizeof((const struct br__arg[]){ __VA_ARGS__ }) / \
	sizeof(struct br__arg))

/* A scan function turns the current row into an owned object. */
typedef int (*br__scan_fn)(struct db_stmt *st, void **out);
typedef void (*br__free_fn)(void *obj);

/* Run a statement without result rows; *changes (may be NULL) gets the
 * affected row count. */
int br__st_exec(struct db *db, const char *sql, const struct br__arg *a,
    int n, int64_t *changes);
/* First row through scan (fr frees it if the row turns out unreadable);
 * U_ERR_NOT_FOUND when there is none. */
int br__st_get(struct db *db, const char *sql, const struct br__arg *a, int n,
    br__scan_fn scan, br__free_fn fr, void **out);
/* Every row through scan into a NULL-terminated array (freed with fr on
 * error). */
int br__st_list(struct db *db, const char *sql, const struct br__arg *a,
    int n, br__scan_fn scan, br__free_fn fr, void ***out);
/* First column of the first row as int64; U_ERR_NOT_FOUND if no row. */
int br__st_int(struct db *db, const char *sql, const struct br__arg *a, int n,
    int64_t *out);
void br__list_free(void **v, br__free_fn fr);
/* For UPDATE/DELETE by key: r, or U_ERR_NOT_FOUND when no row changed. */
static inline int
br__changed(int r, int64_t n)
{
	return r != 0 ? r : n == 0 ? U_ERR_NOT_FOUND : 0;
}

/* Column readers: owned copies; NULL stays NULL. */
char *br__col_str(struct db_stmt *st, int col);
/* Like br__col_str but "" for NULL (NOT NULL columns). */
char *br__col_str0(struct db_stmt *st, int col);
/* Parses a JSON column (NULL -> *out NULL).  U_ERR_INVALID, U_ERR_TOO_BIG. */
int br__col_json(struct db_stmt *st, int col, json_t **out);

#endif
