/*
 * history.c: history sync in the core (history.h).
 *
 * Portals and backfill go through portal_in.c's public handlers, so a
 * history chat gets exactly the room a live message or a group add would
 * give it, and a backfilled message exactly the event, ghost and message
 * row a live one would (portal_in sends every message with its original
 * timestamp as the appservice `ts`, and checks the message table before
 * sending: nothing is bridged twice).  Everything for one chat is queued
 * on its portal's FIFO in order, so its messages follow the room's
 * creation, oldest first.
 *
 * Untrusted input: the chats come from our own phone through the network
 * side, which bounded and validated them (waweb/history.c); here they are
 * only stored (bound parameters) and handed on.
 */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/community.h"
#include "bridge/config.h"
#include "bridge/history.h"
#include "bridge/ids.h"
#include "bridge/portal.h"
#include "bridge/portal_in.h"
#include "bridge/store.h"
#include "db/db.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* ---- storage ---- */

struct store_ctx {
	const char			*login_id;
	const struct br_net_history	*h;
	int64_t				 now_ms;
};

static int64_t
clamp_i64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int
store_conv(struct db *db, const char *login, const struct br_net_history_chat *c)
{
	struct db_stmt *st = NULL;
	int r;

	/* Upstream's columns are seconds; a later blob updates the row. */
	r = db_prepare(db, "INSERT INTO whatsapp_history_sync_conversation "
	    "(bridge_id, user_login_id, chat_jid, last_message_timestamp, "
	    "archived, pinned, mute_end_time, end_of_history_transfer_type, "
	    "ephemeral_expiration, ephemeral_setting_timestamp, "
	    "marked_as_unread, unread_count) VALUES ('', $1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9, $10, $11) ON CONFLICT (bridge_id, user_login_id, "
	    "chat_jid) DO UPDATE SET last_message_timestamp="
	    "excluded.last_message_timestamp, archived=excluded.archived, "
	    "pinned=excluded.pinned, mute_end_time=excluded.mute_end_time, "
	    "end_of_history_transfer_type=excluded."
	    "end_of_history_transfer_type, ephemeral_expiration=excluded."
	    "ephemeral_expiration, ephemeral_setting_timestamp=excluded."
	    "ephemeral_setting_timestamp, marked_as_unread=excluded."
	    "marked_as_unread, unread_count=excluded.unread_count", &st);
	if (r != 0)
		return r;
	if ((r = db_bind_text(st, 1, login)) != 0 ||
	    (r = db_bind_text(st, 2, c->chat)) != 0 ||
	    (r = db_bind_int64(st, 3, clamp_i64(c->last_ts_ms / 1000))) != 0 ||
	    (r = db_bind_bool(st, 4, c->archived)) != 0 ||
	    (r = db_bind_bool(st, 5, c->pinned != 0)) != 0 ||
	    (r = db_bind_int64(st, 6, clamp_i64(c->mute_end))) != 0 ||
	    (r = c->end_of_history_type >= 0 ? db_bind_int64(st, 7,
	    c->end_of_history_type) : db_bind_null(st, 7)) != 0 ||
	    (r = db_bind_int64(st, 8, c->ephemeral_expiration)) != 0 ||
	    (r = db_bind_int64(st, 9, c->ephemeral_setting_ts)) != 0 ||
	    (r = db_bind_bool(st, 10, c->marked_unread)) != 0 ||
	    (r = db_bind_int64(st, 11, c->unread_count)) != 0)
		goto out;
	r = db_stmt_exec(st);
out:
	db_stmt_free(st);
	return r;
}

static int
store_msgs(struct db *db, const char *login,
    const struct br_net_history_chat *c, int64_t now_ms)
{
	struct db_stmt *st = NULL;
	size_t i;
	int r;

	if (c->n_msgs == 0 || c->raw == NULL || c->raw_len == NULL)
		return 0;
	r = db_prepare(db, "INSERT INTO whatsapp_history_sync_message "
	    "(bridge_id, user_login_id, chat_jid, sender_jid, message_id, "
	    "timestamp, data, inserted_time) VALUES ('', $1, $2, $3, $4, $5, "
	    "$6, $7) ON CONFLICT DO NOTHING", &st);
	if (r != 0)
		return r;
	for (i = 0; i < c->n_msgs; i++) {
		const struct br_net_message *m = &c->msgs[i];

		if (m->id == NULL || m->sender == NULL || c->raw[i] == NULL)
			continue;
		db_reset(st);
		if ((r = db_bind_text(st, 1, login)) != 0 ||
		    (r = db_bind_text(st, 2, c->chat)) != 0 ||
		    (r = db_bind_text(st, 3, m->sender)) != 0 ||
		    (r = db_bind_text(st, 4, m->id)) != 0 ||
		    (r = db_bind_int64(st, 5, clamp_i64(m->ts_ms / 1000))) != 0 ||
		    (r = db_bind_blob(st, 6, c->raw[i], c->raw_len[i])) != 0 ||
		    (r = db_bind_int64(st, 7, now_ms)) != 0 ||
		    (r = db_stmt_exec(st)) != 0)
			goto out;
	}
out:
	db_stmt_free(st);
	return r;
}

