/*
 * media.h: WhatsApp media (wa-protocol.md §9): the per-type encryption of
 * media blobs, the media_conn iq that names the media hosts and the upload
 * token, and encrypted upload and download over HTTPS on the loop.
 *
 * Encryption (identical in whatsmeow and Baileys):
 *   keys = HKDF-SHA256(ikm = mediaKey (32 random bytes), no salt,
 *                      info = "WhatsApp <Type> Keys", 112 bytes)
 *        = iv[16] || cipherKey[32] || macKey[32] || refKey[32] (unused)
 *   blob = AES-256-CBC-PKCS7(cipherKey, iv, plaintext) || mac
 *   mac  = HMAC-SHA256(macKey, iv || ciphertext)[0:10]
 *   fileSha256 = SHA-256(plaintext), fileEncSha256 = SHA-256(blob)
 *
 * Upload:   POST https://<host>/mms/<mms-type>/<token>?auth=<auth>&token=<token>
 *           token = URL-safe base64 (padded, as whatsmeow) of fileEncSha256;
 *           the JSON reply names "url" and "direct_path".
 * Download: GET https://<host><direct_path>[?&]hash=<token>&mms-type=<type>
 *           &__wa-mms=, tried on each media_conn host in turn; the blob's
 *           SHA-256, then the MAC, then the plaintext's SHA-256 are checked
 *           before anything is handed out.
 *
 * Media retry: a download that finds the URL gone (403, 404, 410) reports
 * WA_ERR_MEDIA_EXPIRED; the caller then asks the sender's phone to upload
 * the file again (wa_media_retry: <receipt type="server-error"> with an
 * encrypted ServerErrorReceipt) and gets the new direct path from the
 * phone's <notification type="mediaretry">, fed through
 * wa_media_handle_node.
 *
 * Does not: generate thumbnails or waveforms from the media (a caller that
 * has them passes them through in the message, see content.h), stream
 * (blobs are held in memory, bounded per type by wa_media_max()), answer
 * other devices' media retry requests (only a phone does).
 *
 * Invariants: nothing from the network is used before its checks pass; a
 * blob larger than its type's limit is refused before it is buffered
 * (Content-Length, then as bytes arrive); keys are wiped after use; every
 * request's callback runs exactly once unless the wa_media is freed first.
 */
#ifndef PONTON_WAWEB_MEDIA_H
#define PONTON_WAWEB_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "util/loop.h"

struct wa_client;
struct wa_node;

enum wa_media_type {
	WA_MEDIA_IMAGE = 0,	/* "WhatsApp Image Keys", /mms/image */
	WA_MEDIA_VIDEO,		/* "WhatsApp Video Keys", /mms/video */
	WA_MEDIA_AUDIO,		/* "WhatsApp Audio Keys", /mms/audio (voice notes too) */
	WA_MEDIA_DOCUMENT,	/* "WhatsApp Document Keys", /mms/document */
	WA_MEDIA_STICKER,	/* Image keys, /mms/image (as Baileys) */
	WA_MEDIA_HISTORY,	/* "WhatsApp History Keys", /mms/md-msg-hist */
	WA_MEDIA_APP_STATE,	/* "WhatsApp App State Keys", /mms/md-app-state */
	WA_MEDIA_LINK_THUMBNAIL, /* "WhatsApp Link Thumbnail Keys", /mms/thumbnail-link */
	WA_MEDIA_TYPE_COUNT_
};

#define WA_MEDIA_KEY_LEN	32
#define WA_MEDIA_SHA_LEN	32
#define WA_MEDIA_MAC_LEN	10	/* the truncated HMAC at the blob's end */
#define WA_MEDIA_KEYS_LEN	112	/* HKDF output: iv, cipher, mac, ref */
/* base64 of 32 bytes with padding (44) + NUL. */
#define WA_MEDIA_TOKEN_MAX	48
/*
 * Size limits, checked before allocating: WhatsApp's own (documents up to
 * 2 GB today) would let one message pin gigabytes in memory, and ponton
 * holds a blob whole, so the bridge caps what it carries.  Images and
 * stickers: 16 MiB (WhatsApp recompresses larger ones anyway); video and
 * audio 64 MiB (16 MiB was the historical WhatsApp cap); documents and
 * the rest 100 MiB.  The blob may be up to one block + MAC larger.
 */
