/*
 * signal.c: Signal sessions and sender keys for WhatsApp (waweb/signal.h)
 * over libsignal-protocol-c, with the state behind wa_signal_store_ops.
 *
 * The libsignal store callbacks translate between libsignal's types and
 * the store's: addresses become whatsmeow's "<name>:<device>" strings,
 * prekeys travel as raw private keys (whatsmeow_pre_keys keeps only those)
 * and are rebuilt into libsignal records here, sessions and sender keys
 * stay libsignal's serialized records.
 * When both sides start a session at once (crossing pkmsgs), our own
 * unanswered session stays current for WA_SIGNAL_CROSSING_MS, as the peer
 * makes it current on receipt (see "crossing session setups" below).
 *
 * Does not: build stanzas, fetch bundles, upload prekeys.
 * Invariants: a store failure inside a libsignal callback is kept in
 * s->store_err and returned instead of libsignal's generic error; every
 * libsignal object is released on every path; a changed identity is
 * reported once per occurrence and processed again at most once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <signal/curve.h>
#include <signal/group_cipher.h>
#include <signal/group_session_builder.h>
#include <signal/protocol.h>
#include <signal/sender_key_record.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/session_record.h>
#include <signal/session_state.h>
#include <signal/signal_protocol.h>
#include <sodium.h>

#include "crypto/cry.h"
#include "crypto/cry_signal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/signal.h"

/* A phone-number user known to be a LID user (digits only, both). */
struct alias {
	char	pn[WA_JID_USER_MAX + 1];
	char	lid[WA_JID_USER_MAX + 1];
};

struct wa_signal {
	const struct wa_signal_store_ops *ops;	/* borrowed */
	void			*arg;		/* borrowed */
	signal_protocol_store_context *sc;	/* owned */
	int			 store_err;	/* first store failure of an op */
	wa_signal_identity_fn	 id_fn;
	void			*id_arg;
	struct alias		*aliases;	/* owned, WA_SIGNAL_ALIAS_MAX */
	size_t			 naliases;	/* used slots */
	size_t			 alias_next;	/* next slot to overwrite */
	/* Sessions we started from a bundle lately (a ring): while one is
	 * unanswered, a crossing keeps it current (keep_ours_current). */
	struct {
		char		 addr[WA_SIGNAL_ADDR_MAX];
		uint64_t	 at_ms;		/* monotonic */
	}			 started[WA_SIGNAL_CROSSING_MAX];
	size_t			 started_next;
	unsigned		 crossing_ms;
};

/* One parsed address; name points into buf. */
struct addr {
	signal_protocol_address	sa;
	char			buf[WA_SIGNAL_ADDR_MAX];
};

const char *
wa_signal_type_name(int type)
{
	switch (type) {
	case WA_SIGNAL_MSG:	return "msg";
	case WA_SIGNAL_PKMSG:	return "pkmsg";
	case WA_SIGNAL_SKMSG:	return "skmsg";
	}
	return NULL;
}

/* --- addresses ----------------------------------------------------------- */

int
wa_signal_address(const struct wa_jid *jid, char *out, size_t cap)
{
	unsigned agent;
	int n;

	if (strcmp(jid->server, WA_SERVER_USER) == 0)
		agent = WA_DOMAIN_WHATSAPP;
	else if (strcmp(jid->server, WA_SERVER_LID) == 0)
		agent = WA_DOMAIN_LID;
	else if (strcmp(jid->server, WA_SERVER_HOSTED) == 0)
		agent = WA_DOMAIN_HOSTED;
	else if (strcmp(jid->server, WA_SERVER_HOSTED_LID) == 0)
		agent = WA_DOMAIN_HOSTED_LID;
	else
		agent = jid->agent;
	if (jid->user[0] == '\0')
		return WA_ERR_BAD_JID;
	if (agent != 0)
		n = snprintf(out, cap, "%s_%u:%u", jid->user, agent,
		    (unsigned)jid->device);
	else
		n = snprintf(out, cap, "%s:%u", jid->user, (unsigned)jid->device);
	if (n < 0 || (size_t)n >= cap)
		return WA_ERR_BAD_JID;
	return 0;
}

/* "<name>:<device>" into a libsignal address. */
static int
addr_parse(const char *s, struct addr *a)
{
	const char *colon;
	char *end;
	unsigned long dev;
	size_t n = strlen(s);

	if (n >= sizeof(a->buf) || (colon = strrchr(s, ':')) == NULL ||
	    colon == s || colon[1] < '0' || colon[1] > '9')
		return WA_ERR_INVALID;
	dev = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || dev > INT32_MAX)
		return WA_ERR_INVALID;
	memcpy(a->buf, s, (size_t)(colon - s));
	a->buf[colon - s] = '\0';
	a->sa.name = a->buf;
	a->sa.name_len = (size_t)(colon - s);
	a->sa.device_id = (int32_t)dev;
	return 0;
}

/* A libsignal address back into the store's string. */
static int
addr_str(const signal_protocol_address *sa, char *out, size_t cap)
{
	int n;

	if (sa->name_len > WA_SIGNAL_ADDR_MAX)
		return SG_ERR_INVAL;
	n = snprintf(out, cap, "%.*s:%u", (int)sa->name_len, sa->name,
	    (unsigned)sa->device_id);
	return n < 0 || (size_t)n >= cap ? SG_ERR_INVAL : 0;
}

/* --- PN -> LID aliases ---------------------------------------------------- */

static int migrate_user(struct wa_signal *s, const char *pn, const char *lid);

static int
digits(const char *u)
{
	size_t i;

	for (i = 0; u[i] != '\0'; i++)
		if (u[i] < '0' || u[i] > '9')
			return 0;
	return i > 0 && i <= WA_JID_USER_MAX;
}

static struct alias *
alias_find(const struct wa_signal *s, const char *pn, size_t len)
{
	size_t i;

	for (i = 0; i < s->naliases; i++)
		if (strlen(s->aliases[i].pn) == len &&
		    memcmp(s->aliases[i].pn, pn, len) == 0)
			return &s->aliases[i];
	return NULL;
}

/*
 * The slot for pn now holding lid ("" = the store said it has no pair):
 * pn's own, a new one, or when full the oldest overwritten (its sessions
 * stay where they were moved; a PN address of it is resolved again from
 * the store, or not at all without one).
 */
static struct alias *
alias_put(struct wa_signal *s, const char *pn, const char *lid)
{
	struct alias *al;
	size_t cap;

	if ((al = alias_find(s, pn, strlen(pn))) != NULL)
		;
	else if (s->naliases < WA_SIGNAL_ALIAS_MAX) {
		if (s->naliases % 64 == 0) {
			cap = s->naliases + 64;
			s->aliases = u_reallocarray(s->aliases, cap,
			    sizeof(*s->aliases));
		}
		al = &s->aliases[s->naliases++];
	} else {
		al = &s->aliases[s->alias_next];
		s->alias_next = (s->alias_next + 1) % WA_SIGNAL_ALIAS_MAX;
	}
	snprintf(al->pn, sizeof(al->pn), "%s", pn);
	snprintf(al->lid, sizeof(al->lid), "%s", lid);
	return al;
}

/*
 * The LID pair of the phone-number user pn[0..len) (digits): from memory,
 * else from the store's lid_for_pn (the answer, found or not, cached in
 * memory).  NULL when it has none or on a store failure (logged, not
 * cached: asked again next time).
 */
