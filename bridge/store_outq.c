/*
 * store_outq.c: the Matrix events ponton accepted from the homeserver but
 * has not handled yet (portal_out.c), kept in kv_store so that a restart
 * resumes them in order (issue 6 item 7: nothing lost).
 *
 * Why kv_store: the appservice acknowledges a transaction once its events
 * are queued, so the queue must be durable before that; kv_store is the
 * one table of the shared schema meant for a bridge's own keys, and a
 * program taking the database over ignores keys it does not know.  Rows
 * are "ponton.mx_out.<20-digit seq>" -> the event as JSON; the
 * zero-padded seq makes the key order the arrival order.
 *
 * What it does not do: decide what a row means (portal_out.c does).
 * Invariants: short synchronous statements, as the other store files.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/portal_out.h"
#include "bridge/store_int.h"
#include "util/mem.h"

#define OUTQ_PREFIX	"ponton.mx_out."
/* The first key after every queue key ('/' follows '.'). */
#define OUTQ_END	"ponton.mx_out/"

static void
outq_key(int64_t seq, char *buf, size_t n)
{
	snprintf(buf, n, OUTQ_PREFIX "%020" PRId64, seq);
}

int
br_store_outq_put(struct db *db, int64_t seq, const char *value)
{
	char key[48];

	outq_key(seq, key, sizeof(key));
	return br_store_kv_set(db, key, value);
}

int
br_store_outq_delete(struct db *db, int64_t seq)
{
	char key[48];
	int64_t n = 0;
	int r;

	outq_key(seq, key, sizeof(key));
	r = br__st_exec(db, "DELETE FROM kv_store WHERE bridge_id='' AND "
	    "key=$1", BR__ARGS(BR__T(key)), &n);
	return br__changed(r, n);
}

void
br_outq_row_free(struct br_outq_row *row)
{
	if (row == NULL)
		return;
	free(row->value);
	free(row);
}

static void
row_free_v(void *p)
{
	br_outq_row_free(p);
}

void
br_outq_row_list_free(struct br_outq_row **v)
{
	br__list_free((void **)v, row_free_v);
}

static int
scan_row(struct db_stmt *st, void **out)
{
	struct br_outq_row *row;
	const char *key = db_column_text(st, 0);
	char *end;
	long long seq;

	if (key == NULL || strncmp(key, OUTQ_PREFIX, strlen(OUTQ_PREFIX)) !=
	    0)
		return U_ERR_INVALID;
	seq = strtoll(key + strlen(OUTQ_PREFIX), &end, 10);
	if (*end != '\0' || seq <= 0)
		return U_ERR_INVALID;
	row = u_calloc(1, sizeof(*row));
	row->seq = seq;
	row->value = br__col_str0(st, 1);
	*out = row;
	return 0;
}

int
br_store_outq_list(struct db *db, int limit, struct br_outq_row ***out)
{
	if (limit < 1 || limit > BR_OUTQ_LOAD_MAX)
		return U_ERR_INVALID;
	return br__st_list(db, "SELECT key, value FROM kv_store WHERE "
	    "bridge_id='' AND key >= $1 AND key < $2 ORDER BY key LIMIT $3",
	    BR__ARGS(BR__T(OUTQ_PREFIX), BR__T(OUTQ_END), BR__I(limit)),
	    scan_row, row_free_v, (void ***)out);
}
