/*
 * test_wa_group.c: waweb/group.c without a connection: the iqs it builds,
 * group metadata / list / participant-change / invite / join replies and
 * w:gp2 and picture notifications shaped like the real server's (values
 * round-tripped through the binary codec, so attributes arrive typed as
 * they do on the wire), and malformed or oversized ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "util/buf.h"
#include "util/err.h"
#include "waweb/errors.h"
#include "waweb/group.h"
#include "waweb/node.h"

static char *
xml(const struct wa_node *n)
{
	static char out[16384];
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

static struct wa_jid
jid(const char *s)
{
	struct wa_jid j;

	memset(&j, 0, sizeof(j));
	if (wa_jid_parse(s, &j) != 0)
		abort();
	return j;
}

/* Encode and decode n (freed), as the connection would hand it to us. */
static struct wa_node *
wire(struct wa_node *n)
{
	struct u_buf b;
	struct wa_node *d = NULL;

	u_buf_init(&b, (size_t)32 << 20);
	if (wa_node_encode(n, &b) != 0 || wa_node_decode(b.p, b.len, &d) != 0)
		abort();
	u_buf_free(&b);
	wa_node_free(n);
	return d;
}

static void
set_jid(struct wa_node *n, const char *key, const char *s)
{
	struct wa_jid j = jid(s);

	wa_node_set_attr_jid(n, key, &j);
}

static struct wa_node *
participant(const char *j, const char *pn, const char *type)
{
	struct wa_node *p = wa_node_new("participant");

	set_jid(p, "jid", j);
	if (pn != NULL)
		set_jid(p, "phone_number", pn);
	if (type != NULL)
		wa_node_set_attr(p, "type", type);
	return p;
}

