#!/bin/sh
# WhatsApp suite: runs every test/wa/NN-*.sh in order.  Each script prints
# PASS:/FAIL: lines and exits non-zero on failure; a script that fails
# without printing a FAIL line is reported as one.  Scripts get $BUILD and
# $TOP like suites do, and may be added by anyone without touching this file.
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export BUILD TOP
status=0
for s in "$TOP"/test/wa/[0-9][0-9]-*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	echo "# $name"
	# One hung script must not stall the suite: TERM after
	# WA_SCRIPT_TIMEOUT seconds (its traps clean up), KILL 20 s later.
	out=$(timeout -k 20 "${WA_SCRIPT_TIMEOUT:-600}" sh "$s" 2>&1)
	rc=$?
	[ $rc -eq 124 ] && out="$out
FAIL: $name timed out after ${WA_SCRIPT_TIMEOUT:-600}s"
	echo "$out"
	if [ $rc -ne 0 ]; then
		status=1
		echo "$out" | grep -q '^FAIL: ' ||
		    echo "FAIL: $name exited with status $rc"
	fi
done
exit $status
