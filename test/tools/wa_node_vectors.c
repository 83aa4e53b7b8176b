/*
 * wa_node_vectors: ponton's side of the cross-implementation binary node
 * vectors (test/data/waweb/node-vectors.json; the Baileys side is
 * test/peers/baileys/vectors.mjs, the orchestration test/wa/10-node-vectors.sh).
 *
 *   wa_node_vectors encode VECTORS        "name hex" per vector: ponton's frame
 *                                         (flag byte 0 + node) in hex
 *   wa_node_vectors check VECTORS         PASS/FAIL per vector: the encoding
 *                                         equals the vector's "hex" when given;
 *                                         it decodes back; re-encoding the
 *                                         decoded node gives the same bytes
 *                                         (unless "reencode": false)
 *   wa_node_vectors decode HEXES VIEWS    PASS/FAIL per line of HEXES: ponton
 *                                         decodes it, and the node seen the
 *                                         way Baileys shows nodes (attributes
 *                                         as strings, JIDs in Baileys' string
 *                                         form) equals VIEWS[name]
 *   wa_node_vectors decode HEXES VIEWS PEER
 *                                         the same, reported as
 *                                         ponton-decodes-PEER
 *   wa_node_vectors views VECTORS PEER    JSON {name: view}: ponton's own
 *                                         encoding decoded by ponton, or the
 *                                         vector's PEER.ponton_view where the
 *                                         peer's bytes are documented to
 *                                         decode to something else
 *
 * Vector format: see the comment at the top of node-vectors.json ("_doc").
 * Exits 0 when every case passed, 1 otherwise, 2 on usage or file errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/node.h"

static int nfail;

static void
result(int ok, const char *what, const char *name, const char *why)
{
	printf("%s: %s: %s%s%s\n", ok ? "PASS" : "FAIL", what, name,
	    ok || why == NULL ? "" : ": ", ok || why == NULL ? "" : why);
	if (!ok)
		nfail++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint8_t *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *p;

	if (n % 2)
		return NULL;
	p = u_malloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);

		if (a < 0 || b < 0) {
			free(p);
			return NULL;
		}
		p[i] = (uint8_t)(a << 4 | b);
	}
	*len = n / 2;
	return p;
}

static char *
tohex(const uint8_t *p, size_t len)
{
	char *s = u_malloc(len * 2 + 1);
	size_t i;

	for (i = 0; i < len; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[len * 2] = '\0';
	return s;
}

static int
jid_from_json(json_t *v, struct wa_jid *out)
{
	json_t *s = json_object_get(v, "jid");
	json_t *integ = json_object_get(v, "integrator");

	if (!json_is_string(s) || wa_jid_parse(json_string_value(s), out) != 0)
		return -1;
	if (integ != NULL)
		out->integrator = (uint16_t)json_integer_value(integ);
	return 0;
}

static struct wa_node *node_from_json(json_t *j);

static int
content_from_json(struct wa_node *n, json_t *c)
{
	struct wa_jid jid;
	json_t *v;
	size_t i, len;
	uint8_t *p;

	if (json_is_array(c)) {
		n->kind = WA_CONTENT_LIST;
		json_array_foreach(c, i, v) {
			struct wa_node *ch = node_from_json(v);

			if (ch == NULL)
				return -1;
			wa_node_add_child(n, ch);
		}
		return 0;
	}
	if ((v = json_object_get(c, "bytes")) != NULL) {
		if ((p = unhex(json_string_value(v), &len)) == NULL)
			return -1;
		wa_node_set_bytes(n, p, len);
		free(p);
		return 0;
	}
	if ((v = json_object_get(c, "bytes_repeat")) != NULL) {
		size_t count = (size_t)json_integer_value(json_array_get(v, 1));
		uint8_t *rep;

		if ((p = unhex(json_string_value(json_array_get(v, 0)),
		    &len)) == NULL || len == 0)
			return -1;
		rep = u_malloc(len * count + 1);
		for (i = 0; i < count; i++)
			memcpy(rep + i * len, p, len);
		wa_node_set_bytes(n, rep, len * count);
		free(rep);
		free(p);
		return 0;
	}
	if ((v = json_object_get(c, "string")) != NULL) {
		wa_node_set_string(n, json_string_value(v));
		return 0;
	}
	if ((v = json_object_get(c, "repeat")) != NULL) {
		size_t count = (size_t)json_integer_value(json_array_get(v, 1));

		n->kind = WA_CONTENT_LIST;
		for (i = 0; i < count; i++) {
			struct wa_node *ch = node_from_json(json_array_get(v, 0));

			if (ch == NULL)
				return -1;
			wa_node_add_child(n, ch);
		}
		return 0;
	}
	if (json_object_get(c, "jid") != NULL) {
		if (jid_from_json(c, &jid) != 0)
			return -1;
		wa_node_set_jid(n, &jid);
		return 0;
	}
	return -1;
}

static struct wa_node *
node_from_json(json_t *j)
{
	json_t *tag = json_object_get(j, "tag"), *attrs, *c, *pair;
	struct wa_node *n;
	struct wa_jid jid;
	size_t i;

	if (!json_is_string(tag))
		return NULL;
	n = wa_node_new(json_string_value(tag));
	attrs = json_object_get(j, "attrs");
	json_array_foreach(attrs, i, pair) {
		const char *k = json_string_value(json_array_get(pair, 0));
		json_t *v = json_array_get(pair, 1);

		if (k == NULL)
			goto fail;
		if (json_is_string(v)) {
			wa_node_set_attr(n, k, json_string_value(v));
		} else {
			if (jid_from_json(v, &jid) != 0)
				goto fail;
			wa_node_set_attr_jid(n, k, &jid);
		}
	}
	if ((c = json_object_get(j, "content")) != NULL && !json_is_null(c) &&
	    content_from_json(n, c) != 0)
		goto fail;
	return n;
fail:
	wa_node_free(n);
	return NULL;
}

/* A JID the way Baileys' decoder renders the tag ponton wrote for it. */
static void
baileys_jid(const struct wa_jid *j, char *buf, size_t size)
{
	if (strcmp(j->server, WA_SERVER_MSGR) == 0)
		snprintf(buf, size, "%s:%u@%s", j->user, j->device, j->server);
	else if (strcmp(j->server, WA_SERVER_INTEROP) == 0)
		snprintf(buf, size, "%u-%s:%u@%s", j->integrator, j->user,
		    j->device, j->server);
	else if (j->device > 0)
		snprintf(buf, size, "%s:%u@%s", j->user, j->device, j->server);
	else
		snprintf(buf, size, "%s@%s", j->user, j->server);
}

