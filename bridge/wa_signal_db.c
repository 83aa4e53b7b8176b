/*
 * wa_signal_db.c: the Signal store on whatsmeow's tables
 * (bridge/wa_signal_db.h), with the translation between libsignal-
 * protocol-c's protobuf records and whatsmeow's JSON records.
 *
 * The JSON is what Go's encoding/json makes of go.mau.fi/libsignal's
 * record structs: keys are the Go field names, []byte is standard base64
 * or null, nested pointers are objects or null, slices arrays or null.
 * Field by field:
 *   SessionStructure{SessionState, PreviousStates}
 *     = RecordStructure{currentSession, previousSessions}
 *   StateStructure: LocalIdentityPublic, LocalRegistrationID, NeedsRefresh,
 *     PendingKeyExchange, PendingPreKey{PreKeyID{Value,IsEmpty},
 *     SignedPreKeyID, BaseKey}, PreviousCounter, ReceiverChains,
 *     RemoteIdentityPublic, RemoteRegistrationID, RootKey, SenderBaseKey
 *     (= aliceBaseKey), SenderChain, SessionVersion
 *   ChainStructure: SenderRatchetKeyPublic, SenderRatchetKeyPrivate,
 *     ChainKey{Key, Index}, MessageKeys[{CipherKey, MacKey, IV, Index}]
 *   SenderKeyStructure{SenderKeyStates[{Keys[{Iteration, IV, CipherKey,
 *     Seed}], KeyID, SenderChainKey{Iteration, ChainKey},
 *     SigningKeyPrivate, SigningKeyPublic}]}
 * Public keys are 33 bytes (0x05 || key) in both formats.  The protobuf
 * sender message key holds only the seed; whatsmeow also stores the IV and
 * cipher key derived from it (HKDF-SHA256, no salt, info "WhisperGroup",
 * 48 bytes: IV 16 || key 32), which are derived here when writing JSON.
 *
 * Does not: own the device row (bridge/wa_store_db.c does); it only reads
 * the identity, registration id and signed prekey from it.
 * Invariants: every op is scoped to our_jid; records pass the size limit
 * before they are parsed; JSON duplicate keys are rejected.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "bridge/wa_signal_db.h"
#include "crypto/cry.h"
#include "db/db.h"
#include "proto/signal_storage.pb-c.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

struct br_wa_signal_db {
	struct db	*db;		/* borrowed */
	char		*our_jid;	/* owned */
};

/* --- JSON <-> protobuf ---------------------------------------------------- */

/* Allocations of a protobuf being built from JSON, freed together. */
struct arena {
	void	**p;
	size_t	  n;
};

static void *
arena_alloc(struct arena *a, size_t n)
{
	void *p = u_calloc(1, n ? n : 1);

	a->p = u_reallocarray(a->p, a->n + 1, sizeof(*a->p));
	a->p[a->n++] = p;
	return p;
}

static void
arena_free(struct arena *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
}

