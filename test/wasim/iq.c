/*
 * iq.c: wasim's answers to the iqs clients send (wa-protocol.md §5.1, §14.3).
 *
 * Each handler answers exactly one iq, shaped as the real server shapes it
 * as far as the clients read it: a result echoing the id and addressed from
 * the server, or an <error code text/> for what we refuse.  Anything we do
 * not know gets 501 feature-not-implemented: a client must never wait for
 * an answer that does not come.
 *
 * Does not: route messages (route.c) or answer group iqs (group.c).
 * Invariants: iqs before login (other than the pairing ones) are refused
 * with 401 not-authorized; all sizes read from the client are checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/adv.pb-c.h"
#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Users in one usync or prekey query we answer (Baileys batches ~50). */
#define IQ_MAX_USERS 512

static const uint8_t ADV_KEY_INDEX_PREFIX[2] = { 0x06, 0x02 };

static void
server_jid(struct wa_jid *j)
{
	if (wa_jid_make(j, NULL, WA_SERVER_USER, 0) != 0)
		abort();
}

struct wa_node *
sim_iq_result(const struct wa_node *iq)
{
	struct wa_node *r = wa_node_new("iq");
	const char *id = wa_node_attr(iq, "id");
	struct wa_jid server;

	server_jid(&server);
	wa_node_set_attr_jid(r, "from", &server);
	wa_node_set_attr(r, "type", "result");
	wa_node_set_attr(r, "id", id != NULL ? id : "");
	return r;
}

struct wa_node *
sim_iq_error(const struct wa_node *iq, int code, const char *text)
{
	struct wa_node *r = sim_iq_result(iq), *e;

	wa_node_set_attr(r, "type", "error");
	e = wa_node_new("error");
	wa_node_set_attr_u64(e, "code", (uint64_t)code);
	wa_node_set_attr(e, "text", text);
	wa_node_add_child(r, e);
	return r;
}

static void
send_free(struct sim_conn *c, struct wa_node *n)
{
	sim_conn_send(c, n);
	wa_node_free(n);
}

static void
reply_ok(struct sim_conn *c, const struct wa_node *iq)
{
	send_free(c, sim_iq_result(iq));
}

static void
reply_err(struct sim_conn *c, const struct wa_node *iq, int code,
    const char *text)
{
	send_free(c, sim_iq_error(iq, code, text));
}

void
sim_iq_not_implemented(struct sim_conn *c, const struct wa_node *iq,
    const char *xmlns)
{
	const struct wa_node *ch = wa_node_child_at(iq, 0);

	c->unknown_iq_count++;
	logp_info(c->prefix, "iq xmlns=%s child=%s: 501", xmlns ? xmlns : "-",
	    ch != NULL ? ch->tag : "-");
	reply_err(c, iq, 501, "feature-not-implemented");
}

static struct wa_node *
bytes_node(const char *tag, const void *p, size_t n)
{
	struct wa_node *x = wa_node_new(tag);

	wa_node_set_bytes(x, p, n);
	return x;
}

static struct wa_node *
be_node(const char *tag, uint32_t v, size_t n)
{
	uint8_t b[4];
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return bytes_node(tag, b, n);
}

static int
read_be(const struct wa_node *n, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (n == NULL || n->kind != WA_CONTENT_BYTES || n->len != len ||
	    len > 4)
		return U_ERR_INVALID;
	for (i = 0; i < len; i++)
		v = v << 8 | n->bytes[i];
	*out = v;
	return 0;
}

static int
read_key(const struct wa_node *n, uint8_t out[CRY_KEY_LEN])
{
	if (n == NULL || n->kind != WA_CONTENT_BYTES)
		return U_ERR_INVALID;
	return cry_pub_unprefix(out, n->bytes, n->len) == 0 ? 0 :
	    U_ERR_INVALID;
}

/* --- encrypt ------------------------------------------------------------------ */

