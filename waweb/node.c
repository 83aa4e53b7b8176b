/*
 * node.c: binary node ("binary XML") tree, encoder, decoder, frame flag
 * byte with optional zlib, and a debug printer (see node.h).
 *
 * Wire format (WhatsApp Web, dictionary version 3): a node is a list header
 * (LIST_8 n / LIST_16 n) where n = 1 + 2 * attributes + (content ? 1 : 0),
 * then the tag string, the (key, value) pairs, then the content.  A string is
 * a single-byte token (1..235), a double-byte token (236..239 + index), a
 * NIBBLE_8 / HEX_8 packed run, a JID (JID_PAIR, AD_JID, FB_JID, INTEROP_JID)
 * or raw bytes (BINARY_8 / BINARY_20 / BINARY_32).
 *
 * Encoder: strings go through Baileys' order (token, nibble, hex, JID when
 * the text is one, raw), so our bytes equal Baileys' for the same node; typed
 * JIDs are written the way whatsmeow writes them (AD_JID for devices of
 * s.whatsapp.net, lid, hosted and hosted.lid with the domain byte taken
 * from the server, so a raw agent is not written; FB_JID for msgr,
 * INTEROP_JID for interop), plus an AD_JID for a device 0 that was explicitly given (as
 * Baileys writes "user:0@s.whatsapp.net"); a hosted JID without a device
 * stays a JID_PAIR, as Baileys writes it (whatsmeow would use AD_JID; both
 * decode the two forms to the same JID).  Tags and attribute keys are
 * never written as JIDs (Baileys would for a tag containing '@'; whatsmeow
 * cannot read that).  Where Baileys would write a string as a JID that no
 * decoder gives back unchanged (a ':' device on a non-user server, an '_'
 * agent, a nested '@', a device over 255, parts over jid.h's limits), we
 * write the raw string; and names of JavaScript Object.prototype members
 * ("constructor", "toString", ...) are raw strings here while Baileys' token
 * lookup writes them as byte 0.  test/data/waweb/node-vectors.json pins all
 * of this against Baileys.
 *
 * Decoder: one pass through a bounded reader (util/buf.h); every count and
 * length is checked against the named limits in node.h and against the input
 * left before anything is allocated; strings are checked for UTF-8; a JID
 * must satisfy jid.h's rules; duplicate attribute keys are rejected.
 *
 * Does not: know what any stanza means, or encrypt frames.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "util/err.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/token.h"

/* Tag bytes. */
enum {
	T_LIST_EMPTY = 0,
	T_DICT_0 = 236,
	T_DICT_3 = 239,
	T_INTEROP_JID = 245,
	T_FB_JID = 246,
	T_AD_JID = 247,
	T_LIST_8 = 248,
	T_LIST_16 = 249,
	T_JID_PAIR = 250,
	T_HEX_8 = 251,
	T_BINARY_8 = 252,
	T_BINARY_20 = 253,
	T_BINARY_32 = 254,
	T_NIBBLE_8 = 255,
};

/* Longest string that may be nibble/hex packed (7-bit byte count * 2 - 1). */
#define PACKED_MAX 127

/* ------------------------------------------------------------------------
 * Tree
 */

struct wa_node *
wa_node_new(const char *tag)
{
	struct wa_node *n = u_calloc(1, sizeof(*n));

	n->tag = u_strdup(tag != NULL ? tag : "");
	return n;
}

static void
attr_clear(struct wa_attr *a)
{
	free(a->key);
	if (a->kind == WA_VAL_STR)
		free(a->str);
}

void
wa_node_clear_content(struct wa_node *n)
{
	size_t i;

	for (i = 0; i < n->nchildren; i++)
		wa_node_free(n->children[i]);
	free(n->children);
	n->children = NULL;
	n->nchildren = n->children_alloc = 0;
	free(n->bytes);
	n->bytes = NULL;
	n->len = 0;
	memset(&n->jid, 0, sizeof(n->jid));
	n->kind = WA_CONTENT_NONE;
}

void
wa_node_free(struct wa_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	wa_node_clear_content(n);
	for (i = 0; i < n->nattrs; i++)
		attr_clear(&n->attrs[i]);
	free(n->attrs);
	free(n->tag);
	free(n);
}

static struct wa_attr *
attr_find(const struct wa_node *n, const char *key)
{
	size_t i;

	for (i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].key, key) == 0)
			return &n->attrs[i];
	return NULL;
}

/* The slot for key: the existing one (value cleared) or a new one. */
static struct wa_attr *
attr_slot(struct wa_node *n, const char *key)
{
	struct wa_attr *a = attr_find(n, key);

	if (a != NULL) {
		if (a->kind == WA_VAL_STR)
			free(a->str);
		a->str = NULL;
		return a;
	}
	if (n->nattrs == n->attrs_alloc) {
		n->attrs_alloc = n->attrs_alloc ? n->attrs_alloc * 2 : 4;
		n->attrs = u_reallocarray(n->attrs, n->attrs_alloc,
		    sizeof(*n->attrs));
	}
	a = &n->attrs[n->nattrs++];
	memset(a, 0, sizeof(*a));
	a->key = u_strdup(key);
	return a;
}

void
wa_node_set_attr(struct wa_node *n, const char *key, const char *value)
{
	struct wa_attr *a;

	if (value == NULL) {
		a = attr_find(n, key);
		if (a == NULL)
			return;
		attr_clear(a);
		memmove(a, a + 1, (size_t)(&n->attrs[n->nattrs] - (a + 1)) *
		    sizeof(*a));
		n->nattrs--;
		return;
	}
	a = attr_slot(n, key);
	a->kind = WA_VAL_STR;
	a->str = u_strdup(value);
}

