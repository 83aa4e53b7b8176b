"""27_history: history sync after login, a whatsmeow device of the
bridge's own account playing its phone (test/peers/whatsmeow/history.go).

Part 1, backfill.enabled with max_initial_messages 50: the admin logs in;
Bob (Baileys) creates a group "Cafe" with the account and Wendy
(whatsmeow), whose room appears empty; Wendy sends a live DM (its room
appears with that message).  The phone then pushes a HistorySync
(uploaded as md-msg-hist media) listing a DM with Bob (three messages, one
of them ours, and an image Bob sent), the group (two messages) and Wendy's DM (an older message
and the live one).  Checked: the blob is downloaded and parsed; Bob's DM
room appears (Bob's ghost joined); it and the group room hold the messages oldest
first, each with its original timestamp as origin_server_ts, sent by the
right ghost, the image downloaded from the phone's upload and
byte-identical on Matrix; Wendy's DM room, which already had a message, gets nothing
(the live message is there once, the older one is not added); the
conversations and messages are in whatsapp_history_sync_*.  The same blob
pushed again (inline this time) duplicates nothing.

Part 2, backfill off, a second login (Carol's account, 33600000011) with
its own phone device: a history listing a DM with Bob and a group makes
both rooms (the group named from its subject) and no message is bridged
into them.
"""
import base64
import json
import os
import sqlite3
import time
import zlib

import e2e

ADMIN_PHONE = "33600000001"
BOB_PHONE = "33600000002"
WENDY_PHONE = "33600000003"
CAROL_PHONE = "33600000011"
# A 1x1 PNG: an image message in the history (uploaded by the phone).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAF"
    "AAH/q842iQAAAABJRU5ErkJggg==")
BOB = BOB_PHONE + "@s.whatsapp.net"
WENDY = WENDY_PHONE + "@s.whatsapp.net"


def texts(u, room):
    """(sender, body, origin_server_ts) of the room's m.room.message
    events, oldest first."""
    return [(e.get("sender"), e.get("content", {}).get("body"),
             e.get("origin_server_ts"))
            for e in u.messages(room) if e.get("type") == "m.room.message"]


def join_portal(t, u, jid, timeout=60.0):
    room = e2e.wait(lambda: t.portal_room(jid), timeout)
    if room is None:
        return None

    def joined():
        if room in u.joined_rooms():
            return True
        try:
            u.join(room)
        except e2e.MatrixError:
            return False
        return room in u.joined_rooms()
    return room if e2e.wait(joined, timeout) else None


def push(t, phone, spec):
    dev = t.bridge_device()
    r = phone.cmd("history %s %s" % (dev, json.dumps(spec)), 60)
    return r is not None and " failed" not in r, r


# ---- a hand-encoded HistorySyncNotification (H20) ----
def _varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _ld(field, data):
    if isinstance(data, str):
        data = data.encode()
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _vi(field, n):
    return _varint(field << 3) + _varint(n)


def kept_notification(chat, msg_id, ts, text):
    """The protobuf HistorySyncNotification upstream keeps in
    whatsapp_history_sync_notification: an inline HistorySync of one DM."""
    e2e_msg = _ld(1, text)                      # Message.conversation
    info = _ld(1, _ld(1, chat) + _vi(2, 0) + _ld(3, msg_id)) + \
        _ld(2, e2e_msg) + _vi(3, ts)
    conv = _ld(1, chat) + _ld(2, _ld(1, info)) + _vi(5, ts)
    hs = _vi(1, 0) + _ld(2, conv) + _vi(5, 7)
    return _vi(6, 0) + _vi(7, 7) + _ld(11, zlib.compress(hs))


