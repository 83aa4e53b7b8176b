/*
 * server.c: wasim's libwebsockets context on the u_loop.  Two vhosts, both
 * bound to the loopback address main.c validated:
 *
 *   ws     WebSocket upgrades on /ws/chat only, one struct sim_conn each;
 *          no extensions offered (clients must cope without
 *          permessage-deflate, and both do).
 *   admin  plain HTTP/1.1 for the admin API (admin.c); bodies are capped at
 *          SIM_ADMIN_BODY_MAX before they are buffered.  Plain HTTP
 *          requests on the ws port reach the same API (Baileys' e2e
 *          harness posts its QR to the socket's host and port).
 *   wss    (--wss-port only) the same as ws over TLS, with the media
 *          server's self-signed certificate (media.c makes it): Baileys'
 *          own e2e suite dials wss:// with an https.Agent and cannot use
 *          plain ws.  Same protocol callback, so the same admin paths.
 *
 * Does not: know anything about WhatsApp (conn.c and admin.c do).
 * Invariants: lws calls us on the loop thread only; output is written only
 * from writable callbacks.
 */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#define WS_PATH "/ws/chat"

struct ws_pss {
	struct sim_conn	*conn;	/* owned by struct sim's list, not by us */
};

struct admin_pss {
	char		 method[8];
	char		 path[256];
	char		 query[512];
	struct u_buf	 body;		/* owned */
	bool		 too_big;
	bool		 bad_chunk;	/* malformed chunked framing */
	bool		 chunked;	/* Transfer-Encoding: chunked */
	bool		 done;		/* body complete, answer under way */
	int		 ck_state;	/* enum ck_state */
	size_t		 ck_left;	/* bytes left in the current chunk */
	char		*resp;		/* owned JSON */
	size_t		 resp_len;
	int		 status;
};

/* The websocket port serves both: one pss holds either kind of state. */
struct chat_pss {
	struct ws_pss		ws;
	struct admin_pss	admin;
};

static struct sim *
sim_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

