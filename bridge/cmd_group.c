/*
 * cmd_group.c: the group commands: `create-group [type]` (alias
 * `create`; mautrix-go bridgev2 commands/startchat.go fnCreateGroup over
 * provisionutil.CreateGroup and mautrix-whatsapp's CreateGroup),
 * `invite-link [--reset]`, `join <link>` and `sync <group|groups|...>`
 * (mautrix-whatsapp pkg/connector/commands.go).
 *
 *   create-group   needs a login and room PL for m.bridge (the gate in
 *                  cmd.c); refuses a room that is already a portal.  The
 *                  participants are the room's ghosts and, without
 *                  split_portals, the logins of its real members; the
 *                  name is the room's m.room.name (at most 100
 *                  characters), the only type "group", at least one
 *                  participant besides the account.  The new group's
 *                  portal gets this room (m.bridge sent), the room's
 *                  topic is set as the group's description.  Reply:
 *                  "Successfully created group `<JID>`" plus the
 *                  participants WhatsApp refused.
 *   invite-link    the current group's link (not for DMs or broadcast
 *                  lists); --reset revokes the old one.
 *   join           a https://chat.whatsapp.com/ link; the portal comes
 *                  when WhatsApp reports the group (on_group JOINED),
 *                  and from a sync of the chat right after (that
 *                  notification may not reach the joining device: wasim
 *                  sends none to it).
 *   sync group     refetch the current portal's chat info;
 *        groups    every group the account is in: missing portals are
 *                  created, existing ones updated.
 *   A portal without a room gets it through the resync hook
 *   (br_cmd_set_group_sync: the core's handling of a JOINED group event,
 *   which creates the room with the members' ghosts), or without one a
 *   minimal room here (name, topic, the owner invited); a portal with a
 *   room gets the chat's name and topic.
 *   sync contacts  every contact the login's store knows applied to its
 *                  ghost (bridge/contacts.h: displayname_template), then
 *                  a ✅ reaction; contacts-with-avatars: the same, every
 *                  ghost's picture asked for again.
 *   sync appstate [names...]  fetch app-state collections from version 0,
 *                  one after the other, one reply each (upstream's
 *                  texts); an unknown name is answered and skipped; a
 *                  missing key ends the command.
 *
 * Untrusted input: the arguments, room state and members (bounded), the
 * network side's answers (JIDs parsed before use).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/contacts.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Room members considered for a new group (WhatsApp groups hold about
 * 1024; past that the room is not a group we can make). */
#define CREATE_MEMBERS_MAX	1024
/* GroupTypeCapabilities "group": Name MaxLength 100. */
#define GROUP_NAME_MAX		100
/* Groups synced by one `sync groups`. */
#define SYNC_GROUPS_MAX		1024
#define INVITE_LINK_PREFIX	"https://chat.whatsapp.com/"
#define CHANNEL_LINK_PREFIX	"https://whatsapp.com/channel/"

/* ---- the resync hook ---- */

static struct {
	br_cmd_group_sync_fn	 fn;
	void			*arg;
} sync_hook;

void
br_cmd_set_group_sync(br_cmd_group_sync_fn fn, void *arg)
{
	sync_hook.fn = fn;
	sync_hook.arg = arg;
}

/* The user's default login as a network handle, or NULL after the
 * "Login not found" reply. */
static struct br_net_login *
default_login(struct br_cmd_event *ce)
{
	struct br_net_login *l = NULL;
	char *id = NULL;

	if (br_cmd_default_login(ce->br, ce->sender, &id) == 0)
		l = br_cmd_net_login(ce->br, id);
	free(id);
	if (l == NULL)
		br_cmd_reply_id(ce, BR_TXT_LOGIN_NOT_FOUND, NULL, NULL);
	return l;
}

static const char *
unsupported(struct br_bridge *br)
{
	return br_text(br->lang, BR_TXT_NET_UNSUPPORTED);
}

static const char *
reason_of(int rc, const struct br_net_result *r)
{
	return r != NULL && r->reason != NULL ? r->reason :
	    br_net_strerror(rc);
}

/* ---- invite-link ---- */

static void
link_got(void *arg, int rc, const struct br_net_result *r)
{
	struct br_cmd_event *ce = arg;

	if (rc == BR_ERR_NET_CANCELLED)
		goto out;
	if (rc < 0 || r == NULL || r->link == NULL)
		br_cmd_reply_id(ce, BR_TXT_INVITE_FAILED, reason_of(rc < 0 ? rc :
		    BR_ERR_NET_FAILED, r), NULL);
	else
		br_cmd_reply(ce, r->link);
out:
	br_cmd_event_release(ce);
}

