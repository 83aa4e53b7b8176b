/*
 * portal_recover.c: "no lost rooms".  At start-up, before any portal room
 * can be created (the portal FIFOs are held until it ends), the portal
 * table is checked against the rooms the bot is joined to: every room
 * carrying our m.bridge state (state key "<domain>/<appservice id>",
 * bridgebot = our bot, channel.id = a WhatsApp chat JID) that the table
 * does not know becomes that chat's room again.  So a lost or restored-
 * from-old-backup database never leads to a second, identical room.
 *
 * It runs always (not only when the table looks short): one
 * /joined_rooms and one state read per joined room, then three more
 * (name, topic, avatar) per recovered room; cheap for the few hundred
 * rooms of a community bridge, and it also repairs a single lost row.
 *
 * Decisions (br_recover_parse, br_recover_apply; public for tests):
 *   - no m.bridge with our state key: not ours (other bridges' states
 *     have other keys and are never read nor written);
 *   - bridgebot not our bot, channel.id not a chat JID, wrong types:
 *     ignored with one warning;
 *   - receiver: channel."fi.mau.receiver" (DMs, split portals), else "";
 *   - the room is already a portal in the table: left as it is (a
 *     disagreeing m.bridge is logged at warn);
 *   - the chat's row points to another room the bot is still in, or an
 *     earlier claim in this run took the chat: conflict, logged at warn,
 *     the table's room / the lexicographically smallest room ID wins;
 *   - else the row is created or its mxid, name, topic, avatar are set.
 *
 * Legacy rooms (mautrix-whatsapp before bridgev2) carry m.bridge under
 * "net.maunium.whatsapp://whatsapp/<jid>": the key embeds the JID, so a
 * room without our key has its whole state read (mx.h room_state_list,
 * optional) and such a state is taken under the same rules, if the JID in
 * the key is the channel id; a legacy DM state has no receiver and is
 * skipped (its receiver, the login, cannot be known).
 *
 * What it does not do: send anything to rooms.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/ids.h"
#include "bridge/mx.h"
#include "bridge/portal.h"
#include "bridge/portal_recover.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* Joined rooms looked at; past it the rest is skipped with a warning
 * (bounds the claims array and the start-up time). */
#define RECOVER_ROOMS_MAX	20000
/* Longest room ID / name / topic we keep from a homeserver answer. */
#define ROOM_ID_MAX		255
#define TEXT_MAX		(64 * 1024)
/* State events looked at in one room's state list. */
#define STATE_LIST_MAX		100000

#define LEGACY_KEY_PREFIX	"net.maunium.whatsapp://whatsapp/"

const char *
br_recover_verdict_str(enum br_recover_verdict v)
{
	switch (v) {
	case BR_RECOVER_OK:
		return "ok";
	case BR_RECOVER_NOT_OURS:
		return "not this bridge";
	case BR_RECOVER_WRONG_BOT:
		return "bridgebot is another bot";
	case BR_RECOVER_MALFORMED:
		return "malformed m.bridge content";
	case BR_RECOVER_NOT_CHAT:
		return "channel id is not a WhatsApp chat";
	}
	return "?";
}

static const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

enum br_recover_verdict
br_recover_parse(json_t *content, const char *bot_id, char **id,
    char **receiver)
{
	json_t *chan, *proto, *rv;
	const char *bot, *cid, *pid;
	struct br_jid j;
	char *nonad;

	if (!json_is_object(content))
		return BR_RECOVER_MALFORMED;
	bot = str(content, "bridgebot");
	chan = json_object_get(content, "channel");
	proto = json_object_get(content, "protocol");
	if (bot == NULL || !json_is_object(chan))
		return BR_RECOVER_MALFORMED;
	if (strcmp(bot, bot_id) != 0)
		return BR_RECOVER_WRONG_BOT;
	/* protocol.id is "whatsapp" in every mautrix-whatsapp room; a
	 * different one under our key is not ours to take. */
	pid = json_is_object(proto) ? str(proto, "id") : NULL;
	if (json_is_object(proto) && pid != NULL &&
	    strcmp(pid, "whatsapp") != 0)
		return BR_RECOVER_NOT_OURS;
	cid = str(chan, "id");
	if (cid == NULL)
		return BR_RECOVER_MALFORMED;
	rv = json_object_get(chan, "fi.mau.receiver");
	if (rv != NULL && !json_is_string(rv))
		return BR_RECOVER_MALFORMED;
	if (br_jid_parse(cid, &j) < 0 || j.user[0] == '\0' ||
	    j.device != 0 || j.agent != 0)
		return BR_RECOVER_NOT_CHAT;
	nonad = br_jid_string_non_ad(&j);
	if (strcmp(nonad, cid) != 0) {
		free(nonad);
		return BR_RECOVER_NOT_CHAT;
	}
	free(nonad);
	/* A receiver is a login ID: the phone number digits. */
	if (rv != NULL && json_string_value(rv)[0] != '\0') {
		const char *s = json_string_value(rv);

		if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
			return BR_RECOVER_MALFORMED;
	}
	*id = u_strdup(cid);
	*receiver = u_strdup(rv != NULL ? json_string_value(rv) : "");
	return BR_RECOVER_OK;
}

