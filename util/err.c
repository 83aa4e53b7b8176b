/*
 * err.c: u_strerror for util codes and dispatch to the other modules'
 * strerror functions.  Registration happens once at start-up, from one
 * thread, before any error is printed.
 */
#include <stddef.h>

#include "util/err.h"

static u_strerror_fn ranges[6];

void
u_strerror_register(int range, u_strerror_fn fn)
{
	int i = -range / 100;

	if (i > 0 && i < 6)
		ranges[i] = fn;
}

const char *
u_strerror(int code)
{
	int i;

	if (code >= 0)
		return "success";
	i = -code / 100;
	if (i > 0 && i < 6 && ranges[i] != NULL)
		return ranges[i](code);
	switch (code) {
	case U_ERR_INTERNAL:	return "internal error";
	case U_ERR_NOMEM:	return "out of memory";
	case U_ERR_TRUNCATED:	return "input truncated";
	case U_ERR_TOO_BIG:	return "input exceeds a size limit";
	case U_ERR_INVALID:	return "malformed input";
	case U_ERR_IO:		return "input/output error";
	case U_ERR_NOT_FOUND:	return "not found";
	case U_ERR_EXISTS:	return "already exists";
	case U_ERR_UTF8:	return "invalid UTF-8";
	}
	return "unknown error";
}
