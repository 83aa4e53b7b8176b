/*
 * br_net_drive.c: drive the bridge's network side (bridge/net.h on
 * bridge/net_wa.c) against a WhatsApp server (wasim in tests) with the
 * bridge database in an SQLite file, and print what the core would see:
 *
 *   QR <qr string>              a login flow's QR (each rotation)
 *   PNG <bytes> <px>            the QR rendered by bridge/qr_png.c
 *   CODE <XXXX-XXXX>            a login flow's pairing code
 *   SUCCESS <login ID> <remote name>
 *   FAILURE <code> <reason>
 *   STATE <login ID> <event> <error or ->
 *   LOGINS <user> <id,id,...>   logins_of after start
 *   GONE <login ID>
 *
 * Usage: br_net_drive --db FILE --url URL --root-file FILE
 *          [--user MXID] [--qr-first-ms MS] [--qr-next-ms MS]
 *          [--timeout S] ACTION
 * ACTION: qr | phone NUMBER | run [--logout ID [--send-first CHAT]] |
 *         cancel-after-qr
 * --send-first: once ID is synced, send a text to CHAT, then log out
 * 1.5 s later; its completion prints SENT <rc> <reason>.
 * Also: br_net_drive qr-png TEXT FILE writes bridge/qr_png.c's PNG of
 * TEXT (no database or server needed), so a test can compare an image
 * the bot sent byte for byte.
 * qr/phone exit 0 after SUCCESS; run starts every stored login and exits
 * 0 once each is CONNECTED (after logging out --logout ID and seeing it
 * GONE, if given); 1 on failure or timeout, 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/net.h"
#include "bridge/qr_png.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "test/tools/tool.h"

struct drive {
	struct u_loop		*loop;
	struct br_net		*net;
	const char		*user;
	const char		*logout_id;
	const char		*send_chat;	/* --send-first */
	struct br_net_login	*send_login;
	struct u_timer		*send_timer;
	int			 logout_sent;
	int			 cancel_after_qr;
	struct br_net_flow	*flow;
	int			 status;
	int			 done;
};

static void
quit(struct drive *d, int status)
{
	if (d->done)
		return;
	d->done = 1;
	d->status = status;
	u_loop_stop(d->loop);
}

static void
cancel_now(void *arg)
{
	struct drive *d = arg;

	d->net->ops->flow_cancel(d->flow);
	d->flow = NULL;
	printf("CANCELLED\n");
	quit(d, 0);
}

static void
on_qr(void *arg, const char *qr)
{
	struct drive *d = arg;
	uint8_t *png = NULL;
	size_t len;
	unsigned px, sc;

	printf("QR %s\n", qr);
	if (br_qr_png(qr, &png, &len, &px, &sc) == 0)
		printf("PNG %zu %u\n", len, px);
	free(png);
	if (d->cancel_after_qr)
		u_loop_defer(d->loop, cancel_now, d);
}

static void
on_code(void *arg, const char *code)
{
	printf("CODE %s\n", code);
}

static void
on_success(void *arg, struct br_net_login *l)
{
	struct drive *d = arg;
	const struct br_net_login_info *i = d->net->ops->info(l);

	printf("SUCCESS %s %s %s\n", i->id, i->remote_name, i->user_mxid);
	d->flow = NULL;
	quit(d, 0);
}

static void
on_failure(void *arg, int err, const char *reason)
{
	struct drive *d = arg;

	printf("FAILURE %d %s\n", err, reason != NULL ? reason : "");
	d->flow = NULL;
	quit(d, 1);
}

static int
all_connected(struct drive *d)
{
	struct br_net_login *v[16];
	size_t n = d->net->ops->logins_of(d->net, d->user, v, 16), i;

	for (i = 0; i < n; i++)
		if (d->net->ops->info(v[i])->state.event != BR_NET_CONNECTED)
			return 0;
	return n > 0;
}

static void
sent_first(void *arg, int rc, const struct br_net_result *r)
{
	(void)arg;
	printf("SENT %d %s\n", rc, r != NULL && r->reason != NULL ?
	    r->reason : "-");
}

static void
logout_now(void *arg)
{
	struct drive *d = arg;

	if (d->net->ops->logout(d->send_login) != 0)
		quit(d, 1);
}

static void
on_state(void *arg, struct br_net_login *l, const struct br_net_state *st)
{
	struct drive *d = arg;
	const struct br_net_login_info *i = d->net->ops->info(l);

	printf("STATE %s %s %s\n", i->id, br_net_state_event_name(st->event),
	    st->error != NULL ? st->error : "-");
	if (d->flow != NULL)
		return;
	if (d->logout_id != NULL && !d->logout_sent &&
	    st->event == BR_NET_CONNECTED &&
	    strcmp(i->id, d->logout_id) == 0) {
		if (d->send_chat != NULL)
			return;		/* on_synced sends, then logs out */
		d->logout_sent = 1;
		if (d->net->ops->logout(l) != 0)
			quit(d, 1);
		return;
	}
	if (d->logout_id == NULL && all_connected(d))
		quit(d, 0);
}

