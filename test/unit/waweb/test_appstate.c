/*
 * Tests for waweb/appstate_proc.c and appstate.c: app-state key expansion,
 * LTHash and MACs against vectors computed independently (Python's hmac
 * and hashlib, see the comments), snapshots and patches built here and
 * applied through wa_appstate_apply on the in-memory store: contacts and
 * push names reported and stored, REMOVE, every MAC check failing on a
 * flipped byte without advancing the version, a missing key then a key
 * share, version order, the key share from another account, server_sync.
 */
#include <string.h>

#include "crypto/cry.h"
#include "proto/e2e.pb-c.h"
#include "proto/serversync.pb-c.h"
#include "proto/syncaction.pb-c.h"
#include "test/unit/crypto/hex.h"
#include "test/unit/test.h"
#include "test/unit/waweb/appstate_build.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/appstate.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/store.h"

#define OUR_JID "33600000001:3@s.whatsapp.net"
#define CUL "critical_unblock_low"


struct events {
	int	ncontacts;
	char	jid[128], full[128], first[128], lid[128];
	int	full_sync;
	char	push[128];
	int	nerr, lasterr;
	char	errcoll[64];
};

struct fx {
	struct wa_store_mem	*m;
	struct wa_appstate	*as;
	struct as_builder	 b;
	struct events		 ev;
};

/* Decode hex into out (n bytes exactly, else abort). */
static void
hexto(const char *h, uint8_t *out, size_t n)
{
	size_t len;
	uint8_t *p = unhex(h, &len);

	if (len != n)
		abort();
	memcpy(out, p, n);
	free(p);
}

static void
on_contact(void *arg, const struct wa_appstate_contact *c)
{
	struct events *e = arg;

	e->ncontacts++;
	snprintf(e->jid, sizeof(e->jid), "%s", c->jid);
	snprintf(e->full, sizeof(e->full), "%s", c->full_name ? c->full_name : "(null)");
	snprintf(e->first, sizeof(e->first), "%s", c->first_name ? c->first_name : "(null)");
	snprintf(e->lid, sizeof(e->lid), "%s", c->lid_jid ? c->lid_jid : "(null)");
	e->full_sync = c->full_sync;
}

static void
on_push_name(void *arg, const char *name)
{
	struct events *e = arg;

	snprintf(e->push, sizeof(e->push), "%s", name);
}

static void
on_error(void *arg, const char *coll, int err)
{
	struct events *e = arg;

	e->nerr++;
	e->lasterr = err;
	snprintf(e->errcoll, sizeof(e->errcoll), "%s", coll);
}

static void
fx_init(struct fx *f, int with_key)
{
	struct wa_appstate_opts o;
	struct wa_appstate_cbs cbs = { on_contact, on_push_name, NULL,
	    on_error };

	memset(f, 0, sizeof(*f));
	wa_errors_register();
	f->m = wa_store_mem_new();
	memset(&o, 0, sizeof(o));
	o.ops = &wa_store_mem_ops;
	o.store_arg = f->m;
	o.our_jid = OUR_JID;
	f->as = wa_appstate_new(&o, &cbs, &f->ev);
	if (with_key)
		wa_store_mem_ops.appstate_key_put(f->m, OUR_JID, KID, 2,
		    KEYDATA, 32, 1000, (const uint8_t *)"", 0);
	as_builder_init(&f->b, CUL);
}

static void
fx_free(struct fx *f)
{
	wa_appstate_free(f->as);
	wa_store_mem_free(f->m);
}

static int
apply1(struct fx *f, const uint8_t *p, size_t len)
{
	const uint8_t *ps[1] = { p };
	size_t ls[1] = { len };

	return wa_appstate_apply(f->as, CUL, NULL, 0, ps, ls, 1, NULL, NULL, 0);
}

static uint64_t
version_of(struct fx *f)
{
	uint8_t h[WA_APPSTATE_HASH_LEN];
	uint64_t v = 99;

	if (wa_appstate_state(f->as, CUL, &v, h) != 0)
		return 999;
	return v;
}

/* --- Primitives against independent vectors ----------------------------- */

