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
 *   wa_signal_peer db FILE
 *
 * The same party ("A") on an SQLite database (bridge/wa_signal_db.c, the
 * whatsmeow_* tables), plus an in-memory party "B", for checking that the
 * records we store are whatsmeow's (test/peers/golibsignal).  Extra
 * commands:
 *   setup            -> ok <A identity priv> <A reg id> <A addr> <B addr>
 *                       <C addr>
 *                       (device row for A; B starts a session from A's
 *                       bundle, one message each way; each side's sender
 *                       key in group GROUP distributed to the other; A
 *                       starts a session with a third party C from C's
 *                       bundle and sends one pkmsg C has not answered, so
 *                       A's record for C holds a pending prekey)
 *   c2a <pt>         -> ok <type> <ct>     (C encrypts to A)
 *   cdec <type> <ct> -> ok <pt>            (C decrypts from A)
 *   b2a <pt>         -> ok <type> <ct>     (B encrypts to A)
 *   bdec <type> <ct> -> ok <pt>            (B decrypts from A)
 *   bgenc <pt>       -> ok <skmsg>         (B's sender key)
 *   bgdec <ct>       -> ok <pt>            (A's skmsg at B)
 *   export session <addr> | export sk <group> <sender>  -> ok <record>
 *   import session <addr> <record> | import sk <group> <sender> <record>
 *                    (A's whatsmeow_sessions / whatsmeow_sender_keys rows,
 *                    raw: the JSON whatsmeow reads and writes)
 *
 * Does not: talk to a server; the peer script carries the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/wa_signal_db.h"
#include "bridge/wa_store_db.h"
#include "crypto/cry.h"
#include "db/db.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/signal.h"
#include "waweb/store.h"

#define LINE_MAX_BYTES (1u << 22)
#define A_JID "33600000001:7@s.whatsapp.net"
#define A_ADDR "33600000001:7"
#define B_ADDR "100000000000002_1:3"
#define C_ADDR "300000000000003_1:4"
#define GROUP "120363000000000042@g.us"

static int changes;

/* db mode */
static struct db *dbh;
static struct wa_signal *sb, *sc;
static struct wa_signal_store_mem *mb, *mc;
static struct br_wa_signal_db *sta;

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
ok_hex(const uint8_t *p, size_t n)
{
	printf("ok ");
	put_hex(p, n);
	printf("\n");
}

/* One message from `from` to `to`, checked; 0 or an error. */
static int
xfer(struct wa_signal *from, const char *to, struct wa_signal *rx,
    const char *fromaddr, const char *text)
{
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctn, ptn;
	int r, type;

	if ((r = wa_signal_encrypt(from, to, (const uint8_t *)text,
	    strlen(text), &type, &ct, &ctn)) == 0)
		r = wa_signal_decrypt(rx, fromaddr, type, 2, ct, ctn, &pt, &ptn);
	if (r == 0 && (ptn != strlen(text) || memcmp(pt, text, ptn) != 0))
		r = WA_ERR_INTERNAL;
	free(ct);
	free(pt);
	return r;
}

static int
distribute(struct wa_signal *from, const char *fromaddr, struct wa_signal *to)
{
	uint8_t *skdm = NULL;
	size_t n;
	int r;

	if ((r = wa_signal_group_skdm(from, GROUP, fromaddr, &skdm, &n)) == 0)
		r = wa_signal_group_process_skdm(to, GROUP, fromaddr, skdm, n);
	free(skdm);
	return r;
}

static int
setup(struct wa_signal *sa, struct br_wa_signal_db *st)
{
	struct wa_device dev;
	struct wa_signal_bundle b;
	struct cry_keypair pk;
	int r;

	memset(&dev, 0, sizeof(dev));
	if ((r = wa_device_generate(&dev)) != 0)
		return r;
	dev.jid = u_strdup(A_JID);
	dev.adv_details = u_memdup("\x08\x01", 2);
	dev.adv_details_len = 2;
	dev.platform = u_strdup("");
	if ((r = br_wa_store_db_ops.device_save(dbh, &dev)) != 0)
		goto out;
	memset(&b, 0, sizeof(b));
	memcpy(b.identity, dev.identity.pub, 32);
	b.registration_id = dev.registration_id;
	b.signed_prekey_id = dev.signed_prekey_id;
	memcpy(b.signed_prekey, dev.signed_prekey.pub, 32);
	memcpy(b.signature, dev.signed_prekey_sig, 64);
	cry_keypair_generate(&pk);
	b.has_prekey = true;
	b.prekey_id = 11;
	memcpy(b.prekey, pk.pub, 32);
	if ((r = br_wa_signal_db_ops.prekey_store(st, 11, pk.priv)) != 0 ||
	    (r = wa_signal_session_from_bundle(sb, A_ADDR, &b)) != 0 ||
	    (r = xfer(sb, A_ADDR, sa, B_ADDR, "setup 1")) != 0 ||
	    (r = xfer(sa, B_ADDR, sb, A_ADDR, "setup 2")) != 0 ||
	    (r = distribute(sb, B_ADDR, sa)) != 0 ||
	    (r = distribute(sa, A_ADDR, sb)) != 0)
		goto out;
	/* A -> C, unanswered. */
	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(mc, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 9;
	cry_keypair_generate(&pk);
	b.has_prekey = true;
	b.prekey_id = 0x123456;
	memcpy(b.prekey, pk.pub, 32);
	if ((r = wa_signal_store_mem_ops.prekey_store(mc, b.prekey_id,
	    pk.priv)) != 0 ||
	    (r = wa_signal_session_from_bundle(sa, C_ADDR, &b)) != 0 ||
	    (r = xfer(sa, C_ADDR, sc, A_ADDR, "setup 3")) != 0)
		goto out;
	printf("ok ");
	put_hex(dev.identity.priv, 32);
	printf(" %u %s %s %s\n", dev.registration_id, A_ADDR, B_ADDR, C_ADDR);
out:
	wa_device_clear(&dev);
	return r;
}

/* Raw row access for export/import. */
static int
row(const char *sql, const char *k1, const char *k2, const uint8_t *val,
    size_t n, int want_row)
{
	struct db_stmt *st = NULL;
	const void *p;
	size_t len;
	int r, idx = 1;

	if ((r = db_prepare(dbh, sql, &st)) != 0 ||
	    (r = db_bind_text(st, idx++, A_JID)) != 0 ||
	    (r = db_bind_text(st, idx++, k1)) != 0 ||
	    (k2 != NULL && (r = db_bind_text(st, idx++, k2)) != 0) ||
	    (val != NULL && (r = db_bind_blob(st, idx++, val, n)) != 0))
		goto out;
	r = db_step(st);
	if (want_row) {
		if (r != DB_ROW || (p = db_column_blob(st, 0, &len)) == NULL) {
			r = r < 0 ? r : U_ERR_NOT_FOUND;
			goto out;
		}
		ok_hex(p, len);
	} else if (r >= 0)
		printf("ok\n");
	r = r < 0 ? r : 0;
out:
	db_stmt_free(st);
	return r;
}

static int
db_command(struct wa_signal *sa, int argc, char **argv)
{
	uint8_t *in = NULL, *out = NULL;
	size_t inn = 0, outn = 0;
	int r = 0, type;

	if (strcmp(argv[0], "setup") == 0) {
		r = setup(sa, sta);
	} else if (strcmp(argv[0], "b2a") == 0 && argc == 2 &&
	    unhex(argv[1], &in, &inn) == 0) {
		if ((r = wa_signal_encrypt(sb, A_ADDR, in, inn, &type, &out,
		    &outn)) == 0) {
			printf("ok %s ", wa_signal_type_name(type));
			put_hex(out, outn);
			printf("\n");
		}
	} else if (strcmp(argv[0], "bdec") == 0 && argc == 3 &&
	    type_of(argv[1]) > 0 && unhex(argv[2], &in, &inn) == 0) {
		if ((r = wa_signal_decrypt(sb, A_ADDR, type_of(argv[1]), 2, in,
		    inn, &out, &outn)) == 0)
			ok_hex(out, outn);
	} else if (strcmp(argv[0], "c2a") == 0 && argc == 2 &&
	    unhex(argv[1], &in, &inn) == 0) {
		if ((r = wa_signal_encrypt(sc, A_ADDR, in, inn, &type, &out,
		    &outn)) == 0) {
			printf("ok %s ", wa_signal_type_name(type));
			put_hex(out, outn);
			printf("\n");
		}
	} else if (strcmp(argv[0], "cdec") == 0 && argc == 3 &&
	    type_of(argv[1]) > 0 && unhex(argv[2], &in, &inn) == 0) {
		if ((r = wa_signal_decrypt(sc, A_ADDR, type_of(argv[1]), 2, in,
		    inn, &out, &outn)) == 0)
			ok_hex(out, outn);
	} else if (strcmp(argv[0], "bgenc") == 0 && argc == 2 &&
	    unhex(argv[1], &in, &inn) == 0) {
		if ((r = wa_signal_group_encrypt(sb, GROUP, B_ADDR, in, inn,
		    &out, &outn)) == 0)
			ok_hex(out, outn);
	} else if (strcmp(argv[0], "bgdec") == 0 && argc == 2 &&
	    unhex(argv[1], &in, &inn) == 0) {
		if ((r = wa_signal_group_decrypt(sb, GROUP, A_ADDR, 2, in, inn,
		    &out, &outn)) == 0)
			ok_hex(out, outn);
	} else if (strcmp(argv[0], "export") == 0 && argc == 3 &&
	    strcmp(argv[1], "session") == 0) {
		r = row("SELECT session FROM whatsmeow_sessions WHERE our_jid = "
		    "$1 AND their_id = $2", argv[2], NULL, NULL, 0, 1);
	} else if (strcmp(argv[0], "export") == 0 && argc == 4 &&
	    strcmp(argv[1], "sk") == 0) {
		r = row("SELECT sender_key FROM whatsmeow_sender_keys WHERE "
		    "our_jid = $1 AND chat_id = $2 AND sender_id = $3", argv[2],
		    argv[3], NULL, 0, 1);
	} else if (strcmp(argv[0], "import") == 0 && argc == 4 &&
	    strcmp(argv[1], "session") == 0 && unhex(argv[3], &in, &inn) == 0) {
		r = row("UPDATE whatsmeow_sessions SET session = $3 WHERE "
		    "our_jid = $1 AND their_id = $2", argv[2], NULL, in, inn, 0);
	} else if (strcmp(argv[0], "import") == 0 && argc == 5 &&
	    strcmp(argv[1], "sk") == 0 && unhex(argv[4], &in, &inn) == 0) {
		r = row("UPDATE whatsmeow_sender_keys SET sender_key = $4 WHERE "
		    "our_jid = $1 AND chat_id = $2 AND sender_id = $3", argv[2],
		    argv[3], in, inn, 0);
	} else
		r = 1;
	if (r < 0)
		err(r);
	free(in);
	free(out);
	return r > 0 ? -1 : 0;
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
	} else if (dbh != NULL && db_command(s, argc, argv) == 0) {
		;
	} else
		printf("err %d bad command\n", WA_ERR_INVALID);
	free(in);
	free(out);
}

int
main(int argc, char **argv)
{
	struct wa_signal_store_mem *m;
	struct br_wa_signal_db *st = NULL;
	struct wa_signal *s;
	char *line = u_malloc(LINE_MAX_BYTES), *uri;

	if (cry_init() != 0)
		return 1;
	wa_errors_register();
	db_init();
	m = wa_signal_store_mem_new(7);
	if (argc == 3 && strcmp(argv[1], "db") == 0) {
		uri = u_asprintf("file:%s?_txlock=immediate", argv[2]);
		if (db_open(&dbh, "sqlite3-fk-wal", uri, NULL) != 0 ||
		    db_upgrade(dbh) != 0) {
			fprintf(stderr, "cannot open %s: %s\n", argv[2],
			    db_open_errmsg());
			return 1;
		}
		free(uri);
		st = sta = br_wa_signal_db_new(dbh, A_JID);
		s = wa_signal_new(&br_wa_signal_db_ops, st);
		mb = wa_signal_store_mem_new(9);
		sb = wa_signal_new(&wa_signal_store_mem_ops, mb);
		mc = wa_signal_store_mem_new(9);
		sc = wa_signal_new(&wa_signal_store_mem_ops, mc);
	} else
		s = wa_signal_new(&wa_signal_store_mem_ops, m);
	wa_signal_on_identity_change(s, on_change, NULL);
	while (fgets(line, LINE_MAX_BYTES, stdin) != NULL) {
		command(s, m, line);
		fflush(stdout);
	}
	wa_signal_free(s);
	wa_signal_free(sb);
	wa_signal_store_mem_free(mb);
	wa_signal_free(sc);
	wa_signal_store_mem_free(mc);
	br_wa_signal_db_free(st);
	db_close(dbh);
	wa_signal_store_mem_free(m);
	free(line);
	return 0;
}
