/*
 * bridge/format_html.c: Matrix HTML -> WhatsApp markup, and HTML -> plain
 * text (mautrix-go format.HTMLToText, for relay bodies).
 *
 * Two stages.  (1) A small HTML tokenizer and tree builder of our own:
 * tags (names lowercased, attributes quoted or not), comments, character
 * references (numeric, and the named ones Matrix clients emit), void and
 * raw-text elements, and the tree-construction rules that change what
 * mautrix-go sees through golang.org/x/net/html: a block start tag closes
 * an open <p>, <li> closes <li>, <h1>-<h6> close each other, </p> with no
 * <p> makes an empty one, </br> is <br>, a newline right after <pre> is
 * dropped, CR/CRLF become LF, and formatting elements closed implicitly
 * (<b>x</div>, <b><i>x</b>y) are reopened before the next content as the
 * HTML5 "active formatting elements" list does.  (2) A renderer that is
 * format.HTMLParser (htmlparser.go) case by case, with the converters
 * mautrix-whatsapp's msgconv.New installs (*b*, _i_, ~s~, `c`,
 * ```\ncode\n```, pills -> "@<number>" + mentionedJID) or mautrix-go's
 * defaults (HTMLToText).
 *
 * Does not: the full HTML5 algorithm (tables' foster parenting, the
 * adoption agency's corner cases, the 2231 named references: only the
 * common ones are decoded, others stay literal as x/net/html leaves unknown
 * names), CSS, images other than their alt text.  <mx-reply> is an
 * unknown tag here, as upstream: bridgev2 strips a reply's fallback before
 * converting (br_fmt_remove_reply_fallback, event/reply.go).
 * Invariants: input <= BR_FMT_MAX_HTML bytes of valid UTF-8; at most
 * BR_FMT_MAX_DEPTH open elements; every output <= BR_FMT_MAX_OUT; tabs are
 * four spaces before parsing (TabsToSpaces: 4).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge/format.h"
#include "bridge/format_int.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ */
/* tree */

#define TAG_MAX 24	/* longer names are kept truncated: never a known tag */

enum { N_TEXT, N_ELEM, N_COMMENT };

/* Nodes in one tree: reopened formatting elements multiply them, so the
 * count is bounded apart from the input size. */
#define MAX_NODES 65536

struct node {
	int	 type;
	char	 tag[TAG_MAX];
	char	*text;		/* owned; N_TEXT */
	char	*href, *start, *klass, *spoiler, *alt;	/* owned attributes */
	int	 has_spoiler, checked;
	int	 parent, first, last, next;
};

struct tree {
	struct node	*n;	/* owned; n[0] is the root */
	size_t		 len, alloc;
	int		 stack[BR_FMT_MAX_DEPTH + 1];
	int		 depth;	/* stack[0] = root */
	int		 reopen[BR_FMT_MAX_DEPTH];	/* formatting to reopen */
	int		 nreopen;
	int		 skip_lf;	/* just opened <pre> */
	int		 dropped;	/* start tags over the depth limit */
	int		 full;		/* MAX_NODES reached */
};

static const char *const void_tags[] = { "area", "base", "br", "col",
	"embed", "hr", "img", "input", "link", "meta", "param", "source",
	"track", "wbr", NULL };
static const char *const formatting_tags[] = { "a", "b", "big", "code",
	"em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt",
	"u", NULL };
/* start tags that close an open <p> (x/net/html inBodyIM) */
static const char *const closes_p[] = { "address", "article", "aside",
	"blockquote", "center", "details", "dialog", "dir", "div", "dl",
	"fieldset", "figcaption", "figure", "footer", "header", "hgroup",
	"main", "menu", "nav", "ol", "p", "section", "summary", "ul", "pre",
	"listing", "form", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5",
	"h6", "hr", "table", "xmp", "plaintext", NULL };

static int
in_list(const char *tag, const char *const *l)
{
	for (; *l != NULL; l++)
		if (strcmp(tag, *l) == 0)
			return 1;
	return 0;
}

static int
is_heading(const char *t)
{
	return t[0] == 'h' && t[1] >= '1' && t[1] <= '6' && t[2] == '\0';
}

static void
node_free(struct node *n)
{
	free(n->text);
	free(n->href);
	free(n->start);
	free(n->klass);
	free(n->spoiler);
	free(n->alt);
}

static void
tree_free(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->len; i++)
		node_free(&t->n[i]);
	free(t->n);
}

static int
tree_add(struct tree *t, int type, int parent)
{
	struct node *n;
	int id;

	if (t->len >= MAX_NODES) {
		t->full = 1;
		return -1;
	}
	if (t->len == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->n = u_reallocarray(t->n, t->alloc, sizeof(*t->n));
	}
	id = (int)t->len++;
	n = &t->n[id];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->parent = parent;
	n->first = n->last = n->next = -1;
	if (parent >= 0) {
		if (t->n[parent].last >= 0)
			t->n[t->n[parent].last].next = id;
		else
			t->n[parent].first = id;
		t->n[parent].last = id;
	}
	return id;
}

static int
cur(struct tree *t)
{
	return t->stack[t->depth];
}

static char *
dup_opt(const char *s)
{
	return s != NULL ? u_strdup(s) : NULL;
}

/* Open an element under the current node; a copy of src's attributes
 * when src >= 0 (reopening).  Returns the id, or -1 past the depth limit. */
static int
open_elem(struct tree *t, const char *tag, int src)
{
	char name[TAG_MAX];
	int id;

	if (t->depth >= BR_FMT_MAX_DEPTH) {
		t->dropped++;
		return -1;
	}
	/* tag may point into t->n, which tree_add may move */
	snprintf(name, sizeof(name), "%s", tag);
	if ((id = tree_add(t, N_ELEM, cur(t))) < 0)
		return -1;
	memcpy(t->n[id].tag, name, sizeof(name));
	if (src >= 0) {
		t->n[id].href = dup_opt(t->n[src].href);
		t->n[id].start = dup_opt(t->n[src].start);
		t->n[id].klass = dup_opt(t->n[src].klass);
		t->n[id].spoiler = dup_opt(t->n[src].spoiler);
		t->n[id].alt = dup_opt(t->n[src].alt);
		t->n[id].has_spoiler = t->n[src].has_spoiler;
		t->n[id].checked = t->n[src].checked;
	}
	t->stack[++t->depth] = id;
	return id;
}

/* Pop down to (and including) stack index i; formatting elements above it
 * are remembered for reopening. */
