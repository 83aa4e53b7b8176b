/*
 * login_flow.c: login, logout and list-logins (see login_flow.h).
 *
 * A `login` creates one process record (struct proc) that follows the
 * network side's flow: QR texts are rendered (bridge/qr_png.c), uploaded
 * and sent as m.image, later ones as edits of the first; at most one
 * upload+send is in flight and only the newest waiting QR is kept, so a
 * slow homeserver never queues stale codes.  The pending command state
 * ("Login") makes `cancel` work; its cancel callback only cancels the
 * flow, never talks to Matrix (it also runs at shutdown).
 *
 * Texts follow upstream's wording (bridgev2 commands/login.go,
 * mautrix-whatsapp pkg/connector/login.go), with French beside them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/bridge.h"
#include "bridge/cmd.h"
#include "bridge/login_flow.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/qr_png.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

/* The logins listed at once (list-logins, logout usage). */
#define LOGIN_LIST_MAX 32
/* A list-logins answer: 32 lines of ~80 bytes. */
#define LOGIN_LIST_BYTES 8192

/* ---- texts ---- */

enum lt {
	LT_FLOWS = 0,
	LT_SPECIFY_FLOW,	/* {0}: flows list */
	LT_INVALID_FLOW,	/* {0}: given, {1}: flows list */
	LT_ONGOING,		/* {0}: action, {1}: prefix */
	LT_NOT_MGMT,		/* {0}: prefix */
	LT_PREPARE_FAILED,	/* {0}: error */
	LT_START_FAILED,	/* {0}: error */
	LT_SCAN_QR,
	LT_ENTER_PHONE,
	LT_INVALID_VALUE,	/* {0}: error */
	LT_SUBMIT_FAILED,	/* {0}: error */
	LT_ENTER_CODE,
	LT_QR_FAILED,		/* {0}: error */
	LT_LOGIN_FAILED,	/* {0}: error */
	LT_SUCCESS,		/* {0}: remote name */
	LT_NOT_LOGGED_IN,
	LT_LOGOUT_USAGE,	/* {0}: prefix, {1}: logins */
	LT_LOGIN_NOT_FOUND,	/* {0}: login ID */
	LT_LOGGED_OUT,
	LT_ACTION_LOGIN,
	LT_ERR_TIMEOUT,
	LT_ERR_OUTDATED,
	LT_ERR_UNEXPECTED,
	LT_SPECIFY_FLOW_RELOGIN,	/* {0}: login ID, {1}: flows list */
	LT_RELOGIN_USAGE,	/* {0}: prefix, {1}: logins */
	LT_COUNT
};

