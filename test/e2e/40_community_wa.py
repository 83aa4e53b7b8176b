"""40_community_wa: community portals, method 1 (from WhatsApp).

The admin links the shared WhatsApp account (the relay account); Bob, on
WhatsApp, creates a group with it.  The bridge welcomes the group; Bob
names a member with `!am @libremax:localhost`; the member is invited to
the portal room as its admin, relay is on, and messages flow both ways.
Non-members, bad IDs, `!am` in the room and flooding are checked too.
"""
import e2e

RELAY = "33600000001"
BOB = "33600000002"


def texts_in(b, gid):
    return [m.get("text") or "" for m in b.msgs() if m.get("chat") == gid]


def count_in(b, gid, part):
    return sum(1 for s in texts_in(b, gid) if part in s)


def content(ev):
    return ev.get("content", {}) if ev else {}


def can_join(u, room, timeout=40.0):
    """u was invited to room (joined now).  Joins directly: invites()
    reads /sync, whose answer Synapse caches, so a second invite to the
    same room can stay unseen there."""
    def f():
        try:
            u.join(room)
            return True
        except e2e.MatrixError:
            return False
    return e2e.wait(f, timeout)


def scenario(t):
    t.config(lambda c: c["community"].update(commands_per_minute=10))
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, RELAY)
    b = t.baileys("bob", BOB, push_name="Bob")
    member = t.user("libremax")
    outsider = t.user("outsider")
    dom = e2e.SERVER

    # --- the welcome, when the relay account is added to a group ---
    gid = b.call("groupCreate", "Cafe", [t.bridge_jid])["id"]
    w = b.wait_message(lambda m: m.get("chat") == gid and
                       "!am @yourname:" + dom in (m.get("text") or ""),
                       timeout=60)
    t.check("welcome_in_group", w is not None, texts_in(b, gid))

    # --- added to an EXISTING group: welcomed too ---
    carol = t.baileys("carol", "33600000004", push_name="Carol")
    old = b.call("groupCreate", "Ancien", [carol.jid])["id"]
    b.call("groupParticipantsUpdate", old, [t.bridge_jid], "add")
    w2 = b.wait_message(lambda m: m.get("chat") == old and
                        "!am @yourname:" + dom in (m.get("text") or ""),
                        timeout=60)
    t.check("welcome_when_added_to_existing_group", w2 is not None,
            texts_in(b, old))

    # --- `!am @member` ---
    b.send_text(gid, "!am @LibreMax:" + dom)
    ans = b.wait_message(lambda m: m.get("chat") == gid and
                         "@libremax:%s is invited" % dom in
                         (m.get("text") or ""), timeout=60)
    t.check("member_named_answer_in_group", ans is not None,
            texts_in(b, gid))
    room = e2e.wait(lambda: t.portal_room(gid), 30)
    t.check("portal_room_exists", room is not None)
    if room is None:
        return
    invited = e2e.wait(lambda: room in member.invites(), 30)
    t.check("member_invited", invited)
    try:
        member.join(room)
    except e2e.MatrixError as e:
        t.check("member_joins", False, str(e))
        return
    pls = member.state(room, "m.room.power_levels") or {}
    t.check("member_is_room_admin", pls.get("users", {}).get(
        member.mxid) == 100, pls)
    rows = t.sql("SELECT relay_login_id FROM portal WHERE id=?", (gid,))
    t.check("relay_on", rows == [(RELAY,)], rows)
    # The outsider was never invited anywhere.
    t.check("nobody_else_invited", outsider.invites() == [] and
            room not in outsider.joined_rooms())

    # --- a repeat (the host's FAQ): the same room, invited again ---
    member.leave(room)
    b.send_text(gid, "!am @libremax:" + dom)
    again = can_join(member, room)
    t.check("repeat_reinvites_same_room", again and
            t.portal_room(gid) == room and
            len(t.sql("SELECT id FROM portal WHERE mxid IS NOT NULL "
                      "AND id=?", (gid,))) == 1)

    # --- refusals: nothing changes ---
    n_rooms = len(t.sql("SELECT id FROM portal WHERE mxid IS NOT NULL"))
    b.send_text(gid, "!am @evil:elsewhere.example")
    r1 = b.wait_message(lambda m: m.get("chat") == gid and
                        "is not an account of the community" in
                        (m.get("text") or ""), timeout=40)
    t.check("non_member_refused", r1 is not None, texts_in(b, gid))
    b.send_text(gid, "!am @nocolon")
    r2 = b.wait_message(lambda m: m.get("chat") == gid and
                        "not a Matrix user ID" in (m.get("text") or ""),
                        timeout=40)
    t.check("bad_user_id_refused", r2 is not None, texts_in(b, gid))
    t.check("refusals_change_nothing", len(t.sql(
        "SELECT id FROM portal WHERE mxid IS NOT NULL")) == n_rooms)

    # --- messages both ways, the relay prefix ---
    b.send_text(gid, "bonjour depuis WhatsApp")
    ev = member.wait_event(room, lambda e: content(e).get("body") ==
                           "bonjour depuis WhatsApp", timeout=40)
    t.check("wa_to_matrix", ev is not None and
            ev.get("sender", "").startswith("@whatsapp_"), ev)
    member.send(room, "hello from matrix")
    m = b.wait_message(lambda m: m.get("chat") == gid and
                       "hello from matrix" in (m.get("text") or ""),
                       timeout=40)
    t.check("matrix_to_wa_relayed", m is not None and
            "libremax" in (m.get("text") or ""), m)

    # --- `!am` in the room: answered, never relayed ---
    e = member.send(room, "!am help")
    rep = member.bot_reply(room, e, lambda c: "Community commands" in
                           c.get("body", ""), timeout=30)
    t.check("room_help_answered", rep is not None)
    e2e.wait(lambda: False, 3)   # a relayed copy would be there by now
    t.check("room_command_not_relayed", not any(
        s.endswith(": !am help") for s in texts_in(b, gid)),
        texts_in(b, gid))

    # --- flooding from the group: one "too many" answer ---
    before_unknown = count_in(b, gid, "Unknown command")
    for i in range(14):
        b.send_text(gid, "!am nonsense%d" % i)
    e2e.wait(lambda: count_in(b, gid, "Too many commands") >= 1, 40)
    e2e.wait(lambda: False, 3)   # let late answers arrive
    t.check("flood_one_too_many", count_in(b, gid, "Too many commands")
            == 1, texts_in(b, gid))
    t.check("flood_bounded", count_in(b, gid, "Unknown command") -
            before_unknown <= 10, texts_in(b, gid))


e2e.Test().run(scenario)