static json_t *
view(const struct wa_node *n)
{
	json_t *o = json_object(), *attrs = json_object(), *c;
	char jb[WA_JID_STR_MAX + 16];
	char *h;
	size_t i;

	json_object_set_new(o, "tag", json_string(n->tag));
	for (i = 0; i < n->nattrs; i++) {
		const struct wa_attr *a = &n->attrs[i];

		if (a->kind == WA_VAL_JID) {
			baileys_jid(&a->jid, jb, sizeof(jb));
			json_object_set_new(attrs, a->key, json_string(jb));
		} else {
			json_object_set_new(attrs, a->key, json_string(a->str));
		}
	}
	json_object_set_new(o, "attrs", attrs);
	switch (n->kind) {
	case WA_CONTENT_NONE:
		c = json_null();
		break;
	case WA_CONTENT_LIST:
		c = json_array();
		for (i = 0; i < n->nchildren; i++)
			json_array_append_new(c, view(n->children[i]));
		break;
	case WA_CONTENT_BYTES:
		h = tohex(n->bytes, n->len);
		c = json_pack("{s:s}", "bytes", h);
		free(h);
		break;
	case WA_CONTENT_STRING:
		c = json_pack("{s:s}", "string", (const char *)n->bytes);
		break;
	case WA_CONTENT_JID:
		baileys_jid(&n->jid, jb, sizeof(jb));
		c = json_pack("{s:s}", "string", jb);
		break;
	default:
		c = json_null();
	}
	json_object_set_new(o, "content", c);
	return o;
}

static json_t *
load(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);

	if (j == NULL)
		fprintf(stderr, "%s:%d: %s\n", path, err.line, err.text);
	return j;
}

static int
cmd_encode(json_t *root, int check)
{
	json_t *vecs = json_object_get(root, "vectors"), *v;
	size_t i;

	json_array_foreach(vecs, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *want = json_string_value(json_object_get(v, "hex"));
		json_t *re = json_object_get(v, "reencode");
		struct wa_node *n = node_from_json(json_object_get(v, "node"));
		struct wa_node *back = NULL;
		struct u_buf b, b2;
		char *h = NULL;
		int r;

		if (name == NULL)
			name = "?";
		if (n == NULL) {
			result(0, "ponton-parse-vector", name, "bad vector");
			continue;
		}
		u_buf_init(&b, 0);
		u_buf_init(&b2, 0);
		r = wa_node_encode_frame(n, &b);
		if (r != 0) {
			result(0, "ponton-encode", name, u_strerror(r));
			goto next;
		}
		h = tohex(b.p, b.len);
		if (!check) {
			printf("%s %s\n", name, h);
			goto next;
		}
		if (want != NULL) {
			/* "hex" is the node without the flag byte. */
			result(strcmp(h + 2, want) == 0, "ponton-expected-hex",
			    name, h + 2);
		}
		r = wa_node_decode_frame(b.p, b.len, &back);
		result(r == 0, "ponton-decodes-own", name,
		    r ? u_strerror(r) : NULL);
		if (r == 0 && !json_is_false(re)) {
			r = wa_node_encode_frame(back, &b2);
			result(r == 0 && b2.len == b.len &&
			    memcmp(b.p, b2.p, b.len) == 0, "ponton-reencode",
			    name, NULL);
		}
next:
		free(h);
		wa_node_free(back);
		wa_node_free(n);
		u_buf_free(&b);
		u_buf_free(&b2);
	}
	return 0;
}

