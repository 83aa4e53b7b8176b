/*
 * mx_harness.c: a small appservice built on matrix/, driven by a test
 * (test/matrix/driver.py) over stdin/stdout, one JSON object per line.
 *
 *   mx_harness --hs URL --domain D --as-id ID --as-token T --hs-token T
 *              --port P [--bot LOCALPART] [--template TPL] [--dp SERVER=SECRET]
 *              [--bot-name NAME] [--timeout-ms MS] [--retry-base-ms MS]
 *
 * Out: {"ready":port} once listening; {"event":{...}} for each event the
 * appservice delivers (already echo-filtered); {"ephemeral":{...}};
 * {"id":N,"rc":R,"status":S,"resp":{...}} for each command.
 * In: {"id":N,"op":"...", ...} -- see run_cmd() for the operations.
 *
 * Built-in "bridge core" behaviour, to prove the plumbing: when the bot is
 * invited to a room it joins and posts a welcome text.
 *
 * Not the product: no WhatsApp, no database.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matrix/mx.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

#define WELCOME "Hello, I am the ponton test bot."
#define LINE_MAX_BYTES (1 << 20)

static struct u_loop *loop;
static struct mx_appservice *as;
static uv_pipe_t in_pipe;
static char *line;
static size_t line_len;

static void
emit(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	printf("%s\n", s);
	fflush(stdout);
	free(s);
}

static void
reply(json_int_t id, int rc, int status, json_t *resp)
{
	json_t *j = json_pack("{s:I,s:i,s:i}", "id", id, "rc", rc, "status", status);

	if (resp != NULL)
		json_object_set(j, "resp", resp);
	if (rc != 0)
		json_object_set_new(j, "error", json_string(mx_strerror(rc)));
	emit(j);
	json_decref(j);
}

/* A command's callback argument: its id (and a file for downloads). */
struct cmd {
	json_int_t	 id;
	char		*out;		/* owned: download path */
	/* send_seq */
	struct mx_intent *in;
	char		*room;
	char		*prefix;
	int		 n, i;
	unsigned	 interval;
	json_t		*ids;
	struct u_timer	*timer;
};

static void
cmd_free(struct cmd *c)
{
	free(c->out);
	free(c->room);
	free(c->prefix);
	json_decref(c->ids);
	u_timer_free(c->timer);
	free(c);
}

static void
done_cb(void *arg, int rc, int status, json_t *resp)
{
	struct cmd *c = arg;

	reply(c->id, rc, status, resp);
	cmd_free(c);
}

static void
data_cb(void *arg, int rc, const uint8_t *data, size_t len, const char *ctype)
{
	struct cmd *c = arg;
	json_t *j = NULL;
	FILE *f;

	if (rc == 0) {
		f = fopen(c->out, "wb");
		if (f == NULL || fwrite(data, 1, len, f) != len)
			rc = MX_ERR_INTERNAL;
		if (f != NULL)
			fclose(f);
		j = json_pack("{s:I,s:s}", "len", (json_int_t)len, "content_type",
		    ctype ? ctype : "");
	}
	reply(c->id, rc, rc == 0 ? 200 : 0, j);
	json_decref(j);
	cmd_free(c);
}

/* --- built-in behaviour: accept invites to the bot --- */

static void
welcome_sent(void *arg, int rc, int status, json_t *resp)
{
	char *room = arg;

	if (rc != 0)
		log_warnx("harness: welcome in %s failed: %s", room, mx_strerror(rc));
	free(room);
}

static void
joined(void *arg, int rc, int status, json_t *resp)
{
	char *room = arg;
	json_t *content;

	if (rc != 0) {
		log_warnx("harness: join %s failed: %s", room, mx_strerror(rc));
		free(room);
		return;
	}
	content = json_pack("{s:s,s:s}", "msgtype", "m.notice", "body", WELCOME);
	if (mx_intent_send(mx_appservice_bot(as), room, "m.room.message",
	    content, 0, welcome_sent, room) != 0)
		free(room);
	json_decref(content);
}

static void
on_event(void *arg, json_t *ev)
{
	json_t *j = json_pack("{s:O}", "event", ev);
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *sk = json_string_value(json_object_get(ev, "state_key"));
	const char *mem = json_string_value(json_object_get(json_object_get(ev,
	    "content"), "membership"));
	const char *room = json_string_value(json_object_get(ev, "room_id"));

	emit(j);
	json_decref(j);
	if (type != NULL && strcmp(type, "m.room.member") == 0 && sk != NULL &&
	    strcmp(sk, mx_appservice_bot_id(as)) == 0 && mem != NULL &&
	    strcmp(mem, "invite") == 0 && room != NULL) {
		char *r = u_strdup(room);

		if (mx_intent_join(mx_appservice_bot(as), r, joined, r) != 0)
			free(r);
	}
}

