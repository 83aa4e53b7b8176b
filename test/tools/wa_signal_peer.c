/*
 * wa_signal_peer.c: ponton's Signal layer (waweb/signal.h) as a line
 * protocol on stdin/stdout, for checking it against another implementation
 * (test/peers/baileys/signal.mjs with Baileys' libsignal-node, run by
 * test/wa/25-signal-baileys.sh).
 *
 * One in-memory party (waweb/signal_store_mem.c).  Commands, one a line,
 * binary values in hex; every command answers one line, "ok ..." or
 * "err <code> <text>":
 *   keys                      -> ok <reg> <identity> <spk id> <spk> <sig>
 *   prekey <id>               -> ok <pub>   (a new one-time prekey, stored)
 *   prekeys                   -> ok <count of one-time prekeys held>
 *   addr <jid>                -> ok <signal address>
 *   bundle <addr> <frame>     -> ok         (session from a prekey <iq>
 *                                result: a binary node frame holding
 *                                <list><user jid=...>...</user></list>)
 *   enc <addr> <pt>           -> ok <pkmsg|msg> <ct>
 *   dec <addr> <type> <ct>    -> ok <pt>   (type pkmsg|msg, v=2 padding)
 *   skdm <group> <self>       -> ok <skdm>
 *   gproc <group> <sender> <skdm> -> ok
 *   genc <group> <self> <pt>  -> ok <skmsg>
 *   gdec <group> <sender> <ct> -> ok <pt>
 *   changes                   -> ok <identity changes reported>
 *
 * Does not: talk to a server; the peer script carries the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/signal.h"

#define LINE_MAX_BYTES (1u << 20)

static int changes;

static void
on_change(void *arg, const char *addr)
{
	(void)arg;
	(void)addr;
	changes++;
}

static void
put_hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* Hex to an owned buffer; -1 if not hex. */
static int
unhex(const char *s, uint8_t **out, size_t *outlen)
{
	size_t n = strlen(s), i;
	uint8_t *p;
	unsigned v;

	if (n % 2 != 0)
		return -1;
	p = u_malloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(p);
			return -1;
		}
		p[i] = (uint8_t)v;
	}
	*out = p;
	*outlen = n / 2;
	return 0;
}

static void
err(int r)
{
	printf("err %d %s\n", r, u_strerror(r));
}

static void
bundle(struct wa_signal *s, const char *addr, const char *hex)
{
	struct wa_node *root = NULL, *list, *user;
	struct wa_signal_bundle b;
	struct wa_jid jid;
	uint8_t *frame;
	size_t n;
	int r;

	if (unhex(hex, &frame, &n) != 0) {
		err(WA_ERR_INVALID);
		return;
	}
	r = wa_node_decode_frame(frame, n, &root);
	free(frame);
	if (r != 0) {
		err(r);
		return;
	}
	if ((list = wa_node_child(root, "list")) == NULL ||
	    (user = wa_node_child(list, "user")) == NULL ||
	    wa_node_attr_jid(user, "jid", &jid) != 0) {
		wa_node_free(root);
		err(WA_ERR_SIG_BAD_BUNDLE);
		return;
	}
	if ((r = wa_signal_bundle_from_node(user, jid.device, &b)) == 0)
		r = wa_signal_session_from_bundle(s, addr, &b);
	wa_node_free(root);
	if (r != 0)
		err(r);
	else
		printf("ok\n");
}

static int
type_of(const char *t)
{
	if (strcmp(t, "pkmsg") == 0)
		return WA_SIGNAL_PKMSG;
	if (strcmp(t, "msg") == 0)
		return WA_SIGNAL_MSG;
	return -1;
}

