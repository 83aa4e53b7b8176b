/*
 * cmd_bridge.c: the `bridge [login ID] <chat ID> [--overwrite]
 * [--ignore-permissions]` command (mautrix-go bridgev2 fnBridge): attach
 * the current Matrix room to an existing WhatsApp chat.  It reuses the
 * attach step of the lost-room recovery (br_portal_attach) and writes the
 * room's m.bridge / uk.half-shot.bridge state (br_portal_update_bridge_info),
 * so an admin can re-attach a room the recovery could not know about.
 *
 * Gates and replies are upstream's, in upstream's order: room admin
 * rights (PL for m.bridge) unless bridge admin; plumb rights (manage_relay
 * and bridge admin or PL for fi.mau.bridge.plumb); the room must not be a
 * portal; the bot needs PL for m.bridge unless --ignore-permissions; a
 * chat already bridged elsewhere needs --overwrite and the right to
 * delete that room (bridge admin or PL for fi.mau.bridge.plumb there).
 *
 * Differences, because the WhatsApp side is not wired yet: the chat's
 * info is not fetched (name, topic, avatar stay as the portal row has
 * them, or empty), the portal row is created when missing (upstream
 * requires it to exist; after a database loss it does not), the old room
 * is tombstoned and left by the bot but not deleted, and a login is only needed for chats
 * whose portals have a receiver (DMs): the login ID argument, else the
 * user's first login.
 *
 * Untrusted input: the arguments (checked as JID / digits), the power
 * levels content (numbers read with defaults, wrong types ignored).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

struct plumb {
	struct br_bridge	*br;		/* borrowed */
	char			*room_id;	/* owned */
	char			*sender;	/* owned */
	unsigned		 perm;		/* BR_PERM_* */
	int			 overwrite, ignore_perms;
	char			*chat;		/* owned */
	char			*login;		/* owned or NULL */
	char			*old_room;	/* owned: the chat's other room */
	char			*old_name;	/* owned */
	const char		*pl_room;	/* borrowed: levels of which room */
	json_t			*creators;	/* ref: room v12 creators of the
						 * room whose levels we read */
	/* The step after fetch_levels. */
	void			(*next)(void *arg, int rc, json_t *pls);
};

static void
plumb_free(struct plumb *pl)
{
	free(pl->room_id);
	free(pl->sender);
	free(pl->chat);
	free(pl->login);
	free(pl->old_room);
	free(pl->old_name);
	json_decref(pl->creators);
	free(pl);
}

static void
reply(struct plumb *pl, enum br_text_id id, const char *a0, const char *a1)
{
	br_bridge_notice_id(pl->br, pl->room_id, id, a0, a1);
}

/* Power levels (spec: users_default 0, events_default 0, state_default
 * 50); wrong types count as absent.  Creators of a room v12 (the
 * m.room.create sender and additional_creators) rank above every level. */
#define PL_CREATOR	(1LL << 62)

static long long
pl_num(json_t *o, const char *k, long long def)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

static long long
pl_user(const struct plumb *pl, json_t *pls, const char *user)
{
	json_t *v;
	size_t i;

	json_array_foreach(pl->creators, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), user) == 0)
			return PL_CREATOR;
	return pl_num(json_object_get(pls, "users"), user,
	    pl_num(pls, "users_default", 0));
}

static long long
pl_state(json_t *pls, const char *type)
{
	return pl_num(json_object_get(pls, "events"), type,
	    pl_num(pls, "state_default", 50));
}

/* Room versions where creators have unlimited power (MSC4289). */
static int
creators_privileged(const char *ver)
{
	if (ver == NULL)
		return 0;
	if (strcmp(ver, "org.matrix.hydra.11") == 0)
		return 1;
	if (ver[0] == '\0' || strspn(ver, "0123456789") != strlen(ver) ||
	    strlen(ver) > 6)
		return 0;
	return atoi(ver) >= 12;
}

static void
on_levels(void *arg, int rc, json_t *resp)
{
	struct plumb *pl = arg;

	pl->next(pl, rc, resp);
}