/* A <group> as the server sends it for a LID-addressed group. */
static struct wa_node *
group_node(void)
{
	struct wa_node *g = wa_node_new("group"), *d, *b, *x;

	wa_node_set_attr(g, "id", "120363025246125486");
	set_jid(g, "creator", "111111111111111@lid");
	set_jid(g, "creator_pn", "33600000001@s.whatsapp.net");
	wa_node_set_attr(g, "creation", "1700000000");
	wa_node_set_attr(g, "subject", "Équipe ✓");
	wa_node_set_attr(g, "s_t", "1700000100");
	set_jid(g, "s_o", "111111111111111@lid");
	wa_node_set_attr(g, "addressing_mode", "lid");
	wa_node_set_attr(g, "size", "3");
	wa_node_add_child(g, participant("111111111111111@lid",
	    "33600000001@s.whatsapp.net", "superadmin"));
	wa_node_add_child(g, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net", "admin"));
	wa_node_add_child(g, participant("333333333333333@lid", NULL, NULL));
	d = wa_node_new("description");
	wa_node_set_attr(d, "id", "AB12CD34");
	set_jid(d, "participant", "222222222222222@lid");
	wa_node_set_attr(d, "t", "1700000200");
	b = wa_node_new("body");
	wa_node_set_bytes(b, "line 1\nline 2", 13);
	wa_node_add_child(d, b);
	wa_node_add_child(g, d);
	wa_node_add_child(g, wa_node_new("announcement"));
	wa_node_add_child(g, wa_node_new("membership_approval_mode"));
	x = wa_node_new("ephemeral");
	wa_node_set_attr(x, "expiration", "86400");
	wa_node_add_child(g, x);
	wa_node_add_child(g, wa_node_new("future_thing"));
	return g;
}

static struct wa_node *
result(struct wa_node *child)
{
	struct wa_node *iq = wa_node_new("iq");

	wa_node_set_attr(iq, "id", "1.2-3");
	wa_node_set_attr(iq, "type", "result");
	set_jid(iq, "from", "120363025246125486@g.us");
	if (child != NULL)
		wa_node_add_child(iq, child);
	return iq;
}

TEST(group_info_parses_real_shape)
{
	struct wa_node *g = wire(group_node());
	struct wa_group_info *info = NULL;
	char s[WA_JID_STR_MAX];

	REQUIRE(wa_group_parse_info(g, &info) == 0);
	CHECK_EQ_STR(wa_jid_format(&info->jid, s, sizeof(s)),
	    "120363025246125486@g.us");
	CHECK_EQ_STR(info->subject, "Équipe ✓");
	CHECK(info->has_subject_owner);
	CHECK_EQ_INT(info->subject_time, 1700000100);
	CHECK_EQ_STR(wa_jid_format(&info->creator, s, sizeof(s)),
	    "111111111111111@lid");
	CHECK_EQ_STR(wa_jid_format(&info->creator_pn, s, sizeof(s)),
	    "33600000001@s.whatsapp.net");
	CHECK_EQ_INT(info->creation, 1700000000);
	CHECK_EQ_STR(info->description, "line 1\nline 2");
	CHECK_EQ_STR(info->description_id, "AB12CD34");
	CHECK_EQ_INT(info->description_time, 1700000200);
	CHECK(info->announce);
	CHECK(!info->locked);
	CHECK(info->approval);
	CHECK_EQ_INT(info->ephemeral, 86400);
	CHECK(info->lid_addressing);
	CHECK_EQ_INT(info->size, 3);
	REQUIRE(info->nparticipants == 3);
	CHECK_EQ_INT(info->participants[0].role, WA_GROUP_SUPERADMIN);
	CHECK_EQ_INT(info->participants[1].role, WA_GROUP_ADMIN);
	CHECK_EQ_INT(info->participants[2].role, WA_GROUP_MEMBER);
	CHECK(info->participants[0].has_pn && info->participants[0].has_lid);
	CHECK_EQ_STR(wa_jid_format(&info->participants[1].phone_number, s,
	    sizeof(s)), "33600000002@s.whatsapp.net");
	CHECK_EQ_STR(wa_jid_format(&info->participants[2].lid, s, sizeof(s)),
	    "333333333333333@lid");
	CHECK(!info->participants[2].has_pn);
	wa_group_info_free(info);
	wa_node_free(g);
}

TEST(group_info_pn_participant_and_lid_attr)
{
	struct wa_node *g = wa_node_new("group"), *p;
	struct wa_group_info *info = NULL;
	char s[WA_JID_STR_MAX];

	wa_node_set_attr(g, "id", "1203630000@g.us");
	p = participant("33600000005@s.whatsapp.net", NULL, NULL);
	set_jid(p, "lid", "555555555555555@lid");
	wa_node_add_child(g, p);
	g = wire(g);
	REQUIRE(wa_group_parse_info(g, &info) == 0);
	CHECK_EQ_STR(info->subject, "");
	CHECK(info->description == NULL);
	CHECK_EQ_INT(info->size, 1);
	CHECK_EQ_STR(wa_jid_format(&info->participants[0].lid, s, sizeof(s)),
	    "555555555555555@lid");
	CHECK_EQ_STR(wa_jid_format(&info->participants[0].phone_number, s,
	    sizeof(s)), "33600000005@s.whatsapp.net");
	wa_group_info_free(info);
	wa_node_free(g);
}

TEST(group_info_rejects_malformed)
{
	struct wa_group_info *info = NULL;
	struct wa_node *g, *p, *d, *b;
	char big[WA_GROUP_MAX_SUBJECT + 2];

	/* No id. */
	g = wa_node_new("group");
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_BAD_NODE);
	/* id that is a user, not a group. */
	wa_node_set_attr(g, "id", "33600000001@s.whatsapp.net");
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_BAD_JID);
	wa_node_set_attr(g, "id", "1203630000");
	/* Subject too long. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	wa_node_set_attr(g, "subject", big);
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_TOO_BIG);
	/* Subject not UTF-8. */
	wa_node_set_attr(g, "subject", "bad \xc3\x28");
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_BAD_UTF8);
	wa_node_set_attr(g, "subject", "ok");
	/* Time not a number. */
	wa_node_set_attr(g, "creation", "yesterday");
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_BAD_NODE);
	wa_node_set_attr(g, "creation", NULL);
	/* Participant without jid. */
	p = wa_node_new("participant");
	wa_node_add_child(g, p);
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_BAD_NODE);
	wa_node_set_attr(p, "jid", "not a jid@@");
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_BAD_JID);
	wa_node_set_attr(p, "jid", "111@lid");
	/* Description body not text. */
	d = wa_node_new("description");
	b = wa_node_new("body");
	wa_node_add_child(b, wa_node_new("x"));
	wa_node_add_child(d, b);
	wa_node_add_child(g, d);
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_BAD_NODE);
	wa_node_set_bytes(b, "ok", 2);
	REQUIRE(wa_group_parse_info(g, &info) == 0);
	wa_group_info_free(info);
	info = NULL;
	/* Wrong tag. */
	CHECK_EQ_INT(wa_group_parse_info(p, &info), WA_ERR_BAD_NODE);
	CHECK_EQ_INT(wa_group_parse_info(NULL, &info), WA_ERR_BAD_NODE);
	CHECK(info == NULL);
	wa_node_free(g);
}

