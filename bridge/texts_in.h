/*
 * texts_in.h: the texts the bridge writes into portal rooms for WhatsApp
 * messages it cannot show as they are (WhatsApp -> Matrix), in English
 * (mautrix-whatsapp's wording) and French.  Table in bridge/texts_in.c.
 *
 * What it does not do: command replies (texts.h), Matrix -> WhatsApp
 * failures (texts_out.h).
 *
 * Invariants: every id has a text in every language (test_br_portal_in
 * checks it); the {0} placeholder is filled by substitution.
 */
#ifndef PONTON_BRIDGE_TEXTS_IN_H
#define PONTON_BRIDGE_TEXTS_IN_H

#include "bridge/texts.h"

enum br_text_in_id {
	BR_TIN_UNSUPPORTED = 0,		/* a message kind not bridged */
	BR_TIN_UNDECRYPTABLE,		/* body (plain) */
	BR_TIN_UNDECRYPTABLE_HTML,	/* formatted_body */
	BR_TIN_MEDIA_FAILED,		/* {0}: the reason */
	BR_TIN_PRIVATE_CHAT_TOPIC,	/* a DM portal's topic */
	BR_TIN_LOCATION,		/* "Location" label */
	BR_TIN_INVITE,			/* {0}: group name (HTML-escaped) */
	BR_TIN_POLL,			/* poll fallback header */
	BR_TIN_COUNT_
};

/* The text (static, never NULL). */
const char *br_text_in(enum br_lang lang, enum br_text_in_id id);
/* With {0} replaced by a0 (owned). */
char *br_text_in_fmt(enum br_lang lang, enum br_text_in_id id,
    const char *a0);

#endif
