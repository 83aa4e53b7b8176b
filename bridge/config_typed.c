/*
 * config_typed.c: fill struct br_config from the effective tree (merged
 * file values plus environment overrides), with the checks upstream's YAML
 * decoding makes (types, permission levels, log levels, port range, bot
 * avatar URI, templates parsed by bridge/relay_tmpl).  Strings are borrowed from the trees; arrays are owned by
 * the config (freed in br_config_free).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/config_int.h"
#include "bridge/relay_tmpl.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

struct br__ynode *
br__cfg_lookup(const struct br__ynode *root, const char *path)
{
	char buf[BR_CONFIG_PATH_MAX], *s, *dot;
	const struct br__ynode *n = root;

	if (strlen(path) >= sizeof(buf))
		return NULL;
	strcpy(buf, path);
	for (s = buf; n != NULL; s = dot + 1) {
		dot = strchr(s, '.');
		if (dot != NULL)
			*dot = '\0';
		n = br__ymap_get(n, s);
		if (dot == NULL)
			return (struct br__ynode *)n;
	}
	return NULL;
}

static int
get_scalar_text(struct br__cctx *c, const char *path, const struct br__ynode *n,
    const char **out)
{
	if (n->kind != BR_Y_SCALAR)
		return br__cfg_type_err(c, path, n, "a string");
	*out = n->type == BR_YT_NULL ? "" : n->val;
	return 0;
}

static int
strlist(struct br__cctx *c, const char *path, const struct br__ynode *n,
    struct br_strlist *out)
{
	size_t i;

	if (n->kind != BR_Y_SEQ)
		return n->type == BR_YT_NULL ? 0 : br__cfg_type_err(c, path, n,
		    "a list");
	out->v = u_calloc(n->nkids + 1, sizeof(*out->v));
	for (i = 0; i < n->nkids; i++) {
		const struct br__ynode *it = n->kids[i];

		if (it->kind != BR_Y_SCALAR || it->type == BR_YT_NULL)
			return br__cfg_type_err(c, path, it, "a list of "
			    "strings");
		out->v[out->n++] = it->val;
	}
	return 0;
}

static int
kvmap(struct br__cctx *c, const char *path, const struct br__ynode *n,
    struct br_kv **out, size_t *nout)
{
	size_t i;

	if (n->kind != BR_Y_MAP)
		return n->type == BR_YT_NULL ? 0 : br__cfg_type_err(c, path, n,
		    "a mapping");
	*out = u_calloc(n->nkids / 2 + 1, sizeof(**out));
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct br__ynode *v = n->kids[i + 1];

		if (v->kind != BR_Y_SCALAR)
			return br__cfg_type_err(c, path, v, "a string");
		(*out)[*nout].key = n->kids[i]->val;
		(*out)[*nout].val = v->type == BR_YT_NULL ? "" : v->val;
		(*nout)++;
	}
	return 0;
}

/* Parse one template value as upstream does when it decodes the config
 * (text/template.Parse); a bad one names the key. */
static int
check_tmpl(struct br__cctx *c, const char *path, const char *key,
    const struct br__ynode *n, const char *src, enum br_relay_tmpl_root root)
{
	struct br_relay_tmpl *t = NULL;
	char why[160];

	if (br_relay_tmpl_parse(src, root, &t, why, sizeof(why)) == 0) {
		br_relay_tmpl_free(t);
		return 0;
	}
	br__cfg_err(c->err, c->errsz, "%s:%d:%d: %s%s%s: invalid template: %s",
	    br__cfg_src(n), n->line, n->col, path, key != NULL ? "." : "",
	    key != NULL ? key : "", why);
	return BR_ERR_CONFIG_TYPE;
}

static int
check_templates(struct br__cctx *c, const struct br__ynode *root,
    const struct br_config *cfg)
{
	static const struct {
		const char		*path;
		enum br_relay_tmpl_root	 root;
	} one[] = {
		{ "network.displayname_template", BR_RELAY_ROOT_GHOST },
		{ "bridge.relay.displayname_format", BR_RELAY_ROOT_SENDER },
	};
	const struct br__ynode *n, *fm;
	size_t i;
	int r;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		if ((n = br__cfg_lookup(root, one[i].path)) == NULL ||
		    n->kind != BR_Y_SCALAR || n->type == BR_YT_NULL)
			continue;
		if ((r = check_tmpl(c, one[i].path, NULL, n, n->val,
		    one[i].root)) < 0)
			return r;
	}
	fm = br__cfg_lookup(root, "bridge.relay.message_formats");
	for (i = 0; fm != NULL && fm->kind == BR_Y_MAP &&
	    i < cfg->bridge.relay.n_message_formats; i++) {
		const struct br_kv *kv = &cfg->bridge.relay.message_formats[i];

		if ((r = check_tmpl(c, "bridge.relay.message_formats", kv->key,
		    fm->kids[2 * i + 1], kv->val, BR_RELAY_ROOT_MESSAGE)) < 0)
			return r;
	}
	return 0;
}

