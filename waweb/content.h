/*
 * content.h: WhatsApp message content, both directions.  Maps the
 * decrypted E2EMessage protobuf (proto/e2e.proto) to and from one plain,
 * owned struct wa_content that the relay engine reads and fills: text with
 * WhatsApp's formatting marks kept as they are, mentions, replies, media
 * message fields, locations, contacts, polls (creation, and votes with
 * their AES-256-GCM encryption under the poll's message secret),
 * reactions, edits, revokes and group invites.  Also says which stanza
 * attributes a message of each kind must be sent with.
 *
 * Does not: encrypt, upload or download media (waweb/media.c fills and
 * reads the media fields); send or receive stanzas (send_message.c,
 * recv_message.c); keep poll secrets (the caller stores the secret of
 * every poll it sees or sends and hands it back to decrypt a vote);
 * convert formatting to or from Matrix (bridge/format_wa.c).
 *
 * Invariants: wa_content_decode never trusts its input: every count and
 * length is checked against the WA_CONTENT_MAX_* limits below before it is
 * copied, nesting is bounded before protobuf-c recurses, strings are valid
 * UTF-8; a struct wa_content owns every pointer in it and
 * wa_content_free releases them all.  Pure functions, no state, callable
 * from any callback.
 */
#ifndef PONTON_WAWEB_CONTENT_H
#define PONTON_WAWEB_CONTENT_H

#include <stddef.h>
#include <stdint.h>

/* Largest E2EMessage we decode: a text is at most 64 Ki characters and a
 * thumbnail tens of KiB; 2 MiB leaves room and bounds what protobuf-c
 * allocates for a hostile payload. */
#define WA_CONTENT_MAX_BYTES (2u * 1024 * 1024)
/* Nesting of messages (wrappers, quoted messages, edits) we accept: real
 * messages nest 4-6 deep (deviceSent > ephemeral > edited > protocol >
 * message > contextInfo > quoted); protobuf-c recurses without a limit. */
#define WA_CONTENT_MAX_DEPTH 24
/* Any one string (text, caption, vCard, URL): WhatsApp's text limit is
 * 65536 characters, i.e. at most 4 bytes each in UTF-8. */
#define WA_CONTENT_MAX_STRING (4u * 65536)
/* Mentioned JIDs in one message (a mention of every member of the largest
 * group, 1024, with room). */
#define WA_CONTENT_MAX_MENTIONS 1100
/* Poll options: WhatsApp allows 12. */
#define WA_CONTENT_MAX_POLL_OPTIONS 32
/* Contacts in one contactsArrayMessage: WhatsApp's pickers send a few
 * dozen at most; 256 bounds the copy. */
#define WA_CONTENT_MAX_CONTACTS 256
/* Thumbnails (jpegThumbnail / pngThumbnail) we keep. */
#define WA_CONTENT_MAX_THUMBNAIL (512u * 1024)
/* Voice note waveform: WhatsApp sends 64 samples. */
#define WA_CONTENT_MAX_WAVEFORM 256
/* Encrypted poll vote: 32 options of 32-byte hashes, framing, tag. */
#define WA_CONTENT_MAX_VOTE_ENC 2048

#define WA_CONTENT_SECRET_LEN 32	/* messageContextInfo.messageSecret */
#define WA_CONTENT_HASH_LEN 32		/* SHA-256 of a poll option name */
#define WA_CONTENT_VOTE_IV_LEN 12	/* PollEncValue.encIV */
#define WA_CONTENT_MEDIA_KEY_LEN 32
#define WA_CONTENT_SHA256_LEN 32

/* ProtocolMessage.type values we act on (WAE2E ProtocolMessage.Type). */
#define WA_PROTO_REVOKE 0
#define WA_PROTO_EPHEMERAL_SETTING 3
#define WA_PROTO_HISTORY_SYNC_NOTIFICATION 5
#define WA_PROTO_APP_STATE_SYNC_KEY_SHARE 6
#define WA_PROTO_MESSAGE_EDIT 14

/* (Named _type, not _kind: waweb/node.h has an enum wa_content_kind for
 * a node's content.) */
