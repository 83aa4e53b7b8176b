/*
 * wa_msg.c: ponton's 1:1 text messaging against a server (wasim in tests),
 * with a paired session in an SQLite file (made by wa_client), printing
 * events as lines:
 *
 *   CONNECTED
 *   SENT <id>                       the server acked our message
 *   SEND-FAIL <id> <error> <code>   it did not (code: the server's, or 0)
 *   RECV <chat> <sender_pn|-> <from_me 0|1> <id> <text>   a decrypted
 *                                   text, stored
 *   UNDECRYPTABLE <sender> <id> <error>
 *   GROUP <gid>                     --group-create made this group
 *   GROUP-OP <add|remove> <jid> ok|<error>
 *   RECEIPT <type|delivery> <chat> <sender> <id>[,<id>...]
 *   REACT <target id> <emoji>       a --react went out (then SENT <id>)
 *
 * In a group RECV's chat is the group and sender_pn the participant's
 * phone number.
 *
 * Usage: wa_msg --url URL --db FILE --root-file FILE [--timeout S]
 *          [--to JID] [--send TEXT]... [--expect N] [--send-after-recv N]
 *          [--linger-ms MS] [--group-create SUBJECT [--member JID]...]
 *          [--add JID]... [--remove JID]... [--read] [--react EMOJI]...
 * --group-create: a raw <iq xmlns=w:g2 type=set><create> (the group API is
 * waweb/group.h's); the new group is then --to.  --send, --add and
 * --remove run one after the other in command-line order (--add/--remove:
 * raw iqs changing --to's members).  --read: a read receipt for every
 * message received.  --react: a reactionMessage (built here at the
 * protobuf wire level, sent with wa_msg_send type "reaction",
 * decrypt-fail hide) to the last message received, in its chat; it waits
 * for --send-after-recv like a send.
 * The --send texts go to --to one after another, each once the previous
 * one is acked (so their order is kept), after the offline queue has been
 * delivered, or, with --send-after-recv N, once N messages were received.
 * The tool exits 0 when every send was acked and --expect messages were
 * received, 1 on a failure or timeout.
 *
 * "Stored" is the tool printing the line: the receiver's callback returns
 * 0 after it, so receipts and acks follow the print.
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

#define MAX_SENDS 64
#define MAX_OPS 16

struct tool {
	struct u_loop		*loop;
	struct db		*db;
	struct wa_client	*client;
	struct br_wa_signal_db	*sigdb;
	struct wa_signal	*sig;
	struct wa_msg_sender	*sender;
	struct wa_msg_receiver	*receiver;
	const char		*to;
	char			 group[WA_JID_STR_MAX];
	const char		*create;	/* --group-create subject */
	const char		*members[MAX_OPS];
	unsigned		 nmembers;
	/* --send / --add / --remove in order: kind 's', 'a' or 'r'. */
	struct {
		char		 kind;
		const char	*arg;
	}			 acts[MAX_SENDS];
	unsigned		 nacts, next_act, nsends, acked;
	int			 busy;		/* an action is in flight */
	int			 read;
	/* The last message received, for --react. */
	char			 last_chat[WA_JID_STR_MAX];
	char			 last_sender[WA_JID_STR_MAX];
	char			 last_id[WA_MSG_ID_MAX];
	int			 last_group;
	int			 offline_done;
	unsigned		 expect, received, send_after, linger_ms;
	int			 status;
	struct u_timer		*timeout;
	struct u_timer		*linger;	/* owned */
};

/* Once done, stay this long (--linger-ms) so the last receipts and acks
 * leave (the client does not flush its socket when stopped) and retry
 * receipts from peers can be answered. */
#define LINGER_MS 500

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
	if (t->next_act == t->nacts && !t->busy && t->create == NULL &&
	    t->received >= t->expect && t->linger == NULL) {
		t->linger = u_timer_new(t->loop, on_linger, t);
		u_timer_start(t->linger, t->linger_ms, 0);
	}
}

static void step(struct tool *t);