static int
level_name(struct br__cctx *c, const char *path, const struct br__ynode *n,
    int *out)
{
	int l;

	if (n->type == BR_YT_NULL) {
		*out = -1;
		return 0;
	}
	if (n->kind != BR_Y_SCALAR ||
	    (l = u_log_level_parse(n->val)) < 0)
		return br__cfg_type_err(c, path, n, "a log level (trace, "
		    "debug, "
		    "info, warn, error, fatal, disabled)");
	*out = l;
	return 0;
}

static int
perm_value(struct br__cctx *c, const char *path, const struct br__ynode *v,
    struct br_perm *out)
{
	static const struct { const char *name; unsigned flags; } levels[] = {
		{ "block", BR_PERM_LEVEL_BLOCK },
		{ "relay", BR_PERM_LEVEL_RELAY },
		{ "commands", BR_PERM_LEVEL_COMMANDS },
		{ "user", BR_PERM_LEVEL_USER },
		{ "admin", BR_PERM_LEVEL_ADMIN },
	};
	static const struct { const char *name; unsigned flag; } flags[] = {
		{ "send_events", BR_PERM_SEND_EVENTS },
		{ "commands", BR_PERM_COMMANDS },
		{ "login", BR_PERM_LOGIN },
		{ "double_puppet", BR_PERM_DOUBLE_PUPPET },
		{ "admin", BR_PERM_ADMIN },
		{ "manage_relay", BR_PERM_MANAGE_RELAY },
	};
	size_t i, j;
	int64_t iv;

	memset(out, 0, sizeof(*out));
	if (v->kind == BR_Y_SCALAR && v->type == BR_YT_STR) {
		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			if (strcasecmp(v->val, levels[i].name) == 0) {
				out->flags = levels[i].flags;
				return 0;
			}
		}
		br__cfg_err(c->err, c->errsz, "%s:%d:%d: %s: invalid "
		    "permission level %s (block, relay, commands, user or "
		    "admin)", br__cfg_src(v), v->line, v->col, path, v->val);
		return BR_ERR_CONFIG_TYPE;
	}
	if (v->kind == BR_Y_SCALAR && v->type == BR_YT_INT &&
	    br__yparse_int(v->val, &iv) == 0) {
		/* Deprecated numeric levels, with upstream's thresholds. */
		br__cfg_warn(c->cfg, "%s:%d: %s uses a deprecated numeric "
		    "permission level", br__cfg_src(v), v->line, path);
		out->flags = iv < 5 ? BR_PERM_LEVEL_BLOCK : iv < 10 ?
		    BR_PERM_LEVEL_RELAY : iv < 100 ? BR_PERM_LEVEL_USER :
		    BR_PERM_LEVEL_ADMIN;
		return 0;
	}
	if (v->kind == BR_Y_MAP) {
		for (i = 0; i + 1 < v->nkids; i += 2) {
			const struct br__ynode *fk = v->kids[i];
			const struct br__ynode *fv = v->kids[i + 1];
			int b;

			if (strcmp(fk->val, "max_logins") == 0) {
				if (fv->type != BR_YT_INT ||
				    br__yparse_int(fv->val, &iv) < 0 ||
				    iv < INT32_MIN || iv > INT32_MAX)
					return br__cfg_type_err(c, path, fv,
					    "an integer");
				out->max_logins = (int)iv;
				continue;
			}
			for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
				if (strcmp(fk->val, flags[j].name) == 0)
					break;
			if (j == sizeof(flags) / sizeof(flags[0]))
				continue;	/* yaml.v3 ignores them */
			if (fv->type != BR_YT_BOOL ||
			    br__yparse_bool(fv->val, &b) < 0)
				return br__cfg_type_err(c, path, fv,
				    "true or false");
			if (b)
				out->flags |= flags[j].flag;
		}
		return 0;
	}
	return br__cfg_type_err(c, path, v, "a permission level or a mapping");
}

