/*
 * mx_int.h: helpers shared inside matrix/ (mx__ prefix), and the pure
 * pieces the unit tests and the fuzzer call directly: transaction parsing,
 * the replay cache, hs_token checks, body limits, routing, the echo
 * filter and retry decisions.  None of them does I/O.
 */
#ifndef PONTON_MATRIX_MX_INT_H
#define PONTON_MATRIX_MX_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "matrix/mx.h"

/*
 * Limits on what the homeserver may send us, checked before buffering.
 * A transaction holds at most 100 PDUs (64 KiB each), 100 ephemeral events
 * and 100 to-device messages in Synapse; 32 MiB leaves room for that with
 * JSON escaping overhead.  Every other route carries a tiny body.
 */
#define MX_TXN_BODY_MAX		((size_t)32 << 20)
#define MX_SMALL_BODY_MAX	((size_t)64 << 10)
/* More events than any homeserver batches (Synapse: 100). */
#define MX_TXN_MAX_EVENTS	1000
/* Longest txnId / path parameter we accept (ids are short). */
#define MX_PARAM_MAX		512
/* Replay cache: entries live this long, at most this many. */
#define MX_TXN_CACHE_TTL_MS	(5u * 60u * 1000u)
#define MX_TXN_CACHE_SLOTS	256
/* Longest Authorization header we look at. */
#define MX_AUTH_HEADER_MAX	1024

/* --- hs_token authentication (auth.c) --- */
/* Constant-time equality of two byte strings of any lengths. */
int mx__ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* header: the Authorization header value or NULL.  Returns 0,
 * MX_ERR_NO_TOKEN (missing / not Bearer) or MX_ERR_BAD_TOKEN. */
int mx__auth_check(const char *header, const char *hs_token);

/* --- routes and body limits (auth.c) --- */
enum mx_route {
	MX_ROUTE_NONE,		/* 404 M_UNRECOGNIZED */
	MX_ROUTE_BAD_METHOD,	/* known path, wrong method: 405 */
	MX_ROUTE_TXN,		/* PUT  /_matrix/app/v1/transactions/{txnId} */
	MX_ROUTE_USER,		/* GET  /_matrix/app/v1/users/{userId} */
	MX_ROUTE_ROOM,		/* GET  /_matrix/app/v1/rooms/{alias} */
	MX_ROUTE_PING,		/* POST /_matrix/app/v1/ping */
	MX_ROUTE_LIVE,		/* GET  /_matrix/mau/live (no auth) */
	MX_ROUTE_READY,		/* GET  /_matrix/mau/ready (no auth) */
};
/* path is the decoded path.  *param (owned) is set for TXN/USER/ROOM. */
enum mx_route mx__route(const char *method, const char *path, char **param);
size_t mx__route_body_max(enum mx_route r);
/* Parse a Content-Length value; U_ERR_INVALID if malformed, MX_ERR_TOO_BIG
 * if above max. */
int mx__content_length(const char *s, size_t max, size_t *out);

/* --- transactions (txn.c) --- */
struct mx_txn {
	json_t	*root;		/* owned */
	json_t	*events;	/* borrowed from root: array of objects */
	json_t	*ephemeral;	/* borrowed from root: array or NULL */
};
/* Decode (duplicate keys rejected) and validate a transaction body.
 * Events that are not objects with string type/sender/room_id are
 * removed (and counted in *dropped if non-NULL).  Returns 0,
 * MX_ERR_BAD_JSON, MX_ERR_INVALID or MX_ERR_TOO_BIG. */
int mx__txn_parse(const void *body, size_t len, struct mx_txn *out,
    size_t *dropped);
void mx__txn_clear(struct mx_txn *t);

struct mx_txn_cache {
	struct {
		char		*id;	/* owned */
		uint8_t		 hash[32];
		uint64_t	 at_ms;
	} slot[MX_TXN_CACHE_SLOTS];
	unsigned	next;
};
/* 1 if (id, sha256(body)) was recorded within the TTL. */
int mx__txn_cache_seen(struct mx_txn_cache *c, const char *id,
    const void *body, size_t len, uint64_t now_ms);
void mx__txn_cache_add(struct mx_txn_cache *c, const char *id,
    const void *body, size_t len, uint64_t now_ms);
void mx__txn_cache_clear(struct mx_txn_cache *c);

/* --- our namespace and the echo filter (txn.c) --- */
struct mx_ns {
	char	*bot_id;	/* owned: @bot:domain */
	char	*prefix;	/* owned: template part before {{.}} */
	char	*suffix;	/* owned: template part after {{.}} */
	char	*domain;	/* owned */
	char	*dp_source;	/* owned: our fi.mau.double_puppet_source */
};
int mx__ns_init(struct mx_ns *ns, const char *bot_localpart,
    const char *username_template, const char *domain, const char *dp_source);
