"""demo.py: the scripted part of `make demo` (see demo.sh).

With DEMO_CHECK=1 (test/e2e/90-demo.sh) it does what a newcomer would do
first instead of waiting for Ctrl-C: checks that the portal room of the
group exists with the contacts' messages, writes in it as @demo and waits
for Alice's answer; PASS:/FAIL: lines, then it stops.
"""
import os
import signal
import sys
import time

import e2e

ACCOUNT = "33700000001"		# the bridged WhatsApp account (simulated)
ALICE = "33700000002"
BRUNO = "33700000003"


def answer(alice, gid, seen):
    """Alice answers every new text in the group (not her own)."""
    for m in alice.msgs():
        if m["id"] in seen or m.get("fromMe") or m["chat"] != gid:
            continue
        seen.add(m["id"])
        if m.get("text"):
            alice.send_text(gid, "Alice got: " + m["text"])


def check(t, demo, alice, gid):
    room = t.wait_portal(demo, gid, 60)
    t.check("demo_portal_room_for_the_group", room is not None, gid)
    if room is None:
        return
    ev = demo.wait_event(room, lambda e: e.get("content", {}).get(
        "body") == "Salut ! Welcome to the demo group.", 30)
    t.check("demo_contacts_messages_in_the_room", ev is not None)
    e = demo.send(room, "Bonjour from Matrix")
    seen = set()
    end = time.time() + 30
    got = None
    while time.time() < end and got is None:
        answer(alice, gid, seen)
        got = demo.wait_event(room, lambda x: x.get("content", {}).get(
            "body") == "Alice got: Bonjour from Matrix", 1, e)
    t.check("demo_matrix_message_answered_from_whatsapp", got is not None)


def main():
    t = e2e.Test()
    stop = []
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    try:
        print("# starting ponton ...", flush=True)
        t.start_ponton("demo")
        demo = t.user("demo")
        print("# logging the bridge in (the simulated phone scans the QR)",
              flush=True)
        t.login_bridge(demo, ACCOUNT)
        alice = t.baileys("alice", ALICE, "Alice")
        bruno = t.baileys("bruno", BRUNO, "Bruno")
        gid = alice.call("groupCreate", "Café du coin",
                         [t.bridge_jid, bruno.jid])["id"]
        alice.send_text(gid, "Salut ! Welcome to the demo group.")
        bruno.send_text(gid, "Hi *everyone* - try answering from Matrix.")
        print("""
ponton is running.

  Homeserver:  %s
  User:        demo        Password: pw-demo
  Bot:         @whatsappbot:localhost (your management room is open)

Log in with any Matrix client that lets you choose the homeserver URL.
You will find a DM with the bot and the portal room "Café du coin", where
Alice and Bruno (simulated WhatsApp contacts) are ghosts.  Try:
  - write in "Café du coin": Alice answers what she received on WhatsApp
  - in the bot DM: `help`, `list-logins`, `version`
  - a DM: Bruno writes to you directly from time to time
Logs: %s/ponton-demo.out   Stop with Ctrl-C.
""" % (t.syn_url, t.work), flush=True)
        if os.environ.get("DEMO_CHECK") == "1":
            check(t, demo, alice, gid)
            return
        seen = set()
        last_dm = 0.0
        while not stop:
            answer(alice, gid, seen)
            if time.time() - last_dm > 120:
                last_dm = time.time()
                bruno.send_text(t.bridge_jid, "Psst, a direct message "
                                "from Bruno (%s)" % time.strftime("%H:%M"))
            time.sleep(1)
    except Exception as e:
        t.check("demo_runs", False, "%s: %s" % (type(e).__name__, e))
    finally:
        print("# stopping", flush=True)
        for p in t.procs:
            p.stop()
        ok = t.stop_ponton()
        print("# ponton stopped %s" % ("cleanly" if ok else "with errors"))
        if os.environ.get("DEMO_CHECK") == "1":
            t.check("demo_ponton_stops_cleanly", ok)
        sys.exit(1 if t.failed else 0)


main()
