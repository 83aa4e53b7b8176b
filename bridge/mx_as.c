/*
 * mx_as.c: bridge/mx.h implemented on matrix/ (the appservice).  The only
 * bridge file that includes a matrix/ header.
 *
 * What it does: maps the config onto struct mx_config, maps the start-up
 * result onto mautrix's exit codes, wraps every call so that its
 * completion reaches the core as br_mx_done_fn, and decodes the
 * appservice's events (borrowed json_t) into the small structs of mx.h.
 *
 * The community bot (community.bot_username, bridge/community*.c): a second
 * bot identity in our registration's namespace.  matrix/ only makes intents
 * for the bridge bot and the ghost template, so the community bot acts as
 * an appservice "double puppet" of our own domain with our own as_token
 * (a secret entry added for homeserver.domain when double_puppet.secrets
 * has none; a configured "as_token:" secret for that domain is used as
 * is).  Its events carry our double-puppet marker, so matrix/ drops their
 * echoes; its membership events (unmarked) are dropped here by sender.
 * Real users of our domain still get no double puppet from that added
 * entry (op_double_puppet refuses them).
 *
 * What it does not do: decide anything.  Permissions, commands and rooms
 * are the core's.
 *
 * Invariants: every queued call has one struct call in the pending list
 * until its completion ran; br_mx_as_free completes the remaining ones
 * with BR_ERR_MX_CANCELLED before freeing the appservice, so no owner of
 * a callback argument leaks it.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/config.h"
#include "bridge/exitcodes.h"
#include "bridge/mx.h"
#include "matrix/mx.h"
#include "util/log.h"
#include "util/mem.h"

/* Longest room id we percent-encode into a path (ids are short). */
#define ROOM_ID_MAX	1024
/* Users listed in one m.typing event that we hand over; more are dropped
 * (a room with more people typing at once is not worth the memory). */
#define TYPING_MAX	64

struct call {
	struct call	*next, *prev;
	struct mx_as	*as;		/* borrowed */
	br_mx_done_fn	 done;		/* one of done / ddone */
	br_mx_data_fn	 ddone;
	void		*arg;		/* borrowed: the caller's */
};

struct mx_as {
	struct br_mx		 mx;	/* mx.impl points back here */
	struct mx_appservice	*as;	/* owned */
	struct br_mx_handlers	 h;
	struct mx_dp_secret	*dp;	/* owned array of borrowed strings */
	struct call		 pending;	/* list head */
	void			(*start_done)(void *, int);
	void			*start_arg;
	char			*cbot_id;	/* owned: community bot or NULL */
	const char		*cbot_name;	/* borrowed: its displayname */
	char			*dp_added;	/* owned: the secret we added
						 * for our domain, or NULL */
	const char		*domain;	/* borrowed (config) */
};

#define AS(mx)	((struct mx_as *)(mx)->impl)
#define IN(i)	((struct mx_intent *)(void *)(i))
#define BIN(i)	((struct br_mx_intent *)(void *)(i))

static int
map_rc(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MX_ERR_CANCELLED:
		return BR_ERR_MX_CANCELLED;
	case MX_ERR_TOO_BIG:
		return BR_ERR_MX_TOO_BIG;
	case MX_ERR_INTERNAL:
	case MX_ERR_NOT_OURS:
	case MX_ERR_BAD_MXC:
		return BR_ERR_MX_INVALID;
	default:
		return BR_ERR_MX_FAILED;
	}
}

static void
call_done(void *arg, int rc, int status, json_t *resp)
{
	struct call *c = arg;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (rc != 0)
		log_debug("matrix call failed: %s (HTTP %d)", mx_strerror(rc),
		    status);
	/* A 404 with M_NOT_FOUND is an answer (no such state event), not a
	 * failure: the portal recovery reads rooms without our state. */
	if (rc == MX_ERR_HTTP && status == 404 && json_is_object(resp) &&
	    json_is_string(json_object_get(resp, "errcode")) &&
	    strcmp(json_string_value(json_object_get(resp, "errcode")),
	    "M_NOT_FOUND") == 0) {
		c->done(c->arg, BR_ERR_MX_NOT_FOUND, resp);
		free(c);
		return;
	}
	c->done(c->arg, map_rc(rc), resp);
	free(c);
}

