/*
 * server.c: the appservice HTTP server, libwebsockets on the shared libuv
 * loop (a foreign loop).  Routes, the hs_token check, body limits and JSON
 * error replies; what to do with a request is appservice.c's.
 *
 * Order for every request: route -> (health routes: answer) -> hs_token
 * (401 M_UNAUTHORIZED when missing, 403 M_FORBIDDEN when wrong) ->
 * Content-Length against the route's limit (413 before reading a byte)
 * -> body, capped as it arrives (chunked bodies too) -> handler.
 * An error answered before the body was read closes the connection, so a
 * half-read body can never be taken for the next request.
 *
 * Does not: serve TLS, thirdparty routes (404 M_UNRECOGNIZED, as mautrix),
 * legacy unprefixed paths, or ?access_token=.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "matrix/mx_int.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

struct mx_server {
	struct mx_appservice	*as;	/* borrowed */
	struct u_loop		*loop;	/* borrowed */
	struct lws_context	*ctx;	/* owned */
	struct lws_vhost	*vh;	/* borrowed from ctx */
	int			 port;
};

/* Per connection; reset for each request on a kept-alive connection. */
struct pss {
	struct mx_server	*srv;
	enum mx_route		 route;
	char			*param;		/* owned */
	struct u_buf		 body;		/* owned */
	int			 body_on;
	int			 pending;	/* async query in flight */
	int			 resp_status;
	char			*resp;		/* owned JSON, waiting for WRITEABLE */
	struct lws		*wsi;
};

static const char *
method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return "GET";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
		return "POST";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
		return "PUT";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
		return "DELETE";
	return "OTHER";
}

static void
pss_reset(struct pss *p)
{
	free(p->param);
	p->param = NULL;
	free(p->resp);
	p->resp = NULL;
	if (p->body_on)
		u_buf_free(&p->body);
	p->body_on = 0;
	p->pending = 0;
	p->route = MX_ROUTE_NONE;
}

/*
 * Write status + JSON, then end the request.  Returns what the lws
 * callback must return.  The pss is reset first: completing the
 * transaction lets lws free or reuse it.
 */
