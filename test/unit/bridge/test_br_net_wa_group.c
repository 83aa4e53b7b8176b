/*
 * test_br_net_wa_group.c: bridge/net_wa_group.c's mapping of parsed group
 * notifications (waweb/group.h) to the core's br_net_group_event: users
 * normalised to phone-number JIDs when named, a remove of ourselves is
 * LEFT, settings carry the unchanged flag as -1, JOINED carries the
 * members with their roles, changes without a core event are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/net_wa_group.h"
#include "test/unit/test.h"
#include "waweb/group.h"
#include "waweb/node.h"

#define MAX_EV 16

struct got {
	size_t			 n;
	enum br_net_group_change change[MAX_EV];
	char			 actor[MAX_EV][128];
	char			 users[MAX_EV][512];
	char			 text[MAX_EV][128];
	int			 announce[MAX_EV], locked[MAX_EV];
	size_t			 members[MAX_EV];
	char			 roles[MAX_EV][16];
};

static void
emit(void *arg, const struct br_net_group_event *g)
{
	struct got *x = arg;
	size_t i, k = x->n;

	if (k >= MAX_EV)
		abort();
	x->change[k] = g->change;
	strcpy(x->actor[k], g->actor != NULL ? g->actor : "-");
	for (i = 0; i < g->n_users; i++) {
		if (i > 0)
			strcat(x->users[k], ",");
		strcat(x->users[k], g->users[i]);
	}
	strcpy(x->text[k], g->text != NULL ? g->text : "(null)");
	x->announce[k] = g->announce;
	x->locked[k] = g->locked;
	if (g->info != NULL) {
		x->members[k] = g->info->n_members;
		for (i = 0; i < g->info->n_members && i < 15; i++)
			x->roles[k][i] = (char)('0' + g->info->members[i].role);
	}
	x->n++;
}

static void
set_jid(struct wa_node *n, const char *key, const char *s)
{
	struct wa_jid j;

	if (wa_jid_parse(s, &j) != 0)
		abort();
	wa_node_set_attr_jid(n, key, &j);
}

static struct wa_node *
participant(const char *jid, const char *pn, const char *type)
{
	struct wa_node *p = wa_node_new("participant");

	set_jid(p, "jid", jid);
	if (pn != NULL)
		set_jid(p, "phone_number", pn);
	if (type != NULL)
		wa_node_set_attr(p, "type", type);
	return p;
}

static struct wa_node *
notif(void)
{
	struct wa_node *n = wa_node_new("notification");

	set_jid(n, "from", "120363000000000001@g.us");
	wa_node_set_attr(n, "type", "w:gp2");
	wa_node_set_attr(n, "id", "9");
	set_jid(n, "participant", "111111111111111@lid");
	set_jid(n, "participant_pn", "33600000001@s.whatsapp.net");
	return n;
}

static void
map(struct wa_node *n, struct got *x)
{
	struct wa_group_event *ev = NULL;

	memset(x, 0, sizeof(*x));
	if (wa_group_parse_notification(n, &ev) != 0)
		abort();
	br__nw_group_map(ev, "33600000009", "999999999999999", emit, x);
	wa_group_event_free(ev);
	wa_node_free(n);
}

TEST(members_changes_and_left)
{
	struct wa_node *n = notif(), *x;
	struct got g;

	x = wa_node_new("add");
	wa_node_add_child(x, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net", NULL));
	wa_node_add_child(x, participant("333333333333333@lid", NULL, NULL));
	wa_node_add_child(n, x);
	x = wa_node_new("promote");
	wa_node_add_child(x, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net", NULL));
	wa_node_add_child(n, x);
	x = wa_node_new("remove");
	wa_node_add_child(x, participant("999999999999999@lid", NULL, NULL));
	wa_node_add_child(n, x);
	x = wa_node_new("remove");
	wa_node_add_child(x, participant("444444444444444@lid",
	    "33600000004@s.whatsapp.net", NULL));
	wa_node_add_child(n, x);
	map(n, &g);
	REQUIRE(g.n == 4);
	CHECK_EQ_INT(g.change[0], BR_NET_GROUP_ADD);
	CHECK_EQ_STR(g.actor[0], "33600000001@s.whatsapp.net");
	CHECK_EQ_STR(g.users[0],
	    "33600000002@s.whatsapp.net,333333333333333@lid");
	CHECK_EQ_INT(g.change[1], BR_NET_GROUP_PROMOTE);
	CHECK_EQ_INT(g.change[2], BR_NET_GROUP_LEFT);
	CHECK_EQ_INT(g.change[3], BR_NET_GROUP_REMOVE);
	CHECK_EQ_STR(g.users[3], "33600000004@s.whatsapp.net");
}

TEST(info_changes)
{
	struct wa_node *n = notif(), *x, *b;
	struct got g;

	x = wa_node_new("subject");
	wa_node_set_attr(x, "subject", "New");
	wa_node_add_child(n, x);
	x = wa_node_new("description");
	wa_node_set_attr(x, "id", "D1");
	wa_node_add_child(x, wa_node_new("delete"));
	wa_node_add_child(n, x);
	x = wa_node_new("description");
	wa_node_set_attr(x, "id", "D2");
	b = wa_node_new("body");
	wa_node_set_bytes(b, "Topic", 5);
	wa_node_add_child(x, b);
	wa_node_add_child(n, x);
	wa_node_add_child(n, wa_node_new("announcement"));
	wa_node_add_child(n, wa_node_new("unlocked"));
	x = wa_node_new("invite");
	wa_node_set_attr(x, "code", "Abc123");
	wa_node_add_child(n, x);
	map(n, &g);
	REQUIRE(g.n == 5);
	CHECK_EQ_INT(g.change[0], BR_NET_GROUP_NAME);
	CHECK_EQ_STR(g.text[0], "New");
	CHECK_EQ_INT(g.change[1], BR_NET_GROUP_TOPIC);
	CHECK_EQ_STR(g.text[1], "");
	CHECK_EQ_STR(g.text[2], "Topic");
	CHECK_EQ_INT(g.change[3], BR_NET_GROUP_SETTINGS);
	CHECK_EQ_INT(g.announce[3], 1);
	CHECK_EQ_INT(g.locked[3], -1);
	CHECK_EQ_INT(g.announce[4], -1);
	CHECK_EQ_INT(g.locked[4], 0);
}

TEST(joined_with_members)
{
	struct wa_node *n = notif(), *c, *gr;
	struct got g;

	c = wa_node_new("create");
	gr = wa_node_new("group");
	wa_node_set_attr(gr, "id", "120363000000000001");
	wa_node_set_attr(gr, "subject", "Team");
	wa_node_add_child(gr, participant("111111111111111@lid",
	    "33600000001@s.whatsapp.net", "superadmin"));
	wa_node_add_child(gr, participant("222222222222222@lid", NULL,
	    "admin"));
	wa_node_add_child(gr, participant("999999999999999@lid",
	    "33600000009@s.whatsapp.net", NULL));
	wa_node_add_child(c, gr);
	wa_node_add_child(n, c);
	map(n, &g);
	REQUIRE(g.n == 1);
	CHECK_EQ_INT(g.change[0], BR_NET_GROUP_JOINED);
	CHECK_EQ_INT(g.members[0], 3);
	CHECK_EQ_STR(g.roles[0], "210");
}

TEST(picture_is_avatar)
{
	struct wa_node *n = wa_node_new("notification"), *x;
	struct got g;

	set_jid(n, "from", "120363000000000001@g.us");
	wa_node_set_attr(n, "type", "picture");
	x = wa_node_new("delete");
	wa_node_add_child(n, x);
	map(n, &g);
	REQUIRE(g.n == 1);
	CHECK_EQ_INT(g.change[0], BR_NET_GROUP_AVATAR);
	CHECK_EQ_STR(g.actor[0], "-");
}

TEST_MAIN()