static const struct alias *
alias_lookup(struct wa_signal *s, const char *pn, size_t len)
{
	const struct alias *al;
	char user[WA_JID_USER_MAX + 1], lid[WA_JID_USER_MAX + 1];
	int r;

	if ((al = alias_find(s, pn, len)) != NULL)
		return al->lid[0] != '\0' ? al : NULL;
	if (s->ops->lid_for_pn == NULL || len == 0 || len > WA_JID_USER_MAX)
		return NULL;
	memcpy(user, pn, len);
	user[len] = '\0';
	if (!digits(user))
		return NULL;
	r = s->ops->lid_for_pn(s->arg, user, lid, sizeof(lid));
	if (r == 0 && digits(lid)) {
		/* A pair this run had not learnt (saved by an earlier run,
		 * or by another writer of the map such as pairing): PN
		 * sessions left from before it are moved now, once. */
		if ((r = migrate_user(s, user, lid)) != 0)
			log_warnx("signal: sessions of %s not moved to %s: %s",
			    user, lid, u_strerror(r));
		return alias_put(s, user, lid);
	}
	if (r == U_ERR_NOT_FOUND) {
		alias_put(s, user, "");
		return NULL;
	}
	log_warnx("signal: lid map lookup of %s: %s", user,
	    r == 0 ? "not a user" : u_strerror(r));
	return NULL;
}

/*
 * The address the API works under for addr: a phone-number address
 * "<digits>:<device>" whose user is aliased becomes "<lid>_1:<device>" in
 * buf; anything else is addr itself.
 */
static const char *
resolve(struct wa_signal *s, const char *addr, char *buf, size_t cap)
{
	const char *colon = strchr(addr, ':');
	const struct alias *al;
	size_t i;
	int n;

	if (colon == NULL || colon == addr ||
	    (s->naliases == 0 && s->ops->lid_for_pn == NULL))
		return addr;
	for (i = 0; addr + i < colon; i++)
		if (addr[i] < '0' || addr[i] > '9')
			return addr;	/* has an agent: LID, hosted */
	if ((al = alias_lookup(s, addr, (size_t)(colon - addr))) == NULL)
		return addr;
	n = snprintf(buf, cap, "%s_%u%s", al->lid, (unsigned)WA_DOMAIN_LID,
	    colon);
	return n < 0 || (size_t)n >= cap ? addr : buf;
}

/* --- store callbacks ------------------------------------------------------ */

static int
store_fail(struct wa_signal *s, int r)
{
	if (s->store_err == 0)
		s->store_err = r;
	return SG_ERR_UNKNOWN;
}

