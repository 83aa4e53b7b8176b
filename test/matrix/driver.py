#!/usr/bin/env python3
"""driver.py: the Matrix suite (test/suites/50-matrix.sh) against a real
Synapse.  Acts as a Matrix user (alice) through the client-server API with
urllib, drives test/tools/mx_harness (an appservice built on matrix/) over
its stdin/stdout, and talks to the appservice port directly for the
authentication and replay cases.  Prints one "PASS: name" or
"FAIL: name" line per case.

Environment: SYN_URL, SYN_DIR, SYN_SECRET, AS_PORT, AS_TOKEN, HS_TOKEN,
AS_ID, DP_TOKEN, HARNESS, TOP, SERVER_NAME.
"""
import hashlib
import hmac
import http.client as httpclient
import json
import os
import queue
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

E = os.environ
SYN_URL = E.get("SYN_URL", "")
SERVER = E.get("SERVER_NAME", "localhost")
AS_PORT = int(E.get("AS_PORT", "0"))
AS_URL = "http://127.0.0.1:%d" % AS_PORT
BOT = "@whatsappbot:" + SERVER
GHOST = "@whatsapp_15551234567:" + SERVER
failures = 0


def result(name, ok, detail=""):
    global failures
    if ok:
        print("PASS: " + name, flush=True)
    else:
        failures += 1
        print("FAIL: " + name + (" -- " + detail if detail else ""), flush=True)


def q(s):
    return urllib.parse.quote(s, safe="")


def http(method, url, body=None, token=None, headers=None, raw=False):
    """Returns (status, parsed JSON or bytes, headers)."""
    data = None
    h = dict(headers or {})
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        else:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
    if token is not None:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            payload = r.read()
            status, hdrs = r.status, r.headers
    except urllib.error.HTTPError as e:
        payload = e.read()
        status, hdrs = e.code, e.headers
    if raw:
        return status, payload, hdrs
    try:
        return status, json.loads(payload or b"null"), hdrs
    except ValueError:
        return status, payload, hdrs


def register_user(name, password, admin=False):
    """Shared-secret admin registration (HMAC-SHA1)."""
    url = SYN_URL + "/_synapse/admin/v1/register"
    st, js, _ = http("GET", url)
    nonce = js["nonce"]
    mac = hmac.new(E["SYN_SECRET"].encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(),
                             b"admin" if admin else b"notadmin"]))
    st, js, _ = http("POST", url, {"nonce": nonce, "username": name,
                                   "password": password, "admin": admin,
                                   "mac": mac.hexdigest()})
    if st != 200:
        raise RuntimeError("register %s: %s %s" % (name, st, js))
    return js["access_token"]


class Client:
    def __init__(self, token, user_id):
        self.token = token
        self.user_id = user_id

    def call(self, method, path, body=None, raw=False):
        return http(method, SYN_URL + path, body, self.token, raw=raw)

    def ok(self, method, path, body=None):
        st, js, _ = self.call(method, path, body)
        if st != 200:
            raise RuntimeError("%s %s: %s %s" % (method, path, st, js))
        return js

    def messages(self, room, limit=200):
        js = self.ok("GET", "/_matrix/client/v3/rooms/%s/messages?dir=f&limit=%d"
                     % (q(room), limit))
        return js.get("chunk", [])

    def state(self, room, typ, key=""):
        return self.call("GET", "/_matrix/client/v3/rooms/%s/state/%s/%s"
                         % (q(room), q(typ), q(key)))


