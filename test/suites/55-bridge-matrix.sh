#!/bin/sh
# Bridge on Matrix: the REAL ponton binary ($BUILD/san/ponton, ASan+UBSan)
# as the appservice of a real Synapse (test/synapse/, pinned lockfile,
# cached venv).  Registration from `ponton -g`; Matrix users from the
# shared-secret admin API; test/bridge/driver.py acts as them.  Cases:
# start-up with the appservice ping, bot invite -> management room and
# welcome, commands (help, version, cancel, unknown, set-management-room),
# refused invites, leave, SIGTERM -> exit 0, restart in French.
set -u
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
export BUILD TOP
SYN_PORT=16008 AS_PORT=16009 WORK_NAME=bridge-matrix
. "$TOP/test/bridge/setup.sh"

if start_ponton en; then
	pass "ponton_starts_against_synapse"
else
	fail "ponton_starts_against_synapse"
	tail -n 30 ponton-en.out ponton-en.err
	exit 1
fi
# Synapse 1.163 advertises v1.7+, so the start-up ran the appservice ping;
# /mau/ready is 200 only after every start-up step passed.
if grep -q "appservice ping ok" ponton-en.out &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AS_PORT/_matrix/mau/ready")" = 200 ]; then
	pass "start_up_ping_passed_and_ready"
else
	fail "start_up_ping_passed_and_ready"
	grep -i "ping" ponton-en.out | head -5
fi

SERVER_NAME=localhost python3 "$TOP/test/bridge/driver.py" en || status=1

if stop_ponton en; then
	pass "sigterm_stops_ponton_with_exit_0"
else
	fail "sigterm_stops_ponton_with_exit_0 (exit ${rc:-?})"
	tail -n 20 ponton-en.err
fi
tok=$(sed -n 's/^as_token: *//p' registration.yaml | tr -d "\"'")
if [ -n "$tok" ] && ! grep -qF "$tok" ponton-en.out ponton-en.err "$WORK/logs/bridge.log"; then
	pass "no_token_in_logs"
else
	fail "no_token_in_logs"
fi

# --- restart in French ----------------------------------------------------
sed -i 's#^    language: en$#    language: fr#' config.yaml
if start_ponton fr; then
	pass "ponton_restarts_in_french"
	SERVER_NAME=localhost python3 "$TOP/test/bridge/driver.py" fr || status=1
	if stop_ponton fr; then
		pass "second_sigterm_exit_0"
	else
		fail "second_sigterm_exit_0"
		tail -n 20 ponton-fr.err
	fi
else
	fail "ponton_restarts_in_french"
	tail -n 30 ponton-fr.out ponton-fr.err
fi
exit $status
