// vectors.mjs: Baileys' side of the binary node cross-implementation vectors
// (test/data/waweb/node-vectors.json; ponton's side is
// test/tools/wa_node_vectors.c, the orchestration test/wa/10-node-vectors.sh).
// Uses Baileys' own WABinary encoder and decoder from the pinned package.
//
//   node vectors.mjs encode VECTORS        "name hex" per vector Baileys can
//                                          write ("baileys" not false)
//   node vectors.mjs views VECTORS         JSON {name: view}: the node as
//                                          Baileys sees it after a round trip
//                                          through its own codec, or the
//                                          vector's explicit "view"
//   node vectors.mjs decode VECTORS HEXES  PASS/FAIL per line: Baileys decodes
//                                          ponton's bytes to the expected view
//   node vectors.mjs bench VECTORS SECONDS encode/decode time per corpus round
//                                          (bench/wa_node.sh)
//
// A view is {tag, attrs: {k: string}, content: null | {bytes: hex} |
// {string: s} | [views]}.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

// The package has no "exports" map; load only its WABinary part.
const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('@whiskeysockets/baileys/package.json'))
const WABinary = await import(join(pkgDir, 'lib/WABinary/index.js'))
const { encodeBinaryNode, decodeBinaryNode } = WABinary

let failed = 0
const result = (ok, what, name, why) => {
	console.log(`${ok ? 'PASS' : 'FAIL'}: ${what}: ${name}${!ok && why ? ': ' + why : ''}`)
	if (!ok) failed++
}

// A typed JID from the vectors, as a string Baileys' encoder turns back
// into the same tag: "user:device@server" keeps an explicit ":0".
const jidInput = v => {
	const s = v.jid
	return s.includes('@') ? s : '@' + s
}

const toBaileys = n => {
	const attrs = {}
	for (const [k, v] of n.attrs || []) attrs[k] = typeof v === 'string' ? v : jidInput(v)
	let content
	const c = n.content
	if (Array.isArray(c)) content = c.map(toBaileys)
	else if (c == null) content = undefined
	else if (c.bytes !== undefined) content = Buffer.from(c.bytes, 'hex')
	else if (c.bytes_repeat !== undefined) {
		const unit = Buffer.from(c.bytes_repeat[0], 'hex')
		content = Buffer.alloc(unit.length * c.bytes_repeat[1])
		for (let i = 0; i < c.bytes_repeat[1]; i++) unit.copy(content, i * unit.length)
	} else if (c.string !== undefined) content = c.string
	else if (c.repeat !== undefined) content = Array.from({ length: c.repeat[1] }, () => toBaileys(c.repeat[0]))
	else if (c.jid !== undefined) content = jidInput(c)
	else throw new Error('bad content in vector ' + JSON.stringify(c))
	return { tag: n.tag, attrs, content }
}

const view = n => {
	const attrs = {}
	for (const [k, v] of Object.entries(n.attrs || {})) attrs[k] = v
	let content = null
	if (Array.isArray(n.content)) content = n.content.map(view)
	else if (Buffer.isBuffer(n.content) || n.content instanceof Uint8Array) content = { bytes: Buffer.from(n.content).toString('hex') }
	else if (typeof n.content === 'string') content = { string: n.content }
	return { tag: n.tag, attrs, content }
}

// Order-insensitive for attrs (a JS object), order-sensitive for lists.
const canon = v => {
	if (Array.isArray(v)) return v.map(canon)
	if (v && typeof v === 'object') {
		const o = {}
		for (const k of Object.keys(v).sort()) o[k] = canon(v[k])
		return o
	}
	return v
}
const same = (a, b) => JSON.stringify(canon(a)) === JSON.stringify(canon(b))

const load = p => JSON.parse(readFileSync(p, 'utf8')).vectors

const expectedViews = async vecs => {
	const out = {}
	for (const v of vecs) {
		if (v.baileys === false) out[v.name] = v.view
		else out[v.name] = view(await decodeBinaryNode(encodeBinaryNode(toBaileys(v.node))))
	}
	return out
}

const [cmd, vecPath, arg] = process.argv.slice(2)
const vecs = load(vecPath)
if (cmd === 'encode') {
	const lines = []
	for (const v of vecs) {
		if (v.baileys === false) continue
		lines.push(`${v.name} ${encodeBinaryNode(toBaileys(v.node)).toString('hex')}`)
	}
	process.stdout.write(lines.join('\n') + '\n')
} else if (cmd === 'views') {
	process.stdout.write(JSON.stringify(await expectedViews(vecs)) + '\n')
} else if (cmd === 'decode') {
	const want = await expectedViews(vecs)
	for (const line of readFileSync(arg, 'utf8').split('\n')) {
		if (!line) continue
		const [name, hex] = line.split(' ')
		let got
		try {
			got = view(await decodeBinaryNode(Buffer.from(hex, 'hex')))
		} catch (e) {
			result(false, 'baileys-decodes-ponton', name, String(e))
			continue
		}
		const ok = want[name] !== undefined && same(got, want[name])
		result(ok, 'baileys-decodes-ponton', name, ok ? '' : JSON.stringify(canon(got)).slice(0, 2000))
	}
} else if (cmd === 'bench') {
	// Same corpus as bench/wa_node.c: every vector Baileys can write, minus
	// bench_skip.  Each phase repeats the corpus for SECONDS; per-round times.
	const secs = Number(arg || 1)
	const nodes = vecs.filter(v => v.baileys !== false && !v.bench_skip).map(v => toBaileys(v.node))
	const bufs = nodes.map(n => encodeBinaryNode(n))
	const bytes = bufs.reduce((a, b) => a + b.length, 0)
	for (let i = 0; i < 5; i++) for (const n of nodes) encodeBinaryNode(n) // warm-up
	let t = process.hrtime.bigint()
	let rounds = 0
	while (rounds === 0 || Number(process.hrtime.bigint() - t) / 1e9 < secs) {
		for (const n of nodes) encodeBinaryNode(n)
		rounds++
	}
	const enc = Number(process.hrtime.bigint() - t) / 1e9 / rounds
	for (let i = 0; i < 5; i++) for (const b of bufs) await decodeBinaryNode(b)
	t = process.hrtime.bigint()
	for (let i = 0; i < rounds; i++) for (const b of bufs) await decodeBinaryNode(b)
	const dec = Number(process.hrtime.bigint() - t) / 1e9 / rounds
	console.log(JSON.stringify({ nodes: nodes.length, bytes, rounds, encode_s: enc, decode_s: dec }))
} else {
	console.error('usage: vectors.mjs encode|views VECTORS | decode VECTORS HEXES | bench VECTORS SECONDS')
	process.exit(2)
}
process.exitCode = failed ? 1 : 0
