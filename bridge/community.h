/*
 * community.h: community portals (issue #7, docs/community.md): one shared
 * WhatsApp account (the relay login) used by the members of a Matrix
 * community through `!am` commands, as ARN's "ARN-Messager" bot did next to
 * mautrix-whatsapp, in ponton itself.
 *
 * What it does: parse `!am` commands (pure, below), decide who is a member,
 * rate-limit commands and phone-number adds, and, through the core's hooks
 * (bridge.h struct br_bridge_hooks), run the two ways of making a portal:
 *  - method 1, from WhatsApp: the welcome message when the relay account
 *    joins a group; `!am @member:domain` in the group creates the portal
 *    room if needed (relay on), invites that member with power level 100
 *    and answers in the group;
 *  - method 2, from Matrix: a member invites the community bot into their
 *    private unencrypted room where they are alone and admin; `!am
 *    whatsapp` creates a WhatsApp group named after the room, bridges THIS
 *    room to it (m.bridge state, relay on) and posts the invite link; in a
 *    bridged room it turns relaying back on; `!am whatsapp +<number>` adds
 *    that number (or sends a group invitation when WhatsApp refuses the
 *    add); `!am reset` repairs the portal.
 *
 * What it does not do: bridge messages (the core does, with the portal's
 * relay login), list chats or portals to anyone, invite anyone who did not
 * ask (privacy rules of docs/community.md).  A command acts only on the
 * room or group it was typed in.
 *
 * Invariants: one thread (the loop's).  Every asynchronous step holds a
 * struct of its own, freed when the step chain ends (also on
 * cancellation at shutdown).  Bad input (unknown words, malformed ids or
 * numbers, flooding) gets at most one answer and changes nothing.
 */
#ifndef PONTON_BRIDGE_COMMUNITY_H
#define PONTON_BRIDGE_COMMUNITY_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/net.h"

struct br_bridge;
struct br_config;

/* ---- commands (pure) ---- */

/* Longest argument kept: a Matrix user ID is at most 255 bytes. */
#define BR_AM_ARG_MAX	255

enum br_am_verb {
	BR_AM_NONE = 0,		/* not a command (no prefix) */
	BR_AM_HELP,		/* arg "en" / "fr" / "" */
	BR_AM_INVITE,		/* arg: the user ID (lowercased) */
	BR_AM_WHATSAPP,		/* `!am whatsapp` */
	BR_AM_WHATSAPP_ADD,	/* arg: the phone number digits */
	BR_AM_RESET,
	BR_AM_BAD_USER,		/* starts like a user ID but is not one */
	BR_AM_BAD_PHONE,	/* `whatsapp` + something not a number */
	BR_AM_UNKNOWN,		/* anything else after the prefix */
};

struct br_am_cmd {
	enum br_am_verb	 verb;
	char		 arg[BR_AM_ARG_MAX + 1];
};

/*
 * Parse text (a message body) as a command with prefix ("!am"): the prefix
 * must be the first word (case-insensitive, leading spaces allowed).
 * Fills *out (verb BR_AM_NONE when text is not a command).  Never fails.
 */
void br_am_parse(const char *prefix, const char *text, struct br_am_cmd *out);

/*
 * A Matrix user ID as `!am` accepts it: "@local:server", local part of
 * a-z 0-9 . _ = - / + (upper case folded), server a host name or IP
 * literal with an optional port, 255 bytes at most.  1 and the lowercased
 * ID in out (BR_AM_ARG_MAX + 1 bytes), or 0.
 */
int br_am_user_id(const char *in, size_t len, char *out);

/* Is mxid a member: in community.member_users, or its server is one of
 * community.member_domains (homeserver.domain when the list is empty). */
int br_community_is_member(const struct br_config *cfg, const char *mxid);
/* The first member domain (for texts); borrowed. */
const char *br_community_domain(const struct br_config *cfg);

/* ---- rate limits (pure; now in ms passed in) ---- */

/* Keys tracked at once; past it the oldest window is reused, so memory is
 * bounded whatever the number of senders. */
#define BR_RATE_KEYS	512
#define BR_RATE_KEY_MAX	127

enum br_rate_verdict {
	BR_RATE_OK = 0,
	BR_RATE_LIMITED_FIRST,	/* over the limit: answer once */
	BR_RATE_LIMITED,	/* over the limit again: stay silent */
};

struct br_rate_slot {
	char		 key[BR_RATE_KEY_MAX + 1];
	uint64_t	 start_ms;
	uint32_t	 count;
	int		 told;
};

struct br_rate {
	uint64_t		 window_ms;
	uint32_t		 limit;		/* 0: no limit */
	struct br_rate_slot	 slots[BR_RATE_KEYS];
};

void br_rate_init(struct br_rate *r, uint64_t window_ms, uint32_t limit);
/* Count one event for key at now_ms. */
enum br_rate_verdict br_rate_hit(struct br_rate *r, const char *key,
    uint64_t now_ms);
/* Would one more event pass (without counting it)? */
int br_rate_would_pass(const struct br_rate *r, const char *key,
    uint64_t now_ms);

/* ---- the feature ---- */

struct br_community;

/*
 * Set br's hooks (br->hooks) when cfg->community.enabled; NULL otherwise
 * (nothing set).  br, cfg borrowed; the result is owned: free it with
 * br_community_free before br_bridge_free.  Call after br_bridge_new,
 * before the Matrix and WhatsApp sides start.
 */
struct br_community *br_community_new(struct br_bridge *br,
    const struct br_config *cfg);
/* Clears the hooks.  NULL is a no-op. */
void br_community_free(struct br_community *c);

/* The relay login: community.relay_login, else the only login of the
 * WhatsApp side; NULL if none (or several without configuration). */
struct br_net_login *br_community_relay_login(struct br_community *c);

/* ---- the phone-inactivity warning (community_warn.c) ----
 *
 * WhatsApp unlinks a companion whose phone stays offline for about 14
 * days.  As mautrix-whatsapp (pkg/connector/phoneping.go: the login
 * metadata's phone_last_seen, Unix seconds, updated at most once an hour
 * when the phone is seen; "wa-phone-offline" past 12 days), ponton keeps
 * phone_last_seen for the relay login and, past 12 days, tells the admins
 * (the login's owner and every user ID with admin in bridge.permissions)
 * in their management rooms, at most once a day.
 */
#define BR_PHONE_WARN_DAYS	12

/* Whole days since last_seen_s if at least BR_PHONE_WARN_DAYS, else 0
 * (also 0 when never seen: upstream does not warn then). */
int br_community_phone_days(int64_t last_seen_s, int64_t now_s);
/* The phone of login_id was seen at ts_s (a message or receipt from our
 * own account's phone).  Saved in the login's metadata when it moves by
 * an hour or more.  0 or a db code. */
int br_community_phone_seen(struct br_community *c, const char *login_id,
    int64_t ts_s);
/* Check now (now_s): warn when due.  The number of rooms warned, or a
 * negative db code. */
int br_community_warn_check(struct br_community *c, int64_t now_s);
/* Check every hour on loop (the first check a minute after start).
 * Stopped by br_community_free. */
struct u_loop;
void br_community_warn_start(struct br_community *c, struct u_loop *loop);

/* For tests: the clock (ms) used by the rate limits; NULL: real time. */
void br_community_set_clock(struct br_community *c,
    uint64_t (*now_ms)(void *), void *arg);

#endif
