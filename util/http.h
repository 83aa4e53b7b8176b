/*
 * http.h: a small generic HTTP(S) client on the loop: libcurl's
 * multi-socket API driven by uv_poll handles and one uv_timer.
 *
 * One request is one call: method, URL, optional headers and body; the
 * reply is buffered up to a cap and handed to one completion callback.
 * TLS peers are always verified (certificate and host name); a request
 * may name a PEM file to trust instead of the system store (tests pin a
 * self-signed certificate that way), never switch verification off.
 *
 * Does not: retry, follow redirects, stream bodies, keep cookies, or speak
 * anything but http and https.  Callers that want retries decide them from
 * the status they get.
 *
 * Invariants: a request's callback runs exactly once, after curl released
 * the handle and the request left the pending list, so the callback may
 * start or cancel other requests (but not free the u_http); a cancelled
 * request's callback never runs; a reply longer than its cap is refused
 * from its Content-Length before buffering, and as bytes arrive.
 */
#ifndef PONTON_UTIL_HTTP_H
#define PONTON_UTIL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/loop.h"

/* Reply cap when the request names none (JSON-sized replies). */
#define U_HTTP_RESP_MAX ((size_t)1 << 20)
/* Deadline of a request that names none (whole request, TLS included). */
#define U_HTTP_TIMEOUT_MS 60000
/* Header lines one request may add. */
#define U_HTTP_MAX_HEADERS 16

struct u_http;

struct u_http_req {
	const char		*method;	/* "GET", "POST", "PUT", "DELETE"... */
	const char		*url;		/* http:// or https:// */
	const char *const	*headers;	/* NULL-terminated "Name: value" lines, or NULL */
	const void		*body;		/* NULL: none */
	size_t			 body_len;
	/* 1: body is borrowed and outlives the request (large uploads);
	 * 0: it is copied. */
	int			 body_borrowed;
	size_t			 max_resp;	/* 0: U_HTTP_RESP_MAX */
	unsigned		 timeout_ms;	/* 0: U_HTTP_TIMEOUT_MS */
	/* Give up when no byte moved for this long (large transfers set a
	 * long timeout_ms and a short stall_ms); 0: no stall check. */
	unsigned		 stall_ms;
	/* PEM file to trust instead of the system CA store; NULL: system. */
	const char		*ca_file;
};

struct u_http_resp {
	int		 status;	/* HTTP status; 0 when err != 0 */
	const uint8_t	*body;		/* borrowed until the callback returns */
	size_t		 len;
	const char	*content_type;	/* borrowed; may be NULL */
	const char	*error;		/* with err != 0: curl's text (borrowed) */
};

/*
 * err 0: a reply arrived (any status, see resp->status).  U_ERR_TOO_BIG:
 * the reply passed its cap.  U_ERR_IO: connection, TLS or timeout failure
 * (resp->error says which).  resp is never NULL.
 */
typedef void (*u_http_done_fn)(void *arg, int err,
    const struct u_http_resp *resp);

/* A client on loop (borrowed).  Never NULL. */
struct u_http *u_http_new(struct u_loop *loop);
/* Cancel everything pending (no callbacks) and free; NULL is a no-op.
 * Not from one of its own callbacks. */
void u_http_free(struct u_http *h);
/*
 * Start a request; req's strings are copied (body too unless borrowed).
 * Returns a non-zero id, or 0 with nothing started (and fn never called)
 * when the request is invalid: no method or URL, a URL that is not
 * http(s), too many headers.
 */
uint64_t u_http_start(struct u_http *h, const struct u_http_req *req,
    u_http_done_fn fn, void *arg);
/* Drop a pending request; its callback is not called.  Unknown ids are
 * ignored. */
void u_http_cancel(struct u_http *h, uint64_t id);
size_t u_http_pending(const struct u_http *h);

#endif