TEST(test_appstate_expand_keys_vector)
{
	/* python3: HKDF-SHA256(ikm=bytes(range(32)), salt=32 zero bytes,
	 * info=b"WhatsApp Mutation Keys", L=160) with hmac/hashlib. */
	static const char *want =
	    "61387bcf643616a68bd611a45516b3980418323087d78bf08c61564554943"
	    "4b4900ba2843ba5fb0cee55cf2a4de9503dce68187d3f6b95b420b008bde6"
	    "6f5a20d0879f6b61f0bcba79faad3f47a8a768fd7fc04a6cc8b3ecefedfa0"
	    "87413226f69b2e91be6587307c43c29b027a71fdd55be25f07ca726714115"
	    "430d23093071693845bdd996652aca9ca0b96d0f081abf29943303c5eb19b"
	    "db84f38b24c32ab";
	uint8_t exp[160];
	struct wa_appstate_keys k;

	hexto(want, exp, 160);
	REQUIRE(wa_appstate_expand_keys(KEYDATA, 32, &k) == 0);
	CHECK_EQ_MEM(k.index, exp, 32);
	CHECK_EQ_MEM(k.value_enc, exp + 32, 32);
	CHECK_EQ_MEM(k.value_mac, exp + 64, 32);
	CHECK_EQ_MEM(k.snapshot_mac, exp + 96, 32);
	CHECK_EQ_MEM(k.patch_mac, exp + 128, 32);
}

TEST(test_appstate_lthash_vector_and_inverse)
{
	/* python3: add 0x11*32, add 0x22*32, subtract 0x33*32 from zero,
	 * each item HKDF(item, info "WhatsApp Patch Integrity", 128) as 64
	 * little-endian uint16 mod 2^16. */
	static const char *want =
	    "8692372b0af8e545b35a943cf2902fcd155065214baeb3f84d05038624fd66"
	    "3d7fe0d0da81a48df677d06f295c7856dbe072cc2b3648d365f13489b3e762"
	    "ed0f96638a64dd2d337913b2de1ad31596005170ae1c9ac36ca57383306ce8"
	    "e009d2f3fa4e87a3702b84ee43b12c1ee2f056f97317af64c918606d2cdbf0"
	    "7c0428cb";
	uint8_t exp[128], h[128], a[32], b[32], c[32], zero[128];

	memset(h, 0, sizeof(h));
	memset(zero, 0, sizeof(zero));
	memset(a, 0x11, 32);
	memset(b, 0x22, 32);
	memset(c, 0x33, 32);
	hexto(want, exp, 128);
	wa_appstate_lthash_add(h, a, 32);
	wa_appstate_lthash_add(h, b, 32);
	wa_appstate_lthash_sub(h, c, 32);
	CHECK_EQ_MEM(h, exp, 128);
	/* Undo in another order: back to zero. */
	wa_appstate_lthash_sub(h, a, 32);
	wa_appstate_lthash_add(h, c, 32);
	wa_appstate_lthash_sub(h, b, 32);
	CHECK_EQ_MEM(h, zero, 128);
}

TEST(test_appstate_value_and_snapshot_mac_vectors)
{
	/* python3: HMAC-SHA512(valueMacKey, [op+1] + b"\0\1" + bytes(range(48))
	 * + BE64(3))[:32]; HMAC-SHA256(snapshotMacKey, lthash above + BE64(7)
	 * + b"critical_unblock_low"). */
	static const char *set_mac =
	    "3f1c5649b6c08b758e264d2c94aa42d2ccedd7ceffa66e5bc4d1872e8af7e50f";
	static const char *rm_mac =
	    "10d9e1a4978aeded23b396676532caa4e178b310afb6d4cd100dc6067f23bad2";
	static const char *snap =
	    "4b3b41450b12eb01c5e19e24c60488634deb1c2096491251e27ccf5da9ca8bdb";
	struct wa_appstate_keys k;
	uint8_t ivct[48], mac[32], want[32], h[128], a[32], b[32], c[32];
	size_t i;

	for (i = 0; i < 48; i++)
		ivct[i] = (uint8_t)i;
	REQUIRE(wa_appstate_expand_keys(KEYDATA, 32, &k) == 0);
	wa_appstate_value_mac(&k, 0, KID, 2, ivct, 48, mac);
	hexto(set_mac, want, 32);
	CHECK_EQ_MEM(mac, want, 32);
	wa_appstate_value_mac(&k, 1, KID, 2, ivct, 48, mac);
	hexto(rm_mac, want, 32);
	CHECK_EQ_MEM(mac, want, 32);
	memset(h, 0, sizeof(h));
	memset(a, 0x11, 32);
	memset(b, 0x22, 32);
	memset(c, 0x33, 32);
	wa_appstate_lthash_add(h, a, 32);
	wa_appstate_lthash_add(h, b, 32);
	wa_appstate_lthash_sub(h, c, 32);
	wa_appstate_snapshot_mac(&k, h, 7, CUL, mac);
	hexto(snap, want, 32);
	CHECK_EQ_MEM(mac, want, 32);
}

