/*
 * net_wa.c: the network side (bridge/net.h) on ponton's WhatsApp client
 * (waweb/client.h).  The core reaches WhatsApp only through this file;
 * the other bridge files that include waweb/ are the store adapters
 * (wa_store_db.c, wa_signal_db.c) and the terminal login (login_cli.c).
 *
 * What it does: one wa_client per login, its device in the bridge
 * database (bridge/wa_store_db.c: whatsmeow_device, keyed by the device
 * JID "<id>:<wa_device_id>@s.whatsapp.net"); at start-up every user_login
 * row is loaded and connected; client states become mautrix-whatsapp's
 * bridge states (CONNECTED, TRANSIENT_DISCONNECT wa-transient-disconnect,
 * BAD_CREDENTIALS wa-logged-out, UNKNOWN_ERROR wa-client-outdated, ...);
 * login flows (QR, pairing code) pair a new device and, once it is logged
 * in, store the user_login row (and the "user" row if missing) and become
 * a registered login; logout unlinks the device remotely
 * (<remove-companion-device/>, as whatsmeow's Logout), forgets the session
 * and deletes the row.
 *
 * Messages (issue 6): once a login is connected it gets a Signal store on
 * the bridge database (wa_signal_db.c), a sender and a receiver
 * (waweb/send_message.h, recv_message.h); on_node goes to them.  A
 * received message is stored in ponton_wa_pending (net_wa_pending.h)
 * before WhatsApp gets its ack, then handed to the core in arrival order
 * (media downloaded first); message_done deletes the row.  At each
 * connect the rows left (a crash, a restart) are handed over first, in
 * order.  Conversion is net_wa_msg.c's.
 *
 * Groups, chat info, chat states: bridge/net_wa_group.c (its slots are in
 * the ops table; stanzas the sender and receiver do not take go to it).
 *
 * App state and contacts: bridge/net_wa_appstate.c (created with the
 * messaging objects; server_sync notifications and key shares go to it
 * first; push names of incoming messages are stored as whatsmeow does).
 *
 * What it does not do yet: poll votes (no poll secrets stored), media
 * retry receipts, history sync.
 *
 * Invariants: a login handle is created pending for a flow (not visible
 * through login_get / logins_of) and becomes registered on success.
 * Handles and flows are never freed from a client callback: they are
 * marked closing and reaped by one deferred call at the end of the loop
 * turn (reap_queued), which also reports on_login_gone.  A closing object
 * reports nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bridge/config.h"
#include "bridge/net.h"
#include "bridge/net_wa.h"
#include "bridge/net_wa_group.h"
#include "bridge/net_wa_history.h"
#include "bridge/net_wa_int.h"
#include "bridge/net_wa_msg.h"
#include "bridge/net_wa_pending.h"
#include "bridge/wa_signal_db.h"
#include "bridge/store.h"
#include "bridge/wa_store_db.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/content.h"
#include "waweb/errors.h"
#include "waweb/jid.h"
#include "waweb/media.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"
#include "waweb/send_message.h"
#include "waweb/signal.h"

/* LID -> phone number pairs a login remembers (from messages naming
 * both), to give the core phone-number JIDs for stanzas that only name
 * the LID (chat states). */
#define NET_WA_LID_MAP_MAX 1024

/* Logins a user may list at once (list-logins, logout lookups). */
#define NET_WA_LOGINS_MAX 64
/* remove-companion-device gets this long before we forget it anyway. */
#define NET_WA_LOGOUT_IQ_MS 10000

struct net_wa;

/* A pending message handed (or to be handed) to the core, by seq. */
struct nw_pend {
	struct nw_pend		*next;
	struct br__nw_msg	*msg;		/* owned */
	int			 delivered;	/* the core has it */
	int			 downloading;	/* media download running */
};

struct br_net_login {
	struct br_net_login	*next;		/* list link */
	struct net_wa		*nw;		/* borrowed */
	struct br_net_flow	*flow;		/* borrowed: pending for it */
	struct wa_client	*client;	/* owned */
	struct br_net_login_info info;		/* strings below */
	char			*id, *user_mxid, *remote_name;	/* owned */
	char			*device_jid;	/* owned, NULL while pairing */
	int			 paired;	/* flow: pair-success seen */
	int			 logging_out;
	int			 closing;
	char			 prefix[48];
	/* Messaging, once connected (owned). */
	struct br_wa_signal_db	*sigdb;
	struct wa_signal	*sig;
	struct wa_msg_sender	*snd;
	struct wa_msg_receiver	*rcv;
	struct wa_media		*media;
	struct br__nw_as	*as;		/* app state, contacts */
	char			*own_user;	/* "<digits>@s.whatsapp.net" */
	struct nw_pend		*pend, *pend_tail;	/* owned, by seq */
	/* Sends in flight (owned): waweb drops its pending sends and
	 * uploads without their callbacks when freed, so msg_teardown
	 * completes these itself. */
	struct nw_send		*sends;
	int			 delivering;	/* inside deliver (re-entrance) */
	int			 deliver_queued;	/* deliver_all will see it */
	/* LID user -> phone user (owned pairs, ring of NET_WA_LID_MAP_MAX). */
	char			*lid_map[NET_WA_LID_MAP_MAX][2];
	size_t			 lid_next;
};

struct br_net_flow {
	struct br_net_flow	*next;		/* list link */
	struct net_wa		*nw;		/* borrowed */
	struct br_net_login	*login;		/* owned while pending */
	struct br_net_flow_cbs	 cbs;
	void			*arg;
	int			 closing;
};

struct net_wa {
	struct br_net		 pub;
	struct u_loop		*loop;		/* borrowed */
	const struct br_config	*cfg;		/* borrowed, may be NULL */
	struct db		*db;		/* borrowed */
	struct br_net_events	 ev;
	/* What the other net_wa*.c files get (br__nw_events): ev with the
	 * LID JIDs of chat states turned into phone-number ones. */
	struct br_net_events	 ev_side;
	char			*url;		/* owned or NULL */
	char			*web_version;	/* owned or NULL */
	uint8_t			 root[32];
	int			 has_root;
	struct br_net_wa_opts	 o;
	struct br_net_login	*logins;	/* owned list */
	struct br_net_flow	*flows;		/* owned list */
	int			 reap_queued;
	int			 deliver_queued;	/* deliver_all deferred */
	int			 stopped;
};

static const struct br_net_ops net_wa_ops;

/* ---- shared with the other net_wa*.c files (net_wa_int.h) ---- */

struct wa_client *
br__nw_client(struct br_net_login *l)
{
	return l->client;
}

struct u_loop *
br__nw_loop(struct br_net_login *l)
{
	return l->nw->loop;
}

struct db *
br__nw_db(struct br_net_login *l)
{
	return l->nw->db;
}

const struct br_net_events *
br__nw_events(struct br_net_login *l)
{
	return &l->nw->ev_side;
}

/* ---- LID -> phone number ---- */

static void
lid_remember(struct br_net_login *l, const char *lid, const char *pn)
{
	size_t i;

	for (i = 0; i < NET_WA_LID_MAP_MAX && l->lid_map[i][0] != NULL; i++)
		if (strcmp(l->lid_map[i][0], lid) == 0) {
			if (strcmp(l->lid_map[i][1], pn) != 0) {
				free(l->lid_map[i][1]);
				l->lid_map[i][1] = u_strdup(pn);
			}
			return;
		}
	i = l->lid_next;
	l->lid_next = (l->lid_next + 1) % NET_WA_LID_MAP_MAX;
	free(l->lid_map[i][0]);
	free(l->lid_map[i][1]);
	l->lid_map[i][0] = u_strdup(lid);
	l->lid_map[i][1] = u_strdup(pn);
}

/* "<n>@lid" as "<digits>@s.whatsapp.net" when known, else as given. */
static const char *
lid_to_pn(struct br_net_login *l, const char *jid, char *buf, size_t sz)
{
	size_t i, n;

	if (jid == NULL || (n = strlen(jid)) < 5 ||
	    strcmp(jid + n - 4, "@lid") != 0)
		return jid;
	for (i = 0; i < NET_WA_LID_MAP_MAX && l->lid_map[i][0] != NULL; i++)
		if (strlen(l->lid_map[i][0]) == n - 4 &&
		    strncmp(l->lid_map[i][0], jid, n - 4) == 0) {
			snprintf(buf, sz, "%s@s.whatsapp.net",
			    l->lid_map[i][1]);
			return buf;
		}
	return jid;
}

static void
side_on_typing(void *arg, struct br_net_login *l, const char *chat,
    const char *user, enum br_net_chatstate st)
{
	struct net_wa *nw = arg;
	char cb[160], ub[160];

	if (nw->ev.on_typing != NULL)
		nw->ev.on_typing(nw->ev.arg, l, lid_to_pn(l, chat, cb,
		    sizeof(cb)), lid_to_pn(l, user, ub, sizeof(ub)), st);
}

