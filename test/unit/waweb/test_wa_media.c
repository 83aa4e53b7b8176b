/*
 * test_wa_media.c: waweb/media.c without a network: the per-type keys and
 * blobs against vectors made by Baileys' own encryptedStream/getMediaKeys
 * (test/peers/baileys/media.mjs --mode vectors, random media keys, recorded
 * here), our encryption of the same plaintext under the same key giving
 * the same bytes, hostile blobs refused with the right error, media_conn
 * replies, URLs, upload replies and waveforms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry.h"
#include "test/unit/test.h"
#include "util/err.h"
#include "waweb/client.h"
#include "waweb/content.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/media.h"
#include "waweb/node.h"
#include "waweb/store.h"
#include "proto/mmsretry.pb-c.h"

struct vec {
	enum wa_media_type type;
	const char *key, *plain, *blob, *sha, *encsha, *iv, *ck, *mk;
};

/* Baileys 7.0.0-rc14 encryptedStream output. */
static const struct vec vecs[] = {
	{ WA_MEDIA_IMAGE,
	  "a822b17e141b527e24dbcbbe138881b31e391d5369f4bfe3a0da7cbeacc0ad8a",
	  "706f6e746f6e206d6564696120766563746f723a20696d616765",
	  "65078256f51381ba557d5455c702979f7fd4f1fede5df4ab4fcb0cab945ae3bc532fdf664eb4bbfb242b",
	  "e134a8a9df6a83800e683cdba5a44d8b1977af2078c769f671cc653d306b740a",
	  "4397024885f0487268e32aab96fcd89ca580adbb613729d1def152695961430f",
	  "7c2799797e5a642b75407d7395d23569",
	  "91e7d5deb9ea85bf23be1f27c6db032c8f2cf843568432fc3736cd4a69b8082c",
	  "9618a1bad423d67addb3f13a6aefe7d3127305f594732535da185d978afdc627" },
	{ WA_MEDIA_AUDIO,
	  "c879246d62a8ae74df137588fde178ba36116c9d10ae3caf5dc5b70775763e35",
	  "78787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
	  "c506331f183b2d049336a1b27ad25898eb14fd18c3ad644f8ac573e81190afe2488719fe205295002df1c1a2e340043685442f5f0604c0d067bc4d43b10c4718e54fc94502dbe26b00faae7c9e769656ec9c06e5125c27471124d02483c41ce8a6ab5f0f2937c3c037fcf1f4460ff961f2eaa42ab46eeee3ab20",
	  "09ecb6ebc8bcefc733f6f2ec44f791abeed6a99edf0cc31519637898aebd52d8",
	  "dfcaf6f7d7128d8bbdc79c9e27ffcabb09e21e752e7d25f2dca0ab669336b4c0",
	  "af1a57858d5d5d98a720de4c33f5aaec",
	  "535fc1b6f9bbc76f3da742fcbf1588ab8735ff96063134e06846743fb30f9a0a",
	  "aff596085d21fc128aeffa2b270291fd66893155e45c2763ceec4cb373c97cdc" },
	{ WA_MEDIA_DOCUMENT,
	  "71703e899f3a3a9ab83fea123d7e6cdf8247ce0b1d2c59457cfa0893798201b7",
	  "",
	  "26e0012e8eca25b1e348729b11999ce5010e94964156bac1aa3d",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	  "5535337fa451a39a248b8d9d88cdef0352f40656f8b2e1a571cb966a093f4dfd",
	  "8a9d7eae2c8b69e4037dba3584b06f5e",
	  "1f16b788da9ff92f0797fc20ca76349750bfa6743385cae35eb41e87eb8c2162",
	  "49570ee0c43700774295a9169377ae7aa9e9e35d2965aa98b70395b7b8779cdb" },
	{ WA_MEDIA_VIDEO,
	  "d70462eae8871e0168eedeec707a7317fef8f1fe324b979060c3f21ee07c9f0a",
	  "706f6e746f6e206d6564696120766563746f723a20696d616765",
	  "793180848cf7d7c06aee03f922e73e7f7b48fb43caed3155d0c1bf864bcbc5b6af333e9dbb283b2da508",
	  "e134a8a9df6a83800e683cdba5a44d8b1977af2078c769f671cc653d306b740a",
	  "f452b93b8d62ca84a5295f98b40b952ccebbb7390d1d698170cd957e434e53ba",
	  "2540d7f762970e24a92ea96ab8c3b11b",
	  "de16d73b647454b22643aeb2b3473a7072751a946bb6667ae618010ca9ad8182",
	  "7f6b502fb20837a9c490d2401bc9c5250179c144e26be9a0075eb4df57f4d408" },
	/* Stickers use the Image keys. */
	{ WA_MEDIA_STICKER,
	  "faed9c98cdb5b86f783923a06500aba3be1485faa6d1babc77c63a066ba6023c",
	  "706f6e746f6e206d6564696120766563746f723a20696d616765",
	  "9636fbe63854d8c550d2cffb95fa63f86b0250f4d289fb29de0981ec382596000dca3b6520c248016332",
	  "e134a8a9df6a83800e683cdba5a44d8b1977af2078c769f671cc653d306b740a",
	  "82cf6ade34dc0d85d1479dd15109d4ad2217421d0cab20cff05804a14b51fc85",
	  "8f67fdf7f306387f37ce1cca5b921306",
	  "cd17838490d4e1dfd954d601b8462655856518731be76500d042e65b0f4583eb",
	  "57c7292493008e0da4aaca29b2e08a42cb41921b507ec8b6d097726118b76ca9" },
};

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s) / 2, i;
	unsigned v;

	if (n > max)
		abort();
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}

