/*
 * group.h: WhatsApp group administration (wa-protocol.md §7.1, 7.3, 7.4):
 * the w:g2 iqs a member or admin sends, their replies parsed into small
 * owned structs, and w:gp2 / picture notifications parsed into events.
 *
 * Every operation is one iq on a struct wa_client with one completion
 * callback, called exactly once (unless the call itself fails, see below).
 * Callback arguments:
 *   err   0; WA_ERR_IQ when the server answered type=error (code is then
 *         its error code, e.g. 403 not an admin, 404 no such group,
 *         406 bad request / invalid link, 410 revoked link); WA_ERR_TIMEOUT
 *         or WA_ERR_NOT_CONNECTED when no answer came; WA_ERR_BAD_NODE or
 *         WA_ERR_TOO_BIG when the answer does not parse within the limits.
 *   code  the server's error code with WA_ERR_IQ, else 0.
 * What a callback receives is borrowed until it returns.
 *
 * The functions return 0, or (and then the callback is never called)
 * U_ERR_INVALID for arguments out of the limits below, or
 * WA_ERR_NOT_CONNECTED.  They may be called from any wa_client callback.
 *
 * Parsers take borrowed nodes and never trust them: every count, string
 * and JID is checked against the limits below before anything is
 * allocated; a bad reply or notification is an error, never a crash.
 *
 * Does not: communities (parent/linked groups), member-add mode, group
 * message encryption (send_message.c),
 * GroupInviteMessage content (content.c), acking notifications (the
 * caller acks with wa_client_send_ack once it handled the event).
 */
#ifndef PONTON_WAWEB_GROUP_H
#define PONTON_WAWEB_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/jid.h"

struct wa_client;
struct wa_node;

/* --- Limits ----------------------------------------------------------- */
/* Members in one group (the real cap is 1024). */
#define WA_GROUP_MAX_PARTICIPANTS 1024
/* Groups in one participating list (an account is in at most a few
 * hundred; more is hostile). */
#define WA_GROUP_MAX_GROUPS 2048
/* Subject: 100 characters in the apps, up to 4 bytes each in UTF-8. */
#define WA_GROUP_MAX_SUBJECT 400
/* Description: 2048 characters in the apps (x4 for UTF-8). */
#define WA_GROUP_MAX_DESCRIPTION 8192
/* Invite codes (22 characters today), description and picture ids,
 * reasons, add-request codes: short tokens. */
#define WA_GROUP_MAX_TOKEN 128
/* Changes in one w:gp2 notification (real ones carry one or two). */
#define WA_GROUP_MAX_CHANGES 16
/* A group picture we upload: the servers take ~640x640 JPEGs. */
#define WA_GROUP_MAX_PICTURE ((size_t)2 << 20)

#define WA_GROUP_INVITE_PREFIX "https://chat.whatsapp.com/"

enum wa_group_role {
	WA_GROUP_MEMBER = 0,
	WA_GROUP_ADMIN,
	WA_GROUP_SUPERADMIN,
};

struct wa_group_participant {
	struct wa_jid	 jid;		/* as the server names it (LID or PN) */
	struct wa_jid	 phone_number;	/* has_pn: the PN account */
	int		 has_pn;
	struct wa_jid	 lid;		/* has_lid: the LID account */
	int		 has_lid;
	enum wa_group_role role;
	/* Per-participant result of add/remove/promote/demote: 0 ok, else
	 * the server's code (403 refused by privacy, 404 unknown, 408 left
	 * recently, 409 already in the group). */
	int		 error;
	/* With error 403 on add: the code and expiry (unix seconds) with
	 * which the admin can send a GroupInviteMessage instead. */
	char		*add_request_code;	/* owned, NULL if none */
	uint64_t	 add_request_expiration;
	/* A pending join request (wa_group_join_requests): when it was made
	 * (unix seconds), else 0. */
	uint64_t	 request_time;
};

