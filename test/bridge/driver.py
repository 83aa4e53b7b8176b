#!/usr/bin/env python3
"""driver.py: Matrix users for test/suites/55-bridge-matrix.sh, talking to
a real Synapse in which the real ponton binary runs as the appservice.
Stdlib only.  Prints one "PASS: name" / "FAIL: name -- detail" per case.

Usage: driver.py PHASE   (PHASE: en, fr)
  en: users, bot invite -> management room + welcome, commands, refusals,
      leave, set-management-room (ponton.language: en)
  fr: after a restart with ponton.language: fr, the same user's commands
      are answered in French.
Environment: SYN_URL, SYN_SECRET, WORK (state.json and bridge.db live
there), SERVER_NAME.
"""
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

E = os.environ
SYN_URL = E["SYN_URL"]
SERVER = E.get("SERVER_NAME", "localhost")
WORK = E["WORK"]
BOT = "@whatsappbot:" + SERVER
STATE = os.path.join(WORK, "state.json")
DB = os.path.join(WORK, "bridge.db")
failures = 0

WELCOME_NEW = ("Hello, I'm a WhatsApp bridge bot.\n\nUse `help` for help or "
               "`login` to log in.\n\nThis room has been marked as your "
               "management room.")
WELCOME_OLD = "Hello, I'm a WhatsApp bridge bot.\n\nUse `!wa help` for help."
UNKNOWN = "Unknown command, use the `help` command for help."


def result(name, ok, detail=""):
    global failures
    if ok:
        print("PASS: " + name, flush=True)
    else:
        failures += 1
        print("FAIL: " + name + (" -- " + str(detail) if detail else ""),
              flush=True)


def q(s):
    return urllib.parse.quote(s, safe="")


def http(method, url, body=None, token=None):
    data = None
    h = {}
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"null")
        except ValueError:
            return e.code, None


def register_user(name):
    url = SYN_URL + "/_synapse/admin/v1/register"
    st, js = http("GET", url)
    nonce = js["nonce"]
    pw = "pw-" + name
    mac = hmac.new(E["SYN_SECRET"].encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), name.encode(), pw.encode(),
                             b"notadmin"]))
    st, js = http("POST", url, {"nonce": nonce, "username": name,
                                "password": pw, "admin": False,
                                "mac": mac.hexdigest()})
    if st != 200:
        raise RuntimeError("register %s: %s %s" % (name, st, js))
    return js["access_token"]


class User:
    txn = 0

    def __init__(self, name, token):
        self.id = "@%s:%s" % (name, SERVER)
        self.token = token

    def ok(self, method, path, body=None):
        st, js = http(method, SYN_URL + path, body, self.token)
        if st != 200:
            raise RuntimeError("%s %s: %s %s" % (method, path, st, js))
        return js

    def dm_with_bot(self):
        return self.ok("POST", "/_matrix/client/v3/createRoom", {
            "invite": [BOT], "is_direct": True,
            "preset": "trusted_private_chat"})["room_id"]

    def say(self, room, body):
        User.txn += 1
        return self.ok("PUT", "/_matrix/client/v3/rooms/%s/send/"
                       "m.room.message/drv%d.%d" % (q(room), os.getpid(),
                                                    User.txn),
                       {"msgtype": "m.text", "body": body})["event_id"]

    def messages(self, room):
        return self.ok("GET", "/_matrix/client/v3/rooms/%s/messages?dir=f"
                       "&limit=500" % q(room)).get("chunk", [])

    def member(self, room, user):
        st, js = http("GET", SYN_URL + "/_matrix/client/v3/rooms/%s/state/"
                      "m.room.member/%s" % (q(room), q(user)), None,
                      self.token)
        return js if st == 200 else {}

    def leave(self, room):
        self.ok("POST", "/_matrix/client/v3/rooms/%s/leave" % q(room), {})


def wait(fn, timeout=20.0):
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(0.2)


def bot_msgs(u, room, after=None):
    """Bot's m.room.message events after event id `after`."""
    out, seen = [], after is None
    for ev in u.messages(room):
        if not seen:
            seen = ev.get("event_id") == after
            continue
        if ev.get("type") == "m.room.message" and ev.get("sender") == BOT:
            out.append(ev["content"])
    return out


def wait_reply(u, room, after, pred, timeout=20.0):
    def f():
        for c in bot_msgs(u, room, after):
            if pred(c):
                return c
        return None
    return wait(f, timeout)


def mgmt_room(mxid):
    c = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
    try:
        r = c.execute('SELECT management_room FROM "user" WHERE '
                      "bridge_id='' AND mxid=?", (mxid,)).fetchone()
    finally:
        c.close()
    return r[0] if r else None


