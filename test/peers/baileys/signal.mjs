// signal.mjs: ponton's Signal layer (test/tools/wa_signal_peer.c, over its
// stdin/stdout line protocol) against Baileys' own Signal repository
// (makeLibSignalRepository: libsignal-node sessions, Baileys' sender keys),
// both from the pinned npm package.  Run by test/wa/25-signal-baileys.sh.
//
//   node signal.mjs PEER_BINARY
//   node signal.mjs bench SECONDS   operations per second through Baileys'
//                                   repository, one JSON line (bench/wa_signal.sh)
//
// Checks: Signal addresses for the same JIDs; ponton builds a session from
// a prekey bundle Baileys encodes as a binary <iq> result (its own
// xmppPreKey/xmppSignedPreKey and encoder) and sends pkmsg then msg that
// Baileys decrypts, Baileys replies; Baileys builds a session from
// ponton's bundle with parseAndInjectE2ESessions and sends a pkmsg that
// ponton decrypts (consuming its one-time prekey); sender keys both ways
// (ponton's SenderKeyDistributionMessage processed by Baileys and skmsg
// decrypted, and the reverse); tampered and replayed messages refused.
// Plaintexts carry WhatsApp's padding on both sides (Baileys'
// writeRandomPadMax16/unpadRandomMax16 around its repository calls).
// Prints PASS:/FAIL: lines; exits 1 if anything failed.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('@whiskeysockets/baileys/package.json'))
const { makeLibSignalRepository } = await import(join(pkgDir, 'lib/Signal/libsignal.js'))
const { parseAndInjectE2ESessions, xmppPreKey, xmppSignedPreKey } =
	await import(join(pkgDir, 'lib/Utils/signal.js'))
const { writeRandomPadMax16, unpadRandomMax16, encodeBigEndian } =
	await import(join(pkgDir, 'lib/Utils/generics.js'))
const { initAuthCreds } = await import(join(pkgDir, 'lib/Utils/auth-utils.js'))
const { Curve, generateSignalPubKey } = await import(join(pkgDir, 'lib/Utils/crypto.js'))
const { encodeBinaryNode } = await import(join(pkgDir, 'lib/WABinary/encode.js'))
const { KEY_BUNDLE_TYPE } = await import(join(pkgDir, 'lib/Defaults/index.js'))

const logger = {
	level: 'silent',
	child () { return logger },
	trace () {}, debug () {}, info () {}, warn () {}, error () {}
}
const peerBin = process.argv[2]
let failed = 0
const pass = n => console.log(`PASS: signal-baileys: ${n}`)
const fail = (n, why) => { failed++; console.log(`FAIL: signal-baileys: ${n}${why ? ': ' + why : ''}`) }
const check = (n, cond, why) => cond ? pass(n) : fail(n, why)
const hex = b => Buffer.from(b).toString('hex')
const unhex = s => Buffer.from(s, 'hex')

// The C peer: one command, one answer line (not started for the bench).
const peer = peerBin === 'bench' ? null : spawn(peerBin, [], { stdio: ['pipe', 'pipe', 'inherit'] })
const waiting = []
if (peer) createInterface({ input: peer.stdout }).on('line', l => { const w = waiting.shift(); if (w) w(l) })
const cmd = line => new Promise(resolve => {
	waiting.push(resolve)
	peer.stdin.write(line + '\n')
})
const ok = async line => {
	const r = await cmd(line)
	if (!r.startsWith('ok')) throw new Error(`${line.split(' ')[0]}: ${r}`)
	return r.split(' ').slice(1)
}

// A Baileys party: creds and an in-memory SignalKeyStore.
function party () {
	const creds = initAuthCreds()
	const data = {}
	const keys = {
		async get (type, ids) {
			const out = {}
			for (const id of ids) out[id] = data[type]?.[id]
			return out
		},
		async set (upd) {
			for (const type in upd) {
				data[type] ||= {}
				for (const id in upd[type]) {
					if (upd[type][id] === null) delete data[type][id]
					else data[type][id] = upd[type][id]
				}
			}
		},
		async transaction (fn) { return fn() },
		isInTransaction () { return false }
	}
	const repo = makeLibSignalRepository({ creds, keys }, logger, async () => undefined)
	return { creds, data, repo }
}

