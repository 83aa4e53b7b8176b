/*
 * Tests for the fetch machine of waweb/appstate.c with its iq sending and
 * media download replaced by a fake server in this file (the
 * wa_appstate_opts test hooks): the w:sync:app:state iqs (snapshot at
 * version 0, version afterwards), a snapshot and a patch as external
 * blobs (encrypted as md-app-state media, decrypted and checked as the
 * real download does) and inline patches, has_more_patches rounds, the
 * end of a fetch (on_synced, contacts), iq and per-collection errors, an
 * unasked snapshot, a missing key resumed by a key share, server_sync,
 * a fetch asked while one runs, a handle freed with an iq and a
 * download pending, and the APP_STATE_SYNC_KEY_REQUEST a missing key
 * makes (once per key id within WA_APPSTATE_KEY_REQUEST_MS).
 */
#include <string.h>

#include "proto/e2e.pb-c.h"
#include "test/unit/test.h"
#include "test/unit/waweb/appstate_build.h"
#include "util/buf.h"
#include "util/err.h"
#include "waweb/appstate.h"
#include "waweb/errors.h"
#include "waweb/media.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"

#define OUR_JID "33600000001:3@s.whatsapp.net"
#define CUL "critical_unblock_low"

struct fake_iq {
	struct wa_node	*iq;
	wa_iq_cb	 cb;
	void		*arg;
};

struct fake_dl {
	char			 path[128];
	uint8_t			 key[WA_MEDIA_KEY_LEN];
	uint8_t			 enc_sha[WA_MEDIA_SHA_LEN];
	wa_media_download_fn	 cb;
	void			*arg;
};

struct blob {
	char		path[128];
	uint8_t		*data;	/* encrypted, owned */
	size_t		len;
};

struct fake {
	struct fake_iq	iqs[16];
	size_t		niqs;
	struct fake_dl	dls[8];
	size_t		ndls;
	struct blob	blobs[8];
	size_t		nblobs;
	/* events */
	int		ncontacts, nsynced, nerr, lasterr;
	char		lastfull[64], synced[64], errcoll[64];
	uint64_t	synced_version;
	/* key requests sent through the send_msg hook */
	int		nreq;
	char		req_to[64];
	int		req_peer;
	char		req_prio[16];
	uint8_t		*req;		/* the last payload, owned */
	size_t		req_len;
	uint64_t	now;		/* the now_ms hook */
};

static int
fake_send_msg(void *hook, const char *to, const uint8_t *p, size_t len,
    const struct wa_msg_send_opts *o)
{
	struct fake *f = hook;

	f->nreq++;
	snprintf(f->req_to, sizeof(f->req_to), "%s", to);
	f->req_peer = o->peer;
	snprintf(f->req_prio, sizeof(f->req_prio), "%s",
	    o->push_priority != NULL ? o->push_priority : "");
	free(f->req);
	f->req = u_malloc(len);
	memcpy(f->req, p, len);
	f->req_len = len;
	return 0;
}

static uint64_t
fake_now(void *hook)
{
	return ((struct fake *)hook)->now;
}

static int
fake_send_iq(void *hook, struct wa_node *iq, wa_iq_cb cb, void *arg)
{
	struct fake *f = hook;

	if (f->niqs == 16)
		abort();
	f->iqs[f->niqs++] = (struct fake_iq){ iq, cb, arg };
	return 0;
}

static int
fake_download(void *hook, const struct wa_media_ref *ref,
    wa_media_download_fn cb, void *arg)
{
	struct fake *f = hook;
	struct fake_dl *d;

	if (f->ndls == 8 || ref->type != WA_MEDIA_APP_STATE)
		abort();
	d = &f->dls[f->ndls++];
	snprintf(d->path, sizeof(d->path), "%s", ref->direct_path);
	memcpy(d->key, ref->media_key, WA_MEDIA_KEY_LEN);
	if (ref->file_enc_sha256 != NULL)
		memcpy(d->enc_sha, ref->file_enc_sha256, WA_MEDIA_SHA_LEN);
	d->cb = cb;
	d->arg = arg;
	return 0;
}