def phase_en():
    alice = User("alice", register_user("alice"))
    relay = User("relayonly", register_user("relayonly"))
    blocked = User("blocked", register_user("blocked"))
    carol = User("carol", register_user("carol"))

    # 1. Invite the bot to a DM: it joins and says the full welcome.
    room = alice.dm_with_bot()
    joined = wait(lambda: alice.member(room, BOT).get("membership") == "join")
    result("bot_joins_dm_on_invite", joined, alice.member(room, BOT))
    w = wait_reply(alice, room, None, lambda c: c.get("body") == WELCOME_NEW)
    result("welcome_text_is_upstreams", w is not None and
           w.get("msgtype") == "m.text" and
           "<code>help</code>" in w.get("formatted_body", ""),
           bot_msgs(alice, room))
    result("management_room_stored",
           wait(lambda: mgmt_room(alice.id) == room), mgmt_room(alice.id))

    # 2. Commands in the management room, with and without the prefix.
    e = alice.say(room, "help")
    h = wait_reply(alice, room, e, lambda c: "#### General" in
                   c.get("body", ""))
    result("help_without_prefix_in_management_room", h is not None and
           h.get("msgtype") == "m.notice" and
           "This is your management room" in h["body"] and
           "**set-management-room** - Mark this room as your management "
           "room" in h["body"] and
           "<h4>General</h4>" in h.get("formatted_body", ""), h)
    e = alice.say(room, "!wa HELP")
    h = wait_reply(alice, room, e, lambda c: "#### General" in
                   c.get("body", ""))
    result("prefixed_upper_case_help_answers", h is not None, h)
    e = alice.say(room, "frobnicate now")
    r = wait_reply(alice, room, e, lambda c: c.get("body") == UNKNOWN)
    result("unknown_command_reply", r is not None and
           r.get("msgtype") == "m.notice", bot_msgs(alice, room, e))
    e = alice.say(room, "!wa version")
    r = wait_reply(alice, room, e, lambda c: c.get("body", "").startswith(
        "ponton "))
    result("version_command", r is not None and
           "mautrix-whatsapp" in r["body"], bot_msgs(alice, room, e))
    e = alice.say(room, "cancel")
    r = wait_reply(alice, room, e, lambda c: c.get("body") ==
                   "No ongoing command.")
    result("cancel_without_pending_command", r is not None,
           bot_msgs(alice, room, e))

    # 3. A second room: short welcome; bare text is not a command there.
    room2 = alice.dm_with_bot()
    w = wait_reply(alice, room2, None, lambda c: c.get("body") == WELCOME_OLD)
    result("second_room_gets_prefix_hint", w is not None,
           bot_msgs(alice, room2))
    e = alice.say(room2, "help")
    e2 = alice.say(room2, "!wa help")
    h = wait_reply(alice, room2, e, lambda c: "#### General" in
                   c.get("body", ""))
    result("prefixed_help_outside_management_room", h is not None and
           "This is not your management room: prefixing commands with "
           "`!wa` is required." in h["body"], h)
    time.sleep(1.0)  # a reply to the bare "help" would be here by now
    helps = [c for c in bot_msgs(alice, room2, e)
             if "#### General" in c.get("body", "")]
    result("bare_text_outside_management_room_ignored", len(helps) == 1,
           bot_msgs(alice, room2, e))

    # 4. Users without the commands / send_events permission.
    r3 = relay.dm_with_bot()
    m = wait(lambda: relay.member(r3, BOT).get("membership") == "leave" and
             relay.member(r3, BOT))
    result("invite_without_commands_permission_rejected", m and
           m.get("reason") == "You don't have permission to send commands "
           "to this bridge", relay.member(r3, BOT))
    r4 = blocked.dm_with_bot()
    m = wait(lambda: blocked.member(r4, BOT).get("membership") == "leave" and
             blocked.member(r4, BOT))
    result("invite_without_any_permission_rejected", m and
           m.get("reason") == "You don't have permission to interact with "
           "this bridge", blocked.member(r4, BOT))
    result("refused_users_get_no_management_room",
           mgmt_room(relay.id) is None and mgmt_room(blocked.id) is None)

    # 5. A room with three members cannot become the management room.
    r5 = alice.ok("POST", "/_matrix/client/v3/createRoom",
                  {"invite": [BOT, carol.id], "preset": "private_chat"})[
        "room_id"]
    wait(lambda: alice.member(r5, BOT).get("membership") == "join")
    carol.ok("POST", "/_matrix/client/v3/join/%s" % q(r5), {})
    e = alice.say(r5, "!wa set-management-room")
    r = wait_reply(alice, r5, e, lambda c: "must not have any members" in
                   c.get("body", ""))
    result("set_management_room_refuses_three_members", r is not None and
           mgmt_room(alice.id) == room, bot_msgs(alice, r5, e))

    # 6. Leaving the management room clears it; set-management-room
    # elsewhere sets it again.
    alice.leave(room)
    result("leaving_clears_management_room",
           wait(lambda: mgmt_room(alice.id) is None), mgmt_room(alice.id))
    e = alice.say(room2, "!wa set-management-room")
    r = wait_reply(alice, room2, e, lambda c: c.get("body") ==
                   "Management room updated")
    result("set_management_room", r is not None and
           wait(lambda: mgmt_room(alice.id) == room2),
           (bot_msgs(alice, room2, e), mgmt_room(alice.id)))
    e = alice.say(room2, "help")
    h = wait_reply(alice, room2, e, lambda c: "#### General" in
                   c.get("body", ""))
    result("new_management_room_takes_bare_commands", h is not None, h)

    with open(STATE, "w") as f:
        json.dump({"alice": alice.token, "room": room2}, f)


def phase_fr():
    with open(STATE) as f:
        st = json.load(f)
    alice = User("alice", st["alice"])
    room = st["room"]
    e = alice.say(room, "help")
    h = wait_reply(alice, room, e, lambda c: "#### G" in c.get("body", ""))
    result("french_help", h is not None and
           "Ceci est votre salon de gestion" in h["body"] and
           "#### Général" in h["body"] and
           "Afficher ce message d'aide." in h["body"], h)
    e = alice.say(room, "xyzzy")
    r = wait_reply(alice, room, e, lambda c: c.get("body") ==
                   "Commande inconnue, utilisez la commande `help` pour "
                   "l'aide.")
    result("french_unknown_command", r is not None, bot_msgs(alice, room, e))


def main():
    try:
        {"en": phase_en, "fr": phase_fr}[sys.argv[1]]()
    except Exception as ex:  # a crash is one failure, with its reason
        result("driver_%s_completes" % sys.argv[1], False, repr(ex))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
