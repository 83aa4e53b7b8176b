/*
 * mgmt.c: management rooms, as mautrix-go bridgev2 keeps them
 * (matrixinvite.go handleBotInvite, the leave branch of QueueMatrixEvent,
 * the set-management-room command).
 *
 * Bot invite from a user with the commands permission: the bot joins; if
 * the room then has exactly two members, a user without a management room
 * gets this one (stored) and the full welcome, a user who has one gets the
 * short welcome naming the prefix.  A leave of the user or of the bot in
 * the user's management room clears it.
 *
 * Each step is one Matrix call carried by a struct br_op (bridge.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

static void
welcome_members(struct br_op *op, int rc, json_t *resp)
{
	struct br_bridge *br = op->br;
	char *mgmt = NULL, *t;
	int r, n;

	if (rc == BR_ERR_MX_CANCELLED)
		return;
	if (rc != 0) {
		log_warnx("Failed to get members of %s after accepting the "
		    "invite: %s", op->room_id, br_mx_strerror(rc));
		return;
	}
	n = br_mx_joined_count(resp);
	if (n != 2)
		return;
	if ((r = br_mgmt_db_get(br->db, op->user_id, &mgmt)) < 0) {
		log_warnx("Failed to read the management room of %s: %s",
		    op->user_id, u_strerror(r));
		return;
	}
	if (mgmt == NULL) {
		if ((r = br_mgmt_db_set(br->db, op->user_id,
		    op->room_id)) < 0)
			log_warnx("Failed to update the management room of "
			    "%s in the database: %s", op->user_id,
			    u_strerror(r));
		else
			log_info("%s is now the management room of %s",
			    op->room_id, op->user_id);
		t = br_text_fmt(br->lang, BR_TXT_WELCOME_NEW, NULL, NULL);
	} else {
		t = br_text_fmt(br->lang, BR_TXT_WELCOME_EXISTING,
		    br->cfg->bridge.command_prefix, NULL);
	}
	br_bridge_text(br, op->room_id, t);
	free(t);
	free(mgmt);
}

static void
invite_joined(struct br_op *op, int rc, json_t *resp)
{
	struct br_mx *mx = op->br->mx;

	if (rc == BR_ERR_MX_CANCELLED)
		return;
	if (rc != 0) {
		log_warnx("Failed to accept the invite to %s: %s",
		    op->room_id, br_mx_strerror(rc));
		return;
	}
	log_debug("Accepted the invite to %s as the bot", op->room_id);
	op->fn = welcome_members;
	if (mx->ops->joined_members(mx, mx->ops->bot(mx), op->room_id,
	    br_op_done, op) == 0)
		op->again = 1;
}

void
br_mgmt_on_bot_invite(struct br_bridge *br, const struct br_mx_member *m,
    const struct br_perm *perm)
{
	struct br_mx *mx = br->mx;
	struct br_op *op;

	(void)perm;	/* the caller checked commands */
	op = br_op_new(br, invite_joined, m->room_id, m->sender);
	if (mx->ops->ensure_joined(mx, mx->ops->bot(mx), m->room_id,
	    br_op_done, op) < 0) {
		log_warnx("Failed to accept the invite to %s", m->room_id);
		br_op_free(op);
	}
}

void
br_mgmt_on_leave(struct br_bridge *br, const struct br_mx_member *m)
{
	char *mgmt = NULL;
	int r;

	if (br_mgmt_db_get(br->db, m->sender, &mgmt) < 0 || mgmt == NULL)
		return;
	if (strcmp(mgmt, m->room_id) == 0 && (m->target_is_bot ||
	    strcmp(m->state_key, m->sender) == 0)) {
		if ((r = br_mgmt_db_set(br->db, m->sender, NULL)) < 0)
			log_warnx("Failed to clear the management room of "
			    "%s: %s", m->sender, u_strerror(r));
		else
			log_debug("Cleared the management room of %s (leave "
			    "event)", m->sender);
	}
	free(mgmt);
}

static void
set_members(struct br_op *op, int rc, json_t *resp)
{
	struct br_bridge *br = op->br;
	struct br_mx *mx = br->mx;
	int r;

	if (rc == BR_ERR_MX_CANCELLED)
		return;
	if (rc != 0 || br_mx_joined_count(resp) < 0) {
		br_bridge_notice_id(br, op->room_id, BR_TXT_MEMBERS_FAILED,
		    NULL, NULL);
		return;
	}
	if (!br_mx_joined_has(resp, mx->ops->bot_id(mx))) {
		br_bridge_notice_id(br, op->room_id, BR_TXT_MGMT_BOT_MISSING,
		    NULL, NULL);
		return;
	}
	if (br_mx_joined_count(resp) != 2) {
		br_bridge_notice_id(br, op->room_id, BR_TXT_MGMT_NOT_TWO,
		    NULL, NULL);
		return;
	}
	if ((r = br_mgmt_db_set(br->db, op->user_id, op->room_id)) < 0) {
		log_warnx("Failed to save the management room of %s: %s",
		    op->user_id, u_strerror(r));
		br_bridge_notice_id(br, op->room_id, BR_TXT_MGMT_SAVE_FAILED,
		    NULL, NULL);
		return;
	}
	br_bridge_notice_id(br, op->room_id, BR_TXT_MGMT_UPDATED, NULL, NULL);
}

void
br_mgmt_set_from_command(struct br_bridge *br, const char *room_id,
    const char *user_id)
{
	struct br_mx *mx = br->mx;
	struct br_op *op = br_op_new(br, set_members, room_id, user_id);

	if (mx->ops->joined_members(mx, mx->ops->bot(mx), room_id,
	    br_op_done, op) < 0) {
		br_op_free(op);
		br_bridge_notice_id(br, room_id, BR_TXT_MEMBERS_FAILED, NULL,
		    NULL);
	}
}
