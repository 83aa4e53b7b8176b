/*
 * noise.h: Noise_XX_25519_AESGCM_SHA256 as WhatsApp Web uses it, both roles,
 * and the transport cipher that follows.
 *
 *   initiator (client)                    responder (server / wasim)
 *   ClientHello{ephemeral}           -->
 *                                    <--  ServerHello{ephemeral,
 *                                           enc(static), enc(CertChain)}
 *   ClientFinish{enc(static),        -->
 *                enc(ClientPayload)}
 *   split: client writes with k1, reads with k2; the server the reverse.
 *
 * WhatsApp's quirks, all reproduced here:
 *  - the 32-byte protocol name is used directly as the initial hash and
 *    chaining key; the prologue is the 4-byte intro header ("WA" 6 3);
 *  - during the handshake one nonce counter serves both directions and is
 *    reset only by MixKey (the client's static is thus encrypted with
 *    nonce 1 under the key that decrypted the certificate with nonce 0);
 *  - nonces are 8 zero bytes and a 32-bit big-endian counter;
 *  - transport frames use empty associated data and per-direction counters
 *    from 0.
 *
 * The state machine does no I/O: each step takes the bytes of one received
 * frame payload (a serialized HandshakeMessage) or appends the payload to
 * send.  Framing is waweb/frame.h.
 *
 * Invariants:
 *  - Steps must come in protocol order for the role; anything else, or any
 *    call after a failure, returns WA_ERR_NOISE_STATE (a failed handshake
 *    cannot be resumed: start a new connection).
 *  - Handshake messages longer than WA_NOISE_MSG_MAX are rejected before
 *    they are parsed.
 *  - Keys are wiped when the handshake or transport is freed.
 *  - The transport refuses to reuse a nonce: after 2^32 frames in one
 *    direction it fails with WA_ERR_NOISE_EXHAUSTED.
 */
#ifndef PONTON_WAWEB_NOISE_H
#define PONTON_WAWEB_NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cry.h"
#include "util/buf.h"

/* Exactly 32 bytes: used as the initial hash without hashing it. */
#define WA_NOISE_PROTOCOL	"Noise_XX_25519_AESGCM_SHA256\0\0\0\0"
/*
 * A handshake message is a few hundred bytes; the largest is a ClientFinish
 * with a registration ClientPayload (~1 KiB).  64 KiB leaves room for any
 * future field without letting a peer make us parse megabytes.
 */
#define WA_NOISE_MSG_MAX	(64 * 1024)
/* The longest prologue we accept (the intro header is 4 bytes). */
#define WA_NOISE_PROLOGUE_MAX	64

enum wa_noise_role {
	WA_NOISE_INITIATOR,	/* the WhatsApp client */
	WA_NOISE_RESPONDER,	/* the server (test/wasim) */
};

struct wa_noise_hs;
struct wa_noise_transport;

/*
 * A new handshake (owned; free with wa_noise_hs_free).  static_kp is copied:
 * the client's Noise key or the server's static key.  prologue is copied:
 * wa_frame_intro for the client; for the server, the intro header the
 * client actually sent (wa_frame_dec_intro).  Returns NULL only if
 * prologue_len > WA_NOISE_PROLOGUE_MAX.
 */
struct wa_noise_hs *wa_noise_hs_new(enum wa_noise_role role,
    const struct cry_keypair *static_kp, const uint8_t *prologue,
    size_t prologue_len);
/* Wipes and frees; NULL is a no-op. */
void wa_noise_hs_free(struct wa_noise_hs *hs);
/*
 * Tests and fuzzers: use e as the ephemeral key instead of a random one.
 * Only before the first step; else WA_ERR_NOISE_STATE.
 */
int wa_noise_hs_set_ephemeral(struct wa_noise_hs *hs,
    const struct cry_keypair *e);

/* --- Initiator --------------------------------------------------------- */
/* Step 1: append HandshakeMessage{clientHello} to out. */
int wa_noise_write_client_hello(struct wa_noise_hs *hs, struct u_buf *out);
/*
 * Step 2: process the server's HandshakeMessage{serverHello}: decrypt its
 * static key and certificate chain, and verify the chain with
 * wa_cert_verify_chain(root, now) (root NULL: WhatsApp's root).
 * Errors: WA_ERR_TOO_BIG, WA_ERR_HANDSHAKE (does not parse, missing parts,
 * wrong lengths), WA_ERR_NOISE_DECRYPT, WA_ERR_CERT_*, CRY_ERR_BAD_KEY
 * (low-order ephemeral or static key).
 */
