/*
 * portal.c: the portal object, its registry and its FIFO, room creation
 * and the m.bridge content.  See portal.h for the contract.
 *
 * Also the room avatar from a chat's picture (br_portal_set_avatar /
 * br_portal_sync_avatar: id, hash, upload, m.room.avatar).
 *
 * What it does not do: ghosts (portal_ghost.c), recovery of lost rooms
 * (portal_recover.c), anything WhatsApp (pictures come through net.h).
 *
 * Invariants: a cached portal is in reg->list and holds one ref from the
 * registry; the FIFO runs only when the registry is ready and the portal
 * is not parked; exactly one item is "current" while parked (it was
 * already removed from the queue, so resume just runs the rest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/config.h"
#include "bridge/ids.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "crypto/cry.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

struct br_portal_item {
	struct br_portal_item	*next;
	br_portal_run_fn	 run;
	void			(*drop)(void *);
	void			*arg;		/* the producer's */
};

struct br_portals {
	struct db		*db;	/* borrowed */
	const struct br_config	*cfg;	/* borrowed */
	struct br_mx		*mx;	/* borrowed, NULL until set */
	struct br_portal_obj	*list;	/* cached portals (one ref each) */
	int			 ready;
	int			 closing;
};

const char *
br_portal_strerror(int code)
{
	switch (code) {
	case BR_ERR_PORTAL_INTERNAL:
		return "internal portal error";
	case BR_ERR_PORTAL_NO_ROOM:
		return "the portal has no Matrix room";
	case BR_ERR_PORTAL_CLOSED:
		return "the bridge is shutting down";
	case BR_ERR_PORTAL_EXISTS:
		return "the room or chat is already bridged";
	case BR_ERR_PORTAL_BAD_ID:
		return "not a WhatsApp chat ID";
	default:
		return br_mx_strerror(code);
	}
}

/* ---- registry ---- */

struct br_portals *
br_portals_new(struct db *db, const struct br_config *cfg)
{
	struct br_portals *reg = u_calloc(1, sizeof(*reg));

	reg->db = db;
	reg->cfg = cfg;
	return reg;
}

void
br_portals_set_mx(struct br_portals *reg, struct br_mx *mx)
{
	reg->mx = mx;
}

struct db *
br_portals_db(const struct br_portals *reg)
{
	return reg->db;
}

struct br_mx *
br_portals_mx(const struct br_portals *reg)
{
	return reg->mx;
}

const struct br_config *
br_portals_cfg(const struct br_portals *reg)
{
	return reg->cfg;
}

int
br_portals_ready(const struct br_portals *reg)
{
	return reg->ready;
}

static void pump(struct br_portal_obj *p);

void
br_portals_close(struct br_portals *reg)
{
	reg->closing = 1;
	reg->ready = 0;
	/* Waiting ghost picture fetches end now, none starts later. */
	br__ghost_avatar_drop(reg);
}

int
br_portals_closing(const struct br_portals *reg)
{
	return reg->closing;
}

void
br_portals_set_ready(struct br_portals *reg, int ready)
{
	struct br_portal_obj *p, *next;

	reg->ready = ready;
	if (!ready)
		return;
	/* A pump may drop a portal from the list (never the one it runs,
	 * which the list holds): keep a ref across it. */
	for (p = reg->list; p != NULL; p = next) {
		br_portal_ref(p);
		pump(p);
		next = p->next;
		br_portal_unref(p);
	}
}

static void
drop_queue(struct br_portal_obj *p)
{
	struct br_portal_item *it;

	while ((it = p->head) != NULL) {
		p->head = it->next;
		if (it->drop != NULL)
			it->drop(it->arg);
		free(it);
	}
	p->tail = NULL;
	p->queued = 0;
}

static void
unlink_cached(struct br_portals *reg, struct br_portal_obj *p)
{
	struct br_portal_obj **pp;

	for (pp = &reg->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			p->cached = 0;
			return;
		}
}

void
br_portals_free(struct br_portals *reg)
{
	struct br_portal_obj *p;

	if (reg == NULL)
		return;
	reg->closing = 1;
	br__ghost_avatar_drop(reg);
	while ((p = reg->list) != NULL) {
		unlink_cached(reg, p);
		drop_queue(p);
		p->reg = NULL;		/* outliving async work sees no registry */
		br_portal_unref(p);
	}
	free(reg);
}

