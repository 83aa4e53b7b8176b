#!/bin/sh
# wasim's TLS websocket listener (--wss-port) and chunked admin bodies, the
# two things Baileys' own e2e suite needs (test/peers/baileys-e2e/run.sh):
# it dials wss:// only and posts its QR to the socket's host and port with
# node's http(s).request and no Content-Length (Transfer-Encoding: chunked).
#
#   wss_port_file        WASIM_WSS_PORT / WASIM_WSS_URL in the port file
#   wss_health           GET /health over TLS on the wss port
#   wss_tls_only         plain HTTP on the wss port gets no answer
#   baileys_wss_qr       the pinned Baileys, dialling wss://, shows a QR
#   wss_scan_qr_chunked  the QR posted chunked over TLS to the wss port pairs
#   baileys_wss_open     ... and Baileys reaches 'open' over wss
#   chunked_keepalive    three chunked POSTs on one keep-alive agent, over
#                        TLS and plain: each body decoded and answered
#   chunked_split        a body in several chunks, with an extension and a
#                        trailer, reassembled
#   chunked_malformed    bad chunk framing: 400 "bad chunked body"
#   chunked_too_big      a chunk size over the 64 KiB cap, and a chunked
#                        body over it: 413, nothing buffered past the cap
#   wasim_clean_exit     SIGTERM: exit 0, no sanitizer report
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
wh_init wasim-wss
CH="node $WH_PEER/chunked.mjs"

if wh_start "$W" --wss-port 0 && [ -n "${WASIM_WSS_PORT:-}" ] &&
    [ "${WASIM_WSS_URL:-}" = "wss://127.0.0.1:$WASIM_WSS_PORT/ws/chat" ]; then
	pass wss_port_file
else
	fail wss_port_file "$(cat "$W/ports" 2>/dev/null | tr '\n' ' ')"
	wh_finish
fi
WSS_HTTP=https://127.0.0.1:$WASIM_WSS_PORT
SCAN=/admin/mock-phone/scan-qr

if curl -sk --max-time 10 "$WSS_HTTP/health" | grep -q '"ok":true'; then
	pass wss_health
else
	fail wss_health
fi
if curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$WASIM_WSS_PORT/health"; then
	fail wss_tls_only "plain HTTP answered on the TLS port"
else
	pass wss_tls_only
fi

# --- Baileys over wss, QR posted chunked over TLS ---------------------------------
NODE_TLS_REJECT_UNAUTHORIZED=0 node "$WH_PEER/pair.mjs" --url "$WASIM_WSS_URL" \
    --root "$WASIM_ROOT_PUB" --auth "$W/auth" --timeout-ms 60000 \
    --expect-new-login > "$W/pair.out" 2> "$W/pair.err" &
wh_dpid=$!
if wh_wait_line '^QR https://wa.me/settings/linked_devices#2@' 300 "$W/pair.out"; then
	pass baileys_wss_qr
	qr=$(sed -n 's/^QR //p' "$W/pair.out" | head -1)
	$CH post "$WSS_HTTP$SCAN" "$qr" > "$W/scan.out"
	if grep -q '^200 .*"device":1' "$W/scan.out"; then
		pass wss_scan_qr_chunked
	else
		fail wss_scan_qr_chunked "$(cut -c1-200 "$W/scan.out")"
	fi
else
	fail baileys_wss_qr "$(tail -3 "$W/pair.err")"
fi
wh_baileys_wait
rc=$?
phone=$(sed -n 's/.*"phone":"\([0-9]*\)".*/\1/p' "$W/scan.out" 2>/dev/null)
if [ $rc -eq 0 ] && [ -n "$phone" ] &&
    grep -q "^MILESTONE open $phone:1@s.whatsapp.net" "$W/pair.out"; then
	pass baileys_wss_open
else
	fail baileys_wss_open "exit $rc: $(grep RESULT "$W/pair.out")"
fi

# --- Chunked bodies ---------------------------------------------------------------
# Four fields decoded get past the field count to the key check: the body
# was read, not taken as empty (which says "4 or 5 comma-separated fields").
$CH post "$WSS_HTTP$SCAN" "a,b,c,d" 3 > "$W/ka-tls.out"
$CH post "$WASIM_ADMIN_URL$SCAN" "a,b,c,d" 3 > "$W/ka-plain.out"
if [ "$(grep -c '^400 .*QR keys are not base64' "$W/ka-tls.out")" = 3 ] &&
    [ "$(grep -c '^400 .*QR keys are not base64' "$W/ka-plain.out")" = 3 ]; then
	pass chunked_keepalive
else
	fail chunked_keepalive "$(cat "$W/ka-tls.out" "$W/ka-plain.out" | tr '\n' ' ')"
fi
REQ="POST $SCAN HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
out=$($CH raw "$WASIM_ADMIN_PORT" "${REQ}2;ext=1\r\na,\r\n5\r\nb,c,d\r\n0\r\nX-Trailer: 1\r\n\r\n")
if echo "$out" | grep -q '^400 .*QR keys are not base64'; then
	pass chunked_split
else
	fail chunked_split "$out"
fi
out=$($CH raw "$WASIM_ADMIN_PORT" "${REQ}zz\r\nab\r\n0\r\n\r\n")
if echo "$out" | grep -q '^400 .*bad chunked body'; then
	pass chunked_malformed
else
	fail chunked_malformed "$out"
fi
out1=$($CH raw "$WASIM_ADMIN_PORT" "${REQ}FFFFFFFFFFFF\r\nab\r\n")
big=$(head -c 70000 /dev/zero | tr '\0' 'x')
out2=$($CH post "$WSS_HTTP$SCAN" "$big")
if echo "$out1" | grep -q '^413 ' && echo "$out2" | grep -q '^413 '; then
	pass chunked_too_big
else
	fail chunked_too_big "$out1 / $(echo "$out2" | cut -c1-100)"
fi

if wh_stop && wh_logs_clean; then
	pass wasim_clean_exit
else
	fail wasim_clean_exit
fi
wh_finish
