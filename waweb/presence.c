/*
 * presence.c: presence and chat-state stanzas out, their parsers in (see
 * presence.h).  Stateless: who is subscribed and who is typing is the
 * caller's business.
 *
 * Invariants: parsing never allocates; bad input is an error code.
 */
#include <string.h>

#include "util/err.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/presence.h"

/* Last-seen times past this are not believed (year ~2286). */
#define LAST_SEEN_MAX 9999999999ull

const char *
wa_chatstate_name(enum wa_chatstate s)
{
	switch (s) {
	case WA_CHAT_PAUSED:	return "paused";
	case WA_CHAT_COMPOSING:	return "composing";
	case WA_CHAT_RECORDING:	return "recording";
	}
	return "unknown";
}

static int
jid_target_ok(const struct wa_jid *j)
{
	return j != NULL && j->user[0] != '\0' &&
	    (wa_jid_is_user(j) || wa_jid_is_group(j));
}

int
wa_presence_send_chatstate(struct wa_client *c, const struct wa_jid *chat,
    enum wa_chatstate state)
{
	struct wa_node *n, *x;
	struct wa_jid to;

	if (!jid_target_ok(chat) || (unsigned)state > WA_CHAT_RECORDING)
		return U_ERR_INVALID;
	to = wa_jid_to_non_ad(chat);
	n = wa_node_new("chatstate");
	wa_node_set_attr_jid(n, "to", &to);
	x = wa_node_new(state == WA_CHAT_PAUSED ? "paused" : "composing");
	if (state == WA_CHAT_RECORDING)
		wa_node_set_attr(x, "media", "audio");
	wa_node_add_child(n, x);
	return wa_client_send_node(c, n);
}

static int
name_ok(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	if (len == 0 || len > WA_PRESENCE_MAX_NAME)
		return 0;
	/* Control characters would be shown to every contact. */
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int
wa_presence_send(struct wa_client *c, int available, const char *push_name)
{
	struct wa_node *n;

	if (!name_ok(push_name))
		return U_ERR_INVALID;
	n = wa_node_new("presence");
	wa_node_set_attr(n, "type", available ? "available" : "unavailable");
	wa_node_set_attr(n, "name", push_name);
	return wa_client_send_node(c, n);
}

int
wa_presence_subscribe(struct wa_client *c, const struct wa_jid *user)
{
	struct wa_node *n;
	struct wa_jid to;

	if (user == NULL || !wa_jid_is_user(user) || user->user[0] == '\0')
		return U_ERR_INVALID;
	to = wa_jid_to_non_ad(user);
	n = wa_node_new("presence");
	wa_node_set_attr(n, "type", "subscribe");
	wa_node_set_attr_jid(n, "to", &to);
	return wa_client_send_node(c, n);
}

int
wa_presence_is_stanza(const struct wa_node *n)
{
	return n != NULL && (strcmp(n->tag, "presence") == 0 ||
	    strcmp(n->tag, "chatstate") == 0);
}

static int
attr_jid(const struct wa_node *n, const char *key, struct wa_jid *out)
{
	const struct wa_attr *a = wa_node_attr_get(n, key);

	if (a == NULL)
		return U_ERR_NOT_FOUND;
	if (a->kind == WA_VAL_JID) {
		*out = a->jid;
		return 0;
	}
	return wa_jid_parse(a->str, out) == 0 ? 0 : WA_ERR_BAD_JID;
}

static int
parse_chatstate(const struct wa_node *n, struct wa_presence_event *ev)
{
	const struct wa_node *x;
	const char *media;
	int r;

	if (n->kind != WA_CONTENT_LIST || n->nchildren != 1)
		return WA_ERR_BAD_NODE;
	x = n->children[0];
	if (strcmp(x->tag, "composing") == 0) {
		media = wa_node_attr(x, "media");
		ev->state = media != NULL && strcmp(media, "audio") == 0 ?
		    WA_CHAT_RECORDING : WA_CHAT_COMPOSING;
	} else if (strcmp(x->tag, "recording") == 0)
		ev->state = WA_CHAT_RECORDING;
	else if (strcmp(x->tag, "paused") == 0)
		ev->state = WA_CHAT_PAUSED;
	else
		return WA_ERR_BAD_NODE;
	r = attr_jid(n, "participant", &ev->participant);
	if (r == 0)
		ev->has_participant = 1;
	else if (r != U_ERR_NOT_FOUND)
		return r;
	/* A group's chat state names who is typing. */
	if (wa_jid_is_group(&ev->from) && !ev->has_participant)
		return WA_ERR_BAD_NODE;
	return 0;
}

static int
parse_presence(const struct wa_node *n, struct wa_presence_event *ev)
{
	const char *type = wa_node_attr(n, "type");
	const char *last = wa_node_attr(n, "last");
	uint64_t v;

	if (!wa_jid_is_user(&ev->from))
		return WA_ERR_BAD_JID;
	ev->available = type == NULL || strcmp(type, "available") == 0;
	if (type != NULL && !ev->available && strcmp(type, "unavailable") != 0)
		return WA_ERR_BAD_NODE;
	if (last != NULL && strcmp(last, "deny") == 0)
		ev->last_seen_hidden = 1;
	else if (last != NULL) {
		if (wa_node_attr_u64(n, "last", &v) != 0 || v > LAST_SEEN_MAX)
			return WA_ERR_BAD_NODE;
		ev->last_seen = v;
	}
	return 0;
}

int
wa_presence_parse(const struct wa_node *n, struct wa_presence_event *out)
{
	struct wa_presence_event ev;
	int r;

	if (!wa_presence_is_stanza(n))
		return WA_ERR_BAD_NODE;
	memset(&ev, 0, sizeof(ev));
	if ((r = attr_jid(n, "from", &ev.from)) != 0)
		return r == U_ERR_NOT_FOUND ? WA_ERR_BAD_NODE : r;
	if (strcmp(n->tag, "chatstate") == 0) {
		ev.kind = WA_PRESENCE_EV_CHATSTATE;
		if (!wa_jid_is_user(&ev.from) && !wa_jid_is_group(&ev.from))
			return WA_ERR_BAD_JID;
		r = parse_chatstate(n, &ev);
	} else {
		ev.kind = WA_PRESENCE_EV_PRESENCE;
		r = parse_presence(n, &ev);
	}
	if (r != 0)
		return r;
	*out = ev;
	return 0;
}
