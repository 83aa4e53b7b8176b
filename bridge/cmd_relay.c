/*
 * cmd_relay.c: `set-relay [login ID]` and `unset-relay` (mautrix-go
 * bridgev2 commands/relay.go): choose the login through which messages
 * of Matrix users without a login in the chat are relayed, stored as the
 * portal's relay_login_id (Portal.SetRelay).
 *
 * Rules, in upstream's order: relay mode must be enabled
 * (bridge.relay.enabled); the sender must be able to manage the relay
 * (manage_relay permission, and bridge admin, or owner of the current
 * relay login, or room power level for the fake state event
 * fi.mau.bridge.set_relay); with relay.admin_only non-admins may only set
 * one of relay.default_relays; relay.prefer_default picks a default relay
 * over the sender's own login when no login ID is given; a default relay
 * must be in the chat (a user_portal row); in split portals only the
 * receiver may relay; another user's login needs bridge admin unless it
 * is a default relay.
 *
 * What it does not do: relay mode itself (what is sent, with which
 * template: bridge/relay.c, helper "brout").
 *
 * Untrusted input: the login ID argument (looked up, never parsed).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

struct relay_cmd {
	struct br_cmd_event	*ce;	/* owned (held) */
	struct br_portal_obj	*p;	/* ref */
	int			 unset;
};

static void
relay_cmd_free(struct relay_cmd *rc)
{
	br_portal_unref(rc->p);
	br_cmd_event_release(rc->ce);
	free(rc);
}

static int
is_default_relay(const struct br_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->bridge.relay.default_relays.n; i++)
		if (strcmp(cfg->bridge.relay.default_relays.v[i], id) == 0)
			return 1;
	return 0;
}

static void
save(struct relay_cmd *rc, const struct br_login *relay)
{
	struct br_cmd_event *ce = rc->ce;
	struct br_portal *row = rc->p->row;
	char *old = row->relay_login_id, *link;
	int r;

	if (relay != NULL && row->receiver[0] != '\0' &&
	    strcmp(relay->id, row->receiver) != 0) {
		/* SetRelay's own check; unreachable through the command. */
		br_cmd_reply_id(ce, BR_TXT_RELAY_SAVE_FAILED, NULL, NULL);
		return;
	}
	row->relay_login_id = relay != NULL ? u_strdup(relay->id) : NULL;
	r = br_portal_save(rc->p);
	if (r < 0) {
		log_warnx("%s: saving the relay failed: %s", rc->p->prefix,
		    u_strerror(r));
		free(row->relay_login_id);
		row->relay_login_id = old;
		br_cmd_reply_id(ce, BR_TXT_RELAY_SAVE_FAILED, NULL, NULL);
		return;
	}
	free(old);
	if (relay == NULL) {
		logp_info(rc->p->prefix, "relay unset by %s", ce->sender);
		br_cmd_reply_id(ce, BR_TXT_RELAY_UNSET, NULL, NULL);
		return;
	}
	logp_info(rc->p->prefix, "relay set to login of %s by %s",
	    relay->user_mxid, ce->sender);
	link = br_cmd_md_link(relay->user_mxid, relay->user_mxid);
	br_cmd_reply_id(ce, BR_TXT_RELAY_SET, relay->remote_name, link);
	free(link);
}

/* No login ID given in a shared portal: the sender's default login or a
 * default relay that is in the chat. */
static void
pick_default(struct relay_cmd *rc, int only_defaults, int prefer_default)
{
	struct br_cmd_event *ce = rc->ce;
	const struct br_config *cfg = ce->br->cfg;
	struct br_portal_key key = { rc->p->row->id, rc->p->row->receiver };
	struct br_login **in_chat = NULL, *relay = NULL;
	char *def = NULL;
	size_t i, j;
	int logged_in;

	logged_in = br_cmd_default_login(ce->br, ce->sender, &def) == 0;
	if (logged_in && !only_defaults && !prefer_default &&
	    br_store_login_get(ce->br->db, def, &relay) == 0) {
		save(rc, relay);
		goto out;
	}
	if (cfg->bridge.relay.default_relays.n == 0) {
		br_cmd_reply_id(ce, BR_TXT_RELAY_NO_DEFAULTS, NULL, NULL);
		goto out;
	}
	if (br_store_login_list_in_portal(ce->br->db, key, &in_chat) < 0) {
		br_cmd_reply_id(ce, BR_TXT_RELAY_LOGINS_FAILED, NULL, NULL);
		goto out;
	}
	for (i = 0; relay == NULL && i < cfg->bridge.relay.default_relays.n;
	    i++)
		for (j = 0; in_chat != NULL && in_chat[j] != NULL; j++)
			if (strcmp(in_chat[j]->id,
			    cfg->bridge.relay.default_relays.v[i]) == 0 &&
			    br_store_login_get(ce->br->db, in_chat[j]->id,
			    &relay) == 0)
				break;
	if (relay == NULL) {
		if (logged_in && only_defaults)
			br_cmd_reply_id(ce, BR_TXT_RELAY_SELF_FORBIDDEN_NONE,
			    NULL, NULL);
		else if (logged_in)
			br_cmd_reply_id(ce, BR_TXT_RELAY_NONE_IN_CHAT, NULL,
			    NULL);
		else
			br_cmd_reply_id(ce, BR_TXT_RELAY_NOT_LOGGED_IN_NONE,
			    NULL, NULL);
		goto out;
	}
	save(rc, relay);
out:
	br_login_list_free(in_chat);
	br_login_free(relay);
	free(def);
}

