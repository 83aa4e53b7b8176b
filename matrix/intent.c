/*
 * intent.c: client-server calls on behalf of one user (the bot, a ghost
 * through user_id assertion, or a double puppet through the double-puppet
 * appservice's token, also with user_id).
 *
 * Every id that goes into a path is percent-encoded here.  txnIds are
 * "ponton<boot ns>.<counter>": unique per process run and across intents
 * (Synapse caches client txnIds per appservice, not per user), and reused
 * by the transport's retries, which makes a retried send idempotent.  A
 * caller may choose the txnId (mx_intent_send_txn): one derived from what
 * is being bridged makes a re-send after our own crash idempotent too.
 *
 * Does not: keep membership or profile caches (bridge/ does), or retry
 * after M_FORBIDDEN (the caller decides: register, invite, join).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "matrix/as_int.h"
#include "util/log.h"
#include "util/mem.h"

char *
mx__esc(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i;
	char *o = u_malloc(n * 3 + 1), *p = o;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			*p++ = (char)c;
		else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return o;
}

char *
mx__as_txn_id(struct mx_appservice *as)
{
	return u_asprintf("ponton%" PRIu64 ".%" PRIu64, as->txn_boot,
	    ++as->txn_counter);
}

struct call {
	const char	*method;
	const char	*path;		/* percent-encoded */
	const char	*query;		/* NULL or "a=b&c=d" */
	json_t		*json;		/* body or NULL */
	const void	*raw;		/* raw body (upload) */
	size_t		 raw_len;
	const char	*content_type;
	int		 idempotent;
	int		 as_sender;	/* no user_id: act as sender_localpart */
	size_t		 max_resp;
	mx_done_fn	 done;
	mx_data_fn	 data_done;
	void		*arg;
	void		*owner;
	void		(*free_arg)(void *);
};

static int
call(struct mx_intent *in, const struct call *c)
{
	struct mx_appservice *as = in->as;
	struct mx_http_opts o = { 0 };
	char *uid = NULL, *dev = NULL, *url, *body = NULL;

	if (!c->as_sender)
		uid = mx__esc(in->user_id);
	if (!c->as_sender && in->device_id != NULL)
		dev = mx__esc(in->device_id);
	url = u_asprintf("%s%s%s%s%s%s%s%s%s", as->hs_address, c->path,
	    (c->query || uid) ? "?" : "", c->query ? c->query : "",
	    (c->query && uid) ? "&" : "", uid ? "user_id=" : "", uid ? uid : "",
	    dev ? "&device_id=" : "", dev ? dev : "");
	free(uid);
	free(dev);
	if (c->json != NULL) {
		body = json_dumps(c->json, JSON_COMPACT);
		if (body == NULL) {
			free(url);
			return MX_ERR_INTERNAL;
		}
		o.body = body;
		o.body_len = strlen(body);
	} else if (c->raw != NULL) {
		o.body = c->raw;
		o.body_len = c->raw_len;
		o.content_type = c->content_type;
	}
	o.method = c->method;
	o.url = url;
	o.token = in->token;
	o.idempotent = c->idempotent;
	o.max_resp = c->max_resp;
	o.timeout_ms = as->timeout_ms;
	o.done = c->done;
	o.data_done = c->data_done;
	o.arg = c->arg;
	o.owner = c->owner;
	o.free_arg = c->free_arg;
	logp_trace("mx-intent", "%s %s as %s", c->method, c->path, in->user_id);
	mx__http_start(as->http, &o);
	free(url);
	free(body);
	return 0;
}

int
mx_intent_request(struct mx_intent *in, const char *method, const char *path,
    const char *query, json_t *body, mx_done_fn done, void *arg)
{
	struct call c = { 0 };

	c.method = method;
	c.path = path;
	c.query = query;
	c.json = body;
	c.idempotent = strcmp(method, "POST") != 0;
	c.done = done;
	c.arg = arg;
	return call(in, &c);
}

/* --- register: M_USER_IN_USE is success --- */

