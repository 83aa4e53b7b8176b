/*
 * prekeys.c: one-time prekeys on the server (namespace "encrypt").
 *
 * After <success>: <iq xmlns=encrypt type=get><count/></iq>; if the server
 * or our store holds fewer than WA_PREKEY_MIN uploaded keys, upload a batch
 * (WA_PREKEY_INITIAL when both are empty, else WA_PREKEY_BATCH), like
 * whatsmeow's prekeys.go.  A server notification <count value=N/> with
 * N < WA_PREKEY_MIN triggers the same top-up.
 *
 * Keys are created here, stored not-uploaded first, and marked uploaded
 * once the server acknowledges, so a lost reply only means they are sent
 * again next time (ids stay unique: they only grow).
 *
 * Upload stanza children, in order: registration (4 bytes BE), type (0x05),
 * identity (32), list of <key><id>3 bytes BE</id><value>32</value></key>,
 * <skey><id/><value/><signature/></skey>.
 */
#include <string.h>

#include <sodium.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/conn_int.h"
#include "waweb/errors.h"
#include "waweb/node.h"

struct pk_ctx {
	struct wa_client	*c;
	wa__done_fn		 done;
	void			*arg;
	uint32_t		 last_id;
	int			 initial;
};

static void
finish(struct pk_ctx *x, int err)
{
	if (x->done != NULL)
		x->done(x->arg, err);
	free(x);
}

static struct wa_node *
bytes_node(const char *tag, const void *p, size_t n)
{
	struct wa_node *x = wa_node_new(tag);

	wa_node_set_bytes(x, p, n);
	return x;
}

static void
id3(uint8_t out[3], uint32_t id)
{
	out[0] = (uint8_t)(id >> 16);
	out[1] = (uint8_t)(id >> 8);
	out[2] = (uint8_t)id;
}

struct wa_node *
wa__prekeys_upload_node(const struct wa_device *dev, const uint32_t *ids,
    const uint8_t (*pubs)[WA_KEY_LEN], unsigned n)
{
	struct wa_node *list = wa_node_new("list"), *k, *sk;
	struct wa_node *iq = wa__new_iq("encrypt", "set", NULL);
	uint8_t reg[4], id[3], type = 0x05;
	unsigned i;

	reg[0] = (uint8_t)(dev->registration_id >> 24);
	reg[1] = (uint8_t)(dev->registration_id >> 16);
	reg[2] = (uint8_t)(dev->registration_id >> 8);
	reg[3] = (uint8_t)dev->registration_id;
	wa_node_add_child(iq, bytes_node("registration", reg, 4));
	wa_node_add_child(iq, bytes_node("type", &type, 1));
	wa_node_add_child(iq, bytes_node("identity", dev->identity.pub, WA_KEY_LEN));
	for (i = 0; i < n; i++) {
		k = wa_node_new("key");
		id3(id, ids[i]);
		wa_node_add_child(k, bytes_node("id", id, 3));
		wa_node_add_child(k, bytes_node("value", pubs[i], WA_KEY_LEN));
		wa_node_add_child(list, k);
	}
	wa_node_add_child(iq, list);
	sk = wa_node_new("skey");
	id3(id, dev->signed_prekey_id);
	wa_node_add_child(sk, bytes_node("id", id, 3));
	wa_node_add_child(sk, bytes_node("value", dev->signed_prekey.pub, WA_KEY_LEN));
	wa_node_add_child(sk, bytes_node("signature", dev->signed_prekey_sig,
	    WA_SIG_LEN));
	wa_node_add_child(iq, sk);
	return iq;
}

static void
upload_reply(void *arg, const struct wa_node *res, int err)
{
	struct pk_ctx *x = arg;
	const struct wa_store_ops *ops;
	struct wa_device *dev;
	void *sarg;
	int r;

	if (res == NULL || err != 0) {
		finish(x, err != 0 ? err : WA_ERR_TIMEOUT);
		return;
	}
	dev = wa__client_dev(x->c);
	ops = wa__client_store(x->c, &sarg);
	if (dev->jid != NULL &&
	    (r = ops->prekeys_mark_uploaded(sarg, dev->jid, x->last_id)) != 0) {
		finish(x, r);
		return;
	}
	logp_debug(wa__client_prefix(x->c), "prekeys up to %u uploaded",
	    x->last_id);
	finish(x, 0);
}

