/*
 * appstate.c: wasim's side of app state sync ("syncd", wa-protocol.md
 * §10): the server as a dumb store of encrypted patches, per account (phone
 * number, not per device) and per collection.
 *
 * <iq xmlns=w:sync:app:state type=set><sync><collection name version
 * [return_snapshot]>[<patch>SyncdPatch</patch>]</collection>...</sync>:
 *
 *  - with a <patch>: an upload.  The collection's `version` attribute is
 *    the uploader's current version; when it is the server's, the patch is
 *    stored as version+1 (the server writes SyncdPatch.version itself, as
 *    the real one does: neither whatsmeow's nor Baileys' encoder sets it,
 *    while both decoders need it for the patch MAC) and the answer is
 *    <collection name version=N/>.  A stale version gets <collection name
 *    type=error version=<server's>><error code=409 text=conflict/>
 *    <patches>(the patches the uploader lacks)</patches></collection>, what
 *    whatsmeow's sendAppState reads before it applies them and retries.
 *    Then every other device of the account gets <notification
 *    type=server_sync from=s.whatsapp.net><collection name version/>,
 *    queued for devices that are not connected (route.c's queue).
 *  - without: a fetch of the patches after `version` (absent: 0), at most
 *    `page` of them (has_more_patches=true when more remain).  No snapshot
 *    is ever sent: a server cannot make one without the keys, and both
 *    clients accept patches from version 0 without one (the real server
 *    keeps snapshots the phone uploads; wasim's phone uploads none).
 *  - an unknown collection name gets <collection name type=error><error
 *    code=400 text=bad-request/></collection>; every requested collection
 *    is answered (Baileys waits for each name).
 *
 * With --state-dir the patches are kept in DIR/appstate.json (written on
 * each upload, atomically; read at start).
 *
 * Does not: decrypt or verify anything (no keys: the patch is opaque but
 * for its top-level protobuf framing, checked so the version can be
 * rewritten), snapshots, external blobs (ExternalBlobReference uploads are
 * stored as sent and served inline; their media must exist elsewhere).
 * Invariants: a collection's version is its number of patches; patch i
 * (0-based) carries version i+1; all sizes are bounded below before
 * anything is allocated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* One uploaded patch (real ones are a few hundred bytes per mutation;
 * a large address book goes as an external blob). */
#define AS_PATCH_MAX		((size_t)1 << 20)
/* Patches per collection, and bytes of all patches of all accounts. */
#define AS_PATCHES_MAX		4096
#define AS_TOTAL_MAX		((size_t)32 << 20)
/* Accounts with app state. */
#define AS_ACCOUNTS_MAX		SIM_MAX_ACCOUNTS
/* Collections in one <sync> (clients ask for at most the five). */
#define AS_SYNC_MAX		16
/* Patches in one answer before has_more_patches (default, and the most
 * POST /admin/appstate may set). */
#define AS_PAGE_DEFAULT		50
#define AS_PAGE_MAX		1000
/* The state file: hex doubles the bytes. */
#define AS_FILE_MAX		(2 * AS_TOTAL_MAX + ((size_t)1 << 20))

static const char *const as_names[SIM_APPSTATE_NCOLL] = {
	"critical_block", "critical_unblock_low", "regular_high", "regular",
	"regular_low",
};

struct as_patch {
	uint8_t		*p;	/* owned: SyncdPatch with its version */
	size_t		 n;
};

struct as_coll {
	struct as_patch	*patches;	/* owned array; version == n */
	size_t		 n;
};

struct as_account {
	char		 phone[WA_JID_USER_MAX + 1];
	struct as_coll	 colls[SIM_APPSTATE_NCOLL];
};

struct sim_appstate {
	struct as_account	**accts;	/* owned */
	size_t			 n;
	size_t			 total;		/* bytes of all patches */
	unsigned		 page;
};

static int
coll_index(const char *name)
{
	int i;

	for (i = 0; i < SIM_APPSTATE_NCOLL; i++)
		if (strcmp(as_names[i], name) == 0)
			return i;
	return -1;
}

