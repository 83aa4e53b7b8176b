/*
 * pair.c: pairing a registering client with a simulated phone
 * (wa-protocol.md §4).
 *
 * QR: after a registration handshake we send <pair-device> with
 * SIM_QR_REFS refs.  The client shows ref 1 for qr_first_ms and each later
 * ref for qr_next_ms; a ref is accepted by a scan only inside its window.
 * The admin API hands us the QR text; the phone checks that the noise and
 * identity keys in it are the ones this connection registered with, then
 * sends <pair-success>: an ADVDeviceIdentity (raw id, timestamp, key index)
 * signed by the phone's account key over 06 00 || details || companion
 * identity, wrapped with accountSignatureKey and HMAC'd with the ADV secret
 * from the QR.  The client answers <pair-device-sign>; we verify its device
 * signature (06 01 || details || identity || account key), register the
 * device and end the stream with 515 so it logs in with its new
 * credentials.
 *
 * Pairing code: the client's companion_hello carries its ephemeral key
 * wrapped under the code; the admin "enter code" step unwraps it, sends
 * the phone's wrapped ephemeral and identity in a link_code_companion_reg
 * notification; the client's companion_finish carries the key bundle, from
 * which the phone derives the same ADV secret, and pairing continues with
 * pair-success as above.
 *
 * Does not: own any connection state besides the pairing fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/adv.pb-c.h"
#include "test/wasim/wasim.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "waweb/conn_int.h"
#include "waweb/errors.h"

#define QR_PREFIX "https://wa.me/settings/linked_devices#"
/* Longest QR text we look at; real ones are ~200 characters. */
#define QR_MAX 1024
/* A scan a little after the window closed still counts (clock skew). */
#define REF_GRACE_MS 1000

static const uint8_t ADV_ACCOUNT_PREFIX[2] = { 0x06, 0x00 };
static const uint8_t ADV_DEVICE_PREFIX[2] = { 0x06, 0x01 };

static void
server_jid(struct wa_jid *j)
{
	if (wa_jid_make(j, NULL, WA_SERVER_USER, 0) != 0)
		abort();
}

static void
pair_timeout(void *arg)
{
	struct sim_conn *c = arg;

	if (c->state != SIM_CONN_PAIRING || c->close_after_flush)
		return;
	logp_info(c->prefix, "no QR scanned before the refs expired: closing");
	c->close_after_flush = true;
	c->close_now = true;
	sim_conn_set_state(c, SIM_CONN_CLOSING);
	sim_server_want_write(c);
}

void
sim_pair_start(struct sim_conn *c)
{
	struct wa_node *iq, *pd, *ref;
	struct wa_jid server;
	uint8_t rnd[30];
	char b64[SIM_REF_LEN - 2];
	char id[32];
	int i;

	iq = wa_node_new("iq");
	server_jid(&server);
	wa_node_set_attr_jid(iq, "from", &server);
	wa_node_set_attr(iq, "type", "set");
	sim_next_id(c->sim, id, sizeof(id));
	wa_node_set_attr(iq, "id", id);
	wa_node_set_attr(iq, "xmlns", "md");
	pd = wa_node_new("pair-device");
	for (i = 0; i < SIM_QR_REFS; i++) {
		/* Real refs look like "2@<base64>"; clients treat them as
		 * opaque printable text. */
		cry_random(rnd, sizeof(rnd));
		sodium_bin2base64(b64, sizeof(b64), rnd, sizeof(rnd),
		    sodium_base64_VARIANT_ORIGINAL);
		snprintf(c->refs[i], sizeof(c->refs[i]), "2@%s", b64);
		ref = wa_node_new("ref");
		wa_node_set_bytes(ref, c->refs[i], strlen(c->refs[i]));
		wa_node_add_child(pd, ref);
	}
	wa_node_add_child(iq, pd);
	c->refs_issued_ms = u_loop_now(c->sim->loop);
	sim_conn_set_state(c, SIM_CONN_PAIRING);
	/* Nobody scanned any ref in time: the real server hangs up too. */
	c->pair_timer = u_timer_new(c->sim->loop, pair_timeout, c);
	u_timer_start(c->pair_timer, c->sim->opts.qr_first_ms +
	    (SIM_QR_REFS - 1) * c->sim->opts.qr_next_ms + REF_GRACE_MS +
	    SIM_PAIR_SLACK_MS, 0);
	logp_info(c->prefix, "registration: sent pair-device with %d refs",
	    SIM_QR_REFS);
	sim_conn_send(c, iq);
	wa_node_free(iq);
}