enum wa_content_type {
	WA_CONTENT_TEXT = 1,	/* conversation / extendedTextMessage */
	WA_CONTENT_IMAGE,
	WA_CONTENT_VIDEO,	/* also GIFs (gif_playback) and video notes */
	WA_CONTENT_AUDIO,
	WA_CONTENT_VOICE,	/* audioMessage with ptt */
	WA_CONTENT_DOCUMENT,
	WA_CONTENT_STICKER,
	WA_CONTENT_LOCATION,	/* also live locations (location.live) */
	WA_CONTENT_CONTACT,	/* one vCard: contacts[0] */
	WA_CONTENT_CONTACTS,	/* contactsArrayMessage */
	WA_CONTENT_POLL_CREATE,
	WA_CONTENT_POLL_VOTE,
	WA_CONTENT_REACTION,	/* text "" removes the reaction */
	WA_CONTENT_EDIT,	/* new text in text, target in key */
	WA_CONTENT_REVOKE,	/* "delete for everyone" of key */
	WA_CONTENT_GROUP_INVITE,
	/* A message kind ponton does not bridge: the user should be told
	 * (unsupported_field names the top-level E2EMessage field seen). */
	WA_CONTENT_UNSUPPORTED,
	/* A protocol message the bridge ignores silently (history sync
	 * notification, app-state key share, ephemeral setting...):
	 * protocol_type says which. */
	WA_CONTENT_PROTOCOL_OTHER,
};

/* A message key (WACommon.MessageKey); strings owned, NULL when absent. */
struct wa_content_key {
	char	*chat;		/* remoteJid */
	char	*id;
	int	 from_me;
	char	*participant;	/* the sender in a group */
};

/* Media message fields (image, video, audio, voice, document, sticker).
 * Strings and buffers owned, NULL / 0 when absent; the fixed-size keys
 * have a has_ flag (a wrong-length one on the wire is dropped). */
struct wa_content_media {
	char	*url;
	char	*direct_path;
	char	*mimetype;
	char	*file_name;		/* document */
	char	*title;			/* document */
	uint8_t	 media_key[WA_CONTENT_MEDIA_KEY_LEN];
	int	 has_media_key;
	uint8_t	 file_sha256[WA_CONTENT_SHA256_LEN];
	int	 has_file_sha256;
	uint8_t	 file_enc_sha256[WA_CONTENT_SHA256_LEN];
	int	 has_file_enc_sha256;
	uint64_t file_length;
	int64_t	 media_key_timestamp;
	uint32_t width, height;
	uint32_t seconds;		/* audio, voice, video */
	uint32_t page_count;		/* document */
	int	 gif_playback;		/* video */
	int	 video_note;		/* video sent as ptvMessage */
	int	 animated;		/* sticker */
	int	 view_once;
	uint8_t	*waveform;		/* voice */
	size_t	 waveform_len;
	uint8_t	*thumbnail;		/* jpegThumbnail, sticker pngThumbnail */
	size_t	 thumbnail_len;
};

struct wa_content_location {
	double	 lat, lon;
	char	*name;			/* owned, may be NULL */
	char	*address;		/* owned, may be NULL */
	char	*url;			/* owned, may be NULL */
	int	 live;			/* liveLocationMessage (or isLive) */
};

struct wa_content_contact {
	char	*display_name;		/* owned, may be NULL */
	char	*vcard;			/* owned, may be NULL */
};

struct wa_content_poll {
	char	*name;			/* owned */
	char	**options;		/* owned, noptions names */
	size_t	 noptions;
	uint32_t selectable_count;	/* 0: any number */
};

struct wa_content_vote {
	/* The encrypted PollEncValue as received (or as built). */
	uint8_t	*enc;			/* owned */
	size_t	 enc_len;
	uint8_t	 iv[WA_CONTENT_VOTE_IV_LEN];
	/* After wa_content_vote_decrypt: the selected option hashes. */
	uint8_t	(*hashes)[WA_CONTENT_HASH_LEN];	/* owned */
	size_t	 nhashes;
	int	 decrypted;
	/* After wa_content_vote_match: the names of the selected options
	 * (a hash no option has is left out). */
	char	**options;		/* owned */
	size_t	 noptions;
	int64_t	 sender_timestamp_ms;
};

