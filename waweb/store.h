/*
 * store.h: what the WhatsApp client keeps between runs, reached as callbacks.
 *
 * waweb/ never touches a database: the caller hands the client a
 * `struct wa_store_ops` plus an opaque `arg` (as libsignal's stores do).
 * bridge/wa_store_db.c implements it on db/ with mautrix-whatsapp's tables
 * (whatsmeow_device, whatsmeow_pre_keys, kv_store) so an existing
 * mautrix-whatsapp database keeps working; waweb/store_mem.c implements it in
 * memory for tests and for a device that has not paired yet.
 *
 * App state (waweb/appstate.c) and contacts use whatsmeow's own tables
 * through the appstate_* and contact_* ops below.
 *
 * Does not: generate keys (waweb/prekeys.c and waweb/pair.c do), or hold
 * Signal sessions/identities (those get their own ops with the Signal layer).
 *
 * Invariants:
 *  - A device is saved only once it has paired (it has a JID): the database
 *    row is keyed by the device JID, exactly like whatsmeow_device.jid.
 *  - Only private keys are stored (like whatsmeow); public halves are
 *    derived on load with wa_device_derive_public().
 *  - Every op may be called from the client's callbacks on the loop thread;
 *    ops must not block for long (SQLite is fine).
 *  - Ops return 0 or a negative code; "nothing there" is U_ERR_NOT_FOUND.
 */
#ifndef PONTON_WAWEB_STORE_H
#define PONTON_WAWEB_STORE_H

#include <stddef.h>
#include <stdint.h>

#define WA_KEY_LEN 32
#define WA_SIG_LEN 64
/* Prekey ids are 24-bit on the wire (3 bytes). */
#define WA_PREKEY_ID_MAX 0xffffffu
/* ADVDeviceIdentity bytes signed by the phone: a few small varints. */
#define WA_ADV_DETAILS_MAX 256

struct wa_keypair {
	uint8_t	pub[WA_KEY_LEN];
	uint8_t	priv[WA_KEY_LEN];
};

/*
 * The companion device.  Key material is created before pairing
 * (wa_device_generate); the fields under "paired" are set from pair-success.
 */
struct wa_device {
	struct wa_keypair	 noise;		/* Noise static key */
	struct wa_keypair	 identity;	/* Signal identity key */
	uint32_t		 registration_id;
	struct wa_keypair	 signed_prekey;
	uint32_t		 signed_prekey_id;	/* < 2^24 */
	uint8_t			 signed_prekey_sig[WA_SIG_LEN];
	uint8_t			 adv_secret[WA_KEY_LEN];

	/* paired */
	char			*jid;		/* owned; "<pn>:<dev>@s.whatsapp.net", NULL before pairing */
	char			*lid;		/* owned; "<lid>:<dev>@lid" or NULL */
	uint8_t			*adv_details;	/* owned; ADVDeviceIdentity bytes */
	size_t			 adv_details_len;
	uint8_t			 adv_account_sig[WA_SIG_LEN];
	uint8_t			 adv_account_sig_key[WA_KEY_LEN];	/* the phone's identity key */
	uint8_t			 adv_device_sig[WA_SIG_LEN];
	char			*platform;	/* owned; the phone's platform, "" if unknown */
	char			*business_name;	/* owned */
	char			*push_name;	/* owned */
};

/* One whatsmeow_contacts row; strings owned unless said otherwise, NULL
 * when the column is NULL. */
struct wa_contact {
	char	*jid;		/* their JID */
	char	*first_name;
	char	*full_name;
	char	*push_name;
	char	*business_name;
	char	*redacted_phone;
};
/* Free the strings (the struct is the caller's); NULL is a no-op. */
void wa_contact_clear(struct wa_contact *c);

struct wa_store_ops {
	/*
	 * Fill *out (zeroed by the caller) with the device saved under `jid`,
	 * or with the only/first saved device when jid is NULL.  Strings and
	 * adv_details are owned by *out afterwards (wa_device_clear frees them).
	 */
	int	(*device_load)(void *arg, const char *jid, struct wa_device *out);
	/* Insert or update the device row keyed by dev->jid (must be set). */
	int	(*device_save)(void *arg, const struct wa_device *dev);
	/* Remove the device and everything keyed by it (prekeys...). */
	int	(*device_delete)(void *arg, const char *jid);

	/* Highest prekey id stored for this device, 0 if none. */
	int	(*prekey_max_id)(void *arg, const char *jid, uint32_t *out);
	int	(*prekey_put)(void *arg, const char *jid, uint32_t id,
		    const uint8_t priv[WA_KEY_LEN], int uploaded);
	/* Private key of prekey `id` (U_ERR_NOT_FOUND if gone). */
	int	(*prekey_load)(void *arg, const char *jid, uint32_t id,
		    uint8_t priv[WA_KEY_LEN]);
	int	(*prekey_remove)(void *arg, const char *jid, uint32_t id);
	/* Mark every prekey with id <= up_to as uploaded. */
	int	(*prekeys_mark_uploaded)(void *arg, const char *jid, uint32_t up_to);
	int	(*prekeys_count_uploaded)(void *arg, const char *jid, unsigned *out);
	/*
	 * Ids and private keys of the prekeys not uploaded yet, ascending, at
	 * most `max`; *n receives how many.  ids/privs have room for max.
	 */
	int	(*prekeys_pending)(void *arg, const char *jid, unsigned max,
		    uint32_t *ids, uint8_t (*privs)[WA_KEY_LEN], unsigned *n);

