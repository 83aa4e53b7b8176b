/*
 * test_br_cmd_portal.c: the portal-room commands over the in-memory
 * Matrix side (test_br_cmd_fake.h): set-relay / unset-relay (relay
 * disabled, manage rights by admin / owner / room power level, admin_only,
 * prefer_default and default relays in the chat, another user's login,
 * split-portal receiver), id, unbridge (plumb rights, room forgotten,
 * ghosts leave, the bot leaves, real users stay), delete-portal (row gone,
 * real users kicked), set-pl (argument errors, EnsureUserLevelAs rules,
 * the power levels sent), RequiresEventLevel, French replies.
 */
#include "test/unit/bridge/test_br_cmd_fake.h"

static const char perms_yaml[] =
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"t.test\": user\n"
    "        \"@admin:t.test\": admin\n"
    "        \"@cmd:t.test\": commands\n";

static int
open_relay(struct fx *x, const char *lang, int enabled, int admin_only,
    int prefer_default, const char *defaults)
{
	char y[1024];

	snprintf(y, sizeof(y), "%s    relay:\n        enabled: %s\n"
	    "        admin_only: %s\n        prefer_default: %s\n"
	    "        default_relays: %s\n", perms_yaml,
	    enabled ? "true" : "false", admin_only ? "true" : "false",
	    prefer_default ? "true" : "false", defaults);
	return fx_open_yaml(x, lang, y);
}

static char *
relay_of(struct fx *x)
{
	struct br_portal *p = get_portal(x, GROUP, "");
	char *r;

	if (p == NULL)
		return strdup("(no portal)");
	r = p->relay_login_id ? strdup(p->relay_login_id) : NULL;
	br_portal_free(p);
	return r;
}

static void
set_pls(int alice_level)
{
	json_decref(F.pls);
	F.pls = json_pack("{s:{s:i,s:i,s:i},s:i,s:{s:i}}", "users", BOT_ID,
	    100, ALICE, alice_level, "@nologin:t.test", 100, "state_default",
	    50, "events", "fi.mau.bridge.set_relay", 50);
}

TEST(test_br_cmd_relay_disabled_and_not_a_portal)
{
	struct fx x;

	REQUIRE(open_relay(&x, "en", 0, 0, 0, "[]") == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	say(&x, ALICE, "!other:t.test", "!wa set-relay");
	CHECK_EQ_STR(last_body(), "That command can only be ran in portal "
	    "rooms.");
	say(&x, ALICE, PROOM, "!wa set-relay");
	CHECK_EQ_STR(last_body(), "This bridge does not allow relay mode");
	say(&x, ALICE, PROOM, "!wa unset-relay");
	CHECK_EQ_STR(last_body(), "This portal doesn't have a relay set.");
	fx_close(&x);

	REQUIRE(open_relay(&x, "fr", 0, 0, 0, "[]") == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	say(&x, ALICE, PROOM, "!wa set-relay");
	CHECK_EQ_STR(last_body(), "Cette passerelle n'autorise pas le mode "
	    "relais");
	fx_close(&x);
}

TEST(test_br_cmd_relay_own_login_with_room_power)
{
	struct fx x;
	char *r;

	REQUIRE(open_relay(&x, "en", 1, 0, 0, "[]") == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	/* Not enough room power: refused after reading the levels. */
	set_pls(0);
	say(&x, ALICE, PROOM, "!wa set-relay");
	CHECK_EQ_INT(count("send"), 0);
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "You don't have permission to manage the "
	    "relay in this room");
	r = relay_of(&x);
	CHECK(r == NULL);
	free(r);
	/* Room power: her default login becomes the relay. */
	set_pls(50);
	say(&x, ALICE, PROOM, "!wa set-relay");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "Messages sent by users who haven't logged "
	    "in will now be relayed through +33600000001 ([@alice:t.test]"
	    "(https://matrix.to/#/@alice:t.test)'s login)");
	r = relay_of(&x);
	CHECK(r != NULL && strcmp(r, "33600000001") == 0);
	free(r);
	/* The relay's owner may unset it without room power. */
	set_pls(0);
	say(&x, ALICE, PROOM, "!wa unset-relay");
	CHECK_EQ_STR(last_body(), "Stopped relaying messages for users who "
	    "haven't logged in");
	r = relay_of(&x);
	CHECK(r == NULL);
	free(r);
	/* Someone else, without room power: refused. */
	say(&x, ALICE, PROOM, "!wa set-relay 33600000001");
	pump(0);
	pump(0);
	CHECK(strncmp(last_body(), "You don't have permission", 25) == 0);
	set_pls(50);
	say(&x, ALICE, PROOM, "!wa set-relay 33600000001");
	pump(0);
	pump(0);
	CHECK(strncmp(last_body(), "Messages sent by users", 22) == 0);
	say(&x, BOB, PROOM, "!wa unset-relay");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "You don't have permission to manage the "
	    "relay in this room");
	/* The commands level has manage_relay, the relay level not even
	 * commands (ignored before any reply). */
	say(&x, "@stranger:other.test", PROOM, "!wa unset-relay");
	CHECK_EQ_STR(last_body(), "You don't have permission to manage the "
	    "relay in this room");
	fx_close(&x);
}

