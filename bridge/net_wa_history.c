/*
 * net_wa_history.c: history sync on the WhatsApp side (net_wa_history.h).
 *
 * A job per notification: parsed (waweb/history.c), its blob downloaded
 * with the login's wa_media (mms type md-msg-hist) or taken inline, then
 * decoded and handed to the core in a later loop turn than the message
 * that announced it (never from inside the receiver's callback).
 *
 * Persistence (H20): the notification's bytes are a row of
 * whatsapp_history_sync_notification from the moment it is taken (inside
 * the receiver's transaction) until the core had its chats or the blob is
 * definitively unusable; a job remembers its row's rowid.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/config.h"
#include "bridge/net_wa_history.h"
#include "bridge/net_wa_msg.h"
#include "bridge/net_wa_pending.h"
#include "db/db.h"
#include "proto/history.pb-c.h"
#include "util/err.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"
#include "waweb/client.h"
#include "waweb/errors.h"
#include "waweb/history.h"
#include "waweb/jid.h"
#include "waweb/media.h"
#include "waweb/node.h"
#include "waweb/recv_message.h"

struct hist_job {
	struct hist_job			*next;
	struct br_net_login		*l;		/* borrowed; NULL: gone */
	struct u_loop			*loop;		/* borrowed */
	const struct br_net_events	*ev;		/* borrowed */
	struct wa_hist_notif		*nt;		/* owned */
	char				*own_user;	/* owned */
	char				*prefix;	/* owned */
	uint8_t				*blob;		/* owned */
	size_t				 blob_len;
	int				 downloading, deferred;
	/* The login's media slot (its wa_media, NULL while torn down). */
	struct wa_media			**media_slot;
	/* Media of the messages the core may backfill: the last per_chat
	 * of each chat, fetched one at a time. */
	size_t				 per_chat;
	struct wa_hist_sync		*s;		/* owned while fetching */
	struct br__nw_hist		*x;		/* owned while fetching */
	struct br__nw_msg		*cur;		/* borrowed from x */
	size_t				 ci, mi, n_media, media_bytes;
	/* Its row (0: not stored) and where (borrowed; NULL: none). */
	int64_t				 rowid;
	struct db			*db;
	char				*login_id;	/* owned */
};

/* Every job of every login (one thread). */
static struct hist_job *jobs;

static void
job_free(struct hist_job *j)
{
	struct hist_job **jp;

	if (j == NULL)
		return;
	for (jp = &jobs; *jp != NULL; jp = &(*jp)->next)
		if (*jp == j) {
			*jp = j->next;
			break;
		}
	wa_hist_notif_free(j->nt);
	br__nw_hist_free(j->x);
	wa_hist_sync_free(j->s);
	free(j->own_user);
	free(j->login_id);
	free(j->prefix);
	free(j->blob);
	free(j);
}

/* ---- conversion ---- */

struct hchat {
	char			*chat;		/* owned */
	/* Per message: the built message (owned), or NULL for one kept
	 * for storage only (its view holds ids, sender and time). */
	struct br__nw_msg	**msgs;
	char			**senders;	/* owned: storage-only senders */
	struct br_net_message	*mv;		/* owned array of copies */
	const unsigned char	**raw;		/* owned array, borrowed items */
	size_t			*raw_len;
	size_t			 n;
};

struct br__nw_hist {
	struct br_net_history		 h;
	struct br_net_history_chat	*chats;		/* owned */
	struct hchat			*hc;		/* owned */
	size_t				 n;
};

/* LID user -> phone-number user, from the blob's
 * phoneNumberToLidMappings, sorted by LID for bsearch. */
struct pnlid {
	char	lid[WA_JID_USER_MAX + 1];
	char	pn[WA_JID_USER_MAX + 1];
};

static int
pnlid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pnlid *)a)->lid,
	    ((const struct pnlid *)b)->lid);
}

