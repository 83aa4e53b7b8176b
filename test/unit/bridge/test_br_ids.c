/*
 * test_br_ids.c: mautrix-whatsapp ID formats (bridge/ids.h), good and
 * malformed inputs.  Expected strings are upstream's formats
 * (mautrix-whatsapp pkg/waid, whatsmeow types.JID.String()).
 */
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "bridge/ids.h"
#include "util/err.h"

/* Runs fn-style call into s, checks the code and (on success) the text. */
#define CHECK_ID(call, want) do {					\
	char *s_ = NULL;						\
	int r_ = (call);						\
	CHECK_EQ_INT(r_, 0);						\
	if (r_ == 0)							\
		CHECK_EQ_STR(s_, (want));				\
	free(s_);							\
} while (0)
#define CHECK_ID_ERR(call, err) do {					\
	char *s_ = NULL;						\
	int r_ = (call);						\
	CHECK_EQ_INT(r_, (err));					\
	CHECK(s_ == NULL);						\
	free(s_);							\
} while (0)

TEST(test_br_jid_parse_forms)
{
	struct br_jid j;
	char *s;

	REQUIRE(br_jid_parse("4915123456789@s.whatsapp.net", &j) == 0);
	CHECK_EQ_STR(j.user, "4915123456789");
	CHECK_EQ_STR(j.server, "s.whatsapp.net");
	CHECK_EQ_INT(j.agent, 0);
	CHECK_EQ_INT(j.device, 0);

	REQUIRE(br_jid_parse("4915123456789:12@s.whatsapp.net", &j) == 0);
	CHECK_EQ_STR(j.user, "4915123456789");
	CHECK_EQ_INT(j.device, 12);
	s = br_jid_string(&j);
	CHECK_EQ_STR(s, "4915123456789:12@s.whatsapp.net");
	free(s);
	s = br_jid_string_non_ad(&j);
	CHECK_EQ_STR(s, "4915123456789@s.whatsapp.net");
	free(s);

	REQUIRE(br_jid_parse("123.1:7@lid", &j) == 0);
	CHECK_EQ_STR(j.user, "123");
	CHECK_EQ_INT(j.agent, 1);
	CHECK_EQ_INT(j.device, 7);
	s = br_jid_string(&j);
	CHECK_EQ_STR(s, "123.1:7@lid");
	free(s);

	/* Agent without device (whatsmeow accepts it; device 0). */
	REQUIRE(br_jid_parse("123.2@s.whatsapp.net", &j) == 0);
	CHECK_EQ_INT(j.agent, 2);
	CHECK_EQ_INT(j.device, 0);
	s = br_jid_string(&j);
	CHECK_EQ_STR(s, "123.2:0@s.whatsapp.net");
	free(s);

	/* Bare server, old-style group, status. */
	REQUIRE(br_jid_parse("s.whatsapp.net", &j) == 0);
	CHECK_EQ_STR(j.user, "");
	CHECK_EQ_STR(j.server, "s.whatsapp.net");
	REQUIRE(br_jid_parse("4915123456789-1428512345@g.us", &j) == 0);
	CHECK_EQ_STR(j.user, "4915123456789-1428512345");
	REQUIRE(br_jid_parse("status@broadcast", &j) == 0);
	CHECK_EQ_STR(j.server, "broadcast");
	REQUIRE(br_jid_parse("65535:65535@s.whatsapp.net", &j) == 0);
	CHECK_EQ_INT(j.device, 65535);
}