void mx__ns_clear(struct mx_ns *ns);
int mx__ns_is_ours(const struct mx_ns *ns, const char *user_id);
/* 1 if a room event must not reach the bridge core: sent by the bot or
 * a ghost, or by a double puppet of ours (our source marker, same ts). */
int mx__event_is_echo(const struct mx_ns *ns, json_t *ev);
/* Strip our users out of an ephemeral event in place; returns 1 if
 * something is left to deliver. */
int mx__ephemeral_filter(const struct mx_ns *ns, json_t *ev);
/* Localpart charset of the Matrix spec (a-z 0-9 . _ = - /), plus '+'. */
int mx__localpart_ok(const char *s, size_t n);
int mx__user_id_ok(const char *s);

/* --- retries (http.c) --- */
enum mx_neterr {
	MX_NET_OK,		/* an HTTP answer arrived */
	MX_NET_NOT_SENT,	/* failed before the request left (connect) */
	MX_NET_FAILED,		/* failed after sending (reset, timeout) */
};
/*
 * Whether to retry a finished attempt and after how long.
 * status: HTTP status (0 if none); retry_after: Retry-After header value
 * or NULL; body: parsed error body or NULL; idempotent: the request may
 * be repeated after it was sent.  Returns 1 and *delay_ms, or 0.
 */
int mx__retry_decide(enum mx_neterr net, int status, int idempotent,
    const char *retry_after, json_t *body, unsigned attempt,
    unsigned base_ms, uint64_t *delay_ms);
/* Longest delay a 429 may ask for before we give up waiting on it. */
#define MX_RETRY_AFTER_MAX_MS	60000u
#define MX_BACKOFF_MAX_MS	10000u

/* Percent-encode one path segment or query value (owned). */
char *mx__esc(const char *s);
/* Validate "mxc://server/mediaId"; on success *server and *media (owned). */
int mx__mxc_parse(const char *mxc, char **server, char **media);

/* --- the client side: libcurl multi on the loop (http.c) --- */
struct u_loop;
struct mx_http;

struct mx_http_opts {
	const char	*method;	/* "GET", "PUT", "POST", "DELETE" */
	const char	*url;		/* full URL, percent-encoded */
	const char	*token;		/* Bearer token or NULL */
	const void	*body;		/* copied; NULL: none */
	size_t		 body_len;
	const char	*content_type;	/* for body; NULL: application/json */
	int		 idempotent;	/* safe to repeat once sent */
	size_t		 max_resp;	/* response cap; 0: MX_RESP_MAX */
	unsigned	 timeout_ms;	/* whole call including retries */
	mx_done_fn	 done;		/* JSON reply, or: */
	mx_data_fn	 data_done;	/* raw bytes (media download) */
	void		*arg;
	/* Cancellation key (mx__http_cancel_arg); NULL: arg.  When arg is a
	 * wrapper owned by the request, free_arg releases it if the request
	 * is dropped without calling back. */
	void		*owner;
	void		(*free_arg)(void *arg);
};
/* Largest JSON reply we buffer from the homeserver (state dumps). */
#define MX_RESP_MAX		((size_t)16 << 20)
/* One attempt never waits longer than this. */
#define MX_ATTEMPT_TIMEOUT_MS	60000u

struct mx_http *mx__http_new(struct u_loop *loop, unsigned retry_base_ms);
/* Drops every request without calling back. */
void mx__http_free(struct mx_http *h);
/* Queue a request; returns its id (> 0).  The callback is called exactly
 * once, later, unless cancelled. */
uint64_t mx__http_start(struct mx_http *h, const struct mx_http_opts *o);
void mx__http_cancel_arg(struct mx_http *h, void *arg);
/* Drop every request without calling back. */
void mx__http_cancel_all(struct mx_http *h);
size_t mx__http_pending(const struct mx_http *h);

/* --- the appservice HTTP server (server.c) and what it calls --- */
struct mx_server;
int mx__server_new(struct mx_appservice *as, struct u_loop *loop,
    const char *host, int port, struct mx_server **out);
void mx__server_free(struct mx_server *s);
int mx__server_port(const struct mx_server *s);

/* Reply to a query that completes later; key identifies the request. */
typedef void (*mx_reply_fn)(void *key, int status);

const char *mx__as_hs_token(const struct mx_appservice *as);
/* Handle one transaction body; sets the HTTP status and JSON reply
 * (owned).  Never fails for the caller. */
void mx__as_handle_txn(struct mx_appservice *as, const char *txn_id,
    const uint8_t *body, size_t len, int *status, char **reply);
/* Returns an HTTP status now, or 0 and calls reply(key, status) later.
 * mx__as_query_cancel(key) before key goes away. */
int mx__as_user_query(struct mx_appservice *as, const char *user_id,
    mx_reply_fn reply, void *key);
void mx__as_query_cancel(struct mx_appservice *as, void *key);
int mx__as_room_query(struct mx_appservice *as, const char *alias);
int mx__as_ready(const struct mx_appservice *as);

#endif
