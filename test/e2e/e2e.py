"""e2e.py: the bridge's end-to-end scenarios' toolkit (test/e2e/NN_*.py).

test/e2e/lib.sh has started Synapse and wasim and written config.yaml and
the registration in $WORK; this module gives a scenario:

  t = Test()                     the run: check(), config(), ponton process
  t.user(name)                   a Matrix user (registered through Synapse's
                                 shared-secret admin API)
  t.login_bridge(user, phone)    the user logs the bridge in: management
                                 room, `login qr`, wasim's mock phone scans
  t.baileys(name, phone)         a Baileys peer (test/peers/baileys/peer.mjs)
  t.whatsmeow(name, phone)       a whatsmeow peer (test/peers/whatsmeow)
  t.wait_portal(user, chat_jid)  the portal room of a chat, joined by user

Stdlib + PyYAML (the Synapse venv's python runs the scenarios).  Every
wait has a timeout and returns None / raises instead of hanging; every
process started here is stopped by Test.finish() (also on exceptions, via
Test.run()).  Output: "PASS: name" / "FAIL: name -- detail" lines.
"""
import hashlib
import hmac
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

E = os.environ
SERVER = E.get("SERVER_NAME", "localhost")
BOT = "@whatsappbot:" + SERVER


def q(s):
    return urllib.parse.quote(s, safe="")


def http(method, url, body=None, token=None, raw=False, timeout=30):
    """(status, JSON or bytes); never raises on HTTP errors."""
    data, h = None, {}
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        else:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            b = r.read()
            return r.status, (b if raw else json.loads(b or b"null"))
    except urllib.error.HTTPError as e:
        b = e.read()
        try:
            return e.code, (b if raw else json.loads(b or b"null"))
        except ValueError:
            return e.code, None


def wait(fn, timeout=30.0, step=0.25):
    """fn() until truthy or timeout; its last value."""
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(step)


class MatrixError(Exception):
    pass