static int
store_all(struct db *db, void *arg)
{
	struct store_ctx *sc = arg;
	size_t i;
	int r;

	for (i = 0; i < sc->h->n_chats; i++) {
		const struct br_net_history_chat *c = &sc->h->chats[i];

		if (c->chat == NULL)
			continue;
		if ((r = store_conv(db, sc->login_id, c)) != 0 ||
		    (r = store_msgs(db, sc->login_id, c, sc->now_ms)) != 0)
			return r;
	}
	return 0;
}

int
br_history_store(struct db *db, const char *login_id,
    const struct br_net_history *h)
{
	struct store_ctx sc;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	sc.login_id = login_id;
	sc.h = h;
	sc.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return db_txn(db, store_all, &sc);
}

/* ---- which chats, how many messages ---- */

/* A chat that can be a portal: a user (phone or LID) or a group. */
static int
portal_chat(const char *chat)
{
	struct br_jid j;

	if (chat == NULL || br_jid_parse(chat, &j) != 0 || j.user[0] == '\0')
		return 0;
	return strcmp(j.server, BR_SERVER_USER) == 0 ||
	    strcmp(j.server, BR_SERVER_LID) == 0 ||
	    strcmp(j.server, BR_SERVER_GROUP) == 0;
}

static const struct br_net_history *sort_h;

