/*
 * login.c: linking a new device on a live connection: the QR refs of
 * <pair-device> and their rotation and timeout, <pair-success> (checked by
 * pair.c, stored, answered with <pair-device-sign>), and the phone-number
 * pairing code (link_code_companion_reg: companion_hello, the phone's
 * notification, companion_finish; the code and key wrapping are in
 * paircode.c).  After pair-success the server restarts the stream (515)
 * and conn.c logs in with the stored session.
 *
 * Does not: own the connection (conn.c) or verify signatures (pair.c).
 * Runs inside conn.c's frame feed: errors go through wa__fail_transport /
 * wa__request_disconnect, never by tearing the connection down directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/cry.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/conn_int.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/node.h"
#include "waweb/pair.h"

static void
clear_refs(struct wa_client *c)
{
	size_t i;

	for (i = 0; i < c->nrefs; i++)
		free(c->refs[i]);
	c->nrefs = c->ref_idx = 0;
}

void
wa__pairing_reset(struct wa_client *c)
{
	u_timer_stop(c->t_qr);
	clear_refs(c);
	c->pc_sent = 0;
	free(c->pc_ref);
	c->pc_ref = NULL;
	c->pc_ref_len = 0;
	cry_keypair_wipe(&c->pc_eph);
}

/* --- QR pairing ------------------------------------------------------- */

static void
qr_show(struct wa_client *c)
{
	char *qr;

	if (c->ref_idx >= c->nrefs) {
		struct wa__disconnect d = {
			.next = WA_STATE_PAIR_TIMEOUT,
			.reason = "no phone scanned the QR code in time",
		};
		wa__request_disconnect(c, &d);
		return;
	}
	if (c->pair_phone == NULL) {
		qr = wa__qr_string((const uint8_t *)c->refs[c->ref_idx],
		    strlen(c->refs[c->ref_idx]), &c->dev,
		    wa__qr_platform_id(c->browser_name));
		if (qr != NULL && c->cbs.on_qr != NULL)
			c->cbs.on_qr(c->cbarg, qr);
		free(qr);
	}
	u_timer_start(c->t_qr, c->ref_idx == 0 ? c->qr_first_ms : c->qr_next_ms, 0);
	c->ref_idx++;
}

void
wa__qr_fire(void *arg)
{
	qr_show(arg);
}

static void pair_code_hello(struct wa_client *c);

void
wa__handle_pair_device(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *pd)
{
	const struct wa_node *ref;
	size_t i;

	wa__ack_iq(c, iq);
	clear_refs(c);
	for (i = 0; (ref = wa_node_child_at(pd, i)) != NULL; i++) {
		if (strcmp(ref->tag, "ref") != 0 || c->nrefs >= CONN_QR_REFS_MAX)
			continue;
		if ((ref->kind != WA_CONTENT_BYTES && ref->kind != WA_CONTENT_STRING) ||
		    ref->len == 0 || ref->len > WA_QR_REF_MAX ||
		    memchr(ref->bytes, 0, ref->len) != NULL) {
			logp_warnx(c->prefix, "pair-device: unusable ref ignored");
			continue;
		}
		c->refs[c->nrefs++] = u_strndup((const char *)ref->bytes, ref->len);
	}
	if (c->nrefs == 0) {
		logp_warnx(c->prefix, "pair-device without refs");
		wa__fail_transport(c, "pair-device without refs");
		return;
	}
	logp_info(c->prefix, "got %zu QR refs", c->nrefs);
	qr_show(c);
	if (c->pair_phone != NULL && !c->pc_sent)
		pair_code_hello(c);
}

static void
send_pair_error(struct wa_client *c, const char *id, int err)
{
	struct wa_node *iq = wa_node_new("iq"), *e = wa_node_new("error");
	const char *text;
	unsigned code;
	char buf[16];

	wa__pair_error_reply(err, &code, &text);
	wa__set_server_to(iq);
	wa_node_set_attr(iq, "type", "error");
	wa_node_set_attr(iq, "id", id);
	snprintf(buf, sizeof(buf), "%u", code);
	wa_node_set_attr(e, "code", buf);
	wa_node_set_attr(e, "text", text);
	wa_node_add_child(iq, e);
	wa__send_node(c, iq);
	wa_node_free(iq);
}

char *
wa__attr_jid_string(const struct wa_node *n, const char *key)
{
	char buf[WA_JID_STR_MAX];
	struct wa_jid j;
	const char *s;

	if (n == NULL)
		return NULL;
	if (wa_node_attr_jid(n, key, &j) == 0)
		return u_strdup(wa_jid_format(&j, buf, sizeof(buf)));
	if ((s = wa_node_attr(n, key)) != NULL && wa_jid_parse(s, &j) == 0)
		return u_strdup(wa_jid_format(&j, buf, sizeof(buf)));
	return NULL;
}

