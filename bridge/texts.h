/*
 * texts.h: every text the bridge bot sends to people, in English (the
 * upstream wording, so users and documentation written for mautrix-whatsapp
 * still match) and French.  One table, bridge/texts.c.
 *
 * What it does: look texts up by id and language, fill numbered
 * placeholders ({0}, {1}), and render the small Markdown subset the texts
 * use (paragraphs, line breaks, **bold**, `code`, #### headings) to the
 * HTML that goes into formatted_body.
 *
 * What it does not do: choose the language (ponton.language does, for
 * everyone) or send anything.
 *
 * Invariants: every id has a non-empty text in every language with the
 * same placeholders (checked by test_br_cmd_texts); placeholders are
 * filled by substitution, never by printf, so a text cannot misread its
 * arguments.
 */
#ifndef PONTON_BRIDGE_TEXTS_H
#define PONTON_BRIDGE_TEXTS_H

enum br_lang {
	BR_LANG_EN = 0,
	BR_LANG_FR,
	BR_LANG_COUNT
};

enum br_text_id {
	BR_TXT_WELCOME_NEW = 0,		/* bot invited, room becomes mgmt */
	BR_TXT_WELCOME_EXISTING,	/* {0}: command prefix */
	BR_TXT_NO_PERM_INTERACT,	/* invite rejected: no send_events */
	BR_TXT_NO_PERM_COMMANDS,	/* invite rejected: no commands */
	BR_TXT_UNKNOWN_COMMAND,
	BR_TXT_ADMIN_ONLY,
	BR_TXT_NO_LOGIN_PERM,
	BR_TXT_NEEDS_ROOM_ADMIN,
	BR_TXT_NEEDS_PORTAL,
	BR_TXT_NEEDS_LOGIN,
	BR_TXT_CANCELLED,		/* {0}: the action */
	BR_TXT_UNKNOWN_ACTION,
	BR_TXT_NO_ONGOING,
	BR_TXT_HELP_PREFIX_MGMT,	/* {0}: command prefix */
	BR_TXT_HELP_PREFIX_PORTAL,	/* {0}: command prefix */
	BR_TXT_HELP_PREFIX_OTHER,	/* {0}: command prefix */
	BR_TXT_HELP_PARAMS,
	BR_TXT_SEC_GENERAL,
	BR_TXT_SEC_AUTH,
	BR_TXT_SEC_CHATS,
	BR_TXT_SEC_MISC,
	BR_TXT_SEC_ADMIN,
	BR_TXT_DESC_HELP,
	BR_TXT_DESC_CANCEL,
	BR_TXT_DESC_VERSION,
	BR_TXT_DESC_SET_MGMT,
	BR_TXT_VERSION,			/* {0}: version, {1}: upstream version */
	BR_TXT_MEMBERS_FAILED,
	BR_TXT_MGMT_BOT_MISSING,
	BR_TXT_MGMT_NOT_TWO,
	BR_TXT_MGMT_SAVE_FAILED,
	BR_TXT_MGMT_UPDATED,
	BR_TXT_DESC_BRIDGE,
	BR_TXT_BRIDGE_NO_PERM,
	BR_TXT_BRIDGE_ALREADY,		/* {0}: portal ID, {1}: receiver part */
	BR_TXT_BRIDGE_USAGE,		/* {0}: command prefix */
	BR_TXT_BRIDGE_PL_FAILED,	/* {0}: error */
	BR_TXT_BRIDGE_ROOM_PL_FAILED,
	BR_TXT_BRIDGE_BOT_PL,
	BR_TXT_BRIDGE_BAD_CHAT,		/* {0}: the argument */
	BR_TXT_BRIDGE_NOT_LOGGED_IN,
	BR_TXT_BRIDGE_CANT_OVERWRITE,
	BR_TXT_BRIDGE_USE_OVERWRITE,	/* {0}: name, {1}: matrix.to URL */
	BR_TXT_BRIDGE_FAILED,		/* {0}: error */
	BR_TXT_BRIDGE_DONE,		/* {0}: portal ID */
	BR_TXT_DESC_LOGIN,
	BR_TXT_DESC_LOGOUT,
	BR_TXT_DESC_LIST_LOGINS,
	BR_TXT_DESC_RELOGIN,
	BR_TXT_SEC_INVITES,
	BR_TXT_DESC_SET_RELAY,
	BR_TXT_DESC_UNSET_RELAY,
	BR_TXT_DESC_ID,
	BR_TXT_DESC_UNBRIDGE,
	BR_TXT_DESC_DELETE_PORTAL,
	BR_TXT_DESC_SET_PL,
	BR_TXT_DESC_RESOLVE,
	BR_TXT_DESC_START_CHAT,
	BR_TXT_DESC_CREATE_GROUP,
	BR_TXT_DESC_INVITE_LINK,
	BR_TXT_DESC_JOIN,
	BR_TXT_DESC_SYNC,
	BR_TXT_NET_UNSUPPORTED,
	BR_TXT_RECEIVER_PART,	/* {0}: receiver */
	BR_TXT_LOGIN_NOT_FOUND,
	BR_TXT_RELAY_DISABLED,
	BR_TXT_RELAY_NO_PERM,
	BR_TXT_RELAY_NO_DEFAULTS,
	BR_TXT_RELAY_LOGINS_FAILED,
	BR_TXT_RELAY_SELF_FORBIDDEN_NONE,
	BR_TXT_RELAY_NONE_IN_CHAT,
	BR_TXT_RELAY_NOT_LOGGED_IN_NONE,
	BR_TXT_RELAY_SPLIT_RECEIVER,	/* {0}: receiver */
	BR_TXT_RELAY_LOGIN_NOT_FOUND,	/* {0}: login ID */
	BR_TXT_RELAY_OTHERS_ADMIN_ONLY,
	BR_TXT_RELAY_SELF_FORBIDDEN,
	BR_TXT_RELAY_SAVE_FAILED,
	BR_TXT_RELAY_SET,	/* {0}: remote name, {1}: owner link */
	BR_TXT_RELAY_NONE,
	BR_TXT_RELAY_UNSET,
	BR_TXT_ID_IS,	/* {0}: portal ID, {1}: receiver part */
	BR_TXT_UNBRIDGE_NO_PERM,
	BR_TXT_UNBRIDGE_FAILED,	/* {0}: error */
	BR_TXT_CLEANUP_FAILED,	/* {0}: error */
	BR_TXT_DELETE_FAILED,	/* {0}: error */
	BR_TXT_PL_BAD_LEVEL,	/* {0}: argument */
	BR_TXT_PL_BAD_USER,	/* {0}: argument */
	BR_TXT_PL_USAGE,
	BR_TXT_PL_FAILED,	/* {0}: error */
	BR_TXT_RESOLVE_USAGE,	/* {0}: prefix, {1}: command */
	BR_TXT_RESOLVE_UNSUPPORTED,
	BR_TXT_RESOLVE_FAILED,	/* {0}: reason */
	BR_TXT_RESOLVE_NOT_ON_WA,	/* {0}: digits */
	BR_TXT_RESOLVE_EMAIL,
	BR_TXT_RESOLVE_FOUND,	/* {0}: who */
	BR_TXT_CHAT_EXISTS,	/* {0}: who, {1}: room link */
	BR_TXT_CHAT_CREATED,	/* {0}: who, {1}: room link */
	BR_TXT_CHAT_ROOM_FAILED,
	BR_TXT_CREATE_UNSUPPORTED,
	BR_TXT_MEMBERS_FAILED_ERR,	/* {0}: error */
	BR_TXT_CREATE_FAILED,	/* {0}: reason */
	BR_TXT_CREATE_BAD_TYPE,	/* {0}: type */
	BR_TXT_CREATE_MIN,
	BR_TXT_CREATE_NAME_LONG,
	BR_TXT_CREATE_BAD_USER,	/* {0}: user ID */
	BR_TXT_CREATE_DONE,	/* {0}: group ID, {1}: failures */
	BR_TXT_CREATE_SOME_FAILED,
	BR_TXT_PORTAL_ID_BAD,	/* {0}: error */
	BR_TXT_INVITE_PRIVATE,
	BR_TXT_INVITE_BROADCAST,
	BR_TXT_INVITE_FAILED,	/* {0}: reason */
	BR_TXT_JOIN_USAGE,	/* {0}: prefix */
	BR_TXT_JOIN_FAILED,	/* {0}: reason */
	BR_TXT_JOIN_DONE,	/* {0}: group JID */
	BR_TXT_JOIN_BAD_LINK,
	BR_TXT_JOIN_CHANNEL_FAILED,	/* {0}: reason */
	BR_TXT_SYNC_USAGE,	/* {0}: prefix */
	BR_TXT_SYNC_NOT_PORTAL,	/* {0}: prefix */
	BR_TXT_SYNC_GROUPS_FAILED,	/* {0}: reason */
	BR_TXT_SYNC_QUEUED,	/* {0}: count */
	BR_TXT_SYNC_UNKNOWN,	/* {0}: target */
	BR_TXT_SYNC_UNSUPPORTED,	/* {0}: target */
	BR_TXT_SYNC_CONTACTS_FAILED,	/* {0}: reason */
	BR_TXT_SYNC_APPSTATE_INVALID,	/* {0}: name */
	BR_TXT_SYNC_APPSTATE_NO_KEY,	/* {0}: name, {1}: error */
	BR_TXT_SYNC_APPSTATE_FAILED,	/* {0}: name, {1}: error */
	BR_TXT_SYNC_APPSTATE_CONTACTS,	/* {0}: name */
	BR_TXT_SYNC_APPSTATE_DONE,	/* {0}: name */
	BR_TXT_CHAT_INFO_FAILED,	/* {0}: reason */
	BR_TXT_COUNT
};

/* "en" / "fr" -> 0 and *out; -1 for anything else. */
int br_lang_parse(const char *s, enum br_lang *out);
/* The raw text (borrowed, static). */
const char *br_text(enum br_lang lang, enum br_text_id id);
/* The text with {0} and {1} replaced by a0 and a1 (NULL: ""); owned. */
char *br_text_fmt(enum br_lang lang, enum br_text_id id, const char *a0,
    const char *a1);
/* Markdown subset -> HTML (escaped); owned.  See the file comment. */
char *br_text_md_html(const char *md);

#endif