static json_t *
b64(const ProtobufCBinaryData *d, protobuf_c_boolean has)
{
	size_t cap;
	char *s;
	json_t *j;

	if (!has)
		return json_null();
	cap = sodium_base64_ENCODED_LEN(d->len, sodium_base64_VARIANT_ORIGINAL);
	s = u_malloc(cap);
	sodium_bin2base64(s, cap, d->data, d->len,
	    sodium_base64_VARIANT_ORIGINAL);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *
b64_raw(const uint8_t *p, size_t n)
{
	ProtobufCBinaryData d = { n, (uint8_t *)p };

	return b64(&d, 1);
}

/* A base64 string (or null/absent) into *d; -1 if malformed. */
static int
unb64(struct arena *a, json_t *j, ProtobufCBinaryData *d,
    protobuf_c_boolean *has)
{
	const char *s;
	size_t n, len;

	if (j == NULL || json_is_null(j)) {
		*has = 0;
		return 0;
	}
	if (!json_is_string(j))
		return -1;
	s = json_string_value(j);
	n = json_string_length(j);
	d->data = arena_alloc(a, n);
	if (sodium_base642bin(d->data, n, s, n, NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	d->len = len;
	*has = 1;
	return 0;
}

/* A JSON number that fits in 32 bits (absent/null: 0). */
static int
u32(json_t *j, uint32_t *out)
{
	json_int_t v;

	if (j == NULL || json_is_null(j)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(j) || (v = json_integer_value(j)) < 0 ||
	    v > (json_int_t)UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static json_t *
chain_to_json(const Sigstore__Session__Chain *c)
{
	json_t *o, *mk, *k;
	size_t i;

	if (c == NULL)
		return json_null();
	o = json_object();
	json_object_set_new(o, "SenderRatchetKeyPublic",
	    b64(&c->sender_ratchet_key, c->has_sender_ratchet_key));
	json_object_set_new(o, "SenderRatchetKeyPrivate",
	    b64(&c->sender_ratchet_key_private,
	    c->has_sender_ratchet_key_private));
	if (c->chain_key != NULL) {
		k = json_object();
		json_object_set_new(k, "Key", b64(&c->chain_key->key,
		    c->chain_key->has_key));
		json_object_set_new(k, "Index",
		    json_integer(c->chain_key->index));
		json_object_set_new(o, "ChainKey", k);
	} else
		json_object_set_new(o, "ChainKey", json_null());
	mk = json_array();
	for (i = 0; i < c->n_message_keys; i++) {
		const Sigstore__Session__Chain__MessageKey *m =
		    c->message_keys[i];

		k = json_object();
		json_object_set_new(k, "CipherKey", b64(&m->cipher_key,
		    m->has_cipher_key));
		json_object_set_new(k, "MacKey", b64(&m->mac_key,
		    m->has_mac_key));
		json_object_set_new(k, "IV", b64(&m->iv, m->has_iv));
		json_object_set_new(k, "Index", json_integer(m->index));
		json_array_append_new(mk, k);
	}
	json_object_set_new(o, "MessageKeys", mk);
	return o;
}

static json_t *
state_to_json(const Sigstore__Session *s)
{
	json_t *o, *rc, *p, *id;
	size_t i;

	o = json_object();
	json_object_set_new(o, "LocalIdentityPublic",
	    b64(&s->local_identity_public, s->has_local_identity_public));
	json_object_set_new(o, "LocalRegistrationID",
	    json_integer(s->local_registration_id));
	json_object_set_new(o, "NeedsRefresh",
	    json_boolean(s->needs_refresh));
	if (s->pending_key_exchange != NULL) {
		const Sigstore__Session__PendingKeyExchange *x =
		    s->pending_key_exchange;

		p = json_object();
		json_object_set_new(p, "Sequence", json_integer(x->sequence));
		json_object_set_new(p, "LocalBaseKeyPublic",
		    b64(&x->local_base_key, x->has_local_base_key));
		json_object_set_new(p, "LocalBaseKeyPrivate",
		    b64(&x->local_base_key_private,
		    x->has_local_base_key_private));
		json_object_set_new(p, "LocalRatchetKeyPublic",
		    b64(&x->local_ratchet_key, x->has_local_ratchet_key));
		json_object_set_new(p, "LocalRatchetKeyPrivate",
		    b64(&x->local_ratchet_key_private,
		    x->has_local_ratchet_key_private));
		json_object_set_new(p, "LocalIdentityKeyPublic",
		    b64(&x->local_identity_key, x->has_local_identity_key));
		json_object_set_new(p, "LocalIdentityKeyPrivate",
		    b64(&x->local_identity_key_private,
		    x->has_local_identity_key_private));
		json_object_set_new(o, "PendingKeyExchange", p);
	} else
		json_object_set_new(o, "PendingKeyExchange", json_null());
	if (s->pending_pre_key != NULL) {
		const Sigstore__Session__PendingPreKey *x = s->pending_pre_key;

		p = json_object();
		id = json_object();
		json_object_set_new(id, "Value",
		    json_integer(x->has_pre_key_id ? x->pre_key_id : 0));
		json_object_set_new(id, "IsEmpty",
		    json_boolean(!x->has_pre_key_id));
		json_object_set_new(p, "PreKeyID", id);
		json_object_set_new(p, "SignedPreKeyID",
		    json_integer((uint32_t)x->signed_pre_key_id));
		json_object_set_new(p, "BaseKey", b64(&x->base_key,
		    x->has_base_key));
		json_object_set_new(o, "PendingPreKey", p);
	} else
		json_object_set_new(o, "PendingPreKey", json_null());
	json_object_set_new(o, "PreviousCounter",
	    json_integer(s->previous_counter));
	rc = json_array();
	for (i = 0; i < s->n_receiver_chains; i++)
		json_array_append_new(rc, chain_to_json(s->receiver_chains[i]));
	json_object_set_new(o, "ReceiverChains", rc);
	json_object_set_new(o, "RemoteIdentityPublic",
	    b64(&s->remote_identity_public, s->has_remote_identity_public));
	json_object_set_new(o, "RemoteRegistrationID",
	    json_integer(s->remote_registration_id));
	json_object_set_new(o, "RootKey", b64(&s->root_key, s->has_root_key));
	json_object_set_new(o, "SenderBaseKey", b64(&s->alice_base_key,
	    s->has_alice_base_key));
	json_object_set_new(o, "SenderChain", chain_to_json(s->sender_chain));
	json_object_set_new(o, "SessionVersion",
	    json_integer(s->session_version));
	return o;
}

static int
dump(json_t *o, char **json, size_t *len)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (s == NULL)
		return U_ERR_INVALID;
	*len = strlen(s);
	*json = u_strdup(s);
	free(s);
	return 0;
}

int
br_signal_session_pb_to_json(const uint8_t *pb, size_t n, char **json,
    size_t *len)
{
	Sigstore__Record *r;
	json_t *o, *prev;
	size_t i;

	if (n > BR_SIGNAL_RECORD_MAX)
		return U_ERR_TOO_BIG;
	if ((r = sigstore__record__unpack(NULL, n, pb)) == NULL)
		return U_ERR_INVALID;
	o = json_object();
	json_object_set_new(o, "SessionState", r->current_session != NULL ?
	    state_to_json(r->current_session) : json_null());
	prev = json_array();
	for (i = 0; i < r->n_previous_sessions; i++)
		json_array_append_new(prev,
		    state_to_json(r->previous_sessions[i]));
	json_object_set_new(o, "PreviousStates", prev);
	sigstore__record__free_unpacked(r, NULL);
	return dump(o, json, len);
}

#define B64(a, obj, key, dst, has) \
	(unb64((a), json_object_get((obj), (key)), &(dst), &(has)) != 0)

static int
chain_from_json(struct arena *a, json_t *o, Sigstore__Session__Chain **out)
{
	Sigstore__Session__Chain *c;
	json_t *k, *mk, *m;
	size_t i;

	if (o == NULL || json_is_null(o)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_object(o))
		return -1;
	c = arena_alloc(a, sizeof(*c));
	sigstore__session__chain__init(c);
	if (B64(a, o, "SenderRatchetKeyPublic", c->sender_ratchet_key,
	    c->has_sender_ratchet_key) ||
	    B64(a, o, "SenderRatchetKeyPrivate", c->sender_ratchet_key_private,
	    c->has_sender_ratchet_key_private))
		return -1;
	/* Go writes a nil private key as null, a set one as 32 bytes. */
	if (c->has_sender_ratchet_key_private &&
	    c->sender_ratchet_key_private.len == 0)
		c->has_sender_ratchet_key_private = 0;
	if ((k = json_object_get(o, "ChainKey")) != NULL && !json_is_null(k)) {
		if (!json_is_object(k))
			return -1;
		c->chain_key = arena_alloc(a, sizeof(*c->chain_key));
		sigstore__session__chain__chain_key__init(c->chain_key);
		if (B64(a, k, "Key", c->chain_key->key, c->chain_key->has_key) ||
		    u32(json_object_get(k, "Index"), &c->chain_key->index))
			return -1;
		c->chain_key->has_index = 1;
	}
	mk = json_object_get(o, "MessageKeys");
	if (mk != NULL && !json_is_null(mk)) {
		if (!json_is_array(mk))
			return -1;
		c->n_message_keys = json_array_size(mk);
		c->message_keys = arena_alloc(a, c->n_message_keys *
		    sizeof(*c->message_keys));
		json_array_foreach(mk, i, m) {
			Sigstore__Session__Chain__MessageKey *x;

			if (!json_is_object(m))
				return -1;
			x = arena_alloc(a, sizeof(*x));
			sigstore__session__chain__message_key__init(x);
			if (B64(a, m, "CipherKey", x->cipher_key,
			    x->has_cipher_key) ||
			    B64(a, m, "MacKey", x->mac_key, x->has_mac_key) ||
			    B64(a, m, "IV", x->iv, x->has_iv) ||
			    u32(json_object_get(m, "Index"), &x->index))
				return -1;
			x->has_index = 1;
			c->message_keys[i] = x;
		}
	}
	*out = c;
	return 0;
}

static int
state_from_json(struct arena *a, json_t *o, Sigstore__Session **out)
{
	Sigstore__Session *s;
	json_t *p, *id, *rc, *c;
	uint32_t v;
	size_t i;

	if (!json_is_object(o))
		return -1;
	s = arena_alloc(a, sizeof(*s));
	sigstore__session__init(s);
	if (B64(a, o, "LocalIdentityPublic", s->local_identity_public,
	    s->has_local_identity_public) ||
	    B64(a, o, "RemoteIdentityPublic", s->remote_identity_public,
	    s->has_remote_identity_public) ||
	    B64(a, o, "RootKey", s->root_key, s->has_root_key) ||
	    B64(a, o, "SenderBaseKey", s->alice_base_key,
	    s->has_alice_base_key) ||
	    u32(json_object_get(o, "LocalRegistrationID"),
	    &s->local_registration_id) ||
	    u32(json_object_get(o, "RemoteRegistrationID"),
	    &s->remote_registration_id) ||
	    u32(json_object_get(o, "PreviousCounter"), &s->previous_counter) ||
	    u32(json_object_get(o, "SessionVersion"), &s->session_version))
		return -1;
	s->has_local_registration_id = s->has_remote_registration_id = 1;
	s->has_previous_counter = s->has_session_version = 1;
	s->has_needs_refresh = 1;
	s->needs_refresh = json_is_true(json_object_get(o, "NeedsRefresh"));
	if ((p = json_object_get(o, "PendingKeyExchange")) != NULL &&
	    !json_is_null(p)) {
		Sigstore__Session__PendingKeyExchange *x;

		if (!json_is_object(p))
			return -1;
		x = arena_alloc(a, sizeof(*x));
		sigstore__session__pending_key_exchange__init(x);
		if (u32(json_object_get(p, "Sequence"), &x->sequence) ||
		    B64(a, p, "LocalBaseKeyPublic", x->local_base_key,
		    x->has_local_base_key) ||
		    B64(a, p, "LocalBaseKeyPrivate", x->local_base_key_private,
		    x->has_local_base_key_private) ||
		    B64(a, p, "LocalRatchetKeyPublic", x->local_ratchet_key,
		    x->has_local_ratchet_key) ||
		    B64(a, p, "LocalRatchetKeyPrivate",
		    x->local_ratchet_key_private,
		    x->has_local_ratchet_key_private) ||
		    B64(a, p, "LocalIdentityKeyPublic", x->local_identity_key,
		    x->has_local_identity_key) ||
		    B64(a, p, "LocalIdentityKeyPrivate",
		    x->local_identity_key_private,
		    x->has_local_identity_key_private))
			return -1;
		x->has_sequence = 1;
		s->pending_key_exchange = x;
	}
	if ((p = json_object_get(o, "PendingPreKey")) != NULL &&
	    !json_is_null(p)) {
		Sigstore__Session__PendingPreKey *x;

		if (!json_is_object(p))
			return -1;
		x = arena_alloc(a, sizeof(*x));
		sigstore__session__pending_pre_key__init(x);
		if (B64(a, p, "BaseKey", x->base_key, x->has_base_key) ||
		    u32(json_object_get(p, "SignedPreKeyID"), &v) ||
		    v > INT32_MAX)
			return -1;
		x->signed_pre_key_id = (int32_t)v;
		x->has_signed_pre_key_id = 1;
		id = json_object_get(p, "PreKeyID");
		if (id != NULL && json_is_object(id) &&
		    !json_is_true(json_object_get(id, "IsEmpty"))) {
			if (u32(json_object_get(id, "Value"), &x->pre_key_id))
				return -1;
			x->has_pre_key_id = 1;
		} else if (id != NULL && !json_is_null(id) &&
		    !json_is_object(id))
			return -1;
		s->pending_pre_key = x;
	}
	if (chain_from_json(a, json_object_get(o, "SenderChain"),
	    &s->sender_chain) != 0)
		return -1;
	rc = json_object_get(o, "ReceiverChains");
	if (rc != NULL && !json_is_null(rc)) {
		if (!json_is_array(rc))
			return -1;
		s->n_receiver_chains = json_array_size(rc);
		s->receiver_chains = arena_alloc(a, s->n_receiver_chains *
		    sizeof(*s->receiver_chains));
		json_array_foreach(rc, i, c) {
			if (json_is_null(c) || chain_from_json(a, c,
			    &s->receiver_chains[i]) != 0)
				return -1;
		}
	}
	*out = s;
	return 0;
}

static json_t *
load_json(const char *json, size_t n)
{
	json_error_t e;

	if (n > BR_SIGNAL_RECORD_MAX)
		return NULL;
	return json_loadb(json, n, JSON_REJECT_DUPLICATES, &e);
}

static void
pack_out(const ProtobufCMessage *m, uint8_t **pb, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	*pb = u_malloc(n ? n : 1);
	protobuf_c_message_pack(m, *pb);
	*len = n;
}

int
br_signal_session_json_to_pb(const char *json, size_t n, uint8_t **pb,
    size_t *len)
{
	Sigstore__Record rec = SIGSTORE__RECORD__INIT;
	struct arena a = { NULL, 0 };
	json_t *o, *cur, *prev, *st;
	size_t i;
	int r = U_ERR_INVALID;

	if (n > BR_SIGNAL_RECORD_MAX)
		return U_ERR_TOO_BIG;
	if ((o = load_json(json, n)) == NULL || !json_is_object(o))
		goto out;
	cur = json_object_get(o, "SessionState");
	if (cur != NULL && !json_is_null(cur) &&
	    state_from_json(&a, cur, &rec.current_session) != 0)
		goto out;
	prev = json_object_get(o, "PreviousStates");
	if (prev != NULL && !json_is_null(prev)) {
		if (!json_is_array(prev))
			goto out;
		rec.n_previous_sessions = json_array_size(prev);
		rec.previous_sessions = arena_alloc(&a,
		    rec.n_previous_sessions * sizeof(*rec.previous_sessions));
		json_array_foreach(prev, i, st) {
			if (state_from_json(&a, st,
			    &rec.previous_sessions[i]) != 0)
				goto out;
		}
	}
	pack_out(&rec.base, pb, len);
	r = 0;
out:
	json_decref(o);
	arena_free(&a);
	return r;
}

/* whatsmeow keeps the IV and cipher key next to each seed. */
static void
sender_message_key(const ProtobufCBinaryData *seed, uint8_t iv[16],
    uint8_t key[32])
{
	uint8_t d[48];

	cry_hkdf_sha256(NULL, 0, seed->data, seed->len, "WhisperGroup", 12, d,
	    sizeof(d));
	memcpy(iv, d, 16);
	memcpy(key, d + 16, 32);
	sodium_memzero(d, sizeof(d));
}

int
br_signal_sender_key_pb_to_json(const uint8_t *pb, size_t n, char **json,
    size_t *len)
{
	Sigstore__SenderKeyRecord *r;
	json_t *o, *states, *st, *keys, *k, *ck;
	uint8_t iv[16], key[32];
	size_t i, j;

	if (n > BR_SIGNAL_RECORD_MAX)
		return U_ERR_TOO_BIG;
	if ((r = sigstore__sender_key_record__unpack(NULL, n, pb)) == NULL)
		return U_ERR_INVALID;
	o = json_object();
	states = json_array();
	for (i = 0; i < r->n_sender_key_states; i++) {
		const Sigstore__SenderKeyState *s = r->sender_key_states[i];

		st = json_object();
		keys = json_array();
		for (j = 0; j < s->n_sender_message_keys; j++) {
			const Sigstore__SenderKeyState__SenderMessageKey *m =
			    s->sender_message_keys[j];

			k = json_object();
			json_object_set_new(k, "Iteration",
			    json_integer(m->iteration));
			sender_message_key(&m->seed, iv, key);
			json_object_set_new(k, "IV", b64_raw(iv, 16));
			json_object_set_new(k, "CipherKey", b64_raw(key, 32));
			json_object_set_new(k, "Seed", b64(&m->seed,
			    m->has_seed));
			json_array_append_new(keys, k);
		}
		json_object_set_new(st, "Keys", keys);
		json_object_set_new(st, "KeyID", json_integer(s->sender_key_id));
		if (s->sender_chain_key != NULL) {
			ck = json_object();
			json_object_set_new(ck, "Iteration",
			    json_integer(s->sender_chain_key->iteration));
			json_object_set_new(ck, "ChainKey",
			    b64(&s->sender_chain_key->seed,
			    s->sender_chain_key->has_seed));
			json_object_set_new(st, "SenderChainKey", ck);
		} else
			json_object_set_new(st, "SenderChainKey", json_null());
		if (s->sender_signing_key != NULL) {
			json_object_set_new(st, "SigningKeyPrivate",
			    b64(&s->sender_signing_key->private_,
			    s->sender_signing_key->has_private_));
			json_object_set_new(st, "SigningKeyPublic",
			    b64(&s->sender_signing_key->public_,
			    s->sender_signing_key->has_public_));
		} else {
			json_object_set_new(st, "SigningKeyPrivate",
			    json_null());
			json_object_set_new(st, "SigningKeyPublic", json_null());
		}
		json_array_append_new(states, st);
	}
	json_object_set_new(o, "SenderKeyStates", states);
	sodium_memzero(key, sizeof(key));
	sigstore__sender_key_record__free_unpacked(r, NULL);
	return dump(o, json, len);
}

int
br_signal_sender_key_json_to_pb(const char *json, size_t n, uint8_t **pb,
    size_t *len)
{
	Sigstore__SenderKeyRecord rec = SIGSTORE__SENDER_KEY_RECORD__INIT;
	struct arena a = { NULL, 0 };
	json_t *o, *states, *st, *keys, *k, *ck;
	size_t i, j;
	int r = U_ERR_INVALID;

	if (n > BR_SIGNAL_RECORD_MAX)
		return U_ERR_TOO_BIG;
	if ((o = load_json(json, n)) == NULL || !json_is_object(o))
		goto out;
	states = json_object_get(o, "SenderKeyStates");
	if (states != NULL && !json_is_null(states)) {
		if (!json_is_array(states))
			goto out;
		rec.n_sender_key_states = json_array_size(states);
		rec.sender_key_states = arena_alloc(&a,
		    rec.n_sender_key_states * sizeof(*rec.sender_key_states));
	}
	json_array_foreach(states, i, st) {
		Sigstore__SenderKeyState *s;

		if (!json_is_object(st))
			goto out;
		s = arena_alloc(&a, sizeof(*s));
		sigstore__sender_key_state__init(s);
		if (u32(json_object_get(st, "KeyID"), &s->sender_key_id))
			goto out;
		s->has_sender_key_id = 1;
		if ((ck = json_object_get(st, "SenderChainKey")) != NULL &&
		    !json_is_null(ck)) {
			if (!json_is_object(ck))
				goto out;
			s->sender_chain_key = arena_alloc(&a,
			    sizeof(*s->sender_chain_key));
			sigstore__sender_key_state__sender_chain_key__init(
			    s->sender_chain_key);
			if (u32(json_object_get(ck, "Iteration"),
			    &s->sender_chain_key->iteration) ||
			    B64(&a, ck, "ChainKey", s->sender_chain_key->seed,
			    s->sender_chain_key->has_seed))
				goto out;
			s->sender_chain_key->has_iteration = 1;
		}
		s->sender_signing_key = arena_alloc(&a,
		    sizeof(*s->sender_signing_key));
		sigstore__sender_key_state__sender_signing_key__init(
		    s->sender_signing_key);
		if (B64(&a, st, "SigningKeyPublic",
		    s->sender_signing_key->public_,
		    s->sender_signing_key->has_public_) ||
		    B64(&a, st, "SigningKeyPrivate",
		    s->sender_signing_key->private_,
		    s->sender_signing_key->has_private_))
			goto out;
		if (s->sender_signing_key->has_private_ &&
		    s->sender_signing_key->private_.len == 0)
			s->sender_signing_key->has_private_ = 0;
		keys = json_object_get(st, "Keys");
		if (keys != NULL && !json_is_null(keys)) {
			if (!json_is_array(keys))
				goto out;
			s->n_sender_message_keys = json_array_size(keys);
			s->sender_message_keys = arena_alloc(&a,
			    s->n_sender_message_keys *
			    sizeof(*s->sender_message_keys));
			json_array_foreach(keys, j, k) {
				Sigstore__SenderKeyState__SenderMessageKey *m;

				if (!json_is_object(k))
					goto out;
				m = arena_alloc(&a, sizeof(*m));
				sigstore__sender_key_state__sender_message_key__init(m);
				if (u32(json_object_get(k, "Iteration"),
				    &m->iteration) ||
				    B64(&a, k, "Seed", m->seed, m->has_seed))
					goto out;
				m->has_iteration = 1;
				s->sender_message_keys[j] = m;
			}
		}
		rec.sender_key_states[i] = s;
	}
	pack_out(&rec.base, pb, len);
	r = 0;
out:
	json_decref(o);
	arena_free(&a);
	return r;
}

/* --- the store ------------------------------------------------------------ */

struct br_wa_signal_db *
br_wa_signal_db_new(struct db *db, const char *our_jid)
{
	struct br_wa_signal_db *s = u_calloc(1, sizeof(*s));

	s->db = db;
	s->our_jid = u_strdup(our_jid);
	return s;
}

void
br_wa_signal_db_free(struct br_wa_signal_db *s)
{
	if (s == NULL)
		return;
	free(s->our_jid);
	free(s);
}

/*
 * Run sql with $1 = our_jid, then text params t2, t3 (may be NULL: not
 * bound), then an integer param (if has_int, as the next index).
 * For a SELECT, *st is left on the first row (r = DB_ROW) for the caller.
 */
static int
run(struct br_wa_signal_db *s, const char *sql, const char *t2,
    const char *t3, int has_int, int64_t iv, struct db_stmt **st)
{
	int r, idx = 2;

	*st = NULL;
	if ((r = db_prepare(s->db, sql, st)) != 0 ||
	    (r = db_bind_text(*st, 1, s->our_jid)) != 0)
		return r;
	if (t2 != NULL && (r = db_bind_text(*st, idx++, t2)) != 0)
		return r;
	if (t3 != NULL && (r = db_bind_text(*st, idx++, t3)) != 0)
		return r;
	if (has_int && (r = db_bind_int64(*st, idx++, iv)) != 0)
		return r;
	return db_step(*st);
}

static int
exec_sql(struct br_wa_signal_db *s, const char *sql, const char *t2,
    const char *t3, int has_int, int64_t iv)
{
	struct db_stmt *st;
	int r;

	r = run(s, sql, t2, t3, has_int, iv, &st);
	db_stmt_free(st);
	if (r < 0)
		log_warnx("signal store: %s: %s", u_strerror(r),
		    db_errmsg(s->db));
	return r < 0 ? r : 0;
}

/* Copy an exact-length blob column. */
static int
blob_exact(struct db_stmt *st, int col, uint8_t *out, size_t n)
{
	const void *p;
	size_t len;

	if ((p = db_column_blob(st, col, &len)) == NULL || len != n)
		return U_ERR_INVALID;
	memcpy(out, p, n);
	return 0;
}

static int
s_local_identity(void *arg, uint8_t pub[WA_SIGNAL_KEY_LEN],
    uint8_t priv[WA_SIGNAL_KEY_LEN], uint32_t *registration_id)
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st;
	int r;

	r = run(s, "SELECT identity_key, registration_id FROM whatsmeow_device "
	    "WHERE jid = $1", NULL, NULL, 0, 0, &st);
	if (r == DB_ROW) {
		if ((r = blob_exact(st, 0, priv, WA_SIGNAL_KEY_LEN)) == 0) {
			*registration_id = (uint32_t)db_column_int64(st, 1);
			r = cry_public_from_private(pub, priv) != 0 ?
			    U_ERR_INVALID : 0;
		}
	} else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

static int
s_identity_load(void *arg, const char *addr, uint8_t key[WA_SIGNAL_KEY_LEN])
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st;
	int r;

	r = run(s, "SELECT identity FROM whatsmeow_identity_keys WHERE "
	    "our_jid = $1 AND their_id = $2", addr, NULL, 0, 0, &st);
	if (r == DB_ROW)
		r = blob_exact(st, 0, key, WA_SIGNAL_KEY_LEN);
	else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

static int
s_identity_save(void *arg, const char *addr,
    const uint8_t key[WA_SIGNAL_KEY_LEN])
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(s->db, "INSERT INTO whatsmeow_identity_keys "
	    "(our_jid, their_id, identity) VALUES ($1, $2, $3) ON CONFLICT "
	    "(our_jid, their_id) DO UPDATE SET identity = excluded.identity",
	    &st)) == 0 &&
	    (r = db_bind_text(st, 1, s->our_jid)) == 0 &&
	    (r = db_bind_text(st, 2, addr)) == 0 &&
	    (r = db_bind_blob(st, 3, key, WA_SIGNAL_KEY_LEN)) == 0)
		r = db_stmt_exec(st);
	db_stmt_free(st);
	return r;
}

static int
s_identity_delete(void *arg, const char *addr)
{
	return exec_sql(arg, "DELETE FROM whatsmeow_identity_keys WHERE "
	    "our_jid = $1 AND their_id = $2", addr, NULL, 0, 0);
}

static int
s_prekey_load(void *arg, uint32_t id, uint8_t priv[WA_SIGNAL_KEY_LEN])
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st;
	int r;

	r = run(s, "SELECT key FROM whatsmeow_pre_keys WHERE jid = $1 AND "
	    "key_id = $2", NULL, NULL, 1, id, &st);
	if (r == DB_ROW)
		r = blob_exact(st, 0, priv, WA_SIGNAL_KEY_LEN);
	else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

static int
s_prekey_store(void *arg, uint32_t id, const uint8_t priv[WA_SIGNAL_KEY_LEN])
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(s->db, "INSERT INTO whatsmeow_pre_keys (jid, "
	    "key_id, key, uploaded) VALUES ($1, $2, $3, $4) ON CONFLICT (jid, "
	    "key_id) DO UPDATE SET key = excluded.key", &st)) == 0 &&
	    (r = db_bind_text(st, 1, s->our_jid)) == 0 &&
	    (r = db_bind_int64(st, 2, id)) == 0 &&
	    (r = db_bind_blob(st, 3, priv, WA_SIGNAL_KEY_LEN)) == 0 &&
	    (r = db_bind_bool(st, 4, 0)) == 0)
		r = db_stmt_exec(st);
	db_stmt_free(st);
	return r;
}

