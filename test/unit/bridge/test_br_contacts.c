/*
 * test_br_contacts.c: contacts applied to ghosts (bridge/contacts.c) and
 * the `sync contacts|contacts-with-avatars|appstate` command
 * (bridge/cmd_group.c) over the in-memory Matrix and network sides
 * (test_br_cmd_fake.h, with list_contacts and sync_appstate added here):
 * a contact event names the ghost through displayname_template (default
 * template: the push name; a FullName template: the address-book name)
 * and its alternate LID/PN ghost; two quick renames end in order; the
 * sync lists and applies every contact, then reacts ✅ (pictures looked up
 * for ghosts that never had one; contacts-with-avatars asks again for
 * each); the address book
 * synced event does the same; listing failures; appstate names in order
 * with upstream's replies (critical_unblock_low, invalid name, missing
 * key stops, other errors go on), unsupported slots; both languages;
 * br_contacts_fill; freeing with work queued.
 */
#include "test/unit/bridge/test_br_cmd_fake.h"
#include "bridge/contacts.h"

static const char perms_yaml[] =
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"t.test\": user\n";

static const char full_yaml[] =
    "bridge:\n"
    "    permissions:\n"
    "        \"*\": relay\n"
    "        \"t.test\": user\n"
    "network:\n"
    "    displayname_template: '{{or .FullName .PushName .Phone}} (WA)'\n";

#define PN_B	"33600000002@s.whatsapp.net"
#define LID_B	"100000000000002@lid"

/* ---- the network slots this file adds ---- */

struct pend {
	char		 op[24];
	char		 arg[64];
	br_net_done_fn	 done;
	void		*cbarg;
	int		 pending;
};
static struct pend P[16];
static size_t np;
static struct br_net_contact list_answer[4];
static size_t n_list_answer;
/* sync_appstate: answer per collection (0 ok, or a code), and what to
 * return synchronously for a name (0: start). */
static int appstate_rc[5];
static const char *const colls[5] = { "critical_block",
    "critical_unblock_low", "regular_high", "regular", "regular_low" };

static int
coll_index(const char *name)
{
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(colls[i], name) == 0)
			return i;
	return -1;
}

static struct pend *
prec(const char *op, const char *arg, br_net_done_fn done, void *cbarg)
{
	struct pend *p;

	if (np >= 16)
		abort();
	p = &P[np++];
	memset(p, 0, sizeof(*p));
	snprintf(p->op, sizeof(p->op), "%s", op);
	snprintf(p->arg, sizeof(p->arg), "%s", arg ? arg : "");
	p->done = done;
	p->cbarg = cbarg;
	p->pending = 1;
	return p;
}

static int
n_list_contacts(struct br_net_login *l, br_net_done_fn done, void *arg)
{
	prec("list_contacts", n_info(l)->id, done, arg);
	return 0;
}

static int
n_sync_appstate(struct br_net_login *l, const char *name,
    br_net_done_fn done, void *arg)
{
	if (coll_index(name) < 0)
		return BR_ERR_NET_NOT_FOUND;
	prec("sync_appstate", name, done, arg);
	return 0;
}

static int
n_avatar(struct br_net_login *l, const char *chat, const char *known_id,
    br_net_done_fn done, void *arg)
{
	prec("avatar", chat, done, arg);
	return 0;
}

static struct br_net_ops my_ops;

/* Complete the pending network calls (and the Matrix calls they lead
 * to) until nothing is pending. */
