/*
 * ids.c: mautrix-whatsapp's ID formats (see ids.h).
 *
 * The JID parser is deliberately stricter than whatsmeow's ParseJID: it
 * refuses a second '@', empty parts and control characters, where
 * whatsmeow would silently ignore or keep them.  Every ID written by
 * mautrix-whatsapp is well formed, so a stored ID always parses.
 *
 * Invariants: inputs are length-checked against BR_ID_MAX (or the part
 * limits) before any allocation; outputs are owned heap strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/ids.h"
#include "util/err.h"
#include "util/mem.h"

#define FAKE_PREFIX "fake:"
#define FAKE_WA_PREFIX "FAKE::"

static int
bounded_len(const char *s, size_t max, size_t *len)
{
	size_t n;

	if (s == NULL)
		return U_ERR_INVALID;
	n = strnlen(s, max + 1);
	if (n > max)
		return U_ERR_TOO_BIG;
	*len = n;
	return 0;
}

/* Printable ASCII without space; JIDs and WA IDs are plain ASCII. */
static int
clean(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Decimal in [0, max], 1..5 digits, no sign or leading junk. */
static int
parse_num(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return U_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return U_ERR_INVALID;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return U_ERR_INVALID;
	*out = v;
	return 0;
}

int
br_jid_parse(const char *s, struct br_jid *out)
{
	struct br_jid j;
	const char *at, *dot, *colon, *uend;
	size_t n, ulen;
	int r;

	if ((r = bounded_len(s, BR_JID_USER_MAX + BR_JID_SERVER_MAX + 16,
	    &n)) != 0)
		return r;
	if (n == 0 || !clean(s, n))
		return U_ERR_INVALID;
	memset(&j, 0, sizeof(j));
	at = memchr(s, '@', n);
	if (at == NULL) {
		/* A bare server, e.g. "s.whatsapp.net". */
		if (n > BR_JID_SERVER_MAX)
			return U_ERR_TOO_BIG;
		memcpy(j.server, s, n);
		*out = j;
		return 0;
	}
	if (memchr(at + 1, '@', n - (size_t)(at + 1 - s)) != NULL)
		return U_ERR_INVALID;
	n -= (size_t)(at + 1 - s);
	if (n == 0 || at == s)
		return U_ERR_INVALID;
	if (n > BR_JID_SERVER_MAX)
		return U_ERR_TOO_BIG;
	memcpy(j.server, at + 1, n);
	ulen = (size_t)(at - s);
	dot = memchr(s, '.', ulen);
	colon = memchr(s, ':', ulen);
	uend = at;
	if (dot != NULL) {
		/* user.agent[:device] */
		if (memchr(dot + 1, '.', (size_t)(at - dot - 1)) != NULL)
			return U_ERR_INVALID;
		if (colon != NULL && colon < dot)
			return U_ERR_INVALID;
		uend = dot;
		if ((r = parse_num(dot + 1, (size_t)((colon != NULL ? colon :
		    at) - dot - 1), 255, &j.agent)) != 0)
			return r;
	} else if (colon != NULL)
		uend = colon;
	if (colon != NULL) {
		if (memchr(colon + 1, ':', (size_t)(at - colon - 1)) != NULL)
			return U_ERR_INVALID;
		if ((r = parse_num(colon + 1, (size_t)(at - colon - 1), 65535,
		    &j.device)) != 0)
			return r;
	}
	ulen = (size_t)(uend - s);
	if (ulen == 0)
		return U_ERR_INVALID;
	if (ulen > BR_JID_USER_MAX)
		return U_ERR_TOO_BIG;
	memcpy(j.user, s, ulen);
	*out = j;
	return 0;
}

char *
br_jid_string(const struct br_jid *j)
{
	if (j->agent > 0)
		return u_asprintf("%s.%u:%u@%s", j->user, j->agent, j->device,
		    j->server);
	if (j->device > 0)
		return u_asprintf("%s:%u@%s", j->user, j->device, j->server);
	return br_jid_string_non_ad(j);
}

char *
br_jid_string_non_ad(const struct br_jid *j)
{
	if (j->user[0] == '\0')
		return u_strdup(j->server);
	return u_asprintf("%s@%s", j->user, j->server);
}

int
br_id_portal(const char *chat_jid, char **out)
{
	struct br_jid j;
	int r;

	if ((r = br_jid_parse(chat_jid, &j)) != 0)
		return r;
	if (j.user[0] == '\0')
		return U_ERR_INVALID;
	*out = br_jid_string_non_ad(&j);
	return 0;
}

int
br_id_portal_receiver(const char *chat_jid, const char *login_id,
    int split_portals, char **out)
{
	struct br_jid j;
	size_t n;
	int r;

	if ((r = br_jid_parse(chat_jid, &j)) != 0)
		return r;
	if ((r = bounded_len(login_id, BR_ID_MAX, &n)) != 0)
		return r;
	if (split_portals || strcmp(j.server, BR_SERVER_USER) == 0 ||
	    strcmp(j.server, BR_SERVER_LID) == 0 ||
	    strcmp(j.server, BR_SERVER_BOT) == 0 ||
	    strcmp(j.server, BR_SERVER_BROADCAST) == 0) {
		/* A DM-like chat without its login would be one room for
		 * every account: refuse instead. */
		if (n == 0)
			return U_ERR_INVALID;
		*out = u_strdup(login_id);
	} else
		*out = u_strdup("");
	return 0;
}

int
br_id_ghost(const char *user_jid, char **out)
{
	struct br_jid j;
	int r;

	if ((r = br_jid_parse(user_jid, &j)) != 0)
		return r;
	if (j.user[0] == '\0')
		return U_ERR_NOT_FOUND;
	if (strcmp(j.server, BR_SERVER_USER) == 0)
		*out = u_strdup(j.user);
	else if (strcmp(j.server, BR_SERVER_LID) == 0)
		*out = u_asprintf(BR_GHOST_PREFIX_LID "%s", j.user);
	else if (strcmp(j.server, BR_SERVER_BOT) == 0)
		*out = u_asprintf(BR_GHOST_PREFIX_BOT "%s", j.user);
	else
		return U_ERR_NOT_FOUND;
	return 0;
}

int
br_id_ghost_jid(const char *ghost_id, char **out)
{
	const char *server = BR_SERVER_USER, *user = ghost_id;
	struct br_jid j;
	char *s;
	size_t n;
	int r;

	if ((r = bounded_len(ghost_id, BR_JID_USER_MAX + 4, &n)) != 0)
		return r;
	if (strncmp(ghost_id, BR_GHOST_PREFIX_LID,
	    strlen(BR_GHOST_PREFIX_LID)) == 0) {
		server = BR_SERVER_LID;
		user += strlen(BR_GHOST_PREFIX_LID);
	} else if (strncmp(ghost_id, BR_GHOST_PREFIX_BOT,
	    strlen(BR_GHOST_PREFIX_BOT)) == 0) {
		server = BR_SERVER_BOT;
		user += strlen(BR_GHOST_PREFIX_BOT);
	}
	if (*user == '\0')
		return U_ERR_INVALID;
	s = u_asprintf("%s@%s", user, server);
	/* The result must be a plain user JID (no agent/device syntax). */
	if ((r = br_jid_parse(s, &j)) != 0 || j.agent != 0 || j.device != 0 ||
	    strchr(user, ':') != NULL || strchr(user, '.') != NULL) {
		free(s);
		return r != 0 ? r : U_ERR_INVALID;
	}
	*out = s;
	return 0;
}

int
br_id_login(const char *user_jid, char **out)
{
	struct br_jid j;
	int r;

	if ((r = br_jid_parse(user_jid, &j)) != 0)
		return r;
	if (strcmp(j.server, BR_SERVER_USER) != 0 || j.user[0] == '\0')
		return U_ERR_NOT_FOUND;
	*out = u_strdup(j.user);
	return 0;
}

int
br_id_login_device_jid(const char *login_id, unsigned device, char **out)
{
	struct br_jid j;
	size_t n;
	int r;

	if ((r = bounded_len(login_id, BR_JID_USER_MAX, &n)) != 0)
		return r;
	if (n == 0 || device > 65535 || !clean(login_id, n) ||
	    strpbrk(login_id, "@:.") != NULL)
		return U_ERR_INVALID;
	memset(&j, 0, sizeof(j));
	memcpy(j.user, login_id, n);
	strcpy(j.server, BR_SERVER_USER);
	j.device = device;
	*out = br_jid_string(&j);
	return 0;
}

/*
 * Length of the template action printing the ghost ID at t ("{{.}}", also
 * "{{ . }}" and with trim markers "{{- . -}}", the forms the config
 * accepts), or 0.  The trim markers have nothing to trim: the text around
 * the action may not contain spaces.
 */
static size_t
dot_action(const char *t)
{
	const char *p = t;

	if (strncmp(p, "{{", 2) != 0)
		return 0;
	p += 2;
	if (p[0] == '-' && p[1] == ' ')
		p++;
	while (*p == ' ')
		p++;
	if (*p++ != '.')
		return 0;
	while (*p == ' ')
		p++;
	if (p[0] == '-' && p[-1] == ' ' && p[1] == '}')
		p++;
	if (strncmp(p, "}}", 2) != 0)
		return 0;
	return (size_t)(p + 2 - t);
}

/* Splits tmpl around its one action: prefix length, suffix start. */
static int
tmpl_split(const char *tmpl, size_t *pre, const char **suf)
{
	const char *act = NULL, *p;
	size_t n, alen = 0, a;
	int r;

	if ((r = bounded_len(tmpl, BR_ID_MAX, &n)) != 0)
		return r;
	for (p = tmpl; *p != '\0'; p++) {
		if ((a = dot_action(p)) == 0)
			continue;
		if (act != NULL)
			return U_ERR_INVALID;	/* the ID twice */
		act = p;
		alen = a;
		p += a - 1;
	}
	if (act == NULL)
		return U_ERR_INVALID;
	*pre = (size_t)(act - tmpl);
	*suf = act + alen;
	/* A localpart may not contain ':' or '@' (or spaces, braces...). */
	if (!clean(tmpl, *pre) || !clean(*suf, strlen(*suf)) ||
	    memchr(tmpl, ':', *pre) != NULL || memchr(tmpl, '@', *pre) != NULL ||
	    strpbrk(*suf, ":@") != NULL)
		return U_ERR_INVALID;
	return 0;
}

int
br_id_ghost_mxid(const char *tmpl, const char *domain, const char *ghost_id,
    char **out)
{
	const char *suf;
	char *mxid;
	size_t pre, n;
	int r;

	if ((r = tmpl_split(tmpl, &pre, &suf)) != 0)
		return r;
	if ((r = bounded_len(domain, BR_ID_MAX, &n)) != 0)
		return r;
	if (n == 0 || !clean(domain, n))
		return U_ERR_INVALID;
	if ((r = bounded_len(ghost_id, BR_ID_MAX, &n)) != 0)
		return r;
	if (n == 0 || !clean(ghost_id, n) || strpbrk(ghost_id, ":@") != NULL)
		return U_ERR_INVALID;
	mxid = u_asprintf("@%.*s%s%s:%s", (int)pre, tmpl, ghost_id, suf,
	    domain);
	if (strlen(mxid) > BR_MXID_MAX) {
		free(mxid);
		return U_ERR_TOO_BIG;
	}
	*out = mxid;
	return 0;
}

int
br_id_ghost_from_mxid(const char *tmpl, const char *domain, const char *mxid,
    char **out)
{
	const char *suf, *colon, *local;
	size_t pre, slen, n, dlen, llen;
	int r;

	if ((r = tmpl_split(tmpl, &pre, &suf)) != 0)
		return r;
	if ((r = bounded_len(domain, BR_ID_MAX, &dlen)) != 0)
		return r;
	if (dlen == 0)
		return U_ERR_INVALID;
	if ((r = bounded_len(mxid, BR_ID_MAX, &n)) != 0)
		return r;
	if (n < 2 || mxid[0] != '@')
		return U_ERR_NOT_FOUND;
	colon = strchr(mxid, ':');
	if (colon == NULL || strcmp(colon + 1, domain) != 0)
		return U_ERR_NOT_FOUND;
	local = mxid + 1;
	llen = (size_t)(colon - local);
	slen = strlen(suf);
	if (llen <= pre + slen || strncmp(local, tmpl, pre) != 0 ||
	    memcmp(colon - slen, suf, slen) != 0)
		return U_ERR_NOT_FOUND;
	*out = u_strndup(local + pre, llen - pre - slen);
	return 0;
}

/* Non-AD string form of a JID given as text. */
static int
non_ad(const char *jid, struct br_jid *j, char **out)
{
	int r;

	if ((r = br_jid_parse(jid, j)) != 0)
		return r;
	*out = br_jid_string_non_ad(j);
	return 0;
}

static int
compose(const char *prefix, const char *chat_jid, const char *sender_jid,
    const char *alt_sender_jid, const char *tail, char **out)
{
	struct br_jid cj, sj, aj;
	char *chat = NULL, *sender = NULL, *alt = NULL, *s;
	size_t n;
	int r;

	if ((r = bounded_len(tail, BR_ID_MAX, &n)) != 0)
		return r;
	if (n == 0 || !clean(tail, n))
		return U_ERR_INVALID;
	if ((r = non_ad(chat_jid, &cj, &chat)) != 0 ||
	    (r = non_ad(sender_jid, &sj, &sender)) != 0)
		goto out;
	if (alt_sender_jid != NULL && *alt_sender_jid != '\0') {
		if ((r = non_ad(alt_sender_jid, &aj, &alt)) != 0)
			goto out;
		if (strcmp(cj.server, BR_SERVER_LID) == 0 &&
		    strcmp(sj.server, BR_SERVER_USER) == 0 &&
		    strcmp(aj.server, BR_SERVER_LID) == 0) {
			free(sender);
			sender = alt;
			alt = NULL;
		}
	}
	s = u_asprintf("%s%s:%s:%s", prefix, chat, sender, tail);
	if (strlen(s) > BR_ID_MAX) {
		free(s);
		r = U_ERR_TOO_BIG;
		goto out;
	}
	*out = s;
	r = 0;
out:
	free(chat);
	free(sender);
	free(alt);
	return r;
}

int
br_id_message(const char *chat_jid, const char *sender_jid,
    const char *alt_sender_jid, const char *wa_id, char **out)
{
	return compose("", chat_jid, sender_jid, alt_sender_jid, wa_id, out);
}

int
br_id_message_fake(const char *chat_jid, const char *sender_jid,
    const char *data, char **out)
{
	return compose(FAKE_PREFIX, chat_jid, sender_jid, NULL, data, out);
}

int
br_id_message_is_fake(const char *id)
{
	const char *p;
	size_t n;

	if (bounded_len(id, BR_ID_MAX, &n) != 0)
		return 0;
	if (strncmp(id, FAKE_PREFIX, strlen(FAKE_PREFIX)) == 0)
		return 1;
	/* Third part (after the second ':') starting with FAKE::. */
	if ((p = strchr(id, ':')) == NULL || (p = strchr(p + 1, ':')) == NULL)
		return 0;
	return strncmp(p + 1, FAKE_WA_PREFIX, strlen(FAKE_WA_PREFIX)) == 0;
}

void
br_msgid_clear(struct br_msgid *m)
{
	if (m == NULL)
		return;
	free(m->chat);
	free(m->sender);
	free(m->wa_id);
	memset(m, 0, sizeof(*m));
}

int
br_id_message_parse(const char *id, struct br_msgid *out)
{
	struct br_jid j;
	const char *c1, *c2;
	size_t n;
	int r;

	if ((r = bounded_len(id, BR_ID_MAX, &n)) != 0)
		return r;
	if ((c1 = strchr(id, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
		return U_ERR_INVALID;
	if (br_id_message_is_fake(id))
		return U_ERR_NOT_FOUND;
	if (c2[1] == '\0' || !clean(c2 + 1, strlen(c2 + 1)))
		return U_ERR_INVALID;
	{
		char *chat = u_strndup(id, (size_t)(c1 - id));
		char *sender = u_strndup(c1 + 1, (size_t)(c2 - c1 - 1));

		if ((r = br_jid_parse(chat, &j)) != 0 ||
		    (r = br_jid_parse(sender, &j)) != 0) {
			free(chat);
			free(sender);
			return r;
		}
		out->chat = chat;
		out->sender = sender;
		out->wa_id = u_strdup(c2 + 1);
	}
	return 0;
}