static int
s_prekey_remove(void *arg, uint32_t id)
{
	return exec_sql(arg, "DELETE FROM whatsmeow_pre_keys WHERE jid = $1 "
	    "AND key_id = $2", NULL, NULL, 1, id);
}

static int
s_signed_prekey_load(void *arg, uint32_t id, uint8_t priv[WA_SIGNAL_KEY_LEN],
    uint8_t sig[WA_SIGNAL_SIG_LEN])
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st;
	int r;

	r = run(s, "SELECT signed_pre_key, signed_pre_key_sig FROM "
	    "whatsmeow_device WHERE jid = $1 AND signed_pre_key_id = $2",
	    NULL, NULL, 1, id, &st);
	if (r == DB_ROW) {
		if ((r = blob_exact(st, 0, priv, WA_SIGNAL_KEY_LEN)) == 0)
			r = blob_exact(st, 1, sig, WA_SIGNAL_SIG_LEN);
	} else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

/* A JSON blob column converted to libsignal's protobuf. */
static int
json_column(struct db_stmt *st, int (*conv)(const char *, size_t,
    uint8_t **, size_t *), uint8_t **rec, size_t *len)
{
	const void *p;
	size_t n;

	if ((p = db_column_blob(st, 0, &n)) == NULL)
		return U_ERR_INVALID;
	return conv(p, n, rec, len);
}

