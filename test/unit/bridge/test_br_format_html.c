/*
 * Matrix HTML -> WhatsApp markup and -> plain text (bridge/format_html.c).
 * Expectations are mautrix-go format.HTMLParser's output (htmlparser.go:
 * nodeToTagAwareString, listToString, blockquoteToString, headerToString,
 * linkToString, basicFormatToString, spanToString, the "pre" case of
 * tagToString), with mautrix-whatsapp msgconv.New's converters and
 * convertPill (from-matrix.go), or mautrix-go's HTMLToText defaults
 * (SafeMarkdownCode, DefaultMonospaceBlockConverter, DefaultPillConverter);
 * the tree shapes are golang.org/x/net/html's.  Upstream ships no tests
 * for these paths (format/ only tests Markdown), so each case names the
 * function it follows.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/format.h"
#include "test/unit/test.h"
#include "util/mem.h"

static int
resolve(void *arg, const char *mxid, char **jid)
{
	int *calls = arg;

	if (calls != NULL)
		(*calls)++;
	if (strcmp(mxid, "@whatsapp_123:example.com") == 0) {
		*jid = u_strdup("123@s.whatsapp.net");
		return 0;
	}
	if (strcmp(mxid, "@alice:example.com") == 0) {
		*jid = u_strdup("555.0:2@s.whatsapp.net");
		return 0;
	}
	return -1;
}

static char *
wa(const char *html)
{
	struct br_fmt_wa w;
	char *r;

	if (br_fmt_matrix_to_wa("fallback", html, 0, 0, NULL, 0, resolve, NULL,
	    &w) != 0)
		return u_strdup("(error)");
	r = w.text;
	w.text = NULL;
	br_fmt_wa_clear(&w);
	return r;
}

static char *
txt(const char *html)
{
	char *r;

	if (br_fmt_html_to_text(html, &r) != 0)
		return u_strdup("(error)");
	return r;
}

#define WA(in, want) do {						\
	char *got_ = wa(in);						\
	CHECK_EQ_STR(got_, want);					\
	free(got_);							\
} while (0)
#define TXT(in, want) do {						\
	char *got_ = txt(in);						\
	CHECK_EQ_STR(got_, want);					\
	free(got_);							\
} while (0)

/* basicFormatToString with msgconv.New's converters */
TEST(test_br_format_html_inline_styles)
{
	WA("<b>bold</b> <i>it</i> <s>st</s> <code>c</code>",
	    "*bold* _it_ ~st~ `c`");
	WA("<strong>a</strong><em>b</em><del>c</del><strike>d</strike><tt>e</tt>",
	    "*a*_b_~c~~d~`e`");
	WA("<u>under</u><ins>ins</ins>", "underins");	/* no UnderlineConverter */
	WA("<b> padded </b>", "*padded*");	/* tag-aware: trimmed */
	WA("<b><i>x</i></b>", "*_x_*");
}

/* tagToString "pre": MonospaceBlockConverter "```\n" + code + "\n```" */
TEST(test_br_format_html_code_block)
{
	WA("<pre><code class=\"language-go\">fmt.Println()\n</code></pre>",
	    "```\nfmt.Println()\n\n```");
	WA("<pre>\n  keep   spaces\n</pre>", "```\n  keep   spaces\n\n```");
	/* TabsToSpaces: 4 */
	WA("<pre>\ta</pre>", "```\n    a\n```");
	WA("x<pre>y</pre>z", "x\n```\ny\n```\nz");
}

/* blockquoteToString, headerToString, p, br, hr */
TEST(test_br_format_html_blocks)
{
	WA("<blockquote>quote<br>two</blockquote>after", "> quote\n> two\nafter");
	WA("<p>one</p><p>two</p>", "one\n\ntwo");
	WA("<h1>Title</h1>text", "# Title\ntext");
	WA("<h3>Sub <b>b</b></h3>", "### Sub *b*");
	WA("a<br>b<br/>c</br>d", "a\nb\nc\nd");
	WA("a<hr>b", "a\n\nb");	/* HorizontalLine unset: "", still a block */
	WA("<div>x</div><div>y</div>", "x\n\ny");
}

/* listToString */
TEST(test_br_format_html_lists)
{
	WA("<ul><li>a</li><li>b</li></ul>", "* a\n* b");
	WA("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b");
	/* the number width counts every child node, li or not */
	WA("<ol start=\"9\"><li>a</li><li>b</li></ol>", "9.  a\n10. b");
	WA("<ol start=\"9\">\n<li>a</li>\n</ol>", "9.  a");
	WA("<ul><li>a<br>b</li></ul>", "* a\n  b");
	WA("<ul><li>x<ul><li>y</li></ul></li></ul>", "* x\n  * y");
	WA("<ol start=\"bogus\"><li>a</li></ol>", "0. a");	/* Atoi error */
	WA("<ul><li>a<li>b</ul>", "* a\n* b");	/* <li> closes <li> */
	WA("<ul><li><input type=\"checkbox\" checked>done</li>"
	    "<li><input type=\"checkbox\">todo</li></ul>",
	    "* [x]done\n* [ ]todo");
}