void
br_recover_claim_clear(struct br_recover_claim *c)
{
	free(c->room_id);
	free(c->id);
	free(c->receiver);
	free(c->name);
	free(c->topic);
	free(c->avatar);
	memset(c, 0, sizeof(*c));
}

static int
claim_cmp(const void *a, const void *b)
{
	const struct br_recover_claim *x = a, *y = b;

	return strcmp(x->room_id, y->room_id);
}

static int
in_set(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

int
br_recover_apply(struct br_portals *reg, struct br_recover_claim *claims,
    size_t n, const char *const *joined, size_t njoined,
    struct br_recover_stats *st)
{
	struct db *db = br_portals_db(reg);
	struct br_portal *row;
	struct br_portal_key key;
	const char **taken;
	char red[3 * BR_ID_MAX + 1];
	size_t i, ntaken = 0;
	int r;

	qsort(claims, n, sizeof(*claims), claim_cmp);
	taken = u_calloc(n + 1, sizeof(*taken));
	for (i = 0; i < n; i++) {
		struct br_recover_claim *c = &claims[i];

		key.id = c->id;
		key.receiver = c->receiver;
		row = NULL;
		r = br_store_portal_get_by_mxid(db, c->room_id, &row);
		if (r == 0) {
			if (strcmp(row->id, c->id) == 0 &&
			    strcmp(row->receiver, c->receiver) == 0)
				st->already++;
			else {
				char red2[3 * BR_ID_MAX + 1];

				u_log_redact(row->id, red, sizeof(red));
				u_log_redact(c->id, red2, sizeof(red2));
				log_warnx("recovery: room %s is the portal of "
				    "%s in the database but its m.bridge says "
				    "%s; the database wins", c->room_id, red,
				    red2);
				st->conflicts++;
			}
			br_portal_free(row);
			continue;
		}
		if (r != U_ERR_NOT_FOUND)
			goto fail;
		r = br_store_portal_get(db, key, &row);
		if (r == 0 && row->mxid != NULL &&
		    (in_set(joined, njoined, row->mxid) ||
		    in_set(taken, ntaken, c->id))) {
			u_log_redact(c->id, red, sizeof(red));
			log_warnx("recovery: room %s claims %s, which is "
			    "already bridged to %s; keeping %s", c->room_id,
			    red, row->mxid, row->mxid);
			st->conflicts++;
			br_portal_free(row);
			continue;
		}
		br_portal_free(row);
		if (r != 0 && r != U_ERR_NOT_FOUND)
			goto fail;
		r = br_portal_attach(reg, key, c->room_id, c->name, c->topic,
		    c->avatar, 1);
		if (r < 0)
			goto fail;
		br_portals_forget(reg, key);
		u_log_redact(c->id, red, sizeof(red));
		log_info("recovery: room %s is the portal of %s again",
		    c->room_id, red);
		taken[ntaken++] = c->id;
		st->recovered++;
	}
	free(taken);
	return 0;
fail:
	log_warnx("recovery: database error %d", r);
	free(taken);
	return r;
}

/* ---- the asynchronous walk ---- */

struct recover {
	struct br_portals		*reg;	/* borrowed */
	char				**rooms;	/* owned */
	size_t				 nrooms, i;
	int				 step;	/* 0 m.bridge, 1 name, 2 topic,
						 * 3 avatar, 4 state list */
	struct br_recover_claim		*claims;	/* owned */
	size_t				 n;
	struct br_recover_claim		 cur;
	struct br_recover_stats		 st;
	br_recover_done_fn		 done;
	void				*arg;
};

static void walk(struct recover *rc);

static void
finish(struct recover *rc, int r)
{
	size_t i;

	if (r == 0)
		r = br_recover_apply(rc->reg, rc->claims, rc->n,
		    (const char *const *)rc->rooms, rc->nrooms, &rc->st);
	if (r == 0)
		log_info("recovery: %zu joined rooms, %zu with our m.bridge, "
		    "%zu recovered, %zu already known, %zu ignored, %zu "
		    "conflicts", rc->st.joined, rc->st.with_state,
		    rc->st.recovered, rc->st.already, rc->st.ignored,
		    rc->st.conflicts);
	rc->done(rc->arg, r, &rc->st);
	for (i = 0; i < rc->n; i++)
		br_recover_claim_clear(&rc->claims[i]);
	free(rc->claims);
	br_recover_claim_clear(&rc->cur);
	for (i = 0; i < rc->nrooms; i++)
		free(rc->rooms[i]);
	free(rc->rooms);
	free(rc);
}

static char *
text_of(json_t *resp, const char *field)
{
	const char *s = str(resp, field);

	if (s == NULL || strlen(s) > TEXT_MAX)
		return NULL;
	return u_strdup(s);
}

static const char *
state_text(json_t *list, const char *type, const char *field)
{
	json_t *ev;
	size_t i;

	json_array_foreach(list, i, ev) {
		if (i >= STATE_LIST_MAX)
			break;
		if (json_is_string(json_object_get(ev, "type")) &&
		    strcmp(json_string_value(json_object_get(ev, "type")),
		    type) == 0 && json_is_string(json_object_get(ev,
		    "state_key")) && json_string_value(json_object_get(ev,
		    "state_key"))[0] == '\0')
			return str(json_object_get(ev, "content"), field);
	}
	return NULL;
}

static char *
dup_text(const char *s)
{
	return s != NULL && strlen(s) <= TEXT_MAX ? u_strdup(s) : NULL;
}

/* A room without our key: look for a legacy m.bridge in its state. */
static void
legacy(struct recover *rc, const char *room, json_t *resp)
{
	struct br_mx *mx = br_portals_mx(rc->reg);
	json_t *list = json_object_get(resp, "state"), *ev;
	const char *type, *key;
	enum br_recover_verdict v;
	char *id = NULL, *recv = NULL;
	size_t i, plen = strlen(LEGACY_KEY_PREFIX);

	json_array_foreach(list, i, ev) {
		if (i >= STATE_LIST_MAX)
			break;
		type = str(ev, "type");
		key = str(ev, "state_key");
		if (type == NULL || key == NULL ||
		    strcmp(type, "m.bridge") != 0 ||
		    strncmp(key, LEGACY_KEY_PREFIX, plen) != 0)
			continue;
		rc->st.with_state++;
		v = br_recover_parse(json_object_get(ev, "content"),
		    mx->ops->bot_id(mx), &id, &recv);
		if (v == BR_RECOVER_OK && strcmp(key + plen, id) != 0)
			v = BR_RECOVER_MALFORMED;	/* key and id disagree */
		if (v == BR_RECOVER_OK && recv[0] == '\0' &&
		    strstr(id, "@" BR_SERVER_USER) != NULL) {
			log_warnx("recovery: legacy DM room %s has no receiver; "
			    "attach it with the bridge command", room);
			v = BR_RECOVER_NOT_OURS;
		}
		if (v != BR_RECOVER_OK) {
			if (v != BR_RECOVER_NOT_OURS)
				log_warnx("recovery: ignoring legacy state in "
				    "room %s: %s", room,
				    br_recover_verdict_str(v));
			rc->st.ignored++;
			free(id);
			free(recv);
			return;
		}
		rc->cur.room_id = u_strdup(room);
		rc->cur.id = id;
		rc->cur.receiver = recv;
		rc->cur.name = dup_text(state_text(list, "m.room.name", "name"));
		if (rc->cur.name == NULL)
			rc->cur.name = dup_text(str(json_object_get(json_object_get(
			    ev, "content"), "channel"), "displayname"));
		rc->cur.topic = dup_text(state_text(list, "m.room.topic",
		    "topic"));
		rc->cur.avatar = dup_text(state_text(list, "m.room.avatar",
		    "url"));
		rc->claims[rc->n++] = rc->cur;
		memset(&rc->cur, 0, sizeof(rc->cur));
		log_info("recovery: room %s has a legacy m.bridge", room);
		return;
	}
}

static void
on_state(void *arg, int r, json_t *resp)
{
	struct recover *rc = arg;
	struct br_mx *mx = br_portals_mx(rc->reg);
	enum br_recover_verdict v;
	const char *room = rc->rooms[rc->i];

	if (r == BR_ERR_MX_CANCELLED) {
		finish(rc, r);
		return;
	}
	switch (rc->step) {
	case 0:
		if (r == BR_ERR_MX_NOT_FOUND) {
			if (mx->ops->room_state_list != NULL)
				rc->step = 4;
			else
				rc->i++;
			break;
		}
		if (r < 0) {
			/* Unreadable (left meanwhile, server error): skip,
			 * never guess. */
			log_warnx("recovery: cannot read m.bridge in %s: %s",
			    room, br_mx_strerror(r));
			rc->st.ignored++;
			rc->i++;
			break;
		}
		rc->st.with_state++;
		v = br_recover_parse(resp, mx->ops->bot_id(mx), &rc->cur.id,
		    &rc->cur.receiver);
		if (v != BR_RECOVER_OK) {
			log_warnx("recovery: ignoring room %s: %s", room,
			    br_recover_verdict_str(v));
			rc->st.ignored++;
			rc->i++;
			break;
		}
		rc->cur.room_id = u_strdup(room);
		/* The channel section names the chat as it was. */
		rc->cur.name = text_of(json_object_get(resp, "channel"),
		    "displayname");
		rc->cur.avatar = text_of(json_object_get(resp, "channel"),
		    "avatar_url");
		rc->step = 1;
		break;
	case 1:
	case 2:
	case 3:
		if (r == 0) {
			char **dst = rc->step == 1 ? &rc->cur.name :
			    rc->step == 2 ? &rc->cur.topic : &rc->cur.avatar;
			char *t = text_of(resp, rc->step == 1 ? "name" :
			    rc->step == 2 ? "topic" : "url");

			if (t != NULL) {
				free(*dst);
				*dst = t;
			}
		}
		if (rc->step < 3) {
			rc->step++;
			break;
		}
		rc->claims[rc->n++] = rc->cur;
		memset(&rc->cur, 0, sizeof(rc->cur));
		rc->step = 0;
		rc->i++;
		break;
	case 4:
		if (r == 0)
			legacy(rc, room, resp);
		else
			log_debug("recovery: no state list for %s: %s", room,
			    br_mx_strerror(r));
		rc->step = 0;
		rc->i++;
		break;
	}
	walk(rc);
}

static void
walk(struct recover *rc)
{
	static const char *const types[] = { "m.bridge", "m.room.name",
	    "m.room.topic", "m.room.avatar" };
	struct br_mx *mx = br_portals_mx(rc->reg);
	int r;

	if (rc->i >= rc->nrooms) {
		finish(rc, 0);
		return;
	}
	if (rc->step == 4)
		r = mx->ops->room_state_list(mx, mx->ops->bot(mx),
		    rc->rooms[rc->i], on_state, rc);
	else
		r = mx->ops->get_state(mx, mx->ops->bot(mx), rc->rooms[rc->i],
		    types[rc->step], rc->step == 0 ?
		    mx->ops->bridge_state_key(mx) : "", on_state, rc);
	if (r < 0)
		finish(rc, r);
}

static void
on_joined(void *arg, int r, json_t *resp)
{
	struct recover *rc = arg;
	json_t *arr = json_object_get(resp, "joined_rooms"), *v;
	size_t i, n;

	if (r < 0) {
		if (r != BR_ERR_MX_CANCELLED)
			log_warnx("recovery: cannot list the bot's rooms: %s",
			    br_mx_strerror(r));
		finish(rc, r);
		return;
	}
	if (!json_is_array(arr)) {
		log_warnx("recovery: malformed joined_rooms answer");
		finish(rc, BR_ERR_MX_FAILED);
		return;
	}
	n = json_array_size(arr);
	rc->st.joined = n;
	if (n > RECOVER_ROOMS_MAX) {
		log_warnx("recovery: the bot is in %zu rooms; only the first "
		    "%d are checked", n, RECOVER_ROOMS_MAX);
		n = RECOVER_ROOMS_MAX;
	}
	rc->rooms = u_calloc(n + 1, sizeof(*rc->rooms));
	rc->claims = u_calloc(n + 1, sizeof(*rc->claims));
	for (i = 0; i < n; i++) {
		v = json_array_get(arr, i);
		if (!json_is_string(v) || json_string_value(v)[0] != '!' ||
		    strlen(json_string_value(v)) > ROOM_ID_MAX)
			continue;
		rc->rooms[rc->nrooms++] = u_strdup(json_string_value(v));
	}
	walk(rc);
}

int
br_recover_start(struct br_portals *reg, br_recover_done_fn done, void *arg)
{
	struct br_mx *mx = br_portals_mx(reg);
	struct recover *rc;
	int r;

	if (mx == NULL || mx->ops->joined_rooms == NULL ||
	    mx->ops->get_state == NULL || mx->ops->bridge_state_key == NULL)
		return BR_ERR_MX_UNSUPPORTED;
	rc = u_calloc(1, sizeof(*rc));
	rc->reg = reg;
	rc->done = done;
	rc->arg = arg;
	r = mx->ops->joined_rooms(mx, mx->ops->bot(mx), on_joined, rc);
	if (r < 0)
		free(rc);
	return r;
}
