#!/bin/sh
# ponton's own WhatsApp client against wasim: QR pairing, pairing code,
# login with a stored session, certificate trust, stream errors and
# reconnects.  Drives $BUILD/san/tools/wa_client (events as lines) and
# wasim's admin API; prints PASS:/FAIL: lines.
#
# Ports: 18100-18199 (this helper's range), fixed so wasim can be restarted
# on the same address for the reconnect case.
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP" || exit 2
WASIM=$BUILD/san/wasim
CLIENT=$BUILD/san/tools/wa_client
PONTON=$BUILD/san/ponton
T=$(mktemp -d /tmp/ponton-wa30.XXXXXX)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
WS1=18121 AD1=18122 WS2=18123 AD2=18124 WS3=18125
PIDS=""
status=0

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	# Wait for them to be gone (ASan's exit checks take a moment) so
	# that the ports are free for the next run.
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

# wait_line FILE REGEX SECONDS: wait until a line matches.
wait_line() {
	i=0
	while [ $i -lt $(( $3 * 10 )) ]; do
		grep -q -E "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_count FILE REGEX N SECONDS: wait until N lines match.
wait_count() {
	i=0
	while [ $i -lt $(( $4 * 10 )) ]; do
		[ "$(grep -c -E "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_exit PID SECONDS: wait for a background process; its status in $rc.
wait_exit() {
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

# start_wasim NAME WSPORT ADMINPORT: start wasim with its state in $T/NAME.
start_wasim() {
	rm -f "$T/$1.ports"
	"$WASIM" --port "$2" --admin-port "$3" --port-file "$T/$1.ports" \
	    --root-pub-file "$T/$1.root" --state-dir "$T/$1.state" \
	    --qr-first-ms 20000 --qr-next-ms 20000 --offline-delay-ms 100 \
	    >> "$T/$1.log" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
	wait_line "$T/$1.ports" WASIM_PID 15
}

admin() {	# admin PORT PATH BODY
	curl -s -S -m 10 -X POST --data-binary "$3" "http://127.0.0.1:$1$2"
}

# client NAME DB ARGS...: wa_client in the background, output in $T/NAME.out.
client() {
	name=$1 db=$2
	shift 2
	"$CLIENT" --db "$T/$db" --backoff-ms 200 "$@" > "$T/$name.out" \
	    2> "$T/$name.err" &
	CPID=$!
	PIDS="$PIDS $CPID"
}

for b in "$WASIM" "$CLIENT" "$PONTON"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: wa30: $b is missing (make test-bins)"
		exit 1
	fi
done

start_wasim sim1 $WS1 $AD1 || { fail wa30_wasim_starts "$T/sim1.log"; exit 1; }
URL1=ws://127.0.0.1:$WS1/ws/chat

# 1. QR pairing reaches connected (pair-success, 515, login, prekeys).
client qr a.db --url "$URL1" --root-file "$T/sim1.root" --exit-on connected \
    --timeout 40
if wait_line "$T/qr.out" '^QR https://wa\.me/settings/linked_devices#[^,]+,[^,]+,[^,]+,[^,]+,1$' 15; then
	qr=$(grep '^QR ' "$T/qr.out" | head -1 | cut -d' ' -f2-)
	admin $AD1 '/admin/mock-phone/scan-qr?phone=33611110001' "$qr" > "$T/scan.json"
	if wait_exit $CPID 30 && [ $rc -eq 0 ] &&
	    grep -q '^PAIRED 33611110001:[0-9]*@s.whatsapp.net [0-9]*:[0-9]*@lid$' "$T/qr.out" &&
	    grep -q '^STATE PAIRING WAIT_RECONNECT stream error 515' "$T/qr.out" &&
	    grep -q '^CONNECTED$' "$T/qr.out"; then
		pass wa30_pair_qr_reaches_connected
	else
		fail wa30_pair_qr_reaches_connected "$T/qr.out" "$T/qr.err" "$T/scan.json"
	fi
else
	fail wa30_pair_qr_reaches_connected "$T/qr.out" "$T/qr.err"
fi

# The session is in mautrix's tables: whatsmeow_device, prekeys uploaded,
# the accepted WhatsApp Web version in kv_store.
n=$(sqlite3 "$T/a.db" "SELECT COUNT(*) FROM whatsmeow_device WHERE jid LIKE '33611110001:%'" 2>&1)
k=$(sqlite3 "$T/a.db" "SELECT COUNT(*) FROM whatsmeow_pre_keys WHERE uploaded" 2>&1)
v=$(sqlite3 "$T/a.db" "SELECT value FROM kv_store WHERE key = 'whatsapp_web_version'" 2>&1)
i=$(sqlite3 "$T/a.db" "SELECT COUNT(*) FROM whatsmeow_identity_keys WHERE their_id LIKE '%_1:0' AND length(identity) = 32" 2>&1)
m=$(sqlite3 "$T/a.db" "SELECT COUNT(*) FROM whatsmeow_lid_map WHERE pn = '33611110001'" 2>&1)
if [ "$n" = 1 ] && [ "$k" -ge 812 ] 2>/dev/null && [ -n "$v" ] && [ "$i" = 1 ] &&
    [ "$m" = 1 ]; then
	pass wa30_session_stored_in_whatsmeow_tables
else
	echo "device rows: $n, uploaded prekeys: $k, version: $v, phone identity: $i, lid map: $m"
	fail wa30_session_stored_in_whatsmeow_tables
fi

# QR refs rotate (6 distinct codes, same keys) and run out: PAIR_TIMEOUT.
client qrto q.db --url "$URL1" --root-file "$T/sim1.root" --qr-first-ms 400 \
    --qr-next-ms 150 --timeout 15
wait_exit $CPID 20
nq=$(grep -c '^QR ' "$T/qrto.out")
nd=$(grep '^QR ' "$T/qrto.out" | sort -u | wc -l)
nk=$(grep '^QR ' "$T/qrto.out" | cut -d, -f2-5 | sort -u | wc -l)
if [ "$rc" -ne 0 ] && [ "$nq" = 6 ] && [ "$nd" = 6 ] && [ "$nk" = 1 ] &&
    grep -q '^STATE PAIRING PAIR_TIMEOUT ' "$T/qrto.out"; then
	pass wa30_qr_rotates_then_times_out
else
	echo "QR lines: $nq, distinct: $nd, distinct key fields: $nk"
	fail wa30_qr_rotates_then_times_out "$T/qrto.out" "$T/qrto.err"
fi

# After login the server delivers its (empty) offline queue with
# <ib><offline count="0"/></ib>, reported as an event.
client offline a.db --url "$URL1" --root-file "$T/sim1.root" --exit-on offline \
    --timeout 20
if wait_exit $CPID 25 && [ $rc -eq 0 ] && grep -q '^OFFLINE 0$' "$T/offline.out" &&
    grep -q '^CONNECTED$' "$T/offline.out"; then
	pass wa30_offline_queue_reported
else
	fail wa30_offline_queue_reported "$T/offline.out" "$T/offline.err"
fi

# 2. A restarted client logs in with the stored session, no pairing.
client relogin a.db --url "$URL1" --root-file "$T/sim1.root" --exit-on connected \
    --web-version 2.3000.1234567 --timeout 20
if wait_exit $CPID 25 && [ $rc -eq 0 ] && grep -q '^CONNECTED$' "$T/relogin.out" &&
    ! grep -q -E '^(QR|PAIRED) ' "$T/relogin.out" &&
    grep -q '^STATE CONNECTING LOGGING_IN' "$T/relogin.out"; then
	pass wa30_restart_logs_in_without_pairing
else
	fail wa30_restart_logs_in_without_pairing "$T/relogin.out" "$T/relogin.err"
fi

# The version the server accepted is cached (kv_store) and used next time.
v=$(sqlite3 "$T/a.db" "SELECT value FROM kv_store WHERE key = 'whatsapp_web_version'" 2>&1)
client vcache a.db --url "$URL1" --root-file "$T/sim1.root" --exit-on connected \
    --timeout 20
if [ "$v" = 2.3000.1234567 ] && wait_exit $CPID 25 && [ $rc -eq 0 ] &&
    grep -q 'WhatsApp Web 2\.3000\.1234567' "$T/vcache.err"; then
	pass wa30_web_version_cached
else
	echo "kv whatsapp_web_version: $v"
	fail wa30_web_version_cached "$T/vcache.out" "$T/vcache.err"
fi

# 3. A server whose certificate chains to another root is refused.
start_wasim sim2 $WS2 $AD2 || fail wa30_wasim2_starts "$T/sim2.log"
client untrusted a.db --url "ws://127.0.0.1:$WS2/ws/chat" --root-file "$T/sim1.root" \
    --timeout 4
wait_exit $CPID 10
if grep -q 'WAIT_RECONNECT untrusted server certificate' "$T/untrusted.out" &&
    ! grep -q -E '^(CONNECTED|QR )' "$T/untrusted.out" &&
    [ "$(grep -c 'untrusted server certificate' "$T/untrusted.out")" -ge 2 ]; then
	pass wa30_refuses_server_outside_trust_root
else
	fail wa30_refuses_server_outside_trust_root "$T/untrusted.out" "$T/untrusted.err"
fi
# ... and WhatsApp's own root (the default) does not trust wasim either.
client defroot a.db --url "$URL1" --timeout 3
wait_exit $CPID 10
if grep -q 'untrusted server certificate' "$T/defroot.out" &&
    ! grep -q '^CONNECTED' "$T/defroot.out"; then
	pass wa30_default_root_is_whatsapps
else
	fail wa30_default_root_is_whatsapps "$T/defroot.out" "$T/defroot.err"
fi
# Plain ws:// is only for loopback.
"$CLIENT" --db "$T/x.db" --url ws://192.0.2.1/ws/chat --timeout 2 > "$T/plain.out" 2>&1
if [ $? -ne 0 ] && grep -q '^REFUSED' "$T/plain.out"; then
	pass wa30_plain_ws_only_to_loopback
else
	fail wa30_plain_ws_only_to_loopback "$T/plain.out"
fi

# wss:// is TLS checked against the system CAs: a server with a self-signed
# certificate never sees the websocket request (while a client told to
# trust that certificate does reach it, so the server really works).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls.key" \
    -out "$T/tls.crt" > /dev/null 2>&1
python3 - "$T" $WS3 > "$T/tls.log" 2>&1 <<'PYEOF' &
import socket, ssl, sys
d, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/tls.crt", d + "/tls.key")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
open(d + "/tls.ready", "w").close()
s.settimeout(20)
while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.settimeout(3)
        data = t.recv(4096)
        with open(d + "/tls.requests", "a") as f:
            f.write(data.split(b"\r\n")[0].decode(errors="replace") + "\n")
        t.close()
    except Exception as e:
        print("handshake failed:", e, flush=True)
PYEOF
PIDS="$PIDS $!"
i=0
while [ ! -f "$T/tls.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$CLIENT" --db "$T/tls.db" --url "wss://127.0.0.1:$WS3/ws/chat" --timeout 3 \
    > "$T/tls.out" 2> "$T/tls.err"
curl -s -m 5 --cacert "$T/tls.crt" "https://127.0.0.1:$WS3/control" > /dev/null 2>&1
sleep 0.5
if grep -q 'WAIT_RECONNECT' "$T/tls.out" && ! grep -q '^QR ' "$T/tls.out" &&
    ! grep -q '/ws/chat' "$T/tls.requests" 2>/dev/null &&
    grep -q 'GET /control' "$T/tls.requests" 2>/dev/null; then
	pass wa30_wss_refuses_untrusted_tls_certificate
else
	fail wa30_wss_refuses_untrusted_tls_certificate "$T/tls.out" "$T/tls.log" \
	    "$T/tls.requests"
fi

# 4. Pairing with a phone number and an 8-character code.
client code b.db --url "$URL1" --root-file "$T/sim1.root" --phone "+33 6 11 11 00 02" \
    --exit-on connected --timeout 40
if wait_line "$T/code.out" '^PAIRCODE [1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$' 15; then
	code=$(grep '^PAIRCODE ' "$T/code.out" | head -1 | cut -d' ' -f2)
	admin $AD1 /admin/mock-phone/pair-code \
	    "{\"phone\": \"33611110002\", \"code\": \"$code\"}" > "$T/code.json"
	if wait_exit $CPID 30 && [ $rc -eq 0 ] &&
	    grep -q '^PAIRED 33611110002:' "$T/code.out" &&
	    grep -q '^CONNECTED$' "$T/code.out" && ! grep -q '^QR ' "$T/code.out"; then
		pass wa30_pair_code_reaches_connected
	else
		fail wa30_pair_code_reaches_connected "$T/code.out" "$T/code.err" "$T/code.json"
	fi
else
	fail wa30_pair_code_reaches_connected "$T/code.out" "$T/code.err"
fi
# A wrong code does not pair.
client badcode c.db --url "$URL1" --root-file "$T/sim1.root" --phone 33611110003 \
    --timeout 8
if wait_line "$T/badcode.out" '^PAIRCODE ' 15; then
	admin $AD1 /admin/mock-phone/pair-code \
	    '{"phone": "33611110003", "code": "ZZZZ-ZZZZ"}' > "$T/badcode.json"
	wait_exit $CPID 15
	if ! grep -q -E '^(PAIRED|CONNECTED)' "$T/badcode.out"; then
		pass wa30_wrong_pair_code_does_not_pair
	else
		fail wa30_wrong_pair_code_does_not_pair "$T/badcode.out" "$T/badcode.json"
	fi
else
	fail wa30_wrong_pair_code_does_not_pair "$T/badcode.out" "$T/badcode.err"
fi

# 5. Stream errors.  515: reconnect at once and log in again.
client s515 a.db --url "$URL1" --root-file "$T/sim1.root" --timeout 30
if wait_line "$T/s515.out" '^CONNECTED$' 15; then
	admin $AD1 /admin/stream-error '{"phone": "33611110001", "code": "515"}' > /dev/null
	if wait_line "$T/s515.out" '^STATE CONNECTED WAIT_RECONNECT stream error 515' 10 &&
	    wait_count "$T/s515.out" '^CONNECTED$' 2 10 &&
	    ! grep -q -E '^(QR|PAIRED) ' "$T/s515.out"; then
		pass wa30_stream_error_515_reconnects
	else
		fail wa30_stream_error_515_reconnects "$T/s515.out" "$T/s515.err"
	fi
else
	fail wa30_stream_error_515_reconnects "$T/s515.out" "$T/s515.err"
fi
kill $CPID 2>/dev/null
wait_exit $CPID 5

# 405 (client outdated): a terminal state with a clear message, session kept.
client s405 a.db --url "$URL1" --root-file "$T/sim1.root" --timeout 30
if wait_line "$T/s405.out" '^CONNECTED$' 15; then
	admin $AD1 /admin/stream-error '{"phone": "33611110001", "failure": "405"}' > /dev/null
	if wait_exit $CPID 10 && [ $rc -ne 0 ] &&
	    grep -q '^STATE CONNECTED CLIENT_OUTDATED .*version' "$T/s405.out" &&
	    [ "$(sqlite3 "$T/a.db" 'SELECT COUNT(*) FROM whatsmeow_device')" = 1 ]; then
		pass wa30_failure_405_client_outdated
	else
		fail wa30_failure_405_client_outdated "$T/s405.out" "$T/s405.err"
	fi
else
	fail wa30_failure_405_client_outdated "$T/s405.out" "$T/s405.err"
fi

# 401 device_removed: LOGGED_OUT and the session wiped from the store.
client s401 a.db --url "$URL1" --root-file "$T/sim1.root" --timeout 30
if wait_line "$T/s401.out" '^CONNECTED$' 15; then
	admin $AD1 /admin/stream-error \
	    '{"phone": "33611110001", "code": "401", "conflict": "device_removed"}' > /dev/null
	if wait_exit $CPID 10 && [ $rc -ne 0 ] &&
	    grep -q '^STATE CONNECTED LOGGED_OUT ' "$T/s401.out" &&
	    [ "$(sqlite3 "$T/a.db" 'SELECT COUNT(*) FROM whatsmeow_device')" = 0 ] &&
	    [ "$(sqlite3 "$T/a.db" 'SELECT COUNT(*) FROM whatsmeow_pre_keys')" = 0 ]; then
		pass wa30_stream_error_401_logs_out_and_wipes
	else
		fail wa30_stream_error_401_logs_out_and_wipes "$T/s401.out" "$T/s401.err"
	fi
else
	fail wa30_stream_error_401_logs_out_and_wipes "$T/s401.out" "$T/s401.err"
fi

# Conflict "replaced": STREAM_REPLACED, not retried.
client srep b.db --url "$URL1" --root-file "$T/sim1.root" --timeout 30
if wait_line "$T/srep.out" '^CONNECTED$' 15; then
	admin $AD1 /admin/stream-error '{"phone": "33611110002", "conflict": "replaced"}' > /dev/null
	if wait_exit $CPID 10 && [ $rc -ne 0 ] &&
	    grep -q '^STATE CONNECTED STREAM_REPLACED ' "$T/srep.out"; then
		pass wa30_conflict_replaced
	else
		fail wa30_conflict_replaced "$T/srep.out" "$T/srep.err"
	fi
else
	fail wa30_conflict_replaced "$T/srep.out" "$T/srep.err"
fi

# 7. `ponton login` with the bridge config (ponton.whatsapp.websocket_url and
# ponton.whatsapp.trust_root): QR (--qr-file), then a second run finds the
# stored session; pairing code with --phone (and the flags instead).
cat > "$T/config.yaml" <<EOF
network:
    os_name: ponton-test
    browser_name: firefox
database:
    type: sqlite3-fk-wal
    uri: file:$T/login.db?_txlock=immediate
ponton:
    whatsapp:
        websocket_url: $URL1
        trust_root: "$(cat "$T/sim1.root")"
EOF
"$PONTON" login -c "$T/config.yaml" --qr-file "$T/qr.txt" --timeout 40 > "$T/login.out" 2> "$T/login.err" &
LPID=$!
PIDS="$PIDS $LPID"
if wait_line "$T/qr.txt" '^https://wa\.me/settings/linked_devices#.*,3$' 15 &&
    grep -q '^QR-TEXT https://wa.me/' "$T/login.out" &&
    grep -q "$(printf '\342\226\200')" "$T/login.out"; then
	admin $AD1 '/admin/mock-phone/scan-qr?phone=33611110004' "$(cat "$T/qr.txt")" > /dev/null
	if wait_exit $LPID 30 && [ $rc -eq 0 ] &&
	    grep -q '^LOGGED-IN 33611110004:[0-9]*@s.whatsapp.net$' "$T/login.out"; then
		pass wa30_ponton_login_qr
	else
		fail wa30_ponton_login_qr "$T/login.out" "$T/login.err"
	fi
else
	fail wa30_ponton_login_qr "$T/login.out" "$T/login.err"
fi
"$PONTON" login -c "$T/config.yaml" --url "$URL1" --trust-root-file "$T/sim1.root" \
    --timeout 20 > "$T/login2.out" 2> "$T/login2.err"
if [ $? -eq 0 ] && grep -q '^LOGGED-IN 33611110004:' "$T/login2.out" &&
    ! grep -q '^QR-TEXT' "$T/login2.out"; then
	pass wa30_ponton_login_reuses_session
else
	fail wa30_ponton_login_reuses_session "$T/login2.out" "$T/login2.err"
fi
sed -i "s#login.db#login-code.db#" "$T/config.yaml"
"$PONTON" login -c "$T/config.yaml" --url "$URL1" --trust-root-file "$T/sim1.root" \
    --phone +33611110005 --timeout 40 > "$T/login3.out" 2> "$T/login3.err" &
LPID=$!
PIDS="$PIDS $LPID"
if wait_line "$T/login3.out" '^PAIR-CODE [1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$' 15; then
	code=$(grep '^PAIR-CODE ' "$T/login3.out" | cut -d' ' -f2)
	admin $AD1 /admin/mock-phone/pair-code \
	    "{\"phone\": \"33611110005\", \"code\": \"$code\"}" > /dev/null
	if wait_exit $LPID 30 && [ $rc -eq 0 ] &&
	    grep -q '^LOGGED-IN 33611110005:' "$T/login3.out"; then
		pass wa30_ponton_login_pair_code
	else
		fail wa30_ponton_login_pair_code "$T/login3.out" "$T/login3.err"
	fi
else
	fail wa30_ponton_login_pair_code "$T/login3.out" "$T/login3.err"
fi

# 6. wasim killed and restarted: the client reconnects with backoff and
# logs in again.
client recon b.db --url "$URL1" --root-file "$T/sim1.root" --timeout 40
if wait_line "$T/recon.out" '^CONNECTED$' 15; then
	kill "$PID_sim1"
	wait "$PID_sim1" 2>/dev/null
	if wait_line "$T/recon.out" '^STATE CONNECTED WAIT_RECONNECT' 10 &&
	    sleep 1.5 &&
	    [ "$(grep -c '^STATE WAIT_RECONNECT CONNECTING' "$T/recon.out")" -ge 2 ] &&
	    start_wasim sim1 $WS1 $AD1 &&
	    wait_count "$T/recon.out" '^CONNECTED$' 2 10 &&
	    ! grep -q -E '^(QR|PAIRED) ' "$T/recon.out"; then
		pass wa30_reconnects_after_server_restart
	else
		fail wa30_reconnects_after_server_restart "$T/recon.out" "$T/recon.err" "$T/sim1.log"
	fi
else
	fail wa30_reconnects_after_server_restart "$T/recon.out" "$T/recon.err"
fi
kill $CPID 2>/dev/null
wait_exit $CPID 5

exit $status