static void
on_ephemeral(void *arg, json_t *ev)
{
	json_t *j = json_pack("{s:O}", "ephemeral", ev);

	emit(j);
	json_decref(j);
}

static int
on_user_query(void *arg, const char *user_id)
{
	return 1;
}

static int
on_room_query(void *arg, const char *alias)
{
	return 0;
}

static void
started(void *arg, int rc)
{
	struct cmd *c = arg;

	reply(c->id, rc, 0, NULL);
	cmd_free(c);
}

/* --- send_seq: N messages, one after the other --- */

static void seq_next(void *arg);

static void
seq_sent(void *arg, int rc, int status, json_t *resp)
{
	struct cmd *c = arg;

	if (rc != 0) {
		reply(c->id, rc, status, c->ids);
		cmd_free(c);
		return;
	}
	json_array_append(c->ids, json_object_get(resp, "event_id"));
	if (++c->i >= c->n) {
		json_t *j = json_pack("{s:O}", "event_ids", c->ids);

		reply(c->id, 0, status, j);
		json_decref(j);
		cmd_free(c);
		return;
	}
	u_timer_start(c->timer, c->interval, 0);
}

static void
seq_next(void *arg)
{
	struct cmd *c = arg;
	char body[256];
	json_t *content;
	int r;

	snprintf(body, sizeof(body), "%s %d", c->prefix, c->i);
	content = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", body);
	r = mx_intent_send(c->in, c->room, "m.room.message", content, 0,
	    seq_sent, c);
	json_decref(content);
	if (r != 0) {
		reply(c->id, r, 0, NULL);
		cmd_free(c);
	}
}

/* --- commands --- */

static const char *
str(json_t *cmd, const char *k)
{
	return json_string_value(json_object_get(cmd, k));
}

static struct mx_intent *
intent_of(json_t *cmd)
{
	const char *u = str(cmd, "as");
	struct mx_intent *in = NULL;

	if (u == NULL)
		return mx_appservice_bot(as);
	if (json_is_true(json_object_get(cmd, "dp"))) {
		if (mx_intent_double_puppet(as, u, &in) != 0)
			return NULL;
		return in;
	}
	return mx_intent_for(as, u);
}

