#!/bin/sh
# ponton's own 1:1 text messages (waweb/send_message.c, recv_message.c)
# against a Baileys client, both paired with wasim:
#
#   wa40_pair_both               Baileys (QR) and ponton (wa_client, QR)
#                                pair with two accounts
#   wa40_ponton_to_baileys       three texts from ponton (usync, prekey
#                                fetch, pkmsg then msg, server acks) are
#                                decrypted by Baileys exactly and in order
#   wa40_baileys_to_ponton       three replies from Baileys are decrypted by
#                                ponton exactly and in order, after which
#                                ponton sent a delivery receipt, then the
#                                ack, for each
#   wa40_ponton_restart_keeps_sessions   a second ponton run (sessions from
#                                the database) sends a msg (no new pkmsg)
#                                that Baileys decrypts, and gets a reply
#   wa40_undecryptable_retry_recovers   ponton lost its sessions with
#                                Baileys: the next message is reported
#                                undecryptable, a retry receipt goes to the
#                                sender, Baileys re-sends, ponton decrypts;
#                                nothing is delivered again at the next login
#   wa40_peer_retry_answered     Baileys lost its sessions: its retry receipt
#                                is acked and answered, ponton re-sends the
#                                message from a fresh bundle, Baileys reads it
#   wa40_server_error_463_surfaced   wasim refuses ponton's next message
#                                with <ack error="463">: the send fails
#                                with that code, nothing is delivered
#   wa40_whatsmeow_pair          whatsmeow (test/peers/whatsmeow) pairs a
#                                third account
#   wa40_ponton_to_whatsmeow     three texts from ponton, queued by wasim while
#                                whatsmeow is offline, decrypted exactly and
#                                in order by whatsmeow
#   wa40_whatsmeow_to_ponton     three replies from whatsmeow decrypted exactly
#                                and in order by ponton (from its offline
#                                queue), each with a receipt before the ack
#   wa40_clean_exit              wasim exits 0, no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init ponton-msg
MSG=$TOP/$BUILD/san/tools/wa_msg
CLIENT=$TOP/$BUILD/san/tools/wa_client
for b in "$MSG" "$CLIENT"; do
	[ -x "$b" ] || { fail wa40_tools_built "$b"; wh_finish; }
done

wh_start "$W" --state-dir "$W/state" || { fail wa40_wasim_starts; wh_finish; }
echo "$WASIM_ROOT_PUB" > "$W/root"

# Baileys: account 1 (scan without a phone: wasim picks the number).
wh_baileys "$W/pair-b.out" --auth "$W/auth-b" --push-name "Bailey" \
    --timeout-ms 60000 --expect-new-login
if wh_wait_line '^QR ' 300 "$W/pair-b.out"; then
	wh_post /admin/mock-phone/scan-qr \
	    "$(sed -n 's/^QR //p' "$W/pair-b.out" | head -1)" "$W/scan-b.json" >/dev/null
fi
wh_baileys_wait
bjid=$(sed -n 's/^MILESTONE open \([0-9]*\)[:@].*/\1/p' "$W/pair-b.out" | head -1)
blid=$(sed -n 's/^MILESTONE open [^ ]* \([0-9]*\)[:@].*/\1/p' "$W/pair-b.out" | head -1)
# ponton: account 33622220001.
"$CLIENT" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --exit-on connected --timeout 40 > "$W/pair-p.out" 2> "$W/pair-p.err" &
cpid=$!
if wh_wait_line '^QR ' 300 "$W/pair-p.out"; then
	wh_post '/admin/mock-phone/scan-qr?phone=33622220001' \
	    "$(sed -n 's/^QR //p' "$W/pair-p.out" | head -1)" "$W/scan-p.json" >/dev/null
fi
wait $cpid
prc=$?
if [ -n "$bjid" ] && [ -n "$blid" ] && [ $prc -eq 0 ] && grep -q '^CONNECTED$' "$W/pair-p.out"; then
	pass wa40_pair_both
else
	fail wa40_pair_both "baileys '$bjid', ponton rc $prc"
	wh_finish
fi
BJID=$bjid@s.whatsapp.net
BLID=$blid@lid
PJID=33622220001@s.whatsapp.net
# ponton's LID, as wasim delivers its messages from it.
PLID=$(sed -n 's/^PAIRED [^ ]* \([0-9]*\)[:@].*/\1/p' "$W/pair-p.out" | head -1)

# The ids of ponton's messages in the order wasim delivered them to
# Baileys (its devices get one stanza each; device 1 is the client).
delivered() {
	sed -n "s/.*send <message from=\"$PLID:1@lid\" id=\"\([0-9A-F]*\)\".*/\1/p" \
	    "$W/wasim.log" | uniq
}

