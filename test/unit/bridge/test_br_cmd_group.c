/*
 * test_br_cmd_group.c: create-group, invite-link, join and sync over the
 * in-memory Matrix and network sides (test_br_cmd_fake.h): gates
 * (RequiresEventLevel m.bridge, login, portal), argument errors,
 * participants from ghosts and logged-in members, validation (type, too
 * few, name length, bad user IDs), the portal attached to the room with
 * m.bridge, refused participants listed, the topic passed on; invite
 * links refused for DMs and broadcast lists, --reset; join by link,
 * channels, other links; sync usage, targets, groups creating portals,
 * group updating one, the resync hook, French.
 */
#include "test/unit/bridge/test_br_cmd_fake.h"

static const char perms_yaml[] =
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"t.test\": user\n"
    "        \"@admin:t.test\": admin\n";

static int
open_fx(struct fx *x, const char *lang, int slots)
{
	if (fx_open_yaml(x, lang, perms_yaml) < 0)
		return -1;
	net_reset(slots);
	br_bridge_set_net(x->br, &N.net);
	br_cmd_set_group_sync(NULL, NULL);
	return 0;
}

static int
login_alice(struct fx *x)
{
	net_add_login("33600000001", ALICE);
	return add_login(x, "33600000001", ALICE);
}

#define ROOM "!plain:t.test"

static void
room_setup(int alice_pl, const char *name)
{
	json_decref(F.pls);
	F.pls = json_pack("{s:{s:i,s:i}}", "users", BOT_ID, 100, ALICE,
	    alice_pl);
	json_decref(F.members);
	F.members = json_pack("{s:{s:{},s:{},s:{},s:{},s:{}}}", "joined",
	    BOT_ID, ALICE, BOB, "@whatsapp_33600000002:t.test",
	    "@whatsapp_33600000003:t.test");
	if (name != NULL)
		json_object_set_new(F.state, "m.room.name", json_pack("{s:s}",
		    "name", name));
	json_object_set_new(F.state, "m.room.topic", json_pack("{s:s}",
	    "topic", "Coffee talk"));
}