void
br_cmd_invite_link(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_net *net = br_cmd_net(br);
	struct br_net_login *l;
	struct br_portal *row = NULL;
	struct br_cmd_event *h;
	struct br_jid j;
	int reset, r;

	if ((l = default_login(ce)) == NULL)
		return;
	if ((r = br_store_portal_get_by_mxid(br->db, ce->room_id, &row)) < 0) {
		br_cmd_reply_id(ce, BR_TXT_NEEDS_PORTAL, NULL, NULL);
		return;
	}
	reset = ce->nargs > 0 && strcasecmp(ce->args[0], "--reset") == 0;
	if ((r = br_jid_parse(row->id, &j)) < 0)
		br_cmd_reply_id(ce, BR_TXT_PORTAL_ID_BAD, u_strerror(r), NULL);
	else if (strcmp(j.server, BR_SERVER_USER) == 0 ||
	    strcmp(j.server, BR_SERVER_LID) == 0)
		br_cmd_reply_id(ce, BR_TXT_INVITE_PRIVATE, NULL, NULL);
	else if (strcmp(j.server, BR_SERVER_BROADCAST) == 0)
		br_cmd_reply_id(ce, BR_TXT_INVITE_BROADCAST, NULL, NULL);
	else if (net->ops->invite_link == NULL)
		br_cmd_reply_id(ce, BR_TXT_INVITE_FAILED, unsupported(br), NULL);
	else {
		h = br_cmd_event_hold(ce);
		if (net->ops->invite_link(l, row->id, reset, link_got, h) < 0) {
			br_cmd_reply_id(ce, BR_TXT_INVITE_FAILED,
			    br_net_strerror(BR_ERR_NET_FAILED), NULL);
			br_cmd_event_release(h);
		}
	}
	br_portal_free(row);
}

/* ---- join ---- */

static int resync_start(struct br_bridge *br, struct br_net_login *l,
    const char *chat, int create, const struct br_cmd_event *ce);

struct join {
	struct br_cmd_event	*ce;	/* owned (held) */
	char			*login;	/* owned */
};

static void
joined(void *arg, int rc, const struct br_net_result *r)
{
	struct join *j = arg;
	struct br_cmd_event *ce = j->ce;
	struct br_net_login *l;
	struct br_jid g;

	if (rc == BR_ERR_NET_CANCELLED)
		goto out;
	if (rc < 0 || r == NULL || r->chat == NULL ||
	    br_jid_parse(r->chat, &g) < 0 ||
	    strcmp(g.server, BR_SERVER_GROUP) != 0) {
		br_cmd_reply_id(ce, BR_TXT_JOIN_FAILED, reason_of(rc < 0 ? rc :
		    BR_ERR_NET_FAILED, r), NULL);
		goto out;
	}
	log_info("join: %s joined a group by link", ce->sender);
	br_cmd_reply_id(ce, BR_TXT_JOIN_DONE, r->chat, NULL);
	/* Upstream waits for WhatsApp's group notification to make the
	 * portal; it may not reach the joining device (wasim sends none),
	 * so the chat is also synced now (creating the portal). */
	l = br_cmd_net_login(ce->br, j->login);
	if (l != NULL && resync_start(ce->br, l, r->chat, 1, NULL) < 0)
		log_warnx("join: the new group's portal waits for WhatsApp");
out:
	br_cmd_event_release(ce);
	free(j->login);
	free(j);
}

void
br_cmd_join(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_net *net = br_cmd_net(br);
	struct br_net_login *l;
	struct join *j;

	if (ce->nargs == 0) {
		br_cmd_reply_id(ce, BR_TXT_JOIN_USAGE,
		    br->cfg->bridge.command_prefix, NULL);
		return;
	}
	if ((l = default_login(ce)) == NULL)
		return;
	if (strncmp(ce->args[0], INVITE_LINK_PREFIX,
	    strlen(INVITE_LINK_PREFIX)) == 0) {
		if (net->ops->join_link == NULL) {
			br_cmd_reply_id(ce, BR_TXT_JOIN_FAILED, unsupported(br),
			    NULL);
			return;
		}
		j = u_calloc(1, sizeof(*j));
		j->ce = br_cmd_event_hold(ce);
		j->login = u_strdup(net->ops->info(l)->id);
		if (net->ops->join_link(l, ce->args[0], joined, j) < 0) {
			br_cmd_reply_id(ce, BR_TXT_JOIN_FAILED,
			    br_net_strerror(BR_ERR_NET_FAILED), NULL);
			br_cmd_event_release(j->ce);
			free(j->login);
			free(j);
		}
	} else if (strncmp(ce->args[0], CHANNEL_LINK_PREFIX,
	    strlen(CHANNEL_LINK_PREFIX)) == 0) {
		/* Channels (newsletters) are not in net.h yet. */
		br_cmd_reply_id(ce, BR_TXT_JOIN_CHANNEL_FAILED, unsupported(br),
		    NULL);
	} else
		br_cmd_reply_id(ce, BR_TXT_JOIN_BAD_LINK, NULL, NULL);
}

/* ---- resync of one chat ---- */

struct resync {
	struct br_bridge	*br;		/* borrowed */
	char			*login;		/* owned: login ID */
	char			*owner;		/* owned: its Matrix user */
	char			*chat;		/* owned */
	int			 create;	/* make the portal if missing */
	struct br_cmd_event	*ce;		/* owned (held) or NULL: react
						 * to it when done */
	struct br_portal_obj	*p;		/* ref or NULL */
};

static void
resync_free(struct resync *rs)
{
	free(rs->login);
	free(rs->owner);
	free(rs->chat);
	br_cmd_event_release(rs->ce);
	if (rs->p != NULL)
		br_portal_unref(rs->p);
	free(rs);
}

static void
state_sent(void *arg, int rc, json_t *resp)
{
	(void)arg;
	(void)resp;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("sync: room state not sent: %s", br_mx_strerror(rc));
}

