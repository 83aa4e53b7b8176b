/*
 * portal_out.c: Matrix events in portal rooms -> WhatsApp (see
 * portal_out.h for the contract).
 *
 * Each event becomes an item on its portal's FIFO.  An item runs to the
 * end or parks the portal while it waits for the homeserver (a member's
 * displayname for relaying, a media download) or for WhatsApp (the send);
 * the completion continues it and, at the end, resumes the portal.  So a
 * chat's Matrix events reach WhatsApp in the order Matrix gave them.
 *
 * Upstream's behaviour kept (bridgev2 portal.go, mautrix-whatsapp
 * handlematrix.go and msgconv/from-matrix.go):
 *  - sender: FindPreferredLogin (relay.c); relayed users' reactions are
 *    ignored, their messages and edits rendered with
 *    relay.message_formats (stickers relayed as images), their
 *    redactions sent through the relay login;
 *  - m.notice only with bridge.bridge_notices;
 *  - text: reply fallback removed, HTML -> WhatsApp markup, pills of
 *    ghosts and of logged-in users -> mentions; m.mentions.room ->
 *    nonJIDMentions; m.emote is sent as its text (upstream adds nothing);
 *  - media: downloaded from Matrix, caption only when the body is not the
 *    file name, GIF images sent as video, voice (org.matrix.msc3245.voice)
 *    as PTT with the MSC1767 waveform scaled to 0..255 as upstream;
 *  - location: the geo: URI's coordinates, the body as the comment;
 *  - reactions: one per sender (a new one replaces the old, whose Matrix
 *    event the bot redacts), variation selectors removed;
 *  - read receipts: m.read only, from the last read point (or 5 s before)
 *    up to the event, grouped by sender, own messages skipped; a user's
 *    own message, reaction or redaction also reads up to it (implicit);
 *  - typing: the diff against who was typing;
 *  - a relayed sender's name from the room's members, disambiguated when
 *    another member has the same one.
 * ponton's own: the events are kept in kv_store until handled
 * (store_outq.c) and resumed first at the next start; a message waits for
 * its login to be connected (br_out_login_state).
 * Where ponton differs, on purpose:
 *  - a message WhatsApp refuses (e.g. 463) also gets the notice (upstream
 *    sends only the status event, off by default, so the sender would
 *    never learn of it);
 *  - media are not converted (upstream turns PNG/WebP images into JPEG,
 *    WebM/GIF videos into MP4 and makes stickers square WebP): they go as
 *    they are, and audio in a type WhatsApp does not play is refused as
 *    upstream refuses it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge/bridge.h"
#include "bridge/format.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/portal_out.h"
#include "bridge/relay.h"
#include "bridge/store.h"
#include "bridge/texts_out.h"
#include "crypto/cry.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Messages one read receipt marks read at most (a receipt after a long
 * absence would otherwise list the whole history). */
#define OUT_READ_MAX		1000
/* Distinct senders among them, in groups. */
#define OUT_READ_SENDERS_MAX	256
/* MSC1767 waveform samples kept (WhatsApp uses 64). */
#define OUT_WAVEFORM_MAX	256
/* A read receipt without a known last read point reads from 5 s before
 * (mautrix-whatsapp HandleMatrixReadReceipt). */
#define OUT_READ_BACK_NS	((int64_t)5 * 1000 * 1000 * 1000)

struct typing_room {
	char			*room_id;		/* owned */
	char			*users[BR_OUT_TYPING_MAX];	/* owned */
	size_t			 n;
	struct typing_room	*next;
};

/* Logins tracked as ready to send (net_wa.c keeps at most 64 too). */
#define OUT_LOGINS_MAX	64

struct br_out {
	struct br_bridge	*br;		/* borrowed */
	struct br_relay_cfg	*relay;		/* owned */
	struct typing_room	*typing;	/* owned list */
	int64_t			 seq;		/* last durable queue seq */
	int			 login_events;	/* states are reported */
	struct out_item		*waiting;	/* owned list: items whose
						 * login is not connected */
	/* Logins whose network side can send now (connected and synced):
	 * their IDs, owned; a login leaves the set at any other state. */
	char			*ready[OUT_LOGINS_MAX];
	size_t			 nready;
};

enum out_kind {
	OUT_MESSAGE = 0,
	OUT_REACTION,
	OUT_REDACTION,
	OUT_RECEIPT,
	OUT_TYPING,
	OUT_META,		/* room name, topic, avatar */
};

/* One queued event; everything owned. */
struct out_item {
	struct br_out		*o;		/* borrowed */
	struct br_portal_obj	*p;		/* ref */
	enum out_kind		 kind;
	char			*room_id, *event_id, *sender;
	char			*msgtype;	/* messages */
	char			*target;	/* reaction / redacts / read */
	char			*key;		/* reaction key */
	char			*reply_to, *edit_of;
	uint64_t		 ts_ms;
	json_t			*content;	/* ref, messages */
	char			**users;	/* typing */
	size_t			 n_users;
	int			 meta;		/* OUT_META: META_* */
	int64_t			 seq;		/* durable queue row, 0: none */
	struct out_item		*wait_next;	/* br_out.waiting */
	/* while running */
	int			 parked;
	struct br_relay_pick	 pick;
	char			*displayname;	/* relayed sender */
	int			 confusable;	/* another member has the name */
	struct br_message	*row;		/* placeholder / target */
	struct br_reaction	*reaction;	/* target / replaced */
	char			*own_jid;	/* the login's JID */
	/* what is being sent, owned pieces behind c's pointers */
	struct br_net_content	 c;
	struct br_fmt_wa	 wa;
	char			*text;
	char			*mime, *filename;
	unsigned char		*data;		/* the downloaded file */
	unsigned char		 waveform[OUT_WAVEFORM_MAX];
	char			*t_id, *t_sender;	/* target id / sender */
};

/* ---- life cycle ---- */

static void resume(struct br_out *o);

struct br_out *
br_out_new(struct br_bridge *br)
{
	struct br_out *o = u_calloc(1, sizeof(*o));

	o->br = br;
	if (br_relay_cfg_new(br->cfg, &o->relay) < 0) {
		free(o);
		return NULL;
	}
	br->out = o;
	resume(o);
	return o;
}

static void
typing_room_free(struct typing_room *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->users[i]);
	free(t->room_id);
	free(t);
}

void
br_out_free(struct br_out *o)
{
	struct typing_room *t;

	if (o == NULL)
		return;
	br_out_stop(o);
	while ((t = o->typing) != NULL) {
		o->typing = t->next;
		typing_room_free(t);
	}
	br_relay_cfg_free(o->relay);
	while (o->nready > 0)
		free(o->ready[--o->nready]);
	free(o);
}

static struct db *
dbof(const struct out_item *it)
{
	return it->o->br->db;
}

static void
item_free(struct out_item *it)
{
	size_t i;

	if (it == NULL)
		return;
	free(it->room_id);
	free(it->event_id);
	free(it->sender);
	free(it->msgtype);
	free(it->target);
	free(it->key);
	free(it->reply_to);
	free(it->edit_of);
	json_decref(it->content);
	for (i = 0; i < it->n_users; i++)
		free(it->users[i]);
	free(it->users);
	br_relay_pick_clear(&it->pick);
	free(it->displayname);
	br_message_free(it->row);
	br_reaction_free(it->reaction);
	free(it->own_jid);
	br_fmt_wa_clear(&it->wa);
	free(it->text);
	free(it->mime);
	free(it->filename);
	free(it->data);
	free(it->t_id);
	free(it->t_sender);
	if (it->p != NULL)
		br_portal_unref(it->p);
	free(it);
}

static const char *
evid(const struct out_item *it)
{
	return it->event_id != NULL ? it->event_id : "(ephemeral)";
}

/* The FIFO's drop: the registry went away before the item ran. */
static void
item_drop(void *arg)
{
	struct out_item *it = arg;

	log_debug("Matrix event %s dropped with its portal's queue (seq "
	    "%lld)", evid(it), (long long)it->seq);
	item_free(it);
}

/* The item is over: free it, and let the portal run on if it was
 * parked on us. */
static void
finish(struct out_item *it)
{
	struct br_portal_obj *p = it->p;
	int parked = it->parked;

	it->p = NULL;
	logp_debug(p->prefix, "event %s over (seq %lld)", evid(it),
	    (long long)it->seq);
	if (it->seq != 0 && br_store_outq_delete(dbof(it), it->seq) < 0)
		log_warnx("Queued Matrix event %lld not removed from the "
		    "database", (long long)it->seq);
	item_free(it);
	if (parked)
		br_portal_resume(p);
	br_portal_unref(p);
}

/* After a cancelled completion (shutdown): release only (the durable
 * row stays for the next start). */
static void
abandon(struct out_item *it)
{
	log_debug("Matrix event %s abandoned (seq %lld)", evid(it),
	    (long long)it->seq);
	item_free(it);
}

static const char *
pfx(const struct out_item *it)
{
	return it->p->prefix;
}

/* ---- status reporting (MessageStatus and its notice) ---- */

enum st_what { ST_MESSAGE, ST_REACTION, ST_REDACTION };

struct out_status {
	int		 ok;
	const char	*reason;	/* MessageStatusReason */
	char		*message;	/* owned human text */
	int		 certain;
	int		 notice;	/* SendNotice */
};

