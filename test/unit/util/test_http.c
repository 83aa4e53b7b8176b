/*
 * test_http.c: util/http.c against a tiny HTTP/1.1 server on the same loop
 * (libuv TCP on 127.0.0.1, one request per connection):
 *   GET /hello        200 "hello world"
 *   POST /echo        200 with the request body
 *   GET /gone         410
 *   GET /big          200 with Content-Length 5000 (over a 1000-byte cap)
 *   GET /chunked-big  200, chunked, 5000 bytes (no Content-Length)
 *   GET /stall        never answered (the stall check gives up)
 * plus a refused connection, TLS against a plain-text port, invalid
 * requests refused at start, and a cancelled request that never calls back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "test/unit/test.h"
#include "util/err.h"
#include "util/http.h"
#include "util/loop.h"
#include "util/mem.h"

struct srv_conn {
	uv_tcp_t	 tcp;
	char		 buf[16384];
	size_t		 len;
	int		 answered;
};

static uv_tcp_t srv;
static int srv_port;

static void
conn_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct srv_conn *c = h->data;

	b->base = c->buf + c->len;
	b->len = sizeof(c->buf) - c->len - 1;
}

static void
on_written(uv_write_t *w, int status)
{
	uv_close((uv_handle_t *)w->handle, conn_closed);
	free(w->data);
	free(w);
}

static void
reply(struct srv_conn *c, const char *head, const char *body, size_t blen)
{
	uv_write_t *w = u_calloc(1, sizeof(*w));
	size_t hl = strlen(head);
	char *out = u_malloc(hl + blen + 1);
	uv_buf_t b;

	memcpy(out, head, hl);
	memcpy(out + hl, body, blen);
	b = uv_buf_init(out, (unsigned)(hl + blen));
	w->data = out;
	c->answered = 1;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct srv_conn *c = s->data;
	char *end, *cl, head[256], *big;
	size_t want = 0, hlen;

	if (n < 0) {
		uv_close((uv_handle_t *)s, conn_closed);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (c->answered || (end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return;
	hlen = (size_t)(end - c->buf) + 4;
	if ((cl = strcasestr(c->buf, "Content-Length:")) != NULL && cl < end)
		want = strtoul(cl + 15, NULL, 10);
	if (c->len < hlen + want)
		return;
	if (strncmp(c->buf, "GET /stall ", 11) == 0) {
		/* Say nothing; the client's stall check must end it. */
		c->answered = 1;
		return;
	}
	if (strncmp(c->buf, "GET /hello ", 11) == 0)
		reply(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Content-Length: 11\r\nConnection: close\r\n\r\n",
		    "hello world", 11);
	else if (strncmp(c->buf, "POST /echo ", 11) == 0) {
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", want);
		reply(c, head, c->buf + hlen, want);
	} else if (strncmp(c->buf, "GET /gone ", 10) == 0)
		reply(c, "HTTP/1.1 410 Gone\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n", "", 0);
	else if (strncmp(c->buf, "GET /big ", 9) == 0) {
		big = u_calloc(1, 5000);
		reply(c, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n"
		    "Connection: close\r\n\r\n", big, 5000);
		free(big);
	} else if (strncmp(c->buf, "GET /chunked-big ", 17) == 0) {
		big = u_malloc(5000 + 64);
		memcpy(big, "1388\r\n", 6);
		memset(big + 6, 'z', 5000);
		memcpy(big + 5006, "\r\n0\r\n\r\n", 7);
		reply(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "Connection: close\r\n\r\n", big, 5013);
		free(big);
	} else
		reply(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n", "", 0);
}