struct wrap {
	mx_done_fn	 done;
	void		*arg;
};

static void
registered(void *arg, int rc, int status, json_t *resp)
{
	struct wrap *w = arg;
	const char *ec = json_string_value(json_object_get(resp, "errcode"));

	if (rc == MX_ERR_HTTP && ec != NULL && strcmp(ec, "M_USER_IN_USE") == 0)
		rc = 0;
	w->done(w->arg, rc, status, resp);
	free(w);
}

int
mx_intent_ensure_registered(struct mx_intent *in, mx_done_fn done, void *arg)
{
	struct call c = { 0 };
	struct wrap *w;
	const char *colon = strchr(in->user_id, ':');
	char *lp;
	json_t *body;
	int r;

	if (in->dp)
		return MX_ERR_NOT_OURS;
	w = u_calloc(1, sizeof(*w));
	w->done = done;
	w->arg = arg;
	lp = u_strndup(in->user_id + 1, (size_t)(colon - in->user_id) - 1);
	/* inhibit_login: no device or token is wanted, and servers using
	 * OAuth (MAS) refuse appservice logins without it. */
	body = json_pack("{s:s,s:s,s:b}", "type", "m.login.application_service",
	    "username", lp, "inhibit_login", 1);
	c.method = "POST";
	c.path = "/_matrix/client/v3/register";
	c.json = body;
	c.idempotent = 1;	/* a repeat only yields M_USER_IN_USE */
	c.as_sender = 1;
	c.done = registered;
	c.arg = w;
	c.owner = arg;
	c.free_arg = free;
	r = call(in, &c);
	if (r != 0)
		free(w);
	json_decref(body);
	free(lp);
	return r;
}

/* --- a device, for txnIds that survive a homeserver restart --- */

struct dev_wrap {
	struct mx_intent	*in;
	char			*device_id;	/* owned */
	mx_done_fn		 done;
	void			*arg;
};

static void
dev_wrap_free(void *p)
{
	struct dev_wrap *w = p;

	free(w->device_id);
	free(w);
}

static void
device_made(void *arg, int rc, int status, json_t *resp)
{
	struct dev_wrap *w = arg;

	if (rc == 0) {
		free(w->in->device_id);
		w->in->device_id = w->device_id;
		w->device_id = NULL;
	}
	w->done(w->arg, rc, status, resp);
	dev_wrap_free(w);
}

int
mx_intent_ensure_device(struct mx_intent *in, const char *device_id,
    const char *display_name, mx_done_fn done, void *arg)
{
	struct call c = { 0 };
	struct dev_wrap *w;
	char *d, *path;
	json_t *body;
	int r;

	if (in->dp)
		return MX_ERR_NOT_OURS;
	if (device_id == NULL || *device_id == '\0' || strlen(device_id) > 64)
		return MX_ERR_INVALID;
	w = u_calloc(1, sizeof(*w));
	w->in = in;
	w->device_id = u_strdup(device_id);
	w->done = done;
	w->arg = arg;
	d = mx__esc(device_id);
	path = u_asprintf("/_matrix/client/v3/devices/%s", d);
	body = display_name != NULL ? json_pack("{s:s}", "display_name",
	    display_name) : json_object();
	/* Not yet device_id= on this very call: the device may not exist. */
	free(in->device_id);
	in->device_id = NULL;
	c.method = "PUT";
	c.path = path;
	c.json = body;
	c.idempotent = 1;	/* an upsert */
	c.done = device_made;
	c.arg = w;
	c.owner = arg;
	c.free_arg = dev_wrap_free;
	r = call(in, &c);
	if (r != 0)
		dev_wrap_free(w);
	json_decref(body);
	free(path);
	free(d);
	return r;
}

int
mx_intent_whoami(struct mx_intent *in, mx_done_fn done, void *arg)
{
	return mx_intent_request(in, "GET", "/_matrix/client/v3/account/whoami",
	    NULL, NULL, done, arg);
}

