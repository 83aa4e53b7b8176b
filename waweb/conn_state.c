/*
 * conn_state.c: the rules of the client's connection state machine, kept
 * apart from the I/O in conn.c so they can be tested alone.
 *
 * What a stream error, a login failure or a transport error leads to
 * (reconnect with backoff, reconnect now, or a terminal state that needs an
 * admin), the backoff itself, and which transitions are legal.  The codes
 * and their meaning follow whatsmeow's connectionevents.go and Baileys'
 * DisconnectReason (research/wa-protocol.md 4.5).
 *
 * Does not: touch sockets, timers or the store.
 */
#include <stdlib.h>
#include <string.h>

#include "util/loop.h"
#include "waweb/conn_int.h"

static const char *const state_names[WA_STATE_COUNT_] = {
	[WA_STATE_IDLE] = "IDLE",
	[WA_STATE_CONNECTING] = "CONNECTING",
	[WA_STATE_PAIRING] = "PAIRING",
	[WA_STATE_LOGGING_IN] = "LOGGING_IN",
	[WA_STATE_CONNECTED] = "CONNECTED",
	[WA_STATE_WAIT_RECONNECT] = "WAIT_RECONNECT",
	[WA_STATE_LOGGED_OUT] = "LOGGED_OUT",
	[WA_STATE_STREAM_REPLACED] = "STREAM_REPLACED",
	[WA_STATE_CLIENT_OUTDATED] = "CLIENT_OUTDATED",
	[WA_STATE_BANNED] = "BANNED",
	[WA_STATE_PAIR_TIMEOUT] = "PAIR_TIMEOUT",
};

const char *
wa_state_name(enum wa_state s)
{
	if ((unsigned)s >= WA_STATE_COUNT_)
		return "?";
	return state_names[s];
}

int
wa_state_is_terminal(enum wa_state s)
{
	switch (s) {
	case WA_STATE_LOGGED_OUT:
	case WA_STATE_STREAM_REPLACED:
	case WA_STATE_CLIENT_OUTDATED:
	case WA_STATE_BANNED:
	case WA_STATE_PAIR_TIMEOUT:
		return 1;
	default:
		return 0;
	}
}

static void
set(struct wa__disconnect *out, enum wa_state next, int wipe, int immediate,
    const char *reason)
{
	out->next = next;
	out->wipe_session = wipe;
	out->immediate = immediate;
	out->reason = reason;
}

void
wa__classify_stream_error(const char *code, const char *conflict_type,
    struct wa__disconnect *out)
{
	code = code != NULL ? code : "";
	conflict_type = conflict_type != NULL ? conflict_type : "";

	if (strcmp(code, "515") == 0)
		set(out, WA_STATE_WAIT_RECONNECT, 0, 1,
		    "stream error 515: server asks for a restart");
	else if (strcmp(code, "401") == 0)
		/* whatsmeow requires conflict type device_removed; a 401
		 * stream error without it is still a logout for Baileys. */
		set(out, WA_STATE_LOGGED_OUT, 1, 0,
		    "stream error 401: this device was logged out from the phone");
	else if (strcmp(conflict_type, "replaced") == 0)
		set(out, WA_STATE_STREAM_REPLACED, 0, 0,
		    "stream replaced: another connection uses this session");
	else if (strcmp(conflict_type, "device_removed") == 0)
		set(out, WA_STATE_LOGGED_OUT, 1, 0,
		    "device removed from the phone");
	else if (strcmp(code, "405") == 0)
		set(out, WA_STATE_CLIENT_OUTDATED, 0, 0,
		    "stream error 405: WhatsApp Web version too old; set a "
		    "newer ponton.whatsapp.web_version");
	else if (strcmp(code, "503") == 0)
		set(out, WA_STATE_WAIT_RECONNECT, 0, 0,
		    "stream error 503: service unavailable");
	else
		set(out, WA_STATE_WAIT_RECONNECT, 0, 0, "unknown stream error");
}

void
wa__classify_failure(unsigned reason, struct wa__disconnect *out)
{
	switch (reason) {
	case 401:
		set(out, WA_STATE_LOGGED_OUT, 1, 0,
		    "login failure 401: logged out from the phone");
		break;
	case 403:
		set(out, WA_STATE_LOGGED_OUT, 1, 0,
		    "login failure 403: main device gone or account locked");
		break;
	case 406:
		set(out, WA_STATE_LOGGED_OUT, 1, 0,
		    "login failure 406: account banned");
		break;
	case 402:
		set(out, WA_STATE_BANNED, 0, 0,
		    "login failure 402: temporarily banned");
		break;
	case 405:
		set(out, WA_STATE_CLIENT_OUTDATED, 0, 0,
		    "login failure 405: WhatsApp Web version too old; set a "
		    "newer ponton.whatsapp.web_version");
		break;
	case 409:
		set(out, WA_STATE_CLIENT_OUTDATED, 0, 0,
		    "login failure 409: user agent refused");
		break;
	case 500:
	case 503:
		set(out, WA_STATE_WAIT_RECONNECT, 0, 0,
		    "login failure: server unavailable");
		break;
	default:
		set(out, WA_STATE_WAIT_RECONNECT, 0, 0,
		    "login failure with an unknown reason");
		break;
	}
}

void
wa__classify_transport(const char *why, struct wa__disconnect *out)
{
	set(out, WA_STATE_WAIT_RECONNECT, 0, 0, why);
}

uint64_t
wa__reconnect_delay(unsigned attempt, unsigned base_ms, unsigned max_ms)
{
	if (base_ms == 0)
		base_ms = WA_BACKOFF_BASE_MS;
	if (max_ms == 0)
		max_ms = WA_BACKOFF_MAX_MS;
	return u_backoff_ms(attempt, base_ms, max_ms);
}

int
wa__state_transition_ok(enum wa_state old, enum wa_state cur)
{
	if ((unsigned)old >= WA_STATE_COUNT_ || (unsigned)cur >= WA_STATE_COUNT_)
		return 0;
	if (old == cur)
		return 0;
	/* Stopping is always allowed; so is giving up on a terminal state. */
	if (cur == WA_STATE_IDLE)
		return 1;
	switch (old) {
	case WA_STATE_IDLE:
	case WA_STATE_WAIT_RECONNECT:
		return cur == WA_STATE_CONNECTING;
	case WA_STATE_CONNECTING:
		return cur == WA_STATE_PAIRING || cur == WA_STATE_LOGGING_IN ||
		    cur == WA_STATE_WAIT_RECONNECT;
	case WA_STATE_PAIRING:
		/* After pair-success the server sends 515: reconnect. */
		return cur == WA_STATE_WAIT_RECONNECT ||
		    cur == WA_STATE_CONNECTING || cur == WA_STATE_PAIR_TIMEOUT ||
		    wa_state_is_terminal(cur);
	case WA_STATE_LOGGING_IN:
		return cur == WA_STATE_CONNECTED ||
		    cur == WA_STATE_WAIT_RECONNECT || cur == WA_STATE_CONNECTING ||
		    (wa_state_is_terminal(cur) && cur != WA_STATE_PAIR_TIMEOUT);
	case WA_STATE_CONNECTED:
		return cur == WA_STATE_WAIT_RECONNECT ||
		    cur == WA_STATE_CONNECTING ||
		    (wa_state_is_terminal(cur) && cur != WA_STATE_PAIR_TIMEOUT);
	default:
		/* Terminal states only leave through IDLE (wa_client_stop). */
		return 0;
	}
}