static void
status_sent(struct br_op *op, int rc, json_t *resp)
{
	(void)resp;
	if (rc != 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("Failed to send a message status to %s: %s",
		    op->room_id, br_mx_strerror(rc));
}

static void
bot_event(struct br_bridge *br, const char *room, const char *type,
    json_t *content)
{
	struct br_mx *mx = br->mx;
	struct br_op *op;

	if (mx == NULL || mx->ops->send_event == NULL)
		return;
	op = br_op_new(br, status_sent, room, NULL);
	if (mx->ops->send_event(mx, mx->ops->bot(mx), room, type, content, 0,
	    br_op_done, op) < 0)
		br_op_free(op);
}

static enum st_what
what_of(const struct out_item *it)
{
	if (it->kind == OUT_REACTION)
		return ST_REACTION;
	if (it->kind == OUT_REDACTION)
		return ST_REDACTION;
	return ST_MESSAGE;
}

/*
 * bridgev2 sendSuccessStatus / sendErrorStatus and the Matrix connector's
 * internalSendMessageStatus: the status event when
 * matrix.message_status_events, the notice (in reply to the event,
 * mentioning its sender) when the status asks for one and
 * matrix.message_error_notices and the event is not an m.notice, a bot
 * read receipt on success when matrix.delivery_receipts.
 */
static void
report(struct out_item *it, struct out_status *st)
{
	struct br_bridge *br = it->o->br;
	const struct br_config *cfg = br->cfg;
	static const enum br_out_text notice_ids[3][2] = {
		{ BR_OTX_MSG_MAYBE, BR_OTX_MSG_NOT },
		{ BR_OTX_REACTION_MAYBE, BR_OTX_REACTION_NOT },
		{ BR_OTX_REDACTION_MAYBE, BR_OTX_REDACTION_NOT },
	};
	json_t *c;
	char *body;

	if (it->event_id == NULL)
		goto out;
	if (!st->ok)
		logp_info(pfx(it), "event %s from %s not bridged: %s",
		    it->event_id, it->sender, st->message ? st->message : "");
	if (cfg->matrix.message_status_events) {
		c = json_pack("{s:{s:s,s:s},s:s}", "m.relates_to", "rel_type",
		    "m.reference", "event_id", it->event_id, "status",
		    st->ok ? "SUCCESS" : "FAIL_RETRIABLE");
		if (!st->ok) {
			json_object_set_new(c, "reason", json_string(
			    st->reason ? st->reason : "m.event_not_handled"));
			if (st->message != NULL) {
				json_object_set_new(c, "message",
				    json_string(st->message));
				json_object_set_new(c, "internal_error",
				    json_string(st->message));
			}
		}
		bot_event(br, it->room_id, "com.beeper.message_send_status",
		    c);
		json_decref(c);
	}
	if (!st->ok && st->notice && cfg->matrix.message_error_notices &&
	    (it->msgtype == NULL || strcmp(it->msgtype, "m.notice") != 0)) {
		body = br_out_text_fmt(br->lang,
		    notice_ids[what_of(it)][st->certain != 0],
		    st->message ? st->message : "");
		c = json_pack("{s:s,s:s,s:{s:{s:s}},s:{s:[s]}}", "msgtype",
		    "m.notice", "body", body, "m.relates_to", "m.in_reply_to",
		    "event_id", it->event_id, "m.mentions", "user_ids",
		    it->sender);
		bot_event(br, it->room_id, "m.room.message", c);
		json_decref(c);
		free(body);
	}
	if (st->ok && cfg->matrix.delivery_receipts && br->mx != NULL &&
	    br->mx->ops->receipt != NULL) {
		struct br_op *op = br_op_new(br, status_sent, it->room_id,
		    NULL);

		if (br->mx->ops->receipt(br->mx, br->mx->ops->bot(br->mx),
		    it->room_id, it->event_id, br_op_done, op) < 0)
			br_op_free(op);
	}
out:
	free(st->message);
	st->message = NULL;
}

static void
report_ok(struct out_item *it)
{
	struct out_status st = { 1, NULL, NULL, 1, 0 };

	report(it, &st);
}

/* A failure with a text from the table. */
static void
report_fail(struct out_item *it, enum br_out_text why, const char *arg,
    const char *reason, int certain, int notice)
{
	struct out_status st;

	memset(&st, 0, sizeof(st));
	st.reason = reason;
	st.message = br_out_text_fmt(it->o->br->lang, why, arg);
	st.certain = certain;
	st.notice = notice;
	report(it, &st);
}

#define R_GENERIC	"m.event_not_handled"
#define R_UNSUPPORTED	"com.beeper.unsupported_event"
#define R_NETWORK	"m.foreign_network_error"

/* "You're not logged in": a notice only for messages other than
 * notices (upstream's shouldSendNotice). */
static void
report_not_logged_in(struct out_item *it)
{
	report_fail(it, BR_OTX_NOT_LOGGED_IN, NULL, R_GENERIC, 1,
	    it->kind == OUT_MESSAGE);
}

static void
report_db(struct out_item *it, int r)
{
	logp_warnx(pfx(it), "database error: %s", u_strerror(r));
	report_fail(it, BR_OTX_DATABASE, NULL, R_GENERIC, 1, 1);
}

/* The network refused or failed: not certain (it may have gone out). */
static void
report_net(struct out_item *it, int rc, const char *reason)
{
	report_fail(it, BR_OTX_NETWORK, reason != NULL && reason[0] != '\0' ?
	    reason : u_strerror(rc), R_NETWORK, 0, 1);
}

/* ---- helpers ---- */

/* The login's own user JID and ghost row (the sender of what we send;
 * message rows need the ghost, as upstream's GetGhostByID makes sure). */
static int
own_identity(struct out_item *it, char **ghost_id)
{
	struct br_ghost *g = NULL, ng;
	char *gid = NULL;
	int r;

	if (it->own_jid == NULL &&
	    (r = br_id_login_device_jid(it->pick.login_id, 0,
	    &it->own_jid)) < 0)
		return r;
	if ((r = br_id_ghost(it->own_jid, &gid)) < 0)
		return r;
	r = br_store_ghost_get(dbof(it), gid, &g);
	if (r == U_ERR_NOT_FOUND) {
		memset(&ng, 0, sizeof(ng));
		ng.id = gid;
		ng.name = (char *)"";
		ng.avatar_id = ng.avatar_hash = ng.avatar_mxc = (char *)"";
		r = br_store_ghost_insert(dbof(it), &ng);
		if (r == DB_ERR_CONSTRAINT)
			r = 0;
	}
	br_ghost_free(g);
	if (r < 0) {
		free(gid);
		return r;
	}
	*ghost_id = gid;
	return 0;
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static uint64_t
juint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > 0 &&
	    json_real_value(v) < 1e15)
		return (uint64_t)json_real_value(v);
	return 0;
}

/* Mentions: a ghost's pill -> its JID; a Matrix user's -> the JID of
 * their login in this chat (upstream convertPill). */
static int
resolve_pill(void *arg, const char *mxid, char **jid)
{
	struct out_item *it = arg;
	const struct br_config *cfg = it->o->br->cfg;
	struct br_relay_pick pk;
	char *gid = NULL;
	int r;

	if (br_id_ghost_from_mxid(cfg->appservice.username_template,
	    cfg->homeserver.domain, mxid, &gid) == 0) {
		r = br_id_ghost_jid(gid, jid);
		free(gid);
		return r < 0 ? -1 : 0;
	}
	if (br_relay_pick(it->o->br->net, dbof(it), it->p->row, mxid, 0,
	    &pk) < 0)
		return -1;
	r = br_id_login_device_jid(pk.login_id, 0, jid);
	br_relay_pick_clear(&pk);
	return r < 0 ? -1 : 0;
}

/* Text (or caption) -> WhatsApp markup in it->wa. */
static int
convert_text(struct out_item *it, json_t *content, const char *body,
    const char *html)
{
	json_t *mentions = json_object_get(content, "m.mentions");
	json_t *ids = json_object_get(mentions, "user_ids"), *v;
	const char *allowed[BR_FMT_MAX_MENTIONS];
	size_t n = 0, i;

	if (json_is_array(ids))
		json_array_foreach(ids, i, v)
			if (json_is_string(v) && n < BR_FMT_MAX_MENTIONS)
				allowed[n++] = json_string_value(v);
	br_fmt_wa_clear(&it->wa);
	return br_fmt_matrix_to_wa(body, html, json_is_object(mentions),
	    json_is_true(json_object_get(mentions, "room")), allowed, n,
	    resolve_pill, it, &it->wa);
}

/* The reply's quoted message, from the message table. */
static void
set_reply(struct out_item *it, struct br_message **reply_row)
{
	struct br_message *m = NULL;
	struct br_msgid id;

	*reply_row = NULL;
	if (it->reply_to == NULL ||
	    br_store_message_get_by_mxid(dbof(it), it->reply_to, &m) < 0)
		return;
	if (br_id_message_parse(m->id, &id) < 0) {
		br_message_free(m);
		return;
	}
	free(it->t_id);
	free(it->t_sender);
	it->t_id = id.wa_id;
	it->t_sender = id.sender;
	free(id.chat);
	it->c.reply_id = it->t_id;
	it->c.reply_sender = it->t_sender;
	*reply_row = m;
}