static void
side_on_group(void *arg, struct br_net_login *l,
    const struct br_net_group_event *g)
{
	struct net_wa *nw = arg;

	if (nw->ev.on_group != NULL)
		nw->ev.on_group(nw->ev.arg, l, g);
}

static void
side_on_user_avatar(void *arg, struct br_net_login *l, const char *user,
    const char *avatar_id)
{
	struct net_wa *nw = arg;
	char ub[160];

	if (nw->ev.on_user_avatar != NULL)
		nw->ev.on_user_avatar(nw->ev.arg, l, lid_to_pn(l, user, ub,
		    sizeof(ub)), avatar_id);
}

static void
side_on_contact(void *arg, struct br_net_login *l,
    const struct br_net_contact *c)
{
	struct net_wa *nw = arg;

	if (nw->ev.on_contact != NULL)
		nw->ev.on_contact(nw->ev.arg, l, c);
}

static void
side_on_contacts_synced(void *arg, struct br_net_login *l)
{
	struct net_wa *nw = arg;

	if (nw->ev.on_contacts_synced != NULL)
		nw->ev.on_contacts_synced(nw->ev.arg, l);
}

const char *
br__nw_prefix(const struct br_net_login *l)
{
	return l->prefix;
}

const char *
br__nw_own_user(struct br_net_login *l)
{
	return l->own_user;
}

struct br__nw_as *
br__nw_as_of(struct br_net_login *l)
{
	return l->as;
}

int
br__nw_alt_jid(void *arg, const char *jid, char *out, size_t cap)
{
	struct br_net_login *l = arg;
	char other[WA_JID_USER_MAX + 1];
	struct wa_jid j;
	size_t i;
	int lid, r = U_ERR_NOT_FOUND;

	if (jid == NULL || wa_jid_parse(jid, &j) != 0)
		return U_ERR_INVALID;
	lid = wa_jid_is_lid(&j);
	if (!lid && strcmp(j.server, "s.whatsapp.net") != 0)
		return U_ERR_INVALID;
	/* The pairs this run has seen (lid_map[i] = { lid, pn }). */
	for (i = 0; i < NET_WA_LID_MAP_MAX && l->lid_map[i][0] != NULL; i++)
		if (strcmp(l->lid_map[i][lid ? 0 : 1], j.user) == 0) {
			snprintf(other, sizeof(other), "%s",
			    l->lid_map[i][lid ? 1 : 0]);
			r = 0;
			break;
		}
	/* Then whatsmeow_lid_map. */
	if (r != 0 && l->sigdb != NULL)
		r = lid ? br_wa_signal_db_ops.pn_for_lid(l->sigdb, j.user,
		    other, sizeof(other)) : br_wa_signal_db_ops.lid_for_pn(
		    l->sigdb, j.user, other, sizeof(other));
	if (r != 0)
		return r;
	if ((size_t)snprintf(out, cap, "%s@%s", other,
	    lid ? "s.whatsapp.net" : "lid") >= cap)
		return U_ERR_TOO_BIG;
	return 0;
}

/* ---- interface-wide helpers (net.h) ---- */

const char *
br_net_strerror(int code)
{
	switch (code) {
	case BR_ERR_NET_FAILED: return "network side failed";
	case BR_ERR_NET_UNSUPPORTED: return "not supported by the network";
	case BR_ERR_NET_NOT_FOUND: return "login not found";
	case BR_ERR_NET_PHONE_SHORT: return "Phone number too short";
	case BR_ERR_NET_PHONE_INTL:
		return "Phone number must be in international format";
	case BR_ERR_NET_TIMEOUT: return "timed out";
	case BR_ERR_NET_CANCELLED: return "cancelled";
	case BR_ERR_NET_BUSY: return "a login is already in progress";
	case BR_ERR_NET_OUTDATED: return "client outdated";
	case BR_ERR_NET_NO_KEY: return "didn't find app state key";
	}
	return "unknown network side error";
}

const char *
br_net_state_event_name(enum br_net_state_event ev)
{
	static const char *const n[BR_NET_STATE_COUNT_] = {
		[BR_NET_UNCONFIGURED] = "UNCONFIGURED",
		[BR_NET_CONNECTING] = "CONNECTING",
		[BR_NET_CONNECTED] = "CONNECTED",
		[BR_NET_TRANSIENT_DISCONNECT] = "TRANSIENT_DISCONNECT",
		[BR_NET_BAD_CREDENTIALS] = "BAD_CREDENTIALS",
		[BR_NET_UNKNOWN_ERROR] = "UNKNOWN_ERROR",
		[BR_NET_LOGGED_OUT] = "LOGGED_OUT",
	};

	if ((unsigned)ev >= BR_NET_STATE_COUNT_)
		return "UNKNOWN_ERROR";
	return n[ev];
}

int
br_net_phone_clean(const char *in, char out[BR_NET_PHONE_MAX + 1])
{
	char buf[BR_NET_PHONE_MAX + 1];
	size_t i, k = 0;
	int plus = 0;

	for (i = 0; in[i] != '\0'; i++) {
		char ch = in[i];

		if (ch == ' ' || ch == '-' || ch == '(' || ch == ')')
			continue;
		if (ch == '+' && k == 0 && !plus) {
			plus = 1;
			continue;
		}
		if (ch < '0' || ch > '9')
			return BR_ERR_NET_PHONE_INTL;
		if (k >= BR_NET_PHONE_MAX)
			return BR_ERR_NET_PHONE_INTL;
		buf[k++] = ch;
	}
	buf[k] = '\0';
	if (!plus)
		return BR_ERR_NET_PHONE_INTL;
	if (k <= 6)
		return BR_ERR_NET_PHONE_SHORT;
	if (buf[0] == '0')
		return BR_ERR_NET_PHONE_INTL;
	memcpy(out, buf, k + 1);
	return 0;
}

/* ---- mapping ---- */

int
br__net_wa_state_map(int wa_state, const char *reason,
    struct br_net_state *out)
{
	struct br_net_state s = { BR_NET_UNKNOWN_ERROR, NULL, NULL };

	switch ((enum wa_state)wa_state) {
	case WA_STATE_IDLE:
	case WA_STATE_COUNT_:
		return -1;
	case WA_STATE_CONNECTING:
	case WA_STATE_LOGGING_IN:
		s.event = BR_NET_CONNECTING;
		break;
	case WA_STATE_CONNECTED:
		s.event = BR_NET_CONNECTED;
		break;
	case WA_STATE_WAIT_RECONNECT:
		s.event = BR_NET_TRANSIENT_DISCONNECT;
		if (reason != NULL && strstr(reason, "keepalive") != NULL) {
			s.error = "wa-keepalive-timeout";
			s.message = "The WhatsApp web servers are not "
			    "responding. The bridge will try to reconnect.";
		} else {
			s.error = "wa-transient-disconnect";
			s.message = "Disconnected from WhatsApp. Trying to "
			    "reconnect.";
		}
		break;
	case WA_STATE_PAIRING:
	case WA_STATE_PAIR_TIMEOUT:
		s.event = BR_NET_BAD_CREDENTIALS;
		s.error = "wa-not-logged-in";
		s.message = "You're not logged into WhatsApp. Relogin to "
		    "continue using the bridge.";
		break;
	case WA_STATE_LOGGED_OUT:
		s.event = BR_NET_BAD_CREDENTIALS;
		s.error = "wa-logged-out";
		s.message = "You were logged out from another device. Relogin "
		    "to continue using the bridge.";
		break;
	case WA_STATE_STREAM_REPLACED:
		s.error = "wa-stream-replaced";
		s.message = "Stream replaced: the bridge was started in "
		    "another location.";
		break;
	case WA_STATE_CLIENT_OUTDATED:
		s.error = "wa-client-outdated";
		s.message = "Connect failure: 405 client outdated. Bridge must "
		    "be updated.";
		break;
	case WA_STATE_BANNED:
		s.event = BR_NET_BAD_CREDENTIALS;
		s.error = "wa-temporary-ban";
		s.message = reason;
		break;
	}
	*out = s;
	return 0;
}

int
br__net_wa_jid_login(const char *jid, char id[BR_NET_WA_ID_MAX + 1],
    unsigned *device)
{
	size_t n = strspn(jid, "0123456789");
	const char *p = jid + n;
	unsigned long dev = 0;

	if (n == 0 || n > BR_NET_WA_ID_MAX || jid[0] == '0')
		return BR_ERR_NET_FAILED;
	if (*p == '.')		/* agent: "<user>.<agent>:<device>" */
		p += 1 + strspn(p + 1, "0123456789");
	if (*p == ':') {
		size_t d = strspn(p + 1, "0123456789");

		if (d == 0 || d > 5)
			return BR_ERR_NET_FAILED;
		dev = strtoul(p + 1, NULL, 10);
		if (dev > 0xffff)
			return BR_ERR_NET_FAILED;
		p += 1 + d;
	}
	if (strcmp(p, "@s.whatsapp.net") != 0)
		return BR_ERR_NET_FAILED;
	memcpy(id, jid, n);
	id[n] = '\0';
	*device = (unsigned)dev;
	return 0;
}

