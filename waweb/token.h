/*
 * token.h: the binary XML token dictionaries (version 3) and lookups by
 * index and by string.  Pure functions over constant tables.
 */
#ifndef PONTON_WAWEB_TOKEN_H
#define PONTON_WAWEB_TOKEN_H

#include <stddef.h>

/* Sent in the connection header ("WA", 6, WA_TOKEN_DICT_VERSION). */
#define WA_TOKEN_DICT_VERSION 3
/* Single-byte tokens 1..235; index 0 is unused (it is LIST_EMPTY). */
#define WA_TOKEN_SINGLE_COUNT 236
#define WA_TOKEN_DICTS 4
#define WA_TOKEN_DICT_SIZE 256

/* The single-byte token idx, or NULL if idx is 0 or out of range. */
const char *wa_token_single(unsigned idx);
/* The double-byte token (dict 0..3, idx 0..255), or NULL out of range. */
const char *wa_token_double(unsigned dict, unsigned idx);
/*
 * The token equal to s[0..len): its single-byte index (1..235), or
 * 256 + dict * 256 + index for a double-byte one; -1 if s is not a token.
 */
int wa_token_find(const char *s, size_t len);
/* Enumerate the sorted by-name index (for tests): NULL when i is past it. */
size_t wa_token_count(void);
const char *wa_token_at(size_t i, int *code);

#endif
