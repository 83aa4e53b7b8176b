/*
 * config_yaml.c: a small YAML document tree on top of libyaml, and the
 * scalar/collection emitter used to write config and registration files.
 *
 * What it does: turns libyaml's event stream into br__ynode trees that keep
 * each node's position and source span (so the config rewriter can copy
 * untouched values byte for byte), resolves plain scalars to null, bool,
 * int, float or str the way yaml.v3 (mautrix's YAML library) does, and
 * writes values back as YAML that reads back as the same value.
 *
 * What it does not do: no YAML 1.1 types (yes/no are strings, as in
 * yaml.v3), no timestamps (they stay strings), no merge keys ("<<" is an
 * ordinary key), only the first document of a stream is read.
 *
 * Invariants: see config_int.h (weight cap, unique scalar keys, no NUL in
 * scalars).  Every limit is checked before the allocation it guards.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "bridge/config.h"
#include "bridge/config_int.h"
#include "util/err.h"
#include "util/mem.h"

/* Distinct anchors in one document; configs use none or a handful. */
#define MAX_ANCHORS 1024

struct anchor {
	char			*name;
	struct br__ynode	*node;
};

struct frame {
	struct br__ynode	*node;
	struct br__ynode	*pending_key;	/* key waiting for its value */
};

static void seterr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

struct br__ydoc *
br__ydoc_new(const char *name)
{
	struct br__ydoc *d = u_calloc(1, sizeof(*d));

	d->name = u_strdup(name != NULL ? name : "(memory)");
	d->text = u_strdup("");
	return d;
}

void
br__ydoc_free(struct br__ydoc *d)
{
	struct br__ynode *n, *next;

	if (d == NULL)
		return;
	for (n = d->arena; n != NULL; n = next) {
		next = n->arena_next;
		free(n->val);
		free(n->kids);
		free(n);
	}
	free(d->text);
	free(d->name);
	free(d);
}

struct br__ynode *
br__ynode_new(struct br__ydoc *d, enum br__ykind kind)
{
	struct br__ynode *n = u_calloc(1, sizeof(*n));

	n->kind = kind;
	n->type = kind == BR_Y_MAP ? BR_YT_MAP : kind == BR_Y_SEQ ?
	    BR_YT_LIST : BR_YT_STR;
	n->weight = 1;
	n->arena_next = d->arena;
	d->arena = n;
	d->weight++;
	return n;
}

struct br__ynode *
br__ynode_scalar(struct br__ydoc *d, const char *s, unsigned type)
{
	struct br__ynode *n = br__ynode_new(d, BR_Y_SCALAR);

	n->val = u_strdup(s);
	n->len = strlen(s);
	n->type = type;
	return n;
}

void
br__ynode_push(struct br__ynode *coll, struct br__ynode *kid)
{
	if (coll->nkids == coll->kcap) {
		coll->kcap = coll->kcap ? coll->kcap * 2 : 8;
		coll->kids = u_reallocarray(coll->kids, coll->kcap,
		    sizeof(*coll->kids));
	}
	coll->kids[coll->nkids++] = kid;
	coll->weight += kid->weight;
}

static struct br__ynode *
clone_rec(struct br__ydoc *d, const struct br__ynode *n, int depth)
{
	struct br__ynode *c;
	size_t i;

	if (depth > BR_YAML_MAX_DEPTH)
		return NULL;
	c = br__ynode_new(d, n->kind);
	c->type = n->type;
	c->quoted = n->quoted;
	c->flow = n->flow;
	c->verbatim = n->verbatim;
	c->doc = n->doc;
	c->off = n->off;
	c->end = n->end;
	c->line = n->line;
	c->col = n->col;
	c->last_line = n->last_line;
	if (n->val != NULL) {
		c->val = u_memdup(n->val, n->len + 1);
		c->len = n->len;
	}
	for (i = 0; i < n->nkids; i++) {
		struct br__ynode *k = clone_rec(d, n->kids[i], depth + 1);

		if (k == NULL)
			return NULL;
		br__ynode_push(c, k);
	}
	return c;
}

struct br__ynode *
br__ynode_clone(struct br__ydoc *d, const struct br__ynode *n)
{
	if (n == NULL || d->weight + n->weight > BR_YAML_MAX_WEIGHT)
		return NULL;
	return clone_rec(d, n, 0);
}

