/*
 * login_cli.c: `ponton login` (see login_cli.h).
 *
 * Runs one WhatsApp client on its own loop with the device store on the
 * bridge database, prints the QR code (libqrencode, two modules per
 * character cell with half blocks, light modules drawn as blocks like
 * `qrencode -t UTF8` so it scans on dark and light terminals) or the
 * pairing code, and exits once logged in (0) or on a state that needs the
 * admin (non-zero, with what to do).
 *
 * Does not: start the Matrix side; ponton itself reconnects later with
 * the stored session.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qrencode.h>

#include "bridge/config.h"
#include "bridge/exitcodes.h"
#include "bridge/login_cli.h"
#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"

/* Longest pairing window: 60 s + 5 x 20 s of QR refs, with margin. */
#define LOGIN_TIMEOUT_DEFAULT 200

struct login {
	struct u_loop		*loop;
	struct wa_client	*client;
	const char		*qr_file;
	int			 tty;
	int			 status;
	int			 done;
	struct u_timer		*timeout;
};

static void
finish(struct login *l, int status)
{
	if (l->done)
		return;
	l->done = 1;
	l->status = status;
	u_loop_stop(l->loop);
}

int
br_login_render_qr(const char *text, FILE *out)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	const int quiet = BR_LOGIN_QR_QUIET;
	int x, y, w, top, bot;

	if (q == NULL)
		return -1;
	w = q->width;
	/* Rows in pairs; outside the code (the quiet zone) is light. */
	for (y = -quiet; y < w + quiet; y += 2) {
		for (x = -quiet; x < w + quiet; x++) {
			top = y >= 0 && y < w && x >= 0 && x < w &&
			    (q->data[y * w + x] & 1);
			bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
			    (q->data[(y + 1) * w + x] & 1);
			if (!top && !bot)
				fputs("\xe2\x96\x88", out);	/* full block */
			else if (!top)
				fputs("\xe2\x96\x80", out);	/* upper half */
			else if (!bot)
				fputs("\xe2\x96\x84", out);	/* lower half */
			else
				fputc(' ', out);
		}
		fputc('\n', out);
	}
	QRcode_free(q);
	return 0;
}

static void
print_qr(struct login *l, const char *text)
{
	if (l->tty)
		fputs("\033[2J\033[H", stdout);
	if (br_login_render_qr(text, stdout) != 0) {
		fprintf(stderr, "cannot render the QR code: %s\n", strerror(errno));
		return;
	}
	printf("\nScan this code with WhatsApp on your phone: Settings > "
	    "Linked devices > Link a device.\nIt changes every 20 seconds; "
	    "this screen follows.\n");
}

static void
write_qr_file(const char *path, const char *text)
{
	char *tmp = u_asprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");

	if (f == NULL || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0)
		log_warn("cannot write %s", path);
	free(tmp);
}

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct login *l = arg;

	switch (cur) {
	case WA_STATE_LOGGED_OUT:
		fprintf(stderr, "Logged out: %s.  Run `ponton login` again to "
		    "link this bridge.\n", reason);
		finish(l, 2);
		break;
	case WA_STATE_STREAM_REPLACED:
		fprintf(stderr, "Another connection took over this session "
		    "(is ponton or mautrix-whatsapp running with the same "
		    "database?).\n");
		finish(l, 3);
		break;
	case WA_STATE_CLIENT_OUTDATED:
		fprintf(stderr, "WhatsApp refused this client version: %s.\n"
		    "Set ponton.whatsapp.web_version (or --web-version) to the "
		    "current WhatsApp Web version.\n", reason);
		finish(l, 4);
		break;
	case WA_STATE_BANNED:
		fprintf(stderr, "WhatsApp refused the login: %s.\n", reason);
		finish(l, 5);
		break;
	case WA_STATE_PAIR_TIMEOUT:
		fprintf(stderr, "No phone linked in time (%s).  Run `ponton "
		    "login` again.\n", reason);
		finish(l, 6);
		break;
	case WA_STATE_WAIT_RECONNECT:
		if (old != WA_STATE_PAIRING)
			fprintf(stderr, "Connection problem: %s; retrying...\n",
			    reason);
		break;
	default:
		break;
	}
}

static void
on_qr(void *arg, const char *qr)
{
	struct login *l = arg;

	print_qr(l, qr);
	printf("QR-TEXT %s\n", qr);
	fflush(stdout);
	if (l->qr_file != NULL)
		write_qr_file(l->qr_file, qr);
}

static void
on_pair_code(void *arg, const char *code)
{
	printf("\nOn your phone: WhatsApp > Settings > Linked devices > Link a "
	    "device > Link with phone number instead, then enter:\n\n"
	    "    %s\n\nPAIR-CODE %s\n", code, code);
	fflush(stdout);
}

static void
on_paired(void *arg, const char *jid, const char *lid, const char *platform)
{
	printf("Linked to %s; logging in...\n", jid);
	fflush(stdout);
}

static void
on_connected(void *arg)
{
	struct login *l = arg;
	const struct wa_device *d = wa_client_device(l->client);

	printf("LOGGED-IN %s\nLogged in as %s.  The session is stored; "
	    "ponton will use it from now on.\n", d != NULL && d->jid ? d->jid :
	    "?", d != NULL && d->jid ? d->jid : "?");
	fflush(stdout);
	finish(l, 0);
}

static void
on_timeout(void *arg)
{
	struct login *l = arg;

	fprintf(stderr, "Timed out waiting for the login.\n");
	finish(l, 6);
}

