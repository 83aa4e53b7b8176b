#!/usr/bin/env python3
"""recover.py: users and the bot for test/suites/57-bridge-recover.sh
("no lost rooms"), against a real Synapse in which the real ponton binary
runs as the appservice.  Stdlib only (helpers from driver.py).  Prints one
"PASS: name" / "FAIL: name -- detail" per case.

Usage: recover.py PHASE
  setup: (ponton running on a fresh database) the bot makes rooms with our
         m.bridge state, with our key but another bot, and with another
         bridge's key; an admin bridges a room with `!wa bridge <chat>`
         (refused first: the bot lacks power for m.bridge).  Saves what it
         made in recover.json.
  check: (ponton restarted after its database was deleted) the portal rows
         are back with the right rooms, no room was created, the other
         bridge's state is untouched, the wrong-bot room was not taken.
Environment: SYN_URL, SYN_SECRET, WORK, SERVER_NAME.
"""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import driver  # noqa: E402
from driver import (BOT, SERVER, SYN_URL, WORK, User, http, q,  # noqa: E402
                    register_user, result, wait, wait_reply)

SAVED = os.path.join(WORK, "recover.json")
KEY = SERVER + "/whatsapp"
G1 = "120363000000000001@g.us"
G2 = "120363000000000002@g.us"     # claimed by a room with another bot
G3 = "120363000000000003@g.us"     # bridged by the command
G4 = "120363000000000004@g.us"     # bridged by a room creator
G5 = "120363000000000005@g.us"     # a legacy (pre-bridgev2) room
DMJID = "4915100000009@s.whatsapp.net"
RECV = "4915100000001"


def as_token():
    with open(os.path.join(WORK, "registration.yaml")) as f:
        for line in f:
            if line.startswith("as_token:"):
                return line.split(":", 1)[1].strip().strip("\"'")
    raise RuntimeError("no as_token")


class Bot(User):
    """The bridge bot through the as_token (user_id= names it: the
    registration's sender_localpart is another, random user)."""

    def __init__(self):
        User.__init__(self, "whatsappbot", as_token())

    def path(self, path):
        return path + ("&" if "?" in path else "?") + "user_id=" + q(BOT)

    def ok(self, method, path, body=None):
        return User.ok(self, method, self.path(path), body)


def bridge_info(chat, name, bot=BOT, receiver=None):
    chan = {"id": chat, "displayname": name}
    if receiver:
        chan["fi.mau.receiver"] = receiver
    return {"bridgebot": bot, "creator": bot,
            "protocol": {"id": "whatsapp", "displayname": "WhatsApp"},
            "channel": chan}


def bot_room(bot, name, key, content, topic=None):
    init = [{"type": "m.bridge", "state_key": key, "content": content},
            {"type": "uk.half-shot.bridge", "state_key": key,
             "content": content},
            {"type": "m.room.name", "state_key": "", "content": {
                "name": name}}]
    if topic:
        init.append({"type": "m.room.topic", "state_key": "",
                     "content": {"topic": topic}})
    return bot.ok("POST", "/_matrix/client/v3/createRoom", {
        "preset": "private_chat", "initial_state": init})["room_id"]


def joined(bot):
    return sorted(bot.ok("GET", "/_matrix/client/v3/joined_rooms")
                  ["joined_rooms"])


def state(u, room, typ, key):
    path = "/_matrix/client/v3/rooms/%s/state/%s/%s" % (q(room), q(typ),
                                                        q(key))
    if isinstance(u, Bot):
        path = u.path(path)
    st, js = http("GET", SYN_URL + path, None, u.token)
    return js if st == 200 else None


def portals():
    path = os.path.join(WORK, "bridge.db")
    if not os.path.exists(path):
        return {}
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        rows = c.execute("SELECT id, receiver, mxid, name, topic FROM portal "
                         "WHERE bridge_id=''").fetchall()
    finally:
        c.close()
    return {(r[0], r[1]): r[2:] for r in rows}


def give_bot_power(admin, room):
    pl = admin.ok("GET", "/_matrix/client/v3/rooms/%s/state/"
                  "m.room.power_levels/" % q(room))
    # Room v12 puts m.room.tombstone at 150 (creators rank above 100).
    pl["users"][BOT] = 150
    admin.ok("PUT", "/_matrix/client/v3/rooms/%s/state/m.room.power_levels/"
             % q(room), pl)


def people_room(admin, alice, name, bot_power=True):
    room = admin.ok("POST", "/_matrix/client/v3/createRoom", {
        "preset": "private_chat", "name": name,
        "invite": [alice.id]})["room_id"]
    alice.ok("POST", "/_matrix/client/v3/join/%s" % q(room), {})
    admin.ok("POST", "/_matrix/client/v3/rooms/%s/invite" % q(room),
             {"user_id": BOT})
    wait(lambda: admin.member(room, BOT).get("membership") == "join")
    if bot_power:
        give_bot_power(admin, room)
    return room


