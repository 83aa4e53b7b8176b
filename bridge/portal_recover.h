/*
 * portal_recover.h: recovery of lost portal rows from the m.bridge state
 * of the rooms the bot is still in (portal_recover.c says what is decided
 * and why), and the pieces the "bridge" command and tests reuse.
 *
 * Invariants: one thread; runs while the portal registry is not ready
 * (no room is created meanwhile); done is called exactly once.
 */
#ifndef PONTON_BRIDGE_PORTAL_RECOVER_H
#define PONTON_BRIDGE_PORTAL_RECOVER_H

#include <stddef.h>

#include <jansson.h>

struct br_portals;

enum br_recover_verdict {
	BR_RECOVER_OK = 0,
	BR_RECOVER_NOT_OURS,	/* our key but another protocol */
	BR_RECOVER_WRONG_BOT,	/* bridgebot is not our bot */
	BR_RECOVER_MALFORMED,	/* missing or mistyped fields */
	BR_RECOVER_NOT_CHAT,	/* channel.id is not a WhatsApp chat JID */
};
const char *br_recover_verdict_str(enum br_recover_verdict v);

/*
 * Judge one m.bridge content (read with our state key).  BR_RECOVER_OK
 * sets *id (channel.id) and *receiver (fi.mau.receiver or ""), owned.
 * content borrowed, untrusted.
 */
enum br_recover_verdict br_recover_parse(json_t *content, const char *bot_id,
    char **id, char **receiver);

/* One room that claims a chat; all owned. */
struct br_recover_claim {
	char	*room_id, *id, *receiver;
	char	*name, *topic, *avatar;		/* NULL if unknown */
};
void br_recover_claim_clear(struct br_recover_claim *c);

struct br_recover_stats {
	size_t	joined, with_state, recovered, already, ignored, conflicts;
};

/*
 * Write the claims into the portal table (sorted by room ID first; see
 * the rules in portal_recover.c); joined: every room the bot is in.
 * Counts into *st.  0 or a db code.
 */
int br_recover_apply(struct br_portals *reg, struct br_recover_claim *claims,
    size_t n, const char *const *joined, size_t njoined,
    struct br_recover_stats *st);

/* Start the walk over the bot's rooms; done(arg, rc, stats) once, later.
 * 0, or a negative code (done not called). */
typedef void (*br_recover_done_fn)(void *arg, int rc,
    const struct br_recover_stats *st);
int br_recover_start(struct br_portals *reg, br_recover_done_fn done,
    void *arg);

#endif