/* --- Snapshots and patches ------------------------------------------------ */

TEST(test_appstate_snapshot_then_patch_reports_and_stores_contacts)
{
	struct fx f;
	struct mspec s[3];
	struct wa_contact c;
	uint8_t *snap, *patch, h[128];
	size_t slen, plen, al1, al2, al3;
	uint64_t v;

	fx_init(&f, 1);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33611111111@s.whatsapp.net\"]";
	s[0].action = contact_action("Alice Martin", "Alice", NULL, &al1);
	s[0].action_len = al1;
	s[1].index = "[\"setting_pushName\"]";
	s[1].action = push_action("Me", &al2);
	s[1].action_len = al2;
	s[2].index = "[\"mute\",\"33622222222@s.whatsapp.net\"]";
	snap = build_snapshot(&f.b, 5, s, 3, &slen);
	REQUIRE(wa_appstate_apply(f.as, CUL, snap, slen, NULL, NULL, 0, NULL,
	    NULL, 1) == 0);
	f.b.model = f.b.pending;
	CHECK_EQ_INT(f.ev.ncontacts, 1);
	CHECK_EQ_STR(f.ev.jid, "33611111111@s.whatsapp.net");
	CHECK_EQ_STR(f.ev.full, "Alice Martin");
	CHECK_EQ_STR(f.ev.first, "Alice");
	CHECK_EQ_INT(f.ev.full_sync, 1);
	CHECK_EQ_STR(f.ev.push, "Me");
	CHECK_EQ_INT(f.ev.nerr, 0);
	REQUIRE(wa_appstate_state(f.as, CUL, &v, h) == 0);
	CHECK_EQ_INT(v, 5);
	CHECK_EQ_MEM(h, f.b.model.hash, 128);
	memset(&c, 0, sizeof(c));
	REQUIRE(wa_store_mem_ops.contact_get(f.m, OUR_JID,
	    "33611111111@s.whatsapp.net", &c) == 0);
	CHECK_EQ_STR(c.full_name, "Alice Martin");
	CHECK_EQ_STR(c.first_name, "Alice");
	CHECK(c.push_name == NULL);
	wa_contact_clear(&c);

	/* A patch renames Alice (SET over SET: the old value MAC is
	 * subtracted from the stored one) and adds Bob with his LID. */
	free(s[0].action);
	s[0].action = contact_action("Alice Dupont", "Alice", NULL, &al1);
	s[0].action_len = al1;
	s[1].index = "[\"contact\",\"33633333333@s.whatsapp.net\"]";
	free(s[1].action);
	s[1].action = contact_action("Bob", NULL, "123456789@lid", &al3);
	s[1].action_len = al3;
	patch = build_patch(&f.b, 6, s, 2, &plen);
	REQUIRE(apply1(&f, patch, plen) == 0);
	f.b.model = f.b.pending;
	CHECK_EQ_INT(f.ev.ncontacts, 3);
	CHECK_EQ_STR(f.ev.jid, "33633333333@s.whatsapp.net");
	CHECK_EQ_STR(f.ev.full, "Bob");
	CHECK_EQ_STR(f.ev.first, "(null)");
	CHECK_EQ_STR(f.ev.lid, "123456789@lid");
	CHECK_EQ_INT(f.ev.full_sync, 0);
	REQUIRE(wa_appstate_state(f.as, CUL, &v, h) == 0);
	CHECK_EQ_INT(v, 6);
	CHECK_EQ_MEM(h, f.b.model.hash, 128);
	memset(&c, 0, sizeof(c));
	REQUIRE(wa_store_mem_ops.contact_get(f.m, OUR_JID,
	    "33611111111@s.whatsapp.net", &c) == 0);
	CHECK_EQ_STR(c.full_name, "Alice Dupont");
	wa_contact_clear(&c);
	free(snap);
	free(patch);
	free(s[0].action);
	free(s[1].action);
	fx_free(&f);
}

