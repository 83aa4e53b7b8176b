/*
 * test_wa_picture.c: waweb/picture.c: the get iq as whatsmeow and Baileys
 * send it, its answers (set, unchanged by status or by id, none, hidden,
 * other errors, malformed), <notification type=picture> for users and
 * groups (set, add, delete, jid from the notification, bad input), and
 * the download's refusals.
 */
#include <stdlib.h>
#include <string.h>

#include "test/unit/test.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/http.h"
#include "util/loop.h"
#include "waweb/errors.h"
#include "waweb/node.h"
#include "waweb/picture.h"

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

static struct wa_jid
jid(const char *s)
{
	struct wa_jid j;

	if (wa_jid_parse(s, &j) != 0)
		abort();
	return j;
}

TEST(build_get_user_and_group)
{
	struct wa_jid u = jid("33600000002:3@s.whatsapp.net");
	struct wa_jid g = jid("120363025246125486@g.us");
	struct wa_jid s = jid("s.whatsapp.net");
	struct wa_node *iq, *p;
	struct wa_jid t;

	iq = wa_picture_build_get(&u, 0, NULL);
	REQUIRE(iq != NULL);
	CHECK(strcmp(wa_node_attr(iq, "xmlns"), "w:profile:picture") == 0);
	CHECK(strcmp(wa_node_attr(iq, "type"), "get") == 0);
	REQUIRE(wa_node_attr_jid(iq, "target", &t) == 0);
	/* The device is dropped: pictures belong to accounts. */
	CHECK(strcmp(t.user, "33600000002") == 0 && t.device == 0);
	p = wa_node_child(iq, "picture");
	REQUIRE(p != NULL);
	CHECK(strcmp(wa_node_attr(p, "type"), "image") == 0);
	CHECK(strcmp(wa_node_attr(p, "query"), "url") == 0);
	CHECK(wa_node_attr(p, "id") == NULL);
	wa_node_free(iq);

	iq = wa_picture_build_get(&g, 1, "1700000000123");
	REQUIRE(iq != NULL);
	p = wa_node_child(iq, "picture");
	CHECK(strcmp(wa_node_attr(p, "type"), "preview") == 0);
	CHECK(strcmp(wa_node_attr(p, "id"), "1700000000123") == 0);
	wa_node_free(iq);

	/* Not a user or group, ids that are not tokens. */
	CHECK(wa_picture_build_get(&s, 0, NULL) == NULL);
	CHECK(wa_picture_build_get(&g, 0, "a b") == NULL);
	{
		char big[WA_PICTURE_MAX_ID + 2];

		memset(big, '1', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK(wa_picture_build_get(&g, 0, big) == NULL);
	}
}

static struct wa_node *
result(const char *id, const char *url, const char *status)
{
	struct wa_node *n = wa_node_new("iq"), *p;

	wa_node_set_attr(n, "type", "result");
	wa_node_set_attr(n, "id", "1");
	if (id != NULL || url != NULL || status != NULL) {
		p = wa_node_new("picture");
		if (id != NULL)
			wa_node_set_attr(p, "id", id);
		if (url != NULL)
			wa_node_set_attr(p, "url", url);
		if (status != NULL)
			wa_node_set_attr(p, "status", status);
		wa_node_set_attr(p, "type", "image");
		wa_node_set_attr(p, "direct_path", "/v/t61/x.jpg?oe=1");
		wa_node_add_child(n, p);
	}
	return wire(n);
}

static struct wa_node *
error_iq(int code)
{
	struct wa_node *n = wa_node_new("iq"), *e;

	wa_node_set_attr(n, "type", "error");
	e = wa_node_new("error");
	wa_node_set_attr_u64(e, "code", (uint64_t)code);
	wa_node_add_child(n, e);
	return wire(n);
}

TEST(parse_result_cases)
{
	struct wa_picture_info pi;
	struct wa_node *n;
	int code;

	n = result("1700000000123", "https://pps.example/v/x.jpg?oh=1", NULL);
	REQUIRE(wa_picture_parse_result(n, NULL, &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_SET);
	CHECK(strcmp(pi.id, "1700000000123") == 0);
	CHECK(strcmp(pi.url, "https://pps.example/v/x.jpg?oh=1") == 0);
	CHECK(strcmp(pi.direct_path, "/v/t61/x.jpg?oe=1") == 0);
	CHECK(strcmp(pi.type, "image") == 0);
	wa_picture_info_clear(&pi);
	/* The same id as known: unchanged. */
	REQUIRE(wa_picture_parse_result(n, "1700000000123", &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_UNCHANGED);
	wa_picture_info_clear(&pi);
	/* Another id known: the new one. */
	REQUIRE(wa_picture_parse_result(n, "1", &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_SET);
	wa_picture_info_clear(&pi);
	wa_node_free(n);

	n = result(NULL, NULL, "304");
	REQUIRE(wa_picture_parse_result(n, "5", &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_UNCHANGED);
	wa_node_free(n);
	n = result(NULL, NULL, "204");
	REQUIRE(wa_picture_parse_result(n, NULL, &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_NONE);
	wa_node_free(n);
	/* No <picture>: unchanged with a known id, malformed without. */
	n = result(NULL, NULL, NULL);
	REQUIRE(wa_picture_parse_result(n, "5", &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_UNCHANGED);
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code),
	    WA_ERR_BAD_NODE);
	wa_node_free(n);

	n = error_iq(404);
	REQUIRE(wa_picture_parse_result(n, NULL, &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_NONE);
	wa_node_free(n);
	n = error_iq(401);
	REQUIRE(wa_picture_parse_result(n, NULL, &pi, &code) == 0);
	CHECK_EQ_INT(pi.status, WA_PICTURE_UNAUTHORIZED);
	wa_node_free(n);
	n = error_iq(500);
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code), WA_ERR_IQ);
	CHECK_EQ_INT(code, 500);
	wa_node_free(n);
}

TEST(parse_result_rejects)
{
	struct wa_picture_info pi;
	struct wa_node *n;
	char big[WA_PICTURE_MAX_URL + 20];
	int code;

	n = result("17", NULL, NULL);		/* no url */
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code),
	    WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = result(NULL, "https://x/y", NULL);	/* no id */
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code),
	    WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = result("17", "https://x/a b", NULL);	/* not a token */
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code),
	    WA_ERR_BAD_NODE);
	wa_node_free(n);
	memcpy(big, "https://x/", 10);
	memset(big + 10, 'a', sizeof(big) - 11);
	big[sizeof(big) - 1] = '\0';
	n = result("17", big, NULL);
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code),
	    WA_ERR_TOO_BIG);
	wa_node_free(n);
	n = result("17", "https://x/y", "abc");	/* bad status */
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code),
	    WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = wire(wa_node_new("iq"));		/* no type */
	CHECK_EQ_INT(wa_picture_parse_result(n, NULL, &pi, &code),
	    WA_ERR_BAD_NODE);
	wa_node_free(n);
}