TEST(test_br_cmd_relay_login_checks)
{
	struct fx x;
	char *r;

	REQUIRE(open_relay(&x, "en", 1, 0, 0, "[\"33600000009\"]") == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	REQUIRE(add_login(&x, "33600000002", BOB) == 0);
	REQUIRE(add_login(&x, "33600000009", CAROL) == 0);
	say(&x, ADMIN, PROOM, "!wa set-relay 999");
	CHECK_EQ_STR(last_body(), "User login with ID `999` not found");
	set_pls(100);
	/* Bob's login, named by Alice: admins only. */
	say(&x, ALICE, PROOM, "!wa set-relay 33600000002");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "Only bridge admins can set another user's "
	    "login as the relay");
	/* A default relay may be named by anyone who manages the relay. */
	say(&x, ALICE, PROOM, "!wa set-relay 33600000009");
	pump(0);
	pump(0);
	CHECK(strstr(last_body(), "through +33600000009 ([@carol:t.test]") !=
	    NULL);
	/* Admins may use anyone's. */
	say(&x, ADMIN, PROOM, "!wa set-relay 33600000002");
	CHECK(strstr(last_body(), "through +33600000002") != NULL);
	r = relay_of(&x);
	CHECK(r != NULL && strcmp(r, "33600000002") == 0);
	free(r);
	fx_close(&x);
}

TEST(test_br_cmd_relay_admin_only_and_defaults)
{
	struct fx x;
	char *r;

	REQUIRE(open_relay(&x, "en", 1, 1, 1, "[\"33600000009\"]") == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	REQUIRE(add_login(&x, "33600000009", CAROL) == 0);
	set_pls(100);
	/* admin_only: her own login named explicitly is refused. */
	say(&x, ALICE, PROOM, "!wa set-relay 33600000001");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "You're not allowed to use yourself as "
	    "relay");
	/* No login named: the default relay, but it is not in the chat. */
	say(&x, ALICE, PROOM, "!wa set-relay");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "You're not allowed to use yourself as "
	    "relay and none of the default relay users are in the chat");
	say(&x, "@nologin:t.test", PROOM, "!wa set-relay");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "You're not logged in and none of the "
	    "default relay users are in the chat");
	/* Once it is in the chat, it is picked. */
	REQUIRE(add_in_portal(&x, CAROL, "33600000009", GROUP) == 0);
	say(&x, ALICE, PROOM, "!wa set-relay");
	pump(0);
	pump(0);
	CHECK(strstr(last_body(), "through +33600000009") != NULL);
	r = relay_of(&x);
	CHECK(r != NULL && strcmp(r, "33600000009") == 0);
	free(r);
	fx_close(&x);

	/* Not admin_only, prefer_default off: a logged-in user's own login;
	 * with prefer_default on and the default not in the chat, the
	 * "specify your login ID" hint. */
	REQUIRE(open_relay(&x, "en", 1, 0, 1, "[\"33600000009\"]") == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	say(&x, ADMIN, PROOM, "!wa set-relay");
	CHECK_EQ_STR(last_body(), "You're not logged in and none of the "
	    "default relay users are in the chat");
	set_pls(100);
	say(&x, ALICE, PROOM, "!wa set-relay");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "None of the default relay users are in the "
	    "chat. If you want to use yourself as the relay, specify your "
	    "login ID explicitly");
	fx_close(&x);

	REQUIRE(open_relay(&x, "en", 1, 0, 0, "[]") == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	say(&x, ADMIN, PROOM, "!wa set-relay");
	CHECK_EQ_STR(last_body(), "You're not logged in and there are no "
	    "default relay users configured");
	fx_close(&x);
}

