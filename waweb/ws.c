/*
 * ws.c: libwebsockets client for the WhatsApp connection (see ws.h).
 *
 * The lws context runs on the process's libuv loop (foreign loop).  The
 * wsi's opaque user data points at our struct conn; detaching (our own
 * disconnect) clears it so late lws callbacks for a dead connection find
 * nothing and do nothing.
 *
 * Headers: Origin https://web.whatsapp.com (sent raw, not "http://"-
 * prefixed); lws itself adds Cache-Control and Pragma no-cache, which
 * whatsmeow sends too; no websocket subprotocol.
 *
 * Limits: WS_SENDQ_MAX bytes may wait to be written; past it the
 * connection is dropped (the server stopped reading).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/ws.h"

/* 64 MiB of unsent data means the peer is not reading: give up. */
#define WS_SENDQ_MAX ((size_t)64 << 20)

struct out_msg {
	struct out_msg	*next;
	size_t		 len;
	uint8_t		 buf[];	/* LWS_PRE bytes of headroom, then len bytes */
};

struct conn {
	struct wa__ws	*ws;	/* back pointer; NULL once detached */
	struct lws	*wsi;
	int		 open;
	struct out_msg	*head, *tail;	/* owned */
	size_t		 queued;
};

struct wa__ws {
	struct u_loop		*loop;		/* borrowed */
	struct lws_context	*ctx;		/* borrowed: the shared context */
	struct wa__ws_cbs	 cbs;
	void			*arg;
	struct conn		*cur;		/* owned; NULL when not connected */
};

static int
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

int
wa__url_parse(const char *url, struct wa__url *out)
{
	struct wa__url u;
	const char *p, *h, *he, *pe;
	char *end;
	long port;
	size_t n;

	memset(&u, 0, sizeof(u));
	if (strncmp(url, "wss://", 6) == 0) {
		u.tls = 1;
		u.port = 443;
		p = url + 6;
	} else if (strncmp(url, "ws://", 5) == 0) {
		u.port = 80;
		p = url + 5;
	} else
		return U_ERR_INVALID;
	if (*p == '[') {		/* [v6]:port */
		h = p + 1;
		if ((he = strchr(h, ']')) == NULL)
			return U_ERR_INVALID;
		p = he + 1;
	} else {
		h = p;
		he = p + strcspn(p, ":/?#");
		p = he;
	}
	n = (size_t)(he - h);
	if (n == 0 || n > WA_URL_HOST_MAX)
		return U_ERR_INVALID;
	memcpy(u.host, h, n);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)u.host[i]) && strchr(".-_:", u.host[i]) == NULL)
			return U_ERR_INVALID;
	if (*p == ':') {
		port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535)
			return U_ERR_INVALID;
		p = end;
	} else
		port = u.port;
	u.port = (int)port;
	if (*p != '\0' && *p != '/')
		return U_ERR_INVALID;
	pe = *p == '/' ? p : "/";
	if (strlen(pe) > WA_URL_PATH_MAX || strpbrk(pe, " \r\n") != NULL)
		return U_ERR_INVALID;
	strcpy(u.path, pe);
	/* Plain websockets only to this machine: the simulator in tests. */
	if (!u.tls && !host_is_loopback(u.host))
		return U_ERR_INVALID;
	*out = u;
	return 0;
}

static void
conn_free(struct conn *c)
{
	struct out_msg *m;

	if (c == NULL)
		return;
	while ((m = c->head) != NULL) {
		c->head = m->next;
		free(m);
	}
	free(c);
}

/* Called once per connection: the connection is over. */
static void
conn_closed(struct conn *c, const char *why)
{
	struct wa__ws *ws = c->ws;

	if (c->wsi != NULL)
		lws_set_opaque_user_data(c->wsi, NULL);
	c->wsi = NULL;
	if (ws == NULL) {
		conn_free(c);
		return;
	}
	ws->cur = NULL;
	conn_free(c);
	if (ws->cbs.on_close != NULL)
		ws->cbs.on_close(ws->arg, why);
}

static int
ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	struct conn *c = wsi != NULL ? lws_get_opaque_user_data(wsi) : NULL;
	struct out_msg *m;
	int n;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c == NULL || c->ws == NULL)
			return -1;
		c->open = 1;
		if (c->head != NULL)
			lws_callback_on_writable(wsi);
		if (c->ws->cbs.on_open != NULL)
			c->ws->cbs.on_open(c->ws->arg);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c == NULL || c->ws == NULL)
			return -1;
		if (!lws_frame_is_binary(wsi)) {
			conn_closed(c, "server sent a text websocket message");
			return -1;
		}
		if (len > 0 && c->ws->cbs.on_data != NULL)
			c->ws->cbs.on_data(c->ws->arg, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c == NULL || c->ws == NULL)
			return -1;
		if ((m = c->head) == NULL)
			return 0;
		c->head = m->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->queued -= m->len;
		n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_BINARY);
		free(m);
		if (n < 0) {
			conn_closed(c, "websocket write failed");
			return -1;
		}
		if (c->head != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c != NULL) {
			log_debug("wa ws: connection error: %s",
			    in != NULL ? (const char *)in : "?");
			conn_closed(c, "cannot connect to the websocket");
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c != NULL)
			conn_closed(c, "websocket closed");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (c != NULL)
			conn_closed(c, "websocket closed");
		return 0;
	default:
		return 0;
	}
}