static void
settle(int list_rc)
{
	struct br_net_result r;
	size_t i;
	int again = 1, rc;

	while (again) {
		again = 0;
		pump(0);
		for (i = 0; i < np; i++) {
			struct pend *p = &P[i];

			if (!p->pending)
				continue;
			p->pending = 0;
			again = 1;
			memset(&r, 0, sizeof(r));
			if (strcmp(p->op, "list_contacts") == 0) {
				r.contacts = list_answer;
				r.n_contacts = n_list_answer;
				r.reason = list_rc < 0 ? "store broken" : NULL;
				p->done(p->cbarg, list_rc, &r);
			} else if (strcmp(p->op, "avatar") == 0) {
				/* No picture: the ghost row keeps "remove". */
				struct br_net_chat_info ci;

				memset(&ci, 0, sizeof(ci));
				ci.chat = p->arg;
				ci.avatar_id = "remove";
				r.info = &ci;
				p->done(p->cbarg, 0, &r);
			} else {
				rc = appstate_rc[coll_index(p->arg)];
				r.reason = rc == BR_ERR_NET_NO_KEY ?
				    "failed to decode app state x patches: "
				    "didn't find app state key" : rc < 0 ?
				    "mismatching LTHash" : NULL;
				p->done(p->cbarg, rc, &r);
			}
		}
	}
	pump(0);
}

static size_t
count_net(const char *op)
{
	size_t i, n = 0;

	for (i = 0; i < np; i++)
		n += strcmp(P[i].op, op) == 0;
	return n;
}

static int
open_fx(struct fx *x, const char *lang, const char *yaml, int slots)
{
	if (fx_open_yaml(x, lang, yaml) < 0)
		return -1;
	net_reset(1);
	my_ops = n_ops_full;
	if (slots) {
		my_ops.list_contacts = n_list_contacts;
		my_ops.sync_appstate = n_sync_appstate;
		my_ops.avatar = n_avatar;
	}
	N.net.ops = &my_ops;
	br_bridge_set_net(x->br, &N.net);
	np = 0;
	n_list_answer = 0;
	memset(appstate_rc, 0, sizeof(appstate_rc));
	net_add_login("33600000001", ALICE);
	return add_login(x, "33600000001", ALICE);
}

static struct br_net_login *
login(void)
{
	return (struct br_net_login *)(void *)&N.l[0];
}

/* The name of the last displayname call for ghost (a ghost ID), or "". */
static const char *
last_name_of(const char *ghost)
{
	char who[128];
	size_t i = F.n;

	snprintf(who, sizeof(who), "@whatsapp_%s:t.test", ghost);
	while (i-- > 0)
		if (strcmp(F.calls[i].op, "displayname") == 0 &&
		    strcmp(F.calls[i].who, who) == 0)
			return F.calls[i].body;
	return "";
}