/* Whether ref number i of c is still within its display window. */
static bool
ref_valid(const struct sim_conn *c, int i, uint64_t now)
{
	const struct sim_opts *o = &c->sim->opts;
	uint64_t end = o->qr_first_ms + (uint64_t)i * o->qr_next_ms;

	return now <= c->refs_issued_ms + end + REF_GRACE_MS;
}

static int
b64_key(const char *s, size_t len, uint8_t out[32])
{
	size_t n = 0;
	uint8_t tmp[64];

	if (sodium_base642bin(tmp, sizeof(tmp), s, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32)
		return U_ERR_INVALID;
	memcpy(out, tmp, 32);
	return 0;
}

static struct wa_node *
bytes_node(const char *tag, const void *p, size_t n)
{
	struct wa_node *x = wa_node_new(tag);

	wa_node_set_bytes(x, p, n);
	return x;
}

/*
 * Sign and send pair-success for account a to c (whose ADV secret and
 * registration are known).
 */
static int
send_pair_success(struct sim_conn *c, struct sim_account *a)
{
	Wa__ADVDeviceIdentity di = WA__ADVDEVICE_IDENTITY__INIT;
	Wa__ADVSignedDeviceIdentity sdi = WA__ADVSIGNED_DEVICE_IDENTITY__INIT;
	Wa__ADVSignedDeviceIdentityHMAC hm =
	    WA__ADVSIGNED_DEVICE_IDENTITY_HMAC__INIT;
	uint8_t *details = NULL, *signed_b = NULL, *hmac_b = NULL, *msg = NULL;
	size_t dlen, slen, hlen, mlen;
	uint8_t sig[CRY_SIG_LEN], mac[CRY_SHA256_LEN];
	struct wa_node *iq = NULL, *ps, *dev, *x;
	struct wa_jid server, pn, lid;
	char id[32];
	int r = WA_ERR_INTERNAL;

	if (a->ndevices >= SIM_MAX_DEVICES) {
		logp_warnx(c->prefix, "account %s has no room for devices",
		    a->phone);
		return U_ERR_TOO_BIG;
	}
	c->pair_account = a;
	c->pair_device = a->next_device++;
	c->pair_key_index = a->next_key_index++;

	di.has_raw_id = 1;
	di.raw_id = a->raw_id;
	di.has_timestamp = 1;
	di.timestamp = (uint64_t)sim_now();
	/* Always present: Baileys calls keyIndex.toString(). */
	di.has_key_index = 1;
	di.key_index = c->pair_key_index;
	dlen = wa__advdevice_identity__get_packed_size(&di);
	details = u_malloc(dlen + 1);
	wa__advdevice_identity__pack(&di, details);

	mlen = 2 + dlen + CRY_KEY_LEN;
	msg = u_malloc(mlen);
	memcpy(msg, ADV_ACCOUNT_PREFIX, 2);
	memcpy(msg + 2, details, dlen);
	memcpy(msg + 2 + dlen, c->reg.identity_pub, CRY_KEY_LEN);
	if ((r = cry_xeddsa_sign(sig, a->identity.priv, msg, mlen)) != 0)
		goto out;

	sdi.has_details = 1;
	sdi.details.data = details;
	sdi.details.len = dlen;
	sdi.has_account_signature_key = 1;
	sdi.account_signature_key.data = a->identity.pub;
	sdi.account_signature_key.len = CRY_KEY_LEN;
	sdi.has_account_signature = 1;
	sdi.account_signature.data = sig;
	sdi.account_signature.len = CRY_SIG_LEN;
	slen = wa__advsigned_device_identity__get_packed_size(&sdi);
	signed_b = u_malloc(slen + 1);
	wa__advsigned_device_identity__pack(&sdi, signed_b);

	cry_hmac_sha256(c->adv_secret, sizeof(c->adv_secret), signed_b, slen,
	    mac);
	hm.has_details = 1;
	hm.details.data = signed_b;
	hm.details.len = slen;
	hm.has_hmac = 1;
	hm.hmac.data = mac;
	hm.hmac.len = sizeof(mac);
	hlen = wa__advsigned_device_identity_hmac__get_packed_size(&hm);
	hmac_b = u_malloc(hlen + 1);
	wa__advsigned_device_identity_hmac__pack(&hm, hmac_b);

	server_jid(&server);
	if ((r = wa_jid_make(&pn, a->phone, WA_SERVER_USER,
	    c->pair_device)) != 0 ||
	    (r = wa_jid_make(&lid, a->lid, WA_SERVER_LID, c->pair_device)) != 0)
		goto out;
	iq = wa_node_new("iq");
	wa_node_set_attr_jid(iq, "from", &server);
	wa_node_set_attr(iq, "type", "set");
	sim_next_id(c->sim, id, sizeof(id));
	wa_node_set_attr(iq, "id", id);
	wa_node_set_attr(iq, "xmlns", "md");
	wa_node_set_attr_u64(iq, "t", (uint64_t)sim_now());
	ps = wa_node_new("pair-success");
	wa_node_add_child(ps, bytes_node("device-identity", hmac_b, hlen));
	dev = wa_node_new("device");
	wa_node_set_attr_jid(dev, "jid", &pn);
	wa_node_set_attr_jid(dev, "lid", &lid);
	wa_node_add_child(ps, dev);
	x = wa_node_new("platform");
	wa_node_set_attr(x, "name", a->platform);
	wa_node_add_child(ps, x);
	if (a->biz_name != NULL) {
		x = wa_node_new("biz");
		wa_node_set_attr(x, "name", a->biz_name);
		wa_node_add_child(ps, x);
	}
	wa_node_add_child(iq, ps);

	snprintf(c->pair_iq_id, sizeof(c->pair_iq_id), "%s", id);
	free(c->pair_details);
	c->pair_details = details;
	c->pair_details_len = dlen;
	details = NULL;
	sim_conn_set_state(c, SIM_CONN_PAIR_SENT);
	logp_info(c->prefix, "pair-success: account %s device %u key-index %u",
	    a->phone, c->pair_device, c->pair_key_index);
	r = sim_conn_send(c, iq);
out:
	wa_node_free(iq);
	free(details);
	free(signed_b);
	free(hmac_b);
	free(msg);
	sodium_memzero(sig, sizeof(sig));
	return r;
}

/*
 * Like the mock server Baileys' e2e suite was written against, a client
 * that registers with a push name gets a phone number derived from it, so
 * a test can pair the "same person" again: 1555 and 7 digits of
 * SHA-256(push name).
 */
static struct sim_account *
account_for_push_name(struct sim *s, const char *name)
{
	uint8_t h[CRY_SHA256_LEN];
	uint64_t v = 0;
	char phone[32];
	struct sim_account *a;
	int i;

	cry_sha256(name, strlen(name), h);
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	snprintf(phone, sizeof(phone), "1555%07llu",
	    (unsigned long long)(v % 10000000ULL));
	if ((a = sim_account_find(s, phone)) != NULL)
		return a;
	if ((a = sim_account_new(s, phone)) != NULL) {
		free(a->push_name);
		a->push_name = u_strdup(name);
	}
	return a;
}

int
sim_pair_scan(struct sim *s, const char *qr, struct sim_account *account,
    struct sim_conn **out_conn, const char **why)
{
	char buf[QR_MAX + 1];
	char *parts[6], *p, *save = NULL;
	size_t n = 0, len;
	uint8_t noise[32], ident[32], adv[32];
	struct sim_conn *c, *found = NULL;
	uint64_t now;
	int i, ri = -1, r;

	len = strlen(qr);
	if (len > QR_MAX) {
		*why = "QR text too long";
		return U_ERR_INVALID;
	}
	memcpy(buf, qr, len + 1);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' '))
		buf[--len] = '\0';
	p = buf;
	if (strncmp(p, QR_PREFIX, strlen(QR_PREFIX)) == 0)
		p += strlen(QR_PREFIX);
	for (char *t = strtok_r(p, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (n == 6)
			break;
		parts[n++] = t;
	}
	/* Four fields before 2026, five (platform id) since. */
	if (n != 4 && n != 5) {
		*why = "QR text must have 4 or 5 comma-separated fields";
		return U_ERR_INVALID;
	}
	if (b64_key(parts[1], strlen(parts[1]), noise) != 0 ||
	    b64_key(parts[2], strlen(parts[2]), ident) != 0 ||
	    b64_key(parts[3], strlen(parts[3]), adv) != 0) {
		*why = "QR keys are not base64 of 32 bytes";
		return U_ERR_INVALID;
	}
	now = u_loop_now(s->loop);
	for (c = s->conns; c != NULL && found == NULL; c = c->next) {
		if (c->dead || c->state != SIM_CONN_PAIRING)
			continue;
		for (i = 0; i < SIM_QR_REFS; i++)
			if (strcmp(c->refs[i], parts[0]) == 0) {
				found = c;
				ri = i;
				break;
			}
	}
	if (found == NULL) {
		*why = "no connection is waiting with that ref";
		return U_ERR_NOT_FOUND;
	}
	c = found;
	if (!ref_valid(c, ri, now)) {
		*why = "ref expired";
		return U_ERR_NOT_FOUND;
	}
	if (!cry_equal(noise, c->client_static, 32) ||
	    !cry_equal(ident, c->reg.identity_pub, 32)) {
		*why = "QR keys do not match the connection's registration";
		return U_ERR_EXISTS;
	}
	memcpy(c->adv_secret, adv, sizeof(adv));
	sodium_memzero(adv, sizeof(adv));
	if (account == NULL && c->reg.push_name[0] != '\0')
		account = account_for_push_name(s, c->reg.push_name);
	if (account == NULL)
		account = sim_account_new(s, NULL);
	if (account == NULL) {
		*why = "too many accounts";
		return U_ERR_TOO_BIG;
	}
	if ((r = send_pair_success(c, account)) != 0) {
		*why = "cannot build pair-success";
		return r;
	}
	*out_conn = c;
	return 0;
}

