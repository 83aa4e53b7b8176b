#!/bin/sh
# Matrix suite: matrix/ against a real Synapse (pinned, from PyPI, in a
# cached virtual environment outside the repository; see test/synapse/).
# The driver (test/matrix/driver.py) acts as a Matrix user and drives the
# appservice harness (test/tools/mx_harness.c).  Synapse is started here
# on 127.0.0.1:$SYN_PORT with a fresh data directory and stopped on exit.
# Every port is probed free at start (test/synapse/lib.sh), so two runs on
# one machine do not collide.
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export BUILD TOP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# SYN_PORT from the environment is a preference (lib.sh).
. "$TOP/test/synapse/lib.sh"
AS_PORT=$(syn_free_port "" "$SYN_PORT") || { echo "FAIL: free_port"; exit 1; }
STUB_PORT=$(syn_free_port "" "$SYN_PORT" "$AS_PORT") || { echo "FAIL: free_port"; exit 1; }
export AS_PORT STUB_PORT
echo "# ports: synapse $SYN_PORT, appservice $AS_PORT, stub homeserver $STUB_PORT"

WORK=$TOP/$BUILD/test-matrix
rm -rf "$WORK"
mkdir -p "$WORK"
HARNESS=$TOP/$BUILD/san/tools/mx_harness
if [ ! -x "$HARNESS" ]; then
	echo "FAIL: mx_harness not built ($HARNESS)"
	exit 1
fi

if ! syn_install; then
	echo "FAIL: synapse_install (from test/synapse/requirements.txt)"
	exit 1
fi
echo "# Synapse $(syn_version) in $SYN_VENV"

rand() { head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-"$1"; }
AS_ID=ponton-test
AS_TOKEN=$(rand 64)
HS_TOKEN=$(rand 64)
DP_TOKEN=$(rand 64)
export AS_ID AS_TOKEN HS_TOKEN DP_TOKEN

# The registration comes from `ponton -g` (tokens, random sender_localpart,
# the bot and the ghost template as exclusive user namespaces, rate_limited
# false, ephemeral on), made from the example config pointed at this
# Synapse.  If that fails, say so and fall back to writing the same fields
# here so the rest of the suite still runs.
PONTON=$TOP/$BUILD/san/ponton
gen_ok=0
if [ -x "$PONTON" ] && (cd "$WORK" && "$PONTON" -e -c config.yaml > ponton-e.log 2>&1); then
	sed -i "s#^    address: http://example.localhost:8008\$#    address: $SYN_URL#;
	    s#^    domain: example.com\$#    domain: localhost#;
	    s#^    address: http://localhost:29318\$#    address: http://127.0.0.1:$AS_PORT#;
	    s#^    id: whatsapp\$#    id: $AS_ID#" "$WORK/config.yaml"
	if (cd "$WORK" && "$PONTON" -g -c config.yaml -r registration.yaml > ponton-g.log 2>&1) &&
	    grep -q "^url: http://127.0.0.1:$AS_PORT\$" "$WORK/registration.yaml" &&
	    grep -q "^id: $AS_ID\$" "$WORK/registration.yaml"; then
		gen_ok=1
	fi
fi
if [ $gen_ok -eq 1 ]; then
	AS_TOKEN=$(sed -n 's/^as_token: *//p' "$WORK/registration.yaml" | tr -d "\"'")
	HS_TOKEN=$(sed -n 's/^hs_token: *//p' "$WORK/registration.yaml" | tr -d "\"'")
	echo "PASS: registration_from_ponton_g"
else
	echo "FAIL: registration_from_ponton_g (see $WORK/ponton-*.log); using a generated one"
	cat > "$WORK/registration.yaml" <<REGEOF
id: $AS_ID
url: http://127.0.0.1:$AS_PORT
as_token: $AS_TOKEN
hs_token: $HS_TOKEN
sender_localpart: $(rand 32)
rate_limited: false
namespaces:
  users:
  - regex: ^@whatsappbot:localhost\$
    exclusive: true
  - regex: ^@whatsapp_.*:localhost\$
    exclusive: true
de.sorunome.msc2409.push_ephemeral: true
receive_ephemeral: true
REGEOF
fi
export AS_TOKEN HS_TOKEN
# The double-puppet registration (mautrix docs): no URL, nobody exclusive.
cat > "$WORK/doublepuppet.yaml" <<REGEOF
id: doublepuppet
url: null
as_token: $DP_TOKEN
hs_token: $(rand 64)
sender_localpart: $(rand 32)
rate_limited: false
namespaces:
  users:
  - regex: '@.*:localhost'
    exclusive: false
REGEOF

SYN_DIR=$WORK/synapse
export SYN_DIR SYN_URL SYN_SECRET
if ! syn_configure "$SYN_DIR" "$WORK/registration.yaml" "$WORK/doublepuppet.yaml"; then
	echo "FAIL: synapse_configure"
	cat "$SYN_DIR/genkeys.log"
	exit 1
fi
trap 'syn_stop' EXIT INT TERM
if ! syn_start; then
	echo "FAIL: synapse_start"
	tail -n 40 "$SYN_DIR/homeserver.log" 2>/dev/null
	exit 1
fi
echo "PASS: synapse_starts_on_loopback"

WORK=$WORK HARNESS=$HARNESS SERVER_NAME=localhost \
    python3 "$TOP/test/matrix/driver.py" 2> "$WORK/harness.log"
rc=$?
tail -n 60 "$WORK/harness.log"
syn_stop

# A stub homeserver for what Synapse will not do on demand (wrong whoami,
# old spec, failing ping, 429/5xx, small upload limit).
WORK=$WORK HARNESS=$HARNESS STUB_PORT=$STUB_PORT \
    python3 "$TOP/test/matrix/stub_cases.py" 2> "$WORK/stub.log"
rc2=$?
tail -n 30 "$WORK/stub.log"
[ $rc -eq 0 ] && [ $rc2 -eq 0 ]
