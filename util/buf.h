/*
 * buf.h: the one bounded reader every binary parser uses, and a growable
 * byte buffer with a hard cap.
 *
 * The reader never reads past its end: each get either consumes exactly what
 * it asked for and returns 0, or returns U_ERR_TRUNCATED and leaves the
 * position unchanged.  Pointers handed out by u_rd_bytes() borrow the
 * reader's input.
 *
 * The buffer grows geometrically up to `cap` bytes; an append that would pass
 * the cap fails with U_ERR_TOO_BIG and leaves the buffer as it was.
 */
#ifndef PONTON_UTIL_BUF_H
#define PONTON_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct u_rd {
	const uint8_t	*p;	/* borrowed */
	size_t		 len;
	size_t		 off;
};

static inline void
u_rd_init(struct u_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

static inline size_t
u_rd_left(const struct u_rd *r)
{
	return r->len - r->off;
}

int u_rd_u8(struct u_rd *r, uint8_t *out);
int u_rd_u16be(struct u_rd *r, uint16_t *out);
int u_rd_u24be(struct u_rd *r, uint32_t *out);
int u_rd_u32be(struct u_rd *r, uint32_t *out);
int u_rd_u64be(struct u_rd *r, uint64_t *out);
/* Borrow n bytes of the input. */
int u_rd_bytes(struct u_rd *r, size_t n, const uint8_t **out);
/* Copy n bytes out. */
int u_rd_copy(struct u_rd *r, void *dst, size_t n);
int u_rd_skip(struct u_rd *r, size_t n);

struct u_buf {
	uint8_t	*p;	/* owned */
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;	/* hard maximum of len; 0 means U_BUF_DEFAULT_CAP */
};

/* 64 MiB: larger than any frame, node, media chunk or JSON body we buffer. */
#define U_BUF_DEFAULT_CAP ((size_t)64 << 20)

void u_buf_init(struct u_buf *b, size_t cap);
void u_buf_free(struct u_buf *b);
/* Forget contents, keep the allocation. */
void u_buf_reset(struct u_buf *b);
/* Make room for n more bytes; returns U_ERR_TOO_BIG past the cap. */
int u_buf_reserve(struct u_buf *b, size_t n);
int u_buf_add(struct u_buf *b, const void *p, size_t n);
int u_buf_add_u8(struct u_buf *b, uint8_t v);
int u_buf_add_u16be(struct u_buf *b, uint16_t v);
int u_buf_add_u24be(struct u_buf *b, uint32_t v);
int u_buf_add_u32be(struct u_buf *b, uint32_t v);
int u_buf_add_str(struct u_buf *b, const char *s);
int u_buf_printf(struct u_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (n <= len). */
void u_buf_consume(struct u_buf *b, size_t n);
/* Hand the contents to the caller (NUL-terminated, owned); b is emptied. */
uint8_t *u_buf_steal(struct u_buf *b, size_t *len);

#endif
