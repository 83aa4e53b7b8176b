/*
 * store.h: the relay engine's persistence layer, on db/.
 *
 * What it does: typed get/insert/update/delete for the bridgev2 core
 * tables mautrix-whatsapp uses ("user", user_login, portal, ghost,
 * message, reaction, user_portal, kv_store, disappearing_message), with
 * upstream's columns and queries (mautrix-go bridgev2/database), so the
 * bridge core never writes SQL and a database can move between ponton
 * and mautrix-whatsapp.
 *
 * What it does not do: no caching, no business rules (who may relay, when
 * a portal gets a room), no schema changes (db_upgrade creates the
 * tables).  Metadata columns are handed over as jansson values; what keys
 * they hold (UserLoginMetadata, PortalMetadata, MessageMetadata... of
 * mautrix-whatsapp's pkg/waid) is the caller's business; docs/database.md
 * lists them.
 *
 * Invariants:
 *  - bridge_id is always '' (one network per process, as upstream).
 *  - Timestamps and durations are Unix nanoseconds (int64), as upstream.
 *  - A NOT NULL jsonb column (metadata, identifiers) left NULL by the
 *    caller is written as {} ([] for identifiers); a nullable one as SQL
 *    NULL.  JSON read back is parsed with duplicate keys rejected and
 *    refused over BR_STORE_JSON_MAX (U_ERR_TOO_BIG).
 *  - Structs returned by getters are owned by the caller (br_*_free);
 *    structs passed to insert/update are borrowed.  Lists are
 *    NULL-terminated arrays freed with the matching br_*_list_free.
 *  - "Not found" is U_ERR_NOT_FOUND; otherwise errors are DB_ERR_* from
 *    db/ (DB_ERR_CONSTRAINT for unique/foreign-key violations) or
 *    U_ERR_INVALID / U_ERR_TOO_BIG for unreadable stored JSON.
 *  - Every call is one short synchronous statement (or a few in a
 *    transaction), which style.md allows; callable from any loop callback.
 */
#ifndef PONTON_BRIDGE_STORE_H
#define PONTON_BRIDGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct db;

/* Largest JSON document read back from a metadata column (1 MiB): far
 * above anything upstream writes, low enough to bound a bad row. */
#define BR_STORE_JSON_MAX (1024 * 1024)

/* A portal key: (id, receiver).  Borrowed strings. */
struct br_portal_key {
	const char	*id;
	const char	*receiver;	/* "" for shared portals */
};

/* ---- "user" ---- */
struct br_user {
	char	*mxid;			/* owned */
	char	*management_room;	/* owned, NULL if none */
	char	*access_token;		/* owned, NULL if none */
};
void br_user_free(struct br_user *u);
int br_store_user_get(struct db *db, const char *mxid, struct br_user **out);
int br_store_user_insert(struct db *db, const struct br_user *u);
int br_store_user_update(struct db *db, const struct br_user *u);
/* Also deletes the user's logins (ON DELETE CASCADE). */
int br_store_user_delete(struct db *db, const char *mxid);

/* ---- user_login ---- */
struct br_login {
	char	*id;		/* owned: phone number digits */
	char	*user_mxid;	/* owned */
	char	*remote_name;	/* owned: "+<number>" */
	json_t	*remote_profile;/* ref, NULL: SQL NULL */
	char	*space_room;	/* owned, NULL if none */
	json_t	*metadata;	/* ref: UserLoginMetadata; NULL writes {} */
};
void br_login_free(struct br_login *l);
void br_login_list_free(struct br_login **v);
int br_store_login_get(struct db *db, const char *id, struct br_login **out);
int br_store_login_list_by_user(struct db *db, const char *user_mxid,
    struct br_login ***out);
/* Logins with a user_portal row for the portal (getAllLoginsInPortal). */
int br_store_login_list_in_portal(struct db *db, struct br_portal_key key,
    struct br_login ***out);
/* Distinct user MXIDs that have at least one login; NULL-terminated. */
int br_store_login_users(struct db *db, char ***out);
void br_strv_free(char **v);
int br_store_login_insert(struct db *db, const struct br_login *l);
int br_store_login_update(struct db *db, const struct br_login *l);
/* Cascades to user_portal; nulls portal.relay_login_id. */
int br_store_login_delete(struct db *db, const char *id);

