/*
 * WhatsApp markup -> Matrix (bridge/format_wa.c).  Each expectation is
 * what mautrix-whatsapp produces, worked out by hand from
 * pkg/msgconv/wa-text.go (parseWAFormattingToHTML,
 * parseWASubFormattingToHTML, parseWASubFormattingLineToHTML, the four
 * regular expressions, parseFormatting) and from-whatsapp.go (addMentions)
 * plus mautrix-go event.TextToHTML / EnsureHasHTML and id.MatrixToURL:
 * upstream has no tests of its own for these functions, so the function
 * each case exercises is named instead.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/format.h"
#include "test/unit/test.h"
#include "util/mem.h"

/* formatted_body of text, or "(none)" */
static char *
conv(const char *text)
{
	struct br_fmt_matrix m;
	char *r;

	if (br_fmt_wa_to_matrix(text, strlen(text), NULL, 0, 0, NULL, NULL, 0,
	    &m) != 0)
		return u_strdup("(error)");
	r = u_strdup(m.formatted_body != NULL ? m.formatted_body : "(none)");
	if (strcmp(m.body, text) != 0) {
		free(r);
		r = u_strdup("(body changed)");
	}
	br_fmt_matrix_clear(&m);
	return r;
}

#define CONV(in, want) do {						\
	char *got_ = conv(in);						\
	CHECK_EQ_STR(got_, want);					\
	free(got_);							\
} while (0)

/* parseFormatting: no formatted_body when the HTML equals TextToHTML */
TEST(test_br_format_wa_plain_text_has_no_html)
{
	CONV("hello world", "(none)");
	CONV("a < b & c > \"d\" 'e'", "(none)");
	CONV("", "(none)");
	CONV("snake_case_name", "(none)");	/* italicRegex needs [\s>~*]|^ */
	CONV("a*b*c", "(none)");
	CONV("*bold*text", "(none)");		/* group 3 is [^a-zA-Z\d]|$ */
	CONV("**", "(none)");			/* (.+?) needs one rune */
}

/* italicRegex, boldRegex, strikethroughRegex, inlineCodeRegex */
TEST(test_br_format_wa_inline_styles)
{
	CONV("*bold*", "<strong>bold</strong>");
	CONV("_it_ and ~st~", "<em>it</em> and <del>st</del>");
	CONV("`x = 1`", "<code>x = 1</code>");
	CONV("say *hi*.", "say <strong>hi</strong>.");
	CONV("*_both_*", "<strong><em>both</em></strong>");
	CONV("*a*b*", "<strong>a*b</strong>");	/* .+? extends past *b */
	CONV("*é*", "<strong>é</strong>");
	/* escaped first: the regexes see &lt; etc. */
	CONV("*<b>*", "<strong>&lt;b&gt;</strong>");
}

/* ReplaceAllString is non-overlapping: the space after "*a*" is taken by
 * group 3, so "*b*" has no [\s>_~] before it and stays as it is. */
TEST(test_br_format_wa_adjacent_matches_quirk)
{
	CONV("*a* *b*", "<strong>a</strong> *b*");
	CONV("*a*  *b*", "<strong>a</strong>  <strong>b</strong>");
}

/* parseWAFormattingToHTML: code blocks */
TEST(test_br_format_wa_code_blocks)
{
	CONV("```code```", "<code>code</code>");
	CONV("```\nfn(*x*)\n```", "<pre><code>\nfn(*x*)\n</code></pre>");
	CONV("see ```a<b``` *x*", "see <code>a&lt;b</code> <strong>x</strong>");
	/* an empty block extends to the next ``` */
	CONV("``` ```x```", "<code> ```x</code>");
	CONV("```unclosed", "(none)");
}

/* parseWASubFormattingToHTML: lines, lists, quotes */
TEST(test_br_format_wa_lines_lists_quotes)
{
	CONV("line1\nline2", "line1<br>line2");	/* <br> != TextToHTML's <br/> */
	CONV("- a\n- b", "<ul><li>a</li><li>b</li></ul>");
	CONV("* a\n* *b*", "<ul><li>a</li><li><strong>b</strong></li></ul>");
	CONV("1. a\n2. b", "<ol><li>a</li><li>b</li></ol>");
	CONV("3. a\n5. b", "<ol start=\"3\"><li>a</li><li value=\"5\">b</li></ol>");
	CONV("123. no", "(none)");		/* ^(\d{1,2})\. */
	CONV("> quoted\nafter", "<blockquote>quoted</blockquote>after");
	CONV("text\n- item", "text<br><ul><li>item</li></ul>");
	CONV("- a\ntext", "<ul><li>a</li></ul>text");
	CONV("- a\n1. b\n> c", "<ul><li>a</li></ul><ol><li>b</li></ol>"
	    "<blockquote>c</blockquote>");
	CONV(">no space", "(none)");
}

/* allowInlineURL (business messages) */
TEST(test_br_format_wa_inline_url)
{
	char *h = NULL;

	REQUIRE(br_fmt_wa_markup_to_html("[site](https://x.y/?a=1&b=2) ok",
	    strlen("[site](https://x.y/?a=1&b=2) ok"), 1, &h) == 0);
	CHECK_EQ_STR(h, "<a href=\"https://x.y/?a=1&amp;b=2\">site</a> ok");
	free(h);
	REQUIRE(br_fmt_wa_markup_to_html("[site](https://x.y)", 19, 0, &h) == 0);
	CHECK_EQ_STR(h, "[site](https://x.y)");
	free(h);
}

struct people {
	int calls;
};

