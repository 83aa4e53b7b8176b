/*
 * loop.c: libuv loop wrapper, timers, deferred calls, signals (see loop.h).
 */
#include <signal.h>
#include <stdlib.h>

#include <sodium.h>

#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

struct deferred {
	u_loop_fn	 fn;
	void		*arg;
	struct deferred	*next;
};

struct u_loop {
	uv_loop_t	 uv;
	uv_check_t	 check;		/* runs deferred calls after polling */
	uv_idle_t	 idle;		/* keeps polling non-blocking while any wait */
	uv_signal_t	 sigint, sigterm;
	int		 signals_on;
	int		 signalled;
	u_loop_fn	 on_signal;
	void		*on_signal_arg;
	struct deferred	*head, *tail;	/* owned */
};

struct u_timer {
	uv_timer_t	 t;
	u_loop_fn	 fn;
	void		*arg;
};

static void
run_deferred(struct u_loop *l)
{
	struct deferred *d;

	while ((d = l->head) != NULL) {
		l->head = d->next;
		if (l->head == NULL)
			l->tail = NULL;
		d->fn(d->arg);
		free(d);
	}
	uv_idle_stop(&l->idle);
}

static void
on_check(uv_check_t *h)
{
	run_deferred(h->data);
}

static void
on_idle(uv_idle_t *h)
{
	/* only exists so that uv_run does not block while calls are queued */
}

struct u_loop *
u_loop_new(void)
{
	struct u_loop *l = u_calloc(1, sizeof(*l));

	if (uv_loop_init(&l->uv) != 0)
		fatalx("uv_loop_init failed");
	uv_check_init(&l->uv, &l->check);
	l->check.data = l;
	uv_check_start(&l->check, on_check);
	uv_unref((uv_handle_t *)&l->check);
	uv_idle_init(&l->uv, &l->idle);
	l->idle.data = l;
	return l;
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void
u_loop_free(struct u_loop *l)
{
	if (l == NULL)
		return;
	run_deferred(l);
	uv_walk(&l->uv, close_walk, NULL);
	while (uv_run(&l->uv, UV_RUN_NOWAIT) != 0)
		;
	if (uv_loop_close(&l->uv) != 0)
		log_debug("loop: handles still open at close");
	free(l);
}

uv_loop_t *
u_loop_uv(struct u_loop *l)
{
	return &l->uv;
}

int
u_loop_run(struct u_loop *l)
{
	return uv_run(&l->uv, UV_RUN_DEFAULT);
}

void
u_loop_stop(struct u_loop *l)
{
	uv_stop(&l->uv);
}

static void
on_sig(uv_signal_t *h, int signum)
{
	struct u_loop *l = h->data;

	log_info("received signal %d, stopping", signum);
	if (l->signalled++ || l->on_signal == NULL) {
		uv_stop(&l->uv);
		return;
	}
	l->on_signal(l->on_signal_arg);
}

void
u_loop_on_signal(struct u_loop *l, u_loop_fn fn, void *arg)
{
	l->on_signal = fn;
	l->on_signal_arg = arg;
	if (l->signals_on)
		return;
	l->signals_on = 1;
	uv_signal_init(&l->uv, &l->sigint);
	uv_signal_init(&l->uv, &l->sigterm);
	l->sigint.data = l->sigterm.data = l;
	uv_signal_start(&l->sigint, on_sig, SIGINT);
	uv_signal_start(&l->sigterm, on_sig, SIGTERM);
	uv_unref((uv_handle_t *)&l->sigint);
	uv_unref((uv_handle_t *)&l->sigterm);
}

void
u_loop_defer(struct u_loop *l, u_loop_fn fn, void *arg)
{
	struct deferred *d = u_calloc(1, sizeof(*d));

	d->fn = fn;
	d->arg = arg;
	if (l->tail != NULL)
		l->tail->next = d;
	else
		l->head = d;
	l->tail = d;
	uv_idle_start(&l->idle, on_idle);
}

uint64_t
u_loop_now(struct u_loop *l)
{
	uv_update_time(&l->uv);
	return uv_now(&l->uv);
}

static void
on_timer(uv_timer_t *h)
{
	struct u_timer *t = h->data;

	t->fn(t->arg);
}

struct u_timer *
u_timer_new(struct u_loop *l, u_loop_fn fn, void *arg)
{
	struct u_timer *t = u_calloc(1, sizeof(*t));

	uv_timer_init(&l->uv, &t->t);
	t->t.data = t;
	t->fn = fn;
	t->arg = arg;
	return t;
}

void
u_timer_start(struct u_timer *t, uint64_t ms, uint64_t repeat_ms)
{
	uv_timer_start(&t->t, on_timer, ms, repeat_ms);
}

void
u_timer_stop(struct u_timer *t)
{
	uv_timer_stop(&t->t);
}

static void
timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void
u_timer_free(struct u_timer *t)
{
	if (t == NULL)
		return;
	uv_timer_stop(&t->t);
	uv_close((uv_handle_t *)&t->t, timer_closed);
}

uint64_t
u_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms)
{
	uint64_t d = base_ms;
	int64_t jitter;

	while (attempt-- > 0 && d < max_ms)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* +-20 %, uniformly */
	jitter = (int64_t)(randombytes_uniform(401)) - 200;
	return d + (uint64_t)((int64_t)d * jitter / 1000);
}