static void
pair_failed(struct sim_conn *c, const char *what)
{
	logp_warnx(c->prefix, "pairing failed: %s", what);
	sim_conn_stream_error(c, "401", NULL);
}

void
sim_pair_on_sign(struct sim_conn *c, const struct wa_node *iq)
{
	const char *type = wa_node_attr(iq, "type");
	struct wa_node *pds, *di;
	Wa__ADVSignedDeviceIdentity *sdi = NULL;
	struct sim_account *a = c->pair_account;
	struct sim_device *d;
	uint64_t ki;
	uint8_t *msg = NULL;
	size_t mlen;

	if (c->state != SIM_CONN_PAIR_SENT || a == NULL)
		return;
	c->pair_iq_id[0] = '\0';
	if (type == NULL || strcmp(type, "result") != 0) {
		struct wa_node *e = wa_node_child(iq, "error");
		const char *text = e ? wa_node_attr(e, "text") : NULL;

		logp_warnx(c->prefix, "client refused pair-success: %s",
		    text ? text : "(no text)");
		pair_failed(c, "client error");
		return;
	}
	pds = wa_node_child(iq, "pair-device-sign");
	di = pds ? wa_node_child(pds, "device-identity") : NULL;
	if (di == NULL || di->kind != WA_CONTENT_BYTES) {
		pair_failed(c, "no device-identity in pair-device-sign");
		return;
	}
	if (wa_node_attr_u64(di, "key-index", &ki) != 0 ||
	    ki != c->pair_key_index) {
		pair_failed(c, "wrong key-index");
		return;
	}
	sdi = wa__advsigned_device_identity__unpack(NULL, di->len, di->bytes);
	if (sdi == NULL || !sdi->has_details || !sdi->has_device_signature ||
	    sdi->device_signature.len != CRY_SIG_LEN ||
	    sdi->details.len != c->pair_details_len ||
	    memcmp(sdi->details.data, c->pair_details,
	    c->pair_details_len) != 0) {
		pair_failed(c, "device identity does not match what we signed");
		goto out;
	}
	mlen = 2 + sdi->details.len + 2 * CRY_KEY_LEN;
	msg = u_malloc(mlen);
	memcpy(msg, ADV_DEVICE_PREFIX, 2);
	memcpy(msg + 2, sdi->details.data, sdi->details.len);
	memcpy(msg + 2 + sdi->details.len, c->reg.identity_pub, CRY_KEY_LEN);
	memcpy(msg + 2 + sdi->details.len + CRY_KEY_LEN, a->identity.pub,
	    CRY_KEY_LEN);
	if (cry_xeddsa_verify(c->reg.identity_pub, msg, mlen,
	    sdi->device_signature.data) != 0) {
		pair_failed(c, "device signature does not verify");
		goto out;
	}
	d = sim_device_add(a, c->pair_device);
	if (d == NULL) {
		pair_failed(c, "no room for the device");
		goto out;
	}
	d->key_index = c->pair_key_index;
	memcpy(d->noise_pub, c->client_static, CRY_KEY_LEN);
	memcpy(d->identity_pub, c->reg.identity_pub, CRY_KEY_LEN);
	d->reg_id = c->reg.reg_id;
	d->skey_id = c->reg.skey_id;
	memcpy(d->skey_pub, c->reg.skey_pub, CRY_KEY_LEN);
	memcpy(d->skey_sig, c->reg.skey_sig, CRY_SIG_LEN);
	d->has_skey = true;
	if (c->reg.push_name[0] != '\0')
		d->push_name = u_strdup(c->reg.push_name);
	logp_info(c->prefix, "paired: device %u of account %s; restarting "
	    "the stream (515)", d->id, a->phone);
	sim_state_save(c->sim);
	sim_devices_notify(c->sim, a, d, true);
	sim_conn_stream_error(c, "515", NULL);
out:
	free(msg);
	if (sdi != NULL)
		wa__advsigned_device_identity__free_unpacked(sdi, NULL);
}

