/*
 * appstate_proc.c: the synchronous half of app-state sync (appstate.h):
 * key expansion, LTHash, the value/index/snapshot/patch MACs, decoding a
 * snapshot or a patch, verifying it completely, storing the new version,
 * hash and mutation MACs, and reporting its actions.
 *
 * Does not: talk to the server or download blobs (appstate.c does), keep
 * anything but a small cache of expanded keys.
 *
 * Invariants:
 *  - Nothing of a snapshot or patch is stored or reported before every
 *    check of it passed; the store is then written inside one transaction
 *    when the store offers one.
 *  - Inputs are bounded before anything is allocated for them
 *    (WA_APPSTATE_MAX_*); a malformed one is an error, never a crash.
 *  - Expanded keys are wiped when evicted and when the handle is freed.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/cry.h"
#include "proto/serversync.pb-c.h"
#include "proto/syncaction.pb-c.h"
#include "proto/e2e.pb-c.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/appstate_int.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/jid.h"

#define MUTATION_KEYS_INFO	"WhatsApp Mutation Keys"
#define PATCH_INTEGRITY_INFO	"WhatsApp Patch Integrity"
#define OP_SET			0
#define OP_REMOVE		1
/* A mutation value: iv (16) || at least one AES block || value MAC (32). */
#define VALUE_MIN		(16 + 16 + WA_APPSTATE_MAC_LEN)

const char *const wa_appstate_collections[WA_APPSTATE_NCOLLECTIONS] = {
	"critical_block", "critical_unblock_low", "regular_high", "regular",
	"regular_low",
};

int
wa_appstate_collection_known(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < WA_APPSTATE_NCOLLECTIONS; i++)
		if (strcmp(name, wa_appstate_collections[i]) == 0)
			return 1;
	return 0;
}

/* --- Crypto pieces -------------------------------------------------- */

int
wa_appstate_expand_keys(const uint8_t *data, size_t n,
    struct wa_appstate_keys *out)
{
	uint8_t buf[160];
	int r;