/* m.room.create read: note the creators, then read the power levels. */
static void
on_create(void *arg, int rc, json_t *resp)
{
	struct plumb *pl = arg;
	struct br_mx *mx = pl->br->mx;
	json_t *content = json_object_get(resp, "content"), *v, *add;
	size_t i;

	if (rc == BR_ERR_MX_CANCELLED) {
		pl->next(pl, rc, NULL);
		return;
	}
	json_decref(pl->creators);
	pl->creators = json_array();
	if (rc == 0 && creators_privileged(json_string_value(
	    json_object_get(content, "room_version")))) {
		v = json_object_get(resp, "sender");
		if (json_is_string(v))
			json_array_append(pl->creators, v);
		add = json_object_get(content, "additional_creators");
		json_array_foreach(add, i, v)
			if (json_is_string(v))
				json_array_append(pl->creators, v);
	}
	if (mx->ops->get_state(mx, mx->ops->bot(mx), pl->pl_room,
	    "m.room.power_levels", "", on_levels, pl) < 0)
		pl->next(pl, BR_ERR_MX_FAILED, NULL);
}

/* Read a room's creators and power levels, then pl->next(pl, rc, pls). */
static void
fetch_levels(struct plumb *pl, const char *room,
    void (*next)(void *, int, json_t *))
{
	struct br_mx *mx = pl->br->mx;

	pl->next = next;
	pl->pl_room = room;
	if (mx == NULL || mx->ops->get_state == NULL) {
		next(pl, BR_ERR_MX_UNSUPPORTED, NULL);
		return;
	}
	if (mx->ops->get_state_event == NULL ||
	    mx->ops->get_state_event(mx, mx->ops->bot(mx), room,
	    "m.room.create", "", on_create, pl) < 0)
		on_create(pl, BR_ERR_MX_UNSUPPORTED, NULL);
}

static int
valid_chat(const char *s)
{
	struct br_jid j;
	char *n;
	int ok;

	if (br_jid_parse(s, &j) < 0 || j.user[0] == '\0' || j.device != 0 ||
	    j.agent != 0)
		return 0;
	n = br_jid_string_non_ad(&j);
	ok = strcmp(n, s) == 0;
	free(n);
	return ok;
}

/* After the tombstone: the bot leaves the old room, so neither users'
 * commands nor a later recovery take it for the chat's room again
 * (upstream deletes it: kicks everyone, then leaves). */
static void
tombstoned(struct br_op *op, int rc, json_t *resp)
{
	struct br_mx *mx = op->br->mx;

	(void)resp;
	if (rc == BR_ERR_MX_CANCELLED || op->text != NULL)
		return;
	if (rc < 0)
		log_warnx("bridge: tombstone in %s failed: %s", op->room_id,
		    br_mx_strerror(rc));
	op->text = u_strdup("left");
	if (mx->ops->leave(mx, mx->ops->bot(mx), op->room_id,
	    "Room has been replaced.", br_op_done, op) == 0)
		op->again = 1;
}

/* The last step: attach, write the state, tombstone the old room. */
static void
attach(struct plumb *pl)
{
	struct br_bridge *br = pl->br;
	struct br_portals *reg = br->portals;
	struct br_portal_key key;
	struct br_portal_obj *p;
	struct br_op *op;
	char *recv = NULL;
	json_t *tomb;
	int r;

	r = br_id_portal_receiver(pl->chat, pl->login != NULL ? pl->login :
	    "", br->cfg->bridge.split_portals, &recv);
	if (r < 0) {
		reply(pl, BR_TXT_BRIDGE_BAD_CHAT, pl->chat, NULL);
		return;
	}
	key.id = pl->chat;
	key.receiver = recv;
	r = br_portal_attach(reg, key, pl->room_id, NULL, NULL, NULL,
	    pl->overwrite);
	if (r == 0)
		r = br_portal_get(reg, key, 0, &p);
	if (r < 0) {
		reply(pl, BR_TXT_BRIDGE_FAILED, br_portal_strerror(r), NULL);
		free(recv);
		return;
	}
	r = br_portal_update_bridge_info(p);
	if (r < 0)
		log_warnx("bridge: m.bridge for %s not sent: %s",
		    pl->room_id, br_portal_strerror(r));
	br_portal_unref(p);
	if (pl->old_room != NULL && strcmp(pl->old_room, pl->room_id) != 0 &&
	    br->mx->ops->send_state != NULL) {
		/* TombstoneOldRoom (upstream also deletes it). */
		tomb = json_pack("{s:s,s:s}", "body", "Room has been replaced.",
		    "replacement_room", pl->room_id);
		op = br_op_new(br, tombstoned, pl->old_room, NULL);
		if (br->mx->ops->send_state(br->mx, br->mx->ops->bot(br->mx),
		    pl->old_room, "m.room.tombstone", "", tomb, br_op_done,
		    op) < 0)
			br_op_free(op);
		json_decref(tomb);
	}
	{
		char red[3 * BR_ID_MAX + 1];

		u_log_redact(pl->chat, red, sizeof(red));
		log_info("bridge: %s plumbed room %s to %s", pl->sender,
		    pl->room_id, red);
	}
	reply(pl, BR_TXT_BRIDGE_DONE, pl->chat, NULL);
	free(recv);
}