/*
 * What whatsmeow records at pairing besides the device: the phone's
 * identity key as the Signal identity of our LID's device 0, and the
 * LID <-> phone number mapping.  Optional store slots; failures are
 * logged, the pairing stands (the identity is also in adv_account_sig_key).
 */
static void
record_phone_identity(struct wa_client *c, const struct wa_jid *pn,
    const uint8_t key[WA_KEY_LEN])
{
	char addr[WA_JID_STR_MAX + 16];
	struct wa_jid lid;

	if (c->dev.lid == NULL || wa_jid_parse(c->dev.lid, &lid) != 0 ||
	    !wa_jid_is_lid(&lid))
		return;
	lid.device = 0;
	if (c->ops->identity_put != NULL &&
	    wa_jid_signal_address(&lid, addr, sizeof(addr)) != NULL)
		c->ops->identity_put(c->sarg, c->dev.jid, addr, key);
	if (c->ops->lid_map_put != NULL)
		c->ops->lid_map_put(c->sarg, lid.user, pn->user);
}

void
wa__handle_pair_success(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *ps)
{
	const struct wa_node *di = wa_node_child(ps, "device-identity");
	const struct wa_node *dn = wa_node_child(ps, "device");
	const struct wa_node *pl = wa_node_child(ps, "platform");
	const struct wa_node *biz = wa_node_child(ps, "biz");
	const char *id = wa_node_attr(iq, "id");
	struct wa__pair_result res;
	struct wa_node *reply, *sign, *dev_id;
	struct wa_jid j;
	char *jid = NULL, *lid = NULL, ki[16];
	int r;

	if (id == NULL)
		return;
	if (di == NULL || di->kind != WA_CONTENT_BYTES) {
		logp_warnx(c->prefix, "pair-success without a device identity");
		send_pair_error(c, id, WA_ERR_PAIR_MALFORMED);
		wa__fail_transport(c, "bad pair-success");
		return;
	}
	jid = wa__attr_jid_string(dn, "jid");
	lid = wa__attr_jid_string(dn, "lid");
	if (jid == NULL || wa_jid_parse(jid, &j) != 0 || !wa_jid_is_pn(&j)) {
		logp_warnx(c->prefix, "pair-success without a usable device JID");
		send_pair_error(c, id, WA_ERR_PAIR_MALFORMED);
		wa__fail_transport(c, "bad pair-success");
		goto out;
	}
	if ((r = wa__pair_verify(&c->dev, di->bytes, di->len, &res)) != 0) {
		logp_warnx(c->prefix, "refusing pair-success: %s", u_strerror(r));
		send_pair_error(c, id, r);
		wa__fail_transport(c, "pairing verification failed");
		goto out;
	}
	free(c->dev.jid);
	c->dev.jid = jid;
	jid = NULL;
	free(c->dev.lid);
	c->dev.lid = lid;
	lid = NULL;
	free(c->dev.adv_details);
	c->dev.adv_details = res.adv_details;
	c->dev.adv_details_len = res.adv_details_len;
	res.adv_details = NULL;
	memcpy(c->dev.adv_account_sig, res.account_sig, WA_SIG_LEN);
	memcpy(c->dev.adv_account_sig_key, res.account_sig_key, WA_KEY_LEN);
	memcpy(c->dev.adv_device_sig, res.device_sig, WA_SIG_LEN);
	free(c->dev.platform);
	c->dev.platform = u_strdup(pl != NULL && wa_node_attr(pl, "name") ?
	    wa_node_attr(pl, "name") : "");
	free(c->dev.business_name);
	c->dev.business_name = u_strdup(biz != NULL && wa_node_attr(biz, "name") ?
	    wa_node_attr(biz, "name") : "");
	if ((r = c->ops->device_save(c->sarg, &c->dev)) != 0) {
		logp_warnx(c->prefix, "cannot save the new session: %s",
		    u_strerror(r));
		send_pair_error(c, id, WA_ERR_INTERNAL);
		wa__pair_result_clear(&res);
		/* Start over with the same keys; the phone will fail too. */
		free(c->dev.jid);
		c->dev.jid = NULL;
		wa__fail_transport(c, "cannot save the session");
		goto out;
	}
	record_phone_identity(c, &j, res.account_sig_key);
	reply = wa_node_new("iq");
	wa__set_server_to(reply);
	wa_node_set_attr(reply, "type", "result");
	wa_node_set_attr(reply, "id", id);
	sign = wa_node_new("pair-device-sign");
	dev_id = wa_node_new("device-identity");
	snprintf(ki, sizeof(ki), "%u", res.key_index);
	wa_node_set_attr(dev_id, "key-index", ki);
	wa_node_set_bytes(dev_id, res.reply, res.reply_len);
	wa_node_add_child(sign, dev_id);
	wa_node_add_child(reply, sign);
	wa__send_node(c, reply);
	wa_node_free(reply);
	wa__pair_result_clear(&res);
	u_timer_stop(c->t_qr);
	{
		/* Only the phone number is personal: hide its middle. */
		char red[WA_JID_STR_MAX * 2];
		u_log_redact(j.user, red, sizeof(red));
		logp_info(c->prefix, "paired as %s:%u@%s; waiting for the restart",
		    red, j.device, j.server);
	}
	if (c->cbs.on_paired != NULL)
		c->cbs.on_paired(c->cbarg, c->dev.jid, c->dev.lid ? c->dev.lid : "",
		    c->dev.platform);
out:
	free(jid);
	free(lid);
}

