/*
 * texts_out.c: the Matrix -> WhatsApp notices in English and French (see
 * texts_out.h).  The English texts are mautrix-go bridgev2's
 * (messagestatus.go ToNoticeEvent, errors.go) word for word.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/texts_out.h"
#include "util/buf.h"
#include "util/mem.h"

/* A filled text past this is a runaway argument (a network reason is a
 * short line): cut, never grown without bound. */
#define OUT_TEXT_MAX	((size_t)8 << 10)

static const char *const texts[BR_OTX_COUNT][BR_LANG_COUNT] = {
	[BR_OTX_MSG_NOT] = {
	    "\u26a0\ufe0f Your message was not bridged: {0}",
	    "\u26a0\ufe0f Votre message n'a pas été transmis : {0}" },
	[BR_OTX_MSG_MAYBE] = {
	    "\u26a0\ufe0f Your message may not have been bridged: {0}",
	    "\u26a0\ufe0f Votre message n'a peut-être pas été transmis : {0}" },
	[BR_OTX_REACTION_NOT] = {
	    "\u26a0\ufe0f Your reaction was not bridged: {0}",
	    "\u26a0\ufe0f Votre réaction n'a pas été transmise : {0}" },
	[BR_OTX_REACTION_MAYBE] = {
	    "\u26a0\ufe0f Your reaction may not have been bridged: {0}",
	    "\u26a0\ufe0f Votre réaction n'a peut-être pas été transmise : "
	    "{0}" },
	[BR_OTX_REDACTION_NOT] = {
	    "\u26a0\ufe0f Your redaction was not bridged: {0}",
	    "\u26a0\ufe0f Votre suppression n'a pas été transmise : {0}" },
	[BR_OTX_REDACTION_MAYBE] = {
	    "\u26a0\ufe0f Your redaction may not have been bridged: {0}",
	    "\u26a0\ufe0f Votre suppression n'a peut-être pas été transmise : "
	    "{0}" },
	[BR_OTX_NOT_LOGGED_IN] = {
	    "You're not logged in",
	    "Vous n'êtes pas connecté" },
	[BR_OTX_UNSUPPORTED_TYPE] = {
	    "unsupported message type",
	    "type de message non pris en charge" },
	[BR_OTX_UNSUPPORTED_MEDIA] = {
	    "unsupported media type {0}",
	    "type de média non pris en charge {0}" },
	[BR_OTX_MEDIA_DOWNLOAD] = {
	    "failed to download media",
	    "échec du téléchargement du média" },
	[BR_OTX_MEDIA_TOO_LARGE] = {
	    "media too large",
	    "média trop volumineux" },
	[BR_OTX_NO_RELAY_FORMAT] = {
	    "relay format for \"{0}\" is not defined in config",
	    "aucun format de relais pour « {0} » dans la configuration" },
	[BR_OTX_TARGET_NOT_FOUND] = {
	    "target message not found",
	    "message cible introuvable" },
	[BR_OTX_DATABASE] = {
	    "internal database error",
	    "erreur interne de base de données" },
	[BR_OTX_CONVERT] = {
	    "failed to convert message: {0}",
	    "échec de la conversion du message : {0}" },
	[BR_OTX_NETWORK] = {
	    "{0}",
	    "WhatsApp : {0}" },
	[BR_OTX_IGNORING_NOTICE] = {
	    "ignoring m.notice message",
	    "message m.notice ignoré" },
	[BR_OTX_RELAYED_REACTION] = {
	    "ignoring reaction event from relayed user",
	    "réaction d'un utilisateur relayé ignorée" },
	[BR_OTX_DM_META] = {
	    "cannot set room {0} for DM",
	    "impossible de changer ce réglage ({0}) d'une conversation "
	    "privée" },
	[BR_OTX_AVATAR_FORMAT] = {
	    "unsupported avatar format ({0}): WhatsApp takes JPEG",
	    "format d'avatar non pris en charge ({0}) : WhatsApp prend du "
	    "JPEG" },
	[BR_OTX_BAD_STATE_KEY] = {
	    "room metadata state key is unset or non-empty",
	    "clé d'état des métadonnées du salon absente ou non vide" },
};

const char *
br_out_text(enum br_lang lang, enum br_out_text id)
{
	if ((unsigned)id >= BR_OTX_COUNT)
		return "";
	if ((unsigned)lang >= BR_LANG_COUNT)
		lang = BR_LANG_EN;
	return texts[id][lang] != NULL ? texts[id][lang] : texts[id][0];
}

char *
br_out_text_fmt(enum br_lang lang, enum br_out_text id, const char *a0)
{
	const char *p = br_out_text(lang, id), *q;
	struct u_buf b;
	int err = 0;

	u_buf_init(&b, OUT_TEXT_MAX);
	while ((q = strstr(p, "{0}")) != NULL) {
		err |= u_buf_add(&b, p, (size_t)(q - p));
		err |= u_buf_add_str(&b, a0 != NULL ? a0 : "");
		p = q + 3;
	}
	err |= u_buf_add_str(&b, p);
	if (err != 0) {
		/* Over the cap: the reason is dropped, the text stays. */
		u_buf_free(&b);
		return u_strdup(br_out_text(lang, id));
	}
	return (char *)u_buf_steal(&b, NULL);
}
