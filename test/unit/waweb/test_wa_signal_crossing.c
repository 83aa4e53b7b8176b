/*
 * test_wa_signal_crossing.c: crossing session setups (waweb/signal.h,
 * WA_SIGNAL_CROSSING_MS).  We start S1 from the peer's bundle and send a
 * pkmsg; the peer, before it gets it, starts S2 from ours and sends a
 * pkmsg too; each then decrypts the other's.  The peer (libsignal, as
 * every implementation) makes S1 current; we keep S1 current as well
 * (our next message is a pkmsg on S1 again) while it is unanswered, and
 * a second message the peer sent on S2 still decrypts without moving us.
 * Once the peer answers on S1 we send msgs on it.  With the window at 0
 * the crossing leaves us on S2, libsignal's default (which made Baileys
 * corrupt S1: see signal.c).  The peer here runs with the window at 0,
 * as libsignal does (Baileys and whatsmeow have no such rule); two sides
 * that both keep their own session still read everything.  Also: a new
 * session built over an answered one (a retry) keeps it as an old state.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/signal.h"

#define ME "100000000000002_1:1"	/* how the peer addresses us */
#define PEER "100000000000001_1:1"	/* how we address the peer */

struct side {
	struct wa_signal_store_mem	*m;
	struct wa_signal		*s;
};

/* b's bundle (with one-time prekey id) as the server would hand it out. */
static int
bundle_of(struct side *b, uint32_t id, struct wa_signal_bundle *out)
{
	struct cry_keypair kp;

	memset(out, 0, sizeof(*out));
	wa_signal_store_mem_keys(b->m, out->identity, &out->registration_id,
	    out->signed_prekey, out->signature);
	out->signed_prekey_id = 7;
	out->device_id = 1;
	cry_keypair_generate(&kp);
	out->has_prekey = true;
	out->prekey_id = id;
	memcpy(out->prekey, kp.pub, 32);
	return wa_signal_store_mem_ops.prekey_store(b->m, id, kp.priv);
}

/* Encrypt text from a to addr; type and ciphertext out (owned). */
static int
enc(struct side *a, const char *addr, const char *text, int *type,
    uint8_t **ct, size_t *n)
{
	return wa_signal_encrypt(a->s, addr, (const uint8_t *)text,
	    strlen(text), type, ct, n);
}

/* rx decrypts (type, ct) from addr and checks the text; frees ct. */
static int
dec(struct side *rx, const char *addr, int type, uint8_t *ct, size_t n,
    const char *text)
{
	uint8_t *pt = NULL;
	size_t ptn = 0;
	int r = wa_signal_decrypt(rx->s, addr, type, 2, ct, n, &pt, &ptn);

	if (r == 0 && (ptn != strlen(text) || memcmp(pt, text, ptn) != 0))
		r = -1000;
	free(pt);
	free(ct);
	return r;
}

static void
sides(struct side *me, struct side *peer)
{
	me->m = wa_signal_store_mem_new(7);
	peer->m = wa_signal_store_mem_new(7);
	me->s = wa_signal_new(&wa_signal_store_mem_ops, me->m);
	peer->s = wa_signal_new(&wa_signal_store_mem_ops, peer->m);
}

static void
sides_free(struct side *me, struct side *peer)
{
	wa_signal_free(me->s);
	wa_signal_free(peer->s);
	wa_signal_store_mem_free(me->m);
	wa_signal_store_mem_free(peer->m);
}

/* The crossing: S1 (ours) and S2 (the peer's) both started, each pkmsg
 * decrypted by the other side.  s2late: a second pkmsg of the peer on
 * S2, not delivered yet (owned by the caller). */
