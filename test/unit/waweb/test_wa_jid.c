/* Tests for waweb/jid.c: parse, format, classify, Signal addresses. */
#include "test/unit/test.h"
#include "waweb/errors.h"
#include "waweb/jid.h"

/* Parse s, format it again, expect `want` (NULL: the same string). */
static int
roundtrip(const char *s, const char *want)
{
	struct wa_jid j;
	char buf[WA_JID_STR_MAX];

	if (wa_jid_parse(s, &j) != 0)
		return 0;
	wa_jid_format(&j, buf, sizeof(buf));
	return strcmp(buf, want != NULL ? want : s) == 0;
}

TEST(test_wa_jid_roundtrips_every_kind)
{
	CHECK(roundtrip("15551234567@s.whatsapp.net", NULL));
	CHECK(roundtrip("15551234567:3@s.whatsapp.net", NULL));
	CHECK(roundtrip("15551234567:0@s.whatsapp.net",
	    "15551234567@s.whatsapp.net"));
	CHECK(roundtrip("123456789012345@lid", NULL));
	CHECK(roundtrip("123456789012345:27@lid", NULL));
	CHECK(roundtrip("15551234567:99@hosted", NULL));
	CHECK(roundtrip("123456789012345:99@hosted.lid", NULL));
	CHECK(roundtrip("120363012345678901@g.us", NULL));
	CHECK(roundtrip("15551234567-1600000000@g.us", NULL));
	CHECK(roundtrip("status@broadcast", NULL));
	CHECK(roundtrip("1600000000@broadcast", NULL));
	CHECK(roundtrip("120363111111111111@newsletter", NULL));
	CHECK(roundtrip("15551234567@c.us", NULL));
	CHECK(roundtrip("867051314767696@bot", NULL));
	CHECK(roundtrip("100012345678:2@msgr", NULL));
	CHECK(roundtrip("100012345678:1@interop", NULL));
	CHECK(roundtrip("15551234567.5:2@s.whatsapp.net", NULL));
	CHECK(roundtrip("s.whatsapp.net", NULL));
	CHECK(roundtrip("@s.whatsapp.net", "s.whatsapp.net"));
	CHECK(roundtrip("g.us", NULL));
}

TEST(test_wa_jid_parses_fields)
{
	struct wa_jid j;

	REQUIRE(wa_jid_parse("15551234567.5:2@s.whatsapp.net", &j) == 0);
	CHECK_EQ_STR(j.user, "15551234567");
	CHECK_EQ_STR(j.server, "s.whatsapp.net");
	CHECK_EQ_INT(j.agent, 5);
	CHECK_EQ_INT(j.device, 2);
	CHECK(j.ad);
	REQUIRE(wa_jid_parse("123:0@lid", &j) == 0);
	CHECK_EQ_INT(j.device, 0);
	CHECK(j.ad);
	REQUIRE(wa_jid_parse("123@lid", &j) == 0);
	CHECK(!j.ad);
	REQUIRE(wa_jid_parse("s.whatsapp.net", &j) == 0);
	CHECK_EQ_STR(j.user, "");
	CHECK(wa_jid_is_server(&j));
	REQUIRE(wa_jid_parse_n("1@lidXXX", 5, &j) == 0);
	CHECK_EQ_STR(j.server, "lid");
}

TEST(test_wa_jid_rejects_garbage)
{
	static const char *bad[] = {
		"", "@", "a@", "a:b@s.whatsapp.net", "a:70000@s.whatsapp.net",
		"a:01@s.whatsapp.net", "a:@s.whatsapp.net", ":1@s.whatsapp.net",
		"a.x:1@s.whatsapp.net", "a.256:1@s.whatsapp.net",
		"a:1:2@s.whatsapp.net", "a@b@c", "a b@s.whatsapp.net",
		"a@s.whats app.net", "a@lid:1", "a\t@lid", "a\x7f@lid",
		"a:-1@lid", "a:+1@lid",
		"1234567890123456789012345678901234567890123456789012345678901234"
		    "5@s.whatsapp.net",
		"a@012345678901234567890123456789012",
	};
	struct wa_jid j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = wa_jid_parse(bad[i], &j);

		if (r != WA_ERR_BAD_JID)
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
		CHECK_EQ_INT(r, WA_ERR_BAD_JID);
	}
	CHECK_EQ_INT(wa_jid_parse(NULL, &j), WA_ERR_BAD_JID);
	CHECK_EQ_INT(wa_jid_parse_n("a\0b@lid", 7, &j), WA_ERR_BAD_JID);
	/* The longest accepted parts. */
	CHECK_EQ_INT(wa_jid_parse("123456789012345678901234567890123456789012345"
	    "6789012345678901234@s.whatsapp.net", &j), 0);
	CHECK_EQ_INT(wa_jid_parse("a@01234567890123456789012345678901", &j), 0);
}