static int
cb_load_session(signal_buffer **record, signal_buffer **user_record,
    const signal_protocol_address *address, void *ud)
{
	struct wa_signal *s = ud;
	char a[WA_SIGNAL_ADDR_MAX + 16];
	uint8_t *rec = NULL;
	size_t len = 0;
	int r;

	(void)user_record;
	if (addr_str(address, a, sizeof(a)) != 0)
		return SG_ERR_INVAL;
	r = s->ops->session_load(s->arg, a, &rec, &len);
	if (r == U_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return store_fail(s, r);
	*record = signal_buffer_create(rec, len);
	free(rec);
	return *record != NULL ? 1 : SG_ERR_NOMEM;
}

static int
cb_sub_device_sessions(signal_int_list **sessions, const char *name,
    size_t name_len, void *ud)
{
	struct wa_signal *s = ud;
	char nm[WA_SIGNAL_ADDR_MAX];
	signal_int_list *l;
	uint32_t *ids = NULL;
	size_t n = 0, i;
	int r;

	if (name_len >= sizeof(nm))
		return SG_ERR_INVAL;
	memcpy(nm, name, name_len);
	nm[name_len] = '\0';
	if (s->ops->session_devices != NULL &&
	    (r = s->ops->session_devices(s->arg, nm, &ids, &n)) != 0)
		return store_fail(s, r);
	if ((l = signal_int_list_alloc()) == NULL) {
		free(ids);
		return SG_ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		signal_int_list_push_back(l, (int)ids[i]);
	free(ids);
	*sessions = l;
	return (int)n;
}

static int
cb_store_session(const signal_protocol_address *address, uint8_t *record,
    size_t record_len, uint8_t *user_record, size_t user_record_len,
    void *ud)
{
	struct wa_signal *s = ud;
	char a[WA_SIGNAL_ADDR_MAX + 16];
	int r;

	(void)user_record;
	(void)user_record_len;
	if (addr_str(address, a, sizeof(a)) != 0)
		return SG_ERR_INVAL;
	if ((r = s->ops->session_store(s->arg, a, record, record_len)) != 0)
		return store_fail(s, r);
	return 0;
}

static int
cb_contains_session(const signal_protocol_address *address, void *ud)
{
	struct wa_signal *s = ud;
	char a[WA_SIGNAL_ADDR_MAX + 16];
	uint8_t *rec = NULL;
	size_t len = 0;
	int r;

	if (addr_str(address, a, sizeof(a)) != 0)
		return SG_ERR_INVAL;
	r = s->ops->session_load(s->arg, a, &rec, &len);
	free(rec);
	if (r == U_ERR_NOT_FOUND)
		return 0;
	return r == 0 ? 1 : store_fail(s, r);
}

static int
cb_delete_session(const signal_protocol_address *address, void *ud)
{
	struct wa_signal *s = ud;
	char a[WA_SIGNAL_ADDR_MAX + 16];
	int r;

	if (addr_str(address, a, sizeof(a)) != 0)
		return SG_ERR_INVAL;
	if ((r = s->ops->session_delete(s->arg, a)) != 0)
		return store_fail(s, r);
	return 1;
}

static int
cb_delete_all_sessions(const char *name, size_t name_len, void *ud)
{
	struct wa_signal *s = ud;
	char nm[WA_SIGNAL_ADDR_MAX];
	int r;

	if (name_len >= sizeof(nm))
		return SG_ERR_INVAL;
	memcpy(nm, name, name_len);
	nm[name_len] = '\0';
	if ((r = s->ops->session_delete_all(s->arg, nm)) != 0)
		return store_fail(s, r);
	return 0;
}

/* Raw private key -> libsignal key pair. */
static int
keypair_from_priv(const uint8_t priv[WA_SIGNAL_KEY_LEN], ec_key_pair **out)
{
	signal_context *g = cry_signal_context();
	uint8_t pub[WA_SIGNAL_KEY_LEN], pre[CRY_PUB_PREFIXED_LEN];
	ec_private_key *pk = NULL;
	ec_public_key *pu = NULL;
	int r;

	if (cry_public_from_private(pub, priv) != 0)
		return SG_ERR_INVALID_KEY;
	cry_pub_prefix(pre, pub);
	if ((r = curve_decode_private_point(&pk, priv, WA_SIGNAL_KEY_LEN, g)) < 0)
		goto out;
	if ((r = curve_decode_point(&pu, pre, sizeof(pre), g)) < 0)
		goto out;
	r = ec_key_pair_create(out, pu, pk);
out:
	SIGNAL_UNREF(pk);
	SIGNAL_UNREF(pu);
	return r;
}

/* The raw private key out of a serialized libsignal key pair's private. */
static int
priv_raw(ec_key_pair *kp, uint8_t priv[WA_SIGNAL_KEY_LEN])
{
	signal_buffer *b = NULL;
	int r;

	if ((r = ec_private_key_serialize(&b, ec_key_pair_get_private(kp))) < 0)
		return r;
	if (signal_buffer_len(b) != WA_SIGNAL_KEY_LEN) {
		signal_buffer_bzero_free(b);
		return SG_ERR_INVALID_KEY;
	}
	memcpy(priv, signal_buffer_data(b), WA_SIGNAL_KEY_LEN);
	signal_buffer_bzero_free(b);
	return 0;
}

static int
cb_load_pre_key(signal_buffer **record, uint32_t id, void *ud)
{
	struct wa_signal *s = ud;
	uint8_t priv[WA_SIGNAL_KEY_LEN];
	ec_key_pair *kp = NULL;
	session_pre_key *pk = NULL;
	int r;

	r = s->ops->prekey_load(s->arg, id, priv);
	if (r == U_ERR_NOT_FOUND)
		return SG_ERR_INVALID_KEY_ID;
	if (r != 0)
		return store_fail(s, r);
	if ((r = keypair_from_priv(priv, &kp)) < 0)
		goto out;
	if ((r = session_pre_key_create(&pk, id, kp)) < 0)
		goto out;
	r = session_pre_key_serialize(record, pk);
out:
	sodium_memzero(priv, sizeof(priv));
	SIGNAL_UNREF(kp);
	SIGNAL_UNREF(pk);
	return r < 0 ? r : 0;
}

static int
cb_store_pre_key(uint32_t id, uint8_t *record, size_t record_len, void *ud)
{
	struct wa_signal *s = ud;
	uint8_t priv[WA_SIGNAL_KEY_LEN];
	session_pre_key *pk = NULL;
	int r;

	if ((r = session_pre_key_deserialize(&pk, record, record_len,
	    cry_signal_context())) < 0)
		return r;
	r = priv_raw(session_pre_key_get_key_pair(pk), priv);
	SIGNAL_UNREF(pk);
	if (r < 0)
		return r;
	r = s->ops->prekey_store(s->arg, id, priv);
	sodium_memzero(priv, sizeof(priv));
	return r != 0 ? store_fail(s, r) : 0;
}

static int
cb_contains_pre_key(uint32_t id, void *ud)
{
	struct wa_signal *s = ud;
	uint8_t priv[WA_SIGNAL_KEY_LEN];
	int r;

	r = s->ops->prekey_load(s->arg, id, priv);
	sodium_memzero(priv, sizeof(priv));
	if (r == U_ERR_NOT_FOUND)
		return 0;
	return r == 0 ? 1 : store_fail(s, r);
}

static int
cb_remove_pre_key(uint32_t id, void *ud)
{
	struct wa_signal *s = ud;
	int r;

	if ((r = s->ops->prekey_remove(s->arg, id)) != 0)
		return store_fail(s, r);
	return 0;
}

static int
cb_load_signed_pre_key(signal_buffer **record, uint32_t id, void *ud)
{
	struct wa_signal *s = ud;
	uint8_t priv[WA_SIGNAL_KEY_LEN], sig[WA_SIGNAL_SIG_LEN];
	ec_key_pair *kp = NULL;
	session_signed_pre_key *spk = NULL;
	int r;

	r = s->ops->signed_prekey_load(s->arg, id, priv, sig);
	if (r == U_ERR_NOT_FOUND)
		return SG_ERR_INVALID_KEY_ID;
	if (r != 0)
		return store_fail(s, r);
	if ((r = keypair_from_priv(priv, &kp)) < 0)
		goto out;
	if ((r = session_signed_pre_key_create(&spk, id, 0, kp, sig,
	    sizeof(sig))) < 0)
		goto out;
	r = session_signed_pre_key_serialize(record, spk);
out:
	sodium_memzero(priv, sizeof(priv));
	SIGNAL_UNREF(kp);
	SIGNAL_UNREF(spk);
	return r < 0 ? r : 0;
}

/* Our signed prekey is the device's; libsignal never stores one. */
static int
cb_store_signed_pre_key(uint32_t id, uint8_t *record, size_t record_len,
    void *ud)
{
	(void)id;
	(void)record;
	(void)record_len;
	(void)ud;
	return SG_ERR_INVAL;
}

static int
cb_contains_signed_pre_key(uint32_t id, void *ud)
{
	struct wa_signal *s = ud;
	uint8_t priv[WA_SIGNAL_KEY_LEN], sig[WA_SIGNAL_SIG_LEN];
	int r;

	r = s->ops->signed_prekey_load(s->arg, id, priv, sig);
	sodium_memzero(priv, sizeof(priv));
	if (r == U_ERR_NOT_FOUND)
		return 0;
	return r == 0 ? 1 : store_fail(s, r);
}

static int
cb_remove_signed_pre_key(uint32_t id, void *ud)
{
	(void)id;
	(void)ud;
	return 0;
}

static int
cb_get_identity_key_pair(signal_buffer **public_data,
    signal_buffer **private_data, void *ud)
{
	struct wa_signal *s = ud;
	uint8_t pub[WA_SIGNAL_KEY_LEN], priv[WA_SIGNAL_KEY_LEN];
	uint8_t pre[CRY_PUB_PREFIXED_LEN];
	uint32_t reg;
	int r;

	if ((r = s->ops->local_identity(s->arg, pub, priv, &reg)) != 0)
		return store_fail(s, r);
	cry_pub_prefix(pre, pub);
	*public_data = signal_buffer_create(pre, sizeof(pre));
	*private_data = signal_buffer_create(priv, sizeof(priv));
	sodium_memzero(priv, sizeof(priv));
	if (*public_data == NULL || *private_data == NULL)
		return SG_ERR_NOMEM;
	return 0;
}

static int
cb_get_local_registration_id(void *ud, uint32_t *registration_id)
{
	struct wa_signal *s = ud;
	uint8_t pub[WA_SIGNAL_KEY_LEN], priv[WA_SIGNAL_KEY_LEN];
	int r;

	r = s->ops->local_identity(s->arg, pub, priv, registration_id);
	sodium_memzero(priv, sizeof(priv));
	return r != 0 ? store_fail(s, r) : 0;
}

static int
cb_save_identity(const signal_protocol_address *address, uint8_t *key_data,
    size_t key_len, void *ud)
{
	struct wa_signal *s = ud;
	char a[WA_SIGNAL_ADDR_MAX + 16];
	uint8_t key[WA_SIGNAL_KEY_LEN];
	int r;

	if (addr_str(address, a, sizeof(a)) != 0)
		return SG_ERR_INVAL;
	if (key_data == NULL || key_len == 0)
		r = s->ops->identity_delete(s->arg, a);
	else if (cry_pub_unprefix(key, key_data, key_len) != 0)
		return SG_ERR_INVALID_KEY;
	else
		r = s->ops->identity_save(s->arg, a, key);
	return r != 0 ? store_fail(s, r) : 0;
}

/* Trust on first use; a different key is untrusted (the caller decides). */
static int
cb_is_trusted_identity(const signal_protocol_address *address,
    uint8_t *key_data, size_t key_len, void *ud)
{
	struct wa_signal *s = ud;
	char a[WA_SIGNAL_ADDR_MAX + 16];
	uint8_t key[WA_SIGNAL_KEY_LEN], have[WA_SIGNAL_KEY_LEN];
	int r;

	if (addr_str(address, a, sizeof(a)) != 0)
		return SG_ERR_INVAL;
	if (cry_pub_unprefix(key, key_data, key_len) != 0)
		return SG_ERR_INVALID_KEY;
	r = s->ops->identity_load(s->arg, a, have);
	if (r == U_ERR_NOT_FOUND)
		return 1;
	if (r != 0)
		return store_fail(s, r);
	return sodium_memcmp(key, have, sizeof(key)) == 0 ? 1 : 0;
}

/* group_id is not NUL-terminated in libsignal's name. */
static int
skname_strs(const signal_protocol_sender_key_name *name, char **group,
    char *sender, size_t cap)
{
	if (name->group_id_len > WA_JID_STR_MAX)
		return SG_ERR_INVAL;
	if (addr_str(&name->sender, sender, cap) != 0)
		return SG_ERR_INVAL;
	*group = u_malloc(name->group_id_len + 1);
	memcpy(*group, name->group_id, name->group_id_len);
	(*group)[name->group_id_len] = '\0';
	return 0;
}

static int
cb_store_sender_key(const signal_protocol_sender_key_name *name,
    uint8_t *record, size_t record_len, uint8_t *user_record,
    size_t user_record_len, void *ud)
{
	struct wa_signal *s = ud;
	char sender[WA_SIGNAL_ADDR_MAX + 16], *group;
	int r;

	(void)user_record;
	(void)user_record_len;
	if (skname_strs(name, &group, sender, sizeof(sender)) != 0)
		return SG_ERR_INVAL;
	r = s->ops->sender_key_store(s->arg, group, sender, record, record_len);
	free(group);
	return r != 0 ? store_fail(s, r) : 0;
}

static int
cb_load_sender_key(signal_buffer **record, signal_buffer **user_record,
    const signal_protocol_sender_key_name *name, void *ud)
{
	struct wa_signal *s = ud;
	char sender[WA_SIGNAL_ADDR_MAX + 16], *group;
	uint8_t *rec = NULL;
	size_t len = 0;
	int r;

	(void)user_record;
	if (skname_strs(name, &group, sender, sizeof(sender)) != 0)
		return SG_ERR_INVAL;
	r = s->ops->sender_key_load(s->arg, group, sender, &rec, &len);
	free(group);
	if (r == U_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return store_fail(s, r);
	*record = signal_buffer_create(rec, len);
	free(rec);
	return *record != NULL ? 1 : SG_ERR_NOMEM;
}

/* --- object --------------------------------------------------------------- */

struct wa_signal *
wa_signal_new(const struct wa_signal_store_ops *ops, void *arg)
{
	struct wa_signal *s = u_calloc(1, sizeof(*s));
	signal_context *g = cry_signal_context();

	s->ops = ops;
	s->arg = arg;
	s->crossing_ms = WA_SIGNAL_CROSSING_MS;
	if (g == NULL || signal_protocol_store_context_create(&s->sc, g) != 0)
		fatalx("signal: cannot create the libsignal store context");

	signal_protocol_session_store ss = {
		.load_session_func = cb_load_session,
		.get_sub_device_sessions_func = cb_sub_device_sessions,
		.store_session_func = cb_store_session,
		.contains_session_func = cb_contains_session,
		.delete_session_func = cb_delete_session,
		.delete_all_sessions_func = cb_delete_all_sessions,
		.user_data = s,
	};
	signal_protocol_pre_key_store ps = {
		.load_pre_key = cb_load_pre_key,
		.store_pre_key = cb_store_pre_key,
		.contains_pre_key = cb_contains_pre_key,
		.remove_pre_key = cb_remove_pre_key,
		.user_data = s,
	};
	signal_protocol_signed_pre_key_store sps = {
		.load_signed_pre_key = cb_load_signed_pre_key,
		.store_signed_pre_key = cb_store_signed_pre_key,
		.contains_signed_pre_key = cb_contains_signed_pre_key,
		.remove_signed_pre_key = cb_remove_signed_pre_key,
		.user_data = s,
	};
	signal_protocol_identity_key_store is = {
		.get_identity_key_pair = cb_get_identity_key_pair,
		.get_local_registration_id = cb_get_local_registration_id,
		.save_identity = cb_save_identity,
		.is_trusted_identity = cb_is_trusted_identity,
		.user_data = s,
	};
	signal_protocol_sender_key_store sks = {
		.store_sender_key = cb_store_sender_key,
		.load_sender_key = cb_load_sender_key,
		.user_data = s,
	};
	signal_protocol_store_context_set_session_store(s->sc, &ss);
	signal_protocol_store_context_set_pre_key_store(s->sc, &ps);
	signal_protocol_store_context_set_signed_pre_key_store(s->sc, &sps);
	signal_protocol_store_context_set_identity_key_store(s->sc, &is);
	signal_protocol_store_context_set_sender_key_store(s->sc, &sks);
	return s;
}

void
wa_signal_free(struct wa_signal *s)
{
	if (s == NULL)
		return;
	signal_protocol_store_context_destroy(s->sc);
	free(s->aliases);
	free(s);
}

void
wa_signal_on_identity_change(struct wa_signal *s, wa_signal_identity_fn fn,
    void *arg)
{
	s->id_fn = fn;
	s->id_arg = arg;
}

/* libsignal's code (or a kept store failure) as a WA_ERR_*. */
static int
map_err(struct wa_signal *s, int r)
{
	if (s->store_err != 0)
		return s->store_err;
	switch (r) {
	case SG_ERR_NO_SESSION:		return WA_ERR_SIG_NO_SESSION;
	case SG_ERR_UNTRUSTED_IDENTITY:	return WA_ERR_SIG_UNTRUSTED;
	case SG_ERR_DUPLICATE_MESSAGE:	return WA_ERR_SIG_DUPLICATE;
	case SG_ERR_INVALID_KEY_ID:	return WA_ERR_SIG_KEY_ID;
	case SG_ERR_INVALID_KEY:	return WA_ERR_SIG_BAD_KEY;
	case SG_ERR_INVALID_MESSAGE:
	case SG_ERR_INVALID_MAC:
	case SG_ERR_INVALID_VERSION:
	case SG_ERR_LEGACY_MESSAGE:
	case SG_ERR_INVALID_PROTO_BUF:
	case SG_ERR_STALE_KEY_EXCHANGE:
		return WA_ERR_SIG_INVALID_MESSAGE;
	case SG_ERR_VRF_SIG_VERIF_FAILED:
		return WA_ERR_SIG_BAD_SIGNATURE;
	}
	return WA_ERR_SIGNAL;
}

/* whatsmeow's clearUntrustedIdentity: drop identity and session, report. */
static int
clear_untrusted(struct wa_signal *s, const char *addr)
{
	int r;

	if ((r = s->ops->identity_delete(s->arg, addr)) != 0)
		return r;
	if ((r = s->ops->session_delete(s->arg, addr)) != 0)
		return r;
	log_info("signal: identity key of %s changed; trusting the new one",
	    addr);
	if (s->id_fn != NULL)
		s->id_fn(s->id_arg, addr);
	return 0;
}

static void
buf_out(signal_buffer *b, uint8_t **out, size_t *outlen)
{
	size_t n = signal_buffer_len(b);

	*out = u_malloc(n ? n : 1);
	memcpy(*out, signal_buffer_data(b), n);
	*outlen = n;
}

/* --- crossing session setups ---------------------------------------------- */

/*
 * Both sides may start a session at the same moment (a peer creates a
 * group with us and sends its first message while we greet the group):
 * we send a pkmsg on our session S1 built from its bundle, it sends one
 * on its S2 built from ours, each before getting the other's.  Every
 * Signal implementation makes the session of a received pkmsg current, so
 * the peer ends on S1 (ours: it got our pkmsg after sending its own) while
 * libsignal would put us on S2: each side sends on the session the other
 * holds as an old one.  libsignal (C, Java, Go) decrypts with old states on
 * a copy and switches to them, but Baileys' libsignal-node (6.0.0) tries
 * the sessions of a record in order of last use and steps the ratchet of
 * every one it tries before checking the MAC, keeping the step when a
 * later one decrypts: our message on S2 corrupts its S1, and what it sends
 * next on S1 is undecryptable for us.  So, as long as our own session is
 * unanswered (its pkmsg not acknowledged by any message on it) and was
 * started by us within crossing_ms, a message decrypted under another
 * state leaves ours current: we keep sending on S1, which the peer has
 * made current, and the peer's S2 state stays with us as an old state (its
 * in-flight messages still decrypt).  Once the peer answers on S1, or
 * after crossing_ms (a peer that lost S1 and started anew is then
 * followed, as libsignal does), nothing is changed.
 */
static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
started_note(struct wa_signal *s, const char *addr)
{
	size_t i;

	for (i = 0; i < WA_SIGNAL_CROSSING_MAX; i++)
		if (strcmp(s->started[i].addr, addr) == 0)
			break;
	if (i == WA_SIGNAL_CROSSING_MAX) {
		i = s->started_next;
		s->started_next = (s->started_next + 1) % WA_SIGNAL_CROSSING_MAX;
	}
	snprintf(s->started[i].addr, sizeof(s->started[i].addr), "%s", addr);
	s->started[i].at_ms = mono_ms();
}

static int
started_lately(const struct wa_signal *s, const char *addr)
{
	uint64_t now = mono_ms();
	size_t i;

	for (i = 0; i < WA_SIGNAL_CROSSING_MAX; i++)
		if (s->started[i].addr[0] != '\0' &&
		    strcmp(s->started[i].addr, addr) == 0)
			return now - s->started[i].at_ms <= s->crossing_ms;
	return 0;
}

/* The serialized base key (33 bytes) of a state into out. */
static int
state_base_key(session_state *st, uint8_t out[CRY_PUB_PREFIXED_LEN])
{
	ec_public_key *bk = session_state_get_alice_base_key(st);
	signal_buffer *b = NULL;
	int r = -1;

	if (bk != NULL && ec_public_key_serialize(&b, bk) == 0 &&
	    signal_buffer_len(b) == CRY_PUB_PREFIXED_LEN) {
		memcpy(out, signal_buffer_data(b), CRY_PUB_PREFIXED_LEN);
		r = 0;
	}
	signal_buffer_free(b);
	return r;
}

static session_record *
record_load(struct wa_signal *s, const char *addr)
{
	session_record *rec = NULL;
	uint8_t *raw = NULL;
	size_t len = 0;

	if (s->ops->session_load(s->arg, addr, &raw, &len) != 0)
		return NULL;
	if (session_record_deserialize(&rec, raw, len,
	    cry_signal_context()) < 0)
		rec = NULL;
	sodium_memzero(raw, len);
	free(raw);
	return rec;
}

/*
 * Before a decryption from addr: 1 with the base key of our current state
 * in ours when that state is our own, unanswered and started lately (see
 * above), else 0.
 */
static int
own_pending(struct wa_signal *s, const char *addr,
    uint8_t ours[CRY_PUB_PREFIXED_LEN])
{
	session_record *rec;
	session_state *st;
	int r = 0;

	if (!started_lately(s, addr) || (rec = record_load(s, addr)) == NULL)
		return 0;
	st = session_record_get_state(rec);
	if (st != NULL && session_state_has_unacknowledged_pre_key_message(st) &&
	    state_base_key(st, ours) == 0)
		r = 1;
	SIGNAL_UNREF(rec);
	return r;
}

/* After a decryption that made another state current: ours (an old state
 * now) is made current again, the other one kept as the newest old one. */
static void
keep_ours_current(struct wa_signal *s, const char *addr,
    const uint8_t ours[CRY_PUB_PREFIXED_LEN])
{
	session_record *rec;
	session_record_state_node *nd;
	session_state *st;
	signal_buffer *out = NULL;
	uint8_t bk[CRY_PUB_PREFIXED_LEN];
	int r;

	if ((rec = record_load(s, addr)) == NULL)
		return;
	st = session_record_get_state(rec);
	if (st == NULL || (state_base_key(st, bk) == 0 &&
	    memcmp(bk, ours, sizeof(bk)) == 0))
		goto out;	/* ours decrypted it, or nothing to do */
	for (nd = session_record_get_previous_states_head(rec); nd != NULL;
	    nd = session_record_get_previous_states_next(nd)) {
		st = session_record_get_previous_states_element(nd);
		if (state_base_key(st, bk) == 0 &&
		    memcmp(bk, ours, sizeof(bk)) == 0)
			break;
	}
	if (nd == NULL)
		goto out;
	SIGNAL_REF(st);
	session_record_get_previous_states_remove(rec, nd);
	r = session_record_promote_state(rec, st);
	SIGNAL_UNREF(st);
	if (r < 0 || session_record_serialize(&out, rec) < 0)
		goto out;
	if ((r = s->ops->session_store(s->arg, addr, signal_buffer_data(out),
	    signal_buffer_len(out))) != 0)
		log_warnx("signal: session of %s not stored: %s", addr,
		    u_strerror(r));
	else
		log_debug("signal: %s also started a session with us: ours, "
		    "unanswered yet, stays current (crossing)", addr);
out:
	if (out != NULL)
		signal_buffer_bzero_free(out);
	SIGNAL_UNREF(rec);
}

void
wa_signal_set_crossing_ms(struct wa_signal *s, unsigned ms)
{
	s->crossing_ms = ms;
}

int
wa_signal_session_unanswered(struct wa_signal *s, const char *addr)
{
	char rb[WA_SIGNAL_ADDR_MAX];
	session_record *rec;
	session_state *st;
	int r;

	addr = resolve(s, addr, rb, sizeof(rb));
	if ((rec = record_load(s, addr)) == NULL)
		return 0;
	st = session_record_get_state(rec);
	r = st != NULL && session_state_has_unacknowledged_pre_key_message(st);
	SIGNAL_UNREF(rec);
	return r;
}

/* --- padding -------------------------------------------------------------- */

void
wa_signal_pad(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen)
{
	uint8_t pad;

	cry_random(&pad, 1);
	pad &= 0x0f;
	if (pad == 0)
		pad = WA_SIGNAL_PAD_MAX;
	*out = u_malloc(n + pad);
	if (n > 0)
		memcpy(*out, p, n);
	memset(*out + n, pad, pad);
	*outlen = n + pad;
}

/*
 * Like whatsmeow's unpadMessage: the last byte N says how many bytes of
 * value N end the plaintext.  N = 0 passes with nothing removed (whatsmeow
 * accepts it too); v=3 plaintexts carry no padding.
 */
int
wa_signal_unpad(const uint8_t *p, size_t n, int version, size_t *outlen)
{
	size_t pad, i;

	if (version == 3) {
		*outlen = n;
		return 0;
	}
	if (n == 0)
		return WA_ERR_SIG_PADDING;
	pad = p[n - 1];
	if (pad > n)
		return WA_ERR_SIG_PADDING;
	for (i = n - pad; i < n; i++)
		if (p[i] != pad)
			return WA_ERR_SIG_PADDING;
	*outlen = n - pad;
	return 0;
}

/* --- bundles and sessions ------------------------------------------------- */

static const struct wa_node *
child(const struct wa_node *n, const char *tag)
{
	return n != NULL ? wa_node_child(n, tag) : NULL;
}

/* Content bytes of exactly len bytes, else NULL. */
static const uint8_t *
exact(const struct wa_node *n, size_t len)
{
	if (n == NULL || (n->kind != WA_CONTENT_BYTES &&
	    n->kind != WA_CONTENT_STRING) || n->len != len)
		return NULL;
	return n->bytes;
}

static uint32_t
be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

static int
prekey_node(const struct wa_node *n, uint32_t *id, uint8_t pub[32],
    uint8_t *sig)
{
	const uint8_t *i, *v, *g = NULL;

	if ((i = exact(child(n, "id"), 3)) == NULL ||
	    (v = exact(child(n, "value"), WA_SIGNAL_KEY_LEN)) == NULL)
		return WA_ERR_SIG_BAD_BUNDLE;
	if (sig != NULL &&
	    (g = exact(child(n, "signature"), WA_SIGNAL_SIG_LEN)) == NULL)
		return WA_ERR_SIG_BAD_BUNDLE;
	*id = be(i, 3);
	memcpy(pub, v, WA_SIGNAL_KEY_LEN);
	if (sig != NULL)
		memcpy(sig, g, WA_SIGNAL_SIG_LEN);
	return 0;
}

int
wa_signal_bundle_from_node(const struct wa_node *n, uint32_t device_id,
    struct wa_signal_bundle *out)
{
	struct wa_signal_bundle b;
	const struct wa_node *keys, *k;
	const uint8_t *reg, *id;
	int r;

	memset(&b, 0, sizeof(b));
	if (child(n, "error") != NULL)
		return WA_ERR_IQ;
	if ((reg = exact(child(n, "registration"), 4)) == NULL)
		return WA_ERR_SIG_BAD_BUNDLE;
	b.registration_id = be(reg, 4);
	b.device_id = device_id;
	if ((keys = child(n, "keys")) == NULL)
		keys = n;
	if ((id = exact(child(keys, "identity"), WA_SIGNAL_KEY_LEN)) == NULL)
		return WA_ERR_SIG_BAD_BUNDLE;
	memcpy(b.identity, id, WA_SIGNAL_KEY_LEN);
	if ((k = child(keys, "key")) != NULL) {
		if ((r = prekey_node(k, &b.prekey_id, b.prekey, NULL)) != 0)
			return r;
		b.has_prekey = true;
	}
	if ((k = child(keys, "skey")) == NULL)
		return WA_ERR_SIG_BAD_BUNDLE;
	if ((r = prekey_node(k, &b.signed_prekey_id, b.signed_prekey,
	    b.signature)) != 0)
		return r;
	*out = b;
	return 0;
}

static int
decode_pub(const uint8_t raw[WA_SIGNAL_KEY_LEN], ec_public_key **out)
{
	uint8_t pre[CRY_PUB_PREFIXED_LEN];

	cry_pub_prefix(pre, raw);
	return curve_decode_point(out, pre, sizeof(pre), cry_signal_context());
}

int
wa_signal_session_from_bundle(struct wa_signal *s, const char *addr,
    const struct wa_signal_bundle *b)
{
	struct addr a;
	char rb[WA_SIGNAL_ADDR_MAX];
	uint8_t pre[CRY_PUB_PREFIXED_LEN];
	ec_public_key *ik = NULL, *spk = NULL, *pk = NULL;
	session_pre_key_bundle *bundle = NULL;
	session_builder *sb = NULL;
	int r, retried = 0;

	addr = resolve(s, addr, rb, sizeof(rb));
	s->store_err = 0;
	if ((r = addr_parse(addr, &a)) != 0)
		return r;
	/* Checked here too so a bad bundle never touches the store. */
	cry_pub_prefix(pre, b->signed_prekey);
	if (cry_xeddsa_verify(b->identity, pre, sizeof(pre), b->signature) != 0)
		return WA_ERR_SIG_BAD_SIGNATURE;
	r = WA_ERR_SIG_BAD_KEY;
	if (decode_pub(b->identity, &ik) < 0 ||
	    decode_pub(b->signed_prekey, &spk) < 0 ||
	    (b->has_prekey && decode_pub(b->prekey, &pk) < 0))
		goto out;
	if ((r = session_pre_key_bundle_create(&bundle, b->registration_id,
	    (int)b->device_id, b->has_prekey ? b->prekey_id : 0, pk,
	    b->signed_prekey_id, spk, b->signature, WA_SIGNAL_SIG_LEN, ik)) < 0 ||
	    (r = session_builder_create(&sb, s->sc, &a.sa,
	    cry_signal_context())) < 0) {
		r = map_err(s, r);
		goto out;
	}
again:
	r = session_builder_process_pre_key_bundle(sb, bundle);
	if (r == SG_ERR_UNTRUSTED_IDENTITY && !retried && s->store_err == 0) {
		retried = 1;
		if ((r = clear_untrusted(s, addr)) != 0)
			goto out;
		goto again;
	}
	r = r < 0 ? map_err(s, r) : 0;
	if (r == 0)
		started_note(s, addr);
out:
	session_builder_free(sb);
	SIGNAL_UNREF(bundle);
	SIGNAL_UNREF(ik);
	SIGNAL_UNREF(spk);
	SIGNAL_UNREF(pk);
	return r;
}

int
wa_signal_has_session(struct wa_signal *s, const char *addr)
{
	struct addr a;
	char rb[WA_SIGNAL_ADDR_MAX];
	int r;

	addr = resolve(s, addr, rb, sizeof(rb));
	s->store_err = 0;
	if ((r = addr_parse(addr, &a)) != 0)
		return r;
	r = signal_protocol_session_contains_session(s->sc, &a.sa);
	return r < 0 ? map_err(s, r) : r;
}

int
wa_signal_delete_session(struct wa_signal *s, const char *addr)
{
	struct addr a;
	char rb[WA_SIGNAL_ADDR_MAX];
	int r;

	addr = resolve(s, addr, rb, sizeof(rb));
	s->store_err = 0;
	if ((r = addr_parse(addr, &a)) != 0)
		return r;
	return s->ops->session_delete(s->arg, addr);
}

/*
 * Move the session of device dev from the PN address to the LID one; with
 * sessions under both, the PN one becomes the current state of the LID
 * record and the LID one its newest old state (libsignal still decrypts
 * with old states and makes the one that worked current again).  The PN
 * identity is copied when the LID address has none.
 */
static int
migrate_device(struct wa_signal *s, const char *pn, const char *lid,
    uint32_t dev)
{
	char pa[WA_SIGNAL_ADDR_MAX], la[WA_SIGNAL_ADDR_MAX];
	uint8_t *prec = NULL, *lrec = NULL, key[WA_SIGNAL_KEY_LEN];
	size_t plen = 0, llen = 0;
	session_record *pr = NULL, *lr = NULL;
	signal_buffer *out = NULL;
	int r;

	snprintf(pa, sizeof(pa), "%s:%u", pn, (unsigned)dev);
	snprintf(la, sizeof(la), "%s_%u:%u", lid, (unsigned)WA_DOMAIN_LID,
	    (unsigned)dev);
	if ((r = s->ops->session_load(s->arg, pa, &prec, &plen)) != 0)
		return r == U_ERR_NOT_FOUND ? 0 : r;
	r = s->ops->session_load(s->arg, la, &lrec, &llen);
	if (r == U_ERR_NOT_FOUND)
		r = s->ops->session_store(s->arg, la, prec, plen);
	else if (r == 0) {
		if (session_record_deserialize(&pr, prec, plen,
		    cry_signal_context()) < 0 ||
		    session_record_deserialize(&lr, lrec, llen,
		    cry_signal_context()) < 0 ||
		    session_record_get_state(pr) == NULL ||
		    session_record_promote_state(lr,
		    session_record_get_state(pr)) < 0 ||
		    session_record_serialize(&out, lr) < 0) {
			r = WA_ERR_SIGNAL;
			goto out;
		}
		r = s->ops->session_store(s->arg, la, signal_buffer_data(out),
		    signal_buffer_len(out));
	}
	if (r != 0)
		goto out;
	if (s->ops->identity_load(s->arg, la, key) == U_ERR_NOT_FOUND &&
	    s->ops->identity_load(s->arg, pa, key) == 0 &&
	    (r = s->ops->identity_save(s->arg, la, key)) != 0)
		goto out;
	if ((r = s->ops->session_delete(s->arg, pa)) == 0)
		log_debug("signal: session %s moved to %s", pa, la);
out:
	sodium_memzero(key, sizeof(key));
	if (out != NULL)
		signal_buffer_bzero_free(out);
	SIGNAL_UNREF(pr);
	SIGNAL_UNREF(lr);
	if (prec != NULL)
		sodium_memzero(prec, plen);
	if (lrec != NULL)
		sodium_memzero(lrec, llen);
	free(prec);
	free(lrec);
	return r;
}

/* Every session of the PN user pn moved to the LID user lid. */
static int
migrate_user(struct wa_signal *s, const char *pn, const char *lid)
{
	uint32_t *ids = NULL;
	size_t n = 0, i;
	int r;

	/* Device 1 is not in session_devices' answer (libsignal's
	 * sub-devices); it is tried first. */
	if ((r = migrate_device(s, pn, lid, 1)) != 0)
		return r;
	if (s->ops->session_devices != NULL &&
	    (r = s->ops->session_devices(s->arg, pn, &ids, &n)) != 0)
		return r;
	for (i = 0; i < n && r == 0; i++)
		if (ids[i] != 1)
			r = migrate_device(s, pn, lid, ids[i]);
	free(ids);
	return r;
}

int
wa_signal_learn_lid(struct wa_signal *s, const char *pn_user,
    const char *lid_user)
{
	struct alias *have;
	size_t i;
	int r;

	if (pn_user == NULL || lid_user == NULL || !digits(pn_user) ||
	    !digits(lid_user))
		return WA_ERR_INVALID;
	have = alias_find(s, pn_user, strlen(pn_user));
	if (have != NULL && strcmp(have->lid, lid_user) == 0)
		return 0;	/* known: its sessions were moved then */
	/* Persisted first (a store failure is logged: the pair still holds
	 * in memory for this run). */
	if (s->ops->lid_save != NULL &&
	    (r = s->ops->lid_save(s->arg, pn_user, lid_user)) != 0)
		log_warnx("signal: lid map %s -> %s not saved: %s", pn_user,
		    lid_user, u_strerror(r));
	/* A LID is one PN's: another PN cached for it no longer is. */
	for (i = 0; i < s->naliases; i++)
		if (strcmp(s->aliases[i].lid, lid_user) == 0 &&
		    strcmp(s->aliases[i].pn, pn_user) != 0)
			s->aliases[i].lid[0] = '\0';
	alias_put(s, pn_user, lid_user);
	return migrate_user(s, pn_user, lid_user);
}

int
wa_signal_lid_for_pn(struct wa_signal *s, const char *pn_user, char *out,
    size_t cap)
{
	const struct alias *al;

	if (pn_user == NULL || !digits(pn_user))
		return WA_ERR_INVALID;
	if ((al = alias_lookup(s, pn_user, strlen(pn_user))) == NULL)
		return U_ERR_NOT_FOUND;
	if (strlen(al->lid) >= cap)
		return U_ERR_TOO_BIG;
	memcpy(out, al->lid, strlen(al->lid) + 1);
	return 0;
}

int
wa_signal_forget_user(struct wa_signal *s, const char *name)
{
	const struct alias *al;
	char ln[WA_SIGNAL_ADDR_MAX];
	int r;

	if (name == NULL || name[0] == '\0' || strchr(name, ':') != NULL ||
	    strlen(name) >= WA_SIGNAL_ADDR_MAX)
		return WA_ERR_INVALID;
	if ((al = alias_lookup(s, name, strlen(name))) != NULL) {
		/* Its sessions live under the LID name. */
		snprintf(ln, sizeof(ln), "%s_%u", al->lid,
		    (unsigned)WA_DOMAIN_LID);
		if ((r = s->ops->identity_delete_all(s->arg, ln)) != 0 ||
		    (r = s->ops->session_delete_all(s->arg, ln)) != 0)
			return r;
	}
	if ((r = s->ops->identity_delete_all(s->arg, name)) != 0)
		return r;
	return s->ops->session_delete_all(s->arg, name);
}

int
wa_signal_encrypt(struct wa_signal *s, const char *addr, const uint8_t *pt,
    size_t n, int *type, uint8_t **out, size_t *outlen)
{
	struct addr a;
	char rb[WA_SIGNAL_ADDR_MAX];
	session_cipher *c = NULL;
	ciphertext_message *m = NULL;
	uint8_t *padded = NULL;
	size_t plen;
	int r;

	addr = resolve(s, addr, rb, sizeof(rb));
	if ((r = addr_parse(addr, &a)) != 0)
		return r;
	if (n > WA_SIGNAL_CIPHERTEXT_MAX)
		return WA_ERR_TOO_BIG;
	if ((r = wa_signal_has_session(s, addr)) <= 0)
		return r < 0 ? r : WA_ERR_SIG_NO_SESSION;
	s->store_err = 0;
	wa_signal_pad(pt, n, &padded, &plen);
	if ((r = session_cipher_create(&c, s->sc, &a.sa,
	    cry_signal_context())) < 0 ||
	    (r = session_cipher_encrypt(c, padded, plen, &m)) < 0) {
		r = map_err(s, r);
		goto out;
	}
	switch (ciphertext_message_get_type(m)) {
	case CIPHERTEXT_PREKEY_TYPE:
		*type = WA_SIGNAL_PKMSG;
		break;
	case CIPHERTEXT_SIGNAL_TYPE:
		*type = WA_SIGNAL_MSG;
		break;
	default:
		r = WA_ERR_INTERNAL;
		goto out;
	}
	buf_out(ciphertext_message_get_serialized(m), out, outlen);
	r = 0;
out:
	sodium_memzero(padded, plen);
	free(padded);
	SIGNAL_UNREF(m);
	session_cipher_free(c);
	return r;
}

/* Strip the padding off a decrypted buffer into an owned output. */
static int
unpad_out(signal_buffer *b, int version, uint8_t **out, size_t *outlen)
{
	size_t n;
	int r;

	if ((r = wa_signal_unpad(signal_buffer_data(b), signal_buffer_len(b),
	    version, &n)) != 0)
		return r;
	*out = u_malloc(n ? n : 1);
	memcpy(*out, signal_buffer_data(b), n);
	*outlen = n;
	return 0;
}

int
wa_signal_decrypt(struct wa_signal *s, const char *addr, int type,
    int version, const uint8_t *ct, size_t n, uint8_t **out, size_t *outlen)
{
	struct addr a;
	char rb[WA_SIGNAL_ADDR_MAX];
	session_cipher *c = NULL;
	pre_key_signal_message *pm = NULL;
	signal_message *sm = NULL;
	signal_buffer *pt = NULL;
	uint8_t ours[CRY_PUB_PREFIXED_LEN];
	int r, retried = 0, pending;

	addr = resolve(s, addr, rb, sizeof(rb));
	s->store_err = 0;
	if ((r = addr_parse(addr, &a)) != 0)
		return r;
	if (n > WA_SIGNAL_CIPHERTEXT_MAX)
		return WA_ERR_TOO_BIG;
	if (n == 0 || ct == NULL)
		return WA_ERR_SIG_INVALID_MESSAGE;
	pending = own_pending(s, addr, ours);
	if ((r = session_cipher_create(&c, s->sc, &a.sa,
	    cry_signal_context())) < 0) {
		r = map_err(s, r);
		goto out;
	}
	if (type == WA_SIGNAL_PKMSG) {
		if (pre_key_signal_message_deserialize(&pm, ct, n,
		    cry_signal_context()) < 0) {
			r = WA_ERR_SIG_INVALID_MESSAGE;
			goto out;
		}
again:
		r = session_cipher_decrypt_pre_key_signal_message(c, pm, NULL,
		    &pt);
		if (r == SG_ERR_UNTRUSTED_IDENTITY && !retried &&
		    s->store_err == 0) {
			retried = 1;
			if ((r = clear_untrusted(s, addr)) != 0)
				goto out;
			goto again;
		}
	} else if (type == WA_SIGNAL_MSG) {
		if (signal_message_deserialize(&sm, ct, n,
		    cry_signal_context()) < 0) {
			r = WA_ERR_SIG_INVALID_MESSAGE;
			goto out;
		}
		r = session_cipher_decrypt_signal_message(c, sm, NULL, &pt);
	} else {
		r = WA_ERR_INVALID;
		goto out;
	}
	if (r < 0) {
		r = map_err(s, r);
		goto out;
	}
	if (pending)
		keep_ours_current(s, addr, ours);
	r = unpad_out(pt, version, out, outlen);
out:
	if (pt != NULL)
		signal_buffer_bzero_free(pt);
	SIGNAL_UNREF(pm);
	SIGNAL_UNREF(sm);
	session_cipher_free(c);
	return r;
}

/* --- groups --------------------------------------------------------------- */

static int
skname(const char *group, const char *sender, struct addr *a,
    signal_protocol_sender_key_name *name)
{
	int r;

	if (group == NULL || group[0] == '\0' ||
	    strlen(group) > WA_JID_STR_MAX)
		return WA_ERR_INVALID;
	if ((r = addr_parse(sender, a)) != 0)
		return r;
	name->group_id = group;
	name->group_id_len = strlen(group);
	name->sender = a->sa;
	return 0;
}

static int
group_err(struct wa_signal *s, int r)
{
	r = map_err(s, r);
	return r == WA_ERR_SIG_NO_SESSION ? WA_ERR_SIG_NO_SENDER_KEY : r;
}

int
wa_signal_group_skdm(struct wa_signal *s, const char *group, const char *self,
    uint8_t **out, size_t *outlen)
{
	signal_protocol_sender_key_name name;
	struct addr a;
	group_session_builder *gb = NULL;
	sender_key_distribution_message *m = NULL;
	int r;

	s->store_err = 0;
	if ((r = skname(group, self, &a, &name)) != 0)
		return r;
	if ((r = group_session_builder_create(&gb, s->sc,
	    cry_signal_context())) < 0 ||
	    (r = group_session_builder_create_session(gb, &m, &name)) < 0) {
		r = group_err(s, r);
		goto out;
	}
	buf_out(ciphertext_message_get_serialized((ciphertext_message *)m),
	    out, outlen);
	r = 0;
out:
	SIGNAL_UNREF(m);
	group_session_builder_free(gb);
	return r;
}

/*
 * Rotation: an empty record replaces ours, so the next
 * group_session_builder_create_session (wa_signal_group_skdm) finds no
 * state and makes a fresh key id, chain key and signing key.
 */
int
wa_signal_group_rotate(struct wa_signal *s, const char *group,
    const char *self)
{
	signal_protocol_sender_key_name name;
	struct addr a;
	sender_key_record *rec = NULL;
	signal_buffer *buf = NULL;
	char sender[WA_SIGNAL_ADDR_MAX + 16];
	int r;

	s->store_err = 0;
	if ((r = skname(group, self, &a, &name)) != 0)
		return r;
	if (addr_str(&name.sender, sender, sizeof(sender)) != 0)
		return WA_ERR_INVALID;
	if (sender_key_record_create(&rec, cry_signal_context()) < 0 ||
	    sender_key_record_serialize(&buf, rec) < 0) {
		r = WA_ERR_INTERNAL;
		goto out;
	}
	r = s->ops->sender_key_store(s->arg, group, sender,
	    signal_buffer_data(buf), signal_buffer_len(buf));
out:
	signal_buffer_free(buf);
	SIGNAL_UNREF(rec);
	return r;
}

int
wa_signal_group_process_skdm(struct wa_signal *s, const char *group,
    const char *sender, const uint8_t *skdm, size_t n)
{
	signal_protocol_sender_key_name name;
	struct addr a;
	group_session_builder *gb = NULL;
	sender_key_distribution_message *m = NULL;
	int r;

	s->store_err = 0;
	if ((r = skname(group, sender, &a, &name)) != 0)
		return r;
	if (n == 0 || skdm == NULL || n > WA_SIGNAL_CIPHERTEXT_MAX)
		return WA_ERR_SIG_INVALID_MESSAGE;
	if (sender_key_distribution_message_deserialize(&m, skdm, n,
	    cry_signal_context()) < 0)
		return WA_ERR_SIG_INVALID_MESSAGE;
	if ((r = group_session_builder_create(&gb, s->sc,
	    cry_signal_context())) < 0 ||
	    (r = group_session_builder_process_session(gb, &name, m)) < 0) {
		r = group_err(s, r);
		goto out;
	}
	r = 0;
out:
	SIGNAL_UNREF(m);
	group_session_builder_free(gb);
	return r;
}

int
wa_signal_group_encrypt(struct wa_signal *s, const char *group,
    const char *self, const uint8_t *pt, size_t n, uint8_t **out,
    size_t *outlen)
{
	signal_protocol_sender_key_name name;
	struct addr a;
	group_cipher *gc = NULL;
	ciphertext_message *m = NULL;
	group_session_builder *gb = NULL;
	sender_key_distribution_message *skdm = NULL;
	uint8_t *padded = NULL;
	size_t plen = 0;
	int r;

	s->store_err = 0;
	if ((r = skname(group, self, &a, &name)) != 0)
		return r;
	if (n > WA_SIGNAL_CIPHERTEXT_MAX)
		return WA_ERR_TOO_BIG;
	/* Our sender key is created on first use, as by wa_signal_group_skdm
	 * (libsignal's builder only creates it when the record is empty). */
	if ((r = group_session_builder_create(&gb, s->sc,
	    cry_signal_context())) < 0 ||
	    (r = group_session_builder_create_session(gb, &skdm, &name)) < 0) {
		r = group_err(s, r);
		goto out;
	}
	wa_signal_pad(pt, n, &padded, &plen);
	if ((r = group_cipher_create(&gc, s->sc, &name,
	    cry_signal_context())) < 0 ||
	    (r = group_cipher_encrypt(gc, padded, plen, &m)) < 0) {
		r = group_err(s, r);
		goto out;
	}
	buf_out(ciphertext_message_get_serialized(m), out, outlen);
	r = 0;
out:
	if (padded != NULL)
		sodium_memzero(padded, plen);
	free(padded);
	SIGNAL_UNREF(m);
	SIGNAL_UNREF(skdm);
	group_session_builder_free(gb);
	group_cipher_free(gc);
	return r;
}

int
wa_signal_group_decrypt(struct wa_signal *s, const char *group,
    const char *sender, int version, const uint8_t *ct, size_t n,
    uint8_t **out, size_t *outlen)
{
	signal_protocol_sender_key_name name;
	struct addr a;
	group_cipher *gc = NULL;
	sender_key_message *m = NULL;
	signal_buffer *pt = NULL;
	int r;

	s->store_err = 0;
	if ((r = skname(group, sender, &a, &name)) != 0)
		return r;
	if (n > WA_SIGNAL_CIPHERTEXT_MAX)
		return WA_ERR_TOO_BIG;
	if (n == 0 || ct == NULL)
		return WA_ERR_SIG_INVALID_MESSAGE;
	if (sender_key_message_deserialize(&m, ct, n, cry_signal_context()) < 0)
		return WA_ERR_SIG_INVALID_MESSAGE;
	if ((r = group_cipher_create(&gc, s->sc, &name,
	    cry_signal_context())) < 0 ||
	    (r = group_cipher_decrypt(gc, m, NULL, &pt)) < 0) {
		r = group_err(s, r);
		goto out;
	}
	r = unpad_out(pt, version, out, outlen);
out:
	if (pt != NULL)
		signal_buffer_bzero_free(pt);
	SIGNAL_UNREF(m);
	group_cipher_free(gc);
	return r;
}
