#!/bin/sh
# Binary node vectors, ponton against Baileys (the pinned npm package), byte
# for byte both ways:
#   bytes-equal              ponton's encoding == Baileys' encoding
#   ponton-decodes-baileys   ponton decodes Baileys' bytes to the node
#                            Baileys itself reads back
#   baileys-decodes-ponton   Baileys decodes ponton's bytes to that node
# plus ponton-only checks from wa_node_vectors check (hand-worked expected
# bytes for the JID forms only whatsmeow writes; decode/re-encode identity).
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
V=$TOP/test/data/waweb/node-vectors.json
T=$B/san/tools/wa_node_vectors
D=$TOP/test/peers/baileys
W=$B/test-work/wa-node-vectors
mkdir -p "$W"
status=0

if ! sh "$D/install.sh"; then
	echo "FAIL: baileys-install"
	exit 1
fi
[ -x "$T" ] || { echo "FAIL: wa_node_vectors not built ($T)"; exit 1; }

"$T" check "$V" || status=1
"$T" encode "$V" > "$W/ponton.hex" || { echo "FAIL: ponton-encode-all"; status=1; }
node "$D/vectors.mjs" encode "$V" > "$W/baileys.hex" || { echo "FAIL: baileys-encode-all"; status=1; }
node "$D/vectors.mjs" views "$V" > "$W/views.json" || { echo "FAIL: baileys-views"; status=1; }

# Every vector Baileys can write must have the same bytes from both.
nb=$(grep -c . "$W/baileys.hex")
[ "$nb" -gt 0 ] || { echo "FAIL: baileys-encoded-nothing"; status=1; }
while read -r name hex; do
	mine=$(awk -v n="$name" '$1 == n { print $2 }' "$W/ponton.hex")
	if [ -n "$mine" ] && [ "$mine" = "$hex" ]; then
		echo "PASS: bytes-equal: $name"
	else
		echo "FAIL: bytes-equal: $name"
		echo "  baileys: $(echo "$hex" | cut -c1-400)"
		echo "  ponton:  $(echo "$mine" | cut -c1-400)"
		status=1
	fi
done < "$W/baileys.hex"

"$T" decode "$W/baileys.hex" "$W/views.json" || status=1
node "$D/vectors.mjs" decode "$V" "$W/ponton.hex" || status=1
exit $status