static void
old_room_pls(void *arg, int rc, json_t *resp)
{
	struct plumb *pl = arg;

	if (rc == BR_ERR_MX_CANCELLED)
		goto out;
	if (rc < 0 || pl_user(pl, resp, pl->sender) <
	    pl_state(resp, "fi.mau.bridge.plumb")) {
		reply(pl, BR_TXT_BRIDGE_CANT_OVERWRITE, NULL, NULL);
		goto out;
	}
	if (!pl->overwrite) {
		char *url = u_asprintf("https://matrix.to/#/%s", pl->old_room);

		reply(pl, BR_TXT_BRIDGE_USE_OVERWRITE, pl->old_name, url);
		free(url);
		goto out;
	}
	attach(pl);
out:
	plumb_free(pl);
}

/* After the room checks: which portal, already bridged elsewhere? */
static void
find_portal(struct plumb *pl)
{
	struct br_bridge *br = pl->br;
	struct br_login **logins = NULL, *l = NULL;
	struct br_portal *row = NULL;
	struct br_portal_key key;
	char *recv = NULL;
	int r;

	if (!valid_chat(pl->chat)) {
		reply(pl, BR_TXT_BRIDGE_BAD_CHAT, pl->chat, NULL);
		goto out;
	}
	if (pl->login != NULL) {
		if (br_store_login_get(br->db, pl->login, &l) < 0 ||
		    (strcmp(l->user_mxid, pl->sender) != 0 &&
		    !(pl->perm & BR_PERM_ADMIN))) {
			reply(pl, BR_TXT_BRIDGE_NO_PERM, NULL, NULL);
			br_login_free(l);
			goto out;
		}
		br_login_free(l);
	}
	r = br_id_portal_receiver(pl->chat, "-", br->cfg->bridge.split_portals,
	    &recv);
	if (r == 0 && recv[0] != '\0' && pl->login == NULL) {
		/* A DM-like chat: the portal belongs to a login. */
		if (br_store_login_list_by_user(br->db, pl->sender, &logins) <
		    0 || logins == NULL || logins[0] == NULL) {
			reply(pl, BR_TXT_BRIDGE_NOT_LOGGED_IN, NULL, NULL);
			br_login_list_free(logins);
			goto out;
		}
		pl->login = u_strdup(logins[0]->id);
		br_login_list_free(logins);
	}
	free(recv);
	recv = NULL;
	if (br_id_portal_receiver(pl->chat, pl->login ? pl->login : "",
	    br->cfg->bridge.split_portals, &recv) < 0) {
		reply(pl, BR_TXT_BRIDGE_BAD_CHAT, pl->chat, NULL);
		goto out;
	}
	key.id = pl->chat;
	key.receiver = recv;
	if (br_store_portal_get(br->db, key, &row) == 0 && row->mxid != NULL &&
	    strcmp(row->mxid, pl->room_id) != 0) {
		pl->old_room = u_strdup(row->mxid);
		pl->old_name = u_strdup(row->name[0] != '\0' ? row->name :
		    row->mxid);
		br_portal_free(row);
		free(recv);
		if (pl->perm & BR_PERM_ADMIN) {
			/* Bridge admins may always overwrite. */
			json_t *all = json_pack("{s:{s:i}}", "users",
			    pl->sender, 100);

			old_room_pls(pl, 0, all);
			json_decref(all);
			return;
		}
		fetch_levels(pl, pl->old_room, old_room_pls);
		return;
	}
	br_portal_free(row);
	attach(pl);
out:
	free(recv);
	plumb_free(pl);
}

