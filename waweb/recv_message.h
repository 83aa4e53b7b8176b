/*
 * recv_message.h: receiving messages, 1:1 and group (wa-protocol.md
 * §8.1-8.3, §7).
 *
 * 1:1, <message from id t [recipient] [sender_pn]> with <enc> children:
 * decrypt each pkmsg/msg addressed to us with the sender device's Signal
 * session, unpad, and unwrap a deviceSentMessage from our own devices.
 *
 * Group, <message from=GID participant=<device> [participant_pn] id t>:
 * a pkmsg/msg (if any) is decrypted from the participant; the sender-key
 * distribution message it carries is stored (our key for that sender in
 * that group); if it carries anything else (a retry re-send) that is the
 * message; else the skmsg is decrypted with the participant's sender key.
 *
 * A stanza naming both forms of the sender (a LID sender with sender_pn /
 * participant_pn, a PN one with sender_lid / participant_lid) makes the two
 * share one Signal session first (wa_signal_learn_lid: PN sessions moved
 * to the LID address), as the peer keeps one per device.
 *
 * The caller gets one event with the decrypted E2EMessage (payload) and
 * returns 0 once it has stored the message safely, or WA_MSG_HAVE_IT when
 * it already had that message (a redelivery); only then are the delivery
 * <receipt> and the <ack class=message> sent.  Any other return leaves
 * the stanza unacked, so the server delivers it again at the next login.
 *
 * Redeliveries: the last WA_MSG_DEDUP_MAX (chat, sender, id) handed to
 * the caller and stored are remembered in memory; the same stanza again
 * is acked without an event.  One whose Signal message key was already
 * used (WA_ERR_SIG_DUPLICATE: we decrypted and stored it in an earlier
 * run, but the ack was lost) is acked too, without an event and without a
 * retry receipt: the caller has it.  Across restarts the caller's own
 * store answers (WA_MSG_HAVE_IT).  A message the caller could not store
 * (on_message failed) is left unacked and its plaintext kept in memory
 * (at most WA_MSG_UNSTORED_MAX messages, WA_MSG_UNSTORED_BYTES bytes): its
 * redelivery at the next login of this process is handed over again from
 * there, since its Signal message key is used up.  After a restart that
 * plaintext is gone (whatsmeow keeps it in a table, whatsmeow_event_buffer).
 *
 * A message we cannot decrypt is reported (on_undecryptable), a retry
 * receipt asks the sender to encrypt again (without our keys; in groups
 * with participant=; count 1, then 2... for a re-send that fails again, at
 * most WA_MSG_RECV_RETRY_MAX), and the stanza is acked so that later
 * messages keep flowing.  A stanza is taken as already decrypted
 * (WA_ERR_SIG_DUPLICATE) only when every <enc> of it says so.
 *
 * Does not: read receipts (the sender side sends them:
 * wa_msg_send_read), history sync, status, newsletters, broadcasts.
 *
 * Invariants: one thread; never aborts on a stranger's stanza; every
 * <message> handed to wa_msg_receiver_handle_node is either acked or
 * deliberately left for redelivery.
 */
#ifndef PONTON_WAWEB_RECV_MESSAGE_H
#define PONTON_WAWEB_RECV_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/jid.h"

struct wa_client;
struct wa_signal;
struct wa_node;

/* <enc> children we try in one stanza (a real one has one or two). */
#define WA_MSG_MAX_ENCS 8
/* Recently handled messages remembered against redeliveries. */
#define WA_MSG_DEDUP_MAX 1024
/* Plaintexts kept for messages the caller could not store. */
#define WA_MSG_UNSTORED_MAX 64
/* Retry receipts for one undecryptable message (whatsmeow and Baileys
 * stop at 5 too), and how many such messages are tracked for the count
 * (older ones start again at 1). */
#define WA_MSG_RECV_RETRY_MAX 5
#define WA_MSG_RETRY_TRACK 64
#define WA_MSG_UNSTORED_BYTES (4u * 1024 * 1024)
/* wa_msg_open: the stanza carried a sender key (stored) and no message. */
#define WA_MSG_OPEN_KEYS_ONLY 1
/* on_message's "I already have this one": receipt and ack, no more. */
#define WA_MSG_HAVE_IT 1

