#!/bin/sh
# 1:1 messages between two Baileys clients through wasim (test/wasim/route.c):
#
#   wasim_msg_pair_two           two clients pair (different accounts)
#   baileys_presence_subscribe   A subscribes to B's presence and sees B
#                                become available
#   baileys_chatstate            B sees A composing
#   baileys_msg_delivered        A's text reaches B, who decrypts it
#   baileys_msg_read_receipt     B's read receipt reaches A (status READ)
#   baileys_msg_reply            B's reply reaches A
#   baileys_msg_offline_queue    a text sent while B is offline is delivered
#                                at B's next login, before the offline marker
#   baileys_group_create         A creates a group with B (w:g2 create)
#   baileys_group_message        A's group text (sender key + skmsg fan-out)
#                                reaches B; B's read receipt reaches A
#   baileys_group_reply          B's group reply (after a metadata query)
#                                reaches A
#   baileys_group_{add,promote,subject,received,add_409,remove,
#     not_received,leave_seen,query_403}   group administration with
#                                test/peers/baileys/grp.mjs: A adds,
#                                promotes, renames, removes B; B leaves;
#                                removed members get nothing and cannot
#                                read the metadata
#   baileys_media_document       a document goes through wasim's HTTPS media
#                                server (upload, media_conn, download)
#   wasim_media_refuses          wrong upload auth 401, unknown blob 404
#   baileys_retry_receipt        B lost its sessions: its retry receipt
#                                reaches A, A re-sends, B decrypts
#   baileys_second_device_gets_messages   a device paired while a peer is
#                                online gets the peer's next message
#                                (devices notification, multidev.mjs)
#   wasim_groups_persist         groups (members, admins, subject) survive a
#                                restart on the same --state-dir
#   wasim_msg_clean_exit         wasim exits 0 with no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init wasim-msg

wh_start "$W" --state-dir "$W/state" || { fail wasim_msg_start; wh_finish; }
ok=1
for p in a b; do
	wh_baileys "$W/pair-$p.out" --auth "$W/auth-$p" --push-name "Msg User $p" \
	    --timeout-ms 60000 --expect-new-login
	if wh_wait_line '^QR ' 300 "$W/pair-$p.out"; then
		wh_post /admin/mock-phone/scan-qr \
		    "$(sed -n 's/^QR //p' "$W/pair-$p.out" | head -1)" "$W/scan-$p.json" >/dev/null
	fi
	wh_baileys_wait || ok=0
done
if [ $ok -eq 1 ] && ! cmp -s "$W/scan-a.json" "$W/scan-b.json"; then
	pass wasim_msg_pair_two
else
	fail wasim_msg_pair_two
	wh_finish
fi

msg() {	# msg OUT ARGS...
	out=$1
	shift
	node "$WH_PEER/msg.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
	    --auth-a "$W/auth-a" --auth-b "$W/auth-b" --timeout-ms 60000 "$@" \
	    > "$out" 2> "$out.err"
}
msg "$W/live.out" --text "hello through wasim" --presence
grep -q '^MILESTONE presence a available$' "$W/live.out" &&
    pass baileys_presence_subscribe || fail baileys_presence_subscribe
grep -q '^MILESTONE chatstate b composing$' "$W/live.out" &&
    pass baileys_chatstate || fail baileys_chatstate
grep -q '^MILESTONE received b hello through wasim$' "$W/live.out" &&
    pass baileys_msg_delivered || fail baileys_msg_delivered "$(grep RESULT "$W/live.out")"
grep -q '^MILESTONE read a$' "$W/live.out" &&
    pass baileys_msg_read_receipt || fail baileys_msg_read_receipt
grep -q '^MILESTONE received a reply from B$' "$W/live.out" && grep -q '^RESULT ok' "$W/live.out" &&
    pass baileys_msg_reply || fail baileys_msg_reply

msg "$W/late.out" --text "while you were away" --b-late-ms 1500
if grep -q '^MILESTONE received b while you were away$' "$W/late.out" &&
    grep -q '^RESULT ok' "$W/late.out" &&
    grep -q 'send <ib from="s.whatsapp.net"><offline count="[1-9]' "$W/wasim.log"; then
	pass baileys_msg_offline_queue
else
	fail baileys_msg_offline_queue "$(grep RESULT "$W/late.out")"
fi

msg "$W/group.out" --group --text "hello group"
grep -q '^MILESTONE group [0-9]*@g.us 2$' "$W/group.out" &&
    pass baileys_group_create || fail baileys_group_create "$(grep RESULT "$W/group.out")"
