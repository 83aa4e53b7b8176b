/*
 * community_parse.c: the pure parts of community portals (community.h):
 * `!am` command parsing, Matrix user IDs as members type them, who is a
 * member, and the fixed-window rate limiter.
 *
 * Untrusted input: every message body from WhatsApp groups and Matrix
 * rooms passes through br_am_parse.  Only the first line counts; nothing
 * is allocated; arguments are bounded by BR_AM_ARG_MAX.
 */
#include <string.h>
#include <strings.h>

#include "bridge/community.h"
#include "bridge/config.h"

/* The Matrix spec's limit for a whole user ID. */
#define USER_ID_MAX	255

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int
br_am_user_id(const char *in, size_t len, char *out)
{
	size_t i, colon = 0, port = 0;
	int v6 = 0;

	if (len < 4 || len > USER_ID_MAX || len > BR_AM_ARG_MAX ||
	    in[0] != '@')
		return 0;
	for (i = 1; i < len; i++) {
		char c = lower(in[i]);

		if (c == ':') {
			colon = i;
			break;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("._=-/+", c) != NULL) || c == '\0')
			return 0;
	}
	if (colon < 2 || colon + 1 >= len)
		return 0;
	/* Server name: host name, IPv4 or [IPv6], then an optional port. */
	i = colon + 1;
	if (in[i] == '[') {
		v6 = 1;
		for (i++; i < len && in[i] != ']'; i++)
			if (!((in[i] >= '0' && in[i] <= '9') ||
			    (lower(in[i]) >= 'a' && lower(in[i]) <= 'f') ||
			    in[i] == ':' || in[i] == '.'))
				return 0;
		if (i >= len)
			return 0;
		i++;
	} else {
		size_t start = i;

		for (; i < len && in[i] != ':'; i++) {
			char c = lower(in[i]);

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
			    || c == '.' || c == '-'))
				return 0;
		}
		if (i == start || in[start] == '.' || in[start] == '-' ||
		    in[i - 1] == '.' || in[i - 1] == '-')
			return 0;
	}
	if (i < len) {
		if (in[i] != ':' || i + 1 >= len || len - i - 1 > 5)
			return 0;
		for (port = i + 1; port < len; port++)
			if (in[port] < '0' || in[port] > '9')
				return 0;
	}
	(void)v6;
	for (i = 0; i < len; i++)
		out[i] = lower(in[i]);
	out[len] = '\0';
	return 1;
}

/* The next word of [*p, end): its start and length; *p moves past it. */
static size_t
word(const char **p, const char *end, const char **w)
{
	const char *s = *p;

	while (s < end && is_space(*s))
		s++;
	*w = s;
	while (s < end && !is_space(*s))
		s++;
	*p = s;
	return (size_t)(s - *w);
}

static int
word_is(const char *w, size_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp(w, lit, n) == 0;
}

static void
phone(const char *p, const char *end, struct br_am_cmd *out)
{
	char buf[64], digits[BR_NET_PHONE_MAX + 1];
	size_t n;

	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	n = (size_t)(end - p);
	out->verb = BR_AM_BAD_PHONE;
	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (br_net_phone_clean(buf, digits) != 0)
		return;
	out->verb = BR_AM_WHATSAPP_ADD;
	memcpy(out->arg, digits, strlen(digits) + 1);
}

