/*
 * cmd_chat.c: `resolve-identifier [login ID] <identifier>` and
 * `start-chat [login ID] <identifier>` (alias `pm`), as mautrix-go
 * bridgev2 commands/startchat.go runs them over mautrix-whatsapp's
 * ResolveIdentifier (pkg/connector/startchat.go).
 *
 * The login: the first argument when it is one of the sender's login IDs
 * (then the rest is the identifier), else the sender's default login.
 * The identifier: a phone number ("+33 6 12 34 56 78"), a user JID
 * ("33612345678@s.whatsapp.net") or one of our ghosts' MXIDs (a LID or
 * bot ghost is taken as is, without asking WhatsApp); something
 * with letters or '@' otherwise is refused as an e-mail address, as
 * upstream.  The network side's resolve says whether the number is on
 * WhatsApp ("Failed to resolve identifier: the server said +N is not on
 * WhatsApp" when not).
 *
 * start-chat also makes the DM portal (receiver: the login) and, when it
 * has no room yet, creates the room (is_direct, the ghost and the sender
 * invited, the ghost joined): "Created chat with ..." or "You already
 * have a direct chat with ... at ...".
 *
 * Differences from upstream: the answer names the ghost by its MXID when
 * its display name is not known yet (upstream prints an empty link text);
 * DM portals are keyed by the JID the network side returns (phone-number
 * form, net.h), where upstream now prefers the LID.
 *
 * Untrusted input: the arguments (bounded by the command's own limit;
 * JIDs and MXIDs parsed by ids.c), the network side's answer (the user
 * JID parsed before use).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

struct resolve {
	struct br_cmd_event	*ce;		/* owned (held) */
	char			*login;		/* owned: login ID */
	char			*ident;		/* owned: as typed */
	int			 create;	/* start-chat */
	char			*ghost;		/* owned: ghost ID */
	char			*ghost_mxid;	/* owned */
	char			*who;		/* owned: formatted name */
	char			*phone;		/* owned: "+digits" or NULL */
	char			*direct;	/* owned: a ghost's non-phone JID
						 * (LID, bot): no lookup needed */
	struct br_portal_obj	*p;		/* ref or NULL */
};

static void
resolve_free(struct resolve *rs)
{
	br_cmd_event_release(rs->ce);
	free(rs->login);
	free(rs->ident);
	free(rs->ghost);
	free(rs->ghost_mxid);
	free(rs->who);
	free(rs->phone);
	free(rs->direct);
	if (rs->p != NULL)
		br_portal_unref(rs->p);
	free(rs);
}

static void
reply(struct resolve *rs, enum br_text_id id, const char *a0,
    const char *a1)
{
	br_cmd_reply_id(rs->ce, id, a0, a1);
}

static void
reply_failed(struct resolve *rs, const char *reason)
{
	reply(rs, BR_TXT_RESOLVE_FAILED, reason, NULL);
}

/* looksEmaily: letters or '@' do not belong in a phone number. */
static int
looks_emaily(const char *s)
{
	for (; *s != '\0'; s++)
		if (isalpha((unsigned char)*s) || *s == '@')
			return 1;
	return 0;
}

/*
 * The phone number to ask about: a ghost MXID or a phone JID gives its
 * number; anything else is taken as typed.  0 and *out (owned), or 1
 * after a reply.
 */
static int
identifier_phone(struct resolve *rs, char **out)
{
	struct br_bridge *br = rs->ce->br;
	const struct br_config *cfg = br->cfg;
	struct br_jid j;
	char *ghost = NULL, *jid = NULL;
	const char *s = rs->ident;

	if (s[0] == '@' && br_id_ghost_from_mxid(
	    cfg->appservice.username_template, cfg->homeserver.domain, s,
	    &ghost) == 0) {
		if (br_id_ghost_jid(ghost, &jid) == 0 &&
		    br_jid_parse(jid, &j) == 0) {
			if (strcmp(j.server, BR_SERVER_USER) == 0)
				*out = u_asprintf("+%s", j.user);
			else {
				/* A LID or bot ghost: it is the user. */
				*out = u_strdup(jid);
				rs->direct = jid;
				jid = NULL;
			}
			free(ghost);
			free(jid);
			return 0;
		}
		free(ghost);
		free(jid);
	} else if (br_jid_parse(s, &j) == 0 &&
	    strcmp(j.server, BR_SERVER_USER) == 0 && j.user[0] != '\0') {
		*out = u_asprintf("+%s", j.user);
		return 0;
	}
	if (looks_emaily(s)) {
		char *t = br_text_fmt(br->lang, BR_TXT_RESOLVE_EMAIL, NULL,
		    NULL);

		reply_failed(rs, t);
		free(t);
		return 1;
	}
	*out = u_strdup(s);
	return 0;
}

