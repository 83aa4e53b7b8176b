/*
 * contacts.h: WhatsApp contacts applied to their ghosts (mautrix-whatsapp
 * pkg/connector/userinfo.go resyncContacts, contactToUserInfo and
 * syncAltGhostWithInfo; handlewhatsapp.go's events.Contact /
 * events.PushName handling).
 *
 * What it does: a contact (bridge/net.h struct br_net_contact: full and
 * first name from the phone's address book, push name, business name)
 * becomes its ghost's displayname through network.displayname_template
 * (bridge/portal.h br_ghost_ensure: registered, named when the name
 * changed, saved in the ghost table), and the same name goes to the ghost
 * of the contact's other form (phone number <-> LID), as upstream.  A
 * contact event is applied at once; `sync contacts` lists every contact
 * of a login and applies them all; the network side's "address book
 * synced" event does the same (upstream's resyncContacts after the
 * critical_unblock_low collection).
 *
 * Avatars: a sync looks up the picture of every ghost that never had one
 * (upstream's getAvatar when the ghost's AvatarID is ""), and with
 * avatars (`contacts-with-avatars`) asks again for every ghost
 * (forceAvatarSync), through portal_ghost.c's br_ghost_sync_avatar; a
 * single contact event touches names only (upstream's syncGhost).
 *
 * What it does not do: fetch contacts (the network side keeps them),
 * identifiers (tel: URIs).
 *
 * Invariants: one thread.  Ghost updates run one at a time in arrival
 * order (one FIFO per core), so two quick renames of one contact end with
 * the later name.  The FIFO is bounded (BR_CONTACTS_QUEUE_MAX): contacts
 * past it are dropped with a warning (the next sync applies them).  One
 * contacts object per core, found by the core pointer (the network
 * events' arg is the core).
 */
#ifndef PONTON_BRIDGE_CONTACTS_H
#define PONTON_BRIDGE_CONTACTS_H

#include <stddef.h>

#include "bridge/net.h"

struct br_bridge;
struct br_contacts;
struct br_ghost_info;

/* Ghost updates waiting at once (a sync of a big address book plus its
 * alternate forms; past this the producer's contacts are dropped). */
#define BR_CONTACTS_QUEUE_MAX	20000
/* Contacts remembered for br_contacts_fill (the oldest forgotten first;
 * a bigger address book answers from its most recent contacts). */
#define BR_CONTACTS_CACHE_MAX	4096

/* The contacts object of the core br (borrowed; must outlive it).  At
 * most one per core.  Never fails (aborts on OOM). */
struct br_contacts *br_contacts_new(struct br_bridge *br);
/* Drops the queue (a sync waiting gets BR_ERR_NET_CANCELLED); an update
 * in flight finishes into nothing.  Before br_bridge_free, after the
 * Matrix side is freed.  NULL is a no-op. */
void br_contacts_free(struct br_contacts *cs);
/* The object of br, or NULL. */
struct br_contacts *br_contacts_of(const struct br_bridge *br);

/* Network events (bridge/net.h), arg = the core (struct br_bridge *). */
void br_contacts_on_contact(void *arg, struct br_net_login *l,
    const struct br_net_contact *c);
void br_contacts_on_synced(void *arg, struct br_net_login *l);

/*
 * Apply every contact of login l (list_contacts, then each ghost in
 * turn).  done(arg, rc, n) once after the last ghost was updated: rc 0
 * and the number of contacts applied, or a negative code (the listing
 * failed: BR_ERR_NET_UNSUPPORTED without the slot, the side's code;
 * BR_ERR_NET_CANCELLED when freed first).  avatars: every ghost's
 * picture asked for again (see above).  0, or a negative code when
 * nothing started (done not called).
 */
typedef void (*br_contacts_done_fn)(void *arg, int rc, size_t n);
int br_contacts_sync(struct br_contacts *cs, struct br_net_login *l,
    int avatars, br_contacts_done_fn done, void *arg);

/*
 * The core's handler for a login that is synced (net.h on_synced; arg the
 * core): its stored contacts are read into the cache br_contacts_fill
 * answers from (no ghost is touched), so names survive a restart.
 */
void br_contacts_on_login_synced(void *arg, struct br_net_login *l);

/*
 * The contact names last seen for user (a user JID, either form) into
 * gi's full_name, first_name and business_name, and push_name when gi has
 * none: for code naming a ghost from a message, so the name stays the
 * template's over the contact (mautrix-whatsapp names ghosts from the
 * contact store only).  Strings borrowed until the next contacts call.
 * 1 when known, 0 when not (gi untouched).
 */
int br_contacts_fill(const struct br_bridge *br, const char *user,
    struct br_ghost_info *gi);

#endif
