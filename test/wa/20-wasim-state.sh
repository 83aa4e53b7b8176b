#!/bin/sh
# wasim's state dir, QR ref expiry, push-name accounts, injected login
# failures, with the pinned Baileys:
#
#   wasim_push_name_account      a client registering with a push name gets
#                                the phone number derived from it
#   wasim_second_device          pairing again with the same push name adds
#                                device 2 (key index 2) to that account
#   wasim_state_persists         after a wasim restart on the same state dir,
#                                Baileys logs in with its saved creds
#   wasim_login_failure_405      POST /admin/login-failure: the next login
#                                gets <failure reason="405">
#   wasim_login_after_failure    ... and the one after succeeds again
#   wasim_prekey_low_refill      POST /admin/prekeys leaves 2: wasim sends the
#                                encrypt count notification, Baileys uploads
#   wasim_stream_error_replaced  POST /admin/stream-error conflict replaced:
#                                Baileys closes with 440
#   wasim_stream_error_503 / _515   code 503 / 515: Baileys closes with it
#   wasim_second_login_replaces  a second login of the same device takes
#                                over; the first gets conflict replaced (440)
#   wasim_ref_expired            a QR scanned after its ref's window is 404
#   wasim_pairing_timeout_closes an unscanned registration is closed after
#                                the last ref expired
#   wasim_clean_exits            every wasim exited 0 with no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init wasim-state
exits_ok=1

# Pair a fresh auth dir with push name $2 on the running wasim; the scan's
# JSON answer goes to $1.json, the driver's output to $1.out.
pair() {
	wh_baileys "$W/$1.out" --auth "$W/$1.auth" --push-name "$2" \
	    --timeout-ms 60000 --expect-new-login
	if wh_wait_line '^QR ' 300 "$W/$1.out"; then
		wh_post /admin/mock-phone/scan-qr \
		    "$(sed -n 's/^QR //p' "$W/$1.out" | head -1)" "$W/$1.json" >/dev/null
	fi
	wh_baileys_wait
}

# --- Push-name accounts, on a state dir -----------------------------------------
wh_start "$W/a" --state-dir "$W/state" || { fail wasim_start; wh_finish; }
pair alice1 "Alice Example"
rc=$?
phone=$(sed -n 's/.*"phone":"\([0-9]*\)".*/\1/p' "$W/alice1.json")
if [ $rc -eq 0 ] && [ -n "$phone" ] && echo "$phone" | grep -q '^1555[0-9]\{7\}$' &&
    grep -q "^MILESTONE open $phone:1@" "$W/alice1.out"; then
	pass wasim_push_name_account
else
	fail wasim_push_name_account "exit $rc, phone '$phone'"
fi
pair alice2 "Alice Example"
rc=$?
curl -s "$WASIM_ADMIN_URL/admin/accounts/$phone/devices" > "$W/devs.json"
if [ $rc -eq 0 ] && grep -q "^MILESTONE open $phone:2@" "$W/alice2.out" &&
    grep -q '"id":2,' "$W/devs.json" && grep -q '"key_index":2,' "$W/devs.json"; then
	pass wasim_second_device
else
	fail wasim_second_device "exit $rc"
fi
wh_stop || exits_ok=0

# --- Restart on the same state dir -----------------------------------------------
wh_start "$W/b" --state-dir "$W/state" || { fail wasim_restart; wh_finish; }
wh_baileys "$W/saved.out" --auth "$W/alice1.auth" --timeout-ms 30000 \
    --expect-saved-login
wh_baileys_wait
rc=$?
if [ $rc -eq 0 ] && grep -q "^MILESTONE open $phone:1@" "$W/saved.out"; then
	pass wasim_state_persists
else
	fail wasim_state_persists "exit $rc: $(tail -1 "$W/saved.out")"
fi

# --- Injected login failure --------------------------------------------------------
code=$(wh_post /admin/login-failure "{\"phone\":\"$phone\",\"reason\":\"405\"}" "$W/lf.json")
wh_baileys "$W/lf.out" --auth "$W/alice1.auth" --timeout-ms 30000 --expect-close
wh_baileys_wait
if [ "$code" = 200 ] && grep -q '^MILESTONE closed 405' "$W/lf.out" &&
    ! grep -q '^MILESTONE open' "$W/lf.out"; then
	pass wasim_login_failure_405
else
	fail wasim_login_failure_405 "HTTP $code: $(tail -1 "$W/lf.out")"
fi
wh_baileys "$W/after.out" --auth "$W/alice1.auth" --timeout-ms 30000
wh_baileys_wait
if [ $? -eq 0 ] && grep -q '^MILESTONE open' "$W/after.out"; then
	pass wasim_login_after_failure
else
	fail wasim_login_after_failure
fi

