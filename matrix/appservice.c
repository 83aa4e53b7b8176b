/*
 * appservice.c: the appservice object: configuration copy, intents, what
 * the HTTP server's requests mean (transactions, user/room queries), and
 * the start-up checks.
 *
 * Start-up (as mautrix-go's, restated): register the bot (M_USER_IN_USE is
 * fine) -> GET /versions (>= v1.4) -> whoami must be the bot ->
 * /capabilities (default room version, for the v12 createRoom rule) ->
 * /v1/media/config (upload limit) -> appservice ping, retried -> bot
 * profile.  Each failure maps to one MX_ERR_START_* code.
 *
 * Transactions are processed synchronously: every event is handed to the
 * caller before the 200 goes back, which is what makes the homeserver's
 * retry of an unanswered transaction safe (the replay cache absorbs it).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matrix/mx_int.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

#include "matrix/as_int.h"

#define LOGP "mx-as"

static void start_step(struct mx_appservice *as);

const char *
mx__as_hs_token(const struct mx_appservice *as)
{
	return as->hs_token;
}

int
mx__as_ready(const struct mx_appservice *as)
{
	return as->ready;
}

/* --- intents --- */

static struct mx_intent *
intent_new(struct mx_appservice *as, const char *user_id, const char *token,
    int dp)
{
	struct mx_intent *in = u_calloc(1, sizeof(*in));

	in->as = as;
	in->user_id = u_strdup(user_id);
	in->token = u_strdup(token);
	in->dp = dp;
	in->next = as->intents;
	as->intents = in;
	return in;
}

static struct mx_intent *
intent_find(struct mx_appservice *as, const char *user_id, int dp)
{
	struct mx_intent *in;

	for (in = as->intents; in != NULL; in = in->next)
		if (in->dp == dp && strcmp(in->user_id, user_id) == 0)
			return in;
	return NULL;
}

struct mx_intent *
mx_appservice_bot(struct mx_appservice *as)
{
	return as->bot;
}

struct mx_intent *
mx_intent_for(struct mx_appservice *as, const char *user_id)
{
	struct mx_intent *in;

	if (!mx__user_id_ok(user_id) || !mx__ns_is_ours(&as->ns, user_id))
		return NULL;
	if ((in = intent_find(as, user_id, 0)) != NULL)
		return in;
	return intent_new(as, user_id, as->as_token, 0);
}

int
mx_intent_double_puppet(struct mx_appservice *as, const char *user_id,
    struct mx_intent **out)
{
	const char *server;
	struct mx_intent *in;
	size_t i;

	if (!mx__user_id_ok(user_id))
		return MX_ERR_INVALID;
	if ((in = intent_find(as, user_id, 1)) != NULL) {
		*out = in;
		return 0;
	}
	server = strchr(user_id, ':') + 1;
	for (i = 0; i < as->ndp; i++) {
		if (strcmp(as->dp[i].server, server) != 0)
			continue;
		/* Only the appservice method is automatic (mautrix bridgev2). */
		if (strncmp(as->dp[i].secret, "as_token:", 9) != 0 ||
		    as->dp[i].secret[9] == '\0')
			return MX_ERR_NO_SECRET;
		*out = intent_new(as, user_id, as->dp[i].secret + 9, 1);
		return 0;
	}
	return MX_ERR_NO_SECRET;
}

const char *
mx_intent_user_id(const struct mx_intent *in)
{
	return in->user_id;
}

int
mx_intent_is_double_puppet(const struct mx_intent *in)
{
	return in->dp;
}

/* --- accessors --- */

int
mx_appservice_port(const struct mx_appservice *as)
{
	return mx__server_port(as->srv);
}

const char *
mx_appservice_bot_id(const struct mx_appservice *as)
{
	return as->ns.bot_id;
}

const char *
mx_appservice_domain(const struct mx_appservice *as)
{
	return as->ns.domain;
}

int
mx_appservice_is_ours(const struct mx_appservice *as, const char *user_id)
{
	return mx__ns_is_ours(&as->ns, user_id);
}

char *
mx_appservice_ghost_id(const struct mx_appservice *as, const char *remote_id)
{
	char *lp = u_asprintf("%s%s%s", as->ns.prefix, remote_id, as->ns.suffix);
	char *id = NULL;

	if (mx__localpart_ok(lp, strlen(lp)))
		id = u_asprintf("@%s:%s", lp, as->ns.domain);
	free(lp);
	return id;
}