void
br_am_parse(const char *prefix, const char *text, struct br_am_cmd *out)
{
	const char *p = text, *end, *w, *rest;
	size_t n, n2;

	memset(out, 0, sizeof(*out));
	if (text == NULL || prefix == NULL || prefix[0] == '\0')
		return;
	end = strchr(text, '\n');
	if (end == NULL)
		end = text + strlen(text);
	n = word(&p, end, &w);
	if (n != strlen(prefix) || strncasecmp(w, prefix, n) != 0)
		return;
	rest = p;
	n = word(&p, end, &w);
	if (n == 0 || word_is(w, n, "help") || word_is(w, n, "aide") ||
	    word_is(w, n, "?")) {
		const char *w2;

		out->verb = BR_AM_HELP;
		n2 = word(&p, end, &w2);
		if (word_is(w, n, "aide") || word_is(w2, n2, "fr"))
			strcpy(out->arg, "fr");
		else if (word_is(w2, n2, "en"))
			strcpy(out->arg, "en");
		return;
	}
	if (w[0] == '@') {
		const char *w2;

		out->verb = BR_AM_BAD_USER;
		if (word(&p, end, &w2) != 0)
			return;	/* "@a:b and more": not one user ID */
		if (br_am_user_id(w, n, out->arg))
			out->verb = BR_AM_INVITE;
		return;
	}
	if (word_is(w, n, "whatsapp")) {
		const char *w2, *q = p;

		if (word(&q, end, &w2) == 0) {
			out->verb = BR_AM_WHATSAPP;
			return;
		}
		phone(p, end, out);
		return;
	}
	if (word_is(w, n, "reset")) {
		const char *w2;

		out->verb = word(&p, end, &w2) == 0 ? BR_AM_RESET :
		    BR_AM_UNKNOWN;
		return;
	}
	(void)rest;
	out->verb = BR_AM_UNKNOWN;
}

const char *
br_community_domain(const struct br_config *cfg)
{
	if (cfg->community.member_domains.n > 0)
		return cfg->community.member_domains.v[0];
	return cfg->homeserver.domain;
}

int
br_community_is_member(const struct br_config *cfg, const char *mxid)
{
	const char *colon;
	size_t i;

	if (mxid == NULL || mxid[0] != '@' ||
	    (colon = strchr(mxid, ':')) == NULL)
		return 0;
	for (i = 0; i < cfg->community.member_users.n; i++)
		if (strcmp(cfg->community.member_users.v[i], mxid) == 0)
			return 1;
	if (cfg->community.member_domains.n == 0)
		return strcasecmp(colon + 1, cfg->homeserver.domain) == 0;
	for (i = 0; i < cfg->community.member_domains.n; i++)
		if (strcasecmp(colon + 1, cfg->community.member_domains.v[i])
		    == 0)
			return 1;
	return 0;
}

/* ---- rate limits ---- */

void
br_rate_init(struct br_rate *r, uint64_t window_ms, uint32_t limit)
{
	memset(r, 0, sizeof(*r));
	r->window_ms = window_ms;
	r->limit = limit;
}

static struct br_rate_slot *
slot_find(const struct br_rate *r, const char *key, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < BR_RATE_KEYS; i++) {
		const struct br_rate_slot *s = &r->slots[i];

		if (s->key[0] != '\0' && strncmp(s->key, key,
		    BR_RATE_KEY_MAX) == 0 && now_ms - s->start_ms <
		    r->window_ms && now_ms >= s->start_ms)
			return (struct br_rate_slot *)s;
	}
	return NULL;
}

int
br_rate_would_pass(const struct br_rate *r, const char *key,
    uint64_t now_ms)
{
	const struct br_rate_slot *s;

	if (r->limit == 0)
		return 1;
	s = slot_find(r, key, now_ms);
	return s == NULL || s->count < r->limit;
}

enum br_rate_verdict
br_rate_hit(struct br_rate *r, const char *key, uint64_t now_ms)
{
	struct br_rate_slot *s, *oldest = NULL;
	size_t i;

	if (r->limit == 0)
		return BR_RATE_OK;
	if ((s = slot_find(r, key, now_ms)) == NULL) {
		/* A free or expired slot, else the oldest window. */
		for (i = 0; i < BR_RATE_KEYS; i++) {
			struct br_rate_slot *c = &r->slots[i];

			if (c->key[0] == '\0' || now_ms < c->start_ms ||
			    now_ms - c->start_ms >= r->window_ms) {
				oldest = c;
				break;
			}
			if (oldest == NULL || c->start_ms < oldest->start_ms)
				oldest = c;
		}
		s = oldest;
		memset(s, 0, sizeof(*s));
		strncpy(s->key, key, BR_RATE_KEY_MAX);
		s->start_ms = now_ms;
	}
	if (s->count < r->limit) {
		s->count++;
		return BR_RATE_OK;
	}
	if (!s->told) {
		s->told = 1;
		return BR_RATE_LIMITED_FIRST;
	}
	return BR_RATE_LIMITED;
}