struct br__ynode *
br__ymap_key(const struct br__ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != BR_Y_MAP)
		return NULL;
	for (i = 0; i + 1 < map->nkids; i += 2)
		if (strcmp(map->kids[i]->val, key) == 0)
			return map->kids[i];
	return NULL;
}

struct br__ynode *
br__ymap_get(const struct br__ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != BR_Y_MAP)
		return NULL;
	for (i = 0; i + 1 < map->nkids; i += 2)
		if (strcmp(map->kids[i]->val, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

void
br__ymap_set(struct br__ydoc *d, struct br__ynode *map, const char *key,
    struct br__ynode *val)
{
	size_t i;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		if (strcmp(map->kids[i]->val, key) == 0) {
			map->weight -= map->kids[i + 1]->weight;
			map->kids[i + 1] = val;
			map->weight += val->weight;
			return;
		}
	}
	br__ynode_push(map, br__ynode_scalar(d, key, BR_YT_STR));
	br__ynode_push(map, val);
}

const char *
br__ytype_name(unsigned type)
{
	switch (type) {
	case BR_YT_NULL:	return "null";
	case BR_YT_BOOL:	return "a boolean";
	case BR_YT_STR:		return "a string";
	case BR_YT_INT:		return "an integer";
	case BR_YT_FLOAT:	return "a float";
	case BR_YT_LIST:	return "a list";
	case BR_YT_MAP:		return "a mapping";
	}
	return "?";
}

/* --- Scalar resolution (YAML 1.2 core schema, as yaml.v3) -------------- */

static int
parse_digits(const char *s, int base, uint64_t *out)
{
	uint64_t v = 0;
	int any = 0;

	for (; *s; s++) {
		int d;

		if (*s == '_')
			continue;
		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (isalpha((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		any = 1;
	}
	if (!any)
		return -1;
	*out = v;
	return 0;
}

int
br__yparse_int(const char *s, int64_t *out)
{
	int neg = 0, base = 10;
	uint64_t v;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1] != '\0') {
		base = 8;	/* 0777: YAML 1.1 octal, read by yaml.v3 */
		s += 1;
	}
	if (*s == '_' || parse_digits(s, base, &v) < 0)
		return -1;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)v;
	}
	return 0;
}

int
br__yparse_bool(const char *s, int *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? with '_' ignored. */
static int
is_float(const char *s)
{
	int digits = 0;

	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
	    !strcmp(s, "+.inf") || !strcmp(s, "+.Inf") || !strcmp(s, "+.INF") ||
	    !strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF") ||
	    !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return 1;
	if (*s == '-' || *s == '+')
		s++;
	while (isdigit((unsigned char)*s) || *s == '_') {
		digits += *s != '_';
		s++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s) || *s == '_') {
			digits += *s != '_';
			s++;
		}
	}
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

unsigned
br__yresolve(const char *s)
{
	int64_t i;
	int b;

	if (*s == '\0' || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return BR_YT_NULL;
	if (br__yparse_bool(s, &b) == 0)
		return BR_YT_BOOL;
	if (isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.') {
		if (br__yparse_int(s, &i) == 0)
			return BR_YT_INT;
		if (is_float(s))
			return BR_YT_FLOAT;
	}
	return BR_YT_STR;
}

/* --- Parser ------------------------------------------------------------ */

struct pstate {
	struct br__ydoc	*doc;
	struct frame	 stack[BR_YAML_MAX_DEPTH + 1];
	int		 depth;
	struct anchor	*anchors;
	size_t		 nanchors;
	char		*err;
	size_t		 errsz;
	size_t		 cur_c, cur_b;	/* char index -> byte offset cursor */
};

/*
 * libyaml's marks count characters, not bytes.  Convert a character index
 * into a byte offset of the (UTF-8) text.  Marks arrive almost in order, so
 * a cursor that walks from the last answer keeps this linear.
 */
static size_t
byte_at(struct pstate *ps, size_t ci)
{
	const unsigned char *t = (const unsigned char *)ps->doc->text;
	size_t len = ps->doc->len;

	while (ps->cur_c < ci && ps->cur_b < len) {
		ps->cur_b++;
		while (ps->cur_b < len && (t[ps->cur_b] & 0xc0) == 0x80)
			ps->cur_b++;
		ps->cur_c++;
	}
	while (ps->cur_c > ci && ps->cur_b > 0) {
		ps->cur_b--;
		while (ps->cur_b > 0 && (t[ps->cur_b] & 0xc0) == 0x80)
			ps->cur_b--;
		ps->cur_c--;
	}
	return ps->cur_b;
}

static unsigned
tag_type(const char *tag)
{
	static const struct { const char *tag; unsigned type; } tags[] = {
		{ "tag:yaml.org,2002:str", BR_YT_STR },
		{ "tag:yaml.org,2002:int", BR_YT_INT },
		{ "tag:yaml.org,2002:bool", BR_YT_BOOL },
		{ "tag:yaml.org,2002:null", BR_YT_NULL },
		{ "tag:yaml.org,2002:float", BR_YT_FLOAT },
		{ "!", BR_YT_STR },
	};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(tag, tags[i].tag) == 0)
			return tags[i].type;
	return 0;
}

