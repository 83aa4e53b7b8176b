/*
 * dir.c: wasim's directory: accounts (each with a simulated phone) and
 * their companion devices, and the optional state directory.
 *
 * An account has a phone number (PN user), a LID user, the phone's identity
 * key pair (which is both the ADV account signing key and the Signal
 * identity of device 0, as clients assume), a signed prekey for device 0,
 * the ADV raw id and the next key index / device id to hand out.
 *
 * State dir: <dir>/state.json holds the test root and Noise static private
 * keys, every account and device (not one-time prekeys: clients upload
 * new ones when the count is low) and the groups (not offline queues).  Written atomically on each pairing and
 * logout and at exit; without a state dir everything is fresh at start.
 *
 * Does not: talk to connections (conn.c, pair.c do).
 * Invariants: at most SIM_MAX_ACCOUNTS accounts and SIM_MAX_DEVICES devices
 * per account; device ids are unique in an account and never reused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* A state file far larger than 4096 accounts' worth is not ours. */
#define STATE_MAX ((size_t)32 << 20)

static void
sign_phone_skey(struct sim_account *a)
{
	uint8_t msg[CRY_PUB_PREFIXED_LEN];

	cry_pub_prefix(msg, a->phone_skey.pub);
	if (cry_xeddsa_sign(a->phone_skey_sig, a->identity.priv, msg,
	    sizeof(msg)) != 0)
		fatalx("wasim: cannot sign the phone's prekey");
}

static struct sim_account *
account_alloc(struct sim *s)
{
	struct sim_account *a;

	if (s->naccounts >= SIM_MAX_ACCOUNTS)
		return NULL;
	a = u_calloc(1, sizeof(*a));
	s->accounts[s->naccounts++] = a;
	return a;
}

struct sim_account *
sim_account_new(struct sim *s, const char *phone)
{
	struct sim_account *a;
	char buf[32];

	if (phone == NULL) {
		do
			snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)s->next_phone++);
		while (sim_account_find(s, buf) != NULL);
		phone = buf;
	} else if (sim_account_find(s, phone) != NULL)
		return NULL;
	if ((a = account_alloc(s)) == NULL)
		return NULL;
	snprintf(a->phone, sizeof(a->phone), "%s", phone);
	do
		snprintf(a->lid, sizeof(a->lid), "%llu",
		    (unsigned long long)s->next_lid++);
	while (sim_account_find_lid(s, a->lid) != a);
	a->push_name = u_asprintf("Phone %s", a->phone +
	    (strlen(a->phone) > 4 ? strlen(a->phone) - 4 : 0));
	a->platform = u_strdup("android");
	cry_keypair_generate(&a->identity);
	cry_keypair_generate(&a->phone_skey);
	a->phone_skey_id = 1;
	sign_phone_skey(a);
	do
		a->raw_id = cry_random_u32();
	while (a->raw_id == 0);
	a->next_key_index = 1;
	a->next_device = 1;
	a->created = sim_now();
	logp_info("dir", "account %s (lid %s) created", a->phone, a->lid);
	return a;
}

struct sim_account *
sim_account_find(struct sim *s, const char *phone)
{
	size_t i;

	for (i = 0; i < s->naccounts; i++)
		if (strcmp(s->accounts[i]->phone, phone) == 0)
			return s->accounts[i];
	return NULL;
}

struct sim_account *
sim_account_find_lid(struct sim *s, const char *lid)
{
	size_t i;

	for (i = 0; i < s->naccounts; i++)
		if (strcmp(s->accounts[i]->lid, lid) == 0)
			return s->accounts[i];
	return NULL;
}

struct sim_account *
sim_account_by_jid(struct sim *s, const struct wa_jid *j)
{
	if (strcmp(j->server, WA_SERVER_USER) == 0 ||
	    strcmp(j->server, WA_SERVER_LEGACY_USER) == 0)
		return sim_account_find(s, j->user);
	if (strcmp(j->server, WA_SERVER_LID) == 0)
		return sim_account_find_lid(s, j->user);
	return NULL;
}

void
sim_device_free(struct sim_device *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nqueue; i++)
		wa_node_free(d->queue[i]);
	free(d->queue);
	free(d->prekeys);
	free(d->push_name);
	free(d->platform);
	free(d);
}

void
sim_account_free(struct sim_account *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->ndevices; i++)
		sim_device_free(a->devices[i]);
	free(a->push_name);
	free(a->biz_name);
	free(a->platform);
	cry_keypair_wipe(&a->identity);
	cry_keypair_wipe(&a->phone_skey);
	free(a);
}