void
br_portals_forget(struct br_portals *reg, struct br_portal_key key)
{
	struct br_portal_obj *p;

	for (p = reg->list; p != NULL; p = p->next)
		if (strcmp(p->row->id, key.id) == 0 &&
		    strcmp(p->row->receiver, key.receiver) == 0)
			break;
	if (p == NULL)
		return;
	/* Work already queued keeps its ref and its (stale) object; new
	 * lookups load the row again. */
	unlink_cached(reg, p);
	br_portal_unref(p);
}

static struct br_portal_obj *
obj_new(struct br_portals *reg, struct br_portal *row)
{
	struct br_portal_obj *p = u_calloc(1, sizeof(*p));

	p->reg = reg;
	p->row = row;
	char rid[3 * BR_ID_MAX + 1], rrecv[3 * BR_ID_MAX + 1];

	/* Chat IDs and receivers are phone numbers: never whole at info. */
	u_log_redact(row->id, rid, sizeof(rid));
	u_log_redact(row->receiver, rrecv, sizeof(rrecv));
	p->prefix = u_asprintf("portal[%s%s%s]", rid,
	    row->receiver[0] != '\0' ? "/" : "", rrecv);
	p->refs = 1;		/* the registry's */
	p->cached = 1;
	p->next = reg->list;
	reg->list = p;
	return p;
}

void
br_portal_ref(struct br_portal_obj *p)
{
	p->refs++;
}

void
br_portal_unref(struct br_portal_obj *p)
{
	if (p == NULL)
		return;
	if (p->refs == 0)
		fatalx("%s: unref below zero", p->prefix);
	if (--p->refs > 0)
		return;
	drop_queue(p);
	br_portal_free(p->row);
	free(p->prefix);
	free(p);
}

static int
valid_chat_id(const char *id)
{
	struct br_jid j;

	return id != NULL && br_jid_parse(id, &j) == 0 && j.user[0] != '\0' &&
	    j.device == 0 && j.agent == 0;
}

int
br_portal_get(struct br_portals *reg, struct br_portal_key key, int create,
    struct br_portal_obj **out)
{
	struct br_portal_obj *p;
	struct br_portal *row = NULL;
	int r;

	if (reg->closing)
		return BR_ERR_PORTAL_CLOSED;
	if (!valid_chat_id(key.id) || key.receiver == NULL)
		return BR_ERR_PORTAL_BAD_ID;
	for (p = reg->list; p != NULL; p = p->next)
		if (strcmp(p->row->id, key.id) == 0 &&
		    strcmp(p->row->receiver, key.receiver) == 0) {
			br_portal_ref(p);
			*out = p;
			return 0;
		}
	r = br_store_portal_get(reg->db, key, &row);
	if (r == U_ERR_NOT_FOUND && create) {
		row = u_calloc(1, sizeof(*row));
		row->id = u_strdup(key.id);
		row->receiver = u_strdup(key.receiver);
		row->parent_receiver = u_strdup("");
		row->name = u_strdup("");
		row->topic = u_strdup("");
		row->avatar_id = u_strdup("");
		row->avatar_hash = u_strdup("");
		row->avatar_mxc = u_strdup("");
		row->room_type = u_strdup("");
		r = br_store_portal_insert(reg->db, row);
		if (r == 0)
			log_debug("Created portal row for %s", key.id);
	}
	if (r < 0) {
		br_portal_free(row);
		return r;
	}
	p = obj_new(reg, row);
	br_portal_ref(p);
	*out = p;
	return 0;
}

int
br_portal_get_by_mxid(struct br_portals *reg, const char *room_id,
    struct br_portal_obj **out)
{
	struct br_portal_obj *p;
	struct br_portal *row = NULL;
	struct br_portal_key key;
	int r;

	if (reg->closing)
		return BR_ERR_PORTAL_CLOSED;
	for (p = reg->list; p != NULL; p = p->next)
		if (p->row->mxid != NULL && strcmp(p->row->mxid, room_id) == 0) {
			br_portal_ref(p);
			*out = p;
			return 0;
		}
	r = br_store_portal_get_by_mxid(reg->db, room_id, &row);
	if (r < 0)
		return r;
	/* Cached under its key with another (stale) room? Use the cache. */
	key.id = row->id;
	key.receiver = row->receiver;
	for (p = reg->list; p != NULL; p = p->next)
		if (strcmp(p->row->id, key.id) == 0 &&
		    strcmp(p->row->receiver, key.receiver) == 0) {
			br_portal_free(row);
			br_portal_ref(p);
			*out = p;
			return 0;
		}
	p = obj_new(reg, row);
	br_portal_ref(p);
	*out = p;
	return 0;
}

