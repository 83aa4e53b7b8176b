/*
 * mx.h: the Matrix side of ponton, an application service (appservice) for
 * one homeserver.  This is the only header bridge/ includes (from its one
 * adapter, bridge/mx_as.c).
 *
 * What it does:
 *  - serves the appservice HTTP API (transactions, user/room queries, ping,
 *    /_matrix/mau/live|ready) on the shared libuv loop (libwebsockets as a
 *    foreign loop), authenticating the homeserver by its hs_token;
 *  - hands every received event to the caller, except echoes (events whose
 *    sender is the bot or a ghost), as a borrowed json_t;
 *  - talks to the homeserver's client-server API through libcurl's
 *    multi-socket interface on the same loop, acting as the bot, a ghost
 *    (user_id assertion) or a double-puppeted real user; retries on 429,
 *    5xx and network errors with backoff; every call is asynchronous and
 *    completes through a callback;
 *  - runs the start-up checks mautrix bridges run (versions, whoami, ping).
 *
 * What it does not do: WhatsApp, portals as objects, permissions, commands,
 * the database, end-to-bridge encryption.  Those belong to bridge/.
 *
 * Threading: one thread, the loop's.  Every function must be called from it.
 * Callbacks run on the loop; they may start new calls, and may call
 * mx_appservice_cancel(), but must not free the appservice.
 */
#ifndef PONTON_MATRIX_MX_H
#define PONTON_MATRIX_MX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct u_loop;
struct mx_appservice;
struct mx_intent;

enum {
	MX_ERR_INTERNAL = U_ERR_RANGE_MX,	/* -400: our bug */
	MX_ERR_HTTP = -401,		/* homeserver answered an error status */
	MX_ERR_NETWORK = -402,		/* connection failed (after retries) */
	MX_ERR_TIMEOUT = -403,		/* the request's deadline passed */
	MX_ERR_BAD_RESPONSE = -404,	/* homeserver reply not what the API says */
	MX_ERR_BAD_JSON = -405,		/* untrusted JSON: syntax, duplicate keys */
	MX_ERR_INVALID = -406,		/* untrusted JSON: wrong shape or types */
	MX_ERR_TOO_BIG = -407,		/* a named size limit was exceeded */
	MX_ERR_NO_TOKEN = -408,		/* request carried no hs_token */
	MX_ERR_BAD_TOKEN = -409,	/* request carried a wrong hs_token */
	MX_ERR_NOT_OURS = -410,		/* user id outside the bot/ghost namespace */
	MX_ERR_CANCELLED = -411,	/* mx_appservice_cancel() or shutdown */
	MX_ERR_LISTEN = -412,		/* could not start the HTTP listener */
	MX_ERR_NO_SECRET = -413,	/* no usable double-puppet secret */
	MX_ERR_BAD_MXC = -414,		/* malformed mxc:// URI */
	/* Start-up failures; the caller maps them to mautrix's exit codes. */
	MX_ERR_START_CONNECT = -420,	/* HS unreachable or refuses the as_token: exit 16 */
	MX_ERR_START_VERSION = -421,	/* HS spec version < v1.4: exit 16 */
	MX_ERR_START_WHOAMI = -422,	/* whoami is not the bot: exit 17 */
	MX_ERR_START_PING = -423,	/* appservice ping failed: exit 13 */
};

/* Text for an MX_ERR_* code; registered with u_strerror by mx_appservice_new
 * (and by mx_err_register for code that only parses). */
const char *mx_strerror(int code);
void mx_err_register(void);

struct mx_dp_secret {
	const char	*server;	/* borrowed: homeserver name */
	const char	*secret;	/* borrowed: "as_token:<token>" (others unsupported) */
};

/*
 * Filled by the caller (bridge/ maps its config onto it).  Every string is
 * borrowed and copied by mx_appservice_new.
 */