struct bin {
	uint8_t key[32], plain[256], blob[300], sha[32], encsha[32];
	uint8_t iv[16], ck[32], mk[32];
	size_t nplain, nblob;
};

static void
load(const struct vec *v, struct bin *b)
{
	unhex(v->key, b->key, 32);
	b->nplain = unhex(v->plain, b->plain, sizeof(b->plain));
	b->nblob = unhex(v->blob, b->blob, sizeof(b->blob));
	unhex(v->sha, b->sha, 32);
	unhex(v->encsha, b->encsha, 32);
	unhex(v->iv, b->iv, 16);
	unhex(v->ck, b->ck, 32);
	unhex(v->mk, b->mk, 32);
}

#define NVECS (sizeof(vecs) / sizeof(vecs[0]))

TEST(test_wa_media_keys_match_baileys)
{
	struct bin b;
	struct wa_media_keys k;
	size_t i;

	for (i = 0; i < NVECS; i++) {
		load(&vecs[i], &b);
		REQUIRE(wa_media_derive(vecs[i].type, b.key, &k) == 0);
		CHECK_EQ_MEM(k.iv, b.iv, 16);
		CHECK_EQ_MEM(k.cipher_key, b.ck, 32);
		CHECK_EQ_MEM(k.mac_key, b.mk, 32);
	}
}

TEST(test_wa_media_decrypts_baileys_blobs)
{
	struct bin b;
	uint8_t *pt = NULL;
	size_t i, n = 0;

	for (i = 0; i < NVECS; i++) {
		load(&vecs[i], &b);
		REQUIRE(wa_media_decrypt(vecs[i].type, b.key, b.blob, b.nblob,
		    b.encsha, b.sha, 0, &pt, &n) == 0);
		CHECK_EQ_INT(n, b.nplain);
		if (n > 0)
			CHECK_EQ_MEM(pt, b.plain, n);
		free(pt);
		pt = NULL;
		/* Without the hashes (old messages) too. */
		REQUIRE(wa_media_decrypt(vecs[i].type, b.key, b.blob, b.nblob,
		    NULL, NULL, 0, &pt, &n) == 0);
		CHECK_EQ_INT(n, b.nplain);
		free(pt);
		pt = NULL;
	}
}

TEST(test_wa_media_encrypt_same_bytes_as_baileys)
{
	struct bin b;
	struct wa_media_enc e;
	size_t i;

	for (i = 0; i < NVECS; i++) {
		load(&vecs[i], &b);
		REQUIRE(wa_media_encrypt(vecs[i].type, b.plain, b.nplain, b.key,
		    &e) == 0);
		CHECK_EQ_INT(e.blob_len, b.nblob);
		CHECK_EQ_MEM(e.blob, b.blob, b.nblob);
		CHECK_EQ_MEM(e.file_sha256, b.sha, 32);
		CHECK_EQ_MEM(e.file_enc_sha256, b.encsha, 32);
		CHECK_EQ_MEM(e.media_key, b.key, 32);
		CHECK_EQ_INT(e.file_length, b.nplain);
		wa_media_enc_free(&e);
	}
}

