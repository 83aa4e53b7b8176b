/*
 * cmd_portal.c: commands about the current portal room: `id`, `unbridge`,
 * `delete-portal` (mautrix-go bridgev2 commands/managechat.go and
 * cleanup.go) and `set-pl [user ID] <level>` (bridgev2/matrix/cmdadmin.go).
 *
 *   id             "This room is bridged to `<portal ID>` on WhatsApp".
 *   unbridge       needs plumb rights (manage_relay, and bridge admin or
 *                  room PL for fi.mau.bridge.plumb); the portal forgets
 *                  its room and relay (RemoveMXID), then the room is
 *                  cleaned up: ghosts leave, the bot leaves (real users
 *                  stay).  No reply on success (the bot is gone).
 *   delete-portal  bridge admins: the portal row and its messages are
 *                  deleted, then the room is cleaned up: ghosts leave,
 *                  real users are kicked ("Deleting portal"), the bot
 *                  leaves.
 *   set-pl         bridge admins: the bot sets a user's power level (the
 *                  sender's without a user ID), as mautrix's
 *                  EnsureUserLevelAs: nothing changes when the target is
 *                  a room creator or the bot's own level is not above
 *                  both the target's and the new level.  No reply on
 *                  success, as upstream.
 *
 * What it does not do: child portals, Beeper's room deletion, message
 * status events.
 *
 * Untrusted input: the arguments (level parsed as a bounded integer, the
 * user ID checked for "@local:server"), room members and power levels
 * from the homeserver.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* A room with more members than this is cleaned up only this far (each
 * member is one Matrix call; a stranger's huge room must not make us
 * queue without bound). */
#define CLEANUP_MEMBERS_MAX	2048

static int
portal_of(struct br_cmd_event *ce, struct br_portal_obj **out)
{
	int r = br_portal_get_by_mxid(ce->br->portals, ce->room_id, out);

	if (r < 0)
		br_cmd_reply_id(ce, BR_TXT_NEEDS_PORTAL, NULL, NULL);
	return r;
}

/* " (receiver: `x`)" or "" for shared portals; owned. */
static char *
receiver_part(struct br_bridge *br, const char *receiver)
{
	if (receiver == NULL || receiver[0] == '\0')
		return u_strdup("");
	return br_text_fmt(br->lang, BR_TXT_RECEIVER_PART, receiver, NULL);
}

void
br_cmd_id(struct br_cmd_event *ce)
{
	struct br_portal_obj *p;
	char *rp;

	if (portal_of(ce, &p) < 0)
		return;
	rp = receiver_part(ce->br, p->row->receiver);
	br_cmd_reply_id(ce, BR_TXT_ID_IS, p->row->id, rp);
	free(rp);
	br_portal_unref(p);
}

/* ---- room clean-up (ASIntent.DeleteRoom) ---- */

struct cleanup {
	struct br_bridge	*br;		/* borrowed */
	char			*room_id;	/* owned */
	int			 puppets_only;
	size_t			 pending;	/* member calls in flight */
	int			 stopping;	/* cancelled: no bot leave */
};

static void
cleanup_free(struct cleanup *c)
{
	free(c->room_id);
	free(c);
}

static void
bot_left(void *arg, int rc, json_t *resp)
{
	struct cleanup *c = arg;

	(void)resp;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("Failed to leave room %s while cleaning up portal: "
		    "%s", c->room_id, br_mx_strerror(rc));
	cleanup_free(c);
}

static void
bot_leave(struct cleanup *c)
{
	struct br_mx *mx = c->br->mx;

	if (c->stopping || mx->ops->leave(mx, mx->ops->bot(mx), c->room_id,
	    NULL, bot_left, c) < 0)
		cleanup_free(c);
}

static void
member_done(void *arg, int rc, json_t *resp)
{
	struct cleanup *c = arg;

	(void)resp;
	if (rc == BR_ERR_MX_CANCELLED)
		c->stopping = 1;
	else if (rc < 0)
		log_warnx("Failed to remove a member of %s while cleaning up "
		    "portal: %s", c->room_id, br_mx_strerror(rc));
	if (--c->pending == 0)
		bot_leave(c);
}

