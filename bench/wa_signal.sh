#!/bin/sh
# Signal operations per second: ponton (bench/wa_signal.c, release build,
# libsignal-protocol-c) and Baileys 7.0.0-rc14's Signal repository
# (libsignal-node; test/peers/baileys/signal.mjs bench) on the same
# operations with in-memory stores.  Prints both and the ratio.  Reported,
# never asserted; exits non-zero only if a side cannot run.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
SECS=${BENCH_SECONDS:-1}
sh "$TOP/test/peers/baileys/install.sh"
p=$("$TOP/$BUILD/rel/bench/wa_signal" "$SECS")
b=$(node "$TOP/test/peers/baileys/signal.mjs" bench "$SECS")
node -e '
const p = JSON.parse(process.argv[1]), b = JSON.parse(process.argv[2])
console.log("wa_signal: operations per second (100-byte plaintext, padded; in-memory stores)")
console.log("  operation        ponton   baileys   ratio")
for (const r of p.rows) {
	const q = b.rows.find(x => x.name === r.name)
	if (!q) continue
	const po = r.ops / r.s, bo = q.ops / q.s
	console.log(`  ${r.name.padEnd(14)} ${po.toFixed(0).padStart(8)} ${bo.toFixed(0).padStart(9)} ${(po / bo).toFixed(2).padStart(6)}x`)
}
console.log("  (ratio = ponton / baileys; ponton faster when > 1)")
' "$p" "$b"
