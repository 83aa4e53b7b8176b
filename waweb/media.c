/*
 * media.c: WhatsApp media (see media.h): per-type keys, encryption and the
 * checked decryption of blobs, media_conn, the upload and download
 * requests on the loop through util/http, the media retry request and its
 * answer, and the glue to content.h's media fields.
 *
 * Does not: thumbnails, waveforms from audio, answering other devices'
 * media retry requests (a phone's job), streaming (whole blobs in memory,
 * capped per type).
 *
 * Invariants: a job is in m->jobs from start until its callback, a media
 * retry in m->retries until its answer or its deadline; at most
 * one media_conn iq is in flight, and jobs that need it wait in m->jobs
 * with state WAIT_CONN; the iq's callback argument is a small heap token
 * that outlives a freed wa_media, so a late reply finds nothing to touch.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/http.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/content.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/media.h"
#include "waweb/node.h"
#include "proto/mmsretry.pb-c.h"

/* --- Types ------------------------------------------------------------------ */

static const struct {
	const char	*name;
	const char	*info;
	const char	*mms;
	size_t		 max;
} types[WA_MEDIA_TYPE_COUNT_] = {
	[WA_MEDIA_IMAGE] = { "image", "WhatsApp Image Keys", "image",
	    WA_MEDIA_MAX_IMAGE },
	[WA_MEDIA_VIDEO] = { "video", "WhatsApp Video Keys", "video",
	    WA_MEDIA_MAX_AV },
	[WA_MEDIA_AUDIO] = { "audio", "WhatsApp Audio Keys", "audio",
	    WA_MEDIA_MAX_AV },
	[WA_MEDIA_DOCUMENT] = { "document", "WhatsApp Document Keys",
	    "document", WA_MEDIA_MAX },
	/* Stickers are images to both clients (keys and upload path). */
	[WA_MEDIA_STICKER] = { "sticker", "WhatsApp Image Keys", "image",
	    WA_MEDIA_MAX_IMAGE },
	[WA_MEDIA_HISTORY] = { "history", "WhatsApp History Keys",
	    "md-msg-hist", WA_MEDIA_MAX },
	[WA_MEDIA_APP_STATE] = { "app-state", "WhatsApp App State Keys",
	    "md-app-state", WA_MEDIA_MAX },
	[WA_MEDIA_LINK_THUMBNAIL] = { "link-thumbnail",
	    "WhatsApp Link Thumbnail Keys", "thumbnail-link",
	    WA_MEDIA_MAX_IMAGE },
};

static int
type_ok(enum wa_media_type t)
{
	return (unsigned)t < WA_MEDIA_TYPE_COUNT_;
}

const char *
wa_media_type_name(enum wa_media_type t)
{
	return type_ok(t) ? types[t].name : "unknown";
}

int
wa_media_type_parse(const char *name, enum wa_media_type *out)
{
	unsigned i;

	if (strcmp(name, "ptt") == 0 || strcmp(name, "voice") == 0) {
		*out = WA_MEDIA_AUDIO;
		return 0;
	}
	for (i = 0; i < WA_MEDIA_TYPE_COUNT_; i++)
		if (strcmp(name, types[i].name) == 0) {
			*out = (enum wa_media_type)i;
			return 0;
		}
	return U_ERR_INVALID;
}

const char *
wa_media_hkdf_info(enum wa_media_type t)
{
	return type_ok(t) ? types[t].info : "";
}

const char *
wa_media_mms_type(enum wa_media_type t)
{
	return type_ok(t) ? types[t].mms : "";
}

size_t
wa_media_max(enum wa_media_type t)
{
	return type_ok(t) ? types[t].max : 0;
}

/* --- Crypto ------------------------------------------------------------------- */

int
wa_media_derive(enum wa_media_type t,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], struct wa_media_keys *out)
{
	uint8_t k[WA_MEDIA_KEYS_LEN];
	int r;

	if (!type_ok(t))
		return U_ERR_INVALID;
	if ((r = cry_hkdf_sha256(NULL, 0, media_key, WA_MEDIA_KEY_LEN,
	    types[t].info, strlen(types[t].info), k, sizeof(k))) != 0)
		return r;
	memcpy(out->iv, k, 16);
	memcpy(out->cipher_key, k + 16, 32);
	memcpy(out->mac_key, k + 48, 32);
	memcpy(out->ref_key, k + 80, 32);
	sodium_memzero(k, sizeof(k));
	return 0;
}

void
wa_media_enc_free(struct wa_media_enc *e)
{
	if (e == NULL)
		return;
	free(e->blob);
	sodium_memzero(e, sizeof(*e));
}

