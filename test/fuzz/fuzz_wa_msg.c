/*
 * fuzz_wa_msg.c: the message parsers (waweb/send_message.h,
 * recv_message.h) on arbitrary input.  The input is decoded as a binary
 * node; a node goes through wa_msg_parse_usync, wa_msg_parse_ack,
 * wa_msg_parse_group, wa_msg_parse_receipt and
 * wa_msg_open (a receiver with fixed keys and a fresh in-memory store per
 * input, so a well-formed pkmsg from the seed's sender really decrypts);
 * the raw input also goes through wa_msg_payload_text and
 * wa_msg_payload_split.  Every call must
 * return 0 or an error; nothing may crash or leak.
 *
 * Seeds (test/data/fuzz_wa_msg/): a usync result, an ack with error 463,
 * a pkmsg stanza to the fixed receiver, a group message (SKDM pkmsg +
 * skmsg) to it and a group read receipt, written by this file built with
 * -DFUZZ_WA_MSG_SEEDS as a plain program against the library:
 *   cc -DFUZZ_WA_MSG_SEEDS -I. -I$BUILD/gen -I/usr/include/signal \
 *     test/fuzz/fuzz_wa_msg.c $BUILD/rel/libponton.a <pkg libs> -o seeds
 *   ./seeds test/data/fuzz_wa_msg
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"

/* Curve25519 private keys, already clamped (libsignal does not clamp what
 * it is handed: an unclamped key gives a different public half). */
