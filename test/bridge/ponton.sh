# ponton.sh: sourced by the bridge test scripts to run the real ponton
# binary ($PONTON) with ./config.yaml in the background.
#   start_ponton TAG  start it, logs in ponton-TAG.out/.err; wait up to 60 s
#                     for "Bridge started" (fails if it exits first)
#   stop_ponton TAG   SIGTERM; succeed only on exit 0 within 20 s with no
#                     sanitizer report in ponton-TAG.err
# The pid is in $PPID_ (empty when not running), for the caller's cleanup.

# start_ponton TAG: run ponton in the background, wait for "Bridge started".
start_ponton() {
	"$PONTON" -n -c config.yaml > "ponton-$1.out" 2> "ponton-$1.err" &
	PPID_=$!
	i=0
	while ! grep -q "Bridge started" "ponton-$1.out" 2>/dev/null; do
		if ! kill -0 "$PPID_" 2>/dev/null || [ $i -ge 600 ]; then
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# stop_ponton TAG: SIGTERM, expect exit 0 within 20 s and no sanitizer line.
stop_ponton() {
	kill -TERM "$PPID_" 2>/dev/null
	i=0
	while kill -0 "$PPID_" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$PPID_" 2>/dev/null; then
		kill -KILL "$PPID_"
		wait "$PPID_" 2>/dev/null
		PPID_=""
		return 1
	fi
	wait "$PPID_"
	rc=$?
	PPID_=""
	[ $rc -eq 0 ] && ! grep -q "Sanitizer\|runtime error" "ponton-$1.err"
}
