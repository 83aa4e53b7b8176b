/*
 * fuzz_wa_appstate.c: libFuzzer entry point for app-state sync input
 * (waweb/appstate.h): snapshots, patches and external mutation lists from
 * the server, key shares and E2E messages from "our own" phone.
 *
 * Input: a sequence of records, each [kind byte][3-byte big-endian
 * length][bytes], applied in order to one wa_appstate on an in-memory
 * store that holds the test key (KID/KEYDATA of
 * test/unit/waweb/appstate_build.h, the key the seeds in
 * test/data/fuzz_wa_appstate/ are made with, so that they verify and the
 * fuzzer starts past the MAC checks).  kind % 6:
 *   0: a SyncdPatch through wa_appstate_apply (collection
 *      critical_unblock_low);
 *   1: a SyncdSnapshot through wa_appstate_apply (a full sync);
 *   2: a SyncdPatch whose externalMutations are the NEXT record's bytes;
 *   3: an AppStateSyncKeyShare through wa_appstate_store_key_share;
 *   4: an E2EMessage payload through wa_appstate_handle_message (from_me);
 *   5: a mutation built here with valid MACs from the bytes: first byte =
 *      op, then a NUL-separated index JSON and SyncActionValue, wrapped in
 *      a correctly MACed patch at the next version: reaches the index JSON
 *      and action decoding with arbitrary content.
 * Checks beyond "no crash, no leak": the stored version never goes down
 * except through a snapshot, and a failed apply leaves version and hash
 * as they were.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "test/unit/waweb/appstate_build.h"
#include "util/log.h"
#include "waweb/appstate.h"
#include "waweb/errors.h"
#include "waweb/recv_message.h"
#include "waweb/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_INPUT_MAX (256 * 1024)
#define FUZZ_RECORDS_MAX 32
#define JID "33600000001:7@s.whatsapp.net"
#define CUL "critical_unblock_low"

static void
state(struct wa_appstate *as, uint64_t *v, uint8_t h[WA_APPSTATE_HASH_LEN])
{
	if (wa_appstate_state(as, CUL, v, h) != 0)
		abort();
}

/* A correctly MACed one-mutation patch at version v+1 over hash h. */
static uint8_t *
structured(const uint8_t *p, size_t n, uint64_t v,
    const uint8_t h[WA_APPSTATE_HASH_LEN], size_t *len)
{
	struct wa_appstate_keys k;
	Wa__SyncdMutation *mut;
	Wa__SyncdPatch pt = WA__SYNCD_PATCH__INIT;
	Wa__SyncdVersion ver = WA__SYNCD_VERSION__INIT;
	Wa__SyncdKeyId kid = WA__SYNCD_KEY_ID__INIT;
	uint8_t hash[WA_APPSTATE_HASH_LEN], vmac[32], smac[32], pmac[32];
	uint8_t buf[32 + 32 + 8 + sizeof(CUL)], *m = NULL, *out;
	char *index;
	const uint8_t *nul;
	size_t mlen, ilen, off, i;
	int op;

	if (n < 2)
		return NULL;
	op = p[0] & 1;
	p++;
	n--;
	nul = memchr(p, 0, n);
	ilen = nul != NULL ? (size_t)(nul - p) : n;
	index = malloc(ilen + 1);
	memcpy(index, p, ilen);
	index[ilen] = '\0';
	wa_appstate_expand_keys(KEYDATA, 32, &k);
	if (wa_appstate_encode_mutation(&k, op, KID, 2, index,
	    nul != NULL ? nul + 1 : NULL, nul != NULL ? n - ilen - 1 : 0, 2,
	    NULL, &m, &mlen, vmac) != 0) {
		free(index);
		return NULL;
	}
	free(index);
	mut = wa__syncd_mutation__unpack(NULL, mlen, m);
	free(m);
	if (mut == NULL)
		abort();	/* our own encoding must parse */
	/* The LTHash without the previous value: right for a new index, and
	 * a mismatch (refused) otherwise, which is fine too. */
	memcpy(hash, h, sizeof(hash));
	if (op == 0)
		wa_appstate_lthash_add(hash, vmac, 32);
	wa_appstate_snapshot_mac(&k, hash, v + 1, CUL, smac);
	memcpy(buf, smac, 32);
	memcpy(buf + 32, vmac, 32);
	off = 64;
	for (i = 0; i < 8; i++)
		buf[off++] = (uint8_t)((v + 1) >> (56 - 8 * i));
	memcpy(buf + off, CUL, strlen(CUL));
	off += strlen(CUL);
	cry_hmac_sha256(k.patch_mac, 32, buf, off, pmac);
	ver.has_version = 1;
	ver.version = v + 1;
	kid.has_id = 1;
	kid.id.data = (uint8_t *)KID;
	kid.id.len = 2;
	pt.version = &ver;
	pt.n_mutations = 1;
	pt.mutations = &mut;
	pt.has_snapshot_mac = 1;
	pt.snapshot_mac.data = smac;
	pt.snapshot_mac.len = 32;
	pt.has_patch_mac = 1;
	pt.patch_mac.data = pmac;
	pt.patch_mac.len = 32;
	pt.key_id = &kid;
	*len = wa__syncd_patch__get_packed_size(&pt);
	out = malloc(*len ? *len : 1);
	wa__syncd_patch__pack(&pt, out);
	wa__syncd_mutation__free_unpacked(mut, NULL);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct wa_store_mem *m;
	struct wa_appstate *as;
	struct wa_appstate_opts o;
	const uint8_t *rec[FUZZ_RECORDS_MAX];
	size_t rlen[FUZZ_RECORDS_MAX], nrec = 0, off = 0, i;
	int kinds[FUZZ_RECORDS_MAX];

	if (!init) {
		struct u_log_config lc;
		memset(&lc, 0, sizeof(lc));
		lc.min_level = U_LOG_DISABLED;
		(void)u_log_setup(&lc);
		wa_errors_register();
		init = 1;
	}
	if (size > FUZZ_INPUT_MAX)
		return 0;
	while (off + 4 <= size && nrec < FUZZ_RECORDS_MAX) {
		size_t len = (size_t)data[off + 1] << 16 |
		    (size_t)data[off + 2] << 8 | data[off + 3];
		if (len > size - off - 4)
			len = size - off - 4;
		kinds[nrec] = data[off] % 6;
		rec[nrec] = data + off + 4;
		rlen[nrec] = len;
		nrec++;
		off += 4 + len;
	}

	m = wa_store_mem_new();
	memset(&o, 0, sizeof(o));
	o.ops = &wa_store_mem_ops;
	o.store_arg = m;
	o.our_jid = JID;
	as = wa_appstate_new(&o, NULL, NULL);
	wa_store_mem_ops.appstate_key_put(m, JID, KID, 2, KEYDATA, 32, 1,
	    (const uint8_t *)"", 0);

	for (i = 0; i < nrec; i++) {
		uint8_t h0[WA_APPSTATE_HASH_LEN], h1[WA_APPSTATE_HASH_LEN];
		uint64_t v0, v1;
		const uint8_t *p = rec[i];
		size_t n = rlen[i];
		uint8_t *built = NULL;
		int r = 0, patchlike = 0;

		state(as, &v0, h0);
		switch (kinds[i]) {
		case 0:
			patchlike = 1;
			r = wa_appstate_apply(as, CUL, NULL, 0, &p, &n, 1, NULL,
			    NULL, 0);
			break;
		case 1:
			r = wa_appstate_apply(as, CUL, p, n, NULL, NULL, 0, NULL,
			    NULL, 1);
			break;
		case 2: {
			const uint8_t *ext = i + 1 < nrec ? rec[i + 1] : NULL;
			size_t elen = i + 1 < nrec ? rlen[i + 1] : 0;
			patchlike = 1;
			r = wa_appstate_apply(as, CUL, NULL, 0, &p, &n, 1, &ext,
			    &elen, 0);
			i++;
			break;
		}
		case 3:
			r = wa_appstate_store_key_share(as, p, n, NULL);
			break;
		case 4: {
			struct wa_msg_event ev;
			memset(&ev, 0, sizeof(ev));
			ev.payload = p;
			ev.payload_len = n;
			ev.from_me = 1;
			(void)wa_appstate_handle_message(as, &ev);
			break;
		}
		case 5:
			built = structured(p, n, v0, h0, &n);
			if (built != NULL) {
				const uint8_t *bp = built;
				patchlike = 1;
				r = wa_appstate_apply(as, CUL, NULL, 0, &bp, &n,
				    1, NULL, NULL, 0);
			}
			free(built);
			break;
		}
		state(as, &v1, h1);
		/* A refused patch leaves everything as it was; an accepted
		 * one moves the version up. */
		if (patchlike && r != 0 && (v1 != v0 ||
		    memcmp(h0, h1, sizeof(h0)) != 0))
			abort();
		if (patchlike && r == 0 && v1 <= v0)
			abort();
	}
	wa_appstate_free(as);
	wa_store_mem_free(m);
	return 0;
}