int wa_noise_read_server_hello(struct wa_noise_hs *hs, const uint8_t *msg,
    size_t len, const uint8_t root[CRY_KEY_LEN], int64_t now);
/*
 * Step 3: append HandshakeMessage{clientFinish} carrying our static key and
 * the serialized ClientPayload (payload, len bytes) to out.  The handshake
 * is then complete: call wa_noise_hs_split.
 */
int wa_noise_write_client_finish(struct wa_noise_hs *hs, const void *payload,
    size_t len, struct u_buf *out);

/* --- Responder --------------------------------------------------------- */
/*
 * Step 1: process HandshakeMessage{clientHello}.
 * Errors: WA_ERR_TOO_BIG, WA_ERR_HANDSHAKE.
 */
int wa_noise_read_client_hello(struct wa_noise_hs *hs, const uint8_t *msg,
    size_t len);
/*
 * Step 2: append HandshakeMessage{serverHello} with our static key and the
 * serialized CertChain (cert, len bytes; see wa_cert_issue_chain) to out.
 */
int wa_noise_write_server_hello(struct wa_noise_hs *hs, const void *cert,
    size_t len, struct u_buf *out);
/*
 * Step 3: process HandshakeMessage{clientFinish}.  On success *payload is
 * the decrypted ClientPayload (owned by the caller, free()), the client's
 * static key is available from wa_noise_hs_remote_static, and the handshake
 * is complete.  The caller decides whether that static key is allowed.
 * Errors: WA_ERR_TOO_BIG, WA_ERR_HANDSHAKE, WA_ERR_NOISE_DECRYPT,
 * CRY_ERR_BAD_KEY.
 */
int wa_noise_read_client_finish(struct wa_noise_hs *hs, const uint8_t *msg,
    size_t len, uint8_t **payload, size_t *payload_len);

/* --- Both -------------------------------------------------------------- */
/* The peer's static key once known (borrowed from hs), else NULL. */
const uint8_t *wa_noise_hs_remote_static(const struct wa_noise_hs *hs);
/*
 * After the last step: derive the transport keys.  *out is owned by the
 * caller.  hs is no longer usable (free it).
 * Errors: WA_ERR_NOISE_STATE if the handshake is not complete.
 */
int wa_noise_hs_split(struct wa_noise_hs *hs,
    struct wa_noise_transport **out);

/* --- Transport --------------------------------------------------------- */
/* Wipes and frees; NULL is a no-op. */
void wa_noise_transport_free(struct wa_noise_transport *t);
/*
 * Encrypt one frame payload with the next send nonce; append n + 16 bytes
 * to out.  Errors: WA_ERR_TOO_BIG (n + 16 > WA_FRAME_MAX),
 * WA_ERR_NOISE_EXHAUSTED, U_ERR_TOO_BIG (out's cap).
 */
int wa_noise_encrypt(struct wa_noise_transport *t, const void *pt, size_t n,
    struct u_buf *out);
/* Same, appending the 3-byte length prefix first: a ready frame. */
int wa_noise_encrypt_frame(struct wa_noise_transport *t, const void *pt,
    size_t n, struct u_buf *out);
/*
 * Decrypt one received frame payload with the next receive nonce; append
 * n - 16 bytes to out.  Errors: WA_ERR_NOISE_DECRYPT (too short or forged;
 * the receive counter has still advanced, as in both reference clients, so
 * the stream is desynchronised: close the connection),
 * WA_ERR_NOISE_EXHAUSTED.
 */
int wa_noise_decrypt(struct wa_noise_transport *t, const void *ct, size_t n,
    struct u_buf *out);
/*
 * Tests only: move the nonce counters (e.g. next to the 2^32 limit).
 */
void wa_noise_transport_seek(struct wa_noise_transport *t, uint64_t sent,
    uint64_t received);
/* Frames sent / received so far (the next nonce counters). */
uint64_t wa_noise_transport_sent(const struct wa_noise_transport *t);
uint64_t wa_noise_transport_received(const struct wa_noise_transport *t);

#endif