int
br_portal_save(struct br_portal_obj *p)
{
	struct db *db = p->reg != NULL ? p->reg->db : NULL;
	int r;

	if (db == NULL)
		return BR_ERR_PORTAL_CLOSED;
	r = br_store_portal_update(db, p->row);
	if (r < 0)
		logp_warnx(p->prefix, "saving the portal failed (%d)", r);
	return r;
}

/* ---- the FIFO ---- */

static void
pump(struct br_portal_obj *p)
{
	struct br_portal_item *it;
	enum br_portal_step st;

	if (p->pumping || p->parked || p->reg == NULL || !p->reg->ready)
		return;
	p->pumping = 1;
	br_portal_ref(p);
	while (!p->parked && (it = p->head) != NULL && p->reg != NULL) {
		p->head = it->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		st = it->run(p, it->arg);
		free(it);
		if (st == BR_PORTAL_PARKED)
			p->parked = 1;
	}
	p->pumping = 0;
	br_portal_unref(p);
}

int
br_portal_enqueue(struct br_portal_obj *p, br_portal_run_fn run,
    void (*drop)(void *), void *arg)
{
	struct br_portal_item *it;

	if (p->reg == NULL || p->reg->closing)
		return BR_ERR_PORTAL_CLOSED;
	if (p->queued >= BR_PORTAL_QUEUE_MAX) {
		logp_warnx(p->prefix, "queue full (%u items), refusing work",
		    (unsigned)BR_PORTAL_QUEUE_MAX);
		return U_ERR_TOO_BIG;
	}
	it = u_calloc(1, sizeof(*it));
	it->run = run;
	it->drop = drop;
	it->arg = arg;
	if (p->tail != NULL)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	p->queued++;
	pump(p);
	return 0;
}

void
br_portal_resume(struct br_portal_obj *p)
{
	if (!p->parked)
		fatalx("%s: resume while not parked", p->prefix);
	p->parked = 0;
	pump(p);
}

/* ---- room spec, m.bridge ---- */

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

void
br_portal_room_spec(const struct br_portals *reg, const struct br_portal *row,
    struct br_mx_room_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->channel_id = row->id;
	spec->name = nonempty(row->name);
	spec->topic = nonempty(row->topic);
	spec->avatar_mxc = nonempty(row->avatar_mxc);
	spec->receiver = nonempty(row->receiver);
	spec->is_dm = row->room_type != NULL &&
	    strcmp(row->room_type, "dm") == 0;
	spec->federate = reg->cfg != NULL ? reg->cfg->matrix.federate_rooms : 0;
}

json_t *
br_portal_bridge_info(const struct br_portals *reg,
    const struct br_portal *row)
{
	struct br_mx_room_spec spec;
	json_t *req, *init, *ev, *content = NULL;
	size_t i;

	if (reg->mx == NULL || reg->mx->ops->portal_create_req == NULL)
		return NULL;
	br_portal_room_spec(reg, row, &spec);
	/* One builder for both: the createRoom body's own m.bridge. */
	req = reg->mx->ops->portal_create_req(reg->mx, &spec);
	init = json_object_get(req, "initial_state");
	json_array_foreach(init, i, ev) {
		if (json_is_string(json_object_get(ev, "type")) &&
		    strcmp(json_string_value(json_object_get(ev, "type")),
		    "m.bridge") == 0) {
			content = json_deep_copy(json_object_get(ev, "content"));
			break;
		}
	}
	json_decref(req);
	return content;
}

/* ---- room creation ---- */

struct create {
	struct br_portal_obj	*p;		/* ref */
	br_portal_room_fn	 done;
	void			*arg;
	char			*name, *topic, *avatar;	/* owned or NULL */
	int			 announce, locked;
	char			**invite;	/* owned, NULL-terminated */
	json_t			*users_pl;	/* ref or NULL */
	int			 direct;	/* run by the current item */
};

static void
create_free(struct create *c)
{
	size_t i;

	free(c->name);
	free(c->topic);
	free(c->avatar);
	for (i = 0; c->invite != NULL && c->invite[i] != NULL; i++)
		free(c->invite[i]);
	free(c->invite);
	json_decref(c->users_pl);
	free(c);
}

static void
create_drop(void *arg)
{
	struct create *c = arg;

	c->done(c->arg, BR_ERR_PORTAL_CLOSED, NULL);
	/* The ref is the queue's owner's: drop_queue runs from unref or
	 * registry teardown, so the portal is not freed here. */
	c->p->refs--;
	create_free(c);
}