static struct wa_node *
notif(const char *from, const char *tag, const char *jid_, const char *id,
    const char *author)
{
	struct wa_node *n = wa_node_new("notification"), *x;

	set_jid(n, "from", from);
	wa_node_set_attr(n, "type", "picture");
	wa_node_set_attr(n, "id", "N1");
	wa_node_set_attr(n, "t", "1700000000");
	if (tag != NULL) {
		x = wa_node_new(tag);
		if (jid_ != NULL)
			set_jid(x, "jid", jid_);
		if (id != NULL)
			wa_node_set_attr(x, "id", id);
		if (author != NULL)
			set_jid(x, "author", author);
		wa_node_add_child(n, x);
	}
	return wire(n);
}

TEST(notification_user_and_group)
{
	struct wa_picture_event *ev;
	struct wa_node *n;
	char buf[WA_JID_STR_MAX];

	n = notif("33600000002@s.whatsapp.net", "set",
	    "33600000002@s.whatsapp.net", "1700000000555", NULL);
	CHECK(wa_picture_is_notification(n));
	REQUIRE(wa_picture_parse_notification(n, &ev) == 0);
	REQUIRE(ev->nchanges == 1);
	CHECK(strcmp(wa_jid_format(&ev->changes[0].jid, buf, sizeof(buf)),
	    "33600000002@s.whatsapp.net") == 0);
	CHECK(strcmp(ev->changes[0].id, "1700000000555") == 0);
	CHECK(!ev->changes[0].removed && !ev->changes[0].has_author);
	CHECK(ev->timestamp == 1700000000);
	wa_picture_event_free(ev);
	wa_node_free(n);

	/* A group's delete by an author; jid taken from "from". */
	n = notif("120363025246125486@g.us", "delete", NULL, NULL,
	    "111111111111111@lid");
	REQUIRE(wa_picture_parse_notification(n, &ev) == 0);
	REQUIRE(ev->nchanges == 1);
	CHECK(ev->changes[0].removed && ev->changes[0].has_author);
	CHECK(strcmp(wa_jid_format(&ev->changes[0].jid, buf, sizeof(buf)),
	    "120363025246125486@g.us") == 0);
	wa_picture_event_free(ev);
	wa_node_free(n);

	n = notif("33600000002@s.whatsapp.net", "add", NULL, "9", NULL);
	REQUIRE(wa_picture_parse_notification(n, &ev) == 0);
	CHECK(strcmp(ev->changes[0].id, "9") == 0);
	wa_picture_event_free(ev);
	wa_node_free(n);
}