static int
add_anchor(struct pstate *ps, const char *name, struct br__ynode *n)
{
	size_t i;

	for (i = 0; i < ps->nanchors; i++) {
		if (strcmp(ps->anchors[i].name, name) == 0) {
			/* YAML allows redefinition; the latest wins. */
			ps->anchors[i].node = n;
			return 0;
		}
	}
	if (ps->nanchors >= MAX_ANCHORS)
		return -1;
	ps->anchors = u_reallocarray(ps->anchors, ps->nanchors + 1,
	    sizeof(*ps->anchors));
	ps->anchors[ps->nanchors].name = u_strdup(name);
	ps->anchors[ps->nanchors].node = n;
	ps->nanchors++;
	return 0;
}

static int perr(struct pstate *ps, const yaml_mark_t *m, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static int
perr(struct pstate *ps, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(ps->err, ps->errsz, "%s:%zu:%zu: %s", ps->doc->name,
	    m->line + 1, m->column + 1, msg);
	return BR_ERR_CONFIG_PARSE;
}

/* An alias adds what it expands to: collections count it when it is
 * pushed (br__ynode_push), the document total is kept here. */
static void
bump_weight(struct pstate *ps, size_t w)
{
	ps->doc->weight += w;
}

/* Attach a finished node to the open collection (or make it the root). */
static int
attach(struct pstate *ps, struct br__ynode *n, const yaml_mark_t *m)
{
	struct frame *f;

	if (ps->depth == 0) {
		if (ps->doc->root == NULL)
			ps->doc->root = n;
		return 0;
	}
	f = &ps->stack[ps->depth - 1];
	if (f->node->kind == BR_Y_SEQ) {
		br__ynode_push(f->node, n);
		return 0;
	}
	if (f->pending_key == NULL) {
		size_t i;

		if (n->kind != BR_Y_SCALAR)
			return perr(ps, m, "mapping keys must be scalars");
		for (i = 0; i + 1 < f->node->nkids; i += 2)
			if (strcmp(f->node->kids[i]->val, n->val) == 0)
				return perr(ps, m, "key \"%s\" already "
				    "defined at line %d", n->val,
				    f->node->kids[i]->line);
		f->pending_key = n;
		return 0;
	}
	/* An empty plain value sits where the next token starts; pin it to
	 * its key so that spans and line numbers stay on the key's line. */
	if (n->kind == BR_Y_SCALAR && n->len == 0 && !n->quoted &&
	    n->doc != NULL) {
		n->line = n->last_line = f->pending_key->line;
		n->col = f->pending_key->col;
		n->off = n->end = f->pending_key->end;
	}
	br__ynode_push(f->node, f->pending_key);
	br__ynode_push(f->node, n);
	f->pending_key = NULL;
	return 0;
}

static int
handle_event(struct pstate *ps, yaml_event_t *ev, int *done)
{
	struct br__ydoc *d = ps->doc;
	struct br__ynode *n;
	const char *anchor = NULL, *tag = NULL;
	int block_scalar = 0;
	size_t i;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_START_EVENT:
		return 0;
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return 0;
	case YAML_ALIAS_EVENT:
		for (i = 0; i < ps->nanchors; i++)
			if (strcmp(ps->anchors[i].name,
			    (char *)ev->data.alias.anchor) == 0)
				break;
		if (i == ps->nanchors)
			return perr(ps, &ev->start_mark, "unknown anchor "
			    "\"%s\"", (char *)ev->data.alias.anchor);
		n = ps->anchors[i].node;
		if (d->weight + n->weight > BR_YAML_MAX_WEIGHT)
			return perr(ps, &ev->start_mark, "document too large "
			    "once aliases are expanded");
		bump_weight(ps, n->weight);
		if (ps->depth > 0 && ps->stack[ps->depth - 1].node->kind ==
		    BR_Y_MAP && ps->stack[ps->depth - 1].pending_key == NULL &&
		    n->kind != BR_Y_SCALAR)
			return perr(ps, &ev->start_mark,
			    "mapping keys must be scalars");
		return attach(ps, n, &ev->start_mark);
	case YAML_SCALAR_EVENT:
		if (d->weight + 1 > BR_YAML_MAX_WEIGHT)
			return perr(ps, &ev->start_mark, "too many nodes");
		if (memchr(ev->data.scalar.value, '\0',
		    ev->data.scalar.length) != NULL)
			return perr(ps, &ev->start_mark,
			    "NUL character in a value");
		n = br__ynode_new(d, BR_Y_SCALAR);
		n->val = u_memdup(ev->data.scalar.value,
		    ev->data.scalar.length + 1);
		n->len = ev->data.scalar.length;
		anchor = (char *)ev->data.scalar.anchor;
		tag = (char *)ev->data.scalar.tag;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		/* A block scalar (| or >) is never copied as source text: its
		 * meaning depends on the lines after it, which the rewrite
		 * replaces (an empty ">-" before a comment line read back as
		 * a different document). */
		block_scalar = ev->data.scalar.style ==
		    YAML_LITERAL_SCALAR_STYLE ||
		    ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		if (tag != NULL && tag_type(tag) != 0)
			n->type = tag_type(tag);
		else if (n->quoted)
			n->type = BR_YT_STR;
		else
			n->type = br__yresolve(n->val);
		if (tag != NULL && n->type != BR_YT_STR) {
			/* !!int "12" must really be an integer, etc. */
			if (br__yresolve(n->val) != n->type &&
			    !(n->type == BR_YT_FLOAT &&
			    br__yresolve(n->val) == BR_YT_INT))
				return perr(ps, &ev->start_mark, "value \"%s\" "
				    "does not match its tag", n->val);
		}
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ps->depth >= BR_YAML_MAX_DEPTH)
			return perr(ps, &ev->start_mark, "nested too deeply "
			    "(limit %d)", BR_YAML_MAX_DEPTH);
		if (d->weight + 1 > BR_YAML_MAX_WEIGHT)
			return perr(ps, &ev->start_mark, "too many nodes");
		if (ps->depth > 0 && ps->stack[ps->depth - 1].node->kind ==
		    BR_Y_MAP && ps->stack[ps->depth - 1].pending_key == NULL)
			return perr(ps, &ev->start_mark,
			    "mapping keys must be scalars");
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			n = br__ynode_new(d, BR_Y_SEQ);
			anchor = (char *)ev->data.sequence_start.anchor;
			tag = (char *)ev->data.sequence_start.tag;
			n->flow = ev->data.sequence_start.style ==
			    YAML_FLOW_SEQUENCE_STYLE;
		} else {
			n = br__ynode_new(d, BR_Y_MAP);
			anchor = (char *)ev->data.mapping_start.anchor;
			tag = (char *)ev->data.mapping_start.tag;
			n->flow = ev->data.mapping_start.style ==
			    YAML_FLOW_MAPPING_STYLE;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame *f = &ps->stack[--ps->depth];

		n = f->node;
		n->end = byte_at(ps, ev->end_mark.index);
		if (n->flow)
			n->last_line = (int)ev->end_mark.line + 1;
		else if (n->nkids > 0)
			n->last_line = n->kids[n->nkids - 1]->last_line;
		else
			n->last_line = n->line;
		for (i = 0; i < n->nkids; i++)
			if (n->kids[i]->last_line > n->last_line)
				n->last_line = n->kids[i]->last_line;
		if (f->pending_key != NULL)
			return perr(ps, &ev->start_mark, "key without value");
		n->verbatim = n->verbatim && n->last_line == n->line;
		/* The collection's weight was counted while it grew; only
		 * attach it now. */
		return attach(ps, n, &ev->start_mark);
	}
	default:
		return 0;
	}
	n->doc = d;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	n->off = byte_at(ps, ev->start_mark.index);
	n->end = byte_at(ps, ev->end_mark.index);
	n->last_line = (int)ev->end_mark.line + 1;
	/* A block scalar's end mark is on the line after its last one. */
	if (n->kind == BR_Y_SCALAR && n->last_line > n->line &&
	    ev->end_mark.column == 0)
		n->last_line--;
	n->verbatim = anchor == NULL && tag == NULL && !block_scalar &&
	    (n->kind != BR_Y_SCALAR || n->last_line == n->line);
	if (anchor != NULL && add_anchor(ps, anchor, n) < 0)
		return perr(ps, &ev->start_mark, "too many anchors");
	if (n->kind == BR_Y_SCALAR)
		return attach(ps, n, &ev->start_mark);
	ps->stack[ps->depth].node = n;
	ps->stack[ps->depth].pending_key = NULL;
	ps->depth++;
	return 0;
}