static int
profile_put(struct mx_intent *in, const char *field, const char *value,
    mx_done_fn done, void *arg)
{
	char *u = mx__esc(in->user_id), *path;
	json_t *body = json_pack("{s:s}", field, value);
	int r;

	path = u_asprintf("/_matrix/client/v3/profile/%s/%s", u, field);
	r = body != NULL ? mx_intent_request(in, "PUT", path, NULL, body, done,
	    arg) : MX_ERR_INVALID;
	json_decref(body);
	free(path);
	free(u);
	return r;
}

int
mx_intent_set_displayname(struct mx_intent *in, const char *name,
    mx_done_fn done, void *arg)
{
	return profile_put(in, "displayname", name, done, arg);
}

int
mx_intent_set_avatar_url(struct mx_intent *in, const char *mxc,
    mx_done_fn done, void *arg)
{
	return profile_put(in, "avatar_url", mxc, done, arg);
}

/* --- rooms --- */

static int
version_privileged_creators(const char *v)
{
	/* Room version 12 and later (MSC4289): creators have infinite power
	 * and must not be listed in the power levels' users. */
	char *end;
	long n;

	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	return *end == '\0' && n >= 12;
}

static void
drop_creators(json_t *users, json_t *creators)
{
	size_t i;
	json_t *c;

	if (!json_is_object(users))
		return;
	json_array_foreach(creators, i, c)
		if (json_is_string(c))
			json_object_del(users, json_string_value(c));
}

int
mx_intent_create_room(struct mx_intent *in, json_t *req, mx_done_fn done,
    void *arg)
{
	struct call c = { 0 };
	json_t *body, *creators, *ac, *st, *ev;
	const char *ver;
	size_t i;
	int r;

	if (!json_is_object(req))
		return MX_ERR_INVALID;
	body = json_deep_copy(req);
	ver = json_string_value(json_object_get(body, "room_version"));
	if (ver == NULL)
		ver = in->as->room_version;
	if (version_privileged_creators(ver)) {
		creators = json_array();
		json_array_append_new(creators, json_string(in->user_id));
		ac = json_object_get(json_object_get(body, "creation_content"),
		    "additional_creators");
		if (json_is_array(ac))
			json_array_extend(creators, ac);
		drop_creators(json_object_get(json_object_get(body,
		    "power_level_content_override"), "users"), creators);
		st = json_object_get(body, "initial_state");
		json_array_foreach(st, i, ev) {
			const char *t = json_string_value(json_object_get(ev, "type"));

			if (t != NULL && strcmp(t, "m.room.power_levels") == 0)
				drop_creators(json_object_get(json_object_get(ev,
				    "content"), "users"), creators);
		}
		json_decref(creators);
	}
	c.method = "POST";
	c.path = "/_matrix/client/v3/createRoom";
	c.json = body;
	c.idempotent = 0;	/* a repeat would make a second room */
	c.done = done;
	c.arg = arg;
	r = call(in, &c);
	json_decref(body);
	return r;
}

static int
room_post(struct mx_intent *in, const char *room_id, const char *verb,
    json_t *body, int idempotent, mx_done_fn done, void *arg)
{
	struct call c = { 0 };
	char *r = mx__esc(room_id), *path;
	int rc;

	path = u_asprintf("/_matrix/client/v3/rooms/%s/%s", r, verb);
	c.method = "POST";
	c.path = path;
	c.json = body;
	c.idempotent = idempotent;
	c.done = done;
	c.arg = arg;
	rc = call(in, &c);
	free(path);
	free(r);
	return rc;
}

static json_t *
member_body(const char *user_id, const char *reason)
{
	json_t *b = json_object();

	if (user_id != NULL)
		json_object_set_new(b, "user_id", json_string(user_id));
	if (reason != NULL)
		json_object_set_new(b, "reason", json_string(reason));
	return b;
}

