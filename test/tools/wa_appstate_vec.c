/*
 * wa_appstate_vec: ponton's side of the app-state vectors against
 * whatsmeow's appstate package (test/peers/whatsmeow/appstatevec.go;
 * orchestration test/wa/64-appstate-vectors.sh).
 *
 *   wa_appstate_vec check FILE
 *       FILE is `whatsmeow-driver appstatevec encode`'s output: each patch
 *       whatsmeow encoded is applied with waweb/appstate (every MAC and the
 *       LTHash verified) on an in-memory store; prints
 *       PASS|FAIL: ponton-decodes-whatsmeow-<n> (same version and LTHash as
 *       whatsmeow reached, the same contacts and push name reported).
 *   wa_appstate_vec make
 *       prints a key, a snapshot and patches built and applied by ponton
 *       (SET, SET over SET, REMOVE, SET-REMOVE-SET in one patch, a REMOVE of
 *       an index never set) with the state ponton reached after each,
 *       tampered copies ponton refused (BAD lines), and last a SET-REMOVE-
 *       SET of one index in one patch (a DIFF line: the pinned whatsmeow
 *       computes its LTHash otherwise, see make()), for
 *       `whatsmeow-driver appstatevec decode`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/crypto/hex.h"
#include "test/unit/waweb/appstate_build.h"
#include "util/err.h"
#include "util/log.h"
#include "waweb/appstate.h"
#include "waweb/errors.h"
#include "waweb/store.h"

#define OUR_JID "33600000001:7@s.whatsapp.net"

/* What the apply reported, as "CONTACT jid fullhex firsthex lid" /
 * "PUSHNAME namehex" lines, compared with whatsmeow's. */
static char reported[64][1024];
static size_t nreported;

static void
tohex(const char *s, char *out)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", (unsigned char)s[i]);
	out[2 * n] = '\0';
}

static void
on_contact(void *arg, const struct wa_appstate_contact *c)
{
	char full[256], first[256];

	if (nreported >= 64 || strlen(c->jid) > 100 ||
	    (c->full_name && strlen(c->full_name) > 100) ||
	    (c->first_name && strlen(c->first_name) > 100))
		return;
	tohex(c->full_name, full);
	tohex(c->first_name, first);
	snprintf(reported[nreported++], sizeof(reported[0]),
	    "CONTACT %s %s %s %s", c->jid, full, first,
	    c->lid_jid != NULL ? c->lid_jid : "-");
}

static void
on_push_name(void *arg, const char *name)
{
	char h[256];

	if (nreported >= 64 || strlen(name) > 100)
		return;
	tohex(name, h);
	snprintf(reported[nreported++], sizeof(reported[0]), "PUSHNAME %s", h);
}

static struct wa_appstate *
new_as(struct wa_store_mem **m)
{
	struct wa_appstate_opts o;
	struct wa_appstate_cbs cbs = { on_contact, on_push_name, NULL, NULL };

	*m = wa_store_mem_new();
	memset(&o, 0, sizeof(o));
	o.ops = &wa_store_mem_ops;
	o.store_arg = *m;
	o.our_jid = OUR_JID;
	return wa_appstate_new(&o, &cbs, NULL);
}