static void
members_read(void *arg, int rc, json_t *resp)
{
	struct cleanup *c = arg;
	struct br_bridge *br = c->br;
	struct br_mx *mx = br->mx;
	const char *bot = mx->ops->bot_id(mx), *user;
	struct br_mx_intent *in;
	json_t *joined = json_object_get(resp, "joined"), *v;
	char *ghost;
	size_t n = 0;

	if (rc == BR_ERR_MX_CANCELLED) {
		cleanup_free(c);
		return;
	}
	if (rc < 0 || !json_is_object(joined)) {
		log_warnx("Failed to get portal members for cleanup of %s: %s",
		    c->room_id, br_mx_strerror(rc < 0 ? rc : BR_ERR_MX_FAILED));
		br_bridge_notice_id(br, c->room_id, BR_TXT_CLEANUP_FAILED,
		    br_mx_strerror(rc < 0 ? rc : BR_ERR_MX_FAILED), NULL);
		cleanup_free(c);
		return;
	}
	c->pending = 1;		/* held until every call is queued */
	json_object_foreach(joined, user, v) {
		if (n++ >= CLEANUP_MEMBERS_MAX)
			break;
		if (strcmp(user, bot) == 0)
			continue;
		ghost = NULL;
		if (br_id_ghost_from_mxid(br->cfg->appservice.username_template,
		    br->cfg->homeserver.domain, user, &ghost) == 0 &&
		    (in = mx->ops->ghost(mx, ghost)) != NULL) {
			c->pending++;
			if (mx->ops->leave(mx, in, c->room_id, NULL,
			    member_done, c) < 0)
				c->pending--;
		} else if (!c->puppets_only && mx->ops->kick != NULL) {
			c->pending++;
			if (mx->ops->kick(mx, mx->ops->bot(mx), c->room_id, user,
			    "Deleting portal", member_done, c) < 0)
				c->pending--;
		}
		free(ghost);
	}
	if (--c->pending == 0)
		bot_leave(c);
}

static void
room_cleanup(struct br_bridge *br, const char *room_id, int puppets_only)
{
	struct br_mx *mx = br->mx;
	struct cleanup *c;

	if (mx == NULL || mx->ops->joined_members == NULL)
		return;
	c = u_calloc(1, sizeof(*c));
	c->br = br;
	c->room_id = u_strdup(room_id);
	c->puppets_only = puppets_only;
	if (mx->ops->joined_members(mx, mx->ops->bot(mx), room_id,
	    members_read, c) < 0)
		members_read(c, BR_ERR_MX_FAILED, NULL);
}

/* ---- unbridge ---- */

static void
unbridge(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_portal_obj *p;
	struct br_portal_key key;
	char *room, *relay;
	int r;

	if (portal_of(ce, &p) < 0)
		return;
	/* RemoveMXID: no room, no relay, not in anyone's space. */
	room = p->row->mxid;
	relay = p->row->relay_login_id;
	p->row->mxid = NULL;
	p->row->relay_login_id = NULL;
	r = br_portal_save(p);
	if (r < 0) {
		p->row->mxid = room;
		p->row->relay_login_id = relay;
		br_cmd_reply_id(ce, BR_TXT_UNBRIDGE_FAILED, u_strerror(r),
		    NULL);
		br_portal_unref(p);
		return;
	}
	key.id = p->row->id;
	key.receiver = p->row->receiver;
	r = br_store_user_portal_mark_all_not_in_space(br->db, key);
	if (r < 0)
		logp_warnx(p->prefix, "Failed to update in_space flag for user "
		    "portals after removing portal MXID: %s", u_strerror(r));
	logp_info(p->prefix, "unbridged from %s by %s", room, ce->sender);
	room_cleanup(br, room, 1);
	free(room);
	free(relay);
	br_portal_unref(p);
}

static void
unbridge_levels(void *arg, int rc, const struct br_cmd_levels *lv)
{
	struct br_cmd_event *ce = arg;

	if (rc == BR_ERR_MX_CANCELLED)
		goto out;
	if (rc < 0)
		log_warnx("Failed to check room power levels: %s",
		    br_mx_strerror(rc));
	if (rc < 0 || br_cmd_levels_user(lv, ce->sender) <
	    br_cmd_levels_state(lv, "fi.mau.bridge.plumb"))
		br_cmd_reply_id(ce, BR_TXT_UNBRIDGE_NO_PERM, NULL, NULL);
	else
		unbridge(ce);
out:
	br_cmd_event_release(ce);
}

void
br_cmd_unbridge(struct br_cmd_event *ce)
{
	/* canPlumb. */
	if (!(ce->perm.flags & BR_PERM_MANAGE_RELAY))
		br_cmd_reply_id(ce, BR_TXT_UNBRIDGE_NO_PERM, NULL, NULL);
	else if (ce->perm.flags & BR_PERM_ADMIN)
		unbridge(ce);
	else
		br_cmd_levels_fetch(ce->br, ce->room_id, unbridge_levels,
		    br_cmd_event_hold(ce));
}

/* ---- delete-portal ---- */

void
br_cmd_delete_portal(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_portal_obj *p;
	struct br_portal_key key;
	char *id, *recv;
	int r;

	if (portal_of(ce, &p) < 0)
		return;
	id = u_strdup(p->row->id);
	recv = u_strdup(p->row->receiver);
	key.id = id;
	key.receiver = recv;
	/* Messages, reactions, user_portal rows go with it (cascade). */
	r = br_store_portal_delete(br->db, key);
	if (r < 0) {
		br_cmd_reply_id(ce, BR_TXT_DELETE_FAILED, u_strerror(r), NULL);
	} else {
		logp_info(p->prefix, "deleted by %s", ce->sender);
		br_portals_forget(br->portals, key);
		room_cleanup(br, ce->room_id, 0);
	}
	free(id);
	free(recv);
	br_portal_unref(p);
}