static const char *const texts[LT_COUNT][BR_LANG_COUNT] = {
	[LT_FLOWS] = {
		"* `qr` - Scan a QR code to pair the bridge to your WhatsApp "
		"account\n* `phone` - Input your phone number to get a pairing "
		"code, to pair the bridge to your WhatsApp account\n",
		"* `qr` - Scanner un code QR pour associer la passerelle à "
		"votre compte WhatsApp\n* `phone` - Saisir votre numéro de "
		"téléphone pour obtenir un code d'association, pour associer "
		"la passerelle à votre compte WhatsApp\n" },
	[LT_SPECIFY_FLOW] = {
		"Please specify a login flow, e.g. `login qr`.\n\n{0}",
		"Précisez une méthode de connexion, par exemple `login qr`."
		"\n\n{0}" },
	[LT_INVALID_FLOW] = {
		"Invalid login flow `{0}`. Available options:\n\n{1}",
		"Méthode de connexion `{0}` invalide. Possibilités :\n\n{1}" },
	[LT_ONGOING] = {
		"You already have an ongoing {0}. You can use `{1} cancel` to "
		"cancel it.",
		"Vous avez déjà une action en cours ({0}). Utilisez `{1} "
		"cancel` pour l'annuler." },
	[LT_NOT_MGMT] = {
		"\u26a0\ufe0f This is not your management room. Entering login "
		"info must be prefixed with `{0}` like other commands.",
		"\u26a0\ufe0f Ce n'est pas votre salon de gestion. Les "
		"informations de connexion doivent être précédées de `{0}` "
		"comme les autres commandes." },
	[LT_PREPARE_FAILED] = {
		"Failed to prepare login process: {0}",
		"Impossible de préparer la connexion : {0}" },
	[LT_START_FAILED] = {
		"Failed to start login: {0}",
		"Impossible de démarrer la connexion : {0}" },
	[LT_SCAN_QR] = {
		"Scan the QR code with the WhatsApp mobile app to log in",
		"Scannez le code QR avec l'application mobile WhatsApp pour "
		"vous connecter" },
	[LT_ENTER_PHONE] = {
		"Please enter your Phone number\nYour WhatsApp phone number "
		"in international format",
		"Saisissez votre numéro de téléphone\nVotre numéro WhatsApp "
		"au format international" },
	[LT_INVALID_VALUE] = {
		"Invalid value: {0}",
		"Valeur invalide : {0}" },
	[LT_SUBMIT_FAILED] = {
		"Failed to submit input: {0}",
		"Impossible d'envoyer la saisie : {0}" },
	[LT_ENTER_CODE] = {
		"Input the pairing code in the WhatsApp mobile app to log in",
		"Saisissez le code d'association dans l'application mobile "
		"WhatsApp pour vous connecter" },
	[LT_QR_FAILED] = {
		"Failed to send QR code: {0}",
		"Impossible d'envoyer le code QR : {0}" },
	[LT_LOGIN_FAILED] = {
		"Login failed: {0}",
		"Échec de la connexion : {0}" },
	[LT_SUCCESS] = {
		"Successfully logged in as {0}",
		"Connecté avec succès en tant que {0}" },
	[LT_NOT_LOGGED_IN] = {
		"You're not logged in",
		"Vous n'êtes pas connecté" },
	[LT_LOGOUT_USAGE] = {
		"Usage: `{0} logout <login ID>`\n\nYour logins:\n\n{1}",
		"Utilisation : `{0} logout <ID de connexion>`\n\nVos "
		"connexions :\n\n{1}" },
	[LT_LOGIN_NOT_FOUND] = {
		"Login `{0}` not found",
		"Connexion `{0}` introuvable" },
	[LT_LOGGED_OUT] = {
		"Logged out",
		"Déconnecté" },
	[LT_ACTION_LOGIN] = {
		"Login",
		"Connexion" },
	/* mautrix-whatsapp's login errors (pkg/connector/login.go). */
	[LT_ERR_TIMEOUT] = {
		"Entering code or scanning QR timed out. Please try again.",
		"Le délai pour saisir le code ou scanner le QR est dépassé. "
		"Réessayez." },
	[LT_ERR_OUTDATED] = {
		"Got client outdated error while waiting for QRs. The bridge "
		"must be updated to continue.",
		"WhatsApp a refusé cette version du client pendant l'attente "
		"des codes QR. La passerelle doit être mise à jour." },
	[LT_ERR_UNEXPECTED] = {
		"Unexpected event while waiting for login",
		"Événement inattendu pendant l'attente de la connexion" },
	[LT_SPECIFY_FLOW_RELOGIN] = {
		"Please specify a login flow, e.g. `relogin {0} qr`.\n\n{1}",
		"Précisez une méthode de connexion, par exemple `relogin {0} "
		"qr`.\n\n{1}" },
	[LT_RELOGIN_USAGE] = {
		"Usage: `{0} relogin <login ID> [_flow ID_]`\n\nYour "
		"logins:\n\n{1}",
		"Utilisation : `{0} relogin <ID de connexion> [_méthode_]`"
		"\n\nVos connexions :\n\n{1}" },
};

