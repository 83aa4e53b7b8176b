/*
 * recv_message.h: receiving 1:1 messages (wa-protocol.md §8.1-8.3).
 *
 * For a <message from id t [recipient] [sender_pn]> with <enc> children:
 * decrypt each pkmsg/msg addressed to us with the sender device's Signal
 * session, unpad, unpack the E2EMessage (unwrapping a deviceSentMessage
 * from our own devices), and hand the caller one event.  The caller
 * returns 0 once it has stored the message safely; only then are the
 * delivery <receipt> and the <ack class=message> sent.  A non-zero return
 * leaves the stanza unacked, so the server delivers it again at the next
 * login.
 *
 * A message we cannot decrypt is reported (on_undecryptable), a retry
 * receipt asks the sender to encrypt again (first attempt, without our
 * keys), and the stanza is acked so that later messages keep flowing.
 *
 * Does not: groups (skmsg), media or any non-text content (reported as an
 * event with text NULL), read receipts (not sent yet), history sync.
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

struct wa_msg_event {
	const char	*id;		/* borrowed, as every field */
	struct wa_jid	 sender;	/* the sending device */
	struct wa_jid	 chat;		/* the other party's account */
	/* The sender's phone-number account when the stanza is addressed
	 * from a LID and names it (sender_pn); has_sender_pn says if set. */
	struct wa_jid	 sender_pn;
	int		 has_sender_pn;
	int		 from_me;	/* sent by another device of ours */
	uint64_t	 timestamp;	/* seconds */
	const char	*push_name;	/* "notify", may be NULL */
	const char	*text;		/* NULL: not a text message */
};

struct wa_msg_receiver_cbs {
	/* Return 0 once stored (then receipt + ack), else the stanza is
	 * left unacked for redelivery. */
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
 * Decrypt a <message> stanza: fills *ev (fields borrowed from n; text not
 * set) and *text (owned, NULL for a message without text).  Errors:
 * WA_ERR_MSG_MALFORMED (not a 1:1 message from a user device, no usable
 * <enc>, bad protobuf), Signal errors of the last <enc> tried.  ev is
 * filled as far as parsed even on error.
 */
int wa_msg_open(struct wa_signal *sig, const struct wa_node *n,
    struct wa_msg_event *ev, char **text);
/* The delivery receipt for a received message (owned): <receipt id to=from
 * [type=sender recipient=chat when from_me]>. */
struct wa_node *wa_msg_receipt_node(const struct wa_node *msg, int from_me);
/* A retry receipt: <receipt id to=from type=retry><retry count=1 id t v=1/>
 * <registration>(4 bytes)</registration></receipt> (owned). */
struct wa_node *wa_msg_retry_receipt_node(const struct wa_node *msg,
    uint32_t registration_id);

#endif
