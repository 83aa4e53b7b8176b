/*
 * cert.h: the Noise server certificate chain (proto/cert.proto CertChain).
 *
 * The server's ServerHello carries, encrypted, a chain of two certificates:
 * an intermediate signed by WhatsApp's root key and a leaf, signed by the
 * intermediate, whose key is the server's Noise static key.  Each
 * certificate is `details` (a serialized CertChain.NoiseCertificate.Details)
 * plus a 64-byte XEdDSA signature over exactly those bytes.
 *
 * Client side (wa_cert_verify_chain) checks what whatsmeow checks:
 *  1. both certificates have details and a 64-byte signature;
 *  2. the intermediate signature verifies with the trust root;
 *  3. the intermediate's issuer serial is 0 and its key is 32 bytes;
 *  4. the leaf signature verifies with the intermediate key;
 *  5. now is inside the intermediate's [not_before, not_after];
 *  6. the leaf's issuer serial equals the intermediate's serial;
 *  7. the leaf key equals the server static key from the handshake;
 *  8. now is inside the leaf's [not_before, not_after].
 * The trust root can be replaced (tests, the simulator) but verification
 * cannot be switched off.
 *
 * Simulator side (wa_cert_issue_chain) issues such a chain from a test root.
 *
 * Does not: run the handshake (waweb/noise.h calls the verifier).
 */
#ifndef PONTON_WAWEB_CERT_H
#define PONTON_WAWEB_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cry.h"
#include "util/buf.h"

/* A serialized chain is ~350 bytes; anything far larger is not a chain. */
#define WA_CERT_CHAIN_MAX	4096
/* The issuer serial the intermediate must carry (the root's serial). */
#define WA_CERT_ROOT_SERIAL	0

/* WhatsApp's root public key (raw Curve25519), the default trust root. */
extern const uint8_t wa_cert_whatsapp_root[CRY_KEY_LEN];

/*
 * Verify a serialized CertChain.  root: the trust root (NULL means
 * wa_cert_whatsapp_root); server_static: the static key the handshake
 * decrypted; now: Unix seconds.
 * Errors: WA_ERR_CERT_MALFORMED (does not parse, parts missing, wrong
 * lengths), WA_ERR_CERT_SIGNATURE, WA_ERR_CERT_SERIAL, WA_ERR_CERT_KEY (leaf
 * key is not the server static key), WA_ERR_CERT_EXPIRED (outside validity).
 */
int wa_cert_verify_chain(const uint8_t *chain, size_t len,
    const uint8_t root[CRY_KEY_LEN], const uint8_t server_static[CRY_KEY_LEN],
    int64_t now);

struct wa_cert_params {
	uint32_t	intermediate_serial;	/* != 0 */
	uint32_t	leaf_serial;
	int64_t		not_before;		/* Unix seconds, both certificates */
	int64_t		not_after;
};

/*
 * Issue a chain for the simulator: a fresh intermediate key pair signed by
 * root (issuer serial 0, always present on the wire because Baileys needs
 * it), and a leaf for server_static signed by the intermediate.  params NULL
 * means serials 1 and 2, valid from one day ago to ten years ahead.  The
 * serialized CertChain is appended to out.
 * Errors: WA_ERR_INVALID (intermediate serial 0), crypto codes, U_ERR_TOO_BIG.
 */
int wa_cert_issue_chain(const struct cry_keypair *root,
    const uint8_t server_static[CRY_KEY_LEN],
    const struct wa_cert_params *params, struct u_buf *out);

#endif
