#!/bin/sh
# ponton's group messages (waweb/send_message.c, recv_message.c: sender
# keys, SKDM fan-out, skmsg) with Baileys and whatsmeow, all paired with
# wasim, driven by test/tools/wa_msg, test/peers/baileys/grpmsg.mjs and the
# whatsmeow driver (groupmsg.go).  Peers take turns; wasim's offline queues
# carry what is sent while a member is away.
#
#   wa45_pair_all                ponton, Baileys, whatsmeow pair 3 accounts
#   wa45_ponton_group            ponton creates a group with both (raw w:g2
#                                create) and sends two texts: SKDM as
#                                pkmsg to every member device, then one
#                                skmsg with phash and addressing_mode=lid
#   wa45_ponton_group_read       Baileys, then whatsmeow decrypt them
#                                exactly, in order; each replies
#   wa45_ponton_reads_replies    ponton decrypts both replies from its
#                                offline queue, in order, each exactly once
#   wa45_receipts_as_events      Baileys' read receipts for ponton's two
#                                messages reach ponton as RECEIPT events
#                                (group, participant, ids), as do
#                                whatsmeow's delivery receipts
#   wa45_reaction_payload        ponton's reaction to whatsmeow's reply (a
#                                payload built by the caller, sent with
#                                wa_msg_send type=reaction) reaches Baileys
#                                and whatsmeow as a reaction to that id
#   wa45_baileys_group           Baileys creates a group: ponton decrypts
#                                its text, marks it read, replies; whatsmeow
#                                reads both and replies; ponton reads that
#   wa45_ponton_read_receipt     ponton's read receipt reaches Baileys
#   wa45_whatsmeow_group         whatsmeow creates a group: the same round
#   wa45_remove_rotates_key      ponton removes whatsmeow from its group
#                                between two sends of one run: the sender
#                                key is rotated and the new SKDM goes to
#                                Baileys' devices only; re-added, whatsmeow
#                                gets the new key (and only it does)
#   wa45_members_follow_keys     Baileys reads all three; whatsmeow reads
#                                the messages sent while it was a member,
#                                not the one in between
#   wa45_group_retry_ponton      ponton lost Baileys' sender key and session:
#                                Baileys' next group text is undecryptable,
#                                ponton's retry receipt names the
#                                participant, Baileys re-sends, ponton reads
#   wa45_group_retry_peer        Baileys lost ponton's sender key and
#                                session: its first retry receipt is
#                                answered on the session ponton has (a
#                                group's first retry is about the sender
#                                key), which Baileys cannot read; the
#                                second with a new session: to=GID
#                                participant=<device> and a pkmsg count=2
#                                (payload + SKDM), Baileys reads it
#   wa45_own_device_copies       a second ponton device of the same account
#                                reads a group message and the
#                                deviceSentMessage copy of a 1:1 one, both
#                                from_me, chat = group / peer
#   wa45_clean_exit              no sanitizer report, wasim exits 0
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init ponton-group
MSG=$TOP/$BUILD/san/tools/wa_msg
CLIENT=$TOP/$BUILD/san/tools/wa_client
for b in "$MSG" "$CLIENT"; do
	[ -x "$b" ] || { fail wa45_tools_built "$b"; wh_finish; }
done
WM=$(sh "$TOP/test/peers/whatsmeow/build.sh") && [ -x "$WM" ] ||
	{ fail wa45_whatsmeow_driver_built; wh_finish; }

wh_start "$W" --state-dir "$W/state" ||
	{ fail wa45_wasim_starts; wh_finish; }
echo "$WASIM_ROOT_PUB" > "$W/root"

PJID=33622220001@s.whatsapp.net
BJID=33622220002@s.whatsapp.net
WJID=33622220003@s.whatsapp.net

# --- pairing ----------------------------------------------------------------
wh_baileys "$W/pair-b.out" --auth "$W/auth-b" --push-name "Bailey" \
    --timeout-ms 60000 --expect-new-login
if wh_wait_line '^QR ' 300 "$W/pair-b.out"; then
	wh_post '/admin/mock-phone/scan-qr?phone=33622220002' \
	    "$(sed -n 's/^QR //p' "$W/pair-b.out" | head -1)" "$W/scan-b.json" >/dev/null