class User:
    """A Matrix user on the test Synapse (client-server API)."""
    txn = 0

    def __init__(self, t, name, token):
        self.t = t
        self.name = name
        self.mxid = "@%s:%s" % (name, SERVER)
        self.token = token

    def call(self, method, path, body=None, ok=(200,)):
        st, js = http(method, self.t.syn_url + path, body, self.token)
        if st not in ok:
            raise MatrixError("%s %s: %s %s" % (method, path, st, js))
        return js

    # ---- rooms ----
    def create_room(self, **body):
        return self.call("POST", "/_matrix/client/v3/createRoom",
                         body)["room_id"]

    def invite(self, room, mxid):
        self.call("POST", "/_matrix/client/v3/rooms/%s/invite" % q(room),
                  {"user_id": mxid})

    def join(self, room):
        return self.call("POST", "/_matrix/client/v3/join/%s" % q(room),
                         {})["room_id"]

    def leave(self, room):
        self.call("POST", "/_matrix/client/v3/rooms/%s/leave" % q(room), {})

    def joined_rooms(self):
        return self.call("GET", "/_matrix/client/v3/joined_rooms")[
            "joined_rooms"]

    def invites(self):
        """Room ids the user is invited to (from a /sync)."""
        js = self.call("GET", "/_matrix/client/v3/sync?timeout=0")
        return list(js.get("rooms", {}).get("invite", {}).keys())

    def members(self, room):
        js = self.call("GET", "/_matrix/client/v3/rooms/%s/joined_members"
                       % q(room))
        return js.get("joined", {})

    def state(self, room, typ, key=""):
        st, js = http("GET", self.t.syn_url +
                      "/_matrix/client/v3/rooms/%s/state/%s/%s" %
                      (q(room), q(typ), q(key)), None, self.token)
        return js if st == 200 else None

    def set_state(self, room, typ, content, key=""):
        return self.call("PUT", "/_matrix/client/v3/rooms/%s/state/%s/%s" %
                         (q(room), q(typ), q(key)), content)["event_id"]

    # ---- events ----
    def send_event(self, room, typ, content):
        User.txn += 1
        return self.call("PUT", "/_matrix/client/v3/rooms/%s/send/%s/"
                         "e2e%d.%d" % (q(room), q(typ), os.getpid(),
                                       User.txn), content)["event_id"]

    def send(self, room, body, msgtype="m.text"):
        return self.send_event(room, "m.room.message",
                               {"msgtype": msgtype, "body": body})

    def send_html(self, room, body, html, msgtype="m.text"):
        return self.send_event(room, "m.room.message", {
            "msgtype": msgtype, "body": body,
            "format": "org.matrix.custom.html", "formatted_body": html})

    def react(self, room, event_id, key):
        return self.send_event(room, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": event_id, "key": key}})

    def edit(self, room, event_id, body):
        return self.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "* " + body,
            "m.new_content": {"msgtype": "m.text", "body": body},
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}})

    def reply(self, room, event_id, body):
        return self.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": body,
            "m.relates_to": {"m.in_reply_to": {"event_id": event_id}}})

    def redact(self, room, event_id, reason=None):
        User.txn += 1
        body = {} if reason is None else {"reason": reason}
        return self.call("PUT", "/_matrix/client/v3/rooms/%s/redact/%s/"
                         "e2e%d.%d" % (q(room), q(event_id), os.getpid(),
                                       User.txn), body)["event_id"]

    def upload(self, data, content_type, filename="file"):
        st, js = http("POST", self.t.syn_url +
                      "/_matrix/media/v3/upload?filename=" + q(filename),
                      data, self.token)
        if st != 200:
            raise MatrixError("upload: %s %s" % (st, js))
        return js["content_uri"]

    def download(self, mxc):
        m = re.match(r"^mxc://([^/]+)/(.+)$", mxc or "")
        if not m:
            return None
        st, b = http("GET", self.t.syn_url +
                     "/_matrix/client/v1/media/download/%s/%s" %
                     (m.group(1), m.group(2)), None, self.token, raw=True)
        return b if st == 200 else None

    def messages(self, room, limit=1000):
        """The room's timeline, oldest first."""
        js = self.call("GET", "/_matrix/client/v3/rooms/%s/messages?dir=f"
                       "&limit=%d" % (q(room), limit))
        return js.get("chunk", [])

    def wait_event(self, room, pred, timeout=30.0, after=None):
        """The first timeline event (after event id `after`) with
        pred(event) true, or None."""
        def f():
            seen = after is None
            for ev in self.messages(room):
                if not seen:
                    seen = ev.get("event_id") == after
                    continue
                if pred(ev):
                    return ev
            return None
        return wait(f, timeout)

    def wait_events(self, room, pred, n, timeout=60.0):
        """The first n events with pred(event) true (oldest first)."""
        def f():
            evs = [e for e in self.messages(room) if pred(e)]
            return evs if len(evs) >= n else None
        return wait(f, timeout, 0.5) or [e for e in self.messages(room)
                                         if pred(e)]

    def bot_reply(self, room, after, pred=None, timeout=30.0):
        """The bot's first m.room.message after event `after`."""
        return self.wait_event(room, lambda e: e.get("sender") == BOT and
                               e.get("type") == "m.room.message" and
                               (pred is None or pred(e["content"])),
                               timeout, after)