struct mx_config {
	const char	*hs_address;	/* "http://127.0.0.1:8008", no trailing slash needed */
	const char	*domain;	/* server name, "example.com" */
	const char	*as_id;		/* registration id */
	const char	*as_token;
	const char	*hs_token;
	const char	*listen_host;	/* appservice.hostname, e.g. "127.0.0.1" */
	int		 listen_port;	/* 0: any free port (see mx_appservice_port) */
	const char	*bot_localpart;	/* "whatsappbot" */
	const char	*bot_displayname;	/* NULL or "": leave unchanged; "remove": clear */
	const char	*bot_avatar;	/* mxc://, "remove", or NULL/"": unchanged */
	const char	*username_template;	/* "whatsapp_{{.}}" */
	int		 ephemeral;	/* deliver ephemeral events (typing, receipts) */
	int		 ignore_spec_version;	/* skip the >= v1.4 check */
	int		 skip_ping;	/* skip the appservice ping at start */
	const char	*dp_source;	/* value of fi.mau.double_puppet_source we write; NULL: as_id */
	const struct mx_dp_secret *dp_secrets;	/* borrowed array */
	size_t		 dp_nsecrets;
	unsigned	 request_timeout_ms;	/* per call incl. retries; 0: MX_REQUEST_TIMEOUT_MS */
	unsigned	 ping_attempts;	/* 0: 6, as mautrix */
	unsigned	 retry_base_ms;	/* first backoff step (ping: twice it); 0: 500 */
};

#define MX_REQUEST_TIMEOUT_MS	120000u

struct mx_callbacks {
	/* One room event of a transaction, echoes removed; ev borrowed. */
	void	(*on_event)(void *arg, json_t *ev);
	/* One ephemeral event (m.typing, m.receipt, m.presence) with our own
	 * users removed from it; only when cfg.ephemeral.  ev borrowed. */
	void	(*on_ephemeral)(void *arg, json_t *ev);
	/* GET /users/{id} for an id in our namespace: return 1 if the user
	 * should exist (mx/ then registers it before answering 200), 0 for 404.
	 * NULL: 404 for every query. */
	int	(*on_user_query)(void *arg, const char *user_id);
	/* GET /rooms/{alias}: return 1 only if the alias already points at a
	 * room the bridge wants joinable (mx/ answers 200), else 0 (404).
	 * Never create a room here: the query does not say who asks. */
	int	(*on_room_query)(void *arg, const char *alias);
	void	 *arg;
};

/*
 * Create the appservice and start listening.  Returns 0 and *out (owned;
 * free with mx_appservice_free), or MX_ERR_LISTEN / MX_ERR_INVALID.
 * Nothing is sent to the homeserver until mx_appservice_start().
 */
int mx_appservice_new(struct u_loop *loop, const struct mx_config *cfg,
    const struct mx_callbacks *cb, struct mx_appservice **out);
/* Cancels pending calls (their callbacks are NOT called), closes the
 * listener.  NULL is a no-op.  Only while the loop is NOT running (after
 * u_loop_run returned, before u_loop_free): libwebsockets on a foreign
 * loop needs a few loop turns to close its handles, and this function
 * turns the loop (UV_RUN_NOWAIT) to let it. */
void mx_appservice_free(struct mx_appservice *as);
/* The port actually listened on. */
int mx_appservice_port(const struct mx_appservice *as);

/*
 * Start-up as mautrix does it: register the bot (M_USER_IN_USE is fine),
 * GET /versions (spec >= v1.4 unless ignore_spec_version), whoami must be
 * the bot, /capabilities (default room version), /v1/media/config, then the
 * appservice ping (retried), then the bot's profile.  done(arg, rc) once:
 * rc 0, or MX_ERR_START_* (map: CONNECT/VERSION -> 16, WHOAMI -> 17,
 * PING -> 13).  /mau/ready answers 200 only after success.
 */
typedef void (*mx_start_fn)(void *arg, int rc);
void mx_appservice_start(struct mx_appservice *as, mx_start_fn done, void *arg);

/* Own user ids.  Strings borrowed from as. */
const char *mx_appservice_bot_id(const struct mx_appservice *as);
const char *mx_appservice_domain(const struct mx_appservice *as);
/* 1 if user_id is the bot or matches the ghost template on our domain. */
int mx_appservice_is_ours(const struct mx_appservice *as, const char *user_id);
/* "@<template with id>:<domain>" for a remote id; owned string, or NULL if
 * the id makes an invalid localpart. */