/* texts[id][lang] with {0} and {1} replaced (NULL: ""); owned. */
static char *
lt_fmt(enum br_lang lang, enum lt id, const char *a0, const char *a1)
{
	const char *t = texts[id][(unsigned)lang < BR_LANG_COUNT ? lang : 0];
	struct u_buf b;
	size_t len;

	u_buf_init(&b, 0);
	for (; *t != '\0'; t++) {
		if (t[0] == '{' && (t[1] == '0' || t[1] == '1') &&
		    t[2] == '}') {
			const char *a = t[1] == '0' ? a0 : a1;

			(void)u_buf_add_str(&b, a != NULL ? a : "");
			t += 2;
			continue;
		}
		(void)u_buf_add_u8(&b, (uint8_t)*t);
	}
	(void)u_buf_add_u8(&b, 0);
	return (char *)u_buf_steal(&b, &len);
}

static void
reply(struct br_bridge *br, const char *room, enum lt id, const char *a0,
    const char *a1)
{
	char *t = lt_fmt(br->lang, id, a0, a1);

	br_bridge_notice(br, room, t);
	free(t);
}

static void
ce_reply(struct br_cmd_event *ce, enum lt id, const char *a0, const char *a1)
{
	char *t = lt_fmt(ce->br->lang, id, a0, a1);

	br_cmd_reply(ce, t);
	free(t);
}

/* ---- process records ---- */

struct proc {
	struct proc		*next;		/* live list link */
	int			 refs;
	int			 live;		/* in the list, flow may run */
	struct br_bridge	*br;		/* borrowed */
	char			*mxid, *room;	/* owned */
	char			*override;	/* owned: relogin's login ID */
	struct br_net_flow	*flow;		/* the side's; NULL once ended */
	char			*qr_event;	/* owned: the first QR event */
	char			*qr_sending;	/* owned: text in flight */
	char			*qr_waiting;	/* owned: newest not sent */
	int			 busy;		/* upload/send in flight */
	int			 redact_pending;/* redact once not busy */
};

static struct {
	struct br_net	*net;		/* borrowed */
	struct proc	*procs;		/* live records */
} g;

static struct proc *
proc_new(struct br_bridge *br, const char *mxid, const char *room)
{
	struct proc *p = u_calloc(1, sizeof(*p));

	p->refs = 1;		/* the live list's */
	p->live = 1;
	p->br = br;
	p->mxid = u_strdup(mxid);
	p->room = u_strdup(room);
	p->next = g.procs;
	g.procs = p;
	return p;
}

static void
proc_unref(struct proc *p)
{
	if (--p->refs > 0)
		return;
	free(p->mxid);
	free(p->room);
	free(p->override);
	free(p->qr_event);
	free(p->qr_sending);
	free(p->qr_waiting);
	free(p);
}