/* ---- reaping ---- */

static void msg_teardown(struct br_net_login *l);
static void sends_cancel(struct br_net_login *l);

static void
login_free(struct br_net_login *l)
{
	if (l == NULL)
		return;
	br__nw_pictures_cancel(l);
	br__nw_history_forget(l);	/* H19: before wa_media_free */
	msg_teardown(l);
	for (size_t i = 0; i < NET_WA_LID_MAP_MAX; i++) {
		free(l->lid_map[i][0]);
		free(l->lid_map[i][1]);
	}
	wa_client_free(l->client);
	free(l->id);
	free(l->user_mxid);
	free(l->remote_name);
	free(l->device_jid);
	free(l);
}

static void
reap(void *arg)
{
	struct net_wa *nw = arg;
	struct br_net_login **lp, *l;
	struct br_net_flow **fp, *f;

	nw->reap_queued = 0;
	for (fp = &nw->flows; (f = *fp) != NULL;) {
		if (!f->closing) {
			fp = &f->next;
			continue;
		}
		*fp = f->next;
		login_free(f->login);
		free(f);
	}
	for (lp = &nw->logins; (l = *lp) != NULL;) {
		if (!l->closing) {
			lp = &l->next;
			continue;
		}

		*lp = l->next;
		if (nw->ev.on_login_gone != NULL)
			nw->ev.on_login_gone(nw->ev.arg, l);
		login_free(l);
	}
}

static void
queue_reap(struct net_wa *nw)
{
	if (nw->reap_queued)
		return;
	nw->reap_queued = 1;
	u_loop_defer(nw->loop, reap, nw);
}

/* ---- one login's client ---- */

static void
report(struct br_net_login *l, const struct br_net_state *st)
{
	struct net_wa *nw = l->nw;

	if (l->info.state.event == st->event &&
	    ((l->info.state.error == NULL && st->error == NULL) ||
	    (l->info.state.error != NULL && st->error != NULL &&
	    strcmp(l->info.state.error, st->error) == 0)))
		return;
	logp_info(l->prefix, "bridge state %s -> %s%s%s",
	    br_net_state_event_name(l->info.state.event),
	    br_net_state_event_name(st->event), st->error ? " " : "",
	    st->error ? st->error : "");
	l->info.state = *st;
	/* Keep only static texts past the call (reason is borrowed). */
	if (st->message != NULL && st->error != NULL &&
	    strcmp(st->error, "wa-temporary-ban") == 0)
		l->info.state.message = NULL;
	if (nw->ev.on_state != NULL)
		nw->ev.on_state(nw->ev.arg, l, st);
}

static void flow_fail(struct br_net_flow *f, int err, const char *reason);
static void flow_succeed(struct br_net_flow *f);

static void
cl_on_state(void *arg, enum wa_state old, enum wa_state cur,
    const char *reason)
{
	struct br_net_login *l = arg;
	struct br_net_state st;

	(void)old;
	if (l->closing)
		return;
	if (l->flow != NULL) {
		if (cur == WA_STATE_PAIR_TIMEOUT)
			flow_fail(l->flow, BR_ERR_NET_TIMEOUT, reason);
		else if (cur == WA_STATE_CLIENT_OUTDATED)
			flow_fail(l->flow, BR_ERR_NET_OUTDATED, reason);
		else if (wa_state_is_terminal(cur) ||
		    (cur == WA_STATE_WAIT_RECONNECT && !l->paired))
			flow_fail(l->flow, BR_ERR_NET_FAILED, reason);
		return;
	}
	if (br__net_wa_state_map(cur, reason, &st) == 0)
		report(l, &st);
}

static void
cl_on_qr(void *arg, const char *qr)
{
	struct br_net_login *l = arg;

	if (!l->closing && l->flow != NULL && l->flow->cbs.on_qr != NULL)
		l->flow->cbs.on_qr(l->flow->arg, qr);
}

static void
cl_on_pair_code(void *arg, const char *code)
{
	struct br_net_login *l = arg;

	if (!l->closing && l->flow != NULL && l->flow->cbs.on_code != NULL)
		l->flow->cbs.on_code(l->flow->arg, code);
}

static void
cl_on_paired(void *arg, const char *jid, const char *lid,
    const char *platform)
{
	struct br_net_login *l = arg;

	(void)lid;
	(void)platform;
	if (l->closing || l->flow == NULL)
		return;
	l->paired = 1;
	free(l->device_jid);
	l->device_jid = u_strdup(jid);
}

static void msg_connected(struct br_net_login *l);

static void
cl_on_connected(void *arg)
{
	struct br_net_login *l = arg;
	struct br_net_state st = { BR_NET_CONNECTED, NULL, NULL };

	if (l->closing)
		return;
	if (l->flow != NULL) {
		flow_succeed(l->flow);
		if (!l->closing && l->flow == NULL)
			msg_connected(l);
		return;
	}
	report(l, &st);
	msg_connected(l);
}

static void
cl_on_node(void *arg, const struct wa_node *n)
{
	struct br_net_login *l = arg;

	/* Anything not handled here stays unacked, so the server delivers
	 * it again once a later version handles it. */
	if (l->closing)
		return;
	/* <notification type=server_sync> (net_wa_appstate.c). */
	if (l->as != NULL && br__nw_as_handle_node(l->as, n))
		return;
	if (l->snd != NULL && wa_msg_sender_handle_node(l->snd, n))
		return;
	if (l->media != NULL && wa_media_handle_node(l->media, n))
		return;
	if (l->rcv != NULL && strcmp(n->tag, "message") == 0) {
		struct db *db = l->nw->db;
		int began = db_begin(db) == 0, r;

		/*
		 * One transaction around the decryption and the pending row:
		 * the Signal store advances its session when it decrypts; a
		 * crash after that but before the row is written would leave
		 * a message WhatsApp redelivers but we can no longer decrypt
		 * (a used message key is taken as "already stored").  The ack
		 * the receiver queues goes out once we are back on the loop,
		 * after the commit.
		 */
		r = wa_msg_receiver_handle_node(l->rcv, n);
		if (began && db_commit(db) != 0) {
			logp_warnx(l->prefix, "committing a received message "
			    "failed: %s", db_errmsg(db));
			(void)db_rollback(db);
		}
		if (r)
			return;
	}
	/* Group notifications, chat states (net_wa_group.c). */
	(void)br__nw_group_handle_node(l, n);
}

static const struct wa_client_cbs login_cbs = {
	.on_state = cl_on_state,
	.on_qr = cl_on_qr,
	.on_pair_code = cl_on_pair_code,
	.on_paired = cl_on_paired,
	.on_connected = cl_on_connected,
	.on_node = cl_on_node,
};

static struct br_net_login *
login_new(struct net_wa *nw, const char *device_jid, const char *pair_phone)
{
	struct br_net_login *l = u_calloc(1, sizeof(*l));
	struct wa_client_opts o;

	memset(&o, 0, sizeof(o));
	l->nw = nw;
	l->device_jid = device_jid ? u_strdup(device_jid) : NULL;
	o.url = nw->url;
	o.trust_root = nw->has_root ? nw->root : NULL;
	o.web_version = nw->web_version;
	if (nw->cfg != NULL) {
		o.os_name = nw->cfg->network.os_name;
		o.browser_name = nw->cfg->network.browser_name;
	}
	o.device_jid = device_jid;
	o.pair_new = device_jid == NULL;
	o.pair_phone = pair_phone;
	o.qr_first_ms = nw->o.qr_first_ms;
	o.qr_next_ms = nw->o.qr_next_ms;
	o.backoff_base_ms = nw->o.backoff_base_ms;
	l->client = wa_client_new(nw->loop, &o, &br_wa_store_db_ops, nw->db,
	    &login_cbs, l);
	l->info.state.event = BR_NET_UNCONFIGURED;
	snprintf(l->prefix, sizeof(l->prefix), "net[new]");
	return l;
}

/* The identity fields of a registered login. */
static void
login_set_id(struct br_net_login *l, const char *id, const char *user_mxid)
{
	char *nid = u_strdup(id), *nmx = u_strdup(user_mxid);

	/* id / user_mxid may point into the fields replaced here. */
	free(l->id);
	free(l->user_mxid);
	free(l->remote_name);
	l->id = nid;
	l->user_mxid = nmx;
	l->remote_name = u_asprintf("+%s", nid);
	l->info.id = l->id;
	l->info.user_mxid = l->user_mxid;
	l->info.remote_name = l->remote_name;
	/* Only a prefix of the number at info level (style.md). */
	snprintf(l->prefix, sizeof(l->prefix), "net[login=%.4s…]", id);
}

