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
 * section and description, gates (BR_CMD_REQ_*, checked in upstream's
 * order with upstream's replies) and a handler.
 *
 * What it does not do: Matrix calls (replies go through bridge.h), message
 * status events (MSS) for commands.
 *
 * Untrusted input: the message.  Limits below are checked before copying.
 */
#ifndef PONTON_BRIDGE_CMD_H
#define PONTON_BRIDGE_CMD_H

#include <stddef.h>

#include "bridge/config.h"
#include "bridge/texts.h"

/* A command message longer than this is not a command we know (the
 * longest real one, `bridge <chat ID> --overwrite`, is far below). */
#define BR_CMD_MESSAGE_MAX	4096
/* Words kept after the command; the rest is still in raw_args. */
#define BR_CMD_ARGS_MAX		32

struct br_bridge;

enum br_cmd_section {
	BR_CMD_SEC_GENERAL = 0,
	BR_CMD_SEC_AUTH,
	BR_CMD_SEC_CHATS,
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
};

extern const struct br_cmd br_cmds[];

/* Handlers living in their own files. */
void br_cmd_bridge(struct br_cmd_event *ce);	/* cmd_bridge.c */
extern const size_t br_ncmds;

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
