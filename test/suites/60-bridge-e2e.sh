#!/bin/sh
# Bridge end-to-end suite: runs every test/e2e/NN-*.sh in order (Synapse +
# wasim + the real ponton + Baileys / whatsmeow peers; see
# test/e2e/lib.sh and test/e2e/e2e.py).  Each script prints PASS:/FAIL:
# lines and exits non-zero on failure; a script that fails without a FAIL
# line is reported as one.  Scripts may be added without touching this file.
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export BUILD TOP
status=0
for s in "$TOP"/test/e2e/[0-9][0-9]-*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	echo "# $name"
	# A hung script must not stall the suite: TERM after
	# E2E_SCRIPT_TIMEOUT seconds (its traps clean up), KILL 20 s later.
	out=$(timeout -k 20 "${E2E_SCRIPT_TIMEOUT:-420}" sh "$s" 2>&1)
	rc=$?
	[ $rc -eq 124 ] && out="$out
FAIL: $name timed out after ${E2E_SCRIPT_TIMEOUT:-420}s"
	echo "$out"
	if [ $rc -ne 0 ]; then
		status=1
		echo "$out" | grep -q '^FAIL: ' ||
		    echo "FAIL: $name exited with status $rc"
	fi
done
exit $status