static int
s_session_load(void *arg, const char *addr, uint8_t **rec, size_t *len)
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st;
	int r;

	r = run(s, "SELECT session FROM whatsmeow_sessions WHERE our_jid = $1 "
	    "AND their_id = $2", addr, NULL, 0, 0, &st);
	if (r == DB_ROW) {
		if ((r = json_column(st, br_signal_session_json_to_pb, rec,
		    len)) != 0)
			log_warnx("signal store: session with %s unreadable: "
			    "%s", addr, u_strerror(r));
	} else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

static int
put_json(struct br_wa_signal_db *s, const char *sql, const char *t2,
    const char *t3, const char *json, size_t n)
{
	struct db_stmt *st = NULL;
	int r, idx = 2;

	if ((r = db_prepare(s->db, sql, &st)) == 0 &&
	    (r = db_bind_text(st, 1, s->our_jid)) == 0 &&
	    (r = db_bind_text(st, idx++, t2)) == 0 &&
	    (t3 == NULL || (r = db_bind_text(st, idx++, t3)) == 0) &&
	    (r = db_bind_blob(st, idx, json, n)) == 0)
		r = db_stmt_exec(st);
	if (r != 0)
		log_warnx("signal store: %s: %s", u_strerror(r),
		    db_errmsg(s->db));
	db_stmt_free(st);
	return r;
}

