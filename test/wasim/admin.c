/*
 * admin.c: wasim's admin HTTP API (JSON), documented in
 * test/wasim/README.md.  Every handler runs synchronously on the loop and
 * returns a JSON object; errors are {"error": "..."} with a 4xx status.
 *
 * Does not: parse HTTP (server.c does) or hold state of its own.
 * Invariants: request bodies are at most SIM_ADMIN_BODY_MAX bytes (checked
 * by server.c) and parsed with duplicate keys rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

static char *
reply(json_t *o, int status, int *out_status)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(o);
	*out_status = status;
	if (s == NULL)
		fatalx("wasim: json_dumps failed");
	/* json_dumps uses malloc; hand back our own copy (caller frees). */
	{
		char *t = u_asprintf("%s\n", s);

		free(s);
		return t;
	}
}

static char *
fail(int status, const char *why, int *out_status)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(why));
	return reply(o, status, out_status);
}

/* Value of name in a query string "a=1&b=2" (no decoding), or NULL. */
static const char *
query_arg(const char *q, const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name);

	while (q != NULL && *q != '\0') {
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *v = q + nl + 1;
			size_t n = strcspn(v, "&");

			if (n >= size)
				return NULL;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		q = strchr(q, '&');
		if (q != NULL)
			q++;
	}
	return NULL;
}

static bool
valid_phone(const char *p)
{
	size_t n = strlen(p);

	if (n < 5 || n > 20)
		return false;
	for (; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static json_t *
account_json(const struct sim_account *a)
{
	json_t *o = json_object();
	char hex[2 * CRY_KEY_LEN + 1];

	json_object_set_new(o, "phone", json_string(a->phone));
	json_object_set_new(o, "lid", json_string(a->lid));
	json_object_set_new(o, "jid", json_sprintf("%s@s.whatsapp.net",
	    a->phone));
	json_object_set_new(o, "lid_jid", json_sprintf("%s@lid", a->lid));
	json_object_set_new(o, "push_name", json_string(a->push_name));
	if (a->biz_name != NULL)
		json_object_set_new(o, "biz_name", json_string(a->biz_name));
	json_object_set_new(o, "platform", json_string(a->platform));
	sim_hex(a->identity.pub, CRY_KEY_LEN, hex);
	json_object_set_new(o, "identity_pub", json_string(hex));
	json_object_set_new(o, "raw_id", json_integer(a->raw_id));
	return o;
}

static json_t *
device_json(const struct sim_account *a, const struct sim_device *d)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(d->id));
	json_object_set_new(o, "jid", json_sprintf("%s:%u@s.whatsapp.net",
	    a->phone, d->id));
	json_object_set_new(o, "lid_jid", json_sprintf("%s:%u@lid", a->lid,
	    d->id));
	json_object_set_new(o, "key_index", json_integer(d->key_index));
	json_object_set_new(o, "removed", json_boolean(d->removed));
	json_object_set_new(o, "connected", json_boolean(d->conn != NULL));
	json_object_set_new(o, "prekeys", json_integer((json_int_t)d->nprekeys));
	json_object_set_new(o, "signed_prekey", json_boolean(d->has_skey));
	if (d->push_name != NULL)
		json_object_set_new(o, "push_name", json_string(d->push_name));
	if (d->conn != NULL) {
		json_object_set_new(o, "conn", json_integer(d->conn->serial));
		json_object_set_new(o, "offline_sent",
		    json_boolean(d->conn->offline_sent));
	}
	return o;
}

static json_t *
conn_json(const struct sim_conn *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(c->serial));
	json_object_set_new(o, "state",
	    json_string(sim_conn_state_name(c->state)));
	json_object_set_new(o, "registering", json_boolean(c->registering));
	if (c->account != NULL)
		json_object_set_new(o, "phone", json_string(c->account->phone));
	if (c->device != NULL)
		json_object_set_new(o, "device", json_integer(c->device->id));
	json_object_set_new(o, "iqs", json_integer(c->iq_count));
	json_object_set_new(o, "unknown_iqs",
	    json_integer(c->unknown_iq_count));
	json_object_set_new(o, "offline_sent", json_boolean(c->offline_sent));
	return o;
}

