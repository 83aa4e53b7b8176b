/*
 * test_br_community_parse.c: the pure parts of community portals: `!am`
 * parsing (good, bad and hostile input), user IDs, member checks, the
 * rate limiter, the texts table (both languages, same placeholders), the
 * community config section (defaults, validation) and the registration's
 * third namespace entry.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/community.h"
#include "bridge/config.h"
#include "bridge/registration.h"
#include "bridge/texts_community.h"
#include "test/unit/test.h"

static struct br_config *
cfg_from(const char *text, char *err, size_t errsz)
{
	static char *const noenv[] = { NULL };
	struct br_config_opts o = { noenv };
	struct br_config *c = NULL;

	if (br_config_load_mem("t", text, strlen(text), &o, &c, err,
	    errsz) != 0)
		return NULL;
	return c;
}

#define P(text, v) do {						\
	br_am_parse("!am", (text), &cmd);				\
	CHECK_EQ_INT(cmd.verb, (v));					\
} while (0)

TEST(test_br_am_parse_verbs)
{
	struct br_am_cmd cmd;

	P("hello", BR_AM_NONE);
	P("!amx whatsapp", BR_AM_NONE);
	P("please !am help", BR_AM_NONE);
	P("", BR_AM_NONE);
	P("!am", BR_AM_HELP);
	CHECK_EQ_STR(cmd.arg, "");
	P("  !AM   help  ", BR_AM_HELP);
	P("!am aide", BR_AM_HELP);
	CHECK_EQ_STR(cmd.arg, "fr");
	P("!am help en", BR_AM_HELP);
	CHECK_EQ_STR(cmd.arg, "en");
	P("!am @Pseudo:Sans-Nuage.fr", BR_AM_INVITE);
	CHECK_EQ_STR(cmd.arg, "@pseudo:sans-nuage.fr");
	P("!am @pseudo:sans-nuage.fr\nsecond line ignored", BR_AM_INVITE);
	P("!am whatsapp", BR_AM_WHATSAPP);
	P("!am WhatsApp   ", BR_AM_WHATSAPP);
	P("!am whatsapp +33654321234", BR_AM_WHATSAPP_ADD);
	CHECK_EQ_STR(cmd.arg, "33654321234");
	P("!am whatsapp +33 6 54-32-12-34", BR_AM_WHATSAPP_ADD);
	CHECK_EQ_STR(cmd.arg, "33654321234");
	P("!am reset", BR_AM_RESET);
	P("!am reset now", BR_AM_UNKNOWN);
	P("!am frobnicate", BR_AM_UNKNOWN);
	/* Another prefix from the config. */
	br_am_parse("!wa2", "!wa2 whatsapp", &cmd);
	CHECK_EQ_INT(cmd.verb, BR_AM_WHATSAPP);
}

TEST(test_br_am_parse_bad_input)
{
	struct br_am_cmd cmd;
	char *big;

	P("!am @pseudo", BR_AM_BAD_USER);
	P("!am @:sans-nuage.fr", BR_AM_BAD_USER);
	P("!am @a:", BR_AM_BAD_USER);
	P("!am @pseudo:sans nuage.fr", BR_AM_BAD_USER);
	P("!am @ps\xc3\xa9udo:sans-nuage.fr", BR_AM_BAD_USER);
	P("!am @a:b @c:d", BR_AM_BAD_USER);
	P("!am @a:-bad-.fr", BR_AM_BAD_USER);
	P("!am @a:host:99999999", BR_AM_BAD_USER);
	P("!am @a:host:80", BR_AM_INVITE);
	P("!am @a:[::1]:8448", BR_AM_INVITE);
	P("!am whatsapp 0654321234", BR_AM_BAD_PHONE);
	P("!am whatsapp +12", BR_AM_BAD_PHONE);
	P("!am whatsapp +33abc", BR_AM_BAD_PHONE);
	P("!am whatsapp please", BR_AM_BAD_PHONE);
	/* A huge argument: refused, bounded, no crash. */
	big = malloc(100000);
	REQUIRE(big != NULL);
	memset(big, 'a', 99999);
	big[99999] = '\0';
	memcpy(big, "!am @", 5);
	big[500] = ':';
	P(big, BR_AM_BAD_USER);
	memcpy(big, "!am whatsapp +3", 15);
	P(big, BR_AM_BAD_PHONE);
	free(big);
}