/* --- Pairing code ------------------------------------------------------------ */

static const struct wa_node *
child_bytes(const struct wa_node *n, const char *tag, size_t len)
{
	const struct wa_node *ch = wa_node_child(n, tag);

	if (ch == NULL || (ch->kind != WA_CONTENT_BYTES &&
	    ch->kind != WA_CONTENT_STRING) || (len != 0 && ch->len != len))
		return NULL;
	return ch;
}

static void
reply_error(struct sim_conn *c, const struct wa_node *iq, int code,
    const char *text)
{
	struct wa_node *e = sim_iq_error(iq, code, text);

	sim_conn_send(c, e);
	wa_node_free(e);
}

static void
companion_hello(struct sim_conn *c, const struct wa_node *iq,
    const struct wa_node *reg)
{
	struct sim_paircode *pc = &c->paircode;
	const struct wa_node *eph, *auth, *pid, *pdisp;
	struct wa_jid jid;
	const struct wa_attr *ja = wa_node_attr_get(reg, "jid");
	struct wa_node *res, *lc;
	uint8_t rnd[24];
	char b64[48];

	eph = child_bytes(reg, "link_code_pairing_wrapped_companion_ephemeral_pub",
	    WA_PAIRCODE_WRAPPED_LEN);
	auth = child_bytes(reg, "companion_server_auth_key_pub", CRY_KEY_LEN);
	pid = child_bytes(reg, "companion_platform_id", 0);
	pdisp = child_bytes(reg, "companion_platform_display", 0);
	if (ja == NULL || eph == NULL || auth == NULL || pid == NULL ||
	    pdisp == NULL) {
		reply_error(c, iq, 400, "bad-request");
		return;
	}
	if (ja->kind == WA_VAL_JID)
		jid = ja->jid;
	else if (wa_jid_parse(ja->str, &jid) != 0) {
		reply_error(c, iq, 400, "bad-request");
		return;
	}
	if (!wa_jid_is_pn(&jid) || c->state != SIM_CONN_PAIRING ||
	    !cry_equal(auth->bytes, c->client_static, CRY_KEY_LEN)) {
		reply_error(c, iq, 400, "bad-request");
		return;
	}
	memset(pc, 0, sizeof(*pc));
	pc->active = true;
	snprintf(pc->phone, sizeof(pc->phone), "%s", jid.user);
	memcpy(pc->wrapped_companion_eph, eph->bytes, WA_PAIRCODE_WRAPPED_LEN);
	snprintf(pc->platform_id, sizeof(pc->platform_id), "%.*s",
	    (int)pid->len, (const char *)pid->bytes);
	snprintf(pc->platform_display, sizeof(pc->platform_display), "%.*s",
	    (int)pdisp->len, (const char *)pdisp->bytes);
	cry_random(rnd, sizeof(rnd));
	sodium_bin2base64(b64, sizeof(b64), rnd, sizeof(rnd),
	    sodium_base64_VARIANT_ORIGINAL);
	pc->ref_len = strlen(b64) < sizeof(pc->ref) ? strlen(b64) : sizeof(pc->ref);
	memcpy(pc->ref, b64, pc->ref_len);
	logp_info(c->prefix, "pairing code requested for a phone number "
	    "(platform %s)", pc->platform_id);

	res = sim_iq_result(iq);
	lc = wa_node_new("link_code_companion_reg");
	wa_node_add_child(lc, bytes_node("link_code_pairing_ref", pc->ref,
	    pc->ref_len));
	wa_node_add_child(res, lc);
	sim_conn_send(c, res);
	wa_node_free(res);
}

