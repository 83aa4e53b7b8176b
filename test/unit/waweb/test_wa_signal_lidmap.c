/*
 * test_wa_signal_lidmap.c: the persisted PN<->LID map of the Signal layer
 * (waweb/signal.h wa_signal_learn_lid, the store's lid_save / lid_for_pn /
 * pn_for_lid).  A pair learnt by one wa_signal is found by a new one on
 * the same store (a restart): PN-addressed encrypt and decrypt use the LID
 * session without learning again; answers are cached (found or not), a
 * store failure is not; without the ops nothing survives; PN sessions
 * left from before a stored pair are moved on the first lookup.  Also the
 * in-memory store's pair semantics (a PN or LID moving, bad input, cap).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/signal.h"

#define PN "33612345678"
#define LID "100000000000002"
#define B_PN_ADDR PN ":0"
#define B_LID_ADDR LID "_1:0"
#define A_ADDR "33600000001:0"

/* Counting / failing wrapper around the in-memory store's lookup. */
static int lookups;
static int lookup_fail;

static int
counting_lid_for_pn(void *arg, const char *pn, char *out, size_t cap)
{
	lookups++;
	if (lookup_fail)
		return U_ERR_IO;
	return wa_signal_store_mem_ops.lid_for_pn(arg, pn, out, cap);
}

/* from encrypts text to `to` (as from addresses it); rx decrypts it as
 * coming from fromaddr.  Returns the message type, or a negative code. */
static int
xfer(struct wa_signal *from, const char *to, struct wa_signal *rx,
    const char *fromaddr, const char *text)
{
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctn = 0, ptn = 0;
	int type = 0, r;

	if ((r = wa_signal_encrypt(from, to, (const uint8_t *)text,
	    strlen(text), &type, &ct, &ctn)) != 0)
		return r;
	r = wa_signal_decrypt(rx, fromaddr, type, 2, ct, ctn, &pt, &ptn);
	if (r == 0 && (ptn != strlen(text) || memcmp(pt, text, ptn) != 0))
		r = -1000;
	free(ct);
	free(pt);
	return r == 0 ? type : r;
}

/* a (on am) starts a session with b, addressing it by PN. */
static void
start_session(int *test_failed_, struct wa_signal *a,
    struct wa_signal_store_mem *bm)
{
	struct wa_signal_bundle bb;
	struct cry_keypair kp;

	memset(&bb, 0, sizeof(bb));
	wa_signal_store_mem_keys(bm, bb.identity, &bb.registration_id,
	    bb.signed_prekey, bb.signature);
	bb.signed_prekey_id = 7;
	cry_keypair_generate(&kp);
	bb.has_prekey = true;
	bb.prekey_id = 100;
	memcpy(bb.prekey, kp.pub, 32);
	REQUIRE(wa_signal_store_mem_ops.prekey_store(bm, 100, kp.priv) == 0);
	REQUIRE(wa_signal_session_from_bundle(a, B_PN_ADDR, &bb) == 0);
}

