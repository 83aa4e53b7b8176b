/*
 * cert.c: the Noise server certificate chain (waweb/cert.h): verification
 * for the client, issuing for the simulator.
 *
 * Does not: decrypt anything (noise.c hands over the plaintext chain).
 *
 * Invariants:
 *  - A chain is parsed only if it is at most WA_CERT_CHAIN_MAX bytes; the
 *    signed `details` are verified as the exact bytes received, before
 *    they are parsed, as whatsmeow does.
 *  - Every check of the list in cert.h runs; none can be skipped by the
 *    caller, only the trust root can be chosen.
 *  - The intermediate private key made by wa_cert_issue_chain is wiped
 *    before returning.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>

#include "crypto/cry.h"
#include "proto/cert.pb-c.h"
#include "util/buf.h"
#include "util/mem.h"
#include "waweb/cert.h"
#include "waweb/errors.h"

/* protobuf-c generates pack/unpack only for top-level messages. */
#define DETAILS_DESC	(&wa__cert_chain__noise_certificate__details__descriptor)

static Wa__CertChain__NoiseCertificate__Details *
details_unpack(const ProtobufCBinaryData *b)
{
	return (Wa__CertChain__NoiseCertificate__Details *)
	    protobuf_c_message_unpack(DETAILS_DESC, NULL, b->len, b->data);
}

static void
details_free(Wa__CertChain__NoiseCertificate__Details *d)
{
	if (d != NULL)
		protobuf_c_message_free_unpacked(&d->base, NULL);
}

/* WhatsApp's root key, the same 32 bytes in whatsmeow and Baileys. */
const uint8_t wa_cert_whatsapp_root[CRY_KEY_LEN] = {
	0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71,
	0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
	0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c,
	0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b,
};

/* Default validity of an issued chain: from a day ago, for ten years. */
#define ISSUE_BACKDATE		(24 * 3600)
#define ISSUE_LIFETIME		((int64_t)10 * 365 * 24 * 3600)

static int
cert_complete(const Wa__CertChain__NoiseCertificate *c)
{
	return c != NULL && c->has_details && c->has_signature &&
	    c->signature.len == CRY_SIG_LEN;
}

static int
valid_at(const Wa__CertChain__NoiseCertificate__Details *d, int64_t now)
{
	/* Absent times read as 0, as whatsmeow's getters return. */
	uint64_t nb = d->has_not_before ? d->not_before : 0;
	uint64_t na = d->has_not_after ? d->not_after : 0;

	if (now < 0)
		return 0;
	return (uint64_t)now >= nb && (uint64_t)now <= na;
}

int
wa_cert_verify_chain(const uint8_t *data, size_t len,
    const uint8_t root[CRY_KEY_LEN], const uint8_t server_static[CRY_KEY_LEN],
    int64_t now)
{
	Wa__CertChain *chain = NULL;
	Wa__CertChain__NoiseCertificate__Details *inter = NULL, *leaf = NULL;
	uint32_t inter_serial;
	int r = WA_ERR_CERT_MALFORMED;

	if (root == NULL)
		root = wa_cert_whatsapp_root;
	if (len > WA_CERT_CHAIN_MAX)
		goto out;
	if ((chain = wa__cert_chain__unpack(NULL, len, data)) == NULL)
		goto out;
	if (!cert_complete(chain->intermediate) || !cert_complete(chain->leaf))
		goto out;

	r = WA_ERR_CERT_SIGNATURE;
	if (cry_xeddsa_verify(root, chain->intermediate->details.data,
	    chain->intermediate->details.len,
	    chain->intermediate->signature.data) != 0)
		goto out;
	r = WA_ERR_CERT_MALFORMED;
	inter = details_unpack(&chain->intermediate->details);
	if (inter == NULL)
		goto out;
	r = WA_ERR_CERT_SERIAL;
	if ((inter->has_issuer_serial ? inter->issuer_serial : 0) !=
	    WA_CERT_ROOT_SERIAL)
		goto out;
	r = WA_ERR_CERT_MALFORMED;
	if (!inter->has_key || inter->key.len != CRY_KEY_LEN)
		goto out;
	r = WA_ERR_CERT_SIGNATURE;
	if (cry_xeddsa_verify(inter->key.data, chain->leaf->details.data,
	    chain->leaf->details.len, chain->leaf->signature.data) != 0)
		goto out;
	r = WA_ERR_CERT_EXPIRED;
	if (!valid_at(inter, now))
		goto out;
	r = WA_ERR_CERT_MALFORMED;
	leaf = details_unpack(&chain->leaf->details);
	if (leaf == NULL)
		goto out;
	r = WA_ERR_CERT_SERIAL;
	inter_serial = inter->has_serial ? inter->serial : 0;
	if ((leaf->has_issuer_serial ? leaf->issuer_serial : 0) != inter_serial)
		goto out;
	r = WA_ERR_CERT_KEY;
	if (!leaf->has_key || leaf->key.len != CRY_KEY_LEN ||
	    !cry_equal(leaf->key.data, server_static, CRY_KEY_LEN))
		goto out;
	r = WA_ERR_CERT_EXPIRED;
	if (!valid_at(leaf, now))
		goto out;
	r = 0;
out:
	details_free(leaf);
	details_free(inter);
	if (chain != NULL)
		wa__cert_chain__free_unpacked(chain, NULL);
	return r;
}

