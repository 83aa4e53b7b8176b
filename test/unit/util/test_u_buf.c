/* Tests for util/buf.c: the bounded reader and the capped buffer. */
#include "test/unit/test.h"
#include "util/buf.h"
#include "util/err.h"

TEST(test_u_rd_reads_big_endian)
{
	static const uint8_t in[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct u_rd r;
	uint8_t a;
	uint16_t b;
	uint32_t c, d;

	u_rd_init(&r, in, sizeof(in));
	CHECK_EQ_INT(u_rd_u8(&r, &a), 0);
	CHECK_EQ_INT(a, 1);
	CHECK_EQ_INT(u_rd_u16be(&r, &b), 0);
	CHECK_EQ_INT(b, 0x0203);
	CHECK_EQ_INT(u_rd_u24be(&r, &c), 0);
	CHECK_EQ_INT(c, 0x040506);
	CHECK_EQ_INT(u_rd_u32be(&r, &d), 0);
	CHECK_EQ_INT(d, 0x0708090a);
	CHECK_EQ_INT(u_rd_left(&r), 0);
}

TEST(test_u_rd_rejects_truncated_without_moving)
{
	static const uint8_t in[] = { 1, 2, 3 };
	const uint8_t *p = NULL;
	struct u_rd r;
	uint32_t v = 42;

	u_rd_init(&r, in, sizeof(in));
	CHECK_EQ_INT(u_rd_u32be(&r, &v), U_ERR_TRUNCATED);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_INT(r.off, 0);
	CHECK_EQ_INT(u_rd_bytes(&r, 4, &p), U_ERR_TRUNCATED);
	CHECK(p == NULL);
	CHECK_EQ_INT(u_rd_bytes(&r, (size_t)-1, &p), U_ERR_TRUNCATED);
	CHECK_EQ_INT(u_rd_skip(&r, 3), 0);
	CHECK_EQ_INT(u_rd_left(&r), 0);
}

TEST(test_u_buf_grows_and_stays_terminated)
{
	struct u_buf b;
	size_t len;
	uint8_t *p;
	int i;

	u_buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		CHECK_EQ_INT(u_buf_add_str(&b, "ab"), 0);
	CHECK_EQ_INT(b.len, 2000);
	CHECK_EQ_INT(b.p[2000], 0);
	CHECK_EQ_INT(u_buf_printf(&b, "%d", 7), 0);
	CHECK_EQ_INT(b.p[2000], '7');
	u_buf_consume(&b, 1999);
	CHECK_EQ_STR((char *)b.p, "b7");
	p = u_buf_steal(&b, &len);
	CHECK_EQ_INT(len, 2);
	CHECK_EQ_STR((char *)p, "b7");
	CHECK(b.p == NULL);
	free(p);
	u_buf_free(&b);
}

TEST(test_u_buf_steal_is_terminated_when_empty_or_reset)
{
	struct u_buf b;
	uint8_t *p;
	size_t len = 99;

	u_buf_init(&b, 0);
	p = u_buf_steal(&b, &len);
	REQUIRE(p != NULL);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_INT(p[0], 0);
	free(p);
	u_buf_add_str(&b, "abc");
	u_buf_reset(&b);
	p = u_buf_steal(&b, &len);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_INT(p[0], 0);
	free(p);
	u_buf_add_str(&b, "abc");
	u_buf_consume(&b, 3);
	p = u_buf_steal(&b, &len);
	CHECK_EQ_INT(p[0], 0);
	free(p);
	u_buf_free(&b);
}

TEST(test_u_buf_rejects_growth_past_cap)
{
	struct u_buf b;

	u_buf_init(&b, 8);
	CHECK_EQ_INT(u_buf_add(&b, "12345678", 8), 0);
	CHECK_EQ_INT(u_buf_add_u8(&b, 9), U_ERR_TOO_BIG);
	CHECK_EQ_INT(b.len, 8);
	CHECK_EQ_INT(u_buf_reserve(&b, (size_t)-1), U_ERR_TOO_BIG);
	u_buf_free(&b);
}

TEST(test_u_buf_big_endian_appends)
{
	struct u_buf b;
	static const uint8_t want[] = { 0xab, 0x01, 0x02, 0x01, 0x02, 0x03,
	    0xde, 0xad, 0xbe, 0xef };

	u_buf_init(&b, 0);
	u_buf_add_u8(&b, 0xab);
	u_buf_add_u16be(&b, 0x0102);
	u_buf_add_u24be(&b, 0x010203);
	u_buf_add_u32be(&b, 0xdeadbeef);
	REQUIRE(b.len == sizeof(want));
	CHECK_EQ_MEM(b.p, want, sizeof(want));
	u_buf_free(&b);
}

TEST_MAIN()