TEST(test_appstate_remove_subtracts_the_stored_value_mac)
{
	struct fx f;
	struct mspec s[2];
	uint8_t *p1, *p2, *p3, h[128], vm[32];
	size_t l1, l2, l3, al;
	uint64_t v;

	fx_init(&f, 1);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33644444444@s.whatsapp.net\"]";
	s[0].action = contact_action("Carol", "Carol", NULL, &al);
	s[0].action_len = al;
	p1 = build_patch(&f.b, 1, s, 1, &l1);
	REQUIRE(apply1(&f, p1, l1) == 0);
	f.b.model = f.b.pending;
	CHECK_EQ_INT(f.ev.ncontacts, 1);

	/* REMOVE in the next patch: the hash loses Carol's value MAC. */
	s[0].op = 1;
	p2 = build_patch(&f.b, 2, s, 1, &l2);
	REQUIRE(apply1(&f, p2, l2) == 0);
	f.b.model = f.b.pending;
	CHECK_EQ_INT(f.ev.ncontacts, 1);	/* REMOVE reports nothing */
	REQUIRE(wa_appstate_state(f.as, CUL, &v, h) == 0);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_MEM(h, f.b.model.hash, 128);
	{
		uint8_t zero[128];
		memset(zero, 0, sizeof(zero));
		CHECK_EQ_MEM(h, zero, 128);	/* one SET undone */
	}
	{
		uint8_t imac[32];
		cry_hmac_sha256(f.b.k.index, 32, s[0].index, strlen(s[0].index),
		    imac);
		CHECK_EQ_INT(wa_store_mem_ops.appstate_mac_get(f.m, OUR_JID,
		    CUL, imac, vm), U_ERR_NOT_FOUND);
	}

	/* SET then REMOVE then SET of one index inside one patch. */
	s[0].op = 0;
	s[1] = s[0];
	s[1].op = 1;
	p3 = build_patch(&f.b, 3, (struct mspec[3]){ s[0], s[1], s[0] }, 3, &l3);
	REQUIRE(apply1(&f, p3, l3) == 0);
	f.b.model = f.b.pending;
	REQUIRE(wa_appstate_state(f.as, CUL, &v, h) == 0);
	CHECK_EQ_INT(v, 3);
	CHECK_EQ_MEM(h, f.b.model.hash, 128);
	free(p1);
	free(p2);
	free(p3);
	free(s[0].action);
	fx_free(&f);
}

/* Flip one byte of the patch at offset off (from the end if neg). */
static void
flip(uint8_t *p, size_t len, long off)
{
	p[off < 0 ? (size_t)((long)len + off) : (size_t)off] ^= 0x40;
}

