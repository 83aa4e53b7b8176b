/*
 * send_message.h: sending messages (wa-protocol.md §6, §7): any serialized
 * E2EMessage to a user (PN or LID) or a group, answering retry receipts,
 * and reporting receipts to the caller.
 *
 * 1:1: usync the recipient's and our own device lists, fetch prekey
 * bundles for devices we have no Signal session with (<iq xmlns=encrypt
 * type=get><key>), encrypt the padded payload per device (the recipient's
 * devices get it as is, our other devices a deviceSentMessage wrapper
 * naming the chat), send
 *
 *   <message id to=<user> type [edit]><participants>
 *       <to jid=<device>><enc v="2" type="pkmsg|msg" [mediatype]
 *       [decrypt-fail="hide"]>...</enc></to>...
 *   </participants>[<device-identity>...][<meta polltype>]</message>
 *
 * Groups: the member list from <iq xmlns=w:g2 type=get to=GID><query
 * request=interactive/> (asked on every send, as Baileys does without a
 * metadata cache: a member change is therefore seen at the next send),
 * usync of every member's devices, our sender key for the group (made on
 * first use; in a LID-addressed group under our LID address, else our
 * phone-number one, as whatsmeow), its distribution message (SKDM) as a pkmsg/msg to every
 * device that has not had our current key, then
 *
 *   <message id to=GID type [edit] phash [addressing_mode=lid]>
 *       <participants><to jid><enc pkmsg|msg/></to>...</participants>
 *       [<device-identity>]<enc v="2" type="skmsg" [mediatype]/></message>
 *
 * Which devices have our key is kept in memory per group (at most
 * WA_MSG_GROUPS_MAX groups and WA_MSG_SKDM_DEVICES_MAX devices in all,
 * least recently used groups forgotten): after a restart
 * or an eviction the SKDM goes to every device again, which is harmless.
 * When a device that had our key is no longer in the group's device list
 * (member removed or left, device unlinked) our sender key is rotated
 * first, so it cannot read what follows.
 *
 * Each send waits for the server's <ack class="message" id>; the result (0,
 * or WA_ERR_MSG_SERVER with the server's error code such as 463, or a
 * transport / Signal error) reaches the caller through one completion
 * callback.
 *
 * A peer device that cannot decrypt sends a retry receipt: the message
 * (kept in a bounded cache of the last WA_MSG_RETRY_CACHE acked sends) is
 * sent to that device again under the same id (in a group: to=GID
 * participant=<device>, the payload merged with our SKDM in one pkmsg/msg),
 * with a new session (its bundle fetched and processed over ours, which
 * stays as an old state so that what it sent before still decrypts) when
 * we have none or the receipt carries the device's <keys>, else at most
 * once an hour per device (after whatsmeow's
 * shouldRecreateSession), and never for a first retry of a group message
 * (that re-send goes on the session we have: the sender key, not the
 * session, is what failed).  Every <receipt> is acked
 * here; the others (delivery, read, read-self, played, sender, ...) are
 * reported through the receipt callback.
 *
 * Does not: broadcasts, status or newsletters; a metadata cache (see
 * above); use the <keys> a retry receipt may carry (the bundle is fetched
 * instead); <biz>, <bot>, reporting tokens, tctoken/cstoken (the server
 * of today accepts messages without them: wasim does not ask).
 *
 * Invariants: one thread (the client's loop); each send's callback is called
 * exactly once unless the sender is freed first (then never); device lists,
 * member lists and bundles from the server are bounded (WA_MSG_MAX_DEVICES,
 * WA_MSG_MAX_GROUP_MEMBERS, WA_MSG_MAX_GROUP_DEVICES) before anything is
 * allocated for them.
 */
#ifndef PONTON_WAWEB_SEND_MESSAGE_H
#define PONTON_WAWEB_SEND_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/loop.h"
#include "waweb/jid.h"

struct wa_client;
struct wa_signal;
struct wa_node;
struct wa_device;

/* Devices one 1:1 send fans out to (both accounts together).  An account
 * has at most a phone and 4 companions today; 64 leaves a wide margin and
 * bounds what a hostile usync reply can make us encrypt. */
#define WA_MSG_MAX_DEVICES 64
/* Groups: WhatsApp's member limit is 1024; each member has at most 5
 * devices today, 8 leaves a margin. */
#define WA_MSG_MAX_GROUP_MEMBERS 1024
#define WA_MSG_MAX_GROUP_DEVICES (WA_MSG_MAX_GROUP_MEMBERS * 8)
/* Groups whose SKDM recipients we remember, and devices over all of them
 * (least recently used groups go: about 7 MB at most). */
