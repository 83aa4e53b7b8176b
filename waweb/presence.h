/*
 * presence.h: presence (online / last seen) and chat states (typing,
 * recording) on WhatsApp (wa-protocol.md §12; whatsmeow presence.go,
 * Baileys chats.ts).
 *
 *   out  <presence type=available|unavailable name=<push name>/>
 *        <presence type=subscribe to=JID/>
 *        <chatstate to=JID><composing/>|<composing media=audio/>|<paused/>
 *   in   <presence from=JID [type=unavailable] [last=<ts>|deny]/>
 *        <chatstate from=JID|GID [participant=JID]><composing [media]/>|
 *        <paused/></chatstate>
 *
 * Incoming presence and chatstate stanzas are not acked (neither real
 * client acks them, and the server does not expect it).
 *
 * Does not: privacy tokens (tctoken) on subscribe, keep any state.
 * Invariants: parsing allocates nothing; out-parameters set on success.
 */
#ifndef PONTON_WAWEB_PRESENCE_H
#define PONTON_WAWEB_PRESENCE_H

#include <stdint.h>

#include "waweb/jid.h"

struct wa_client;
struct wa_node;

/* A push name: WhatsApp caps it at 25 characters (x4 for UTF-8). */
#define WA_PRESENCE_MAX_NAME 100

enum wa_chatstate {
	WA_CHAT_PAUSED = 0,	/* stopped typing */
	WA_CHAT_COMPOSING,	/* typing */
	WA_CHAT_RECORDING,	/* recording a voice message */
};

/* "paused", "composing", "recording" (never NULL). */
const char *wa_chatstate_name(enum wa_chatstate s);

/*
 * Tell chat (a user or a group) our chat state.  Errors: U_ERR_INVALID
 * (bad state or JID), WA_ERR_NOT_CONNECTED.
 */
int wa_presence_send_chatstate(struct wa_client *c, const struct wa_jid *chat,
    enum wa_chatstate state);
/*
 * Go available (online) or unavailable.  push_name is required (the server
 * learns our name from it): 1..WA_PRESENCE_MAX_NAME bytes of UTF-8.
 * Errors: U_ERR_INVALID, WA_ERR_NOT_CONNECTED.
 */
int wa_presence_send(struct wa_client *c, int available,
    const char *push_name);
/* Ask for user's presence updates.  Errors as above. */
int wa_presence_subscribe(struct wa_client *c, const struct wa_jid *user);

enum wa_presence_kind {
	WA_PRESENCE_EV_CHATSTATE = 0,
	WA_PRESENCE_EV_PRESENCE,
};

struct wa_presence_event {
	enum wa_presence_kind kind;
	struct wa_jid	 from;		/* the user, or the group (chatstate) */
	struct wa_jid	 participant;	/* has_participant: who, in a group */
	int		 has_participant;
	/* CHATSTATE */
	enum wa_chatstate state;
	/* PRESENCE */
	int		 available;
	uint64_t	 last_seen;	/* 0: unknown or hidden */
	int		 last_seen_hidden;	/* last=deny */
};

/* Whether n is a <presence> or <chatstate> stanza. */
int wa_presence_is_stanza(const struct wa_node *n);
/*
 * Parse an incoming <presence> or <chatstate> (borrowed).  Errors:
 * WA_ERR_BAD_NODE (wrong tag, no from, not exactly one known chat state),
 * WA_ERR_BAD_JID.
 */
int wa_presence_parse(const struct wa_node *n, struct wa_presence_event *out);

#endif
