#!/usr/bin/env python3
"""stub_cases.py: Matrix cases that need a homeserver misbehaving on
purpose, against a stub homeserver written here (stdlib http.server on
127.0.0.1).  Drives test/tools/mx_harness like driver.py.  Proves: the
start-up failure codes (whoami mismatch, spec too old, unreachable,
ping failure), retries on 429 (retry_after_ms) and 5xx with the same
txnId, no blind retry of createRoom, and the upload size check against
/v1/media/config.  Prints PASS:/FAIL: lines.

Environment: HARNESS, STUB_PORT, AS_PORT.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import Harness, result, failures  # noqa: E402
import driver  # noqa: E402

STUB_PORT = int(os.environ["STUB_PORT"])
AS_PORT = int(os.environ["AS_PORT"])
BOT = "@whatsappbot:stub.test"


class Stub:
    def __init__(self):
        self.log = []          # (method, path) of every request
        self.bodies = []       # (method, path, body)
        self.whoami = BOT
        self.versions = ["v1.4", "v1.7", "v1.11"]
        self.ping_status = 200
        self.send_plan = []    # statuses to answer for sends, then 200
        self.create_plan = []
        self.upload_max = 50 << 20
        self.lock = threading.Lock()


stub = Stub()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = self.path.split("?")[0]
        with stub.lock:
            stub.log.append((self.command, path))
            stub.bodies.append((self.command, path, body))
        if path == "/_matrix/client/v3/register":
            return self.reply(400, {"errcode": "M_USER_IN_USE", "error": "taken"})
        if path == "/_matrix/client/versions":
            return self.reply(200, {"versions": stub.versions})
        if path == "/_matrix/client/v3/account/whoami":
            return self.reply(200, {"user_id": stub.whoami})
        if path == "/_matrix/client/v3/capabilities":
            return self.reply(200, {"capabilities": {"m.room_versions": {"default": "10"}}})
        if path == "/_matrix/client/v1/media/config":
            return self.reply(200, {"m.upload.size": stub.upload_max})
        if path.startswith("/_matrix/client/v3/profile/"):
            return self.reply(200, {})
        if "/appservice/" in path and path.endswith("/ping"):
            if stub.ping_status == 200:
                return self.reply(200, {"duration_ms": 1})
            return self.reply(stub.ping_status, {"errcode": "M_CONNECTION_FAILED", "error": "no"})
        if "/send/" in path:
            with stub.lock:
                st = stub.send_plan.pop(0) if stub.send_plan else 200
            if st == 429:
                return self.reply(429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 300})
            if st != 200:
                return self.reply(st, {"errcode": "M_UNKNOWN", "error": "boom"})
            return self.reply(200, {"event_id": "$" + path.rsplit("/", 1)[1]})
        if path == "/_matrix/client/v3/createRoom":
            with stub.lock:
                st = stub.create_plan.pop(0) if stub.create_plan else 200
            if st != 200:
                return self.reply(st, {"errcode": "M_UNKNOWN", "error": "boom"})
            return self.reply(200, {"room_id": "!new:stub.test"})
        return self.reply(404, {"errcode": "M_UNRECOGNIZED"})

    do_GET = do_PUT = do_POST = handle_any


def harness(hs_port=STUB_PORT):
    return Harness([os.environ["HARNESS"], "--hs", "http://127.0.0.1:%d" % hs_port,
                    "--domain", "stub.test", "--as-id", "stub", "--as-token", "ast",
                    "--hs-token", "hst", "--port", str(AS_PORT), "--retry-base-ms", "50"])


def paths(pred):
    with stub.lock:
        return [p for p in stub.log if pred(p)]


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", STUB_PORT), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    # start-up failures, one harness each (the caller maps them to exit codes).
    stub.whoami = "@someone_else:stub.test"
    h = harness()
    r = h.cmd("start")
    ex = h.close()
    result("start_whoami_mismatch_is_exit17_code", r["rc"] == -422 and ex == 0, json.dumps(r))
    stub.whoami = BOT
    stub.versions = ["r0.6.1", "v1.1"]
    h = harness()
    r = h.cmd("start")
    ex = h.close()
    result("start_old_spec_is_exit16_code", r["rc"] == -421 and ex == 0, json.dumps(r))
    stub.versions = ["v1.4", "v1.7", "v1.11"]
    stub.ping_status = 502
    h = harness()
    t0 = time.time()
    r = h.cmd("start", timeout=120)
    npings = len(paths(lambda p: p[1].endswith("/ping")))
    ex = h.close()
    result("start_ping_failure_retried_then_exit13_code", r["rc"] == -423 and npings == 6
           and ex == 0, "%s pings=%d %.1fs" % (r, npings, time.time() - t0))
    stub.ping_status = 200
    # nothing listens on this port: connection refused until the deadline
    hh = Harness([os.environ["HARNESS"], "--hs", "http://127.0.0.1:1", "--domain", "stub.test",
                  "--as-id", "stub", "--as-token", "ast", "--hs-token", "hst",
                  "--port", str(AS_PORT), "--timeout-ms", "2000"])
    r = hh.cmd("start")
    ex = hh.close()
    result("start_unreachable_is_exit16_code", r["rc"] == -420 and ex == 0, json.dumps(r))

    h = Harness([os.environ["HARNESS"], "--hs", "http://127.0.0.1:%d" % STUB_PORT,
                 "--domain", "stub.test", "--as-id", "stub", "--as-token", "ast",
                 "--hs-token", "hst", "--port", str(AS_PORT), "--bot-name", "remove"])
    r = h.cmd("start")
    with stub.lock:
        names = [b for m, p, b in stub.bodies if p.endswith("/displayname")]
    result("start_ok_against_stub", r["rc"] == 0, json.dumps(r))
    result("bot_displayname_remove_clears_it", names == [b'{"displayname":""}'], str(names))
    # 429 (retry_after_ms) then 503 then success: same txnId every time.
    stub.send_plan = [429, 503]
    with stub.lock:
        stub.log.clear()
    t0 = time.time()
    r = h.cmd("send", room="!r:stub.test", content={"msgtype": "m.text", "body": "x"})
    sends = paths(lambda p: "/send/" in p[1])
    result("send_retried_after_429_and_5xx_same_txn_id",
           r["rc"] == 0 and len(sends) == 3 and len(set(sends)) == 1 and time.time() - t0 >= 0.3,
           "%s %s" % (r, sends))
    # two sends get two different txnIds
    h.cmd("send", room="!r:stub.test", content={"msgtype": "m.text", "body": "y"})
    sends = paths(lambda p: "/send/" in p[1])
    result("txn_ids_unique_per_send", len(set(sends)) == 2, str(sends))
    # createRoom is not idempotent: a 500 is not retried.
    stub.create_plan = [500]
    r = h.cmd("create_room", req={"preset": "private_chat"})
    creates = paths(lambda p: p[1].endswith("/createRoom"))
    result("create_room_5xx_not_retried", r["rc"] == -401 and r["status"] == 500
           and len(creates) == 1, "%s %s" % (r, creates))
    # 4xx are final
    stub.send_plan = [403]
    with stub.lock:
        stub.log.clear()
    r = h.cmd("send", room="!r:stub.test", content={"msgtype": "m.text", "body": "z"})
    result("send_4xx_not_retried", r["rc"] == -401 and r["status"] == 403 and
           len(paths(lambda p: "/send/" in p[1])) == 1, json.dumps(r))
    rc = h.close()
    result("stub_harness_exits_cleanly", rc == 0, "exit %s" % rc)

    # media config: uploads above m.upload.size are refused before sending.
    stub.upload_max = 100
    h = harness()
    h.cmd("start")
    big = os.path.join(os.environ["WORK"], "big.bin")
    with open(big, "wb") as f:
        f.write(b"x" * 101)
    with stub.lock:
        stub.log.clear()
    r = h.cmd("upload", file=big, content_type="application/octet-stream")
    sent = paths(lambda p: "upload" in p[1])
    ex = h.close()
    result("upload_over_media_config_limit_refused", r["rc"] == -407 and not sent and ex == 0,
           json.dumps(r))
    srv.shutdown()
    return 1 if driver.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:
        import traceback
        traceback.print_exc()
        print("FAIL: stub_cases_crashed -- %s" % e)
        sys.exit(1)
