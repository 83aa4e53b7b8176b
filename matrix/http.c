/*
 * http.c: the homeserver client transport, on a libcurl multi handle
 * driven by the shared loop (util/curl_uv.h).
 *
 * Each call is a struct mx_req in a pending list keyed by id; its deadline
 * bounds the whole call including retries.  Retries (mx__retry_decide):
 * 429 after retry_after_ms / Retry-After, 5xx and network failures with
 * exponential backoff, but a request that may have reached the server is
 * repeated only if it is idempotent (PUT with a txnId, GET, joins...).
 *
 * Does not: know Matrix paths or tokens beyond the Bearer header (intent.c
 * builds requests), follow redirects, or speak anything but http(s).
 *
 * Invariants: a request's callback runs once, after curl released the
 * handle, and the request is unlinked before the callback runs, so the
 * callback may start or cancel requests.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "matrix/mx_int.h"
#include "util/buf.h"
#include "util/curl_uv.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/mem.h"

struct mx_req {
	uint64_t		 id;
	struct mx_http		*h;		/* borrowed */
	CURL			*easy;		/* owned */
	struct curl_slist	*hdrs;		/* owned */
	char			*method;	/* owned */
	char			*url;		/* owned */
	uint8_t			*body;		/* owned */
	size_t			 body_len;
	struct u_buf		 resp;		/* owned; capped */
	int			 too_big;
	int			 idempotent;
	unsigned		 attempt;
	uint64_t		 deadline;	/* loop ms */
	struct u_timer		*retry;		/* owned; NULL unless waiting */
	mx_done_fn		 done;
	mx_data_fn		 data_done;
	void			*arg;
	void			*owner;
	void			(*free_arg)(void *);
	struct mx_req		*prev, *next;
};

struct mx_http {
	struct u_loop	*loop;		/* borrowed */
	struct u_curl_uv *cu;		/* owned: the multi on the loop */
	CURLM		*multi;		/* borrowed from cu */
	unsigned	 base_ms;
	uint64_t	 next_id;
	struct mx_req	*head;		/* owned list */
	size_t		 npending;
};


static void check_done(struct mx_http *);

/* --- retry policy --- */

int
mx__retry_decide(enum mx_neterr net, int status, int idempotent,
    const char *retry_after, json_t *body, unsigned attempt, unsigned base_ms,
    uint64_t *delay_ms)
{
	uint64_t backoff = u_backoff_ms(attempt, base_ms, MX_BACKOFF_MAX_MS);
	json_t *ra;

	if (net == MX_NET_NOT_SENT) {
		*delay_ms = backoff;
		return 1;
	}
	if (net == MX_NET_FAILED) {
		if (!idempotent)
			return 0;
		*delay_ms = backoff;
		return 1;
	}
	if (status == 429) {
		/* Nothing was done: always safe to repeat. */
		ra = json_object_get(body, "retry_after_ms");
		if (json_is_integer(ra) && json_integer_value(ra) >= 0)
			*delay_ms = (uint64_t)json_integer_value(ra);
		else if (retry_after != NULL && *retry_after >= '0' &&
		    *retry_after <= '9')
			*delay_ms = strtoull(retry_after, NULL, 10) * 1000;
		else
			*delay_ms = backoff;
		if (*delay_ms > MX_RETRY_AFTER_MAX_MS)
			*delay_ms = MX_RETRY_AFTER_MAX_MS;
		return 1;
	}
	if (status >= 500 && status <= 599 && idempotent) {
		*delay_ms = backoff;
		return 1;
	}
	return 0;
}

/* curl_uv's after-action hook. */
static void
after_action(void *arg)
{
	check_done(arg);
}

/* --- requests --- */

static size_t
on_write(char *p, size_t sz, size_t n, void *arg)
{
	struct mx_req *r = arg;

	if (u_buf_add(&r->resp, p, n) != 0) {
		r->too_big = 1;
		return 0;
	}
	return n;
}