class Peer:
    """A WhatsApp peer process whose stdout lines are read by a thread."""

    def __init__(self, t, name, argv, cwd=None, env=None):
        self.t = t
        self.name = name
        self.lines = queue.Queue()
        self.history = []
        self.lock = threading.Lock()
        self.log = open(os.path.join(t.work, "peer-%s.out" % name), "w")
        self.err = open(os.path.join(t.work, "peer-%s.err" % name), "w")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err,
                                  cwd=cwd, env=env, text=True, bufsize=1)
        t.procs.append(self)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.log.write(line)
            self.log.flush()
            line = line.rstrip("\n")
            with self.lock:
                self.history.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def write(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def wait_line(self, pred, timeout=30.0):
        """The next line (from now on) with pred(line) true, or None."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            if pred(line):
                return line

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Baileys(Peer):
    """test/peers/baileys/peer.mjs: call(fn, *args) on the Baileys socket;
    msgs() / wait_message(pred) on decoded messages."""

    def __init__(self, t, name, phone, push_name=None):
        self.phone = phone
        self.jid = "%s@s.whatsapp.net" % phone
        self.lid = None
        self.seq = 0
        self.answers = {}
        self.events = []
        self.cv = threading.Condition()
        argv = ["node", os.path.join(t.top, "test/peers/baileys/peer.mjs"),
                "--url", t.wasim_ws, "--root", t.wasim_root,
                "--auth", os.path.join(t.work, "auth-" + name),
                "--push-name", push_name or name.capitalize()]
        # wasim's media server has a self-signed certificate: trusted as
        # a CA by this process only (TLS stays verified).
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=os.path.join(
            t.work, "wasim-media.pem"))
        super().__init__(t, name, argv, env=env)

    def _read(self):
        for line in self.p.stdout:
            self.log.write(line)
            self.log.flush()
            try:
                o = json.loads(line)
            except ValueError:
                continue
            with self.cv:
                if "id" in o and "ev" not in o:
                    self.answers[o["id"]] = o
                else:
                    self.events.append(o)
                self.cv.notify_all()
        with self.cv:
            self.events.append({"ev": "exit"})
            self.cv.notify_all()

    def wait_ev(self, pred, timeout=30.0, start=0):
        """The first event (index >= start) with pred(ev) true, or None."""
        end = time.time() + timeout
        with self.cv:
            while True:
                for e in self.events[start:]:
                    if pred(e):
                        return e
                left = end - time.time()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def pair(self, timeout=60.0):
        qr = self.wait_ev(lambda e: e.get("ev") == "qr", timeout)
        if qr is None:
            return False
        st, js = http("POST", self.t.wasim_admin +
                      "/admin/mock-phone/scan-qr?phone=" + self.phone,
                      qr["data"].encode())
        if st != 200:
            return False
        self.lid = js.get("lid_jid") or js.get("lid")
        op = self.wait_ev(lambda e: e.get("ev") == "open", timeout)
        return op is not None

    def call(self, fn, *args, timeout=30.0):
        """sock[fn](*args): the result, or raises RuntimeError."""
        with self.cv:
            self.seq += 1
            n = self.seq
        self.write(json.dumps({"id": n, "fn": fn, "args": list(args)}))
        end = time.time() + timeout
        with self.cv:
            while n not in self.answers:
                left = end - time.time()
                if left <= 0:
                    raise RuntimeError("%s: %s timed out" % (self.name, fn))
                self.cv.wait(left)
            o = self.answers.pop(n)
        if "err" in o:
            raise RuntimeError("%s: %s: %s" % (self.name, fn, o["err"]))
        return o.get("ok")

    def send_text(self, jid, text, **extra):
        r = self.call("sendMessage", jid, dict(text=text, **extra))
        return r["key"]["id"]

    def msgs(self):
        with self.cv:
            return [e["data"] for e in self.events if e.get("ev") == "msg"]

    def wait_message(self, pred, timeout=30.0):
        """The first received (not from us) message with pred(msg) true."""
        e = self.wait_ev(lambda e: e.get("ev") == "msg" and
                         not e["data"].get("fromMe") and pred(e["data"]),
                         timeout)
        return e["data"] if e else None

    def stop(self):
        if self.p.poll() is None:
            try:
                self.write(json.dumps({"id": 0, "fn": "$quit"}))
            except OSError:
                pass
        super().stop()


class Whatsmeow(Peer):
    """test/peers/whatsmeow driver: send(jid, text), wait_message()."""

    def __init__(self, t, name, phone):
        self.phone = phone
        self.jid = "%s@s.whatsapp.net" % phone
        root = os.path.join(t.work, "wasim.root")
        argv = [t.whatsmeow_bin, "-url", t.wasim_ws, "-root-file", root,
                "-store", os.path.join(t.work, "wm-%s.db" % name),
                "pair-qr"]
        super().__init__(t, name, argv)

    def pair(self, timeout=60.0):
        line = self.wait_line(lambda l: l.startswith("QR "), timeout)
        if line is None:
            return False
        st, _ = http("POST", self.t.wasim_admin +
                     "/admin/mock-phone/scan-qr?phone=" + self.phone,
                     line[3:].encode())
        if st != 200:
            return False
        # CONNECTED comes once before the 515 restart and once after it.
        ok = self.wait_line(lambda l: l.startswith("CONNECTED "), timeout)
        return ok is not None

    def cmd(self, line, timeout=30.0):
        """Run a driver command; its RESULT line (or None)."""
        word = line.split()[0]
        self.write(line)
        return self.wait_line(lambda l: l.startswith("RESULT %s " % word),
                              timeout)

    def send(self, jid, text):
        r = self.cmd("send %s %s" % (jid, text))
        return r.split()[2] if r and " failed" not in r else None

    def wait_message(self, pred=lambda m: True, timeout=30.0):
        """The next MESSAGE line as (from, id, text) with pred true."""
        def match(l):
            if not l.startswith("MESSAGE "):
                return False
            parts = l.split(" ", 3)
            return len(parts) >= 3 and pred(tuple(parts[1:] + [""] *
                                                  (4 - len(parts))))
        line = self.wait_line(match, timeout)
        if line is None:
            return None
        parts = line.split(" ", 3)
        return tuple(parts[1:] + [""] * (4 - len(parts)))


class Test:
    """One scenario run.  Use as: t = Test(); ...; t.finish()."""

    def __init__(self):
        self.top = E["TOP"]
        self.work = E["WORK"]
        self.syn_url = E["SYN_URL"]
        self.syn_secret = E["SYN_SECRET"]
        self.ponton = E["PONTON"]
        self.wasim_ws = E["WASIM_WS_URL"]
        self.wasim_admin = E["WASIM_ADMIN_URL"]
        self.wasim_root = E["WASIM_ROOT_PUB"]
        self.whatsmeow_bin = E.get("WHATSMEOW_BIN", "")
        self.cfg_path = os.path.join(self.work, "config.yaml")
        self.db_path = os.path.join(self.work, "bridge.db")
        self.procs = []
        self.pp = None
        self.runs = 0
        self.failed = 0
        self.bridge_phone = None
        self.bridge_jid = None
        self.users = {}

    # ---- results ----
    def check(self, name, ok, detail=""):
        if ok:
            print("PASS: %s" % name, flush=True)
        else:
            self.failed += 1
            d = detail if isinstance(detail, str) else repr(detail)
            print("FAIL: %s -- %s" % (name, d[:2000]), flush=True)
        return bool(ok)

    def run(self, fn):
        """fn(self), then finish(); an exception is one FAIL line."""
        try:
            fn(self)
        except Exception as e:  # report, then stop everything
            import traceback
            traceback.print_exc(file=sys.stderr)
            self.check("scenario_%s_completed" % fn.__name__, False,
                       "%s: %s" % (type(e).__name__, e))
        self.finish()

    def finish(self):
        for p in self.procs:
            try:
                p.stop()
            except Exception:
                pass
        if self.pp is not None:
            self.check("ponton_stops_cleanly", self.stop_ponton())
        sys.exit(1 if self.failed else 0)

    # ---- config and process ----
    def config(self, fn):
        """Edit config.yaml: fn(dict) mutates it (before start_ponton)."""
        with open(self.cfg_path) as f:
            c = yaml.safe_load(f)
        fn(c)
        with open(self.cfg_path, "w") as f:
            yaml.safe_dump(c, f, sort_keys=False, allow_unicode=True)

    def start_ponton(self, tag=None, timeout=60.0):
        self.runs += 1
        tag = tag or "run%d" % self.runs
        self.tag = tag
        out = open(os.path.join(self.work, "ponton-%s.out" % tag), "w")
        err = open(os.path.join(self.work, "ponton-%s.err" % tag), "w")
        self.pp = subprocess.Popen([self.ponton, "-n", "-c", self.cfg_path],
                                   stdout=out, stderr=err, cwd=self.work)
        path = out.name

        def started():
            if self.pp.poll() is not None:
                return "exited"
            with open(path) as f:
                return "ok" if "Bridge started" in f.read() else None
        r = wait(started, timeout, 0.1)
        if r != "ok":
            raise RuntimeError("ponton did not start (%s); see %s" %
                               (r, path))

    def stop_ponton(self):
        """SIGTERM; True on exit 0 within 20 s and no sanitizer report."""
        if self.pp is None:
            return True
        self.pp.send_signal(signal.SIGTERM)
        try:
            rc = self.pp.wait(20)
        except subprocess.TimeoutExpired:
            self.pp.kill()
            self.pp.wait()
            rc = -9
        self.pp = None
        with open(os.path.join(self.work, "ponton-%s.err" % self.tag)) as f:
            err = f.read()
        return rc == 0 and "Sanitizer" not in err and \
            "runtime error" not in err

    def kill_ponton(self):
        """SIGKILL (a crash): nothing is flushed or closed."""
        if self.pp is not None:
            self.pp.kill()
            self.pp.wait()
            self.pp = None

    def restart_ponton(self):
        ok = self.stop_ponton()
        self.start_ponton()
        return ok

    def log_text(self):
        """Everything ponton has logged so far (all runs)."""
        s = ""
        for n in sorted(os.listdir(self.work)):
            if n.startswith("ponton-") and n.endswith(".out"):
                with open(os.path.join(self.work, n)) as f:
                    s += f.read()
        return s

    def sql(self, query, args=()):
        c = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True,
                            timeout=10)
        try:
            return c.execute(query, args).fetchall()
        finally:
            c.close()

    # ---- Matrix users ----
    def user(self, name):
        if name in self.users:
            return self.users[name]
        url = self.syn_url + "/_synapse/admin/v1/register"
        nonce = http("GET", url)[1]["nonce"]
        pw = "pw-" + name
        mac = hmac.new(self.syn_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), pw.encode(),
                                 b"notadmin"]))
        st, js = http("POST", url, {"nonce": nonce, "username": name,
                                    "password": pw, "admin": False,
                                    "mac": mac.hexdigest()})
        if st != 200:
            raise MatrixError("register %s: %s %s" % (name, st, js))
        u = User(self, name, js["access_token"])
        self.users[name] = u
        return u

    def management_room(self, u, timeout=30.0):
        """A DM with the bot that became u's management room."""
        room = u.create_room(invite=[BOT], is_direct=True,
                             preset="trusted_private_chat")
        ok = wait(lambda: self.sql('SELECT management_room FROM "user" '
                                   'WHERE mxid=?', (u.mxid,)) ==
                  [(room,)], timeout)
        if not ok:
            raise RuntimeError("no management room for %s" % u.mxid)
        u.mgmt = room
        return room

    def login_bridge(self, u, phone, timeout=60.0):
        """u logs the bridge in as WhatsApp account `phone` (digits)."""
        room = getattr(u, "mgmt", None) or self.management_room(u)
        e = u.send(room, "login qr")
        img = u.bot_reply(room, e, lambda c: c.get("msgtype") == "m.image",
                          timeout)
        if img is None:
            raise RuntimeError("no QR image from the bot")
        st, js = http("POST", self.wasim_admin +
                      "/admin/mock-phone/scan-qr?phone=" + phone,
                      img["content"]["body"].encode())
        if st != 200:
            raise RuntimeError("scan-qr: %s %s" % (st, js))
        done = u.bot_reply(room, e, lambda c: c.get("body") ==
                           "Successfully logged in as +" + phone, timeout)
        if done is None:
            raise RuntimeError("login did not succeed")
        self.bridge_phone = phone
        self.bridge_jid = phone + "@s.whatsapp.net"
        self.bridge_lid = js.get("lid_jid") or js.get("lid")
        return phone

    # ---- WhatsApp peers ----
    def baileys(self, name, phone, push_name=None):
        b = Baileys(self, name, phone, push_name)
        if not b.pair():
            raise RuntimeError("Baileys peer %s did not pair" % name)
        return b

    def whatsmeow(self, name, phone):
        if not self.whatsmeow_bin:
            raise RuntimeError("WHATSMEOW_BIN not set (build failed?)")
        w = Whatsmeow(self, name, phone)
        if not w.pair():
            raise RuntimeError("whatsmeow peer %s did not pair" % name)
        return w

    def bridge_device(self):
        """The bridge login's own device JID ("<phone>:<n>@s.whatsapp.net"),
        from whatsmeow_device (after login_bridge)."""
        rows = self.sql("SELECT jid FROM whatsmeow_device WHERE jid LIKE ?",
                        (self.bridge_phone + ":%",))
        return rows[0][0] if rows else None

    def phone_device(self, name="phone"):
        """A whatsmeow peer paired as ANOTHER device of the bridge's account
        (after login_bridge): it plays the account's phone (app-state keys,
        history sync) by sending to bridge_device()."""
        return self.whatsmeow(name, self.bridge_phone)

    # ---- portals ----
    def portal_room(self, chat_jid):
        rows = self.sql("SELECT mxid FROM portal WHERE id=? AND mxid IS NOT "
                        "NULL AND mxid != ''", (chat_jid,))
        return rows[0][0] if rows else None

    def wait_portal(self, u, chat_jid, timeout=60.0):
        """The portal room of chat_jid once u is joined to it (an invite
        is accepted), or None."""
        room = wait(lambda: self.portal_room(chat_jid), timeout)
        if room is None:
            return None

        def joined():
            # Joining is the test of an invite: an initial /sync may be
            # served from Synapse's response cache and miss a new one.
            if room in u.joined_rooms():
                return True
            st, _ = http("POST", self.syn_url + "/_matrix/client/v3/join/"
                         + q(room), {}, u.token)
            return st == 200
        return room if wait(joined, timeout) else None