/* Leave the live list (the flow is over or cancelled). */
static void
proc_end(struct proc *p)
{
	struct proc **pp;

	if (!p->live)
		return;
	p->live = 0;
	p->flow = NULL;
	for (pp = &g.procs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	proc_unref(p);
}

/* Drop the user's "Login" command state if it is this record's. */
static void cancel_state(void *arg);

static void
drop_state(struct proc *p)
{
	struct br_cmd_state *st = br_cmd_state_take(p->br, p->mxid);

	if (st == NULL)
		return;
	if (st->cancel == cancel_state && st->arg == p) {
		br_cmd_state_free(st);
		proc_unref(p);		/* the state's reference */
		return;
	}
	/* Someone else's: put it back untouched. */
	br_cmd_state_set(p->br, st->mxid, st->action, st->next, st->cancel,
	    st->arg);
	br_cmd_state_free(st);
}

static void redact_qr(struct proc *p);

/*
 * The command state's cancel: `cancel` or a replacing state, while the
 * bridge runs (the QR image is redacted, as upstream does when its wait
 * ends); at shutdown br_login_attach(NULL) has already ended every
 * record, so nothing reaches Matrix then.  Consumes the state's
 * reference.
 */
static void
cancel_state(void *arg)
{
	struct proc *p = arg;

	if (p->live) {
		if (g.net != NULL && p->flow != NULL)
			g.net->ops->flow_cancel(p->flow);
		p->flow = NULL;
		free(p->qr_waiting);
		p->qr_waiting = NULL;
		if (p->busy)
			p->redact_pending = 1;
		else
			redact_qr(p);
		proc_end(p);
	}
	proc_unref(p);
}

/* ---- QR images ---- */

static void send_qr(struct proc *p, char *qr);

static void
redact_done(void *arg, int rc, json_t *resp)
{
	struct proc *p = arg;

	if (rc != 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("login: cannot redact the QR code: %s",
		    br_mx_strerror(rc));
	proc_unref(p);
}

static void
redact_qr(struct proc *p)
{
	struct br_mx *mx = p->br->mx;

	p->redact_pending = 0;
	if (p->qr_event == NULL || mx == NULL || mx->ops->redact == NULL)
		return;
	p->refs++;
	if (mx->ops->redact(mx, mx->ops->bot(mx), p->room, p->qr_event, NULL,
	    redact_done, p) != 0)
		proc_unref(p);
}

/* After a send completes (or fails): the next QR, or the redaction. */
static void
qr_idle(struct proc *p)
{
	char *next;

	p->busy = 0;
	free(p->qr_sending);
	p->qr_sending = NULL;
	if (p->live && p->qr_waiting != NULL) {
		next = p->qr_waiting;
		p->qr_waiting = NULL;
		send_qr(p, next);
		return;
	}
	if (p->redact_pending)
		redact_qr(p);
}

static void
qr_fail(struct proc *p, int rc, const char *what)
{
	const char *e = br_mx_strerror(rc);

	log_warnx("login: cannot %s the QR code: %s", what, e ? e : "?");
	if (!p->live || rc == BR_ERR_MX_CANCELLED)
		return;
	reply(p->br, p->room, LT_QR_FAILED, e != NULL ? e : "error", NULL);
	if (g.net != NULL && p->flow != NULL)
		g.net->ops->flow_cancel(p->flow);
	drop_state(p);
	proc_end(p);
}

static void
sent_qr(void *arg, int rc, json_t *resp)
{
	struct proc *p = arg;
	const char *ev;

	if (rc != 0) {
		qr_fail(p, rc, "send");
	} else if (p->qr_event == NULL && (ev = json_string_value(
	    json_object_get(resp, "event_id"))) != NULL) {
		p->qr_event = u_strdup(ev);
		/* The flow may have ended while this was in flight. */
		if (!p->live)
			p->redact_pending = 1;
	}
	qr_idle(p);
	proc_unref(p);
}

/* upstream's sendQR content: m.image qr.png, body and <pre><code> the QR
 * text; later codes edit the first event. */
static json_t *
qr_content(const char *qr, const char *mxc, size_t size, unsigned px,
    const char *edit_of)
{
	char *html, *esc;
	json_t *c;
	struct u_buf b;
	size_t i, len;

	u_buf_init(&b, 0);
	for (i = 0; qr[i] != '\0'; i++) {
		switch (qr[i]) {
		case '&': (void)u_buf_add_str(&b, "&amp;"); break;
		case '<': (void)u_buf_add_str(&b, "&lt;"); break;
		case '>': (void)u_buf_add_str(&b, "&gt;"); break;
		case '"': (void)u_buf_add_str(&b, "&#34;"); break;
		case '\'': (void)u_buf_add_str(&b, "&#39;"); break;
		default: (void)u_buf_add_u8(&b, (uint8_t)qr[i]);
		}
	}
	(void)u_buf_add_u8(&b, 0);
	esc = (char *)u_buf_steal(&b, &len);
	html = u_asprintf("<pre><code>%s</code></pre>", esc);
	free(esc);
	c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:I, s:I, s:I}}",
	    "msgtype", "m.image", "filename", "qr.png", "url", mxc,
	    "body", qr, "format", "org.matrix.custom.html",
	    "formatted_body", html,
	    "info", "mimetype", "image/png", "w", (json_int_t)px,
	    "h", (json_int_t)px, "size", (json_int_t)size);
	free(html);
	if (c != NULL && edit_of != NULL) {
		json_t *nc = json_deep_copy(c);
		char *star = u_asprintf("* %s", qr);

		json_object_set_new(c, "m.new_content", nc);
		json_object_set_new(c, "body", json_string(star));
		json_object_set_new(c, "m.relates_to", json_pack("{s:s, s:s}",
		    "rel_type", "m.replace", "event_id", edit_of));
		free(star);
	}
	return c;
}