static int
s_session_store(void *arg, const char *addr, const uint8_t *rec, size_t len)
{
	char *json;
	size_t n;
	int r;

	if ((r = br_signal_session_pb_to_json(rec, len, &json, &n)) != 0)
		return r;
	r = put_json(arg, "INSERT INTO whatsmeow_sessions (our_jid, their_id, "
	    "session) VALUES ($1, $2, $3) ON CONFLICT (our_jid, their_id) DO "
	    "UPDATE SET session = excluded.session", addr, NULL, json, n);
	sodium_memzero(json, n);
	free(json);
	return r;
}

static int
s_session_delete(void *arg, const char *addr)
{
	return exec_sql(arg, "DELETE FROM whatsmeow_sessions WHERE our_jid = $1 "
	    "AND their_id = $2", addr, NULL, 0, 0);
}

/*
 * The sessions of "<name>:<device>" for one name.  Filtered here rather
 * than with LIKE, where the '_' of LID names ("123_1") is a wildcard.
 */
static int
for_name(struct br_wa_signal_db *s, const char *sql, const char *name,
    int (*fn)(struct br_wa_signal_db *, const char *, uint32_t, void *),
    void *farg)
{
	struct db_stmt *st;
	const char *their, *dev;
	size_t nl = strlen(name);
	char *end;
	unsigned long d;
	int r;

	for (r = run(s, sql, NULL, NULL, 0, 0, &st); r == DB_ROW;
	    r = db_step(st)) {
		if ((their = db_column_text(st, 0)) == NULL ||
		    strncmp(their, name, nl) != 0 || their[nl] != ':')
			continue;
		dev = their + nl + 1;
		d = strtoul(dev, &end, 10);
		if (*dev == '\0' || *end != '\0' || d > UINT32_MAX)
			continue;
		if ((r = fn(s, their, (uint32_t)d, farg)) != 0)
			break;
	}
	db_stmt_free(st);
	return r < 0 ? r : 0;
}

