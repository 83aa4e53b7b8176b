#!/bin/sh
# Noise transport throughput: ponton (bench/wa_noise.c, release build) and
# Baileys 7.0.0-rc14 (test/peers/baileys/noise.mjs bench: its TransportState
# through makeNoiseHandler's encodeFrame/decrypt) on the same payload sizes.
# Prints both and the ratio.  Reported, never asserted; exits non-zero only
# if a side cannot run.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
SECS=${BENCH_SECONDS:-1}
sh "$TOP/test/peers/baileys/install.sh"
p=$("$TOP/$BUILD/rel/bench/wa_noise" "$SECS")
b=$(node "$TOP/test/peers/baileys/noise.mjs" bench "$SECS")
node -e '
const p = JSON.parse(process.argv[1]), b = JSON.parse(process.argv[2])
const mb = (bytes, s) => bytes / s / 1e6
console.log("wa_noise: transport frames, MB/s of payload (encrypt = frame encryption with length prefix)")
console.log("  size      ponton enc  baileys enc  ratio    ponton dec  baileys dec  ratio")
for (const r of p.rows) {
	const q = b.rows.find(x => x.size === r.size)
	if (!q) continue
	const pe = mb(r.enc_bytes, r.enc_s), be = mb(q.enc_bytes, q.enc_s)
	const pd = mb(r.dec_bytes, r.dec_s), bd = mb(q.dec_bytes, q.dec_s)
	console.log(`  ${String(r.size).padEnd(8)} ${pe.toFixed(1).padStart(10)} ${be.toFixed(1).padStart(12)} ${(pe / be).toFixed(2).padStart(6)}x ` +
		`${pd.toFixed(1).padStart(12)} ${bd.toFixed(1).padStart(12)} ${(pd / bd).toFixed(2).padStart(6)}x`)
}
console.log("  (ratio = ponton / baileys; ponton faster when > 1)")
' "$p" "$b"