TEST(test_wa_media_roundtrip_random_key)
{
	static uint8_t data[70000];
	struct wa_media_enc e;
	uint8_t *pt = NULL;
	size_t n = 0;

	cry_random(data, sizeof(data));
	REQUIRE(wa_media_encrypt(WA_MEDIA_DOCUMENT, data, sizeof(data), NULL,
	    &e) == 0);
	CHECK_EQ_INT(e.blob_len, (sizeof(data) / 16 + 1) * 16 + 10);
	REQUIRE(wa_media_decrypt(WA_MEDIA_DOCUMENT, e.media_key, e.blob,
	    e.blob_len, e.file_enc_sha256, e.file_sha256, sizeof(data), &pt,
	    &n) == 0);
	CHECK_EQ_INT(n, sizeof(data));
	CHECK_EQ_MEM(pt, data, sizeof(data));
	free(pt);
	/* The wrong type's keys do not open it. */
	pt = NULL;
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_IMAGE, e.media_key, e.blob,
	    e.blob_len, NULL, NULL, 0, &pt, &n), WA_ERR_MEDIA_MAC);
	CHECK(pt == NULL);
	wa_media_enc_free(&e);
}

TEST(test_wa_media_rejects_bad_mac)
{
	struct bin b;
	uint8_t *pt = NULL;
	size_t n = 0;

	load(&vecs[0], &b);
	/* Last byte: the MAC; without the enc hash, the MAC catches it. */
	b.blob[b.nblob - 1] ^= 1;
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_IMAGE, b.key, b.blob, b.nblob,
	    NULL, b.sha, 0, &pt, &n), WA_ERR_MEDIA_MAC);
	/* With it, the hash does first. */
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_IMAGE, b.key, b.blob, b.nblob,
	    b.encsha, b.sha, 0, &pt, &n), WA_ERR_MEDIA_HASH);
	b.blob[b.nblob - 1] ^= 1;
	/* A ciphertext byte. */
	b.blob[3] ^= 0x80;
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_IMAGE, b.key, b.blob, b.nblob,
	    NULL, NULL, 0, &pt, &n), WA_ERR_MEDIA_MAC);
	b.blob[3] ^= 0x80;
	/* A wrong key. */
	b.key[0] ^= 1;
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_IMAGE, b.key, b.blob, b.nblob,
	    b.encsha, b.sha, 0, &pt, &n), WA_ERR_MEDIA_MAC);
	CHECK(pt == NULL);
}

TEST(test_wa_media_rejects_wrong_sha)
{
	struct bin b;
	uint8_t *pt = NULL;
	size_t n = 0;

	load(&vecs[1], &b);
	b.encsha[5] ^= 1;
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_AUDIO, b.key, b.blob, b.nblob,
	    b.encsha, b.sha, 0, &pt, &n), WA_ERR_MEDIA_HASH);
	b.encsha[5] ^= 1;
	/* A sender whose fileSha256 does not describe the plaintext. */
	b.sha[31] ^= 1;
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_AUDIO, b.key, b.blob, b.nblob,
	    b.encsha, b.sha, 0, &pt, &n), WA_ERR_MEDIA_HASH);
	CHECK(pt == NULL);
}

TEST(test_wa_media_rejects_malformed_and_oversized)
{
	struct bin b;
	uint8_t *pt = NULL, zero[64] = { 0 };
	size_t n = 0;
	struct wa_media_enc e;

	load(&vecs[1], &b);
	/* Truncated: not block-aligned, then shorter than block + mac. */
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_AUDIO, b.key, b.blob,
	    b.nblob - 1, NULL, NULL, 0, &pt, &n), WA_ERR_MEDIA_MALFORMED);
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_AUDIO, b.key, b.blob, 25, NULL,
	    NULL, 0, &pt, &n), WA_ERR_MEDIA_MALFORMED);
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_AUDIO, b.key, b.blob, 0, NULL,
	    NULL, 0, &pt, &n), WA_ERR_MEDIA_MALFORMED);
	/* The caller knows the file is 10 bytes: a 100-byte one is refused
	 * before any crypto. */
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_AUDIO, b.key, b.blob, b.nblob,
	    b.encsha, b.sha, 10, &pt, &n), WA_ERR_MEDIA_TOO_BIG);
	/* Longer than the type allows: refused from the length alone. */
	CHECK_EQ_INT(wa_media_decrypt(WA_MEDIA_IMAGE, b.key, b.blob,
	    WA_MEDIA_MAX_IMAGE + 64, NULL, NULL, 0, &pt, &n),
	    WA_ERR_MEDIA_TOO_BIG);
	CHECK_EQ_INT(wa_media_encrypt(WA_MEDIA_STICKER, zero,
	    WA_MEDIA_MAX_IMAGE + 1, NULL, &e), WA_ERR_MEDIA_TOO_BIG);
	CHECK_EQ_INT(wa_media_encrypt(WA_MEDIA_DOCUMENT, zero,
	    WA_MEDIA_MAX + 1, NULL, &e), WA_ERR_MEDIA_TOO_BIG);
	CHECK_EQ_INT(wa_media_encrypt((enum wa_media_type)99, zero, 1, NULL,
	    &e), U_ERR_INVALID);
	CHECK(pt == NULL);
}

