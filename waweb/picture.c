/*
 * picture.c: profile and group pictures: the w:profile:picture get iq, its
 * answer, the plain HTTPS download of the JPEG, and <notification
 * type=picture>.  See picture.h for the API; shapes checked against
 * whatsmeow's user.go (GetProfilePictureInfo), notification.go
 * (handlePictureNotification) and Baileys' profilePictureUrl.
 *
 * Does not: set pictures (group.c), cache anything, decrypt (pictures are
 * not encrypted media), follow redirects.
 *
 * Invariants: every string taken from a node is printable ASCII within its
 * WA_PICTURE_MAX_* limit before it is copied; out-parameters are set only
 * on success; each callback runs exactly once after its call returned 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/http.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/picture.h"

/* The longest iq error code we believe (HTTP-like, 3 digits). */
#define ERROR_CODE_MAX 999

const char *
wa_picture_status_name(enum wa_picture_status s)
{
	switch (s) {
	case WA_PICTURE_SET:		return "set";
	case WA_PICTURE_NONE:		return "none";
	case WA_PICTURE_UNCHANGED:	return "unchanged";
	case WA_PICTURE_UNAUTHORIZED:	return "unauthorized";
	}
	return "unknown";
}

void
wa_picture_info_clear(struct wa_picture_info *p)
{
	if (p == NULL)
		return;
	free(p->url);
	free(p->direct_path);
	memset(p, 0, sizeof(*p));
}

/* Printable ASCII, no space, 1..max bytes. */
static int
token_ok(const char *s, size_t max)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* A string attribute checked as a token: 0 absent (*out NULL), 1 ok,
 * or an error. */
static int
attr_token(const struct wa_node *n, const char *key, size_t max,
    const char **out)
{
	const struct wa_attr *a = wa_node_attr_get(n, key);

	*out = NULL;
	if (a == NULL)
		return 0;
	if (a->kind != WA_VAL_STR)
		return WA_ERR_BAD_NODE;
	if (strlen(a->str) > max)
		return WA_ERR_TOO_BIG;
	if (!token_ok(a->str, max))
		return WA_ERR_BAD_NODE;
	*out = a->str;
	return 1;
}

static int
target_ok(const struct wa_jid *j)
{
	return j != NULL && j->user[0] != '\0' &&
	    (wa_jid_is_user(j) || wa_jid_is_group(j));
}

struct wa_node *
wa_picture_build_get(const struct wa_jid *target, int preview,
    const char *known_id)
{
	struct wa_node *iq, *p;
	struct wa_jid srv, t;

	if (!target_ok(target) || wa_jid_make(&srv, "", WA_SERVER_USER, 0) != 0)
		return NULL;
	if (known_id != NULL && known_id[0] != '\0' &&
	    !token_ok(known_id, WA_PICTURE_MAX_ID))
		return NULL;
	t = wa_jid_to_non_ad(target);
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", "w:profile:picture");
	wa_node_set_attr(iq, "type", "get");
	wa_node_set_attr_jid(iq, "to", &srv);
	wa_node_set_attr_jid(iq, "target", &t);
	p = wa_node_new("picture");
	wa_node_set_attr(p, "type", preview ? "preview" : "image");
	wa_node_set_attr(p, "query", "url");
	if (known_id != NULL && known_id[0] != '\0')
		wa_node_set_attr(p, "id", known_id);
	wa_node_add_child(iq, p);
	return iq;
}

static int
iq_error_code(const struct wa_node *res)
{
	const struct wa_node *e = wa_node_child(res, "error");
	uint64_t v;

	if (e == NULL || wa_node_attr_u64(e, "code", &v) != 0 ||
	    v > ERROR_CODE_MAX)
		return 0;
	return (int)v;
}

int
wa_picture_parse_result(const struct wa_node *res, const char *known_id,
    struct wa_picture_info *out, int *code)
{
	struct wa_picture_info pi;
	const struct wa_node *p;
	const char *type, *id, *url, *dp, *t;
	uint64_t status;
	int c, r;