/* A subject or description that looks like a JID is packed as one by the
 * encoders (Baileys, ours): it must come back as text, not be refused. */
TEST(group_info_jid_looking_texts)
{
	struct wa_node *g = wa_node_new("group"), *d, *b, *w;
	struct wa_group_info *info = NULL;

	wa_node_set_attr(g, "id", "1203630000");
	wa_node_set_attr(g, "subject", "team@s.whatsapp.net");
	d = wa_node_new("description");
	wa_node_set_attr(d, "id", "D1");
	b = wa_node_new("body");
	wa_node_set_string(b, "123@lid");
	wa_node_add_child(d, b);
	wa_node_add_child(g, d);
	w = wire(g);
	REQUIRE(wa_node_attr_get(w, "subject")->kind == WA_VAL_JID);
	REQUIRE(wa_group_parse_info(w, &info) == 0);
	CHECK_EQ_STR(info->subject, "team@s.whatsapp.net");
	CHECK_EQ_STR(info->description, "123@lid");
	wa_group_info_free(info);
	wa_node_free(w);
}

TEST(group_info_participant_limit)
{
	struct wa_node *g = wa_node_new("group");
	struct wa_group_info *info = NULL;
	char s[64];
	size_t i;

	wa_node_set_attr(g, "id", "1203630000");
	for (i = 0; i < WA_GROUP_MAX_PARTICIPANTS; i++) {
		snprintf(s, sizeof(s), "%zu@lid", 100000 + i);
		wa_node_add_child(g, participant(s, NULL, NULL));
	}
	REQUIRE(wa_group_parse_info(g, &info) == 0);
	CHECK_EQ_INT(info->nparticipants, WA_GROUP_MAX_PARTICIPANTS);
	wa_group_info_free(info);
	info = NULL;
	wa_node_add_child(g, participant("99@lid", NULL, NULL));
	CHECK_EQ_INT(wa_group_parse_info(g, &info), WA_ERR_TOO_BIG);
	CHECK(info == NULL);
	wa_node_free(g);
}

TEST(group_list_parses)
{
	struct wa_node *gs = wa_node_new("groups"), *g2 = wa_node_new("group");
	struct wa_node *res;
	struct wa_group_info **list = NULL;
	size_t n = 0;

	wa_node_add_child(gs, group_node());
	wa_node_set_attr(g2, "id", "120363999");
	wa_node_set_attr(g2, "subject", "second");
	wa_node_add_child(gs, g2);
	res = wire(result(gs));
	REQUIRE(wa_group_parse_list(res, &list, &n) == 0);
	REQUIRE(n == 2);
	CHECK_EQ_STR(list[0]->subject, "Équipe ✓");
	CHECK_EQ_STR(list[1]->subject, "second");
	CHECK_EQ_STR(list[1]->jid.user, "120363999");
	wa_group_list_free(list, n);
	/* One bad group fails the list; no <groups>: bad. */
	wa_node_set_attr(wa_node_child(res, "groups")->children[1], "id", NULL);
	CHECK_EQ_INT(wa_group_parse_list(res, &list, &n), WA_ERR_BAD_NODE);
	wa_node_free(res);
	res = result(NULL);
	CHECK_EQ_INT(wa_group_parse_list(res, &list, &n), WA_ERR_BAD_NODE);
	wa_node_free(res);
}

