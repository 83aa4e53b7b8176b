#!/bin/sh
# Matrix side throughput (bench/mx_as.c, release build): transactions and
# events per second the appservice server takes, and events per second
# sent as a ghost to a stub homeserver.  Reported, never asserted.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
SECS=${BENCH_SECONDS:-2}
case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
r=$("$B/rel/bench/mx_as" "$SECS" 2>/dev/null)
python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("mx_as: appservice server %(txn_per_s)d txn/s (%(events_in_per_s)d events/s, %(events_per_txn)d events per txn, %(in_flight)d in flight)" % r)
print("       client to a stub homeserver %(sends_per_s)d sends/s (%(in_flight)d in flight)" % r)
' "$r"
