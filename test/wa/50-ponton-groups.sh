#!/bin/sh
# ponton's group administration, presence and chat states (waweb/group.c,
# waweb/presence.c through test/tools/wa_group) against a Baileys client
# (test/peers/baileys/grpadmin.mjs) and a whatsmeow client
# (test/peers/whatsmeow/groupadmin.go), all three paired with wasim and
# running at once, driven line by line through FIFOs:
#
#   wa50_pair_three            ponton, Baileys and whatsmeow pair
#   wa50_create                ponton creates a group with both peers:
#                              Baileys gets groups.upsert, whatsmeow
#                              JoinedGroup
#   wa50_subject               ponton renames it: both peers see the name
#   wa50_description           ponton sets a description (the current id
#                              read first): both peers see the topic, and
#                              the metadata has it
#   wa50_promote_demote        ponton promotes then demotes Baileys: both
#                              peers see each change
#   wa50_remove_add            ponton removes then re-adds whatsmeow: both
#                              peers see each change
#   wa50_invite_link           ponton gets the invite link, resets it (a
#                              new code; whatsmeow sees the new link) and
#                              reads the group back from the link
#   wa50_join_by_link          Baileys, removed, joins with the link:
#                              ponton parses the add (reason invite)
#   wa50_peer_changes_parsed   Baileys and whatsmeow (promoted) each change
#                              the subject and remove/add the other:
#                              ponton parses each as an event with the
#                              right actor
#   wa50_privacy_403           adding an account whose privacy refuses
#                              adds answers 403 with an add_request code
#   wa50_settings              announce and locked on: the peers see them,
#                              the metadata says so
#   wa50_picture               ponton sets the group picture: wasim stores
#                              the bytes, whatsmeow sees the picture event
#   wa50_resolve               usync contact queries: two numbers on
#                              WhatsApp (PN and LID), one not
#   wa50_chatstates_in         Baileys composing, whatsmeow recording (1:1)
#                              and Baileys composing in the group reach
#                              ponton as chat-state events
#   wa50_chatstates_out        ponton's composing reaches Baileys
#                              (presence.update), its recording whatsmeow
#                              (ChatPresence composing/audio)
#   wa50_presence              ponton subscribes to Baileys and whatsmeow
#                              and sees them come online; both,
#                              subscribed to ponton, see it come online
#   wa50_join_approval         approval on: whatsmeow's join by link waits
#                              (membership_approval_request), nobody added
#   wa50_join_requests         ponton lists the pending request, approves
#                              it (whatsmeow joins); rejecting it again 404
#   wa50_leave                 ponton leaves: both peers see it go
#   wa50_accept_invite         whatsmeow adds ponton, whose privacy refuses
#                              adds: 403 with an add_request code; ponton
#                              joins with it (accept), Baileys sees the add
#   wa50_server_errors         refusals reach ponton's caller with their
#                              code: 401, 403, 404, 406
#   wa50_clean_exit            wasim exits 0, no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init ponton-groups
GRP=$TOP/$BUILD/san/tools/wa_group
CLIENT=$TOP/$BUILD/san/tools/wa_client
for b in "$GRP" "$CLIENT"; do
	[ -x "$b" ] || { fail wa50_tools_built "$b"; wh_finish; }
done
WM=$(sh "$TOP/test/peers/whatsmeow/build.sh") && [ -x "$WM" ] ||
    { fail wa50_whatsmeow_driver_built; wh_finish; }

pids=""
wa50_cleanup() {
	exec 3>&- 4>&- 5>&- 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	wh_cleanup
}
trap wa50_cleanup EXIT

wh_start "$W" --state-dir "$W/state" || { fail wa50_wasim_starts; wh_finish; }
echo "$WASIM_ROOT_PUB" > "$W/root"
P=33622230001
B=33622230002
M=33622230003
R=33622230004
PJID=$P@s.whatsapp.net
BJID=$B@s.whatsapp.net
MJID=$M@s.whatsapp.net
RJID=$R@s.whatsapp.net

# --- Pairing -------------------------------------------------------------------
# --stay-ms: pair.mjs exits 50 ms after "open"; the creds writes that
# follow the login (prekey upload) must land first, or creds.json is left
# truncated and the next run registers anew.
wh_baileys "$W/pair-b.out" --auth "$W/auth-b" --push-name "Bailey" \
    --timeout-ms 60000 --expect-new-login --stay-ms 2000
