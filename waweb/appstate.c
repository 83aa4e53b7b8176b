/*
 * appstate.c: app-state sync on a live client (appstate.h): key shares
 * from our own phone, <notification type=server_sync>, and the fetch
 * machine: one w:sync:app:state iq per collection at a time, the external
 * blobs of the reply downloaded one after the other, then the reply applied
 * (appstate_proc.c), repeated while has_more_patches.
 *
 * When a fetch stops on a missing key, the key ids of the reply we do not
 * have are asked for from our phone (APP_STATE_SYNC_KEY_REQUEST peer
 * message), each at most once per WA_APPSTATE_KEY_REQUEST_MS.
 *
 * Does not: decode or verify anything itself (appstate_proc.c), send
 * patches.
 *
 * Invariants: at most one job per collection; a job outlives a freed
 * handle only as an orphan (job->as NULL) that its pending iq or download
 * callback frees; every fetch ends with exactly one on_synced or on_error
 * for its collection.
 */
#include <string.h>

#include <sodium.h>

#include "proto/e2e.pb-c.h"
#include "proto/serversync.pb-c.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/appstate_int.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/media.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"

#include <time.h>

#define NS_APPSTATE		"w:sync:app:state"
/* ProtocolMessage.type of a key share, and of a key request. */
#define PROTO_KEY_SHARE		6
#define PROTO_KEY_REQUEST	7

/* One fetch of one collection, across its has_more_patches rounds. */
struct as_job {
	struct wa_appstate	*as;		/* NULL: orphaned by free */
	size_t			 coll;		/* index in as->colls */
	int			 full;		/* started from version 0 */
	int			 want_snapshot;
	unsigned		 rounds;
	/* the reply being completed */
	int			 has_more;
	Wa__SyncdExternalBlobReference *snap_ref;	/* owned, or NULL */
	uint8_t			*snap;		/* owned, downloaded */
	size_t			 snap_len;
	size_t			 npatches;
	uint8_t			**patches;	/* owned, raw SyncdPatch */
	size_t			*patch_lens;
	Wa__SyncdExternalBlobReference **ext_refs;	/* owned entries or NULL */
	uint8_t			**ext;		/* owned downloads or NULL */
	size_t			*ext_lens;
	size_t			 next_dl;	/* 0: snapshot, i+1: patch i */
};

static void job_round(struct as_job *j);
static void job_download_next(struct as_job *j);

static const char *
job_name(const struct as_job *j)
{
	return wa_appstate_collections[j->coll];
}

static void
reply_clear(struct as_job *j)
{
	size_t i;

	if (j->snap_ref != NULL)
		wa__syncd_external_blob_reference__free_unpacked(j->snap_ref,
		    NULL);
	j->snap_ref = NULL;
	free(j->snap);
	j->snap = NULL;
	j->snap_len = 0;
	for (i = 0; i < j->npatches; i++) {
		free(j->patches[i]);
		if (j->ext_refs[i] != NULL)
			wa__syncd_external_blob_reference__free_unpacked(
			    j->ext_refs[i], NULL);
		free(j->ext[i]);
	}
	free(j->patches);
	free(j->patch_lens);
	free(j->ext_refs);
	free(j->ext);
	free(j->ext_lens);
	j->patches = NULL;
	j->patch_lens = NULL;
	j->ext_refs = NULL;
	j->ext = NULL;
	j->ext_lens = NULL;
	j->npatches = 0;
	j->has_more = 0;
	j->next_dl = 0;
}

static void
job_free(struct as_job *j)
{
	if (j == NULL)
		return;
	reply_clear(j);
	free(j);
}

/* The fetch ended (err 0: synced).  Starts the queued one, if any. */
static void
job_end(struct as_job *j, int err)
{
	struct wa_appstate *as = j->as;
	struct as_coll *c;
	const char *name = job_name(j);
	uint8_t hash[WA_APPSTATE_HASH_LEN];
	uint64_t version = 0;
	int again, again_full;

	if (as == NULL) {
		job_free(j);
		return;
	}
	c = &as->colls[j->coll];
	c->job = NULL;
	job_free(j);
	if (err == WA_ERR_APPSTATE_NO_KEY)
		c->waiting_key = 1;
	if (err != 0) {
		logp_warnx("appstate", "%s: fetch failed: %s", name,
		    u_strerror(err));
		if (as->cbs.on_error != NULL)
			as->cbs.on_error(as->arg, name, err);
	} else {
		(void)wa_appstate_state(as, name, &version, hash);
		logp_info("appstate", "%s: synced at v%llu", name,
		    (unsigned long long)version);
		if (as->cbs.on_synced != NULL)
			as->cbs.on_synced(as->arg, name, version);
	}
	again = c->again;
	again_full = c->again_full;
	c->again = c->again_full = 0;
	if (again && c->job == NULL) {
		const char *one[1] = { name };
		(void)wa_appstate_fetch(as, one, 1, again_full);
	}
}

