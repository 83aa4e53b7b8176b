/*
 * curl_uv.c: libcurl's multi-socket API on the libuv loop (curl_uv.h).
 * sock_cb: curl asks us to watch a socket (a uv_poll, attached to the
 * socket with curl_multi_assign) or to stop; timer_cb: curl's single
 * timeout (a uv_timer).  Each readiness or timeout goes back to curl with
 * curl_multi_socket_action, then to the owner's `after`.
 */
#include <stdlib.h>

#include <uv.h>

#include "util/curl_uv.h"
#include "util/log.h"
#include "util/mem.h"

struct u_curl_uv {
	struct u_loop	*loop;		/* borrowed */
	CURLM		*multi;		/* owned */
	uv_timer_t	*timer;		/* owned (freed when closed) */
	void		(*after)(void *);
	void		*arg;
};

struct sock {
	uv_poll_t	 poll;
	curl_socket_t	 fd;
	struct u_curl_uv *c;		/* borrowed */
};

static void
sock_closed(uv_handle_t *hd)
{
	free(hd->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *s = p->data;
	struct u_curl_uv *c = s->c;
	int flags = 0, running;

	if (status < 0)
		flags |= CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, s->fd, flags, &running);
	c->after(c->arg);
}

static int
sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct u_curl_uv *c = userp;
	struct sock *s = sockp;
	int ev = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, sock_closed);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		s = u_calloc(1, sizeof(*s));
		s->fd = fd;
		s->c = c;
		if (uv_poll_init_socket(u_loop_uv(c->loop), &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		curl_multi_assign(c->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&s->poll, ev, on_poll);
	return 0;
}

static void
on_timer(uv_timer_t *t)
{
	struct u_curl_uv *c = t->data;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	c->after(c->arg);
}

static int
timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct u_curl_uv *c = userp;

	if (timeout_ms < 0)
		uv_timer_stop(c->timer);
	else
		uv_timer_start(c->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

struct u_curl_uv *
u_curl_uv_new(struct u_loop *loop, void (*after)(void *), void *arg)
{
	struct u_curl_uv *c = u_calloc(1, sizeof(*c));
	static int inited;

	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	c->loop = loop;
	c->after = after;
	c->arg = arg;
	if ((c->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	c->timer = u_calloc(1, sizeof(*c->timer));
	uv_timer_init(u_loop_uv(loop), c->timer);
	c->timer->data = c;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

CURLM *
u_curl_uv_multi(struct u_curl_uv *c)
{
	return c->multi;
}

static void
timer_closed(uv_handle_t *hd)
{
	free(hd);
}

void
u_curl_uv_free(struct u_curl_uv *c)
{
	if (c == NULL)
		return;
	curl_multi_cleanup(c->multi);
	uv_timer_stop(c->timer);
	uv_close((uv_handle_t *)c->timer, timer_closed);
	free(c);
}
