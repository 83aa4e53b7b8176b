#!/bin/sh
# App state sync through wasim (test/wasim/appstate.c): the server stores
# the encrypted patches clients upload, per account and collection, serves
# them back, and tells the account's other devices with server_sync.
# whatsmeow (test/peers/whatsmeow/appstate.go) plays the phone: device A
# makes the app state key, shares it with another device of the same
# account and uploads contact patches with its own encoder.
#
# (a) two whatsmeow devices, A and B, on one account:
#   wa65_pair_two_devices        A and B pair with one account (devices 1, 2)
#   wa65_upload_before_key       A's first contact patch is stored as v1;
#                                B is told (server_sync) but has no key yet
#   wa65_key_share_resumes       A shares the key with B (peer message,
#                                pkmsg): B fetches from 0 and reports the
#                                contact with A's names (full sync)
#   wa65_rename_notified         A's second patch (rename) reaches B through
#                                server_sync: CONTACT with the new names
#   wa65_remove_verified         A's REMOVE (encoded by the driver, verified
#                                by A's whatsmeow on the fetch back) is v3,
#                                and B's whatsmeow applies it too (v3)
#   wa65_stale_upload_409        an upload at a stale version gets the
#                                collection error 409 with the patches the
#                                uploader lacks; a malformed patch 400; an
#                                unknown collection 400
#   wa65_paged_fetch             with one patch per answer (POST
#                                /admin/appstate page=1) B's full fetch
#                                follows has_more_patches to v3
#   wa65_admin_versions          GET /admin/appstate lists v3 for the contacts
#
# (b) ponton's waweb/appstate.c (test/tools/wa_appstate) as device P:
#   wa65_ponton_pair             P pairs with the same account (device 3)
#   wa65_ponton_waits_for_key    A's contact patch v4 reaches P as
#                                server_sync; without a key P reports the
#                                error and nothing else
#   wa65_ponton_key_share_fetch  A shares the key: P takes it (KEYSHARE),
#                                fetches from 0 page by page (SET, SET,
#                                REMOVE, SET: all MACs and the LTHash
#                                checked) and reports exactly the three SETs
#   wa65_ponton_rename_notified  A's rename (v5) reaches P by server_sync:
#                                the new names, not a full sync
#   wa65_ponton_version_persisted   a new P run fetches from its stored v5:
#                                nothing is reported again
#   wa65_ponton_offline_server_sync  A's next patch (v6) while P is offline:
#                                the server_sync waits in wasim's queue, P's
#                                next run fetches v6 alone (incremental)
#   wa65_persisted_restart       after a wasim restart (--state-dir) the
#                                admin API and B's full fetch both see v6
#   wa65_ponton_full_fetch_after_restart   P's full fetch from wasim's
#                                persisted patches reports all five SETs;
#                                the last names are in whatsmeow_contacts
#   wa65_clean_exit              wasim exits 0, no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init appstate
has() { grep -q "$1" "$2"; }

APP=$TOP/$BUILD/san/tools/wa_appstate
CLIENT=$TOP/$BUILD/san/tools/wa_client
for b in "$APP" "$CLIENT"; do
	[ -x "$b" ] || { fail wa65_tools_built "$b"; wh_finish; }
done
if ! WM=$(sh "$TOP/test/peers/whatsmeow/build.sh") || [ ! -x "$WM" ]; then
	fail wa65_whatsmeow_built
	wh_finish
fi

