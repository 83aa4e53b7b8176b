/*
 * test_wa_signal.c: the Signal layer (waweb/signal.h) between in-memory
 * parties: bundle -> pkmsg -> msg, many messages both ways, out-of-order
 * and duplicate delivery, tampering, a bad signed-prekey signature, a
 * changed identity (reported, then trusted as whatsmeow does), sender keys
 * among three parties, padding, bundle node parsing, and malformed input.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/signal.h"
#include "waweb/store.h"

struct party {
	struct wa_signal_store_mem	*m;
	struct wa_signal		*s;
	const char			*addr;
	int				 changes;	/* identity-change reports */
	char				 changed[WA_SIGNAL_ADDR_MAX];
	uint32_t			 next_prekey;
};

static void
on_change(void *arg, const char *addr)
{
	struct party *p = arg;

	p->changes++;
	snprintf(p->changed, sizeof(p->changed), "%s", addr);
}

static void
party_init(struct party *p, const char *addr)
{
	memset(p, 0, sizeof(*p));
	p->m = wa_signal_store_mem_new(7);
	p->s = wa_signal_new(&wa_signal_store_mem_ops, p->m);
	p->addr = addr;
	p->next_prekey = 100;
	wa_signal_on_identity_change(p->s, on_change, p);
}

static void
party_fini(struct party *p)
{
	wa_signal_free(p->s);
	wa_signal_store_mem_free(p->m);
}

/* A bundle of p with a fresh one-time prekey (stored in p). */
static void
party_bundle(int *test_failed_, struct party *p, struct wa_signal_bundle *b,
    int with_prekey)
{
	struct cry_keypair kp;

	memset(b, 0, sizeof(*b));
	wa_signal_store_mem_keys(p->m, b->identity, &b->registration_id,
	    b->signed_prekey, b->signature);
	b->signed_prekey_id = 7;
	b->device_id = 0;
	if (with_prekey) {
		cry_keypair_generate(&kp);
		b->has_prekey = true;
		b->prekey_id = p->next_prekey++;
		memcpy(b->prekey, kp.pub, 32);
		REQUIRE(wa_signal_store_mem_ops.prekey_store(p->m, b->prekey_id,
		    kp.priv) == 0);
	}
}

/* from encrypts text to `to`; to decrypts; returns the type used. */
static int
send1(int *test_failed_, struct party *from, struct party *to, const char *text)
{
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctn = 0, ptn = 0;
	int type = 0, r;

	r = wa_signal_encrypt(from->s, to->addr, (const uint8_t *)text,
	    strlen(text), &type, &ct, &ctn);
	CHECK_EQ_INT(r, 0);
	if (r != 0)
		return -1;
	r = wa_signal_decrypt(to->s, from->addr, type, 2, ct, ctn, &pt, &ptn);
	CHECK_EQ_INT(r, 0);
	if (r == 0) {
		CHECK_EQ_INT((int)ptn, (int)strlen(text));
		CHECK(memcmp(pt, text, ptn) == 0);
	}
	free(ct);
	free(pt);
	return type;
}

