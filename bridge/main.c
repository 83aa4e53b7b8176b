/*
 * main.c: ponton's entry point.  Parses the command line (the same flags
 * as mautrix-whatsapp), loads and rewrites the config, writes the
 * registration for -g, sets up logging, validates the config and opens and
 * upgrades the database, then runs the bridge: the loop, the Matrix side
 * (bridge/mx_as.c) with mautrix's start-up checks, the core
 * (bridge/bridge.c) until SIGINT/SIGTERM.  It is the only file that wires
 * modules together.
 *
 * The WhatsApp side (bridge/net_wa.c) reports to the core: login states
 * to the login commands, messages, receipts, chat states and group
 * changes to bridge/portal_in.c.
 *
 * Exit codes: bridge/exitcodes.h (mautrix's numbers).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/community.h"
#include "bridge/config.h"
#include "bridge/contacts.h"
#include "bridge/errors.h"
#include "bridge/exitcodes.h"
#include "bridge/history.h"
#include "bridge/login_flow.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/portal_in.h"
#include "bridge/registration.h"
#include "bridge/version.h"
#include "db/db.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

#include "bridge/login_cli.h"

/* zeroconfig's default file size before rotation, in MB. */
#define LOG_DEFAULT_MAX_SIZE_MB	100
/* lumberjack keeps every backup when max_backups is 0; log.c needs a number. */
#define LOG_BACKUPS_UNLIMITED	1000

/* Set by setup_logging: fatal lines also go to stderr when no console
 * writer would show them (upstream stays silent then). */
static int console_logging = 1;