static void
on_signal(void *arg)
{
	finish(arg, 130);
}

static int
parse_hex32(const char *s, uint8_t out[32])
{
	unsigned v;
	int i;

	if (s == NULL || strspn(s, "0123456789abcdefABCDEF") < 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int
read_hex_file(const char *path, uint8_t out[32])
{
	char buf[160] = { 0 };
	FILE *f = fopen(path, "r");
	int r;

	if (f == NULL)
		return -1;
	r = fgets(buf, sizeof(buf), f) != NULL ? parse_hex32(buf, out) : -1;
	fclose(f);
	return r;
}

/* A ponton-own config key, or NULL when absent or empty. */
static const char *
cfg_opt(const struct br_config *cfg, const char *path)
{
	const char *v = NULL;

	if (br_config_get(cfg, path, &v) != 0 || v == NULL || v[0] == '\0')
		return NULL;
	return v;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: ponton login [-c config.yaml] [--phone "
	    "+33612345678] [--qr-file PATH]\n"
	    "                    [--url URL] [--trust-root HEX | "
	    "--trust-root-file PATH]\n"
	    "                    [--web-version 2.3000.N] [--timeout SECONDS]\n");
}

int
br_login_cli(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "phone", required_argument, NULL, 'p' },
		{ "qr-file", required_argument, NULL, 'f' },
		{ "url", required_argument, NULL, 'u' },
		{ "trust-root", required_argument, NULL, 'R' },
		{ "trust-root-file", required_argument, NULL, 'r' },
		{ "web-version", required_argument, NULL, 'V' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wa_client_cbs cbs = {
		.on_state = on_state, .on_qr = on_qr,
		.on_pair_code = on_pair_code, .on_paired = on_paired,
		.on_connected = on_connected,
	};
	const char *config = "config.yaml", *root_hex = NULL, *root_file = NULL;
	struct br_config *cfg = NULL;
	struct wa_client_opts o;
	struct login l;
	struct db *db = NULL;
	uint8_t root[32];
	char err[1024];
	long timeout = LOGIN_TIMEOUT_DEFAULT;
	int ch, r, rc = BR_EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	memset(&l, 0, sizeof(l));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'p': o.pair_phone = optarg; break;
		case 'f': l.qr_file = optarg; break;
		case 'u': o.url = optarg; break;
		case 'R': root_hex = optarg; break;
		case 'r': root_file = optarg; break;
		case 'V': o.web_version = optarg; break;
		case 't': timeout = strtol(optarg, NULL, 10); break;
		case 'h': usage(stdout); return BR_EXIT_OK;
		default: usage(stderr); return BR_EXIT_USAGE;
		}
	}
	if (optind != argc || timeout <= 0 || timeout > 86400) {
		usage(stderr);
		return BR_EXIT_USAGE;
	}

	r = br_config_load_file(config, NULL, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ponton login: cannot read %s: %s\n", config, err);
		return BR_EXIT_CONFIG_READ;
	}
	if (o.url == NULL)
		o.url = cfg_opt(cfg, "ponton.whatsapp.websocket_url");
	if (o.web_version == NULL)
		o.web_version = cfg_opt(cfg, "ponton.whatsapp.web_version");
	if (root_hex == NULL && root_file == NULL)
		root_hex = cfg_opt(cfg, "ponton.whatsapp.trust_root");
	if (root_file != NULL) {
		if (read_hex_file(root_file, root) != 0) {
			fprintf(stderr, "ponton login: %s does not hold a 64-hex-"
			    "digit key\n", root_file);
			goto out;
		}
		o.trust_root = root;
	} else if (root_hex != NULL) {
		if (parse_hex32(root_hex, root) != 0) {
			fprintf(stderr, "ponton login: the trust root must be 64 "
			    "hex digits\n");
			goto out;
		}
		o.trust_root = root;
	}
	o.os_name = cfg->network.os_name;
	o.browser_name = cfg->network.browser_name;

	if ((r = db_open(&db, cfg->database.type, cfg->database.uri, NULL)) != 0) {
		fprintf(stderr, "ponton login: cannot open the database: %s\n",
		    db_open_errmsg());
		rc = BR_EXIT_DB;
		goto out;
	}
	if ((r = db_upgrade(db)) != 0) {
		fprintf(stderr, "ponton login: cannot upgrade the database: %s\n",
		    db_errmsg(db));
		rc = BR_EXIT_DB_UPGRADE;
		goto out;
	}

	l.tty = isatty(STDOUT_FILENO);
	l.status = 1;
	l.loop = u_loop_new();
	u_loop_on_signal(l.loop, on_signal, &l);
	l.client = wa_client_new(l.loop, &o, &br_wa_store_db_ops, db, &cbs, &l);
	if (wa_client_start(l.client) != 0) {
		fprintf(stderr, "ponton login: cannot connect to %s\n",
		    o.url != NULL ? o.url : WA_URL_DEFAULT);
		rc = BR_EXIT_USAGE;
	} else {
		l.timeout = u_timer_new(l.loop, on_timeout, &l);
		u_timer_start(l.timeout, (uint64_t)timeout * 1000, 0);
		u_loop_run(l.loop);
		u_timer_free(l.timeout);
		rc = l.status;
	}
	wa_client_free(l.client);
	wa_client_shutdown(l.loop);
	u_loop_free(l.loop);
out:
	db_close(db);
	br_config_free(cfg);
	return rc;
}