const char *
mx_appservice_room_version(const struct mx_appservice *as)
{
	return as->room_version;
}

uint64_t
mx_appservice_upload_max(const struct mx_appservice *as)
{
	return as->upload_max;
}

uint64_t
mx_appservice_txn_count(const struct mx_appservice *as)
{
	return as->txn_count;
}

uint64_t
mx_appservice_txn_replays(const struct mx_appservice *as)
{
	return as->txn_replays;
}

const char *
mx_appservice_bridge_state_key(const struct mx_appservice *as)
{
	return as->bridge_state_key;
}

void
mx_appservice_cancel(struct mx_appservice *as, void *arg)
{
	mx__http_cancel_arg(as->http, arg);
}

/* --- requests from the homeserver --- */

void
mx__as_handle_txn(struct mx_appservice *as, const char *txn_id,
    const uint8_t *body, size_t len, int *status, char **reply)
{
	struct mx_txn txn = { 0 };
	uint64_t now = u_loop_now(as->loop);
	size_t i, dropped = 0, delivered = 0;
	json_t *ev;
	int r;

	if (mx__txn_cache_seen(&as->cache, txn_id, body, len, now)) {
		as->txn_replays++;
		logp_debug(LOGP, "transaction %s is a replay, skipped", txn_id);
		*status = 200;
		*reply = u_strdup("{}");
		return;
	}
	r = mx__txn_parse(body, len, &txn, &dropped);
	if (r != 0) {
		logp_warnx(LOGP, "transaction %s rejected: %s", txn_id,
		    mx_strerror(r));
		*status = r == MX_ERR_TOO_BIG ? 413 : 400;
		*reply = u_strdup(r == MX_ERR_TOO_BIG ?
		    "{\"errcode\":\"M_TOO_LARGE\",\"error\":\"too many events\"}" :
		    "{\"errcode\":\"M_BAD_JSON\",\"error\":\"invalid transaction\"}");
		return;
	}
	if (dropped > 0)
		logp_warnx(LOGP, "transaction %s: %zu malformed events dropped",
		    txn_id, dropped);
	json_array_foreach(txn.events, i, ev) {
		if (mx__event_is_echo(&as->ns, ev))
			continue;
		delivered++;
		if (as->cb.on_event != NULL)
			as->cb.on_event(as->cb.arg, ev);
	}
	if (as->ephemeral && txn.ephemeral != NULL) {
		json_array_foreach(txn.ephemeral, i, ev) {
			if (!mx__ephemeral_filter(&as->ns, ev))
				continue;
			if (as->cb.on_ephemeral != NULL)
				as->cb.on_ephemeral(as->cb.arg, ev);
		}
	}
	mx__txn_cache_add(&as->cache, txn_id, body, len, now);
	as->txn_count++;
	logp_debug(LOGP, "transaction %s: %zu events, %zu delivered", txn_id,
	    json_array_size(txn.events), delivered);
	mx__txn_clear(&txn);
	*status = 200;
	*reply = u_strdup("{}");
}

static void
query_unlink(struct mx_appservice *as, struct query *q)
{
	struct query **pp;

	for (pp = &as->queries; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			return;
		}
}

static void
query_registered(void *arg, int rc, int status, json_t *resp)
{
	struct query *q = arg;

	query_unlink(q->as, q);
	if (rc != 0)
		logp_warnx(LOGP, "user query: registration failed: %s",
		    mx_strerror(rc));
	q->reply(q->key, rc == 0 ? 200 : 404);
	free(q);
}

int
mx__as_user_query(struct mx_appservice *as, const char *user_id,
    mx_reply_fn reply, void *key)
{
	struct mx_intent *in;
	struct query *q;

	if (!mx__user_id_ok(user_id) || !mx__ns_is_ours(&as->ns, user_id))
		return 404;
	if (as->cb.on_user_query == NULL ||
	    !as->cb.on_user_query(as->cb.arg, user_id))
		return 404;
	in = mx_intent_for(as, user_id);
	if (in == NULL)
		return 404;
	q = u_calloc(1, sizeof(*q));
	q->as = as;
	q->key = key;
	q->reply = reply;
	q->next = as->queries;
	as->queries = q;
	if (mx_intent_ensure_registered(in, query_registered, q) != 0) {
		query_unlink(as, q);
		free(q);
		return 404;
	}
	return 0;
}

void
mx__as_query_cancel(struct mx_appservice *as, void *key)
{
	struct query *q;

	for (q = as->queries; q != NULL; q = q->next)
		if (q->key == key)
			break;
	if (q == NULL)
		return;
	mx__http_cancel_arg(as->http, q);
	query_unlink(as, q);
	free(q);
}

