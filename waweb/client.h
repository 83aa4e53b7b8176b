/*
 * client.h: ponton's WhatsApp Web multi-device client connection.
 *
 * One struct wa_client is one companion device: it connects to the
 * WhatsApp websocket (wss://web.whatsapp.com/ws/chat, or a loopback ws://
 * URL for tests), runs the Noise handshake with the server certificate
 * chain checked against WhatsApp's root key (or a configured trust root;
 * the check cannot be switched off), logs in with the stored device or
 * pairs a new one (QR code or phone-number pairing code), keeps the link
 * alive, uploads prekeys, and reconnects with backoff.
 *
 * It does not decrypt messages or know about chats: every stanza it does
 * not handle itself is passed to cbs->on_node.
 *
 * Threading: everything runs on the u_loop given to wa_client_new; the
 * callbacks are called from the loop.  A callback may call any wa_client_*
 * function except wa_client_free (call it after the loop turn, e.g. from a
 * u_loop_defer'd function).
 *
 * States (wa_client_state; each change is logged "old -> new" and reported
 * through cbs->on_state):
 *   IDLE            not started, or stopped by wa_client_stop
 *   CONNECTING      opening the websocket, Noise handshake
 *   PAIRING         no stored session: showing QR codes / pairing code
 *   LOGGING_IN      handshake done with a stored session, waiting <success>
 *   CONNECTED       logged in, stanzas flow
 *   WAIT_RECONNECT  connection lost (network, 503, 515, bad frame):
 *                   reconnecting after an exponential backoff with jitter
 *   LOGGED_OUT      the phone removed this device (401/403/406): the
 *                   session was wiped from the store; pair again
 *   STREAM_REPLACED another connection took this session over; not retried
 *   CLIENT_OUTDATED the server refused our WhatsApp Web version (405); set a
 *                   newer ponton.whatsapp.web_version and restart
 *   BANNED          temporary ban (402): not retried
 *   PAIR_TIMEOUT    the QR codes ran out without a scan; start again
 */
#ifndef PONTON_WAWEB_CLIENT_H
#define PONTON_WAWEB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/loop.h"
#include "waweb/store.h"

struct wa_node;
struct wa_client;

enum wa_state {
	WA_STATE_IDLE = 0,
	WA_STATE_CONNECTING,
	WA_STATE_PAIRING,
	WA_STATE_LOGGING_IN,
	WA_STATE_CONNECTED,
	WA_STATE_WAIT_RECONNECT,
	WA_STATE_LOGGED_OUT,
	WA_STATE_STREAM_REPLACED,
	WA_STATE_CLIENT_OUTDATED,
	WA_STATE_BANNED,
	WA_STATE_PAIR_TIMEOUT,
	WA_STATE_COUNT_
};

/* "IDLE", "CONNECTING", ... (never NULL). */
const char *wa_state_name(enum wa_state s);
/* Whether the client stays in s until the caller acts (no reconnect). */
int wa_state_is_terminal(enum wa_state s);

/* The production endpoint and the headers real web clients send. */
#define WA_URL_DEFAULT "wss://web.whatsapp.com/ws/chat"
#define WA_ORIGIN "https://web.whatsapp.com"
/* WhatsApp Web version used when neither the config nor the store has one. */
#define WA_WEB_VERSION_DEFAULT "2.3000.1045649367"

/* Keepalive: whatsmeow pings every 20-30 s and gives a reply 10 s. */
#define WA_KEEPALIVE_MIN_MS 20000
#define WA_KEEPALIVE_MAX_MS 30000
#define WA_KEEPALIVE_DEADLINE_MS 10000
/* Default deadline of an iq sent without one. */
#define WA_IQ_TIMEOUT_MS 60000
/* Reconnect backoff: 1 s doubling to 2 min, +-20% jitter (u_backoff_ms). */
#define WA_BACKOFF_BASE_MS 1000
#define WA_BACKOFF_MAX_MS 120000
/* QR: the first ref is shown 60 s, every later one 20 s (as the clients do). */
#define WA_QR_FIRST_MS 60000
#define WA_QR_NEXT_MS 20000
/* Prekeys: top up below 5 on the server, 50 per batch, 812 the first time. */
#define WA_PREKEY_MIN 5
#define WA_PREKEY_BATCH 50
#define WA_PREKEY_INITIAL 812

