/*
 * texts.c: the bot's texts in English and French, placeholder filling and
 * the Markdown subset renderer (see texts.h for the contract).
 *
 * The English texts are upstream's (mautrix-go bridgev2 and its commands
 * package) word for word, Markdown included, because users compare them
 * with mautrix-whatsapp's documentation.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge/texts.h"
#include "util/buf.h"
#include "util/mem.h"

/* Texts are short; a filled or rendered text past this is our bug (a
 * runaway argument), and is cut rather than grown without bound. */
#define TEXT_OUT_MAX	((size_t)64 << 10)

struct text {
	const char	*t[BR_LANG_COUNT];
};

static const struct text texts[BR_TXT_COUNT] = {
	[BR_TXT_WELCOME_NEW] = { {
	    "Hello, I'm a WhatsApp bridge bot.\n\nUse `help` for help or "
	    "`login` to log in.\n\nThis room has been marked as your "
	    "management room.",
	    "Bonjour, je suis le robot de la passerelle WhatsApp.\n\n"
	    "Utilisez `help` pour l'aide ou `login` pour vous connecter.\n\n"
	    "Ce salon est désormais votre salon de gestion." } },
	[BR_TXT_WELCOME_EXISTING] = { {
	    "Hello, I'm a WhatsApp bridge bot.\n\nUse `{0} help` for help.",
	    "Bonjour, je suis le robot de la passerelle WhatsApp.\n\n"
	    "Utilisez `{0} help` pour l'aide." } },
	[BR_TXT_NO_PERM_INTERACT] = { {
	    "You don't have permission to interact with this bridge",
	    "Vous n'avez pas la permission d'utiliser cette passerelle" } },
	[BR_TXT_NO_PERM_COMMANDS] = { {
	    "You don't have permission to send commands to this bridge",
	    "Vous n'avez pas la permission d'envoyer des commandes à cette "
	    "passerelle" } },
	[BR_TXT_UNKNOWN_COMMAND] = { {
	    "Unknown command, use the `help` command for help.",
	    "Commande inconnue, utilisez la commande `help` pour l'aide." } },
	[BR_TXT_ADMIN_ONLY] = { {
	    "That command is limited to bridge administrators.",
	    "Cette commande est réservée aux administrateurs de la "
	    "passerelle." } },
	[BR_TXT_NO_LOGIN_PERM] = { {
	    "You do not have permissions to log into this bridge.",
	    "Vous n'avez pas la permission de vous connecter à cette "
	    "passerelle." } },
	[BR_TXT_NEEDS_ROOM_ADMIN] = { {
	    "That command requires room admin rights.",
	    "Cette commande demande les droits d'administration du salon." } },
	[BR_TXT_NEEDS_PORTAL] = { {
	    "That command can only be ran in portal rooms.",
	    "Cette commande ne fonctionne que dans un salon portail." } },
	[BR_TXT_NEEDS_LOGIN] = { {
	    "That command requires you to be logged in.",
	    "Cette commande demande que vous soyez connecté." } },
	[BR_TXT_CANCELLED] = { {
	    "{0} cancelled.",
	    "{0} : annulé." } },
	[BR_TXT_UNKNOWN_ACTION] = { {
	    "Unknown action",
	    "Action inconnue" } },
	[BR_TXT_NO_ONGOING] = { {
	    "No ongoing command.",
	    "Aucune commande en cours." } },
	[BR_TXT_HELP_PREFIX_MGMT] = { {
	    "This is your management room: prefixing commands with `{0}` is "
	    "not required.",
	    "Ceci est votre salon de gestion : le préfixe `{0}` devant les "
	    "commandes n'est pas nécessaire." } },
	[BR_TXT_HELP_PREFIX_PORTAL] = { {
	    "**This is a portal room**: you must always prefix commands with "
	    "`{0}`. Management commands will not be bridged.",
	    "**Ceci est un salon portail** : préfixez toujours les commandes "
	    "par `{0}`. Les commandes de gestion ne seront pas relayées." } },
	[BR_TXT_HELP_PREFIX_OTHER] = { {
	    "This is not your management room: prefixing commands with `{0}` "
	    "is required.",
	    "Ceci n'est pas votre salon de gestion : préfixez les commandes "
	    "par `{0}`." } },
	[BR_TXT_HELP_PARAMS] = { {
	    "Parameters in [square brackets] are optional, while parameters "
	    "in <angle brackets> are required.",
	    "Les paramètres entre [crochets] sont facultatifs, ceux entre "
	    "<chevrons> sont obligatoires." } },
	[BR_TXT_SEC_GENERAL] = { { "General", "Général" } },
	[BR_TXT_SEC_AUTH] = { { "Authentication", "Authentification" } },
	[BR_TXT_SEC_CHATS] = { { "Starting and managing chats",
	    "Démarrer et gérer les discussions" } },
	[BR_TXT_SEC_MISC] = { { "Miscellaneous", "Divers" } },
	[BR_TXT_SEC_ADMIN] = { { "Administration", "Administration" } },
	[BR_TXT_DESC_HELP] = { {
	    "Show this help message.",
	    "Afficher ce message d'aide." } },
	[BR_TXT_DESC_CANCEL] = { {
	    "Cancel an ongoing action.",
	    "Annuler une action en cours." } },
	[BR_TXT_DESC_VERSION] = { {
	    "Get the bridge version.",
	    "Afficher la version de la passerelle." } },
	[BR_TXT_DESC_SET_MGMT] = { {
	    "Mark this room as your management room",
	    "Faire de ce salon votre salon de gestion" } },
	[BR_TXT_VERSION] = { {
	    "ponton {0} (mautrix-whatsapp {1} compatible)",
	    "ponton {0} (compatible avec mautrix-whatsapp {1})" } },
	[BR_TXT_MEMBERS_FAILED] = { {
	    "Failed to get room members",
	    "Impossible d'obtenir la liste des membres du salon" } },
	[BR_TXT_MGMT_BOT_MISSING] = { {
	    "The bridge bot must be in the room to set it as your management "
	    "room",
	    "Le robot de la passerelle doit être dans le salon pour en faire "
	    "votre salon de gestion" } },
	[BR_TXT_MGMT_NOT_TWO] = { {
	    "Your management room must not have any members other than you "
	    "and the bridge bot",
	    "Votre salon de gestion ne doit avoir aucun autre membre que vous "
	    "et le robot de la passerelle" } },
	[BR_TXT_MGMT_SAVE_FAILED] = { {
	    "Failed to save management room",
	    "Impossible d'enregistrer le salon de gestion" } },
	[BR_TXT_MGMT_UPDATED] = { {
	    "Management room updated",
	    "Salon de gestion mis à jour" } },
	[BR_TXT_DESC_LOGIN] = { {
	    "Log into the bridge",
	    "Se connecter à la passerelle" } },
	[BR_TXT_DESC_LOGOUT] = { {
	    "Log out of the bridge",
	    "Se déconnecter de la passerelle" } },
	[BR_TXT_DESC_LIST_LOGINS] = { {
	    "List your logins",
	    "Lister vos connexions" } },
	[BR_TXT_DESC_RELOGIN] = { {
	    "Re-authenticate an existing login",
	    "Se reconnecter sur une connexion existante" } },
	[BR_TXT_DESC_BRIDGE] = { {
	    "Bridge an existing chat on the remote network to this Matrix room",
	    "Relier une discussion WhatsApp existante à ce salon Matrix" } },
	[BR_TXT_BRIDGE_NO_PERM] = { {
	    "You don't have permission to bridge this room",
	    "Vous n'avez pas la permission de relier ce salon" } },
	[BR_TXT_BRIDGE_ALREADY] = { {
	    "This room is already bridged to `{0}`{1} on WhatsApp",
	    "Ce salon est déjà relié à `{0}`{1} sur WhatsApp" } },
	[BR_TXT_BRIDGE_USAGE] = { {
	    "Usage: `{0} bridge [login ID] <chat ID>`",
	    "Utilisation : `{0} bridge [ID de connexion] <ID de discussion>`" } },
	[BR_TXT_BRIDGE_PL_FAILED] = { {
	    "Failed to check power levels in room: {0}",
	    "Impossible de vérifier les niveaux de pouvoir du salon : {0}" } },
	[BR_TXT_BRIDGE_ROOM_PL_FAILED] = { {
	    "Failed to get room power levels to see if you're allowed to use "
	    "that command",
	    "Impossible d'obtenir les niveaux de pouvoir du salon pour savoir "
	    "si vous pouvez utiliser cette commande" } },
	[BR_TXT_BRIDGE_BOT_PL] = { {
	    "I don't have sufficient permissions for `m.bridge` events. Adjust "
	    "power levels or use the `--ignore-permissions` flag to ignore.",
	    "Je n'ai pas le niveau de pouvoir requis pour les événements "
	    "`m.bridge`. Ajustez les niveaux de pouvoir ou utilisez l'option "
	    "`--ignore-permissions` pour passer outre." } },
	[BR_TXT_BRIDGE_BAD_CHAT] = { {
	    "`{0}` is not a WhatsApp chat ID (for example "
	    "`120363012345678901@g.us`)",
	    "`{0}` n'est pas un identifiant de discussion WhatsApp (par "
	    "exemple `120363012345678901@g.us`)" } },
	[BR_TXT_BRIDGE_NOT_LOGGED_IN] = { {
	    "You're not logged in",
	    "Vous n'êtes pas connecté" } },
	[BR_TXT_BRIDGE_CANT_OVERWRITE] = { {
	    "That chat is already bridged to another room, and you don't have "
	    "the permission to delete it.",
	    "Cette discussion est déjà reliée à un autre salon, et vous n'avez "
	    "pas la permission de le supprimer." } },
	[BR_TXT_BRIDGE_USE_OVERWRITE] = { {
	    "That chat is already bridged to [{0}]({1}). Use `--overwrite` to "
	    "delete the existing room.",
	    "Cette discussion est déjà reliée à [{0}]({1}). Utilisez "
	    "`--overwrite` pour supprimer le salon existant." } },
	[BR_TXT_BRIDGE_FAILED] = { {
	    "Failed to plumb room: {0}",
	    "Impossible de relier le salon : {0}" } },
	[BR_TXT_BRIDGE_DONE] = { {
	    "Successfully plumbed this room to `{0}` on WhatsApp",
	    "Ce salon est désormais relié à `{0}` sur WhatsApp" } },
	[BR_TXT_SEC_INVITES] = { {
	    "Group invites",
	    "Invitations de groupe" } },
	[BR_TXT_DESC_SET_RELAY] = { {
	    "Use your account to relay messages sent by users who haven't "
	    "logged in",
	    "Utiliser votre compte pour relayer les messages des "
	    "utilisateurs non connectés" } },
	[BR_TXT_DESC_UNSET_RELAY] = { {
	    "Stop relaying messages sent by users who haven't logged in",
	    "Ne plus relayer les messages des utilisateurs non connectés" } },
	[BR_TXT_DESC_ID] = { {
	    "View the internal network ID of the current portal room",
	    "Afficher l'identifiant WhatsApp interne de ce salon portail" } },
	[BR_TXT_DESC_UNBRIDGE] = { {
	    "Unbridge the current portal room",
	    "Délier ce salon portail" } },
	[BR_TXT_DESC_DELETE_PORTAL] = { {
	    "Delete the current portal room",
	    "Supprimer ce salon portail" } },
	[BR_TXT_DESC_SET_PL] = { {
	    "Change the power level in a portal room.",
	    "Changer un niveau de pouvoir dans un salon portail." } },
	[BR_TXT_DESC_RESOLVE] = { {
	    "Check if a given identifier is on the remote network",
	    "Vérifier si un identifiant existe sur WhatsApp" } },
	[BR_TXT_DESC_START_CHAT] = { {
	    "Start a direct chat with the given user",
	    "Démarrer une discussion privée avec cet utilisateur" } },
	[BR_TXT_DESC_CREATE_GROUP] = { {
	    "Create a new group chat for the current Matrix room",
	    "Créer un groupe WhatsApp pour ce salon Matrix" } },
	[BR_TXT_DESC_INVITE_LINK] = { {
	    "Get an invite link to the current group chat, optionally "
	    "regenerating the link and revoking the old link.",
	    "Obtenir le lien d'invitation de ce groupe, en le régénérant "
	    "éventuellement (l'ancien lien est alors révoqué)." } },
	[BR_TXT_DESC_JOIN] = { {
	    "Join a group chat with an invite link.",
	    "Rejoindre un groupe avec un lien d'invitation." } },
	[BR_TXT_DESC_SYNC] = { {
	    "Sync data from WhatsApp.",
	    "Synchroniser des données depuis WhatsApp." } },
	[BR_TXT_NET_UNSUPPORTED] = { {
	    "not supported by the WhatsApp side",
	    "non pris en charge par le côté WhatsApp" } },
	[BR_TXT_RECEIVER_PART] = { {
	    " (receiver: `{0}`)",
	    " (destinataire : `{0}`)" } },
	[BR_TXT_LOGIN_NOT_FOUND] = { {
	    "Login not found",
	    "Connexion introuvable" } },
	[BR_TXT_RELAY_DISABLED] = { {
	    "This bridge does not allow relay mode",
	    "Cette passerelle n'autorise pas le mode relais" } },
	[BR_TXT_RELAY_NO_PERM] = { {
	    "You don't have permission to manage the relay in this room",
	    "Vous n'avez pas la permission de gérer le relais dans ce salon" } },
	[BR_TXT_RELAY_NO_DEFAULTS] = { {
	    "You're not logged in and there are no default relay users "
	    "configured",
	    "Vous n'êtes pas connecté et aucun relais par défaut n'est "
	    "configuré" } },
	[BR_TXT_RELAY_LOGINS_FAILED] = { {
	    "Failed to get logins in portal to find default relay",
	    "Impossible d'obtenir les connexions du portail pour trouver le "
	    "relais par défaut" } },
	[BR_TXT_RELAY_SELF_FORBIDDEN_NONE] = { {
	    "You're not allowed to use yourself as relay and none of the "
	    "default relay users are in the chat",
	    "Vous ne pouvez pas servir vous-même de relais et aucun des "
	    "relais par défaut n'est dans la discussion" } },
	[BR_TXT_RELAY_NONE_IN_CHAT] = { {
	    "None of the default relay users are in the chat. If you want to "
	    "use yourself as the relay, specify your login ID explicitly",
	    "Aucun des relais par défaut n'est dans la discussion. Pour "
	    "servir vous-même de relais, indiquez explicitement votre "
	    "identifiant de connexion" } },
	[BR_TXT_RELAY_NOT_LOGGED_IN_NONE] = { {
	    "You're not logged in and none of the default relay users are in "
	    "the chat",
	    "Vous n'êtes pas connecté et aucun des relais par défaut n'est "
	    "dans la discussion" } },
	[BR_TXT_RELAY_SPLIT_RECEIVER] = { {
	    "In split portals, only the receiver ({0}) can be set as relay",
	    "Dans les portails séparés, seul le destinataire ({0}) peut "
	    "servir de relais" } },
	[BR_TXT_RELAY_LOGIN_NOT_FOUND] = { {
	    "User login with ID `{0}` not found",
	    "Connexion d'identifiant `{0}` introuvable" } },
	[BR_TXT_RELAY_OTHERS_ADMIN_ONLY] = { {
	    "Only bridge admins can set another user's login as the relay",
	    "Seuls les administrateurs de la passerelle peuvent choisir la "
	    "connexion d'un autre utilisateur comme relais" } },
	[BR_TXT_RELAY_SELF_FORBIDDEN] = { {
	    "You're not allowed to use yourself as relay",
	    "Vous ne pouvez pas servir vous-même de relais" } },
	[BR_TXT_RELAY_SAVE_FAILED] = { {
	    "Failed to save relay settings",
	    "Impossible d'enregistrer le réglage du relais" } },
	[BR_TXT_RELAY_SET] = { {
	    "Messages sent by users who haven't logged in will now be "
	    "relayed through {0} ({1}'s login)",
	    "Les messages des utilisateurs non connectés seront désormais "
	    "relayés par {0} (connexion de {1})" } },
	[BR_TXT_RELAY_NONE] = { {
	    "This portal doesn't have a relay set.",
	    "Ce portail n'a pas de relais." } },
	[BR_TXT_RELAY_UNSET] = { {
	    "Stopped relaying messages for users who haven't logged in",
	    "Les messages des utilisateurs non connectés ne sont plus relayés" } },
	[BR_TXT_ID_IS] = { {
	    "This room is bridged to `{0}`{1} on WhatsApp",
	    "Ce salon est relié à `{0}`{1} sur WhatsApp" } },
	[BR_TXT_UNBRIDGE_NO_PERM] = { {
	    "You don't have permission to unbridge this portal",
	    "Vous n'avez pas la permission de délier ce portail" } },
	[BR_TXT_UNBRIDGE_FAILED] = { {
	    "Failed to remove portal mxid: {0}",
	    "Impossible de retirer le salon du portail : {0}" } },
	[BR_TXT_CLEANUP_FAILED] = { {
	    "Failed to clean up room: {0}",
	    "Impossible de nettoyer le salon : {0}" } },
	[BR_TXT_DELETE_FAILED] = { {
	    "Failed to delete portal: {0}",
	    "Impossible de supprimer le portail : {0}" } },
	[BR_TXT_PL_BAD_LEVEL] = { {
	    "Invalid power level \"{0}\"",
	    "Niveau de pouvoir invalide « {0} »" } },
	[BR_TXT_PL_BAD_USER] = { {
	    "Invalid user ID \"{0}\"",
	    "Identifiant d'utilisateur invalide « {0} »" } },
	[BR_TXT_PL_USAGE] = { {
	    "**Usage:** `set-pl [user] <level>`",
	    "**Utilisation :** `set-pl [utilisateur] <niveau>`" } },
	[BR_TXT_PL_FAILED] = { {
	    "Failed to set power levels: {0}",
	    "Impossible de changer les niveaux de pouvoir : {0}" } },
	[BR_TXT_RESOLVE_USAGE] = { {
	    "Usage: `{0} {1} <identifier>`",
	    "Utilisation : `{0} {1} <identifiant>`" } },
	[BR_TXT_RESOLVE_UNSUPPORTED] = { {
	    "This bridge does not support resolving identifiers",
	    "Cette passerelle ne sait pas résoudre les identifiants" } },
	[BR_TXT_RESOLVE_FAILED] = { {
	    "Failed to resolve identifier: {0}",
	    "Impossible de résoudre l'identifiant : {0}" } },
	[BR_TXT_RESOLVE_NOT_ON_WA] = { {
	    "the server said +{0} is not on WhatsApp",
	    "le serveur indique que +{0} n'est pas sur WhatsApp" } },
	[BR_TXT_RESOLVE_EMAIL] = { {
	    "WhatsApp only supports phone numbers as user identifiers. "
	    "Number looks like email",
	    "WhatsApp n'accepte que des numéros de téléphone comme "
	    "identifiants. Ce numéro ressemble à une adresse e-mail" } },
	[BR_TXT_RESOLVE_FOUND] = { {
	    "Found {0}",
	    "Trouvé : {0}" } },
	[BR_TXT_CHAT_EXISTS] = { {
	    "You already have a direct chat with {0} at {1}",
	    "Vous avez déjà une discussion privée avec {0} : {1}" } },
	[BR_TXT_CHAT_CREATED] = { {
	    "Created chat with {0}: {1}",
	    "Discussion créée avec {0} : {1}" } },
	[BR_TXT_CHAT_ROOM_FAILED] = { {
	    "Failed to create portal room",
	    "Impossible de créer le salon portail" } },
	[BR_TXT_CREATE_UNSUPPORTED] = { {
	    "This bridge does not support creating group",
	    "Cette passerelle ne sait pas créer de groupe" } },
	[BR_TXT_MEMBERS_FAILED_ERR] = { {
	    "Failed to get room members: {0}",
	    "Impossible d'obtenir la liste des membres du salon : {0}" } },
	[BR_TXT_CREATE_FAILED] = { {
	    "Failed to create group: {0}",
	    "Impossible de créer le groupe : {0}" } },
	[BR_TXT_CREATE_BAD_TYPE] = { {
	    "Unrecognized group type {0}",
	    "Type de groupe inconnu {0}" } },
	[BR_TXT_CREATE_MIN] = { {
	    "Must have at least 1 member (in addition to yourself)",
	    "Il faut au moins 1 membre (en plus de vous)" } },
	[BR_TXT_CREATE_NAME_LONG] = { {
	    "Name must be at most 100 characters",
	    "Le nom doit faire au plus 100 caractères" } },
	[BR_TXT_CREATE_BAD_USER] = { {
	    "User ID \"{0}\" is not valid on this network",
	    "L'identifiant « {0} » n'est pas valide sur ce réseau" } },
	[BR_TXT_CREATE_DONE] = { {
	    "Successfully created group `{0}`{1}",
	    "Groupe `{0}` créé{1}" } },
	[BR_TXT_CREATE_SOME_FAILED] = { {
	    "Failed to add some participants:",
	    "Certains participants n'ont pas pu être ajoutés :" } },
	[BR_TXT_PORTAL_ID_BAD] = { {
	    "Failed to parse portal ID: {0}",
	    "Identifiant de portail illisible : {0}" } },
	[BR_TXT_INVITE_PRIVATE] = { {
	    "Can't get invite link to private chat",
	    "Pas de lien d'invitation pour une discussion privée" } },
	[BR_TXT_INVITE_BROADCAST] = { {
	    "Can't get invite link to broadcast list",
	    "Pas de lien d'invitation pour une liste de diffusion" } },
	[BR_TXT_INVITE_FAILED] = { {
	    "Failed to get invite link: {0}",
	    "Impossible d'obtenir le lien d'invitation : {0}" } },
	[BR_TXT_JOIN_USAGE] = { {
	    "**Usage:** `{0} join <invite link>`",
	    "**Utilisation :** `{0} join <lien d'invitation>`" } },
	[BR_TXT_JOIN_FAILED] = { {
	    "Failed to join group: {0}",
	    "Impossible de rejoindre le groupe : {0}" } },
	[BR_TXT_JOIN_DONE] = { {
	    "Successfully joined group `{0}`, the portal should be created "
	    "momentarily",
	    "Groupe `{0}` rejoint, le portail va être créé dans un instant" } },
	[BR_TXT_JOIN_BAD_LINK] = { {
	    "That doesn't look like a WhatsApp invite link",
	    "Ceci ne ressemble pas à un lien d'invitation WhatsApp" } },
	[BR_TXT_JOIN_CHANNEL_FAILED] = { {
	    "Failed to get channel info: {0}",
	    "Impossible d'obtenir les informations de la chaîne : {0}" } },
	[BR_TXT_SYNC_USAGE] = { {
	    "Usage: `{0} sync "
	    "<group/groups/contacts/contacts-with-avatars/appstate>`",
	    "Utilisation : `{0} sync "
	    "<group/groups/contacts/contacts-with-avatars/appstate>`" } },
	[BR_TXT_SYNC_NOT_PORTAL] = { {
	    "`{0} sync group` can only be used in a portal room.",
	    "`{0} sync group` ne fonctionne que dans un salon portail." } },
	[BR_TXT_SYNC_GROUPS_FAILED] = { {
	    "Failed to get joined groups: {0}",
	    "Impossible d'obtenir la liste des groupes : {0}" } },
	[BR_TXT_SYNC_QUEUED] = { {
	    "Queued syncs for {0} groups",
	    "Synchronisation de {0} groupes programmée" } },
	[BR_TXT_SYNC_UNKNOWN] = { {
	    "Unknown sync target `{0}`",
	    "Cible de synchronisation inconnue `{0}`" } },
	[BR_TXT_SYNC_UNSUPPORTED] = { {
	    "Syncing `{0}` is not supported by ponton yet",
	    "La synchronisation `{0}` n'est pas encore prise en charge par "
	    "ponton" } },
	[BR_TXT_SYNC_CONTACTS_FAILED] = { {
	    "Failed to get contacts: {0}",
	    "Impossible d'obtenir les contacts : {0}" } },
	[BR_TXT_SYNC_APPSTATE_INVALID] = { {
	    "Invalid app state name `{0}`",
	    "Nom d'état d'application invalide `{0}`" } },
	[BR_TXT_SYNC_APPSTATE_NO_KEY] = { {
	    "Key not found error syncing app state {0}: {1}\n\nKey requests "
	    "are sent automatically, and the sync should happen in the "
	    "background after your phone responds.",
	    "Clé introuvable en synchronisant l'état d'application {0} : {1}"
	    "\n\nLa clé est demandée automatiquement, la synchronisation se "
	    "fera en arrière-plan quand votre téléphone aura répondu." } },
	[BR_TXT_SYNC_APPSTATE_FAILED] = { {
	    "Error syncing app state {0}: {1}",
	    "Erreur en synchronisant l'état d'application {0} : {1}" } },
	[BR_TXT_SYNC_APPSTATE_CONTACTS] = { {
	    "Synced app state {0}, contact sync running in background",
	    "État d'application {0} synchronisé, synchronisation des "
	    "contacts en arrière-plan" } },
	[BR_TXT_SYNC_APPSTATE_DONE] = { {
	    "Synced app state {0}",
	    "État d'application {0} synchronisé" } },
	[BR_TXT_CHAT_INFO_FAILED] = { {
	    "Failed to get chat info: {0}",
	    "Impossible d'obtenir les informations de la discussion : {0}" } },
};

