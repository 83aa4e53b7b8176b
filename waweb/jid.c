/*
 * jid.c: parse, format, compare and classify WhatsApp JIDs (see jid.h).
 *
 * Does not: resolve PN <-> LID, or know which JIDs a stanza may carry.
 * Invariant: every struct wa_jid this file produces satisfies jid.h's rules.
 */
#include <stdio.h>
#include <string.h>

#include "waweb/errors.h"
#include "waweb/jid.h"

/* Parse a canonical decimal (no sign, no leading zero) up to max. */
static int
parse_dec(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* A user or server part: bounded, no NUL, '@' or ':', printable-ish. */
static int
valid_part(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len > max)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c == 0x7f || c == '@' || c == ':')
			return 0;
	}
	return 1;
}

int
wa_jid_parse_n(const char *s, size_t len, struct wa_jid *out)
{
	struct wa_jid j;
	const char *at, *colon, *dot, *server, *user;
	size_t ulen, slen;
	unsigned long v;

	memset(&j, 0, sizeof(j));
	if (s == NULL || memchr(s, '\0', len) != NULL)
		return WA_ERR_BAD_JID;
	at = memchr(s, '@', len);
	if (at == NULL) {
		/* A bare server ("s.whatsapp.net"), as whatsmeow prints it. */
		user = s;
		ulen = 0;
		server = s;
		slen = len;
	} else {
		user = s;
		ulen = (size_t)(at - s);
		server = at + 1;
		slen = len - ulen - 1;
	}
	if (slen == 0 || !valid_part(server, slen, WA_JID_SERVER_MAX))
		return WA_ERR_BAD_JID;
	memcpy(j.server, server, slen);

	colon = memchr(user, ':', ulen);
	if (colon != NULL) {
		size_t dlen = ulen - (size_t)(colon - user) - 1;

		if (parse_dec(colon + 1, dlen, 65535, &v) != 0)
			return WA_ERR_BAD_JID;
		j.device = (uint16_t)v;
		j.ad = 1;
		ulen = (size_t)(colon - user);
		/* "user.agent:device": the agent only exists with a device. */
		dot = memchr(user, '.', ulen);
		if (dot != NULL) {
			size_t alen = ulen - (size_t)(dot - user) - 1;

			if (parse_dec(dot + 1, alen, 255, &v) != 0)
				return WA_ERR_BAD_JID;
			j.agent = (uint8_t)v;
			ulen = (size_t)(dot - user);
		}
		if (ulen == 0)
			return WA_ERR_BAD_JID;
	}
	if (!valid_part(user, ulen, WA_JID_USER_MAX))
		return WA_ERR_BAD_JID;
	memcpy(j.user, user, ulen);
	*out = j;
	return 0;
}

int
wa_jid_parse(const char *s, struct wa_jid *out)
{
	if (s == NULL)
		return WA_ERR_BAD_JID;
	return wa_jid_parse_n(s, strlen(s), out);
}

int
wa_jid_make(struct wa_jid *out, const char *user, const char *server,
    uint16_t device)
{
	struct wa_jid j;
	size_t ulen = user != NULL ? strlen(user) : 0;
	size_t slen = server != NULL ? strlen(server) : 0;

	memset(&j, 0, sizeof(j));
	if (slen == 0 || !valid_part(server, slen, WA_JID_SERVER_MAX) ||
	    !valid_part(user != NULL ? user : "", ulen, WA_JID_USER_MAX))
		return WA_ERR_BAD_JID;
	if (device != 0 && ulen == 0)
		return WA_ERR_BAD_JID;
	memcpy(j.user, user != NULL ? user : "", ulen);
	memcpy(j.server, server, slen);
	j.device = device;
	*out = j;
	return 0;
}

char *
wa_jid_format(const struct wa_jid *j, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	if (j->agent > 0)
		snprintf(buf, size, "%s.%u:%u@%s", j->user, j->agent,
		    j->device, j->server);
	else if (j->device > 0)
		snprintf(buf, size, "%s:%u@%s", j->user, j->device, j->server);
	else if (j->user[0] != '\0')
		snprintf(buf, size, "%s@%s", j->user, j->server);
	else
		snprintf(buf, size, "%s", j->server);
	return buf;
}

