"""21_relay: relay mode (see 21-relay.sh)."""
import e2e

ADMIN_PHONE = "33600000001"


def content(ev):
    return ev.get("content", {}) if ev else {}


def scenario(t):
    t.config(lambda c: c["bridge"]["relay"].update(enabled=True))
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, ADMIN_PHONE)
    b = t.baileys("bob", "33600000002", push_name="Bob")
    b.send_text(t.bridge_jid, "hi")
    room = t.wait_portal(admin, b.jid)
    t.check("relay_portal", room is not None)
    if room is None:
        return

    # A user without a login, before the relay is set: refused.
    alice = t.user("relayonly")
    alice.call("PUT", "/_matrix/client/v3/profile/%s/displayname" %
               e2e.q(alice.mxid), {"displayname": "Alice"})
    admin.invite(room, alice.mxid)
    alice.join(room)
    before = alice.send(room, "too early")
    note = admin.wait_event(room, lambda e: content(e).get(
        "m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") ==
        before)
    t.check("no_relay_not_logged_in", content(note).get("body") ==
            "\u26a0\ufe0f Your message was not bridged: You're not logged "
            "in", content(note))

    # The admin sets the relay with the command.
    e = admin.send(room, "!wa set-relay")
    ok = e2e.wait(lambda: t.sql("SELECT relay_login_id FROM portal WHERE "
                                "id=?", (b.jid,)) == [(ADMIN_PHONE,)], 30)
    t.check("set_relay_stored", ok, t.sql("SELECT relay_login_id FROM "
                                          "portal WHERE id=?", (b.jid,)))

    # Relayed text: exactly the default template's text.
    alice.send(room, "hello there")
    m = b.wait_message(lambda m: m["text"] is not None and
                       "hello there" in m["text"])
    t.check("relay_text_exact", m is not None and m["text"] ==
            "*Alice*: hello there", m and m["text"])
    alice.send_html(room, "bold words", "<b>bold</b> words")
    m = b.wait_message(lambda m: m["text"] is not None and
                       "words" in m["text"])
    t.check("relay_html_exact", m is not None and m["text"] ==
            "*Alice*: *bold* words", m and m["text"])
    alice.send(room, "waves", msgtype="m.emote")
    m = b.wait_message(lambda m: m["text"] is not None and
                       "waves" in m["text"])
    t.check("relay_emote_exact", m is not None and m["text"] ==
            "* *Alice* waves", m and m["text"])

    # Relayed users' reactions are ignored; the owner writes unprefixed.
    hi = admin.wait_event(room, lambda e: content(e).get("body") == "hi")
    alice.react(room, hi["event_id"], "\U0001f44d")
    admin.send(room, "from the owner")
    m = b.wait_message(lambda m: m["text"] == "from the owner" or
                       m["kind"] == "reactionMessage")
    t.check("relay_owner_unprefixed_and_reaction_ignored", m is not None
            and m["text"] == "from the owner", m and m["text"])


e2e.Test().run(scenario)
