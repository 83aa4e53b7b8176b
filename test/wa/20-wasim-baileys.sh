#!/bin/sh
# wasim against the pinned Baileys (test/peers/baileys): pairing by QR and by
# pairing code, login with saved credentials, the unknown-iq error, stream
# errors injected through the admin API, malformed input, clean shutdown.
#
#   wasim_refuses_non_loopback   --host 0.0.0.0 is refused
#   wasim_started                port file written, /health answers
#   baileys_qr_received          Baileys showed a QR from wasim's refs
#   wasim_scan_qr                POST /admin/mock-phone/scan-qr accepted it
#   baileys_paired               Baileys verified pair-success and got 515
#   baileys_open                 ... logged in again and reached 'open'
#   baileys_offline_marker       ... and handled <ib><offline/>
#   wasim_unknown_iq_501         an unknown iq is answered 501 feature-not-implemented
#   wasim_device_listed          the admin API lists the device with key
#                                index 1 and the uploaded prekeys
#   baileys_reconnects_with_saved_creds   second run: no QR, straight to 'open'
#   wasim_scan_stale_ref_refused a QR whose connection is gone is refused (404)
#   baileys_pair_code_open       pairing code flow through /admin/mock-phone/pair-code
#   wasim_stream_error_401       injected 401 device_removed closes Baileys with 401
#   wasim_removed_device_refused the removed device's next login fails with 401
#   wasim_garbage_closed         malformed websocket input closes those
#                                connections, wasim keeps serving
#   wasim_clean_exit             SIGTERM: exit 0, no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
WASIM=$TOP/$BUILD/san/wasim
D=$TOP/test/peers/baileys
mkdir -p "$TOP/$BUILD/test-work"
W=$(mktemp -d "$TOP/$BUILD/test-work/wasim-baileys.XXXXXX")
status=0
wpid=""
dpid=""

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; status=1; }
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Wait up to $2 tenths of a second for a line matching $1 in file $3.
wait_line() {
	i=0
	while [ $i -lt "$2" ]; do
		grep -q "$1" "$3" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
has() { grep -q "$1" "$2"; }

if ! sh "$D/install.sh"; then
	echo "FAIL: baileys-install"
	exit 1
fi
[ -x "$WASIM" ] || { echo "FAIL: wasim not built ($WASIM)"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# --- Loopback only -------------------------------------------------------------
"$WASIM" --host 0.0.0.0 --port-file "$W/nope" > "$W/nope.log" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$W/nope" ]; then
	pass wasim_refuses_non_loopback
else
	fail wasim_refuses_non_loopback "exit $rc"
fi

# --- Start ------------------------------------------------------------------------
"$WASIM" --port-file "$W/ports" --log-level debug --offline-delay-ms 500 \
    > "$W/wasim.log" 2>&1 &
wpid=$!
wait_line WASIM_PID 100 "$W/ports" || { fail wasim_started "no port file"; exit 1; }
. "$W/ports"
if curl -sf "$WASIM_ADMIN_URL/health" | grep -q '"ok":true'; then
	pass wasim_started
else
	fail wasim_started "health"
	exit 1
fi

driver() {
	# driver <out-file> <args...>: run pair.mjs in the background.
	out=$1
	shift
	node "$D/pair.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" "$@" \
	    > "$out" 2> "$out.err" &
	dpid=$!
}
driver_wait() {
	wait "$dpid"
	rc=$?
	dpid=""
	return $rc
}

# --- QR pairing -----------------------------------------------------------------
driver "$W/run1.out" --auth "$W/auth1" --timeout-ms 60000 \
    --expect-new-login --query-unknown
if wait_line '^QR https://wa.me/settings/linked_devices#2@' 300 "$W/run1.out"; then
	pass baileys_qr_received
	qr=$(sed -n 's/^QR //p' "$W/run1.out" | head -1)
	code=$(curl -s -o "$W/scan.json" -w '%{http_code}' -X POST \
	    --data-binary "$qr" "$WASIM_ADMIN_URL/admin/mock-phone/scan-qr")
	if [ "$code" = 200 ] && grep -q '"device":1' "$W/scan.json"; then
		pass wasim_scan_qr
	else
		fail wasim_scan_qr "HTTP $code $(cat "$W/scan.json")"
	fi
else
	fail baileys_qr_received
fi
driver_wait
rc=$?
phone=$(sed -n 's/.*"phone":"\([0-9]*\)".*/\1/p' "$W/scan.json" 2>/dev/null)
if has "^MILESTONE paired $phone:1@s.whatsapp.net [0-9]*:1@lid" "$W/run1.out" &&
    has '^MILESTONE restart 515' "$W/run1.out"; then
	pass baileys_paired
else
	fail baileys_paired
fi
if [ $rc -eq 0 ] && has "^MILESTONE open $phone:1@s.whatsapp.net" "$W/run1.out" &&
    has '^RESULT ok' "$W/run1.out"; then
	pass baileys_open
else
	fail baileys_open "exit $rc: $(grep RESULT "$W/run1.out")"
fi
if has '^MILESTONE offline' "$W/run1.out"; then
	pass baileys_offline_marker
else
	fail baileys_offline_marker
fi
if has '^MILESTONE query_error 501 feature-not-implemented' "$W/run1.out"; then
	pass wasim_unknown_iq_501
else
	fail wasim_unknown_iq_501 "$(grep query_error "$W/run1.out")"
fi
curl -s "$WASIM_ADMIN_URL/admin/accounts/$phone/devices" > "$W/devices.json"
if grep -q '"id":1,' "$W/devices.json" && grep -q '"key_index":1,' "$W/devices.json" &&
    grep -q '"prekeys":812,' "$W/devices.json" && grep -q '"signed_prekey":true' "$W/devices.json"; then
	pass wasim_device_listed
else
	fail wasim_device_listed "$(cat "$W/devices.json")"
fi

# --- Saved credentials ------------------------------------------------------------
driver "$W/run2.out" --auth "$W/auth1" --timeout-ms 30000 --expect-saved-login
driver_wait
rc=$?
if [ $rc -eq 0 ] && ! has '^QR ' "$W/run2.out" &&
    has "^MILESTONE open $phone:1@s.whatsapp.net" "$W/run2.out"; then
	pass baileys_reconnects_with_saved_creds
else
	fail baileys_reconnects_with_saved_creds "exit $rc"
fi

# The first run's QR belongs to a connection that is gone.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$qr" \
    "$WASIM_ADMIN_URL/admin/mock-phone/scan-qr")
if [ "$code" = 404 ]; then
	pass wasim_scan_stale_ref_refused
else
	fail wasim_scan_stale_ref_refused "HTTP $code"
fi

# --- Pairing code -------------------------------------------------------------------
pcphone=15557654321
driver "$W/run3.out" --auth "$W/auth3" --timeout-ms 60000 --pair-code "$pcphone" \
    --expect-new-login
if wait_line '^PAIRCODE ' 300 "$W/run3.out"; then
	pc=$(sed -n 's/^PAIRCODE //p' "$W/run3.out" | head -1)
	code=$(curl -s -o "$W/pc.json" -w '%{http_code}' -X POST \
	    --data-binary "{\"phone\":\"$pcphone\",\"code\":\"$pc\"}" \
	    "$WASIM_ADMIN_URL/admin/mock-phone/pair-code")
	[ "$code" = 200 ] || echo "# pair-code: HTTP $code $(cat "$W/pc.json")"
fi
driver_wait
rc=$?
if [ $rc -eq 0 ] && has "^MILESTONE open $pcphone:1@s.whatsapp.net" "$W/run3.out"; then
	pass baileys_pair_code_open
else
	fail baileys_pair_code_open "exit $rc: $(tail -1 "$W/run3.out")"
fi

# --- Stream errors --------------------------------------------------------------------
driver "$W/run4.out" --auth "$W/auth1" --timeout-ms 30000 --expect-close
if wait_line '^MILESTONE open' 300 "$W/run4.out"; then
	curl -s -X POST --data-binary \
	    "{\"phone\":\"$phone\",\"code\":\"401\",\"conflict\":\"device_removed\"}" \
	    "$WASIM_ADMIN_URL/admin/stream-error" > "$W/se.json"
fi
driver_wait
if has '^MILESTONE closed 401' "$W/run4.out" && grep -q '"sent":1' "$W/se.json"; then
	pass wasim_stream_error_401
else
	fail wasim_stream_error_401 "$(tail -2 "$W/run4.out")"
fi
driver "$W/run5.out" --auth "$W/auth1" --timeout-ms 30000 --expect-close
driver_wait
if has '^MILESTONE closed 401' "$W/run5.out" && ! has '^MILESTONE open' "$W/run5.out"; then
	pass wasim_removed_device_refused
else
	fail wasim_removed_device_refused "$(tail -2 "$W/run5.out")"
fi

# --- Malformed input ------------------------------------------------------------------
node "$D/garbage.mjs" "$WASIM_WS_URL" > "$W/garbage.out" 2>&1
n=$(grep -c '^CASE .* closed$' "$W/garbage.out")
if [ "$n" -eq 8 ] && curl -sf "$WASIM_ADMIN_URL/health" | grep -q '"ok":true'; then
	pass wasim_garbage_closed
else
	fail wasim_garbage_closed "$(grep -v 'closed$' "$W/garbage.out" | head -3)"
fi

# --- Shutdown --------------------------------------------------------------------------
kill -TERM "$wpid"
wait "$wpid"
rc=$?
wpid=""
if [ $rc -eq 0 ] && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W/wasim.log"; then
	pass wasim_clean_exit
else
	fail wasim_clean_exit "exit $rc"
	grep -A20 -E 'Sanitizer|runtime error' "$W/wasim.log" | head -40
fi

if [ $status -ne 0 ]; then
	echo "# wasim log (tail):"
	tail -40 "$W/wasim.log" | sed 's/^/#   /'
else
	rm -rf "$W"
fi
exit $status
