/*
 * net_wa_contacts.h: the WhatsApp side's contacts (bridge/net.h struct
 * br_net_contact) read from and written to the device store's contact
 * ops (waweb/store.h: whatsmeow_contacts in the bridge database).
 *
 * What it does: a user's contact merged over its two forms (phone number
 * and LID), as mautrix-whatsapp's contactToUserInfo reads both rows: each
 * name from the phone-number row, else from the LID row; the user named
 * in its phone-number form whenever the pair is known (net.h's
 * normalisation).  Every contact of a device, grouped by person.  Push
 * names from incoming messages stored as whatsmeow's updatePushName
 * (under both forms; "changed" only when it differs from the stored one).
 *
 * What it does not do: app state (waweb/appstate.c stores ContactAction
 * names itself), events (net_wa.c emits them).
 *
 * Invariants: one thread; store calls are synchronous.  Strings in the
 * results are owned by the result.
 */
#ifndef PONTON_BRIDGE_NET_WA_CONTACTS_H
#define PONTON_BRIDGE_NET_WA_CONTACTS_H

#include <stddef.h>

#include "bridge/net.h"

struct wa_store_ops;

/* Contacts one listing returns at most (an address book of this size is
 * already far past what a phone syncs; the rest is logged and left). */
#define BR_NW_CONTACTS_MAX	50000

/*
 * The other form of a user JID: "<digits>@s.whatsapp.net" <->
 * "<n>@lid".  0 and out (cap bytes with the NUL), or a negative code
 * (U_ERR_NOT_FOUND when the pair is unknown).
 */
typedef int (*br__nw_alt_fn)(void *arg, const char *jid, char *out,
    size_t cap);

/* Where the contacts are: the store, its arg, our device JID (the rows'
 * our_jid) and the PN<->LID resolver (may be NULL: no pairs). */
struct br__nw_cstore {
	const struct wa_store_ops *ops;		/* borrowed */
	void			*arg;
	const char		*our_jid;	/* borrowed */
	br__nw_alt_fn		 alt;
	void			*alt_arg;
};

/* A merged contact: c's strings point into the owned fields. */
struct br__nw_contact {
	struct br_net_contact	 c;
	char			*user, *alt, *full, *first, *push, *business;
};
void br__nw_contact_clear(struct br__nw_contact *x);

/*
 * The merged contact of jid (a non-device user JID, either form): 0 and
 * *out (zeroed first; clear it), U_ERR_NOT_FOUND when neither form has a
 * row, U_ERR_INVALID for a JID that is not a user's, or a store code.
 */
int br__nw_contact_get(const struct br__nw_cstore *cs, const char *jid,
    struct br__nw_contact *out);

/*
 * Every contact of the device, one per person (a LID row whose phone
 * form also has a row is merged into it), at most BR_NW_CONTACTS_MAX.
 * 0 and *out (owned array of *n; br__nw_contacts_free), or a code.
 */
int br__nw_contacts_list(const struct br__nw_cstore *cs,
    struct br__nw_contact **out, size_t *n);
void br__nw_contacts_free(struct br__nw_contact *v, size_t n);

/*
 * A push name seen on a message from user (non-device JID; alt its other
 * form or NULL): stored under both forms when it differs from the one
 * stored for user.  1 changed, 0 unchanged (or empty / no store op), or
 * a store code.
 */
int br__nw_contact_push_name(const struct br__nw_cstore *cs,
    const char *user, const char *alt, const char *name);

#endif
