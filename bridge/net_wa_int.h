/*
 * net_wa_int.h: what the files of the WhatsApp side (bridge/net_wa*.c)
 * share about a login.  The core never includes this.
 *
 * net_wa.c owns struct br_net_login and routes each stanza its client does
 * not handle to the other files' handle_node functions, in turn; the
 * first that returns 1 consumed it (and acked it if it must be acked).
 *
 * Invariants: one thread; every pointer returned is borrowed from the
 * login and valid while the login is (until on_login_gone).  The client
 * may be NULL while a login is not started; a call made then answers
 * BR_ERR_NET_FAILED (not connected) without calling back.
 */
#ifndef PONTON_BRIDGE_NET_WA_INT_H
#define PONTON_BRIDGE_NET_WA_INT_H

#include <stddef.h>

#include "bridge/net.h"

struct wa_client;
struct wa_node;
struct u_loop;
struct db;

struct wa_client *br__nw_client(struct br_net_login *l);
struct u_loop *br__nw_loop(struct br_net_login *l);
struct db *br__nw_db(struct br_net_login *l);
/* The core's handlers (any slot may be NULL) and their arg. */
const struct br_net_events *br__nw_events(struct br_net_login *l);
/* "<login id>" style log prefix of the login. */
const char *br__nw_prefix(const struct br_net_login *l);
/* "<digits>@s.whatsapp.net" of the account once connected, else NULL. */
const char *br__nw_own_user(struct br_net_login *l);
/* The other form of a user JID (PN <-> LID) as the login knows it (the
 * pairs it has seen, then whatsmeow_lid_map): net_wa_contacts.h's
 * br__nw_alt_fn with arg = the login. */
int br__nw_alt_jid(void *l, const char *jid, char *out, size_t cap);

/* ---- app state and contacts (net_wa_appstate.c) ---- */
struct br__nw_as;
struct wa_media;
struct wa_msg_event;
/* The login's app-state object (NULL while not connected). */
struct br__nw_as *br__nw_as_of(struct br_net_login *l);
/* Created once the login is connected (device JID and media borrowed);
 * freed at teardown (pending sync_appstate answered CANCELLED). */
struct wa_msg_sender;
struct br__nw_as *br__nw_as_new(struct br_net_login *l,
    const char *device_jid, struct wa_media *media,
    struct wa_msg_sender *snd);
void br__nw_as_free(struct br__nw_as *a);
/* 1 when consumed: <notification type=server_sync> (acked), or a key
 * share message (stored; the caller still acks it as a stored message). */
int br__nw_as_handle_node(struct br__nw_as *a, const struct wa_node *n);
int br__nw_as_handle_message(struct br__nw_as *a,
    const struct wa_msg_event *ev);
/* A push name on a message from user (alt: its other form or NULL). */
void br__nw_as_push_name(struct br__nw_as *a, const char *user,
    const char *alt, const char *name);
/* The net.h slots. */
int br__nw_list_contacts(struct br_net_login *l, br_net_done_fn done,
    void *arg);
int br__nw_sync_appstate(struct br_net_login *l, const char *name,
    br_net_done_fn done, void *arg);
/* ponton.whatsapp.media_ca_file (tests: wasim's certificate) or NULL. */
const char *br__nw_media_ca_file(struct br_net_login *l);

#endif