TEST(test_wa_signal_lidmap_survives_restart)
{
	struct wa_signal_store_mem *am = wa_signal_store_mem_new(7);
	struct wa_signal_store_mem *bm = wa_signal_store_mem_new(7);
	struct wa_signal_store_ops noops = wa_signal_store_mem_ops;
	struct wa_signal *a, *b, *c;
	uint8_t *rec = NULL;
	size_t n;
	char lid[WA_SIGNAL_LIDMAP_USER_MAX + 1];

	wa_signal_store_mem_keep_lids(am, 1);
	a = wa_signal_new(&wa_signal_store_mem_ops, am);
	b = wa_signal_new(&wa_signal_store_mem_ops, bm);
	REQUIRE(wa_signal_learn_lid(a, PN, LID) == 0);
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(am), 1);
	REQUIRE(wa_signal_store_mem_ops.lid_for_pn(am, PN, lid,
	    sizeof(lid)) == 0);
	CHECK_EQ_STR(lid, LID);
	start_session(test_failed_, a, bm);
	CHECK_EQ_INT(xfer(a, B_PN_ADDR, b, A_ADDR, "hello"), WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(xfer(b, A_ADDR, a, B_PN_ADDR, "hi"), WA_SIGNAL_MSG);

	/* Restart: a new Signal object on the same store, nothing learnt. */
	wa_signal_free(a);
	a = wa_signal_new(&wa_signal_store_mem_ops, am);
	CHECK_EQ_INT(wa_signal_has_session(a, B_PN_ADDR), 1);
	CHECK_EQ_INT(xfer(a, B_PN_ADDR, b, A_ADDR, "after restart"),
	    WA_SIGNAL_MSG);
	wa_signal_free(a);
	a = wa_signal_new(&wa_signal_store_mem_ops, am);
	CHECK_EQ_INT(xfer(b, A_ADDR, a, B_PN_ADDR, "decrypt by PN"),
	    WA_SIGNAL_MSG);
	memset(lid, 0, sizeof(lid));
	CHECK_EQ_INT(wa_signal_lid_for_pn(a, PN, lid, sizeof(lid)), 0);
	CHECK_EQ_STR(lid, LID);
	CHECK_EQ_INT(wa_signal_lid_for_pn(a, PN, lid, 4), U_ERR_TOO_BIG);
	CHECK_EQ_INT(wa_signal_lid_for_pn(a, "x1", lid, sizeof(lid)),
	    WA_ERR_INVALID);
	/* One session, under the LID address only. */
	REQUIRE(wa_signal_store_mem_ops.session_load(am, B_LID_ADDR, &rec,
	    &n) == 0);
	free(rec);
	rec = NULL;
	CHECK_EQ_INT(wa_signal_store_mem_ops.session_load(am, B_PN_ADDR, &rec,
	    &n), U_ERR_NOT_FOUND);
	CHECK(rec == NULL);

	/* Without the ops the pair does not survive: the PN address finds
	 * nothing (the store is what carried it). */
	noops.lid_save = NULL;
	noops.lid_for_pn = NULL;
	noops.pn_for_lid = NULL;
	c = wa_signal_new(&noops, am);
	CHECK_EQ_INT(wa_signal_has_session(c, B_PN_ADDR), 0);
	CHECK_EQ_INT(wa_signal_has_session(c, B_LID_ADDR), 1);
	CHECK_EQ_INT(wa_signal_lid_for_pn(c, PN, lid, sizeof(lid)),
	    U_ERR_NOT_FOUND);
	/* Learning still works in memory, and saves nothing. */
	REQUIRE(wa_signal_learn_lid(c, "33699999999", "100000000000009") == 0);
	CHECK_EQ_INT(wa_signal_lid_for_pn(c, "33699999999", lid, sizeof(lid)),
	    0);
	CHECK_EQ_STR(lid, "100000000000009");
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(am), 1);
	/* forget_user by PN after a restart reaches the LID sessions. */
	CHECK_EQ_INT(wa_signal_forget_user(a, PN), 0);
	CHECK_EQ_INT(wa_signal_has_session(c, B_LID_ADDR), 0);
	wa_signal_free(c);
	wa_signal_free(a);
	wa_signal_free(b);
	wa_signal_store_mem_free(am);
	wa_signal_store_mem_free(bm);
}

