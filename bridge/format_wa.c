/*
 * bridge/format_wa.c: WhatsApp markup -> Matrix body/formatted_body, and
 * the small string helpers of format_int.h.
 *
 * Follows mautrix-whatsapp pkg/msgconv/wa-text.go (parseWAFormattingToHTML,
 * parseFormatting) and from-whatsapp.go (addMentions) rule by rule:
 *  - ```...``` spans (an empty one extends to the next ```) become
 *    <pre><code> when they hold a newline, else <code>; the rest is cut in
 *    lines: "* "/"- " items -> <ul>, "N. " (1-2 digits) -> <ol> (start /
 *    value attributes as upstream), "> " -> <blockquote>, lines joined with
 *    <br> except after list items and quotes;
 *  - each line is HTML-escaped, then four regular expressions are applied
 *    (italic, bold, strike, inline code), emulated here exactly:
 *    ([CLASS]|^)D(.+?)D([^a-zA-Z\d]|$) with RE2's leftmost-first,
 *    non-overlapping ReplaceAll semantics (so in "*a* *b*" only the first
 *    is bold, as upstream: the space after "*a*" was consumed).  Upstream
 *    iterates a Go map, so its order is random per call; we use the order
 *    of the map literal (italic, bold, strike, code);
 *  - formatted_body is kept only when it differs from event.TextToHTML(body)
 *    (escape + "\n" -> "<br/>"), so any multi-line text has one (upstream's
 *    <br> never equals <br/>);
 *  - mentions: every "@<user part of the JID>" in body becomes the display
 *    name and in formatted_body a matrix.to pill, user_ids gets the MXID.
 * Does not: linkify bare URLs (upstream leaves them to clients), spoilers.
 * Invariant: everything returned is valid UTF-8 when the input was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/format.h"
#include "bridge/format_int.h"
#include "util/err.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ */
/* shared helpers (format_int.h) */

const char *
br_fmt_strerror(int code)
{
	switch (code) {
	case BR_ERR_FMT_TOO_LONG: return "text too long";
	case BR_ERR_FMT_UTF8: return "text is not valid UTF-8";
	case BR_ERR_FMT_TOO_BIG: return "formatted output too large";
	case BR_ERR_FMT_TEMPLATE: return "relay template not supported";
	case BR_ERR_FMT_NO_FORMAT: return "no relay format for this message type";
	default: return NULL;
	}
}

int
br__fmt_utf8_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

