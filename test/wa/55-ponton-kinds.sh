#!/bin/sh
# Every message kind of waweb/content.c between ponton (test/tools/wa_kinds)
# and real clients, Baileys (test/peers/baileys/kinds.mjs) and whatsmeow
# (test/peers/whatsmeow/kinds.go), all paired with wasim.  Each side prints
# one canonical line per message (wa_content_line's format, which the peer
# drivers compute from their own decoded message objects), and the lines
# must be exactly equal, message by message (by id):
#
#   wa55_pair                    Baileys, ponton and whatsmeow pair
#   wa55_baileys_to_ponton       text with marks, mention, reply, image,
#                                video, voice, audio, document, sticker
#                                (message fields only: fake media), location,
#                                contact, contacts, single- and multi-choice
#                                polls, reaction and its removal, edit,
#                                delete, group invite: built by Baileys'
#                                sendMessage / relayMessage, decoded by ponton
#   wa55_ponton_to_baileys       the same set and a GIF, live location, a
#                                forwarded text and a vote on ponton's own
#                                poll, built by ponton, decoded by Baileys;
#                                the vote is opened by Baileys' decryptPollVote
#                                (reaction and vote keys are compared by id:
#                                Baileys rewrites their remoteJid/fromMe to
#                                its own point of view)
#   wa55_ponton_to_baileys_group   the same set in a group ponton creates
#                                with Baileys (sender keys)
#   wa55_baileys_to_ponton_group   Baileys' set in that group, decoded by
#                                ponton
#   wa55_whatsmeow_to_ponton     whatsmeow's kinds (its BuildPollCreation,
#                                BuildReaction, BuildEdit, BuildRevoke...)
#                                decoded by ponton; whatsmeow's vote on
#                                ponton's poll (BuildPollVote) is opened by
#                                ponton
#   wa55_ponton_to_whatsmeow     ponton's set decoded by whatsmeow; ponton's
#                                vote on its own poll and on whatsmeow's poll
#                                opened by whatsmeow's DecryptPollVote
#   wa55_ponton_to_whatsmeow_group   ponton's set in a group with whatsmeow
#   wa55_clean_exit              no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init ponton-kinds
KINDS=$TOP/$BUILD/san/tools/wa_kinds
CLIENT=$TOP/$BUILD/san/tools/wa_client
for b in "$KINDS" "$CLIENT"; do
	[ -x "$b" ] || { fail wa55_tools_built "$b"; wh_finish; }
done

wh_start "$W" --state-dir "$W/state" || { fail wa55_wasim_starts; wh_finish; }
echo "$WASIM_ROOT_PUB" > "$W/root"
mkdir -p "$W/dump-b" "$W/dump-w"

# --- Pairing -------------------------------------------------------------------
wh_baileys "$W/pair-b.out" --auth "$W/auth-b" --push-name "Bailey" \
    --timeout-ms 60000 --expect-new-login
if wh_wait_line '^QR ' 300 "$W/pair-b.out"; then
	wh_post /admin/mock-phone/scan-qr \
	    "$(sed -n 's/^QR //p' "$W/pair-b.out" | head -1)" "$W/scan-b.json" >/dev/null
fi
wh_baileys_wait
bjid=$(sed -n 's/^MILESTONE open \([0-9]*\)[:@].*/\1/p' "$W/pair-b.out" | head -1)
"$CLIENT" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
    --exit-on connected --timeout 40 > "$W/pair-p.out" 2> "$W/pair-p.err" &
cpid=$!
if wh_wait_line '^QR ' 300 "$W/pair-p.out"; then
	wh_post '/admin/mock-phone/scan-qr?phone=33622220001' \
	    "$(sed -n 's/^QR //p' "$W/pair-p.out" | head -1)" "$W/scan-p.json" >/dev/null
fi
wait $cpid
prc=$?
BJID=$bjid@s.whatsapp.net
PJID=33622220001@s.whatsapp.net
WJID=33622220003@s.whatsapp.net