/* ---- flows ---- */

static void
flow_fail(struct br_net_flow *f, int err, const char *reason)
{
	if (f->closing)
		return;
	f->closing = 1;
	if (f->login != NULL) {
		f->login->closing = 1;
		wa_client_stop(f->login->client);
	}
	queue_reap(f->nw);
	log_info("login flow failed: %s (%s)", br_net_strerror(err),
	    reason != NULL ? reason : "");
	if (f->cbs.on_failure != NULL)
		f->cbs.on_failure(f->arg, err, reason);
}

static int
ensure_user(struct db *db, const char *mxid)
{
	struct br_user *u = NULL, nu;
	int r;

	r = br_store_user_get(db, mxid, &u);
	if (r == 0) {
		br_user_free(u);
		return 0;
	}
	if (r != U_ERR_NOT_FOUND)
		return r;
	memset(&nu, 0, sizeof(nu));
	nu.mxid = (char *)mxid;
	return br_store_user_insert(db, &nu);
}

/* The user_login row for a login that just paired. */
static int
store_login(struct net_wa *nw, const char *id, const char *user_mxid,
    unsigned device)
{
	struct br_login *old = NULL, row;
	json_t *meta = NULL, *od;
	int r;

	if ((r = ensure_user(nw->db, user_mxid)) != 0)
		return r;
	memset(&row, 0, sizeof(row));
	r = br_store_login_get(nw->db, id, &old);
	if (r != 0 && r != U_ERR_NOT_FOUND)
		return r;
	if (old != NULL && old->metadata != NULL &&
	    json_is_object(old->metadata))
		meta = json_deep_copy(old->metadata);
	if (meta == NULL)
		meta = json_object();
	/* A relogin pairs a new device: the old one's session is dead
	 * weight (the phone lists it until removed there). */
	od = json_object_get(meta, "wa_device_id");
	if (json_is_integer(od) && json_integer_value(od) > 0 &&
	    json_integer_value(od) <= 0xffff &&
	    (unsigned)json_integer_value(od) != device) {
		char *ojid = u_asprintf("%s:%d@s.whatsapp.net", id,
		    (int)json_integer_value(od));

		(void)br_wa_store_db_ops.device_delete(nw->db, ojid);
		free(ojid);
	}
	json_object_set_new(meta, "wa_device_id", json_integer(device));
	row.id = (char *)id;
	row.user_mxid = (char *)user_mxid;
	row.remote_name = u_asprintf("+%s", id);
	row.remote_profile = json_pack("{s:s}", "phone", row.remote_name);
	row.space_room = old != NULL ? old->space_room : NULL;
	row.metadata = meta;
	r = old != NULL ? br_store_login_update(nw->db, &row) :
	    br_store_login_insert(nw->db, &row);
	free(row.remote_name);
	json_decref(row.remote_profile);
	json_decref(meta);
	br_login_free(old);
	return r;
}

static struct br_net_login *
find_login(struct net_wa *nw, const char *id)
{
	struct br_net_login *l;

	for (l = nw->logins; l != NULL; l = l->next)
		if (!l->closing && l->id != NULL && strcmp(l->id, id) == 0)
			return l;
	return NULL;
}

static void
flow_succeed(struct br_net_flow *f)
{
	struct net_wa *nw = f->nw;
	struct br_net_login *l = f->login, *old;
	struct br_net_state st = { BR_NET_CONNECTED, NULL, NULL };
	char id[BR_NET_WA_ID_MAX + 1];
	unsigned dev;
	int r;

	if (f->closing)
		return;
	if (l->device_jid == NULL ||
	    br__net_wa_jid_login(l->device_jid, id, &dev) != 0) {
		flow_fail(f, BR_ERR_NET_FAILED, "paired without a phone JID");
		return;
	}
	if ((r = store_login(nw, id, f->login->user_mxid, dev)) != 0) {
		log_warnx("cannot store the new login: %s", u_strerror(r));
		flow_fail(f, BR_ERR_NET_FAILED, "cannot store the login");
		return;
	}
	/* A relogin of the same number replaces the old handle. */
	if ((old = find_login(nw, id)) != NULL) {
		old->closing = 1;
		wa_client_stop(old->client);
		queue_reap(nw);
	}
	login_set_id(l, id, l->user_mxid);
	l->flow = NULL;
	l->next = nw->logins;
	nw->logins = l;
	f->login = NULL;
	f->closing = 1;
	queue_reap(nw);
	logp_info(l->prefix, "logged in (device %u)", dev);
	report(l, &st);
	if (f->cbs.on_success != NULL)
		f->cbs.on_success(f->arg, l);
}

static int
nw_flow_start(struct br_net *n, const char *user_mxid,
    enum br_net_flow_type type, const char *phone,
    const struct br_net_flow_cbs *cbs, void *arg, struct br_net_flow **out)
{
	struct net_wa *nw = n->impl;
	struct br_net_flow *f;
	char digits[BR_NET_PHONE_MAX + 1];
	int r;

	if (type == BR_NET_FLOW_PHONE) {
		if (phone == NULL)
			return BR_ERR_NET_PHONE_INTL;
		if ((r = br_net_phone_clean(phone, digits)) != 0)
			return r;
	}
	if (nw->stopped)
		return BR_ERR_NET_FAILED;
	f = u_calloc(1, sizeof(*f));
	f->nw = nw;
	f->cbs = *cbs;
	f->arg = arg;
	f->login = login_new(nw, NULL,
	    type == BR_NET_FLOW_PHONE ? digits : NULL);
	f->login->flow = f;
	f->login->user_mxid = u_strdup(user_mxid);
	if ((r = wa_client_start(f->login->client)) != 0) {
		log_warnx("cannot start a login flow: %s", u_strerror(r));
		login_free(f->login);
		free(f);
		return BR_ERR_NET_FAILED;
	}
	f->next = nw->flows;
	nw->flows = f;
	*out = f;
	return 0;
}

static void
nw_flow_cancel(struct br_net_flow *f)
{
	if (f == NULL || f->closing)
		return;
	f->closing = 1;
	if (f->login != NULL) {
		f->login->closing = 1;
		wa_client_stop(f->login->client);
	}
	queue_reap(f->nw);
}

/* ---- registered logins ---- */

/* A handle for a stored user_login row; its client is not started. */
static int
load_row(struct net_wa *nw, const struct br_login *row,
    struct br_net_login **out)
{
	struct br_net_login *l;
	struct wa_device dev;
	json_t *d = row->metadata ? json_object_get(row->metadata,
	    "wa_device_id") : NULL;
	char *jid;
	int r;

	if (d != NULL && (!json_is_integer(d) || json_integer_value(d) < 0 ||
	    json_integer_value(d) > 0xffff))
		return U_ERR_INVALID;
	if (d == NULL || json_integer_value(d) == 0)
		jid = u_asprintf("%s@s.whatsapp.net", row->id);
	else
		jid = u_asprintf("%s:%d@s.whatsapp.net", row->id,
		    (int)json_integer_value(d));
	l = login_new(nw, jid, NULL);
	login_set_id(l, row->id, row->user_mxid);
	free(jid);
	/* A row whose device is gone (logged out elsewhere, or a database
	 * without the whatsmeow session) is not connected: pairing anew
	 * would be a surprise.  Upstream reports wa-not-logged-in. */
	memset(&dev, 0, sizeof(dev));
	r = br_wa_store_db_ops.device_load(nw->db, l->device_jid, &dev);
	wa_device_clear(&dev);
	if (r == U_ERR_NOT_FOUND) {
		struct br_net_state st;

		br__net_wa_state_map(WA_STATE_PAIR_TIMEOUT, NULL, &st);
		l->info.state = st;
		l->paired = 0;
	} else if (r != 0) {
		login_free(l);
		return r;
	} else
		l->paired = 1;
	l->next = nw->logins;
	nw->logins = l;
	*out = l;
	return 0;
}