static void
encrypt_upload(struct sim_conn *c, const struct wa_node *iq)
{
	struct sim_device *d = c->device;
	const struct wa_node *list = wa_node_child(iq, "list");
	const struct wa_node *skey = wa_node_child(iq, "skey");
	const struct wa_node *ident = wa_node_child(iq, "identity");
	struct sim_prekey *keys = NULL;
	uint8_t idpub[CRY_KEY_LEN], msg[CRY_PUB_PREFIXED_LEN];
	uint32_t reg, sid;
	const struct wa_node *sig;
	size_t n = 0, i;

	if (list == NULL || skey == NULL || ident == NULL ||
	    read_be(wa_node_child(iq, "registration"), 4, &reg) != 0 ||
	    read_key(ident, idpub) != 0 ||
	    !cry_equal(idpub, d->identity_pub, CRY_KEY_LEN)) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	if (list->nchildren > SIM_MAX_PREKEYS) {
		reply_err(c, iq, 406, "not-acceptable");
		return;
	}
	keys = u_calloc(list->nchildren + 1, sizeof(*keys));
	for (i = 0; i < list->nchildren; i++) {
		const struct wa_node *k = list->children[i];

		if (strcmp(k->tag, "key") != 0 ||
		    read_be(wa_node_child(k, "id"), 3, &keys[n].id) != 0 ||
		    read_key(wa_node_child(k, "value"), keys[n].pub) != 0) {
			free(keys);
			reply_err(c, iq, 400, "bad-request");
			return;
		}
		n++;
	}
	sig = wa_node_child(skey, "signature");
	if (read_be(wa_node_child(skey, "id"), 3, &sid) != 0 ||
	    read_key(wa_node_child(skey, "value"), d->skey_pub) != 0 ||
	    sig == NULL || sig->kind != WA_CONTENT_BYTES ||
	    sig->len != CRY_SIG_LEN) {
		free(keys);
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	cry_pub_prefix(msg, d->skey_pub);
	if (cry_xeddsa_verify(d->identity_pub, msg, sizeof(msg),
	    sig->bytes) != 0) {
		free(keys);
		logp_warnx(c->prefix, "prekey upload: bad signed prekey "
		    "signature");
		reply_err(c, iq, 406, "not-acceptable");
		return;
	}
	d->skey_id = sid;
	memcpy(d->skey_sig, sig->bytes, CRY_SIG_LEN);
	d->has_skey = true;
	d->reg_id = reg;
	sim_device_set_prekeys(d, keys, n);
	free(keys);
	logp_info(c->prefix, "prekeys uploaded: %zu one-time, signed #%u",
	    d->nprekeys, sid);
	reply_ok(c, iq);
}

static void
encrypt_count(struct sim_conn *c, const struct wa_node *iq)
{
	struct wa_node *r = sim_iq_result(iq), *cnt = wa_node_new("count");

	wa_node_set_attr_u64(cnt, "value", c->device->nprekeys);
	wa_node_add_child(r, cnt);
	send_free(c, r);
}

static struct wa_node *
skey_node(uint32_t id, const uint8_t pub[CRY_KEY_LEN],
    const uint8_t sig[CRY_SIG_LEN])
{
	struct wa_node *s = wa_node_new("skey");

	wa_node_add_child(s, be_node("id", id, 3));
	wa_node_add_child(s, bytes_node("value", pub, CRY_KEY_LEN));
	wa_node_add_child(s, bytes_node("signature", sig, CRY_SIG_LEN));
	return s;
}

static void
encrypt_digest(struct sim_conn *c, const struct wa_node *iq)
{
	struct sim_device *d = c->device;
	struct wa_node *r, *dg, *list;
	uint8_t type = CRY_DJB_TYPE;
	size_t i;

	if (!d->has_skey) {
		reply_err(c, iq, 404, "item-not-found");
		return;
	}
	r = sim_iq_result(iq);
	dg = wa_node_new("digest");
	wa_node_add_child(dg, be_node("registration", d->reg_id, 4));
	wa_node_add_child(dg, bytes_node("type", &type, 1));
	wa_node_add_child(dg, bytes_node("identity", d->identity_pub,
	    CRY_KEY_LEN));
	wa_node_add_child(dg, skey_node(d->skey_id, d->skey_pub, d->skey_sig));
	list = wa_node_new("list");
	for (i = 0; i < d->nprekeys; i++)
		wa_node_add_child(list, be_node("id", d->prekeys[i].id, 3));
	wa_node_add_child(dg, list);
	wa_node_add_child(r, dg);
	send_free(c, r);
}

void
sim_prekeys_low(struct sim *s, struct sim_device *d)
{
	struct wa_node *nt, *cnt;
	struct wa_jid server;
	char id[32];

	if (d->nprekeys >= SIM_PREKEY_LOW || d->conn == NULL ||
	    d->conn->dead || d->conn->state != SIM_CONN_LOGGED_IN)
		return;
	nt = wa_node_new("notification");
	server_jid(&server);
	wa_node_set_attr_jid(nt, "from", &server);
	wa_node_set_attr(nt, "type", "encrypt");
	sim_next_id(s, id, sizeof(id));
	wa_node_set_attr(nt, "id", id);
	wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
	cnt = wa_node_new("count");
	wa_node_set_attr_u64(cnt, "value", d->nprekeys);
	wa_node_add_child(nt, cnt);
	logp_info(d->conn->prefix, "prekeys low (%zu): notifying", d->nprekeys);
	sim_conn_send(d->conn, nt);
	wa_node_free(nt);
}

/* One <user> of a prekey fetch, or NULL to omit an unknown device. */
static struct wa_node *
bundle_for(struct sim *s, const struct wa_attr *jattr)
{
	struct sim_account *a = sim_account_by_jid(s, &jattr->jid);
	struct sim_device *d;
	struct wa_node *u, *k;
	uint8_t type = CRY_DJB_TYPE;

	if (a == NULL)
		return NULL;
	u = wa_node_new("user");
	/* Echo the JID exactly as asked: whatsmeow indexes by it. */
	wa_node_set_attr_jid(u, "jid", &jattr->jid);
	if (jattr->jid.device == 0) {
		/* The phone: its identity is the ADV account key. */
		wa_node_add_child(u, be_node("registration", a->raw_id, 4));
		wa_node_add_child(u, bytes_node("type", &type, 1));
		wa_node_add_child(u, bytes_node("identity", a->identity.pub,
		    CRY_KEY_LEN));
		wa_node_add_child(u, skey_node(a->phone_skey_id,
		    a->phone_skey.pub, a->phone_skey_sig));
		return u;
	}
	d = sim_device_find(a, jattr->jid.device);
	if (d == NULL || d->removed || !d->has_skey) {
		wa_node_free(u);
		return NULL;
	}
	wa_node_add_child(u, be_node("registration", d->reg_id, 4));
	wa_node_add_child(u, bytes_node("type", &type, 1));
	wa_node_add_child(u, bytes_node("identity", d->identity_pub,
	    CRY_KEY_LEN));
	wa_node_add_child(u, skey_node(d->skey_id, d->skey_pub, d->skey_sig));
	if (d->nprekeys > 0) {
		/* One-time prekeys are handed out once. */
		struct sim_prekey pk = d->prekeys[0];

		memmove(d->prekeys, d->prekeys + 1,
		    (d->nprekeys - 1) * sizeof(*d->prekeys));
		d->nprekeys--;
		k = wa_node_new("key");
		wa_node_add_child(k, be_node("id", pk.id, 3));
		wa_node_add_child(k, bytes_node("value", pk.pub, CRY_KEY_LEN));
		wa_node_add_child(u, k);
		sim_prekeys_low(s, d);
	}
	return u;
}

static void
encrypt_fetch(struct sim_conn *c, const struct wa_node *iq)
{
	const struct wa_node *key = wa_node_child(iq, "key");
	struct wa_node *r, *list, *u;
	size_t i;

	if (key == NULL || key->nchildren > IQ_MAX_USERS) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	r = sim_iq_result(iq);
	list = wa_node_new("list");
	for (i = 0; i < key->nchildren; i++) {
		const struct wa_attr *ja =
		    wa_node_attr_get(key->children[i], "jid");

		if (ja == NULL || ja->kind != WA_VAL_JID)
			continue;
		if ((u = bundle_for(c->sim, ja)) != NULL)
			wa_node_add_child(list, u);
	}
	wa_node_add_child(r, list);
	send_free(c, r);
}

static void
iq_encrypt(struct sim_conn *c, const struct wa_node *iq, const char *type)
{
	if (strcmp(type, "set") == 0 && wa_node_child(iq, "list") != NULL)
		encrypt_upload(c, iq);
	else if (strcmp(type, "set") == 0 && wa_node_child(iq, "rotate"))
		reply_ok(c, iq);
	else if (strcmp(type, "get") == 0 && wa_node_child(iq, "count"))
		encrypt_count(c, iq);
	else if (strcmp(type, "get") == 0 && wa_node_child(iq, "digest"))
		encrypt_digest(c, iq);
	else if (strcmp(type, "get") == 0 && wa_node_child(iq, "key"))
		encrypt_fetch(c, iq);
	else
		sim_iq_not_implemented(c, iq, "encrypt");
}

/* --- usync -------------------------------------------------------------------- */

static struct wa_node *
key_index_list(struct sim_account *a)
{
	Wa__ADVKeyIndexList kl = WA__ADVKEY_INDEX_LIST__INIT;
	Wa__ADVSignedKeyIndexList skl = WA__ADVSIGNED_KEY_INDEX_LIST__INIT;
	uint32_t idx[SIM_MAX_DEVICES];
	uint8_t *details, *msg, *out, sig[CRY_SIG_LEN];
	size_t dlen, olen, n = 0, i;
	struct wa_node *k = NULL;

	for (i = 0; i < a->ndevices; i++)
		if (!a->devices[i]->removed)
			idx[n++] = a->devices[i]->key_index;
	kl.has_raw_id = 1;
	kl.raw_id = a->raw_id;
	kl.has_timestamp = 1;
	kl.timestamp = (uint64_t)sim_now();
	kl.has_current_index = 1;
	kl.current_index = a->next_key_index - 1;
	kl.n_valid_indexes = n;
	kl.valid_indexes = idx;
	dlen = wa__advkey_index_list__get_packed_size(&kl);
	details = u_malloc(dlen + 2);
	wa__advkey_index_list__pack(&kl, details);
	msg = u_malloc(dlen + 2);
	memcpy(msg, ADV_KEY_INDEX_PREFIX, 2);
	memcpy(msg + 2, details, dlen);
	if (cry_xeddsa_sign(sig, a->identity.priv, msg, dlen + 2) == 0) {
		skl.has_details = 1;
		skl.details.data = details;
		skl.details.len = dlen;
		skl.has_account_signature = 1;
		skl.account_signature.data = sig;
		skl.account_signature.len = sizeof(sig);
		olen = wa__advsigned_key_index_list__get_packed_size(&skl);
		out = u_malloc(olen + 1);
		wa__advsigned_key_index_list__pack(&skl, out);
		k = bytes_node("key-index-list", out, olen);
		wa_node_set_attr_u64(k, "ts", kl.timestamp);
		free(out);
	}
	free(details);
	free(msg);
	return k;
}

static struct wa_node *
usync_user(struct sim *s, const struct wa_node *qu, const struct wa_node *query)
{
	const struct wa_attr *ja = wa_node_attr_get(qu, "jid");
	const struct wa_node *contact = wa_node_child(qu, "contact");
	struct sim_account *a = NULL;
	struct wa_node *u, *x, *dl, *dv;
	struct wa_jid lid;
	char phone[WA_JID_USER_MAX + 1];
	size_t i, j;

	u = wa_node_new("user");
	if (ja != NULL && ja->kind == WA_VAL_JID) {
		wa_node_set_attr_jid(u, "jid", &ja->jid);
		a = sim_account_by_jid(s, &ja->jid);
	} else if (contact != NULL && (contact->kind == WA_CONTENT_STRING ||
	    contact->kind == WA_CONTENT_BYTES) && contact->len > 0 &&
	    contact->len < sizeof(phone)) {
		/* A phone-number lookup: "+15550001" -> the PN JID. */
		size_t off = contact->bytes[0] == '+' ? 1 : 0;

		snprintf(phone, sizeof(phone), "%.*s",
		    (int)(contact->len - off), contact->bytes + off);
		a = sim_account_find(s, phone);
		if (a != NULL) {
			struct wa_jid pn;

			if (wa_jid_make(&pn, a->phone, WA_SERVER_USER, 0) == 0)
				wa_node_set_attr_jid(u, "jid", &pn);
		}
	}
	if (wa_node_attr_get(u, "jid") == NULL) {
		wa_node_free(u);
		return NULL;
	}
	for (i = 0; i < query->nchildren; i++) {
		const char *proto = query->children[i]->tag;

		if (strcmp(proto, "devices") == 0) {
			x = wa_node_new("devices");
			dl = wa_node_new("device-list");
			if (a != NULL) {
				dv = wa_node_new("device");
				wa_node_set_attr(dv, "id", "0");
				wa_node_add_child(dl, dv);
				for (j = 0; j < a->ndevices; j++) {
					if (a->devices[j]->removed)
						continue;
					dv = wa_node_new("device");
					wa_node_set_attr_u64(dv, "id",
					    a->devices[j]->id);
					wa_node_set_attr_u64(dv, "key-index",
					    a->devices[j]->key_index);
					wa_node_add_child(dl, dv);
				}
			}
			wa_node_add_child(x, dl);
			if (a != NULL && a->ndevices > 0) {
				struct wa_node *k = key_index_list(a);

				if (k != NULL)
					wa_node_add_child(x, k);
			}
			wa_node_add_child(u, x);
		} else if (strcmp(proto, "lid") == 0) {
			x = wa_node_new("lid");
			if (a != NULL && wa_jid_make(&lid, a->lid,
			    WA_SERVER_LID, 0) == 0)
				wa_node_set_attr_jid(x, "val", &lid);
			wa_node_add_child(u, x);
		} else if (strcmp(proto, "contact") == 0) {
			x = wa_node_new("contact");
			wa_node_set_attr(x, "type", a != NULL ? "in" : "out");
			wa_node_add_child(u, x);
		} else if (strcmp(proto, "status") == 0) {
			x = wa_node_new("status");
			wa_node_set_attr(x, "t", "0");
			wa_node_add_child(u, x);
		} else if (strcmp(proto, "disappearing_mode") == 0) {
			x = wa_node_new("disappearing_mode");
			wa_node_set_attr(x, "duration", "0");
			wa_node_set_attr(x, "t", "0");
			wa_node_add_child(u, x);
		}
	}
	return u;
}

static void
iq_usync(struct sim_conn *c, const struct wa_node *iq)
{
	const struct wa_node *us = wa_node_child(iq, "usync");
	const struct wa_node *query = us ? wa_node_child(us, "query") : NULL;
	const struct wa_node *list = us ? wa_node_child(us, "list") : NULL;
	struct wa_node *r, *rus, *rlist, *res, *u;
	static const char *const copy[] = { "sid", "mode", "context", "last",
	    "index" };
	size_t i;

	if (query == NULL || (list != NULL &&
	    list->nchildren > IQ_MAX_USERS)) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	r = sim_iq_result(iq);
	rus = wa_node_new("usync");
	for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		const char *v = wa_node_attr(us, copy[i]);

		if (v != NULL)
			wa_node_set_attr(rus, copy[i], v);
	}
	res = wa_node_new("result");
	for (i = 0; i < query->nchildren; i++)
		wa_node_add_child(res, wa_node_new(query->children[i]->tag));
	wa_node_add_child(rus, res);
	rlist = wa_node_new("list");
	for (i = 0; list != NULL && i < list->nchildren; i++)
		if ((u = usync_user(c->sim, list->children[i], query)) != NULL)
			wa_node_add_child(rlist, u);
	wa_node_add_child(rus, rlist);
	wa_node_add_child(r, rus);
	send_free(c, r);
}