static int
bytes_of(const struct wa_node *n, const uint8_t **p, size_t *len)
{
	if (n->kind != WA_CONTENT_BYTES && n->kind != WA_CONTENT_STRING)
		return WA_ERR_APPSTATE_MALFORMED;
	*p = n->bytes;
	*len = n->len;
	return 0;
}

/* Take the <collection> of a reply apart into j (raw patches, refs). */
static int
reply_parse(struct as_job *j, const struct wa_node *col)
{
	const struct wa_node *snap, *patches, *ch;
	const uint8_t *p;
	const char *type, *more;
	size_t len, i, n = 0;
	int r;

	type = wa_node_attr(col, "type");
	if (type != NULL && strcmp(type, "error") == 0)
		return WA_ERR_APPSTATE_SERVER;
	more = wa_node_attr(col, "has_more_patches");
	j->has_more = more != NULL && strcmp(more, "true") == 0;
	if ((snap = wa_node_child(col, "snapshot")) != NULL) {
		if (!j->want_snapshot)
			return WA_ERR_APPSTATE_VERSION;
		if ((r = bytes_of(snap, &p, &len)) != 0)
			return r;
		if (len > WA_APPSTATE_MAX_INLINE)
			return WA_ERR_TOO_BIG;
		j->snap_ref = wa__syncd_external_blob_reference__unpack(NULL,
		    len, p);
		if (j->snap_ref == NULL)
			return WA_ERR_APPSTATE_MALFORMED;
	}
	patches = wa_node_child(col, "patches");
	if (patches != NULL && patches->kind == WA_CONTENT_LIST)
		n = patches->nchildren;
	if (n > WA_APPSTATE_MAX_PATCHES)
		return WA_ERR_TOO_BIG;
	j->patches = u_calloc(n ? n : 1, sizeof(*j->patches));
	j->patch_lens = u_calloc(n ? n : 1, sizeof(*j->patch_lens));
	j->ext_refs = u_calloc(n ? n : 1, sizeof(*j->ext_refs));
	j->ext = u_calloc(n ? n : 1, sizeof(*j->ext));
	j->ext_lens = u_calloc(n ? n : 1, sizeof(*j->ext_lens));
	for (i = 0; i < n; i++) {
		Wa__SyncdPatch *pt;

		ch = patches->children[i];
		if (strcmp(ch->tag, "patch") != 0)
			continue;	/* as whatsmeow: skipped */
		if ((r = bytes_of(ch, &p, &len)) != 0)
			return r;
		if (len > WA_APPSTATE_MAX_INLINE)
			return WA_ERR_TOO_BIG;
		if ((r = wa__appstate_bound_field(p, len, 2,
		    WA_APPSTATE_MAX_MUTATIONS)) != 0)
			return r;
		if ((pt = wa__syncd_patch__unpack(NULL, len, p)) == NULL)
			return WA_ERR_APPSTATE_MALFORMED;
		if (pt->external_mutations != NULL) {
			j->ext_refs[j->npatches] = pt->external_mutations;
			pt->external_mutations = NULL;
		}
		wa__syncd_patch__free_unpacked(pt, NULL);
		j->patches[j->npatches] = u_malloc(len ? len : 1);
		memcpy(j->patches[j->npatches], p, len);
		j->patch_lens[j->npatches] = len;
		j->npatches++;
	}
	return 0;
}

/* --- Asking our phone for missing keys -------------------------------- */

struct key_ids {
	const uint8_t	*id[WA_APPSTATE_KEY_REQUEST_MAX];
	size_t		 len[WA_APPSTATE_KEY_REQUEST_MAX];
	size_t		 n;
};

