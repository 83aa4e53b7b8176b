/*
 * media.c: wasim's media server (wa-protocol.md §9): an HTTPS vhost on
 * loopback with a self-signed certificate made at start, holding encrypted
 * blobs in memory.
 *
 *   <iq xmlns=w:m type=set><media_conn/></iq>
 *     -> <media_conn auth ttl auth_ttl max_buckets><host hostname=
 *        "127.0.0.1:PORT" maxContentLengthBytes/></media_conn>
 *   POST /mms/<type>/<token>?auth=<auth>&token=<token>   (body: the blob;
 *        token must be the URL-safe base64 of its SHA-256, padded or not,
 *        else 400)
 *     -> {"url": "https://127.0.0.1:PORT/wasim/m/<hex>.enc?ccb=11-4&oh=wasim",
 *         "direct_path": "/wasim/m/<hex>.enc?ccb=11-4&oh=wasim"}
 *   GET /wasim/m/<hex>.enc[?anything]  -> the blob (404 if unknown)
 *   GET /wasim/pp/...  -> a profile or group picture (picture.c)
 *
 * Media retry (wa-protocol.md §9; whatsmeow mediaretry.go), the simulated
 * sender's phone:
 *   POST /wasim/expire  {"direct_path": P, "message_id": ID,
 *                        "media_key": "<base64>"}   (tests only)
 *     -> the blob at P is no longer served (404: the URL "expired");
 *        with media_key, the phone can re-upload it when asked
 *   <receipt id=ID type="server-error"><encrypt><enc_p/><enc_iv/>
 *      </encrypt><rmr .../></receipt> from a client
 *     -> the request is decrypted with the key (it must name ID), the blob
 *        is served again under a new name and the client gets
 *        <notification type="mediaretry" id=ID from=<its account>>
 *        <rmr .../><encrypt> MediaRetryNotification{ID, new path,
 *        SUCCESS} </encrypt></notification>; without a key (or for an id
 *        never expired) <error code="2"/> (not on the phone), and if the
 *        request does not decrypt, result DECRYPTION_ERROR.
 *
 * Clients trust the self-signed certificate, which --media-cert-file
 * writes out (Baileys: NODE_EXTRA_CA_CERTS; ponton: wa_media_opts.ca_file;
 * whatsmeow: a media HTTP client with that root).  The server never
 * decrypts media.
 *
 * Invariants: a blob is at most SIM_MEDIA_MAX bytes and all blobs together
 * at most SIM_MEDIA_TOTAL (checked from Content-Length before buffering and
 * again as bytes arrive); responses are written in chunks from writable
 * callbacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include <jansson.h>

#include "proto/mmsretry.pb-c.h"
#include "test/wasim/picture.h"
#include "test/wasim/wasim.h"
#include "util/log.h"
#include "util/mem.h"

#define MEDIA_PATH_PREFIX "/wasim/m/"
#define MEDIA_CHUNK ((size_t)32 << 10)
#define MEDIA_QUERY "?ccb=11-4&oh=wasim"


struct sim_blob {
	char		 name[40];	/* hex id */
	uint8_t		*data;		/* owned */
	size_t		 len;
	struct sim_blob	*next;
};

/*
 * Blobs expired by POST /wasim/expire, waiting for a retry request: the
 * blob leaves s->blobs and is kept here.  One wasim process runs one sim,
 * so the list is file-static (freed by sim_media_free).
 */
#define SIM_RETRY_MAX 64
struct sim_expired {
	char			 msg_id[128];
	uint8_t			 key[32];
	bool			 has_key;
	struct sim_blob		*blob;		/* owned */
	struct sim_expired	*next;
};
static struct sim_expired *expired;
static size_t nexpired;

struct media_pss {
	bool		 post;
	bool		 too_big;
	char		 path[256];
	char		 auth[128];	/* the ?auth= argument */
	struct u_buf	 body;		/* owned */
	int		 status;
	char		*hdr_type;	/* static */
	uint8_t		*resp;		/* owned or borrowed (blob) */
	bool		 resp_owned;
	size_t		 resp_len, off;
	bool		 headers_sent;
};

/* --- Self-signed certificate ------------------------------------------------- */