static struct call *
call_new(struct mx_as *as, br_mx_done_fn done, void *arg)
{
	struct call *c = u_calloc(1, sizeof(*c));

	c->as = as;
	c->done = done;
	c->arg = arg;
	c->next = as->pending.next;
	c->prev = &as->pending;
	as->pending.next->prev = c;
	as->pending.next = c;
	return c;
}

/* Queue or undo: r is what the matrix/ call returned. */
static int
call_queued(struct call *c, int r)
{
	if (r == 0)
		return 0;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
	return map_rc(r);
}

#define WRAP(in, done, arg, expr) do {					\
	struct call *c = call_new(AS(mx), done, arg);			\
	return call_queued(c, (expr));					\
} while (0)

/* ---- ops ---- */

static struct br_mx_intent *
op_bot(struct br_mx *mx)
{
	return BIN(mx_appservice_bot(AS(mx)->as));
}

static struct br_mx_intent *
op_ghost(struct br_mx *mx, const char *remote_id)
{
	char *uid = mx_appservice_ghost_id(AS(mx)->as, remote_id);
	struct mx_intent *in;

	if (uid == NULL)
		return NULL;
	in = mx_intent_for(AS(mx)->as, uid);
	free(uid);
	return BIN(in);
}

static const char *
op_user_id(const struct br_mx_intent *in)
{
	return mx_intent_user_id((const struct mx_intent *)(const void *)in);
}

static const char *
op_bot_id(const struct br_mx *mx)
{
	return mx_appservice_bot_id(AS(mx)->as);
}

static int
op_is_ours(const struct br_mx *mx, const char *user_id)
{
	if (AS(mx)->cbot_id != NULL && user_id != NULL &&
	    strcmp(user_id, AS(mx)->cbot_id) == 0)
		return 1;
	return mx_appservice_is_ours(AS(mx)->as, user_id);
}

static struct br_mx_intent *
op_double_puppet(struct br_mx *mx, const char *user_id)
{
	struct mx_intent *in;
	const char *colon;

	/* The secret we added for the community bot is not for real
	 * users: our as_token cannot act for them. */
	if (AS(mx)->dp_added != NULL && user_id != NULL &&
	    (AS(mx)->cbot_id == NULL || strcmp(user_id, AS(mx)->cbot_id)
	    != 0) && (colon = strchr(user_id, ':')) != NULL &&
	    strcmp(colon + 1, AS(mx)->domain) == 0)
		return NULL;
	if (mx_intent_double_puppet(AS(mx)->as, user_id, &in) < 0)
		return NULL;
	return BIN(in);
}

static struct br_mx_intent *
op_community_bot(struct br_mx *mx)
{
	struct mx_intent *in;

	if (AS(mx)->cbot_id == NULL ||
	    mx_intent_double_puppet(AS(mx)->as, AS(mx)->cbot_id, &in) < 0)
		return NULL;
	return BIN(in);
}

static int
op_ensure_registered(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_ensure_registered(IN(in), call_done, c));
}

static int
op_ensure_joined(struct br_mx *mx, struct br_mx_intent *in, const char *room_id,
    br_mx_done_fn done, void *arg)
{
	/* Join; on 403 the bot invites the intent first (ghosts). */
	WRAP(in, done, arg, mx_intent_ensure_joined(IN(in), room_id, call_done,
	    c));
}

static int
op_set_displayname(struct br_mx *mx, struct br_mx_intent *in, const char *name,
    br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_set_displayname(IN(in), name, call_done,
	    c));
}

static int
op_set_avatar(struct br_mx *mx, struct br_mx_intent *in, const char *mxc, br_mx_done_fn done,
    void *arg)
{
	WRAP(in, done, arg, mx_intent_set_avatar_url(IN(in), mxc, call_done,
	    c));
}

static int
send_json(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *type,
    json_t *content, uint64_t ts, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_send(IN(in), room_id, type, content, ts,
	    call_done, c));
}

