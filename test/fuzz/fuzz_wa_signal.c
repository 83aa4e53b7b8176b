/*
 * fuzz_wa_signal.c: the Signal layer (waweb/signal.h) fed arbitrary
 * pkmsg/msg/skmsg and sender-key distribution messages, decrypted by a
 * party with fixed keys and a fresh in-memory store for every input.
 *
 * Input: records of [kind (1)][length (2, big-endian)][bytes], at most
 * MAX_RECORDS, processed in order against the same state, so a pkmsg can
 * open the session a following msg continues, and a distribution message
 * the sender key a following skmsg uses:
 *   kind % 5 = 0: pkmsg from A       1: msg from A
 *              2: SKDM from A in G   3: skmsg from A in G
 *              4: msg from a stranger (no session)
 * Every call must return 0 or an error; nothing may crash or leak.
 *
 * Seeds (test/data/fuzz_wa_signal/) are real exchanges with the same fixed
 * keys; they are made by this file built with -DFUZZ_WA_SIGNAL_SEEDS as a
 * plain program against the library:
 *   cc -DFUZZ_WA_SIGNAL_SEEDS -I. -I$BUILD/gen -I/usr/include/signal \
 *     test/fuzz/fuzz_wa_signal.c $BUILD/rel/libponton.a <pkg libs> -o seeds
 *   ./seeds test/data/fuzz_wa_signal
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal/protocol.h>

#include "crypto/cry.h"
#include "crypto/cry_signal.h"
#include "waweb/signal.h"

#define MAX_RECORDS 16

static const char *A = "111_1:2";
static const char *STRANGER = "999:0";
static const char *G = "120363000000000001@g.us";

static void
fixed_priv(uint8_t k[32], uint8_t v)
{
	memset(k, v, 32);
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
}

/* B: the party under test, fixed keys and one fixed one-time prekey (id 1). */
static struct wa_signal_store_mem *
party_b(void)
{
	uint8_t id[32], spk[32], pk[32];
	struct wa_signal_store_mem *m;

	fixed_priv(id, 0x22);
	fixed_priv(spk, 0x23);
	fixed_priv(pk, 0x24);
	m = wa_signal_store_mem_new_fixed(id, 4242, spk, 7);
	wa_signal_store_mem_ops.prekey_store(m, 1, pk);
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct wa_signal_store_mem *m;
	struct wa_signal *s;
	uint8_t *out;
	size_t outlen, len, rec;
	int kind;

	if (!ready) {
		if (cry_init() != 0 || cry_signal_context() == NULL)
			abort();
		ready = 1;
	}
	m = party_b();
	s = wa_signal_new(&wa_signal_store_mem_ops, m);
	for (rec = 0; rec < MAX_RECORDS && size >= 3; rec++) {
		kind = data[0] % 5;
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		out = NULL;
		switch (kind) {
		case 0:
		case 1:
			if (wa_signal_decrypt(s, A, kind == 0 ? WA_SIGNAL_PKMSG :
			    WA_SIGNAL_MSG, 2, data, len, &out, &outlen) == 0)
				free(out);
			break;
		case 2:
			(void)wa_signal_group_process_skdm(s, G, A, data, len);
			break;
		case 3:
			if (wa_signal_group_decrypt(s, G, A, 2, data, len, &out,
			    &outlen) == 0)
				free(out);
			break;
		case 4:
			if (wa_signal_decrypt(s, STRANGER, WA_SIGNAL_MSG, 2, data,
			    len, &out, &outlen) == 0)
				free(out);
			break;
		}
		data += len;
		size -= len;
	}
	wa_signal_free(s);
	wa_signal_store_mem_free(m);
	return 0;
}

#ifdef FUZZ_WA_SIGNAL_SEEDS
static void
rec(FILE *f, int kind, const uint8_t *p, size_t n)
{
	fputc(kind, f);
	fputc((int)(n >> 8), f);
	fputc((int)(n & 0xff), f);
	fwrite(p, 1, n, f);
}

static FILE *
seed(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	return f;
}

/* The inner SignalMessage of a pkmsg, as a plain msg would carry it. */
static void
inner(const uint8_t *pk, size_t n, uint8_t **out, size_t *outlen)
{
	pre_key_signal_message *m = NULL;
	signal_buffer *b;

	if (pre_key_signal_message_deserialize(&m, pk, n,
	    cry_signal_context()) != 0)
		abort();
	b = ciphertext_message_get_serialized((ciphertext_message *)
	    pre_key_signal_message_get_signal_message(m));
	*outlen = signal_buffer_len(b);
	*out = malloc(*outlen);
	memcpy(*out, signal_buffer_data(b), *outlen);
	SIGNAL_UNREF(m);
}