/* --- Small namespaces ----------------------------------------------------------- */

static void
iq_props(struct sim_conn *c, const struct wa_node *iq)
{
	struct wa_node *r = sim_iq_result(iq), *p, *prop;

	p = wa_node_new("props");
	wa_node_set_attr(p, "protocol", "1");
	wa_node_set_attr(p, "hash", "wasim-props-1");
	wa_node_set_attr(p, "refresh", "86400");
	/* privacy_token_sending_on_all_1_on_1_messages: off in wasim. */
	prop = wa_node_new("prop");
	wa_node_set_attr(prop, "config_code", "10518");
	wa_node_set_attr(prop, "config_value", "false");
	wa_node_add_child(p, prop);
	wa_node_add_child(r, p);
	send_free(c, r);
}

static void
iq_privacy_get(struct sim_conn *c, const struct wa_node *iq)
{
	static const char *const cats[][2] = {
		{ "last", "all" }, { "online", "all" }, { "profile", "all" },
		{ "status", "contacts" }, { "groupadd", "all" },
		{ "readreceipts", "all" }, { "calladd", "all" },
		{ "messages", "all" },
	};
	struct wa_node *r = sim_iq_result(iq), *p, *cat;
	size_t i;

	p = wa_node_new("privacy");
	for (i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
		cat = wa_node_new("category");
		wa_node_set_attr(cat, "name", cats[i][0]);
		wa_node_set_attr(cat, "value", cats[i][1]);
		wa_node_add_child(p, cat);
	}
	wa_node_add_child(r, p);
	send_free(c, r);
}