static void
establish(int *test_failed_, struct party *a, struct party *b)
{
	struct wa_signal_bundle bb;

	party_bundle(test_failed_, b, &bb, 1);
	REQUIRE(wa_signal_session_from_bundle(a->s, b->addr, &bb) == 0);
	CHECK_EQ_INT(send1(test_failed_, a, b, "hello"), WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(send1(test_failed_, b, a, "hi back"), WA_SIGNAL_MSG);
	CHECK_EQ_INT(send1(test_failed_, a, b, "and now msg"), WA_SIGNAL_MSG);
}

TEST(test_wa_signal_address_like_whatsmeow)
{
	struct wa_jid j;
	char a[WA_SIGNAL_ADDR_MAX];

	REQUIRE(wa_jid_parse("33612345678:3@s.whatsapp.net", &j) == 0);
	REQUIRE(wa_signal_address(&j, a, sizeof(a)) == 0);
	CHECK_EQ_STR(a, "33612345678:3");
	REQUIRE(wa_jid_parse("33612345678@s.whatsapp.net", &j) == 0);
	REQUIRE(wa_signal_address(&j, a, sizeof(a)) == 0);
	CHECK_EQ_STR(a, "33612345678:0");
	REQUIRE(wa_jid_parse("123456789012345:12@lid", &j) == 0);
	REQUIRE(wa_signal_address(&j, a, sizeof(a)) == 0);
	CHECK_EQ_STR(a, "123456789012345_1:12");
	REQUIRE(wa_jid_parse("55555:2@hosted", &j) == 0);
	REQUIRE(wa_signal_address(&j, a, sizeof(a)) == 0);
	CHECK_EQ_STR(a, "55555_128:2");
	CHECK_EQ_INT(wa_signal_address(&j, a, 5), WA_ERR_BAD_JID);
	CHECK_EQ_STR(wa_signal_type_name(WA_SIGNAL_PKMSG), "pkmsg");
	CHECK_EQ_STR(wa_signal_type_name(WA_SIGNAL_MSG), "msg");
	CHECK_EQ_STR(wa_signal_type_name(WA_SIGNAL_SKMSG), "skmsg");
	CHECK(wa_signal_type_name(9) == NULL);
}

TEST(test_wa_signal_padding_round_trip_and_rejects)
{
	uint8_t msg[40], *p;
	size_t n, m, i;
	int seen[16] = { 0 }, k;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (k = 0; k < 400; k++) {
		n = (size_t)k % sizeof(msg);
		wa_signal_pad(msg, n, &p, &m);
		REQUIRE(m > n && m <= n + WA_SIGNAL_PAD_MAX);
		seen[m - n]++;
		CHECK_EQ_INT(p[m - 1], (int)(m - n));
		REQUIRE(wa_signal_unpad(p, m, 2, &i) == 0);
		CHECK_EQ_INT((int)i, (int)n);
		CHECK(memcmp(p, msg, n) == 0);
		free(p);
	}
	CHECK(seen[0] == 0);
	CHECK(seen[1] > 0 && seen[15] > 0);
	/* Last byte larger than the plaintext. */
	CHECK_EQ_INT(wa_signal_unpad((const uint8_t *)"abc\x05", 4, 2, &i),
	    WA_ERR_SIG_PADDING);
	/* Padding bytes not all equal. */
	CHECK_EQ_INT(wa_signal_unpad((const uint8_t *)"ab\x02\x03\x03", 5, 2,
	    &i), WA_ERR_SIG_PADDING);
	CHECK_EQ_INT(wa_signal_unpad((const uint8_t *)"", 0, 2, &i),
	    WA_ERR_SIG_PADDING);
	/* Exactly the whole buffer is padding: empty message. */
	REQUIRE(wa_signal_unpad((const uint8_t *)"\x02\x02", 2, 2, &i) == 0);
	CHECK_EQ_INT((int)i, 0);
	/* v=3 carries no padding. */
	REQUIRE(wa_signal_unpad((const uint8_t *)"abc\x05", 4, 3, &i) == 0);
	CHECK_EQ_INT((int)i, 4);
}

TEST(test_wa_signal_session_both_ways_many_messages)
{
	struct party a, b;
	char text[64];
	int i;

	party_init(&a, "111:0");
	party_init(&b, "222_1:3");
	CHECK_EQ_INT(wa_signal_has_session(a.s, b.addr), 0);
	establish(test_failed_, &a, &b);
	/* The one-time prekey was used up. */
	CHECK_EQ_INT((int)wa_signal_store_mem_prekey_count(b.m), 0);
	CHECK_EQ_INT(wa_signal_has_session(a.s, b.addr), 1);
	CHECK_EQ_INT(wa_signal_has_session(b.s, a.addr), 1);
	for (i = 0; i < 60; i++) {
		snprintf(text, sizeof(text), "message %d", i);
		if (i % 3 == 0)
			CHECK_EQ_INT(send1(test_failed_, &b, &a, text), WA_SIGNAL_MSG);
		else
			CHECK_EQ_INT(send1(test_failed_, &a, &b, text), WA_SIGNAL_MSG);
	}
	CHECK_EQ_INT(a.changes + b.changes, 0);
	party_fini(&a);
	party_fini(&b);
}

TEST(test_wa_signal_session_without_one_time_prekey)
{
	struct party a, b;
	struct wa_signal_bundle bb;

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	party_bundle(test_failed_, &b, &bb, 0);
	REQUIRE(wa_signal_session_from_bundle(a.s, b.addr, &bb) == 0);
	CHECK_EQ_INT(send1(test_failed_, &a, &b, "no prekey"), WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(send1(test_failed_, &b, &a, "reply"), WA_SIGNAL_MSG);
	party_fini(&a);
	party_fini(&b);
}

TEST(test_wa_signal_out_of_order_and_duplicate)
{
	struct party a, b;
	uint8_t *ct[5], *pt;
	size_t ctn[5], ptn;
	int type, i, order[5] = { 4, 2, 0, 1, 3 };
	char text[16];

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	establish(test_failed_, &a, &b);
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "ooo %d", i);
		REQUIRE(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)text,
		    strlen(text), &type, &ct[i], &ctn[i]) == 0);
		CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	}
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "ooo %d", order[i]);
		REQUIRE(wa_signal_decrypt(b.s, a.addr, WA_SIGNAL_MSG, 2,
		    ct[order[i]], ctn[order[i]], &pt, &ptn) == 0);
		CHECK(ptn == strlen(text) && memcmp(pt, text, ptn) == 0);
		free(pt);
	}
	pt = NULL;
	CHECK_EQ_INT(wa_signal_decrypt(b.s, a.addr, WA_SIGNAL_MSG, 2, ct[2],
	    ctn[2], &pt, &ptn), WA_ERR_SIG_DUPLICATE);
	CHECK(pt == NULL);
	for (i = 0; i < 5; i++)
		free(ct[i]);
	/* The session still works after the duplicate. */
	CHECK_EQ_INT(send1(test_failed_, &a, &b, "after dup"), WA_SIGNAL_MSG);
	party_fini(&a);
	party_fini(&b);
}

