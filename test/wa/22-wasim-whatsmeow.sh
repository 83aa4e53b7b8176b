#!/bin/sh
# wasim against the pinned whatsmeow (test/peers/whatsmeow, a second client
# implementation beside Baileys): QR pairing, login with the saved session,
# pairing code, the unknown-iq error, a message accepted by the server, a
# logout pushed by the server, and the certificate chain checked by a strict
# verifier (a wrong trust root must fail the handshake).
#
#   whatsmeow_driver_built            build.sh built (or found) the driver
#   whatsmeow_refuses_non_loopback    the driver will not dial anything but
#                                     loopback
#   whatsmeow_wrong_root_refused      with a trust root that is not wasim's,
#                                     whatsmeow refuses the server's
#                                     certificate chain (and never logs in)
#   whatsmeow_wrong_leaf_key_refused  a wasim started with --cert-fault
#                                     leaf-key (leaf certificate not for its
#                                     Noise static key) is refused too
#   whatsmeow_qr_received             whatsmeow showed a QR from wasim's refs
#   wasim_scan_qr_whatsmeow           POST /admin/mock-phone/scan-qr took it
#   whatsmeow_paired                  pair-success verified: PN and LID device
#                                     JIDs as wasim assigned them
#   whatsmeow_connected               after the 515 restart whatsmeow logged in
#   whatsmeow_unknown_iq_501          an iq wasim does not know comes back to
#                                     whatsmeow as IQError 501
#                                     feature-not-implemented
#   whatsmeow_known_iq_result         ... while w:p ping gets a result
#   wasim_device_listed_whatsmeow     key index 1, whatsmeow's 812 prekeys
#   whatsmeow_reconnects_with_saved_session   second run: no QR, logged in
#   whatsmeow_send_acked              a text to the account's own phone
#                                     number: LID lookup (the driver runs
#                                     LID-migrated, see main.go), usync,
#                                     prekey bundle, Signal session, server ack
#   whatsmeow_pair_code               pairing code through
#                                     /admin/mock-phone/pair-code
#   whatsmeow_message_offline         whatsmeow A sends to whatsmeow B while
#                                     B is offline; B logs in, gets it from
#                                     wasim's queue and decrypts it (pkmsg)
#   whatsmeow_reply_decrypted         B's answer reaches A the same way
#   whatsmeow_restart_515_reconnects  an injected <stream:error code=515/>:
#                                     whatsmeow reconnects and logs in again
#   whatsmeow_stream_replaced         <conflict type=replaced/>: whatsmeow
#                                     reports StreamReplaced and stays off
#   whatsmeow_logged_out_401          injected 401 device_removed reaches
#                                     whatsmeow as LoggedOut
#   whatsmeow_removed_device_refused  its next login is refused (401); run
#                                     from a copy of the store taken before
#                                     the logout, because whatsmeow deletes
#                                     its device on LoggedOut (racing its exit)
#   wasim_clean_exit_whatsmeow        SIGTERM: exit 0, no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init wasim-whatsmeow
has() { grep -q "$1" "$2"; }
# wait_count RE N FILE: wait (up to 30 s) until FILE has N lines matching RE.
wait_count() {
	wc_i=0
	while [ "$(grep -c "$1" "$3")" -lt "$2" ] && [ $wc_i -lt 300 ]; do
		sleep 0.1
		wc_i=$((wc_i + 1))
	done
	[ "$(grep -c "$1" "$3")" -eq "$2" ]
}

if WM=$(sh "$TOP/test/peers/whatsmeow/build.sh") && [ -x "$WM" ]; then
	pass whatsmeow_driver_built
else
	fail whatsmeow_driver_built
	wh_finish
fi

# wm OUT STORE IN CMD...: run the driver in the background against the
# running wasim, its command input read from IN (a file or a fifo; the
# redirection must be on the background command itself, or sh gives it
# /dev/null).  Its pid goes in the harness's wh_dpid so the harness's exit
# trap stops it as it stops the Baileys driver.
wm() {
	wm_out=$1
	wm_store=$2
	wm_in=$3
	shift 3
	"$WM" -url "$WASIM_WS_URL" -root-file "$W/root" -store "$wm_store" \
	    -timeout 60s "$@" < "$wm_in" > "$wm_out" 2> "$wm_out.err" &
	wh_dpid=$!
}
wm_wait() {
	wait "$wh_dpid"
	wm_rc=$?
	wh_dpid=""
	return $wm_rc
}