def phase_setup():
    bot = Bot()
    admin = User("admin", register_user("admin"))
    alice = User("alice", register_user("alice"))
    made = {}
    made["g1"] = bot_room(bot, "Club one", KEY, bridge_info(G1, "Club one"),
                          topic="Weekly meetings")
    made["dm"] = bot_room(bot, "Bob", KEY, bridge_info(DMJID, "Bob",
                                                       receiver=RECV))
    made["wrongbot"] = bot_room(bot, "Not ours", KEY, bridge_info(
        G2, "Not ours", bot="@someotherbot:" + SERVER))
    made["legacy"] = bot_room(bot, "Legacy club",
                              "net.maunium.whatsapp://whatsapp/" + G5,
                              bridge_info(G5, "Legacy club"))
    signal = {"bridgebot": "@signalbot:" + SERVER, "channel": {
        "id": "group.c2lnbmFs"}, "protocol": {"id": "signal"}}
    made["signal"] = bot_room(bot, "Signal group", SERVER + "/signal",
                              signal)
    made["signal_content"] = signal

    # A room of people, the bot invited (three members: not a management
    # room); the admin bridges it to G3.
    room = people_room(admin, alice, "People", bot_power=False)
    result("bot_joins_the_room_to_bridge",
           admin.member(room, BOT).get("membership") == "join")
    made["plumbed"] = room

    # Not enough power for m.bridge: upstream's refusal.
    ev = admin.say(room, "!wa bridge " + G3)
    c = wait_reply(admin, room, ev, lambda c: "m.bridge" in c.get("body",
                                                                  ""))
    result("bridge_refused_without_bot_power",
           c is not None and c["body"].startswith(
               "I don't have sufficient permissions for `m.bridge` events"),
           c)
    # Alice (no room power) is refused before that.
    ev = alice.say(room, "!wa bridge " + G3)
    c = wait_reply(alice, room, ev, lambda c: True)
    result("bridge_refused_for_a_member_without_room_admin_rights",
           c is not None and c["body"] ==
           "That command requires room admin rights.", c)
    # Bad usage and a bad chat ID.
    give_bot_power(admin, room)
    ev = admin.say(room, "!wa bridge")
    c = wait_reply(admin, room, ev, lambda c: True)
    result("bridge_without_chat_says_usage",
           c is not None and c["body"].startswith("Usage:"), c)
    ev = admin.say(room, "!wa bridge hello")
    c = wait_reply(admin, room, ev, lambda c: True)
    result("bridge_with_a_bad_chat_id_refused",
           c is not None and "is not a WhatsApp chat ID" in c["body"], c)
    # Now it works; the bot writes m.bridge with our key into the room.
    ev = admin.say(room, "!wa bridge " + G3)
    c = wait_reply(admin, room, ev, lambda c: "plumbed" in c.get("body", ""))
    result("bridge_command_plumbs_the_room",
           c is not None and c["body"] ==
           "Successfully plumbed this room to `%s` on WhatsApp" % G3, c)
    st = wait(lambda: state(admin, room, "m.bridge", KEY))
    result("bridge_command_writes_m_bridge",
           st is not None and st.get("channel", {}).get("id") == G3 and
           st.get("bridgebot") == BOT, st)
    result("bridge_command_writes_half_shot_bridge",
           wait(lambda: state(admin, room, "uk.half-shot.bridge", KEY))
           is not None)
    p = portals()
    result("bridge_command_stores_the_portal",
           p.get((G3, ""), (None,))[0] == room, p)
    ev = admin.say(room, "!wa bridge " + G3)
    c = wait_reply(admin, room, ev, lambda c: "already" in c.get("body", ""))
    result("bridge_again_says_already_bridged",
           c is not None and c["body"] ==
           "This room is already bridged to `%s` on WhatsApp" % G3, c)

    # A second room for the same chat: --overwrite needed; then the old
    # room is tombstoned and left, the new one is the portal.
    room2 = people_room(admin, alice, "People two")
    ev = admin.say(room2, "!wa bridge " + G3)
    c = wait_reply(admin, room2, ev, lambda c: "already" in c.get("body",
                                                                  ""))
    # The chat's name is unknown without the WhatsApp side: the room ID
    # stands in for it.
    result("bridge_to_a_bridged_chat_needs_overwrite",
           c is not None and c["body"] ==
           "That chat is already bridged to [%s](https://matrix.to/#/"
           "%s). Use `--overwrite` to delete the existing room." % (room,
                                                                   room), c)
    ev = admin.say(room2, "!wa bridge %s --overwrite" % G3)
    c = wait_reply(admin, room2, ev, lambda c: "plumbed" in c.get("body",
                                                                  ""))
    result("bridge_overwrite_plumbs_the_new_room", c is not None, c)
    tomb = wait(lambda: state(admin, room, "m.room.tombstone", ""))
    result("old_room_tombstoned",
           tomb is not None and tomb.get("replacement_room") == room2, tomb)
    result("bot_left_the_old_room", wait(
        lambda: admin.member(room, BOT).get("membership") == "leave"))
    p = portals()
    result("overwrite_moves_the_portal",
           p.get((G3, ""), (None,))[0] == room2, p)
    made["plumbed"] = room2

    # A member without bridge admin rights, in a room she created (room
    # v12: creators rank above every power level): she may bridge her
    # room, but not take a chat bridged in a room where she has no power.
    room3 = alice.ok("POST", "/_matrix/client/v3/createRoom", {
        "preset": "private_chat", "name": "Alice's",
        "invite": [admin.id]})["room_id"]
    admin.ok("POST", "/_matrix/client/v3/join/%s" % q(room3), {})
    alice.ok("POST", "/_matrix/client/v3/rooms/%s/invite" % q(room3),
             {"user_id": BOT})
    wait(lambda: alice.member(room3, BOT).get("membership") == "join")
    give_bot_power(alice, room3)
    ev = alice.say(room3, "!wa bridge %s --overwrite" % G3)
    c = wait_reply(alice, room3, ev, lambda c: True)
    result("member_cannot_overwrite_a_room_she_has_no_power_in",
           c is not None and c["body"] ==
           "That chat is already bridged to another room, and you don't "
           "have the permission to delete it.", c)
    ev = alice.say(room3, "!wa bridge " + G4)
    c = wait_reply(alice, room3, ev, lambda c: True)
    result("room_creator_bridges_her_room",
           c is not None and c["body"] ==
           "Successfully plumbed this room to `%s` on WhatsApp" % G4, c)
    made["alice"] = room3

    # --ignore-permissions skips the bot's power check; a DM chat belongs
    # to a login, and the admin has none.
    room4 = people_room(admin, alice, "No power", bot_power=False)
    ev = admin.say(room4, "!wa bridge 4915100000077@s.whatsapp.net "
                   "--ignore-permissions")
    c = wait_reply(admin, room4, ev, lambda c: True)
    result("bridge_dm_chat_needs_a_login",
           c is not None and c["body"] == "You're not logged in", c)
    made["joined_before"] = joined(bot)
    with open(SAVED, "w") as f:
        json.dump(made, f)


