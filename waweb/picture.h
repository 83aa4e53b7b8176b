/*
 * picture.h: profile pictures of users and group pictures (wa-protocol.md
 * §7, w:profile:picture): asking the server for a picture's id and URL,
 * downloading the JPEG, and <notification type=picture> parsed into an
 * event.
 *
 *   <iq xmlns=w:profile:picture type=get to=s.whatsapp.net target=JID>
 *     <picture type=image|preview query=url [id=<known id>]/></iq>
 *   -> <iq type=result><picture id url direct_path type [hash]/></iq>
 *      <picture status=304/> or no <picture> (with a known id): unchanged
 *      <picture status=204/> or <error code=404>: no picture
 *      <error code=401>: not allowed to see it (privacy)
 *
 *   <notification type=picture from=JID t><set|add jid id author/>
 *     |<delete jid author/>...</notification>
 *
 * The picture is a plain JPEG behind an HTTPS URL (not encrypted media):
 * one GET on the loop (util/http.h), TLS verified against the system store
 * or a given CA file, the reply capped at WA_PICTURE_MAX_BYTES.
 *
 * Does not: set pictures (group.h wa_group_set_picture), privacy tokens
 * (<tctoken> in the get: the real server asks for one from strangers in
 * some regions; ponton does not hold them yet), communities' pictures,
 * acking notifications (the caller acks), caching.
 *
 * Invariants: parsers take borrowed nodes, check every string against the
 * limits below before copying, and set out-parameters only on success;
 * every callback is called exactly once when its call returned 0, never
 * from inside that call.
 */
#ifndef PONTON_WAWEB_PICTURE_H
#define PONTON_WAWEB_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/jid.h"

struct wa_client;
struct wa_node;
struct u_http;

/* --- Limits ----------------------------------------------------------- */
/* A downloaded picture: the servers keep ~640x640 JPEGs (50-300 KB);
 * larger answers are refused before buffering. */
#define WA_PICTURE_MAX_BYTES ((size_t)2 << 20)
/* Picture ids are decimal numbers (~10-20 digits); hashes base64. */
#define WA_PICTURE_MAX_ID 64
/* URLs and direct paths (real ones are ~250-400 bytes). */
#define WA_PICTURE_MAX_URL 2048
/* Changes in one notification (real ones carry one). */
#define WA_PICTURE_MAX_CHANGES 16
/* Deadline of one download. */
#define WA_PICTURE_TIMEOUT_MS 30000
/* Deadline of the get iq: a group's chat info waits for its picture, so
 * a server that does not answer must not hold it for the default minute. */
#define WA_PICTURE_IQ_TIMEOUT_MS 20000

enum wa_picture_status {
	WA_PICTURE_SET = 0,	/* id, url, direct_path */
	WA_PICTURE_NONE,	/* no picture (404, 204) */
	WA_PICTURE_UNCHANGED,	/* the known id is still current (304) */
	WA_PICTURE_UNAUTHORIZED,	/* hidden from us (401, privacy) */
};

/* "set", "none", "unchanged", "unauthorized" (never NULL). */
const char *wa_picture_status_name(enum wa_picture_status s);

struct wa_picture_info {
	enum wa_picture_status status;
	char		 id[WA_PICTURE_MAX_ID + 1];	/* SET: "" never */
	char		 type[16];	/* "image" / "preview" or "" */
	char		*url;		/* owned; SET only */
	char		*direct_path;	/* owned; may be NULL */
};

void wa_picture_info_clear(struct wa_picture_info *p);

/*
 * The get iq for target (a user or group JID, device dropped), full image
 * or preview, with known_id (NULL/"": none).  Owned; NULL if target is
 * not a user or group or known_id is too long / not printable.
 */
struct wa_node *wa_picture_build_get(const struct wa_jid *target,
    int preview, const char *known_id);
/*
 * The answer (<iq type=result|error>, borrowed) to such a get made with
 * known_id (NULL: none) into *out (owned strings; clear it).  An error
 * iq is NONE for 404, UNAUTHORIZED for 401/403, else WA_ERR_IQ with
 * *code set.  Errors: WA_ERR_BAD_NODE (no id or url in a <picture>, not
 * printable), WA_ERR_TOO_BIG, WA_ERR_IQ.
 */
int wa_picture_parse_result(const struct wa_node *res, const char *known_id,
    struct wa_picture_info *out, int *code);

/* err 0 and info (borrowed for the call), or an error: WA_ERR_IQ (code:
 * the server's), WA_ERR_TIMEOUT, WA_ERR_NOT_CONNECTED, WA_ERR_BAD_NODE,
 * WA_ERR_TOO_BIG. */
typedef void (*wa_picture_info_cb)(void *arg, int err, int code,
    const struct wa_picture_info *info);
/* Ask the server.  0, or U_ERR_INVALID / WA_ERR_NOT_CONNECTED (cb not
 * called). */
int wa_picture_get_info(struct wa_client *c, const struct wa_jid *target,
    int preview, const char *known_id, wa_picture_info_cb cb, void *arg);

/* err 0 and the JPEG (borrowed for the call), or WA_ERR_MEDIA_TOO_BIG,
 * WA_ERR_MEDIA_EXPIRED (403/404/410), WA_ERR_MEDIA_HTTP (other status),
 * U_ERR_IO (network, TLS, timeout). */
typedef void (*wa_picture_data_cb)(void *arg, int err, const uint8_t *data,
    size_t len);
/*
 * GET url (https:// only) on h, trusting ca_file (NULL: the system
 * store), at most max bytes (0 or more than WA_PICTURE_MAX_BYTES:
 * WA_PICTURE_MAX_BYTES).  Returns the request id (for u_http_cancel) or
 * 0 with cb not called (not an https URL, too long).
 */
uint64_t wa_picture_download(struct u_http *h, const char *url,
    const char *ca_file, size_t max, wa_picture_data_cb cb, void *arg);

/* --- Notifications ------------------------------------------------------ */
struct wa_picture_change {
	struct wa_jid	 jid;		/* whose picture (user or group) */
	struct wa_jid	 author;	/* has_author: who changed it */
	int		 has_author;
	int		 removed;	/* <delete> */
	char		 id[WA_PICTURE_MAX_ID + 1];	/* set/add: the new id */
};

struct wa_picture_event {
	struct wa_jid	 from;
	uint64_t	 timestamp;	/* "t", 0 if absent */
	struct wa_picture_change *changes;	/* owned array, >= 1 */
	size_t		 nchanges;
};

void wa_picture_event_free(struct wa_picture_event *ev);
/* Whether n is a <notification type=picture>. */
int wa_picture_is_notification(const struct wa_node *n);
/*
 * Parse it (borrowed) into *out (owned).  A child without jid takes the
 * notification's from; children other than set/add/delete are skipped;
 * none known is WA_ERR_BAD_NODE.  Errors: WA_ERR_BAD_NODE, WA_ERR_BAD_JID,
 * WA_ERR_TOO_BIG.
 */
int wa_picture_parse_notification(const struct wa_node *n,
    struct wa_picture_event **out);

#endif