int
br_lang_parse(const char *s, enum br_lang *out)
{
	if (s != NULL && strcmp(s, "en") == 0) {
		*out = BR_LANG_EN;
		return 0;
	}
	if (s != NULL && strcmp(s, "fr") == 0) {
		*out = BR_LANG_FR;
		return 0;
	}
	return -1;
}

const char *
br_text(enum br_lang lang, enum br_text_id id)
{
	if ((unsigned)id >= BR_TXT_COUNT)
		return "";
	if ((unsigned)lang >= BR_LANG_COUNT)
		lang = BR_LANG_EN;
	return texts[id].t[lang] != NULL ? texts[id].t[lang] : "";
}

char *
br_text_fmt(enum br_lang lang, enum br_text_id id, const char *a0,
    const char *a1)
{
	const char *p = br_text(lang, id), *arg;
	struct u_buf b;
	size_t len;

	u_buf_init(&b, TEXT_OUT_MAX);
	for (; *p != '\0'; p++) {
		if (p[0] == '{' && (p[1] == '0' || p[1] == '1') &&
		    p[2] == '}') {
			arg = p[1] == '0' ? a0 : a1;
			(void)u_buf_add_str(&b, arg != NULL ? arg : "");
			p += 2;
			continue;
		}
		(void)u_buf_add_u8(&b, (uint8_t)*p);
	}
	(void)u_buf_add_u8(&b, 0);
	return (char *)u_buf_steal(&b, &len);
}