static void
create_done(void *arg, int rc, json_t *resp)
{
	struct create *c = arg;
	struct br_portal_obj *p = c->p;
	json_t *j = json_object_get(resp, "room_id");
	int direct = c->direct;

	if (rc == 0 && !json_is_string(j)) {
		logp_warnx(p->prefix, "createRoom answer has no room_id");
		rc = BR_ERR_MX_FAILED;
	}
	if (rc == 0) {
		free(p->row->mxid);
		p->row->mxid = u_strdup(json_string_value(j));
		p->row->name_set = c->name != NULL || p->row->name[0] != '\0';
		p->row->topic_set = 1;
		p->row->avatar_set = p->row->avatar_mxc[0] != '\0';
		logp_info(p->prefix, "Created Matrix room %s", p->row->mxid);
		rc = br_portal_save(p);
	} else if (rc != BR_ERR_MX_CANCELLED)
		logp_warnx(p->prefix, "creating the room failed: %s",
		    br_mx_strerror(rc));
	c->done(c->arg, rc, rc == 0 ? p->row->mxid : NULL);
	create_free(c);
	if (p->parked && !direct)
		br_portal_resume(p);
	br_portal_unref(p);
}

static void
set_str(char **dst, const char *src)
{
	if (src == NULL)
		return;
	free(*dst);
	*dst = u_strdup(src);
}

/*
 * bridge.private_chat_portal_meta: a DM room shows its contact's picture
 * (the ghost's avatar, as upstream sets DM rooms' avatars explicitly for
 * clients without MSC4171).
 */
static int
dm_meta(const struct br_portal_obj *p)
{
	const struct br_portal *row = p->row;

	return p->reg != NULL && p->reg->cfg != NULL &&
	    p->reg->cfg->bridge.private_chat_portal_meta &&
	    row->room_type != NULL && strcmp(row->room_type, "dm") == 0 &&
	    row->other_user_id != NULL && row->other_user_id[0] != '\0';
}

/* A new DM room takes the ghost's avatar when the row has none. */
static void
dm_ghost_avatar(struct br_portal_obj *p)
{
	struct br_ghost *g = NULL;

	if (!dm_meta(p) || p->row->avatar_mxc[0] != '\0' ||
	    br_store_ghost_get(p->reg->db, p->row->other_user_id, &g) != 0)
		return;
	if (g->avatar_mxc[0] != '\0') {
		set_str(&p->row->avatar_mxc, g->avatar_mxc);
		set_str(&p->row->avatar_id, g->avatar_id);
		set_str(&p->row->avatar_hash, g->avatar_hash);
	}
	br_ghost_free(g);
}

static enum br_portal_step
create_run(struct br_portal_obj *p, void *arg)
{
	struct create *c = arg;
	struct br_mx *mx = p->reg->mx;
	struct br_mx_room_spec spec;
	json_t *req;
	int r;

	if (p->row->mxid != NULL) {
		/* Created (or recovered) meanwhile: nothing to do. */
		c->done(c->arg, 0, p->row->mxid);
		create_free(c);
		br_portal_unref(p);
		return BR_PORTAL_DONE;
	}
	set_str(&p->row->name, c->name);
	set_str(&p->row->topic, c->topic);
	set_str(&p->row->avatar_mxc, c->avatar);
	dm_ghost_avatar(p);
	br_portal_room_spec(p->reg, p->row, &spec);
	spec.announce = c->announce;
	spec.locked = c->locked;
	spec.invite = (const char *const *)c->invite;
	spec.users_pl = c->users_pl;
	r = BR_ERR_MX_UNSUPPORTED;
	if (mx != NULL && mx->ops->portal_create_req != NULL &&
	    mx->ops->create_room != NULL) {
		req = mx->ops->portal_create_req(mx, &spec);
		r = req == NULL ? BR_ERR_PORTAL_INTERNAL :
		    mx->ops->create_room(mx, mx->ops->bot(mx), req,
		    create_done, c);
		json_decref(req);
	}
	if (r == 0)
		return BR_PORTAL_PARKED;
	logp_warnx(p->prefix, "cannot create the room: %s",
	    br_portal_strerror(r));
	c->done(c->arg, r, NULL);
	create_free(c);
	br_portal_unref(p);
	return BR_PORTAL_DONE;
}