"$WM" -url ws://192.0.2.1:80/ws/chat -root-file /dev/null -store "$W/x.db" \
    connect > "$W/nolo.out" 2>&1 < /dev/null
rc=$?
if [ $rc -eq 1 ] && has '^ERROR url: only loopback' "$W/nolo.out"; then
	pass whatsmeow_refuses_non_loopback
else
	fail whatsmeow_refuses_non_loopback "exit $rc $(head -1 "$W/nolo.out")"
fi

# --- Leaf certificate not for the static key ----------------------------------
# A wasim whose leaf certificate is for another key than its Noise static key
# (signatures and serials all valid), started and stopped before the main one
# (the harness tracks one wasim at a time).
if wh_start "$W/leaf" --root-pub-file "$W/leaf/root" --cert-fault leaf-key; then
	"$WM" -url "$WASIM_WS_URL" -root-file "$W/leaf/root" -store "$W/leaf.db" \
	    -timeout 20s pair-qr > "$W/leaf.out" 2> "$W/leaf.err" < /dev/null
	rc=$?
	wh_stop
	if [ $rc -eq 1 ] && has "^ERROR connect: .*cert key doesn't match decrypted static" "$W/leaf.out" &&
	    ! has '^QR ' "$W/leaf.out"; then
		pass whatsmeow_wrong_leaf_key_refused
	else
		fail whatsmeow_wrong_leaf_key_refused "exit $rc: $(head -2 "$W/leaf.out")"
	fi
else
	fail whatsmeow_wrong_leaf_key_refused "wasim --cert-fault leaf-key did not start"
fi

if wh_start "$W" --root-pub-file "$W/root" --offline-delay-ms 500; then
	:
else
	fail wasim_started "no port file or no health"
	wh_finish
fi

# --- Wrong trust root ---------------------------------------------------------------
# wasim's root with its first byte changed: the same length and format, so only
# the signature check can refuse it.
first=$(cut -c1-2 "$W/root")
other=$(printf '%02x' $(( (0x$first + 1) % 256 )))
echo "$other$(cut -c3- "$W/root")" > "$W/wrongroot"
"$WM" -url "$WASIM_WS_URL" -root-file "$W/wrongroot" -store "$W/wrong.db" \
    -timeout 20s pair-qr > "$W/wrong.out" 2> "$W/wrong.err" < /dev/null
rc=$?
if [ $rc -eq 1 ] && ! cmp -s "$W/root" "$W/wrongroot" &&
    has '^ERROR connect: noise handshake failed: failed to verify server cert: failed to verify intermediate cert signature' "$W/wrong.out" &&
    ! has '^QR \|^CONNECTED' "$W/wrong.out"; then
	pass whatsmeow_wrong_root_refused
else
	fail whatsmeow_wrong_root_refused "exit $rc: $(head -2 "$W/wrong.out")"
fi

# --- QR pairing ------------------------------------------------------------------------
printf 'iq w:ponton:unknown get thing\niq w:p get ping\nquit\n' > "$W/cmds1"
wm "$W/run1.out" "$W/s1.db" "$W/cmds1" pair-qr
if wh_wait_line '^QR 2@' 300 "$W/run1.out"; then
	pass whatsmeow_qr_received
	qr=$(sed -n 's/^QR //p' "$W/run1.out" | head -1)
	code=$(wh_post /admin/mock-phone/scan-qr "$qr" "$W/scan.json")
	if [ "$code" = 200 ] && has '"device":1' "$W/scan.json"; then
		pass wasim_scan_qr_whatsmeow
	else
		fail wasim_scan_qr_whatsmeow "HTTP $code $(cat "$W/scan.json")"
	fi
else
	fail whatsmeow_qr_received "$(head -3 "$W/run1.out")"
fi
wm_wait
rc=$?
phone=$(sed -n 's/.*"phone":"\([0-9]*\)".*/\1/p' "$W/scan.json" 2>/dev/null)
lid=$(sed -n 's/.*"lid":"\([0-9]*\)".*/\1/p' "$W/scan.json" 2>/dev/null)
if [ -n "$phone" ] && [ -n "$lid" ] &&
    has "^PAIRED $phone:1@s.whatsapp.net $lid:1@lid android$" "$W/run1.out"; then
	pass whatsmeow_paired
else
	fail whatsmeow_paired "$(grep -m1 '^PAIRED\|^ERROR' "$W/run1.out")"