TEST(test_wa_media_types)
{
	enum wa_media_type t;

	CHECK_EQ_STR(wa_media_hkdf_info(WA_MEDIA_IMAGE), "WhatsApp Image Keys");
	CHECK_EQ_STR(wa_media_hkdf_info(WA_MEDIA_STICKER), "WhatsApp Image Keys");
	CHECK_EQ_STR(wa_media_hkdf_info(WA_MEDIA_VIDEO), "WhatsApp Video Keys");
	CHECK_EQ_STR(wa_media_hkdf_info(WA_MEDIA_AUDIO), "WhatsApp Audio Keys");
	CHECK_EQ_STR(wa_media_hkdf_info(WA_MEDIA_DOCUMENT),
	    "WhatsApp Document Keys");
	CHECK_EQ_STR(wa_media_hkdf_info(WA_MEDIA_HISTORY),
	    "WhatsApp History Keys");
	CHECK_EQ_STR(wa_media_mms_type(WA_MEDIA_STICKER), "image");
	CHECK_EQ_STR(wa_media_mms_type(WA_MEDIA_HISTORY), "md-msg-hist");
	REQUIRE(wa_media_type_parse("ptt", &t) == 0);
	CHECK_EQ_INT(t, WA_MEDIA_AUDIO);
	REQUIRE(wa_media_type_parse("document", &t) == 0);
	CHECK_EQ_INT(t, WA_MEDIA_DOCUMENT);
	CHECK_EQ_INT(wa_media_type_parse("gif?", &t), U_ERR_INVALID);
	CHECK(wa_media_max(WA_MEDIA_DOCUMENT) == WA_MEDIA_MAX);
}

static struct wa_node *
conn_reply(const char *auth, const char *ttl, const char *h1,
    const char *h2)
{
	struct wa_node *iq = wa_node_new("iq"), *mc, *h;

	wa_node_set_attr(iq, "type", "result");
	mc = wa_node_new("media_conn");
	if (auth != NULL)
		wa_node_set_attr(mc, "auth", auth);
	if (ttl != NULL)
		wa_node_set_attr(mc, "ttl", ttl);
	wa_node_set_attr(mc, "auth_ttl", "21600");
	wa_node_set_attr(mc, "max_buckets", "12");
	if (h1 != NULL) {
		h = wa_node_new("host");
		wa_node_set_attr(h, "hostname", h1);
		wa_node_set_attr(h, "maxContentLengthBytes", "1234");
		wa_node_add_child(mc, h);
	}
	if (h2 != NULL) {
		h = wa_node_new("host");
		wa_node_set_attr(h, "hostname", h2);
		wa_node_add_child(mc, h);
	}
	wa_node_add_child(iq, mc);
	return iq;
}

TEST(test_wa_media_conn_iq_and_parse)
{
	struct wa_node *iq = wa_media_conn_iq(), *res;
	struct wa_media_conn mc;

	CHECK_EQ_STR(wa_node_attr(iq, "xmlns"), "w:m");
	CHECK_EQ_STR(wa_node_attr(iq, "type"), "set");
	CHECK_EQ_STR(wa_node_attr(iq, "to"), "s.whatsapp.net");
	CHECK(wa_node_child(iq, "media_conn") != NULL);
	wa_node_free(iq);

	res = conn_reply("AUTH-tok_en", "300", "mmg.whatsapp.net",
	    "127.0.0.1:8443");
	REQUIRE(wa_media_conn_parse(res, &mc) == 0);
	CHECK_EQ_STR(mc.auth, "AUTH-tok_en");
	CHECK_EQ_INT(mc.ttl_s, 300);
	CHECK_EQ_INT(mc.nhosts, 2);
	CHECK_EQ_STR(mc.hosts[0], "mmg.whatsapp.net");
	CHECK_EQ_STR(mc.hosts[1], "127.0.0.1:8443");
	CHECK_EQ_INT(mc.max_bytes, 1234);
	wa_node_free(res);

	/* A hostile ttl is capped. */
	res = conn_reply("a", "99999999999", "h", NULL);
	REQUIRE(wa_media_conn_parse(res, &mc) == 0);
	CHECK_EQ_INT(mc.ttl_s, WA_MEDIA_CONN_TTL_MAX_S);
	wa_node_free(res);
	/* Hosts that would inject into a URL are skipped; none left. */
	res = conn_reply("a", "300", "evil.com/x?", "h@x");
	CHECK_EQ_INT(wa_media_conn_parse(res, &mc), WA_ERR_MEDIA_CONN);
	wa_node_free(res);
	res = conn_reply("a", "300", "h:", ":1");
	CHECK_EQ_INT(wa_media_conn_parse(res, &mc), WA_ERR_MEDIA_CONN);
	wa_node_free(res);
	res = conn_reply(NULL, "300", "h", NULL);
	CHECK_EQ_INT(wa_media_conn_parse(res, &mc), WA_ERR_MEDIA_CONN);
	wa_node_free(res);
	res = conn_reply("a b", "300", "h", NULL);
	CHECK_EQ_INT(wa_media_conn_parse(res, &mc), WA_ERR_MEDIA_CONN);
	wa_node_free(res);
	res = conn_reply("a", "x", "h", NULL);
	CHECK_EQ_INT(wa_media_conn_parse(res, &mc), WA_ERR_MEDIA_CONN);
	wa_node_free(res);
	res = wa_node_new("iq");
	wa_node_set_attr(res, "type", "error");
	CHECK_EQ_INT(wa_media_conn_parse(res, &mc), WA_ERR_IQ);
	wa_node_free(res);
}