static uint64_t
now_ms(struct wa_appstate *as)
{
	struct timespec ts;

	if (as->now_ms != NULL)
		return as->now_ms(as->hook_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Add id to k if we lack its key, it is not in k yet and was not asked
 * for recently (then it is marked as asked for now). */
static void
key_check(struct wa_appstate *as, struct key_ids *k, const Wa__SyncdKeyId *kid,
    uint64_t now)
{
	struct wa_appstate_keys keys;
	struct as_key_req *slot = NULL;
	size_t i;
	int r;

	if (kid == NULL || !kid->has_id || kid->id.len == 0 ||
	    kid->id.len > WA_APPSTATE_KEY_ID_MAX ||
	    k->n >= WA_APPSTATE_KEY_REQUEST_MAX)
		return;
	for (i = 0; i < k->n; i++)
		if (k->len[i] == kid->id.len &&
		    memcmp(k->id[i], kid->id.data, kid->id.len) == 0)
			return;
	r = wa__appstate_keys(as, kid->id.data, kid->id.len, &keys);
	sodium_memzero(&keys, sizeof(keys));
	if (r != WA_ERR_APPSTATE_NO_KEY)
		return;
	for (i = 0; i < WA_APPSTATE_KEY_REQUEST_SLOTS; i++) {
		struct as_key_req *q = &as->reqs[i];

		if (q->idlen == kid->id.len &&
		    memcmp(q->id, kid->id.data, q->idlen) == 0) {
			if (now - q->at < WA_APPSTATE_KEY_REQUEST_MS)
				return;
			slot = q;
			break;
		}
		if (slot == NULL || q->idlen == 0 ||
		    (slot->idlen != 0 && q->at < slot->at))
			slot = q;	/* a free slot, else the oldest */
	}
	memcpy(slot->id, kid->id.data, kid->id.len);
	slot->idlen = kid->id.len;
	slot->at = now;
	k->id[k->n] = slot->id;
	k->len[k->n] = slot->idlen;
	k->n++;
}

static void
key_check_mutations(struct wa_appstate *as, struct key_ids *k,
    Wa__SyncdMutation **m, size_t n, uint64_t now)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i]->record != NULL)
			key_check(as, k, m[i]->record->key_id, now);
}