static int
nw_start(struct br_net *n)
{
	struct net_wa *nw = n->impl;
	char **users = NULL;
	struct br_login **rows;
	struct br_net_login *l;
	size_t i, j;
	int r, nlog = 0;

	nw->stopped = 0;
	if ((r = br_store_login_users(nw->db, &users)) != 0)
		return r;
	for (i = 0; users[i] != NULL; i++) {
		rows = NULL;
		if ((r = br_store_login_list_by_user(nw->db, users[i],
		    &rows)) != 0) {
			log_warnx("cannot list the logins of a user: %s",
			    u_strerror(r));
			continue;
		}
		for (j = 0; rows[j] != NULL; j++) {
			if (find_login(nw, rows[j]->id) != NULL)
				continue;
			if ((r = load_row(nw, rows[j], &l)) != 0) {
				log_warnx("cannot load a stored login: %s",
				    u_strerror(r));
				continue;
			}
			nlog++;
			if (!l->paired) {
				logp_warnx(l->prefix, "no WhatsApp session "
				    "stored for this login: not connecting");
				if (nw->ev.on_state != NULL)
					nw->ev.on_state(nw->ev.arg, l,
					    &l->info.state);
				continue;
			}
			if ((r = wa_client_start(l->client)) != 0)
				logp_warnx(l->prefix, "cannot connect: %s",
				    u_strerror(r));
		}
		br_login_list_free(rows);
	}
	for (i = 0; users[i] != NULL; i++)
		free(users[i]);
	free(users);
	log_info("network: %d stored login(s) loaded", nlog);
	return 0;
}

static void
nw_stop(struct br_net *n)
{
	struct net_wa *nw = n->impl;
	struct br_net_login *l;
	struct br_net_flow *f;

	nw->stopped = 1;
	for (f = nw->flows; f != NULL; f = f->next)
		nw_flow_cancel(f);
	for (l = nw->logins; l != NULL; l = l->next)
		wa_client_stop(l->client);
}

static void
nw_free(struct br_net *n)
{
	struct net_wa *nw;
	struct br_net_login *l;
	struct br_net_flow *f;

	if (n == NULL)
		return;
	nw = n->impl;
	nw_stop(n);
	for (l = nw->logins; l != NULL; l = l->next)
		l->closing = 1;
	for (f = nw->flows; f != NULL; f = f->next)
		f->closing = 1;
	reap(nw);
	/* The libwebsockets context all clients share; runs the loop
	 * briefly, hence "not from a loop callback". */
	wa_client_shutdown(nw->loop);
	free(nw->url);
	free(nw->web_version);
	free(nw);
}

static struct br_net_login *
nw_login_get(struct br_net *n, const char *id)
{
	return find_login(n->impl, id);
}

static int
cmp_login(const void *a, const void *b)
{
	const struct br_net_login *x = *(const struct br_net_login *const *)a;
	const struct br_net_login *y = *(const struct br_net_login *const *)b;

	return strcmp(x->id, y->id);
}

static size_t
nw_logins_of(struct br_net *n, const char *user_mxid,
    struct br_net_login **v, size_t max)
{
	struct net_wa *nw = n->impl;
	struct br_net_login *l;
	size_t k = 0;

	for (l = nw->logins; l != NULL && k < max; l = l->next)
		if (!l->closing && l->id != NULL &&
		    strcmp(l->user_mxid, user_mxid) == 0)
			v[k++] = l;
	qsort(v, k, sizeof(*v), cmp_login);
	return k;
}

static int
nw_connect(struct br_net_login *l)
{
	if (l->closing)
		return BR_ERR_NET_NOT_FOUND;
	return wa_client_start(l->client) == 0 ? 0 : BR_ERR_NET_FAILED;
}

static void
nw_disconnect(struct br_net_login *l)
{
	wa_client_stop(l->client);
}

static void
finish_logout(struct br_net_login *l)
{
	struct net_wa *nw = l->nw;
	int r;

	if (l->closing)
		return;
	l->closing = 1;
	r = br_wa_store_db_ops.device_delete(nw->db, l->device_jid);
	if (r != 0 && r != U_ERR_NOT_FOUND)
		logp_warnx(l->prefix, "cannot delete the session: %s",
		    u_strerror(r));
	r = br_wa_pending_delete_login(nw->db, l->id);
	if (r != 0)
		logp_warnx(l->prefix, "cannot delete pending messages: %s",
		    u_strerror(r));
	r = br_store_login_delete(nw->db, l->id);
	if (r != 0 && r != U_ERR_NOT_FOUND)
		logp_warnx(l->prefix, "cannot delete the login: %s",
		    u_strerror(r));
	logp_info(l->prefix, "logged out");
	queue_reap(nw);
}

static void
logout_iq_done(void *arg, const struct wa_node *res, int err)
{
	struct br_net_login *l = arg;

	if (err != 0)
		logp_info(l->prefix, "device not unlinked remotely: %s",
		    u_strerror(err));
	finish_logout(l);
}

static void
logout_deferred(void *arg)
{
	finish_logout(arg);
}

static int
nw_logout(struct br_net_login *l)
{
	struct wa_node *iq, *rc;

	if (l->closing || l->logging_out)
		return 0;
	l->logging_out = 1;
	if (wa_client_state(l->client) == WA_STATE_CONNECTED &&
	    l->device_jid != NULL) {
		iq = wa_node_new("iq");
		wa_node_set_attr(iq, "xmlns", "md");
		wa_node_set_attr(iq, "type", "set");
		wa_node_set_attr(iq, "to", "s.whatsapp.net");
		rc = wa_node_new("remove-companion-device");
		wa_node_set_attr(rc, "jid", l->device_jid);
		wa_node_set_attr(rc, "reason", "user_initiated");
		wa_node_add_child(iq, rc);
		if (wa_client_send_iq(l->client, iq, NET_WA_LOGOUT_IQ_MS,
		    logout_iq_done, l) == 0)
			return 0;
	}
	/* Not connected: forget it locally (the phone still lists the
	 * device until it is removed there). */
	u_loop_defer(l->nw->loop, logout_deferred, l);
	return 0;
}

static const struct br_net_login_info *
nw_info(const struct br_net_login *l)
{
	return &l->info;
}

/* ---- messages (issue 6) ---- */

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Pending rows read back per query at connect. */
#define NET_WA_PENDING_PAGE 500

static struct nw_pend *
pend_find(struct br_net_login *l, uint64_t seq)
{
	struct nw_pend *p;

	for (p = l->pend; p != NULL; p = p->next)
		if (p->msg->m.seq == seq)
			return p;
	return NULL;
}

static void
pend_unlink(struct br_net_login *l, struct nw_pend *x)
{
	struct nw_pend **pp, *prev = NULL;

	for (pp = &l->pend; *pp != NULL; prev = *pp, pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			if (l->pend_tail == x)
				l->pend_tail = prev;
			return;
		}
}

static void deliver(struct br_net_login *l);

static void
nw_message_done(struct br_net_login *l, uint64_t seq)
{
	struct nw_pend *p = pend_find(l, seq);
	int r;

	r = br_wa_pending_delete(l->nw->db, l->id, (int64_t)seq);
	if (r != 0 && r != U_ERR_NOT_FOUND)
		logp_warnx(l->prefix, "cannot delete pending message %llu: %s",
		    (unsigned long long)seq, u_strerror(r));
	if (p == NULL)
		return;
	pend_unlink(l, p);
	br__nw_msg_free(p->msg);
	free(p);
}

struct dl {
	struct br_net_login	*l;
	uint64_t		 seq;
	int			 retried;	/* media retry asked once */
};

static int dl_start(struct dl *d, struct nw_pend *p);

static void
media_retried(void *arg, int err, const char *direct_path)
{
	struct dl *d = arg;
	struct nw_pend *p = pend_find(d->l, d->seq);

	if (p == NULL) {
		free(d);
		return;
	}
	if (err == 0 && direct_path != NULL) {
		free(p->msg->wc.media.direct_path);
		p->msg->wc.media.direct_path = u_strdup(direct_path);
		if (dl_start(d, p) == 0)
			return;
	} else
		logp_warnx(d->l->prefix, "media retry of %s failed: %s",
		    p->msg->id, u_strerror(err));
	{
		struct br_net_login *l = d->l;

		p->downloading = 0;
		br__nw_msg_set_media(p->msg, NULL, 0, err != 0 ? err :
		    U_ERR_IO);
		free(d);
		deliver(l);
	}
}

static void
media_downloaded(void *arg, int err, const uint8_t *data, size_t len)
{
	struct dl *d = arg;
	struct br_net_login *l = d->l;
	struct nw_pend *p = pend_find(l, d->seq);
	struct wa_media_msg mm;
	uint8_t *copy = NULL;

	if (p == NULL) {
		free(d);
		return;
	}
	/* Gone from the media server: ask the sender's phone to upload it
	 * again (once), as mautrix-whatsapp does. */
	if (err == WA_ERR_MEDIA_EXPIRED && !d->retried) {
		d->retried = 1;
		memset(&mm, 0, sizeof(mm));
		mm.id = p->msg->id;
		mm.chat = p->msg->chat;
		mm.from_me = p->msg->m.from_me;
		mm.participant = p->msg->m.is_group ? p->msg->sender : NULL;
		if (wa_media_retry(l->media, &mm, p->msg->wc.media.media_key,
		    media_retried, d) == 0)
			return;
	}
	free(d);
	p->downloading = 0;
	if (err != 0)
		logp_warnx(l->prefix, "media of %s not downloaded: %s",
		    p->msg->id, u_strerror(err));
	else {
		copy = u_malloc(len > 0 ? len : 1);
		if (len > 0)
			memcpy(copy, data, len);
	}
	br__nw_msg_set_media(p->msg, copy, len, err);
	deliver(l);
}

