/*
 * texts_community.c: the community feature's texts in English and French
 * and their placeholder filling (see texts_community.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/texts_community.h"
#include "util/buf.h"
#include "util/mem.h"

/* A filled text past this is our bug (a runaway argument): cut it. */
#define CTEXT_OUT_MAX	((size_t)16 << 10)

static const char *const ctexts[BR_CT_COUNT][BR_LANG_COUNT] = {
	[BR_CT_WELCOME] = {
	    "Hello! This WhatsApp group can be followed from Matrix "
	    "through the bridge of {1}. To bring your Matrix account in, "
	    "type here: {0} @yourname:{1}\n"
	    "Only accounts of the community can be named. Type {0} help "
	    "for help.",
	    "Bonjour ! Ce groupe WhatsApp peut être suivi depuis Matrix "
	    "grâce à la passerelle de {1}. Pour y amener votre compte "
	    "Matrix, tapez ici : {0} @votrepseudo:{1}\n"
	    "Seuls les comptes de la communauté peuvent être nommés. Tapez "
	    "{0} aide pour l'aide." },
	[BR_CT_WA_INVITED] = {
	    "{0} is invited to this group's Matrix room, as its admin.",
	    "{0} est invité·e dans le salon Matrix de ce groupe, en tant "
	    "qu'administrateur·ice." },
	[BR_CT_WA_NOT_MEMBER] = {
	    "{0} is not an account of the community: only accounts of {1} "
	    "can be named. Nothing was done.",
	    "{0} n'est pas un compte de la communauté : seuls les comptes "
	    "de {1} peuvent être nommés. Rien n'a été fait." },
	[BR_CT_WA_HELP] = {
	    "Commands of the Matrix bridge:\n"
	    "{0} @yourname:{1} - invite that Matrix account into this "
	    "group's Matrix room, as its admin (the room is created if "
	    "needed)\n"
	    "{0} help - this help (French: {0} aide)",
	    "Commandes de la passerelle Matrix :\n"
	    "{0} @votrepseudo:{1} - invite ce compte Matrix dans le salon "
	    "Matrix de ce groupe, en tant qu'administrateur·ice (le salon "
	    "est créé si besoin)\n"
	    "{0} aide - cette aide (en anglais : {0} help)" },
	[BR_CT_WA_FAILED] = {
	    "That did not work ({0}). Try again later or ask the bridge's "
	    "admins.",
	    "Cela n'a pas marché ({0}). Réessayez plus tard ou demandez aux "
	    "administrateurs de la passerelle." },
	[BR_CT_UNKNOWN] = {
	    "Unknown command. Type {0} help for help.",
	    "Commande inconnue. Tapez {0} aide pour l'aide." },
	[BR_CT_BAD_USER] = {
	    "That is not a Matrix user ID. Example: {0} @yourname:{1}",
	    "Ce n'est pas un identifiant Matrix. Exemple : {0} "
	    "@votrepseudo:{1}" },
	[BR_CT_BAD_PHONE] = {
	    "That is not a phone number in international format. Example: "
	    "{0} whatsapp +33612345678",
	    "Ce n'est pas un numéro de téléphone au format international. "
	    "Exemple : {0} whatsapp +33612345678" },
	[BR_CT_RATE] = {
	    "Too many commands: wait a minute, then try again.",
	    "Trop de commandes : attendez une minute, puis réessayez." },
	[BR_CT_ADD_RATE] = {
	    "Too many phone numbers were added today (adding numbers gets "
	    "the shared account banned): send the group's invite link "
	    "instead.",
	    "Trop de numéros ont été ajoutés aujourd'hui (ajouter des "
	    "numéros fait bannir le compte partagé) : envoyez plutôt le "
	    "lien d'invitation du groupe." },
	[BR_CT_NO_RELAY] = {
	    "The community's WhatsApp account is not connected to the "
	    "bridge: ask the bridge's admins.",
	    "Le compte WhatsApp de la communauté n'est pas connecté à la "
	    "passerelle : demandez aux administrateurs de la passerelle." },
	[BR_CT_MX_HELP] = {
	    "**Community commands**\n\n"
	    "`{0} whatsapp` - create a WhatsApp group for this room and "
	    "bridge them (you alone in a private, unencrypted room, as its "
	    "admin); in a room already bridged, turn relaying back on\n\n"
	    "`{0} whatsapp +33612345678` - add that number to the WhatsApp "
	    "group (prefer sending the invite link)\n\n"
	    "`{0} reset` - repair this room's bridge\n\n"
	    "`{0} help` - this help (French: `{0} aide`)",
	    "**Commandes de la communauté**\n\n"
	    "`{0} whatsapp` - crée un groupe WhatsApp pour ce salon et les "
	    "relie (vous seul·e dans un salon privé non chiffré, en tant "
	    "qu'administrateur·ice) ; dans un salon déjà relié, remet le "
	    "relai en marche\n\n"
	    "`{0} whatsapp +33612345678` - ajoute ce numéro au groupe "
	    "WhatsApp (préférez l'envoi du lien d'invitation)\n\n"
	    "`{0} reset` - répare la passerelle de ce salon\n\n"
	    "`{0} aide` - cette aide (en anglais : `{0} help`)" },
	[BR_CT_MX_NOT_MEMBER] = {
	    "Only accounts of the community can use `{0}` commands.",
	    "Seuls les comptes de la communauté peuvent utiliser les "
	    "commandes `{0}`." },
	[BR_CT_MX_NOT_ALONE] = {
	    "To create a WhatsApp group from this room, you must be alone "
	    "in it with the bots. Nothing was done.",
	    "Pour créer un groupe WhatsApp depuis ce salon, vous devez y "
	    "être seul·e avec les robots. Rien n'a été fait." },
	[BR_CT_MX_ENCRYPTED] = {
	    "This room is encrypted, so the bridge cannot read it. Create a "
	    "private room without encryption. Nothing was done.",
	    "Ce salon est chiffré, la passerelle ne peut pas le lire. Créez "
	    "un salon privé non chiffré. Rien n'a été fait." },
	[BR_CT_MX_PUBLIC] = {
	    "This room is public. Create a private room. Nothing was done.",
	    "Ce salon est public. Créez un salon privé. Rien n'a été fait." },
	[BR_CT_MX_NOT_ADMIN] = {
	    "You must be this room's admin (power level 100). Nothing was "
	    "done.",
	    "Vous devez être administrateur·ice de ce salon (niveau 100). "
	    "Rien n'a été fait." },
	[BR_CT_MX_BOT_PL] = {
	    "The bridge bot {0} needs admin rights (power level 100) in "
	    "this room to keep it bridged: give them, then type "
	    "`{1} whatsapp` again.",
	    "Le robot de la passerelle {0} a besoin des droits "
	    "d'administration (niveau 100) dans ce salon pour le garder "
	    "relié : donnez-les-lui, puis tapez à nouveau `{1} whatsapp`." },
	[BR_CT_MX_CREATED] = {
	    "This room is now bridged to a new WhatsApp group. Send this "
	    "invite link to your contacts: {0}",
	    "Ce salon est désormais relié à un nouveau groupe WhatsApp. "
	    "Envoyez ce lien d'invitation à vos contacts : {0}" },
	[BR_CT_MX_RELAY_ON] = {
	    "This room is bridged to WhatsApp and relaying is on: your "
	    "messages reach the WhatsApp group.",
	    "Ce salon est relié à WhatsApp et le relai est en marche : vos "
	    "messages arrivent dans le groupe WhatsApp." },
	[BR_CT_MX_NOT_PORTAL] = {
	    "This room is not bridged to WhatsApp: type `{0} whatsapp` "
	    "first.",
	    "Ce salon n'est pas relié à WhatsApp : tapez d'abord "
	    "`{0} whatsapp`." },
	[BR_CT_MX_ADDED] = {
	    "{0} was added to the WhatsApp group.",
	    "{0} a été ajouté·e au groupe WhatsApp." },
	[BR_CT_MX_ADD_INVITED] = {
	    "WhatsApp refused to add {0} directly (their privacy "
	    "settings): they were sent an invitation to the group instead.",
	    "WhatsApp a refusé d'ajouter {0} directement (ses réglages de "
	    "confidentialité) : une invitation au groupe lui a été envoyée "
	    "à la place." },
	[BR_CT_MX_NOT_ON_WA] = {
	    "{0} is not on WhatsApp. Nothing was done.",
	    "{0} n'est pas sur WhatsApp. Rien n'a été fait." },
	[BR_CT_MX_ADD_FAILED] = {
	    "Adding {0} failed: {1}",
	    "L'ajout de {0} a échoué : {1}" },
	[BR_CT_MX_RESET_DONE] = {
	    "Bridge repaired: relaying on, bots and WhatsApp members "
	    "joined, bridge state sent again.",
	    "Passerelle réparée : relai en marche, robots et membres "
	    "WhatsApp présents, état de la passerelle renvoyé." },
	[BR_CT_MX_FAILED] = {
	    "That did not work: {0}",
	    "Cela n'a pas marché : {0}" },
	[BR_CT_MX_BOT_HELLO] = {
	    "Hello! Type `{0} whatsapp` to bridge this room to a new "
	    "WhatsApp group, or `{0} help` for help.",
	    "Bonjour ! Tapez `{0} whatsapp` pour relier ce salon à un "
	    "nouveau groupe WhatsApp, ou `{0} aide` pour l'aide." },
	[BR_CT_PHONE_WARN] = {
	    "The phone of the community's WhatsApp account {0} has not "
	    "been seen for {1} days. WhatsApp unlinks the bridge after "
	    "about 14 days: open WhatsApp on that phone, connected to the "
	    "internet.",
	    "Le téléphone du compte WhatsApp de la communauté {0} n'a pas "
	    "été vu depuis {1} jours. WhatsApp déconnecte la passerelle "
	    "après environ 14 jours : ouvrez WhatsApp sur ce téléphone, "
	    "connecté à internet." },
};