struct up {
	struct proc	*p;	/* ref */
	size_t		 size;
	unsigned	 px;
};

static void
uploaded_qr(void *arg, int rc, json_t *resp)
{
	struct up *u = arg;
	struct proc *p = u->p;
	struct br_mx *mx = p->br->mx;
	const char *mxc = json_string_value(json_object_get(resp,
	    "content_uri"));
	json_t *c;

	if (rc == 0 && mxc == NULL)
		rc = BR_ERR_MX_FAILED;
	if (rc != 0 || !p->live) {
		if (rc != 0)
			qr_fail(p, rc, "upload");
		qr_idle(p);
		goto out;
	}
	c = qr_content(p->qr_sending, mxc, u->size, u->px, p->qr_event);
	p->refs++;
	rc = mx->ops->send_event(mx, mx->ops->bot(mx), p->room,
	    "m.room.message", c, 0, sent_qr, p);
	json_decref(c);
	if (rc != 0) {
		proc_unref(p);
		qr_fail(p, rc, "send");
		qr_idle(p);
	}
out:
	proc_unref(p);
	free(u);
}

/* Render, upload and send qr (owned). */
static void
send_qr(struct proc *p, char *qr)
{
	struct br_mx *mx = p->br->mx;
	struct up *u;
	uint8_t *png = NULL;
	size_t len;
	unsigned px, sc;
	int r;

	if ((r = br_qr_png(qr, &png, &len, &px, &sc)) != 0) {
		free(qr);
		reply(p->br, p->room, LT_QR_FAILED, br_qr_png_strerror(r),
		    NULL);
		return;
	}
	if (mx == NULL || mx->ops->upload == NULL ||
	    mx->ops->send_event == NULL) {
		free(qr);
		free(png);
		qr_fail(p, BR_ERR_MX_UNSUPPORTED, "upload");
		return;
	}
	p->busy = 1;
	p->qr_sending = qr;
	u = u_calloc(1, sizeof(*u));
	u->p = p;
	u->size = len;
	u->px = px;
	p->refs++;
	r = mx->ops->upload(mx, mx->ops->bot(mx), png, len, "image/png",
	    "qr.png", uploaded_qr, u);
	free(png);
	if (r != 0) {
		free(u);
		proc_unref(p);
		qr_fail(p, r, "upload");
		qr_idle(p);
	}
}

/* ---- flow callbacks ---- */

static void
fl_qr(void *arg, const char *qr)
{
	struct proc *p = arg;

	if (!p->live)
		return;
	if (p->busy) {
		free(p->qr_waiting);
		p->qr_waiting = u_strdup(qr);
		return;
	}
	send_qr(p, u_strdup(qr));
}

static void
fl_code(void *arg, const char *code)
{
	struct proc *p = arg;
	char *md;

	if (!p->live)
		return;
	reply(p->br, p->room, LT_ENTER_CODE, NULL, NULL);
	md = u_asprintf("`%s`", code);
	br_bridge_notice(p->br, p->room, md);
	free(md);
}

