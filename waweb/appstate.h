/*
 * appstate.h: WhatsApp app-state sync ("syncd", wa-protocol.md §10) for a
 * companion device: app-state keys shared by the phone, fetching the
 * server's encrypted collections (snapshot + patches, inline or as
 * external blobs), verifying every MAC and the LTHash, and reporting
 * contacts (ContactAction) and our push name (PushNameSetting).
 *
 * API STATUS: final (H15/H16 code against it).  Additions may come at the
 * end of structs (never reordering), with defaults meaning "as before".
 *
 * Keys.  The phone sends ProtocolMessage{type APP_STATE_SYNC_KEY_SHARE
 * (6), appStateSyncKeyShare (7)} to our own account's devices; only a
 * share sent from our own account is accepted (as whatsmeow and
 * Baileys).  Key data is expanded with HKDF-SHA256(info "WhatsApp
 * Mutation Keys", 160 bytes) into the index, value-encryption, value-MAC,
 * snapshot-MAC and patch-MAC keys.
 *
 * Fetch.  One <iq xmlns=w:sync:app:state type=set to=s.whatsapp.net>
 * <sync><collection name return_snapshot [version]/></sync></iq> per
 * collection at a time (as whatsmeow), repeated while the reply says
 * has_more_patches.  Version 0 (never synced, or a full sync) asks for a
 * snapshot.  External blobs (snapshot; externalMutations of a patch) are
 * downloaded with waweb/media.h as WA_MEDIA_APP_STATE.
 *
 * Verification (all of it, like whatsmeow with validateMACs): value MAC
 * (HMAC-SHA512 truncated to 32 over op+1, key id, iv||ciphertext, 8-byte
 * BE len(keyID)+1), index MAC (HMAC-SHA256 of the plaintext index JSON),
 * LTHash (128 bytes, "WhatsApp Patch Integrity") with SET adding its value
 * MAC and any SET or REMOVE subtracting the index's previous value MAC
 * (earlier in the same patch, else the stored one), snapshot MAC
 * (HMAC-SHA256(ltHash || BE64 version || name)) and patch MAC
 * (HMAC-SHA256(snapshotMAC || each value MAC || BE64 version || name)).
 * Patches are applied one by one: each verified patch is stored (version,
 * hash, mutation MACs and its contact rows, in one transaction when the
 * store has appstate_txn) and its actions reported before the next one is
 * looked at.  On any failure the collection stays at the last good
 * version, on_error is called, and nothing of the failing patch is stored
 * or reported (whatsmeow also keeps what earlier patches applied).  A SET
 * after a REMOVE of the same index in one patch has no previous value, as
 * in current whatsmeow (the version test/peers/whatsmeow pins subtracts
 * the REMOVE's value MAC; test/wa/64 records the difference).  Mutation
 * rows are kept as whatsmeow keeps them: a SET over an older SET adds a
 * row at the new version (lookups take the newest), a REMOVE deletes the
 * index's rows.  A reply saying has_more_patches without moving the
 * version ends the fetch with WA_ERR_APPSTATE_VERSION.
 *
 * Missing key: on_error(name, WA_ERR_APPSTATE_NO_KEY); the collection is
 * remembered as waiting, and fetched again as soon as a key share arrives
 * (any share: whatsmeow resyncs every collection not synced yet then).  No
 * APP_STATE_SYNC_KEY_REQUEST peer message is sent (the phone shares keys
 * with a new companion by itself).
 *
 * Actions: ["contact", <jid>] SET (ContactAction: stored in
 * whatsmeow_contacts via contact_put_name, then on_contact) and
 * ["setting_pushName"] SET (on_push_name).  Every other index, and every
 * REMOVE, only updates the hashes (logged at debug), as whatsmeow dispatches
 * only SETs.
 *
 * Does not: send app-state patches (mute, pin, mark read...), history
 * sync, the 2026 LID-migration index hack, app-state recovery.
 *
 * Threading: loop thread only; callbacks run from the loop (from inside
 * wa_appstate_handle_message / wa_appstate_apply when those apply things
 * synchronously).  A callback may call wa_appstate_fetch but not
 * wa_appstate_free.
 */