/* linkToString: no LinkConverter */
TEST(test_br_format_html_links)
{
	WA("<a href=\"https://example.com/x\">site</a>",
	    "site (https://example.com/x)");
	WA("<a href=\"https://example.com\">https://example.com</a>",
	    "https://example.com");
	WA("<a href=\"https://example.com\">example.com</a>", "example.com");
	WA("<a href=\"mailto:a@b.c\">a@b.c</a>", "a@b.c");
	WA("<a>nohref</a>", "nohref");
	WA("<a href=\"https://x.y/?a=1&amp;b=2\">q</a>", "q (https://x.y/?a=1&b=2)");
}

/* convertPill (mautrix-whatsapp) */
TEST(test_br_format_html_pills_to_mentions)
{
	struct br_fmt_wa w;
	const char *allowed[] = { "@whatsapp_123:example.com" };
	int calls = 0;

	REQUIRE(br_fmt_matrix_to_wa("Ghost: hi", "<a href=\"https://matrix.to/#/"
	    "@whatsapp_123:example.com\">Ghost</a>: hi <a href=\"https://matrix.to/"
	    "#/%40alice%3Aexample.com\">Alice</a> <a href=\"https://matrix.to/#/"
	    "@nobody:example.com\">Nobody</a>", 0, 0, NULL, 0, resolve, &calls,
	    &w) == 0);
	CHECK_EQ_STR(w.text, "@123: hi @555 Nobody");
	CHECK_EQ_INT(calls, 3);
	REQUIRE(w.n_mentioned == 2);
	CHECK_EQ_STR(w.mentioned_jids[0], "123@s.whatsapp.net");
	CHECK_EQ_STR(w.mentioned_jids[1], "555.0:2@s.whatsapp.net");
	br_fmt_wa_clear(&w);

	/* m.mentions present: only listed users become mentions */
	calls = 0;
	REQUIRE(br_fmt_matrix_to_wa("", "<a href=\"https://matrix.to/#/"
	    "@whatsapp_123:example.com\">G</a> <a href=\"matrix:u/alice:"
	    "example.com\">A</a>", 1, 0, allowed, 1, resolve, &calls, &w) == 0);
	CHECK_EQ_STR(w.text, "@123 A");
	CHECK_EQ_INT(calls, 1);
	CHECK_EQ_INT(w.n_mentioned, 1);
	br_fmt_wa_clear(&w);

	/* matrix: URIs are pills too */
	REQUIRE(br_fmt_matrix_to_wa("", "<a href=\"matrix:u/alice:example.com\">"
	    "A</a>", 0, 0, NULL, 0, resolve, NULL, &w) == 0);
	CHECK_EQ_STR(w.text, "@555");
	br_fmt_wa_clear(&w);
}

/* generateContextInfo: m.mentions.room -> nonJIDMentions = 1, the text
 * "@room" is left as it is */
TEST(test_br_format_html_room_mention)
{
	struct br_fmt_wa w;

	REQUIRE(br_fmt_matrix_to_wa("@room look", "<b>@room</b> look", 1, 1,
	    NULL, 0, resolve, NULL, &w) == 0);
	CHECK_EQ_STR(w.text, "*@room* look");
	CHECK_EQ_INT(w.non_jid_mentions, 1);
	br_fmt_wa_clear(&w);
	REQUIRE(br_fmt_matrix_to_wa("@room look", NULL, 1, 1, NULL, 0, resolve,
	    NULL, &w) == 0);
	CHECK_EQ_INT(w.non_jid_mentions, 1);
	br_fmt_wa_clear(&w);
	/* no m.mentions: no room mention */
	REQUIRE(br_fmt_matrix_to_wa("@room look", NULL, 0, 1, NULL, 0, resolve,
	    NULL, &w) == 0);
	CHECK_EQ_INT(w.non_jid_mentions, 0);
	br_fmt_wa_clear(&w);
}

