/* Tests for matrix/txn.c: our namespace, the echo filter, ephemeral
 * filtering, localparts and mxc URIs. */
#include <stdlib.h>
#include <string.h>

#include "matrix/mx_int.h"
#include "test/unit/test.h"

static struct mx_ns ns;

static void
setup(void)
{
	mx__ns_clear(&ns);
	if (mx__ns_init(&ns, "whatsappbot", "whatsapp_{{.}}", "example.org",
	    "ponton") != 0)
		abort();
}

TEST(test_mx_ns_matches_bot_and_ghosts_only)
{
	setup();
	CHECK(mx__ns_is_ours(&ns, "@whatsappbot:example.org"));
	CHECK(mx__ns_is_ours(&ns, "@whatsapp_15551234567:example.org"));
	CHECK(mx__ns_is_ours(&ns, "@whatsapp_lid-123:example.org"));
	CHECK(!mx__ns_is_ours(&ns, "@whatsapp_:example.org"));
	CHECK(!mx__ns_is_ours(&ns, "@whatsapp_1:example.com"));
	CHECK(!mx__ns_is_ours(&ns, "@whatsapp_1:example.org.evil"));
	CHECK(!mx__ns_is_ours(&ns, "@alice:example.org"));
	CHECK(!mx__ns_is_ours(&ns, "@whatsappbot:other.org"));
	CHECK(!mx__ns_is_ours(&ns, NULL));
	CHECK(!mx__ns_is_ours(&ns, "whatsapp_1:example.org"));
}

TEST(test_mx_ns_template_with_suffix)
{
	struct mx_ns n2;

	REQUIRE(mx__ns_init(&n2, "bot", "wa_{{.}}_x", "h", "") == 0);
	CHECK(mx__ns_is_ours(&n2, "@wa_1_x:h"));
	CHECK(!mx__ns_is_ours(&n2, "@wa_1:h"));
	CHECK(!mx__ns_is_ours(&n2, "@wa__x:h"));
	mx__ns_clear(&n2);
	CHECK_EQ_INT(mx__ns_init(&n2, "bot", "no_placeholder", "h", ""), MX_ERR_INVALID);
	CHECK_EQ_INT(mx__ns_init(&n2, "bot", "{{.}}{{.}}", "h", ""), MX_ERR_INVALID);
	CHECK_EQ_INT(mx__ns_init(&n2, "Bad Bot", "x{{.}}", "h", ""), MX_ERR_INVALID);
}

static json_t *
ev(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);

	if (j == NULL)
		abort();
	return j;
}

TEST(test_mx_echo_filter)
{
	json_t *e;

	setup();
	e = ev("{\"sender\":\"@whatsapp_1:example.org\",\"content\":{}}");
	CHECK(mx__event_is_echo(&ns, e));
	json_decref(e);
	e = ev("{\"sender\":\"@whatsappbot:example.org\",\"content\":{}}");
	CHECK(mx__event_is_echo(&ns, e));
	json_decref(e);
	e = ev("{\"sender\":\"@alice:example.org\",\"content\":{\"body\":\"x\"}}");
	CHECK(!mx__event_is_echo(&ns, e));
	json_decref(e);
	/* a double puppet's event with our marker */
	e = ev("{\"sender\":\"@alice:example.org\",\"origin_server_ts\":5,"
	    "\"content\":{\"fi.mau.double_puppet_source\":\"ponton\"}}");
	CHECK(mx__event_is_echo(&ns, e));
	json_decref(e);
	e = ev("{\"sender\":\"@alice:example.org\",\"origin_server_ts\":5,"
	    "\"content\":{\"fi.mau.double_puppet_source\":\"ponton\",\"fi.mau.double_puppet_ts\":5}}");
	CHECK(mx__event_is_echo(&ns, e));
	json_decref(e);
	/* copied by another client: the ts no longer matches */
	e = ev("{\"sender\":\"@alice:example.org\",\"origin_server_ts\":9,"
	    "\"content\":{\"fi.mau.double_puppet_source\":\"ponton\",\"fi.mau.double_puppet_ts\":5}}");
	CHECK(!mx__event_is_echo(&ns, e));
	json_decref(e);
	/* another bridge's marker */
	e = ev("{\"sender\":\"@alice:example.org\",\"content\":{\"fi.mau.double_puppet_source\":\"other\"}}");
	CHECK(!mx__event_is_echo(&ns, e));
	json_decref(e);
}

