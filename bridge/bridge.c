/*
 * bridge.c: the core's event entry points (QueueMatrixEvent in upstream):
 * sender permissions, commands, bot invites and management-room leaves;
 * plus the op and notice helpers the core's files share.  See bridge.h.
 *
 * Order of checks, as upstream: an event from a user without send_events
 * is dropped (a bot invite from them is rejected with "You don't have
 * permission to interact with this bridge"); a bot invite from a user
 * without commands is rejected ("... send commands to this bridge"); a
 * message starting with the prefix or in the sender's management room is
 * a command (dropped without the commands permission); then bot invites;
 * then leaves in a management room.  Any other message, and reactions,
 * redactions, read receipts and typing, in a portal room go to that
 * portal's FIFO (portal_out.c).  A feature layered on the core sees every
 * message first (hooks.mx_message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/portal.h"
#include "bridge/portal_out.h"
#include "bridge/portal_recover.h"
#include "bridge/store.h"
#include "bridge/cmd.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

const char *
br_mx_strerror(int code)
{
	switch (code) {
	case BR_ERR_MX_FAILED:
		return "the homeserver refused or failed the request";
	case BR_ERR_MX_CANCELLED:
		return "cancelled by shutdown";
	case BR_ERR_MX_UNSUPPORTED:
		return "not supported by this Matrix side";
	case BR_ERR_MX_INVALID:
		return "invalid Matrix request";
	case BR_ERR_MX_TOO_BIG:
		return "file too big for the homeserver";
	case BR_ERR_MX_NOT_FOUND:
		return "not found on the homeserver";
	default:
		return "unknown bridge error";
	}
}

int
br_mx_joined_count(json_t *resp)
{
	json_t *j = json_object_get(resp, "joined");

	return json_is_object(j) ? (int)json_object_size(j) : -1;
}

int
br_mx_joined_has(json_t *resp, const char *user_id)
{
	return json_object_get(json_object_get(resp, "joined"), user_id) !=
	    NULL;
}

/* ---- ops ---- */

struct br_op *
br_op_new(struct br_bridge *br, void (*fn)(struct br_op *, int, json_t *),
    const char *room_id, const char *user_id)
{
	struct br_op *op = u_calloc(1, sizeof(*op));

	op->br = br;
	op->fn = fn;
	op->room_id = room_id != NULL ? u_strdup(room_id) : NULL;
	op->user_id = user_id != NULL ? u_strdup(user_id) : NULL;
	return op;
}

void
br_op_free(struct br_op *op)
{
	if (op == NULL)
		return;
	free(op->room_id);
	free(op->user_id);
	free(op->text);
	free(op);
}

void
br_op_done(void *arg, int rc, json_t *resp)
{
	struct br_op *op = arg;

	op->again = 0;
	if (op->fn != NULL)
		op->fn(op, rc, resp);
	if (!op->again)
		br_op_free(op);
}

