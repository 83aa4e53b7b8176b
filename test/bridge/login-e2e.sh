#!/bin/sh
# Login from the management room, end to end: the REAL ponton binary
# ($BUILD/san/ponton) as the appservice of a real Synapse (test/synapse/),
# connected to wasim (ponton.whatsapp.websocket_url / trust_root), and a
# Matrix user (test/bridge/login.py) who logs in with `login qr` (QR image
# checked against the text, scanned by wasim's mock phone) and `login
# phone` (pairing code), then after a restart finds both logins
# reconnected and logs one out.  Run by test/suites/56-bridge-login.sh;
# prints PASS:/FAIL: lines.
#
# Ports: Synapse and the appservice from this helper's range (18000-18999),
# wasim kernel-picked.
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export BUILD TOP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

SYN_PORT=18508
AS_PORT=18509
export SYN_PORT
. "$TOP/test/synapse/lib.sh"

case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
WORK=$B/test-bridge-login
rm -rf "$WORK"
mkdir -p "$WORK"
PONTON=$B/san/ponton
WASIM=$B/san/wasim
DRIVE=$B/san/tools/br_net_drive
status=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }

for b in "$PONTON" "$WASIM" "$DRIVE"; do
	if [ ! -x "$b" ]; then
		fail "login_e2e_built ($b)"
		exit 1
	fi
done
if ! syn_install; then
	fail "login_e2e_synapse_install"
	exit 1
fi

PPID_="" WPID=""
cleanup() {
	[ -n "$PPID_" ] && kill -KILL "$PPID_" 2>/dev/null
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	syn_stop
}
trap cleanup EXIT INT TERM

cd "$WORK" || exit 1
"$WASIM" --port 0 --admin-port 0 --port-file wasim.ports \
    --root-pub-file wasim.root --state-dir wasim.state \
    --qr-first-ms 30000 --qr-next-ms 30000 > wasim.log 2>&1 &
WPID=$!
i=0
while ! grep -q WASIM_PID wasim.ports 2>/dev/null && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
. ./wasim.ports || { fail login_e2e_wasim_starts; exit 1; }

"$PONTON" -e -c config.yaml > /dev/null || { fail "login_e2e_config"; exit 1; }
sed -i -e "s#^    address: http://example.localhost:8008\$#    address: $SYN_URL#" \
    -e 's#^    domain: example.com$#    domain: localhost#' \
    -e "s#^    address: http://localhost:29318\$#    address: http://127.0.0.1:$AS_PORT#" \
    -e "s#^    port: 29318\$#    port: $AS_PORT#" \
    -e 's#^    type: postgres$#    type: sqlite3-fk-wal#' \
    -e "s#^    uri: postgres://user:password@host/database?sslmode=disable\$#    uri: file:$WORK/bridge.db?_txlock=immediate#" \
    -e 's#^        "example.com": user$#        "localhost": user#' \
    -e 's#^          format: pretty-colored$#          format: pretty#' \
    -e "s#filename: ./logs/bridge.log#filename: $WORK/logs/bridge.log#" \
    -e "s#^        websocket_url: null\$#        websocket_url: $WASIM_WS_URL#" \
    -e "s#^        trust_root: null\$#        trust_root: $(cat wasim.root)#" \
    config.yaml
if ! "$PONTON" -g -c config.yaml -r registration.yaml > gen.log 2>&1; then
	fail "login_e2e_registration"
	exit 1
fi
SYN_DIR=$WORK/synapse
export SYN_DIR SYN_URL SYN_SECRET WORK WASIM_ADMIN_URL DRIVE
if ! syn_configure "$SYN_DIR" "$WORK/registration.yaml" || ! syn_start; then
	fail "login_e2e_synapse_start"
	exit 1
fi

. "$TOP/test/bridge/ponton.sh"

if ! start_ponton first; then
	fail login_e2e_ponton_starts
	tail -n 30 ponton-first.out ponton-first.err
	exit 1
fi
SERVER_NAME=localhost python3 "$TOP/test/bridge/login.py" first || status=1
if stop_ponton first; then
	pass login_e2e_first_run_stops_cleanly
else
	fail login_e2e_first_run_stops_cleanly
	tail -n 30 ponton-first.err
fi
if start_ponton restart; then
	SERVER_NAME=localhost python3 "$TOP/test/bridge/login.py" restart ||
	    status=1
	if stop_ponton restart; then
		pass login_e2e_restart_stops_cleanly
	else
		fail login_e2e_restart_stops_cleanly
		tail -n 30 ponton-restart.err
	fi
else
	fail login_e2e_ponton_restarts
	tail -n 30 ponton-restart.out ponton-restart.err
fi
# No full phone number or QR secret at info level (style.md).
if ! grep -q "33677700001\|33677700002" ponton-first.out ponton-restart.out; then
	pass login_e2e_no_phone_numbers_in_logs
else
	fail login_e2e_no_phone_numbers_in_logs
	grep "33677700001\|33677700002" ponton-first.out ponton-restart.out | head -5
fi
exit $status
