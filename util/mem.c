/*
 * mem.c: allocation wrappers that abort on exhaustion (see mem.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/mem.h"

static void
oom(size_t n)
{
	fprintf(stderr, "ponton: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
u_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
u_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
u_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

void *
u_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > (size_t)-1 / size)
		oom((size_t)-1);
	return u_realloc(p, nmemb * size);
}

char *
u_strdup(const char *s)
{
	return u_memdup(s, strlen(s) + 1);
}

char *
u_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = u_malloc(len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void *
u_memdup(const void *p, size_t n)
{
	void *d = u_malloc(n);

	if (n)
		memcpy(d, p, n);
	return d;
}

char *
u_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom(0);
	return s;
}

void
u_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	sodium_memzero(p, n);
	free(p);
}