static int
op_send_message(struct br_mx *mx, struct br_mx_intent *in, const char *room_id,
    const char *msgtype, const char *body, const char *html,
    br_mx_done_fn done, void *arg)
{
	json_t *content;
	int r;

	if (msgtype == NULL || body == NULL)
		return BR_ERR_MX_INVALID;
	content = json_pack("{s:s, s:s}", "msgtype", msgtype, "body", body);
	if (content == NULL)
		return BR_ERR_MX_INVALID;	/* not UTF-8 */
	if (html != NULL && (json_object_set_new(content, "format",
	    json_string("org.matrix.custom.html")) < 0 ||
	    json_object_set_new(content, "formatted_body",
	    json_string(html)) < 0)) {
		json_decref(content);
		return BR_ERR_MX_INVALID;
	}
	r = send_json(mx, in, room_id, "m.room.message", content, 0, done, arg);
	json_decref(content);
	return r;
}

static int
op_send_event(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *type,
    json_t *content, uint64_t ts_ms, br_mx_done_fn done, void *arg)
{
	return send_json(mx, in, room_id, type, content, ts_ms, done, arg);
}

static int
op_send_event_txn(struct br_mx *mx, struct br_mx_intent *in,
    const char *room_id, const char *type, json_t *content, uint64_t ts_ms,
    const char *txn_id, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_send_txn(IN(in), room_id, type, content,
	    ts_ms, txn_id, call_done, c));
}

static int
op_send_state(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *type,
    const char *state_key, json_t *content, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_send_state(IN(in), room_id, type,
	    state_key, content, 0, call_done, c));
}

static int
op_create_room(struct br_mx *mx, struct br_mx_intent *in, json_t *req, br_mx_done_fn done,
    void *arg)
{
	WRAP(in, done, arg, mx_intent_create_room(IN(in), req, call_done, c));
}

static int
op_invite(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *user_id,
    br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_invite(IN(in), room_id, user_id, NULL,
	    call_done, c));
}

static int
op_kick(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *user_id,
    const char *reason, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_kick(IN(in), room_id, user_id, reason,
	    call_done, c));
}

static int
op_leave(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *reason,
    br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_leave(IN(in), room_id, reason, call_done,
	    c));
}

static int
op_redact(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *event_id,
    const char *reason, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_redact(IN(in), room_id, event_id, reason,
	    call_done, c));
}

static int
op_typing(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, int typing,
    unsigned timeout_ms, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_typing(IN(in), room_id, typing,
	    timeout_ms, call_done, c));
}

static int
op_receipt(struct br_mx *mx, struct br_mx_intent *in, const char *room_id, const char *event_id,
    br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_receipt(IN(in), room_id, event_id,
	    call_done, c));
}

static int
op_upload(struct br_mx *mx, struct br_mx_intent *in, const void *data, size_t len,
    const char *content_type, const char *filename, br_mx_done_fn done,
    void *arg)
{
	WRAP(in, done, arg, mx_intent_upload(IN(in), data, len, content_type,
	    filename, call_done, c));
}

static void
call_data_done(void *arg, int rc, const uint8_t *data, size_t len,
    const char *content_type)
{
	struct call *c = arg;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (rc != 0)
		log_debug("matrix download failed: %s", mx_strerror(rc));
	c->ddone(c->arg, map_rc(rc), rc == 0 ? data : NULL, rc == 0 ? len : 0,
	    rc == 0 ? content_type : NULL);
	free(c);
}

static int
op_download(struct br_mx *mx, struct br_mx_intent *in, const char *mxc,
    size_t max, br_mx_data_fn done, void *arg)
{
	struct call *c = call_new(AS(mx), NULL, arg);

	c->ddone = done;
	return call_queued(c, mx_intent_download(IN(in), mxc, max,
	    call_data_done, c));
}

/* Percent-encode everything but unreserved characters (RFC 3986). */
static int
path_escape(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= outsz)
				return -1;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

static int
op_joined_members(struct br_mx *mx, struct br_mx_intent *in, const char *room_id,
    br_mx_done_fn done, void *arg)
{
	char esc[3 * ROOM_ID_MAX + 1], path[3 * ROOM_ID_MAX + 64];

	if (strlen(room_id) > ROOM_ID_MAX ||
	    path_escape(room_id, esc, sizeof(esc)) < 0)
		return BR_ERR_MX_INVALID;
	snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/"
	    "joined_members", esc);
	WRAP(in, done, arg, mx_intent_request(IN(in), "GET", path, NULL, NULL,
	    call_done, c));
}