static void
send_state_text(struct br_bridge *br, const char *room, const char *type,
    const char *key, const char *value)
{
	struct br_mx *mx = br->mx;
	json_t *c = json_pack("{s:s}", key, value);

	if (mx->ops->send_state == NULL || mx->ops->send_state(mx,
	    mx->ops->bot(mx), room, type, "", c, state_sent, NULL) < 0)
		log_warnx("sync: cannot send %s to %s", type, room);
	json_decref(c);
}

static void
resync_room(void *arg, int rc, const char *room_id)
{
	struct resync *rs = arg;

	if (rc < 0 && rc != BR_ERR_MX_CANCELLED && rc != BR_ERR_PORTAL_CLOSED)
		log_warnx("sync: room of a group not created: %s",
		    br_mx_strerror(rc));
	if (rc == 0 && rs->ce != NULL)
		br_cmd_react(rs->br, rs->ce->room_id, rs->ce->event_id, "✅");
	resync_free(rs);
}

/* Minimal update without the core's hook: name, topic, picture, room. */
static void
resync_apply(struct resync *rs, const struct br_net_chat_info *info)
{
	struct br_bridge *br = rs->br;
	struct br_portal *row = rs->p->row;
	struct br_portal_info pi;
	const char *invite[2] = { rs->owner, NULL };
	int changed = 0;

	if (row->mxid == NULL) {
		memset(&pi, 0, sizeof(pi));
		pi.name = info->name;
		pi.topic = info->topic;
		pi.announce = info->announce;
		pi.locked = info->locked;
		pi.invite = invite;
		if (br_portal_create_room(rs->p, &pi, resync_room, rs) == 0)
			return;
		resync_free(rs);
		return;
	}
	if (info->name != NULL && strcmp(info->name, row->name) != 0) {
		free(row->name);
		row->name = u_strdup(info->name);
		send_state_text(br, row->mxid, "m.room.name", "name",
		    info->name);
		changed = 1;
	}
	if (info->topic != NULL && strcmp(info->topic, row->topic) != 0) {
		free(row->topic);
		row->topic = u_strdup(info->topic);
		send_state_text(br, row->mxid, "m.room.topic", "topic",
		    info->topic);
		changed = 1;
	}
	if (changed && br_portal_save(rs->p) < 0)
		log_warnx("sync: portal not saved");
	/* The group picture: queued in the portal's FIFO (an unchanged id
	 * does nothing there). */
	if (info->avatar_id != NULL && br_portal_set_avatar(rs->p,
	    info->avatar_id, info->avatar, info->avatar_len) < 0)
		log_warnx("sync: group picture not applied");
	if (rs->ce != NULL)
		br_cmd_react(br, rs->ce->room_id, rs->ce->event_id, "✅");
	resync_free(rs);
}

static void
resync_info(void *arg, int rc, const struct br_net_result *r)
{
	struct resync *rs = arg;
	struct br_bridge *br = rs->br;
	struct br_net_group_event g;
	struct br_net_login *l;
	struct br_portal_key key;
	struct br_user_portal *up = NULL;
	char *recv = NULL;
	int e;

	if (rc == BR_ERR_NET_CANCELLED)
		goto out;
	if (rc < 0 || r == NULL || r->info == NULL) {
		if (rs->ce != NULL)
			br_cmd_reply_id(rs->ce, BR_TXT_CHAT_INFO_FAILED,
			    reason_of(rc < 0 ? rc : BR_ERR_NET_FAILED, r),
			    NULL);
		else
			log_warnx("sync: chat info failed: %s",
			    reason_of(rc < 0 ? rc : BR_ERR_NET_FAILED, r));
		goto out;
	}
	e = br_id_portal_receiver(rs->chat, rs->login,
	    br->cfg->bridge.split_portals, &recv);
	key.id = rs->chat;
	key.receiver = recv;
	if (e == 0)
		e = br_portal_get(br->portals, key, rs->create, &rs->p);
	if (e < 0) {
		if (e != U_ERR_NOT_FOUND)
			log_warnx("sync: portal: %s", u_strerror(e));
		free(recv);
		goto out;
	}
	if (br_store_user_portal_get_or_create(br->db, rs->owner, rs->login,
	    key, &up) < 0)
		log_warnx("sync: user_portal row not written");
	br_user_portal_free(up);
	free(recv);
	l = br_cmd_net_login(br, rs->login);
	if (rs->p->row->mxid == NULL && sync_hook.fn != NULL && l != NULL) {
		/* No room yet: the core makes it as for a group we were
		 * added to (members' ghosts, power levels). */
		memset(&g, 0, sizeof(g));
		g.change = BR_NET_GROUP_JOINED;
		g.chat = rs->chat;
		g.info = r->info;
		sync_hook.fn(sync_hook.arg, l, &g);
		if (rs->ce != NULL)
			br_cmd_react(br, rs->ce->room_id, rs->ce->event_id,
			    "✅");
		goto out;
	}
	resync_apply(rs, r->info);
	return;
out:
	resync_free(rs);
}

/* Refetch chat's info through login and update (or create) its portal. */
static int
resync_start(struct br_bridge *br, struct br_net_login *l, const char *chat,
    int create, const struct br_cmd_event *ce)
{
	struct br_net *net = br_cmd_net(br);
	const struct br_net_login_info *in = net->ops->info(l);
	struct resync *rs;

	if (net->ops->chat_info == NULL)
		return BR_ERR_NET_UNSUPPORTED;
	rs = u_calloc(1, sizeof(*rs));
	rs->br = br;
	rs->login = u_strdup(in->id);
	rs->owner = u_strdup(in->user_mxid);
	rs->chat = u_strdup(chat);
	rs->create = create;
	rs->ce = ce != NULL ? br_cmd_event_hold(ce) : NULL;
	if (net->ops->chat_info(l, chat, resync_info, rs) < 0) {
		resync_free(rs);
		return BR_ERR_NET_FAILED;
	}
	return 0;
}