if wh_wait_line '^QR ' 300 "$W/pair-b.out"; then
	wh_post "/admin/mock-phone/scan-qr?phone=$B" \
	    "$(sed -n 's/^QR //p' "$W/pair-b.out" | head -1)" "$W/scan-b.json" >/dev/null
fi
wh_baileys_wait
brc=$?
"$CLIENT" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --exit-on connected --timeout 40 > "$W/pair-p.out" 2> "$W/pair-p.err" &
cpid=$!
if wh_wait_line '^QR ' 300 "$W/pair-p.out"; then
	wh_post "/admin/mock-phone/scan-qr?phone=$P" \
	    "$(sed -n 's/^QR //p' "$W/pair-p.out" | head -1)" "$W/scan-p.json" >/dev/null
fi
wait $cpid
prc=$?
printf 'quit\n' > "$W/wm-quit"
"$WM" -url "$WASIM_WS_URL" -root-file "$W/root" -store "$W/wm.db" \
    -timeout 60s pair-qr < "$W/wm-quit" > "$W/pair-m.out" 2> "$W/pair-m.err" &
mpid=$!
if wh_wait_line '^QR 2@' 300 "$W/pair-m.out"; then
	wh_post "/admin/mock-phone/scan-qr?phone=$M" \
	    "$(sed -n 's/^QR //p' "$W/pair-m.out" | head -1)" "$W/scan-m.json" >/dev/null
fi
wait $mpid
mrc=$?
if [ $brc -eq 0 ] && [ $prc -eq 0 ] && [ $mrc -eq 0 ] &&
    grep -q '"me"' "$W/auth-b/creds.json" &&
    grep -q '^CONNECTED$' "$W/pair-p.out" &&
    grep -q "^CONNECTED $M" "$W/pair-m.out"; then
	pass wa50_pair_three
else
	fail wa50_pair_three "baileys $brc, ponton $prc, whatsmeow $mrc"
	wh_finish
fi
lid_of() {
	curl -s "$WASIM_ADMIN_URL/admin/accounts/$1/devices" |
	    sed -n 's/.*"lid": *"\([0-9]*\)".*/\1/p' | head -1
}
PL=$(lid_of $P)
BL=$(lid_of $B)
ML=$(lid_of $M)
# The refusing account: no device needed to be added to a group.
wh_post /admin/accounts "{\"phone\":\"$R\",\"push_name\":\"Private\"}" \
    "$W/acct-r.json" >/dev/null

# --- The three long-running clients ---------------------------------------------
mkfifo "$W/p.in" "$W/b.in" "$W/m.in"
"$GRP" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 400 < "$W/p.in" > "$W/p.out" 2> "$W/p.err" &
pids="$pids $!"
exec 3> "$W/p.in"
node "$WH_PEER/grpadmin.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
    --auth "$W/auth-b" < "$W/b.in" > "$W/b.out" 2> "$W/b.err" &
pids="$pids $!"
exec 4> "$W/b.in"
"$WM" -url "$WASIM_WS_URL" -root-file "$W/root" -store "$W/wm.db" \
    -timeout 60s connect < "$W/m.in" > "$W/m.out" 2> "$W/m.err" &
pids="$pids $!"
exec 5> "$W/m.in"
if ! wh_wait_line '^READY$' 400 "$W/p.out" ||
    ! wh_wait_line '^OPEN ' 400 "$W/b.out" ||
    ! wh_wait_line '^CONNECTED ' 400 "$W/m.out"; then
	fail wa50_clients_start
	tail -n 5 "$W/p.out" "$W/p.err" "$W/b.out" "$W/b.err" "$W/m.out" "$W/m.err"
	wh_finish
fi

