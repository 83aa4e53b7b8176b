/*
 * relay.c: the sending login for a Matrix user's event and relay-mode
 * rendering (see relay.h).
 *
 * Upstream's order (bridgev2 portal.go FindPreferredLogin) is kept, with
 * one addition: in a shared portal a user whose logins have no user_portal
 * row there yet is served by their own login before the relay (upstream
 * always has the row, because its connector writes it when the chat is
 * synced; ponton's rows are written as chats are used).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/config.h"
#include "bridge/format.h"
#include "bridge/relay.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Logins a user may have; more than this are not looked at (upstream
 * has no limit, but a bridge user with dozens of WhatsApp accounts is
 * not a case to allocate for). */
#define RELAY_USER_LOGINS_MAX	32

void
br_relay_pick_clear(struct br_relay_pick *p)
{
	if (p == NULL)
		return;
	free(p->login_id);
	memset(p, 0, sizeof(*p));
}

int
br_relay_login_usable(struct br_net *net, struct br_net_login *l)
{
	const struct br_net_login_info *in;

	if (net == NULL || l == NULL)
		return 0;
	in = net->ops->info(l);
	if (in == NULL)
		return 0;
	switch (in->state.event) {
	case BR_NET_LOGGED_OUT:
	case BR_NET_BAD_CREDENTIALS:
	case BR_NET_UNCONFIGURED:
		return 0;
	default:
		return 1;
	}
}

static struct br_net_login *
usable_by_id(struct br_net *net, const char *id)
{
	struct br_net_login *l;

	if (net == NULL || id == NULL || id[0] == '\0')
		return NULL;
	l = net->ops->login_get(net, id);
	return br_relay_login_usable(net, l) ? l : NULL;
}

static int
set_pick(struct br_relay_pick *out, struct br_net *net,
    struct br_net_login *l, int relayed)
{
	out->login = l;
	out->login_id = u_strdup(net->ops->info(l)->id);
	out->relayed = relayed;
	return 0;
}

static int
pick_relay(struct br_net *net, const struct br_portal *row,
    struct br_relay_pick *out)
{
	struct br_net_login *l = usable_by_id(net, row->relay_login_id);

	if (l == NULL)
		return BR_ERR_NET_NOT_FOUND;
	return set_pick(out, net, l, 1);
}

int
br_relay_pick(struct br_net *net, struct db *db, const struct br_portal *row,
    const char *user_mxid, int allow_relay, struct br_relay_pick *out)
{
	struct br_portal_key key = { row->id, row->receiver };
	struct br_user_portal **ups = NULL;
	struct br_net_login *l, *v[RELAY_USER_LOGINS_MAX];
	size_t i, n;
	int r;

	memset(out, 0, sizeof(*out));
	if (net == NULL)
		return BR_ERR_NET_NOT_FOUND;
	if (row->receiver != NULL && row->receiver[0] != '\0') {
		l = usable_by_id(net, row->receiver);
		if (l != NULL && strcmp(net->ops->info(l)->user_mxid,
		    user_mxid) == 0)
			return set_pick(out, net, l, 0);
		if (l != NULL && allow_relay)
			return pick_relay(net, row, out);
		return BR_ERR_NET_NOT_FOUND;
	}
	r = br_store_user_portal_list_for_user(db, user_mxid, key, &ups);
	if (r < 0 && r != U_ERR_NOT_FOUND)
		return r;
	for (i = 0; ups != NULL && ups[i] != NULL; i++) {
		l = usable_by_id(net, ups[i]->login_id);
		if (l != NULL) {
			br_user_portal_list_free(ups);
			return set_pick(out, net, l, 0);
		}
	}
	br_user_portal_list_free(ups);
	n = net->ops->logins_of(net, user_mxid, v, RELAY_USER_LOGINS_MAX);
	for (i = 0; i < n && i < RELAY_USER_LOGINS_MAX; i++)
		if (br_relay_login_usable(net, v[i]))
			return set_pick(out, net, v[i], 0);
	if (allow_relay)
		return pick_relay(net, row, out);
	return BR_ERR_NET_NOT_FOUND;
}

