/*
 * loop.h: the one event loop (libuv) and small glue around it.
 *
 * Everything runs on this loop in one thread: libwebsockets contexts are
 * created on it as a foreign loop (set LWS_SERVER_OPTION_LIBUV and
 * info.foreign_loops = (void *[]){ u_loop_uv(loop) }), libcurl's multi-socket
 * API is driven from uv_poll/uv_timer handles, and timers below.
 *
 * Deferred calls run at the end of the current loop turn; that is where
 * objects marked closing inside their own callbacks are reaped (style.md).
 */
#ifndef PONTON_UTIL_LOOP_H
#define PONTON_UTIL_LOOP_H

#include <stdint.h>
#include <uv.h>

struct u_loop;
struct u_timer;

typedef void (*u_loop_fn)(void *arg);

struct u_loop *u_loop_new(void);
/* Closes every handle still open and frees the loop; NULL is a no-op. */
void u_loop_free(struct u_loop *loop);
uv_loop_t *u_loop_uv(struct u_loop *loop);
/* Runs until u_loop_stop(), or until SIGINT/SIGTERM when installed. */
int u_loop_run(struct u_loop *loop);
void u_loop_stop(struct u_loop *loop);
/* On SIGINT/SIGTERM call fn(arg) once (a graceful stop); a second signal
 * stops the loop at once. */
void u_loop_on_signal(struct u_loop *loop, u_loop_fn fn, void *arg);
/* Run fn(arg) at the end of this loop turn (or the next one, if idle). */
void u_loop_defer(struct u_loop *loop, u_loop_fn fn, void *arg);
/* Milliseconds on the loop's monotonic clock. */
uint64_t u_loop_now(struct u_loop *loop);

/* One-shot or repeating timer.  Freeing stops it; may be called from its
 * own callback. */
struct u_timer *u_timer_new(struct u_loop *loop, u_loop_fn fn, void *arg);
void u_timer_start(struct u_timer *t, uint64_t ms, uint64_t repeat_ms);
void u_timer_stop(struct u_timer *t);
void u_timer_free(struct u_timer *t);

/* Exponential backoff with +-20% jitter: base * 2^attempt capped at max. */
uint64_t u_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms);

#endif