struct wa_group_info {
	struct wa_jid	 jid;		/* <id>@g.us */
	char		*subject;	/* owned, "" if none */
	struct wa_jid	 subject_owner;	/* has_subject_owner */
	int		 has_subject_owner;
	uint64_t	 subject_time;
	char		*description;	/* owned, NULL if none */
	char		*description_id;	/* owned, NULL if none */
	struct wa_jid	 description_owner;	/* has_description_owner */
	int		 has_description_owner;
	uint64_t	 description_time;
	struct wa_jid	 creator;	/* has_creator */
	int		 has_creator;
	struct wa_jid	 creator_pn;	/* has_creator_pn */
	int		 has_creator_pn;
	uint64_t	 creation;
	int		 announce;	/* only admins send */
	int		 locked;	/* only admins edit the info */
	int		 approval;	/* joins need an admin's approval */
	uint32_t	 ephemeral;	/* disappearing timer, 0 off */
	int		 lid_addressing;	/* addressing_mode=lid */
	size_t		 size;		/* "size" attribute, else nparticipants */
	struct wa_group_participant *participants;	/* owned array */
	size_t		 nparticipants;
};

void wa_group_info_free(struct wa_group_info *g);

/* --- Notifications ------------------------------------------------------ */
enum wa_group_change_kind {
	WA_GROUP_CH_CREATE = 0,	/* we were added to / created a group: info */
	WA_GROUP_CH_ADD,	/* participants (text: reason, e.g. "invite") */
	WA_GROUP_CH_REMOVE,	/* participants */
	WA_GROUP_CH_LEAVE,	/* a remove of the actor themselves */
	WA_GROUP_CH_PROMOTE,
	WA_GROUP_CH_DEMOTE,
	WA_GROUP_CH_SUBJECT,	/* text: the new subject */
	WA_GROUP_CH_DESCRIPTION,	/* text: body (NULL: deleted), id */
	WA_GROUP_CH_ANNOUNCE,	/* on */
	WA_GROUP_CH_LOCKED,	/* on */
	WA_GROUP_CH_APPROVAL,	/* on: membership approval mode */
	WA_GROUP_CH_EPHEMERAL,	/* ephemeral: seconds, 0 off */
	WA_GROUP_CH_INVITE,	/* text: the new invite code (link reset) */
	WA_GROUP_CH_PICTURE,	/* id: new picture id, NULL: removed */
	WA_GROUP_CH_DELETE,	/* the group was deleted; text: reason */
	WA_GROUP_CH_COUNT_
};

/* "create", "add", ... (never NULL). */
const char *wa_group_change_name(enum wa_group_change_kind k);

struct wa_group_change {
	enum wa_group_change_kind kind;
	struct wa_group_participant *participants;	/* owned array */
	size_t		 nparticipants;
	char		*text;		/* owned, see the kinds */
	char		*id;		/* owned: description / picture id */
	int		 on;
	uint32_t	 ephemeral;
	struct wa_group_info *info;	/* owned: CREATE only */
};

struct wa_group_event {
	struct wa_jid	 group;
	const char	*id;		/* borrowed from the notification */
	struct wa_jid	 actor;		/* has_actor: who did it (LID or PN) */
	int		 has_actor;
	struct wa_jid	 actor_pn;	/* has_actor_pn */
	int		 has_actor_pn;
	char		*notify;	/* owned: the actor's push name, or NULL */
	uint64_t	 timestamp;
	struct wa_group_change *changes;	/* owned array, >= 1 */
	size_t		 nchanges;
};

void wa_group_event_free(struct wa_group_event *ev);

/*
 * Whether n is a notification this module parses: type=w:gp2, or
 * type=picture from a group.
 */
int wa_group_is_notification(const struct wa_node *n);
/*
 * Parse such a notification (borrowed; ev->id points into it) into *out
 * (owned).  Children this module does not know are skipped; a notification
 * with none it knows is WA_ERR_BAD_NODE.  Errors: WA_ERR_BAD_NODE,
 * WA_ERR_BAD_JID, WA_ERR_TOO_BIG, WA_ERR_BAD_UTF8.
 */
