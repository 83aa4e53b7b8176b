/*
 * fuzz_wa_media.c: libFuzzer entry point for waweb/media.c, everything a
 * stranger controls: downloaded blobs, media_conn replies, upload replies.
 *
 * Input: byte 0 picks the mode, byte 1 the media type; the rest is data.
 *   mode 0  the data is a blob: decrypted under a fixed media key, with and
 *           without hashes and a length limit.  Must fail (a forged blob
 *           cannot carry our MAC) and never crash.
 *   mode 1  the data is a plaintext: encrypted under the fixed key, then
 *           the blob is corrupted at the position named by bytes 2-3 (if
 *           inside it).  The untouched blob must decrypt to the plaintext
 *           exactly; a corrupted one must be refused.
 *   mode 2  the data is a binary node: parsed as a media_conn reply; on
 *           success every host is a plain host[:port] and the ttl capped.
 *   mode 3  the data is an upload reply (JSON): direct_path, when accepted,
 *           starts with '/' and has no control characters or spaces.
 *   mode 4  the data is a binary node: parsed as a mediaretry notification
 *           under the fixed key; a path it yields is sane as in mode 3.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waweb/media.h"
#include "waweb/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Big enough for several AES blocks and MACs; the size limits themselves
 * are checked by the length alone (mode 0 with a small max_len). */
#define FUZZ_INPUT_MAX ((size_t)1 << 16)

static const uint8_t key[WA_MEDIA_KEY_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static void
fuzz_blob(enum wa_media_type t, const uint8_t *p, size_t n)
{
	uint8_t sha[WA_MEDIA_SHA_LEN] = { 0 }, *out = NULL;
	size_t len = 0;

	if (wa_media_decrypt(t, key, p, n, NULL, NULL, 0, &out, &len) == 0)
		abort();
	if (wa_media_decrypt(t, key, p, n, sha, sha, 0, &out, &len) == 0)
		abort();
	if (wa_media_decrypt(t, key, p, n, NULL, NULL, 16, &out, &len) == 0)
		abort();
}

static void
fuzz_roundtrip(enum wa_media_type t, const uint8_t *p, size_t n, size_t pos)
{
	struct wa_media_enc e;
	uint8_t *out = NULL;
	size_t len = 0;

	if (wa_media_encrypt(t, p, n, key, &e) != 0)
		abort();
	if (wa_media_decrypt(t, key, e.blob, e.blob_len, e.file_enc_sha256,
	    e.file_sha256, n, &out, &len) != 0 || len != n ||
	    (n > 0 && memcmp(out, p, n) != 0))
		abort();
	free(out);
	out = NULL;
	if (pos < e.blob_len) {
		e.blob[pos] ^= 0x01;
		if (wa_media_decrypt(t, key, e.blob, e.blob_len, NULL, NULL, 0,
		    &out, &len) == 0)
			abort();
		if (wa_media_decrypt(t, key, e.blob, e.blob_len,
		    e.file_enc_sha256, NULL, 0, &out, &len) == 0)
			abort();
	}
	wa_media_enc_free(&e);
}

static void
fuzz_conn(const uint8_t *p, size_t n)
{
	struct wa_node *node = NULL;
	struct wa_media_conn mc;
	size_t i;

	if (wa_node_decode(p, n, &node) != 0)
		return;
	if (wa_media_conn_parse(node, &mc) == 0) {
		if (mc.nhosts == 0 || mc.nhosts > WA_MEDIA_MAX_HOSTS ||
		    mc.ttl_s > WA_MEDIA_CONN_TTL_MAX_S || mc.auth[0] == '\0')
			abort();
		for (i = 0; i < mc.nhosts; i++)
			if (strpbrk(mc.hosts[i], "/?#@ \r\n") != NULL)
				abort();
	}
	wa_node_free(node);
}

static void
path_sane(const char *dp)
{
	size_t i;

	if (dp[0] != '/' || strlen(dp) > WA_MEDIA_PATH_MAX)
		abort();
	for (i = 0; dp[i] != '\0'; i++)
		if ((unsigned char)dp[i] <= ' ' || (unsigned char)dp[i] > '~')
			abort();
}

static void
fuzz_retry(const uint8_t *p, size_t n)
{
	struct wa_node *node = NULL;
	char *path = NULL;
	int code = 0;

	if (wa_node_decode(p, n, &node) != 0)
		return;
	if (wa_media_retry_parse(node, key, &path, &code) == 0) {
		path_sane(path);
		free(path);
	}
	wa_node_free(node);
}

static void
fuzz_reply(const uint8_t *p, size_t n)
{
	char *url = NULL, *dp = NULL;

	if (wa_media_parse_upload_reply(p, n, &url, &dp) != 0)
		return;
	path_sane(dp);
	free(url);
	free(dp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum wa_media_type t;

	if (size < 4 || size > FUZZ_INPUT_MAX)
		return 0;
	t = (enum wa_media_type)(data[1] % WA_MEDIA_TYPE_COUNT_);
	switch (data[0] % 5) {
	case 0:
		fuzz_blob(t, data + 2, size - 2);
		break;
	case 1:
		fuzz_roundtrip(t, data + 4, size - 4,
		    (size_t)data[2] << 8 | data[3]);
		break;
	case 2:
		fuzz_conn(data + 2, size - 2);
		break;
	case 3:
		fuzz_reply(data + 2, size - 2);
		break;
	default:
		fuzz_retry(data + 2, size - 2);
		break;
	}
	return 0;
}
