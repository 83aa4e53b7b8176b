/*
 * wasim.h: the WhatsApp server simulator's internal interface (one program
 * from the .c files of test/wasim/, built as $(BUILD)/san/wasim and
 * $(BUILD)/rel/wasim).
 *
 * What wasim is: a WebSocket server on 127.0.0.1 that speaks WhatsApp Web's
 * frame layer, the Noise XX responder with its own test certificate chain,
 * the binary node protocol, and enough of the server's stanzas for real
 * clients (Baileys, whatsmeow, ponton) to pair with a simulated phone, log in
 * and reach "open", then exchange 1:1 and group messages, receipts,
 * presence and media through it.  A second loopback port serves an admin
 * HTTP API (JSON) that tests use to scan QR codes, enter pairing codes,
 * create accounts, list devices and groups and inject stream errors and
 * login failures; a third serves media over HTTPS.  See
 * test/wasim/README.md.
 *
 * What it is not: a Signal peer.  Messages are routed as opaque <enc>
 * copies; the simulated phones never decrypt anything and send nothing but
 * pairing stanzas (no app state, no history sync).
 *
 * Files:
 *   main.c    command line, start-up, port and root-key files
 *   server.c  libwebsockets context (ws + admin vhosts) on the u_loop
 *   conn.c    one client connection: frames, Noise, node dispatch, close
 *   iq.c      answers to the iqs clients send (wa-protocol.md §14.3)
 *   pair.c    QR and pairing-code pairing, pair-success, pair-device-sign
 *   dir.c     accounts (simulated phones) and their devices
 *   route.c   1:1 message and receipt delivery, offline queues
 *   group.c   groups: create, metadata, group message fan-out
 *   presence.c  presence (available, subscribe), chat states, devices
 *             notifications
 *   media.c   HTTPS media upload/download, media_conn
 *   admin.c   the admin HTTP API
 *   appstate.c  app state sync: encrypted patches stored per account and
 *             collection, server_sync notifications
 *
 * Invariants: one thread, everything on the u_loop; every server socket is
 * bound to a loopback address (main.c refuses anything else); all client
 * input is bounded (limits below) and bad input closes that connection only.
 */
#ifndef PONTON_WASIM_H
#define PONTON_WASIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cry.h"
#include "util/buf.h"
#include "util/loop.h"
#include "waweb/jid.h"
#include "waweb/node.h"

struct lws;
struct lws_context;
struct lws_vhost;

/* --- Limits --------------------------------------------------------------- */
/* Pending outgoing bytes per connection before we give up on a slow reader. */
#define SIM_OUT_MAX		((size_t)64 << 20)
/* A handshake message is < 1 KiB; a ClientPayload a few hundred bytes. */
#define SIM_HANDSHAKE_MAX	((size_t)64 << 10)
/* Largest frame a client may send us (prekey uploads are ~40 KiB). */
#define SIM_FRAME_MAX		((size_t)4 << 20)
/* Admin request bodies: a QR string, a small JSON object. */
#define SIM_ADMIN_BODY_MAX	((size_t)64 << 10)
/* Refs in one pair-device, as the real server sends. */
#define SIM_QR_REFS		6
#define SIM_REF_LEN		48
/* Devices per account: the real limit is 4 companions + phone; keep room. */
#define SIM_MAX_DEVICES		64
/* One-time prekeys kept per device (Baileys uploads 812 at first). */
#define SIM_MAX_PREKEYS		2048
/* One media blob, and all of them (media.c; tests send small files). */
#define SIM_MEDIA_MAX		((size_t)16 << 20)
#define SIM_MEDIA_TOTAL		((size_t)256 << 20)
/* Uploads whose sockets get a forced read in one loop turn (media.c). */
#define SIM_MEDIA_KICK_MAX	64
/* Presence subscriptions per connection. */
#define SIM_MAX_SUBS		256
/* Stanzas queued for a device that is not connected, and their bytes. */
#define SIM_MAX_QUEUE		1000
#define SIM_MAX_QUEUE_BYTES	((size_t)32 << 20)
/* Groups, and members per group (real groups allow 1024). */
#define SIM_MAX_GROUPS		1024
#define SIM_MAX_GROUP_MEMBERS	256
/* Group description (2048 characters in the apps), picture, and the short
 * tokens (invite codes, description ids). */