static void fatal_line(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
fatal_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	u_logv(U_LOG_FATAL, NULL, 0, fmt, ap);
	va_end(ap);
	if (!console_logging) {
		va_start(ap, fmt);
		fprintf(stderr, "ponton: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

struct cli {
	const char	*config;
	const char	*registration;
	int		 generate_registration;
	int		 no_update;
	int		 generate_example;
	int		 version;
	int		 version_json;
	int		 ignore_unsupported_database;
	int		 ignore_foreign_tables;
	int		 ignore_unsupported_server;
	int		 help;
};

static void
print_help(FILE *f)
{
	fprintf(f,
	    PONTON_NAME " - " PONTON_DESCRIPTION "\n"
	    "\n"
	    "Usage:\n"
	    "  " PONTON_NAME " [-hgvn] [-c <path>] [-r <path>]\n"
	    "\n"
	    "Help options:\n"
	    "  -h, --help                     Show this help page.\n"
	    "\n"
	    "Application options:\n"
	    "  -c, --config=<path>            The path to your config file. "
	    "(default: config.yaml)\n"
	    "  -e, --generate-example-config  Save the example config to the "
	    "config path and quit.\n"
	    "  -n, --no-update                Don't save updated config to "
	    "disk.\n"
	    "  -r, --registration=<path>      The path where to save the "
	    "appservice registration. (default: registration.yaml)\n"
	    "  -g, --generate-registration    Generate registration and quit.\n"
	    "  -v, --version                  View bridge version and quit.\n"
	    "      --version-json             Print a JSON object representing "
	    "the bridge version and quit.\n"
	    "      --ignore-unsupported-database  Run even if the database "
	    "schema is too new\n"
	    "      --ignore-foreign-tables    Run even if the database "
	    "contains tables from other programs (like Synapse)\n"
	    "      --ignore-unsupported-server  Run even if the Matrix "
	    "homeserver is outdated\n"
	    "\n"
	    "Subcommands:\n"
	    "  login                          Log in to WhatsApp from the "
	    "terminal (ponton login -h).\n"
	    );
}

static int
parse_bool_arg(const char *v, int *out)
{
	if (v == NULL || !strcmp(v, "true") || !strcmp(v, "1") ||
	    !strcmp(v, "t")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f")) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* Flags as mauflag reads them: -x, -xvalue is not used, -x value, -x=value,
 * --name value, --name=value, and grouped booleans (-gn). */
static int
parse_cli(int argc, char **argv, struct cli *c)
{
	static const struct {
		char		 s;
		const char	*l;
		int		 is_str;
		size_t		 off;
	} flags[] = {
		{ 'c', "config", 1, offsetof(struct cli, config) },
		{ 'r', "registration", 1, offsetof(struct cli, registration) },
		{ 'g', "generate-registration", 0,
		    offsetof(struct cli, generate_registration) },
		{ 'n', "no-update", 0, offsetof(struct cli, no_update) },
		{ 'e', "generate-example-config", 0,
		    offsetof(struct cli, generate_example) },
		{ 'v', "version", 0, offsetof(struct cli, version) },
		{ 0, "version-json", 0, offsetof(struct cli, version_json) },
		{ 0, "ignore-unsupported-database", 0,
		    offsetof(struct cli, ignore_unsupported_database) },
		{ 0, "ignore-foreign-tables", 0,
		    offsetof(struct cli, ignore_foreign_tables) },
		{ 0, "ignore-unsupported-server", 0,
		    offsetof(struct cli, ignore_unsupported_server) },
		{ 'h', "help", 0, offsetof(struct cli, help) },
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);
	int i;
	size_t f;

	c->config = "config.yaml";
	c->registration = "registration.yaml";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *name;
		char namebuf[64];
		size_t nlen;

		if (a[0] != '-' || a[1] == '\0') {
			fprintf(stderr, "unexpected argument: %s\n", a);
			return -1;
		}
		if (a[1] == '-') {
			name = a + 2;
			nlen = strcspn(name, "=");
			if (name[nlen] == '=')
				val = name + nlen + 1;
			for (f = 0; f < nflags; f++)
				if (strlen(flags[f].l) == nlen &&
				    strncmp(flags[f].l, name, nlen) == 0)
					break;
			if (f == nflags) {
				snprintf(namebuf, sizeof(namebuf), "%.*s",
				    (int)(nlen < 60 ? nlen : 60), name);
				fprintf(stderr, "unknown flag: --%s\n",
				    namebuf);
				return -1;
			}
			goto apply;
		}
		/* Short flags, maybe grouped; a value flag ends the group. */
		for (name = a + 1; *name != '\0'; name++) {
			for (f = 0; f < nflags; f++)
				if (flags[f].s == *name)
					break;
			if (f == nflags) {
				fprintf(stderr, "unknown flag: -%c\n", *name);
				return -1;
			}
			if (name[1] == '=') {
				val = name + 2;
				goto apply;
			}
			if (flags[f].is_str) {
				if (name[1] != '\0') {
					val = name + 1;
					goto apply;
				}
				goto apply;
			}
			*(int *)(void *)((char *)c + flags[f].off) = 1;
		}
		continue;
apply:
		if (flags[f].is_str) {
			if (val == NULL) {
				if (i + 1 >= argc) {
					fprintf(stderr, "flag -%s needs a "
					    "value\n", flags[f].l);
					return -1;
				}
				val = argv[++i];
			}
			*(const char **)(void *)((char *)c +
			    flags[f].off) = val;
		} else if (parse_bool_arg(val, (int *)(void *)((char *)c +
		    flags[f].off)) < 0) {
			fprintf(stderr, "invalid value for --%s: %s\n",
			    flags[f].l, val);
			return -1;
		}
	}
	return 0;
}

static int
print_version_json(void)
{
	struct utsname u;
	json_t *o;
	char *s;

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:b, s:s, s:s, "
	    "s:s, s:s, s:s, s:{s:s, s:s}}",
	    "Name", PONTON_NAME,
	    "URL", "",
	    "BaseVersion", PONTON_VERSION,
	    "SemCalVer", 0,
	    "Commit", "unknown",
	    "Tag", "",
	    "BuildTime", "0001-01-01T00:00:00Z",
	    "IsRelease", 0,
	    "FormattedVersion", PONTON_VERSION,
	    "LinkifiedVersion", PONTON_VERSION,
	    "VersionDescription", PONTON_NAME " " PONTON_VERSION
	    " (mautrix-whatsapp compatible)",
	    "OS", "linux",
	    "Arch", u.machine,
	    "Mautrix", "Version", "mautrix-whatsapp " PONTON_COMPAT_VERSION
	    " compatible", "Commit", "");
	if (o == NULL)
		return BR_EXIT_USAGE;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return BR_EXIT_USAGE;
	printf("%s\n", s);
	free(s);
	return BR_EXIT_OK;
}

static int
write_example(const char *path)
{
	size_t len;
	const char *ex = br_config_example(&len);
	struct stat st;
	FILE *f;
	int fd;

	if (strcmp(path, "-") == 0) {
		fwrite(ex, 1, len, stdout);
		return fflush(stdout) == 0 ? BR_EXIT_OK : BR_EXIT_USAGE;
	}
	if (strcmp(path, "/dev/stdout") != 0 &&
	    strcmp(path, "/dev/stderr") != 0 &&
	    (lstat(path, &st) == 0 || errno != ENOENT)) {
		fprintf(stderr, "%s already exists, please remove it if you "
		    "want to generate a new example\n", path);
		return BR_EXIT_USAGE;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "Failed to write example config to %s: %s\n",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return BR_EXIT_USAGE;
	}
	if (fwrite(ex, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "Failed to write example config to %s: %s\n",
		    path, strerror(errno));
		return BR_EXIT_USAGE;
	}
	printf("Wrote example config to %s\n", path);
	return BR_EXIT_OK;
}

static int
parse_format(const char *s, enum u_log_format *out)
{
	if (s[0] == '\0' || strcmp(s, "json") == 0)
		*out = U_LOG_JSON;
	else if (strcmp(s, "pretty") == 0)
		*out = U_LOG_PRETTY;
	else if (strcmp(s, "pretty-colored") == 0)
		*out = U_LOG_PRETTY_COLORED;
	else
		return -1;
	return 0;
}

/*
 * Map zeroconfig onto util/log.h: one console writer (stdout or stderr)
 * and one file writer.  Returns 0, or -1 with a reason (exit 12).  Writers
 * log.c cannot provide are reported in *notes for a warning once logging
 * works.
 */
static int
setup_logging(const struct br_config *cfg, char *why, size_t whysz,
    char *notes, size_t notessz)
{
	struct u_log_config lc;
	int have_console = 0, have_file = 0, to_stderr = 0;
	size_t i;

	memset(&lc, 0, sizeof(lc));
	notes[0] = '\0';
	lc.min_level = cfg->logging.min_level < 0 ? U_LOG_TRACE :
	    (enum u_log_level)cfg->logging.min_level;
	if (cfg->logging.n_writers == 0)
		lc.min_level = U_LOG_DISABLED;
	lc.stdout_level = lc.file_level = U_LOG_TRACE;
	for (i = 0; i < cfg->logging.n_writers; i++) {
		const struct br_log_writer *w = &cfg->logging.writers[i];
		enum u_log_format fmt;
		enum u_log_level lvl = w->min_level < 0 ? U_LOG_TRACE :
		    (enum u_log_level)w->min_level;

		if (parse_format(w->format, &fmt) < 0) {
			snprintf(why, whysz, "failed to parse config for "
			    "writer #%zu: unknown format \"%s\"", i + 1,
			    w->format);
			return -1;
		}
		if (!strcmp(w->type, "stdout") || !strcmp(w->type, "stderr")) {
			if (have_console++) {
				snprintf(notes, notessz, "only the first "
				    "stdout/stderr log writer is used");
				continue;
			}
			to_stderr = !strcmp(w->type, "stderr");
			lc.stdout_enabled = 1;
			lc.stdout_format = fmt;
			lc.stdout_level = lvl;
		} else if (!strcmp(w->type, "file")) {
			if (have_file++) {
				snprintf(notes, notessz, "only the first file "
				    "log writer is used");
				continue;
			}
			if (w->filename[0] == '\0') {
				snprintf(why, whysz, "failed to parse config "
				    "for writer #%zu: file writer without a "
				    "filename", i + 1);
				return -1;
			}
			lc.file_path = w->filename;
			lc.file_format = fmt;
			lc.file_level = lvl;
			lc.file_max_size = (long)((w->max_size > 0 &&
			    w->max_size < 1024 * 1024 ? w->max_size :
			    LOG_DEFAULT_MAX_SIZE_MB) * 1024 * 1024);
			lc.file_max_backups = w->max_backups > 0 &&
			    w->max_backups < LOG_BACKUPS_UNLIMITED ?
			    (int)w->max_backups : LOG_BACKUPS_UNLIMITED;
			if (w->compress)
				snprintf(notes, notessz, "compress: true is "
				    "not supported; rotated logs stay "
				    "uncompressed");
		} else if (!strcmp(w->type, "syslog") ||
		    !strcmp(w->type, "syslog-cee") ||
		    !strcmp(w->type, "journald")) {
			snprintf(notes, notessz, "log writer type %s is not "
			    "supported by ponton and is skipped", w->type);
		} else {
			snprintf(why, whysz, "failed to parse config for "
			    "writer #%zu: unknown writer type \"%s\"", i + 1,
			    w->type);
			return -1;
		}
	}
	if (u_log_setup(&lc) < 0) {
		snprintf(why, whysz, "cannot open log file %s: %s",
		    lc.file_path ? lc.file_path : "", strerror(errno));
		return -1;
	}
	if (to_stderr)
		u_log_set_stdout_fd(2);
	console_logging = lc.stdout_enabled && lc.min_level <= U_LOG_FATAL &&
	    lc.stdout_level <= U_LOG_FATAL;
	return 0;
}

static int
open_database(const struct br_config *cfg, const struct cli *cli,
    struct db **out)
{
	struct db_open_opts o;
	struct db *db = NULL;
	int r;

	memset(&o, 0, sizeof(o));
	o.ignore_unsupported = cli->ignore_unsupported_database;
	o.ignore_foreign_tables = cli->ignore_foreign_tables;
	o.max_open_conns = (int)cfg->database.max_open_conns;
	log_debug("Initializing database connection");
	if ((strcmp(cfg->database.type, "sqlite3-fk-wal") == 0 ||
	    strcmp(cfg->database.type, "litestream") == 0) &&
	    cfg->database.max_open_conns != 1 &&
	    strstr(cfg->database.uri, "_txlock=immediate") == NULL)
		log_warnx("Using SQLite without _txlock=immediate is not "
		    "recommended");
	r = db_open(&db, cfg->database.type, cfg->database.uri, &o);
	if (r < 0) {
		fatal_line("Failed to initialize database connection: %s",
		    db_open_errmsg());
		return BR_EXIT_DB;
	}
	r = db_upgrade(db);
	if (r < 0) {
		fatal_line("Failed to initialize database: %s", db_errmsg(db));
		if (r == DB_ERR_FOREIGN_TABLES)
			log_info("See https://docs.mau.fi/faq/foreign-tables "
			    "for more info");
		else if (r == DB_ERR_NOT_OWNED)
			log_info("Sharing the same database with different "
			    "programs is not supported");
		else if (r == DB_ERR_UNSUPPORTED_VERSION)
			log_info("Downgrading the bridge is not supported");
		db_close(db);
		return BR_EXIT_DB_UPGRADE;
	}
	log_info("Database is up to date");
	*out = db;
	return BR_EXIT_OK;
}

static int
generate_registration(struct br_config *cfg, const struct cli *cli)
{
	struct br_registration reg;
	char *yaml;
	int rc = BR_EXIT_OK;

	if (cli->no_update) {
		fprintf(stderr, "--no-update is not compatible with "
		    "--generate-registration\n");
		return BR_EXIT_NO_UPDATE_WITH_GEN;
	}
	if (strcmp(cfg->homeserver.domain, "example.com") == 0) {
		fprintf(stderr, "Homeserver domain is not set\n");
		return BR_EXIT_DOMAIN_UNSET;
	}
	br_registration_init(&reg);
	yaml = br_registration_yaml(cfg, &reg);
	if (br_registration_write(cli->registration, yaml) < 0) {
		fprintf(stderr, "Failed to save registration: %s: %s\n",
		    cli->registration, strerror(errno));
		rc = BR_EXIT_REG_WRITE;
		goto out;
	}
	br_config_set_tokens(cfg, reg.as_token, reg.hs_token);
	if (br_config_save(cfg, cli->config) < 0) {
		fprintf(stderr, "Failed to save config: %s: %s\n", cli->config,
		    strerror(errno));
		rc = BR_EXIT_CONFIG_WRITE;
		goto out;
	}
	printf("Registration generated. See https://docs.mau.fi/bridges/"
	    "general/registering-appservices.html for instructions on "
	    "installing the registration.\n");
out:
	u_free_secret(yaml, strlen(yaml));
	br_registration_clear(&reg);
	return rc;
}

/* A login's state goes to the login commands (notices) and to the core
 * (portal_out.c holds Matrix messages while their login connects). */
static void
on_login_state(void *arg, struct br_net_login *l,
    const struct br_net_state *st)
{
	br_login_on_state(arg, l, st);
	br_bridge_on_login_state(arg, l, st);
}

/* Synced: the core resumes Matrix messages waiting for the login
 * (portal_out.c), a new login gets portals for its groups
 * (portal_in.c), and its stored contacts are read (contacts.c). */
static void
on_login_synced(void *arg, struct br_net_login *l)
{
	br_bridge_on_login_synced(arg, l);
	br_portal_in_on_synced(arg, l);
	br_contacts_on_login_synced(arg, l);
}

struct runtime {
	struct u_loop	*loop;		/* borrowed */
	struct br_bridge *br;		/* borrowed */
	struct br_net	*net;		/* borrowed */
	int		 code;		/* exit code once stopped */
	int		 started;
};

static void
on_ready(void *arg)
{
	struct runtime *rt = arg;

	/* Reconnect every stored login (upstream: StartConnectors). */
	if (rt->net != NULL && rt->net->ops->start(rt->net) != 0)
		log_warnx("cannot load the stored logins");
	log_info("Bridge started; stored WhatsApp logins are "
	    "connecting");
}

static void
on_started(void *arg, int code)
{
	struct runtime *rt = arg;

	if (code != BR_EXIT_OK) {
		/* Upstream's fatal lines (mautrix-go bridgev2/matrix
		 * connector.go); matrix/ does not say which errcode made
		 * the start fail, so 16 has one line for both causes. */
		switch (code) {
		case BR_EXIT_WHOAMI:
			fatal_line("Unexpected user ID in whoami call");
			break;
		case BR_EXIT_HS_PING:
			fatal_line("Homeserver -> bridge connection is not "
			    "working");
			break;
		case BR_EXIT_HS_OUTDATED:
			fatal_line("The homeserver is outdated (supported spec "
			    "versions are below minimum required by bridge)");
			break;
		default:
			fatal_line("Failed to connect to the homeserver, or "
			    "the as_token was not accepted. Is the "
			    "registration file installed in your homeserver "
			    "correctly?");
			break;
		}
		rt->code = code;
		u_loop_stop(rt->loop);
		return;
	}
	rt->started = 1;
	/* Before anything may create a portal room: find the rooms of a
	 * lost database again (portal_recover.c). */
	br_bridge_start(rt->br, on_ready, rt);
}

static void
on_signal(void *arg)
{
	struct runtime *rt = arg;

	log_info("Shutting down bridge");
	rt->code = BR_EXIT_OK;
	u_loop_stop(rt->loop);
}

/*
 * The running bridge: loop, core, Matrix side; start-up checks, then the
 * loop until a signal.  Returns the exit code.  Teardown order: the Matrix
 * side first (it completes pending calls, whose arguments the core owns),
 * then the core, then the loop.
 */
static int
run_bridge(const struct br_config *cfg, struct db *db, const struct cli *cli)
{
	struct br_mx_handlers h;
	struct br_net_events nev = { 0 };
	struct br_community *community;
	struct br_contacts *contacts;
	struct br_bridge *br;
	struct br_mx *mx = NULL;
	struct runtime rt;
	int rc;

	memset(&rt, 0, sizeof(rt));
	rt.loop = u_loop_new();
	br = br_bridge_new(cfg, db);
	rt.br = br;
	/* Community portals (issue 7): the core's hooks, when enabled. */
	community = br_community_new(br, cfg);
	/* Contacts (app state, push names) named on their ghosts. */
	contacts = br_contacts_new(br);
	br_bridge_handlers(br, &h);
	rc = br_mx_as_new(rt.loop, cfg, cli->ignore_unsupported_server, &h,
	    &mx);
	if (rc != BR_EXIT_OK) {
		fatal_line("Failed to start the appservice HTTP listener on "
		    "%s:%lld", cfg->appservice.hostname,
		    (long long)cfg->appservice.port);
		goto out;
	}
	br_bridge_set_mx(br, mx);
	nev.on_state = on_login_state;
	nev.on_login_gone = br_login_on_gone;
	nev.on_synced = on_login_synced;
	/* WhatsApp -> Matrix (portal_in.c). */
	nev.on_message = br_portal_in_on_message;
	nev.on_receipt = br_portal_in_on_receipt;
	nev.on_typing = br_portal_in_on_typing;
	nev.on_group = br_portal_in_on_group;
	nev.on_user_avatar = br_ghost_on_user_avatar;
	nev.on_history = br_history_on_history;
	nev.on_contact = br_contacts_on_contact;
	nev.on_contacts_synced = br_contacts_on_synced;
	nev.arg = br;
	if (br_net_wa_new(rt.loop, cfg, db, NULL, &nev, &rt.net) != 0) {
		rc = BR_EXIT_CONFIG_INVALID;
		goto out;
	}
	br_login_attach(rt.net);
	br_bridge_set_net(br, rt.net);
	/* `sync group(s)` and `join` create rooms as a joined group does. */
	br_cmd_set_group_sync(br_portal_in_on_group, br);
	br_community_warn_start(community, rt.loop);
	log_info("Appservice listening on %s:%d", cfg->appservice.hostname,
	    br_mx_as_port(mx));
	u_loop_on_signal(rt.loop, on_signal, &rt);
	log_debug("Checking connection to homeserver");
	br_mx_as_start(mx, on_started, &rt);
	u_loop_run(rt.loop);
	rc = rt.code;
	if (rc == BR_EXIT_OK)
		log_info("Bridge stopped");
out:
	br_login_attach(NULL);
	if (rt.net != NULL)
		rt.net->ops->stop(rt.net);
	br_bridge_stop(br);
	/* Before the Matrix side: a ghost update in flight is cancelled by
	 * it and finishes into nothing. */
	br_contacts_free(contacts);
	br_mx_as_free(mx);
	if (rt.net != NULL)
		rt.net->ops->free(rt.net);
	br_community_free(community);
	br_bridge_free(br);
	u_loop_free(rt.loop);
	return rc;
}

static int
run(int argc, char **argv)
{
	struct br_config *cfg = NULL;
	struct db *db = NULL;
	struct cli cli;
	char err[1024], notes[256];
	size_t i;
	int r, rc;

	memset(&cli, 0, sizeof(cli));
	if (parse_cli(argc, argv, &cli) < 0) {
		print_help(stderr);
		return BR_EXIT_USAGE;
	}
	if (cli.help) {
		print_help(stdout);
		return BR_EXIT_OK;
	}
	if (cli.version) {
		printf("%s %s (mautrix-whatsapp compatible)\n", PONTON_NAME,
		    PONTON_VERSION);
		return BR_EXIT_OK;
	}
	if (cli.version_json)
		return print_version_json();
	if (cli.generate_example)
		return write_example(cli.config);

	r = br_config_load_file(cli.config, NULL, &cfg, err, sizeof(err));
	if (r == BR_ERR_CONFIG_LEGACY) {
		fprintf(stderr, "%s\n", err);
		return BR_EXIT_USAGE;
	}
	if (r == BR_ERR_CONFIG_ENV) {
		fprintf(stderr, "Failed to parse environment variables: %s\n",
		    err);
		return BR_EXIT_CONFIG_READ;
	}
	if (r < 0) {
		fprintf(stderr, "Error updating config: %s\n", err);
		return BR_EXIT_CONFIG_READ;
	}
	for (i = 0; i < cfg->n_warnings; i++)
		fprintf(stderr, "Warning: %s\n", cfg->warnings[i]);
	if (!cli.no_update && br_config_save(cfg, cli.config) < 0)
		fprintf(stderr, "Error updating config: failed to write %s: "
		    "%s\n", cli.config, strerror(errno));
	if (cli.generate_registration) {
		rc = generate_registration(cfg, &cli);
		goto out;
	}
	if (setup_logging(cfg, err, sizeof(err), notes, sizeof(notes)) < 0) {
		fprintf(stderr, "Failed to initialize logger: %s\n", err);
		rc = BR_EXIT_LOGGER;
		goto out;
	}
	if (notes[0] != '\0')
		log_warnx("%s", notes);
	r = br_config_validate(cfg, err, sizeof(err));
	if (r == BR_ERR_CONFIG_INVALID) {
		fatal_line("Configuration error: %s", err);
		log_info("See https://docs.mau.fi/faq/field-unconfigured for "
		    "more info");
		rc = BR_EXIT_CONFIG_INVALID;
		goto out;
	}
	if (r < 0) {
		fatal_line("Invalid database configuration: %s", err);
		rc = BR_EXIT_DB;
		goto out;
	}
	log_info("Initializing bridge (name=%s, version=%s)", PONTON_NAME,
	    PONTON_VERSION);
	if ((rc = open_database(cfg, &cli, &db)) != BR_EXIT_OK)
		goto out;
	rc = run_bridge(cfg, db, &cli);
out:
	db_close(db);
	br_config_free(cfg);
	u_log_close();
	return rc;
}

int
main(int argc, char **argv)
{
	br_errors_register();
	if (argc > 1 && strcmp(argv[1], "login") == 0)
		return br_login_cli(argc - 1, argv + 1);
	return run(argc, argv);
}