static struct create *
create_new(struct br_portal_obj *p, const struct br_portal_info *info,
    br_portal_room_fn done, void *arg)
{
	struct create *c = u_calloc(1, sizeof(*c));
	size_t i, n = 0;

	c->p = p;
	c->done = done;
	c->arg = arg;
	if (info != NULL) {
		c->name = info->name ? u_strdup(info->name) : NULL;
		c->topic = info->topic ? u_strdup(info->topic) : NULL;
		c->avatar = info->avatar_mxc ? u_strdup(info->avatar_mxc) :
		    NULL;
		c->announce = info->announce;
		c->locked = info->locked;
		while (info->invite != NULL && info->invite[n] != NULL)
			n++;
		if (n > 0) {
			c->invite = u_calloc(n + 1, sizeof(*c->invite));
			for (i = 0; i < n; i++)
				c->invite[i] = u_strdup(info->invite[i]);
		}
		if (info->users_pl != NULL)
			c->users_pl = json_incref(info->users_pl);
	}
	return c;
}

int
br_portal_create_room_now(struct br_portal_obj *p,
    const struct br_portal_info *info, br_portal_room_fn done, void *arg)
{
	struct create *c;

	if (p->reg == NULL || p->reg->closing)
		return BR_ERR_PORTAL_CLOSED;
	c = create_new(p, info, done, arg);
	c->direct = 1;
	br_portal_ref(p);
	(void)create_run(p, c);
	return 0;
}

int
br_portal_create_room(struct br_portal_obj *p,
    const struct br_portal_info *info, br_portal_room_fn done, void *arg)
{
	struct create *c = create_new(p, info, done, arg);
	int r;

	br_portal_ref(p);
	r = br_portal_enqueue(p, create_run, create_drop, c);
	if (r < 0) {
		p->refs--;
		create_free(c);
	}
	return r;
}

/* ---- re-sending m.bridge ---- */

struct resend {
	struct br_portal_obj	*p;	/* ref */
	int			 step;	/* 0: m.bridge, 1: uk.half-shot.bridge */
};

static void
resend_drop(void *arg)
{
	struct resend *rs = arg;

	rs->p->refs--;
	free(rs);
}

static enum br_portal_step resend_run(struct br_portal_obj *p, void *arg);

static void
resend_done(void *arg, int rc, json_t *resp)
{
	struct resend *rs = arg;
	struct br_portal_obj *p = rs->p;

	(void)resp;
	if (rc != 0 && rc != BR_ERR_MX_CANCELLED)
		logp_warnx(p->prefix, "sending bridge info failed: %s",
		    br_mx_strerror(rc));
	if (rc == 0 && rs->step == 0 && p->reg != NULL) {
		rs->step = 1;
		br_portal_ref(p);	/* resend_run may drop rs's ref */
		if (resend_run(p, rs) != BR_PORTAL_PARKED)
			br_portal_resume(p);
		br_portal_unref(p);
		return;
	}
	free(rs);
	br_portal_resume(p);
	br_portal_unref(p);
}

static enum br_portal_step
resend_run(struct br_portal_obj *p, void *arg)
{
	struct resend *rs = arg;
	struct br_mx *mx = p->reg->mx;
	json_t *content;
	int r = BR_ERR_MX_UNSUPPORTED;

	content = br_portal_bridge_info(p->reg, p->row);
	if (content != NULL && p->row->mxid != NULL &&
	    mx->ops->send_state != NULL && mx->ops->bridge_state_key != NULL)
		r = mx->ops->send_state(mx, mx->ops->bot(mx), p->row->mxid,
		    rs->step == 0 ? "m.bridge" : "uk.half-shot.bridge",
		    mx->ops->bridge_state_key(mx), content, resend_done, rs);
	json_decref(content);
	if (r == 0)
		return BR_PORTAL_PARKED;
	logp_warnx(p->prefix, "cannot send bridge info: %s",
	    br_portal_strerror(r));
	free(rs);
	br_portal_unref(p);
	return BR_PORTAL_DONE;
}

int
br_portal_update_bridge_info(struct br_portal_obj *p)
{
	struct resend *rs;
	int r;

	if (p->row->mxid == NULL)
		return BR_ERR_PORTAL_NO_ROOM;
	rs = u_calloc(1, sizeof(*rs));
	rs->p = p;
	br_portal_ref(p);
	r = br_portal_enqueue(p, resend_run, resend_drop, rs);
	if (r < 0) {
		p->refs--;
		free(rs);
	}
	return r;
}

