#!/usr/bin/env python3
"""login.py: a Matrix user logging the real ponton binary in to wasim from
the management room (test/bridge/login-e2e.sh runs it).  Stdlib only.
Prints one "PASS: name" / "FAIL: name -- detail" per case.

Usage: login.py PHASE
  first:  register @lina, DM the bot (management room); `login qr`: the
          bot's qr.png (downloaded through the authenticated media API) is
          exactly ponton's PNG of the QR text in its body; wasim's mock
          phone scans the text; "Successfully logged in as +<number>"; the
          QR event is redacted.  `login phone`: the number asked, a bad
          one asked again, the 8-character code, typed at wasim's phone;
          success.  list-logins shows both CONNECTED.
  restart: after ponton restarted, list-logins shows both logins
          CONNECTED again (reconnected from the database); `logout` of one
          unlinks it (wasim marks the device removed) and deletes its row;
          the phone removing the other device brings upstream's
          "State update for +N: `BAD_CREDENTIALS` (`wa-logged-out`)" notice.
Environment: SYN_URL, SYN_SECRET, WORK (state and bridge.db), WASIM_ADMIN_URL,
DRIVE (br_net_drive, for the reference PNG), SERVER_NAME.
"""
import hashlib
import hmac
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

E = os.environ
SYN_URL = E["SYN_URL"]
SERVER = E.get("SERVER_NAME", "localhost")
WORK = E["WORK"]
ADMIN = E["WASIM_ADMIN_URL"]
BOT = "@whatsappbot:" + SERVER
STATE = os.path.join(WORK, "login-state.json")
DB = os.path.join(WORK, "bridge.db")
PHONE_QR = "33677700001"
PHONE_CODE = "33677700002"
failures = 0


def result(name, ok, detail=""):
    global failures
    if ok:
        print("PASS: " + name, flush=True)
    else:
        failures += 1
        print("FAIL: " + name + (" -- " + str(detail)[:600] if detail else
                                 ""), flush=True)


def q(s):
    return urllib.parse.quote(s, safe="")


def http(method, url, body=None, token=None, raw=False):
    data, h = None, {}
    if body is not None:
        if isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            b = r.read()
            return r.status, (b if raw else json.loads(b or b"null"))
    except urllib.error.HTTPError as e:
        b = e.read()
        try:
            return e.code, (b if raw else json.loads(b or b"null"))
        except ValueError:
            return e.code, None


def register(name):
    url = SYN_URL + "/_synapse/admin/v1/register"
    nonce = http("GET", url)[1]["nonce"]
    pw = "pw-" + name
    mac = hmac.new(E["SYN_SECRET"].encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), name.encode(), pw.encode(),
                             b"notadmin"]))
    st, js = http("POST", url, {"nonce": nonce, "username": name,
                                "password": pw, "admin": False,
                                "mac": mac.hexdigest()})
    if st != 200:
        raise RuntimeError("register %s: %s %s" % (name, st, js))
    return js["access_token"]


class User:
    txn = 0

    def __init__(self, name, token):
        self.id = "@%s:%s" % (name, SERVER)
        self.token = token

    def ok(self, method, path, body=None):
        st, js = http(method, SYN_URL + path, body, self.token)
        if st != 200:
            raise RuntimeError("%s %s: %s %s" % (method, path, st, js))
        return js

    def say(self, room, body):
        User.txn += 1
        return self.ok("PUT", "/_matrix/client/v3/rooms/%s/send/"
                       "m.room.message/login%d.%d" % (q(room), os.getpid(),
                                                      User.txn),
                       {"msgtype": "m.text", "body": body})["event_id"]

    def events(self, room):
        return self.ok("GET", "/_matrix/client/v3/rooms/%s/messages?dir=f"
                       "&limit=1000" % q(room)).get("chunk", [])


def wait(fn, timeout=30.0):
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(0.25)


def bot_after(u, room, after):
    """The bot's m.room.message events after event id `after`."""
    out, seen = [], after is None
    for ev in u.events(room):
        if not seen:
            seen = ev.get("event_id") == after
            continue
        if ev.get("type") == "m.room.message" and ev.get("sender") == BOT:
            out.append(ev)
    return out


def wait_bot(u, room, after, pred, timeout=30.0):
    def f():
        for ev in bot_after(u, room, after):
            if pred(ev.get("content", {})):
                return ev
        return None
    return wait(f, timeout)