static void
blob_mac(const struct wa_media_keys *k, const uint8_t *ct, size_t n,
    uint8_t out[CRY_SHA256_LEN])
{
	crypto_auth_hmacsha256_state st;

	/*
	 * HMAC(macKey, iv || ciphertext), incrementally: cry.h's one-shot
	 * HMAC would need iv || ciphertext in one buffer, a second copy of a
	 * blob that may be 100 MiB.  libsodium is cry.c's own backend.
	 */
	crypto_auth_hmacsha256_init(&st, k->mac_key, sizeof(k->mac_key));
	crypto_auth_hmacsha256_update(&st, k->iv, sizeof(k->iv));
	crypto_auth_hmacsha256_update(&st, ct, n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

int
wa_media_encrypt(enum wa_media_type t, const void *plaintext, size_t n,
    const uint8_t *media_key, struct wa_media_enc *out)
{
	struct wa_media_enc e;
	struct wa_media_keys k;
	uint8_t mac[CRY_SHA256_LEN];
	size_t ctlen = 0;
	int r = WA_ERR_INTERNAL;

	memset(&e, 0, sizeof(e));
	memset(&k, 0, sizeof(k));
	if (!type_ok(t))
		return U_ERR_INVALID;
	if (n > types[t].max)
		return WA_ERR_MEDIA_TOO_BIG;
	if (media_key != NULL)
		memcpy(e.media_key, media_key, WA_MEDIA_KEY_LEN);
	else
		cry_random(e.media_key, WA_MEDIA_KEY_LEN);
	if ((r = wa_media_derive(t, e.media_key, &k)) != 0)
		goto out;
	e.blob = u_malloc(n + CRY_AES_BLOCK + WA_MEDIA_MAC_LEN);
	if ((r = cry_aes_cbc_encrypt(k.cipher_key, k.iv, plaintext, n, e.blob,
	    &ctlen)) != 0)
		goto out;
	blob_mac(&k, e.blob, ctlen, mac);
	memcpy(e.blob + ctlen, mac, WA_MEDIA_MAC_LEN);
	e.blob_len = ctlen + WA_MEDIA_MAC_LEN;
	cry_sha256(plaintext, n, e.file_sha256);
	cry_sha256(e.blob, e.blob_len, e.file_enc_sha256);
	e.file_length = n;
	*out = e;
	memset(&e, 0, sizeof(e));
	r = 0;
out:
	wa_media_enc_free(&e);
	sodium_memzero(&k, sizeof(k));
	return r;
}

/* The largest blob a plaintext of at most max bytes encrypts to. */
static size_t
blob_max(size_t max)
{
	return (max / CRY_AES_BLOCK + 1) * CRY_AES_BLOCK + WA_MEDIA_MAC_LEN;
}

int
wa_media_decrypt(enum wa_media_type t,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], const uint8_t *blob,
    size_t blob_len, const uint8_t *file_enc_sha256,
    const uint8_t *file_sha256, size_t max_len, uint8_t **out, size_t *n)
{
	struct wa_media_keys k;
	uint8_t h[CRY_SHA256_LEN], *pt = NULL;
	size_t ctlen, ptlen = 0;
	int r = WA_ERR_INTERNAL;

	memset(&k, 0, sizeof(k));
	if (!type_ok(t))
		return U_ERR_INVALID;
	if (max_len == 0 || max_len > types[t].max)
		max_len = types[t].max;
	if (blob_len > blob_max(max_len))
		return WA_ERR_MEDIA_TOO_BIG;
	if (file_enc_sha256 != NULL) {
		cry_sha256(blob, blob_len, h);
		if (!cry_equal(h, file_enc_sha256, CRY_SHA256_LEN))
			return WA_ERR_MEDIA_HASH;
	}
	if (blob_len < CRY_AES_BLOCK + WA_MEDIA_MAC_LEN ||
	    (blob_len - WA_MEDIA_MAC_LEN) % CRY_AES_BLOCK != 0)
		return WA_ERR_MEDIA_MALFORMED;
	ctlen = blob_len - WA_MEDIA_MAC_LEN;
	if ((r = wa_media_derive(t, media_key, &k)) != 0)
		goto out;
	blob_mac(&k, blob, ctlen, h);
	if (!cry_equal(h, blob + ctlen, WA_MEDIA_MAC_LEN)) {
		r = WA_ERR_MEDIA_MAC;
		goto out;
	}
	pt = u_malloc(ctlen + 1);
	if ((r = cry_aes_cbc_decrypt(k.cipher_key, k.iv, blob, ctlen, pt,
	    &ptlen)) != 0) {
		/* The MAC held: the sender encrypted bad padding. */
		r = r == CRY_ERR_PADDING ? WA_ERR_MEDIA_MALFORMED : r;
		goto out;
	}
	if (ptlen > max_len) {
		r = WA_ERR_MEDIA_TOO_BIG;
		goto out;
	}
	if (file_sha256 != NULL) {
		cry_sha256(pt, ptlen, h);
		if (!cry_equal(h, file_sha256, CRY_SHA256_LEN)) {
			r = WA_ERR_MEDIA_HASH;
			goto out;
		}
	}
	*out = pt;
	*n = ptlen;
	pt = NULL;
	r = 0;
out:
	free(pt);
	sodium_memzero(&k, sizeof(k));
	return r;
}

void
wa_media_token(const uint8_t file_enc_sha256[WA_MEDIA_SHA_LEN],
    char out[WA_MEDIA_TOKEN_MAX])
{
	/* URL-safe with '=' padding, as whatsmeow's base64.URLEncoding. */
	sodium_bin2base64(out, WA_MEDIA_TOKEN_MAX, file_enc_sha256,
	    WA_MEDIA_SHA_LEN, sodium_base64_VARIANT_URLSAFE);
}

/* --- Waveform ------------------------------------------------------------------ */

int
wa_media_waveform_valid(const uint8_t *w, size_t n)
{
	size_t i;

	if (w == NULL || n != WA_MEDIA_WAVEFORM_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (w[i] > WA_MEDIA_WAVEFORM_PEAK)
			return 0;
	return 1;
}

void
wa_media_waveform_from(const uint32_t *amp, size_t n,
    uint8_t out[WA_MEDIA_WAVEFORM_LEN])
{
	uint64_t sum[WA_MEDIA_WAVEFORM_LEN], cnt[WA_MEDIA_WAVEFORM_LEN];
	uint64_t avg[WA_MEDIA_WAVEFORM_LEN], peak = 0;
	size_t i, b;

	memset(sum, 0, sizeof(sum));
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++) {
		/* Bucket i * 64 / n, in 128 bits' worth of care: n < 2^57. */
		b = (size_t)((unsigned __int128)i * WA_MEDIA_WAVEFORM_LEN / n);
		sum[b] += amp[i];
		cnt[b]++;
	}
	for (b = 0; b < WA_MEDIA_WAVEFORM_LEN; b++) {
		/* Fewer samples than buckets: repeat the nearest one. */
		if (cnt[b] == 0 && n > 0) {
			i = (size_t)((unsigned __int128)b * n /
			    WA_MEDIA_WAVEFORM_LEN);
			avg[b] = amp[i];
		} else
			avg[b] = cnt[b] ? sum[b] / cnt[b] : 0;
		if (avg[b] > peak)
			peak = avg[b];
	}
	for (b = 0; b < WA_MEDIA_WAVEFORM_LEN; b++)
		out[b] = peak == 0 ? 0 : (uint8_t)((avg[b] *
		    WA_MEDIA_WAVEFORM_PEAK + peak / 2) / peak);
}

/* --- media_conn ------------------------------------------------------------------ */

struct wa_node *
wa_media_conn_iq(void)
{
	struct wa_node *iq = wa_node_new("iq");

	wa_node_set_attr(iq, "xmlns", "w:m");
	wa_node_set_attr(iq, "type", "set");
	wa_node_set_attr(iq, "to", WA_SERVER_USER);
	wa_node_add_child(iq, wa_node_new("media_conn"));
	return iq;
}

/* host[:port] made only of [A-Za-z0-9.-] and one optional ":digits". */
static int
host_ok(const char *h)
{
	size_t i, n = strlen(h);
	const char *colon;

	if (n == 0 || n >= WA_MEDIA_HOST_MAX)
		return 0;
	colon = strchr(h, ':');
	for (i = 0; i < n; i++) {
		char ch = h[i];

		if (colon != NULL && h + i > colon) {
			if (ch < '0' || ch > '9')
				return 0;
		} else if (!(ch == '.' || ch == '-' || ch == ':' ||
		    (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z')))
			return 0;
	}
	return colon != h && (colon == NULL || colon[1] != '\0');
}

static int
auth_ok(const char *a)
{
	size_t n = strlen(a);

	if (n == 0 || n >= WA_MEDIA_AUTH_MAX)
		return 0;
	/* Printable ASCII, no space: it goes into a URL (escaped). */
	for (; *a != '\0'; a++)
		if (*a <= ' ' || *a > '~')
			return 0;
	return 1;
}

int
wa_media_conn_parse(const struct wa_node *res, struct wa_media_conn *out)
{
	struct wa_media_conn mc;
	const struct wa_node *n, *h;
	const char *type = wa_node_attr(res, "type"), *auth, *hn;
	uint64_t v;
	size_t i;

	if (type != NULL && strcmp(type, "error") == 0)
		return WA_ERR_IQ;
	if ((n = wa_node_child(res, "media_conn")) == NULL ||
	    (auth = wa_node_attr(n, "auth")) == NULL || !auth_ok(auth))
		return WA_ERR_MEDIA_CONN;
	memset(&mc, 0, sizeof(mc));
	snprintf(mc.auth, sizeof(mc.auth), "%s", auth);
	if (wa_node_attr_u64(n, "ttl", &v) != 0)
		return WA_ERR_MEDIA_CONN;
	mc.ttl_s = v > WA_MEDIA_CONN_TTL_MAX_S ? WA_MEDIA_CONN_TTL_MAX_S : v;
	for (i = 0; (h = wa_node_child_at(n, i)) != NULL; i++) {
		if (strcmp(h->tag, "host") != 0 ||
		    (hn = wa_node_attr(h, "hostname")) == NULL || !host_ok(hn))
			continue;
		if (mc.nhosts == WA_MEDIA_MAX_HOSTS)
			break;
		if (mc.nhosts == 0 && wa_node_attr_u64(h,
		    "maxContentLengthBytes", &v) == 0)
			mc.max_bytes = v;
		snprintf(mc.hosts[mc.nhosts++], WA_MEDIA_HOST_MAX, "%s", hn);
	}
	if (mc.nhosts == 0)
		return WA_ERR_MEDIA_CONN;
	*out = mc;
	return 0;
}

/* --- URLs ---------------------------------------------------------------------- */

static void
add_escaped(struct u_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~')
			u_buf_add_u8(b, ch);
		else {
			u_buf_add_u8(b, '%');
			u_buf_add_u8(b, (uint8_t)hex[ch >> 4]);
			u_buf_add_u8(b, (uint8_t)hex[ch & 15]);
		}
	}
}

char *
wa_media_upload_url(const char *host, enum wa_media_type t,
    const char *auth, const uint8_t file_enc_sha256[WA_MEDIA_SHA_LEN])
{
	struct u_buf b;
	char tok[WA_MEDIA_TOKEN_MAX];

	wa_media_token(file_enc_sha256, tok);
	u_buf_init(&b, 0);
	u_buf_printf(&b, "https://%s/mms/%s/", host, wa_media_mms_type(t));
	add_escaped(&b, tok);
	u_buf_add_str(&b, "?auth=");
	add_escaped(&b, auth);
	u_buf_add_str(&b, "&token=");
	add_escaped(&b, tok);
	return (char *)u_buf_steal(&b, NULL);
}

char *
wa_media_download_url(const char *host, const char *direct_path,
    enum wa_media_type t, const uint8_t *file_enc_sha256)
{
	struct u_buf b;
	char tok[WA_MEDIA_TOKEN_MAX];

	u_buf_init(&b, 0);
	u_buf_printf(&b, "https://%s%s", host, direct_path);
	/* Real direct paths carry a query (whatsmeow blindly appends '&'). */
	u_buf_add_u8(&b, strchr(direct_path, '?') != NULL ? '&' : '?');
	if (file_enc_sha256 != NULL) {
		wa_media_token(file_enc_sha256, tok);
		u_buf_add_str(&b, "hash=");
		add_escaped(&b, tok);
		u_buf_add_u8(&b, '&');
	}
	u_buf_printf(&b, "mms-type=%s&__wa-mms=", wa_media_mms_type(t));
	return (char *)u_buf_steal(&b, NULL);
}

static int
path_ok(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > WA_MEDIA_PATH_MAX || p[0] != '/')
		return 0;
	/* Printable ASCII: no CR/LF or spaces can reach the request line. */
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return 0;
	return 1;
}

int
wa_media_parse_upload_reply(const uint8_t *body, size_t len, char **url,
    char **direct_path)
{
	json_t *js, *u, *d;
	int r = WA_ERR_MEDIA_HTTP;

	js = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(js))
		goto out;
	d = json_object_get(js, "direct_path");
	u = json_object_get(js, "url");
	if (!json_is_string(d) || !path_ok(json_string_value(d)))
		goto out;
	if (u != NULL && (!json_is_string(u) ||
	    strlen(json_string_value(u)) > WA_MEDIA_PATH_MAX + WA_MEDIA_HOST_MAX))
		goto out;
	*url = u != NULL ? u_strdup(json_string_value(u)) : NULL;
	*direct_path = u_strdup(json_string_value(d));
	r = 0;
out:
	json_decref(js);
	return r;
}

/* --- Content glue ------------------------------------------------------------ */

_Static_assert(WA_CONTENT_MEDIA_KEY_LEN == WA_MEDIA_KEY_LEN &&
    WA_CONTENT_SHA256_LEN == WA_MEDIA_SHA_LEN, "content.h and media.h agree");

int
wa_media_type_of(int content_kind, enum wa_media_type *out)
{
	switch (content_kind) {
	case WA_CONTENT_IMAGE:		*out = WA_MEDIA_IMAGE; return 0;
	case WA_CONTENT_VIDEO:		*out = WA_MEDIA_VIDEO; return 0;
	case WA_CONTENT_AUDIO:
	case WA_CONTENT_VOICE:		*out = WA_MEDIA_AUDIO; return 0;
	case WA_CONTENT_DOCUMENT:	*out = WA_MEDIA_DOCUMENT; return 0;
	case WA_CONTENT_STICKER:	*out = WA_MEDIA_STICKER; return 0;
	default:			return U_ERR_INVALID;
	}
}

int
wa_media_ref_from(const struct wa_content *c, struct wa_media_ref *ref)
{
	const struct wa_content_media *m = &c->media;
	struct wa_media_ref r;

	memset(&r, 0, sizeof(r));
	if (wa_media_type_of((int)c->kind, &r.type) != 0 ||
	    !m->has_media_key || m->direct_path == NULL)
		return U_ERR_INVALID;
	r.direct_path = m->direct_path;
	r.media_key = m->media_key;
	r.file_sha256 = m->has_file_sha256 ? m->file_sha256 : NULL;
	r.file_enc_sha256 = m->has_file_enc_sha256 ? m->file_enc_sha256 : NULL;
	r.file_length = m->file_length;
	*ref = r;
	return 0;
}

void
wa_media_fill(struct wa_content *c, const struct wa_media_upload *up,
    int64_t now_s)
{
	struct wa_content_media *m = &c->media;

	free(m->url);
	free(m->direct_path);
	m->url = up->url != NULL ? u_strdup(up->url) : NULL;
	m->direct_path = u_strdup(up->direct_path);
	memcpy(m->media_key, up->enc->media_key, WA_MEDIA_KEY_LEN);
	m->has_media_key = 1;
	memcpy(m->file_sha256, up->enc->file_sha256, WA_MEDIA_SHA_LEN);
	m->has_file_sha256 = 1;
	memcpy(m->file_enc_sha256, up->enc->file_enc_sha256, WA_MEDIA_SHA_LEN);
	m->has_file_enc_sha256 = 1;
	m->file_length = up->enc->file_length;
	m->media_key_timestamp = now_s;
}

/* --- Jobs on the loop --------------------------------------------------------- */

enum job_state { JOB_WAIT_CONN, JOB_HTTP };

struct job {
	struct wa_media		*m;		/* borrowed */
	int			 upload;
	enum wa_media_type	 type;
	enum job_state		 state;
	size_t			 host;		/* index into m->conn.hosts */
	int			 reauthed;	/* media_conn re-fetched after 401/403 */
	int			 woken;		/* wake_waiting: its turn is due */
	uint64_t		 http_id;
	int			 last_err;
	struct wa_media_enc	 enc;		/* upload: owned */
	char			*direct_path;	/* download: owned */
	uint8_t			 key[WA_MEDIA_KEY_LEN];
	uint8_t			 enc_sha[WA_MEDIA_SHA_LEN];
	uint8_t			 sha[WA_MEDIA_SHA_LEN];
	int			 has_enc_sha, has_sha;
	size_t			 max_len;
	wa_media_upload_fn	 up_cb;
	wa_media_download_fn	 down_cb;
	void			*arg;
	struct job		*prev, *next;
};

/* The media_conn iq's callback argument: outlives a freed wa_media. */
struct conn_fetch {
	struct wa_media	*m;	/* NULL once the wa_media is gone */
};

/* A media retry waiting for the phone's notification. */
struct retry {
	struct wa_media		*m;		/* borrowed */
	char			*id;		/* owned: the message id */
	uint8_t			 key[WA_MEDIA_KEY_LEN];
	struct u_timer		*timer;		/* owned: the deadline */
	wa_media_retry_fn	 cb;
	void			*arg;
	struct retry		*next;
};

struct wa_media {
	struct retry		*retries;	/* owned list */
	size_t			 nretries;
	struct u_loop		*loop;		/* borrowed */
	struct wa_client	*client;	/* borrowed */
	struct u_http		*http;		/* owned */
	char			*ca_file;	/* owned or NULL */
	unsigned		 timeout_ms;
	struct wa_media_conn	 conn;
	int			 have_conn;
	uint64_t		 conn_expires;	/* loop ms */
	struct conn_fetch	*fetch;		/* in flight; freed by its cb */
	struct job		*jobs;		/* owned list */
};

static void job_http(struct job *j);

static void
job_unlink(struct job *j)
{
	struct wa_media *m = j->m;

	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		m->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

static void
job_free(struct job *j)
{
	wa_media_enc_free(&j->enc);
	free(j->direct_path);
	sodium_memzero(j->key, sizeof(j->key));
	free(j);
}

/* Unlink, report, free.  A download reports data (n bytes) or err. */
static void
job_finish(struct job *j, int err, const struct wa_media_upload *up,
    const uint8_t *data, size_t n)
{
	job_unlink(j);
	if (j->upload)
		j->up_cb(j->arg, err, err == 0 ? up : NULL);
	else
		j->down_cb(j->arg, err, err == 0 ? data : NULL,
		    err == 0 ? n : 0);
	job_free(j);
}

static int conn_fetch(struct wa_media *m);

/* The server said how much it takes (maxContentLengthBytes): an upload
 * over that is refused here rather than sent to be refused. */
static int
over_server_limit(const struct wa_media *m, const struct job *j)
{
	return j->upload && m->conn.max_bytes > 0 &&
	    j->enc.blob_len > m->conn.max_bytes;
}

/*
 * The media_conn the waiting jobs wanted arrived (r 0) or failed: run or
 * fail exactly the jobs waiting now.  A failed job's callback may start
 * new jobs; those wait for a media_conn of their own.
 */
static void
wake_waiting(struct wa_media *m, int r)
{
	struct job *j;

	for (j = m->jobs; j != NULL; j = j->next)
		j->woken = j->state == JOB_WAIT_CONN;
	for (;;) {
		for (j = m->jobs; j != NULL && !j->woken; j = j->next)
			;
		if (j == NULL)
			return;
		j->woken = 0;
		if (r != 0)
			job_finish(j, r, NULL, NULL, 0);
		else if (over_server_limit(m, j))
			job_finish(j, WA_ERR_MEDIA_TOO_BIG, NULL, NULL, 0);
		else {
			j->host = 0;
			job_http(j);
		}
	}
}

static void
on_conn(void *arg, const struct wa_node *res, int err)
{
	struct conn_fetch *f = arg;
	struct wa_media *m = f->m;
	int r = err;

	free(f);
	if (m == NULL)
		return;
	m->fetch = NULL;
	if (r == 0 && res != NULL)
		r = wa_media_conn_parse(res, &m->conn);
	else if (r == 0)
		r = WA_ERR_MEDIA_CONN;
	if (r == 0) {
		m->have_conn = 1;
		m->conn_expires = u_loop_now(m->loop) + m->conn.ttl_s * 1000;
		logp_debug("wa-media", "media_conn: %zu host(s), ttl %llu s",
		    m->conn.nhosts, (unsigned long long)m->conn.ttl_s);
	} else
		logp_warnx("wa-media", "media_conn: %s", u_strerror(r));
	wake_waiting(m, r);
}

/*
 * Ask for a media_conn unless one is on its way.  Returns 0, or the
 * client's error (not connected) with nothing changed: the iq's callback
 * will not come, and the caller fails the job that needed it.
 */
static int
conn_fetch(struct wa_media *m)
{
	struct conn_fetch *f;
	int r;

	if (m->fetch != NULL)
		return 0;
	f = u_calloc(1, sizeof(*f));
	f->m = m;
	m->fetch = f;
	r = wa_client_send_iq(m->client, wa_media_conn_iq(), 0, on_conn, f);
	if (r != 0) {
		m->fetch = NULL;
		free(f);
	}
	return r;
}

/*
 * Run j now (a media_conn is cached and fresh, or force is 0...) or make it
 * wait for one.  Returns 0, or the error of asking (j untouched, still
 * linked: the caller fails it).
 */
static int
job_need_conn(struct job *j, int force)
{
	struct wa_media *m = j->m;
	int r;

	if (!force && m->have_conn && u_loop_now(m->loop) < m->conn_expires) {
		j->host = 0;
		job_http(j);
		return 0;
	}
	if (force)
		m->have_conn = 0;
	if ((r = conn_fetch(m)) != 0)
		return r;
	j->state = JOB_WAIT_CONN;
	return 0;
}

/* The next host after a failure, or the job's end with err. */
static void
job_next_host(struct job *j, int err)
{
	j->last_err = err;
	if (++j->host < j->m->conn.nhosts) {
		job_http(j);
		return;
	}
	job_finish(j, err, NULL, NULL, 0);
}

static void
on_upload(void *arg, int err, const struct u_http_resp *resp)
{
	struct job *j = arg;
	struct wa_media_upload up;
	char *url = NULL, *dp = NULL;
	int r;

	j->http_id = 0;
	if (err != 0) {
		logp_warnx("wa-media", "upload to %s: %s",
		    j->m->conn.hosts[j->host], resp->error);
		job_next_host(j, err);
		return;
	}
	if ((resp->status == 401 || resp->status == 403) && !j->reauthed) {
		/* The auth token expired before its ttl: fetch a new one. */
		j->reauthed = 1;
		if ((r = job_need_conn(j, 1)) != 0)
			job_finish(j, r, NULL, NULL, 0);
		return;
	}
	if (resp->status < 200 || resp->status > 299) {
		logp_warnx("wa-media", "upload to %s: HTTP %d",
		    j->m->conn.hosts[j->host], resp->status);
		job_next_host(j, WA_ERR_MEDIA_HTTP);
		return;
	}
	if ((r = wa_media_parse_upload_reply(resp->body, resp->len, &url,
	    &dp)) != 0) {
		logp_warnx("wa-media", "upload to %s: reply without a usable "
		    "direct_path", j->m->conn.hosts[j->host]);
		job_next_host(j, r);
		return;
	}
	up.enc = &j->enc;
	up.url = url;
	up.direct_path = dp;
	job_finish(j, 0, &up, NULL, 0);
	free(url);
	free(dp);
}

static void
on_download(void *arg, int err, const struct u_http_resp *resp)
{
	struct job *j = arg;
	uint8_t *pt = NULL;
	size_t n = 0;
	int r;

	j->http_id = 0;
	if (err != 0) {
		logp_warnx("wa-media", "download from %s: %s",
		    j->m->conn.hosts[j->host], resp->error);
		if (err == U_ERR_TOO_BIG) {
			job_finish(j, WA_ERR_MEDIA_TOO_BIG, NULL, NULL, 0);
			return;
		}
		job_next_host(j, err);
		return;
	}
	if (resp->status == 403 || resp->status == 404 ||
	    resp->status == 410) {
		/* The blob is gone from the CDN (or its URL no longer
		 * authorises us): only the sender's phone can upload it
		 * again (media retry).  Other hosts will not have it either;
		 * whatsmeow stops at these three and mautrix-whatsapp asks
		 * for a media retry on each. */
		job_finish(j, WA_ERR_MEDIA_EXPIRED, NULL, NULL, 0);
		return;
	}
	if (resp->status < 200 || resp->status > 299) {
		logp_warnx("wa-media", "download from %s: HTTP %d",
		    j->m->conn.hosts[j->host], resp->status);
		job_next_host(j, WA_ERR_MEDIA_HTTP);
		return;
	}
	r = wa_media_decrypt(j->type, j->key, resp->body, resp->len,
	    j->has_enc_sha ? j->enc_sha : NULL, j->has_sha ? j->sha : NULL,
	    j->max_len, &pt, &n);
	if (r != 0)
		logp_warnx("wa-media", "download of %s: %s",
		    wa_media_type_name(j->type), u_strerror(r));
	job_finish(j, r, NULL, pt, n);
	free(pt);
}

static void
job_http(struct job *j)
{
	struct wa_media *m = j->m;
	static const char *const up_hdrs[] = {
		"Origin: " WA_ORIGIN,
		"Referer: " WA_ORIGIN "/",
		"Content-Type: application/octet-stream",
		NULL,
	};
	static const char *const down_hdrs[] = {
		"Origin: " WA_ORIGIN,
		"Referer: " WA_ORIGIN "/",
		NULL,
	};
	struct u_http_req req;
	char *url;

	j->state = JOB_HTTP;
	memset(&req, 0, sizeof(req));
	req.ca_file = m->ca_file;
	req.timeout_ms = m->timeout_ms;
	req.stall_ms = WA_MEDIA_STALL_MS;
	if (j->upload) {
		url = wa_media_upload_url(m->conn.hosts[j->host], j->type,
		    m->conn.auth, j->enc.file_enc_sha256);
		req.method = "POST";
		req.headers = up_hdrs;
		req.body = j->enc.blob;
		req.body_len = j->enc.blob_len;
		req.body_borrowed = 1;
		req.max_resp = WA_MEDIA_REPLY_MAX;
	} else {
		url = wa_media_download_url(m->conn.hosts[j->host],
		    j->direct_path, j->type, j->has_enc_sha ? j->enc_sha : NULL);
		req.method = "GET";
		req.headers = down_hdrs;
		req.max_resp = blob_max(j->max_len);
	}
	req.url = url;
	j->http_id = u_http_start(m->http, &req, j->upload ? on_upload :
	    on_download, j);
	free(url);
	if (j->http_id == 0)
		/* Only an invalid request is refused: our bug. */
		fatalx("wa-media: request refused by util/http");
}

static struct job *
job_new(struct wa_media *m, int upload, enum wa_media_type t, void *arg)
{
	struct job *j = u_calloc(1, sizeof(*j));

	j->m = m;
	j->upload = upload;
	j->type = t;
	j->arg = arg;
	j->next = m->jobs;
	if (m->jobs != NULL)
		m->jobs->prev = j;
	m->jobs = j;
	return j;
}

int
wa_media_upload(struct wa_media *m, enum wa_media_type t, const void *data,
    size_t len, wa_media_upload_fn cb, void *arg)
{
	struct wa_media_enc enc;
	struct job *j;
	int r;

	if (!type_ok(t) || cb == NULL || (data == NULL && len > 0))
		return U_ERR_INVALID;
	if (len > types[t].max)
		return WA_ERR_MEDIA_TOO_BIG;
	if ((r = wa_media_encrypt(t, data, len, NULL, &enc)) != 0)
		return r;
	j = job_new(m, 1, t, arg);
	j->enc = enc;
	j->up_cb = cb;
	if (m->have_conn && over_server_limit(m, j))
		r = WA_ERR_MEDIA_TOO_BIG;
	else
		r = job_need_conn(j, 0);
	if (r != 0) {
		job_unlink(j);
		job_free(j);
	}
	return r;
}

int
wa_media_download(struct wa_media *m, const struct wa_media_ref *ref,
    wa_media_download_fn cb, void *arg)
{
	struct job *j;
	size_t max;
	int r;

	if (!type_ok(ref->type) || cb == NULL || ref->media_key == NULL ||
	    ref->direct_path == NULL || !path_ok(ref->direct_path))
		return U_ERR_INVALID;
	max = types[ref->type].max;
	if (ref->file_length > max)
		return U_ERR_INVALID;
	j = job_new(m, 0, ref->type, arg);
	j->down_cb = cb;
	j->direct_path = u_strdup(ref->direct_path);
	memcpy(j->key, ref->media_key, WA_MEDIA_KEY_LEN);
	if (ref->file_enc_sha256 != NULL) {
		memcpy(j->enc_sha, ref->file_enc_sha256, WA_MEDIA_SHA_LEN);
		j->has_enc_sha = 1;
	}
	if (ref->file_sha256 != NULL) {
		memcpy(j->sha, ref->file_sha256, WA_MEDIA_SHA_LEN);
		j->has_sha = 1;
	}
	/* A known length bounds the download to that plaintext exactly. */
	j->max_len = ref->file_length > 0 ? (size_t)ref->file_length : max;
	if ((r = job_need_conn(j, 0)) != 0) {
		job_unlink(j);
		job_free(j);
	}
	return r;
}

/* --- Media retry ------------------------------------------------------------- */

static int
retry_key(const uint8_t media_key[WA_MEDIA_KEY_LEN], uint8_t out[32])
{
	return cry_hkdf_sha256(NULL, 0, media_key, WA_MEDIA_KEY_LEN,
	    WA_MEDIA_RETRY_INFO, strlen(WA_MEDIA_RETRY_INFO), out, 32);
}

int
wa_media_retry_receipt(const struct wa_media_msg *msg, const char *own,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], struct wa_node **out)
{
	Wa__MmsServerErrorReceipt ser = WA__MMS_SERVER_ERROR_RECEIPT__INIT;
	struct wa_jid own_jid, chat, part;
	struct wa_node *rc = NULL, *enc, *n, *rmr;
	uint8_t key[32], iv[CRY_GCM_IV_LEN], *pt = NULL, *ct = NULL;
	size_t ptlen, idlen;
	int r = WA_ERR_INTERNAL;

	if (msg->id == NULL || (idlen = strlen(msg->id)) == 0 ||
	    idlen > WA_MEDIA_PATH_MAX || msg->chat == NULL)
		return U_ERR_INVALID;
	if ((r = wa_jid_parse(own, &own_jid)) != 0 ||
	    (r = wa_jid_parse(msg->chat, &chat)) != 0 ||
	    (msg->participant != NULL &&
	    (r = wa_jid_parse(msg->participant, &part)) != 0))
		return r;
	own_jid = wa_jid_to_non_ad(&own_jid);
	ser.stanza_id = (char *)msg->id;
	ptlen = wa__mms_server_error_receipt__get_packed_size(&ser);
	pt = u_malloc(ptlen + 1);
	wa__mms_server_error_receipt__pack(&ser, pt);
	ct = u_malloc(ptlen + CRY_GCM_TAG_LEN);
	cry_random(iv, sizeof(iv));
	if ((r = retry_key(media_key, key)) != 0 ||
	    (r = cry_aes_gcm_encrypt(key, iv, msg->id, idlen, pt, ptlen,
	    ct)) != 0)
		goto out;
	rc = wa_node_new("receipt");
	wa_node_set_attr(rc, "id", msg->id);
	wa_node_set_attr_jid(rc, "to", &own_jid);
	wa_node_set_attr(rc, "type", "server-error");
	enc = wa_node_new("encrypt");
	n = wa_node_new("enc_p");
	wa_node_set_bytes(n, ct, ptlen + CRY_GCM_TAG_LEN);
	wa_node_add_child(enc, n);
	n = wa_node_new("enc_iv");
	wa_node_set_bytes(n, iv, sizeof(iv));
	wa_node_add_child(enc, n);
	wa_node_add_child(rc, enc);
	rmr = wa_node_new("rmr");
	wa_node_set_attr_jid(rmr, "jid", &chat);
	wa_node_set_attr(rmr, "from_me", msg->from_me ? "true" : "false");
	if (msg->participant != NULL)
		wa_node_set_attr_jid(rmr, "participant", &part);
	wa_node_add_child(rc, rmr);
	*out = rc;
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	free(pt);
	free(ct);
	return r;
}

const char *
wa_media_retry_id(const struct wa_node *n)
{
	const char *type;

	if (strcmp(n->tag, "notification") != 0 ||
	    (type = wa_node_attr(n, "type")) == NULL ||
	    strcmp(type, "mediaretry") != 0)
		return NULL;
	return wa_node_attr(n, "id");
}

static const struct wa_node *
bytes_child(const struct wa_node *n, const char *tag)
{
	const struct wa_node *c = n != NULL ? wa_node_child(n, tag) : NULL;

	return c != NULL && (c->kind == WA_CONTENT_BYTES ||
	    c->kind == WA_CONTENT_STRING) ? c : NULL;
}

int
wa_media_retry_parse(const struct wa_node *n,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], char **direct_path,
    int *code)
{
	Wa__MmsRetryNotification *rn = NULL;
	const struct wa_node *enc, *p, *iv, *err;
	const char *id = wa_media_retry_id(n);
	uint8_t key[32], *pt = NULL;
	uint64_t v;
	int r = WA_ERR_MEDIA_MALFORMED;

	if (id == NULL || wa_node_child(n, "rmr") == NULL)
		return WA_ERR_MEDIA_MALFORMED;
	if ((err = wa_node_child(n, "error")) != NULL) {
		*code = wa_node_attr_u64(err, "code", &v) == 0 && v < 1000 ?
		    (int)v : 0;
		return WA_ERR_MEDIA_RETRY;
	}
	enc = wa_node_child(n, "encrypt");
	if ((p = bytes_child(enc, "enc_p")) == NULL ||
	    (iv = bytes_child(enc, "enc_iv")) == NULL ||
	    iv->len != CRY_GCM_IV_LEN || p->len < CRY_GCM_TAG_LEN ||
	    p->len > WA_MEDIA_REPLY_MAX)
		return WA_ERR_MEDIA_MALFORMED;
	pt = u_malloc(p->len);
	if ((r = retry_key(media_key, key)) != 0)
		goto out;
	if (cry_aes_gcm_decrypt(key, iv->bytes, id, strlen(id), p->bytes,
	    p->len, pt) != 0) {
		r = WA_ERR_MEDIA_MAC;
		goto out;
	}
	r = WA_ERR_MEDIA_MALFORMED;
	rn = wa__mms_retry_notification__unpack(NULL, p->len - CRY_GCM_TAG_LEN,
	    pt);
	/* The answer must be about this message. */
	if (rn == NULL || rn->stanza_id == NULL || strcmp(rn->stanza_id, id) != 0)
		goto out;
	if (!rn->has_result || rn->result != WA_MEDIA_RETRY_RESULT_SUCCESS) {
		*code = rn->has_result ? rn->result : 0;
		r = WA_ERR_MEDIA_RETRY;
		goto out;
	}
	if (rn->direct_path == NULL || !path_ok(rn->direct_path))
		goto out;
	*direct_path = u_strdup(rn->direct_path);
	r = 0;
out:
	if (rn != NULL)
		wa__mms_retry_notification__free_unpacked(rn, NULL);
	sodium_memzero(key, sizeof(key));
	free(pt);
	return r;
}