TEST(test_wa_signal_duplicate_pkmsg_reported)
{
	struct party a, b;
	struct wa_signal_bundle bb;
	uint8_t *ct, *pt;
	size_t ctn, ptn;
	int type;

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	party_bundle(test_failed_, &b, &bb, 1);
	REQUIRE(wa_signal_session_from_bundle(a.s, b.addr, &bb) == 0);
	REQUIRE(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)"x", 1, &type,
	    &ct, &ctn) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_PKMSG);
	REQUIRE(wa_signal_decrypt(b.s, a.addr, type, 2, ct, ctn, &pt,
	    &ptn) == 0);
	free(pt);
	/* Replayed: the one-time prekey is gone, the message key is used. */
	CHECK_EQ_INT(wa_signal_decrypt(b.s, a.addr, type, 2, ct, ctn, &pt, &ptn),
	    WA_ERR_SIG_DUPLICATE);
	free(ct);
	party_fini(&a);
	party_fini(&b);
}

TEST(test_wa_signal_tampered_ciphertext_rejected)
{
	struct party a, b;
	uint8_t *ct, *pt = NULL;
	size_t ctn, ptn;
	int type;

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	establish(test_failed_, &a, &b);
	REQUIRE(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)"secret", 6,
	    &type, &ct, &ctn) == 0);
	ct[ctn / 2] ^= 0x40;
	CHECK_EQ_INT(wa_signal_decrypt(b.s, a.addr, type, 2, ct, ctn, &pt,
	    &ptn), WA_ERR_SIG_INVALID_MESSAGE);
	CHECK(pt == NULL);
	ct[ctn / 2] ^= 0x40;
	ct[ctn - 1] ^= 0x01;	/* the MAC */
	CHECK_EQ_INT(wa_signal_decrypt(b.s, a.addr, type, 2, ct, ctn, &pt,
	    &ptn), WA_ERR_SIG_INVALID_MESSAGE);
	ct[ctn - 1] ^= 0x01;
	REQUIRE(wa_signal_decrypt(b.s, a.addr, type, 2, ct, ctn, &pt,
	    &ptn) == 0);
	CHECK(ptn == 6 && memcmp(pt, "secret", 6) == 0);
	free(pt);
	free(ct);
	party_fini(&a);
	party_fini(&b);
}

TEST(test_wa_signal_bad_signed_prekey_signature_rejected)
{
	struct party a, b;
	struct wa_signal_bundle bb;
	uint8_t k[32];
	int type;
	uint8_t *ct = NULL;
	size_t ctn;

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	party_bundle(test_failed_, &b, &bb, 1);
	bb.signature[10] ^= 0x01;
	CHECK_EQ_INT(wa_signal_session_from_bundle(a.s, b.addr, &bb),
	    WA_ERR_SIG_BAD_SIGNATURE);
	CHECK_EQ_INT(wa_signal_has_session(a.s, b.addr), 0);
	/* Nothing was trusted either. */
	CHECK_EQ_INT(wa_signal_store_mem_ops.identity_load(a.m, b.addr, k),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)"x", 1,
	    &type, &ct, &ctn), WA_ERR_SIG_NO_SESSION);
	CHECK(ct == NULL);
	/* A signature by another key over the right bytes fails as well. */
	party_bundle(test_failed_, &b, &bb, 1);
	bb.signed_prekey[0] ^= 0x02;
	CHECK_EQ_INT(wa_signal_session_from_bundle(a.s, b.addr, &bb),
	    WA_ERR_SIG_BAD_SIGNATURE);
	party_fini(&a);
	party_fini(&b);
}