int wa_group_parse_notification(const struct wa_node *n,
    struct wa_group_event **out);

/* --- Reply parsers (exposed for tests and the fuzzer) -------------------- */
/* A <group …> element.  Errors as above. */
int wa_group_parse_info(const struct wa_node *group,
    struct wa_group_info **out);
/* <iq type=result><groups><group/>…</groups></iq>: *out owned array of
 * owned infos. */
int wa_group_parse_list(const struct wa_node *res,
    struct wa_group_info ***out, size_t *n);
void wa_group_list_free(struct wa_group_info **list, size_t n);
/* <iq type=result><add|remove|promote|demote><participant …/>…: owned
 * array (free with wa_group_participants_free). */
int wa_group_parse_participants(const struct wa_node *res, const char *tag,
    struct wa_group_participant **out, size_t *n);
void wa_group_participants_free(struct wa_group_participant *p, size_t n);
/* <iq type=result><membership_approval_requests><membership_approval_request
 * jid request_time/>…: owned array (jid and request_time set). */
int wa_group_parse_join_requests(const struct wa_node *res,
    struct wa_group_participant **out, size_t *n);
/* <iq type=result><membership_requests_action><approve|reject><participant
 * jid [error]/>…: owned array. */
int wa_group_parse_requests_action(const struct wa_node *res, int approve,
    struct wa_group_participant **out, size_t *n);
/* <iq type=result><invite code=…/>: the full link in buf (size >=
 * sizeof(WA_GROUP_INVITE_PREFIX) + WA_GROUP_MAX_TOKEN). */
int wa_group_parse_invite(const struct wa_node *res, char *buf,
    size_t size);
/* Join by link: <group jid/> (pending 0) or
 * <membership_approval_request jid/> (pending 1). */
int wa_group_parse_join(const struct wa_node *res, struct wa_jid *group,
    int *pending);
/*
 * The code of an invite link or a bare code: "https://chat.whatsapp.com/X",
 * "chat.whatsapp.com/X" or "X" -> "X" in buf (size > WA_GROUP_MAX_TOKEN).
 * Errors: U_ERR_INVALID (empty, too long, not [A-Za-z0-9]).
 */
int wa_group_invite_code(const char *link, char *buf, size_t size);

/* --- Operations --------------------------------------------------------- */
typedef void (*wa_group_done_cb)(void *arg, int err, int code);
typedef void (*wa_group_info_cb)(void *arg, int err, int code,
    const struct wa_group_info *info);
typedef void (*wa_group_list_cb)(void *arg, int err, int code,
    struct wa_group_info *const *groups, size_t n);
typedef void (*wa_group_participants_cb)(void *arg, int err, int code,
    const struct wa_group_participant *p, size_t n);
/* value: the invite link, or the new picture id. */
typedef void (*wa_group_str_cb)(void *arg, int err, int code,
    const char *value);
typedef void (*wa_group_join_cb)(void *arg, int err, int code,
    const struct wa_jid *group, int pending_approval);

enum wa_group_action {
	WA_GROUP_ADD = 0,
	WA_GROUP_REMOVE,
	WA_GROUP_PROMOTE,
	WA_GROUP_DEMOTE,
};

enum wa_group_setting {
	WA_GROUP_SET_ANNOUNCE = 0,	/* announcement / not_announcement */
	WA_GROUP_SET_LOCKED,		/* locked / unlocked */
	WA_GROUP_SET_APPROVAL,		/* membership_approval_mode on/off */
};

/* <query request=interactive/> to the group. */
int wa_group_get_info(struct wa_client *c, const struct wa_jid *group,
    wa_group_info_cb cb, void *arg);