static int
reacted_ok(void)
{
	size_t i;
	json_t *rel;

	for (i = 0; i < F.n; i++) {
		if (strcmp(F.calls[i].op, "event") != 0 ||
		    strcmp(F.calls[i].type, "m.reaction") != 0)
			continue;
		rel = json_object_get(F.calls[i].content, "m.relates_to");
		if (rel != NULL && strcmp(json_string_value(json_object_get(
		    rel, "key")), "✅") == 0)
			return 1;
	}
	return 0;
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
contact(struct br_net_contact *c, const char *user, const char *alt,
    const char *full, const char *push)
{
	memset(c, 0, sizeof(*c));
	c->user = user;
	c->alt_user = alt;
	c->full_name = full;
	c->first_name = full != NULL ? "Bob" : NULL;
	c->push_name = push;
}

TEST(test_br_contacts_event_names_ghost_and_alt)
{
	struct fx x;
	struct br_net_contact c;
	struct br_ghost *g = NULL;

	/* Default template: BusinessName, PushName, Phone: the address
	 * book's name is not used (upstream's default). */
	REQUIRE(open_fx(&x, "en", perms_yaml, 1) == 0);
	REQUIRE(br_contacts_new(x.br) != NULL);
	contact(&c, PN_B, LID_B, "Bob Martin", "bobby");
	br_contacts_on_contact(x.br, login(), &c);
	settle(0);
	CHECK_EQ_STR(last_name_of("33600000002"), "bobby (WA)");
	CHECK_EQ_STR(last_name_of("lid-100000000000002"), "bobby (WA)");
	REQUIRE(br_store_ghost_get(x.db, "33600000002", &g) == 0);
	CHECK_EQ_STR(g->name, "bobby (WA)");
	CHECK(g->name_set);
	br_ghost_free(g);
	g = NULL;
	REQUIRE(br_store_ghost_get(x.db, "lid-100000000000002", &g) == 0);
	CHECK_EQ_STR(g->name, "bobby (WA)");
	br_ghost_free(g);
	g = NULL;
	/* No push name, no business name: the phone (also for the LID
	 * ghost: the phone of its PN form). */
	contact(&c, PN_B, LID_B, "Bob Martin", NULL);
	br_contacts_on_contact(x.br, login(), &c);
	settle(0);
	CHECK_EQ_STR(last_name_of("33600000002"), "+33600000002 (WA)");
	CHECK_EQ_STR(last_name_of("lid-100000000000002"),
	    "+33600000002 (WA)");
	br_contacts_free(br_contacts_of(x.br));
	CHECK(br_contacts_of(x.br) == NULL);
	fx_close(&x);

	/* FullName first: the address book wins. */
	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	contact(&c, PN_B, NULL, "Bob Martin", "bobby");
	br_contacts_on_contact(x.br, login(), &c);
	settle(0);
	CHECK_EQ_STR(last_name_of("33600000002"), "Bob Martin (WA)");
	CHECK_EQ_INT(count("register"), 1);
	/* The same name again: registered again (idempotent) but no
	 * second displayname call. */
	br_contacts_on_contact(x.br, login(), &c);
	settle(0);
	CHECK_EQ_INT(count("displayname"), 1);
	/* A user with no ghost (a group JID) is skipped. */
	contact(&c, "120363000000000001@g.us", NULL, "Nope", NULL);
	br_contacts_on_contact(x.br, login(), &c);
	settle(0);
	CHECK_EQ_INT(count("displayname"), 1);
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);
}

TEST(test_br_contacts_renames_in_order)
{
	struct fx x;
	struct br_net_contact c;

	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	contact(&c, PN_B, NULL, "First Name", NULL);
	br_contacts_on_contact(x.br, login(), &c);
	contact(&c, PN_B, NULL, "Second Name", NULL);
	br_contacts_on_contact(x.br, login(), &c);
	/* One at a time: only the first ghost update has started. */
	CHECK_EQ_INT(count("register"), 1);
	settle(0);
	CHECK_EQ_INT(count("displayname"), 2);
	CHECK_EQ_STR(nth("displayname", 0)->body, "First Name (WA)");
	CHECK_EQ_STR(nth("displayname", 1)->body, "Second Name (WA)");
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);
}

TEST(test_br_contacts_fill)
{
	struct fx x;
	struct br_net_contact c;
	struct br_ghost_info gi;

	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	memset(&gi, 0, sizeof(gi));
	CHECK_EQ_INT(br_contacts_fill(x.br, PN_B, &gi), 0);
	br_contacts_new(x.br);
	CHECK_EQ_INT(br_contacts_fill(x.br, PN_B, &gi), 0);
	contact(&c, PN_B, LID_B, "Bob Martin", "bobby");
	br_contacts_on_contact(x.br, login(), &c);
	gi.push_name = "newer push";
	CHECK_EQ_INT(br_contacts_fill(x.br, LID_B, &gi), 1);
	CHECK_EQ_STR(gi.full_name, "Bob Martin");
	CHECK_EQ_STR(gi.first_name, "Bob");
	CHECK_EQ_STR(gi.push_name, "newer push");
	memset(&gi, 0, sizeof(gi));
	CHECK_EQ_INT(br_contacts_fill(x.br, PN_B, &gi), 1);
	CHECK_EQ_STR(gi.push_name, "bobby");
	settle(0);
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);

	/* After a restart: the login's synced event reads the stored
	 * contacts into the cache, touching no ghost. */
	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	contact(&list_answer[0], PN_B, LID_B, "Bob Martin", "bobby");
	n_list_answer = 1;
	br_contacts_on_login_synced(x.br, login());
	CHECK_EQ_INT(count_net("list_contacts"), 1);
	memset(&gi, 0, sizeof(gi));
	CHECK_EQ_INT(br_contacts_fill(x.br, LID_B, &gi), 0);
	settle(0);
	CHECK_EQ_INT(br_contacts_fill(x.br, LID_B, &gi), 1);
	CHECK_EQ_STR(gi.full_name, "Bob Martin");
	CHECK_EQ_INT(count("register"), 0);
	CHECK_EQ_INT(count("displayname"), 0);
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);
}