#define SIM_GROUP_DESC_MAX	8192
#define SIM_GROUP_PICTURE_MAX	((size_t)1 << 20)
#define SIM_GROUP_TOKEN_MAX	32
/* Outstanding add_request codes (privacy-refused adds) kept per group. */
#define SIM_GROUP_ADD_REQUESTS	16
/* Pending join requests (approval mode) kept per group. */
#define SIM_GROUP_JOIN_REQUESTS	64
/* Accounts in one simulator. */
#define SIM_MAX_ACCOUNTS	4096
/*
 * After a stream error or failure is written, how long we wait for the
 * client to close first.  Closing at once races with the client's handling
 * of the last frame (Baileys then sees a plain close instead of the 515).
 */
#define SIM_CLOSE_LINGER_MS	2000
/* A registering connection is closed this long after its last ref expired. */
#define SIM_PAIR_SLACK_MS	5000
/* Live connections. */
#define SIM_MAX_CONNS		1024

/* --- Options -------------------------------------------------------------- */
struct sim_opts {
	const char	*host;		/* borrowed; loopback only */
	int		 port;		/* 0: any free port */
	int		 admin_port;	/* 0: any free port */
	int		 media_port;	/* 0: any free port (HTTPS) */
	int		 wss_port;	/* -1: no TLS websocket; 0: any free */
	const char	*port_file;	/* borrowed; NULL: none */
	const char	*root_pub_file;	/* borrowed; NULL: none */
	const char	*state_dir;	/* borrowed; NULL: keys are fresh */
	uint64_t	 qr_first_ms;	/* validity of the first ref */
	uint64_t	 qr_next_ms;	/* validity of each following ref */
	uint64_t	 offline_delay_ms; /* <ib><offline> at the latest */
	bool		 cert_fault_leaf_key; /* leaf not for our static key */
};

/* --- Directory: accounts (phones) and devices ------------------------------ */
struct sim_prekey {
	uint32_t	id;
	uint8_t		pub[CRY_KEY_LEN];
};

struct sim_device {
	uint16_t		 id;		/* >= 1 for companions */
	uint32_t		 key_index;
	uint8_t			 noise_pub[CRY_KEY_LEN];
	uint8_t			 identity_pub[CRY_KEY_LEN];
	uint32_t		 reg_id;
	uint32_t		 skey_id;
	uint8_t			 skey_pub[CRY_KEY_LEN];
	uint8_t			 skey_sig[CRY_SIG_LEN];
	bool			 has_skey;
	struct sim_prekey	*prekeys;	/* owned array */
	size_t			 nprekeys;
	char			*push_name;	/* owned; may be NULL */
	char			*platform;	/* owned; companion platform id */
	struct sim_conn		*conn;		/* borrowed: live connection */
	bool			 removed;
	struct wa_node		**queue;	/* owned: stanzas for the next login */
	size_t			 nqueue;
	size_t			 queue_bytes;	/* their encoded size */
};

struct sim_account {
	char			 phone[WA_JID_USER_MAX + 1];	/* PN user */
	char			 lid[WA_JID_USER_MAX + 1];	/* LID user */
	char			*push_name;	/* owned */
	char			*biz_name;	/* owned; NULL: personal */
	char			*platform;	/* owned: the phone's, e.g. "android" */
	struct cry_keypair	 identity;	/* ADV account key = device-0 identity */
	struct cry_keypair	 phone_skey;	/* the phone's signed prekey */
	uint32_t		 phone_skey_id;
	uint8_t			 phone_skey_sig[CRY_SIG_LEN];
	uint32_t		 raw_id;
	uint32_t		 next_key_index;
	uint16_t		 next_device;
	int64_t			 created;
	struct sim_device	*devices[SIM_MAX_DEVICES];	/* owned */
	size_t			 ndevices;
	bool			 available;	/* presence */
	int64_t			 last_seen;
	/* Admin-injected: the next login_failures logins get <failure>. */
	char			 login_failure[9];
	unsigned		 login_failures;
	/* Admin-injected: the next message_errors messages sent by this
	 * account are refused with <ack class=message error=...> and not
	 * routed (463: the privacy token / reachability check). */
	char			 message_error[9];
	unsigned		 message_errors;
	/* Admin-injected (POST /admin/privacy): adds of this account to a
	 * group are refused with 403 and an <add_request>. */
	bool			 refuse_group_add;
};