static json_t *
parse_body(const char *body, size_t len)
{
	json_error_t e;
	json_t *o;

	if (len == 0)
		return json_object();
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* POST /admin/mock-phone/scan-qr  (body: the QR text; ?phone=N optional) */
static char *
scan_qr(struct sim *s, const char *query, const char *body, size_t len,
    int *status)
{
	char phone[32];
	struct sim_account *a = NULL;
	struct sim_conn *c = NULL;
	const char *why = "";
	json_t *o;
	int r;

	if (strlen(body) != len)
		return fail(400, "body holds NUL bytes", status);
	if (query_arg(query, "phone", phone, sizeof(phone)) != NULL) {
		if (!valid_phone(phone))
			return fail(400, "phone must be 5-20 digits", status);
		a = sim_account_find(s, phone);
		if (a == NULL && (a = sim_account_new(s, phone)) == NULL)
			return fail(409, "cannot create account", status);
	}
	r = sim_pair_scan(s, body, a, &c, &why);
	if (r != 0)
		return fail(r == U_ERR_INVALID ? 400 :
		    r == U_ERR_NOT_FOUND ? 404 : 409, why, status);
	o = account_json(c->pair_account);
	json_object_set_new(o, "device", json_integer(c->pair_device));
	json_object_set_new(o, "device_jid", json_sprintf(
	    "%s:%u@s.whatsapp.net", c->pair_account->phone, c->pair_device));
	json_object_set_new(o, "conn", json_integer(c->serial));
	return reply(o, 200, status);
}

/* POST /admin/mock-phone/pair-code  {"phone": "...", "code": "ABCD-EFGH"} */
static char *
pair_code(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len), *o;
	const char *phone, *code, *why = "";
	struct sim_account *a;
	int r;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	phone = jstr(in, "phone");
	code = jstr(in, "code");
	if (phone == NULL || code == NULL || !valid_phone(phone)) {
		json_decref(in);
		return fail(400, "need \"phone\" (digits) and \"code\"",
		    status);
	}
	a = sim_account_find(s, phone);
	if (a == NULL)
		a = sim_account_new(s, phone);
	if (a == NULL) {
		json_decref(in);
		return fail(409, "cannot create account", status);
	}
	r = sim_pair_code_enter(s, a, code, &why);
	json_decref(in);
	if (r != 0)
		return fail(r == U_ERR_NOT_FOUND ? 404 : 400, why, status);
	o = account_json(a);
	return reply(o, 200, status);
}

/* POST /admin/accounts  {"phone"?, "push_name"?, "biz_name"?, "platform"?} */
static char *
account_create(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len);
	const char *phone, *v;
	struct sim_account *a;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	phone = jstr(in, "phone");
	if (phone != NULL && !valid_phone(phone)) {
		json_decref(in);
		return fail(400, "phone must be 5-20 digits", status);
	}
	if (phone != NULL && sim_account_find(s, phone) != NULL) {
		json_decref(in);
		return fail(409, "account exists", status);
	}
	if ((a = sim_account_new(s, phone)) == NULL) {
		json_decref(in);
		return fail(409, "cannot create account", status);
	}
	if ((v = jstr(in, "push_name")) != NULL && strlen(v) < 128) {
		free(a->push_name);
		a->push_name = u_strdup(v);
	}
	if ((v = jstr(in, "biz_name")) != NULL && strlen(v) < 128)
		a->biz_name = u_strdup(v);
	if ((v = jstr(in, "platform")) != NULL && strlen(v) < 32) {
		free(a->platform);
		a->platform = u_strdup(v);
	}
	json_decref(in);
	sim_state_save(s);
	return reply(account_json(a), 201, status);
}

static char *
account_list(struct sim *s, int *status)
{
	json_t *o = json_object(), *arr = json_array();
	size_t i;

	for (i = 0; i < s->naccounts; i++)
		json_array_append_new(arr, account_json(s->accounts[i]));
	json_object_set_new(o, "accounts", arr);
	return reply(o, 200, status);
}

/* GET /admin/accounts/<phone>/devices */
static char *
device_list(struct sim *s, const char *phone, int *status)
{
	struct sim_account *a = sim_account_find(s, phone);
	json_t *o, *arr;
	size_t i;

	if (a == NULL)
		return fail(404, "no such account", status);
	o = account_json(a);
	arr = json_array();
	for (i = 0; i < a->ndevices; i++)
		json_array_append_new(arr, device_json(a, a->devices[i]));
	json_object_set_new(o, "devices", arr);
	return reply(o, 200, status);
}