static void
fl_done(struct proc *p)
{
	p->flow = NULL;
	free(p->qr_waiting);
	p->qr_waiting = NULL;
	drop_state(p);
	if (p->qr_event != NULL) {
		if (p->busy)
			p->redact_pending = 1;
		else
			redact_qr(p);
	}
}

static void
fl_success(void *arg, struct br_net_login *l)
{
	struct proc *p = arg;
	const struct br_net_login_info *i = g.net->ops->info(l);

	struct br_net_login *old;

	if (!p->live)
		return;
	fl_done(p);
	/* relogin that ended on another account: the old login goes, as
	 * bridgev2 deletes an overridden login with LogoutRemote. */
	if (p->override != NULL && strcmp(p->override, i->id) != 0 &&
	    (old = g.net->ops->login_get(g.net, p->override)) != NULL) {
		log_info("login: relogin gave another login ID; logging the "
		    "previous one out");
		(void)g.net->ops->logout(old);
	}
	reply(p->br, p->room, LT_SUCCESS, i->remote_name, NULL);
	proc_end(p);
}

static void
fl_failure(void *arg, int err, const char *reason)
{
	struct proc *p = arg;
	enum lt why = err == BR_ERR_NET_TIMEOUT ? LT_ERR_TIMEOUT :
	    err == BR_ERR_NET_OUTDATED ? LT_ERR_OUTDATED : LT_ERR_UNEXPECTED;
	char *e;

	if (!p->live)
		return;
	log_info("login: flow failed: %s (%s)", br_net_strerror(err),
	    reason != NULL ? reason : "");
	fl_done(p);
	e = lt_fmt(p->br->lang, why, NULL, NULL);
	reply(p->br, p->room, LT_LOGIN_FAILED, e, NULL);
	free(e);
	proc_end(p);
}

static const struct br_net_flow_cbs flow_cbs = {
	.on_qr = fl_qr,
	.on_code = fl_code,
	.on_success = fl_success,
	.on_failure = fl_failure,
};

/* ---- commands ---- */

static const char *
prefix(const struct br_bridge *br)
{
	return br->cfg->bridge.command_prefix;
}

static struct br_cmd_state *
state_of(struct br_bridge *br, const char *mxid)
{
	struct br_cmd_state *st;

	for (st = br->states; st != NULL; st = st->next_state)
		if (strcmp(st->mxid, mxid) == 0)
			return st;
	return NULL;
}

/*
 * Install the user's "Login" state; it holds a reference to p, given back
 * by cancel_state, drop_state or the next step (br_cmd_run frees a state
 * after its next step without cancelling it).
 */
static void
set_state(struct br_bridge *br, struct proc *p,
    void (*next)(struct br_cmd_event *, void *))
{
	char *action = lt_fmt(br->lang, LT_ACTION_LOGIN, NULL, NULL);

	p->refs++;
	br_cmd_state_set(br, p->mxid, action, next, cancel_state, p);
	free(action);
}

/* A message that is not a command while the QR / code is shown:
 * upstream answers "Unknown command" and keeps waiting. */
static void
wait_next(struct br_cmd_event *ce, void *arg)
{
	struct proc *p = arg;

	if (p->live) {
		set_state(ce->br, p, wait_next);
		br_cmd_reply_id(ce, BR_TXT_UNKNOWN_COMMAND, NULL, NULL);
	}
	proc_unref(p);
}

/* Start the flow; on success the display-and-wait state is set. */
static void
start_flow(struct br_cmd_event *ce, struct proc *p,
    enum br_net_flow_type type, const char *phone)
{
	int r;

	r = g.net->ops->flow_start(g.net, ce->sender, type, phone, &flow_cbs,
	    p, &p->flow);
	if (r != 0) {
		const char *e = br_net_strerror(r);

		ce_reply(ce, type == BR_NET_FLOW_PHONE ? LT_SUBMIT_FAILED :
		    LT_START_FAILED, e != NULL ? e : "error", NULL);
		proc_end(p);
		return;
	}
	if (type == BR_NET_FLOW_QR)
		ce_reply(ce, LT_SCAN_QR, NULL, NULL);
	set_state(ce->br, p, wait_next);
}