int
br__ydoc_parse(const char *name, const char *text, size_t len,
    struct br__ydoc **out, char *err, size_t errsz)
{
	struct pstate ps;
	yaml_parser_t parser;
	yaml_event_t ev;
	int r = BR_ERR_CONFIG_PARSE, done = 0;
	size_t i;

	memset(&ps, 0, sizeof(ps));
	if (len > BR_YAML_MAX_TEXT) {
		seterr(err, errsz, "%s: file too large (%zu bytes, limit %zu)",
		    name, len, BR_YAML_MAX_TEXT);
		return BR_ERR_CONFIG_PARSE;
	}
	ps.doc = u_calloc(1, sizeof(*ps.doc));
	ps.doc->name = u_strdup(name);
	ps.doc->text = u_malloc(len + 1);
	memcpy(ps.doc->text, text, len);
	ps.doc->text[len] = '\0';
	ps.doc->len = len;
	ps.err = err;
	ps.errsz = errsz;
	if (len >= 2 && ((text[0] == '\xff' && text[1] == '\xfe') ||
	    (text[0] == '\xfe' && text[1] == '\xff'))) {
		seterr(err, errsz, "%s: the file must be UTF-8, not UTF-16",
		    name);
		br__ydoc_free(ps.doc);
		return BR_ERR_CONFIG_PARSE;
	}
	if (!yaml_parser_initialize(&parser))
		abort();
	/* Always UTF-8, so that a BOM counts as one character in marks. */
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser,
	    (const unsigned char *)ps.doc->text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_mark_t m = parser.problem_mark;

