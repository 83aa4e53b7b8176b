/*
 * bridge/relay_tmpl.c: the Go text/template subset of relay message
 * formats, and RelayConfig.FormatMessage / GetUserDistinguisher /
 * FormatName (mautrix-go bridgev2/bridgeconfig/relay.go).
 *
 * A template is compiled to a flat list of items (text, expression, if,
 * else, end) with jump targets; rendering is one pass.  An expression is
 * one argument (a field or a string literal) or `or` over several, as
 * text/template's builtin: the first non-empty argument, else the last.
 * The same parser serves network.displayname_template (the ghost root):
 * field values come from the caller's lookup callback there, and the
 * output is plain text, again without escaping.  Values are inserted as
 * they are, as text/template does (no HTML escaping: a display name with
 * markup reaches formatted_body unchanged, exactly as upstream).
 * Unknown fields are refused at parse time; upstream's text/template
 * would only fail when a message is relayed.
 * Does not: pipelines, functions other than `or`, variables,
 * range/with/define, .Content, escapes inside string literals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bridge/format.h"
#include "bridge/format_int.h"
#include "bridge/relay_tmpl.h"
#include "util/mem.h"

enum op { OP_TEXT, OP_EXPR, OP_IF, OP_ELSE, OP_END };

enum field {
	F_MESSAGE, F_CAPTION, F_FILENAME, F_USER_ID, F_DISPLAYNAME,
	F_DISTINGUISHER, F_DISAMBIGUATED, F_FORMATTED_NAME, F_REQUIRES,
};

static const struct {
	const char	*name;
	enum field	 f;
} fields[] = {
	{ "UserID", F_USER_ID }, { "Displayname", F_DISPLAYNAME },
	{ "Distinguisher", F_DISTINGUISHER },
	{ "DisambiguatedName", F_DISAMBIGUATED },
	{ "FormattedName", F_FORMATTED_NAME },
	{ "RequiresDisambiguation", F_REQUIRES },
};

/* The ghost root's fields, with mautrix-whatsapp's deprecated legacy
 * names (JID, Notify, VName, Name, Short) as aliases. */
static const struct {
	const char			*name;
	enum br_relay_ghost_field	 f;
} ghost_fields[] = {
	{ "PushName", BR_GHOST_F_PUSH_NAME },
	{ "BusinessName", BR_GHOST_F_BUSINESS_NAME },
	{ "FullName", BR_GHOST_F_FULL_NAME },
	{ "FirstName", BR_GHOST_F_FIRST_NAME },
	{ "Phone", BR_GHOST_F_PHONE },
	{ "RedactedPhone", BR_GHOST_F_REDACTED_PHONE },
	{ "JID", BR_GHOST_F_PHONE },
	{ "Notify", BR_GHOST_F_PUSH_NAME },
	{ "VName", BR_GHOST_F_BUSINESS_NAME },
	{ "Name", BR_GHOST_F_FULL_NAME },
	{ "Short", BR_GHOST_F_FIRST_NAME },
};

/* One operand: a field of the root, or a string literal. */
struct arg {
	int		 field;		/* the root's field id; -1: literal */
	int		 is_bool;	/* RequiresDisambiguation: "false" is false */
	char		*lit;		/* owned; literal only */
};

struct item {
	enum op		 op;
	char		*text;	/* owned; OP_TEXT */
	struct arg	*args;	/* owned; OP_EXPR, OP_IF */
	size_t		 nargs;
	int		 is_or;
	size_t		 jump;	/* OP_IF: false branch; OP_ELSE: past end */
};

struct br_relay_tmpl {
	struct item	*it;	/* owned */
	size_t		 n;
};

const char *const br_relay_default_msgtypes[] = { "m.text", "m.notice",
	"m.emote", "m.file", "m.image", "m.audio", "m.video", "m.location",
	NULL };
