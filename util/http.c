/*
 * http.c: the generic HTTP(S) client of http.h, on a libcurl multi handle
 * driven by the loop (util/curl_uv.h); finished transfers are reaped in
 * check_done after each action curl took.
 *
 * Does not: retry, redirect, or turn off TLS verification (there is no
 * option for it: a test trusts its server's certificate through ca_file).
 *
 * Invariants: every pending request is in h->head and attached to the
 * multi handle; it leaves both before its callback runs.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/buf.h"
#include "util/curl_uv.h"
#include "util/err.h"
#include "util/http.h"
#include "util/log.h"
#include "util/mem.h"

struct u_http_call {
	uint64_t		 id;
	struct u_http		*h;		/* borrowed */
	CURL			*easy;		/* owned */
	struct curl_slist	*hdrs;		/* owned */
	char			*method;	/* owned */
	char			*url;		/* owned */
	char			*ca_file;	/* owned or NULL */
	uint8_t			*body;		/* owned unless borrowed */
	int			 body_owned;
	struct u_buf		 resp;		/* owned; capped */
	int			 too_big;
	u_http_done_fn		 fn;
	void			*arg;
	struct u_http_call	*prev, *next;
};

struct u_http {
	struct u_loop		*loop;		/* borrowed */
	struct u_curl_uv	*cu;		/* owned: the multi on the loop */
	CURLM			*multi;		/* borrowed from cu */
	uint64_t		 next_id;
	struct u_http_call	*head;		/* owned list */
	size_t			 npending;
};

static void check_done(struct u_http *);

/* curl_uv's after-action hook. */
static void
after_action(void *arg)
{
	check_done(arg);
}

/* --- Calls ------------------------------------------------------------------- */

static size_t
on_write(char *p, size_t sz, size_t n, void *arg)
{
	struct u_http_call *c = arg;

	if (u_buf_add(&c->resp, p, n) != 0) {
		c->too_big = 1;
		return 0;
	}
	return n;
}

static void
unlink_call(struct u_http_call *c)
{
	struct u_http *h = c->h;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	h->npending--;
}

static void
free_call(struct u_http_call *c)
{
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdrs);
	free(c->method);
	free(c->url);
	free(c->ca_file);
	if (c->body_owned)
		free(c->body);
	u_buf_free(&c->resp);
	free(c);
}

static void
complete(struct u_http_call *c, CURLcode cc)
{
	struct u_http_resp resp;
	long status = 0;
	char *ctype = NULL;
	int err = 0;

	memset(&resp, 0, sizeof(resp));
	curl_multi_remove_handle(c->h->multi, c->easy);
	unlink_call(c);
	if (c->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		err = U_ERR_TOO_BIG;
		resp.error = "reply exceeds its size limit";
	} else if (cc != CURLE_OK) {
		err = U_ERR_IO;
		resp.error = curl_easy_strerror(cc);
	} else {
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ctype);
		resp.status = (int)status;
		resp.body = c->resp.p;
		resp.len = c->resp.len;
		resp.content_type = ctype;
	}
	if (err != 0)
		/* Up to the query only: it may hold tokens. */
		logp_debug("http", "%s %.*s: %s", c->method,
		    (int)strcspn(c->url, "?"), c->url, resp.error);
	c->fn(c->arg, err, &resp);
	free_call(c);
}

static void
check_done(struct u_http *h)
{
	CURLMsg *m;
	int left;
	struct u_http_call *c;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		c = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		complete(c, m->data.result);
	}
}

uint64_t
u_http_start(struct u_http *h, const struct u_http_req *req,
    u_http_done_fn fn, void *arg)
{
	struct u_http_call *c;
	size_t i, nh = 0;

	if (req->method == NULL || req->url == NULL || fn == NULL ||
	    (strncmp(req->url, "http://", 7) != 0 &&
	    strncmp(req->url, "https://", 8) != 0))
		return 0;
	if (req->headers != NULL)
		while (req->headers[nh] != NULL)
			nh++;
	if (nh > U_HTTP_MAX_HEADERS)
		return 0;

	c = u_calloc(1, sizeof(*c));
	c->id = ++h->next_id;
	c->h = h;
	c->fn = fn;
	c->arg = arg;
	c->method = u_strdup(req->method);
	c->url = u_strdup(req->url);
	u_buf_init(&c->resp, req->max_resp ? req->max_resp : U_HTTP_RESP_MAX);
	if ((c->easy = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	for (i = 0; i < nh; i++)
		c->hdrs = curl_slist_append(c->hdrs, req->headers[i]);
	/* No "Expect: 100-continue" round trip before a body. */
	c->hdrs = curl_slist_append(c->hdrs, "Expect:");
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL) {
		c->ca_file = u_strdup(req->ca_file);
		curl_easy_setopt(c->easy, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(c->easy, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "ponton");
	curl_easy_setopt(c->easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)c->resp.cap);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS,
	    (long)(req->timeout_ms ? req->timeout_ms : U_HTTP_TIMEOUT_MS));
	if (req->stall_ms > 0) {
		/* Under 1 byte/s for that many (whole) seconds. */
		curl_easy_setopt(c->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c->easy, CURLOPT_LOW_SPEED_TIME,
		    (long)((req->stall_ms + 999) / 1000));
	}
	if (req->body != NULL || strcmp(req->method, "GET") != 0) {
		if (req->body_borrowed || req->body == NULL) {
			c->body = (uint8_t *)req->body;
		} else {
			c->body = u_malloc(req->body_len + 1);
			memcpy(c->body, req->body, req->body_len);
			c->body_owned = 1;
		}
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(c->body != NULL ? req->body_len : 0));
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS,
		    c->body != NULL ? (char *)c->body : "");
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST,
			    c->method);
	} else
		curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
	c->next = h->head;
	if (h->head != NULL)
		h->head->prev = c;
	h->head = c;
	h->npending++;
	if (curl_multi_add_handle(h->multi, c->easy) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
	return c->id;
}

void
u_http_cancel(struct u_http *h, uint64_t id)
{
	struct u_http_call *c;

	for (c = h->head; c != NULL; c = c->next)
		if (c->id == id) {
			curl_multi_remove_handle(h->multi, c->easy);
			unlink_call(c);
			free_call(c);
			return;
		}
}

size_t
u_http_pending(const struct u_http *h)
{
	return h->npending;
}

struct u_http *
u_http_new(struct u_loop *loop)
{
	struct u_http *h = u_calloc(1, sizeof(*h));

	h->loop = loop;
	h->cu = u_curl_uv_new(loop, after_action, h);
	h->multi = u_curl_uv_multi(h->cu);
	return h;
}

void
u_http_free(struct u_http *h)
{
	if (h == NULL)
		return;
	while (h->head != NULL)
		u_http_cancel(h, h->head->id);
	u_curl_uv_free(h->cu);
	free(h);
}