TEST(test_wa_signal_lidmap_lookups_cached)
{
	struct wa_signal_store_mem *am = wa_signal_store_mem_new(7);
	struct wa_signal_store_ops ops = wa_signal_store_mem_ops;
	struct wa_signal *a;
	char lid[WA_SIGNAL_LIDMAP_USER_MAX + 1];

	ops.lid_for_pn = counting_lid_for_pn;
	wa_signal_store_mem_keep_lids(am, 1);
	REQUIRE(wa_signal_store_mem_ops.lid_save(am, PN, LID) == 0);
	a = wa_signal_new(&ops, am);
	lookups = 0;
	lookup_fail = 0;
	/* Found: asked once, then from memory. */
	CHECK_EQ_INT(wa_signal_has_session(a, B_PN_ADDR), 0);
	CHECK_EQ_INT(wa_signal_has_session(a, PN ":3"), 0);
	CHECK_EQ_INT(wa_signal_lid_for_pn(a, PN, lid, sizeof(lid)), 0);
	CHECK_EQ_INT(lookups, 1);
	/* LID and other non-PN addresses never ask. */
	CHECK_EQ_INT(wa_signal_has_session(a, B_LID_ADDR), 0);
	CHECK_EQ_INT(wa_signal_has_session(a, "120363000000000042@g.us:0"), 0);
	CHECK_EQ_INT(lookups, 1);
	/* Not found: asked once too (the "none" is cached)... */
	CHECK_EQ_INT(wa_signal_has_session(a, "33655555555:0"), 0);
	CHECK_EQ_INT(wa_signal_has_session(a, "33655555555:1"), 0);
	CHECK_EQ_INT(lookups, 2);
	/* ...until the pair is learnt, which replaces it and saves it. */
	REQUIRE(wa_signal_learn_lid(a, "33655555555", "100000000000005") == 0);
	CHECK_EQ_INT(wa_signal_lid_for_pn(a, "33655555555", lid, sizeof(lid)),
	    0);
	CHECK_EQ_STR(lid, "100000000000005");
	CHECK_EQ_INT(lookups, 2);
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(am), 2);
	/* A store failure is not cached: asked again, the op goes on under
	 * the PN address. */
	lookup_fail = 1;
	CHECK_EQ_INT(wa_signal_has_session(a, "33677777777:0"), 0);
	CHECK_EQ_INT(wa_signal_has_session(a, "33677777777:0"), 0);
	CHECK_EQ_INT(lookups, 4);
	lookup_fail = 0;
	/* Learning that LID for another PN drops the old PN's pair, in
	 * memory as in the store. */
	REQUIRE(wa_signal_learn_lid(a, "33688888888", LID) == 0);
	CHECK_EQ_INT(wa_signal_lid_for_pn(a, PN, lid, sizeof(lid)),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(wa_signal_store_mem_ops.lid_for_pn(am, PN, lid,
	    sizeof(lid)), U_ERR_NOT_FOUND);
	CHECK_EQ_INT(wa_signal_lid_for_pn(a, "33688888888", lid, sizeof(lid)),
	    0);
	CHECK_EQ_STR(lid, LID);
	wa_signal_free(a);
	wa_signal_store_mem_free(am);
}

/* A pair found in the store that this run had not learnt (written by an
 * earlier run without the move, or by pairing): PN sessions are moved to
 * the LID address on the first lookup, and keep working. */