static void
on_sent(void *arg, const char *id, int err, int code)
{
	struct tool *t = arg;

	t->busy = 0;
	if (err != 0) {
		printf("SEND-FAIL %s %s %d\n", id, u_strerror(err), code);
		quit(t, 1);
		return;
	}
	printf("SENT %s\n", id);
	t->acked++;
	step(t);
	check_done(t);
}

static int
on_message(void *arg, const struct wa_msg_event *ev)
{
	struct tool *t = arg;
	char chat[WA_JID_STR_MAX], pn[WA_JID_STR_MAX];

	if (ev->text == NULL)
		return 0;
	printf("RECV %s %s %d %s %s\n", wa_jid_format(&ev->chat, chat,
	    sizeof(chat)), ev->has_sender_pn ? wa_jid_format(&ev->sender_pn,
	    pn, sizeof(pn)) : "-", ev->from_me, ev->id, ev->text);
	t->received++;
	{
		struct wa_jid sj = wa_jid_to_non_ad(&ev->sender);

		snprintf(t->last_chat, sizeof(t->last_chat), "%s", chat);
		wa_jid_format(&sj, t->last_sender, sizeof(t->last_sender));
		snprintf(t->last_id, sizeof(t->last_id), "%s", ev->id);
		t->last_group = ev->is_group;
	}
	if (t->read && !ev->from_me) {
		char snd[WA_JID_STR_MAX];
		const char *ids[1] = { ev->id };

		wa_jid_format(&ev->sender, snd, sizeof(snd));
		if (wa_msg_send_read(t->sender, chat, ev->is_group ? snd :
		    NULL, ids, 1) != 0)
			printf("READ-FAIL %s\n", ev->id);
	}
	step(t);
	check_done(t);
	return 0;
}

static void
on_receipt(void *arg, const struct wa_msg_receipt *r)
{
	char chat[WA_JID_STR_MAX], snd[WA_JID_STR_MAX];
	size_t i;

	printf("RECEIPT %s %s %s ", r->type != NULL ? r->type : "delivery",
	    wa_jid_format(&r->chat, chat, sizeof(chat)),
	    wa_jid_format(&r->sender, snd, sizeof(snd)));
	for (i = 0; i < r->n; i++)
		printf("%s%s", i > 0 ? "," : "", r->ids[i]);
	printf("\n");
}

static void
on_op(void *arg, const struct wa_node *res, int err)
{
	struct tool *t = arg;
	const struct wa_node *act = res != NULL ? wa_node_child_at(res, 0) :
	    NULL;
	const struct wa_node *p = act != NULL ? wa_node_child_at(act, 0) : NULL;
	const char *e = p != NULL ? wa_node_attr(p, "error") : NULL;
	const char *type = res != NULL ? wa_node_attr(res, "type") : NULL;

	if (err == 0 && type != NULL && strcmp(type, "error") == 0)
		err = WA_ERR_IQ;
	printf("GROUP-OP %s %s %s\n", t->acts[t->next_act].kind == 'a' ?
	    "add" : "remove", t->acts[t->next_act].arg, err != 0 ?
	    u_strerror(err) : e != NULL ? e : "ok");
	if (err != 0 || e != NULL) {
		quit(t, 1);
		return;
	}
	t->next_act++;
	t->busy = 0;
	step(t);
	check_done(t);
}

static void
on_created(void *arg, const struct wa_node *res, int err)
{
	struct tool *t = arg;
	const struct wa_node *g = res != NULL ? wa_node_child(res, "group") :
	    NULL;
	const char *id = g != NULL ? wa_node_attr(g, "id") : NULL;

	if (err != 0 || id == NULL) {
		printf("GROUP-FAIL %s\n", err != 0 ? u_strerror(err) : "no id");
		quit(t, 1);
		return;
	}
	snprintf(t->group, sizeof(t->group), "%s@g.us", id);
	t->to = t->group;
	printf("GROUP %s\n", t->group);
	t->create = NULL;
	t->busy = 0;
	step(t);
	check_done(t);
}

