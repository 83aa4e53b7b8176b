/*
 * signal.h: the Signal layer of the WhatsApp client: one-to-one sessions
 * (pkmsg/msg) and group sender keys (skmsg) over libsignal-protocol-c with
 * ponton's crypto provider (crypto/cry_signal.h), state kept through
 * `struct wa_signal_store_ops` (waweb/signal_store.h).
 *
 * Wire facts (WhatsApp, as whatsmeow and Baileys implement them):
 *  - Public keys inside Signal messages are 33 bytes, 0x05 || key; in
 *    stanzas (prekey bundles, uploads) they are the raw 32 bytes.
 *  - A signed prekey's signature is XEdDSA by the identity key over the
 *    33-byte 0x05-prefixed signed prekey.
 *  - Plaintexts of <enc v="2"> are padded with N bytes of value N, N random
 *    in 1..15 (whatsmeow padMessage); <enc v="3"> is not padded.
 *  - A changed identity key is not trusted silently: like whatsmeow with
 *    AutoTrustIdentity (its default), the old identity and session are
 *    dropped, the change is reported through the identity-change callback,
 *    and the bundle/pkmsg is processed again once.
 *
 * Does not: build or send stanzas (the message layer does), fetch bundles
 * (it hands us the <iq> result), generate or upload one-time prekeys
 * (waweb/prekeys.c does; the store only has to return them by id).
 *
 * Invariants: one thread; every function may be called from a callback;
 * outputs are set only on success and are owned by the caller (free());
 * bad input returns an error and never crashes.
 */
#ifndef PONTON_WAWEB_SIGNAL_H
#define PONTON_WAWEB_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "waweb/signal_store.h"

struct wa_jid;
struct wa_node;

/* Largest ciphertext accepted (a message stanza payload; media travels
 * elsewhere, so a few hundred kB is already generous). */
#define WA_SIGNAL_CIPHERTEXT_MAX (2u * 1024 * 1024)
/* Padding: N bytes of value N, N in 1..WA_SIGNAL_PAD_MAX. */
#define WA_SIGNAL_PAD_MAX 15

/* <enc type=...> values. */
enum wa_signal_type {
	WA_SIGNAL_MSG = 2,	/* "msg": SignalMessage */
	WA_SIGNAL_PKMSG = 3,	/* "pkmsg": PreKeySignalMessage */
	WA_SIGNAL_SKMSG = 4,	/* "skmsg": SenderKeyMessage */
};

/* The stanza name of a type ("msg", "pkmsg", "skmsg"), NULL if none. */
const char *wa_signal_type_name(int type);

/* A prekey bundle as the server hands it out (<iq xmlns=encrypt> result). */
struct wa_signal_bundle {
	uint32_t	registration_id;
	uint32_t	device_id;
	uint8_t		identity[WA_SIGNAL_KEY_LEN];
	uint32_t	signed_prekey_id;
	uint8_t		signed_prekey[WA_SIGNAL_KEY_LEN];
	uint8_t		signature[WA_SIGNAL_SIG_LEN];
	bool		has_prekey;
	uint32_t	prekey_id;
	uint8_t		prekey[WA_SIGNAL_KEY_LEN];
};

/*
 * Parse one <user jid=...> child of a prekey <list> (or any node holding
 * <registration>, optional <keys>, <identity>, optional <key>, <skey>),
 * as whatsmeow's nodeToPreKeyBundle.  device_id comes from the jid.
 * WA_ERR_SIG_BAD_BUNDLE if a part is missing or has the wrong size,
 * WA_ERR_IQ if the node carries an <error>.
 */
int wa_signal_bundle_from_node(const struct wa_node *n, uint32_t device_id,
    struct wa_signal_bundle *out);

/*
 * whatsmeow's SignalAddress string for a device JID: "<user>:<device>" for
 * phone-number users, "<user>_<agent>:<device>" otherwise (LID users have
 * agent 1, hosted servers their domain).  WA_ERR_BAD_JID if it cannot be
 * written into cap bytes.
 */
int wa_signal_address(const struct wa_jid *jid, char *out, size_t cap);

/* A changed identity key was seen for addr (already replaced). */
typedef void (*wa_signal_identity_fn)(void *arg, const char *addr);

struct wa_signal;

/* ops/arg are borrowed and must outlive the object. */
struct wa_signal *wa_signal_new(const struct wa_signal_store_ops *ops,
    void *arg);
void wa_signal_free(struct wa_signal *s);
void wa_signal_on_identity_change(struct wa_signal *s,
    wa_signal_identity_fn fn, void *arg);

/* Pad (always, v=2) / unpad for <enc v=version>.  Outputs owned. */
void wa_signal_pad(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen);
int wa_signal_unpad(const uint8_t *p, size_t n, int version, size_t *outlen);

/*
 * Build a session with addr from a bundle.  WA_ERR_SIG_BAD_SIGNATURE if
 * the signed prekey signature does not verify (nothing is stored),
 * WA_ERR_SIG_BAD_KEY for an unusable key.
 */
int wa_signal_session_from_bundle(struct wa_signal *s, const char *addr,
    const struct wa_signal_bundle *b);
