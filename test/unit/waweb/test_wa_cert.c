/*
 * test_wa_cert.c: the server certificate chain: issued chains verify, and
 * each check of waweb/cert.h rejects what it should (wrong root, bad
 * signatures, serials, leaf key, validity window, malformed input).
 */
#include <string.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>

#include "crypto/cry.h"
#include "proto/cert.pb-c.h"
#include "test/unit/test.h"
#include "util/buf.h"
#include "waweb/cert.h"
#include "waweb/errors.h"

#define NOW	((int64_t)1800000000)

/* Everything a hand-made chain can get wrong. */
struct spec {
	uint32_t	inter_serial, inter_issuer, leaf_serial, leaf_issuer;
	int		inter_issuer_absent;
	int64_t		inter_nb, inter_na, leaf_nb, leaf_na;
	size_t		inter_key_len;
	int		sign_inter_with_other;	/* not the root */
	int		sign_leaf_with_other;	/* not the intermediate */
	int		flip_inter_sig, flip_leaf_sig;
	size_t		leaf_sig_len;
	int		no_leaf;
};

struct keys {
	struct cry_keypair	root, inter, server, other;
};

static void
keys_init(struct keys *k)
{
	cry_keypair_generate(&k->root);
	cry_keypair_generate(&k->inter);
	cry_keypair_generate(&k->server);
	cry_keypair_generate(&k->other);
}

static void
spec_default(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->inter_serial = 7;
	s->inter_issuer = 0;
	s->leaf_serial = 8;
	s->leaf_issuer = 7;
	s->inter_nb = s->leaf_nb = NOW - 100;
	s->inter_na = s->leaf_na = NOW + 100;
	s->inter_key_len = 32;
	s->leaf_sig_len = 64;
}

static size_t
pack_details(uint8_t *out, uint32_t serial, int has_issuer, uint32_t issuer,
    const uint8_t *key, size_t keylen, int64_t nb, int64_t na)
{
	Wa__CertChain__NoiseCertificate__Details d =
	    WA__CERT_CHAIN__NOISE_CERTIFICATE__DETAILS__INIT;

	d.has_serial = 1;
	d.serial = serial;
	d.has_issuer_serial = has_issuer;
	d.issuer_serial = issuer;
	d.has_key = 1;
	d.key.data = (uint8_t *)key;
	d.key.len = keylen;
	d.has_not_before = 1;
	d.not_before = (uint64_t)nb;
	d.has_not_after = 1;
	d.not_after = (uint64_t)na;
	return protobuf_c_message_pack(&d.base, out);
}

/* Serialized chain per spec into out. */
static void
build(const struct spec *s, const struct keys *k, struct u_buf *out)
{
	Wa__CertChain chain = WA__CERT_CHAIN__INIT;
	Wa__CertChain__NoiseCertificate inter =
	    WA__CERT_CHAIN__NOISE_CERTIFICATE__INIT;
	Wa__CertChain__NoiseCertificate leaf =
	    WA__CERT_CHAIN__NOISE_CERTIFICATE__INIT;
	uint8_t idet[256], ldet[256], isig[64], lsig[64], ikey[40];
	size_t il, ll;

	memset(ikey, 0x05, sizeof(ikey));
	memcpy(ikey, k->inter.pub, 32);
	il = pack_details(idet, s->inter_serial, !s->inter_issuer_absent,
	    s->inter_issuer, ikey, s->inter_key_len, s->inter_nb, s->inter_na);
	ll = pack_details(ldet, s->leaf_serial, 1, s->leaf_issuer,
	    k->server.pub, 32, s->leaf_nb, s->leaf_na);
	if (cry_xeddsa_sign(isig, s->sign_inter_with_other ? k->other.priv :
	    k->root.priv, idet, il) != 0 ||
	    cry_xeddsa_sign(lsig, s->sign_leaf_with_other ? k->other.priv :
	    k->inter.priv, ldet, ll) != 0)
		abort();
	if (s->flip_inter_sig)
		isig[10] ^= 1;
	if (s->flip_leaf_sig)
		lsig[40] ^= 1;
	inter.has_details = inter.has_signature = 1;
	inter.details.data = idet;
	inter.details.len = il;
	inter.signature.data = isig;
	inter.signature.len = 64;
	leaf.has_details = leaf.has_signature = 1;
	leaf.details.data = ldet;
	leaf.details.len = ll;
	leaf.signature.data = lsig;
	leaf.signature.len = s->leaf_sig_len;
	chain.intermediate = &inter;
	chain.leaf = s->no_leaf ? NULL : &leaf;
	u_buf_init(out, 0);
	if (u_buf_reserve(out, wa__cert_chain__get_packed_size(&chain)) != 0)
		abort();
	out->len = wa__cert_chain__pack(&chain, out->p);
}

