/*
 * signal_store.h: what the Signal layer (waweb/signal.c) keeps between runs,
 * reached as callbacks: `struct wa_signal_store_ops` plus an opaque `arg`.
 *
 * bridge/wa_signal_db.c implements it on the whatsmeow_* tables so an
 * existing mautrix-whatsapp database keeps its sessions; waweb/
 * signal_store_mem.c implements it in memory for tests.
 *
 * Addresses are whatsmeow's SignalAddress strings, "<user>[_<agent>]:<device>"
 * (wa_signal_address() makes them): a phone-number user has no agent
 * ("33612345678:0"), a LID user has agent 1 ("123456789_1:3").
 * Sender keys are keyed by the group JID string and the sender's address,
 * as whatsmeow_sender_keys (chat_id, sender_id).
 *
 * Records (sessions, sender keys) are libsignal's serialized protobufs
 * (RecordStructure, SenderKeyRecordStructure from LocalStorageProtocol),
 * opaque to the store.  Keys are raw 32-byte Curve25519 keys without the
 * 0x05 type byte, as whatsmeow keeps them.
 *
 * PN<->LID pairs (optional: all three NULL = not persisted) are user parts
 * only, digits, no agent, server or device, as whatsmeow_lid_map keeps them
 * ("33612345678" is "123456789012345"); a user is in at most one pair.
 *
 * Does not: decide trust (signal.c does; the store only loads and saves).
 * Invariants: ops return 0 or a negative code; "nothing there" is
 * U_ERR_NOT_FOUND; buffers returned through out-pointers are owned by the
 * caller (u_malloc'd); ops run on the loop thread and must not block long.
 */
#ifndef PONTON_WAWEB_SIGNAL_STORE_H
#define PONTON_WAWEB_SIGNAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#define WA_SIGNAL_KEY_LEN 32
#define WA_SIGNAL_SIG_LEN 64
/* "<user 64>_<agent 3>:<device 5>" + NUL, with room to spare. */
#define WA_SIGNAL_ADDR_MAX 96
/* Longest user part in a PN<->LID pair (WA_JID_USER_MAX). */
#define WA_SIGNAL_LIDMAP_USER_MAX 64

struct wa_signal_store_ops {
	/* Our identity key pair and registration id. */
	int	(*local_identity)(void *arg, uint8_t pub[WA_SIGNAL_KEY_LEN],
		    uint8_t priv[WA_SIGNAL_KEY_LEN], uint32_t *registration_id);

	/* Remote identity keys. */
	int	(*identity_load)(void *arg, const char *addr,
		    uint8_t key[WA_SIGNAL_KEY_LEN]);
	int	(*identity_save)(void *arg, const char *addr,
		    const uint8_t key[WA_SIGNAL_KEY_LEN]);
	int	(*identity_delete)(void *arg, const char *addr);
	/* Every identity whose address starts with "<name>:". */
	int	(*identity_delete_all)(void *arg, const char *name);

	/* Our one-time prekeys (private halves). */
	int	(*prekey_load)(void *arg, uint32_t id,
		    uint8_t priv[WA_SIGNAL_KEY_LEN]);
	int	(*prekey_store)(void *arg, uint32_t id,
		    const uint8_t priv[WA_SIGNAL_KEY_LEN]);
	int	(*prekey_remove)(void *arg, uint32_t id);

	/* Our signed prekey with that id: private half and its signature. */
	int	(*signed_prekey_load)(void *arg, uint32_t id,
		    uint8_t priv[WA_SIGNAL_KEY_LEN],
		    uint8_t sig[WA_SIGNAL_SIG_LEN]);

	/* Sessions, one serialized record per address. */
	int	(*session_load)(void *arg, const char *addr, uint8_t **rec,
		    size_t *len);
	int	(*session_store)(void *arg, const char *addr, const uint8_t *rec,
		    size_t len);
	int	(*session_delete)(void *arg, const char *addr);
	/* Every session whose address starts with "<name>:". */
	int	(*session_delete_all)(void *arg, const char *name);
	/* Device ids of the sessions of <name> other than device 1 (libsignal's
	 * "sub-device sessions"); *ids is owned by the caller. */
	int	(*session_devices)(void *arg, const char *name, uint32_t **ids,
		    size_t *n);