/* ---- templates ---- */

struct br_relay_cfg {
	struct br_relay_tmpl	**tmpls;	/* owned */
	const char		**names;	/* borrowed from the config */
	size_t			  n;
	struct br_relay_tmpl	 *name_tmpl;	/* owned */
};

void
br_relay_cfg_free(struct br_relay_cfg *rc)
{
	size_t i;

	if (rc == NULL)
		return;
	for (i = 0; i < rc->n; i++)
		br_relay_tmpl_free(rc->tmpls[i]);
	free(rc->tmpls);
	free(rc->names);
	br_relay_tmpl_free(rc->name_tmpl);
	free(rc);
}

int
br_relay_cfg_new(const struct br_config *cfg, struct br_relay_cfg **out)
{
	struct br_relay_cfg *rc = u_calloc(1, sizeof(*rc));
	size_t i, n = cfg->bridge.relay.n_message_formats;
	const char *nf = cfg->bridge.relay.displayname_format;
	char err[160];
	int r;

	rc->tmpls = u_calloc(n + 1, sizeof(*rc->tmpls));
	rc->names = u_calloc(n + 1, sizeof(*rc->names));
	for (i = 0; i < n; i++) {
		r = br_relay_tmpl_parse(cfg->bridge.relay.message_formats[i].val,
		    BR_RELAY_ROOT_MESSAGE, &rc->tmpls[rc->n], err,
		    sizeof(err));
		if (r < 0) {
			log_warnx("relay.message_formats.%s: %s",
			    cfg->bridge.relay.message_formats[i].key, err);
			br_relay_cfg_free(rc);
			return r;
		}
		rc->names[rc->n++] = cfg->bridge.relay.message_formats[i].key;
	}
	r = br_relay_tmpl_parse(nf != NULL ? nf : br_relay_default_name_format,
	    BR_RELAY_ROOT_SENDER, &rc->name_tmpl, err, sizeof(err));
	if (r < 0) {
		log_warnx("relay.displayname_format: %s", err);
		br_relay_cfg_free(rc);
		return r;
	}
	*out = rc;
	return 0;
}

void
br_relay_sender_clear(struct br_relay_sender_owned *o)
{
	if (o == NULL)
		return;
	free(o->user_id);
	free(o->displayname);
	free(o->disambiguated);
	free(o->formatted);
	memset(o, 0, sizeof(*o));
}

void
br_relay_sender_build(const struct br_relay_cfg *rc,
    const struct br_config *cfg, const char *user_id,
    const char *displayname, int confusable,
    struct br_relay_sender_owned *out)
{
	memset(out, 0, sizeof(*out));
	out->user_id = u_strdup(user_id);
	out->displayname = u_strdup(displayname != NULL ? displayname : "");
	out->disambiguated = br_relay_disambiguated_name(displayname,
	    user_id, confusable);
	out->s.user_id = out->user_id;
	out->s.displayname = out->displayname;
	out->s.distinguisher = br_relay_distinguisher(
	    cfg->bridge.relay.user_distinguishers.v,
	    cfg->bridge.relay.user_distinguishers.n, user_id);
	out->s.disambiguated_name = out->disambiguated;
	out->s.requires_disambiguation = confusable && displayname != NULL &&
	    displayname[0] != '\0';
	out->formatted = br_relay_format_name(rc->name_tmpl, &out->s);
	out->s.formatted_name = out->formatted;
}

int
br_relay_render(const struct br_relay_cfg *rc,
    const struct br_relay_content *c, const struct br_relay_sender *sender,
    struct br_relay_out *out)
{
	return br_relay_format((const struct br_relay_tmpl *const *)rc->tmpls,
	    rc->names, rc->n, c, sender, out);
}