class Harness:
    def __init__(self, args):
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  bufsize=1)
        self.q = queue.Queue()
        self.events = []
        self.ephemeral = []
        self.lock = threading.Lock()
        self.next_id = 1
        self.ready = None
        threading.Thread(target=self._read, daemon=True).start()
        self.ready = self._wait(lambda m: "ready" in m, 20)["ready"]

    def _read(self):
        for line in self.p.stdout:
            try:
                m = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                if "event" in m:
                    self.events.append(m["event"])
                elif "ephemeral" in m:
                    self.ephemeral.append(m["ephemeral"])
            self.q.put(m)
        self.q.put(None)

    def _wait(self, pred, timeout):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("harness did not answer")
            m = self.q.get(timeout=left)
            if m is None:
                raise RuntimeError("harness exited")
            if pred(m):
                return m

    def cmd(self, op, timeout=60, **kw):
        i = self.next_id
        self.next_id += 1
        kw.update(id=i, op=op)
        self.p.stdin.write(json.dumps(kw) + "\n")
        self.p.stdin.flush()
        return self._wait(lambda m: m.get("id") == i, timeout)

    def wait_event(self, pred, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                for ev in self.events:
                    if pred(ev):
                        return ev
            time.sleep(0.05)
        return None

    def close(self):
        try:
            self.cmd("quit", timeout=10)
        except Exception:
            pass
        try:
            self.p.stdin.close()
        except Exception:
            pass
        try:
            return self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return -9


def png_bytes():
    """A small valid PNG (16x16 gradient), built here."""
    w = h = 16
    rows = b"".join(b"\x00" + b"".join(bytes((x * 16, y * 16, 128)) for x in range(w))
                    for y in range(h))

    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def wait_for(fn, timeout=20, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return None


def main():
    work = E["WORK"]
    alice_tok = register_user("alice", "alicepass")
    alice = Client(alice_tok, "@alice:" + SERVER)
    args = [E["HARNESS"], "--hs", SYN_URL, "--domain", SERVER, "--as-id", E["AS_ID"],
            "--as-token", E["AS_TOKEN"], "--hs-token", E["HS_TOKEN"],
            "--port", str(AS_PORT), "--bot-name", "WhatsApp bridge bot",
            "--dp", SERVER + "=as_token:" + E["DP_TOKEN"]]
    h = Harness(args)

    # 1. start-up: register bot, versions, whoami, ping.
    r = h.cmd("start", timeout=90)
    result("as_start_checks_and_ping", r["rc"] == 0, json.dumps(r))
    st, js, _ = http("POST", SYN_URL + "/_matrix/client/v1/appservice/%s/ping" % q(E["AS_ID"]),
                     {"transaction_id": "driver-1"}, E["AS_TOKEN"])
    result("synapse_ping_reaches_as", st == 200 and "duration_ms" in js, "%s %s" % (st, js))
    st, js, _ = http("GET", SYN_URL + "/_matrix/client/v3/profile/%s/displayname" % q(BOT))
    result("bot_profile_set", st == 200 and js.get("displayname") == "WhatsApp bridge bot",
           "%s %s" % (st, js))
    info = h.cmd("info")["resp"]
    room_version = info["room_version"]
    print("# synapse default room version %s, upload max %s" % (room_version, info["upload_max"]))

    # 2. a user invites the bot to a DM: the bot joins and welcomes.
    js = alice.ok("POST", "/_matrix/client/v3/createRoom",
                  {"is_direct": True, "preset": "trusted_private_chat", "invite": [BOT]})
    dm = js["room_id"]
    inv = h.wait_event(lambda e: e.get("room_id") == dm and e.get("type") == "m.room.member"
                       and e.get("state_key") == BOT and e["content"].get("membership") == "invite")
    result("invite_delivered_by_transaction", inv is not None)
    welcome = wait_for(lambda: [e for e in alice.messages(dm) if e.get("sender") == BOT
                                and e["type"] == "m.room.message"])
    result("bot_joins_dm_and_welcomes", bool(welcome) and
           welcome[0]["content"].get("body", "").startswith("Hello"), str(welcome))

    # 3. portal room with mautrix-whatsapp's initial state.
    features = {"id": "fi.mau.whatsapp.capabilities.2025_01_10", "formatting": {"m.bold": 2},
                "max_text_length": 65536}
    r = h.cmd("create_portal", channel_id="120363000000000001@g.us", name="WA group",
              topic="bridged group", invite=[alice.user_id],
              users_pl={GHOST: 50}, room_features=features)
    portal = (r.get("resp") or {}).get("room_id")
    result("portal_created", r["rc"] == 0 and portal, json.dumps(r))
    if portal:
        alice.ok("POST", "/_matrix/client/v3/rooms/%s/join" % q(portal), {})
        key = SERVER + "/" + E["AS_ID"]
        problems = []
        st, pl, _ = alice.state(portal, "m.room.power_levels")
        st_c, create, _ = alice.state(portal, "m.room.create")
        v12 = str(create.get("room_version", "1")).isdigit() and int(create.get("room_version", "1")) >= 12
        if v12:
            if BOT in pl.get("users", {}):
                problems.append("v12: bot listed in users")
        elif pl.get("users", {}).get(BOT) != 9001:
            problems.append("bot PL %s" % pl.get("users", {}).get(BOT))
        if pl.get("users", {}).get(GHOST) != 50:
            problems.append("ghost PL")
        ev = pl.get("events", {})
        for t, lvl in [("m.room.tombstone", 100), ("m.room.server_acl", 100),
                       ("m.room.encryption", 100), ("m.room.name", 0), ("m.room.avatar", 0),
                       ("m.room.topic", 0), ("m.reaction", 0), ("m.room.redaction", 0)]:
            if ev.get(t) != lvl:
                problems.append("PL %s=%s" % (t, ev.get(t)))
        if pl.get("state_default") != 99 or pl.get("ban") != 99 or pl.get("events_default") != 0:
            problems.append("PL defaults %s" % pl)
        want_bridge = {"bridgebot": BOT, "creator": BOT,
                       "protocol": {"id": "whatsapp", "displayname": "WhatsApp",
                                    "avatar_url": "mxc://maunium.net/NeXNQarUbrlYBiPCpprYsRqr",
                                    "external_url": "https://whatsapp.com"},
                       "channel": {"id": "120363000000000001@g.us", "displayname": "WA group"},
                       "com.beeper.room_type.v2": ""}
        for t in ("m.bridge", "uk.half-shot.bridge"):
            st, js, _ = alice.state(portal, t, key)
            if st != 200 or js != want_bridge:
                problems.append("%s: %s %s" % (t, st, js))
        st, js, _ = alice.state(portal, "io.element.functional_members")
        if js != {"service_members": [BOT]}:
            problems.append("functional_members %s" % js)
        st, js, _ = alice.state(portal, "com.beeper.room_features", key)
        if js != features:
            problems.append("room_features %s %s" % (st, js))
        st, js, _ = alice.state(portal, "m.room.topic")
        if js.get("topic") != "bridged group" or js.get("com.beeper.exclude_from_timeline") is not True:
            problems.append("topic %s" % js)
        st, js, _ = alice.state(portal, "m.room.name")
        if js.get("name") != "WA group":
            problems.append("name %s" % js)
        if create.get("m.federate") is not False or create.get("creator", BOT) != BOT:
            problems.append("create %s" % create)
        st, js, _ = alice.state(portal, "m.room.join_rules")
        if js.get("join_rule") != "invite":
            problems.append("join_rules %s" % js)
        result("portal_initial_state_matches_mautrix", not problems, "; ".join(problems))

    # room v12 explicitly: the creator must be dropped from the users map.
    r = h.cmd("create_room", req={"room_version": "12", "preset": "private_chat",
                                  "power_level_content_override": {"users": {BOT: 9001, GHOST: 50}}})
    ok12 = r["rc"] == 0
    detail = json.dumps(r)
    if ok12:
        room12 = r["resp"]["room_id"]
        r2 = h.cmd("get_state", room=room12, type="m.room.power_levels", state_key="")
        users = (r2.get("resp") or {}).get("users", {})
        ok12 = BOT not in users and users.get(GHOST) == 50 and ":" not in room12
        detail = json.dumps(r2)
    result("create_room_v12_drops_creator_from_power_levels", ok12, detail)

    # 4. a ghost: register, profile with uploaded avatar, join, text, image.
    if portal:
        r = h.cmd("register", **{"as": GHOST})
        r2 = h.cmd("register", **{"as": GHOST})
        result("ghost_register_idempotent", r["rc"] == 0 and r2["rc"] == 0, "%s %s" % (r, r2))
        png = png_bytes()
        pngfile = os.path.join(work, "avatar.png")
        with open(pngfile, "wb") as f:
            f.write(png)
        up = h.cmd("upload", file=pngfile, content_type="image/png", filename="avatar.png",
                   **{"as": GHOST})
        mxc = (up.get("resp") or {}).get("content_uri", "")
        r1 = h.cmd("displayname", name="Bob (WA)", **{"as": GHOST})
        r2 = h.cmd("avatar", mxc=mxc, **{"as": GHOST})
        st, prof, _ = alice.call("GET", "/_matrix/client/v3/profile/%s" % q(GHOST))
        result("ghost_profile_name_and_avatar", up["rc"] == 0 and mxc.startswith("mxc://") and
               r1["rc"] == 0 and r2["rc"] == 0 and prof.get("displayname") == "Bob (WA)" and
               prof.get("avatar_url") == mxc, "%s %s" % (up, prof))
        # join: the ghost is not invited yet -> 403; the bot invites; the ghost joins.
        r = h.cmd("join", room=portal, **{"as": GHOST})
        ri = h.cmd("invite", room=portal, user=GHOST)
        rj = h.cmd("join", room=portal, **{"as": GHOST})
        result("ghost_join_after_bot_invite", r["status"] == 403 and ri["rc"] == 0 and
               rj["rc"] == 0, "%s %s %s" % (r, ri, rj))
        rt = h.cmd("send", room=portal, content={"msgtype": "m.text", "body": "hello from WhatsApp"},
                   **{"as": GHOST})
        img = h.cmd("upload", file=pngfile, content_type="image/png", filename="photo.png",
                    **{"as": GHOST})
        img_mxc = (img.get("resp") or {}).get("content_uri", "")
        rim = h.cmd("send", room=portal, content={"msgtype": "m.image", "body": "photo.png",
                                                  "url": img_mxc,
                                                  "info": {"mimetype": "image/png", "size": len(png),
                                                           "w": 16, "h": 16}},
                    **{"as": GHOST})
        msgs = alice.messages(portal)
        texts = [e for e in msgs if e["sender"] == GHOST and e["type"] == "m.room.message"]
        got_text = any(e["content"].get("body") == "hello from WhatsApp" for e in texts)
        imgs = [e for e in texts if e["content"].get("msgtype") == "m.image"]
        result("ghost_text_and_image_read_back", rt["rc"] == 0 and rim["rc"] == 0 and got_text
               and len(imgs) == 1 and imgs[0]["content"]["url"] == img_mxc, str(texts)[:500])
        server, media = img_mxc[len("mxc://"):].split("/", 1)
        st, data, hd = alice.call("GET", "/_matrix/client/v1/media/download/%s/%s" % (server, media),
                                  raw=True)
        result("image_download_authenticated_byte_identical", st == 200 and data == png,
               "%s %d" % (st, len(data) if isinstance(data, bytes) else -1))
        outfile = os.path.join(work, "as-download.png")
        rd = h.cmd("download", mxc=img_mxc, out=outfile, **{"as": GHOST})
        same = rd["rc"] == 0 and open(outfile, "rb").read() == png
        rsmall = h.cmd("download", mxc=img_mxc, out=outfile, max=100, **{"as": GHOST})
        result("as_download_identical_and_capped", same and rsmall["rc"] != 0,
               "%s %s" % (rd, rsmall))
        rbad = h.cmd("download", mxc="mxc://localhost/../../etc", out=outfile)
        result("bad_mxc_rejected", rbad["rc"] != 0, json.dumps(rbad))

        # redaction, receipt, typing, state event, leave and kick.
        rr = h.cmd("redact", room=portal, event=rt["resp"]["event_id"], reason="deleted",
                   **{"as": GHOST})
        rc = h.cmd("receipt", room=portal, event=rim["resp"]["event_id"], **{"as": GHOST})
        rty = h.cmd("typing", room=portal, typing=True, **{"as": GHOST})
        rs = h.cmd("state", room=portal, type="m.room.topic", state_key="",
                   content={"topic": "changed by ghost"}, **{"as": GHOST})
        st, red, _ = alice.call("GET", "/_matrix/client/v3/rooms/%s/event/%s"
                                % (q(portal), q(rt["resp"]["event_id"])))
        st2, topic, _ = alice.state(portal, "m.room.topic")
        result("redact_receipt_typing_state", rr["rc"] == 0 and rc["rc"] == 0 and rty["rc"] == 0
               and rs["rc"] == 0 and red.get("content") == {} and
               topic.get("topic") == "changed by ghost",
               "%s %s %s %s %s %s" % (rr, rc, rty, rs, red, topic))
        g2 = "@whatsapp_15550000002:" + SERVER
        h.cmd("register", **{"as": g2})
        h.cmd("invite", room=portal, user=g2)
        h.cmd("join", room=portal, **{"as": g2})
        g3 = "@whatsapp_15550000003:" + SERVER
        h.cmd("register", **{"as": g3})
        rej = h.cmd("ensure_joined", room=portal, **{"as": g3})
        st, mem3, _ = alice.state(portal, "m.room.member", g3)
        result("ensure_joined_invites_then_joins", rej["rc"] == 0 and
               mem3.get("membership") == "join", "%s %s" % (rej, mem3))
        # a send cancelled right after it was queued never calls back
        # and never leaves a second reply for its id
        rcx = h.cmd("send_cancel", room=portal, content={"msgtype": "m.text", "body": "cancelled"},
                    **{"as": g3})
        time.sleep(1.0)
        dup = []
        while True:
            try:
                m = h.q.get_nowait()
            except queue.Empty:
                break
            if m and m.get("id") == rcx["id"]:
                dup.append(m)
        result("cancelled_call_never_completes", rcx["rc"] == 0 and
               rcx.get("resp", {}).get("cancelled") is True and not dup, "%s %s" % (rcx, dup))
        rk = h.cmd("kick", room=portal, user=g2, reason="left WhatsApp group")
        h.cmd("invite", room=portal, user=g2)
        h.cmd("join", room=portal, **{"as": g2})
        rl = h.cmd("leave", room=portal, **{"as": g2})
        st, mem, _ = alice.state(portal, "m.room.member", g2)
        result("kick_and_leave", rk["rc"] == 0 and rl["rc"] == 0 and
               mem.get("membership") == "leave", "%s %s %s" % (rk, rl, mem))

        # echo suppression: nothing from the bot or ghosts was delivered,
        # while alice's message is.
        alice.ok("PUT", "/_matrix/client/v3/rooms/%s/send/m.room.message/a1" % q(portal),
                 {"msgtype": "m.text", "body": "hi from alice"})
        got = h.wait_event(lambda e: e.get("sender") == alice.user_id and
                           e.get("content", {}).get("body") == "hi from alice")
        with h.lock:
            ours = [e for e in h.events if e.get("sender") == BOT or
                    e.get("sender", "").startswith("@whatsapp_")]
        result("user_event_delivered", got is not None)
        result("echo_of_bot_and_ghosts_suppressed", not ours, str(ours)[:300])
        # the ghost is still typing (30 s); alice types too: Synapse pushes
        # both, the core must only see alice.
        alice.ok("PUT", "/_matrix/client/v3/rooms/%s/typing/%s" % (q(portal), q(alice.user_id)),
                 {"typing": True, "timeout": 30000})
        typ = wait_for(lambda: [e for e in list(h.ephemeral) if e.get("type") == "m.typing"
                                and e.get("room_id") == portal
                                and alice.user_id in e["content"].get("user_ids", [])], timeout=10)
        with h.lock:
            leaked = [e for e in h.ephemeral if e.get("type") == "m.typing" and
                      any(u.startswith("@whatsapp") for u in e["content"].get("user_ids", []))]
        result("typing_delivered_without_own_users", bool(typ) and not leaked,
               "%s %s" % (typ, leaked))
        # receipts: alice's arrives, the ghost's (sent above) does not.
        alice.ok("POST", "/_matrix/client/v3/rooms/%s/receipt/m.read/%s"
                 % (q(portal), q(rim["resp"]["event_id"])), {})
        rec = wait_for(lambda: [e for e in list(h.ephemeral) if e.get("type") == "m.receipt"
                                and e.get("room_id") == portal
                                and alice.user_id in json.dumps(e["content"])], timeout=10)
        with h.lock:
            leaked = [e for e in h.ephemeral if e.get("type") == "m.receipt" and
                      "@whatsapp" in json.dumps(e["content"])]
        result("receipt_delivered_without_own_users", bool(rec) and not leaked,
               "%s %s" % (rec, leaked))

        # double puppeting (appservice method): alice through the dp token.
        rw = h.cmd("whoami", dp=True, **{"as": alice.user_id})
        rdp = h.cmd("send", room=portal, dp=True, ts=1600000001234,
                    content={"msgtype": "m.text", "body": "sent from alice's phone"},
                    **{"as": alice.user_id})
        ev = None
        if rdp["rc"] == 0:
            st, ev, _ = alice.call("GET", "/_matrix/client/v3/rooms/%s/event/%s"
                                   % (q(portal), q(rdp["resp"]["event_id"])))
        time.sleep(1)
        with h.lock:
            echoed = [e for e in h.events if e.get("content", {}).get("body") == "sent from alice's phone"]
        result("double_puppet_as_token", rw["rc"] == 0 and rw["resp"]["user_id"] == alice.user_id
               and ev is not None and ev.get("sender") == alice.user_id and
               ev.get("origin_server_ts") == 1600000001234 and
               ev["content"].get("fi.mau.double_puppet_source") == E["AS_ID"],
               "%s %s %s" % (rw, rdp, ev))
        result("double_puppet_echo_suppressed", rdp["rc"] == 0 and not echoed, str(echoed)[:300])

    # 5. the appservice port directly: replay, auth, limits, health.
    hs = E["HS_TOKEN"]
    txn = {"events": [{"type": "m.room.message", "sender": alice.user_id, "room_id": "!fake:" + SERVER,
                       "event_id": "$replay-test-1", "origin_server_ts": 1,
                       "content": {"msgtype": "m.text", "body": "replayed"}}]}
    before = h.cmd("info")["resp"]
    u = AS_URL + "/_matrix/app/v1/transactions/900001"
    s1 = http("PUT", u, txn, hs)[0]
    s2 = http("PUT", u, txn, hs)[0]
    time.sleep(0.3)
    with h.lock:
        n = len([e for e in h.events if e.get("event_id") == "$replay-test-1"])
    after = h.cmd("info")["resp"]
    result("replayed_transaction_processed_once", s1 == 200 and s2 == 200 and n == 1 and
           after["replays"] == before["replays"] + 1, "%s %s %d" % (s1, s2, n))
    txn2 = json.loads(json.dumps(txn))
    txn2["events"][0]["event_id"] = "$replay-test-2"
    s3 = http("PUT", u, txn2, hs)[0]
    time.sleep(0.3)
    with h.lock:
        n2 = len([e for e in h.events if e.get("event_id") == "$replay-test-2"])
    result("same_txn_id_new_body_is_new_transaction", s3 == 200 and n2 == 1)
    st, js, _ = http("PUT", AS_URL + "/_matrix/app/v1/transactions/900002", txn)
    result("missing_token_401", st == 401 and js.get("errcode") == "M_UNAUTHORIZED", "%s %s" % (st, js))
    st, js, _ = http("PUT", AS_URL + "/_matrix/app/v1/transactions/900003", txn, "wrong" + hs)
    result("wrong_token_403", st == 403 and js.get("errcode") == "M_FORBIDDEN", "%s %s" % (st, js))
    st, js, _ = http("GET", AS_URL + "/_matrix/app/v1/users/%s" % q(GHOST), None, "x")
    st2, js2, _ = http("POST", AS_URL + "/_matrix/app/v1/ping", {"transaction_id": "x"})
    result("queries_and_ping_need_token", st == 403 and st2 == 401, "%s %s" % (st, st2))
    st, js, _ = http("PUT", AS_URL + "/_matrix/app/v1/transactions/900004", b"{\"events\":[],\"events\":[]}",
                     hs, {"Content-Type": "application/json"})
    result("duplicate_json_keys_rejected", st == 400, "%s %s" % (st, js))
    big = b"{\"events\":[" + b" " * (33 << 20) + b"]}"
    try:
        st, js, _ = http("PUT", AS_URL + "/_matrix/app/v1/transactions/900005", big, hs)
    except (ConnectionError, urllib.error.URLError) as e:
        st, js = 413, {"errcode": "M_TOO_LARGE", "note": "connection closed after 413: %s" % e}
    result("oversized_body_413", st == 413, "%s %s" % (st, js))
    # one kept-alive connection: several requests in a row, then an empty
    # body (400), then a chunked body (411: lws 4.1 cannot decode it).
    conn = httpclient.HTTPConnection("127.0.0.1", AS_PORT, timeout=10)
    sts = []
    for k in range(3):
        conn.request("PUT", "/_matrix/app/v1/transactions/9100%d" % k, json.dumps({"events": []}),
                     {"Authorization": "Bearer " + hs, "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        sts.append(r.status)
    conn.request("PUT", "/_matrix/app/v1/transactions/91009", b"", {"Authorization": "Bearer " + hs})
    r = conn.getresponse()
    r.read()
    sts.append(r.status)
    conn.close()
    # raw socket: the server answers 411 as soon as it sees the headers
    import socket
    sk = socket.create_connection(("127.0.0.1", AS_PORT), timeout=10)
    sk.sendall(("PUT /_matrix/app/v1/transactions/91010 HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                "d\r\n{\"events\":[]}\r\n0\r\n\r\n" % hs).encode())
    line = sk.makefile("rb").readline().decode()
    sk.close()
    sts.append(int(line.split()[1]) if line.startswith("HTTP/1.1 ") else line)
    result("keepalive_empty_and_chunked_bodies", sts == [200, 200, 200, 400, 411], str(sts))
    st, js, _ = http("GET", AS_URL + "/_matrix/app/v1/users/%s" % q("@whatsapp_4477:" + SERVER), None, hs)
    st2, js2, _ = http("GET", AS_URL + "/_matrix/app/v1/users/%s" % q("@someone:" + SERVER), None, hs)
    st3, prof, _ = alice.call("GET", "/_matrix/client/v3/profile/%s" % q("@whatsapp_4477:" + SERVER))
    result("user_query_registers_ghost", st == 200 and st2 == 404 and st3 == 200,
           "%s %s %s %s" % (st, st2, st3, prof))
    st, _, _ = http("GET", AS_URL + "/_matrix/app/v1/rooms/%s" % q("#nothing:" + SERVER), None, hs)
    st2, _, _ = http("GET", AS_URL + "/_matrix/app/v1/nothing", None, hs)
    st3, _, _ = http("GET", AS_URL + "/_matrix/mau/live")
    st4, _, _ = http("GET", AS_URL + "/_matrix/mau/ready")
    st5, _, _ = http("GET", AS_URL + "/_matrix/app/v1/transactions/1", None, hs)
    result("routes_404_405_health", st == 404 and st2 == 404 and st3 == 200 and st4 == 200
           and st5 == 405, "%s %s %s %s %s" % (st, st2, st3, st4, st5))

    # 6. Synapse restarts in the middle of a stream of ghost messages.  The
    # ghost sends with a device (MSC4190) so that Synapse persists its
    # txnIds: a send that reached Synapse just before it went down is then
    # answered with the first event when the client retries it.
    if portal:
        rdev = h.cmd("device", device="PONTON", name="ponton", **{"as": GHOST})
        rdev2 = h.cmd("device", device="PONTON", name="ponton", **{"as": GHOST})
        st, devs, _ = http("GET", SYN_URL + "/_matrix/client/v3/devices?user_id=%s" % q(GHOST),
                           None, E["AS_TOKEN"])
        result("ghost_device_upsert", rdev["rc"] == 0 and rdev["status"] == 201 and
               rdev2["rc"] == 0 and rdev2["status"] == 200 and
               [d["device_id"] for d in devs.get("devices", [])] == ["PONTON"],
               "%s %s %s" % (rdev, rdev2, devs))
        n = 20
        tag = "restart-%d" % int(time.time())
        i = h.next_id
        h.next_id += 1
        h.p.stdin.write(json.dumps({"id": i, "op": "send_seq", "as": GHOST, "room": portal,
                                    "n": n, "interval_ms": 150, "prefix": tag}) + "\n")
        h.p.stdin.flush()
        time.sleep(1.0)
        env = dict(E)
        subprocess.run(["sh", os.path.join(E["TOP"], "test/synapse/stop.sh"), E["SYN_DIR"]],
                       env=env, check=False)
        time.sleep(2.0)
        subprocess.run(["sh", os.path.join(E["TOP"], "test/synapse/start.sh"), E["SYN_DIR"]],
                       env=env, check=False)
        r = h._wait(lambda m: m.get("id") == i, 120)
        ids = (r.get("resp") or {}).get("event_ids", [])
        msgs = [e for e in alice.messages(portal, 1000) if e["sender"] == GHOST and
                e["content"].get("body", "").startswith(tag + " ")]
        bodies = [e["content"]["body"] for e in msgs]
        want = ["%s %d" % (tag, k) for k in range(n)]
        result("synapse_restart_mid_stream_nothing_lost_in_order_once",
               r["rc"] == 0 and len(ids) == n and len(set(ids)) == n and bodies == want,
               "rc=%s ids=%d bodies=%s" % (r["rc"], len(ids), bodies))
        # the appservice still receives transactions after the restart
        # (Synapse on SQLite restarts its txn ids; the replay cache must
        # not swallow them).
        alice.ok("PUT", "/_matrix/client/v3/rooms/%s/send/m.room.message/a2" % q(portal),
                 {"msgtype": "m.text", "body": "after restart"})
        got = h.wait_event(lambda e: e.get("content", {}).get("body") == "after restart", 30)
        result("transactions_flow_after_synapse_restart", got is not None)

    rc = h.close()
    result("harness_exits_cleanly", rc == 0, "exit %s" % rc)

    # The appservice is down while alice writes: Synapse queues the events
    # and retries; the next appservice process gets them all, in order.
    if portal:
        bodies = ["while down %d" % k for k in range(3)]
        for k, b in enumerate(bodies):
            alice.ok("PUT", "/_matrix/client/v3/rooms/%s/send/m.room.message/down%d" % (q(portal), k),
                     {"msgtype": "m.text", "body": b})
        time.sleep(0.5)
        h2 = Harness(args)
        got = wait_for(lambda: len([e for e in list(h2.events)
                                    if e.get("content", {}).get("body", "").startswith("while down")]) >= 3,
                       timeout=60)
        with h2.lock:
            seen = [e["content"]["body"] for e in h2.events
                    if e.get("content", {}).get("body", "").startswith("while down")]
        rc2 = h2.close()
        result("events_sent_while_as_down_arrive_in_order", bool(got) and seen == bodies and rc2 == 0,
               "%s exit %s" % (seen, rc2))

    # Misconfigured appservices against the real Synapse: a wrong hs_token
    # makes Synapse's ping fail (our 403 -> its 502 M_BAD_STATUS): exit 13;
    # a wrong as_token is refused at the first call: exit 16.
    def misconf(as_tok, hs_tok):
        hh = Harness([E["HARNESS"], "--hs", SYN_URL, "--domain", SERVER, "--as-id", E["AS_ID"],
                      "--as-token", as_tok, "--hs-token", hs_tok, "--port", str(AS_PORT),
                      "--retry-base-ms", "50", "--timeout-ms", "5000"])
        r = hh.cmd("start", timeout=60)
        r["exit"] = hh.close()
        return r
    r = misconf(E["AS_TOKEN"], "not-the-hs-token")
    result("synapse_ping_with_wrong_hs_token_is_exit13_code", r["rc"] == -423 and r["exit"] == 0,
           json.dumps(r))
    r = misconf("not-the-as-token", E["HS_TOKEN"])
    result("synapse_refuses_wrong_as_token_exit16_code", r["rc"] == -420 and r["exit"] == 0,
           json.dumps(r))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:
        import traceback
        traceback.print_exc()
        print("FAIL: driver_crashed -- %s" % e)
        sys.exit(1)