size_t
br__fmt_rune_len(const char *str, size_t left)
{
	unsigned char c = (unsigned char)str[0];
	size_t n = 1, i;

	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	if (n > left)
		return 1;
	for (i = 1; i < n; i++)
		if (((unsigned char)str[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* Decode the rune at s (valid UTF-8 assumed, else the byte). */
static uint32_t
rune_at(const char *str, size_t left, size_t *n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t l = br__fmt_rune_len(str, left);

	*n = l;
	switch (l) {
	case 2: return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	case 3: return ((uint32_t)(s[0] & 0x0f) << 12) |
	    ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	case 4: return ((uint32_t)(s[0] & 0x07) << 18) |
	    ((uint32_t)(s[1] & 0x3f) << 12) | ((uint32_t)(s[2] & 0x3f) << 6) |
	    (s[3] & 0x3f);
	default: return s[0];
	}
}

/* Go's unicode.IsSpace. */
static int
is_space_rune(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	default:
		return r >= 0x2000 && r <= 0x200a;
	}
}

/* Start of the rune that ends at s[end] (exclusive). */
static size_t
rune_start_before(const char *s, size_t end)
{
	size_t i = end - 1;

	while (i > 0 && end - i < 4 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

size_t
br__fmt_trim_space(const char *s, size_t len, size_t *start)
{
	size_t a = 0, b = len, n, p;

	while (a < b && is_space_rune(rune_at(s + a, b - a, &n)))
		a += n;
	while (b > a) {
		p = rune_start_before(s, b);
		if (p < a)
			p = b - 1;
		if (!is_space_rune(rune_at(s + p, b - p, &n)) || p + n != b)
			break;
		b = p;
	}
	*start = a;
	return b - a;
}

int
br__fmt_escape(struct u_buf *b, const char *s, size_t len)
{
	size_t i, from = 0;
	const char *rep;
	int r = 0;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '\'': rep = "&#39;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&#34;"; break;
		default: continue;
		}
		r |= u_buf_add(b, s + from, i - from);
		r |= u_buf_add_str(b, rep);
		from = i + 1;
	}
	r |= u_buf_add(b, s + from, len - from);
	return r;
}

int
br__fmt_put_rune(struct u_buf *b, unsigned cp)
{
	unsigned char t[4];

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80)
		return u_buf_add_u8(b, (uint8_t)cp);
	if (cp < 0x800) {
		t[0] = 0xc0 | (cp >> 6);
		t[1] = 0x80 | (cp & 0x3f);
		return u_buf_add(b, t, 2);
	}
	if (cp < 0x10000) {
		t[0] = 0xe0 | (cp >> 12);
		t[1] = 0x80 | ((cp >> 6) & 0x3f);
		t[2] = 0x80 | (cp & 0x3f);
		return u_buf_add(b, t, 3);
	}
	t[0] = 0xf0 | (cp >> 18);
	t[1] = 0x80 | ((cp >> 12) & 0x3f);
	t[2] = 0x80 | ((cp >> 6) & 0x3f);
	t[3] = 0x80 | (cp & 0x3f);
	return u_buf_add(b, t, 4);
}

int
br__fmt_path_escape(struct u_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	int r = 0;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		/* url.shouldEscape(c, encodePathSegment) */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.~$&+:=@", c) != NULL) {
			r |= u_buf_add_u8(b, c);
		} else {
			r |= u_buf_add_u8(b, '%');
			r |= u_buf_add_u8(b, (uint8_t)hex[c >> 4]);
			r |= u_buf_add_u8(b, (uint8_t)hex[c & 15]);
		}
	}
	return r;
}

int
br__fmt_finish(struct u_buf *b, int err, char **out)
{
	if (err != 0) {
		u_buf_free(b);
		return BR_ERR_FMT_TOO_BIG;
	}
	/* u_buf keeps room for a NUL but does not write one */
	if (u_buf_add_u8(b, 0) != 0) {
		u_buf_free(b);
		return BR_ERR_FMT_TOO_BIG;
	}
	*out = (char *)u_buf_steal(b, NULL);
	return 0;
}