chat() {	# chat OUT ARGS...: Baileys in the background
	out=$1
	shift
	node "$WH_PEER/chat.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
	    --auth "$W/auth-b" --peer "$PJID" --timeout-ms 60000 "$@" \
	    > "$out" 2> "$out.err" &
	bpid=$!
}

# ponton sends three, Baileys answers three once it has them.
chat "$W/b1.out" --expect 3 --send "réponse 1 from Baileys" \
    --send "reply 2 ✓" --send "reply three"
wh_wait_line '^MILESTONE open' 300 "$W/b1.out"
"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 50 --to "$BJID" --send "hello from ponton" \
    --send "second: ünïcödé ✓ 🎉" --send "third, with  two spaces" \
    --expect 3 > "$W/p1.out" 2> "$W/p1.err"
mrc=$?
wait $bpid
brc=$?
printf '%s\n' "hello from ponton" "second: ünïcödé ✓ 🎉" \
    "third, with  two spaces" > "$W/want-b"
sed -n 's/^RECV //p' "$W/b1.out" > "$W/got-b"
sed -n 's/^SENT //p' "$W/p1.out" > "$W/sent-p"
# Baileys decrypts concurrently, so its upsert order is its own: the texts
# must be exactly those sent, and wasim must have delivered them in the
# order ponton sent them (each after the previous one's server ack).
if [ "$(grep -c '^3EB0[0-9A-F]\{18\}$' "$W/sent-p")" = 3 ] &&
    [ "$(sort "$W/want-b")" = "$(sort "$W/got-b")" ] &&
    [ "$(cat "$W/sent-p")" = "$(delivered)" ] &&
    grep -q 'type="pkmsg"' "$W/wasim.log" &&
    grep -q 'type="msg"' "$W/wasim.log"; then
	pass wa40_ponton_to_baileys
else
	fail wa40_ponton_to_baileys "ponton rc $mrc; got: $(tr '\n' '|' < "$W/got-b")"
	tail -n 5 "$W/p1.out" "$W/p1.err"
fi
printf '%s\n' "réponse 1 from Baileys" "reply 2 ✓" "reply three" > "$W/want-p"
sed -n "s/^RECV $BLID $BJID 0 [^ ]* //p" "$W/p1.out" > "$W/got-p"
# Each one got a delivery receipt, then the ack (after it was stored).
racks=0
for id in $(sed -n "s/^RECV [^ ]* [^ ]* 0 \([^ ]*\) .*/\1/p" "$W/p1.out"); do
	lr=$(grep -n "recv <receipt id=\"$id\" to=\"$blid:1@lid\"/>" "$W/wasim.log" | cut -d: -f1 | head -1)
	la=$(grep -n "recv <ack id=\"$id\" class=\"message\"" "$W/wasim.log" | cut -d: -f1 | head -1)
	[ -n "$lr" ] && [ -n "$la" ] && [ "$lr" -lt "$la" ] && racks=$((racks + 1))
done
if [ $mrc -eq 0 ] && [ $brc -eq 0 ] && cmp -s "$W/want-p" "$W/got-p" &&
    [ $racks -eq 3 ] &&
    [ "$(grep -c '^SENT ' "$W/b1.out")" = 3 ]; then
	pass wa40_baileys_to_ponton
else
	fail wa40_baileys_to_ponton "ponton rc $mrc, baileys rc $brc; got: $(tr '\n' '|' < "$W/got-p")"
	tail -n 5 "$W/p1.out" "$W/b1.out" "$W/b1.out.err"
fi

# A second ponton run: its sessions come back from the database.
chat "$W/b2.out" --expect 1 --send "welcome back"
wh_wait_line '^MILESTONE open' 300 "$W/b2.out"
"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 40 --to "$BJID" --send "after restart" --expect 1 \
    > "$W/p2.out" 2> "$W/p2.err"
mrc=$?
wait $bpid
brc=$?
if [ $mrc -eq 0 ] && [ $brc -eq 0 ] &&
    grep -q '^RECV after restart$' "$W/b2.out" &&
    grep -q "^RECV $BLID $BJID 0 [^ ]* welcome back$" "$W/p2.out" &&
    id=$(sed -n 's/^SENT //p' "$W/p2.out") &&
    grep "recv <message id=\"$id\"" "$W/wasim.log" |
    grep -q "<to jid=\"$bjid:1@s.whatsapp.net\"><enc v=\"2\" type=\"msg\">"; then
	pass wa40_ponton_restart_keeps_sessions