# mark FILE: the current line count (events after it are new).
mark() { wc -l < "$1" | tr -d ' '; }
# after FILE MARK RE [TENTHS]: wait for a line matching RE after MARK;
# LINE is set to it.
after() {
	a_i=0
	while [ $a_i -lt "${4:-200}" ]; do
		LINE=$(tail -n +$(($2 + 1)) "$1" | grep -m1 -E "$3") && return 0
		sleep 0.1
		a_i=$((a_i + 1))
	done
	LINE=""
	return 1
}
# do FD FILE COMMAND: send a command, wait for its RESULT line (in LINE).
do_cmd() {
	d_m=$(mark "$2")
	echo "$3" >&"$1"
	after "$2" "$d_m" "^RESULT ${3%% *} " 300
}
p() { do_cmd 3 "$W/p.out" "$1"; }
b() { do_cmd 4 "$W/b.out" "$1"; }
m() { do_cmd 5 "$W/m.out" "$1"; }
ok() { case "$LINE" in "RESULT $1 ok"*) return 0;; esac; return 1; }
who() { echo "($2|$1)"; }	# a user's LID or PN user part

# --- Administration by ponton ------------------------------------------------------
mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "create $BJID,$MJID Ponton group"
G=$(echo "$LINE" | sed -n 's/^RESULT create ok \([0-9]*@g\.us\) 3$/\1/p')
if [ -n "$G" ] && after "$W/b.out" "$mb" "^EV upsert $G " &&
    after "$W/m.out" "$mm" "^GA joined $G "; then
	pass wa50_create
else
	fail wa50_create "'$LINE'"
	wh_finish
fi

mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "subject $G Nouveau nom ✓"
if ok subject && after "$W/b.out" "$mb" "^EV update $G .*subject=Nouveau nom ✓" &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* name=Nouveau nom ✓"; then
	pass wa50_subject
else
	fail wa50_subject "'$LINE'"
fi

mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "description $G Première description"
r1=$LINE
p "description $G Second text"
r2=$LINE
p "info $G"
if [ "${r1#RESULT description ok}" != "$r1" ] &&
    [ "${r2#RESULT description ok}" != "$r2" ] &&
    echo "$LINE" | grep -q "desc=Second text subject=Nouveau nom ✓$" &&
    after "$W/b.out" "$mb" "^EV update $G .*desc=Second text" &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* topic=Second text"; then
	pass wa50_description
else
	fail wa50_description "'$r1' '$r2' '$LINE'"
fi

bw=$(who $B $BL)
mw=$(who $M $ML)
mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "promote $G $BJID"
r1=$LINE
p "demote $G $BJID"
if [ "$r1" = "RESULT promote ok $BJID:0" ] && [ "$LINE" = "RESULT demote ok $BJID:0" ] &&
    after "$W/b.out" "$mb" "^EV participants $G promote [^ ]* $bw" &&
    after "$W/b.out" "$mb" "^EV participants $G demote [^ ]* $bw" &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* promote=$bw" &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* demote=$bw"; then
	pass wa50_promote_demote
else
	fail wa50_promote_demote "'$r1' '$LINE'"
fi

mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "remove $G $MJID"
r1=$LINE
p "add $G $MJID"
if [ "$r1" = "RESULT remove ok $MJID:0" ] && [ "$LINE" = "RESULT add ok $MJID:0" ] &&
    after "$W/b.out" "$mb" "^EV participants $G remove [^ ]* $mw" &&
    after "$W/b.out" "$mb" "^EV participants $G add [^ ]* $mw" &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* leave=$mw" &&
    after "$W/m.out" "$mm" "^GA (joined $G|info $G [^ ]* join=$mw)"; then
	pass wa50_remove_add
else
	fail wa50_remove_add "'$r1' '$LINE'"
fi

