/*
 * node.h: WhatsApp's binary XML ("binary node") in memory, its encoder and
 * its decoder.
 *
 * A node is a tag, an ordered list of attributes (key -> string or JID) and
 * content: none, a list of child nodes, raw bytes, a string, or a JID.
 *
 *   bytes   written as BINARY_8/20/32, never tokenized: use it for anything
 *           that is semantically bytes (enc, ref, device-identity, ...).
 *   string  written like attribute values: token, nibble/hex packing, a JID
 *           when the text is one (as Baileys does), else raw.
 *   JID     written as JID_PAIR / AD_JID / FB_JID / INTEROP_JID.
 *
 * The encoder writes exactly the bytes Baileys (7.0.0-rc14) writes for the
 * same node, and what whatsmeow writes for typed JIDs; the token tables are
 * WhatsApp's dictionary version 3 (waweb/token.h).  The decoder accepts what
 * either client accepts, within the limits below, and rejects the rest
 * without crashing or allocating more than the limits allow.
 *
 * This file does not know what any stanza means; see the callers.
 *
 * Ownership: a node owns its tag, attributes, content and children.  Nodes
 * handed to a callback by the connection are borrowed until it returns.
 */
#ifndef PONTON_WAWEB_NODE_H
#define PONTON_WAWEB_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "waweb/jid.h"

/*
 * Decoder limits.  Each is checked before the allocation it guards.
 */
/* Real stanzas nest ~6 deep (iq > usync > list > user > devices > device). */
#define WA_NODE_MAX_DEPTH 32
/* Children in one list; LIST_16 cannot say more anyway. */
#define WA_NODE_MAX_LIST 65535
/* Attributes on one node; real nodes carry fewer than 20. */
#define WA_NODE_MAX_ATTRS 128
/*
 * Nodes and attributes in one decoded tree.  A usync reply for 1000 contacts
 * or a 1024-member group is ~5k nodes / ~10k attributes; these leave a wide
 * margin while bounding what a hostile frame can make us allocate (each
 * node or attribute costs ~250 bytes for two bytes of input: ~50 MB worst).
 */
#define WA_NODE_MAX_NODES 100000
#define WA_NODE_MAX_TOTAL_ATTRS 200000
/* One string or byte run; the WebSocket frame limit is 2^24 - 1. */
#define WA_NODE_MAX_BINARY ((size_t)16 << 20)
/* Size a compressed frame may inflate to (decompression bombs). */
#define WA_NODE_MAX_INFLATED ((size_t)32 << 20)

/* Frame flag byte: bit 1 = zlib-compressed node follows. */
#define WA_FRAME_FLAG_COMPRESSED 0x02

enum wa_val_kind {
	WA_VAL_STR = 0,
	WA_VAL_JID,
};

struct wa_attr {
	char		*key;		/* owned */
	enum wa_val_kind kind;
	char		*str;		/* owned; WA_VAL_STR only */
	struct wa_jid	 jid;		/* WA_VAL_JID only */
};

enum wa_content_kind {
	WA_CONTENT_NONE = 0,
	WA_CONTENT_LIST,
	WA_CONTENT_BYTES,
	WA_CONTENT_STRING,
	WA_CONTENT_JID,
};

struct wa_node {
	char			*tag;		/* owned, non-empty */
	struct wa_attr		*attrs;		/* owned array */
	size_t			 nattrs;
	size_t			 attrs_alloc;
	enum wa_content_kind	 kind;
	struct wa_node		**children;	/* owned; LIST */
	size_t			 nchildren;
	size_t			 children_alloc;
	uint8_t			*bytes;		/* owned; BYTES and STRING (NUL-terminated) */
	size_t			 len;
	struct wa_jid		 jid;		/* JID */
};

/* A new node with no attributes and no content.  Never NULL. */
struct wa_node *wa_node_new(const char *tag);
/* Frees children too.  NULL is a no-op. */
void wa_node_free(struct wa_node *n);
/* Deep copy; never NULL. */
struct wa_node *wa_node_dup(const struct wa_node *n);
/* Same tag, attributes (in order, same kinds) and content, recursively. */
bool wa_node_equal(const struct wa_node *a, const struct wa_node *b);