# Drivers run in the background, reading commands from a fifo held open on
# a file descriptor; their pids are stopped by the exit trap.
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wh_cleanup' EXIT
# wm_start NAME FD STORE CMD...: driver NAME (output $W/NAME.out), input on fd FD.
wm_start() {
	ws_name=$1
	ws_fd=$2
	ws_store=$3
	shift 3
	rm -f "$W/$ws_name.in"
	mkfifo "$W/$ws_name.in"
	"$WM" -url "$WASIM_WS_URL" -root-file "$W/root" -store "$ws_store" \
	    -timeout 60s "$@" < "$W/$ws_name.in" > "$W/$ws_name.out" \
	    2> "$W/$ws_name.err" &
	eval "pid_$ws_name=\$!"
	pids="$pids $!"
	eval "exec $ws_fd>\"\$W/\$ws_name.in\""
}
# wm_cmd FD NAME CMD: send one command, wait (60 s) for its RESULT line;
# the RESULT line (the n-th of that command) is left in $res.
wm_cmd() {
	wc_before=$(grep -c "^RESULT ${3%% *} " "$W/$2.out")
	echo "$3" >&"$1"
	wc_i=0
	while [ "$(grep -c "^RESULT ${3%% *} " "$W/$2.out")" -le "$wc_before" ]; do
		sleep 0.1
		wc_i=$((wc_i + 1))
		[ $wc_i -ge 600 ] && { res="timeout"; return 1; }
	done
	res=$(grep "^RESULT ${3%% *} " "$W/$2.out" | tail -1)
}
# pair NAME FD STORE [PHONE]: QR pairing (with that account's phone).
pair() {
	wm_start "$1" "$2" "$3" pair-qr
	wh_wait_line '^QR 2@' 300 "$W/$1.out" || return 1
	code=$(wh_post "/admin/mock-phone/scan-qr${4:+?phone=$4}" \
	    "$(sed -n 's/^QR //p' "$W/$1.out" | head -1)" "$W/scan-$1.json")
	[ "$code" = 200 ] || return 1
	wh_wait_line '^CONNECTED ' 600 "$W/$1.out"
}

wh_start "$W" --state-dir "$W/state" || { fail wa65_wasim_starts; wh_finish; }
echo "$WASIM_ROOT_PUB" > "$W/root"

# --- (a) two whatsmeow devices on one account ---------------------------------
phone=""
if pair A 3 "$W/a.db"; then
	phone=$(sed -n 's/.*"phone":"\([0-9]*\)".*/\1/p' "$W/scan-A.json")
fi
if [ -n "$phone" ] && pair B 4 "$W/b.db" "$phone" &&
    has "^CONNECTED $phone:2@s.whatsapp.net$" "$W/B.out" &&
    has "^CONNECTED $phone:1@s.whatsapp.net$" "$W/A.out"; then
	pass wa65_pair_two_devices
else
	fail wa65_pair_two_devices "$(grep -h '^ERROR' "$W/A.out" "$W/B.out" 2>/dev/null | head -2)"
	wh_finish
fi
contact=15557654321@s.whatsapp.net
cl=critical_unblock_low

# A uploads before B has a key: v1 stored, B is notified and fails to decode.
wm_cmd 3 A "appstate-contact $contact Alice Alice Liddell"
a1=$res
sleep 1
if [ "$a1" = "RESULT appstate-contact 1" ] &&
    has "server_sync" "$W/wasim.log" && ! has '^CONTACT ' "$W/B.out"; then
	pass wa65_upload_before_key
else
	fail wa65_upload_before_key "$a1"
fi

# The key share: B resumes and fetches v1 from scratch.
wm_cmd 3 A "appstate-key-share $phone:2@s.whatsapp.net"
share=$res
if echo "$share" | grep -q '^RESULT appstate-key-share [0-9a-f]\{12\} ' &&
    wh_wait_line "^CONTACT $contact first=\"Alice\" full=\"Alice Liddell\" fullsync=true$" 300 "$W/B.out" &&
    wh_wait_line "^APPSTATE_SYNCED $cl$" 100 "$W/B.out"; then
	pass wa65_key_share_resumes
else
	fail wa65_key_share_resumes "$share / $(grep '^CONTACT\|^APPSTATE' "$W/B.out" | head -3)"
fi