/* --- Pairing code ----------------------------------------------------- */

static void
pair_code_hello_reply(void *arg, const struct wa_node *res, int err)
{
	struct wa_client *c = arg;
	const struct wa_node *reg, *ref;
	char shown[WA_PAIRCODE_LEN + 2];

	if (res == NULL || strcmp(wa_node_attr(res, "type") ? wa_node_attr(res,
	    "type") : "", "result") != 0) {
		logp_warnx(c->prefix, "the server refused the pairing code request");
		if (res != NULL)
			wa__fail_transport(c, "pairing code refused");
		return;
	}
	reg = wa_node_child(res, "link_code_companion_reg");
	ref = reg != NULL ? wa_node_child(reg, "link_code_pairing_ref") : NULL;
	if (ref == NULL || (ref->kind != WA_CONTENT_BYTES &&
	    ref->kind != WA_CONTENT_STRING) || ref->len == 0 || ref->len > 1024) {
		logp_warnx(c->prefix, "pairing code reply without a ref");
		wa__fail_transport(c, "bad pairing code reply");
		return;
	}
	free(c->pc_ref);
	c->pc_ref = u_memdup(ref->bytes, ref->len);
	c->pc_ref_len = ref->len;
	memcpy(shown, c->pc_code, 4);
	shown[4] = '-';
	memcpy(shown + 5, c->pc_code + 4, 4);
	shown[9] = '\0';
	if (c->cbs.on_pair_code != NULL)
		c->cbs.on_pair_code(c->cbarg, shown);
}

static struct wa_node *
bytes_node(const char *tag, const void *p, size_t n)
{
	struct wa_node *x = wa_node_new(tag);

	wa_node_set_bytes(x, p, n);
	return x;
}

static void
pair_code_hello(struct wa_client *c)
{
	uint8_t rnd[5], salt[32], iv[16], wrapped[WA_PAIRCODE_WRAPPED_LEN], zero = 0;
	struct wa_node *reg, *x;
	struct wa_jid j;
	char digits[32];
	size_t i, k = 0;

	for (i = 0; c->pair_phone[i] != '\0' && k < sizeof(digits) - 1; i++)
		if (c->pair_phone[i] >= '0' && c->pair_phone[i] <= '9')
			digits[k++] = c->pair_phone[i];
	digits[k] = '\0';
	if (k <= 6 || digits[0] == '0' ||
	    wa_jid_make(&j, digits, WA_SERVER_USER, 0) != 0) {
		logp_warnx(c->prefix, "the phone number must be international, "
		    "e.g. +33612345678");
		struct wa__disconnect d = { .next = WA_STATE_PAIR_TIMEOUT,
		    .reason = "invalid phone number for the pairing code" };
		wa__request_disconnect(c, &d);
		return;
	}
	wa_jid_format(&j, c->pc_jid, sizeof(c->pc_jid));
	cry_random(rnd, sizeof(rnd));
	wa__paircode_encode(rnd, c->pc_code);
	cry_keypair_generate(&c->pc_eph);
	cry_random(salt, sizeof(salt));
	cry_random(iv, sizeof(iv));
	if (wa__paircode_wrap(c->pc_code, salt, iv, c->pc_eph.pub, wrapped) != 0) {
		wa__fail_transport(c, "pairing code crypto failed");
		return;
	}
	c->pc_sent = 1;
	reg = wa_node_new("link_code_companion_reg");
	wa_node_set_attr_jid(reg, "jid", &j);
	wa_node_set_attr(reg, "stage", "companion_hello");
	wa_node_set_attr(reg, "should_show_push_notification", "true");
	wa_node_add_child(reg, bytes_node(
	    "link_code_pairing_wrapped_companion_ephemeral_pub", wrapped,
	    sizeof(wrapped)));
	wa_node_add_child(reg, bytes_node("companion_server_auth_key_pub",
	    c->dev.noise.pub, WA_KEY_LEN));
	/* As mautrix-whatsapp does: the server checks "Browser (OS)". */
	x = wa_node_new("companion_platform_id");
	wa_node_set_string(x, "1");
	wa_node_add_child(reg, x);
	x = wa_node_new("companion_platform_display");
	wa_node_set_string(x, "Chrome (Linux)");
	wa_node_add_child(reg, x);
	wa_node_add_child(reg, bytes_node("link_code_pairing_nonce", &zero, 1));
	wa_client_send_iq(c, wa__new_iq("md", "set", reg), 0, pair_code_hello_reply, c);
}

