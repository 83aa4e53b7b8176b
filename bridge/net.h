/*
 * net.h: the network side (WhatsApp) as the bridge core sees it, as
 * mautrix-go bridgev2's NetworkConnector / NetworkAPI / LoginProcess.
 *
 * The core (login commands, later portals and puppets) includes this
 * header and never waweb/; bridge/net_wa.c implements it on waweb/ with
 * the device store on the bridge database, and unit tests implement it in
 * memory.
 *
 * What it gives: one process-level object (struct br_net: start, stop,
 * login flows, the registry of logins) and one handle per login (struct
 * br_net_login: connect, disconnect, logout, state, remote id and name),
 * plus the events the network side reports to the core (struct
 * br_net_events).  Message events and calls come with issues 4/6 as NULL
 * slots: the core checks a slot and answers "unsupported" when it is NULL.
 *
 * What it does not do: Matrix, commands, texts.  The adapter writes the
 * user_login row itself when a login flow succeeds (id = phone digits,
 * remote_name "+<digits>", metadata {"wa_device_id": N}), as upstream's
 * connector calls user.NewLogin.
 *
 * Invariants: one thread (the loop's).  Strings passed in are borrowed
 * (copied when kept); strings and structs passed to callbacks are borrowed
 * for the call.  A login handle is owned by the network side and stays
 * valid until on_login_gone reports it (after a logout or free); a flow is
 * owned by the network side and ends with exactly one of on_success /
 * on_failure, or silently with br_net_flow_cancel; the caller must not use
 * it afterwards.  No callback frees the object it reports on.
 */
#ifndef PONTON_BRIDGE_NET_H
#define PONTON_BRIDGE_NET_H

#include <stddef.h>

/* Bridge error codes -570..-579 belong to the network side interface. */
enum {
	BR_ERR_NET_FAILED = -570,	/* the network side failed (logged) */
	BR_ERR_NET_UNSUPPORTED = -571,	/* optional slot not provided */
	BR_ERR_NET_NOT_FOUND = -572,	/* no such login / stored session */
	BR_ERR_NET_PHONE_SHORT = -573,	/* phone number too short */
	BR_ERR_NET_PHONE_INTL = -574,	/* not in international format */
	BR_ERR_NET_TIMEOUT = -575,	/* QR codes ran out, no pairing */
	BR_ERR_NET_CANCELLED = -576,	/* stopped before completion */
	BR_ERR_NET_BUSY = -577,		/* a flow is already running */
	BR_ERR_NET_OUTDATED = -578,	/* the server refused our version */
};
const char *br_net_strerror(int code);

/* bridgev2's status.BridgeStateEvent values a login reports. */
enum br_net_state_event {
	BR_NET_UNCONFIGURED = 0,
	BR_NET_CONNECTING,
	BR_NET_CONNECTED,
	BR_NET_TRANSIENT_DISCONNECT,
	BR_NET_BAD_CREDENTIALS,
	BR_NET_UNKNOWN_ERROR,
	BR_NET_LOGGED_OUT,
	BR_NET_STATE_COUNT_
};
/* "CONNECTED", ... as upstream spells them (never NULL). */
const char *br_net_state_event_name(enum br_net_state_event ev);

/* A login's bridge state.  Strings static or borrowed for the call. */
struct br_net_state {
	enum br_net_state_event	 event;
	const char		*error;		/* "wa-logged-out"..., NULL */
	const char		*message;	/* human text or NULL */
};

struct br_net;
struct br_net_login;
struct br_net_flow;

/* What the core knows of a login (borrowed from the handle). */
struct br_net_login_info {
	const char		*id;		/* login ID: phone digits */
	const char		*user_mxid;	/* owner */
	const char		*remote_name;	/* "+<digits>" */
	struct br_net_state	 state;		/* the last one reported */
};

/* Placeholders for issue 4/6 (remote messages, receipts...). */
struct br_net_message;

/* The core's handlers; any slot may be NULL. */
struct br_net_events {
	/* A login's bridge state changed (every change, deduplicated). */
	void	(*on_state)(void *arg, struct br_net_login *l,
		    const struct br_net_state *st);
	/* l is about to be freed (logout, free); last call about it. */
	void	(*on_login_gone)(void *arg, struct br_net_login *l);
	/* issue 4/6: a remote message for a portal (NULL for now). */
	void	(*on_message)(void *arg, struct br_net_login *l,
		    const struct br_net_message *m);
	void	 *arg;
};

enum br_net_flow_type {
	BR_NET_FLOW_QR = 0,	/* "qr": scan a QR code */
	BR_NET_FLOW_PHONE,	/* "phone": pairing code for a number */
};

