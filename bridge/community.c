/*
 * community.c: community portals through the core's hooks (see community.h
 * for what and why; docs/community.md for the admin's view).
 *
 * The hooks:
 *  - wa_group: the relay account joined a group (not one it created for
 *    `!am whatsapp`): post the welcome message in the group, at most once
 *    a day per group.
 *  - wa_message: a `!am` command in a group of the relay account: answer
 *    in the group from the relay account; the message is still bridged
 *    (return 0).
 *  - mx_message: a `!am` command in any Matrix room: answered in the room,
 *    never relayed (return 1: no command echo to WhatsApp).
 *  - mx_member: an invite of the community bot: a member's invite is
 *    accepted, anyone else's rejected (return 1 so the core does not treat
 *    it as a ghost invite).
 *
 * Each flow is a chain of asynchronous steps holding one struct job; every
 * completion (also BR_ERR_MX_CANCELLED at shutdown) ends in job_free when
 * the chain stops.  Answers in Matrix rooms come from the bridge bot in
 * portal rooms and from the community bot elsewhere (it is the one the
 * member invited).
 *
 * Privacy: a command only touches the room or group it came from; the
 * only user ever invited is the member named in the group (method 1) or
 * the WhatsApp number a member typed (method 2); no answer names another
 * chat or room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge/bridge.h"
#include "bridge/community.h"
#include "bridge/community_int.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "bridge/texts_community.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Windows of the rate limits. */
#define MINUTE_MS	(60u * 1000u)
#define DAY_MS		((uint64_t)24 * 3600 * 1000)
/* Room state events read for the method-2 checks; a room with more is
 * refused rather than scanned without bound. */
#define ROOM_STATE_MAX	5000
/* Power level asked of members and given to the invited member. */
#define PL_ADMIN	100
/* WhatsApp refuses group subjects over 100 characters: a longer room
 * name is cut (at a character boundary). */
#define WA_SUBJECT_MAX	100


enum job_kind { JOB_M1, JOB_M2, JOB_ADD, JOB_RESET, JOB_CBOT_JOIN };

struct job {
	struct br_community	*c;		/* borrowed */
	enum job_kind		 kind;
	struct br_net_login	*l;		/* borrowed: the relay login */
	struct br_portal_obj	*p;		/* ref or NULL */
	char			*room;		/* owned */
	char			*chat;		/* owned: group JID */
	char			*user;		/* owned: member / WA user JID */
	char			*sender;	/* owned: who typed it */
	char			*name, *topic;	/* owned */
	char			*digits;	/* owned: +number digits */
	char			*recv;		/* owned: portal receiver */
	enum br_lang		 lang;		/* of the answer */
	int			 pending;	/* ghost joins in flight */
	int			 failed;	/* one of them failed */
	json_t			*pls;		/* ref: room power levels */
	struct job		*next, *prev;	/* the community's list */
};

static struct br_mx *
mx_of(struct br_community *c)
{
	return c->br->mx;
}

/* The power level a member named by `!am @member` gets (config). */
static int
c_member_pl(const struct job *j)
{
	int64_t pl = j->c->cfg->community.member_power_level;

	return pl >= 1 && pl <= 100 ? (int)pl : PL_ADMIN;
}

