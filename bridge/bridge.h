/*
 * bridge.h: the bridge core (mautrix-go bridgev2's Bridge): receives the
 * Matrix side's events, applies permissions, runs commands and keeps
 * management rooms.  Talks to Matrix only through bridge/mx.h and to
 * WhatsApp only through bridge/net.h (main.c wires the network side's
 * events to bridge/portal_in.c and to the login-state handlers below).
 *
 * What it does: bot invites (join, welcome, management room), leaving
 * a management room, command recognition and dispatch (bridge/cmd.c), the
 * portal registry (bridge/portal.h) with the start-up recovery of lost
 * portal rooms and the re-sending of m.bridge (br_bridge_start).
 * Matrix events in portal rooms (messages, reactions, redactions, read
 * receipts, typing) go to the portals' FIFOs and on to WhatsApp
 * (bridge/portal_out.h).
 *
 * Invariants: one thread (the loop's).  Every asynchronous step carries a
 * struct br_op; the Matrix side completes every call exactly once (with
 * BR_ERR_MX_CANCELLED at shutdown), and the op is freed there, so nothing
 * is pending once br_mx_as_free returned.  Events from our bot and ghosts
 * never arrive (mx.h) and are also ignored here if they do.
 */
#ifndef PONTON_BRIDGE_BRIDGE_H
#define PONTON_BRIDGE_BRIDGE_H

#include <stdint.h>

#include <jansson.h>

#include "bridge/config.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/texts.h"

struct db;
struct br_cmd_state;
struct br_out;

struct br_bridge {
	const struct br_config	*cfg;	/* borrowed */
	struct db		*db;	/* borrowed */
	struct br_mx		*mx;	/* borrowed; NULL until set */
	struct br_net		*net;	/* borrowed; NULL until set */
	enum br_lang		 lang;	/* ponton.language */
	struct br_cmd_state	*states;	/* owned list: pending multi-step
						 * commands, one per user */
	uint64_t		 n_commands;	/* handled, for logs and tests */
	struct br_portals	*portals;	/* owned registry */
	struct br_out		*out;		/* owned: Matrix -> WhatsApp
						 * (portal_out.c); NULL if the
						 * relay templates are bad */
	int			 recovery_done;	/* portals may create rooms */
	void			(*on_ready)(void *);
	void			*on_ready_arg;
	/*
	 * Hooks for a feature layered on the core (community portals,
	 * bridge/community*.c); NULL when unused.  Each returns 1 when it
	 * consumed the event (the core then does nothing more with it: no
	 * bridging, no command), 0 to let the core go on.
	 *  wa_message: a message from WhatsApp, before it is bridged (called
	 *    from the portal's FIFO, so in order); the hook must not keep m.
	 *  mx_message: a Matrix message in any room, before commands and
	 *    portal relaying.
	 *  mx_member: a membership event, before the core's own handling
	 *    (invites of a second bot identity...).
	 *  wa_group: a group change from WhatsApp, after the core applied it
	 *    (return value ignored).
	 */
	struct br_bridge_hooks {
		int	(*wa_message)(void *arg, struct br_net_login *l,
			    const struct br_net_message *m);
		int	(*mx_message)(void *arg, const struct br_mx_message *m);
		int	(*mx_member)(void *arg, const struct br_mx_member *m);
		int	(*wa_group)(void *arg, struct br_net_login *l,
			    const struct br_net_group_event *g);
		void	*arg;
	} hooks;
};

/* Owned bridge on borrowed config and database (lang from the config;
 * en if unknown). */
struct br_bridge *br_bridge_new(const struct br_config *cfg, struct db *db);
/* After the Matrix side is freed.  NULL is a no-op. */
void br_bridge_free(struct br_bridge *br);
/* The handlers to give the Matrix side (arg is br). */
void br_bridge_handlers(struct br_bridge *br, struct br_mx_handlers *h);
void br_bridge_set_mx(struct br_bridge *br, struct br_mx *mx);
/* The WhatsApp side (may stay NULL in tests of the Matrix side). */
struct br_net;
void br_bridge_set_net(struct br_bridge *br, struct br_net *net);
/*
 * After the Matrix side started: recover lost portal rows from the rooms
 * the bot is in (portal_recover.c), then on_ready(arg) (may be NULL: it
 * starts the network side), then let portals run (and create rooms).
 * Recovery errors are logged, never fatal.
 */