static char *
conn_list(struct sim *s, int *status)
{
	json_t *o = json_object(), *arr = json_array();
	struct sim_conn *c;

	for (c = s->conns; c != NULL; c = c->next)
		if (!c->dead)
			json_array_append_new(arr, conn_json(c));
	json_object_set_new(o, "conns", arr);
	return reply(o, 200, status);
}

/*
 * POST /admin/stream-error
 *   {"phone": "...", "device"?: N, "code"?: "515", "conflict"?: "replaced",
 *    "failure"?: "405"}
 * Sends <stream:error code [conflict]> (or <failure reason> when "failure"
 * is given) to the live connections of that account (or only of that
 * device) and closes them.  "conflict": "device_removed" also removes the
 * device, so that its next login fails with 401.
 */
static char *
stream_error(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len), *o;
	const char *phone, *code, *conflict, *failure;
	struct sim_account *a;
	json_int_t dev = -1;
	int sent = 0;
	size_t i;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	phone = jstr(in, "phone");
	code = jstr(in, "code");
	conflict = jstr(in, "conflict");
	failure = jstr(in, "failure");
	if (json_is_integer(json_object_get(in, "device")))
		dev = json_integer_value(json_object_get(in, "device"));
	if (phone == NULL || (code == NULL && conflict == NULL &&
	    failure == NULL)) {
		json_decref(in);
		return fail(400, "need \"phone\" and \"code\", \"conflict\" "
		    "or \"failure\"", status);
	}
	if ((code != NULL && strlen(code) > 8) ||
	    (conflict != NULL && strlen(conflict) > 32) ||
	    (failure != NULL && strlen(failure) > 8)) {
		json_decref(in);
		return fail(400, "value too long", status);
	}
	if ((a = sim_account_find(s, phone)) == NULL) {
		json_decref(in);
		return fail(404, "no such account", status);
	}
	for (i = 0; i < a->ndevices; i++) {
		struct sim_device *d = a->devices[i];

		if (dev >= 0 && d->id != dev)
			continue;
		if (conflict != NULL && strcmp(conflict, "device_removed") == 0 &&
		    !d->removed) {
			d->removed = true;
			sim_devices_notify(s, a, d, false);
		}
		if (d->conn == NULL || d->conn->dead)
			continue;
		if (failure != NULL)
			sim_conn_failure(d->conn, failure);
		else
			sim_conn_stream_error(d->conn, code, conflict);
		sent++;
	}
	json_decref(in);
	sim_state_save(s);
	o = json_object();
	json_object_set_new(o, "sent", json_integer(sent));
	return reply(o, 200, status);
}

/*
 * POST /admin/login-failure  {"phone": "...", "reason": "405", "count"?: 1}
 * The next count logins of that account get <failure reason=...> instead
 * of <success> (405 client outdated, 403, 406 banned, 503...).
 */
static char *
login_failure(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len), *o;
	const char *phone, *reason;
	struct sim_account *a;
	json_int_t count = 1;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	phone = jstr(in, "phone");
	reason = jstr(in, "reason");
	if (json_is_integer(json_object_get(in, "count")))
		count = json_integer_value(json_object_get(in, "count"));
	if (phone == NULL || reason == NULL || strlen(reason) == 0 ||
	    strlen(reason) > 8 || count < 0 || count > 1000) {
		json_decref(in);
		return fail(400, "need \"phone\", \"reason\" (<= 8 chars), "
		    "\"count\" 0..1000", status);
	}
	if ((a = sim_account_find(s, phone)) == NULL) {
		json_decref(in);
		return fail(404, "no such account", status);
	}
	snprintf(a->login_failure, sizeof(a->login_failure), "%s", reason);
	a->login_failures = (unsigned)count;
	json_decref(in);
	o = json_object();
	json_object_set_new(o, "pending", json_integer(count));
	return reply(o, 200, status);
}

/*
 * POST /admin/message-error  {"phone": "...", "code": "463", "count"?: 1}
 * The next count messages sent by that account get <ack class=message
 * error=code> and are not delivered; code "hold": no ack at all (the send
 * stays in flight), not delivered either.
 */