static void
sent(struct br_op *op, int rc, json_t *resp)
{
	if (rc != 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("Failed to send a bot message to %s: %s",
		    op->room_id, br_mx_strerror(rc));
}

static void
send_md(struct br_bridge *br, const char *room_id, const char *msgtype,
    const char *md)
{
	struct br_mx *mx = br->mx;
	struct br_op *op;
	char *html;
	int r;

	if (mx == NULL || mx->ops->send_message == NULL)
		return;
	html = br_text_md_html(md);
	op = br_op_new(br, sent, room_id, NULL);
	r = mx->ops->send_message(mx, mx->ops->bot(mx), room_id, msgtype, md,
	    html, br_op_done, op);
	free(html);
	if (r < 0) {
		log_warnx("Failed to send a bot message to %s: %s", room_id,
		    br_mx_strerror(r));
		br_op_free(op);
	}
}

void
br_bridge_notice(struct br_bridge *br, const char *room_id, const char *md)
{
	send_md(br, room_id, "m.notice", md);
}

void
br_bridge_text(struct br_bridge *br, const char *room_id, const char *md)
{
	send_md(br, room_id, "m.text", md);
}

void
br_bridge_notice_id(struct br_bridge *br, const char *room_id,
    enum br_text_id id, const char *a0, const char *a1)
{
	char *t = br_text_fmt(br->lang, id, a0, a1);

	br_bridge_notice(br, room_id, t);
	free(t);
}

/* ---- life cycle ---- */

struct br_bridge *
br_bridge_new(const struct br_config *cfg, struct db *db)
{
	struct br_bridge *br = u_calloc(1, sizeof(*br));

	br->cfg = cfg;
	br->db = db;
	br->portals = br_portals_new(db, cfg);
	br->out = br_out_new(br);
	if (br->out == NULL)
		log_warnx("Relay templates unusable: Matrix events will not "
		    "be bridged to WhatsApp");
	if (br_lang_parse(cfg->ponton.language, &br->lang) < 0)
		br->lang = BR_LANG_EN;
	return br;
}

void
br_bridge_free(struct br_bridge *br)
{
	struct br_cmd_state *st;

	if (br == NULL)
		return;
	br_out_stop(br->out);
	while (br->states != NULL) {
		st = br->states;
		br->states = st->next_state;
		if (st->cancel != NULL)
			st->cancel(st->arg);
		br_cmd_state_free(st);
	}
	br_portals_free(br->portals);
	br_out_free(br->out);
	free(br);
}

void
br_bridge_stop(struct br_bridge *br)
{
	if (br == NULL)
		return;
	br_out_stop(br->out);
	br_portals_close(br->portals);
}

void
br_bridge_on_login_state(void *arg, struct br_net_login *l,
    const struct br_net_state *st)
{
	struct br_bridge *br = arg;

	br_out_login_state(br, l, st, 0);
}

void
br_bridge_on_login_synced(void *arg, struct br_net_login *l)
{
	struct br_bridge *br = arg;
	struct br_net_state st = { BR_NET_CONNECTED, NULL, NULL };

	br_out_login_state(br, l, &st, 1);
}

/* mautrix-whatsapp's GetBridgeInfoVersion: info 1 (capabilities 9,
 * which ponton does not send yet). */
#define BRIDGE_INFO_VERSION	1

/*
 * 1 if kv bridge_info_version ("<info>,<caps>") has another info version
 * (or none); it is then set to the current one, keeping the stored
 * capabilities part so that a later mautrix-whatsapp still re-sends the
 * capabilities ponton did not.
 */
static int
bridge_info_outdated(struct br_bridge *br)
{
	char *v = NULL, buf[48];
	int info = 0, caps = 0, r;

	r = br_store_kv_get(br->db, "bridge_info_version", &v);
	if (r == 0 && sscanf(v, "%d,%d", &info, &caps) != 2)
		info = caps = 0;
	free(v);
	if (r < 0 && r != U_ERR_NOT_FOUND)
		return 0;
	if (info == BRIDGE_INFO_VERSION)
		return 0;
	snprintf(buf, sizeof(buf), "%d,%d", BRIDGE_INFO_VERSION, caps);
	if (br_store_kv_set(br->db, "bridge_info_version", buf) < 0)
		log_warnx("Failed to store bridge_info_version");
	return 1;
}

static void
recovered(void *arg, int rc, const struct br_recover_stats *st)
{
	struct br_bridge *br = arg;

	(void)st;
	if (rc == BR_ERR_MX_CANCELLED)
		return;
	/* Recovery failing (homeserver error) must not stop the bridge;
	 * it is logged, and the next start tries again.  Portals may now
	 * create rooms. */
	if (rc < 0)
		log_warnx("Lost-room recovery did not complete (%s); portal "
		    "rooms are created as needed", br_portal_strerror(rc));
	br->recovery_done = 1;
	/* The network side starts first (its logins load and report their
	 * states), then the portals' queues run: Matrix events queued
	 * meanwhile find their logins (portal_out.c waits for them to
	 * connect). */
	if (br->on_ready != NULL)
		br->on_ready(br->on_ready_arg);
	br_portals_set_ready(br->portals, 1);
	/* PostStart: every portal room gets its m.bridge again when
	 * bridge.resend_bridge_info is set or the stored info version is
	 * not the current one (after a database loss it is missing). */
	if (br->cfg->bridge.resend_bridge_info || bridge_info_outdated(br)) {
		int n = br_portals_resend_bridge_info(br->portals);

		if (n < 0)
			log_warnx("Re-sending bridge info failed: database "
			    "error %d", n);
		else
			log_info("Re-sending bridge info to %d portal rooms",
			    n);
	}
}

void
br_bridge_start(struct br_bridge *br, void (*on_ready)(void *), void *arg)
{
	int r;

	br->on_ready = on_ready;
	br->on_ready_arg = arg;
	r = br_recover_start(br->portals, recovered, br);
	if (r < 0) {
		log_warnx("Lost-room recovery cannot start: %s",
		    br_portal_strerror(r));
		recovered(br, 0, NULL);
	}
}

void
br_bridge_set_net(struct br_bridge *br, struct br_net *net)
{
	br->net = net;
}

void
br_bridge_set_mx(struct br_bridge *br, struct br_mx *mx)
{
	br->mx = mx;
	br_portals_set_mx(br->portals, mx);
}

void
br_bridge_handlers(struct br_bridge *br, struct br_mx_handlers *h)
{
	memset(h, 0, sizeof(*h));
	h->on_message = br_bridge_on_message;
	h->on_member = br_bridge_on_member;
	h->on_reaction = br_bridge_on_reaction;
	h->on_redaction = br_bridge_on_redaction;
	h->on_receipt = br_bridge_on_receipt;
	h->on_typing = br_bridge_on_typing;
	h->on_state = br_bridge_on_room_state;
	h->arg = br;
}

/* ---- events ---- */

static int
from_us(struct br_bridge *br, const char *sender)
{
	return br->mx != NULL && br->mx->ops->is_ours(br->mx, sender);
}

/* msg.RemoveReplyFallback(): a reply's body starts with "> " quote lines
 * and one empty line; drop them. */
static const char *
strip_reply_fallback(const char *body)
{
	const char *p = body, *nl;

	if (strncmp(p, "> ", 2) != 0)
		return body;
	while (strncmp(p, "> ", 2) == 0 || strncmp(p, ">\n", 2) == 0) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			return body;
		p = nl + 1;
	}
	if (*p == '\n')
		p++;
	return p;
}

