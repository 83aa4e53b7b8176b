#!/bin/sh
# Binary node codec throughput: ponton (bench/wa_node.c, release build) and
# Baileys 7.0.0-rc14 (test/peers/baileys/vectors.mjs bench) on the same
# corpus (test/data/waweb/node-vectors.json).  Prints both and the ratio.
# Reported, never asserted; exits non-zero only if a side cannot run.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
V=$TOP/test/data/waweb/node-vectors.json
SECS=${BENCH_SECONDS:-1}
sh "$TOP/test/peers/baileys/install.sh"
case $BUILD in /*) B=$BUILD ;; *) B=$TOP/$BUILD ;; esac
p=$("$B/rel/bench/wa_node" "$V" "$SECS")
b=$(node "$TOP/test/peers/baileys/vectors.mjs" bench "$V" "$SECS")
node -e '
const p = JSON.parse(process.argv[1]), b = JSON.parse(process.argv[2])
const mb = (bytes, s) => (bytes / s / 1e6).toFixed(1)
const row = (who, r) => console.log(`  ${who.padEnd(8)} encode ${mb(r.bytes, r.encode_s).padStart(8)} MB/s  ` +
	`decode ${mb(r.bytes, r.decode_s).padStart(8)} MB/s  (${r.rounds} rounds)`)
console.log(`wa_node: ${p.nodes} nodes, ${p.bytes} bytes per round (Baileys: ${b.nodes} nodes, ${b.bytes} bytes)`)
row("ponton", p)
row("baileys", b)
console.log(`  ratio    encode ${(b.encode_s / p.encode_s).toFixed(1)}x  decode ${(b.decode_s / p.decode_s).toFixed(1)}x  (ponton faster when > 1)`)
' "$p" "$b"