TEST(test_wa_signal_changed_identity_reported_then_trusted)
{
	struct party a, b, b2;
	struct wa_signal_bundle bb, ab;
	uint8_t k[32];

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	establish(test_failed_, &a, &b);
	CHECK_EQ_INT(a.changes, 0);

	/* b reinstalls: same address, new identity.  a fetches its bundle. */
	party_init(&b2, "222:0");
	party_bundle(test_failed_, &b2, &bb, 1);
	REQUIRE(wa_signal_session_from_bundle(a.s, b2.addr, &bb) == 0);
	CHECK_EQ_INT(a.changes, 1);
	CHECK_EQ_STR(a.changed, "222:0");
	REQUIRE(wa_signal_store_mem_ops.identity_load(a.m, "222:0", k) == 0);
	CHECK(memcmp(k, bb.identity, 32) == 0);
	CHECK_EQ_INT(send1(test_failed_, &a, &b2, "to the new b"), WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(send1(test_failed_, &b2, &a, "from the new b"), WA_SIGNAL_MSG);
	CHECK_EQ_INT(a.changes, 1);
	/* The old b's messages no longer decrypt at a. */
	{
		uint8_t *ct, *pt;
		size_t ctn, ptn;
		int type;

		REQUIRE(wa_signal_encrypt(b.s, a.addr, (const uint8_t *)"old",
		    3, &type, &ct, &ctn) == 0);
		CHECK(wa_signal_decrypt(a.s, b.addr, type, 2, ct, ctn, &pt,
		    &ptn) < 0);
		free(ct);
	}
	party_fini(&b2);

	/* Receiving side: a third install of b starts a session with a's
	 * bundle; a sees a pkmsg with an unknown identity. */
	party_init(&b2, "222:0");
	party_bundle(test_failed_, &a, &ab, 1);
	REQUIRE(wa_signal_session_from_bundle(b2.s, a.addr, &ab) == 0);
	CHECK_EQ_INT(b2.changes, 0);
	CHECK_EQ_INT(send1(test_failed_, &b2, &a, "third install"), WA_SIGNAL_PKMSG);
	CHECK_EQ_INT(a.changes, 2);
	CHECK_EQ_INT(send1(test_failed_, &a, &b2, "welcome back"), WA_SIGNAL_MSG);
	party_fini(&a);
	party_fini(&b);
	party_fini(&b2);
}

TEST(test_wa_signal_no_session_errors)
{
	struct party a, b;
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctn, ptn;
	int type;

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	CHECK_EQ_INT(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)"x", 1,
	    &type, &ct, &ctn), WA_ERR_SIG_NO_SESSION);
	establish(test_failed_, &a, &b);
	REQUIRE(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)"x", 1, &type,
	    &ct, &ctn) == 0);
	/* A third party holds no session with a. */
	{
		struct party c;

		party_init(&c, "333:0");
		CHECK_EQ_INT(wa_signal_decrypt(c.s, a.addr, WA_SIGNAL_MSG, 2, ct,
		    ctn, &pt, &ptn), WA_ERR_SIG_NO_SESSION);
		party_fini(&c);
	}
	/* Wrong type, bad address. */
	CHECK_EQ_INT(wa_signal_decrypt(b.s, a.addr, 9, 2, ct, ctn, &pt, &ptn),
	    WA_ERR_INVALID);
	CHECK_EQ_INT(wa_signal_decrypt(b.s, "nodevice", WA_SIGNAL_MSG, 2, ct,
	    ctn, &pt, &ptn), WA_ERR_INVALID);
	CHECK_EQ_INT(wa_signal_decrypt(b.s, ":1", WA_SIGNAL_MSG, 2, ct, ctn,
	    &pt, &ptn), WA_ERR_INVALID);
	CHECK(pt == NULL);
	free(ct);
	CHECK_EQ_INT(wa_signal_delete_session(a.s, b.addr), 0);
	CHECK_EQ_INT(wa_signal_has_session(a.s, b.addr), 0);
	party_fini(&a);
	party_fini(&b);
}

static void
gsend(int *test_failed_, struct party *from, struct party **to, int nto,
    const char *group, const char *text)
{
	uint8_t *ct = NULL, *pt;
	size_t ctn, ptn;
	int i;

	REQUIRE(wa_signal_group_encrypt(from->s, group, from->addr,
	    (const uint8_t *)text, strlen(text), &ct, &ctn) == 0);
	for (i = 0; i < nto; i++) {
		pt = NULL;
		REQUIRE(wa_signal_group_decrypt(to[i]->s, group, from->addr, 2,
		    ct, ctn, &pt, &ptn) == 0);
		CHECK(ptn == strlen(text) && memcmp(pt, text, ptn) == 0);
		free(pt);
	}
	free(ct);
}

static void
distribute(int *test_failed_, struct party *from, struct party **to, int nto,
    const char *group)
{
	uint8_t *skdm;
	size_t n;
	int i;

	REQUIRE(wa_signal_group_skdm(from->s, group, from->addr, &skdm,
	    &n) == 0);
	for (i = 0; i < nto; i++)
		REQUIRE(wa_signal_group_process_skdm(to[i]->s, group,
		    from->addr, skdm, n) == 0);
	free(skdm);
}

