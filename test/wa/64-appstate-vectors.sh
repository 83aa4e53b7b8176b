#!/bin/sh
# App-state (syncd) vectors, ponton's waweb/appstate against whatsmeow's
# appstate package (the version pinned in test/peers/whatsmeow/go.mod),
# both ways, no server involved:
#   ponton-decodes-whatsmeow-N     patches made by whatsmeow's EncodePatch
#                                  (contacts, a rename over an earlier SET,
#                                  Unicode names, a LID, another collection's
#                                  push name) verify in ponton and leave
#                                  the version and LTHash whatsmeow reached
#   ponton-reports-like-whatsmeow-N  the same contacts and push names
#   whatsmeow-decodes-ponton-L     ponton's snapshot and patches (REMOVE,
#                                  overwrite, REMOVE of an unknown index)
#                                  verify in whatsmeow's DecodePatches with
#                                  every MAC checked, to ponton's state
#   whatsmeow-refuses-L            tampered patches ponton refused (patch
#                                  MAC, snapshot MAC, a value byte) are
#                                  refused by whatsmeow too
#   whatsmeow-pinned-differs-L     the one place the pinned whatsmeow
#                                  differs (SET-REMOVE-SET of one index in
#                                  one patch; fixed in newer whatsmeow):
#                                  documented, so a change shows here
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
T=$B/san/tools/wa_appstate_vec
W=$B/test-work/wa-appstate-vectors
mkdir -p "$W"
status=0

if ! WM=$(sh "$TOP/test/peers/whatsmeow/build.sh"); then
	echo "FAIL: whatsmeow-driver-build"
	exit 1
fi
[ -x "$T" ] || { echo "FAIL: wa_appstate_vec not built ($T)"; exit 1; }

if "$WM" appstatevec encode > "$W/whatsmeow.txt" 2> "$W/whatsmeow.err"; then
	"$T" check "$W/whatsmeow.txt" 2> "$W/ponton-check.err" || status=1
else
	echo "FAIL: whatsmeow-encodes (see $W/whatsmeow.err)"
	status=1
fi
if "$T" make > "$W/ponton.txt" 2> "$W/ponton-make.err"; then
	"$WM" appstatevec decode "$W/ponton.txt" || status=1
else
	echo "FAIL: ponton-makes-vectors (see $W/ponton-make.err)"
	status=1
fi
exit $status