/* Ask our phone for the keys of j's reply that we lack. */
static void
request_missing_keys(struct as_job *j)
{
	struct wa_appstate *as = j->as;
	struct key_ids k;
	Wa__E2EMessage msg = WA__E2_EMESSAGE__INIT;
	Wa__E2EProtocolMessage pm = WA__E2_EPROTOCOL_MESSAGE__INIT;
	Wa__E2EAppStateSyncKeyRequest req =
	    WA__E2_EAPP_STATE_SYNC_KEY_REQUEST__INIT;
	Wa__E2EAppStateSyncKeyId ids[WA_APPSTATE_KEY_REQUEST_MAX];
	Wa__E2EAppStateSyncKeyId *idp[WA_APPSTATE_KEY_REQUEST_MAX];
	struct wa_msg_send_opts o;
	struct wa_jid own;
	char to[WA_JID_STR_MAX], id_out[WA_MSG_ID_MAX];
	uint8_t *p = NULL;
	uint64_t now;
	size_t i, len;
	int r;

	if (as->sender == NULL && as->send_msg == NULL)
		return;
	memset(&k, 0, sizeof(k));
	now = now_ms(as);
	if (j->snap != NULL && wa__appstate_bound_field(j->snap, j->snap_len,
	    2, WA_APPSTATE_MAX_MUTATIONS) == 0) {
		Wa__SyncdSnapshot *sn = wa__syncd_snapshot__unpack(NULL,
		    j->snap_len, j->snap);

		if (sn != NULL) {
			key_check(as, &k, sn->key_id, now);
			for (i = 0; i < sn->n_records; i++)
				key_check(as, &k, sn->records[i]->key_id, now);
			wa__syncd_snapshot__free_unpacked(sn, NULL);
		}
	}
	for (i = 0; i < j->npatches; i++) {
		Wa__SyncdPatch *pt = wa__syncd_patch__unpack(NULL,
		    j->patch_lens[i], j->patches[i]);

		if (pt == NULL)
			continue;
		key_check(as, &k, pt->key_id, now);
		key_check_mutations(as, &k, pt->mutations, pt->n_mutations,
		    now);
		wa__syncd_patch__free_unpacked(pt, NULL);
		if (j->ext[i] != NULL && wa__appstate_bound_field(j->ext[i],
		    j->ext_lens[i], 1, WA_APPSTATE_MAX_MUTATIONS) == 0) {
			Wa__SyncdMutations *ms = wa__syncd_mutations__unpack(
			    NULL, j->ext_lens[i], j->ext[i]);

			if (ms != NULL) {
				key_check_mutations(as, &k, ms->mutations,
				    ms->n_mutations, now);
				wa__syncd_mutations__free_unpacked(ms, NULL);
			}
		}
	}
	if (k.n == 0)
		return;
	for (i = 0; i < k.n; i++) {
		wa__e2_eapp_state_sync_key_id__init(&ids[i]);
		ids[i].has_key_id = 1;
		ids[i].key_id.data = (uint8_t *)k.id[i];
		ids[i].key_id.len = k.len[i];
		idp[i] = &ids[i];
	}
	req.n_key_ids = k.n;
	req.key_ids = idp;
	pm.has_type = 1;
	pm.type = PROTO_KEY_REQUEST;
	pm.app_state_sync_key_request = &req;
	msg.protocol_message = &pm;
	len = wa__e2_emessage__get_packed_size(&msg);
	p = u_malloc(len);
	wa__e2_emessage__pack(&msg, p);
	/* Our own phone-number account; the sender picks device 0. */
	{
		const char *me = wa__appstate_jid(as);

		if (me == NULL || wa_jid_parse(me, &own) != 0) {
			r = WA_ERR_NOT_CONNECTED;
			goto out;
		}
		own = wa_jid_to_non_ad(&own);
		wa_jid_format(&own, to, sizeof(to));
	}
	memset(&o, 0, sizeof(o));
	o.peer = 1;
	o.push_priority = "high";
	if (as->send_msg != NULL)
		r = as->send_msg(as->hook_arg, to, p, len, &o);
	else
		r = wa_msg_send(as->sender, to, p, len, &o, id_out, NULL,
		    NULL);
out:
	if (r != 0)
		logp_warnx("appstate", "%s: cannot ask for %zu missing "
		    "key(s): %s", job_name(j), k.n, u_strerror(r));
	else
		logp_info("appstate", "%s: asked our phone for %zu missing "
		    "key(s)", job_name(j), k.n);
	free(p);
}

static void
job_apply(struct as_job *j)
{
	struct wa_appstate *as = j->as;
	uint8_t hash[WA_APPSTATE_HASH_LEN];
	uint64_t before = 0, after = 0;
	int r;

	(void)wa_appstate_state(as, job_name(j), &before, hash);
	r = wa__appstate_apply(as, job_name(j), j->snap, j->snap_len,
	    (const uint8_t *const *)j->patches, j->patch_lens, j->npatches,
	    (const uint8_t *const *)j->ext, j->ext_lens, j->full);
	if (r == WA_ERR_APPSTATE_NO_KEY)
		request_missing_keys(j);
	if (r != 0) {
		job_end(j, r);
		return;
	}
	j->want_snapshot = 0;
	(void)wa_appstate_state(as, job_name(j), &after, hash);
	/* "More" without moving on would ask for the same page forever. */
	if (j->has_more && after == before) {
		job_end(j, WA_ERR_APPSTATE_VERSION);
		return;
	}
	if (j->has_more) {
		reply_clear(j);
		job_round(j);
		return;
	}
	job_end(j, 0);
}

static void
on_download(void *arg, int err, const uint8_t *data, size_t len)
{
	struct as_job *j = arg;
	size_t i;

	if (j->as == NULL) {
		job_free(j);
		return;
	}
	if (err == 0 && len > WA_APPSTATE_MAX_BLOB)
		err = WA_ERR_TOO_BIG;
	if (err != 0) {
		job_end(j, err);
		return;
	}
	if (j->next_dl == 0) {
		j->snap = u_malloc(len ? len : 1);
		memcpy(j->snap, data, len);
		j->snap_len = len;
	} else {
		i = j->next_dl - 1;
		j->ext[i] = u_malloc(len ? len : 1);
		memcpy(j->ext[i], data, len);
		j->ext_lens[i] = len;
	}
	j->next_dl++;
	job_download_next(j);
}

