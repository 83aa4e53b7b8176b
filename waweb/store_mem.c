/*
 * store_mem.c: the device store kept in memory (struct wa_store_ops).
 *
 * Used by unit tests and by tools that do not want a database.  Holds any
 * number of devices keyed by JID, their prekeys, a small kv table, app-state
 * keys, versions and mutation MACs, and contacts.  Nothing survives the process.
 *
 * Invariants: every stored key is wiped before it is freed; lookups are
 * linear (a handful of devices, a few thousand prekeys at most in tests).
 */
#include <string.h>

#include <sodium.h>

#include "util/err.h"
#include "util/mem.h"
#include "waweb/store.h"

struct mem_prekey {
	char		*jid;		/* owned */
	uint32_t	 id;
	uint8_t		 priv[WA_KEY_LEN];
	int		 uploaded;
};

struct mem_kv {
	char	*key;	/* owned */
	char	*value;	/* owned */
};

struct mem_as_key {
	char		*jid;		/* owned */
	uint8_t		*id;		/* owned */
	size_t		 idlen;
	uint8_t		*data;		/* owned, wiped */
	size_t		 datalen;
	int64_t		 ts;
};

struct mem_as_version {
	char		*jid;		/* owned */
	char		*name;		/* owned */
	uint64_t	 version;
	uint8_t		 hash[128];
};

struct mem_as_mac {
	char		*jid;		/* owned */
	char		*name;		/* owned */
	uint64_t	 version;
	uint8_t		 index_mac[32];
	uint8_t		 value_mac[32];
};

struct mem_contact {
	char			*our;	/* owned */
	struct wa_contact	 c;	/* owned strings */
};

struct wa_store_mem {
	struct wa_device	*devs;	/* owned array */
	size_t			 ndevs;
	struct mem_prekey	*pks;	/* owned array */
	size_t			 npks;
	struct mem_kv		*kv;	/* owned array */
	size_t			 nkv;
	struct mem_as_key	*askeys;	/* owned array */
	size_t			 naskeys;
	struct mem_as_version	*asvers;	/* owned array */
	size_t			 nasvers;
	struct mem_as_mac	*asmacs;	/* owned array */
	size_t			 nasmacs;
	struct mem_contact	*contacts;	/* owned array */
	size_t			 ncontacts;
};

void
wa_contact_clear(struct wa_contact *c)
{
	if (c == NULL)
		return;
	free(c->jid);
	free(c->first_name);
	free(c->full_name);
	free(c->push_name);
	free(c->business_name);
	free(c->redacted_phone);
	memset(c, 0, sizeof(*c));
}

struct wa_store_mem *
wa_store_mem_new(void)
{
	return u_calloc(1, sizeof(struct wa_store_mem));
}

void
wa_store_mem_free(struct wa_store_mem *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ndevs; i++)
		wa_device_clear(&m->devs[i]);
	free(m->devs);
	for (i = 0; i < m->npks; i++) {
		free(m->pks[i].jid);
		sodium_memzero(m->pks[i].priv, WA_KEY_LEN);
	}
	free(m->pks);
	for (i = 0; i < m->nkv; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	for (i = 0; i < m->naskeys; i++) {
		free(m->askeys[i].jid);
		free(m->askeys[i].id);
		sodium_memzero(m->askeys[i].data, m->askeys[i].datalen);
		free(m->askeys[i].data);
	}
	free(m->askeys);
	for (i = 0; i < m->nasvers; i++) {
		free(m->asvers[i].jid);
		free(m->asvers[i].name);
	}
	free(m->asvers);
	for (i = 0; i < m->nasmacs; i++) {
		free(m->asmacs[i].jid);
		free(m->asmacs[i].name);
	}
	free(m->asmacs);
	for (i = 0; i < m->ncontacts; i++) {
		free(m->contacts[i].our);
		wa_contact_clear(&m->contacts[i].c);
	}
	free(m->contacts);
	free(m);
}

static struct wa_device *
find_dev(struct wa_store_mem *m, const char *jid)
{
	size_t i;

	for (i = 0; i < m->ndevs; i++)
		if (jid == NULL || strcmp(m->devs[i].jid, jid) == 0)
			return &m->devs[i];
	return NULL;
}

static int
mem_device_load(void *arg, const char *jid, struct wa_device *out)
{
	struct wa_device *d = find_dev(arg, jid);

	if (d == NULL)
		return U_ERR_NOT_FOUND;
	wa_device_copy(out, d);
	return 0;
}

