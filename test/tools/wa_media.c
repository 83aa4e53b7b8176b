/*
 * wa_media.c: ponton's media transport (waweb/media.c) against a server
 * (wasim in tests), with a paired session in an SQLite file (made by
 * wa_client).  Once connected it runs each --upload and --download in
 * order, one at a time, and prints a line for each:
 *
 *   CONNECTED
 *   UPLOADED <type> <direct_path> <media_key b64> <file_sha256 hex>
 *            <file_enc_sha256 hex> <file_length>
 *   UPLOAD-FAIL <type> <code> <error>
 *   DOWNLOADED <type> <bytes> <sha256 hex of the plaintext>
 *   DOWNLOAD-FAIL <type> <code> <error>
 *
 * Usage: wa_media --url URL --db FILE --root-file FILE [--ca-file PEM]
 *          [--timeout S] [--upload TYPE:FILE]...
 *          [--download TYPE,PATH,KEY_B64,SHA_HEX|-,ENC_SHA_HEX|-,LEN,OUT]...
 * TYPE: image video audio ptt document sticker; OUT receives the
 * plaintext.  Exits 0 once every operation ran (whatever its result: the
 * test reads the lines), 1 on a connection failure or timeout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bridge/wa_store_db.h"
#include "crypto/cry.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/media.h"

#define MAX_OPS 32
/* Files the tool uploads are test fixtures: a few MiB at most. */
#define FILE_MAX ((size_t)100 << 20)

struct op {
	int			 upload;
	enum wa_media_type	 type;
	const char		*type_name;
	const char		*file;		/* upload: input; download: output */
	char			*path;		/* download; owned */
	uint8_t			 key[32], sha[32], encsha[32];
	int			 has_sha, has_encsha;
	uint64_t		 len;
};

struct tool {
	struct u_loop		*loop;
	struct db		*db;
	struct wa_client	*client;
	struct wa_media		*media;
	const char		*ca_file;
	struct op		 ops[MAX_OPS];
	size_t			 nops, next;
	int			 busy, status;
};

static void
quit(struct tool *t, int status)
{
	t->status = status;
	u_loop_stop(t->loop);
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

static int
unhex32(const char *s, uint8_t out[32], int *has)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0) {
		*has = 0;
		return 0;
	}
	if (sodium_hex2bin(out, 32, s, strlen(s), NULL, &n, NULL) != 0 ||
	    n != 32)
		return -1;
	*has = 1;
	return 0;
}

static uint8_t *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long sz;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 &&
	    (size_t)sz <= FILE_MAX && fseek(f, 0, SEEK_SET) == 0) {
		p = u_malloc((size_t)sz + 1);
		if (fread(p, 1, (size_t)sz, f) != (size_t)sz) {
			free(p);
			p = NULL;
		} else
			*n = (size_t)sz;
	}
	fclose(f);
	return p;
}

static void run_next(struct tool *t);

static void
on_uploaded(void *arg, int err, const struct wa_media_upload *res)
{
	struct tool *t = arg;
	struct op *o = &t->ops[t->next - 1];
	char key[64], sha[65], encsha[65];

	t->busy = 0;
	if (err != 0)
		printf("UPLOAD-FAIL %s %d %s\n", o->type_name, err,
		    u_strerror(err));
	else {
		sodium_bin2base64(key, sizeof(key), res->enc->media_key, 32,
		    sodium_base64_VARIANT_ORIGINAL);
		hex(res->enc->file_sha256, 32, sha);
		hex(res->enc->file_enc_sha256, 32, encsha);
		printf("UPLOADED %s %s %s %s %s %llu\n", o->type_name,
		    res->direct_path, key, sha, encsha,
		    (unsigned long long)res->enc->file_length);
	}
	run_next(t);
}

static void
on_downloaded(void *arg, int err, const uint8_t *data, size_t len)
{
	struct tool *t = arg;
	struct op *o = &t->ops[t->next - 1];
	uint8_t h[32];
	char sha[65];
	FILE *f;

	t->busy = 0;
	if (err != 0)
		printf("DOWNLOAD-FAIL %s %d %s\n", o->type_name, err,
		    u_strerror(err));
	else {
		cry_sha256(data, len, h);
		hex(h, 32, sha);
		if ((f = fopen(o->file, "wb")) == NULL ||
		    fwrite(data, 1, len, f) != len) {
			printf("DOWNLOAD-FAIL %s 0 cannot write %s\n",
			    o->type_name, o->file);
		} else
			printf("DOWNLOADED %s %zu %s\n", o->type_name, len, sha);
		if (f != NULL)
			fclose(f);
	}
	run_next(t);
}

static void
run_next(struct tool *t)
{
	struct op *o;
	struct wa_media_ref ref;
	uint8_t *data;
	size_t n = 0;
	int r;

	while (!t->busy) {
		if (t->next >= t->nops) {
			quit(t, 0);
			return;
		}
		o = &t->ops[t->next++];
		if (o->upload) {
			if ((data = read_file(o->file, &n)) == NULL) {
				printf("UPLOAD-FAIL %s 0 cannot read %s\n",
				    o->type_name, o->file);
				continue;
			}
			r = wa_media_upload(t->media, o->type, data, n,
			    on_uploaded, t);
			free(data);
			if (r != 0) {
				printf("UPLOAD-FAIL %s %d %s\n", o->type_name, r,
				    u_strerror(r));
				continue;
			}
		} else {
			memset(&ref, 0, sizeof(ref));
			ref.type = o->type;
			ref.direct_path = o->path;
			ref.media_key = o->key;
			ref.file_sha256 = o->has_sha ? o->sha : NULL;
			ref.file_enc_sha256 = o->has_encsha ? o->encsha : NULL;
			ref.file_length = o->len;
			if ((r = wa_media_download(t->media, &ref, on_downloaded,
			    t)) != 0) {
				printf("DOWNLOAD-FAIL %s %d %s\n", o->type_name,
				    r, u_strerror(r));
				continue;
			}
		}
		t->busy = 1;
	}
}

