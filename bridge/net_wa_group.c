/*
 * net_wa_group.c: the WhatsApp side's groups, chat states and chat info
 * (bridge/net.h slots chat_info, list_groups, create_group, set_name,
 * set_topic, set_avatar, members, invite_link, join_link, leave,
 * set_typing, resolve; events on_group and on_typing) on waweb/group.h,
 * waweb/presence.h and waweb/usync.h.
 *
 * JIDs cross to the core as strings: groups "<id>@g.us"; users as
 * "<digits>@s.whatsapp.net" when the server named the phone number
 * (phone_number / participant_pn), else the JID as sent (a LID).
 *
 * Pictures (waweb/picture.h): the avatar slot asks the server for a
 * user's or group's picture with the id the core holds and downloads a
 * new one (a plain HTTPS GET, TLS verified, ponton.whatsapp.media_ca_file
 * trusted when set); a group's chat_info carries its picture (fetched
 * first, then the metadata; a picture that cannot be had leaves the
 * avatar out, never fails the info); users' picture notifications become
 * on_user_avatar.
 *
 * Does not: invite_user (needs a GroupInviteMessage send, content.c and
 * send_message.c), DM contact names or avatars (chat_info of a DM answers
 * the JID only; ghosts get users' pictures through the avatar slot).
 *
 * Invariants: every done callback is called exactly once and never from
 * inside the call that started it (the waweb iq completes later; a DM's
 * chat_info is deferred to the next loop turn); everything handed to the
 * core is borrowed for the callback only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/net_wa_group.h"
#include "bridge/net_wa_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/group.h"
#include "util/http.h"
#include "waweb/node.h"
#include "waweb/picture.h"
#include "waweb/presence.h"
#include "waweb/store.h"
#include "waweb/usync.h"

/* Users in one members / create call (a group holds at most 1024). */
#define NW_GROUP_MAX_USERS WA_GROUP_MAX_PARTICIPANTS

typedef char jidstr[WA_JID_STR_MAX];

/* The user JID the core sees for a participant. */
static void
user_of(const struct wa_group_participant *p, char *buf)
{
	struct wa_jid j = wa_jid_to_non_ad(p->has_pn ? &p->phone_number :
	    &p->jid);

	wa_jid_format(&j, buf, WA_JID_STR_MAX);
}

/* --- chat info from group metadata ------------------------------------------ */

struct info_buf {
	struct br_net_chat_info	 ci;
	struct br_net_member	*members;	/* owned */
	jidstr			*users;		/* owned */
	jidstr			 chat;
};

static void
info_fill(struct info_buf *b, const struct wa_group_info *g)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	wa_jid_format(&g->jid, b->chat, sizeof(b->chat));
	b->ci.chat = b->chat;
	b->ci.is_group = 1;
	b->ci.name = g->subject[0] != '\0' ? g->subject : NULL;
	b->ci.topic = g->description;
	b->ci.announce = g->announce;
	b->ci.locked = g->locked;
	if (g->nparticipants == 0)
		return;
	b->members = u_calloc(g->nparticipants, sizeof(*b->members));
	b->users = u_calloc(g->nparticipants, sizeof(*b->users));
	for (i = 0; i < g->nparticipants; i++) {
		const struct wa_group_participant *p = &g->participants[i];

		/* Participants the server refused (create) are not members. */
		if (p->error != 0)
			continue;
		user_of(p, b->users[b->ci.n_members]);
		b->members[b->ci.n_members].user = b->users[b->ci.n_members];
		b->members[b->ci.n_members].role =
		    p->role == WA_GROUP_SUPERADMIN ? BR_NET_SUPERADMIN :
		    p->role == WA_GROUP_ADMIN ? BR_NET_ADMIN : BR_NET_MEMBER;
		b->ci.n_members++;
	}
	b->ci.members = b->members;
}

static void
info_clear(struct info_buf *b)
{
	free(b->members);
	free(b->users);
}

/* --- notifications ------------------------------------------------------- */

static int
is_self(const struct wa_group_participant *p, const char *self_pn,
    const char *self_lid)
{
	return (self_pn != NULL && p->has_pn &&
	    strcmp(p->phone_number.user, self_pn) == 0) ||
	    (self_lid != NULL && p->has_lid &&
	    strcmp(p->lid.user, self_lid) == 0) ||
	    (self_pn != NULL && wa_jid_is_pn(&p->jid) &&
	    strcmp(p->jid.user, self_pn) == 0) ||
	    (self_lid != NULL && wa_jid_is_lid(&p->jid) &&
	    strcmp(p->jid.user, self_lid) == 0);
}

