/*
 * test_wa_frame.c: framing: intro header, frame writing, and the decoder
 * resuming from every split point, several frames per message, limits
 * checked before allocating, and bad intros.
 */
#include <string.h>

#include "test/unit/test.h"
#include "util/buf.h"
#include "waweb/errors.h"
#include "waweb/frame.h"

#define MAXF 8

struct got {
	int	 n;
	size_t	 len[MAXF];
	uint8_t	 data[MAXF][300];
	int	 stop_after;	/* return 1 after this many frames (0: never) */
};

static int
collect(void *arg, const uint8_t *p, size_t len)
{
	struct got *g = arg;

	if (g->n < MAXF && len <= sizeof(g->data[0])) {
		g->len[g->n] = len;
		memcpy(g->data[g->n], p, len);
	}
	g->n++;
	if (g->stop_after != 0 && g->n >= g->stop_after)
		return 1;
	return 0;
}

static const char *payloads[] = { "hello", "", "a longer payload of some bytes" };

/* Stream: [intro] + three frames (one of them empty). */
static void
build_stream(struct u_buf *b, const void *routing, size_t rlen, int intro)
{
	size_t i;

	u_buf_init(b, 0);
	if (intro)
		if (wa_frame_write_intro(b, routing, rlen) != 0) abort();
	for (i = 0; i < 3; i++)
		if (wa_frame_write(b, payloads[i], strlen(payloads[i])) != 0) abort();
}

static int
check_got(const struct got *g)
{
	size_t i;

	if (g->n != 3)
		return 0;
	for (i = 0; i < 3; i++)
		if (g->len[i] != strlen(payloads[i]) ||
		    memcmp(g->data[i], payloads[i], g->len[i]) != 0)
			return 0;
	return 1;
}

TEST(test_wa_frame_write_layout)
{
	struct u_buf b;

	u_buf_init(&b, 0);
	CHECK_EQ_INT(wa_frame_write_intro(&b, NULL, 0), 0);
	CHECK_EQ_INT(wa_frame_write(&b, "xyz", 3), 0);
	CHECK_EQ_INT(b.len, 4 + 3 + 3);
	CHECK_EQ_MEM(b.p, "WA\x06\x03\x00\x00\x03xyz", 10);
	u_buf_reset(&b);
	CHECK_EQ_INT(wa_frame_write_intro(&b, "rt", 2), 0);
	CHECK_EQ_MEM(b.p, "ED\x00\x01\x00\x00\x02rtWA\x06\x03", 13);
	CHECK_EQ_INT(wa_frame_write(&b, "x", WA_FRAME_MAX + 1), WA_ERR_TOO_BIG);
	CHECK_EQ_INT(wa_frame_write_intro(&b, "x", WA_FRAME_ROUTING_MAX + 1),
	    WA_ERR_TOO_BIG);
	u_buf_free(&b);
}

static void
split_everywhere(int *test_failed_, const void *routing, size_t rlen,
    int intro)
{
	struct wa_frame_dec d;
	struct got g;
	struct u_buf b;
	size_t i, j;

	build_stream(&b, routing, rlen, intro);
	/* Two pieces, split at every offset. */
	for (i = 0; i <= b.len; i++) {
		memset(&g, 0, sizeof(g));
		wa_frame_dec_init(&d, 0, intro ? WA_FRAME_DEC_INTRO : 0);
		CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p, i, collect, &g), 0);
		CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p + i, b.len - i, collect,
		    &g), 0);
		CHECK(check_got(&g));
		if (intro) {
			CHECK(wa_frame_dec_intro(&d) != NULL);
			if (wa_frame_dec_intro(&d) != NULL)
				CHECK_EQ_MEM(wa_frame_dec_intro(&d), wa_frame_intro, 4);
		}
		wa_frame_dec_free(&d);
	}
	/* Three pieces at every pair of offsets. */
	for (i = 0; i <= b.len; i += 3)
		for (j = i; j <= b.len; j += 2) {
			memset(&g, 0, sizeof(g));
			wa_frame_dec_init(&d, 0, intro ? WA_FRAME_DEC_INTRO : 0);
			CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p, i, collect, &g), 0);
			CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p + i, j - i,
			    collect, &g), 0);
			CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p + j, b.len - j,
			    collect, &g), 0);
			CHECK(check_got(&g));
			wa_frame_dec_free(&d);
		}
	/* One byte at a time. */
	memset(&g, 0, sizeof(g));
	wa_frame_dec_init(&d, 0, intro ? WA_FRAME_DEC_INTRO : 0);
	for (i = 0; i < b.len; i++)
		CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p + i, 1, collect, &g), 0);
	CHECK(check_got(&g));
	wa_frame_dec_free(&d);
	u_buf_free(&b);
}

TEST(test_wa_frame_split_at_every_offset_client_stream)
{
	split_everywhere(test_failed_, NULL, 0, 1);
}

TEST(test_wa_frame_split_at_every_offset_ed_routing)
{
	split_everywhere(test_failed_, "routing-info-bytes", 18, 1);
}

