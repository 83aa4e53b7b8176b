#!/bin/sh
# ponton's own client (test/tools/wa_client) against a wasim started with
# --cert-fault leaf-key: the server's certificate chain is signed correctly
# by the trusted root, but its leaf certificate is for another key than the
# server's Noise static key.  The client must refuse the server with the
# certificate-key error (the check test/wa/22 makes of whatsmeow).
#
#   wa23_control_reaches_qr          the same client and root file against
#                                    a wasim without the fault gets a QR
#                                    (so the refusal below is the fault's)
#   wa23_leaf_key_refused            with the fault: "untrusted server
#                                    certificate", never a QR or CONNECTED,
#                                    and the logged cause is the leaf key
#                                    (WA_ERR_CERT_KEY), not a signature
#   wa23_wasim_clean_exit            both wasims exit 0 on SIGTERM with no
#                                    sanitizer report
#
# Ports: all picked by the kernel (port 0), read from wasim's port file.
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/test/wasim/harness.sh"
CLIENT=$TOP/$BUILD/san/tools/wa_client
wh_init wa23
[ -x "$CLIENT" ] || { fail wa23_client_built "$CLIENT is missing (make test-bins)"; wh_finish; }
has() { grep -q "$1" "$2"; }
clean=1

# Control: no fault.  The client reaches pairing (a QR) and is stopped by
# its timeout.
if wh_start "$W/ok" --root-pub-file "$W/ok/root"; then
	"$CLIENT" --db "$W/ok.db" --url "$WASIM_WS_URL" --root-file "$W/ok/root" \
	    --backoff-ms 200 --exit-on paired --timeout 4 \
	    > "$W/ok.out" 2> "$W/ok.err" < /dev/null
	if has '^QR ' "$W/ok.out" && ! has 'untrusted server certificate' "$W/ok.out"; then
		pass wa23_control_reaches_qr
	else
		fail wa23_control_reaches_qr "$(head -3 "$W/ok.out" | tr '\n' ' ')"
	fi
	wh_stop || clean=0
else
	fail wa23_control_reaches_qr "wasim did not start"
	clean=0
fi

# The fault.  --timeout 4 with 200 ms backoff: several attempts, each refused.
if wh_start "$W/leaf" --root-pub-file "$W/leaf/root" --cert-fault leaf-key; then
	"$CLIENT" --db "$W/leaf.db" --url "$WASIM_WS_URL" --root-file "$W/leaf/root" \
	    --backoff-ms 200 --exit-on connected --timeout 4 \
	    > "$W/leaf.out" 2> "$W/leaf.err" < /dev/null
	rc=$?
	if [ $rc -ne 0 ] && has 'WAIT_RECONNECT untrusted server certificate' "$W/leaf.out" &&
	    ! grep -q -E '^(QR|CONNECTED|PAIRED)' "$W/leaf.out" &&
	    has 'server certificate key is not the static key' "$W/leaf.err" &&
	    ! has 'signature' "$W/leaf.err" &&
	    has 'cert-fault leaf-key' "$W/leaf/wasim.log"; then
		pass wa23_leaf_key_refused
	else
		fail wa23_leaf_key_refused "exit $rc: $(head -3 "$W/leaf.out" | tr '\n' ' ') / $(grep -m1 certificate "$W/leaf.err")"
	fi
	wh_stop || clean=0
else
	fail wa23_leaf_key_refused "wasim --cert-fault leaf-key did not start"
	clean=0
fi

if [ $clean -eq 1 ] && wh_logs_clean; then
	pass wa23_wasim_clean_exit
else
	fail wa23_wasim_clean_exit
fi
wh_finish
