/*
 * fuzz_br_community.c: libFuzzer entry point for what community portals
 * take from strangers: every message body in a WhatsApp group or Matrix
 * room goes through br_am_parse (and the user IDs it accepts through
 * br_am_user_id), and texts are filled with those arguments.
 *
 * Input: a prefix (up to the first NUL, at most BR_COMMUNITY_PREFIX_MAX
 * bytes, else "!am") and a message body (the rest).
 * Checks beyond "no crash, no leak":
 *  - the argument is NUL-terminated within BR_AM_ARG_MAX;
 *  - an accepted user ID starts with '@', has a ':', no upper case, and is
 *    accepted again unchanged;
 *  - an accepted phone number is 7..BR_NET_PHONE_MAX digits;
 *  - parsing is deterministic and only the first line counts;
 *  - a filled answer contains the argument.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/community.h"
#include "bridge/config.h"
#include "bridge/texts_community.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX 8192

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char prefix[BR_COMMUNITY_PREFIX_MAX + 1] = "!am", *body, *t;
	struct br_am_cmd cmd, again;
	const uint8_t *nul;
	size_t i, n, pl;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	nul = memchr(data, 0, size);
	if (nul != NULL && (pl = (size_t)(nul - data)) > 0 &&
	    pl <= BR_COMMUNITY_PREFIX_MAX) {
		memcpy(prefix, data, pl);
		prefix[pl] = '\0';
	}
	if (nul != NULL) {
		n = size - (size_t)(nul - data) - 1;
		data = nul + 1;
	} else
		n = size;
	body = malloc(n + 1);
	if (body == NULL)
		return 0;
	memcpy(body, data, n);
	body[n] = '\0';
	br_am_parse(prefix, body, &cmd);
	if (memchr(cmd.arg, '\0', sizeof(cmd.arg)) == NULL)
		abort();
	br_am_parse(prefix, body, &again);
	if (memcmp(&cmd, &again, sizeof(cmd)) != 0)
		abort();
	switch (cmd.verb) {
	case BR_AM_INVITE: {
		char re[BR_AM_ARG_MAX + 1];

		if (cmd.arg[0] != '@' || strchr(cmd.arg, ':') == NULL)
			abort();
		for (i = 0; cmd.arg[i] != '\0'; i++)
			if (cmd.arg[i] >= 'A' && cmd.arg[i] <= 'Z')
				abort();
		if (!br_am_user_id(cmd.arg, strlen(cmd.arg), re) ||
		    strcmp(re, cmd.arg) != 0)
			abort();
		break;
	}
	case BR_AM_WHATSAPP_ADD:
		n = strlen(cmd.arg);
		if (n < 7 || n > BR_NET_PHONE_MAX ||
		    strspn(cmd.arg, "0123456789") != n)
			abort();
		break;
	default:
		break;
	}
	/* Only the first line counts: cutting after it changes nothing. */
	if ((t = strchr(body, '\n')) != NULL) {
		*t = '\0';
		br_am_parse(prefix, body, &again);
		if (memcmp(&cmd, &again, sizeof(cmd)) != 0)
			abort();
	}
	t = br_ctext_fmt(BR_LANG_FR, BR_CT_WA_NOT_MEMBER, cmd.arg, prefix);
	if (strstr(t, cmd.arg) == NULL)
		abort();
	free(t);
	free(body);
	return 0;
}
