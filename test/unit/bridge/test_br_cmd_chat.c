/*
 * test_br_cmd_chat.c: resolve-identifier and start-chat / pm over the
 * in-memory Matrix and network sides (test_br_cmd_fake.h): usage, not
 * logged in, unsupported network side, the login argument (own login
 * only), identifiers (number, JID, ghost MXID, e-mail-like refused), the
 * answers (found, not on WhatsApp, network failure), the DM portal and
 * its room (is_direct, sender and ghost invited, ghost joined, receiver,
 * user_portal), an existing DM, French.
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
	return 0;
}

static int
login_alice(struct fx *x)
{
	net_add_login("33600000001", ALICE);
	return add_login(x, "33600000001", ALICE);
}

TEST(test_br_cmd_resolve_gates_and_usage)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33600000002");
	CHECK_EQ_STR(last_body(), "That command requires you to be logged "
	    "in.");
	REQUIRE(login_alice(&x) == 0);
	say(&x, ALICE, MGMT, "!wa resolve-identifier");
	CHECK_EQ_STR(last_body(), "Usage: `!wa resolve-identifier "
	    "<identifier>`");
	say(&x, ALICE, MGMT, "!wa pm");
	CHECK_EQ_STR(last_body(), "Usage: `!wa pm <identifier>`");
	say(&x, ALICE, MGMT, "!wa resolve-identifier alice@example.com");
	CHECK_EQ_STR(last_body(), "Failed to resolve identifier: WhatsApp only "
	    "supports phone numbers as user identifiers. Number looks like "
	    "email");
	CHECK(N.last_op[0] == '\0');
	fx_close(&x);

	/* A login row whose network handle is not loaded: not logged in. */
	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33600000002");
	CHECK_EQ_STR(last_body(), "You're not logged in");
	fx_close(&x);

	REQUIRE(open_fx(&x, "en", 0) == 0);
	REQUIRE(login_alice(&x) == 0);
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33600000002");
	CHECK_EQ_STR(last_body(), "This bridge does not support resolving "
	    "identifiers");
	fx_close(&x);
}

TEST(test_br_cmd_resolve_answers)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	N.user = "33600000002@s.whatsapp.net";
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33 6 00 00 00 02");
	CHECK_EQ_STR(N.last_op, "resolve");
	CHECK_EQ_STR(N.last_arg, "+33 6 00 00 00 02");
	CHECK_EQ_STR(N.last_login, "33600000001");
	pump(0);
	CHECK_EQ_STR(last_body(), "Found `33600000002` / "
	    "[@whatsapp_33600000002:t.test](https://matrix.to/#/"
	    "@whatsapp_33600000002:t.test)");
	/* A JID and a ghost MXID become the number. */
	say(&x, ALICE, MGMT, "!wa resolve-identifier 33600000002@s.whatsapp.net");
	CHECK_EQ_STR(N.last_arg, "+33600000002");
	pump(0);
	say(&x, ALICE, MGMT, "!wa resolve-identifier "
	    "@whatsapp_33600000002:t.test");
	CHECK_EQ_STR(N.last_arg, "+33600000002");
	pump(0);
	CHECK(strncmp(last_body(), "Found `33600000002`", 19) == 0);
	/* A LID ghost is the user itself: no lookup. */
	N.last_op[0] = '\0';
	say(&x, ALICE, MGMT, "!wa resolve-identifier "
	    "@whatsapp_lid-100000000000002:t.test");
	CHECK(N.last_op[0] == '\0');
	CHECK_EQ_STR(last_body(), "Found `lid-100000000000002` / "
	    "[@whatsapp_lid-100000000000002:t.test](https://matrix.to/#/"
	    "@whatsapp_lid-100000000000002:t.test)");
	/* Not on WhatsApp. */
	N.user = "";
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33 699");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to resolve identifier: the server "
	    "said +33699 is not on WhatsApp");
	/* The network side failing. */
	N.rc = BR_ERR_NET_FAILED;
	N.reason = "failed to check if number is on WhatsApp: timed out";
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33600000002");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to resolve identifier: failed to "
	    "check if number is on WhatsApp: timed out");
	/* A nonsense answer is not trusted. */
	N.rc = 0;
	N.reason = NULL;
	N.user = "not a jid";
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33600000002");
	pump(0);
	CHECK(strncmp(last_body(), "Failed to resolve identifier: ", 30) == 0);
	CHECK_EQ_INT(count("create_room"), 0);
	fx_close(&x);
}

