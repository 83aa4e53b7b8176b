#!/bin/sh
# Run every bench/*.sh (make bench).  Benchmarks report numbers; nothing is
# asserted.  A benchmark that cannot run is reported and makes the exit
# status non-zero, the others still run.
set -u
cd "$(dirname "$0")/.." || exit 2
: "${BUILD:=build}"
TOP=$(pwd)
export BUILD TOP
status=0
for b in bench/*.sh; do
	[ -f "$b" ] || continue
	[ "$b" = bench/run.sh ] && continue
	echo "=== bench $(basename "$b" .sh)"
	sh "$b" || { echo "bench $(basename "$b" .sh) failed"; status=1; }
done
exit $status