TEST(participants_result_with_add_request)
{
	struct wa_node *a = wa_node_new("add"), *p, *ar, *res;
	struct wa_group_participant *ps = NULL;
	size_t n = 0;

	wa_node_add_child(a, participant("33600000002@s.whatsapp.net", NULL,
	    NULL));
	p = participant("33600000003@s.whatsapp.net", NULL, NULL);
	wa_node_set_attr(p, "error", "403");
	ar = wa_node_new("add_request");
	wa_node_set_attr(ar, "code", "AbCd1234XyZ");
	wa_node_set_attr(ar, "expiration", "1700604800");
	wa_node_add_child(p, ar);
	wa_node_add_child(a, p);
	p = participant("33600000004@s.whatsapp.net", NULL, NULL);
	wa_node_set_attr(p, "error", "409");
	wa_node_add_child(a, p);
	res = wire(result(a));
	REQUIRE(wa_group_parse_participants(res, "add", &ps, &n) == 0);
	REQUIRE(n == 3);
	CHECK_EQ_INT(ps[0].error, 0);
	CHECK(ps[0].add_request_code == NULL);
	CHECK_EQ_INT(ps[1].error, 403);
	CHECK_EQ_STR(ps[1].add_request_code, "AbCd1234XyZ");
	CHECK_EQ_INT(ps[1].add_request_expiration, 1700604800);
	CHECK_EQ_INT(ps[2].error, 409);
	wa_group_participants_free(ps, n);
	/* Asked for remove, answered add: bad. */
	CHECK_EQ_INT(wa_group_parse_participants(res, "remove", &ps, &n),
	    WA_ERR_BAD_NODE);
	/* add_request without code; error not a number or too big. */
	ar = wa_node_child(wa_node_child(res, "add")->children[1],
	    "add_request");
	wa_node_set_attr(ar, "code", NULL);
	CHECK_EQ_INT(wa_group_parse_participants(res, "add", &ps, &n),
	    WA_ERR_BAD_NODE);
	wa_node_set_attr(ar, "code", "x");
	wa_node_set_attr(ar, "expiration", "-1");
	CHECK_EQ_INT(wa_group_parse_participants(res, "add", &ps, &n),
	    WA_ERR_BAD_NODE);
	wa_node_set_attr(ar, "expiration", "5");
	wa_node_set_attr(wa_node_child(res, "add")->children[2], "error",
	    "100000");
	CHECK_EQ_INT(wa_group_parse_participants(res, "add", &ps, &n),
	    WA_ERR_BAD_NODE);
	wa_node_free(res);
}

TEST(invite_and_join_replies)
{
	struct wa_node *inv = wa_node_new("invite"), *res, *g;
	char buf[sizeof(WA_GROUP_INVITE_PREFIX) + WA_GROUP_MAX_TOKEN + 1];
	char code[WA_GROUP_MAX_TOKEN + 1];
	struct wa_jid gj;
	int pending = -1;

	wa_node_set_attr(inv, "code", "Fz9kQ2pLmN3xYw7R8tUv1a");
	res = wire(result(inv));
	REQUIRE(wa_group_parse_invite(res, buf, sizeof(buf)) == 0);
	CHECK_EQ_STR(buf, "https://chat.whatsapp.com/Fz9kQ2pLmN3xYw7R8tUv1a");
	CHECK_EQ_INT(wa_group_parse_invite(res, buf, 20), U_ERR_TOO_BIG);
	wa_node_set_attr(wa_node_child(res, "invite"), "code", "a/b");
	CHECK_EQ_INT(wa_group_parse_invite(res, buf, sizeof(buf)),
	    WA_ERR_BAD_NODE);
	wa_node_free(res);

	CHECK_EQ_INT(wa_group_invite_code(
	    "https://chat.whatsapp.com/Fz9kQ2pL", code, sizeof(code)), 0);
	CHECK_EQ_STR(code, "Fz9kQ2pL");
	CHECK_EQ_INT(wa_group_invite_code("chat.whatsapp.com/abc", code,
	    sizeof(code)), 0);
	CHECK_EQ_STR(code, "abc");
	CHECK_EQ_INT(wa_group_invite_code("abc", code, sizeof(code)), 0);
	CHECK_EQ_INT(wa_group_invite_code("", code, sizeof(code)),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_group_invite_code("https://chat.whatsapp.com/",
	    code, sizeof(code)), U_ERR_INVALID);
	CHECK_EQ_INT(wa_group_invite_code("ab cd", code, sizeof(code)),
	    U_ERR_INVALID);
	CHECK_EQ_INT(wa_group_invite_code("abcdef", code, 4), U_ERR_INVALID);

	g = wa_node_new("group");
	set_jid(g, "jid", "120363025246125486@g.us");
	res = wire(result(g));
	REQUIRE(wa_group_parse_join(res, &gj, &pending) == 0);
	CHECK_EQ_STR(gj.user, "120363025246125486");
	CHECK_EQ_INT(pending, 0);
	wa_node_free(res);
	g = wa_node_new("membership_approval_request");
	set_jid(g, "jid", "120363025246125486@g.us");
	res = wire(result(g));
	REQUIRE(wa_group_parse_join(res, &gj, &pending) == 0);
	CHECK_EQ_INT(pending, 1);
	wa_node_free(res);
	g = wa_node_new("group");
	set_jid(g, "jid", "33600000001@s.whatsapp.net");
	res = wire(result(g));
	CHECK_EQ_INT(wa_group_parse_join(res, &gj, &pending), WA_ERR_BAD_JID);
	wa_node_free(res);
	res = result(NULL);
	CHECK_EQ_INT(wa_group_parse_join(res, &gj, &pending), WA_ERR_BAD_NODE);
	wa_node_free(res);
}