/* 1 if a session with addr exists, 0 if not, or a negative error. */
int wa_signal_has_session(struct wa_signal *s, const char *addr);
/*
 * The phone-number user pn_user ("<digits>") is the LID user lid_user (a
 * stanza's sender_pn / participant_pn, a usync <lid val>).  From then on a
 * PN address "<pn_user>:<device>" given to this API means
 * "<lid_user>_1:<device>": one session per device, as Baileys (its signal
 * store resolves PN addresses to the LID) and whatsmeow (MigratePNToLID,
 * encryption under the LID) keep them.  A peer holds one session per
 * device and replaces it when we start another one; a message on the
 * other, older one costs it (Baileys' libsignal steps the ratchet of its
 * current session while trying it, and stores that) and what it sends next
 * reads under neither of two separate records.  Sessions already kept
 * under the PN form are moved now; with sessions under both, the PN one
 * becomes current and the LID one stays as an old state that still
 * decrypts.  The pair is saved through the store's lid_save when it has
 * one (whatsmeow_lid_map in the bridge; a failure is logged, the pair
 * still holds for this run), so after a restart a PN address with no pair
 * in memory is resolved through lid_for_pn without learning again.  Pairs
 * are cached in memory, at most WA_SIGNAL_ALIAS_MAX (the oldest forgotten,
 * asked of the store again), including "the store has none" answers.
 * 0, WA_ERR_INVALID if a user is not digits, or a store error.
 */
#define WA_SIGNAL_ALIAS_MAX 4096
int wa_signal_learn_lid(struct wa_signal *s, const char *pn_user,
    const char *lid_user);
/*
 * The LID user of the phone-number user pn_user, as the API resolves it
 * (memory, then the store), copied into out (cap bytes with the NUL).
 * 0, U_ERR_NOT_FOUND, U_ERR_TOO_BIG, WA_ERR_INVALID if pn_user is not
 * digits.
 */
int wa_signal_lid_for_pn(struct wa_signal *s, const char *pn_user, char *out,
    size_t cap);
/* Forget the session with addr (no error if there is none). */
int wa_signal_delete_session(struct wa_signal *s, const char *addr);
/*
 * Forget the identities and sessions of every device of a Signal name
 * ("<user>[_<agent>]", the address without ":<device>"), as whatsmeow does
 * on an <notification type=encrypt><identity/> (the next message starts
 * over from a fresh bundle and trusts the new key).
 */
int wa_signal_forget_user(struct wa_signal *s, const char *name);

/*
 * Pad and encrypt pt for addr.  *type is WA_SIGNAL_PKMSG until the peer
 * has answered, then WA_SIGNAL_MSG.  WA_ERR_SIG_NO_SESSION without one.
 */
int wa_signal_encrypt(struct wa_signal *s, const char *addr,
    const uint8_t *pt, size_t n, int *type, uint8_t **out, size_t *outlen);
/*
 * Crossing session setups: when the peer starts a session with us (its
 * pkmsg) while ours, started from its bundle at most crossing_ms ago, is
 * still unanswered, ours stays current (the peer makes ours current when
 * our pkmsg reaches it; see signal.c).  Sessions started lately are
 * remembered in memory, at most WA_SIGNAL_CROSSING_MAX addresses.
 * wa_signal_set_crossing_ms changes the window (tests).
 */
#define WA_SIGNAL_CROSSING_MS 60000u
#define WA_SIGNAL_CROSSING_MAX 256
void wa_signal_set_crossing_ms(struct wa_signal *s, unsigned ms);
/* 1 if our current session with addr is one we started and the peer has
 * not answered on yet (our messages on it are pkmsgs), else 0. */
int wa_signal_session_unanswered(struct wa_signal *s, const char *addr);

/*
 * Decrypt a pkmsg or msg from addr and remove the padding (unless
 * version is 3).  A pkmsg consumes our one-time prekey.  After a crossing
 * session setup (above) our unanswered session stays current.  Errors:
 * WA_ERR_SIG_INVALID_MESSAGE, WA_ERR_SIG_DUPLICATE, WA_ERR_SIG_NO_SESSION,
 * WA_ERR_SIG_KEY_ID, WA_ERR_SIG_BAD_KEY, WA_ERR_SIG_PADDING, store errors.
 */
int wa_signal_decrypt(struct wa_signal *s, const char *addr, int type,
    int version, const uint8_t *ct, size_t n, uint8_t **out, size_t *outlen);

/*
 * Our SenderKeyDistributionMessage for group (a JID string), creating our
 * sender key on first use; self is our own address.
 */
int wa_signal_group_skdm(struct wa_signal *s, const char *group,
    const char *self, uint8_t **out, size_t *outlen);
/* Drop our sender key for group: the next wa_signal_group_skdm makes a new
 * one (a member left; they must not read what follows). */
int wa_signal_group_rotate(struct wa_signal *s, const char *group,
    const char *self);
/* Store the sender key that sender distributed for group. */
int wa_signal_group_process_skdm(struct wa_signal *s, const char *group,
    const char *sender, const uint8_t *skdm, size_t n);
/* Pad and encrypt pt to group with our sender key (skmsg bytes). */
int wa_signal_group_encrypt(struct wa_signal *s, const char *group,
    const char *self, const uint8_t *pt, size_t n, uint8_t **out,
    size_t *outlen);
/* Decrypt an skmsg from sender in group; WA_ERR_SIG_NO_SENDER_KEY if we
 * never got its distribution message. */
int wa_signal_group_decrypt(struct wa_signal *s, const char *group,
    const char *sender, int version, const uint8_t *ct, size_t n,
    uint8_t **out, size_t *outlen);

#endif
