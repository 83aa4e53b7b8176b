/*
 * Relay templates (bridge/relay_tmpl.c) against mautrix-go
 * bridgev2/bridgeconfig/relay.go: FormatMessage (EnsureHasHTML, the
 * .Message/.Caption/.FileName rules, format.HTMLToText for the body),
 * GetUserDistinguisher (crc32.ChecksumIEEE of the MXID bytes, mod N),
 * FormatName, and the default message_formats of
 * bridgev2/matrix/mxmain/example-config.yaml.  The distinguisher indices
 * were computed with Python's zlib.crc32, the same IEEE polynomial.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/format.h"
#include "bridge/relay_tmpl.h"
#include "test/unit/test.h"
#include "util/mem.h"

struct defaults {
	struct br_relay_tmpl *t[16];
	size_t n;
};

static int
load_defaults(struct defaults *d)
{
	size_t i;

	d->n = 0;
	for (i = 0; br_relay_default_formats[i] != NULL; i++)
		if (br_relay_tmpl_parse(br_relay_default_formats[i],
		    BR_RELAY_ROOT_MESSAGE, &d->t[d->n++], NULL, 0) != 0)
			return -1;
	return 0;
}

static void
free_defaults(struct defaults *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		br_relay_tmpl_free(d->t[i]);
}

static const struct br_relay_sender alice = {
	.user_id = "@alice:example.com", .displayname = "Alice",
	.disambiguated_name = "Alice",
};

static int
fmt(struct defaults *d, const char *msgtype, const char *body,
    const char *html, const char *filename,
    const struct br_relay_sender *s, struct br_relay_out *o)
{
	struct br_relay_content c = { msgtype, body, html, filename };

	return br_relay_format((const struct br_relay_tmpl *const *)d->t,
	    br_relay_default_msgtypes, d->n, &c, s, o);
}

TEST(test_br_relay_defaults_text_notice_emote)
{
	struct defaults d;
	struct br_relay_out o;

	REQUIRE(load_defaults(&d) == 0);
	CHECK_EQ_INT(d.n, 8);
	REQUIRE(fmt(&d, "m.text", "hello", NULL, NULL, &alice, &o) == 0);
	CHECK_EQ_STR(o.formatted_body, "<b>Alice</b>: hello");
	CHECK_EQ_STR(o.body, "**Alice**: hello");
	CHECK(o.filename == NULL);
	br_relay_out_clear(&o);
	REQUIRE(fmt(&d, "m.notice", "a <b>\nc", NULL, NULL, &alice, &o) == 0);
	/* TextToHTML escapes and turns "\n" into <br/> */
	CHECK_EQ_STR(o.formatted_body, "<b>Alice</b>: a &lt;b&gt;<br/>c");
	CHECK_EQ_STR(o.body, "**Alice**: a <b>\nc");
	br_relay_out_clear(&o);
	REQUIRE(fmt(&d, "m.emote", "waves", "<i>waves</i>", NULL, &alice,
	    &o) == 0);
	CHECK_EQ_STR(o.formatted_body, "* <b>Alice</b> <i>waves</i>");
	CHECK_EQ_STR(o.body, "* **Alice** _waves_");
	br_relay_out_clear(&o);
	free_defaults(&d);
}