/* ---- set-pl ---- */

struct setpl {
	struct br_cmd_event	*ce;	/* owned (held) */
	char			*user;	/* owned */
	long long		 level;
};

static void
setpl_free(struct setpl *s)
{
	br_cmd_event_release(s->ce);
	free(s->user);
	free(s);
}

/* strconv.Atoi on a 64-bit int: optional sign, decimal digits. */
static int
parse_level(const char *s, long long *out)
{
	const char *d = s + (s[0] == '+' || s[0] == '-');
	char *end;
	long long v;

	if (d[0] == '\0' || strspn(d, "0123456789") != strlen(d))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* id.UserID.Parse: "@<localpart>:<server>", both non-empty. */
static int
valid_user_id(const char *s)
{
	const char *colon = strchr(s, ':');

	return s[0] == '@' && colon != NULL && colon > s + 1 &&
	    colon[1] != '\0' && strlen(s) <= BR_MXID_MAX;
}

static void
pl_sent(void *arg, int rc, json_t *resp)
{
	struct setpl *s = arg;

	(void)resp;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		br_cmd_reply_id(s->ce, BR_TXT_PL_FAILED, br_mx_strerror(rc),
		    NULL);
	setpl_free(s);
}

static void
pl_read(void *arg, int rc, const struct br_cmd_levels *lv)
{
	struct setpl *s = arg;
	struct br_bridge *br = s->ce->br;
	struct br_mx *mx = br->mx;
	const char *bot = mx->ops->bot_id(mx);
	long long existing, actor, def;
	json_t *pls, *users;

	if (rc == BR_ERR_MX_CANCELLED) {
		setpl_free(s);
		return;
	}
	if (rc < 0) {
		br_cmd_reply_id(s->ce, BR_TXT_PL_FAILED, br_mx_strerror(rc),
		    NULL);
		setpl_free(s);
		return;
	}
	/* EnsureUserLevelAs(bot, user, level). */
	existing = br_cmd_levels_user(lv, s->user);
	actor = br_cmd_levels_user(lv, bot);
	if (existing == BR_CMD_PL_CREATOR || existing == s->level ||
	    (actor != BR_CMD_PL_CREATOR && (actor <= existing ||
	    actor < s->level)) || mx->ops->send_state == NULL) {
		log_info("set-pl: %s stays at %lld in %s", s->user, existing,
		    s->ce->room_id);
		setpl_free(s);
		return;
	}
	pls = json_deep_copy(lv->pls);
	users = json_object_get(pls, "users");
	if (!json_is_object(users)) {
		users = json_object();
		json_object_set_new(pls, "users", users);
	}
	def = 0;
	if (json_is_integer(json_object_get(pls, "users_default")))
		def = json_integer_value(json_object_get(pls,
		    "users_default"));
	if (s->level == def)
		json_object_del(users, s->user);
	else
		json_object_set_new(users, s->user, json_integer(s->level));
	log_info("set-pl: %s %lld -> %lld in %s by %s", s->user, existing,
	    s->level, s->ce->room_id, s->ce->sender);
	if (mx->ops->send_state(mx, mx->ops->bot(mx), s->ce->room_id,
	    "m.room.power_levels", "", pls, pl_sent, s) < 0) {
		br_cmd_reply_id(s->ce, BR_TXT_PL_FAILED,
		    br_mx_strerror(BR_ERR_MX_FAILED), NULL);
		setpl_free(s);
	}
	json_decref(pls);
}

void
br_cmd_set_pl(struct br_cmd_event *ce)
{
	struct setpl *s;
	const char *user, *lvl;
	long long level;

	if (ce->nargs == 1) {
		user = ce->sender;
		lvl = ce->args[0];
	} else if (ce->nargs == 2) {
		user = ce->args[0];
		lvl = ce->args[1];
		if (!valid_user_id(user)) {
			br_cmd_reply_id(ce, BR_TXT_PL_BAD_USER, user, NULL);
			return;
		}
	} else {
		br_cmd_reply_id(ce, BR_TXT_PL_USAGE, NULL, NULL);
		return;
	}
	if (parse_level(lvl, &level) < 0 || level > INT_MAX ||
	    level < INT_MIN) {
		br_cmd_reply_id(ce, BR_TXT_PL_BAD_LEVEL, lvl, NULL);
		return;
	}
	s = u_calloc(1, sizeof(*s));
	s->ce = br_cmd_event_hold(ce);
	s->user = u_strdup(user);
	s->level = level;
	br_cmd_levels_fetch(ce->br, ce->room_id, pl_read, s);
}