TEST(test_wa_signal_sender_keys_three_parties)
{
	const char *g = "120363000000000001@g.us";
	struct party a, b, c, *bc[2] = { &b, &c }, *ac[2] = { &a, &c };
	struct party *ab[2] = { &a, &b };
	uint8_t *ct, *pt = NULL, *skdm1, *skdm2;
	size_t ctn, ptn, n1, n2;
	char text[32];
	int i;

	party_init(&a, "111:0");
	party_init(&b, "222:1");
	party_init(&c, "333_1:2");
	/* Before any distribution message: nothing to decrypt with. */
	REQUIRE(wa_signal_group_encrypt(a.s, g, a.addr, (const uint8_t *)"x",
	    1, &ct, &ctn) == 0);
	CHECK_EQ_INT(wa_signal_group_decrypt(b.s, g, a.addr, 2, ct, ctn, &pt,
	    &ptn), WA_ERR_SIG_NO_SENDER_KEY);
	free(ct);

	distribute(test_failed_, &a, bc, 2, g);
	distribute(test_failed_, &b, ac, 2, g);
	distribute(test_failed_, &c, ab, 2, g);
	/* The same sender key is distributed again (idempotent). */
	REQUIRE(wa_signal_group_skdm(a.s, g, a.addr, &skdm1, &n1) == 0);
	REQUIRE(wa_signal_group_skdm(a.s, g, a.addr, &skdm2, &n2) == 0);
	CHECK(n1 == n2);
	free(skdm1);
	free(skdm2);
	for (i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "group %d", i);
		gsend(test_failed_, i % 3 == 0 ? &a : i % 3 == 1 ? &b : &c,
		    i % 3 == 0 ? bc : i % 3 == 1 ? ac : ab, 2, g, text);
	}
	/* Duplicate and tampered skmsg. */
	REQUIRE(wa_signal_group_encrypt(a.s, g, a.addr, (const uint8_t *)"dup",
	    3, &ct, &ctn) == 0);
	REQUIRE(wa_signal_group_decrypt(b.s, g, a.addr, 2, ct, ctn, &pt,
	    &ptn) == 0);
	free(pt);
	pt = NULL;
	CHECK_EQ_INT(wa_signal_group_decrypt(b.s, g, a.addr, 2, ct, ctn, &pt,
	    &ptn), WA_ERR_SIG_DUPLICATE);
	ct[ctn - 3] ^= 0x10;	/* inside the signature */
	CHECK_EQ_INT(wa_signal_group_decrypt(c.s, g, a.addr, 2, ct, ctn, &pt,
	    &ptn), WA_ERR_SIG_INVALID_MESSAGE);
	ct[ctn - 3] ^= 0x10;
	/* Claimed from the wrong sender: c has b's key, which does not match. */
	CHECK(wa_signal_group_decrypt(c.s, g, b.addr, 2, ct, ctn, &pt,
	    &ptn) < 0);
	/* Another group: no key. */
	CHECK_EQ_INT(wa_signal_group_decrypt(c.s, "1@g.us", a.addr, 2, ct, ctn,
	    &pt, &ptn), WA_ERR_SIG_NO_SENDER_KEY);
	CHECK(pt == NULL);
	free(ct);
	/* A malformed distribution message. */
	CHECK_EQ_INT(wa_signal_group_process_skdm(c.s, g, a.addr,
	    (const uint8_t *)"\x33garbage", 8), WA_ERR_SIG_INVALID_MESSAGE);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

static struct wa_node *
bytes_node(const char *tag, const void *p, size_t n)
{
	struct wa_node *x = wa_node_new(tag);

	wa_node_set_bytes(x, p, n);
	return x;
}