/* The digits of a phone number, for the "not on WhatsApp" text. */
static char *
digits_of(const char *s)
{
	char *d = u_malloc(strlen(s) + 1), *o = d;

	for (; *s != '\0'; s++)
		if (*s >= '0' && *s <= '9')
			*o++ = *s;
	*o = '\0';
	return d;
}

/* "`<ghost ID>` / [name](matrix.to link)". */
static char *
format_who(struct br_bridge *br, const char *ghost, const char *mxid)
{
	struct br_ghost *g = NULL;
	char *link, *s;
	const char *name = mxid;

	if (br_store_ghost_get(br->db, ghost, &g) == 0 && g->name != NULL &&
	    g->name[0] != '\0')
		name = g->name;
	link = br_cmd_md_link(name, mxid);
	s = u_asprintf("`%s` / %s", ghost, link);
	free(link);
	br_ghost_free(g);
	return s;
}

static void
ghost_joined(void *arg, int rc)
{
	(void)arg;
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("start-chat: the ghost did not join: %s",
		    br_mx_strerror(rc));
}

static void
room_created(void *arg, int rc, const char *room_id)
{
	struct resolve *rs = arg;
	struct br_bridge *br = rs->ce->br;
	struct br_ghost_info gi;
	char *link;

	if (rc == BR_ERR_MX_CANCELLED || rc == BR_ERR_PORTAL_CLOSED)
		goto out;
	if (rc < 0) {
		char *t = br_text_fmt(br->lang, BR_TXT_CHAT_ROOM_FAILED, NULL,
		    NULL);

		reply_failed(rs, t);
		free(t);
		goto out;
	}
	memset(&gi, 0, sizeof(gi));
	gi.phone = rs->phone != NULL && rs->phone[0] == '+' ? rs->phone :
	    NULL;
	if (br_ghost_ensure(br->portals, rs->ghost, &gi, room_id,
	    ghost_joined, NULL) < 0)
		log_warnx("start-chat: cannot make the ghost join %s", room_id);
	link = br_cmd_md_link(rs->p->row->name[0] != '\0' ? rs->p->row->name :
	    room_id, room_id);
	reply(rs, BR_TXT_CHAT_CREATED, rs->who, link);
	free(link);
out:
	resolve_free(rs);
}

/* start-chat: the DM portal, created with its room if needed. */
static void
open_dm(struct resolve *rs, const char *user_jid)
{
	struct br_bridge *br = rs->ce->br;
	struct br_portal_key key;
	struct br_portal_info info;
	struct br_user_portal *up = NULL;
	const char *invite[3];
	char *recv = NULL, *link;
	int r;

	r = br_id_portal_receiver(user_jid, rs->login,
	    br->cfg->bridge.split_portals, &recv);
	key.id = user_jid;
	key.receiver = recv != NULL ? recv : "";
	if (r == 0)
		r = br_portal_get(br->portals, key, 1, &rs->p);
	if (r < 0) {
		char *t = br_text_fmt(br->lang, BR_TXT_CHAT_ROOM_FAILED, NULL,
		    NULL);

		log_warnx("start-chat: portal: %s", u_strerror(r));
		reply_failed(rs, t);
		free(t);
		goto out;
	}
	/* The login is in this chat (user_portal), as upstream records. */
	if (br_store_user_portal_get_or_create(br->db, rs->ce->sender,
	    rs->login, key, &up) < 0)
		log_warnx("start-chat: user_portal row not written");
	br_user_portal_free(up);
	if (rs->p->row->mxid != NULL) {
		link = br_cmd_md_link(rs->p->row->name[0] != '\0' ?
		    rs->p->row->name : rs->p->row->mxid, rs->p->row->mxid);
		reply(rs, BR_TXT_CHAT_EXISTS, rs->who, link);
		free(link);
		goto out;
	}
	free(rs->p->row->room_type);
	rs->p->row->room_type = u_strdup("dm");
	free(rs->p->row->other_user_id);
	rs->p->row->other_user_id = u_strdup(rs->ghost);
	(void)br_portal_save(rs->p);
	memset(&info, 0, sizeof(info));
	invite[0] = rs->ce->sender;
	invite[1] = rs->ghost_mxid;
	invite[2] = NULL;
	info.invite = invite;
	if (br_portal_create_room(rs->p, &info, room_created, rs) == 0) {
		free(recv);
		return;		/* room_created frees rs */
	}
	{
		char *t = br_text_fmt(br->lang, BR_TXT_CHAT_ROOM_FAILED, NULL,
		    NULL);

		reply_failed(rs, t);
		free(t);
	}
out:
	free(recv);
	resolve_free(rs);
}