static struct sim_appstate *
store(struct sim *s)
{
	if (s->appstate == NULL) {
		s->appstate = u_calloc(1, sizeof(*s->appstate));
		s->appstate->page = AS_PAGE_DEFAULT;
	}
	return s->appstate;
}

static struct as_account *
acct_find(struct sim_appstate *st, const char *phone, bool create)
{
	struct as_account *a;
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->accts[i]->phone, phone) == 0)
			return st->accts[i];
	if (!create || st->n >= AS_ACCOUNTS_MAX ||
	    strlen(phone) > WA_JID_USER_MAX)
		return NULL;
	a = u_calloc(1, sizeof(*a));
	memcpy(a->phone, phone, strlen(phone) + 1);
	st->accts = u_reallocarray(st->accts, st->n + 1, sizeof(*st->accts));
	st->accts[st->n++] = a;
	return a;
}

/* --- Protobuf framing (top level of SyncdPatch only) ----------------------- */

static int
get_varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	uint64_t r = 0;
	unsigned shift = 0;

	while (*off < n && shift < 64) {
		uint8_t b = p[(*off)++];

		r |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return U_ERR_INVALID;
}

static void
put_varint(struct u_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			tmp[n] |= 0x80;
		n++;
	} while (v != 0);
	(void)u_buf_add(b, tmp, n);
}

/*
 * The stored form of an uploaded SyncdPatch: field 1 (version) replaced by
 * SyncdVersion{version = version}, every other field kept in order.  The
 * input must be well-framed protobuf with at least one mutation (field 2)
 * or external mutations (field 3).  *out owned.
 */
static int
patch_with_version(const uint8_t *p, size_t n, uint64_t version,
    uint8_t **out, size_t *out_len)
{
	struct u_buf b, inner;
	size_t off = 0, start;
	uint64_t key, len, v;
	bool muts = false;
	int r = U_ERR_INVALID;

	/* Both fit: n plus the new version field (< 16 bytes). */
	u_buf_init(&b, n + 32);
	u_buf_init(&inner, 32);
	put_varint(&inner, 1 << 3 | 0);
	put_varint(&inner, version);
	put_varint(&b, 1 << 3 | 2);
	put_varint(&b, inner.len);
	(void)u_buf_add(&b, inner.p, inner.len);
	while (off < n) {
		start = off;
		if (get_varint(p, n, &off, &key) != 0 || (key >> 3) == 0)
			goto out;
		switch (key & 7) {
		case 0:
			if (get_varint(p, n, &off, &v) != 0)
				goto out;
			break;
		case 1:
			if (n - off < 8)
				goto out;
			off += 8;
			break;
		case 2:
			if (get_varint(p, n, &off, &len) != 0 || len > n - off)
				goto out;
			off += (size_t)len;
			break;
		case 5:
			if (n - off < 4)
				goto out;
			off += 4;
			break;
		default:
			goto out;
		}
		if ((key >> 3) == 2 || (key >> 3) == 3)
			muts = true;
		if ((key >> 3) != 1)
			(void)u_buf_add(&b, p + start, off - start);
	}
	if (!muts)
		goto out;
	*out = u_malloc(b.len);
	memcpy(*out, b.p, b.len);
	*out_len = b.len;
	r = 0;
out:
	u_buf_free(&inner);
	u_buf_free(&b);
	return r;
}

/* --- State file ------------------------------------------------------------ */

static char *
state_path(struct sim *s)
{
	return u_asprintf("%s/appstate.json", s->opts.state_dir);
}

