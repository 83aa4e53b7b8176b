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
 * Then, as a messaging client (after the offline queue was delivered):
 *
 *   SENT-MEDIA <type> <id>          a --send-media went out (uploaded, the
 *                                   message encrypted, acked by the server)
 *   SEND-FAIL <type> <code> <error>
 *   RECV-MEDIA <kind> <id> <bytes> <sha256 hex> <waveform_len>
 *              <thumbnail_len> <file_name|-> <mimetype>
 *                                   a media message received,
 *                                   downloaded (every hash checked) and
 *                                   written to --save-dir/<id>
 *   RECV-MEDIA-FAIL <kind> <id> <code> <error>
 *   MEDIA-RETRY <id> <code> <error|direct_path>   with --media-retry, a
 *                                   download found the URL expired and
 *                                   asked the sender's phone (0: re-uploaded,
 *                                   the download is tried again)
 *
 * Usage: wa_media --url URL --db FILE --root-file FILE [--ca-file PEM]
 *          [--timeout S] [--upload TYPE:FILE]...
 *          [--download TYPE,PATH,KEY_B64,SHA_HEX|-,ENC_SHA_HEX|-,LEN,OUT]...
 *          [--to JID --send-media TYPE:FILE...] [--expect-media N
 *          --save-dir DIR [--media-retry]]
 * TYPE: image video audio ptt document sticker; OUT receives the
 * plaintext.  A sent voice note (ptt) says "audio/ogg; codecs=opus" with
 * a 64-sample waveform made from the file's bytes (the tool does not
 * decode Opus); a document is named after the file.  Exits 0 once every
 * operation ran (whatever its result: the test reads the lines), every
 * send was acked and --expect-media messages were downloaded; 1 on a
 * connection failure, a failed send or a timeout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <time.h>

#include "bridge/wa_signal_db.h"
#include "bridge/wa_store_db.h"
#include "crypto/cry.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/content.h"
#include "waweb/errors.h"
#include "waweb/media.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"
#include "test/tools/tool.h"

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

/* A received media message being downloaded. */
struct recv {
	struct tool		*t;		/* borrowed */
	char			 id[WA_MSG_ID_MAX];
	char			 kind[16];
	char			*file_name;	/* owned or NULL */
	char			*mimetype;	/* owned or NULL */
	size_t			 waveform_len, thumbnail_len;
	/* For a media retry: the message and its media. */
	char			 chat[WA_JID_STR_MAX];
	char			 participant[WA_JID_STR_MAX];
	int			 from_me, is_group, retried;
	enum wa_media_type	 type;
	char			*path;		/* owned */
	uint8_t			 key[32], sha[32], encsha[32];
	int			 has_sha, has_encsha;
	uint64_t		 len;
};

struct tool {
	struct u_loop		*loop;
	struct db		*db;
	struct wa_client	*client;
	struct wa_media		*media;
	struct br_wa_signal_db	*sigdb;
	struct wa_signal	*sig;
	struct wa_msg_sender	*sender;
	struct wa_msg_receiver	*receiver;
	const char		*ca_file;
	struct op		 ops[MAX_OPS];
	size_t			 nops, next;
	int			 busy, status;
	/* Messaging. */
	const char		*to;
	struct op		 sends[MAX_OPS];
	size_t			 nsends, next_send, acked;
	int			 sending, offline_done;
	unsigned		 expect, received, downloading;
	int			 media_retry;
	const char		*save_dir;
	struct u_timer		*linger;	/* owned */
};

#define LINGER_MS 500

static void
quit(struct tool *t, int status)
{
	t->status = status;
	u_loop_stop(t->loop);
}

static void
on_linger(void *arg)
{
	quit(arg, 0);
}

/* Done when every op ran, every send was acked and the expected media
 * arrived; linger so that the last receipts and acks leave. */
static void
check_done(struct tool *t)
{
	if (t->busy || t->next < t->nops || t->acked < t->nsends ||
	    t->received < t->expect || t->downloading > 0 || t->linger != NULL)
		return;
	t->linger = u_timer_new(t->loop, on_linger, t);
	u_timer_start(t->linger, LINGER_MS, 0);
}

static void send_next(struct tool *t);

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
			send_next(t);
			check_done(t);
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

/* --- Sending media messages ---------------------------------------------------- */

static void
on_sent(void *arg, const char *id, int err, int code)
{
	struct tool *t = arg;
	struct op *o = &t->sends[t->next_send - 1];

	t->sending = 0;
	if (err != 0) {
		printf("SEND-FAIL %s %d %s (server %d)\n", o->type_name, err,
		    u_strerror(err), code);
		quit(t, 1);
		return;
	}
	printf("SENT-MEDIA %s %s\n", o->type_name, id);
	t->acked++;
	send_next(t);
	check_done(t);
}