struct wa_msg_event {
	const char	*id;		/* borrowed, as every field */
	struct wa_jid	 sender;	/* the sending device (groups: the
					 * participant) */
	struct wa_jid	 chat;		/* the other party's account, or the
					 * group */
	int		 is_group;
	/* The sender's phone-number account when the stanza names it
	 * (sender_pn, or participant_pn in groups); has_sender_pn says if
	 * set. */
	struct wa_jid	 sender_pn;
	int		 has_sender_pn;
	int		 from_me;	/* sent by another device of ours */
	uint64_t	 timestamp;	/* seconds */
	const char	*push_name;	/* "notify", may be NULL */
	const char	*type;		/* stanza type attr ("text", "media",
					 * "reaction", "poll"...), may be NULL */
	const char	*edit;		/* stanza edit attr, NULL if none */
	/* The decrypted E2EMessage, deviceSentMessage unwrapped. */
	const uint8_t	*payload;
	size_t		 payload_len;
	const char	*text;		/* NULL: not a text message */
};

struct wa_msg_receiver_cbs {
	/* Return 0 once stored, WA_MSG_HAVE_IT if it was already stored
	 * (then receipt + ack), else the stanza is left unacked for
	 * redelivery. */
	int	(*on_message)(void *arg, const struct wa_msg_event *ev);
	/* Could not decrypt (err: a WA_ERR_SIG_* code); already acked. */
	void	(*on_undecryptable)(void *arg, const struct wa_msg_event *ev,
		    int err);
};

struct wa_msg_receiver;

/* c and sig are borrowed and must outlive the receiver. */
struct wa_msg_receiver *wa_msg_receiver_new(struct wa_client *c,
    struct wa_signal *sig, const struct wa_msg_receiver_cbs *cbs, void *arg);
void wa_msg_receiver_free(struct wa_msg_receiver *r);

/* Feed a stanza from the client's on_node: 1 if it was a <message>
 * (handled), else 0. */
int wa_msg_receiver_handle_node(struct wa_msg_receiver *r,
    const struct wa_node *n);

/* --- Pieces, exposed for the unit tests ------------------------------- */

/*
 * The text of a serialized E2EMessage (conversation or
 * extendedTextMessage.text), unwrapping deviceSentMessage (then *dest
 * gets its destination, owned, else NULL).  *text is owned, NULL when the
 * message holds no text.  Errors: WA_ERR_MSG_MALFORMED.
 */
int wa_msg_payload_text(const uint8_t *p, size_t n, char **text, char **dest);
/*
 * Split a serialized E2EMessage at the wire level (no field is lost):
 * inner (ilen bytes) the message itself or, for a deviceSentMessage, the
 * wrapped one (pointing into p); dest its destination (pointing into p,
 * not NUL-terminated, dlen bytes; NULL if none); skdm (sklen bytes) the
 * axolotlSenderKeyDistributionMessage and skgroup (sglen bytes) its
 * groupId (NULL if none); *other set when the message holds any field
 * besides senderKeyDistributionMessage and messageContextInfo.  Any
 * output may be NULL.  Errors: WA_ERR_MSG_MALFORMED.
 */
int wa_msg_payload_split(const uint8_t *p, size_t n, const uint8_t **inner,
    size_t *ilen, const char **dest, size_t *dlen, const uint8_t **skdm,
    size_t *sklen, const char **skgroup, size_t *sglen, int *other);
/*
 * Decrypt a <message> stanza (1:1 or group): fills *ev (fields borrowed
 * from n; payload and text point into *payload / *text) and *payload
 * (owned, the decrypted E2EMessage, unwrapped), *text (owned, NULL for a
 * message without text).  Errors: WA_ERR_MSG_MALFORMED (not from a user
 * device or group participant, no usable <enc>, bad protobuf), Signal
 * errors of the last <enc> tried (WA_ERR_SIG_NO_SENDER_KEY for an skmsg
 * whose sender key we never got).  WA_MSG_OPEN_KEYS_ONLY (positive,
 * nothing in *payload) for a group stanza that only distributed a sender
 * key: the receiver acks it without an event.  ev is filled as far as
 * parsed even on error.
 */
int wa_msg_open(struct wa_signal *sig, const struct wa_node *n,
    struct wa_msg_event *ev, uint8_t **payload, char **text);
/* The delivery receipt for a received message (owned): <receipt id to=from
 * [participant] [type=sender recipient=chat when from_me]>. */
struct wa_node *wa_msg_receipt_node(const struct wa_node *msg, int from_me);
/* A retry receipt: <receipt id to=from [participant] type=retry><retry
 * count=1 id t v=1/><registration>(4 bytes)</registration></receipt>
 * (owned). */
struct wa_node *wa_msg_retry_receipt_node(const struct wa_node *msg,
    uint32_t registration_id);
/* The same with <retry count=count> (the count-th ask for that message). */
struct wa_node *wa_msg_retry_receipt_node_n(const struct wa_node *msg,
    uint32_t registration_id, unsigned count);

#endif
