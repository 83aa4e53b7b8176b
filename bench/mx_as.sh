#!/bin/sh
# Matrix side throughput (bench/mx_as.c, release build): transactions and
# events per second the appservice server takes, and events per second
# sent as a ghost to a stub homeserver and to a real Synapse (issue 5).
# Reported, never asserted.  Synapse comes from test/synapse/ (cached venv,
# a free port, a fresh data directory under $BUILD, stopped on exit); the
# ghost is registered and creates its room with the appservice token, so
# what is timed is only the sends.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
export TOP
SECS=${BENCH_SECONDS:-2}
case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
r=$("$B/rel/bench/mx_as" "$SECS" 2>/dev/null)
python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("mx_as: appservice server %(txn_per_s)d txn/s (%(events_in_per_s)d events/s, %(events_per_txn)d events per txn, %(in_flight)d in flight)" % r)
print("       client to a stub homeserver %(sends_per_s)d sends/s (%(in_flight)d in flight)" % r)
' "$r"

# --- the same sends to Synapse ----------------------------------------------
. "$TOP/test/synapse/lib.sh"
syn_install || { echo "mx_as: cannot install Synapse"; exit 1; }
WORK=$B/bench-mx-as
rm -rf "$WORK"
mkdir -p "$WORK"
AS_TOKEN=bench_as_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$WORK/registration.yaml" <<REGEOF
id: bench
url: null
as_token: $AS_TOKEN
hs_token: bench_hs_token
sender_localpart: benchbot
rate_limited: false
namespaces:
  users:
  - regex: ^@wa_.*:localhost\$
    exclusive: true
REGEOF
SYN_DIR=$WORK/synapse
syn_configure "$SYN_DIR" "$WORK/registration.yaml" ||
    { echo "mx_as: synapse configure failed"; exit 1; }
trap 'syn_stop' EXIT INT TERM
syn_start || { echo "mx_as: synapse start failed"; exit 1; }
auth="Authorization: Bearer $AS_TOKEN"
curl -sf -X POST -H "$auth" -d '{"type":"m.login.application_service","username":"wa_1"}' \
    "$SYN_URL/_matrix/client/v3/register" > /dev/null ||
    { echo "mx_as: ghost registration failed"; exit 1; }
room=$(curl -sf -X POST -H "$auth" -d '{"preset":"private_chat"}' \
    "$SYN_URL/_matrix/client/v3/createRoom?user_id=%40wa_1%3Alocalhost" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["room_id"])') ||
    { echo "mx_as: createRoom failed"; exit 1; }
r=$("$B/rel/bench/mx_as" "$SECS" "$SYN_URL" "$AS_TOKEN" localhost "$room" "@wa_1:localhost" 2>/dev/null)
python3 -c '
import json, sys
r = json.loads(sys.argv[1])
v = sys.argv[2]
print("       client to Synapse %s %d sends/s (%d in flight, %d sent, SQLite)" % (v, r["sends_per_s"], r["in_flight"], r["sends"]))
' "$r" "$(syn_version)"
