/*
 * test_br_cmd_hostile.c: every command of the table with hostile
 * arguments (none, empty-looking, format strings, control and non-ASCII
 * bytes, a message at the size limit, more words than BR_CMD_ARGS_MAX,
 * pseudo-random bytes), as admin and as user, in a portal and elsewhere,
 * with the network side's optional slots present or absent, and with
 * every Matrix and network call failing or succeeding.  Under ASan and
 * UBSan: nothing crashes or leaks, and every command answers (or stays
 * silent only where upstream is silent) without unbounded output.
 */
#include "test/unit/bridge/test_br_cmd_fake.h"

static const char perms_yaml[] =
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"t.test\": user\n"
    "        \"@admin:t.test\": admin\n"
    "    relay:\n"
    "        enabled: true\n"
    "        default_relays: [\"33600000001\"]\n";

static uint32_t seed = 0x9e3779b9u;
static size_t too_many;		/* commands that made too many calls */
static size_t x_replies;	/* bot messages sent */

static uint32_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

/* A message of n pseudo-random printable or odd bytes (no NUL). */
static void
random_text(char *out, size_t n)
{
	static const char odd[] = "@:+%s{}0`*_~\\\"'\n\t #!";
	size_t i;
	uint32_t r;

	for (i = 0; i < n; i++) {
		r = rnd();
		if (r % 4 == 0)
			out[i] = odd[(r >> 8) % (sizeof(odd) - 1)];
		else if (r % 4 == 1)
			out[i] = (char)(0x80 | ((r >> 8) & 0x3f));
		else
			out[i] = (char)(' ' + 1 + (r >> 8) % 94);
	}
	out[n] = '\0';
}

static void
run_all(struct fx *x, const char *sender, const char *room, int rc)
{
	static char big[BR_CMD_MESSAGE_MAX + 1];
	char msg[BR_CMD_MESSAGE_MAX + 64], rand_args[200];
	const char *argsets[8];
	size_t i, a, k, before;

	memset(big, '9', sizeof(big) - 1);
	big[BR_CMD_MESSAGE_MAX - 40] = '\0';
	random_text(rand_args, sizeof(rand_args) - 1);
	argsets[0] = "";
	argsets[1] = " %s%n%x {0} {1}";
	argsets[2] = " \x01\x02 \xff\xfe \xe2\x80\xae";
	argsets[3] = " a b c d e f g h i j k l m n o p q r s t u v w x y z "
	    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20";
	argsets[4] = " @whatsapp_33600000002:t.test 999999999999999999999";
	argsets[5] = " https://chat.whatsapp.com/ --reset group";
	argsets[6] = rand_args;
	argsets[7] = big;
	for (i = 0; i < br_ncmds; i++) {
		if (strcmp(br_cmds[i].name, "login") == 0 ||
		    strcmp(br_cmds[i].name, "relogin") == 0 ||
		    strcmp(br_cmds[i].name, "logout") == 0 ||
		    strcmp(br_cmds[i].name, "list-logins") == 0 ||
		    strcmp(br_cmds[i].name, "bridge") == 0)
			continue;	/* their own tests */
		for (a = 0; a < 8; a++) {
			snprintf(msg, sizeof(msg), "!wa %s%s", br_cmds[i].name,
			    argsets[a]);
			before = F.n;
			say(x, sender, room, msg);
			pump(rc);
			/* Bounded: a command makes a few calls, not many. */
			if (F.n - before >= 40)
				too_many++;
			for (k = before; k < F.n; k++)
				x_replies += strcmp(F.calls[k].op, "send") == 0;
			if (F.n > FAKE_MAX - 48) {
				/* Keep room in the recorder. */
				pump(BR_ERR_MX_CANCELLED);
				fake_reset();
				br_bridge_set_mx(x->br, &F.mx);
			}
		}
	}
}

static int
scenario(int slots, int rc, int net_rc)
{
	struct fx x;

	too_many = x_replies = 0;
	if (fx_open_yaml(&x, "en", perms_yaml) < 0)
		return -1;
	net_reset(slots);
	br_bridge_set_net(x.br, &N.net);
	N.rc = net_rc;
	N.reason = net_rc < 0 ? "%s%n" : NULL;
	N.user = "33600000002@s.whatsapp.net";
	N.link = "https://chat.whatsapp.com/x";
	N.chat = "120363000000000099@g.us";
	N.name = "%s";
	if (add_portal(&x, GROUP, "", PROOM) < 0)
		return -1;
	net_add_login("33600000001", ALICE);
	if (add_login(&x, "33600000001", ALICE) < 0)
		return -1;
	F.pls = json_pack("{s:{s:i,s:i}}", "users", BOT_ID, 100, ALICE, 100);
	json_decref(F.members);
	F.members = json_pack("{s:{s:{},s:{},s:{}}}", "joined", BOT_ID, ALICE,
	    "@whatsapp_33600000002:t.test");
	run_all(&x, ALICE, PROOM, rc);
	run_all(&x, ALICE, "!elsewhere:t.test", rc);
	run_all(&x, ADMIN, PROOM, rc);
	fx_close(&x);
	return 0;
}

TEST(test_br_cmd_hostile_arguments_all_succeeding)
{
	REQUIRE(scenario(1, 0, 0) == 0);
	CHECK_EQ_INT((int)too_many, 0);
	CHECK(x_replies > 0);
}

TEST(test_br_cmd_hostile_arguments_matrix_failing)
{
	REQUIRE(scenario(1, BR_ERR_MX_FAILED, 0) == 0);
	CHECK_EQ_INT((int)too_many, 0);
	CHECK(x_replies > 0);
}

TEST(test_br_cmd_hostile_arguments_network_failing)
{
	REQUIRE(scenario(1, 0, BR_ERR_NET_FAILED) == 0);
	CHECK_EQ_INT((int)too_many, 0);
	CHECK(x_replies > 0);
}

TEST(test_br_cmd_hostile_arguments_no_network_slots)
{
	REQUIRE(scenario(0, 0, 0) == 0);
	CHECK_EQ_INT((int)too_many, 0);
	CHECK(x_replies > 0);
}

TEST(test_br_cmd_hostile_shutdown_mid_command)
{
	struct fx x;
	size_t i;
	char msg[128];

	/* Every command left waiting on its first call, then the Matrix
	 * side shuts down (CANCELLED): everything it held is freed. */
	REQUIRE(fx_open_yaml(&x, "en", perms_yaml) == 0);
	net_reset(1);
	br_bridge_set_net(x.br, &N.net);
	N.rc = BR_ERR_NET_CANCELLED;
	REQUIRE(add_portal(&x, GROUP, "", PROOM) == 0);
	net_add_login("33600000001", ALICE);
	REQUIRE(add_login(&x, "33600000001", ALICE) == 0);
	for (i = 0; i < br_ncmds; i++) {
		if (strncmp(br_cmds[i].name, "log", 3) == 0 ||
		    strcmp(br_cmds[i].name, "relogin") == 0 ||
		    strcmp(br_cmds[i].name, "list-logins") == 0)
			continue;
		snprintf(msg, sizeof(msg), "!wa %s +33600000002", br_cmds[i].name);
		say(&x, ALICE, PROOM, msg);
		if (F.n > FAKE_MAX - 16)
			break;
	}
	fx_close(&x);	/* pumps CANCELLED */
}

TEST_MAIN()