static void
companion_finish(struct sim_conn *c, const struct wa_node *iq,
    const struct wa_node *reg)
{
	struct sim_paircode *pc = &c->paircode;
	const struct wa_node *bundle, *cid, *ref;
	uint8_t shared[32], id_shared[32], key[32], plain[96], ikm[96];
	uint8_t companion_eph[32];
	const uint8_t *b;
	struct wa_node *res;
	int r;

	bundle = child_bytes(reg, "link_code_pairing_wrapped_key_bundle",
	    32 + 12 + sizeof(plain) + CRY_GCM_TAG_LEN);
	cid = child_bytes(reg, "companion_identity_public", CRY_KEY_LEN);
	ref = child_bytes(reg, "link_code_pairing_ref", 0);
	if (!pc->active || !pc->entered || bundle == NULL || cid == NULL ||
	    ref == NULL || ref->len != pc->ref_len ||
	    memcmp(ref->bytes, pc->ref, pc->ref_len) != 0 ||
	    !cry_equal(cid->bytes, c->reg.identity_pub, CRY_KEY_LEN)) {
		reply_error(c, iq, 400, "bad-request");
		return;
	}
	if (wa__paircode_unwrap(pc->code, pc->wrapped_companion_eph,
	    companion_eph) != 0 ||
	    cry_dh(shared, pc->phone_eph.priv, companion_eph) != 0) {
		reply_error(c, iq, 500, "internal-server-error");
		return;
	}
	b = bundle->bytes;
	r = cry_hkdf_sha256(b, 32, shared, 32,
	    "link_code_pairing_key_bundle_encryption_key",
	    strlen("link_code_pairing_key_bundle_encryption_key"), key, 32);
	if (r == 0)
		r = cry_aes_gcm_decrypt(key, b + 32, NULL, 0, b + 44,
		    bundle->len - 44, plain);
	if (r != 0 ||
	    !cry_equal(plain, c->reg.identity_pub, 32) ||
	    !cry_equal(plain + 32, pc->account->identity.pub, 32)) {
		logp_warnx(c->prefix, "pairing code: key bundle does not "
		    "decrypt or does not match");
		reply_error(c, iq, 400, "bad-request");
		goto out;
	}
	if (cry_dh(id_shared, pc->account->identity.priv,
	    c->reg.identity_pub) != 0) {
		reply_error(c, iq, 500, "internal-server-error");
		goto out;
	}
	memcpy(ikm, shared, 32);
	memcpy(ikm + 32, id_shared, 32);
	memcpy(ikm + 64, plain + 64, 32);
	if (cry_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), "adv_secret",
	    strlen("adv_secret"), c->adv_secret, 32) != 0) {
		reply_error(c, iq, 500, "internal-server-error");
		goto out;
	}
	res = sim_iq_result(iq);
	sim_conn_send(c, res);
	wa_node_free(res);
	pc->active = false;
	if (send_pair_success(c, pc->account) != 0)
		pair_failed(c, "cannot build pair-success");
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(id_shared, sizeof(id_shared));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(ikm, sizeof(ikm));
}