fi
wh_baileys_wait
blid=$(sed -n 's/^MILESTONE open [^ ]* \([0-9]*\)[:@].*/\1/p' "$W/pair-b.out" | head -1)
"$CLIENT" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --exit-on connected --timeout 40 > "$W/pair-p.out" 2> "$W/pair-p.err" &
cpid=$!
if wh_wait_line '^QR ' 300 "$W/pair-p.out"; then
	wh_post '/admin/mock-phone/scan-qr?phone=33622220001' \
	    "$(sed -n 's/^QR //p' "$W/pair-p.out" | head -1)" "$W/scan-p.json" >/dev/null
fi
wait $cpid
prc=$?
plid=$(sed -n 's/^PAIRED [^ ]* \([0-9]*\)[:@].*/\1/p' "$W/pair-p.out" | head -1)
wm() {	# wm OUT CMDFILE ARGS...
	wm_out=$1 wm_in=$2
	shift 2
	"$WM" -url "$WASIM_WS_URL" -root-file "$W/root" -store "$W/wm.db" \
	    -timeout 60s "$@" < "$wm_in" > "$wm_out" 2> "$wm_out.err"
}
printf 'quit\n' > "$W/wm-cmd0"
wm "$W/wm0.out" "$W/wm-cmd0" pair-qr &
wpid=$!
if wh_wait_line '^QR 2@' 300 "$W/wm0.out"; then
	wh_post '/admin/mock-phone/scan-qr?phone=33622220003' \
	    "$(sed -n 's/^QR //p' "$W/wm0.out" | head -1)" "$W/scan-w.json" >/dev/null
fi
wait $wpid
wrc=$?
wlid=$(sed -n 's/^PAIRED [^ ]* \([0-9]*\)[:@].*/\1/p' "$W/wm0.out" | head -1)
if [ -n "$blid" ] && [ $prc -eq 0 ] && [ -n "$plid" ] && [ $wrc -eq 0 ] &&
    [ -n "$wlid" ]; then
	pass wa45_pair_all
else
	fail wa45_pair_all "baileys '$blid', ponton rc $prc '$plid', whatsmeow rc $wrc '$wlid'"
	wh_finish
fi

pmsg() {	# pmsg OUT ARGS...: ponton's wa_msg
	pm_out=$1
	shift
	"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
	    "$@" > "$pm_out" 2> "$pm_out.err"
}
bgrp() {	# bgrp OUT ARGS...: Baileys' grpmsg.mjs
	bg_out=$1
	shift
	node "$WH_PEER/grpmsg.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
	    --auth "$W/auth-b" --timeout-ms 60000 "$@" > "$bg_out" 2> "$bg_out.err"
}
# The stanza ponton sent with id $1, as wasim logged it.
sent_stanza() {
	grep "recv <message id=\"$1\"" "$W/wasim.log" | head -1
}
# The group texts whatsmeow printed, in order (an SKDM alone shows as an
# empty message: left out).
gtexts() {
	sed -n "s/^GMESSAGE $1 [^ ]* [^ ]* \(..*\)$/\1/p" "$2"
}
# How many <to jid="<user>:..."> a stanza line has for an account's LID.
encs_for() {
	printf '%s' "$1" | grep -o "<to jid=\"$2[:@][^\"]*\">" | wc -l
}

# --- ponton's group -----------------------------------------------------------
pmsg "$W/pa.out" --timeout 40 --group-create "ponton's group" \
    --member "$BJID" --member "$WJID" \
    --send "g1 from ponton 1" --send "g1 from ponton 2 ✓"
prc=$?
G1=$(sed -n 's/^GROUP //p' "$W/pa.out")
id1=$(sed -n 's/^SENT //p' "$W/pa.out" | sed -n 1p)
id2=$(sed -n 's/^SENT //p' "$W/pa.out" | sed -n 2p)
s1=$(sent_stanza "$id1")
s2=$(sent_stanza "$id2")
if [ $prc -eq 0 ] && [ -n "$G1" ] && [ -n "$id2" ] &&
    printf '%s' "$s1" | grep -q "to=\"$G1\"" &&
    printf '%s' "$s1" | grep -q 'phash="2:[A-Za-z0-9+/]\{8\}"' &&
    printf '%s' "$s1" | grep -q 'addressing_mode="lid"' &&
    printf '%s' "$s1" | grep -q '<enc v="2" type="pkmsg">' &&
    printf '%s' "$s1" | grep -q '<enc v="2" type="skmsg">' &&
    [ "$(encs_for "$s1" "$blid")" -ge 1 ] && [ "$(encs_for "$s1" "$wlid")" -ge 1 ] &&
    [ "$(encs_for "$s2" "$blid")" -eq 0 ] && [ "$(encs_for "$s2" "$wlid")" -eq 0 ] &&
    printf '%s' "$s2" | grep -q '<enc v="2" type="skmsg">'; then
	pass wa45_ponton_group
