/*
 * portal.c: the createRoom request for a portal, with the initial state
 * mautrix-whatsapp (bridgev2) sends, so existing clients and tools see
 * ponton's rooms exactly as they see mautrix's:
 *   visibility private, preset private_chat, is_direct for DMs,
 *   m.federate false unless federating, power levels with the bot at 9001
 *   and tombstone / server_acl / encryption at 100 (groups: events 0,
 *   state 99, ban 99, name/avatar/topic/disappearing timer at 0, or 50
 *   when the group is locked, reactions/redactions/poll responses at 0),
 *   then initial state in mautrix's order: io.element.functional_members,
 *   uk.half-shot.bridge and m.bridge (state key "<domain>/<as id>"),
 *   com.beeper.room_features, m.room.topic, m.room.name, m.room.avatar,
 *   the three last with com.beeper.exclude_from_timeline.
 *
 * Does not: send anything (mx_intent_create_room does, and applies the
 * room v12 rule that drops the creator from the power levels).
 */
#include <string.h>

#include "matrix/as_int.h"

static json_t *
bridge_info(struct mx_appservice *as, const struct mx_portal_spec *sp)
{
	json_t *proto, *chan, *bi;

	proto = json_pack("{s:s,s:s,s:s,s:s}", "id", "whatsapp",
	    "displayname", "WhatsApp", "avatar_url",
	    sp->protocol_avatar ? sp->protocol_avatar :
	    "mxc://maunium.net/NeXNQarUbrlYBiPCpprYsRqr",
	    "external_url", "https://whatsapp.com");
	chan = json_pack("{s:s}", "id", sp->channel_id);
	if (sp->name != NULL)
		json_object_set_new(chan, "displayname", json_string(sp->name));
	if (sp->avatar_mxc != NULL)
		json_object_set_new(chan, "avatar_url", json_string(sp->avatar_mxc));
	if (sp->receiver != NULL)
		json_object_set_new(chan, "fi.mau.receiver",
		    json_string(sp->receiver));
	bi = json_pack("{s:s,s:s,s:o,s:o}", "bridgebot", as->ns.bot_id,
	    "creator", as->ns.bot_id, "protocol", proto, "channel", chan);
	if (sp->is_dm)
		json_object_set_new(bi, "com.beeper.room_type", json_string("dm"));
	json_object_set_new(bi, "com.beeper.room_type.v2",
	    json_string(sp->is_dm ? "dm" : ""));
	return bi;
}

static json_t *
state(const char *type, const char *key, json_t *content)
{
	return json_pack("{s:s,s:s,s:o}", "type", type, "state_key", key,
	    "content", content);
}

static json_t *
meta(const char *field, const char *value)
{
	return json_pack("{s:s,s:b}", field, value,
	    "com.beeper.exclude_from_timeline", 1);
}

json_t *
mx_portal_create_req(struct mx_appservice *as, const struct mx_portal_spec *sp)
{
	json_t *req, *pl, *users, *events, *init, *bi, *inv;
	const char *key = as->bridge_state_key;
	int meta_pl = sp->locked ? 50 : 0;
	size_t i;

	users = json_pack("{s:i}", as->ns.bot_id, 9001);
	if (json_is_object(sp->users_pl))
		json_object_update_missing(users, sp->users_pl);
	events = json_pack("{s:i,s:i,s:i}", "m.room.tombstone", 100,
	    "m.room.server_acl", 100, "m.room.encryption", 100);
	json_object_set_new(events, "m.room.name", json_integer(meta_pl));
	json_object_set_new(events, "m.room.avatar", json_integer(meta_pl));
	json_object_set_new(events, "m.room.topic", json_integer(meta_pl));
	json_object_set_new(events, "com.beeper.disappearing_timer",
	    json_integer(meta_pl));
	pl = json_pack("{s:o,s:o}", "users", users, "events", events);
	if (!sp->is_dm) {
		json_object_set_new(events, "m.reaction", json_integer(0));
		json_object_set_new(events, "m.room.redaction", json_integer(0));
		json_object_set_new(events, "org.matrix.msc3381.poll.response",
		    json_integer(0));
		json_object_set_new(pl, "events_default",
		    json_integer(sp->announce ? 50 : 0));
		json_object_set_new(pl, "state_default", json_integer(99));
		json_object_set_new(pl, "ban", json_integer(99));
	}

	init = json_array();
	json_array_append_new(init, state("io.element.functional_members", "",
	    json_pack("{s:[s]}", "service_members", as->ns.bot_id)));
	bi = bridge_info(as, sp);
	json_array_append_new(init, state("uk.half-shot.bridge", key,
	    json_deep_copy(bi)));
	json_array_append_new(init, state("m.bridge", key, bi));
	if (json_is_object(sp->room_features))
		json_array_append_new(init, state("com.beeper.room_features", key,
		    json_deep_copy(sp->room_features)));
	json_array_append_new(init, state("m.room.topic", "",
	    meta("topic", sp->topic ? sp->topic : "")));
	if (sp->name != NULL)
		json_array_append_new(init, state("m.room.name", "",
		    meta("name", sp->name)));
	if (sp->avatar_mxc != NULL)
		json_array_append_new(init, state("m.room.avatar", "",
		    meta("url", sp->avatar_mxc)));

	req = json_pack("{s:s,s:s,s:b,s:o,s:o}", "visibility", "private",
	    "preset", "private_chat", "is_direct", sp->is_dm ? 1 : 0,
	    "power_level_content_override", pl, "initial_state", init);
	json_object_set_new(req, "creation_content", sp->federate ?
	    json_object() : json_pack("{s:b}", "m.federate", 0));
	if (sp->invite != NULL) {
		inv = json_array();
		for (i = 0; sp->invite[i] != NULL; i++)
			json_array_append_new(inv, json_string(sp->invite[i]));
		json_object_set_new(req, "invite", inv);
	}
	return req;
}
