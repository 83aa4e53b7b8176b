/*
 * history.h: history sync (wa-protocol.md §11).  Right after pairing, the
 * account's phone sends the new companion a ProtocolMessage of type
 * HISTORY_SYNC_NOTIFICATION (5) naming an encrypted, zlib-compressed
 * HistorySync blob (mms type md-msg-hist, "WhatsApp History Keys"), or
 * carrying it inline (initialHistBootstrapInlinePayload).  The blob holds
 * the account's chats (conversations) with their last messages
 * (WebMessageInfo: key, E2E message, timestamp, push name).
 *
 * What it does: recognise a notification in a decrypted message and read
 * it (wa_hist_notif_parse; only from our own account, as whatsmeow's
 * handleProtocolMessage: a stranger cannot push history), the download
 * reference of its blob, inflate with a cap, parse the HistorySync into
 * borrowed, validated views (wa_hist_sync_parse): each conversation's
 * messages sorted oldest first, each message's E2E payload left for
 * waweb/content.c to decode.
 *
 * What it does not: download (waweb/media.h does, the caller starts it),
 * send anything (the caller sends the hist_sync receipt built here, and
 * the receiver its ordinary delivery receipt and ack), storage,
 * portals (bridge/history.c), status messages, pushname-only or
 * non-blocking syncs beyond their push names, on-demand requests.
 *
 * Limits (named below, checked before anything is kept): the inflated
 * blob, the conversations and messages per conversation handed over, the
 * lengths of ids.  A conversation or message that breaks a rule (no id, a
 * JID that does not parse, a message without key) is skipped, not fatal:
 * one bad chat must not lose the others.
 *
 * Invariants: pure functions over bytes, no I/O; everything returned
 * points into an owned struct wa_hist_sync and is valid until it is freed.
 */
#ifndef PONTON_WAWEB_HISTORY_H
#define PONTON_WAWEB_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/media.h"

/* ProtocolMessage.type of a history sync notification. */
#define WA_HIST_PROTOCOL_TYPE 5
/* HistorySync.syncType values (waHistorySync.HistorySync_HistorySyncType). */
#define WA_HIST_INITIAL_BOOTSTRAP 0
#define WA_HIST_INITIAL_STATUS_V3 1
#define WA_HIST_FULL 2
#define WA_HIST_RECENT 3
#define WA_HIST_PUSH_NAME 4
#define WA_HIST_NON_BLOCKING_DATA 5
#define WA_HIST_ON_DEMAND 6

/*
 * The inflated HistorySync may be at most this large: a phone's initial
 * bootstrap is a few MiB of the last months' messages; a 64 MiB cap keeps
 * a decompression bomb from taking the process down while leaving room for
 * big accounts (the compressed download is capped by wa_media_max).
 */
#define WA_HIST_INFLATED_MAX ((size_t)64 << 20)
/* Conversations handed over from one blob (upstream creates at most
 * max_initial_conversations portals anyway). */
#define WA_HIST_CONV_MAX 10000
/* Messages per conversation handed over (the newest ones are kept:
 * backfill takes at most max_initial_messages of them). */
#define WA_HIST_MSG_MAX 1000
/* Messages of one blob handed over in all (past it, later chats lose
 * theirs): each costs the caller some memory, and 64 MiB of tiny
 * messages would be millions. */
#define WA_HIST_TOTAL_MSG_MAX 100000
/* Push names and phone-number <-> LID pairs handed over. */
#define WA_HIST_PUSHNAME_MAX 10000
#define WA_HIST_PNLID_MAX 10000
/* Longest chat/user JID and message id accepted. */
#define WA_HIST_JID_MAX 128
#define WA_HIST_ID_MAX 128

/* A history sync notification, as parsed (owned by the caller). */
struct wa_hist_notif {
	int		 sync_type;
	uint32_t	 chunk_order, progress;
	char		*direct_path;		/* owned, NULL if inline */
	uint8_t		 media_key[WA_MEDIA_KEY_LEN];
	uint8_t		 file_sha256[WA_MEDIA_SHA_LEN];
	uint8_t		 file_enc_sha256[WA_MEDIA_SHA_LEN];
	int		 has_file_sha256, has_file_enc_sha256;
	uint64_t	 file_length;
	uint8_t		*inline_payload;	/* owned, NULL if downloaded */
	size_t		 inline_len;
};
void wa_hist_notif_free(struct wa_hist_notif *n);

/*
 * Is the decrypted E2E message payload (deviceSentMessage unwrapped) a
 * history sync notification?  from_me: it came from another device of our
 * own account; anything else is never one (returns 0).  1 and *out
 * (owned) when it is one that we can fetch; 0 when it is not a
 * notification; WA_ERR_MSG_MALFORMED when it is one but unusable (no
 * media key or path and no inline payload, bad key length, path not
 * starting with '/' or over WA_MEDIA_PATH_MAX); the caller acks it then.
 */