int
mx__as_room_query(struct mx_appservice *as, const char *alias)
{
	if (alias[0] != '#' || as->cb.on_room_query == NULL)
		return 404;
	return as->cb.on_room_query(as->cb.arg, alias) ? 200 : 404;
}

/* --- life cycle --- */

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? u_strdup(s) : NULL;
}

int
mx_appservice_new(struct u_loop *loop, const struct mx_config *cfg,
    const struct mx_callbacks *cb, struct mx_appservice **out)
{
	struct mx_appservice *as = NULL;
	struct timespec ts;
	size_t i, n;
	int r = MX_ERR_INVALID;

	mx_err_register();
	if (cfg->hs_address == NULL || cfg->domain == NULL ||
	    cfg->as_id == NULL || cfg->as_token == NULL ||
	    cfg->hs_token == NULL || cfg->as_token[0] == '\0' ||
	    cfg->hs_token[0] == '\0')
		goto out;
	as = u_calloc(1, sizeof(*as));
	as->loop = loop;
	if ((r = mx__ns_init(&as->ns, cfg->bot_localpart, cfg->username_template,
	    cfg->domain, cfg->dp_source != NULL ? cfg->dp_source : cfg->as_id)) != 0)
		goto out;
	as->hs_address = u_strdup(cfg->hs_address);
	n = strlen(as->hs_address);
	while (n > 0 && as->hs_address[n - 1] == '/')
		as->hs_address[--n] = '\0';
	as->as_id = u_strdup(cfg->as_id);
	as->as_token = u_strdup(cfg->as_token);
	as->hs_token = u_strdup(cfg->hs_token);
	as->bot_displayname = dup_or_null(cfg->bot_displayname);
	as->bot_avatar = dup_or_null(cfg->bot_avatar);
	as->ephemeral = cfg->ephemeral;
	as->ignore_spec = cfg->ignore_spec_version;
	as->skip_ping = cfg->skip_ping;
	as->timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms :
	    MX_REQUEST_TIMEOUT_MS;
	as->ping_attempts = cfg->ping_attempts ? cfg->ping_attempts : 6;
	as->retry_base_ms = cfg->retry_base_ms ? cfg->retry_base_ms : 500;
	as->bridge_state_key = u_asprintf("%s/%s", cfg->domain, cfg->as_id);
	if (cfg->dp_nsecrets > 0) {
		as->dp = u_calloc(cfg->dp_nsecrets, sizeof(*as->dp));
		for (i = 0; i < cfg->dp_nsecrets; i++) {
			as->dp[i].server = u_strdup(cfg->dp_secrets[i].server);
			as->dp[i].secret = u_strdup(cfg->dp_secrets[i].secret);
		}
		as->ndp = cfg->dp_nsecrets;
	}
	if (cb != NULL)
		as->cb = *cb;
	/* txnIds: unique across restarts and across every intent, since
	 * Synapse caches them per appservice, not per user. */
	clock_gettime(CLOCK_REALTIME, &ts);
	as->txn_boot = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	as->http = mx__http_new(loop, cfg->retry_base_ms);
	as->bot = intent_new(as, as->ns.bot_id, as->as_token, 0);
	if ((r = mx__server_new(as, loop, cfg->listen_host ? cfg->listen_host :
	    "127.0.0.1", cfg->listen_port, &as->srv)) != 0) {
		logp_warnx(LOGP, "cannot listen on %s:%d",
		    cfg->listen_host ? cfg->listen_host : "127.0.0.1",
		    cfg->listen_port);
		goto out;
	}
	logp_info(LOGP, "appservice %s listening on port %d", as->as_id,
	    mx__server_port(as->srv));
	*out = as;
	as = NULL;
	r = 0;
out:
	mx_appservice_free(as);
	return r;
}