TEST(test_br_cmd_create_group_gates)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	room_setup(0, "Cafe");
	/* RequiresEventLevel m.bridge before RequiresLogin. */
	say(&x, ALICE, ROOM, "!wa create-group");
	CHECK_EQ_INT(count("send"), 0);
	pump(0);
	CHECK_EQ_STR(last_body(), "That command requires room admin rights.");
	room_setup(100, "Cafe");
	say(&x, ALICE, ROOM, "!wa create");
	pump(0);
	CHECK_EQ_STR(last_body(), "That command requires you to be logged "
	    "in.");
	/* Power levels unreadable: both of upstream's replies. */
	json_decref(F.pls);
	F.pls = NULL;
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_STR(nth("send", count("send") - 2)->body, "Failed to get "
	    "room power levels to see if you're allowed to use that command");
	CHECK_EQ_STR(last_body(), "That command requires room admin rights.");
	/* Already a portal. */
	REQUIRE(login_alice(&x) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	say(&x, ADMIN, PROOM, "!wa create-group");
	CHECK_EQ_STR(last_body(), "That command requires you to be logged "
	    "in.");
	room_setup(100, "Cafe");
	say(&x, ALICE, PROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_STR(last_body(), "This room is already bridged to "
	    "`120363000000000001@g.us` on WhatsApp");
	fx_close(&x);

	REQUIRE(open_fx(&x, "en", 0) == 0);
	REQUIRE(login_alice(&x) == 0);
	say(&x, ADMIN, ROOM, "!wa create-group");
	CHECK_EQ_STR(last_body(), "That command requires you to be logged "
	    "in.");
	room_setup(100, "Cafe");
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_STR(last_body(), "This bridge does not support creating "
	    "group");
	fx_close(&x);
}

TEST(test_br_cmd_create_group_makes_the_group)
{
	struct fx x;
	struct br_portal *p;
	static const int codes[] = { 0, 403, 0 };
	size_t i;
	int bridge_state = 0;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	/* Bob is logged in too: his account is a participant. */
	net_add_login("33600000004", BOB);
	REQUIRE(add_login(&x, "33600000004", BOB) == 0);
	room_setup(100, "Cafe");
	N.chat = "120363000000000077@g.us";
	N.codes = codes;
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_STR(N.last_op, "set_topic");
	CHECK_EQ_STR(N.last_arg, "Coffee talk");
	CHECK_EQ_INT((int)N.last_n, 3);
	CHECK_EQ_STR(N.last_users[0], "33600000004@s.whatsapp.net");
	CHECK_EQ_STR(N.last_users[1], "33600000002@s.whatsapp.net");
	CHECK_EQ_STR(N.last_users[2], "33600000003@s.whatsapp.net");
	CHECK_EQ_STR(last_body(), "Successfully created group "
	    "`120363000000000077@g.us`\n\nFailed to add some participants:\n"
	    "* `33600000002`: error 403");
	p = get_portal(&x, "120363000000000077@g.us", "");
	REQUIRE(p != NULL);
	CHECK(p->mxid != NULL && strcmp(p->mxid, ROOM) == 0);
	CHECK_EQ_STR(p->name, "Cafe");
	br_portal_free(p);
	for (i = 0; i < F.n; i++)
		if (strcmp(F.calls[i].op, "state") == 0 &&
		    strcmp(F.calls[i].type, "m.bridge") == 0 &&
		    strcmp(F.calls[i].room, ROOM) == 0)
			bridge_state = 1;
	CHECK(bridge_state);
	/* Now a portal. */
	say(&x, ALICE, ROOM, "!wa id");
	CHECK_EQ_STR(last_body(), "This room is bridged to "
	    "`120363000000000077@g.us` on WhatsApp");
	fx_close(&x);
}

TEST(test_br_cmd_create_group_invited_ghosts)
{
	struct fx x;
	size_t i, ghost_joins = 0;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	room_setup(100, "Cafe");
	/* The room's state: one ghost invited, one left, one joined; our
	 * own account's ghost does not count. */
	F.state_list = json_pack("{s:[{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}},"
	    "{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}},{s:s,s:s,s:{s:s}},"
	    "{s:s,s:s,s:{}}]}", "state",
	    "type", "m.room.member", "state_key", ALICE, "content",
	    "membership", "join",
	    "type", "m.room.member", "state_key",
	    "@whatsapp_33600000005:t.test", "content", "membership", "invite",
	    "type", "m.room.member", "state_key",
	    "@whatsapp_33600000006:t.test", "content", "membership", "leave",
	    "type", "m.room.member", "state_key",
	    "@whatsapp_33600000007:t.test", "content", "membership", "join",
	    "type", "m.room.member", "state_key",
	    "@whatsapp_33600000001:t.test", "content", "membership", "invite",
	    "type", "m.room.name", "state_key", "", "content");
	N.chat = "120363000000000078@g.us";
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_INT(count("members"), 0);
	CHECK_EQ_INT((int)N.last_n, 2);
	CHECK_EQ_STR(N.last_users[0], "33600000005@s.whatsapp.net");
	CHECK_EQ_STR(N.last_users[1], "33600000007@s.whatsapp.net");
	CHECK_EQ_STR(last_body(), "Successfully created group "
	    "`120363000000000078@g.us`");
	/* The members' ghosts join the room (the invited one accepts). */
	for (i = 0; i < F.n; i++)
		if (strcmp(F.calls[i].op, "join") == 0 &&
		    strcmp(F.calls[i].room, ROOM) == 0 &&
		    (strcmp(F.calls[i].who, "@whatsapp_33600000005:t.test") ==
		    0 || strcmp(F.calls[i].who, "@whatsapp_33600000007:t.test") ==
		    0))
			ghost_joins++;
	CHECK_EQ_INT((int)ghost_joins, 2);
	/* The state unreadable: joined members instead. */
	json_decref(F.state_list);
	F.state_list = json_pack("{s:[]}", "state");
	snprintf(F.fail_op, sizeof(F.fail_op), "state_list");
	say(&x, ALICE, "!other:t.test", "!wa create-group");
	pump(0);
	CHECK_EQ_INT(count("members"), 1);
	CHECK_EQ_INT((int)N.last_n, 2);
	CHECK_EQ_STR(N.last_users[0], "33600000002@s.whatsapp.net");
	fx_close(&x);
}

TEST(test_br_cmd_create_group_refusals)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	room_setup(100, "Cafe");
	say(&x, ALICE, ROOM, "!wa create-group channel");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to create group: Unrecognized group "
	    "type channel");
	/* The login ID as first argument, then the type. */
	N.rc = BR_ERR_NET_FAILED;
	N.reason = "failed to create group: 500";
	say(&x, ALICE, ROOM, "!wa create-group 33600000001 group");
	pump(0);
	CHECK_EQ_STR(N.last_op, "create_group");
	CHECK_EQ_STR(N.last_login, "33600000001");
	CHECK_EQ_STR(last_body(), "Failed to create group: failed to create "
	    "group: 500");
	N.rc = 0;
	N.reason = NULL;
	/* Nobody but the sender and the bot. */
	json_decref(F.members);
	F.members = json_pack("{s:{s:{},s:{},s:{}}}", "joined", BOT_ID, ALICE,
	    "@whatsapp_33600000001:t.test");	/* her own account */
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to create group: Must have at least "
	    "1 member (in addition to yourself)");
	/* A ghost that is not a valid WhatsApp user. */
	json_decref(F.members);
	F.members = json_pack("{s:{s:{},s:{}}}", "joined", ALICE,
	    "@whatsapp_12:t.test");
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to create group: User ID \"12\" is "
	    "not valid on this network");
	/* A name over 100 characters. */
	room_setup(100, "0123456789012345678901234567890123456789012345678901"
	    "2345678901234567890123456789012345678901234567890");
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to create group: Name must be at "
	    "most 100 characters");
	/* Members unreadable. */
	room_setup(100, "Cafe");
	snprintf(F.fail_op, sizeof(F.fail_op), "members");
	say(&x, ALICE, ROOM, "!wa create-group");
	pump(0);
	CHECK(strncmp(last_body(), "Failed to get room members: ", 28) == 0);
	fx_close(&x);
}

