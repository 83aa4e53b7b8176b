"""20_mx_out: Matrix -> WhatsApp, every non-media kind checked on the
WhatsApp peer (Baileys; text also on whatsmeow), and a refused send
reaching the Matrix sender (see 20-mx-out.sh; media: 23-mx-media)."""
import json
import time

import e2e

ADMIN_PHONE = "33600000001"


def content(ev):
    return ev.get("content", {}) if ev else {}


def raw_msg(m):
    return (m or {}).get("raw", {}).get("message", {}) or {}


def wa_id_of(t, event_id):
    """The WhatsApp ID ponton stored for a Matrix event."""
    rows = t.sql("SELECT id FROM message WHERE mxid=?", (event_id,))
    return rows[0][0].rsplit(":", 1)[1] if rows else None


def scenario(t):
    t.config(lambda c: c["matrix"].update(message_status_events=True))
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, ADMIN_PHONE)
    b = t.baileys("bob", "33600000002", push_name="Bob")
    ghost_b = "@whatsapp_33600000002:" + e2e.SERVER

    # A DM portal, from Bob's first message.
    hi_id = b.send_text(t.bridge_jid, "hi")
    room = t.wait_portal(admin, b.jid)
    t.check("portal_for_out", room is not None)
    if room is None:
        return
    hi_ev = admin.wait_event(room, lambda e: e.get("sender") == ghost_b and
                             content(e).get("body") == "hi")
    hi_event = hi_ev["event_id"] if hi_ev else None

    # --- read receipt (first, before any message of the admin reads the
    # chat implicitly): Bob sees his message read ---
    admin.call("POST", "/_matrix/client/v3/rooms/%s/receipt/m.read/%s" %
               (e2e.q(room), e2e.q(hi_event)), {})

    def is_read(e):
        d = json.dumps(e.get("data"))
        if hi_id not in d:
            return False
        if e.get("ev") == "message-receipt.update":
            return "readTimestamp" in d
        return e.get("ev") == "messages.update" and any(
            u.get("key", {}).get("id") == hi_id and
            u.get("update", {}).get("status") in (4, "READ")
            for u in (e.get("data") or []))
    rr = b.wait_ev(lambda e: e.get("ev") in ("messages.update",
                                              "message-receipt.update") and
                   is_read(e), 30)
    t.check("read_receipt_reaches_peer", rr is not None)

    # --- text with formatting ---
    e1 = admin.send_html(room, "hello bold it ~s~",
                         "hello <b>bold</b> <i>it</i> <del>s</del>")
    m = b.wait_message(lambda m: m["text"] is not None and
                       m["text"].startswith("hello"))
    t.check("text_markup", m is not None and m["text"] ==
            "hello *bold* _it_ ~s~", m and m["text"])
    t.check("text_row_has_wa_id", m is not None and
            wa_id_of(t, e1) == m["id"], (m and m["id"], wa_id_of(t, e1)))

    # --- reply to Bob's message: quoted id and participant ---
    admin.reply(room, hi_event, "a reply")
    m = b.wait_message(lambda m: m["text"] == "a reply")
    ci = raw_msg(m).get("extendedTextMessage", {}).get("contextInfo", {})
    t.check("reply_quotes_original", ci.get("stanzaId") == hi_id and
            ci.get("participant") == b.jid, ci)

    # --- edit ---
    admin.edit(room, e1, "hello edited")
    m = b.wait_message(lambda m: "hello edited" in json.dumps(m["raw"]))
    pm = raw_msg(m).get("protocolMessage") or raw_msg(m).get(
        "editedMessage", {}).get("message", {}).get("protocolMessage", {})
    t.check("edit_reaches_peer", m is not None and
            (pm or {}).get("key", {}).get("id") == wa_id_of(t, e1),
            m and m["raw"])

    # --- reaction, replaced, removed ---
    r1 = admin.react(room, hi_event, "\U0001f44d")
    m = b.wait_message(lambda m: m["kind"] == "reactionMessage" and
                       m["text"] == "\U0001f44d")
    rk = raw_msg(m).get("reactionMessage", {}).get("key", {})
    t.check("reaction_reaches_peer", m is not None and rk.get("id") == hi_id,
            m and m["raw"])
    admin.redact(room, r1)
    m = b.wait_message(lambda m: m["kind"] == "reactionMessage" and
                       not m["text"])
    t.check("reaction_removal_reaches_peer", m is not None)

    # --- location ---
    admin.send_event(room, "m.room.message", {
        "msgtype": "m.location", "body": "Paris",
        "geo_uri": "geo:48.8566,2.3522"})
    m = b.wait_message(lambda m: m["kind"] == "locationMessage")
    lm = raw_msg(m).get("locationMessage", {})
    t.check("location", abs(lm.get("degreesLatitude", 0) - 48.8566) < 1e-6
            and abs(lm.get("degreesLongitude", 0) - 2.3522) < 1e-6, lm)

    # --- redaction: revoke ---
    e_del = admin.send(room, "to be deleted")
    b.wait_message(lambda m: m["text"] == "to be deleted")
    gone = wa_id_of(t, e_del)
    admin.redact(room, e_del)
    m = b.wait_message(lambda m: raw_msg(m).get("protocolMessage", {}).get(
        "type") in (0, "REVOKE") and raw_msg(m)["protocolMessage"].get(
        "key", {}).get("id") == gone)
    t.check("redaction_revokes", m is not None)
    t.check("redaction_deletes_row", wa_id_of(t, e_del) is None)

    # --- typing ---
    admin.call("PUT", "/_matrix/client/v3/rooms/%s/typing/%s" %
               (e2e.q(room), e2e.q(admin.mxid)),
               {"typing": True, "timeout": 10000})
    pe = b.wait_ev(lambda e: e.get("ev") == "presence.update" and
                   "composing" in json.dumps(e.get("data")), 30)
    t.check("typing_reaches_peer", pe is not None)

    # --- m.notice is not bridged by default ---
    admin.send(room, "a notice", msgtype="m.notice")
    admin.send(room, "after the notice")
    m = b.wait_message(lambda m: m["text"] in ("a notice",
                                                "after the notice"))
    t.check("notice_not_bridged", m is not None and
            m["text"] == "after the notice", m and m["text"])

    # --- a refused send reaches the sender ---
    st, _ = e2e.http("POST", t.wasim_admin + "/admin/message-error",
                     {"phone": ADMIN_PHONE, "code": "463"})
    t.check("wasim_arms_refusal", st == 200, st)
    bad = admin.send(room, "refused one")
    mss = admin.wait_event(room, lambda e: e.get("type") ==
                           "com.beeper.message_send_status" and
                           content(e).get("m.relates_to", {}).get(
                               "event_id") == bad)
    t.check("refusal_status_event", content(mss).get("status") ==
            "FAIL_RETRIABLE" and "463" in content(mss).get("message", ""),
            content(mss))
    note = admin.wait_event(room, lambda e: content(e).get("msgtype") ==
                            "m.notice" and content(e).get(
                                "m.relates_to", {}).get("m.in_reply_to",
                                                        {}).get(
                                "event_id") == bad)
    t.check("refusal_notice", note is not None and content(note).get(
        "body", "").startswith("\u26a0\ufe0f Your message may not have "
                               "been bridged:") and
            "463" in content(note).get("body", ""), content(note))
    time.sleep(1)
    t.check("refused_not_delivered", all(
        m["text"] != "refused one" for m in b.msgs()))
    # The next message goes through again.
    admin.send(room, "accepted again")
    t.check("after_refusal_delivered", b.wait_message(
        lambda m: m["text"] == "accepted again") is not None)

    # --- whatsmeow receives text ---
    w = t.whatsmeow("wendy", "33600000003")
    w.send(t.bridge_jid, "hey from wendy")
    # Not t.wait_portal: its invite check is an initial /sync, which
    # Synapse answers from a cache for a while, so a second portal within
    # minutes of the first is not seen.  Join the invited room directly.
    room_w = e2e.wait(lambda: t.portal_room(w.jid), 60)

    def joined_w():
        try:
            admin.join(room_w)
            return True
        except Exception:
            return False
    if room_w is not None and not e2e.wait(joined_w, 60, 1.0):
        room_w = None
    t.check("whatsmeow_portal", room_w is not None)
    if room_w is None:
        return
    admin.send_html(room_w, "to wendy bold", "to wendy <b>bold</b>")
    got = w.wait_message(lambda m: m[2] == "to wendy *bold*")
    t.check("whatsmeow_text", got is not None, got)


e2e.Test().run(scenario)