static int
save(struct sim *s)
{
	struct sim_appstate *st = s->appstate;
	json_t *root, *arr, *ja, *jc, *jp;
	char *path, *tmp, *hex;
	size_t i, j, k;
	int r = -1;

	if (s->opts.state_dir == NULL || st == NULL)
		return 0;
	root = json_object();
	arr = json_array();
	for (i = 0; i < st->n; i++) {
		ja = json_object();
		json_object_set_new(ja, "phone", json_string(st->accts[i]->phone));
		jc = json_object();
		for (j = 0; j < SIM_APPSTATE_NCOLL; j++) {
			struct as_coll *c = &st->accts[i]->colls[j];

			if (c->n == 0)
				continue;
			jp = json_array();
			for (k = 0; k < c->n; k++) {
				hex = u_malloc(2 * c->patches[k].n + 1);
				sim_hex(c->patches[k].p, c->patches[k].n, hex);
				json_array_append_new(jp, json_string(hex));
				free(hex);
			}
			json_object_set_new(jc, as_names[j], jp);
		}
		json_object_set_new(ja, "collections", jc);
		json_array_append_new(arr, ja);
	}
	json_object_set_new(root, "accounts", arr);
	path = state_path(s);
	tmp = u_asprintf("%s.tmp.%ld", path, (long)getpid());
	if (json_dump_file(root, tmp, JSON_COMPACT) != 0) {
		log_warnx("wasim: writing %s failed", tmp);
		unlink(tmp);
	} else if (rename(tmp, path) != 0)
		log_warn("wasim: rename %s", path);
	else
		r = 0;
	free(tmp);
	free(path);
	json_decref(root);
	return r;
}

static int
load_coll(struct sim_appstate *st, struct as_coll *c, json_t *jp)
{
	size_t i, len;
	const char *hex;
	uint8_t *p;

	if (!json_is_array(jp) || json_array_size(jp) > AS_PATCHES_MAX)
		return U_ERR_INVALID;
	for (i = 0; i < json_array_size(jp); i++) {
		hex = json_string_value(json_array_get(jp, i));
		if (hex == NULL || (len = strlen(hex) / 2) == 0 ||
		    len > AS_PATCH_MAX || len > AS_TOTAL_MAX - st->total)
			return U_ERR_INVALID;
		p = u_malloc(len);
		if (sim_unhex(hex, p, len) != 0) {
			free(p);
			return U_ERR_INVALID;
		}
		c->patches = u_reallocarray(c->patches, c->n + 1,
		    sizeof(*c->patches));
		c->patches[c->n].p = p;
		c->patches[c->n++].n = len;
		st->total += len;
	}
	return 0;
}

int
sim_appstate_load(struct sim *s)
{
	struct sim_appstate *st;
	struct as_account *a;
	json_t *root = NULL, *ja, *jp;
	json_error_t jerr;
	const char *phone, *name;
	struct stat sb;
	char *path;
	size_t i;
	int r = 0, ci;

	if (s->opts.state_dir == NULL)
		return 0;
	path = state_path(s);
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT) {
			log_warn("wasim: %s", path);
			r = -1;
		}
		goto out;
	}
	if ((size_t)sb.st_size > AS_FILE_MAX) {
		log_warnx("wasim: %s is too large", path);
		r = -1;
		goto out;
	}
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		log_warnx("wasim: %s: %s", path, jerr.text);
		r = -1;
		goto out;
	}
	st = store(s);
	json_array_foreach(json_object_get(root, "accounts"), i, ja) {
		phone = json_string_value(json_object_get(ja, "phone"));
		if (phone == NULL ||
		    (a = acct_find(st, phone, true)) == NULL) {
			r = -1;
			goto out;
		}
		json_object_foreach(json_object_get(ja, "collections"), name,
		    jp) {
			if ((ci = coll_index(name)) < 0 || a->colls[ci].n != 0 ||
			    load_coll(st, &a->colls[ci], jp) != 0) {
				log_warnx("wasim: %s: bad collection %s", path,
				    name);
				r = -1;
				goto out;
			}
		}
	}
	log_info("wasim: app state of %zu accounts loaded", st->n);
out:
	json_decref(root);
	free(path);
	return r;
}

void
sim_appstate_free(struct sim *s)
{
	struct sim_appstate *st = s->appstate;
	size_t i, j, k;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++) {
		for (j = 0; j < SIM_APPSTATE_NCOLL; j++) {
			for (k = 0; k < st->accts[i]->colls[j].n; k++)
				free(st->accts[i]->colls[j].patches[k].p);
			free(st->accts[i]->colls[j].patches);
		}
		free(st->accts[i]);
	}
	free(st->accts);
	free(st);
	s->appstate = NULL;
}

