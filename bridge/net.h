/*
 * net.h: the network side (WhatsApp) as the bridge core sees it, as
 * mautrix-go bridgev2's NetworkConnector / NetworkAPI / LoginProcess.
 *
 * The core (login commands, later portals and puppets) includes this
 * header and never waweb/; bridge/net_wa.c implements it on waweb/ with
 * the device store on the bridge database, and unit tests implement it in
 * memory.
 *
 * What it gives: one process-level object (struct br_net: start, stop,
 * login flows, the registry of logins) and one handle per login (struct
 * br_net_login: connect, disconnect, logout, state, remote id and name),
 * plus the events the network side reports to the core (struct
 * br_net_events): messages, receipts, chat states, group changes; and the
 * calls the core makes (send, read, typing, chat info, group
 * administration).  Any optional slot may be NULL: the core checks it and
 * answers "unsupported".
 *
 * What it does not do: Matrix, commands, texts.  The adapter writes the
 * user_login row itself when a login flow succeeds (id = phone digits,
 * remote_name "+<digits>", metadata {"wa_device_id": N}), as upstream's
 * connector calls user.NewLogin.
 *
 * Invariants: one thread (the loop's).  Strings passed in are borrowed
 * (copied when kept); strings and structs passed to callbacks are borrowed
 * for the call.  A login handle is owned by the network side and stays
 * valid until on_login_gone reports it (after a logout or free); a flow is
 * owned by the network side and ends with exactly one of on_success /
 * on_failure, or silently with br_net_flow_cancel; the caller must not use
 * it afterwards.  No callback frees the object it reports on.
 */
#ifndef PONTON_BRIDGE_NET_H
#define PONTON_BRIDGE_NET_H

#include <stddef.h>
#include <stdint.h>

/* Bridge error codes -570..-579 belong to the network side interface. */
enum {
	BR_ERR_NET_FAILED = -570,	/* the network side failed (logged) */
	BR_ERR_NET_UNSUPPORTED = -571,	/* optional slot not provided */
	BR_ERR_NET_NOT_FOUND = -572,	/* no such login / stored session */
	BR_ERR_NET_PHONE_SHORT = -573,	/* phone number too short */
	BR_ERR_NET_PHONE_INTL = -574,	/* not in international format */
	BR_ERR_NET_TIMEOUT = -575,	/* QR codes ran out, no pairing */
	BR_ERR_NET_CANCELLED = -576,	/* stopped before completion */
	BR_ERR_NET_BUSY = -577,		/* a flow is already running */
	BR_ERR_NET_OUTDATED = -578,	/* the server refused our version */
	BR_ERR_NET_NO_KEY = -579,	/* app state: a key we do not have */
};
const char *br_net_strerror(int code);

/* bridgev2's status.BridgeStateEvent values a login reports. */
enum br_net_state_event {
	BR_NET_UNCONFIGURED = 0,
	BR_NET_CONNECTING,
	BR_NET_CONNECTED,
	BR_NET_TRANSIENT_DISCONNECT,
	BR_NET_BAD_CREDENTIALS,
	BR_NET_UNKNOWN_ERROR,
	BR_NET_LOGGED_OUT,
	BR_NET_STATE_COUNT_
};
/* "CONNECTED", ... as upstream spells them (never NULL). */
const char *br_net_state_event_name(enum br_net_state_event ev);

/* A login's bridge state.  Strings static or borrowed for the call. */
struct br_net_state {
	enum br_net_state_event	 event;
	const char		*error;		/* "wa-logged-out"..., NULL */
	const char		*message;	/* human text or NULL */
};

struct br_net;
struct br_net_login;
struct br_net_flow;

/* What the core knows of a login (borrowed from the handle). */
struct br_net_login_info {
	const char		*id;		/* login ID: phone digits */
	const char		*user_mxid;	/* owner */
	const char		*remote_name;	/* "+<digits>" */
	struct br_net_state	 state;		/* the last one reported */
};

/* ---- messages, chats, groups (issues 4, 6, 7) ----
 *
 * Identifiers across this interface are WhatsApp JID strings, as the
 * core's bridge/ids.h parses them: chats "<digits>@s.whatsapp.net",
 * "<n>@lid", "<id>@g.us"; users the same without device.  The network
 * side normalises users and DM chats to the phone-number form whenever it
 * knows the LID's number (upstream's ghosts are by phone number), and
 * falls back to the LID form.  Message IDs are WhatsApp's ("3EB0...").
 */