void
br__nw_group_map(const struct wa_group_event *ev, const char *self_pn,
    const char *self_lid,
    void (*emit)(void *arg, const struct br_net_group_event *g), void *arg)
{
	struct br_net_group_event g;
	struct info_buf ib;
	jidstr chat, actor, *users;
	const char **uv;
	size_t i, k;
	int left;

	wa_jid_format(&ev->group, chat, sizeof(chat));
	if (ev->has_actor_pn || ev->has_actor) {
		struct wa_jid a = wa_jid_to_non_ad(ev->has_actor_pn ?
		    &ev->actor_pn : &ev->actor);

		wa_jid_format(&a, actor, sizeof(actor));
	}
	for (i = 0; i < ev->nchanges; i++) {
		const struct wa_group_change *c = &ev->changes[i];

		memset(&g, 0, sizeof(g));
		g.chat = chat;
		g.actor = ev->has_actor_pn || ev->has_actor ? actor : NULL;
		g.announce = g.locked = -1;
		users = NULL;
		uv = NULL;
		if (c->nparticipants > 0) {
			users = u_calloc(c->nparticipants, sizeof(*users));
			uv = u_calloc(c->nparticipants, sizeof(*uv));
			for (k = 0; k < c->nparticipants; k++) {
				user_of(&c->participants[k], users[k]);
				uv[k] = users[k];
			}
			g.users = uv;
			g.n_users = c->nparticipants;
		}
		left = 0;
		for (k = 0; k < c->nparticipants; k++)
			if (is_self(&c->participants[k], self_pn, self_lid))
				left = 1;
		switch (c->kind) {
		case WA_GROUP_CH_CREATE:
			if (c->info == NULL)
				goto skip;
			info_fill(&ib, c->info);
			g.change = BR_NET_GROUP_JOINED;
			g.info = &ib.ci;
			emit(arg, &g);
			info_clear(&ib);
			goto skip;
		case WA_GROUP_CH_ADD:
			g.change = BR_NET_GROUP_ADD;
			break;
		case WA_GROUP_CH_REMOVE:
		case WA_GROUP_CH_LEAVE:
			g.change = left ? BR_NET_GROUP_LEFT :
			    BR_NET_GROUP_REMOVE;
			break;
		case WA_GROUP_CH_DELETE:
			g.change = BR_NET_GROUP_LEFT;
			break;
		case WA_GROUP_CH_PROMOTE:
			g.change = BR_NET_GROUP_PROMOTE;
			break;
		case WA_GROUP_CH_DEMOTE:
			g.change = BR_NET_GROUP_DEMOTE;
			break;
		case WA_GROUP_CH_SUBJECT:
			g.change = BR_NET_GROUP_NAME;
			g.text = c->text;
			break;
		case WA_GROUP_CH_DESCRIPTION:
			g.change = BR_NET_GROUP_TOPIC;
			g.text = c->text != NULL ? c->text : "";
			break;
		case WA_GROUP_CH_PICTURE:
			g.change = BR_NET_GROUP_AVATAR;
			break;
		case WA_GROUP_CH_ANNOUNCE:
			g.change = BR_NET_GROUP_SETTINGS;
			g.announce = c->on;
			break;
		case WA_GROUP_CH_LOCKED:
			g.change = BR_NET_GROUP_SETTINGS;
			g.locked = c->on;
			break;
		default:
			/* invite, approval, ephemeral: no core event. */
			goto skip;
		}
		emit(arg, &g);
skip:
		free(uv);
		free(users);
	}
}

/* Our account's user parts, from the device ("<pn>:<dev>@…"). */
static void
self_users(struct br_net_login *l, char pn[WA_JID_USER_MAX + 1],
    char lid[WA_JID_USER_MAX + 1])
{
	struct wa_client *c = br__nw_client(l);
	const struct wa_device *d = c != NULL ? wa_client_device(c) : NULL;
	struct wa_jid j;

	pn[0] = lid[0] = '\0';
	if (d != NULL && d->jid != NULL && wa_jid_parse(d->jid, &j) == 0)
		snprintf(pn, WA_JID_USER_MAX + 1, "%s", j.user);
	if (d != NULL && d->lid != NULL && wa_jid_parse(d->lid, &j) == 0)
		snprintf(lid, WA_JID_USER_MAX + 1, "%s", j.user);
}