static int
mem_device_save(void *arg, const struct wa_device *dev)
{
	struct wa_store_mem *m = arg;
	struct wa_device *d;

	if (dev->jid == NULL)
		return U_ERR_INVALID;
	d = find_dev(m, dev->jid);
	if (d != NULL) {
		wa_device_clear(d);
	} else {
		m->devs = u_reallocarray(m->devs, m->ndevs + 1, sizeof(*m->devs));
		d = &m->devs[m->ndevs++];
	}
	wa_device_copy(d, dev);
	return 0;
}

static int
mem_device_delete(void *arg, const char *jid)
{
	struct wa_store_mem *m = arg;
	struct wa_device *d = find_dev(m, jid);
	size_t i, j;

	if (d == NULL)
		return U_ERR_NOT_FOUND;
	for (i = j = 0; i < m->npks; i++) {
		if (strcmp(m->pks[i].jid, d->jid) == 0) {
			free(m->pks[i].jid);
			sodium_memzero(m->pks[i].priv, WA_KEY_LEN);
			continue;
		}
		m->pks[j++] = m->pks[i];
	}
	m->npks = j;
	wa_device_clear(d);
	i = (size_t)(d - m->devs);
	memmove(d, d + 1, (m->ndevs - i - 1) * sizeof(*d));
	m->ndevs--;
	return 0;
}

static struct mem_prekey *
find_pk(struct wa_store_mem *m, const char *jid, uint32_t id)
{
	size_t i;

	for (i = 0; i < m->npks; i++)
		if (m->pks[i].id == id && strcmp(m->pks[i].jid, jid) == 0)
			return &m->pks[i];
	return NULL;
}

static int
mem_prekey_max_id(void *arg, const char *jid, uint32_t *out)
{
	struct wa_store_mem *m = arg;
	uint32_t max = 0;
	size_t i;

	for (i = 0; i < m->npks; i++)
		if (strcmp(m->pks[i].jid, jid) == 0 && m->pks[i].id > max)
			max = m->pks[i].id;
	*out = max;
	return 0;
}

static int
mem_prekey_put(void *arg, const char *jid, uint32_t id,
    const uint8_t priv[WA_KEY_LEN], int uploaded)
{
	struct wa_store_mem *m = arg;
	struct mem_prekey *p;

	if (id == 0 || id > WA_PREKEY_ID_MAX)
		return U_ERR_INVALID;
	if ((p = find_pk(m, jid, id)) == NULL) {
		m->pks = u_reallocarray(m->pks, m->npks + 1, sizeof(*m->pks));
		p = &m->pks[m->npks++];
		p->jid = u_strdup(jid);
		p->id = id;
	}
	memcpy(p->priv, priv, WA_KEY_LEN);
	p->uploaded = uploaded;
	return 0;
}

static int
mem_prekey_load(void *arg, const char *jid, uint32_t id, uint8_t priv[WA_KEY_LEN])
{
	struct mem_prekey *p = find_pk(arg, jid, id);

	if (p == NULL)
		return U_ERR_NOT_FOUND;
	memcpy(priv, p->priv, WA_KEY_LEN);
	return 0;
}

static int
mem_prekey_remove(void *arg, const char *jid, uint32_t id)
{
	struct wa_store_mem *m = arg;
	struct mem_prekey *p = find_pk(m, jid, id);
	size_t i;

	if (p == NULL)
		return U_ERR_NOT_FOUND;
	free(p->jid);
	sodium_memzero(p->priv, WA_KEY_LEN);
	i = (size_t)(p - m->pks);
	memmove(p, p + 1, (m->npks - i - 1) * sizeof(*p));
	m->npks--;
	return 0;
}

static int
mem_prekeys_mark_uploaded(void *arg, const char *jid, uint32_t up_to)
{
	struct wa_store_mem *m = arg;
	size_t i;

	for (i = 0; i < m->npks; i++)
		if (strcmp(m->pks[i].jid, jid) == 0 && m->pks[i].id <= up_to)
			m->pks[i].uploaded = 1;
	return 0;
}

static int
mem_prekeys_count_uploaded(void *arg, const char *jid, unsigned *out)
{
	struct wa_store_mem *m = arg;
	unsigned n = 0;
	size_t i;

	for (i = 0; i < m->npks; i++)
		if (strcmp(m->pks[i].jid, jid) == 0 && m->pks[i].uploaded)
			n++;
	*out = n;
	return 0;
}