TEST(test_wa_media_urls)
{
	uint8_t h[32];
	char *u;

	memset(h, 0xfb, sizeof(h));
	u = wa_media_upload_url("127.0.0.1:9", WA_MEDIA_AUDIO, "a+b/c", h);
	CHECK_EQ_STR(u, "https://127.0.0.1:9/mms/audio/"
	    "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s%3D"
	    "?auth=a%2Bb%2Fc&token=-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s%3D");
	free(u);
	u = wa_media_download_url("mmg.whatsapp.net", "/v/t62/x.enc?ccb=11-4",
	    WA_MEDIA_DOCUMENT, h);
	CHECK_EQ_STR(u, "https://mmg.whatsapp.net/v/t62/x.enc?ccb=11-4&hash="
	    "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s%3D"
	    "&mms-type=document&__wa-mms=");
	free(u);
	u = wa_media_download_url("h", "/m/x.enc", WA_MEDIA_STICKER, NULL);
	CHECK_EQ_STR(u, "https://h/m/x.enc?mms-type=image&__wa-mms=");
	free(u);
}

TEST(test_wa_media_upload_reply)
{
	char *url = NULL, *dp = NULL;
	const char *ok = "{\"url\":\"https://h/m/1.enc?x=1\","
	    "\"direct_path\":\"/m/1.enc?x=1\",\"handle\":\"z\"}";
	const char *bad[] = {
		"{\"url\":\"https://h/m/1.enc\"}",
		"{\"direct_path\":\"m/1.enc\"}",
		"{\"direct_path\":\"/m/1\\r\\nX: y\"}",
		"{\"direct_path\":7}",
		"{\"direct_path\":\"/a\",\"direct_path\":\"/b\"}",
		"[\"/a\"]",
		"not json",
	};
	size_t i;

	REQUIRE(wa_media_parse_upload_reply((const uint8_t *)ok, strlen(ok),
	    &url, &dp) == 0);
	CHECK_EQ_STR(url, "https://h/m/1.enc?x=1");
	CHECK_EQ_STR(dp, "/m/1.enc?x=1");
	free(url);
	free(dp);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(wa_media_parse_upload_reply((const uint8_t *)bad[i],
		    strlen(bad[i]), &url, &dp), WA_ERR_MEDIA_HTTP);
}

TEST(test_wa_media_waveform)
{
	uint32_t amp[1000];
	uint8_t w[WA_MEDIA_WAVEFORM_LEN], bad[WA_MEDIA_WAVEFORM_LEN];
	size_t i;

	for (i = 0; i < 1000; i++)
		amp[i] = (uint32_t)(i < 500 ? i : 999 - i);
	wa_media_waveform_from(amp, 1000, w);
	CHECK(wa_media_waveform_valid(w, sizeof(w)));
	CHECK(w[0] < 10);
	CHECK(w[31] == 100 || w[32] == 100);
	CHECK(w[63] < 10);
	/* Fewer samples than buckets. */
	amp[0] = 5;
	amp[1] = 10;
	wa_media_waveform_from(amp, 2, w);
	CHECK_EQ_INT(w[0], 50);
	CHECK_EQ_INT(w[63], 100);
	memset(amp, 0, sizeof(amp));
	wa_media_waveform_from(amp, 1000, w);
	CHECK_EQ_INT(w[10], 0);
	memset(bad, 100, sizeof(bad));
	CHECK(wa_media_waveform_valid(bad, sizeof(bad)));
	bad[7] = 101;
	CHECK(!wa_media_waveform_valid(bad, sizeof(bad)));
	CHECK(!wa_media_waveform_valid(bad, 63));
}

