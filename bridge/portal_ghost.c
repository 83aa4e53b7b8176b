/*
 * portal_ghost.c: ghosts (mautrix-go bridgev2's Ghost): the displayname
 * from network.displayname_template, and "ensure": registered, named,
 * saved in the ghost table, joined to a portal room.
 *
 * The template is parsed and rendered by bridge/relay_tmpl (the ghost
 * root: {{.Field}}, {{"literal"}}, {{or A B ...}}, the legacy names); this
 * file supplies the field values, RedactedPhone among them.
 *
 * Also the ghost's avatar from the user's WhatsApp profile picture
 * (br_ghost_sync_avatar: fetched through net.h, uploaded once per picture,
 * avatar_url set, ghost row saved).
 *
 * What it does not do: contact info (identifiers), extra profile.
 *
 * Untrusted input: the template is the operator's config; field values
 * come from WhatsApp (push names) and are copied, never interpreted.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "bridge/config.h"
#include "bridge/ids.h"
#include "bridge/mx.h"
#include "bridge/net.h"
#include "bridge/portal.h"
#include "bridge/relay_tmpl.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* A displayname longer than this is cut (Synapse refuses > 256 chars;
 * the template's output is bounded before the call). */
#define NAME_MAX_BYTES	256

/* What the ghost root's fields read (borrowed from the caller). */
struct ghost_vals {
	const struct br_ghost_info	*gi;
	char				 redacted[NAME_MAX_BYTES * 4];
};

/* RedactedPhone, as mautrix-whatsapp's redactPhone: the first 2 and
 * last 2 bytes kept, each byte between them becomes U+2219 "\xe2\x88\x99";
 * 4 bytes or fewer stay as they are.  Too long for out: "". */
static void
redacted(const char *phone, char *out, size_t outsz)
{
	size_t n = phone != NULL ? strlen(phone) : 0, i, o = 0;

	out[0] = '\0';
	if (outsz < 3 * n + 1)
		return;
	for (i = 0; i < n; i++) {
		if (n <= 4 || i < 2 || i >= n - 2)
			out[o++] = phone[i];
		else {
			memcpy(out + o, "\xe2\x88\x99", 3);	/* U+2219 */
			o += 3;
		}
	}
	out[o] = '\0';
}

static const char *
ghost_lookup(void *arg, int f)
{
	struct ghost_vals *v = arg;

	switch ((enum br_relay_ghost_field)f) {
	case BR_GHOST_F_PUSH_NAME: return v->gi->push_name;
	case BR_GHOST_F_BUSINESS_NAME: return v->gi->business_name;
	case BR_GHOST_F_FULL_NAME: return v->gi->full_name;
	case BR_GHOST_F_FIRST_NAME: return v->gi->first_name;
	case BR_GHOST_F_PHONE: return v->gi->phone;
	case BR_GHOST_F_REDACTED_PHONE:
		redacted(v->gi->phone, v->redacted, sizeof(v->redacted));
		return v->redacted;
	}
	return NULL;
}

int
br_ghost_displayname(const char *tmpl, const struct br_ghost_info *gi,
    char **out)
{
	struct br_relay_tmpl *t = NULL;
	struct ghost_vals v;
	char *s = NULL;
	size_t cut;
	int r;

	if (br_relay_tmpl_parse(tmpl, BR_RELAY_ROOT_GHOST, &t, NULL, 0) != 0)
		return U_ERR_INVALID;
	v.gi = gi;
	v.redacted[0] = '\0';
	r = br_relay_tmpl_render_fn(t, ghost_lookup, &v, &s);
	br_relay_tmpl_free(t);
	if (r < 0)
		return r;
	if (strlen(s) > NAME_MAX_BYTES) {
		/* Cut on a character boundary (no half UTF-8 sequence). */
		cut = NAME_MAX_BYTES;
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		s[cut] = '\0';
	}
	*out = s;
	return 0;
}

/* ---- ensure ---- */

struct ensure {
	struct br_portals	*reg;		/* borrowed */
	struct br_mx_intent	*in;		/* borrowed */
	char			*ghost_id;	/* owned */
	char			*name;		/* owned: rendered, or NULL */
	char			*room_id;	/* owned or NULL */
	struct br_net		*net;		/* borrowed or NULL */
	char			*login_id;	/* owned: avatar on first sight */
	int			 step;
	void			(*done)(void *, int);
	void			*arg;
};