else
	fail wa40_ponton_restart_keeps_sessions "ponton rc $mrc, baileys rc $brc"
	tail -n 5 "$W/p2.out" "$W/p2.err" "$W/b2.out"
fi

# Baileys loses its sessions: it cannot decrypt ponton's next message and
# sends a retry receipt; ponton drops its session with that device, fetches
# a fresh bundle and sends the message again (same id, to that device only,
# <enc count=1> as a direct child); Baileys decrypts it.
rm -f "$W"/auth-b/session-*.json
chat "$W/b8.out" --expect 1 --stay-ms 500
wh_wait_line '^MILESTONE open' 300 "$W/b8.out"
"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 30 --linger-ms 4000 --to "$BJID" --send "after Baileys lost it" \
    > "$W/p8.out" 2> "$W/p8.err"
mrc=$?
wait $bpid
brc=$?
rid=$(sed -n 's/^SENT //p' "$W/p8.out")
if [ $mrc -eq 0 ] && [ $brc -eq 0 ] && [ -n "$rid" ] &&
    grep -q '^RECV after Baileys lost it$' "$W/b8.out" &&
    grep -q "recv <receipt id=\"$rid\" type=\"retry\" to=\"$PLID:1@lid\"" "$W/wasim.log" &&
    grep "recv <message id=\"$rid\"" "$W/wasim.log" | grep 'device_fanout="false"' |
    grep -q "to=\"$bjid:1@s.whatsapp.net\".*><enc v=\"2\" type=\"pkmsg\" count=\"1\">" &&
    grep -q "recv <ack id=\"$rid\" [^>]*class=\"receipt\" type=\"retry\"" "$W/wasim.log"; then
	pass wa40_peer_retry_answered
else
	fail wa40_peer_retry_answered "ponton rc $mrc, baileys rc $brc, id '$rid'"
	tail -n 5 "$W/p8.out" "$W/p8.err"
	grep -v '^ \|^}\|^Closing' "$W/b8.out" | tail -n 5
fi

# ponton loses its sessions with Baileys (both address forms): the next
# message cannot be decrypted.  It is reported, a retry receipt (count 1,
# our registration id) goes to the sender, the stanza is acked (so it is not
# delivered again), Baileys fetches a fresh bundle and re-sends, and ponton
# decrypts the re-sent pkmsg.
sqlite3 "$W/p.db" "DELETE FROM whatsmeow_sessions WHERE their_id LIKE '${blid}_%' OR their_id LIKE '${bjid}:%'"
"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 20 --expect 1 > "$W/p6.out" 2> "$W/p6.err" &
ppid6=$!
wh_wait_line '^CONNECTED' 300 "$W/p6.out"
chat "$W/b6.out" --send "after session loss" --stay-ms 4000
wait $bpid
brc=$?
wait $ppid6
mrc=$?
uid=$(sed -n "s/^UNDECRYPTABLE $blid:1@lid \([0-9A-F]*\) .*/\1/p" "$W/p6.out" | head -1)
"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 3 --expect 1 > "$W/p7.out" 2> "$W/p7.err"
if [ $brc -eq 0 ] && [ $mrc -eq 0 ] && [ -n "$uid" ] &&
    grep -q "recv <receipt id=\"$uid\" to=\"$blid:1@lid\" type=\"retry\"><retry count=\"1\" id=\"$uid\" t=\"[0-9]*\" v=\"1\"/><registration>" "$W/wasim.log" &&
    grep -q "^RECV $BLID $BJID 0 $uid after session loss$" "$W/p6.out" &&
    grep -q '^CONNECTED' "$W/p7.out" && ! grep -q "$uid" "$W/p7.out"; then
	pass wa40_undecryptable_retry_recovers
else
	fail wa40_undecryptable_retry_recovers "ponton rc $mrc, baileys rc $brc, id '$uid'"
	tail -n 5 "$W/p6.out" "$W/p7.out"
fi

# The server refuses a message: the error and its code reach the caller.
wh_post /admin/message-error '{"phone": "33622220001", "code": "463"}' "$W/nack.json" > /dev/null
"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --timeout 30 --to "$BJID" --send "refused" > "$W/p5.out" 2> "$W/p5.err"
mrc=$?
nid=$(sed -n 's/^SEND-FAIL \(3EB0[0-9A-F]*\) .* 463$/\1/p' "$W/p5.out")
if [ $mrc -eq 1 ] && [ -n "$nid" ] &&
    grep -q "send <ack class=\"message\" id=\"$nid\" .*error=\"463\"" "$W/wasim.log" &&
    ! grep -q "send <message from=[^>]* id=\"$nid\"" "$W/wasim.log"; then
	pass wa40_server_error_463_surfaced
