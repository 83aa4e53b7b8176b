#!/bin/sh
# The bridge core end to end (bench/bridge.c, release build): memory with
# 1 login, 200 portals and 2000 ghosts; bridged messages per second each
# way and the added latency p50/p99, with a stub homeserver in place of
# Synapse and an in-memory WhatsApp side (issue 6).  Reported, never
# asserted.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
SECS=${BENCH_SECONDS:-2}
case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
r=$("$B/rel/bench/bridge" "$SECS")
python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("bridge: %(portals)d portals, %(ghosts)d ghosts, 1 login: RSS %(rss_kb)d KiB (%(rss_kb_before)d KiB before; peak %(hwm_kb)d KiB); made in %(setup_s).2f s" % r)
print("        WhatsApp -> Matrix %(wa_to_mx_per_s)d msg/s with %(conc)d in flight (added latency p50 %(wa_to_mx_p50_ms).2f ms, p99 %(wa_to_mx_p99_ms).2f ms)" % r)
print("                           %(wa_to_mx_1_per_s)d msg/s one at a time (p50 %(wa_to_mx_1_p50_ms).2f ms, p99 %(wa_to_mx_1_p99_ms).2f ms)" % r)
print("        Matrix -> WhatsApp %(mx_to_wa_per_s)d msg/s with %(conc)d transactions in flight (PUT -> send: p50 %(mx_to_wa_p50_ms).2f ms, p99 %(mx_to_wa_p99_ms).2f ms)" % r)
' "$r"