int
br__fmt_replace_all(char **s, const char *needle, const char *repl)
{
	struct u_buf b;
	const char *p = *s, *hit;
	size_t nl = strlen(needle);
	char *res;
	int r = 0;

	if (nl == 0 || strstr(p, needle) == NULL)
		return 0;
	u_buf_init(&b, BR_FMT_MAX_OUT);
	while ((hit = strstr(p, needle)) != NULL) {
		r |= u_buf_add(&b, p, (size_t)(hit - p));
		r |= u_buf_add_str(&b, repl);
		p = hit + nl;
	}
	r |= u_buf_add_str(&b, p);
	if ((r = br__fmt_finish(&b, r, &res)) != 0)
		return r;
	free(*s);
	*s = res;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the four inline regular expressions */

struct inline_rule {
	char		 delim;
	const char	*before;	/* [CLASS] of group 1 (\s = \t\n\f\r ) */
	const char	*tag;
};

/* Upstream's map literal order (italicRegex, boldRegex,
 * strikethroughRegex, inlineCodeRegex). */
static const struct inline_rule inline_rules[] = {
	{ '_', "\t\n\f\r >~*", "em" },
	{ '*', "\t\n\f\r >_~", "strong" },
	{ '~', "\t\n\f\r >_*", "del" },
	{ '`', "\t\n\f\r >_*~", "code" },
};

static int
is_ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * One ReplaceAllString of ([before]|^)D(.+?)D([^a-zA-Z\d]|$).  close[i] is
 * the first e >= i with s[e] == D whose follower is not an ASCII letter or
 * digit (or the end), with no '\n' in [i, e) ('.' stops at newlines); it
 * makes each start position O(1), so the pass is linear.
 */
static int
apply_rule(const struct inline_rule *ru, const char *s, size_t len,
    struct u_buf *out)
{
	size_t *close, i, pos = 0, st, body, e, g3;
	int r = 0, alt;

	close = u_reallocarray(NULL, len + 1, sizeof(*close));
	close[len] = SIZE_MAX;
	for (i = len; i-- > 0;) {
		if (s[i] == '\n')
			close[i] = SIZE_MAX;
		else if (s[i] == ru->delim &&
		    (i + 1 == len || !is_ascii_alnum((unsigned char)s[i + 1])))
			close[i] = i;
		else
			close[i] = close[i + 1];
	}
	for (st = 0; st < len; st++) {
		for (alt = 0; alt < 2; alt++) {
			if (alt == 0) {
				if (st + 1 >= len || s[st] == '\0' ||
				    strchr(ru->before, s[st]) == NULL ||
				    s[st + 1] != ru->delim)
					continue;
				body = st + 2;
			} else {
				if (st != 0 || s[0] != ru->delim)
					continue;
				body = 1;
			}
			if (body >= len || s[body] == '\n')
				continue;
			e = body + br__fmt_rune_len(s + body, len - body);
			if (e >= len || (e = close[e]) == SIZE_MAX)
				continue;
			/* group 3: one rune, or nothing at the end */
			g3 = e + 1 < len ? br__fmt_rune_len(s + e + 1,
			    len - e - 1) : 0;
			r |= u_buf_add(out, s + pos, st - pos);
			if (alt == 0)
				r |= u_buf_add(out, s + st, 1);
			r |= u_buf_printf(out, "<%s>", ru->tag);
			r |= u_buf_add(out, s + body, e - body);
			r |= u_buf_printf(out, "</%s>", ru->tag);
			r |= u_buf_add(out, s + e + 1, g3);
			pos = e + 1 + g3;
			st = pos - 1;	/* the loop's st++ resumes at pos */
			break;
		}
	}
	r |= u_buf_add(out, s + pos, len - pos);
	free(close);
	return r;
}

/* \[(.+?)]\((.+?)\) -> <a href="$2">$1</a>, on the escaped line. */
static int
apply_inline_url(const char *s, size_t len, struct u_buf *out)
{
	size_t pos = 0, st, a, b, c;
	int r = 0;

	for (st = 0; st < len; st++) {
		if (s[st] != '[')
			continue;
		/* (.+?) then "](" : the first "](" at least one rune on */
		for (a = st + 1 + (st + 1 < len ? br__fmt_rune_len(s + st + 1,
		    len - st - 1) : 1); a + 1 < len; a++) {
			if (s[a - 1] == '\n' || s[a] == '\n')
				break;
			if (s[a] == ']' && s[a + 1] == '(')
				break;
		}
		if (st + 1 >= len || s[st + 1] == '\n' || a + 1 >= len ||
		    s[a] != ']' || s[a + 1] != '(')
			continue;
		b = a + 2;
		if (b >= len || s[b] == '\n')
			continue;
		for (c = b + br__fmt_rune_len(s + b, len - b); c < len; c++)
			if (s[c] == ')' || s[c] == '\n')
				break;
		if (c >= len || s[c] != ')')
			continue;
		r |= u_buf_add(out, s + pos, st - pos);
		r |= u_buf_add_str(out, "<a href=\"");
		r |= u_buf_add(out, s + b, c - b);
		r |= u_buf_add_str(out, "\">");
		r |= u_buf_add(out, s + st + 1, a - st - 1);
		r |= u_buf_add_str(out, "</a>");
		pos = c + 1;
		st = c;
	}
	r |= u_buf_add(out, s + pos, len - pos);
	return r;
}

/* parseWASubFormattingLineToHTML */
static int
line_to_html(const char *line, size_t len, int allow_url, struct u_buf *out)
{
	struct u_buf cur, next;
	size_t i;
	int r = 0;

	if (len == 0)
		return 0;
	u_buf_init(&cur, BR_FMT_MAX_OUT);
	u_buf_init(&next, BR_FMT_MAX_OUT);
	r |= br__fmt_escape(&cur, line, len);
	for (i = 0; i < sizeof(inline_rules) / sizeof(inline_rules[0]) &&
	    r == 0; i++) {
		u_buf_reset(&next);
		r |= apply_rule(&inline_rules[i], (const char *)cur.p, cur.len,
		    &next);
		u_buf_reset(&cur);
		r |= u_buf_add(&cur, next.p, next.len);
	}
	if (allow_url && r == 0)
		r |= apply_inline_url((const char *)cur.p, cur.len, out);
	else
		r |= u_buf_add(out, cur.p, cur.len);
	u_buf_free(&cur);
	u_buf_free(&next);
	return r;
}

/* ^(\d{1,2})\. : returns the prefix length (0: no match), *num the value. */
static size_t
ordered_prefix(const char *s, size_t len, int *num)
{
	size_t d = 0;

	while (d < len && d < 2 && s[d] >= '0' && s[d] <= '9')
		d++;
	if (d == 0 || d + 2 > len || s[d] != '.' || s[d + 1] != ' ')
		return 0;
	*num = d == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
	return d + 2;
}

/* parseWASubFormattingToHTML */
static int
sub_to_html(const char *text, size_t len, int allow_url, struct u_buf *out)
{
	const char *line = text, *nl;
	size_t ll, pl;
	int ol_idx = -1, in_ul = 0, was_quote = 0, first = 1, num, r = 0;

	for (;;) {
		nl = memchr(line, '\n', (size_t)(text + len - line));
		ll = nl != NULL ? (size_t)(nl - line) : (size_t)(text + len - line);
		if (!first && ol_idx < 0 && !in_ul && !was_quote)
			r |= u_buf_add_str(out, "<br>");
		first = 0;
		was_quote = 0;
		if (ll >= 2 && (line[0] == '*' || line[0] == '-') &&
		    line[1] == ' ') {
			if (ol_idx >= 0) {
				ol_idx = -1;
				r |= u_buf_add_str(out, "</ol>");
			}
			if (!in_ul) {
				r |= u_buf_add_str(out, "<ul>");
				in_ul = 1;
			}
			r |= u_buf_add_str(out, "<li>");
			r |= line_to_html(line + 2, ll - 2, allow_url, out);
			r |= u_buf_add_str(out, "</li>");
		} else if ((pl = ordered_prefix(line, ll, &num)) != 0) {
			if (in_ul) {
				r |= u_buf_add_str(out, "</ul>");
				in_ul = 0;
			}
			if (ol_idx < 0) {
				if (num != 1) {
					r |= u_buf_add_str(out, "<ol start=\"");
					r |= u_buf_add(out, line, pl - 2);
					r |= u_buf_add_str(out, "\">");
				} else
					r |= u_buf_add_str(out, "<ol>");
				ol_idx = num - 1;
			}
			if (ol_idx + 1 != num) {
				r |= u_buf_add_str(out, "<li value=\"");
				r |= u_buf_add(out, line, pl - 2);
				r |= u_buf_add_str(out, "\">");
			} else
				r |= u_buf_add_str(out, "<li>");
			r |= line_to_html(line + pl, ll - pl, allow_url, out);
			r |= u_buf_add_str(out, "</li>");
			ol_idx = num;
		} else if (ll >= 2 && line[0] == '>' && line[1] == ' ') {
			if (ol_idx >= 0) {
				ol_idx = -1;
				r |= u_buf_add_str(out, "</ol>");
			} else if (in_ul) {
				r |= u_buf_add_str(out, "</ul>");
				in_ul = 0;
			}
			r |= u_buf_add_str(out, "<blockquote>");
			r |= line_to_html(line + 2, ll - 2, allow_url, out);
			r |= u_buf_add_str(out, "</blockquote>");
			was_quote = 1;
		} else {
			if (ol_idx >= 0) {
				ol_idx = -1;
				r |= u_buf_add_str(out, "</ol>");
			} else if (in_ul) {
				r |= u_buf_add_str(out, "</ul>");
				in_ul = 0;
			}
			r |= line_to_html(line, ll, allow_url, out);
		}
		if (r != 0 || nl == NULL)
			break;
		line = nl + 1;
	}
	if (ol_idx >= 0)
		r |= u_buf_add_str(out, "</ol>");
	else if (in_ul)
		r |= u_buf_add_str(out, "</ul>");
	return r;
}

static const char *
find3(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 3 <= len; i++)
		if (s[i] == '`' && s[i + 1] == '`' && s[i + 2] == '`')
			return s + i;
	return NULL;
}