const char *const br_relay_default_formats[] = {
	"<b>{{ .Sender.DisambiguatedName }}</b>: {{ .Message }}",
	"<b>{{ .Sender.DisambiguatedName }}</b>: {{ .Message }}",
	"* <b>{{ .Sender.DisambiguatedName }}</b> {{ .Message }}",
	"<b>{{ .Sender.DisambiguatedName }}</b> sent a file{{ if .Caption }}: {{ .Caption }}{{ end }}",
	"<b>{{ .Sender.DisambiguatedName }}</b> sent an image{{ if .Caption }}: {{ .Caption }}{{ end }}",
	"<b>{{ .Sender.DisambiguatedName }}</b> sent an audio file{{ if .Caption }}: {{ .Caption }}{{ end }}",
	"<b>{{ .Sender.DisambiguatedName }}</b> sent a video{{ if .Caption }}: {{ .Caption }}{{ end }}",
	"<b>{{ .Sender.DisambiguatedName }}</b> sent a location{{ if .Caption }}: {{ .Caption }}{{ end }}",
	NULL
};
const char br_relay_default_name_format[] = "{{ .DisambiguatedName }}";

void
br_relay_tmpl_free(struct br_relay_tmpl *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->it[i].text);
		for (j = 0; j < t->it[i].nargs; j++)
			free(t->it[i].args[j].lit);
		free(t->it[i].args);
	}
	free(t->it);
	free(t);
}