static void
run_cmd(json_t *cmd)
{
	json_int_t id = json_integer_value(json_object_get(cmd, "id"));
	const char *op = str(cmd, "op");
	struct mx_intent *in = intent_of(cmd);
	struct cmd *c = u_calloc(1, sizeof(*c));
	int r = MX_ERR_INVALID;

	c->id = id;
	if (op == NULL || in == NULL)
		goto out;
	if (strcmp(op, "start") == 0) {
		mx_appservice_start(as, started, c);
		return;
	} else if (strcmp(op, "quit") == 0) {
		reply(id, 0, 0, NULL);
		cmd_free(c);
		u_loop_stop(loop);
		return;
	} else if (strcmp(op, "info") == 0) {
		json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:i}",
		    "bot", mx_appservice_bot_id(as),
		    "room_version", mx_appservice_room_version(as) ?
		    mx_appservice_room_version(as) : "",
		    "upload_max", (json_int_t)mx_appservice_upload_max(as),
		    "txns", (json_int_t)mx_appservice_txn_count(as),
		    "replays", (json_int_t)mx_appservice_txn_replays(as),
		    "port", mx_appservice_port(as));

		reply(id, 0, 0, j);
		json_decref(j);
		cmd_free(c);
		return;
	} else if (strcmp(op, "ghost_id") == 0) {
		char *g = mx_appservice_ghost_id(as, str(cmd, "remote") ?
		    str(cmd, "remote") : "");
		json_t *j = json_pack("{s:s?}", "user_id", g);

		reply(id, g ? 0 : MX_ERR_INVALID, 0, j);
		json_decref(j);
		free(g);
		cmd_free(c);
		return;
	} else if (strcmp(op, "request") == 0)
		r = mx_intent_request(in, str(cmd, "method"), str(cmd, "path"),
		    str(cmd, "query"), json_object_get(cmd, "body"), done_cb, c);
	else if (strcmp(op, "register") == 0)
		r = mx_intent_ensure_registered(in, done_cb, c);
	else if (strcmp(op, "device") == 0)
		r = mx_intent_ensure_device(in, str(cmd, "device"),
		    str(cmd, "name"), done_cb, c);
	else if (strcmp(op, "whoami") == 0)
		r = mx_intent_whoami(in, done_cb, c);
	else if (strcmp(op, "displayname") == 0)
		r = mx_intent_set_displayname(in, str(cmd, "name"), done_cb, c);
	else if (strcmp(op, "avatar") == 0)
		r = mx_intent_set_avatar_url(in, str(cmd, "mxc"), done_cb, c);
	else if (strcmp(op, "create_room") == 0)
		r = mx_intent_create_room(in, json_object_get(cmd, "req"), done_cb, c);
	else if (strcmp(op, "create_portal") == 0) {
		struct mx_portal_spec sp = { 0 };
		const char *inv[8] = { 0 };
		json_t *req, *v, *a = json_object_get(cmd, "invite");
		size_t i;

		sp.channel_id = str(cmd, "channel_id");
		sp.name = str(cmd, "name");
		sp.topic = str(cmd, "topic");
		sp.avatar_mxc = str(cmd, "avatar");
		sp.receiver = str(cmd, "receiver");
		sp.is_dm = json_is_true(json_object_get(cmd, "dm"));
		sp.users_pl = json_object_get(cmd, "users_pl");
		sp.room_features = json_object_get(cmd, "room_features");
		json_array_foreach(a, i, v)
			if (i < 7)
				inv[i] = json_string_value(v);
		sp.invite = inv;
		if (sp.channel_id == NULL)
			goto out;
		req = mx_portal_create_req(as, &sp);
		r = mx_intent_create_room(in, req, done_cb, c);
		json_decref(req);
	} else if (strcmp(op, "invite") == 0)
		r = mx_intent_invite(in, str(cmd, "room"), str(cmd, "user"),
		    str(cmd, "reason"), done_cb, c);
	else if (strcmp(op, "ensure_joined") == 0)
		r = mx_intent_ensure_joined(in, str(cmd, "room"), done_cb, c);
	else if (strcmp(op, "send_cancel") == 0) {
		/* queue a send and drop it at once: its callback must never
		 * run (the reply below is the only one for this id) */
		r = mx_intent_send(in, str(cmd, "room"), "m.room.message",
		    json_object_get(cmd, "content"), 0, done_cb, c);
		if (r == 0) {
			json_t *j = json_pack("{s:b}", "cancelled", 1);

			mx_appservice_cancel(as, c);
			reply(id, 0, 0, j);
			json_decref(j);
			cmd_free(c);
			return;
		}
	} else if (strcmp(op, "join") == 0)
		r = mx_intent_join(in, str(cmd, "room"), done_cb, c);
	else if (strcmp(op, "leave") == 0)
		r = mx_intent_leave(in, str(cmd, "room"), str(cmd, "reason"),
		    done_cb, c);
	else if (strcmp(op, "kick") == 0)
		r = mx_intent_kick(in, str(cmd, "room"), str(cmd, "user"),
		    str(cmd, "reason"), done_cb, c);
	else if (strcmp(op, "send") == 0)
		r = mx_intent_send(in, str(cmd, "room"), str(cmd, "type") ?
		    str(cmd, "type") : "m.room.message",
		    json_object_get(cmd, "content"),
		    (uint64_t)json_integer_value(json_object_get(cmd, "ts")),
		    done_cb, c);
	else if (strcmp(op, "state") == 0)
		r = mx_intent_send_state(in, str(cmd, "room"), str(cmd, "type"),
		    str(cmd, "state_key"), json_object_get(cmd, "content"), 0,
		    done_cb, c);
	else if (strcmp(op, "get_state") == 0)
		r = mx_intent_get_state(in, str(cmd, "room"), str(cmd, "type"),
		    str(cmd, "state_key"), done_cb, c);
	else if (strcmp(op, "redact") == 0)
		r = mx_intent_redact(in, str(cmd, "room"), str(cmd, "event"),
		    str(cmd, "reason"), done_cb, c);
	else if (strcmp(op, "receipt") == 0)
		r = mx_intent_receipt(in, str(cmd, "room"), str(cmd, "event"),
		    done_cb, c);
	else if (strcmp(op, "typing") == 0)
		r = mx_intent_typing(in, str(cmd, "room"),
		    json_is_true(json_object_get(cmd, "typing")), 30000, done_cb, c);
	else if (strcmp(op, "upload") == 0) {
		FILE *f = fopen(str(cmd, "file") ? str(cmd, "file") : "", "rb");
		uint8_t *buf = u_malloc(8 << 20);
		size_t n = 0;

		if (f != NULL) {
			n = fread(buf, 1, 8 << 20, f);
			fclose(f);
			r = mx_intent_upload(in, buf, n, str(cmd, "content_type"),
			    str(cmd, "filename"), done_cb, c);
		}
		free(buf);
	} else if (strcmp(op, "download") == 0) {
		c->out = u_strdup(str(cmd, "out") ? str(cmd, "out") : "/dev/null");
		r = mx_intent_download(in, str(cmd, "mxc"),
		    (size_t)json_integer_value(json_object_get(cmd, "max")),
		    data_cb, c);
	} else if (strcmp(op, "send_seq") == 0) {
		c->in = in;
		c->room = u_strdup(str(cmd, "room") ? str(cmd, "room") : "");
		c->prefix = u_strdup(str(cmd, "prefix") ? str(cmd, "prefix") : "msg");
		c->n = (int)json_integer_value(json_object_get(cmd, "n"));
		c->interval = (unsigned)json_integer_value(json_object_get(cmd,
		    "interval_ms"));
		c->ids = json_array();
		c->timer = u_timer_new(loop, seq_next, c);
		if (c->n > 0) {
			seq_next(c);
			return;
		}
	}
