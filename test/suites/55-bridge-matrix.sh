#!/bin/sh
# Bridge on Matrix: the REAL ponton binary ($BUILD/san/ponton, ASan+UBSan)
# as the appservice of a real Synapse (test/synapse/, pinned lockfile,
# cached venv).  Registration from `ponton -g`; Matrix users from the
# shared-secret admin API; test/bridge/driver.py acts as them.  Cases:
# start-up with the appservice ping, bot invite -> management room and
# welcome, commands (help, version, cancel, unknown, set-management-room),
# refused invites, leave, SIGTERM -> exit 0, restart in French.
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export BUILD TOP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Ports from helper H1's range (16000-16999).
SYN_PORT=16008
AS_PORT=16009
export SYN_PORT
. "$TOP/test/synapse/lib.sh"

case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
WORK=$B/test-bridge-matrix
rm -rf "$WORK"
mkdir -p "$WORK"
PONTON=$B/san/ponton
status=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; }

if [ ! -x "$PONTON" ]; then
	fail "ponton_built ($PONTON)"
	exit 1
fi
if ! syn_install; then
	fail "synapse_install (from test/synapse/requirements.txt)"
	exit 1
fi
echo "# Synapse $(syn_version) in $SYN_VENV"

# --- config and registration, as an operator would make them -------------
cd "$WORK" || exit 1
"$PONTON" -e -c config.yaml > /dev/null || { fail "example_config"; exit 1; }
sed -i -e "s#^    address: http://example.localhost:8008\$#    address: $SYN_URL#" \
    -e 's#^    domain: example.com$#    domain: localhost#' \
    -e "s#^    address: http://localhost:29318\$#    address: http://127.0.0.1:$AS_PORT#" \
    -e "s#^    port: 29318\$#    port: $AS_PORT#" \
    -e 's#^    type: postgres$#    type: sqlite3-fk-wal#' \
    -e "s#^    uri: postgres://user:password@host/database?sslmode=disable\$#    uri: file:$WORK/bridge.db?_txlock=immediate#" \
    -e 's#^        "example.com": user$#        "localhost": user\n        "@relayonly:localhost": relay\n        "@blocked:localhost": block#' \
    -e 's#^        "@admin:example.com": admin$#        "@admin:localhost": admin#' \
    -e 's#^          format: pretty-colored$#          format: pretty#' \
    -e "s#filename: ./logs/bridge.log#filename: $WORK/logs/bridge.log#" config.yaml
if "$PONTON" -g -c config.yaml -r registration.yaml > gen.log 2>&1 &&
    grep -q "^url: http://127.0.0.1:$AS_PORT\$" registration.yaml; then
	pass "registration_from_ponton_g"
else
	fail "registration_from_ponton_g"
	cat gen.log
	exit 1
fi

SYN_DIR=$WORK/synapse
export SYN_DIR SYN_URL SYN_SECRET WORK
if ! syn_configure "$SYN_DIR" "$WORK/registration.yaml"; then
	fail "synapse_configure"
	cat "$SYN_DIR/genkeys.log"
	exit 1
fi
PPID_=""
cleanup() {
	[ -n "$PPID_" ] && kill -KILL "$PPID_" 2>/dev/null
	syn_stop
}
trap cleanup EXIT INT TERM
if ! syn_start; then
	fail "synapse_start"
	tail -n 40 "$SYN_DIR/homeserver.log" 2>/dev/null
	exit 1
fi

# start_ponton TAG / stop_ponton TAG (run $PONTON in the background).
. "$TOP/test/bridge/ponton.sh"

if start_ponton en; then
	pass "ponton_starts_against_synapse"
else
	fail "ponton_starts_against_synapse"
	tail -n 30 ponton-en.out ponton-en.err
	exit 1
fi
# Synapse 1.163 advertises v1.7+, so the start-up ran the appservice ping;
# /mau/ready is 200 only after every start-up step passed.
if grep -q "appservice ping ok" ponton-en.out &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AS_PORT/_matrix/mau/ready")" = 200 ]; then
	pass "start_up_ping_passed_and_ready"
else
	fail "start_up_ping_passed_and_ready"
	grep -i "ping" ponton-en.out | head -5
fi

SERVER_NAME=localhost python3 "$TOP/test/bridge/driver.py" en || status=1

if stop_ponton en; then
	pass "sigterm_stops_ponton_with_exit_0"
else
	fail "sigterm_stops_ponton_with_exit_0 (exit ${rc:-?})"
	tail -n 20 ponton-en.err
fi
tok=$(sed -n 's/^as_token: *//p' registration.yaml | tr -d "\"'")
if [ -n "$tok" ] && ! grep -qF "$tok" ponton-en.out ponton-en.err "$WORK/logs/bridge.log"; then
	pass "no_token_in_logs"
else
	fail "no_token_in_logs"
fi

# --- restart in French ----------------------------------------------------
sed -i 's#^    language: en$#    language: fr#' config.yaml
if start_ponton fr; then
	pass "ponton_restarts_in_french"
	SERVER_NAME=localhost python3 "$TOP/test/bridge/driver.py" fr || status=1
	if stop_ponton fr; then
		pass "second_sigterm_exit_0"
	else
		fail "second_sigterm_exit_0"
		tail -n 20 ponton-fr.err
	fi
else
	fail "ponton_restarts_in_french"
	tail -n 30 ponton-fr.out ponton-fr.err
fi
exit $status