TEST(test_wa_media_content_glue)
{
	struct wa_media_enc e;
	struct wa_media_upload up;
	struct wa_content c, d;
	struct wa_media_ref ref;
	enum wa_media_type t;
	uint8_t wave[WA_MEDIA_WAVEFORM_LEN], *p = NULL;
	size_t n = 0;

	REQUIRE(wa_media_encrypt(WA_MEDIA_AUDIO, "OggS voice", 10, NULL,
	    &e) == 0);
	memset(&c, 0, sizeof(c));
	c.kind = WA_CONTENT_VOICE;
	c.media.mimetype = strdup(WA_MEDIA_PTT_MIMETYPE);
	memset(wave, 42, sizeof(wave));
	c.media.waveform = malloc(sizeof(wave));
	memcpy(c.media.waveform, wave, sizeof(wave));
	c.media.waveform_len = sizeof(wave);
	c.media.seconds = 3;
	up.enc = &e;
	up.url = "https://h/m/1.enc?x=1";
	up.direct_path = "/m/1.enc?x=1";
	wa_media_fill(&c, &up, 1700000000);
	REQUIRE(wa_content_encode(&c, &p, &n) == 0);
	/* What the receiver decodes names the same blob. */
	REQUIRE(wa_content_decode(p, n, &d) == 0);
	CHECK_EQ_INT(d.kind, WA_CONTENT_VOICE);
	CHECK_EQ_STR(d.media.mimetype, WA_MEDIA_PTT_MIMETYPE);
	CHECK_EQ_INT(d.media.waveform_len, WA_MEDIA_WAVEFORM_LEN);
	CHECK(wa_media_waveform_valid(d.media.waveform, d.media.waveform_len));
	CHECK_EQ_INT(d.media.media_key_timestamp, 1700000000);
	REQUIRE(wa_media_ref_from(&d, &ref) == 0);
	CHECK_EQ_INT(ref.type, WA_MEDIA_AUDIO);
	CHECK_EQ_STR(ref.direct_path, "/m/1.enc?x=1");
	CHECK_EQ_MEM(ref.media_key, e.media_key, 32);
	CHECK_EQ_MEM(ref.file_sha256, e.file_sha256, 32);
	CHECK_EQ_MEM(ref.file_enc_sha256, e.file_enc_sha256, 32);
	CHECK_EQ_INT(ref.file_length, 10);
	/* A message without a key cannot be fetched. */
	d.media.has_media_key = 0;
	CHECK_EQ_INT(wa_media_ref_from(&d, &ref), U_ERR_INVALID);
	d.kind = WA_CONTENT_TEXT;
	CHECK_EQ_INT(wa_media_ref_from(&d, &ref), U_ERR_INVALID);
	CHECK_EQ_INT(wa_media_type_of(WA_CONTENT_LOCATION, &t), U_ERR_INVALID);
	REQUIRE(wa_media_type_of(WA_CONTENT_STICKER, &t) == 0);
	CHECK_EQ_INT(t, WA_MEDIA_STICKER);
	free(p);
	wa_content_free(&c);
	wa_content_free(&d);
	wa_media_enc_free(&e);
}

/* What the sender's phone answers: the notification for id, encrypted
 * under key, with result and path. */
static struct wa_node *
phone_answer(const char *id, const uint8_t key[32], const char *nid,
    int result, const char *path)
{
	Wa__MmsRetryNotification rn = WA__MMS_RETRY_NOTIFICATION__INIT;
	struct wa_node *n = wa_node_new("notification"), *enc, *c;
	uint8_t rk[32], iv[12], pt[512], ct[512 + 16];
	size_t len;

	rn.stanza_id = (char *)nid;
	rn.has_result = 1;
	rn.result = result;
	rn.direct_path = (char *)path;
	len = wa__mms_retry_notification__pack(&rn, pt);
	cry_hkdf_sha256(NULL, 0, key, 32, "WhatsApp Media Retry Notification",
	    33, rk, 32);
	memset(iv, 7, sizeof(iv));
	cry_aes_gcm_encrypt(rk, iv, id, strlen(id), pt, len, ct);
	wa_node_set_attr(n, "id", id);
	wa_node_set_attr(n, "type", "mediaretry");
	c = wa_node_new("rmr");
	wa_node_set_attr(c, "jid", "1@s.whatsapp.net");
	wa_node_set_attr(c, "from_me", "false");
	wa_node_add_child(n, c);
	enc = wa_node_new("encrypt");
	c = wa_node_new("enc_p");
	wa_node_set_bytes(c, ct, len + 16);
	wa_node_add_child(enc, c);
	c = wa_node_new("enc_iv");
	wa_node_set_bytes(c, iv, sizeof(iv));
	wa_node_add_child(enc, c);
	wa_node_add_child(n, enc);
	return n;
}