char *mx_appservice_ghost_id(const struct mx_appservice *as, const char *remote_id);
/* Default room version reported by /capabilities at start ("10", "12"...). */
const char *mx_appservice_room_version(const struct mx_appservice *as);
/* m.upload.size from /v1/media/config (0 until known). */
uint64_t mx_appservice_upload_max(const struct mx_appservice *as);
/* Number of transactions processed / replays skipped (for tests, metrics). */
uint64_t mx_appservice_txn_count(const struct mx_appservice *as);
uint64_t mx_appservice_txn_replays(const struct mx_appservice *as);
/* Drop every pending call whose callback argument is arg; their callbacks
 * are not called.  Use when the owner of arg goes away. */
void mx_appservice_cancel(struct mx_appservice *as, void *arg);

/*
 * Intents: who a call acts as.  Borrowed from as (cached, live until
 * mx_appservice_free).  mx_intent_for returns NULL for a user outside the
 * namespace.  mx_intent_double_puppet uses double_puppet.secrets for the
 * user's server: MX_ERR_NO_SECRET if none is an "as_token:" secret.
 */
struct mx_intent *mx_appservice_bot(struct mx_appservice *as);
struct mx_intent *mx_intent_for(struct mx_appservice *as, const char *user_id);
int mx_intent_double_puppet(struct mx_appservice *as, const char *user_id,
    struct mx_intent **out);
const char *mx_intent_user_id(const struct mx_intent *in);
/* 1 if the intent is a double puppet (events get the source marker). */
int mx_intent_is_double_puppet(const struct mx_intent *in);

/*
 * Completion of a call.  rc 0 or MX_ERR_*; resp is the homeserver's JSON
 * reply (borrowed, valid during the callback; on MX_ERR_HTTP it is the
 * error body when the homeserver sent one, else NULL).  status is the last
 * HTTP status (0 when no answer).
 */
typedef void (*mx_done_fn)(void *arg, int rc, int status, json_t *resp);
/* Media download completion: data borrowed during the callback. */
typedef void (*mx_data_fn)(void *arg, int rc, const uint8_t *data, size_t len,
    const char *content_type);

/*
 * Calls.  Each returns 0 when queued (done is then called exactly once,
 * never before the call returns), or a negative code for bad arguments
 * (done not called).  Strings and json_t arguments are borrowed (copied or
 * serialised before return).  Error strings like errcode are available in
 * resp.  All may be called from any mx callback.
 */
/* Generic: method "GET"/"PUT"/"POST"/"DELETE", path starting with
 * "/_matrix/...", already percent-encoded; query without user_id (added
 * by the intent); body NULL for none. */
int mx_intent_request(struct mx_intent *in, const char *method,
    const char *path, const char *query, json_t *body, mx_done_fn done,
    void *arg);
/* POST /register as an appservice user; M_USER_IN_USE is success. */
int mx_intent_ensure_registered(struct mx_intent *in, mx_done_fn done, void *arg);
int mx_intent_whoami(struct mx_intent *in, mx_done_fn done, void *arg);
/*
 * Create (upsert, PUT /devices/{id}, MSC4190) a device for a bot/ghost
 * intent and send every later call with device_id=.  Why: Synapse keeps
 * client txnIds of device-less appservice users in memory only, so a send
 * that reached the homeserver just before it went down is repeated by the
 * retry after the restart; with a device the txnId -> event mapping is
 * persisted (event_txn_id_device_id) and the retry returns the first
 * event.  MX_ERR_NOT_OURS for double puppets.
 */
int mx_intent_ensure_device(struct mx_intent *in, const char *device_id,
    const char *display_name, mx_done_fn done, void *arg);
int mx_intent_set_displayname(struct mx_intent *in, const char *name,
    mx_done_fn done, void *arg);
int mx_intent_set_avatar_url(struct mx_intent *in, const char *mxc,
    mx_done_fn done, void *arg);
/* createRoom; req is the request body.  For room version 12 and later the
 * creator (and additional_creators) are removed from
 * power_level_content_override.users, as Synapse requires.  resp has
 * room_id. */
int mx_intent_create_room(struct mx_intent *in, json_t *req, mx_done_fn done,
    void *arg);
int mx_intent_invite(struct mx_intent *in, const char *room_id,
    const char *user_id, const char *reason, mx_done_fn done, void *arg);