static uint64_t
now_ms(struct br_community *c)
{
	struct timespec ts;

	if (c->now != NULL)
		return c->now(c->now_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct job *
job_new(struct br_community *c, enum job_kind kind)
{
	struct job *j = u_calloc(1, sizeof(*j));

	j->c = c;
	j->kind = kind;
	j->lang = c->lang;
	c->jobs++;
	j->next = c->job_list;
	if (j->next != NULL)
		j->next->prev = j;
	c->job_list = j;
	return j;
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	j->c->jobs--;
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		j->c->job_list = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	if (j->p != NULL)
		br_portal_unref(j->p);
	free(j->room);
	free(j->chat);
	free(j->user);
	free(j->sender);
	free(j->name);
	free(j->topic);
	free(j->digits);
	free(j->recv);
	json_decref(j->pls);
	free(j);
}

/*
 * Shutting down: the core's portals stopped (br_bridge_stop), and the
 * Matrix side may already be freed when the WhatsApp side fails its
 * pending calls.  A WhatsApp completion then only frees its job.  (Commands
 * are refused until the portals run, so this is not start-up.)
 */
static int
stopping(struct br_community *c)
{
	return !br_portals_ready(c->br->portals);
}

/* ---- answers ---- */

static void
logged(void *arg, int rc, const struct br_net_result *r)
{
	(void)arg;
	if (rc < 0)
		log_warnx("community: failed to answer in a WhatsApp group: "
		    "%s", r != NULL && r->reason != NULL ? r->reason :
		    u_strerror(rc));
}

/* Plain text into a WhatsApp group from the relay account. */
static void
wa_say(struct br_community *c, struct br_net_login *l, const char *chat,
    const char *text)
{
	struct br_net *net = c->br->net;
	struct br_net_content ct;

	if (net == NULL || net->ops->send == NULL || l == NULL)
		return;
	memset(&ct, 0, sizeof(ct));
	ct.kind = BR_NET_KIND_TEXT;
	ct.text = text;
	if (net->ops->send(l, chat, &ct, logged, NULL) < 0)
		log_warnx("community: failed to queue an answer to a group");
}

static void
wa_say_id(struct br_community *c, struct br_net_login *l, const char *chat,
    enum br_lang lang, enum br_ctext_id id, const char *a0, const char *a1)
{
	char *t = br_ctext_fmt(lang, id, a0, a1);

	wa_say(c, l, chat, t);
	free(t);
}

static void
mx_logged(void *arg, int rc, json_t *resp)
{
	(void)arg;
	(void)resp;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("community: failed to answer in a room: %s",
		    br_mx_strerror(rc));
}

/* Who answers in a room: the bridge bot in portals, the community bot
 * elsewhere (the one a member invited), or the bridge bot without one. */
static struct br_mx_intent *
room_bot(struct br_community *c, const char *room)
{
	struct br_mx *mx = mx_of(c);
	struct br_mx_intent *cb = NULL;

	if (mx->ops->community_bot != NULL)
		cb = mx->ops->community_bot(mx);
	if (cb == NULL || br_db_room_is_portal(c->br->db, room) == 1)
		return mx->ops->bot(mx);
	return cb;
}

/* An answer the community bot could not post (it is not in that room,
 * e.g. a management room with the bridge bot): posted by the bridge bot
 * instead. */
struct say {
	struct br_community	*c;	/* borrowed */
	char			*room, *md, *html;	/* owned */
};

static void
say_free(struct say *y)
{
	free(y->room);
	free(y->md);
	free(y->html);
	free(y);
}

static void
said(void *arg, int rc, json_t *resp)
{
	struct say *y = arg;
	struct br_mx *mx;

	(void)resp;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED && !stopping(y->c)) {
		mx = mx_of(y->c);
		log_debug("community: the community bot cannot post in %s; "
		    "the bridge bot answers", y->room);
		if (mx->ops->send_message(mx, mx->ops->bot(mx), y->room,
		    "m.notice", y->md, y->html, mx_logged, NULL) < 0)
			log_warnx("community: failed to answer in %s",
			    y->room);
	}
	say_free(y);
}

static void
mx_say(struct br_community *c, const char *room, const char *md)
{
	struct br_mx *mx = mx_of(c);
	struct br_mx_intent *in = room_bot(c, room);
	struct say *y;
	char *html = br_text_md_html(md);

	if (in == mx->ops->bot(mx)) {
		if (mx->ops->send_message(mx, in, room, "m.notice", md, html,
		    mx_logged, NULL) < 0)
			log_warnx("community: failed to queue an answer in %s",
			    room);
		free(html);
		return;
	}
	y = u_calloc(1, sizeof(*y));
	y->c = c;
	y->room = u_strdup(room);
	y->md = u_strdup(md);
	y->html = html;
	if (mx->ops->send_message(mx, in, room, "m.notice", md, html, said,
	    y) < 0) {
		log_warnx("community: failed to queue an answer in %s", room);
		say_free(y);
	}
}

static void
mx_say_id(struct br_community *c, const char *room, enum br_lang lang,
    enum br_ctext_id id, const char *a0, const char *a1)
{
	char *t = br_ctext_fmt(lang, id, a0, a1);

	mx_say(c, room, t);
	free(t);
}

/* ---- the relay login ---- */

static int
is_relay(struct br_community *c, struct br_net_login *l)
{
	return l != NULL && l == br_community_relay_login(c);
}

struct br_net_login *
br_community_relay_login(struct br_community *c)
{
	struct br_net *net = c->br->net;
	struct br_net_login *found = NULL, *v[2];
	char **users = NULL;
	size_t i, n;

	if (net == NULL)
		return NULL;
	if (c->cfg->community.relay_login[0] != '\0')
		return net->ops->login_get(net, c->cfg->community.relay_login);
	/* The only login: looked up in the store at most once a minute
	 * (this runs for every WhatsApp message). */
	if (c->relay_id[0] != '\0' && now_ms(c) - c->relay_at < MINUTE_MS &&
	    (found = net->ops->login_get(net, c->relay_id)) != NULL)
		return found;
	/* Only a found login is remembered: right after the account is
	 * linked, it must be found at once. */
	c->relay_id[0] = '\0';
	if (br_store_login_users(c->br->db, &users) < 0)
		return NULL;
	for (i = 0; users[i] != NULL; i++) {
		n = net->ops->logins_of(net, users[i], v, 2);
		if (n == 0)
			continue;
		if (n > 1 || found != NULL) {
			found = NULL;
			log_warnx("community: several logins and no "
			    "community.relay_login: no relay account");
			break;
		}
		found = v[0];
	}
	br_strv_free(users);
	if (found != NULL) {
		snprintf(c->relay_id, sizeof(c->relay_id), "%s",
		    net->ops->info(found)->id);
		c->relay_at = now_ms(c);
	}
	return found;
}

static const char *
login_id(struct br_community *c, struct br_net_login *l)
{
	return c->br->net->ops->info(l)->id;
}

/* Turn relaying on for a portal (row saved).  0 or a db code. */
static int
relay_on(struct br_community *c, struct br_portal_obj *p,
    struct br_net_login *l)
{
	const char *id = login_id(c, l);

	if (p->row->relay_login_id != NULL &&
	    strcmp(p->row->relay_login_id, id) == 0)
		return 0;
	free(p->row->relay_login_id);
	p->row->relay_login_id = u_strdup(id);
	log_info("community: relaying on for %s", p->prefix);
	return br_portal_save(p);
}

/* The portal key's receiver for a group of the relay login: "" unless
 * bridge.split_portals (as the core keys it, ids.h); owned. */
static char *
group_receiver(struct br_community *c, struct br_net_login *l,
    const char *chat)
{
	char *recv = NULL;

	if (br_id_portal_receiver(chat, login_id(c, l),
	    c->cfg->bridge.split_portals, &recv) < 0)
		return u_strdup("");
	return recv;
}

static int
created_by_us(struct br_community *c, const char *chat)
{
	size_t i;

	for (i = 0; i < CREATED_MAX; i++)
		if (c->created[i] != NULL && strcmp(c->created[i], chat) == 0)
			return 1;
	return 0;
}

static void
remember_created(struct br_community *c, const char *chat)
{
	free(c->created[c->created_next]);
	c->created[c->created_next] = u_strdup(chat);
	c->created_next = (c->created_next + 1) % CREATED_MAX;
}

/* ---- power levels ---- */

static json_int_t
pl_int(json_t *v, json_int_t def)
{
	return json_is_integer(v) ? json_integer_value(v) : def;
}

static json_int_t
pl_user(json_t *pls, const char *user)
{
	return pl_int(json_object_get(json_object_get(pls, "users"), user),
	    pl_int(json_object_get(pls, "users_default"), 0));
}

/* A copy of pls with user at level (pls may be NULL: a new content). */
static json_t *
pl_with(json_t *pls, const char *user, json_int_t level)
{
	json_t *c = json_is_object(pls) ? json_deep_copy(pls) : json_object();
	json_t *users = json_object_get(c, "users");

	if (!json_is_object(users)) {
		users = json_object();
		json_object_set_new(c, "users", users);
	}
	json_object_set_new(users, user, json_integer(level));
	return c;
}

/* ================= method 1: `!am @member` in a WhatsApp group ========= */

static void m1_have_room(struct job *j);

static void
m1_fail(struct job *j, const char *why)
{
	log_warnx("community: `@member` in a group failed: %s", why);
	wa_say_id(j->c, j->l, j->chat, j->lang, BR_CT_WA_FAILED, why, NULL);
	job_free(j);
}

static void
m1_invited(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;
	const char *err = json_string_value(json_object_get(resp, "error"));

	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	/* Inviting someone already in the room is refused; they are in. */
	if (rc < 0 && !(err != NULL && strstr(err, "already") != NULL)) {
		m1_fail(j, "the invitation was refused");
		return;
	}
	log_info("community: %s invited to %s", j->user, j->p->prefix);
	wa_say_id(j->c, j->l, j->chat, j->lang, BR_CT_WA_INVITED, j->user,
	    NULL);
	job_free(j);
}

static void
m1_pl_set(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;
	struct br_mx *mx = mx_of(j->c);

	(void)resp;
	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0)
		log_warnx("community: failed to give %s power level 100 in "
		    "%s: %s", j->user, j->room, br_mx_strerror(rc));
	if (mx->ops->invite(mx, mx->ops->bot(mx), j->room, j->user,
	    m1_invited, j) < 0)
		m1_fail(j, "the invitation could not be sent");
}