/* ---- portal ---- */
struct br_portal {
	char	*id;			/* owned: chat JID (ids.h) */
	char	*receiver;		/* owned: login ID or "" */
	char	*mxid;			/* owned, NULL: no room */
	char	*parent_id;		/* owned, NULL: no parent */
	char	*parent_receiver;	/* owned, "" when no parent */
	char	*relay_login_id;	/* owned, NULL: no relay */
	char	*other_user_id;		/* owned, NULL: not a DM */
	char	*name, *topic;		/* owned, never NULL when read */
	char	*avatar_id;		/* owned: WA picture ID */
	char	*avatar_hash;		/* owned: hex SHA-256 or "" */
	char	*avatar_mxc;		/* owned */
	int	 name_set, avatar_set, topic_set, name_is_custom;
	int	 in_space, message_request;
	char	*room_type;		/* owned: "", "dm", "group_dm", "space" */
	char	*disappear_type;	/* owned, NULL: off; "after_read"... */
	int64_t	 disappear_timer;	/* ns; stored only with a type */
	json_t	*cap_state;		/* ref, NULL: SQL NULL */
	json_t	*metadata;		/* ref: PortalMetadata; NULL writes {} */
};
void br_portal_free(struct br_portal *p);
void br_portal_list_free(struct br_portal **v);
int br_store_portal_get(struct db *db, struct br_portal_key key,
    struct br_portal **out);
/* By id with receiver key.receiver or '' (upstream's "uncertain receiver"). */
int br_store_portal_get_any_receiver(struct db *db, struct br_portal_key key,
    struct br_portal **out);
int br_store_portal_get_by_mxid(struct db *db, const char *mxid,
    struct br_portal **out);
/* Portals with a Matrix room. */
int br_store_portal_list_with_room(struct db *db, struct br_portal ***out);
int br_store_portal_list_all(struct db *db, struct br_portal ***out);
int br_store_portal_list_by_relay(struct db *db, const char *login_id,
    struct br_portal ***out);
int br_store_portal_list_children(struct db *db, struct br_portal_key parent,
    struct br_portal ***out);
/* Every DM portal with ghost other_user_id, any receiver [GetAllDMsWith]. */
int br_store_portal_list_dms_with(struct db *db, const char *other_user_id,
    struct br_portal ***out);
/* The DM portal of login receiver with ghost other_user_id. */
int br_store_portal_get_dm(struct db *db, const char *receiver,
    const char *other_user_id, struct br_portal **out);
int br_store_portal_insert(struct db *db, const struct br_portal *p);
/* Updates every column but the key. */
int br_store_portal_update(struct db *db, const struct br_portal *p);
/* Cascades to messages, reactions, user_portal, disappearing_message,
 * backfill_task. */
int br_store_portal_delete(struct db *db, struct br_portal_key key);
/* Re-key a portal (LID migration); children rows follow (ON UPDATE
 * CASCADE).  U_ERR_NOT_FOUND if no such portal. */
int br_store_portal_reid(struct db *db, struct br_portal_key from,
    struct br_portal_key to);

/* ---- ghost ---- */
struct br_ghost {
	char	*id;			/* owned: ghost ID (ids.h) */
	char	*name;			/* owned */
	char	*avatar_id, *avatar_hash, *avatar_mxc;	/* owned */
	int	 name_set, avatar_set, contact_info_set, is_bot;
	json_t	*identifiers;		/* ref: array; NULL writes [] */
	json_t	*extra_profile;		/* ref, NULL: SQL NULL */
	json_t	*metadata;		/* ref: GhostMetadata; NULL writes {} */
};
void br_ghost_free(struct br_ghost *g);
int br_store_ghost_get(struct db *db, const char *id, struct br_ghost **out);
int br_store_ghost_insert(struct db *db, const struct br_ghost *g);
int br_store_ghost_update(struct db *db, const struct br_ghost *g);
/* Cascades to the ghost's messages and reactions. */
int br_store_ghost_delete(struct db *db, const char *id);

/* ---- message ---- */
struct br_message {
	int64_t	 rowid;			/* set by insert */
	char	*id;			/* owned: message ID (ids.h) */
	char	*part_id;		/* owned: "" for WhatsApp */
	char	*mxid;			/* owned: event ID */
	char	*room_id;		/* owned: portal ID */
	char	*room_receiver;		/* owned */
	char	*sender_id;		/* owned: ghost ID */
	char	*sender_mxid;		/* owned, "" if none */
	int64_t	 timestamp;		/* ns */
	int	 edit_count;
	/* -1: NULL, else 0/1.  mautrix-go reads any non-NULL value as
	 * "double puppeted" (it tests validity, not the value), so write -1
	 * for a message that was not. */
	int	 double_puppeted;
	char	*thread_root_id;	/* owned, NULL if none */
	char	*reply_to_id;		/* owned, NULL if none */
	char	*reply_to_part_id;	/* owned, NULL if none */
	char	*send_txn_id;		/* owned, NULL if none */
	json_t	*metadata;		/* ref: MessageMetadata; NULL writes {} */
};
void br_message_free(struct br_message *m);
void br_message_list_free(struct br_message **v);
/* By (receiver or '', id, part_id). */
int br_store_message_get_part(struct db *db, const char *receiver,
    const char *id, const char *part_id, struct br_message **out);
