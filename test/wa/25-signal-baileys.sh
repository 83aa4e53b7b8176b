#!/bin/sh
# Signal sessions and sender keys: ponton's Signal layer
# (test/tools/wa_signal_peer) against Baileys' own Signal repository
# (libsignal-node and Baileys' sender keys, from the pinned npm package),
# both directions.  See test/peers/baileys/signal.mjs.
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=$TOP/$BUILD/san/tools/wa_signal_peer
D=$TOP/test/peers/baileys

if ! sh "$D/install.sh"; then
	echo "FAIL: signal-baileys: baileys-install"
	exit 1
fi
[ -x "$T" ] || { echo "FAIL: signal-baileys: wa_signal_peer not built ($T)"; exit 1; }
node "$D/signal.mjs" "$T"