TEST(test_br_cmd_invite_link)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(add_portal(&x, "33600000005@s.whatsapp.net", "33600000001",
	    "!dm:t.test") == 0);
	REQUIRE(add_portal(&x, "1234@broadcast", "33600000001", "!bc:t.test") ==
	    0);
	say(&x, ALICE, PROOM, "!wa invite-link");
	CHECK_EQ_STR(last_body(), "That command requires you to be logged "
	    "in.");
	REQUIRE(login_alice(&x) == 0);
	say(&x, ALICE, "!x:t.test", "!wa invite-link");
	CHECK_EQ_STR(last_body(), "That command can only be ran in portal "
	    "rooms.");
	say(&x, ALICE, "!dm:t.test", "!wa invite-link");
	CHECK_EQ_STR(last_body(), "Can't get invite link to private chat");
	say(&x, ALICE, "!bc:t.test", "!wa invite-link");
	CHECK_EQ_STR(last_body(), "Can't get invite link to broadcast list");
	N.link = "https://chat.whatsapp.com/AbCdEf123";
	say(&x, ALICE, PROOM, "!wa invite-link");
	CHECK_EQ_STR(N.last_arg, GROUP);
	CHECK_EQ_INT(N.last_reset, 0);
	pump(0);
	CHECK_EQ_STR(last_body(), "https://chat.whatsapp.com/AbCdEf123");
	say(&x, ALICE, PROOM, "!wa invite-link --RESET");
	CHECK_EQ_INT(N.last_reset, 1);
	N.rc = BR_ERR_NET_FAILED;
	N.reason = "not-authorized";
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to get invite link: not-authorized");
	fx_close(&x);

	REQUIRE(open_fx(&x, "fr", 0) == 0);
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	REQUIRE(login_alice(&x) == 0);
	say(&x, ALICE, PROOM, "!wa invite-link");
	CHECK_EQ_STR(last_body(), "Impossible d'obtenir le lien d'invitation : "
	    "non pris en charge par le côté WhatsApp");
	fx_close(&x);
}