/* Serve the oldest pending download as the real one would. */
static int
serve_download(struct fake *f)
{
	struct fake_dl d;
	uint8_t *pt = NULL;
	size_t n = 0, i;
	int r = WA_ERR_MEDIA_EXPIRED;

	if (f->ndls == 0)
		return -1;
	d = f->dls[0];
	memmove(f->dls, f->dls + 1, --f->ndls * sizeof(f->dls[0]));
	for (i = 0; i < f->nblobs; i++)
		if (strcmp(f->blobs[i].path, d.path) == 0)
			r = wa_media_decrypt(WA_MEDIA_APP_STATE, d.key,
			    f->blobs[i].data, f->blobs[i].len, d.enc_sha, NULL,
			    0, &pt, &n);
	d.cb(d.arg, r, pt, n);
	free(pt);
	return 0;
}

/* Encrypt data as an app-state blob at path; returns a serialized
 * ExternalBlobReference (owned). */
static uint8_t *
external(struct fake *f, const char *path, const uint8_t *data, size_t len,
    size_t *out_len)
{
	struct wa_media_enc e;
	Wa__SyncdExternalBlobReference ref =
	    WA__SYNCD_EXTERNAL_BLOB_REFERENCE__INIT;
	struct blob *b = &f->blobs[f->nblobs++];
	uint8_t *p;

	if (wa_media_encrypt(WA_MEDIA_APP_STATE, data, len, NULL, &e) != 0)
		abort();
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->data = e.blob;
	b->len = e.blob_len;
	e.blob = NULL;
	ref.has_media_key = 1;
	ref.media_key.data = e.media_key;
	ref.media_key.len = WA_MEDIA_KEY_LEN;
	ref.direct_path = (char *)path;
	ref.has_file_enc_sha256 = 1;
	ref.file_enc_sha256.data = e.file_enc_sha256;
	ref.file_enc_sha256.len = WA_MEDIA_SHA_LEN;
	ref.has_file_sha256 = 1;
	ref.file_sha256.data = e.file_sha256;
	ref.file_sha256.len = WA_MEDIA_SHA_LEN;
	ref.has_file_size_bytes = 1;
	ref.file_size_bytes = len;
	*out_len = wa__syncd_external_blob_reference__get_packed_size(&ref);
	p = u_malloc(*out_len);
	wa__syncd_external_blob_reference__pack(&ref, p);
	wa_media_enc_free(&e);
	return p;
}

static void
fake_free(struct fake *f)
{
	size_t i;

	/* As a client going away: every pending iq fails (exactly once). */
	for (i = 0; i < f->niqs; i++) {
		f->iqs[i].cb(f->iqs[i].arg, NULL, WA_ERR_NOT_CONNECTED);
		wa_node_free(f->iqs[i].iq);
	}
	for (i = 0; i < f->nblobs; i++)
		free(f->blobs[i].data);
	free(f->req);
}

static void
on_contact(void *arg, const struct wa_appstate_contact *c)
{
	struct fake *f = arg;

	f->ncontacts++;
	snprintf(f->lastfull, sizeof(f->lastfull), "%s", c->full_name ?
	    c->full_name : "");
}

static void
on_synced(void *arg, const char *coll, uint64_t v)
{
	struct fake *f = arg;

	f->nsynced++;
	snprintf(f->synced, sizeof(f->synced), "%s", coll);
	f->synced_version = v;
}

static void
on_error(void *arg, const char *coll, int err)
{
	struct fake *f = arg;

	f->nerr++;
	f->lasterr = err;
	snprintf(f->errcoll, sizeof(f->errcoll), "%s", coll);
}

