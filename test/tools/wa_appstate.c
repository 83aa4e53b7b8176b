/*
 * wa_appstate.c: ponton's app state sync (waweb/appstate.h) against a
 * server (wasim in tests), with a paired session in an SQLite file (made by
 * wa_client), printing what happens as lines:
 *
 *   CONNECTED
 *   KEYSHARE <message id>            an app state key share from our own
 *                                    account was taken (keys stored)
 *   CONTACT <jid> first=<q> full=<q> fullsync=<0|1>   a ContactAction SET
 *                                    (already stored in whatsmeow_contacts)
 *   PUSHNAME <q>                     a PushNameSetting SET
 *   SYNCED <collection> <version>    one fetch of a collection completed
 *   APPSTATE-ERROR <collection> <error>   a fetch failed (e.g. no key yet)
 *   RECV <sender> <id>               any other decrypted message (stored)
 *   STATE <old> <new> <reason>
 *
 * <q> is the string in double quotes, with \ and " escaped (as Go's %q for
 * plain text).
 *
 * Usage: wa_appstate --url URL --db FILE --root-file FILE [--timeout S]
 *          [--fetch NAME [--full]] [--exit-synced NAME:VERSION]
 * --fetch: once the offline queue is delivered, fetch that collection
 * (--full: from version 0, dropping the stored state).  --exit-synced: exit
 * 0 once NAME was synced at VERSION or later (after a short linger, so the
 * last acks leave); without it the tool runs until the timeout or SIGTERM,
 * which exits 0.  Exit 1 on a timeout or a terminal client state.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/wa_signal_db.h"
#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "waweb/appstate.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/signal.h"
#include "test/tools/tool.h"

#define LINGER_MS 500

struct tool {
	struct u_loop		*loop;
	struct db		*db;
	struct wa_client	*client;
	struct br_wa_signal_db	*sigdb;
	struct wa_signal	*sig;
	struct wa_msg_receiver	*receiver;
	struct wa_appstate	*as;
	const char		*fetch;		/* --fetch */
	int			 full;		/* --full */
	char			 exit_name[32];	/* --exit-synced */
	uint64_t		 exit_version;
	int			 status;
	struct u_timer		*timeout;	/* owned */
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

