/*
 * mx.h: the Matrix side as the bridge core sees it.  The core (bridge.c,
 * commands, management rooms, later portals and puppets) includes this
 * header and never matrix/; bridge/mx_as.c implements it on matrix/ (the
 * appservice), and unit tests implement it in memory.
 *
 * What it gives: intents (the bot, one per ghost), the calls the core makes
 * as them (a vtable, struct br_mx_ops), and the incoming events the core
 * handles (struct br_mx_handlers), already decoded into small borrowed
 * structs.  Events sent by the bot or by a ghost never reach the handlers
 * (echo suppression is the Matrix side's job and is tested there).
 *
 * What it does not do: permissions, commands, the database, WhatsApp.
 *
 * Invariants: one thread (the loop's).  A call returns 0 when queued, and
 * then its done callback runs exactly once, later, never from inside the
 * call; or a negative code (done not called).  br_mx_free calls every
 * pending done with BR_ERR_MX_CANCELLED, so whoever owns a callback's arg
 * frees it there.  An optional capability is a NULL slot; callers check it
 * and answer "unsupported" (BR_ERR_MX_UNSUPPORTED from the wrappers below).
 */
#ifndef PONTON_BRIDGE_MX_H
#define PONTON_BRIDGE_MX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Bridge error codes -560..-569 belong to the Matrix side interface. */
enum {
	BR_ERR_MX_FAILED = -560,	/* the homeserver refused or failed */
	BR_ERR_MX_CANCELLED = -561,	/* shut down before completion */
	BR_ERR_MX_UNSUPPORTED = -562,	/* optional slot not provided */
	BR_ERR_MX_INVALID = -563,	/* bad argument (our bug) */
	BR_ERR_MX_TOO_BIG = -564,	/* upload over the server's limit */
	BR_ERR_MX_NOT_FOUND = -565,	/* 404 M_NOT_FOUND (state, rooms) */
};
const char *br_mx_strerror(int code);

struct br_mx;
struct br_mx_intent;	/* the bot or a ghost; owned by the Matrix side */

/*
 * What a portal room is created with (mautrix-whatsapp's §6.4 initial
 * state is built by the Matrix side from it).  Strings and json_t
 * borrowed.
 */
struct br_mx_room_spec {
	const char	*channel_id;	/* portal ID (chat JID) */
	const char	*name;		/* NULL: none */
	const char	*topic;		/* NULL: none */
	const char	*avatar_mxc;	/* NULL: none */
	const char	*receiver;	/* fi.mau.receiver (DMs) or NULL */
	int		 is_dm;
	int		 announce;	/* group: only admins send */
	int		 locked;	/* group: only admins edit metadata */
	int		 federate;	/* 0: m.federate false */
	const char *const *invite;	/* NULL-terminated or NULL */
	json_t		*users_pl;	/* extra {"@ghost": level} or NULL */
};

/*
 * Completion: rc 0 or BR_ERR_MX_*; resp is the homeserver's JSON answer
 * (borrowed, valid during the callback; may be NULL on error).  On
 * success the interesting field is named in each call's comment.
 */
typedef void (*br_mx_done_fn)(void *arg, int rc, json_t *resp);
/* Completion of a media download: data (len bytes) and the content type
 * (may be NULL) borrowed during the callback; NULL on error. */
typedef void (*br_mx_data_fn)(void *arg, int rc, const unsigned char *data,
    size_t len, const char *content_type);

/* ---- incoming events (all strings borrowed for the handler's call) ---- */

struct br_mx_message {
	const char	*room_id;
	const char	*event_id;
	const char	*sender;
	const char	*msgtype;	/* "m.text", "m.notice", ... ("" if absent) */
	const char	*body;		/* reply fallback NOT removed */
	const char	*formatted_body;	/* NULL unless org.matrix.custom.html */
	const char	*reply_to;	/* m.in_reply_to event id or NULL */
	const char	*edit_of;	/* m.replace target or NULL */
	uint64_t	 ts_ms;
	json_t		*content;	/* the whole content, borrowed */
};

struct br_mx_member {
	const char	*room_id;
	const char	*event_id;
	const char	*sender;
	const char	*state_key;	/* whose membership */
	const char	*membership;	/* invite, join, leave, ban, knock */
	const char	*prev_membership;	/* from unsigned.prev_content or "" */
	const char	*reason;	/* "" if none */
	int		 is_direct;
	int		 target_is_bot;	/* state_key is the bridge bot */
	int		 target_is_ghost;	/* state_key is one of our ghosts */
	int		 target_is_community_bot;	/* state_key is the
						 * community bot (never also
						 * target_is_ghost) */
};

struct br_mx_redaction {
	const char	*room_id;
	const char	*event_id;
	const char	*sender;
	const char	*redacts;
	const char	*reason;	/* "" if none */
};