#define WA_MSG_GROUPS_MAX 256
#define WA_MSG_SKDM_DEVICES_MAX 65536
/* Message ids: "3EB0" + 18 upper-case hex digits (22 characters), as
 * whatsmeow's GenerateMessageID and Baileys' generateMessageIDV2. */
#define WA_MSG_ID_LEN 22
#define WA_MSG_ID_MAX 64
/* Longest text we send (WhatsApp's own limit is 65536 characters). */
#define WA_MSG_TEXT_MAX 65536
/* Largest serialized E2EMessage we send (media travel by reference, so
 * a message is small; this is a sanity bound, below the Signal one). */
#define WA_MSG_PAYLOAD_MAX (512u * 1024)
/* Sent messages kept to answer retry receipts, and how often one message
 * is sent again (whatsmeow and Baileys stop after a handful). */
#define WA_MSG_RETRY_CACHE 128
#define WA_MSG_RETRY_MAX 5
/* Devices remembered as having had their session started over by a
 * retry, and for how long (whatsmeow's recreateSessionTimeout). */
#define WA_MSG_RECREATE_MAX 64
#define WA_MSG_RECREATE_MS (60u * 60u * 1000u)
/* Message ids one receipt may carry (the id and <list><item id>...), and
 * users one grouped group receipt may report. */
#define WA_MSG_RECEIPT_IDS_MAX 256
#define WA_MSG_RECEIPT_USERS_MAX 1024
/* How long we wait for the server's ack of a message. */
#define WA_MSG_ACK_TIMEOUT_MS 30000

/*
 * A send finished: err 0 when the server acked the message; else
 * WA_ERR_MSG_SERVER with server_code the <ack error> value (463...), or
 * WA_ERR_TIMEOUT, WA_ERR_NOT_CONNECTED, WA_ERR_MSG_NO_DEVICES, WA_ERR_IQ
 * (group metadata refused: not a member), a Signal error (server_code 0).
 * id is borrowed.
 */
typedef void (*wa_msg_sent_fn)(void *arg, const char *id, int err,
    int server_code);

/*
 * Stanza attributes of a send (all may be NULL; strings are copied).
 * What whatsmeow and Baileys put there for each kind of message is in
 * docs/whatsapp-messages.md ("Stanza attributes by kind").
 */
struct wa_msg_send_opts {
	const char	*id;		/* NULL: a new id; else re-use it */
	const char	*type;		/* "text" (default), "media",
					 * "reaction", "poll" */
	const char	*edit;		/* "1" edit, "7" sender revoke, "8" admin
					 * revoke, "2" pin... or NULL */
	const char	*mediatype;	/* <enc mediatype>: image, ptt, document,
					 * sticker, video, audio, gif, vcard... */
	const char	*polltype;	/* <meta polltype>: "creation", "vote" */
	int		 decrypt_fail_hide;	/* <enc decrypt-fail="hide">
						 * (edits, reactions, votes) */
	/*
	 * A peer message (whatsmeow's SendPeerMessage): `to` must be our own
	 * phone-number account; the payload goes, unwrapped, to its device 0
	 * only (no usync; its bundle fetched if we have no session) as
	 * <message id to=<own PN> type category="peer" [push_priority]>
	 * <meta appdata="default"/><enc/>[<device-identity>]</message>.  A
	 * failure after wa_msg_send returned 0 (the bundle iq) reaches cb.
	 */
	int		 peer;
	const char	*push_priority;	/* peer: "high" for an app-state key
					 * request (as whatsmeow), or NULL */
};

/* A receipt from the server (all fields borrowed until the callback
 * returns).  type: NULL for a delivery receipt, else "read",
 * "read-self", "played", "played-self", "sender", "inactive"...  chat: the
 * account (1:1) or group; sender: the reading device (groups: the
 * participant). */
struct wa_msg_receipt {
	const char		*type;
	struct wa_jid		 chat;
	struct wa_jid		 sender;
	int			 is_group;
	const char *const	*ids;
	size_t			 n;
	uint64_t		 ts;
};
typedef void (*wa_msg_receipt_fn)(void *arg, const struct wa_msg_receipt *r);

struct wa_msg_sender;

/* c, sig and loop are borrowed and must outlive the sender. */
struct wa_msg_sender *wa_msg_sender_new(struct u_loop *loop,
    struct wa_client *c, struct wa_signal *sig);
/* Pending sends are dropped without their callbacks.  NULL is a no-op.
 * Not from a completion callback of this sender (defer it). */
void wa_msg_sender_free(struct wa_msg_sender *s);
/* Every non-retry receipt goes to fn (NULL: acked only). */
void wa_msg_sender_set_receipt_cb(struct wa_msg_sender *s,
    wa_msg_receipt_fn fn, void *arg);