static int
respond(struct lws *wsi, struct pss *ps, int status, const char *json,
    int close_after)
{
	size_t n = strlen(json);
	uint8_t hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start;
	uint8_t *end = hdr + sizeof(hdr) - 1, *buf;
	int r;

	if (lws_add_http_common_headers(wsi, (unsigned)status,
	    "application/json", n, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	buf = u_malloc(LWS_PRE + n);
	memcpy(buf + LWS_PRE, json, n);
	r = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
	free(buf);
	pss_reset(ps);
	if (r < (int)n)
		return -1;
	if (close_after)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
respond_err(struct lws *wsi, struct pss *ps, int status, const char *errcode,
    const char *msg, int close_after)
{
	char *j = u_asprintf("{\"errcode\":\"%s\",\"error\":\"%s\"}", errcode, msg);
	int r = respond(wsi, ps, status, j, close_after);

	free(j);
	return r;
}

/* Answer later, from WRITEABLE. */
static void
defer_reply(struct pss *p, int status, char *json)
{
	free(p->resp);
	p->resp_status = status;
	p->resp = json;
	lws_callback_on_writable(p->wsi);
}

static void
query_done(void *key, int status)
{
	struct pss *p = key;

	p->pending = 0;
	defer_reply(p, status, u_strdup(status == 200 ? "{}" :
	    "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no such user\"}"));
}

static int on_body_done(struct lws *, struct pss *);

static int
on_request(struct lws *wsi, struct pss *p, const char *path)
{
	struct mx_appservice *as = p->srv->as;
	const char *method = method_of(wsi);
	int has_body = strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
	char auth[MX_AUTH_HEADER_MAX + 1], cl[32];
	size_t len;
	int rc, st;

	pss_reset(p);
	p->wsi = wsi;
	p->route = mx__route(method, path, &p->param);
	switch (p->route) {
	case MX_ROUTE_NONE:
		return respond_err(wsi, p, 404, "M_UNRECOGNIZED", "Unrecognized request", has_body);
	case MX_ROUTE_BAD_METHOD:
		return respond_err(wsi, p, 405, "M_UNRECOGNIZED", "Unsupported method", has_body);
	case MX_ROUTE_LIVE:
		return respond(wsi, p, 200, "{}", 0);
	case MX_ROUTE_READY:
		return mx__as_ready(as) ? respond(wsi, p, 200, "{}", 0) :
		    respond_err(wsi, p, 503, "M_NOT_READY", "Not ready", 0);
	default:
		break;
	}
	auth[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > MX_AUTH_HEADER_MAX)
		rc = MX_ERR_BAD_TOKEN;
	else {
		if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
			auth[0] = '\0';
		rc = mx__auth_check(auth[0] ? auth : NULL, mx__as_hs_token(as));
	}
	lws_explicit_bzero(auth, sizeof(auth));
	if (rc == MX_ERR_NO_TOKEN) {
		logp_warnx("mx-as", "%s request without hs_token", method);
		return respond_err(wsi, p, 401, "M_UNAUTHORIZED", "Missing token", has_body);
	}
	if (rc != 0) {
		logp_warnx("mx-as", "%s request with a wrong hs_token", method);
		return respond_err(wsi, p, 403, "M_FORBIDDEN", "Bad token", has_body);
	}
	switch (p->route) {
	case MX_ROUTE_USER:
		st = mx__as_user_query(as, p->param, query_done, p);
		if (st == 0) {
			p->pending = 1;
			return 0;
		}
		return st == 200 ? respond(wsi, p, 200, "{}", 0) :
		    respond_err(wsi, p, 404, "M_NOT_FOUND", "No such user", 0);
	case MX_ROUTE_ROOM:
		st = mx__as_room_query(as, p->param);
		return st == 200 ? respond(wsi, p, 200, "{}", 0) :
		    respond_err(wsi, p, 404, "M_NOT_FOUND", "No such room", 0);
	default:
		break;
	}
	/* TXN and PING carry a body: check its announced size first.
	 * Homeservers send Content-Length; lws 4.1 does not decode chunked
	 * request bodies, so those get 411.  No length at all means no
	 * body (RFC 9112), handled at once rather than waited for. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
		if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
			return respond_err(wsi, p, 411, "M_UNKNOWN", "Length required", 1);
		len = 0;
	} else {
		if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0)
			return respond_err(wsi, p, 413, "M_TOO_LARGE", "Body too large", 1);
		rc = mx__content_length(cl, mx__route_body_max(p->route), &len);
		if (rc == MX_ERR_TOO_BIG)
			return respond_err(wsi, p, 413, "M_TOO_LARGE", "Body too large", 1);
		if (rc != 0)
			return respond_err(wsi, p, 400, "M_BAD_JSON", "Bad Content-Length", 1);
	}
	u_buf_init(&p->body, mx__route_body_max(p->route));
	p->body_on = 1;
	if (len == 0)
		return on_body_done(wsi, p);
	if (u_buf_reserve(&p->body, len) != 0)
		return respond_err(wsi, p, 413, "M_TOO_LARGE", "Body too large", 1);
	return 0;
}

static int
on_body_done(struct lws *wsi, struct pss *p)
{
	int status = 500, r;
	char *reply = NULL;
	json_t *js;

	if (!p->body_on)
		return respond_err(wsi, p, 400, "M_NOT_JSON", "No body", 1);
	if (p->route == MX_ROUTE_TXN) {
		mx__as_handle_txn(p->srv->as, p->param, p->body.p, p->body.len,
		    &status, &reply);
		r = respond(wsi, p, status, reply, 0);
		free(reply);
		return r;
	}
	/* Ping: the body is {"transaction_id": ...}; only check it is JSON. */
	js = json_loadb((const char *)p->body.p, p->body.len,
	    JSON_REJECT_DUPLICATES, NULL);
	r = json_is_object(js) ? respond(wsi, p, 200, "{}", 0) :
	    respond_err(wsi, p, 400, "M_NOT_JSON", "Bad JSON", 0);
	if (json_is_object(js))
		logp_debug("mx-as", "ping from the homeserver");
	json_decref(js);
	return r;
}

static int
cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss *p = user;

	/* lws may call with no per-request data (after the request was
	 * completed or on a closing connection). */
	if (p == NULL)
		return reason == LWS_CALLBACK_HTTP_BODY ||
		    reason == LWS_CALLBACK_HTTP_BODY_COMPLETION ? -1 :
		    lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		p->srv = lws_context_user(lws_get_context(wsi));
		return on_request(wsi, p, in);
	case LWS_CALLBACK_HTTP_BODY:
		if (!p->body_on)
			return -1;
		if (u_buf_add(&p->body, in, len) != 0) {
			logp_warnx("mx-as", "request body over its limit (%zu)",
			    p->body.cap);
			return respond_err(wsi, p, 413, "M_TOO_LARGE", "Body too large", 1);
		}
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return on_body_done(wsi, p);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (p->resp == NULL)
			return 0;
		return respond(wsi, p, p->resp_status, p->resp, 0);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (p->srv != NULL && p->pending)
			mx__as_query_cancel(p->srv->as, p);
		pss_reset(p);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ "http", cb_http, sizeof(struct pss), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/*
 * lws can come up without a listening socket and not say so through its
 * API; a homeserver would then get "connection refused" on every push.
 * For a numeric IPv4 address, knock once: the kernel completes a connect
 * to a listening socket at once (lws then sees an empty connection).
 */
static int
listening(const char *host, int port)
{
	struct sockaddr_in sa;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 1;	/* a name or IPv6: trust lws */
	if (sa.sin_addr.s_addr == htonl(INADDR_ANY))
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 1;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r != 0)
		logp_warn("mx-as", "nothing listens on %s:%d", host, port);
	close(fd);
	return r == 0;
}

/*
 * Before handing the port to lws: can it be bound?  lws 4.1 survives a
 * failed bind with a context that has no vhost and then crashes while
 * destroying it, so a taken port must be caught here.
 */
static int
bindable(const char *host, int port)
{
	struct sockaddr_in sa;
	int fd, one = 1, r;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (port == 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r != 0)
		logp_warn("mx-as", "cannot bind %s:%d", host, port);
	close(fd);
	return r == 0;
}

int
mx__server_new(struct mx_appservice *as, struct u_loop *loop,
    const char *host, int port, struct mx_server **out)
{
	struct lws_context_creation_info info;
	struct mx_server *s = u_calloc(1, sizeof(*s));
	void *foreign[1];
	int r = MX_ERR_LISTEN;

	s->as = as;
	s->loop = loop;
	if (!bindable(host, port))
		goto out;
	foreign[0] = u_loop_uv(loop);
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBUV;
	info.foreign_loops = foreign;
	info.user = s;
	/* Headers of Synapse's requests are small; bodies stream. */
	info.max_http_header_data = 4096;
	info.timeout_secs = 30;
	s->ctx = lws_create_context(&info);
	if (s->ctx == NULL)
		goto out;
	/* lws 4.1 returns a context even when binding failed ("Failed to
	 * create default vhost"): no vhost means no listener. */
	s->vh = lws_get_vhost_by_name(s->ctx, "default");
	if (s->vh == NULL) {
		/* Lost a race for the port after bindable(): destroying
		 * this half-made context crashes lws 4.1, so leak it. */
		logp_warnx("mx-as", "libwebsockets could not listen on port %d", port);
		s->ctx = NULL;
		goto out;
	}
	s->port = lws_get_vhost_listen_port(s->vh);
	if (s->port <= 0 || !listening(host, s->port))
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	mx__server_free(s);
	return r;
}

void
mx__server_free(struct mx_server *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->ctx != NULL) {
		/* On a foreign loop lws closes its handles asynchronously:
		 * the first destroy starts it, the loop must turn until the
		 * handles are closed, and a second destroy frees the context
		 * (lws 4.1).  Hence "only while the loop is not running". */
		lws_context_destroy(s->ctx);
		for (i = 0; i < 64; i++)
			if (uv_run(u_loop_uv(s->loop), UV_RUN_NOWAIT) == 0)
				break;
		lws_context_destroy(s->ctx);
	}
	free(s);
}

int
mx__server_port(const struct mx_server *s)
{
	return s->port;
}
