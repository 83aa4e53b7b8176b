/*
 * texts_out.h: the texts the Matrix -> WhatsApp half of the bridge
 * (portal_out.c) sends to people: the "your message was not bridged"
 * notices and their reasons, in English (mautrix-go bridgev2's wording,
 * word for word) and French.
 *
 * What it does: look a text up by id and language and fill its one
 * placeholder {0} (by substitution, never printf).
 * What it does not do: send anything or pick the language (ponton.language
 * does, through struct br_bridge).
 *
 * Invariants: every id has a non-empty text in every language with the
 * same placeholders (test_br_portal_out checks it).
 */
#ifndef PONTON_BRIDGE_TEXTS_OUT_H
#define PONTON_BRIDGE_TEXTS_OUT_H

#include "bridge/texts.h"

enum br_out_text {
	/* MessageStatus.ToNoticeEvent: "⚠️ Your <type> <certainty>
	 * bridged: <reason>" */
	BR_OTX_MSG_NOT = 0,		/* {0}: reason */
	BR_OTX_MSG_MAYBE,
	BR_OTX_REACTION_NOT,
	BR_OTX_REACTION_MAYBE,
	BR_OTX_REDACTION_NOT,
	BR_OTX_REDACTION_MAYBE,
	/* Reasons (bridgev2's error texts). */
	BR_OTX_NOT_LOGGED_IN,		/* "You're not logged in" */
	BR_OTX_UNSUPPORTED_TYPE,	/* unsupported message type */
	BR_OTX_UNSUPPORTED_MEDIA,	/* {0}: mime type */
	BR_OTX_MEDIA_DOWNLOAD,		/* failed to download media */
	BR_OTX_MEDIA_TOO_LARGE,
	BR_OTX_NO_RELAY_FORMAT,		/* {0}: msgtype */
	BR_OTX_TARGET_NOT_FOUND,
	BR_OTX_DATABASE,
	BR_OTX_CONVERT,			/* {0}: what failed */
	BR_OTX_NETWORK,			/* {0}: the network side's reason */
	BR_OTX_IGNORING_NOTICE,
	BR_OTX_RELAYED_REACTION,
	BR_OTX_DM_META,			/* {0}: name, topic, avatar */
	BR_OTX_AVATAR_FORMAT,		/* {0}: what the file looks like */
	BR_OTX_BAD_STATE_KEY,
	BR_OTX_COUNT
};

/* The raw text (borrowed, static); never NULL for a valid id. */
const char *br_out_text(enum br_lang lang, enum br_out_text id);
/* The text with {0} replaced by a0 (NULL: ""); owned. */
char *br_out_text_fmt(enum br_lang lang, enum br_out_text id, const char *a0);

#endif