static void ensure_next(struct ensure *e, int rc);

static void
ensure_done(void *arg, int rc, json_t *resp)
{
	(void)resp;
	ensure_next(arg, rc);
}

/* The ghost exists: fetch its picture if it never was (in the
 * background; the login is looked up again, it may have gone). */
static void
first_avatar(struct ensure *e)
{
	struct br_net_login *l;
	char *user = NULL;
	int r;

	if (e->net == NULL || e->net->ops->login_get == NULL ||
	    (l = e->net->ops->login_get(e->net, e->login_id)) == NULL ||
	    br_id_ghost_jid(e->ghost_id, &user) != 0)
		return;
	r = br_ghost_sync_avatar(e->reg, e->net, l, user, 0, NULL, NULL);
	if (r < 0 && r != BR_ERR_NET_UNSUPPORTED)
		log_warnx("ghost %s: avatar not fetched (%d)", e->ghost_id, r);
	free(user);
}

/* Steps: 0 register, 1 displayname (when changed), 2 join, 3 finish. */
static void
ensure_next(struct ensure *e, int rc)
{
	struct br_mx *mx = br_portals_mx(e->reg);
	struct br_ghost *g = NULL;
	int r;

	while (rc == 0 && e->step < 3) {
		e->step++;
		r = 1;		/* 1: step skipped */
		if (e->step == 1 && e->name != NULL) {
			/* Unchanged names are not sent again. */
			if (br_store_ghost_get(br_portals_db(e->reg),
			    e->ghost_id, &g) != 0 || !g->name_set ||
			    strcmp(g->name, e->name) != 0)
				r = mx->ops->set_displayname(mx, e->in,
				    e->name, ensure_done, e);
			br_ghost_free(g);
			g = NULL;
		} else if (e->step == 2 && e->room_id != NULL)
			r = mx->ops->ensure_joined(mx, e->in, e->room_id,
			    ensure_done, e);
		if (r == 0)
			return;
		if (r < 0)
			rc = r;
	}
	if (rc == 0) {
		struct db *db = br_portals_db(e->reg);

		r = br_store_ghost_get(db, e->ghost_id, &g);
		if (r == U_ERR_NOT_FOUND) {
			g = u_calloc(1, sizeof(*g));
			g->id = u_strdup(e->ghost_id);
			g->name = u_strdup(e->name != NULL ? e->name : "");
			g->avatar_id = u_strdup("");
			g->avatar_hash = u_strdup("");
			g->avatar_mxc = u_strdup("");
			g->name_set = e->name != NULL;
			rc = br_store_ghost_insert(db, g);
		} else if (r == 0) {
			if (e->name != NULL) {
				free(g->name);
				g->name = u_strdup(e->name);
				g->name_set = 1;
			}
			rc = br_store_ghost_update(db, g);
		} else
			rc = r;
		br_ghost_free(g);
	}
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("ghost %s: ensure failed at step %d (%d)",
		    e->ghost_id, e->step, rc);
	if (rc == 0 && e->login_id != NULL)
		first_avatar(e);
	e->done(e->arg, rc);
	free(e->login_id);
	free(e->ghost_id);
	free(e->name);
	free(e->room_id);
	free(e);
}

int
br_ghost_ensure(struct br_portals *reg, const char *ghost_id,
    const struct br_ghost_info *gi, const char *room_id,
    void (*done)(void *arg, int rc), void *arg)
{
	const struct br_config *cfg = br_portals_cfg(reg);
	struct br_mx *mx = br_portals_mx(reg);
	struct br_mx_intent *in;
	struct ensure *e;
	char *name = NULL;
	int r;

	if (mx == NULL)
		return BR_ERR_MX_UNSUPPORTED;
	in = mx->ops->ghost(mx, ghost_id);
	if (in == NULL)
		return BR_ERR_MX_INVALID;
	if (gi != NULL && cfg != NULL &&
	    cfg->network.displayname_template != NULL) {
		r = br_ghost_displayname(cfg->network.displayname_template, gi,
		    &name);
		if (r < 0)
			return r;
	}
	e = u_calloc(1, sizeof(*e));
	e->reg = reg;
	e->in = in;
	e->ghost_id = u_strdup(ghost_id);
	e->name = name;
	e->room_id = room_id != NULL ? u_strdup(room_id) : NULL;
	if (gi != NULL && gi->net != NULL && gi->login != NULL &&
	    gi->net->ops->info != NULL && gi->net->ops->avatar != NULL) {
		e->net = gi->net;
		e->login_id = u_strdup(gi->net->ops->info(gi->login)->id);
	}
	e->done = done;
	e->arg = arg;
	r = mx->ops->ensure_registered(mx, in, ensure_done, e);
	if (r < 0) {
		free(e->login_id);
		free(e->ghost_id);
		free(e->name);
		free(e->room_id);
		free(e);
	}
	return r;
}