			if (parser.error == YAML_READER_ERROR) {
				seterr(err, errsz, "%s: byte %zu: %s", name,
				    parser.problem_offset, parser.problem ?
				    parser.problem : "read error");
			} else {
				seterr(err, errsz, "%s:%zu:%zu: %s%s%s", name,
				    m.line + 1, m.column + 1,
				    parser.problem ? parser.problem : "syntax "
				    "error", parser.context ? " " : "",
				    parser.context ? parser.context : "");
			}
			goto out;
		}
		r = handle_event(&ps, &ev, &done);
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
	}
	*out = ps.doc;
	ps.doc = NULL;
	r = 0;
out:
	if (r == 0 && *out == NULL)
		r = BR_ERR_CONFIG_PARSE;
	yaml_parser_delete(&parser);
	for (i = 0; i < ps.nanchors; i++)
		free(ps.anchors[i].name);
	free(ps.anchors);
	br__ydoc_free(ps.doc);
	return r < 0 ? r : 0;
}

/* --- Emitter ----------------------------------------------------------- */

/* Decode one UTF-8 sequence; returns its length or 0 if invalid. */
static size_t
utf8_dec(const unsigned char *p, size_t left, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0 && left >= 2 && (p[1] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		return *cp >= 0x80 ? 2 : 0;
	}
	if ((p[0] & 0xf0) == 0xe0 && left >= 3 && (p[1] & 0xc0) == 0x80 &&
	    (p[2] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(p[0] & 0x0f) << 12) |
		    ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return *cp >= 0x800 && (*cp < 0xd800 || *cp > 0xdfff) ? 3 : 0;
	}
	if ((p[0] & 0xf8) == 0xf0 && left >= 4 && (p[1] & 0xc0) == 0x80 &&
	    (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(p[0] & 0x07) << 18) |
		    ((uint32_t)(p[1] & 0x3f) << 12) |
		    ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		return *cp >= 0x10000 && *cp <= 0x10ffff ? 4 : 0;
	}
	return 0;
}