TEST(test_br_relay_defaults_media_captions)
{
	struct defaults d;
	struct br_relay_out o;

	REQUIRE(load_defaults(&d) == 0);
	/* no caption: EnsureHasHTML moves body to the file name */
	REQUIRE(fmt(&d, "m.image", "photo.jpg", NULL, NULL, &alice, &o) == 0);
	CHECK_EQ_STR(o.formatted_body, "<b>Alice</b> sent an image");
	CHECK_EQ_STR(o.body, "**Alice** sent an image");
	CHECK_EQ_STR(o.filename, "photo.jpg");
	br_relay_out_clear(&o);
	REQUIRE(fmt(&d, "m.file", "doc.pdf", NULL, "doc.pdf", &alice, &o) == 0);
	CHECK_EQ_STR(o.formatted_body, "<b>Alice</b> sent a file");
	CHECK_EQ_STR(o.filename, "doc.pdf");
	br_relay_out_clear(&o);
	/* a caption: body differs from the file name */
	REQUIRE(fmt(&d, "m.image", "look here", "look <b>here</b>",
	    "photo.jpg", &alice, &o) == 0);
	CHECK_EQ_STR(o.formatted_body,
	    "<b>Alice</b> sent an image: look <b>here</b>");
	CHECK_EQ_STR(o.body, "**Alice** sent an image: look **here**");
	CHECK_EQ_STR(o.filename, "photo.jpg");
	br_relay_out_clear(&o);
	REQUIRE(fmt(&d, "m.audio", "voice", NULL, "a.ogg", &alice, &o) == 0);
	CHECK_EQ_STR(o.formatted_body, "<b>Alice</b> sent an audio file: voice");
	br_relay_out_clear(&o);
	REQUIRE(fmt(&d, "m.video", "v.mp4", NULL, NULL, &alice, &o) == 0);
	CHECK_EQ_STR(o.body, "**Alice** sent a video");
	br_relay_out_clear(&o);
	/* m.location is not media: no file name, no caption */
	REQUIRE(fmt(&d, "m.location", "Location: geo:1,2", NULL, NULL, &alice,
	    &o) == 0);
	CHECK_EQ_STR(o.formatted_body, "<b>Alice</b> sent a location");
	CHECK(o.filename == NULL);
	br_relay_out_clear(&o);
	/* no default for stickers */
	CHECK_EQ_INT(fmt(&d, "m.sticker", "s", NULL, NULL, &alice, &o),
	    BR_ERR_FMT_NO_FORMAT);
	free_defaults(&d);
}

/* text/template inserts values unescaped */
TEST(test_br_relay_names_are_not_escaped)
{
	struct defaults d;
	struct br_relay_out o;
	struct br_relay_sender eve = { .user_id = "@eve:example.org",
		.displayname = "<i>Eve</i>", .disambiguated_name = "<i>Eve</i>" };

	REQUIRE(load_defaults(&d) == 0);
	REQUIRE(fmt(&d, "m.text", "hi", NULL, NULL, &eve, &o) == 0);
	CHECK_EQ_STR(o.formatted_body, "<b><i>Eve</i></b>: hi");
	CHECK_EQ_STR(o.body, "**_Eve_**: hi");
	br_relay_out_clear(&o);
	free_defaults(&d);
}

/* portal.go: DisambiguatedName */
TEST(test_br_relay_disambiguated_name)
{
	char *s;

	s = br_relay_disambiguated_name("Alice", "@alice:example.com", 0);
	CHECK_EQ_STR(s, "Alice");
	free(s);
	s = br_relay_disambiguated_name("Alice", "@alice:example.com", 1);
	CHECK_EQ_STR(s, "Alice (@alice:example.com)");
	free(s);
	s = br_relay_disambiguated_name("", "@alice:example.com", 1);
	CHECK_EQ_STR(s, "@alice:example.com");
	free(s);
	s = br_relay_disambiguated_name(NULL, "@alice:example.com", 0);
	CHECK_EQ_STR(s, "@alice:example.com");
	free(s);
}

/* GetUserDistinguisher with the example config's list */
TEST(test_br_relay_distinguisher_crc32)
{
	static const char *const list[] = { "\xf0\x9f\x9f\xa6",
		"\xf0\x9f\x9f\xa3", "\xf0\x9f\x9f\xa9", "\xe2\xad\x95\xef\xb8\x8f",
		"\xf0\x9f\x94\xb6", "\xe2\xac\x9b\xef\xb8\x8f", "\xf0\x9f\x94\xb5",
		"\xf0\x9f\x9f\xa2" };

	/* crc32("@alice:example.com") = 1140444460, % 8 = 4 */
	CHECK_EQ_STR(br_relay_distinguisher(list, 8, "@alice:example.com"),
	    list[4]);
	/* crc32("@bob:example.com") = 3220716583 (> 2^31), % 8 = 7 */
	CHECK_EQ_STR(br_relay_distinguisher(list, 8, "@bob:example.com"),
	    list[7]);
	CHECK_EQ_STR(br_relay_distinguisher(list, 0, "@bob:example.com"), "");
	CHECK_EQ_STR(br_relay_distinguisher(list, 3, "@alice:example.com"),
	    list[1140444460u % 3]);
}

static char *
render(const char *src, const struct br_relay_sender *s, const char *msg,
    const char *caption)
{
	struct br_relay_tmpl *t;
	char err[128], *out;

	if (br_relay_tmpl_parse(src, BR_RELAY_ROOT_MESSAGE, &t, err,
	    sizeof(err)) != 0)
		return u_strdup(err);
	if (br_relay_tmpl_render(t, s, msg, caption, "f.txt", &out) != 0)
		out = u_strdup("(render error)");
	br_relay_tmpl_free(t);
	return out;
}

