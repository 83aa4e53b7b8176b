/*
 * relay.h: who sends a Matrix user's event into a WhatsApp chat, and what
 * a relayed message looks like (mautrix-go bridgev2's
 * Portal.FindPreferredLogin and RelayConfig.FormatMessage / FormatName,
 * as mautrix-whatsapp uses them).
 *
 * What it does: pick the login (the user's own login in the chat, else
 * the portal's relay login when the event may be relayed); build the
 * relay sender's fields (.Sender.UserID, .Displayname, .Distinguisher,
 * .DisambiguatedName, .FormattedName); render a message through
 * bridge.relay.message_formats.
 * What it does not do: set or unset relays (the set-relay / unset-relay
 * commands), talk to Matrix (the caller fetches the member displayname),
 * send anything.
 *
 * Invariants: synchronous (short db/ calls and net lookups); strings in
 * are borrowed, results owned as documented.
 */
#ifndef PONTON_BRIDGE_RELAY_H
#define PONTON_BRIDGE_RELAY_H

#include "bridge/net.h"
#include "bridge/relay_tmpl.h"
#include "bridge/store.h"

struct db;
struct br_config;

/* The chosen login. */
struct br_relay_pick {
	struct br_net_login	*login;		/* borrowed (net side) */
	char			*login_id;	/* owned */
	int			 relayed;	/* the portal's relay login */
};
void br_relay_pick_clear(struct br_relay_pick *p);

/*
 * The login that sends user_mxid's event in the portal (row):
 *  - a DM portal (receiver set): the receiver login, if it is the user's
 *    and usable; else the relay when allowed and set;
 *  - a shared portal: the user's logins with a user_portal row there
 *    (preferred first), then, as ponton's addition for chats whose rows
 *    are not written yet, any usable login of the user; then the relay
 *    when allowed and set.
 * A login is usable while it is not logged out (state not LOGGED_OUT,
 * BAD_CREDENTIALS or UNCONFIGURED).  0 and *out, BR_ERR_NET_NOT_FOUND
 * when nobody can send ("You're not logged in"), or a db code.
 */
int br_relay_pick(struct br_net *net, struct db *db,
    const struct br_portal *row, const char *user_mxid, int allow_relay,
    struct br_relay_pick *out);

/* A login handle is usable for sending (see above). */
int br_relay_login_usable(struct br_net *net, struct br_net_login *l);

/* The parsed relay templates of a config (message_formats and
 * displayname_format).  Owned; free with br_relay_cfg_free. */
struct br_relay_cfg;
/* 0 and *out, or BR_ERR_FMT_TEMPLATE (config load validated them, so
 * this is our bug). */
int br_relay_cfg_new(const struct br_config *cfg, struct br_relay_cfg **out);
void br_relay_cfg_free(struct br_relay_cfg *rc);

/*
 * bridgev2's OrigSender for a relayed Matrix user: user_id, the room
 * member displayname (NULL or "": none), distinguisher by CRC32, the
 * disambiguated name (displayname, or the MXID without one; "name (mxid)"
 * when confusable) and FormattedName (displayname_format).  Strings owned
 * by *s; clear with br_relay_sender_clear.
 */
struct br_relay_sender_owned {
	struct br_relay_sender	 s;	/* points into the owned strings */
	char			*user_id, *displayname, *disambiguated;
	char			*formatted;
};
void br_relay_sender_build(const struct br_relay_cfg *rc,
    const struct br_config *cfg, const char *user_id,
    const char *displayname, int confusable,
    struct br_relay_sender_owned *out);
void br_relay_sender_clear(struct br_relay_sender_owned *o);

/* RelayConfig.FormatMessage with the config's templates (see
 * br_relay_format).  BR_ERR_FMT_NO_FORMAT when msgtype has none. */
int br_relay_render(const struct br_relay_cfg *rc,
    const struct br_relay_content *c, const struct br_relay_sender *sender,
    struct br_relay_out *out);

#endif
