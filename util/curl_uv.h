/*
 * curl_uv.h: a libcurl multi handle driven by the libuv loop.
 *
 * libcurl's multi-socket API tells us which sockets to watch (one uv_poll
 * each) and when to call it back (one uv_timer); this file is that glue,
 * shared by every HTTP client in the program (util/http.c, matrix/http.c).
 * After each socket or timer action the owner's `after` function runs: it
 * reaps finished transfers with curl_multi_info_read on the handle.
 *
 * What it does not do: requests, easy handles, retries (the owners do).
 *
 * Invariants: one thread (the loop's).  The multi handle is owned here;
 * u_curl_uv_free cleans it up (curl drops its sockets, whose polls are
 * closed on the loop) and closes the timer; the loop must turn afterwards
 * for the handles to be released, as for any uv handle.
 */
#ifndef PONTON_UTIL_CURL_UV_H
#define PONTON_UTIL_CURL_UV_H

#include <curl/curl.h>

#include "util/loop.h"

struct u_curl_uv;

/* A multi handle on loop (borrowed); after(arg) runs after every action
 * curl took.  Aborts if libcurl cannot make a multi handle. */
struct u_curl_uv *u_curl_uv_new(struct u_loop *loop, void (*after)(void *),
    void *arg);
CURLM *u_curl_uv_multi(struct u_curl_uv *c);
/* Clean the multi handle up (transfers still attached are the owner's to
 * remove first) and release the rest.  NULL is a no-op. */
void u_curl_uv_free(struct u_curl_uv *c);

#endif
