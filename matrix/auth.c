/*
 * auth.c: what the appservice HTTP server decides before touching a body:
 * the route, the hs_token check, and the body size limit.
 *
 * Invariants: tokens are compared in constant time over SHA-256 digests
 * of both sides, so neither the content nor the length of the expected
 * token leaks through timing.  Only "Authorization: Bearer" is accepted
 * (no ?access_token=, as mautrix), so tokens never sit in logged URLs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "matrix/mx_int.h"
#include "util/mem.h"

int
mx__ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned char ha[crypto_hash_sha256_BYTES], hb[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(ha, a, alen);
	crypto_hash_sha256(hb, b, blen);
	return sodium_memcmp(ha, hb, sizeof(ha)) == 0;
}

int
mx__auth_check(const char *header, const char *hs_token)
{
	const char *tok;
	size_t n;

	if (header == NULL || *header == '\0')
		return MX_ERR_NO_TOKEN;
	if (strnlen(header, MX_AUTH_HEADER_MAX + 1) > MX_AUTH_HEADER_MAX)
		return MX_ERR_BAD_TOKEN;
	/* RFC 7235: the scheme is case-insensitive. */
	if (strncasecmp(header, "Bearer", 6) != 0 ||
	    (header[6] != ' ' && header[6] != '\t'))
		return MX_ERR_NO_TOKEN;
	tok = header + 6;
	while (*tok == ' ' || *tok == '\t')
		tok++;
	n = strlen(tok);
	while (n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t' ||
	    tok[n - 1] == '\r' || tok[n - 1] == '\n'))
		n--;
	if (n == 0)
		return MX_ERR_NO_TOKEN;
	if (!mx__ct_equal(tok, n, hs_token, strlen(hs_token)))
		return MX_ERR_BAD_TOKEN;
	return 0;
}

/* Well-formed UTF-8: no overlongs, surrogates or code points past U+10FFFF. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* A path parameter (already percent-decoded by lws): one non-empty
 * segment, valid UTF-8, no control bytes, bounded. */
static int
param_ok(const char *s)
{
	size_t n = strnlen(s, MX_PARAM_MAX + 1);

	if (n == 0 || n > MX_PARAM_MAX || !utf8_ok((const unsigned char *)s, n))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '/')
			return 0;
	return 1;
}

static int
prefixed(const char *path, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0)
		return 0;
	*rest = path + n;
	return 1;
}

enum mx_route
mx__route(const char *method, const char *path, char **param)
{
	const char *rest;
	enum mx_route r = MX_ROUTE_NONE;
	const char *want = NULL;

	*param = NULL;
	if (prefixed(path, "/_matrix/app/v1/transactions/", &rest)) {
		r = MX_ROUTE_TXN;
		want = "PUT";
	} else if (prefixed(path, "/_matrix/app/v1/users/", &rest)) {
		r = MX_ROUTE_USER;
		want = "GET";
	} else if (prefixed(path, "/_matrix/app/v1/rooms/", &rest)) {
		r = MX_ROUTE_ROOM;
		want = "GET";
	} else if (strcmp(path, "/_matrix/app/v1/ping") == 0) {
		return strcmp(method, "POST") == 0 ? MX_ROUTE_PING :
		    MX_ROUTE_BAD_METHOD;
	} else if (strcmp(path, "/_matrix/mau/live") == 0) {
		return strcmp(method, "GET") == 0 ? MX_ROUTE_LIVE :
		    MX_ROUTE_BAD_METHOD;
	} else if (strcmp(path, "/_matrix/mau/ready") == 0) {
		return strcmp(method, "GET") == 0 ? MX_ROUTE_READY :
		    MX_ROUTE_BAD_METHOD;
	} else
		return MX_ROUTE_NONE;
	if (!param_ok(rest))
		return MX_ROUTE_NONE;
	if (strcmp(method, want) != 0)
		return MX_ROUTE_BAD_METHOD;
	*param = u_strdup(rest);
	return r;
}

size_t
mx__route_body_max(enum mx_route r)
{
	return r == MX_ROUTE_TXN ? MX_TXN_BODY_MAX : MX_SMALL_BODY_MAX;
}

int
mx__content_length(const char *s, size_t max, size_t *out)
{
	unsigned long long v;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return U_ERR_INVALID;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return MX_ERR_TOO_BIG;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return U_ERR_INVALID;
	if (v > max)
		return MX_ERR_TOO_BIG;
	*out = (size_t)v;
	return 0;
}
