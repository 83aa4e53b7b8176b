"""30_commands: the bot's chat and group commands end to end (see
30-commands.sh)."""
import os
import re

import yaml

import e2e

ADMIN_PHONE = "33600000001"
BOB_PHONE = "33600000002"
CAROL_PHONE = "33600000004"


def cmd(t, u, room, text, pred=None, timeout=45.0):
    """Send a command; the body of the bot's first answer (matching
    pred(body) if given), or None."""
    ev = u.send(room, text)
    r = u.bot_reply(room, ev, None if pred is None else
                    (lambda c: pred(c.get("body", ""))), timeout)
    return r["content"].get("body") if r else None


def portal_join(t, u, jid, timeout=60.0):
    """The portal room of jid once u joined it (joins directly, as
    10_wa_in does: /sync answers are cached for a while)."""
    room = e2e.wait(lambda: t.portal_room(jid), timeout)
    if room is None:
        return None

    def joined():
        if room in u.joined_rooms():
            return True
        try:
            u.join(room)
            return True
        except e2e.MatrixError:
            return False
    return room if e2e.wait(joined, timeout) else None


def as_token(t):
    with open(os.path.join(t.work, "registration.yaml")) as f:
        return yaml.safe_load(f)["as_token"]


def ghost_register(t, ghost):
    """Make sure our ghost exists on the homeserver (as the appservice;
    "already registered" is fine)."""
    local = ghost[1:].split(":", 1)[0]
    e2e.http("POST", t.syn_url + "/_matrix/client/v3/register",
             {"type": "m.login.application_service", "username": local},
             as_token(t))


def participants(peer, gid):
    try:
        meta = peer.call("groupMetadata", gid)
    except Exception:   # noqa: BLE001 - the peer's error text
        return []
    return [p.get("id") for p in meta.get("participants", [])]