static int
markup_to_html(const char *text, size_t len, int allow_url, struct u_buf *out)
{
	const char *st, *en;
	size_t ptr = 0, abs_st, abs_en, tl, ts, clen;
	int r = 0;

	while (r == 0) {
		if ((st = find3(text + ptr, len - ptr)) == NULL)
			break;
		abs_st = (size_t)(st - text);
		if ((en = find3(text + abs_st + 3, len - abs_st - 3)) == NULL)
			break;
		abs_en = (size_t)(en - text) + 3;
		/* no empty code blocks: take the next ``` instead */
		tl = br__fmt_trim_space(text + abs_st + 3, abs_en - 3 - abs_st - 3,
		    &ts);
		if (tl == 0) {
			if ((en = find3(text + abs_en, len - abs_en)) == NULL)
				break;
			abs_en = (size_t)(en - text) + 3;
		}
		if (abs_st > ptr)
			r |= sub_to_html(text + ptr, abs_st - ptr, allow_url, out);
		clen = abs_en - 3 - (abs_st + 3);
		if (memchr(text + abs_st + 3, '\n', clen) != NULL) {
			r |= u_buf_add_str(out, "<pre><code>");
			r |= br__fmt_escape(out, text + abs_st + 3, clen);
			r |= u_buf_add_str(out, "</code></pre>");
		} else {
			r |= u_buf_add_str(out, "<code>");
			r |= br__fmt_escape(out, text + abs_st + 3, clen);
			r |= u_buf_add_str(out, "</code>");
		}
		ptr = abs_en;
	}
	if (r == 0 && ptr < len)
		r |= sub_to_html(text + ptr, len - ptr, allow_url, out);
	return r;
}