#define SESSIONS "SELECT their_id FROM whatsmeow_sessions WHERE our_jid = $1"
#define IDENTITIES "SELECT their_id FROM whatsmeow_identity_keys WHERE " \
	"our_jid = $1"

struct addrs {
	char		**a;
	uint32_t	 *dev;
	size_t		  n;
};

static int
collect(struct br_wa_signal_db *s, const char *their, uint32_t dev, void *arg)
{
	struct addrs *x = arg;

	(void)s;
	x->a = u_reallocarray(x->a, x->n + 1, sizeof(*x->a));
	x->dev = u_reallocarray(x->dev, x->n + 1, sizeof(*x->dev));
	x->a[x->n] = u_strdup(their);
	x->dev[x->n++] = dev;
	return 0;
}

static void
addrs_free(struct addrs *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->a[i]);
	free(x->a);
	free(x->dev);
}

static int
s_session_delete_all(void *arg, const char *name)
{
	struct addrs x = { NULL, NULL, 0 };
	size_t i;
	int r;

	if ((r = for_name(arg, SESSIONS, name, collect, &x)) == 0)
		for (i = 0; i < x.n && r == 0; i++)
			r = s_session_delete(arg, x.a[i]);
	addrs_free(&x);
	return r;
}

static int
s_identity_delete_all(void *arg, const char *name)
{
	struct addrs x = { NULL, NULL, 0 };
	size_t i;
	int r;

	if ((r = for_name(arg, IDENTITIES, name, collect, &x)) == 0)
		for (i = 0; i < x.n && r == 0; i++)
			r = s_identity_delete(arg, x.a[i]);
	addrs_free(&x);
	return r;
}

