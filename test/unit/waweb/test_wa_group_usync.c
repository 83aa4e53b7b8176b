/*
 * test_wa_group_usync.c: waweb/usync.c's contact query (is a phone number
 * on WhatsApp) without a connection: the iq it builds, answers shaped like
 * wasim's (jid = PN) and the real server's LID-addressed ones (jid = LID,
 * pn_jid = PN), unknown numbers, junk and limits.
 */
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "util/buf.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/usync.h"

static char *
xml(const struct wa_node *n)
{
	static char out[4096];
	struct u_buf b;

	u_buf_init(&b, sizeof(out) - 1);
	if (wa_node_to_xml(n, &b, 0) != 0 || b.len >= sizeof(out)) {
		u_buf_free(&b);
		return strcpy(out, "(too big)");
	}
	memcpy(out, b.p, b.len);
	out[b.len] = 0;
	u_buf_free(&b);
	return out;
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
user(const char *jid, const char *pn_jid, const char *type, const char *lid)
{
	struct wa_node *u = wa_node_new("user"), *c, *l;

	if (jid != NULL)
		set_jid(u, "jid", jid);
	if (pn_jid != NULL)
		set_jid(u, "pn_jid", pn_jid);
	c = wa_node_new("contact");
	wa_node_set_attr(c, "type", type);
	wa_node_add_child(u, c);
	if (lid != NULL) {
		l = wa_node_new("lid");
		set_jid(l, "val", lid);
		wa_node_add_child(u, l);
	}
	return u;
}

static struct wa_node *
answer(struct wa_node *list)
{
	struct wa_node *iq = wa_node_new("iq"), *us = wa_node_new("usync");

	wa_node_set_attr(iq, "type", "result");
	wa_node_add_child(us, list);
	wa_node_add_child(iq, us);
	return iq;
}

TEST(build_contact_query)
{
	const char *ph[2] = { "+33612345678", "4915112345678" };
	struct wa_node *n = wa_usync_build_contacts(ph, 2, "1.2-1");

	REQUIRE(n != NULL);
	CHECK_EQ_STR(xml(n), "<iq xmlns=\"usync\" type=\"get\" "
	    "to=\"s.whatsapp.net\"><usync sid=\"1.2-1\" mode=\"query\" "
	    "last=\"true\" index=\"0\" context=\"interactive\"><query>"
	    "<contact/><lid/></query><list><user><contact>+33612345678"
	    "</contact></user><user><contact>+4915112345678</contact></user>"
	    "</list></usync></iq>");
	wa_node_free(n);
}

TEST(build_rejects_bad_phones)
{
	const char *bad[] = { "+33 6 12", "123", "+0612345678",
	    "123456789012345678901", "+33a12345678", "", NULL };
	const char *ok[1] = { "33612345678" };
	const char *many[WA_USYNC_MAX_PHONES + 1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(wa_usync_build_contacts(&bad[i], 1, "s") == NULL);
	CHECK(wa_usync_build_contacts(ok, 0, "s") == NULL);
	CHECK(wa_usync_build_contacts(ok, 1, NULL) == NULL);
	for (i = 0; i <= WA_USYNC_MAX_PHONES; i++)
		many[i] = "33612345678";
	CHECK(wa_usync_build_contacts(many, WA_USYNC_MAX_PHONES + 1, "s") ==
	    NULL);
}

TEST(parse_pn_and_lid_answers)
{
	const char *ph[3] = { "+33612345678", "+4915112345678", "+15550001111" };
	struct wa_usync_contact out[3];
	struct wa_node *list = wa_node_new("list"), *res;

	/* wasim's shape: jid = PN, <lid val>. */
	wa_node_add_child(list, user("33612345678@s.whatsapp.net", NULL, "in",
	    "100000000000001@lid"));
	/* The real server's LID addressing: jid = LID, pn_jid = PN. */
	wa_node_add_child(list, user("200000000000002@lid",
	    "4915112345678@s.whatsapp.net", "in", NULL));
	/* Not on WhatsApp. */
	wa_node_add_child(list, user("15550001111@s.whatsapp.net", NULL, "out",
	    NULL));
	/* Someone nobody asked about. */
	wa_node_add_child(list, user("19999999999@s.whatsapp.net", NULL, "in",
	    NULL));
	wa_node_add_child(list, wa_node_new("junk"));
	res = answer(list);
	REQUIRE(wa_usync_parse_contacts(res, ph, 3, out) == 0);
	CHECK_EQ_STR(out[0].phone, "33612345678");
	CHECK(out[0].on_whatsapp && out[0].has_pn && out[0].has_lid);
	CHECK_EQ_STR(out[0].lid.user, "100000000000001");
	CHECK(out[1].on_whatsapp && out[1].has_pn && out[1].has_lid);
	CHECK_EQ_STR(out[1].pn.user, "4915112345678");
	CHECK_EQ_STR(out[1].lid.user, "200000000000002");
	CHECK(!out[2].on_whatsapp);
	wa_node_free(res);
}

TEST(parse_missing_and_malformed)
{
	const char *ph[1] = { "+33612345678" };
	struct wa_usync_contact out[1];
	struct wa_node *list = wa_node_new("list"), *res, *u;
	size_t i;

	/* Omitted from the answer: not on WhatsApp. */
	res = answer(list);
	REQUIRE(wa_usync_parse_contacts(res, ph, 1, out) == 0);
	CHECK(!out[0].on_whatsapp && !out[0].has_pn);
	/* A user with a bad jid string and no contact echo: ignored. */
	u = wa_node_new("user");
	wa_node_set_attr(u, "jid", "x@@y");
	wa_node_add_child(list, u);
	REQUIRE(wa_usync_parse_contacts(res, ph, 1, out) == 0);
	CHECK(!out[0].on_whatsapp);
	/* Matched by the echoed contact (whatsmeow's "<n>@c.us" form). */
	u = wa_node_new("user");
	wa_node_add_child(u, wa_node_new("contact"));
	wa_node_set_string(wa_node_child(u, "contact"), "33612345678@c.us");
	wa_node_set_attr(wa_node_child(u, "contact"), "type", "in");
	wa_node_add_child(list, u);
	REQUIRE(wa_usync_parse_contacts(res, ph, 1, out) == 0);
	CHECK(out[0].on_whatsapp);
	/* The same echo typed as a JID (how it decodes off the wire). */
	{
		struct wa_jid cj;

		REQUIRE(wa_jid_parse("33612345678@c.us", &cj) == 0);
		wa_node_set_jid(wa_node_child(u, "contact"), &cj);
		memset(out, 0, sizeof(out));
		REQUIRE(wa_usync_parse_contacts(res, ph, 1, out) == 0);
		CHECK(out[0].on_whatsapp);
	}
	/* Too many users. */
	for (i = 0; i < 2 * WA_USYNC_MAX_PHONES; i++)
		wa_node_add_child(list, wa_node_new("user"));
	CHECK_EQ_INT(wa_usync_parse_contacts(res, ph, 1, out), WA_ERR_TOO_BIG);
	wa_node_free(res);
	/* No list. */
	res = wa_node_new("iq");
	CHECK_EQ_INT(wa_usync_parse_contacts(res, ph, 1, out), WA_ERR_BAD_NODE);
	wa_node_free(res);
	CHECK_EQ_INT(wa_usync_parse_contacts(NULL, ph, 0, out), U_ERR_INVALID);
}

TEST_MAIN()