else
	fail wa45_ponton_group "rc $prc group '$G1'"
	tail -n 5 "$W/pa.out" "$W/pa.out.err"
fi

bgrp "$W/ba.out" --group "$G1" --expect 2 --read --send "g1 from baileys"
brc=$?
printf 'wait-group 3 20\nsend %s g1 from whatsmeow\nquit\n' "$G1" > "$W/wm-cmd1"
wm "$W/wa.out" "$W/wm-cmd1" connect
wrc=$?
printf '%s\n' "$plid@lid $id1 g1 from ponton 1" "$plid@lid $id2 g1 from ponton 2 ✓" > "$W/want-b"
sed -n 's/^RECV //p' "$W/ba.out" > "$W/got-b"
printf '%s\n' "g1 from ponton 1" "g1 from ponton 2 ✓" "g1 from baileys" > "$W/want-w"
gtexts "$G1" "$W/wa.out" > "$W/got-w"
if [ $brc -eq 0 ] && [ $wrc -eq 0 ] && cmp -s "$W/want-b" "$W/got-b" &&
    cmp -s "$W/want-w" "$W/got-w"; then
	pass wa45_ponton_group_read
else
	fail wa45_ponton_group_read "baileys rc $brc whatsmeow rc $wrc; b: $(tr '\n' '|' < "$W/got-b") w: $(tr '\n' '|' < "$W/got-w")"
	tail -n 3 "$W/ba.out" "$W/ba.out.err" "$W/wa.out"
fi

pmsg "$W/pa2.out" --timeout 40 --expect 2 --to "$G1" --react "👍"
prc=$?
printf '%s\n' "$G1 $BJID 0 g1 from baileys" "$G1 $WJID 0 g1 from whatsmeow" > "$W/want-p"
sed -n 's/^RECV \([^ ]*\) \([^ ]*\) \([01]\) [^ ]* /\1 \2 \3 /p' "$W/pa2.out" > "$W/got-p"
if [ $prc -eq 0 ] && cmp -s "$W/want-p" "$W/got-p" &&
    [ -z "$(sed -n 's/^RECV [^ ]* [^ ]* [01] \([^ ]*\) .*/\1/p' "$W/pa2.out" | sort | uniq -d)" ]; then
	pass wa45_ponton_reads_replies
else
	fail wa45_ponton_reads_replies "rc $prc: $(tr '\n' '|' < "$W/got-p")"
	tail -n 5 "$W/pa2.out" "$W/pa2.out.err"
fi
rr=0
for id in "$id1" "$id2"; do
	grep -q "^RECEIPT read $G1 $blid:[0-9]*@lid .*$id" "$W/pa2.out" && rr=$((rr + 1))
	grep -q "^RECEIPT [a-z]* $G1 $wlid:[0-9]*@lid .*$id" "$W/pa2.out" && rr=$((rr + 1))
done
if [ $rr -eq 4 ]; then
	pass wa45_receipts_as_events
else
	fail wa45_receipts_as_events "$rr of 4: $(grep '^RECEIPT' "$W/pa2.out" | tr '\n' '|')"
fi

# --- Baileys' group -----------------------------------------------------------
bgrp "$W/bb.out" --create "baileys group" --member "$PJID" --member "$WJID" \
    --send "g2 from baileys"
brc=$?
G2=$(sed -n 's/^GROUP //p' "$W/bb.out")
bid=$(sed -n 's/^SENT //p' "$W/bb.out")
pmsg "$W/pb.out" --timeout 40 --to "$G2" --expect 1 --send-after-recv 1 \
    --read --send "g2 from ponton"