struct sim_device *
sim_device_find(struct sim_account *a, uint16_t id)
{
	size_t i;

	for (i = 0; i < a->ndevices; i++)
		if (a->devices[i]->id == id)
			return a->devices[i];
	return NULL;
}

struct sim_device *
sim_device_add(struct sim_account *a, uint16_t id)
{
	struct sim_device *d;

	if (a->ndevices >= SIM_MAX_DEVICES || id == 0 ||
	    sim_device_find(a, id) != NULL)
		return NULL;
	d = u_calloc(1, sizeof(*d));
	d->id = id;
	a->devices[a->ndevices++] = d;
	if (id >= a->next_device)
		a->next_device = (uint16_t)(id + 1);
	return d;
}

void
sim_device_set_prekeys(struct sim_device *d, const struct sim_prekey *keys,
    size_t n)
{
	size_t i, j, total;

	/* Uploads add to what is there (new ids replace old ones). */
	total = d->nprekeys + n;
	if (total > SIM_MAX_PREKEYS)
		total = SIM_MAX_PREKEYS;
	d->prekeys = u_reallocarray(d->prekeys, total + 1, sizeof(*keys));
	for (i = 0; i < n; i++) {
		for (j = 0; j < d->nprekeys; j++)
			if (d->prekeys[j].id == keys[i].id)
				break;
		if (j < d->nprekeys)
			d->prekeys[j] = keys[i];
		else if (d->nprekeys < total)
			d->prekeys[d->nprekeys++] = keys[i];
	}
}

/* --- State dir ------------------------------------------------------------------ */

static json_t *
jhex(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];

	if (n > 64)
		abort();
	sim_hex(p, n, buf);
	return json_string(buf);
}

static int
gethex(json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? sim_unhex(v, out, n) : U_ERR_INVALID;
}

static int
getstr(json_t *o, const char *key, char *out, size_t size)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL || strlen(v) >= size)
		return U_ERR_INVALID;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static char *
dupstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? u_strdup(v) : NULL;
}

static uint64_t
getint(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v < 0 ? 0 : (uint64_t)v;
}

static int
load_device(struct sim_account *a, json_t *jd)
{
	struct sim_device *d;
	uint64_t id = getint(jd, "id");

	if (id == 0 || id > UINT16_MAX ||
	    (d = sim_device_add(a, (uint16_t)id)) == NULL)
		return U_ERR_INVALID;
	d->key_index = (uint32_t)getint(jd, "key_index");
	d->reg_id = (uint32_t)getint(jd, "reg_id");
	d->skey_id = (uint32_t)getint(jd, "skey_id");
	d->removed = json_is_true(json_object_get(jd, "removed"));
	d->push_name = dupstr(jd, "push_name");
	if (gethex(jd, "noise_pub", d->noise_pub, CRY_KEY_LEN) != 0 ||
	    gethex(jd, "identity_pub", d->identity_pub, CRY_KEY_LEN) != 0)
		return U_ERR_INVALID;
	if (gethex(jd, "skey_pub", d->skey_pub, CRY_KEY_LEN) == 0 &&
	    gethex(jd, "skey_sig", d->skey_sig, CRY_SIG_LEN) == 0)
		d->has_skey = true;
	return 0;
}

static int
load_account(struct sim *s, json_t *ja)
{
	struct sim_account *a;
	uint8_t priv[CRY_KEY_LEN];
	json_t *jd;
	size_t i;

	if ((a = account_alloc(s)) == NULL)
		return U_ERR_TOO_BIG;
	if (getstr(ja, "phone", a->phone, sizeof(a->phone)) != 0 ||
	    getstr(ja, "lid", a->lid, sizeof(a->lid)) != 0)
		return U_ERR_INVALID;
	a->push_name = dupstr(ja, "push_name");
	if (a->push_name == NULL)
		a->push_name = u_strdup("Phone");
	a->biz_name = dupstr(ja, "biz_name");
	a->platform = dupstr(ja, "platform");
	if (a->platform == NULL)
		a->platform = u_strdup("android");
	if (gethex(ja, "identity", priv, sizeof(priv)) != 0 ||
	    cry_keypair_from_private(&a->identity, priv) != 0 ||
	    gethex(ja, "phone_skey", priv, sizeof(priv)) != 0 ||
	    cry_keypair_from_private(&a->phone_skey, priv) != 0)
		return U_ERR_INVALID;
	sodium_memzero(priv, sizeof(priv));
	a->phone_skey_id = (uint32_t)getint(ja, "phone_skey_id");
	sign_phone_skey(a);
	a->raw_id = (uint32_t)getint(ja, "raw_id");
	a->next_key_index = (uint32_t)getint(ja, "next_key_index");
	a->next_device = (uint16_t)getint(ja, "next_device");
	a->created = (int64_t)getint(ja, "created");
	if (a->next_key_index == 0)
		a->next_key_index = 1;
	if (a->next_device == 0)
		a->next_device = 1;
	json_array_foreach(json_object_get(ja, "devices"), i, jd)
		if (load_device(a, jd) != 0)
			return U_ERR_INVALID;
	return 0;
}