static int
dl_start(struct dl *d, struct nw_pend *p)
{
	struct wa_media_ref ref;
	int r;

	if ((r = wa_media_ref_from(&p->msg->wc, &ref)) != 0)
		return r;
	return wa_media_download(d->l->media, &ref, media_downloaded, d);
}

/* Start the download of p's media: 1 started, 0 not possible (then the
 * message goes without its bytes). */
static int
start_download(struct br_net_login *l, struct nw_pend *p)
{
	struct dl *d;

	if (l->media == NULL)
		return 0;
	d = u_calloc(1, sizeof(*d));
	d->l = l;
	d->seq = p->msg->m.seq;
	if (dl_start(d, p) != 0) {
		free(d);
		return 0;
	}
	p->downloading = 1;
	return 1;
}

/*
 * Hand the core every message not yet handed, in order; a message whose
 * media is downloading holds the ones after it.
 */
static void
deliver(struct br_net_login *l)
{
	const struct br_net_events *ev = &l->nw->ev;
	struct nw_pend *p, *next;

	if (l->delivering || l->closing)
		return;
	l->delivering = 1;
	for (p = l->pend; p != NULL; p = next) {
		next = p->next;
		if (p->delivered)
			continue;
		if (p->downloading)
			break;
		if (p->msg->needs_media) {
			if (start_download(l, p))
				break;
			br__nw_msg_set_media(p->msg, NULL, 0,
			    BR_ERR_NET_FAILED);
		}
		p->delivered = 1;
		if (p->msg->ignore || ev->on_message == NULL) {
			nw_message_done(l, p->msg->m.seq);
			continue;
		}
		/* The core may call message_done from inside: p and
		 * everything before next may be gone afterwards; next is
		 * still live (only done messages are removed). */
		ev->on_message(ev->arg, l, &p->msg->m);
	}
	l->delivering = 0;
}

/*
 * Polls: a poll's secret and options are kept (to open votes later); a
 * vote is opened with its poll's (left ignored when the poll is unknown
 * or the vote does not open, as upstream drops it).
 */
static void
polls(struct br_net_login *l, struct br__nw_msg *m)
{
	const char *creators[1], *voters[1];
	uint8_t secret[32];
	char **opts = NULL;
	size_t n = 0;
	int r;

	if (m->wc.kind == WA_CONTENT_POLL_CREATE && m->wc.has_secret) {
		r = br_wa_poll_put(l->nw->db, l->id, m->chat, m->sender, m->id,
		    m->wc.secret, m->wc.poll.options, m->wc.poll.noptions);
		if (r != 0)
			logp_warnx(l->prefix, "cannot keep poll %s: %s", m->id,
			    u_strerror(r));
		return;
	}
	if (m->wc.kind != WA_CONTENT_POLL_VOTE || m->m.c.target_id == NULL ||
	    m->m.c.target_sender == NULL)
		return;
	r = br_wa_poll_get(l->nw->db, l->id, m->chat, m->m.c.target_sender,
	    m->m.c.target_id, secret, &opts, &n);
	if (r != 0) {
		logp_debug(l->prefix, "vote %s for an unknown poll", m->id);
		return;
	}
	creators[0] = m->m.c.target_sender;
	voters[0] = m->sender;
	r = br__nw_msg_open_vote(m, secret, opts, n, creators, 1, voters, 1);
	if (r != 0)
		logp_warnx(l->prefix, "vote %s does not open: %s", m->id,
		    u_strerror(r));
	memset(secret, 0, sizeof(secret));
	br_strv_free(opts);
}

/* Append a stored row to the queue (owned by the queue afterwards). */
static void
pend_add(struct br_net_login *l, const struct br_wa_pending *row)
{
	struct br__nw_msg *m = NULL;
	struct nw_pend *p;

	if (pend_find(l, (uint64_t)row->seq) != NULL)
		return;
	if (br__nw_msg_build(row, l->own_user, &m) != 0) {
		logp_warnx(l->prefix, "dropping a malformed pending row");
		(void)br_wa_pending_delete(l->nw->db, l->id, row->seq);
		return;
	}
	polls(l, m);
	p = u_calloc(1, sizeof(*p));
	p->msg = m;
	if (l->pend_tail != NULL)
		l->pend_tail->next = p;
	else
		l->pend = p;
	l->pend_tail = p;
}

/* chat and sender of an event as net.h names them (phone form when the
 * stanza tells it). */
static void
event_ids(struct br_net_login *l, const struct wa_msg_event *ev,
    char chat[WA_JID_STR_MAX], char sender[WA_JID_STR_MAX])
{
	struct wa_jid s = wa_jid_to_non_ad(&ev->sender);
	struct wa_jid c = wa_jid_to_non_ad(&ev->chat);

	if (ev->has_sender_pn)
		s = wa_jid_to_non_ad(&ev->sender_pn);
	if (ev->from_me && l->own_user != NULL)
		snprintf(sender, WA_JID_STR_MAX, "%s", l->own_user);
	else
		wa_jid_format(&s, sender, WA_JID_STR_MAX);
	/* A DM from a LID: the chat is the sender's phone form. */
	if (!ev->is_group && wa_jid_is_lid(&c) && ev->has_sender_pn &&
	    !ev->from_me)
		c = wa_jid_to_non_ad(&ev->sender_pn);
	wa_jid_format(&c, chat, WA_JID_STR_MAX);
}

static int
store_event(struct br_net_login *l, const struct wa_msg_event *ev,
    int undecryptable)
{
	char chat[WA_JID_STR_MAX], sender[WA_JID_STR_MAX];
	struct br_wa_pending row;
	int64_t seq = 0;
	char *meta;
	int r;

	if (ev->id == NULL || ev->id[0] == '\0')
		return U_ERR_INVALID;
	if (ev->has_sender_pn && wa_jid_is_lid(&ev->sender) &&
	    ev->sender_pn.user[0] != '\0')
		lid_remember(l, ev->sender.user, ev->sender_pn.user);
	event_ids(l, ev, chat, sender);
	meta = br__nw_meta_json(ev, undecryptable);
	r = br_wa_pending_put(l->nw->db, l->id, chat, sender, ev->id,
	    undecryptable ? NULL : ev->payload,
	    undecryptable ? 0 : ev->payload_len, meta,
	    (int64_t)ev->timestamp * 1000, &seq);
	if (r < 0) {
		logp_warnx(l->prefix, "cannot store message %s: %s", ev->id,
		    u_strerror(r));
		free(meta);
		return r;
	}
	if (r == BR_WA_PENDING_DUP && pend_find(l, (uint64_t)seq) != NULL) {
		free(meta);
		return WA_MSG_HAVE_IT;
	}
	memset(&row, 0, sizeof(row));
	row.seq = seq;
	row.chat = chat;
	row.sender = sender;
	row.msg_id = (char *)ev->id;
	row.payload = undecryptable ? NULL : (uint8_t *)ev->payload;
	row.len = undecryptable ? 0 : ev->payload_len;
	row.meta = meta;
	row.ts_ms = (int64_t)ev->timestamp * 1000;
	pend_add(l, &row);
	free(meta);
	return r == BR_WA_PENDING_DUP ? WA_MSG_HAVE_IT : 0;
}

/* Deferred on the side (not a login, which may be reaped meanwhile). */
static void
deliver_all(void *arg)
{
	struct net_wa *nw = arg;
	struct br_net_login *l;

	nw->deliver_queued = 0;
	for (l = nw->logins; l != NULL; l = l->next)
		if (l->deliver_queued) {
			l->deliver_queued = 0;
			deliver(l);
		}
}

/* Deliver at the end of this loop turn (after the ack went out). */
static void
queue_deliver(struct br_net_login *l)
{
	l->deliver_queued = 1;
	if (l->nw->deliver_queued)
		return;
	l->nw->deliver_queued = 1;
	u_loop_defer(l->nw->loop, deliver_all, l->nw);
}

/* whatsmeow's updatePushName: the sender's push name into the contacts
 * store (both forms), reported when it changed. */