static void phone_next(struct br_cmd_event *ce, void *arg);

static void
ask_phone(struct br_cmd_event *ce, struct proc *p)
{
	set_state(ce->br, p, phone_next);
}

/* The phone number (the whole message), as bridgev2 validates it. */
static void
phone_next(struct br_cmd_event *ce, void *arg)
{
	struct proc *p = arg;
	char digits[BR_NET_PHONE_MAX + 1];
	const char *in = ce->message != NULL ? ce->message : "";
	int r;

	if (!p->live)
		;
	else if ((r = br_net_phone_clean(in, digits)) != 0) {
		ce_reply(ce, LT_INVALID_VALUE, br_net_strerror(r), NULL);
		ask_phone(ce, p);
	} else if (g.net == NULL) {
		ce_reply(ce, LT_SUBMIT_FAILED, "network not available", NULL);
		proc_end(p);
	} else
		start_flow(ce, p, BR_NET_FLOW_PHONE, in);
	proc_unref(p);		/* the state that brought us here */
}

struct br_net *
br_login_net(void)
{
	return g.net;
}

void
br_login_attach(struct br_net *net)
{
	struct proc *p;

	if (net == NULL) {
		while ((p = g.procs) != NULL) {
			if (g.net != NULL && p->flow != NULL)
				g.net->ops->flow_cancel(p->flow);
			p->flow = NULL;
			proc_end(p);
		}
		br_login_state_reset();
	}
	g.net = net;
}

/* login / relogin from argument a0 on; override: relogin's login ID. */
static void
login_common(struct br_cmd_event *ce, size_t a0, const char *override)
{
	char *flows = lt_fmt(ce->br->lang, LT_FLOWS, NULL, NULL);
	struct br_cmd_state *st;
	struct proc *p;
	char *flow = NULL, *number = NULL;
	enum br_net_flow_type type;
	size_t nargs = ce->nargs - a0, i;

	if ((st = state_of(ce->br, ce->sender)) != NULL) {
		char *a = u_strdup(st->action);

		for (i = 0; a[i] != '\0'; i++)
			if (a[i] >= 'A' && a[i] <= 'Z')
				a[i] = (char)(a[i] - 'A' + 'a');
		ce_reply(ce, LT_ONGOING, a, prefix(ce->br));
		free(a);
		goto out;
	}
	if (nargs == 0) {
		if (override != NULL)
			ce_reply(ce, LT_SPECIFY_FLOW_RELOGIN, override, flows);
		else
			ce_reply(ce, LT_SPECIFY_FLOW, flows, NULL);
		goto out;
	}
	flow = u_strdup(ce->args[a0]);
	for (i = 0; flow[i] != '\0'; i++)
		if (flow[i] >= 'A' && flow[i] <= 'Z')
			flow[i] = (char)(flow[i] - 'A' + 'a');
	if (strcmp(flow, "qr") == 0)
		type = BR_NET_FLOW_QR;
	else if (strcmp(flow, "phone") == 0)
		type = BR_NET_FLOW_PHONE;
	else {
		ce_reply(ce, LT_INVALID_FLOW, flow, flows);
		goto out;
	}
	if (nargs > 1 + (type == BR_NET_FLOW_PHONE)) {
		ce_reply(ce, LT_INVALID_VALUE, "too many parameters", NULL);
		goto out;
	}
	if (ce->mgmt_room == NULL || strcmp(ce->mgmt_room, ce->room_id) != 0)
		ce_reply(ce, LT_NOT_MGMT, prefix(ce->br), NULL);
	if (g.net == NULL) {
		ce_reply(ce, LT_PREPARE_FAILED, "network not available", NULL);
		goto out;
	}
	p = proc_new(ce->br, ce->sender, ce->room_id);
	if (override != NULL)
		p->override = u_strdup(override);
	/* `login phone +33...`: the number given directly; relogin reuses
	 * the login's own number (mautrix-whatsapp's StartWithOverride). */
	if (type == BR_NET_FLOW_PHONE && nargs == 2)
		number = u_strdup(ce->args[a0 + 1]);
	else if (type == BR_NET_FLOW_PHONE && override != NULL)
		number = u_asprintf("+%s", override);
	if (type == BR_NET_FLOW_QR)
		start_flow(ce, p, type, NULL);
	else if (number != NULL) {
		char digits[BR_NET_PHONE_MAX + 1];
		int r = br_net_phone_clean(number, digits);

		if (r != 0) {
			ce_reply(ce, LT_INVALID_VALUE, br_net_strerror(r),
			    NULL);
			proc_end(p);
		} else
			start_flow(ce, p, type, number);
	} else {
		ce_reply(ce, LT_ENTER_PHONE, NULL, NULL);
		ask_phone(ce, p);
	}
out:
	free(number);
	free(flow);
	free(flows);
}