fi
if [ $rc -eq 0 ] && has "^CONNECTED $phone:1@s.whatsapp.net$" "$W/run1.out" &&
    has '^BYE$' "$W/run1.out"; then
	pass whatsmeow_connected
else
	fail whatsmeow_connected "exit $rc: $(grep -m1 '^ERROR' "$W/run1.out")"
fi
if has '^RESULT iq error 501 feature-not-implemented$' "$W/run1.out"; then
	pass whatsmeow_unknown_iq_501
else
	fail whatsmeow_unknown_iq_501 "$(grep -m1 '^RESULT iq' "$W/run1.out")"
fi
if has '^RESULT iq ok' "$W/run1.out"; then
	pass whatsmeow_known_iq_result
else
	fail whatsmeow_known_iq_result "$(grep '^RESULT iq' "$W/run1.out" | tail -1)"
fi
curl -s "$WASIM_ADMIN_URL/admin/accounts/$phone/devices" > "$W/devices.json"
if has '"id":1,' "$W/devices.json" && has '"key_index":1,' "$W/devices.json" &&
    has '"prekeys":812,' "$W/devices.json" && has '"signed_prekey":true' "$W/devices.json"; then
	pass wasim_device_listed_whatsmeow
else
	fail wasim_device_listed_whatsmeow "$(cat "$W/devices.json")"
fi

# --- Saved session -------------------------------------------------------------------
printf 'send %s@s.whatsapp.net hello from whatsmeow\nquit\n' "$phone" > "$W/cmds2"
wm "$W/run2.out" "$W/s1.db" "$W/cmds2" connect
wm_wait
rc=$?
if [ $rc -eq 0 ] && ! has '^QR \|^PAIRED' "$W/run2.out" &&
    has "^CONNECTED $phone:1@s.whatsapp.net$" "$W/run2.out"; then
	pass whatsmeow_reconnects_with_saved_session
else
	fail whatsmeow_reconnects_with_saved_session "exit $rc: $(grep -m1 '^ERROR' "$W/run2.out")"
fi
if has '^RESULT send [0-9A-F]\{10,\}$' "$W/run2.out" &&
    grep -q "recv <message .*to=\"$lid@lid\"" "$W/wasim.log"; then
	pass whatsmeow_send_acked
else
	fail whatsmeow_send_acked "$(grep -m1 '^RESULT send' "$W/run2.out")"
fi

# --- Pairing code ----------------------------------------------------------------------
pcphone=15557654322
wm "$W/run3.out" "$W/s3.db" /dev/null pair-code "$pcphone"
if wh_wait_line '^CODE ' 300 "$W/run3.out"; then
	pc=$(sed -n 's/^CODE //p' "$W/run3.out" | head -1)
	code=$(wh_post /admin/mock-phone/pair-code \
	    "{\"phone\":\"$pcphone\",\"code\":\"$pc\"}" "$W/pc.json")
	[ "$code" = 200 ] || echo "# pair-code: HTTP $code $(cat "$W/pc.json")"
fi
wm_wait
rc=$?
if [ $rc -eq 0 ] && has "^PAIRED $pcphone:1@s.whatsapp.net [0-9]*:1@lid" "$W/run3.out" &&
    has "^CONNECTED $pcphone:1@s.whatsapp.net$" "$W/run3.out"; then
	pass whatsmeow_pair_code
else
	fail whatsmeow_pair_code "exit $rc: $(grep -m1 '^ERROR' "$W/run3.out")"
fi

# --- whatsmeow to whatsmeow, through wasim's offline queue ---------------------------
printf 'send %s@s.whatsapp.net hello B from A\nquit\n' "$pcphone" > "$W/cmds6"
wm "$W/run6.out" "$W/s1.db" "$W/cmds6" connect
wm_wait
id6=$(sed -n 's/^RESULT send \([0-9A-F]*\)$/\1/p' "$W/run6.out")
printf 'wait-message 30\nsend %s@s.whatsapp.net hello A from B\nquit\n' "$phone" > "$W/cmds7"
wm "$W/run7.out" "$W/s3.db" "$W/cmds7" connect
wm_wait
rc=$?
if [ $rc -eq 0 ] && [ -n "$id6" ] &&
    has "^RESULT wait-message $lid:1@lid $id6 hello B from A$" "$W/run7.out"; then
	pass whatsmeow_message_offline
