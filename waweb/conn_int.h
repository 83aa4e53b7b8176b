/*
 * conn_int.h: helpers shared inside waweb/ by the client connection
 * (conn.c), its state rules (conn_state.c), pairing (pair.c, paircode.c)
 * and prekeys (prekeys.c).  Not for other modules.
 */
#ifndef PONTON_WAWEB_CONN_INT_H
#define PONTON_WAWEB_CONN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cry.h"
#include "util/buf.h"
#include "util/loop.h"
#include "waweb/client.h"
#include "waweb/frame.h"
#include "waweb/jid.h"
#include "waweb/noise.h"
#include "waweb/store.h"
#include "waweb/ws.h"

/* What to do when the server ends the stream or refuses the login. */
struct wa__disconnect {
	enum wa_state	 next;		/* WAIT_RECONNECT or a terminal state */
	int		 wipe_session;	/* delete the device from the store */
	int		 immediate;	/* reconnect at once (515 after pairing) */
	const char	*reason;	/* static text */
};

/*
 * <stream:error code=... ><conflict type=...>: code and conflict_type may be
 * NULL when absent.  Follows whatsmeow's connectionevents.go.
 */
void wa__classify_stream_error(const char *code, const char *conflict_type,
    struct wa__disconnect *out);
/* <failure reason=N> received instead of <success>. */
void wa__classify_failure(unsigned reason, struct wa__disconnect *out);
/* A transport error: close, bad frame, bad certificate, keepalive timeout. */
void wa__classify_transport(const char *why, struct wa__disconnect *out);
/* Delay before reconnect attempt `attempt` (0-based), with jitter. */
uint64_t wa__reconnect_delay(unsigned attempt, unsigned base_ms,
    unsigned max_ms);
/* Whether old -> cur is a transition the client may make. */
int wa__state_transition_ok(enum wa_state old, enum wa_state cur);

/*
 * The QR platform id (5th field) for a browser name ("chrome" -> "1", ...,
 * unknown -> "9", the "other web client" whatsmeow sends by default), and
 * the DeviceProps.PlatformType enum value for it.
 */
const char *wa__qr_platform_id(const char *browser_name);
unsigned wa__device_platform_type(const char *browser_name);
/*
 * The QR string: "https://wa.me/settings/linked_devices#" ref "," base64
 * noise pub "," base64 identity pub "," base64 ADV secret "," platform id.
 * Returns an owned string, or NULL if ref is not printable ASCII or longer
 * than WA_QR_REF_MAX.
 */
#define WA_QR_REF_MAX 256
#define WA_QR_PREFIX "https://wa.me/settings/linked_devices#"
char *wa__qr_string(const uint8_t *ref, size_t ref_len,
    const struct wa_device *dev, const char *platform_id);

/* ClientPayload (payload.c). */
struct wa__payload_opts {
	uint32_t	 version[3];	/* WhatsApp Web version */
	const char	*os_name;	/* DeviceProps.os; NULL: "ponton" */
	const char	*browser_name;	/* DeviceProps.platform_type */
	const char	*push_name;	/* may be NULL */
};
/* Parse "2.3000.1045649367".  Errors: U_ERR_INVALID. */
int wa__web_version_parse(const char *s, uint32_t v[3]);
/*
 * Append the serialized ClientPayload for a registration (dev has only
 * keys) or a login (dev->jid is set) to out.  Errors: U_ERR_INVALID (login
 * without a numeric JID), U_ERR_TOO_BIG.
 */
int wa__client_payload(const struct wa_device *dev,
    const struct wa__payload_opts *o, int registration, struct u_buf *out);

/* Reaching into the client from prekeys.c (conn.c). */
struct wa_node;
struct wa_device *wa__client_dev(struct wa_client *c);
const struct wa_store_ops *wa__client_store(struct wa_client *c, void **arg);
const char *wa__client_prefix(struct wa_client *c);
/* <iq xmlns type to=s.whatsapp.net> with an optional child (owned). */
struct wa_node *wa__new_iq(const char *xmlns, const char *type,
    struct wa_node *child);

/* Prekeys (prekeys.c).  done(arg, err) is called exactly once; err is
 * WA_ERR_NOT_CONNECTED if the connection went away meanwhile. */
typedef void (*wa__done_fn)(void *arg, int err);
/* Ask the server how many prekeys it holds; top up if below
 * WA_PREKEY_MIN (WA_PREKEY_INITIAL the first time), then done. */
void wa__prekeys_check(struct wa_client *c, wa__done_fn done, void *arg);
/* Upload a batch now (initial: WA_PREKEY_INITIAL, else WA_PREKEY_BATCH).
 * done may be NULL. */
void wa__prekeys_upload(struct wa_client *c, int initial, wa__done_fn done,
    void *arg);
/* The <iq xmlns=encrypt type=set> upload stanza for n prekeys (owned). */
struct wa_node *wa__prekeys_upload_node(const struct wa_device *dev,
    const uint32_t *ids, const uint8_t (*pubs)[WA_KEY_LEN], unsigned n);

