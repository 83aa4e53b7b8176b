/*
 * txn.c: appservice transactions as untrusted input: decoding and
 * validation (the function the HTTP handler and the fuzzer call), the
 * short-lived replay cache, and the echo filter that keeps the bot's and
 * the ghosts' own events away from the bridge core.
 *
 * Does not: deliver anything (server.c does), or remember transactions
 * across restarts.  Synapse on SQLite restarts its transaction ids at 1
 * after a restart, so a replay is recognised by (txnId, SHA-256 of the
 * body) and only for MX_TXN_CACHE_TTL_MS: the same id with another body is
 * a new transaction.
 */
#include <string.h>

#include <sodium.h>

#include "matrix/mx_int.h"
#include "util/log.h"
#include "util/mem.h"

/* --- decoding --- */

static int
str_field_ok(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) <= MX_PARAM_MAX;
}

static int
event_ok(json_t *ev)
{
	if (!json_is_object(ev))
		return 0;
	if (!str_field_ok(ev, "type") || !str_field_ok(ev, "sender") ||
	    !str_field_ok(ev, "room_id") || !str_field_ok(ev, "event_id"))
		return 0;
	if (!mx__user_id_ok(json_string_value(json_object_get(ev, "sender"))))
		return 0;
	if (json_object_get(ev, "content") != NULL &&
	    !json_is_object(json_object_get(ev, "content")))
		return 0;
	if (json_object_get(ev, "state_key") != NULL &&
	    !json_is_string(json_object_get(ev, "state_key")))
		return 0;
	return 1;
}

static int
ephemeral_ok(json_t *ev)
{
	return json_is_object(ev) && str_field_ok(ev, "type") &&
	    (json_object_get(ev, "content") == NULL ||
	    json_is_object(json_object_get(ev, "content")));
}

/* Remove items failing ok(); returns how many went. */
static size_t
prune(json_t *arr, int (*ok)(json_t *))
{
	size_t i = 0, n = 0;

	while (i < json_array_size(arr)) {
		if (ok(json_array_get(arr, i))) {
			i++;
			continue;
		}
		json_array_remove(arr, i);
		n++;
	}
	return n;
}

int
mx__txn_parse(const void *body, size_t len, struct mx_txn *out,
    size_t *dropped)
{
	json_error_t jerr;
	json_t *root = NULL, *events, *eph;
	size_t nd = 0;
	int r = MX_ERR_INTERNAL;

	if (len > MX_TXN_BODY_MAX) {
		r = MX_ERR_TOO_BIG;
		goto out;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		r = MX_ERR_BAD_JSON;
		goto out;
	}
	if (!json_is_object(root)) {
		r = MX_ERR_INVALID;
		goto out;
	}
	events = json_object_get(root, "events");
	if (!json_is_array(events)) {
		r = MX_ERR_INVALID;
		goto out;
	}
	/* Read the stable key, fall back to the unstable twin, never both:
	 * Synapse sends both with identical content. */
	eph = json_object_get(root, "ephemeral");
	if (eph == NULL)
		eph = json_object_get(root, "de.sorunome.msc2409.ephemeral");
	if (eph != NULL && !json_is_array(eph)) {
		r = MX_ERR_INVALID;
		goto out;
	}
	if (json_array_size(events) > MX_TXN_MAX_EVENTS ||
	    (eph != NULL && json_array_size(eph) > MX_TXN_MAX_EVENTS)) {
		r = MX_ERR_TOO_BIG;
		goto out;
	}
	nd += prune(events, event_ok);
	if (eph != NULL)
		nd += prune(eph, ephemeral_ok);
	out->root = root;
	out->events = events;
	out->ephemeral = eph;
	root = NULL;
	if (dropped != NULL)
		*dropped = nd;
	r = 0;
out:
	json_decref(root);
	return r;
}

void
mx__txn_clear(struct mx_txn *t)
{
	json_decref(t->root);
	memset(t, 0, sizeof(*t));
}

/* --- replay cache --- */