static void
lws_log_line(int level, const char *line)
{
	log_debug("lws: %.*s", (int)strcspn(line, "\n"), line);
}

static const struct lws_protocols protocols[] = {
	{ "ponton-wa", ws_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/*
 * One lws client context for every client on the loop: each context loads
 * the CA bundle into its own TLS context, which a bridge with many logins
 * should not repeat.  Created with the first client, destroyed by
 * wa__ws_shutdown outside the loop (see there).
 */
static struct {
	struct lws_context	*ctx;
	struct u_loop		*loop;		/* borrowed */
	unsigned		 users;
} shared;

static struct lws_context *
shared_ctx(struct u_loop *loop)
{
	struct lws_context_creation_info info;
	void *loops[1];

	if (shared.ctx != NULL) {
		if (shared.loop != loop)
			fatalx("wa ws: clients on two event loops");
		return shared.ctx;
	}
	/* lws' own notices go to our debug log, errors and warnings too:
	 * what matters is reported by the callbacks. */
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_line);
	loops[0] = u_loop_uv(loop);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
	info.foreign_loops = loops;
	/* Debian's CA bundle: TLS to web.whatsapp.com is checked against it. */
	info.client_ssl_ca_filepath = "/etc/ssl/certs/ca-certificates.crt";
	shared.ctx = lws_create_context(&info);
	if (shared.ctx == NULL)
		fatalx("wa ws: cannot create the libwebsockets context");
	shared.loop = loop;
	return shared.ctx;
}

struct wa__ws *
wa__ws_new(struct u_loop *loop, const struct wa__ws_cbs *cbs, void *arg)
{
	struct wa__ws *ws = u_calloc(1, sizeof(*ws));

	ws->loop = loop;
	ws->cbs = *cbs;
	ws->arg = arg;
	ws->ctx = shared_ctx(loop);
	shared.users++;
	return ws;
}

void
wa__ws_free(struct wa__ws *ws)
{
	if (ws == NULL)
		return;
	wa__ws_disconnect(ws);
	shared.users--;
	free(ws);
}

void
wa__ws_shutdown(struct u_loop *loop)
{
	if (shared.ctx == NULL || shared.loop != loop)
		return;
	if (shared.users != 0) {
		log_warnx("wa ws: %u clients still alive at shutdown", shared.users);
		return;
	}
	lws_context_destroy(shared.ctx);
	/*
	 * On a foreign loop lws closes its libuv handles asynchronously and
	 * closes some more from those close callbacks.  Let it finish now:
	 * if the loop's owner closed everything still open first (as
	 * u_loop_free does), lws would close a handle twice and abort.  Once
	 * its handles are down, lws 4.1 only frees the context (vhosts, TLS
	 * contexts) on a second lws_context_destroy call.  Running the loop
	 * here is why this must not be called from a loop callback.
	 */
	for (int i = 0; i < 64; i++)
		uv_run(u_loop_uv(loop), UV_RUN_NOWAIT);
	lws_context_destroy(shared.ctx);
	shared.ctx = NULL;
	shared.loop = NULL;
}

int
wa__ws_connect(struct wa__ws *ws, const struct wa__url *url)
{
	struct lws_client_connect_info ci;
	struct conn *c;
	char hosthdr[WA_URL_HOST_MAX + 8];

	wa__ws_disconnect(ws);
	c = u_calloc(1, sizeof(*c));
	c->ws = ws;
	ws->cur = c;
	if ((url->tls && url->port == 443) || (!url->tls && url->port == 80))
		snprintf(hosthdr, sizeof(hosthdr), "%s", url->host);
	else
		snprintf(hosthdr, sizeof(hosthdr), "%s:%d", url->host, url->port);
	memset(&ci, 0, sizeof(ci));
	ci.context = ws->ctx;
	ci.address = url->host;
	ci.port = url->port;
	ci.path = url->path;
	ci.host = hosthdr;
	ci.origin = WA_ORIGIN;
	ci.ssl_connection = url->tls ? LCCSCF_USE_SSL : 0;
	ci.local_protocol_name = protocols[0].name;
	ci.opaque_user_data = c;
	ci.pwsi = &c->wsi;
	if (lws_client_connect_via_info(&ci) == NULL) {
		/* lws may already have called CONNECTION_ERROR (which freed c
		 * and cleared ws->cur); only clean up if it did not. */
		if (ws->cur == c) {
			ws->cur = NULL;
			conn_free(c);
		}
		return U_ERR_IO;
	}
	return 0;
}

int
wa__ws_send(struct wa__ws *ws, const uint8_t *p, size_t n)
{
	struct conn *c = ws->cur;
	struct out_msg *m;

	if (c == NULL || c->wsi == NULL)
		return U_ERR_IO;
	if (c->queued + n > WS_SENDQ_MAX)
		return U_ERR_TOO_BIG;
	m = u_malloc(sizeof(*m) + LWS_PRE + n);
	m->next = NULL;
	m->len = n;
	memcpy(m->buf + LWS_PRE, p, n);
	if (c->tail != NULL)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued += n;
	if (c->open)
		lws_callback_on_writable(c->wsi);
	return 0;
}

void
wa__ws_disconnect(struct wa__ws *ws)
{
	struct conn *c = ws->cur;

	if (c == NULL)
		return;
	ws->cur = NULL;
	if (c->wsi != NULL) {
		lws_set_opaque_user_data(c->wsi, NULL);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
	}
	conn_free(c);
}