static int
mem_prekeys_pending(void *arg, const char *jid, unsigned max, uint32_t *ids,
    uint8_t (*privs)[WA_KEY_LEN], unsigned *n)
{
	struct wa_store_mem *m = arg;
	uint32_t last = 0, best;
	unsigned k = 0;
	size_t i, bi;

	/* Ascending by id without sorting the table: repeated min search. */
	while (k < max) {
		best = 0;
		bi = 0;
		for (i = 0; i < m->npks; i++) {
			struct mem_prekey *p = &m->pks[i];
			if (p->uploaded || p->id <= last || strcmp(p->jid, jid) != 0)
				continue;
			if (best == 0 || p->id < best) {
				best = p->id;
				bi = i;
			}
		}
		if (best == 0)
			break;
		ids[k] = best;
		memcpy(privs[k], m->pks[bi].priv, WA_KEY_LEN);
		k++;
		last = best;
	}
	*n = k;
	return 0;
}

static int
mem_kv_get(void *arg, const char *key, char **out)
{
	struct wa_store_mem *m = arg;
	size_t i;

	for (i = 0; i < m->nkv; i++) {
		if (strcmp(m->kv[i].key, key) == 0) {
			*out = u_strdup(m->kv[i].value);
			return 0;
		}
	}
	return U_ERR_NOT_FOUND;
}

static int
mem_kv_set(void *arg, const char *key, const char *value)
{
	struct wa_store_mem *m = arg;
	size_t i;

	for (i = 0; i < m->nkv; i++) {
		if (strcmp(m->kv[i].key, key) == 0) {
			free(m->kv[i].value);
			m->kv[i].value = u_strdup(value);
			return 0;
		}
	}
	m->kv = u_reallocarray(m->kv, m->nkv + 1, sizeof(*m->kv));
	m->kv[m->nkv].key = u_strdup(key);
	m->kv[m->nkv].value = u_strdup(value);
	m->nkv++;
	return 0;
}

/* --- App state ------------------------------------------------------ */

static struct mem_as_key *
find_askey(struct wa_store_mem *m, const char *jid, const uint8_t *id,
    size_t idlen)
{
	size_t i;

	for (i = 0; i < m->naskeys; i++)
		if (m->askeys[i].idlen == idlen && strcmp(m->askeys[i].jid,
		    jid) == 0 && memcmp(m->askeys[i].id, id, idlen) == 0)
			return &m->askeys[i];
	return NULL;
}

static int
mem_as_key_put(void *arg, const char *jid, const uint8_t *id, size_t idlen,
    const uint8_t *data, size_t datalen, int64_t ts, const uint8_t *fp,
    size_t fplen)
{
	struct wa_store_mem *m = arg;
	struct mem_as_key *k;

	if (idlen == 0)
		return U_ERR_INVALID;
	if ((k = find_askey(m, jid, id, idlen)) != NULL) {
		/* As whatsmeow: only a newer share replaces a key. */
		if (ts <= k->ts)
			return 0;
		sodium_memzero(k->data, k->datalen);
		free(k->data);
	} else {
		m->askeys = u_reallocarray(m->askeys, m->naskeys + 1,
		    sizeof(*m->askeys));
		k = &m->askeys[m->naskeys++];
		k->jid = u_strdup(jid);
		k->id = u_malloc(idlen);
		memcpy(k->id, id, idlen);
		k->idlen = idlen;
	}
	k->data = u_malloc(datalen ? datalen : 1);
	memcpy(k->data, data, datalen);
	k->datalen = datalen;
	k->ts = ts;
	return 0;
}

static int
mem_as_key_get(void *arg, const char *jid, const uint8_t *id, size_t idlen,
    uint8_t *data, size_t cap, size_t *datalen)
{
	struct mem_as_key *k = find_askey(arg, jid, id, idlen);

	if (k == NULL)
		return U_ERR_NOT_FOUND;
	if (k->datalen > cap)
		return U_ERR_TOO_BIG;
	memcpy(data, k->data, k->datalen);
	*datalen = k->datalen;
	return 0;
}