/* --- Groups ---------------------------------------------------------------- */
struct sim_member {
	struct sim_account	*account;	/* borrowed */
	const char		*admin;		/* static: NULL, "admin", "superadmin" */
};

/* A privacy-refused add: the code the refused account may accept. */
struct sim_add_request {
	struct sim_account	*account;	/* borrowed; NULL: free slot */
	char			 code[SIM_GROUP_TOKEN_MAX + 1];
	int64_t			 expiration;
};

struct sim_group {
	char			 id[40];	/* user part of <id>@g.us */
	char			*subject;	/* owned */
	struct sim_account	*creator;	/* borrowed */
	int64_t			 creation;
	struct sim_member	 members[SIM_MAX_GROUP_MEMBERS];
	size_t			 nmembers;
	/* Settings and extras (group.c; not kept across restarts). */
	char			*description;	/* owned; NULL: none */
	char			 desc_id[SIM_GROUP_TOKEN_MAX + 1];
	int64_t			 desc_t;
	char			 invite[SIM_GROUP_TOKEN_MAX + 1];	/* "" none */
	bool			 announce, locked, approval;
	uint32_t		 ephemeral;
	uint8_t			*picture;	/* owned JPEG; NULL: none */
	size_t			 picture_len;
	uint64_t		 picture_id;
	struct sim_add_request	 add_requests[SIM_GROUP_ADD_REQUESTS];
	size_t			 next_add_request;	/* ring index */
	struct sim_account	*join_requests[SIM_GROUP_JOIN_REQUESTS];	/* borrowed */
	int64_t			 join_request_t[SIM_GROUP_JOIN_REQUESTS];
	size_t			 njoin_requests;
};

/* --- Connections ------------------------------------------------------------ */
enum sim_conn_state {
	SIM_CONN_HELLO,		/* waiting for ClientHello */
	SIM_CONN_FINISH,	/* ServerHello sent, waiting for ClientFinish */
	SIM_CONN_PAIRING,	/* registration: pair-device sent, waiting for a scan */
	SIM_CONN_PAIR_SENT,	/* pair-success sent, waiting for pair-device-sign */
	SIM_CONN_LOGGED_IN,	/* <success> sent */
	SIM_CONN_CLOSING,	/* flush what is queued, then close */
};

struct sim_noise;
struct sim_blob;
struct sim_appstate;
struct json_t;

/* Registration data from ClientPayload.devicePairingData. */
struct sim_reg {
	uint32_t	reg_id;
	uint8_t		identity_pub[CRY_KEY_LEN];
	uint32_t	skey_id;
	uint8_t		skey_pub[CRY_KEY_LEN];
	uint8_t		skey_sig[CRY_SIG_LEN];
	char		push_name[64];
};

/* Pairing-code state of a registering connection (companion_hello). */
struct sim_paircode {
	bool		active;
	char		phone[WA_JID_USER_MAX + 1];
	uint8_t		wrapped_companion_eph[80];
	uint8_t		ref[32];
	size_t		ref_len;
	char		platform_id[8];
	char		platform_display[64];
	/* Set by the admin "enter code" step. */
	bool		entered;
	char		code[9];
	struct cry_keypair phone_eph;
	struct sim_account *account;	/* borrowed */
};