static int
s_session_devices(void *arg, const char *name, uint32_t **ids, size_t *n)
{
	struct addrs x = { NULL, NULL, 0 };
	uint32_t *v;
	size_t i, k = 0;
	int r;

	if ((r = for_name(arg, SESSIONS, name, collect, &x)) == 0) {
		v = u_calloc(x.n ? x.n : 1, sizeof(*v));
		for (i = 0; i < x.n; i++)
			if (x.dev[i] != 1)
				v[k++] = x.dev[i];
		*ids = v;
		*n = k;
	}
	addrs_free(&x);
	return r;
}

static int
s_sender_key_load(void *arg, const char *group, const char *sender,
    uint8_t **rec, size_t *len)
{
	struct br_wa_signal_db *s = arg;
	struct db_stmt *st;
	int r;

	r = run(s, "SELECT sender_key FROM whatsmeow_sender_keys WHERE "
	    "our_jid = $1 AND chat_id = $2 AND sender_id = $3", group, sender,
	    0, 0, &st);
	if (r == DB_ROW) {
		if ((r = json_column(st, br_signal_sender_key_json_to_pb, rec,
		    len)) != 0)
			log_warnx("signal store: sender key of %s in %s "
			    "unreadable: %s", sender, group, u_strerror(r));
	} else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

static int
s_sender_key_store(void *arg, const char *group, const char *sender,
    const uint8_t *rec, size_t len)
{
	char *json;
	size_t n;
	int r;

	if ((r = br_signal_sender_key_pb_to_json(rec, len, &json, &n)) != 0)
		return r;
	r = put_json(arg, "INSERT INTO whatsmeow_sender_keys (our_jid, chat_id, "
	    "sender_id, sender_key) VALUES ($1, $2, $3, $4) ON CONFLICT "
	    "(our_jid, chat_id, sender_id) DO UPDATE SET sender_key = "
	    "excluded.sender_key", group, sender, json, n);
	sodium_memzero(json, n);
	free(json);
	return r;
}

/* --- PN<->LID pairs (whatsmeow_lid_map, not per device) ------------------- */

static int
lid_user_ok(const char *u)
{
	size_t i;

	for (i = 0; u[i] != '\0'; i++)
		if (u[i] < '0' || u[i] > '9')
			return 0;
	return i > 0 && i <= WA_SIGNAL_LIDMAP_USER_MAX;
}

struct lid_pair {
	const char	*pn;
	const char	*lid;
};

/* Two statements in one transaction, as whatsmeow's PutLIDMapping: the PN
 * leaves any other LID, then the LID row is inserted or its PN updated. */
static int
lid_save_txn(struct db *db, void *arg)
{
	const struct lid_pair *p = arg;
	struct db_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, "DELETE FROM whatsmeow_lid_map WHERE "
	    "(lid <> $1 AND pn = $2)", &st)) == 0 &&
	    (r = db_bind_text(st, 1, p->lid)) == 0 &&
	    (r = db_bind_text(st, 2, p->pn)) == 0)
		r = db_stmt_exec(st);
	db_stmt_free(st);
	st = NULL;
	if (r != 0)
		return r;
	if ((r = db_prepare(db, "INSERT INTO whatsmeow_lid_map (lid, pn) "
	    "VALUES ($1, $2) ON CONFLICT (lid) DO UPDATE SET pn = excluded.pn "
	    "WHERE whatsmeow_lid_map.pn <> excluded.pn", &st)) == 0 &&
	    (r = db_bind_text(st, 1, p->lid)) == 0 &&
	    (r = db_bind_text(st, 2, p->pn)) == 0)
		r = db_stmt_exec(st);
	db_stmt_free(st);
	return r;
}