TEST(join_requests_and_action_replies)
{
	struct wa_node *l = wa_node_new("membership_approval_requests"), *q;
	struct wa_node *res, *ma, *ap, *p;
	struct wa_group_participant *ps = NULL;
	size_t n = 0;

	q = wa_node_new("membership_approval_request");
	set_jid(q, "jid", "333333333333333@lid");
	wa_node_set_attr(q, "request_time", "1700000700");
	wa_node_add_child(l, q);
	q = wa_node_new("membership_approval_request");
	set_jid(q, "jid", "33600000004@s.whatsapp.net");
	wa_node_add_child(l, q);
	res = wire(result(l));
	REQUIRE(wa_group_parse_join_requests(res, &ps, &n) == 0);
	REQUIRE(n == 2);
	CHECK(ps[0].has_lid);
	CHECK_EQ_INT(ps[0].request_time, 1700000700);
	CHECK(ps[1].has_pn && ps[1].request_time == 0);
	wa_group_participants_free(ps, n);
	/* A request without jid, or a bad time: refused. */
	q = wa_node_child(res, "membership_approval_requests")->children[1];
	wa_node_set_attr(q, "request_time", "soon");
	CHECK_EQ_INT(wa_group_parse_join_requests(res, &ps, &n),
	    WA_ERR_BAD_NODE);
	wa_node_set_attr(q, "request_time", NULL);
	wa_node_set_attr(q, "jid", NULL);
	CHECK_EQ_INT(wa_group_parse_join_requests(res, &ps, &n),
	    WA_ERR_BAD_NODE);
	wa_node_free(res);

	ma = wa_node_new("membership_requests_action");
	ap = wa_node_new("approve");
	wa_node_add_child(ap, participant("333333333333333@lid", NULL, NULL));
	p = participant("33600000009@s.whatsapp.net", NULL, NULL);
	wa_node_set_attr(p, "error", "404");
	wa_node_add_child(ap, p);
	wa_node_add_child(ma, ap);
	res = wire(result(ma));
	REQUIRE(wa_group_parse_requests_action(res, 1, &ps, &n) == 0);
	REQUIRE(n == 2);
	CHECK_EQ_INT(ps[0].error, 0);
	CHECK_EQ_INT(ps[1].error, 404);
	wa_group_participants_free(ps, n);
	CHECK_EQ_INT(wa_group_parse_requests_action(res, 0, &ps, &n),
	    WA_ERR_BAD_NODE);
	wa_node_free(res);
	res = result(NULL);
	CHECK_EQ_INT(wa_group_parse_join_requests(res, &ps, &n),
	    WA_ERR_BAD_NODE);
	wa_node_free(res);
}