struct br_mx_reaction {
	const char	*room_id;
	const char	*event_id;
	const char	*sender;
	const char	*target;	/* m.relates_to.event_id */
	const char	*key;
};

struct br_mx_receipt {
	const char	*room_id;
	const char	*user_id;
	const char	*event_id;
	const char	*type;		/* m.read, m.read.private */
	uint64_t	 ts_ms;
};

struct br_mx_typing {
	const char	*room_id;
	const char *const *user_ids;	/* who is typing now (ours removed) */
	size_t		 n;
};

/* A room state change the core bridges (m.room.name, m.room.topic,
 * m.room.avatar with an empty state key). */
struct br_mx_state {
	const char	*room_id;
	const char	*event_id;
	const char	*sender;
	const char	*type;
	const char	*state_key;
	json_t		*content;	/* borrowed */
};

/* Set by the core before br_mx start; any slot may be NULL (ignored). */
struct br_mx_handlers {
	void	(*on_message)(void *arg, const struct br_mx_message *m);
	void	(*on_member)(void *arg, const struct br_mx_member *m);
	void	(*on_redaction)(void *arg, const struct br_mx_redaction *r);
	void	(*on_reaction)(void *arg, const struct br_mx_reaction *r);
	void	(*on_receipt)(void *arg, const struct br_mx_receipt *r);
	void	(*on_typing)(void *arg, const struct br_mx_typing *t);
	void	(*on_state)(void *arg, const struct br_mx_state *s);
	void	 *arg;
};

/*
 * The calls.  Each takes the side and an intent (from bot(), ghost() or
 * double_puppet()).  Strings and json_t arguments are
 * borrowed (copied before return).  NULL slot: not supported by this
 * Matrix side.
 */
struct br_mx_ops {
	struct br_mx_intent *(*bot)(struct br_mx *mx);
	/* Intent for a remote user id (ghost); NULL if the id makes no
	 * valid localpart.  Borrowed, cached by the side. */
	struct br_mx_intent *(*ghost)(struct br_mx *mx, const char *remote_id);
	const char *(*user_id)(const struct br_mx_intent *in);
	const char *(*bot_id)(const struct br_mx *mx);
	/* 1 if the MXID is the bot or one of our ghosts. */
	int	(*is_ours)(const struct br_mx *mx, const char *user_id);