/* ---- sync ---- */

struct groups {
	struct br_cmd_event	*ce;	/* owned (held) */
	char			*login;	/* owned */
};

static void
groups_listed(void *arg, int rc, const struct br_net_result *r)
{
	struct groups *gs = arg;
	struct br_bridge *br = gs->ce->br;
	struct br_net_login *l = br_cmd_net_login(br, gs->login);
	struct br_jid j;
	char n[24];
	size_t i, queued = 0;

	if (rc == BR_ERR_NET_CANCELLED)
		goto out;
	if (rc < 0 || r == NULL || l == NULL) {
		br_cmd_reply_id(gs->ce, BR_TXT_SYNC_GROUPS_FAILED,
		    reason_of(rc < 0 ? rc : BR_ERR_NET_FAILED, r), NULL);
		goto out;
	}
	for (i = 0; i < r->n_chats && i < SYNC_GROUPS_MAX; i++) {
		if (r->chats[i] == NULL || br_jid_parse(r->chats[i], &j) < 0 ||
		    strcmp(j.server, BR_SERVER_GROUP) != 0)
			continue;
		if (resync_start(br, l, r->chats[i], 1, NULL) == 0)
			queued++;
	}
	snprintf(n, sizeof(n), "%zu", queued);
	br_cmd_reply_id(gs->ce, BR_TXT_SYNC_QUEUED, n, NULL);
out:
	br_cmd_event_release(gs->ce);
	free(gs->login);
	free(gs);
}

/* contacts, contacts-with-avatars: every contact applied to its ghost
 * (bridge/contacts.h), then ✅ as upstream (which reacts once its
 * resyncContacts has returned). */
struct contacts_cmd {
	struct br_cmd_event	*ce;	/* owned (held) */
	char			*what;	/* owned */
};

static void
contacts_synced(void *arg, int rc, size_t n)
{
	struct contacts_cmd *cc = arg;

	if (rc == BR_ERR_NET_CANCELLED)
		;
	else if (rc < 0)
		br_cmd_reply_id(cc->ce, BR_TXT_SYNC_CONTACTS_FAILED,
		    br_net_strerror(rc), NULL);
	else {
		log_info("sync %s: %zu contacts applied", cc->what, n);
		br_cmd_react(cc->ce->br, cc->ce->room_id, cc->ce->event_id,
		    "✅");
	}
	br_cmd_event_release(cc->ce);
	free(cc->what);
	free(cc);
}

static void
sync_contacts(struct br_cmd_event *ce, struct br_net_login *l, int avatars)
{
	struct br_contacts *cs = br_contacts_of(ce->br);
	struct contacts_cmd *cc;
	int r;

	if (cs == NULL || br_cmd_net(ce->br)->ops->list_contacts == NULL) {
		br_cmd_reply_id(ce, BR_TXT_SYNC_UNSUPPORTED, ce->args[0], NULL);
		return;
	}
	cc = u_calloc(1, sizeof(*cc));
	cc->ce = br_cmd_event_hold(ce);
	cc->what = u_strdup(ce->args[0]);
	r = br_contacts_sync(cs, l, avatars, contacts_synced, cc);
	if (r < 0) {
		br_cmd_reply_id(ce, BR_TXT_SYNC_CONTACTS_FAILED,
		    br_net_strerror(r), NULL);
		br_cmd_event_release(cc->ce);
		free(cc->what);
		free(cc);
	}
}

/*
 * appstate [names...]: whatsmeow's FetchAppState(name, fullSync) for each
 * name in turn (all five without names); an unknown name is answered and
 * skipped; a missing key ends the command (the key is asked for, the
 * sync happens when the phone answers).
 */
static const char *const appstate_names[] = {
	"critical_block", "critical_unblock_low", "regular_high", "regular",
	"regular_low",
};
#define APPSTATE_NAMES	(sizeof(appstate_names) / sizeof(appstate_names[0]))

struct appstate_cmd {
	struct br_cmd_event	*ce;	/* owned (held) */
	char			*login;	/* owned */
	const char		*names[BR_CMD_ARGS_MAX];	/* static */
	size_t			 n, next;
};

static void appstate_next(struct appstate_cmd *ac);

static void
appstate_free(struct appstate_cmd *ac)
{
	br_cmd_event_release(ac->ce);
	free(ac->login);
	free(ac);
}

static void
appstate_done(void *arg, int rc, const struct br_net_result *r)
{
	struct appstate_cmd *ac = arg;
	const char *name = ac->names[ac->next - 1];

	if (rc == BR_ERR_NET_CANCELLED) {
		appstate_free(ac);
		return;
	}
	if (rc == BR_ERR_NET_NO_KEY) {
		br_cmd_reply_id(ac->ce, BR_TXT_SYNC_APPSTATE_NO_KEY, name,
		    reason_of(rc, r));
		appstate_free(ac);
		return;
	}
	if (rc < 0)
		br_cmd_reply_id(ac->ce, BR_TXT_SYNC_APPSTATE_FAILED, name,
		    reason_of(rc, r));
	else if (strcmp(name, "critical_unblock_low") == 0)
		br_cmd_reply_id(ac->ce, BR_TXT_SYNC_APPSTATE_CONTACTS, name,
		    NULL);
	else
		br_cmd_reply_id(ac->ce, BR_TXT_SYNC_APPSTATE_DONE, name, NULL);
	appstate_next(ac);
}