/* --- The iq ---------------------------------------------------------------- */

static struct wa_node *
coll_error(const char *name, int code, const char *text, uint64_t version)
{
	struct wa_node *col = wa_node_new("collection"), *e;

	wa_node_set_attr(col, "name", name);
	wa_node_set_attr(col, "type", "error");
	wa_node_set_attr_u64(col, "version", version);
	e = wa_node_new("error");
	wa_node_set_attr_u64(e, "code", (uint64_t)code);
	wa_node_set_attr(e, "text", text);
	wa_node_add_child(col, e);
	return col;
}

/* Add <patches> with the patches after `from` (at most page) to col;
 * sets version and has_more_patches. */
static void
add_patches(struct wa_node *col, const struct as_coll *c, uint64_t from,
    unsigned page)
{
	struct wa_node *ps, *pn;
	uint64_t v, last = from;

	if (from < c->n) {
		ps = wa_node_new("patches");
		for (v = from; v < c->n && v - from < page; v++) {
			pn = wa_node_new("patch");
			wa_node_set_bytes(pn, c->patches[v].p, c->patches[v].n);
			wa_node_add_child(ps, pn);
			last = v + 1;
		}
		wa_node_add_child(col, ps);
	}
	wa_node_set_attr_u64(col, "version", last > c->n ? c->n : last);
	if (last < c->n)
		wa_node_set_attr(col, "has_more_patches", "true");
}

/* <notification type=server_sync> to every device of a but `from`. */
static void
notify_others(struct sim *s, struct sim_account *a,
    const struct sim_device *from, const char *name, uint64_t version)
{
	struct wa_node *nt, *col;
	struct wa_jid server;
	char id[32];
	size_t i;

	if (wa_jid_make(&server, NULL, WA_SERVER_USER, 0) != 0)
		return;
	nt = wa_node_new("notification");
	wa_node_set_attr_jid(nt, "from", &server);
	wa_node_set_attr(nt, "type", "server_sync");
	sim_next_id(s, id, sizeof(id));
	wa_node_set_attr(nt, "id", id);
	wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
	col = wa_node_new("collection");
	wa_node_set_attr(col, "name", name);
	wa_node_set_attr_u64(col, "version", version);
	wa_node_add_child(nt, col);
	for (i = 0; i < a->ndevices; i++) {
		struct sim_device *d = a->devices[i];

		if (d != from && !d->removed)
			sim_route_deliver(s, d, nt);
	}
	wa_node_free(nt);
}

static struct wa_node *
upload(struct sim_conn *c, struct as_account *aa, int ci,
    const struct wa_node *req, const struct wa_node *patch, uint64_t version)
{
	struct sim_appstate *st = c->sim->appstate;
	struct as_coll *coll = &aa->colls[ci];
	const char *name = as_names[ci];
	struct wa_node *col;
	uint8_t *p;
	size_t n;

	(void)req;
	if (version < coll->n) {
		logp_info(c->prefix, "app state %s: upload at v%llu, server at "
		    "v%zu: 409", name, (unsigned long long)version, coll->n);
		col = coll_error(name, 409, "conflict", coll->n);
		add_patches(col, coll, version, st->page);
		/* coll_error's version is the server's; keep it. */
		wa_node_set_attr_u64(col, "version", coll->n);
		return col;
	}
	if (version > coll->n || patch->kind != WA_CONTENT_BYTES ||
	    patch->len == 0 || patch->len > AS_PATCH_MAX)
		return coll_error(name, 400, "bad-request", coll->n);
	if (coll->n >= AS_PATCHES_MAX ||
	    patch->len + 32 > AS_TOTAL_MAX - st->total)
		return coll_error(name, 507, "insufficient-storage", coll->n);
	if (patch_with_version(patch->bytes, patch->len, coll->n + 1, &p,
	    &n) != 0)
		return coll_error(name, 400, "bad-request", coll->n);
	coll->patches = u_reallocarray(coll->patches, coll->n + 1,
	    sizeof(*coll->patches));
	coll->patches[coll->n].p = p;
	coll->patches[coll->n++].n = n;
	st->total += n;
	logp_info(c->prefix, "app state %s of %s: stored v%zu (%zu bytes)",
	    name, aa->phone, coll->n, n);
	save(c->sim);
	notify_others(c->sim, c->account, c->device, name, coll->n);
	col = wa_node_new("collection");
	wa_node_set_attr(col, "name", name);
	wa_node_set_attr_u64(col, "version", coll->n);
	return col;
}

