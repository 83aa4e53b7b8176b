/* Tests for matrix/portal.c and the appservice object: the createRoom
 * body mautrix-whatsapp sends, ghost ids, double-puppet secrets.  Creates
 * an appservice listening on a free loopback port; sends nothing. */
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "matrix/mx.h"
#include "test/unit/test.h"
#include "util/loop.h"

static struct mx_appservice *
make(struct u_loop *loop)
{
	static const struct mx_dp_secret dp[] = {
		{ "example.org", "as_token:dpsecret" },
		{ "other.org", "shared_secret_not_supported" },
	};
	struct mx_config cfg = { 0 };
	struct mx_appservice *as = NULL;

	cfg.hs_address = "http://127.0.0.1:1/";
	cfg.domain = "example.org";
	cfg.as_id = "whatsapp";
	cfg.as_token = "ast";
	cfg.hs_token = "hst";
	cfg.listen_host = "127.0.0.1";
	cfg.listen_port = 0;
	cfg.bot_localpart = "whatsappbot";
	cfg.username_template = "whatsapp_{{.}}";
	cfg.dp_secrets = dp;
	cfg.dp_nsecrets = 2;
	if (mx_appservice_new(loop, &cfg, NULL, &as) != 0)
		return NULL;
	return as;
}

static json_t *
state_of(json_t *req, const char *type)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(req, "initial_state"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "type")), type) == 0)
			return e;
	return NULL;
}

TEST(test_mx_portal_group_request_matches_mautrix)
{
	struct u_loop *loop = u_loop_new();
	struct mx_appservice *as = make(loop);
	struct mx_portal_spec sp = { 0 };
	const char *inv[] = { "@alice:example.org", NULL };
	json_t *req, *pl, *bi, *e;

	REQUIRE(as != NULL);
	CHECK(mx_appservice_port(as) > 0);
	sp.channel_id = "1203@g.us";
	sp.name = "Group";
	sp.topic = "Topic";
	sp.invite = inv;
	req = mx_portal_create_req(as, &sp);
	CHECK_EQ_STR(json_string_value(json_object_get(req, "preset")), "private_chat");
	CHECK_EQ_STR(json_string_value(json_object_get(req, "visibility")), "private");
	CHECK(json_is_false(json_object_get(req, "is_direct")));
	CHECK(json_is_false(json_object_get(json_object_get(req, "creation_content"), "m.federate")));
	pl = json_object_get(req, "power_level_content_override");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(pl, "users"),
	    "@whatsappbot:example.org")), 9001);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(pl, "events"),
	    "m.room.tombstone")), 100);
	CHECK_EQ_INT(json_integer_value(json_object_get(pl, "state_default")), 99);
	/* order of the initial state, as mautrix sends it */
	e = json_object_get(req, "initial_state");
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(e, 0), "type")),
	    "io.element.functional_members");
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(e, 1), "type")),
	    "uk.half-shot.bridge");
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(e, 2), "type")),
	    "m.bridge");
	bi = state_of(req, "m.bridge");
	REQUIRE(bi != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(bi, "state_key")), "example.org/whatsapp");
	CHECK(json_equal(json_object_get(bi, "content"),
	    json_object_get(state_of(req, "uk.half-shot.bridge"), "content")));
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(json_object_get(bi,
	    "content"), "channel"), "id")), "1203@g.us");
	CHECK(json_is_true(json_object_get(json_object_get(state_of(req, "m.room.name"),
	    "content"), "com.beeper.exclude_from_timeline")));
	CHECK(state_of(req, "m.room.avatar") == NULL);
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(req, "invite"), 0)),
	    "@alice:example.org");
	json_decref(req);

	sp.is_dm = 1;
	sp.receiver = "15551234567@s.whatsapp.net";
	req = mx_portal_create_req(as, &sp);
	CHECK(json_is_true(json_object_get(req, "is_direct")));
	bi = json_object_get(state_of(req, "m.bridge"), "content");
	CHECK_EQ_STR(json_string_value(json_object_get(bi, "com.beeper.room_type")), "dm");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(bi, "channel"),
	    "fi.mau.receiver")), "15551234567@s.whatsapp.net");
	CHECK(json_object_get(json_object_get(req, "power_level_content_override"),
	    "state_default") == NULL);
	json_decref(req);
	mx_appservice_free(as);
	u_loop_free(loop);
}