struct wa_content {
	enum wa_content_type kind;
	/* Text, or a media caption, a reaction's emoji, an edit's new text,
	 * a group invite's caption, the contacts array's display name.
	 * Owned, may be NULL.  WhatsApp formatting marks (*bold* _italic_
	 * ~strike~ ```mono```) are kept as they are. */
	char	*text;
	/* Mentioned JIDs (contextInfo.mentionedJid); owned. */
	char	**mentions;
	size_t	 nmentions;
	/* Reply (contextInfo): stanza_id NULL when not a reply. */
	struct {
		char	*stanza_id;	/* owned */
		char	*participant;	/* owned: the quoted message's sender */
		char	*chat;		/* owned: remoteJid, NULL in 1:1 */
		char	*quoted_text;	/* owned: the quoted message's text, or NULL */
	} reply;
	int	 forwarded;		/* contextInfo.isForwarded */
	uint32_t expiration;		/* contextInfo.expiration (disappearing), 0 */
	int	 ephemeral;		/* came inside ephemeralMessage */
	/* messageContextInfo.messageSecret: a poll's vote key base. */
	uint8_t	 secret[WA_CONTENT_SECRET_LEN];
	int	 has_secret;
	/* Reaction, edit, revoke, poll vote: the message acted on. */
	struct wa_content_key key;
	int64_t	 timestamp_ms;		/* reaction / edit / vote sender time */
	/* EDIT: what the new content is: TEXT (or 0), or IMAGE, VIDEO,
	 * DOCUMENT for a caption edit (text is the new caption; the media
	 * fields set in media are sent along). */
	enum wa_content_type edit_type;
	/* deviceSentMessage.destinationJid when the payload was a copy from
	 * another device of ours; owned, NULL otherwise. */
	char	*dest;
	struct wa_content_media media;
	struct wa_content_location location;
	struct wa_content_contact *contacts;	/* owned, ncontacts */
	size_t	 ncontacts;
	struct wa_content_poll poll;
	struct wa_content_vote vote;
	struct {
		char	*group_jid;	/* owned */
		char	*code;		/* owned */
		int64_t	 expiration;	/* seconds */
		char	*group_name;	/* owned */
	} invite;
	uint32_t unsupported_field;	/* UNSUPPORTED: top-level field number */
	int32_t	 protocol_type;		/* PROTOCOL_OTHER: ProtocolMessage.type */
};

/*
 * Decode a serialized E2EMessage (the unpadded plaintext of an <enc>).
 * Unwraps deviceSentMessage (c->dest), ephemeral, view-once, edited and
 * document-with-caption wrappers.  Fills *c (zeroed first; free it with
 * wa_content_free even on error).  A message kind not bridged is not an
 * error: it decodes as UNSUPPORTED or PROTOCOL_OTHER.  Errors:
 * WA_ERR_MSG_MALFORMED (not a protobuf, or a required part missing: a
 * reaction without key...), WA_ERR_TOO_BIG / WA_ERR_TOO_DEEP (a limit
 * above), WA_ERR_BAD_UTF8.
 */
int wa_content_decode(const uint8_t *p, size_t n, struct wa_content *c);

/*
 * Serialize c as an E2EMessage.  *out is owned (free()).  Kinds
 * UNSUPPORTED and PROTOCOL_OTHER cannot be encoded; a POLL_VOTE must have
 * been encrypted (wa_content_vote_encrypt).  A POLL_CREATE without a
 * secret gets none: the caller sets one (wa_content_poll_new_secret).
 * Errors: WA_ERR_INVALID (kind or fields not encodable: missing key,
 * missing text), WA_ERR_TOO_BIG, WA_ERR_BAD_UTF8.
 */
int wa_content_encode(const struct wa_content *c, uint8_t **out,
    size_t *len);

/* Release everything c owns and zero it.  NULL is a no-op. */
void wa_content_free(struct wa_content *c);

/* What a <message> carrying c must say (whatsmeow send.go
 * getTypeFromMessage / getMediaTypeFromMessage / getEditAttribute).
 * Strings are static; NULL means "leave the attribute out". */