/* ---- avatar ---- */

/*
 * Picture fetches in flight at once: the members of a new 1024-member
 * group must not send 1024 iqs and downloads together (WhatsApp limits
 * request rates).  Later ones wait in order, at most GHOST_AVATAR_WAIT_MAX
 * (past that they are dropped: a ghost still without a picture id is
 * fetched again on its next sight).
 */
#define GHOST_AVATAR_PARALLEL	4
#define GHOST_AVATAR_WAIT_MAX	4096

/* A fetch waiting for its turn (the login by id: it may go meanwhile). */
struct gav_wait {
	struct gav_wait		*next;
	struct br_portals	*reg;		/* borrowed */
	struct br_net		*net;		/* borrowed */
	char			*login_id;	/* owned */
	char			*user;		/* owned */
	int			 force;
	void			(*done)(void *, int);
	void			*arg;
};

/* One bridge process, one queue (as the registry is one per process;
 * br__ghost_avatar_drop empties it with its registry). */
static struct gav_wait *wait_head, *wait_tail;
static size_t nwait;
static unsigned nactive;

static int gav_start(struct br_portals *reg, struct br_net *net,
    struct br_net_login *l, const char *user, int force,
    void (*done)(void *, int), void *arg);

static void
wait_free(struct gav_wait *w)
{
	free(w->login_id);
	free(w->user);
	free(w);
}

/* Start waiting fetches while there is room. */
static void
gav_pump(void)
{
	struct gav_wait *w;
	struct br_net_login *l;
	int r;

	while (nactive < GHOST_AVATAR_PARALLEL && (w = wait_head) != NULL) {
		wait_head = w->next;
		if (wait_head == NULL)
			wait_tail = NULL;
		nwait--;
		l = w->net->ops->login_get != NULL ?
		    w->net->ops->login_get(w->net, w->login_id) : NULL;
		r = l == NULL ? BR_ERR_NET_NOT_FOUND : gav_start(w->reg,
		    w->net, l, w->user, w->force, w->done, w->arg);
		if (r != 0 && w->done != NULL)
			w->done(w->arg, r > 0 ? 0 : r);
		wait_free(w);
	}
}