static const uint8_t RX_ID[32] = { 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, [31] = 0x40 };
static const uint8_t RX_SPK[32] = { 0x20, 9, 8, 7, 6, 5, 4, 3, 2, 1, [31] = 0x40 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
no_receipt(void *arg, const struct wa_msg_receipt *r)
{
	(void)arg;
	(void)r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_signal_store_mem *m;
	struct wa_signal *sig;
	struct wa_node *n = NULL;
	struct wa_jid devs[WA_MSG_MAX_DEVICES];
	struct wa_msg_event ev;
	char *text = NULL, *dest = NULL;
	uint8_t *pl = NULL;
	struct wa_msg_receipt rc;
	const char *ids[8];
	const uint8_t *in, *sk;
	const char *ds, *g;
	size_t il, dl, skl, gl;
	int code = 0, other;

	if (wa_msg_payload_text(data, size, &text, &dest) == 0) {
		free(text);
		free(dest);
	}
	(void)wa_msg_payload_split(data, size, &in, &il, &ds, &dl, &sk, &skl,
	    &g, &gl, &other);
	if (wa_node_decode(data, size, &n) != 0)
		return 0;
	(void)wa_msg_parse_usync(n, devs, WA_MSG_MAX_DEVICES);
	(void)wa_msg_parse_ack(n, &code);
	(void)wa_msg_parse_group(n, devs, WA_MSG_MAX_DEVICES);
	(void)wa_msg_parse_receipt(n, &rc, ids, 8);
	(void)wa_msg_receipt_each(n, no_receipt, NULL);
	(void)wa_msg_group_is_lid(n);
	m = wa_signal_store_mem_new_fixed(RX_ID, 1234, RX_SPK, 7);
	sig = wa_signal_new(&wa_signal_store_mem_ops, m);
	text = NULL;
	if (wa_msg_open(sig, n, &ev, &pl, &text) == 0) {
		free(text);
		free(pl);
	}
	wa_signal_free(sig);
	wa_signal_store_mem_free(m);
	wa_node_free(n);
	return 0;
}

#ifdef FUZZ_WA_MSG_SEEDS
#include "crypto/cry.h"
#include "waweb/store.h"

static void
write_node(const char *dir, const char *name, const struct wa_node *n)
{
	char path[512];
	struct u_buf b;
	FILE *f;

	u_buf_init(&b, 0);
	if (wa_node_encode(n, &b) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	fwrite(b.p, 1, b.len, f);
	fclose(f);
	u_buf_free(&b);
}

int
main(int argc, char **argv)
{
	static const uint8_t TX_ID[32] = { 0x30, 3, [31] = 0x40 },
	    TX_SPK[32] = { 0x40, 4, [31] = 0x40 };
	struct wa_signal_store_mem *rx, *tx;
	struct wa_signal *stx;
	struct wa_signal_bundle b;
	struct wa_device dev;
	struct wa_jid to, devs[2], from;
	struct wa_node *n, *in, *u, *d, *dl, *dv, *us, *list;
	uint8_t adv[3] = { 8, 1, 16 };

	if (argc != 2)
		return 2;
	cry_init();
	/* usync result: one user with devices 0 and 1. */
	n = wa_node_new("iq");
	wa_node_set_attr(n, "type", "result");
	us = wa_node_new("usync");
	list = wa_node_new("list");
	u = wa_node_new("user");
	wa_jid_parse("33600000002@s.whatsapp.net", &to);
	wa_node_set_attr_jid(u, "jid", &to);
	d = wa_node_new("devices");
	dl = wa_node_new("device-list");
	dv = wa_node_new("device");
	wa_node_set_attr(dv, "id", "0");
	wa_node_add_child(dl, dv);
	dv = wa_node_new("device");
	wa_node_set_attr(dv, "id", "1");
	wa_node_add_child(dl, dv);
	wa_node_add_child(d, dl);
	wa_node_add_child(u, d);
	wa_node_add_child(list, u);
	wa_node_add_child(us, list);
	wa_node_add_child(n, us);
	write_node(argv[1], "usync-result", n);
	wa_node_free(n);
	/* ack with error. */
	n = wa_node_new("ack");
	wa_node_set_attr(n, "class", "message");
	wa_node_set_attr(n, "id", "3EB0AAAAAAAAAAAAAAAAAA");
	wa_node_set_attr(n, "error", "463");
	write_node(argv[1], "ack-463", n);
	wa_node_free(n);
	/* A pkmsg from 33600000001:3 to the fixed receiver (device 1). */
	rx = wa_signal_store_mem_new_fixed(RX_ID, 1234, RX_SPK, 7);
	tx = wa_signal_store_mem_new_fixed(TX_ID, 5678, TX_SPK, 7);
	stx = wa_signal_new(&wa_signal_store_mem_ops, tx);
	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(rx, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 7;
	b.device_id = 1;
	if (wa_signal_session_from_bundle(stx, "33600000002:1", &b) != 0)
		abort();
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	wa_jid_parse("33600000002:1@s.whatsapp.net", &devs[0]);
	if (wa_msg_build_stanza(stx, &dev, "3EB0BBBBBBBBBBBBBBBBBB", &to,
	    "seed text", devs, 1, &n) != 0)
		abort();
	in = wa_node_new("message");
	wa_jid_parse("33600000001:3@s.whatsapp.net", &from);
	wa_node_set_attr_jid(in, "from", &from);
	wa_node_set_attr(in, "id", "3EB0BBBBBBBBBBBBBBBBBB");
	wa_node_set_attr(in, "type", "text");
	wa_node_set_attr(in, "t", "1700000000");
	wa_node_add_child(in, wa_node_dup(wa_node_child(n, "participants")->
	    children[0]->children[0]));
	write_node(argv[1], "message-pkmsg", in);
	wa_node_free(in);
	wa_node_free(n);
	/* A group message from the same sender: its SKDM to the receiver
	 * (a pkmsg, then the skmsg), as wasim delivers it. */
	{
		struct wa_jid gid;
		uint8_t *pt;
		size_t ptlen, i;

		wa_jid_parse("120363000000000001@g.us", &gid);
		if (wa_msg_text_payload("seed group text", NULL, &pt,
		    &ptlen) != 0 ||
		    wa_msg_build_group(stx, &dev, "3EB0CCCCCCCCCCCCCCCCCC", &gid,
		    "33600000001:3", pt, ptlen, NULL, devs, 1, "2:AAAAAAAA",
		    NULL, &n) != 0)
			abort();
		free(pt);
		in = wa_node_new("message");
		wa_node_set_attr_jid(in, "from", &gid);
		wa_node_set_attr_jid(in, "participant", &from);
		wa_node_set_attr(in, "addressing_mode", "lid");
		wa_node_set_attr(in, "id", "3EB0CCCCCCCCCCCCCCCCCC");
		wa_node_set_attr(in, "type", "text");
		wa_node_set_attr(in, "t", "1700000000");
		wa_node_add_child(in, wa_node_dup(wa_node_child(n,
		    "participants")->children[0]->children[0]));
		for (i = 0; i < n->nchildren; i++)
			if (strcmp(n->children[i]->tag, "enc") == 0)
				wa_node_add_child(in,
				    wa_node_dup(n->children[i]));
		write_node(argv[1], "message-group", in);
		wa_node_free(in);
		wa_node_free(n);
		/* A group read receipt with a <list>. */
		n = wa_node_new("receipt");
		wa_node_set_attr(n, "id", "3EB0CCCCCCCCCCCCCCCCCC");
		wa_node_set_attr_jid(n, "from", &gid);
		wa_node_set_attr_jid(n, "participant", &devs[0]);
		wa_node_set_attr(n, "type", "read");
		in = wa_node_new("list");
		u = wa_node_new("item");
		wa_node_set_attr(u, "id", "3EB0DDDDDDDDDDDDDDDDDD");
		wa_node_add_child(in, u);
		wa_node_add_child(n, in);
		write_node(argv[1], "receipt-group-read", n);
		wa_node_free(n);
	}
	wa_signal_free(stx);
	wa_signal_store_mem_free(tx);
	wa_signal_store_mem_free(rx);
	return 0;
}
#endif