def body_is(text):
    return lambda c: c.get("body") == text


def sql(query, args=()):
    c = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=10)
    try:
        return c.execute(query, args).fetchall()
    finally:
        c.close()


def admin_post(path, body):
    return http("POST", ADMIN + path, body)


def list_logins(u, room):
    e = u.say(room, "list-logins")
    ev = wait_bot(u, room, e, lambda c: c.get("body", "").startswith("* `"))
    return ev["content"]["body"] if ev else ""


def phase_first():
    lina = User("lina", register("lina"))
    room = lina.ok("POST", "/_matrix/client/v3/createRoom", {
        "invite": [BOT], "is_direct": True,
        "preset": "trusted_private_chat"})["room_id"]
    ok = wait(lambda: sql('SELECT management_room FROM "user" WHERE mxid=?',
                          (lina.id,)) == [(room,)])
    result("login_mgmt_room_ready", ok)
    json.dump({"token": lina.token, "room": room}, open(STATE, "w"))

    # --- login qr --------------------------------------------------------
    e = lina.say(room, "login qr")
    intro = wait_bot(lina, room, e, body_is(
        "Scan the QR code with the WhatsApp mobile app to log in"))
    img = wait_bot(lina, room, e, lambda c: c.get("msgtype") == "m.image")
    result("login_qr_instructions_and_image", intro is not None and
           img is not None, bot_after(lina, room, e))
    if img is None:
        return
    c = img["content"]
    qr = c.get("body", "")
    result("login_qr_image_as_upstream",
           c.get("filename") == "qr.png" and
           c.get("info", {}).get("mimetype") == "image/png" and
           re.match(r"^https://wa\.me/settings/linked_devices#[^,]+,[^,]+,"
                    r"[^,]+,[^,]+,\d+$", qr) is not None and
           c.get("formatted_body") == "<pre><code>%s</code></pre>" % qr, c)
    mxc = c.get("url", "")
    m = re.match(r"^mxc://([^/]+)/(.+)$", mxc)
    png = b""
    if m:
        st, png = http("GET", SYN_URL + "/_matrix/client/v1/media/download/"
                       "%s/%s" % (m.group(1), m.group(2)), None, lina.token,
                       raw=True)
    ref = os.path.join(WORK, "ref-qr.png")
    subprocess.run([E["DRIVE"], "qr-png", qr, ref], check=False)
    want = open(ref, "rb").read() if os.path.exists(ref) else b"?"
    result("login_qr_png_downloaded_is_the_qr_text",
           png[:8] == b"\x89PNG\r\n\x1a\n" and png == want and
           c.get("info", {}).get("size") == len(png),
           "%d bytes vs %d" % (len(png), len(want)))

    st, js = admin_post("/admin/mock-phone/scan-qr?phone=" + PHONE_QR,
                        qr.encode())
    done = wait_bot(lina, room, e, body_is(
        "Successfully logged in as +" + PHONE_QR), 40)
    result("login_qr_success_text", done is not None and
           done["content"].get("msgtype") == "m.notice",
           (st, js, [x["content"].get("body") for x in
                     bot_after(lina, room, e)]))
    redacted = wait(lambda: any(ev.get("event_id") == img["event_id"] and
                                not ev.get("content")
                                for ev in lina.events(room)), 15)
    result("login_qr_image_redacted_after", redacted)
    rows = sql("SELECT id, user_mxid, remote_name, json_extract(metadata, "
               "'$.wa_device_id') FROM user_login WHERE id=?", (PHONE_QR,))
    result("login_qr_user_login_row",
           len(rows) == 1 and rows[0][1] == lina.id and
           rows[0][2] == "+" + PHONE_QR and (rows[0][3] or 0) > 0, rows)

    # --- login phone -----------------------------------------------------
    e = lina.say(room, "login phone")
    ask = wait_bot(lina, room, e, body_is(
        "Please enter your Phone number\nYour WhatsApp phone number in "
        "international format"))
    result("login_phone_asks_number", ask is not None)
    e2 = lina.say(room, "0677700002")
    bad = wait_bot(lina, room, e2, body_is(
        "Invalid value: Phone number must be in international format"))
    result("login_phone_bad_number_asked_again", bad is not None)
    e3 = lina.say(room, "+33 6 77 70 00 02")
    code_ev = wait_bot(lina, room, e3, lambda c: re.match(
        r"^`[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}`$",
        c.get("body", "")) is not None)
    result("login_phone_code_sent", code_ev is not None and wait_bot(
        lina, room, e3, body_is("Input the pairing code in the WhatsApp "
                                "mobile app to log in"), 5) is not None,
           [x["content"].get("body") for x in bot_after(lina, room, e3)])
    if code_ev is not None:
        code = code_ev["content"]["body"].strip("`")
        admin_post("/admin/mock-phone/pair-code",
                   {"phone": PHONE_CODE, "code": code})
    done = wait_bot(lina, room, e3, body_is(
        "Successfully logged in as +" + PHONE_CODE), 40)
    result("login_phone_success_text", done is not None)

    lst = wait(lambda: (lambda b: b if b.count("`CONNECTED`") == 2 else "")(
        list_logins(lina, room)), 30)
    result("list_logins_two_connected", lst ==
           "* `%s` (+%s) - `CONNECTED`\n* `%s` (+%s) - `CONNECTED`" %
           (PHONE_QR, PHONE_QR, PHONE_CODE, PHONE_CODE), lst)


