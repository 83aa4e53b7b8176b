"""41_community_mx: community portals, method 2 (from Matrix)."""
import e2e

RELAY = "33600000001"
BOB = "33600000002"
CAROL = "33600000004"
DAVE = "33600000005"
CBOT = "@arnmessager:" + e2e.SERVER


def content(ev):
    return ev.get("content", {}) if ev else {}


def notice(u, room, after, part, timeout=60.0):
    """The first answer after event `after` from either bot (the community
    bot outside portals, the bridge bot in them) containing part."""
    return u.wait_event(room, lambda e: e.get("sender") in (e2e.BOT, CBOT)
                        and e.get("type") == "m.room.message" and
                        part in content(e).get("body", ""), timeout, after)


def scenario(t):
    # Members: libremax only (everyone on localhost would be one by
    # default), so "stranger" is not.
    t.config(lambda c: c["community"].update(
        commands_per_minute=20, member_domains=["members.invalid"],
        member_users=["@libremax:" + e2e.SERVER]))
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, RELAY)
    member = t.user("libremax")
    stranger = t.user("stranger")

    # --- a private unencrypted room, the member alone and admin ---
    room = member.create_room(name="Apéro", preset="private_chat")
    member.invite(room, CBOT)
    joined = e2e.wait(lambda: CBOT in member.members(room), 40)
    t.check("community_bot_joins_on_invite", joined)
    hello = member.wait_event(room, lambda e: e.get("sender") == CBOT and
                              "!am whatsapp" in content(e).get("body", ""),
                              timeout=30)
    t.check("community_bot_says_hello", hello is not None)

    # --- the bot lacks power: one clear answer, nothing done ---
    e = member.send(room, "!am whatsapp")
    r = notice(member, room, e, "needs admin rights")
    t.check("bot_power_asked", r is not None and r.get("sender") == CBOT,
            r)
    t.check("nothing_bridged_yet", t.sql(
        "SELECT id FROM portal WHERE mxid=?", (room,)) == [])

    # --- a stranger cannot use it ---
    member.invite(room, stranger.mxid)
    stranger.join(room)
    e = stranger.send(room, "!am whatsapp")
    r = notice(member, room, e, "Only accounts of the community")
    t.check("stranger_refused", r is not None, r)
    stranger.leave(room)

    # --- power given: the group is created and THIS room bridged ---
    pls = member.state(room, "m.room.power_levels")
    pls.setdefault("users", {})[CBOT] = 100
    member.set_state(room, "m.room.power_levels", pls)
    e = member.send(room, "!am whatsapp")
    r = notice(member, room, e, "https://chat.whatsapp.com/", timeout=90)
    t.check("group_created_link_posted", r is not None, r)
    if r is None:
        return
    link = [w for w in content(r)["body"].split()
            if w.startswith("https://chat.whatsapp.com/")][0]
    rows = t.sql("SELECT id, relay_login_id FROM portal WHERE mxid=?",
                 (room,))
    t.check("this_room_is_the_portal", len(rows) == 1 and
            rows[0][0].endswith("@g.us") and rows[0][1] == RELAY, rows)
    gid = rows[0][0] if rows else ""
    t.check("no_second_room", len(t.sql(
        "SELECT mxid FROM portal WHERE id=? AND mxid IS NOT NULL",
        (gid,))) == 1)
    mb = member.wait_event(room, lambda e: e.get("type") == "m.bridge" and
                           content(e).get("channel", {}).get("id") == gid,
                           timeout=30)
    t.check("m_bridge_state_sent", mb is not None)
    t.check("bridge_bot_in_room", e2e.BOT in member.members(room))

    # --- a contact joins with the link; messages both ways ---
    b = t.baileys("bob", BOB, push_name="Bob")
    got = b.call("groupAcceptInvite", link.rsplit("/", 1)[1])
    t.check("contact_joins_by_link", got == gid, got)
    meta = b.call("groupMetadata", gid)
    t.check("group_named_after_room", meta.get("subject") == "Apéro",
            meta.get("subject"))
    b.send_text(gid, "salut depuis WhatsApp")
    ev = member.wait_event(room, lambda e: content(e).get("body") ==
                           "salut depuis WhatsApp", timeout=40)
    t.check("wa_to_matrix", ev is not None)
    member.send(room, "coucou depuis Matrix")
    m = b.wait_message(lambda m: m.get("chat") == gid and
                       "coucou depuis Matrix" in (m.get("text") or ""),
                       timeout=40)
    t.check("matrix_to_wa_relayed", m is not None and
            "libremax" in (m.get("text") or ""), m)

    # --- `!am whatsapp +number`: a direct add ---
    c = t.baileys("carol", CAROL, push_name="Carol")
    e = member.send(room, "!am whatsapp +" + CAROL)
    r = notice(member, room, e, "was added to the WhatsApp group")
    t.check("number_added", r is not None, r)
    gc = "@whatsapp_%s:%s" % (CAROL, e2e.SERVER)
    t.check("added_ghost_joins_room", e2e.wait(
        lambda: gc in member.members(room), 30))
    meta = c.call("groupMetadata", gid)
    t.check("added_is_in_group", any(
        p.get("id", "").startswith(CAROL) or
        (p.get("phoneNumber") or "").startswith(CAROL)
        for p in meta.get("participants", [])), meta.get("participants"))

    # --- refused by privacy: an invitation instead ---
    d = t.baileys("dave", DAVE, push_name="Dave")
    st, js = e2e.http("POST", t.wasim_admin + "/admin/privacy",
                      {"phone": DAVE, "refuse_group_add": True})
    t.check("privacy_set", st == 200, js)
    e = member.send(room, "!am whatsapp +" + DAVE)
    r = notice(member, room, e, "an invitation to the group")
    t.check("refused_add_invitation_answer", r is not None, r)
    inv = d.wait_message(lambda m: m.get("kind") == "groupInviteMessage",
                         timeout=40)
    t.check("refused_add_invitation_received", inv is not None, d.msgs())

    # --- a number not on WhatsApp; a malformed one ---
    e = member.send(room, "!am whatsapp +33699999999")
    r = notice(member, room, e, "is not on WhatsApp")
    t.check("not_on_whatsapp", r is not None, r)
    e = member.send(room, "!am whatsapp 0612345678")
    r = notice(member, room, e, "international format")
    t.check("bad_number", r is not None, r)

    # --- `!am whatsapp` again: relay back on, nothing created ---
    admin_rows = t.sql("SELECT count(*) FROM portal WHERE mxid IS NOT NULL")
    e = member.send(room, "!am whatsapp")
    r = notice(member, room, e, "relaying is on")
    t.check("whatsapp_again_relay_on", r is not None, r)
    t.check("whatsapp_again_no_new_portal", t.sql(
        "SELECT count(*) FROM portal WHERE mxid IS NOT NULL") == admin_rows)


e2e.Test().run(scenario)