/* A message row's WhatsApp ID and sender into t_id / t_sender. */
static int
set_target(struct out_item *it, const char *msg_id)
{
	struct br_msgid id;

	if (br_id_message_parse(msg_id, &id) < 0)
		return U_ERR_NOT_FOUND;
	free(it->t_id);
	free(it->t_sender);
	it->t_id = id.wa_id;
	it->t_sender = id.sender;
	free(id.chat);
	it->c.target_id = it->t_id;
	it->c.target_sender = it->t_sender;
	return 0;
}

int
br_out_parse_geo(const char *uri, double *lat, double *lon)
{
	const char *p, *end;
	char buf[128], *comma, *e1, *e2;
	size_t n;
	double a, b;

	if (uri == NULL || strncmp(uri, "geo:", 4) != 0)
		return U_ERR_INVALID;
	p = uri + 4;
	end = strchr(p, ';');
	n = end != NULL ? (size_t)(end - p) : strlen(p);
	if (n == 0 || n >= sizeof(buf))
		return U_ERR_INVALID;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if ((comma = strchr(buf, ',')) == NULL || strchr(comma + 1, ',') !=
	    NULL)
		return U_ERR_INVALID;
	*comma = '\0';
	errno = 0;
	a = strtod(buf, &e1);
	b = strtod(comma + 1, &e2);
	if (errno != 0 || e1 == buf || *e1 != '\0' || e2 == comma + 1 ||
	    *e2 != '\0' || !isfinite(a) || !isfinite(b))
		return U_ERR_INVALID;
	*lat = a;
	*lon = b;
	return 0;
}

/* ---- sending ---- */

static void sent(void *arg, int rc, const struct br_net_result *r);
static void implicit_read(struct out_item *it);

/*
 * Send it->c.  For a new message, its placeholder row goes in first (at
 * most once: a duplicate event ID stops here).  Returns 1 when the send
 * is under way (the item continues in sent()), 0 when the item is over.
 */
static int
login_ready(const struct br_out *o, const char *id)
{
	size_t i;

	for (i = 0; i < o->nready; i++)
		if (strcmp(o->ready[i], id) == 0)
			return 1;
	return 0;
}

/* Track whether login id can send: in the set while connected and synced. */
static void
login_set_ready(struct br_out *o, const char *id, int ready)
{
	size_t i;

	for (i = 0; i < o->nready; i++)
		if (strcmp(o->ready[i], id) == 0)
			break;
	if (ready && i == o->nready && o->nready < OUT_LOGINS_MAX)
		o->ready[o->nready++] = u_strdup(id);
	else if (!ready && i < o->nready) {
		free(o->ready[i]);
		o->ready[i] = o->ready[--o->nready];
	}
}

static int
send_now(struct out_item *it)
{
	struct br_bridge *br = it->o->br;
	struct br_net *net = br->net;
	struct br_message *reply_row = NULL;
	char *gid = NULL;
	int r;

	if (net == NULL || net->ops->send == NULL) {
		report_net(it, BR_ERR_NET_UNSUPPORTED, NULL);
		return 0;
	}
	if (it->o->login_events &&
	    (net->ops->info(it->pick.login)->state.event != BR_NET_CONNECTED ||
	    !login_ready(it->o, net->ops->info(it->pick.login)->id))) {
		/* Not connected, or connected but not yet synced (start-up,
		 * reconnecting: the sender does not exist yet): wait for it,
		 * so a burst across a restart is not refused. */
		logp_debug(pfx(it), "event %s waits for login %s",
		    it->event_id ? it->event_id : "", it->pick.login_id);
		it->wait_next = it->o->waiting;
		it->o->waiting = it;
		return 1;
	}
	if (it->c.kind != BR_NET_KIND_EDIT &&
	    it->c.kind != BR_NET_KIND_REACTION &&
	    it->c.kind != BR_NET_KIND_REVOKE && it->kind == OUT_MESSAGE) {
		struct br_message m;

		set_reply(it, &reply_row);
		if ((r = own_identity(it, &gid)) < 0) {
			br_message_free(reply_row);
			report_db(it, r);
			return 0;
		}
		memset(&m, 0, sizeof(m));
		if ((r = br_id_message_fake(it->p->row->id, it->own_jid,
		    it->event_id, &m.id)) < 0) {
			free(gid);
			br_message_free(reply_row);
			report_fail(it, BR_OTX_CONVERT, "event ID", R_GENERIC,
			    1, 0);
			return 0;
		}
		m.part_id = (char *)"";
		m.mxid = it->event_id;
		m.room_id = it->p->row->id;
		m.room_receiver = it->p->row->receiver;
		m.sender_id = gid;
		m.sender_mxid = it->sender;
		m.timestamp = (int64_t)it->ts_ms * 1000000;
		m.double_puppeted = -1;
		if (reply_row != NULL) {
			m.reply_to_id = reply_row->id;
			m.reply_to_part_id = reply_row->part_id;
		}
		r = br_store_message_insert(dbof(it), &m);
		if (r == 0)
			r = br_store_message_get_by_rowid(dbof(it), m.rowid,
			    &it->row);
		free(m.id);
		free(gid);
		br_message_free(reply_row);
		if (r == DB_ERR_CONSTRAINT) {
			logp_debug(pfx(it), "event %s already bridged",
			    it->event_id);
			return 0;
		}
		if (r < 0) {
			report_db(it, r);
			return 0;
		}
	}
	logp_debug(pfx(it), "event %s sending", evid(it));
	r = net->ops->send(it->pick.login, it->p->row->id, &it->c, sent, it);
	if (r < 0) {
		if (it->row != NULL && it->kind == OUT_MESSAGE &&
		    it->c.kind != BR_NET_KIND_EDIT) {
			br_store_message_delete(dbof(it), it->row->rowid);
		}
		report_net(it, r, NULL);
		return 0;
	}
	return 1;
}

/* After a message's send: the placeholder row gets the WhatsApp ID. */
static void
sent_message(struct out_item *it, const struct br_net_result *res)
{
	char *id = NULL;
	int r;

	if (it->row == NULL)
		return;
	if (it->c.kind == BR_NET_KIND_EDIT) {
		it->row->edit_count++;
		if ((r = br_store_message_update(dbof(it), it->row)) < 0)
			logp_warnx(pfx(it), "edit count not saved: %s",
			    u_strerror(r));
		return;
	}
	if (res == NULL || res->id == NULL ||
	    (r = br_id_message(it->p->row->id, it->own_jid, NULL, res->id,
	    &id)) < 0) {
		logp_warnx(pfx(it), "sent %s but the network gave no usable "
		    "message ID; its row stays a placeholder", it->event_id);
		return;
	}
	free(it->row->id);
	it->row->id = id;
	if (res->ts_ms > 0)
		it->row->timestamp = (int64_t)res->ts_ms * 1000000;
	if ((r = br_store_message_update(dbof(it), it->row)) < 0)
		logp_warnx(pfx(it), "row of %s not updated: %s",
		    it->event_id, u_strerror(r));
}

static void
redact_old_reaction(struct out_item *it)
{
	struct br_bridge *br = it->o->br;
	struct br_op *op;

	if (br->mx == NULL || br->mx->ops->redact == NULL ||
	    it->reaction == NULL || it->reaction->mxid == NULL)
		return;
	op = br_op_new(br, status_sent, it->room_id, NULL);
	if (br->mx->ops->redact(br->mx, br->mx->ops->bot(br->mx),
	    it->room_id, it->reaction->mxid, NULL, br_op_done, op) < 0)
		br_op_free(op);
}

static void
sent_reaction(struct out_item *it, const struct br_net_result *res)
{
	struct br_reaction rx;
	char *gid = NULL;
	int r;

	(void)res;
	if (it->c.text[0] == '\0') {
		/* A removal (redaction of our reaction). */
		struct br_reaction_key k = { it->reaction->room_receiver,
		    it->reaction->message_id, it->reaction->message_part_id,
		    it->reaction->sender_id, it->reaction->emoji_id };

		if ((r = br_store_reaction_delete(dbof(it), k)) < 0 &&
		    r != U_ERR_NOT_FOUND)
			logp_warnx(pfx(it), "reaction row not deleted: %s",
			    u_strerror(r));
		return;
	}
	if (it->reaction != NULL)
		redact_old_reaction(it);
	if ((r = own_identity(it, &gid)) < 0) {
		logp_warnx(pfx(it), "reaction not saved: %s", u_strerror(r));
		return;
	}
	memset(&rx, 0, sizeof(rx));
	rx.message_id = it->row->id;
	rx.message_part_id = it->row->part_id;
	rx.sender_id = gid;
	rx.sender_mxid = it->sender;
	rx.emoji_id = (char *)"";
	rx.emoji = it->text;
	rx.room_id = it->p->row->id;
	rx.room_receiver = it->p->row->receiver;
	rx.mxid = it->event_id;
	rx.timestamp = (int64_t)it->ts_ms * 1000000;
	if ((r = br_store_reaction_upsert(dbof(it), &rx)) < 0)
		logp_warnx(pfx(it), "reaction not saved: %s", u_strerror(r));
	free(gid);
}

