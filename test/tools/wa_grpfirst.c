/*
 * wa_grpfirst.c: ponton's side of test/wa/46 (a peer's first message in a
 * group it has just created with us).  Connects with a paired session in
 * an SQLite file (made by wa_client), reads group messages, and with
 * --greet answers every group creation it is told of (<notification
 * type=w:gp2><create>) at once with a text of its own, as the bridge's
 * community welcome does, so that our SKDM and the creator's cross.
 * Lines on stdout:
 *
 *   CONNECTED
 *   GREET <gid>                 a --greet text is being sent to a new group
 *   SENT <id>                   the server acked it
 *   SEND-FAIL <id|-> <error> <code>
 *   RECV <chat> <sender_pn|-> <id> <text>   a decrypted text, stored
 *   UNDECRYPTABLE <sender> <id> <error>     (a retry receipt was sent)
 *
 * Usage: wa_grpfirst --url URL --db FILE --root-file FILE [--timeout S]
 *          [--expect N] [--greet] [--linger-ms MS]
 * Exits 0 once --expect texts were received and every greeting was acked
 * (then after --linger-ms, default 1000, so that receipts leave and retry
 * re-sends come in), 1 on a failure or timeout.
 * Does not: create groups (the peers do), send anything else.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/wa_signal_db.h"
#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "test/tools/tool.h"

struct tool {
	struct u_loop		*loop;
	struct db		*db;
	struct wa_client	*client;
	struct br_wa_signal_db	*sigdb;
	struct wa_signal	*sig;
	struct wa_msg_sender	*sender;
	struct wa_msg_receiver	*receiver;
	int			 greet;
	unsigned		 expect, received, greets, acked, linger_ms;
	int			 status;
	struct u_timer		*timeout;
	struct u_timer		*linger;	/* owned */
};

static void
quit(struct tool *t, int status)
{
	t->status = status;
	u_loop_stop(t->loop);
}

static void
on_linger(void *arg)
{
	quit(arg, 0);
}

static void
check_done(struct tool *t)
{
	if (t->received >= t->expect && t->acked == t->greets &&
	    t->linger == NULL) {
		t->linger = u_timer_new(t->loop, on_linger, t);
		u_timer_start(t->linger, t->linger_ms, 0);
	}
}

static void
on_sent(void *arg, const char *id, int err, int code)
{
	struct tool *t = arg;

	if (err != 0) {
		printf("SEND-FAIL %s %s %d\n", id, u_strerror(err), code);
		quit(t, 1);
		return;
	}
	printf("SENT %s\n", id);
	t->acked++;
	check_done(t);
}

static int
on_message(void *arg, const struct wa_msg_event *ev)
{
	struct tool *t = arg;
	char chat[WA_JID_STR_MAX], pn[WA_JID_STR_MAX];

	if (ev->text == NULL)
		return 0;
	printf("RECV %s %s %s %s\n", wa_jid_format(&ev->chat, chat,
	    sizeof(chat)), ev->has_sender_pn ? wa_jid_format(&ev->sender_pn,
	    pn, sizeof(pn)) : "-", ev->id, ev->text);
	t->received++;
	check_done(t);
	return 0;
}

static void
on_undecryptable(void *arg, const struct wa_msg_event *ev, int err)
{
	char s[WA_JID_STR_MAX];

	(void)arg;
	printf("UNDECRYPTABLE %s %s %s\n", wa_jid_format(&ev->sender, s,
	    sizeof(s)), ev->id, u_strerror(err));
}

/* A group we were just put in: greet it now (--greet). */
static void
on_create(struct tool *t, const struct wa_node *n)
{
	struct wa_jid gid;
	char gs[WA_JID_STR_MAX], id[WA_MSG_ID_MAX], text[WA_JID_STR_MAX + 16];
	int r;

	if (wa_node_attr_jid(n, "from", &gid) != 0 || !wa_jid_is_group(&gid))
		return;
	wa_jid_format(&gid, gs, sizeof(gs));
	snprintf(text, sizeof(text), "hello %s", gs);
	printf("GREET %s\n", gs);
	if ((r = wa_msg_send_text(t->sender, gs, text, id, on_sent, t)) != 0) {
		printf("SEND-FAIL - %s 0\n", u_strerror(r));
		quit(t, 1);
		return;
	}
	t->greets++;
}