# A renames: B learns it from the server_sync notification.
wm_cmd 3 A "appstate-contact $contact Alicia Alicia Pleasance Liddell"
a2=$res
if [ "$a2" = "RESULT appstate-contact 2" ] &&
    wh_wait_line "^CONTACT $contact first=\"Alicia\" full=\"Alicia Pleasance Liddell\" fullsync=false$" 300 "$W/B.out"; then
	pass wa65_rename_notified
else
	fail wa65_rename_notified "$a2 / $(grep '^CONTACT' "$W/B.out" | tail -1)"
fi

# A removes the contact (REMOVE encoded by the driver, verified by whatsmeow
# on both devices).
wm_cmd 3 A "appstate-contact-remove $contact"
a3=$res
bv=""
i=0
while [ $i -lt 30 ]; do
	wm_cmd 4 B "appstate-version $cl"
	bv=$res
	[ "$bv" = "RESULT appstate-version $cl 3" ] && break
	sleep 0.5
	i=$((i + 1))
done
if [ "$a3" = "RESULT appstate-contact-remove 3" ] &&
    [ "$bv" = "RESULT appstate-version $cl 3" ] &&
    ! grep 'Failed to sync app state' "$W/B.err" | grep -vq "didn't find app state key"; then
	pass wa65_remove_verified
else
	fail wa65_remove_verified "$a3 / $bv / $(grep 'Failed to sync app state' "$W/B.err" | tail -1)"
fi

# Conflicts and refusals (raw uploads; the patch bytes are a framed SyncdPatch
# with one empty mutation, which must never be stored).
wm_cmd 4 B "appstate-raw-upload $cl 1 1200"
r409=$res
wm_cmd 4 B "appstate-raw-upload $cl 3 ffffffff"
r400=$res
wm_cmd 4 B "appstate-raw-upload no_such_collection 0 1200"
runk=$res
if [ "$r409" = "RESULT appstate-raw-upload error 409 3 2" ] &&
    [ "$r400" = "RESULT appstate-raw-upload error 400 3 0" ] &&
    [ "$runk" = "RESULT appstate-raw-upload error 400 0 0" ]; then
	pass wa65_stale_upload_409
else
	fail wa65_stale_upload_409 "$r409 / $r400 / $runk"
fi

# Paging: one patch per answer; whatsmeow follows has_more_patches.
code=$(wh_post /admin/appstate '{"page":1}' "$W/page.json")
wm_cmd 4 B "appstate-fetch $cl full"
fetched=$res
if [ "$code" = 200 ] && [ "$fetched" = "RESULT appstate-fetch $cl 3" ] &&
    [ "$(grep -c 'has_more_patches' "$W/wasim.log")" -ge 2 ]; then
	pass wa65_paged_fetch
else
	fail wa65_paged_fetch "HTTP $code $fetched"
fi

curl -s "$WASIM_ADMIN_URL/admin/appstate?phone=$phone" > "$W/as.json"
if has "\"name\":\"$cl\",\"version\":3}" "$W/as.json" &&
    has '"name":"regular_high","version":0}' "$W/as.json"; then
	pass wa65_admin_versions
else
	fail wa65_admin_versions "$(cat "$W/as.json")"
fi

# --- (b) ponton's waweb (test/tools/wa_appstate) as another device ----------
# wasim still answers one patch per fetch (page 1): ponton follows
# has_more_patches too.
bob=15550009999@s.whatsapp.net
"$CLIENT" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --exit-on connected --timeout 40 > "$W/pair-p.out" 2> "$W/pair-p.err" &
cpid=$!
pids="$pids $cpid"
if wh_wait_line '^QR ' 300 "$W/pair-p.out"; then
	wh_post "/admin/mock-phone/scan-qr?phone=$phone" \
	    "$(sed -n 's/^QR //p' "$W/pair-p.out" | head -1)" "$W/scan-p.json" >/dev/null