static void
sent(void *arg, int rc, const struct br_net_result *res)
{
	struct out_item *it = arg;
	int r;

	logp_debug(pfx(it), "event %s send done: %d (%s)", evid(it), rc,
	    res != NULL && res->id != NULL ? res->id : "no ID");
	if (rc == BR_ERR_NET_CANCELLED) {
		abandon(it);
		return;
	}
	if (rc < 0) {
		if (it->kind == OUT_MESSAGE && it->row != NULL &&
		    it->c.kind != BR_NET_KIND_EDIT &&
		    (r = br_store_message_delete(dbof(it), it->row->rowid)) <
		    0)
			logp_warnx(pfx(it), "placeholder row not deleted: %s",
			    u_strerror(r));
		report_net(it, rc, res != NULL ? res->reason : NULL);
		finish(it);
		return;
	}
	switch (it->kind) {
	case OUT_MESSAGE:
		sent_message(it, res);
		break;
	case OUT_REACTION:
		sent_reaction(it, res);
		break;
	case OUT_REDACTION:
		if (it->c.kind == BR_NET_KIND_REVOKE && it->row != NULL &&
		    (r = br_store_message_delete(dbof(it), it->row->rowid)) <
		    0)
			logp_warnx(pfx(it), "revoked row not deleted: %s",
			    u_strerror(r));
		else if (it->c.kind == BR_NET_KIND_REACTION)
			sent_reaction(it, res);
		break;
	default:
		break;
	}
	report_ok(it);
	finish(it);
}

/* ---- messages ---- */

static int is_media(const char *t)
{
	return strcmp(t, "m.image") == 0 || strcmp(t, "m.video") == 0 ||
	    strcmp(t, "m.audio") == 0 || strcmp(t, "m.file") == 0 ||
	    strcmp(t, "m.sticker") == 0;
}

/*
 * The text part of a message (its text, or its caption) after relay
 * rendering: *body, *html, *fname point into c or rel.
 */
static int
relay_render(struct out_item *it, const char *msgtype, const char *body,
    const char *html, const char *fname, struct br_relay_out *rel)
{
	struct br_relay_sender_owned snd;
	struct br_relay_content rc;
	int r;

	br_relay_sender_build(it->o->relay, it->o->br->cfg, it->sender,
	    it->displayname, it->confusable, &snd);
	memset(&rc, 0, sizeof(rc));
	rc.msgtype = msgtype;
	rc.body = body;
	rc.formatted_body = html;
	rc.filename = fname;
	r = br_relay_render(it->o->relay, &rc, &snd.s, rel);
	br_relay_sender_clear(&snd);
	return r;
}

/* The message's text fields, reply fallback removed. */
static void
text_fields(struct out_item *it, json_t *content, char **body, char **html)
{
	const char *b = jstr(content, "body"), *h = NULL;

	if (b == NULL)
		b = "";
	if (strcmp(jstr(content, "format") ? jstr(content, "format") : "",
	    "org.matrix.custom.html") == 0)
		h = jstr(content, "formatted_body");
	br_fmt_remove_reply_fallback(it->reply_to != NULL && it->edit_of ==
	    NULL, b, h, body, html);
}

/* text, notice, emote (and edits): it->c ready to send, or reported. */
static int
build_text(struct out_item *it, json_t *content, const char *msgtype)
{
	struct br_relay_out rel;
	char *body = NULL, *html = NULL;
	int r;

	memset(&rel, 0, sizeof(rel));
	text_fields(it, content, &body, &html);
	if (it->pick.relayed) {
		if ((r = relay_render(it, msgtype, body, html, NULL, &rel)) <
		    0) {
			free(body);
			free(html);
			if (r == BR_ERR_FMT_NO_FORMAT)
				report_fail(it, BR_OTX_NO_RELAY_FORMAT,
				    msgtype, R_GENERIC, 0, 0);
			else
				report_fail(it, BR_OTX_CONVERT,
				    br_fmt_strerror(r), R_GENERIC, 0, 0);
			return 0;
		}
		free(body);
		free(html);
		body = rel.body;
		html = rel.formatted_body;
		rel.body = rel.formatted_body = NULL;
		br_relay_out_clear(&rel);
	}
	r = convert_text(it, content, body, html);
	free(body);
	free(html);
	if (r < 0) {
		report_fail(it, BR_OTX_CONVERT, br_fmt_strerror(r), R_GENERIC,
		    1, 1);
		return 0;
	}
	it->c.text = it->wa.text;
	it->c.mentions = (const char *const *)it->wa.mentioned_jids;
	it->c.n_mentions = it->wa.n_mentioned;
	return 1;
}

static int
msg_location(struct out_item *it, json_t *content)
{
	struct br_relay_out rel;
	const char *body = jstr(content, "body");

	memset(&rel, 0, sizeof(rel));
	it->c.kind = BR_NET_KIND_LOCATION;
	if (br_out_parse_geo(jstr(content, "geo_uri"), &it->c.lat,
	    &it->c.lon) < 0) {
		report_fail(it, BR_OTX_CONVERT, "invalid geo URI", R_GENERIC,
		    0, 0);
		return 0;
	}
	if (it->pick.relayed && relay_render(it, "m.location", body, NULL,
	    NULL, &rel) == 0) {
		it->text = rel.body;
		rel.body = NULL;
		br_relay_out_clear(&rel);
	} else
		it->text = u_strdup(body != NULL ? body : "");
	it->c.text = it->text;
	return send_now(it);
}

/* Audio types WhatsApp plays (mautrix-whatsapp reuploadFileToWhatsApp). */
static int
audio_ok(char **mime)
{
	static const char *const ok[] = { "audio/aac", "audio/mp4",
	    "audio/amr", "audio/mpeg", "audio/ogg; codecs=opus", NULL };
	size_t i;

	if (strcmp(*mime, "audio/ogg") == 0) {
		free(*mime);
		*mime = u_strdup("audio/ogg; codecs=opus");
		return 1;
	}
	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(*mime, ok[i]) == 0)
			return 1;
	return 0;
}

/* getAudioInfo: MSC1767 waveform, values over 256 scaled down by 4. */
static void
set_waveform(struct out_item *it, json_t *content)
{
	json_t *a = json_object_get(content, "org.matrix.msc1767.audio");
	json_t *w = json_object_get(a, "waveform"), *v;
	json_int_t maxv = 0, x;
	size_t i, n = 0;

	if (it->c.duration_s == 0 && juint(a, "duration") > 0)
		it->c.duration_s = (uint32_t)(juint(a, "duration") / 1000);
	if (!json_is_array(w))
		return;
	json_array_foreach(w, i, v)
		if (json_is_integer(v) && json_integer_value(v) > maxv)
			maxv = json_integer_value(v);
	json_array_foreach(w, i, v) {
		if (n >= OUT_WAVEFORM_MAX)
			break;
		x = json_is_integer(v) ? json_integer_value(v) : 0;
		if (x < 0)
			x = 0;
		if (maxv > 256)
			x /= 4;
		it->waveform[n++] = (unsigned char)(x > 255 ? 255 : x);
	}
	it->c.waveform = it->waveform;
	it->c.waveform_len = n;
}

static void
downloaded(void *arg, int rc, const unsigned char *data, size_t len,
    const char *ctype)
{
	struct out_item *it = arg;
	json_t *content = it->content, *info;
	const char *msgtype = it->msgtype, *body, *fname;
	struct br_relay_out rel;
	char *b = NULL, *h = NULL;
	int r;

	if (rc == BR_ERR_MX_CANCELLED) {
		abandon(it);
		return;
	}
	if (rc < 0) {
		if (rc == BR_ERR_MX_TOO_BIG)
			report_fail(it, BR_OTX_MEDIA_TOO_LARGE, NULL,
			    R_UNSUPPORTED, 1, 1);
		else
			report_fail(it, BR_OTX_MEDIA_DOWNLOAD, NULL,
			    R_GENERIC, 1, 1);
		finish(it);
		return;
	}
	info = json_object_get(content, "info");
	if (it->mime == NULL)
		it->mime = u_strdup(ctype != NULL && ctype[0] != '\0' ? ctype :
		    "application/octet-stream");
	if (strcmp(msgtype, "m.sticker") == 0 && it->pick.relayed)
		msgtype = "m.image";	/* relayed stickers are images */
	/* Kept: the send may wait for the login. */
	it->data = u_malloc(len + 1);
	memcpy(it->data, data, len);
	it->c.data = it->data;
	it->c.len = len;
	it->c.width = (uint32_t)juint(info, "w");
	it->c.height = (uint32_t)juint(info, "h");
	it->c.duration_s = (uint32_t)(juint(info, "duration") / 1000);
	if (strcmp(msgtype, "m.sticker") == 0)
		it->c.kind = BR_NET_KIND_STICKER;
	else if (strcmp(msgtype, "m.image") == 0)
		it->c.kind = strcmp(it->mime, "image/gif") == 0 ?
		    BR_NET_KIND_VIDEO : BR_NET_KIND_IMAGE;
	else if (strcmp(msgtype, "m.video") == 0)
		it->c.kind = BR_NET_KIND_VIDEO;
	else if (strcmp(msgtype, "m.audio") == 0) {
		if (!audio_ok(&it->mime)) {
			report_fail(it, BR_OTX_UNSUPPORTED_MEDIA, it->mime,
			    R_UNSUPPORTED, 1, 1);
			finish(it);
			return;
		}
		it->c.kind = json_object_get(content,
		    "org.matrix.msc3245.voice") != NULL ? BR_NET_KIND_VOICE :
		    BR_NET_KIND_AUDIO;
		set_waveform(it, content);
	} else
		it->c.kind = BR_NET_KIND_FILE;
	it->c.mime = it->mime;
	/* Caption: only when the body is not the file name. */
	text_fields(it, content, &b, &h);
	fname = jstr(content, "filename");
	body = b;
	memset(&rel, 0, sizeof(rel));
	if (it->pick.relayed) {
		r = relay_render(it, msgtype, b, h, fname, &rel);
		if (r < 0) {
			free(b);
			free(h);
			if (r == BR_ERR_FMT_NO_FORMAT)
				report_fail(it, BR_OTX_NO_RELAY_FORMAT,
				    msgtype, R_GENERIC, 0, 0);
			else
				report_fail(it, BR_OTX_CONVERT,
				    br_fmt_strerror(r), R_GENERIC, 0, 0);
			finish(it);
			return;
		}
		body = rel.body;
		fname = rel.filename;
	}
	it->filename = u_strdup(fname != NULL && fname[0] != '\0' ? fname :
	    body);
	it->c.filename = it->filename;
	if (fname != NULL && fname[0] != '\0' && strcmp(body, fname) != 0) {
		r = convert_text(it, content, body, it->pick.relayed ?
		    rel.formatted_body : h);
		if (r < 0) {
			free(b);
			free(h);
			br_relay_out_clear(&rel);
			report_fail(it, BR_OTX_CONVERT, br_fmt_strerror(r),
			    R_GENERIC, 1, 1);
			finish(it);
			return;
		}
		it->c.text = it->wa.text;
		it->c.mentions = (const char *const *)it->wa.mentioned_jids;
		it->c.n_mentions = it->wa.n_mentioned;
	}
	free(b);
	free(h);
	br_relay_out_clear(&rel);
	if (!send_now(it))
		finish(it);
}

