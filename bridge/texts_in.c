/*
 * texts_in.c: the table of texts_in.h.  English is mautrix-whatsapp's
 * wording (pkg/msgconv, pkg/connector/events.go, chatinfo.go).
 */
#include <string.h>

#include "bridge/texts_in.h"
#include "util/buf.h"
#include "util/mem.h"

#define UNDEC_URL "https://faq.whatsapp.com/general/security-and-privacy/" \
    "seeing-waiting-for-this-message-this-may-take-a-while"

static const char *const texts[BR_LANG_COUNT][BR_TIN_COUNT_] = {
	[BR_LANG_EN] = {
		[BR_TIN_UNSUPPORTED] = "Unknown message type, please view it "
		    "on the WhatsApp app",
		[BR_TIN_UNDECRYPTABLE] = "Decrypting message from WhatsApp "
		    "failed, waiting for sender to re-send... (learn more (" UNDEC_URL "))",
		[BR_TIN_UNDECRYPTABLE_HTML] = "Decrypting message from "
		    "WhatsApp failed, waiting for sender to re-send... (<a "
		    "href=\"" UNDEC_URL "\">learn more</a>)",
		[BR_TIN_MEDIA_FAILED] = "Failed to bridge media: {0}",
		[BR_TIN_PRIVATE_CHAT_TOPIC] = "WhatsApp private chat",
		[BR_TIN_LOCATION] = "Location",
		[BR_TIN_INVITE] = "This invitation to join \"{0}\" can be "
		    "accepted on the WhatsApp app.",
		[BR_TIN_POLL] = "Poll",
	},
	[BR_LANG_FR] = {
		[BR_TIN_UNSUPPORTED] = "Type de message inconnu, ouvrez-le "
		    "dans l'application WhatsApp",
		[BR_TIN_UNDECRYPTABLE] = "Le déchiffrement du message WhatsApp "
		    "a échoué, en attente d'un nouvel envoi... (en savoir plus "
		    "(" UNDEC_URL "))",
		[BR_TIN_UNDECRYPTABLE_HTML] = "Le déchiffrement du message "
		    "WhatsApp a échoué, en attente d'un nouvel envoi... (<a "
		    "href=\"" UNDEC_URL "\">en savoir plus</a>)",
		[BR_TIN_MEDIA_FAILED] = "Le média n'a pas pu être transmis : "
		    "{0}",
		[BR_TIN_PRIVATE_CHAT_TOPIC] = "Discussion privée WhatsApp",
		[BR_TIN_LOCATION] = "Position",
		[BR_TIN_INVITE] = "Cette invitation à rejoindre « {0} » peut "
		    "être acceptée dans l'application WhatsApp.",
		[BR_TIN_POLL] = "Sondage",
	},
};

const char *
br_text_in(enum br_lang lang, enum br_text_in_id id)
{
	const char *s;

	if ((unsigned)lang >= BR_LANG_COUNT)
		lang = BR_LANG_EN;
	if ((unsigned)id >= BR_TIN_COUNT_)
		return "";
	s = texts[lang][id];
	return s != NULL ? s : texts[BR_LANG_EN][id];
}

char *
br_text_in_fmt(enum br_lang lang, enum br_text_in_id id, const char *a0)
{
	const char *t = br_text_in(lang, id), *p;
	size_t n = strlen(t), an = a0 != NULL ? strlen(a0) : 0;
	char *out = u_malloc(n + an + 1), *o = out;

	/* One placeholder at most; the text is ours, a0 is copied as is. */
	if ((p = strstr(t, "{0}")) != NULL) {
		memcpy(o, t, (size_t)(p - t));
		o += p - t;
		if (an > 0)
			memcpy(o, a0, an);
		o += an;
		strcpy(o, p + 3);
	} else
		strcpy(o, t);
	return out;
}