static struct wa_appstate *
new_as(struct fake *f, struct wa_store_mem **m, int with_key)
{
	struct wa_appstate_opts o;
	struct wa_appstate_cbs cbs = { on_contact, NULL, on_synced, on_error };

	memset(f, 0, sizeof(*f));
	wa_errors_register();
	*m = wa_store_mem_new();
	if (with_key)
		wa_store_mem_ops.appstate_key_put(*m, OUR_JID, KID, 2, KEYDATA,
		    32, 1, (const uint8_t *)"", 0);
	memset(&o, 0, sizeof(o));
	o.ops = &wa_store_mem_ops;
	o.store_arg = *m;
	o.our_jid = OUR_JID;
	o.send_iq = fake_send_iq;
	o.download = fake_download;
	o.send_msg = fake_send_msg;
	o.now_ms = fake_now;
	o.hook_arg = f;
	f->now = 1000;
	return wa_appstate_new(&o, &cbs, f);
}

/* Take the iq asking for name (its collection node returned through
 * *col, the iq owned by the caller). */
static struct fake_iq
take_iq(struct fake *f, const char *name, const struct wa_node **col)
{
	struct fake_iq q = { 0 };
	size_t i;

	for (i = 0; i < f->niqs; i++) {
		const struct wa_node *s = wa_node_child(f->iqs[i].iq, "sync");
		const struct wa_node *c = s ? wa_node_child(s, "collection") :
		    NULL;
		const char *nm = c ? wa_node_attr(c, "name") : NULL;
		if (nm != NULL && strcmp(nm, name) == 0) {
			q = f->iqs[i];
			*col = c;
			memmove(f->iqs + i, f->iqs + i + 1,
			    (--f->niqs - i) * sizeof(f->iqs[0]));
			return q;
		}
	}
	*col = NULL;
	return q;
}

/* <iq type=result><sync><collection name ...>children</collection></sync> */
static struct wa_node *
reply(const char *name, uint64_t version, int more, struct wa_node *snapshot,
    struct wa_node *patches)
{
	struct wa_node *iq = wa_node_new("iq"), *s = wa_node_new("sync"),
	    *c = wa_node_new("collection");

	wa_node_set_attr(iq, "type", "result");
	wa_node_set_attr(c, "name", name);
	wa_node_set_attr_u64(c, "version", version);
	if (more)
		wa_node_set_attr(c, "has_more_patches", "true");
	if (snapshot != NULL)
		wa_node_add_child(c, snapshot);
	if (patches != NULL)
		wa_node_add_child(c, patches);
	wa_node_add_child(s, c);
	wa_node_add_child(iq, s);
	return iq;
}

static struct wa_node *
bytes_node(const char *tag, const uint8_t *p, size_t n)
{
	struct wa_node *x = wa_node_new(tag);

	wa_node_set_bytes(x, p, n);
	return x;
}

/* Answer q with r (freed here) after a binary round trip, as it would
 * arrive from the wire. */
static void
answer(struct fake_iq q, struct wa_node *r)
{
	struct u_buf b;
	struct wa_node *d = NULL;

	u_buf_init(&b, 0);
	if (wa_node_encode(r, &b) != 0 || wa_node_decode(b.p, b.len, &d) != 0)
		abort();
	u_buf_free(&b);
	wa_node_free(r);
	q.cb(q.arg, d, 0);
	wa_node_free(d);
	wa_node_free(q.iq);
}