static struct retry *
retry_unlink(struct wa_media *m, struct retry *rt)
{
	struct retry **pp;

	for (pp = &m->retries; *pp != NULL; pp = &(*pp)->next)
		if (*pp == rt) {
			*pp = rt->next;
			m->nretries--;
			break;
		}
	rt->next = NULL;
	return rt;
}

static void
retry_free(struct retry *rt)
{
	u_timer_free(rt->timer);
	free(rt->id);
	sodium_memzero(rt->key, sizeof(rt->key));
	free(rt);
}

static void
on_retry_deadline(void *arg)
{
	struct retry *rt = arg;

	retry_unlink(rt->m, rt);
	logp_warnx("wa-media", "media retry of %s: no answer from the phone",
	    rt->id);
	rt->cb(rt->arg, WA_ERR_TIMEOUT, NULL);
	retry_free(rt);
}

int
wa_media_retry(struct wa_media *m, const struct wa_media_msg *msg,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], wa_media_retry_fn cb,
    void *arg)
{
	const struct wa_device *dev = wa_client_device(m->client);
	struct wa_node *rc = NULL;
	struct retry *rt;
	int r;

	if (cb == NULL || dev == NULL || dev->jid == NULL)
		return U_ERR_INVALID;
	if (m->nretries >= WA_MEDIA_RETRY_MAX)
		return U_ERR_TOO_BIG;
	if ((r = wa_media_retry_receipt(msg, dev->jid, media_key, &rc)) != 0)
		return r;
	if ((r = wa_client_send_node(m->client, rc)) != 0)
		return r;
	rt = u_calloc(1, sizeof(*rt));
	rt->m = m;
	rt->id = u_strdup(msg->id);
	memcpy(rt->key, media_key, WA_MEDIA_KEY_LEN);
	rt->cb = cb;
	rt->arg = arg;
	rt->timer = u_timer_new(m->loop, on_retry_deadline, rt);
	u_timer_start(rt->timer, WA_MEDIA_RETRY_TIMEOUT_MS, 0);
	rt->next = m->retries;
	m->retries = rt;
	m->nretries++;
	logp_info("wa-media", "asked the sender's phone to re-upload the "
	    "media of %s", msg->id);
	return 0;
}