static void
push_name(struct br_net_login *l, const struct wa_msg_event *ev)
{
	char chat[WA_JID_STR_MAX], sender[WA_JID_STR_MAX];
	char alt[WA_JID_STR_MAX];
	struct wa_jid s;

	if (l->as == NULL || ev->from_me || ev->push_name == NULL ||
	    ev->push_name[0] == '\0')
		return;
	if (ev->has_sender_pn && wa_jid_is_lid(&ev->sender) &&
	    ev->sender_pn.user[0] != '\0')
		lid_remember(l, ev->sender.user, ev->sender_pn.user);
	event_ids(l, ev, chat, sender);
	/* alt: the LID the stanza named when the sender is given by phone
	 * number, else what the login knows of the pair. */
	s = wa_jid_to_non_ad(&ev->sender);
	if (!wa_jid_is_lid(&s) || strcmp(wa_jid_format(&s, alt, sizeof(alt)),
	    sender) == 0) {
		if (br__nw_alt_jid(l, sender, alt, sizeof(alt)) != 0)
			alt[0] = '\0';
	}
	br__nw_as_push_name(l->as, sender, alt[0] != '\0' ? alt : NULL,
	    ev->push_name);
}

static int
rc_on_message(void *arg, const struct wa_msg_event *ev)
{
	struct br_net_login *l = arg;
	int r;

	if (l->closing)
		return U_ERR_INVALID;
	/* H19: a history sync notification from our phone is taken out of
	 * the message path first (bridge/net_wa_history.c). */
	if (br__nw_history_take(l, &(struct br__nw_hist_ctx){ l->nw->loop,
	    l->client, &l->media, l->nw->cfg, wa_client_device(l->client),
	    l->own_user, &l->nw->ev, l->prefix,
	    l->nw->db, l->id }, ev))	/* H20: db, login id: kept */
		return 0;
	/* An app-state key share from our phone: stored by the app state
	 * (net_wa_appstate.c), acked as a stored message. */
	if (br__nw_as_handle_message(l->as, ev))
		return 0;
	push_name(l, ev);
	r = store_event(l, ev, 0);
	if (r >= 0)
		queue_deliver(l);
	return r;
}

static void
rc_on_undecryptable(void *arg, const struct wa_msg_event *ev, int err)
{
	struct br_net_login *l = arg;

	if (l->closing)
		return;
	if (store_event(l, ev, err != 0 ? err : -1) >= 0)
		queue_deliver(l);
}

static const struct wa_msg_receiver_cbs rcv_cbs = {
	.on_message = rc_on_message,
	.on_undecryptable = rc_on_undecryptable,
};

static void
sn_on_receipt(void *arg, const struct wa_msg_receipt *rc)
{
	struct br_net_login *l = arg;
	const struct br_net_events *ev = &l->nw->ev;
	char chat[WA_JID_STR_MAX], sender[WA_JID_STR_MAX], cb[160], ub[160];
	struct br_net_receipt r;
	struct wa_jid s = wa_jid_to_non_ad(&rc->sender);
	struct wa_jid c = wa_jid_to_non_ad(&rc->chat);

	if (l->closing || ev->on_receipt == NULL)
		return;
	memset(&r, 0, sizeof(r));
	if (rc->type == NULL)
		r.type = BR_NET_RECEIPT_DELIVERED;
	else if (strcmp(rc->type, "read") == 0)
		r.type = BR_NET_RECEIPT_READ;
	else if (strcmp(rc->type, "read-self") == 0)
		r.type = BR_NET_RECEIPT_READ_SELF;
	else if (strcmp(rc->type, "played") == 0)
		r.type = BR_NET_RECEIPT_PLAYED;
	else
		return;
	wa_jid_format(&c, chat, sizeof(chat));
	if (r.type == BR_NET_RECEIPT_READ_SELF && l->own_user != NULL)
		snprintf(sender, sizeof(sender), "%s", l->own_user);
	else
		wa_jid_format(&s, sender, sizeof(sender));
	/* Receipts name the reader (and a DM) by LID: the phone form. */
	r.chat = lid_to_pn(l, chat, cb, sizeof(cb));
	r.sender = lid_to_pn(l, sender, ub, sizeof(ub));
	r.ids = rc->ids;
	r.n = rc->n;
	r.ts_ms = rc->ts * 1000;
	ev->on_receipt(ev->arg, l, &r);
}

/* Hand over the rows stored in earlier runs (or while disconnected). */
static void
load_pending(struct br_net_login *l)
{
	struct br_wa_pending **v = NULL;
	int64_t after = 0;
	size_t i;
	int r;

	for (;;) {
		r = br_wa_pending_list(l->nw->db, l->id, after,
		    NET_WA_PENDING_PAGE, &v);
		if (r != 0) {
			logp_warnx(l->prefix, "cannot read pending messages: "
			    "%s", u_strerror(r));
			return;
		}
		for (i = 0; v[i] != NULL; i++) {
			pend_add(l, v[i]);
			after = v[i]->seq;
		}
		br_wa_pending_list_free(v);
		if (i < NET_WA_PENDING_PAGE)
			break;
	}
}

static const char *cfg_opt(const struct br_config *cfg, const char *path);

static void
msg_connected(struct br_net_login *l)
{
	const struct wa_device *dev = wa_client_device(l->client);
	struct wa_media_opts mo;
	struct wa_jid j;
	char buf[WA_JID_STR_MAX];

	if (l->snd == NULL && dev != NULL && dev->jid != NULL &&
	    l->id != NULL) {
		if (wa_jid_parse(dev->jid, &j) == 0) {
			j = wa_jid_to_non_ad(&j);
			free(l->own_user);
			l->own_user = u_strdup(wa_jid_format(&j, buf,
			    sizeof(buf)));
		}
		l->sigdb = br_wa_signal_db_new(l->nw->db, dev->jid);
		l->sig = wa_signal_new(&br_wa_signal_db_ops, l->sigdb);
		l->snd = wa_msg_sender_new(l->nw->loop, l->client, l->sig);
		wa_msg_sender_set_receipt_cb(l->snd, sn_on_receipt, l);
		l->rcv = wa_msg_receiver_new(l->client, l->sig, &rcv_cbs, l);
		memset(&mo, 0, sizeof(mo));
		mo.ca_file = cfg_opt(l->nw->cfg,
		    "ponton.whatsapp.media_ca_file");
		l->media = wa_media_new(l->nw->loop, l->client, &mo);
		l->as = br__nw_as_new(l, dev->jid, l->media, l->snd);
	}
	if (l->id == NULL)
		return;
	load_pending(l);
	deliver(l);
	/* H20: history sync notifications kept from an earlier run (or cut
	 * by a disconnect) are handled again. */
	br__nw_history_resume(l, &(struct br__nw_hist_ctx){ l->nw->loop,
	    l->client, &l->media, l->nw->cfg, wa_client_device(l->client),
	    l->own_user, &l->nw->ev, l->prefix, l->nw->db, l->id });
	logp_debug(l->prefix, "synced: messages can be sent");
	if (l->nw->ev.on_synced != NULL)
		l->nw->ev.on_synced(l->nw->ev.arg, l);
}

static void
msg_teardown(struct br_net_login *l)
{
	struct nw_pend *p;

	br__nw_as_free(l->as);
	l->as = NULL;
	wa_media_free(l->media);
	l->media = NULL;
	wa_msg_sender_free(l->snd);
	l->snd = NULL;
	wa_msg_receiver_free(l->rcv);
	l->rcv = NULL;
	/* No callback of the sender or media client comes any more. */
	sends_cancel(l);
	wa_signal_free(l->sig);
	l->sig = NULL;
	br_wa_signal_db_free(l->sigdb);
	l->sigdb = NULL;
	while ((p = l->pend) != NULL) {
		l->pend = p->next;
		br__nw_msg_free(p->msg);
		free(p);
	}
	l->pend_tail = NULL;
	free(l->own_user);
	l->own_user = NULL;
}

/* ---- sending ---- */

struct nw_send {
	struct br_net_login	*l;
	br_net_done_fn		 done;
	void			*arg;
	struct wa_content	 wc;	/* media: waiting for the upload */
	char			*chat;
	struct nw_send		*next, **pprev;	/* l->sends */
};

static void
send_free(struct nw_send *s)
{
	if (s->pprev != NULL) {
		*s->pprev = s->next;
		if (s->next != NULL)
			s->next->pprev = s->pprev;
	}
	wa_content_free(&s->wc);
	free(s->chat);
	free(s);
}

/*
 * The login's messaging objects are gone with sends in flight (logout,
 * or the bridge stopping): each gets its one completion now.  Stopping:
 * BR_ERR_NET_CANCELLED (the core keeps the Matrix event for the next
 * start); a logout: a failure the sender is told about (the message may
 * have reached the server without its ack).
 */