static void
add_escaped(struct u_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			(void)u_buf_add_str(b, "&amp;");
			break;
		case '<':
			(void)u_buf_add_str(b, "&lt;");
			break;
		case '>':
			(void)u_buf_add_str(b, "&gt;");
			break;
		case '"':
			(void)u_buf_add_str(b, "&quot;");
			break;
		default:
			(void)u_buf_add_u8(b, (uint8_t)s[i]);
		}
	}
}

/* Inline: `code` and **bold**; an unclosed marker is literal text. */
static void
add_inline(struct u_buf *b, const char *s, size_t n)
{
	const char *end = s + n, *close;
	size_t i;

	while (s < end) {
		if (*s == '`') {
			close = memchr(s + 1, '`', (size_t)(end - s - 1));
			if (close != NULL) {
				(void)u_buf_add_str(b, "<code>");
				add_escaped(b, s + 1, (size_t)(close - s - 1));
				(void)u_buf_add_str(b, "</code>");
				s = close + 1;
				continue;
			}
		} else if (*s == '*' && s + 1 < end && s[1] == '*') {
			close = NULL;
			for (i = 2; s + i + 1 < end; i++)
				if (s[i] == '*' && s[i + 1] == '*') {
					close = s + i;
					break;
				}
			if (close != NULL) {
				(void)u_buf_add_str(b, "<strong>");
				add_inline(b, s + 2, (size_t)(close - s - 2));
				(void)u_buf_add_str(b, "</strong>");
				s = close + 2;
				continue;
			}
		}
		add_escaped(b, s, 1);
		s++;
	}
}