struct sim_conn {
	struct sim		*sim;		/* borrowed */
	struct lws		*wsi;		/* borrowed; NULL once closed */
	unsigned		 serial;	/* for log prefixes and the admin API */
	char			 prefix[48];
	enum sim_conn_state	 state;
	struct sim_noise	*noise;		/* owned */
	void			*frame_dec;	/* owned struct wa_frame_dec */
	struct u_buf		 out;		/* owned: encoded frames to write */
	bool			 close_after_flush;
	bool			 close_now;	/* linger over: close */
	struct u_timer		*close_timer;	/* owned */
	bool			 dead;		/* lws closed it; reap after the turn */
	uint8_t			 client_static[CRY_KEY_LEN];
	/* Registration. */
	bool			 registering;
	struct sim_reg		 reg;
	char			 refs[SIM_QR_REFS][SIM_REF_LEN + 1];
	uint64_t		 refs_issued_ms;
	struct u_timer		*pair_timer;	/* owned: all refs expired */
	uint8_t			 adv_secret[32];
	struct sim_account	*pair_account;	/* borrowed */
	uint16_t		 pair_device;
	uint32_t		 pair_key_index;
	char			 pair_iq_id[32];
	uint8_t			*pair_details;	/* owned ADVDeviceIdentity bytes */
	size_t			 pair_details_len;
	struct sim_paircode	 paircode;
	/* Login. */
	struct sim_account	*account;	/* borrowed */
	struct sim_device	*device;	/* borrowed */
	bool			 offline_sent;
	struct u_timer		*offline_timer;	/* owned */
	struct sim_account	*subs[SIM_MAX_SUBS];	/* borrowed: presence subscriptions */
	size_t			 nsubs;
	/* Counters the admin API shows (tests assert on them). */
	unsigned		 iq_count;
	unsigned		 unknown_iq_count;
	struct sim_conn		*next;		/* list in struct sim */
};

/*
 * Recently routed 1:1 message ids and how their sender addressed the chat
 * (PN or LID): receipts for them come back in the same form, as clients
 * key their message caches by the JID they sent to.
 */
#define SIM_SENT_RING		4096
#define SIM_MSG_ID_MAX		64
struct sim_sent {
	char			 id[SIM_MSG_ID_MAX + 1];
	struct sim_account	*sender;	/* borrowed */
	bool			 pn;
};

/* --- The simulator ----------------------------------------------------------- */
struct sim {
	struct sim_opts		 opts;
	struct u_loop		*loop;		/* borrowed */
	struct lws_context	*lws;		/* owned */
	struct lws_vhost	*vh_ws;		/* borrowed from lws */
	struct lws_vhost	*vh_admin;	/* borrowed from lws */
	struct lws_vhost	*vh_media;	/* borrowed from lws */
	struct lws_vhost	*vh_wss;	/* borrowed from lws; NULL: none */
	int			 ws_port;
	int			 admin_port;
	int			 media_port;
	int			 wss_port;	/* 0: no TLS websocket */
	char			*media_cert_pem;	/* owned */
	char			*media_key_pem;		/* owned */
	char			 media_auth[48];
	struct sim_blob		*blobs;		/* owned list */
	size_t			 media_bytes;
	bool			 media_kick;	/* a forced lws service is queued */
	int			 media_kick_fds[SIM_MEDIA_KICK_MAX];
	size_t			 nmedia_kick;
	struct cry_keypair	 root;		/* test root of the cert chain */
	struct cry_keypair	 server_static;	/* Noise static key */
	struct u_buf		 cert_chain;	/* serialized CertChain */
	struct sim_account	*accounts[SIM_MAX_ACCOUNTS];	/* owned */
	size_t			 naccounts;
	uint64_t		 next_phone;	/* for auto-created accounts */
	uint64_t		 next_lid;
	struct sim_sent		 sent[SIM_SENT_RING];
	size_t			 sent_next;
	struct sim_group	*groups[SIM_MAX_GROUPS];	/* owned */
	size_t			 ngroups;
	unsigned		 next_group;
	struct sim_conn		*conns;		/* owned list */
	unsigned		 next_conn_serial;
	unsigned		 next_iq;	/* server-generated iq ids */
	struct sim_appstate	*appstate;	/* owned (appstate.c); NULL: none yet */
	bool			 reap_scheduled;
	bool			 stopping;
};

/* main.c */
int64_t sim_now(void);