	r = cry_hkdf_sha256(NULL, 0, data, n, MUTATION_KEYS_INFO,
	    strlen(MUTATION_KEYS_INFO), buf, sizeof(buf));
	if (r != 0)
		return r;
	memcpy(out->index, buf, 32);
	memcpy(out->value_enc, buf + 32, 32);
	memcpy(out->value_mac, buf + 64, 32);
	memcpy(out->snapshot_mac, buf + 96, 32);
	memcpy(out->patch_mac, buf + 128, 32);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static void
lthash_op(uint8_t hash[WA_APPSTATE_HASH_LEN], const uint8_t *item, size_t n,
    int subtract)
{
	uint8_t exp[WA_APPSTATE_HASH_LEN];
	size_t i;

	/* 128 bytes cannot exceed HKDF's limit: no error possible. */
	(void)cry_hkdf_sha256(NULL, 0, item, n, PATCH_INTEGRITY_INFO,
	    strlen(PATCH_INTEGRITY_INFO), exp, sizeof(exp));
	for (i = 0; i < WA_APPSTATE_HASH_LEN; i += 2) {
		uint16_t x = (uint16_t)(hash[i] | hash[i + 1] << 8);
		uint16_t y = (uint16_t)(exp[i] | exp[i + 1] << 8);
		uint16_t z = subtract ? (uint16_t)(x - y) : (uint16_t)(x + y);
		hash[i] = (uint8_t)(z & 0xff);
		hash[i + 1] = (uint8_t)(z >> 8);
	}
}

void
wa_appstate_lthash_add(uint8_t hash[WA_APPSTATE_HASH_LEN], const uint8_t *item,
    size_t n)
{
	lthash_op(hash, item, n, 0);
}

void
wa_appstate_lthash_sub(uint8_t hash[WA_APPSTATE_HASH_LEN], const uint8_t *item,
    size_t n)
{
	lthash_op(hash, item, n, 1);
}

static void
be64(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

void
wa_appstate_value_mac(const struct wa_appstate_keys *k, int op,
    const uint8_t *key_id, size_t key_id_len, const uint8_t *iv_ct,
    size_t iv_ct_len, uint8_t out[WA_APPSTATE_MAC_LEN])
{
	crypto_auth_hmacsha512_state st;
	uint8_t opb = (uint8_t)(op + 1), len[8], full[64];

	be64(len, (uint64_t)key_id_len + 1);
	crypto_auth_hmacsha512_init(&st, k->value_mac, 32);
	crypto_auth_hmacsha512_update(&st, &opb, 1);
	crypto_auth_hmacsha512_update(&st, key_id, key_id_len);
	crypto_auth_hmacsha512_update(&st, iv_ct, iv_ct_len);
	crypto_auth_hmacsha512_update(&st, len, 8);
	crypto_auth_hmacsha512_final(&st, full);
	memcpy(out, full, WA_APPSTATE_MAC_LEN);
	sodium_memzero(&st, sizeof(st));
}

void
wa_appstate_snapshot_mac(const struct wa_appstate_keys *k,
    const uint8_t hash[WA_APPSTATE_HASH_LEN], uint64_t version,
    const char *name, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;
	uint8_t v[8];

	be64(v, version);
	crypto_auth_hmacsha256_init(&st, k->snapshot_mac, 32);
	crypto_auth_hmacsha256_update(&st, hash, WA_APPSTATE_HASH_LEN);
	crypto_auth_hmacsha256_update(&st, v, 8);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* --- Keys ----------------------------------------------------------- */

const char *
wa__appstate_jid(struct wa_appstate *as)
{
	const struct wa_device *d;

	if (as->our_jid != NULL)
		return as->our_jid;
	if (as->client == NULL)
		return NULL;
	d = wa_client_device(as->client);
	return d != NULL ? d->jid : NULL;
}

int
wa__appstate_keys(struct wa_appstate *as, const uint8_t *id, size_t idlen,
    struct wa_appstate_keys *out)
{
	uint8_t data[WA_APPSTATE_KEY_DATA_LEN];
	struct as_key_cache *c;
	const char *jid = wa__appstate_jid(as);
	size_t dlen = 0, i;
	int r;

	if (idlen == 0 || idlen > WA_APPSTATE_KEY_ID_MAX)
		return WA_ERR_APPSTATE_MALFORMED;
	for (i = 0; i < AS_KEY_CACHE; i++) {
		c = &as->cache[i];
		if (c->used && c->idlen == idlen && memcmp(c->id, id,
		    idlen) == 0) {
			*out = c->keys;
			return 0;
		}
	}
	if (jid == NULL)
		return WA_ERR_NOT_CONNECTED;
	r = as->ops->appstate_key_get(as->store_arg, jid, id, idlen, data,
	    sizeof(data), &dlen);
	if (r == U_ERR_NOT_FOUND) {
		char hex[2 * WA_APPSTATE_KEY_ID_MAX + 1];

		for (i = 0; i < idlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		/* A key id is no secret: it names the key to wait for. */
		logp_info("appstate", "app-state key %s not shared with us "
		    "yet; waiting for the phone's key share", hex);
		return WA_ERR_APPSTATE_NO_KEY;
	}
	if (r != 0)
		return r;
	r = wa_appstate_expand_keys(data, dlen, out);
	sodium_memzero(data, sizeof(data));
	if (r != 0)
		return r;
	c = &as->cache[as->cache_next++ % AS_KEY_CACHE];
	sodium_memzero(c, sizeof(*c));
	c->used = 1;
	memcpy(c->id, id, idlen);
	c->idlen = idlen;
	c->keys = *out;
	return 0;
}

int
wa_appstate_store_key_share(struct wa_appstate *as, const uint8_t *p,
    size_t n, unsigned *stored)
{
	Wa__E2EAppStateSyncKeyShare *sh = NULL;
	uint8_t *fp = NULL;
	const char *jid = wa__appstate_jid(as);
	unsigned count = 0;
	size_t i;
	int r;

	if (jid == NULL)
		return WA_ERR_NOT_CONNECTED;
	/* keys = 1 */
	if ((r = wa__appstate_bound_field(p, n, 1,
	    WA_APPSTATE_MAX_SHARE_KEYS)) != 0)
		return r;
	sh = wa__e2_eapp_state_sync_key_share__unpack(NULL, n, p);
	if (sh == NULL) {
		r = WA_ERR_APPSTATE_MALFORMED;
		goto out;
	}
	if (sh->n_keys > WA_APPSTATE_MAX_SHARE_KEYS) {
		r = WA_ERR_TOO_BIG;
		goto out;
	}
	r = 0;
	for (i = 0; i < sh->n_keys; i++) {
		const Wa__E2EAppStateSyncKey *k = sh->keys[i];
		const Wa__E2EAppStateSyncKeyData *d = k->key_data;
		size_t fplen = 0;
		int r2;

		if (k->key_id == NULL || !k->key_id->has_key_id ||
		    k->key_id->key_id.len == 0 ||
		    k->key_id->key_id.len > WA_APPSTATE_KEY_ID_MAX ||
		    d == NULL || !d->has_key_data ||
		    d->key_data.len != WA_APPSTATE_KEY_DATA_LEN) {
			logp_warnx("appstate", "key share item %zu malformed, "
			    "skipped", i);
			continue;
		}
		/* Kept as whatsmeow keeps it: the fingerprint re-serialized. */
		if (d->fingerprint != NULL) {
			fplen = wa__e2_eapp_state_sync_key_fingerprint__get_packed_size(
			    d->fingerprint);
			if (fplen > WA_APPSTATE_FINGERPRINT_MAX) {
				logp_warnx("appstate", "key share item %zu: "
				    "fingerprint too large, skipped", i);
				continue;
			}
			fp = u_malloc(fplen ? fplen : 1);
			wa__e2_eapp_state_sync_key_fingerprint__pack(
			    d->fingerprint, fp);
		}
		r2 = as->ops->appstate_key_put(as->store_arg, jid,
		    k->key_id->key_id.data, k->key_id->key_id.len,
		    d->key_data.data, d->key_data.len,
		    d->has_timestamp ? d->timestamp : 0,
		    fp != NULL ? fp : (const uint8_t *)"", fplen);
		free(fp);
		fp = NULL;
		if (r2 != 0) {
			r = r2;
			continue;
		}
		count++;
		logp_debug("appstate", "stored key %02x%02x... (%zu bytes id)",
		    k->key_id->key_id.data[0], k->key_id->key_id.len > 1 ?
		    k->key_id->key_id.data[1] : 0, k->key_id->key_id.len);
	}
	/* A key replaced by a newer share must not stay cached. */
	for (i = 0; i < AS_KEY_CACHE; i++)
		sodium_memzero(&as->cache[i], sizeof(as->cache[i]));
	if (stored != NULL)
		*stored = count;
out:
	if (sh != NULL)
		wa__e2_eapp_state_sync_key_share__free_unpacked(sh, NULL);
	return r;
}

/* --- Decoding ------------------------------------------------------- */

/*
 * How many times top-level field `field` occurs in a serialized message,
 * walking the wire format without allocating: protobuf-c allocates per
 * repeated element, so a 16 MiB patch of 2-byte mutations would cost
 * gigabytes before any limit could be checked on the unpacked form.
 * Errors: WA_ERR_APPSTATE_MALFORMED (truncated, groups, bad wire type).
 */
static int
count_field(const uint8_t *p, size_t n, uint32_t field, size_t *count)
{
	size_t off = 0, c = 0;

	while (off < n) {
		uint64_t key = 0, len = 0;
		unsigned shift = 0;

		do {
			if (off >= n || shift > 63)
				return WA_ERR_APPSTATE_MALFORMED;
			key |= (uint64_t)(p[off] & 0x7f) << shift;
			shift += 7;
		} while (p[off++] & 0x80);
		if ((key >> 3) == field)
			c++;
		switch (key & 7) {
		case 0:
			do {
				if (off >= n)
					return WA_ERR_APPSTATE_MALFORMED;
			} while (p[off++] & 0x80);
			break;
		case 1:
			if (n - off < 8)
				return WA_ERR_APPSTATE_MALFORMED;
			off += 8;
			break;
		case 2:
			shift = 0;
			do {
				if (off >= n || shift > 63)
					return WA_ERR_APPSTATE_MALFORMED;
				len |= (uint64_t)(p[off] & 0x7f) << shift;
				shift += 7;
			} while (p[off++] & 0x80);
			if (len > n - off)
				return WA_ERR_APPSTATE_MALFORMED;
			off += (size_t)len;
			break;
		case 5:
			if (n - off < 4)
				return WA_ERR_APPSTATE_MALFORMED;
			off += 4;
			break;
		default:
			return WA_ERR_APPSTATE_MALFORMED;
		}
	}
	*count = c;
	return 0;
}

/* Refuse before unpacking a message with more than max of field. */
int
wa__appstate_bound_field(const uint8_t *p, size_t n, uint32_t field,
    size_t max)
{
	size_t c = 0;
	int r;

	if ((r = count_field(p, n, field, &c)) != 0)
		return r;
	return c > max ? WA_ERR_TOO_BIG : 0;
}

/* One mutation, checked for shape: pointers into the unpacked protobuf. */
struct mut {
	int				 op;
	const uint8_t			*index_mac;	/* 32 */
	const uint8_t			*value;		/* iv || ct || mac */
	size_t				 value_len;
	const uint8_t			*value_mac;	/* value + len - 32 */
	const uint8_t			*key_id;
	size_t				 key_id_len;
	/* decoded */
	Wa__SyncActionData		*data;		/* owned */
	json_t				*index;		/* owned array of strings */
	/* the nearest earlier mutation of the same index in this patch
	 * (NO_PREV if none), and whether none comes later */
	size_t				 prev;
	int				 last;
};

#define NO_PREV ((size_t)-1)

struct pos {
	const uint8_t	*mac;
	size_t		 i;
};

static int
pos_cmp(const void *a, const void *b)
{
	const struct pos *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, WA_APPSTATE_MAC_LEN);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* prev and last of every mutation, sorting by (index MAC, position):
 * O(n log n) where a scan per mutation would let a hostile patch of
 * WA_APPSTATE_MAX_MUTATIONS cost billions of comparisons. */
static void
link_indexes(struct mut *ms, size_t n)
{
	struct pos *ps;
	size_t k;

	if (n == 0)
		return;
	ps = u_calloc(n, sizeof(*ps));
	for (k = 0; k < n; k++) {
		ps[k].mac = ms[k].index_mac;
		ps[k].i = k;
	}
	qsort(ps, n, sizeof(*ps), pos_cmp);
	for (k = 0; k < n; k++) {
		int same_before = k > 0 && memcmp(ps[k - 1].mac, ps[k].mac,
		    WA_APPSTATE_MAC_LEN) == 0;
		int same_after = k + 1 < n && memcmp(ps[k + 1].mac, ps[k].mac,
		    WA_APPSTATE_MAC_LEN) == 0;

		ms[ps[k].i].prev = same_before ? ps[k - 1].i : NO_PREV;
		ms[ps[k].i].last = !same_after;
	}
	free(ps);
}

static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = strlen(s), k, j;
	uint32_t c;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			k = 1, c = p[i] & 0x1f;
		else if ((p[i] & 0xf0) == 0xe0)
			k = 2, c = p[i] & 0x0f;
		else if ((p[i] & 0xf8) == 0xf0)
			k = 3, c = p[i] & 0x07;
		else
			return 0;
		if (n - i <= k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 1 && c < 0x80) || (k == 2 && c < 0x800) ||
		    (k == 3 && (c < 0x10000 || c > 0x10ffff)) ||
		    (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int
mut_shape(const Wa__SyncdRecord *rec, int op, struct mut *m)
{
	memset(m, 0, sizeof(*m));
	if (op != OP_SET && op != OP_REMOVE)
		return WA_ERR_APPSTATE_MALFORMED;
	if (rec == NULL || rec->index == NULL || !rec->index->has_blob ||
	    rec->index->blob.len != WA_APPSTATE_MAC_LEN ||
	    rec->value == NULL || !rec->value->has_blob ||
	    rec->value->blob.len < VALUE_MIN ||
	    (rec->value->blob.len - 16 - WA_APPSTATE_MAC_LEN) % 16 != 0 ||
	    rec->key_id == NULL || !rec->key_id->has_id ||
	    rec->key_id->id.len == 0 ||
	    rec->key_id->id.len > WA_APPSTATE_KEY_ID_MAX)
		return WA_ERR_APPSTATE_MALFORMED;
	m->op = op;
	m->index_mac = rec->index->blob.data;
	m->value = rec->value->blob.data;
	m->value_len = rec->value->blob.len;
	m->value_mac = m->value + m->value_len - WA_APPSTATE_MAC_LEN;
	m->key_id = rec->key_id->id.data;
	m->key_id_len = rec->key_id->id.len;
	return 0;
}

static void
muts_free(struct mut *ms, size_t n)
{
	size_t i;

	if (ms == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (ms[i].data != NULL)
			wa__sync_action_data__free_unpacked(ms[i].data, NULL);
		json_decref(ms[i].index);
	}
	free(ms);
}

/* Decrypt and check one mutation (value MAC, index MAC, index JSON). */
static int
mut_decode(struct wa_appstate *as, struct mut *m)
{
	struct wa_appstate_keys k;
	uint8_t mac[WA_APPSTATE_MAC_LEN], imac[32], *pt = NULL;
	size_t ctlen = m->value_len - 16 - WA_APPSTATE_MAC_LEN, ptlen = 0, i;
	json_error_t jerr;
	int r;

	if ((r = wa__appstate_keys(as, m->key_id, m->key_id_len, &k)) != 0)
		return r;
	wa_appstate_value_mac(&k, m->op, m->key_id, m->key_id_len, m->value,
	    m->value_len - WA_APPSTATE_MAC_LEN, mac);
	if (!cry_equal(mac, m->value_mac, WA_APPSTATE_MAC_LEN)) {
		r = WA_ERR_APPSTATE_MAC;
		goto out;
	}
	pt = u_malloc(ctlen);
	if (cry_aes_cbc_decrypt(k.value_enc, m->value, m->value + 16, ctlen, pt,
	    &ptlen) != 0) {
		r = WA_ERR_APPSTATE_MALFORMED;
		goto out;
	}
	m->data = wa__sync_action_data__unpack(NULL, ptlen, pt);
	if (m->data == NULL || !m->data->has_index ||
	    m->data->index.len == 0 ||
	    m->data->index.len > WA_APPSTATE_MAX_INDEX) {
		r = WA_ERR_APPSTATE_MALFORMED;
		goto out;
	}
	cry_hmac_sha256(k.index, 32, m->data->index.data, m->data->index.len,
	    imac);
	if (!cry_equal(imac, m->index_mac, 32)) {
		r = WA_ERR_APPSTATE_MAC;
		goto out;
	}
	m->index = json_loadb((const char *)m->data->index.data,
	    m->data->index.len, JSON_REJECT_DUPLICATES,
	    &jerr);
	r = WA_ERR_APPSTATE_MALFORMED;
	if (m->index == NULL || !json_is_array(m->index) ||
	    json_array_size(m->index) == 0 ||
	    json_array_size(m->index) > WA_APPSTATE_MAX_INDEX_PARTS)
		goto out;
	for (i = 0; i < json_array_size(m->index); i++)
		if (!json_is_string(json_array_get(m->index, i)))
			goto out;
	r = 0;
out:
	if (pt != NULL) {
		sodium_memzero(pt, ctlen);
		free(pt);
	}
	sodium_memzero(&k, sizeof(k));
	return r;
}

static const char *
idx(const struct mut *m, size_t i)
{
	return json_string_value(json_array_get(m->index, i));
}

static const char *
str_or_null(const char *s)
{
	return s != NULL && utf8_ok(s) ? s : NULL;
}

/*
 * A verified mutation's action.  store: write what the store keeps (the
 * contact row), inside the patch's transaction, and return its error;
 * else: the callbacks, after the commit.
 */
static int
report(struct wa_appstate *as, const char *name, const struct mut *m,
    int full_sync, int store)
{
	const Wa__SyncActionValue *v = m->data->value;
	const char *kind = idx(m, 0), *jid = wa__appstate_jid(as);
	size_t nidx = json_array_size(m->index);

	if (m->op != OP_SET) {
		if (!store)
			logp_debug("appstate", "%s: REMOVE %s ignored", name,
			    kind);
		return 0;
	}
	if (strcmp(kind, "contact") == 0 && nidx >= 2) {
		const Wa__SyncContactAction *ca = v != NULL ?
		    v->contact_action : NULL;
		struct wa_appstate_contact c;
		struct wa_jid j;
		char jbuf[WA_JID_STR_MAX];

		if (ca == NULL) {
			if (!store)
				logp_debug("appstate", "%s: contact without a "
				    "ContactAction ignored", name);
			return 0;
		}
		/* As whatsmeow (types.ParseJID, then String()): the stored
		 * key is the JID's canonical form; one that does not parse
		 * is skipped instead of being stored under "". */
		if (wa_jid_parse(idx(m, 1), &j) != 0) {
			if (!store)
				logp_debug("appstate", "%s: contact with a "
				    "malformed JID ignored", name);
			return 0;
		}
		memset(&c, 0, sizeof(c));
		c.jid = wa_jid_format(&j, jbuf, sizeof(jbuf));
		c.full_name = str_or_null(ca->full_name);
		c.first_name = str_or_null(ca->first_name);
		c.lid_jid = str_or_null(ca->lid_jid);
		c.pn_jid = str_or_null(ca->pn_jid);
		c.username = str_or_null(ca->username);
		c.collection = name;
		c.full_sync = full_sync;
		if (store) {
			if (as->ops->contact_put_name == NULL || jid == NULL)
				return 0;
			return as->ops->contact_put_name(as->store_arg, jid,
			    c.jid, c.first_name != NULL ? c.first_name : "",
			    c.full_name != NULL ? c.full_name : "");
		}
		if (as->cbs.on_contact != NULL)
			as->cbs.on_contact(as->arg, &c);
	} else if (store) {
		return 0;
	} else if (strcmp(kind, "setting_pushName") == 0) {
		const char *pn = v != NULL && v->push_name_setting != NULL ?
		    str_or_null(v->push_name_setting->name) : NULL;

		if (pn != NULL && as->cbs.on_push_name != NULL)
			as->cbs.on_push_name(as->arg, pn);
	} else {
		logp_debug("appstate", "%s: SET %s ignored", name, kind);
	}
	return 0;
}

static int
txn(struct wa_appstate *as, int op)
{
	if (as->ops->appstate_txn == NULL)
		return 0;
	return as->ops->appstate_txn(as->store_arg, op);
}

/* Write a verified patch or snapshot: version + hash, then the MACs. */
static int
store_result(struct wa_appstate *as, const char *name, uint64_t version,
    const uint8_t hash[WA_APPSTATE_HASH_LEN], struct mut *ms, size_t n,
    int snapshot)
{
	const char *jid = wa__appstate_jid(as);
	size_t i;
	int r;

	if ((r = txn(as, WA_STORE_TXN_BEGIN)) != 0)
		return r;
	if (snapshot && (r = as->ops->appstate_version_delete(as->store_arg,
	    jid, name)) != 0)
		goto out;
	if ((r = as->ops->appstate_version_put(as->store_arg, jid, name,
	    version, hash)) != 0)
		goto out;
	/* An index with any REMOVE here loses its older rows (a second
	 * delete of the same index is a no-op)... */
	for (i = 0; i < n; i++) {
		if (ms[i].op != OP_REMOVE)
			continue;
		if ((r = as->ops->appstate_mac_delete(as->store_arg, jid, name,
		    ms[i].index_mac)) != 0)
			goto out;
	}
	/* ...and one whose last mutation is a SET gets a row at version. */
	for (i = 0; i < n; i++) {
		if (ms[i].op != OP_SET || !ms[i].last)
			continue;
		if ((r = as->ops->appstate_mac_put(as->store_arg, jid, name,
		    version, ms[i].index_mac, ms[i].value_mac)) != 0)
			goto out;
	}
	/* The contacts in the same transaction: one commit for a snapshot
	 * of thousands, and the rows never ahead of or behind the version. */
	for (i = 0; i < n; i++) {
		if ((r = report(as, name, &ms[i], 0, 1)) == 0)
			continue;
		/* Without a transaction the version is already written:
		 * a contact row is then not worth failing the patch for
		 * (whatsmeow only logs it either way). */
		if (as->ops->appstate_txn != NULL)
			goto out;
		logp_warnx("appstate", "cannot store a contact: %s",
		    u_strerror(r));
	}
	r = 0;
	r = txn(as, WA_STORE_TXN_COMMIT);
out:
	if (r != 0)
		(void)txn(as, WA_STORE_TXN_ROLLBACK);
	return r;
}

/*
 * The common part of a snapshot (records as SETs, no previous values) and
 * a patch: LTHash, snapshot MAC, patch MAC (patch_mac non-NULL), every
 * mutation decoded and checked, then stored and reported.  *version and
 * hash are the state before, updated on success.
 */
static int
process(struct wa_appstate *as, const char *name, Wa__SyncdRecord **recs,
    Wa__SyncdMutation **muts, size_t n, uint64_t new_version,
    const Wa__SyncdKeyId *key_id, const ProtobufCBinaryData *snap_mac,
    const ProtobufCBinaryData *patch_mac, uint64_t *version,
    uint8_t hash[WA_APPSTATE_HASH_LEN], int full_sync)
{
	const char *jid = wa__appstate_jid(as);
	struct mut *ms = NULL;
	struct wa_appstate_keys k;
	uint8_t h[WA_APPSTATE_HASH_LEN], mac[32], prev[32], v8[8];
	int snapshot = recs != NULL, r, have_prev, warned = 0;
	size_t i, j;

	memset(&k, 0, sizeof(k));
	if (jid == NULL)
		return WA_ERR_NOT_CONNECTED;
	if (n > WA_APPSTATE_MAX_MUTATIONS)
		return WA_ERR_TOO_BIG;
	if (key_id == NULL || !key_id->has_id || snap_mac->len != 32 ||
	    (patch_mac != NULL && patch_mac->len != 32))
		return WA_ERR_APPSTATE_MALFORMED;
	if (!snapshot && new_version <= *version)
		return WA_ERR_APPSTATE_VERSION;
	ms = u_calloc(n ? n : 1, sizeof(*ms));
	for (i = 0; i < n; i++) {
		if (snapshot)
			r = mut_shape(recs[i], OP_SET, &ms[i]);
		else
			r = mut_shape(muts[i]->record, muts[i]->has_operation ?
			    muts[i]->operation : OP_SET, &ms[i]);
		if (r != 0)
			goto out;
	}
	link_indexes(ms, n);

	if (snapshot)
		memset(h, 0, sizeof(h));
	else
		memcpy(h, hash, sizeof(h));
	for (i = 0; i < n; i++) {
		if (ms[i].op == OP_SET)
			wa_appstate_lthash_add(h, ms[i].value_mac, 32);
		if (snapshot)
			continue;
		/* The index's previous value: the latest earlier mutation of
		 * it in this patch (a REMOVE there: none, -1), else the
		 * store's. */
		have_prev = 0;
		if (ms[i].prev != NO_PREV) {
			j = ms[i].prev;
			if (ms[j].op == OP_SET) {
				memcpy(prev, ms[j].value_mac, 32);
				have_prev = 1;
			} else {
				have_prev = -1;
			}
		}
		if (have_prev == 0) {
			r = as->ops->appstate_mac_get(as->store_arg, jid, name,
			    ms[i].index_mac, prev);
			if (r == 0)
				have_prev = 1;
			else if (r != U_ERR_NOT_FOUND)
				goto out;
		}
		if (have_prev == 1)
			wa_appstate_lthash_sub(h, prev, 32);
		else if (ms[i].op == OP_REMOVE && !warned++)
			/* whatsmeow only warns too: removing contact access
			 * makes such REMOVEs. */
			logp_debug("appstate", "%s v%llu: REMOVE of an index "
			    "never SET", name, (unsigned long long)new_version);
	}

	if ((r = wa__appstate_keys(as, key_id->id.data, key_id->id.len,
	    &k)) != 0)
		goto out;
	wa_appstate_snapshot_mac(&k, h, new_version, name, mac);
	if (!cry_equal(mac, snap_mac->data, 32)) {
		r = WA_ERR_APPSTATE_LTHASH;
		goto out;
	}
	if (patch_mac != NULL) {
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, k.patch_mac, 32);
		crypto_auth_hmacsha256_update(&st, snap_mac->data, 32);
		for (i = 0; i < n; i++)
			crypto_auth_hmacsha256_update(&st, ms[i].value_mac, 32);
		be64(v8, new_version);
		crypto_auth_hmacsha256_update(&st, v8, 8);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)name,
		    strlen(name));
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_memzero(&st, sizeof(st));
		if (!cry_equal(mac, patch_mac->data, 32)) {
			r = WA_ERR_APPSTATE_PATCH_MAC;
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		if ((r = mut_decode(as, &ms[i])) != 0)
			goto out;

	if ((r = store_result(as, name, new_version, h, ms, n, snapshot)) != 0)
		goto out;
	*version = new_version;
	memcpy(hash, h, WA_APPSTATE_HASH_LEN);
	for (i = 0; i < n; i++)
		(void)report(as, name, &ms[i], full_sync, 0);
	r = 0;
out:
	sodium_memzero(&k, sizeof(k));
	muts_free(ms, n);
	return r;
}

static int
apply_snapshot(struct wa_appstate *as, const char *name, const uint8_t *p,
    size_t len, uint64_t *version, uint8_t hash[WA_APPSTATE_HASH_LEN],
    int full_sync)
{
	Wa__SyncdSnapshot *ss;
	int r;

	if (len > WA_APPSTATE_MAX_BLOB)
		return WA_ERR_TOO_BIG;
	/* records = 2 */
	if ((r = wa__appstate_bound_field(p, len, 2,
	    WA_APPSTATE_MAX_MUTATIONS)) != 0)
		return r;
	if ((ss = wa__syncd_snapshot__unpack(NULL, len, p)) == NULL)
		return WA_ERR_APPSTATE_MALFORMED;
	if (ss->version == NULL || !ss->version->has_version || !ss->has_mac) {
		r = WA_ERR_APPSTATE_MALFORMED;
		goto out;
	}
	r = process(as, name, ss->records, NULL, ss->n_records,
	    ss->version->version, ss->key_id, &ss->mac, NULL, version, hash,
	    full_sync);
out:
	wa__syncd_snapshot__free_unpacked(ss, NULL);
	return r;
}

static int
apply_patch(struct wa_appstate *as, const char *name, const uint8_t *p,
    size_t len, const uint8_t *ext, size_t ext_len, uint64_t *version,
    uint8_t hash[WA_APPSTATE_HASH_LEN], int full_sync)
{
	Wa__SyncdPatch *pt;
	Wa__SyncdMutations *em = NULL;
	Wa__SyncdMutation **muts;
	size_t n;
	int r;

	if (len > WA_APPSTATE_MAX_INLINE)
		return WA_ERR_TOO_BIG;
	/* mutations = 2 */
	if ((r = wa__appstate_bound_field(p, len, 2,
	    WA_APPSTATE_MAX_MUTATIONS)) != 0)
		return r;
	if ((pt = wa__syncd_patch__unpack(NULL, len, p)) == NULL)
		return WA_ERR_APPSTATE_MALFORMED;
	r = WA_ERR_APPSTATE_MALFORMED;
	if (pt->version == NULL || !pt->version->has_version ||
	    !pt->has_snapshot_mac || !pt->has_patch_mac)
		goto out;
	muts = pt->mutations;
	n = pt->n_mutations;
	if (pt->external_mutations != NULL) {
		if (ext == NULL) {
			r = WA_ERR_APPSTATE_NO_MEDIA;
			goto out;
		}
		if (ext_len > WA_APPSTATE_MAX_BLOB) {
			r = WA_ERR_TOO_BIG;
			goto out;
		}
		/* SyncdMutations.mutations = 1 */
		if ((r = wa__appstate_bound_field(ext, ext_len, 1,
		    WA_APPSTATE_MAX_MUTATIONS)) != 0)
			goto out;
		r = WA_ERR_APPSTATE_MALFORMED;
		em = wa__syncd_mutations__unpack(NULL, ext_len, ext);
		/* As whatsmeow: an external list must hold mutations. */
		if (em == NULL || em->n_mutations == 0)
			goto out;
		muts = em->mutations;
		n = em->n_mutations;
	}
	r = process(as, name, NULL, muts, n, pt->version->version, pt->key_id,
	    &pt->snapshot_mac, &pt->patch_mac, version, hash, full_sync);
out:
	if (em != NULL)
		wa__syncd_mutations__free_unpacked(em, NULL);
	wa__syncd_patch__free_unpacked(pt, NULL);
	return r;
}

int
wa_appstate_state(struct wa_appstate *as, const char *name, uint64_t *version,
    uint8_t hash[WA_APPSTATE_HASH_LEN])
{
	const char *jid = wa__appstate_jid(as);
	int r;

	if (jid == NULL)
		return WA_ERR_NOT_CONNECTED;
	r = as->ops->appstate_version_get(as->store_arg, jid, name, version,
	    hash);
	if (r == U_ERR_NOT_FOUND) {
		*version = 0;
		memset(hash, 0, WA_APPSTATE_HASH_LEN);
		r = 0;
	}
	return r;
}

int
wa__appstate_apply(struct wa_appstate *as, const char *name,
    const uint8_t *snapshot, size_t snapshot_len,
    const uint8_t *const *patches, const size_t *patch_lens, size_t npatches,
    const uint8_t *const *ext, const size_t *ext_lens, int full_sync)
{
	uint8_t hash[WA_APPSTATE_HASH_LEN];
	uint64_t version;
	size_t i;
	int r;

	if (!wa_appstate_collection_known(name))
		return U_ERR_INVALID;
	if (npatches > WA_APPSTATE_MAX_PATCHES)
		return WA_ERR_TOO_BIG;
	if ((r = wa_appstate_state(as, name, &version, hash)) != 0)
		return r;
	if (snapshot != NULL) {
		/* A snapshot only lands on a fresh state (whatsmeow: "unexpected
		 * non-empty input state"). */
		if (version != 0)
			return WA_ERR_APPSTATE_VERSION;
		if ((r = apply_snapshot(as, name, snapshot, snapshot_len,
		    &version, hash, full_sync)) != 0)
			return r;
	}
	for (i = 0; i < npatches; i++) {
		r = apply_patch(as, name, patches[i], patch_lens[i],
		    ext != NULL ? ext[i] : NULL, ext != NULL ? ext_lens[i] : 0,
		    &version, hash, full_sync);
		if (r != 0) {
			logp_warnx("appstate", "%s: patch %zu of %zu refused "
			    "(staying at v%llu): %s", name, i + 1, npatches,
			    (unsigned long long)version, u_strerror(r));
			return r;
		}
	}
	return 0;
}

int
wa_appstate_apply(struct wa_appstate *as, const char *name,
    const uint8_t *snapshot, size_t snapshot_len,
    const uint8_t *const *patches, const size_t *patch_lens, size_t npatches,
    const uint8_t *const *ext, const size_t *ext_lens, int full_sync)
{
	int r = wa__appstate_apply(as, name, snapshot, snapshot_len, patches,
	    patch_lens, npatches, ext, ext_lens, full_sync);

	if (r != 0 && as->cbs.on_error != NULL)
		as->cbs.on_error(as->arg, name, r);
	return r;
}

/* --- Encoding (tests, tools) ---------------------------------------- */

int
wa_appstate_encode_mutation(const struct wa_appstate_keys *k, int op,
    const uint8_t *key_id, size_t key_id_len, const char *index_json,
    const uint8_t *action, size_t action_len, int32_t version,
    const uint8_t *iv, uint8_t **out, size_t *out_len,
    uint8_t value_mac[WA_APPSTATE_MAC_LEN])
{
	Wa__SyncActionData data = WA__SYNC_ACTION_DATA__INIT;
	Wa__SyncActionValue *val = NULL;
	Wa__SyncdMutation mut = WA__SYNCD_MUTATION__INIT;
	Wa__SyncdRecord rec = WA__SYNCD_RECORD__INIT;
	Wa__SyncdIndex sidx = WA__SYNCD_INDEX__INIT;
	Wa__SyncdValue sval = WA__SYNCD_VALUE__INIT;
	Wa__SyncdKeyId skid = WA__SYNCD_KEY_ID__INIT;
	uint8_t *pt = NULL, *blob = NULL, imac[32];
	size_t ptlen, ctlen = 0;
	int r = U_ERR_INVALID;

	if ((op != OP_SET && op != OP_REMOVE) || key_id_len == 0 ||
	    key_id_len > WA_APPSTATE_KEY_ID_MAX)
		goto out;
	if (action != NULL && action_len > 0) {
		val = wa__sync_action_value__unpack(NULL, action_len, action);
		if (val == NULL)
			goto out;
	}
	data.has_index = 1;
	data.index.data = (uint8_t *)index_json;
	data.index.len = strlen(index_json);
	data.value = val;
	data.has_version = 1;
	data.version = version;
	ptlen = wa__sync_action_data__get_packed_size(&data);
	pt = u_malloc(ptlen ? ptlen : 1);
	wa__sync_action_data__pack(&data, pt);

	blob = u_malloc(16 + ptlen + 16 + WA_APPSTATE_MAC_LEN);
	if (iv != NULL)
		memcpy(blob, iv, 16);
	else
		cry_random(blob, 16);
	if ((r = cry_aes_cbc_encrypt(k->value_enc, blob, pt, ptlen, blob + 16,
	    &ctlen)) != 0)
		goto out;
	wa_appstate_value_mac(k, op, key_id, key_id_len, blob, 16 + ctlen,
	    blob + 16 + ctlen);
	cry_hmac_sha256(k->index, 32, index_json, strlen(index_json), imac);

	sidx.has_blob = 1;
	sidx.blob.data = imac;
	sidx.blob.len = 32;
	sval.has_blob = 1;
	sval.blob.data = blob;
	sval.blob.len = 16 + ctlen + WA_APPSTATE_MAC_LEN;
	skid.has_id = 1;
	skid.id.data = (uint8_t *)key_id;
	skid.id.len = key_id_len;
	rec.index = &sidx;
	rec.value = &sval;
	rec.key_id = &skid;
	mut.has_operation = 1;
	mut.operation = op;
	mut.record = &rec;
	*out_len = wa__syncd_mutation__get_packed_size(&mut);
	*out = u_malloc(*out_len ? *out_len : 1);
	wa__syncd_mutation__pack(&mut, *out);
	if (value_mac != NULL)
		memcpy(value_mac, blob + 16 + ctlen, WA_APPSTATE_MAC_LEN);
	r = 0;
out:
	if (val != NULL)
		wa__sync_action_value__free_unpacked(val, NULL);
	free(pt);
	free(blob);
	return r;
}