/* Download the next external blob of the reply, or apply it. */
static void
job_download_next(struct as_job *j)
{
	struct wa_appstate *as = j->as;
	const Wa__SyncdExternalBlobReference *ref = NULL;
	struct wa_media_ref mr;
	int r;

	while (ref == NULL) {
		if (j->next_dl == 0) {
			ref = j->snap_ref;
		} else if (j->next_dl - 1 < j->npatches) {
			ref = j->ext_refs[j->next_dl - 1];
		} else {
			job_apply(j);
			return;
		}
		if (ref == NULL)
			j->next_dl++;
	}
	if (as->media == NULL && as->download == NULL) {
		job_end(j, WA_ERR_APPSTATE_NO_MEDIA);
		return;
	}
	if (!ref->has_media_key || ref->media_key.len != WA_MEDIA_KEY_LEN ||
	    ref->direct_path == NULL ||
	    (ref->has_file_enc_sha256 &&
	    ref->file_enc_sha256.len != WA_MEDIA_SHA_LEN) ||
	    (ref->has_file_sha256 && ref->file_sha256.len != WA_MEDIA_SHA_LEN)) {
		job_end(j, WA_ERR_APPSTATE_MALFORMED);
		return;
	}
	memset(&mr, 0, sizeof(mr));
	mr.type = WA_MEDIA_APP_STATE;
	mr.direct_path = ref->direct_path;
	mr.media_key = ref->media_key.data;
	mr.file_enc_sha256 = ref->has_file_enc_sha256 ?
	    ref->file_enc_sha256.data : NULL;
	mr.file_sha256 = ref->has_file_sha256 ? ref->file_sha256.data : NULL;
	if (as->download != NULL)
		r = as->download(as->hook_arg, &mr, on_download, j);
	else
		r = wa_media_download(as->media, &mr, on_download, j);
	if (r != 0)
		job_end(j, r == U_ERR_INVALID ? WA_ERR_APPSTATE_MALFORMED : r);
}

static void
on_sync_reply(void *arg, const struct wa_node *res, int err)
{
	struct as_job *j = arg;
	const struct wa_node *sync, *col = NULL;
	const char *type, *name;
	size_t i;
	int r;

	if (j->as == NULL) {
		job_free(j);
		return;
	}
	if (err != 0) {
		job_end(j, err);
		return;
	}
	type = wa_node_attr(res, "type");
	if (type != NULL && strcmp(type, "error") == 0) {
		job_end(j, WA_ERR_IQ);
		return;
	}
	sync = wa_node_child(res, "sync");
	for (i = 0; sync != NULL && sync->kind == WA_CONTENT_LIST &&
	    i < sync->nchildren; i++) {
		const struct wa_node *c = sync->children[i];
		name = wa_node_attr(c, "name");
		if (strcmp(c->tag, "collection") == 0 && name != NULL &&
		    strcmp(name, job_name(j)) == 0) {
			col = c;
			break;
		}
	}
	if (col == NULL) {
		job_end(j, WA_ERR_APPSTATE_MALFORMED);
		return;
	}
	if ((r = reply_parse(j, col)) != 0) {
		job_end(j, r);
		return;
	}
	j->next_dl = 0;
	job_download_next(j);
}

/* Ask for the collection from its stored version. */
static void
job_round(struct as_job *j)
{
	struct wa_appstate *as = j->as;
	struct wa_node *iq, *sync, *col;
	uint8_t hash[WA_APPSTATE_HASH_LEN];
	uint64_t version;
	int r;

	if (++j->rounds > WA_APPSTATE_MAX_ROUNDS) {
		job_end(j, WA_ERR_TOO_BIG);
		return;
	}
	if ((r = wa_appstate_state(as, job_name(j), &version, hash)) != 0) {
		job_end(j, r);
		return;
	}
	if (version == 0) {
		j->full = 1;
		j->want_snapshot = j->rounds == 1;
	}
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "xmlns", NS_APPSTATE);
	wa_node_set_attr(iq, "type", "set");
	wa_node_set_attr(iq, "to", WA_SERVER_USER);
	sync = wa_node_new("sync");
	col = wa_node_new("collection");
	wa_node_set_attr(col, "name", job_name(j));
	/* As whatsmeow: a snapshot request names no version. */
	if (!j->want_snapshot)
		wa_node_set_attr_u64(col, "version", version);
	wa_node_set_attr(col, "return_snapshot",
	    j->want_snapshot ? "true" : "false");
	wa_node_add_child(sync, col);
	wa_node_add_child(iq, sync);
	logp_debug("appstate", "%s: fetching from v%llu%s", job_name(j),
	    (unsigned long long)version, j->want_snapshot ? " (snapshot)" : "");
	if (as->send_iq != NULL)
		r = as->send_iq(as->hook_arg, iq, on_sync_reply, j);
	else
		r = wa_client_send_iq(as->client, iq, 0, on_sync_reply, j);
	if (r != 0)
		job_end(j, r);
}