void
sim_appstate_iq(struct sim_conn *c, const struct wa_node *iq)
{
	const struct wa_node *sync = wa_node_child(iq, "sync"), *req, *patch;
	struct sim_appstate *st = store(c->sim);
	struct as_account *aa;
	struct wa_node *r, *rs, *col;
	const char *name;
	uint64_t version;
	size_t i;
	int ci;

	if (sync == NULL || sync->nchildren == 0 ||
	    sync->nchildren > AS_SYNC_MAX || c->account == NULL) {
		r = sim_iq_error(iq, 400, "bad-request");
		goto send;
	}
	if ((aa = acct_find(st, c->account->phone, true)) == NULL) {
		r = sim_iq_error(iq, 500, "internal-server-error");
		goto send;
	}
	r = sim_iq_result(iq);
	rs = wa_node_new("sync");
	for (i = 0; i < sync->nchildren; i++) {
		req = sync->children[i];
		name = wa_node_attr(req, "name");
		if (strcmp(req->tag, "collection") != 0 || name == NULL)
			continue;
		version = 0;
		if ((ci = coll_index(name)) < 0 ||
		    (wa_node_attr(req, "version") != NULL &&
		    wa_node_attr_u64(req, "version", &version) != 0)) {
			wa_node_add_child(rs, coll_error(name, 400,
			    "bad-request", 0));
			continue;
		}
		if ((patch = wa_node_child(req, "patch")) != NULL) {
			wa_node_add_child(rs, upload(c, aa, ci, req, patch,
			    version));
			continue;
		}
		col = wa_node_new("collection");
		wa_node_set_attr(col, "name", name);
		add_patches(col, &aa->colls[ci], version, st->page);
		logp_debug(c->prefix, "app state %s fetch from v%llu of v%zu",
		    name, (unsigned long long)version, aa->colls[ci].n);
		wa_node_add_child(rs, col);
	}
	wa_node_add_child(r, rs);
send:
	sim_conn_send(c, r);
	wa_node_free(r);
}

/* --- Admin ----------------------------------------------------------------- */

struct json_t *
sim_appstate_json(struct sim *s, const char *phone)
{
	struct as_account *aa = acct_find(store(s), phone, false);
	json_t *o = json_object(), *arr = json_array(), *jc;
	size_t j, k, bytes;

	json_object_set_new(o, "phone", json_string(phone));
	json_object_set_new(o, "page", json_integer(store(s)->page));
	for (j = 0; j < SIM_APPSTATE_NCOLL; j++) {
		jc = json_object();
		json_object_set_new(jc, "name", json_string(as_names[j]));
		bytes = 0;
		if (aa != NULL)
			for (k = 0; k < aa->colls[j].n; k++)
				bytes += aa->colls[j].patches[k].n;
		json_object_set_new(jc, "version",
		    json_integer(aa != NULL ? (json_int_t)aa->colls[j].n : 0));
		json_object_set_new(jc, "bytes", json_integer((json_int_t)bytes));
		json_array_append_new(arr, jc);
	}
	json_object_set_new(o, "collections", arr);
	return o;
}

int
sim_appstate_set_page(struct sim *s, unsigned page)
{
	if (page == 0 || page > AS_PAGE_MAX)
		return U_ERR_INVALID;
	store(s)->page = page;
	return 0;
}