TEST(notification_rejects)
{
	struct wa_picture_event *ev = NULL;
	struct wa_node *n, *x;
	size_t i;

	/* set without id (whatsmeow: "sometimes a hash and no ID"). */
	n = notif("33600000002@s.whatsapp.net", "set", NULL, NULL, NULL);
	CHECK_EQ_INT(wa_picture_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	/* Only unknown children, or none. */
	n = notif("33600000002@s.whatsapp.net", "request", NULL, "1", NULL);
	CHECK_EQ_INT(wa_picture_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
	n = notif("33600000002@s.whatsapp.net", NULL, NULL, NULL, NULL);
	CHECK(wa_picture_parse_notification(n, &ev) != 0);
	wa_node_free(n);
	/* Whose picture must be a user or group. */
	n = notif("33600000002@s.whatsapp.net", "set", "s.whatsapp.net", "1",
	    NULL);
	CHECK_EQ_INT(wa_picture_parse_notification(n, &ev), WA_ERR_BAD_JID);
	wa_node_free(n);
	/* Too many changes. */
	n = wa_node_new("notification");
	set_jid(n, "from", "120363025246125486@g.us");
	wa_node_set_attr(n, "type", "picture");
	for (i = 0; i <= WA_PICTURE_MAX_CHANGES; i++) {
		x = wa_node_new("delete");
		wa_node_add_child(n, x);
	}
	n = wire(n);
	CHECK_EQ_INT(wa_picture_parse_notification(n, &ev), WA_ERR_TOO_BIG);
	wa_node_free(n);
	/* Not a picture notification. */
	n = wa_node_new("notification");
	wa_node_set_attr(n, "type", "w:gp2");
	n = wire(n);
	CHECK(!wa_picture_is_notification(n));
	CHECK_EQ_INT(wa_picture_parse_notification(n, &ev), WA_ERR_BAD_NODE);
	wa_node_free(n);
}

static void
never(void *arg, int err, const uint8_t *data, size_t len)
{
	(void)err; (void)data; (void)len;
	*(int *)arg = 1;
}

TEST(download_refuses_non_https)
{
	struct u_loop *loop = u_loop_new();
	struct u_http *h = u_http_new(loop);
	int called = 0;

	CHECK(wa_picture_download(h, "http://127.0.0.1/x.jpg", NULL, 0,
	    never, &called) == 0);
	CHECK(wa_picture_download(h, "https://127.0.0.1/a b", NULL, 0,
	    never, &called) == 0);
	CHECK(wa_picture_download(h, NULL, NULL, 0, never, &called) == 0);
	CHECK(u_http_pending(h) == 0);
	CHECK(called == 0);
	u_http_free(h);
	u_loop_free(loop);
}

TEST_MAIN()