/* Every part of a message, ordered by part_id. */
int br_store_message_list_parts(struct db *db, const char *receiver,
    const char *id, struct br_message ***out);
/* First / last part of a message by part_id. */
int br_store_message_get_first_part(struct db *db, const char *receiver,
    const char *id, struct br_message **out);
int br_store_message_get_last_part(struct db *db, const char *receiver,
    const char *id, struct br_message **out);
int br_store_message_get_by_mxid(struct db *db, const char *mxid,
    struct br_message **out);
int br_store_message_get_by_rowid(struct db *db, int64_t rowid,
    struct br_message **out);
/* A part whose mxid is mxid or whose send_txn_id is txn_id (echo
 * detection), for receiver or ''. */
int br_store_message_get_by_txn(struct db *db, const char *receiver,
    const char *mxid, const char *txn_id, struct br_message **out);
/* The newest part in a portal (timestamp, id, part_id descending). */
int br_store_message_get_last_in_portal(struct db *db,
    struct br_portal_key key, struct br_message **out);
/* The n newest parts, newest first; n in 1..BR_STORE_LIST_N_MAX. */
#define BR_STORE_LIST_N_MAX 10000
int br_store_message_list_last_n(struct db *db, struct br_portal_key key,
    int n, struct br_message ***out);
int br_store_message_get_first_in_portal(struct db *db,
    struct br_portal_key key, struct br_message **out);
/* Newest part at or before ts (ns). */
int br_store_message_get_last_before(struct db *db, struct br_portal_key key,
    int64_t ts, struct br_message **out);
/* Parts with start < timestamp <= end (read receipts), any order. */
int br_store_message_list_between(struct db *db, struct br_portal_key key,
    int64_t start, int64_t end, struct br_message ***out);
/* Newest part at or before ts / oldest after ts whose mxid is not a
 * placeholder ("~fake:..."), for read receipts both ways. */
int br_store_message_get_last_real_before(struct db *db,
    struct br_portal_key key, int64_t ts, struct br_message **out);
int br_store_message_get_first_real_after(struct db *db,
    struct br_portal_key key, int64_t ts, struct br_message **out);
/* First / last message of a thread: the root or a part whose
 * thread_root_id is root_id. */
int br_store_message_get_thread_first(struct db *db, struct br_portal_key key,
    const char *root_id, struct br_message **out);
int br_store_message_get_thread_last(struct db *db, struct br_portal_key key,
    const char *root_id, struct br_message **out);
int br_store_message_count_in_portal(struct db *db, struct br_portal_key key,
    int64_t *out);
/* Inserts and sets m->rowid.  DB_ERR_CONSTRAINT on a duplicate (receiver,
 * id, part_id), mxid or (receiver, send_txn_id), or a missing portal or
 * sender ghost. */
int br_store_message_insert(struct db *db, struct br_message *m);
/* Rewrites every column of the row m->rowid. */
int br_store_message_update(struct db *db, const struct br_message *m);
int br_store_message_delete(struct db *db, int64_t rowid);
/* Deletes every part of a message (for receiver or ''). */
int br_store_message_delete_all_parts(struct db *db, const char *receiver,
    const char *id);

/* ---- reaction ---- */
struct br_reaction {
	char	*message_id;		/* owned */
	char	*message_part_id;	/* owned */
	char	*sender_id;		/* owned: ghost ID */
	char	*sender_mxid;		/* owned, "" if none */
	char	*emoji_id;		/* owned: "" for WhatsApp (one per sender) */
	char	*emoji;			/* owned */
	char	*room_id;		/* owned */
	char	*room_receiver;		/* owned */
	char	*mxid;			/* owned: the reaction event */
	int64_t	 timestamp;		/* ns */
	json_t	*metadata;		/* ref: ReactionMetadata; NULL writes {} */
};
void br_reaction_free(struct br_reaction *r);
void br_reaction_list_free(struct br_reaction **v);
/* Borrowed target of a reaction: the reacted-to message and the sender. */
struct br_reaction_key {
	const char	*room_receiver;
	const char	*message_id;
	const char	*message_part_id;	/* NULL: any part (first) */
	const char	*sender_id;
	const char	*emoji_id;
};
int br_store_reaction_get(struct db *db, struct br_reaction_key k,
    struct br_reaction **out);