static void
appstate_next(struct appstate_cmd *ac)
{
	struct br_net *net = br_cmd_net(ac->ce->br);
	struct br_net_login *l;
	const char *name;
	int r;

	while (ac->next < ac->n) {
		name = ac->names[ac->next++];
		if ((l = br_cmd_net_login(ac->ce->br, ac->login)) == NULL)
			break;
		r = net->ops->sync_appstate(l, name, appstate_done, ac);
		if (r == 0)
			return;
		if (r == BR_ERR_NET_NO_KEY) {
			br_cmd_reply_id(ac->ce, BR_TXT_SYNC_APPSTATE_NO_KEY,
			    name, br_net_strerror(r));
			break;
		}
		br_cmd_reply_id(ac->ce, BR_TXT_SYNC_APPSTATE_FAILED, name,
		    br_net_strerror(r));
	}
	appstate_free(ac);
}

static void
sync_appstate(struct br_cmd_event *ce, struct br_net_login *l)
{
	struct br_net *net = br_cmd_net(ce->br);
	struct appstate_cmd *ac;
	size_t i, k;

	if (net->ops->sync_appstate == NULL) {
		br_cmd_reply_id(ce, BR_TXT_SYNC_UNSUPPORTED, ce->args[0], NULL);
		return;
	}
	ac = u_calloc(1, sizeof(*ac));
	if (ce->nargs <= 1) {
		for (k = 0; k < APPSTATE_NAMES; k++)
			ac->names[ac->n++] = appstate_names[k];
	}
	for (i = 1; i < ce->nargs && ac->n < BR_CMD_ARGS_MAX; i++) {
		/* Upstream compares the names exactly (case included). */
		for (k = 0; k < APPSTATE_NAMES; k++)
			if (strcmp(ce->args[i], appstate_names[k]) == 0)
				break;
		if (k == APPSTATE_NAMES)
			br_cmd_reply_id(ce, BR_TXT_SYNC_APPSTATE_INVALID,
			    ce->args[i], NULL);
		else
			ac->names[ac->n++] = appstate_names[k];
	}
	ac->ce = br_cmd_event_hold(ce);
	ac->login = u_strdup(net->ops->info(l)->id);
	appstate_next(ac);
}

void
br_cmd_sync(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_net *net = br_cmd_net(br);
	struct br_net_login *l;
	struct br_portal *row = NULL;
	struct groups *gs;
	const char *what;
	int r;

	if ((l = default_login(ce)) == NULL)
		return;
	if (ce->nargs == 0) {
		br_cmd_reply_id(ce, BR_TXT_SYNC_USAGE,
		    br->cfg->bridge.command_prefix, NULL);
		return;
	}
	what = ce->args[0];
	if (strcasecmp(what, "group") == 0 || strcasecmp(what, "portal") == 0 ||
	    strcasecmp(what, "room") == 0) {
		if (br_store_portal_get_by_mxid(br->db, ce->room_id, &row) < 0) {
			br_cmd_reply_id(ce, BR_TXT_SYNC_NOT_PORTAL,
			    br->cfg->bridge.command_prefix, NULL);
			return;
		}
		r = resync_start(br, l, row->id, 0, ce);
		if (r < 0)
			br_cmd_reply_id(ce, BR_TXT_CHAT_INFO_FAILED,
			    r == BR_ERR_NET_UNSUPPORTED ? unsupported(br) :
			    br_net_strerror(r), NULL);
		br_portal_free(row);
	} else if (strcasecmp(what, "groups") == 0) {
		if (net->ops->list_groups == NULL) {
			br_cmd_reply_id(ce, BR_TXT_SYNC_GROUPS_FAILED,
			    unsupported(br), NULL);
			return;
		}
		gs = u_calloc(1, sizeof(*gs));
		gs->ce = br_cmd_event_hold(ce);
		gs->login = u_strdup(net->ops->info(l)->id);
		if (net->ops->list_groups(l, groups_listed, gs) < 0) {
			br_cmd_reply_id(ce, BR_TXT_SYNC_GROUPS_FAILED,
			    br_net_strerror(BR_ERR_NET_FAILED), NULL);
			br_cmd_event_release(gs->ce);
			free(gs->login);
			free(gs);
		}
	} else if (strcasecmp(what, "contacts") == 0 ||
	    strcasecmp(what, "contacts-with-avatars") == 0) {
		sync_contacts(ce, l, strcasecmp(what, "contacts") != 0);
	} else if (strcasecmp(what, "appstate") == 0) {
		sync_appstate(ce, l);
	} else
		br_cmd_reply_id(ce, BR_TXT_SYNC_UNKNOWN, what, NULL);
}

/* ---- create-group ---- */

struct create {
	struct br_cmd_event	*ce;		/* owned (held) */
	char			*login;		/* owned: login ID */
	char			*self;		/* owned: the account's JID */
	char			*type;		/* owned or NULL */
	char			**users;	/* owned: participant JIDs */
	size_t			 n_users;
	char			*name;		/* owned or NULL */
	char			*topic;		/* owned or NULL */
	char			**ghosts;	/* owned: ghost IDs in the room */
	size_t			 n_ghosts;
};