#define WA_MEDIA_MAX_IMAGE	((size_t)16 << 20)
#define WA_MEDIA_MAX_AV		((size_t)64 << 20)
#define WA_MEDIA_MAX		((size_t)100 << 20)
/* Voice notes: Opus in Ogg, a 64-sample waveform, each 0..100. */
#define WA_MEDIA_PTT_MIMETYPE	"audio/ogg; codecs=opus"
#define WA_MEDIA_WAVEFORM_LEN	64
#define WA_MEDIA_WAVEFORM_PEAK	100
/* media_conn: hosts kept, longest hostname and auth token accepted. */
#define WA_MEDIA_MAX_HOSTS	8
#define WA_MEDIA_HOST_MAX	256
#define WA_MEDIA_AUTH_MAX	512
/* A media_conn is refreshed at most this long after it was fetched,
 * whatever ttl says (a hostile ttl cannot pin a stale one forever). */
#define WA_MEDIA_CONN_TTL_MAX_S	86400
/* The direct path we accept from an upload reply or a message. */
#define WA_MEDIA_PATH_MAX	2048
/* Upload reply (small JSON) cap.  One request's deadline is long enough
 * for 100 MiB on a slow link; a transfer that stalls (no byte for
 * WA_MEDIA_STALL_MS) is given up long before. */
#define WA_MEDIA_REPLY_MAX	((size_t)64 << 10)
#define WA_MEDIA_TIMEOUT_MS	(30u * 60 * 1000)
#define WA_MEDIA_STALL_MS	60000

/* "image", "video", "audio", "document", "sticker", ... (never NULL). */
const char *wa_media_type_name(enum wa_media_type t);
/* The type from its name (as above; "ptt" and "voice" mean audio).
 * Returns 0 or U_ERR_INVALID. */
int wa_media_type_parse(const char *name, enum wa_media_type *out);
/* The HKDF info string ("WhatsApp Image Keys", ...). */
const char *wa_media_hkdf_info(enum wa_media_type t);
/* The mms type in upload and download URLs ("image", "md-msg-hist", ...). */
const char *wa_media_mms_type(enum wa_media_type t);
/* The largest plaintext of a type we encrypt or accept. */
size_t wa_media_max(enum wa_media_type t);

/* The 112 expanded bytes, split. */
struct wa_media_keys {
	uint8_t	iv[16];
	uint8_t	cipher_key[32];
	uint8_t	mac_key[32];
	uint8_t	ref_key[32];
};
/* Expand media_key for type t.  Errors: U_ERR_INVALID (bad type). */
int wa_media_derive(enum wa_media_type t,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], struct wa_media_keys *out);

/* An encrypted blob and what a message needs to name it. */
struct wa_media_enc {
	uint8_t		 media_key[WA_MEDIA_KEY_LEN];
	uint8_t		 file_sha256[WA_MEDIA_SHA_LEN];
	uint8_t		 file_enc_sha256[WA_MEDIA_SHA_LEN];
	uint64_t	 file_length;		/* plaintext bytes */
	uint8_t		*blob;			/* owned: ciphertext || mac */
	size_t		 blob_len;
};
/* Frees blob and wipes the key; NULL is a no-op. */
void wa_media_enc_free(struct wa_media_enc *e);

/*
 * Encrypt plaintext (n bytes, may be 0) as type t.  media_key NULL: a
 * fresh random one; else that key (tests, re-uploads).  *out filled on
 * success (blob owned).  Errors: U_ERR_INVALID (bad type),
 * WA_ERR_MEDIA_TOO_BIG (n > wa_media_max(t)), crypto errors.
 */