else
	fail whatsmeow_message_offline "exit $rc: $(grep -m1 '^RESULT wait\|^ERROR' "$W/run7.out")"
fi
id7=$(sed -n 's/^RESULT send \([0-9A-F]*\)$/\1/p' "$W/run7.out")
printf 'wait-message 30\nquit\n' > "$W/cmds8"
wm "$W/run8.out" "$W/s1.db" "$W/cmds8" connect
wm_wait
rc=$?
if [ $rc -eq 0 ] && [ -n "$id7" ] &&
    has "^RESULT wait-message [0-9]*:1@lid $id7 hello A from B$" "$W/run8.out"; then
	pass whatsmeow_reply_decrypted
else
	fail whatsmeow_reply_decrypted "exit $rc: $(grep -m1 '^RESULT wait\|^ERROR' "$W/run8.out")"
fi

# --- Stream errors: restart, then replaced ---------------------------------------------
mkfifo "$W/in9"
wm "$W/run9.out" "$W/s1.db" "$W/in9" connect
exec 3> "$W/in9"
if wh_wait_line '^CONNECTED' 300 "$W/run9.out"; then
	wh_post /admin/stream-error "{\"phone\":\"$phone\",\"code\":\"515\"}" \
	    "$W/se515.json" > /dev/null
	if wait_count '^CONNECTED' 2 "$W/run9.out" && has '"sent":1' "$W/se515.json"; then
		pass whatsmeow_restart_515_reconnects
	else
		fail whatsmeow_restart_515_reconnects "$(tr '\n' ' ' < "$W/run9.out")"
	fi
	wh_post /admin/stream-error "{\"phone\":\"$phone\",\"conflict\":\"replaced\"}" \
	    "$W/serep.json" > /dev/null
else
	fail whatsmeow_restart_515_reconnects "not connected"
fi
wm_wait
rc=$?
exec 3>&-
if [ $rc -eq 1 ] && has '^STREAM_REPLACED$' "$W/run9.out" &&
    [ "$(grep -c '^CONNECTED' "$W/run9.out")" -eq 2 ]; then
	pass whatsmeow_stream_replaced
else
	fail whatsmeow_stream_replaced "exit $rc: $(tail -2 "$W/run9.out" | tr '\n' ' ')"
fi

# --- Logout pushed by the server --------------------------------------------------------
# stdin stays open (a fifo) so the driver stays connected until the stream error.
# whatsmeow deletes its device from the store on LoggedOut, racing the driver's
# exit; the refusal is checked with the credentials as they were before.
sqlite3 "$W/s1.db" ".backup '$W/s1-removed.db'"
mkfifo "$W/in4"
wm "$W/run4.out" "$W/s1.db" "$W/in4" connect
exec 3> "$W/in4"
if wh_wait_line '^CONNECTED' 300 "$W/run4.out"; then
	wh_post /admin/stream-error \
	    "{\"phone\":\"$phone\",\"code\":\"401\",\"conflict\":\"device_removed\"}" \
	    "$W/se.json" > /dev/null
fi
wm_wait
rc=$?
exec 3>&-
if [ $rc -eq 1 ] && has '"sent":1' "$W/se.json" && has '^LOGGED_OUT ' "$W/run4.out"; then
	pass whatsmeow_logged_out_401
else
	fail whatsmeow_logged_out_401 "exit $rc: $(tail -2 "$W/run4.out" | tr '\n' ' ')"
fi
wm "$W/run5.out" "$W/s1-removed.db" /dev/null connect
wm_wait
rc=$?
if [ $rc -ne 0 ] && ! has '^CONNECTED' "$W/run5.out" &&
    has '^LOGGED_OUT \|^CONNECT_FAILURE 401' "$W/run5.out"; then
	pass whatsmeow_removed_device_refused
else
	fail whatsmeow_removed_device_refused "exit $rc: $(tail -2 "$W/run5.out" | tr '\n' ' ')"
fi

# --- Shutdown ---------------------------------------------------------------------------
wh_stop
rc=$?
if [ $rc -eq 0 ] && wh_logs_clean; then
	pass wasim_clean_exit_whatsmeow
else
	fail wasim_clean_exit_whatsmeow "exit $rc"
fi
if [ $status -ne 0 ]; then
	for f in "$W"/run*.out.err; do
		echo "# $f (tail):"
		tail -5 "$f" | sed 's/^/#   /'
	done
fi
wh_finish