static int
msg_media(struct out_item *it, json_t *content)
{
	struct br_bridge *br = it->o->br;
	const char *url = jstr(content, "url");
	const char *mime = jstr(json_object_get(content, "info"), "mimetype");
	uint64_t size = juint(json_object_get(content, "info"), "size");

	if (url == NULL || strncmp(url, "mxc://", 6) != 0) {
		/* Encrypted files ("file") need the room's keys, which ponton
		 * does not hold. */
		report_fail(it, BR_OTX_UNSUPPORTED_TYPE, NULL, R_UNSUPPORTED,
		    1, 1);
		return 0;
	}
	if (size > BR_OUT_MEDIA_MAX) {
		report_fail(it, BR_OTX_MEDIA_TOO_LARGE, NULL, R_UNSUPPORTED, 1,
		    1);
		return 0;
	}
	if (mime != NULL && mime[0] != '\0')
		it->mime = u_strdup(mime);
	if (br->mx == NULL || br->mx->ops->download == NULL ||
	    br->mx->ops->download(br->mx, br->mx->ops->bot(br->mx), url,
	    BR_OUT_MEDIA_MAX, downloaded, it) < 0) {
		report_fail(it, BR_OTX_MEDIA_DOWNLOAD, NULL, R_GENERIC, 1, 1);
		return 0;
	}
	return 1;
}

static int
msg_edit(struct out_item *it)
{
	json_t *nc = json_object_get(it->content, "m.new_content");
	const char *msgtype;
	int r;

	if (!json_is_object(nc))
		nc = it->content;
	msgtype = jstr(nc, "msgtype");
	if (msgtype == NULL)
		msgtype = it->msgtype;
	r = br_store_message_get_by_mxid(dbof(it), it->edit_of, &it->row);
	if (r == U_ERR_NOT_FOUND || (r == 0 && set_target(it, it->row->id) <
	    0)) {
		report_fail(it, BR_OTX_TARGET_NOT_FOUND, NULL, R_GENERIC, 1,
		    0);
		return 0;
	}
	if (r < 0) {
		report_db(it, r);
		return 0;
	}
	if (it->pick.relayed && (strcmp(msgtype, "m.sticker") == 0 ||
	    is_media(msgtype)))
		msgtype = strcmp(msgtype, "m.sticker") == 0 ? "m.image" :
		    msgtype;
	if (!build_text(it, nc, msgtype))
		return 0;
	it->c.kind = BR_NET_KIND_EDIT;
	return send_now(it);
}

/* After the sender is known (and, relayed, their displayname). */
static int
msg_continue(struct out_item *it)
{
	const char *t = it->msgtype;

	if (it->edit_of != NULL)
		return msg_edit(it);
	if (strcmp(t, "m.text") == 0 || strcmp(t, "m.notice") == 0 ||
	    strcmp(t, "m.emote") == 0) {
		if (!build_text(it, it->content, t))
			return 0;
		it->c.kind = BR_NET_KIND_TEXT;
		return send_now(it);
	}
	if (is_media(t))
		return msg_media(it, it->content);
	if (strcmp(t, "m.location") == 0)
		return msg_location(it, it->content);
	report_fail(it, BR_OTX_UNSUPPORTED_TYPE, NULL, R_UNSUPPORTED, 1, 1);
	return 0;
}

/*
 * The relayed sender's room displayname, and whether another member goes
 * by the same name (upstream's checkConfusableName; names that only
 * collide with our ghosts do not count).  Upstream compares Unicode
 * confusable skeletons; ponton compares the names with ASCII case
 * folded, which catches the plain impersonation ("alice" / "Alice").
 */
static void
got_members(void *arg, int rc, json_t *resp)
{
	struct out_item *it = arg;
	struct br_mx *mx = it->o->br->mx;
	json_t *joined, *v;
	const char *dn = NULL, *uid, *other;

	if (rc == BR_ERR_MX_CANCELLED) {
		abandon(it);
		return;
	}
	/* An error: the MXID stands in, as upstream's DisambiguatedName
	 * does without member info. */
	joined = rc == 0 ? json_object_get(resp, "joined") : NULL;
	dn = jstr(json_object_get(joined, it->sender), "display_name");
	if (dn != NULL && dn[0] != '\0') {
		it->displayname = u_strdup(dn);
		json_object_foreach(joined, uid, v) {
			other = jstr(v, "display_name");
			if (strcmp(uid, it->sender) == 0 || other == NULL ||
			    (mx != NULL && mx->ops->is_ours(mx, uid)))
				continue;
			if (strcasecmp(other, dn) == 0) {
				it->confusable = 1;
				break;
			}
		}
	}
	if (it->kind == OUT_MESSAGE && msg_continue(it))
		return;
	finish(it);
}

/*
 * Pick the sender; a relayed one needs their room displayname first.
 * Returns 1 when the item went async.
 */
static int
msg_start(struct out_item *it)
{
	struct br_bridge *br = it->o->br;
	struct br_message *m = NULL;
	int r;

	if (it->edit_of == NULL) {
		r = br_store_message_get_by_mxid(dbof(it), it->event_id, &m);
		br_message_free(m);
		if (r == 0) {
			logp_debug(pfx(it), "event %s already bridged",
			    it->event_id);
			return 0;
		}
	}
	if (strcmp(it->msgtype, "m.notice") == 0 &&
	    !br->cfg->bridge.bridge_notices) {
		report_fail(it, BR_OTX_IGNORING_NOTICE, NULL, R_GENERIC, 1, 0);
		return 0;
	}
	r = br_relay_pick(br->net, dbof(it), it->p->row, it->sender, 1,
	    &it->pick);
	if (r == BR_ERR_NET_NOT_FOUND) {
		report_not_logged_in(it);
		return 0;
	}
	if (r < 0) {
		report_db(it, r);
		return 0;
	}
	implicit_read(it);
	if (it->pick.relayed && br->mx != NULL &&
	    br->mx->ops->joined_members != NULL &&
	    br->mx->ops->joined_members(br->mx, br->mx->ops->bot(br->mx),
	    it->room_id, got_members, it) == 0)
		return 1;
	return msg_continue(it);
}

/* ---- reactions and redactions ---- */

/* variationselector.Remove: drop U+FE0F. */
static char *
strip_vs16(const char *s)
{
	char *out = u_strdup(s), *w = out;
	const char *p;

	for (p = s; *p != '\0';) {
		if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xb8
		    && (unsigned char)p[2] == 0x8f) {
			p += 3;
			continue;
		}
		*w++ = *p++;
	}
	*w = '\0';
	return out;
}

