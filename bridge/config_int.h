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
	char			*val;		/* scalar text; arena-owned */
	size_t			 len;
	int			 quoted;	/* scalar was quoted or block */
	int			 flow;		/* collection in flow style */
	int			 verbatim;	/* span may be copied as is */
	const struct br__ydoc	*doc;		/* borrowed; NULL: made up */
	size_t			 off, end;	/* span in doc->text */
	int			 line, col;	/* 1-based start */
	int			 last_line;	/* 1-based line where it ends */
	struct br__ynode	**kids;		/* map: k0,v0,k1,v1..; seq */
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
/* Does n print on the line of its key (scalar, empty or one-line flow)? */
int br__yinline(const struct br__ynode *n);
/* Append a node as YAML at the given indent (block style; flow for
 * single-line source spans and empty collections).  Returns 0 or
 * U_ERR_TOO_BIG. */
int br__yemit_value(struct u_buf *b, const struct br__ynode *n, int indent);

/* --- Shared by the config_*.c files ------------------------------------- */

struct br_config;

/* Longest dotted path we build (keys of user maps included). */
#define BR_CONFIG_PATH_MAX	512

enum br__kkind {
	BR__K_STR,		/* string (null reads as "") */
	BR__K_BOOL,
	BR__K_INT,
	BR__K_DUR,		/* Go duration: text or integer nanoseconds */
	BR__K_LIST,		/* whole list taken from the user */
	BR__K_MAP,		/* whole map taken from the user */
};

#define BR__F_HIDDEN	0x1	/* read upstream but not in the example */
#define BR__F_GENERATE	0x2	/* "generate" -> random 64 characters */
#define BR__F_SIGNKEY	0x4	/* "generate" -> ed25519 key, Synapse format */
#define BR__F_ENV_MAP	0x8	/* env may set one entry (string values) */
#define BR__F_ENV_MAPINT 0x10	/* env may set one entry (integer values) */

#define BR__NOOFF ((size_t)-1)

/* One key of the table in config.c. */
struct br__ckey {
	const char	*path;		/* dotted, e.g. "appservice.port" */
	unsigned	 types;		/* BR_YT_* the upgrader copies */
	enum br__kkind	 kind;
	size_t		 off;		/* field in struct br_config or NOOFF */
	unsigned	 flags;		/* BR__F_* */
};

extern const struct br__ckey br__config_keys[];
extern const size_t br__config_nkeys;

struct br__config_priv {
	struct br__ydoc		*ex;		/* the example */
	struct br__ydoc		*usr;		/* the user's file */
	struct br__ydoc		*syn;		/* merged tree and new values */
	struct br__ynode	*merged;	/* what the file gets */
	struct br__ydoc		*envd;		/* effective tree */
	struct br__ynode	*eff;		/* merged + env overrides */
	size_t			*lines;		/* example line starts */
	size_t			 nlines;
	size_t			 nwarn_dropped;
};

/* What a loading step needs: the config being built and the error slot. */
struct br__cctx {
	struct br_config	*cfg;
	char			*err;
	size_t			 errsz;
};

const struct br__ckey *br__cfg_key(const char *path);
/* Is path a proper prefix (a section) of some table key? */
int br__cfg_section(const char *path);
/* Append ".key" ("key" at the top); -1 if past BR_CONFIG_PATH_MAX. */
int br__cfg_push(char *path, size_t *plen, const char *key);
void br__cfg_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void br__cfg_warn(struct br_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "file:line:col: path: expected X, got Y" -> BR_ERR_CONFIG_TYPE. */
int br__cfg_type_err(struct br__cctx *c, const char *path,
    const struct br__ynode *n, const char *expected);
/* File name a node came from, "(environment)" for overrides. */
const char *br__cfg_src(const struct br__ynode *n);
/* Node at a dotted path of table keys (no dots inside keys). */
struct br__ynode *br__cfg_lookup(const struct br__ynode *root,
    const char *path);

/* config_env.c: apply env_config_prefix overrides to priv->eff. */
int br__cfg_env_apply(struct br__cctx *c, char *const *envp);
/* config_typed.c: fill the struct from priv->eff. */
int br__cfg_typed(struct br__cctx *c);

#endif
