/*
 * fuzz_br_recover.c: libFuzzer entry point for what the lost-room
 * recovery reads from the homeserver (bridge/portal_recover.h
 * br_recover_parse: an m.bridge content in a room the bot is in, i.e.
 * written by anyone with enough power there) and for the ghost
 * displayname template renderer (bridge/portal.h br_ghost_displayname).
 *
 * Input: a JSON text, a NUL byte, then a template.
 * Checks beyond "no crash, no leak": an accepted m.bridge gives a channel
 * id that is a JID without device which prints back to itself, and a
 * receiver of digits only; a rendered name is at most 256 bytes and valid
 * UTF-8 when the template and fields were.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/portal_recover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX 8192
#define BOT "@whatsappbot:example.com"

static void
check_bridge(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	char *id = NULL, *recv = NULL, *back;
	struct br_jid jid;

	if (j == NULL)
		return;
	if (br_recover_parse(j, BOT, &id, &recv) == BR_RECOVER_OK) {
		if (br_jid_parse(id, &jid) != 0 || jid.device != 0)
			abort();
		back = br_jid_string_non_ad(&jid);
		if (strcmp(back, id) != 0)
			abort();
		free(back);
		if (strspn(recv, "0123456789") != strlen(recv))
			abort();
		free(id);
		free(recv);
	}
	json_decref(j);
}

static int
utf8_ok(const char *s)
{
	json_t *j = json_string(s);	/* NULL when not UTF-8 */
	int ok = j != NULL;

	json_decref(j);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct br_ghost_info gi = { .push_name = "Push \xc3\xa9",
	    .phone = "+4915100000001" };
	char *buf, *tmpl, *name = NULL;
	size_t n;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	n = strlen(buf);
	check_bridge(buf, n);
	tmpl = n < size ? buf + n + 1 : NULL;
	if (tmpl != NULL && br_ghost_displayname(tmpl, &gi, &name) == 0) {
		if (strlen(name) > 256)
			abort();
		if (utf8_ok(tmpl) && !utf8_ok(name))
			abort();
		free(name);
	}
	free(buf);
	return 0;
}