TEST(test_mx_ephemeral_filter_removes_our_users)
{
	json_t *e;

	setup();
	e = ev("{\"type\":\"m.typing\",\"content\":{\"user_ids\":[\"@whatsapp_1:example.org\",\"@alice:example.org\"]}}");
	CHECK(mx__ephemeral_filter(&ns, e));
	CHECK_EQ_INT(json_array_size(json_object_get(json_object_get(e, "content"), "user_ids")), 1);
	json_decref(e);
	e = ev("{\"type\":\"m.typing\",\"content\":{\"user_ids\":[\"@whatsapp_1:example.org\"]}}");
	CHECK(!mx__ephemeral_filter(&ns, e));
	json_decref(e);
	e = ev("{\"type\":\"m.typing\",\"content\":{\"user_ids\":[]}}");
	CHECK(mx__ephemeral_filter(&ns, e));
	json_decref(e);
	e = ev("{\"type\":\"m.receipt\",\"content\":{\"$e\":{\"m.read\":{"
	    "\"@whatsapp_1:example.org\":{\"ts\":1},\"@alice:example.org\":{\"ts\":2}}},"
	    "\"$f\":{\"m.read\":{\"@whatsappbot:example.org\":{\"ts\":1}}}}}");
	CHECK(mx__ephemeral_filter(&ns, e));
	CHECK(json_object_get(json_object_get(e, "content"), "$f") == NULL);
	CHECK(json_object_get(json_object_get(json_object_get(json_object_get(e, "content"),
	    "$e"), "m.read"), "@alice:example.org") != NULL);
	CHECK(json_object_get(json_object_get(json_object_get(json_object_get(e, "content"),
	    "$e"), "m.read"), "@whatsapp_1:example.org") == NULL);
	json_decref(e);
	e = ev("{\"type\":\"m.receipt\",\"content\":{\"$f\":{\"m.read\":{\"@whatsappbot:example.org\":{}}}}}");
	CHECK(!mx__ephemeral_filter(&ns, e));
	json_decref(e);
	e = ev("{\"type\":\"m.presence\",\"sender\":\"@whatsapp_2:example.org\",\"content\":{}}");
	CHECK(!mx__ephemeral_filter(&ns, e));
	json_decref(e);
	e = ev("{\"type\":\"m.typing\",\"content\":{\"user_ids\":\"bad\"}}");
	CHECK(!mx__ephemeral_filter(&ns, e));
	json_decref(e);
	mx__ns_clear(&ns);
}

TEST(test_mx_ids_and_mxc)
{
	char *s = NULL, *m = NULL;

	CHECK(mx__localpart_ok("whatsapp_1555", 13));
	CHECK(!mx__localpart_ok("Upper", 5));
	CHECK(!mx__localpart_ok("a b", 3));
	CHECK(!mx__localpart_ok("", 0));
	CHECK(mx__user_id_ok("@a:b"));
	CHECK(!mx__user_id_ok("@a"));
	CHECK(!mx__user_id_ok("@:b"));
	CHECK(!mx__user_id_ok("@a:"));
	CHECK(!mx__user_id_ok("a:b"));
	CHECK(!mx__user_id_ok("@a b:c"));
	CHECK_EQ_INT(mx__mxc_parse("mxc://example.org/AbC_d-9", &s, &m), 0);
	CHECK_EQ_STR(s, "example.org");
	CHECK_EQ_STR(m, "AbC_d-9");
	free(s);
	free(m);
	CHECK_EQ_INT(mx__mxc_parse("mxc://example.org/../x", &s, &m), MX_ERR_BAD_MXC);
	CHECK_EQ_INT(mx__mxc_parse("mxc://example.org/a/b", &s, &m), MX_ERR_BAD_MXC);
	CHECK_EQ_INT(mx__mxc_parse("mxc:///a", &s, &m), MX_ERR_BAD_MXC);
	CHECK_EQ_INT(mx__mxc_parse("mxc://h/", &s, &m), MX_ERR_BAD_MXC);
	CHECK_EQ_INT(mx__mxc_parse("https://h/a", &s, &m), MX_ERR_BAD_MXC);
	CHECK_EQ_INT(mx__mxc_parse(NULL, &s, &m), MX_ERR_BAD_MXC);
	s = mx__esc("@a:b/c d");
	CHECK_EQ_STR(s, "%40a%3Ab%2Fc%20d");
	free(s);
}

TEST_MAIN()