TEST(test_br_cmd_join)
{
	struct fx x;
	struct br_portal *p;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	say(&x, ALICE, MGMT, "!wa join");
	CHECK_EQ_STR(last_body(), "**Usage:** `!wa join <invite link>`");
	say(&x, ALICE, MGMT, "!wa join https://example.com/x");
	CHECK_EQ_STR(last_body(), "That doesn't look like a WhatsApp invite "
	    "link");
	say(&x, ALICE, MGMT, "!wa join https://whatsapp.com/channel/0029Va");
	CHECK_EQ_STR(last_body(), "Failed to get channel info: not supported "
	    "by the WhatsApp side");
	N.chat = "120363000000000042@g.us";
	say(&x, ALICE, MGMT, "!wa join https://chat.whatsapp.com/AbCdEf123");
	CHECK_EQ_STR(N.last_op, "join_link");
	CHECK_EQ_STR(N.last_arg, "https://chat.whatsapp.com/AbCdEf123");
	pump(0);
	CHECK_EQ_STR(last_body(), "Successfully joined group "
	    "`120363000000000042@g.us`, the portal should be created "
	    "momentarily");
	/* The new group is synced right away: its portal and room. */
	CHECK_EQ_STR(N.last_op, "chat_info");
	CHECK_EQ_STR(N.last_arg, "120363000000000042@g.us");
	CHECK_EQ_INT(count("create_room"), 1);
	p = get_portal(&x, "120363000000000042@g.us", "");
	CHECK(p != NULL && p->mxid != NULL);
	br_portal_free(p);
	N.rc = BR_ERR_NET_FAILED;
	N.reason = "gone";
	say(&x, ALICE, MGMT, "!wa join https://chat.whatsapp.com/Old");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to join group: gone");
	fx_close(&x);

	REQUIRE(open_fx(&x, "fr", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	N.chat = "120363000000000042@g.us";
	say(&x, ALICE, MGMT, "!wa join https://chat.whatsapp.com/AbCdEf123");
	pump(0);
	CHECK_EQ_STR(last_body(), "Groupe `120363000000000042@g.us` rejoint, "
	    "le portail va être créé dans un instant");
	fx_close(&x);
}

static int hook_calls, hook_change;
static char hook_chat[64], hook_name[64];

static void
hook(void *arg, struct br_net_login *l, const struct br_net_group_event *g)
{
	hook_calls++;
	snprintf(hook_chat, sizeof(hook_chat), "%s", g->chat);
	snprintf(hook_name, sizeof(hook_name), "%s", g->info != NULL &&
	    g->info->name != NULL ? g->info->name : "");
	hook_change = (int)g->change;
}

TEST(test_br_cmd_sync)
{
	struct fx x;
	static const char *const chats[] = { "120363000000000001@g.us",
	    "120363000000000002@g.us", "33600000009@s.whatsapp.net",
	    "120363000000000003@g.us" };
	static const char *const names[] = { "One", "Two", "DM", "Three" };
	struct br_portal *p;
	struct fcall *c;
	char room[64];

	REQUIRE(open_fx(&x, "en", 1) == 0);
	say(&x, ALICE, MGMT, "!wa sync groups");
	CHECK_EQ_STR(last_body(), "That command requires you to be logged "
	    "in.");
	REQUIRE(login_alice(&x) == 0);
	say(&x, ALICE, MGMT, "!wa sync");
	CHECK_EQ_STR(last_body(), "Usage: `!wa sync <group/groups/contacts/"
	    "contacts-with-avatars/appstate>`");
	say(&x, ALICE, MGMT, "!wa sync nonsense");
	CHECK_EQ_STR(last_body(), "Unknown sync target `nonsense`");
	say(&x, ALICE, MGMT, "!wa sync contacts");
	CHECK_EQ_STR(last_body(), "Syncing `contacts` is not supported by "
	    "ponton yet");
	say(&x, ALICE, MGMT, "!wa sync group");
	CHECK_EQ_STR(last_body(), "`!wa sync group` can only be used in a "
	    "portal room.");

	/* groups: every group (not the DM) gets a portal with a room. */
	N.chats = chats;
	N.names = names;
	N.n_chats = 3;
	N.name = "Cafe";
	N.topic = "Coffee";
	say(&x, ALICE, MGMT, "!wa sync groups");
	pump(0);
	CHECK_EQ_STR(last_body(), "Queued syncs for 2 groups");
	CHECK_EQ_INT(count("create_room"), 2);
	c = nth("create_room", 0);
	CHECK_EQ_STR(json_string_value(json_object_get(c->content, "name")),
	    "Cafe");
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(
	    c->content, "invite"), 0)), ALICE);
	p = get_portal(&x, "120363000000000002@g.us", "");
	REQUIRE(p != NULL);
	REQUIRE(p->mxid != NULL);
	snprintf(room, sizeof(room), "%s", p->mxid);
	br_portal_free(p);

	/* group: the portal's new name reaches the room, then ✅. */
	N.name = "Cafe 2";
	say(&x, ALICE, room, "!wa sync group");
	CHECK_EQ_STR(N.last_op, "chat_info");
	pump(0);
	REQUIRE(count("state") == 1);	/* the topic did not change */
	c = nth("state", 0);
	CHECK_EQ_STR(c->room, room);
	CHECK_EQ_STR(c->type, "m.room.name");
	CHECK_EQ_STR(json_string_value(json_object_get(c->content, "name")),
	    "Cafe 2");
	c = nth("event", count("event") - 1);
	REQUIRE(c != NULL);
	CHECK_EQ_STR(c->type, "m.reaction");
	/* group: a new group picture is uploaded and set on the room; the
	 * same id again does nothing. */
	{
		static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0,
		    0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xff, 0xd9 };
		size_t before = count("state"), i;
		const char *mxc = NULL;

		N.avatar_id = "1700000000001";
		N.avatar = jpeg;
		N.avatar_len = sizeof(jpeg);
		say(&x, ALICE, room, "!wa sync group");
		for (i = 0; i < 5; i++)
			pump(0);
		REQUIRE(count("upload") == 1);
		CHECK_EQ_STR(nth("upload", 0)->type, "image/jpeg");
		REQUIRE(count("state") == before + 1);
		c = nth("state", count("state") - 1);
		CHECK_EQ_STR(c->type, "m.room.avatar");
		CHECK_EQ_STR(c->room, room);
		mxc = json_string_value(json_object_get(c->content, "url"));
		CHECK(mxc != NULL && strncmp(mxc, "mxc://t.test/up", 15) == 0);
		p = get_portal(&x, "120363000000000002@g.us", "");
		REQUIRE(p != NULL);
		CHECK_EQ_STR(p->avatar_id, "1700000000001");
		CHECK_EQ_STR(p->avatar_mxc, mxc != NULL ? mxc : "?");
		br_portal_free(p);
		say(&x, ALICE, room, "!wa sync group");
		for (i = 0; i < 5; i++)
			pump(0);
		CHECK_EQ_INT(count("upload"), 1);
		CHECK_EQ_INT(count("state"), before + 1);
		N.avatar_id = NULL;
		N.avatar = NULL;
		N.avatar_len = 0;
	}
	/* chat info failing. */
	N.rc = BR_ERR_NET_FAILED;
	N.reason = "item-not-found";
	say(&x, ALICE, room, "!wa sync portal");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to get chat info: item-not-found");
	N.rc = 0;
	N.reason = NULL;

	/* With the core's hook: a group without a room goes to it as
	 * JOINED; those with a room are updated here. */
	hook_calls = 0;
	br_cmd_set_group_sync(hook, NULL);
	N.n_chats = 4;
	say(&x, ALICE, MGMT, "!wa sync groups");
	pump(0);
	CHECK_EQ_STR(last_body(), "Queued syncs for 3 groups");
	CHECK_EQ_INT(hook_calls, 1);
	CHECK_EQ_INT(hook_change, BR_NET_GROUP_JOINED);
	CHECK_EQ_STR(hook_chat, "120363000000000003@g.us");
	CHECK_EQ_STR(hook_name, "Cafe 2");
	CHECK_EQ_INT(count("create_room"), 2);
	br_cmd_set_group_sync(NULL, NULL);
	fx_close(&x);

	REQUIRE(open_fx(&x, "fr", 0) == 0);
	REQUIRE(login_alice(&x) == 0);
	say(&x, ALICE, MGMT, "!wa sync groups");
	CHECK_EQ_STR(last_body(), "Impossible d'obtenir la liste des groupes : "
	    "non pris en charge par le côté WhatsApp");
	fx_close(&x);
}

TEST(test_br_cmd_help_lists_group_invites)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	say(&x, ALICE, MGMT, "!wa help");
	CHECK(strstr(last_body(), "#### Starting and managing chats\n") !=
	    NULL);
	CHECK(strstr(last_body(), "#### Group invites\n**invite-link** "
	    "[--reset] - Get an invite link") != NULL);
	CHECK(strstr(last_body(), "**join** <_invite link_> - Join a group "
	    "chat with an invite link.\n") != NULL);
	/* Sections in upstream's order. */
	CHECK(strstr(last_body(), "#### Starting and managing chats") <
	    strstr(last_body(), "#### Group invites"));
	CHECK(strstr(last_body(), "#### Group invites") <
	    strstr(last_body(), "#### Administration"));
	/* sync sits under Administration but is shown to everyone. */
	CHECK(strstr(last_body(), "**sync** <group/groups/contacts>") != NULL);
	fx_close(&x);
}

TEST_MAIN()
