/*
 * wa_noise_peer.c: ponton's Noise responder on stdin/stdout, for checking it
 * against a real client's Noise initiator (test/peers/baileys/noise.mjs,
 * run by test/wa/20-noise-baileys.sh).
 *
 *   wa_noise_peer server
 *
 * Startup: makes a test root and a server static key, writes
 * "root <hex public key>" on stderr.  Then reads the client's byte stream
 * (intro header and frames, cut anywhere) from stdin and writes frames to
 * stdout: the ServerHello (with a chain issued by the test root), then,
 * once the handshake is done, one transport frame holding
 *   client static key (32) || SHA-256(ClientPayload) (32) || summary text
 * where the summary lists what our protobuf schema decoded from the
 * client's ClientPayload ("key=value" separated by spaces, strings in hex)
 * and, as cert=<hex>, the certificate chain we sent, so the client side can
 * check our XEdDSA signatures with its own library.  Every later
 * transport frame from the client is answered with "echo:" + its plaintext.
 * Exits 0 on end of input after a complete handshake, 1 on any error.
 *
 * Does not: speak binary nodes or websockets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/cry.h"
#include "proto/companion_reg.pb-c.h"
#include "proto/wa6.pb-c.h"
#include "util/buf.h"
#include "util/err.h"
#include "waweb/cert.h"
#include "waweb/errors.h"
#include "waweb/frame.h"
#include "waweb/noise.h"

struct peer {
	struct cry_keypair		 root, ss;
	struct u_buf			 cert;		/* the chain we sent */
	struct wa_noise_hs		*hs;
	struct wa_noise_transport	*t;
	int				 nframes;
	const struct wa_frame_dec	*dec;
};

static void
hex(struct u_buf *b, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		u_buf_printf(b, "%02x", p[i]);
}