static void
create_free(struct create *c)
{
	size_t i;

	br_cmd_event_release(c->ce);
	free(c->login);
	free(c->self);
	free(c->type);
	for (i = 0; i < c->n_users; i++)
		free(c->users[i]);
	free(c->users);
	free(c->name);
	free(c->topic);
	for (i = 0; i < c->n_ghosts; i++)
		free(c->ghosts[i]);
	free(c->ghosts);
	free(c);
}

static void
create_fail_id(struct create *c, enum br_text_id why, const char *arg)
{
	char *t = br_text_fmt(c->ce->br->lang, why, arg, NULL);

	br_cmd_reply_id(c->ce, BR_TXT_CREATE_FAILED, t, NULL);
	free(t);
}

/* ValidateUserID: phone numbers of 7..13 digits (or "0"), LIDs and bots
 * of 12 or more. */
static int
valid_participant(const char *jid)
{
	struct br_jid j;
	size_t n;

	if (br_jid_parse(jid, &j) < 0)
		return 0;
	n = strlen(j.user);
	if (strspn(j.user, "0123456789") != n)
		return 0;
	if (strcmp(j.server, BR_SERVER_USER) == 0)
		return n <= 13 && (strcmp(j.user, "0") == 0 || n >= 7);
	if (strcmp(j.server, BR_SERVER_LID) == 0 ||
	    strcmp(j.server, BR_SERVER_BOT) == 0)
		return n >= 12;
	return 0;
}

static void
ghost_joined(void *arg, int rc)
{
	(void)arg;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("create-group: a member's ghost did not join: %s",
		    br_mx_strerror(rc));
}

static void
topic_set(void *arg, int rc, const struct br_net_result *r)
{
	(void)arg;
	if (rc < 0 && rc != BR_ERR_NET_CANCELLED)
		log_warnx("create-group: failed to set group topic after "
		    "creating group: %s", reason_of(rc, r));
}

static void
created(void *arg, int rc, const struct br_net_result *r)
{
	struct create *c = arg;
	struct br_bridge *br = c->ce->br;
	struct br_net *net = br_cmd_net(br);
	struct br_net_login *l;
	struct br_portal_key key;
	struct br_portal_obj *p = NULL;
	struct br_user_portal *up = NULL;
	struct br_jid j;
	struct u_buf b;
	char *recv = NULL, *chat = NULL, *ghost, *post;
	size_t i, len;
	int e;

	if (rc == BR_ERR_NET_CANCELLED)
		goto out;
	if (rc < 0 || r == NULL || r->chat == NULL ||
	    br_jid_parse(r->chat, &j) < 0 ||
	    strcmp(j.server, BR_SERVER_GROUP) != 0) {
		br_cmd_reply_id(c->ce, BR_TXT_CREATE_FAILED, reason_of(rc < 0 ?
		    rc : BR_ERR_NET_FAILED, r), NULL);
		goto out;
	}
	chat = br_jid_string_non_ad(&j);
	/* The new group's portal is this room (UpdateMatrixRoomID). */
	e = br_id_portal_receiver(chat, c->login, br->cfg->bridge.split_portals,
	    &recv);
	key.id = chat;
	key.receiver = recv;
	if (e == 0)
		e = br_portal_attach(br->portals, key, c->ce->room_id,
		    c->name != NULL ? c->name : "", c->topic, NULL, 1);
	if (e == 0)
		e = br_portal_get(br->portals, key, 0, &p);
	if (e < 0) {
		log_warnx("create-group: group %s made, portal not attached: "
		    "%s", chat, br_portal_strerror(e));
		br_cmd_reply_id(c->ce, BR_TXT_CREATE_FAILED,
		    br_portal_strerror(e), NULL);
		goto out;
	}
	if (br_portal_update_bridge_info(p) < 0)
		log_warnx("create-group: m.bridge not sent");
	/* The members' ghosts join (invited ones accept), as the chat info
	 * sync after upstream's UpdateMatrixRoomID does. */
	for (i = 0; i < c->n_ghosts; i++)
		if (br_ghost_ensure(br->portals, c->ghosts[i], NULL,
		    c->ce->room_id, ghost_joined, NULL) < 0)
			log_warnx("create-group: a member's ghost cannot join");
	if (br_store_user_portal_get_or_create(br->db, c->ce->sender, c->login,
	    key, &up) < 0)
		log_warnx("create-group: user_portal row not written");
	br_user_portal_free(up);
	l = br_cmd_net_login(br, c->login);
	if (c->topic != NULL && c->topic[0] != '\0' && l != NULL &&
	    net->ops->set_topic != NULL &&
	    net->ops->set_topic(l, chat, c->topic, topic_set, NULL) < 0)
		log_warnx("create-group: topic not set");
	/* Participants WhatsApp refused. */
	u_buf_init(&b, 64 * 1024);
	for (i = 0; r->codes != NULL && i < r->n_users; i++) {
		if (r->codes[i] == 0 || r->users == NULL || r->users[i] == NULL)
			continue;
		if (b.len == 0) {
			(void)u_buf_add_str(&b, "\n\n");
			(void)u_buf_add_str(&b, br_text(br->lang,
			    BR_TXT_CREATE_SOME_FAILED));
		}
		ghost = NULL;
		(void)br_id_ghost(r->users[i], &ghost);
		(void)u_buf_printf(&b, "\n* `%s`: error %d", ghost != NULL ?
		    ghost : r->users[i], r->codes[i]);
		free(ghost);
	}
	(void)u_buf_add_u8(&b, 0);
	post = (char *)u_buf_steal(&b, &len);
	log_info("create-group: %s made a group for %s", c->ce->sender,
	    c->ce->room_id);
	br_cmd_reply_id(c->ce, BR_TXT_CREATE_DONE, chat, post);
	free(post);
out:
	if (p != NULL)
		br_portal_unref(p);
	free(recv);
	free(chat);
	create_free(c);
}

