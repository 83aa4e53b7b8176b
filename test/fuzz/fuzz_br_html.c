/*
 * fuzz_br_html.c: libFuzzer entry point for bridge/format_html.c, the
 * Matrix HTML tokenizer, tree builder and renderer (formatted_body is
 * whatever a Matrix user typed or forged).
 *
 * Input: the HTML.  Runs both profiles (WhatsApp markup with a resolver
 * that answers for one user, and HTMLToText) and, on the first byte's low
 * bit, the relay templates' FormatMessage path.
 * Checks beyond "no crash, no leak, bounded time": valid UTF-8 in gives
 * valid UTF-8 out; every mention returned is the resolver's JID; the
 * output never exceeds BR_FMT_MAX_OUT.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/format.h"
#include "bridge/format_int.h"
#include "bridge/relay_tmpl.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX (BR_FMT_MAX_HTML + 16)

static int
resolve(void *arg, const char *mxid, char **jid)
{
	(void)arg;
	if (strcmp(mxid, "@whatsapp_1:x.y") != 0)
		return -1;
	*jid = u_strdup("1@s.whatsapp.net");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br_fmt_wa w;
	char *html, *text;
	size_t i;
	int r;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	html = malloc(size + 1);
	memcpy(html, data, size);
	html[size] = '\0';
	r = br_fmt_matrix_to_wa("", html, size > 0 && (data[0] & 2), 0, NULL, 0,
	    resolve, NULL, &w);
	if (r == 0) {
		if (!br__fmt_utf8_ok(w.text, strlen(w.text)) ||
		    strlen(w.text) > BR_FMT_MAX_OUT)
			abort();
		for (i = 0; i < w.n_mentioned; i++)
			if (strcmp(w.mentioned_jids[i], "1@s.whatsapp.net") != 0)
				abort();
		/* has_mentions with nobody allowed: no mention survives */
		if ((size > 0 && (data[0] & 2)) && w.n_mentioned != 0)
			abort();
		br_fmt_wa_clear(&w);
	}
	{
		char *b2, *h2;

		br_fmt_remove_reply_fallback(1, html, html, &b2, &h2);
		if (strlen(h2) > size || strlen(b2) > size)
			abort();
		free(b2);
		free(h2);
	}
	if (br_fmt_html_to_text(html, &text) == 0) {
		if (!br__fmt_utf8_ok(text, strlen(text)))
			abort();
		free(text);
	}
	if (size > 0 && (data[0] & 1)) {
		static const char *const names[] = { "m.text" };
		struct br_relay_tmpl *t;
		struct br_relay_content c = { "m.text", "b", html, NULL };
		struct br_relay_sender s = { .user_id = "@a:x.y",
			.disambiguated_name = "A" };
		struct br_relay_out o;

		if (br_relay_tmpl_parse(br_relay_default_formats[0],
		    BR_RELAY_ROOT_MESSAGE, &t, NULL, 0) != 0)
			abort();
		if (br_relay_format((const struct br_relay_tmpl *const *)&t,
		    names, 1, &c, &s, &o) == 0)
			br_relay_out_clear(&o);
		br_relay_tmpl_free(t);
		/* the input as a template: parse, render, never crash */
		if (size <= BR_RELAY_TMPL_MAX &&
		    br_relay_tmpl_parse(html, BR_RELAY_ROOT_MESSAGE, &t, NULL,
		    0) == 0) {
			if (br_relay_tmpl_render(t, &s, "m", "c", "f", &text) == 0)
				free(text);
			br_relay_tmpl_free(t);
		}
	}
	free(html);
	return 0;
}