/* Characters that may appear raw inside a scalar without changing it. */
static int
printable(uint32_t cp)
{
	if (cp == '\t')
		return 0;	/* keep tabs escaped: they trip readers */
	if (cp < 0x20 || cp == 0x7f)
		return 0;
	if (cp >= 0x80 && cp < 0xa0)
		return 0;
	if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return 1;
}

static int
plain_ok(const char *s)
{
	static const char *yaml11_bools[] = { "y", "Y", "yes", "Yes", "YES",
	    "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
	};
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, k;
	uint32_t cp;

	if (len == 0 || br__yresolve(s) != BR_YT_STR)
		return 0;
	for (i = 0; i < sizeof(yaml11_bools) / sizeof(yaml11_bools[0]); i++)
		if (strcmp(s, yaml11_bools[i]) == 0)
			return 0;
	if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) != NULL)
		return 0;
	if (s[len - 1] == ' ' || s[len - 1] == ':')
		return 0;
	if (strstr(s, ": ") != NULL || strstr(s, " #") != NULL)
		return 0;
	if (strcmp(s, "<<") == 0)
		return 0;
	for (i = 0; i < len; i += k) {
		k = utf8_dec(p + i, len - i, &cp);
		if (k == 0 || !printable(cp))
			return 0;
	}
	return 1;
}

int
br__yemit_scalar(struct u_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, k;
	uint32_t cp;
	int r;

	if (plain_ok(s))
		return u_buf_add(b, s, len);
	if ((r = u_buf_add_u8(b, '"')) < 0)
		return r;
	for (i = 0; i < len; i += k) {
		k = utf8_dec(p + i, len - i, &cp);
		if (k == 0) {
			/* Not UTF-8 (only possible for synthesized values):
			 * write the byte's code point, which is lossy but
			 * keeps the file valid. */
			cp = p[i];
			k = 1;
		}
		if (cp == '"')
			r = u_buf_add_str(b, "\\\"");
		else if (cp == '\\')
			r = u_buf_add_str(b, "\\\\");
		else if (cp == '\n')
			r = u_buf_add_str(b, "\\n");
		else if (cp == '\t')
			r = u_buf_add_str(b, "\\t");
		else if (cp == '\r')
			r = u_buf_add_str(b, "\\r");
		else if (!printable(cp) && cp < 0x100)
			r = u_buf_printf(b, "\\x%02x", (unsigned)cp);
		else if (!printable(cp))
			r = u_buf_printf(b, "\\u%04x", (unsigned)cp);
		else if (k == 1 && cp >= 0x80)
			r = u_buf_printf(b, "\\x%02x", (unsigned)cp);
		else
			r = u_buf_add(b, p + i, k);
		if (r < 0)
			return r;
	}
	return u_buf_add_u8(b, '"');
}

static int
emit_scalar_node(struct u_buf *b, const struct br__ynode *n)
{
	if (n->verbatim && n->doc != NULL && n->end >= n->off &&
	    n->end <= n->doc->len)
		return u_buf_add(b, n->doc->text + n->off, n->end - n->off);
	if (n->type == BR_YT_STR)
		return br__yemit_scalar(b, n->val);
	if (n->type == BR_YT_NULL)
		return u_buf_add_str(b, "null");
	/* Ints, floats, bools: their text reads back as the same type.  A
	 * synthesized one is built from a checked conversion. */
	if (br__yresolve(n->val) == n->type)
		return u_buf_add_str(b, n->val);
	return br__yemit_scalar(b, n->val);
}

int
br__yinline(const struct br__ynode *n)
{
	return n->kind == BR_Y_SCALAR || n->nkids == 0 ||
	    (n->verbatim && n->flow);
}