#ifndef PONTON_WAWEB_APPSTATE_H
#define PONTON_WAWEB_APPSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "waweb/client.h"
#include "waweb/media.h"
#include "waweb/store.h"

struct wa_node;
struct wa_msg_event;
struct wa_msg_sender;
struct wa_msg_send_opts;

/* The five collections, in whatsmeow's AllPatchNames order. */
#define WA_APPSTATE_NCOLLECTIONS 5
extern const char *const wa_appstate_collections[WA_APPSTATE_NCOLLECTIONS];
/* 1 if name is one of them, else 0. */
int wa_appstate_collection_known(const char *name);

/*
 * Limits (checked before allocating; a reply or blob passing one is refused
 * with WA_ERR_APPSTATE_MALFORMED or WA_ERR_TOO_BIG, never truncated):
 */
/* Patches in one <collection> reply (the server sends at most a few
 * hundred before has_more_patches). */
#define WA_APPSTATE_MAX_PATCHES		1000
/* Mutations in one patch, or records in one snapshot (an address book of
 * 50k contacts fits). */
#define WA_APPSTATE_MAX_MUTATIONS	100000
/* One external blob (snapshot or mutations), decrypted. */
#define WA_APPSTATE_MAX_BLOB		((size_t)64 << 20)
/* One patch or snapshot reference inline in the reply. */
#define WA_APPSTATE_MAX_INLINE		((size_t)16 << 20)
/* The index JSON of one mutation (["contact","<jid>"] is ~40 bytes). */
#define WA_APPSTATE_MAX_INDEX		4096
/* Elements of one index array. */
#define WA_APPSTATE_MAX_INDEX_PARTS	16
/* An app-state key id (real ones are 6 bytes) and key data (32 bytes). */
#define WA_APPSTATE_KEY_ID_MAX		64
#define WA_APPSTATE_KEY_DATA_LEN	32
/* Keys in one share message. */
#define WA_APPSTATE_MAX_SHARE_KEYS	256
/* The fingerprint protobuf kept with a key. */
#define WA_APPSTATE_FINGERPRINT_MAX	1024
/* Key ids in one APP_STATE_SYNC_KEY_REQUEST, and how long a key id asked
 * for is not asked for again (whatsmeow: 24 hours). */
#define WA_APPSTATE_KEY_REQUEST_MAX	16
#define WA_APPSTATE_KEY_REQUEST_MS	(24ull * 60 * 60 * 1000)
/* Key ids whose last request time is remembered (oldest forgotten). */
#define WA_APPSTATE_KEY_REQUEST_SLOTS	64
/* has_more_patches rounds for one fetch before we give up. */
#define WA_APPSTATE_MAX_ROUNDS		10000

#define WA_APPSTATE_HASH_LEN		128	/* LTHash state */
#define WA_APPSTATE_MAC_LEN		32	/* index MAC, value MAC */

/* What a ContactAction SET says; strings borrowed for the call. */
struct wa_appstate_contact {
	const char	*jid;		/* index[1] as sent: "<user>@s.whatsapp.net"
					 * or "<user>@lid" */
	const char	*full_name;	/* NULL if absent */
	const char	*first_name;	/* NULL if absent */
	const char	*lid_jid;	/* ContactAction.lidJID, NULL if absent */
	const char	*pn_jid;	/* ContactAction.pnJID, NULL if absent */
	const char	*username;	/* ContactAction.username, NULL if absent */
	const char	*collection;	/* the collection it came from */
	int		 full_sync;	/* from a snapshot (version-0 fetch) */
};

struct wa_appstate_cbs {
	/* A ContactAction SET (already stored with contact_put_name). */
	void	(*on_contact)(void *arg, const struct wa_appstate_contact *c);
	/* A PushNameSetting SET: our own push name. */
	void	(*on_push_name)(void *arg, const char *name);
	/* One fetch of a collection completed (no has_more_patches left). */
	void	(*on_synced)(void *arg, const char *collection,
		    uint64_t version);
	/* A fetch failed (WA_ERR_APPSTATE_*, a store, media or iq error);
	 * the collection stays at its last good version. */
	void	(*on_error)(void *arg, const char *collection, int err);
};