TEST(builders_match_whatsmeow_shapes)
{
	struct wa_jid ps[2] = { jid("33600000002@s.whatsapp.net"),
	    jid("222222222222222:3@lid") };
	struct wa_jid g = jid("120363025246125486@g.us");
	struct wa_node *n;
	char big[WA_GROUP_MAX_DESCRIPTION + 2];

	n = wa_group_build_create("Team", ps, 2, "ABCD");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(xml(n), "<iq xmlns=\"w:g2\" type=\"set\" to=\"g.us\">"
	    "<create subject=\"Team\" key=\"ABCD\">"
	    "<participant jid=\"33600000002@s.whatsapp.net\"/>"
	    "<participant jid=\"222222222222222@lid\"/>"
	    "<member_add_mode>all_member_add</member_add_mode>"
	    "<ephemeral expiration=\"0\"/>"
	    "<membership_approval_mode><group_join state=\"off\"/>"
	    "</membership_approval_mode></create></iq>");
	wa_node_free(n);
	CHECK(wa_group_build_create("", ps, 2, "K") == NULL);
	CHECK(wa_group_build_create("bad \xff", ps, 2, "K") == NULL);
	CHECK(wa_group_build_create("x", NULL, 2, "K") == NULL);
	CHECK(wa_group_build_create("x", ps, WA_GROUP_MAX_PARTICIPANTS, "K") ==
	    NULL);

	n = wa_group_build_participants(&g, WA_GROUP_PROMOTE, ps, 1);
	REQUIRE(n != NULL);
	CHECK_EQ_STR(xml(n), "<iq xmlns=\"w:g2\" type=\"set\" "
	    "to=\"120363025246125486@g.us\"><promote>"
	    "<participant jid=\"33600000002@s.whatsapp.net\"/></promote></iq>");
	wa_node_free(n);
	CHECK(wa_group_build_participants(&ps[0], WA_GROUP_ADD, ps, 1) == NULL);
	CHECK(wa_group_build_participants(&g, WA_GROUP_ADD, ps, 0) == NULL);
	CHECK(wa_group_build_participants(&g, (enum wa_group_action)9, ps,
	    1) == NULL);

	n = wa_group_build_description(&g, "new text", "OLD1", "NEW2");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(xml(n), "<iq xmlns=\"w:g2\" type=\"set\" "
	    "to=\"120363025246125486@g.us\"><description id=\"NEW2\" "
	    "prev=\"OLD1\"><body>new text</body></description></iq>");
	wa_node_free(n);
	n = wa_group_build_description(&g, NULL, "OLD1", "NEW3");
	REQUIRE(n != NULL);
	CHECK_EQ_STR(xml(n), "<iq xmlns=\"w:g2\" type=\"set\" "
	    "to=\"120363025246125486@g.us\"><description id=\"NEW3\" "
	    "prev=\"OLD1\" delete=\"true\"/></iq>");
	wa_node_free(n);
	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(wa_group_build_description(&g, big, NULL, "N") == NULL);
	CHECK(wa_group_build_description(&g, "x", NULL, "a b") == NULL);

	n = wa_group_build_setting(&g, WA_GROUP_SET_ANNOUNCE, 1);
	CHECK(strstr(xml(n), "><announcement/></iq>") != NULL);
	wa_node_free(n);
	n = wa_group_build_setting(&g, WA_GROUP_SET_LOCKED, 0);
	CHECK(strstr(xml(n), "><unlocked/></iq>") != NULL);
	wa_node_free(n);
	n = wa_group_build_setting(&g, WA_GROUP_SET_APPROVAL, 1);
	CHECK(strstr(xml(n), "<membership_approval_mode><group_join "
	    "state=\"on\"/></membership_approval_mode>") != NULL);
	wa_node_free(n);
	CHECK(wa_group_build_setting(&g, (enum wa_group_setting)7, 1) == NULL);
}

/* <notification type=w:gp2 from=GID participant=actor …>children…. */
static struct wa_node *
notif(const char *actor, const char *actor_pn)
{
	struct wa_node *n = wa_node_new("notification");

	set_jid(n, "from", "120363025246125486@g.us");
	wa_node_set_attr(n, "type", "w:gp2");
	wa_node_set_attr(n, "id", "2871536");
	wa_node_set_attr(n, "t", "1700000300");
	if (actor != NULL)
		set_jid(n, "participant", actor);
	if (actor_pn != NULL)
		set_jid(n, "participant_pn", actor_pn);
	wa_node_set_attr(n, "notify", "Alice");
	return n;
}