static void
pop_to(struct tree *t, int i, int keep_formatting)
{
	while (t->depth >= i && t->depth > 0) {
		int id = cur(t);

		if (keep_formatting && t->depth > i &&
		    in_list(t->n[id].tag, formatting_tags) &&
		    t->nreopen < BR_FMT_MAX_DEPTH)
			t->reopen[t->nreopen++] = id;
		t->depth--;
	}
}

static int
find_open(struct tree *t, const char *tag, int stop_at_scope)
{
	int i;

	for (i = t->depth; i > 0; i--) {
		const char *x = t->n[t->stack[i]].tag;

		if (strcmp(x, tag) == 0)
			return i;
		if (stop_at_scope && (strcmp(x, "table") == 0 ||
		    strcmp(x, "td") == 0 || strcmp(x, "th") == 0 ||
		    strcmp(x, "button") == 0))
			return -1;
	}
	return -1;
}

/* Reconstruct the active formatting elements before inserting content. */
static void
reconstruct(struct tree *t)
{
	int i, n = t->nreopen;

	t->nreopen = 0;
	/* reopen in document order: the list holds innermost first */
	for (i = n - 1; i >= 0; i--) {
		int src = t->reopen[i];

		open_elem(t, t->n[src].tag, src);
	}
}

static void
add_text(struct tree *t, const char *s, size_t len)
{
	int c, id;
	size_t ol;

	if (t->skip_lf) {
		t->skip_lf = 0;
		if (len > 0 && s[0] == '\n') {
			s++;
			len--;
		}
	}
	if (len == 0)
		return;
	reconstruct(t);
	c = cur(t);
	if (t->n[c].last >= 0 && t->n[t->n[c].last].type == N_TEXT) {
		id = t->n[c].last;
		ol = strlen(t->n[id].text);
		t->n[id].text = u_realloc(t->n[id].text, ol + len + 1);
		memcpy(t->n[id].text + ol, s, len);
		t->n[id].text[ol + len] = '\0';
		return;
	}
	if ((id = tree_add(t, N_TEXT, c)) < 0)
		return;
	t->n[id].text = u_strndup(s, len);
}

/* ------------------------------------------------------------------ */
/* tokenizer */

struct entity {
	const char	*name;
	unsigned	 cp;
};

/* The named references Matrix clients and bridges emit; the rest stay
 * literal (a documented gap, see the file header). */
static const struct entity entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 }, { "shy", 0xad }, { "copy", 0xa9 },
	{ "reg", 0xae }, { "trade", 0x2122 }, { "hellip", 0x2026 },
	{ "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 },
	{ "rsquo", 0x2019 }, { "ldquo", 0x201c }, { "rdquo", 0x201d },
	{ "laquo", 0xab }, { "raquo", 0xbb }, { "middot", 0xb7 },
	{ "bull", 0x2022 }, { "deg", 0xb0 }, { "times", 0xd7 },
	{ "divide", 0xf7 }, { "euro", 0x20ac }, { "pound", 0xa3 },
	{ "yen", 0xa5 }, { "cent", 0xa2 }, { "sect", 0xa7 }, { "para", 0xb6 },
	{ "zwj", 0x200d }, { "zwnj", 0x200c }, { "ensp", 0x2002 },
	{ "emsp", 0x2003 }, { "thinsp", 0x2009 }, { "larr", 0x2190 },
	{ "rarr", 0x2192 }, { "uarr", 0x2191 }, { "darr", 0x2193 },
	{ "hearts", 0x2665 }, { "check", 0x2713 }, { "plusmn", 0xb1 },
	{ NULL, 0 }
};

/* The names HTML5 also decodes without ';' (legacy), in text. */
static const char *const legacy[] = { "amp", "lt", "gt", "quot", "nbsp",
	"copy", "reg", NULL };

/* windows-1252 for &#128;-&#159; (x/net/html replacementTable) */
static const unsigned short win1252[32] = {
	0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6,
	0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018,
	0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122,
	0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178
};

/* Decode the reference at s[0] == '&'; append its text, return bytes used
 * (0: not a reference, the caller copies '&'). */