fi
wait $cpid
prc=$?
pdev=$(sed -n "s/^PAIRED $phone:\([0-9]*\)@s.whatsapp.net .*/\1/p" "$W/pair-p.out" | head -1)
if [ $prc -eq 0 ] && [ -n "$pdev" ] && has '^CONNECTED$' "$W/pair-p.out"; then
	pass wa65_ponton_pair
else
	fail wa65_ponton_pair "rc $prc $(head -3 "$W/pair-p.out")"
	wh_finish
fi
# papp OUT ARGS...: wa_appstate in the background ($ppid).
papp() {
	pa_out=$1
	shift
	"$APP" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
	    "$@" > "$pa_out" 2> "$pa_out.err" &
	ppid=$!
	pids="$pids $ppid"
}
papp "$W/p1.out" --timeout 120 --exit-synced $cl:5
wh_wait_line '^CONNECTED$' 300 "$W/p1.out"
sleep 1
# A new contact while ponton has no key: ponton is told, cannot decode.
wm_cmd 3 A "appstate-contact $bob Bob Bob Builder"
b4=$res
if [ "$b4" = "RESULT appstate-contact 4" ] &&
    wh_wait_line "^APPSTATE-ERROR $cl " 300 "$W/p1.out" &&
    ! has '^CONTACT ' "$W/p1.out"; then
	pass wa65_ponton_waits_for_key
else
	fail wa65_ponton_waits_for_key "$b4 $(grep -m1 "$cl" "$W/p1.out")"
fi
# The key: ponton resumes from 0 (four pages: SET, SET, REMOVE, SET, each
# verified against whatsmeow's MACs and LTHash).
wm_cmd 3 A "appstate-key-share $phone:$pdev@s.whatsapp.net"
printf '%s\n' \
    "CONTACT $contact first=\"Alice\" full=\"Alice Liddell\" fullsync=1" \
    "CONTACT $contact first=\"Alicia\" full=\"Alicia Pleasance Liddell\" fullsync=1" \
    "CONTACT $bob first=\"Bob\" full=\"Bob Builder\" fullsync=1" > "$W/want-p1"
if wh_wait_line "^SYNCED $cl 4$" 300 "$W/p1.out" && has '^KEYSHARE ' "$W/p1.out" &&
    grep '^CONTACT ' "$W/p1.out" | cmp -s - "$W/want-p1"; then
	pass wa65_ponton_key_share_fetch
else
	fail wa65_ponton_key_share_fetch "$(grep '^KEYSHARE\|^CONTACT\|^SYNCED\|^APPSTATE' "$W/p1.out" | tr '\n' '|')"
fi
# A rename reaches ponton through server_sync; the tool exits at v5.
wm_cmd 3 A "appstate-contact $bob Robert Robert Builder"
b5=$res
wait $ppid
prc=$?
if [ "$b5" = "RESULT appstate-contact 5" ] && [ $prc -eq 0 ] &&
    [ "$(grep '^CONTACT ' "$W/p1.out" | tail -1)" = "CONTACT $bob first=\"Robert\" full=\"Robert Builder\" fullsync=0" ] &&
    has "^SYNCED $cl 5$" "$W/p1.out"; then
	pass wa65_ponton_rename_notified
else
	fail wa65_ponton_rename_notified "$b5 rc $prc $(grep '^CONTACT\|^SYNCED' "$W/p1.out" | tail -2 | tr '\n' '|')"
fi
# A second run: the stored version (5) is where the fetch starts.
papp "$W/p2.out" --timeout 60 --fetch $cl --exit-synced $cl:5
wait $ppid
prc=$?
if [ $prc -eq 0 ] && has "^SYNCED $cl 5$" "$W/p2.out" && ! has '^CONTACT ' "$W/p2.out"; then
	pass wa65_ponton_version_persisted
else
	fail wa65_ponton_version_persisted "rc $prc $(grep '^CONTACT\|^SYNCED\|^APPSTATE' "$W/p2.out" | tr '\n' '|')"