void
mx_appservice_free(struct mx_appservice *as)
{
	struct mx_intent *in;
	struct query *q;
	size_t i;

	if (as == NULL)
		return;
	/* Drop every call first: the server's teardown turns the loop, and
	 * no callback may reach a caller that is shutting down. */
	u_timer_free(as->start_timer);
	as->start_timer = NULL;
	if (as->http != NULL)
		mx__http_cancel_all(as->http);
	while ((q = as->queries) != NULL) {
		as->queries = q->next;
		free(q);
	}
	mx__server_free(as->srv);
	mx__http_free(as->http);
	while ((in = as->intents) != NULL) {
		as->intents = in->next;
		free(in->user_id);
		free(in->device_id);
		u_free_secret(in->token, strlen(in->token));
		free(in);
	}
	for (i = 0; i < as->ndp; i++) {
		free(as->dp[i].server);
		u_free_secret(as->dp[i].secret, strlen(as->dp[i].secret));
	}
	free(as->dp);
	mx__txn_cache_clear(&as->cache);
	mx__ns_clear(&as->ns);
	free(as->hs_address);
	free(as->as_id);
	if (as->as_token != NULL)
		u_free_secret(as->as_token, strlen(as->as_token));
	if (as->hs_token != NULL)
		u_free_secret(as->hs_token, strlen(as->hs_token));
	free(as->bot_displayname);
	free(as->bot_avatar);
	free(as->room_version);
	free(as->bridge_state_key);
	free(as);
}

/* --- start-up --- */

enum {
	ST_REGISTER, ST_VERSIONS, ST_WHOAMI, ST_CAPS, ST_MEDIA, ST_PING,
	ST_NAME, ST_AVATAR, ST_DONE,
};

static const char *const st_names[] = {
	"register-bot", "versions", "whoami", "capabilities", "media-config",
	"ping", "bot-displayname", "bot-avatar", "done",
};

/* The one place the start-up state changes. */
static void
start_set(struct mx_appservice *as, int st)
{
	logp_debug(LOGP, "start-up %s -> %s", st_names[as->start_state],
	    st_names[st]);
	as->start_state = st;
}

static void
start_finish(struct mx_appservice *as, int rc)
{
	mx_start_fn fn = as->start_done;

	as->start_done = NULL;
	if (rc == 0) {
		as->ready = 1;
		logp_info(LOGP, "homeserver checks passed, appservice ready");
	} else
		logp_warnx(LOGP, "start-up failed: %s", mx_strerror(rc));
	if (fn != NULL)
		fn(as->start_arg, rc);
}

static const char *
errcode_of(json_t *resp)
{
	const char *s = json_string_value(json_object_get(resp, "errcode"));

	return s != NULL ? s : "";
}

/* "v1.4" or later (or any v2+) in the versions list. */
static int
spec_ok(json_t *resp, int *has_ping)
{
	json_t *vs = json_object_get(resp, "versions"), *v, *uf;
	size_t i;
	int ok = 0, major, minor;

	*has_ping = 0;
	json_array_foreach(vs, i, v) {
		if (!json_is_string(v) ||
		    sscanf(json_string_value(v), "v%d.%d", &major, &minor) != 2)
			continue;
		if (major > 1 || (major == 1 && minor >= 4))
			ok = 1;
		if (major > 1 || (major == 1 && minor >= 7))
			*has_ping = 1;
	}
	uf = json_object_get(json_object_get(resp, "unstable_features"),
	    "fi.mau.msc2659.stable");
	if (json_is_true(uf))
		*has_ping = 1;
	return ok;
}

static void
start_next(void *arg)
{
	struct mx_appservice *as = arg;

	u_timer_free(as->start_timer);
	as->start_timer = NULL;
	start_step(as);
}