static char *
message_error(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len), *o;
	const char *phone, *code;
	struct sim_account *a;
	json_int_t count = 1;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	phone = jstr(in, "phone");
	code = jstr(in, "code");
	if (json_is_integer(json_object_get(in, "count")))
		count = json_integer_value(json_object_get(in, "count"));
	if (phone == NULL || code == NULL || strlen(code) == 0 ||
	    strlen(code) > 8 || count < 0 || count > 1000) {
		json_decref(in);
		return fail(400, "need \"phone\", \"code\" (<= 8 chars), "
		    "\"count\" 0..1000", status);
	}
	if ((a = sim_account_find(s, phone)) == NULL) {
		json_decref(in);
		return fail(404, "no such account", status);
	}
	snprintf(a->message_error, sizeof(a->message_error), "%s", code);
	a->message_errors = (unsigned)count;
	json_decref(in);
	o = json_object();
	json_object_set_new(o, "pending", json_integer(count));
	return reply(o, 200, status);
}

/*
 * POST /admin/privacy {"phone": "...", "refuse_group_add": true|false}
 * Whether that account's privacy settings refuse being added to groups:
 * adds then answer 403 with an <add_request code expiration/> (group.c).
 */
static char *
privacy(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len), *o, *v;
	const char *phone;
	struct sim_account *a;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	phone = jstr(in, "phone");
	v = json_object_get(in, "refuse_group_add");
	if (phone == NULL || !json_is_boolean(v)) {
		json_decref(in);
		return fail(400, "need \"phone\", \"refuse_group_add\" "
		    "(boolean)", status);
	}
	if ((a = sim_account_find(s, phone)) == NULL) {
		json_decref(in);
		return fail(404, "no such account", status);
	}
	a->refuse_group_add = json_is_true(v);
	json_decref(in);
	o = json_object();
	json_object_set_new(o, "refuse_group_add",
	    json_boolean(a->refuse_group_add));
	return reply(o, 200, status);
}

/*
 * GET /admin/appstate?phone=DIGITS: the versions of that account's app
 * state collections.  POST /admin/appstate {"page": N}: patches per fetch
 * answer before has_more_patches (appstate.c).
 */
static char *
appstate_get(struct sim *s, const char *query, int *status)
{
	char phone[WA_JID_USER_MAX + 1];

	if (query_arg(query, "phone", phone, sizeof(phone)) == NULL)
		return fail(400, "need ?phone=DIGITS", status);
	if (sim_account_find(s, phone) == NULL)
		return fail(404, "no such account", status);
	return reply(sim_appstate_json(s, phone), 200, status);
}

static char *
appstate_page(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len), *o, *v;
	json_int_t page;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	v = json_object_get(in, "page");
	page = json_is_integer(v) ? json_integer_value(v) : 0;
	json_decref(in);
	if (page < 1 || page > 1000 ||
	    sim_appstate_set_page(s, (unsigned)page) != 0)
		return fail(400, "need \"page\" (1..1000)", status);
	o = json_object();
	json_object_set_new(o, "page", json_integer(page));
	return reply(o, 200, status);
}

/*
 * POST /admin/prekeys {"phone": "...", "device": N, "keep": K}
 * Drop all but K one-time prekeys of that device (as if peers had fetched
 * them); below 5 the device is told to upload more, as the server does.
 */
static char *
prekeys_trim(struct sim *s, const char *body, size_t len, int *status)
{
	json_t *in = parse_body(body, len), *o;
	const char *phone;
	struct sim_account *a;
	struct sim_device *d;
	json_int_t dev, keep;

	if (in == NULL)
		return fail(400, "body must be a JSON object", status);
	phone = jstr(in, "phone");
	dev = json_integer_value(json_object_get(in, "device"));
	keep = json_integer_value(json_object_get(in, "keep"));
	if (phone == NULL || dev <= 0 || dev > UINT16_MAX || keep < 0) {
		json_decref(in);
		return fail(400, "need \"phone\", \"device\" >= 1, \"keep\" >= 0",
		    status);
	}
	a = sim_account_find(s, phone);
	d = a != NULL ? sim_device_find(a, (uint16_t)dev) : NULL;
	json_decref(in);
	if (d == NULL)
		return fail(404, "no such device", status);
	if ((size_t)keep < d->nprekeys)
		d->nprekeys = (size_t)keep;
	sim_prekeys_low(s, d);
	o = json_object();
	json_object_set_new(o, "prekeys", json_integer((json_int_t)d->nprekeys));
	return reply(o, 200, status);
}

