#!/usr/bin/env python3
"""A minimal stand-in homeserver for ponton's start-up checks (stdlib only).

Usage: hs_stub.py MODE PORTFILE
Listens on 127.0.0.1, port chosen by the kernel and written to PORTFILE.
Modes:
  refuse   every request: 401 M_UNKNOWN_TOKEN (registration not installed)
  oldspec  /versions says v1.1 only (spec too old)
  whoami   whoami answers another user than the bot
  ok       every start-up step succeeds (versions v1.11 with ping)
Every request is appended to PORTFILE.log as "METHOD PATH", followed by
" BODY" for profile changes.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

MODE = sys.argv[1]
PORTFILE = sys.argv[2]


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        u = urlparse(self.path)
        extra = ""
        if "/profile/" in u.path:
            extra = " " + body.decode("utf-8", "replace")
        with open(PORTFILE + ".log", "a") as f:
            f.write("%s %s%s\n" % (self.command, u.path, extra))
        if MODE == "refuse":
            return self.answer(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Unknown token"})
        p = u.path
        if p.endswith("/versions"):
            v = ["v1.1"] if MODE == "oldspec" else ["v1.4", "v1.11"]
            return self.answer(200, {"versions": v})
        if p.endswith("/account/whoami"):
            uid = parse_qs(u.query).get("user_id", [""])[0]
            if MODE == "whoami":
                uid = "@someone-else:cli.test"
            return self.answer(200, {"user_id": uid})
        if p.endswith("/register"):
            return self.answer(400, {"errcode": "M_USER_IN_USE", "error": "in use"})
        if p.endswith("/capabilities"):
            return self.answer(200, {"capabilities": {"m.room_versions": {"default": "10"}}})
        if p.endswith("/media/config"):
            return self.answer(200, {"m.upload.size": 1048576})
        if p.endswith("/ping"):
            return self.answer(200, {"duration_ms": 1})
        return self.answer(200, {})

    do_GET = do_PUT = do_POST = do_DELETE = handle_any


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
