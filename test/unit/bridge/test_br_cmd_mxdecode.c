/*
 * test_br_cmd_mxdecode.c: the appservice events the command and
 * management-room code receive, decoded by bridge/mx_as.c
 * (br_mx_decode_event / br_mx_decode_ephemeral) into bridge/mx.h's
 * structs: well-formed events of every kind, and malformed ones dropped
 * without a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/mx.h"
#include "test/unit/test.h"

#define BOT_ID	"@whatsappbot:t.test"

static int
f_is_ours(const struct br_mx *mx, const char *u)
{
	return strcmp(u, BOT_ID) == 0 || strncmp(u, "@whatsapp_", 10) == 0;
}

static const char *
f_bot_id(const struct br_mx *mx)
{
	return BOT_ID;
}

static const struct br_mx_ops ops = { .bot_id = f_bot_id,
    .is_ours = f_is_ours };
static const struct br_mx MX = { &ops, NULL };

/* What the handlers saw (copied, the structs are borrowed). */
static struct {
	int	 n_msg, n_member, n_redact, n_react, n_receipt, n_typing,
		 n_state;
	char	 a[256], b[256], c[256], d[256], msgtype[64];
	int	 flag1, flag2;
	size_t	 count;
	uint64_t ts;
} R;

static void
cp(char *dst, const char *s)
{
	snprintf(dst, 256, "%s", s != NULL ? s : "(null)");
}

static void
h_msg(void *arg, const struct br_mx_message *m)
{
	R.n_msg++;
	snprintf(R.msgtype, sizeof(R.msgtype), "%s", m->msgtype);
	cp(R.a, m->body);
	cp(R.b, m->formatted_body);
	cp(R.c, m->reply_to);
	cp(R.d, m->edit_of);
	R.ts = m->ts_ms;
}

static void
h_member(void *arg, const struct br_mx_member *m)
{
	R.n_member++;
	cp(R.a, m->membership);
	cp(R.b, m->prev_membership);
	cp(R.c, m->reason);
	cp(R.d, m->state_key);
	R.flag1 = m->target_is_bot;
	R.flag2 = m->target_is_ghost;
	R.count = (size_t)m->is_direct;
}

static void
h_redact(void *arg, const struct br_mx_redaction *r)
{
	R.n_redact++;
	cp(R.a, r->redacts);
	cp(R.b, r->reason);
}

static void
h_react(void *arg, const struct br_mx_reaction *r)
{
	R.n_react++;
	cp(R.a, r->target);
	cp(R.b, r->key);
}

static void
h_receipt(void *arg, const struct br_mx_receipt *r)
{
	R.n_receipt++;
	cp(R.a, r->user_id);
	cp(R.b, r->event_id);
	cp(R.c, r->type);
	R.ts = r->ts_ms;
}

static void
h_typing(void *arg, const struct br_mx_typing *t)
{
	R.n_typing++;
	R.count = t->n;
	cp(R.a, t->n > 0 ? t->user_ids[0] : NULL);
}

static void
h_state(void *arg, const struct br_mx_state *s)
{
	R.n_state++;
	cp(R.a, s->type);
	cp(R.b, s->state_key);
	cp(R.c, json_string_value(json_object_get(s->content, "name")));
	cp(R.d, s->sender);
}

static const struct br_mx_handlers H = { h_msg, h_member, h_redact, h_react,
    h_receipt, h_typing, h_state, NULL };

static void
ev(const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL) {
		fprintf(stderr, "bad fixture: %s\n", e.text);
		abort();
	}
	br_mx_decode_event(&H, &MX, j);
	json_decref(j);
}

static void
eph(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);

	if (j == NULL)
		abort();
	br_mx_decode_ephemeral(&H, &MX, j);
	json_decref(j);
}

#define HDR "\"room_id\":\"!r:t.test\",\"event_id\":\"$e\"," \
	"\"sender\":\"@alice:t.test\",\"origin_server_ts\":1700000000000"