int wa_media_encrypt(enum wa_media_type t, const void *plaintext, size_t n,
    const uint8_t *media_key, struct wa_media_enc *out);

/*
 * Check and decrypt a downloaded blob (ciphertext || mac).  file_enc_sha256
 * and file_sha256 may be NULL (not checked: Baileys sends both, but old
 * messages may lack them); max_len 0 means wa_media_max(t).  *out (owned,
 * n bytes) only on success.  Errors, in the order they are checked:
 * WA_ERR_MEDIA_TOO_BIG (blob longer than max_len allows),
 * WA_ERR_MEDIA_HASH (SHA-256 of the blob), WA_ERR_MEDIA_MALFORMED (shorter
 * than one block + mac, or not block-aligned), WA_ERR_MEDIA_MAC,
 * WA_ERR_MEDIA_MALFORMED (bad padding), WA_ERR_MEDIA_HASH (SHA-256 of the
 * plaintext).
 */
int wa_media_decrypt(enum wa_media_type t,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], const uint8_t *blob,
    size_t blob_len, const uint8_t *file_enc_sha256,
    const uint8_t *file_sha256, size_t max_len, uint8_t **out, size_t *n);

/* The upload token (URL-safe base64 with padding) of fileEncSha256. */
void wa_media_token(const uint8_t file_enc_sha256[WA_MEDIA_SHA_LEN],
    char out[WA_MEDIA_TOKEN_MAX]);

/*
 * A voice-note waveform is usable: exactly WA_MEDIA_WAVEFORM_LEN samples,
 * each at most WA_MEDIA_WAVEFORM_PEAK.  Returns 1 or 0.
 */
int wa_media_waveform_valid(const uint8_t *w, size_t n);
/*
 * A waveform from n >= 1 unsigned amplitudes (any scale): averaged into 64
 * buckets and scaled so the loudest is 100 (all zero stays zero).
 */
void wa_media_waveform_from(const uint32_t *amp, size_t n,
    uint8_t out[WA_MEDIA_WAVEFORM_LEN]);

/* --- media_conn --------------------------------------------------------- */

struct wa_media_conn {
	char		 auth[WA_MEDIA_AUTH_MAX];
	char		 hosts[WA_MEDIA_MAX_HOSTS][WA_MEDIA_HOST_MAX];
	size_t		 nhosts;
	uint64_t	 ttl_s;		/* capped at WA_MEDIA_CONN_TTL_MAX_S */
	uint64_t	 max_bytes;	/* first host's maxContentLengthBytes, 0 unknown */
};
/* <iq xmlns=w:m type=set to=s.whatsapp.net><media_conn/></iq> (owned). */
struct wa_node *wa_media_conn_iq(void);
/*
 * Parse the reply (<iq type=result><media_conn auth ttl ...><host
 * hostname/>...).  Hosts past WA_MEDIA_MAX_HOSTS are ignored; a hostname
 * must be a plain host[:port] (letters, digits, '.', '-', ':').  Errors:
 * WA_ERR_IQ (type=error), WA_ERR_MEDIA_CONN (missing/over-long auth, no
 * usable host, bad ttl).
 */
int wa_media_conn_parse(const struct wa_node *res, struct wa_media_conn *out);

/* --- Upload and download on the loop ------------------------------------ */

struct wa_media;

struct wa_media_opts {
	/* Trust this PEM file (a CA or a pinned self-signed certificate)
	 * instead of the system store: tests against wasim.  NULL: system. */
	const char	*ca_file;
	/* Per request; 0: WA_MEDIA_TIMEOUT_MS. */
	unsigned	 timeout_ms;
};

/*
 * media_key and the hashes in res are the upload's (borrowed until the
 * callback returns); url and direct_path as the server named them.
 */
struct wa_media_upload {
	const struct wa_media_enc	*enc;
	const char			*url;		/* may be NULL */
	const char			*direct_path;
};
/* err 0 with res, or an error (res NULL). */
typedef void (*wa_media_upload_fn)(void *arg, int err,
    const struct wa_media_upload *res);
