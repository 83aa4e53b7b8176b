/*
 * ws.h: the websocket under the WhatsApp client (libwebsockets on the
 * u_loop, as a foreign libuv loop).  Internal to waweb/.
 *
 * One struct wa__ws holds an lws client context and at most one connection
 * at a time.  It moves bytes: everything received is handed to on_data as
 * it arrives (WhatsApp frames may span websocket messages; the frame layer
 * reassembles), everything sent goes out as one binary message.
 *
 * URLs: wss:// anywhere (TLS verified against the system CAs), ws:// only
 * to a loopback address (127.0.0.0/8, ::1, "localhost"), for tests against
 * the simulator.  Anything else is refused before connecting.
 *
 * After wa__ws_disconnect or on_close no callback of the old connection
 * is called again.
 */
#ifndef PONTON_WAWEB_WS_H
#define PONTON_WAWEB_WS_H

#include <stddef.h>
#include <stdint.h>

#include "util/loop.h"

#define WA_URL_HOST_MAX 253
#define WA_URL_PATH_MAX 1024

struct wa__url {
	int	tls;
	char	host[WA_URL_HOST_MAX + 1];
	int	port;
	char	path[WA_URL_PATH_MAX + 1];
};

/*
 * Parse ws[s]://host[:port][/path].  Errors: U_ERR_INVALID (malformed,
 * another scheme, or ws:// to a host that is not loopback).
 */
int wa__url_parse(const char *url, struct wa__url *out);

struct wa__ws_cbs {
	void	(*on_open)(void *arg);
	void	(*on_data)(void *arg, const uint8_t *p, size_t n);
	/* The connection failed or closed; why is a short static text. */
	void	(*on_close)(void *arg, const char *why);
};

struct wa__ws;

struct wa__ws *wa__ws_new(struct u_loop *loop, const struct wa__ws_cbs *cbs,
    void *arg);
/* Drop the connection and free; safe from loop callbacks.  NULL: no-op. */
void wa__ws_free(struct wa__ws *ws);
/* Destroy the lws context all clients share (after the last wa__ws_free,
 * outside any loop callback: it runs the loop briefly). */
void wa__ws_shutdown(struct u_loop *loop);
/* Start connecting; on_open or on_close follows.  Errors: U_ERR_IO. */
int wa__ws_connect(struct wa__ws *ws, const struct wa__url *url);
/* Queue one binary message (copied).  Errors: U_ERR_IO if not open. */
int wa__ws_send(struct wa__ws *ws, const uint8_t *p, size_t n);
/* Drop the connection without calling on_close. */
void wa__ws_disconnect(struct wa__ws *ws);

#endif
