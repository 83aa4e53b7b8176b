/*
 * config_env.c: environment overrides (env_config_prefix), with the
 * semantics of mautrix's UpdateConfigFromEnv: prefix match, lower-cased
 * rest, "__" as separator when the name has no dot, _FILE suffix reading
 * the value from a file, Go's boolean and integer syntax, single entries of
 * string/integer maps.
 *
 * Overrides go into the effective tree only (never the file).  An env
 * variable is operator input: its value is bounded (ENV_FILE_MAX for files)
 * and never logged.
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
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

/* A secret file named by an env variable: a token or a key, never more. */
#define ENV_FILE_MAX		(64 * 1024)
/* Levels in one variable name; the deepest key has 5. */
#define ENV_MAX_PARTS		64

/* Go's strconv.ParseBool. */
static int
go_parse_bool(const char *s, int *out)
{
	static const char *t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *f[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < 6; i++) {
		if (strcmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Go's strconv.ParseInt(s, 10, 64): sign, decimal digits, no prefixes. */
static int
go_parse_int(const char *s, int64_t *out)
{
	const char *p = s;
	char buf[32];
	size_t n;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '\0')
		return -1;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	/* Strip leading zeros so that br__yparse_int reads decimal. */
	p = s + (*s == '+' || *s == '-');
	while (p[0] == '0' && p[1] != '\0')
		p++;
	n = strlen(p);
	if (n + 2 > sizeof(buf))
		return -1;
	buf[0] = *s == '-' ? '-' : '+';
	memcpy(buf + 1, p, n + 1);
	return br__yparse_int(buf, out);
}

static int
read_env_file(const char *file, char **out, char *why, size_t whysz)
{
	char *buf = NULL;
	size_t n = 0, a, z;
	ssize_t got;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whysz, "%s", strerror(errno));
		return -1;
	}
	buf = u_malloc(ENV_FILE_MAX + 1);
	for (;;) {
		got = read(fd, buf + n, ENV_FILE_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, whysz, "%s", strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > ENV_FILE_MAX) {
			snprintf(why, whysz, "file larger than %d bytes",
			    ENV_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(why, whysz, "file contains a NUL byte");
		u_free_secret(buf, ENV_FILE_MAX + 1);
		return -1;
	}
	/* strings.TrimSpace */
	for (a = 0; a < n && strchr(" \t\r\n\v\f", buf[a]) != NULL; a++)
		;
	for (z = n; z > a && strchr(" \t\r\n\v\f", buf[z - 1]) != NULL; z--)
		;
	*out = u_strndup(buf + a, z - a);
	u_free_secret(buf, ENV_FILE_MAX + 1);
	return 0;
fail:
	close(fd);
	u_free_secret(buf, ENV_FILE_MAX + 1);
	return -1;
}

/* Walk/create maps along parts[0..n-1] in the effective tree. */
static struct br__ynode *
env_parent(struct br__config_priv *p, char **parts, size_t n)
{
	struct br__ynode *m = p->eff, *next;
	size_t i;

	for (i = 0; i < n; i++) {
		next = br__ymap_get(m, parts[i]);
		if (next == NULL || next->kind != BR_Y_MAP) {
			next = br__ynode_new(p->envd, BR_Y_MAP);
			br__ymap_set(p->envd, m, parts[i], next);
		}
		m = next;
	}
	return m;
}

static int
env_apply_one(struct br__cctx *c, const char *name, const char *rawkey,
    const char *rawval, int is_file)
{
	struct br__config_priv *p = c->cfg->priv;
	char *parts[ENV_MAX_PARTS];
	char *key = u_strdup(rawkey), *val = NULL, *q, *s;
	char arrow[BR_CONFIG_PATH_MAX], path[BR_CONFIG_PATH_MAX], why[128];
	const struct br__ckey *spec = NULL;
	size_t nparts = 0, i, plen = 0, keyparts = 0;
	struct br__ynode *node, *parent;
	int r = BR_ERR_CONFIG_ENV, b;
	int64_t iv;

	for (q = key; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	if (strchr(key, '.') == NULL) {
		/* "__" separates levels when the name has no dot. */
		for (q = s = key; *s; ) {
			if (s[0] == '_' && s[1] == '_') {
				*q++ = '.';
				s += 2;
			} else
				*q++ = *s++;
		}
		*q = '\0';
	}
	arrow[0] = '\0';
	for (s = key; ; ) {
		if (nparts == ENV_MAX_PARTS) {
			br__cfg_err(c->err, c->errsz, "%s: name has more than "
			    "%d levels", name, ENV_MAX_PARTS);
			goto out;
		}
		parts[nparts++] = s;
		if ((q = strchr(s, '.')) == NULL)
			break;
		*q = '\0';
		s = q + 1;
	}
	for (i = 0; i < nparts; i++) {
		if (strlen(arrow) + strlen(parts[i]) + 3 >= sizeof(arrow))
			break;
		if (i)
			strcat(arrow, "->");
		strcat(arrow, parts[i]);
	}
	path[0] = '\0';
	for (i = 0; i < nparts; i++) {
		if (br__cfg_push(path, &plen, parts[i]) < 0)
			break;
		spec = br__cfg_key(path);
		if (spec != NULL) {
			keyparts = i + 1;
			break;
		}
	}
	if (spec == NULL || (keyparts < nparts &&
	    !(spec->flags & (BR__F_ENV_MAP | BR__F_ENV_MAPINT))) ||
	    (keyparts == nparts &&
	    (spec->flags & (BR__F_ENV_MAP | BR__F_ENV_MAPINT)))) {
		if (spec == NULL && br__cfg_section(path))
			br__cfg_err(c->err, c->errsz, "%s: unsupported type "
			    "struct in %s", name, arrow);
		else if (spec != NULL && keyparts == nparts)
			br__cfg_err(c->err, c->errsz, "%s: unsupported type "
			    "map in %s", name, arrow);
		else
			br__cfg_err(c->err, c->errsz, "%s: %s not found", name,
			    arrow);
		goto out;
	}
	if (spec->kind == BR__K_LIST || (spec->kind == BR__K_MAP &&
	    !(spec->flags & (BR__F_ENV_MAP | BR__F_ENV_MAPINT)))) {
		br__cfg_err(c->err, c->errsz, "%s: unsupported type %s in %s",
		    name, spec->kind == BR__K_LIST ? "slice" : "map", arrow);
		goto out;
	}
	if (is_file) {
		if (read_env_file(rawval, &val, why, sizeof(why)) < 0) {
			br__cfg_err(c->err, c->errsz, "%s: failed to read file "
			    "%s for %s: %s", name, rawval, arrow, why);
			goto out;
		}
	} else
		val = u_strdup(rawval);
	if (spec->kind == BR__K_BOOL) {
		if (go_parse_bool(val, &b) < 0) {
			br__cfg_err(c->err, c->errsz, "%s: invalid value for "
			    "%s: not a boolean", name, arrow);
			goto out;
		}
		node = br__ynode_scalar(p->envd, b ? "true" : "false",
		    BR_YT_BOOL);
	} else if (spec->kind == BR__K_INT || spec->kind == BR__K_DUR ||
	    (spec->flags & BR__F_ENV_MAPINT)) {
		if (go_parse_int(val, &iv) < 0) {
			br__cfg_err(c->err, c->errsz, "%s: invalid value for "
			    "%s: not an integer", name, arrow);
			goto out;
		}
		s = u_asprintf("%lld", (long long)iv);
		node = br__ynode_scalar(p->envd, s, BR_YT_INT);
		free(s);
	} else {
		node = br__ynode_scalar(p->envd, val, BR_YT_STR);
	}
	if (keyparts < nparts) {
		/* One entry of a map: the rest of the name is the map key. */
		char mkey[BR_CONFIG_PATH_MAX] = "";
		size_t ml = 0;

		for (i = keyparts; i < nparts; i++)
			if (br__cfg_push(mkey, &ml, parts[i]) < 0)
				break;
		parent = env_parent(p, parts, keyparts);
		br__ymap_set(p->envd, parent, mkey, node);
	} else {
		parent = env_parent(p, parts, nparts - 1);
		br__ymap_set(p->envd, parent, parts[nparts - 1], node);
	}
	r = 0;
out:
	if (val != NULL)
		u_free_secret(val, strlen(val));
	free(key);
	return r;
}

int
br__cfg_env_apply(struct br__cctx *c, char *const *envp)
{
	extern char **environ;
	const char *prefix = c->cfg->env_config_prefix;
	size_t plen = strlen(prefix), i;
	int r;

	if (envp == NULL)
		envp = environ;
	if (plen == 0 || envp == NULL)
		return 0;
	for (i = 0; envp[i] != NULL; i++) {
		const char *e = envp[i], *eq = strchr(e, '=');
		char *name, *key;
		size_t klen;
		int is_file = 0;

		if (eq == NULL || strncmp(e, prefix, plen) != 0 ||
		    (size_t)(eq - e) < plen)
			continue;
		name = u_strndup(e, (size_t)(eq - e));
		key = u_strdup(name + plen);
		klen = strlen(key);
		if (klen >= 5 && strcmp(key + klen - 5, "_FILE") == 0) {
			key[klen - 5] = '\0';
			is_file = 1;
		}
		r = env_apply_one(c, name, key, eq + 1, is_file);
		free(name);
		free(key);
		if (r < 0)
			return r;
	}
	return 0;
}