struct wa_client_cbs {
	/* Every state change; reason is a short human text (borrowed). */
	void	(*on_state)(void *arg, enum wa_state old, enum wa_state cur,
		    const char *reason);
	/* A QR string to show (today's 5-field wa.me URL), each rotation. */
	void	(*on_qr)(void *arg, const char *qr);
	/* The 8-character pairing code ("ABCD-EFGH") for --phone pairing. */
	void	(*on_pair_code)(void *arg, const char *code);
	/* Pairing accepted and saved; jid/lid are the device's own. */
	void	(*on_paired)(void *arg, const char *jid, const char *lid,
		    const char *platform);
	/* Logged in and active (after prekeys and passive/active). */
	void	(*on_connected)(void *arg);
	/* <ib><offline count=N/></ib>: the offline queue has been delivered. */
	void	(*on_offline_done)(void *arg, unsigned count);
	/* Any stanza the client does not handle itself (borrowed). */
	void	(*on_node)(void *arg, const struct wa_node *n);
};

struct wa_client_opts {
	const char	*url;		/* NULL: WA_URL_DEFAULT; ws:// only to loopback */
	/* 32-byte Curve25519 trust root for the server certificate chain;
	 * NULL: WhatsApp's own root key. */
	const uint8_t	*trust_root;
	const char	*os_name;	/* DeviceProps.os; NULL: "ponton" */
	const char	*browser_name;	/* "chrome", "firefox", ...; NULL: unknown */
	const char	*web_version;	/* "2.3000.N"; NULL: cached, else default */
	const char	*device_jid;	/* stored device to use; NULL: the first */
	/* With device_jid NULL: load no stored device, pair a new one (the
	 * bridge adds a login while others are stored). */
	int		 pair_new;
	/* Pairing by phone number (digits, with or without '+'): request a
	 * pairing code instead of showing QR codes.  NULL: QR. */
	const char	*pair_phone;
	/* Tests shorten the QR rotation; 0: WA_QR_FIRST_MS / WA_QR_NEXT_MS. */
	unsigned	 qr_first_ms;
	unsigned	 qr_next_ms;
	/* Tests shorten keepalives: ping interval and reply deadline;
	 * 0: every WA_KEEPALIVE_MIN_MS..MAX_MS, WA_KEEPALIVE_DEADLINE_MS. */
	unsigned	 keepalive_ms;
	/* Tests shorten reconnects; 0: WA_BACKOFF_BASE_MS / WA_BACKOFF_MAX_MS. */
	unsigned	 backoff_base_ms;
	unsigned	 backoff_max_ms;
};

/*
 * A client on loop using the store (ops/store_arg borrowed, must outlive
 * the client).  opts strings are copied.  Never NULL.
 */
struct wa_client *wa_client_new(struct u_loop *loop,
    const struct wa_client_opts *opts, const struct wa_store_ops *ops,
    void *store_arg, const struct wa_client_cbs *cbs, void *cb_arg);
/* Stop (if running) and free; NULL is a no-op.  Not from the client's
 * own callbacks (u_loop_defer it); any other loop callback is fine. */
void wa_client_free(struct wa_client *c);
/*
 * Release what all clients on loop share (the libwebsockets context).
 * Call once at exit, after the last wa_client_free and before u_loop_free,
 * outside any loop callback: it runs the loop briefly so that
 * libwebsockets can close its handles.
 */
void wa_client_shutdown(struct u_loop *loop);
/*
 * Connect (and keep reconnecting).  Errors: U_ERR_INVALID for a URL that is
 * not wss://, or ws:// to a non-loopback host; a store error.
 */
int wa_client_start(struct wa_client *c);
/* Close the connection and go IDLE; pending iqs fail. */
void wa_client_stop(struct wa_client *c);
enum wa_state wa_client_state(const struct wa_client *c);
/* The device (borrowed; jid NULL until paired). */
const struct wa_device *wa_client_device(const struct wa_client *c);

/*
 * The reply to an iq: res is the <iq type=result|error> node (borrowed), or
 * NULL with err < 0 when the deadline passed or the connection dropped.
 */
typedef void (*wa_iq_cb)(void *arg, const struct wa_node *res, int err);
/*
 * Send an iq; an "id" attribute is set.  The client takes ownership of iq.
 * cb (may be NULL) is called exactly once.  timeout_ms 0: WA_IQ_TIMEOUT_MS.
 * Errors: WA_ERR_NOT_CONNECTED (cb is not called).
 */
int wa_client_send_iq(struct wa_client *c, struct wa_node *iq,
    unsigned timeout_ms, wa_iq_cb cb, void *arg);
/* Send any stanza; the client takes ownership.  Errors as above. */
int wa_client_send_node(struct wa_client *c, struct wa_node *n);
/*
 * <ack id class=<tag> [type] to=<from>> for a received notification,
 * message or receipt (borrowed).  Stanzas handed to on_node are not acked
 * by the client: the caller acks them once handled.  Errors as above;
 * U_ERR_INVALID if n has no id or from.
 */
int wa_client_send_ack(struct wa_client *c, const struct wa_node *n);

#endif