grep -q '^MILESTONE received b hello group$' "$W/group.out" &&
    grep -q '^MILESTONE read a$' "$W/group.out" &&
    pass baileys_group_message || fail baileys_group_message
grep -q '^MILESTONE received a reply from B$' "$W/group.out" && grep -q '^RESULT ok' "$W/group.out" &&
    pass baileys_group_reply || fail baileys_group_reply

node "$WH_PEER/grp.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
    --auth-a "$W/auth-a" --auth-b "$W/auth-b" > "$W/admin.out" 2> "$W/admin.out.err"
for m in 'b add' 'b promote' 'b subject renamed' 'b received members only' \
    'a add-409' 'b remove' 'b not-received' 'a leave-seen' 'b query-403'; do
	name=baileys_group_$(echo "$m" | cut -d' ' -f2 | tr -- '-' '_')
	if grep -q "^MILESTONE $m\$" "$W/admin.out"; then
		pass "$name"
	else
		fail "$name" "$(grep RESULT "$W/admin.out")"
	fi
done

# Media: A sends a 200 KiB document; it is uploaded to wasim's HTTPS media
# server (self-signed), routed, downloaded and decrypted by B.
msg "$W/media.out" --document
if grep -q '^MILESTONE media b ok 204800$' "$W/media.out" &&
    grep -q 'media: stored' "$W/wasim.log"; then
	pass baileys_media_document
else
	fail baileys_media_document "$(grep RESULT "$W/media.out")"
fi
mu=$(curl -s "$WASIM_ADMIN_URL/health" | sed -n 's/.*"media_url":"\([^"]*\)".*/\1/p')
c1=$(curl -sk -o /dev/null -w '%{http_code}' --data-binary x "$mu/mms/document/x?auth=wrong&token=x")
c2=$(curl -sk -o /dev/null -w '%{http_code}' "$mu/wasim/m/00000000000000000000000000000000.enc")
if [ "$c1" = 401 ] && [ "$c2" = 404 ]; then
	pass wasim_media_refuses
else
	fail wasim_media_refuses "upload $c1, download $c2"
fi

# B loses its Signal sessions: A's next message cannot be decrypted, B
# sends a retry receipt (with its keys) through wasim to A's device, A
# re-encrypts, B decrypts.
rm -f "$W"/auth-b/session-*.json
msg "$W/retry.out" --text "after session loss"
if grep -q '^MILESTONE received b after session loss$' "$W/retry.out" &&
    grep -q 'recv <receipt [^>]*type="retry"' "$W/wasim.log"; then
	pass baileys_retry_receipt
else
	fail baileys_retry_receipt "$(grep RESULT "$W/retry.out")"
fi

# A second device joins A's account while B is online: wasim's devices
# notification makes B include it in its next send.
node "$WH_PEER/multidev.mjs" --url "$WASIM_WS_URL" --admin "$WASIM_ADMIN_URL" \
    --root "$WASIM_ROOT_PUB" --auth-a "$W/auth-a" --auth-b "$W/auth-b" \
    --auth-a2 "$W/auth-a2" --push-name "Msg User a" > "$W/multi.out" 2> "$W/multi.out.err"
if grep -q '^MILESTONE b cached$' "$W/multi.out" &&
    grep -q '^MILESTONE a2 received second$' "$W/multi.out" &&
    grep -q 'type="devices"' "$W/wasim.log"; then
	pass baileys_second_device_gets_messages
else
	fail baileys_second_device_gets_messages "$(grep RESULT "$W/multi.out")"
fi

curl -s "$WASIM_ADMIN_URL/admin/groups" > "$W/groups1.json"
stop_ok=1
wh_stop || stop_ok=0
# Groups survive a restart on the same state dir.
if wh_start "$W/r" --state-dir "$W/state"; then
	curl -s "$WASIM_ADMIN_URL/admin/groups" > "$W/groups2.json"
	if cmp -s "$W/groups1.json" "$W/groups2.json" &&
	    grep -q '"subject":"renamed"' "$W/groups2.json"; then
		pass wasim_groups_persist
	else
		fail wasim_groups_persist "$(cat "$W/groups2.json")"
	fi
	wh_stop || stop_ok=0
else
	fail wasim_groups_persist "restart"
fi
if [ $stop_ok -eq 1 ] && wh_logs_clean; then
	pass wasim_msg_clean_exit
else
	fail wasim_msg_clean_exit
fi
wh_finish
