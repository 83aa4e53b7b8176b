/*
 * net_wa_msg.h: message conversion of the WhatsApp side, between waweb's
 * struct wa_content (waweb/content.h) and the core's struct br_net_content
 * (bridge/net.h), and the metadata a pending row keeps.  Shared by
 * net_wa.c and its unit tests only; the core never includes this.
 *
 * What it does not do: I/O (no database, no network): net_wa.c stores the
 * rows, downloads and uploads media and sends.
 *
 * Invariants: inputs are untrusted (payloads from WhatsApp, metadata from
 * our own table): a payload that does not decode becomes an UNSUPPORTED
 * message, never an error that would block the login's queue.  Every
 * pointer in a built message points into the message itself.
 */
#ifndef PONTON_BRIDGE_NET_WA_MSG_H
#define PONTON_BRIDGE_NET_WA_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/net.h"
#include "waweb/content.h"

struct br_wa_pending;
struct wa_msg_event;

/* A received message as the core gets it, with everything it points to. */
struct br__nw_msg {
	struct br_net_message	 m;		/* what on_message gets */
	struct wa_content	 wc;		/* owned: the decoded payload */
	char			*chat, *id, *sender, *sender_name;
	char			*target_sender;	/* owned or NULL */
	char			*contact_name;	/* owned: a vCard's FN, or NULL */
	const char		**mentions;	/* owned array, borrowed items */
	const char		**options;	/* owned array, borrowed items */
	/* Nothing for the core (history sync notice, key share...): done
	 * at once. */
	int			 ignore;
	/* Media to download before delivery (wc.media names it). */
	int			 needs_media;
	int			 media_type;	/* enum wa_media_type */
	uint8_t			*media;		/* owned, downloaded bytes */
	size_t			 media_len;
};

/*
 * The metadata JSON of a pending row for a received event (owned), or for
 * a message that could not be decrypted (ev, err != 0).
 */
char *br__nw_meta_json(const struct wa_msg_event *ev, int undecryptable);

/*
 * A pending row as the core's message.  own_user: our account's user JID
 * ("<digits>@s.whatsapp.net"), to resolve keys of reactions, edits and
 * revokes (upstream's KeyToMessageID).  *out owned (br__nw_msg_free).
 * Never fails on bad data (U_ERR_INVALID only for a row without ids).
 */
int br__nw_msg_build(const struct br_wa_pending *row, const char *own_user,
    struct br__nw_msg **out);
void br__nw_msg_free(struct br__nw_msg *m);
/*
 * Open a poll vote (a message built from a POLL_VOTE; it is ignored until
 * opened) with its poll's secret and option names, trying each creator x
 * voter account form (wa_content_vote_open).  0: kind POLL_VOTE with the
 * selected options' names, no longer ignored; else the waweb error.
 */
int br__nw_msg_open_vote(struct br__nw_msg *x, const uint8_t secret[32],
    char *const *options, size_t n, const char *const *creators, size_t nc,
    const char *const *voters, size_t nv);
/* The downloaded bytes (owned, moved in) or the error of the download. */
void br__nw_msg_set_media(struct br__nw_msg *m, uint8_t *data, size_t len,
    int err);

/*
 * The core's content to send, as a wa_content (owned strings; free with
 * wa_content_free).  chat: the destination chat JID; own_user as above
 * (a target sent by us gets from_me).  Media kinds need the upload's
 * fields filled by the caller afterwards.  Errors: BR_ERR_NET_UNSUPPORTED
 * (a kind WhatsApp has no message for: UNSUPPORTED, UNDECRYPTABLE, a vote
 * without the poll's secret), U_ERR_INVALID (missing fields).
 */
int br__nw_content_to_wa(const struct br_net_content *c, const char *chat,
    const char *own_user, struct wa_content *out);

#endif
