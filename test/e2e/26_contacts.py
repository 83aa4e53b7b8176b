"""26_contacts: contacts from app state and push names named on their
ghosts, and the `sync` command's contacts / appstate targets (see
26-contacts.sh)."""
import e2e

ADMIN_PHONE = "33600000001"
BOB_PHONE = "33600000002"
BOB_JID = BOB_PHONE + "@s.whatsapp.net"
FULL_TMPL = "{{or .FullName .PushName .Phone}} (WA)"
FIRST_TMPL = "{{or .FirstName .PushName .Phone}} [WA]"


def displayname(t, u, mxid):
    st, js = e2e.http("GET", t.syn_url + "/_matrix/client/v3/profile/" +
                      e2e.q(mxid) + "/displayname", None, u.token)
    return js.get("displayname") if st == 200 and js else None


def name_becomes(t, u, mxid, want, timeout=60.0):
    """want once the ghost's global displayname is want, else the last
    one seen."""
    got = e2e.wait(lambda: displayname(t, u, mxid) == want, timeout)
    return want if got else displayname(t, u, mxid)


def cmd(u, room, text, pred=None, timeout=45.0):
    ev = u.send(room, text)
    r = u.bot_reply(room, ev, None if pred is None else
                    (lambda c: pred(c.get("body", ""))), timeout)
    return ev, (r["content"].get("body") if r else None)


def reacted(u, room, ev, timeout=60.0):
    return u.wait_event(room, lambda e: e.get("type") == "m.reaction" and
                        e.get("sender") == e2e.BOT and
                        e["content"].get("m.relates_to", {}).get(
                            "event_id") == ev and
                        e["content"]["m.relates_to"].get("key") ==
                        "\u2705", timeout) is not None


