/*
 * log.h: logging for the whole process.
 *
 * Two writers, as the config's `logging` section describes them: a readable
 * line on stdout (optionally coloured) and a JSON-lines file.  Each has its
 * own minimum level.  Before u_log_setup() runs, everything at info and above
 * goes to stderr in the readable form.
 *
 * Rules (style.md): message bodies, tokens, keys and full phone numbers never
 * appear at info level or above; use log_debug for them, or u_log_redact().
 *
 * Not thread-safe by design: ponton has one thread.
 */
#ifndef PONTON_UTIL_LOG_H
#define PONTON_UTIL_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum u_log_level {
	U_LOG_TRACE,
	U_LOG_DEBUG,
	U_LOG_INFO,
	U_LOG_WARN,
	U_LOG_ERROR,
	U_LOG_FATAL,
	U_LOG_DISABLED,
};

enum u_log_format {
	U_LOG_PRETTY,
	U_LOG_PRETTY_COLORED,
	U_LOG_JSON,
};

struct u_log_config {
	enum u_log_level	 min_level;	/* global floor */
	int			 stdout_enabled;
	enum u_log_format	 stdout_format;
	enum u_log_level	 stdout_level;
	const char		*file_path;	/* borrowed; NULL: no file */
	enum u_log_format	 file_format;
	enum u_log_level	 file_level;
	long			 file_max_size;	/* bytes; 0: no rotation */
	int			 file_max_backups;
};

/* Parse "trace".."fatal"/"disabled"; returns -1 if unknown. */
int u_log_level_parse(const char *s);
const char *u_log_level_name(enum u_log_level l);

/* Opens the file writer (creating its directory).  Returns 0 or U_ERR_IO. */
int u_log_setup(const struct u_log_config *cfg);
void u_log_close(void);
/* Tests use this to silence or capture; fd -1 restores stdout. */
void u_log_set_stdout_fd(int fd);

void u_logv(enum u_log_level lvl, const char *prefix, int with_errno,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
void u_log(enum u_log_level lvl, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void u_logerr(enum u_log_level lvl, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int u_log_enabled(enum u_log_level lvl);

/* Copy of a phone number or id with the middle hidden, e.g. 3361∙∙∙∙∙34. */
void u_log_redact(const char *in, char *out, size_t outsz);

#define log_trace(...)	u_log(U_LOG_TRACE, NULL, __VA_ARGS__)
#define log_debug(...)	u_log(U_LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...)	u_log(U_LOG_INFO, NULL, __VA_ARGS__)
#define log_warnx(...)	u_log(U_LOG_WARN, NULL, __VA_ARGS__)
/* Appends ": strerror(errno)". */
#define log_warn(...)	u_logerr(U_LOG_WARN, NULL, __VA_ARGS__)
#define log_errorx(...)	u_log(U_LOG_ERROR, NULL, __VA_ARGS__)
/* Per-object variants: prefix is built once per object ("portal[...]"). */
#define logp_trace(p, ...)	u_log(U_LOG_TRACE, (p), __VA_ARGS__)
#define logp_debug(p, ...)	u_log(U_LOG_DEBUG, (p), __VA_ARGS__)
#define logp_info(p, ...)	u_log(U_LOG_INFO, (p), __VA_ARGS__)
#define logp_warnx(p, ...)	u_log(U_LOG_WARN, (p), __VA_ARGS__)
#define logp_warn(p, ...)	u_logerr(U_LOG_WARN, (p), __VA_ARGS__)

/* Log at fatal level and exit(1).  fatal() appends strerror(errno). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
