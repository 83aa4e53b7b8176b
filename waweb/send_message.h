/*
 * send_message.h: sending a 1:1 text message (wa-protocol.md §6).
 *
 * One send: usync the recipient's and our own device lists, fetch prekey
 * bundles for devices we have no Signal session with (<iq xmlns=encrypt
 * type=get><key>), encrypt the padded E2EMessage per device (the
 * recipient's devices get the message, our other devices a
 * deviceSentMessage wrapper naming the chat), send
 *
 *   <message id to=<user> type="text"><participants>
 *       <to jid=<device>><enc v="2" type="pkmsg|msg">...</enc></to>...
 *   </participants>[<device-identity>...]</message>
 *
 * and wait for the server's <ack class="message" id>.  The result (0, or
 * WA_ERR_MSG_SERVER with the server's error code such as 463, or a transport
 * / Signal error) reaches the caller through one completion callback.
 *
 * A peer device that cannot decrypt sends a retry receipt: our session with
 * it is dropped, its bundle fetched and the message (kept in a bounded
 * cache of the last WA_MSG_RETRY_CACHE acked sends) sent to that device
 * again under the same id.  Every <receipt> is acked here.
 *
 * Does not: send to groups, broadcasts or newsletters; media; phash (the
 * server only checks it for groups); use the <keys> a retry receipt may
 * carry (the bundle is fetched instead); report delivery/read receipts to
 * the caller (they are acked only).
 *
 * Invariants: one thread (the client's loop); each send's callback is called
 * exactly once unless the sender is freed first (then never); device lists
 * and bundles from the server are bounded by WA_MSG_MAX_DEVICES.
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

/* Devices one send fans out to (both accounts together).  An account has
 * at most a phone and 4 companions today; 64 leaves a wide margin and bounds
 * what a hostile usync reply can make us encrypt. */
#define WA_MSG_MAX_DEVICES 64
/* Message ids: "3EB0" + 18 upper-case hex digits (22 characters), as
 * whatsmeow's GenerateMessageID and Baileys' generateMessageIDV2. */
#define WA_MSG_ID_LEN 22
#define WA_MSG_ID_MAX 64
/* Longest text we send (WhatsApp's own limit is 65536 characters). */
#define WA_MSG_TEXT_MAX 65536
/* Sent messages kept to answer retry receipts, and how often one message
 * is sent again (whatsmeow and Baileys stop after a handful). */
#define WA_MSG_RETRY_CACHE 128
#define WA_MSG_RETRY_MAX 5
/* How long we wait for the server's ack of a message. */
#define WA_MSG_ACK_TIMEOUT_MS 30000

/*
 * A send finished: err 0 when the server acked the message; else
 * WA_ERR_MSG_SERVER with server_code the <ack error> value (463...), or
 * WA_ERR_TIMEOUT, WA_ERR_NOT_CONNECTED, WA_ERR_MSG_NO_DEVICES, a Signal
 * error (server_code 0).  id is borrowed.
 */
typedef void (*wa_msg_sent_fn)(void *arg, const char *id, int err,
    int server_code);

struct wa_msg_sender;

/* c, sig and loop are borrowed and must outlive the sender. */
struct wa_msg_sender *wa_msg_sender_new(struct u_loop *loop,
    struct wa_client *c, struct wa_signal *sig);
/* Pending sends are dropped without their callbacks.  NULL is a no-op.
 * Not from a completion callback of this sender (defer it). */
void wa_msg_sender_free(struct wa_msg_sender *s);

/*
 * Send text to a user (PN or LID account JID string).  The id is written to
 * id_out (WA_MSG_ID_MAX bytes) on success.  Errors: WA_ERR_BAD_JID,
 * U_ERR_INVALID (not a user, empty or too long text, not UTF-8),
 * WA_ERR_NOT_CONNECTED; then cb is not called.
 */
int wa_msg_send_text(struct wa_msg_sender *s, const char *to,
    const char *text, char id_out[WA_MSG_ID_MAX], wa_msg_sent_fn cb,
    void *arg);

/*
 * Feed a stanza from the client's on_node: returns 1 if it was the ack of
 * one of our sends or a <receipt> (consumed: acked, retries answered),
 * else 0.
 */
int wa_msg_sender_handle_node(struct wa_msg_sender *s,
    const struct wa_node *n);

/* --- Pieces, exposed for the unit tests ------------------------------- */

/* A new message id, NUL-terminated in out. */
void wa_msg_new_id(char out[WA_MSG_ID_MAX]);
/* <iq xmlns=usync type=get><usync sid context=message mode=query last=true
 * index=0><query><devices version=2/></query><list><user jid/>...  (owned) */
struct wa_node *wa_msg_usync_node(const struct wa_jid *users, size_t n,
    const char *sid);
/*
 * The device JIDs of a usync result (the <iq type=result>), each user's
 * devices as <user>:<id>@<server>, at most max.  Returns how many, or
 * WA_ERR_MSG_MALFORMED / WA_ERR_TOO_BIG / WA_ERR_IQ.
 */
int wa_msg_parse_usync(const struct wa_node *res, struct wa_jid *out,
    size_t max);
/* <iq xmlns=encrypt type=get><key><user jid/>...</key></iq> (owned). */
struct wa_node *wa_msg_prekey_node(const struct wa_jid *devs, size_t n);
/*
 * The serialized E2EMessage for text; with dest non-NULL, wrapped in a
 * deviceSentMessage naming dest (for our own devices).  Owned (free()).
 */
int wa_msg_text_payload(const char *text, const char *dest, uint8_t **out,
    size_t *len);
/* The <device-identity> bytes (our ADVSignedDeviceIdentity, account
 * signature key included, as wa-protocol.md §6.4 says) of a paired device;
 * owned.  U_ERR_INVALID if not paired. */
int wa_msg_device_identity(const struct wa_device *dev, uint8_t **out,
    size_t *len);
/*
 * The <message> stanza for text to the account `to`, encrypted for each of
 * devs (ndevs) that has a Signal session in sig (others are skipped; our
 * own device dev->jid never gets one): the recipient's devices get the
 * message, our other devices a deviceSentMessage naming `to`; with any
 * pkmsg, <device-identity>.  *out owned.  Errors: U_ERR_INVALID (dev not
 * paired), WA_ERR_MSG_NO_DEVICES (no recipient device had a session),
 * Signal errors.
 */
int wa_msg_build_stanza(struct wa_signal *sig, const struct wa_device *dev,
    const char *id, const struct wa_jid *to, const char *text,
    const struct wa_jid *devs, size_t ndevs, struct wa_node **out);
/*
 * An <ack class=message>: 0 if it reports success, WA_ERR_MSG_SERVER with
 * *code set when it carries error="N".
 */
int wa_msg_parse_ack(const struct wa_node *ack, int *code);

#endif