TEST(test_appstate_fetch_snapshot_external_then_patches)
{
	struct fake f;
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&f, &m, 1);
	struct as_builder b;
	struct mspec s[2];
	struct fake_iq q;
	const struct wa_node *col;
	struct wa_node *pn;
	uint8_t *snap, *ref, *p7, *p8, *muts, *p8x;
	size_t slen, rlen, l7, l8, mlen, l8x, al1, al2;

	as_builder_init(&b, CUL);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33611111111@s.whatsapp.net\"]";
	s[0].action = contact_action("Alice", "Alice", NULL, &al1);
	s[0].action_len = al1;
	s[1].index = "[\"contact\",\"33622222222@s.whatsapp.net\"]";
	s[1].action = contact_action("Bob", "Bob", NULL, &al2);
	s[1].action_len = al2;

	REQUIRE(wa_appstate_fetch(as, (const char *[]){ CUL }, 1, 0) == 0);
	q = take_iq(&f, CUL, &col);
	REQUIRE(q.iq != NULL);
	CHECK_EQ_STR(wa_node_attr(q.iq, "xmlns"), "w:sync:app:state");
	CHECK_EQ_STR(wa_node_attr(q.iq, "type"), "set");
	CHECK_EQ_STR(wa_node_attr(col, "return_snapshot"), "true");
	CHECK(wa_node_attr(col, "version") == NULL);

	/* Round 1: the snapshot (v5) as an external blob, more to come. */
	snap = build_snapshot(&b, 5, s, 1, &slen);
	b.model = b.pending;
	ref = external(&f, "/v/t62/snapshot?x=1", snap, slen, &rlen);
	answer(q, reply(CUL, 5, 1, bytes_node("snapshot", ref, rlen), NULL));
	CHECK_EQ_INT(f.ndls, 1);
	CHECK_EQ_INT(f.niqs, 0);
	REQUIRE(serve_download(&f) == 0);
	CHECK_EQ_INT(f.ncontacts, 1);
	CHECK_EQ_INT(f.nsynced, 0);

	/* Round 2: from v5, an inline patch (v6) and one (v7)
	 * whose mutations are an external blob. */
	q = take_iq(&f, CUL, &col);
	REQUIRE(q.iq != NULL);
	CHECK_EQ_STR(wa_node_attr(col, "version"), "5");
	CHECK_EQ_STR(wa_node_attr(col, "return_snapshot"), "false");
	p7 = build_patch(&b, 6, &s[1], 1, &l7);
	b.model = b.pending;
	free(s[0].action);
	s[0].action = contact_action("Alice Dupont", "Alice", NULL, &al1);
	s[0].action_len = al1;
	p8 = build_patch(&b, 7, s, 1, &l8);
	b.model = b.pending;
	{
		/* Move p8's mutations out into a SyncdMutations blob. */
		Wa__SyncdPatch *pt = wa__syncd_patch__unpack(NULL, l8, p8);
		Wa__SyncdMutations ms = WA__SYNCD_MUTATIONS__INIT;
		Wa__SyncdExternalBlobReference *er;
		uint8_t *refb;
		size_t refl;

		REQUIRE(pt != NULL);
		ms.n_mutations = pt->n_mutations;
		ms.mutations = pt->mutations;
		mlen = wa__syncd_mutations__get_packed_size(&ms);
		muts = u_malloc(mlen);
		wa__syncd_mutations__pack(&ms, muts);
		refb = external(&f, "/v/t62/muts?x=2", muts, mlen, &refl);
		er = wa__syncd_external_blob_reference__unpack(NULL, refl, refb);
		pt->external_mutations = er;
		{
			size_t n = pt->n_mutations;
			Wa__SyncdMutation **keep = pt->mutations;
			pt->n_mutations = 0;
			pt->mutations = NULL;
			l8x = wa__syncd_patch__get_packed_size(pt);
			p8x = u_malloc(l8x);
			wa__syncd_patch__pack(pt, p8x);
			pt->n_mutations = n;
			pt->mutations = keep;
		}
		wa__syncd_patch__free_unpacked(pt, NULL);
		free(refb);
	}
	pn = wa_node_new("patches");
	wa_node_add_child(pn, bytes_node("patch", p7, l7));
	wa_node_add_child(pn, bytes_node("patch", p8x, l8x));
	answer(q, reply(CUL, 7, 0, NULL, pn));
	CHECK_EQ_INT(f.ndls, 1);
	REQUIRE(serve_download(&f) == 0);
	CHECK_EQ_INT(f.ncontacts, 3);
	CHECK_EQ_STR(f.lastfull, "Alice Dupont");
	CHECK_EQ_INT(f.nsynced, 1);
	CHECK_EQ_STR(f.synced, CUL);
	CHECK_EQ_INT(f.synced_version, 7);
	CHECK_EQ_INT(f.nerr, 0);
	CHECK_EQ_INT(f.niqs, 0);
	{
		uint8_t h[128];
		uint64_t v;
		REQUIRE(wa_appstate_state(as, CUL, &v, h) == 0);
		CHECK_EQ_INT(v, 7);
		CHECK_EQ_MEM(h, b.model.hash, 128);
	}
	free(snap);
	free(ref);
	free(p7);
	free(p8);
	free(p8x);
	free(muts);
	free(s[0].action);
	free(s[1].action);
	wa_appstate_free(as);
	fake_free(&f);
	wa_store_mem_free(m);
}