enum br_net_kind {
	BR_NET_KIND_TEXT = 0,
	BR_NET_KIND_IMAGE,
	BR_NET_KIND_VIDEO,
	BR_NET_KIND_AUDIO,
	BR_NET_KIND_VOICE,		/* voice note (ptt), ogg/opus */
	BR_NET_KIND_FILE,		/* document */
	BR_NET_KIND_STICKER,
	BR_NET_KIND_LOCATION,
	BR_NET_KIND_CONTACT,
	BR_NET_KIND_POLL,		/* poll creation */
	BR_NET_KIND_POLL_VOTE,
	BR_NET_KIND_REACTION,		/* text: the emoji, "" removes it */
	BR_NET_KIND_EDIT,		/* text: the new text */
	BR_NET_KIND_REVOKE,		/* delete for everyone */
	BR_NET_KIND_GROUP_INVITE,	/* an invitation to join a group */
	BR_NET_KIND_UNSUPPORTED,	/* tell the user: not bridged */
	BR_NET_KIND_UNDECRYPTABLE,	/* tell the user: waiting / failed */
	BR_NET_KIND_COUNT_
};

/*
 * A message's content, both directions.  Everything borrowed (for the
 * call, or, in a received message, until message_done).  Fields that do
 * not apply to the kind are NULL / 0.
 */
struct br_net_content {
	enum br_net_kind	 kind;
	/* Text in WhatsApp markup (*bold* _italic_ ~strike~ ```mono```):
	 * the text, a caption, a poll's question, a reaction's emoji, an
	 * edit's new text, a contact's display name. */
	const char		*text;
	const char *const	*mentions;	/* user JIDs mentioned */
	size_t			 n_mentions;
	/* A reply: the quoted message (id and its sender's user JID). */
	const char		*reply_id, *reply_sender;
	/* Reaction, edit, revoke, poll vote: the message acted on. */
	const char		*target_id, *target_sender;
	/* Media: the plain bytes (received: downloaded by the network side
	 * before the event; NULL with media_error set when that failed). */
	const unsigned char	*data;
	size_t			 len;
	int			 media_error;	/* BR_ERR_NET_* or 0 */
	const char		*mime, *filename;
	uint32_t		 width, height, duration_s;
	const unsigned char	*waveform;	/* voice: 0..100 per sample */
	size_t			 waveform_len;
	/* Location. */
	double			 lat, lon;
	const char		*loc_name, *loc_address;
	/* Contact card (text is the display name). */
	const char		*vcard;
	/* Poll: the options; vote: the selected options' names. */
	const char *const	*options;
	size_t			 n_options;
	unsigned		 selectable;	/* poll: how many one may pick */
	/* Group invite: the group and code to join it. */
	const char		*invite_group, *invite_code;
	uint64_t		 invite_expiration;	/* unix seconds */
};

/* A message received from the network (borrowed until message_done). */
struct br_net_message {
	uint64_t		 seq;	/* for message_done; per login */
	const char		*chat;		/* chat JID (portal) */
	const char		*id;		/* WhatsApp message ID */
	const char		*sender;	/* user JID (normalised) */
	const char		*sender_name;	/* push name or NULL */
	int			 from_me;	/* sent by the login's account */
	int			 is_group;
	uint64_t		 ts_ms;
	struct br_net_content	 c;
	/* An old message from a history sync being backfilled (set by the
	 * core, bridge/history.c): bridged, but hooks must not act on it
	 * (no command run, no reply sent for it). */
	int			 backfill;
};

/* Delivery / read receipts and chat states from the network. */
enum br_net_receipt_type {
	BR_NET_RECEIPT_DELIVERED = 0,
	BR_NET_RECEIPT_READ,		/* read by the other party */
	BR_NET_RECEIPT_READ_SELF,	/* read on another of our devices */
	BR_NET_RECEIPT_PLAYED,
};
struct br_net_receipt {
	enum br_net_receipt_type type;
	const char		*chat;
	const char		*sender;	/* who read (user JID) */
	const char *const	*ids;
	size_t			 n;
	uint64_t		 ts_ms;
};
enum br_net_chatstate {
	BR_NET_TYPING_STOPPED = 0,
	BR_NET_TYPING,
	BR_NET_RECORDING,
};

