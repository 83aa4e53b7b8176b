/*
 * bench/wa_node: encode and decode throughput of ponton's binary node codec
 * on the cross-implementation vectors (test/data/waweb/node-vectors.json:
 * every vector Baileys can write, minus "bench_skip"), the same corpus
 * bench/wa_node.sh feeds Baileys.  Reported, never asserted.
 *
 *   wa_node VECTORS [SECONDS]   prints one JSON line:
 *   {"nodes":N,"bytes":B,"encode_s":..,"decode_s":..,"rounds":R}
 * Each phase repeats the whole corpus until SECONDS (default 1) have passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/mem.h"
#include "waweb/jid.h"
#include "waweb/node.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s) / 2, i;
	uint8_t *p = u_malloc(n + 1);
	unsigned v;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			v = 0;
		p[i] = (uint8_t)v;
	}
	*len = n;
	return p;
}

static int
jid_of(json_t *v, struct wa_jid *j)
{
	json_t *integ = json_object_get(v, "integrator");

	if (wa_jid_parse(json_string_value(json_object_get(v, "jid")), j) != 0)
		return -1;
	if (integ != NULL)
		j->integrator = (uint16_t)json_integer_value(integ);
	return 0;
}

/* The vector format of node-vectors.json ("_doc" there). */
static struct wa_node *
build(json_t *j)
{
	struct wa_node *n = wa_node_new(json_string_value(json_object_get(j,
	    "tag")));
	json_t *c = json_object_get(j, "content"), *pair, *v;
	struct wa_jid jid;
	size_t i, len, count;
	uint8_t *p, *rep;

	json_array_foreach(json_object_get(j, "attrs"), i, pair) {
		const char *k = json_string_value(json_array_get(pair, 0));

		v = json_array_get(pair, 1);
		if (json_is_string(v))
			wa_node_set_attr(n, k, json_string_value(v));
		else if (jid_of(v, &jid) == 0)
			wa_node_set_attr_jid(n, k, &jid);
	}
	if (c == NULL || json_is_null(c))
		return n;
	if (json_is_array(c)) {
		n->kind = WA_CONTENT_LIST;
		json_array_foreach(c, i, v)
			wa_node_add_child(n, build(v));
	} else if ((v = json_object_get(c, "bytes")) != NULL) {
		p = unhex(json_string_value(v), &len);
		wa_node_set_bytes(n, p, len);
		free(p);
	} else if ((v = json_object_get(c, "bytes_repeat")) != NULL) {
		p = unhex(json_string_value(json_array_get(v, 0)), &len);
		count = (size_t)json_integer_value(json_array_get(v, 1));
		rep = u_malloc(len * count + 1);
		for (i = 0; i < count; i++)
			memcpy(rep + i * len, p, len);
		wa_node_set_bytes(n, rep, len * count);
		free(rep);
		free(p);
	} else if ((v = json_object_get(c, "string")) != NULL) {
		wa_node_set_string(n, json_string_value(v));
	} else if ((v = json_object_get(c, "repeat")) != NULL) {
		count = (size_t)json_integer_value(json_array_get(v, 1));
		n->kind = WA_CONTENT_LIST;
		for (i = 0; i < count; i++)
			wa_node_add_child(n, build(json_array_get(v, 0)));
	} else if (jid_of(c, &jid) == 0) {
		wa_node_set_jid(n, &jid);
	}
	return n;
}

int
main(int argc, char **argv)
{
	json_error_t err;
	json_t *root, *v;
	struct wa_node **nodes;
	struct u_buf *enc, tmp;
	size_t i, n = 0, bytes = 0, rounds, k;
	double secs = argc > 2 ? atof(argv[2]) : 1.0, t0, t_enc, t_dec;

	if (argc < 2 || (root = json_load_file(argv[1], 0, &err)) == NULL) {
		fprintf(stderr, "usage: wa_node VECTORS [SECONDS]\n");
		return 2;
	}
	nodes = u_calloc(json_array_size(json_object_get(root, "vectors")),
	    sizeof(*nodes));
	enc = u_calloc(json_array_size(json_object_get(root, "vectors")),
	    sizeof(*enc));
	json_array_foreach(json_object_get(root, "vectors"), i, v) {
		if (json_is_false(json_object_get(v, "baileys")) ||
		    json_is_true(json_object_get(v, "bench_skip")))
			continue;
		nodes[n] = build(json_object_get(v, "node"));
		u_buf_init(&enc[n], 0);
		if (wa_node_encode_frame(nodes[n], &enc[n]) != 0) {
			fprintf(stderr, "cannot encode %s\n",
			    json_string_value(json_object_get(v, "name")));
			return 1;
		}
		bytes += enc[n].len;
		n++;
	}
	u_buf_init(&tmp, 0);
	t0 = now();
	for (rounds = 0; rounds == 0 || now() - t0 < secs; rounds++)
		for (k = 0; k < n; k++) {
			u_buf_reset(&tmp);
			if (wa_node_encode_frame(nodes[k], &tmp) != 0)
				return 1;
		}
	t_enc = (now() - t0) / (double)rounds;
	t0 = now();
	for (i = 0; i < rounds; i++)
		for (k = 0; k < n; k++) {
			struct wa_node *d = NULL;

			if (wa_node_decode_frame(enc[k].p, enc[k].len, &d) != 0)
				return 1;
			wa_node_free(d);
		}
	t_dec = (now() - t0) / (double)rounds;
	/* Per-round times, so the two sides compare whatever their rounds. */
	printf("{\"nodes\":%zu,\"bytes\":%zu,\"rounds\":%zu,"
	    "\"encode_s\":%.9f,\"decode_s\":%.9f}\n", n, bytes, rounds,
	    t_enc, t_dec);
	for (k = 0; k < n; k++) {
		wa_node_free(nodes[k]);
		u_buf_free(&enc[k]);
	}
	u_buf_free(&tmp);
	free(nodes);
	free(enc);
	json_decref(root);
	return 0;
}