static void
m1_pl(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;
	struct br_mx *mx = mx_of(j->c);
	json_t *pls;
	int r;

	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0 || !json_is_object(resp)) {
		m1_fail(j, "the room's power levels could not be read");
		return;
	}
	if (pl_user(resp, j->user) >= c_member_pl(j)) {
		m1_pl_set(j, 0, NULL);
		return;
	}
	pls = pl_with(resp, j->user, c_member_pl(j));
	r = mx->ops->send_state(mx, mx->ops->bot(mx), j->room,
	    "m.room.power_levels", "", pls, m1_pl_set, j);
	json_decref(pls);
	if (r < 0)
		m1_pl_set(j, r, NULL);
}

static void
m1_have_room(struct job *j)
{
	struct br_mx *mx = mx_of(j->c);
	int r;

	if ((r = relay_on(j->c, j->p, j->l)) < 0)
		log_warnx("community: failed to save relaying for %s: %s",
		    j->p->prefix, u_strerror(r));
	if (mx->ops->get_state(mx, mx->ops->bot(mx), j->room,
	    "m.room.power_levels", "", m1_pl, j) < 0)
		m1_fail(j, "the room's power levels could not be read");
}

static void
m1_room(void *arg, int rc, const char *room_id)
{
	struct job *j = arg;

	if (rc == BR_ERR_PORTAL_CLOSED || rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0 || room_id == NULL) {
		m1_fail(j, "the Matrix room could not be created");
		return;
	}
	j->room = u_strdup(room_id);
	m1_have_room(j);
}

static void
m1_create(struct job *j)
{
	struct br_portal_info info;
	int r;

	/* The member is not invited at creation: the power level comes
	 * first (m1_have_room), so they join as admin. */
	memset(&info, 0, sizeof(info));
	info.name = j->name;
	info.topic = j->topic;
	r = br_portal_create_room(j->p, &info, m1_room, j);
	if (r < 0)
		m1_fail(j, "the Matrix room could not be created");
}

static void
m1_info(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;

	if (stopping(j->c)) {
		job_free(j);
		return;
	}
	if (rc == 0 && r != NULL && r->info != NULL) {
		if (r->info->name != NULL)
			j->name = u_strdup(r->info->name);
		if (r->info->topic != NULL)
			j->topic = u_strdup(r->info->topic);
	}
	m1_create(j);
}

static void
m1_start(struct br_community *c, struct br_net_login *l, const char *chat,
    const char *user)
{
	struct br_portal_key key;
	struct br_net *net = c->br->net;
	struct job *j;
	char *recv = group_receiver(c, l, chat);
	int r;

	j = job_new(c, JOB_M1);
	j->l = l;
	j->chat = u_strdup(chat);
	j->user = u_strdup(user);
	key.id = chat;
	key.receiver = recv;
	r = br_portal_get(c->br->portals, key, 1, &j->p);
	free(recv);
	if (r < 0) {
		m1_fail(j, "the portal could not be loaded");
		return;
	}
	if (j->p->row->mxid != NULL) {
		j->room = u_strdup(j->p->row->mxid);
		m1_have_room(j);
		return;
	}
	if (net->ops->chat_info == NULL ||
	    net->ops->chat_info(l, chat, m1_info, j) < 0)
		m1_create(j);
}

/* ================= method 2: `!am whatsapp` in a Matrix room =========== */

static void
m2_fail(struct job *j, const char *why)
{
	log_warnx("community: `whatsapp` in %s failed: %s", j->room, why);
	mx_say_id(j->c, j->room, j->lang, BR_CT_MX_FAILED, why, NULL);
	job_free(j);
}

static void
m2_link(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;

	if (stopping(j->c)) {
		job_free(j);
		return;
	}
	if (rc < 0 || r == NULL || r->link == NULL) {
		m2_fail(j, "the group's invite link could not be fetched");
		return;
	}
	log_info("community: %s bridged to a new group", j->room);
	mx_say_id(j->c, j->room, j->lang, BR_CT_MX_CREATED, r->link, NULL);
	job_free(j);
}

static void
m2_finish(struct job *j)
{
	struct br_net *net = j->c->br->net;
	int r;

	if ((r = br_portal_update_bridge_info(j->p)) < 0)
		log_warnx("community: failed to send m.bridge in %s: %s",
		    j->room, u_strerror(r));
	if (net->ops->invite_link == NULL ||
	    net->ops->invite_link(j->l, j->chat, 0, m2_link, j) < 0)
		m2_fail(j, "the group's invite link could not be fetched");
}

static void
m2_bot_joined(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;

	(void)resp;
	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0) {
		m2_fail(j, "the bridge bot could not join the room");
		return;
	}
	m2_finish(j);
}

static void
m2_bot_invited(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;
	struct br_mx *mx = mx_of(j->c);

	(void)resp;
	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0)
		log_debug("community: inviting the bridge bot to %s: %s "
		    "(already there?)", j->room, br_mx_strerror(rc));
	if (mx->ops->ensure_joined(mx, mx->ops->bot(mx), j->room,
	    m2_bot_joined, j) < 0)
		m2_fail(j, "the bridge bot could not join the room");
}

static void
m2_bot_pl(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;
	struct br_mx *mx = mx_of(j->c);

	(void)resp;
	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0) {
		m2_fail(j, "the bridge bot's power level could not be set");
		return;
	}
	if (mx->ops->invite(mx, mx->ops->community_bot(mx), j->room,
	    mx->ops->bot_id(mx), m2_bot_invited, j) < 0)
		m2_fail(j, "the bridge bot could not be invited");
}