static void
do_create(struct create *c)
{
	struct br_bridge *br = c->ce->br;
	struct br_net *net = br_cmd_net(br);
	struct br_net_login *l = br_cmd_net_login(br, c->login);
	size_t i, k;

	if (c->type != NULL && strcmp(c->type, "group") != 0) {
		create_fail_id(c, BR_TXT_CREATE_BAD_TYPE, c->type);
		goto out;
	}
	for (i = 0; i < c->n_users; i++)
		if (!valid_participant(c->users[i])) {
			char *g = NULL;

			(void)br_id_ghost(c->users[i], &g);
			create_fail_id(c, BR_TXT_CREATE_BAD_USER, g != NULL ?
			    g : c->users[i]);
			free(g);
			goto out;
		}
	/* IsThisUser: the account itself is not a participant. */
	for (i = k = 0; i < c->n_users; i++) {
		if (c->self != NULL && strcmp(c->users[i], c->self) == 0) {
			free(c->users[i]);
			continue;
		}
		c->users[k++] = c->users[i];
	}
	c->n_users = k;
	if (c->n_users < 1) {
		create_fail_id(c, BR_TXT_CREATE_MIN, NULL);
		goto out;
	}
	if (c->name != NULL && strlen(c->name) > GROUP_NAME_MAX) {
		create_fail_id(c, BR_TXT_CREATE_NAME_LONG, NULL);
		goto out;
	}
	if (l == NULL) {
		br_cmd_reply_id(c->ce, BR_TXT_BRIDGE_NOT_LOGGED_IN, NULL, NULL);
		goto out;
	}
	if (net->ops->create_group(l, c->name != NULL ? c->name : "",
	    (const char *const *)c->users, c->n_users, created, c) == 0)
		return;
	br_cmd_reply_id(c->ce, BR_TXT_CREATE_FAILED,
	    br_net_strerror(BR_ERR_NET_FAILED), NULL);
out:
	create_free(c);
}

static void
topic_read(void *arg, int rc, json_t *resp)
{
	struct create *c = arg;
	json_t *v = json_object_get(resp, "topic");

	if (rc == BR_ERR_MX_CANCELLED) {
		create_free(c);
		return;
	}
	if (rc == 0 && json_is_string(v))
		c->topic = u_strdup(json_string_value(v));
	do_create(c);
}

static void
name_read(void *arg, int rc, json_t *resp)
{
	struct create *c = arg;
	struct br_mx *mx = c->ce->br->mx;
	json_t *v = json_object_get(resp, "name");

	if (rc == BR_ERR_MX_CANCELLED) {
		create_free(c);
		return;
	}
	if (rc == 0 && json_is_string(v))
		c->name = u_strdup(json_string_value(v));
	if (mx->ops->get_state(mx, mx->ops->bot(mx), c->ce->room_id,
	    "m.room.topic", "", topic_read, c) < 0)
		do_create(c);
}

static void
add_user(struct create *c, const char *jid)
{
	size_t i;

	for (i = 0; i < c->n_users; i++)
		if (strcmp(c->users[i], jid) == 0)
			return;
	c->users = u_realloc(c->users, (c->n_users + 1) * sizeof(*c->users));
	c->users[c->n_users++] = u_strdup(jid);
}

/* One room member (joined or invited) as a participant: our ghosts by
 * their JID, real users by their logged-in accounts (not with
 * split_portals), as upstream's fnCreateGroup. */
static void
add_member(struct create *c, const char *user)
{
	struct br_bridge *br = c->ce->br;
	const struct br_config *cfg = br->cfg;
	struct br_login **logins = NULL;
	char *ghost = NULL, *jid = NULL;
	size_t i;

	if (strcmp(user, c->ce->sender) == 0 ||
	    strcmp(user, br->mx->ops->bot_id(br->mx)) == 0)
		return;
	if (br_id_ghost_from_mxid(cfg->appservice.username_template,
	    cfg->homeserver.domain, user, &ghost) == 0) {
		/* Not a JID: kept as is, refused by validation. */
		add_user(c, br_id_ghost_jid(ghost, &jid) == 0 ? jid : ghost);
		if (c->n_ghosts < CREATE_MEMBERS_MAX && (jid == NULL ||
		    c->self == NULL || strcmp(jid, c->self) != 0)) {
			c->ghosts = u_reallocarray(c->ghosts, c->n_ghosts + 1,
			    sizeof(*c->ghosts));
			c->ghosts[c->n_ghosts++] = ghost;
			ghost = NULL;
		}
	} else if (!cfg->bridge.split_portals &&
	    br_store_login_list_by_user(br->db, user, &logins) == 0) {
		for (i = 0; logins != NULL && logins[i] != NULL; i++) {
			free(jid);
			jid = NULL;
			if (br_cmd_net_login(br, logins[i]->id) != NULL &&
			    br_id_login_device_jid(logins[i]->id, 0, &jid) == 0)
				add_user(c, jid);
		}
	}
	br_login_list_free(logins);
	free(ghost);
	free(jid);
}