/* s in double quotes, \ and " escaped, control characters as \xNN. */
static void
print_q(const char *s)
{
	putchar('"');
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
on_contact(void *arg, const struct wa_appstate_contact *c)
{
	printf("CONTACT %s first=", c->jid);
	print_q(c->first_name);
	printf(" full=");
	print_q(c->full_name);
	printf(" fullsync=%d\n", c->full_sync ? 1 : 0);
}

static void
on_push_name(void *arg, const char *name)
{
	printf("PUSHNAME ");
	print_q(name);
	printf("\n");
}

static void
on_synced(void *arg, const char *collection, uint64_t version)
{
	struct tool *t = arg;

	printf("SYNCED %s %" PRIu64 "\n", collection, version);
	if (t->exit_name[0] != '\0' && strcmp(collection, t->exit_name) == 0 &&
	    version >= t->exit_version && t->linger == NULL) {
		t->linger = u_timer_new(t->loop, on_linger, t);
		u_timer_start(t->linger, LINGER_MS, 0);
	}
}

static void
on_as_error(void *arg, const char *collection, int err)
{
	printf("APPSTATE-ERROR %s %s\n", collection, u_strerror(err));
}

static int
on_message(void *arg, const struct wa_msg_event *ev)
{
	struct tool *t = arg;
	char s[WA_JID_STR_MAX];

	if (wa_appstate_handle_message(t->as, ev) == 1) {
		printf("KEYSHARE %s\n", ev->id);
		return 0;
	}
	printf("RECV %s %s\n", wa_jid_format(&ev->sender, s, sizeof(s)),
	    ev->id);
	return 0;
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
	t->receiver = wa_msg_receiver_new(t->client, t->sig, &rcbs, t);
}

static void
on_offline(void *arg, unsigned count)
{
	struct tool *t = arg;
	const char *names[1];
	int r;

	if (t->fetch == NULL)
		return;
	names[0] = t->fetch;
	if ((r = wa_appstate_fetch(t->as, names, 1, t->full)) != 0) {
		printf("FETCH-FAIL %s %s\n", t->fetch, u_strerror(r));
		quit(t, 1);
	}
	t->fetch = NULL;
}

static void
on_node(void *arg, const struct wa_node *n)
{
	struct tool *t = arg;

	if (wa_appstate_handle_node(t->as, n))
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
	quit(arg, 0);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "db", required_argument, NULL, 'd' },
		{ "root-file", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "fetch", required_argument, NULL, 'f' },
		{ "full", no_argument, NULL, 'F' },
		{ "exit-synced", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	struct wa_client_opts o;
	struct wa_client_cbs cbs = {
		.on_state = on_state, .on_connected = on_connected,
		.on_offline_done = on_offline, .on_node = on_node,
	};
	struct wa_appstate_cbs acbs = {
		.on_contact = on_contact, .on_push_name = on_push_name,
		.on_synced = on_synced, .on_error = on_as_error,
	};
	struct wa_appstate_opts ao;
	struct tool t;
	const char *dbpath = NULL, *colon;
	uint8_t root[32];
	unsigned timeout_s = 60;
	int ch, r;

	memset(&o, 0, sizeof(o));
	memset(&ao, 0, sizeof(ao));
	memset(&t, 0, sizeof(t));
	t.status = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'r':
			if (tool_read_root_file(optarg, root) != 0) {
				fprintf(stderr, "wa_appstate: cannot read %s\n",
				    optarg);
				return 2;
			}
			o.trust_root = root;
			break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		case 'f':
			if (!wa_appstate_collection_known(optarg))
				goto usage;
			t.fetch = optarg;
			break;
		case 'F': t.full = 1; break;
		case 'x':
			colon = strchr(optarg, ':');
			if (colon == NULL || (size_t)(colon - optarg) >=
			    sizeof(t.exit_name) || colon == optarg)
				goto usage;
			memcpy(t.exit_name, optarg, (size_t)(colon - optarg));
			t.exit_version = strtoull(colon + 1, NULL, 10);
			break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL || o.trust_root == NULL ||
	    (t.full && t.fetch == NULL))
		goto usage;
	o.os_name = "ponton-test";
	o.browser_name = "chrome";
	if ((r = db_open(&t.db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(t.db)) != 0) {
		fprintf(stderr, "wa_appstate: database: %s\n", u_strerror(r));
		db_close(t.db);
		return 1;
	}
	t.loop = u_loop_new();
	u_loop_on_signal(t.loop, on_signal, &t);
	t.client = wa_client_new(t.loop, &o, &br_wa_store_db_ops, t.db, &cbs,
	    &t);
	ao.client = t.client;
	ao.ops = &br_wa_store_db_ops;
	ao.store_arg = t.db;
	t.as = wa_appstate_new(&ao, &acbs, &t);
	if (wa_client_start(t.client) != 0) {
		printf("REFUSED %s\n", o.url);
	} else {
		t.timeout = u_timer_new(t.loop, on_timeout, &t);
		u_timer_start(t.timeout, (uint64_t)timeout_s * 1000, 0);
		u_loop_run(t.loop);
		u_timer_free(t.timeout);
		u_timer_free(t.linger);
	}
	wa_appstate_free(t.as);
	wa_client_free(t.client);
	wa_msg_receiver_free(t.receiver);
	wa_signal_free(t.sig);
	br_wa_signal_db_free(t.sigdb);
	wa_client_shutdown(t.loop);
	u_loop_free(t.loop);
	db_close(t.db);
	return t.status;
usage:
	fprintf(stderr, "usage: wa_appstate --url URL --db FILE --root-file "
	    "FILE [--timeout S] [--fetch NAME [--full]] "
	    "[--exit-synced NAME:VERSION]\n");
	return 2;
}