static int
member_call(struct mx_intent *in, const char *room_id, const char *verb,
    const char *user_id, const char *reason, int idempotent, mx_done_fn done,
    void *arg)
{
	json_t *b;
	int r;

	if (room_id == NULL || (user_id != NULL && !mx__user_id_ok(user_id)))
		return MX_ERR_INVALID;
	b = member_body(user_id, reason);
	r = room_post(in, room_id, verb, b, idempotent, done, arg);
	json_decref(b);
	return r;
}

/* A membership call made on behalf of an ensure-joined chain: cancelling
 * the caller's arg drops it and frees the chain. */
struct ej;
static void ej_next(void *, int, int, json_t *);
static void ej_free(void *);
static void *ej_owner(struct ej *);

static int
member_call_owned(struct mx_intent *in, const char *room_id, const char *verb,
    const char *user_id, struct ej *e)
{
	struct call c = { 0 };
	char *r = mx__esc(room_id), *path;
	json_t *b = member_body(user_id, NULL);
	int rc;

	path = u_asprintf("/_matrix/client/v3/rooms/%s/%s", r, verb);
	c.method = "POST";
	c.path = path;
	c.json = b;
	c.idempotent = strcmp(verb, "join") == 0;
	c.done = ej_next;
	c.arg = e;
	c.owner = ej_owner(e);
	c.free_arg = ej_free;
	rc = call(in, &c);
	json_decref(b);
	free(path);
	free(r);
	return rc;
}

int
mx_intent_invite(struct mx_intent *in, const char *room_id,
    const char *user_id, const char *reason, mx_done_fn done, void *arg)
{
	if (user_id == NULL)
		return MX_ERR_INVALID;
	return member_call(in, room_id, "invite", user_id, reason, 0, done, arg);
}

int
mx_intent_join(struct mx_intent *in, const char *room_id, mx_done_fn done,
    void *arg)
{
	return member_call(in, room_id, "join", NULL, NULL, 1, done, arg);
}

/* --- ensure joined: join; on 403 the bot invites, then join again --- */

struct ej {
	struct mx_intent	*in;
	char			*room;		/* owned */
	int			 step;		/* 0 join, 1 invite, 2 join again */
	mx_done_fn		 done;
	void			*arg;
};

static void *
ej_owner(struct ej *e)
{
	return e->arg;
}

static void
ej_free(void *p)
{
	struct ej *e = p;

	free(e->room);
	free(e);
}

static void
ej_next(void *arg, int rc, int status, json_t *resp)
{
	struct ej *e = arg;
	struct mx_appservice *as = e->in->as;
	int r;

	if (e->step == 0 && rc == MX_ERR_HTTP && status == 403 &&
	    e->in != as->bot) {
		e->step = 1;
		r = member_call_owned(as->bot, e->room, "invite", e->in->user_id,
		    e);
	} else if (e->step == 1 && rc == 0) {
		e->step = 2;
		r = member_call_owned(e->in, e->room, "join", NULL, e);
	} else {
		e->done(e->arg, rc, status, resp);
		ej_free(e);
		return;
	}
	if (r != 0) {
		e->done(e->arg, r, 0, NULL);
		ej_free(e);
	}
}

int
mx_intent_ensure_joined(struct mx_intent *in, const char *room_id,
    mx_done_fn done, void *arg)
{
	struct ej *e;
	int r;

	if (room_id == NULL)
		return MX_ERR_INVALID;
	e = u_calloc(1, sizeof(*e));
	e->in = in;
	e->room = u_strdup(room_id);
	e->done = done;
	e->arg = arg;
	r = member_call_owned(in, room_id, "join", NULL, e);
	if (r != 0)
		ej_free(e);
	return r;
}

int
mx_intent_leave(struct mx_intent *in, const char *room_id, const char *reason,
    mx_done_fn done, void *arg)
{
	return member_call(in, room_id, "leave", NULL, reason, 1, done, arg);
}

int
mx_intent_kick(struct mx_intent *in, const char *room_id, const char *user_id,
    const char *reason, mx_done_fn done, void *arg)
{
	if (user_id == NULL)
		return MX_ERR_INVALID;
	return member_call(in, room_id, "kick", user_id, reason, 0, done, arg);
}