static int
reaction_start(struct out_item *it)
{
	struct br_bridge *br = it->o->br;
	struct br_reaction *old = NULL;
	struct br_reaction_key k;
	char *gid = NULL;
	int r;

	r = br_store_reaction_get_by_mxid(dbof(it), it->event_id, &old);
	br_reaction_free(old);
	old = NULL;
	if (r == 0)
		return 0;
	r = br_relay_pick(br->net, dbof(it), it->p->row, it->sender, 1,
	    &it->pick);
	if (r == BR_ERR_NET_NOT_FOUND) {
		report_not_logged_in(it);
		return 0;
	}
	if (r < 0) {
		report_db(it, r);
		return 0;
	}
	if (it->pick.relayed) {
		report_fail(it, BR_OTX_RELAYED_REACTION, NULL, R_GENERIC, 1,
		    0);
		return 0;
	}
	implicit_read(it);
	r = br_store_message_get_by_mxid(dbof(it), it->target, &it->row);
	if (r == U_ERR_NOT_FOUND || (r == 0 && set_target(it, it->row->id) <
	    0)) {
		report_fail(it, BR_OTX_TARGET_NOT_FOUND, NULL, R_GENERIC, 1,
		    0);
		return 0;
	}
	if (r < 0 || (r = own_identity(it, &gid)) < 0) {
		report_db(it, r);
		return 0;
	}
	it->text = strip_vs16(it->key);
	k.room_receiver = it->p->row->receiver;
	k.message_id = it->row->id;
	k.message_part_id = it->row->part_id;
	k.sender_id = gid;
	k.emoji_id = "";
	r = br_store_reaction_get(dbof(it), k, &it->reaction);
	free(gid);
	if (r == 0 && strcmp(it->reaction->emoji, it->text) == 0) {
		logp_debug(pfx(it), "duplicate reaction %s", it->event_id);
		report_ok(it);
		return 0;
	}
	it->c.kind = BR_NET_KIND_REACTION;
	it->c.text = it->text;
	return send_now(it);
}

static int
redaction_start(struct out_item *it)
{
	struct br_bridge *br = it->o->br;
	int r;

	r = br_relay_pick(br->net, dbof(it), it->p->row, it->sender, 1,
	    &it->pick);
	if (r == BR_ERR_NET_NOT_FOUND) {
		report_not_logged_in(it);
		return 0;
	}
	if (r < 0) {
		report_db(it, r);
		return 0;
	}
	implicit_read(it);
	r = br_store_message_get_by_mxid(dbof(it), it->target, &it->row);
	if (r == 0) {
		if (set_target(it, it->row->id) < 0) {
			/* A placeholder: nothing reached WhatsApp to revoke;
			 * the row goes. */
			br_store_message_delete(dbof(it), it->row->rowid);
			report_ok(it);
			return 0;
		}
		it->c.kind = BR_NET_KIND_REVOKE;
		return send_now(it);
	}
	if (r != U_ERR_NOT_FOUND) {
		report_db(it, r);
		return 0;
	}
	r = br_store_reaction_get_by_mxid(dbof(it), it->target,
	    &it->reaction);
	if (r == 0) {
		if (set_target(it, it->reaction->message_id) < 0) {
			report_fail(it, BR_OTX_TARGET_NOT_FOUND, NULL,
			    R_GENERIC, 1, 0);
			return 0;
		}
		it->text = u_strdup("");
		it->c.kind = BR_NET_KIND_REACTION;
		it->c.text = it->text;
		return send_now(it);
	}
	if (r != U_ERR_NOT_FOUND) {
		report_db(it, r);
		return 0;
	}
	report_fail(it, BR_OTX_TARGET_NOT_FOUND, NULL, R_GENERIC, 1, 0);
	return 0;
}

/* ---- receipts and typing ---- */

struct read_group {
	const char	*sender;	/* borrowed from the parsed IDs */
	const char	**ids;		/* borrowed */
	size_t		 n;
};

/*
 * Mark read, as it->pick's login, the chat's messages after the user's
 * last read point (or 5 s before upto) up to upto (ns), and move the
 * point (HandleMatrixReadReceipt).
 */
static void
read_upto(struct out_item *it, int64_t upto)
{
	struct br_net *net = it->o->br->net;
	struct br_portal_key key = { it->p->row->id, it->p->row->receiver };
	struct br_user_portal *up = NULL;
	struct br_message **msgs = NULL;
	struct br_msgid *ids = NULL;
	struct read_group groups[OUT_READ_SENDERS_MAX];
	const char **idv = NULL;
	size_t n = 0, ng = 0, i, j, k = 0;
	int64_t last = 0;
	int r;

	if (net == NULL || net->ops->mark_read == NULL ||
	    it->pick.login == NULL)
		return;
	if (br_store_user_portal_get(dbof(it), it->sender, it->pick.login_id,
	    key, &up) == 0) {
		last = up->last_read;
		br_user_portal_free(up);
	}
	if (upto <= last)
		return;
	if (last == 0)
		last = upto - OUT_READ_BACK_NS;
	if ((r = br_store_message_list_between(dbof(it), key, last, upto,
	    &msgs)) < 0 && r != U_ERR_NOT_FOUND) {
		logp_warnx(pfx(it), "read receipt: %s", u_strerror(r));
		return;
	}
	if (it->own_jid == NULL && br_id_login_device_jid(it->pick.login_id,
	    0, &it->own_jid) < 0)
		goto out;
	while (msgs != NULL && msgs[n] != NULL && n < OUT_READ_MAX)
		n++;
	ids = u_calloc(n + 1, sizeof(*ids));
	idv = u_calloc(n + 1, sizeof(*idv));
	for (i = 0; i < n; i++) {
		if (br_id_message_parse(msgs[i]->id, &ids[k]) < 0)
			continue;
		if (strcmp(ids[k].sender, it->own_jid) == 0) {
			br_msgid_clear(&ids[k]);
			continue;
		}
		k++;
	}
	/* Group by sender, each group's IDs contiguous in idv. */
	for (i = 0; i < k; i++) {
		for (j = 0; j < ng; j++)
			if (strcmp(groups[j].sender, ids[i].sender) == 0)
				break;
		if (j == ng && ng < OUT_READ_SENDERS_MAX) {
			groups[ng].sender = ids[i].sender;
			groups[ng].n = 0;
			ng++;
		}
	}
	for (j = 0, n = 0; j < ng; j++) {
		groups[j].ids = &idv[n];
		for (i = 0; i < k; i++)
			if (strcmp(groups[j].sender, ids[i].sender) == 0) {
				idv[n++] = ids[i].wa_id;
				groups[j].n++;
			}
	}
	for (j = 0; j < ng; j++) {
		/* DMs: no participant (upstream's blank key). */
		const char *snd = strcmp(groups[j].sender, it->p->row->id) ==
		    0 ? NULL : groups[j].sender;

		if ((r = net->ops->mark_read(it->pick.login, it->p->row->id,
		    snd, groups[j].ids, groups[j].n)) < 0)
			logp_warnx(pfx(it), "mark read: %s", u_strerror(r));
	}
	if ((r = br_store_user_portal_set_last_read(dbof(it), it->sender,
	    it->pick.login_id, key, upto)) < 0)
		logp_warnx(pfx(it), "last read not saved: %s", u_strerror(r));
out:
	for (i = 0; ids != NULL && i < k; i++)
		br_msgid_clear(&ids[i]);
	free(ids);
	free(idv);
	br_message_list_free(msgs);
}

/* An event of a user who sends as themself reads the chat up to it
 * (upstream's implicit read receipt; WhatsApp has ImplicitReadReceipts). */
static void
implicit_read(struct out_item *it)
{
	if (!it->pick.relayed && it->ts_ms > 0)
		read_upto(it, (int64_t)it->ts_ms * 1000000);
}

static void
receipt_run(struct out_item *it)
{
	struct br_message *exact = NULL;
	int64_t upto;

	if (br_relay_pick(it->o->br->net, dbof(it), it->p->row, it->sender, 0,
	    &it->pick) < 0)
		return;
	if (br_store_message_get_by_mxid(dbof(it), it->target, &exact) == 0) {
		upto = exact->timestamp;
		br_message_free(exact);
	} else
		upto = (int64_t)it->ts_ms * 1000000;
	read_upto(it, upto);
}

static struct typing_room *
typing_room(struct br_out *o, const char *room, int create)
{
	struct typing_room *t;

	for (t = o->typing; t != NULL; t = t->next)
		if (strcmp(t->room_id, room) == 0)
			return t;
	if (!create)
		return NULL;
	t = u_calloc(1, sizeof(*t));
	t->room_id = u_strdup(room);
	t->next = o->typing;
	o->typing = t;
	return t;
}

static void
typing_send(struct out_item *it, const char *user, int typing)
{
	struct br_bridge *br = it->o->br;
	struct br_relay_pick pk;
	int r;

	if (br->net == NULL || br->net->ops->set_typing == NULL ||
	    br_relay_pick(br->net, dbof(it), it->p->row, user, 0, &pk) < 0)
		return;
	if ((r = br->net->ops->set_typing(pk.login, it->p->row->id,
	    typing ? BR_NET_TYPING : BR_NET_TYPING_STOPPED)) < 0)
		logp_debug(pfx(it), "typing not sent: %s", u_strerror(r));
	br_relay_pick_clear(&pk);
}

static int
has_user(char *const *v, size_t n, const char *u)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], u) == 0)
			return 1;
	return 0;
}

static void
typing_run(struct out_item *it)
{
	struct br_out *o = it->o;
	struct typing_room *t = typing_room(o, it->room_id, 1), **pp;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!has_user(it->users, it->n_users, t->users[i]))
			typing_send(it, t->users[i], 0);
	for (i = 0; i < it->n_users; i++)
		if (!has_user(t->users, t->n, it->users[i]))
			typing_send(it, it->users[i], 1);
	for (i = 0; i < t->n; i++)
		free(t->users[i]);
	t->n = 0;
	for (i = 0; i < it->n_users && i < BR_OUT_TYPING_MAX; i++)
		t->users[t->n++] = u_strdup(it->users[i]);
	if (t->n == 0) {
		for (pp = &o->typing; *pp != t; pp = &(*pp)->next)
			;
		*pp = t->next;
		typing_room_free(t);
	}
}