struct emit_ctx {
	struct br_net_login	*l;
	const struct br_net_events *ev;
};

static void
emit_group(void *arg, const struct br_net_group_event *g)
{
	struct emit_ctx *x = arg;

	if (x->ev->on_group != NULL)
		x->ev->on_group(x->ev->arg, x->l, g);
}

void
br__nw_picture_map(const struct wa_picture_event *pe,
    void (*emit)(void *arg, const char *user, const char *avatar_id),
    void *arg)
{
	jidstr user;
	size_t i;

	for (i = 0; i < pe->nchanges; i++) {
		const struct wa_picture_change *c = &pe->changes[i];

		if (!wa_jid_is_user(&c->jid))
			continue;
		wa_jid_format(&c->jid, user, sizeof(user));
		emit(arg, user, c->removed ? NULL : c->id);
	}
}

static void
emit_user_avatar(void *arg, const char *user, const char *avatar_id)
{
	struct emit_ctx *x = arg;

	if (x->ev->on_user_avatar != NULL)
		x->ev->on_user_avatar(x->ev->arg, x->l, user, avatar_id);
}

/* <notification type=picture> from a user: on_user_avatar per change. */
static void
user_pictures(struct br_net_login *l, const struct wa_node *n)
{
	struct emit_ctx x = { l, br__nw_events(l) };
	struct wa_picture_event *pe;
	int r;

	if ((r = wa_picture_parse_notification(n, &pe)) != 0) {
		logp_warnx(br__nw_prefix(l), "picture notification dropped: "
		    "%s", u_strerror(r));
		return;
	}
	br__nw_picture_map(pe, emit_user_avatar, &x);
	wa_picture_event_free(pe);
}

int
br__nw_group_handle_node(struct br_net_login *l, const struct wa_node *n)
{
	const struct br_net_events *ev = br__nw_events(l);
	struct wa_group_event *ge;
	struct wa_presence_event pe;
	struct emit_ctx x = { l, ev };
	char pn[WA_JID_USER_MAX + 1], lid[WA_JID_USER_MAX + 1];
	jidstr chat, user;
	int r;

	if (strcmp(n->tag, "notification") == 0 &&
	    wa_picture_is_notification(n) && !wa_group_is_notification(n)) {
		user_pictures(l, n);
		if (br__nw_client(l) != NULL)
			(void)wa_client_send_ack(br__nw_client(l), n);
		return 1;
	}
	if (strcmp(n->tag, "notification") == 0 && wa_group_is_notification(n)) {
		if ((r = wa_group_parse_notification(n, &ge)) == 0) {
			self_users(l, pn, lid);
			br__nw_group_map(ge, pn[0] ? pn : NULL,
			    lid[0] ? lid : NULL, emit_group, &x);
			wa_group_event_free(ge);
		} else
			logp_warnx(br__nw_prefix(l), "group notification "
			    "dropped: %s", u_strerror(r));
		if (br__nw_client(l) != NULL)
			(void)wa_client_send_ack(br__nw_client(l), n);
		return 1;
	}
	if (!wa_presence_is_stanza(n))
		return 0;
	if ((r = wa_presence_parse(n, &pe)) != 0) {
		logp_debug(br__nw_prefix(l), "%s dropped: %s", n->tag,
		    u_strerror(r));
		return 1;
	}
	if (pe.kind != WA_PRESENCE_EV_CHATSTATE || ev->on_typing == NULL)
		return 1;
	wa_jid_format(&pe.from, chat, sizeof(chat));
	wa_jid_format(pe.has_participant ? &pe.participant : &pe.from, user,
	    sizeof(user));
	ev->on_typing(ev->arg, l, chat, user,
	    pe.state == WA_CHAT_COMPOSING ? BR_NET_TYPING :
	    pe.state == WA_CHAT_RECORDING ? BR_NET_RECORDING :
	    BR_NET_TYPING_STOPPED);
	return 1;
}

/* --- calls ----------------------------------------------------------------- */

/* One call in flight: whom to tell. */
struct call {
	struct br_net_login	*l;
	br_net_done_fn		 done;
	void			*arg;
	enum br_net_member_op	 op;
	char			*text;		/* owned: set_topic's text */
	struct wa_jid		 chat;
	/* chat_info of a group: its picture, fetched first (owned). */
	char			*avatar_id;
	uint8_t			*avatar;
	size_t			 avatar_len;
};

