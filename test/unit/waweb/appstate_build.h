/*
 * appstate_build.h: building app-state snapshots and patches for the
 * tests (header only): mutations through wa_appstate_encode_mutation, the
 * LTHash kept in a small model of index -> value MAC, the snapshot MAC
 * through wa_appstate_snapshot_mac (checked against an independent vector
 * in test_appstate.c) and the patch MAC over one concatenated buffer.
 */
#ifndef PONTON_TEST_APPSTATE_BUILD_H
#define PONTON_TEST_APPSTATE_BUILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "proto/serversync.pb-c.h"
#include "proto/syncaction.pb-c.h"
#include "util/mem.h"
#include "waweb/appstate.h"

static const uint8_t KID[2] = { 0x00, 0x01 };
static const uint8_t KID2[2] = { 0x00, 0x02 };
static const uint8_t KEYDATA[32] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
	20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

struct model_row {
	uint8_t	imac[32], vmac[32];
};

struct model {
	struct model_row rows[32];
	size_t		 n;
	uint8_t		 hash[WA_APPSTATE_HASH_LEN];
};

struct as_builder {
	const char		*name;		/* the collection */
	struct wa_appstate_keys	 k;		/* expanded KEYDATA */
	struct model		 model, pending;
};

static inline void
as_builder_init(struct as_builder *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	wa_appstate_expand_keys(KEYDATA, 32, &b->k);
}

/* A serialized SyncActionValue with a ContactAction. */
static inline uint8_t *
contact_action(const char *full, const char *first, const char *lid,
    size_t *len)
{
	Wa__SyncActionValue v = WA__SYNC_ACTION_VALUE__INIT;
	Wa__SyncContactAction ca = WA__SYNC_CONTACT_ACTION__INIT;
	uint8_t *p;

	ca.full_name = (char *)full;
	ca.first_name = (char *)first;
	ca.lid_jid = (char *)lid;
	v.has_timestamp = 1;
	v.timestamp = 1700000000000;
	v.contact_action = &ca;
	*len = wa__sync_action_value__get_packed_size(&v);
	p = u_malloc(*len);
	wa__sync_action_value__pack(&v, p);
	return p;
}

static inline uint8_t *
push_action(const char *name, size_t *len)
{
	Wa__SyncActionValue v = WA__SYNC_ACTION_VALUE__INIT;
	Wa__SyncPushNameSetting pn = WA__SYNC_PUSH_NAME_SETTING__INIT;
	uint8_t *p;

	pn.name = (char *)name;
	v.push_name_setting = &pn;
	*len = wa__sync_action_value__get_packed_size(&v);
	p = u_malloc(*len);
	wa__sync_action_value__pack(&v, p);
	return p;
}

struct mspec {
	int		 op;
	const char	*index;
	uint8_t		*action;	/* owned by the spec user */
	size_t		 action_len;
	const uint8_t	*kid;		/* NULL: KID */
};

/* The model's LTHash step for one mutation, as the protocol defines it. */
static inline void
model_apply(struct model *m, int op, const uint8_t imac[32],
    const uint8_t vmac[32])
{
	size_t i;

	if (op == 0)
		wa_appstate_lthash_add(m->hash, vmac, 32);
	for (i = 0; i < m->n; i++) {
		if (memcmp(m->rows[i].imac, imac, 32) != 0)
			continue;
		wa_appstate_lthash_sub(m->hash, m->rows[i].vmac, 32);
		if (op == 0) {
			memcpy(m->rows[i].vmac, vmac, 32);
		} else {
			m->rows[i] = m->rows[m->n - 1];
			m->n--;
		}
		return;
	}
	if (op == 0 && m->n < 32) {
		memcpy(m->rows[m->n].imac, imac, 32);
		memcpy(m->rows[m->n].vmac, vmac, 32);
		m->n++;
	}
}

/*
 * Build mutations from specs; *muts gets unpacked SyncdMutation objects
 * (free with wa__syncd_mutation__free_unpacked) and the model in
 * f->pending advances (starting from f->model, or from zero).
 */