TEST(test_br_cmd_mxdecode_message)
{
	memset(&R, 0, sizeof(R));
	ev("{\"type\":\"m.room.message\"," HDR ",\"content\":{\"msgtype\":"
	    "\"m.text\",\"body\":\"> q\\n\\n!wa help\",\"format\":"
	    "\"org.matrix.custom.html\",\"formatted_body\":\"<b>x</b>\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$q\"}}}}");
	CHECK_EQ_INT(R.n_msg, 1);
	CHECK_EQ_STR(R.a, "> q\n\n!wa help");
	CHECK_EQ_STR(R.b, "<b>x</b>");
	CHECK_EQ_STR(R.c, "$q");
	CHECK_EQ_STR(R.d, "(null)");
	CHECK(R.ts == 1700000000000ull);
	/* An edit; formatted_body without the HTML format is not HTML. */
	ev("{\"type\":\"m.room.message\"," HDR ",\"content\":{\"body\":\"e\","
	    "\"formatted_body\":\"<b>x</b>\",\"m.relates_to\":{\"rel_type\":"
	    "\"m.replace\",\"event_id\":\"$o\"}}}");
	CHECK_EQ_INT(R.n_msg, 2);
	CHECK_EQ_STR(R.b, "(null)");
	CHECK_EQ_STR(R.d, "$o");
	/* No body (redacted), body not a string: dropped. */
	ev("{\"type\":\"m.room.message\"," HDR ",\"content\":{}}");
	ev("{\"type\":\"m.room.message\"," HDR ",\"content\":{\"body\":5}}");
	CHECK_EQ_INT(R.n_msg, 2);
}

TEST(test_br_cmd_mxdecode_member)
{
	memset(&R, 0, sizeof(R));
	ev("{\"type\":\"m.room.member\"," HDR ",\"state_key\":\"" BOT_ID "\","
	    "\"content\":{\"membership\":\"invite\",\"is_direct\":true}}");
	CHECK_EQ_INT(R.n_member, 1);
	CHECK_EQ_STR(R.a, "invite");
	CHECK_EQ_STR(R.b, "");
	CHECK(R.flag1 == 1 && R.flag2 == 0 && R.count == 1);
	ev("{\"type\":\"m.room.member\"," HDR ",\"state_key\":"
	    "\"@whatsapp_1:t.test\",\"content\":{\"membership\":\"leave\","
	    "\"reason\":\"bye\"},\"unsigned\":{\"prev_content\":"
	    "{\"membership\":\"join\"}}}");
	CHECK_EQ_INT(R.n_member, 2);
	CHECK(R.flag1 == 0 && R.flag2 == 1 && R.count == 0);
	CHECK_EQ_STR(R.b, "join");
	CHECK_EQ_STR(R.c, "bye");
	/* No state key, membership not a string: dropped. */
	ev("{\"type\":\"m.room.member\"," HDR ",\"content\":{\"membership\":"
	    "\"join\"}}");
	ev("{\"type\":\"m.room.member\"," HDR ",\"state_key\":\"@a:t.test\","
	    "\"content\":{\"membership\":[1]}}");
	CHECK_EQ_INT(R.n_member, 2);
}

TEST(test_br_cmd_mxdecode_redaction_and_reaction)
{
	memset(&R, 0, sizeof(R));
	/* Room v11: redacts in the content; older rooms: top level. */
	ev("{\"type\":\"m.room.redaction\"," HDR ",\"content\":{\"redacts\":"
	    "\"$x\",\"reason\":\"spam\"}}");
	CHECK_EQ_STR(R.a, "$x");
	CHECK_EQ_STR(R.b, "spam");
	ev("{\"type\":\"m.room.redaction\"," HDR ",\"redacts\":\"$y\","
	    "\"content\":{}}");
	CHECK_EQ_STR(R.a, "$y");
	ev("{\"type\":\"m.room.redaction\"," HDR ",\"content\":{}}");
	CHECK_EQ_INT(R.n_redact, 2);
	ev("{\"type\":\"m.reaction\"," HDR ",\"content\":{\"m.relates_to\":"
	    "{\"rel_type\":\"m.annotation\",\"event_id\":\"$t\",\"key\":"
	    "\"\\ud83d\\udc4d\"}}}");
	CHECK_EQ_INT(R.n_react, 1);
	CHECK_EQ_STR(R.a, "$t");
	CHECK_EQ_STR(R.b, "\xf0\x9f\x91\x8d");
	ev("{\"type\":\"m.reaction\"," HDR ",\"content\":{\"m.relates_to\":"
	    "{\"rel_type\":\"m.reference\",\"event_id\":\"$t\",\"key\":\"k\"}}}");
	ev("{\"type\":\"m.reaction\"," HDR ",\"content\":{\"m.relates_to\":"
	    "{\"rel_type\":\"m.annotation\",\"event_id\":\"$t\"}}}");
	CHECK_EQ_INT(R.n_react, 1);
}