WM=""
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
else
	wrc=1
fi
if [ -n "$bjid" ] && [ $prc -eq 0 ] && grep -q '^CONNECTED$' "$W/pair-p.out" &&
    [ $wrc -eq 0 ] && grep -q '^CONNECTED 33622220003' "$W/wm0.out"; then
	pass wa55_pair
else
	fail wa55_pair "baileys '$bjid', ponton rc $prc, whatsmeow rc $wrc"
	wh_finish
fi

kinds() {	# kinds OUT ARGS...: ponton's wa_kinds in the foreground
	k_out=$1
	shift
	"$KINDS" --db "$W/p.db" --url "$WASIM_WS_URL" --root-file "$W/root" \
	    "$@" > "$k_out" 2> "$k_out.err"
}
bkinds() {	# bkinds OUT ARGS...: Baileys' kinds.mjs in the foreground
	b_out=$1
	shift
	node "$WH_PEER/kinds.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
	    --auth "$W/auth-b" --peer "$PJID" --timeout-ms 90000 "$@" \
	    > "$b_out" 2> "$b_out.err"
}
# lines FILE TAG: "<id> <line>" of every TAG line, sorted by id.
lines() {
	sed -n "s/^$2 //p" "$1" | sort
}
# Reaction and vote keys as Baileys shows them are rewritten to its own
# point of view (remoteJid = the chat, fromMe flipped, an empty
# participant added): compare their ids.
norm_keys() {
	sed -E '/ (reaction|poll_vote)\|/ s/\|key_chat=[^|]*//; / (reaction|poll_vote)\|/ s/\|key_from_me=[01]//; / (reaction|poll_vote)\|/ s/\|key_participant=(\||$)/\1/'
}
same() {	# same WANT GOT: equal, and not empty
	[ -s "$1" ] && cmp -s "$1" "$2"
}

# --- Baileys -> ponton -----------------------------------------------------------
# Baileys sends everything (queued by wasim), then ponton connects and reads.
bkinds "$W/b1.out" --send-all
brc=$?
nb=$(grep -c '^SENT ' "$W/b1.out")
kinds "$W/p1.out" --timeout 60 --expect "$nb" --dump-dir "$W/dump-b"
krc=$?
lines "$W/b1.out" SENT > "$W/want1"
lines "$W/p1.out" RECV > "$W/got1"
if [ $brc -eq 0 ] && [ $krc -eq 0 ] && [ "$nb" -ge 18 ] && same "$W/want1" "$W/got1"; then
	pass wa55_baileys_to_ponton
else
	fail wa55_baileys_to_ponton "baileys rc $brc ($nb sent), ponton rc $krc"
	diff "$W/want1" "$W/got1" | head -20
	tail -n 3 "$W/b1.out" "$W/p1.out" "$W/p1.out.err"
fi

# --- ponton -> Baileys -----------------------------------------------------------
# Baileys is online: from its offline queue, Baileys' event buffer would
# fold the edit and the revoke into the messages they change.
bkinds "$W/b2.out" --expect 21 --stay-ms 500 &
bpid=$!
wh_wait_line '^MILESTONE open' 300 "$W/b2.out"
sleep 2
kinds "$W/p2.out" --timeout 60 --to "$BJID" --send-all
krc=$?
np=$(grep -c '^SENT ' "$W/p2.out")
wait $bpid
brc=$?
lines "$W/p2.out" SENT | norm_keys > "$W/want2"
lines "$W/b2.out" GOT | norm_keys > "$W/got2"
if [ $brc -eq 0 ] && [ $krc -eq 0 ] && [ "$np" -ge 21 ] && same "$W/want2" "$W/got2" &&
    grep -q '^VOTE-OPENED ' "$W/b2.out"; then
	pass wa55_ponton_to_baileys