static void
m2_created(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;
	struct br_community *c = j->c;
	struct br_mx *mx = mx_of(c);
	struct br_portal_key key;
	struct br_mx_intent *cb;
	json_t *pls;
	int e;

	if (stopping(j->c)) {
		job_free(j);
		return;
	}
	if (rc < 0 || r == NULL || r->chat == NULL) {
		m2_fail(j, r != NULL && r->reason != NULL ? r->reason :
		    "WhatsApp refused to create the group");
		return;
	}
	j->chat = u_strdup(r->chat);
	remember_created(c, j->chat);
	j->recv = group_receiver(c, j->l, j->chat);
	key.id = j->chat;
	key.receiver = j->recv;
	/* Store first: from now on the group's events find this room.  If
	 * the group's creation notice won the race and the core made a room
	 * for it already, THIS room still wins (the member's room is the
	 * portal, as promised); the other one is left unused. */
	e = br_portal_attach(c->br->portals, key, j->room, j->name, j->topic,
	    NULL, 0);
	if (e == BR_ERR_PORTAL_EXISTS) {
		log_warnx("community: the new group got a room before %s was "
		    "attached; attaching %s anyway", j->room, j->room);
		e = br_portal_attach(c->br->portals, key, j->room, j->name,
		    j->topic, NULL, 1);
	}
	if (e < 0 || (e = br_portal_get(c->br->portals, key, 0, &j->p)) < 0) {
		m2_fail(j, u_strerror(e));
		return;
	}
	if ((e = relay_on(c, j->p, j->l)) < 0)
		log_warnx("community: failed to save relaying for %s: %s",
		    j->p->prefix, u_strerror(e));
	cb = mx->ops->community_bot != NULL ? mx->ops->community_bot(mx) :
	    NULL;
	if (cb == NULL) {
		/* The bridge bot itself was invited: it is in the room. */
		m2_finish(j);
		return;
	}
	/* The community bot (admin, checked) raises the bridge bot to
	 * admin and invites it; the bridge bot joins and sends m.bridge. */
	pls = pl_with(j->pls, mx->ops->bot_id(mx), PL_ADMIN);
	e = mx->ops->send_state(mx, cb, j->room, "m.room.power_levels", "",
	    pls, m2_bot_pl, j);
	json_decref(pls);
	if (e < 0)
		m2_fail(j, "the bridge bot's power level could not be set");
}

/* What the method-2 checks need from the room's state. */
struct room_facts {
	int		 encrypted, public_, others, too_big;
	int		 other_bridge;	/* another bridge's m.bridge state */
	int		 sender_creator;
	json_t		*pls;		/* borrowed from the answer */
	const char	*name, *topic;	/* borrowed */
};

static void
room_facts(struct br_community *c, json_t *resp, const char *sender,
    struct room_facts *f)
{
	struct br_mx *mx = mx_of(c);
	json_t *state = json_object_get(resp, "state"), *ev;
	const char *ours = mx->ops->bridge_state_key != NULL ?
	    mx->ops->bridge_state_key(mx) : "";
	size_t i;

	memset(f, 0, sizeof(*f));
	if (!json_is_array(state) || json_array_size(state) > ROOM_STATE_MAX) {
		f->too_big = 1;
		return;
	}
	json_array_foreach(state, i, ev) {
		const char *type = json_string_value(json_object_get(ev,
		    "type"));
		const char *key = json_string_value(json_object_get(ev,
		    "state_key"));
		const char *from = json_string_value(json_object_get(ev,
		    "sender"));
		json_t *content = json_object_get(ev, "content");
		const char *ms;

		if (type == NULL || key == NULL || !json_is_object(content))
			continue;
		if (strcmp(type, "m.room.encryption") == 0)
			f->encrypted = 1;
		else if ((strcmp(type, "m.bridge") == 0 ||
		    strcmp(type, "uk.half-shot.bridge") == 0) &&
		    strcmp(key, ours) != 0 && json_object_size(content) > 0)
			f->other_bridge = 1;
		else if (strcmp(type, "m.room.join_rules") == 0) {
			ms = json_string_value(json_object_get(content,
			    "join_rule"));
			f->public_ = ms != NULL && strcmp(ms, "public") == 0;
		} else if (strcmp(type, "m.room.power_levels") == 0 &&
		    key[0] == '\0')
			f->pls = content;
		else if (strcmp(type, "m.room.name") == 0 && key[0] == '\0')
			f->name = json_string_value(json_object_get(content,
			    "name"));
		else if (strcmp(type, "m.room.topic") == 0 && key[0] == '\0')
			f->topic = json_string_value(json_object_get(content,
			    "topic"));
		else if (strcmp(type, "m.room.create") == 0 && key[0] == '\0') {
			/* Room v12: creators rank above every level. */
			ms = json_string_value(json_object_get(content,
			    "room_version"));
			if (ms != NULL && atoi(ms) >= 12 && from != NULL &&
			    strcmp(from, sender) == 0)
				f->sender_creator = 1;
		} else if (strcmp(type, "m.room.member") == 0) {
			ms = json_string_value(json_object_get(content,
			    "membership"));
			if (ms == NULL || (strcmp(ms, "join") != 0 &&
			    strcmp(ms, "invite") != 0 &&
			    strcmp(ms, "knock") != 0))
				continue;
			if (strcmp(key, sender) != 0 &&
			    !mx->ops->is_ours(mx, key))
				f->others++;
		}
	}
}

/* The group's subject from the room's name (owned): at most
 * WA_SUBJECT_MAX characters; "Matrix" for a room without a name. */
static char *
subject_of(const char *name)
{
	size_t i = 0, chars = 0;

	if (name == NULL || name[0] == '\0')
		return u_strdup("Matrix");
	/* The name came through JSON: valid UTF-8.  Count lead bytes. */
	while (name[i] != '\0') {
		if (((unsigned char)name[i] & 0xc0) != 0x80 &&
		    ++chars > WA_SUBJECT_MAX)
			break;
		i++;
	}
	return u_strndup(name, i);
}

static void
m2_state(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;
	struct br_community *c = j->c;
	struct br_mx *mx = mx_of(c);
	struct br_net *net = c->br->net;
	struct br_mx_intent *actor = room_bot(c, j->room);
	struct room_facts f;

	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0) {
		m2_fail(j, "the room's state could not be read");
		return;
	}
	room_facts(c, resp, j->sender, &f);
	if (f.too_big) {
		m2_fail(j, "the room's state is too large");
		return;
	}
	/* A room another bridge already made a portal (a Signal group, the
	 * host's "WhatsApp + Matrix + Signal" case) holds that bridge's bot
	 * and ghosts, which we cannot tell from people: there only the
	 * member's admin rights count. */
	if (f.other_bridge)
		f.others = 0;
	if (f.encrypted || f.public_ || f.others > 0 ||
	    (!f.sender_creator && pl_user(f.pls, j->sender) < PL_ADMIN)) {
		mx_say_id(c, j->room, j->lang, f.encrypted ?
		    BR_CT_MX_ENCRYPTED : f.public_ ? BR_CT_MX_PUBLIC :
		    f.others > 0 ? BR_CT_MX_NOT_ALONE : BR_CT_MX_NOT_ADMIN,
		    NULL, NULL);
		job_free(j);
		return;
	}
	if (pl_user(f.pls, mx->ops->user_id(actor)) < PL_ADMIN) {
		mx_say_id(c, j->room, j->lang, BR_CT_MX_BOT_PL,
		    mx->ops->user_id(actor), c->prefix);
		job_free(j);
		return;
	}
	j->pls = json_incref(f.pls);
	j->name = subject_of(f.name);
	if (f.topic != NULL)
		j->topic = u_strdup(f.topic);
	if (net->ops->create_group == NULL ||
	    net->ops->create_group(j->l, j->name, NULL, 0, m2_created, j) < 0)
		m2_fail(j, "the WhatsApp group could not be created");
}