static void
hexout(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* The line's expected report lines are the CONTACT/PUSHNAME lines that
 * follow a PATCH line with its version; checked when the next PATCH or
 * the end comes. */
struct pending {
	int	 active;
	int	 step;
	char	 exp[64][1024];
	size_t	 nexp;
};

static int
finish_step(struct pending *p)
{
	size_t i, j;
	int ok = 1;

	if (!p->active)
		return 0;
	p->active = 0;
	if (nreported != p->nexp)
		ok = 0;
	for (i = 0; ok && i < p->nexp; i++) {
		for (j = 0; j < nreported; j++)
			if (strcmp(p->exp[i], reported[j]) == 0)
				break;
		if (j == nreported) {
			fprintf(stderr, "  whatsmeow: %s\n  not reported by "
			    "ponton\n", p->exp[i]);
			ok = 0;
		}
	}
	if (!ok) {
		for (j = 0; j < nreported; j++)
			fprintf(stderr, "  ponton: %s\n", reported[j]);
		printf("FAIL: ponton-reports-like-whatsmeow-%d (%zu vs %zu)\n",
		    p->step, nreported, p->nexp);
		return 1;
	}
	printf("PASS: ponton-reports-like-whatsmeow-%d\n", p->step);
	return 0;
}

static int
check(const char *path)
{
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&m);
	struct pending pend;
	FILE *f = fopen(path, "r");
	char *line = NULL, *save, *w[8];
	size_t cap = 0, n, i;
	int status = 0, step = 0;

	memset(&pend, 0, sizeof(pend));
	if (f == NULL) {
		perror(path);
		return 1;
	}
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		for (n = 0, save = NULL; n < 8 && (w[n] = strtok_r(n ? NULL :
		    line, " ", &save)) != NULL; n++)
			;
		if (n == 0)
			continue;
		if (strcmp(w[0], "KEY") == 0 && n == 3) {
			size_t il, dl;
			uint8_t *id = unhex(w[1], &il), *d = unhex(w[2], &dl);
			wa_store_mem_ops.appstate_key_put(m, OUR_JID, id, il, d,
			    dl, 1, (const uint8_t *)"", 0);
			free(id);
			free(d);
		} else if (strcmp(w[0], "PATCH") == 0 && n == 5) {
			size_t pl, hl;
			uint8_t *p = unhex(w[3], &pl), *h = unhex(w[4], &hl);
			const uint8_t *ps[1] = { p };
			uint8_t got[WA_APPSTATE_HASH_LEN];
			uint64_t v = 0;
			int r;

			status |= finish_step(&pend);
			step++;
			nreported = 0;
			r = wa_appstate_apply(as, w[1], NULL, 0, ps, &pl, 1,
			    NULL, NULL, 0);
			if (r == 0)
				r = wa_appstate_state(as, w[1], &v, got);
			if (r != 0) {
				printf("FAIL: ponton-decodes-whatsmeow-%d (%s)\n",
				    step, u_strerror(r));
				status = 1;
			} else if (v != strtoull(w[2], NULL, 10) || hl != 128 ||
			    memcmp(got, h, 128) != 0) {
				printf("FAIL: ponton-decodes-whatsmeow-%d (state "
				    "differs: v%llu)\n", step,
				    (unsigned long long)v);
				status = 1;
			} else {
				printf("PASS: ponton-decodes-whatsmeow-%d\n",
				    step);
			}
			pend.active = 1;
			pend.step = step;
			pend.nexp = 0;
			free(p);
			free(h);
		} else if ((strcmp(w[0], "CONTACT") == 0 && n == 6) ||
		    (strcmp(w[0], "PUSHNAME") == 0 && n == 3)) {
			if (pend.nexp < 64) {
				if (w[0][0] == 'C')
					snprintf(pend.exp[pend.nexp++], 1024,
					    "CONTACT %s %s %s %s", w[2], w[3],
					    w[4], w[5]);
				else
					snprintf(pend.exp[pend.nexp++], 1024,
					    "PUSHNAME %s", w[2]);
			}
		}
	}
	status |= finish_step(&pend);
	if (step == 0) {
		printf("FAIL: ponton-decodes-whatsmeow (no patches)\n");
		status = 1;
	}
	free(line);
	fclose(f);
	wa_appstate_free(as);
	wa_store_mem_free(m);
	(void)i;
	return status;
}

/* Apply with ponton and print the line whatsmeow decodes. */
static int
emit(struct wa_appstate *as, const char *kind, const char *label,
    const char *name, const uint8_t *p, size_t len)
{
	uint8_t h[WA_APPSTATE_HASH_LEN];
	uint64_t v;
	int r;

	if (strcmp(kind, "SNAPSHOT") == 0)
		r = wa_appstate_apply(as, name, p, len, NULL, NULL, 0, NULL,
		    NULL, 1);
	else
		r = wa_appstate_apply(as, name, NULL, 0, &p, &len, 1, NULL,
		    NULL, 0);
	if (strcmp(kind, "BAD") == 0) {
		if (r == 0) {
			fprintf(stderr, "wa_appstate_vec: ponton accepted the "
			    "tampered %s\n", label);
			return 1;
		}
		printf("BAD %s %s ", label, name);
		hexout(p, len);
		printf("\n");
		return 0;
	}
	if (r != 0 || wa_appstate_state(as, name, &v, h) != 0) {
		fprintf(stderr, "wa_appstate_vec: ponton refused its own %s: "
		    "%s\n", label, u_strerror(r));
		return 1;
	}
	printf("%s %s %s ", kind, label, name);
	hexout(p, len);
	printf(" %llu ", (unsigned long long)v);
	hexout(h, WA_APPSTATE_HASH_LEN);
	printf("\n");
	return 0;
}