/*
 * Send a serialized E2EMessage (unpadded, len <= WA_MSG_PAYLOAD_MAX) to a
 * user (PN or LID account JID string) or a group (@g.us).  o may be NULL.
 * The id is written to id_out (WA_MSG_ID_MAX bytes) on success.  Errors:
 * WA_ERR_BAD_JID, U_ERR_INVALID (not a user or group, empty or too large
 * payload, an over-long option), WA_ERR_NOT_CONNECTED; then cb is not
 * called.
 */
int wa_msg_send(struct wa_msg_sender *s, const char *to,
    const uint8_t *payload, size_t len, const struct wa_msg_send_opts *o,
    char id_out[WA_MSG_ID_MAX], wa_msg_sent_fn cb, void *arg);

/*
 * Send text (a conversation message) to a user or group: wa_msg_send with
 * type "text".  Errors as wa_msg_send, and U_ERR_INVALID for an empty,
 * too long or non-UTF-8 text.
 */
int wa_msg_send_text(struct wa_msg_sender *s, const char *to,
    const char *text, char id_out[WA_MSG_ID_MAX], wa_msg_sent_fn cb,
    void *arg);

/*
 * Mark messages read: <receipt id=ids[0] to=chat [participant=sender]
 * type=read t><list><item id/>...</list></receipt>.  sender: the author's
 * account in a group (NULL for 1:1).  1 <= n <= WA_MSG_RECEIPT_IDS_MAX.
 * Errors: WA_ERR_BAD_JID, U_ERR_INVALID, WA_ERR_NOT_CONNECTED.
 */
int wa_msg_send_read(struct wa_msg_sender *s, const char *chat,
    const char *sender, const char *const *ids, size_t n);

/*
 * Feed a stanza from the client's on_node: returns 1 if it was the ack of
 * one of our sends or a <receipt> (consumed: acked, retries answered,
 * others reported), else 0.
 */
int wa_msg_sender_handle_node(struct wa_msg_sender *s,
    const struct wa_node *n);

/* --- Pieces, exposed for the unit tests and the bench ------------------ */

/* A new message id, NUL-terminated in out. */
void wa_msg_new_id(char out[WA_MSG_ID_MAX]);
/* <iq xmlns=usync type=get><usync sid context=message mode=query last=true
 * index=0><query><devices version=2/></query><list><user jid/>...  (owned) */
struct wa_node *wa_msg_usync_node(const struct wa_jid *users, size_t n,
    const char *sid);
/*
 * Every phone-number user of a usync result whose <lid val> names its LID
 * is handed to wa_signal_learn_lid (its sessions are then those of the LID
 * form, as the peer keeps them).  Returns how many were learnt (failures
 * are logged and skipped).
 */
int wa_msg_usync_learn_lids(struct wa_signal *sig, const struct wa_node *res);
/*
 * The device JIDs of a usync result (the <iq type=result>), each user's
 * devices as <user>:<id>@<server> (hosted ones, is_hosted="true", on
 * hosted / hosted.lid: group sends skip them), at most max.  Returns how many, or
 * WA_ERR_MSG_MALFORMED / WA_ERR_TOO_BIG / WA_ERR_IQ.
 */
int wa_msg_parse_usync(const struct wa_node *res, struct wa_jid *out,
    size_t max);
/* <iq xmlns=encrypt type=get><key><user jid/>...</key></iq> (owned). */
struct wa_node *wa_msg_prekey_node(const struct wa_jid *devs, size_t n);
/* <iq xmlns=w:g2 type=get to=GID><query request=interactive/></iq>. */
struct wa_node *wa_msg_group_query_node(const struct wa_jid *group);
/*
 * The member accounts of a w:g2 query result (<group><participant jid>),
 * at most max.  Returns how many, or WA_ERR_IQ (an <error>: not a member,
 * no such group), WA_ERR_MSG_MALFORMED, WA_ERR_TOO_BIG.
 */
int wa_msg_parse_group(const struct wa_node *res, struct wa_jid *out,
    size_t max);
/* The devices a group message goes to: hosted ones dropped (whatsmeow's
 * prepareMessageNode does so before phash), order kept.  Returns how many
 * are left in devs. */
size_t wa_msg_group_devices(struct wa_jid *devs, size_t n);
/* Whether a w:g2 query result says addressing_mode="lid" (then we send
 * as our LID device, as whatsmeow does; else as our phone-number one). */
int wa_msg_group_is_lid(const struct wa_node *res);
/*
 * whatsmeow's participantListHashV2: "2:" + unpadded base64 of the first
 * 6 bytes of SHA-256 over the sorted "user.agent:device@server" strings of
 * every device, concatenated.  out gets at most 16 bytes; devs is not
 * changed.
 */