TEST(test_wa_frame_split_at_every_offset_server_stream)
{
	split_everywhere(test_failed_, NULL, 0, 0);
}

TEST(test_wa_frame_multiple_frames_in_one_message)
{
	struct wa_frame_dec d;
	struct got g;
	struct u_buf b;

	build_stream(&b, NULL, 0, 0);
	memset(&g, 0, sizeof(g));
	wa_frame_dec_init(&d, 0, 0);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p, b.len, collect, &g), 0);
	CHECK(check_got(&g));
	/* The same stream again on the same decoder. */
	g.n = 0;
	CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p, b.len, collect, &g), 0);
	CHECK(check_got(&g));
	wa_frame_dec_free(&d);
	u_buf_free(&b);
}

TEST(test_wa_frame_oversized_length_rejected_before_allocating)
{
	struct wa_frame_dec d;
	struct got g;
	uint8_t hdr[3] = { 0x00, 0x00, 101 }, body[101] = { 0 };

	memset(&g, 0, sizeof(g));
	wa_frame_dec_init(&d, 100, 0);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, hdr, 3, collect, &g), WA_ERR_TOO_BIG);
	CHECK_EQ_INT(d.frame.alloc, 0);
	CHECK_EQ_INT(g.n, 0);
	/* Sticky. */
	CHECK_EQ_INT(wa_frame_dec_feed(&d, body, 10, collect, &g), WA_ERR_TOO_BIG);
	wa_frame_dec_free(&d);

	/* Exactly the limit is fine. */
	hdr[2] = 100;
	wa_frame_dec_init(&d, 100, 0);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, hdr, 3, collect, &g), 0);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, body, 100, collect, &g), 0);
	CHECK_EQ_INT(g.n, 1);
	wa_frame_dec_free(&d);
}

TEST(test_wa_frame_declared_length_not_preallocated)
{
	struct wa_frame_dec d;
	struct got g;
	uint8_t hdr[3] = { 0xff, 0xff, 0xff }, body[10] = { 0 };

	memset(&g, 0, sizeof(g));
	wa_frame_dec_init(&d, 0, 0);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, hdr, 3, collect, &g), 0);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, body, sizeof(body), collect, &g), 0);
	/* 16 MiB announced, 10 bytes arrived: memory follows the bytes. */
	CHECK(d.frame.alloc < 1024);
	CHECK_EQ_INT(d.frame.len, 10);
	CHECK_EQ_INT(g.n, 0);
	wa_frame_dec_free(&d);
}

TEST(test_wa_frame_max_clamped_to_protocol_limit)
{
	struct wa_frame_dec d;

	wa_frame_dec_init(&d, (size_t)1 << 30, 0);
	CHECK_EQ_INT(d.max, WA_FRAME_MAX);
	wa_frame_dec_free(&d);
	wa_frame_dec_init(&d, 0, 0);
	CHECK_EQ_INT(d.max, WA_FRAME_MAX);
	wa_frame_dec_free(&d);
}

TEST(test_wa_frame_bad_intro_rejected)
{
	struct wa_frame_dec d;
	struct got g;

	memset(&g, 0, sizeof(g));
	wa_frame_dec_init(&d, 0, WA_FRAME_DEC_INTRO);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, "GET / HTTP", 10, collect, &g),
	    WA_ERR_BAD_INTRO);
	CHECK(wa_frame_dec_intro(&d) == NULL);
	wa_frame_dec_free(&d);

	/* ED block with a wrong version. */
	wa_frame_dec_init(&d, 0, WA_FRAME_DEC_INTRO);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, "ED\x00\x02\x00\x00\x00", 7, collect,
	    &g), WA_ERR_BAD_INTRO);
	wa_frame_dec_free(&d);

	/* ED routing longer than the limit: rejected, nothing skipped. */
	wa_frame_dec_init(&d, 0, WA_FRAME_DEC_INTRO);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, "ED\x00\x01\xff\xff\xff", 7, collect,
	    &g), WA_ERR_TOO_BIG);
	wa_frame_dec_free(&d);

	/* ED then something that is not WA. */
	wa_frame_dec_init(&d, 0, WA_FRAME_DEC_INTRO);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, "ED\x00\x01\x00\x00\x01xXA\x06\x03",
	    12, collect, &g), WA_ERR_BAD_INTRO);
	wa_frame_dec_free(&d);
	CHECK_EQ_INT(g.n, 0);
}

TEST(test_wa_frame_callback_stop)
{
	struct wa_frame_dec d;
	struct got g;
	struct u_buf b;

	build_stream(&b, NULL, 0, 0);
	memset(&g, 0, sizeof(g));
	g.stop_after = 1;
	wa_frame_dec_init(&d, 0, 0);
	CHECK_EQ_INT(wa_frame_dec_feed(&d, b.p, b.len, collect, &g), 1);
	CHECK_EQ_INT(g.n, 1);
	wa_frame_dec_free(&d);
	u_buf_free(&b);
}

TEST_MAIN()