int
wa_media_handle_node(struct wa_media *m, const struct wa_node *n)
{
	const char *id = wa_media_retry_id(n);
	struct retry *rt;
	char *path = NULL;
	int r, code = 0;

	if (id == NULL)
		return 0;
	wa_client_send_ack(m->client, n);
	for (rt = m->retries; rt != NULL; rt = rt->next)
		if (strcmp(rt->id, id) == 0)
			break;
	if (rt == NULL) {
		logp_debug("wa-media", "media retry answer for %s: not ours "
		    "(any more)", id);
		return 1;
	}
	retry_unlink(m, rt);
	r = wa_media_retry_parse(n, rt->key, &path, &code);
	if (r != 0)
		logp_warnx("wa-media", "media retry of %s: %s (code %d)", id,
		    u_strerror(r), code);
	rt->cb(rt->arg, r, r == 0 ? path : NULL);
	free(path);
	retry_free(rt);
	return 1;
}

struct wa_media *
wa_media_new(struct u_loop *loop, struct wa_client *client,
    const struct wa_media_opts *opts)
{
	struct wa_media *m = u_calloc(1, sizeof(*m));

	m->loop = loop;
	m->client = client;
	m->http = u_http_new(loop);
	if (opts != NULL && opts->ca_file != NULL)
		m->ca_file = u_strdup(opts->ca_file);
	m->timeout_ms = opts != NULL && opts->timeout_ms ? opts->timeout_ms :
	    WA_MEDIA_TIMEOUT_MS;
	return m;
}

void
wa_media_free(struct wa_media *m)
{
	struct job *j;

	if (m == NULL)
		return;
	if (m->fetch != NULL)
		m->fetch->m = NULL;
	while ((j = m->jobs) != NULL) {
		if (j->http_id != 0)
			u_http_cancel(m->http, j->http_id);
		job_unlink(j);
		job_free(j);
	}
	while (m->retries != NULL)
		retry_free(retry_unlink(m, m->retries));
	u_http_free(m->http);
	free(m->ca_file);
	sodium_memzero(&m->conn, sizeof(m->conn));
	free(m);
}
