/*
 * Config load parses the templates as upstream does while decoding
 * (network.displayname_template, bridge.relay.displayname_format and each
 * bridge.relay.message_formats value, through bridge/relay_tmpl): a bad
 * one is a config error naming the key and its line.
 */
#include <stdio.h>
#include <string.h>

#include "bridge/config.h"
#include "test/unit/test.h"

static char *const noenv[] = { NULL };

static int
load_str(const char *text, char *err, size_t errsz)
{
	struct br_config_opts o = { noenv };
	struct br_config *c = NULL;
	int r;

	r = br_config_load_mem("t.yaml", text, strlen(text), &o, &c, err,
	    errsz);
	br_config_free(c);
	return r;
}

TEST(test_br_config_tmpl_good_templates_load)
{
	char err[256] = "";

	CHECK_EQ_INT(load_str("network:\n  displayname_template: '{{or "
	    ".BusinessName .PushName .Phone .RedactedPhone \"Unknown user\"}} "
	    "(WA)'\nbridge:\n  relay:\n    displayname_format: "
	    "'{{ .DisambiguatedName }}'\n    message_formats:\n      m.text: "
	    "'<b>{{ or .Sender.Displayname .Sender.UserID }}</b>: "
	    "{{ .Message }}'\n", err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	/* legacy names are still accepted */
	CHECK_EQ_INT(load_str("network:\n  displayname_template: "
	    "'{{or .VName .Notify .JID}}'\n", err, sizeof(err)), 0);
}

TEST(test_br_config_tmpl_bad_displayname_template)
{
	char err[256] = "";

	CHECK_EQ_INT(load_str("network:\n  displayname_template: "
	    "'{{or .Bogus .PushName}}'\n", err, sizeof(err)),
	    BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "t.yaml:2:") != NULL);
	CHECK(strstr(err, "network.displayname_template: invalid template")
	    != NULL);
	CHECK_EQ_INT(load_str("network:\n  displayname_template: "
	    "'{{or .PushName'\n", err, sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "unclosed action") != NULL);
}

TEST(test_br_config_tmpl_bad_relay_formats)
{
	char err[256] = "";

	CHECK_EQ_INT(load_str("bridge:\n  relay:\n    message_formats:\n"
	    "      m.text: '{{ .Message }}'\n      m.notice: '{{ range .X }}'\n",
	    err, sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "t.yaml:5:") != NULL);
	CHECK(strstr(err, "bridge.relay.message_formats.m.notice: invalid "
	    "template: unsupported action") != NULL);
	CHECK_EQ_INT(load_str("bridge:\n  relay:\n    displayname_format: "
	    "'{{ .Message }}'\n", err, sizeof(err)), BR_ERR_CONFIG_TYPE);
	CHECK(strstr(err, "bridge.relay.displayname_format: invalid template")
	    != NULL);
}

TEST_MAIN()
