/*
 * err.h: error code ranges shared by every module.
 *
 * Functions return 0 or a negative code.  Each module owns a range and
 * provides a *_strerror() for it; u_strerror() dispatches on the range so a
 * caller holding any code can print it.
 *
 *   -1 ..  -99   util   (U_ERR_*)
 * -100 .. -199   db     (DB_ERR_*)
 * -200 .. -299   crypto (CRY_ERR_*)
 * -300 .. -399   waweb  (WA_ERR_*)
 * -400 .. -499   matrix (MX_ERR_*)
 * -500 .. -599   bridge (BR_ERR_*)
 */
#ifndef PONTON_UTIL_ERR_H
#define PONTON_UTIL_ERR_H

enum {
	U_ERR_INTERNAL = -1,	/* our bug */
	U_ERR_NOMEM = -2,
	U_ERR_TRUNCATED = -3,	/* input ended before a complete item */
	U_ERR_TOO_BIG = -4,	/* a declared size exceeds its named limit */
	U_ERR_INVALID = -5,	/* malformed input */
	U_ERR_IO = -6,		/* read/write failed; errno is set */
	U_ERR_NOT_FOUND = -7,
	U_ERR_EXISTS = -8,
	U_ERR_UTF8 = -9,	/* string is not valid UTF-8 */
};

#define U_ERR_RANGE_DB (-100)
#define U_ERR_RANGE_CRY (-200)
#define U_ERR_RANGE_WA (-300)
#define U_ERR_RANGE_MX (-400)
#define U_ERR_RANGE_BR (-500)

/* Text for any code; modules register their strerror at start-up. */
const char *u_strerror(int code);
typedef const char *(*u_strerror_fn)(int code);
/* range is one of U_ERR_RANGE_*; fn must accept every code in it. */
void u_strerror_register(int range, u_strerror_fn fn);

#endif
