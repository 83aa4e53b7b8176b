# lib.sh: sourced by every end-to-end scenario test/e2e/NN-name.sh.  It
# builds on test/bridge/setup.sh (config.yaml from `ponton -e` as an
# operator would write it, the registration from `ponton -g`, a real
# Synapse started) and adds: wasim (the WhatsApp server simulator, with a
# state dir), config.yaml pointed at it (ponton.whatsapp.websocket_url and
# trust_root, media_ca_file), the pinned Baileys peer installed, the whatsmeow driver
# built.  Then the scenario runs in Python (test/e2e/e2e.py) with the
# Synapse venv's interpreter:
#
#   . "$TOP/test/e2e/lib.sh"
#   e2e_run "$TOP/test/e2e/NN_name.py"
#   e2e_finish
#
# The scenario's Python starts and stops ponton itself.  Everything started
# here is stopped by the EXIT trap, also on failure.  Ports are free ones.
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export BUILD TOP
WORK_NAME=${WORK_NAME:-e2e-$(basename "$0" .sh)}
# Ports the kernel picks (0: no preference), so that scenarios run by hand
# next to a suite do not race for the same preferred ports.
SYN_PORT=${SYN_PORT:-0}
AS_PORT=${AS_PORT:-0}
. "$TOP/test/bridge/setup.sh"

WASIM=$B/san/wasim
WPID=""
cleanup() {
	[ -n "$PPID_" ] && kill -KILL "$PPID_" 2>/dev/null
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	# Peers left by a scenario that died (they exit on stdin EOF anyway).
	pkill -f "peer.mjs --url $WASIM_WS_URL" 2>/dev/null
	syn_stop
	wait 2>/dev/null
}
trap cleanup EXIT INT TERM

if [ ! -x "$WASIM" ]; then
	fail "e2e_wasim_built ($WASIM)"
	exit 1
fi
cd "$WORK" || exit 1
"$WASIM" --port 0 --admin-port 0 --media-port 0 --port-file wasim.ports \
    --root-pub-file wasim.root --state-dir wasim.state \
    --media-cert-file "$WORK/wasim-media.pem" \
    --qr-first-ms 60000 --qr-next-ms 60000 > wasim.log 2>&1 &
WPID=$!
i=0
while ! grep -q WASIM_PID wasim.ports 2>/dev/null && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
if ! . ./wasim.ports; then
	fail "e2e_wasim_starts"
	tail -n 20 wasim.log
	exit 1
fi
sed -i -e "s#^        websocket_url: null\$#        websocket_url: $WASIM_WS_URL#" \
    -e "s#^        trust_root: null\$#        trust_root: $WASIM_ROOT_PUB#" \
    -e "s#^        media_ca_file: null\$#        media_ca_file: $WORK/wasim-media.pem#" \
    config.yaml
if ! grep -q "websocket_url: $WASIM_WS_URL" config.yaml ||
    ! grep -q "media_ca_file: $WORK/wasim-media.pem" config.yaml; then
	fail "e2e_config_points_at_wasim"
	exit 1
fi

if ! sh "$TOP/test/peers/baileys/install.sh"; then
	fail "e2e_baileys_installed"
	exit 1
fi
WHATSMEOW_BIN=$(sh "$TOP/test/peers/whatsmeow/build.sh" 2>"$WORK/whatsmeow-build.log") ||
    WHATSMEOW_BIN=""
export WHATSMEOW_BIN WASIM_WS_URL WASIM_ADMIN_URL WASIM_ROOT_PUB PONTON WORK \
    SYN_URL SYN_SECRET
export SERVER_NAME=localhost
# The peers' node needs the Baileys install's modules.
export NODE_PATH="$TOP/test/peers/baileys/node_modules"

# e2e_run SCRIPT: the Python scenario (its PASS:/FAIL: lines go to stdout).
e2e_run() {
	PYTHONPATH="$TOP/test/e2e" PYTHONUNBUFFERED=1 \
	    "$SYN_VENV/bin/python" "$1" || status=1
}

# e2e_finish: wasim must still be alive and leave no sanitizer report.
e2e_finish() {
	if kill -0 "$WPID" 2>/dev/null && kill "$WPID" && wait "$WPID" &&
	    ! grep -q "Sanitizer\|runtime error" wasim.log; then
		pass "wasim_clean_exit"
	else
		fail "wasim_clean_exit"
		tail -n 20 wasim.log
	fi
	WPID=""
	exit $status
}
