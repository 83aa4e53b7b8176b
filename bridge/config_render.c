/*
 * config_render.c: write the merged config back as text, with the
 * example's comments, blank lines and key order (see config.h).
 *
 * The example's text is walked key by key: comment and blank lines and the
 * lines of values left as in the example are copied byte for byte; values
 * that changed are emitted by config_yaml.c at the example's indentation,
 * keeping the example's trailing comment.  Saving is atomic (temporary
 * file in the same directory, then rename).
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

struct rctx {
	const struct br__config_priv	*p;
	struct u_buf			 b;
	int				 r;
};

static void
emit_lines(struct rctx *rc, int from, int to)
{
	const struct br__ydoc *ex = rc->p->ex;
	size_t a, z;

	if (rc->r < 0 || from > to || from < 1)
		return;
	if ((size_t)to > rc->p->nlines)
		to = (int)rc->p->nlines;
	if (from > to)
		return;
	a = rc->p->lines[from];
	z = rc->p->lines[to + 1];
	rc->r = u_buf_add(&rc->b, ex->text + a, z - a);
}

/* The comment after a single-line example value, from its '#'. */
static void
emit_trailing(struct rctx *rc, const struct br__ynode *k,
    const struct br__ynode *exv)
{
	const struct br__ydoc *ex = rc->p->ex;
	size_t z = rc->p->lines[k->line + 1], i;

	if (rc->r < 0 || exv->line != k->line || exv->last_line != k->line)
		return;
	for (i = exv->end > k->end ? exv->end : k->end; i < z; i++) {
		if (ex->text[i] == '#' && i > 0 && (ex->text[i - 1] == ' ' ||
		    ex->text[i - 1] == '\t')) {
			size_t e = z;

			while (e > i && (ex->text[e - 1] == '\n' ||
			    ex->text[e - 1] == '\r'))
				e--;
			if ((rc->r = u_buf_add_u8(&rc->b, ' ')) == 0)
				rc->r = u_buf_add(&rc->b, ex->text + i, e - i);
			return;
		}
	}
}

static int
render_map(struct rctx *rc, const struct br__ynode *ex,
    const struct br__ynode *m, int prev, char *path, size_t plen)
{
	size_t i, save = plen;

	for (i = 0; i + 1 < ex->nkids && rc->r == 0; i += 2) {
		const struct br__ynode *k = ex->kids[i], *exv = ex->kids[i + 1];
		const struct br__ynode *mv = br__ymap_get(m, k->val);
		int last = exv->last_line > k->line ? exv->last_line : k->line;

		plen = save;
		path[plen] = '\0';
		if (br__cfg_push(path, &plen, k->val) < 0 || mv == NULL) {
			rc->r = BR_ERR_CONFIG_PARSE;
			break;
		}
		emit_lines(rc, prev + 1, k->line - 1);
		if (br__cfg_key(path) == NULL && exv->kind == BR_Y_MAP) {
			emit_lines(rc, k->line, k->line);
			prev = render_map(rc, exv, mv, k->line, path, plen);
			if (prev < last)
				prev = last;
			continue;
		}
		if (mv == exv) {
			emit_lines(rc, k->line, last);
			prev = last;
			continue;
		}
		if ((rc->r = u_buf_add(&rc->b, rc->p->ex->text +
		    rc->p->lines[k->line],
		    k->end - rc->p->lines[k->line])) < 0 ||
		    (rc->r = u_buf_add_u8(&rc->b, ':')) < 0)
			break;
		rc->r = br__yemit_value(&rc->b, mv, k->col - 1 + 4);
		if (rc->r == 0 && br__yinline(mv)) {
			emit_trailing(rc, k, exv);
			if (rc->r == 0)
				rc->r = u_buf_add_u8(&rc->b, '\n');
		}
		prev = last;
	}
	plen = save;
	path[plen] = '\0';
	return prev;
}

int
br_config_render(const struct br_config *cfg, char **out, size_t *len)
{
	struct rctx rc;
	char path[BR_CONFIG_PATH_MAX] = "";
	int prev;

	memset(&rc, 0, sizeof(rc));
	rc.p = cfg->priv;
	u_buf_init(&rc.b, BR_YAML_MAX_OUTPUT);
	prev = render_map(&rc, rc.p->ex->root, rc.p->merged, 0, path, 0);
	emit_lines(&rc, prev + 1, (int)rc.p->nlines);
	if (rc.r == 0)
		rc.r = u_buf_add_u8(&rc.b, '\0');
	if (rc.r < 0) {
		u_buf_free(&rc.b);
		return rc.r;
	}
	*out = (char *)u_buf_steal(&rc.b, len);
	*len -= 1;
	return 0;
}

int
br_config_save(const struct br_config *cfg, const char *path)
{
	char *text = NULL, *tmp = NULL, *dir, *slash;
	size_t len, off = 0;
	struct stat st;
	int fd = -1, r = BR_ERR_CONFIG_WRITE, saved;
	mode_t mode = 0600;

	if (br_config_render(cfg, &text, &len) < 0) {
		errno = EFBIG;
		return BR_ERR_CONFIG_WRITE;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	dir = u_strdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		tmp = u_strdup("ponton-config-XXXXXX");
	else {
		slash[1] = '\0';
		tmp = u_asprintf("%sponton-config-XXXXXX", dir);
	}
	free(dir);
	if ((fd = mkstemp(tmp)) < 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	r = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	free(text);
	errno = saved;
	return r;
}