int br_store_reaction_get_by_mxid(struct db *db, const char *mxid,
    struct br_reaction **out);
/* All reactions to a message, or by one sender to it (sender_id non-NULL,
 * newest first). */
int br_store_reaction_list_to_message(struct db *db, const char *receiver,
    const char *message_id, const char *sender_id,
    struct br_reaction ***out);
/* All reactions to one part of a message. */
int br_store_reaction_list_to_part(struct db *db, const char *receiver,
    const char *message_id, const char *part_id, struct br_reaction ***out);
/* Insert, or replace emoji/mxid/timestamp/metadata of the same key. */
int br_store_reaction_upsert(struct db *db, const struct br_reaction *r);
/* message_part_id must be set.  U_ERR_NOT_FOUND if nothing was deleted. */
int br_store_reaction_delete(struct db *db, struct br_reaction_key k);

/* ---- user_portal ---- */
struct br_user_portal {
	char	*user_mxid, *login_id;		/* owned */
	char	*portal_id, *portal_receiver;	/* owned */
	int	 in_space, preferred;
	int64_t	 last_read;			/* ns, 0 when NULL */
};
void br_user_portal_free(struct br_user_portal *up);
void br_user_portal_list_free(struct br_user_portal **v);
int br_store_user_portal_get(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key,
    struct br_user_portal **out);
/* The row, created (not in space, not preferred) if missing. */
int br_store_user_portal_get_or_create(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key,
    struct br_user_portal **out);
/* Insert or overwrite in_space, preferred, last_read (0 keeps it). */
int br_store_user_portal_put(struct db *db, const struct br_user_portal *up);
/* Creates the row if needed. */
int br_store_user_portal_set_last_read(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key, int64_t ts);
/* This login becomes the user's preferred one in the portal; the user's
 * other logins there lose the flag. */
int br_store_user_portal_set_preferred(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key);
/* The user's logins in the portal, preferred first, then by login ID. */
int br_store_user_portal_list_for_user(struct db *db, const char *user_mxid,
    struct br_portal_key key, struct br_user_portal ***out);
/* Every login's row in the portal. */
int br_store_user_portal_list_in_portal(struct db *db, struct br_portal_key key,
    struct br_user_portal ***out);
/* Every portal row of one login of a user [GetAllForLogin]. */
int br_store_user_portal_list_for_login(struct db *db, const char *user_mxid,
    const char *login_id, struct br_user_portal ***out);
/* Clears in_space for every row of the portal (space membership reset). */
int br_store_user_portal_mark_all_not_in_space(struct db *db,
    struct br_portal_key key);
int br_store_user_portal_delete(struct db *db, const char *user_mxid,
    const char *login_id, struct br_portal_key key);

/* ---- kv_store ---- */
/* *out owned.  U_ERR_NOT_FOUND if unset. */
int br_store_kv_get(struct db *db, const char *key, char **out);
int br_store_kv_set(struct db *db, const char *key, const char *value);

/* ---- disappearing_message ---- */
struct br_disappearing {
	char	*room_mxid;	/* owned: portal room (mx_room) */
	char	*mxid;		/* owned: event */
	int64_t	 timestamp;	/* ns, of the event */
	char	*type;		/* owned: "after_read" / "after_send" */
	int64_t	 timer;		/* ns */
	int64_t	 disappear_at;	/* ns, 0: not started (NULL) */
};
void br_disappearing_free(struct br_disappearing *d);
void br_disappearing_list_free(struct br_disappearing **v);
/* Insert, or update timer and disappear_at of the same event. */
int br_store_disappearing_put(struct db *db, const struct br_disappearing *d);
int br_store_disappearing_get(struct db *db, const char *mxid,
    struct br_disappearing **out);
/* Start the after_read timers in a room for events at or before read_ts;
 * returns the started rows (disappear_at = now + timer). */
int br_store_disappearing_start(struct db *db, const char *room_mxid,
    int64_t read_ts, int64_t now, struct br_disappearing ***out);
/* Started rows with disappear_at < before, soonest first, at most limit
 * (1..BR_STORE_LIST_N_MAX). */
int br_store_disappearing_list_ready(struct db *db, int64_t before, int limit,
    struct br_disappearing ***out);
int br_store_disappearing_delete(struct db *db, const char *mxid);

#endif
