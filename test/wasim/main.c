/*
 * main.c: wasim's command line and start-up.
 *
 *   wasim [--host 127.0.0.1] [--port N] [--admin-port N] [--media-port N]
 *         [--port-file PATH] [--root-pub-file PATH] [--state-dir DIR]
 *         [--qr-first-ms MS] [--qr-next-ms MS] [--offline-delay-ms MS]
 *         [--log-level LEVEL] [--cert-fault leaf-key]
 *         [--media-cert-file PATH] [--wss-port N]
 *
 * Ports default to 0 (the kernel picks free ones); the chosen ports, URLs,
 * the test root public key and our pid are written to --port-file as
 * sh-sourceable KEY=value lines once both listeners are up (written to a
 * temporary name and renamed, so a reader never sees half a file).
 * --root-pub-file receives the root public key alone, as 64 hex digits.
 * --cert-fault leaf-key issues the leaf certificate for a key that is not
 * the Noise static key (a strict client must refuse the server; tests use
 * it to show that one does).
 * --media-cert-file receives the media server's self-signed certificate
 * (PEM), for clients to trust as their only CA (TLS stays verified).
 * --wss-port adds a TLS websocket listener (same certificate as the media
 * server; same /ws/chat and admin paths as the plain ws port), for clients
 * that dial wss:// only (Baileys' own e2e suite); 0 = a free port.  The
 * port file then also has WASIM_WSS_PORT and WASIM_WSS_URL.
 *
 * Refuses to listen anywhere but loopback: --host must be 127.0.0.1 or
 * localhost.  SIGINT/SIGTERM stop it cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/cry.h"
#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/cert.h"
#include "waweb/errors.h"

int64_t
sim_now(void)
{
	return (int64_t)time(NULL);
}

void
sim_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
sim_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return U_ERR_INVALID;
	for (i = 0; i < n; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return U_ERR_INVALID;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
write_file_atomic(const char *path, const char *text)
{
	char *tmp = u_asprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f;
	int r = -1;

	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("wasim: %s", tmp);
		goto out;
	}
	if (fputs(text, f) == EOF || fclose(f) != 0) {
		log_warn("wasim: writing %s", tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		log_warn("wasim: rename %s", path);
		goto out;
	}
	r = 0;
out:
	free(tmp);
	return r;
}

static void
on_signal(void *arg)
{
	struct sim *s = arg;

	s->stopping = true;
	u_loop_stop(s->loop);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: wasim [--host 127.0.0.1] [--port N] [--admin-port N] [--media-port N]\n"
	    "             [--port-file PATH] [--root-pub-file PATH] [--state-dir DIR]\n"
	    "             [--qr-first-ms MS] [--qr-next-ms MS] [--offline-delay-ms MS]\n"
	    "             [--log-level trace|debug|info|warn|error] [--cert-fault leaf-key]\n"
	    "             [--media-cert-file PATH] [--wss-port N]\n");
	exit(2);
}

static uint64_t
parse_ms(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 24ULL * 3600 * 1000)
		usage();
	return v;
}

static int
parse_port(const char *s)
{
	uint64_t v = parse_ms(s);

	if (v > 65535)
		usage();
	return (int)v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "admin-port", required_argument, NULL, 'a' },
		{ "media-port", required_argument, NULL, 'm' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "root-pub-file", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "qr-first-ms", required_argument, NULL, '1' },
		{ "qr-next-ms", required_argument, NULL, '2' },
		{ "offline-delay-ms", required_argument, NULL, 'o' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "cert-fault", required_argument, NULL, 'c' },
		{ "media-cert-file", required_argument, NULL, 'M' },
		{ "wss-port", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim *s = u_calloc(1, sizeof(*s));
	struct u_log_config lc;
	char hex[2 * CRY_KEY_LEN + 1];
	uint8_t leaf_key[CRY_KEY_LEN];
	char *text, *wss_lines;
	const char *media_cert_file = NULL;
	int ch, lvl = U_LOG_INFO, r, rc = 1;

	s->opts.host = "127.0.0.1";
	s->opts.qr_first_ms = 60000;
	s->opts.qr_next_ms = 20000;
	s->opts.offline_delay_ms = 1000;
	s->opts.wss_port = -1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': s->opts.host = optarg; break;
		case 'p': s->opts.port = parse_port(optarg); break;
		case 'a': s->opts.admin_port = parse_port(optarg); break;
		case 'm': s->opts.media_port = parse_port(optarg); break;
		case 'f': s->opts.port_file = optarg; break;
		case 'r': s->opts.root_pub_file = optarg; break;
		case 's': s->opts.state_dir = optarg; break;
		case '1': s->opts.qr_first_ms = parse_ms(optarg); break;
		case '2': s->opts.qr_next_ms = parse_ms(optarg); break;
		case 'o': s->opts.offline_delay_ms = parse_ms(optarg); break;
		case 'M': media_cert_file = optarg; break;
		case 'W': s->opts.wss_port = parse_port(optarg); break;
		case 'c':
			if (strcmp(optarg, "leaf-key") != 0)
				usage();
			s->opts.cert_fault_leaf_key = true;
			break;
		case 'l':
			if ((lvl = u_log_level_parse(optarg)) < 0)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (strcmp(s->opts.host, "localhost") == 0)
		s->opts.host = "127.0.0.1";
	if (strcmp(s->opts.host, "127.0.0.1") != 0) {
		fprintf(stderr, "wasim: refusing to listen on %s: loopback "
		    "(127.0.0.1) only\n", s->opts.host);
		free(s);
		return 2;
	}

	memset(&lc, 0, sizeof(lc));
	lc.min_level = (enum u_log_level)lvl;
	lc.stdout_enabled = 1;
	lc.stdout_format = U_LOG_PRETTY;
	lc.stdout_level = (enum u_log_level)lvl;
	lc.file_level = U_LOG_DISABLED;
	if (u_log_setup(&lc) != 0) {
		free(s);
		return 1;
	}
	if ((r = cry_init()) != 0) {
		log_warnx("wasim: crypto: %s", u_strerror(r));
		free(s);
		return 1;
	}
	wa_errors_register();

	s->loop = u_loop_new();
	s->next_phone = 15550000001ULL;
	s->next_lid = 100000000000001ULL;
	u_buf_init(&s->cert_chain, WA_CERT_CHAIN_MAX);
	if (sim_state_load(s) != 0 || sim_appstate_load(s) != 0)
		goto out;
	memcpy(leaf_key, s->server_static.pub, CRY_KEY_LEN);
	if (s->opts.cert_fault_leaf_key) {
		leaf_key[0] ^= 0x01;
		log_warnx("wasim: --cert-fault leaf-key: the leaf certificate "
		    "is not for our static key");
	}
	if ((r = wa_cert_issue_chain(&s->root, leaf_key, NULL,
	    &s->cert_chain)) != 0) {
		log_warnx("wasim: certificate chain: %s", u_strerror(r));
		goto out;
	}
	if (sim_server_start(s) != 0)
		goto out;

	sim_hex(s->root.pub, CRY_KEY_LEN, hex);
	if (s->opts.root_pub_file != NULL) {
		text = u_asprintf("%s\n", hex);
		r = write_file_atomic(s->opts.root_pub_file, text);
		free(text);
		if (r != 0)
			goto out;
	}
	/* Before the port file: whoever waits for that finds this too. */
	if (media_cert_file != NULL &&
	    write_file_atomic(media_cert_file, s->media_cert_pem) != 0)
		goto out;
	if (s->opts.port_file != NULL) {
		wss_lines = s->wss_port > 0 ? u_asprintf(
		    "WASIM_WSS_PORT=%d\n"
		    "WASIM_WSS_URL=wss://127.0.0.1:%d/ws/chat\n",
		    s->wss_port, s->wss_port) : u_strdup("");
		text = u_asprintf(
		    "WASIM_WS_PORT=%d\n"
		    "WASIM_ADMIN_PORT=%d\n"
		    "WASIM_WS_URL=ws://127.0.0.1:%d/ws/chat\n"
		    "WASIM_ADMIN_URL=http://127.0.0.1:%d\n"
		    "WASIM_MEDIA_PORT=%d\n"
		    "%s"
		    "WASIM_ROOT_PUB=%s\n"
		    "WASIM_PID=%ld\n",
		    s->ws_port, s->admin_port, s->ws_port, s->admin_port,
		    s->media_port, wss_lines, hex, (long)getpid());
		free(wss_lines);
		r = write_file_atomic(s->opts.port_file, text);
		free(text);
		if (r != 0)
			goto out;
	}
	log_info("wasim: listening on ws://127.0.0.1:%d/ws/chat, admin "
	    "http://127.0.0.1:%d", s->ws_port, s->admin_port);

	u_loop_on_signal(s->loop, on_signal, s);
	u_loop_run(s->loop);
	log_info("wasim: stopping");
	rc = 0;
	if (sim_state_save(s) != 0)
		rc = 1;
out:
	s->stopping = true;
	sim_server_stop(s);
	/* lws may have marked some closed; free all of them now, while the
	 * loop still exists (their timers live on it). */
	while (s->conns != NULL) {
		struct sim_conn *c = s->conns;

		s->conns = c->next;
		sim_conn_free(c);
	}
	u_loop_free(s->loop);
	for (size_t i = 0; i < s->ngroups; i++)
		sim_group_free(s->groups[i]);
	for (size_t i = 0; i < s->naccounts; i++)
		sim_account_free(s->accounts[i]);
	u_buf_free(&s->cert_chain);
	sim_media_free(s);
	sim_appstate_free(s);
	cry_keypair_wipe(&s->root);
	cry_keypair_wipe(&s->server_static);
	free(s);
	u_log_close();
	return rc;
}