/* Every group we are in (<participating>). */
int wa_group_list(struct wa_client *c, wa_group_list_cb cb, void *arg);
/*
 * Create a group named subject (1..WA_GROUP_MAX_SUBJECT bytes of UTF-8)
 * with the n participants (account JIDs, at most
 * WA_GROUP_MAX_PARTICIPANTS - 1; we are added by the server).  The info
 * holds per-participant errors for those the server refused.
 */
int wa_group_create(struct wa_client *c, const char *subject,
    const struct wa_jid *participants, size_t n, wa_group_info_cb cb,
    void *arg);
/* add / remove / promote / demote n (1..WA_GROUP_MAX_PARTICIPANTS) jids. */
int wa_group_participants(struct wa_client *c, const struct wa_jid *group,
    enum wa_group_action action, const struct wa_jid *jids, size_t n,
    wa_group_participants_cb cb, void *arg);
int wa_group_leave(struct wa_client *c, const struct wa_jid *group,
    wa_group_done_cb cb, void *arg);
int wa_group_set_subject(struct wa_client *c, const struct wa_jid *group,
    const char *subject, wa_group_done_cb cb, void *arg);
/*
 * Set the description to text (NULL or "": delete it).  prev_id is the
 * current description id (from the info; NULL if none) as the server
 * checks it; a fresh id is generated.
 */
int wa_group_set_description(struct wa_client *c, const struct wa_jid *group,
    const char *text, const char *prev_id, wa_group_done_cb cb, void *arg);
int wa_group_set_setting(struct wa_client *c, const struct wa_jid *group,
    enum wa_group_setting setting, int on, wa_group_done_cb cb, void *arg);
/* Disappearing messages: seconds (0: off). */
int wa_group_set_ephemeral(struct wa_client *c, const struct wa_jid *group,
    uint32_t seconds, wa_group_done_cb cb, void *arg);
/* A JPEG (len 1..WA_GROUP_MAX_PICTURE; NULL/0 removes it): value = the
 * new picture id ("remove" when removed). */
int wa_group_set_picture(struct wa_client *c, const struct wa_jid *group,
    const uint8_t *jpeg, size_t len, wa_group_str_cb cb, void *arg);
/* The invite link; reset: revoke the old one and get a new one. */
int wa_group_invite_link(struct wa_client *c, const struct wa_jid *group,
    int reset, wa_group_str_cb cb, void *arg);
/* Join with a link or code (see wa_group_invite_code). */
int wa_group_join_link(struct wa_client *c, const char *link,
    wa_group_join_cb cb, void *arg);
/* The group behind a link or code, without joining. */
int wa_group_link_info(struct wa_client *c, const char *link,
    wa_group_info_cb cb, void *arg);
/* Pending join requests (approval mode): p[i].jid, p[i].request_time. */
int wa_group_join_requests(struct wa_client *c, const struct wa_jid *group,
    wa_group_participants_cb cb, void *arg);
/* Approve (or reject) n (1..WA_GROUP_MAX_PARTICIPANTS) requests: the
 * per-participant results. */
int wa_group_join_requests_action(struct wa_client *c,
    const struct wa_jid *group, int approve, const struct wa_jid *jids,
    size_t n, wa_group_participants_cb cb, void *arg);
/* Accept a GroupInviteMessage (add_request code/expiration from admin). */
int wa_group_accept_invite(struct wa_client *c, const struct wa_jid *group,
    const struct wa_jid *admin, const char *code, uint64_t expiration,
    wa_group_done_cb cb, void *arg);

/*
 * The iq each operation sends (owned; no id yet), for tests.  NULL on
 * arguments out of the limits.
 */
struct wa_node *wa_group_build_create(const char *subject,
    const struct wa_jid *participants, size_t n, const char *key);
struct wa_node *wa_group_build_participants(const struct wa_jid *group,
    enum wa_group_action action, const struct wa_jid *jids, size_t n);
struct wa_node *wa_group_build_description(const struct wa_jid *group,
    const char *text, const char *prev_id, const char *new_id);
struct wa_node *wa_group_build_setting(const struct wa_jid *group,
    enum wa_group_setting setting, int on);

#endif