const char *
br_ctext(enum br_lang lang, enum br_ctext_id id)
{
	if ((unsigned)id >= BR_CT_COUNT)
		return "";
	if ((unsigned)lang >= BR_LANG_COUNT)
		lang = BR_LANG_EN;
	return ctexts[id][lang] != NULL ? ctexts[id][lang] : "";
}

char *
br_ctext_fill(const char *tmpl, const char *a0, const char *a1)
{
	struct u_buf b;
	const char *p;
	size_t len;

	u_buf_init(&b, 0);
	for (p = tmpl; *p != '\0' && b.len < CTEXT_OUT_MAX; ) {
		const char *arg = NULL;
		size_t skip = 0;

		if (strncmp(p, "{0}", 3) == 0 ||
		    strncmp(p, "{prefix}", 8) == 0) {
			arg = a0;
			skip = p[1] == '0' ? 3 : 8;
		} else if (strncmp(p, "{1}", 3) == 0 ||
		    strncmp(p, "{domain}", 8) == 0) {
			arg = a1;
			skip = p[1] == '1' ? 3 : 8;
		}
		if (skip > 0) {
			if (arg != NULL)
				(void)u_buf_add(&b, arg, strnlen(arg,
				    CTEXT_OUT_MAX));
			p += skip;
		} else
			(void)u_buf_add_u8(&b, (uint8_t)*p++);
	}
	if (b.len > CTEXT_OUT_MAX)
		b.len = CTEXT_OUT_MAX;
	(void)u_buf_add_u8(&b, '\0');
	return (char *)u_buf_steal(&b, &len);
}

char *
br_ctext_fmt(enum br_lang lang, enum br_ctext_id id, const char *a0,
    const char *a1)
{
	return br_ctext_fill(br_ctext(lang, id), a0, a1);
}
