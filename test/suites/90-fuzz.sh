#!/bin/sh
# Fuzz smoke: each libFuzzer target in test/fuzz/ runs briefly (FUZZ_SECONDS,
# default 10) under ASan+UBSan, seeded from test/data/fuzz_<name>/ if present.
# The smoke run uses a fixed random seed (FUZZ_SEED, default 1) so that a
# failure in CI replays the same way; `make fuzz` sets FUZZ_SEED=0 (random).
# Crash inputs land in $BUILD/fuzz/artifacts/; add them to test/data/ as
# regression seeds once fixed.
set -u
: "${BUILD:=build}"
secs=${FUZZ_SECONDS:-10}
seed=${FUZZ_SEED:-1}
mkdir -p "$BUILD/fuzz/artifacts"
status=0
for t in "$BUILD"/fuzz/bin/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	work=$BUILD/fuzz/corpus/$name
	mkdir -p "$work"
	seeds=""
	[ -d "test/data/$name" ] && seeds="test/data/$name"
	if "$t" -max_total_time="$secs" -seed="$seed" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$BUILD/fuzz/artifacts/$name-" \
	    -print_final_stats=0 "$work" $seeds > "$BUILD/fuzz/$name.log" 2>&1; then
		echo "PASS: $name ($secs s)"
	else
		echo "FAIL: $name"
		tail -n 30 "$BUILD/fuzz/$name.log"
		status=1
	fi
done
exit $status
