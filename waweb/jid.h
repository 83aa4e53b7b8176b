/*
 * jid.h: WhatsApp JIDs (addresses): parse, format, compare, classify.
 *
 * A JID is user, agent, device, integrator and server:
 *   15551234567@s.whatsapp.net     phone-number (PN) user
 *   15551234567:3@s.whatsapp.net   a device of it (device 0 = the phone)
 *   123456789012345@lid            LID user (domain type 1), 1234…:7@lid device
 *   1555…:99@hosted, …@hosted.lid  hosted (business API) devices, domain 128/129
 *   120363012345678901@g.us        group; status@broadcast; 1234…@newsletter
 *   s.whatsapp.net                 the server itself (empty user)
 *   15551234567@c.us               legacy user server; …@bot, …@call
 *   user:device@msgr               Messenger (FB_JID on the wire)
 *   user:device@interop            interop, with a 16-bit integrator id
 *   user.agent:device@server       AD JID with a raw agent (whatsmeow's form)
 *
 * The string form is whatsmeow's JID.String() (which mautrix-whatsapp stores
 * in its database): "user.agent:device@server" when agent > 0, else
 * "user:device@server" when device > 0, else "user@server", or just "server"
 * when the user is empty.  Device 0 is never printed.
 *
 * Invariants: a struct wa_jid is a plain value (no heap), its strings are
 * NUL-terminated, within WA_JID_USER_MAX / WA_JID_SERVER_MAX, free of NUL,
 * '@' and ':' and, for the server, non-empty.  Functions that produce one
 * (wa_jid_parse, wa_jid_make) validate; code that fills the fields by hand
 * must keep the invariants.
 */
#ifndef PONTON_WAWEB_JID_H
#define PONTON_WAWEB_JID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Longest user part we accept.  Real ones are at most ~26 bytes (legacy group
 * ids "<phone>-<unix time>"); 64 leaves room for new kinds without letting a
 * stranger's JID grow without bound.
 */
#define WA_JID_USER_MAX 64
/* Longest server: "s.whatsapp.net" is 14; new servers are short words. */
#define WA_JID_SERVER_MAX 32
/* Room for any formatted JID: user.255:65535@server + NUL. */
#define WA_JID_STR_MAX (WA_JID_USER_MAX + WA_JID_SERVER_MAX + 16)

/* Servers. */
#define WA_SERVER_USER		"s.whatsapp.net"
#define WA_SERVER_LID		"lid"
#define WA_SERVER_GROUP		"g.us"
#define WA_SERVER_LEGACY_USER	"c.us"
#define WA_SERVER_BROADCAST	"broadcast"
#define WA_SERVER_NEWSLETTER	"newsletter"
#define WA_SERVER_HOSTED	"hosted"
#define WA_SERVER_HOSTED_LID	"hosted.lid"
#define WA_SERVER_BOT		"bot"
#define WA_SERVER_CALL		"call"
#define WA_SERVER_MSGR		"msgr"
#define WA_SERVER_INTEROP	"interop"

/* Domain types carried in the AD_JID "agent" byte. */
#define WA_DOMAIN_WHATSAPP	0
#define WA_DOMAIN_LID		1
#define WA_DOMAIN_HOSTED	128
#define WA_DOMAIN_HOSTED_LID	129

struct wa_jid {
	char		user[WA_JID_USER_MAX + 1];
	char		server[WA_JID_SERVER_MAX + 1];
	uint8_t		agent;		/* raw agent; 0 for nearly every JID */
	uint16_t	device;		/* 0 = primary device / not a device */
	uint16_t	integrator;	/* interop only */
	/*
	 * Encoding hint, not part of the identity: write this JID as AD_JID
	 * even when device is 0 (set when a ":0" was parsed or an AD_JID was
	 * decoded), as Baileys does.  Ignored by wa_jid_equal and formatting.
	 */
	bool		ad;
};

/*
 * Parse the string form (above; also "user:0@server", which sets .ad).
 * Errors: WA_ERR_BAD_JID for anything else: empty server, over-long parts,
 * non-numeric or out-of-range agent/device, NUL, stray '@' or ':'.
 * *out is written only on success.
 */
int wa_jid_parse(const char *s, struct wa_jid *out);
/* Same for a string of known length (may be unterminated). */
int wa_jid_parse_n(const char *s, size_t len, struct wa_jid *out);
/*
 * Build a JID from parts (user may be "" or NULL); validates like
 * wa_jid_parse.  Errors: WA_ERR_BAD_JID.
 */
int wa_jid_make(struct wa_jid *out, const char *user, const char *server,
    uint16_t device);

/* Format into buf (size >= WA_JID_STR_MAX always suffices); returns buf. */
char *wa_jid_format(const struct wa_jid *j, char *buf, size_t size);

/* Same identity: user, agent, device, integrator, server (not .ad). */
bool wa_jid_equal(const struct wa_jid *a, const struct wa_jid *b);
/* Same user account: user and server only (any device). */
bool wa_jid_same_user(const struct wa_jid *a, const struct wa_jid *b);
/* The account JID: agent, device and .ad cleared (integrator kept). */
struct wa_jid wa_jid_to_non_ad(const struct wa_jid *j);

/*
 * The domain type: 0 for s.whatsapp.net, 1 lid, 128 hosted, 129 hosted.lid,
 * else the raw agent.
 */
uint8_t wa_jid_domain(const struct wa_jid *j);

bool wa_jid_is_user(const struct wa_jid *j);	/* PN, LID or hosted user */
bool wa_jid_is_pn(const struct wa_jid *j);	/* @s.whatsapp.net with a user */
bool wa_jid_is_lid(const struct wa_jid *j);	/* @lid */
bool wa_jid_is_hosted(const struct wa_jid *j);	/* @hosted or @hosted.lid */
bool wa_jid_is_group(const struct wa_jid *j);	/* @g.us */
bool wa_jid_is_broadcast(const struct wa_jid *j); /* @broadcast, not status */
bool wa_jid_is_status(const struct wa_jid *j);	/* status@broadcast */
bool wa_jid_is_newsletter(const struct wa_jid *j);
bool wa_jid_is_server(const struct wa_jid *j);	/* empty user */
bool wa_jid_is_bot(const struct wa_jid *j);

/*
 * The Signal protocol address of a device JID as whatsmeow writes it (and
 * mautrix-whatsapp's whatsmeow_* tables hold it): name "user" or
 * "user_<domain>" when the domain type is not 0, then ":" and the device:
 * "15551234567:0", "123456789012345_1:7".  Returns buf, or NULL if size is too
 * small.  wa_jid_signal_name writes the name part only.
 */
char *wa_jid_signal_address(const struct wa_jid *j, char *buf, size_t size);
char *wa_jid_signal_name(const struct wa_jid *j, char *buf, size_t size);

#endif