/*
 * A login flow's steps (upstream's step ids in comments).  qr and code
 * may repeat (the QR rotates); then exactly one of success / failure.
 */
struct br_net_flow_cbs {
	/* fi.mau.whatsapp.login.qr: the QR text, at each rotation. */
	void	(*on_qr)(void *arg, const char *qr);
	/* fi.mau.whatsapp.login.code: the 8-character pairing code. */
	void	(*on_code)(void *arg, const char *code);
	/* fi.mau.whatsapp.login.complete: the new login (registered,
	 * its row stored; borrowed, valid until on_login_gone). */
	void	(*on_success)(void *arg, struct br_net_login *l);
	/* err: BR_ERR_NET_*; reason: short human text. */
	void	(*on_failure)(void *arg, int err, const char *reason);
};

struct br_net_ops {
	const char	*name;		/* "WhatsApp" */
	/* Load every stored login and connect it.  0 or a negative code
	 * (logins that fail to load are logged and skipped). */
	int	(*start)(struct br_net *n);
	/* Disconnect everything, cancel flows (no callbacks). */
	void	(*stop)(struct br_net *n);
	/* Stop and free (on_login_gone for every login) and release what
	 * the side shares on the loop.  Not from any loop callback (it runs
	 * the loop briefly); before u_loop_free. */
	void	(*free)(struct br_net *n);

	/* The login with this ID (borrowed) or NULL. */
	struct br_net_login *(*login_get)(struct br_net *n, const char *id);
	/* Up to max of user's logins into v, sorted by ID; the count. */
	size_t	(*logins_of)(struct br_net *n, const char *user_mxid,
		    struct br_net_login **v, size_t max);

	/*
	 * Start a login flow for a Matrix user.  phone: the number for
	 * BR_NET_FLOW_PHONE ("+33 6 12-34..." accepted), NULL for QR.
	 * 0 and *out (owned by the side), or BR_ERR_NET_PHONE_* (checked
	 * before anything starts) or BR_ERR_NET_FAILED.  Callbacks never run
	 * from inside this call.
	 */
	int	(*flow_start)(struct br_net *n, const char *user_mxid,
		    enum br_net_flow_type type, const char *phone,
		    const struct br_net_flow_cbs *cbs, void *arg,
		    struct br_net_flow **out);
	/* Abort; no callback afterwards.  NULL is a no-op. */
	void	(*flow_cancel)(struct br_net_flow *f);

	/* ---- per login ---- */
	int	(*connect)(struct br_net_login *l);
	void	(*disconnect)(struct br_net_login *l);
	/* Unlink the device remotely (best effort), forget the session and
	 * delete the user_login row; on_login_gone follows, after the
	 * current loop turn.  0 or a negative code. */
	int	(*logout)(struct br_net_login *l);
	const struct br_net_login_info *(*info)(const struct br_net_login *l);

	/* ---- issue 4/6 (NULL: unsupported) ---- */
	int	(*send_message)(struct br_net_login *l, const char *chat_id,
		    const struct br_net_message *m);
};

/* The network side: a vtable and its implementation's state. */
struct br_net {
	const struct br_net_ops	*ops;	/* borrowed (static) */
	void			*impl;	/* owned by the implementation */
};

/*
 * Phone numbers as the phone flow takes them (bridgev2's CleanPhoneNumber
 * then whatsmeow's PairPhone checks): spaces, '-', '(' and ')' dropped,
 * must start with '+', digits only after it, more than 6 digits, not
 * starting with 0.  0 and the digits (no '+') in out, or
 * BR_ERR_NET_PHONE_INTL / BR_ERR_NET_PHONE_SHORT.
 */
#define BR_NET_PHONE_MAX 20
int br_net_phone_clean(const char *in, char out[BR_NET_PHONE_MAX + 1]);

/*
 * The WhatsApp side (bridge/net_wa.c), for main.c and tests.  loop, cfg,
 * db and ev borrowed (must outlive the side).  0 and *out, or a negative
 * code (bad ponton.whatsapp.trust_root).
 */
struct u_loop;
struct br_config;
struct db;
struct br_net_wa_opts {
	const char	*url;		/* NULL: ponton.whatsapp.websocket_url */
	const unsigned char *trust_root;	/* 32 bytes or NULL: config */
	unsigned	 qr_first_ms, qr_next_ms;	/* 0: defaults (tests) */
	unsigned	 backoff_base_ms;		/* 0: default (tests) */
};
int br_net_wa_new(struct u_loop *loop, const struct br_config *cfg,
    struct db *db, const struct br_net_wa_opts *opts,
    const struct br_net_events *ev, struct br_net **out);

#endif