/* The cache of br_contacts_fill is bounded: past BR_CONTACTS_CACHE_MAX
 * people the oldest are forgotten, found by either form until then, an
 * update of a known person reuses its entry.  (Group JIDs have no ghost:
 * nothing reaches the Matrix side.) */
TEST(test_br_contacts_fill_bounded)
{
	struct fx x;
	struct br_net_contact c;
	struct br_ghost_info gi;
	char user[64], alt[64], full[32];
	int i, n = BR_CONTACTS_CACHE_MAX + 100;

	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	for (i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "1203630%08d@g.us", i);
		snprintf(alt, sizeof(alt), "1203631%08d@g.us", i);
		snprintf(full, sizeof(full), "Name %d", i);
		contact(&c, user, alt, full, NULL);
		br_contacts_on_contact(x.br, login(), &c);
		if (i == 10) {
			/* Renamed while known: the same entry. */
			contact(&c, user, alt, "Renamed 10", NULL);
			br_contacts_on_contact(x.br, login(), &c);
		}
	}
	CHECK_EQ_INT(count("register"), 0);
	memset(&gi, 0, sizeof(gi));
	CHECK_EQ_INT(br_contacts_fill(x.br, "120363000000000@g.us", &gi), 0);
	snprintf(user, sizeof(user), "1203630%08d@g.us", 99);
	CHECK_EQ_INT(br_contacts_fill(x.br, user, &gi), 0);
	snprintf(user, sizeof(user), "1203630%08d@g.us", 100);
	REQUIRE(br_contacts_fill(x.br, user, &gi) == 1);
	CHECK_EQ_STR(gi.full_name, "Name 100");
	snprintf(alt, sizeof(alt), "1203631%08d@g.us", n - 1);
	REQUIRE(br_contacts_fill(x.br, alt, &gi) == 1);
	snprintf(full, sizeof(full), "Name %d", n - 1);
	CHECK_EQ_STR(gi.full_name, full);
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);
}

