#!/bin/sh
# WhatsApp media crypto on one core (bench/bench_media.c, release build):
# encrypt and check+decrypt a voice note, an image and a document.
# Reported, never asserted.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
out=$("$TOP/$BUILD/rel/bench/bench_media")
node -e '
const j = JSON.parse(process.argv[1])
console.log("bench_media: WhatsApp media crypto, one core")
for (const r of j.rows)
	console.log(`  ${r.name.padEnd(26)} ${(1000 * r.s / r.ops).toFixed(3).padStart(10)} ms each, ` +
	    `${(r.bytes * r.ops / r.s / 1048576).toFixed(0)} MiB/s`)
' "$out"