int
main(int argc, char **argv)
{
	struct wa_signal_store_mem *ma, *mb;
	struct wa_signal *sa;
	struct wa_signal_bundle b;
	uint8_t ida[32], spka[32], pkb[32], *c1, *c2, *c3, *msg, *skdm, *sk;
	size_t n1, n2, n3, nm, nskdm, nsk;
	int t;
	FILE *f;

	if (argc != 2 || cry_init() != 0)
		return 2;
	fixed_priv(ida, 0x11);
	fixed_priv(spka, 0x12);
	ma = wa_signal_store_mem_new_fixed(ida, 1111, spka, 3);
	sa = wa_signal_new(&wa_signal_store_mem_ops, ma);
	mb = party_b();
	memset(&b, 0, sizeof(b));
	wa_signal_store_mem_keys(mb, b.identity, &b.registration_id,
	    b.signed_prekey, b.signature);
	b.signed_prekey_id = 7;
	b.has_prekey = true;
	b.prekey_id = 1;
	fixed_priv(pkb, 0x24);
	cry_public_from_private(b.prekey, pkb);
	if (wa_signal_session_from_bundle(sa, "222:0", &b) != 0 ||
	    wa_signal_encrypt(sa, "222:0", (const uint8_t *)"first", 5, &t, &c1,
	    &n1) != 0 ||
	    wa_signal_encrypt(sa, "222:0", (const uint8_t *)"second", 6, &t, &c2,
	    &n2) != 0 ||
	    wa_signal_encrypt(sa, "222:0", (const uint8_t *)"third", 5, &t, &c3,
	    &n3) != 0)
		return 1;
	inner(c3, n3, &msg, &nm);
	if (wa_signal_group_skdm(sa, G, A, &skdm, &nskdm) != 0 ||
	    wa_signal_group_encrypt(sa, G, A, (const uint8_t *)"group", 5, &sk,
	    &nsk) != 0)
		return 1;
	/* The seeds must get through at the fuzzed party, not just parse. */
	{
		struct wa_signal_store_mem *mc = party_b();
		struct wa_signal *sc = wa_signal_new(&wa_signal_store_mem_ops,
		    mc);
		uint8_t *o[5];
		size_t on;

		if (wa_signal_decrypt(sc, A, WA_SIGNAL_PKMSG, 2, c1, n1, &o[0],
		    &on) != 0 ||
		    wa_signal_decrypt(sc, A, WA_SIGNAL_PKMSG, 2, c2, n2, &o[1],
		    &on) != 0 ||
		    wa_signal_decrypt(sc, A, WA_SIGNAL_MSG, 2, msg, nm, &o[2],
		    &on) != 0 || on != 5 || memcmp(o[2], "third", 5) != 0 ||
		    wa_signal_group_process_skdm(sc, G, A, skdm, nskdm) != 0 ||
		    wa_signal_group_decrypt(sc, G, A, 2, sk, nsk, &o[3],
		    &on) != 0) {
			fprintf(stderr, "seeds do not decrypt at B\n");
			return 1;
		}
		for (t = 0; t < 4; t++)
			free(o[t]);
		wa_signal_free(sc);
		wa_signal_store_mem_free(mc);
	}
	f = seed(argv[1], "pkmsg.bin");
	rec(f, 0, c1, n1);
	fclose(f);
	f = seed(argv[1], "pkmsg-pkmsg-msg.bin");
	rec(f, 0, c1, n1);
	rec(f, 0, c2, n2);
	rec(f, 1, msg, nm);
	fclose(f);
	f = seed(argv[1], "skdm-skmsg.bin");
	rec(f, 2, skdm, nskdm);
	rec(f, 3, sk, nsk);
	rec(f, 3, sk, nsk);
	fclose(f);
	f = seed(argv[1], "stranger-msg.bin");
	rec(f, 4, msg, nm);
	rec(f, 1, msg, nm);
	fclose(f);
	free(c1);
	free(c2);
	free(c3);
	free(msg);
	free(skdm);
	free(sk);
	wa_signal_free(sa);
	wa_signal_store_mem_free(ma);
	wa_signal_store_mem_free(mb);
	return 0;
}
#endif