TEST(test_br_contacts_sync_command)
{
	struct fx x;

	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	contact(&list_answer[0], PN_B, LID_B, "Bob Martin", "bobby");
	contact(&list_answer[1], "33600000003@s.whatsapp.net", NULL, NULL,
	    "carol");
	n_list_answer = 2;
	say(&x, ALICE, MGMT, "!wa sync contacts");
	CHECK_EQ_INT(count_net("list_contacts"), 1);
	CHECK(!reacted_ok());
	settle(0);
	CHECK_EQ_STR(last_name_of("33600000002"), "Bob Martin (WA)");
	CHECK_EQ_STR(last_name_of("lid-100000000000002"), "Bob Martin (WA)");
	CHECK_EQ_STR(last_name_of("33600000003"), "carol (WA)");
	CHECK(reacted_ok());
	CHECK_EQ_INT(count("send"), 0);
	/* Ghosts that never had a picture get it looked up (first sight,
	 * upstream's getAvatar when AvatarID is ""): three ghosts. */
	CHECK_EQ_INT(count_net("avatar"), 3);
	{
		struct br_ghost *g = NULL;

		REQUIRE(br_store_ghost_get(x.db, "lid-100000000000002", &g) ==
		    0);
		CHECK_EQ_STR(g->avatar_id, "remove");
		br_ghost_free(g);
	}
	/* Again: names only (the pictures were looked up). */
	say(&x, ALICE, MGMT, "!wa sync contacts");
	settle(0);
	CHECK_EQ_INT(count_net("avatar"), 3);

	/* A rename in the store, then contacts-with-avatars: renamed. */
	contact(&list_answer[0], PN_B, LID_B, "Robert Martin", "bobby");
	n_list_answer = 1;
	say(&x, ALICE, MGMT, "!wa sync CONTACTS-WITH-AVATARS");
	settle(0);
	CHECK_EQ_STR(last_name_of("33600000002"), "Robert Martin (WA)");
	CHECK_EQ_STR(last_name_of("lid-100000000000002"),
	    "Robert Martin (WA)");
	/* With avatars: both of Bob's ghosts asked again (force). */
	CHECK_EQ_INT(count_net("avatar"), 5);
	CHECK_EQ_STR(P[np - 1].arg, LID_B);

	/* Empty address book: ✅ at once after the listing. */
	fake_reset();
	n_list_answer = 0;
	say(&x, ALICE, MGMT, "!wa sync contacts");
	settle(0);
	CHECK(reacted_ok());

	/* The listing fails. */
	say(&x, ALICE, MGMT, "!wa sync contacts");
	settle(BR_ERR_NET_FAILED);
	CHECK_EQ_STR(last_body(), "Failed to get contacts: network side "
	    "failed");
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);

	/* French. */
	REQUIRE(open_fx(&x, "fr", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	say(&x, ALICE, MGMT, "!wa sync contacts");
	settle(BR_ERR_NET_FAILED);
	CHECK_EQ_STR(last_body(), "Impossible d'obtenir les contacts : "
	    "network side failed");
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);

	/* No slot, or no contacts object: said so. */
	REQUIRE(open_fx(&x, "en", full_yaml, 0) == 0);
	br_contacts_new(x.br);
	say(&x, ALICE, MGMT, "!wa sync contacts");
	CHECK_EQ_STR(last_body(), "Syncing `contacts` is not supported by "
	    "ponton yet");
	say(&x, ALICE, MGMT, "!wa sync appstate");
	CHECK_EQ_STR(last_body(), "Syncing `appstate` is not supported by "
	    "ponton yet");
	br_contacts_free(br_contacts_of(x.br));
	fx_close(&x);
}

TEST(test_br_contacts_synced_event_and_free)
{
	struct fx x;
	struct br_net_contact c;

	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	contact(&list_answer[0], PN_B, NULL, "Bob Martin", NULL);
	n_list_answer = 1;
	br_contacts_on_synced(x.br, login());
	CHECK_EQ_INT(count_net("list_contacts"), 1);
	settle(0);
	CHECK_EQ_STR(last_name_of("33600000002"), "Bob Martin (WA)");

	/* Freed with a ghost update in flight, one queued and a sync
	 * waiting for its listing: nothing runs afterwards, nothing leaks
	 * (ASan), the command's held event is released. */
	contact(&c, PN_B, LID_B, "Later", NULL);
	br_contacts_on_contact(x.br, login(), &c);
	say(&x, ALICE, MGMT, "!wa sync contacts");
	br_contacts_free(br_contacts_of(x.br));
	settle(0);
	CHECK(!reacted_ok());
	CHECK(strcmp(last_name_of("lid-100000000000002"), "Later (WA)") != 0);
	fx_close(&x);

	/* Freed while a sync's items are queued: the sync is cancelled (no
	 * reaction, no reply). */
	REQUIRE(open_fx(&x, "en", full_yaml, 1) == 0);
	br_contacts_new(x.br);
	contact(&list_answer[0], PN_B, LID_B, "Bob Martin", NULL);
	n_list_answer = 1;
	say(&x, ALICE, MGMT, "!wa sync contacts");
	P[0].pending = 0;
	{
		struct br_net_result r;

		memset(&r, 0, sizeof(r));
		r.contacts = list_answer;
		r.n_contacts = 1;
		P[0].done(P[0].cbarg, 0, &r);
	}
	CHECK_EQ_INT(count("register"), 1);
	br_contacts_free(br_contacts_of(x.br));
	settle(0);
	CHECK(!reacted_ok());
	CHECK_EQ_INT(count("send"), 0);
	fx_close(&x);
}