static void
fill_kind(struct wa_content *c, const struct op *o, const uint8_t *data,
    size_t n)
{
	uint32_t amp[4096];
	const char *base;
	size_t i, m = n < 4096 ? n : 4096;

	switch (o->type) {
	case WA_MEDIA_IMAGE:
		c->kind = WA_CONTENT_IMAGE;
		c->media.mimetype = u_strdup("image/jpeg");
		/* Passed through as given (ponton makes no thumbnails): the
		 * file's first bytes stand in for one. */
		if (n > 0) {
			c->media.thumbnail_len = n < 64 ? n : 64;
			c->media.thumbnail = u_memdup(data,
			    c->media.thumbnail_len);
		}
		c->media.width = 32;
		c->media.height = 32;
		break;
	case WA_MEDIA_VIDEO:
		c->kind = WA_CONTENT_VIDEO;
		c->media.mimetype = u_strdup("video/mp4");
		break;
	case WA_MEDIA_STICKER:
		c->kind = WA_CONTENT_STICKER;
		c->media.mimetype = u_strdup("image/webp");
		break;
	case WA_MEDIA_AUDIO:
		if (strcmp(o->type_name, "ptt") != 0) {
			c->kind = WA_CONTENT_AUDIO;
			c->media.mimetype = u_strdup("audio/mpeg");
			break;
		}
		c->kind = WA_CONTENT_VOICE;
		c->media.mimetype = u_strdup(WA_MEDIA_PTT_MIMETYPE);
		c->media.seconds = 1;
		for (i = 0; i < m; i++)
			amp[i] = data[i];
		c->media.waveform = u_malloc(WA_MEDIA_WAVEFORM_LEN);
		c->media.waveform_len = WA_MEDIA_WAVEFORM_LEN;
		if (m == 0)
			memset(c->media.waveform, 0, WA_MEDIA_WAVEFORM_LEN);
		else
			wa_media_waveform_from(amp, m, c->media.waveform);
		break;
	default:
		c->kind = WA_CONTENT_DOCUMENT;
		c->media.mimetype = u_strdup("application/pdf");
		base = strrchr(o->file, '/');
		c->media.file_name = u_strdup(base != NULL ? base + 1 : o->file);
		break;
	}
}

static void
on_send_uploaded(void *arg, int err, const struct wa_media_upload *res)
{
	struct tool *t = arg;
	struct op *o = &t->sends[t->next_send - 1];
	struct wa_content c;
	struct wa_content_attrs a;
	struct wa_msg_send_opts so;
	char id[WA_MSG_ID_MAX];
	uint8_t *data = NULL, *p = NULL;
	size_t n = 0, plen = 0;
	int r;

	memset(&c, 0, sizeof(c));
	if (err != 0) {
		printf("SEND-FAIL %s %d %s\n", o->type_name, err,
		    u_strerror(err));
		quit(t, 1);
		return;
	}
	data = read_file(o->file, &n);
	fill_kind(&c, o, data, data != NULL ? n : 0);
	free(data);
	wa_media_fill(&c, res, (int64_t)time(NULL));
	wa_content_stanza_attrs(&c, &a);
	memset(&so, 0, sizeof(so));
	so.type = a.type;
	so.mediatype = a.mediatype;
	if ((r = wa_content_encode(&c, &p, &plen)) != 0 ||
	    (r = wa_msg_send(t->sender, t->to, p, plen, &so, id, on_sent,
	    t)) != 0) {
		printf("SEND-FAIL %s %d %s\n", o->type_name, r, u_strerror(r));
		quit(t, 1);
	}
	free(p);
	wa_content_free(&c);
}

static void
send_next(struct tool *t)
{
	struct op *o;
	uint8_t *data;
	size_t n = 0;
	int r;

	if (t->sending || t->busy || t->next < t->nops ||
	    t->next_send >= t->nsends || !t->offline_done ||
	    t->sender == NULL || t->media == NULL)
		return;
	o = &t->sends[t->next_send++];
	if ((data = read_file(o->file, &n)) == NULL) {
		printf("SEND-FAIL %s 0 cannot read %s\n", o->type_name, o->file);
		quit(t, 1);
		return;
	}
	r = wa_media_upload(t->media, o->type, data, n, on_send_uploaded, t);
	free(data);
	if (r != 0) {
		printf("SEND-FAIL %s %d %s\n", o->type_name, r, u_strerror(r));
		quit(t, 1);
		return;
	}
	t->sending = 1;
}

