"""22_out_restart: a burst of Matrix messages across a ponton restart (see
22-out-restart.sh)."""
import os
import sqlite3
import time

import e2e

ADMIN_PHONE = "33600000001"
N = 500


def hs_pending(t):
    """Synapse's view of the appservice: (state, transactions not yet
    delivered).  A row in application_services_txns is a transaction
    Synapse has not had acknowledged; the state is 'down' while its
    recoverer runs (no row: never down)."""
    path = os.path.join(t.work, "synapse", "homeserver.db")
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        st = c.execute("SELECT state FROM application_services_state"
                       ).fetchall()
        txns = c.execute("SELECT txn_id, event_ids FROM "
                         "application_services_txns").fetchall()
    finally:
        c.close()
    return (st[0][0] if st else "up"), txns


def hs_caught_up(t):
    try:
        st, txns = hs_pending(t)
    except sqlite3.Error:
        return False
    return st != "down" and not txns


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
    # The last third once Synapse has delivered its backlog: Synapse
    # (1.163) strands a transaction created while its recoverer ends (its
    # _TransactionController.send sees the appservice still down after
    # the recoverer's last look for unsent transactions, so the new one
    # is only stored, and nothing sends it until the next failure).  That
    # event never reaches ponton.  Ponton is still busy sending the
    # backlog to WhatsApp when these arrive.
    t.check("burst_hs_backlog_delivered", e2e.wait(
        lambda: hs_caught_up(t), 60, 0.1), hs_pending(t))
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
    # Anything Synapse never delivered is its loss, not ponton's: say so.
    t.check("burst_hs_nothing_stranded", not hs_pending(t)[1],
            hs_pending(t))
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