static void
start_reply(void *arg, int rc, int status, json_t *resp)
{
	struct mx_appservice *as = arg;
	const char *s;
	json_t *v;
	int has_ping;

	switch (as->start_state) {
	case ST_REGISTER:
		if (rc != 0) {
			logp_warnx(LOGP, "registering the bot: %s (%d %s)",
			    mx_strerror(rc), status, errcode_of(resp));
			start_finish(as, MX_ERR_START_CONNECT);
			return;
		}
		break;
	case ST_VERSIONS:
		if (rc != 0) {
			start_finish(as, MX_ERR_START_CONNECT);
			return;
		}
		if (!spec_ok(resp, &has_ping) && !as->ignore_spec) {
			start_finish(as, MX_ERR_START_VERSION);
			return;
		}
		if (!has_ping && !as->skip_ping) {
			logp_info(LOGP, "homeserver has no appservice ping, skipped");
			as->skip_ping = 1;
		}
		break;
	case ST_WHOAMI:
		if (rc != 0) {
			logp_warnx(LOGP, "whoami: %s (%d %s)", mx_strerror(rc),
			    status, errcode_of(resp));
			start_finish(as, status == 403 ? MX_ERR_START_WHOAMI :
			    MX_ERR_START_CONNECT);
			return;
		}
		s = json_string_value(json_object_get(resp, "user_id"));
		if (s == NULL || strcmp(s, as->ns.bot_id) != 0) {
			logp_warnx(LOGP, "whoami says %s, expected %s",
			    s ? s : "(none)", as->ns.bot_id);
			start_finish(as, MX_ERR_START_WHOAMI);
			return;
		}
		break;
	case ST_CAPS:
		v = json_object_get(json_object_get(json_object_get(resp,
		    "capabilities"), "m.room_versions"), "default");
		free(as->room_version);
		as->room_version = u_strdup(json_is_string(v) ?
		    json_string_value(v) : "10");
		break;
	case ST_MEDIA:
		v = json_object_get(resp, "m.upload.size");
		if (json_is_integer(v) && json_integer_value(v) > 0)
			as->upload_max = (uint64_t)json_integer_value(v);
		else
			as->upload_max = 50u << 20;	/* Synapse's default */
		break;
	case ST_PING:
		if (rc != 0) {
			logp_warnx(LOGP, "appservice ping %u/%u failed: %d %s",
			    as->ping_try + 1, as->ping_attempts, status,
			    errcode_of(resp));
			if (++as->ping_try >= as->ping_attempts) {
				start_finish(as, MX_ERR_START_PING);
				return;
			}
			as->start_timer = u_timer_new(as->loop, start_next, as);
			u_timer_start(as->start_timer, u_backoff_ms(as->ping_try,
			    2 * as->retry_base_ms, 5000), 0);
			return;
		}
		logp_info(LOGP, "appservice ping ok (%lld ms)", (long long)
		    json_integer_value(json_object_get(resp, "duration_ms")));
		break;
	case ST_NAME:
	case ST_AVATAR:
		if (rc != 0)
			logp_warnx(LOGP, "setting the bot profile: %s",
			    mx_strerror(rc));
		break;
	}
	start_set(as, as->start_state + 1);
	start_step(as);
}

static void
start_step(struct mx_appservice *as)
{
	struct mx_intent *bot = as->bot;
	char *path, *body;
	json_t *j;
	int r = 0;

	for (;;) {
		switch (as->start_state) {
		case ST_REGISTER:
			r = mx_intent_ensure_registered(bot, start_reply, as);
			break;
		case ST_VERSIONS:
			r = mx_intent_request(bot, "GET", "/_matrix/client/versions",
			    NULL, NULL, start_reply, as);
			break;
		case ST_WHOAMI:
			r = mx_intent_whoami(bot, start_reply, as);
			break;
		case ST_CAPS:
			r = mx_intent_request(bot, "GET",
			    "/_matrix/client/v3/capabilities", NULL, NULL,
			    start_reply, as);
			break;
		case ST_MEDIA:
			r = mx_intent_request(bot, "GET",
			    "/_matrix/client/v1/media/config", NULL, NULL,
			    start_reply, as);
			break;
		case ST_PING:
			if (as->skip_ping) {
				start_set(as, ST_NAME);
				continue;
			}
			body = mx__esc(as->as_id);
			path = u_asprintf("/_matrix/client/v1/appservice/%s/ping", body);
			free(body);
			j = json_pack("{s:s}", "transaction_id", "ponton-start");
			r = mx_intent_request(bot, "POST", path, NULL, j,
			    start_reply, as);
			json_decref(j);
			free(path);
			break;
		case ST_NAME:
			if (as->bot_displayname == NULL) {
				start_set(as, ST_AVATAR);
				continue;
			}
			/* mautrix's config: "remove" clears it */
			r = mx_intent_set_displayname(bot,
			    strcmp(as->bot_displayname, "remove") == 0 ? "" :
			    as->bot_displayname, start_reply, as);
			break;
		case ST_AVATAR:
			if (as->bot_avatar == NULL) {
				start_set(as, ST_DONE);
				continue;
			}
			r = mx_intent_set_avatar_url(bot,
			    strcmp(as->bot_avatar, "remove") == 0 ? "" :
			    as->bot_avatar, start_reply, as);
			break;
		default:
			start_finish(as, 0);
			return;
		}
		break;
	}
	if (r != 0)
		start_finish(as, MX_ERR_INTERNAL);
}

void
mx_appservice_start(struct mx_appservice *as, mx_start_fn done, void *arg)
{
	as->start_done = done;
	as->start_arg = arg;
	as->start_state = ST_REGISTER;
	as->ping_try = 0;
	as->ready = 0;
	start_step(as);
}