char *
br_text_md_html(const char *md)
{
	struct u_buf b;
	const char *line = md, *nl;
	size_t n, len;
	int in_p = 0, first = 1;

	u_buf_init(&b, TEXT_OUT_MAX);
	while (*line != '\0') {
		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (n == 0) {
			if (in_p)
				(void)u_buf_add_str(&b, "</p>");
			in_p = 0;
		} else if (n > 5 && strncmp(line, "#### ", 5) == 0) {
			if (in_p)
				(void)u_buf_add_str(&b, "</p>");
			in_p = 0;
			if (!first)
				(void)u_buf_add_str(&b, "\n");
			(void)u_buf_add_str(&b, "<h4>");
			add_inline(&b, line + 5, n - 5);
			(void)u_buf_add_str(&b, "</h4>");
			first = 0;
		} else {
			if (in_p) {
				(void)u_buf_add_str(&b, "<br>\n");
			} else {
				if (!first)
					(void)u_buf_add_str(&b, "\n");
				(void)u_buf_add_str(&b, "<p>");
				in_p = 1;
			}
			add_inline(&b, line, n);
			first = 0;
		}
		line += n + (nl != NULL);
	}
	if (in_p)
		(void)u_buf_add_str(&b, "</p>");
	(void)u_buf_add_u8(&b, 0);
	return (char *)u_buf_steal(&b, &len);
}