static size_t
decode_entity(const char *s, size_t len, int in_attr, struct u_buf *b,
    int *err)
{
	size_t i = 1, j;
	unsigned long cp = 0;
	int hex = 0, digits = 0, k;

	if (len >= 2 && s[1] == '#') {
		i = 2;
		if (i < len && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		for (; i < len; i++) {
			int v;

			if (s[i] >= '0' && s[i] <= '9')
				v = s[i] - '0';
			else if (hex && s[i] >= 'a' && s[i] <= 'f')
				v = s[i] - 'a' + 10;
			else if (hex && s[i] >= 'A' && s[i] <= 'F')
				v = s[i] - 'A' + 10;
			else
				break;
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + (unsigned long)v;
			digits++;
		}
		if (digits == 0)
			return 0;
		if (i < len && s[i] == ';')
			i++;
		if (cp >= 0x80 && cp <= 0x9f)
			cp = win1252[cp - 0x80];
		else if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		*err |= br__fmt_put_rune(b, (unsigned)cp);
		return i;
	}
	for (j = 1; j < len && j < 12 && ((s[j] >= 'a' && s[j] <= 'z') ||
	    (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')); j++)
		;
	for (k = 0; entities[k].name != NULL; k++) {
		size_t nl = strlen(entities[k].name);

		if (nl + 1 != j || memcmp(s + 1, entities[k].name, nl) != 0)
			continue;
		if (j < len && s[j] == ';') {
			*err |= br__fmt_put_rune(b, entities[k].cp);
			return j + 1;
		}
		break;
	}
	/* legacy names decode without ';', as the longest prefix of the run
	 * ("&ampx" is "&x" in text); in attributes not before an
	 * alphanumeric or '=' */
	for (k = 0; legacy[k] != NULL; k++) {
		size_t nl = strlen(legacy[k]);
		int m;

		if (nl + 1 > len || memcmp(s + 1, legacy[k], nl) != 0)
			continue;
		if (nl + 1 < len && s[nl + 1] == ';')
			continue;	/* handled above when it is a name */
		if (in_attr && nl + 1 < len && (s[nl + 1] == '=' ||
		    (s[nl + 1] >= 'a' && s[nl + 1] <= 'z') ||
		    (s[nl + 1] >= 'A' && s[nl + 1] <= 'Z') ||
		    (s[nl + 1] >= '0' && s[nl + 1] <= '9')))
			return 0;
		for (m = 0; entities[m].name != NULL; m++)
			if (strcmp(entities[m].name, legacy[k]) == 0)
				break;
		*err |= br__fmt_put_rune(b, entities[m].cp);
		return nl + 1;
	}
	return 0;
}

/* Text with references decoded, CR/CRLF -> LF, NUL dropped. */
static int
decode_text(const char *s, size_t len, int in_attr, int raw, struct u_buf *b)
{
	size_t i = 0, used;
	int err = 0;

	while (i < len) {
		if (s[i] == '&' && !raw &&
		    (used = decode_entity(s + i, len - i, in_attr, b, &err)) > 0) {
			i += used;
			continue;
		}
		if (s[i] == '\r') {
			err |= u_buf_add_u8(b, '\n');
			i += i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
			continue;
		}
		if (s[i] != '\0')
			err |= u_buf_add_u8(b, (uint8_t)s[i]);
		i++;
	}
	return err;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

struct tag_tok {
	char	 name[TAG_MAX];
	int	 end, self_closing, unterminated;
	char	*href, *start, *klass, *spoiler, *alt;
	int	 has_spoiler, checked;
};

static void
tok_clear(struct tag_tok *tk)
{
	free(tk->href);
	free(tk->start);
	free(tk->klass);
	free(tk->spoiler);
	free(tk->alt);
	memset(tk, 0, sizeof(*tk));
}

static void
set_attr(struct tag_tok *tk, const char *name, size_t nl, const char *v,
    size_t vl, int *err)
{
	struct u_buf b;
	char *val, **slot = NULL;

	if (nl == 4 && memcmp(name, "href", 4) == 0)
		slot = &tk->href;
	else if (nl == 5 && memcmp(name, "start", 5) == 0)
		slot = &tk->start;
	else if (nl == 5 && memcmp(name, "class", 5) == 0)
		slot = &tk->klass;
	else if (nl == 3 && memcmp(name, "alt", 3) == 0)
		slot = &tk->alt;
	else if (nl == 15 && memcmp(name, "data-mx-spoiler", 15) == 0) {
		slot = &tk->spoiler;
		if (tk->has_spoiler)
			return;
		tk->has_spoiler = 1;
	} else if (nl == 7 && memcmp(name, "checked", 7) == 0) {
		tk->checked = 1;
		return;
	} else
		return;
	if (*slot != NULL)
		return;	/* x/net/html keeps the first of duplicates */
	u_buf_init(&b, BR_FMT_MAX_OUT);
	*err |= decode_text(v, vl, 1, 0, &b);
	*err |= br__fmt_finish(&b, 0, &val) != 0;
	*slot = val;
}

/* Parse the tag at s[0] == '<' (s[1] a letter, or '/' + letter); returns
 * its length. */
static size_t
lex_tag(const char *s, size_t len, struct tag_tok *tk, int *err)
{
	size_t i = 1, n = 0, an, ast, vst, vl;
	char q;

	if (s[i] == '/') {
		tk->end = 1;
		i++;
	}
	while (i < len && !is_ws(s[i]) && s[i] != '/' && s[i] != '>') {
		if (n + 1 < TAG_MAX) {
			char c = s[i];

			tk->name[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		i++;
	}
	tk->name[n] = '\0';
	for (;;) {
		while (i < len && (is_ws(s[i]) || s[i] == '/')) {
			if (s[i] == '/' && i + 1 < len && s[i + 1] == '>')
				tk->self_closing = 1;
			i++;
		}
		if (i >= len) {
			/* EOF in a tag: HTML5 drops the tag */
			tk->unterminated = 1;
			return len;
		}
		if (s[i] == '>')
			return i + 1;
		ast = i;
		/* attribute name: first char may be '=' (HTML5 quirk) */
		i++;
		while (i < len && !is_ws(s[i]) && s[i] != '/' && s[i] != '>' &&
		    s[i] != '=')
			i++;
		an = i - ast;
		while (i < len && is_ws(s[i]))
			i++;
		vst = i;
		vl = 0;
		if (i < len && s[i] == '=') {
			i++;
			while (i < len && is_ws(s[i]))
				i++;
			if (i < len && (s[i] == '"' || s[i] == '\'')) {
				q = s[i++];
				vst = i;
				while (i < len && s[i] != q)
					i++;
				vl = i - vst;
				if (i < len)
					i++;
			} else {
				vst = i;
				while (i < len && !is_ws(s[i]) && s[i] != '>')
					i++;
				vl = i - vst;
			}
		}
		if (!tk->end) {
			char name[20];
			size_t k;

			if (an < sizeof(name)) {
				for (k = 0; k < an; k++) {
					char c = s[ast + k];

					name[k] = (c >= 'A' && c <= 'Z') ?
					    (char)(c + 32) : c;
				}
				set_attr(tk, name, an, s + vst, vl, err);
			}
		}
	}
}

static void
tree_start_tag(struct tree *t, struct tag_tok *tk)
{
	const char *name = tk->name;
	int i, id;

	if (in_list(name, closes_p)) {
		if ((i = find_open(t, "p", 1)) > 0)
			pop_to(t, i, 1);
	}
	if (is_heading(name) && is_heading(t->n[cur(t)].tag))
		pop_to(t, t->depth, 0);
	if (strcmp(name, "li") == 0) {
		for (i = t->depth; i > 0; i--) {
			const char *x = t->n[t->stack[i]].tag;

			if (strcmp(x, "li") == 0) {
				pop_to(t, i, 1);
				break;
			}
			if (strcmp(x, "ul") == 0 || strcmp(x, "ol") == 0 ||
			    strcmp(x, "blockquote") == 0 || strcmp(x, "table") == 0 ||
			    strcmp(x, "td") == 0 || strcmp(x, "pre") == 0)
				break;
		}
	}
	/* block start tags do not reconstruct formatting (HTML5 "in body"):
	 * their content does, inside them */
	if (!in_list(name, closes_p))
		reconstruct(t);
	if (in_list(name, void_tags)) {
		/* never pushed, so allowed at any depth (a <br> deep in
		 * nested lists still breaks the line) */
		if ((id = tree_add(t, N_ELEM, cur(t))) < 0)
			return;
		snprintf(t->n[id].tag, TAG_MAX, "%s", name);
	} else if ((id = open_elem(t, name, -1)) < 0)
		return;
	t->n[id].href = tk->href;
	t->n[id].start = tk->start;
	t->n[id].klass = tk->klass;
	t->n[id].spoiler = tk->spoiler;
	t->n[id].alt = tk->alt;
	t->n[id].has_spoiler = tk->has_spoiler;
	t->n[id].checked = tk->checked;
	tk->href = tk->start = tk->klass = tk->spoiler = tk->alt = NULL;
	/* the self-closing flag means nothing on non-void elements */
	if (strcmp(name, "pre") == 0 || strcmp(name, "listing") == 0)
		t->skip_lf = 1;
}

static void
tree_end_tag(struct tree *t, struct tag_tok *tk)
{
	const char *name = tk->name;
	int i, k;

	if (strcmp(name, "br") == 0) {
		tk->end = 0;
		tree_start_tag(t, tk);
		return;
	}
	if (strcmp(name, "p") == 0 && find_open(t, "p", 1) < 0) {
		/* an empty <p> where the stray </p> stands */
		reconstruct(t);
		if (open_elem(t, "p", -1) >= 0)
			t->depth--;
		return;
	}
	/* a formatting element that is only waiting to be reopened */
	for (k = 0; k < t->nreopen; k++) {
		if (strcmp(t->n[t->reopen[k]].tag, name) == 0 &&
		    find_open(t, name, 0) < 0) {
			memmove(&t->reopen[k], &t->reopen[k + 1],
			    (size_t)(t->nreopen - k - 1) * sizeof(int));
			t->nreopen--;
			return;
		}
	}
	if (is_heading(name)) {
		for (i = t->depth; i > 0; i--)
			if (is_heading(t->n[t->stack[i]].tag)) {
				pop_to(t, i, 1);
				return;
			}
		return;
	}
	if ((i = find_open(t, name, 0)) > 0)
		pop_to(t, i, 1);
}

static int
build_tree(const char *html, size_t len, struct tree *t)
{
	struct tag_tok tk;
	size_t i = 0, tl, st;
	const char *e;
	int err = 0;

	memset(t, 0, sizeof(*t));
	tree_add(t, N_ELEM, -1);
	snprintf(t->n[0].tag, TAG_MAX, "#root");
	while (i < len && err == 0) {
		if (html[i] != '<') {
			struct u_buf b;
			char *txt;

			st = i;
			while (i < len && html[i] != '<')
				i++;
			u_buf_init(&b, BR_FMT_MAX_OUT);
			err |= decode_text(html + st, i - st, 0, 0, &b);
			if (br__fmt_finish(&b, err, &txt) != 0)
				return BR_ERR_FMT_TOO_BIG;
			add_text(t, txt, strlen(txt));
			free(txt);
			continue;
		}
		if (i + 4 <= len && memcmp(html + i, "<!--", 4) == 0) {
			/* a comment node: it separates text nodes and counts
			 * among a list's children, as in x/net/html */
			tree_add(t, N_COMMENT, cur(t));
			for (st = i + 4; st + 3 <= len; st++)
				if (memcmp(html + st, "-->", 3) == 0)
					break;
			i = st + 3 <= len ? st + 3 : len;
			continue;
		}
		if (i + 1 < len && (html[i + 1] == '!' || html[i + 1] == '?' ||
		    (html[i + 1] == '/' && i + 2 < len && !is_alpha(html[i + 2])))) {
			/* bogus comment / doctype / "</>" */
			e = memchr(html + i, '>', len - i);
			i = e != NULL ? (size_t)(e - html) + 1 : len;
			continue;
		}
		if (i + 1 >= len || !(is_alpha(html[i + 1]) ||
		    (html[i + 1] == '/' && i + 2 < len))) {
			add_text(t, "<", 1);
			i++;
			continue;
		}
		memset(&tk, 0, sizeof(tk));
		tl = lex_tag(html + i, len - i, &tk, &err);
		i += tl;
		if (tk.unterminated) {
			tok_clear(&tk);
			break;
		}
		if (tk.end)
			tree_end_tag(t, &tk);
		else {
			tree_start_tag(t, &tk);
			if (strcmp(tk.name, "script") == 0 ||
			    strcmp(tk.name, "style") == 0 ||
			    strcmp(tk.name, "textarea") == 0 ||
			    strcmp(tk.name, "title") == 0 ||
			    strcmp(tk.name, "xmp") == 0) {
				/* raw text up to the matching end tag */
				size_t nl = strlen(tk.name), k;
				int rcdata = strcmp(tk.name, "textarea") == 0 ||
				    strcmp(tk.name, "title") == 0;
				struct u_buf b;
				char *txt;

				for (k = i; k + 2 + nl <= len; k++)
					if (html[k] == '<' && html[k + 1] == '/' &&
					    strncasecmp(html + k + 2, tk.name, nl) == 0)
						break;
				if (k + 2 + nl > len)
					k = len;
				u_buf_init(&b, BR_FMT_MAX_OUT);
				err |= decode_text(html + i, k - i, 0, !rcdata, &b);
				if (br__fmt_finish(&b, err, &txt) != 0) {
					tok_clear(&tk);
					return BR_ERR_FMT_TOO_BIG;
				}
				add_text(t, txt, strlen(txt));
				free(txt);
				i = k;
			}
		}
		tok_clear(&tk);
	}
	return err || t->full ? BR_ERR_FMT_TOO_BIG : 0;
}

/* ------------------------------------------------------------------ */
/* renderer (format.HTMLParser) */

struct render {
	struct tree	*t;
	int		 wa;	/* mautrix-whatsapp converters, else defaults */
	int		 has_mentions;
	const char *const *allowed;
	size_t		 n_allowed;
	br_fmt_mxid_resolver resolve;
	void		*arg;
	char		**mentions;	/* owned */
	size_t		 n_mentions;
	int		 err;
};

/* One rendered string (owned). */
struct str {
	char	*s;
	size_t	 len;
};

static void render_node(struct render *rd, int id, int pre, int depth,
    struct u_buf *out);

static int
is_block(const char *tag)
{
	static const char *const block[] = { "p", "h1", "h2", "h3", "h4", "h5",
		"h6", "ol", "ul", "pre", "blockquote", "div", "hr", "table",
		NULL };

	return in_list(tag, block);
}

static const char *
tag_of(struct render *rd, int id)
{
	if (rd->t->n[id].type == N_TEXT)
		return "text";
	return rd->t->n[id].type == N_COMMENT ? "#comment" : rd->t->n[id].tag;
}

/* nodeToTagAwareString over the children of id */
static void
tag_aware(struct render *rd, int id, int pre, int depth, struct u_buf *out)
{
	struct u_buf b;
	size_t st, tl;
	int c;

	u_buf_init(&b, BR_FMT_MAX_OUT);
	for (c = rd->t->n[id].first; c >= 0; c = rd->t->n[c].next) {
		int blk = is_block(tag_of(rd, c));

		if (blk)
			rd->err |= u_buf_add_u8(&b, '\n');
		render_node(rd, c, pre, depth + 1, &b);
		if (blk)
			rd->err |= u_buf_add_u8(&b, '\n');
	}
	if (b.len > 0) {
		tl = br__fmt_trim_space((const char *)b.p, b.len, &st);
		rd->err |= u_buf_add(out, b.p + st, tl);
	}
	u_buf_free(&b);
}

/* nodeToString over the children of id (no trimming) */
static void
plain_children(struct render *rd, int id, int pre, int depth,
    struct u_buf *out)
{
	int c;

	for (c = rd->t->n[id].first; c >= 0; c = rd->t->n[c].next)
		render_node(rd, c, pre, depth + 1, out);
}

static void
render_to(struct render *rd, int id, int pre, int depth, struct str *s,
    int tagaware)
{
	struct u_buf b;

	u_buf_init(&b, BR_FMT_MAX_OUT);
	if (tagaware)
		tag_aware(rd, id, pre, depth, &b);
	else
		plain_children(rd, id, pre, depth, &b);
	if (br__fmt_finish(&b, rd->err, &s->s) != 0) {
		rd->err = 1;
		s->s = u_strdup("");
	}
	s->len = strlen(s->s);
}

static int
digits(long long n)
{
	int d = 1;

	if (n < 0)
		return digits(-n) + 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* strconv.Atoi as listToString uses it (errors give 0); clamped so that
 * counters never overflow (upstream wraps on absurd values). */
static long long
atoi_go(const char *s)
{
	long long v = 0;
	int neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v < 1000000000LL)
			v = v * 10 + (*s - '0');
	}
	if (v > 1000000000LL)
		v = 1000000000LL;
	return neg ? -v : v;
}

static void
add_indented(struct render *rd, struct u_buf *out, const char *s, int indent)
{
	const char *nl;
	int k;

	while ((nl = strchr(s, '\n')) != NULL) {
		rd->err |= u_buf_add(out, s, (size_t)(nl - s) + 1);
		for (k = 0; k < indent; k++)
			rd->err |= u_buf_add_u8(out, ' ');
		s = nl + 1;
	}
	rd->err |= u_buf_add_str(out, s);
}

static void
render_list(struct render *rd, int id, int pre, int depth, struct u_buf *out)
{
	struct node *n = &rd->t->n[id];
	int ordered = strcmp(n->tag, "ol") == 0, c, first = 1, indent_len = 0;
	long long counter = 1, nchild = 0;

	for (c = n->first; c >= 0; c = rd->t->n[c].next)
		nchild++;
	if (ordered) {
		if (n->start != NULL && n->start[0] != '\0')
			counter = atoi_go(n->start);
		indent_len = digits(counter - 1 + nchild);
	}
	for (c = n->first; c >= 0; c = rd->t->n[c].next) {
		struct u_buf b;
		char *item;
		int pad, k;

		/* every child is rendered (a pill's mention counts even
		 * outside <li>, as upstream), only <li> are kept */
		u_buf_init(&b, BR_FMT_MAX_OUT);
		render_node(rd, c, pre, depth + 1, &b);
		if (br__fmt_finish(&b, rd->err, &item) != 0) {
			rd->err = 1;
			return;
		}
		if (strcmp(tag_of(rd, c), "li") != 0) {
			free(item);
			continue;
		}
		if (!first)
			rd->err |= u_buf_add_u8(out, '\n');
		first = 0;
		if (ordered) {
			pad = indent_len - digits(counter);
			rd->err |= u_buf_printf(out, "%lld. ", counter);
			for (k = 0; k < pad; k++)
				rd->err |= u_buf_add_u8(out, ' ');
		} else
			rd->err |= u_buf_add_str(out, "* ");
		add_indented(rd, out, item, indent_len + 2);
		free(item);
		counter++;
	}
}

/* SafeMarkdownCode */
static void
safe_code(struct render *rd, const char *s, struct u_buf *out)
{
	size_t len = strlen(s), i, run = 0, best = 0;
	char *t;
	int k;

	if (len == 0) {
		rd->err |= u_buf_add_str(out, "` `");
		return;
	}
	t = u_strdup(s);
	for (i = 0; i < len; i++) {
		if (t[i] == '\n')
			t[i] = ' ';
		run = t[i] == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	if (best == 0) {
		rd->err |= u_buf_printf(out, "`%s`", t);
	} else {
		int spaced = t[0] == '`' || t[len - 1] == '`';

		for (k = 0; k <= (int)best; k++)
			rd->err |= u_buf_add_u8(out, '`');
		if (spaced)
			rd->err |= u_buf_add_u8(out, ' ');
		rd->err |= u_buf_add_str(out, t);
		if (spaced)
			rd->err |= u_buf_add_u8(out, ' ');
		for (k = 0; k <= (int)best; k++)
			rd->err |= u_buf_add_u8(out, '`');
	}
	free(t);
}

/* DefaultMonospaceBlockConverter */
static void
default_code_block(struct render *rd, const char *code, const char *lang,
    struct u_buf *out)
{
	size_t len = strlen(code), fence = 3, st, tl, i;
	const char *line, *nl;
	int add_nl = len == 0 || code[len - 1] != '\n';

	for (line = code; ; line = nl + 1) {
		nl = strchr(line, '\n');
		tl = br__fmt_trim_space(line, nl ? (size_t)(nl - line) :
		    strlen(line), &st);
		for (i = 0; i < tl && line[st + i] == '`'; i++)
			;
		if (tl > 0 && i == tl && tl >= fence)
			fence = tl + 1;
		if (nl == NULL)
			break;
	}
	for (i = 0; i < fence; i++)
		rd->err |= u_buf_add_u8(out, '`');
	rd->err |= u_buf_add_str(out, lang);
	rd->err |= u_buf_add_u8(out, '\n');
	rd->err |= u_buf_add_str(out, code);
	if (add_nl)
		rd->err |= u_buf_add_u8(out, '\n');
	for (i = 0; i < fence; i++)
		rd->err |= u_buf_add_u8(out, '`');
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* url.PathUnescape-like: NULL on a bad escape (url.Parse fails). */
static char *
pct_decode(const char *s, size_t len)
{
	char *o = u_malloc(len + 1);
	size_t i, j = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= len || (h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0) {
				free(o);
				return NULL;
			}
			o[j++] = (char)(h * 16 + l);
			i += 2;
		} else
			o[j++] = s[i];
	}
	o[j] = '\0';
	/* an escape may spell invalid UTF-8: not an identifier we accept */
	if (!br__fmt_utf8_ok(o, j)) {
		free(o);
		return NULL;
	}
	return o;
}

static int
known_sigil(char c)
{
	return c == '@' || c == '#' || c == '!' || c == '$';
}

/*
 * id.ParseMatrixURIOrMatrixToURL, the parts a pill needs: *primary and
 * *secondary (owned, secondary may be ""), or -1 when href is not one.
 */
static int
parse_matrix_link(const char *href, char **primary, char **secondary)
{
	const char *p, *host, *hend, *frag, *q;
	char *f = NULL, *parts[4];
	size_t np = 0, hl;
	int r = -1;

	*primary = *secondary = NULL;
	if (strncmp(href, "matrix:", 7) == 0) {
		/* matrix:u/alice:example.org[/e/$event] */
		static const struct { const char *seg; char sigil; } segs[] = {
			{ "u", '@' }, { "user", '@' }, { "r", '#' },
			{ "room", '#' }, { "roomid", '!' }, { "e", '$' },
			{ "event", '$' } };
		const char *path = href + 7, *end;
		char *seg[4] = { NULL }, *dec;
		size_t n = 0, k, m;

		end = path + strcspn(path, "?#");
		if (*path == '/')
			goto out;
		for (p = path; p < end && n < 4;) {
			q = memchr(p, '/', (size_t)(end - p));
			if (q == NULL)
				q = end;
			seg[n++] = u_strndup(p, (size_t)(q - p));
			p = q == end ? end : q + 1;
		}
		r = -1;
		if ((n == 2 || n == 4) && p == end) {
			char sig[2] = { 0, 0 };

			for (k = 0; k < 2; k++) {
				if (k * 2 >= n)
					break;
				for (m = 0; m < sizeof(segs) / sizeof(segs[0]); m++)
					if (strcmp(seg[k * 2], segs[m].seg) == 0)
						sig[k] = segs[m].sigil;
			}
			if (sig[0] != 0 && sig[0] != '$' && seg[1][0] != '\0' &&
			    (n == 2 || (sig[1] == '$' && seg[3][0] != '\0')) &&
			    (dec = pct_decode(seg[1], strlen(seg[1]))) != NULL) {
				*primary = u_malloc(strlen(dec) + 2);
				(*primary)[0] = sig[0];
				strcpy(*primary + 1, dec);
				free(dec);
				if (n == 4 && (dec = pct_decode(seg[3],
				    strlen(seg[3]))) != NULL) {
					*secondary = u_malloc(strlen(dec) + 2);
					(*secondary)[0] = '$';
					strcpy(*secondary + 1, dec);
					free(dec);
				} else if (n == 4) {
					free(*primary);
					*primary = NULL;
				} else
					*secondary = u_strdup("");
				r = *primary != NULL ? 0 : -1;
			}
		}
		for (k = 0; k < n; k++)
			free(seg[k]);
		return r;
	}
	if ((p = strstr(href, "://")) == NULL)
		return -1;
	for (q = href; q < p; q++)
		if (!is_alpha(*q) && !(q > href && (strchr("+-.", *q) ||
		    (*q >= '0' && *q <= '9'))))
			return -1;
	host = p + 3;
	hend = host + strcspn(host, "/?#");
	q = memchr(host, '@', (size_t)(hend - host));
	if (q != NULL)
		host = q + 1;
	hl = strcspn(host, ":/?#");
	if (host + hl > hend)
		hl = (size_t)(hend - host);
	if (hl < 9 || strncmp(host + hl - 9, "matrix.to", 9) != 0)
		return -1;
	if ((frag = strchr(hend, '#')) == NULL)
		goto bad;
	if ((f = pct_decode(frag + 1, strlen(frag + 1))) == NULL)
		goto bad;
	f[strcspn(f, "?")] = '\0';
	/* split on '/': "", primary[, secondary] */
	{
		char *s = f, *sl;

		while (np < 4) {
			parts[np++] = s;
			if ((sl = strchr(s, '/')) == NULL)
				break;
			*sl = '\0';
			s = sl + 1;
		}
		if (np == 4)
			goto bad;
	}
	if (np < 2 || np > 3 || parts[1][0] == '\0' || !known_sigil(parts[1][0]))
		goto bad;
	if (np == 3 && parts[2][0] != '\0' && !known_sigil(parts[2][0]))
		goto bad;
	*primary = u_strdup(parts[1]);
	*secondary = u_strdup(np == 3 ? parts[2] : "");
	r = 0;
bad:
out:
	free(f);
	return r;
}

static void
add_mention(struct render *rd, char *jid)
{
	if (rd->n_mentions >= BR_FMT_MAX_MENTIONS) {
		free(jid);
		return;
	}
	rd->mentions = u_reallocarray(rd->mentions, rd->n_mentions + 1,
	    sizeof(*rd->mentions));
	rd->mentions[rd->n_mentions++] = jid;
}

/* PillConverter: mautrix-whatsapp convertPill, or DefaultPillConverter */
static void
render_pill(struct render *rd, const char *text, const char *mxid,
    const char *event_id, struct u_buf *out)
{
	size_t i;
	char *jid = NULL;

	if (rd->wa && mxid[0] == '@') {
		if (rd->has_mentions) {
			for (i = 0; i < rd->n_allowed; i++)
				if (strcmp(rd->allowed[i], mxid) == 0)
					break;
			if (i == rd->n_allowed) {
				rd->err |= u_buf_add_str(out, text);
				return;
			}
		}
		if (rd->resolve != NULL && rd->resolve(rd->arg, mxid, &jid) == 0 &&
		    jid != NULL) {
			const char *at = strchr(jid, '@'), *colon;
			size_t n = at != NULL ? (size_t)(at - jid) : strlen(jid);

			colon = memchr(jid, ':', n);
			if (colon != NULL) {
				const char *dot = memchr(jid, '.',
				    (size_t)(colon - jid));

				n = (size_t)((dot != NULL ? dot : colon) - jid);
			}
			rd->err |= u_buf_add_u8(out, '@');
			rd->err |= u_buf_add(out, jid, n);
			add_mention(rd, jid);
			return;
		}
		free(jid);
		rd->err |= u_buf_add_str(out, text);
		return;
	}
	if (mxid[0] == '\0' || mxid[0] == '@')
		rd->err |= u_buf_add_str(out, text);
	else if (event_id[0] != '\0')
		rd->err |= u_buf_printf(out, "https://matrix.to/#/%s/%s", mxid,
		    event_id);
	else if (mxid[0] == '!' && strcmp(text, mxid) == 0)
		rd->err |= u_buf_printf(out, "https://matrix.to/#/%s", mxid);
	else if (mxid[0] == '#')
		rd->err |= u_buf_add_str(out, mxid);
	else
		rd->err |= u_buf_printf(out, "%s (https://matrix.to/#/%s)", text,
		    mxid);
}

static int
strip_eq(const char *text, const char *href, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (strncmp(href, prefix, pl) == 0)
		href += pl;
	return strcmp(text, href) == 0;
}

static void
render_link(struct render *rd, int id, int pre, int depth, struct u_buf *out)
{
	struct node *n = &rd->t->n[id];
	char *pri, *sec;
	struct str s;

	render_to(rd, id, pre, depth, &s, 1);
	if (n->href == NULL || n->href[0] == '\0') {
		rd->err |= u_buf_add_str(out, s.s);
	} else if (parse_matrix_link(n->href, &pri, &sec) == 0) {
		render_pill(rd, s.s, pri, sec, out);
		free(pri);
		free(sec);
	} else if (strcmp(s.s, n->href) == 0 || strip_eq(s.s, n->href, "mailto:") ||
	    strip_eq(s.s, n->href, "http://") || strip_eq(s.s, n->href, "https://")) {
		rd->err |= u_buf_add_str(out, s.s);
	} else
		rd->err |= u_buf_printf(out, "%s (%s)", s.s, n->href);
	free(s.s);
}

static void
render_pre(struct render *rd, int id, int depth, struct u_buf *out)
{
	struct node *n = &rd->t->n[id];
	const char *lang = "";
	struct str s;
	int fc = n->first;

	if (fc >= 0 && rd->t->n[fc].type == N_ELEM &&
	    strcmp(rd->t->n[fc].tag, "code") == 0) {
		if (rd->t->n[fc].klass != NULL &&
		    strncmp(rd->t->n[fc].klass, "language-", 9) == 0)
			lang = rd->t->n[fc].klass + 9;
		render_to(rd, fc, 1, depth + 1, &s, 0);
	} else
		render_to(rd, id, 1, depth, &s, 0);
	if (rd->wa) {
		rd->err |= u_buf_add_str(out, "```\n");
		rd->err |= u_buf_add_str(out, s.s);
		rd->err |= u_buf_add_str(out, "\n```");
	} else
		default_code_block(rd, s.s, lang, out);
	free(s.s);
}

static void
render_basic(struct render *rd, int id, int pre, int depth, struct u_buf *out)
{
	const char *tag = rd->t->n[id].tag;
	struct str s;

	render_to(rd, id, pre, depth, &s, 1);
	if (strcmp(tag, "b") == 0 || strcmp(tag, "strong") == 0)
		rd->err |= u_buf_printf(out, rd->wa ? "*%s*" : "**%s**", s.s);
	else if (strcmp(tag, "i") == 0 || strcmp(tag, "em") == 0)
		rd->err |= u_buf_printf(out, "_%s_", s.s);
	else if (strcmp(tag, "s") == 0 || strcmp(tag, "del") == 0 ||
	    strcmp(tag, "strike") == 0)
		rd->err |= u_buf_printf(out, rd->wa ? "~%s~" : "~~%s~~", s.s);
	else if (strcmp(tag, "tt") == 0 || strcmp(tag, "code") == 0) {
		if (rd->wa)
			rd->err |= u_buf_printf(out, "`%s`", s.s);
		else
			safe_code(rd, s.s, out);
	} else	/* u, ins: no underline converter */
		rd->err |= u_buf_add_str(out, s.s);
	free(s.s);
}

static void
render_text(struct render *rd, const char *txt, int pre, struct u_buf *out)
{
	size_t i;
	int prev_space = 0;

	if (pre) {
		rd->err |= u_buf_add_str(out, txt);
		return;
	}
	/* CollapseSpaces(ReplaceAll(text, "\n", "")) */
	for (i = 0; txt[i] != '\0'; i++) {
		if (txt[i] == '\n')
			continue;
		if (txt[i] == ' ') {
			if (prev_space)
				continue;
			prev_space = 1;
		} else
			prev_space = 0;
		rd->err |= u_buf_add_u8(out, (uint8_t)txt[i]);
	}
}

static void
render_node(struct render *rd, int id, int pre, int depth, struct u_buf *out)
{
	struct node *n = &rd->t->n[id];
	const char *tag = n->tag;
	struct str s;

	if (rd->err || depth > BR_FMT_MAX_DEPTH + 4)
		return;
	if (n->type == N_TEXT) {
		render_text(rd, n->text, pre, out);
		return;
	}
	if (n->type == N_COMMENT)
		return;
	if (strcmp(tag, "blockquote") == 0) {
		const char *p, *nl;
		size_t st, tl;

		render_to(rd, id, pre, depth, &s, 1);
		tl = br__fmt_trim_space(s.s, s.len, &st);
		s.s[st + tl] = '\0';
		for (p = s.s + st; ; p = nl + 1) {
			nl = strchr(p, '\n');
			rd->err |= u_buf_add_str(out, "> ");
			rd->err |= u_buf_add(out, p, nl ? (size_t)(nl - p) + 1 :
			    strlen(p));
			if (nl == NULL)
				break;
		}
		free(s.s);
	} else if (strcmp(tag, "ol") == 0 || strcmp(tag, "ul") == 0) {
		render_list(rd, id, pre, depth, out);
	} else if (is_heading(tag)) {
		int k;

		for (k = 0; k < tag[1] - '0'; k++)
			rd->err |= u_buf_add_u8(out, '#');
		rd->err |= u_buf_add_u8(out, ' ');
		plain_children(rd, id, pre, depth, out);
	} else if (strcmp(tag, "br") == 0) {
		rd->err |= u_buf_add_u8(out, '\n');
	} else if (strcmp(tag, "b") == 0 || strcmp(tag, "strong") == 0 ||
	    strcmp(tag, "i") == 0 || strcmp(tag, "em") == 0 ||
	    strcmp(tag, "s") == 0 || strcmp(tag, "strike") == 0 ||
	    strcmp(tag, "del") == 0 || strcmp(tag, "u") == 0 ||
	    strcmp(tag, "ins") == 0 || strcmp(tag, "tt") == 0 ||
	    strcmp(tag, "code") == 0) {
		render_basic(rd, id, pre, depth, out);
	} else if (strcmp(tag, "span") == 0 && n->has_spoiler) {
		render_to(rd, id, pre, depth, &s, 1);
		if (n->spoiler != NULL && n->spoiler[0] != '\0')
			rd->err |= u_buf_printf(out, "||%s|%s||", n->spoiler, s.s);
		else
			rd->err |= u_buf_printf(out, "||%s||", s.s);
		free(s.s);
	} else if (strcmp(tag, "a") == 0) {
		render_link(rd, id, pre, depth, out);
	} else if (strcmp(tag, "img") == 0) {
		rd->err |= u_buf_add_str(out, n->alt != NULL ? n->alt : "");
	} else if (strcmp(tag, "hr") == 0) {
		if (!rd->wa)
			rd->err |= u_buf_add_str(out, "\n---\n");
	} else if (strcmp(tag, "input") == 0 && n->parent >= 0 &&
	    strcmp(rd->t->n[n->parent].tag, "li") == 0) {
		rd->err |= u_buf_add_str(out, n->checked ? "[x]" : "[ ]");
	} else if (strcmp(tag, "pre") == 0) {
		render_pre(rd, id, depth, out);
	} else {
		/* p, span, div, font, mx-reply, unknown: the text */
		tag_aware(rd, id, pre, depth, out);
	}
}

static void
render_free(struct render *rd)
{
	size_t i;

	for (i = 0; i < rd->n_mentions; i++)
		free(rd->mentions[i]);
	free(rd->mentions);
}

static int
html_convert(const char *html, struct render *rd, char **out)
{
	struct tree t;
	struct u_buf b, tabbed;
	size_t len = strlen(html), i;
	int r;

	if (len > BR_FMT_MAX_HTML)
		return BR_ERR_FMT_TOO_LONG;
	if (!br__fmt_utf8_ok(html, len))
		return BR_ERR_FMT_UTF8;
	/* TabsToSpaces: 4, over the whole input as upstream */
	u_buf_init(&tabbed, BR_FMT_MAX_OUT);
	r = 0;
	for (i = 0; i < len; i++)
		r |= html[i] == '\t' ? u_buf_add_str(&tabbed, "    ") :
		    u_buf_add_u8(&tabbed, (uint8_t)html[i]);
	if (r != 0) {
		u_buf_free(&tabbed);
		return BR_ERR_FMT_TOO_BIG;
	}
	r = build_tree((const char *)tabbed.p, tabbed.len, &t);
	u_buf_free(&tabbed);
	if (r != 0) {
		tree_free(&t);
		return r;
	}
	rd->t = &t;
	u_buf_init(&b, BR_FMT_MAX_OUT);
	tag_aware(rd, 0, 0, 0, &b);
	r = br__fmt_finish(&b, rd->err, out);
	tree_free(&t);
	return r;
}

int
br_fmt_html_to_text(const char *html, char **out)
{
	struct render rd = { 0 };
	int r;

	r = html_convert(html, &rd, out);
	render_free(&rd);
	return r;
}

void
br_fmt_wa_clear(struct br_fmt_wa *w)
{
	size_t i;

	if (w == NULL)
		return;
	free(w->text);
	for (i = 0; i < w->n_mentioned; i++)
		free(w->mentioned_jids[i]);
	free(w->mentioned_jids);
	memset(w, 0, sizeof(*w));
}

int
br_fmt_matrix_to_wa(const char *body, const char *formatted_body,
    int has_mentions, int mention_room, const char *const *allowed,
    size_t n_allowed, br_fmt_mxid_resolver resolve, void *arg,
    struct br_fmt_wa *out)
{
	struct render rd = { 0 };
	char *text = NULL;
	size_t len;
	int r;

	if (formatted_body == NULL) {
		if (body == NULL)
			body = "";
		len = strlen(body);
		if (len > BR_FMT_MAX_TEXT)
			return BR_ERR_FMT_TOO_LONG;
		if (!br__fmt_utf8_ok(body, len))
			return BR_ERR_FMT_UTF8;
		out->text = u_strdup(body);
		out->mentioned_jids = NULL;
		out->n_mentioned = 0;
		out->non_jid_mentions = has_mentions && mention_room ? 1 : 0;
		return 0;
	}
	rd.wa = 1;
	rd.has_mentions = has_mentions;
	rd.allowed = allowed;
	rd.n_allowed = n_allowed;
	rd.resolve = resolve;
	rd.arg = arg;
	if ((r = html_convert(formatted_body, &rd, &text)) != 0) {
		render_free(&rd);
		return r;
	}
	out->text = text;
	out->mentioned_jids = rd.mentions;
	out->n_mentioned = rd.n_mentions;
	out->non_jid_mentions = has_mentions && mention_room ? 1 : 0;
	return 0;
}

/* event.TrimReplyFallbackText */
static char *
trim_reply_text(const char *text)
{
	const char *p = text;
	size_t st, tl;

	if ((strncmp(text, "> <", 3) != 0 && strncmp(text, "> * <", 5) != 0) ||
	    strchr(text, '\n') == NULL)
		return u_strdup(text);
	while (strncmp(p, "> ", 2) == 0) {
		const char *nl = strchr(p, '\n');

		if (nl == NULL) {
			p += strlen(p);
			break;
		}
		p = nl + 1;
	}
	tl = br__fmt_trim_space(p, strlen(p), &st);
	return u_strndup(p + st, tl);
}

int
br_fmt_remove_reply_fallback(int is_reply, const char *body,
    const char *formatted_body, char **body_out, char **html_out)
{
	const char *end;

	if (body == NULL)
		body = "";
	/* ^<mx-reply>[\s\S]+?</mx-reply> */
	if (is_reply && formatted_body != NULL &&
	    strncmp(formatted_body, "<mx-reply>", 10) == 0 &&
	    formatted_body[10] != '\0' &&
	    (end = strstr(formatted_body + 11, "</mx-reply>")) != NULL) {
		*html_out = u_strdup(end + 11);
		*body_out = trim_reply_text(body);
		return 1;
	}
	*html_out = formatted_body != NULL ? u_strdup(formatted_body) : NULL;
	*body_out = u_strdup(body);
	return 0;
}