/* --send-first: the login's messaging is up once it is synced. */
static void
on_synced(void *arg, struct br_net_login *l)
{
	struct drive *d = arg;
	const struct br_net_login_info *i = d->net->ops->info(l);

	if (d->send_chat != NULL && !d->logout_sent && d->logout_id != NULL &&
	    strcmp(i->id, d->logout_id) == 0) {
		d->logout_sent = 1;
		{
			struct br_net_content c;

			memset(&c, 0, sizeof(c));
			c.kind = BR_NET_KIND_TEXT;
			c.text = "in flight at logout";
			if (d->net->ops->send(l, d->send_chat, &c, sent_first,
			    d) != 0) {
				printf("SEND_REFUSED\n");
				quit(d, 1);
				return;
			}
			d->send_login = l;
			d->send_timer = u_timer_new(d->loop, logout_now, d);
			u_timer_start(d->send_timer, 1500, 0);
		}
	}
}

static void
on_gone(void *arg, struct br_net_login *l)
{
	struct drive *d = arg;
	const struct br_net_login_info *i = d->net->ops->info(l);

	printf("GONE %s\n", i->id != NULL ? i->id : "(pending)");
	if (d->logout_id != NULL && i->id != NULL &&
	    strcmp(i->id, d->logout_id) == 0)
		quit(d, 0);
}

static void
on_timeout(void *arg)
{
	printf("TIMEOUT\n");
	quit(arg, 1);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, 'u' },
		{ "root-file", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'U' },
		{ "qr-first-ms", required_argument, NULL, 'q' },
		{ "qr-next-ms", required_argument, NULL, 'Q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "logout", required_argument, NULL, 'L' },
		{ "send-first", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct br_net_wa_opts o;
	struct br_net_events ev = {
		.on_state = on_state, .on_login_gone = on_gone,
		.on_synced = on_synced,
	};
	struct br_net_flow_cbs cbs = {
		.on_qr = on_qr, .on_code = on_code, .on_success = on_success,
		.on_failure = on_failure,
	};
	struct drive d;
	struct db *db = NULL;
	struct u_timer *t = NULL;
	const char *dbpath = NULL, *action;
	uint8_t root[32];
	unsigned timeout_s = 60;
	int ch, r;

	if (argc == 4 && strcmp(argv[1], "qr-png") == 0) {
		uint8_t *png = NULL;
		size_t len;
		unsigned px, sc;
		FILE *f;

		if (br_qr_png(argv[2], &png, &len, &px, &sc) != 0 ||
		    (f = fopen(argv[3], "wb")) == NULL)
			return 1;
		r = fwrite(png, 1, len, f) == len ? 0 : 1;
		if (fclose(f) != 0)
			r = 1;
		free(png);
		return r;
	}
	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	d.status = 1;
	d.user = "@alice:localhost";
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dbpath = optarg; break;
		case 'u': o.url = optarg; break;
		case 'r':
			if (tool_read_root_file(optarg, root) != 0)
				return 2;
			o.trust_root = root;
			break;
		case 'U': d.user = optarg; break;
		case 'q': o.qr_first_ms = (unsigned)atoi(optarg); break;
		case 'Q': o.qr_next_ms = (unsigned)atoi(optarg); break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		case 'L': d.logout_id = optarg; break;
		case 'S': d.send_chat = optarg; break;
		default: goto usage;
		}
	}
	if (dbpath == NULL || optind >= argc)
		goto usage;
	action = argv[optind];
	o.backoff_base_ms = 200;
	if ((r = db_open(&db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(db)) != 0) {
		fprintf(stderr, "br_net_drive: database: %s\n", u_strerror(r));
		return 1;
	}
	d.loop = u_loop_new();
	ev.arg = &d;
	if (br_net_wa_new(d.loop, NULL, db, &o, &ev, &d.net) != 0)
		return 1;
	t = u_timer_new(d.loop, on_timeout, &d);
	u_timer_start(t, (uint64_t)timeout_s * 1000, 0);
	if (strcmp(action, "qr") == 0 || strcmp(action, "cancel-after-qr") == 0) {
		d.cancel_after_qr = action[0] == 'c';
		r = d.net->ops->flow_start(d.net, d.user, BR_NET_FLOW_QR, NULL,
		    &cbs, &d, &d.flow);
	} else if (strcmp(action, "phone") == 0 && optind + 1 < argc) {
		r = d.net->ops->flow_start(d.net, d.user, BR_NET_FLOW_PHONE,
		    argv[optind + 1], &cbs, &d, &d.flow);
	} else if (strcmp(action, "run") == 0) {
		r = d.net->ops->start(d.net);
		if (r == 0) {
			struct br_net_login *v[16];
			size_t n = d.net->ops->logins_of(d.net, d.user, v, 16), i;

			printf("LOGINS %s ", d.user);
			for (i = 0; i < n; i++)
				printf("%s%s", i ? "," : "",
				    d.net->ops->info(v[i])->id);
			printf("\n");
			if (n == 0)
				quit(&d, 1);
		}
	} else
		goto usage;
	if (r != 0) {
		printf("FAILURE %d %s\n", r, br_net_strerror(r));
		d.status = 1;
	} else if (!d.done)
		u_loop_run(d.loop);
	u_timer_free(t);
	u_timer_free(d.send_timer);
	d.net->ops->free(d.net);
	u_loop_free(d.loop);
	db_close(db);
	return d.status;
usage:
	fprintf(stderr, "usage: br_net_drive --db FILE --url URL --root-file "
	    "FILE [--user MXID] [--timeout S] qr|phone NUMBER|run "
	    "[--logout ID [--send-first CHAT]]|cancel-after-qr\n");
	return 2;
}