static struct pnlid *
pnlid_table(const struct wa_hist_sync *s, size_t *n)
{
	struct pnlid *t;
	struct wa_jid pn, lid;
	size_t i;

	*n = 0;
	if (s->n_pnlids == 0)
		return NULL;
	t = u_calloc(s->n_pnlids, sizeof(*t));
	for (i = 0; i < s->n_pnlids; i++) {
		if (wa_jid_parse(s->pnlids[i].pn, &pn) != 0 ||
		    wa_jid_parse(s->pnlids[i].lid, &lid) != 0)
			continue;
		memcpy(t[*n].lid, lid.user, sizeof(t[*n].lid));
		memcpy(t[*n].pn, pn.user, sizeof(t[*n].pn));
		(*n)++;
	}
	qsort(t, *n, sizeof(*t), pnlid_cmp);
	return t;
}

/* j (non-AD) in its phone-number form when it is a LID the blob maps. */
static struct wa_jid
lid_to_pn(const struct pnlid *t, size_t n, struct wa_jid j)
{
	struct pnlid key, *hit;
	struct wa_jid pn;
	char buf[WA_JID_STR_MAX];

	if (!wa_jid_is_lid(&j) || n == 0)
		return j;
	memset(&key, 0, sizeof(key));
	memcpy(key.lid, j.user, sizeof(key.lid));
	hit = bsearch(&key, t, n, sizeof(*t), pnlid_cmp);
	if (hit == NULL)
		return j;
	snprintf(buf, sizeof(buf), "%s@%s", hit->pn, WA_SERVER_USER);
	return wa_jid_parse(buf, &pn) == 0 ? pn : j;
}

/* The chat as net.h names it: non-AD, the phone form of a LID chat when
 * the phone told it (the conversation's pnJID, else the mappings). */
static char *
chat_name(const struct wa_hist_conv *c, const struct pnlid *t, size_t nt)
{
	struct wa_jid j, pn;
	char buf[WA_JID_STR_MAX];

	if (wa_jid_parse(c->id, &j) != 0)
		return NULL;
	j = wa_jid_to_non_ad(&j);
	if (wa_jid_is_lid(&j) && c->pn_jid != NULL &&
	    wa_jid_parse(c->pn_jid, &pn) == 0 && wa_jid_is_pn(&pn))
		j = wa_jid_to_non_ad(&pn);
	j = lid_to_pn(t, nt, j);
	return u_strdup(wa_jid_format(&j, buf, sizeof(buf)));
}

/* The sender of a message as net.h names it: 0, or -1 (a group message
 * without a usable participant). */
static int
sender_of(const struct wa_hist_msg *hm, const char *chat, int is_group,
    const char *own_user, const struct pnlid *t, size_t nt,
    char sender[WA_JID_STR_MAX])
{
	struct wa_jid j;

	if (hm->from_me)
		snprintf(sender, WA_JID_STR_MAX, "%s", own_user);
	else if (is_group) {
		if (hm->participant == NULL ||
		    wa_jid_parse(hm->participant, &j) != 0)
			return -1;
		j = lid_to_pn(t, nt, wa_jid_to_non_ad(&j));
		wa_jid_format(&j, sender, WA_JID_STR_MAX);
	} else
		snprintf(sender, WA_JID_STR_MAX, "%s", chat);
	return 0;
}

/* One message as a pending row would give it; NULL: nothing for the
 * core. */