def body(t):
    t.config(lambda c: c["backfill"].update(enabled=True,
                                            max_initial_messages=50))
    t.start_ponton()
    admin = t.user("admin")
    server = admin.mxid.split(":", 1)[1]

    def ghost(phone):
        return "@whatsapp_%s:%s" % (phone, server)

    t.login_bridge(admin, phone=ADMIN_PHONE)
    bob = t.baileys("bob", phone=BOB_PHONE, push_name="Bob")
    wendy = t.whatsmeow("wendy", phone=WENDY_PHONE)
    gid = bob.call("groupCreate", "Cafe", [t.bridge_jid, wendy.jid])["id"]
    groom = join_portal(t, admin, gid)
    t.check("history_group_room_before", groom is not None, gid)
    live_id = wendy.send(t.bridge_jid, "live hello")
    wroom = join_portal(t, admin, WENDY)
    live = wroom and admin.wait_event(
        wroom, lambda e: e.get("content", {}).get("body") == "live hello")
    t.check("history_live_dm_first", live is not None and live_id, wroom)

    phone = t.phone_device("phone")
    phone.cmd("media-ca " + os.path.join(t.work, "wasim-media.pem"))
    png = os.path.join(t.work, "hist.png")
    with open(png, "wb") as f:
        f.write(PNG)
    now = int(time.time())
    t1, t2, t3 = now - 86400 * 3, now - 86400 * 2, now - 86400
    spec = {"type": 0, "chunk": 1, "conversations": [
        {"id": BOB, "messages": [
            {"id": "HISTB1", "ts": t1, "push": "Bob", "text": "hist one"},
            {"id": "HISTB2", "ts": t2, "from_me": True, "text": "hist two"},
            {"id": "HISTB3", "ts": t3, "push": "Bob", "text": "hist three"},
            {"id": "HISTB4", "ts": t3 + 60, "push": "Bob", "image": png},
        ]},
        {"id": gid, "name": "Cafe", "messages": [
            {"id": "HISTG1", "ts": t1 + 60, "participant": BOB,
             "push": "Bob", "text": "group one"},
            {"id": "HISTG2", "ts": t2 + 60, "participant": WENDY,
             "text": "group two"},
        ]},
        {"id": WENDY, "messages": [
            {"id": "HISTW0", "ts": t1, "text": "older than live"},
            {"id": live_id or "x", "ts": now, "text": "live hello"},
        ]},
    ]}
    ok, r = push(t, phone, spec)
    t.check("history_pushed", ok, r)
    # Downloaded (md-msg-hist), inflated and parsed by ponton.
    t.check("history_blob_downloaded", e2e.wait(
        lambda: "history sync: type 0, chunk 1, 3 chat(s)" in t.log_text(),
        60) is not None)

    broom = join_portal(t, admin, BOB)
    t.check("history_dm_room_created", broom is not None, BOB)
    if broom:
        admin.wait_events(broom, lambda e: e.get("type") ==
                          "m.room.message", 4, 60)
        bt = texts(admin, broom)
        t.check("history_dm_backfilled_in_order",
                [b for _, b, _ in bt[:3]] == ["hist one", "hist two",
                                              "hist three"], bt)
        t.check("history_dm_original_timestamps",
                [ts for _, _, ts in bt] == [t1 * 1000, t2 * 1000, t3 * 1000,
                                            (t3 + 60) * 1000], bt)
        t.check("history_dm_senders",
                len(bt) == 4 and bt[0][0] == ghost(BOB_PHONE) and
                bt[2][0] == ghost(BOB_PHONE) and
                bt[3][0] == ghost(BOB_PHONE) and
                bt[1][0] in (ghost(ADMIN_PHONE), admin.mxid), bt)
        imgs = [e for e in admin.messages(broom) if e.get("type") ==
                "m.room.message" and e.get("content", {}).get("msgtype") ==
                "m.image"]
        data = None
        if imgs:
            data = admin.download(imgs[0]["content"].get("url", ""))
        t.check("history_dm_image_backfilled", data == PNG,
                (imgs, len(data) if data else data))
        members = admin.members(broom)
        t.check("history_dm_ghost_joined", ghost(BOB_PHONE) in members,
                members)
    if groom:
        admin.wait_events(groom, lambda e: e.get("type") ==
                          "m.room.message", 2, 60)
        gt = texts(admin, groom)
        t.check("history_group_backfilled",
                [(s, b) for s, b, _ in gt] ==
                [(ghost(BOB_PHONE), "group one"),
                 (ghost(WENDY_PHONE), "group two")], gt)
        t.check("history_group_timestamps",
                [ts for _, _, ts in gt] == [(t1 + 60) * 1000,
                                            (t2 + 60) * 1000], gt)
        name = admin.state(groom, "m.room.name")
        t.check("history_group_named", (name or {}).get("name") == "Cafe",
                name)
    if wroom:
        wt = texts(admin, wroom)
        t.check("history_existing_room_untouched",
                [b for _, b, _ in wt] == ["live hello"], wt)
    rows = t.sql("SELECT COUNT(*) FROM whatsapp_history_sync_conversation")
    msgs = t.sql("SELECT COUNT(*) FROM whatsapp_history_sync_message")
    t.check("history_stored", rows[0][0] == 3 and msgs[0][0] == 8,
            (rows, msgs))

    # The same again, inline: nothing doubled anywhere.
    spec["inline"] = True
    spec["type"] = 3
    ok, r = push(t, phone, spec)
    t.check("history_pushed_again_inline", ok, r)
    e2e.wait(lambda: t.log_text().count("history: 3 chat(s) received") >= 2,
             30)
    time.sleep(3)
    if broom and groom and wroom:
        counts = (len(texts(admin, broom)), len(texts(admin, groom)),
                  len(texts(admin, wroom)))
        t.check("history_no_duplicates", counts == (4, 2, 1), counts)
    msgs = t.sql("SELECT COUNT(*) FROM whatsapp_history_sync_message")
    t.check("history_rows_not_doubled", msgs[0][0] == 8, msgs)
    phone.stop()

    # Part 2: backfill off, a second login.
    t.stop_ponton()
    t.config(lambda c: c["backfill"].update(enabled=False))
    t.start_ponton("nobackfill")
    carol = t.user("carol")
    t.login_bridge(carol, phone=CAROL_PHONE)
    phone2 = t.phone_device("phone2")
    phone2.cmd("media-ca " + os.path.join(t.work, "wasim-media.pem"))
    gid3 = bob.call("groupCreate", "Tea", [t.bridge_jid])["id"]
    spec2 = {"type": 0, "chunk": 1, "conversations": [
        {"id": BOB, "messages": [
            {"id": "NOBF1", "ts": t1, "push": "Bob", "text": "not me"}]},
        {"id": gid3, "name": "Tea", "messages": [
            {"id": "NOBF2", "ts": t2, "participant": BOB,
             "text": "nor me"}]},
    ]}
    ok, r = push(t, phone2, spec2)
    t.check("history_nobackfill_pushed", ok, r)
    def carol_dm():
        rows = t.sql("SELECT mxid FROM portal WHERE id=? AND receiver=? AND "
                     "mxid IS NOT NULL AND mxid != ''", (BOB, CAROL_PHONE))
        return rows[0][0] if rows else None
    croom = e2e.wait(carol_dm, 60)
    t.check("history_nobackfill_dm_room", croom is not None, croom)
    troom = join_portal(t, carol, gid3)
    t.check("history_nobackfill_group_room", troom is not None, gid3)
    time.sleep(3)
    if croom:
        try:
            carol.join(croom)
        except e2e.MatrixError:
            pass
        ct = texts(carol, croom)
        t.check("history_nobackfill_dm_empty", ct == [], ct)
    if troom:
        tt = texts(carol, troom)
        t.check("history_nobackfill_group_empty", tt == [], tt)
        name = carol.state(troom, "m.room.name")
        t.check("history_nobackfill_group_named",
                (name or {}).get("name") == "Tea", name)

    # Part 3 (H20): a notification kept by a run that stopped after the
    # ack but before handling it is handled after the restart, and its
    # row deleted.  Written while ponton is down, as such a run leaves it.
    t.check("history_kept_ponton_stopped", t.stop_ponton())
    c = sqlite3.connect(t.db_path, timeout=10)
    try:
        c.execute("INSERT INTO whatsapp_history_sync_notification "
                  "(bridge_id, user_login_id, data) VALUES ('', ?, ?)",
                  (CAROL_PHONE, kept_notification(WENDY, "KEPT1", t1,
                                                  "kept one")))
        c.commit()
    finally:
        c.close()
    t.start_ponton("kept")

    def carol_wendy():
        rows = t.sql("SELECT mxid FROM portal WHERE id=? AND receiver=? AND "
                     "mxid IS NOT NULL AND mxid != ''", (WENDY, CAROL_PHONE))
        return rows[0][0] if rows else None
    kroom = e2e.wait(carol_wendy, 60)
    t.check("history_kept_handled_after_restart", kroom is not None and
            "history sync: type 0, chunk 7, 1 chat(s)" in t.log_text(),
            kroom)

    def kept_gone():
        n = t.sql("SELECT COUNT(*) FROM whatsapp_history_sync_notification")
        return n[0][0] == 0 or None
    t.check("history_kept_row_deleted", e2e.wait(kept_gone, 30) is not None)
    stored = t.sql("SELECT COUNT(*) FROM whatsapp_history_sync_message "
                   "WHERE message_id='KEPT1'")
    t.check("history_kept_message_stored", stored[0][0] == 1, stored)


t = e2e.Test()
t.run(body)
t.finish()