/* The static admin strings a member may carry. */
static const char *
admin_str(const char *v)
{
	if (v == NULL)
		return NULL;
	if (strcmp(v, "superadmin") == 0)
		return "superadmin";
	if (strcmp(v, "admin") == 0)
		return "admin";
	return NULL;
}

static int
load_group(struct sim *s, json_t *jg)
{
	struct sim_group *g;
	const char *creator = json_string_value(json_object_get(jg, "creator"));
	json_t *jm;
	size_t i;

	if (s->ngroups >= SIM_MAX_GROUPS)
		return U_ERR_TOO_BIG;
	g = u_calloc(1, sizeof(*g));
	s->groups[s->ngroups++] = g;
	if (getstr(jg, "id", g->id, sizeof(g->id)) != 0 ||
	    (g->subject = dupstr(jg, "subject")) == NULL || creator == NULL ||
	    (g->creator = sim_account_find(s, creator)) == NULL)
		return U_ERR_INVALID;
	g->creation = (int64_t)getint(jg, "creation");
	json_array_foreach(json_object_get(jg, "members"), i, jm) {
		const char *ph = json_string_value(json_object_get(jm, "phone"));
		struct sim_account *a = ph != NULL ? sim_account_find(s, ph) : NULL;

		if (a == NULL || g->nmembers >= SIM_MAX_GROUP_MEMBERS)
			return U_ERR_INVALID;
		g->members[g->nmembers].account = a;
		g->members[g->nmembers++].admin = admin_str(
		    json_string_value(json_object_get(jm, "admin")));
	}
	return 0;
}

static char *
state_path(struct sim *s)
{
	return u_asprintf("%s/state.json", s->opts.state_dir);
}