static void
m2_start(struct br_community *c, struct br_net_login *l, const char *room,
    const char *sender)
{
	struct br_mx *mx = mx_of(c);
	struct br_portal_obj *p = NULL;
	struct job *j;
	int r;

	if (br_portal_get_by_mxid(c->br->portals, room, &p) == 0 &&
	    strstr(p->row->id, "@g.us") == NULL) {
		/* A direct chat of the shared account: never relayed for
		 * members, and not a room to make a group from. */
		br_portal_unref(p);
		mx_say_id(c, room, c->lang, BR_CT_MX_NOT_PORTAL, c->prefix,
		    NULL);
		return;
	}
	if (p != NULL) {
		/* Already bridged: relaying back on (host FAQ), m.bridge
		 * sent again. */
		if ((r = relay_on(c, p, l)) < 0)
			mx_say_id(c, room, c->lang, BR_CT_MX_FAILED,
			    u_strerror(r), NULL);
		else {
			(void)br_portal_update_bridge_info(p);
			mx_say_id(c, room, c->lang, BR_CT_MX_RELAY_ON, NULL,
			    NULL);
		}
		br_portal_unref(p);
		return;
	}
	j = job_new(c, JOB_M2);
	j->l = l;
	j->room = u_strdup(room);
	j->sender = u_strdup(sender);
	if (mx->ops->room_state_list == NULL ||
	    mx->ops->room_state_list(mx, room_bot(c, room), room, m2_state,
	    j) < 0)
		m2_fail(j, "the room's state could not be read");
}

/* ================= `!am whatsapp +<number>` ============================ */

static void
add_ghost_done(void *arg, int rc)
{
	struct job *j = arg;

	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("community: the ghost of a new member could not "
		    "join %s: %s", j->room, u_strerror(rc));
	job_free(j);
}

static void
add_ghost(struct job *j)
{
	struct br_ghost_info gi;
	char *ghost = NULL, phone[BR_NET_PHONE_MAX + 2];

	if (br_id_ghost(j->user, &ghost) < 0) {
		job_free(j);
		return;
	}
	snprintf(phone, sizeof(phone), "+%s", j->digits);
	memset(&gi, 0, sizeof(gi));
	gi.phone = phone;
	if (br_ghost_ensure(j->c->br->portals, ghost, &gi, j->room,
	    add_ghost_done, j) < 0)
		job_free(j);
	free(ghost);
}

static void
add_invited(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;
	char phone[BR_NET_PHONE_MAX + 2];

	if (stopping(j->c)) {
		job_free(j);
		return;
	}
	snprintf(phone, sizeof(phone), "+%s", j->digits);
	if (rc < 0) {
		mx_say_id(j->c, j->room, j->lang, BR_CT_MX_ADD_FAILED, phone,
		    r != NULL && r->reason != NULL ? r->reason :
		    u_strerror(rc));
		job_free(j);
		return;
	}
	mx_say_id(j->c, j->room, j->lang, BR_CT_MX_ADD_INVITED, phone, NULL);
	job_free(j);
}

static void
add_done(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;
	struct br_net *net = j->c->br->net;
	char phone[BR_NET_PHONE_MAX + 2], why[48];

	if (stopping(j->c)) {
		job_free(j);
		return;
	}
	snprintf(phone, sizeof(phone), "+%s", j->digits);
	if (rc < 0 || r == NULL || r->n_users < 1 || r->codes == NULL) {
		mx_say_id(j->c, j->room, j->lang, BR_CT_MX_ADD_FAILED, phone,
		    r != NULL && r->reason != NULL ? r->reason :
		    u_strerror(rc < 0 ? rc : BR_ERR_NET_FAILED));
		job_free(j);
		return;
	}
	if (r->codes[0] == 0) {
		log_info("community: a number was added to %s", j->chat);
		mx_say_id(j->c, j->room, j->lang, BR_CT_MX_ADDED, phone, NULL);
		add_ghost(j);
		return;
	}
	/* 403: the user's privacy settings refuse adds; the answer may carry
	 * an invitation code to send them instead (the invite_user slot, or
	 * else a group-invite message in a direct chat, which is what that
	 * slot sends). */
	if (r->codes[0] == 403 && r->invite_codes != NULL &&
	    r->invite_codes[0] != NULL) {
		uint64_t exp = r->invite_expirations != NULL ?
		    r->invite_expirations[0] : 0;
		struct br_net_content ct;

		if (net->ops->invite_user != NULL &&
		    net->ops->invite_user(j->l, j->chat, j->user,
		    r->invite_codes[0], exp, add_invited, j) == 0)
			return;
		memset(&ct, 0, sizeof(ct));
		ct.kind = BR_NET_KIND_GROUP_INVITE;
		ct.invite_group = j->chat;
		ct.invite_code = r->invite_codes[0];
		ct.invite_expiration = exp;
		if (net->ops->invite_user == NULL && net->ops->send != NULL &&
		    net->ops->send(j->l, j->user, &ct, add_invited, j) == 0)
			return;
	}
	snprintf(why, sizeof(why), "WhatsApp error %d", r->codes[0]);
	mx_say_id(j->c, j->room, j->lang, BR_CT_MX_ADD_FAILED, phone, why);
	job_free(j);
}