/* Ponton's view of its own encoding of each vector (see the usage). */
static int
cmd_views(json_t *root, const char *peer)
{
	json_t *vecs = json_object_get(root, "vectors"), *v, *all = json_object();
	size_t i;
	int r = 0;

	json_array_foreach(vecs, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		json_t *doc = json_object_get(json_object_get(v, peer),
		    "ponton_view");
		struct wa_node *n = node_from_json(json_object_get(v, "node"));
		struct wa_node *back = NULL;
		struct u_buf b;

		u_buf_init(&b, 0);
		if (name == NULL || n == NULL ||
		    wa_node_encode_frame(n, &b) != 0 ||
		    wa_node_decode_frame(b.p, b.len, &back) != 0) {
			result(0, "ponton-views", name ? name : "?", NULL);
			r = 1;
		} else if (doc != NULL) {
			json_object_set(all, name, doc);
		} else {
			json_object_set_new(all, name, view(back));
		}
		wa_node_free(back);
		wa_node_free(n);
		u_buf_free(&b);
	}
	if (r == 0 && json_dumpf(all, stdout, JSON_COMPACT) != 0)
		r = 2;
	json_decref(all);
	return r;
}

static int
cmd_decode(const char *hexes, const char *views, const char *peer)
{
	char what[64];

	json_t *vroot = load(views);
	FILE *f = fopen(hexes, "r");
	char *line = NULL;
	size_t cap = 0;

	if (vroot == NULL || f == NULL) {
		fprintf(stderr, "cannot read %s or %s\n", hexes, views);
		return 2;
	}
	snprintf(what, sizeof(what), "ponton-decodes-%s", peer);
	while (getline(&line, &cap, f) > 0) {
		char *sp = strchr(line, ' '), *nl;
		struct wa_node *n = NULL;
		json_t *want, *got;
		uint8_t *p;
		size_t len;
		int r;

		if (sp == NULL)
			continue;
		*sp++ = '\0';
		if ((nl = strchr(sp, '\n')) != NULL)
			*nl = '\0';
		if ((p = unhex(sp, &len)) == NULL) {
			result(0, what, line, "bad hex");
			continue;
		}
		r = wa_node_decode_frame(p, len, &n);
		free(p);
		if (r != 0) {
			result(0, what, line, u_strerror(r));
			continue;
		}
		want = json_object_get(vroot, line);
		got = view(n);
		if (want != NULL && json_equal(want, got)) {
			result(1, what, line, NULL);
		} else {
			char *s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

			result(0, what, line,
			    want == NULL ? "no expected view" : "view differs");
			fprintf(stderr, "  got: %.2000s\n", s);
			free(s);
		}
		json_decref(got);
		wa_node_free(n);
	}
	free(line);
	fclose(f);
	json_decref(vroot);
	return 0;
}

int
main(int argc, char **argv)
{
	json_t *root;
	int r;

	wa_errors_register();
	if (argc == 3 && (strcmp(argv[1], "encode") == 0 ||
	    strcmp(argv[1], "check") == 0)) {
		if ((root = load(argv[2])) == NULL)
			return 2;
		r = cmd_encode(root, argv[1][0] == 'c');
		json_decref(root);
	} else if ((argc == 4 || argc == 5) &&
	    strcmp(argv[1], "decode") == 0) {
		r = cmd_decode(argv[2], argv[3], argc == 5 ? argv[4] : "baileys");
	} else if (argc == 4 && strcmp(argv[1], "views") == 0) {
		if ((root = load(argv[2])) == NULL)
			return 2;
		r = cmd_views(root, argv[3]);
		json_decref(root);
	} else {
		fprintf(stderr, "usage: wa_node_vectors encode|check VECTORS\n"
		    "       wa_node_vectors decode HEXES VIEWS [PEER]\n"
		    "       wa_node_vectors views VECTORS PEER\n");
		return 2;
	}
	if (r != 0)
		return r;
	return nfail ? 1 : 0;
}