TEST(test_br_contacts_sync_appstate)
{
	struct fx x;
	size_t s0;

	REQUIRE(open_fx(&x, "en", perms_yaml, 1) == 0);
	/* All five, in whatsmeow's order, one after the other. */
	say(&x, ALICE, MGMT, "!wa sync appstate");
	CHECK_EQ_INT(count_net("sync_appstate"), 1);
	settle(0);
	CHECK_EQ_INT(count_net("sync_appstate"), 5);
	CHECK_EQ_STR(P[0].arg, "critical_block");
	CHECK_EQ_STR(P[4].arg, "regular_low");
	CHECK_EQ_INT(count("send"), 5);
	CHECK_EQ_STR(nth("send", 0)->body, "Synced app state critical_block");
	CHECK_EQ_STR(nth("send", 1)->body, "Synced app state "
	    "critical_unblock_low, contact sync running in background");
	CHECK_EQ_STR(nth("send", 4)->body, "Synced app state regular_low");

	/* Named ones; a bad name is answered and skipped (exact case). */
	np = 0;
	fake_reset();
	say(&x, ALICE, MGMT, "!wa sync appstate Regular bogus "
	    "critical_unblock_low");
	settle(0);
	CHECK_EQ_INT(count_net("sync_appstate"), 1);
	CHECK_EQ_STR(P[0].arg, "critical_unblock_low");
	CHECK_EQ_INT(count("send"), 3);
	CHECK_EQ_STR(nth("send", 0)->body, "Invalid app state name "
	    "`Regular`");
	CHECK_EQ_STR(nth("send", 1)->body, "Invalid app state name `bogus`");
	CHECK_EQ_STR(nth("send", 2)->body, "Synced app state "
	    "critical_unblock_low, contact sync running in background");

	/* Only bad names: nothing fetched. */
	np = 0;
	fake_reset();
	say(&x, ALICE, MGMT, "!wa sync appstate nope");
	settle(0);
	CHECK_EQ_INT(count_net("sync_appstate"), 0);
	CHECK_EQ_STR(last_body(), "Invalid app state name `nope`");

	/* An error goes on with the next; a missing key stops. */
	np = 0;
	fake_reset();
	appstate_rc[0] = BR_ERR_NET_FAILED;
	appstate_rc[2] = BR_ERR_NET_NO_KEY;
	say(&x, ALICE, MGMT, "!wa sync appstate");
	settle(0);
	CHECK_EQ_INT(count_net("sync_appstate"), 3);
	s0 = count("send");
	CHECK_EQ_INT(s0, 3);
	CHECK_EQ_STR(nth("send", 0)->body, "Error syncing app state "
	    "critical_block: mismatching LTHash");
	CHECK_EQ_STR(nth("send", 2)->body, "Key not found error syncing app "
	    "state regular_high: failed to decode app state x patches: "
	    "didn't find app state key\n\nKey requests are sent "
	    "automatically, and the sync should happen in the background "
	    "after your phone responds.");
	fx_close(&x);

	/* French. */
	REQUIRE(open_fx(&x, "fr", perms_yaml, 1) == 0);
	appstate_rc[1] = BR_ERR_NET_NO_KEY;
	say(&x, ALICE, MGMT, "!wa sync appstate critical_block "
	    "critical_unblock_low regular x");
	settle(0);
	CHECK_EQ_INT(count_net("sync_appstate"), 2);
	CHECK_EQ_STR(nth("send", 0)->body, "Nom d'état d'application "
	    "invalide `x`");
	CHECK_EQ_STR(nth("send", 1)->body, "État d'application "
	    "critical_block synchronisé");
	CHECK(starts_with(nth("send", 2)->body, "Clé introuvable en "
	    "synchronisant l'état d'application critical_unblock_low : "
	    "failed to decode"));
	CHECK_EQ_INT(count("send"), 3);
	fx_close(&x);
}

TEST_MAIN()