TEST(test_br_cmd_mxdecode_ephemeral)
{
	char buf[8192];
	size_t o, i;

	memset(&R, 0, sizeof(R));
	eph("{\"type\":\"m.receipt\",\"room_id\":\"!r:t.test\",\"content\":"
	    "{\"$a\":{\"m.read\":{\"@u:t.test\":{\"ts\":5},\"@v:t.test\":{}}},"
	    "\"$b\":{\"m.read.private\":{\"@w:t.test\":{\"ts\":7}}},"
	    "\"$c\":7}}");
	CHECK_EQ_INT(R.n_receipt, 3);
	CHECK_EQ_STR(R.a, "@w:t.test");
	CHECK_EQ_STR(R.b, "$b");
	CHECK_EQ_STR(R.c, "m.read.private");
	CHECK(R.ts == 7);
	/* Typing: non-strings skipped, more than 64 users capped. */
	o = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"m.typing\","
	    "\"room_id\":\"!r:t.test\",\"content\":{\"user_ids\":[1,");
	for (i = 0; i < 100; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o,
		    "%s\"@u%zu:t.test\"", i ? "," : "", i);
	snprintf(buf + o, sizeof(buf) - o, "]}}");
	eph(buf);
	CHECK_EQ_INT(R.n_typing, 1);
	CHECK_EQ_INT(R.count, 64);
	CHECK_EQ_STR(R.a, "@u0:t.test");
	eph("{\"type\":\"m.typing\",\"room_id\":\"!r:t.test\",\"content\":"
	    "{\"user_ids\":\"no\"}}");
	eph("{\"type\":\"m.typing\",\"content\":{\"user_ids\":[]}}");
	eph("{\"type\":\"m.presence\",\"room_id\":\"!r\",\"content\":{}}");
	CHECK_EQ_INT(R.n_typing, 1);
}

TEST(test_br_cmd_mxdecode_malformed_dropped)
{
	static const char *bad[] = {
		"{}",
		"[]",
		"{\"type\":\"m.room.message\"}",
		"{\"type\":\"m.room.message\",\"content\":\"x\"}",
		"{\"type\":\"m.room.message\",\"content\":{\"body\":\"x\"}}",
		"{\"type\":5," HDR ",\"content\":{\"body\":\"x\"}}",
		"{\"type\":\"m.room.message\",\"room_id\":1,\"event_id\":\"$e\","
		    "\"sender\":\"@a:t\",\"content\":{\"body\":\"x\"}}",
		"{\"type\":\"m.room.member\"," HDR ",\"state_key\":5,"
		    "\"content\":{\"membership\":\"join\"}}",
	};
	size_t i;

	memset(&R, 0, sizeof(R));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ev(bad[i]);
		eph(bad[i]);
	}
	CHECK_EQ_INT(R.n_msg + R.n_member + R.n_redact + R.n_react +
	    R.n_receipt + R.n_typing, 0);
}

TEST(mxdecode_room_state_and_sticker)
{
	memset(&R, 0, sizeof(R));
	ev("{\"type\":\"m.room.name\",\"state_key\":\"\",\"room_id\":\"!r:hs\","
	    "\"sender\":\"@alice:hs\",\"event_id\":\"$n\",\"content\":"
	    "{\"name\":\"Cafe\"}}");
	CHECK_EQ_INT(R.n_state, 1);
	CHECK_EQ_STR(R.a, "m.room.name");
	CHECK_EQ_STR(R.b, "");
	CHECK_EQ_STR(R.c, "Cafe");
	CHECK_EQ_STR(R.d, "@alice:hs");
	/* A state key other than "" is not the room's name: ignored; so is
	 * a name event without a state key (not state at all). */
	ev("{\"type\":\"m.room.name\",\"state_key\":\"x\",\"room_id\":\"!r:hs\","
	    "\"sender\":\"@alice:hs\",\"event_id\":\"$n2\",\"content\":"
	    "{\"name\":\"X\"}}");
	ev("{\"type\":\"m.room.topic\",\"room_id\":\"!r:hs\","
	    "\"sender\":\"@alice:hs\",\"event_id\":\"$n3\",\"content\":"
	    "{\"topic\":\"X\"}}");
	CHECK_EQ_INT(R.n_state, 1);
	ev("{\"type\":\"m.room.avatar\",\"state_key\":\"\",\"room_id\":\"!r:hs\","
	    "\"sender\":\"@alice:hs\",\"event_id\":\"$a\",\"content\":"
	    "{\"url\":\"mxc://hs/x\"}}");
	CHECK_EQ_INT(R.n_state, 2);
	CHECK_EQ_STR(R.a, "m.room.avatar");
	/* m.sticker: a message of msgtype m.sticker. */
	ev("{\"type\":\"m.sticker\",\"room_id\":\"!r:hs\",\"sender\":"
	    "\"@alice:hs\",\"event_id\":\"$s\",\"content\":{\"body\":"
	    "\"cat\",\"url\":\"mxc://hs/s\",\"info\":{}}}");
	CHECK_EQ_INT(R.n_msg, 1);
	CHECK_EQ_STR(R.msgtype, "m.sticker");
	CHECK_EQ_STR(R.a, "cat");
}

TEST_MAIN()