/* ---- room name, topic, avatar ---- */

enum { META_NAME = 0, META_TOPIC, META_AVATAR };
static const char *const meta_what[] = { "name", "topic", "avatar" };

static void
meta_done(void *arg, int rc, const struct br_net_result *res)
{
	struct out_item *it = arg;
	struct br_portal *row = it->p->row;
	int r;

	if (rc == BR_ERR_NET_CANCELLED) {
		abandon(it);
		return;
	}
	if (rc < 0) {
		report_net(it, rc, res != NULL ? res->reason : NULL);
		finish(it);
		return;
	}
	switch (it->meta) {
	case META_NAME:
		free(row->name);
		row->name = u_strdup(it->key);
		row->name_set = 1;
		break;
	case META_TOPIC:
		free(row->topic);
		row->topic = u_strdup(it->key);
		row->topic_set = 1;
		break;
	default:
		free(row->avatar_mxc);
		row->avatar_mxc = u_strdup(it->key);
		free(row->avatar_hash);
		row->avatar_hash = u_strdup(it->text != NULL ? it->text : "");
		free(row->avatar_id);
		row->avatar_id = u_strdup(it->key[0] == '\0' ? "remove" : "");
		row->avatar_set = 1;
		break;
	}
	if ((r = br_portal_save(it->p)) < 0)
		logp_warnx(pfx(it), "portal not saved: %s", u_strerror(r));
	/* UpdateBridgeInfo: m.bridge carries the name and avatar. */
	if (it->meta != META_TOPIC && row->mxid != NULL &&
	    (r = br_portal_update_bridge_info(it->p)) < 0)
		logp_debug(pfx(it), "bridge info not re-sent: %s",
		    u_strerror(r));
	report_ok(it);
	finish(it);
}

static void
avatar_downloaded(void *arg, int rc, const unsigned char *data, size_t len,
    const char *ctype)
{
	struct out_item *it = arg;
	struct br_net *net = it->o->br->net;
	uint8_t h[CRY_SHA256_LEN];
	size_t i;

	(void)ctype;
	if (rc == BR_ERR_MX_CANCELLED) {
		abandon(it);
		return;
	}
	if (rc < 0) {
		report_fail(it, rc == BR_ERR_MX_TOO_BIG ?
		    BR_OTX_MEDIA_TOO_LARGE : BR_OTX_MEDIA_DOWNLOAD, NULL,
		    R_GENERIC, 1, 0);
		finish(it);
		return;
	}
	/* WhatsApp group pictures are JPEG (upstream converts). */
	if (len < 3 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff) {
		report_fail(it, BR_OTX_AVATAR_FORMAT, ctype != NULL ? ctype :
		    "?", R_UNSUPPORTED, 1, 0);
		finish(it);
		return;
	}
	cry_sha256(data, len, h);
	it->text = u_malloc(2 * sizeof(h) + 1);
	for (i = 0; i < sizeof(h); i++)
		snprintf(it->text + 2 * i, 3, "%02x", h[i]);
	if (net->ops->set_avatar(it->pick.login, it->p->row->id, data, len,
	    meta_done, it) < 0) {
		report_net(it, BR_ERR_NET_FAILED, NULL);
		finish(it);
	}
}

/* Returns 1 when the item went async. */
static int
meta_start(struct out_item *it)
{
	struct br_bridge *br = it->o->br;
	struct br_net *net = br->net;
	const struct br_portal *row = it->p->row;
	const char *v, *cur;
	int r;

	if (it->target != NULL && it->target[0] != '\0') {
		report_fail(it, BR_OTX_BAD_STATE_KEY, NULL, R_GENERIC, 1, 0);
		return 0;
	}
	r = br_relay_pick(net, dbof(it), it->p->row, it->sender, 1,
	    &it->pick);
	if (r == BR_ERR_NET_NOT_FOUND) {
		report_not_logged_in(it);
		return 0;
	}
	if (r < 0) {
		report_db(it, r);
		return 0;
	}
	if ((row->receiver != NULL && row->receiver[0] != '\0') ||
	    (row->room_type != NULL && strcmp(row->room_type, "dm") == 0)) {
		report_fail(it, BR_OTX_DM_META, meta_what[it->meta], R_GENERIC,
		    1, 0);
		return 0;
	}
	v = jstr(it->content, it->meta == META_NAME ? "name" :
	    it->meta == META_TOPIC ? "topic" : "url");
	it->key = u_strdup(v != NULL ? v : "");
	cur = it->meta == META_NAME ? row->name : it->meta == META_TOPIC ?
	    row->topic : row->avatar_mxc;
	if (cur != NULL && strcmp(cur, it->key) == 0) {
		/* Already so (our own change coming back, or a no-op). */
		report_ok(it);
		return 0;
	}
	if (it->meta == META_NAME && net->ops->set_name != NULL)
		r = net->ops->set_name(it->pick.login, row->id, it->key,
		    meta_done, it);
	else if (it->meta == META_TOPIC && net->ops->set_topic != NULL)
		r = net->ops->set_topic(it->pick.login, row->id, it->key,
		    meta_done, it);
	else if (it->meta == META_AVATAR && net->ops->set_avatar != NULL &&
	    it->key[0] == '\0')
		r = net->ops->set_avatar(it->pick.login, row->id, NULL, 0,
		    meta_done, it);
	else if (it->meta == META_AVATAR && net->ops->set_avatar != NULL &&
	    br->mx != NULL && br->mx->ops->download != NULL)
		r = br->mx->ops->download(br->mx, br->mx->ops->bot(br->mx),
		    it->key, BR_OUT_AVATAR_MAX, avatar_downloaded, it);
	else
		r = BR_ERR_NET_UNSUPPORTED;
	if (r < 0) {
		report_net(it, r, NULL);
		return 0;
	}
	return 1;
}

/* ---- the FIFO item ---- */

static enum br_portal_step
item_run(struct br_portal_obj *p, void *arg)
{
	struct out_item *it = arg;
	int async = 0;

	/* The queue's reference becomes the item's. */
	logp_debug(p->prefix, "event %s runs", evid(it));
	switch (it->kind) {
	case OUT_MESSAGE:
		async = msg_start(it);
		break;
	case OUT_REACTION:
		async = reaction_start(it);
		break;
	case OUT_REDACTION:
		async = redaction_start(it);
		break;
	case OUT_RECEIPT:
		receipt_run(it);
		break;
	case OUT_TYPING:
		typing_run(it);
		break;
	case OUT_META:
		async = meta_start(it);
		break;
	}
	if (async) {
		it->parked = 1;
		return BR_PORTAL_PARKED;
	}
	finish(it);
	return BR_PORTAL_DONE;
}

/* The portal of a room, or 0 if it is none. */
static int
portal_of(struct br_bridge *br, const char *room_id,
    struct br_portal_obj **out)
{
	int r = br_portal_get_by_mxid(br->portals, room_id, out);

	if (r == U_ERR_NOT_FOUND)
		return 0;
	if (r < 0) {
		log_warnx("Failed to look up the portal of %s: %s", room_id,
		    u_strerror(r));
		return r;
	}
	return 1;
}

/* The event as it is kept in the durable queue. */
static char *
item_json(const struct out_item *it)
{
	json_t *j = json_pack("{s:i,s:s,s:s,s:s,s:I}", "k", (int)it->kind,
	    "room", it->room_id, "event", it->event_id, "sender", it->sender,
	    "ts", (json_int_t)it->ts_ms);
	char *s;

#define OPT(name, v) if ((v) != NULL) \
		json_object_set_new(j, name, json_string(v))
	OPT("msgtype", it->msgtype);
	OPT("reply_to", it->reply_to);
	OPT("edit_of", it->edit_of);
	OPT("target", it->target);
	OPT("key", it->key);
#undef OPT
	if (it->content != NULL)
		json_object_set(j, "content", it->content);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static const char *
jstr_or_null(json_t *o, const char *k)
{
	return jstr(o, k);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? u_strdup(s) : NULL;
}

/* The inverse, for resuming; NULL if the row is unreadable. */
static struct out_item *
item_from_json(const char *text)
{
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	struct out_item *it;
	json_int_t k;

	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "k")) ||
	    jstr(j, "room") == NULL || jstr(j, "event") == NULL ||
	    jstr(j, "sender") == NULL) {
		json_decref(j);
		return NULL;
	}
	k = json_integer_value(json_object_get(j, "k"));
	if (k != OUT_MESSAGE && k != OUT_REACTION && k != OUT_REDACTION) {
		json_decref(j);
		return NULL;
	}
	it = u_calloc(1, sizeof(*it));
	it->kind = (enum out_kind)k;
	it->room_id = u_strdup(jstr(j, "room"));
	it->event_id = u_strdup(jstr(j, "event"));
	it->sender = u_strdup(jstr(j, "sender"));
	it->ts_ms = juint(j, "ts");
	it->msgtype = dup_or_null(jstr_or_null(j, "msgtype"));
	it->reply_to = dup_or_null(jstr_or_null(j, "reply_to"));
	it->edit_of = dup_or_null(jstr_or_null(j, "edit_of"));
	it->target = dup_or_null(jstr_or_null(j, "target"));
	it->key = dup_or_null(jstr_or_null(j, "key"));
	if (json_is_object(json_object_get(j, "content")))
		it->content = json_incref(json_object_get(j, "content"));
	json_decref(j);
	if ((it->kind == OUT_MESSAGE && (it->msgtype == NULL ||
	    it->content == NULL)) || (it->kind != OUT_MESSAGE &&
	    it->target == NULL) || (it->kind == OUT_REACTION &&
	    it->key == NULL)) {
		item_free(it);
		return NULL;
	}
	return it;
}

