/*
 * fuzz_br_ids.c: libFuzzer entry point for bridge/ids.h, the parsers of
 * WhatsApp JIDs, composite message IDs and ghost MXIDs (all strings that
 * come from WhatsApp, the homeserver or a database).
 *
 * Input: up to three strings separated by NUL bytes: a, b, c.
 * Checks beyond "no crash, no leak":
 *  - a parsed JID prints back to a string that parses to the same JID;
 *  - a parsed message ID whose JIDs are in plain form (no agent or
 *    device, not even ".0") is rebuilt byte for byte by br_id_message;
 *  - a ghost ID made from a JID maps back to that JID without device;
 *  - with a as template, b as domain, c as ghost ID: an MXID that can be
 *    built parses back to the same ghost ID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX 4096

static void
check_jid(const char *s)
{
	struct br_jid j, j2;
	char *out, *g = NULL, *back = NULL, *nonad;

	if (br_jid_parse(s, &j) != 0)
		return;
	out = br_jid_string(&j);
	if (br_jid_parse(out, &j2) != 0 || memcmp(&j, &j2, sizeof(j)) != 0)
		abort();
	free(out);
	if (br_id_ghost(s, &g) == 0) {
		if (strncmp(j.user, BR_GHOST_PREFIX_LID, 4) != 0 &&
		    strncmp(j.user, BR_GHOST_PREFIX_BOT, 4) != 0) {
			nonad = br_jid_string_non_ad(&j);
			if (br_id_ghost_jid(g, &back) != 0 ||
			    strcmp(back, nonad) != 0)
				abort();
			free(nonad);
		}
		free(g);
		free(back);
	}
}

static void
check_msgid(const char *s)
{
	struct br_msgid m = { 0 };
	struct br_jid c, snd;
	char *again = NULL, *cn, *sn;

	if (br_id_message_parse(s, &m) != 0) {
		if (m.chat != NULL || m.sender != NULL || m.wa_id != NULL)
			abort();	/* nothing handed out on failure */
		return;
	}
	if (br_jid_parse(m.chat, &c) != 0 || br_jid_parse(m.sender, &snd) != 0)
		abort();
	/* Only JIDs already in plain form ("1.0@x" is not) come back as is. */
	cn = br_jid_string_non_ad(&c);
	sn = br_jid_string_non_ad(&snd);
	if (strcmp(cn, m.chat) == 0 && strcmp(sn, m.sender) == 0) {
		if (br_id_message(m.chat, m.sender, NULL, m.wa_id, &again) != 0 ||
		    strcmp(again, s) != 0)
			abort();
		free(again);
	}
	free(cn);
	free(sn);
	br_msgid_clear(&m);
}

static void
check_mxid(const char *tmpl, const char *domain, const char *id)
{
	char *mxid = NULL, *back = NULL;

	if (br_id_ghost_mxid(tmpl, domain, id, &mxid) != 0)
		return;
	if (br_id_ghost_from_mxid(tmpl, domain, mxid, &back) != 0 ||
	    strcmp(back, id) != 0)
		abort();
	free(back);
	back = NULL;
	/* And the text as an MXID of its own. */
	if (br_id_ghost_from_mxid(tmpl, domain, id, &back) == 0)
		free(back);
	free(mxid);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *a, *b, *c;
	char *s;
	size_t la, lb;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	s = malloc(size + 3);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	a = s;
	la = strlen(a);
	b = a + la + 1;
	lb = b < s + size ? strlen(b) : 0;
	if (b >= s + size)
		b = "";
	c = b[0] != '\0' ? b + lb + 1 : "";
	if (c >= s + size + 1)
		c = "";
	check_jid(a);
	check_msgid(a);
	check_mxid(a, b, c);
	free(s);
	return 0;
}