int
mx__txn_cache_seen(struct mx_txn_cache *c, const char *id, const void *body,
    size_t len, uint64_t now_ms)
{
	uint8_t h[32];
	unsigned i;

	crypto_hash_sha256(h, body, len);
	for (i = 0; i < MX_TXN_CACHE_SLOTS; i++) {
		if (c->slot[i].id == NULL)
			continue;
		if (now_ms - c->slot[i].at_ms > MX_TXN_CACHE_TTL_MS)
			continue;
		if (strcmp(c->slot[i].id, id) == 0 &&
		    memcmp(c->slot[i].hash, h, sizeof(h)) == 0)
			return 1;
	}
	return 0;
}

void
mx__txn_cache_add(struct mx_txn_cache *c, const char *id, const void *body,
    size_t len, uint64_t now_ms)
{
	unsigned i = c->next;

	free(c->slot[i].id);
	c->slot[i].id = u_strdup(id);
	crypto_hash_sha256(c->slot[i].hash, body, len);
	c->slot[i].at_ms = now_ms;
	c->next = (i + 1) % MX_TXN_CACHE_SLOTS;
}

void
mx__txn_cache_clear(struct mx_txn_cache *c)
{
	unsigned i;

	for (i = 0; i < MX_TXN_CACHE_SLOTS; i++)
		free(c->slot[i].id);
	memset(c, 0, sizeof(*c));
}

/* --- namespace and echo filter --- */

int
mx__localpart_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '=' || ch == '-' ||
		    ch == '/' || ch == '+'))
			return 0;
	}
	return 1;
}

