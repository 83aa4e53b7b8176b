#!/bin/sh
# make demo: ponton working on one machine, for a newcomer.  Starts a local
# Synapse, wasim (the WhatsApp server simulator, with simulated phones), and
# ponton on SQLite; logs the bridge in as the Matrix user "demo" (the
# simulated phone scans the QR code the bot sent); two simulated WhatsApp
# contacts, Alice and Bruno, create a group with the bridged account and
# chat in it, and answer what you write.  Then it prints how to log in with
# a Matrix client and what to try, and runs until Ctrl-C.
#
# Everything listens on 127.0.0.1 only.  Synapse prefers port 8008 (another
# free port if taken); the work directory is $BUILD/test-demo (logs,
# config.yaml, bridge.db), recreated at each run.
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export BUILD TOP
if [ "${DEMO_CHECK:-}" = 1 ]; then
	unset SYN_PORT		# the check takes any free port
else
	SYN_PORT=${SYN_PORT:-8008}
fi
WORK_NAME=demo
. "$TOP/test/e2e/lib.sh"
PYTHONPATH="$TOP/test/e2e" PYTHONUNBUFFERED=1 \
    "$SYN_VENV/bin/python" "$TOP/test/demo/demo.py"