	memset(&pi, 0, sizeof(pi));
	*code = 0;
	if (res == NULL || strcmp(res->tag, "iq") != 0 ||
	    (type = wa_node_attr(res, "type")) == NULL)
		return WA_ERR_BAD_NODE;
	if (strcmp(type, "error") == 0) {
		c = iq_error_code(res);
		if (c == 404)
			pi.status = WA_PICTURE_NONE;
		else if (c == 401 || c == 403)
			pi.status = WA_PICTURE_UNAUTHORIZED;
		else {
			*code = c;
			return WA_ERR_IQ;
		}
		*out = pi;
		return 0;
	}
	if (strcmp(type, "result") != 0)
		return WA_ERR_BAD_NODE;
	p = wa_node_child(res, "picture");
	if (p == NULL) {
		/* whatsmeow: no <picture> with a known id is "not changed". */
		if (known_id == NULL || known_id[0] == '\0')
			return WA_ERR_BAD_NODE;
		pi.status = WA_PICTURE_UNCHANGED;
		*out = pi;
		return 0;
	}
	if (wa_node_attr_get(p, "status") != NULL) {
		if (wa_node_attr_u64(p, "status", &status) != 0)
			return WA_ERR_BAD_NODE;
		if (status == 304 || status == 204) {
			pi.status = status == 304 ? WA_PICTURE_UNCHANGED :
			    WA_PICTURE_NONE;
			*out = pi;
			return 0;
		}
	}
	if ((r = attr_token(p, "id", WA_PICTURE_MAX_ID, &id)) < 0 ||
	    (r = attr_token(p, "url", WA_PICTURE_MAX_URL, &url)) < 0 ||
	    (r = attr_token(p, "direct_path", WA_PICTURE_MAX_URL, &dp)) < 0 ||
	    (r = attr_token(p, "type", sizeof(pi.type) - 1, &t)) < 0)
		return r;
	if (id == NULL || url == NULL)
		return WA_ERR_BAD_NODE;
	pi.status = known_id != NULL && strcmp(known_id, id) == 0 ?
	    WA_PICTURE_UNCHANGED : WA_PICTURE_SET;
	snprintf(pi.id, sizeof(pi.id), "%s", id);
	if (t != NULL)
		snprintf(pi.type, sizeof(pi.type), "%s", t);
	pi.url = u_strdup(url);
	pi.direct_path = dp != NULL ? u_strdup(dp) : NULL;
	*out = pi;
	return 0;
}

/* --- get ------------------------------------------------------------------ */

struct get {
	wa_picture_info_cb	 cb;
	void			*arg;
	char			*known_id;	/* owned or NULL */
};

static void
get_done(void *arg, const struct wa_node *res, int err)
{
	struct get *g = arg;
	struct wa_picture_info pi;
	int code = 0, r;

	memset(&pi, 0, sizeof(pi));
	/* An error answer comes with err WA_ERR_IQ and the node: 404 and
	 * 401 are answers here, not failures. */
	if (res == NULL)
		g->cb(g->arg, err != 0 ? err : WA_ERR_BAD_NODE, 0, NULL);
	else if ((r = wa_picture_parse_result(res, g->known_id, &pi,
	    &code)) != 0)
		g->cb(g->arg, r, code, NULL);
	else
		g->cb(g->arg, 0, 0, &pi);
	wa_picture_info_clear(&pi);
	free(g->known_id);
	free(g);
}

int
wa_picture_get_info(struct wa_client *c, const struct wa_jid *target,
    int preview, const char *known_id, wa_picture_info_cb cb, void *arg)
{
	struct wa_node *iq;
	struct get *g;
	int r;

	if (cb == NULL ||
	    (iq = wa_picture_build_get(target, preview, known_id)) == NULL)
		return U_ERR_INVALID;
	g = u_calloc(1, sizeof(*g));
	g->cb = cb;
	g->arg = arg;
	g->known_id = known_id != NULL && known_id[0] != '\0' ?
	    u_strdup(known_id) : NULL;
	r = wa_client_send_iq(c, iq, WA_PICTURE_IQ_TIMEOUT_MS, get_done, g);
	if (r != 0) {
		free(g->known_id);
		free(g);
	}
	return r;
}

/* --- download -------------------------------------------------------------- */

struct dl {
	wa_picture_data_cb	 cb;
	void			*arg;
};

static void
dl_done(void *arg, int err, const struct u_http_resp *resp)
{
	struct dl *d = arg;

	if (err == U_ERR_TOO_BIG)
		d->cb(d->arg, WA_ERR_MEDIA_TOO_BIG, NULL, 0);
	else if (err != 0) {
		log_debug("picture download failed: %s",
		    resp->error != NULL ? resp->error : u_strerror(err));
		d->cb(d->arg, U_ERR_IO, NULL, 0);
	} else if (resp->status == 403 || resp->status == 404 ||
	    resp->status == 410)
		d->cb(d->arg, WA_ERR_MEDIA_EXPIRED, NULL, 0);
	else if (resp->status != 200)
		d->cb(d->arg, WA_ERR_MEDIA_HTTP, NULL, 0);
	else
		d->cb(d->arg, 0, resp->body, resp->len);
	free(d);
}