static const struct wa_node *
bytes_child(const struct wa_node *n, const char *tag, size_t min, size_t max)
{
	const struct wa_node *x = wa_node_child(n, tag);

	if (x == NULL || x->kind != WA_CONTENT_BYTES || x->len < min ||
	    x->len > max)
		return NULL;
	return x;
}

void
wa__handle_pair_code_notification(struct wa_client *c, const struct wa_node *reg)
{
	const struct wa_node *ref, *wpub, *ppub;
	uint8_t peph[32], shared[32], idshared[32], advrand[32], bsalt[32];
	uint8_t nonce[12], bkey[32], bundle[96], wrapped_bundle[32 + 12 + 96 + 16];
	uint8_t advin[96];
	struct wa_node *fin;
	struct wa_jid j;
	int r;

	if (c->pc_ref == NULL) {
		logp_warnx(c->prefix, "pairing code notification without a request");
		return;
	}
	ref = wa_node_child(reg, "link_code_pairing_ref");
	wpub = bytes_child(reg, "link_code_pairing_wrapped_primary_ephemeral_pub",
	    WA_PAIRCODE_WRAPPED_LEN, 1024);
	ppub = bytes_child(reg, "primary_identity_pub", 32, 32);
	if (ref == NULL || ref->len != c->pc_ref_len ||
	    memcmp(ref->bytes, c->pc_ref, c->pc_ref_len) != 0 || wpub == NULL ||
	    ppub == NULL) {
		logp_warnx(c->prefix, "malformed pairing code notification");
		return;
	}
	if ((r = wa__paircode_unwrap(c->pc_code, wpub->bytes, peph)) != 0 ||
	    (r = cry_dh(shared, c->pc_eph.priv, peph)) != 0 ||
	    (r = cry_dh(idshared, c->dev.identity.priv, ppub->bytes)) != 0) {
		logp_warnx(c->prefix, "pairing code: key agreement failed: %s",
		    u_strerror(r));
		wa__fail_transport(c, "pairing code failed");
		return;
	}
	cry_random(advrand, sizeof(advrand));
	cry_random(bsalt, sizeof(bsalt));
	cry_random(nonce, sizeof(nonce));
	memcpy(bundle, c->dev.identity.pub, 32);
	memcpy(bundle + 32, ppub->bytes, 32);
	memcpy(bundle + 64, advrand, 32);
	memcpy(wrapped_bundle, bsalt, 32);
	memcpy(wrapped_bundle + 32, nonce, 12);
	memcpy(advin, shared, 32);
	memcpy(advin + 32, idshared, 32);
	memcpy(advin + 64, advrand, 32);
	if ((r = cry_hkdf_sha256(bsalt, 32, shared, 32,
	    "link_code_pairing_key_bundle_encryption_key", 43, bkey, 32)) != 0 ||
	    (r = cry_aes_gcm_encrypt(bkey, nonce, NULL, 0, bundle, sizeof(bundle),
	    wrapped_bundle + 44)) != 0 ||
	    (r = cry_hkdf_sha256(NULL, 0, advin, sizeof(advin), "adv_secret", 10,
	    c->dev.adv_secret, 32)) != 0) {
		logp_warnx(c->prefix, "pairing code: %s", u_strerror(r));
		wa__fail_transport(c, "pairing code failed");
		goto out;
	}
	fin = wa_node_new("link_code_companion_reg");
	if (wa_jid_parse(c->pc_jid, &j) == 0)
		wa_node_set_attr_jid(fin, "jid", &j);
	wa_node_set_attr(fin, "stage", "companion_finish");
	wa_node_add_child(fin, bytes_node("link_code_pairing_wrapped_key_bundle",
	    wrapped_bundle, sizeof(wrapped_bundle)));
	wa_node_add_child(fin, bytes_node("companion_identity_public",
	    c->dev.identity.pub, 32));
	wa_node_add_child(fin, bytes_node("link_code_pairing_ref", c->pc_ref,
	    c->pc_ref_len));
	wa_client_send_iq(c, wa__new_iq("md", "set", fin), 0, NULL, NULL);
	logp_info(c->prefix, "pairing code accepted on the phone; finishing");
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(idshared, sizeof(idshared));
	sodium_memzero(bkey, sizeof(bkey));
	sodium_memzero(advin, sizeof(advin));
	sodium_memzero(bundle, sizeof(bundle));
}