int
mx__user_id_ok(const char *s)
{
	const char *colon;

	if (s == NULL || s[0] != '@' || strlen(s) > 255)
		return 0;
	colon = strchr(s, ':');
	if (colon == NULL || colon == s + 1 || colon[1] == '\0')
		return 0;
	/* Historical user ids may hold more than today's charset; only
	 * require printable ASCII without spaces. */
	for (s++; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
mx__ns_init(struct mx_ns *ns, const char *bot_localpart,
    const char *username_template, const char *domain, const char *dp_source)
{
	const char *mark;

	memset(ns, 0, sizeof(*ns));
	if (bot_localpart == NULL || domain == NULL ||
	    username_template == NULL ||
	    !mx__localpart_ok(bot_localpart, strlen(bot_localpart)))
		return MX_ERR_INVALID;
	mark = strstr(username_template, "{{.}}");
	if (mark == NULL || strstr(mark + 5, "{{.}}") != NULL)
		return MX_ERR_INVALID;
	ns->bot_id = u_asprintf("@%s:%s", bot_localpart, domain);
	ns->prefix = u_strndup(username_template, (size_t)(mark - username_template));
	ns->suffix = u_strdup(mark + 5);
	ns->domain = u_strdup(domain);
	ns->dp_source = u_strdup(dp_source != NULL ? dp_source : "");
	return 0;
}

void
mx__ns_clear(struct mx_ns *ns)
{
	free(ns->bot_id);
	free(ns->prefix);
	free(ns->suffix);
	free(ns->domain);
	free(ns->dp_source);
	memset(ns, 0, sizeof(*ns));
}

int
mx__ns_is_ours(const struct mx_ns *ns, const char *user_id)
{
	size_t n, pl, sl;
	const char *colon;

	if (user_id == NULL || user_id[0] != '@')
		return 0;
	if (strcmp(user_id, ns->bot_id) == 0)
		return 1;
	colon = strchr(user_id, ':');
	if (colon == NULL || strcmp(colon + 1, ns->domain) != 0)
		return 0;
	n = (size_t)(colon - user_id) - 1;	/* localpart length */
	pl = strlen(ns->prefix);
	sl = strlen(ns->suffix);
	if (n <= pl + sl)
		return 0;
	return strncmp(user_id + 1, ns->prefix, pl) == 0 &&
	    strncmp(user_id + 1 + n - sl, ns->suffix, sl) == 0;
}

int
mx__event_is_echo(const struct mx_ns *ns, json_t *ev)
{
	json_t *content, *src, *ts, *ots;

	if (mx__ns_is_ours(ns, json_string_value(json_object_get(ev, "sender"))))
		return 1;
	/* A double puppet's own events come back from the real user's
	 * account; they carry our source marker.  Another client copying
	 * the content (and the marker) keeps the marker's ts, which then
	 * differs from the new event's origin_server_ts. */
	content = json_object_get(ev, "content");
	src = json_object_get(content, "fi.mau.double_puppet_source");
	if (ns->dp_source[0] == '\0' || !json_is_string(src) ||
	    strcmp(json_string_value(src), ns->dp_source) != 0)
		return 0;
	ts = json_object_get(content, "fi.mau.double_puppet_ts");
	ots = json_object_get(ev, "origin_server_ts");
	if (json_is_integer(ts) && json_is_integer(ots) &&
	    json_integer_value(ts) != json_integer_value(ots))
		return 0;
	return 1;
}

static int
filter_typing(const struct mx_ns *ns, json_t *content)
{
	json_t *ids = json_object_get(content, "user_ids");
	size_t i = 0, before;

	if (!json_is_array(ids))
		return 0;
	before = json_array_size(ids);
	while (i < json_array_size(ids)) {
		json_t *u = json_array_get(ids, i);

		if (!json_is_string(u) || mx__ns_is_ours(ns, json_string_value(u)))
			json_array_remove(ids, i);
		else
			i++;
	}
	/* An empty list is news ("stopped typing") only if it was empty. */
	return json_array_size(ids) > 0 || before == 0;
}

static int
filter_receipt(const struct mx_ns *ns, json_t *content)
{
	const char *eid, *rtype, *user;
	json_t *byev, *byuser, *v;
	void *tmp, *tmp2;

	json_object_foreach_safe(content, tmp, eid, byev) {
		if (!json_is_object(byev)) {
			json_object_del(content, eid);
			continue;
		}
		json_object_foreach_safe(byev, tmp2, rtype, byuser) {
			void *tmp3;

			if (!json_is_object(byuser)) {
				json_object_del(byev, rtype);
				continue;
			}
			json_object_foreach_safe(byuser, tmp3, user, v) {
				if (mx__ns_is_ours(ns, user))
					json_object_del(byuser, user);
			}
			if (json_object_size(byuser) == 0)
				json_object_del(byev, rtype);
		}
		if (json_object_size(byev) == 0)
			json_object_del(content, eid);
	}
	return json_object_size(content) > 0;
}

int
mx__ephemeral_filter(const struct mx_ns *ns, json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *content = json_object_get(ev, "content");

	if (type == NULL)
		return 0;
	if (strcmp(type, "m.typing") == 0)
		return json_is_object(content) && filter_typing(ns, content);
	if (strcmp(type, "m.receipt") == 0)
		return json_is_object(content) && filter_receipt(ns, content);
	if (mx__ns_is_ours(ns, json_string_value(json_object_get(ev, "sender"))))
		return 0;
	return 1;
}

/* --- mxc URIs --- */

int
mx__mxc_parse(const char *mxc, char **server, char **media)
{
	const char *s, *slash, *p;

	if (mxc == NULL || strncmp(mxc, "mxc://", 6) != 0)
		return MX_ERR_BAD_MXC;
	s = mxc + 6;
	slash = strchr(s, '/');
	if (slash == NULL || slash == s || slash - s > 255)
		return MX_ERR_BAD_MXC;
	for (p = s; p < slash; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == ':' || *p == '[' || *p == ']'))
			return MX_ERR_BAD_MXC;
	if (slash[1] == '\0' || strlen(slash + 1) > 255)
		return MX_ERR_BAD_MXC;
	for (p = slash + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return MX_ERR_BAD_MXC;
	*server = u_strndup(s, (size_t)(slash - s));
	*media = u_strdup(slash + 1);
	return 0;
}
