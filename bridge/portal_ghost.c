/*
 * portal_ghost.c: ghosts (mautrix-go bridgev2's Ghost): the displayname
 * from network.displayname_template, and "ensure": registered, named,
 * saved in the ghost table, joined to a portal room.
 *
 * The template renderer here covers the subset of Go templates that
 * mautrix-whatsapp's displayname_template uses: literal text, {{.Field}},
 * {{"literal"}} and {{or A B ...}} (the first non-empty argument).  It is
 * meant to be replaced by the relay-template renderer (bridge/relay_tmpl)
 * once that supports `or` and string literals: one renderer in the end.
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
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* A displayname longer than this is cut (Synapse refuses > 256 chars;
 * the template's output is bounded before the call). */
#define NAME_MAX_BYTES	256
/* Arguments of one {{or ...}}. */
#define OR_ARGS_MAX	16

static const char *
field(const struct br_ghost_info *gi, const char *name, size_t n)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} f[] = {
		{ "PushName", offsetof(struct br_ghost_info, push_name) },
		{ "BusinessName", offsetof(struct br_ghost_info, business_name) },
		{ "FullName", offsetof(struct br_ghost_info, full_name) },
		{ "FirstName", offsetof(struct br_ghost_info, first_name) },
		{ "Phone", offsetof(struct br_ghost_info, phone) },
		/* mautrix-whatsapp's deprecated legacy names */
		{ "JID", offsetof(struct br_ghost_info, phone) },
		{ "Notify", offsetof(struct br_ghost_info, push_name) },
		{ "VName", offsetof(struct br_ghost_info, business_name) },
		{ "Name", offsetof(struct br_ghost_info, full_name) },
		{ "Short", offsetof(struct br_ghost_info, first_name) },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strlen(f[i].name) == n && memcmp(f[i].name, name, n) == 0)
			return *(const char *const *)(const void *)
			    ((const char *)gi + f[i].off);
	return (const char *)-1;
}

/* RedactedPhone, as mautrix-whatsapp's redactPhone: the first 2 and
 * last 2 bytes kept, each byte between them becomes U+2219 "∙"; 4 bytes
 * or fewer stay as they are. */
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

/* One argument: .Field or "literal".  *val set (possibly "").  p moves. */
static int
arg(const char **pp, const char *end, const struct br_ghost_info *gi,
    char *tmp, size_t tmpsz, const char **val)
{
	const char *p = *pp, *s;
	size_t n;

	if (p < end && *p == '"') {
		s = ++p;
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end || *p != '"')
			return U_ERR_INVALID;
		n = (size_t)(p - s);
		if (n >= tmpsz)
			return U_ERR_TOO_BIG;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		*val = tmp;
		*pp = p + 1;
		return 0;
	}
	if (p < end && *p == '.') {
		s = ++p;
		while (p < end && ((*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			p++;
		n = (size_t)(p - s);
		if (n == 13 && memcmp(s, "RedactedPhone", 13) == 0) {
			redacted(gi->phone, tmp, tmpsz);
			*val = tmp;
		} else {
			*val = field(gi, s, n);
			if (*val == (const char *)-1)
				return U_ERR_INVALID;
			if (*val == NULL)
				*val = "";
		}
		*pp = p;
		return 0;
	}
	return U_ERR_INVALID;
}

static void
skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* The action between {{ and }}; appends its value to b. */
static int
action(const char *p, const char *end, const struct br_ghost_info *gi,
    struct u_buf *b)
{
	char tmp[OR_ARGS_MAX][NAME_MAX_BYTES * 4];
	const char *val, *chosen = NULL;
	int is_or = 0, n = 0, r;

	skip_ws(&p, end);
	if (end - p > 2 && memcmp(p, "or", 2) == 0 &&
	    (p[2] == ' ' || p[2] == '\t')) {
		is_or = 1;
		p += 2;
	}
	for (;;) {
		skip_ws(&p, end);
		if (p >= end)
			break;
		if (n >= OR_ARGS_MAX || (!is_or && n > 0))
			return U_ERR_INVALID;
		r = arg(&p, end, gi, tmp[n], sizeof(tmp[n]), &val);
		if (r < 0)
			return r;
		if (chosen == NULL && val[0] != '\0')
			chosen = val;
		n++;
	}
	if (n == 0)
		return U_ERR_INVALID;
	if (chosen != NULL)
		return u_buf_add(b, chosen, strlen(chosen));
	return 0;
}

int
br_ghost_displayname(const char *tmpl, const struct br_ghost_info *gi,
    char **out)
{
	struct u_buf b;
	const char *p = tmpl, *open, *close;
	int r = U_ERR_INVALID;

	u_buf_init(&b, NAME_MAX_BYTES * 8);
	while (*p != '\0') {
		open = strstr(p, "{{");
		if (open == NULL) {
			r = u_buf_add(&b, p, strlen(p));
			if (r < 0)
				goto out;
			break;
		}
		if ((r = u_buf_add(&b, p, (size_t)(open - p))) < 0)
			goto out;
		close = strstr(open + 2, "}}");
		if (close == NULL) {
			r = U_ERR_INVALID;
			goto out;
		}
		if ((r = action(open + 2, close, gi, &b)) < 0)
			goto out;
		p = close + 2;
	}
	if ((r = u_buf_add(&b, "", 1)) < 0)
		goto out;
	if (strlen((const char *)b.p) > NAME_MAX_BYTES) {
		size_t cut = NAME_MAX_BYTES;

		/* Cut on a character boundary (no half UTF-8 sequence). */
		while (cut > 0 && (b.p[cut] & 0xC0) == 0x80)
			cut--;
		b.p[cut] = '\0';
	}
	*out = u_strdup((const char *)b.p);
	r = 0;
out:
	u_buf_free(&b);
	return r;
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
