/*
 * bridge/format_int.h: helpers shared by format_wa.c, format_html.c and
 * relay_tmpl.c.  Not for other files.
 */
#ifndef PONTON_BRIDGE_FORMAT_INT_H
#define PONTON_BRIDGE_FORMAT_INT_H

#include <stddef.h>

#include "util/buf.h"

/* 1 when s[0..len) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int br__fmt_utf8_ok(const char *s, size_t len);
/* Length of the rune starting at s (1 for a stray byte), at most left. */
size_t br__fmt_rune_len(const char *s, size_t left);
/* Go's strings.TrimSpace (unicode.IsSpace at both ends): sets *start and
 * returns the trimmed length. */
size_t br__fmt_trim_space(const char *s, size_t len, size_t *start);
/* Go's html.EscapeString into b (& ' < > "). */
int br__fmt_escape(struct u_buf *b, const char *s, size_t len);
/* Append a UTF-8 encoded code point. */
int br__fmt_put_rune(struct u_buf *b, unsigned cp);
/* Go's url.PathEscape into b. */
int br__fmt_path_escape(struct u_buf *b, const char *s);
/* Replace every occurrence of needle in *s by repl (strings.ReplaceAll);
 * *s is owned and replaced.  Returns 0 or BR_ERR_FMT_TOO_BIG. */
int br__fmt_replace_all(char **s, const char *needle, const char *repl);
/* Steal b's contents as a NUL-terminated string, or BR_ERR_FMT_TOO_BIG
 * when an add failed (err != 0). */
int br__fmt_finish(struct u_buf *b, int err, char **out);

#endif
