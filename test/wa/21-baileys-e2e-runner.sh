#!/bin/sh
# The runner of Baileys' own e2e suite (test/peers/baileys-e2e/run.sh, not
# part of make test: it needs Baileys' sources) checked without those
# sources: it refuses clearly to run without them, and its report turns
# jest's --json output into PASS:/FAIL: lines and an exit status.
#
#   runner_needs_src      no BAILEYS_SRC: exit 2, says so
#   runner_bad_src        BAILEYS_SRC neither a tree, git dir nor archive,
#                         or a tree without src/__tests__/e2e: exit 2
#   report_verdicts       passed/failed tests and a file that did not run
#                         become PASS/FAIL lines; exit 1
#   report_all_passed     exit 0 when every test passed
#   report_missing        no report, or one listing no tests: FAIL, exit 1
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
mkdir -p "$TOP/$BUILD/test-work"
W=$(mktemp -d "$TOP/$BUILD/test-work/baileys-e2e-runner.XXXXXX")
RUN=$TOP/test/peers/baileys-e2e/run.sh
REPORT=$TOP/test/peers/baileys-e2e/report.mjs
status=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; status=1; }
# The runner's own output goes to files: its FAIL lines are not ours.
run() {
	env -u BAILEYS_SRC BAILEYS_E2E_WORK="$W/work" BUILD="$BUILD" "$@" \
	    sh "$RUN" > "$W/out" 2> "$W/err"
}

run
rc=$?
if [ $rc -eq 2 ] && grep -q '^FAIL: baileys_e2e_setup: BAILEYS_SRC is not set' "$W/out" &&
    grep -q 'BAILEYS_SRC is not set' "$W/err"; then
	pass runner_needs_src
else
	fail runner_needs_src "exit $rc"
fi

echo "not a tar archive" > "$W/junk"
mkdir -p "$W/tree/src"
echo '{}' > "$W/tree/package.json"
run BAILEYS_SRC="$W/junk"
rc1=$?
run BAILEYS_SRC="$W/tree"
rc2=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] &&
    grep -q 'has no package.json or src/__tests__/e2e' "$W/out"; then
	pass runner_bad_src
else
	fail runner_bad_src "exit $rc1, $rc2: $(cat "$W/out")"
fi

cat > "$W/r.json" <<'J'
{"testResults":[
 {"name":"/x/src/__tests__/e2e/messaging.test-e2e.ts","message":"","assertionResults":[
  {"status":"passed","fullName":"DM sends","failureMessages":[]},
  {"status":"failed","fullName":"DM revokes","failureMessages":["Error: boom\n    at here"]}]},
 {"name":"/x/src/__tests__/e2e/groups.test-e2e.ts","message":"SyntaxError: nope\nmore","assertionResults":[]}]}
J
node "$REPORT" "$W/r.json" > "$W/rep.out"
rc=$?
if [ $rc -eq 1 ] &&
    grep -qx 'PASS: baileys_e2e: messaging > DM sends' "$W/rep.out" &&
    grep -qx 'FAIL: baileys_e2e: messaging > DM revokes (failed: Error: boom | at here)' "$W/rep.out" &&
    grep -qx 'FAIL: baileys_e2e: groups (did not run: SyntaxError: nope | more)' "$W/rep.out" &&
    grep -qx '# baileys_e2e: 1 passed, 2 failed' "$W/rep.out"; then
	pass report_verdicts
else
	fail report_verdicts "exit $rc"
fi

cat > "$W/ok.json" <<'J'
{"testResults":[{"name":"/x/a.test-e2e.ts","assertionResults":[{"status":"passed","fullName":"one"},{"status":"passed","fullName":"two"}]}]}
J
node "$REPORT" "$W/ok.json" > "$W/ok.out"
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '^PASS: ' "$W/ok.out")" = 2 ] &&
    ! grep -q '^FAIL: ' "$W/ok.out"; then
	pass report_all_passed
else
	fail report_all_passed "exit $rc"
fi

echo '{"testResults":[]}' > "$W/empty.json"
node "$REPORT" "$W/empty.json" > "$W/empty.out"
rc1=$?
node "$REPORT" "$W/absent.json" > "$W/absent.out"
rc2=$?
if [ $rc1 -eq 1 ] && [ $rc2 -eq 1 ] &&
    grep -q '^FAIL: baileys_e2e: the report lists no tests' "$W/empty.out" &&
    grep -q '^FAIL: baileys_e2e: no jest report' "$W/absent.out"; then
	pass report_missing
else
	fail report_missing "exit $rc1, $rc2"
fi

[ $status -eq 0 ] && rm -rf "$W"
exit $status