/* Serialize details and sign them with priv; both outputs owned by c. */
static int
make_cert(Wa__CertChain__NoiseCertificate *c,
    const Wa__CertChain__NoiseCertificate__Details *d,
    const uint8_t priv[CRY_KEY_LEN])
{
	size_t n = protobuf_c_message_get_packed_size(&d->base);
	int r;

	c->details.data = u_malloc(n);
	c->details.len = protobuf_c_message_pack(&d->base, c->details.data);
	c->has_details = 1;
	c->signature.data = u_malloc(CRY_SIG_LEN);
	c->signature.len = CRY_SIG_LEN;
	c->has_signature = 1;
	if ((r = cry_xeddsa_sign(c->signature.data, priv, c->details.data,
	    c->details.len)) != 0)
		return r;
	return 0;
}

static void
details_init(Wa__CertChain__NoiseCertificate__Details *d, uint32_t serial,
    uint32_t issuer, const uint8_t key[CRY_KEY_LEN],
    const struct wa_cert_params *p)
{
	wa__cert_chain__noise_certificate__details__init(d);
	d->has_serial = 1;
	d->serial = serial;
	/* Always on the wire, even when 0: Baileys reads absent as null. */
	d->has_issuer_serial = 1;
	d->issuer_serial = issuer;
	d->has_key = 1;
	d->key.data = (uint8_t *)key;
	d->key.len = CRY_KEY_LEN;
	d->has_not_before = 1;
	d->not_before = p->not_before > 0 ? (uint64_t)p->not_before : 0;
	d->has_not_after = 1;
	d->not_after = p->not_after > 0 ? (uint64_t)p->not_after : 0;
}

int
wa_cert_issue_chain(const struct cry_keypair *root,
    const uint8_t server_static[CRY_KEY_LEN],
    const struct wa_cert_params *params, struct u_buf *out)
{
	struct wa_cert_params defaults;
	struct cry_keypair inter_kp;
	Wa__CertChain__NoiseCertificate__Details inter_d, leaf_d;
	Wa__CertChain__NoiseCertificate inter, leaf;
	Wa__CertChain chain;
	size_t n;
	int r;

	if (params == NULL) {
		int64_t now = (int64_t)time(NULL);

		defaults.intermediate_serial = 1;
		defaults.leaf_serial = 2;
		defaults.not_before = now - ISSUE_BACKDATE;
		defaults.not_after = now + ISSUE_LIFETIME;
		params = &defaults;
	}
	if (params->intermediate_serial == WA_CERT_ROOT_SERIAL)
		return WA_ERR_INVALID;
	wa__cert_chain__noise_certificate__init(&inter);
	wa__cert_chain__noise_certificate__init(&leaf);
	wa__cert_chain__init(&chain);
	cry_keypair_generate(&inter_kp);

	details_init(&inter_d, params->intermediate_serial, WA_CERT_ROOT_SERIAL,
	    inter_kp.pub, params);
	details_init(&leaf_d, params->leaf_serial, params->intermediate_serial,
	    server_static, params);
	if ((r = make_cert(&inter, &inter_d, root->priv)) != 0 ||
	    (r = make_cert(&leaf, &leaf_d, inter_kp.priv)) != 0)
		goto out;
	chain.leaf = &leaf;
	chain.intermediate = &inter;
	n = wa__cert_chain__get_packed_size(&chain);
	if ((r = u_buf_reserve(out, n)) != 0)
		goto out;
	out->len += wa__cert_chain__pack(&chain, out->p + out->len);
	out->p[out->len] = '\0';
	r = 0;
out:
	cry_keypair_wipe(&inter_kp);
	free(inter.details.data);
	free(inter.signature.data);
	free(leaf.details.data);
	free(leaf.signature.data);
	return r;
}
