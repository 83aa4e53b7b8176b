# harness.sh: shell helpers for tests that run wasim (source it; POSIX sh).
#
#   . "$TOP/test/wasim/harness.sh"
#   wh_init NAME            work dir $W under $BUILD/test-work, traps, status=0
#   wh_start DIR [ARGS...]  start $BUILD/san/wasim with a port file in DIR and
#                           source it (WASIM_WS_URL, WASIM_ADMIN_URL,
#                           WASIM_ROOT_PUB, ...); log in DIR/wasim.log
#   wh_stop                 SIGTERM wasim, wait; returns its exit status
#   wh_baileys OUT ARGS...  run test/peers/baileys/pair.mjs in the background
#                           against the running wasim (stdout to OUT)
#   wh_baileys_wait         wait for it; returns its exit status
#   wh_wait_line RE TENTHS FILE   wait until FILE has a line matching RE
#   wh_post PATH BODY OUT   POST to the admin API; prints the HTTP status
#   pass NAME / fail NAME [WHY]
#   wh_finish               print the wasim log on failure, clean up, exit
#
# Every process started here is stopped on exit (trap).
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
WH_WASIM=$TOP/$BUILD/san/wasim
WH_PEER=$TOP/test/peers/baileys
wh_wpid=""
wh_dpid=""
wh_logs=""
status=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; status=1; }

wh_cleanup() {
	[ -n "$wh_dpid" ] && kill "$wh_dpid" 2>/dev/null
	[ -n "$wh_wpid" ] && kill "$wh_wpid" 2>/dev/null
	wait 2>/dev/null
}

wh_init() {
	mkdir -p "$TOP/$BUILD/test-work"
	W=$(mktemp -d "$TOP/$BUILD/test-work/$1.XXXXXX")
	trap wh_cleanup EXIT
	trap 'exit 1' INT TERM
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	[ -x "$WH_WASIM" ] || { echo "FAIL: wasim not built ($WH_WASIM)"; exit 1; }
	if ! sh "$WH_PEER/install.sh"; then
		echo "FAIL: baileys-install"
		exit 1
	fi
}

wh_wait_line() {
	wh_i=0
	while [ $wh_i -lt "$2" ]; do
		grep -q "$1" "$3" 2>/dev/null && return 0
		sleep 0.1
		wh_i=$((wh_i + 1))
	done
	return 1
}

wh_start() {
	wh_dir=$1
	shift
	mkdir -p "$wh_dir"
	rm -f "$wh_dir/ports"
	"$WH_WASIM" --port-file "$wh_dir/ports" --log-level debug "$@" \
	    >> "$wh_dir/wasim.log" 2>&1 &
	wh_wpid=$!
	wh_logs="$wh_logs $wh_dir/wasim.log"
	wh_wait_line WASIM_PID 100 "$wh_dir/ports" || return 1
	. "$wh_dir/ports"
	curl -sf "$WASIM_ADMIN_URL/health" | grep -q '"ok":true'
}

wh_stop() {
	kill -TERM "$wh_wpid"
	wait "$wh_wpid"
	wh_rc=$?
	wh_wpid=""
	return $wh_rc
}

wh_baileys() {
	wh_out=$1
	shift
	node "$WH_PEER/pair.mjs" --url "$WASIM_WS_URL" --root "$WASIM_ROOT_PUB" \
	    "$@" > "$wh_out" 2> "$wh_out.err" &
	wh_dpid=$!
}

wh_baileys_wait() {
	wait "$wh_dpid"
	wh_rc=$?
	wh_dpid=""
	return $wh_rc
}

wh_post() {
	curl -s -o "$3" -w '%{http_code}' -X POST --data-binary "$2" \
	    "$WASIM_ADMIN_URL$1"
}

# No sanitizer report in any wasim log of this test.
wh_logs_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' $wh_logs
}

wh_finish() {
	if [ $status -ne 0 ]; then
		for l in $wh_logs; do
			echo "# $l (tail):"
			tail -40 "$l" | sed 's/^/#   /'
		done
	else
		rm -rf "$W"
	fi
	exit $status
}
