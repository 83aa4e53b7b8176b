/*
 * bench/bench_group_send: the cost of one message to a 256-member group
 * (waweb/send_message.h wa_msg_build_group) with in-memory Signal stores
 * and no network: the first message (our sender key made, its
 * distribution message encrypted for every member device, then one
 * skmsg), and each later one (one skmsg, no fan-out).  Also phash over
 * every device and the encoded size of both stanzas.  Reported, never
 * asserted.
 *
 *   bench_group_send [MEMBERS [DEVICES_PER_MEMBER]]   (default 256 3)
 *   prints one JSON line: {"members":M,"devices":D,"rows":[{"name":N,
 *   "ops":K,"s":T,"bytes":B},...]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "waweb/node.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "waweb/store.h"

#define GROUP "120363000000000077@g.us"
#define SELF "100_1:3"
#define LATER_OPS 2000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "bench_group_send: %s: %d\n", what, r);
	exit(1);
}

static size_t
encoded(const struct wa_node *n)
{
	struct u_buf b;
	size_t len;

	u_buf_init(&b, 64u * 1024 * 1024);
	if (wa_node_encode(n, &b) != 0)
		die("encode", -1);
	len = b.len;
	u_buf_free(&b);
	return len;
}

int
main(int argc, char **argv)
{
	unsigned members = argc > 1 ? (unsigned)atoi(argv[1]) : 256;
	unsigned per = argc > 2 ? (unsigned)atoi(argv[2]) : 3;
	size_t ndev, i, got, first_bytes, later_bytes = 0;
	struct wa_signal_store_mem *me_m, *peer_m;
	struct wa_signal *me;
	struct wa_signal_bundle b;
	struct wa_jid *devs, gid;
	struct wa_device dev;
	struct wa_node *msg;
	uint8_t adv[16] = { 1 }, *pt;
	size_t ptlen;
	char addr[WA_SIGNAL_ADDR_MAX], id[WA_MSG_ID_MAX], ph[16];
	double t0, t_setup, t_first, t_later, t_phash;
	int r;

	if (members == 0 || members > WA_MSG_MAX_GROUP_MEMBERS || per == 0 ||
	    per > 8)
		die("members 1..1024, devices 1..8", -1);
	ndev = (size_t)members * per;
	devs = calloc(ndev, sizeof(*devs));
	me_m = wa_signal_store_mem_new(1);
	me = wa_signal_new(&wa_signal_store_mem_ops, me_m);
	/* One peer identity stands for every device: what is measured is
	 * our side (one session and one encryption per device). */
	peer_m = wa_signal_store_mem_new(7);
	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(peer_m, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 7;
	t0 = now();
	for (i = 0; i < ndev; i++) {
		char user[32];

		snprintf(user, sizeof(user), "%zu", 200000000000000 + i / per);
		if (wa_jid_make(&devs[i], user, WA_SERVER_LID,
		    (uint16_t)(i % per + 1)) != 0 ||
		    wa_signal_address(&devs[i], addr, sizeof(addr)) != 0)
			die("jid", -1);
		if ((r = wa_signal_session_from_bundle(me, addr, &b)) != 0)
			die("session", r);
	}
	t_setup = now() - t0;
	memset(&dev, 0, sizeof(dev));
	dev.jid = (char *)"33600000001:3@s.whatsapp.net";
	dev.lid = (char *)"100:3@lid";
	dev.adv_details = adv;
	dev.adv_details_len = sizeof(adv);
	if (wa_jid_parse(GROUP, &gid) != 0 ||
	    wa_msg_text_payload("a message to the whole group, about a hundred "
	    "bytes long, as chat messages often are.", NULL, &pt, &ptlen) != 0)
		die("setup", -1);

	t0 = now();
	wa_msg_phash(devs, ndev, ph);
	t_phash = now() - t0;

	wa_msg_new_id(id);
	t0 = now();
	if ((r = wa_msg_build_group(me, &dev, id, &gid, SELF, pt, ptlen, NULL,
	    devs, ndev, ph, &got, &msg)) != 0 || got != ndev)
		die("first send", r);
	t_first = now() - t0;
	first_bytes = encoded(msg);
	wa_node_free(msg);

	t0 = now();
	for (i = 0; i < LATER_OPS; i++) {
		wa_msg_new_id(id);
		if ((r = wa_msg_build_group(me, &dev, id, &gid, SELF, pt, ptlen,
		    NULL, NULL, 0, ph, NULL, &msg)) != 0)
			die("later send", r);
		if (i == 0)
			later_bytes = encoded(msg);
		wa_node_free(msg);
	}
	t_later = now() - t0;
	printf("{\"members\":%u,\"devices\":%zu,\"rows\":["
	    "{\"name\":\"sessions\",\"ops\":%zu,\"s\":%.6f,\"bytes\":0},"
	    "{\"name\":\"phash\",\"ops\":1,\"s\":%.6f,\"bytes\":0},"
	    "{\"name\":\"first_send\",\"ops\":1,\"s\":%.6f,\"bytes\":%zu},"
	    "{\"name\":\"later_send\",\"ops\":%d,\"s\":%.6f,\"bytes\":%zu}]}\n",
	    members, ndev, ndev, t_setup, t_phash, t_first, first_bytes,
	    LATER_OPS, t_later, later_bytes);
	free(pt);
	free(devs);
	wa_signal_free(me);
	wa_signal_store_mem_free(me_m);
	wa_signal_store_mem_free(peer_m);
	return 0;
}