static void
members_done(struct create *c)
{
	struct br_mx *mx = c->ce->br->mx;

	if (mx->ops->get_state(mx, mx->ops->bot(mx), c->ce->room_id,
	    "m.room.name", "", name_read, c) < 0)
		name_read(c, BR_ERR_MX_FAILED, NULL);
}

static void
members_read(void *arg, int rc, json_t *resp)
{
	struct create *c = arg;
	json_t *joined = json_object_get(resp, "joined"), *v;
	const char *user;
	size_t n = 0;

	if (rc == BR_ERR_MX_CANCELLED) {
		create_free(c);
		return;
	}
	if (rc < 0 || !json_is_object(joined)) {
		br_cmd_reply_id(c->ce, BR_TXT_MEMBERS_FAILED_ERR,
		    br_mx_strerror(rc < 0 ? rc : BR_ERR_MX_FAILED), NULL);
		create_free(c);
		return;
	}
	json_object_foreach(joined, user, v) {
		if (n++ >= CREATE_MEMBERS_MAX)
			break;
		add_member(c, user);
	}
	members_done(c);
}

static void
read_joined(struct create *c)
{
	struct br_mx *mx = c->ce->br->mx;

	if (mx->ops->joined_members(mx, mx->ops->bot(mx), c->ce->room_id,
	    members_read, c) < 0)
		members_read(c, BR_ERR_MX_FAILED, NULL);
}

/* The room's whole state: joined and invited members (upstream's
 * GetMembers keeps both; invited ghosts are how a user picks the
 * group's members, as ghosts do not accept invites to non-DM rooms). */
static void
state_read(void *arg, int rc, json_t *resp)
{
	struct create *c = arg;
	json_t *ev, *ct;
	const char *ms, *user;
	size_t i, n = 0;

	if (rc == BR_ERR_MX_CANCELLED) {
		create_free(c);
		return;
	}
	if (rc < 0 || !json_is_array(json_object_get(resp, "state"))) {
		/* initialSync is optional for homeservers: joined members. */
		read_joined(c);
		return;
	}
	json_array_foreach(json_object_get(resp, "state"), i, ev) {
		if (!json_is_string(json_object_get(ev, "type")) ||
		    strcmp(json_string_value(json_object_get(ev, "type")),
		    "m.room.member") != 0)
			continue;
		user = json_string_value(json_object_get(ev, "state_key"));
		ct = json_object_get(ev, "content");
		ms = json_string_value(json_object_get(ct, "membership"));
		if (user == NULL || ms == NULL || (strcmp(ms, "join") != 0 &&
		    strcmp(ms, "invite") != 0))
			continue;
		if (n++ >= CREATE_MEMBERS_MAX)
			break;
		add_member(c, user);
	}
	members_done(c);
}

void
br_cmd_create_group(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_net *net = br_cmd_net(br);
	struct br_mx *mx = br->mx;
	struct br_net_login *l = NULL;
	struct br_portal *row = NULL;
	struct create *c;
	size_t first = 0;
	char *def = NULL, *rp;

	/* alreadyBridged. */
	if (br_store_portal_get_by_mxid(br->db, ce->room_id, &row) == 0) {
		rp = row->receiver[0] != '\0' ? br_text_fmt(br->lang,
		    BR_TXT_RECEIVER_PART, row->receiver, NULL) : u_strdup("");
		br_cmd_reply_id(ce, BR_TXT_BRIDGE_ALREADY, row->id, rp);
		free(rp);
		br_portal_free(row);
		return;
	}
	/* getClientForStartingChat. */
	if (ce->nargs > 0 && (l = br_cmd_net_login(br, ce->args[0])) != NULL &&
	    strcmp(net->ops->info(l)->user_mxid, ce->sender) == 0)
		first = 1;
	else {
		l = NULL;
		if (br_cmd_default_login(br, ce->sender, &def) == 0)
			l = br_cmd_net_login(br, def);
		free(def);
	}
	if (l == NULL) {
		br_cmd_reply_id(ce, BR_TXT_BRIDGE_NOT_LOGGED_IN, NULL, NULL);
		return;
	}
	if (net->ops->create_group == NULL) {
		br_cmd_reply_id(ce, BR_TXT_CREATE_UNSUPPORTED, NULL, NULL);
		return;
	}
	if (mx->ops->get_state == NULL || mx->ops->joined_members == NULL) {
		br_cmd_reply_id(ce, BR_TXT_MEMBERS_FAILED_ERR,
		    br_mx_strerror(BR_ERR_MX_UNSUPPORTED), NULL);
		return;
	}
	c = u_calloc(1, sizeof(*c));
	c->ce = br_cmd_event_hold(ce);
	c->login = u_strdup(net->ops->info(l)->id);
	(void)br_id_login_device_jid(c->login, 0, &c->self);
	if (ce->nargs > first)
		c->type = u_strdup(ce->args[first]);
	if (mx->ops->room_state_list == NULL ||
	    mx->ops->room_state_list(mx, mx->ops->bot(mx), ce->room_id,
	    state_read, c) < 0)
		read_joined(c);
}