fi
# While P is offline A adds Carol (v6): wasim queues the server_sync, P gets
# it at its next login and fetches only v6.
carol=15550008888@s.whatsapp.net
wm_cmd 3 A "appstate-contact $carol Carol Carol Ann"
c6=$res
papp "$W/p2b.out" --timeout 60 --exit-synced $cl:6
wait $ppid
prc=$?
if [ "$c6" = "RESULT appstate-contact 6" ] && [ $prc -eq 0 ] &&
    [ "$(grep '^CONTACT ' "$W/p2b.out")" = "CONTACT $carol first=\"Carol\" full=\"Carol Ann\" fullsync=0" ] &&
    has "^SYNCED $cl 6$" "$W/p2b.out"; then
	pass wa65_ponton_offline_server_sync
else
	fail wa65_ponton_offline_server_sync "$c6 rc $prc $(grep '^CONTACT\|^SYNCED\|^APPSTATE' "$W/p2b.out" | tr '\n' '|')"
fi

# Restart wasim on the same state dir (same ports are not needed: the
# drivers reconnect to the new port).
echo quit >&3
echo quit >&4
wait "$pid_A" "$pid_B" 2>/dev/null
exec 3>&- 4>&-
wh_stop
rc1=$?
wh_start "$W" --state-dir "$W/state" || { fail wa65_wasim_restarts; wh_finish; }
curl -s "$WASIM_ADMIN_URL/admin/appstate?phone=$phone" > "$W/as2.json"
wm_start B2 4 "$W/b.db" connect
wh_wait_line '^CONNECTED ' 600 "$W/B2.out"
wm_cmd 4 B2 "appstate-fetch $cl full"
refetch=$res
if [ $rc1 -eq 0 ] && has "\"name\":\"$cl\",\"version\":6}" "$W/as2.json" &&
    [ "$refetch" = "RESULT appstate-fetch $cl 6" ]; then
	pass wa65_persisted_restart
else
	fail wa65_persisted_restart "exit $rc1 $(cat "$W/as2.json") $refetch"
fi
echo quit >&4
wait "$pid_B2" 2>/dev/null
exec 4>&-
papp "$W/p3.out" --timeout 60 --fetch $cl --full --exit-synced $cl:6
wait $ppid
prc=$?
printf '%s\n' \
    "CONTACT $contact first=\"Alice\" full=\"Alice Liddell\" fullsync=1" \
    "CONTACT $contact first=\"Alicia\" full=\"Alicia Pleasance Liddell\" fullsync=1" \
    "CONTACT $bob first=\"Bob\" full=\"Bob Builder\" fullsync=1" \
    "CONTACT $bob first=\"Robert\" full=\"Robert Builder\" fullsync=1" \
    "CONTACT $carol first=\"Carol\" full=\"Carol Ann\" fullsync=1" > "$W/want-p3"
stored=$(python3 -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
print("|".join(str(r) for r in c.execute("select first_name, full_name from whatsmeow_contacts where their_jid = ?", (sys.argv[2],))))' "$W/p.db" "$bob" 2>&1)
if [ $prc -eq 0 ] && has "^SYNCED $cl 6$" "$W/p3.out" &&
    grep '^CONTACT ' "$W/p3.out" | cmp -s - "$W/want-p3" &&
    [ "$stored" = "('Robert', 'Robert Builder')" ]; then
	pass wa65_ponton_full_fetch_after_restart
else
	fail wa65_ponton_full_fetch_after_restart "rc $prc stored $stored $(grep '^CONTACT\|^SYNCED\|^APPSTATE' "$W/p3.out" | tr '\n' '|')"
fi

wh_stop
rc=$?
if [ $rc -eq 0 ] && wh_logs_clean; then
	pass wa65_clean_exit
else
	fail wa65_clean_exit "exit $rc"
fi
wh_finish