static void
on_conn(uv_stream_t *s, int status)
{
	struct srv_conn *c = u_calloc(1, sizeof(*c));

	uv_tcp_init(s->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(s, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void
srv_start(struct u_loop *loop)
{
	struct sockaddr_in a;
	struct sockaddr_storage got;
	int len = sizeof(got);

	uv_ip4_addr("127.0.0.1", 0, &a);
	uv_tcp_init(u_loop_uv(loop), &srv);
	if (uv_tcp_bind(&srv, (struct sockaddr *)&a, 0) != 0 ||
	    uv_listen((uv_stream_t *)&srv, 16, on_conn) != 0)
		abort();
	uv_tcp_getsockname(&srv, (struct sockaddr *)&got, &len);
	srv_port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

struct result {
	int		 done, err, status;
	char		 body[6000];
	size_t		 len;
	struct u_loop	*loop;
	int		*left;
};

static void
on_done(void *arg, int err, const struct u_http_resp *resp)
{
	struct result *r = arg;

	r->done++;
	r->err = err;
	r->status = resp->status;
	r->len = resp->len < sizeof(r->body) ? resp->len : 0;
	if (r->len > 0)
		memcpy(r->body, resp->body, r->len);
	if (--*r->left == 0)
		u_loop_stop(r->loop);
}

static void
on_never(void *arg, int err, const struct u_http_resp *resp)
{
	int *called = arg;

	(*called)++;
}

static void
on_deadline(void *arg)
{
	u_loop_stop(arg);
}

TEST(test_u_http_requests)
{
	struct u_loop *loop = u_loop_new();
	struct u_http *h = u_http_new(loop);
	struct u_timer *t = u_timer_new(loop, on_deadline, loop);
	struct result r[7];
	struct u_http_req q;
	char url[7][128];
	static const char *const hdrs[] = { "X-Test: 1", NULL };
	static const char payload[] = "some\0binary\xff body";
	uint64_t id;
	int left = 7, never = 0, i;

	srv_start(loop);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 7; i++) {
		r[i].loop = loop;
		r[i].left = &left;
	}
	snprintf(url[0], sizeof(url[0]), "http://127.0.0.1:%d/hello", srv_port);
	snprintf(url[1], sizeof(url[1]), "http://127.0.0.1:%d/echo", srv_port);
	snprintf(url[2], sizeof(url[2]), "http://127.0.0.1:%d/gone", srv_port);
	snprintf(url[3], sizeof(url[3]), "http://127.0.0.1:%d/big", srv_port);
	snprintf(url[4], sizeof(url[4]), "http://127.0.0.1:%d/chunked-big",
	    srv_port);
	/* Port 1 on loopback: nothing listens (refused). */
	snprintf(url[5], sizeof(url[5]), "http://127.0.0.1:1/x");
	/* TLS to a plain-text server fails, it does not fall back. */
	snprintf(url[6], sizeof(url[6]), "https://127.0.0.1:%d/hello",
	    srv_port);
	for (i = 0; i < 7; i++) {
		memset(&q, 0, sizeof(q));
		q.method = "GET";
		q.url = url[i];
		q.headers = hdrs;
		q.timeout_ms = 10000;
		if (i == 1) {
			q.method = "POST";
			q.body = payload;
			q.body_len = sizeof(payload) - 1;
		}
		if (i == 3 || i == 4)
			q.max_resp = 1000;
		/* The plain-text server never answers a TLS hello. */
		if (i == 6)
			q.timeout_ms = 2000;
		REQUIRE(u_http_start(h, &q, on_done, &r[i]) != 0);
	}
	/* A cancelled one never calls back. */
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url[0];
	REQUIRE((id = u_http_start(h, &q, on_never, &never)) != 0);
	u_http_cancel(h, id);
	CHECK_EQ_INT(u_http_pending(h), 7);
	u_timer_start(t, 15000, 0);
	u_loop_run(loop);

	CHECK_EQ_INT(left, 0);
	CHECK_EQ_INT(never, 0);
	CHECK_EQ_INT(r[0].err, 0);
	CHECK_EQ_INT(r[0].status, 200);
	CHECK(r[0].len == 11 && memcmp(r[0].body, "hello world", 11) == 0);
	CHECK_EQ_INT(r[1].err, 0);
	CHECK(r[1].len == sizeof(payload) - 1 &&
	    memcmp(r[1].body, payload, r[1].len) == 0);
	CHECK_EQ_INT(r[2].err, 0);
	CHECK_EQ_INT(r[2].status, 410);
	CHECK_EQ_INT(r[3].err, U_ERR_TOO_BIG);
	CHECK_EQ_INT(r[4].err, U_ERR_TOO_BIG);
	CHECK_EQ_INT(r[5].err, U_ERR_IO);
	CHECK_EQ_INT(r[6].err, U_ERR_IO);
	for (i = 0; i < 7; i++)
		CHECK_EQ_INT(r[i].done, 1);
	CHECK_EQ_INT(u_http_pending(h), 0);

	u_timer_free(t);
	u_http_free(h);
	uv_close((uv_handle_t *)&srv, NULL);
	u_loop_free(loop);
}

TEST(test_u_http_stall_gives_up)
{
	struct u_loop *loop = u_loop_new();
	struct u_http *h = u_http_new(loop);
	struct u_timer *t = u_timer_new(loop, on_deadline, loop);
	struct result r;
	struct u_http_req q;
	char url[128];
	uint64_t t0;
	int left = 1;

	srv_start(loop);
	memset(&r, 0, sizeof(r));
	r.loop = loop;
	r.left = &left;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/stall", srv_port);
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = url;
	q.timeout_ms = 60000;
	q.stall_ms = 1000;
	t0 = u_loop_now(loop);
	REQUIRE(u_http_start(h, &q, on_done, &r) != 0);
	u_timer_start(t, 15000, 0);
	u_loop_run(loop);
	CHECK_EQ_INT(r.done, 1);
	CHECK_EQ_INT(r.err, U_ERR_IO);
	/* Well before the 60 s timeout (curl checks about once a second). */
	CHECK(u_loop_now(loop) - t0 < 8000);
	u_timer_free(t);
	u_http_free(h);
	uv_close((uv_handle_t *)&srv, NULL);
	u_loop_free(loop);
}

TEST(test_u_http_refuses_invalid_requests)
{
	struct u_loop *loop = u_loop_new();
	struct u_http *h = u_http_new(loop);
	struct u_http_req q;
	const char *many[U_HTTP_MAX_HEADERS + 2];
	int called = 0, i;

	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.url = "file:///etc/passwd";
	CHECK(u_http_start(h, &q, on_never, &called) == 0);
	q.url = "ftp://127.0.0.1/";
	CHECK(u_http_start(h, &q, on_never, &called) == 0);
	q.url = NULL;
	CHECK(u_http_start(h, &q, on_never, &called) == 0);
	for (i = 0; i < U_HTTP_MAX_HEADERS + 1; i++)
		many[i] = "X-A: b";
	many[i] = NULL;
	q.url = "http://127.0.0.1:1/";
	q.headers = many;
	CHECK(u_http_start(h, &q, on_never, &called) == 0);
	CHECK_EQ_INT(u_http_pending(h), 0);
	u_http_free(h);
	u_loop_free(loop);
	CHECK_EQ_INT(called, 0);
}

TEST_MAIN()
