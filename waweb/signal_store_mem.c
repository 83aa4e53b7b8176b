/*
 * signal_store_mem.c: an in-memory `struct wa_signal_store_ops`
 * (waweb/signal_store.h) for tests and the Signal peer tool.
 *
 * Does not: persist anything, or scale (linear lists; a test holds a few
 * dozen entries).  The device-backed variant leaves our keys and one-time
 * prekeys where the client keeps them (struct wa_device, wa_store_ops).
 * Invariants: every entry owns its strings and record bytes; private keys
 * are wiped when freed.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/signal_store.h"
#include "waweb/store.h"

struct ent {
	struct ent	*next;
	char		*k1;		/* owned; address or group */
	char		*k2;		/* owned; sender, or NULL */
	uint32_t	 id;		/* prekey id */
	uint8_t		*rec;		/* owned */
	size_t		 len;
};

struct wa_signal_store_mem {
	struct cry_keypair	 identity;
	uint32_t		 registration_id;
	struct cry_keypair	 spk;
	uint32_t		 spk_id;
	uint8_t			 spk_sig[WA_SIGNAL_SIG_LEN];
	struct ent		*identities;
	struct ent		*prekeys;
	struct ent		*sessions;
	struct ent		*sender_keys;
	struct ent		*lids;	/* k1 lid, k2 pn; oldest first */
	size_t			 nlids;
	int			 keep_lids;	/* pairs kept, else dropped */
	/* device-backed (wa_signal_store_mem_new_device); all borrowed */
	const struct wa_device	*dev;
	const struct wa_store_ops *ops;
	void			*ops_arg;
};

static void
ent_free(struct ent *e)
{
	free(e->k1);
	free(e->k2);
	if (e->rec != NULL)
		sodium_memzero(e->rec, e->len);
	free(e->rec);
	free(e);
}