static size_t
put_ld(uint8_t *p, unsigned field, const void *b, size_t n)
{
	size_t o = 0;
	uint64_t v = ((uint64_t)field << 3) | 2;

	do {
		p[o++] = (uint8_t)(v | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	v = n;
	do {
		p[o++] = (uint8_t)(v | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	memcpy(p + o, b, n);
	return o + n;
}

/* E2EMessage{reactionMessage(46){key(1){remoteJID 1, fromMe 2, ID 3,
 * participant 4}, text 2}} (WAE2E / WACommon field numbers). */
static size_t
reaction(const struct tool *t, const char *emoji, uint8_t *out)
{
	uint8_t key[512], rm[1024];
	size_t k = 0, r = 0;

	k += put_ld(key, 1, t->last_chat, strlen(t->last_chat));
	key[k++] = 0x10;	/* fromMe = false */
	key[k++] = 0;
	k += put_ld(key + k, 3, t->last_id, strlen(t->last_id));
	if (t->last_group)
		k += put_ld(key + k, 4, t->last_sender, strlen(t->last_sender));
	r += put_ld(rm, 1, key, k);
	r += put_ld(rm + r, 2, emoji, strlen(emoji));
	return put_ld(out, 46, rm, r);
}

/* The next action: the group creation, then --send/--add/--remove in
 * order (a send waits for --send-after-recv), each once the previous one
 * is done. */
static void
step(struct tool *t)
{
	struct wa_node *iq, *x, *p;
	struct wa_jid j;
	char id[WA_MSG_ID_MAX];
	unsigned i;
	int r;

	if (t->busy || !t->offline_done || t->sender == NULL)
		return;
	if (t->create == NULL && t->next_act >= t->nacts)
		return;
	if (t->create == NULL && t->acts[t->next_act].kind == 'x') {
		struct wa_msg_send_opts ro = { .type = "reaction",
		    .decrypt_fail_hide = 1 };
		uint8_t buf[2048];
		size_t n;

		if (t->received < t->send_after || t->last_id[0] == '\0')
			return;
		if (strlen(t->acts[t->next_act].arg) > 64)
			abort();
		n = reaction(t, t->acts[t->next_act].arg, buf);
		r = wa_msg_send(t->sender, t->last_chat, buf, n, &ro, id,
		    on_sent, t);
		if (r != 0) {
			printf("SEND-FAIL - %s 0\n", u_strerror(r));
			quit(t, 1);
			return;
		}
		printf("REACT %s %s\n", t->last_id, t->acts[t->next_act].arg);
		t->next_act++;
		t->busy = 1;
		return;
	}
	if (t->create == NULL && t->acts[t->next_act].kind == 's') {
		if (t->received < t->send_after)
			return;
		r = wa_msg_send_text(t->sender, t->to, t->acts[t->next_act].arg,
		    id, on_sent, t);
		if (r != 0) {
			printf("SEND-FAIL - %s 0\n", u_strerror(r));
			quit(t, 1);
			return;
		}
		t->next_act++;
		t->busy = 1;
		return;
	}
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", "w:g2");
	wa_node_set_attr(iq, "type", "set");
	t->busy = 1;
	if (t->create != NULL) {
		wa_msg_new_id(id);
		wa_node_set_attr(iq, "to", "@g.us");
		x = wa_node_new("create");
		wa_node_set_attr(x, "subject", t->create);
		wa_node_set_attr(x, "key", id);
		for (i = 0; i < t->nmembers; i++) {
			if (wa_jid_parse(t->members[i], &j) != 0)
				continue;
			p = wa_node_new("participant");
			wa_node_set_attr_jid(p, "jid", &j);
			wa_node_add_child(x, p);
		}
		wa_node_add_child(iq, x);
		if (wa_client_send_iq(t->client, iq, 0, on_created, t) != 0)
			quit(t, 1);
		return;
	}
	if (wa_jid_parse(t->to, &j) != 0)
		abort();
	wa_node_set_attr_jid(iq, "to", &j);
	x = wa_node_new(t->acts[t->next_act].kind == 'a' ? "add" : "remove");
	p = wa_node_new("participant");
	if (wa_jid_parse(t->acts[t->next_act].arg, &j) == 0)
		wa_node_set_attr_jid(p, "jid", &j);
	wa_node_add_child(x, p);
	wa_node_add_child(iq, x);
	if (wa_client_send_iq(t->client, iq, 0, on_op, t) != 0)
		quit(t, 1);
}

static void
on_undecryptable(void *arg, const struct wa_msg_event *ev, int err)
{
	char s[WA_JID_STR_MAX];

	printf("UNDECRYPTABLE %s %s %s\n", wa_jid_format(&ev->sender, s,
	    sizeof(s)), ev->id, u_strerror(err));
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
	wa_msg_sender_set_receipt_cb(t->sender, on_receipt, t);
	t->receiver = wa_msg_receiver_new(t->client, t->sig, &rcbs, t);
}

static void
on_offline(void *arg, unsigned count)
{
	struct tool *t = arg;

	t->offline_done = 1;
	step(t);
	check_done(t);
}

static void
on_node(void *arg, const struct wa_node *n)
{
	struct tool *t = arg;

	if (t->sender != NULL && wa_msg_sender_handle_node(t->sender, n))
		return;
	if (t->receiver != NULL && wa_msg_receiver_handle_node(t->receiver, n))
		return;
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
		{ "to", required_argument, NULL, 'T' },
		{ "send", required_argument, NULL, 's' },
		{ "expect", required_argument, NULL, 'e' },
		{ "send-after-recv", required_argument, NULL, 'a' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "group-create", required_argument, NULL, 'g' },
		{ "member", required_argument, NULL, 'm' },
		{ "add", required_argument, NULL, 'A' },
		{ "remove", required_argument, NULL, 'R' },
		{ "read", no_argument, NULL, 'D' },
		{ "react", required_argument, NULL, 'X' },
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
	t.linger_ms = LINGER_MS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'r':
			if (tool_read_root_file(optarg, root) != 0) {
				fprintf(stderr, "wa_msg: cannot read %s\n", optarg);
				return 2;
			}
			o.trust_root = root;
			break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		case 'T': t.to = optarg; break;
		case 's':
		case 'A':
		case 'R':
		case 'X':
			if (t.nacts >= MAX_SENDS)
				goto usage;
			t.acts[t.nacts].kind = ch == 's' ? 's' : ch == 'A' ?
			    'a' : ch == 'R' ? 'r' : 'x';
			t.acts[t.nacts++].arg = optarg;
			if (ch == 's' || ch == 'X')
				t.nsends++;
			break;
		case 'e': t.expect = (unsigned)atoi(optarg); break;
		case 'a': t.send_after = (unsigned)atoi(optarg); break;
		case 'l': t.linger_ms = (unsigned)atoi(optarg); break;
		case 'g': t.create = optarg; break;
		case 'm':
			if (t.nmembers >= MAX_OPS)
				goto usage;
			t.members[t.nmembers++] = optarg;
			break;
		case 'D': t.read = 1; break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL || o.trust_root == NULL ||
	    (t.nacts > 0 && t.to == NULL && t.create == NULL))
		goto usage;
	o.os_name = "ponton-test";
	o.browser_name = "chrome";
	if ((r = db_open(&t.db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(t.db)) != 0) {
		fprintf(stderr, "wa_msg: database: %s\n", u_strerror(r));
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
	fprintf(stderr, "usage: wa_msg --url URL --db FILE --root-file FILE "
	    "[--timeout S] [--to JID] [--send TEXT]... [--expect N] "
	    "[--send-after-recv N] [--linger-ms MS] [--group-create SUBJECT "
	    "[--member JID]...] [--add JID]... [--remove JID]... [--read] "
	    "[--react EMOJI]...\n");
	return 2;
}