static char *
bio_string(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	return n > 0 ? u_strndup(p, (size_t)n) : NULL;
}

static int
make_cert(struct sim *s)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX ctx;
	BIO *bc = NULL, *bk = NULL;
	int r = -1;

	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(cry_random_u32() >> 1));
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    "IP:127.0.0.1,DNS:localhost");
	if (ext == NULL || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, key, EVP_sha256()))
		goto out;
	bc = BIO_new(BIO_s_mem());
	bk = BIO_new(BIO_s_mem());
	if (bc == NULL || bk == NULL || !PEM_write_bio_X509(bc, x) ||
	    !PEM_write_bio_PrivateKey(bk, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	s->media_cert_pem = bio_string(bc);
	s->media_key_pem = bio_string(bk);
	if (s->media_cert_pem == NULL || s->media_key_pem == NULL)
		goto out;
	r = 0;
out:
	X509_EXTENSION_free(ext);
	BIO_free(bc);
	BIO_free(bk);
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

/* --- Blobs ----------------------------------------------------------------------- */

static struct sim_blob *
blob_find(struct sim *s, const char *name)
{
	struct sim_blob *b;

	for (b = s->blobs; b != NULL; b = b->next)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

void
sim_media_free(struct sim *s)
{
	struct sim_blob *b;

	while ((b = s->blobs) != NULL) {
		s->blobs = b->next;
		free(b->data);
		free(b);
	}
	while (expired != NULL) {
		struct sim_expired *e = expired;

		expired = e->next;
		free(e->blob->data);
		free(e->blob);
		free(e);
	}
	nexpired = 0;
	sim_picture_free(s);
	free(s->media_cert_pem);
	free(s->media_key_pem);
	s->media_cert_pem = s->media_key_pem = NULL;
}

/* --- HTTP ---------------------------------------------------------------------- */

static void
respond(struct lws *wsi, struct media_pss *p, int status, const char *type,
    uint8_t *body, size_t len, bool owned)
{
	p->status = status;
	p->hdr_type = (char *)type;
	p->resp = body;
	p->resp_len = len;
	p->resp_owned = owned;
	p->off = 0;
	p->headers_sent = false;
	lws_callback_on_writable(wsi);
}

static void
respond_json(struct lws *wsi, struct media_pss *p, int status, char *json)
{
	respond(wsi, p, status, "application/json", (uint8_t *)json,
	    strlen(json), true);
}

/* POST /wasim/expire: take the blob named by direct_path off the server. */
static void
expire_done(struct lws *wsi, struct media_pss *p)
{
	struct sim *s = lws_context_user(lws_get_context(wsi));
	struct sim_blob **bp, *b;
	struct sim_expired *e;
	json_t *js;
	const char *dp, *id, *key;
	char name[48];
	size_t klen = 0;

	js = json_loadb((const char *)p->body.p, p->body.len,
	    JSON_REJECT_DUPLICATES, NULL);
	dp = json_string_value(json_object_get(js, "direct_path"));
	id = json_string_value(json_object_get(js, "message_id"));
	key = json_string_value(json_object_get(js, "media_key"));
	if (dp == NULL || id == NULL || strlen(id) >= sizeof(e->msg_id) ||
	    sscanf(dp, MEDIA_PATH_PREFIX "%32[0-9a-f].enc", name) != 1 ||
	    nexpired >= SIM_RETRY_MAX) {
		json_decref(js);
		respond_json(wsi, p, 400, u_strdup("{\"error\":\"bad request\"}"));
		return;
	}
	for (bp = &s->blobs; *bp != NULL; bp = &(*bp)->next)
		if (strcmp((*bp)->name, name) == 0)
			break;
	if ((b = *bp) == NULL) {
		json_decref(js);
		respond_json(wsi, p, 404, u_strdup("{\"error\":\"not found\"}"));
		return;
	}
	*bp = b->next;
	b->next = NULL;
	e = u_calloc(1, sizeof(*e));
	snprintf(e->msg_id, sizeof(e->msg_id), "%s", id);
	e->blob = b;
	if (key != NULL && sodium_base642bin(e->key, sizeof(e->key), key,
	    strlen(key), NULL, &klen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 && klen == 32)
		e->has_key = true;
	e->next = expired;
	expired = e;
	nexpired++;
	log_info("media: expired %s (message %s, %s)", name, id,
	    e->has_key ? "the phone has the key" : "no key");
	json_decref(js);
	respond_json(wsi, p, 200, u_strdup("{\"ok\":true}"));
}

/*
 * The upload path is /mms/<type>/<token>, token the URL-safe base64 of the
 * body's SHA-256 (whatsmeow pads it, Baileys does not): as the real
 * server, refuse a body that does not match it.
 */
static bool
token_matches(const char *path, const uint8_t *body, size_t len)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char want[64];
	const char *tok = strrchr(path, '/');
	size_t n;

	if (tok == NULL)
		return false;
	tok++;
	crypto_hash_sha256(h, body != NULL ? body : (const uint8_t *)"", len);
	sodium_bin2base64(want, sizeof(want), h, sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	n = strlen(want);
	/* Either form; lws has already url-decoded %3D to '='. */
	return strncmp(tok, want, n) == 0 &&
	    (tok[n] == '\0' || strcmp(tok + n, "=") == 0);
}

static void
upload_done(struct lws *wsi, struct media_pss *p)
{
	struct sim *s = lws_context_user(lws_get_context(wsi));
	struct sim_blob *b;
	uint8_t rnd[16];

	if (p->too_big) {
		respond_json(wsi, p, 413, u_strdup("{\"error\":\"too large\"}"));
		return;
	}
	if (strcmp(p->auth, s->media_auth) != 0) {
		respond_json(wsi, p, 401, u_strdup("{\"error\":\"bad auth\"}"));
		return;
	}
	if (!token_matches(p->path, p->body.p, p->body.len)) {
		respond_json(wsi, p, 400, u_strdup("{\"error\":\"hash mismatch\"}"));
		return;
	}
	b = u_calloc(1, sizeof(*b));
	cry_random(rnd, sizeof(rnd));
	sim_hex(rnd, sizeof(rnd), b->name);
	b->len = p->body.len;
	b->data = u_buf_steal(&p->body, &b->len);
	b->next = s->blobs;
	s->blobs = b;
	s->media_bytes += b->len;
	log_info("media: stored %zu bytes as %s", b->len, b->name);
	/* Real direct paths carry a query, and whatsmeow appends "&hash=..."
	 * to them blindly: keep one so that both forms are exercised. */
	respond_json(wsi, p, 200, u_asprintf(
	    "{\"url\":\"https://127.0.0.1:%d" MEDIA_PATH_PREFIX "%s.enc"
	    MEDIA_QUERY "\","
	    "\"direct_path\":\"" MEDIA_PATH_PREFIX "%s.enc" MEDIA_QUERY "\"}",
	    s->media_port, b->name, b->name));
}

static int
write_some(struct lws *wsi, struct media_pss *p)
{
	uint8_t hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *q = start;
	uint8_t *buf;
	size_t n;
	int w;

	if (p->resp == NULL && p->status == 0)
		return 0;
	if (!p->headers_sent) {
		if (lws_add_http_common_headers(wsi, (unsigned)p->status,
		    p->hdr_type, (lws_filepos_t)p->resp_len, &q,
		    hdr + sizeof(hdr)) ||
		    lws_finalize_write_http_header(wsi, start, &q,
		    hdr + sizeof(hdr)))
			return -1;
		p->headers_sent = true;
		if (p->resp_len > 0) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	n = p->resp_len - p->off;
	if (n > MEDIA_CHUNK)
		n = MEDIA_CHUNK;
	buf = u_malloc(LWS_PRE + n + 1);
	if (n > 0)
		memcpy(buf + LWS_PRE, p->resp + p->off, n);
	w = lws_write(wsi, buf + LWS_PRE, n, p->off + n == p->resp_len ?
	    LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
	free(buf);
	if (w < (int)n)
		return -1;
	p->off += n;
	if (p->off < p->resp_len) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (p->resp_owned)
		free(p->resp);
	p->resp = NULL;
	p->status = 0;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void
kick_add(struct sim *s, int fd)
{
	size_t i;

	/* HTTP/2 streams (curl offers h2) have no socket of their own. */
	if (fd < 0)
		return;
	for (i = 0; i < s->nmedia_kick; i++)
		if (s->media_kick_fds[i] == fd)
			return;
	if (s->nmedia_kick < SIM_MEDIA_KICK_MAX)
		s->media_kick_fds[s->nmedia_kick++] = fd;
}

static void
media_kick(void *arg)
{
	struct sim *s = arg;

	struct lws_pollfd pfd;
	size_t i, n = s->nmedia_kick;

	s->media_kick = false;
	s->nmedia_kick = 0;
	if (s->lws == NULL || s->stopping)
		return;
	/* Service each socket as if readable: lws then drains OpenSSL.  By
	 * fd, not wsi: if the connection is gone, lws finds nothing. */
	for (i = 0; i < n; i++) {
		pfd.fd = s->media_kick_fds[i];
		pfd.events = POLLIN;
		pfd.revents = POLLIN;
		lws_service_fd(s->lws, &pfd);
	}
}

static void
pss_reset(struct media_pss *p)
{
	u_buf_free(&p->body);
	if (p->resp_owned)
		free(p->resp);
	memset(p, 0, sizeof(*p));
}

static int
media_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct media_pss *p = user;
	struct sim *s;
	struct sim_blob *b;
	char cl[32], name[48];
	uint8_t *pic;
	size_t piclen;
	long want;

	if (p == NULL)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		s = lws_context_user(lws_get_context(wsi));
		pss_reset(p);
		snprintf(p->path, sizeof(p->path), "%s", (const char *)in);
		if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) {
			if (sscanf(p->path, MEDIA_PATH_PREFIX "%32[0-9a-f].enc",
			    name) == 1 && (b = blob_find(s, name)) != NULL) {
				respond(wsi, p, 200, "application/octet-stream",
				    b->data, b->len, false);
				return 0;
			}
			if (sim_picture_serve(s, p->path, &pic, &piclen) == 0) {
				respond(wsi, p, 200, "image/jpeg", pic, piclen,
				    true);
				return 0;
			}
			respond_json(wsi, p, 404,
			    u_strdup("{\"error\":\"not found\"}"));
			return 0;
		}
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) <= 0 ||
		    (strncmp(p->path, "/mms/", 5) != 0 &&
		    strcmp(p->path, "/wasim/expire") != 0)) {
			respond_json(wsi, p, 404,
			    u_strdup("{\"error\":\"not found\"}"));
			return 0;
		}
		p->post = true;
		/* lws keeps each argument as its own url-decoded fragment;
		 * buf gets "auth=<value>", the result points at the value. */
		{
			char arg[sizeof(p->auth) + 8];
			const char *v = lws_get_urlarg_by_name(wsi, "auth=",
			    arg, (int)sizeof(arg));

			snprintf(p->auth, sizeof(p->auth), "%s",
			    v != NULL ? v : "");
		}
		want = 0;
		if (lws_hdr_copy(wsi, cl, sizeof(cl),
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
			want = strtol(cl, NULL, 10);
		if (want <= 0 || (size_t)want > SIM_MEDIA_MAX ||
		    s->media_bytes + (size_t)want > SIM_MEDIA_TOTAL) {
			p->too_big = true;
			upload_done(wsi, p);
			return 0;
		}
		u_buf_init(&p->body, (size_t)want);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (!p->too_big && u_buf_add(&p->body, in, len) != 0)
			p->too_big = true;
		/*
		 * lws 4.1 on a foreign libuv loop leaves plaintext that
		 * OpenSSL already decrypted (the tail of the last record)
		 * unread until the socket is readable again, which it will
		 * not be: ask for a forced service pass at the end of this
		 * loop turn.
		 */
		s = lws_context_user(lws_get_context(wsi));
		kick_add(s, (int)lws_get_socket_fd(wsi));
		if (!s->media_kick) {
			s->media_kick = true;
			u_loop_defer(s->loop, media_kick, s);
		}
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (strcmp(p->path, "/wasim/expire") == 0 && !p->too_big)
			expire_done(wsi, p);
		else
			upload_done(wsi, p);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return write_some(wsi, p);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		pss_reset(p);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols media_protocols[] = {
	{ "wasim-media", media_cb, sizeof(struct media_pss), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

int
sim_media_start(struct sim *s)
{
	struct lws_context_creation_info info;
	uint8_t rnd[24];

	if (make_cert(s) != 0) {
		log_warnx("wasim: cannot make the media certificate");
		return -1;
	}
	cry_random(rnd, sizeof(rnd));
	sodium_bin2base64(s->media_auth, sizeof(s->media_auth), rnd,
	    sizeof(rnd), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	memset(&info, 0, sizeof(info));
	info.vhost_name = "media";
	info.iface = s->opts.host;
	info.port = s->opts.media_port;
	info.protocols = media_protocols;
	/* lws 4.1 checks the TLS init flag on the vhost's own options. */
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.ssl_options_set = SSL_OP_NO_TLSv1_3;
	/*
	 * HTTP/1.1 only: lws 4.1 on our foreign loop cuts HTTP/2 replies
	 * larger than a few frames short (curl, which offers h2, saw
	 * "Transferred a partial file" for every blob over 32 KiB), and
	 * neither Baileys (node https) nor whatsmeow with a custom TLS config
	 * speaks h2 to us anyway.
	 */
	info.alpn = "http/1.1";
	info.server_ssl_cert_mem = s->media_cert_pem;
	info.server_ssl_cert_mem_len = (unsigned)strlen(s->media_cert_pem);
	info.server_ssl_private_key_mem = s->media_key_pem;
	info.server_ssl_private_key_mem_len =
	    (unsigned)strlen(s->media_key_pem);
	s->vh_media = lws_create_vhost(s->lws, &info);
	if (s->vh_media == NULL) {
		log_warnx("wasim: cannot listen on %s:%d (media)",
		    s->opts.host, s->opts.media_port);
		return -1;
	}
	s->media_port = lws_get_vhost_listen_port(s->vh_media);
	return s->media_port > 0 ? 0 : -1;
}

void
sim_media_conn_iq(struct sim_conn *c, const struct wa_node *iq)
{
	struct wa_node *r = sim_iq_result(iq), *mc, *h;
	char host[32];

	mc = wa_node_new("media_conn");
	wa_node_set_attr(mc, "auth", c->sim->media_auth);
	wa_node_set_attr(mc, "ttl", "300");
	wa_node_set_attr(mc, "auth_ttl", "21600");
	wa_node_set_attr(mc, "max_buckets", "12");
	h = wa_node_new("host");
	snprintf(host, sizeof(host), "127.0.0.1:%d", c->sim->media_port);
	wa_node_set_attr(h, "hostname", host);
	wa_node_set_attr_u64(h, "maxContentLengthBytes", SIM_MEDIA_MAX);
	wa_node_add_child(mc, h);
	wa_node_add_child(r, mc);
	sim_conn_send(c, r);
	wa_node_free(r);
}

/* --- Media retry: the simulated sender's phone -------------------------------- */

static struct wa_node *
retry_notification(const struct wa_node *rc, const char *id,
    const struct sim_account *a)
{
	struct wa_node *n = wa_node_new("notification"), *rmr;
	const struct wa_node *orig = wa_node_child(rc, "rmr");
	struct wa_jid own;

	wa_node_set_attr(n, "id", id);
	wa_node_set_attr(n, "type", "mediaretry");
	if (wa_jid_make(&own, a->phone, WA_SERVER_USER, 0) == 0)
		wa_node_set_attr_jid(n, "from", &own);
	wa_node_set_attr_u64(n, "t", (uint64_t)sim_now());
	rmr = orig != NULL ? wa_node_dup(orig) : wa_node_new("rmr");
	wa_node_add_child(n, rmr);
	return n;
}

static void
add_encrypted(struct wa_node *n, const uint8_t rkey[32], const char *id,
    const char *path, int result)
{
	Wa__MmsRetryNotification rn = WA__MMS_RETRY_NOTIFICATION__INIT;
	struct wa_node *enc = wa_node_new("encrypt"), *c;
	uint8_t iv[CRY_GCM_IV_LEN], *pt, *ct;
	size_t len;

	rn.stanza_id = (char *)id;
	rn.direct_path = (char *)path;
	rn.has_result = 1;
	rn.result = result;
	len = wa__mms_retry_notification__get_packed_size(&rn);
	pt = u_malloc(len + 1);
	ct = u_malloc(len + CRY_GCM_TAG_LEN);
	wa__mms_retry_notification__pack(&rn, pt);
	cry_random(iv, sizeof(iv));
	if (cry_aes_gcm_encrypt(rkey, iv, id, strlen(id), pt, len, ct) == 0) {
		c = wa_node_new("enc_p");
		wa_node_set_bytes(c, ct, len + CRY_GCM_TAG_LEN);
		wa_node_add_child(enc, c);
		c = wa_node_new("enc_iv");
		wa_node_set_bytes(c, iv, sizeof(iv));
		wa_node_add_child(enc, c);
	}
	wa_node_add_child(n, enc);
	free(pt);
	free(ct);
}

/* Whether the client's request decrypts under rkey and names id. */
static bool
request_ok(const struct wa_node *rc, const uint8_t rkey[32], const char *id)
{
	const struct wa_node *enc = wa_node_child(rc, "encrypt"), *p, *iv;
	Wa__MmsServerErrorReceipt *ser;
	uint8_t *pt;
	bool ok = false;

	if (enc == NULL || (p = wa_node_child(enc, "enc_p")) == NULL ||
	    (iv = wa_node_child(enc, "enc_iv")) == NULL ||
	    iv->len != CRY_GCM_IV_LEN || p->len < CRY_GCM_TAG_LEN ||
	    p->len > 4096)
		return false;
	pt = u_malloc(p->len);
	if (cry_aes_gcm_decrypt(rkey, iv->bytes, id, strlen(id), p->bytes,
	    p->len, pt) == 0 && (ser = wa__mms_server_error_receipt__unpack(
	    NULL, p->len - CRY_GCM_TAG_LEN, pt)) != NULL) {
		ok = ser->stanza_id != NULL && strcmp(ser->stanza_id, id) == 0;
		wa__mms_server_error_receipt__free_unpacked(ser, NULL);
	}
	free(pt);
	return ok;
}

void
sim_media_retry_receipt(struct sim_conn *c, const struct wa_node *rc)
{
	struct sim *s = c->sim;
	struct sim_expired **ep, *e;
	struct wa_node *n, *err;
	const char *id = wa_node_attr(rc, "id");
	uint8_t rkey[32], rnd[16];
	char *path;

	if (id == NULL || c->account == NULL)
		return;
	n = retry_notification(rc, id, c->account);
	for (ep = &expired; *ep != NULL; ep = &(*ep)->next)
		if (strcmp((*ep)->msg_id, id) == 0)
			break;
	if ((e = *ep) == NULL || !e->has_key) {
		/* The phone no longer has the file. */
		err = wa_node_new("error");
		wa_node_set_attr(err, "code", "2");
		wa_node_add_child(n, err);
		log_info("media: retry of %s: not on the phone", id);
	} else {
		cry_hkdf_sha256(NULL, 0, e->key, 32,
		    "WhatsApp Media Retry Notification", 33, rkey, sizeof(rkey));
		if (!request_ok(rc, rkey, id)) {
			log_info("media: retry of %s: request does not decrypt",
			    id);
			add_encrypted(n, rkey, id, NULL, 3);
		} else {
			/* Re-upload: the same bytes under a new name. */
			*ep = e->next;
			nexpired--;
			cry_random(rnd, sizeof(rnd));
			sim_hex(rnd, sizeof(rnd), e->blob->name);
			e->blob->next = s->blobs;
			s->blobs = e->blob;
			path = u_asprintf(MEDIA_PATH_PREFIX "%s.enc" MEDIA_QUERY,
			    e->blob->name);
			add_encrypted(n, rkey, id, path, 1);
			log_info("media: retry of %s: re-uploaded as %s", id,
			    e->blob->name);
			free(path);
			free(e);
		}
		sodium_memzero(rkey, sizeof(rkey));
	}
	sim_conn_send(c, n);
	wa_node_free(n);
}