static struct br__nw_msg *
build_msg(const struct wa_hist_msg *hm, const char *chat, int is_group,
    const char *own_user, const struct pnlid *t, size_t nt)
{
	struct wa_msg_event ev;
	struct br_wa_pending row;
	struct br__nw_msg *m = NULL;
	char sender[WA_JID_STR_MAX];
	char *meta;

	if (hm->payload == NULL || hm->payload_len == 0)
		return NULL;		/* a stub ("group created"...) */
	if (sender_of(hm, chat, is_group, own_user, t, nt, sender) != 0)
		return NULL;
	memset(&ev, 0, sizeof(ev));
	ev.from_me = hm->from_me;
	ev.is_group = is_group;
	ev.push_name = hm->from_me ? NULL : hm->push_name;
	meta = br__nw_meta_json(&ev, 0);
	memset(&row, 0, sizeof(row));
	row.seq = 0;			/* not pending */
	row.chat = (char *)chat;
	row.sender = sender;
	row.msg_id = (char *)hm->id;
	row.payload = (uint8_t *)hm->payload;
	row.len = hm->payload_len;
	row.meta = meta;
	row.ts_ms = (int64_t)(hm->timestamp > INT64_MAX / 1000 ? 0 :
	    hm->timestamp * 1000);
	if (br__nw_msg_build(&row, own_user, &m) != 0)
		m = NULL;
	free(meta);
	if (m != NULL && (m->ignore || m->m.c.kind == BR_NET_KIND_POLL_VOTE)) {
		/* Protocol messages, key shares; votes need their poll's
		 * secret, which history does not carry here. */
		br__nw_msg_free(m);
		return NULL;
	}
	/* Media stays to fetch (br__nw_hist_media_next), or to be marked
	 * missing (br__nw_hist_media_fail). */
	return m;
}

struct br__nw_hist *
br__nw_hist_build(const struct wa_hist_sync *s, const char *own_user,
    size_t per_chat)
{
	struct br__nw_hist *x = u_calloc(1, sizeof(*x));
	char sender[WA_JID_STR_MAX];
	struct pnlid *t;
	struct wa_jid j;
	size_t i, k, nt, full, pos;

	x->h.sync_type = s->sync_type;
	if (s->n_convs == 0)
		return x;
	t = pnlid_table(s, &nt);
	x->chats = u_calloc(s->n_convs, sizeof(*x->chats));
	x->hc = u_calloc(s->n_convs, sizeof(*x->hc));
	for (i = 0; i < s->n_convs; i++) {
		const struct wa_hist_conv *c = &s->convs[i];
		struct br_net_history_chat *hc = &x->chats[x->n];
		struct hchat *h = &x->hc[x->n];
		int is_group;

		if ((h->chat = chat_name(c, t, nt)) == NULL)
			continue;
		is_group = wa_jid_parse(h->chat, &j) == 0 &&
		    strcmp(j.server, WA_SERVER_GROUP) == 0;
		if (c->n_msgs > 0) {
			h->msgs = u_calloc(c->n_msgs, sizeof(*h->msgs));
			h->senders = u_calloc(c->n_msgs, sizeof(*h->senders));
			h->mv = u_calloc(c->n_msgs, sizeof(*h->mv));
			h->raw = u_calloc(c->n_msgs, sizeof(*h->raw));
			h->raw_len = u_calloc(c->n_msgs, sizeof(*h->raw_len));
		}
		/* Newest first, filled from the end: the newest per_chat
		 * messages that carry something are built in full (the
		 * core may backfill them), older ones are only kept for
		 * storage, without decoding their content. */
		pos = c->n_msgs;
		for (k = c->n_msgs, full = 0; k-- > 0;) {
			const struct wa_hist_msg *hm = &c->msgs[k];
			struct br_net_message *v;

			if (full < per_chat) {
				struct br__nw_msg *m = build_msg(hm, h->chat,
				    is_group, own_user, t, nt);

				if (m == NULL)
					continue;
				full++;
				pos--;
				h->msgs[pos] = m;
				h->mv[pos] = m->m;
			} else {
				if (sender_of(hm, h->chat, is_group, own_user,
				    t, nt, sender) != 0)
					continue;
				pos--;
				h->senders[pos] = u_strdup(sender);
				v = &h->mv[pos];
				v->chat = h->chat;
				v->id = hm->id;
				v->sender = h->senders[pos];
				v->from_me = hm->from_me;
				v->is_group = is_group;
				v->ts_ms = hm->timestamp > UINT64_MAX / 1000 ?
				    0 : hm->timestamp * 1000;
				v->c.kind = BR_NET_KIND_UNSUPPORTED;
			}
			h->raw[pos] = hm->raw;
			h->raw_len[pos] = hm->raw_len;
		}
		h->n = c->n_msgs - pos;
		if (pos > 0 && h->n > 0) {
			memmove(h->msgs, h->msgs + pos, h->n *
			    sizeof(*h->msgs));
			memmove(h->senders, h->senders + pos, h->n *
			    sizeof(*h->senders));
			memmove(h->mv, h->mv + pos, h->n * sizeof(*h->mv));
			memmove(h->raw, h->raw + pos, h->n * sizeof(*h->raw));
			memmove(h->raw_len, h->raw_len + pos, h->n *
			    sizeof(*h->raw_len));
		}
		hc->chat = h->chat;
		hc->name = c->name;
		hc->last_ts_ms = c->last_msg_ts > UINT64_MAX / 1000 ? 0 :
		    c->last_msg_ts * 1000;
		hc->archived = c->archived;
		hc->marked_unread = c->marked_unread;
		hc->pinned = c->pinned;
		hc->mute_end = c->mute_end;
		hc->unread_count = c->unread_count;
		hc->ephemeral_expiration = c->ephemeral_expiration;
		hc->ephemeral_setting_ts = c->ephemeral_setting_ts;
		hc->end_of_history_type = c->end_of_history_type;
		hc->msgs = h->mv;
		hc->raw = h->raw;
		hc->raw_len = h->raw_len;
		hc->n_msgs = h->n;
		x->n++;
	}
	free(t);
	x->h.chats = x->chats;
	x->h.n_chats = x->n;
	return x;
}

