/*
 * bridge/relay_tmpl.c: the Go text/template subset of relay message
 * formats, and RelayConfig.FormatMessage / GetUserDistinguisher /
 * FormatName (mautrix-go bridgev2/bridgeconfig/relay.go).
 *
 * A template is compiled to a flat list of items (text, field, if, else,
 * end) with jump targets; rendering is one pass.  Values are inserted as
 * they are, as text/template does (no HTML escaping: a display name with
 * markup reaches formatted_body unchanged, exactly as upstream).
 * Unknown fields are refused at parse time; upstream's text/template
 * would only fail when a message is relayed.
 * Does not: pipelines, functions, variables, range/with/define, .Content.
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

enum op { OP_TEXT, OP_FIELD, OP_IF, OP_ELSE, OP_END };

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

struct item {
	enum op		 op;
	char		*text;	/* owned; OP_TEXT */
	enum field	 field;
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
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->it[i].text);
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

/* ".Name" or ".Sender.Name" (message root) / ".Name" (sender root) */
static int
parse_field(const char *s, size_t len, enum br_relay_tmpl_root root,
    enum field *f)
{
	size_t i, nl;

	if (len < 2 || s[0] != '.')
		return -1;
	s++;
	len--;
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
	enum field f;

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
		if (parse_field(src + a, b - a, root, &f) == 0) {
			push(t, OP_FIELD)->field = f;
		} else if (b - a > 3 && memcmp(src + a, "if", 2) == 0 &&
		    tspace(src[a + 2])) {
			size_t c = a + 3;

			while (c < b && tspace(src[c]))
				c++;
			if (parse_field(src + c, b - c, root, &f) != 0) {
				why = "unsupported condition";
				pos = open;
				goto fail;
			}
			if (depth >= BR_RELAY_TMPL_MAX_DEPTH) {
				why = "if nested too deep";
				pos = open;
				goto fail;
			}
			ifs[depth] = t->n;
			has_else[depth] = 0;
			depth++;
			push(t, OP_IF)->field = f;
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
		} else {
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

static const char *
field_value(enum field f, const struct br_relay_sender *s, const char *message,
    const char *caption, const char *filename)
{
	const char *v = NULL;

	switch (f) {
	case F_MESSAGE: v = message; break;
	case F_CAPTION: v = caption; break;
	case F_FILENAME: v = filename; break;
	case F_USER_ID: v = s->user_id; break;
	case F_DISPLAYNAME: v = s->displayname; break;
	case F_DISTINGUISHER: v = s->distinguisher; break;
	case F_DISAMBIGUATED: v = s->disambiguated_name; break;
	case F_FORMATTED_NAME: v = s->formatted_name; break;
	case F_REQUIRES: v = s->requires_disambiguation ? "true" : "false";
		break;
	}
	return v != NULL ? v : "";
}

int
br_relay_tmpl_render(const struct br_relay_tmpl *t,
    const struct br_relay_sender *sender, const char *message,
    const char *caption, const char *filename, char **out)
{
	static const struct br_relay_sender none;
	struct u_buf b;
	size_t pc = 0;
	int r = 0;

	if (sender == NULL)
		sender = &none;
	u_buf_init(&b, BR_FMT_MAX_OUT);
	while (pc < t->n) {
		const struct item *it = &t->it[pc];

		switch (it->op) {
		case OP_TEXT:
			r |= u_buf_add_str(&b, it->text);
			break;
		case OP_FIELD:
			r |= u_buf_add_str(&b, field_value(it->field, sender,
			    message, caption, filename));
			break;
		case OP_IF:
			/* a bool is true when true, a string when non-empty */
			if (it->field == F_REQUIRES ?
			    !sender->requires_disambiguation :
			    field_value(it->field, sender, message, caption,
			    filename)[0] == '\0') {
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