void
br__ghost_avatar_drop(struct br_portals *reg)
{
	struct gav_wait **pp = &wait_head, *w;

	wait_tail = NULL;
	while ((w = *pp) != NULL) {
		if (w->reg != reg) {
			wait_tail = w;
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		nwait--;
		if (w->done != NULL)
			w->done(w->arg, BR_ERR_PORTAL_CLOSED);
		wait_free(w);
	}
}

struct gav {
	struct br_portals	*reg;		/* borrowed */
	struct br_mx_intent	*in;		/* borrowed: the ghost */
	char			*ghost_id;	/* owned */
	char			*id;		/* owned: the picture id */
	char			*mxc;		/* owned: the new avatar_url */
	char			 hash[65];
	char			*user;		/* owned: the user JID */
	char			*login_id;	/* owned or NULL: its DM */
	void			(*done)(void *, int);
	void			*arg;
};

static void
gav_end(struct gav *x, int rc)
{
	if (rc < 0 && rc != BR_ERR_MX_CANCELLED)
		log_warnx("ghost %s: avatar not synced (%d)", x->ghost_id, rc);
	if (x->done != NULL)
		x->done(x->arg, rc);
	free(x->ghost_id);
	free(x->id);
	free(x->mxc);
	free(x->user);
	free(x->login_id);
	free(x);
	nactive--;
	gav_pump();
}

/* Save id / hash / mxc in the ghost row (read again: the name may have
 * changed meanwhile). */
static int
gav_save(struct gav *x, int set)
{
	struct db *db = br_portals_db(x->reg);
	struct br_ghost *g = NULL;
	int r;

	if (db == NULL)
		return BR_ERR_PORTAL_CLOSED;
	if ((r = br_store_ghost_get(db, x->ghost_id, &g)) != 0)
		return r;
	free(g->avatar_id);
	g->avatar_id = u_strdup(x->id);
	if (set) {
		free(g->avatar_hash);
		g->avatar_hash = u_strdup(x->mxc[0] != '\0' ? x->hash : "");
		free(g->avatar_mxc);
		g->avatar_mxc = u_strdup(x->mxc);
		g->avatar_set = 1;
	}
	r = br_store_ghost_update(db, g);
	br_ghost_free(g);
	return r;
}

static void
gav_set_done(void *arg, int rc, json_t *resp)
{
	struct gav *x = arg;

	(void)resp;
	if (rc == 0) {
		rc = gav_save(x, 1);
		if (rc == 0)
			log_info("ghost %s: avatar %s (picture %s)", x->ghost_id,
			    x->mxc[0] != '\0' ? "set" : "removed", x->id);
		/* The DM with this user shows it too (its own FIFO). */
		if (rc == 0)
			br_portal_dm_ghost_avatar(x->reg, x->user, x->login_id,
			    x->id, x->mxc[0] != '\0' ? x->hash : "", x->mxc);
	}
	gav_end(x, rc);
}

static int
gav_set(struct gav *x)
{
	struct br_mx *mx = br_portals_mx(x->reg);

	if (mx == NULL || mx->ops->set_avatar == NULL)
		return BR_ERR_MX_UNSUPPORTED;
	return mx->ops->set_avatar(mx, x->in, x->mxc, gav_set_done, x);
}

static void
gav_uploaded(void *arg, int rc, json_t *resp)
{
	struct gav *x = arg;
	json_t *u = json_object_get(resp, "content_uri");

	if (rc == 0 && !json_is_string(u))
		rc = BR_ERR_MX_FAILED;
	if (rc == 0) {
		x->mxc = u_strdup(json_string_value(u));
		if ((rc = gav_set(x)) == 0)
			return;
	}
	gav_end(x, rc);
}

static int
id_none(const char *id)
{
	return id == NULL || id[0] == '\0' || strcmp(id, "remove") == 0 ||
	    strcmp(id, "unauthorized") == 0;
}

static void
gav_got(void *arg, int rc, const struct br_net_result *r)
{
	struct gav *x = arg;
	const struct br_net_chat_info *ci = r != NULL ? r->info : NULL;
	struct br_mx *mx = br_portals_mx(x->reg);
	struct br_ghost *g = NULL;
	struct db *db = br_portals_db(x->reg);

	if (rc == 0 && (ci == NULL || ci->avatar_id == NULL))
		rc = BR_ERR_NET_FAILED;
	if (rc != 0 || db == NULL || mx == NULL ||
	    br_store_ghost_get(db, x->ghost_id, &g) != 0) {
		gav_end(x, rc != 0 ? rc : BR_ERR_PORTAL_CLOSED);
		return;
	}
	x->id = u_strdup(ci->avatar_id);
	if (id_none(ci->avatar_id)) {
		if (g->avatar_mxc[0] == '\0') {
			/* Already without an avatar (no profile change: it
			 * would touch every room the ghost is in). */
			br_ghost_free(g);
			gav_end(x, gav_save(x, 0));
			return;
		}
		x->mxc = u_strdup("");
	} else if (ci->avatar == NULL) {
		/* Unchanged (the id we hold). */
		br_ghost_free(g);
		gav_end(x, 0);
		return;
	} else {
		br__avatar_hash(ci->avatar, ci->avatar_len, x->hash);
		if (strcmp(g->avatar_hash, x->hash) == 0 &&
		    g->avatar_mxc[0] != '\0')
			x->mxc = u_strdup(g->avatar_mxc);	/* same bytes */
	}
	br_ghost_free(g);
	if (x->mxc != NULL)
		rc = gav_set(x);
	else
		rc = mx->ops->upload != NULL ? mx->ops->upload(mx, x->in,
		    ci->avatar, ci->avatar_len, "image/jpeg", "avatar.jpg",
		    gav_uploaded, x) : BR_ERR_MX_UNSUPPORTED;
	if (rc != 0)
		gav_end(x, rc);
}

/* The ghost row of user: 0 and *gid / *g (owned), or a code. */
static int
ghost_row(struct br_portals *reg, const char *user, char **gid,
    struct br_ghost **g)
{
	int r;

	if ((r = br_id_ghost(user, gid)) != 0)
		return r;
	if ((r = br_store_ghost_get(br_portals_db(reg), *gid, g)) != 0) {
		free(*gid);
		*gid = NULL;
	}
	return r;
}

/* Ask now: 0 (done follows), 1 (nothing to do), or a code. */
static int
gav_start(struct br_portals *reg, struct br_net *net, struct br_net_login *l,
    const char *user, int force, void (*done)(void *, int), void *arg)
{
	struct br_mx *mx = br_portals_mx(reg);
	struct br_ghost *g = NULL;
	struct gav *x;
	char *gid = NULL;
	const char *known;
	int r;

	if (mx == NULL)
		return BR_ERR_MX_UNSUPPORTED;
	if (br_portals_closing(reg))
		return BR_ERR_PORTAL_CLOSED;
	if ((r = ghost_row(reg, user, &gid, &g)) != 0)
		return r;
	if (!force && g->avatar_id[0] != '\0') {
		/* Fetched meanwhile. */
		br_ghost_free(g);
		free(gid);
		return 1;
	}
	x = u_calloc(1, sizeof(*x));
	x->reg = reg;
	x->in = mx->ops->ghost(mx, gid);
	x->ghost_id = gid;
	x->user = u_strdup(user);
	x->login_id = net->ops->info != NULL && net->ops->info(l) != NULL &&
	    net->ops->info(l)->id != NULL ? u_strdup(net->ops->info(l)->id) :
	    NULL;
	x->done = done;
	x->arg = arg;
	/* Upstream asks without an id after "remove" / "unauthorized". */
	known = id_none(g->avatar_id) ? "" : g->avatar_id;
	r = x->in == NULL ? BR_ERR_MX_INVALID :
	    net->ops->avatar(l, user, known, gav_got, x);
	br_ghost_free(g);
	if (r < 0) {
		free(x->ghost_id);
		free(x->user);
		free(x->login_id);
		free(x);
		return r;
	}
	nactive++;
	return 0;
}

int
br_ghost_sync_avatar(struct br_portals *reg, struct br_net *net,
    struct br_net_login *l, const char *user, int force,
    void (*done)(void *arg, int rc), void *arg)
{
	struct br_ghost *g = NULL;
	struct gav_wait *w;
	char *gid = NULL;
	int r;

	if (net == NULL || net->ops->avatar == NULL)
		return BR_ERR_NET_UNSUPPORTED;
	if (br_portals_mx(reg) == NULL)
		return BR_ERR_MX_UNSUPPORTED;
	if (br_portals_closing(reg))
		return BR_ERR_PORTAL_CLOSED;
	if ((r = ghost_row(reg, user, &gid, &g)) != 0)
		return r;
	r = !force && g->avatar_id[0] != '\0';
	br_ghost_free(g);
	free(gid);
	if (r)
		return 1;	/* fetched before: only a notification or a
				 * sync asks again */
	if (nactive < GHOST_AVATAR_PARALLEL)
		return gav_start(reg, net, l, user, force, done, arg);
	if (nwait >= GHOST_AVATAR_WAIT_MAX || net->ops->info == NULL) {
		log_warnx("ghost avatars: %zu fetches waiting, one dropped",
		    nwait);
		return U_ERR_TOO_BIG;
	}
	/* One wait per user is enough for a first sight. */
	for (w = wait_head; !force && w != NULL; w = w->next)
		if (w->reg == reg && strcmp(w->user, user) == 0 && !w->force)
			return 1;
	w = u_calloc(1, sizeof(*w));
	w->reg = reg;
	w->net = net;
	w->login_id = u_strdup(net->ops->info(l)->id);
	w->user = u_strdup(user);
	w->force = force;
	w->done = done;
	w->arg = arg;
	if (wait_tail != NULL)
		wait_tail->next = w;
	else
		wait_head = w;
	wait_tail = w;
	nwait++;
	return 0;
}

void
br_ghost_on_user_avatar(void *arg, struct br_net_login *l, const char *user,
    const char *avatar_id)
{
	struct br_bridge *br = arg;
	int r;

	(void)avatar_id;
	if (br == NULL || br->portals == NULL || user == NULL)
		return;
	r = br_ghost_sync_avatar(br->portals, br->net, l, user, 1, NULL,
	    NULL);
	if (r < 0 && r != U_ERR_NOT_FOUND)
		log_warnx("ghost of a picture change: avatar not synced (%d)",
		    r);
}