static int
resolve(void *arg, const char *jid, char **mxid, char **name)
{
	struct people *p = arg;

	p->calls++;
	if (strcmp(jid, "123@s.whatsapp.net") == 0) {
		*mxid = u_strdup("@whatsapp_123:example.com");
		*name = u_strdup("Alice <A>");
		return 0;
	}
	if (strcmp(jid, "456.0:7@s.whatsapp.net") == 0) {
		*mxid = u_strdup("@bob/x:example.com");
		*name = u_strdup("Bob");
		return 0;
	}
	return -1;
}

/* addMentions */
TEST(test_br_format_wa_mentions_become_pills)
{
	const char *jids[] = { "123@s.whatsapp.net", "999@s.whatsapp.net",
		"456.0:7@s.whatsapp.net" };
	struct people p = { 0 };
	struct br_fmt_matrix m;
	const char *t = "hi @123 and @456, not @999";

	REQUIRE(br_fmt_wa_to_matrix(t, strlen(t), jids, 3, 0, resolve, &p, 0,
	    &m) == 0);
	CHECK_EQ_INT(p.calls, 3);
	CHECK_EQ_STR(m.body, "hi Alice <A> and Bob, not @999");
	/* EnsureHasHTML (TextToHTML) then pills; PathEscape keeps @ and :
	 * and escapes '/' */
	CHECK_EQ_STR(m.formatted_body, "hi <a href=\"https://matrix.to/#/"
	    "@whatsapp_123:example.com\">Alice &lt;A&gt;</a> and <a href=\""
	    "https://matrix.to/#/@bob%2Fx:example.com\">Bob</a>, not @999");
	REQUIRE(m.n_user_ids == 2);
	CHECK_EQ_STR(m.user_ids[0], "@whatsapp_123:example.com");
	CHECK_EQ_STR(m.user_ids[1], "@bob/x:example.com");
	br_fmt_matrix_clear(&m);
}

/* addMentions calls EnsureHasHTML before resolving: formatted_body exists
 * even when no mention could be resolved */
TEST(test_br_format_wa_unresolved_mention_still_html)
{
	const char *jids[] = { "999@s.whatsapp.net" };
	struct people p = { 0 };
	struct br_fmt_matrix m;

	REQUIRE(br_fmt_wa_to_matrix("a\n@999", 6, jids, 1, 0, resolve, &p, 0,
	    &m) == 0);
	CHECK_EQ_STR(m.body, "a\n@999");
	CHECK_EQ_STR(m.formatted_body, "a<br>@999");
	CHECK_EQ_INT(m.n_user_ids, 0);
	br_fmt_matrix_clear(&m);
	REQUIRE(br_fmt_wa_to_matrix("@999", 4, jids, 1, 0, resolve, &p, 0,
	    &m) == 0);
	CHECK_EQ_STR(m.formatted_body, "@999");
	br_fmt_matrix_clear(&m);
}

/* ToMatrix: nonJIDMentions == 1 -> m.mentions.room */
TEST(test_br_format_wa_everyone_is_room_mention)
{
	struct br_fmt_matrix m;

	REQUIRE(br_fmt_wa_to_matrix("@all hi", 7, NULL, 0, 1, NULL, NULL, 0,
	    &m) == 0);
	CHECK_EQ_INT(m.mention_room, 1);
	CHECK(m.formatted_body == NULL);
	br_fmt_matrix_clear(&m);
	REQUIRE(br_fmt_wa_to_matrix("hi", 2, NULL, 0, 2, NULL, NULL, 0,
	    &m) == 0);
	CHECK_EQ_INT(m.mention_room, 0);
	br_fmt_matrix_clear(&m);
}

TEST(test_br_format_wa_limits_and_utf8)
{
	struct br_fmt_matrix m;
	char *big = u_malloc(BR_FMT_MAX_TEXT + 2);

	CHECK_EQ_INT(br_fmt_wa_to_matrix("\xff*x*", 4, NULL, 0, 0, NULL, NULL, 0,
	    &m), BR_ERR_FMT_UTF8);
	CHECK_EQ_INT(br_fmt_wa_to_matrix("\xed\xa0\x80", 3, NULL, 0, 0, NULL,
	    NULL, 0, &m), BR_ERR_FMT_UTF8);	/* a surrogate */
	memset(big, '*', BR_FMT_MAX_TEXT + 1);
	big[BR_FMT_MAX_TEXT + 1] = '\0';
	CHECK_EQ_INT(br_fmt_wa_to_matrix(big, BR_FMT_MAX_TEXT + 1, NULL, 0, 0, NULL, NULL, 0, &m), BR_ERR_FMT_TOO_LONG);
	/* the largest text, all delimiters: linear, no crash */
	REQUIRE(br_fmt_wa_to_matrix(big, BR_FMT_MAX_TEXT, NULL, 0, 0, NULL, NULL,
	    0, &m) == 0);
	br_fmt_matrix_clear(&m);
	memset(big, '\n', BR_FMT_MAX_TEXT);
	REQUIRE(br_fmt_wa_to_matrix(big, BR_FMT_MAX_TEXT, NULL, 0, 0, NULL, NULL,
	    0, &m) == 0);
	CHECK(m.formatted_body != NULL);
	br_fmt_matrix_clear(&m);
	free(big);
	CHECK(br_fmt_strerror(BR_ERR_FMT_UTF8) != NULL);
}

TEST(test_br_format_text_to_html)
{
	char *h;

	REQUIRE(br_fmt_text_to_html("a&b\n<c>'\"", &h) == 0);
	CHECK_EQ_STR(h, "a&amp;b<br/>&lt;c&gt;&#39;&#34;");
	free(h);
}

TEST_MAIN()