def scenario(t):
    t.config(lambda c: c["network"].update(displayname_template=FULL_TMPL))
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, ADMIN_PHONE)
    mg = admin.mgmt
    ghost = "@whatsapp_%s:%s" % (BOB_PHONE, e2e.E["SERVER_NAME"])

    # --- Bob writes first: named from his push name, which is stored ---
    b = t.baileys("bob", BOB_PHONE, push_name="bobby")
    b.send_text(t.bridge_jid, "hello from bob")
    room = t.wait_portal(admin, BOB_JID)
    t.check("dm_portal", room is not None)
    ev = room and admin.wait_event(room, lambda e: e.get("sender") == ghost
                                   and e.get("type") == "m.room.message")
    t.check("dm_message_from_ghost", ev is not None)
    t.check("ghost_named_from_push_name",
            name_becomes(t, admin, ghost, "bobby (WA)") == "bobby (WA)",
            displayname(t, admin, ghost))
    dev = t.bridge_device()
    pushed = e2e.wait(lambda: t.sql(
        "SELECT push_name FROM whatsmeow_contacts WHERE our_jid=? AND "
        "their_jid=?", (dev, BOB_JID)) == [("bobby",)], 30)
    t.check("push_name_stored", pushed, t.sql(
        "SELECT their_jid, push_name FROM whatsmeow_contacts"))

    # --- the phone uploads Bob's contact: ponton has no key yet ---
    phone = t.phone_device()
    r = phone.cmd("appstate-contact %s Bob Bob Martin" % BOB_JID)
    t.check("phone_contact_uploaded", r is not None and
            "failed" not in r, r)
    _, body = cmd(admin, mg, "sync appstate critical_unblock_low")
    t.check("sync_appstate_no_key", body is not None and body.startswith(
        "Key not found error syncing app state critical_unblock_low: ") and
        body.endswith("didn't find app state key\n\nKey requests are sent "
                      "automatically, and the sync should happen in the "
                      "background after your phone responds."), body)
    t.check("no_key_no_name", displayname(t, admin, ghost) == "bobby (WA)",
            displayname(t, admin, ghost))

    # --- the phone shares its key: the collection is fetched, Bob's
    # ghost renamed from the stored contacts ---
    r = phone.cmd("appstate-key-share " + dev)
    t.check("phone_key_share_sent", r is not None and
            "failed" not in r, r)
    got = name_becomes(t, admin, ghost, "Bob Martin (WA)")
    t.check("contact_renames_ghost", got == "Bob Martin (WA)", got)
    rows = t.sql("SELECT first_name, full_name, push_name FROM "
                 "whatsmeow_contacts WHERE our_jid=? AND their_jid=?",
                 (dev, BOB_JID))
    t.check("contact_stored_as_whatsmeow", rows ==
            [("Bob", "Bob Martin", "bobby")], rows)
    member = admin.state(room, "m.room.member", ghost) or {} if room \
        else {}
    ok = e2e.wait(lambda: (admin.state(room, "m.room.member", ghost) or
                           {}).get("displayname") == "Bob Martin (WA)",
                  30) if room else False
    t.check("contact_name_in_portal", ok, member)

    # --- a rename patch: renamed at once ---
    r = phone.cmd("appstate-contact %s Rob Robert Martin" % BOB_JID)
    t.check("phone_rename_uploaded", r is not None and "failed" not in r, r)
    got = name_becomes(t, admin, ghost, "Robert Martin (WA)")
    t.check("contact_rename_renames_ghost", got == "Robert Martin (WA)",
            got)

    # --- another template: nothing changes until `sync contacts` ---
    t.stop_ponton()
    t.config(lambda c: c["network"].update(displayname_template=FIRST_TMPL))
    t.start_ponton()
    e2e.wait(lambda: "synced: messages can be sent" in t.log_text(), 30)
    # The login is connected: Bob's name is what it was.
    t.check("template_change_waits_for_sync",
            displayname(t, admin, ghost) == "Robert Martin (WA)",
            displayname(t, admin, ghost))
    ev = admin.send(mg, "sync contacts")
    t.check("sync_contacts_reacts", reacted(admin, mg, ev))
    got = name_becomes(t, admin, ghost, "Rob [WA]", 30)
    t.check("sync_contacts_renames_ghost", got == "Rob [WA]", got)
    # Bob's LID form (wasim gives every account one): its ghost gets the
    # same name (upstream's syncAltGhostWithInfo), and the push name was
    # stored under it too (whatsmeow's updatePushName).
    lids = t.sql("SELECT lid FROM whatsmeow_lid_map WHERE pn=?",
                 (BOB_PHONE,))
    t.check("bob_lid_known", len(lids) == 1, lids)
    if lids:
        lid_ghost = "@whatsapp_lid-%s:%s" % (lids[0][0], e2e.E["SERVER_NAME"])
        got = name_becomes(t, admin, lid_ghost, "Rob [WA]", 30)
        t.check("sync_contacts_renames_lid_ghost", got == "Rob [WA]", got)
        rows = t.sql("SELECT push_name FROM whatsmeow_contacts WHERE "
                     "our_jid=? AND their_jid=?", (dev, lids[0][0] + "@lid"))
        t.check("push_name_stored_under_lid", rows == [("bobby",)], rows)
    # The logged-in account's own contact (its push name, if any) may
    # be listed too; no error text either way.
    ev2 = admin.send(mg, "sync contacts-with-avatars")
    t.check("sync_contacts_with_avatars_reacts", reacted(admin, mg, ev2))
    t.check("sync_contacts_no_error", admin.bot_reply(
        mg, ev, lambda c: "Failed" in c.get("body", ""), 3) is None)

    # --- sync appstate ---
    _, body = cmd(admin, mg, "sync appstate critical_unblock_low")
    t.check("sync_appstate_unblock_low", body ==
            "Synced app state critical_unblock_low, contact sync running in "
            "background", body)
    _, body = cmd(admin, mg, "sync appstate critical_block")
    t.check("sync_appstate_other", body ==
            "Synced app state critical_block", body)
    _, body = cmd(admin, mg, "sync appstate bogus")
    t.check("sync_appstate_bad_name", body ==
            "Invalid app state name `bogus`", body)
    _, body = cmd(admin, mg, "sync nonsense")
    t.check("sync_unknown_target", body ==
            "Unknown sync target `nonsense`", body)
    _, body = cmd(admin, mg, "sync")
    t.check("sync_usage", body == "Usage: `!wa sync "
            "<group/groups/contacts/contacts-with-avatars/appstate>`", body)
    t.check("ghost_keeps_name", displayname(t, admin, ghost) ==
            "Rob [WA]", displayname(t, admin, ghost))


e2e.Test().run(scenario)