static json_t *
op_portal_create_req(struct br_mx *mx, const struct br_mx_room_spec *rs)
{
	struct mx_portal_spec sp;

	if (rs == NULL || rs->channel_id == NULL)
		return NULL;
	memset(&sp, 0, sizeof(sp));
	sp.channel_id = rs->channel_id;
	sp.name = rs->name;
	sp.topic = rs->topic;
	sp.avatar_mxc = rs->avatar_mxc;
	sp.receiver = rs->receiver;
	sp.is_dm = rs->is_dm;
	sp.announce = rs->announce;
	sp.locked = rs->locked;
	sp.federate = rs->federate;
	sp.invite = rs->invite;
	sp.users_pl = rs->users_pl;
	return mx_portal_create_req(AS(mx)->as, &sp);
}

static const char *
op_bridge_state_key(const struct br_mx *mx)
{
	return mx_appservice_bridge_state_key(AS(mx)->as);
}

static int
op_joined_rooms(struct br_mx *mx, struct br_mx_intent *in, br_mx_done_fn done,
    void *arg)
{
	WRAP(in, done, arg, mx_intent_request(IN(in), "GET",
	    "/_matrix/client/v3/joined_rooms", NULL, NULL, call_done, c));
}

static int
op_get_state(struct br_mx *mx, struct br_mx_intent *in, const char *room_id,
    const char *type, const char *state_key, br_mx_done_fn done, void *arg)
{
	WRAP(in, done, arg, mx_intent_get_state(IN(in), room_id, type,
	    state_key, call_done, c));
}

static int
op_get_state_event(struct br_mx *mx, struct br_mx_intent *in,
    const char *room_id, const char *type, const char *state_key,
    br_mx_done_fn done, void *arg)
{
	char r[3 * ROOM_ID_MAX + 1], t[3 * ROOM_ID_MAX + 1];
	char k[3 * ROOM_ID_MAX + 1], path[9 * ROOM_ID_MAX + 64];

	if (room_id == NULL || type == NULL || state_key == NULL ||
	    strlen(room_id) > ROOM_ID_MAX || strlen(type) > ROOM_ID_MAX ||
	    strlen(state_key) > ROOM_ID_MAX ||
	    path_escape(room_id, r, sizeof(r)) < 0 ||
	    path_escape(type, t, sizeof(t)) < 0 ||
	    path_escape(state_key, k, sizeof(k)) < 0)
		return BR_ERR_MX_INVALID;
	snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/state/%s/%s",
	    r, t, k);
	WRAP(in, done, arg, mx_intent_request(IN(in), "GET", path,
	    "format=event", NULL, call_done, c));
}

static int
op_room_state_list(struct br_mx *mx, struct br_mx_intent *in,
    const char *room_id, br_mx_done_fn done, void *arg)
{
	char esc[3 * ROOM_ID_MAX + 1], path[3 * ROOM_ID_MAX + 64];

	if (room_id == NULL || strlen(room_id) > ROOM_ID_MAX ||
	    path_escape(room_id, esc, sizeof(esc)) < 0)
		return BR_ERR_MX_INVALID;
	/* limit=1: the state is what we want, not the timeline. */
	snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/initialSync",
	    esc);
	WRAP(in, done, arg, mx_intent_request(IN(in), "GET", path, "limit=1",
	    NULL, call_done, c));
}

static const struct br_mx_ops as_ops = {
	.bot = op_bot,
	.ghost = op_ghost,
	.user_id = op_user_id,
	.bot_id = op_bot_id,
	.is_ours = op_is_ours,
	.ensure_registered = op_ensure_registered,
	.ensure_joined = op_ensure_joined,
	.set_displayname = op_set_displayname,
	.set_avatar = op_set_avatar,
	.send_message = op_send_message,
	.send_event = op_send_event,
	.send_event_txn = op_send_event_txn,
	.send_state = op_send_state,
	.create_room = op_create_room,
	.invite = op_invite,
	.kick = op_kick,
	.leave = op_leave,
	.redact = op_redact,
	.typing = op_typing,
	.receipt = op_receipt,
	.upload = op_upload,
	.download = op_download,
	.joined_members = op_joined_members,
	.double_puppet = op_double_puppet,
	.portal_create_req = op_portal_create_req,
	.bridge_state_key = op_bridge_state_key,
	.joined_rooms = op_joined_rooms,
	.get_state = op_get_state,
	.get_state_event = op_get_state_event,
	.room_state_list = op_room_state_list,
	.community_bot = op_community_bot,
};