TEST(test_br_cmd_resolve_login_argument)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	net_add_login("33600000002", ALICE);
	REQUIRE(add_login(&x, "33600000002", ALICE) == 0);
	net_add_login("33600000003", BOB);
	REQUIRE(add_login(&x, "33600000003", BOB) == 0);
	N.user = "33600000009@s.whatsapp.net";
	/* Her second login, named. */
	say(&x, ALICE, MGMT, "!wa resolve-identifier 33600000002 +33600000009");
	CHECK_EQ_STR(N.last_login, "33600000002");
	CHECK_EQ_STR(N.last_arg, "+33600000009");
	pump(0);
	/* Bob's login is not hers: the whole text is the identifier, through
	 * her default login. */
	say(&x, ALICE, MGMT, "!wa resolve-identifier 33600000003 9");
	CHECK_EQ_STR(N.last_login, "33600000001");
	CHECK_EQ_STR(N.last_arg, "33600000003 9");
	pump(0);
	fx_close(&x);
}

TEST(test_br_cmd_start_chat_creates_the_dm)
{
	struct fx x;
	struct br_portal *p;
	struct fcall *c;
	json_t *inv;
	struct br_portal_key k = { "33600000002@s.whatsapp.net",
	    "33600000001" };
	struct br_user_portal *up = NULL;

	REQUIRE(open_fx(&x, "en", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	N.user = "33600000002@s.whatsapp.net";
	say(&x, ALICE, MGMT, "!wa start-chat +33600000002");
	pump(0);	/* resolve -> portal -> createRoom -> ghost ensure */
	REQUIRE(count("create_room") == 1);
	c = nth("create_room", 0);
	CHECK(json_is_true(json_object_get(c->content, "is_direct")));
	inv = json_object_get(c->content, "invite");
	CHECK_EQ_INT((int)json_array_size(inv), 2);
	CHECK_EQ_STR(json_string_value(json_array_get(inv, 0)), ALICE);
	CHECK_EQ_STR(json_string_value(json_array_get(inv, 1)),
	    "@whatsapp_33600000002:t.test");
	CHECK(strncmp(last_body(), "Created chat with `33600000002` / "
	    "[@whatsapp_33600000002:t.test](https://matrix.to/#/"
	    "@whatsapp_33600000002:t.test): [!new", 110) == 0);
	CHECK_EQ_INT(count("join"), 1);
	CHECK_EQ_STR(nth("join", 0)->who, "@whatsapp_33600000002:t.test");
	p = get_portal(&x, "33600000002@s.whatsapp.net", "33600000001");
	REQUIRE(p != NULL);
	CHECK(p->mxid != NULL && strncmp(p->mxid, "!new", 4) == 0);
	CHECK_EQ_STR(p->room_type, "dm");
	CHECK(p->other_user_id != NULL &&
	    strcmp(p->other_user_id, "33600000002") == 0);
	br_portal_free(p);
	CHECK(br_store_user_portal_get(x.db, ALICE, "33600000001", k, &up) ==
	    0);
	br_user_portal_free(up);

	/* Again: the existing room. */
	say(&x, ALICE, MGMT, "!wa pm +33600000002");
	pump(0);
	CHECK_EQ_INT(count("create_room"), 1);
	CHECK(strncmp(last_body(), "You already have a direct chat with "
	    "`33600000002` / [", 52) == 0);
	CHECK(strstr(last_body(), " at [!new") != NULL);

	/* Room creation failing. */
	N.user = "33600000005@s.whatsapp.net";
	snprintf(F.fail_op, sizeof(F.fail_op), "create_room");
	say(&x, ALICE, MGMT, "!wa start-chat +33600000005");
	pump(0);
	CHECK_EQ_STR(last_body(), "Failed to resolve identifier: Failed to "
	    "create portal room");
	fx_close(&x);
}

TEST(test_br_cmd_resolve_french)
{
	struct fx x;

	REQUIRE(open_fx(&x, "fr", 1) == 0);
	REQUIRE(login_alice(&x) == 0);
	N.user = "";
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33699");
	pump(0);
	CHECK_EQ_STR(last_body(), "Impossible de résoudre l'identifiant : le "
	    "serveur indique que +33699 n'est pas sur WhatsApp");
	N.user = "33600000002@s.whatsapp.net";
	say(&x, ALICE, MGMT, "!wa resolve-identifier +33600000002");
	pump(0);
	CHECK(strncmp(last_body(), "Trouvé : `33600000002`", 23) == 0);
	fx_close(&x);
}

TEST_MAIN()
