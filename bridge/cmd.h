/*
 * cmd.h: bot commands, recognised and dispatched as mautrix-go bridgev2's
 * command processor does.
 *
 * Recognition: an m.room.message whose body (reply fallback removed)
 * starts with bridge.command_prefix, or any message in the sender's
 * management room; "<prefix> " is stripped, the first word lower-cased is
 * the command, aliases resolve to the canonical name.  A pending
 * multi-step command (struct br_cmd_state) takes text that is not a
 * command; `cancel` drops it.
 *
 * Adding a command is one entry in br_cmds[] (cmd.c): name, aliases, help
 * section and description, gates (BR_CMD_REQ_* and event_level, checked
 * in upstream's order with upstream's replies) and a handler.  Handlers
 * live by area: cmd.c (general), login_flow.c (logins), cmd_bridge.c
 * (bridge), cmd_relay.c (set-relay, unset-relay), cmd_portal.c (id,
 * unbridge, delete-portal, set-pl), cmd_chat.c (resolve-identifier,
 * start-chat), cmd_group.c (create-group, invite-link, join, sync);
 * cmd_util.c holds what they share.  A handler that waits on a Matrix or
 * network call keeps a held copy of the invocation (br_cmd_event_hold).
 *
 * What it does not do: message status events (MSS) for commands.
 *
 * Untrusted input: the message.  Limits below are checked before copying.
 */
#ifndef PONTON_BRIDGE_CMD_H
#define PONTON_BRIDGE_CMD_H

#include <stddef.h>

#include <jansson.h>

#include "bridge/config.h"
#include "bridge/texts.h"

/* A command message longer than this is not a command we know (the
 * longest real one, `bridge <chat ID> --overwrite`, is far below). */
#define BR_CMD_MESSAGE_MAX	4096
/* Words kept after the command; the rest is still in raw_args. */
#define BR_CMD_ARGS_MAX		32

struct br_bridge;
struct br_net;
struct br_net_login;
struct br_net_group_event;

enum br_cmd_section {
	BR_CMD_SEC_GENERAL = 0,
	BR_CMD_SEC_AUTH,
	BR_CMD_SEC_CHATS,
	BR_CMD_SEC_INVITES,	/* mautrix-whatsapp's "Group invites" (25) */
	BR_CMD_SEC_MISC,
	BR_CMD_SEC_ADMIN,
	BR_CMD_SEC_COUNT
};

/* Gates, upstream's FullHandler fields. */
enum {
	BR_CMD_REQ_ADMIN = 1 << 0,		/* RequiresAdmin */
	BR_CMD_REQ_LOGIN_PERM = 1 << 1,		/* RequiresLoginPermission */
	BR_CMD_REQ_PORTAL = 1 << 2,		/* RequiresPortal */
	BR_CMD_REQ_LOGIN = 1 << 3,		/* RequiresLogin */
};

struct br_cmd;

/* One command invocation.  Strings borrowed unless marked owned. */
struct br_cmd_event {
	struct br_bridge	*br;		/* borrowed */
	const char		*room_id;
	const char		*event_id;
	const char		*sender;
	struct br_perm		 perm;		/* sender's */
	const char		*mgmt_room;	/* sender's, NULL if none */
	int			 in_portal;	/* room is a portal */
	int			 logged_in;	/* sender has a login */
	char			*message;	/* owned: prefix stripped */
	char			*command;	/* owned: lower-cased first word */
	const char		*raw_args;	/* into message */
	char			*args[BR_CMD_ARGS_MAX];	/* owned words */
	size_t			 nargs;
	const struct br_cmd	*cmd;		/* NULL: unknown */
};

struct br_cmd {
	const char		*name;
	const char *const	*aliases;	/* NULL-terminated or NULL */
	enum br_cmd_section	 section;
	enum br_text_id		 desc;
	const char		*args;		/* help, e.g. "<login ID>"; or NULL */
	unsigned		 gates;		/* BR_CMD_REQ_* */
	void			(*fn)(struct br_cmd_event *ce);
	/* RequiresEventLevel: the state event type whose power level the
	 * sender needs in the room (bridge admins bypass), or NULL.  Checked
	 * after the admin and login-permission gates, before the others,
	 * asynchronously (the room's power levels are read). */
	const char		*event_level;
};

extern const struct br_cmd br_cmds[];

/* Handlers living in their own files. */
void br_cmd_bridge(struct br_cmd_event *ce);	/* cmd_bridge.c */
void br_cmd_set_relay(struct br_cmd_event *ce);	/* cmd_relay.c */
void br_cmd_unset_relay(struct br_cmd_event *ce);
void br_cmd_id(struct br_cmd_event *ce);	/* cmd_portal.c */
void br_cmd_unbridge(struct br_cmd_event *ce);
void br_cmd_delete_portal(struct br_cmd_event *ce);
void br_cmd_set_pl(struct br_cmd_event *ce);
void br_cmd_resolve(struct br_cmd_event *ce);	/* cmd_chat.c: also start-chat */
void br_cmd_create_group(struct br_cmd_event *ce);	/* cmd_group.c */
void br_cmd_invite_link(struct br_cmd_event *ce);
void br_cmd_join(struct br_cmd_event *ce);
void br_cmd_sync(struct br_cmd_event *ce);
extern const size_t br_ncmds;