int
sim_state_load(struct sim *s)
{
	char *path = NULL;
	json_t *root = NULL, *ja;
	json_error_t jerr;
	uint8_t priv[CRY_KEY_LEN];
	struct stat st;
	size_t i;
	int r = U_ERR_INVALID;

	if (s->opts.state_dir == NULL) {
		cry_keypair_generate(&s->root);
		cry_keypair_generate(&s->server_static);
		return 0;
	}
	if (mkdir(s->opts.state_dir, 0700) != 0 && errno != EEXIST) {
		log_warn("wasim: mkdir %s", s->opts.state_dir);
		return U_ERR_IO;
	}
	path = state_path(s);
	if (stat(path, &st) != 0) {
		/* First start with this dir. */
		cry_keypair_generate(&s->root);
		cry_keypair_generate(&s->server_static);
		r = sim_state_save(s);
		goto out;
	}
	if ((size_t)st.st_size > STATE_MAX) {
		log_warnx("wasim: %s is too large", path);
		goto out;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		log_warnx("wasim: %s:%d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	if (gethex(root, "root", priv, sizeof(priv)) != 0 ||
	    cry_keypair_from_private(&s->root, priv) != 0 ||
	    gethex(root, "static", priv, sizeof(priv)) != 0 ||
	    cry_keypair_from_private(&s->server_static, priv) != 0) {
		log_warnx("wasim: %s: bad keys", path);
		goto out;
	}
	if (getint(root, "next_phone") > s->next_phone)
		s->next_phone = getint(root, "next_phone");
	if (getint(root, "next_lid") > s->next_lid)
		s->next_lid = getint(root, "next_lid");
	json_array_foreach(json_object_get(root, "accounts"), i, ja)
		if (load_account(s, ja) != 0) {
			log_warnx("wasim: %s: bad account #%zu", path, i);
			goto out;
		}
	s->next_group = (unsigned)getint(root, "next_group");
	json_array_foreach(json_object_get(root, "groups"), i, ja)
		if (load_group(s, ja) != 0) {
			log_warnx("wasim: %s: bad group #%zu", path, i);
			goto out;
		}
	log_info("wasim: loaded %zu accounts and %zu groups from %s",
	    s->naccounts, s->ngroups, path);
	r = 0;
out:
	sodium_memzero(priv, sizeof(priv));
	json_decref(root);
	free(path);
	return r;
}

static json_t *
dump_account(const struct sim_account *a)
{
	json_t *ja = json_object(), *jds = json_array(), *jd;
	const struct sim_device *d;
	size_t i;

	json_object_set_new(ja, "phone", json_string(a->phone));
	json_object_set_new(ja, "lid", json_string(a->lid));
	json_object_set_new(ja, "push_name", json_string(a->push_name));
	if (a->biz_name != NULL)
		json_object_set_new(ja, "biz_name", json_string(a->biz_name));
	json_object_set_new(ja, "platform", json_string(a->platform));
	json_object_set_new(ja, "identity", jhex(a->identity.priv, 32));
	json_object_set_new(ja, "phone_skey", jhex(a->phone_skey.priv, 32));
	json_object_set_new(ja, "phone_skey_id",
	    json_integer(a->phone_skey_id));
	json_object_set_new(ja, "raw_id", json_integer(a->raw_id));
	json_object_set_new(ja, "next_key_index",
	    json_integer(a->next_key_index));
	json_object_set_new(ja, "next_device", json_integer(a->next_device));
	json_object_set_new(ja, "created", json_integer(a->created));
	for (i = 0; i < a->ndevices; i++) {
		d = a->devices[i];
		jd = json_object();
		json_object_set_new(jd, "id", json_integer(d->id));
		json_object_set_new(jd, "key_index", json_integer(d->key_index));
		json_object_set_new(jd, "reg_id", json_integer(d->reg_id));
		json_object_set_new(jd, "noise_pub", jhex(d->noise_pub, 32));
		json_object_set_new(jd, "identity_pub",
		    jhex(d->identity_pub, 32));
		if (d->has_skey) {
			json_object_set_new(jd, "skey_id",
			    json_integer(d->skey_id));
			json_object_set_new(jd, "skey_pub",
			    jhex(d->skey_pub, 32));
			json_object_set_new(jd, "skey_sig",
			    jhex(d->skey_sig, 64));
		}
		if (d->push_name != NULL)
			json_object_set_new(jd, "push_name",
			    json_string(d->push_name));
		json_object_set_new(jd, "removed", json_boolean(d->removed));
		json_array_append_new(jds, jd);
	}
	json_object_set_new(ja, "devices", jds);
	return ja;
}

int
sim_state_save(struct sim *s)
{
	json_t *root, *jas, *jgs;
	char *path, *tmp;
	size_t i;
	int r = 0;

	if (s->opts.state_dir == NULL)
		return 0;
	root = json_object();
	json_object_set_new(root, "root", jhex(s->root.priv, 32));
	json_object_set_new(root, "static", jhex(s->server_static.priv, 32));
	json_object_set_new(root, "next_phone",
	    json_integer((json_int_t)s->next_phone));
	json_object_set_new(root, "next_lid",
	    json_integer((json_int_t)s->next_lid));
	jas = json_array();
	for (i = 0; i < s->naccounts; i++)
		json_array_append_new(jas, dump_account(s->accounts[i]));
	json_object_set_new(root, "accounts", jas);
	json_object_set_new(root, "next_group", json_integer(s->next_group));
	jgs = json_array();
	for (i = 0; i < s->ngroups; i++) {
		const struct sim_group *g = s->groups[i];
		json_t *jg = json_object(), *jm = json_array();

		json_object_set_new(jg, "id", json_string(g->id));
		json_object_set_new(jg, "subject", json_string(g->subject));
		json_object_set_new(jg, "creator", json_string(g->creator->phone));
		json_object_set_new(jg, "creation", json_integer(g->creation));
		for (size_t k = 0; k < g->nmembers; k++) {
			json_t *m = json_object();

			json_object_set_new(m, "phone",
			    json_string(g->members[k].account->phone));
			if (g->members[k].admin != NULL)
				json_object_set_new(m, "admin",
				    json_string(g->members[k].admin));
			json_array_append_new(jm, m);
		}
		json_object_set_new(jg, "members", jm);
		json_array_append_new(jgs, jg);
	}
	json_object_set_new(root, "groups", jgs);
	path = state_path(s);
	tmp = u_asprintf("%s.tmp", path);
	umask(077);
	if (json_dump_file(root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
	    rename(tmp, path) != 0) {
		log_warn("wasim: cannot write %s", path);
		r = U_ERR_IO;
	}
	json_decref(root);
	free(tmp);
	free(path);
	return r;
}