struct wa_appstate_opts {
	/* Borrowed; must outlive the wa_appstate.  NULL: offline (tests,
	 * fuzzing): wa_appstate_fetch fails with WA_ERR_NOT_CONNECTED. */
	struct wa_client		*client;
	/* Borrowed; NULL: external blobs cannot be fetched (a reply that
	 * needs one fails with WA_ERR_APPSTATE_NO_MEDIA). */
	struct wa_media			*media;
	/* Borrowed; must provide the appstate_* ops (contact_put_name too). */
	const struct wa_store_ops	*ops;
	void				*store_arg;
	/* The device JID keying the store rows (whatsmeow's jid/our_jid
	 * columns).  NULL: the client's device JID at each use. */
	const char			*our_jid;
	/*
	 * Tests: stand-ins for wa_client_send_iq (same contract: takes the
	 * iq, calls cb exactly once unless it returns an error) and
	 * wa_media_download (same contract).  NULL: the real ones.  With
	 * send_iq set the client may be NULL and is not asked whether it is
	 * connected.
	 */
	int	(*send_iq)(void *hook_arg, struct wa_node *iq, wa_iq_cb cb,
		    void *cb_arg);
	int	(*download)(void *hook_arg, const struct wa_media_ref *ref,
		    wa_media_download_fn cb, void *cb_arg);
	void	*hook_arg;
	/*
	 * Asking our phone for missing keys (added by H21).  Borrowed; NULL:
	 * no key request is sent (as before).  When a fetch stops on a
	 * missing key, every key id of the reply we do not have (snapshot,
	 * patches, their mutations: at most WA_APPSTATE_KEY_REQUEST_MAX) that
	 * was not asked for in the last WA_APPSTATE_KEY_REQUEST_MS goes in
	 * one ProtocolMessage{type APP_STATE_SYNC_KEY_REQUEST (7),
	 * appStateSyncKeyRequest (8) {keyIds}} sent with
	 * wa_msg_send(.peer = 1, .push_priority = "high") to our own phone
	 * number (device 0), as whatsmeow's requestMissingAppStateKeys.
	 */
	struct wa_msg_sender		*sender;
	/* Tests: stand-in for that wa_msg_send (to: our PN account; payload
	 * the serialized E2EMessage; o as above); returns 0 or an error. */
	int	(*send_msg)(void *hook_arg, const char *to,
		    const uint8_t *payload, size_t len,
		    const struct wa_msg_send_opts *o);
	/* Tests: the clock for the rate limit, in ms.  NULL: monotonic. */
	uint64_t (*now_ms)(void *hook_arg);
};

struct wa_appstate;

/* A new app-state handle (opts copied; our_jid copied).  Never NULL. */
struct wa_appstate *wa_appstate_new(const struct wa_appstate_opts *opts,
    const struct wa_appstate_cbs *cbs, void *arg);
/* Pending iqs and downloads are forgotten (their callbacks see a freed
 * handle never: they are cancelled).  NULL is a no-op.  Not from one of
 * its callbacks. */
void wa_appstate_free(struct wa_appstate *as);

/*
 * A decrypted message (recv_message's event; ev borrowed): returns 1 if it
 * was an app-state key share from our own account (keys stored, then
 * every collection waiting for a key, and every collection never synced,
 * is fetched), 0 if it is not ours to handle (the caller handles it as
 * usual; a key share from someone else is 0 and logged).  The caller
 * should still return 0 from on_message for a handled share (it is
 * stored) so that it gets its receipt and ack.
 */
int wa_appstate_handle_message(struct wa_appstate *as,
    const struct wa_msg_event *ev);

/*
 * A stanza from the client's on_node: 1 if it was <notification
 * type=server_sync> (acked HERE with wa_client_send_ack, then each named
 * <collection> fetched), else 0 and untouched.
 */
int wa_appstate_handle_node(struct wa_appstate *as, const struct wa_node *n);

/*
 * Fetch these collections now (names NULL: all five; unknown names are
 * refused with U_ERR_INVALID before anything starts); full: drop the stored
 * state and start again from a snapshot.  A collection already being
 * fetched is fetched once more after the current round.  Returns 0 (results
 * come through on_synced / on_error), U_ERR_INVALID, WA_ERR_NOT_CONNECTED.
 */
