#!/bin/sh
# No lost rooms: the REAL ponton binary ($BUILD/san/ponton, ASan+UBSan) as
# the appservice of a real Synapse.  Rooms carry m.bridge state with our
# key (made by the bot through the as_token, and by ponton itself through
# the `bridge <chat ID>` command), with our key but another bot, and with
# ANOTHER bridge's key (localhost/signal).  Then ponton's database is
# deleted and ponton restarted: the portal rows come back with the right
# room IDs, no room is created (the bot's rooms are counted before and
# after), the other bridge's state is untouched.  test/bridge/recover.py
# acts as the users and the bot.
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export BUILD TOP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Ports from helper H1's range (16000-16999).
SYN_PORT=16010
AS_PORT=16011
export SYN_PORT
. "$TOP/test/synapse/lib.sh"

case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
WORK=$B/test-bridge-recover
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

run_driver() {
	SERVER_NAME=localhost python3 "$TOP/test/bridge/recover.py" "$1" ||
	    status=1
}

if start_ponton first; then
	pass "ponton_starts"
else
	fail "ponton_starts"
	tail -n 30 ponton-first.out ponton-first.err
	exit 1
fi
run_driver setup
if stop_ponton first; then
	pass "first_run_stops_cleanly"
else
	fail "first_run_stops_cleanly"
	tail -n 20 ponton-first.err
fi

# --- the database is lost -------------------------------------------------
rm -f "$WORK/bridge.db" "$WORK/bridge.db-wal" "$WORK/bridge.db-shm"
if start_ponton second; then
	pass "ponton_starts_on_an_empty_database"
else
	fail "ponton_starts_on_an_empty_database"
	tail -n 30 ponton-second.out ponton-second.err
	exit 1
fi
if grep -q "recovery: .* recovered" ponton-second.out; then
	pass "recovery_ran_before_bridge_started"
else
	fail "recovery_ran_before_bridge_started"
	grep -i "recover" ponton-second.out | head
fi
run_driver check
if stop_ponton second; then
	pass "second_run_stops_cleanly"
else
	fail "second_run_stops_cleanly"
	tail -n 20 ponton-second.err
fi
exit $status