out:
	if (r != 0) {
		reply(id, r, 0, NULL);
		cmd_free(c);
	}
}

static void
on_alloc(uv_handle_t *h, size_t sugg, uv_buf_t *b)
{
	static char buf[65536];

	b->base = buf;
	b->len = sizeof(buf);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	ssize_t i;

	if (n < 0) {
		u_loop_stop(loop);
		return;
	}
	for (i = 0; i < n; i++) {
		if (b->base[i] != '\n') {
			if (line_len + 1 >= LINE_MAX_BYTES)
				fatalx("harness: command line too long");
			line[line_len++] = b->base[i];
			continue;
		}
		line[line_len] = '\0';
		if (line_len > 0) {
			json_t *cmd = json_loads(line, JSON_REJECT_DUPLICATES, NULL);

			if (json_is_object(cmd))
				run_cmd(cmd);
			else
				log_warnx("harness: bad command line");
			json_decref(cmd);
		}
		line_len = 0;
	}
}

int
main(int argc, char **argv)
{
	struct mx_config cfg = { 0 };
	struct mx_callbacks cb = { 0 };
	struct mx_dp_secret dp[4];
	int ch, r;
	static struct option opts[] = {
		{ "hs", required_argument, NULL, 'H' },
		{ "domain", required_argument, NULL, 'd' },
		{ "as-id", required_argument, NULL, 'i' },
		{ "as-token", required_argument, NULL, 'a' },
		{ "hs-token", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "bot", required_argument, NULL, 'b' },
		{ "template", required_argument, NULL, 't' },
		{ "dp", required_argument, NULL, 'D' },
		{ "bot-name", required_argument, NULL, 'n' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "retry-base-ms", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	cfg.listen_host = "127.0.0.1";
	cfg.bot_localpart = "whatsappbot";
	cfg.username_template = "whatsapp_{{.}}";
	cfg.ephemeral = 1;
	cfg.dp_secrets = dp;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': cfg.hs_address = optarg; break;
		case 'd': cfg.domain = optarg; break;
		case 'i': cfg.as_id = optarg; break;
		case 'a': cfg.as_token = optarg; break;
		case 'h': cfg.hs_token = optarg; break;
		case 'p': cfg.listen_port = atoi(optarg); break;
		case 'b': cfg.bot_localpart = optarg; break;
		case 't': cfg.username_template = optarg; break;
		case 'n': cfg.bot_displayname = optarg; break;
		case 'T': cfg.request_timeout_ms = (unsigned)atoi(optarg); break;
		case 'R': cfg.retry_base_ms = (unsigned)atoi(optarg); break;
		case 'D': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || cfg.dp_nsecrets >= 4)
				fatalx("--dp SERVER=SECRET");
			*eq = '\0';
			dp[cfg.dp_nsecrets].server = optarg;
			dp[cfg.dp_nsecrets].secret = eq + 1;
			cfg.dp_nsecrets++;
			break;
		}
		default:
			fatalx("usage: see mx_harness.c");
		}
	}
	cb.on_event = on_event;
	cb.on_ephemeral = on_ephemeral;
	cb.on_user_query = on_user_query;
	cb.on_room_query = on_room_query;
	loop = u_loop_new();
	if ((r = mx_appservice_new(loop, &cfg, &cb, &as)) != 0)
		fatalx("appservice: %s", mx_strerror(r));
	line = u_malloc(LINE_MAX_BYTES);
	uv_pipe_init(u_loop_uv(loop), &in_pipe, 0);
	if (uv_pipe_open(&in_pipe, 0) != 0)
		fatalx("stdin is not a pipe");
	uv_read_start((uv_stream_t *)&in_pipe, on_alloc, on_read);
	{
		json_t *j = json_pack("{s:i}", "ready", mx_appservice_port(as));

		emit(j);
		json_decref(j);
	}
	u_loop_run(loop);
	uv_read_stop((uv_stream_t *)&in_pipe);
	uv_close((uv_handle_t *)&in_pipe, NULL);
	mx_appservice_free(as);
	u_loop_free(loop);
	free(line);
	return 0;
}