#define RENDER(src, s, msg, cap, want) do {				\
	char *got_ = render(src, s, msg, cap);				\
	CHECK_EQ_STR(got_, want);					\
	free(got_);							\
} while (0)

TEST(test_br_relay_template_subset)
{
	struct br_relay_sender s = { .user_id = "@u:x", .displayname = "U",
		.distinguisher = "D", .disambiguated_name = "U",
		.formatted_name = "F", .requires_disambiguation = 1 };

	RENDER("{{.Sender.UserID}}|{{ .Sender.Displayname }}|"
	    "{{ .Sender.Distinguisher }}|{{ .Sender.FormattedName }}|"
	    "{{ .Sender.RequiresDisambiguation }}|{{ .FileName }}",
	    &s, "m", "", "@u:x|U|D|F|true|f.txt");
	/* trim markers eat all space, tabs and newlines on their side */
	RENDER("a \n\t {{- .Message -}} \n b", &s, "M", "", "aMb");
	RENDER("a {{ .Message }} b", &s, "M", "", "a M b");
	RENDER("{{if .Caption}}c={{.Caption}}{{else}}none{{end}}!", &s, "M", "",
	    "none!");
	RENDER("{{if .Caption}}c={{.Caption}}{{else}}none{{end}}!", &s, "M", "C",
	    "c=C!");
	RENDER("{{ if .Sender.RequiresDisambiguation }}{{ if .Caption }}1"
	    "{{ end }}2{{ end }}", &s, "M", "", "2");
	RENDER("{{/* a comment */}}x{{- /* trimmed */ -}} y", &s, "M", "", "xy");
	RENDER("{{-3}}", &s, "M", "", "unsupported action \"{{-3}}\" at offset 0");
}

TEST(test_br_relay_template_errors_at_load)
{
	static const char *const bad[] = {
		"{{ range .X }}{{ end }}", "{{ .Content.Body }}", "{{ .Unknown }}",
		"{{ if .Caption }}x", "{{ end }}", "{{ .Message", "{{ else }}",
		"{{ .Message | html }}", "{{ printf \"%s\" .Message }}",
		"{{ if .Caption }}{{ else }}{{ else }}{{ end }}",
		"{{ .Sender }}", "{{ if }}{{ end }}",
		"{{if .Caption}}{{if .Caption}}{{if .Caption}}{{if .Caption}}"
		"{{if .Caption}}{{if .Caption}}{{if .Caption}}{{if .Caption}}"
		"{{if .Caption}}", NULL };
	struct br_relay_tmpl *t;
	char err[128];
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		CHECK_EQ_INT(br_relay_tmpl_parse(bad[i], BR_RELAY_ROOT_MESSAGE, &t,
		    err, sizeof(err)), BR_ERR_FMT_TEMPLATE);
		CHECK(err[0] != '\0');
	}
	/* .Message is not a sender field */
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ .Message }}", BR_RELAY_ROOT_SENDER,
	    &t, NULL, 0), BR_ERR_FMT_TEMPLATE);
	CHECK_EQ_INT(br_relay_tmpl_parse("\xff", BR_RELAY_ROOT_MESSAGE, &t, err,
	    sizeof(err)), BR_ERR_FMT_TEMPLATE);
}

/* FormatName with displayname_format's default */
TEST(test_br_relay_format_name)
{
	struct br_relay_tmpl *t;
	struct br_relay_sender s = { .user_id = "@u:x",
		.disambiguated_name = "  Alice (@u:x) " };
	char *n;

	REQUIRE(br_relay_tmpl_parse(br_relay_default_name_format,
	    BR_RELAY_ROOT_SENDER, &t, NULL, 0) == 0);
	n = br_relay_format_name(t, &s);
	CHECK_EQ_STR(n, "Alice (@u:x)");
	free(n);
	br_relay_tmpl_free(t);
}

/* `or` and string literals: text/template's builtin returns the first
 * true operand (a non-empty string, a true bool), else the last one. */