static struct call *
call_new(struct br_net_login *l, br_net_done_fn done, void *arg)
{
	struct call *k = u_calloc(1, sizeof(*k));

	k->l = l;
	k->done = done;
	k->arg = arg;
	return k;
}

static void
call_free(struct call *k)
{
	if (k == NULL)
		return;
	free(k->text);
	free(k->avatar_id);
	free(k->avatar);
	free(k);
}

/* A failure to the core: rc and a short reason. */
static void
call_fail(struct call *k, int err, int code)
{
	struct br_net_result r;
	char why[96];

	memset(&r, 0, sizeof(r));
	if (code != 0)
		snprintf(why, sizeof(why), "WhatsApp refused it (%d)", code);
	else
		snprintf(why, sizeof(why), "%s", u_strerror(err));
	r.reason = why;
	logp_warnx(br__nw_prefix(k->l), "group call failed: %s", why);
	if (k->done != NULL)
		k->done(k->arg, err < 0 ? err : BR_ERR_NET_FAILED, &r);
}

static void
call_ok(struct call *k, const struct br_net_result *r)
{
	struct br_net_result empty;

	memset(&empty, 0, sizeof(empty));
	if (k->done != NULL)
		k->done(k->arg, 0, r != NULL ? r : &empty);
}

/* The client, or NULL when the login is not started. */
static struct wa_client *
client_of(struct br_net_login *l)
{
	return br__nw_client(l);
}

/* Start: r from a wa_group_* call; on error free k and map the code. */
static int
started(struct call *k, int r)
{
	if (r == 0)
		return 0;
	call_free(k);
	return r == U_ERR_INVALID ? U_ERR_INVALID : BR_ERR_NET_FAILED;
}

static int
group_jid(const char *chat, struct wa_jid *out)
{
	return chat != NULL && wa_jid_parse(chat, out) == 0 &&
	    wa_jid_is_group(out) ? 0 : U_ERR_INVALID;
}

static void
on_done(void *arg, int err, int code)
{
	struct call *k = arg;

	if (err != 0)
		call_fail(k, err, code);
	else
		call_ok(k, NULL);
	call_free(k);
}

static void
on_info(void *arg, int err, int code, const struct wa_group_info *g)
{
	struct call *k = arg;
	struct br_net_result r;
	struct info_buf ib;

	if (err != 0) {
		call_fail(k, err, code);
		call_free(k);
		return;
	}
	info_fill(&ib, g);
	ib.ci.avatar_id = k->avatar_id;
	ib.ci.avatar = k->avatar;
	ib.ci.avatar_len = k->avatar_len;
	memset(&r, 0, sizeof(r));
	r.chat = ib.chat;
	r.info = &ib.ci;
	call_ok(k, &r);
	info_clear(&ib);
	call_free(k);
}

/* A DM's chat info: the JID only, on the next loop turn. */
static void
dm_info(void *arg)
{
	struct call *k = arg;
	struct br_net_chat_info ci;
	struct br_net_result r;
	jidstr chat;

	memset(&ci, 0, sizeof(ci));
	memset(&r, 0, sizeof(r));
	wa_jid_format(&k->chat, chat, sizeof(chat));
	ci.chat = chat;
	r.chat = chat;
	r.info = &ci;
	call_ok(k, &r);
	call_free(k);
}

/* --- pictures ----------------------------------------------------------------- */

/*
 * One picture fetch: the get iq, then the download.  Either for the
 * avatar slot (done/arg) or for a group's chat_info (k: the metadata
 * follows).  In a file-wide list so that a login's end can cancel them.
 */
struct pic {
	struct pic		*next;
	struct br_net_login	*l;		/* borrowed; NULL: cancelled */
	br_net_done_fn		 done;
	void			*arg;
	struct call		*k;		/* owned, or NULL */
	struct wa_jid		 jid;
	char			*known;		/* owned or NULL */
	char			 id[WA_PICTURE_MAX_ID + 1];
	struct u_http		*http;		/* owned while downloading */
	uint64_t		 req;
};

static struct pic *pics;

static void
pic_unlink(struct pic *x)
{
	struct pic **pp;

	for (pp = &pics; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			return;
		}
}

static void
http_free_later(void *arg)
{
	u_http_free(arg);
}

static void info_with_picture(struct call *k);

/*
 * The end of a fetch: id "" (failed: rc says why) or the answer's
 * avatar_id with the bytes of a new picture.
 */