int wa_hist_notif_parse(const uint8_t *payload, size_t n, int from_me,
    struct wa_hist_notif **out);

/*
 * Is a received message from another device of our own account (the
 * phone)?  A peer message from the phone carries no recipient, so the
 * receiver's from_me is not enough: the sender is compared with our
 * device's phone-number and LID accounts.  dev may be NULL (then 0).
 */
struct wa_device;
struct wa_msg_event;
int wa_hist_from_own(const struct wa_device *dev,
    const struct wa_msg_event *ev);

/*
 * The receipt whatsmeow sends for a history sync notification (its
 * sendProtocolMessageReceipt): <receipt id=msg_id type="hist_sync"
 * to=own/>, own our account's JID without device.  Owned; NULL for a
 * missing id or a bad JID.
 */
struct wa_node;
struct wa_node *wa_hist_receipt_node(const char *msg_id, const char *own);

/* The download reference of a notification without inline payload
 * (fields borrowed from nt).  U_ERR_INVALID when it is inline. */
int wa_hist_notif_ref(const struct wa_hist_notif *nt,
    struct wa_media_ref *ref);

/*
 * zlib-inflate in (n bytes) into *out (owned, *outlen bytes), refusing to
 * grow past max.  Errors: WA_ERR_TOO_BIG (past max), WA_ERR_INFLATE (not
 * zlib, truncated, trailing garbage).
 */
int wa_hist_inflate(const uint8_t *in, size_t n, size_t max, uint8_t **out,
    size_t *outlen);

/* One message of a conversation, as the phone stored it. */
struct wa_hist_msg {
	const char	*id;		/* WhatsApp message id */
	const char	*chat;		/* the conversation's JID (key.remoteJid) */
	/* Groups: the participant who sent it (WebMessageInfo.participant
	 * or key.participant); NULL in DMs and for our own messages. */
	const char	*participant;
	int		 from_me;
	uint64_t	 timestamp;	/* seconds */
	const char	*push_name;	/* NULL if none */
	/* The serialized E2E Message (may be empty: a stub, e.g. "group
	 * created"; such messages are skipped unless payload_len > 0). */
	const uint8_t	*payload;
	size_t		 payload_len;
	/* The whole serialized WebMessageInfo (the history tables keep it). */
	const uint8_t	*raw;
	size_t		 raw_len;
	size_t		 blob_index;	/* place in the blob (newest first) */
};

struct wa_hist_conv {
	const char	*id;		/* chat JID (group, PN or LID user) */
	const char	*pn_jid;	/* phone form of a LID chat, or NULL */
	const char	*name;		/* name or display name, or NULL */
	uint64_t	 last_msg_ts;	/* seconds: lastMsgTimestamp, else
					 * conversationTimestamp, else the
					 * newest message */
	uint32_t	 unread_count;
	int		 archived, marked_unread;
	uint32_t	 pinned;	/* a timestamp, 0: not pinned */
	uint64_t	 mute_end;
	uint32_t	 ephemeral_expiration;
	int64_t		 ephemeral_setting_ts;
	int		 end_of_history_type;	/* -1: not given */
	struct wa_hist_msg *msgs;	/* oldest first */
	size_t		 n_msgs;
};

struct wa_hist_pushname {
	const char	*id;		/* user JID */
	const char	*name;
};

/* A user's phone-number and LID accounts (phoneNumberToLidMappings). */
struct wa_hist_pnlid {
	const char	*pn;		/* "<digits>@s.whatsapp.net" */
	const char	*lid;		/* "<n>@lid" */
};

struct wa_hist_sync {
	int		 sync_type;
	uint32_t	 chunk_order, progress;
	struct wa_hist_conv *convs;	/* in the blob's order */
	size_t		 n_convs;
	struct wa_hist_pushname *pushnames;
	size_t		 n_pushnames;
	struct wa_hist_pnlid *pnlids;	/* both sides checked */
	size_t		 n_pnlids;
	size_t		 skipped;	/* conversations or messages dropped
					 * (malformed or over a limit) */
	size_t		 n_msgs_total;	/* messages in all convs */
	void		*impl;		/* owned: the unpacked protobufs */
};
void wa_hist_sync_free(struct wa_hist_sync *s);

/*
 * Parse an inflated HistorySync.  *out owned on success.  Errors:
 * WA_ERR_MSG_MALFORMED (not a HistorySync), WA_ERR_TOO_BIG (n over
 * WA_HIST_INFLATED_MAX).
 */
int wa_hist_sync_parse(const uint8_t *p, size_t n, struct wa_hist_sync **out);
/* wa_hist_inflate (WA_HIST_INFLATED_MAX) then wa_hist_sync_parse. */
int wa_hist_sync_decode(const uint8_t *compressed, size_t n,
    struct wa_hist_sync **out);

#endif