TEST(test_appstate_bad_macs_refused_without_advancing)
{
	struct fx f;
	struct mspec s[1];
	Wa__SyncdPatch *pt;
	uint8_t *p, *q, h0[128], h[128];
	size_t len, al, qlen;
	uint64_t v;

	fx_init(&f, 1);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33655555555@s.whatsapp.net\"]";
	s[0].action = contact_action("Dan", "Dan", NULL, &al);
	s[0].action_len = al;
	p = build_patch(&f.b, 1, s, 1, &len);
	REQUIRE(apply1(&f, p, len) == 0);
	f.b.model = f.b.pending;
	REQUIRE(wa_appstate_state(f.as, CUL, &v, h0) == 0);
	free(p);
	f.ev.ncontacts = 0;

	/* A new index (no previous value: a changed index MAC then only
	 * fails its own check). */
	s[0].index = "[\"contact\",\"33655555556@s.whatsapp.net\"]";
	/* patch MAC */
	p = build_patch(&f.b, 2, s, 1, &len);
	pt = wa__syncd_patch__unpack(NULL, len, p);
	REQUIRE(pt != NULL);
	pt->patch_mac.data[3] ^= 1;
	qlen = wa__syncd_patch__get_packed_size(pt);
	q = u_malloc(qlen);
	wa__syncd_patch__pack(pt, q);
	CHECK_EQ_INT(apply1(&f, q, qlen), WA_ERR_APPSTATE_PATCH_MAC);
	CHECK_EQ_INT(f.ev.lasterr, WA_ERR_APPSTATE_PATCH_MAC);
	CHECK_EQ_STR(f.ev.errcoll, CUL);
	free(q);
	/* snapshot MAC (the LTHash check) */
	pt->patch_mac.data[3] ^= 1;
	pt->snapshot_mac.data[0] ^= 1;
	qlen = wa__syncd_patch__get_packed_size(pt);
	q = u_malloc(qlen);
	wa__syncd_patch__pack(pt, q);
	CHECK_EQ_INT(apply1(&f, q, qlen), WA_ERR_APPSTATE_LTHASH);
	free(q);
	pt->snapshot_mac.data[0] ^= 1;
	/* a ciphertext byte: LTHash and patch MAC still match (they cover
	 * only value MACs), the value MAC does not */
	pt->mutations[0]->record->value->blob.data[20] ^= 1;
	qlen = wa__syncd_patch__get_packed_size(pt);
	q = u_malloc(qlen);
	wa__syncd_patch__pack(pt, q);
	CHECK_EQ_INT(apply1(&f, q, qlen), WA_ERR_APPSTATE_MAC);
	free(q);
	pt->mutations[0]->record->value->blob.data[20] ^= 1;
	/* the index MAC */
	pt->mutations[0]->record->index->blob.data[0] ^= 1;
	qlen = wa__syncd_patch__get_packed_size(pt);
	q = u_malloc(qlen);
	wa__syncd_patch__pack(pt, q);
	CHECK_EQ_INT(apply1(&f, q, qlen), WA_ERR_APPSTATE_MAC);
	free(q);
	pt->mutations[0]->record->index->blob.data[0] ^= 1;
	/* truncated */
	CHECK(apply1(&f, p, len - 3) < 0);
	(void)flip;
	wa__syncd_patch__free_unpacked(pt, NULL);

	/* Nothing moved: same version and hash, nothing reported. */
	REQUIRE(wa_appstate_state(f.as, CUL, &v, h) == 0);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_MEM(h, h0, 128);
	CHECK_EQ_INT(f.ev.ncontacts, 0);
	/* The untouched patch still applies. */
	CHECK_EQ_INT(apply1(&f, p, len), 0);
	CHECK_EQ_INT(version_of(&f), 2);
	CHECK_EQ_INT(f.ev.ncontacts, 1);
	/* ... once: the same version again is out of order. */
	CHECK_EQ_INT(apply1(&f, p, len), WA_ERR_APPSTATE_VERSION);
	free(p);
	free(s[0].action);
	fx_free(&f);
}