TEST(test_appstate_fetch_errors)
{
	struct fake f;
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&f, &m, 1);
	struct fake_iq q;
	const struct wa_node *col;
	struct wa_node *r;
	uint8_t *ref;
	size_t rlen;

	/* All five, each its own iq. */
	REQUIRE(wa_appstate_fetch(as, NULL, 0, 0) == 0);
	CHECK_EQ_INT(f.niqs, 5);
	/* iq error */
	q = take_iq(&f, "critical_block", &col);
	r = wa_node_new("iq");
	wa_node_set_attr(r, "type", "error");
	answer(q, r);
	CHECK_EQ_INT(f.lasterr, WA_ERR_IQ);
	CHECK_EQ_STR(f.errcoll, "critical_block");
	/* the collection refused */
	q = take_iq(&f, "regular", &col);
	r = reply("regular", 0, 0, NULL, NULL);
	wa_node_set_attr(wa_node_child(wa_node_child(r, "sync"), "collection"),
	    "type", "error");
	answer(q, r);
	CHECK_EQ_INT(f.lasterr, WA_ERR_APPSTATE_SERVER);
	/* a reply naming another collection */
	q = take_iq(&f, "regular_low", &col);
	answer(q, reply("regular_high", 0, 0, NULL, NULL));
	CHECK_EQ_INT(f.lasterr, WA_ERR_APPSTATE_MALFORMED);
	CHECK_EQ_STR(f.errcoll, "regular_low");
	/* a download that fails (the blob is not there) */
	q = take_iq(&f, "regular_high", &col);
	ref = external(&f, "/v/elsewhere", (const uint8_t *)"x", 1, &rlen);
	snprintf(f.blobs[f.nblobs - 1].path, sizeof(f.blobs[0].path), "/gone");
	answer(q, reply("regular_high", 1, 0, bytes_node("snapshot", ref,
	    rlen), NULL));
	REQUIRE(serve_download(&f) == 0);
	CHECK_EQ_INT(f.lasterr, WA_ERR_MEDIA_EXPIRED);
	free(ref);
	/* has_more_patches without a patch: no progress, stopped */
	REQUIRE(wa_appstate_fetch(as, (const char *[]){ "regular" }, 1, 0)
	    == 0);
	q = take_iq(&f, "regular", &col);
	answer(q, reply("regular", 0, 1, NULL, NULL));
	CHECK_EQ_INT(f.lasterr, WA_ERR_APPSTATE_VERSION);
	CHECK_EQ_INT(f.niqs, 1);	/* only CUL's, still unanswered */
	/* an empty collection syncs at version 0 */
	q = take_iq(&f, CUL, &col);
	answer(q, reply(CUL, 0, 0, NULL, NULL));
	CHECK_EQ_INT(f.nsynced, 1);
	CHECK_EQ_INT(f.synced_version, 0);
	CHECK_EQ_INT(f.nerr, 5);
	wa_appstate_free(as);
	fake_free(&f);
	wa_store_mem_free(m);
}