TEST(test_mx_appservice_ids_and_double_puppet_secrets)
{
	struct u_loop *loop = u_loop_new();
	struct mx_appservice *as = make(loop);
	struct mx_intent *in = NULL;
	char *g;

	REQUIRE(as != NULL);
	CHECK_EQ_STR(mx_appservice_bot_id(as), "@whatsappbot:example.org");
	g = mx_appservice_ghost_id(as, "15551234567");
	CHECK_EQ_STR(g, "@whatsapp_15551234567:example.org");
	free(g);
	CHECK(mx_appservice_ghost_id(as, "Not Valid") == NULL);
	CHECK(mx_intent_for(as, "@alice:example.org") == NULL);
	CHECK(mx_intent_for(as, "@whatsapp_1:example.org") ==
	    mx_intent_for(as, "@whatsapp_1:example.org"));
	CHECK(mx_intent_for(as, "@whatsappbot:example.org") != NULL);
	CHECK_EQ_INT(mx_intent_double_puppet(as, "@alice:example.org", &in), 0);
	CHECK(in != NULL && mx_intent_is_double_puppet(in));
	CHECK_EQ_STR(mx_intent_user_id(in), "@alice:example.org");
	CHECK_EQ_INT(mx_intent_double_puppet(as, "@bob:other.org", &in), MX_ERR_NO_SECRET);
	CHECK_EQ_INT(mx_intent_double_puppet(as, "@bob:third.org", &in), MX_ERR_NO_SECRET);
	CHECK_EQ_INT(mx_intent_double_puppet(as, "nobody", &in), MX_ERR_INVALID);
	CHECK_EQ_INT(mx_intent_ensure_registered(in, NULL, NULL), MX_ERR_NOT_OURS);
	CHECK_EQ_STR(mx_appservice_bridge_state_key(as), "example.org/whatsapp");
	mx_appservice_free(as);
	u_loop_free(loop);
}

TEST(test_mx_appservice_rejects_bad_config)
{
	struct u_loop *loop = u_loop_new();
	struct mx_config cfg = { 0 };
	struct mx_appservice *as = NULL;

	cfg.hs_address = "http://127.0.0.1:1";
	cfg.domain = "example.org";
	cfg.as_id = "x";
	cfg.as_token = "a";
	cfg.hs_token = "";
	cfg.bot_localpart = "bot";
	cfg.username_template = "wa_{{.}}";
	CHECK_EQ_INT(mx_appservice_new(loop, &cfg, NULL, &as), MX_ERR_INVALID);
	cfg.hs_token = "h";
	cfg.username_template = "wa_";
	CHECK_EQ_INT(mx_appservice_new(loop, &cfg, NULL, &as), MX_ERR_INVALID);
	CHECK(as == NULL);
	u_loop_free(loop);
}

TEST(test_mx_appservice_port_in_use_is_listen_error)
{
	struct u_loop *loop = u_loop_new();
	struct mx_appservice *as = make(loop), *as2 = NULL;
	struct mx_config cfg = { 0 };

	REQUIRE(as != NULL);
	cfg.hs_address = "http://127.0.0.1:1";
	cfg.domain = "example.org";
	cfg.as_id = "x";
	cfg.as_token = "a";
	cfg.hs_token = "h";
	cfg.listen_host = "127.0.0.1";
	cfg.listen_port = mx_appservice_port(as);
	cfg.bot_localpart = "bot";
	cfg.username_template = "wa_{{.}}";
	CHECK_EQ_INT(mx_appservice_new(loop, &cfg, NULL, &as2), MX_ERR_LISTEN);
	CHECK(as2 == NULL);
	mx_appservice_free(as);
	u_loop_free(loop);
}

TEST_MAIN()
