/*
 * config_int.h: helpers shared by the bridge/config_*.c files.  Not for use
 * outside the configuration code.
 *
 * The YAML tree: libyaml events become br__ynode trees held in one
 * br__ydoc.  Every node lives in the document's arena (freed with the
 * document), so aliases can point at their anchor without copying and a
 * merged tree may point at nodes of other documents as long as those
 * documents outlive it.
 *
 * Invariants:
 *  - A document never holds more than BR_YAML_MAX_WEIGHT nodes counting every
 *    alias as the size of what it expands to, so walking a tree is bounded
 *    (no "billion laughs").
 *  - Mapping keys are scalars and unique within their mapping.
 *  - Scalar values are NUL-terminated and contain no NUL byte.
 */
#ifndef PONTON_BRIDGE_CONFIG_INT_H
#define PONTON_BRIDGE_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Config files are a few tens of KB; 1 MiB leaves room for big maps. */
#define BR_YAML_MAX_TEXT	((size_t)1 << 20)
/* Deeper than any real config; bounds recursion in every walker. */
#define BR_YAML_MAX_DEPTH	64
/* Expanded node budget (aliases count as what they expand to). */
#define BR_YAML_MAX_WEIGHT	200000
/* Rendered config text cap (the example is ~25 KB). */
#define BR_YAML_MAX_OUTPUT	((size_t)8 << 20)

enum br__ykind {
	BR_Y_SCALAR = 1,
	BR_Y_MAP,
	BR_Y_SEQ,
};

/* Resolved types, as bits so that a key can allow several. */
enum {
	BR_YT_NULL = 1 << 0,
	BR_YT_BOOL = 1 << 1,
	BR_YT_STR = 1 << 2,
	BR_YT_INT = 1 << 3,
	BR_YT_FLOAT = 1 << 4,
	BR_YT_LIST = 1 << 5,
	BR_YT_MAP = 1 << 6,
};

struct br__ydoc;

struct br__ynode {
	enum br__ykind		 kind;
	unsigned		 type;		/* one BR_YT_* bit */
	char			*val;		/* scalar text; owned by the arena */
	size_t			 len;
	int			 quoted;	/* scalar was quoted or block */
	int			 flow;		/* collection in flow style */
	int			 verbatim;	/* src span may be copied as is */
	const struct br__ydoc	*doc;		/* borrowed; NULL if synthesized */
	size_t			 off, end;	/* span in doc->text */
	int			 line, col;	/* 1-based start */
	int			 last_line;	/* 1-based line where it ends */
	struct br__ynode	**kids;		/* map: k0,v0,k1,v1...; seq: items */
	size_t			 nkids;
	size_t			 kcap;
	size_t			 weight;	/* nodes it expands to */
	struct br__ynode	*arena_next;
};

struct br__ydoc {
	char			*text;		/* owned, NUL-terminated */
	size_t			 len;
	char			*name;		/* owned; for messages */
	struct br__ynode	*root;		/* NULL for an empty document */
	struct br__ynode	*arena;		/* every node, for freeing */
	size_t			 weight;
};

/*
 * Parse text into a new document.  Returns 0, or BR_ERR_CONFIG_PARSE with
 * "name:line:column: reason" in err.  The text is copied.
 */
int br__ydoc_parse(const char *name, const char *text, size_t len,
    struct br__ydoc **out, char *err, size_t errsz);
/* An empty document to hold synthesized nodes. */
struct br__ydoc *br__ydoc_new(const char *name);
void br__ydoc_free(struct br__ydoc *d);

struct br__ynode *br__ynode_new(struct br__ydoc *d, enum br__ykind kind);
struct br__ynode *br__ynode_scalar(struct br__ydoc *d, const char *s,
    unsigned type);
void br__ynode_push(struct br__ynode *coll, struct br__ynode *kid);
/* Deep copy into d (aliases become copies; bounded by the weight cap). */
struct br__ynode *br__ynode_clone(struct br__ydoc *d,
    const struct br__ynode *n);

/* Value of key in a mapping, NULL if absent or n is not a mapping. */
struct br__ynode *br__ymap_get(const struct br__ynode *map, const char *key);
struct br__ynode *br__ymap_key(const struct br__ynode *map, const char *key);
/* Set or add key -> val in a mapping. */
void br__ymap_set(struct br__ydoc *d, struct br__ynode *map, const char *key,
    struct br__ynode *val);
/* Type of a plain scalar's text under YAML 1.2 core rules (as yaml.v3). */
unsigned br__yresolve(const char *s);
const char *br__ytype_name(unsigned type);

/* Scalar parsing; return 0 or -1 when the text does not convert. */
int br__yparse_int(const char *s, int64_t *out);
int br__yparse_bool(const char *s, int *out);

/* Append s as a YAML scalar: plain when that reads back as the same
 * string, else double-quoted with escapes. */
int br__yemit_scalar(struct u_buf *b, const char *s);
/* Append a node as YAML at the given indent (block style; flow for
 * single-line source spans and empty collections).  Returns 0 or
 * U_ERR_TOO_BIG. */
int br__yemit_value(struct u_buf *b, const struct br__ynode *n, int indent);

#endif