/* A decrypted E2EMessage carrying a share of KID. */
static uint8_t *
share_message(size_t *len)
{
	Wa__E2EMessage msg = WA__E2_EMESSAGE__INIT;
	Wa__E2EProtocolMessage pm = WA__E2_EPROTOCOL_MESSAGE__INIT;
	Wa__E2EAppStateSyncKeyShare sh = WA__E2_EAPP_STATE_SYNC_KEY_SHARE__INIT;
	Wa__E2EAppStateSyncKey key = WA__E2_EAPP_STATE_SYNC_KEY__INIT;
	Wa__E2EAppStateSyncKeyId kid = WA__E2_EAPP_STATE_SYNC_KEY_ID__INIT;
	Wa__E2EAppStateSyncKeyData kd = WA__E2_EAPP_STATE_SYNC_KEY_DATA__INIT;
	Wa__E2EAppStateSyncKey *keys[1] = { &key };
	uint8_t *p;

	kid.has_key_id = 1;
	kid.key_id.data = (uint8_t *)KID;
	kid.key_id.len = 2;
	kd.has_key_data = 1;
	kd.key_data.data = (uint8_t *)KEYDATA;
	kd.key_data.len = 32;
	key.key_id = &kid;
	key.key_data = &kd;
	sh.n_keys = 1;
	sh.keys = keys;
	pm.has_type = 1;
	pm.type = 6;
	pm.app_state_sync_key_share = &sh;
	msg.protocol_message = &pm;
	*len = wa__e2_emessage__get_packed_size(&msg);
	p = u_malloc(*len);
	wa__e2_emessage__pack(&msg, p);
	return p;
}

TEST(test_appstate_fetch_missing_key_resumed_by_share)
{
	struct fake f;
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&f, &m, 0);
	struct as_builder b;
	struct mspec s[1];
	struct fake_iq q;
	const struct wa_node *col;
	struct wa_node *pn;
	struct wa_msg_event ev;
	uint8_t *p, *msg;
	size_t len, al, mlen;

	as_builder_init(&b, CUL);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33655555555@s.whatsapp.net\"]";
	s[0].action = contact_action("Eve", "Eve", NULL, &al);
	s[0].action_len = al;
	p = build_patch(&b, 1, s, 1, &len);

	REQUIRE(wa_appstate_fetch(as, (const char *[]){ CUL }, 1, 0) == 0);
	q = take_iq(&f, CUL, &col);
	pn = wa_node_new("patches");
	wa_node_add_child(pn, bytes_node("patch", p, len));
	answer(q, reply(CUL, 1, 0, NULL, pn));
	CHECK_EQ_INT(f.lasterr, WA_ERR_APPSTATE_NO_KEY);
	CHECK_EQ_INT(f.ncontacts, 0);

	/* The phone's share: stored, and every unsynced collection (this one
	 * included) is fetched again. */
	msg = share_message(&mlen);
	memset(&ev, 0, sizeof(ev));
	ev.payload = msg;
	ev.payload_len = mlen;
	ev.from_me = 1;
	CHECK_EQ_INT(wa_appstate_handle_message(as, &ev), 1);
	CHECK_EQ_INT(f.niqs, 5);
	q = take_iq(&f, CUL, &col);
	REQUIRE(q.iq != NULL);
	pn = wa_node_new("patches");
	wa_node_add_child(pn, bytes_node("patch", p, len));
	answer(q, reply(CUL, 1, 0, NULL, pn));
	CHECK_EQ_INT(f.ncontacts, 1);
	CHECK_EQ_STR(f.lastfull, "Eve");
	CHECK_EQ_INT(f.nsynced, 1);
	free(p);
	free(msg);
	free(s[0].action);
	wa_appstate_free(as);
	fake_free(&f);
	wa_store_mem_free(m);
}

