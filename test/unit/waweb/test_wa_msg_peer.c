/*
 * test_wa_msg_peer.c: a peer message (wa_msg_send_opts.peer, waweb/
 * send_message.c) without a connection: the stanza whatsmeow's
 * preparePeerMessageNode sends (to our own phone-number account, device 0;
 * category="peer"; push_priority; <meta appdata="default"/>; one direct
 * <enc>; <device-identity> with a pkmsg), opened by our phone with a real
 * Signal session; no session with the phone, and an unpaired device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/errors.h"
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

/* from gets a session with `to` at addr (no one-time prekey). */
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

TEST(test_wa_msg_peer_stanza_opened_by_our_phone)
{
	struct party me, phone;
	struct wa_device dev;
	struct wa_msg_send_opts o;
	struct wa_node *msg = NULL, *in;
	struct wa_msg_event ev;
	struct wa_jid from;
	const struct wa_node *enc;
	const uint8_t payload[] = { 0x0a, 0x03, 'a', 'b', 'c' };
	uint8_t adv[4] = { 1, 2, 3, 4 };
	uint8_t *pl = NULL;
	char *text = NULL;
	size_t i;

	party_init(&me);
	party_init(&phone);
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	memset(&o, 0, sizeof(o));
	o.peer = 1;
	o.push_priority = "high";

	/* No session with our phone yet. */
	CHECK_EQ_INT(wa_msg_build_peer(me.s, &dev, "3EB0PEER", payload,
	    sizeof(payload), &o, &msg), WA_ERR_MSG_NO_DEVICES);
	CHECK(msg == NULL);

	{
		struct wa_jid ph;
		char addr[WA_SIGNAL_ADDR_MAX];

		REQUIRE(wa_jid_parse("33600000001@s.whatsapp.net", &ph) == 0);
		REQUIRE(wa_signal_address(&ph, addr, sizeof(addr)) == 0);
		REQUIRE(connect_to(&me, &phone, addr) == 0);
	}
	REQUIRE(wa_msg_build_peer(me.s, &dev, "3EB0PEER", payload,
	    sizeof(payload), &o, &msg) == 0);
	CHECK_EQ_STR(wa_node_attr(msg, "id"), "3EB0PEER");
	{
		struct wa_jid tj;
		char ts[WA_JID_STR_MAX];

		REQUIRE(wa_node_attr_jid(msg, "to", &tj) == 0);
		CHECK_EQ_STR(wa_jid_format(&tj, ts, sizeof(ts)),
		    "33600000001@s.whatsapp.net");
		CHECK_EQ_INT(tj.device, 0);
	}
	CHECK_EQ_STR(wa_node_attr(msg, "category"), "peer");
	CHECK_EQ_STR(wa_node_attr(msg, "type"), "text");
	CHECK_EQ_STR(wa_node_attr(msg, "push_priority"), "high");
	CHECK(wa_node_child(msg, "participants") == NULL);
	REQUIRE(wa_node_child(msg, "meta") != NULL);
	CHECK_EQ_STR(wa_node_attr(wa_node_child(msg, "meta"), "appdata"),
	    "default");
	REQUIRE((enc = wa_node_child(msg, "enc")) != NULL);
	CHECK_EQ_STR(wa_node_attr(enc, "type"), "pkmsg");
	CHECK_EQ_STR(wa_node_attr(enc, "v"), "2");
	CHECK(wa_node_child(msg, "device-identity") != NULL);

	/* Our phone gets it from our device 3 and opens the payload as is
	 * (no deviceSentMessage wrapper). */
	in = wa_node_new("message");
	REQUIRE(wa_jid_parse("33600000001:3@s.whatsapp.net", &from) == 0);
	wa_node_set_attr_jid(in, "from", &from);
	wa_node_set_attr(in, "id", "3EB0PEER");
	wa_node_set_attr(in, "type", "text");
	wa_node_set_attr(in, "category", "peer");
	wa_node_set_attr(in, "t", "1700000000");
	for (i = 0; i < msg->nchildren; i++)
		if (strcmp(msg->children[i]->tag, "enc") == 0)
			wa_node_add_child(in, wa_node_dup(msg->children[i]));
	REQUIRE(wa_msg_open(phone.s, in, &ev, &pl, &text) == 0);
	CHECK_EQ_STR(ev.id, "3EB0PEER");
	REQUIRE(pl != NULL);
	CHECK_EQ_INT(ev.payload_len, sizeof(payload));
	CHECK(memcmp(pl, payload, sizeof(payload)) == 0);
	free(pl);
	free(text);
	wa_node_free(in);
	wa_node_free(msg);
	msg = NULL;

	/* No push_priority asked: none set. */
	o.push_priority = NULL;
	REQUIRE(wa_msg_build_peer(me.s, &dev, "3EB0PEER2", payload,
	    sizeof(payload), &o, &msg) == 0);
	CHECK(wa_node_attr(msg, "push_priority") == NULL);
	wa_node_free(msg);
	msg = NULL;

	/* An unpaired device cannot send. */
	dev.jid = NULL;
	CHECK_EQ_INT(wa_msg_build_peer(me.s, &dev, "3EB0PEER3", payload,
	    sizeof(payload), &o, &msg), U_ERR_INVALID);
	party_fini(&me);
	party_fini(&phone);
}

TEST_MAIN()
