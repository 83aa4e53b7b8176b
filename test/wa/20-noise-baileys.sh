#!/bin/sh
# Noise handshake, certificate chain and transport: Baileys' own initiator
# (the pinned npm package) against ponton's responder and frame decoder
# (test/tools/wa_noise_peer), with ClientPayloads Baileys builds and
# ponton's protobuf schema decodes field by field.  See
# test/peers/baileys/noise.mjs.
set -u
: "${BUILD:=build}"
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=$TOP/$BUILD/san/tools/wa_noise_peer
D=$TOP/test/peers/baileys

if ! sh "$D/install.sh"; then
	echo "FAIL: noise-baileys: baileys-install"
	exit 1
fi
[ -x "$T" ] || { echo "FAIL: noise-baileys: wa_noise_peer not built ($T)"; exit 1; }
node "$D/noise.mjs" "$T"