int mx_intent_join(struct mx_intent *in, const char *room_id, mx_done_fn done,
    void *arg);
/* Join; if that is refused (403) have the bot invite the user and join
 * again (mautrix's EnsureJoined).  mx_appservice_cancel(as, arg) drops
 * the whole chain. */
int mx_intent_ensure_joined(struct mx_intent *in, const char *room_id,
    mx_done_fn done, void *arg);
int mx_intent_leave(struct mx_intent *in, const char *room_id,
    const char *reason, mx_done_fn done, void *arg);
int mx_intent_kick(struct mx_intent *in, const char *room_id,
    const char *user_id, const char *reason, mx_done_fn done, void *arg);
/* PUT /send/{type}/{txnId} with a fresh, globally unique txnId (reused on
 * retries).  ts_ms 0: no timestamp massaging.  resp has event_id. */
int mx_intent_send(struct mx_intent *in, const char *room_id,
    const char *type, json_t *content, uint64_t ts_ms, mx_done_fn done,
    void *arg);
/* The same with the caller's txnId (1..MX_TXN_ID_MAX bytes, escaped
 * here): the homeserver answers a repeat with the first event's ID, so a
 * send repeated after a crash of ours is not duplicated.  It must be unique
 * across the whole appservice (Synapse keys txnIds per appservice). */
#define MX_TXN_ID_MAX 200
int mx_intent_send_txn(struct mx_intent *in, const char *room_id,
    const char *type, json_t *content, uint64_t ts_ms, const char *txn_id,
    mx_done_fn done, void *arg);
int mx_intent_send_state(struct mx_intent *in, const char *room_id,
    const char *type, const char *state_key, json_t *content, uint64_t ts_ms,
    mx_done_fn done, void *arg);
int mx_intent_get_state(struct mx_intent *in, const char *room_id,
    const char *type, const char *state_key, mx_done_fn done, void *arg);
int mx_intent_redact(struct mx_intent *in, const char *room_id,
    const char *event_id, const char *reason, mx_done_fn done, void *arg);
int mx_intent_receipt(struct mx_intent *in, const char *room_id,
    const char *event_id, mx_done_fn done, void *arg);
int mx_intent_typing(struct mx_intent *in, const char *room_id, int typing,
    unsigned timeout_ms, mx_done_fn done, void *arg);
/* POST /_matrix/media/v3/upload.  MX_ERR_TOO_BIG if len exceeds the
 * homeserver's m.upload.size.  resp has content_uri. */
int mx_intent_upload(struct mx_intent *in, const void *data, size_t len,
    const char *content_type, const char *filename, mx_done_fn done,
    void *arg);
/* Authenticated download (/_matrix/client/v1/media/download) of an mxc://
 * URI, at most max_bytes (0: m.upload.size); MX_ERR_TOO_BIG past it. */
int mx_intent_download(struct mx_intent *in, const char *mxc, size_t max_bytes,
    mx_data_fn done, void *arg);

/* Build the createRoom request mautrix-whatsapp sends for a portal. */
struct mx_portal_spec {
	const char	*channel_id;	/* portal id, "1203...@g.us" / "<jid>" */
	const char	*name;		/* NULL: none */
	const char	*topic;		/* NULL: none (m.room.topic still sent, "") */
	const char	*avatar_mxc;	/* NULL: none */
	const char	*receiver;	/* fi.mau.receiver (DMs) or NULL */
	int		 is_dm;
	int		 announce;	/* group: only admins send (events_default 50) */
	int		 locked;	/* group: only admins edit name/topic/avatar */
	int		 federate;	/* 0: m.federate false */
	const char *const *invite;	/* NULL-terminated or NULL */
	json_t		*users_pl;	/* borrowed: extra {"@ghost": level}, or NULL */
	json_t		*room_features;	/* borrowed: com.beeper.room_features content, or NULL */
	const char	*protocol_avatar;	/* mxc for protocol.avatar_url or NULL */
};
/* Returns an owned json_t (createRoom body). */
json_t *mx_portal_create_req(struct mx_appservice *as,
    const struct mx_portal_spec *spec);
/* "<domain>/<as_id>": the m.bridge state key; borrowed from as. */
const char *mx_appservice_bridge_state_key(const struct mx_appservice *as);

#endif
