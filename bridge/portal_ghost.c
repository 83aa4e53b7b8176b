/*
 * portal_ghost.c: ghosts (mautrix-go bridgev2's Ghost): the displayname
 * from network.displayname_template, and "ensure": registered, named,
 * saved in the ghost table, joined to a portal room.
 *
 * The template is parsed and rendered by bridge/relay_tmpl (the ghost
 * root: {{.Field}}, {{"literal"}}, {{or A B ...}}, the legacy names); this
 * file supplies the field values, RedactedPhone among them.
 *
 * What it does not do: avatars, contact info (identifiers), extra profile.
 *
 * Untrusted input: the template is the operator's config; field values
 * come from WhatsApp (push names) and are copied, never interpreted.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/config.h"
#include "bridge/mx.h"
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
	e->done(e->arg, rc);
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
	e->done = done;
	e->arg = arg;
	r = mx->ops->ensure_registered(mx, in, ensure_done, e);
	if (r < 0) {
		free(e->ghost_id);
		free(e->name);
		free(e->room_id);
		free(e);
	}
	return r;
}