static int
verify(const struct spec *s)
{
	struct keys k;
	struct u_buf b;
	int r;

	keys_init(&k);
	build(s, &k, &b);
	r = wa_cert_verify_chain(b.p, b.len, k.root.pub, k.server.pub, NOW);
	u_buf_free(&b);
	return r;
}

TEST(test_wa_cert_whatsapp_root_key)
{
	static const uint8_t want[32] = {
		0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa,
		0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37, 0xc4, 0xa2, 0x8b, 0x73,
		0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8,
		0xee, 0x6b };

	CHECK_EQ_MEM(wa_cert_whatsapp_root, want, 32);
}

TEST(test_wa_cert_handmade_good_chain_accepted)
{
	struct spec s;

	spec_default(&s);
	CHECK_EQ_INT(verify(&s), 0);
	/* whatsmeow reads an absent intermediate issuer serial as 0. */
	s.inter_issuer_absent = 1;
	CHECK_EQ_INT(verify(&s), 0);
	/* Boundaries of the validity window are inside it. */
	spec_default(&s);
	s.inter_nb = s.leaf_nb = NOW;
	s.inter_na = s.leaf_na = NOW;
	CHECK_EQ_INT(verify(&s), 0);
}

TEST(test_wa_cert_issued_chain_accepted)
{
	struct cry_keypair root, server;
	struct u_buf b;
	Wa__CertChain *c;
	Wa__CertChain__NoiseCertificate__Details *d;

	cry_keypair_generate(&root);
	cry_keypair_generate(&server);
	u_buf_init(&b, 0);
	REQUIRE(wa_cert_issue_chain(&root, server.pub, NULL, &b) == 0);
	CHECK(b.len < WA_CERT_CHAIN_MAX);
	CHECK_EQ_INT(wa_cert_verify_chain(b.p, b.len, root.pub, server.pub,
	    (int64_t)time(NULL)), 0);
	/* The intermediate's issuer serial 0 is present on the wire. */
	c = wa__cert_chain__unpack(NULL, b.len, b.p);
	REQUIRE(c != NULL && c->intermediate != NULL);
	d = (Wa__CertChain__NoiseCertificate__Details *)protobuf_c_message_unpack(
	    &wa__cert_chain__noise_certificate__details__descriptor, NULL,
	    c->intermediate->details.len, c->intermediate->details.data);
	REQUIRE(d != NULL);
	CHECK(d->has_issuer_serial);
	CHECK_EQ_INT(d->issuer_serial, 0);
	CHECK_EQ_INT(d->serial, 1);
	CHECK_EQ_INT(d->key.len, 32);
	protobuf_c_message_free_unpacked(&d->base, NULL);
	wa__cert_chain__free_unpacked(c, NULL);
	u_buf_free(&b);
}

TEST(test_wa_cert_issue_with_params)
{
	struct cry_keypair root, server;
	struct wa_cert_params p = { 5, 9, NOW - 10, NOW + 10 };
	struct u_buf b;

	cry_keypair_generate(&root);
	cry_keypair_generate(&server);
	u_buf_init(&b, 0);
	REQUIRE(wa_cert_issue_chain(&root, server.pub, &p, &b) == 0);
	CHECK_EQ_INT(wa_cert_verify_chain(b.p, b.len, root.pub, server.pub, NOW), 0);
	CHECK_EQ_INT(wa_cert_verify_chain(b.p, b.len, root.pub, server.pub,
	    NOW + 11), WA_ERR_CERT_EXPIRED);
	p.intermediate_serial = 0;
	CHECK_EQ_INT(wa_cert_issue_chain(&root, server.pub, &p, &b), WA_ERR_INVALID);
	u_buf_free(&b);
}