static void
add_resolved(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;
	struct br_net *net = j->c->br->net;
	const char *users[1];
	char phone[BR_NET_PHONE_MAX + 2];

	if (stopping(j->c)) {
		job_free(j);
		return;
	}
	snprintf(phone, sizeof(phone), "+%s", j->digits);
	if (rc < 0) {
		mx_say_id(j->c, j->room, j->lang, BR_CT_MX_ADD_FAILED, phone,
		    r != NULL && r->reason != NULL ? r->reason :
		    u_strerror(rc));
		job_free(j);
		return;
	}
	if (r == NULL || r->user == NULL || r->user[0] == '\0') {
		mx_say_id(j->c, j->room, j->lang, BR_CT_MX_NOT_ON_WA, phone,
		    NULL);
		job_free(j);
		return;
	}
	j->user = u_strdup(r->user);
	/* Counted only now: a number that is not on WhatsApp costs
	 * nothing. */
	(void)br_rate_hit(&j->c->add_member, j->sender, now_ms(j->c));
	(void)br_rate_hit(&j->c->add_all, "all", now_ms(j->c));
	users[0] = j->user;
	if (net->ops->members == NULL || net->ops->members(j->l, j->chat,
	    BR_NET_OP_ADD, users, 1, add_done, j) < 0) {
		mx_say_id(j->c, j->room, j->lang, BR_CT_MX_ADD_FAILED, phone,
		    "unsupported");
		job_free(j);
	}
}

static void
add_start(struct br_community *c, struct br_net_login *l, const char *room,
    const char *sender, const char *digits)
{
	struct br_net *net = c->br->net;
	struct br_portal_obj *p = NULL;
	uint64_t now = now_ms(c);
	char phone[BR_NET_PHONE_MAX + 2];
	struct job *j;

	if (br_portal_get_by_mxid(c->br->portals, room, &p) != 0) {
		mx_say_id(c, room, c->lang, BR_CT_MX_NOT_PORTAL, c->prefix,
		    NULL);
		return;
	}
	if (strstr(p->row->id, "@g.us") == NULL) {	/* groups only */
		br_portal_unref(p);
		mx_say_id(c, room, c->lang, BR_CT_MX_NOT_PORTAL, c->prefix,
		    NULL);
		return;
	}
	if (!br_rate_would_pass(&c->add_member, sender, now) ||
	    !br_rate_would_pass(&c->add_all, "all", now)) {
		br_portal_unref(p);
		mx_say_id(c, room, c->lang, BR_CT_ADD_RATE, NULL, NULL);
		return;
	}
	j = job_new(c, JOB_ADD);
	j->l = l;
	j->p = p;
	j->room = u_strdup(room);
	j->chat = u_strdup(p->row->id);
	j->sender = u_strdup(sender);
	j->digits = u_strdup(digits);
	snprintf(phone, sizeof(phone), "+%.*s", BR_NET_PHONE_MAX, digits);
	if (net->ops->resolve == NULL ||
	    net->ops->resolve(l, phone, add_resolved, j) < 0) {
		mx_say_id(c, room, c->lang, BR_CT_MX_ADD_FAILED, phone,
		    "unsupported");
		job_free(j);
	}
}

/* ================= `!am reset` ========================================= */

/* Ghosts brought back by one reset: WhatsApp groups hold at most 1024
 * members; a bigger list is our peer lying and is cut. */
#define RESET_GHOSTS_MAX	1100

static void
reset_end(struct job *j)
{
	mx_say_id(j->c, j->room, j->lang, j->failed ? BR_CT_MX_FAILED :
	    BR_CT_MX_RESET_DONE, "some WhatsApp members could not join",
	    NULL);
	job_free(j);
}

static void
reset_ghost_done(void *arg, int rc)
{
	struct job *j = arg;

	if (rc < 0 && rc != BR_ERR_MX_CANCELLED) {
		log_warnx("community: reset of %s: a ghost could not join: %s",
		    j->room, u_strerror(rc));
		j->failed = 1;
	}
	if (--j->pending == 0) {
		if (rc == BR_ERR_MX_CANCELLED)
			job_free(j);
		else
			reset_end(j);
	}
}

/* The group's name and topic into the row and the room, where they
 * differ (failures are logged: the rest of the repair goes on). */
static void
resync_one(struct job *j, char **field, const char *now, const char *type,
    const char *key)
{
	struct br_mx *mx = mx_of(j->c);
	json_t *content;

	if (now == NULL || (*field != NULL && strcmp(*field, now) == 0))
		return;
	free(*field);
	*field = u_strdup(now);
	content = json_pack("{s:s}", key, now);
	if (content == NULL || mx->ops->send_state(mx, mx->ops->bot(mx),
	    j->room, type, "", content, mx_logged, NULL) < 0)
		log_warnx("community: reset of %s: %s not sent", j->room, type);
	json_decref(content);
}

static void
resync_info(struct job *j, const struct br_net_chat_info *info)
{
	int r;

	resync_one(j, &j->p->row->name, info->name, "m.room.name", "name");
	resync_one(j, &j->p->row->topic, info->topic, "m.room.topic",
	    "topic");
	if ((r = br_portal_save(j->p)) < 0)
		log_warnx("community: reset of %s: not saved: %s", j->room,
		    u_strerror(r));
}

static void
reset_info(void *arg, int rc, const struct br_net_result *r)
{
	struct job *j = arg;
	const struct br_net_chat_info *info = r != NULL ? r->info : NULL;
	char own[BR_NET_PHONE_MAX + 32];
	size_t i;

	if (stopping(j->c)) {
		job_free(j);
		return;
	}
	if (rc < 0 || info == NULL) {
		m2_fail(j, "the group's members could not be read");
		return;
	}
	snprintf(own, sizeof(own), "%s@s.whatsapp.net", login_id(j->c, j->l));
	resync_info(j, info);
	j->pending = 1;	/* held until the loop is over */
	for (i = 0; i < info->n_members && i < RESET_GHOSTS_MAX; i++) {
		const struct br_net_member *m = &info->members[i];
		struct br_ghost_info gi;
		char *ghost = NULL, phone[BR_NET_PHONE_MAX + 2];
		char *at;

		if (m->user == NULL || strcmp(m->user, own) == 0 ||
		    br_id_ghost(m->user, &ghost) < 0)
			continue;
		memset(&gi, 0, sizeof(gi));
		gi.push_name = m->name;
		at = strchr(m->user, '@');
		if (at != NULL && strcmp(at, "@s.whatsapp.net") == 0 &&
		    (size_t)(at - m->user) <= BR_NET_PHONE_MAX) {
			snprintf(phone, sizeof(phone), "+%.*s",
			    (int)(at - m->user), m->user);
			gi.phone = phone;
		}
		j->pending++;
		if (br_ghost_ensure(j->c->br->portals, ghost, &gi, j->room,
		    reset_ghost_done, j) < 0) {
			j->pending--;
			j->failed = 1;
		}
		free(ghost);
	}
	if (--j->pending == 0)
		reset_end(j);
}