TEST(test_wa_jid_make_validates)
{
	struct wa_jid j;
	char buf[WA_JID_STR_MAX];

	CHECK_EQ_INT(wa_jid_make(&j, "123", WA_SERVER_LID, 4), 0);
	CHECK_EQ_STR(wa_jid_format(&j, buf, sizeof(buf)), "123:4@lid");
	CHECK_EQ_INT(wa_jid_make(&j, NULL, WA_SERVER_USER, 0), 0);
	CHECK_EQ_STR(wa_jid_format(&j, buf, sizeof(buf)), "s.whatsapp.net");
	CHECK_EQ_INT(wa_jid_make(&j, NULL, WA_SERVER_USER, 1), WA_ERR_BAD_JID);
	CHECK_EQ_INT(wa_jid_make(&j, "a@b", WA_SERVER_USER, 0), WA_ERR_BAD_JID);
	CHECK_EQ_INT(wa_jid_make(&j, "a", "", 0), WA_ERR_BAD_JID);
	CHECK_EQ_INT(wa_jid_make(&j, "a", NULL, 0), WA_ERR_BAD_JID);
}

TEST(test_wa_jid_classifies)
{
	struct wa_jid j;

	REQUIRE(wa_jid_parse("15551234567:2@s.whatsapp.net", &j) == 0);
	CHECK(wa_jid_is_pn(&j) && wa_jid_is_user(&j) && !wa_jid_is_lid(&j));
	REQUIRE(wa_jid_parse("123@lid", &j) == 0);
	CHECK(wa_jid_is_lid(&j) && wa_jid_is_user(&j) && !wa_jid_is_pn(&j));
	REQUIRE(wa_jid_parse("123:99@hosted.lid", &j) == 0);
	CHECK(wa_jid_is_hosted(&j) && wa_jid_is_user(&j));
	REQUIRE(wa_jid_parse("120363012345678901@g.us", &j) == 0);
	CHECK(wa_jid_is_group(&j) && !wa_jid_is_user(&j));
	REQUIRE(wa_jid_parse("status@broadcast", &j) == 0);
	CHECK(wa_jid_is_status(&j) && !wa_jid_is_broadcast(&j));
	REQUIRE(wa_jid_parse("1600000000@broadcast", &j) == 0);
	CHECK(wa_jid_is_broadcast(&j) && !wa_jid_is_status(&j));
	REQUIRE(wa_jid_parse("120363111111111111@newsletter", &j) == 0);
	CHECK(wa_jid_is_newsletter(&j));
	REQUIRE(wa_jid_parse("13135550002@s.whatsapp.net", &j) == 0);
	CHECK(wa_jid_is_bot(&j));
	REQUIRE(wa_jid_parse("13165550099@s.whatsapp.net", &j) == 0);
	CHECK(wa_jid_is_bot(&j));
	REQUIRE(wa_jid_parse("13135550002:1@s.whatsapp.net", &j) == 0);
	CHECK(!wa_jid_is_bot(&j));
	REQUIRE(wa_jid_parse("1313555000@s.whatsapp.net", &j) == 0);
	CHECK(!wa_jid_is_bot(&j));
	REQUIRE(wa_jid_parse("867051314767696@bot", &j) == 0);
	CHECK(wa_jid_is_bot(&j));
}

TEST(test_wa_jid_equality_and_non_ad)
{
	struct wa_jid a, b, c;

	REQUIRE(wa_jid_parse("123:0@lid", &a) == 0);
	REQUIRE(wa_jid_parse("123@lid", &b) == 0);
	CHECK(wa_jid_equal(&a, &b));	/* .ad is only a hint */
	REQUIRE(wa_jid_parse("123:5@lid", &c) == 0);
	CHECK(!wa_jid_equal(&a, &c));
	CHECK(wa_jid_same_user(&a, &c));
	c = wa_jid_to_non_ad(&c);
	CHECK(wa_jid_equal(&b, &c));
	CHECK(!c.ad && c.device == 0);
	REQUIRE(wa_jid_parse("123@s.whatsapp.net", &c) == 0);
	CHECK(!wa_jid_same_user(&b, &c));
}

TEST(test_wa_jid_signal_address)
{
	struct wa_jid j;
	char buf[WA_JID_STR_MAX];

	REQUIRE(wa_jid_parse("15551234567@s.whatsapp.net", &j) == 0);
	CHECK_EQ_STR(wa_jid_signal_address(&j, buf, sizeof(buf)),
	    "15551234567:0");
	REQUIRE(wa_jid_parse("123456789012345:7@lid", &j) == 0);
	CHECK_EQ_STR(wa_jid_signal_address(&j, buf, sizeof(buf)),
	    "123456789012345_1:7");
	CHECK_EQ_STR(wa_jid_signal_name(&j, buf, sizeof(buf)),
	    "123456789012345_1");
	REQUIRE(wa_jid_parse("1555:99@hosted", &j) == 0);
	CHECK_EQ_STR(wa_jid_signal_address(&j, buf, sizeof(buf)),
	    "1555_128:99");
	REQUIRE(wa_jid_parse("1555:99@hosted.lid", &j) == 0);
	CHECK_EQ_STR(wa_jid_signal_address(&j, buf, sizeof(buf)),
	    "1555_129:99");
	/* whatsmeow ignores the raw agent on s.whatsapp.net here. */
	REQUIRE(wa_jid_parse("1555.5:2@s.whatsapp.net", &j) == 0);
	CHECK_EQ_STR(wa_jid_signal_address(&j, buf, sizeof(buf)), "1555:2");
	CHECK(wa_jid_signal_address(&j, buf, 6) == NULL);
}

TEST_MAIN()