/* err 0 with data (borrowed until the callback returns), or an error. */
typedef void (*wa_media_download_fn)(void *arg, int err, const uint8_t *data,
    size_t len);

/* client and loop borrowed; opts copied (may be NULL).  Never NULL. */
struct wa_media *wa_media_new(struct u_loop *loop, struct wa_client *client,
    const struct wa_media_opts *opts);
/* Pending requests are dropped without their callbacks.  NULL: no-op.
 * Not from one of its own callbacks (defer it). */
void wa_media_free(struct wa_media *m);

/*
 * Encrypt data as type t and upload it (fetching media_conn first if none
 * is cached or it expired).  data is copied.  Errors through cb (never
 * called before this returns): WA_ERR_NOT_CONNECTED (the connection went
 * away while media_conn was asked for), WA_ERR_TIMEOUT, WA_ERR_IQ,
 * WA_ERR_MEDIA_CONN, WA_ERR_MEDIA_HTTP (status not 2xx or no direct_path in
 * the reply, after trying each host), U_ERR_IO (network/TLS).  Returns 0
 * or, with cb not called, U_ERR_INVALID, WA_ERR_MEDIA_TOO_BIG (over the
 * type's limit, or over the media_conn's maxContentLengthBytes; the latter
 * through cb when media_conn had to be fetched first),
 * WA_ERR_NOT_CONNECTED (a media_conn was needed and there is no
 * connection to ask on).
 */
int wa_media_upload(struct wa_media *m, enum wa_media_type t,
    const void *data, size_t len, wa_media_upload_fn cb, void *arg);

/* What a message says about its media (all borrowed for the call). */
struct wa_media_ref {
	enum wa_media_type	 type;
	const char		*direct_path;	/* "/v/t62...enc?..." */
	const uint8_t		*media_key;	/* WA_MEDIA_KEY_LEN */
	const uint8_t		*file_enc_sha256; /* WA_MEDIA_SHA_LEN or NULL */
	const uint8_t		*file_sha256;	/* WA_MEDIA_SHA_LEN or NULL */
	uint64_t		 file_length;	/* 0: unknown */
};
/*
 * Download and decrypt.  Errors through cb: WA_ERR_MEDIA_EXPIRED (the
 * server answered 403, 404 or 410: ask the sender's phone for a media
 * retry, wa_media_retry),
 * WA_ERR_MEDIA_HTTP (another status on every host), WA_ERR_MEDIA_TOO_BIG,
 * the wa_media_decrypt errors, transport errors as for upload.  Returns 0
 * or, cb not called, U_ERR_INVALID (no key, path not starting with '/' or
 * too long, file_length above the type's limit), WA_ERR_NOT_CONNECTED as
 * for upload.
 */
int wa_media_download(struct wa_media *m, const struct wa_media_ref *ref,
    wa_media_download_fn cb, void *arg);

/* --- Glue to message content (waweb/content.h) --------------------------- */

struct wa_content;
/*
 * The media type of a content kind (IMAGE, VIDEO, AUDIO and VOICE, DOCUMENT,
 * STICKER; the int is an enum wa_content_type).  Errors: U_ERR_INVALID for
 * a kind without media.
 */
int wa_media_type_of(int content_kind, enum wa_media_type *out);
/*
 * The download reference of a received media message: fields borrowed
 * from c.  Errors: U_ERR_INVALID (not a media kind, no media key or no
 * direct path: nothing we could fetch).
 */
int wa_media_ref_from(const struct wa_content *c, struct wa_media_ref *ref);
/*
 * Fill c's media fields from an upload for sending: url and direct_path
 * (copied; the previous ones freed), media key, both hashes, file length,
 * mediaKeyTimestamp = now_s.  The caller sets c->kind, mimetype, caption,
 * file name, waveform and the rest.
 */
