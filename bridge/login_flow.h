/*
 * login_flow.h: the login commands of the management room, as mautrix-go
 * bridgev2's commands/login.go runs them over mautrix-whatsapp's flows.
 *
 *   login [qr|phone]   QR: the QR code is sent as an m.image `qr.png`
 *                      with the QR text as body (and <pre><code> HTML),
 *                      edited (m.replace) when the code rotates, redacted
 *                      when the flow ends.  phone: asks for the number
 *                      (pending command state), then sends the
 *                      8-character pairing code.  "Successfully logged in
 *                      as +<number>" on success; `cancel` aborts.
 *   relogin <login ID> [qr|phone]
 *                      the same into an existing login (phone: its own
 *                      number, not asked).
 *   logout <login ID>  unlinks the device and forgets the login.
 *   list-logins        "* `<id>` (+<number>) - `<STATE>`" per login.
 *
 * The handlers have br_cmd's signature; each needs one entry in br_cmds[]
 * (bridge/cmd.c) with upstream's gates: login, relogin and list-logins
 * BR_CMD_REQ_LOGIN_PERM, logout none.
 *
 * What it does not do: max_logins (permissions), the passkey step.  Texts are in English and French in a table of this file until
 * they move to bridge/texts.c.
 *
 * Invariants: one thread.  A login in progress holds a reference to its
 * process record for each Matrix call in flight, so a flow that ends (or
 * is cancelled) while a QR upload is pending is freed only after the call
 * completes; nothing is sent to Matrix after br_login_attach(NULL) or from
 * a cancel at shutdown.
 */
#ifndef PONTON_BRIDGE_LOGIN_FLOW_H
#define PONTON_BRIDGE_LOGIN_FLOW_H

#include "bridge/cmd.h"
#include "bridge/net.h"

/*
 * The network side the commands use (borrowed; one per process, as
 * upstream has one connector).  NULL detaches: flows in progress are
 * cancelled without messages (call before freeing the network side).
 */
void br_login_attach(struct br_net *net);

void br_cmd_login(struct br_cmd_event *ce);
/* relogin <login ID> [qr|phone]: login again into an existing login (the
 * phone flow reuses its number); a different account replaces it. */
void br_cmd_relogin(struct br_cmd_event *ce);
void br_cmd_logout(struct br_cmd_event *ce);
void br_cmd_list_logins(struct br_cmd_event *ce);

/* The attached network side (borrowed) or NULL. */
struct br_net *br_login_net(void);

/*
 * Bridge-state notices in the management room (login_flow_state.c):
 * the struct br_net_events handlers to give the network side, with the
 * struct br_bridge as arg.  See that file for what is sent when.
 */
void br_login_on_state(void *arg, struct br_net_login *l,
    const struct br_net_state *st);
void br_login_on_gone(void *arg, struct br_net_login *l);
/* Forget every login's notice memory (br_login_attach(NULL) does). */
void br_login_state_reset(void);

/* The Markdown list of a user's logins ("" if none); owned. */
char *br_login_format_list(struct br_net *net, const char *mxid);

#endif
