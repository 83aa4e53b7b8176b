#!/bin/sh
# wasim against the pinned Baileys (test/peers/baileys): pairing by QR and by
# pairing code, login with saved credentials, the unknown-iq error, stream
# errors injected through the admin API, malformed input, clean shutdown.
#
#   wasim_refuses_non_loopback   --host 0.0.0.0 is refused
#   wasim_started                port file written, /health answers
#   baileys_qr_received          Baileys showed a QR from wasim's refs
#   wasim_scan_qr                POST /admin/mock-phone/scan-qr accepted it
#                                (sent to the websocket port, as Baileys'
#                                own e2e harness does)
#   baileys_paired               Baileys verified pair-success and got 515
#   baileys_open                 ... logged in again and reached 'open'
#   baileys_offline_marker       ... and handled <ib><offline/>
#   wasim_unknown_iq_501         an unknown iq is answered 501 feature-not-implemented
#   wasim_device_listed          the admin API lists the device with key
#                                index 1 and the uploaded prekeys
#   baileys_reconnects_with_saved_creds   second run: no QR, straight to 'open'
#   wasim_bad_stanzas            malformed iqs after login get their errors,
#                                a frame that is not a node closes the
#                                connection (test/peers/baileys/abuse.mjs)
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
. "$TOP/test/wasim/harness.sh"
wh_init wasim-baileys
WASIM=$WH_WASIM
D=$WH_PEER
wait_line() { wh_wait_line "$@"; }
has() { grep -q "$1" "$2"; }
driver() { wh_baileys "$@"; }
driver_wait() { wh_baileys_wait; }

# --- Loopback only -------------------------------------------------------------
"$WASIM" --host 0.0.0.0 --port-file "$W/nope" > "$W/nope.log" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$W/nope" ]; then
	pass wasim_refuses_non_loopback
else
	fail wasim_refuses_non_loopback "exit $rc"
fi

# --- Start ------------------------------------------------------------------------
if wh_start "$W" --offline-delay-ms 500; then
	pass wasim_started
else
	fail wasim_started "no port file or no health"
	wh_finish
fi

# --- QR pairing -----------------------------------------------------------------
driver "$W/run1.out" --auth "$W/auth1" --timeout-ms 60000 \
    --expect-new-login --query-unknown
if wait_line '^QR https://wa.me/settings/linked_devices#2@' 300 "$W/run1.out"; then
	pass baileys_qr_received
	qr=$(sed -n 's/^QR //p' "$W/run1.out" | head -1)
	# On the websocket's own port, as Baileys' e2e harness posts it.
	code=$(curl -s -o "$W/scan.json" -w '%{http_code}' -X POST \
	    --data-binary "$qr" \
	    "http://127.0.0.1:$WASIM_WS_PORT/admin/mock-phone/scan-qr")
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

# Hostile stanzas after login: each gets its error (or an empty answer), a
# frame that is not a node closes the connection, wasim keeps serving.
node "$D/abuse.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
    --auth "$W/auth1" > "$W/abuse.out" 2> "$W/abuse.err"
cat > "$W/abuse.want" <<'WANT'
CASE upload-key-without-id 400
CASE upload-short-registration 400
CASE upload-too-many-keys 406
CASE fetch-too-many-users 400
CASE fetch-string-jid ok
CASE usync-no-query 400
CASE usync-odd-users ok
CASE app-state-too-many 400
CASE remove-other-device 404
CASE remove-bad-jid 404
CASE link-code-after-login 501
CASE weird-type 400
CASE empty-xmlns 501
CASE not-a-node closed
RESULT ok
WANT
if diff "$W/abuse.want" "$W/abuse.out" > "$W/abuse.diff" &&
    curl -sf "$WASIM_ADMIN_URL/health" | grep -q '"ok":true'; then
	pass wasim_bad_stanzas
else
	fail wasim_bad_stanzas "$(head -5 "$W/abuse.diff" | tr '\n' ' ')"
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
wh_stop
rc=$?
if [ $rc -eq 0 ] && wh_logs_clean; then
	pass wasim_clean_exit
else
	fail wasim_clean_exit "exit $rc"
	grep -A20 -E 'Sanitizer|runtime error' "$W/wasim.log" | head -40
fi
wh_finish