static void
iq_blocklist_get(struct sim_conn *c, const struct wa_node *iq)
{
	struct wa_node *r = sim_iq_result(iq);

	wa_node_add_child(r, wa_node_new("list"));
	send_free(c, r);
}

static void
iq_remove_companion(struct sim_conn *c, const struct wa_node *iq)
{
	const struct wa_node *rc = wa_node_child(iq, "remove-companion-device");
	const struct wa_attr *ja = rc ? wa_node_attr_get(rc, "jid") : NULL;
	struct wa_jid j;
	struct sim_device *d;

	if (ja == NULL) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	if (ja->kind == WA_VAL_JID)
		j = ja->jid;
	else if (wa_jid_parse(ja->str, &j) != 0) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	if (sim_account_by_jid(c->sim, &j) != c->account ||
	    (d = sim_device_find(c->account, j.device)) == NULL ||
	    d->removed) {
		reply_err(c, iq, 404, "item-not-found");
		return;
	}
	reply_ok(c, iq);
	d->removed = true;
	logp_info(c->prefix, "device %u removed (logout)", d->id);
	sim_state_save(c->sim);
	sim_devices_notify(c->sim, c->account, d, false);
	if (d->conn != NULL)
		sim_conn_stream_error(d->conn, "401", "device_removed");
}