/* A group member as the network side reports it. */
enum br_net_role { BR_NET_MEMBER = 0, BR_NET_ADMIN, BR_NET_SUPERADMIN };
struct br_net_member {
	const char		*user;		/* user JID (normalised) */
	const char		*name;		/* push name if known, or NULL */
	enum br_net_role	 role;
};

/* A chat's info (groups: from the metadata; DMs: the contact). */
struct br_net_chat_info {
	const char		*chat;
	int			 is_group;
	const char		*name;		/* subject / contact name; NULL */
	const char		*topic;		/* description; NULL */
	const unsigned char	*avatar;	/* JPEG bytes or NULL */
	size_t			 avatar_len;
	const char		*avatar_id;	/* changes when it changes */
	int			 announce;	/* only admins send */
	int			 locked;	/* only admins edit info */
	const struct br_net_member *members;
	size_t			 n_members;
};

/* A change in a group, as a notification reports it. */
enum br_net_group_change {
	BR_NET_GROUP_JOINED = 0,	/* we were added / created it: info */
	BR_NET_GROUP_LEFT,		/* we left or were removed */
	BR_NET_GROUP_ADD,		/* users added (or joined by link) */
	BR_NET_GROUP_REMOVE,		/* users removed or left */
	BR_NET_GROUP_PROMOTE,
	BR_NET_GROUP_DEMOTE,
	BR_NET_GROUP_NAME,		/* text: the new subject */
	BR_NET_GROUP_TOPIC,		/* text: the new description */
	BR_NET_GROUP_AVATAR,		/* fetch the chat info again */
	BR_NET_GROUP_SETTINGS,		/* announce / locked changed */
};
struct br_net_group_event {
	enum br_net_group_change change;
	const char		*chat;
	const char		*actor;		/* user JID or NULL */
	const char *const	*users;		/* add/remove/promote/demote */
	size_t			 n_users;
	const char		*text;		/* name / topic */
	int			 announce, locked;
	/* JOINED: the whole info (members included). */
	const struct br_net_chat_info *info;
};

/*
 * A contact's names, as whatsmeow keeps them (whatsmeow_contacts): from
 * app state (ContactAction: the phone's address book), push names (what
 * the user set, seen on their messages) and business names.  The network
 * side merges what it knows under the user's phone-number and LID forms
 * (mautrix-whatsapp's contactToUserInfo: the phone-number row wins, the
 * LID row fills what it lacks).  NULL or "" = unknown.
 */
struct br_net_contact {
	const char		*user;		/* user JID (normalised) */
	const char		*alt_user;	/* the other form (LID when user
						 * is a phone number, or the
						 * reverse) or NULL */
	const char		*full_name, *first_name;
	const char		*push_name, *business_name;
};

/*
 * History sync (bridge/history.h): the chats the phone lists after a
 * login, each with its last messages (oldest first) as on_message would
 * carry them, except that they are not pending (seq 0: message_done is
 * not needed, and ignored).  raw[i] is message i's WebMessageInfo as the
 * phone sent it (for whatsapp_history_sync_message).  Borrowed for the
 * call.
 */
struct br_net_history_chat {
	const char		*chat;		/* chat JID (normalised) */
	const char		*name;		/* or NULL */
	uint64_t		 last_ts_ms;
	int			 archived, marked_unread;
	uint64_t		 pinned;	/* unix seconds, 0: not pinned */
	uint64_t		 mute_end;	/* unix seconds, 0: not muted */
	uint32_t		 unread_count, ephemeral_expiration;
	int64_t			 ephemeral_setting_ts;
	int			 end_of_history_type;	/* -1: not given */
	const struct br_net_message *msgs;
	const unsigned char *const *raw;
	const size_t		*raw_len;
	size_t			 n_msgs;
};
struct br_net_history {
	int			 sync_type;	/* HistorySync.syncType */
	const struct br_net_history_chat *chats;
	size_t			 n_chats;
};

/*
 * Completion of an asynchronous call: rc 0 or a negative code (BR_ERR_NET_*
 * or the side's own, with a short human reason); r holds what the call's
 * comment names.  Called exactly once, never from inside the call, unless
 * the call returned an error.  All borrowed for the callback.
 */