static int
typed_logging(struct br__cctx *c, const struct br__ynode *lg)
{
	struct br_config *cfg = c->cfg;
	const struct br__ynode *w, *v;
	size_t i, j;
	int r;

	cfg->logging.min_level = -1;
	if (lg->kind != BR_Y_MAP)
		return lg->type == BR_YT_NULL ? 0 : br__cfg_type_err(c,
		    "logging",
		    lg, "a mapping");
	if ((v = br__ymap_get(lg, "min_level")) != NULL &&
	    (r = level_name(c, "logging.min_level", v,
	    &cfg->logging.min_level)) < 0)
		return r;
	w = br__ymap_get(lg, "writers");
	if (w == NULL || w->type == BR_YT_NULL)
		return 0;
	if (w->kind != BR_Y_SEQ)
		return br__cfg_type_err(c, "logging.writers", w, "a list");
	cfg->logging.writers = u_calloc(w->nkids + 1,
	    sizeof(*cfg->logging.writers));
	for (i = 0; i < w->nkids; i++) {
		struct br_log_writer *lw = &cfg->logging.writers[i];
		const struct br__ynode *item = w->kids[i];

		cfg->logging.n_writers++;
		lw->type = lw->format = lw->filename = lw->time_format = "";
		lw->min_level = lw->max_level = -1;
		if (item->kind != BR_Y_MAP)
			return br__cfg_type_err(c, "logging.writers", item,
			    "a mapping");
		for (j = 0; j + 1 < item->nkids; j += 2) {
			const char *k = item->kids[j]->val;
			const struct br__ynode *fv = item->kids[j + 1];
			char p[80];
			int64_t *ip = NULL;
			int *bp = NULL;
			const char **sp = NULL;

			snprintf(p, sizeof(p), "logging.writers[%zu].%s", i, k);
			if (strcmp(k, "min_level") == 0 ||
			    strcmp(k, "max_level") == 0) {
				r = level_name(c, p, fv, k[1] == 'i' ?
				    &lw->min_level : &lw->max_level);
				if (r < 0)
					return r;
				continue;
			}
			if (!strcmp(k, "type"))
				sp = &lw->type;
			else if (!strcmp(k, "format"))
				sp = &lw->format;
			else if (!strcmp(k, "filename"))
				sp = &lw->filename;
			else if (!strcmp(k, "time_format"))
				sp = &lw->time_format;
			else if (!strcmp(k, "max_size"))
				ip = &lw->max_size;
			else if (!strcmp(k, "max_age"))
				ip = &lw->max_age;
			else if (!strcmp(k, "max_backups"))
				ip = &lw->max_backups;
			else if (!strcmp(k, "compress"))
				bp = &lw->compress;
			else if (!strcmp(k, "local_time"))
				bp = &lw->local_time;
			else
				continue;	/* syslog fields and others */
			if (fv->type == BR_YT_NULL)
				continue;
			if (sp != NULL &&
			    (r = get_scalar_text(c, p, fv, sp)) < 0)
				return r;
			if (ip != NULL && (fv->type != BR_YT_INT ||
			    br__yparse_int(fv->val, ip) < 0))
				return br__cfg_type_err(c, p, fv, "an integer");
			if (bp != NULL && (fv->type != BR_YT_BOOL ||
			    br__yparse_bool(fv->val, bp) < 0))
				return br__cfg_type_err(c, p, fv,
				    "true or false");
		}
	}
	return 0;
}

