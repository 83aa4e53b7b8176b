/*
 * login_flow_state.c: bridge-state notices in the management room, as
 * mautrix-go bridgev2's BridgeStateQueue.sendNotice posts them.
 *
 * What it does: for each state a login reports (bridge/net.h on_state),
 * with bridge.bridge_status_notices "all" every state, with "errors" (the
 * default) BAD_CREDENTIALS and UNKNOWN_ERROR, and the CONNECTED that
 * follows an error; none with "none".  The message is upstream's:
 * "State update for +<number>: `<STATE>` (`<error>`): <message>", m.text
 * for errors and m.notice otherwise, with the state under
 * "fi.mau.bridge_state" in the content.
 *
 * What it does not do: the delayed notice for a TRANSIENT_DISCONNECT not
 * resolved after 3 minutes, and the status endpoint (POSTing states to
 * homeserver.status_endpoint).
 *
 * Invariants: per-login memory (whether an error was sent) is keyed by
 * login ID and dropped on on_login_gone; at most STATE_LOGINS_MAX entries
 * are kept (beyond, an error is simply not remembered).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bridge/bridge.h"
#include "bridge/login_flow.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/texts.h"
#include "util/log.h"
#include "util/mem.h"

/* Logins remembered at once; far above one bridge's users' logins. */
#define STATE_LOGINS_MAX 4096

struct sent {
	struct sent	*next;
	char		*id;		/* owned: login ID */
};

static struct sent *errors_sent;
static size_t n_errors_sent;

static struct sent **
find(const char *id)
{
	struct sent **pp;

	for (pp = &errors_sent; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->id, id) == 0)
			return pp;
	return NULL;
}

static void
set_error_sent(const char *id, int on)
{
	struct sent **pp = find(id), *s;

	if (on && pp == NULL && n_errors_sent < STATE_LOGINS_MAX) {
		s = u_calloc(1, sizeof(*s));
		s->id = u_strdup(id);
		s->next = errors_sent;
		errors_sent = s;
		n_errors_sent++;
	} else if (!on && pp != NULL) {
		s = *pp;
		*pp = s->next;
		free(s->id);
		free(s);
		n_errors_sent--;
	}
}

static void
sent_done(void *arg, int rc, json_t *resp)
{
	(void)arg;
	(void)resp;
	if (rc != 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("Failed to send bridge state notice: %s",
		    br_mx_strerror(rc));
}

static void
send_notice(struct br_bridge *br, const struct br_net_login_info *in,
    const struct br_net_state *st, int is_error)
{
	struct br_mx *mx = br->mx;
	char *room = NULL, *md, *html;
	json_t *c, *bs;
	int r;

	if (mx == NULL || mx->ops->send_event == NULL)
		return;
	if ((r = br_mgmt_db_get(br->db, in->user_mxid, &room)) != 0 ||
	    room == NULL) {
		free(room);
		return;
	}
	md = u_asprintf("State update for %s: `%s`%s%s%s%s%s",
	    in->remote_name != NULL ? in->remote_name : in->id,
	    br_net_state_event_name(st->event),
	    st->error ? " (`" : "", st->error ? st->error : "",
	    st->error ? "`)" : "", st->message ? ": " : "",
	    st->message ? st->message : "");
	html = br_text_md_html(md);
	bs = json_pack("{s:s, s:I, s:s, s:s, s:s}",
	    "state_event", br_net_state_event_name(st->event),
	    "timestamp", (json_int_t)time(NULL),
	    "user_id", in->user_mxid, "remote_id", in->id,
	    "remote_name", in->remote_name ? in->remote_name : "");
	if (st->error != NULL)
		json_object_set_new(bs, "error", json_string(st->error));
	if (st->message != NULL)
		json_object_set_new(bs, "message", json_string(st->message));
	c = json_pack("{s:s, s:s, s:s, s:s, s:o}",
	    "msgtype", is_error ? "m.text" : "m.notice", "body", md,
	    "format", "org.matrix.custom.html", "formatted_body", html,
	    "fi.mau.bridge_state", bs);
	if (c != NULL && mx->ops->send_event(mx, mx->ops->bot(mx), room,
	    "m.room.message", c, 0, sent_done, NULL) == 0)
		set_error_sent(in->id, is_error);
	json_decref(c);
	free(md);
	free(html);
	free(room);
}

void
br_login_on_state(void *arg, struct br_net_login *l,
    const struct br_net_state *st)
{
	struct br_bridge *br = arg;
	struct br_net *net = br_login_net();
	const struct br_net_login_info *in;
	const char *cfgv = br->cfg->bridge.bridge_status_notices;
	int is_error, all, errors;

	if (net == NULL || l == NULL)
		return;
	in = net->ops->info(l);
	if (in->id == NULL || in->user_mxid == NULL)
		return;
	all = cfgv != NULL && strcmp(cfgv, "all") == 0;
	errors = cfgv == NULL || strcmp(cfgv, "errors") == 0;
	is_error = st->event == BR_NET_BAD_CREDENTIALS ||
	    st->event == BR_NET_UNKNOWN_ERROR;
	if (all || (errors && (is_error || (find(in->id) != NULL &&
	    st->event == BR_NET_CONNECTED))))
		send_notice(br, in, st, is_error);
}

void
br_login_state_reset(void)
{
	while (errors_sent != NULL)
		set_error_sent(errors_sent->id, 0);
}

void
br_login_on_gone(void *arg, struct br_net_login *l)
{
	struct br_net *net = br_login_net();
	const struct br_net_login_info *in;

	(void)arg;
	if (net == NULL || l == NULL)
		return;
	in = net->ops->info(l);
	if (in->id != NULL)
		set_error_sent(in->id, 0);
}
