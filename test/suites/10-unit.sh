#!/bin/sh
# Unit tests: every test/unit/<module>/test_*.c, built with ASan and UBSan.
set -u
: "${BUILD:=build}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in $(find "$BUILD/san/test/unit" -type f -name 'test_*' ! -name '*.o' ! -name '*.d' | sort); do
	echo "# $t"
	out=$("$t" 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -ne 0 ] && ! echo "$out" | grep -q '^FAIL: '; then
		echo "FAIL: $(basename "$t") exited with status $rc"
	fi
	[ $rc -ne 0 ] && status=1
done
exit $status
