/*
 * test_wa_msg_dedup.c: a redelivered message reaches the caller once
 * (waweb/recv_message.c): the same stanza fed twice to a receiver is
 * handed over once (recent set); after a "restart" (a new receiver, the
 * same Signal store) the Signal layer recognises the used message key and
 * the stanza is acked without an event and without being called
 * undecryptable; WA_MSG_HAVE_IT counts as handled; a caller that could
 * not store it gets it again at the redelivery, from the kept plaintext.  The receiver runs on a client that is not
 * connected (what it sends is dropped).
 */
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "util/loop.h"
#include "waweb/client.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"

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

static int
connect_to(struct party *from, struct party *to, const char *addr)
{
	struct wa_signal_bundle b;

	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(to->m, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 7;
	return wa_signal_session_from_bundle(from->s, addr, &b);
}

struct counts {
	int	messages, undecryptable, ret;
	char	last[64];
};

static int
on_message(void *arg, const struct wa_msg_event *ev)
{
	struct counts *c = arg;

	c->messages++;
	snprintf(c->last, sizeof(c->last), "%s", ev->text != NULL ? ev->text :
	    "");
	return c->ret;
}

static void
on_undecryptable(void *arg, const struct wa_msg_event *ev, int err)
{
	struct counts *c = arg;

	c->undecryptable++;
}

/* ponton's 1:1 message as wasim delivers it to bob's device 1. */
static struct wa_node *
stanza(struct party *me, const char *id, const char *text)
{
	struct wa_device dev;
	struct wa_jid to, devs[1], f;
	uint8_t adv[4] = { 1, 2, 3, 4 };
	struct wa_node *msg, *n;

	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	if (wa_jid_parse("33600000002@s.whatsapp.net", &to) != 0 ||
	    wa_jid_parse("33600000002:1@s.whatsapp.net", &devs[0]) != 0 ||
	    wa_jid_parse("33600000001:3@s.whatsapp.net", &f) != 0 ||
	    wa_msg_build_stanza(me->s, &dev, id, &to, text, devs, 1, &msg) != 0)
		abort();
	n = wa_node_new("message");
	wa_node_set_attr_jid(n, "from", &f);
	wa_node_set_attr(n, "id", id);
	wa_node_set_attr(n, "type", "text");
	wa_node_set_attr(n, "t", "1700000000");
	wa_node_add_child(n, wa_node_dup(
	    wa_node_child(msg, "participants")->children[0]->children[0]));
	wa_node_free(msg);
	return n;
}

TEST(test_wa_msg_redelivery_reaches_caller_once)
{
	struct u_loop *loop = u_loop_new();
	struct wa_store_mem *sm = wa_store_mem_new();
	struct wa_client_opts o;
	struct wa_client_cbs ccbs;
	struct wa_client *c;
	struct party me, bob;
	struct counts k;
	struct wa_msg_receiver_cbs cbs = { .on_message = on_message,
	    .on_undecryptable = on_undecryptable };
	struct wa_msg_receiver *r;
	struct wa_node *m1, *m2, *m3;

	memset(&o, 0, sizeof(o));
	memset(&ccbs, 0, sizeof(ccbs));
	memset(&k, 0, sizeof(k));
	c = wa_client_new(loop, &o, &wa_store_mem_ops, sm, &ccbs, NULL);
	party_init(&me);
	party_init(&bob);
	REQUIRE(connect_to(&me, &bob, "33600000002:1") == 0);
	m1 = stanza(&me, "3EB0D1", "first");
	m2 = stanza(&me, "3EB0D2", "second");
	m3 = stanza(&me, "3EB0D3", "third");

	r = wa_msg_receiver_new(c, bob.s, &cbs, &k);
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m1), 1);
	CHECK_EQ_INT(k.messages, 1);
	CHECK_EQ_STR(k.last, "first");
	/* The same stanza again (its ack was lost): not handed over. */
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m1), 1);
	CHECK_EQ_INT(k.messages, 1);
	CHECK_EQ_INT(k.undecryptable, 0);
	/* "I already have it" counts as handled too. */
	k.ret = WA_MSG_HAVE_IT;
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m2), 1);
	CHECK_EQ_INT(k.messages, 2);
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m2), 1);
	CHECK_EQ_INT(k.messages, 2);
	wa_msg_receiver_free(r);

	/* A restart: nothing remembered in memory, but the Signal session
	 * has moved on: the redelivery is acked silently. */
	r = wa_msg_receiver_new(c, bob.s, &cbs, &k);
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m1), 1);
	CHECK_EQ_INT(k.messages, 2);
	CHECK_EQ_INT(k.undecryptable, 0);
	/* A caller that could not store it is asked again next time (this
	 * receiver still has the stanza unacked, it is not remembered). */
	k.ret = -1;
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m3), 1);
	CHECK_EQ_INT(k.messages, 3);
	CHECK_EQ_STR(k.last, "third");
	/* Its redelivery (same process, next login): the Signal key is used
	 * up, the kept plaintext is handed over again. */
	k.ret = 0;
	k.last[0] = '\0';
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m3), 1);
	CHECK_EQ_INT(k.messages, 4);
	CHECK_EQ_STR(k.last, "third");
	CHECK_EQ_INT(k.undecryptable, 0);
	/* Stored now: a third delivery is a duplicate. */
	CHECK_EQ_INT(wa_msg_receiver_handle_node(r, m3), 1);
	CHECK_EQ_INT(k.messages, 4);
	wa_msg_receiver_free(r);

	wa_node_free(m1);
	wa_node_free(m2);
	wa_node_free(m3);
	party_fini(&me);
	party_fini(&bob);
	wa_client_free(c);
	wa_client_shutdown(loop);
	u_loop_free(loop);
	wa_store_mem_free(sm);
}

TEST_MAIN()
