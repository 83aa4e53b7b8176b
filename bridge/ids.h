/*
 * ids.h: mautrix-whatsapp's network ID formats, as strings.
 *
 * What it does: builds and parses the IDs the bridge core stores in the
 * database (mautrix-whatsapp.md §5.5, pkg/waid upstream): portal IDs and
 * receivers from chat JIDs, ghost (user) IDs from user JIDs, ghost MXIDs
 * from the username template and back, composite message IDs and fake
 * message IDs.  A database written by mautrix-whatsapp must be readable, so
 * the formats are upstream's to the byte.
 *
 * What it does not do: no WhatsApp logic beyond the JID text form; it does
 * not include waweb/ (remote IDs are opaque strings across module
 * boundaries, style.md), so the JID syntax is parsed here with a small
 * parser of its own: "user@server", "user:device@server",
 * "user.agent:device@server", or a bare "server".
 *
 * Invariants: every input is untrusted; strings longer than BR_ID_MAX are
 * refused before anything is allocated; every returned string is owned by
 * the caller (free()).  Errors: U_ERR_INVALID (malformed), U_ERR_TOO_BIG
 * (over a limit), U_ERR_NOT_FOUND (well-formed but no such ID exists, e.g.
 * a ghost for a group JID, or an MXID that is not one of our ghosts).
 * All functions are pure and may be called from any callback.
 */
#ifndef PONTON_BRIDGE_IDS_H
#define PONTON_BRIDGE_IDS_H

#include <stdint.h>

/*
 * Longest ID string accepted or produced.  WhatsApp JIDs are well under
 * 64 bytes and message IDs under 128; a message ID holds two JIDs and a
 * WA ID, so 512 leaves room without letting a stranger make us allocate.
 */
#define BR_ID_MAX 512
/* The Matrix spec limits a user ID to 255 bytes. */
#define BR_MXID_MAX 255
/* Parts of a JID: the user part (phone, LID, group ID) and the server. */
#define BR_JID_USER_MAX 128
#define BR_JID_SERVER_MAX 32

/* JID servers (whatsmeow types.*Server). */
#define BR_SERVER_USER "s.whatsapp.net"
#define BR_SERVER_GROUP "g.us"
#define BR_SERVER_LEGACY_USER "c.us"
#define BR_SERVER_BROADCAST "broadcast"
#define BR_SERVER_LID "lid"
#define BR_SERVER_MESSENGER "msgr"
#define BR_SERVER_INTEROP "interop"
#define BR_SERVER_NEWSLETTER "newsletter"
#define BR_SERVER_HOSTED "hosted"
#define BR_SERVER_HOSTED_LID "hosted.lid"
#define BR_SERVER_BOT "bot"

/* Ghost ID prefixes for non-phone users (pkg/waid). */
#define BR_GHOST_PREFIX_LID "lid-"
#define BR_GHOST_PREFIX_BOT "bot-"

/* A parsed JID; plain value, no heap. */
struct br_jid {
	char		user[BR_JID_USER_MAX + 1];	/* may be "" */
	char		server[BR_JID_SERVER_MAX + 1];	/* never "" */
	unsigned	agent;		/* raw agent, 0..255 */
	unsigned	device;		/* 0..65535 */
};

/*
 * Parse a JID string.  The user part must be non-empty when '@' is
 * present; agent and device are decimal and in range; at most one '@',
 * one '.' in the user part (the agent separator) and one ':'.  No control
 * characters or spaces anywhere.  0 and *out filled, or U_ERR_INVALID /
 * U_ERR_TOO_BIG.
 */
int br_jid_parse(const char *s, struct br_jid *out);
/* The string form (whatsmeow JID.String()); owned. */
char *br_jid_string(const struct br_jid *j);
/* The string form without agent and device (ToNonAD().String()); owned. */
char *br_jid_string_non_ad(const struct br_jid *j);

/* Portal ID of a chat: the chat JID without agent/device.  *out owned. */
int br_id_portal(const char *chat_jid, char **out);
/*
 * The portal receiver: login_id for chats on s.whatsapp.net, lid, bot and
 * broadcast (DMs, bots, status, broadcast lists), "" for groups,
 * newsletters and everything else unless split_portals is set (then
 * login_id everywhere).  *out owned.
 */
int br_id_portal_receiver(const char *chat_jid, const char *login_id,
    int split_portals, char **out);

/*
 * Ghost ID of a user JID: the number on s.whatsapp.net, "lid-<n>" on lid,
 * "bot-<n>" on bot.  Other servers have no ghost: U_ERR_NOT_FOUND.
 */
int br_id_ghost(const char *user_jid, char **out);
/* Inverse: the user JID (non-AD) for a ghost ID.  "" is U_ERR_INVALID. */
int br_id_ghost_jid(const char *ghost_id, char **out);
/*
 * Login ID of a user JID: the number, only for s.whatsapp.net (else
 * U_ERR_NOT_FOUND).  And the device JID of a login: "<id>:<dev>@s.whatsapp.net"
 * ("<id>@s.whatsapp.net" for device 0).
 */
int br_id_login(const char *user_jid, char **out);
int br_id_login_device_jid(const char *login_id, unsigned device, char **out);

/*
 * Ghost MXID from the username template (bridge config
 * appservice.username_template, e.g. "whatsapp_{{.}}") and the homeserver
 * domain: "@whatsapp_<ghost id>:<domain>".  The template must print the ID
 * exactly once, as "{{.}}", "{{ . }}" or "{{- . -}}" (what the config
 * accepts); the rest may not hold spaces, ':' or '@'.  U_ERR_INVALID, or
 * U_ERR_TOO_BIG if the MXID would pass BR_MXID_MAX.
 */
int br_id_ghost_mxid(const char *tmpl, const char *domain,
    const char *ghost_id, char **out);
/*
 * Inverse: the ghost ID if mxid is "@<prefix><id><suffix>:<domain>" for
 * this template and domain and <id> is non-empty; U_ERR_NOT_FOUND if it is
 * another user, U_ERR_INVALID if the template is bad.
 */
int br_id_ghost_from_mxid(const char *tmpl, const char *domain,
    const char *mxid, char **out);

/*
 * Message ID "<chat>:<sender>:<wa id>", both JIDs without agent/device.
 * If alt_sender_jid is non-NULL and the chat is a LID chat, a phone-number
 * sender is replaced by a LID alt sender (upstream's
 * MakeMessageIDWithAltSender).  The WA ID must be non-empty and printable.
 */
int br_id_message(const char *chat_jid, const char *sender_jid,
    const char *alt_sender_jid, const char *wa_id, char **out);
/* "fake:<chat>:<sender>:<data>", a placeholder for bridge-made messages. */
int br_id_message_fake(const char *chat_jid, const char *sender_jid,
    const char *data, char **out);

/* A message ID split into its parts; owned strings. */
struct br_msgid {
	char	*chat;		/* owned: chat JID string, as stored */
	char	*sender;	/* owned: sender JID string, as stored */
	char	*wa_id;		/* owned: WhatsApp message ID */
};
/*
 * Split on the first two ':'; both JIDs must parse.  A fake ID ("fake:..."
 * or a WA part starting "FAKE::") is U_ERR_NOT_FOUND (it names no real
 * WhatsApp message), anything else malformed U_ERR_INVALID.
 */
int br_id_message_parse(const char *id, struct br_msgid *out);
void br_msgid_clear(struct br_msgid *m);
/* 1 if id is a fake message ID (either form), else 0. */
int br_id_message_is_fake(const char *id);

#endif
