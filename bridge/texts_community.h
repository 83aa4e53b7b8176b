/*
 * texts_community.h: what the community feature (bridge/community*.c) says,
 * in English and French: answers to `!am` commands in WhatsApp groups and
 * Matrix rooms, the welcome message, help, the phone-inactivity warning.
 *
 * What it does: look texts up by id and language and fill {0} / {1}.
 * Texts sent to WhatsApp are plain text (no Markdown: WhatsApp shows it as
 * is); texts for Matrix may use the Markdown subset of texts.h.
 *
 * What it does not do: choose the language (community.language does) or
 * send anything.
 *
 * Invariants: every id has a non-empty text in both languages with the
 * same placeholders (test_br_community checks it); filling is by
 * substitution, never printf, and the result is capped.
 */
#ifndef PONTON_BRIDGE_TEXTS_COMMUNITY_H
#define PONTON_BRIDGE_TEXTS_COMMUNITY_H

#include "bridge/texts.h"

enum br_ctext_id {
	/* WhatsApp group answers (plain text). */
	BR_CT_WELCOME = 0,	/* {0}: prefix, {1}: member domain */
	BR_CT_WA_INVITED,	/* {0}: user ID */
	BR_CT_WA_NOT_MEMBER,	/* {0}: user ID, {1}: member domain */
	BR_CT_WA_HELP,		/* {0}: prefix, {1}: member domain */
	BR_CT_WA_FAILED,	/* {0}: reason */
	/* Both sides. */
	BR_CT_UNKNOWN,		/* {0}: prefix */
	BR_CT_BAD_USER,		/* {0}: prefix, {1}: member domain */
	BR_CT_BAD_PHONE,	/* {0}: prefix */
	BR_CT_RATE,
	BR_CT_ADD_RATE,
	BR_CT_NO_RELAY,		/* the relay login is missing / down */
	/* Matrix room answers (Markdown). */
	BR_CT_MX_HELP,		/* {0}: prefix */
	BR_CT_MX_NOT_MEMBER,	/* {0}: prefix */
	BR_CT_MX_NOT_ALONE,
	BR_CT_MX_ENCRYPTED,
	BR_CT_MX_PUBLIC,
	BR_CT_MX_NOT_ADMIN,
	BR_CT_MX_BOT_PL,	/* {0}: bridge bot, {1}: prefix */
	BR_CT_MX_CREATED,	/* {0}: invite link */
	BR_CT_MX_RELAY_ON,
	BR_CT_MX_NOT_PORTAL,	/* {0}: prefix */
	BR_CT_MX_ADDED,		/* {0}: +number */
	BR_CT_MX_ADD_INVITED,	/* {0}: +number */
	BR_CT_MX_NOT_ON_WA,	/* {0}: +number */
	BR_CT_MX_ADD_FAILED,	/* {0}: +number, {1}: reason */
	BR_CT_MX_RESET_DONE,
	BR_CT_MX_FAILED,	/* {0}: reason */
	BR_CT_MX_BOT_HELLO,	/* community bot joined: {0}: prefix */
	/* Management room of admins (Markdown). */
	BR_CT_PHONE_WARN,	/* {0}: +number, {1}: days */
	BR_CT_COUNT
};

/* The raw text (borrowed, static). */
const char *br_ctext(enum br_lang lang, enum br_ctext_id id);
/* {0} and {1} replaced by a0 and a1 (NULL: ""); owned. */
char *br_ctext_fmt(enum br_lang lang, enum br_ctext_id id, const char *a0,
    const char *a1);
/* The same fill on any template (the configured welcome texts, where
 * {prefix} and {domain} are also accepted); owned. */
char *br_ctext_fill(const char *tmpl, const char *a0, const char *a1);

#endif