# Prekeys running low: wasim notifies, Baileys uploads more.
wh_baileys "$W/low.out" --auth "$W/alice1.auth" --timeout-ms 30000 --stay-ms 3000
if wh_wait_line '^MILESTONE open' 300 "$W/low.out"; then
	wh_post /admin/prekeys "{\"phone\":\"$phone\",\"device\":1,\"keep\":2}" \
	    "$W/low.json" > /dev/null
fi
wh_baileys_wait
n=$(curl -s "$WASIM_ADMIN_URL/admin/accounts/$phone/devices" |
    sed -n 's/.*"id":1,[^}]*"prekeys":\([0-9]*\).*/\1/p')
if grep -q '"prekeys":2' "$W/low.json" && [ "${n:-0}" -ge 5 ] &&
    grep -q 'prekeys low (2): notifying' "$W/b/wasim.log"; then
	pass wasim_prekey_low_refill
else
	fail wasim_prekey_low_refill "prekeys now ${n:-?}"
fi

# Injected stream errors as Baileys classifies them (wa-protocol.md §4.5).
stream_err() {	# stream_err NAME BODY-EXTRA WANT-CODE
	wh_baileys "$W/$1.out" --auth "$W/alice1.auth" --timeout-ms 30000 --expect-close
	if wh_wait_line '^MILESTONE open' 300 "$W/$1.out"; then
		wh_post /admin/stream-error "{\"phone\":\"$phone\",\"device\":1,$2}" \
		    "$W/$1.json" > /dev/null
	fi
	wh_baileys_wait
	if grep -q "^MILESTONE closed $3\$" "$W/$1.out" && grep -q '"sent":1' "$W/$1.json"; then
		pass "$1"
	else
		fail "$1" "$(grep closed "$W/$1.out")"
	fi
}
stream_err wasim_stream_error_replaced '"conflict":"replaced"' 440
stream_err wasim_stream_error_503 '"code":"503"' 503
# 515 is "restart": Baileys' app (our driver) reconnects and is open again.
wh_baileys "$W/r515.out" --auth "$W/alice1.auth" --timeout-ms 30000 --stay-ms 3000
if wh_wait_line '^MILESTONE open' 300 "$W/r515.out"; then
	wh_post /admin/stream-error "{\"phone\":\"$phone\",\"code\":\"515\"}" \
	    "$W/r515.json" > /dev/null
fi
wh_baileys_wait
if grep -q '^MILESTONE restart 515' "$W/r515.out" &&
    [ "$(grep -c '^MILESTONE open' "$W/r515.out")" -ge 2 ]; then
	pass wasim_stream_error_515
else
	fail wasim_stream_error_515 "$(tr '\n' ' ' < "$W/r515.out")"
fi

# A second login of the same device replaces the first connection.
cp -r "$W/alice1.auth" "$W/alice1b.auth"
wh_baileys "$W/first.out" --auth "$W/alice1.auth" --timeout-ms 30000 --expect-close
first=$wh_dpid
wh_wait_line '^MILESTONE open' 300 "$W/first.out"
node "$WH_PEER/pair.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
    --auth "$W/alice1b.auth" --timeout-ms 30000 > "$W/second.out" 2>&1
rc=$?
wh_baileys_wait
if [ $rc -eq 0 ] && grep -q '^MILESTONE open' "$W/second.out" &&
    grep -q '^MILESTONE closed 440$' "$W/first.out"; then
	pass wasim_second_login_replaces
else
	fail wasim_second_login_replaces "$(grep closed "$W/first.out")"
fi
wh_stop || exits_ok=0

# --- Ref windows (short timings) ---------------------------------------------------
# Ref 1 is valid for 300 ms (+1 s grace), then 5 more refs of 200 ms; the
# registration is closed 5 s after the last one.
wh_start "$W/c" --qr-first-ms 300 --qr-next-ms 200 || { fail wasim_start_c; wh_finish; }
wh_baileys "$W/exp.out" --auth "$W/exp.auth" --timeout-ms 30000 --expect-close
if wh_wait_line '^QR ' 300 "$W/exp.out"; then
	sleep 2
	code=$(wh_post /admin/mock-phone/scan-qr \
	    "$(sed -n 's/^QR //p' "$W/exp.out" | head -1)" "$W/exp.json")
	if [ "$code" = 404 ] && grep -q 'expired' "$W/exp.json"; then
		pass wasim_ref_expired
	else
		fail wasim_ref_expired "HTTP $code $(cat "$W/exp.json")"
	fi
else
	fail wasim_ref_expired "no QR"
fi
wh_baileys_wait
if grep -q '^MILESTONE closed' "$W/exp.out" && ! grep -q '^MILESTONE open' "$W/exp.out" &&
    grep -q 'no QR scanned before the refs expired' "$W/c/wasim.log"; then
	pass wasim_pairing_timeout_closes
else
	fail wasim_pairing_timeout_closes "$(tail -1 "$W/exp.out")"
fi
wh_stop || exits_ok=0

if [ $exits_ok -eq 1 ] && wh_logs_clean; then
	pass wasim_clean_exits
else
	fail wasim_clean_exits
fi
wh_finish
