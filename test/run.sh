#!/bin/sh
# test/run.sh: run test suites and print the closing line "N passed, N failed".
#
#   test/run.sh all            every suite, in order
#   test/run.sh unit db ...    the named suites
#
# A suite is test/suites/NN-<name>.sh.  It prints one line per test case,
# "PASS: <name>" or "FAIL: <name>", on stdout (anything else is commentary).
# A suite that exits non-zero without reporting a failure counts as one
# failure, so a crashed suite can never look green.  Logs: $BUILD/test-logs/.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export BUILD
TOP=$(pwd)
export TOP
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
ALL=$LOGDIR/all.log
: > "$ALL"

suites=""
if [ $# -eq 0 ] || [ "$1" = all ]; then
	for f in test/suites/[0-9][0-9]-*.sh; do suites="$suites $f"; done
else
	for name in "$@"; do
		f=$(ls test/suites/[0-9][0-9]-"$name".sh 2>/dev/null | head -1)
		if [ -z "$f" ]; then
			echo "run.sh: no suite named '$name'" >&2
			exit 2
		fi
		suites="$suites $f"
	done
fi

for f in $suites; do
	name=$(basename "$f" .sh | sed 's/^[0-9]*-//')
	log=$LOGDIR/$name.log
	start=$(date +%s)
	echo "=== suite $name"
	# A hung suite must fail, not stall CI: each gets SUITE_TIMEOUT seconds
	# (TERM, so its traps clean up; KILL 30 s later).
	timeout -k 30 "${SUITE_TIMEOUT:-1200}" sh "$f" > "$log" 2>&1
	rc=$?
	[ "$rc" -eq 124 ] && echo "FAIL: suite timed out after ${SUITE_TIMEOUT:-1200}s" >> "$log"
	grep -E '^(PASS|FAIL): ' "$log" | sed "s/^\(PASS\|FAIL\): /\1: $name: /" >> "$ALL"
	p=$(grep -c '^PASS: ' "$log")
	n=$(grep -c '^FAIL: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
		echo "FAIL: $name: suite exited with status $rc" >> "$ALL"
		n=1
	fi
	grep '^FAIL: ' "$log" | sed 's/^/    /'
	if [ "$n" -ne 0 ]; then
		echo "--- last lines of $log:"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
	echo "    $name: $p passed, $n failed ($(( $(date +%s) - start ))s)"
done

passed=$(grep -c '^PASS: ' "$ALL")
failed=$(grep -c '^FAIL: ' "$ALL")
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL: no test ran" >> "$ALL"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
