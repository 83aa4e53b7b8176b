"""42_community_dbloss: no lost rooms after the bridge database is lost."""
import os

import e2e

RELAY = "33600000001"
BOB = "33600000002"


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


def notice(u, room, after, part, timeout=60.0):
    return u.wait_event(room, lambda e: e.get("sender") == e2e.BOT and
                        e.get("type") == "m.room.message" and
                        part in content(e).get("body", ""), timeout, after)


def texts_in(b, gid):
    return [m.get("text") or "" for m in b.msgs() if m.get("chat") == gid]


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, RELAY)
    b = t.baileys("bob", BOB, push_name="Bob")
    member = t.user("libremax")
    dom = e2e.SERVER

    # --- a method-1 portal in use ---
    gid = b.call("groupCreate", "Jardin", [t.bridge_jid])["id"]
    # As a member does: the command after the welcome.  (A first message
    # sent at the very moment ponton greets the group crosses ponton's new
    # Signal session; test/wa/46 covers that crossing and the peers' own
    # failures in it.)
    w = b.wait_message(lambda m: m.get("chat") == gid and
                       "!am @yourname:" + dom in (m.get("text") or ""),
                       timeout=60)
    t.check("welcome_in_group", w is not None, texts_in(b, gid))
    b.send_text(gid, "!am @libremax:" + dom)
    room = e2e.wait(lambda: t.portal_room(gid), 60)
    t.check("portal_made", room is not None)
    if room is None:
        return
    invited = e2e.wait(lambda: room in member.invites(), 40)
    t.check("member_invited", bool(invited), member.invites())
    if not invited:
        return
    member.join(room)
    member.send(room, "avant la perte")
    t.check("relayed_before", b.wait_message(
        lambda m: m.get("chat") == gid and "avant la perte" in
        (m.get("text") or ""), timeout=40) is not None, texts_in(b, gid))

    # --- the database is lost ---
    t.check("ponton_stops", t.stop_ponton())
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(t.db_path + suffix)
        except FileNotFoundError:
            pass
    rooms_before = set(admin.joined_rooms()) | set(member.joined_rooms())
    t.start_ponton()
    rows = e2e.wait(lambda: t.sql("SELECT mxid FROM portal WHERE id=?",
                                  (gid,)), 60)
    t.check("mapping_recovered_from_m_bridge", rows == [(room,)], rows)
    # The account must be linked again (the session was in the database);
    # the old management room is unknown now, so a new one is made.
    if hasattr(admin, "mgmt"):
        del admin.mgmt
    t.login_bridge(admin, RELAY)

    # --- WhatsApp messages reach the OLD room; no new room ---
    b.send_text(gid, "après la perte")
    ev = member.wait_event(room, lambda e: content(e).get("body") ==
                           "après la perte", timeout=60)
    t.check("wa_to_old_room", ev is not None)
    t.check("no_new_portal_room", t.sql(
        "SELECT mxid FROM portal WHERE id=?", (gid,)) == [(room,)])
    new_rooms = (set(admin.joined_rooms()) | set(admin.invites()) |
                 set(member.joined_rooms()) | set(member.invites())) - \
        rooms_before
    # Only the admin's new management room may be new.
    t.check("no_new_room_for_members", not (set(member.joined_rooms()) |
            set(member.invites())) - rooms_before, new_rooms)

    # --- relaying is off until `!am whatsapp` (the host's FAQ) ---
    e = member.send(room, "!am whatsapp")
    r = notice(member, room, e, "relaying is on")
    t.check("whatsapp_turns_relay_back_on", r is not None, r)
    member.send(room, "relai rétabli")
    t.check("matrix_to_wa_after_repair", b.wait_message(
        lambda m: m.get("chat") == gid and "relai rétabli" in
        (m.get("text") or ""), timeout=40) is not None, texts_in(b, gid))

    # --- `!am reset` ---
    e = member.send(room, "!am reset")
    r = notice(member, room, e, "Bridge repaired", timeout=90)
    t.check("reset_repairs", r is not None, r)
    gb = "@whatsapp_%s:%s" % (BOB, dom)
    t.check("reset_brings_ghosts", gb in member.members(room),
            list(member.members(room)))

    # --- `!am @member` again: the old room ---
    member.leave(room)
    b.send_text(gid, "!am @libremax:" + dom)
    t.check("reinvited_to_old_room", can_join(member, room) and
            t.sql("SELECT mxid FROM portal WHERE id=?", (gid,)) ==
            [(room,)])


e2e.Test().run(scenario)
