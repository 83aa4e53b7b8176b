/*
 * mem.h: allocation wrappers.  Running out of memory is not something ponton
 * can recover from in a useful way, so these abort with a message instead of
 * returning NULL; callers never check.  Sizes that come from the network are
 * bounded by the parsers before they reach these functions.
 */
#ifndef PONTON_UTIL_MEM_H
#define PONTON_UTIL_MEM_H

#include <stddef.h>

void *u_malloc(size_t n);
void *u_calloc(size_t nmemb, size_t size);
void *u_realloc(void *p, size_t n);
/* Overflow-checked realloc of an array of nmemb elements of size bytes. */
void *u_reallocarray(void *p, size_t nmemb, size_t size);
char *u_strdup(const char *s);
char *u_strndup(const char *s, size_t n);
void *u_memdup(const void *p, size_t n);
/* asprintf that aborts on failure; returns an owned string. */
char *u_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wipe (sodium_memzero) then free; NULL is a no-op. */
void u_free_secret(void *p, size_t n);

#endif
