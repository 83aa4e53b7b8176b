# setup.sh: sourced by the bridge suites that run the REAL ponton binary
# ($BUILD/san/ponton, ASan+UBSan) as the appservice of a real Synapse.
# The caller sets WORK_NAME (and may prefer SYN_PORT / AS_PORT).  This file
# makes $WORK, writes config.yaml from `ponton -e` as an operator would
# (homeserver, SQLite database, permissions incl. @relayonly and @blocked),
# the registration with `ponton -g`, configures and starts Synapse (stopped
# by the EXIT trap, with any ponton left in $PPID_), defines pass/fail and
# $status, and sources ponton.sh (start_ponton / stop_ponton).  It exits the
# suite on a set-up failure, after one FAIL line.

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Ports: preferences only; taken ones are replaced by free ones.
SYN_PORT=${SYN_PORT:-16008}
export SYN_PORT
. "$TOP/test/synapse/lib.sh"
AS_PORT=$(syn_free_port "${AS_PORT:-16009}" "$SYN_PORT")

case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
WORK=$B/test-$WORK_NAME
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