bool
wa_jid_equal(const struct wa_jid *a, const struct wa_jid *b)
{
	return a->agent == b->agent && a->device == b->device &&
	    a->integrator == b->integrator &&
	    strcmp(a->user, b->user) == 0 && strcmp(a->server, b->server) == 0;
}

bool
wa_jid_same_user(const struct wa_jid *a, const struct wa_jid *b)
{
	return strcmp(a->user, b->user) == 0 &&
	    strcmp(a->server, b->server) == 0;
}

struct wa_jid
wa_jid_to_non_ad(const struct wa_jid *j)
{
	struct wa_jid r = *j;

	r.agent = 0;
	r.device = 0;
	r.ad = 0;
	return r;
}

uint8_t
wa_jid_domain(const struct wa_jid *j)
{
	if (strcmp(j->server, WA_SERVER_USER) == 0)
		return WA_DOMAIN_WHATSAPP;
	if (strcmp(j->server, WA_SERVER_LID) == 0)
		return WA_DOMAIN_LID;
	if (strcmp(j->server, WA_SERVER_HOSTED) == 0)
		return WA_DOMAIN_HOSTED;
	if (strcmp(j->server, WA_SERVER_HOSTED_LID) == 0)
		return WA_DOMAIN_HOSTED_LID;
	return j->agent;
}

static bool
on(const struct wa_jid *j, const char *server)
{
	return strcmp(j->server, server) == 0;
}

bool
wa_jid_is_pn(const struct wa_jid *j)
{
	return on(j, WA_SERVER_USER) && j->user[0] != '\0';
}

bool
wa_jid_is_lid(const struct wa_jid *j)
{
	return on(j, WA_SERVER_LID);
}

bool
wa_jid_is_hosted(const struct wa_jid *j)
{
	return on(j, WA_SERVER_HOSTED) || on(j, WA_SERVER_HOSTED_LID);
}

bool
wa_jid_is_user(const struct wa_jid *j)
{
	return j->user[0] != '\0' && (on(j, WA_SERVER_USER) ||
	    on(j, WA_SERVER_LID) || wa_jid_is_hosted(j));
}

bool
wa_jid_is_group(const struct wa_jid *j)
{
	return on(j, WA_SERVER_GROUP);
}

bool
wa_jid_is_status(const struct wa_jid *j)
{
	return on(j, WA_SERVER_BROADCAST) && strcmp(j->user, "status") == 0;
}

bool
wa_jid_is_broadcast(const struct wa_jid *j)
{
	return on(j, WA_SERVER_BROADCAST) && !wa_jid_is_status(j);
}

bool
wa_jid_is_newsletter(const struct wa_jid *j)
{
	return on(j, WA_SERVER_NEWSLETTER);
}

bool
wa_jid_is_server(const struct wa_jid *j)
{
	return j->user[0] == '\0';
}

/* Meta AI bots: 1313555dddd or 131655500dd on s.whatsapp.net, or @bot. */
bool
wa_jid_is_bot(const struct wa_jid *j)
{
	size_t n = strlen(j->user), i;
	size_t fixed;

	if (on(j, WA_SERVER_BOT))
		return true;
	if (!on(j, WA_SERVER_USER) || j->device != 0)
		return false;
	if (n == 11 && strncmp(j->user, "1313555", 7) == 0)
		fixed = 7;
	else if (n == 11 && strncmp(j->user, "131655500", 9) == 0)
		fixed = 9;
	else
		return false;
	for (i = fixed; i < n; i++)
		if (j->user[i] < '0' || j->user[i] > '9')
			return false;
	return true;
}

char *
wa_jid_signal_name(const struct wa_jid *j, char *buf, size_t size)
{
	uint8_t d = wa_jid_domain(j);
	int n;

	if (d != 0)
		n = snprintf(buf, size, "%s_%u", j->user, d);
	else
		n = snprintf(buf, size, "%s", j->user);
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}

char *
wa_jid_signal_address(const struct wa_jid *j, char *buf, size_t size)
{
	char name[WA_JID_USER_MAX + 8];
	int n;

	if (wa_jid_signal_name(j, name, sizeof(name)) == NULL)
		return NULL;
	n = snprintf(buf, size, "%s:%u", name, j->device);
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}