static struct mem_as_version *
find_asver(struct wa_store_mem *m, const char *jid, const char *name)
{
	size_t i;

	for (i = 0; i < m->nasvers; i++)
		if (strcmp(m->asvers[i].jid, jid) == 0 &&
		    strcmp(m->asvers[i].name, name) == 0)
			return &m->asvers[i];
	return NULL;
}

static int
mem_as_version_get(void *arg, const char *jid, const char *name,
    uint64_t *version, uint8_t hash[128])
{
	struct mem_as_version *v = find_asver(arg, jid, name);

	if (v == NULL)
		return U_ERR_NOT_FOUND;
	*version = v->version;
	memcpy(hash, v->hash, 128);
	return 0;
}

static int
mem_as_version_put(void *arg, const char *jid, const char *name,
    uint64_t version, const uint8_t hash[128])
{
	struct wa_store_mem *m = arg;
	struct mem_as_version *v = find_asver(m, jid, name);

	if (v == NULL) {
		m->asvers = u_reallocarray(m->asvers, m->nasvers + 1,
		    sizeof(*m->asvers));
		v = &m->asvers[m->nasvers++];
		v->jid = u_strdup(jid);
		v->name = u_strdup(name);
	}
	v->version = version;
	memcpy(v->hash, hash, 128);
	return 0;
}

/* Remove the MAC rows matching (jid, name[, index_mac]). */
static void
drop_macs(struct wa_store_mem *m, const char *jid, const char *name,
    const uint8_t *index_mac)
{
	size_t i, j;

	for (i = j = 0; i < m->nasmacs; i++) {
		struct mem_as_mac *x = &m->asmacs[i];
		if (strcmp(x->jid, jid) == 0 && strcmp(x->name, name) == 0 &&
		    (index_mac == NULL || memcmp(x->index_mac, index_mac,
		    32) == 0)) {
			free(x->jid);
			free(x->name);
			continue;
		}
		m->asmacs[j++] = *x;
	}
	m->nasmacs = j;
}

static int
mem_as_version_delete(void *arg, const char *jid, const char *name)
{
	struct wa_store_mem *m = arg;
	struct mem_as_version *v = find_asver(m, jid, name);
	size_t i;

	/* ON DELETE CASCADE of the MAC rows, as the SQL schema does. */
	drop_macs(m, jid, name, NULL);
	if (v == NULL)
		return 0;
	free(v->jid);
	free(v->name);
	i = (size_t)(v - m->asvers);
	memmove(v, v + 1, (m->nasvers - i - 1) * sizeof(*v));
	m->nasvers--;
	return 0;
}

static int
mem_as_mac_put(void *arg, const char *jid, const char *name,
    uint64_t version, const uint8_t index_mac[32], const uint8_t value_mac[32])
{
	struct wa_store_mem *m = arg;
	struct mem_as_mac *x;
	size_t i;

	if (find_asver(m, jid, name) == NULL)
		return U_ERR_INVALID;	/* the foreign key */
	for (i = 0; i < m->nasmacs; i++) {
		x = &m->asmacs[i];
		if (x->version == version && strcmp(x->jid, jid) == 0 &&
		    strcmp(x->name, name) == 0 &&
		    memcmp(x->index_mac, index_mac, 32) == 0)
			return U_ERR_INVALID;	/* the primary key */
	}
	m->asmacs = u_reallocarray(m->asmacs, m->nasmacs + 1,
	    sizeof(*m->asmacs));
	x = &m->asmacs[m->nasmacs++];
	x->jid = u_strdup(jid);
	x->name = u_strdup(name);
	x->version = version;
	memcpy(x->index_mac, index_mac, 32);
	memcpy(x->value_mac, value_mac, 32);
	return 0;
}

static int
mem_as_mac_delete(void *arg, const char *jid, const char *name,
    const uint8_t index_mac[32])
{
	drop_macs(arg, jid, name, index_mac);
	return 0;
}

static int
mem_as_mac_get(void *arg, const char *jid, const char *name,
    const uint8_t index_mac[32], uint8_t value_mac[32])
{
	struct wa_store_mem *m = arg;
	struct mem_as_mac *best = NULL;
	size_t i;

	for (i = 0; i < m->nasmacs; i++) {
		struct mem_as_mac *x = &m->asmacs[i];
		if (strcmp(x->jid, jid) == 0 && strcmp(x->name, name) == 0 &&
		    memcmp(x->index_mac, index_mac, 32) == 0 &&
		    (best == NULL || x->version > best->version))
			best = x;
	}
	if (best == NULL)
		return U_ERR_NOT_FOUND;
	memcpy(value_mac, best->value_mac, 32);
	return 0;
}