else
	fail wa55_ponton_to_baileys "ponton rc $krc ($np sent), baileys rc $brc"
	diff "$W/want2" "$W/got2" | head -20
	tail -n 3 "$W/p2.out" "$W/p2.out.err" "$W/b2.out"
fi

# --- ponton -> Baileys in a group ------------------------------------------------------
# ponton creates a group with Baileys and sends the same set there (sender
# key, skmsg); keys of its own messages name no participant, as whatsmeow's
# BuildMessageKey; Baileys fills in the participant of reaction and vote
# keys itself (compared by id as above).
bkinds "$W/b6.out" --expect 21 --stay-ms 500 &
bpid=$!
wh_wait_line '^MILESTONE open' 300 "$W/b6.out"
sleep 2
kinds "$W/p6.out" --timeout 60 --group-create "kinds group" --member "$BJID" \
    --send-all
krc=$?
np=$(grep -c '^SENT ' "$W/p6.out")
wait $bpid
brc=$?
lines "$W/p6.out" SENT | norm_keys > "$W/want6"
lines "$W/b6.out" GOT | norm_keys | sed -E '/ (reaction|poll_vote)\|/ s/\|key_participant=[^|]*//' > "$W/got6"
if [ $brc -eq 0 ] && [ $krc -eq 0 ] && [ "$np" -ge 21 ] && grep -q '^GROUP [0-9-]*@g.us$' "$W/p6.out" &&
    same "$W/want6" "$W/got6" && grep -q '^VOTE-OPENED ' "$W/b6.out"; then
	pass wa55_ponton_to_baileys_group
else
	fail wa55_ponton_to_baileys_group "ponton rc $krc ($np sent), baileys rc $brc"
	diff "$W/want6" "$W/got6" | head -20
	tail -n 3 "$W/p6.out" "$W/p6.out.err" "$W/b6.out"
fi

# Baileys sends its set to that group (queued), ponton reads it.
GID=$(sed -n 's/^GROUP //p' "$W/p6.out")
bkinds "$W/b7.out" --send-all --peer-override "$GID"
brc=$?
nb=$(grep -c '^SENT ' "$W/b7.out")
kinds "$W/p8.out" --timeout 60 --expect "$nb" --dump-dir "$W/dump-b"
krc=$?
lines "$W/b7.out" SENT > "$W/want8"
lines "$W/p8.out" RECV > "$W/got8"
if [ -n "$GID" ] && [ $brc -eq 0 ] && [ $krc -eq 0 ] && [ "$nb" -ge 18 ] && same "$W/want8" "$W/got8"; then
	pass wa55_baileys_to_ponton_group
else
	fail wa55_baileys_to_ponton_group "group '$GID', baileys rc $brc ($nb sent), ponton rc $krc"
	diff "$W/want8" "$W/got8" | head -20
	tail -n 3 "$W/b7.out" "$W/p8.out" "$W/p8.out.err"
fi

# --- ponton <-> whatsmeow ------------------------------------------------------------
# Through wasim's offline queue, each side running while the other is away.
# whatsmeow decrypts a vote with the voter and creator as the message came
# (LID addressing here), so ponton votes under its LID (--vote-as lid).
kinds "$W/p3.out" --timeout 60 --to "$WJID" --send-all --vote-as lid \
    --polls-file "$W/ppolls"
krc=$?
np=$(grep -c '^SENT ' "$W/p3.out")
printf 'kinds-polls %s\nkinds-wait %s 60\nkinds-vote None\nkinds-send %s\nquit\n' \
    "$W/wmpolls" "$np" "$PJID" > "$W/wm-cmd1"
wm "$W/wm1.out" "$W/wm-cmd1" connect
wrc=$?
lines "$W/p3.out" SENT > "$W/want3"
lines "$W/wm1.out" GOT > "$W/got3"
if [ $krc -eq 0 ] && [ $wrc -eq 0 ] && [ "$np" -ge 21 ] && same "$W/want3" "$W/got3" &&
    ! grep -q '^VOTE-FAILED' "$W/wm1.out"; then
	pass wa55_ponton_to_whatsmeow_own_poll