void
sim_pair_code_iq(struct sim_conn *c, const struct wa_node *iq)
{
	const struct wa_node *reg = wa_node_child(iq, "link_code_companion_reg");
	const char *stage = reg ? wa_node_attr(reg, "stage") : NULL;

	if (stage != NULL && strcmp(stage, "companion_hello") == 0)
		companion_hello(c, iq, reg);
	else if (stage != NULL && strcmp(stage, "companion_finish") == 0)
		companion_finish(c, iq, reg);
	else
		reply_error(c, iq, 400, "bad-request");
}

int
sim_pair_code_enter(struct sim *s, struct sim_account *a, const char *code,
    const char **why)
{
	struct sim_conn *c;
	struct sim_paircode *pc;
	uint8_t companion_eph[32], salt[32], iv[16];
	uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN];
	char norm[WA_PAIRCODE_LEN + 1];
	size_t n = 0;
	struct wa_node *nt, *lc;
	struct wa_jid server;
	char id[32];

	/* Accept "ABCD-EFGH" as shown to users. */
	for (const char *p = code; *p != '\0'; p++) {
		if (*p == '-')
			continue;
		if (n == WA_PAIRCODE_LEN) {
			*why = "code must have 8 characters";
			return U_ERR_INVALID;
		}
		norm[n++] = *p;
	}
	norm[n] = '\0';
	if (n != WA_PAIRCODE_LEN) {
		*why = "code must have 8 characters";
		return U_ERR_INVALID;
	}
	for (c = s->conns; c != NULL; c = c->next)
		if (!c->dead && c->state == SIM_CONN_PAIRING &&
		    c->paircode.active && !c->paircode.entered &&
		    strcmp(c->paircode.phone, a->phone) == 0)
			break;
	if (c == NULL) {
		*why = "no connection asked for a pairing code for this phone";
		return U_ERR_NOT_FOUND;
	}
	pc = &c->paircode;
	if (wa__paircode_unwrap(norm, pc->wrapped_companion_eph,
	    companion_eph) != 0) {
		*why = "internal error";
		return WA_ERR_INTERNAL;
	}
	/*
	 * A wrong code unwraps to garbage: the real phone cannot tell either,
	 * the client's key bundle then fails to decrypt (companion_finish).
	 */
	cry_keypair_generate(&pc->phone_eph);
	cry_random(salt, sizeof(salt));
	cry_random(iv, sizeof(iv));
	if (wa__paircode_wrap(norm, salt, iv, pc->phone_eph.pub, wrapped) != 0) {
		*why = "internal error";
		return WA_ERR_INTERNAL;
	}
	memcpy(pc->code, norm, sizeof(pc->code));
	pc->entered = true;
	pc->account = a;

	nt = wa_node_new("notification");
	server_jid(&server);
	wa_node_set_attr_jid(nt, "from", &server);
	wa_node_set_attr(nt, "type", "link_code_companion_reg");
	sim_next_id(s, id, sizeof(id));
	wa_node_set_attr(nt, "id", id);
	wa_node_set_attr_u64(nt, "t", (uint64_t)sim_now());
	lc = wa_node_new("link_code_companion_reg");
	wa_node_add_child(lc, bytes_node("link_code_pairing_ref", pc->ref,
	    pc->ref_len));
	wa_node_add_child(lc, bytes_node("primary_identity_pub",
	    a->identity.pub, CRY_KEY_LEN));
	wa_node_add_child(lc, bytes_node(
	    "link_code_pairing_wrapped_primary_ephemeral_pub", wrapped,
	    sizeof(wrapped)));
	wa_node_add_child(nt, lc);
	logp_info(c->prefix, "phone %s entered the pairing code", a->phone);
	sim_conn_send(c, nt);
	wa_node_free(nt);
	sodium_memzero(companion_eph, sizeof(companion_eph));
	return 0;
}