	/* Sender keys, one serialized record per group and sender address. */
	int	(*sender_key_load)(void *arg, const char *group,
		    const char *sender, uint8_t **rec, size_t *len);
	int	(*sender_key_store)(void *arg, const char *group,
		    const char *sender, const uint8_t *rec, size_t len);

	/* PN<->LID pairs (may be NULL together: nothing persisted).
	 * lid_save records that pn is lid, replacing any pair either was
	 * in.  The lookups copy the other user part into out (cap bytes
	 * with the NUL; WA_SIGNAL_LIDMAP_USER_MAX + 1 is enough);
	 * U_ERR_NOT_FOUND when unknown, U_ERR_INVALID for a stored value
	 * that is not a user part within cap. */
	int	(*lid_save)(void *arg, const char *pn, const char *lid);
	int	(*lid_for_pn)(void *arg, const char *pn, char *out, size_t cap);
	int	(*pn_for_lid)(void *arg, const char *lid, char *out, size_t cap);
};

/* In-memory store (waweb/signal_store_mem.c), for tests. */
struct wa_signal_store_mem;
/* A store with a fresh identity key pair and registration id, and a signed
 * prekey with id `spk_id` signed by that identity. */
struct wa_signal_store_mem *wa_signal_store_mem_new(uint32_t spk_id);
/* The same from fixed private keys (fuzzers, reproducible seeds). */
struct wa_signal_store_mem *wa_signal_store_mem_new_fixed(
    const uint8_t identity_priv[WA_SIGNAL_KEY_LEN], uint32_t registration_id,
    const uint8_t spk_priv[WA_SIGNAL_KEY_LEN], uint32_t spk_id);
/*
 * The same backed by the client's device and store for what they already
 * hold (waweb/store.h): our identity, registration id and signed prekey
 * come from dev, one-time prekeys go through ops (prekey_load/put/remove
 * keyed by dev->jid, as waweb/prekeys.c stores and uploads them); only
 * remote identities, sessions and sender keys stay in memory.  dev, ops
 * and arg are borrowed and must outlive the store.  For tests and
 * in-memory clients; the bridge uses bridge/wa_signal_db.c instead.
 */
struct wa_device;
struct wa_store_ops;
struct wa_signal_store_mem *wa_signal_store_mem_new_device(
    const struct wa_device *dev, const struct wa_store_ops *ops, void *arg);
void wa_signal_store_mem_free(struct wa_signal_store_mem *m);
/* Public halves of the identity and signed prekey, the signature. */
void wa_signal_store_mem_keys(const struct wa_signal_store_mem *m,
    uint8_t identity_pub[WA_SIGNAL_KEY_LEN], uint32_t *registration_id,
    uint8_t spk_pub[WA_SIGNAL_KEY_LEN], uint8_t spk_sig[WA_SIGNAL_SIG_LEN]);
/* Number of one-time prekeys held (tests check that a used one goes). */
size_t wa_signal_store_mem_prekey_count(const struct wa_signal_store_mem *m);
/*
 * Keep PN<->LID pairs (on != 0) or not (the default: lid_save succeeds
 * and keeps nothing, lookups find nothing, so a new wa_signal on the
 * store knows no pair, as before pairs were persisted; tests that look
 * at the store through a fresh wa_signal rely on that).
 */
void wa_signal_store_mem_keep_lids(struct wa_signal_store_mem *m, int on);
/* Number of PN<->LID pairs held (at most WA_SIGNAL_STORE_MEM_LID_MAX; past
 * it the oldest pair is dropped). */
#define WA_SIGNAL_STORE_MEM_LID_MAX 4096
size_t wa_signal_store_mem_lid_count(const struct wa_signal_store_mem *m);
extern const struct wa_signal_store_ops wa_signal_store_mem_ops;

#endif
