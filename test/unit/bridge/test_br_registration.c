/* Tests for bridge/registration.c: upstream's registration layout. */
#include <stdlib.h>
#include <string.h>

#include "bridge/config.h"
#include "bridge/registration.h"
#include "test/unit/test.h"

static struct br_config *
cfg_from(const char *text)
{
	static char *const noenv[] = { NULL };
	struct br_config_opts o = { noenv };
	struct br_config *c = NULL;
	char err[256];

	if (br_config_load_mem("t", text, strlen(text), &o, &c, err,
	    sizeof(err)) != 0)
		return NULL;
	return c;
}

TEST(test_br_registration_layout_matches_upstream)
{
	struct br_registration reg = { "A", "H", "S" };
	struct br_config *c = cfg_from("homeserver:\n    domain: my.test\n");
	char *y;

	REQUIRE(c != NULL);
	y = br_registration_yaml(c, &reg);
	CHECK_EQ_STR(y,
	    "id: whatsapp\n"
	    "url: http://localhost:29318\n"
	    "as_token: A\n"
	    "hs_token: H\n"
	    "sender_localpart: S\n"
	    "rate_limited: false\n"
	    "namespaces:\n"
	    "    users:\n"
	    "        - regex: ^@whatsappbot:my\\.test$\n"
	    "          exclusive: true\n"
	    "        - regex: ^@whatsapp_.*:my\\.test$\n"
	    "          exclusive: true\n"
	    "de.sorunome.msc2409.push_ephemeral: true\n"
	    "receive_ephemeral: true\n");
	free(y);
	br_config_free(c);
}

TEST(test_br_registration_flags_and_quoting)
{
	struct br_registration reg = { "A", "H", "S" };
	struct br_config *c = cfg_from(
	    "homeserver: {domain: \"ex-ample.org:8448\"}\n"
	    "appservice: {ephemeral_events: false, id: \"true\", "
	    "username_template: \"wa.{{.}}.x\", bot: {username: \"b+t\"}}\n"
	    "encryption: {appservice: true, msc4190: true}\n");
	char *y;

	REQUIRE(c != NULL);
	y = br_registration_yaml(c, &reg);
	/* A string that would read as a boolean is quoted. */
	CHECK(strstr(y, "id: \"true\"\n") != NULL);
	CHECK(strstr(y, "regex: ^@b\\+t:ex-ample\\.org:8448$\n") != NULL);
	CHECK(strstr(y, "regex: ^@wa\\..*\\.x:ex-ample\\.org:8448$\n") != NULL);
	CHECK(strstr(y, "push_ephemeral") == NULL);
	CHECK(strstr(y, "receive_ephemeral") == NULL);
	CHECK(strstr(y, "\norg.matrix.msc3202: true\nio.element.msc4190: "
	    "true\n") != NULL);
	free(y);
	br_config_free(c);
}

TEST(test_br_registration_random_tokens)
{
	struct br_registration a, b;
	size_t i;

	br_registration_init(&a);
	br_registration_init(&b);
	CHECK_EQ_INT(strlen(a.as_token), 64);
	CHECK_EQ_INT(strlen(a.hs_token), 64);
	CHECK_EQ_INT(strlen(a.sender_localpart), 32);
	CHECK(strcmp(a.as_token, b.as_token) != 0);
	CHECK(strcmp(a.as_token, a.hs_token) != 0);
	for (i = 0; i < 64; i++)
		CHECK(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz", a.as_token[i]) != NULL);
	br_registration_clear(&a);
	br_registration_clear(&b);
}

TEST(test_br_regex_quote_as_go)
{
	char *q = br_regex_quote("a.b*c+d?e(f)g|h[i]j{k}l^m$n\\o-p:q");

	CHECK_EQ_STR(q, "a\\.b\\*c\\+d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n"
	    "\\\\o-p:q");
	free(q);
}

TEST_MAIN()