struct br_net_result {
	const char		*reason;	/* error text or NULL */
	const char		*id;		/* send: the message ID */
	uint64_t		 ts_ms;		/* send: the server's time */
	const char		*chat;		/* create, join: the group JID */
	const char		*link;		/* invite_link: the full URL */
	const struct br_net_chat_info *info;	/* chat_info, create */
	/* add/remove/promote/demote: per user, 0 or the server's error code
	 * (403: refused by the user's privacy settings; then an invitation
	 * code may be given to send with invite_user) */
	const char *const	*users;
	const int		*codes;
	const char *const	*invite_codes;	/* per user, NULL if none */
	const uint64_t		*invite_expirations;
	size_t			 n_users;
	/* resolve: the user JID on WhatsApp ("" when not on WhatsApp) */
	const char		*user;
	/* list_groups: the groups' JIDs and names */
	const char *const	*chats;
	const char *const	*names;
	size_t			 n_chats;
	/* list_contacts: every contact the login's store knows */
	const struct br_net_contact *contacts;
	size_t			 n_contacts;
};
typedef void (*br_net_done_fn)(void *arg, int rc,
    const struct br_net_result *r);

enum br_net_member_op {
	BR_NET_OP_ADD = 0, BR_NET_OP_REMOVE, BR_NET_OP_PROMOTE,
	BR_NET_OP_DEMOTE,
};

/* The core's handlers; any slot may be NULL. */
struct br_net_events {
	/* A login's bridge state changed (every change, deduplicated). */
	void	(*on_state)(void *arg, struct br_net_login *l,
		    const struct br_net_state *st);
	/* l is about to be freed (logout, free); last call about it. */
	void	(*on_login_gone)(void *arg, struct br_net_login *l);
	/*
	 * A message for a portal.  The network side stored it as pending
	 * (durably) before acknowledging it to WhatsApp; m stays valid until
	 * the core calls ops->message_done(l, m->seq) once the message is
	 * bridged (or given up, with a notice).  Messages of one login come
	 * in order, each once; after a restart, the pending ones not yet
	 * done come again first, in order (the core de-duplicates by
	 * message ID).  Also from_me copies sent by our other devices.
	 */
	void	(*on_message)(void *arg, struct br_net_login *l,
		    const struct br_net_message *m);
	void	(*on_receipt)(void *arg, struct br_net_login *l,
		    const struct br_net_receipt *r);
	void	(*on_typing)(void *arg, struct br_net_login *l,
		    const char *chat, const char *user,
		    enum br_net_chatstate st);
	/* Group changes (and JOINED when the account is added to a group or
	 * created one elsewhere). */
	void	(*on_group)(void *arg, struct br_net_login *l,
		    const struct br_net_group_event *g);
	/* The login's connection is up and the offline queue delivered. */
	void	(*on_synced)(void *arg, struct br_net_login *l);
	/* A history sync blob from the phone (bridge/history.h). */
	void	(*on_history)(void *arg, struct br_net_login *l,
		    const struct br_net_history *h);
	/* A contact's names changed (app state ContactAction, a new push
	 * name): whatsmeow's events.Contact / events.PushName. */
	void	(*on_contact)(void *arg, struct br_net_login *l,
		    const struct br_net_contact *c);
	/* The address book collection (critical_unblock_low) was synced:
	 * upstream re-applies every contact (resyncContacts). */
	void	(*on_contacts_synced)(void *arg, struct br_net_login *l);
	/* A user's profile picture changed (<notification type=picture>):
	 * avatar_id the new picture's id, NULL when it was removed; user
	 * normalised as elsewhere.  The core fetches it with ops->avatar
	 * (whatsmeow's events.Picture). */
	void	(*on_user_avatar)(void *arg, struct br_net_login *l,
		    const char *user, const char *avatar_id);
	void	 *arg;
};

enum br_net_flow_type {
	BR_NET_FLOW_QR = 0,	/* "qr": scan a QR code */
	BR_NET_FLOW_PHONE,	/* "phone": pairing code for a number */
};

/*
 * A login flow's steps (upstream's step ids in comments).  qr and code
 * may repeat (the QR rotates); then exactly one of success / failure.
 */