static int
newest_first(const void *a, const void *b)
{
	const struct br_net_history_chat *x = &sort_h->chats[*(const size_t *)a];
	const struct br_net_history_chat *y = &sort_h->chats[*(const size_t *)b];

	if (x->last_ts_ms != y->last_ts_ms)
		return x->last_ts_ms > y->last_ts_ms ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

size_t
br_history_pick(const struct br_net_history *h, int64_t max, size_t *idx)
{
	size_t i, n = 0, lim;

	for (i = 0; i < h->n_chats; i++)
		if (portal_chat(h->chats[i].chat))
			idx[n++] = i;
	sort_h = h;
	qsort(idx, n, sizeof(*idx), newest_first);
	sort_h = NULL;
	lim = max < 0 || max > BR_HIST_PORTALS_MAX ? BR_HIST_PORTALS_MAX :
	    (size_t)max;
	return n < lim ? n : lim;
}

size_t
br_history_backfill_count(int enabled, int64_t max_initial, size_t n_msgs)
{
	/* The example config: "0 or less disables backfill of new rooms". */
	if (!enabled || max_initial <= 0)
		return 0;
	if ((uint64_t)max_initial >= n_msgs)
		return n_msgs;
	return (size_t)max_initial;
}

/* ---- portals and backfill ---- */

/* The chat's portal: 0 and *has_room / *empty, or a code (no portal:
 * *has_room 0). */
static int
room_state(struct br_bridge *br, const char *login_id, const char *chat,
    int *has_room, int *empty, struct br_portal_key *keyout,
    char **id, char **recv)
{
	struct br_portal_obj *p = NULL;
	struct br_portal_key key;
	int64_t n = 0;
	int r;

	*has_room = 0;
	*empty = 1;
	if ((r = br_id_portal(chat, id)) != 0)
		return r;
	if ((r = br_id_portal_receiver(chat, login_id, br->cfg != NULL ?
	    br->cfg->bridge.split_portals : 0, recv)) != 0)
		return r;
	key.id = *id;
	key.receiver = *recv;
	*keyout = key;
	r = br_portal_get(br->portals, key, 0, &p);
	if (r == U_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*has_room = p->row->mxid != NULL && p->row->mxid[0] != '\0';
	br_portal_unref(p);
	if (*has_room && br_store_message_count_in_portal(br->db, key,
	    &n) == 0)
		*empty = n == 0;
	else if (*has_room)
		*empty = 0;		/* unknown: be safe */
	return 0;
}

/*
 * A message a hook layered on the core would act on (a community command
 * in a group): not backfilled, so that an old command is not run again,
 * until the hooks look at m->backfill themselves.
 */
int
br_history_hook_command(const struct br_bridge *br,
    const struct br_net_message *m)
{
	struct br_am_cmd cmd;

	if (br->hooks.wa_message == NULL || br->cfg == NULL ||
	    !br->cfg->community.enabled ||
	    br->cfg->community.command_prefix == NULL || !m->is_group ||
	    m->c.kind != BR_NET_KIND_TEXT || m->c.text == NULL)
		return 0;
	br_am_parse(br->cfg->community.command_prefix, m->c.text, &cmd);
	return cmd.verb != BR_AM_NONE;
}

static void
one_chat(struct br_bridge *br, struct br_net_login *l,
    const struct br_net_history_chat *c, size_t nback)
{
	const struct br_net_login_info *li = br->net->ops->info(l);
	struct br_user_portal *up = NULL;
	struct br_net_group_event g;
	struct br_portal_key key;
	char *id = NULL, *recv = NULL;
	int has_room, empty;
	size_t i, queued = 0, skipped = 0;

	if (room_state(br, li->id, c->chat, &has_room, &empty, &key, &id,
	    &recv) != 0) {
		log_warnx("history: no portal for a chat: skipped");
		goto out;
	}
	if (has_room && !empty) {
		log_debug("history: %s already has a room with messages: "
		    "no backfill", c->chat);
		goto out;
	}
	for (i = c->n_msgs - nback; i < c->n_msgs; i++) {
		/* The first message creates the room (as a live one would),
		 * the others follow it on the portal's FIFO. */
		struct br_net_message m = c->msgs[i];

		m.backfill = 1;
		if (br_history_hook_command(br, &m)) {
			skipped++;
			continue;
		}
		br_portal_in_on_message(br, l, &m);
		queued++;
	}
	if (queued > 0)
		log_info("history: %zu message(s) of a chat queued for "
		    "backfill%s", queued, skipped > 0 ? " (commands left out)" :
		    "");
	else if (!has_room) {
		/* A room without messages: the core's JOINED handling (a
		 * group gets its chat info, a DM its ghost), without an
		 * actor so that nobody is welcomed. */
		memset(&g, 0, sizeof(g));
		g.change = BR_NET_GROUP_JOINED;
		g.chat = c->chat;
		br_portal_in_on_group(br, l, &g);
	}
	if (key.id != NULL && br_store_user_portal_get_or_create(br->db,
	    li->user_mxid, li->id, key, &up) == 0)
		br_user_portal_free(up);
out:
	free(id);
	free(recv);
}

void
br_history_on_history(void *arg, struct br_net_login *l,
    const struct br_net_history *h)
{
	struct br_bridge *br = arg;
	const struct br_net_login_info *li;
	size_t *idx, n, i, nback, queued = 0;
	int r;

	if (br == NULL || br->net == NULL || h == NULL)
		return;
	li = br->net->ops->info(l);
	if ((r = br_history_store(br->db, li->id, h)) != 0)
		log_warnx("history: %zu chat(s) not stored: %s", h->n_chats,
		    u_strerror(r));
	/* Portals come from the syncs that list the account's chats;
	 * push names, status and on-demand answers make none. */
	if (h->sync_type != 0 && h->sync_type != 2 && h->sync_type != 3) {
		log_debug("history: sync type %d stored only", h->sync_type);
		return;
	}
	if (br->portals == NULL || br->cfg == NULL || h->n_chats == 0)
		return;
	idx = u_calloc(h->n_chats, sizeof(*idx));
	n = br_history_pick(h, br->cfg->network.hs_max_initial_conversations,
	    idx);
	for (i = 0; i < n; i++) {
		const struct br_net_history_chat *c = &h->chats[idx[i]];

		nback = br_history_backfill_count(br->cfg->backfill.enabled,
		    br->cfg->backfill.max_initial_messages, c->n_msgs);
		one_chat(br, l, c, nback);
		queued++;
	}
	free(idx);
	log_info("history: %zu chat(s) received, %zu with portals (sync type "
	    "%d)", h->n_chats, queued, h->sync_type);
}