/* text/template's isSpace */
static int
tspace(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct item *
push(struct br_relay_tmpl *t, enum op op)
{
	struct item *it;

	t->it = u_reallocarray(t->it, t->n + 1, sizeof(*t->it));
	it = &t->it[t->n++];
	memset(it, 0, sizeof(*it));
	it->op = op;
	return it;
}

/* ".Name" or ".Sender.Name" (message root) / ".Name" (sender and ghost
 * roots) */
static int
parse_field(const char *s, size_t len, enum br_relay_tmpl_root root,
    int *f)
{
	size_t i, nl;

	if (len < 2 || s[0] != '.')
		return -1;
	s++;
	len--;
	if (root == BR_RELAY_ROOT_GHOST) {
		for (i = 0; i < sizeof(ghost_fields) / sizeof(ghost_fields[0]);
		    i++) {
			nl = strlen(ghost_fields[i].name);
			if (nl == len &&
			    memcmp(s, ghost_fields[i].name, nl) == 0) {
				*f = (int)ghost_fields[i].f;
				return 0;
			}
		}
		return -1;
	}
	if (root == BR_RELAY_ROOT_MESSAGE) {
		if (len == 7 && memcmp(s, "Message", 7) == 0) {
			*f = F_MESSAGE;
			return 0;
		}
		if (len == 7 && memcmp(s, "Caption", 7) == 0) {
			*f = F_CAPTION;
			return 0;
		}
		if (len == 8 && memcmp(s, "FileName", 8) == 0) {
			*f = F_FILENAME;
			return 0;
		}
		if (len < 8 || memcmp(s, "Sender.", 7) != 0)
			return -1;
		s += 7;
		len -= 7;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		nl = strlen(fields[i].name);
		if (nl == len && memcmp(s, fields[i].name, nl) == 0) {
			*f = fields[i].f;
			return 0;
		}
	}
	return -1;
}

/*
 * An expression s[0..len) (trimmed): one operand, or "or" and up to
 * BR_RELAY_TMPL_MAX_ARGS operands.  An operand is a field (".Name"), a
 * "double-quoted" string without escapes or a `raw` string.  Fills it.
 */
static int
parse_expr(const char *s, size_t len, enum br_relay_tmpl_root root,
    struct item *it)
{
	size_t p = 0, st;
	struct arg a;

	if (len > 2 && memcmp(s, "or", 2) == 0 && tspace(s[2])) {
		it->is_or = 1;
		p = 3;
	}
	for (;;) {
		while (p < len && tspace(s[p]))
			p++;
		if (p >= len)
			break;
		if (it->nargs >= (it->is_or ? BR_RELAY_TMPL_MAX_ARGS : 1))
			return -1;
		memset(&a, 0, sizeof(a));
		st = p;
		if (s[p] == '"' || s[p] == '`') {
			char q = s[p];

			for (p++; p < len && s[p] != q; p++)
				if (q == '"' && s[p] == '\\')
					return -1;
			if (p >= len)
				return -1;
			a.field = -1;
			a.lit = u_strndup(s + st + 1, p - st - 1);
			p++;
		} else {
			while (p < len && !tspace(s[p]))
				p++;
			if (parse_field(s + st, p - st, root, &a.field) != 0)
				return -1;
			a.is_bool = root != BR_RELAY_ROOT_GHOST &&
			    a.field == F_REQUIRES;
		}
		if (p < len && !tspace(s[p])) {
			free(a.lit);
			return -1;
		}
		it->args = u_reallocarray(it->args, it->nargs + 1,
		    sizeof(*it->args));
		it->args[it->nargs++] = a;
	}
	return it->nargs > 0 ? 0 : -1;
}

/* How much of src to quote in an error: the action at pos, at most 60. */
static size_t
quote_len(const char *src, size_t pos, size_t len)
{
	const char *e = strstr(src + pos, "}}");
	size_t n = e != NULL ? (size_t)(e - src) + 2 - pos : len - pos;

	return n > 60 ? 60 : n;
}

int
br_relay_tmpl_parse(const char *src, enum br_relay_tmpl_root root,
    struct br_relay_tmpl **out, char *err, size_t errlen)
{
	struct br_relay_tmpl *t;
	size_t len = strlen(src), pos = 0, open, close, a, b, ifs[BR_RELAY_TMPL_MAX_DEPTH];
	int depth = 0, has_else[BR_RELAY_TMPL_MAX_DEPTH], trim_next = 0;
	size_t elses[BR_RELAY_TMPL_MAX_DEPTH];
	const char *why = NULL, *e;

	if (len > BR_RELAY_TMPL_MAX || !br__fmt_utf8_ok(src, len)) {
		if (err != NULL)
			snprintf(err, errlen, "template too long or not UTF-8");
		return BR_ERR_FMT_TEMPLATE;
	}
	t = u_calloc(1, sizeof(*t));
	for (;;) {
		e = strstr(src + pos, "{{");
		open = e != NULL ? (size_t)(e - src) : len;
		a = pos;
		b = open;
		if (trim_next)
			while (a < b && tspace(src[a]))
				a++;
		trim_next = 0;
		/* left trim marker "{{- " */
		if (e != NULL && open + 3 < len && src[open + 2] == '-' &&
		    tspace(src[open + 3]))
			while (b > a && tspace(src[b - 1]))
				b--;
		if (b > a)
			push(t, OP_TEXT)->text = u_strndup(src + a, b - a);
		if (e == NULL)
			break;
		e = strstr(src + open + 2, "}}");
		if (e == NULL) {
			why = "unclosed action";
			pos = open;
			goto fail;
		}
		close = (size_t)(e - src);
		a = open + 2;
		b = close;
		if (b > a + 1 && src[a] == '-' && tspace(src[a + 1]))
			a += 2;
		if (b >= a + 2 && src[b - 1] == '-' && tspace(src[b - 2])) {
			b -= 2;
			trim_next = 1;
		}
		pos = close + 2;
		while (a < b && tspace(src[a]))
			a++;
		while (b > a && tspace(src[b - 1]))
			b--;
		if (b - a >= 4 && memcmp(src + a, "/*", 2) == 0 &&
		    memcmp(src + b - 2, "*/", 2) == 0)
			continue;
		if (b - a > 3 && memcmp(src + a, "if", 2) == 0 &&
		    tspace(src[a + 2])) {
			size_t c = a + 3;

			while (c < b && tspace(src[c]))
				c++;
			if (depth >= BR_RELAY_TMPL_MAX_DEPTH) {
				why = "if nested too deep";
				pos = open;
				goto fail;
			}
			ifs[depth] = t->n;
			has_else[depth] = 0;
			depth++;
			if (parse_expr(src + c, b - c, root,
			    push(t, OP_IF)) != 0) {
				why = "unsupported condition";
				pos = open;
				goto fail;
			}
		} else if (b - a == 4 && memcmp(src + a, "else", 4) == 0) {
			if (depth == 0 || has_else[depth - 1]) {
				why = "unexpected else";
				pos = open;
				goto fail;
			}
			has_else[depth - 1] = 1;
			elses[depth - 1] = t->n;
			push(t, OP_ELSE);
			t->it[ifs[depth - 1]].jump = t->n;
		} else if (b - a == 3 && memcmp(src + a, "end", 3) == 0) {
			if (depth == 0) {
				why = "unexpected end";
				pos = open;
				goto fail;
			}
			depth--;
			push(t, OP_END);
			if (has_else[depth])
				t->it[elses[depth]].jump = t->n;
			else
				t->it[ifs[depth]].jump = t->n;
		} else if (parse_expr(src + a, b - a, root,
		    push(t, OP_EXPR)) != 0) {
			why = "unsupported action";
			pos = open;
			goto fail;
		}
	}
	if (depth != 0) {
		why = "missing end";
		pos = len;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	if (err != NULL) {
		int show = (int)quote_len(src, pos, len);

		snprintf(err, errlen, "%s \"%.*s\" at offset %zu", why,
		    show, src + pos, pos);
	}
	br_relay_tmpl_free(t);
	return BR_ERR_FMT_TEMPLATE;
}

/* The message and sender roots' values, for br_relay_tmpl_render. */
struct msg_ctx {
	const struct br_relay_sender	*s;
	const char			*message, *caption, *filename;
};

static const char *
msg_lookup(void *arg, int f)
{
	const struct msg_ctx *c = arg;
	const struct br_relay_sender *s = c->s;

	switch ((enum field)f) {
	case F_MESSAGE: return c->message;
	case F_CAPTION: return c->caption;
	case F_FILENAME: return c->filename;
	case F_USER_ID: return s->user_id;
	case F_DISPLAYNAME: return s->displayname;
	case F_DISTINGUISHER: return s->distinguisher;
	case F_DISAMBIGUATED: return s->disambiguated_name;
	case F_FORMATTED_NAME: return s->formatted_name;
	case F_REQUIRES: return s->requires_disambiguation ? "true" : "false";
	}
	return NULL;
}

static const char *
arg_value(const struct arg *a, const char *(*lookup)(void *, int), void *la)
{
	const char *v = a->field < 0 ? a->lit : lookup(la, a->field);

	return v != NULL ? v : "";
}

/* text/template's truth: a bool when true, a string when non-empty. */
static int
arg_true(const struct arg *a, const char *v)
{
	return v[0] != '\0' && !(a->is_bool && strcmp(v, "false") == 0);
}

/* The value of an expression; for `or`, its first true operand, else its
 * last.  *truth: whether that value is true. */
static const char *
eval(const struct item *it, const char *(*lookup)(void *, int), void *la,
    int *truth)
{
	const char *v = "";
	size_t i;

	*truth = 0;
	for (i = 0; i < it->nargs; i++) {
		v = arg_value(&it->args[i], lookup, la);
		if ((*truth = arg_true(&it->args[i], v)))
			break;
	}
	return v;
}

int
br_relay_tmpl_render_fn(const struct br_relay_tmpl *t,
    const char *(*lookup)(void *arg, int field), void *arg, char **out)
{
	struct u_buf b;
	size_t pc = 0;
	int r = 0, truth;
	const char *v;

	u_buf_init(&b, BR_FMT_MAX_OUT);
	while (pc < t->n) {
		const struct item *it = &t->it[pc];

		switch (it->op) {
		case OP_TEXT:
			r |= u_buf_add_str(&b, it->text);
			break;
		case OP_EXPR:
			v = eval(it, lookup, arg, &truth);
			r |= u_buf_add_str(&b, v);
			break;
		case OP_IF:
			(void)eval(it, lookup, arg, &truth);
			if (!truth) {
				pc = it->jump;
				continue;
			}
			break;
		case OP_ELSE:
			pc = it->jump;
			continue;
		case OP_END:
			break;
		}
		pc++;
	}
	return br__fmt_finish(&b, r, out);
}

int
br_relay_tmpl_render(const struct br_relay_tmpl *t,
    const struct br_relay_sender *sender, const char *message,
    const char *caption, const char *filename, char **out)
{
	static const struct br_relay_sender none;
	struct msg_ctx c = { sender != NULL ? sender : &none, message, caption,
	    filename };

	return br_relay_tmpl_render_fn(t, msg_lookup, &c, out);
}

static int
is_media(const char *mt, int with_sticker)
{
	return strcmp(mt, "m.image") == 0 || strcmp(mt, "m.video") == 0 ||
	    strcmp(mt, "m.audio") == 0 || strcmp(mt, "m.file") == 0 ||
	    (with_sticker && strcmp(mt, "m.sticker") == 0);
}

void
br_relay_out_clear(struct br_relay_out *o)
{
	if (o == NULL)
		return;
	free(o->body);
	free(o->formatted_body);
	free(o->filename);
	memset(o, 0, sizeof(*o));
}

int
br_relay_format(const struct br_relay_tmpl *const *tmpls,
    const char *const *names, size_t n, const struct br_relay_content *c,
    const struct br_relay_sender *sender, struct br_relay_out *out)
{
	const struct br_relay_tmpl *t = NULL;
	const char *body = c->body != NULL ? c->body : "";
	const char *fname = c->filename != NULL ? c->filename : "";
	char *html = NULL, *rendered = NULL, *text = NULL;
	const char *message, *caption = "";
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], c->msgtype) == 0)
			t = tmpls[i];
	if (t == NULL)
		return BR_ERR_FMT_NO_FORMAT;
	/* EnsureHasHTML */
	if (is_media(c->msgtype, 1) && (fname[0] == '\0' ||
	    strcmp(fname, body) == 0)) {
		fname = body;
		body = "";
	}
	if (c->formatted_body == NULL || c->formatted_body[0] == '\0') {
		if ((r = br_fmt_text_to_html(body, &html)) != 0)
			goto out;
		message = html;
	} else
		message = c->formatted_body;
	if (fname[0] != '\0') {
		if (strcmp(fname, body) != 0)
			caption = message;
	} else if (is_media(c->msgtype, 0))
		fname = body;
	if ((r = br_relay_tmpl_render(t, sender, message, caption, fname,
	    &rendered)) != 0)
		goto out;
	if ((r = br_fmt_html_to_text(rendered, &text)) != 0)
		goto out;
	out->formatted_body = rendered;
	out->body = text;
	out->filename = fname[0] != '\0' ? u_strdup(fname) : NULL;
	rendered = text = NULL;
	r = 0;
out:
	free(html);
	free(rendered);
	free(text);
	return r;
}

const char *
br_relay_distinguisher(const char *const *list, size_t n, const char *user_id)
{
	uLong h;

	if (n == 0)
		return "";
	h = crc32(0L, (const Bytef *)user_id, (uInt)strlen(user_id));
	return list[(uint32_t)h % (uint32_t)n];
}

char *
br_relay_disambiguated_name(const char *displayname, const char *user_id,
    int confusable)
{
	char *s;
	size_t n;

	if (displayname == NULL || displayname[0] == '\0')
		return u_strdup(user_id);
	if (!confusable)
		return u_strdup(displayname);
	n = strlen(displayname) + strlen(user_id) + 4;
	s = u_malloc(n);
	snprintf(s, n, "%s (%s)", displayname, user_id);
	return s;
}

char *
br_relay_format_name(const struct br_relay_tmpl *t,
    const struct br_relay_sender *sender)
{
	char *s, *res;
	size_t st, tl;

	if (br_relay_tmpl_render(t, sender, NULL, NULL, NULL, &s) != 0)
		return u_strdup("");
	tl = br__fmt_trim_space(s, strlen(s), &st);
	res = u_strndup(s + st, tl);
	free(s);
	return res;
}