int
br__cfg_typed(struct br__cctx *c)
{
	struct br_config *cfg = c->cfg;
	const struct br__ynode *root = cfg->priv->eff, *n;
	const char *v;
	size_t i;
	int r;

	for (i = 0; i < br__config_nkeys; i++) {
		const struct br__ckey *k = &br__config_keys[i];
		char *field;

		if (k->off == BR__NOOFF)
			continue;
		field = (char *)cfg + k->off;
		n = br__cfg_lookup(root, k->path);
		if (n == NULL) {
			if (k->kind == BR__K_STR || k->kind == BR__K_DUR)
				*(const char **)(void *)field = "";
			continue;
		}
		switch (k->kind) {
		case BR__K_STR:
		case BR__K_DUR:
			if ((r = get_scalar_text(c, k->path, n,
			    (const char **)(void *)field)) < 0)
				return r;
			break;
		case BR__K_BOOL:
			if (n->kind != BR_Y_SCALAR || br__yparse_bool(n->val,
			    (int *)(void *)field) < 0)
				return br__cfg_type_err(c, k->path, n,
				    "true or false");
			break;
		case BR__K_INT:
			if (n->type == BR_YT_NULL)
				*(int64_t *)(void *)field = 0;
			else if (n->kind != BR_Y_SCALAR || br__yparse_int(
			    n->val, (int64_t *)(void *)field) < 0)
				return br__cfg_type_err(c, k->path, n,
				    "an integer");
			break;
		case BR__K_LIST:
			if ((r = strlist(c, k->path, n,
			    (struct br_strlist *)(void *)field)) < 0)
				return r;
			break;
		case BR__K_MAP:
			break;
		}
	}
	n = br__cfg_lookup(root, "bridge.relay.message_formats");
	if (n != NULL &&
	    (r = kvmap(c, "bridge.relay.message_formats", n,
	    &cfg->bridge.relay.message_formats,
	    &cfg->bridge.relay.n_message_formats)) < 0)
		return r;
	if ((n = br__cfg_lookup(root, "double_puppet.servers")) != NULL &&
	    (r = kvmap(c, "double_puppet.servers", n,
	    &cfg->double_puppet.servers, &cfg->double_puppet.n_servers)) < 0)
		return r;
	if ((n = br__cfg_lookup(root, "double_puppet.secrets")) != NULL &&
	    (r = kvmap(c, "double_puppet.secrets", n,
	    &cfg->double_puppet.secrets, &cfg->double_puppet.n_secrets)) < 0)
		return r;
	n = br__cfg_lookup(root, "backfill.queue.max_batches_override");
	if (n != NULL && n->kind == BR_Y_MAP) {
		cfg->backfill.queue_max_batches_override =
		    u_calloc(n->nkids / 2 + 1, sizeof(struct br_kv_int));
		for (i = 0; i + 1 < n->nkids; i += 2) {
			struct br_kv_int *e = &cfg->backfill.
			    queue_max_batches_override[i / 2];

			if (n->kids[i + 1]->type != BR_YT_INT ||
			    br__yparse_int(n->kids[i + 1]->val, &e->val) < 0)
				return br__cfg_type_err(c,
				    "backfill.queue.max_batches_override",
				    n->kids[i + 1], "an integer");
			e->key = n->kids[i]->val;
			cfg->backfill.n_queue_max_batches_override++;
		}
	} else if (n != NULL && n->type != BR_YT_NULL)
		return br__cfg_type_err(c,
		    "backfill.queue.max_batches_override", n, "a mapping");
	n = br__cfg_lookup(root, "bridge.permissions");
	if (n != NULL && n->kind == BR_Y_MAP) {
		cfg->bridge.permissions = u_calloc(n->nkids / 2 + 1,
		    sizeof(*cfg->bridge.permissions));
		for (i = 0; i + 1 < n->nkids; i += 2) {
			struct br_perm_entry *e =
			    &cfg->bridge.permissions[i / 2];

			e->key = n->kids[i]->val;
			if ((r = perm_value(c, "bridge.permissions",
			    n->kids[i + 1], &e->perm)) < 0)
				return r;
			cfg->bridge.n_permissions++;
		}
	} else if (n != NULL && n->type != BR_YT_NULL)
		return br__cfg_type_err(c, "bridge.permissions", n, "a mapping"
		    );
	if ((n = br__cfg_lookup(root, "logging")) != NULL &&
	    (r = typed_logging(c, n)) < 0)
		return r;
	if ((r = check_templates(c, root, cfg)) < 0)
		return r;
	/* Checks upstream makes while decoding: the port is a uint16 and the
	 * bot avatar must be an mxc:// URI (or "" / "remove"). */
	if (cfg->appservice.port < 0 || cfg->appservice.port > 65535) {
		n = br__cfg_lookup(root, "appservice.port");
		return br__cfg_type_err(c, "appservice.port", n,
		    "a port number (0-65535)");
	}
	v = cfg->appservice.bot_avatar;
	if (v[0] != '\0' && strcmp(v, "remove") != 0 &&
	    (strncmp(v, "mxc://", 6) != 0 || strchr(v + 6, '/') == NULL ||
	    strchr(v + 6, '/')[1] == '\0')) {
		n = br__cfg_lookup(root, "appservice.bot.avatar");
		br__cfg_err(c->err, c->errsz, "%s:%d:%d: "
		    "appservice.bot.avatar: invalid content URI %s (expected "
		    "mxc://server/id, \"\" or \"remove\")", br__cfg_src(n),
		    n->line, n->col, v);
		return BR_ERR_CONFIG_TYPE;
	}
	return 0;
}