	int	(*ensure_registered)(struct br_mx *mx,
		    struct br_mx_intent *in, br_mx_done_fn done,
		    void *arg);
	/* Join (accepting an invite).  resp: room_id. */
	int	(*ensure_joined)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    br_mx_done_fn done, void *arg);
	int	(*set_displayname)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *name,
		    br_mx_done_fn done, void *arg);
	int	(*set_avatar)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *mxc,
		    br_mx_done_fn done, void *arg);
	/* m.room.message with msgtype ("m.text", "m.notice", ...), plain body
	 * and, if html is not NULL, org.matrix.custom.html.  resp: event_id. */
	int	(*send_message)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *msgtype, const char *body, const char *html,
		    br_mx_done_fn done, void *arg);
	/* Any event type with a full content.  resp: event_id. */
	int	(*send_event)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *type, json_t *content, uint64_t ts_ms,
		    br_mx_done_fn done, void *arg);
	/* Optional: send_event with the caller's transaction ID (unique in
	 * the appservice, <= 200 bytes): a repeat after a crash of ours gets
	 * the first event's ID instead of a second event. */
	int	(*send_event_txn)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *type, json_t *content, uint64_t ts_ms,
		    const char *txn_id, br_mx_done_fn done, void *arg);
	int	(*send_state)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *type, const char *state_key, json_t *content,
		    br_mx_done_fn done, void *arg);
	/* resp: room_id. */
	int	(*create_room)(struct br_mx *mx,
		    struct br_mx_intent *in, json_t *req,
		    br_mx_done_fn done, void *arg);
	int	(*invite)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *user_id, br_mx_done_fn done, void *arg);
	int	(*kick)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *user_id, const char *reason, br_mx_done_fn done,
		    void *arg);
	/* Leave, or reject an invite (with a reason shown to the inviter). */
	int	(*leave)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *reason, br_mx_done_fn done, void *arg);
	int	(*redact)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *event_id, const char *reason, br_mx_done_fn done,
		    void *arg);
	int	(*typing)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    int typing, unsigned timeout_ms, br_mx_done_fn done,
		    void *arg);
	int	(*receipt)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    const char *event_id, br_mx_done_fn done, void *arg);
	/* resp: content_uri.  BR_ERR_MX_TOO_BIG over the server's limit. */
	int	(*upload)(struct br_mx *mx,
		    struct br_mx_intent *in, const void *data, size_t len,
		    const char *content_type, const char *filename,
		    br_mx_done_fn done, void *arg);
	/* Download an mxc:// URI (authenticated media), at most max bytes
	 * (0: the server's upload limit); BR_ERR_MX_TOO_BIG past it. */
	int	(*download)(struct br_mx *mx, struct br_mx_intent *in,
		    const char *mxc, size_t max, br_mx_data_fn done,
		    void *arg);
	/* resp: {"joined": {"@user:hs": {...}, ...}}. */
	int	(*joined_members)(struct br_mx *mx,
		    struct br_mx_intent *in, const char *room_id,
		    br_mx_done_fn done, void *arg);
	/* Optional: a double-puppet intent for a real user (NULL slot or
	 * NULL result: none). */
	struct br_mx_intent *(*double_puppet)(struct br_mx *mx,
		    const char *user_id);

	/* ---- portals (bridge/portal*.c) ---- */
	/* The createRoom body mautrix-whatsapp sends for a portal (initial
	 * state included); owned, NULL on bad spec. */
	json_t	*(*portal_create_req)(struct br_mx *mx,
		    const struct br_mx_room_spec *spec);
	/* "<domain>/<appservice id>": our m.bridge state key; borrowed. */
	const char *(*bridge_state_key)(const struct br_mx *mx);
	/* resp: {"joined_rooms": ["!room:hs", ...]}. */
	int	(*joined_rooms)(struct br_mx *mx, struct br_mx_intent *in,
		    br_mx_done_fn done, void *arg);
	/* One state event's content.  resp: the content; a missing event
	 * is BR_ERR_MX_NOT_FOUND (404 M_NOT_FOUND). */
	int	(*get_state)(struct br_mx *mx, struct br_mx_intent *in,
		    const char *room_id, const char *type,
		    const char *state_key, br_mx_done_fn done, void *arg);
	/* The same as a whole event (?format=event): resp has sender and
	 * content (m.room.create's sender is a room v12 creator). */
	int	(*get_state_event)(struct br_mx *mx, struct br_mx_intent *in,
		    const char *room_id, const char *type,
		    const char *state_key, br_mx_done_fn done, void *arg);
	/* Optional: the room's whole current state.  resp: {"state":
	 * [event, ...]} (from the room's /initialSync, the one endpoint
	 * answering it as an object; homeservers without it fail). */
	int	(*room_state_list)(struct br_mx *mx, struct br_mx_intent *in,
		    const char *room_id, br_mx_done_fn done, void *arg);

	/* ---- community portals (bridge/community*.c) ---- */
	/* Optional: the community bot (community.bot_username, a second
	 * bot identity in our namespace) or NULL when there is none.  Its
	 * own events never reach the handlers (echo suppression), and
	 * invites of it are reported with target_is_community_bot. */
	struct br_mx_intent *(*community_bot)(struct br_mx *mx);
};

/* The Matrix side: a vtable and its implementation's state. */
struct br_mx {
	const struct br_mx_ops	*ops;	/* borrowed (static) */
	void			*impl;	/* owned by the implementation */
};

/*
 * Decode one appservice event (room event, or ephemeral m.typing /
 * m.receipt) into h's callbacks; mx answers bot_id and is_ours.  Events
 * of other types, and malformed ones (missing or mistyped fields), are
 * dropped silently: the appservice already checked type, sender, room_id
 * and event_id.  ev borrowed.  Used by mx_as.c; public for tests.
 */
void br_mx_decode_event(const struct br_mx_handlers *h,
    const struct br_mx *mx, json_t *ev);
void br_mx_decode_ephemeral(const struct br_mx_handlers *h,
    const struct br_mx *mx, json_t *ev);

/* Count of user ids in a joined_members answer, -1 if malformed. */
int br_mx_joined_count(json_t *resp);
/* 1 if user_id is in a joined_members answer. */
int br_mx_joined_has(json_t *resp, const char *user_id);

/*
 * The implementation on matrix/ (bridge/mx_as.c), for main.c only.
 * br_mx_as_new creates the appservice from the config and starts its HTTP
 * listener.  Returns an exit code (bridge/exitcodes.h): 0 with *out
 * (owned), or BR_EXIT_NO_LISTENER (23) when the listener cannot start.
 */
struct u_loop;
struct br_config;
int br_mx_as_new(struct u_loop *loop, const struct br_config *cfg,
    int ignore_unsupported_server, const struct br_mx_handlers *h,
    struct br_mx **out);
/* The port the appservice listens on (for logs and tests). */
int br_mx_as_port(const struct br_mx *mx);
/* Start-up checks (versions, whoami, ping, bot profile); done(arg, code)
 * once with an exit code: 0, 13, 16, 17 or 18 (spec older than v1.4). */
void br_mx_as_start(struct br_mx *mx, void (*done)(void *arg, int code),
    void *arg);
/* Completes every pending call with BR_ERR_MX_CANCELLED, then frees the
 * appservice.  Only while the loop is not running.  NULL is a no-op. */
void br_mx_as_free(struct br_mx *mx);

#endif