void
wa_node_set_attr_jid(struct wa_node *n, const char *key,
    const struct wa_jid *jid)
{
	struct wa_attr *a = attr_slot(n, key);

	a->kind = WA_VAL_JID;
	a->jid = *jid;
}

void
wa_node_set_attr_u64(struct wa_node *n, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	wa_node_set_attr(n, key, buf);
}

const struct wa_attr *
wa_node_attr_get(const struct wa_node *n, const char *key)
{
	return attr_find(n, key);
}

const char *
wa_node_attr(const struct wa_node *n, const char *key)
{
	const struct wa_attr *a = attr_find(n, key);

	return a != NULL && a->kind == WA_VAL_STR ? a->str : NULL;
}

int
wa_node_attr_jid(const struct wa_node *n, const char *key, struct wa_jid *out)
{
	const struct wa_attr *a = attr_find(n, key);

	if (a == NULL)
		return U_ERR_NOT_FOUND;
	if (a->kind != WA_VAL_JID)
		return WA_ERR_BAD_JID;
	*out = a->jid;
	return 0;
}

int
wa_node_attr_u64(const struct wa_node *n, const char *key, uint64_t *out)
{
	const char *s = wa_node_attr(n, key);
	uint64_t v = 0;

	if (s == NULL)
		return attr_find(n, key) != NULL ? U_ERR_INVALID :
		    U_ERR_NOT_FOUND;
	if (*s == '\0')
		return U_ERR_INVALID;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return U_ERR_INVALID;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

void
wa_node_add_child(struct wa_node *n, struct wa_node *child)
{
	assert(n->kind == WA_CONTENT_NONE || n->kind == WA_CONTENT_LIST);
	if (n->kind != WA_CONTENT_NONE && n->kind != WA_CONTENT_LIST)
		abort();
	n->kind = WA_CONTENT_LIST;
	if (n->nchildren == n->children_alloc) {
		n->children_alloc = n->children_alloc ? n->children_alloc * 2 : 4;
		n->children = u_reallocarray(n->children, n->children_alloc,
		    sizeof(*n->children));
	}
	n->children[n->nchildren++] = child;
}

struct wa_node *
wa_node_child(const struct wa_node *n, const char *tag)
{
	size_t i;

	if (n->kind != WA_CONTENT_LIST)
		return NULL;
	for (i = 0; i < n->nchildren; i++)
		if (strcmp(n->children[i]->tag, tag) == 0)
			return n->children[i];
	return NULL;
}

struct wa_node *
wa_node_child_at(const struct wa_node *n, size_t i)
{
	if (n->kind != WA_CONTENT_LIST || i >= n->nchildren)
		return NULL;
	return n->children[i];
}

/* Owned copy with a NUL after the data (so STRING content is a C string). */
static uint8_t *
dup_bytes(const void *p, size_t len)
{
	uint8_t *b = u_malloc(len + 1);

	if (len > 0)
		memcpy(b, p, len);
	b[len] = '\0';
	return b;
}

void
wa_node_set_bytes(struct wa_node *n, const void *p, size_t len)
{
	wa_node_clear_content(n);
	n->kind = WA_CONTENT_BYTES;
	n->bytes = dup_bytes(p, len);
	n->len = len;
}

void
wa_node_set_string(struct wa_node *n, const char *s)
{
	wa_node_clear_content(n);
	n->kind = WA_CONTENT_STRING;
	n->len = strlen(s);
	n->bytes = dup_bytes(s, n->len);
}

void
wa_node_set_jid(struct wa_node *n, const struct wa_jid *jid)
{
	wa_node_clear_content(n);
	n->kind = WA_CONTENT_JID;
	n->jid = *jid;
}

struct wa_node *
wa_node_dup(const struct wa_node *n)
{
	struct wa_node *d = wa_node_new(n->tag);
	size_t i;

	for (i = 0; i < n->nattrs; i++) {
		const struct wa_attr *a = &n->attrs[i];

		if (a->kind == WA_VAL_JID)
			wa_node_set_attr_jid(d, a->key, &a->jid);
		else
			wa_node_set_attr(d, a->key, a->str);
	}
	switch (n->kind) {
	case WA_CONTENT_NONE:
		break;
	case WA_CONTENT_LIST:
		d->kind = WA_CONTENT_LIST;
		for (i = 0; i < n->nchildren; i++)
			wa_node_add_child(d, wa_node_dup(n->children[i]));
		break;
	case WA_CONTENT_BYTES:
	case WA_CONTENT_STRING:
		d->kind = n->kind;
		d->bytes = dup_bytes(n->bytes, n->len);
		d->len = n->len;
		break;
	case WA_CONTENT_JID:
		wa_node_set_jid(d, &n->jid);
		break;
	}
	return d;
}

bool
wa_node_equal(const struct wa_node *a, const struct wa_node *b)
{
	size_t i;

	if (strcmp(a->tag, b->tag) != 0 || a->nattrs != b->nattrs ||
	    a->kind != b->kind)
		return false;
	for (i = 0; i < a->nattrs; i++) {
		const struct wa_attr *x = &a->attrs[i], *y = &b->attrs[i];

		if (strcmp(x->key, y->key) != 0 || x->kind != y->kind)
			return false;
		if (x->kind == WA_VAL_STR && strcmp(x->str, y->str) != 0)
			return false;
		if (x->kind == WA_VAL_JID && !wa_jid_equal(&x->jid, &y->jid))
			return false;
	}
	switch (a->kind) {
	case WA_CONTENT_NONE:
		return true;
	case WA_CONTENT_LIST:
		if (a->nchildren != b->nchildren)
			return false;
		for (i = 0; i < a->nchildren; i++)
			if (!wa_node_equal(a->children[i], b->children[i]))
				return false;
		return true;
	case WA_CONTENT_BYTES:
	case WA_CONTENT_STRING:
		return a->len == b->len &&
		    (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
	case WA_CONTENT_JID:
		return wa_jid_equal(&a->jid, &b->jid);
	}
	return false;
}

/* ------------------------------------------------------------------------
 * Encoder
 */

static int
put_byte_length(struct u_buf *b, size_t len)
{
	int r;

	if (len >= ((size_t)1 << 32))
		return WA_ERR_INVALID;
	if (len >= ((size_t)1 << 20)) {
		if ((r = u_buf_add_u8(b, T_BINARY_32)) != 0)
			return r;
		return u_buf_add_u32be(b, (uint32_t)len);
	}
	if (len >= 256) {
		if ((r = u_buf_add_u8(b, T_BINARY_20)) != 0)
			return r;
		return u_buf_add_u24be(b, (uint32_t)len & 0x0fffff);
	}
	if ((r = u_buf_add_u8(b, T_BINARY_8)) != 0)
		return r;
	return u_buf_add_u8(b, (uint8_t)len);
}

static int
put_raw(struct u_buf *b, const void *p, size_t len)
{
	int r;

	if ((r = put_byte_length(b, len)) != 0)
		return r;
	return u_buf_add(b, p, len);
}

static int
nibble_of(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c == '-')
		return 10;
	if (c == '.')
		return 11;
	return -1;
}

static int
hex_of(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return 10 + c - 'A';
	return -1;
}

/* Pack s (already validated, len <= PACKED_MAX) as NIBBLE_8 or HEX_8. */
static int
put_packed(struct u_buf *b, const char *s, size_t len, int tag)
{
	int (*val)(char) = tag == T_NIBBLE_8 ? nibble_of : hex_of;
	uint8_t out[2 + (PACKED_MAX + 1) / 2];
	size_t i, n = 0;

	out[n++] = (uint8_t)tag;
	out[n++] = (uint8_t)(((len + 1) / 2) | (len % 2 ? 0x80 : 0));
	for (i = 0; i + 1 < len; i += 2)
		out[n++] = (uint8_t)(val(s[i]) << 4 | val(s[i + 1]));
	if (len % 2)
		out[n++] = (uint8_t)(val(s[len - 1]) << 4 | 0x0f);
	return u_buf_add(b, out, n);
}

static bool
all_of(const char *s, size_t len, int (*val)(char))
{
	size_t i;

	if (len == 0 || len > PACKED_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (val(s[i]) < 0)
			return false;
	return true;
}

/* A string known not to be a JID: token, packed or raw. */
static int
put_plain(struct u_buf *b, const char *s, size_t len)
{
	int code, r;

	if (len == 0)
		return put_raw(b, s, 0);
	if ((code = wa_token_find(s, len)) >= 0) {
		if (code < 256)
			return u_buf_add_u8(b, (uint8_t)code);
		if ((r = u_buf_add_u8(b, (uint8_t)(T_DICT_0 +
		    (code - 256) / 256))) != 0)
			return r;
		return u_buf_add_u8(b, (uint8_t)((code - 256) % 256));
	}
	if (all_of(s, len, nibble_of))
		return put_packed(b, s, len, T_NIBBLE_8);
	if (all_of(s, len, hex_of))
		return put_packed(b, s, len, T_HEX_8);
	return put_raw(b, s, len);
}

static int
put_jid(struct u_buf *b, const struct wa_jid *j)
{
	const char *srv = j->server;
	bool user_srv = strcmp(srv, WA_SERVER_USER) == 0;
	bool lid = strcmp(srv, WA_SERVER_LID) == 0;
	bool hosted = strcmp(srv, WA_SERVER_HOSTED) == 0 ||
	    strcmp(srv, WA_SERVER_HOSTED_LID) == 0;
	uint8_t hdr[5];
	int r;

	if (j->server[0] == '\0')
		return WA_ERR_INVALID;
	/* A bare "msgr" / "interop" server JID has no user: JID_PAIR below. */
	if ((strcmp(srv, WA_SERVER_MSGR) == 0 ||
	    strcmp(srv, WA_SERVER_INTEROP) == 0) && (j->user[0] != '\0' ||
	    j->device != 0 || j->integrator != 0)) {
		bool interop = srv[0] == 'i';

		if (j->agent != 0 || (!interop && j->integrator != 0) ||
		    j->user[0] == '\0')
			return WA_ERR_INVALID;
		if ((r = u_buf_add_u8(b, interop ? T_INTEROP_JID :
		    T_FB_JID)) != 0 ||
		    (r = put_plain(b, j->user, strlen(j->user))) != 0 ||
		    (r = u_buf_add_u16be(b, j->device)) != 0)
			return r;
		if (interop && (r = u_buf_add_u16be(b, j->integrator)) != 0)
			return r;
		return put_plain(b, srv, strlen(srv));
	}
	if (j->integrator != 0)
		return WA_ERR_INVALID;
	/*
	 * whatsmeow writes every hosted JID as AD_JID; we keep a device-less
	 * one that arrived as JID_PAIR a JID_PAIR (as Baileys writes it).
	 * Both decode to the same JID everywhere.
	 */
	if ((user_srv || lid || hosted) && (j->device > 0 || j->ad)) {
		/*
		 * AD_JID: domain type, one byte of device, user.  Like
		 * whatsmeow (ActualAgent), the domain byte comes from the
		 * server, so a raw agent on s.whatsapp.net is written as 0.
		 */
		if (j->device > 255 || j->user[0] == '\0')
			return WA_ERR_INVALID;
		hdr[0] = T_AD_JID;
		hdr[1] = wa_jid_domain(j);
		hdr[2] = (uint8_t)j->device;
		if ((r = u_buf_add(b, hdr, 3)) != 0)
			return r;
		return put_plain(b, j->user, strlen(j->user));
	}
	if (j->device != 0)
		return WA_ERR_INVALID;	/* JID_PAIR has no room for it */
	if ((r = u_buf_add_u8(b, T_JID_PAIR)) != 0)
		return r;
	if (j->user[0] == '\0')
		r = u_buf_add_u8(b, T_LIST_EMPTY);
	else
		r = put_plain(b, j->user, strlen(j->user));
	if (r != 0)
		return r;
	return put_plain(b, srv, strlen(srv));
}

/*
 * Is s a JID that Baileys writes as one ("contains '@'") and that every
 * decoder gives back as the same JID?  Narrowed to well-formed
 * "user[:device]@server" (see the file comment); validation is
 * wa_jid_parse_n's.  '_' (Baileys' agent separator) and ':' with '.'
 * (whatsmeow's agent form) make the string raw: no decoder returns them.
 */
static bool
string_as_jid(const char *s, size_t len, struct wa_jid *out)
{
	const char *at = memchr(s, '@', len);
	struct wa_jid j;
	size_t ulen;

	if (at == NULL)
		return false;
	ulen = (size_t)(at - s);
	if (memchr(s, '_', ulen) != NULL || (memchr(s, ':', ulen) != NULL &&
	    memchr(s, '.', ulen) != NULL))
		return false;
	if (wa_jid_parse_n(s, len, &j) != 0)
		return false;
	/* AD_JID names its server by domain type: only the four user ones. */
	if (j.ad && (j.device > 255 || (strcmp(j.server, WA_SERVER_USER) != 0 &&
	    strcmp(j.server, WA_SERVER_LID) != 0 &&
	    strcmp(j.server, WA_SERVER_HOSTED) != 0 &&
	    strcmp(j.server, WA_SERVER_HOSTED_LID) != 0)))
		return false;
	*out = j;
	return true;
}

/*
 * Baileys' JID writer: AD_JID when the text had a ":device", else JID_PAIR
 * (even for hosted, msgr and interop, unlike put_jid).
 */
static int
put_jid_string(struct u_buf *b, const struct wa_jid *j)
{
	uint8_t hdr[3];
	int r;

	if (j->ad) {
		hdr[0] = T_AD_JID;
		hdr[1] = wa_jid_domain(j);
		hdr[2] = (uint8_t)j->device;
		if ((r = u_buf_add(b, hdr, 3)) != 0)
			return r;
		return put_plain(b, j->user, strlen(j->user));
	}
	if ((r = u_buf_add_u8(b, T_JID_PAIR)) != 0)
		return r;
	if (j->user[0] == '\0')
		r = u_buf_add_u8(b, T_LIST_EMPTY);
	else
		r = put_plain(b, j->user, strlen(j->user));
	if (r != 0)
		return r;
	return put_plain(b, j->server, strlen(j->server));
}

/* Baileys' writeString: token, nibble, hex, JID, raw. */
static int
put_string(struct u_buf *b, const char *s, size_t len)
{
	struct wa_jid j;

	if (len > 0 && wa_token_find(s, len) < 0 &&
	    !all_of(s, len, nibble_of) && !all_of(s, len, hex_of) &&
	    string_as_jid(s, len, &j))
		return put_jid_string(b, &j);
	return put_plain(b, s, len);
}

static int
put_list_start(struct u_buf *b, size_t n)
{
	int r;

	if (n == 0)
		return u_buf_add_u8(b, T_LIST_EMPTY);
	if (n < 256) {
		if ((r = u_buf_add_u8(b, T_LIST_8)) != 0)
			return r;
		return u_buf_add_u8(b, (uint8_t)n);
	}
	if (n > 65535)
		return WA_ERR_INVALID;
	if ((r = u_buf_add_u8(b, T_LIST_16)) != 0)
		return r;
	return u_buf_add_u16be(b, (uint16_t)n);
}

static int
encode_node(const struct wa_node *n, struct u_buf *b, unsigned depth)
{
	size_t i;
	int r;

	if (depth >= WA_NODE_MAX_DEPTH || n->tag == NULL || n->tag[0] == '\0')
		return WA_ERR_INVALID;
	if (n->nattrs > WA_NODE_MAX_ATTRS)
		return WA_ERR_INVALID;
	if ((r = put_list_start(b, 1 + 2 * n->nattrs +
	    (n->kind != WA_CONTENT_NONE))) != 0)
		return r;
	/* Tags and keys are never JIDs (whatsmeow rejects that). */
	if ((r = put_plain(b, n->tag, strlen(n->tag))) != 0)
		return r;
	for (i = 0; i < n->nattrs; i++) {
		const struct wa_attr *a = &n->attrs[i];

		if (a->key[0] == '\0')
			return WA_ERR_INVALID;
		if ((r = put_plain(b, a->key, strlen(a->key))) != 0)
			return r;
		if (a->kind == WA_VAL_JID)
			r = put_jid(b, &a->jid);
		else
			r = put_string(b, a->str, strlen(a->str));
		if (r != 0)
			return r;
	}
	switch (n->kind) {
	case WA_CONTENT_NONE:
		return 0;
	case WA_CONTENT_LIST:
		if (n->nchildren > WA_NODE_MAX_LIST)
			return WA_ERR_INVALID;
		if ((r = put_list_start(b, n->nchildren)) != 0)
			return r;
		for (i = 0; i < n->nchildren; i++)
			if ((r = encode_node(n->children[i], b,
			    depth + 1)) != 0)
				return r;
		return 0;
	case WA_CONTENT_BYTES:
		return put_raw(b, n->bytes, n->len);
	case WA_CONTENT_STRING:
		return put_string(b, (const char *)n->bytes, n->len);
	case WA_CONTENT_JID:
		return put_jid(b, &n->jid);
	}
	return WA_ERR_INTERNAL;
}

int
wa_node_encode(const struct wa_node *n, struct u_buf *out)
{
	return encode_node(n, out, 0);
}

int
wa_node_encode_frame(const struct wa_node *n, struct u_buf *out)
{
	int r;

	if ((r = u_buf_add_u8(out, 0)) != 0)
		return r;
	return wa_node_encode(n, out);
}

/* ------------------------------------------------------------------------
 * Decoder
 */

struct dec {
	struct u_rd	rd;
	size_t		nodes;		/* decoded so far, for the limits */
	size_t		attrs;
};

/* One decoded string-ish item; text borrows the input or a static token. */
enum item_kind { ITEM_NULL, ITEM_STR, ITEM_JID };

struct item {
	enum item_kind	 kind;
	const char	*s;		/* ITEM_STR; not NUL-terminated */
	size_t		 len;
	/*
	 * Backing for packed runs: the count byte allows 127 bytes, i.e. 254
	 * digits (encoders stop at PACKED_MAX, decoders accept the full 7 bits).
	 */
	char		 packed[2 * 0x7f + 1];
	struct wa_jid	 jid;		/* ITEM_JID */
};

static int
rd_u8(struct dec *d, uint8_t *v)
{
	return u_rd_u8(&d->rd, v) == 0 ? 0 : WA_ERR_TRUNCATED;
}

static int
rd_len(struct dec *d, uint8_t tag, size_t *len)
{
	uint8_t b8;
	uint32_t v;

	switch (tag) {
	case T_BINARY_8:
		if (u_rd_u8(&d->rd, &b8) != 0)
			return WA_ERR_TRUNCATED;
		v = b8;
		break;
	case T_BINARY_20:
		if (u_rd_u24be(&d->rd, &v) != 0)
			return WA_ERR_TRUNCATED;
		v &= 0x0fffff;	/* the top nibble is not part of the length */
		break;
	case T_BINARY_32:
		if (u_rd_u32be(&d->rd, &v) != 0)
			return WA_ERR_TRUNCATED;
		break;
	default:
		return WA_ERR_BAD_TAG;
	}
	if (v > WA_NODE_MAX_BINARY)
		return WA_ERR_TOO_BIG;
	if (v > u_rd_left(&d->rd))
		return WA_ERR_TRUNCATED;
	*len = v;
	return 0;
}

static int
rd_packed(struct dec *d, uint8_t tag, struct item *it)
{
	static const char nib[16] = "0123456789-.\0\0\0\0";
	static const char hex[16] = "0123456789ABCDEF";
	uint8_t start, c;
	size_t n, i, len = 0;
	int hi, lo;

	if (u_rd_u8(&d->rd, &start) != 0)
		return WA_ERR_TRUNCATED;
	n = start & 0x7f;
	if (n > u_rd_left(&d->rd))
		return WA_ERR_TRUNCATED;
	for (i = 0; i < n; i++) {
		(void)u_rd_u8(&d->rd, &c);
		hi = c >> 4;
		lo = c & 0x0f;
		if (tag == T_NIBBLE_8) {
			/*
			 * 12..14 are not digits.  15 is padding and only
			 * valid as the very last nibble of an odd run.
			 */
			if (hi > 11 || (lo > 11 && !(lo == 15 &&
			    i + 1 == n && (start & 0x80))))
				return WA_ERR_BAD_PACKED;
			it->packed[len++] = nib[hi];
			it->packed[len++] = nib[lo];
		} else {
			if (lo == 15 && i + 1 == n && (start & 0x80))
				lo = 0;	/* padding; dropped below */
			it->packed[len++] = hex[hi];
			it->packed[len++] = hex[lo];
		}
	}
	if (start & 0x80) {
		if (len == 0)
			return WA_ERR_BAD_PACKED;
		len--;
	}
	it->packed[len] = '\0';
	it->kind = ITEM_STR;
	it->s = it->packed;
	it->len = len;
	return 0;
}

/* Valid UTF-8 without NUL, overlong forms or surrogates. */
static bool
utf8_ok(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n, k;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static int rd_item(struct dec *d, uint8_t tag, struct item *it);

/* A string part of a JID: a token, packed or raw string (not a JID). */
static int
rd_jid_part(struct dec *d, struct item *it, bool null_ok)
{
	uint8_t tag;
	int r;

	if ((r = rd_u8(d, &tag)) != 0)
		return r;
	if (tag == T_LIST_EMPTY && null_ok) {
		it->kind = ITEM_NULL;
		it->s = "";
		it->len = 0;
		return 0;
	}
	if (tag == T_JID_PAIR || tag == T_AD_JID || tag == T_FB_JID ||
	    tag == T_INTEROP_JID || tag == T_LIST_EMPTY)
		return WA_ERR_BAD_JID;
	if ((r = rd_item(d, tag, it)) != 0)
		return r;
	return it->kind == ITEM_STR ? 0 : WA_ERR_BAD_JID;
}

/* Copy a validated part into a fixed JID field. */
static int
jid_set(char *dst, size_t max, const struct item *it, bool empty_ok)
{
	size_t i;

	if (it->len > max || (!empty_ok && it->len == 0))
		return WA_ERR_BAD_JID;
	for (i = 0; i < it->len; i++) {
		unsigned char c = (unsigned char)it->s[i];

		if (c < 0x21 || c == 0x7f || c == '@' || c == ':')
			return WA_ERR_BAD_JID;
	}
	if (!utf8_ok((const uint8_t *)it->s, it->len))
		return WA_ERR_BAD_JID;
	memcpy(dst, it->s, it->len);
	dst[it->len] = '\0';
	return 0;
}

static int
rd_jid(struct dec *d, uint8_t tag, struct wa_jid *j)
{
	struct item u, s;
	uint8_t domain, dev;
	uint16_t v16;
	int r;

	memset(j, 0, sizeof(*j));
	switch (tag) {
	case T_JID_PAIR:
		if ((r = rd_jid_part(d, &u, true)) != 0 ||
		    (r = rd_jid_part(d, &s, false)) != 0)
			return r;
		if ((r = jid_set(j->user, WA_JID_USER_MAX, &u, true)) != 0 ||
		    (r = jid_set(j->server, WA_JID_SERVER_MAX, &s, false)) != 0)
			return r;
		return 0;
	case T_AD_JID:
		if ((r = rd_u8(d, &domain)) != 0 || (r = rd_u8(d, &dev)) != 0 ||
		    (r = rd_jid_part(d, &u, false)) != 0)
			return r;
		if ((r = jid_set(j->user, WA_JID_USER_MAX, &u, false)) != 0)
			return r;
		switch (domain) {
		case WA_DOMAIN_LID:
			strcpy(j->server, WA_SERVER_LID);
			break;
		case WA_DOMAIN_HOSTED:
			strcpy(j->server, WA_SERVER_HOSTED);
			break;
		case WA_DOMAIN_HOSTED_LID:
			strcpy(j->server, WA_SERVER_HOSTED_LID);
			break;
		default:
			/* 0, or a legacy agent on the user server. */
			strcpy(j->server, WA_SERVER_USER);
			j->agent = domain;
		}
		j->device = dev;
		j->ad = 1;
		return 0;
	case T_FB_JID:
	case T_INTEROP_JID:
		if ((r = rd_jid_part(d, &u, false)) != 0)
			return r;
		if ((r = jid_set(j->user, WA_JID_USER_MAX, &u, false)) != 0)
			return r;
		if (u_rd_u16be(&d->rd, &v16) != 0)
			return WA_ERR_TRUNCATED;
		j->device = v16;
		if (tag == T_INTEROP_JID) {
			if (u_rd_u16be(&d->rd, &v16) != 0)
				return WA_ERR_TRUNCATED;
			j->integrator = v16;
		}
		if ((r = rd_jid_part(d, &s, false)) != 0)
			return r;
		/* whatsmeow insists on the one server each form is for. */
		if (s.len != strlen(tag == T_FB_JID ? WA_SERVER_MSGR :
		    WA_SERVER_INTEROP) || memcmp(s.s, tag == T_FB_JID ?
		    WA_SERVER_MSGR : WA_SERVER_INTEROP, s.len) != 0)
			return WA_ERR_BAD_JID;
		memcpy(j->server, s.s, s.len);
		j->server[s.len] = '\0';
		return 0;
	}
	return WA_ERR_BAD_TAG;
}

/* A string-ish item after its tag byte: token, packed, raw or JID. */
static int
rd_item(struct dec *d, uint8_t tag, struct item *it)
{
	const uint8_t *p;
	const char *t;
	uint8_t idx;
	size_t len;
	int r;

	it->kind = ITEM_STR;
	if (tag == T_LIST_EMPTY) {
		it->kind = ITEM_NULL;
		it->s = "";
		it->len = 0;
		return 0;
	}
	if (tag < WA_TOKEN_SINGLE_COUNT) {
		/* tag >= 1 here; every single-byte index 1..235 is valid. */
		t = wa_token_single(tag);
		if (t == NULL)
			return WA_ERR_BAD_TOKEN;
		it->s = t;
		it->len = strlen(t);
		return 0;
	}
	if (tag >= T_DICT_0 && tag <= T_DICT_3) {
		if ((r = rd_u8(d, &idx)) != 0)
			return r;
		t = wa_token_double((unsigned)(tag - T_DICT_0), idx);
		if (t == NULL)
			return WA_ERR_BAD_TOKEN;
		it->s = t;
		it->len = strlen(t);
		return 0;
	}
	switch (tag) {
	case T_BINARY_8:
	case T_BINARY_20:
	case T_BINARY_32:
		if ((r = rd_len(d, tag, &len)) != 0)
			return r;
		(void)u_rd_bytes(&d->rd, len, &p);
		it->s = (const char *)p;
		it->len = len;
		return 0;
	case T_NIBBLE_8:
	case T_HEX_8:
		return rd_packed(d, tag, it);
	case T_JID_PAIR:
	case T_AD_JID:
	case T_FB_JID:
	case T_INTEROP_JID:
		it->kind = ITEM_JID;
		return rd_jid(d, tag, &it->jid);
	}
	if (tag > T_DICT_3 && tag < T_INTEROP_JID)
		return WA_ERR_BAD_TOKEN;	/* 240..244: no such dictionary */
	return WA_ERR_BAD_TAG;	/* a list where a string goes */
}

/* An owned C string from a string item: UTF-8, no NUL. */
static int
item_strdup(const struct item *it, char **out)
{
	if (!utf8_ok((const uint8_t *)it->s, it->len))
		return WA_ERR_BAD_UTF8;
	*out = u_strndup(it->s, it->len);
	return 0;
}

static int
rd_list_size(struct dec *d, uint8_t tag, size_t *n)
{
	uint8_t b8;
	uint16_t b16;

	switch (tag) {
	case T_LIST_EMPTY:
		*n = 0;
		return 0;
	case T_LIST_8:
		if (u_rd_u8(&d->rd, &b8) != 0)
			return WA_ERR_TRUNCATED;
		*n = b8;
		return 0;
	case T_LIST_16:
		if (u_rd_u16be(&d->rd, &b16) != 0)
			return WA_ERR_TRUNCATED;
		*n = b16;
		return 0;
	}
	return WA_ERR_BAD_TAG;
}

static int rd_node(struct dec *d, unsigned depth, struct wa_node **out);

static int
rd_content(struct dec *d, struct wa_node *n, unsigned depth)
{
	struct item it;
	const uint8_t *p;
	uint8_t tag;
	size_t count, len, i;
	int r;

	if ((r = rd_u8(d, &tag)) != 0)
		return r;
	if (tag == T_LIST_EMPTY || tag == T_LIST_8 || tag == T_LIST_16) {
		if ((r = rd_list_size(d, tag, &count)) != 0)
			return r;
		n->kind = WA_CONTENT_LIST;
		if (count == 0)
			return 0;
		if (count > WA_NODE_MAX_LIST)
			return WA_ERR_TOO_BIG;
		if (count > WA_NODE_MAX_NODES - d->nodes)
			return WA_ERR_TOO_BIG;
		/* Every node takes at least two bytes (header + tag). */
		if (count > u_rd_left(&d->rd) / 2)
			return WA_ERR_TRUNCATED;
		if (depth + 1 >= WA_NODE_MAX_DEPTH)
			return WA_ERR_TOO_DEEP;
		n->children = u_calloc(count, sizeof(*n->children));
		n->children_alloc = count;
		for (i = 0; i < count; i++) {
			if ((r = rd_node(d, depth + 1, &n->children[i])) != 0)
				return r;
			n->nchildren++;
		}
		return 0;
	}
	if (tag == T_BINARY_8 || tag == T_BINARY_20 || tag == T_BINARY_32) {
		if ((r = rd_len(d, tag, &len)) != 0)
			return r;
		(void)u_rd_bytes(&d->rd, len, &p);
		n->kind = WA_CONTENT_BYTES;
		n->bytes = dup_bytes(p, len);
		n->len = len;
		return 0;
	}
	if ((r = rd_item(d, tag, &it)) != 0)
		return r;
	if (it.kind == ITEM_JID) {
		n->kind = WA_CONTENT_JID;
		n->jid = it.jid;
	} else {
		/* Tokens and packed runs: ASCII, never NUL. */
		n->kind = WA_CONTENT_STRING;
		n->bytes = dup_bytes(it.s, it.len);
		n->len = it.len;
	}
	return 0;
}

static int
rd_node(struct dec *d, unsigned depth, struct wa_node **out)
{
	struct wa_node *n = NULL;
	struct item it;
	uint8_t tag;
	size_t size, nattrs, i, k;
	int r;

	if (d->nodes >= WA_NODE_MAX_NODES)
		return WA_ERR_TOO_BIG;
	if ((r = rd_u8(d, &tag)) != 0)
		return r;
	if (tag != T_LIST_8 && tag != T_LIST_16)
		return tag == T_LIST_EMPTY ? WA_ERR_BAD_NODE : WA_ERR_BAD_TAG;
	if ((r = rd_list_size(d, tag, &size)) != 0)
		return r;
	if (size == 0)
		return WA_ERR_BAD_NODE;
	nattrs = (size - 1) / 2;
	if (nattrs > WA_NODE_MAX_ATTRS ||
	    nattrs > WA_NODE_MAX_TOTAL_ATTRS - d->attrs)
		return WA_ERR_TOO_BIG;
	/* Tag, then two bytes at least per attribute. */
	if (1 + nattrs * 2 > u_rd_left(&d->rd))
		return WA_ERR_TRUNCATED;
	d->nodes++;
	d->attrs += nattrs;

	if ((r = rd_u8(d, &tag)) != 0 || (r = rd_item(d, tag, &it)) != 0)
		return r;
	if (it.kind != ITEM_STR || it.len == 0)
		return WA_ERR_BAD_NODE;
	n = u_calloc(1, sizeof(*n));
	if ((r = item_strdup(&it, &n->tag)) != 0)
		goto out;
	if (nattrs > 0) {
		n->attrs = u_calloc(nattrs, sizeof(*n->attrs));
		n->attrs_alloc = nattrs;
	}
	for (i = 0; i < nattrs; i++) {
		struct wa_attr *a = &n->attrs[i];

		if ((r = rd_u8(d, &tag)) != 0 ||
		    (r = rd_item(d, tag, &it)) != 0)
			goto out;
		if (it.kind != ITEM_STR || it.len == 0) {
			r = WA_ERR_BAD_NODE;
			goto out;
		}
		if ((r = item_strdup(&it, &a->key)) != 0)
			goto out;
		n->nattrs++;
		for (k = 0; k < i; k++) {
			if (strcmp(n->attrs[k].key, a->key) == 0) {
				r = WA_ERR_BAD_NODE;	/* duplicate key */
				goto out;
			}
		}
		if ((r = rd_u8(d, &tag)) != 0 ||
		    (r = rd_item(d, tag, &it)) != 0)
			goto out;
		if (it.kind == ITEM_JID) {
			a->kind = WA_VAL_JID;
			a->jid = it.jid;
		} else {
			/* LIST_EMPTY as a value reads as "" (both clients). */
			a->kind = WA_VAL_STR;
			if ((r = item_strdup(&it, &a->str)) != 0)
				goto out;
		}
	}
	if (size % 2 == 0 && (r = rd_content(d, n, depth)) != 0)
		goto out;
	*out = n;
	n = NULL;
	r = 0;
out:
	wa_node_free(n);
	return r;
}

int
wa_node_decode(const uint8_t *p, size_t len, struct wa_node **out)
{
	struct dec d;
	struct wa_node *n = NULL;
	int r;

	memset(&d, 0, sizeof(d));
	u_rd_init(&d.rd, p, len);
	if ((r = rd_node(&d, 0, &n)) != 0)
		return r;
	if (u_rd_left(&d.rd) != 0) {
		wa_node_free(n);
		return WA_ERR_TRAILING;
	}
	*out = n;
	return 0;
}

/* Inflate a zlib (RFC 1950) stream into out, at most WA_NODE_MAX_INFLATED. */
static int
inflate_capped(const uint8_t *p, size_t len, struct u_buf *out)
{
	z_stream zs;
	int zr, r = WA_ERR_INFLATE;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return WA_ERR_INTERNAL;
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)len;
	if ((size_t)zs.avail_in != len)
		goto out;	/* > 4 GiB: not a frame */
	for (;;) {
		size_t chunk = 64 * 1024;

		if (out->len >= WA_NODE_MAX_INFLATED) {
			/* Full: one more byte of output means too big. */
			uint8_t probe;

			zs.next_out = &probe;
			zs.avail_out = 1;
			zr = inflate(&zs, Z_NO_FLUSH);
			if (zr == Z_STREAM_END && zs.avail_out == 1)
				break;
			r = zs.avail_out == 0 ? WA_ERR_TOO_BIG : WA_ERR_INFLATE;
			goto out;
		}
		if (chunk > WA_NODE_MAX_INFLATED - out->len)
			chunk = WA_NODE_MAX_INFLATED - out->len;
		if (u_buf_reserve(out, chunk) != 0) {
			r = WA_ERR_TOO_BIG;
			goto out;
		}
		zs.next_out = out->p + out->len;
		zs.avail_out = (uInt)chunk;
		zr = inflate(&zs, Z_NO_FLUSH);
		out->len += chunk - zs.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK)
			goto out;	/* data error, or input ran out */
		if (zs.avail_in == 0 && zs.avail_out != 0)
			goto out;	/* truncated stream */
	}
	/* Bytes after the end of the zlib stream are not ours to ignore. */
	r = zs.avail_in == 0 ? 0 : WA_ERR_INFLATE;
out:
	inflateEnd(&zs);
	return r;
}

int
wa_node_decode_frame(const uint8_t *p, size_t len, struct wa_node **out)
{
	struct u_buf buf;
	int r;

	if (len < 1)
		return WA_ERR_TRUNCATED;
	if (!(p[0] & WA_FRAME_FLAG_COMPRESSED))
		return wa_node_decode(p + 1, len - 1, out);
	u_buf_init(&buf, WA_NODE_MAX_INFLATED);
	r = inflate_capped(p + 1, len - 1, &buf);
	if (r == 0)
		r = wa_node_decode(buf.p, buf.len, out);
	u_buf_free(&buf);
	return r;
}

/* ------------------------------------------------------------------------
 * Debug printer
 */

static int
xml_escaped(struct u_buf *b, const char *s, size_t len)
{
	size_t i;
	int r = 0;

	for (i = 0; i < len && r == 0; i++) {
		switch (s[i]) {
		case '<': r = u_buf_add_str(b, "&lt;"); break;
		case '>': r = u_buf_add_str(b, "&gt;"); break;
		case '&': r = u_buf_add_str(b, "&amp;"); break;
		case '"': r = u_buf_add_str(b, "&quot;"); break;
		default: r = u_buf_add(b, &s[i], 1);
		}
	}
	return r;
}

static bool
printable(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t')
			return false;
	return utf8_ok(p, len);
}

static int
xml_node(const struct wa_node *n, struct u_buf *b, size_t max)
{
	char jb[WA_JID_STR_MAX];
	size_t i, shown;
	int r;

	if ((r = u_buf_printf(b, "<%s", n->tag)) != 0)
		return r;
	for (i = 0; i < n->nattrs; i++) {
		const struct wa_attr *a = &n->attrs[i];
		const char *v = a->kind == WA_VAL_JID ?
		    wa_jid_format(&a->jid, jb, sizeof(jb)) : a->str;

		if ((r = u_buf_printf(b, " %s=\"", a->key)) != 0 ||
		    (r = xml_escaped(b, v, strlen(v))) != 0 ||
		    (r = u_buf_add_str(b, "\"")) != 0)
			return r;
	}
	if (n->kind == WA_CONTENT_NONE)
		return u_buf_add_str(b, "/>");
	if ((r = u_buf_add_str(b, ">")) != 0)
		return r;
	switch (n->kind) {
	case WA_CONTENT_NONE:
		break;
	case WA_CONTENT_LIST:
		for (i = 0; i < n->nchildren; i++)
			if ((r = xml_node(n->children[i], b, max)) != 0)
				return r;
		break;
	case WA_CONTENT_STRING:
		r = xml_escaped(b, (const char *)n->bytes, n->len);
		break;
	case WA_CONTENT_JID:
		r = u_buf_add_str(b, wa_jid_format(&n->jid, jb, sizeof(jb)));
		break;
	case WA_CONTENT_BYTES:
		shown = max != 0 && n->len > max ? max : n->len;
		if (printable(n->bytes, n->len)) {
			r = xml_escaped(b, (const char *)n->bytes, shown);
		} else {
			r = u_buf_add_str(b, "[hex ");
			for (i = 0; i < shown && r == 0; i++)
				r = u_buf_printf(b, "%02x", n->bytes[i]);
			if (r == 0)
				r = u_buf_add_str(b, "]");
		}
		if (r == 0 && shown < n->len)
			r = u_buf_printf(b, "…(%zu bytes)", n->len);
		break;
	}
	if (r != 0)
		return r;
	return u_buf_printf(b, "</%s>", n->tag);
}

int
wa_node_to_xml(const struct wa_node *n, struct u_buf *out, size_t max_bytes)
{
	return xml_node(n, out, max_bytes);
}
