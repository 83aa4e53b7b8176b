/*
 * usync.h: contact queries (is this phone number on WhatsApp, and under
 * which JIDs) through the usync protocol (wa-protocol.md §6.1; whatsmeow
 * user.go IsOnWhatsApp, Baileys onWhatsApp):
 *
 *   <iq xmlns=usync type=get to=s.whatsapp.net><usync sid context=interactive
 *       mode=query last=true index=0><query><contact/><lid/></query>
 *       <list><user><contact>+33…</contact></user>…</list></usync></iq>
 *   -> <usync><list><user jid=<PN or LID> [pn_jid]><contact type=in|out/>
 *       <lid val/></user>…</list></usync>
 *
 * Does not: device lists (send_message.c does its own usync), business or
 * status queries, caching.
 * Invariants: at most WA_USYNC_MAX_PHONES per query; the parser never
 * trusts the answer (unknown users and extra entries are ignored).
 */
#ifndef PONTON_WAWEB_USYNC_H
#define PONTON_WAWEB_USYNC_H

#include <stddef.h>

#include "waweb/jid.h"

struct wa_client;
struct wa_node;

/* Phones in one query (the bridge asks one at a time; the apps batch). */
#define WA_USYNC_MAX_PHONES 64
/* E.164: at most 15 digits; a little room. */
#define WA_USYNC_PHONE_MAX 20

struct wa_usync_contact {
	char		 phone[WA_USYNC_PHONE_MAX + 1];	/* digits, as asked */
	int		 on_whatsapp;
	struct wa_jid	 pn;		/* has_pn: the phone-number account */
	int		 has_pn;
	struct wa_jid	 lid;		/* has_lid */
	int		 has_lid;
};

/* err/code as group.h's callbacks; c[0..n) in the order asked. */
typedef void (*wa_usync_contacts_cb)(void *arg, int err, int code,
    const struct wa_usync_contact *c, size_t n);

/*
 * Ask which of phones ("+33…" or digits; 1..WA_USYNC_MAX_PHONES) are on
 * WhatsApp.  Errors (cb not called): U_ERR_INVALID (a phone that is not
 * 7..WA_USYNC_PHONE_MAX digits after an optional '+'),
 * WA_ERR_NOT_CONNECTED.
 */
int wa_usync_contacts(struct wa_client *c, const char *const *phones,
    size_t n, wa_usync_contacts_cb cb, void *arg);

/* The iq (owned), NULL on bad phones; sid: the query id. */
struct wa_node *wa_usync_build_contacts(const char *const *phones, size_t n,
    const char *sid);
/*
 * Fill out[0..n) (phones as asked, digits only) from the answer.  Errors:
 * WA_ERR_BAD_NODE (no <usync><list>), WA_ERR_TOO_BIG (more users than
 * WA_USYNC_MAX_PHONES * 2), U_ERR_INVALID (bad phones).
 */
int wa_usync_parse_contacts(const struct wa_node *res,
    const char *const *phones, size_t n, struct wa_usync_contact *out);

#endif