/* --- Receiving media messages ------------------------------------------------ */

static void
recv_free(struct recv *rv)
{
	free(rv->path);
	free(rv->file_name);
	free(rv->mimetype);
	free(rv);
}

static void on_recv_downloaded(void *, int, const uint8_t *, size_t);

static int
recv_download(struct recv *rv)
{
	struct wa_media_ref ref;

	memset(&ref, 0, sizeof(ref));
	ref.type = rv->type;
	ref.direct_path = rv->path;
	ref.media_key = rv->key;
	ref.file_sha256 = rv->has_sha ? rv->sha : NULL;
	ref.file_enc_sha256 = rv->has_encsha ? rv->encsha : NULL;
	ref.file_length = rv->len;
	return wa_media_download(rv->t->media, &ref, on_recv_downloaded, rv);
}

static void
on_retried(void *arg, int err, const char *path)
{
	struct recv *rv = arg;
	struct tool *t = rv->t;
	int r;

	printf("MEDIA-RETRY %s %d %s\n", rv->id, err, err != 0 ?
	    u_strerror(err) : path);
	if (err == 0) {
		free(rv->path);
		rv->path = u_strdup(path);
		if ((r = recv_download(rv)) == 0)
			return;
		err = r;
	}
	printf("RECV-MEDIA-FAIL %s %s %d %s\n", rv->kind, rv->id, err,
	    u_strerror(err));
	t->downloading--;
	t->received++;
	recv_free(rv);
	check_done(t);
}

static void
on_recv_downloaded(void *arg, int err, const uint8_t *data, size_t len)
{
	struct recv *rv = arg;
	struct tool *t = rv->t;
	struct wa_media_msg mm;
	uint8_t h[32];
	char sha[65], *path;
	FILE *f;
	int r;

	if (err == WA_ERR_MEDIA_EXPIRED && t->media_retry && !rv->retried) {
		rv->retried = 1;
		mm.id = rv->id;
		mm.chat = rv->chat;
		mm.from_me = rv->from_me;
		mm.participant = rv->is_group ? rv->participant : NULL;
		if ((r = wa_media_retry(t->media, &mm, rv->key, on_retried,
		    rv)) == 0)
			return;
		printf("MEDIA-RETRY %s %d %s\n", rv->id, r, u_strerror(r));
	}
	t->downloading--;
	if (err != 0) {
		printf("RECV-MEDIA-FAIL %s %s %d %s\n", rv->kind, rv->id, err,
		    u_strerror(err));
	} else {
		cry_sha256(data, len, h);
		hex(h, 32, sha);
		path = u_asprintf("%s/%s", t->save_dir != NULL ? t->save_dir :
		    ".", rv->id);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(data, 1, len, f) != len)
			printf("RECV-MEDIA-FAIL %s %s 0 cannot write %s\n",
			    rv->kind, rv->id, path);
		else
			printf("RECV-MEDIA %s %s %zu %s %zu %zu %s %s\n",
			    rv->kind, rv->id, len, sha, rv->waveform_len,
			    rv->thumbnail_len,
			    rv->file_name != NULL ? rv->file_name : "-",
			    rv->mimetype != NULL ? rv->mimetype : "-");
		if (f != NULL)
			fclose(f);
		free(path);
	}
	t->received++;
	recv_free(rv);
	check_done(t);
}