static void
on_state(void *arg, enum wa_state old, enum wa_state cur, const char *reason)
{
	struct tool *t = arg;

	printf("STATE %s %s %s\n", wa_state_name(old), wa_state_name(cur),
	    reason);
	if (wa_state_is_terminal(cur))
		quit(t, 1);
}

static void
on_connected(void *arg)
{
	struct tool *t = arg;
	struct wa_media_opts mo;

	printf("CONNECTED\n");
	if (t->media != NULL)
		return;
	memset(&mo, 0, sizeof(mo));
	mo.ca_file = t->ca_file;
	mo.timeout_ms = 30000;
	t->media = wa_media_new(t->loop, t->client, &mo);
	run_next(t);
}

static void
on_node(void *arg, const struct wa_node *n)
{
	/* Messages and notifications are not this tool's business; they
	 * stay unacked and the server keeps them for a later client. */
}

static void
on_timeout(void *arg)
{
	printf("TIMEOUT\n");
	quit(arg, 1);
}

static void
on_signal(void *arg)
{
	quit(arg, 1);
}

static int
read_root_file(const char *path, uint8_t out[32])
{
	char buf[128] = { 0 };
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (sodium_hex2bin(out, 32, buf, strlen(buf), NULL, &n, NULL) != 0 ||
	    n != 32)
		return -1;
	return 0;
}

static int
parse_upload(struct op *o, char *arg)
{
	char *colon = strchr(arg, ':');

	if (colon == NULL)
		return -1;
	*colon = '\0';
	o->upload = 1;
	o->type_name = arg;
	o->file = colon + 1;
	return wa_media_type_parse(arg, &o->type);
}

static int
parse_download(struct op *o, char *arg)
{
	char *f[7], *save = NULL, *p;
	size_t n = 0, klen = 0;

	for (p = strtok_r(arg, ",", &save); p != NULL && n < 7;
	    p = strtok_r(NULL, ",", &save))
		f[n++] = p;
	if (n != 7 || p != NULL || wa_media_type_parse(f[0], &o->type) != 0)
		return -1;
	o->type_name = f[0];
	o->path = u_strdup(f[1]);
	if (sodium_base642bin(o->key, sizeof(o->key), f[2], strlen(f[2]),
	    NULL, &klen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    klen != 32)
		return -1;
	if (unhex32(f[3], o->sha, &o->has_sha) != 0 ||
	    unhex32(f[4], o->encsha, &o->has_encsha) != 0)
		return -1;
	o->len = strtoull(f[5], NULL, 10);
	o->file = f[6];
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "db", required_argument, NULL, 'd' },
		{ "root-file", required_argument, NULL, 'r' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "upload", required_argument, NULL, 'U' },
		{ "download", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct wa_client_opts o;
	struct wa_client_cbs cbs = {
		.on_state = on_state, .on_connected = on_connected,
		.on_node = on_node,
	};
	struct tool t;
	const char *dbpath = NULL;
	uint8_t root[32];
	unsigned timeout_s = 60;
	size_t i;
	int ch, r;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.status = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'r':
			if (read_root_file(optarg, root) != 0) {
				fprintf(stderr, "wa_media: cannot read %s\n",
				    optarg);
				return 2;
			}
			o.trust_root = root;
			break;
		case 'c': t.ca_file = optarg; break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		case 'U':
		case 'D':
			if (t.nops >= MAX_OPS)
				goto usage;
			r = ch == 'U' ? parse_upload(&t.ops[t.nops], optarg) :
			    parse_download(&t.ops[t.nops], optarg);
			t.nops++;
			if (r != 0)
				goto usage;
			break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL || o.trust_root == NULL)
		goto usage;
	o.os_name = "ponton-test";
	o.browser_name = "chrome";
	if ((r = db_open(&t.db, "sqlite3-fk-wal", dbpath, NULL)) != 0 ||
	    (r = db_upgrade(t.db)) != 0) {
		fprintf(stderr, "wa_media: database: %s\n", u_strerror(r));
		db_close(t.db);
		return 1;
	}
	t.loop = u_loop_new();
	u_loop_on_signal(t.loop, on_signal, &t);
	t.client = wa_client_new(t.loop, &o, &br_wa_store_db_ops, t.db, &cbs,
	    &t);
	if (wa_client_start(t.client) != 0) {
		printf("REFUSED %s\n", o.url);
	} else {
		struct u_timer *tm = u_timer_new(t.loop, on_timeout, &t);

		u_timer_start(tm, (uint64_t)timeout_s * 1000, 0);
		u_loop_run(t.loop);
		u_timer_free(tm);
	}
	wa_media_free(t.media);
	wa_client_free(t.client);
	wa_client_shutdown(t.loop);
	u_loop_free(t.loop);
	db_close(t.db);
	for (i = 0; i < t.nops; i++)
		free(t.ops[i].path);
	return t.status;
usage:
	for (i = 0; i < t.nops; i++)
		free(t.ops[i].path);
	fprintf(stderr, "usage: wa_media --url URL --db FILE --root-file FILE "
	    "[--ca-file PEM] [--timeout S] [--upload TYPE:FILE]... "
	    "[--download TYPE,PATH,KEY_B64,SHA_HEX|-,ENC_SHA_HEX|-,LEN,OUT]...\n");
	return 2;
}