int
br_out_row_check(const char *json, char **again)
{
	struct out_item *it = item_from_json(json);

	if (it == NULL)
		return U_ERR_INVALID;
	if (again != NULL)
		*again = item_json(it);
	item_free(it);
	return 0;
}

static int
enqueue(struct br_bridge *br, struct out_item *it)
{
	struct br_portal_obj *p = NULL;
	char *js;
	int r, durable = it->kind == OUT_MESSAGE ||
	    it->kind == OUT_REACTION || it->kind == OUT_REDACTION;

	if (br->out == NULL) {
		log_debug("Matrix event %s ignored: no Matrix -> WhatsApp "
		    "side", evid(it));
		item_free(it);
		return 0;
	}
	it->o = br->out;
	if ((r = portal_of(br, it->room_id, &p)) <= 0) {
		log_debug("Matrix event %s in %s ignored: not a portal (%d)",
		    evid(it), it->room_id, r);
		if (it->seq != 0)
			br_store_outq_delete(br->db, it->seq);
		item_free(it);
		return r;
	}
	it->p = p;
	br_portal_ref(p);
	if (durable && it->seq == 0) {
		/* Durable before the transaction is acknowledged. */
		js = item_json(it);
		it->seq = ++br->out->seq;
		if (js == NULL || (r = br_store_outq_put(br->db, it->seq,
		    js)) < 0) {
			logp_warnx(p->prefix, "event %s not kept in the "
			    "database: a restart before it is sent loses it",
			    it->event_id);
			it->seq = 0;
		}
		free(js);
	}
	logp_debug(p->prefix, "event %s queued (seq %lld)", evid(it),
	    (long long)it->seq);
	r = br_portal_enqueue(p, item_run, item_drop, it);
	if (r < 0) {
		logp_warnx(p->prefix, "event %s dropped: %s",
		    it->event_id ? it->event_id : "(ephemeral)",
		    u_strerror(r));
		/* Shutting down: the row stays for the next start. */
		if (r != BR_ERR_PORTAL_CLOSED && it->seq != 0)
			br_store_outq_delete(br->db, it->seq);
		item_free(it);
	}
	br_portal_unref(p);
	return r < 0 ? r : 1;
}

/* At start-up, before the homeserver sends anything new: the events left
 * from the last run go first on their portals' FIFOs, in order. */
static void
resume(struct br_out *o)
{
	struct br_outq_row **rows = NULL;
	struct out_item *it;
	size_t i, n = 0;
	int r;

	if ((r = br_store_outq_list(o->br->db, BR_OUTQ_LOAD_MAX, &rows)) < 0) {
		if (r != U_ERR_NOT_FOUND)
			log_warnx("Queued Matrix events not loaded: %s",
			    u_strerror(r));
		return;
	}
	for (i = 0; rows != NULL && rows[i] != NULL; i++) {
		if (rows[i]->seq > o->seq)
			o->seq = rows[i]->seq;
		it = item_from_json(rows[i]->value);
		if (it == NULL) {
			log_warnx("Queued Matrix event %lld unreadable, "
			    "dropped", (long long)rows[i]->seq);
			br_store_outq_delete(o->br->db, rows[i]->seq);
			continue;
		}
		it->seq = rows[i]->seq;
		if (enqueue(o->br, it) > 0)
			n++;
	}
	br_outq_row_list_free(rows);
	if (n > 0)
		log_info("Resuming %zu Matrix events queued before the last "
		    "stop", n);
}

void
br_out_login_state(struct br_bridge *br, struct br_net_login *l,
    const struct br_net_state *st, int synced)
{
	struct br_out *o = br->out;
	struct out_item *it, **pp, *ready = NULL, *failed = NULL;

	if (o == NULL)
		return;
	o->login_events = 1;
	if (br->net != NULL && br->net->ops->info != NULL)
		login_set_ready(o, br->net->ops->info(l)->id,
		    st->event == BR_NET_CONNECTED &&
		    (synced || login_ready(o, br->net->ops->info(l)->id)));
	/* CONNECTED alone is not enough: the network side can send once
	 * the login is synced (its sender exists), which on_synced says. */
	if (!(st->event == BR_NET_CONNECTED && synced) &&
	    st->event != BR_NET_LOGGED_OUT &&
	    st->event != BR_NET_BAD_CREDENTIALS &&
	    st->event != BR_NET_UNCONFIGURED)
		return;
	/* Take this login's waiting items off the list first: handling one
	 * may add others back. */
	for (pp = &o->waiting; (it = *pp) != NULL;) {
		if (it->pick.login != l) {
			pp = &it->wait_next;
			continue;
		}
		*pp = it->wait_next;
		if (st->event == BR_NET_CONNECTED) {
			it->wait_next = ready;
			ready = it;
		} else {
			it->wait_next = failed;
			failed = it;
		}
	}
	/* The lists are reversed: put them back in arrival order. */
	for (it = ready, ready = NULL; it != NULL;) {
		struct out_item *next = it->wait_next;

		it->wait_next = ready;
		ready = it;
		it = next;
	}
	while ((it = ready) != NULL) {
		ready = it->wait_next;
		it->wait_next = NULL;
		if (!send_now(it))
			finish(it);
	}
	while ((it = failed) != NULL) {
		failed = it->wait_next;
		it->wait_next = NULL;
		report_not_logged_in(it);
		finish(it);
	}
}

void
br_out_stop(struct br_out *o)
{
	struct out_item *it;

	if (o == NULL)
		return;
	while ((it = o->waiting) != NULL) {
		o->waiting = it->wait_next;
		abandon(it);
	}
}

static struct out_item *
item_new(enum out_kind kind, const char *room, const char *event_id,
    const char *sender)
{
	struct out_item *it = u_calloc(1, sizeof(*it));

	it->kind = kind;
	it->room_id = u_strdup(room);
	it->event_id = event_id != NULL ? u_strdup(event_id) : NULL;
	it->sender = sender != NULL ? u_strdup(sender) : NULL;
	return it;
}

int
br_out_message(struct br_bridge *br, const struct br_mx_message *m)
{
	struct out_item *it = item_new(OUT_MESSAGE, m->room_id, m->event_id,
	    m->sender);

	it->msgtype = u_strdup(m->msgtype != NULL ? m->msgtype : "");
	it->reply_to = m->reply_to != NULL ? u_strdup(m->reply_to) : NULL;
	it->edit_of = m->edit_of != NULL ? u_strdup(m->edit_of) : NULL;
	it->ts_ms = m->ts_ms;
	it->content = json_incref(m->content);
	if (it->content == NULL)
		it->content = json_object();
	return enqueue(br, it);
}

int
br_out_reaction(struct br_bridge *br, const struct br_mx_reaction *r)
{
	struct out_item *it = item_new(OUT_REACTION, r->room_id, r->event_id,
	    r->sender);

	it->target = u_strdup(r->target);
	it->key = u_strdup(r->key);
	return enqueue(br, it);
}

int
br_out_redaction(struct br_bridge *br, const struct br_mx_redaction *r)
{
	struct out_item *it = item_new(OUT_REDACTION, r->room_id,
	    r->event_id, r->sender);

	it->target = u_strdup(r->redacts);
	return enqueue(br, it);
}

int
br_out_receipt(struct br_bridge *br, const struct br_mx_receipt *r)
{
	struct out_item *it;

	if (r->type == NULL || strcmp(r->type, "m.read") != 0)
		return 0;	/* upstream bridges m.read only */
	it = item_new(OUT_RECEIPT, r->room_id, NULL, r->user_id);
	it->target = u_strdup(r->event_id);
	it->ts_ms = r->ts_ms;
	return enqueue(br, it);
}

int
br_out_room_state(struct br_bridge *br, const struct br_mx_state *s)
{
	struct out_item *it;
	int meta;

	if (s->type == NULL || s->room_id == NULL || s->sender == NULL ||
	    !json_is_object(s->content))
		return 0;
	if (strcmp(s->type, "m.room.name") == 0)
		meta = META_NAME;
	else if (strcmp(s->type, "m.room.topic") == 0)
		meta = META_TOPIC;
	else if (strcmp(s->type, "m.room.avatar") == 0)
		meta = META_AVATAR;
	else
		return 0;
	it = item_new(OUT_META, s->room_id, s->event_id, s->sender);
	it->meta = meta;
	it->msgtype = u_strdup(s->type);
	it->target = u_strdup(s->state_key != NULL ? s->state_key : "");
	it->content = json_incref(s->content);
	return enqueue(br, it);
}

int
br_out_typing(struct br_bridge *br, const struct br_mx_typing *t)
{
	struct out_item *it = item_new(OUT_TYPING, t->room_id, NULL, NULL);
	size_t i;

	it->users = u_calloc(t->n + 1, sizeof(*it->users));
	for (i = 0; i < t->n && i < BR_OUT_TYPING_MAX; i++)
		it->users[it->n_users++] = u_strdup(t->user_ids[i]);
	return enqueue(br, it);
}