/* Pairing code (paircode.c). */
#define WA_PAIRCODE_LEN 8
#define WA_PAIRCODE_WRAPPED_LEN 80
/* PBKDF2-HMAC-SHA256 rounds on the code (2 << 16, as both clients do). */
#define WA_PAIRCODE_PBKDF2_ROUNDS 131072
/* 5 random bytes -> 8 characters of 123456789ABCDEFGHJKLMNPQRSTVWXYZ. */
void wa__paircode_encode(const uint8_t rnd[5], char out[WA_PAIRCODE_LEN + 1]);
/*
 * wrapped = salt(32) || iv(16) || AES-256-CTR(PBKDF2(code, salt), iv, pub)
 * and its inverse.  Errors: WA_ERR_INTERNAL (crypto library failure).
 */
int wa__paircode_wrap(const char *code, const uint8_t salt[32],
    const uint8_t iv[16], const uint8_t pub[32],
    uint8_t out[WA_PAIRCODE_WRAPPED_LEN]);
int wa__paircode_unwrap(const char *code,
    const uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN], uint8_t pub[32]);

/* --- The client (conn.c owns it; login.c and prekeys.c reach in) ------ */

/*
 * Largest frame we accept from the server.  History sync blobs come by
 * media download, not inline; the biggest inline stanzas (group metadata,
 * offline batches) stay well under 4 MiB.  16 MiB - 1 is the wire limit.
 */
#define CONN_FRAME_MAX ((size_t)16 << 20)
/* How many QR refs we keep from one pair-device (the server sends 6). */
#define CONN_QR_REFS_MAX 16
/* Outstanding iqs: far above what the client has in flight. */
#define CONN_IQ_MAX 4096

struct iq_wait {
	struct iq_wait	*next;
	char		 id[32];
	uint64_t	 deadline;	/* u_loop_now ms */
	wa_iq_cb	 cb;
	void		*arg;
};

struct wa_client {
	struct u_loop		*loop;		/* borrowed */
	const struct wa_store_ops *ops;		/* borrowed */
	void			*sarg;
	struct wa_client_cbs	 cbs;
	void			*cbarg;
	char			 prefix[48];

	/* options (owned copies) */
	char			*url_s;
	struct wa__url		 url;
	uint8_t			 root[CRY_KEY_LEN];
	int			 has_root;
	char			*os_name, *browser_name, *web_version;
	char			*device_jid, *pair_phone;
	int			 pair_new;
	unsigned		 qr_first_ms, qr_next_ms;
	unsigned		 backoff_base_ms, backoff_max_ms;
	unsigned		 keepalive_ms;	/* 0: production timings */

	struct wa_device	 dev;
	int			 have_dev;
	uint32_t		 version[3];
	char			 version_s[40];

	enum wa_state		 state;
	unsigned		 attempt;	/* reconnects since the last success */
	int			 started;
	struct wa__ws		*ws;		/* owned */
	struct u_timer		*t_reconnect, *t_keepalive, *t_qr, *t_iq;

	/* Per connection. */
	int			 connected;	/* websocket open */
	struct wa_frame_dec	 dec;
	int			 dec_init;
	struct wa_noise_hs	*hs;		/* owned, during the handshake */
	struct wa_noise_transport *tr;		/* owned, after it */
	int			 in_feed;
	int			 has_pending;
	struct wa__disconnect	 pending;
	int			 stop_pending;
	struct iq_wait		*iqs;		/* owned list */
	unsigned		 niqs;
	unsigned		 iq_counter;
	char			 iq_prefix[24];
	int			 keepalive_out;
	int			 logged_in;
	/* QR */
	char			*refs[CONN_QR_REFS_MAX];	/* owned */
	size_t			 nrefs, ref_idx;
	/* Pairing code */
	int			 pc_sent;
	struct cry_keypair	 pc_eph;
	char			 pc_code[WA_PAIRCODE_LEN + 1];
	uint8_t			*pc_ref;	/* owned */
	size_t			 pc_ref_len;
	char			 pc_jid[WA_JID_STR_MAX];
};

/* conn.c: sending and giving up, for login.c and prekeys.c. */
int wa__send_node(struct wa_client *c, const struct wa_node *n);
void wa__set_server_to(struct wa_node *n);
/* <iq type=result id=<req id> to=s.whatsapp.net>. */
void wa__ack_iq(struct wa_client *c, const struct wa_node *req);
/* Drop the connection and reconnect with backoff (why: static text). */
void wa__fail_transport(struct wa_client *c, const char *why);
/* Apply d now, or after the current frame feed when inside one. */
void wa__request_disconnect(struct wa_client *c, const struct wa__disconnect *d);

/* login.c */
void wa__qr_fire(void *arg);
void wa__handle_pair_device(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *pd);
void wa__handle_pair_success(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *ps);
void wa__handle_pair_code_notification(struct wa_client *c,
    const struct wa_node *reg);
/* Forget refs, timers and pairing-code state of the connection. */
void wa__pairing_reset(struct wa_client *c);
/* The JID value of key (JID- or string-typed), formatted; owned or NULL. */
char *wa__attr_jid_string(const struct wa_node *n, const char *key);

#endif