TEST(test_appstate_missing_key_then_share)
{
	struct fx f;
	struct mspec s[1];
	Wa__E2EAppStateSyncKeyShare sh = WA__E2_EAPP_STATE_SYNC_KEY_SHARE__INIT;
	Wa__E2EAppStateSyncKey key = WA__E2_EAPP_STATE_SYNC_KEY__INIT;
	Wa__E2EAppStateSyncKeyId kid = WA__E2_EAPP_STATE_SYNC_KEY_ID__INIT;
	Wa__E2EAppStateSyncKeyData kd = WA__E2_EAPP_STATE_SYNC_KEY_DATA__INIT;
	Wa__E2EAppStateSyncKeyFingerprint fp =
	    WA__E2_EAPP_STATE_SYNC_KEY_FINGERPRINT__INIT;
	Wa__E2EAppStateSyncKey *keys[1] = { &key };
	uint8_t *p, *shb, got[64];
	size_t len, al, shlen, glen = 0;
	unsigned stored = 0;

	fx_init(&f, 0);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33666666666@s.whatsapp.net\"]";
	s[0].action = contact_action("Eve", "Eve", NULL, &al);
	s[0].action_len = al;
	p = build_patch(&f.b, 1, s, 1, &len);
	CHECK_EQ_INT(apply1(&f, p, len), WA_ERR_APPSTATE_NO_KEY);
	CHECK_EQ_INT(f.ev.lasterr, WA_ERR_APPSTATE_NO_KEY);
	CHECK_EQ_INT(version_of(&f), 0);

	kid.has_key_id = 1;
	kid.key_id.data = (uint8_t *)KID;
	kid.key_id.len = 2;
	kd.has_key_data = 1;
	kd.key_data.data = (uint8_t *)KEYDATA;
	kd.key_data.len = 32;
	kd.has_timestamp = 1;
	kd.timestamp = 1700000000123;
	fp.has_raw_id = 1;
	fp.raw_id = 7;
	kd.fingerprint = &fp;
	key.key_id = &kid;
	key.key_data = &kd;
	sh.n_keys = 1;
	sh.keys = keys;
	shlen = wa__e2_eapp_state_sync_key_share__get_packed_size(&sh);
	shb = u_malloc(shlen);
	wa__e2_eapp_state_sync_key_share__pack(&sh, shb);
	REQUIRE(wa_appstate_store_key_share(f.as, shb, shlen, &stored) == 0);
	CHECK_EQ_INT(stored, 1);
	REQUIRE(wa_store_mem_ops.appstate_key_get(f.m, OUR_JID, KID, 2, got,
	    sizeof(got), &glen) == 0);
	CHECK_EQ_INT(glen, 32);
	CHECK_EQ_MEM(got, KEYDATA, 32);
	CHECK_EQ_INT(apply1(&f, p, len), 0);
	CHECK_EQ_INT(f.ev.ncontacts, 1);
	CHECK_EQ_STR(f.ev.full, "Eve");

	/* A malformed share is refused; one with a 31-byte key stores none. */
	CHECK_EQ_INT(wa_appstate_store_key_share(f.as, (const uint8_t *)"\x0a\x05",
	    2, &stored), WA_ERR_APPSTATE_MALFORMED);
	kd.key_data.len = 31;
	kid.key_id.data = (uint8_t *)KID2;
	shlen = wa__e2_eapp_state_sync_key_share__get_packed_size(&sh);
	wa__e2_eapp_state_sync_key_share__pack(&sh, shb);
	REQUIRE(wa_appstate_store_key_share(f.as, shb, shlen, &stored) == 0);
	CHECK_EQ_INT(stored, 0);
	free(shb);
	free(p);
	free(s[0].action);
	fx_free(&f);
}

/* A decrypted E2EMessage carrying a key share. */
static uint8_t *
share_message(size_t *len)
{
	Wa__E2EMessage m = WA__E2_EMESSAGE__INIT;
	Wa__E2EProtocolMessage pm = WA__E2_EPROTOCOL_MESSAGE__INIT;
	Wa__E2EAppStateSyncKeyShare sh = WA__E2_EAPP_STATE_SYNC_KEY_SHARE__INIT;
	Wa__E2EAppStateSyncKey key = WA__E2_EAPP_STATE_SYNC_KEY__INIT;
	Wa__E2EAppStateSyncKeyId kid = WA__E2_EAPP_STATE_SYNC_KEY_ID__INIT;
	Wa__E2EAppStateSyncKeyData kd = WA__E2_EAPP_STATE_SYNC_KEY_DATA__INIT;
	Wa__E2EAppStateSyncKey *keys[1] = { &key };
	uint8_t *p;

	kid.has_key_id = 1;
	kid.key_id.data = (uint8_t *)KID;
	kid.key_id.len = 2;
	kd.has_key_data = 1;
	kd.key_data.data = (uint8_t *)KEYDATA;
	kd.key_data.len = 32;
	key.key_id = &kid;
	key.key_data = &kd;
	sh.n_keys = 1;
	sh.keys = keys;
	pm.has_type = 1;
	pm.type = 6;
	pm.app_state_sync_key_share = &sh;
	m.protocol_message = &pm;
	*len = wa__e2_emessage__get_packed_size(&m);
	p = u_malloc(*len);
	wa__e2_emessage__pack(&m, p);
	return p;
}