TEST(test_wa_signal_lidmap_lookup_moves_old_pn_sessions)
{
	struct wa_signal_store_mem *am = wa_signal_store_mem_new(7);
	struct wa_signal_store_mem *bm = wa_signal_store_mem_new(7);
	struct wa_signal_store_ops noops = wa_signal_store_mem_ops;
	struct wa_signal *a, *b, *c;
	uint8_t *rec = NULL;
	size_t n;

	wa_signal_store_mem_keep_lids(am, 1);
	noops.lid_save = NULL;
	noops.lid_for_pn = NULL;
	noops.pn_for_lid = NULL;
	c = wa_signal_new(&noops, am);
	b = wa_signal_new(&wa_signal_store_mem_ops, bm);
	start_session(test_failed_, c, bm);
	CHECK_EQ_INT(xfer(c, B_PN_ADDR, b, A_ADDR, "old"), WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(xfer(b, A_ADDR, c, B_PN_ADDR, "old reply"),
	    WA_SIGNAL_MSG);
	wa_signal_free(c);
	REQUIRE(wa_signal_store_mem_ops.session_load(am, B_PN_ADDR, &rec,
	    &n) == 0);
	free(rec);
	rec = NULL;
	REQUIRE(wa_signal_store_mem_ops.lid_save(am, PN, LID) == 0);
	a = wa_signal_new(&wa_signal_store_mem_ops, am);
	CHECK_EQ_INT(xfer(a, B_PN_ADDR, b, A_ADDR, "moved"), WA_SIGNAL_MSG);
	CHECK_EQ_INT(xfer(b, A_ADDR, a, B_PN_ADDR, "moved reply"),
	    WA_SIGNAL_MSG);
	CHECK_EQ_INT(wa_signal_store_mem_ops.session_load(am, B_PN_ADDR, &rec,
	    &n), U_ERR_NOT_FOUND);
	REQUIRE(wa_signal_store_mem_ops.session_load(am, B_LID_ADDR, &rec,
	    &n) == 0);
	free(rec);
	wa_signal_free(a);
	wa_signal_free(b);
	wa_signal_store_mem_free(am);
	wa_signal_store_mem_free(bm);
}

TEST(test_wa_signal_lidmap_mem_store_pairs)
{
	struct wa_signal_store_mem *m = wa_signal_store_mem_new(7);
	const struct wa_signal_store_ops *o = &wa_signal_store_mem_ops;
	char out[WA_SIGNAL_LIDMAP_USER_MAX + 1], pn[32], lid[32];
	char big[WA_SIGNAL_LIDMAP_USER_MAX + 2];
	int i;

	/* Not kept unless asked. */
	REQUIRE(o->lid_save(m, "111", "900") == 0);
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(m), 0);
	CHECK_EQ_INT(o->lid_for_pn(m, "111", out, sizeof(out)),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(o->lid_save(m, "1x", "900"), U_ERR_INVALID);
	wa_signal_store_mem_keep_lids(m, 1);
	REQUIRE(o->lid_save(m, "111", "900") == 0);
	REQUIRE(o->lid_save(m, "111", "900") == 0);	/* idempotent */
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(m), 1);
	REQUIRE(o->pn_for_lid(m, "900", out, sizeof(out)) == 0);
	CHECK_EQ_STR(out, "111");
	/* The PN moves to a new LID: the old LID has no PN any more. */
	REQUIRE(o->lid_save(m, "111", "901") == 0);
	CHECK_EQ_INT(o->pn_for_lid(m, "900", out, sizeof(out)),
	    U_ERR_NOT_FOUND);
	REQUIRE(o->lid_for_pn(m, "111", out, sizeof(out)) == 0);
	CHECK_EQ_STR(out, "901");
	/* The LID is now another PN's: the old PN has none. */
	REQUIRE(o->lid_save(m, "222", "901") == 0);
	CHECK_EQ_INT(o->lid_for_pn(m, "111", out, sizeof(out)),
	    U_ERR_NOT_FOUND);
	REQUIRE(o->pn_for_lid(m, "901", out, sizeof(out)) == 0);
	CHECK_EQ_STR(out, "222");
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(m), 1);
	/* Bad input. */
	CHECK_EQ_INT(o->lid_save(m, "", "1"), U_ERR_INVALID);
	CHECK_EQ_INT(o->lid_save(m, "12a", "1"), U_ERR_INVALID);
	CHECK_EQ_INT(o->lid_save(m, "1", "1@lid"), U_ERR_INVALID);
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(o->lid_save(m, big, "1"), U_ERR_INVALID);
	CHECK_EQ_INT(o->pn_for_lid(m, "901", out, 3), U_ERR_INVALID);
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(m), 1);
	/* Capped: the oldest pair goes. */
	for (i = 0; i < WA_SIGNAL_STORE_MEM_LID_MAX; i++) {
		snprintf(pn, sizeof(pn), "%d", 1000000 + i);
		snprintf(lid, sizeof(lid), "%d", 5000000 + i);
		REQUIRE(o->lid_save(m, pn, lid) == 0);
	}
	CHECK_EQ_INT((int)wa_signal_store_mem_lid_count(m),
	    WA_SIGNAL_STORE_MEM_LID_MAX);
	CHECK_EQ_INT(o->lid_for_pn(m, "222", out, sizeof(out)),
	    U_ERR_NOT_FOUND);
	REQUIRE(o->lid_for_pn(m, "1000000", out, sizeof(out)) == 0);
	CHECK_EQ_STR(out, "5000000");
	wa_signal_store_mem_free(m);
}

TEST_MAIN()