mm=$(mark "$W/m.out")
p "invite $G"
l1=${LINE#RESULT invite ok }
p "reset $G"
l2=${LINE#RESULT reset ok }
code=${l2#https://chat.whatsapp.com/}
p "linkinfo $l2"
if echo "$l1" | grep -qE '^https://chat\.whatsapp\.com/[A-Za-z0-9]{22}$' &&
    echo "$l2" | grep -qE '^https://chat\.whatsapp\.com/[A-Za-z0-9]{22}$' &&
    [ "$l1" != "$l2" ] && [ "$LINE" = "RESULT linkinfo ok $G 3 Nouveau nom ✓" ] &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* link=$l2"; then
	pass wa50_invite_link
else
	fail wa50_invite_link "'$l1' '$l2' '$LINE'"
fi

p "remove $G $BJID"
r1=$LINE
mp=$(mark "$W/p.out")
b "join $code"
if [ "$r1" = "RESULT remove ok $BJID:0" ] && [ "$LINE" = "RESULT join ok $G" ] &&
    after "$W/p.out" "$mp" "^GROUP $G add $BJID $BJID invite$"; then
	pass wa50_join_by_link
else
	fail wa50_join_by_link "'$r1' '$LINE'"
	tail -n 3 "$W/p.out"
fi

# Both peers admins; each renames and removes/re-adds the other (whoever
# is re-added comes back as a plain member, so ponton promotes again).
p "promote $G $BJID,$MJID"
r1=$LINE
mp=$(mark "$W/p.out")
m "ga-subject $G Renamed by whatsmeow"
r2=$LINE
m "ga-remove $G $BJID"
r3=$LINE
m "ga-add $G $BJID"
r4=$LINE
p "promote $G $BJID"
r5=$LINE
b "subject $G Renamed by Baileys"
r6=$LINE
b "remove $G $MJID"
r7=$LINE
b "add $G $MJID"
r8=$LINE
if [ "$r1" = "RESULT promote ok $BJID:0 $MJID:0" ] &&
    [ "$r2" = "RESULT ga-subject ok" ] &&
    [ "${r3#RESULT ga-remove ok}" != "$r3" ] &&
    [ "${r4#RESULT ga-add ok}" != "$r4" ] &&
    [ "$r5" = "RESULT promote ok $BJID:0" ] &&
    [ "$r6" = "RESULT subject ok" ] &&
    [ "${r7#RESULT remove ok}" != "$r7" ] && [ "${r8#RESULT add ok}" != "$r8" ] &&
    after "$W/p.out" "$mp" "^GROUP $G subject $MJID - Renamed by whatsmeow$" &&
    after "$W/p.out" "$mp" "^GROUP $G remove $MJID $BJID$" &&
    after "$W/p.out" "$mp" "^GROUP $G add $MJID $BJID$" &&
    after "$W/p.out" "$mp" "^GROUP $G subject $BJID - Renamed by Baileys$" &&
    after "$W/p.out" "$mp" "^GROUP $G remove $BJID $MJID$" &&
    after "$W/p.out" "$mp" "^GROUP $G add $BJID $MJID$"; then
	pass wa50_peer_changes_parsed
else
	fail wa50_peer_changes_parsed "'$r1' '$r2' '$r3' '$r4' '$r5' '$r6' '$r7' '$r8'"
	tail -n 8 "$W/p.out"
fi

st=$(wh_post /admin/privacy "{\"phone\":\"$R\",\"refuse_group_add\":true}" "$W/priv.json")
p "add $G $RJID"
if [ "$st" = 200 ] &&
    echo "$LINE" | grep -qE "^RESULT add ok $RJID:403:[A-Za-z0-9]{16}$" &&
    ! curl -s "$WASIM_ADMIN_URL/admin/groups" | grep -q "\"$R\""; then
	pass wa50_privacy_403
else
	fail wa50_privacy_403 "status $st, '$LINE'"
fi

mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "setting $G announce on"
r1=$LINE
p "setting $G locked on"
r2=$LINE
p "info $G"
if [ "$r1" = "RESULT setting ok" ] && [ "$r2" = "RESULT setting ok" ] &&
    echo "$LINE" | grep -q " announce=1 locked=1 approval=0 " &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* announce=true" &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* locked=true" &&
    after "$W/b.out" "$mb" "^EV update $G .*announce=true" &&
    after "$W/b.out" "$mb" "^EV update $G .*restrict=true"; then
	pass wa50_settings
else
	fail wa50_settings "'$r1' '$r2' '$LINE'"
fi

# A tiny JPEG-looking blob: wasim stores bytes, it does not decode them.
printf '\377\330\377\340\000\020JFIF\000ponton test picture\377\331' > "$W/pic.jpg"
mm=$(mark "$W/m.out")
p "picture $G $W/pic.jpg"
pid=${LINE#RESULT picture ok }
if ok picture && [ -n "$pid" ] &&
    curl -s "$WASIM_ADMIN_URL/admin/groups" |
    grep -q "\"picture_len\": *$(wc -c < "$W/pic.jpg" | tr -d ' ')" &&
    after "$W/m.out" "$mm" "^GA picture $G [^ ]* $pid$"; then
	pass wa50_picture
else
	fail wa50_picture "'$LINE'"
fi

# Is a number on WhatsApp (usync contact query): a paired peer, the
# device-less refusing account, an unknown number.
p "resolve +$B"
r1=$LINE
p "resolve $R"
r2=$LINE
p "resolve +33699999999"
if [ "$r1" = "RESULT resolve ok $BJID $BL@lid" ] &&
    [ "$r2" = "RESULT resolve ok $RJID $(lid_of $R)@lid" ] &&
    [ "$LINE" = "RESULT resolve ok - -" ]; then
	pass wa50_resolve
else
	fail wa50_resolve "'$r1' '$r2' '$LINE'"
fi

# --- Chat states and presence -------------------------------------------------------
mp=$(mark "$W/p.out")
b "typing $PJID composing"
r1=$LINE
m "ga-typing $PJID recording"
r2=$LINE
b "typing $G composing"
r3=$LINE
if [ "$r1" = "RESULT typing ok" ] && [ "$r2" = "RESULT ga-typing ok" ] &&
    [ "$r3" = "RESULT typing ok" ] &&
    after "$W/p.out" "$mp" "^CHATSTATE $BL@lid - composing$" &&
    after "$W/p.out" "$mp" "^CHATSTATE $ML@lid - recording$" &&
    after "$W/p.out" "$mp" "^CHATSTATE $G $BL@lid composing$"; then
	pass wa50_chatstates_in
else
	fail wa50_chatstates_in "'$r1' '$r2' '$r3'"
	tail -n 4 "$W/p.out"
fi

mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "typing $BJID composing"
r1=$LINE
p "typing $MJID recording"
r2=$LINE
if [ "$r1" = "RESULT typing ok" ] && [ "$r2" = "RESULT typing ok" ] &&
    after "$W/b.out" "$mb" "^EV presence $PL@lid $PL@lid composing$" &&
    after "$W/m.out" "$mm" "^GA chatstate $PL@lid $PL@lid composing/audio$"; then
	pass wa50_chatstates_out
else
	fail wa50_chatstates_out "'$r1' '$r2'"
	tail -n 3 "$W/b.out" "$W/m.out"
fi

mp=$(mark "$W/p.out")
p "subscribe $BJID"
r1=$LINE
b "presence available"
r2=$LINE
p "subscribe $MJID"
r6=$LINE
m "ga-presence available"
r7=$LINE
b "subscribe $PJID"
r3=$LINE
m "ga-subscribe $PJID"
r4=$LINE
mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
p "presence available Ponton"
r5=$LINE
if [ "$r1" = "RESULT subscribe ok" ] && [ "$r2" = "RESULT presence ok" ] &&
    [ "$r3" = "RESULT subscribe ok" ] && [ "$r4" = "RESULT ga-subscribe ok" ] &&
    [ "$r5" = "RESULT presence ok" ] && [ "$r6" = "RESULT subscribe ok" ] &&
    [ "$r7" = "RESULT ga-presence ok" ] &&
    after "$W/p.out" "$mp" "^PRESENCE ($BJID|$BL@lid) available -$" &&
    after "$W/p.out" "$mp" "^PRESENCE ($MJID|$ML@lid) available -$" &&
    after "$W/b.out" "$mb" "^EV presence $PL@lid $PL@lid available$" &&
    after "$W/m.out" "$mm" "^GA presence $PL@lid available$"; then
	pass wa50_presence
else
	fail wa50_presence "'$r1' '$r2' '$r3' '$r4' '$r5' '$r6' '$r7'"
	tail -n 3 "$W/p.out" "$W/b.out" "$W/m.out"
fi

# Join approval on: whatsmeow, removed, asks to join by link and is told
# to wait; nobody is added.
p "setting $G approval on"
r1=$LINE
p "remove $G $MJID"
r2=$LINE
p "invite $G"
link=${LINE#RESULT invite ok }
m "ga-join $link"
r3=$LINE
p "info $G"
if [ "$r1" = "RESULT setting ok" ] && [ "$r2" = "RESULT remove ok $MJID:0" ] &&
    [ "$r3" = "RESULT ga-join ok $G" ] &&
    echo "$LINE" | grep -q "^RESULT info ok $G 2 .* approval=1 " &&
    ! curl -s "$WASIM_ADMIN_URL/admin/groups" | grep -q "\"$M\""; then
	pass wa50_join_approval
else
	fail wa50_join_approval "'$r1' '$r2' '$r3' '$LINE'"
fi
# The admin lists the pending request and approves it: whatsmeow is in.
mm=$(mark "$W/m.out")
p "requests $G"
r1=$LINE
p "approve $G $MJID"
r2=$LINE
p "reject $G $MJID"
r3=$LINE
if [ "$r1" = "RESULT requests ok $ML@lid:0" ] &&
    [ "$r2" = "RESULT approve ok $MJID:0" ] &&
    echo "$r3" | grep -q "^RESULT reject ok $MJID:404$" &&
    after "$W/m.out" "$mm" "^GA (joined $G|info $G [^ ]* join=$mw)" &&
    curl -s "$WASIM_ADMIN_URL/admin/groups" | grep -q "\"$M\""; then
	pass wa50_join_requests
else
	fail wa50_join_requests "'$r1' '$r2' '$r3'"
fi
p "setting $G approval off"

p "promote $G $MJID"
mb=$(mark "$W/b.out")
mm=$(mark "$W/m.out")
pw=$(who $P $PL)
p "leave $G"
r1=$LINE
p "list"
if [ "$r1" = "RESULT leave ok" ] && [ "$LINE" = "RESULT list ok 0" ] &&
    after "$W/b.out" "$mb" "^EV participants $G remove [^ ]* $pw" &&
    after "$W/m.out" "$mm" "^GA info $G [^ ]* leave=$pw"; then
	pass wa50_leave
else
	fail wa50_leave "'$r1' '$LINE'"
fi

# ponton, out of the group and refusing adds, is added by whatsmeow (an
# admin): 403 with an add_request code; ponton accepts with it and is in.
st=$(wh_post /admin/privacy "{\"phone\":\"$P\",\"refuse_group_add\":true}" "$W/priv-p.json")
m "ga-add $G $PJID"
r1=$LINE
acode=$(echo "$r1" | sed -n "s/^RESULT ga-add ok [^:]*@[^:]*:403:\([A-Za-z0-9]*\):\([0-9]*\)$/\1 \2/p")
mb=$(mark "$W/b.out")
p "accept $G $MJID $acode"
r2=$LINE
p "list"
if [ "$st" = 200 ] && [ -n "$acode" ] && [ "$r2" = "RESULT accept ok" ] &&
    [ "$LINE" = "RESULT list ok 1 $G" ] &&
    after "$W/b.out" "$mb" "^EV participants $G add [^ ]* $pw"; then
	pass wa50_accept_invite
else
	fail wa50_accept_invite "status $st, '$r1' '$r2' '$LINE'"
fi

# Server refusals reach the caller with their code: ponton is a plain
# member now (401 invite link, 403 settings), an unknown group (404), the
# revoked first link (406).
p "invite $G"
r1=$LINE
p "setting $G locked off"
r2=$LINE
p "subject 120363999999999999@g.us Nope"
r3=$LINE
p "linkinfo $l1"
if echo "$r1" | grep -q "^RESULT invite fail .* 401$" &&
    echo "$r2" | grep -q "^RESULT setting fail .* 403$" &&
    echo "$r3" | grep -q "^RESULT subject fail .* 404$" &&
    echo "$LINE" | grep -q "^RESULT linkinfo fail .* 406$"; then
	pass wa50_server_errors
else
	fail wa50_server_errors "'$r1' '$r2' '$r3' '$LINE'"
fi

# Close the inputs: each client quits.
exec 3>&- 4>&- 5>&-
for pp in $pids; do wait "$pp"; done
pids=""
if wh_stop && wh_logs_clean &&
    ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W"/p*.err &&
    ! grep -q '^BAD-' "$W/p.out"; then
	pass wa50_clean_exit
else
	fail wa50_clean_exit
fi
wh_finish