static void
unlink_req(struct mx_req *r)
{
	struct mx_http *h = r->h;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		h->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	h->npending--;
}

static void
free_req(struct mx_req *r)
{
	if (r == NULL)
		return;
	u_timer_free(r->retry);
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->method);
	free(r->url);
	free(r->body);
	u_buf_free(&r->resp);
	free(r);
}

static void
finish(struct mx_req *r, int rc, int status, json_t *resp,
    const char *content_type)
{
	unlink_req(r);
	if (r->data_done != NULL) {
		r->data_done(r->arg, rc, rc == 0 ? r->resp.p : NULL,
		    rc == 0 ? r->resp.len : 0, content_type);
	} else if (r->done != NULL)
		r->done(r->arg, rc, status, resp);
	free_req(r);
}

static void
arm_attempt(struct mx_req *r)
{
	uint64_t now = u_loop_now(r->h->loop), left;

	left = r->deadline > now ? r->deadline - now : 1;
	if (left > MX_ATTEMPT_TIMEOUT_MS)
		left = MX_ATTEMPT_TIMEOUT_MS;
	u_buf_reset(&r->resp);
	r->too_big = 0;
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)left);
	if (curl_multi_add_handle(r->h->multi, r->easy) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
}

static void
on_retry(void *arg)
{
	struct mx_req *r = arg;

	u_timer_free(r->retry);
	r->retry = NULL;
	arm_attempt(r);
}

static enum mx_neterr
classify(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return MX_NET_OK;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return MX_NET_NOT_SENT;
	default:
		return MX_NET_FAILED;
	}
}

static void
complete(struct mx_req *r, CURLcode cc)
{
	long status = 0;
	char *ctype = NULL;
	struct curl_header *hv = NULL;
	const char *retry_after = NULL;
	json_t *js = NULL;
	enum mx_neterr net = classify(cc);
	uint64_t delay, now;
	int rc;

	curl_multi_remove_handle(r->h->multi, r->easy);
	if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		/* Up to the query only: user_id= holds ghost ids, i.e.
		 * phone numbers, which stay out of warnings. */
		logp_warnx("mx-http", "%s %.*s: reply exceeds its size limit",
		    r->method, (int)strcspn(r->url, "?"), r->url);
		finish(r, MX_ERR_TOO_BIG, 0, NULL, NULL);
		return;
	}
	if (net == MX_NET_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ctype);
		if (curl_easy_header(r->easy, "Retry-After", 0, CURLH_HEADER, -1,
		    &hv) == CURLHE_OK)
			retry_after = hv->value;
		if (r->data_done == NULL || status < 200 || status > 299)
			js = json_loadb((const char *)r->resp.p, r->resp.len,
			    JSON_REJECT_DUPLICATES, NULL);
	}
	if (net != MX_NET_OK || status < 200 || status > 299) {
		if (mx__retry_decide(net, (int)status, r->idempotent, retry_after,
		    js, r->attempt, r->h->base_ms, &delay)) {
			now = u_loop_now(r->h->loop);
			if (now + delay < r->deadline) {
				logp_debug("mx-http", "%s %s: %s %ld, retry %u in %llu ms",
				    r->method, r->url, curl_easy_strerror(cc), status,
				    r->attempt + 1, (unsigned long long)delay);
				r->attempt++;
				r->retry = u_timer_new(r->h->loop, on_retry, r);
				u_timer_start(r->retry, delay, 0);
				json_decref(js);
				return;
			}
		}
		if (net != MX_NET_OK) {
			rc = cc == CURLE_OPERATION_TIMEDOUT ? MX_ERR_TIMEOUT :
			    MX_ERR_NETWORK;
			logp_debug("mx-http", "%s %s: %s", r->method, r->url,
			    curl_easy_strerror(cc));
		} else
			rc = MX_ERR_HTTP;
		finish(r, rc, (int)status, js, NULL);
		json_decref(js);
		return;
	}
	if (r->data_done != NULL) {
		finish(r, 0, (int)status, NULL, ctype);
		return;
	}
	if (!json_is_object(js)) {
		finish(r, MX_ERR_BAD_RESPONSE, (int)status, NULL, NULL);
		json_decref(js);
		return;
	}
	finish(r, 0, (int)status, js, NULL);
	json_decref(js);
}