/* server.c */
int sim_server_start(struct sim *s);
void sim_server_stop(struct sim *s);
/* Ask lws for a writable callback on c (after queueing output). */
void sim_server_want_write(struct sim_conn *c);

/* conn.c: called by server.c */
struct sim_conn *sim_conn_new(struct sim *s, struct lws *wsi);
/* Bytes of one websocket message; returns -1 if the connection must close. */
int sim_conn_on_data(struct sim_conn *c, const void *p, size_t n);
/*
 * Write as much queued output as lws takes; returns -1 to close now
 * (after a flushed close_after_flush).
 */
int sim_conn_on_writable(struct sim_conn *c);
/* lws closed the socket: forget wsi, detach from the device, reap later. */
void sim_conn_on_closed(struct sim_conn *c);
void sim_conn_free(struct sim_conn *c);

/* conn.c: used by iq.c, pair.c, admin.c */
/* Encode, encrypt and queue n (borrowed).  Errors close the connection. */
int sim_conn_send(struct sim_conn *c, const struct wa_node *n);
/* Queue n, then close once it is written. */
void sim_conn_send_and_close(struct sim_conn *c, const struct wa_node *n);
/* A fresh server iq id, e.g. "wasim-17". */
void sim_next_id(struct sim *s, char *buf, size_t size);
void sim_conn_set_state(struct sim_conn *c, enum sim_conn_state st);
const char *sim_conn_state_name(enum sim_conn_state st);
/* <success>, then the post-login sequence (offline marker). */
void sim_conn_login_success(struct sim_conn *c);
/* Stream errors: code "515", "401" (+conflict type), "503"...; conflict NULL for none. */
void sim_conn_stream_error(struct sim_conn *c, const char *code,
    const char *conflict);
void sim_conn_failure(struct sim_conn *c, const char *reason);
/* Send <ib><offline count=0/></ib> now unless already sent. */
void sim_conn_offline_now(struct sim_conn *c);

/* iq.c */
void sim_iq_handle(struct sim_conn *c, const struct wa_node *iq);
/* A result/error iq addressed back to the sender of iq (owned). */
struct wa_node *sim_iq_result(const struct wa_node *iq);
struct wa_node *sim_iq_error(const struct wa_node *iq, int code,
    const char *text);
/* Below this many one-time prekeys the device is told to upload more. */
#define SIM_PREKEY_LOW 5
/* <notification type=encrypt><count value=N/> to d if it is low and online. */
void sim_prekeys_low(struct sim *s, struct sim_device *d);
/* Answer 501 feature-not-implemented (and count it). */
void sim_iq_not_implemented(struct sim_conn *c, const struct wa_node *iq,
    const char *xmlns);

/* group.c */
void sim_group_iq(struct sim_conn *c, const struct wa_node *iq,
    const char *type);
/* A <message to=GID> from c; to is its destination. */
void sim_group_message(struct sim_conn *c, const struct wa_node *msg,
    const struct wa_jid *to);
/*
 * For a group receipt (to = group): the account of its participant attr
 * (the original sender) and that JID.  -1 if not a known group receipt.
 */
int sim_group_receipt_target(struct sim *s, const struct wa_jid *to,
    const struct wa_node *rc, struct sim_account **out, struct wa_jid *pj);
void sim_group_free(struct sim_group *g);
/* <iq xmlns=w:profile:picture target=GID>: set or get a group picture. */
void sim_group_picture_iq(struct sim_conn *c, const struct wa_node *iq,
    const char *type);

/* pair.c */
/* After a registration handshake: send pair-device with fresh refs. */
void sim_pair_start(struct sim_conn *c);
/*
 * Admin: the phone of account (NULL: a new account) scans qr.  On success
 * *out_conn is the paired connection.  Errors: U_ERR_INVALID (not a QR),
 * U_ERR_NOT_FOUND (no connection waiting with that ref / ref expired),
 * U_ERR_EXISTS (keys do not match the connection).
 */
int sim_pair_scan(struct sim *s, const char *qr, struct sim_account *account,
    struct sim_conn **out_conn, const char **why);