struct br_net_flow_cbs {
	/* fi.mau.whatsapp.login.qr: the QR text, at each rotation. */
	void	(*on_qr)(void *arg, const char *qr);
	/* fi.mau.whatsapp.login.code: the 8-character pairing code. */
	void	(*on_code)(void *arg, const char *code);
	/* fi.mau.whatsapp.login.complete: the new login (registered,
	 * its row stored; borrowed, valid until on_login_gone). */
	void	(*on_success)(void *arg, struct br_net_login *l);
	/* err: BR_ERR_NET_*; reason: short human text. */
	void	(*on_failure)(void *arg, int err, const char *reason);
};

struct br_net_ops {
	const char	*name;		/* "WhatsApp" */
	/* Load every stored login and connect it.  0 or a negative code
	 * (logins that fail to load are logged and skipped). */
	int	(*start)(struct br_net *n);
	/* Disconnect everything, cancel flows (no callbacks). */
	void	(*stop)(struct br_net *n);
	/* Stop and free (on_login_gone for every login) and release what
	 * the side shares on the loop.  Not from any loop callback (it runs
	 * the loop briefly); before u_loop_free. */
	void	(*free)(struct br_net *n);

	/* The login with this ID (borrowed) or NULL. */
	struct br_net_login *(*login_get)(struct br_net *n, const char *id);
	/* Up to max of user's logins into v, sorted by ID; the count. */
	size_t	(*logins_of)(struct br_net *n, const char *user_mxid,
		    struct br_net_login **v, size_t max);

	/*
	 * Start a login flow for a Matrix user.  phone: the number for
	 * BR_NET_FLOW_PHONE ("+33 6 12-34..." accepted), NULL for QR.
	 * 0 and *out (owned by the side), or BR_ERR_NET_PHONE_* (checked
	 * before anything starts) or BR_ERR_NET_FAILED.  Callbacks never run
	 * from inside this call.
	 */
	int	(*flow_start)(struct br_net *n, const char *user_mxid,
		    enum br_net_flow_type type, const char *phone,
		    const struct br_net_flow_cbs *cbs, void *arg,
		    struct br_net_flow **out);
	/* Abort; no callback afterwards.  NULL is a no-op. */
	void	(*flow_cancel)(struct br_net_flow *f);

	/* ---- per login ---- */
	int	(*connect)(struct br_net_login *l);
	void	(*disconnect)(struct br_net_login *l);
	/* Unlink the device remotely (best effort), forget the session and
	 * delete the user_login row; on_login_gone follows, after the
	 * current loop turn.  0 or a negative code. */
	int	(*logout)(struct br_net_login *l);
	const struct br_net_login_info *(*info)(const struct br_net_login *l);

	/* ---- messages (NULL slot: unsupported) ---- */
	/* The core is done with a received message (see on_message). */
	void	(*message_done)(struct br_net_login *l, uint64_t seq);
	/* Send content to a chat.  r->id, r->ts_ms.  Failures carry the
	 * server's refusal (e.g. 463) in the reason. */
	int	(*send)(struct br_net_login *l, const char *chat,
		    const struct br_net_content *c, br_net_done_fn done,
		    void *arg);
	/* Read receipts for messages of sender (groups: the participant). */
	int	(*mark_read)(struct br_net_login *l, const char *chat,
		    const char *sender, const char *const *ids, size_t n);
	int	(*set_typing)(struct br_net_login *l, const char *chat,
		    enum br_net_chatstate st);