void
br_bridge_on_message(void *arg, const struct br_mx_message *m)
{
	struct br_bridge *br = arg;
	struct br_cmd_event ce;
	struct br_perm perm;
	const char *body;
	char *mgmt = NULL, *message;
	int r;

	if (m->sender == NULL || m->room_id == NULL || from_us(br, m->sender))
		return;
	if (br->hooks.mx_message != NULL &&
	    br->hooks.mx_message(br->hooks.arg, m) == 1)
		return;
	if ((r = br_user_db_load(br->db, m->sender, &mgmt)) < 0)
		log_warnx("Failed to load the user %s: %s", m->sender,
		    u_strerror(r));
	perm = br_config_permissions(br->cfg, m->sender);
	if (!(perm.flags & BR_PERM_SEND_EVENTS)) {
		log_debug("Dropping a message from %s: no permission to "
		    "interact with the bridge", m->sender);
		free(mgmt);
		return;
	}
	body = m->reply_to != NULL ? strip_reply_fallback(m->body) : m->body;
	if (!br_cmd_recognise(body, br->cfg->bridge.command_prefix,
	    mgmt != NULL && strcmp(mgmt, m->room_id) == 0, &message)) {
		free(mgmt);
		br_out_message(br, m);
		return;
	}
	if (!(perm.flags & BR_PERM_COMMANDS)) {
		log_debug("Ignoring a command from %s: no permission to use "
		    "commands", m->sender);
		free(message);
		free(mgmt);
		return;
	}
	memset(&ce, 0, sizeof(ce));
	ce.br = br;
	ce.room_id = m->room_id;
	ce.event_id = m->event_id;
	ce.sender = m->sender;
	ce.perm = perm;
	ce.mgmt_room = mgmt;
	ce.in_portal = br_db_room_is_portal(br->db, m->room_id) == 1;
	ce.logged_in = br_db_user_has_login(br->db, m->sender) == 1;
	br_cmd_event_parse(&ce, message);
	br_cmd_run(&ce);
	br_cmd_event_clear(&ce);
	free(mgmt);
}