def phase_restart():
    st = json.load(open(STATE))
    lina = User("lina", st["token"])
    room = st["room"]
    lst = wait(lambda: (lambda b: b if b.count("`CONNECTED`") == 2 else "")(
        list_logins(lina, room)), 40)
    result("restart_reconnects_stored_logins", lst.count("`CONNECTED`") == 2,
           lst)
    e = lina.say(room, "logout " + PHONE_CODE)
    out = wait_bot(lina, room, e, body_is("Logged out"))
    result("logout_answers", out is not None)
    gone = wait(lambda: sql("SELECT count(*) FROM user_login WHERE id=?",
                            (PHONE_CODE,)) == [(0,)], 20)
    st_, devs = http("GET", ADMIN + "/admin/accounts/%s/devices" % PHONE_CODE)
    removed = isinstance(devs, (list, dict)) and '"removed": true' in \
        json.dumps(devs)
    result("logout_unlinks_device_and_deletes_row", gone and removed, devs)
    e = lina.say(room, "logout " + PHONE_CODE)
    result("logout_unknown_login", wait_bot(lina, room, e, body_is(
        "Login `%s` not found" % PHONE_CODE)) is not None)

    # The phone unlinks the other device: a bridge-state notice.
    e = lina.say(room, "list-logins")
    admin_post("/admin/stream-error", {"phone": PHONE_QR, "code": "401",
                                       "conflict": "device_removed"})
    ev = wait_bot(lina, room, e, lambda c: c.get("body", "").startswith(
        "State update for +%s: `BAD_CREDENTIALS` (`wa-logged-out`)" %
        PHONE_QR), 30)
    bs = ev["content"].get("fi.mau.bridge_state", {}) if ev else {}
    result("logged_out_by_phone_notice",
           ev is not None and ev["content"].get("msgtype") == "m.text" and
           bs.get("state_event") == "BAD_CREDENTIALS" and
           bs.get("error") == "wa-logged-out", ev)
    lst = wait(lambda: (lambda b: b if "BAD_CREDENTIALS" in b else "")(
        list_logins(lina, room)), 20)
    result("list_logins_shows_logged_out", lst ==
           "* `%s` (+%s) - `BAD_CREDENTIALS`" % (PHONE_QR, PHONE_QR), lst)

    # relogin: a new QR for the same number brings the login back.
    e = lina.say(room, "relogin %s qr" % PHONE_QR)
    img = wait_bot(lina, room, e, lambda c: c.get("msgtype") == "m.image")
    if img is not None:
        admin_post("/admin/mock-phone/scan-qr?phone=" + PHONE_QR,
                   img["content"]["body"].encode())
    done = wait_bot(lina, room, e, body_is(
        "Successfully logged in as +" + PHONE_QR), 40)
    lst = wait(lambda: (lambda b: b if "CONNECTED" in b and "BAD" not in b
                        else "")(list_logins(lina, room)), 30)
    result("relogin_qr_restores_login", done is not None and lst ==
           "* `%s` (+%s) - `CONNECTED`" % (PHONE_QR, PHONE_QR), lst)


if __name__ == "__main__":
    {"first": phase_first, "restart": phase_restart}[sys.argv[1]]()
    sys.exit(1 if failures else 0)