prc=$?
printf 'wait-group 2 20\nsend %s g2 from whatsmeow\nquit\n' "$G2" > "$W/wm-cmd2"
wm "$W/wb.out" "$W/wm-cmd2" connect
wrc=$?
pmsg "$W/pb2.out" --timeout 40 --expect 1
prc2=$?
bgrp "$W/bb2.out" --group "$G2" --expect 2
brc2=$?
printf '%s\n' "g2 from baileys" "g2 from ponton" > "$W/want-w"
gtexts "$G2" "$W/wb.out" > "$W/got-w"
wid=$(sed -n "s/^RECV $G1 $WJID 0 \([^ ]*\) .*/\1/p" "$W/pa2.out")
rid=$(sed -n '/^REACT /{n;s/^SENT //p}' "$W/pa2.out")
if [ -n "$wid" ] && [ -n "$rid" ] &&
    grep -q "^REACTION $plid@lid $wid 👍$" "$W/bb.out" &&
    grep -q "^GREACTION $G1 $plid:1@lid $rid $wid 👍$" "$W/wb.out" &&
    sent_stanza "$rid" | grep -q 'type="reaction"'; then
	pass wa45_reaction_payload
else
	fail wa45_reaction_payload "target '$wid' reaction '$rid'"
	grep 'REACT' "$W/pa2.out" "$W/bb.out" "$W/wb.out"
fi
if [ $brc -eq 0 ] && [ -n "$G2" ] && [ $prc -eq 0 ] && [ $wrc -eq 0 ] &&
    [ $prc2 -eq 0 ] && [ $brc2 -eq 0 ] &&
    grep -q "^RECV $G2 $BJID 0 $bid g2 from baileys$" "$W/pb.out" &&
    cmp -s "$W/want-w" "$W/got-w" &&
    grep -q "^RECV $G2 $WJID 0 [^ ]* g2 from whatsmeow$" "$W/pb2.out" &&
    [ "$(sed -n 's/^RECV [^ ]* [^ ]* //p' "$W/bb2.out")" = "$(printf 'g2 from ponton\ng2 from whatsmeow')" ]; then
	pass wa45_baileys_group
else
	fail wa45_baileys_group "rc b $brc/$brc2 p $prc/$prc2 w $wrc group '$G2'"
	tail -n 3 "$W/bb.out" "$W/pb.out" "$W/pb.out.err" "$W/wb.out" "$W/pb2.out" "$W/bb2.out"
fi
if grep -q "recv <receipt id=\"$bid\" to=\"$G2\" type=\"read\" participant=\"$blid@lid\"" "$W/wasim.log" &&
    grep -q "send <receipt from=\"$G2\" participant=\"$plid:1@lid\" id=\"$bid\" type=\"read\"" "$W/wasim.log"; then
	pass wa45_ponton_read_receipt
else
	fail wa45_ponton_read_receipt "$(grep "<receipt[^>]*$bid" "$W/wasim.log" | head -3 | tr '\n' '|')"
fi

# --- whatsmeow's group --------------------------------------------------------
printf 'create-group wmgroup %s %s\nquit\n' "$PJID" "$BJID" > "$W/wm-cmd3"
wm "$W/wc0.out" "$W/wm-cmd3" connect
G3=$(sed -n 's/^RESULT create-group //p' "$W/wc0.out")
printf 'send %s g3 from whatsmeow\nquit\n' "$G3" > "$W/wm-cmd4"
wm "$W/wc.out" "$W/wm-cmd4" connect
wrc=$?
pmsg "$W/pc.out" --timeout 40 --to "$G3" --expect 1 --send-after-recv 1 \
    --send "g3 from ponton"
prc=$?
bgrp "$W/bc.out" --group "$G3" --expect 2 --send "g3 from baileys"
brc=$?
printf 'wait-group 2 20\nquit\n' > "$W/wm-cmd5"
wm "$W/wc2.out" "$W/wm-cmd5" connect
wrc2=$?
pmsg "$W/pc2.out" --timeout 40 --expect 1
prc2=$?
if [ -n "$G3" ] && [ $wrc -eq 0 ] && [ $prc -eq 0 ] && [ $brc -eq 0 ] &&
    [ $wrc2 -eq 0 ] && [ $prc2 -eq 0 ] &&
    grep -q "^RECV $G3 $WJID 0 [^ ]* g3 from whatsmeow$" "$W/pc.out" &&
    [ "$(sed -n 's/^RECV [^ ]* [^ ]* //p' "$W/bc.out")" = "$(printf 'g3 from whatsmeow\ng3 from ponton')" ] &&
    [ "$(gtexts "$G3" "$W/wc2.out")" = "$(printf 'g3 from ponton\ng3 from baileys')" ] &&
    grep -q "^RECV $G3 $BJID 0 [^ ]* g3 from baileys$" "$W/pc2.out"; then
	pass wa45_whatsmeow_group
