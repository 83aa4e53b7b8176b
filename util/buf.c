/*
 * buf.c: bounded reader and capped growable buffer (see buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

int
u_rd_bytes(struct u_rd *r, size_t n, const uint8_t **out)
{
	if (n > u_rd_left(r))
		return U_ERR_TRUNCATED;
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

int
u_rd_copy(struct u_rd *r, void *dst, size_t n)
{
	const uint8_t *p;
	int rc;

	if ((rc = u_rd_bytes(r, n, &p)) != 0)
		return rc;
	if (n)
		memcpy(dst, p, n);
	return 0;
}

int
u_rd_skip(struct u_rd *r, size_t n)
{
	const uint8_t *p;

	return u_rd_bytes(r, n, &p);
}

static int
rd_be(struct u_rd *r, size_t n, uint64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;
	size_t i;
	int rc;

	if ((rc = u_rd_bytes(r, n, &p)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	*out = v;
	return 0;
}

int
u_rd_u8(struct u_rd *r, uint8_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = rd_be(r, 1, &v)) == 0)
		*out = (uint8_t)v;
	return rc;
}

int
u_rd_u16be(struct u_rd *r, uint16_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = rd_be(r, 2, &v)) == 0)
		*out = (uint16_t)v;
	return rc;
}

int
u_rd_u24be(struct u_rd *r, uint32_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = rd_be(r, 3, &v)) == 0)
		*out = (uint32_t)v;
	return rc;
}

int
u_rd_u32be(struct u_rd *r, uint32_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = rd_be(r, 4, &v)) == 0)
		*out = (uint32_t)v;
	return rc;
}

int
u_rd_u64be(struct u_rd *r, uint64_t *out)
{
	return rd_be(r, 8, out);
}

void
u_buf_init(struct u_buf *b, size_t cap)
{
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : U_BUF_DEFAULT_CAP;
}

void
u_buf_free(struct u_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
}

void
u_buf_reset(struct u_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

int
u_buf_reserve(struct u_buf *b, size_t n)
{
	size_t want, na;

	if (b->cap == 0)
		b->cap = U_BUF_DEFAULT_CAP;
	if (n > b->cap || b->len > b->cap - n)
		return U_ERR_TOO_BIG;
	want = b->len + n + 1;	/* +1 keeps room for a terminating NUL */
	if (want <= b->alloc)
		return 0;
	na = b->alloc ? b->alloc : 64;
	while (na < want)
		na = na > ((size_t)-1) / 2 ? want : na * 2;
	if (na > b->cap + 1)
		na = b->cap + 1;
	b->p = u_realloc(b->p, na);
	b->alloc = na;
	return 0;
}

int
u_buf_add(struct u_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = u_buf_reserve(b, n)) != 0)
		return rc;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
u_buf_add_u8(struct u_buf *b, uint8_t v)
{
	return u_buf_add(b, &v, 1);
}

int
u_buf_add_u16be(struct u_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return u_buf_add(b, x, sizeof(x));
}

int
u_buf_add_u24be(struct u_buf *b, uint32_t v)
{
	uint8_t x[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return u_buf_add(b, x, sizeof(x));
}

int
u_buf_add_u32be(struct u_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return u_buf_add(b, x, sizeof(x));
}

int
u_buf_add_str(struct u_buf *b, const char *s)
{
	return u_buf_add(b, s, strlen(s));
}

int
u_buf_printf(struct u_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return U_ERR_NOMEM;
	rc = u_buf_add(b, s, (size_t)n);
	free(s);
	return rc;
}

void
u_buf_consume(struct u_buf *b, size_t n)
{
	if (n >= b->len) {
		u_buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

uint8_t *
u_buf_steal(struct u_buf *b, size_t *len)
{
	uint8_t *p;

	/* reserve(0) allocates when nothing has been added yet, and the
	 * +1 it always keeps holds the terminator even after reset/consume. */
	if (u_buf_reserve(b, 0) != 0)
		return NULL;
	b->p[b->len] = '\0';
	p = b->p;
	if (len != NULL)
		*len = b->len;
	b->p = NULL;
	b->len = b->alloc = 0;
	return p;
}