static void
command(struct wa_signal *s, struct wa_signal_store_mem *m, char *line)
{
	char *argv[5] = { 0 }, *save = NULL, *tok;
	uint8_t *in = NULL, *out = NULL;
	size_t inn = 0, outn = 0;
	int argc = 0, r, type;

	for (tok = strtok_r(line, " \n", &save); tok != NULL && argc < 5;
	    tok = strtok_r(NULL, " \n", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return;
	if (strcmp(argv[0], "keys") == 0) {
		uint8_t id[32], spk[32], sig[64];
		uint32_t reg;

		wa_signal_store_mem_keys(m, id, &reg, spk, sig);
		printf("ok %u ", reg);
		put_hex(id, 32);
		printf(" 7 ");
		put_hex(spk, 32);
		printf(" ");
		put_hex(sig, 64);
		printf("\n");
	} else if (strcmp(argv[0], "prekey") == 0 && argc == 2) {
		struct cry_keypair kp;

		cry_keypair_generate(&kp);
		if ((r = wa_signal_store_mem_ops.prekey_store(m,
		    (uint32_t)strtoul(argv[1], NULL, 10), kp.priv)) != 0) {
			err(r);
			return;
		}
		printf("ok ");
		put_hex(kp.pub, 32);
		printf("\n");
	} else if (strcmp(argv[0], "prekeys") == 0) {
		printf("ok %zu\n", wa_signal_store_mem_prekey_count(m));
	} else if (strcmp(argv[0], "changes") == 0) {
		printf("ok %d\n", changes);
	} else if (strcmp(argv[0], "addr") == 0 && argc == 2) {
		struct wa_jid j;
		char a[WA_SIGNAL_ADDR_MAX];

		if ((r = wa_jid_parse(argv[1], &j)) != 0 ||
		    (r = wa_signal_address(&j, a, sizeof(a))) != 0)
			err(r);
		else
			printf("ok %s\n", a);
	} else if (strcmp(argv[0], "bundle") == 0 && argc == 3) {
		bundle(s, argv[1], argv[2]);
	} else if (strcmp(argv[0], "enc") == 0 && argc == 3 &&
	    unhex(argv[2], &in, &inn) == 0) {
		if ((r = wa_signal_encrypt(s, argv[1], in, inn, &type, &out,
		    &outn)) != 0)
			err(r);
		else {
			printf("ok %s ", wa_signal_type_name(type));
			put_hex(out, outn);
			printf("\n");
		}
	} else if (strcmp(argv[0], "dec") == 0 && argc == 4 &&
	    type_of(argv[2]) > 0 && unhex(argv[3], &in, &inn) == 0) {
		if ((r = wa_signal_decrypt(s, argv[1], type_of(argv[2]), 2, in,
		    inn, &out, &outn)) != 0)
			err(r);
		else {
			printf("ok ");
			put_hex(out, outn);
			printf("\n");
		}
	} else if (strcmp(argv[0], "skdm") == 0 && argc == 3) {
		if ((r = wa_signal_group_skdm(s, argv[1], argv[2], &out,
		    &outn)) != 0)
			err(r);
		else {
			printf("ok ");
			put_hex(out, outn);
			printf("\n");
		}
	} else if (strcmp(argv[0], "gproc") == 0 && argc == 4 &&
	    unhex(argv[3], &in, &inn) == 0) {
		if ((r = wa_signal_group_process_skdm(s, argv[1], argv[2], in,
		    inn)) != 0)
			err(r);
		else
			printf("ok\n");
	} else if (strcmp(argv[0], "genc") == 0 && argc == 4 &&
	    unhex(argv[3], &in, &inn) == 0) {
		if ((r = wa_signal_group_encrypt(s, argv[1], argv[2], in, inn,
		    &out, &outn)) != 0)
			err(r);
		else {
			printf("ok ");
			put_hex(out, outn);
			printf("\n");
		}
	} else if (strcmp(argv[0], "gdec") == 0 && argc == 4 &&
	    unhex(argv[3], &in, &inn) == 0) {
		if ((r = wa_signal_group_decrypt(s, argv[1], argv[2], 2, in, inn,
		    &out, &outn)) != 0)
			err(r);
		else {
			printf("ok ");
			put_hex(out, outn);
			printf("\n");
		}
	} else
		printf("err %d bad command\n", WA_ERR_INVALID);
	free(in);
	free(out);
}

int
main(void)
{
	struct wa_signal_store_mem *m;
	struct wa_signal *s;
	char *line = u_malloc(LINE_MAX_BYTES);

	if (cry_init() != 0)
		return 1;
	wa_errors_register();
	m = wa_signal_store_mem_new(7);
	s = wa_signal_new(&wa_signal_store_mem_ops, m);
	wa_signal_on_identity_change(s, on_change, NULL);
	while (fgets(line, LINE_MAX_BYTES, stdin) != NULL) {
		command(s, m, line);
		fflush(stdout);
	}
	wa_signal_free(s);
	wa_signal_store_mem_free(m);
	free(line);
	return 0;
}