/* --- Public ------------------------------------------------------------ */

struct wa_appstate *
wa_appstate_new(const struct wa_appstate_opts *opts,
    const struct wa_appstate_cbs *cbs, void *arg)
{
	struct wa_appstate *as = u_calloc(1, sizeof(*as));
	size_t i;

	as->client = opts->client;
	as->media = opts->media;
	as->ops = opts->ops;
	as->store_arg = opts->store_arg;
	as->our_jid = opts->our_jid != NULL ? u_strdup(opts->our_jid) : NULL;
	as->send_iq = opts->send_iq;
	as->download = opts->download;
	as->hook_arg = opts->hook_arg;
	as->sender = opts->sender;
	as->send_msg = opts->send_msg;
	as->now_ms = opts->now_ms;
	if (cbs != NULL)
		as->cbs = *cbs;
	as->arg = arg;
	for (i = 0; i < WA_APPSTATE_NCOLLECTIONS; i++)
		as->colls[i].name = wa_appstate_collections[i];
	return as;
}

void
wa_appstate_free(struct wa_appstate *as)
{
	size_t i;

	if (as == NULL)
		return;
	/* A job waits on an iq or a download whose callback frees it. */
	for (i = 0; i < WA_APPSTATE_NCOLLECTIONS; i++)
		if (as->colls[i].job != NULL)
			as->colls[i].job->as = NULL;
	sodium_memzero(as->cache, sizeof(as->cache));
	free(as->our_jid);
	free(as);
}

static int
ops_ok(const struct wa_appstate *as)
{
	const struct wa_store_ops *o = as->ops;

	return o != NULL && o->appstate_key_put != NULL &&
	    o->appstate_key_get != NULL && o->appstate_version_get != NULL &&
	    o->appstate_version_put != NULL &&
	    o->appstate_version_delete != NULL && o->appstate_mac_put != NULL &&
	    o->appstate_mac_delete != NULL && o->appstate_mac_get != NULL;
}

static int
coll_index(const char *name, size_t *out)
{
	size_t i;

	for (i = 0; i < WA_APPSTATE_NCOLLECTIONS; i++)
		if (strcmp(name, wa_appstate_collections[i]) == 0) {
			*out = i;
			return 0;
		}
	return U_ERR_INVALID;
}

int
wa_appstate_fetch(struct wa_appstate *as, const char *const *names, size_t n,
    int full)
{
	size_t idx[WA_APPSTATE_NCOLLECTIONS], k = 0, i, ci;
	int r;

	if (!ops_ok(as))
		return U_ERR_INVALID;
	if (names == NULL) {
		for (i = 0; i < WA_APPSTATE_NCOLLECTIONS; i++)
			idx[k++] = i;
	} else {
		for (i = 0; i < n; i++) {
			if (names[i] == NULL || coll_index(names[i], &ci) != 0)
				return U_ERR_INVALID;
			if (k < WA_APPSTATE_NCOLLECTIONS)
				idx[k++] = ci;
		}
	}
	if ((as->send_iq == NULL && (as->client == NULL ||
	    wa_client_state(as->client) != WA_STATE_CONNECTED)) ||
	    wa__appstate_jid(as) == NULL)
		return WA_ERR_NOT_CONNECTED;
	for (i = 0; i < k; i++) {
		struct as_coll *c = &as->colls[idx[i]];
		struct as_job *j;

		if (c->job != NULL) {
			c->again = 1;
			c->again_full |= full;
			continue;
		}
		c->waiting_key = 0;
		if (full && (r = as->ops->appstate_version_delete(as->store_arg,
		    wa__appstate_jid(as), c->name)) != 0)
			return r;
		j = u_calloc(1, sizeof(*j));
		j->as = as;
		j->coll = idx[i];
		j->full = full;
		c->job = j;
		job_round(j);
	}
	return 0;
}