	/*
	 * Optional (NULL: not kept).  At pairing the phone's identity key is
	 * the Signal identity of our account's LID device 0 ("<lid>_1:0"),
	 * and the account's LID and phone number map to each other, as
	 * whatsmeow records them (whatsmeow_identity_keys, whatsmeow_lid_map).
	 * lid_user/pn_user are bare users (digits, no server or device).
	 */
	int	(*identity_put)(void *arg, const char *our_jid,
		    const char *their_address, const uint8_t key[WA_KEY_LEN]);
	int	(*lid_map_put)(void *arg, const char *lid_user,
		    const char *pn_user);

	/* Small process-wide settings (kv_store).  *out is owned by the caller. */
	int	(*kv_get)(void *arg, const char *key, char **out);
	int	(*kv_set)(void *arg, const char *key, const char *value);

	/*
	 * App-state sync (waweb/appstate.c), whatsmeow's tables and encodings
	 * (whatsmeow_app_state_sync_keys, _version, _mutation_macs).  Optional
	 * as a group: NULL means the store keeps no app state (appstate.c then
	 * refuses to work).  jid is our device JID.  Key ids are raw bytes
	 * (1..WA_APPSTATE_KEY_ID_MAX), fingerprint the serialized
	 * AppStateSyncKeyFingerprint, timestamp the share's (ms).
	 *
	 * appstate_key_put keeps an existing key with a newer or equal
	 * timestamp (as whatsmeow's ON CONFLICT ... WHERE).
	 * appstate_key_get: U_ERR_NOT_FOUND if unknown; *data_len receives the
	 * length (at most cap bytes are written; longer is U_ERR_TOO_BIG).
	 * appstate_version_get: U_ERR_NOT_FOUND when never synced.
	 * appstate_version_delete also drops the collection's mutation MACs.
	 * appstate_mac_get: the value MAC of index_mac's newest row, or
	 * U_ERR_NOT_FOUND.  appstate_mac_put needs the version row to exist.
	 * appstate_txn (may be NULL: no atomicity): WA_STORE_TXN_BEGIN /
	 * COMMIT / ROLLBACK around one patch's writes.
	 */
	int	(*appstate_key_put)(void *arg, const char *jid,
		    const uint8_t *key_id, size_t key_id_len,
		    const uint8_t *data, size_t data_len, int64_t timestamp,
		    const uint8_t *fingerprint, size_t fingerprint_len);
	int	(*appstate_key_get)(void *arg, const char *jid,
		    const uint8_t *key_id, size_t key_id_len, uint8_t *data,
		    size_t cap, size_t *data_len);
	int	(*appstate_version_get)(void *arg, const char *jid,
		    const char *name, uint64_t *version, uint8_t hash[128]);
	int	(*appstate_version_put)(void *arg, const char *jid,
		    const char *name, uint64_t version, const uint8_t hash[128]);
	int	(*appstate_version_delete)(void *arg, const char *jid,
		    const char *name);
	int	(*appstate_mac_put)(void *arg, const char *jid, const char *name,
		    uint64_t version, const uint8_t index_mac[32],
		    const uint8_t value_mac[32]);
	int	(*appstate_mac_delete)(void *arg, const char *jid,
		    const char *name, const uint8_t index_mac[32]);
	int	(*appstate_mac_get)(void *arg, const char *jid, const char *name,
		    const uint8_t index_mac[32], uint8_t value_mac[32]);
	int	(*appstate_txn)(void *arg, int op);

	/*
	 * Contacts (whatsmeow_contacts, keyed by our device JID and their
	 * non-device JID "<user>@s.whatsapp.net" / "<user>@lid").  Each put
	 * upserts only its own columns, as whatsmeow's PutContactName /
	 * PutPushName / PutBusinessName do; NULL strings are stored as ''
	 * except for absent rows' other columns (NULL, as whatsmeow).
	 * contact_get fills *out (owned strings, NULL when the column is NULL)
	 * or U_ERR_NOT_FOUND.  contacts_list calls fn once per row (borrowed
	 * for the call); a non-zero return from fn stops and is returned.
	 * Optional: NULL means not kept.
	 */
	int	(*contact_put_name)(void *arg, const char *our_jid,
		    const char *their_jid, const char *first_name,
		    const char *full_name);
	int	(*contact_put_push_name)(void *arg, const char *our_jid,
		    const char *their_jid, const char *push_name);
	int	(*contact_put_business_name)(void *arg, const char *our_jid,
		    const char *their_jid, const char *business_name);
	int	(*contact_get)(void *arg, const char *our_jid,
		    const char *their_jid, struct wa_contact *out);
	int	(*contacts_list)(void *arg, const char *our_jid,
		    int (*fn)(void *fn_arg, const struct wa_contact *c),
		    void *fn_arg);
};

#define WA_STORE_TXN_BEGIN	0
#define WA_STORE_TXN_COMMIT	1
#define WA_STORE_TXN_ROLLBACK	2

/* The kv key holding the last WhatsApp Web version the server accepted. */
#define WA_KV_WEB_VERSION "whatsapp_web_version"

/* Free the owned strings of a device and wipe its keys; the struct itself
 * is the caller's.  NULL is a no-op. */
void wa_device_clear(struct wa_device *dev);
/* Deep copy (dst is overwritten, not cleared first). */
void wa_device_copy(struct wa_device *dst, const struct wa_device *src);
/* Recompute every public key from its private half. */
void wa_device_derive_public(struct wa_device *dev);
/*
 * Fresh key material for a device that has never paired: noise, identity,
 * signed prekey (id 1, signed by the identity key), registration id, ADV
 * secret.  Returns 0 or a crypto error.
 */
int wa_device_generate(struct wa_device *dev);

/* In-memory store (waweb/store_mem.c), for tests and unpaired devices. */
struct wa_store_mem;
struct wa_store_mem *wa_store_mem_new(void);
void wa_store_mem_free(struct wa_store_mem *m);
extern const struct wa_store_ops wa_store_mem_ops;

#endif