const PJID = '100000000000001:5@lid'	// ponton
const BJID = '200000000000002:3@lid'	// Baileys, session started by ponton
const CJID = '300000000000003:7@lid'	// Baileys, session started by Baileys
const GROUP = '120363000000000777@g.us'
const text = s => Buffer.from(s, 'utf-8')

async function main () {
	// Addresses: whatsmeow's "<user>[_<agent>]:<device>" is Baileys'
	// "<user>[_<domain>].<device>" with another separator.
	const b0 = party()
	const jids = ['33612345678@s.whatsapp.net', '33612345678:12@s.whatsapp.net',
		PJID, '123456789012345@lid', '55555:99@hosted', '55555:99@hosted.lid']
	let same = true
	for (const j of jids) {
		const mine = (await ok(`addr ${j}`))[0]
		const theirs = b0.repo.jidToSignalProtocolAddress(j).replace(/\.(\d+)$/, ':$1')
		if (mine !== theirs) { same = false; fail('address', `${j}: ${mine} != ${theirs}`) }
	}
	if (same) pass('address')
	const P = (await ok(`addr ${PJID}`))[0]
	const B = (await ok(`addr ${BJID}`))[0]
	const C = (await ok(`addr ${CJID}`))[0]

	// ponton -> Baileys: Baileys' bundle as the server would relay it.
	const b = party()
	const pk = Curve.generateKeyPair()
	b.data['pre-key'] = { 31: pk }
	const iq = {
		tag: 'iq', attrs: { from: 's.whatsapp.net', type: 'result', id: '1' },
		content: [{
			tag: 'list', attrs: {},
			content: [{
				tag: 'user', attrs: { jid: BJID },
				content: [
					{ tag: 'registration', attrs: {}, content: Buffer.from(encodeBigEndian(b.creds.registrationId, 4)) },
					{ tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
					{ tag: 'identity', attrs: {}, content: Buffer.from(b.creds.signedIdentityKey.public) },
					xmppPreKey(pk, 31),
					xmppSignedPreKey(b.creds.signedPreKey)
				]
			}]
		}]
	}
	// A bundle with a corrupted signature is refused first.
	const bad = structuredClone(iq)
	const sig = bad.content[0].content[0].content[4].content[2]
	sig.content = Buffer.from(sig.content)
	sig.content[5] ^= 1
	const badr = await cmd(`bundle ${B} ${hex(encodeBinaryNode(bad))}`)
	check('bundle-bad-signature-refused', badr.startsWith('err -333'), badr)
	await ok(`bundle ${B} ${hex(encodeBinaryNode(iq))}`)
	pass('bundle-from-baileys-node')

	const sendP2B = async (msg, want) => {
		const [type, ct] = await ok(`enc ${B} ${hex(text(msg))}`)
		if (want && type !== want) throw new Error(`type ${type}, want ${want}`)
		const pt = await b.repo.decryptMessage({ jid: PJID, type, ciphertext: unhex(ct) })
		return Buffer.from(unpadRandomMax16(pt)).toString('utf-8')
	}
	const sendB2P = async (repo, jid, addr, msg, want) => {
		const { type, ciphertext } = await repo.encryptMessage({ jid: PJID, data: writeRandomPadMax16(text(msg)) })
		if (want && type !== want) throw new Error(`type ${type}, want ${want}`)
		const [pt] = await ok(`dec ${addr} ${type} ${hex(ciphertext)}`)
		return { pt: unhex(pt || '').toString('utf-8'), type, ciphertext }
	}
	check('pkmsg-ponton-to-baileys', await sendP2B('hello from ponton', 'pkmsg') === 'hello from ponton')
	check('baileys-prekey-consumed', b.data['pre-key'][31] === undefined)
	check('msg-baileys-to-ponton', (await sendB2P(b.repo, BJID, B, 'hello from baileys', 'msg')).pt === 'hello from baileys')
	check('msg-ponton-to-baileys', await sendP2B('now a msg', 'msg') === 'now a msg')
	let many = true
	for (let i = 0; i < 30; i++) {
		const m = `round ${i} ` + 'x'.repeat(i * 7)
		if (i % 2) { if (await sendP2B(m, 'msg') !== m) many = false }
		else if ((await sendB2P(b.repo, BJID, B, m, 'msg')).pt !== m) many = false
	}
	check('many-messages-both-ways', many)

	// Tampered and replayed messages from Baileys are refused by ponton.
	const { ciphertext } = await b.repo.encryptMessage({ jid: PJID, data: writeRandomPadMax16(text('t')) })
	const t = Buffer.from(ciphertext)
	t[t.length - 2] ^= 4
	const tr = await cmd(`dec ${B} msg ${hex(t)}`)
	check('tampered-refused', tr.startsWith('err -331'), tr)
	const [gpt] = await ok(`dec ${B} msg ${hex(ciphertext)}`)
	const rr = await cmd(`dec ${B} msg ${hex(ciphertext)}`)
	check('replay-refused', unhex(gpt).length > 0 && rr.startsWith('err -332'), rr)

	// Baileys -> ponton: Baileys starts from ponton's bundle.
	const c = party()
	const [reg, ident, spkId, spk, spkSig] = await ok('keys')
	const [ppk] = await ok('prekey 4242')
	const pIq = {
		tag: 'iq', attrs: {},
		content: [{
			tag: 'list', attrs: {},
			content: [{
				tag: 'user', attrs: { jid: PJID },
				content: [
					{ tag: 'registration', attrs: {}, content: Buffer.from(encodeBigEndian(Number(reg), 4)) },
					{ tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
					{ tag: 'identity', attrs: {}, content: unhex(ident) },
					{ tag: 'key', attrs: {}, content: [
						{ tag: 'id', attrs: {}, content: Buffer.from(encodeBigEndian(4242, 3)) },
						{ tag: 'value', attrs: {}, content: unhex(ppk) }] },
					{ tag: 'skey', attrs: {}, content: [
						{ tag: 'id', attrs: {}, content: Buffer.from(encodeBigEndian(Number(spkId), 3)) },
						{ tag: 'value', attrs: {}, content: unhex(spk) },
						{ tag: 'signature', attrs: {}, content: unhex(spkSig) }] }
				]
			}]
		}]
	}
	const before = Number((await ok('prekeys'))[0])
	await parseAndInjectE2ESessions(pIq, c.repo)
	const r1 = await sendB2P(c.repo, CJID, C, 'first from baileys', 'pkmsg')
	check('pkmsg-baileys-to-ponton', r1.pt === 'first from baileys')
	const after = Number((await ok('prekeys'))[0])
	check('ponton-prekey-consumed', before === 1 && after === 0, `${before} -> ${after}`)
	const [type2, ct2] = await ok(`enc ${C} ${hex(text('reply from ponton'))}`)
	const pt2 = await c.repo.decryptMessage({ jid: PJID, type: type2, ciphertext: unhex(ct2) })
	check('msg-ponton-reply-to-baileys', type2 === 'msg' &&
		Buffer.from(unpadRandomMax16(pt2)).toString() === 'reply from ponton')
	check('no-identity-change-reported', (await ok('changes'))[0] === '0')

	// Sender keys: ponton -> Baileys.
	const [skdm] = await ok(`skdm ${GROUP} ${P}`)
	await b.repo.processSenderKeyDistributionMessage({
		item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: unhex(skdm) },
		authorJid: PJID
	})
	let gok = true
	for (let i = 0; i < 5; i++) {
		const m = `group message ${i} from ponton`
		const [sk] = await ok(`genc ${GROUP} ${P} ${hex(text(m))}`)
		const pt = await b.repo.decryptGroupMessage({ group: GROUP, authorJid: PJID, msg: unhex(sk) })
		if (Buffer.from(unpadRandomMax16(pt)).toString() !== m) gok = false
	}
	check('skmsg-ponton-to-baileys', gok)

	// Sender keys: Baileys -> ponton (the SKDM comes with the first skmsg).
	gok = true
	for (let i = 0; i < 5; i++) {
		const m = `group message ${i} from baileys`
		const { ciphertext: sk, senderKeyDistributionMessage: d } =
			await b.repo.encryptGroupMessage({ group: GROUP, meId: BJID, data: writeRandomPadMax16(text(m)) })
		if (i === 0) await ok(`gproc ${GROUP} ${B} ${hex(d)}`)
		const [pt] = await ok(`gdec ${GROUP} ${B} ${hex(sk)}`)
		if (unhex(pt).toString() !== m) gok = false
		if (i === 4) {
			const dup = await cmd(`gdec ${GROUP} ${B} ${hex(sk)}`)
			check('skmsg-replay-refused', dup.startsWith('err -332'), dup)
			const x = Buffer.from(sk)
			x[x.length - 10] ^= 1
			const bad = await cmd(`gdec ${GROUP} ${C} ${hex(x)}`)
			check('skmsg-unknown-sender-refused', bad.startsWith('err -339'), bad)
		}
	}
	check('skmsg-baileys-to-ponton', gok)
}

// Benchmark: the operations of bench/wa_signal.c, 100-byte plaintexts with
// Baileys' padding, parties with in-memory key stores.
async function bench (secs) {
	const now = () => Number(process.hrtime.bigint()) / 1e9
	const pt = Buffer.alloc(100, 'x')
	const AJ = '100000000000001:1@lid', BJ = '100000000000002:1@lid'
	const pair = async () => {
		const a = party(), b = party()
		const pk = Curve.generateKeyPair()
		b.data['pre-key'] = { 1: pk }
		await a.repo.injectE2ESession({
			jid: BJ,
			session: {
				registrationId: b.creds.registrationId,
				identityKey: generateSignalPubKey(b.creds.signedIdentityKey.public),
				signedPreKey: {
					keyId: b.creds.signedPreKey.keyId,
					publicKey: generateSignalPubKey(b.creds.signedPreKey.keyPair.public),
					signature: b.creds.signedPreKey.signature
				},
				preKey: { keyId: 1, publicKey: generateSignalPubKey(pk.public) }
			}
		})
		return { a, b }
	}
	const rows = []
	let ops = 0, t0 = now(), t
	do {
		const { a, b } = await pair()
		const { type, ciphertext } = await a.repo.encryptMessage({ jid: BJ, data: writeRandomPadMax16(pt) })
		unpadRandomMax16(await b.repo.decryptMessage({ jid: AJ, type, ciphertext }))
		ops++
	} while ((t = now() - t0) < secs)
	rows.push({ name: 'session-setup', ops, s: t })
	const { a, b } = await pair()
	let r = await a.repo.encryptMessage({ jid: BJ, data: writeRandomPadMax16(pt) })
	await b.repo.decryptMessage({ jid: AJ, type: r.type, ciphertext: r.ciphertext })
	r = await b.repo.encryptMessage({ jid: AJ, data: writeRandomPadMax16(pt) })
	await a.repo.decryptMessage({ jid: BJ, type: r.type, ciphertext: r.ciphertext })
	let enc = 0, dec = 0, k = 0
	while (enc + dec < 2 * secs) {
		const cts = []
		t0 = now()
		for (let i = 0; i < 256; i++) cts.push(await a.repo.encryptMessage({ jid: BJ, data: writeRandomPadMax16(pt) }))
		enc += now() - t0
		t0 = now()
		for (const c of cts) unpadRandomMax16(await b.repo.decryptMessage({ jid: AJ, type: c.type, ciphertext: c.ciphertext }))
		dec += now() - t0
		k += 256
	}
	rows.push({ name: 'msg-encrypt', ops: k, s: enc }, { name: 'msg-decrypt', ops: k, s: dec })
	const skdm = await a.repo.getSenderKeyDistributionMessage({ group: GROUP, meId: AJ })
	await b.repo.processSenderKeyDistributionMessage({
		item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: skdm }, authorJid: AJ
	})
	enc = dec = k = 0
	while (enc + dec < 2 * secs) {
		const cts = []
		t0 = now()
		for (let i = 0; i < 256; i++) cts.push((await a.repo.encryptGroupMessage({ group: GROUP, meId: AJ, data: writeRandomPadMax16(pt) })).ciphertext)
		enc += now() - t0
		t0 = now()
		for (const c of cts) unpadRandomMax16(await b.repo.decryptGroupMessage({ group: GROUP, authorJid: AJ, msg: c }))
		dec += now() - t0
		k += 256
	}
	rows.push({ name: 'skmsg-encrypt', ops: k, s: enc }, { name: 'skmsg-decrypt', ops: k, s: dec })
	console.log(JSON.stringify({ rows }))
}

if (peerBin === 'bench') {
	await bench(Number(process.argv[3] || 1))
	process.exit(0)
}

try {
	await main()
} catch (e) {
	fail('exception', e.stack || String(e))
}
peer.stdin.end()
await new Promise(resolve => peer.on('close', resolve))
process.exit(failed ? 1 : 0)