static void
room_pls(void *arg, int rc, json_t *resp)
{
	struct plumb *pl = arg;
	struct br_bridge *br = pl->br;
	struct br_portal *row = NULL;
	const char *bot = br->mx->ops->bot_id(br->mx);
	int admin = (pl->perm & BR_PERM_ADMIN) != 0;
	char *recvtxt;

	if (rc == BR_ERR_MX_CANCELLED)
		goto out;
	if (rc < 0 && !admin) {
		reply(pl, BR_TXT_BRIDGE_ROOM_PL_FAILED, NULL, NULL);
		goto out;
	}
	/* RequiresEventLevel: m.bridge. */
	if (!admin && pl_user(pl, resp, pl->sender) < pl_state(resp, "m.bridge")) {
		reply(pl, BR_TXT_NEEDS_ROOM_ADMIN, NULL, NULL);
		goto out;
	}
	/* canPlumb. */
	if (!(pl->perm & BR_PERM_MANAGE_RELAY) || (!admin &&
	    pl_user(pl, resp, pl->sender) < pl_state(resp,
	    "fi.mau.bridge.plumb"))) {
		reply(pl, BR_TXT_BRIDGE_NO_PERM, NULL, NULL);
		goto out;
	}
	/* alreadyBridged. */
	if (br_store_portal_get_by_mxid(br->db, pl->room_id, &row) == 0) {
		recvtxt = row->receiver[0] != '\0' ?
		    u_asprintf(" (receiver: `%s`)", row->receiver) :
		    u_strdup("");
		reply(pl, BR_TXT_BRIDGE_ALREADY, row->id, recvtxt);
		free(recvtxt);
		br_portal_free(row);
		goto out;
	}
	if (pl->chat == NULL) {
		reply(pl, BR_TXT_BRIDGE_USAGE, br->cfg->bridge.command_prefix,
		    NULL);
		goto out;
	}
	if (!pl->ignore_perms) {
		if (rc < 0) {
			reply(pl, BR_TXT_BRIDGE_PL_FAILED,
			    br_mx_strerror(rc), NULL);
			goto out;
		}
		if (pl_user(pl, resp, bot) < pl_state(resp, "m.bridge")) {
			reply(pl, BR_TXT_BRIDGE_BOT_PL, NULL, NULL);
			goto out;
		}
	}
	if (!br_portals_ready(br->portals)) {
		reply(pl, BR_TXT_BRIDGE_FAILED, "the bridge is still starting",
		    NULL);
		goto out;
	}
	find_portal(pl);
	return;
out:
	plumb_free(pl);
}

void
br_cmd_bridge(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct plumb *pl;
	const char *rest[BR_CMD_ARGS_MAX];
	size_t i, n = 0;

	pl = u_calloc(1, sizeof(*pl));
	pl->br = br;
	pl->room_id = u_strdup(ce->room_id);
	pl->sender = u_strdup(ce->sender);
	pl->perm = ce->perm.flags;
	for (i = 0; i < ce->nargs; i++) {
		if (strcasecmp(ce->args[i], "--overwrite") == 0)
			pl->overwrite = 1;
		else if (strcasecmp(ce->args[i], "--ignore-permissions") == 0)
			pl->ignore_perms = 1;
		else
			rest[n++] = ce->args[i];
	}
	/* Usage errors are answered after the permission checks, as
	 * upstream does: chat NULL means "bad usage". */
	if (n == 1 || n == 2) {
		pl->chat = u_strdup(rest[n - 1]);
		if (n == 2)
			pl->login = u_strdup(rest[0]);
	}
	fetch_levels(pl, pl->room_id, room_pls);
}
