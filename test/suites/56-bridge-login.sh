#!/bin/sh
# The bridge's network side (bridge/net.h on bridge/net_wa.c) against wasim:
# a QR login flow (QR text and its PNG, scanned by wasim's mock phone) and a
# pairing-code flow store user_login rows as mautrix-whatsapp does (id =
# phone digits, remote_name +digits, metadata.wa_device_id); a new process
# reconnects every stored login; logout unlinks the device at the server
# and deletes the row; a cancelled flow stops cleanly; a bad number is
# refused before connecting.  Drives $BUILD/san/tools/br_net_drive; then
# test/bridge/login-e2e.sh does it from the management room of the real
# ponton on Synapse.
#
# Ports: wasim kernel-picked; login-e2e.sh uses 18508-18509 (H4c range).
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP" || exit 2
WASIM=$BUILD/san/wasim
DRIVE=$BUILD/san/tools/br_net_drive
T=$(mktemp -d /tmp/ponton-56.XXXXXX)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
PIDS=""
status=0

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	i=0
	while [ $i -lt 50 ]; do
		alive=0
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; status=1; shift; for f in "$@"; do
	[ -f "$f" ] && { echo "--- $f"; tail -n 25 "$f"; }; done; }

wait_line() {	# FILE REGEX SECONDS
	i=0
	while [ $i -lt $(( $3 * 10 )) ]; do
		grep -q -E "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

wait_exit() {	# PID SECONDS; status in $rc
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(( $2 * 10 )) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		rc=124
		kill "$1" 2>/dev/null
		return 1
	fi
	wait "$1"
	rc=$?
	return 0
}

admin() {	# PATH BODY
	curl -s -S -m 10 -X POST --data-binary "$2" "$WASIM_ADMIN_URL$1"
}
admin_get() {
	curl -s -S -m 10 "$WASIM_ADMIN_URL$1"
}

drive() {	# NAME ARGS...: in the background, output in $T/NAME.out
	name=$1
	shift
	"$DRIVE" --db "$T/bridge.db" --url "$WASIM_WS_URL" \
	    --root-file "$T/sim.root" "$@" > "$T/$name.out" 2> "$T/$name.err" &
	DPID=$!
	PIDS="$PIDS $DPID"
}

sql() {
	python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print("|".join("" if v is None else str(v) for v in r)) for r in c.execute(sys.argv[2])]' "$T/bridge.db" "$1"
}

for b in "$WASIM" "$DRIVE"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: bridge56: $b is missing (make test-bins)"
		exit 1
	fi
done

"$WASIM" --port 0 --admin-port 0 --port-file "$T/sim.ports" \
    --root-pub-file "$T/sim.root" --state-dir "$T/sim.state" \
    --qr-first-ms 20000 --qr-next-ms 20000 --offline-delay-ms 100 \
    >> "$T/sim.log" 2>&1 &
PIDS="$PIDS $!"
if ! wait_line "$T/sim.ports" WASIM_PID 15; then
	fail bridge56_wasim_starts "$T/sim.log"
	exit 1
fi
. "$T/sim.ports"

# 1. QR flow: the QR text comes with a PNG; the mock phone scans the text;
# the flow succeeds with login ID = digits, remote name +digits.
drive qr --timeout 40 qr
if wait_line "$T/qr.out" '^QR https://wa\.me/settings/linked_devices#' 15; then
	qr=$(grep '^QR ' "$T/qr.out" | head -1 | cut -d' ' -f2-)
	admin '/admin/mock-phone/scan-qr?phone=33655500001' "$qr" > "$T/scan.json"
	if wait_exit $DPID 30 && [ $rc -eq 0 ] &&
	    grep -q '^PNG [0-9]* [0-9]*$' "$T/qr.out" &&
	    grep -q '^SUCCESS 33655500001 +33655500001 @alice:localhost$' "$T/qr.out"; then
		pass bridge56_login_qr_succeeds
	else
		fail bridge56_login_qr_succeeds "$T/qr.out" "$T/qr.err" "$T/scan.json"
	fi