static void
pic_finish(struct pic *x, int rc, const char *id, const uint8_t *data,
    size_t len)
{
	struct br_net_chat_info ci;
	struct br_net_result r;
	jidstr chat;
	struct call *k = x->k;

	pic_unlink(x);
	if (x->http != NULL) {
		/* Not from inside its own callback: on the next turn. */
		if (x->l != NULL)
			u_loop_defer(br__nw_loop(x->l), http_free_later,
			    x->http);
		else
			u_http_free(x->http);
	}
	if (k != NULL) {
		/* chat_info: the metadata next, with whatever picture we
		 * have (none when it failed: the info still goes out). */
		if (x->l != NULL && rc == 0 && id[0] != '\0') {
			k->avatar_id = u_strdup(id);
			if (data != NULL && len > 0) {
				k->avatar = u_malloc(len);
				memcpy(k->avatar, data, len);
				k->avatar_len = len;
			}
		} else if (x->l != NULL && rc != 0)
			logp_debug(br__nw_prefix(x->l), "group picture not "
			    "fetched: %s", u_strerror(rc));
		if (x->l != NULL)
			info_with_picture(k);
		else {
			call_fail(k, BR_ERR_NET_CANCELLED, 0);
			call_free(k);
		}
	} else if (rc != 0) {
		memset(&r, 0, sizeof(r));
		r.reason = rc == BR_ERR_NET_CANCELLED ? "cancelled" :
		    u_strerror(rc);
		if (x->l != NULL)
			logp_warnx(br__nw_prefix(x->l), "picture not fetched: "
			    "%s", r.reason);
		x->done(x->arg, rc < 0 ? rc : BR_ERR_NET_FAILED, &r);
	} else {
		memset(&ci, 0, sizeof(ci));
		memset(&r, 0, sizeof(r));
		wa_jid_format(&x->jid, chat, sizeof(chat));
		ci.chat = chat;
		ci.is_group = wa_jid_is_group(&x->jid);
		ci.avatar_id = id;
		ci.avatar = data;
		ci.avatar_len = data != NULL ? len : 0;
		r.chat = chat;
		r.info = &ci;
		x->done(x->arg, 0, &r);
	}
	free(x->known);
	free(x);
}

static void
pic_data(void *arg, int err, const uint8_t *data, size_t len)
{
	struct pic *x = arg;

	x->req = 0;
	if (err != 0)
		pic_finish(x, err, "", NULL, 0);
	else
		pic_finish(x, 0, x->id, data, len);
}

static void
pic_info(void *arg, int err, int code, const struct wa_picture_info *pi)
{
	struct pic *x = arg;
	const char *ca;

	if (x->l == NULL) {
		pic_finish(x, BR_ERR_NET_CANCELLED, "", NULL, 0);
		return;
	}
	if (err != 0) {
		logp_debug(br__nw_prefix(x->l), "picture query failed: %s "
		    "(%d)", u_strerror(err), code);
		pic_finish(x, err, "", NULL, 0);
		return;
	}
	switch (pi->status) {
	case WA_PICTURE_NONE:
		pic_finish(x, 0, "remove", NULL, 0);
		return;
	case WA_PICTURE_UNAUTHORIZED:
		pic_finish(x, 0, "unauthorized", NULL, 0);
		return;
	case WA_PICTURE_UNCHANGED:
		pic_finish(x, 0, x->known != NULL ? x->known : "", NULL, 0);
		return;
	case WA_PICTURE_SET:
		break;
	}
	snprintf(x->id, sizeof(x->id), "%s", pi->id);
	ca = br__nw_media_ca_file(x->l);
	x->http = u_http_new(br__nw_loop(x->l));
	x->req = wa_picture_download(x->http, pi->url, ca, 0, pic_data, x);
	if (x->req == 0)
		pic_finish(x, WA_ERR_BAD_NODE, "", NULL, 0);
}