const struct br_net_history *
br__nw_hist_view(const struct br__nw_hist *x)
{
	return &x->h;
}

void
br__nw_hist_free(struct br__nw_hist *x)
{
	size_t i, k;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		for (k = 0; k < x->hc[i].n; k++) {
			br__nw_msg_free(x->hc[i].msgs[k]);
			free(x->hc[i].senders[k]);
		}
		free(x->hc[i].msgs);
		free(x->hc[i].senders);
		free(x->hc[i].mv);
		free(x->hc[i].raw);
		free(x->hc[i].raw_len);
		free(x->hc[i].chat);
	}
	/* A chat skipped at its name has nothing else allocated. */
	free(x->hc);
	free(x->chats);
	free(x);
}

/* The next message whose media is to be fetched, among the last
 * per_chat messages of each chat, after (*ci, *mi) (start at 0, 0). */
struct br__nw_msg *
br__nw_hist_media_next(struct br__nw_hist *x, size_t per_chat, size_t *ci,
    size_t *mi)
{
	struct hchat *h;
	size_t first;

	for (; *ci < x->n; (*ci)++, *mi = 0) {
		h = &x->hc[*ci];
		first = h->n > per_chat ? h->n - per_chat : 0;
		if (*mi < first)
			*mi = first;
		for (; *mi < h->n; (*mi)++)
			if (h->msgs[*mi] != NULL && h->msgs[*mi]->needs_media)
				return h->msgs[(*mi)++];
	}
	return NULL;
}

/* Set a fetched (or failed) media into a message and its view. */
static void
hist_set_media(struct br__nw_hist *x, struct br__nw_msg *m, uint8_t *data,
    size_t len, int err)
{
	size_t i, k;

	br__nw_msg_set_media(m, data, len, err);
	for (i = 0; i < x->n; i++)
		for (k = 0; k < x->hc[i].n; k++)
			if (x->hc[i].msgs[k] == m) {
				x->hc[i].mv[k] = m->m;
				return;
			}
}

void
br__nw_hist_media_fail(struct br__nw_hist *x)
{
	size_t i, k;

	for (i = 0; i < x->n; i++)
		for (k = 0; k < x->hc[i].n; k++)
			if (x->hc[i].msgs[k] != NULL &&
			    x->hc[i].msgs[k]->needs_media)
				hist_set_media(x, x->hc[i].msgs[k], NULL, 0,
				    U_ERR_IO);
}

/* ---- the stored notifications (H20) ---- */

/* The HistorySyncNotification inside a decrypted E2E message, packed
 * (owned), or NULL. */