TEST(test_br_jid_parse_rejects_malformed)
{
	static const char *bad[] = {
		"", "@s.whatsapp.net", "123@", "1@2@s.whatsapp.net",
		"1:@s.whatsapp.net", "1:x@s.whatsapp.net", "1:2:3@lid",
		"1:65536@s.whatsapp.net", "1.256:1@lid", "1.@lid", "1.a@lid",
		"1.2.3@lid", "1:2.3@lid", ":5@lid", ".1:5@lid",
		"12 3@s.whatsapp.net", "123@s.whatsapp.net\n",
		"1:-1@s.whatsapp.net", "1:+1@s.whatsapp.net",
		"1:000001@s.whatsapp.net", "caf\xc3\xa9@g.us",
	};
	struct br_jid j;
	char big[600];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = br_jid_parse(bad[i], &j);

		if (r != U_ERR_INVALID)
			fprintf(stderr, "  accepted or wrong code %d: \"%s\"\n",
			    r, bad[i]);
		CHECK_EQ_INT(r, U_ERR_INVALID);
	}
	CHECK_EQ_INT(br_jid_parse(NULL, &j), U_ERR_INVALID);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(br_jid_parse(big, &j), U_ERR_TOO_BIG);
	memcpy(big + 200, "@g.us", 6);
	CHECK_EQ_INT(br_jid_parse(big, &j), U_ERR_TOO_BIG);
	/* Server over its limit. */
	CHECK_EQ_INT(br_jid_parse("1@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    &j), U_ERR_TOO_BIG);
}

TEST(test_br_id_portal_and_receiver)
{
	CHECK_ID(br_id_portal("120363012345678901@g.us", &s_),
	    "120363012345678901@g.us");
	CHECK_ID(br_id_portal("4915123456789:3@s.whatsapp.net", &s_),
	    "4915123456789@s.whatsapp.net");
	CHECK_ID(br_id_portal("123456789012345.1:2@lid", &s_),
	    "123456789012345@lid");
	CHECK_ID_ERR(br_id_portal("g.us", &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_portal("x@@g.us", &s_), U_ERR_INVALID);

	CHECK_ID(br_id_portal_receiver("4915123456789@s.whatsapp.net",
	    "4911111", 0, &s_), "4911111");
	CHECK_ID(br_id_portal_receiver("123@lid", "4911111", 0, &s_),
	    "4911111");
	CHECK_ID(br_id_portal_receiver("867051314767696@bot", "4911111", 0,
	    &s_), "4911111");
	CHECK_ID(br_id_portal_receiver("status@broadcast", "4911111", 0, &s_),
	    "4911111");
	CHECK_ID(br_id_portal_receiver("120363012345678901@g.us", "4911111", 0,
	    &s_), "");
	CHECK_ID(br_id_portal_receiver("120363000000000001@newsletter",
	    "4911111", 0, &s_), "");
	CHECK_ID(br_id_portal_receiver("120363012345678901@g.us", "4911111", 1,
	    &s_), "4911111");
	/* A DM without a login would be shared between accounts. */
	CHECK_ID_ERR(br_id_portal_receiver("1@s.whatsapp.net", "", 0, &s_),
	    U_ERR_INVALID);
	CHECK_ID_ERR(br_id_portal_receiver("1@s.whatsapp.net", NULL, 0, &s_),
	    U_ERR_INVALID);
	CHECK_ID_ERR(br_id_portal_receiver("1:x@s.whatsapp.net", "4", 0, &s_),
	    U_ERR_INVALID);
}

TEST(test_br_id_ghost_and_login)
{
	CHECK_ID(br_id_ghost("4915123456789:5@s.whatsapp.net", &s_),
	    "4915123456789");
	CHECK_ID(br_id_ghost("123456789012345@lid", &s_),
	    "lid-123456789012345");
	CHECK_ID(br_id_ghost("867051314767696@bot", &s_), "bot-867051314767696");
	CHECK_ID_ERR(br_id_ghost("120363012345678901@g.us", &s_),
	    U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost("1@newsletter", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost("s.whatsapp.net", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost("1:2:3@lid", &s_), U_ERR_INVALID);

	CHECK_ID(br_id_ghost_jid("4915123456789", &s_),
	    "4915123456789@s.whatsapp.net");
	CHECK_ID(br_id_ghost_jid("lid-123", &s_), "123@lid");
	CHECK_ID(br_id_ghost_jid("bot-9", &s_), "9@bot");
	CHECK_ID_ERR(br_id_ghost_jid("", &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_jid("lid-", &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_jid("1:2", &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_jid("a@b", &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_jid("1.2", &s_), U_ERR_INVALID);

	CHECK_ID(br_id_login("4915123456789:5@s.whatsapp.net", &s_),
	    "4915123456789");
	CHECK_ID_ERR(br_id_login("123@lid", &s_), U_ERR_NOT_FOUND);
	CHECK_ID(br_id_login_device_jid("4915123456789", 5, &s_),
	    "4915123456789:5@s.whatsapp.net");
	CHECK_ID(br_id_login_device_jid("4915123456789", 0, &s_),
	    "4915123456789@s.whatsapp.net");
	CHECK_ID_ERR(br_id_login_device_jid("49:1", 5, &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_login_device_jid("", 5, &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_login_device_jid("1", 65536, &s_), U_ERR_INVALID);
}

TEST(test_br_id_ghost_mxid_roundtrip)
{
	CHECK_ID(br_id_ghost_mxid("whatsapp_{{.}}", "example.com",
	    "4915123456789", &s_), "@whatsapp_4915123456789:example.com");
	CHECK_ID(br_id_ghost_mxid("whatsapp_{{.}}", "example.com",
	    "lid-123456789012345", &s_),
	    "@whatsapp_lid-123456789012345:example.com");
	CHECK_ID(br_id_ghost_mxid("wa.{{.}}.x", "hs.test:8448", "1", &s_),
	    "@wa.1.x:hs.test:8448");
	/* The spellings of the action the config accepts. */
	CHECK_ID(br_id_ghost_mxid("whatsapp_{{ . }}", "example.com", "1", &s_),
	    "@whatsapp_1:example.com");
	CHECK_ID(br_id_ghost_mxid("whatsapp_{{- . -}}", "example.com", "1",
	    &s_), "@whatsapp_1:example.com");
	CHECK_ID(br_id_ghost_from_mxid("whatsapp_{{ . }}", "example.com",
	    "@whatsapp_lid-9:example.com", &s_), "lid-9");
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_{{ .}}{{.}}", "example.com",
	    "1", &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp {{.}}", "example.com", "1",
	    &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_{{.Name}}", "example.com", "1",
	    &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_{{-.}}", "example.com", "1",
	    &s_), U_ERR_INVALID);
	{
		char id[240];

		/* 1 + 9 + 239 + 1 + 11 = 261 > 255 bytes. */
		memset(id, '1', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_{{.}}", "example.com",
		    id, &s_), U_ERR_TOO_BIG);
		id[sizeof(id) - 7] = '\0';
		CHECK_ID(br_id_ghost_mxid("whatsapp_{{.}}", "example.com", id,
		    &s_), s_ != NULL && strlen(s_) == 255 ? s_ : "length");
	}

	CHECK_ID(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "@whatsapp_4915123456789:example.com", &s_), "4915123456789");
	CHECK_ID(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "@whatsapp_lid-1:example.com", &s_), "lid-1");
	CHECK_ID(br_id_ghost_from_mxid("wa.{{.}}.x", "hs.test:8448",
	    "@wa.1.x:hs.test:8448", &s_), "1");
	/* Not ours: other domain, other prefix, empty ID, the bot itself. */
	CHECK_ID_ERR(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "@whatsapp_1:example.org", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "@telegram_1:example.com", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "@whatsapp_:example.com", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "@whatsappbot:example.com", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "whatsapp_1:example.com", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost_from_mxid("whatsapp_{{.}}", "example.com",
	    "@whatsapp_1", &s_), U_ERR_NOT_FOUND);
	CHECK_ID_ERR(br_id_ghost_from_mxid("wa.{{.}}.x", "hs.test:8448",
	    "@wa.x:hs.test:8448", &s_), U_ERR_NOT_FOUND);
	/* Bad templates and IDs. */
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_", "example.com", "1", &s_),
	    U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("{{.}}_{{.}}", "example.com", "1", &s_),
	    U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("a:{{.}}", "example.com", "1", &s_),
	    U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_{{.}}", "example.com", "", &s_),
	    U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_{{.}}", "example.com", "a:b",
	    &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_mxid("whatsapp_{{.}}", "", "1", &s_),
	    U_ERR_INVALID);
	CHECK_ID_ERR(br_id_ghost_from_mxid("nothing", "example.com",
	    "@nothing:example.com", &s_), U_ERR_INVALID);
}

TEST(test_br_id_message_make_and_parse)
{
	struct br_msgid m;

	CHECK_ID(br_id_message("120363012345678901@g.us",
	    "4915123456789:7@s.whatsapp.net", NULL, "3EB0ABCDEF", &s_),
	    "120363012345678901@g.us:4915123456789@s.whatsapp.net:3EB0ABCDEF");
	/* LID chat: a phone sender is replaced by its LID. */
	CHECK_ID(br_id_message("123@lid", "4915@s.whatsapp.net", "123:4@lid",
	    "ABC", &s_), "123@lid:123@lid:ABC");
	/* Not a LID chat: the alt sender is ignored. */
	CHECK_ID(br_id_message("4915@s.whatsapp.net", "4915@s.whatsapp.net",
	    "123@lid", "ABC", &s_), "4915@s.whatsapp.net:4915@s.whatsapp.net:ABC");
	CHECK_ID(br_id_message_fake("1@g.us", "2@s.whatsapp.net", "x", &s_),
	    "fake:1@g.us:2@s.whatsapp.net:x");
	CHECK_ID_ERR(br_id_message("1@g.us", "2@s.whatsapp.net", NULL, "",
	    &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_message("1@g.us", "2@s.whatsapp.net", NULL, "a b",
	    &s_), U_ERR_INVALID);
	CHECK_ID_ERR(br_id_message("1@@g.us", "2@s.whatsapp.net", NULL, "A",
	    &s_), U_ERR_INVALID);

	memset(&m, 0, sizeof(m));
	REQUIRE(br_id_message_parse("120363012345678901@g.us:"
	    "4915123456789@s.whatsapp.net:3EB0ABCDEF", &m) == 0);
	CHECK_EQ_STR(m.chat, "120363012345678901@g.us");
	CHECK_EQ_STR(m.sender, "4915123456789@s.whatsapp.net");
	CHECK_EQ_STR(m.wa_id, "3EB0ABCDEF");
	br_msgid_clear(&m);
	CHECK(m.chat == NULL);
	br_msgid_clear(NULL);
	/* The WA part may itself hold ':' (split on the first two only). */
	REQUIRE(br_id_message_parse("1@g.us:2@lid:A:B", &m) == 0);
	CHECK_EQ_STR(m.wa_id, "A:B");
	br_msgid_clear(&m);

	CHECK_EQ_INT(br_id_message_parse("fake:1@g.us:2@lid:x", &m),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_id_message_parse("1@g.us:2@lid:FAKE::x", &m),
	    U_ERR_NOT_FOUND);
	CHECK_EQ_INT(br_id_message_parse("1@g.us:2@lid", &m), U_ERR_INVALID);
	CHECK_EQ_INT(br_id_message_parse("1@g.us:2@lid:", &m), U_ERR_INVALID);
	CHECK_EQ_INT(br_id_message_parse("1@@g.us:2@lid:A", &m),
	    U_ERR_INVALID);
	CHECK_EQ_INT(br_id_message_parse(":2@lid:A", &m), U_ERR_INVALID);
	CHECK_EQ_INT(br_id_message_parse("", &m), U_ERR_INVALID);
	CHECK_EQ_INT(br_id_message_parse(NULL, &m), U_ERR_INVALID);
	CHECK(m.chat == NULL && m.sender == NULL && m.wa_id == NULL);

	CHECK(br_id_message_is_fake("fake:a:b:c"));
	CHECK(br_id_message_is_fake("a:b:FAKE::c"));
	CHECK(!br_id_message_is_fake("a:b:c"));
	CHECK(!br_id_message_is_fake("a"));
	CHECK(!br_id_message_is_fake(NULL));
}

TEST(test_br_id_message_rejects_oversized)
{
	char wa[BR_ID_MAX + 2];
	char *s = NULL;

	memset(wa, 'A', sizeof(wa) - 1);
	wa[sizeof(wa) - 1] = '\0';
	CHECK_EQ_INT(br_id_message("1@g.us", "2@lid", NULL, wa, &s),
	    U_ERR_TOO_BIG);
	/* Fits alone but not with the JIDs. */
	wa[BR_ID_MAX - 5] = '\0';
	CHECK_EQ_INT(br_id_message("1@g.us", "2@lid", NULL, wa, &s),
	    U_ERR_TOO_BIG);
	CHECK(s == NULL);
	CHECK_EQ_INT(br_id_message_is_fake(wa), 0);
}

TEST_MAIN()