/* Start a fetch of jid's picture; k (owned) for chat_info, else done. */
static int
pic_start(struct br_net_login *l, const struct wa_jid *jid,
    const char *known, br_net_done_fn done, void *arg, struct call *k)
{
	struct wa_client *c = client_of(l);
	struct pic *x;
	int r;

	if (c == NULL) {
		call_free(k);
		return BR_ERR_NET_FAILED;
	}
	x = u_calloc(1, sizeof(*x));
	x->l = l;
	x->done = done;
	x->arg = arg;
	x->k = k;
	x->jid = wa_jid_to_non_ad(jid);
	x->known = known != NULL && known[0] != '\0' ? u_strdup(known) : NULL;
	r = wa_picture_get_info(c, &x->jid, 0, x->known, pic_info, x);
	if (r != 0) {
		free(x->known);
		free(x);
		call_free(k);
		return r == U_ERR_INVALID ? U_ERR_INVALID : BR_ERR_NET_FAILED;
	}
	x->next = pics;
	pics = x;
	return 0;
}

void
br__nw_pictures_cancel(struct br_net_login *l)
{
	struct pic *x, *next;

	for (x = pics; x != NULL; x = next) {
		next = x->next;
		if (x->l != l)
			continue;
		x->l = NULL;
		if (x->http != NULL) {
			/* Downloading: drop it and end the fetch now.  (An
			 * iq still waiting ends when the client fails it.) */
			u_http_cancel(x->http, x->req);
			pic_finish(x, BR_ERR_NET_CANCELLED, "", NULL, 0);
		}
	}
}

int
br__nw_avatar(struct br_net_login *l, const char *chat, const char *known_id,
    br_net_done_fn done, void *arg)
{
	struct wa_jid j;

	if (chat == NULL || wa_jid_parse(chat, &j) != 0 || done == NULL)
		return U_ERR_INVALID;
	return pic_start(l, &j, known_id, done, arg, NULL);
}

int
br__nw_chat_info(struct br_net_login *l, const char *chat,
    br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	struct call *k;
	struct wa_jid j;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (chat == NULL || wa_jid_parse(chat, &j) != 0)
		return U_ERR_INVALID;
	k = call_new(l, done, arg);
	if (!wa_jid_is_group(&j)) {
		k->chat = wa_jid_to_non_ad(&j);
		u_loop_defer(br__nw_loop(l), dm_info, k);
		return 0;
	}
	k->chat = j;
	/* The picture first, then the metadata (info_with_picture). */
	return pic_start(l, &j, NULL, NULL, NULL, k);
}

/* chat_info of a group, its picture fetched: the metadata. */
static void
info_with_picture(struct call *k)
{
	struct wa_client *c = client_of(k->l);
	int r = c != NULL ? wa_group_get_info(c, &k->chat, on_info, k) :
	    WA_ERR_NOT_CONNECTED;

	if (r != 0) {
		call_fail(k, r, 0);
		call_free(k);
	}
}

static void
on_list(void *arg, int err, int code, struct wa_group_info *const *gs,
    size_t n)
{
	struct call *k = arg;
	struct br_net_result r;
	jidstr *chats;
	const char **cv, **nv;
	size_t i;

	if (err != 0) {
		call_fail(k, err, code);
		call_free(k);
		return;
	}
	chats = u_calloc(n > 0 ? n : 1, sizeof(*chats));
	cv = u_calloc(n > 0 ? n : 1, sizeof(*cv));
	nv = u_calloc(n > 0 ? n : 1, sizeof(*nv));
	for (i = 0; i < n; i++) {
		wa_jid_format(&gs[i]->jid, chats[i], sizeof(chats[i]));
		cv[i] = chats[i];
		nv[i] = gs[i]->subject;
	}
	memset(&r, 0, sizeof(r));
	r.chats = cv;
	r.names = nv;
	r.n_chats = n;
	call_ok(k, &r);
	free(nv);
	free(cv);
	free(chats);
	call_free(k);
}

int
br__nw_list_groups(struct br_net_login *l, br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);

	struct call *k;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	k = call_new(l, done, arg);
	return started(k, wa_group_list(c, on_list, k));
}

/* Users (strings) to JIDs; U_ERR_INVALID on a bad one. */
static int
users_to_jids(const char *const *users, size_t n, struct wa_jid **out)
{
	struct wa_jid *v;
	size_t i;

	if (n == 0 || n > NW_GROUP_MAX_USERS || users == NULL)
		return U_ERR_INVALID;
	v = u_calloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		if (users[i] == NULL || wa_jid_parse(users[i], &v[i]) != 0 ||
		    !wa_jid_is_user(&v[i])) {
			free(v);
			return U_ERR_INVALID;
		}
	*out = v;
	return 0;
}