/* Fetch CUL and answer with patch p; returns the error reported. */
static int
fetch_with_patch(struct fake *f, struct wa_appstate *as, const uint8_t *p,
    size_t len)
{
	struct fake_iq q;
	const struct wa_node *col;
	struct wa_node *pn;

	f->lasterr = 0;
	if (wa_appstate_fetch(as, (const char *[]){ CUL }, 1, 0) != 0)
		return -1;
	q = take_iq(f, CUL, &col);
	if (q.iq == NULL)
		return -1;
	pn = wa_node_new("patches");
	wa_node_add_child(pn, bytes_node("patch", p, len));
	answer(q, reply(CUL, 1, 0, NULL, pn));
	return f->lasterr;
}

TEST(test_appstate_fetch_missing_key_requested_once)
{
	struct fake f;
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&f, &m, 0);
	struct as_builder b;
	struct mspec s[1];
	Wa__E2EMessage *msg;
	const Wa__E2EProtocolMessage *pm;
	uint8_t *p;
	size_t len, al;

	as_builder_init(&b, CUL);
	memset(s, 0, sizeof(s));
	s[0].index = "[\"contact\",\"33655555555@s.whatsapp.net\"]";
	s[0].action = contact_action("Eve", "Eve", NULL, &al);
	s[0].action_len = al;
	p = build_patch(&b, 1, s, 1, &len);

	CHECK_EQ_INT(fetch_with_patch(&f, as, p, len), WA_ERR_APPSTATE_NO_KEY);
	/* Exactly one request, a peer message to our own phone number
	 * (device 0), naming the one missing key id. */
	CHECK_EQ_INT(f.nreq, 1);
	CHECK_EQ_STR(f.req_to, "33600000001@s.whatsapp.net");
	CHECK_EQ_INT(f.req_peer, 1);
	CHECK_EQ_STR(f.req_prio, "high");
	REQUIRE((msg = wa__e2_emessage__unpack(NULL, f.req_len, f.req)) !=
	    NULL);
	REQUIRE((pm = msg->protocol_message) != NULL);
	CHECK(pm->has_type);
	CHECK_EQ_INT(pm->type, 7);	/* APP_STATE_SYNC_KEY_REQUEST */
	CHECK(pm->app_state_sync_key_share == NULL);
	REQUIRE(pm->app_state_sync_key_request != NULL);
	REQUIRE(pm->app_state_sync_key_request->n_key_ids == 1);
	CHECK(pm->app_state_sync_key_request->key_ids[0]->has_key_id);
	CHECK_EQ_INT(pm->app_state_sync_key_request->key_ids[0]->key_id.len,
	    2);
	CHECK(memcmp(pm->app_state_sync_key_request->key_ids[0]->key_id.data,
	    KID, 2) == 0);
	wa__e2_emessage__free_unpacked(msg, NULL);

	/* The same key missing again within the limit: not asked again. */
	f.now += WA_APPSTATE_KEY_REQUEST_MS - 1;
	CHECK_EQ_INT(fetch_with_patch(&f, as, p, len), WA_ERR_APPSTATE_NO_KEY);
	CHECK_EQ_INT(f.nreq, 1);
	/* Once the limit has passed, asked again. */
	f.now += 1;
	CHECK_EQ_INT(fetch_with_patch(&f, as, p, len), WA_ERR_APPSTATE_NO_KEY);
	CHECK_EQ_INT(f.nreq, 2);

	/* With the key: no request, the patch applies. */
	wa_store_mem_ops.appstate_key_put(m, OUR_JID, KID, 2, KEYDATA, 32, 1,
	    (const uint8_t *)"", 0);
	f.now += 2 * WA_APPSTATE_KEY_REQUEST_MS;
	CHECK_EQ_INT(fetch_with_patch(&f, as, p, len), 0);
	CHECK_EQ_INT(f.nreq, 2);
	CHECK_EQ_INT(f.ncontacts, 1);
	free(p);
	free(s[0].action);
	wa_appstate_free(as);
	fake_free(&f);
	wa_store_mem_free(m);
}