else
	fail wa45_whatsmeow_group "rc w $wrc/$wrc2 p $prc/$prc2 b $brc group '$G3'"
	tail -n 3 "$W/wc0.out" "$W/wc.out" "$W/pc.out" "$W/pc.out.err" "$W/bc.out" "$W/wc2.out" "$W/pc2.out"
fi

# --- members change, sender keys follow --------------------------------------
pmsg "$W/pd.out" --timeout 40 --to "$G1" --send "before remove" \
    --remove "$WJID" --send "after remove" --add "$WJID" --send "after re-add"
prc=$?
d1=$(sed -n 's/^SENT //p' "$W/pd.out" | sed -n 1p)
d2=$(sed -n 's/^SENT //p' "$W/pd.out" | sed -n 2p)
d3=$(sed -n 's/^SENT //p' "$W/pd.out" | sed -n 3p)
s1=$(sent_stanza "$d1")
s2=$(sent_stanza "$d2")
s3=$(sent_stanza "$d3")
if [ $prc -eq 0 ] && [ -n "$d3" ] &&
    [ "$(grep -c '^GROUP-OP .* ok$' "$W/pd.out")" = 2 ] &&
    grep -q 'sender key rotated' "$W/pd.out.err" &&
    [ "$(encs_for "$s1" "$blid")" -ge 1 ] && [ "$(encs_for "$s1" "$wlid")" -ge 1 ] &&
    [ "$(encs_for "$s2" "$blid")" -ge 1 ] && [ "$(encs_for "$s2" "$wlid")" -eq 0 ] &&
    [ "$(encs_for "$s3" "$blid")" -eq 0 ] && [ "$(encs_for "$s3" "$wlid")" -ge 1 ]; then
	pass wa45_remove_rotates_key
else
	fail wa45_remove_rotates_key "rc $prc: $(grep '^GROUP-OP\|^SEND-FAIL' "$W/pd.out" | tr '\n' '|')"
	tail -n 5 "$W/pd.out" "$W/pd.out.err"
fi
bgrp "$W/bd.out" --group "$G1" --expect 3
brc=$?
printf 'wait-group 2 20\nwait-group 3 3\nquit\n' > "$W/wm-cmd6"
wm "$W/wd.out" "$W/wm-cmd6" connect
if [ $brc -eq 0 ] &&
    [ "$(sed -n 's/^RECV [^ ]* [^ ]* //p' "$W/bd.out")" = "$(printf 'before remove\nafter remove\nafter re-add')" ] &&
    [ "$(gtexts "$G1" "$W/wd.out")" = "$(printf 'before remove\nafter re-add')" ] &&
    grep -q '^RESULT wait-group failed timeout 2' "$W/wd.out"; then
	pass wa45_members_follow_keys
else
	fail wa45_members_follow_keys "baileys rc $brc"
	tail -n 4 "$W/bd.out" "$W/wd.out"
fi

# --- retries in a group -------------------------------------------------------
# ponton forgets Baileys' sender key in G1 and its sessions with Baileys.
sqlite3 "$W/p.db" "DELETE FROM whatsmeow_sender_keys WHERE chat_id = '$G1'; DELETE FROM whatsmeow_sessions WHERE their_id LIKE '${blid}_%' OR their_id LIKE '33622220002:%'"
pmsg "$W/pe.out" --timeout 30 --expect 1 &
ppid=$!
wh_wait_line '^CONNECTED' 300 "$W/pe.out"
bgrp "$W/be.out" --group "$G1" --send "g1 retry me" --stay-ms 4000
brc=$?
wait $ppid
prc=$?
uid=$(sed -n "s/^UNDECRYPTABLE $blid:[0-9]*@lid \([0-9A-F]*\) .*/\1/p" "$W/pe.out" | head -1)
if [ $brc -eq 0 ] && [ $prc -eq 0 ] && [ -n "$uid" ] &&
    grep -q "recv <receipt id=\"$uid\" to=\"$G1\" participant=\"$blid:[0-9]*@lid\" type=\"retry\"><retry count=\"1\"" "$W/wasim.log" &&
    grep -q "^RECV $G1 $BJID 0 $uid g1 retry me$" "$W/pe.out"; then
	pass wa45_group_retry_ponton