void
br_cmd_login(struct br_cmd_event *ce)
{
	login_common(ce, 0, NULL);
}

void
br_cmd_relogin(struct br_cmd_event *ce)
{
	struct br_net_login *l = NULL;
	char *list;

	if (ce->nargs == 0) {
		list = br_login_format_list(g.net, ce->sender);
		ce_reply(ce, LT_RELOGIN_USAGE, prefix(ce->br), list);
		free(list);
		return;
	}
	if (g.net != NULL)
		l = g.net->ops->login_get(g.net, ce->args[0]);
	/* Only one's own logins (upstream looks the ID up without checking
	 * the owner; replacing someone else's login is not a feature). */
	if (l == NULL ||
	    strcmp(g.net->ops->info(l)->user_mxid, ce->sender) != 0) {
		ce_reply(ce, LT_LOGIN_NOT_FOUND, ce->args[0], NULL);
		return;
	}
	login_common(ce, 1, ce->args[0]);
}

char *
br_login_format_list(struct br_net *net, const char *mxid)
{
	struct br_net_login *v[LOGIN_LIST_MAX];
	struct u_buf b;
	size_t n, i, len;

	u_buf_init(&b, LOGIN_LIST_BYTES);
	n = net != NULL ? net->ops->logins_of(net, mxid, v, LOGIN_LIST_MAX) :
	    0;
	for (i = 0; i < n; i++) {
		const struct br_net_login_info *in = net->ops->info(v[i]);

		(void)u_buf_printf(&b, "%s* `%s` (%s) - `%s`", i ? "\n" : "",
		    in->id, in->remote_name,
		    br_net_state_event_name(in->state.event));
	}
	(void)u_buf_add_u8(&b, 0);
	return (char *)u_buf_steal(&b, &len);
}

void
br_cmd_list_logins(struct br_cmd_event *ce)
{
	char *l = br_login_format_list(g.net, ce->sender);

	if (l[0] == '\0')
		ce_reply(ce, LT_NOT_LOGGED_IN, NULL, NULL);
	else
		br_cmd_reply(ce, l);
	free(l);
}

void
br_cmd_logout(struct br_cmd_event *ce)
{
	struct br_net_login *l;
	char *list;

	if (ce->nargs == 0) {
		list = br_login_format_list(g.net, ce->sender);
		ce_reply(ce, LT_LOGOUT_USAGE, prefix(ce->br), list);
		free(list);
		return;
	}
	l = g.net != NULL ? g.net->ops->login_get(g.net, ce->args[0]) : NULL;
	if (l == NULL ||
	    strcmp(g.net->ops->info(l)->user_mxid, ce->sender) != 0) {
		ce_reply(ce, LT_LOGIN_NOT_FOUND, ce->args[0], NULL);
		return;
	}
	(void)g.net->ops->logout(l);
	ce_reply(ce, LT_LOGGED_OUT, NULL, NULL);
}