TEST(test_appstate_key_share_only_from_our_account)
{
	struct fx f;
	struct wa_msg_event ev;
	uint8_t *p, got[64];
	size_t len, glen;

	fx_init(&f, 0);
	p = share_message(&len);
	memset(&ev, 0, sizeof(ev));
	ev.payload = p;
	ev.payload_len = len;
	ev.from_me = 0;
	CHECK_EQ_INT(wa_appstate_handle_message(f.as, &ev), 0);
	CHECK_EQ_INT(wa_store_mem_ops.appstate_key_get(f.m, OUR_JID, KID, 2,
	    got, sizeof(got), &glen), U_ERR_NOT_FOUND);
	ev.from_me = 1;
	/* Stored; the fetches it starts fail quietly (no client here). */
	CHECK_EQ_INT(wa_appstate_handle_message(f.as, &ev), 1);
	CHECK_EQ_INT(wa_store_mem_ops.appstate_key_get(f.m, OUR_JID, KID, 2,
	    got, sizeof(got), &glen), 0);
	/* A plain text message is not ours. */
	ev.payload = (const uint8_t *)"\x0a\x02hi";
	ev.payload_len = 4;
	CHECK_EQ_INT(wa_appstate_handle_message(f.as, &ev), 0);
	free(p);
	fx_free(&f);
}

TEST(test_appstate_server_sync_notification)
{
	struct fx f;
	struct wa_node *n, *c;

	fx_init(&f, 1);
	n = wa_node_new("notification");
	wa_node_set_attr(n, "type", "server_sync");
	wa_node_set_attr(n, "id", "123");
	c = wa_node_new("collection");
	wa_node_set_attr(c, "name", CUL);
	wa_node_set_attr(c, "version", "4");
	wa_node_add_child(n, c);
	c = wa_node_new("collection");
	wa_node_set_attr(c, "name", "no_such_collection");
	wa_node_add_child(n, c);
	CHECK_EQ_INT(wa_appstate_handle_node(f.as, n), 1);
	wa_node_set_attr(n, "type", "picture");
	CHECK_EQ_INT(wa_appstate_handle_node(f.as, n), 0);
	wa_node_free(n);
	/* Offline: fetch says so; unknown names are refused first. */
	CHECK_EQ_INT(wa_appstate_fetch(f.as, NULL, 0, 0), WA_ERR_NOT_CONNECTED);
	CHECK_EQ_INT(wa_appstate_fetch(f.as, (const char *[]){ "nope" }, 1, 0),
	    U_ERR_INVALID);
	fx_free(&f);
}

