/*
 * test_wa_group_presence.c: waweb/presence.c parsers on stanzas shaped
 * like the server's (through the binary codec), and malformed ones.
 */
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "util/buf.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/presence.h"

static struct wa_node *
wire(struct wa_node *n)
{
	struct u_buf b;
	struct wa_node *d = NULL;

	u_buf_init(&b, 1 << 20);
	if (wa_node_encode(n, &b) != 0 || wa_node_decode(b.p, b.len, &d) != 0)
		abort();
	u_buf_free(&b);
	wa_node_free(n);
	return d;
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
chatstate(const char *from, const char *participant, const char *state,
    const char *media)
{
	struct wa_node *n = wa_node_new("chatstate"), *x;

	set_jid(n, "from", from);
	if (participant != NULL)
		set_jid(n, "participant", participant);
	if (state != NULL) {
		x = wa_node_new(state);
		if (media != NULL)
			wa_node_set_attr(x, "media", media);
		wa_node_add_child(n, x);
	}
	return wire(n);
}

TEST(chatstate_user_and_group)
{
	struct wa_presence_event ev;
	struct wa_node *n;

	n = chatstate("222222222222222@lid", NULL, "composing", NULL);
	REQUIRE(wa_presence_parse(n, &ev) == 0);
	CHECK_EQ_INT(ev.kind, WA_PRESENCE_EV_CHATSTATE);
	CHECK_EQ_INT(ev.state, WA_CHAT_COMPOSING);
	CHECK_EQ_STR(ev.from.user, "222222222222222");
	CHECK(!ev.has_participant);
	wa_node_free(n);
	n = chatstate("33600000002@s.whatsapp.net", NULL, "composing", "audio");
	REQUIRE(wa_presence_parse(n, &ev) == 0);
	CHECK_EQ_INT(ev.state, WA_CHAT_RECORDING);
	CHECK_EQ_STR(wa_chatstate_name(ev.state), "recording");
	wa_node_free(n);
	n = chatstate("120363025246125486@g.us", "222222222222222@lid",
	    "paused", NULL);
	REQUIRE(wa_presence_parse(n, &ev) == 0);
	CHECK_EQ_INT(ev.state, WA_CHAT_PAUSED);
	CHECK(ev.has_participant);
	CHECK_EQ_STR(ev.participant.user, "222222222222222");
	wa_node_free(n);
}

TEST(chatstate_rejects_malformed)
{
	struct wa_presence_event ev;
	struct wa_node *n;

	n = chatstate("222@lid", NULL, "dancing", NULL);
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = chatstate("222@lid", NULL, NULL, NULL);
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	/* A group chat state must say who. */
	n = chatstate("120363025246125486@g.us", NULL, "composing", NULL);
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = chatstate("status@broadcast", NULL, "composing", NULL);
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_JID);
	wa_node_free(n);
	n = chatstate("222@lid", NULL, "composing", NULL);
	wa_node_add_child(n, wa_node_new("paused"));
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_set_attr(n, "from", NULL);
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_set_attr(n, "from", "x@@y");
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_JID);
	wa_node_free(n);
	n = wa_node_new("message");
	CHECK(!wa_presence_is_stanza(n));
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
}

TEST(presence_updates)
{
	struct wa_presence_event ev;
	struct wa_node *n;

	n = wa_node_new("presence");
	set_jid(n, "from", "222222222222222@lid");
	n = wire(n);
	REQUIRE(wa_presence_parse(n, &ev) == 0);
	CHECK_EQ_INT(ev.kind, WA_PRESENCE_EV_PRESENCE);
	CHECK(ev.available);
	CHECK_EQ_INT(ev.last_seen, 0);
	wa_node_set_attr(n, "type", "unavailable");
	wa_node_set_attr(n, "last", "1700000500");
	REQUIRE(wa_presence_parse(n, &ev) == 0);
	CHECK(!ev.available);
	CHECK_EQ_INT(ev.last_seen, 1700000500);
	wa_node_set_attr(n, "last", "deny");
	REQUIRE(wa_presence_parse(n, &ev) == 0);
	CHECK(ev.last_seen_hidden);
	CHECK_EQ_INT(ev.last_seen, 0);
	wa_node_set_attr(n, "last", "99999999999999999999999");
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_set_attr(n, "last", NULL);
	wa_node_set_attr(n, "type", "sleepy");
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_NODE);
	wa_node_set_attr(n, "type", NULL);
	set_jid(n, "from", "120363025246125486@g.us");
	CHECK_EQ_INT(wa_presence_parse(n, &ev), WA_ERR_BAD_JID);
	wa_node_free(n);
}

TEST_MAIN()
