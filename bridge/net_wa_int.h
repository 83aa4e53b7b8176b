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
/* ponton.whatsapp.media_ca_file (tests: wasim's certificate) or NULL. */
const char *br__nw_media_ca_file(struct br_net_login *l);

#endif