static void
set_relay(struct relay_cmd *rc)
{
	struct br_cmd_event *ce = rc->ce;
	const struct br_config *cfg = ce->br->cfg;
	const char *receiver = rc->p->row->receiver, *target;
	int admin = (ce->perm.flags & BR_PERM_ADMIN) != 0;
	int only_defaults = !admin && cfg->bridge.relay.admin_only;
	int prefer_default = cfg->bridge.relay.prefer_default &&
	    cfg->bridge.relay.default_relays.n > 0;
	struct br_login *relay = NULL;

	if (ce->nargs == 0 && receiver[0] == '\0') {
		pick_default(rc, only_defaults, prefer_default);
		return;
	}
	if (receiver[0] != '\0') {
		target = receiver;
		if (ce->nargs > 0 && strcmp(ce->args[0], target) != 0) {
			br_cmd_reply_id(ce, BR_TXT_RELAY_SPLIT_RECEIVER, target,
			    NULL);
			return;
		}
	} else
		target = ce->args[0];
	if (br_store_login_get(ce->br->db, target, &relay) < 0)
		br_cmd_reply_id(ce, BR_TXT_RELAY_LOGIN_NOT_FOUND, target, NULL);
	else if (is_default_relay(cfg, relay->id))
		save(rc, relay);
	else if (strcmp(relay->user_mxid, ce->sender) != 0 && !admin)
		br_cmd_reply_id(ce, BR_TXT_RELAY_OTHERS_ADMIN_ONLY, NULL, NULL);
	else if (only_defaults)
		br_cmd_reply_id(ce, BR_TXT_RELAY_SELF_FORBIDDEN, NULL, NULL);
	else
		save(rc, relay);
	br_login_free(relay);
}

static void
run(struct relay_cmd *rc, int allowed)
{
	if (!allowed)
		br_cmd_reply_id(rc->ce, BR_TXT_RELAY_NO_PERM, NULL, NULL);
	else if (rc->unset)
		save(rc, NULL);
	else
		set_relay(rc);
	relay_cmd_free(rc);
}

static void
levels_read(void *arg, int rc_, const struct br_cmd_levels *lv)
{
	struct relay_cmd *rc = arg;

	if (rc_ == BR_ERR_MX_CANCELLED) {
		relay_cmd_free(rc);
		return;
	}
	if (rc_ < 0)
		log_warnx("command: power levels of %s: %s", rc->ce->room_id,
		    br_mx_strerror(rc_));
	run(rc, rc_ == 0 && br_cmd_levels_user(lv, rc->ce->sender) >=
	    br_cmd_levels_state(lv, "fi.mau.bridge.set_relay"));
}

/* canManageRelay, then the command. */
static void
start(struct br_cmd_event *ce, int unset)
{
	struct br_bridge *br = ce->br;
	struct relay_cmd *rc;
	struct br_portal_obj *p = NULL;
	struct br_login *owner = NULL;
	int is_owner = 0, r;

	r = br_portal_get_by_mxid(br->portals, ce->room_id, &p);
	if (r < 0) {
		br_cmd_reply_id(ce, BR_TXT_NEEDS_PORTAL, NULL, NULL);
		return;
	}
	if (!unset && !br->cfg->bridge.relay.enabled) {
		br_cmd_reply_id(ce, BR_TXT_RELAY_DISABLED, NULL, NULL);
		br_portal_unref(p);
		return;
	}
	if (p->row->relay_login_id != NULL &&
	    br_store_login_get(br->db, p->row->relay_login_id, &owner) == 0)
		is_owner = strcmp(owner->user_mxid, ce->sender) == 0;
	if (unset && owner == NULL) {
		/* Portal.Relay is nil: no relay, or its login is gone. */
		br_cmd_reply_id(ce, BR_TXT_RELAY_NONE, NULL, NULL);
		br_portal_unref(p);
		return;
	}
	br_login_free(owner);
	rc = u_calloc(1, sizeof(*rc));
	rc->ce = br_cmd_event_hold(ce);
	rc->p = p;
	rc->unset = unset;
	if (!(ce->perm.flags & BR_PERM_MANAGE_RELAY))
		run(rc, 0);
	else if ((ce->perm.flags & BR_PERM_ADMIN) || is_owner)
		run(rc, 1);
	else
		br_cmd_levels_fetch(br, ce->room_id, levels_read, rc);
}

void
br_cmd_set_relay(struct br_cmd_event *ce)
{
	start(ce, 0);
}

void
br_cmd_unset_relay(struct br_cmd_event *ce)
{
	start(ce, 1);
}