void wa_media_fill(struct wa_content *c, const struct wa_media_upload *up,
    int64_t now_s);

/* --- Media retry -------------------------------------------------------- */

#define WA_MEDIA_RETRY_INFO	"WhatsApp Media Retry Notification"
/* How long we wait for the phone's answer (it may be offline). */
#define WA_MEDIA_RETRY_TIMEOUT_MS 60000
/* Retries waiting for an answer at once. */
#define WA_MEDIA_RETRY_MAX	64
/* MediaRetryNotification.result values. */
#define WA_MEDIA_RETRY_RESULT_SUCCESS 1

/* The message whose media we ask for (strings borrowed for the call). */
struct wa_media_msg {
	const char	*id;
	const char	*chat;		/* 1:1: the other account; a group */
	int		 from_me;
	const char	*participant;	/* groups: the sender; else NULL */
};

/*
 * <receipt id to=<own account> type="server-error"><encrypt><enc_p/>
 * <enc_iv/></encrypt><rmr jid from_me [participant]/></receipt>, own the
 * account JID without device.  *out owned.  Errors: WA_ERR_BAD_JID,
 * U_ERR_INVALID (no id).
 */
int wa_media_retry_receipt(const struct wa_media_msg *msg, const char *own,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], struct wa_node **out);
/* The id of a <notification type="mediaretry">, or NULL if n is not one. */
const char *wa_media_retry_id(const struct wa_node *n);
/*
 * Decrypt a mediaretry notification with the message's media key: on
 * success *direct_path (owned) is the re-uploaded file's.  Errors:
 * WA_ERR_MEDIA_MALFORMED (parts missing or not a MediaRetryNotification
 * for this id), WA_ERR_MEDIA_MAC (does not decrypt: another key),
 * WA_ERR_MEDIA_RETRY (an <error code> or a result other than success;
 * *code set to the error code or result).
 */
int wa_media_retry_parse(const struct wa_node *n,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], char **direct_path,
    int *code);

/* err 0 with the new direct path (borrowed), or an error. */
typedef void (*wa_media_retry_fn)(void *arg, int err,
    const char *direct_path);
/*
 * Ask the sender's phone to re-upload msg's media; cb gets the new direct
 * path (download it with the same key and hashes).  Errors through cb:
 * WA_ERR_MEDIA_RETRY, WA_ERR_MEDIA_MAC, WA_ERR_MEDIA_MALFORMED,
 * WA_ERR_TIMEOUT (no answer in WA_MEDIA_RETRY_TIMEOUT_MS).  Returns 0 or,
 * cb not called, U_ERR_INVALID, WA_ERR_BAD_JID, WA_ERR_NOT_CONNECTED,
 * U_ERR_TOO_BIG (WA_MEDIA_RETRY_MAX pending).
 */
int wa_media_retry(struct wa_media *m, const struct wa_media_msg *msg,
    const uint8_t media_key[WA_MEDIA_KEY_LEN], wa_media_retry_fn cb,
    void *arg);
/*
 * Feed a stanza from the client's on_node: 1 if it was a mediaretry
 * notification (acked; a pending retry's callback runs), else 0.
 */
int wa_media_handle_node(struct wa_media *m, const struct wa_node *n);

/* The download URL for host (owned).  Exposed for the unit tests. */
char *wa_media_download_url(const char *host, const char *direct_path,
    enum wa_media_type t, const uint8_t *file_enc_sha256);
/* The upload URL for host (owned).  Exposed for the unit tests. */
char *wa_media_upload_url(const char *host, enum wa_media_type t,
    const char *auth, const uint8_t file_enc_sha256[WA_MEDIA_SHA_LEN]);
/*
 * The upload reply's JSON: direct_path (required, starting with '/', at
 * most WA_MEDIA_PATH_MAX) and url (optional); both owned on success.
 * Errors: WA_ERR_MEDIA_HTTP.
 */
int wa_media_parse_upload_reply(const uint8_t *body, size_t len, char **url,
    char **direct_path);

#endif