/* DefaultPillConverter for rooms and events */
TEST(test_br_format_html_room_and_event_links)
{
	WA("<a href=\"https://matrix.to/#/#room:example.com\">#room:example.com</a>",
	    "#room:example.com");
	WA("<a href=\"https://matrix.to/#/!id:example.com\">!id:example.com</a>",
	    "https://matrix.to/#/!id:example.com");
	WA("<a href=\"https://matrix.to/#/!id:example.com\">the room</a>",
	    "the room (https://matrix.to/#/!id:example.com)");
	WA("<a href=\"https://matrix.to/#/!id:example.com/$ev?via=x\">msg</a>",
	    "https://matrix.to/#/!id:example.com/$ev");
	/* not a valid matrix.to link: a plain link */
	WA("<a href=\"https://matrix.to/#/bad\">b</a>", "b (https://matrix.to/#/bad)");
	WA("@room hello", "@room hello");
}

/* reply fallback, unknown tags, entities, whitespace */
TEST(test_br_format_html_text_handling)
{
	/* not stripped here (see test_br_format_html_reply_fallback) */
	WA("<mx-reply><blockquote><a href=\"https://matrix.to/#/!r/$e\">In reply"
	    "</a></blockquote></mx-reply>answer",
	    "> https://matrix.to/#/!r/$eanswer");
	WA("<foo bar=1>baz</foo> <span>s</span> <font color=red>f</font>",
	    "baz s f");
	WA("a &amp; b &lt;c&gt; &#128512; &#x41;&quot;&apos; &unknown; &amp",
	    "a & b <c> \xf0\x9f\x98\x80 A\"' &unknown; &");
	WA("x&nbsp;y", "x\xc2\xa0y");
	/* legacy names without ';' as x/net/html: longest prefix in text,
	 * not before an alphanumeric in an attribute */
	WA("&ampx &lt3 &copy2026", "&x <3 \xc2\xa9" "2026");
	WA("<a href=\"?a=1&copy=2&amp=3&lt;\">q</a>", "q (?a=1&copy=2&amp=3<)");
	WA("a\n  b   c", "a b c");		/* "\n" removed, spaces collapsed */
	WA("<!-- hidden -->shown", "shown");
	WA("<span data-mx-spoiler>secret</span>", "||secret||");
	WA("<span data-mx-spoiler=\"why\">secret</span>", "||why|secret||");
	WA("<img src=\"mxc://x/y\" alt=\":emote:\">", ":emote:");
	WA("1 < 2 <3", "1 < 2 <3");
	WA("<script>alert(1)</script>x", "alert(1)x");
}

/* x/net/html tree construction that shows in the output */
TEST(test_br_format_html_malformed)
{
	WA("<b>unclosed", "*unclosed*");
	WA("<b><i>x</b>y</i>", "*_x_*_y_");
	WA("<p>a<p>b", "a\n\nb");
	WA("<p><b>x<p>y", "*x*\n\n*y*");
	WA("a</p>b", "a\n\nb");
	WA("</b>stray", "stray");
	WA("<b", "");
	WA("<", "<");
	WA("<<>>", "<<>>");
	WA("<a href='x", "");
	WA("<ul><li>", "*");		/* the root trims */
}

/* found by fuzz_br_html: a percent escape that decodes to invalid UTF-8
 * is not a Matrix identifier (the output stays UTF-8); reopened
 * formatting elements copy their tag before the node array moves */
TEST(test_br_format_html_fuzz_regressions)
{
	char *big;
	size_t i;

	WA("<a href=\"https://matrix.to/#/%213%Aax.y\">!a:x</a>",
	    "!a:x (https://matrix.to/#/%213%Aax.y)");
	big = u_malloc(64 * 1024);
	strcpy(big, "<p><b><i><s><code><u>x");
	for (i = 0; i < 3000; i++)
		strcat(big, "<p>x");
	{
		char *got = wa(big);

		CHECK(strncmp(got, "*_~`x`~_*\n\n*_~`x`~_*\n\n", 22) == 0);
		free(got);
	}
	free(big);
}

/* event/reply.go RemoveReplyFallback: TrimReplyFallbackHTML (only a
 * leading <mx-reply>) and then TrimReplyFallbackText */
