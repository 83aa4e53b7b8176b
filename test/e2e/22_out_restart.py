"""22_out_restart: a burst of Matrix messages across a ponton restart (see
22-out-restart.sh)."""
import time

import e2e

ADMIN_PHONE = "33600000001"
N = 500


def scenario(t):
    t.start_ponton()
    admin = t.user("admin")
    t.login_bridge(admin, ADMIN_PHONE)
    b = t.baileys("bob", "33600000002", push_name="Bob")
    b.send_text(t.bridge_jid, "hi")
    room = t.wait_portal(admin, b.jid)
    t.check("burst_portal", room is not None)
    if room is None:
        return
    texts = ["burst %03d" % i for i in range(N)]
    # A third while ponton runs, then it stops at once (SIGTERM: what it
    # had accepted and not sent yet is in its queue), a third while it is
    # down (the homeserver keeps them), a third after it is back.
    for s in texts[:N // 3]:
        admin.send(room, s)
    t.check("burst_first_stop_clean", t.stop_ponton())
    for s in texts[N // 3:2 * N // 3]:
        admin.send(room, s)
    t.start_ponton()
    for s in texts[2 * N // 3:]:
        admin.send(room, s)

    def got():
        seen = [m["text"] for m in b.msgs()
                if (m["text"] or "").startswith("burst ")]
        return seen if len(set(seen)) >= N else None
    seen = e2e.wait(got, 180, 0.5) or [
        m["text"] for m in b.msgs() if (m["text"] or "").startswith("burst ")]
    time.sleep(3)  # late duplicates would show now
    seen = [m["text"] for m in b.msgs()
            if (m["text"] or "").startswith("burst ")]
    missing = [s for s in texts if s not in seen]
    t.check("burst_none_lost", not missing, missing)
    dups = sorted(set(s for s in seen if seen.count(s) > 1))
    t.check("burst_none_twice", not dups, dups)
    t.check("burst_order_kept", seen == sorted(seen), seen)
    # Every message has its WhatsApp ID in the message table.
    rows = t.sql("SELECT COUNT(*) FROM message WHERE id NOT LIKE 'fake:%' "
                 "AND sender_mxid=?", (admin.mxid,))
    t.check("burst_rows_stored", rows[0][0] >= N, rows)
    left = t.sql("SELECT COUNT(*) FROM kv_store WHERE key LIKE "
                 "'ponton.mx_out.%'")
    t.check("burst_queue_empty", left[0][0] == 0, left)


e2e.Test().run(scenario)