else
	fail wa40_server_error_463_surfaced "rc $mrc: $(tail -n 1 "$W/p5.out")"
fi

# --- whatsmeow ---------------------------------------------------------------
# Its driver reads commands from a file; the exchange goes through wasim's
# offline queue (each side runs while the other is away).
if WM=$(sh "$TOP/test/peers/whatsmeow/build.sh") && [ -x "$WM" ]; then
	wm() {	# wm OUT IN ARGS...
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
	WJID=33622220003@s.whatsapp.net
	if [ $wrc -eq 0 ] && grep -q '^CONNECTED 33622220003' "$W/wm0.out"; then
		pass wa40_whatsmeow_pair
	else
		fail wa40_whatsmeow_pair "rc $wrc $(grep -m1 '^ERROR' "$W/wm0.out")"
	fi
	"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
	    --timeout 40 --to "$WJID" --send "to whatsmeow 1" \
	    --send "to whatsmeow 2: ✓ ünï" --send "to whatsmeow 3" \
	    > "$W/p3.out" 2> "$W/p3.err"
	mrc=$?
	printf 'wait-message 20\nwait-message 20\nwait-message 20\nsend %s from whatsmeow 1\nsend %s from whatsmeow 2 ✓\nsend %s from whatsmeow 3\nquit\n' \
	    "$PJID" "$PJID" "$PJID" > "$W/wm-cmd1"
	wm "$W/wm1.out" "$W/wm-cmd1" connect
	wrc=$?
	printf '%s\n' "to whatsmeow 1" "to whatsmeow 2: ✓ ünï" "to whatsmeow 3" > "$W/want-w"
	sed -n "s/^RESULT wait-message $PLID:1@lid [0-9A-F]* //p" "$W/wm1.out" > "$W/got-w"
	if [ $mrc -eq 0 ] && [ $wrc -eq 0 ] && cmp -s "$W/want-w" "$W/got-w" &&
	    [ "$(sed -n 's/^SENT //p' "$W/p3.out")" = \
	      "$(sed -n "s/^RESULT wait-message $PLID:1@lid \([0-9A-F]*\) .*/\1/p" "$W/wm1.out")" ]; then
		pass wa40_ponton_to_whatsmeow
	else
		fail wa40_ponton_to_whatsmeow "ponton rc $mrc, whatsmeow rc $wrc; got: $(tr '\n' '|' < "$W/got-w")"
		tail -n 5 "$W/p3.out" "$W/wm1.out"
	fi
	WLID=$(sed -n 's/^PAIRED [^ ]* \([0-9]*\)[:@].*/\1/p' "$W/wm0.out" | head -1)
	"$MSG" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
	    --timeout 40 --expect 3 > "$W/p4.out" 2> "$W/p4.err"
	mrc=$?
	printf '%s\n' "from whatsmeow 1" "from whatsmeow 2 ✓" "from whatsmeow 3" > "$W/want-w2"
	sed -n "s/^RECV $WLID@lid $WJID 0 [^ ]* //p" "$W/p4.out" > "$W/got-w2"
	racks=0
	for id in $(sed -n "s/^RECV [^ ]* [^ ]* 0 \([^ ]*\) .*/\1/p" "$W/p4.out"); do
		lr=$(grep -n "recv <receipt id=\"$id\" to=\"$WLID:1@lid\"/>" "$W/wasim.log" | cut -d: -f1 | head -1)
		la=$(grep -n "recv <ack id=\"$id\" class=\"message\"" "$W/wasim.log" | cut -d: -f1 | head -1)
		[ -n "$lr" ] && [ -n "$la" ] && [ "$lr" -lt "$la" ] && racks=$((racks + 1))
	done
	if [ $mrc -eq 0 ] && [ -n "$WLID" ] && cmp -s "$W/want-w2" "$W/got-w2" &&
	    [ $racks -eq 3 ] &&
	    [ "$(sed -n 's/^RESULT send \([0-9A-F]*\)$/\1/p' "$W/wm1.out")" = \
	      "$(sed -n 's/^RECV [^ ]* [^ ]* 0 \([^ ]*\) .*/\1/p' "$W/p4.out")" ]; then
		pass wa40_whatsmeow_to_ponton
	else
		fail wa40_whatsmeow_to_ponton "ponton rc $mrc, receipts+acks $racks; got: $(tr '\n' '|' < "$W/got-w2")"
		tail -n 5 "$W/p4.out" "$W/wm1.out"
	fi
else
	fail wa40_whatsmeow_driver_built
fi

if wh_stop && wh_logs_clean && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W"/p*.err; then
	pass wa40_clean_exit
else
	fail wa40_clean_exit
fi
wh_finish