TEST(notification_member_changes)
{
	struct wa_node *n = notif("111111111111111@lid",
	    "33600000001@s.whatsapp.net"), *a;
	struct wa_group_event *ev = NULL;

	a = wa_node_new("add");
	wa_node_set_attr(a, "reason", "invite");
	wa_node_add_child(a, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net", NULL));
	wa_node_add_child(a, participant("333333333333333@lid",
	    "33600000003@s.whatsapp.net", NULL));
	wa_node_add_child(n, a);
	a = wa_node_new("promote");
	wa_node_add_child(a, participant("222222222222222@lid", NULL, NULL));
	wa_node_add_child(n, a);
	n = wire(n);
	CHECK(wa_group_is_notification(n));
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	CHECK_EQ_STR(ev->group.user, "120363025246125486");
	CHECK_EQ_STR(ev->id, "2871536");
	CHECK(ev->has_actor && ev->has_actor_pn);
	CHECK_EQ_STR(ev->actor.user, "111111111111111");
	CHECK_EQ_STR(ev->notify, "Alice");
	CHECK_EQ_INT(ev->timestamp, 1700000300);
	REQUIRE(ev->nchanges == 2);
	CHECK_EQ_INT(ev->changes[0].kind, WA_GROUP_CH_ADD);
	CHECK_EQ_STR(ev->changes[0].text, "invite");
	REQUIRE(ev->changes[0].nparticipants == 2);
	CHECK_EQ_STR(ev->changes[0].participants[1].phone_number.user,
	    "33600000003");
	CHECK_EQ_INT(ev->changes[1].kind, WA_GROUP_CH_PROMOTE);
	CHECK_EQ_STR(wa_group_change_name(ev->changes[1].kind), "promote");
	wa_group_event_free(ev);
	wa_node_free(n);
}

TEST(notification_remove_of_actor_is_leave)
{
	struct wa_node *n, *a;
	struct wa_group_event *ev = NULL;

	/* The actor named by LID, the participant too. */
	n = notif("222222222222222@lid", "33600000002@s.whatsapp.net");
	a = wa_node_new("remove");
	wa_node_add_child(a, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net", NULL));
	wa_node_add_child(n, a);
	n = wire(n);
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	CHECK_EQ_INT(ev->changes[0].kind, WA_GROUP_CH_LEAVE);
	wa_group_event_free(ev);
	wa_node_free(n);
	/* By PN only. */
	n = notif(NULL, "33600000002@s.whatsapp.net");
	a = wa_node_new("remove");
	wa_node_add_child(a, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net", NULL));
	wa_node_add_child(n, a);
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	CHECK_EQ_INT(ev->changes[0].kind, WA_GROUP_CH_LEAVE);
	wa_group_event_free(ev);
	wa_node_free(n);
	/* Removed by an admin. */
	n = notif("111111111111111@lid", "33600000001@s.whatsapp.net");
	a = wa_node_new("remove");
	wa_node_add_child(a, participant("222222222222222@lid",
	    "33600000002@s.whatsapp.net", NULL));
	wa_node_add_child(n, a);
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	CHECK_EQ_INT(ev->changes[0].kind, WA_GROUP_CH_REMOVE);
	wa_group_event_free(ev);
	wa_node_free(n);
}

TEST(notification_info_changes)
{
	struct wa_node *n = notif("111111111111111@lid", NULL), *x, *b;
	struct wa_group_event *ev = NULL;

	x = wa_node_new("subject");
	wa_node_set_attr(x, "subject", "New name");
	wa_node_set_attr(x, "s_t", "1700000400");
	set_jid(x, "s_o", "111111111111111@lid");
	wa_node_add_child(n, x);
	x = wa_node_new("description");
	wa_node_set_attr(x, "id", "DD11");
	b = wa_node_new("body");
	wa_node_set_bytes(b, "topic ✓", strlen("topic ✓"));
	wa_node_add_child(x, b);
	wa_node_add_child(n, x);
	wa_node_add_child(n, wa_node_new("not_announcement"));
	wa_node_add_child(n, wa_node_new("locked"));
	x = wa_node_new("ephemeral");
	wa_node_set_attr(x, "expiration", "604800");
	wa_node_add_child(n, x);
	x = wa_node_new("invite");
	wa_node_set_attr(x, "code", "NewCode123");
	wa_node_add_child(n, x);
	x = wa_node_new("membership_approval_mode");
	b = wa_node_new("group_join");
	wa_node_set_attr(b, "state", "on");
	wa_node_add_child(x, b);
	wa_node_add_child(n, x);
	wa_node_add_child(n, wa_node_new("something_new"));
	x = wa_node_new("description");
	wa_node_set_attr(x, "id", "DD12");
	wa_node_add_child(x, wa_node_new("delete"));
	wa_node_add_child(n, x);
	n = wire(n);
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	REQUIRE(ev->nchanges == 8);
	CHECK_EQ_INT(ev->changes[0].kind, WA_GROUP_CH_SUBJECT);
	CHECK_EQ_STR(ev->changes[0].text, "New name");
	CHECK_EQ_INT(ev->changes[1].kind, WA_GROUP_CH_DESCRIPTION);
	CHECK_EQ_STR(ev->changes[1].text, "topic ✓");
	CHECK_EQ_STR(ev->changes[1].id, "DD11");
	CHECK_EQ_INT(ev->changes[2].kind, WA_GROUP_CH_ANNOUNCE);
	CHECK_EQ_INT(ev->changes[2].on, 0);
	CHECK_EQ_INT(ev->changes[3].kind, WA_GROUP_CH_LOCKED);
	CHECK_EQ_INT(ev->changes[3].on, 1);
	CHECK_EQ_INT(ev->changes[4].kind, WA_GROUP_CH_EPHEMERAL);
	CHECK_EQ_INT(ev->changes[4].ephemeral, 604800);
	CHECK_EQ_INT(ev->changes[5].kind, WA_GROUP_CH_INVITE);
	CHECK_EQ_STR(ev->changes[5].text, "NewCode123");
	CHECK_EQ_INT(ev->changes[6].kind, WA_GROUP_CH_APPROVAL);
	CHECK_EQ_INT(ev->changes[6].on, 1);
	CHECK_EQ_INT(ev->changes[7].kind, WA_GROUP_CH_DESCRIPTION);
	CHECK(ev->changes[7].text == NULL);
	wa_group_event_free(ev);
	wa_node_free(n);
}

TEST(notification_create_and_picture)
{
	struct wa_node *n = notif("111111111111111@lid", NULL), *x;
	struct wa_group_event *ev = NULL;

	x = wa_node_new("create");
	wa_node_set_attr(x, "reason", "add");
	wa_node_add_child(x, group_node());
	wa_node_add_child(n, x);
	n = wire(n);
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	REQUIRE(ev->nchanges == 1);
	CHECK_EQ_INT(ev->changes[0].kind, WA_GROUP_CH_CREATE);
	REQUIRE(ev->changes[0].info != NULL);
	CHECK_EQ_INT(ev->changes[0].info->nparticipants, 3);
	CHECK_EQ_STR(ev->changes[0].text, "add");
	wa_group_event_free(ev);
	wa_node_free(n);

	n = wa_node_new("notification");
	set_jid(n, "from", "120363025246125486@g.us");
	wa_node_set_attr(n, "type", "picture");
	wa_node_set_attr(n, "id", "77");
	x = wa_node_new("set");
	wa_node_set_attr(x, "id", "1700001234");
	set_jid(x, "author", "222222222222222@lid");
	wa_node_add_child(n, x);
	n = wire(n);
	CHECK(wa_group_is_notification(n));
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	CHECK_EQ_INT(ev->changes[0].kind, WA_GROUP_CH_PICTURE);
	CHECK_EQ_STR(ev->changes[0].id, "1700001234");
	CHECK(ev->has_actor);
	CHECK_EQ_STR(ev->actor.user, "222222222222222");
	wa_group_event_free(ev);
	/* A picture notification about a user is not ours. */
	set_jid(n, "from", "33600000002@s.whatsapp.net");
	CHECK(!wa_group_is_notification(n));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
}

TEST(notification_rejects_malformed)
{
	struct wa_node *n, *x;
	struct wa_group_event *ev = NULL;
	size_t i;

	/* Only unknown children. */
	n = notif("111@lid", NULL);
	wa_node_add_child(n, wa_node_new("frobnicate"));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	/* An add without participants. */
	wa_node_add_child(n, wa_node_new("add"));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	/* From a user. */
	n = notif("111@lid", NULL);
	set_jid(n, "from", "33600000001@s.whatsapp.net");
	wa_node_add_child(n, wa_node_new("locked"));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_JID);
	wa_node_set_attr(n, "from", NULL);
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	/* Subject without subject; bad code; create without group. */
	n = notif("111@lid", NULL);
	wa_node_add_child(n, wa_node_new("subject"));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = notif("111@lid", NULL);
	x = wa_node_new("invite");
	wa_node_set_attr(x, "code", "../../etc");
	wa_node_add_child(n, x);
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = notif("111@lid", NULL);
	wa_node_add_child(n, wa_node_new("create"));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	/* Too many changes. */
	n = notif("111@lid", NULL);
	for (i = 0; i < WA_GROUP_MAX_CHANGES; i++)
		wa_node_add_child(n, wa_node_new("locked"));
	REQUIRE(wa_group_parse_notification(n, &ev) == 0);
	CHECK_EQ_INT(ev->nchanges, WA_GROUP_MAX_CHANGES);
	wa_group_event_free(ev);
	ev = NULL;
	wa_node_add_child(n, wa_node_new("unlocked"));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_TOO_BIG);
	CHECK(ev == NULL);
	wa_node_free(n);
	/* Not a w:gp2 notification. */
	n = notif("111@lid", NULL);
	wa_node_set_attr(n, "type", "devices");
	wa_node_add_child(n, wa_node_new("locked"));
	CHECK(!wa_group_is_notification(n));
	CHECK_EQ_INT(wa_group_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
}

TEST_MAIN()