static int
s_lid_save(void *arg, const char *pn, const char *lid)
{
	struct br_wa_signal_db *s = arg;
	struct lid_pair p = { pn, lid };
	int r;

	if (!lid_user_ok(pn) || !lid_user_ok(lid))
		return U_ERR_INVALID;
	if ((r = db_txn(s->db, lid_save_txn, &p)) != 0)
		log_warnx("signal store: lid map %s -> %s: %s: %s", pn, lid,
		    u_strerror(r), db_errmsg(s->db));
	return r;
}

static int
lid_lookup(struct br_wa_signal_db *s, const char *sql, const char *key,
    char *out, size_t cap)
{
	struct db_stmt *st = NULL;
	const char *v;
	int r;

	if ((r = db_prepare(s->db, sql, &st)) == 0 &&
	    (r = db_bind_text(st, 1, key)) == 0)
		r = db_step(st);
	if (r == DB_ROW) {
		v = db_column_text(st, 0);
		if (v == NULL || !lid_user_ok(v) || strlen(v) >= cap)
			r = U_ERR_INVALID;
		else {
			memcpy(out, v, strlen(v) + 1);
			r = 0;
		}
	} else if (r == DB_DONE)
		r = U_ERR_NOT_FOUND;
	db_stmt_free(st);
	return r;
}

static int
s_lid_for_pn(void *arg, const char *pn, char *out, size_t cap)
{
	return lid_lookup(arg, "SELECT lid FROM whatsmeow_lid_map WHERE pn = $1",
	    pn, out, cap);
}

static int
s_pn_for_lid(void *arg, const char *lid, char *out, size_t cap)
{
	return lid_lookup(arg, "SELECT pn FROM whatsmeow_lid_map WHERE lid = $1",
	    lid, out, cap);
}

const struct wa_signal_store_ops br_wa_signal_db_ops = {
	.local_identity = s_local_identity,
	.identity_load = s_identity_load,
	.identity_save = s_identity_save,
	.identity_delete = s_identity_delete,
	.identity_delete_all = s_identity_delete_all,
	.prekey_load = s_prekey_load,
	.prekey_store = s_prekey_store,
	.prekey_remove = s_prekey_remove,
	.signed_prekey_load = s_signed_prekey_load,
	.session_load = s_session_load,
	.session_store = s_session_store,
	.session_delete = s_session_delete,
	.session_delete_all = s_session_delete_all,
	.session_devices = s_session_devices,
	.sender_key_load = s_sender_key_load,
	.sender_key_store = s_sender_key_store,
	.lid_save = s_lid_save,
	.lid_for_pn = s_lid_for_pn,
	.pn_for_lid = s_pn_for_lid,
};