	/* ---- chats and groups (NULL slot: unsupported) ---- */
	/* r->info. */
	int	(*chat_info)(struct br_net_login *l, const char *chat,
		    br_net_done_fn done, void *arg);
	/* The groups the account is in: r->chats, r->names. */
	int	(*list_groups)(struct br_net_login *l, br_net_done_fn done,
		    void *arg);
	/* Create a group with users (user JIDs): r->chat, r->info. */
	int	(*create_group)(struct br_net_login *l, const char *name,
		    const char *const *users, size_t n, br_net_done_fn done,
		    void *arg);
	int	(*set_name)(struct br_net_login *l, const char *chat,
		    const char *name, br_net_done_fn done, void *arg);
	int	(*set_topic)(struct br_net_login *l, const char *chat,
		    const char *topic, br_net_done_fn done, void *arg);
	/* JPEG bytes; NULL removes the picture. */
	int	(*set_avatar)(struct br_net_login *l, const char *chat,
		    const unsigned char *jpeg, size_t len,
		    br_net_done_fn done, void *arg);
	/* r->users, r->codes, r->invite_codes. */
	int	(*members)(struct br_net_login *l, const char *chat,
		    enum br_net_member_op op, const char *const *users,
		    size_t n, br_net_done_fn done, void *arg);
	/* r->link ("https://chat.whatsapp.com/<code>"); reset: a new one. */
	int	(*invite_link)(struct br_net_login *l, const char *chat,
		    int reset, br_net_done_fn done, void *arg);
	/* Join by link or code: r->chat. */
	int	(*join_link)(struct br_net_login *l, const char *link,
		    br_net_done_fn done, void *arg);
	/* Send user a group invitation message (after a 403 add, with the
	 * code the add answer gave). */
	int	(*invite_user)(struct br_net_login *l, const char *chat,
		    const char *user, const char *code, uint64_t expiration,
		    br_net_done_fn done, void *arg);
	int	(*leave)(struct br_net_login *l, const char *chat,
		    br_net_done_fn done, void *arg);
	/* Is this phone number ("+33...", digits) on WhatsApp: r->user
	 * (the user JID, "" if not). */
	int	(*resolve)(struct br_net_login *l, const char *phone,
		    br_net_done_fn done, void *arg);

	/* ---- contacts and app state (NULL slot: unsupported) ---- */
	/* Every contact in the login's store: r->contacts, r->n_contacts. */
	int	(*list_contacts)(struct br_net_login *l, br_net_done_fn done,
		    void *arg);
	/*
	 * Fetch one app-state collection ("critical_block",
	 * "critical_unblock_low", "regular_high", "regular", "regular_low")
	 * from version 0, as `sync appstate` (whatsmeow's FetchAppState with
	 * fullSync).  done once it is applied; BR_ERR_NET_NO_KEY when the
	 * phone has not shared its key yet (asked for; the sync happens when
	 * it comes).  BR_ERR_NET_NOT_FOUND at once for another name.
	 */
	int	(*sync_appstate)(struct br_net_login *l, const char *name,
		    br_net_done_fn done, void *arg);

	/* ---- pictures (NULL slot: unsupported) ---- */
	/*
	 * The picture of a user or a group (chat: its JID): r->info with
	 * chat and avatar_id, and the JPEG in avatar / avatar_len when it is
	 * new.  known_id: the id the core holds (NULL or "": none); the
	 * answer's avatar_id is known_id with no bytes when unchanged,
	 * "remove" when there is no picture, "unauthorized" when privacy
	 * hides it (mautrix-whatsapp's avatar IDs).
	 */
	int	(*avatar)(struct br_net_login *l, const char *chat,
		    const char *known_id, br_net_done_fn done, void *arg);
};

/* The network side: a vtable and its implementation's state. */
struct br_net {
	const struct br_net_ops	*ops;	/* borrowed (static) */
	void			*impl;	/* owned by the implementation */
};

/*
 * Phone numbers as the phone flow takes them (bridgev2's CleanPhoneNumber
 * then whatsmeow's PairPhone checks): spaces, '-', '(' and ')' dropped,
 * must start with '+', digits only after it, more than 6 digits, not
 * starting with 0.  0 and the digits (no '+') in out, or
 * BR_ERR_NET_PHONE_INTL / BR_ERR_NET_PHONE_SHORT.
 */
#define BR_NET_PHONE_MAX 20
int br_net_phone_clean(const char *in, char out[BR_NET_PHONE_MAX + 1]);

/*
 * The WhatsApp side (bridge/net_wa.c), for main.c and tests.  loop, cfg,
 * db and ev borrowed (must outlive the side).  0 and *out, or a negative
 * code (bad ponton.whatsapp.trust_root).
 */
struct u_loop;
struct br_config;
struct db;
struct br_net_wa_opts {
	const char	*url;		/* NULL: ponton.whatsapp.websocket_url */
	const unsigned char *trust_root;	/* 32 bytes or NULL: config */
	unsigned	 qr_first_ms, qr_next_ms;	/* 0: defaults (tests) */
	unsigned	 backoff_base_ms;		/* 0: default (tests) */
};
int br_net_wa_new(struct u_loop *loop, const struct br_config *cfg,
    struct db *db, const struct br_net_wa_opts *opts,
    const struct br_net_events *ev, struct br_net **out);

#endif