/*
 * Set (replace in place, or append) a string attribute.  value NULL removes
 * the key.  Strings are copied.
 */
void wa_node_set_attr(struct wa_node *n, const char *key, const char *value);
void wa_node_set_attr_jid(struct wa_node *n, const char *key,
    const struct wa_jid *jid);
void wa_node_set_attr_u64(struct wa_node *n, const char *key, uint64_t v);
/* The string value of key, or NULL if absent or JID-valued (borrowed). */
const char *wa_node_attr(const struct wa_node *n, const char *key);
/* The attribute itself, or NULL (borrowed). */
const struct wa_attr *wa_node_attr_get(const struct wa_node *n,
    const char *key);
/*
 * The JID value of key.  Strict, like whatsmeow: a string value is not a
 * JID.  Errors: U_ERR_NOT_FOUND if absent, WA_ERR_BAD_JID if not a JID.
 */
int wa_node_attr_jid(const struct wa_node *n, const char *key,
    struct wa_jid *out);
/*
 * The decimal value of a string attribute.  Errors: U_ERR_NOT_FOUND,
 * U_ERR_INVALID (not a plain decimal number that fits).
 */
int wa_node_attr_u64(const struct wa_node *n, const char *key, uint64_t *out);

/*
 * Append child; n takes ownership.  n's content must be NONE or LIST (else
 * our bug: abort).
 */
void wa_node_add_child(struct wa_node *n, struct wa_node *child);
/* First child with that tag, or NULL (borrowed). */
struct wa_node *wa_node_child(const struct wa_node *n, const char *tag);
/* The i-th child of a LIST node, or NULL. */
struct wa_node *wa_node_child_at(const struct wa_node *n, size_t i);

/* Replace the content (children are freed).  Data is copied. */
void wa_node_set_bytes(struct wa_node *n, const void *p, size_t len);
void wa_node_set_string(struct wa_node *n, const char *s);
void wa_node_set_jid(struct wa_node *n, const struct wa_jid *jid);
void wa_node_clear_content(struct wa_node *n);

/*
 * Append the encoding of n (no frame flag byte) to out.
 * Errors: WA_ERR_INVALID (empty tag, a node too deep, too many children or
 * attributes for the format, a JID that cannot be written),
 * U_ERR_TOO_BIG (out's cap).  On error out may hold a partial encoding.
 */
int wa_node_encode(const struct wa_node *n, struct u_buf *out);
/* The flag byte 0 (not compressed) and then the encoding. */
int wa_node_encode_frame(const struct wa_node *n, struct u_buf *out);

/*
 * Decode exactly one node filling all of p[0..len).  *out (owned) is set
 * only on success.  Errors: WA_ERR_TRUNCATED, WA_ERR_TOO_BIG, WA_ERR_TOO_DEEP,
 * WA_ERR_BAD_TAG, WA_ERR_BAD_TOKEN, WA_ERR_BAD_PACKED, WA_ERR_BAD_JID,
 * WA_ERR_BAD_NODE, WA_ERR_BAD_UTF8, WA_ERR_TRAILING.
 */
int wa_node_decode(const uint8_t *p, size_t len, struct wa_node **out);
/*
 * Decode a decrypted frame: the flag byte, then the node, zlib-inflated
 * first if the flag says so (at most WA_NODE_MAX_INFLATED bytes).
 * Errors: those of wa_node_decode, and WA_ERR_INFLATE, WA_ERR_TOO_BIG.
 */
int wa_node_decode_frame(const uint8_t *p, size_t len, struct wa_node **out);

/*
 * Append an XML-ish rendering to out, for debug logs and tests:
 *   <iq id="1" to="s.whatsapp.net" type="get"><ping/></iq>
 * Bytes content is shown as text when it is printable UTF-8, else as
 * hex ("<enc>[hex 0a1b…]</enc>"); runs longer than max_bytes (0 = no limit)
 * are cut with a "…(N bytes)" note.  Errors: U_ERR_TOO_BIG (out's cap).
 */
int wa_node_to_xml(const struct wa_node *n, struct u_buf *out,
    size_t max_bytes);

#endif