static int
make(void)
{
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&m);
	struct as_builder b;
	struct mspec s[4];
	uint8_t *p, *a1, *a2, *a3;
	size_t len, l1, l2, l3;
	int st = 0;
	const char *cul = "critical_unblock_low";

	as_builder_init(&b, cul);
	wa_store_mem_ops.appstate_key_put(m, OUR_JID, KID, 2, KEYDATA, 32, 1,
	    (const uint8_t *)"", 0);
	printf("KEY ");
	hexout(KID, 2);
	printf(" ");
	hexout(KEYDATA, 32);
	printf("\n");
	a1 = contact_action("Alice Martin", "Alice", NULL, &l1);
	a2 = contact_action("Bob", "Bob", "1234@lid", &l2);
	a3 = push_action("Me", &l3);
	memset(s, 0, sizeof(s));
	s[0] = (struct mspec){ 0, "[\"contact\",\"33611111111@s.whatsapp.net\"]",
	    a1, l1, NULL };
	s[1] = (struct mspec){ 0, "[\"contact\",\"33622222222@s.whatsapp.net\"]",
	    a2, l2, NULL };
	s[2] = (struct mspec){ 0, "[\"setting_pushName\"]", a3, l3, NULL };
	p = build_snapshot(&b, 5, s, 3, &len);
	st |= emit(as, "SNAPSHOT", "snapshot-v5", cul, p, len);
	b.model = b.pending;
	free(p);

	/* v6: Bob removed, Alice set again. */
	s[1].op = 1;
	p = build_patch(&b, 6, (struct mspec[2]){ s[1], s[0] }, 2, &len);
	st |= emit(as, "PATCH", "remove-and-overwrite-v6", cul, p, len);
	b.model = b.pending;
	free(p);

	/* v7: a REMOVE of an index never set (whatsmeow warns, goes on) and
	 * Bob back. */
	s[1].op = 0;
	p = build_patch(&b, 7, (struct mspec[2]){
	    { 1, "[\"contact\",\"33699999999@s.whatsapp.net\"]", a1, l1, NULL },
	    s[1] }, 2, &len);
	st |= emit(as, "PATCH", "remove-unknown-v7", cul, p, len);
	b.model = b.pending;
	free(p);

	/* Tampered v8 copies: patch MAC, snapshot MAC, a value byte. */
	{
		Wa__SyncdPatch *pt;
		uint8_t *q;
		size_t qlen;
		int which;

		p = build_patch(&b, 8, s, 1, &len);
		for (which = 0; which < 3; which++) {
			static const char *labels[3] = { "patch-mac-v8",
			    "snapshot-mac-v8", "value-byte-v8" };
			pt = wa__syncd_patch__unpack(NULL, len, p);
			if (which == 0)
				pt->patch_mac.data[5] ^= 1;
			else if (which == 1)
				pt->snapshot_mac.data[5] ^= 1;
			else
				pt->mutations[0]->record->value->blob.data[17] ^= 1;
			qlen = wa__syncd_patch__get_packed_size(pt);
			q = malloc(qlen);
			wa__syncd_patch__pack(pt, q);
			wa__syncd_patch__free_unpacked(pt, NULL);
			st |= emit(as, "BAD", labels[which], cul, q, qlen);
			free(q);
		}
		/* The genuine one still applies after all that. */
		st |= emit(as, "PATCH", "after-bad-v8", cul, p, len);
		b.model = b.pending;
		free(p);
	}

	/*
	 * v9, last because the pinned whatsmeow parts from ponton here: SET,
	 * REMOVE, SET of one new index inside one patch.  ponton (like
	 * whatsmeow's current appstate/decode.go validatePatch: "Found a
	 * REMOVE operation, no previous value") takes no previous value for
	 * the second SET; the pinned whatsmeow subtracts the REMOVE's value
	 * MAC and so finds another LTHash.  A DIFF line: whatsmeow must
	 * refuse it with an LTHash mismatch, and ponton accepts it.
	 */
	s[3] = (struct mspec){ 0, "[\"contact\",\"33644444444@s.whatsapp.net\"]",
	    a2, l2, NULL };
	p = build_patch(&b, 9, (struct mspec[3]){ s[3],
	    { 1, s[3].index, a2, l2, NULL }, s[3] }, 3, &len);
	st |= emit(as, "DIFF", "set-remove-set-v9", cul, p, len);
	b.model = b.pending;
	free(p);
	free(a1);
	free(a2);
	free(a3);
	wa_appstate_free(as);
	wa_store_mem_free(m);
	return st;
}

int
main(int argc, char **argv)
{
	struct u_log_config lc = { 0 };

	(void)lc;
	wa_errors_register();
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	if (argc == 2 && strcmp(argv[1], "make") == 0)
		return make();
	fprintf(stderr, "usage: wa_appstate_vec check FILE | make\n");
	return 2;
}