int
br__nw_create_group(struct br_net_login *l, const char *name,
    const char *const *users, size_t n, br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	struct wa_jid *v = NULL;
	struct call *k;
	int r;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (n > 0 && (r = users_to_jids(users, n, &v)) != 0)
		return r;
	k = call_new(l, done, arg);
	r = started(k, wa_group_create(c, name, v, n, on_info, k));
	free(v);
	return r;
}

int
br__nw_set_name(struct br_net_login *l, const char *chat, const char *name,
    br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	struct wa_jid g;
	struct call *k;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (group_jid(chat, &g) != 0)
		return U_ERR_INVALID;
	k = call_new(l, done, arg);
	return started(k, wa_group_set_subject(c, &g, name, on_done, k));
}

/* set_topic: the current description id first (the server checks it). */
static void
on_topic_info(void *arg, int err, int code, const struct wa_group_info *g)
{
	struct call *k = arg;
	struct wa_client *c = client_of(k->l);
	int r;

	if (err != 0 || c == NULL) {
		call_fail(k, err != 0 ? err : WA_ERR_NOT_CONNECTED, code);
		call_free(k);
		return;
	}
	r = wa_group_set_description(c, &k->chat, k->text, g->description_id,
	    on_done, k);
	if (r != 0) {
		call_fail(k, r, 0);
		call_free(k);
	}
}

int
br__nw_set_topic(struct br_net_login *l, const char *chat, const char *topic,
    br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	struct call *k;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (topic != NULL && strlen(topic) > WA_GROUP_MAX_DESCRIPTION)
		return U_ERR_INVALID;
	k = call_new(l, done, arg);
	if (group_jid(chat, &k->chat) != 0) {
		call_free(k);
		return U_ERR_INVALID;
	}
	k->text = topic != NULL && topic[0] != '\0' ? u_strdup(topic) : NULL;
	return started(k, wa_group_get_info(c, &k->chat, on_topic_info, k));
}