TEST(test_br_am_user_id_limits)
{
	char out[BR_AM_ARG_MAX + 1], id[300];

	CHECK(br_am_user_id("@a:b", 4, out) == 1);
	CHECK_EQ_STR(out, "@a:b");
	CHECK(br_am_user_id("@a_b.c=d-e/f+g:ex.org", 21, out) == 1);
	memset(id, 'a', sizeof(id));
	id[0] = '@';
	id[250] = ':';
	CHECK(br_am_user_id(id, 255, out) == 1);
	CHECK(br_am_user_id(id, 256, out) == 0);
	CHECK(br_am_user_id("a:b", 3, out) == 0);
}

TEST(test_br_community_members)
{
	char err[256];
	struct br_config *c = cfg_from(
	    "homeserver: {domain: sans-nuage.fr}\n"
	    "community: {enabled: true}\n", err, sizeof(err));
	struct br_config *d;

	REQUIRE(c != NULL);
	CHECK(br_community_is_member(c, "@libremax:sans-nuage.fr"));
	CHECK(br_community_is_member(c, "@libremax:SANS-NUAGE.fr"));
	CHECK(!br_community_is_member(c, "@evil:example.org"));
	CHECK(!br_community_is_member(c, "@x:sans-nuage.fr.evil"));
	CHECK(!br_community_is_member(c, "libremax"));
	CHECK_EQ_STR(br_community_domain(c), "sans-nuage.fr");
	br_config_free(c);
	d = cfg_from("homeserver: {domain: hs.test}\n"
	    "community: {enabled: true, member_domains: [a.test, b.test], "
	    "member_users: [\"@friend:other.test\"]}\n", err, sizeof(err));
	REQUIRE(d != NULL);
	CHECK(!br_community_is_member(d, "@u:hs.test"));
	CHECK(br_community_is_member(d, "@u:b.test"));
	CHECK(br_community_is_member(d, "@friend:other.test"));
	CHECK(!br_community_is_member(d, "@foe:other.test"));
	CHECK_EQ_STR(br_community_domain(d), "a.test");
	br_config_free(d);
}

TEST(test_br_rate_windows)
{
	static struct br_rate r;
	size_t i;
	char key[32];

	br_rate_init(&r, 60000, 3);
	CHECK_EQ_INT(br_rate_hit(&r, "a", 1000), BR_RATE_OK);
	CHECK_EQ_INT(br_rate_hit(&r, "a", 1001), BR_RATE_OK);
	CHECK(br_rate_would_pass(&r, "a", 1002));
	CHECK_EQ_INT(br_rate_hit(&r, "a", 1002), BR_RATE_OK);
	CHECK(!br_rate_would_pass(&r, "a", 1003));
	CHECK_EQ_INT(br_rate_hit(&r, "a", 1003), BR_RATE_LIMITED_FIRST);
	CHECK_EQ_INT(br_rate_hit(&r, "a", 1004), BR_RATE_LIMITED);
	CHECK_EQ_INT(br_rate_hit(&r, "b", 1004), BR_RATE_OK);
	/* A new window. */
	CHECK_EQ_INT(br_rate_hit(&r, "a", 61000), BR_RATE_OK);
	/* Many senders: bounded, still answers. */
	for (i = 0; i < 3 * BR_RATE_KEYS; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		CHECK_EQ_INT(br_rate_hit(&r, key, 70000 + i), BR_RATE_OK);
	}
	br_rate_init(&r, 60000, 0);
	for (i = 0; i < 100; i++)
		CHECK_EQ_INT(br_rate_hit(&r, "a", 1), BR_RATE_OK);
}

static int
placeholders(const char *s)
{
	return (strstr(s, "{0}") != NULL) | (strstr(s, "{1}") != NULL) << 1;
}

TEST(test_br_ctexts_complete)
{
	int id;
	char *t;

	for (id = 0; id < BR_CT_COUNT; id++) {
		const char *en = br_ctext(BR_LANG_EN, (enum br_ctext_id)id);
		const char *fr = br_ctext(BR_LANG_FR, (enum br_ctext_id)id);

		CHECK(en[0] != '\0');
		CHECK(fr[0] != '\0');
		CHECK(strcmp(en, fr) != 0);
		CHECK_EQ_INT(placeholders(en), placeholders(fr));
	}
	t = br_ctext_fmt(BR_LANG_FR, BR_CT_WELCOME, "!am", "sans-nuage.fr");
	CHECK(strstr(t, "!am @votrepseudo:sans-nuage.fr") != NULL);
	free(t);
	t = br_ctext_fill("Type {prefix} @you:{domain} {0}{1}{2}", "!am",
	    "d");
	CHECK_EQ_STR(t, "Type !am @you:d !amd{2}");
	free(t);
}