int
wa_appstate_handle_message(struct wa_appstate *as,
    const struct wa_msg_event *ev)
{
	Wa__E2EMessage *m;
	const Wa__E2EProtocolMessage *pm;
	uint8_t *share = NULL;
	size_t len = 0, i;
	unsigned stored = 0;
	int r;

	if (ev->payload == NULL ||
	    (m = wa__e2_emessage__unpack(NULL, ev->payload_len,
	    ev->payload)) == NULL)
		return 0;
	pm = m->protocol_message;
	if (pm == NULL || !pm->has_type || pm->type != PROTO_KEY_SHARE ||
	    pm->app_state_sync_key_share == NULL) {
		wa__e2_emessage__free_unpacked(m, NULL);
		return 0;
	}
	if (!ev->from_me) {
		/* Only our own phone may give us keys. */
		logp_warnx("appstate", "app-state key share from another "
		    "account ignored");
		wa__e2_emessage__free_unpacked(m, NULL);
		return 0;
	}
	len = wa__e2_eapp_state_sync_key_share__get_packed_size(
	    pm->app_state_sync_key_share);
	share = u_malloc(len ? len : 1);
	wa__e2_eapp_state_sync_key_share__pack(pm->app_state_sync_key_share,
	    share);
	wa__e2_emessage__free_unpacked(m, NULL);
	if (!ops_ok(as)) {
		logp_warnx("appstate", "key share: the store keeps no app "
		    "state");
		goto out;
	}
	r = wa_appstate_store_key_share(as, share, len, &stored);
	logp_info("appstate", "key share: %u key(s) stored%s%s", stored,
	    r != 0 ? ", some failed: " : "", r != 0 ? u_strerror(r) : "");
	if (stored == 0)
		goto out;
	/* As whatsmeow: every collection not synced yet (and those that
	 * stopped on a missing key) is fetched now. */
	for (i = 0; i < WA_APPSTATE_NCOLLECTIONS; i++) {
		struct as_coll *c = &as->colls[i];
		uint8_t hash[WA_APPSTATE_HASH_LEN];
		uint64_t version = 0;
		const char *one[1] = { c->name };

		if (!c->waiting_key && (wa_appstate_state(as, c->name,
		    &version, hash) != 0 || version != 0))
			continue;
		r = wa_appstate_fetch(as, one, 1, 0);
		if (r != 0)
			logp_warnx("appstate", "%s: cannot fetch: %s", c->name,
			    u_strerror(r));
	}
out:
	sodium_memzero(share, len);
	free(share);
	return 1;
}

int
wa_appstate_handle_node(struct wa_appstate *as, const struct wa_node *n)
{
	const char *type;
	const char *names[WA_APPSTATE_NCOLLECTIONS];
	size_t i, k = 0, j;
	int r;

	if (strcmp(n->tag, "notification") != 0 ||
	    (type = wa_node_attr(n, "type")) == NULL ||
	    strcmp(type, "server_sync") != 0)
		return 0;
	if (as->client != NULL)
		(void)wa_client_send_ack(as->client, n);
	for (i = 0; n->kind == WA_CONTENT_LIST && i < n->nchildren; i++) {
		const struct wa_node *c = n->children[i];
		const char *name = wa_node_attr(c, "name");

		if (strcmp(c->tag, "collection") != 0 ||
		    !wa_appstate_collection_known(name)) {
			logp_debug("appstate", "server_sync: unknown "
			    "collection ignored");
			continue;
		}
		for (j = 0; j < k; j++)
			if (strcmp(names[j], name) == 0)
				break;
		if (j == k && k < WA_APPSTATE_NCOLLECTIONS)
			names[k++] = name;
	}
	if (k > 0 && (r = wa_appstate_fetch(as, names, k, 0)) != 0)
		logp_warnx("appstate", "server_sync: cannot fetch: %s",
		    u_strerror(r));
	return 1;
}