static int
write_all(const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(1, p, n)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
summarize(struct u_buf *s, const uint8_t *p, size_t n)
{
	Wa__ClientPayload *cp = wa__client_payload__unpack(NULL, n, p);
	Wa__ClientPayload__DevicePairingRegistrationData *pd;
	Wa__DeviceProps *dp;

	if (cp == NULL) {
		u_buf_printf(s, "unpack=failed");
		return;
	}
	u_buf_printf(s, "unpack=ok");
	if (cp->user_agent != NULL) {
		u_buf_printf(s, " platform=%d", (int)cp->user_agent->platform);
		if (cp->user_agent->app_version != NULL)
			u_buf_printf(s, " version=%u.%u.%u",
			    cp->user_agent->app_version->primary,
			    cp->user_agent->app_version->secondary,
			    cp->user_agent->app_version->tertiary);
		if (cp->user_agent->locale_country_iso_3166_1_alpha_2 != NULL)
			u_buf_printf(s, " country=%s",
			    cp->user_agent->locale_country_iso_3166_1_alpha_2);
	}
	if (cp->has_passive)
		u_buf_printf(s, " passive=%d", (int)cp->passive);
	if (cp->has_username)
		u_buf_printf(s, " username=%llu",
		    (unsigned long long)cp->username);
	if (cp->has_device)
		u_buf_printf(s, " device=%u", cp->device);
	if (cp->has_connect_type)
		u_buf_printf(s, " connect_type=%d", (int)cp->connect_type);
	if (cp->has_connect_reason)
		u_buf_printf(s, " connect_reason=%d", (int)cp->connect_reason);
	if ((pd = cp->device_pairing_data) != NULL) {
		u_buf_printf(s, " e_regid=");
		hex(s, pd->e_regid.data, pd->e_regid.len);
		u_buf_printf(s, " e_ident=");
		hex(s, pd->e_ident.data, pd->e_ident.len);
		u_buf_printf(s, " e_skey_id=");
		hex(s, pd->e_skey_id.data, pd->e_skey_id.len);
		u_buf_printf(s, " e_skey_val=");
		hex(s, pd->e_skey_val.data, pd->e_skey_val.len);
		u_buf_printf(s, " e_skey_sig=");
		hex(s, pd->e_skey_sig.data, pd->e_skey_sig.len);
		/* The signed prekey signature, checked with our XEdDSA. */
		if (pd->e_ident.len == 32 && pd->e_skey_val.len == 32 &&
		    pd->e_skey_sig.len == 64) {
			uint8_t msg[33];

			cry_pub_prefix(msg, pd->e_skey_val.data);
			u_buf_printf(s, " skey_sig_valid=%d",
			    cry_xeddsa_verify(pd->e_ident.data, msg, 33,
			    pd->e_skey_sig.data) == 0);
		}
		dp = wa__device_props__unpack(NULL, pd->device_props.len,
		    pd->device_props.data);
		if (dp != NULL) {
			u_buf_printf(s, " os_hex=");
			if (dp->os != NULL)
				hex(s, (const uint8_t *)dp->os, strlen(dp->os));
			u_buf_printf(s, " platform_type=%d",
			    (int)dp->platform_type);
			if (dp->history_sync_config != NULL)
				u_buf_printf(s, " storage_quota_mb=%u",
				    dp->history_sync_config->storage_quota_mb);
			wa__device_props__free_unpacked(dp, NULL);
		}
	}
	wa__client_payload__free_unpacked(cp, NULL);
}

static int
on_frame(void *arg, const uint8_t *p, size_t len)
{
	struct peer *pe = arg;
	struct u_buf out, cert, msg, pt;
	uint8_t *payload = NULL, hash[32];
	size_t plen = 0;
	int r = 0;

	u_buf_init(&out, 0);
	u_buf_init(&cert, 0);
	u_buf_init(&msg, 0);
	u_buf_init(&pt, 0);
	switch (pe->nframes++) {
	case 0:
		pe->hs = wa_noise_hs_new(WA_NOISE_RESPONDER, &pe->ss,
		    wa_frame_dec_intro(pe->dec), WA_FRAME_INTRO_LEN);
		if ((r = wa_noise_read_client_hello(pe->hs, p, len)) != 0 ||
		    (r = wa_cert_issue_chain(&pe->root, pe->ss.pub, NULL,
		    &cert)) != 0 ||
		    (r = u_buf_add(&pe->cert, cert.p, cert.len)) != 0 ||
		    (r = wa_noise_write_server_hello(pe->hs, cert.p, cert.len,
		    &msg)) != 0 ||
		    (r = wa_frame_write(&out, msg.p, msg.len)) != 0)
			break;
		break;
	case 1:
		if ((r = wa_noise_read_client_finish(pe->hs, p, len, &payload,
		    &plen)) != 0 ||
		    (r = wa_noise_hs_split(pe->hs, &pe->t)) != 0)
			break;
		u_buf_add(&msg, wa_noise_hs_remote_static(pe->hs), 32);
		cry_sha256(payload, plen, hash);
		u_buf_add(&msg, hash, sizeof(hash));
		summarize(&msg, payload, plen);
		u_buf_printf(&msg, " cert=");
		hex(&msg, pe->cert.p, pe->cert.len);
		r = wa_noise_encrypt_frame(pe->t, msg.p, msg.len, &out);
		break;
	default:
		if ((r = wa_noise_decrypt(pe->t, p, len, &pt)) != 0)
			break;
		u_buf_add(&msg, "echo:", 5);
		u_buf_add(&msg, pt.p, pt.len);
		r = wa_noise_encrypt_frame(pe->t, msg.p, msg.len, &out);
		break;
	}
	if (r == 0 && out.len > 0 && write_all(out.p, out.len) != 0)
		r = U_ERR_IO;
	if (r != 0)
		fprintf(stderr, "error frame %d: %s\n", pe->nframes - 1,
		    u_strerror(r));
	free(payload);
	u_buf_free(&out);
	u_buf_free(&cert);
	u_buf_free(&msg);
	u_buf_free(&pt);
	return r;
}

int
main(int argc, char **argv)
{
	struct peer pe;
	struct wa_frame_dec dec;
	uint8_t buf[4096];
	ssize_t n;
	size_t i;
	int r = 0;

	if (argc != 2 || strcmp(argv[1], "server") != 0) {
		fprintf(stderr, "usage: wa_noise_peer server\n");
		return 2;
	}
	cry_init();
	wa_errors_register();
	memset(&pe, 0, sizeof(pe));
	u_buf_init(&pe.cert, 0);
	cry_keypair_generate(&pe.root);
	cry_keypair_generate(&pe.ss);
	fprintf(stderr, "root ");
	for (i = 0; i < 32; i++)
		fprintf(stderr, "%02x", pe.root.pub[i]);
	fprintf(stderr, "\n");
	fflush(stderr);
	wa_frame_dec_init(&dec, 0, WA_FRAME_DEC_INTRO);
	pe.dec = &dec;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if ((r = wa_frame_dec_feed(&dec, buf, (size_t)n, on_frame,
		    &pe)) != 0)
			break;
	if (r == 0 && pe.t == NULL) {
		fprintf(stderr, "error: input ended before the handshake\n");
		r = WA_ERR_HANDSHAKE;
	}
	wa_frame_dec_free(&dec);
	wa_noise_hs_free(pe.hs);
	wa_noise_transport_free(pe.t);
	u_buf_free(&pe.cert);
	return r == 0 ? 0 : 1;
}