int
br_portals_resend_bridge_info(struct br_portals *reg)
{
	struct br_portal **rows = NULL;
	struct br_portal_obj *p;
	struct br_portal_key key;
	size_t i;
	int r, n = 0;

	r = br_store_portal_list_with_room(reg->db, &rows);
	if (r < 0)
		return r;
	for (i = 0; rows != NULL && rows[i] != NULL; i++) {
		key.id = rows[i]->id;
		key.receiver = rows[i]->receiver;
		if (br_portal_get(reg, key, 0, &p) < 0)
			continue;	/* not a chat JID: not ours to touch */
		if (br_portal_update_bridge_info(p) == 0)
			n++;
		br_portal_unref(p);
	}
	br_portal_list_free(rows);
	return n;
}

/* ---- attach (recovery, the bridge command) ---- */

/*
 * A chat with one person (s.whatsapp.net, lid, bot) is a DM: room_type
 * "dm" and other_user_id = the person's ghost ID, as upstream's chat info
 * sets them.  Other chats keep what the row has.
 */
static void
set_dm(struct br_portal *row)
{
	struct br_jid j;
	char *ghost = NULL;

	if (br_jid_parse(row->id, &j) < 0 ||
	    (strcmp(j.server, BR_SERVER_USER) != 0 &&
	    strcmp(j.server, BR_SERVER_LID) != 0 &&
	    strcmp(j.server, BR_SERVER_BOT) != 0))
		return;
	set_str(&row->room_type, "dm");
	if (row->other_user_id == NULL && br_id_ghost(row->id, &ghost) == 0) {
		row->other_user_id = ghost;
		ghost = NULL;
	}
	free(ghost);
}

int
br_portal_attach(struct br_portals *reg, struct br_portal_key key,
    const char *room_id, const char *name, const char *topic,
    const char *avatar_mxc, int overwrite)
{
	struct br_portal *other = NULL;
	struct br_portal_obj *p = NULL;
	int r;

	if (!valid_chat_id(key.id))
		return BR_ERR_PORTAL_BAD_ID;
	r = br_store_portal_get_by_mxid(reg->db, room_id, &other);
	if (r == 0 && (strcmp(other->id, key.id) != 0 ||
	    strcmp(other->receiver, key.receiver) != 0)) {
		if (!overwrite) {
			br_portal_free(other);
			return BR_ERR_PORTAL_EXISTS;
		}
		/* The other portal loses the room (removeMXID): through its
		 * cached object if there is one, so that later saves of that
		 * object do not bring the room back. */
		struct br_portal_key ok = { other->id, other->receiver };
		struct br_portal *row = other;

		for (p = reg->list; p != NULL; p = p->next)
			if (strcmp(p->row->id, ok.id) == 0 &&
			    strcmp(p->row->receiver, ok.receiver) == 0) {
				row = p->row;
				break;
			}
		free(row->mxid);
		row->mxid = NULL;
		row->name_set = row->topic_set = row->avatar_set = 0;
		r = br_store_portal_update(reg->db, row);
		p = NULL;
	} else if (r == U_ERR_NOT_FOUND)
		r = 0;
	br_portal_free(other);
	if (r < 0)
		return r;
	r = br_portal_get(reg, key, 1, &p);
	if (r < 0)
		return r;
	if (p->row->mxid != NULL && strcmp(p->row->mxid, room_id) != 0 &&
	    !overwrite) {
		br_portal_unref(p);
		return BR_ERR_PORTAL_EXISTS;
	}
	set_str(&p->row->mxid, room_id);
	set_str(&p->row->name, name);
	set_str(&p->row->topic, topic);
	set_str(&p->row->avatar_mxc, avatar_mxc);
	p->row->name_set = name != NULL;
	p->row->topic_set = topic != NULL;
	p->row->avatar_set = avatar_mxc != NULL;
	set_dm(p->row);
	r = br_portal_save(p);
	if (r == 0)
		logp_info(p->prefix, "Attached to room %s", room_id);
	br_portal_unref(p);
	return r;
}

/* ---- the room avatar from the chat's picture ---- */

/* "remove", "unauthorized", "": no picture to show. */
static int
avatar_none(const char *id)
{
	return id == NULL || id[0] == '\0' || strcmp(id, "remove") == 0 ||
	    strcmp(id, "unauthorized") == 0;
}