/* Content as sent: a double puppet marks it so its echo is recognised. */
static json_t *
marked(struct mx_intent *in, json_t *content, uint64_t ts_ms)
{
	json_t *c = json_deep_copy(content);

	if (in->dp) {
		json_object_set_new(c, "fi.mau.double_puppet_source",
		    json_string(in->as->ns.dp_source));
		if (ts_ms != 0)
			json_object_set_new(c, "fi.mau.double_puppet_ts",
			    json_integer((json_int_t)ts_ms));
	}
	return c;
}

int
mx_intent_send_txn(struct mx_intent *in, const char *room_id,
    const char *type, json_t *content, uint64_t ts_ms, const char *txn_id,
    mx_done_fn done, void *arg)
{
	struct call c = { 0 };
	char *r, *t, *txn, *path, *q = NULL;
	json_t *body;
	int rc;

	if (room_id == NULL || type == NULL || !json_is_object(content) ||
	    (txn_id != NULL && (txn_id[0] == '\0' ||
	    strlen(txn_id) > MX_TXN_ID_MAX)))
		return MX_ERR_INVALID;
	r = mx__esc(room_id);
	t = mx__esc(type);
	txn = txn_id != NULL ? mx__esc(txn_id) : mx__as_txn_id(in->as);
	path = u_asprintf("/_matrix/client/v3/rooms/%s/send/%s/%s", r, t, txn);
	if (ts_ms != 0)
		q = u_asprintf("ts=%" PRIu64, ts_ms);
	body = marked(in, content, ts_ms);
	c.method = "PUT";
	c.path = path;
	c.query = q;
	c.json = body;
	c.idempotent = 1;	/* same txnId on every attempt */
	c.done = done;
	c.arg = arg;
	rc = call(in, &c);
	json_decref(body);
	free(q);
	free(path);
	free(txn);
	free(t);
	free(r);
	return rc;
}

int
mx_intent_send(struct mx_intent *in, const char *room_id, const char *type,
    json_t *content, uint64_t ts_ms, mx_done_fn done, void *arg)
{
	return mx_intent_send_txn(in, room_id, type, content, ts_ms, NULL,
	    done, arg);
}

int
mx_intent_send_state(struct mx_intent *in, const char *room_id,
    const char *type, const char *state_key, json_t *content, uint64_t ts_ms,
    mx_done_fn done, void *arg)
{
	struct call c = { 0 };
	char *r, *t, *k, *path, *q = NULL;
	json_t *body;
	int rc;

	if (room_id == NULL || type == NULL || !json_is_object(content))
		return MX_ERR_INVALID;
	r = mx__esc(room_id);
	t = mx__esc(type);
	k = mx__esc(state_key != NULL ? state_key : "");
	path = u_asprintf("/_matrix/client/v3/rooms/%s/state/%s/%s", r, t, k);
	if (ts_ms != 0)
		q = u_asprintf("ts=%" PRIu64, ts_ms);
	body = marked(in, content, ts_ms);
	c.method = "PUT";
	c.path = path;
	c.query = q;
	c.json = body;
	c.idempotent = 1;
	c.done = done;
	c.arg = arg;
	rc = call(in, &c);
	json_decref(body);
	free(q);
	free(path);
	free(k);
	free(t);
	free(r);
	return rc;
}

int
mx_intent_get_state(struct mx_intent *in, const char *room_id,
    const char *type, const char *state_key, mx_done_fn done, void *arg)
{
	char *r, *t, *k, *path;
	int rc;

	if (room_id == NULL || type == NULL)
		return MX_ERR_INVALID;
	r = mx__esc(room_id);
	t = mx__esc(type);
	k = mx__esc(state_key != NULL ? state_key : "");
	path = u_asprintf("/_matrix/client/v3/rooms/%s/state/%s/%s", r, t, k);
	rc = mx_intent_request(in, "GET", path, NULL, NULL, done, arg);
	free(path);
	free(k);
	free(t);
	free(r);
	return rc;
}

