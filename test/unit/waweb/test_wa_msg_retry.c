/*
 * test_wa_msg_retry.c: the receiving side of retries (waweb/recv_message.c).
 * A stanza is "already decrypted" (WA_ERR_SIG_DUPLICATE: acked without a
 * retry) only when every <enc> of it says so: one <enc> that fails for
 * another reason next to a copy whose message key is used up (a retry
 * re-send carrying one ciphertext twice) is that other failure, so a retry
 * is asked for instead of the message being dropped.  A genuine
 * redelivery (every <enc> a duplicate) is still a duplicate.  Retry
 * receipts carry the count they are given.
 */
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"

struct party {
	struct wa_signal_store_mem	*m;
	struct wa_signal		*s;
};

static void
party_init(struct party *p)
{
	p->m = wa_signal_store_mem_new(7);
	p->s = wa_signal_new(&wa_signal_store_mem_ops, p->m);
}

static void
party_fini(struct party *p)
{
	wa_signal_free(p->s);
	wa_signal_store_mem_free(p->m);
}

/* A 1:1 stanza from 100:3@lid with the given encs (type msg). */
static struct wa_node *
stanza(const char *id, uint8_t *const *ct, const size_t *n, size_t nenc)
{
	struct wa_node *m = wa_node_new("message"), *e;
	struct wa_jid from;
	size_t i;

	if (wa_jid_parse("100:3@lid", &from) != 0)
		abort();
	wa_node_set_attr(m, "id", id);
	wa_node_set_attr_jid(m, "from", &from);
	wa_node_set_attr(m, "t", "1700000000");
	for (i = 0; i < nenc; i++) {
		e = wa_node_new("enc");
		wa_node_set_attr(e, "v", "2");
		wa_node_set_attr(e, "type", "msg");
		wa_node_set_bytes(e, ct[i], n[i]);
		wa_node_add_child(m, e);
	}
	return m;
}

TEST(test_wa_msg_duplicate_only_when_every_enc_is)
{
	struct party me, bob;
	struct wa_signal_bundle b;
	struct wa_msg_event ev;
	struct wa_node *m;
	uint8_t *p, *ct[2], *pl = NULL;
	size_t n, cn[2];
	char *text = NULL;
	int t;

	party_init(&me);
	party_init(&bob);
	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(bob.m, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 7;
	REQUIRE(wa_signal_session_from_bundle(me.s, "200_1:1", &b) == 0);
	/* bob answers once so that our messages are msgs. */
	REQUIRE(wa_msg_text_payload("one", NULL, &p, &n) == 0);
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, n, &t, &ct[0],
	    &cn[0]) == 0);
	REQUIRE(wa_signal_decrypt(bob.s, "100_1:3", t, 2, ct[0], cn[0], &pl,
	    &n) == 0);
	free(ct[0]);
	free(pl);
	free(p);
	REQUIRE(wa_msg_text_payload("two", NULL, &p, &n) == 0);
	REQUIRE(wa_signal_encrypt(bob.s, "100_1:3", p, n, &t, &ct[0],
	    &cn[0]) == 0);
	free(p);
	REQUIRE(wa_signal_decrypt(me.s, "200_1:1", t, 2, ct[0], cn[0], &pl,
	    &n) == 0);
	free(ct[0]);
	free(pl);

	/* me -> bob: "three" is read, then sent again next to a broken
	 * "four" (its MAC spoilt). */
	REQUIRE(wa_msg_text_payload("three", NULL, &p, &n) == 0);
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, n, &t, &ct[1],
	    &cn[1]) == 0);
	free(p);
	CHECK_EQ_INT(t, WA_SIGNAL_MSG);
	m = stanza("3EB0A1", &ct[1], &cn[1], 1);
	REQUIRE(wa_msg_open(bob.s, m, &ev, &pl, &text) == 0);
	CHECK_EQ_STR(text, "three");
	free(pl);
	free(text);
	wa_node_free(m);
	REQUIRE(wa_msg_text_payload("four", NULL, &p, &n) == 0);
	REQUIRE(wa_signal_encrypt(me.s, "200_1:1", p, n, &t, &ct[0],
	    &cn[0]) == 0);
	free(p);
	ct[0][cn[0] - 1] ^= 0x55;
	m = stanza("3EB0A2", ct, cn, 2);
	CHECK_EQ_INT(wa_msg_open(bob.s, m, &ev, &pl, &text),
	    WA_ERR_SIG_INVALID_MESSAGE);
	wa_node_free(m);
	/* The other order too. */
	{
		uint8_t *sw[2] = { ct[1], ct[0] };
		size_t swn[2] = { cn[1], cn[0] };

		m = stanza("3EB0A3", sw, swn, 2);
		CHECK_EQ_INT(wa_msg_open(bob.s, m, &ev, &pl, &text),
		    WA_ERR_SIG_INVALID_MESSAGE);
		wa_node_free(m);
	}
	/* A redelivery: every <enc> used up, a duplicate. */
	m = stanza("3EB0A1", &ct[1], &cn[1], 1);
	CHECK_EQ_INT(wa_msg_open(bob.s, m, &ev, &pl, &text),
	    WA_ERR_SIG_DUPLICATE);
	wa_node_free(m);
	free(ct[0]);
	free(ct[1]);
	party_fini(&me);
	party_fini(&bob);
}

TEST(test_wa_msg_retry_receipt_counts)
{
	struct wa_node *m = wa_node_new("message"), *r;
	const struct wa_node *rt;

	wa_node_set_attr(m, "id", "3EB0B1");
	wa_node_set_attr(m, "from", "120363000000000001@g.us");
	wa_node_set_attr(m, "participant", "100:3@lid");
	wa_node_set_attr(m, "t", "1700000000");
	r = wa_msg_retry_receipt_node_n(m, 0x01020304, 3);
	REQUIRE(r != NULL);
	CHECK_EQ_STR(wa_node_attr(r, "type"), "retry");
	CHECK_EQ_STR(wa_node_attr(r, "participant"), "100:3@lid");
	rt = wa_node_child(r, "retry");
	REQUIRE(rt != NULL);
	CHECK_EQ_STR(wa_node_attr(rt, "count"), "3");
	CHECK_EQ_STR(wa_node_attr(rt, "id"), "3EB0B1");
	wa_node_free(r);
	r = wa_msg_retry_receipt_node(m, 0x01020304);
	CHECK_EQ_STR(wa_node_attr(wa_node_child(r, "retry"), "count"), "1");
	wa_node_free(r);
	wa_node_free(m);
}

TEST_MAIN()