def phase_check():
    with open(SAVED) as f:
        made = json.load(f)
    bot = Bot()
    p = portals()
    result("group_portal_recovered",
           p.get((G1, ""), (None,))[0] == made["g1"], p)
    result("group_name_and_topic_recovered",
           p.get((G1, ""), (None, None, None))[1:] ==
           ("Club one", "Weekly meetings"), p.get((G1, "")))
    result("dm_portal_recovered_with_its_receiver",
           p.get((DMJID, RECV), (None,))[0] == made["dm"], p)
    result("plumbed_portal_recovered",
           p.get((G3, ""), (None,))[0] == made["plumbed"], p)
    result("legacy_state_key_room_recovered",
           p.get((G5, ""), (None, None))[:2] == (made["legacy"],
                                                 "Legacy club"), p)
    result("member_plumbed_portal_recovered",
           p.get((G4, ""), (None,))[0] == made["alice"], p)
    result("other_bot_room_not_taken", (G2, "") not in p and
           made["wrongbot"] not in [v[0] for v in p.values()], p)
    result("other_bridge_room_not_taken",
           made["signal"] not in [v[0] for v in p.values()], p)
    result("no_room_created", joined(bot) == made["joined_before"],
           (joined(bot), made["joined_before"]))
    # The database had no bridge_info_version: m.bridge re-sent from the
    # recovered rows (the full content, as a portal's creation has it).
    st = wait(lambda: (state(bot, made["g1"], "m.bridge", KEY) or {}).get(
        "protocol", {}).get("external_url"))
    result("bridge_info_resent_to_recovered_rooms",
           st == "https://whatsapp.com", st)
    result("other_bridge_state_untouched",
           state(bot, made["signal"], "m.bridge", SERVER + "/signal") ==
           made["signal_content"] and
           state(bot, made["signal"], "m.bridge", KEY) is None)


def main():
    try:
        {"setup": phase_setup, "check": phase_check}[sys.argv[1]]()
    except Exception as ex:  # noqa: BLE001
        result("recover_%s_completes" % sys.argv[1], False, repr(ex))
    sys.exit(1 if driver.failures else 0)


if __name__ == "__main__":
    main()