else
	fail bridge56_login_qr_succeeds "$T/qr.out" "$T/qr.err"
fi
row=$(sql "SELECT id, user_mxid, remote_name, json_extract(metadata, '\$.wa_device_id') FROM user_login")
dev=$(sql "SELECT jid FROM whatsmeow_device")
if echo "$row" | grep -q '^33655500001|@alice:localhost|+33655500001|[1-9][0-9]*$' &&
    [ "$dev" = "33655500001:${row##*|}@s.whatsapp.net" ] &&
    [ "$(sql "SELECT mxid FROM \"user\"")" = "@alice:localhost" ]; then
	pass bridge56_login_row_as_upstream
else
	echo "row=$row dev=$dev"
	fail bridge56_login_row_as_upstream "$T/qr.out"
fi

# 2. Phone flow, for the same Matrix user: a second login, an 8-character
# code, a second device; the first login's device is not reused.
drive phone --timeout 40 phone "+33 6 55 50-00-02"
if wait_line "$T/phone.out" '^CODE [1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$' 15; then
	code=$(grep '^CODE ' "$T/phone.out" | head -1 | cut -d' ' -f2)
	admin /admin/mock-phone/pair-code \
	    "{\"phone\": \"33655500002\", \"code\": \"$code\"}" > "$T/code.json"
	if wait_exit $DPID 30 && [ $rc -eq 0 ] &&
	    grep -q '^SUCCESS 33655500002 +33655500002 ' "$T/phone.out" &&
	    ! grep -q '^QR ' "$T/phone.out" &&
	    [ "$(sql 'SELECT count(*) FROM user_login')" = 2 ] &&
	    [ "$(sql 'SELECT count(*) FROM whatsmeow_device')" = 2 ]; then
		pass bridge56_login_phone_second_login
	else
		fail bridge56_login_phone_second_login "$T/phone.out" "$T/phone.err" "$T/code.json"
	fi
else
	fail bridge56_login_phone_second_login "$T/phone.out" "$T/phone.err"
fi

# 3. Numbers that are not international are refused before connecting.
"$DRIVE" --db "$T/bridge.db" --url "$WASIM_WS_URL" --root-file "$T/sim.root" \
    --timeout 5 phone "0612345678" > "$T/bad.out" 2>&1
rc1=$?
"$DRIVE" --db "$T/bridge.db" --url "$WASIM_WS_URL" --root-file "$T/sim.root" \
    --timeout 5 phone "+336" > "$T/short.out" 2>&1
rc2=$?
if [ $rc1 -eq 1 ] && grep -q '^FAILURE -574 Phone number must be in international format' "$T/bad.out" &&
    [ $rc2 -eq 1 ] && grep -q '^FAILURE -573 Phone number too short' "$T/short.out"; then
	pass bridge56_phone_number_checked
else
	fail bridge56_phone_number_checked "$T/bad.out" "$T/short.out"
fi

# 4. A new process reconnects every stored login (both CONNECTED).
drive run --timeout 30 run
if wait_exit $DPID 30 && [ $rc -eq 0 ] &&
    grep -q '^LOGINS @alice:localhost 33655500001,33655500002$' "$T/run.out" &&
    grep -q '^STATE 33655500001 CONNECTED -$' "$T/run.out" &&
    grep -q '^STATE 33655500002 CONNECTED -$' "$T/run.out"; then
	pass bridge56_restart_reconnects_stored_logins
else
	fail bridge56_restart_reconnects_stored_logins "$T/run.out" "$T/run.err"
fi

# 5. Logout: the device is unlinked at the server, the session and the
# row are gone, the other login stays.  A message sent just before (held
# by wasim: no server ack) gets its one completion, a failure with a
# reason, when the login goes away (the core's portal queue must not stay
# parked on it).
admin /admin/message-error '{"phone": "33655500002", "code": "hold"}' > "$T/hold.json"
drive logout --timeout 30 --logout 33655500002 \
    --send-first 33655500001@s.whatsapp.net run
