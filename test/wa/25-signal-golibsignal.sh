#!/bin/sh
# Signal records on the database: what ponton stores in whatsmeow_sessions
# and whatsmeow_sender_keys is read and continued by go.mau.fi/libsignal
# with the serializer whatsmeow stores records with, and what it writes
# back is continued by ponton.  test/peers/golibsignal (pinned by its
# go.mod/go.sum) drives test/tools/wa_signal_peer in db mode.
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=$TOP/$BUILD/san/tools/wa_signal_peer
D=$TOP/test/peers/golibsignal
CACHE=${PONTON_CACHE:-$HOME/.cache/ponton}/golibsignal

[ -x "$T" ] || { echo "FAIL: signal-golibsignal: wa_signal_peer not built ($T)"; exit 1; }
command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null 2>&1; then
	echo "FAIL: signal-golibsignal: go toolchain not found"
	exit 1
fi
mkdir -p "$CACHE"
if ! (cd "$D" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
    go build -o "$CACHE/golibsignal" .) >"$CACHE/build.log" 2>&1; then
	echo "FAIL: signal-golibsignal: build"
	cat "$CACHE/build.log"
	exit 1
fi
work=$(mktemp -d /tmp/ponton-golibsignal-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$CACHE/golibsignal" "$T" "$work/a.db" 2>"$work/stderr"
rc=$?
[ $rc -ne 0 ] && cat "$work/stderr" >&2
exit $rc
