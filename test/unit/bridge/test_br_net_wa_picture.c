/*
 * test_br_net_wa_picture.c: users' <notification type=picture> as the
 * WhatsApp side reports them (br__nw_picture_map over
 * wa_picture_parse_notification): a set gives the user and the new id, a
 * delete the user and NULL, a group's change nothing (groups go through
 * the group parser), several changes one call each, in order.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/net_wa_group.h"
#include "test/unit/test.h"
#include "util/buf.h"
#include "waweb/node.h"
#include "waweb/picture.h"

static char got[8][2][64];
static size_t ngot;

static void
emit(void *arg, const char *user, const char *id)
{
	(void)arg;
	if (ngot >= 8)
		abort();
	snprintf(got[ngot][0], sizeof(got[ngot][0]), "%s", user);
	snprintf(got[ngot][1], sizeof(got[ngot][1]), "%s", id ? id : "(null)");
	ngot++;
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
change(const char *tag, const char *jid, const char *id)
{
	struct wa_node *x = wa_node_new(tag);

	if (jid != NULL)
		set_jid(x, "jid", jid);
	if (id != NULL)
		wa_node_set_attr(x, "id", id);
	return x;
}

static struct wa_picture_event *
parse(struct wa_node *n)
{
	struct wa_picture_event *ev = NULL;
	struct u_buf b;
	struct wa_node *d = NULL;

	u_buf_init(&b, 1 << 16);
	if (wa_node_encode(n, &b) != 0 || wa_node_decode(b.p, b.len, &d) != 0)
		abort();
	u_buf_free(&b);
	wa_node_free(n);
	if (wa_picture_parse_notification(d, &ev) != 0)
		abort();
	wa_node_free(d);
	return ev;
}

static struct wa_node *
notification(const char *from)
{
	struct wa_node *n = wa_node_new("notification");

	set_jid(n, "from", from);
	wa_node_set_attr(n, "type", "picture");
	wa_node_set_attr(n, "id", "1");
	return n;
}

TEST(user_set_and_delete)
{
	struct wa_picture_event *ev;
	struct wa_node *n;

	ngot = 0;
	n = notification("33600000002@s.whatsapp.net");
	wa_node_add_child(n, change("set", "33600000002@s.whatsapp.net",
	    "1700000000123"));
	ev = parse(n);
	br__nw_picture_map(ev, emit, NULL);
	wa_picture_event_free(ev);
	REQUIRE(ngot == 1);
	CHECK_EQ_STR(got[0][0], "33600000002@s.whatsapp.net");
	CHECK_EQ_STR(got[0][1], "1700000000123");

	ngot = 0;
	n = notification("111111111111111@lid");
	wa_node_add_child(n, change("delete", NULL, NULL));
	ev = parse(n);
	br__nw_picture_map(ev, emit, NULL);
	wa_picture_event_free(ev);
	REQUIRE(ngot == 1);
	CHECK_EQ_STR(got[0][0], "111111111111111@lid");
	CHECK_EQ_STR(got[0][1], "(null)");
}

TEST(groups_skipped_order_kept)
{
	struct wa_picture_event *ev;
	struct wa_node *n;

	ngot = 0;
	n = notification("33600000002@s.whatsapp.net");
	wa_node_add_child(n, change("set", "33600000003@s.whatsapp.net", "5"));
	wa_node_add_child(n, change("set", "120363012345678901@g.us", "6"));
	wa_node_add_child(n, change("add", "33600000004@s.whatsapp.net", "7"));
	ev = parse(n);
	br__nw_picture_map(ev, emit, NULL);
	wa_picture_event_free(ev);
	REQUIRE(ngot == 2);
	CHECK_EQ_STR(got[0][0], "33600000003@s.whatsapp.net");
	CHECK_EQ_STR(got[0][1], "5");
	CHECK_EQ_STR(got[1][0], "33600000004@s.whatsapp.net");
	CHECK_EQ_STR(got[1][1], "7");
}

TEST_MAIN()