static void
sends_cancel(struct br_net_login *l)
{
	struct br_net_result r;
	struct nw_send *s;
	int rc = l->nw->stopped ? BR_ERR_NET_CANCELLED : BR_ERR_NET_FAILED;

	memset(&r, 0, sizeof(r));
	r.reason = "the WhatsApp login went away before the server "
	    "confirmed the message";
	while ((s = l->sends) != NULL) {
		l->sends = s->next;
		if (s->next != NULL)
			s->next->pprev = &l->sends;
		s->pprev = NULL;
		logp_warnx(l->prefix, "a message to a chat was in flight: %s",
		    rc == BR_ERR_NET_CANCELLED ? "cancelled" : r.reason);
		s->done(s->arg, rc, &r);
		send_free(s);
	}
}

static void
sent(void *arg, const char *id, int err, int server_code)
{
	struct nw_send *s = arg;
	struct br_net_result r;
	char reason[96];

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.ts_ms = (uint64_t)wall_ms();
	logp_debug(s->l->prefix, "message %s to the chat: %s", id != NULL ?
	    id : "(no ID)", err != 0 ? u_strerror(err) : "sent");
	if (err != 0) {
		if (server_code != 0)
			snprintf(reason, sizeof(reason), "WhatsApp refused "
			    "the message (error %d)", server_code);
		else
			snprintf(reason, sizeof(reason), "%s",
			    u_strerror(err));
		r.reason = reason;
		s->done(s->arg, BR_ERR_NET_FAILED, &r);
	} else
		s->done(s->arg, 0, &r);
	send_free(s);
}

static int
send_wc(struct nw_send *s)
{
	struct wa_content_attrs a;
	struct wa_msg_send_opts o;
	char id[WA_MSG_ID_MAX];
	uint8_t *p = NULL;
	size_t n = 0;
	int r;

	r = wa_content_encode(&s->wc, &p, &n);
	if (r != 0)
		return r;
	wa_content_stanza_attrs(&s->wc, &a);
	memset(&o, 0, sizeof(o));
	o.type = a.type;
	o.edit = a.edit;
	o.mediatype = a.mediatype;
	o.polltype = a.polltype;
	o.decrypt_fail_hide = a.decrypt_fail_hide;
	r = wa_msg_send(s->l->snd, s->chat, p, n, &o, id, sent, s);
	free(p);
	return r;
}

static void
send_failed_later(struct nw_send *s, int err)
{
	struct br_net_result r;

	memset(&r, 0, sizeof(r));
	r.reason = u_strerror(err);
	s->done(s->arg, BR_ERR_NET_FAILED, &r);
	send_free(s);
}

static void
uploaded(void *arg, int err, const struct wa_media_upload *res)
{
	struct nw_send *s = arg;
	int r;

	if (err != 0) {
		send_failed_later(s, err);
		return;
	}
	wa_media_fill(&s->wc, res, (int64_t)(wall_ms() / 1000));
	if ((r = send_wc(s)) != 0)
		send_failed_later(s, r);
}

static int
nw_send(struct br_net_login *l, const char *chat,
    const struct br_net_content *c, br_net_done_fn done, void *arg)
{
	struct nw_send *s;
	int mt = -1, r;

	if (l->closing || l->snd == NULL)
		return BR_ERR_NET_FAILED;
	s = u_calloc(1, sizeof(*s));
	s->l = l;
	s->done = done;
	s->arg = arg;
	s->chat = u_strdup(chat);
	r = br__nw_content_to_wa(c, chat, l->own_user, &s->wc);
	if (r != 0) {
		free(s->chat);
		free(s);
		return r;
	}
	s->next = l->sends;
	if (s->next != NULL)
		s->next->pprev = &s->next;
	s->pprev = &l->sends;
	l->sends = s;
	switch (c->kind) {
	case BR_NET_KIND_IMAGE: mt = WA_MEDIA_IMAGE; break;
	case BR_NET_KIND_VIDEO: mt = WA_MEDIA_VIDEO; break;
	case BR_NET_KIND_AUDIO:
	case BR_NET_KIND_VOICE: mt = WA_MEDIA_AUDIO; break;
	case BR_NET_KIND_FILE: mt = WA_MEDIA_DOCUMENT; break;
	case BR_NET_KIND_STICKER: mt = WA_MEDIA_STICKER; break;
	default: break;
	}
	if (mt >= 0) {
		if (c->data == NULL || l->media == NULL)
			r = U_ERR_INVALID;
		else
			r = wa_media_upload(l->media, (enum wa_media_type)mt,
			    c->data, c->len, uploaded, s);
	} else
		r = send_wc(s);
	if (r != 0) {
		send_free(s);
		return r == U_ERR_INVALID || r == BR_ERR_NET_UNSUPPORTED ? r :
		    BR_ERR_NET_FAILED;
	}
	return 0;
}

static int
nw_mark_read(struct br_net_login *l, const char *chat, const char *sender,
    const char *const *ids, size_t n)
{
	struct wa_jid j;
	int group;

	if (l->closing || l->snd == NULL)
		return BR_ERR_NET_FAILED;
	group = wa_jid_parse(chat, &j) == 0 && wa_jid_is_group(&j);
	return wa_msg_send_read(l->snd, chat, group ? sender : NULL, ids, n) ==
	    0 ? 0 : BR_ERR_NET_FAILED;
}

static const struct br_net_ops net_wa_ops = {
	.name = "WhatsApp",
	.start = nw_start,
	.stop = nw_stop,
	.free = nw_free,
	.login_get = nw_login_get,
	.logins_of = nw_logins_of,
	.flow_start = nw_flow_start,
	.flow_cancel = nw_flow_cancel,
	.connect = nw_connect,
	.disconnect = nw_disconnect,
	.logout = nw_logout,
	.info = nw_info,
	.message_done = nw_message_done,
	.send = nw_send,
	.mark_read = nw_mark_read,
	/* Chat states, chats and groups: net_wa_group.c. */
	.set_typing = br__nw_set_typing,
	.chat_info = br__nw_chat_info,
	.list_groups = br__nw_list_groups,
	.create_group = br__nw_create_group,
	.set_name = br__nw_set_name,
	.set_topic = br__nw_set_topic,
	.set_avatar = br__nw_set_avatar,
	.members = br__nw_members,
	.invite_link = br__nw_invite_link,
	.join_link = br__nw_join_link,
	.leave = br__nw_leave,
	.resolve = br__nw_resolve,
	/* Contacts and app state: net_wa_appstate.c. */
	.list_contacts = br__nw_list_contacts,
	.sync_appstate = br__nw_sync_appstate,
	.avatar = br__nw_avatar,
};

static int
parse_hex32(const char *s, uint8_t out[32])
{
	unsigned v;
	int i;

	if (s == NULL || strspn(s, "0123456789abcdefABCDEF") != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static const char *
cfg_opt(const struct br_config *cfg, const char *path)
{
	const char *v = NULL;

	if (cfg == NULL || br_config_get(cfg, path, &v) != 0 || v == NULL ||
	    v[0] == '\0')
		return NULL;
	return v;
}

const char *
br__nw_media_ca_file(struct br_net_login *l)
{
	return cfg_opt(l->nw->cfg, "ponton.whatsapp.media_ca_file");
}

int
br_net_wa_new(struct u_loop *loop, const struct br_config *cfg,
    struct db *db, const struct br_net_wa_opts *opts,
    const struct br_net_events *ev, struct br_net **out)
{
	struct net_wa *nw = u_calloc(1, sizeof(*nw));
	const char *v;

	nw->pub.ops = &net_wa_ops;
	nw->pub.impl = nw;
	nw->loop = loop;
	nw->cfg = cfg;
	nw->db = db;
	if (ev != NULL)
		nw->ev = *ev;
	nw->ev_side = nw->ev;
	nw->ev_side.on_typing = side_on_typing;
	nw->ev_side.on_group = side_on_group;
	nw->ev_side.on_contact = side_on_contact;
	nw->ev_side.on_contacts_synced = side_on_contacts_synced;
	nw->ev_side.on_user_avatar = side_on_user_avatar;
	nw->ev_side.arg = nw;
	if (opts != NULL)
		nw->o = *opts;
	v = opts != NULL && opts->url != NULL ? opts->url :
	    cfg_opt(cfg, "ponton.whatsapp.websocket_url");
	nw->url = v != NULL ? u_strdup(v) : NULL;
	v = cfg_opt(cfg, "ponton.whatsapp.web_version");
	nw->web_version = v != NULL ? u_strdup(v) : NULL;
	if (opts != NULL && opts->trust_root != NULL) {
		memcpy(nw->root, opts->trust_root, 32);
		nw->has_root = 1;
	} else if ((v = cfg_opt(cfg, "ponton.whatsapp.trust_root")) != NULL) {
		if (parse_hex32(v, nw->root) != 0) {
			log_warnx("ponton.whatsapp.trust_root must be 64 hex "
			    "digits");
			free(nw->url);
			free(nw->web_version);
			free(nw);
			return U_ERR_INVALID;
		}
		nw->has_root = 1;
	}
	nw->pub.impl = nw;
	*out = &nw->pub;
	return 0;
}