int
br_fmt_wa_markup_to_html(const char *text, size_t len, int allow_inline_url,
    char **out)
{
	struct u_buf b;

	if (len > BR_FMT_MAX_TEXT)
		return BR_ERR_FMT_TOO_LONG;
	if (!br__fmt_utf8_ok(text, len))
		return BR_ERR_FMT_UTF8;
	u_buf_init(&b, BR_FMT_MAX_OUT);
	return br__fmt_finish(&b, markup_to_html(text, len, allow_inline_url,
	    &b), out);
}

static int
text_to_html_len(const char *text, size_t len, char **out)
{
	struct u_buf b;
	const char *p = text, *nl;
	int r = 0;

	u_buf_init(&b, BR_FMT_MAX_OUT);
	while ((nl = memchr(p, '\n', (size_t)(text + len - p))) != NULL) {
		r |= br__fmt_escape(&b, p, (size_t)(nl - p));
		r |= u_buf_add_str(&b, "<br/>");
		p = nl + 1;
	}
	r |= br__fmt_escape(&b, p, (size_t)(text + len - p));
	return br__fmt_finish(&b, r, out);
}

int
br_fmt_text_to_html(const char *text, char **out)
{
	return text_to_html_len(text, strlen(text), out);
}

void
br_fmt_matrix_clear(struct br_fmt_matrix *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->body);
	free(m->formatted_body);
	for (i = 0; i < m->n_user_ids; i++)
		free(m->user_ids[i]);
	free(m->user_ids);
	memset(m, 0, sizeof(*m));
}