void
br__avatar_hash(const unsigned char *data, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t h[CRY_SHA256_LEN];
	size_t i;

	cry_sha256(data, len, h);
	for (i = 0; i < CRY_SHA256_LEN; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[64] = '\0';
}

struct avatar {
	struct br_portal_obj	*p;		/* ref */
	char			*id;		/* owned */
	unsigned char		*jpeg;		/* owned or NULL */
	size_t			 len;
	char			*mxc;		/* owned: what the room gets */
	char			 hash[65];
};

static void
avatar_free(struct avatar *a)
{
	free(a->id);
	free(a->jpeg);
	free(a->mxc);
	free(a);
}

static void
avatar_drop(void *arg)
{
	struct avatar *a = arg;

	a->p->refs--;
	avatar_free(a);
}

/* The item is over: resume the FIFO if it parked. */
static void
avatar_end(struct avatar *a, int parked)
{
	struct br_portal_obj *p = a->p;

	avatar_free(a);
	if (parked)
		br_portal_resume(p);
	br_portal_unref(p);
}

static void
avatar_state_done(void *arg, int rc, json_t *resp)
{
	struct avatar *a = arg;
	struct br_portal *row = a->p->row;

	(void)resp;
	if (rc == 0) {
		set_str(&row->avatar_id, a->id);
		set_str(&row->avatar_hash, a->mxc[0] != '\0' ? a->hash : "");
		set_str(&row->avatar_mxc, a->mxc);
		row->avatar_set = 1;
		(void)br_portal_save(a->p);
		logp_info(a->p->prefix, "Room avatar %s (picture %s)",
		    a->mxc[0] != '\0' ? "set" : "removed", a->id);
	} else if (rc != BR_ERR_MX_CANCELLED)
		logp_warnx(a->p->prefix, "setting the room avatar failed: %s",
		    br_mx_strerror(rc));
	avatar_end(a, 1);
}

/* m.room.avatar with a->mxc ("" removes it), by the bot. */
static int
avatar_send_state(struct avatar *a)
{
	struct br_mx *mx = a->p->reg != NULL ? a->p->reg->mx : NULL;
	json_t *c;
	int r;

	if (mx == NULL || mx->ops->send_state == NULL)
		return BR_ERR_MX_UNSUPPORTED;
	c = a->mxc[0] != '\0' ? json_pack("{s:s}", "url", a->mxc) :
	    json_object();
	r = mx->ops->send_state(mx, mx->ops->bot(mx), a->p->row->mxid,
	    "m.room.avatar", "", c, avatar_state_done, a);
	json_decref(c);
	return r;
}

static void
avatar_uploaded(void *arg, int rc, json_t *resp)
{
	struct avatar *a = arg;
	json_t *u = json_object_get(resp, "content_uri");

	if (rc == 0 && !json_is_string(u))
		rc = BR_ERR_MX_FAILED;
	if (rc == 0) {
		free(a->mxc);
		a->mxc = u_strdup(json_string_value(u));
		rc = avatar_send_state(a);
		if (rc == 0)
			return;
	}
	if (rc != BR_ERR_MX_CANCELLED)
		logp_warnx(a->p->prefix, "uploading the room avatar failed: %s",
		    br_mx_strerror(rc));
	avatar_end(a, 1);
}

static enum br_portal_step
avatar_run(struct br_portal_obj *p, void *arg)
{
	struct avatar *a = arg;
	struct br_portal *row = p->row;
	struct br_mx *mx = p->reg->mx;
	int r;

	if (row->mxid == NULL) {
		logp_debug(p->prefix, "no room: picture %s not applied", a->id);
		avatar_end(a, 0);
		return BR_PORTAL_DONE;
	}
	/* The same picture as the room has: nothing to do. */
	if (row->avatar_set && strcmp(row->avatar_id, a->id) == 0) {
		avatar_end(a, 0);
		return BR_PORTAL_DONE;
	}
	if (avatar_none(a->id)) {
		if (row->avatar_mxc[0] == '\0') {
			/* The room has no avatar to remove (a contact without
			 * a picture sends nothing): remember the id only. */
			set_str(&row->avatar_id, a->id);
			(void)br_portal_save(p);
			avatar_end(a, 0);
			return BR_PORTAL_DONE;
		}
		free(a->mxc);
		a->mxc = u_strdup("");
		r = avatar_send_state(a);
	} else if (a->mxc != NULL) {
		/* Already in the media repository (a ghost's avatar). */
		r = avatar_send_state(a);
	} else if (a->jpeg == NULL) {
		/* A new id without its bytes: the caller's bug or a failed
		 * download; keep what the room has. */
		logp_warnx(p->prefix, "picture %s came without its bytes",
		    a->id);
		avatar_end(a, 0);
		return BR_PORTAL_DONE;
	} else if (strcmp(row->avatar_hash, a->hash) == 0 &&
	    row->avatar_mxc[0] != '\0') {
		/* Same bytes under a new id: no upload. */
		a->mxc = u_strdup(row->avatar_mxc);
		r = avatar_send_state(a);
	} else {
		r = mx != NULL && mx->ops->upload != NULL ?
		    mx->ops->upload(mx, mx->ops->bot(mx), a->jpeg, a->len,
		    "image/jpeg", "avatar.jpg", avatar_uploaded, a) :
		    BR_ERR_MX_UNSUPPORTED;
	}
	if (r == 0)
		return BR_PORTAL_PARKED;
	logp_warnx(p->prefix, "cannot set the room avatar: %s",
	    br_portal_strerror(r));
	avatar_end(a, 0);
	return BR_PORTAL_DONE;
}

/* A new avatar item for p (id "remove" when none). */
static struct avatar *
avatar_new(struct br_portal_obj *p, const char *avatar_id)
{
	struct avatar *a = u_calloc(1, sizeof(*a));

	a->p = p;
	a->id = u_strdup(avatar_id != NULL ? avatar_id : "remove");
	return a;
}

/* Queue a in p's FIFO (a's reference on p taken here); a freed on error. */
static int
avatar_enqueue(struct avatar *a)
{
	struct br_portal_obj *p = a->p;
	int r;

	br_portal_ref(p);
	r = br_portal_enqueue(p, avatar_run, avatar_drop, a);
	if (r < 0) {
		p->refs--;
		avatar_free(a);
	}
	return r;
}

int
br_portal_set_avatar(struct br_portal_obj *p, const char *avatar_id,
    const unsigned char *jpeg, size_t len)
{
	struct avatar *a;

	if (p->reg == NULL || p->reg->closing)
		return BR_ERR_PORTAL_CLOSED;
	a = avatar_new(p, avatar_id);
	if (jpeg != NULL && len > 0) {
		a->jpeg = u_malloc(len);
		memcpy(a->jpeg, jpeg, len);
		a->len = len;
		br__avatar_hash(jpeg, len, a->hash);
	}
	return avatar_enqueue(a);
}

int
br_portal_set_avatar_mxc(struct br_portal_obj *p, const char *avatar_id,
    const char *hash, const char *mxc)
{
	struct avatar *a;

	if (p->reg == NULL || p->reg->closing)
		return BR_ERR_PORTAL_CLOSED;
	a = avatar_new(p, avatar_id);
	/* "" with a removed picture: avatar_run sends the empty state. */
	if (mxc != NULL && mxc[0] != '\0')
		a->mxc = u_strdup(mxc);
	snprintf(a->hash, sizeof(a->hash), "%s", hash != NULL ? hash : "");
	return avatar_enqueue(a);
}

void
br_portal_dm_ghost_avatar(struct br_portals *reg, const char *user,
    const char *login_id, const char *avatar_id, const char *hash,
    const char *mxc)
{
	struct br_portal_key key = { user, login_id };
	struct br_portal_obj *p = NULL;

	if (reg == NULL || reg->closing || user == NULL || login_id == NULL ||
	    br_portal_get(reg, key, 0, &p) != 0)
		return;
	/* Queued also while the room is being made: the item runs after
	 * the creation (a room not made by then is left alone, and takes
	 * the ghost's avatar when it is). */
	if (dm_meta(p))
		(void)br_portal_set_avatar_mxc(p, avatar_id, hash, mxc);
	br_portal_unref(p);
}

struct avatar_sync {
	struct br_portal_obj	*p;	/* ref */
};

static void
avatar_got(void *arg, int rc, const struct br_net_result *r)
{
	struct avatar_sync *x = arg;
	const struct br_net_chat_info *ci = r != NULL ? r->info : NULL;

	if (rc == 0 && ci != NULL && ci->avatar_id != NULL)
		(void)br_portal_set_avatar(x->p, ci->avatar_id, ci->avatar,
		    ci->avatar_len);
	else if (rc != 0)
		logp_warnx(x->p->prefix, "chat picture not fetched: %s",
		    r != NULL && r->reason != NULL ? r->reason :
		    br_net_strerror(rc));
	br_portal_unref(x->p);
	free(x);
}

int
br_portal_sync_avatar(struct br_portal_obj *p, struct br_net *net,
    struct br_net_login *l)
{
	struct avatar_sync *x;
	int r;

	if (net == NULL || net->ops->avatar == NULL)
		return BR_ERR_NET_UNSUPPORTED;
	x = u_calloc(1, sizeof(*x));
	x->p = p;
	br_portal_ref(p);
	r = net->ops->avatar(l, p->row->id, p->row->avatar_id, avatar_got, x);
	if (r < 0) {
		br_portal_unref(p);
		free(x);
	}
	return r;
}