static uint8_t *
notif_bytes(const uint8_t *payload, size_t n, size_t *len)
{
	Wa__HistE2EMessage *m;
	uint8_t *out = NULL;

	m = wa__hist_e2_emessage__unpack(NULL, n, payload);
	if (m != NULL && m->protocol_message != NULL &&
	    m->protocol_message->history_sync_notification != NULL) {
		*len = wa__hist_sync_notification__get_packed_size(
		    m->protocol_message->history_sync_notification);
		if (*len <= NET_WA_HIST_ROW_MAX) {
			out = u_malloc(*len > 0 ? *len : 1);
			(void)wa__hist_sync_notification__pack(
			    m->protocol_message->history_sync_notification,
			    out);
		}
	}
	if (m != NULL)
		wa__hist_e2_emessage__free_unpacked(m, NULL);
	return out;
}

/* A stored HistorySyncNotification as the E2E message it came in
 * (owned), for wa_hist_notif_parse; NULL when it does not unpack. */
static uint8_t *
notif_message(const uint8_t *data, size_t n, size_t *len)
{
	Wa__HistSyncNotification *hn;
	Wa__HistProtocolMessage pm = WA__HIST_PROTOCOL_MESSAGE__INIT;
	Wa__HistE2EMessage m = WA__HIST_E2_EMESSAGE__INIT;
	uint8_t *out;

	if (n > NET_WA_HIST_ROW_MAX ||
	    (hn = wa__hist_sync_notification__unpack(NULL, n, data)) == NULL)
		return NULL;
	pm.has_type = 1;
	pm.type = WA_HIST_PROTOCOL_TYPE;
	pm.history_sync_notification = hn;
	m.protocol_message = &pm;
	*len = wa__hist_e2_emessage__get_packed_size(&m);
	out = u_malloc(*len > 0 ? *len : 1);
	(void)wa__hist_e2_emessage__pack(&m, out);
	wa__hist_sync_notification__free_unpacked(hn, NULL);
	return out;
}

/* Store a taken notification: its rowid, or 0 (logged: it is handled
 * anyway, only not kept).  Its own savepoint: a failed insert (no
 * user_login row yet) must not spoil the receiver's transaction. */
static int64_t
notif_store(struct db *db, const char *login_id, const char *prefix,
    const uint8_t *payload, size_t n)
{
	struct db_stmt *st = NULL;
	uint8_t *data;
	size_t len = 0;
	int64_t rowid = 0;
	int r, began;

	if (db == NULL || login_id == NULL)
		return 0;
	if ((data = notif_bytes(payload, n, &len)) == NULL)
		return 0;
	began = db_begin(db) == 0;
	r = db_prepare(db, "INSERT INTO whatsapp_history_sync_notification "
	    "(bridge_id, user_login_id, data) VALUES ('', $1, $2) "
	    "RETURNING rowid", &st);
	if (r == 0)
		r = db_bind_text(st, 1, login_id);
	if (r == 0)
		r = db_bind_blob(st, 2, data, len);
	if (r == 0 && (r = db_step(st)) == DB_ROW) {
		rowid = db_column_int64(st, 0);
		r = 0;
	} else if (r == DB_DONE)
		r = U_ERR_IO;
	db_stmt_free(st);
	if (r != 0) {
		logp_warnx(prefix, "history sync notification not kept "
		    "(lost if interrupted): %s", db_errmsg(db));
		rowid = 0;
		if (began)
			(void)db_rollback(db);
	} else if (began && db_commit(db) != 0) {
		(void)db_rollback(db);
		rowid = 0;
	}
	free(data);
	return rowid;
}