static int
on_message(void *arg, const struct wa_msg_event *ev)
{
	struct tool *t = arg;
	struct wa_content c;
	struct wa_media_ref ref;
	struct recv *rv;
	int r;

	memset(&c, 0, sizeof(c));
	if (ev->payload == NULL || wa_content_decode(ev->payload,
	    ev->payload_len, &c) != 0 || wa_media_ref_from(&c, &ref) != 0) {
		/* Not media (or not a message we can read): stored. */
		wa_content_free(&c);
		return 0;
	}
	rv = u_calloc(1, sizeof(*rv));
	rv->t = t;
	snprintf(rv->id, sizeof(rv->id), "%s", ev->id);
	snprintf(rv->kind, sizeof(rv->kind), "%s",
	    wa_content_kind_name(c.kind));
	if (c.media.file_name != NULL)
		rv->file_name = u_strdup(c.media.file_name);
	if (c.media.mimetype != NULL)
		rv->mimetype = u_strdup(c.media.mimetype);
	rv->waveform_len = c.media.waveform != NULL &&
	    wa_media_waveform_valid(c.media.waveform, c.media.waveform_len) ?
	    c.media.waveform_len : 0;
	rv->thumbnail_len = c.media.thumbnail_len;
	wa_jid_format(&ev->chat, rv->chat, sizeof(rv->chat));
	if (ev->is_group) {
		struct wa_jid p = wa_jid_to_non_ad(&ev->sender);

		wa_jid_format(&p, rv->participant, sizeof(rv->participant));
	}
	rv->is_group = ev->is_group;
	rv->from_me = ev->from_me;
	rv->type = ref.type;
	rv->path = u_strdup(ref.direct_path);
	memcpy(rv->key, ref.media_key, 32);
	if (ref.file_sha256 != NULL) {
		memcpy(rv->sha, ref.file_sha256, 32);
		rv->has_sha = 1;
	}
	if (ref.file_enc_sha256 != NULL) {
		memcpy(rv->encsha, ref.file_enc_sha256, 32);
		rv->has_encsha = 1;
	}
	rv->len = ref.file_length;
	if ((r = recv_download(rv)) != 0) {
		printf("RECV-MEDIA-FAIL %s %s %d %s\n", rv->kind, rv->id, r,
		    u_strerror(r));
		t->received++;
		recv_free(rv);
	} else
		t->downloading++;
	wa_content_free(&c);
	/* "Stored" once the event is taken: the download runs on. */
	return 0;
}

static void
on_undecryptable(void *arg, const struct wa_msg_event *ev, int err)
{
	printf("UNDECRYPTABLE %s %s\n", ev->id, u_strerror(err));
}

static void
on_offline(void *arg, unsigned count)
{
	struct tool *t = arg;

	t->offline_done = 1;
	send_next(t);
	check_done(t);
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
	const struct wa_device *dev = wa_client_device(t->client);
	struct wa_msg_receiver_cbs rcbs = {
		.on_message = on_message, .on_undecryptable = on_undecryptable,
	};

	printf("CONNECTED\n");
	if (t->media != NULL)
		return;
	memset(&mo, 0, sizeof(mo));
	mo.ca_file = t->ca_file;
	mo.timeout_ms = 30000;
	t->media = wa_media_new(t->loop, t->client, &mo);
	t->sigdb = br_wa_signal_db_new(t->db, dev->jid);
	t->sig = wa_signal_new(&br_wa_signal_db_ops, t->sigdb);
	t->sender = wa_msg_sender_new(t->loop, t->client, t->sig);
	t->receiver = wa_msg_receiver_new(t->client, t->sig, &rcbs, t);
	run_next(t);
}

static void
on_node(void *arg, const struct wa_node *n)
{
	struct tool *t = arg;

	if (t->media != NULL && wa_media_handle_node(t->media, n))
		return;
	if (t->sender != NULL && wa_msg_sender_handle_node(t->sender, n))
		return;
	if (t->receiver != NULL)
		wa_msg_receiver_handle_node(t->receiver, n);
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
		{ "to", required_argument, NULL, 'T' },
		{ "send-media", required_argument, NULL, 'S' },
		{ "expect-media", required_argument, NULL, 'e' },
		{ "save-dir", required_argument, NULL, 's' },
		{ "media-retry", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct wa_client_opts o;
	struct wa_client_cbs cbs = {
		.on_state = on_state, .on_connected = on_connected,
		.on_offline_done = on_offline, .on_node = on_node,
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
			if (tool_read_root_file(optarg, root) != 0) {
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
		case 'S':
			if (t.nsends >= MAX_OPS ||
			    parse_upload(&t.sends[t.nsends++], optarg) != 0)
				goto usage;
			break;
		case 'T': t.to = optarg; break;
		case 'e': t.expect = (unsigned)atoi(optarg); break;
		case 's': t.save_dir = optarg; break;
		case 'R': t.media_retry = 1; break;
		default: goto usage;
		}
	}
	if (o.url == NULL || dbpath == NULL || o.trust_root == NULL ||
	    (t.nsends > 0 && t.to == NULL))
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
		u_timer_free(t.linger);
	}
	wa_media_free(t.media);
	wa_msg_sender_free(t.sender);
	wa_client_free(t.client);
	wa_msg_receiver_free(t.receiver);
	wa_signal_free(t.sig);
	br_wa_signal_db_free(t.sigdb);
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
	    "[--download TYPE,PATH,KEY_B64,SHA_HEX|-,ENC_SHA_HEX|-,LEN,OUT]... "
	    "[--to JID --send-media TYPE:FILE...] "
	    "[--expect-media N --save-dir DIR [--media-retry]]\n");
	return 2;
}
