/*
 * test_br_community_mx.c: the community bot on the real Matrix adapter
 * (bridge/mx_as.c on matrix/, no homeserver contacted): its intent and
 * user ID, is_ours, invites of it decoded as target_is_community_bot (never
 * as a ghost), no community bot without the section, and the as_token
 * secret added for it not giving real users of our domain a double puppet.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/config.h"
#include "bridge/mx.h"
#include "test/unit/test.h"
#include "util/loop.h"

static char *const noenv[] = { NULL };

static const char base[] =
    "homeserver:\n"
    "    address: http://127.0.0.1:1\n"
    "    domain: t.test\n"
    "appservice:\n"
    "    hostname: 127.0.0.1\n"
    "    port: 0\n"
    "    as_token: AS\n"
    "    hs_token: HS\n";

static struct br_mx_member last;
static int nmember;
static char last_key[128];

static void
on_member(void *arg, const struct br_mx_member *m)
{
	(void)arg;
	last = *m;
	snprintf(last_key, sizeof(last_key), "%s", m->state_key);
	nmember++;
}

static void
invite_of(struct br_mx *mx, const struct br_mx_handlers *h, const char *who)
{
	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s}}", "type",
	    "m.room.member", "room_id", "!r:t.test", "event_id", "$e",
	    "sender", "@libremax:t.test", "state_key", who, "content",
	    "membership", "invite");

	br_mx_decode_event(h, mx, ev);
	json_decref(ev);
}

static struct br_config *
load(const char *extra)
{
	struct br_config_opts o = { noenv };
	struct br_config *cfg = NULL;
	char err[256], yaml[2048];

	snprintf(yaml, sizeof(yaml), "%s%s", base, extra);
	if (br_config_load_mem("t", yaml, strlen(yaml), &o, &cfg, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return cfg;
}

TEST(community_bot_intent_and_invites)
{
	struct br_config *cfg = load("community:\n    enabled: true\n"
	    "    bot_username: arnmessager\n");
	struct u_loop *loop = u_loop_new();
	struct br_mx_handlers h;
	struct br_mx *mx = NULL;
	struct br_mx_intent *cb;

	REQUIRE(cfg != NULL);
	memset(&h, 0, sizeof(h));
	h.on_member = on_member;
	REQUIRE(br_mx_as_new(loop, cfg, 0, &h, &mx) == 0);
	REQUIRE(mx->ops->community_bot != NULL);
	cb = mx->ops->community_bot(mx);
	REQUIRE(cb != NULL);
	CHECK_EQ_STR(mx->ops->user_id(cb), "@arnmessager:t.test");
	CHECK(mx->ops->is_ours(mx, "@arnmessager:t.test"));
	CHECK(!mx->ops->is_ours(mx, "@libremax:t.test"));
	nmember = 0;
	invite_of(mx, &h, "@arnmessager:t.test");
	REQUIRE(nmember == 1);
	CHECK(last.target_is_community_bot);
	CHECK(!last.target_is_ghost);
	CHECK(!last.target_is_bot);
	invite_of(mx, &h, "@whatsapp_123:t.test");
	CHECK(!last.target_is_community_bot);
	CHECK(last.target_is_ghost);
	invite_of(mx, &h, "@whatsappbot:t.test");
	CHECK(last.target_is_bot);
	CHECK(!last.target_is_community_bot);
	/* The secret added for the community bot is not for real users. */
	CHECK(mx->ops->double_puppet(mx, "@libremax:t.test") == NULL);
	br_mx_as_free(mx);
	u_loop_free(loop);
	br_config_free(cfg);
}

TEST(community_bot_absent_without_the_section)
{
	struct br_config *cfg = load("community:\n    enabled: false\n"
	    "    bot_username: arnmessager\n");
	struct u_loop *loop = u_loop_new();
	struct br_mx_handlers h;
	struct br_mx *mx = NULL;

	REQUIRE(cfg != NULL);
	memset(&h, 0, sizeof(h));
	h.on_member = on_member;
	REQUIRE(br_mx_as_new(loop, cfg, 0, &h, &mx) == 0);
	CHECK(mx->ops->community_bot(mx) == NULL);
	CHECK(!mx->ops->is_ours(mx, "@arnmessager:t.test"));
	invite_of(mx, &h, "@arnmessager:t.test");
	CHECK(!last.target_is_community_bot);
	br_mx_as_free(mx);
	u_loop_free(loop);
	br_config_free(cfg);
}

TEST(community_bot_uses_a_configured_own_domain_secret)
{
	struct br_config *cfg = load("community:\n    enabled: true\n"
	    "    bot_username: arnmessager\n"
	    "double_puppet:\n    secrets:\n        t.test: \"as_token:DP\"\n");
	struct u_loop *loop = u_loop_new();
	struct br_mx_handlers h;
	struct br_mx *mx = NULL;

	REQUIRE(cfg != NULL);
	memset(&h, 0, sizeof(h));
	REQUIRE(br_mx_as_new(loop, cfg, 0, &h, &mx) == 0);
	CHECK(mx->ops->community_bot(mx) != NULL);
	/* The operator's own secret: real users keep their double puppet. */
	CHECK(mx->ops->double_puppet(mx, "@libremax:t.test") != NULL);
	br_mx_as_free(mx);
	u_loop_free(loop);
	br_config_free(cfg);
}

TEST_MAIN()
