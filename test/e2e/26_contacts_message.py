"""26_contacts_message: a contact's full name stays on its ghost when the
contact writes (see 26-contacts-message.sh)."""
import e2e

ADMIN_PHONE = "33600000001"
BOB_PHONE = "33600000002"
BOB_JID = BOB_PHONE + "@s.whatsapp.net"
FULL_TMPL = "{{or .FullName .PushName .Phone}} (WA)"


def displayname(t, u, mxid):
    st, js = e2e.http("GET", t.syn_url + "/_matrix/client/v3/profile/" +
                      e2e.q(mxid) + "/displayname", None, u.token)
    return js.get("displayname") if st == 200 and js else None


def scenario(t):
    t.config(lambda c: c["network"].update(displayname_template=FULL_TMPL))
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, ADMIN_PHONE)
    ghost = "@whatsapp_%s:%s" % (BOB_PHONE, e2e.E["SERVER_NAME"])
    dev = t.bridge_device()

    phone = t.phone_device()
    r = phone.cmd("appstate-contact %s Bob Bob Martin" % BOB_JID)
    t.check("phone_contact_uploaded", r is not None and
            "failed" not in r, r)
    r = phone.cmd("appstate-key-share " + dev)
    t.check("phone_key_share_sent", r is not None and "failed" not in r, r)
    stored = e2e.wait(lambda: t.sql(
        "SELECT full_name FROM whatsmeow_contacts WHERE our_jid=? AND "
        "their_jid=?", (dev, BOB_JID)) == [("Bob Martin",)], 60)
    t.check("contact_stored", stored)
    t.check("contact_names_ghost", e2e.wait(
        lambda: displayname(t, admin, ghost) == "Bob Martin (WA)", 60),
        displayname(t, admin, ghost))

    b = t.baileys("bob", BOB_PHONE, push_name="bobby")
    b.send_text(t.bridge_jid, "first")
    room = t.wait_portal(admin, BOB_JID)
    t.check("dm_portal", room is not None)
    ev = room and admin.wait_event(room, lambda e: e.get("sender") == ghost
                                   and e["content"].get("body") == "first")
    t.check("first_message_bridged", ev is not None)
    b.send_text(t.bridge_jid, "second")
    ev = room and admin.wait_event(room, lambda e: e.get("sender") == ghost
                                   and e["content"].get("body") == "second")
    t.check("second_message_bridged", ev is not None)
    mem = (admin.state(room, "m.room.member", ghost) or {}) if room else {}
    t.check("message_keeps_full_name", displayname(t, admin, ghost) ==
            "Bob Martin (WA)" and mem.get("displayname") ==
            "Bob Martin (WA)", (displayname(t, admin, ghost), mem))

    t.check("restart_clean", t.restart_ponton())
    e2e.wait(lambda: t.log_text().count("synced: messages can be sent")
             >= 2, 30)
    b.send_text(t.bridge_jid, "after restart")
    ev = room and admin.wait_event(room, lambda e: e.get("sender") == ghost
                                   and e["content"].get("body") ==
                                   "after restart")
    t.check("message_after_restart_bridged", ev is not None)
    t.check("restart_keeps_full_name", displayname(t, admin, ghost) ==
            "Bob Martin (WA)", displayname(t, admin, ghost))


e2e.Test().run(scenario)
