"""43_community_otherbridge: WhatsApp + Matrix + another bridge."""
import e2e

RELAY = "33600000001"
BOB = "33600000002"
CBOT = "@arnmessager:" + e2e.SERVER
SIGNAL_KEY = e2e.SERVER + "/signal"


def content(ev):
    return ev.get("content", {}) if ev else {}


def texts_in(b, gid):
    return [m.get("text") or "" for m in b.msgs() if m.get("chat") == gid]


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, RELAY)
    member = t.user("libremax")
    sbot = t.user("signalbot")
    ghost = t.user("signal_alice")

    # --- "a Signal portal": the other bridge's bot, ghost and state ---
    room = member.create_room(name="Famille", preset="private_chat")
    for u in (sbot, ghost):
        member.invite(room, u.mxid)
        u.join(room)
    pls = member.state(room, "m.room.power_levels")
    pls.setdefault("users", {}).update({sbot.mxid: 100, CBOT: 100})
    member.set_state(room, "m.room.power_levels", pls)
    theirs = {"bridgebot": sbot.mxid, "creator": sbot.mxid,
              "protocol": {"id": "signal", "displayname": "Signal"},
              "channel": {"id": "group-xyz"}}
    sbot.set_state(room, "m.bridge", theirs, key=SIGNAL_KEY)

    # --- our community bot, `!am whatsapp` ---
    member.invite(room, CBOT)
    t.check("community_bot_joins", e2e.wait(
        lambda: CBOT in member.members(room), 40))
    e = member.send(room, "!am whatsapp")
    r = member.wait_event(room, lambda ev: ev.get("sender") in
                          (e2e.BOT, CBOT) and "https://chat.whatsapp.com/"
                          in content(ev).get("body", ""), 90, e)
    t.check("bridged_despite_other_bridge_members", r is not None)
    if r is None:
        return
    link = [w for w in content(r)["body"].split()
            if w.startswith("https://chat.whatsapp.com/")][0]
    gid = t.sql("SELECT id FROM portal WHERE mxid=?", (room,))[0][0]
    t.check("other_bridge_state_untouched",
            member.state(room, "m.bridge", SIGNAL_KEY) == theirs,
            member.state(room, "m.bridge", SIGNAL_KEY))

    b = t.baileys("bob", BOB, push_name="Bob")
    b.call("groupAcceptInvite", link.rsplit("/", 1)[1])

    # --- the other bridge's ghost is relayed like a Matrix user, once ---
    ghost.send(room, "hello from signal")
    m = b.wait_message(lambda m: m.get("chat") == gid and
                       "hello from signal" in (m.get("text") or ""), 40)
    t.check("other_ghost_relayed_with_prefix", m is not None and
            "signal_alice" in (m.get("text") or ""), m)
    # --- WhatsApp arrives once ---
    b.send_text(gid, "hi all")
    ev = member.wait_event(room, lambda e: content(e).get("body") ==
                           "hi all", 40)
    t.check("wa_to_room", ev is not None)
    e = member.send(room, "!am reset")
    member.wait_event(room, lambda e2: "Bridge repaired" in
                      content(e2).get("body", ""), 90, e)
    e2e.wait(lambda: False, 5)   # time for any loop to show
    t.check("other_ghost_relayed_once", sum(
        1 for s in texts_in(b, gid) if "hello from signal" in s) == 1,
        texts_in(b, gid))
    t.check("wa_message_once_in_room", sum(
        1 for e in member.messages(room)
        if content(e).get("body") == "hi all") == 1)
    t.check("nothing_of_ours_relayed", not any(
        "chat.whatsapp.com" in s or "!am" in s or "Bridge repaired" in s
        for s in texts_in(b, gid)), texts_in(b, gid))
    t.check("other_bridge_state_untouched_after_reset",
            member.state(room, "m.bridge", SIGNAL_KEY) == theirs)


e2e.Test().run(scenario)