TEST(test_br_cmd_relay_split_portal_receiver)
{
	struct fx x;

	REQUIRE(open_relay(&x, "en", 1, 0, 0, "[]") == 0);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	REQUIRE(add_portal(&x, "33600000005@s.whatsapp.net", "33600000001",
	    "!dm:t.test") == 0);
	say(&x, ADMIN, "!dm:t.test", "!wa set-relay 33600000002");
	CHECK_EQ_STR(last_body(), "In split portals, only the receiver "
	    "(33600000001) can be set as relay");
	say(&x, ADMIN, "!dm:t.test", "!wa set-relay");
	CHECK(strstr(last_body(), "through +33600000001") != NULL);
	fx_close(&x);
}

TEST(test_br_cmd_id_and_help_sections)
{
	struct fx x;

	REQUIRE(fx_open_yaml(&x, "en", perms_yaml) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(add_portal(&x, "33600000005@s.whatsapp.net", "33600000001",
	    "!dm:t.test") == 0);
	say(&x, ALICE, PROOM, "!wa id");
	CHECK_EQ_STR(last_body(), "This room is bridged to "
	    "`120363000000000001@g.us` on WhatsApp");
	say(&x, ALICE, "!dm:t.test", "!wa id");
	CHECK_EQ_STR(last_body(), "This room is bridged to "
	    "`33600000005@s.whatsapp.net` (receiver: `33600000001`) on "
	    "WhatsApp");
	say(&x, ALICE, "!x:t.test", "!wa id");
	CHECK_EQ_STR(last_body(), "That command can only be ran in portal "
	    "rooms.");
	/* Help: admin commands hidden from users, shown to admins. */
	say(&x, ALICE, "!x:t.test", "!wa help");
	CHECK(strstr(last_body(), "**unset-relay** - Stop relaying") != NULL);
	CHECK(strstr(last_body(), "**set-pl**") == NULL);
	CHECK(strstr(last_body(), "**delete-portal**") == NULL);
	say(&x, ADMIN, "!x:t.test", "!wa help");
	CHECK(strstr(last_body(), "#### Administration\n**delete-portal** - "
	    "Delete the current portal room\n**set-pl** [_user ID_] "
	    "<_power level_> - Change the power level in a portal room.\n") !=
	    NULL);
	/* Aliases. */
	say(&x, ALICE, PROOM, "!wa set-power-level 5");
	CHECK_EQ_STR(last_body(), "That command is limited to bridge "
	    "administrators.");
	fx_close(&x);

	REQUIRE(fx_open_yaml(&x, "fr", perms_yaml) == 0);
	REQUIRE(add_portal(&x, "33600000005@s.whatsapp.net", "33600000001",
	    "!dm:t.test") == 0);
	say(&x, ALICE, "!dm:t.test", "!wa id");
	CHECK_EQ_STR(last_body(), "Ce salon est relié à "
	    "`33600000005@s.whatsapp.net` (destinataire : `33600000001`) sur "
	    "WhatsApp");
	fx_close(&x);
}

static void
set_members(void)
{
	json_decref(F.members);
	F.members = json_pack("{s:{s:{},s:{},s:{},s:{}}}", "joined", BOT_ID,
	    ALICE, "@whatsapp_33600000005:t.test", "@whatsapp_lid-77:t.test");
}

TEST(test_br_cmd_unbridge)
{
	struct fx x;
	struct br_portal *p;
	struct fcall *c;
	size_t i;

	REQUIRE(fx_open_yaml(&x, "en", perms_yaml) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	set_members();
	/* No plumb power. */
	json_decref(F.pls);
	F.pls = json_pack("{s:{s:i}}", "users", ALICE, 0);
	say(&x, ALICE, PROOM, "!wa unbridge");
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "You don't have permission to unbridge this "
	    "portal");
	say(&x, "@cmd:t.test", PROOM, "!wa unbridge");	/* commands level */
	pump(0);
	pump(0);
	CHECK_EQ_STR(last_body(), "You don't have permission to unbridge this "
	    "portal");
	p = get_portal(&x, GROUP, "");
	REQUIRE(p != NULL);
	CHECK(p->mxid != NULL);
	br_portal_free(p);
	/* With power for fi.mau.bridge.plumb (state_default 50). */
	json_decref(F.pls);
	F.pls = json_pack("{s:{s:i}}", "users", ALICE, 50);
	say(&x, ALICE, PROOM, "!wa unbridge");
	pump(0);	/* create + levels */
	pump(0);	/* levels -> unbridge -> members */
	p = get_portal(&x, GROUP, "");
	REQUIRE(p != NULL);
	CHECK(p->mxid == NULL);
	CHECK(p->relay_login_id == NULL);
	br_portal_free(p);
	CHECK_EQ_INT(count("members"), 1);
	/* members -> ghosts leave; once they did, the bot leaves. */
	pump(0);
	CHECK_EQ_INT(count("leave"), 3);
	CHECK_EQ_INT(count("kick"), 0);	/* Alice stays */
	for (i = 0; i < 2; i++) {
		c = nth("leave", i);
		CHECK(strncmp(c->who, "@whatsapp_", 10) == 0);
		CHECK_EQ_STR(c->room, PROOM);
	}
	CHECK_EQ_STR(nth("leave", 2)->who, BOT_ID);
	/* No longer a portal. */
	say(&x, ALICE, PROOM, "!wa id");
	CHECK_EQ_STR(last_body(), "That command can only be ran in portal "
	    "rooms.");
	fx_close(&x);
}

TEST(test_br_cmd_delete_portal)
{
	struct fx x;
	struct br_portal *p;

	REQUIRE(fx_open_yaml(&x, "en", perms_yaml) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	set_members();
	say(&x, ALICE, PROOM, "!wa delete-portal");
	CHECK_EQ_STR(last_body(), "That command is limited to bridge "
	    "administrators.");
	say(&x, ADMIN, "!x:t.test", "!wa delete-portal");
	CHECK_EQ_STR(last_body(), "That command can only be ran in portal "
	    "rooms.");
	say(&x, ADMIN, PROOM, "!wa delete-portal");
	p = get_portal(&x, GROUP, "");
	CHECK(p == NULL);
	br_portal_free(p);
	pump(0);	/* members, then kicks and leaves, then the bot */
	CHECK_EQ_INT(count("kick"), 1);
	CHECK_EQ_STR(nth("kick", 0)->who, ALICE);
	CHECK_EQ_STR(nth("kick", 0)->reason, "Deleting portal");
	CHECK_EQ_INT(count("leave"), 3);
	CHECK_EQ_STR(nth("leave", 2)->who, BOT_ID);
	/* The members call failing: told in the room, nobody removed. */
	REQUIRE(add_portal(&x, "120363000000000002@g.us", "", "!p2:t.test") ==
	    0);
	snprintf(F.fail_op, sizeof(F.fail_op), "members");
	say(&x, ADMIN, "!p2:t.test", "!wa delete-portal");
	pump(0);
	CHECK(strncmp(last_body(), "Failed to clean up room: ", 25) == 0);
	CHECK_EQ_INT(count("leave"), 3);
	fx_close(&x);
}

TEST(test_br_cmd_set_pl)
{
	struct fx x;
	struct fcall *c;
	json_t *u;

	REQUIRE(fx_open_yaml(&x, "en", perms_yaml) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	say(&x, ADMIN, PROOM, "!wa set-pl");
	CHECK_EQ_STR(last_body(), "**Usage:** `set-pl [user] <level>`");
	say(&x, ADMIN, PROOM, "!wa set-pl a b c");
	CHECK_EQ_STR(last_body(), "**Usage:** `set-pl [user] <level>`");
	say(&x, ADMIN, PROOM, "!wa set-pl 1x");
	CHECK_EQ_STR(last_body(), "Invalid power level \"1x\"");
	say(&x, ADMIN, PROOM, "!wa set-pl 99999999999999999999");
	CHECK_EQ_STR(last_body(), "Invalid power level "
	    "\"99999999999999999999\"");
	say(&x, ADMIN, PROOM, "!wa set-pl bob 50");
	CHECK_EQ_STR(last_body(), "Invalid user ID \"bob\"");
	CHECK_EQ_INT(count("get_state"), 0);

	json_decref(F.pls);
	F.pls = json_pack("{s:{s:i,s:i},s:i}", "users", BOT_ID, 100, BOB, 50,
	    "users_default", 0);
	say(&x, ADMIN, PROOM, "!wa set-pl 101");
	pump(0);
	pump(0);
	/* The bot (100) cannot raise anyone above its own level. */
	CHECK_EQ_INT(count("state"), 0);
	say(&x, ADMIN, PROOM, "!wa set-pl 99");
	pump(0);
	pump(0);
	REQUIRE(count("state") == 1);
	c = nth("state", 0);
	CHECK_EQ_STR(c->type, "m.room.power_levels");
	u = json_object_get(c->content, "users");
	CHECK_EQ_INT((int)json_integer_value(json_object_get(u, ADMIN)), 99);
	CHECK_EQ_INT((int)json_integer_value(json_object_get(u, BOT_ID)), 100);
	/* To users_default: the entry is removed. */
	say(&x, ADMIN, PROOM, "!wa set-pl @bob:t.test 0");
	pump(0);
	pump(0);
	REQUIRE(count("state") == 2);
	u = json_object_get(nth("state", 1)->content, "users");
	CHECK(json_object_get(u, BOB) == NULL);
	CHECK_EQ_INT((int)json_object_size(u), 1);
	CHECK_EQ_INT(count("send"), 5);	/* no reply on success */
	/* Sending fails: told. */
	snprintf(F.fail_op, sizeof(F.fail_op), "state");
	say(&x, ADMIN, PROOM, "!wa set-pl @bob:t.test 10");
	pump(0);
	pump(0);
	pump(0);
	CHECK(strncmp(last_body(), "Failed to set power levels: ", 28) == 0);
	/* No power levels readable. */
	json_decref(F.pls);
	F.pls = NULL;
	say(&x, ADMIN, PROOM, "!wa set-pl 10");
	pump(0);
	pump(0);
	CHECK(strncmp(last_body(), "Failed to set power levels: ", 28) == 0);
	fx_close(&x);
}

TEST(test_br_cmd_set_pl_room_v12_creator)
{
	struct fx x;

	REQUIRE(fx_open_yaml(&x, "en", perms_yaml) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	/* Room v12 created by the bot: it outranks everyone; the admin is
	 * raised to 100. */
	F.create = json_pack("{s:s,s:{s:s}}", "sender", BOT_ID, "content",
	    "room_version", "12");
	F.pls = json_pack("{s:{}}", "users");
	say(&x, ADMIN, PROOM, "!wa set-pl 100");
	pump(0);
	pump(0);
	REQUIRE(count("state") == 1);
	CHECK_EQ_INT((int)json_integer_value(json_object_get(json_object_get(
	    nth("state", 0)->content, "users"), ADMIN)), 100);
	/* A creator's level is never changed. */
	json_decref(F.create);
	F.create = json_pack("{s:s,s:{s:s,s:[s]}}", "sender", BOT_ID,
	    "content", "room_version", "12", "additional_creators", ADMIN);
	say(&x, ADMIN, PROOM, "!wa set-pl 50");
	pump(0);
	pump(0);
	CHECK_EQ_INT(count("state"), 1);
	fx_close(&x);
}

TEST(test_br_cmd_hold_copies_the_event)
{
	struct br_cmd_event ce, *h;

	memset(&ce, 0, sizeof(ce));
	ce.room_id = "!r:t.test";
	ce.sender = ALICE;
	ce.perm.flags = BR_PERM_LEVEL_USER;
	ce.in_portal = 1;
	br_cmd_event_parse(&ce, strdup("set-pl @x:t.test 5"));
	h = br_cmd_event_hold(&ce);
	br_cmd_event_clear(&ce);
	CHECK_EQ_STR(h->room_id, "!r:t.test");
	CHECK_EQ_STR(h->sender, ALICE);
	CHECK(h->mgmt_room == NULL);
	CHECK_EQ_STR(h->command, "set-pl");
	CHECK_EQ_INT((int)h->nargs, 2);
	CHECK_EQ_STR(h->args[1], "5");
	CHECK(h->cmd != NULL && strcmp(h->cmd->name, "set-pl") == 0);
	CHECK_EQ_INT(h->in_portal, 1);
	br_cmd_event_release(h);
	br_cmd_event_release(NULL);
}

TEST_MAIN()