uint64_t
wa_picture_download(struct u_http *h, const char *url, const char *ca_file,
    size_t max, wa_picture_data_cb cb, void *arg)
{
	struct u_http_req req;
	struct dl *d;
	uint64_t id;

	if (h == NULL || cb == NULL || url == NULL ||
	    strncmp(url, "https://", 8) != 0 ||
	    !token_ok(url, WA_PICTURE_MAX_URL))
		return 0;
	if (max == 0 || max > WA_PICTURE_MAX_BYTES)
		max = WA_PICTURE_MAX_BYTES;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.max_resp = max;
	req.timeout_ms = WA_PICTURE_TIMEOUT_MS;
	req.ca_file = ca_file;
	d = u_calloc(1, sizeof(*d));
	d->cb = cb;
	d->arg = arg;
	id = u_http_start(h, &req, dl_done, d);
	if (id == 0)
		free(d);
	return id;
}

/* --- notifications ------------------------------------------------------------ */

void
wa_picture_event_free(struct wa_picture_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->changes);
	free(ev);
}

int
wa_picture_is_notification(const struct wa_node *n)
{
	const char *type;

	return n != NULL && strcmp(n->tag, "notification") == 0 &&
	    (type = wa_node_attr(n, "type")) != NULL &&
	    strcmp(type, "picture") == 0;
}

/* One <set|add|delete>: 1 parsed, 0 skipped, or an error. */
static int
parse_change(const struct wa_node *x, const struct wa_jid *from,
    struct wa_picture_change *c)
{
	const char *id;
	int r;

	memset(c, 0, sizeof(*c));
	if (strcmp(x->tag, "delete") == 0)
		c->removed = 1;
	else if (strcmp(x->tag, "set") != 0 && strcmp(x->tag, "add") != 0)
		return 0;
	r = wa_node_attr_jid(x, "jid", &c->jid);
	if (r == U_ERR_NOT_FOUND)
		c->jid = *from;
	else if (r != 0)
		return WA_ERR_BAD_JID;
	if (!target_ok(&c->jid))
		return WA_ERR_BAD_JID;
	c->jid = wa_jid_to_non_ad(&c->jid);
	r = wa_node_attr_jid(x, "author", &c->author);
	if (r == 0)
		c->has_author = 1;
	else if (r != U_ERR_NOT_FOUND)
		return WA_ERR_BAD_JID;
	if (c->removed)
		return 1;
	if ((r = attr_token(x, "id", WA_PICTURE_MAX_ID, &id)) < 0)
		return r;
	/* whatsmeow: "sometimes there's a hash and no ID": not usable. */
	if (id == NULL)
		return WA_ERR_BAD_NODE;
	snprintf(c->id, sizeof(c->id), "%s", id);
	return 1;
}

int
wa_picture_parse_notification(const struct wa_node *n,
    struct wa_picture_event **out)
{
	struct wa_picture_event *ev = NULL;
	const struct wa_node *x;
	size_t i, known = 0;
	uint64_t t;
	int r = WA_ERR_BAD_NODE;

	if (!wa_picture_is_notification(n) || n->kind != WA_CONTENT_LIST)
		return WA_ERR_BAD_NODE;
	ev = u_calloc(1, sizeof(*ev));
	if (wa_node_attr_jid(n, "from", &ev->from) != 0) {
		r = WA_ERR_BAD_JID;
		goto out;
	}
	if (wa_node_attr_u64(n, "t", &t) == 0)
		ev->timestamp = t;
	for (i = 0; i < n->nchildren; i++) {
		x = n->children[i];
		if (strcmp(x->tag, "set") == 0 || strcmp(x->tag, "add") == 0 ||
		    strcmp(x->tag, "delete") == 0)
			known++;
	}
	if (known == 0)
		goto out;
	if (known > WA_PICTURE_MAX_CHANGES) {
		r = WA_ERR_TOO_BIG;
		goto out;
	}
	ev->changes = u_calloc(known, sizeof(*ev->changes));
	for (i = 0; i < n->nchildren; i++) {
		r = parse_change(n->children[i], &ev->from,
		    &ev->changes[ev->nchanges]);
		if (r < 0)
			goto out;
		if (r == 1)
			ev->nchanges++;
	}
	*out = ev;
	ev = NULL;
	r = 0;
out:
	wa_picture_event_free(ev);
	return r;
}
