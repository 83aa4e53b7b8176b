#!/bin/sh
# One message to a 256-member group (3 devices each): ponton's first send
# (sender key + SKDM encrypted for every device + skmsg) and later sends
# (one skmsg), in-memory stores, no network (bench/bench_group_send.c,
# release build).  Reported, never asserted.
set -eu
: "${BUILD:=build}"
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
out=$("$TOP/$BUILD/rel/bench/bench_group_send" 256 3)
node -e '
const j = JSON.parse(process.argv[1])
console.log(`bench_group_send: ${j.members} members, ${j.devices} devices (in-memory stores)`)
for (const r of j.rows)
	console.log(`  ${r.name.padEnd(11)} ${(1000 * r.s / r.ops).toFixed(3).padStart(10)} ms each` +
	    (r.bytes ? `, stanza ${r.bytes} bytes` : ""))
' "$out"