static void
reset_joined(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;
	struct br_net *net = j->c->br->net;
	int r;

	(void)resp;
	if (rc == BR_ERR_MX_CANCELLED) {
		job_free(j);
		return;
	}
	if (rc < 0) {
		m2_fail(j, "the bridge bot could not join the room");
		return;
	}
	if ((r = br_portal_update_bridge_info(j->p)) < 0)
		log_warnx("community: reset of %s: m.bridge not sent: %s",
		    j->room, u_strerror(r));
	if (net->ops->chat_info == NULL ||
	    net->ops->chat_info(j->l, j->chat, reset_info, j) < 0)
		m2_fail(j, "the group's members could not be read");
}

static void
reset_start(struct br_community *c, struct br_net_login *l,
    const char *room)
{
	struct br_mx *mx = mx_of(c);
	struct br_portal_obj *p = NULL;
	struct job *j;
	int r;

	if (br_portal_get_by_mxid(c->br->portals, room, &p) != 0 ||
	    strstr(p->row->id, "@g.us") == NULL) {
		if (p != NULL)
			br_portal_unref(p);
		mx_say_id(c, room, c->lang, BR_CT_MX_NOT_PORTAL, c->prefix,
		    NULL);
		return;
	}
	j = job_new(c, JOB_RESET);
	j->l = l;
	j->p = p;
	j->room = u_strdup(room);
	j->chat = u_strdup(p->row->id);
	if ((r = relay_on(c, p, l)) < 0)
		log_warnx("community: reset of %s: relaying not saved: %s",
		    room, u_strerror(r));
	if (mx->ops->ensure_joined(mx, mx->ops->bot(mx), room, reset_joined,
	    j) < 0)
		m2_fail(j, "the bridge bot could not join the room");
}

/* ================= the community bot's invites ========================= */

static void
cbot_joined(void *arg, int rc, json_t *resp)
{
	struct job *j = arg;

	(void)resp;
	if (rc == 0)
		mx_say_id(j->c, j->room, j->lang, BR_CT_MX_BOT_HELLO,
		    j->c->prefix, NULL);
	else if (rc != BR_ERR_MX_CANCELLED)
		log_warnx("community: the community bot could not join %s: %s",
		    j->room, br_mx_strerror(rc));
	job_free(j);
}

/* A member the bridge does not block (bridge.permissions: at least
 * relay), or a bridge admin. */
static int
may_use(struct br_community *c, const char *mxid)
{
	unsigned f = br_config_permissions(c->cfg, mxid).flags;

	return (br_community_is_member(c->cfg, mxid) &&
	    (f & BR_PERM_SEND_EVENTS)) || (f & BR_PERM_ADMIN);
}

static int
h_mx_member(void *arg, const struct br_mx_member *m)
{
	struct br_community *c = arg;
	struct br_mx *mx = mx_of(c);
	struct br_mx_intent *cb;
	struct job *j;
	char *why;

	if (!m->target_is_community_bot)
		return 0;
	if (strcmp(m->membership, "invite") != 0 || mx == NULL ||
	    mx->ops->community_bot == NULL ||
	    (cb = mx->ops->community_bot(mx)) == NULL)
		return 1;
	if (!may_use(c, m->sender)) {
		log_info("community: rejecting an invite of the community bot "
		    "from a non-member");
		why = br_ctext_fmt(c->lang, BR_CT_MX_NOT_MEMBER, c->prefix,
		    NULL);
		if (mx->ops->leave(mx, cb, m->room_id, why, mx_logged, NULL)
		    < 0)
			log_warnx("community: failed to reject an invite");
		free(why);
		return 1;
	}
	j = job_new(c, JOB_CBOT_JOIN);
	j->room = u_strdup(m->room_id);
	if (mx->ops->ensure_joined(mx, cb, m->room_id, cbot_joined, j) < 0)
		job_free(j);
	return 1;
}

/* ================= commands ============================================ */

static enum br_lang
help_lang(struct br_community *c, const struct br_am_cmd *cmd)
{
	if (strcmp(cmd->arg, "fr") == 0)
		return BR_LANG_FR;
	if (strcmp(cmd->arg, "en") == 0)
		return BR_LANG_EN;
	return c->lang;
}

static int
h_wa_message(void *arg, struct br_net_login *l,
    const struct br_net_message *m)
{
	struct br_community *c = arg;
	const char *dom = br_community_domain(c->cfg);
	struct br_am_cmd cmd;
	char key[BR_RATE_KEY_MAX + 1];

	/* History (backfill) is the past: never a command to run now, and
	 * not a sign of life of the phone. */
	if (!is_relay(c, l) || m->backfill)
		return 0;
	/* Our own account's messages from elsewhere: the phone is alive
	 * (an approximation: another companion of the account counts too). */
	if (m->from_me && m->ts_ms > 0)
		(void)br_community_phone_seen(c, login_id(c, l),
		    (int64_t)(m->ts_ms / 1000));
	if (!m->is_group || m->chat == NULL || m->c.kind != BR_NET_KIND_TEXT ||
	    m->c.text == NULL)
		return 0;
	br_am_parse(c->prefix, m->c.text, &cmd);
	if (cmd.verb == BR_AM_NONE)
		return 0;
	snprintf(key, sizeof(key), "wa:%.*s", BR_RATE_KEY_MAX - 3, m->chat);
	switch (br_rate_hit(&c->cmd_rate, key, now_ms(c))) {
	case BR_RATE_OK:
		break;
	case BR_RATE_LIMITED_FIRST:
		wa_say_id(c, l, m->chat, c->lang, BR_CT_RATE, NULL, NULL);
		return 0;
	case BR_RATE_LIMITED:
		return 0;
	}
	switch (cmd.verb) {
	case BR_AM_HELP:
		wa_say_id(c, l, m->chat, help_lang(c, &cmd), BR_CT_WA_HELP,
		    c->prefix, dom);
		break;
	case BR_AM_INVITE:
		if (!br_community_is_member(c->cfg, cmd.arg)) {
			wa_say_id(c, l, m->chat, c->lang, BR_CT_WA_NOT_MEMBER,
			    cmd.arg, dom);
			break;
		}
		m1_start(c, l, m->chat, cmd.arg);
		break;
	case BR_AM_BAD_USER:
		wa_say_id(c, l, m->chat, c->lang, BR_CT_BAD_USER, c->prefix,
		    dom);
		break;
	default:
		wa_say_id(c, l, m->chat, c->lang, BR_CT_UNKNOWN, c->prefix,
		    NULL);
		break;
	}
	return 0;	/* still bridged, like any message */
}

