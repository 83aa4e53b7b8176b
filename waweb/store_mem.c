/*
 * store_mem.c: the device store kept in memory (struct wa_store_ops).
 *
 * Used by unit tests and by tools that do not want a database.  Holds any
 * number of devices keyed by JID, their prekeys, and a small kv table.
 * Nothing survives the process.
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

struct wa_store_mem {
	struct wa_device	*devs;	/* owned array */
	size_t			 ndevs;
	struct mem_prekey	*pks;	/* owned array */
	size_t			 npks;
	struct mem_kv		*kv;	/* owned array */
	size_t			 nkv;
};

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
};