def scenario(t):
    t.config(lambda c: c["bridge"]["relay"].update(enabled=True))
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, ADMIN_PHONE)
    mg = admin.mgmt
    b = t.baileys("bob", BOB_PHONE, push_name="Bob")
    c = t.baileys("carol", CAROL_PHONE, push_name="Carol")

    # --- resolve-identifier: a wasim account, an unknown number ---
    body = cmd(t, admin, mg, "resolve-identifier +" + BOB_PHONE)
    t.check("resolve_identifier_known", body is not None and
            body.startswith("Found `%s` / [" % BOB_PHONE), body)
    body = cmd(t, admin, mg, "resolve-identifier +33600000099")
    t.check("resolve_identifier_unknown", body ==
            "Failed to resolve identifier: the server said +33600000099 is "
            "not on WhatsApp", body)

    # --- start-chat: the DM portal and its room ---
    body = cmd(t, admin, mg, "start-chat +" + BOB_PHONE)
    t.check("start_chat_created", body is not None and
            body.startswith("Created chat with `%s`" % BOB_PHONE), body)
    dm = t.portal_room(BOB_PHONE + "@s.whatsapp.net")
    t.check("start_chat_portal_room", dm is not None, dm)
    body = cmd(t, admin, mg, "pm +" + BOB_PHONE)
    t.check("start_chat_again_existing", body is not None and
            body.startswith("You already have a direct chat with"), body)

    # --- a group Bob makes with the account: id, invite-link, relay ---
    gid = b.call("groupCreate", "Cafe", [t.bridge_jid])["id"]
    room = portal_join(t, admin, gid)
    t.check("group_portal", room is not None, gid)
    if room is None:
        return
    body = cmd(t, admin, room, "!wa id")
    t.check("id_in_portal", body == "This room is bridged to `%s` on "
            "WhatsApp" % gid, body)
    # Only group admins may see the link: Bob promotes the account.
    b.call("groupParticipantsUpdate", gid, [t.bridge_jid], "promote")
    body = cmd(t, admin, room, "!wa invite-link",
               lambda s: "chat.whatsapp.com/" in s or "Failed" in s)
    t.check("invite_link_given", body is not None and
            body.startswith("https://chat.whatsapp.com/"), body)
    if body is not None and body.startswith("https://chat.whatsapp.com/"):
        got = c.call("groupAcceptInvite", body.rsplit("/", 1)[1])
        t.check("invite_link_carol_joins", got == gid or e2e.wait(
            lambda: CAROL_PHONE + "@s.whatsapp.net" in participants(b, gid)),
            got)
        body2 = cmd(t, admin, room, "!wa invite-link --reset",
                    lambda s: "chat.whatsapp.com/" in s or "Failed" in s)
        t.check("invite_link_reset_new", body2 is not None and
                body2.startswith("https://chat.whatsapp.com/") and
                body2 != body, body2)
    body = cmd(t, admin, room, "!wa set-relay")
    t.check("set_relay_reply", body is not None and body.startswith(
        "Messages sent by users who haven't logged in will now be relayed "
        "through +%s" % ADMIN_PHONE), body)
    rows = t.sql("SELECT relay_login_id FROM portal WHERE id=?", (gid,))
    t.check("set_relay_stored", rows == [(ADMIN_PHONE,)], rows)
    body = cmd(t, admin, room, "!wa unset-relay")
    t.check("unset_relay_reply", body == "Stopped relaying messages for "
            "users who haven't logged in", body)
    rows = t.sql("SELECT relay_login_id FROM portal WHERE id=?", (gid,))
    t.check("unset_relay_stored", rows == [(None,)], rows)

    # --- join <link> of a group Bob made without the account ---
    g2 = b.call("groupCreate", "Tea", [c.jid])["id"]
    code = b.call("groupInviteCode", g2)
    body = cmd(t, admin, mg, "join https://chat.whatsapp.com/%s" % code)
    t.check("join_reply", body == "Successfully joined group `%s`, the "
            "portal should be created momentarily" % g2, body)
    t.check("join_account_in_group", e2e.wait(
        lambda: t.bridge_jid in participants(b, g2) or
        (t.bridge_lid is not None and t.bridge_lid in participants(b, g2))),
        (t.bridge_lid, participants(b, g2)))
    room2 = portal_join(t, admin, g2)
    t.check("join_portal_created", room2 is not None, g2)

    # --- delete-portal, then sync groups brings it back ---
    if room2 is not None:
        admin.send(room2, "!wa delete-portal")
        t.check("delete_portal_row_gone", e2e.wait(
            lambda: t.sql("SELECT id FROM portal WHERE id=?", (g2,)) == []),
            g2)
        body = cmd(t, admin, mg, "sync groups")
        t.check("sync_groups_reply", body is not None and
                re.match(r"^Queued syncs for [0-9]+ groups$", body), body)
        t.check("sync_groups_portal_back", e2e.wait(
            lambda: t.portal_room(g2) is not None, 60), g2)

    # --- create-group from a Matrix room with Carol's ghost invited (as
    # upstream, ghosts do not accept invites to rooms that are not DMs:
    # the invitation is how the user picks the group's members) ---
    ghost_c = "@whatsapp_%s:%s" % (CAROL_PHONE, e2e.SERVER)
    ghost_register(t, ghost_c)
    r3 = admin.create_room(name="Made on Matrix", invite=[e2e.BOT, ghost_c])
    t.check("create_group_bot_joins", e2e.wait(
        lambda: e2e.BOT in admin.members(r3)), r3)
    body = cmd(t, admin, r3, "!wa create-group",
               lambda s: s.startswith("Successfully") or "ailed" in s, 60)
    m = re.match(r"^Successfully created group `([0-9]+@g\.us)`", body or "")
    t.check("create_group_reply", m is not None, body)
    if m is not None:
        g3 = m.group(1)
        t.check("create_group_portal_is_the_room",
                t.portal_room(g3) == r3, t.portal_room(g3))
        t.check("create_group_ghost_joins", e2e.wait(
            lambda: ghost_c in admin.members(r3)), list(admin.members(r3)))
        meta = e2e.wait(lambda: c.call("groupMetadata", g3))
        t.check("create_group_carol_sees_it", meta is not None and
                meta.get("subject") == "Made on Matrix", meta)
        body = cmd(t, admin, r3, "!wa id")
        t.check("create_group_id", body == "This room is bridged to `%s` "
                "on WhatsApp" % g3, body)

    # --- unbridge: the room is no longer a portal, the bot leaves ---
    admin.send(room, "!wa unbridge")
    t.check("unbridge_forgets_room", e2e.wait(
        lambda: t.sql("SELECT mxid FROM portal WHERE id=?", (gid,)) ==
        [(None,)]), t.sql("SELECT mxid FROM portal WHERE id=?", (gid,)))
    t.check("unbridge_bot_leaves", e2e.wait(
        lambda: e2e.BOT not in admin.members(room)), room)


e2e.Test().run(scenario)