static int
h_mx_message(void *arg, const struct br_mx_message *m)
{
	struct br_community *c = arg;
	struct br_net_login *l;
	struct br_am_cmd cmd;
	char key[BR_RATE_KEY_MAX + 1];

	if (m->body == NULL || m->sender == NULL || m->room_id == NULL ||
	    mx_of(c) == NULL || mx_of(c)->ops->is_ours(mx_of(c), m->sender))
		return 0;
	if (strcmp(m->msgtype, "m.text") != 0 || m->edit_of != NULL)
		return 0;
	br_am_parse(c->prefix, m->body, &cmd);
	if (cmd.verb == BR_AM_NONE)
		return 0;
	snprintf(key, sizeof(key), "mx:%.*s", BR_RATE_KEY_MAX - 3, m->sender);
	switch (br_rate_hit(&c->cmd_rate, key, now_ms(c))) {
	case BR_RATE_OK:
		break;
	case BR_RATE_LIMITED_FIRST:
		mx_say_id(c, m->room_id, c->lang, BR_CT_RATE, NULL, NULL);
		return 1;
	case BR_RATE_LIMITED:
		return 1;
	}
	if (!may_use(c, m->sender)) {
		mx_say_id(c, m->room_id, c->lang, BR_CT_MX_NOT_MEMBER,
		    c->prefix, NULL);
		return 1;
	}
	if (stopping(c)) {
		mx_say_id(c, m->room_id, c->lang, BR_CT_MX_FAILED,
		    "the bridge is still starting", NULL);
		return 1;
	}
	l = NULL;
	if (cmd.verb == BR_AM_WHATSAPP || cmd.verb == BR_AM_WHATSAPP_ADD ||
	    cmd.verb == BR_AM_RESET) {
		if ((l = br_community_relay_login(c)) == NULL) {
			mx_say_id(c, m->room_id, c->lang, BR_CT_NO_RELAY,
			    NULL, NULL);
			return 1;
		}
	}
	switch (cmd.verb) {
	case BR_AM_HELP:
		mx_say_id(c, m->room_id, help_lang(c, &cmd), BR_CT_MX_HELP,
		    c->prefix, NULL);
		break;
	case BR_AM_WHATSAPP:
		m2_start(c, l, m->room_id, m->sender);
		break;
	case BR_AM_WHATSAPP_ADD:
		add_start(c, l, m->room_id, m->sender, cmd.arg);
		break;
	case BR_AM_RESET:
		reset_start(c, l, m->room_id);
		break;
	case BR_AM_BAD_PHONE:
		mx_say_id(c, m->room_id, c->lang, BR_CT_BAD_PHONE, c->prefix,
		    NULL);
		break;
	default:
		mx_say_id(c, m->room_id, c->lang, BR_CT_UNKNOWN, c->prefix,
		    NULL);
		break;
	}
	return 1;	/* never relayed: no command echo */
}

/* ================= the welcome ========================================= */

static int
h_wa_group(void *arg, struct br_net_login *l,
    const struct br_net_group_event *g)
{
	struct br_community *c = arg;
	char own[BR_NET_PHONE_MAX + 32], *text;
	const char *tmpl;
	size_t i;
	int us = 0;

	if (g->chat == NULL || !is_relay(c, l) || created_by_us(c, g->chat))
		return 0;
	snprintf(own, sizeof(own), "%s@s.whatsapp.net", login_id(c, l));
	/* Joined: a group created with us in it (JOINED), or us added to
	 * an existing group (ADD naming our account). */
	for (i = 0; g->change == BR_NET_GROUP_ADD && i < g->n_users; i++)
		us |= g->users[i] != NULL && strcmp(g->users[i], own) == 0;
	if (g->change != BR_NET_GROUP_JOINED && !us)
		return 0;
	/* A group this account created (from the bridge or its phone): no
	 * one to welcome; also covers a creation notice arriving before
	 * the create call's answer.  No actor: not an add but the bridge
	 * learning of a group it was already in (`sync groups`, `join`, a
	 * new login's groups): welcoming would spam old groups. */
	if (g->actor == NULL || strcmp(g->actor, own) == 0)
		return 0;
	if (br_rate_hit(&c->welcome, g->chat, now_ms(c)) != BR_RATE_OK)
		return 0;
	tmpl = c->lang == BR_LANG_FR ? c->cfg->community.welcome_fr :
	    c->cfg->community.welcome_en;
	if (tmpl[0] != '\0')
		text = br_ctext_fill(tmpl, c->prefix,
		    br_community_domain(c->cfg));
	else
		text = br_ctext_fmt(c->lang, BR_CT_WELCOME, c->prefix,
		    br_community_domain(c->cfg));
	log_info("community: welcome posted in a new group");
	wa_say(c, l, g->chat, text);
	free(text);
	return 0;
}

/* ================= life cycle ========================================== */

static uint32_t
limit(int64_t v)
{
	return v <= 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

struct br_community *
br_community_new(struct br_bridge *br, const struct br_config *cfg)
{
	struct br_community *c;

	if (!cfg->community.enabled)
		return NULL;
	c = u_calloc(1, sizeof(*c));
	c->br = br;
	c->cfg = cfg;
	c->prefix = cfg->community.command_prefix;
	if (br_lang_parse(cfg->community.language, &c->lang) < 0)
		c->lang = BR_LANG_EN;
	br_rate_init(&c->cmd_rate, MINUTE_MS,
	    limit(cfg->community.commands_per_minute));
	br_rate_init(&c->add_member, DAY_MS,
	    limit(cfg->community.adds_per_member_per_day));
	br_rate_init(&c->add_all, DAY_MS, limit(cfg->community.adds_per_day));
	br_rate_init(&c->welcome, DAY_MS, 1);
	br->hooks.wa_message = h_wa_message;
	br->hooks.mx_message = h_mx_message;
	br->hooks.mx_member = h_mx_member;
	br->hooks.wa_group = h_wa_group;
	br->hooks.arg = c;
	log_info("community portals on (prefix %s)", c->prefix);
	return c;
}

void
br_community_set_clock(struct br_community *c, uint64_t (*now)(void *),
    void *arg)
{
	c->now = now;
	c->now_arg = arg;
}

void
br_community_free(struct br_community *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->br->hooks.arg == c)
		memset(&c->br->hooks, 0, sizeof(c->br->hooks));
	br__community_warn_stop(c);
	/* Jobs whose calls the sides dropped without completing them. */
	while (c->job_list != NULL)
		job_free(c->job_list);
	for (i = 0; i < CREATED_MAX; i++)
		free(c->created[i]);
	free(c);
}