/* The job's notification is handled (or definitively unusable). */
static void
notif_done(struct hist_job *j)
{
	struct db_stmt *st = NULL;
	int r;

	if (j->rowid <= 0 || j->db == NULL || j->login_id == NULL)
		return;
	r = db_prepare(j->db, "DELETE FROM whatsapp_history_sync_notification"
	    " WHERE bridge_id='' AND user_login_id=$1 AND rowid=$2", &st);
	if (r == 0)
		r = db_bind_text(st, 1, j->login_id);
	if (r == 0)
		r = db_bind_int64(st, 2, j->rowid);
	if (r == 0)
		r = db_stmt_exec(st);
	db_stmt_free(st);
	if (r != 0)
		logp_warnx(j->prefix, "cannot delete history sync "
		    "notification %lld: %s", (long long)j->rowid,
		    db_errmsg(j->db));
	j->rowid = 0;
}

/* A download error after which the blob will never be usable. */
static int
download_final(int err)
{
	return err == WA_ERR_MEDIA_EXPIRED || err == WA_ERR_MEDIA_MAC ||
	    err == WA_ERR_MEDIA_HASH || err == WA_ERR_MEDIA_TOO_BIG ||
	    err == WA_ERR_MEDIA_MALFORMED || err == U_ERR_TOO_BIG;
}

/* ---- jobs ---- */

static void media_next(struct hist_job *j);

/* Everything fetched (or given up): the core gets the chats. */
static void
job_deliver(struct hist_job *j)
{
	br__nw_hist_media_fail(j->x);
	if (j->l != NULL && j->ev->on_history != NULL)
		j->ev->on_history(j->ev->arg, j->l, br__nw_hist_view(j->x));
	if (j->l != NULL)
		notif_done(j);
	job_free(j);
}

static void
media_done(void *arg, int err, const uint8_t *data, size_t len)
{
	struct hist_job *j = arg;
	uint8_t *copy = NULL;

	j->downloading = 0;
	if (j->l == NULL) {
		job_free(j);
		return;
	}
	if (err != 0)
		logp_warnx(j->prefix, "history: media of %s not downloaded: %s",
		    j->cur->id, u_strerror(err));
	else if (len > NET_WA_HIST_MEDIA_BYTES - j->media_bytes)
		err = WA_ERR_MEDIA_TOO_BIG;
	else {
		copy = u_malloc(len > 0 ? len : 1);
		if (len > 0)
			memcpy(copy, data, len);
		j->media_bytes += len;
	}
	hist_set_media(j->x, j->cur, copy, len, err);
	j->cur = NULL;
	media_next(j);
}

/* Start the next media download, or deliver. */
static void
media_next(struct hist_job *j)
{
	struct wa_media_ref ref;
	struct br__nw_msg *m;
	struct wa_media *media;

	while (j->n_media < NET_WA_HIST_MEDIA_MAX &&
	    j->media_bytes < NET_WA_HIST_MEDIA_BYTES &&
	    (m = br__nw_hist_media_next(j->x, j->per_chat, &j->ci,
	    &j->mi)) != NULL) {
		media = j->media_slot != NULL ? *j->media_slot : NULL;
		if (media == NULL)
			break;
		j->n_media++;
		if (wa_media_ref_from(&m->wc, &ref) != 0 ||
		    wa_media_download(media, &ref, media_done, j) != 0) {
			hist_set_media(j->x, m, NULL, 0, U_ERR_INVALID);
			continue;
		}
		j->cur = m;
		j->downloading = 1;
		return;
	}
	job_deliver(j);
}

static void
job_process(void *arg)
{
	struct hist_job *j = arg;
	int r;

	j->deferred = 0;
	if (j->l == NULL || j->blob == NULL) {
		job_free(j);
		return;
	}
	r = wa_hist_sync_decode(j->blob, j->blob_len, &j->s);
	free(j->blob);
	j->blob = NULL;
	if (r != 0) {
		logp_warnx(j->prefix, "history sync blob unusable: %s",
		    u_strerror(r));
		notif_done(j);
		job_free(j);
		return;
	}
	logp_info(j->prefix, "history sync: type %d, chunk %u, %zu chat(s)"
	    "%s", j->s->sync_type, (unsigned)j->s->chunk_order,
	    j->s->n_convs, j->s->skipped > 0 ? " (some parts skipped)" : "");
	j->x = br__nw_hist_build(j->s, j->own_user, j->per_chat);
	media_next(j);
}