static int
indent_to(struct u_buf *b, int indent)
{
	int r = 0;

	while (indent-- > 0 && r == 0)
		r = u_buf_add_u8(b, ' ');
	return r;
}

static int emit_block(struct u_buf *b, const struct br__ynode *n, int indent,
    int depth);

/* Emit n as the value after "key:" or "- ", starting on the current line. */
static int
emit_inline_or_block(struct u_buf *b, const struct br__ynode *n, int indent,
    int depth)
{
	int r;

	if (depth > BR_YAML_MAX_DEPTH)
		return U_ERR_TOO_BIG;
	if (b->len > BR_YAML_MAX_OUTPUT)
		return U_ERR_TOO_BIG;
	if (n->kind == BR_Y_SCALAR) {
		if (n->verbatim && n->doc != NULL && n->end == n->off)
			return 0;	/* "key:" with nothing after it */
		if ((r = u_buf_add_u8(b, ' ')) < 0)
			return r;
		return emit_scalar_node(b, n);
	}
	if (n->nkids == 0)
		return u_buf_add_str(b, n->kind == BR_Y_MAP ? " {}" : " []");
	if (n->verbatim && n->flow && n->doc != NULL) {
		if ((r = u_buf_add_u8(b, ' ')) < 0)
			return r;
		return u_buf_add(b, n->doc->text + n->off, n->end - n->off);
	}
	if ((r = u_buf_add_u8(b, '\n')) < 0)
		return r;
	return emit_block(b, n, indent, depth + 1);
}

static int
emit_key(struct u_buf *b, const struct br__ynode *k)
{
	if (k->verbatim && k->doc != NULL)
		return u_buf_add(b, k->doc->text + k->off, k->end - k->off);
	return br__yemit_scalar(b, k->val);
}

/* Emit a non-empty collection in block style, each entry on its own line
 * at indent; ends with a newline. */
static int
emit_block(struct u_buf *b, const struct br__ynode *n, int indent, int depth)
{
	size_t i;
	int r = 0;

	if (depth > BR_YAML_MAX_DEPTH || b->len > BR_YAML_MAX_OUTPUT)
		return U_ERR_TOO_BIG;
	if (n->kind == BR_Y_MAP) {
		for (i = 0; i + 1 < n->nkids && r == 0; i += 2) {
			if ((r = indent_to(b, indent)) < 0 ||
			    (r = emit_key(b, n->kids[i])) < 0 ||
			    (r = u_buf_add_u8(b, ':')) < 0)
				return r;
			r = emit_inline_or_block(b, n->kids[i + 1],
			    indent + 4, depth);
			if (r == 0 && br__yinline(n->kids[i + 1]))
				r = u_buf_add_u8(b, '\n');
		}
		return r;
	}
	for (i = 0; i < n->nkids && r == 0; i++) {
		const struct br__ynode *it = n->kids[i];

		if ((r = indent_to(b, indent)) < 0 ||
		    (r = u_buf_add_u8(b, '-')) < 0)
			return r;
		if (it->kind == BR_Y_MAP && it->nkids > 0 &&
		    !(it->verbatim && it->flow)) {
			/* "- key: v" then the other keys aligned after "- ". */
			size_t j;

			for (j = 0; j + 1 < it->nkids && r == 0; j += 2) {
				if (j == 0)
					r = u_buf_add_u8(b, ' ');
				else
					r = indent_to(b, indent + 2);
				if (r < 0 ||
				    (r = emit_key(b, it->kids[j])) < 0 ||
				    (r = u_buf_add_u8(b, ':')) < 0)
					return r;
				r = emit_inline_or_block(b, it->kids[j + 1],
				    indent + 6, depth + 1);
				if (r == 0 && br__yinline(it->kids[j + 1]))
					r = u_buf_add_u8(b, '\n');
			}
			continue;
		}
		r = emit_inline_or_block(b, it, indent + 4, depth + 1);
		if (r == 0 && br__yinline(it))
			r = u_buf_add_u8(b, '\n');
	}
	return r;
}

int
br__yemit_value(struct u_buf *b, const struct br__ynode *n, int indent)
{
	return emit_inline_or_block(b, n, indent, 0);
}
