/*
 * wa_client.c: run ponton's WhatsApp client against a server (wasim in
 * tests) with a store in an SQLite file, and print what happens as lines:
 *
 *   STATE <old> <new> <reason>
 *   QR <qr string>
 *   PAIRCODE <XXXX-XXXX>
 *   PAIRED <jid> <lid>
 *   CONNECTED
 *   OFFLINE <count>
 *
 * Usage: wa_client --url URL --db FILE [--root-hex HEX | --root-file FILE]
 *          [--phone NUMBER] [--web-version V] [--qr-first-ms MS]
 *          [--qr-next-ms MS] [--backoff-ms MS] [--exit-on EVENT]
 *          [--timeout S]
 * EVENT: connected, paired, offline, or a state name (LOGGED_OUT...).  The tool
 * also exits on a terminal state.  Exit status: 0 if --exit-on was seen
 * (or, without --exit-on, on SIGTERM), 1 otherwise, 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "test/tools/tool.h"

struct tool {
	struct u_loop		*loop;
	struct wa_client	*client;
	const char		*exit_on;
	int			 status;
	struct u_timer		*timeout;
};

static void
quit(struct tool *t, int status)
{
	t->status = status;
	u_loop_stop(t->loop);
}

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct tool *t = arg;

	printf("STATE %s %s %s\n", wa_state_name(old), wa_state_name(cur), reason);
	if (t->exit_on != NULL && strcmp(t->exit_on, wa_state_name(cur)) == 0)
		quit(t, 0);
	else if (wa_state_is_terminal(cur))
		quit(t, 1);
}

static void
on_qr(void *arg, const char *qr)
{
	printf("QR %s\n", qr);
}

static void
on_pair_code(void *arg, const char *code)
{
	printf("PAIRCODE %s\n", code);
}

static void
on_paired(void *arg, const char *jid, const char *lid, const char *platform)
{
	struct tool *t = arg;

	printf("PAIRED %s %s\n", jid, lid);
	if (t->exit_on != NULL && strcmp(t->exit_on, "paired") == 0)
		quit(t, 0);
}

static void
on_connected(void *arg)
{
	struct tool *t = arg;

	printf("CONNECTED\n");
	if (t->exit_on != NULL && strcmp(t->exit_on, "connected") == 0)
		quit(t, 0);
}

static void
on_offline(void *arg, unsigned n)
{
	struct tool *t = arg;

	printf("OFFLINE %u\n", n);
	if (t->exit_on != NULL && strcmp(t->exit_on, "offline") == 0)
		quit(t, 0);
}

static void
on_timeout(void *arg)
{
	struct tool *t = arg;

	printf("TIMEOUT\n");
	quit(t, 1);
}

static void
on_signal(void *arg)
{
	quit(arg, 0);
}

static int
parse_hex32(const char *s, uint8_t out[32])
{
	unsigned v;
	int i;

	if (strlen(s) < 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "db", required_argument, NULL, 'd' },
		{ "root-hex", required_argument, NULL, 'R' },
		{ "root-file", required_argument, NULL, 'r' },
		{ "phone", required_argument, NULL, 'p' },
		{ "web-version", required_argument, NULL, 'V' },
		{ "qr-first-ms", required_argument, NULL, 'q' },
		{ "qr-next-ms", required_argument, NULL, 'Q' },
		{ "backoff-ms", required_argument, NULL, 'b' },
		{ "exit-on", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct wa_client_opts o;
	struct wa_client_cbs cbs = {
		.on_state = on_state, .on_qr = on_qr, .on_pair_code = on_pair_code,
		.on_paired = on_paired, .on_connected = on_connected,
		.on_offline_done = on_offline,
	};
	struct tool t;
	struct db *db = NULL;
	const char *dbpath = NULL;
	uint8_t root[32];
	unsigned timeout_s = 60;
	int ch, r;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.status = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'R':
			if (parse_hex32(optarg, root) != 0)
				goto usage;
			o.trust_root = root;
			break;
		case 'r':
			if (tool_read_root_file(optarg, root) != 0) {
				fprintf(stderr, "wa_client: cannot read %s\n", optarg);
				return 2;
			}
			o.trust_root = root;
			break;
		case 'p': o.pair_phone = optarg; break;
		case 'V': o.web_version = optarg; break;
		case 'q': o.qr_first_ms = (unsigned)atoi(optarg); break;
		case 'Q': o.qr_next_ms = (unsigned)atoi(optarg); break;
		case 'b':
			o.backoff_base_ms = (unsigned)atoi(optarg);
			o.backoff_max_ms = o.backoff_base_ms * 4;
			break;
		case 'e': t.exit_on = optarg; break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL)
		goto usage;
	o.os_name = "ponton-test";
	o.browser_name = "chrome";
	if ((r = db_open(&db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(db)) != 0) {
		fprintf(stderr, "wa_client: database: %s %s\n", u_strerror(r),
		    db != NULL ? db_errmsg(db) : db_open_errmsg());
		db_close(db);
		return 1;
	}
	t.loop = u_loop_new();
	u_loop_on_signal(t.loop, on_signal, &t);
	t.client = wa_client_new(t.loop, &o, &br_wa_store_db_ops, db, &cbs, &t);
	if (wa_client_start(t.client) != 0) {
		printf("REFUSED %s\n", o.url);
		t.status = 1;
	} else {
		t.timeout = u_timer_new(t.loop, on_timeout, &t);
		u_timer_start(t.timeout, (uint64_t)timeout_s * 1000, 0);
		u_loop_run(t.loop);
		u_timer_free(t.timeout);
	}
	wa_client_free(t.client);
	wa_client_shutdown(t.loop);
	u_loop_free(t.loop);
	db_close(db);
	return t.status;
usage:
	fprintf(stderr, "usage: wa_client --url URL --db FILE [--root-hex HEX | "
	    "--root-file FILE] [--phone N] [--web-version V] [--qr-first-ms MS] "
	    "[--qr-next-ms MS] [--backoff-ms MS] [--exit-on EVENT] [--timeout S]\n");
	return 2;
}
