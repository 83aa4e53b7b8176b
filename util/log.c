/*
 * log.c: stdout and JSON-lines file writers (see log.h).
 *
 * The file writer rotates by size: bridge.log -> bridge.log.1 -> ... up to
 * max_backups, like mautrix's lumberjack writer (without compression).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

static struct {
	int			 configured;
	enum u_log_level	 min_level;
	int			 out_fd;
	int			 out_enabled;
	enum u_log_format	 out_format;
	enum u_log_level	 out_level;
	FILE			*file;
	char			*file_path;
	enum u_log_format	 file_format;
	enum u_log_level	 file_level;
	long			 file_max_size;
	int			 file_max_backups;
} lg = {
	.min_level = U_LOG_INFO, .out_fd = 2, .out_enabled = 1,
	.out_format = U_LOG_PRETTY, .out_level = U_LOG_INFO,
	.file_level = U_LOG_DISABLED,
};

static const char *names[] = {
	"trace", "debug", "info", "warn", "error", "fatal", "disabled",
};

int
u_log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "warning") == 0)
		return U_LOG_WARN;
	if (strcasecmp(s, "panic") == 0)
		return U_LOG_FATAL;
	return -1;
}

const char *
u_log_level_name(enum u_log_level l)
{
	return (unsigned)l <= U_LOG_DISABLED ? names[l] : "?";
}

static int
mkdir_p(const char *dir)
{
	char *d = u_strdup(dir), *p;
	int rc = 0;

	for (p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(d);
	return rc;
}

int
u_log_setup(const struct u_log_config *cfg)
{
	u_log_close();
	lg.configured = 1;
	lg.min_level = cfg->min_level;
	lg.out_enabled = cfg->stdout_enabled;
	lg.out_format = cfg->stdout_format;
	lg.out_level = cfg->stdout_level;
	if (lg.out_fd == 2)
		lg.out_fd = 1;
	lg.file_level = U_LOG_DISABLED;
	if (cfg->file_path != NULL && cfg->file_path[0] != '\0') {
		char *tmp = u_strdup(cfg->file_path);

		(void)mkdir_p(dirname(tmp));
		free(tmp);
		lg.file = fopen(cfg->file_path, "a");
		if (lg.file == NULL)
			return U_ERR_IO;
		lg.file_path = u_strdup(cfg->file_path);
		lg.file_format = cfg->file_format;
		lg.file_level = cfg->file_level;
		lg.file_max_size = cfg->file_max_size;
		lg.file_max_backups = cfg->file_max_backups;
	}
	return 0;
}

void
u_log_close(void)
{
	if (lg.file != NULL)
		fclose(lg.file);
	lg.file = NULL;
	free(lg.file_path);
	lg.file_path = NULL;
}

void
u_log_set_stdout_fd(int fd)
{
	lg.out_fd = fd < 0 ? 1 : fd;
}

int
u_log_enabled(enum u_log_level lvl)
{
	if (lvl < lg.min_level)
		return 0;
	return (lg.out_enabled && lvl >= lg.out_level) ||
	    (lg.file != NULL && lvl >= lg.file_level);
}

static void
json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':	fputs("\\\"", f); break;
		case '\\':	fputs("\\\\", f); break;
		case '\n':	fputs("\\n", f); break;
		case '\r':	fputs("\\r", f); break;
		case '\t':	fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Render one record into a malloc'd string in the given format. */
static char *
render(enum u_log_format fmt, enum u_log_level lvl, const char *prefix,
    const char *msg, const struct timeval *tv)
{
	static const char *colors[] = { "\033[2m", "\033[36m", "\033[32m",
	    "\033[33m", "\033[31m", "\033[1;31m", "" };
	static const char *tags[] = { "TRC", "DBG", "INF", "WRN", "ERR", "FTL",
	    "" };
	char ts[64], *out = NULL;
	size_t outlen = 0;
	struct tm tm;
	FILE *f;

	gmtime_r(&tv->tv_sec, &tm);
	if ((f = open_memstream(&out, &outlen)) == NULL)
		return NULL;
	if (fmt == U_LOG_JSON) {
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(f, "{\"level\":\"%s\",\"time\":\"%s.%03ldZ\"",
		    names[lvl], ts, (long)tv->tv_usec / 1000);
		if (prefix != NULL) {
			fputs(",\"component\":", f);
			json_str(f, prefix);
		}
		fputs(",\"message\":", f);
		json_str(f, msg);
		fputs("}\n", f);
	} else {
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		if (fmt == U_LOG_PRETTY_COLORED)
			fprintf(f, "\033[2m%s.%03ld\033[0m %s%s\033[0m ", ts,
			    (long)tv->tv_usec / 1000, colors[lvl], tags[lvl]);
		else
			fprintf(f, "%s.%03ld %s ", ts,
			    (long)tv->tv_usec / 1000, tags[lvl]);
		if (prefix != NULL)
			fprintf(f, "%s: ", prefix);
		fprintf(f, "%s\n", msg);
	}
	fclose(f);
	return out;
}

static void
rotate(void)
{
	char *from, *to;
	int i;

	if (lg.file_max_size <= 0 || ftell(lg.file) < lg.file_max_size)
		return;
	fclose(lg.file);
	for (i = lg.file_max_backups; i >= 1; i--) {
		from = i == 1 ? u_strdup(lg.file_path) :
		    u_asprintf("%s.%d", lg.file_path, i - 1);
		to = u_asprintf("%s.%d", lg.file_path, i);
		(void)rename(from, to);
		free(from);
		free(to);
	}
	if (lg.file_max_backups <= 0)
		(void)unlink(lg.file_path);
	lg.file = fopen(lg.file_path, "a");
}

void
u_logv(enum u_log_level lvl, const char *prefix, int with_errno,
    const char *fmt, va_list ap)
{
	int saved = errno;
	struct timeval tv;
	char *msg, *line;
	size_t n;

	if (!u_log_enabled(lvl))
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (with_errno) {
		char *m2 = u_asprintf("%s: %s", msg, strerror(saved));

		free(msg);
		msg = m2;
	}
	gettimeofday(&tv, NULL);
	if (lg.out_enabled && lvl >= lg.out_level) {
		line = render(lg.out_format, lvl, prefix, msg, &tv);
		if (line != NULL) {
			n = strlen(line);
			if (write(lg.out_fd, line, n) < 0) {
				/* nowhere left to report it */
			}
			free(line);
		}
	}
	if (lg.file != NULL && lvl >= lg.file_level) {
		line = render(lg.file_format, lvl, prefix, msg, &tv);
		if (line != NULL) {
			fputs(line, lg.file);
			fflush(lg.file);
			free(line);
			rotate();
		}
	}
	free(msg);
	errno = saved;
}

void
u_log(enum u_log_level lvl, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	u_logv(lvl, prefix, 0, fmt, ap);
	va_end(ap);
}

void
u_logerr(enum u_log_level lvl, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	u_logv(lvl, prefix, 1, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	u_logv(U_LOG_FATAL, NULL, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	u_logv(U_LOG_FATAL, NULL, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
u_log_redact(const char *in, char *out, size_t outsz)
{
	size_t len = strlen(in), i, o = 0;

	if (outsz == 0)
		return;
	for (i = 0; i < len && o + 4 < outsz; i++) {
		if (len > 6 && i >= 4 && i < len - 2) {
			/* U+2219 BULLET OPERATOR, as mautrix's RedactedPhone */
			out[o++] = (char)0xe2;
			out[o++] = (char)0x88;
			out[o++] = (char)0x99;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}