static void
list_free(struct ent *e)
{
	struct ent *n;

	for (; e != NULL; e = n) {
		n = e->next;
		ent_free(e);
	}
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static struct ent **
find(struct ent **l, const char *k1, const char *k2, uint32_t id)
{
	for (; *l != NULL; l = &(*l)->next)
		if (same((*l)->k1, k1) && same((*l)->k2, k2) && (*l)->id == id)
			return l;
	return l;
}

static void
put(struct ent **l, const char *k1, const char *k2, uint32_t id,
    const void *rec, size_t len)
{
	struct ent **p = find(l, k1, k2, id), *e = *p;

	if (e == NULL) {
		e = u_calloc(1, sizeof(*e));
		e->k1 = k1 != NULL ? u_strdup(k1) : NULL;
		e->k2 = k2 != NULL ? u_strdup(k2) : NULL;
		e->id = id;
		*p = e;
	} else {
		sodium_memzero(e->rec, e->len);
		free(e->rec);
	}
	e->rec = u_malloc(len ? len : 1);
	memcpy(e->rec, rec, len);
	e->len = len;
}

static int
get(struct ent **l, const char *k1, const char *k2, uint32_t id,
    uint8_t **rec, size_t *len)
{
	struct ent *e = *find(l, k1, k2, id);

	if (e == NULL)
		return U_ERR_NOT_FOUND;
	*rec = u_malloc(e->len ? e->len : 1);
	memcpy(*rec, e->rec, e->len);
	*len = e->len;
	return 0;
}

static int
del(struct ent **l, const char *k1, const char *k2, uint32_t id)
{
	struct ent **p = find(l, k1, k2, id), *e = *p;

	if (e == NULL)
		return 0;
	*p = e->next;
	ent_free(e);
	return 0;
}

static int
get_fixed(struct ent **l, const char *k1, uint32_t id, uint8_t *out,
    size_t n)
{
	struct ent *e = *find(l, k1, NULL, id);

	if (e == NULL)
		return U_ERR_NOT_FOUND;
	if (e->len != n)
		return U_ERR_INVALID;
	memcpy(out, e->rec, n);
	return 0;
}

struct wa_signal_store_mem *
wa_signal_store_mem_new(uint32_t spk_id)
{
	struct wa_signal_store_mem *m = u_calloc(1, sizeof(*m));
	uint8_t pre[CRY_PUB_PREFIXED_LEN];

	cry_keypair_generate(&m->identity);
	cry_keypair_generate(&m->spk);
	/* 14 bits like libsignal's key helper (and whatsmeow's device). */
	m->registration_id = (cry_random_u32() & 0x3fff) + 1;
	m->spk_id = spk_id;
	cry_pub_prefix(pre, m->spk.pub);
	if (cry_xeddsa_sign(m->spk_sig, m->identity.priv, pre, sizeof(pre)) != 0)
		abort();
	return m;
}

struct wa_signal_store_mem *
wa_signal_store_mem_new_fixed(const uint8_t identity_priv[WA_SIGNAL_KEY_LEN],
    uint32_t registration_id, const uint8_t spk_priv[WA_SIGNAL_KEY_LEN],
    uint32_t spk_id)
{
	struct wa_signal_store_mem *m = u_calloc(1, sizeof(*m));
	uint8_t pre[CRY_PUB_PREFIXED_LEN];

	if (cry_keypair_from_private(&m->identity, identity_priv) != 0 ||
	    cry_keypair_from_private(&m->spk, spk_priv) != 0)
		abort();
	m->registration_id = registration_id;
	m->spk_id = spk_id;
	cry_pub_prefix(pre, m->spk.pub);
	if (cry_xeddsa_sign(m->spk_sig, m->identity.priv, pre, sizeof(pre)) != 0)
		abort();
	return m;
}

struct wa_signal_store_mem *
wa_signal_store_mem_new_device(const struct wa_device *dev,
    const struct wa_store_ops *ops, void *arg)
{
	struct wa_signal_store_mem *m = u_calloc(1, sizeof(*m));

	m->dev = dev;
	m->ops = ops;
	m->ops_arg = arg;
	return m;
}

void
wa_signal_store_mem_free(struct wa_signal_store_mem *m)
{
	if (m == NULL)
		return;
	list_free(m->identities);
	list_free(m->prekeys);
	list_free(m->sessions);
	list_free(m->sender_keys);
	list_free(m->lids);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

void
wa_signal_store_mem_keys(const struct wa_signal_store_mem *m,
    uint8_t identity_pub[WA_SIGNAL_KEY_LEN], uint32_t *registration_id,
    uint8_t spk_pub[WA_SIGNAL_KEY_LEN], uint8_t spk_sig[WA_SIGNAL_SIG_LEN])
{
	memcpy(identity_pub, m->identity.pub, WA_SIGNAL_KEY_LEN);
	*registration_id = m->registration_id;
	memcpy(spk_pub, m->spk.pub, WA_SIGNAL_KEY_LEN);
	memcpy(spk_sig, m->spk_sig, WA_SIGNAL_SIG_LEN);
}

size_t
wa_signal_store_mem_prekey_count(const struct wa_signal_store_mem *m)
{
	const struct ent *e;
	size_t n = 0;

	for (e = m->prekeys; e != NULL; e = e->next)
		n++;
	return n;
}

void
wa_signal_store_mem_keep_lids(struct wa_signal_store_mem *m, int on)
{
	m->keep_lids = on;
}

size_t
wa_signal_store_mem_lid_count(const struct wa_signal_store_mem *m)
{
	return m->nlids;
}

static int
m_local_identity(void *arg, uint8_t pub[WA_SIGNAL_KEY_LEN],
    uint8_t priv[WA_SIGNAL_KEY_LEN], uint32_t *registration_id)
{
	struct wa_signal_store_mem *m = arg;

	if (m->dev != NULL) {
		memcpy(pub, m->dev->identity.pub, WA_SIGNAL_KEY_LEN);
		memcpy(priv, m->dev->identity.priv, WA_SIGNAL_KEY_LEN);
		*registration_id = m->dev->registration_id;
		return 0;
	}
	memcpy(pub, m->identity.pub, WA_SIGNAL_KEY_LEN);
	memcpy(priv, m->identity.priv, WA_SIGNAL_KEY_LEN);
	*registration_id = m->registration_id;
	return 0;
}

static int
m_identity_load(void *arg, const char *addr, uint8_t key[WA_SIGNAL_KEY_LEN])
{
	struct wa_signal_store_mem *m = arg;

	return get_fixed(&m->identities, addr, 0, key, WA_SIGNAL_KEY_LEN);
}

static int
m_identity_save(void *arg, const char *addr,
    const uint8_t key[WA_SIGNAL_KEY_LEN])
{
	struct wa_signal_store_mem *m = arg;

	put(&m->identities, addr, NULL, 0, key, WA_SIGNAL_KEY_LEN);
	return 0;
}

static int
m_identity_delete(void *arg, const char *addr)
{
	struct wa_signal_store_mem *m = arg;

	return del(&m->identities, addr, NULL, 0);
}

static int
m_prekey_load(void *arg, uint32_t id, uint8_t priv[WA_SIGNAL_KEY_LEN])
{
	struct wa_signal_store_mem *m = arg;

	if (m->dev != NULL)
		return m->dev->jid == NULL ? U_ERR_NOT_FOUND :
		    m->ops->prekey_load(m->ops_arg, m->dev->jid, id, priv);
	return get_fixed(&m->prekeys, NULL, id, priv, WA_SIGNAL_KEY_LEN);
}

static int
m_prekey_store(void *arg, uint32_t id, const uint8_t priv[WA_SIGNAL_KEY_LEN])
{
	struct wa_signal_store_mem *m = arg;

	if (m->dev != NULL)
		return m->dev->jid == NULL ? U_ERR_INVALID :
		    m->ops->prekey_put(m->ops_arg, m->dev->jid, id, priv, 0);
	put(&m->prekeys, NULL, NULL, id, priv, WA_SIGNAL_KEY_LEN);
	return 0;
}

static int
m_prekey_remove(void *arg, uint32_t id)
{
	struct wa_signal_store_mem *m = arg;

	if (m->dev != NULL)
		return m->dev->jid == NULL ? 0 :
		    m->ops->prekey_remove(m->ops_arg, m->dev->jid, id);
	return del(&m->prekeys, NULL, NULL, id);
}

static int
m_signed_prekey_load(void *arg, uint32_t id, uint8_t priv[WA_SIGNAL_KEY_LEN],
    uint8_t sig[WA_SIGNAL_SIG_LEN])
{
	struct wa_signal_store_mem *m = arg;

	if (m->dev != NULL) {
		if (id != m->dev->signed_prekey_id)
			return U_ERR_NOT_FOUND;
		memcpy(priv, m->dev->signed_prekey.priv, WA_SIGNAL_KEY_LEN);
		memcpy(sig, m->dev->signed_prekey_sig, WA_SIGNAL_SIG_LEN);
		return 0;
	}
	if (id != m->spk_id)
		return U_ERR_NOT_FOUND;
	memcpy(priv, m->spk.priv, WA_SIGNAL_KEY_LEN);
	memcpy(sig, m->spk_sig, WA_SIGNAL_SIG_LEN);
	return 0;
}

static int
m_session_load(void *arg, const char *addr, uint8_t **rec, size_t *len)
{
	struct wa_signal_store_mem *m = arg;

	return get(&m->sessions, addr, NULL, 0, rec, len);
}

static int
m_session_store(void *arg, const char *addr, const uint8_t *rec, size_t len)
{
	struct wa_signal_store_mem *m = arg;

	put(&m->sessions, addr, NULL, 0, rec, len);
	return 0;
}

static int
m_session_delete(void *arg, const char *addr)
{
	struct wa_signal_store_mem *m = arg;

	return del(&m->sessions, addr, NULL, 0);
}

/* The device part of "<name>:<device>" when the address belongs to name. */
static int
addr_device(const char *addr, const char *name, uint32_t *dev)
{
	size_t n = strlen(name);
	char *end;
	unsigned long v;

	if (strncmp(addr, name, n) != 0 || addr[n] != ':')
		return 0;
	v = strtoul(addr + n + 1, &end, 10);
	if (*end != '\0' || v > UINT32_MAX)
		return 0;
	*dev = (uint32_t)v;
	return 1;
}

static int
m_session_delete_all(void *arg, const char *name)
{
	struct wa_signal_store_mem *m = arg;
	struct ent **p = &m->sessions, *e;
	uint32_t dev;

	while ((e = *p) != NULL) {
		if (addr_device(e->k1, name, &dev)) {
			*p = e->next;
			ent_free(e);
		} else
			p = &e->next;
	}
	return 0;
}

static int
m_identity_delete_all(void *arg, const char *name)
{
	struct wa_signal_store_mem *m = arg;
	struct ent **p = &m->identities, *e;
	uint32_t dev;

	while ((e = *p) != NULL) {
		if (addr_device(e->k1, name, &dev)) {
			*p = e->next;
			ent_free(e);
		} else
			p = &e->next;
	}
	return 0;
}

static int
m_session_devices(void *arg, const char *name, uint32_t **ids, size_t *n)
{
	struct wa_signal_store_mem *m = arg;
	const struct ent *e;
	uint32_t dev, *v = NULL;
	size_t k = 0;

	for (e = m->sessions; e != NULL; e = e->next) {
		if (!addr_device(e->k1, name, &dev) || dev == 1)
			continue;
		v = u_realloc(v, (k + 1) * sizeof(*v));
		v[k++] = dev;
	}
	*ids = v;
	*n = k;
	return 0;
}

static int
m_sender_key_load(void *arg, const char *group, const char *sender,
    uint8_t **rec, size_t *len)
{
	struct wa_signal_store_mem *m = arg;

	return get(&m->sender_keys, group, sender, 0, rec, len);
}

static int
m_sender_key_store(void *arg, const char *group, const char *sender,
    const uint8_t *rec, size_t len)
{
	struct wa_signal_store_mem *m = arg;

	put(&m->sender_keys, group, sender, 0, rec, len);
	return 0;
}

/* --- PN<->LID pairs -------------------------------------------------------- */

static int
lid_user_ok(const char *u)
{
	size_t i;

	for (i = 0; u[i] != '\0'; i++)
		if (u[i] < '0' || u[i] > '9')
			return 0;
	return i > 0 && i <= WA_SIGNAL_LIDMAP_USER_MAX;
}

static int
m_lid_save(void *arg, const char *pn, const char *lid)
{
	struct wa_signal_store_mem *m = arg;
	struct ent **p, *e;

	if (!lid_user_ok(pn) || !lid_user_ok(lid))
		return U_ERR_INVALID;
	if (!m->keep_lids)
		return 0;
	/* Either user leaves the pair it was in (whatsmeow: a PN moved to
	 * a new LID, or a LID now another PN). */
	for (p = &m->lids; *p != NULL;) {
		e = *p;
		if (strcmp(e->k1, lid) == 0 || strcmp(e->k2, pn) == 0) {
			*p = e->next;
			ent_free(e);
			m->nlids--;
		} else
			p = &e->next;
	}
	if (m->nlids >= WA_SIGNAL_STORE_MEM_LID_MAX) {
		e = m->lids;
		m->lids = e->next;
		ent_free(e);
		m->nlids--;
	}
	put(&m->lids, lid, pn, 0, "", 0);
	m->nlids++;
	return 0;
}

static int
lid_lookup(struct wa_signal_store_mem *m, int by_pn, const char *key,
    char *out, size_t cap)
{
	const struct ent *e;
	const char *v;

	for (e = m->lids; e != NULL; e = e->next) {
		if (strcmp(by_pn ? e->k2 : e->k1, key) != 0)
			continue;
		v = by_pn ? e->k1 : e->k2;
		if (strlen(v) >= cap)
			return U_ERR_INVALID;
		memcpy(out, v, strlen(v) + 1);
		return 0;
	}
	return U_ERR_NOT_FOUND;
}

static int
m_lid_for_pn(void *arg, const char *pn, char *out, size_t cap)
{
	return lid_lookup(arg, 1, pn, out, cap);
}

static int
m_pn_for_lid(void *arg, const char *lid, char *out, size_t cap)
{
	return lid_lookup(arg, 0, lid, out, cap);
}

const struct wa_signal_store_ops wa_signal_store_mem_ops = {
	.local_identity = m_local_identity,
	.identity_load = m_identity_load,
	.identity_save = m_identity_save,
	.identity_delete = m_identity_delete,
	.identity_delete_all = m_identity_delete_all,
	.prekey_load = m_prekey_load,
	.prekey_store = m_prekey_store,
	.prekey_remove = m_prekey_remove,
	.signed_prekey_load = m_signed_prekey_load,
	.session_load = m_session_load,
	.session_store = m_session_store,
	.session_delete = m_session_delete,
	.session_delete_all = m_session_delete_all,
	.session_devices = m_session_devices,
	.sender_key_load = m_sender_key_load,
	.sender_key_store = m_sender_key_store,
	.lid_save = m_lid_save,
	.lid_for_pn = m_lid_for_pn,
	.pn_for_lid = m_pn_for_lid,
};