TEST(test_br_community_config)
{
	char err[256];
	struct br_config *c;
	static const char base[] =
	    "homeserver: {address: \"http://127.0.0.1:1\", domain: hs.test}\n"
	    "appservice: {as_token: A, hs_token: H}\n"
	    "bridge: {permissions: {\"hs.test\": user}}\n"
	    "database: {type: sqlite3-fk-wal, uri: \"file:x.db\"}\n";
	static const struct { const char *extra; int ok; } cases[] = {
	    { "", 1 },
	    { "community: {enabled: true, bot_username: arnmessager}\n", 1 },
	    { "community: {language: de}\n", 0 },
	    { "community: {command_prefix: \"\"}\n", 0 },
	    { "community: {command_prefix: \"! am\"}\n", 0 },
	    { "community: {relay_login: \"+336\"}\n", 0 },
	    { "community: {relay_login: \"33612345678\"}\n", 1 },
	    { "community: {commands_per_minute: -1}\n", 0 },
	    { "community: {member_users: [nobody]}\n", 0 },
	    { "community: {bot_username: \"Arn Messager\"}\n", 0 },
	    { "community: {bot_username: whatsappbot}\n", 0 },
	    { "community: {bot_username: whatsapp_123}\n", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = malloc(strlen(base) + strlen(cases[i].extra) + 1);
		int r;

		strcpy(text, base);
		strcat(text, cases[i].extra);
		c = cfg_from(text, err, sizeof(err));
		free(text);
		REQUIRE(c != NULL);
		r = br_config_validate(c, err, sizeof(err));
		if ((r == 0) != cases[i].ok)
			fprintf(stderr, "  case %zu: %d %s\n", i, r, err);
		CHECK((r == 0) == cases[i].ok);
		if (i == 0) {
			CHECK(!c->community.enabled);
			CHECK_EQ_STR(c->community.command_prefix, "!am");
			CHECK_EQ_STR(c->community.language, "en");
			CHECK_EQ_INT(c->community.commands_per_minute, 6);
			CHECK_EQ_INT(c->community.adds_per_member_per_day, 5);
			CHECK_EQ_INT(c->community.adds_per_day, 20);
			CHECK_EQ_STR(c->community.welcome_fr, "");
		}
		br_config_free(c);
	}
}

TEST(test_br_community_env_overrides)
{
	static char *const env[] = { "B_COMMUNITY__ENABLED=true",
	    "B_community.bot_username=arnmessager",
	    "B_COMMUNITY__COMMANDS_PER_MINUTE=3", NULL };
	static char *const bad[] = { "B_COMMUNITY__MEMBER_DOMAINS=x", NULL };
	static const char text[] = "env_config_prefix: B_\n";
	struct br_config_opts o = { env };
	struct br_config *c = NULL;
	char err[256];

	REQUIRE(br_config_load_mem("t", text, strlen(text), &o, &c, err,
	    sizeof(err)) == 0);
	CHECK(c->community.enabled);
	CHECK_EQ_STR(c->community.bot_username, "arnmessager");
	CHECK_EQ_INT(c->community.commands_per_minute, 3);
	br_config_free(c);
	/* A list cannot be set from the environment (as upstream). */
	o.envp = bad;
	c = NULL;
	CHECK(br_config_load_mem("t", text, strlen(text), &o, &c, err,
	    sizeof(err)) == BR_ERR_CONFIG_ENV);
	br_config_free(c);
}

TEST(test_br_community_registration)
{
	struct br_registration reg = { "A", "H", "S" };
	char err[256];
	struct br_config *c = cfg_from("homeserver: {domain: my.test}\n"
	    "community: {enabled: true, bot_username: arn.messager}\n", err,
	    sizeof(err));
	struct br_config *off = cfg_from("homeserver: {domain: my.test}\n"
	    "community: {enabled: false, bot_username: arn.messager}\n", err,
	    sizeof(err));
	char *y;

	REQUIRE(c != NULL && off != NULL);
	y = br_registration_yaml(c, &reg);
	CHECK(strstr(y, "        - regex: ^@whatsapp_.*:my\\.test$\n"
	    "          exclusive: true\n"
	    "        - regex: ^@arn\\.messager:my\\.test$\n"
	    "          exclusive: true\n") != NULL);
	free(y);
	y = br_registration_yaml(off, &reg);
	CHECK(strstr(y, "messager") == NULL);
	free(y);
	br_config_free(c);
	br_config_free(off);
}

TEST_MAIN()