static inline void
build_muts(struct as_builder *f, const struct mspec *s, size_t n,
    Wa__SyncdMutation **muts, int from_zero)
{
	size_t i, len;
	uint8_t *p, vmac[32], imac[32];

	f->pending = f->model;
	if (from_zero)
		memset(&f->pending, 0, sizeof(f->pending));
	for (i = 0; i < n; i++) {
		const uint8_t *kid = s[i].kid ? s[i].kid : KID;
		int r = wa_appstate_encode_mutation(&f->k, s[i].op, kid, 2,
		    s[i].index, s[i].action, s[i].action_len, 2, NULL, &p,
		    &len, vmac);
		if (r != 0)
			abort();
		muts[i] = wa__syncd_mutation__unpack(NULL, len, p);
		free(p);
		cry_hmac_sha256(f->k.index, 32, s[i].index, strlen(s[i].index),
		    imac);
		if (memcmp(imac, muts[i]->record->index->blob.data, 32) != 0)
			abort();
		model_apply(&f->pending, s[i].op, imac, vmac);
	}
}

static inline uint8_t *
build_patch(struct as_builder *f, uint64_t version, const struct mspec *s, size_t n,
    size_t *len)
{
	Wa__SyncdMutation *muts[16];
	Wa__SyncdPatch pt = WA__SYNCD_PATCH__INIT;
	Wa__SyncdVersion v = WA__SYNCD_VERSION__INIT;
	Wa__SyncdKeyId kid = WA__SYNCD_KEY_ID__INIT;
	uint8_t smac[32], pmac[32], buf[32 + 16 * 32 + 8 + 64], *p;
	size_t i, off = 0;

	build_muts(f, s, n, muts, 0);
	wa_appstate_snapshot_mac(&f->k, f->pending.hash, version, f->name, smac);
	/* The patch MAC from one buffer, independently of appstate_proc.c's
	 * incremental HMAC. */
	memcpy(buf, smac, 32);
	off = 32;
	for (i = 0; i < n; i++) {
		const ProtobufCBinaryData *b = &muts[i]->record->value->blob;
		memcpy(buf + off, b->data + b->len - 32, 32);
		off += 32;
	}
	for (i = 0; i < 8; i++)
		buf[off++] = (uint8_t)(version >> (56 - 8 * i));
	memcpy(buf + off, f->name, strlen(f->name));
	off += strlen(f->name);
	cry_hmac_sha256(f->k.patch_mac, 32, buf, off, pmac);

	v.has_version = 1;
	v.version = version;
	kid.has_id = 1;
	kid.id.data = (uint8_t *)KID;
	kid.id.len = 2;
	pt.version = &v;
	pt.n_mutations = n;
	pt.mutations = muts;
	pt.has_snapshot_mac = 1;
	pt.snapshot_mac.data = smac;
	pt.snapshot_mac.len = 32;
	pt.has_patch_mac = 1;
	pt.patch_mac.data = pmac;
	pt.patch_mac.len = 32;
	pt.key_id = &kid;
	*len = wa__syncd_patch__get_packed_size(&pt);
	p = u_malloc(*len);
	wa__syncd_patch__pack(&pt, p);
	for (i = 0; i < n; i++)
		wa__syncd_mutation__free_unpacked(muts[i], NULL);
	return p;
}

static inline uint8_t *
build_snapshot(struct as_builder *f, uint64_t version, const struct mspec *s,
    size_t n, size_t *len)
{
	Wa__SyncdMutation *muts[16];
	Wa__SyncdRecord *recs[16];
	Wa__SyncdSnapshot ss = WA__SYNCD_SNAPSHOT__INIT;
	Wa__SyncdVersion v = WA__SYNCD_VERSION__INIT;
	Wa__SyncdKeyId kid = WA__SYNCD_KEY_ID__INIT;
	uint8_t smac[32], *p;
	size_t i;

	build_muts(f, s, n, muts, 1);
	for (i = 0; i < n; i++)
		recs[i] = muts[i]->record;
	wa_appstate_snapshot_mac(&f->k, f->pending.hash, version, f->name, smac);
	v.has_version = 1;
	v.version = version;
	kid.has_id = 1;
	kid.id.data = (uint8_t *)KID;
	kid.id.len = 2;
	ss.version = &v;
	ss.n_records = n;
	ss.records = recs;
	ss.has_mac = 1;
	ss.mac.data = smac;
	ss.mac.len = 32;
	ss.key_id = &kid;
	*len = wa__syncd_snapshot__get_packed_size(&ss);
	p = u_malloc(*len);
	wa__syncd_snapshot__pack(&ss, p);
	for (i = 0; i < n; i++)
		wa__syncd_mutation__free_unpacked(muts[i], NULL);
	return p;
}

#endif
