#!/bin/sh
# Binary node vectors, ponton against whatsmeow's binary package (the
# version pinned in test/peers/whatsmeow/go.mod), both ways:
#   whatsmeow-bytes-equal       whatsmeow's encoding == ponton's, attribute
#                               order aside (whatsmeow keeps attributes in
#                               a Go map, so its order changes run to run)
#   whatsmeow-bytes-documented  where whatsmeow writes other bytes (empty
#                               attribute values left out, device 0 and
#                               device-less hosted JIDs, JID-shaped strings
#                               kept raw), it writes exactly the bytes the
#                               vector's "whatsmeow.hex" records, and ponton's
#                               differ: a change on either side shows here
#   whatsmeow-decodes-ponton    whatsmeow decodes ponton's bytes to the node
#                               it decodes its own bytes to (or to the
#                               recorded "whatsmeow.view")
#   ponton-decodes-whatsmeow    ponton decodes whatsmeow's bytes to the node
#                               it decodes its own bytes to (or to the
#                               recorded "whatsmeow.ponton_view")
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
V=$TOP/test/data/waweb/node-vectors.json
T=$B/san/tools/wa_node_vectors
W=$B/test-work/wa-node-vectors-whatsmeow
mkdir -p "$W"
status=0

if ! WM=$(sh "$TOP/test/peers/whatsmeow/build.sh"); then
	echo "FAIL: whatsmeow-driver-build"
	exit 1
fi
[ -x "$T" ] || { echo "FAIL: wa_node_vectors not built ($T)"; exit 1; }

"$T" encode "$V" > "$W/ponton.hex" || { echo "FAIL: ponton-encode-all"; status=1; }
"$T" views "$V" whatsmeow > "$W/views.json" || { echo "FAIL: ponton-views"; status=1; }
"$WM" vectors encode "$V" > "$W/whatsmeow.hex" || { echo "FAIL: whatsmeow-encode-all"; status=1; }
nv=$(grep -c . "$W/ponton.hex")
nw=$(grep -c . "$W/whatsmeow.hex")
if [ "$nw" -ne "$nv" ] || [ "$nv" -eq 0 ]; then
	echo "FAIL: whatsmeow-encodes-every-vector ($nw of $nv)"
	status=1
fi
"$WM" vectors check "$V" "$W/ponton.hex" || status=1
"$T" decode "$W/whatsmeow.hex" "$W/views.json" whatsmeow || status=1
exit $status