if wait_exit $DPID 30 && [ $rc -eq 0 ] && grep -q '^GONE 33655500002$' "$T/logout.out" &&
    [ "$(sql 'SELECT id FROM user_login')" = 33655500001 ] &&
    [ "$(sql "SELECT count(*) FROM whatsmeow_device WHERE jid LIKE '33655500002%'")" = 0 ] &&
    admin_get /admin/accounts/33655500002/devices > "$T/devs.json" &&
    grep -q '"removed": *true\|"removed":true' "$T/devs.json"; then
	pass bridge56_logout_unlinks_and_deletes
else
	fail bridge56_logout_unlinks_and_deletes "$T/logout.out" "$T/logout.err" "$T/devs.json"
fi
if [ "$(grep -c '^SENT ' "$T/logout.out")" = 1 ] &&
    grep -q '^SENT -570 the WhatsApp login went away before the server confirmed the message$' "$T/logout.out"; then
	pass bridge56_logout_completes_send_in_flight
else
	fail bridge56_logout_completes_send_in_flight "$T/logout.out" "$T/hold.json"
fi

# 6. Logging the same number in again replaces the login's device: one
# row, one session, the new device number.
old_dev=$(sql "SELECT json_extract(metadata, '\$.wa_device_id') FROM user_login WHERE id='33655500001'")
drive relogin --timeout 40 qr
if wait_line "$T/relogin.out" '^QR ' 15; then
	qr=$(grep '^QR ' "$T/relogin.out" | head -1 | cut -d' ' -f2-)
	admin '/admin/mock-phone/scan-qr?phone=33655500001' "$qr" > "$T/rescan.json"
	wait_exit $DPID 30
	new_dev=$(sql "SELECT json_extract(metadata, '\$.wa_device_id') FROM user_login WHERE id='33655500001'")
	devs=$(sql "SELECT jid FROM whatsmeow_device WHERE jid LIKE '33655500001:%'")
	if [ $rc -eq 0 ] && grep -q '^SUCCESS 33655500001 ' "$T/relogin.out" &&
	    [ -n "$old_dev" ] && [ "$new_dev" != "$old_dev" ] &&
	    [ "$devs" = "33655500001:$new_dev@s.whatsapp.net" ] &&
	    [ "$(sql 'SELECT count(*) FROM user_login')" = 1 ]; then
		pass bridge56_relogin_replaces_device
	else
		echo "old=$old_dev new=$new_dev devs=$devs"
		fail bridge56_relogin_replaces_device "$T/relogin.out" "$T/relogin.err"
	fi
else
	fail bridge56_relogin_replaces_device "$T/relogin.out" "$T/relogin.err"
fi

# 7. Nobody scans: the codes run out and the flow fails with a timeout
# (login_flow answers upstream's "Entering code or scanning QR timed out").
drive qrto --timeout 30 --qr-first-ms 300 --qr-next-ms 100 qr
if wait_exit $DPID 30 && [ $rc -eq 1 ] &&
    [ "$(grep -c '^QR ' "$T/qrto.out")" -ge 2 ] &&
    grep -q '^FAILURE -575 ' "$T/qrto.out" &&
    [ "$(sql 'SELECT count(*) FROM user_login')" = 1 ]; then
	pass bridge56_qr_timeout_fails_flow
else
	fail bridge56_qr_timeout_fails_flow "$T/qrto.out" "$T/qrto.err"
fi

# 8. A flow cancelled after its first QR stops without a callback, a row
# or a leak (ASan).
drive cancel --timeout 20 cancel-after-qr
if wait_exit $DPID 20 && [ $rc -eq 0 ] && grep -q '^CANCELLED$' "$T/cancel.out" &&
    ! grep -q '^SUCCESS\|^FAILURE' "$T/cancel.out" &&
    [ "$(sql 'SELECT count(*) FROM user_login')" = 1 ]; then
	pass bridge56_flow_cancel
else
	fail bridge56_flow_cancel "$T/cancel.out" "$T/cancel.err"
fi

# 9. The same from the management room of a real ponton on Synapse.
echo "# login from the management room (test/bridge/login-e2e.sh)"
sh "$TOP/test/bridge/login-e2e.sh" || status=1

exit $status