void br_bridge_start(struct br_bridge *br, void (*on_ready)(void *),
    void *arg);
/* Before freeing the Matrix side: portals stop taking and running work. */
void br_bridge_stop(struct br_bridge *br);
/*
 * The network side's login events the Matrix -> WhatsApp half needs
 * (struct br_net_events on_state and on_synced signatures, arg = br):
 * messages wait for their login to be connected and synced, and fail
 * "not logged in" when it is logged out.  main.c calls them from its
 * handlers.
 */
void br_bridge_on_login_state(void *arg, struct br_net_login *l,
    const struct br_net_state *st);
void br_bridge_on_login_synced(void *arg, struct br_net_login *l);

/* The handlers themselves (also called directly by unit tests). */
void br_bridge_on_message(void *arg, const struct br_mx_message *m);
void br_bridge_on_member(void *arg, const struct br_mx_member *m);
void br_bridge_on_reaction(void *arg, const struct br_mx_reaction *r);
void br_bridge_on_redaction(void *arg, const struct br_mx_redaction *r);
void br_bridge_on_receipt(void *arg, const struct br_mx_receipt *r);
void br_bridge_on_typing(void *arg, const struct br_mx_typing *t);
/* m.room.name / m.room.topic / m.room.avatar in a portal room (the Matrix
 * side's on_state; see bridge/portal_out.h). */
void br_bridge_on_room_state(void *arg, const struct br_mx_state *s);

/* ---- for the core's own files (cmd.c, mgmt.c) ---- */

/*
 * One asynchronous step.  fn runs when the Matrix call completes; it may
 * start another call with the same op and set op->again, otherwise the op
 * is freed after fn returns.  On BR_ERR_MX_CANCELLED fn must only log.
 */
struct br_op {
	struct br_bridge	*br;		/* borrowed */
	void			(*fn)(struct br_op *op, int rc, json_t *resp);
	int			 again;
	char			*room_id;	/* owned */
	char			*user_id;	/* owned */
	char			*text;		/* owned, step-specific */
};
struct br_op *br_op_new(struct br_bridge *br,
    void (*fn)(struct br_op *, int, json_t *), const char *room_id,
    const char *user_id);
void br_op_free(struct br_op *op);
/* The br_mx_done_fn to pass with an op. */
void br_op_done(void *arg, int rc, json_t *resp);

/* Send Markdown as the bot: a notice (command replies) or text (the
 * welcome, as upstream).  Failures are logged. */
void br_bridge_notice(struct br_bridge *br, const char *room_id,
    const char *md);
void br_bridge_text(struct br_bridge *br, const char *room_id,
    const char *md);
/* A text from the table, filled, as a notice. */
void br_bridge_notice_id(struct br_bridge *br, const char *room_id,
    enum br_text_id id, const char *a0, const char *a1);

/* The user's management room: 0 and *room (owned, NULL if none), or a
 * negative db code.  Set: room NULL clears it. */
int br_mgmt_db_get(struct db *db, const char *mxid, char **room);
int br_mgmt_db_set(struct db *db, const char *mxid, const char *room);
/* As br_mgmt_db_get, and the row is created if the user has none yet
 * (upstream's GetUserByMXID). */
int br_user_db_load(struct db *db, const char *mxid, char **room);

/* 1 / 0, or a negative db code. */
int br_db_room_is_portal(struct db *db, const char *room_id);
int br_db_user_has_login(struct db *db, const char *mxid);

/* Management room events (mgmt.c). */
void br_mgmt_on_bot_invite(struct br_bridge *br, const struct br_mx_member *m,
    const struct br_perm *perm);
void br_mgmt_on_leave(struct br_bridge *br, const struct br_mx_member *m);
/* set-management-room: checks members, then stores and replies. */
void br_mgmt_set_from_command(struct br_bridge *br, const char *room_id,
    const char *user_id);

#endif