static void
cross(int *test_failed_, struct side *me, struct side *peer,
    uint8_t **s2late, size_t *s2latelen)
{
	struct wa_signal_bundle b;
	uint8_t *m1, *p1;
	size_t m1n, p1n;
	int t;

	REQUIRE(bundle_of(peer, 100, &b) == 0);
	REQUIRE(wa_signal_session_from_bundle(me->s, PEER, &b) == 0);
	REQUIRE(enc(me, PEER, "greeting", &t, &m1, &m1n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_PKMSG);
	REQUIRE(bundle_of(me, 200, &b) == 0);
	REQUIRE(wa_signal_session_from_bundle(peer->s, ME, &b) == 0);
	REQUIRE(enc(peer, ME, "first message", &t, &p1, &p1n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_PKMSG);
	REQUIRE(enc(peer, ME, "second on S2", &t, s2late, s2latelen) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_PKMSG);
	/* The peer gets our pkmsg after sending its own: S1 is current
	 * there. */
	CHECK_EQ_INT(dec(peer, ME, WA_SIGNAL_PKMSG, m1, m1n, "greeting"), 0);
	CHECK_EQ_INT(dec(me, PEER, WA_SIGNAL_PKMSG, p1, p1n, "first message"),
	    0);
}

TEST(test_wa_signal_crossing_keeps_ours)
{
	struct side me, peer;
	uint8_t *late = NULL, *ct;
	size_t latelen = 0, n;
	int t;

	sides(&me, &peer);
	wa_signal_set_crossing_ms(peer.s, 0);
	cross(test_failed_, &me, &peer, &late, &latelen);
	/* Ours stays current: a pkmsg on S1 again, which the peer reads. */
	REQUIRE(enc(&me, PEER, "after the crossing", &t, &ct, &n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(dec(&peer, ME, t, ct, n, "after the crossing"), 0);
	/* The peer's late S2 message decrypts and does not move us. */
	CHECK_EQ_INT(dec(&me, PEER, WA_SIGNAL_PKMSG, late, latelen,
	    "second on S2"), 0);
	REQUIRE(enc(&me, PEER, "still S1", &t, &ct, &n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(dec(&peer, ME, t, ct, n, "still S1"), 0);
	/* The peer answers on S1 (its current): from then on, msgs. */
	REQUIRE(enc(&peer, ME, "reply on S1", &t, &ct, &n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_MSG);
	CHECK_EQ_INT(dec(&me, PEER, t, ct, n, "reply on S1"), 0);
	REQUIRE(enc(&me, PEER, "settled", &t, &ct, &n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_MSG);
	CHECK_EQ_INT(dec(&peer, ME, t, ct, n, "settled"), 0);
	REQUIRE(enc(&peer, ME, "and back", &t, &ct, &n) == 0);
	CHECK_EQ_INT(dec(&me, PEER, t, ct, n, "and back"), 0);
	sides_free(&me, &peer);
}

TEST(test_wa_signal_crossing_window_zero_follows_peer)
{
	struct side me, peer;
	uint8_t *late = NULL, *ct;
	size_t latelen = 0, n;
	int t;

	sides(&me, &peer);
	wa_signal_set_crossing_ms(me.s, 0);
	wa_signal_set_crossing_ms(peer.s, 0);
	cross(test_failed_, &me, &peer, &late, &latelen);
	/* libsignal's default: the peer's S2 is current, a msg on it. */
	REQUIRE(enc(&me, PEER, "on S2", &t, &ct, &n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_MSG);
	CHECK_EQ_INT(dec(&peer, ME, t, ct, n, "on S2"), 0);
	free(late);
	sides_free(&me, &peer);
}

/* What send_message's retry path relies on: a new session built from a
 * bundle over an answered one keeps it as an old state, so a message the
 * peer sent on it before getting ours still decrypts (deleting the record
 * first, as the retry path did, lost it: the peer's pkmsgs then named a
 * one-time prekey already used). */
TEST(test_wa_signal_bundle_over_session_keeps_old_state)
{
	struct side me, peer;
	struct wa_signal_bundle b;
	uint8_t *ct, *held;
	size_t n, heldlen;
	int t, ht;

	sides(&me, &peer);
	wa_signal_set_crossing_ms(me.s, 0);
	wa_signal_set_crossing_ms(peer.s, 0);
	REQUIRE(bundle_of(&peer, 100, &b) == 0);
	REQUIRE(wa_signal_session_from_bundle(me.s, PEER, &b) == 0);
	REQUIRE(enc(&me, PEER, "hello", &t, &ct, &n) == 0);
	CHECK_EQ_INT(dec(&peer, ME, t, ct, n, "hello"), 0);
	REQUIRE(enc(&peer, ME, "answer", &t, &ct, &n) == 0);
	CHECK_EQ_INT(dec(&me, PEER, t, ct, n, "answer"), 0);
	/* The peer sends again on S1; it reaches us after we start S3. */
	REQUIRE(enc(&peer, ME, "in flight", &ht, &held, &heldlen) == 0);
	REQUIRE(bundle_of(&peer, 101, &b) == 0);
	REQUIRE(wa_signal_session_from_bundle(me.s, PEER, &b) == 0);
	REQUIRE(enc(&me, PEER, "on S3", &t, &ct, &n) == 0);
	CHECK_EQ_INT(t, WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(dec(&me, PEER, ht, held, heldlen, "in flight"), 0);
	CHECK_EQ_INT(dec(&peer, ME, t, ct, n, "on S3"), 0);
	sides_free(&me, &peer);
}

/* Both sides keep their own unanswered session: each sends pkmsgs on it,
 * each reads the other's (by base key), nothing is lost. */
TEST(test_wa_signal_crossing_both_keep_own)
{
	struct side me, peer;
	uint8_t *late = NULL, *ct;
	size_t latelen = 0, n;
	int t, i;

	sides(&me, &peer);
	cross(test_failed_, &me, &peer, &late, &latelen);
	CHECK_EQ_INT(dec(&me, PEER, WA_SIGNAL_PKMSG, late, latelen,
	    "second on S2"), 0);
	for (i = 0; i < 3; i++) {
		REQUIRE(enc(&me, PEER, "from me", &t, &ct, &n) == 0);
		CHECK_EQ_INT(dec(&peer, ME, t, ct, n, "from me"), 0);
		REQUIRE(enc(&peer, ME, "from peer", &t, &ct, &n) == 0);
		CHECK_EQ_INT(dec(&me, PEER, t, ct, n, "from peer"), 0);
	}
	sides_free(&me, &peer);
}

TEST_MAIN()