void wa_msg_phash(const struct wa_jid *devs, size_t n, char out[16]);
/*
 * The serialized E2EMessage for text; with dest non-NULL, wrapped in a
 * deviceSentMessage naming dest (for our own devices).  Owned (free()).
 */
int wa_msg_text_payload(const char *text, const char *dest, uint8_t **out,
    size_t *len);
/*
 * Wrap any serialized E2EMessage in deviceSentMessage{destinationJid,
 * message} (the messageContextInfo of the payload is copied to the
 * wrapper, as whatsmeow does).  Owned.  WA_ERR_MSG_MALFORMED if p is not a
 * protobuf.
 */
int wa_msg_dsm_payload(const uint8_t *p, size_t n, const char *dest,
    uint8_t **out, size_t *len);
/* The <device-identity> bytes (our ADVSignedDeviceIdentity, account
 * signature key included, as wa-protocol.md §6.4 says) of a paired device;
 * owned.  U_ERR_INVALID if not paired. */
int wa_msg_device_identity(const struct wa_device *dev, uint8_t **out,
    size_t *len);
/*
 * The 1:1 <message> stanza for payload to the account `to`, encrypted for
 * each of devs (ndevs) that has a Signal session in sig (others are
 * skipped; our own device dev->jid never gets one): the recipient's
 * devices get the payload, our other devices a deviceSentMessage naming
 * `to`; with any pkmsg, <device-identity>.  o may be NULL (type text).
 * *out owned.  Errors: U_ERR_INVALID (dev not paired),
 * WA_ERR_MSG_NO_DEVICES (no recipient device had a session), Signal
 * errors.
 */
int wa_msg_build(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *to, const uint8_t *payload,
    size_t len, const struct wa_msg_send_opts *o, const struct wa_jid *devs,
    size_t ndevs, struct wa_node **out);
/*
 * The peer <message> (see wa_msg_send_opts.peer) of payload to our own
 * phone's device 0 (the phone-number form of dev->jid, device 0), encrypted
 * on the session sig has with it.  *out owned.  Errors: U_ERR_INVALID (dev
 * not paired), WA_ERR_MSG_NO_DEVICES (no session), Signal errors.
 */
int wa_msg_build_peer(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const uint8_t *payload, size_t len,
    const struct wa_msg_send_opts *o, struct wa_node **out);
/* The same for text (the payload of wa_msg_text_payload). */
int wa_msg_build_stanza(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *to, const char *text,
    const struct wa_jid *devs, size_t ndevs, struct wa_node **out);
/*
 * The group <message> for payload to group, sent with our sender key
 * (self: our Signal address; its LID form "<lid>_1:<device>" means a
 * LID-addressed group, and addressing_mode="lid" is set): the SKDM
 * (made here, our key created on first use) goes as pkmsg/msg to each of
 * skdm_devs that has a session (the others are skipped and not counted),
 * the payload as one skmsg; phash is set as given (NULL: none).  *got
 * (may be NULL) gets how many SKDM encs were written.  *out owned.
 */
int wa_msg_build_group(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *group, const char *self,
    const uint8_t *payload, size_t len, const struct wa_msg_send_opts *o,
    const struct wa_jid *skdm_devs, size_t nskdm, const char *phash,
    size_t *got, struct wa_node **out);
/* The read receipt wa_msg_send_read sends (owned); sender NULL or not
 * for a group: no participant.  1 <= n. */
struct wa_node *wa_msg_read_receipt_node(const struct wa_jid *chat,
    const struct wa_jid *sender, const char *const *ids, size_t n,
    uint64_t ts);
/*
 * An <ack class=message>: 0 if it reports success, WA_ERR_MSG_SERVER with
 * *code set when it carries error="N".
 */
int wa_msg_parse_ack(const struct wa_node *ack, int *code);
/*
 * A <receipt> as the receipt callback gets it: ids (up to max, the first
 * being the id attribute) point into n.  U_ERR_INVALID when it has no id
 * or no from.
 */
int wa_msg_parse_receipt(const struct wa_node *n, struct wa_msg_receipt *out,
    const char **ids, size_t max);

/*
 * Report a <receipt> (not a retry) through fn: once, or, for a grouped
 * receipt (from=GID without participant, <participants key=<id>><user jid
 * t/>...), once per user (at most WA_MSG_RECEIPT_USERS_MAX).  Returns how
 * many were reported, or U_ERR_INVALID.
 */
int wa_msg_receipt_each(const struct wa_node *n, wa_msg_receipt_fn fn,
    void *arg);

#endif