static struct wa_node *
key_node(const char *tag, uint32_t id, const uint8_t *pub, size_t publen,
    const uint8_t *sig)
{
	struct wa_node *k = wa_node_new(tag);
	uint8_t i[3] = { (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };

	wa_node_add_child(k, bytes_node("id", i, 3));
	wa_node_add_child(k, bytes_node("value", pub, publen));
	if (sig != NULL)
		wa_node_add_child(k, bytes_node("signature", sig, 64));
	return k;
}

/* <user><registration/><type/><identity/><key/><skey/></user>. */
static struct wa_node *
bundle_node(const struct wa_signal_bundle *b, int drop)
{
	struct wa_node *u = wa_node_new("user");
	uint8_t reg[4] = { (uint8_t)(b->registration_id >> 24),
	    (uint8_t)(b->registration_id >> 16),
	    (uint8_t)(b->registration_id >> 8), (uint8_t)b->registration_id };

	if (drop != 1)
		wa_node_add_child(u, bytes_node("registration", reg, 4));
	wa_node_add_child(u, bytes_node("type", "\x05", 1));
	wa_node_add_child(u, bytes_node("identity", b->identity,
	    drop == 2 ? 31 : 32));
	uint8_t pk33[33];

	memcpy(pk33, b->prekey, 32);
	pk33[32] = 0;
	if (b->has_prekey)
		wa_node_add_child(u, key_node("key", b->prekey_id, pk33,
		    drop == 3 ? 33 : 32, NULL));
	if (drop != 4)
		wa_node_add_child(u, key_node("skey", b->signed_prekey_id,
		    b->signed_prekey, 32, drop == 5 ? NULL : b->signature));
	return u;
}

TEST(test_wa_signal_bundle_from_node)
{
	struct party a, b;
	struct wa_signal_bundle bb, got;
	struct wa_node *n, *e;
	int drop;

	party_init(&a, "111:0");
	party_init(&b, "222:4");
	party_bundle(test_failed_, &b, &bb, 1);
	bb.prekey_id = 0xabcdef;
	REQUIRE(wa_signal_store_mem_ops.prekey_store(b.m, 0xabcdef,
	    bb.prekey) == 0);
	n = bundle_node(&bb, 0);
	memset(&got, 0, sizeof(got));
	REQUIRE(wa_signal_bundle_from_node(n, 4, &got) == 0);
	CHECK_EQ_INT((int)got.registration_id, (int)bb.registration_id);
	CHECK_EQ_INT((int)got.device_id, 4);
	CHECK(got.has_prekey);
	CHECK_EQ_INT((int)got.prekey_id, 0xabcdef);
	CHECK_EQ_INT((int)got.signed_prekey_id, 7);
	CHECK(memcmp(got.identity, bb.identity, 32) == 0);
	CHECK(memcmp(got.signed_prekey, bb.signed_prekey, 32) == 0);
	CHECK(memcmp(got.signature, bb.signature, 64) == 0);
	CHECK(memcmp(got.prekey, bb.prekey, 32) == 0);
	CHECK_EQ_INT(wa_signal_session_from_bundle(a.s, b.addr, &got), 0);
	wa_node_free(n);

	/* Keys wrapped in <keys> as in some replies. */
	n = wa_node_new("user");
	e = bundle_node(&bb, 0);
	wa_node_add_child(n, bytes_node("registration", "\0\0\0\x09", 4));
	{
		struct wa_node *keys = wa_node_new("keys");
		size_t i;

		for (i = 1; i < e->nchildren; i++)
			wa_node_add_child(keys, wa_node_dup(e->children[i]));
		wa_node_add_child(n, keys);
	}
	REQUIRE(wa_signal_bundle_from_node(n, 0, &got) == 0);
	CHECK_EQ_INT((int)got.registration_id, 9);
	wa_node_free(n);
	wa_node_free(e);

	/* A retry receipt (whatsmeow's sendRetryReceipt, §8.5): <retry> and
	 * <registration> at the top, the bundle in <keys> with <type> and
	 * <device-identity> next to it. */
	n = wa_node_new("receipt");
	wa_node_set_attr(n, "type", "retry");
	wa_node_add_child(n, wa_node_new("retry"));
	wa_node_add_child(n, bytes_node("registration", "\0\0\x30\x39", 4));
	{
		struct wa_node *keys = wa_node_new("keys");

		wa_node_add_child(keys, bytes_node("type", "\x05", 1));
		wa_node_add_child(keys, bytes_node("identity", bb.identity, 32));
		wa_node_add_child(keys, key_node("key", 0x000102, bb.prekey, 32,
		    NULL));
		wa_node_add_child(keys, key_node("skey", 7, bb.signed_prekey, 32,
		    bb.signature));
		wa_node_add_child(keys, bytes_node("device-identity", "\x0a\x00",
		    2));
		wa_node_add_child(n, keys);
	}
	REQUIRE(wa_signal_bundle_from_node(n, 4, &got) == 0);
	CHECK_EQ_INT((int)got.registration_id, 12345);
	CHECK(got.has_prekey);
	CHECK_EQ_INT((int)got.prekey_id, 0x102);
	CHECK(memcmp(got.signature, bb.signature, 64) == 0);
	wa_node_free(n);

	for (drop = 1; drop <= 5; drop++) {
		n = bundle_node(&bb, drop);
		CHECK_EQ_INT(wa_signal_bundle_from_node(n, 0, &got),
		    WA_ERR_SIG_BAD_BUNDLE);
		wa_node_free(n);
	}
	n = bundle_node(&bb, 0);
	wa_node_add_child(n, wa_node_new("error"));
	CHECK_EQ_INT(wa_signal_bundle_from_node(n, 0, &got), WA_ERR_IQ);
	wa_node_free(n);
	party_fini(&a);
	party_fini(&b);
}

/* Every truncation and many bit flips of real messages fail cleanly. */
static void
mangle(int *test_failed_, struct wa_signal *s, const char *from, int type,
    const uint8_t *ct, size_t n, const char *group)
{
	uint8_t *x = malloc(n), *pt;
	size_t len, ptn;
	int r;

	for (len = 0; len < n; len++) {
		pt = NULL;
		if (group != NULL)
			r = wa_signal_group_decrypt(s, group, from, 2, ct, len,
			    &pt, &ptn);
		else
			r = wa_signal_decrypt(s, from, type, 2, ct, len, &pt,
			    &ptn);
		CHECK(r < 0);
		CHECK(pt == NULL);
	}
	for (len = 0; len < n * 8; len += 3) {
		memcpy(x, ct, n);
		x[len / 8] ^= (uint8_t)(1u << (len % 8));
		pt = NULL;
		if (group != NULL)
			r = wa_signal_group_decrypt(s, group, from, 2, x, n,
			    &pt, &ptn);
		else
			r = wa_signal_decrypt(s, from, type, 2, x, n, &pt, &ptn);
		if (r == 0)
			free(pt);	/* a flip in an unchecked field */
	}
	free(x);
}

TEST(test_wa_signal_malformed_never_crashes)
{
	const char *g = "1203@g.us";
	struct party a, b, c;
	struct wa_signal_bundle bb;
	uint8_t *ct, *skdm, junk[300], *pt;
	size_t ctn, n, ptn;
	int type, i, t;

	party_init(&a, "111:0");
	party_init(&b, "222:0");
	party_init(&c, "333:0");
	party_bundle(test_failed_, &b, &bb, 1);
	REQUIRE(wa_signal_session_from_bundle(a.s, b.addr, &bb) == 0);
	REQUIRE(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)"pk", 2, &type,
	    &ct, &ctn) == 0);
	mangle(test_failed_, c.s, a.addr, WA_SIGNAL_PKMSG, ct, ctn, NULL);
	free(ct);
	establish(test_failed_, &a, &b);
	REQUIRE(wa_signal_encrypt(a.s, b.addr, (const uint8_t *)"m", 1, &type,
	    &ct, &ctn) == 0);
	mangle(test_failed_, b.s, a.addr, WA_SIGNAL_MSG, ct, ctn, NULL);
	mangle(test_failed_, b.s, a.addr, WA_SIGNAL_PKMSG, ct, ctn, NULL);
	free(ct);

	REQUIRE(wa_signal_group_skdm(a.s, g, a.addr, &skdm, &n) == 0);
	for (i = 0; i < (int)n; i++)
		CHECK(wa_signal_group_process_skdm(c.s, g, a.addr, skdm,
		    (size_t)i) < 0);
	REQUIRE(wa_signal_group_process_skdm(c.s, g, a.addr, skdm, n) == 0);
	free(skdm);
	REQUIRE(wa_signal_group_encrypt(a.s, g, a.addr, (const uint8_t *)"s",
	    1, &ct, &ctn) == 0);
	mangle(test_failed_, c.s, a.addr, 0, ct, ctn, g);
	free(ct);

	/* Random bytes with a plausible version byte. */
	for (i = 0; i < 300; i++) {
		n = (size_t)(i % (int)sizeof(junk));
		cry_random(junk, sizeof(junk));
		junk[0] = i & 1 ? 0x33 : junk[0];
		for (t = WA_SIGNAL_MSG; t <= WA_SIGNAL_PKMSG; t++) {
			pt = NULL;
			if (wa_signal_decrypt(b.s, a.addr, t, 2, junk, n, &pt,
			    &ptn) == 0)
				free(pt);
		}
		if (wa_signal_group_decrypt(c.s, g, a.addr, 2, junk, n, &pt,
		    &ptn) == 0)
			free(pt);
		(void)wa_signal_group_process_skdm(c.s, g, b.addr, junk, n);
	}
	/* The real sessions survived all of it. */
	CHECK_EQ_INT(send1(test_failed_, &b, &a, "still fine"), WA_SIGNAL_MSG);
	CHECK_EQ_INT(send1(test_failed_, &a, &b, "yes"), WA_SIGNAL_MSG);
	party_fini(&a);
	party_fini(&b);
	party_fini(&c);
}