/* --- Contacts ------------------------------------------------------- */

static struct mem_contact *
contact_row(struct wa_store_mem *m, const char *our, const char *their,
    int create)
{
	struct mem_contact *c;
	size_t i;

	for (i = 0; i < m->ncontacts; i++)
		if (strcmp(m->contacts[i].our, our) == 0 &&
		    strcmp(m->contacts[i].c.jid, their) == 0)
			return &m->contacts[i];
	if (!create)
		return NULL;
	m->contacts = u_reallocarray(m->contacts, m->ncontacts + 1,
	    sizeof(*m->contacts));
	c = &m->contacts[m->ncontacts++];
	memset(c, 0, sizeof(*c));
	c->our = u_strdup(our);
	c->c.jid = u_strdup(their);
	return c;
}

static void
set_col(char **col, const char *v)
{
	free(*col);
	*col = u_strdup(v != NULL ? v : "");
}

static int
mem_contact_put_name(void *arg, const char *our, const char *their,
    const char *first, const char *full)
{
	struct mem_contact *c = contact_row(arg, our, their, 1);

	set_col(&c->c.first_name, first);
	set_col(&c->c.full_name, full);
	return 0;
}

static int
mem_contact_put_push_name(void *arg, const char *our, const char *their,
    const char *name)
{
	set_col(&contact_row(arg, our, their, 1)->c.push_name, name);
	return 0;
}

static int
mem_contact_put_business_name(void *arg, const char *our, const char *their,
    const char *name)
{
	set_col(&contact_row(arg, our, their, 1)->c.business_name, name);
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? u_strdup(s) : NULL;
}

static void
contact_copy(struct wa_contact *dst, const struct wa_contact *src)
{
	dst->jid = dup_or_null(src->jid);
	dst->first_name = dup_or_null(src->first_name);
	dst->full_name = dup_or_null(src->full_name);
	dst->push_name = dup_or_null(src->push_name);
	dst->business_name = dup_or_null(src->business_name);
	dst->redacted_phone = dup_or_null(src->redacted_phone);
}

static int
mem_contact_get(void *arg, const char *our, const char *their,
    struct wa_contact *out)
{
	struct mem_contact *c = contact_row(arg, our, their, 0);

	if (c == NULL)
		return U_ERR_NOT_FOUND;
	contact_copy(out, &c->c);
	return 0;
}

static int
mem_contacts_list(void *arg, const char *our,
    int (*fn)(void *, const struct wa_contact *), void *fn_arg)
{
	struct wa_store_mem *m = arg;
	size_t i;
	int r;

	for (i = 0; i < m->ncontacts; i++) {
		if (strcmp(m->contacts[i].our, our) != 0)
			continue;
		if ((r = fn(fn_arg, &m->contacts[i].c)) != 0)
			return r;
	}
	return 0;
}

const struct wa_store_ops wa_store_mem_ops = {
	.device_load = mem_device_load,
	.device_save = mem_device_save,
	.device_delete = mem_device_delete,
	.prekey_max_id = mem_prekey_max_id,
	.prekey_put = mem_prekey_put,
	.prekey_load = mem_prekey_load,
	.prekey_remove = mem_prekey_remove,
	.prekeys_mark_uploaded = mem_prekeys_mark_uploaded,
	.prekeys_count_uploaded = mem_prekeys_count_uploaded,
	.prekeys_pending = mem_prekeys_pending,
	.kv_get = mem_kv_get,
	.kv_set = mem_kv_set,
	.appstate_key_put = mem_as_key_put,
	.appstate_key_get = mem_as_key_get,
	.appstate_version_get = mem_as_version_get,
	.appstate_version_put = mem_as_version_put,
	.appstate_version_delete = mem_as_version_delete,
	.appstate_mac_put = mem_as_mac_put,
	.appstate_mac_delete = mem_as_mac_delete,
	.appstate_mac_get = mem_as_mac_get,
	.contact_put_name = mem_contact_put_name,
	.contact_put_push_name = mem_contact_put_push_name,
	.contact_put_business_name = mem_contact_put_business_name,
	.contact_get = mem_contact_get,
	.contacts_list = mem_contacts_list,
};
