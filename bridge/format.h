/*
 * bridge/format.h: message text formatting between WhatsApp and Matrix.
 * Pure functions, no I/O: the caller resolves people through callbacks.
 *
 *  - WhatsApp markup -> Matrix (format_wa.c): *bold*, _italic_, ~strike~,
 *    `inline`, ```code```, "> " quotes, "- "/"* " and "1. " lists, HTML
 *    escaping, mentions turned into matrix.to pills; as mautrix-whatsapp's
 *    msgconv parseWAFormattingToHTML + addMentions.
 *  - Matrix HTML -> WhatsApp markup (format_html.c): a small tolerant HTML
 *    tokenizer and tree builder of our own, rendered as mautrix-go's
 *    format.HTMLParser does with the converters mautrix-whatsapp installs
 *    (msgconv.New); the same renderer with mautrix-go's defaults is
 *    format.HTMLToText, used for relay bodies.
 *
 * What this does not do: Markdown (the bridge never renders commands'
 * Markdown here), link previews, media captions' other fields.  Limits are
 * the constants below; input that is not UTF-8 is refused.
 * docs/formatting.md describes each rule and where upstream differs.
 */
#ifndef PONTON_BRIDGE_FORMAT_H
#define PONTON_BRIDGE_FORMAT_H

#include <stddef.h>

enum {
	BR_ERR_FMT_TOO_LONG = -590,	/* input over its limit */
	BR_ERR_FMT_UTF8 = -591,		/* input is not valid UTF-8 */
	BR_ERR_FMT_TOO_BIG = -592,	/* output would pass BR_FMT_MAX_OUT */
	BR_ERR_FMT_TEMPLATE = -593,	/* relay template outside the subset */
	BR_ERR_FMT_NO_FORMAT = -594,	/* no relay template for the msgtype */
};

/* WhatsApp's longest text (mautrix-whatsapp connector.MaxTextLength). */
#define BR_FMT_MAX_TEXT		65536
/* formatted_body is markup around at most that much text: 4x leaves room
 * for the tags and entities of a fully formatted message. */
#define BR_FMT_MAX_HTML		(4 * BR_FMT_MAX_TEXT)
/* Element nesting kept by the HTML tree builder; deeper start tags are
 * dropped (their text stays).  Also bounds the renderer's recursion. */
#define BR_FMT_MAX_DEPTH	64
/* Any one output (lists and quotes indent every line per level). */
#define BR_FMT_MAX_OUT		(1 << 20)
/* Mentions in one message, either direction. */
#define BR_FMT_MAX_MENTIONS	256

const char *br_fmt_strerror(int code);

/* ------------------------------------------------------------------ */
/* WhatsApp -> Matrix */

/*
 * Resolve a mentioned WhatsApp JID: set *mxid and *displayname (both owned
 * by the caller after return, u_malloc'd) and return 0, or return non-zero
 * to leave this mention as plain text (upstream logs and skips it).
 */
typedef int (*br_fmt_jid_resolver)(void *arg, const char *jid, char **mxid,
    char **displayname);

struct br_fmt_matrix {
	char	*body;			/* owned */
	char	*formatted_body;	/* owned; NULL: no formatting */
	char	**user_ids;		/* owned; m.mentions.user_ids */
	size_t	 n_user_ids;
	int	 mention_room;		/* m.mentions.room */
};

/*
 * Convert WhatsApp text (len bytes, not NUL-terminated necessarily) with
 * the JIDs listed in its ContextInfo.mentionedJID; non_jid_mentions is
 * ContextInfo.nonJIDMentions (1: "@everyone" -> m.mentions.room, as
 * upstream's ToMatrix).  allow_inline_url is
 * upstream's flag for [text](url) links (business messages only).  On
 * success *out is filled (clear it with br_fmt_matrix_clear).  Errors:
 * BR_ERR_FMT_TOO_LONG, _UTF8, _TOO_BIG.  May be called from any callback.
 */
int br_fmt_wa_to_matrix(const char *text, size_t len,
    const char *const *mentioned_jids, size_t n_mentioned,
    unsigned non_jid_mentions, br_fmt_jid_resolver resolve, void *arg, int allow_inline_url,
    struct br_fmt_matrix *out);
void br_fmt_matrix_clear(struct br_fmt_matrix *m);

/* WhatsApp markup -> HTML only (parseWAFormattingToHTML); owned result. */
int br_fmt_wa_markup_to_html(const char *text, size_t len,
    int allow_inline_url, char **out);
/* event.TextToHTML: escape, "\n" -> "<br/>"; owned result. */
int br_fmt_text_to_html(const char *text, char **out);

/* ------------------------------------------------------------------ */
/* Matrix -> WhatsApp */

/*
 * Resolve a pill's Matrix user ID to the WhatsApp JID to mention (a ghost's
 * JID, or the JID of the logged-in user it is): set *jid (owned by caller)
 * and return 0, or non-zero to write the pill's display text instead.
 */
typedef int (*br_fmt_mxid_resolver)(void *arg, const char *mxid, char **jid);

struct br_fmt_wa {
	char	*text;			/* owned */
	char	**mentioned_jids;	/* owned; ContextInfo.mentionedJID */
	size_t	 n_mentioned;
	unsigned non_jid_mentions;	/* ContextInfo.nonJIDMentions */
};

/*
 * Convert a Matrix message: formatted_body (HTML, NULL when the event has
 * none or its format is not org.matrix.custom.html) or else body.
 * allowed/n_allowed is m.mentions.user_ids when has_mentions (the event
 * carries m.mentions): a pill to anyone else becomes its display text, as
 * upstream's convertPill; mention_room is m.mentions.room, which becomes
 * nonJIDMentions = 1 (generateContextInfo) while "@room" stays text.
 * Errors: BR_ERR_FMT_TOO_LONG, _UTF8, _TOO_BIG.
 */
int br_fmt_matrix_to_wa(const char *body, const char *formatted_body,
    int has_mentions, int mention_room, const char *const *allowed,
    size_t n_allowed,
    br_fmt_mxid_resolver resolve, void *arg, struct br_fmt_wa *out);
void br_fmt_wa_clear(struct br_fmt_wa *w);

/*
 * MessageEventContent.RemoveReplyFallback, which bridgev2 applies to every
 * Matrix message before conversion: for a reply (is_reply: m.relates_to
 * has m.in_reply_to) whose formatted_body starts with
 * <mx-reply>...</mx-reply>, drop that and the body's "> " fallback lines.
 * Sets owned copies (*html_out NULL when formatted_body is); returns 1 when
 * something was removed, else 0.
 */
int br_fmt_remove_reply_fallback(int is_reply, const char *body,
    const char *formatted_body, char **body_out, char **html_out);

/* format.HTMLToText: mautrix-go's default plain-text rendering of Matrix
 * HTML (**bold**, ~~strike~~, links as "text (href)", pills as names). */
int br_fmt_html_to_text(const char *html, char **out);

#endif