else
	fail wa45_group_retry_ponton "ponton rc $prc baileys rc $brc id '$uid'"
	tail -n 5 "$W/pe.out" "$W/pe.out.err" "$W/be.out"
fi
# Baileys forgets ponton's sender keys and its sessions with ponton.
rm -f "$W"/auth-b/sender-key-*"$plid"* "$W"/auth-b/session-"$plid"* "$W"/auth-b/session-33622220001*
bgrp "$W/bf.out" --group "$G1" --expect 1 --stay-ms 500 &
bpid=$!
wh_wait_line '^MILESTONE open' 300 "$W/bf.out"
pmsg "$W/pf.out" --timeout 30 --linger-ms 5000 --to "$G1" --send "g1 after Baileys lost it"
prc=$?
wait $bpid
brc=$?
fid=$(sed -n 's/^SENT //p' "$W/pf.out")
if [ $prc -eq 0 ] && [ $brc -eq 0 ] && [ -n "$fid" ] &&
    grep -q "^RECV $plid@lid $fid g1 after Baileys lost it$" "$W/bf.out" &&
    grep "recv <receipt id=\"$fid\"" "$W/wasim.log" | grep 'type="retry"' |
    grep "to=\"$G1\"" | grep -q "participant=\"$plid:1@lid\"" &&
    grep "recv <message id=\"$fid\"" "$W/wasim.log" | grep "to=\"$G1\"" |
    grep -q "participant=\"$blid:[0-9]*@lid\".*<enc v=\"2\" type=\"msg\" count=\"1\">" &&
    grep "recv <message id=\"$fid\"" "$W/wasim.log" | grep "to=\"$G1\"" |
    grep -q "participant=\"$blid:[0-9]*@lid\".*<enc v=\"2\" type=\"pkmsg\" count=\"2\">"; then
	pass wa45_group_retry_peer
else
	fail wa45_group_retry_peer "ponton rc $prc baileys rc $brc id '$fid'"
	tail -n 5 "$W/pf.out" "$W/pf.out.err" "$W/bf.out" "$W/bf.out.err"
fi

# --- our other device --------------------------------------------------------
# A second ponton device on the same account: it gets our group messages
# (our SKDM, from_me) and the deviceSentMessage copy of a 1:1 message
# (built around the payload at the wire level), the chat being the peer.
"$CLIENT" --db "$W/p2.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --exit-on connected --timeout 40 > "$W/pair-p2.out" 2> "$W/pair-p2.err" &
cpid=$!
if wh_wait_line '^QR ' 300 "$W/pair-p2.out"; then
	wh_post '/admin/mock-phone/scan-qr?phone=33622220001' \
	    "$(sed -n 's/^QR //p' "$W/pair-p2.out" | head -1)" "$W/scan-p2.json" >/dev/null
fi
wait $cpid
prc=$?
pmsg "$W/pg.out" --timeout 30 --to "$G1" --send "to the group, seen by my other device"
grc=$?
pmsg "$W/pg2.out" --timeout 30 --to "$BJID" --send "1:1, seen by my other device"
drc=$?
gmid=$(sed -n 's/^SENT //p' "$W/pg.out")
dmid=$(sed -n 's/^SENT //p' "$W/pg2.out")
"$MSG" --db "$W/p2.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 30 --expect 2 > "$W/pg3.out" 2> "$W/pg3.out.err"
rrc=$?
if [ $prc -eq 0 ] && [ $grc -eq 0 ] && [ $drc -eq 0 ] && [ $rrc -eq 0 ] &&
    grep -q "^RECV $G1 [^ ]* 1 $gmid to the group, seen by my other device$" "$W/pg3.out" &&
    grep -q "^RECV $BJID [^ ]* 1 $dmid 1:1, seen by my other device$" "$W/pg3.out"; then
	pass wa45_own_device_copies
else
	fail wa45_own_device_copies "pair rc $prc, sends $grc/$drc, device 2 rc $rrc"
	tail -n 5 "$W/pg3.out" "$W/pg3.out.err"
fi

if wh_stop && wh_logs_clean && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W"/p*.err; then
	pass wa45_clean_exit
else
	fail wa45_clean_exit
fi
wh_finish