static char *
group_list(struct sim *s, int *status)
{
	json_t *o = json_object(), *arr = json_array();
	size_t i, k;

	for (i = 0; i < s->ngroups; i++) {
		const struct sim_group *g = s->groups[i];
		json_t *jg = json_object(), *jm = json_array();

		json_object_set_new(jg, "jid", json_sprintf("%s@g.us", g->id));
		json_object_set_new(jg, "subject", json_string(g->subject));
		json_object_set_new(jg, "creator", json_string(g->creator->phone));
		json_object_set_new(jg, "description", g->description != NULL ?
		    json_string(g->description) : json_null());
		json_object_set_new(jg, "invite", json_string(g->invite));
		json_object_set_new(jg, "announce", json_boolean(g->announce));
		json_object_set_new(jg, "locked", json_boolean(g->locked));
		json_object_set_new(jg, "approval", json_boolean(g->approval));
		json_object_set_new(jg, "picture_len",
		    json_integer((json_int_t)g->picture_len));
		for (k = 0; k < g->nmembers; k++) {
			json_t *m = json_object();

			json_object_set_new(m, "phone",
			    json_string(g->members[k].account->phone));
			json_object_set_new(m, "admin", g->members[k].admin ?
			    json_string(g->members[k].admin) : json_null());
			json_array_append_new(jm, m);
		}
		json_object_set_new(jg, "members", jm);
		json_array_append_new(arr, jg);
	}
	json_object_set_new(o, "groups", arr);
	return reply(o, 200, status);
}

char *
sim_admin_handle(struct sim *s, const char *method, const char *path,
    const char *query, const char *body, size_t body_len, int *status)
{
	bool get = strcmp(method, "GET") == 0;
	bool post = strcmp(method, "POST") == 0;
	char phone[32];
	json_t *o;

	log_debug("admin: %s %s", method, path);
	if (get && (strcmp(path, "/health") == 0 ||
	    strcmp(path, "/admin/health") == 0)) {
		o = json_object();
		json_object_set_new(o, "ok", json_true());
		json_object_set_new(o, "ws_url", json_sprintf(
		    "ws://127.0.0.1:%d/ws/chat", s->ws_port));
		json_object_set_new(o, "accounts",
		    json_integer((json_int_t)s->naccounts));
		json_object_set_new(o, "media_url", json_sprintf(
		    "https://127.0.0.1:%d", s->media_port));
		json_object_set_new(o, "media_auth", json_string(s->media_auth));
		return reply(o, 200, status);
	}
	if (post && strcmp(path, "/admin/mock-phone/scan-qr") == 0)
		return scan_qr(s, query, body, body_len, status);
	if (post && strcmp(path, "/admin/mock-phone/pair-code") == 0)
		return pair_code(s, body, body_len, status);
	if (post && strcmp(path, "/admin/accounts") == 0)
		return account_create(s, body, body_len, status);
	if (get && strcmp(path, "/admin/accounts") == 0)
		return account_list(s, status);
	if (get && strcmp(path, "/admin/conns") == 0)
		return conn_list(s, status);
	if (get && strcmp(path, "/admin/groups") == 0)
		return group_list(s, status);
	if (post && strcmp(path, "/admin/prekeys") == 0)
		return prekeys_trim(s, body, body_len, status);
	if (post && strcmp(path, "/admin/stream-error") == 0)
		return stream_error(s, body, body_len, status);
	if (post && strcmp(path, "/admin/login-failure") == 0)
		return login_failure(s, body, body_len, status);
	if (post && strcmp(path, "/admin/message-error") == 0)
		return message_error(s, body, body_len, status);
	if (post && strcmp(path, "/admin/privacy") == 0)
		return privacy(s, body, body_len, status);
	if (get && strcmp(path, "/admin/appstate") == 0)
		return appstate_get(s, query, status);
	if (post && strcmp(path, "/admin/appstate") == 0)
		return appstate_page(s, body, body_len, status);
	if (get && sscanf(path, "/admin/accounts/%31[0-9]/devices", phone) == 1) {
		char expect[64];

		snprintf(expect, sizeof(expect), "/admin/accounts/%s/devices",
		    phone);
		if (strcmp(expect, path) == 0)
			return device_list(s, phone, status);
	}
	return fail(404, "no such endpoint", status);
}