void
wa__prekeys_upload(struct wa_client *c, int initial, wa__done_fn done,
    void *arg)
{
	struct pk_ctx *x = u_calloc(1, sizeof(*x));
	struct wa_device *dev = wa__client_dev(c);
	const struct wa_store_ops *ops;
	unsigned want = initial ? WA_PREKEY_INITIAL : WA_PREKEY_BATCH, n = 0, i;
	uint32_t *ids = u_calloc(want, sizeof(*ids)), max = 0;
	uint8_t (*privs)[WA_KEY_LEN] = u_calloc(want, WA_KEY_LEN);
	uint8_t (*pubs)[WA_KEY_LEN] = u_calloc(want, WA_KEY_LEN);
	struct cry_keypair kp;
	void *sarg;
	int r;

	x->c = c;
	x->done = done;
	x->arg = arg;
	x->initial = initial;
	ops = wa__client_store(c, &sarg);
	if (dev->jid == NULL) {
		r = WA_ERR_NOT_CONNECTED;
		goto fail;
	}
	if ((r = ops->prekeys_pending(sarg, dev->jid, want, ids, privs, &n)) != 0)
		goto fail;
	if (n < want) {
		if ((r = ops->prekey_max_id(sarg, dev->jid, &max)) != 0)
			goto fail;
		if (max + (want - n) > WA_PREKEY_ID_MAX) {
			/* 16 million keys: never in practice; refuse rather
			 * than reuse an id the server may still hold. */
			r = WA_ERR_TOO_BIG;
			goto fail;
		}
		for (i = 0; n < want; i++, n++) {
			cry_keypair_generate(&kp);
			if ((r = ops->prekey_put(sarg, dev->jid, max + 1 + i, kp.priv,
			    0)) != 0) {
				cry_keypair_wipe(&kp);
				goto fail;
			}
			ids[n] = max + 1 + i;
			memcpy(privs[n], kp.priv, WA_KEY_LEN);
		}
		cry_keypair_wipe(&kp);
	}
	for (i = 0; i < n; i++)
		if ((r = cry_public_from_private(pubs[i], privs[i])) != 0)
			goto fail;
	x->last_id = ids[n - 1];
	logp_info(wa__client_prefix(c), "uploading %u prekeys", n);
	r = wa_client_send_iq(c, wa__prekeys_upload_node(dev, ids,
	    (const uint8_t (*)[WA_KEY_LEN])pubs, n), 30000, upload_reply, x);
	if (r != 0) {
		logp_warnx(wa__client_prefix(c), "cannot send prekeys: %s",
		    u_strerror(r));
		goto fail;
	}
	x = NULL;	/* upload_reply owns it now */
fail:
	if (x != NULL)
		finish(x, r);
	sodium_memzero(privs, (size_t)want * WA_KEY_LEN);
	free(privs);
	free(pubs);
	free(ids);
}

static void
count_reply(void *arg, const struct wa_node *res, int err)
{
	struct pk_ctx *x = arg;
	struct wa_client *c = x->c;
	const struct wa_node *cnt = res != NULL ? wa_node_child(res, "count") : NULL;
	struct wa_device *dev = wa__client_dev(c);
	const struct wa_store_ops *ops;
	wa__done_fn done = x->done;
	void *sarg, *darg = x->arg;
	unsigned dbn = 0;
	uint64_t v;
	int r;

	if (res == NULL || err != 0 || cnt == NULL ||
	    wa_node_attr_u64(cnt, "value", &v) != 0) {
		finish(x, err == WA_ERR_NOT_CONNECTED ? err : WA_ERR_IQ);
		return;
	}
	ops = wa__client_store(c, &sarg);
	if (dev->jid == NULL ||
	    (r = ops->prekeys_count_uploaded(sarg, dev->jid, &dbn)) != 0) {
		finish(x, WA_ERR_INTERNAL);
		return;
	}
	logp_debug(wa__client_prefix(c), "prekeys: server %llu, store %u",
	    (unsigned long long)v, dbn);
	free(x);
	if (v < WA_PREKEY_MIN || dbn < WA_PREKEY_MIN) {
		wa__prekeys_upload(c, v == 0 && dbn == 0, done, darg);
		return;
	}
	if (done != NULL)
		done(darg, 0);
}

void
wa__prekeys_check(struct wa_client *c, wa__done_fn done, void *arg)
{
	struct pk_ctx *x = u_calloc(1, sizeof(*x));
	int r;

	x->c = c;
	x->done = done;
	x->arg = arg;
	r = wa_client_send_iq(c, wa__new_iq("encrypt", "get", wa_node_new("count")),
	    0, count_reply, x);
	if (r != 0)
		finish(x, r);
}