TEST(test_wa_cert_wrong_root_rejected)
{
	struct cry_keypair root, server, other;
	struct u_buf b;

	cry_keypair_generate(&root);
	cry_keypair_generate(&server);
	cry_keypair_generate(&other);
	u_buf_init(&b, 0);
	REQUIRE(wa_cert_issue_chain(&root, server.pub, NULL, &b) == 0);
	CHECK_EQ_INT(wa_cert_verify_chain(b.p, b.len, other.pub, server.pub,
	    (int64_t)time(NULL)), WA_ERR_CERT_SIGNATURE);
	/* NULL root = WhatsApp's. */
	CHECK_EQ_INT(wa_cert_verify_chain(b.p, b.len, NULL, server.pub,
	    (int64_t)time(NULL)), WA_ERR_CERT_SIGNATURE);
	u_buf_free(&b);
}

TEST(test_wa_cert_leaf_key_not_static_rejected)
{
	struct cry_keypair root, server, other;
	struct u_buf b;

	cry_keypair_generate(&root);
	cry_keypair_generate(&server);
	cry_keypair_generate(&other);
	u_buf_init(&b, 0);
	REQUIRE(wa_cert_issue_chain(&root, server.pub, NULL, &b) == 0);
	CHECK_EQ_INT(wa_cert_verify_chain(b.p, b.len, root.pub, other.pub,
	    (int64_t)time(NULL)), WA_ERR_CERT_KEY);
	u_buf_free(&b);
}

TEST(test_wa_cert_bad_signatures_rejected)
{
	struct spec s;

	spec_default(&s);
	s.sign_inter_with_other = 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_SIGNATURE);
	spec_default(&s);
	s.sign_leaf_with_other = 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_SIGNATURE);
	spec_default(&s);
	s.flip_inter_sig = 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_SIGNATURE);
	spec_default(&s);
	s.flip_leaf_sig = 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_SIGNATURE);
}

TEST(test_wa_cert_serials_checked)
{
	struct spec s;

	spec_default(&s);
	s.inter_issuer = 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_SERIAL);
	spec_default(&s);
	s.leaf_issuer = 6;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_SERIAL);
}

TEST(test_wa_cert_validity_checked)
{
	struct spec s;

	spec_default(&s);
	s.inter_nb = NOW + 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_EXPIRED);
	spec_default(&s);
	s.inter_na = NOW - 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_EXPIRED);
	spec_default(&s);
	s.leaf_nb = NOW + 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_EXPIRED);
	spec_default(&s);
	s.leaf_na = NOW - 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_EXPIRED);
}

TEST(test_wa_cert_malformed_rejected)
{
	struct spec s;
	struct keys k;
	static uint8_t big[WA_CERT_CHAIN_MAX + 1];

	spec_default(&s);
	s.inter_key_len = 33;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_MALFORMED);
	spec_default(&s);
	s.leaf_sig_len = 63;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_MALFORMED);
	spec_default(&s);
	s.no_leaf = 1;
	CHECK_EQ_INT(verify(&s), WA_ERR_CERT_MALFORMED);

	keys_init(&k);
	CHECK_EQ_INT(wa_cert_verify_chain((const uint8_t *)"\xff\xff", 2,
	    k.root.pub, k.server.pub, NOW), WA_ERR_CERT_MALFORMED);
	CHECK_EQ_INT(wa_cert_verify_chain(big, 0, k.root.pub, k.server.pub, NOW),
	    WA_ERR_CERT_MALFORMED);
	CHECK_EQ_INT(wa_cert_verify_chain(big, sizeof(big), k.root.pub,
	    k.server.pub, NOW), WA_ERR_CERT_MALFORMED);
}

TEST_MAIN()
