"""11_wa_restart: a SIGKILL in the middle of a WhatsApp burst loses
nothing, duplicates nothing, keeps the order."""
import os
import e2e

N = int(os.environ.get("E2E_BURST", "500"))


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, "33600000001")
    b = t.baileys("bob", "33600000002")
    ghost_b = "@whatsapp_33600000002:" + e2e.SERVER
    chat = "33600000002@s.whatsapp.net"

    b.send_text(t.bridge_jid, "before")
    room = e2e.wait(lambda: t.portal_room(chat), 60)
    t.check("burst_portal_created", room is not None)
    if room is None:
        return
    admin.join(room)
    ok = admin.wait_event(room, lambda e: e.get("content", {}).get(
        "body") == "before")
    t.check("burst_first_message", ok is not None)

    # First half: sent while ponton runs.  Kill it (SIGKILL) as soon as
    # it has taken every one of them from WhatsApp (acked: each is either
    # bridged or pending), while some are still waiting for Matrix.
    half = N // 2
    for i in range(half):
        b.send_text(t.bridge_jid, "burst %03d" % i)
    prefix = chat + ":" + chat + ":%"

    def taken():
        p = t.sql("SELECT COUNT(*) FROM ponton_wa_pending")[0][0]
        m = t.sql("SELECT COUNT(*) FROM message WHERE id LIKE ?",
                  (prefix,))[0][0]
        return (p, m) if p + m >= half + 1 else None
    at_kill = e2e.wait(taken, 60, 0.02)
    t.kill_ponton()
    t.check("burst_killed_with_pending", at_kill is not None and
            at_kill[0] > 0, "pending, bridged at the kill: %s" % (at_kill,))
    # Second half: sent while ponton is down (WhatsApp queues them).
    for i in range(half, N):
        b.send_text(t.bridge_jid, "burst %03d" % i)
    t.start_ponton()

    def bodies():
        return [e["content"].get("body") for e in admin.messages(room, 2000)
                if e.get("type") == "m.room.message" and
                e.get("sender") == ghost_b and
                e["content"].get("body", "").startswith("burst ")]
    want = ["burst %03d" % i for i in range(N)]
    got = e2e.wait(lambda: (lambda b_: b_ if len(b_) >= N else None)(
        bodies()), 180, 1.0) or bodies()
    missing = [w for w in want if w not in got]
    dups = sorted(set(x for x in got if got.count(x) > 1))
    t.check("burst_none_lost", not missing, "missing %s" % missing[:10])
    # A SIGKILL while the homeserver is creating an event, before ponton
    # has written the message row, re-sends that one message at the
    # restart; its txnId names the WhatsApp message (mx.h send_event_txn),
    # so Synapse answers with the first event: nothing twice.
    collapsed = [x for i, x in enumerate(got) if i == 0 or got[i - 1] != x]
    t.check("burst_none_twice", not dups, dups[:10])
    t.check("burst_order_kept", collapsed == want, got[:60])
    left = e2e.wait(lambda: t.sql("SELECT COUNT(*) FROM ponton_wa_pending")
                    == [(0,)], 30)
    t.check("burst_nothing_left_pending", left)
    rows = t.sql("SELECT COUNT(*) FROM message WHERE id LIKE ?",
                 (prefix,))
    t.check("burst_message_rows", rows == [(N + 1,)], rows)


e2e.Test().run(scenario)
