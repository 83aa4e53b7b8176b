/*
 * net_wa.h: what bridge/net_wa.c exposes beyond bridge/net.h, for its unit
 * tests only (the core never includes this).
 */
#ifndef PONTON_BRIDGE_NET_WA_H
#define PONTON_BRIDGE_NET_WA_H

#include "bridge/net.h"

/*
 * mautrix-whatsapp's bridge state for a client state (an int holding an
 * enum wa_state) and its reason text; 0, or -1 for a state that is not
 * reported (IDLE).  out's strings are static.
 */
int br__net_wa_state_map(int wa_state, const char *reason,
    struct br_net_state *out);

/*
 * A paired device JID "<digits>[.<agent>]:<device>@s.whatsapp.net" to the
 * login ID (digits) and device number; 0 or BR_ERR_NET_FAILED.
 */
#define BR_NET_WA_ID_MAX 20
int br__net_wa_jid_login(const char *jid, char id[BR_NET_WA_ID_MAX + 1],
    unsigned *device);

#endif