TEST(test_wa_media_retry_receipt_and_answer)
{
	const struct wa_media_msg msg = {
		.id = "3EB0AAAABBBBCCCCDDDDEE", .chat = "33612345678@s.whatsapp.net",
		.from_me = 0, .participant = NULL,
	};
	struct wa_node *rc = NULL, *n, *enc, *p, *iv, *rmr;
	Wa__MmsServerErrorReceipt *ser;
	uint8_t key[32], rk[32], pt[256];
	char *path = NULL;
	int code = 0;

	memset(key, 0x5a, sizeof(key));
	REQUIRE(wa_media_retry_receipt(&msg, "33600000001:7@s.whatsapp.net",
	    key, &rc) == 0);
	CHECK_EQ_STR(rc->tag, "receipt");
	CHECK_EQ_STR(wa_node_attr(rc, "type"), "server-error");
	CHECK_EQ_STR(wa_node_attr(rc, "id"), msg.id);
	REQUIRE((rmr = wa_node_child(rc, "rmr")) != NULL);
	CHECK_EQ_STR(wa_node_attr(rmr, "from_me"), "false");
	CHECK(wa_node_attr(rmr, "participant") == NULL);
	/* The phone opens it: GCM under the retry key, the id as AAD. */
	REQUIRE((enc = wa_node_child(rc, "encrypt")) != NULL);
	REQUIRE((p = wa_node_child(enc, "enc_p")) != NULL);
	REQUIRE((iv = wa_node_child(enc, "enc_iv")) != NULL && iv->len == 12);
	REQUIRE(p->len > 16 && p->len < sizeof(pt));
	cry_hkdf_sha256(NULL, 0, key, 32, "WhatsApp Media Retry Notification",
	    33, rk, 32);
	REQUIRE(cry_aes_gcm_decrypt(rk, iv->bytes, msg.id, strlen(msg.id),
	    p->bytes, p->len, pt) == 0);
	ser = wa__mms_server_error_receipt__unpack(NULL, p->len - 16, pt);
	REQUIRE(ser != NULL);
	CHECK_EQ_STR(ser->stanza_id, msg.id);
	wa__mms_server_error_receipt__free_unpacked(ser, NULL);
	wa_node_free(rc);

	/* In a group: the sender is named; our own device is dropped from
	 * "to"; a bad JID is refused. */
	{
		const struct wa_media_msg gm = {
			.id = "3EB0GROUP", .chat = "120363000000000001@g.us",
			.from_me = 1, .participant = "100000000000009@lid",
		};
		struct wa_media_msg bad = gm;
		char buf[WA_JID_STR_MAX];
		struct wa_jid j;

		REQUIRE(wa_media_retry_receipt(&gm, "33600000001:7@s.whatsapp.net",
		    key, &rc) == 0);
		REQUIRE(wa_node_attr_jid(rc, "to", &j) == 0);
		CHECK_EQ_STR(wa_jid_format(&j, buf, sizeof(buf)),
		    "33600000001@s.whatsapp.net");
		rmr = wa_node_child(rc, "rmr");
		REQUIRE(rmr != NULL);
		CHECK_EQ_STR(wa_node_attr(rmr, "from_me"), "true");
		REQUIRE(wa_node_attr_jid(rmr, "participant", &j) == 0);
		CHECK_EQ_STR(wa_jid_format(&j, buf, sizeof(buf)),
		    "100000000000009@lid");
		REQUIRE(wa_node_attr_jid(rmr, "jid", &j) == 0);
		CHECK_EQ_STR(wa_jid_format(&j, buf, sizeof(buf)),
		    "120363000000000001@g.us");
		wa_node_free(rc);
		bad.chat = "not a jid@@";
		CHECK_EQ_INT(wa_media_retry_receipt(&bad, "1@s.whatsapp.net",
		    key, &rc), WA_ERR_BAD_JID);
		bad = gm;
		bad.id = "";
		CHECK_EQ_INT(wa_media_retry_receipt(&bad, "1@s.whatsapp.net",
		    key, &rc), U_ERR_INVALID);
	}

	/* The answers. */
	n = phone_answer(msg.id, key, msg.id, 1, "/v/new.enc?x=2");
	CHECK_EQ_STR(wa_media_retry_id(n), msg.id);
	REQUIRE(wa_media_retry_parse(n, key, &path, &code) == 0);
	CHECK_EQ_STR(path, "/v/new.enc?x=2");
	free(path);
	path = NULL;
	key[0] ^= 1;
	CHECK_EQ_INT(wa_media_retry_parse(n, key, &path, &code),
	    WA_ERR_MEDIA_MAC);
	key[0] ^= 1;
	wa_node_free(n);
	n = phone_answer(msg.id, key, msg.id, 2, NULL);
	CHECK_EQ_INT(wa_media_retry_parse(n, key, &path, &code),
	    WA_ERR_MEDIA_RETRY);
	CHECK_EQ_INT(code, 2);
	wa_node_free(n);
	/* An answer about another message, or a path that is no path. */
	n = phone_answer(msg.id, key, "3EB0OTHER", 1, "/v/x.enc");
	CHECK_EQ_INT(wa_media_retry_parse(n, key, &path, &code),
	    WA_ERR_MEDIA_MALFORMED);
	wa_node_free(n);
	n = phone_answer(msg.id, key, msg.id, 1, "https://evil/x");
	CHECK_EQ_INT(wa_media_retry_parse(n, key, &path, &code),
	    WA_ERR_MEDIA_MALFORMED);
	wa_node_free(n);
	/* <error code="2"/>: not on the phone any more. */
	n = wa_node_new("notification");
	wa_node_set_attr(n, "id", msg.id);
	wa_node_set_attr(n, "type", "mediaretry");
	wa_node_add_child(n, wa_node_new("rmr"));
	p = wa_node_new("error");
	wa_node_set_attr(p, "code", "2");
	wa_node_add_child(n, p);
	code = 0;
	CHECK_EQ_INT(wa_media_retry_parse(n, key, &path, &code),
	    WA_ERR_MEDIA_RETRY);
	CHECK_EQ_INT(code, 2);
	wa_node_free(n);
	CHECK(path == NULL);
	/* Not a mediaretry notification. */
	n = wa_node_new("notification");
	wa_node_set_attr(n, "type", "devices");
	CHECK(wa_media_retry_id(n) == NULL);
	wa_node_free(n);
}