TEST(test_appstate_fetch_server_sync_again_and_unasked_snapshot)
{
	struct fake f;
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&f, &m, 1);
	struct fake_iq q;
	const struct wa_node *col;
	struct wa_node *n, *c;
	uint8_t hash[128];

	/* A collection already synced at v3 (no snapshot asked). */
	memset(hash, 0, sizeof(hash));
	wa_store_mem_ops.appstate_version_put(m, OUR_JID, "regular", 3, hash);
	n = wa_node_new("notification");
	wa_node_set_attr(n, "type", "server_sync");
	c = wa_node_new("collection");
	wa_node_set_attr(c, "name", "regular");
	wa_node_add_child(n, c);
	CHECK_EQ_INT(wa_appstate_handle_node(as, n), 1);
	CHECK_EQ_INT(f.niqs, 1);
	/* Another notification while it runs: once more afterwards. */
	CHECK_EQ_INT(wa_appstate_handle_node(as, n), 1);
	CHECK_EQ_INT(f.niqs, 1);
	wa_node_free(n);
	q = take_iq(&f, "regular", &col);
	CHECK_EQ_STR(wa_node_attr(col, "version"), "3");
	CHECK_EQ_STR(wa_node_attr(col, "return_snapshot"), "false");
	/* A snapshot nobody asked for is refused. */
	answer(q, reply("regular", 9, 0, bytes_node("snapshot",
	    (const uint8_t *)"", 0), NULL));
	CHECK_EQ_INT(f.lasterr, WA_ERR_APPSTATE_VERSION);
	/* ... and the queued fetch went out. */
	CHECK_EQ_INT(f.niqs, 1);
	q = take_iq(&f, "regular", &col);
	answer(q, reply("regular", 3, 0, NULL, NULL));
	CHECK_EQ_INT(f.nsynced, 1);
	CHECK_EQ_INT(f.synced_version, 3);
	/* A full sync drops the state and asks for a snapshot. */
	REQUIRE(wa_appstate_fetch(as, (const char *[]){ "regular" }, 1, 1) == 0);
	q = take_iq(&f, "regular", &col);
	CHECK_EQ_STR(wa_node_attr(col, "return_snapshot"), "true");
	answer(q, reply("regular", 0, 0, NULL, NULL));
	CHECK_EQ_INT(f.synced_version, 0);
	wa_appstate_free(as);
	fake_free(&f);
	wa_store_mem_free(m);
}

TEST(test_appstate_fetch_free_with_work_pending)
{
	struct fake f;
	struct wa_store_mem *m;
	struct wa_appstate *as = new_as(&f, &m, 1);
	struct fake_iq q;
	const struct wa_node *col;
	uint8_t *ref;
	size_t rlen;

	REQUIRE(wa_appstate_fetch(as, (const char *[]){ CUL, "regular" }, 2,
	    0) == 0);
	q = take_iq(&f, CUL, &col);
	ref = external(&f, "/v/snap", (const uint8_t *)"x", 1, &rlen);
	answer(q, reply(CUL, 1, 0, bytes_node("snapshot", ref, rlen), NULL));
	CHECK_EQ_INT(f.ndls, 1);
	/* Freed with a download and an iq outstanding: their callbacks come
	 * later and must only free the orphaned jobs (ASan watches). */
	wa_appstate_free(as);
	REQUIRE(serve_download(&f) == 0);
	q = take_iq(&f, "regular", &col);
	REQUIRE(q.iq != NULL);
	q.cb(q.arg, NULL, WA_ERR_NOT_CONNECTED);
	wa_node_free(q.iq);
	CHECK_EQ_INT(f.nerr, 0);
	CHECK_EQ_INT(f.nsynced, 0);
	free(ref);
	fake_free(&f);
	wa_store_mem_free(m);
}

TEST_MAIN()