struct wa_content_attrs {
	const char	*type;		/* <message type>: text media reaction poll */
	const char	*edit;		/* <message edit>: "1" edit, "7" sender
					 * revoke / reaction removal, "8" admin
					 * revoke */
	const char	*mediatype;	/* <enc mediatype> (1:1 only) */
	const char	*polltype;	/* <meta polltype>: creation vote */
	int		 decrypt_fail_hide;	/* <enc decrypt-fail="hide"> */
};
void wa_content_stanza_attrs(const struct wa_content *c,
    struct wa_content_attrs *a);
/* The kind's name ("text", "poll_vote"...), static. */
const char *wa_content_kind_name(enum wa_content_type k);

/*
 * Append c's canonical one-line description to b (tests and logs compare
 * it exactly; test/peers/ print the same for what the peers decode):
 *   kind[|name=value]...
 * fields in a fixed order, only those set.  In values a backslash,
 * "|", newline and CR are written as backslash + (backslash | n r); in
 * lists (joined with ",") a "," as backslash + ",".  Bytes in lower-case
 * hex.  docs/whatsapp-content.md lists the fields.
 * Errors: the buffer's (U_ERR_TOO_BIG).
 */
struct u_buf;
int wa_content_line(const struct wa_content *c, struct u_buf *b);

/* --- Polls -------------------------------------------------------------- */

/* Fill c->secret with 32 random bytes (has_secret = 1). */
void wa_content_poll_new_secret(struct wa_content *c);
/* SHA-256 of an option name (what a vote carries). */
void wa_content_poll_option_hash(const char *name,
    uint8_t out[WA_CONTENT_HASH_LEN]);
/*
 * The vote key and additional data for a poll message (whatsmeow
 * msgsecret.go generateMsgSecretKey, Baileys decryptPollVote):
 * key = HKDF-SHA256(secret, salt none, info = poll_id || poll_creator ||
 * voter || "Poll Vote", 32); aad = poll_id "\0" voter.  JIDs are account
 * JIDs without device.  *aad owned.
 */
int wa_content_vote_key(const uint8_t secret[WA_CONTENT_SECRET_LEN],
    const char *poll_id, const char *poll_creator, const char *voter,
    uint8_t key[32], char **aad, size_t *aadlen);
/*
 * Decrypt c->vote (a decoded POLL_VOTE) with the poll's secret; fills
 * c->vote.hashes.  poll_creator: the account that created the poll (the
 * poll key's remoteJid in 1:1 when not from_me, else the voter's
 * own...: the caller knows, it stored the poll); voter: the account
 * that sent the vote.  Errors: WA_ERR_INVALID (not a vote),
 * WA_ERR_MSG_MALFORMED (tag mismatch, bad plaintext), WA_ERR_TOO_BIG.
 */
int wa_content_vote_decrypt(struct wa_content *c,
    const uint8_t secret[WA_CONTENT_SECRET_LEN], const char *poll_creator,
    const char *voter);
/*
 * wa_content_vote_decrypt with every pair of the account forms given
 * (creators: the poll creator's LID and PN JIDs as known; voters: the
 * voter's), until one opens the vote.  Clients differ in the form they
 * use: whatsmeow seals with its own PN as the voter but opens with the
 * sender as the message came (the LID in LID-addressed chats), Baileys
 * uses what it is given (docs/whatsapp-content.md).  Returns the index
 * creator * nv + voter that worked (>= 0), or the last error
 * (WA_ERR_MSG_MALFORMED when no pair opens it).  NULL entries are
 * skipped.
 */
int wa_content_vote_open(struct wa_content *c,
    const uint8_t secret[WA_CONTENT_SECRET_LEN],
    const char *const *creators, size_t nc, const char *const *voters,
    size_t nv);
/* Resolve c->vote.hashes to option names of the poll (options, n):
 * fills c->vote.options. */
int wa_content_vote_match(struct wa_content *c, char *const *options,
    size_t n);
/*
 * Turn c into a POLL_VOTE for the poll c->key (set by the caller: chat,
 * id, from_me, participant) selecting the named options (nsel, may be 0
 * to retract): hashes, encrypts under secret with a random IV.  Errors:
 * WA_ERR_INVALID, WA_ERR_TOO_BIG.
 */
int wa_content_vote_encrypt(struct wa_content *c,
    const uint8_t secret[WA_CONTENT_SECRET_LEN], const char *poll_creator,
    const char *voter, const char *const *selected, size_t nsel);

#endif