static void
check_done(struct mx_http *h)
{
	CURLMsg *m;
	int left;
	struct mx_req *r;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		complete(r, m->data.result);
	}
}

uint64_t
mx__http_start(struct mx_http *h, const struct mx_http_opts *o)
{
	struct mx_req *r = u_calloc(1, sizeof(*r));
	char *hdr;

	r->id = ++h->next_id;
	r->h = h;
	r->method = u_strdup(o->method);
	r->url = u_strdup(o->url);
	r->idempotent = o->idempotent;
	r->done = o->done;
	r->data_done = o->data_done;
	r->arg = o->arg;
	r->owner = o->owner != NULL ? o->owner : o->arg;
	r->free_arg = o->free_arg;
	r->deadline = u_loop_now(h->loop) +
	    (o->timeout_ms ? o->timeout_ms : MX_REQUEST_TIMEOUT_MS);
	u_buf_init(&r->resp, o->max_resp ? o->max_resp : MX_RESP_MAX);
	if ((r->easy = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	if (o->token != NULL) {
		hdr = u_asprintf("Authorization: Bearer %s", o->token);
		r->hdrs = curl_slist_append(r->hdrs, hdr);
		u_free_secret(hdr, strlen(hdr));
	}
	/* No "Expect: 100-continue" round trip for uploads. */
	r->hdrs = curl_slist_append(r->hdrs, "Expect:");
	curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "ponton");
	curl_easy_setopt(r->easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)r->resp.cap);
	if (o->body != NULL || strcmp(o->method, "GET") != 0) {
		r->body_len = o->body != NULL ? o->body_len : 0;
		r->body = u_malloc(r->body_len + 1);
		if (r->body_len > 0)
			memcpy(r->body, o->body, r->body_len);
		hdr = u_asprintf("Content-Type: %s",
		    o->content_type ? o->content_type : "application/json");
		r->hdrs = curl_slist_append(r->hdrs, hdr);
		free(hdr);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->body_len);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
		if (strcmp(o->method, "POST") != 0)
			curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, r->method);
	} else
		curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	r->next = h->head;
	if (h->head != NULL)
		h->head->prev = r;
	h->head = r;
	h->npending++;
	arm_attempt(r);
	return r->id;
}

static void
drop(struct mx_http *h, struct mx_req *r)
{
	if (r->retry == NULL)
		curl_multi_remove_handle(h->multi, r->easy);
	unlink_req(r);
	if (r->free_arg != NULL)
		r->free_arg(r->arg);
	free_req(r);
}

void
mx__http_cancel_arg(struct mx_http *h, void *arg)
{
	struct mx_req *r, *next;

	for (r = h->head; r != NULL; r = next) {
		next = r->next;
		if (r->owner == arg)
			drop(h, r);
	}
}

void
mx__http_cancel_all(struct mx_http *h)
{
	while (h->head != NULL)
		drop(h, h->head);
}

size_t
mx__http_pending(const struct mx_http *h)
{
	return h->npending;
}

struct mx_http *
mx__http_new(struct u_loop *loop, unsigned retry_base_ms)
{
	struct mx_http *h = u_calloc(1, sizeof(*h));

	h->loop = loop;
	h->base_ms = retry_base_ms ? retry_base_ms : 500;
	h->cu = u_curl_uv_new(loop, after_action, h);
	h->multi = u_curl_uv_multi(h->cu);
	return h;
}

void
mx__http_free(struct mx_http *h)
{
	if (h == NULL)
		return;
	mx__http_cancel_all(h);
	u_curl_uv_free(h->cu);
	free(h);
}