static void
on_node(void *arg, const struct wa_node *n)
{
	struct tool *t = arg;
	const char *type;

	if (t->sender != NULL && wa_msg_sender_handle_node(t->sender, n))
		return;
	if (t->receiver != NULL && wa_msg_receiver_handle_node(t->receiver, n))
		return;
	if (strcmp(n->tag, "notification") != 0)
		return;
	wa_client_send_ack(t->client, n);
	if (t->greet && t->sender != NULL &&
	    (type = wa_node_attr(n, "type")) != NULL &&
	    strcmp(type, "w:gp2") == 0 && wa_node_child(n, "create") != NULL)
		on_create(t, n);
}

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct tool *t = arg;

	printf("STATE %s %s %s\n", wa_state_name(old), wa_state_name(cur),
	    reason);
	if (wa_state_is_terminal(cur))
		quit(t, 1);
}

static void
on_connected(void *arg)
{
	struct tool *t = arg;
	const struct wa_device *dev = wa_client_device(t->client);
	struct wa_msg_receiver_cbs rcbs = {
		.on_message = on_message, .on_undecryptable = on_undecryptable,
	};

	printf("CONNECTED\n");
	if (t->sig != NULL)
		return;
	t->sigdb = br_wa_signal_db_new(t->db, dev->jid);
	t->sig = wa_signal_new(&br_wa_signal_db_ops, t->sigdb);
	t->sender = wa_msg_sender_new(t->loop, t->client, t->sig);
	t->receiver = wa_msg_receiver_new(t->client, t->sig, &rcbs, t);
}

static void
on_offline(void *arg, unsigned count)
{
	(void)count;
	check_done(arg);
}

static void
on_timeout(void *arg)
{
	printf("TIMEOUT\n");
	quit(arg, 1);
}

static void
on_signal(void *arg)
{
	quit(arg, 1);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "db", required_argument, NULL, 'd' },
		{ "root-file", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "expect", required_argument, NULL, 'e' },
		{ "greet", no_argument, NULL, 'g' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct wa_client_opts o;
	struct wa_client_cbs cbs = {
		.on_state = on_state, .on_connected = on_connected,
		.on_offline_done = on_offline, .on_node = on_node,
	};
	struct tool t;
	const char *dbpath = NULL;
	uint8_t root[32];
	unsigned timeout_s = 60;
	int ch, r;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.status = 1;
	t.linger_ms = 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'r':
			if (tool_read_root_file(optarg, root) != 0) {
				fprintf(stderr, "wa_grpfirst: cannot read %s\n",
				    optarg);
				return 2;
			}
			o.trust_root = root;
			break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		case 'e': t.expect = (unsigned)atoi(optarg); break;
		case 'g': t.greet = 1; break;
		case 'l': t.linger_ms = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL || o.trust_root == NULL)
		goto usage;
	o.os_name = "ponton-test";
	o.browser_name = "chrome";
	if ((r = db_open(&t.db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(t.db)) != 0) {
		fprintf(stderr, "wa_grpfirst: database: %s\n", u_strerror(r));
		db_close(t.db);
		return 1;
	}
	t.loop = u_loop_new();
	u_loop_on_signal(t.loop, on_signal, &t);
	t.client = wa_client_new(t.loop, &o, &br_wa_store_db_ops, t.db, &cbs,
	    &t);
	if (wa_client_start(t.client) != 0) {
		printf("REFUSED %s\n", o.url);
	} else {
		t.timeout = u_timer_new(t.loop, on_timeout, &t);
		u_timer_start(t.timeout, (uint64_t)timeout_s * 1000, 0);
		u_loop_run(t.loop);
		u_timer_free(t.timeout);
		u_timer_free(t.linger);
	}
	wa_msg_sender_free(t.sender);
	wa_client_free(t.client);
	wa_msg_receiver_free(t.receiver);
	wa_signal_free(t.sig);
	br_wa_signal_db_free(t.sigdb);
	wa_client_shutdown(t.loop);
	u_loop_free(t.loop);
	db_close(t.db);
	return t.status;
usage:
	fprintf(stderr, "usage: wa_grpfirst --url URL --db FILE --root-file "
	    "FILE [--timeout S] [--expect N] [--greet] [--linger-ms MS]\n");
	return 2;
}