static void
job_downloaded(void *arg, int err, const uint8_t *data, size_t len)
{
	struct hist_job *j = arg;

	j->downloading = 0;
	if (j->l == NULL) {
		job_free(j);
		return;
	}
	if (err != 0) {
		if (download_final(err)) {
			logp_warnx(j->prefix, "history sync blob not "
			    "downloaded: %s; dropped", u_strerror(err));
			notif_done(j);
		} else
			logp_warnx(j->prefix, "history sync blob not "
			    "downloaded: %s; kept for the next connection",
			    u_strerror(err));
		job_free(j);
		return;
	}
	j->blob = u_malloc(len > 0 ? len : 1);
	if (len > 0)
		memcpy(j->blob, data, len);
	j->blob_len = len;
	j->deferred = 1;
	u_loop_defer(j->loop, job_process, j);
}

/* Start a job for a parsed notification (nt owned, given) whose row is
 * rowid (0: none). */
static void
job_start(struct br_net_login *l, const struct br__nw_hist_ctx *ctx,
    struct wa_hist_notif *nt, int64_t rowid)
{
	struct wa_media_ref ref;
	struct wa_media *media;
	struct hist_job *j;
	int r;

	j = u_calloc(1, sizeof(*j));
	j->l = l;
	j->loop = ctx->loop;
	j->ev = ctx->ev;
	j->nt = nt;
	j->own_user = u_strdup(ctx->own_user);
	j->prefix = u_strdup(ctx->prefix != NULL ? ctx->prefix : "wa");
	j->media_slot = ctx->media_slot;
	j->per_chat = ctx->cfg != NULL && ctx->cfg->backfill.enabled &&
	    ctx->cfg->backfill.max_initial_messages > 0 ?
	    (size_t)ctx->cfg->backfill.max_initial_messages : 0;
	j->rowid = rowid;
	j->db = ctx->db;
	j->login_id = ctx->login_id != NULL ? u_strdup(ctx->login_id) : NULL;
	j->next = jobs;
	jobs = j;
	if (nt->inline_payload != NULL) {
		j->blob = nt->inline_payload;
		j->blob_len = nt->inline_len;
		nt->inline_payload = NULL;
		j->deferred = 1;
		u_loop_defer(j->loop, job_process, j);
		return;
	}
	media = ctx->media_slot != NULL ? *ctx->media_slot : NULL;
	if (wa_hist_notif_ref(nt, &ref) != 0) {
		logp_warnx(ctx->prefix, "history sync notification without a "
		    "usable reference; dropped");
		notif_done(j);
		job_free(j);
		return;
	}
	if (media == NULL ||
	    (r = wa_media_download(media, &ref, job_downloaded, j)) != 0) {
		logp_warnx(ctx->prefix, "history sync blob cannot be "
		    "fetched now: %s; kept", u_strerror(media == NULL ?
		    U_ERR_INVALID : r));
		job_free(j);
		return;
	}
	j->downloading = 1;
	logp_debug(ctx->prefix, "history sync notification: downloading");
}

int
br__nw_history_take(struct br_net_login *l,
    const struct br__nw_hist_ctx *ctx, const struct wa_msg_event *ev)
{
	struct wa_hist_notif *nt = NULL;
	struct wa_node *rn;
	int64_t rowid;
	int r;

	r = wa_hist_notif_parse(ev->payload, ev->payload_len,
	    wa_hist_from_own(ctx->dev, ev), &nt);
	if (r == 0)
		return 0;
	if (ctx->client != NULL && (rn = wa_hist_receipt_node(ev->id,
	    ctx->own_user)) != NULL)
		(void)wa_client_send_node(ctx->client, rn);
	if (r < 0) {
		logp_warnx(ctx->prefix, "history sync notification unusable: "
		    "%s; dropped", u_strerror(r));
		return 1;
	}
	if (ctx->own_user == NULL || ctx->loop == NULL) {
		wa_hist_notif_free(nt);
		return 1;
	}
	/* Kept before the caller acks it (we are inside the receiver's
	 * transaction; the ack goes out after its commit). */
	rowid = notif_store(ctx->db, ctx->login_id, ctx->prefix,
	    ev->payload, ev->payload_len);
	job_start(l, ctx, nt, rowid);
	return 1;
}