static void
resolved(void *arg, int rc, const struct br_net_result *res)
{
	struct resolve *rs = arg;
	struct br_bridge *br = rs->ce->br;
	const struct br_config *cfg = br->cfg;
	struct br_jid j;
	char *d, *t, *user = NULL;

	if (rc == BR_ERR_NET_CANCELLED)
		goto out;
	if (rc < 0) {
		reply_failed(rs, res != NULL && res->reason != NULL ?
		    res->reason : br_net_strerror(rc));
		goto out;
	}
	if (res == NULL || res->user == NULL || res->user[0] == '\0') {
		d = digits_of(rs->phone);
		t = br_text_fmt(br->lang, BR_TXT_RESOLVE_NOT_ON_WA, d, NULL);
		reply_failed(rs, t);
		free(t);
		free(d);
		goto out;
	}
	if (br_jid_parse(res->user, &j) < 0 || (user =
	    br_jid_string_non_ad(&j)) == NULL ||
	    br_id_ghost(user, &rs->ghost) < 0 ||
	    br_id_ghost_mxid(cfg->appservice.username_template,
	    cfg->homeserver.domain, rs->ghost, &rs->ghost_mxid) < 0) {
		log_warnx("resolve: unusable answer from the network side");
		reply_failed(rs, br_net_strerror(BR_ERR_NET_FAILED));
		goto out;
	}
	rs->who = format_who(br, rs->ghost, rs->ghost_mxid);
	if (!rs->create) {
		reply(rs, BR_TXT_RESOLVE_FOUND, rs->who, NULL);
		goto out;
	}
	open_dm(rs, user);
	free(user);
	return;
out:
	free(user);
	resolve_free(rs);
}

void
br_cmd_resolve(struct br_cmd_event *ce)
{
	struct br_bridge *br = ce->br;
	struct br_net *net = br_cmd_net(br);
	struct br_net_login *l = NULL;
	struct resolve *rs;
	struct u_buf b;
	size_t i, first = 0, len;
	char *def = NULL;

	if (ce->nargs == 0) {
		br_cmd_reply_id(ce, BR_TXT_RESOLVE_USAGE,
		    br->cfg->bridge.command_prefix, ce->command);
		return;
	}
	/* getClientForStartingChat. */
	if (ce->nargs > 1 && (l = br_cmd_net_login(br, ce->args[0])) != NULL &&
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
	if (net->ops->resolve == NULL) {
		br_cmd_reply_id(ce, BR_TXT_RESOLVE_UNSUPPORTED, NULL, NULL);
		return;
	}
	rs = u_calloc(1, sizeof(*rs));
	rs->ce = br_cmd_event_hold(ce);
	rs->login = u_strdup(net->ops->info(l)->id);
	rs->create = strcmp(ce->command, "start-chat") == 0 ||
	    strcmp(ce->command, "pm") == 0;
	u_buf_init(&b, BR_CMD_MESSAGE_MAX + 1);
	for (i = first; i < ce->nargs; i++) {
		if (i > first)
			(void)u_buf_add_str(&b, " ");
		(void)u_buf_add_str(&b, ce->args[i]);
	}
	(void)u_buf_add_u8(&b, 0);
	rs->ident = (char *)u_buf_steal(&b, &len);
	if (identifier_phone(rs, &rs->phone) != 0) {
		resolve_free(rs);
		return;
	}
	if (rs->direct != NULL) {
		struct br_net_result res;

		memset(&res, 0, sizeof(res));
		res.user = rs->direct;
		resolved(rs, 0, &res);
		return;
	}
	if (net->ops->resolve(l, rs->phone, resolved, rs) < 0) {
		reply_failed(rs, br_net_strerror(BR_ERR_NET_FAILED));
		resolve_free(rs);
	}
}