TEST(test_appstate_malformed_inputs_refused)
{
	struct fx f;
	struct mspec s[1];
	uint8_t *p, *snap;
	size_t len, slen, al;
	const uint8_t *ps[1];
	size_t ls[1];

	fx_init(&f, 1);
	memset(s, 0, sizeof(s));
	/* An index that is not a JSON array of strings. */
	s[0].index = "{\"contact\":1}";
	s[0].action = contact_action("X", "X", NULL, &al);
	s[0].action_len = al;
	p = build_patch(&f.b, 1, s, 1, &len);
	CHECK_EQ_INT(apply1(&f, p, len), WA_ERR_APPSTATE_MALFORMED);
	free(p);
	s[0].index = "[\"contact\",1]";
	p = build_patch(&f.b, 1, s, 1, &len);
	CHECK_EQ_INT(apply1(&f, p, len), WA_ERR_APPSTATE_MALFORMED);
	free(p);
	/* Garbage bytes, an empty patch, an unknown collection. */
	CHECK(apply1(&f, (const uint8_t *)"\xff\xff\xff", 3) < 0);
	CHECK_EQ_INT(apply1(&f, (const uint8_t *)"", 0),
	    WA_ERR_APPSTATE_MALFORMED);
	ps[0] = (const uint8_t *)"";
	ls[0] = 0;
	CHECK_EQ_INT(wa_appstate_apply(f.as, "nope", NULL, 0, ps, ls, 1, NULL,
	    NULL, 0), U_ERR_INVALID);
	/* External mutations without a download. */
	{
		Wa__SyncdPatch *pt;
		Wa__SyncdExternalBlobReference ref =
		    WA__SYNCD_EXTERNAL_BLOB_REFERENCE__INIT;
		uint8_t *q;
		size_t qlen;

		s[0].index = "[\"contact\",\"1@s.whatsapp.net\"]";
		p = build_patch(&f.b, 1, s, 1, &len);
		pt = wa__syncd_patch__unpack(NULL, len, p);
		REQUIRE(pt != NULL);
		ref.direct_path = "/v/t62/x";
		pt->external_mutations = &ref;
		qlen = wa__syncd_patch__get_packed_size(pt);
		q = u_malloc(qlen);
		wa__syncd_patch__pack(pt, q);
		pt->external_mutations = NULL;
		wa__syncd_patch__free_unpacked(pt, NULL);
		CHECK_EQ_INT(apply1(&f, q, qlen), WA_ERR_APPSTATE_NO_MEDIA);
		free(q);
		free(p);
	}
	/* A contact whose JID does not parse: the patch applies, the
	 * contact is neither stored nor reported. */
	s[0].index = "[\"contact\",\"a@b@c\"]";
	p = build_patch(&f.b, 1, s, 1, &len);
	CHECK_EQ_INT(apply1(&f, p, len), 0);
	f.b.model = f.b.pending;
	CHECK_EQ_INT(f.ev.ncontacts, 0);
	CHECK_EQ_INT(version_of(&f), 1);
	free(p);
	/* A snapshot on a state that is not fresh. */
	s[0].index = "[\"contact\",\"2@s.whatsapp.net\"]";
	p = build_patch(&f.b, 2, s, 1, &len);
	REQUIRE(apply1(&f, p, len) == 0);
	f.b.model = f.b.pending;
	CHECK_EQ_INT(f.ev.ncontacts, 1);
	free(p);
	snap = build_snapshot(&f.b, 9, s, 1, &slen);
	CHECK_EQ_INT(wa_appstate_apply(f.as, CUL, snap, slen, NULL, NULL, 0,
	    NULL, NULL, 1), WA_ERR_APPSTATE_VERSION);
	CHECK_EQ_INT(version_of(&f), 2);
	free(snap);
	free(s[0].action);
	fx_free(&f);
}

TEST(test_appstate_too_many_mutations_refused_before_unpacking)
{
	struct fx f;
	size_t n = WA_APPSTATE_MAX_MUTATIONS + 1, len = 4 + 2 * n, i;
	uint8_t *p = u_malloc(len);
	const uint8_t *ps[1] = { p };

	fx_init(&f, 1);
	/* version {1}, then n empty mutations (field 2, length 0): 2 bytes
	 * each, which protobuf-c would turn into n allocations. */
	memcpy(p, "\x0a\x02\x08\x01", 4);
	for (i = 0; i < n; i++)
		memcpy(p + 4 + 2 * i, "\x12\x00", 2);
	CHECK_EQ_INT(apply1(&f, p, len), WA_ERR_TOO_BIG);
	/* The same as a snapshot's records (also field 2). */
	CHECK_EQ_INT(wa_appstate_apply(f.as, CUL, p, len, NULL, NULL, 0, NULL,
	    NULL, 1), WA_ERR_TOO_BIG);
	/* One mutation fewer passes the count (and fails later, empty). */
	CHECK_EQ_INT(apply1(&f, p, len - 2), WA_ERR_APPSTATE_MALFORMED);
	/* Truncated wire format. */
	ps[0] = (const uint8_t *)"\x12\x05\x00";
	CHECK_EQ_INT(apply1(&f, ps[0], 3), WA_ERR_APPSTATE_MALFORMED);
	CHECK_EQ_INT(version_of(&f), 0);
	free(p);
	fx_free(&f);
}

TEST_MAIN()