/*
 * `sync group(s)` and `join` hand a group whose portal has no room yet to
 * the core as a JOINED group event with the fresh chat info (the core
 * creates the room with the members' ghosts and power levels, e.g.
 * portal_in.c's on_group).  main.c sets it; unset, the commands create a
 * minimal room themselves (name, topic, the login's owner invited).
 * Portals that have a room get their name and topic from the commands.
 */
typedef void (*br_cmd_group_sync_fn)(void *arg, struct br_net_login *l,
    const struct br_net_group_event *g);
void br_cmd_set_group_sync(br_cmd_group_sync_fn fn, void *arg);

/*
 * Is body a command?  1 and *out (owned: the message with "<prefix> "
 * stripped), or 0 (not a command, or over BR_CMD_MESSAGE_MAX).
 */
int br_cmd_recognise(const char *body, const char *prefix, int in_mgmt_room,
    char **out);
/* Split message into ce->command/args/raw_args and resolve ce->cmd
 * (ce->message is taken over: owned by ce afterwards). */
void br_cmd_event_parse(struct br_cmd_event *ce, char *message);
void br_cmd_event_clear(struct br_cmd_event *ce);
const struct br_cmd *br_cmd_find(const char *name);
/* BR_TXT_COUNT if the gates pass, else the refusal text. */
enum br_text_id br_cmd_gate(const struct br_cmd *c,
    const struct br_cmd_event *ce);
/* The help text (Markdown), sectioned; owned. */
char *br_cmd_help(const struct br_cmd_event *ce);
/* The same over another table (tests; at most 64 commands a section). */
char *br_cmd_help_table(const struct br_cmd_event *ce,
    const struct br_cmd *cmds, size_t ncmds);
/* Run: gates, handler, pending state or the unknown-command reply. */
void br_cmd_run(struct br_cmd_event *ce);

/*
 * An owned deep copy of an invocation, for handlers that continue after
 * an asynchronous call (the original is cleared when the handler
 * returns).  Release with br_cmd_event_release.
 */
struct br_cmd_event *br_cmd_event_hold(const struct br_cmd_event *ce);
void br_cmd_event_release(struct br_cmd_event *ce);

/* ---- shared by the command files (cmd_util.c) ---- */

/* The network side: the bridge's, else the one the login commands were
 * given (borrowed; NULL when none). */
struct br_net *br_cmd_net(const struct br_bridge *br);
/*
 * The user's default login (upstream's GetDefaultLogin: the lowest login
 * ID among the user's logins): 0 and *out (owned ID), U_ERR_NOT_FOUND, or
 * a db code.
 */
int br_cmd_default_login(struct br_bridge *br, const char *mxid, char **out);
/* The network handle of a login ID (borrowed) or NULL. */
struct br_net_login *br_cmd_net_login(struct br_bridge *br, const char *id);

/*
 * A room's power levels as the commands judge them (spec defaults:
 * users_default 0, state_default 50, events_default 0; wrong types count
 * as absent; the creators of a room v12 rank above every level).
 */
struct br_cmd_levels {
	json_t	*pls;		/* ref: m.room.power_levels content */
	json_t	*creators;	/* ref: array of MXIDs (room v12+) */
};
/*
 * Read room's m.room.create and power levels as the bot; done(arg, rc,
 * lv) once (lv borrowed for the call, NULL on error).  rc
 * BR_ERR_MX_CANCELLED at shutdown: free only.  May call done before
 * returning when the Matrix side lacks the calls.
 */
typedef void (*br_cmd_levels_fn)(void *arg, int rc,
    const struct br_cmd_levels *lv);
void br_cmd_levels_fetch(struct br_bridge *br, const char *room_id,
    br_cmd_levels_fn done, void *arg);
long long br_cmd_levels_user(const struct br_cmd_levels *lv,
    const char *user);
/* The level needed for a state event type. */
long long br_cmd_levels_state(const struct br_cmd_levels *lv,
    const char *type);
/* Creators rank above every level (MSC4289). */
#define BR_CMD_PL_CREATOR	(1LL << 62)

/* React to event_id with key as the bot (upstream's ce.React); failures
 * are logged. */
void br_cmd_react(struct br_bridge *br, const char *room_id,
    const char *event_id, const char *key);
/* "https://matrix.to/#/<id>" for a user or room ID; owned. */
char *br_cmd_matrix_to(const char *id);
/* "[text](https://matrix.to/#/<id>)"; owned. */
char *br_cmd_md_link(const char *text, const char *id);

/* Reply as a notice in the command's room. */
void br_cmd_reply(struct br_cmd_event *ce, const char *md);
void br_cmd_reply_id(struct br_cmd_event *ce, enum br_text_id id,
    const char *a0, const char *a1);

/*
 * A pending multi-step command (login waiting for a phone number...), one
 * per user.  next gets the following non-command messages; cancel (may be
 * NULL) runs on `cancel` or replacement, with arg; action names it in the
 * "... cancelled." reply ("" for "Unknown action").
 */
struct br_cmd_state {
	struct br_cmd_state	*next_state;	/* list link */
	char			*mxid;		/* owned */
	char			*action;	/* owned */
	void			(*next)(struct br_cmd_event *ce, void *arg);
	void			(*cancel)(void *arg);
	void			*arg;
};
void br_cmd_state_set(struct br_bridge *br, const char *mxid,
    const char *action, void (*next)(struct br_cmd_event *, void *),
    void (*cancel)(void *), void *arg);
/* Removes and returns the user's state (owned), or NULL. */
struct br_cmd_state *br_cmd_state_take(struct br_bridge *br,
    const char *mxid);
void br_cmd_state_free(struct br_cmd_state *st);

#endif