int wa_appstate_fetch(struct wa_appstate *as, const char *const *names,
    size_t n, int full);

/*
 * Store keys from a serialized AppStateSyncKeyShare (as found in a
 * ProtocolMessage), without the fetches handle_message starts.  *stored
 * (may be NULL) gets how many keys were stored.  Errors:
 * WA_ERR_APPSTATE_MALFORMED, store errors.
 */
int wa_appstate_store_key_share(struct wa_appstate *as, const uint8_t *p,
    size_t n, unsigned *stored);

/* --- Pieces, exposed for the unit tests, the fuzzer and tools --------- */

struct wa_appstate_keys {
	uint8_t	index[32];
	uint8_t	value_enc[32];
	uint8_t	value_mac[32];
	uint8_t	snapshot_mac[32];
	uint8_t	patch_mac[32];
};
/* HKDF-SHA256(data, no salt, "WhatsApp Mutation Keys", 160), split. */
int wa_appstate_expand_keys(const uint8_t *data, size_t n,
    struct wa_appstate_keys *out);

/* LTHash "WhatsApp Patch Integrity": add / subtract one value MAC. */
void wa_appstate_lthash_add(uint8_t hash[WA_APPSTATE_HASH_LEN],
    const uint8_t *item, size_t n);
void wa_appstate_lthash_sub(uint8_t hash[WA_APPSTATE_HASH_LEN],
    const uint8_t *item, size_t n);

/* The value MAC of one mutation (op 0 SET, 1 REMOVE). */
void wa_appstate_value_mac(const struct wa_appstate_keys *k, int op,
    const uint8_t *key_id, size_t key_id_len, const uint8_t *iv_ct,
    size_t iv_ct_len, uint8_t out[WA_APPSTATE_MAC_LEN]);
/* HMAC-SHA256(snapshot-MAC key, hash || BE64 version || name). */
void wa_appstate_snapshot_mac(const struct wa_appstate_keys *k,
    const uint8_t hash[WA_APPSTATE_HASH_LEN], uint64_t version,
    const char *name, uint8_t out[32]);

/*
 * Apply already-downloaded data for collection name synchronously, as the
 * fetch does with a reply: snapshot (a SyncdSnapshot, may be NULL; only
 * with a fresh state), then each patch (SyncdPatch) in order; ext[i] (may
 * be NULL, or hold NULL entries) is patch i's downloaded SyncdMutations
 * when the patch names externalMutations.  Verified patches are stored and
 * reported as they go.  full_sync marks the contacts reported.  Returns 0
 * or the first error (also reported through on_error).
 */
int wa_appstate_apply(struct wa_appstate *as, const char *name,
    const uint8_t *snapshot, size_t snapshot_len,
    const uint8_t *const *patches, const size_t *patch_lens, size_t npatches,
    const uint8_t *const *ext, const size_t *ext_lens, int full_sync);

/* The stored version and hash of a collection (0 and zeros if none). */
int wa_appstate_state(struct wa_appstate *as, const char *name,
    uint64_t *version, uint8_t hash[WA_APPSTATE_HASH_LEN]);

/*
 * Build one mutation record for tests and tools (and, later, outgoing
 * patches): SyncActionData{index = index_json, value = action (a
 * serialized SyncActionValue, may be empty), padding none, version} is
 * encrypted with iv (16 bytes; NULL: random) and MACed with keys.  *out
 * (owned, *out_len bytes) is a serialized SyncdMutation{operation, record
 * {index{indexMAC}, value{iv||ct||valueMAC}, keyID}}; value_mac (may be
 * NULL) receives its value MAC.
 */
int wa_appstate_encode_mutation(const struct wa_appstate_keys *k, int op,
    const uint8_t *key_id, size_t key_id_len, const char *index_json,
    const uint8_t *action, size_t action_len, int32_t version,
    const uint8_t *iv, uint8_t **out, size_t *out_len,
    uint8_t value_mac[WA_APPSTATE_MAC_LEN]);

#endif