TEST(test_br_format_html_reply_fallback)
{
	char *b, *h;

	CHECK_EQ_INT(br_fmt_remove_reply_fallback(1, "> <@a:x> hi\n> more\n\n"
	    " answer ", "<mx-reply><blockquote>hi</blockquote></mx-reply>"
	    "<b>answer</b>", &b, &h), 1);
	CHECK_EQ_STR(h, "<b>answer</b>");
	CHECK_EQ_STR(b, "answer");
	free(b);
	free(h);
	/* not a reply: nothing removed */
	CHECK_EQ_INT(br_fmt_remove_reply_fallback(0, "> <@a:x> hi\n\nx",
	    "<mx-reply>q</mx-reply>x", &b, &h), 0);
	CHECK_EQ_STR(h, "<mx-reply>q</mx-reply>x");
	CHECK_EQ_STR(b, "> <@a:x> hi\n\nx");
	free(b);
	free(h);
	/* not at the start, or empty: kept */
	CHECK_EQ_INT(br_fmt_remove_reply_fallback(1, "x", "x<mx-reply>q"
	    "</mx-reply>", &b, &h), 0);
	free(b);
	free(h);
	CHECK_EQ_INT(br_fmt_remove_reply_fallback(1, "x", "<mx-reply></mx-reply>x",
	    &b, &h), 0);
	free(b);
	free(h);
	/* the body is only trimmed with the HTML, and needs "> <" */
	CHECK_EQ_INT(br_fmt_remove_reply_fallback(1, "> quote\nx",
	    "<mx-reply>q</mx-reply>x", &b, &h), 1);
	CHECK_EQ_STR(b, "> quote\nx");
	CHECK_EQ_STR(h, "x");
	free(b);
	free(h);
	CHECK_EQ_INT(br_fmt_remove_reply_fallback(1, "b", NULL, &b, &h), 0);
	CHECK(h == NULL);
	free(b);
}

/* no formatted_body: body as it is */
TEST(test_br_format_html_body_fallback)
{
	struct br_fmt_wa w;

	REQUIRE(br_fmt_matrix_to_wa("*plain* <b>", NULL, 0, 0, NULL, 0, resolve,
	    NULL, &w) == 0);
	CHECK_EQ_STR(w.text, "*plain* <b>");
	CHECK_EQ_INT(w.n_mentioned, 0);
	br_fmt_wa_clear(&w);
	CHECK_EQ_INT(br_fmt_matrix_to_wa("\xc3", NULL, 0, 0, NULL, 0, NULL, NULL,
	    &w), BR_ERR_FMT_UTF8);
	CHECK_EQ_INT(br_fmt_matrix_to_wa("", "<b>\xff</b>", 0, 0, NULL, 0, NULL,
	    NULL, &w), BR_ERR_FMT_UTF8);
}

TEST(test_br_format_html_limits)
{
	struct br_fmt_wa w;
	size_t n = BR_FMT_MAX_HTML + 1, i;
	char *big = u_malloc(n + 1);

	memset(big, 'a', n);
	big[n] = '\0';
	CHECK_EQ_INT(br_fmt_matrix_to_wa("", big, 0, 0, NULL, 0, NULL, NULL, &w),
	    BR_ERR_FMT_TOO_LONG);
	/* deep nesting: start tags past BR_FMT_MAX_DEPTH are dropped */
	big[0] = '\0';
	for (i = 0; i < 2000; i++)
		strcat(big, "<blockquote>");
	strcat(big, "deep");
	REQUIRE(br_fmt_matrix_to_wa("", big, 0, 0, NULL, 0, NULL, NULL, &w) == 0);
	CHECK(strstr(w.text, "deep") != NULL);
	CHECK(strncmp(w.text, "> > > ", 6) == 0);
	br_fmt_wa_clear(&w);
	/* void elements are kept past the depth limit */
	strcat(big, "<br>deeper");
	REQUIRE(br_fmt_matrix_to_wa("", big, 0, 0, NULL, 0, NULL, NULL, &w) == 0);
	CHECK(strstr(w.text, "deep\n") != NULL);
	CHECK(strstr(w.text, "> deeper") != NULL);
	br_fmt_wa_clear(&w);
	/* formatting reopened after every block: bounded node count */
	big[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(big, "<b>");
	for (i = 0; i < 2000; i++)
		strcat(big, "<p>x");
	i = (size_t)br_fmt_matrix_to_wa("", big, 0, 0, NULL, 0, NULL, NULL, &w);
	CHECK((int)i == 0 || (int)i == BR_ERR_FMT_TOO_BIG);
	br_fmt_wa_clear(&w);
	free(big);
}

/* format.HTMLToText: the relay body path */
TEST(test_br_format_html_to_text_defaults)
{
	TXT("<b>Name</b>: hi", "**Name**: hi");
	TXT("<del>x</del> <i>y</i>", "~~x~~ _y_");
	TXT("<code>a`b</code>", "``a`b``");
	TXT("<code>`a</code>", "`` `a ``");
	TXT("<code></code>", "` `");
	TXT("<pre><code class=\"language-c\">int x;</code></pre>",
	    "```c\nint x;\n```");
	TXT("<pre>```\nx\n</pre>", "````\n```\nx\n````");
	TXT("a<hr>b", "a\n\n---\n\nb");
	TXT("<a href=\"https://matrix.to/#/@u:x.y\">User</a>", "User");
	TXT("* <b>Bob</b> waves", "* **Bob** waves");
}

TEST_MAIN()