/* Is a job of l handling row rowid? */
static int
row_busy(const struct br_net_login *l, int64_t rowid)
{
	const struct hist_job *j;

	for (j = jobs; j != NULL; j = j->next)
		if (j->l == l && j->rowid == rowid)
			return 1;
	return 0;
}

struct stored_row {
	int64_t		 rowid;
	uint8_t		*data;		/* owned */
	size_t		 len;
};

void
br__nw_history_resume(struct br_net_login *l,
    const struct br__nw_hist_ctx *ctx)
{
	struct db_stmt *st = NULL;
	struct stored_row *v = NULL;
	struct wa_hist_notif *nt;
	struct hist_job tmp;
	const void *p;
	uint8_t *msg;
	size_t n = 0, i, len, mlen;
	int r;

	if (ctx->db == NULL || ctx->login_id == NULL || ctx->loop == NULL ||
	    ctx->own_user == NULL)
		return;
	r = db_prepare(ctx->db, "SELECT rowid, data FROM "
	    "whatsapp_history_sync_notification WHERE bridge_id='' AND "
	    "user_login_id=$1 ORDER BY rowid LIMIT $2", &st);
	if (r == 0)
		r = db_bind_text(st, 1, ctx->login_id);
	if (r == 0)
		r = db_bind_int64(st, 2, NET_WA_HIST_RESUME_MAX);
	if (r == 0)
		v = u_calloc(NET_WA_HIST_RESUME_MAX, sizeof(*v));
	while (r == 0 && n < NET_WA_HIST_RESUME_MAX &&
	    (r = db_step(st)) == DB_ROW) {
		r = 0;
		v[n].rowid = db_column_int64(st, 0);
		p = db_column_blob(st, 1, &len);
		if (p == NULL || len > NET_WA_HIST_ROW_MAX)
			len = 0;
		v[n].data = u_malloc(len > 0 ? len : 1);
		if (len > 0)
			memcpy(v[n].data, p, len);
		v[n].len = len;
		n++;
	}
	db_stmt_free(st);
	if (r < 0)
		logp_warnx(ctx->prefix, "cannot read stored history sync "
		    "notifications: %s", db_errmsg(ctx->db));
	if (n > 0)
		logp_info(ctx->prefix, "history sync: %zu stored "
		    "notification(s) to handle", n);
	for (i = 0; i < n; i++) {
		if (row_busy(l, v[i].rowid))
			continue;
		nt = NULL;
		msg = notif_message(v[i].data, v[i].len, &mlen);
		r = msg != NULL ? wa_hist_notif_parse(msg, mlen, 1, &nt) : 0;
		free(msg);
		if (r != 1) {
			/* Stored by an older version, or damaged. */
			memset(&tmp, 0, sizeof(tmp));
			tmp.rowid = v[i].rowid;
			tmp.db = ctx->db;
			tmp.login_id = (char *)ctx->login_id;
			tmp.prefix = (char *)ctx->prefix;
			logp_warnx(ctx->prefix, "stored history sync "
			    "notification %lld unusable; deleted",
			    (long long)v[i].rowid);
			notif_done(&tmp);
			continue;
		}
		job_start(l, ctx, nt, v[i].rowid);
	}
	for (i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}

void
br__nw_history_forget(struct br_net_login *l)
{
	struct hist_job *j, *next;

	for (j = jobs; j != NULL; j = next) {
		next = j->next;
		if (j->l != l)
			continue;
		j->l = NULL;
		j->media_slot = NULL;
		/* A deferred job frees itself when it runs; a download's
		 * callback is dropped with the login's wa_media (freed right
		 * after this), so it is freed here. */
		if (!j->deferred)
			job_free(j);
	}
}