/* The client's answer to pair-success (iq type result or error). */
void sim_pair_on_sign(struct sim_conn *c, const struct wa_node *iq);
/* md link_code_companion_reg iqs (companion_hello / companion_finish). */
void sim_pair_code_iq(struct sim_conn *c, const struct wa_node *iq);
/* Admin: the phone of account enters code for phone's waiting connection. */
int sim_pair_code_enter(struct sim *s, struct sim_account *account,
    const char *code, const char **why);

/* route.c */
/* A client's <message> / <receipt> (borrowed); the ack is sent by the caller. */
void sim_route_message(struct sim_conn *c, const struct wa_node *msg);
void sim_route_receipt(struct sim_conn *c, const struct wa_node *rc);
/* Send n (borrowed) to device d now if it is online, else queue a copy. */
void sim_route_deliver(struct sim *s, struct sim_device *d,
    const struct wa_node *n);
/* Send what was queued for c's device; returns how many stanzas. */
unsigned sim_route_flush(struct sim_conn *c);

/* presence.c */
void sim_presence(struct sim_conn *c, const struct wa_node *p);
void sim_chatstate(struct sim_conn *c, const struct wa_node *cs);
/* c is going away: its account may become unavailable. */
void sim_presence_conn_gone(struct sim_conn *c);
/* A device of a was added (paired) or removed: tell the live devices. */
void sim_devices_notify(struct sim *s, struct sim_account *a,
    const struct sim_device *changed, bool add);

/* media.c */
/* Self-signed certificate + the HTTPS media vhost (after sim_server_start). */
int sim_media_start(struct sim *s);
void sim_media_free(struct sim *s);
void sim_media_conn_iq(struct sim_conn *c, const struct wa_node *iq);
/* A client's <receipt type="server-error"> (media retry): answered as the
 * sender's phone would (media.c). */
void sim_media_retry_receipt(struct sim_conn *c, const struct wa_node *rc);

/* appstate.c */
/* The five collections (critical_block, critical_unblock_low, ...). */
#define SIM_APPSTATE_NCOLL 5
/* <iq xmlns=w:sync:app:state>: uploads and fetches. */
void sim_appstate_iq(struct sim_conn *c, const struct wa_node *iq);
/* Read opts.state_dir/appstate.json (0 when no state dir or no file). */
int sim_appstate_load(struct sim *s);
void sim_appstate_free(struct sim *s);
/* Admin: the versions of phone's collections (a new JSON object). */
struct json_t *sim_appstate_json(struct sim *s, const char *phone);
/* Admin: patches per fetch answer (1..1000); U_ERR_INVALID otherwise. */
int sim_appstate_set_page(struct sim *s, unsigned page);

/* dir.c */
struct sim_account *sim_account_new(struct sim *s, const char *phone);
struct sim_account *sim_account_find(struct sim *s, const char *phone);
struct sim_account *sim_account_find_lid(struct sim *s, const char *lid);
void sim_account_free(struct sim_account *a);
struct sim_device *sim_device_find(struct sim_account *a, uint16_t id);
/* A new device with that id (reserved from next_device); NULL when full. */
struct sim_device *sim_device_add(struct sim_account *a, uint16_t id);
void sim_device_free(struct sim_device *d);
void sim_device_set_prekeys(struct sim_device *d,
    const struct sim_prekey *keys, size_t n);
/* The account a JID (PN or LID, any device) belongs to, or NULL. */
struct sim_account *sim_account_by_jid(struct sim *s, const struct wa_jid *j);
/* Load / save keys (and accounts) from opts.state_dir; 0 when no state dir. */
int sim_state_load(struct sim *s);
int sim_state_save(struct sim *s);

/* admin.c */
/*
 * Handle one admin request.  body is NUL-terminated (body_len bytes).
 * Sets *status and returns an owned JSON text.
 */
char *sim_admin_handle(struct sim *s, const char *method, const char *path,
    const char *query, const char *body, size_t body_len, int *status);

/* Hex helpers (lowercase). */
void sim_hex(const uint8_t *p, size_t n, char *out);
int sim_unhex(const char *s, uint8_t *out, size_t n);

#endif