TEST(test_br_relay_template_or_and_literals)
{
	struct br_relay_sender s = { .user_id = "@u:x", .displayname = "",
		.distinguisher = "D", .requires_disambiguation = 0 };
	struct br_relay_tmpl *t;

	RENDER("{{ or .Sender.Displayname .Sender.UserID }}", &s, "M", "",
	    "@u:x");
	RENDER("{{ or .Caption .Message \"x\" }}", &s, "M", "", "M");
	RENDER("{{ or .Caption \"none\" }}|{{ \"lit\" }}|{{ `raw \"q\"` }}",
	    &s, "M", "", "none|lit|raw \"q\"");
	/* all operands empty: the last, here "" */
	RENDER("[{{ or .Caption .Sender.Displayname }}]", &s, "M", "", "[]");
	/* a false bool is not chosen, but is printed when it is the last */
	RENDER("{{ or .Sender.RequiresDisambiguation .Caption }}|"
	    "{{ or .Caption .Sender.RequiresDisambiguation }}", &s, "M", "",
	    "|false");
	RENDER("{{ if or .Caption .Sender.Distinguisher }}y{{ else }}n{{ end }}",
	    &s, "M", "", "y");
	RENDER("{{ if or .Caption .Sender.RequiresDisambiguation }}y{{ else }}n"
	    "{{ end }}", &s, "M", "", "n");
	/* refused at load: no operands, an escape, an unclosed literal, two
	 * operands without or, too many operands, text glued to an operand */
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ or }}", BR_RELAY_ROOT_MESSAGE, &t,
	    NULL, 0), BR_ERR_FMT_TEMPLATE);
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ \"a\\n\" }}", BR_RELAY_ROOT_MESSAGE,
	    &t, NULL, 0), BR_ERR_FMT_TEMPLATE);
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ or .Message \"a }}",
	    BR_RELAY_ROOT_MESSAGE, &t, NULL, 0), BR_ERR_FMT_TEMPLATE);
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ .Message .Caption }}",
	    BR_RELAY_ROOT_MESSAGE, &t, NULL, 0), BR_ERR_FMT_TEMPLATE);
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ or \"a\"\"b\" }}",
	    BR_RELAY_ROOT_MESSAGE, &t, NULL, 0), BR_ERR_FMT_TEMPLATE);
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ or .M .M .M .M .M .M .M .M .M .M "
	    ".M .M .M .M .M .M .M }}", BR_RELAY_ROOT_MESSAGE, &t, NULL, 0),
	    BR_ERR_FMT_TEMPLATE);
	REQUIRE(br_relay_tmpl_parse("{{ or .Message .Message .Message .Message "
	    ".Message .Message .Message .Message .Message .Message .Message "
	    ".Message .Message .Message .Message .Message }}",
	    BR_RELAY_ROOT_MESSAGE, &t, NULL, 0) == 0);
	br_relay_tmpl_free(t);
}

/* The ghost root (network.displayname_template): its names, the legacy
 * aliases, and values from the caller's lookup. */
static const char *
ghost_vals(void *arg, int f)
{
	static const char *const v[] = { "push", "", NULL, "first", "+49",
		"+4∙9" };

	(void)arg;
	return f >= 0 && f <= BR_GHOST_F_REDACTED_PHONE ? v[f] : "?";
}

TEST(test_br_relay_template_ghost_root)
{
	struct br_relay_tmpl *t;
	char *out = NULL;

	REQUIRE(br_relay_tmpl_parse("{{or .BusinessName .FullName .PushName}}|"
	    "{{.JID}}|{{.Notify}}|{{.VName}}|{{.Name}}|{{.Short}}|"
	    "{{.FirstName}}|{{.RedactedPhone}}|{{or .FullName \"U\"}} (WA)",
	    BR_RELAY_ROOT_GHOST, &t, NULL, 0) == 0);
	REQUIRE(br_relay_tmpl_render_fn(t, ghost_vals, NULL, &out) == 0);
	CHECK_EQ_STR(out, "push|+49|push|||first|first|+4∙9|U (WA)");
	free(out);
	br_relay_tmpl_free(t);
	/* message fields are not ghost fields, and the reverse */
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ .Message }}", BR_RELAY_ROOT_GHOST,
	    &t, NULL, 0), BR_ERR_FMT_TEMPLATE);
	CHECK_EQ_INT(br_relay_tmpl_parse("{{ .PushName }}",
	    BR_RELAY_ROOT_MESSAGE, &t, NULL, 0), BR_ERR_FMT_TEMPLATE);
}

TEST_MAIN()