/* An <identity/> notification: every device of one user starts over. */
TEST(test_wa_signal_forget_user)
{
	struct party a, b0, b1, c;
	uint8_t k[32];

	party_init(&a, "111:0");
	party_init(&b0, "222_1:0");
	party_init(&b1, "222_1:5");
	party_init(&c, "222_10:0");	/* another user, same prefix */
	establish(test_failed_, &a, &b0);
	establish(test_failed_, &a, &b1);
	establish(test_failed_, &a, &c);
	CHECK_EQ_INT(wa_signal_forget_user(a.s, "222_1:0"), WA_ERR_INVALID);
	CHECK_EQ_INT(wa_signal_forget_user(a.s, ""), WA_ERR_INVALID);
	REQUIRE(wa_signal_forget_user(a.s, "222_1") == 0);
	CHECK_EQ_INT(wa_signal_has_session(a.s, b0.addr), 0);
	CHECK_EQ_INT(wa_signal_has_session(a.s, b1.addr), 0);
	CHECK_EQ_INT(wa_signal_has_session(a.s, c.addr), 1);
	CHECK_EQ_INT(wa_signal_store_mem_ops.identity_load(a.m, b0.addr, k),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(wa_signal_store_mem_ops.identity_load(a.m, b1.addr, k),
	    U_ERR_NOT_FOUND);
	REQUIRE(wa_signal_store_mem_ops.identity_load(a.m, c.addr, k) == 0);
	CHECK_EQ_INT(send1(test_failed_, &a, &c, "c still works"),
	    WA_SIGNAL_MSG);
	/* A new install of b: trusted without an identity-change report. */
	party_fini(&b0);
	party_init(&b0, "222_1:0");
	establish(test_failed_, &a, &b0);
	CHECK_EQ_INT(a.changes, 0);
	party_fini(&a);
	party_fini(&b0);
	party_fini(&b1);
	party_fini(&c);
}

/* A store whose writes fail: the failure comes back, not libsignal's. */
static int fail_writes;

static int
failing_session_store(void *arg, const char *addr, const uint8_t *rec,
    size_t len)
{
	if (fail_writes)
		return U_ERR_IO;
	return wa_signal_store_mem_ops.session_store(arg, addr, rec, len);
}

TEST(test_wa_signal_store_failure_reported)
{
	struct wa_signal_store_ops ops = wa_signal_store_mem_ops;
	struct party a, b;
	struct wa_signal *fs;
	struct wa_signal_bundle bb;
	uint8_t *ct = NULL;
	size_t ctn;
	int type;

	ops.session_store = failing_session_store;
	party_init(&a, "111:0");
	party_init(&b, "222:0");
	fs = wa_signal_new(&ops, a.m);
	party_bundle(test_failed_, &b, &bb, 1);
	fail_writes = 1;
	CHECK_EQ_INT(wa_signal_session_from_bundle(fs, b.addr, &bb), U_ERR_IO);
	CHECK_EQ_INT(wa_signal_has_session(fs, b.addr), 0);
	fail_writes = 0;
	REQUIRE(wa_signal_session_from_bundle(fs, b.addr, &bb) == 0);
	fail_writes = 1;
	CHECK_EQ_INT(wa_signal_encrypt(fs, b.addr, (const uint8_t *)"x", 1,
	    &type, &ct, &ctn), U_ERR_IO);
	CHECK(ct == NULL);
	fail_writes = 0;
	/* The next operation starts clean. */
	REQUIRE(wa_signal_encrypt(fs, b.addr, (const uint8_t *)"x", 1, &type,
	    &ct, &ctn) == 0);
	free(ct);
	wa_signal_free(fs);
	party_fini(&a);
	party_fini(&b);
}

/* The device-backed store: our keys from struct wa_device, one-time
 * prekeys through the client's wa_store_ops (as prekeys.c keeps them). */
TEST(test_wa_signal_device_backed_store)
{
	struct wa_store_mem *sm = wa_store_mem_new();
	struct wa_device dev;
	struct wa_signal_store_mem *m;
	struct wa_signal *s;
	struct wa_signal_bundle bb;
	struct cry_keypair pk;
	struct party b;
	uint8_t *ct, *pt, k[32];
	size_t ctn, ptn;
	int type;

	memset(&dev, 0, sizeof(dev));
	REQUIRE(wa_device_generate(&dev) == 0);
	dev.jid = u_strdup("33600000005:2@s.whatsapp.net");
	REQUIRE(wa_store_mem_ops.device_save(sm, &dev) == 0);
	cry_keypair_generate(&pk);
	REQUIRE(wa_store_mem_ops.prekey_put(sm, dev.jid, 3, pk.priv, 1) == 0);
	m = wa_signal_store_mem_new_device(&dev, &wa_store_mem_ops, sm);
	s = wa_signal_new(&wa_signal_store_mem_ops, m);
	party_init(&b, "222:0");

	memset(&bb, 0, sizeof(bb));
	bb.registration_id = dev.registration_id;
	memcpy(bb.identity, dev.identity.pub, 32);
	bb.signed_prekey_id = dev.signed_prekey_id;
	memcpy(bb.signed_prekey, dev.signed_prekey.pub, 32);
	memcpy(bb.signature, dev.signed_prekey_sig, 64);
	bb.has_prekey = true;
	bb.prekey_id = 3;
	memcpy(bb.prekey, pk.pub, 32);
	REQUIRE(wa_signal_session_from_bundle(b.s, "33600000005:2", &bb) == 0);
	REQUIRE(wa_signal_encrypt(b.s, "33600000005:2", (const uint8_t *)"dev",
	    3, &type, &ct, &ctn) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_PKMSG);
	REQUIRE(wa_signal_decrypt(s, b.addr, type, 2, ct, ctn, &pt, &ptn) == 0);
	CHECK(ptn == 3 && memcmp(pt, "dev", 3) == 0);
	free(ct);
	free(pt);
	CHECK_EQ_INT(wa_store_mem_ops.prekey_load(sm, dev.jid, 3, k),
	    U_ERR_NOT_FOUND);
	REQUIRE(wa_signal_encrypt(s, b.addr, (const uint8_t *)"back", 4, &type,
	    &ct, &ctn) == 0);
	CHECK_EQ_INT(type, WA_SIGNAL_MSG);
	REQUIRE(wa_signal_decrypt(b.s, "33600000005:2", type, 2, ct, ctn, &pt,
	    &ptn) == 0);
	CHECK(ptn == 4 && memcmp(pt, "back", 4) == 0);
	free(ct);
	free(pt);
	party_fini(&b);
	wa_signal_free(s);
	wa_signal_store_mem_free(m);
	wa_device_clear(&dev);
	wa_store_mem_free(sm);
}

TEST_MAIN()