void
sim_iq_handle(struct sim_conn *c, const struct wa_node *iq)
{
	const char *type = wa_node_attr(iq, "type");
	const char *id = wa_node_attr(iq, "id");
	const char *xmlns = wa_node_attr(iq, "xmlns");

	if (type == NULL || id == NULL) {
		logp_warnx(c->prefix, "iq without type or id: dropped");
		return;
	}
	if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) {
		/* Answers to our iqs: pair-device (ignored), pair-success. */
		if (c->pair_iq_id[0] != '\0' && strcmp(id, c->pair_iq_id) == 0)
			sim_pair_on_sign(c, iq);
		return;
	}
	if (strcmp(type, "get") != 0 && strcmp(type, "set") != 0) {
		reply_err(c, iq, 400, "bad-request");
		return;
	}
	c->iq_count++;
	if (xmlns == NULL)
		xmlns = "";
	/* Before login, only pairing (and pings) make sense. */
	if (c->state != SIM_CONN_LOGGED_IN) {
		if (strcmp(xmlns, "md") == 0 &&
		    wa_node_child(iq, "link_code_companion_reg") != NULL)
			sim_pair_code_iq(c, iq);
		else if (strcmp(xmlns, "w:p") == 0)
			reply_ok(c, iq);
		else
			reply_err(c, iq, 401, "not-authorized");
		return;
	}
	if (strcmp(xmlns, "encrypt") == 0)
		iq_encrypt(c, iq, type);
	else if (strcmp(xmlns, "passive") == 0) {
		reply_ok(c, iq);
		if (wa_node_child(iq, "active") != NULL)
			sim_conn_offline_now(c);
	} else if (strcmp(xmlns, "w:p") == 0)
		reply_ok(c, iq);
	else if (strcmp(xmlns, "abt") == 0 && wa_node_child(iq, "props"))
		iq_props(c, iq);
	else if (strcmp(xmlns, "blocklist") == 0 && strcmp(type, "get") == 0)
		iq_blocklist_get(c, iq);
	else if (strcmp(xmlns, "blocklist") == 0)
		reply_ok(c, iq);
	else if (strcmp(xmlns, "privacy") == 0 && strcmp(type, "get") == 0 &&
	    wa_node_child(iq, "privacy") != NULL)
		iq_privacy_get(c, iq);
	else if (strcmp(xmlns, "privacy") == 0 && strcmp(type, "set") == 0)
		reply_ok(c, iq);
	else if (strcmp(xmlns, "usync") == 0)
		iq_usync(c, iq);
	else if (strcmp(xmlns, "urn:xmpp:whatsapp:dirty") == 0)
		reply_ok(c, iq);
	else if (strcmp(xmlns, "w:stats") == 0)
		reply_ok(c, iq);
	else if (strcmp(xmlns, "md") == 0 &&
	    wa_node_child(iq, "remove-companion-device") != NULL)
		iq_remove_companion(c, iq);
	else if (strcmp(xmlns, "w:sync:app:state") == 0)
		sim_appstate_iq(c, iq);
	else if (strcmp(xmlns, "w:m") == 0 && wa_node_child(iq, "media_conn"))
		sim_media_conn_iq(c, iq);
	else if (strcmp(xmlns, "w:profile:picture") == 0)
		sim_group_picture_iq(c, iq, type);
	else if (strcmp(xmlns, "w:g2") == 0)
		sim_group_iq(c, iq, type);
	else
		sim_iq_not_implemented(c, iq, xmlns);
}