static int called;

static void
never_up(void *arg, int err, const struct wa_media_upload *res)
{
	called++;
}

static void
never_down(void *arg, int err, const uint8_t *data, size_t len)
{
	called++;
}

static void
never_retry(void *arg, int err, const char *path)
{
	called++;
}

/* Without a connection nothing starts and no callback runs re-entrantly:
 * the caller gets the error at once. */
TEST(test_wa_media_not_connected)
{
	struct u_loop *loop = u_loop_new();
	struct wa_store_mem *st = wa_store_mem_new();
	struct wa_client_opts o;
	struct wa_client_cbs cbs;
	struct wa_client *c;
	struct wa_media *m;
	struct wa_media_ref ref;
	struct wa_media_msg mm = { .id = "3EB0X", .chat = "1@s.whatsapp.net" };
	uint8_t key[32] = { 0 };

	memset(&o, 0, sizeof(o));
	memset(&cbs, 0, sizeof(cbs));
	c = wa_client_new(loop, &o, &wa_store_mem_ops, st, &cbs, NULL);
	m = wa_media_new(loop, c, NULL);
	CHECK_EQ_INT(wa_media_upload(m, WA_MEDIA_IMAGE, "x", 1, never_up,
	    NULL), WA_ERR_NOT_CONNECTED);
	memset(&ref, 0, sizeof(ref));
	ref.type = WA_MEDIA_DOCUMENT;
	ref.direct_path = "/m/1.enc";
	ref.media_key = key;
	CHECK_EQ_INT(wa_media_download(m, &ref, never_down, NULL),
	    WA_ERR_NOT_CONNECTED);
	/* Refused before anything: a path that is not one, no key, a length
	 * over the type's limit, an oversized upload. */
	ref.direct_path = "https://evil/x";
	CHECK_EQ_INT(wa_media_download(m, &ref, never_down, NULL),
	    U_ERR_INVALID);
	ref.direct_path = "/m/1.enc";
	ref.media_key = NULL;
	CHECK_EQ_INT(wa_media_download(m, &ref, never_down, NULL),
	    U_ERR_INVALID);
	ref.media_key = key;
	ref.file_length = WA_MEDIA_MAX + 1;
	CHECK_EQ_INT(wa_media_download(m, &ref, never_down, NULL),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_media_upload(m, WA_MEDIA_IMAGE, key,
	    WA_MEDIA_MAX_IMAGE + 1, never_up, NULL), WA_ERR_MEDIA_TOO_BIG);
	/* Not paired: no own JID to send a retry receipt from. */
	CHECK_EQ_INT(wa_media_retry(m, &mm, key, never_retry, NULL),
	    U_ERR_INVALID);
	CHECK_EQ_INT(called, 0);
	wa_media_free(m);
	wa_client_free(c);
	wa_client_shutdown(loop);
	u_loop_free(loop);
	wa_store_mem_free(st);
}

TEST_MAIN()