void
sim_server_want_write(struct sim_conn *c)
{
	if (c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
}

/* --- Admin HTTP ------------------------------------------------------------ */

static void
admin_reset(struct admin_pss *p)
{
	u_buf_free(&p->body);
	free(p->resp);
	memset(p, 0, sizeof(*p));
	u_buf_init(&p->body, SIM_ADMIN_BODY_MAX);
}

static void
admin_respond(struct lws *wsi, struct admin_pss *p)
{
	struct sim *s = sim_of(wsi);
	const char *body = p->body.p != NULL ? (const char *)p->body.p : "";

	if (p->done)
		return;
	p->done = true;
	if (p->bad_chunk) {
		p->status = 400;
		p->resp = u_strdup("{\"error\":\"bad chunked body\"}");
	} else if (p->too_big) {
		p->status = 413;
		p->resp = u_strdup("{\"error\":\"body too large\"}");
	} else {
		/* The body is NUL-terminated for the handler (u_buf keeps
		 * room: add then drop a NUL). */
		if (u_buf_add_u8(&p->body, 0) == 0) {
			p->body.len--;
			body = (const char *)p->body.p;
		}
		p->resp = sim_admin_handle(s, p->method, p->path, p->query,
		    body, p->body.len, &p->status);
	}
	p->resp_len = strlen(p->resp);
	lws_callback_on_writable(wsi);
}

static int
admin_write(struct lws *wsi, struct admin_pss *p)
{
	uint8_t *buf, *start, *q, *end;
	size_t hdr_room = 512;
	int r = -1;

	if (p->resp == NULL)
		return 0;
	buf = u_malloc(LWS_PRE + hdr_room + p->resp_len + 1);
	start = q = buf + LWS_PRE;
	end = start + hdr_room;
	/*
	 * After a chunked body lws 4.1 cannot take a second request on the
	 * connection (the client's next request on it is dropped): say so
	 * and close it once answered.
	 */
	if (lws_add_http_common_headers(wsi, (unsigned)p->status,
	    "application/json", (lws_filepos_t)p->resp_len, &q, end) ||
	    (p->chunked && lws_add_http_header_by_token(wsi,
	    WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &q,
	    end)) ||
	    lws_finalize_write_http_header(wsi, start, &q, end))
		goto out;
	memcpy(buf + LWS_PRE, p->resp, p->resp_len);
	if (lws_write(wsi, buf + LWS_PRE, p->resp_len, LWS_WRITE_HTTP_FINAL) !=
	    (int)p->resp_len)
		goto out;
	free(p->resp);
	p->resp = NULL;
	if (p->chunked)
		goto out;	/* r = -1: lws closes the connection */
	r = lws_http_transaction_completed(wsi) ? -1 : 0;
out:
	free(buf);
	return r;
}

/*
 * lws 4.1 hands a chunked request body to us still framed (and never calls
 * BODY_COMPLETION for it): decode it here.  Sizes are checked against
 * SIM_ADMIN_BODY_MAX before anything is kept; trailers are skipped.
 */
enum ck_state {
	CK_SIZE = 0,	/* hex digits of a chunk size */
	CK_EXT,		/* chunk extension up to LF */
	CK_DATA,	/* ck_left bytes of data */
	CK_DATA_CR,	/* CR after the data */
	CK_DATA_LF,	/* LF after the data */
	CK_TRAILER,	/* start of a trailer line, or the final CRLF */
	CK_TRAILER_LINE, /* rest of a trailer line up to LF */
	CK_END_LF,	/* LF of the final CRLF */
};

/* Returns 1 once the body is complete, 0 for more, -1 when malformed. */
static int
chunked_feed(struct admin_pss *p, const uint8_t *in, size_t len)
{
	size_t i = 0, n;
	int v;
	uint8_t c;

	while (i < len) {
		c = in[i];
		switch (p->ck_state) {
		case CK_SIZE:
			i++;
			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v = c - 'A' + 10;
			else if (c == ';' || c == '\r' || c == '\n') {
				p->ck_state = c == '\n' ? (p->ck_left > 0 ?
				    CK_DATA : CK_TRAILER) : CK_EXT;
				break;
			} else
				return -1;
			if (p->ck_left > SIM_ADMIN_BODY_MAX) {
				p->too_big = true;
				return -1;
			}
			p->ck_left = p->ck_left * 16 + (size_t)v;
			break;
		case CK_EXT:
			i++;
			if (c == '\n')
				p->ck_state = p->ck_left > 0 ? CK_DATA :
				    CK_TRAILER;
			break;
		case CK_DATA:
			n = len - i < p->ck_left ? len - i : p->ck_left;
			if (!p->too_big && u_buf_add(&p->body, in + i, n) != 0)
				p->too_big = true;
			i += n;
			p->ck_left -= n;
			if (p->ck_left == 0)
				p->ck_state = CK_DATA_CR;
			break;
		case CK_DATA_CR:
		case CK_DATA_LF:
			i++;
			if (c == '\r' && p->ck_state == CK_DATA_CR)
				p->ck_state = CK_DATA_LF;
			else if (c == '\n')
				p->ck_state = CK_SIZE;
			else
				return -1;
			break;
		case CK_TRAILER:
			i++;
			if (c == '\n')
				return 1;
			p->ck_state = c == '\r' ? CK_END_LF : CK_TRAILER_LINE;
			break;
		case CK_TRAILER_LINE:
			i++;
			if (c == '\n')
				p->ck_state = CK_TRAILER;
			break;
		case CK_END_LF:
			i++;
			return c == '\n' ? 1 : -1;
		default:
			return -1;
		}
	}
	return 0;
}

static bool
is_chunked(struct lws *wsi)
{
	char te[64];

	if (lws_hdr_copy(wsi, te, sizeof(te),
	    WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0)
		return false;
	return strstr(te, "chunked") != NULL;
}

static int
admin_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct admin_pss *p = user;
	char cl[32];
	long want;

	if (p == NULL)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		admin_reset(p);
		snprintf(p->path, sizeof(p->path), "%s", (const char *)in);
		if (lws_hdr_copy(wsi, p->query, sizeof(p->query),
		    WSI_TOKEN_HTTP_URI_ARGS) < 0)
			p->query[0] = '\0';
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
			snprintf(p->method, sizeof(p->method), "POST");
		else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
			snprintf(p->method, sizeof(p->method), "GET");
		else if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0)
			snprintf(p->method, sizeof(p->method), "DELETE");
		else {
			lws_return_http_status(wsi, 405, NULL);
			return -1;
		}
		if (strcmp(p->method, "POST") != 0) {
			admin_respond(wsi, p);
			return 0;
		}
		want = 0;
		if (lws_hdr_copy(wsi, cl, sizeof(cl),
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
			want = strtol(cl, NULL, 10);
		if (want < 0 || (size_t)want > SIM_ADMIN_BODY_MAX) {
			p->too_big = true;
			admin_respond(wsi, p);
			return 0;
		}
		/*
		 * No body: lws will not call BODY_COMPLETION.  A chunked body
		 * (node's http.request without a Content-Length, as Baileys'
		 * mock-phone.ts sends the QR) has none either, but lws
		 * decodes it and ends it with BODY_COMPLETION.
		 */
		p->chunked = want == 0 && is_chunked(wsi);
		if (want == 0 && !p->chunked)
			admin_respond(wsi, p);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (p->done)
			return 0;
		if (p->chunked) {
			int r = chunked_feed(p, in, len);

			if (r < 0 && !p->too_big)
				p->bad_chunk = true;
			if (r != 0)
				admin_respond(wsi, p);
			return 0;
		}
		if (!p->too_big && u_buf_add(&p->body, in, len) != 0)
			p->too_big = true;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		admin_respond(wsi, p);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return admin_write(wsi, p);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		u_buf_free(&p->body);
		free(p->resp);
		p->resp = NULL;
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static int
ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct chat_pss *cp = user;
	struct ws_pss *pss = cp != NULL ? &cp->ws : NULL;
	struct sim *s;
	char uri[64];
	unsigned n;
	struct sim_conn *c;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		s = sim_of(wsi);
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 ||
		    strcmp(uri, WS_PATH) != 0) {
			log_warnx("wasim: refusing websocket on another path");
			return -1;
		}
		n = 0;
		for (c = s->conns; c != NULL; c = c->next)
			n++;
		if (n >= SIM_MAX_CONNS || s->stopping) {
			log_warnx("wasim: too many connections");
			return -1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		pss->conn = sim_conn_new(sim_of(wsi), wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (pss->conn == NULL)
			return -1;
		return sim_conn_on_data(pss->conn, in, len) < 0 ? -1 : 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss->conn == NULL)
			return -1;
		return sim_conn_on_writable(pss->conn);
	case LWS_CALLBACK_CLOSED:
		if (pss->conn != NULL)
			sim_conn_on_closed(pss->conn);
		pss->conn = NULL;
		return 0;
	case LWS_CALLBACK_HTTP:
	case LWS_CALLBACK_HTTP_BODY:
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
	case LWS_CALLBACK_HTTP_WRITEABLE:
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		/*
		 * Plain HTTP on the websocket port is the admin API too:
		 * Baileys' e2e harness posts scan-qr to the socket's own
		 * host and port.
		 */
		return admin_cb(wsi, reason, cp != NULL ? &cp->admin : NULL,
		    in, len);
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols ws_protocols[] = {
	{ "wasim-chat", ws_cb, sizeof(struct chat_pss), 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_protocols admin_protocols[] = {
	{ "wasim-admin", admin_cb, sizeof(struct admin_pss), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
lws_log_emit(int level, const char *line)
{
	log_debug("lws: %.*s", (int)strcspn(line, "\n"), line);
}

/*
 * The TLS websocket listener, after sim_media_start made the certificate
 * (its PEM strings outlive the context: sim_media_free runs after
 * sim_server_stop).
 */
static int
wss_start(struct sim *s)
{
	struct lws_context_creation_info info;

	if (s->opts.wss_port < 0)
		return 0;
	if (s->media_cert_pem == NULL || s->media_key_pem == NULL)
		return -1;
	memset(&info, 0, sizeof(info));
	info.vhost_name = "wss";
	info.iface = s->opts.host;
	info.port = s->opts.wss_port;
	info.protocols = ws_protocols;
	/* lws 4.1 checks the TLS init flag on the vhost's own options. */
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.ssl_options_set = SSL_OP_NO_TLSv1_3;
	/* HTTP/1.1 only, as on the media port (no h2 on our foreign loop). */
	info.alpn = "http/1.1";
	info.server_ssl_cert_mem = s->media_cert_pem;
	info.server_ssl_cert_mem_len = (unsigned)strlen(s->media_cert_pem);
	info.server_ssl_private_key_mem = s->media_key_pem;
	info.server_ssl_private_key_mem_len =
	    (unsigned)strlen(s->media_key_pem);
	s->vh_wss = lws_create_vhost(s->lws, &info);
	if (s->vh_wss == NULL) {
		log_warnx("wasim: cannot listen on %s:%d (wss)", s->opts.host,
		    s->opts.wss_port);
		return -1;
	}
	s->wss_port = lws_get_vhost_listen_port(s->vh_wss);
	return s->wss_port > 0 ? 0 : -1;
}

int
sim_server_start(struct sim *s)
{
	struct lws_context_creation_info info;
	void *foreign[1];

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	foreign[0] = u_loop_uv(s->loop);
	info.foreign_loops = foreign;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.user = s;
	s->lws = lws_create_context(&info);
	if (s->lws == NULL) {
		log_warnx("wasim: lws_create_context failed");
		return -1;
	}

	memset(&info, 0, sizeof(info));
	info.vhost_name = "ws";
	info.iface = s->opts.host;
	info.port = s->opts.port;
	info.protocols = ws_protocols;
	info.options = LWS_SERVER_OPTION_LIBUV;
	s->vh_ws = lws_create_vhost(s->lws, &info);
	if (s->vh_ws == NULL) {
		log_warnx("wasim: cannot listen on %s:%d", s->opts.host,
		    s->opts.port);
		return -1;
	}
	s->ws_port = lws_get_vhost_listen_port(s->vh_ws);

	memset(&info, 0, sizeof(info));
	info.vhost_name = "admin";
	info.iface = s->opts.host;
	info.port = s->opts.admin_port;
	info.protocols = admin_protocols;
	info.options = LWS_SERVER_OPTION_LIBUV;
	s->vh_admin = lws_create_vhost(s->lws, &info);
	if (s->vh_admin == NULL) {
		log_warnx("wasim: cannot listen on %s:%d (admin)",
		    s->opts.host, s->opts.admin_port);
		return -1;
	}
	s->admin_port = lws_get_vhost_listen_port(s->vh_admin);
	if (s->ws_port <= 0 || s->admin_port <= 0) {
		log_warnx("wasim: no listen port");
		return -1;
	}
	if (sim_media_start(s) != 0)
		return -1;
	return wss_start(s);
}

void
sim_server_stop(struct sim *s)
{
	if (s->lws == NULL)
		return;
	lws_context_destroy(s->lws);
	/*
	 * On a foreign loop lws closes its libuv handles asynchronously, and
	 * some more from those close callbacks; if u_loop_free closed them
	 * first, lws would close a handle twice and abort.  Let it finish,
	 * then the second call frees the context (lws 4.1).
	 */
	for (int i = 0; i < 64; i++)
		uv_run(u_loop_uv(s->loop), UV_RUN_NOWAIT);
	lws_context_destroy(s->lws);
	s->lws = NULL;
}