static void
rejected(struct br_op *op, int rc, json_t *resp)
{
	if (rc != 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("Failed to reject the invite to %s: %s",
		    op->room_id, br_mx_strerror(rc));
}

static void
reject_invite(struct br_bridge *br, const struct br_mx_member *m,
    enum br_text_id why)
{
	struct br_mx *mx = br->mx;
	struct br_mx_intent *in = mx->ops->bot(mx);
	struct br_op *op;
	char *reason;

	if (!m->target_is_bot)
		return;	/* ghost invites: handled with portals */
	reason = br_text_fmt(br->lang, why, NULL, NULL);
	op = br_op_new(br, rejected, m->room_id, NULL);
	log_info("Rejecting the bot invite to %s from %s: no permission",
	    m->room_id, m->sender);
	if (mx->ops->leave(mx, in, m->room_id, reason, br_op_done, op) < 0)
		br_op_free(op);
	free(reason);
}

void
br_bridge_on_member(void *arg, const struct br_mx_member *m)
{
	struct br_bridge *br = arg;
	struct br_perm perm;
	char *mgmt = NULL;
	int invite, r;

	if (m->sender == NULL || m->room_id == NULL || br->mx == NULL ||
	    from_us(br, m->sender))
		return;
	if (br->hooks.mx_member != NULL &&
	    br->hooks.mx_member(br->hooks.arg, m) == 1)
		return;
	invite = strcmp(m->membership, "invite") == 0;
	if ((r = br_user_db_load(br->db, m->sender, &mgmt)) < 0)
		log_warnx("Failed to load the user %s: %s", m->sender,
		    u_strerror(r));
	free(mgmt);
	perm = br_config_permissions(br->cfg, m->sender);
	if (!(perm.flags & BR_PERM_SEND_EVENTS)) {
		if (invite && (m->target_is_bot || m->target_is_ghost))
			reject_invite(br, m, BR_TXT_NO_PERM_INTERACT);
		return;
	}
	if (!(perm.flags & BR_PERM_COMMANDS) && invite &&
	    (m->target_is_bot || m->target_is_ghost)) {
		reject_invite(br, m, BR_TXT_NO_PERM_COMMANDS);
		return;
	}
	if (invite && m->target_is_bot) {
		br_mgmt_on_bot_invite(br, m, &perm);
		return;
	}
	if (strcmp(m->membership, "leave") == 0)
		br_mgmt_on_leave(br, m);
}

/* Reactions, redactions, receipts and typing: only from users who may
 * interact with the bridge (upstream's QueueMatrixEvent gate). */
static int
may_send(struct br_bridge *br, const char *sender)
{
	struct br_perm perm;

	if (sender == NULL || from_us(br, sender))
		return 0;
	perm = br_config_permissions(br->cfg, sender);
	return (perm.flags & BR_PERM_SEND_EVENTS) != 0;
}

void
br_bridge_on_reaction(void *arg, const struct br_mx_reaction *r)
{
	struct br_bridge *br = arg;

	if (r->room_id != NULL && may_send(br, r->sender))
		br_out_reaction(br, r);
}

void
br_bridge_on_redaction(void *arg, const struct br_mx_redaction *r)
{
	struct br_bridge *br = arg;

	if (r->room_id != NULL && may_send(br, r->sender))
		br_out_redaction(br, r);
}

void
br_bridge_on_receipt(void *arg, const struct br_mx_receipt *r)
{
	struct br_bridge *br = arg;

	if (r->room_id != NULL && r->event_id != NULL &&
	    may_send(br, r->user_id))
		br_out_receipt(br, r);
}

void
br_bridge_on_typing(void *arg, const struct br_mx_typing *t)
{
	struct br_bridge *br = arg;
	const char *v[BR_OUT_TYPING_MAX];
	struct br_mx_typing f = *t;
	size_t i;

	if (t->room_id == NULL)
		return;
	f.n = 0;
	for (i = 0; i < t->n && f.n < BR_OUT_TYPING_MAX; i++)
		if (may_send(br, t->user_ids[i]))
			v[f.n++] = t->user_ids[i];
	f.user_ids = v;
	br_out_typing(br, &f);
}

void
br_bridge_on_room_state(void *arg, const struct br_mx_state *s)
{
	struct br_bridge *br = arg;

	if (s->room_id != NULL && may_send(br, s->sender))
		br_out_room_state(br, s);
}