/* ---- incoming events ---- */

static const char *
str_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *
str_or(json_t *o, const char *key, const char *def)
{
	const char *s = str_at(o, key);

	return s != NULL ? s : def;
}

static void
on_message(const struct br_mx_handlers *h, const struct br_mx *mx,
    json_t *ev, json_t *content)
{
	struct br_mx_message m;
	json_t *rel = json_object_get(content, "m.relates_to"), *ts;

	if (h->on_message == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.room_id = str_at(ev, "room_id");
	m.event_id = str_at(ev, "event_id");
	m.sender = str_at(ev, "sender");
	/* An m.sticker event is a message of msgtype "m.sticker" to the
	 * core (upstream treats it so). */
	m.msgtype = strcmp(str_or(ev, "type", ""), "m.sticker") == 0 ?
	    "m.sticker" : str_or(content, "msgtype", "");
	m.body = str_at(content, "body");
	if (m.body == NULL)
		return;	/* not a message we can read (e.g. redacted) */
	if (strcmp(str_or(content, "format", ""),
	    "org.matrix.custom.html") == 0)
		m.formatted_body = str_at(content, "formatted_body");
	m.reply_to = str_at(json_object_get(rel, "m.in_reply_to"), "event_id");
	if (strcmp(str_or(rel, "rel_type", ""), "m.replace") == 0)
		m.edit_of = str_at(rel, "event_id");
	ts = json_object_get(ev, "origin_server_ts");
	m.ts_ms = json_is_integer(ts) && json_integer_value(ts) > 0 ?
	    (uint64_t)json_integer_value(ts) : 0;
	m.content = content;
	h->on_message(h->arg, &m);
}

/* A state event of the kinds the core bridges (only with an empty state
 * key, as the spec has them). */
static void
on_state(const struct br_mx_handlers *h, json_t *ev, const char *type,
    json_t *content)
{
	struct br_mx_state s;

	if (h->on_state == NULL || str_at(ev, "state_key") == NULL ||
	    str_at(ev, "state_key")[0] != '\0')
		return;
	memset(&s, 0, sizeof(s));
	s.room_id = str_at(ev, "room_id");
	s.event_id = str_at(ev, "event_id");
	s.sender = str_at(ev, "sender");
	s.type = type;
	s.state_key = "";
	s.content = content;
	h->on_state(h->arg, &s);
}

static void
on_member(const struct br_mx_handlers *h, const struct br_mx *mx,
    json_t *ev, json_t *content)
{
	struct br_mx_member m;
	json_t *prev;

	if (h->on_member == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.room_id = str_at(ev, "room_id");
	m.event_id = str_at(ev, "event_id");
	m.sender = str_at(ev, "sender");
	m.state_key = str_at(ev, "state_key");
	m.membership = str_at(content, "membership");
	if (m.state_key == NULL || m.membership == NULL)
		return;
	prev = json_object_get(json_object_get(json_object_get(ev, "unsigned"),
	    "prev_content"), "membership");
	m.prev_membership = json_is_string(prev) ? json_string_value(prev) : "";
	m.reason = str_or(content, "reason", "");
	m.is_direct = json_is_true(json_object_get(content, "is_direct"));
	m.target_is_bot = strcmp(m.state_key,
	    mx->ops->bot_id(mx)) == 0;
	if (mx->ops->community_bot != NULL) {
		struct br_mx_intent *cb = mx->ops->community_bot(
		    (struct br_mx *)mx);

		m.target_is_community_bot = cb != NULL &&
		    strcmp(mx->ops->user_id(cb), m.state_key) == 0;
	}
	m.target_is_ghost = !m.target_is_bot && !m.target_is_community_bot &&
	    mx->ops->is_ours(mx, m.state_key);
	h->on_member(h->arg, &m);
}

static void
on_redaction(const struct br_mx_handlers *h, const struct br_mx *mx,
    json_t *ev, json_t *content)
{
	struct br_mx_redaction r;

	if (h->on_redaction == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.room_id = str_at(ev, "room_id");
	r.event_id = str_at(ev, "event_id");
	r.sender = str_at(ev, "sender");
	/* Room v11 moved redacts into the content; older rooms have it at
	 * the top level. */
	r.redacts = str_at(content, "redacts");
	if (r.redacts == NULL)
		r.redacts = str_at(ev, "redacts");
	r.reason = str_or(content, "reason", "");
	if (r.redacts != NULL)
		h->on_redaction(h->arg, &r);
}

static void
on_reaction(const struct br_mx_handlers *h, const struct br_mx *mx,
    json_t *ev, json_t *content)
{
	struct br_mx_reaction r;
	json_t *rel = json_object_get(content, "m.relates_to");

	if (h->on_reaction == NULL ||
	    strcmp(str_or(rel, "rel_type", ""), "m.annotation") != 0)
		return;
	memset(&r, 0, sizeof(r));
	r.room_id = str_at(ev, "room_id");
	r.event_id = str_at(ev, "event_id");
	r.sender = str_at(ev, "sender");
	r.target = str_at(rel, "event_id");
	r.key = str_at(rel, "key");
	if (r.target != NULL && r.key != NULL)
		h->on_reaction(h->arg, &r);
}

void
br_mx_decode_event(const struct br_mx_handlers *h, const struct br_mx *mx,
    json_t *ev)
{
	const char *type = str_or(ev, "type", "");
	json_t *content = json_object_get(ev, "content");

	if (!json_is_object(content) || str_at(ev, "room_id") == NULL ||
	    str_at(ev, "sender") == NULL || str_at(ev, "event_id") == NULL)
		return;
	if (strcmp(type, "m.room.message") == 0 ||
	    strcmp(type, "m.sticker") == 0)
		on_message(h, mx, ev, content);
	else if (strcmp(type, "m.room.name") == 0 ||
	    strcmp(type, "m.room.topic") == 0 ||
	    strcmp(type, "m.room.avatar") == 0)
		on_state(h, ev, type, content);
	else if (strcmp(type, "m.room.member") == 0)
		on_member(h, mx, ev, content);
	else if (strcmp(type, "m.room.redaction") == 0)
		on_redaction(h, mx, ev, content);
	else if (strcmp(type, "m.reaction") == 0)
		on_reaction(h, mx, ev, content);
}

static void
on_typing(const struct br_mx_handlers *h, const struct br_mx *mx,
     const char *room_id, json_t *content)
{
	const char *ids[TYPING_MAX];
	struct br_mx_typing t;
	json_t *list = json_object_get(content, "user_ids"), *v;
	size_t i, n = 0;

	if (h->on_typing == NULL || !json_is_array(list))
		return;
	json_array_foreach(list, i, v) {
		if (json_is_string(v) && n < TYPING_MAX)
			ids[n++] = json_string_value(v);
	}
	t.room_id = room_id;
	t.user_ids = ids;
	t.n = n;
	h->on_typing(h->arg, &t);
}

/* {"$event": {"m.read": {"@user": {"ts": 1}}}} */
static void
on_receipts(const struct br_mx_handlers *h, const struct br_mx *mx,
     const char *room_id, json_t *content)
{
	const char *eid, *rtype, *uid;
	json_t *byev, *bytype, *info, *ts;
	struct br_mx_receipt r;

	if (h->on_receipt == NULL)
		return;
	json_object_foreach(content, eid, byev) {
		json_object_foreach(byev, rtype, bytype) {
			json_object_foreach(bytype, uid, info) {
				memset(&r, 0, sizeof(r));
				r.room_id = room_id;
				r.event_id = eid;
				r.type = rtype;
				r.user_id = uid;
				ts = json_object_get(info, "ts");
				r.ts_ms = json_is_integer(ts) &&
				    json_integer_value(ts) > 0 ?
				    (uint64_t)json_integer_value(ts) : 0;
				h->on_receipt(h->arg, &r);
			}
		}
	}
}

void
br_mx_decode_ephemeral(const struct br_mx_handlers *h, const struct br_mx *mx,
    json_t *ev)
{
	const char *type = str_or(ev, "type", "");
	const char *room_id = str_at(ev, "room_id");
	json_t *content = json_object_get(ev, "content");

	if (room_id == NULL || !json_is_object(content))
		return;
	if (strcmp(type, "m.typing") == 0)
		on_typing(h, mx, room_id, content);
	else if (strcmp(type, "m.receipt") == 0)
		on_receipts(h, mx, room_id, content);
}

static void
as_on_event(void *arg, json_t *ev)
{
	struct mx_as *as = arg;
	json_t *sender = json_object_get(ev, "sender");

	/* The community bot's own events (its joins; its messages are
	 * already dropped by matrix/ through the double-puppet marker). */
	if (as->cbot_id != NULL && json_is_string(sender) &&
	    strcmp(json_string_value(sender), as->cbot_id) == 0)
		return;
	br_mx_decode_event(&as->h, &as->mx, ev);
}

static void
as_on_ephemeral(void *arg, json_t *ev)
{
	struct mx_as *as = arg;

	br_mx_decode_ephemeral(&as->h, &as->mx, ev);
}

/* ---- life cycle ---- */

int
br_mx_as_new(struct u_loop *loop, const struct br_config *cfg,
    int ignore_unsupported_server, const struct br_mx_handlers *h,
    struct br_mx **out)
{
	struct mx_config mc;
	struct mx_callbacks cb;
	struct mx_as *as;
	size_t i, n = 0;
	int r, own = 0;

	as = u_calloc(1, sizeof(*as));
	as->mx.ops = &as_ops;
	as->mx.impl = as;
	as->h = *h;
	as->pending.next = as->pending.prev = &as->pending;
	memset(&mc, 0, sizeof(mc));
	mc.hs_address = cfg->homeserver.address;
	mc.domain = cfg->homeserver.domain;
	mc.as_id = cfg->appservice.id;
	mc.as_token = cfg->appservice.as_token;
	mc.hs_token = cfg->appservice.hs_token;
	mc.listen_host = cfg->appservice.hostname;
	mc.listen_port = (int)cfg->appservice.port;
	mc.bot_localpart = cfg->appservice.bot_username;
	/* mautrix semantics, handled by matrix/: "" leaves the profile
	 * field alone, "remove" clears it (the config validated the avatar
	 * as "", "remove" or an mxc:// URI). */
	mc.bot_displayname = cfg->appservice.bot_displayname;
	mc.bot_avatar = cfg->appservice.bot_avatar;
	mc.username_template = cfg->appservice.username_template;
	mc.ephemeral = cfg->appservice.ephemeral_events;
	mc.ignore_spec_version = ignore_unsupported_server;
	as->domain = cfg->homeserver.domain;
	as->dp = u_calloc(cfg->double_puppet.n_secrets + 1, sizeof(*as->dp));
	for (i = 0; i < cfg->double_puppet.n_secrets; i++) {
		as->dp[n].server = cfg->double_puppet.secrets[i].key;
		as->dp[n].secret = cfg->double_puppet.secrets[i].val;
		if (strcmp(as->dp[n].server, as->domain) == 0)
			own = 1;
		n++;
	}
	if (cfg->community.enabled && cfg->community.bot_username[0] != '\0') {
		as->cbot_id = u_asprintf("@%s:%s", cfg->community.bot_username,
		    cfg->homeserver.domain);
		as->cbot_name = cfg->community.bot_displayname;
		if (!own) {
			as->dp_added = u_asprintf("as_token:%s",
			    cfg->appservice.as_token);
			as->dp[n].server = as->domain;
			as->dp[n].secret = as->dp_added;
			n++;
		}
	}
	mc.dp_secrets = as->dp;
	mc.dp_nsecrets = n;
	memset(&cb, 0, sizeof(cb));
	cb.on_event = as_on_event;
	cb.on_ephemeral = as_on_ephemeral;
	cb.arg = as;
	r = mx_appservice_new(loop, &mc, &cb, &as->as);
	if (r < 0) {
		log_warnx("Failed to start the appservice HTTP listener on "
		    "%s:%d: %s", mc.listen_host, mc.listen_port,
		    mx_strerror(r));
		free(as->dp);
		free(as->cbot_id);
		if (as->dp_added != NULL)
			u_free_secret(as->dp_added, strlen(as->dp_added));
		free(as);
		return BR_EXIT_NO_LISTENER;
	}
	*out = &as->mx;
	return BR_EXIT_OK;
}

int
br_mx_as_port(const struct br_mx *mx)
{
	return mx_appservice_port(AS(mx)->as);
}

/* The community bot: registered (M_USER_IN_USE is fine) through the
 * bridge bot's token, then its displayname.  Failures are logged; the
 * feature then answers nothing from that identity. */
static void
cbot_named(void *arg, int rc, int status, json_t *resp)
{
	(void)arg;
	(void)resp;
	if (rc != 0 && rc != MX_ERR_CANCELLED)
		log_warnx("Failed to set the community bot's displayname: %s "
		    "(HTTP %d)", mx_strerror(rc), status);
}

static void
cbot_registered(void *arg, int rc, int status, json_t *resp)
{
	struct mx_as *as = arg;
	struct mx_intent *in;
	json_t *ec = json_object_get(resp, "errcode");

	if (rc == MX_ERR_CANCELLED)
		return;
	if (rc != 0 && !(json_is_string(ec) && strcmp(json_string_value(ec),
	    "M_USER_IN_USE") == 0)) {
		log_warnx("Failed to register the community bot %s: %s (HTTP "
		    "%d); is it in the registration (run -g again)?",
		    as->cbot_id, mx_strerror(rc), status);
		return;
	}
	if (as->cbot_name == NULL || as->cbot_name[0] == '\0')
		return;
	if (mx_intent_double_puppet(as->as, as->cbot_id, &in) < 0) {
		log_warnx("The community bot %s has no appservice secret for "
		    "%s in double_puppet.secrets", as->cbot_id, as->domain);
		return;
	}
	(void)mx_intent_set_displayname(in, as->cbot_name, cbot_named, as);
}

static void
cbot_register(struct mx_as *as)
{
	const char *colon = strchr(as->cbot_id, ':');
	char *lp = u_strndup(as->cbot_id + 1, (size_t)(colon - as->cbot_id) - 1);
	json_t *body = json_pack("{s:s,s:s,s:b}", "type",
	    "m.login.application_service", "username", lp, "inhibit_login", 1);

	if (mx_intent_request(mx_appservice_bot(as->as), "POST",
	    "/_matrix/client/v3/register", NULL, body, cbot_registered,
	    as) != 0)
		log_warnx("Failed to register the community bot %s",
		    as->cbot_id);
	json_decref(body);
	free(lp);
}

static void
start_done(void *arg, int rc)
{
	struct mx_as *as = arg;
	int code;

	switch (rc) {
	case 0:
		code = BR_EXIT_OK;
		break;
	case MX_ERR_START_WHOAMI:
		code = BR_EXIT_WHOAMI;
		break;
	case MX_ERR_START_PING:
		code = BR_EXIT_HS_PING;
		break;
	case MX_ERR_START_VERSION:
		/* mautrix-go's connector exits 18 here (docs/matrix.md says
		 * 16; the upstream code wins). */
		code = BR_EXIT_HS_OUTDATED;
		break;
	default:	/* CONNECT and anything unexpected */
		code = BR_EXIT_HS_CONNECT;
		break;
	}
	if (rc != 0)
		log_warnx("Matrix start-up failed: %s", mx_strerror(rc));
	else if (as->cbot_id != NULL)
		cbot_register(as);
	as->start_done(as->start_arg, code);
}

void
br_mx_as_start(struct br_mx *mx, void (*done)(void *arg, int code), void *arg)
{
	struct mx_as *as = AS(mx);

	as->start_done = done;
	as->start_arg = arg;
	mx_appservice_start(as->as, start_done, as);
}

void
br_mx_as_free(struct br_mx *mx)
{
	struct mx_as *as;
	struct call *c;

	if (mx == NULL)
		return;
	as = AS(mx);
	/* Complete our pending calls first (their owners free their
	 * arguments), then let matrix/ drop its side without callbacks. */
	while ((c = as->pending.next) != &as->pending) {
		c->prev->next = c->next;
		c->next->prev = c->prev;
		mx_appservice_cancel(as->as, c);
		if (c->ddone != NULL)
			c->ddone(c->arg, BR_ERR_MX_CANCELLED, NULL, 0, NULL);
		else
			c->done(c->arg, BR_ERR_MX_CANCELLED, NULL);
		free(c);
	}
	mx_appservice_free(as->as);
	free(as->dp);
	free(as->cbot_id);
	if (as->dp_added != NULL)
		u_free_secret(as->dp_added, strlen(as->dp_added));
	free(as);
}