static void
on_str(void *arg, int err, int code, const char *v)
{
	struct call *k = arg;
	struct br_net_result r;

	if (err != 0) {
		call_fail(k, err, code);
		call_free(k);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.link = v;
	r.id = v;
	call_ok(k, &r);
	call_free(k);
}

int
br__nw_set_avatar(struct br_net_login *l, const char *chat,
    const unsigned char *jpeg, size_t len, br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	struct wa_jid g;
	struct call *k;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (group_jid(chat, &g) != 0)
		return U_ERR_INVALID;
	k = call_new(l, done, arg);
	return started(k, wa_group_set_picture(c, &g, jpeg,
	    jpeg != NULL ? len : 0, on_str, k));
}

static void
on_members(void *arg, int err, int code,
    const struct wa_group_participant *p, size_t n)
{
	struct call *k = arg;
	struct br_net_result r;
	jidstr *users;
	const char **uv, **iv;
	int *codes;
	uint64_t *exps;
	size_t i;

	if (err != 0) {
		call_fail(k, err, code);
		call_free(k);
		return;
	}
	users = u_calloc(n > 0 ? n : 1, sizeof(*users));
	uv = u_calloc(n > 0 ? n : 1, sizeof(*uv));
	iv = u_calloc(n > 0 ? n : 1, sizeof(*iv));
	codes = u_calloc(n > 0 ? n : 1, sizeof(*codes));
	exps = u_calloc(n > 0 ? n : 1, sizeof(*exps));
	for (i = 0; i < n; i++) {
		user_of(&p[i], users[i]);
		uv[i] = users[i];
		codes[i] = p[i].error;
		iv[i] = p[i].add_request_code;
		exps[i] = p[i].add_request_expiration;
	}
	memset(&r, 0, sizeof(r));
	r.users = uv;
	r.codes = codes;
	r.invite_codes = iv;
	r.invite_expirations = exps;
	r.n_users = n;
	call_ok(k, &r);
	free(exps);
	free(codes);
	free(iv);
	free(uv);
	free(users);
	call_free(k);
}

int
br__nw_members(struct br_net_login *l, const char *chat,
    enum br_net_member_op op, const char *const *users, size_t n,
    br_net_done_fn done, void *arg)
{
	static const enum wa_group_action acts[] = {
		[BR_NET_OP_ADD] = WA_GROUP_ADD,
		[BR_NET_OP_REMOVE] = WA_GROUP_REMOVE,
		[BR_NET_OP_PROMOTE] = WA_GROUP_PROMOTE,
		[BR_NET_OP_DEMOTE] = WA_GROUP_DEMOTE,
	};
	struct wa_client *c = client_of(l);
	struct wa_jid g, *v = NULL;
	struct call *k;
	int r;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (group_jid(chat, &g) != 0 || (unsigned)op > BR_NET_OP_DEMOTE)
		return U_ERR_INVALID;
	if ((r = users_to_jids(users, n, &v)) != 0)
		return r;
	k = call_new(l, done, arg);
	r = started(k, wa_group_participants(c, &g, acts[op], v, n,
	    on_members, k));
	free(v);
	return r;
}

int
br__nw_invite_link(struct br_net_login *l, const char *chat, int reset,
    br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	struct wa_jid g;
	struct call *k;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (group_jid(chat, &g) != 0)
		return U_ERR_INVALID;
	k = call_new(l, done, arg);
	return started(k, wa_group_invite_link(c, &g, reset, on_str, k));
}

static void
on_join(void *arg, int err, int code, const struct wa_jid *g, int pending)
{
	struct call *k = arg;
	struct br_net_result r;
	jidstr chat;

	if (err != 0) {
		call_fail(k, err, code);
		call_free(k);
		return;
	}
	wa_jid_format(g, chat, sizeof(chat));
	memset(&r, 0, sizeof(r));
	r.chat = chat;
	/* A join waiting for an admin's approval says so in the reason. */
	r.reason = pending ? "waiting for an admin's approval" : NULL;
	call_ok(k, &r);
	call_free(k);
}

int
br__nw_join_link(struct br_net_login *l, const char *link,
    br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	struct call *k;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	k = call_new(l, done, arg);
	return started(k, wa_group_join_link(c, link, on_join, k));
}

int
br__nw_leave(struct br_net_login *l, const char *chat, br_net_done_fn done,
    void *arg)
{
	struct wa_client *c = client_of(l);
	struct wa_jid g;
	struct call *k;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (group_jid(chat, &g) != 0)
		return U_ERR_INVALID;
	k = call_new(l, done, arg);
	return started(k, wa_group_leave(c, &g, on_done, k));
}

int
br__nw_set_typing(struct br_net_login *l, const char *chat,
    enum br_net_chatstate st)
{
	struct wa_client *c = client_of(l);
	struct wa_jid j;
	int r;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (chat == NULL || wa_jid_parse(chat, &j) != 0)
		return U_ERR_INVALID;
	r = wa_presence_send_chatstate(c, &j, st == BR_NET_TYPING ?
	    WA_CHAT_COMPOSING : st == BR_NET_RECORDING ? WA_CHAT_RECORDING :
	    WA_CHAT_PAUSED);
	return r == 0 ? 0 : r == U_ERR_INVALID ? U_ERR_INVALID :
	    BR_ERR_NET_FAILED;
}

static void
on_resolved(void *arg, int err, int code, const struct wa_usync_contact *c,
    size_t n)
{
	struct call *k = arg;
	struct br_net_result r;
	jidstr user;

	if (err != 0 || n != 1) {
		call_fail(k, err != 0 ? err : WA_ERR_BAD_NODE, code);
		call_free(k);
		return;
	}
	user[0] = '\0';
	if (c[0].on_whatsapp && c[0].has_pn)
		wa_jid_format(&c[0].pn, user, sizeof(user));
	else if (c[0].on_whatsapp && c[0].has_lid)
		wa_jid_format(&c[0].lid, user, sizeof(user));
	memset(&r, 0, sizeof(r));
	r.user = user;
	call_ok(k, &r);
	call_free(k);
}

int
br__nw_resolve(struct br_net_login *l, const char *phone,
    br_net_done_fn done, void *arg)
{
	struct wa_client *c = client_of(l);
	char digits[BR_NET_PHONE_MAX + 1], plus[BR_NET_PHONE_MAX + 2];
	const char *pv[1] = { digits };
	struct call *k;
	int r;

	if (c == NULL)
		return BR_ERR_NET_FAILED;
	if (phone == NULL)
		return U_ERR_INVALID;
	/* net.h takes "+33…" or bare digits; the cleaner wants the '+'. */
	if (phone[0] != '+' && strlen(phone) < sizeof(plus) - 1) {
		snprintf(plus, sizeof(plus), "+%s", phone);
		phone = plus;
	}
	if ((r = br_net_phone_clean(phone, digits)) != 0)
		return r;
	k = call_new(l, done, arg);
	return started(k, wa_usync_contacts(c, pv, 1, on_resolved, k));
}