/* types.ParseJID(jid).User: the part before '@', without ".agent:device". */
static char *
jid_user(const char *jid)
{
	const char *at = strchr(jid, '@'), *colon, *dot;
	size_t n;

	if (at == NULL || at == jid)
		return NULL;
	n = (size_t)(at - jid);
	colon = memchr(jid, ':', n);
	if (colon != NULL) {
		dot = memchr(jid, '.', (size_t)(colon - jid));
		n = (size_t)((dot != NULL ? dot : colon) - jid);
	}
	return n > 0 ? u_strndup(jid, n) : NULL;
}

int
br_fmt_wa_to_matrix(const char *text, size_t len,
    const char *const *jids, size_t n_jids, unsigned non_jid_mentions,
    br_fmt_jid_resolver resolve,
    void *arg, int allow_inline_url, struct br_fmt_matrix *out)
{
	struct br_fmt_matrix m = { 0 };
	struct u_buf b;
	char *html = NULL, *plain = NULL, *user, *mxid, *name, *needle, *pill;
	size_t i;
	int r;

	if (len > BR_FMT_MAX_TEXT)
		return BR_ERR_FMT_TOO_LONG;
	if (!br__fmt_utf8_ok(text, len))
		return BR_ERR_FMT_UTF8;
	if (n_jids > BR_FMT_MAX_MENTIONS)
		n_jids = BR_FMT_MAX_MENTIONS;
	m.body = u_strndup(text, len);
	if ((r = br_fmt_wa_markup_to_html(text, len, allow_inline_url,
	    &html)) != 0)
		goto out;
	if ((r = text_to_html_len(text, len, &plain)) != 0)
		goto out;
	if (strcmp(html, plain) != 0) {
		m.formatted_body = html;
		html = NULL;
	}
	if (n_jids > 0 && m.formatted_body == NULL) {
		/* EnsureHasHTML */
		m.formatted_body = plain;
		plain = NULL;
	}
	for (i = 0; i < n_jids && resolve != NULL; i++) {
		mxid = name = NULL;
		if ((user = jid_user(jids[i])) == NULL)
			continue;
		if (resolve(arg, jids[i], &mxid, &name) != 0 || mxid == NULL) {
			free(user);
			free(mxid);
			free(name);
			continue;
		}
		if (name == NULL)
			name = u_strdup("");
		m.user_ids = u_reallocarray(m.user_ids, m.n_user_ids + 1,
		    sizeof(*m.user_ids));
		m.user_ids[m.n_user_ids++] = mxid;
		needle = u_malloc(strlen(user) + 2);
		needle[0] = '@';
		strcpy(needle + 1, user);
		u_buf_init(&b, BR_FMT_MAX_OUT);
		r = u_buf_add_str(&b, "<a href=\"https://matrix.to/#/");
		r |= br__fmt_path_escape(&b, mxid);
		r |= u_buf_add_str(&b, "\">");
		r |= br__fmt_escape(&b, name, strlen(name));
		r |= u_buf_add_str(&b, "</a>");
		if ((r = br__fmt_finish(&b, r, &pill)) == 0) {
			r = br__fmt_replace_all(&m.body, needle, name);
			if (r == 0)
				r = br__fmt_replace_all(&m.formatted_body,
				    needle, pill);
			free(pill);
		}
		free(needle);
		free(user);
		free(name);
		if (r != 0)
			goto out;
	}
	m.mention_room = non_jid_mentions == 1;
	*out = m;
	memset(&m, 0, sizeof(m));
	r = 0;
out:
	free(html);
	free(plain);
	br_fmt_matrix_clear(&m);
	return r;
}