else
	fail wa55_ponton_to_whatsmeow_own_poll "ponton rc $krc ($np sent), whatsmeow rc $wrc"
	diff "$W/want3" "$W/got3" | head -20
	grep -E '^(RESULT|VOTE-FAILED|ERROR)' "$W/wm1.out" | tail -n 5
fi

nw=$(grep -c '^SENT ' "$W/wm1.out")
kinds "$W/p4.out" --timeout 60 --expect "$nw" --polls-file "$W/ppolls" \
    --vote-received blue --vote-as lid --dump-dir "$W/dump-w"
krc=$?
lines "$W/wm1.out" SENT > "$W/want4"
lines "$W/p4.out" RECV > "$W/got4"
if [ $krc -eq 0 ] && [ "$nw" -ge 15 ] && same "$W/want4" "$W/got4" &&
    grep -q ' poll_vote|.*|vote=None$' "$W/got4"; then
	pass wa55_whatsmeow_to_ponton
else
	fail wa55_whatsmeow_to_ponton "ponton rc $krc ($nw sent by whatsmeow)"
	diff "$W/want4" "$W/got4" | head -20
	tail -n 3 "$W/p4.out" "$W/p4.out.err"
fi

# ponton's vote (on whatsmeow's poll, sent by the run above) opened by
# whatsmeow's DecryptPollVote.
printf 'kinds-polls %s\nkinds-wait 1 60\nquit\n' "$W/wmpolls" > "$W/wm-cmd2"
wm "$W/wm2.out" "$W/wm-cmd2" connect
wrc=$?
sed -n 's/^SENT //p' "$W/p4.out" | sort > "$W/want5"
lines "$W/wm2.out" GOT > "$W/got5"
if [ $wrc -eq 0 ] && same "$W/want5" "$W/got5" &&
    grep -q ' poll_vote|.*|vote=blue$' "$W/got5"; then
	pass wa55_ponton_votes_on_whatsmeow_poll
else
	fail wa55_ponton_votes_on_whatsmeow_poll "whatsmeow rc $wrc"
	diff "$W/want5" "$W/got5" | head -5
	grep -E '^(RESULT|VOTE-FAILED|ERROR)' "$W/wm2.out" | tail -n 5
fi

# The set in a group ponton creates with whatsmeow (offline: sender key and
# group messages wait in wasim's queue), decoded by whatsmeow line for
# line, ponton's vote opened by DecryptPollVote.
kinds "$W/p7.out" --timeout 60 --group-create "wm kinds" --member "$WJID" \
    --send-all --vote-as lid --polls-file "$W/ppolls"
krc=$?
np=$(grep -c '^SENT ' "$W/p7.out")
printf 'kinds-polls %s\nkinds-wait %s 60\nquit\n' "$W/wmpolls" "$np" > "$W/wm-cmd3"
wm "$W/wm3.out" "$W/wm-cmd3" connect
wrc=$?
lines "$W/p7.out" SENT > "$W/want7"
lines "$W/wm3.out" GOT > "$W/got7"
if [ $krc -eq 0 ] && [ $wrc -eq 0 ] && [ "$np" -ge 21 ] && same "$W/want7" "$W/got7" &&
    ! grep -q '^VOTE-FAILED' "$W/wm3.out"; then
	pass wa55_ponton_to_whatsmeow_group
else
	fail wa55_ponton_to_whatsmeow_group "ponton rc $krc ($np sent), whatsmeow rc $wrc"
	diff "$W/want7" "$W/got7" | head -20
	grep -E '^(RESULT|VOTE-FAILED|ERROR)' "$W/wm3.out" | tail -n 5
fi

if wh_stop && wh_logs_clean && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W"/p*.err; then
	pass wa55_clean_exit
else
	fail wa55_clean_exit
fi
wh_finish