int
mx_intent_redact(struct mx_intent *in, const char *room_id,
    const char *event_id, const char *reason, mx_done_fn done, void *arg)
{
	char *r, *e, *txn, *path;
	json_t *body;
	int rc;

	if (room_id == NULL || event_id == NULL)
		return MX_ERR_INVALID;
	r = mx__esc(room_id);
	e = mx__esc(event_id);
	txn = mx__as_txn_id(in->as);
	path = u_asprintf("/_matrix/client/v3/rooms/%s/redact/%s/%s", r, e, txn);
	body = member_body(NULL, reason);
	rc = mx_intent_request(in, "PUT", path, NULL, body, done, arg);
	json_decref(body);
	free(path);
	free(txn);
	free(e);
	free(r);
	return rc;
}

int
mx_intent_receipt(struct mx_intent *in, const char *room_id,
    const char *event_id, mx_done_fn done, void *arg)
{
	char *e, *verb;
	json_t *body;
	int rc;

	if (room_id == NULL || event_id == NULL)
		return MX_ERR_INVALID;
	e = mx__esc(event_id);
	verb = u_asprintf("receipt/m.read/%s", e);
	body = json_object();
	rc = room_post(in, room_id, verb, body, 1, done, arg);
	json_decref(body);
	free(verb);
	free(e);
	return rc;
}

int
mx_intent_typing(struct mx_intent *in, const char *room_id, int typing,
    unsigned timeout_ms, mx_done_fn done, void *arg)
{
	char *r, *u, *path;
	json_t *body;
	int rc;

	if (room_id == NULL)
		return MX_ERR_INVALID;
	r = mx__esc(room_id);
	u = mx__esc(in->user_id);
	path = u_asprintf("/_matrix/client/v3/rooms/%s/typing/%s", r, u);
	body = typing ? json_pack("{s:b,s:i}", "typing", 1, "timeout",
	    (int)timeout_ms) : json_pack("{s:b}", "typing", 0);
	rc = mx_intent_request(in, "PUT", path, NULL, body, done, arg);
	json_decref(body);
	free(path);
	free(u);
	free(r);
	return rc;
}

/* --- media --- */

int
mx_intent_upload(struct mx_intent *in, const void *data, size_t len,
    const char *content_type, const char *filename, mx_done_fn done, void *arg)
{
	struct call c = { 0 };
	char *f = NULL, *q = NULL;
	int rc;

	if (data == NULL && len > 0)
		return MX_ERR_INVALID;
	if (in->as->upload_max != 0 && len > in->as->upload_max)
		return MX_ERR_TOO_BIG;
	if (filename != NULL) {
		f = mx__esc(filename);
		q = u_asprintf("filename=%s", f);
	}
	c.method = "POST";
	c.path = "/_matrix/media/v3/upload";
	c.query = q;
	c.raw = data != NULL ? data : "";
	c.raw_len = len;
	c.content_type = content_type ? content_type : "application/octet-stream";
	c.idempotent = 1;	/* a repeat only stores a second copy */
	c.done = done;
	c.arg = arg;
	rc = call(in, &c);
	free(q);
	free(f);
	return rc;
}

int
mx_intent_download(struct mx_intent *in, const char *mxc, size_t max_bytes,
    mx_data_fn done, void *arg)
{
	struct call c = { 0 };
	char *server = NULL, *media = NULL, *es, *path;
	int rc;

	if ((rc = mx__mxc_parse(mxc, &server, &media)) != 0)
		return rc;
	if (max_bytes == 0)
		max_bytes = in->as->upload_max ? in->as->upload_max : (50u << 20);
	es = mx__esc(server);
	path = u_asprintf("/_matrix/client/v1/media/download/%s/%s", es, media);
	c.method = "GET";
	c.path = path;
	c.idempotent = 1;
	c.max_resp = max_bytes;
	c.data_done = done;
	c.arg = arg;
	rc = call(in, &c);
	free(path);
	free(es);
	free(server);
	free(media);
	return rc;
}
