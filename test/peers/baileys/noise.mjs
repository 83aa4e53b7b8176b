// noise.mjs: Baileys' own Noise initiator (makeNoiseHandler, the pinned
// package) against ponton's responder (test/tools/wa_noise_peer.c), over the
// peer's stdin/stdout carrying the websocket byte stream.  Run by
// test/wa/20-noise-baileys.sh.
//
//   node noise.mjs PEER_BINARY
//   node noise.mjs bench SECONDS   transport throughput per payload size, one
//                                  JSON line (bench/wa_noise.sh)
//
// For a registration and a login ClientPayload built by Baileys itself:
// handshake (Baileys verifies ponton's certificate chain against the test
// root the peer announces), ponton reports the client static key, the hash
// of the ClientPayload and what its schema decoded; then transport frames
// both ways, two in one write and one cut in two writes.
// Prints PASS:/FAIL: lines; exits 1 if anything failed.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('@whiskeysockets/baileys/package.json'))
const { makeNoiseHandler } = await import(join(pkgDir, 'lib/Utils/noise-handler.js'))
const { Curve } = await import(join(pkgDir, 'lib/Utils/crypto.js'))
const { initAuthCreds } = await import(join(pkgDir, 'lib/Utils/auth-utils.js'))
const { generateRegistrationNode, generateLoginNode } =
	await import(join(pkgDir, 'lib/Utils/validate-connection.js'))
const Defaults = await import(join(pkgDir, 'lib/Defaults/index.js'))
const { proto } = await import(join(pkgDir, 'WAProto/index.js'))
// libsignal-node (Baileys' dependency): a real XEdDSA check, unlike
// Baileys' Curve.verify, which only fails on malformed input.
const signalCurve = require('libsignal/src/curve.js')

const logger = {
	level: 'info',
	child () { return logger },
	trace () {}, debug () {}, info () {}, warn () {}, error () {}
}
const peerBin = process.argv[2]

if (peerBin === 'bench') {
	// Baileys' transport as a connection uses it: a handler switched to
	// transport mode (finishInit), encodeFrame to write, decrypt to read.
	// Without a handshake the keys come from the initial chaining key (the
	// protocol name), so frames for the read side can be made up front
	// with Baileys' own AES-GCM helper and the read key derived the same way.
	const { aesEncryptGCM, hkdf } = await import(join(pkgDir, 'lib/Utils/crypto.js'))
	const secs = Number(process.argv[3] || 1)
	const noise = makeNoiseHandler({ keyPair: Curve.generateKeyPair(), NOISE_HEADER: Defaults.NOISE_WA_HEADER, logger })
	await noise.finishInit()
	noise.encodeFrame(Buffer.alloc(1))	// the intro header goes out with the first frame
	const readKey = hkdf(Buffer.alloc(0), 64, { salt: Buffer.from(Defaults.NOISE_MODE), info: '' }).subarray(32)
	const iv = c => { const b = Buffer.alloc(12); b.writeUInt32BE(c, 8); return b }
	const now = () => Number(process.hrtime.bigint()) / 1e9
	let rcounter = 0
	const rows = []
	for (const size of [64, 1024, 16384, 262144]) {
		const payload = createHash('sha512').update(String(size)).digest()
		const data = Buffer.alloc(size)
		for (let i = 0; i < size; i += payload.length) payload.copy(data, i)
		let encBytes = 0, t0 = now(), encS
		do {
			for (let k = 0; k < 64; k++) { noise.encodeFrame(data); encBytes += size }
		} while ((encS = now() - t0) < secs)
		const nb = Math.max(1, Math.floor((4 << 20) / (size + 16)))
		let decBytes = 0, decS = 0
		while (decS < secs) {
			const batch = []
			for (let k = 0; k < nb; k++) batch.push(aesEncryptGCM(data, readKey, iv(rcounter++), Buffer.alloc(0)))
			t0 = now()
			for (const f of batch) { noise.decrypt(f); decBytes += size }
			decS += now() - t0
		}
		rows.push({ size, enc_bytes: encBytes, enc_s: encS, dec_bytes: decBytes, dec_s: decS })
	}
	console.log(JSON.stringify({ rows }))
	process.exit(0)
}
let failed = 0
const result = (ok, name, why) => {
	console.log(`${ok ? 'PASS' : 'FAIL'}: noise-baileys: ${name}${!ok && why ? ': ' + why : ''}`)
	if (!ok) failed++
}
const hex = b => Buffer.from(b).toString('hex')

// Frames from the peer: 3-byte big-endian length + payload, cut anywhere.
function framesOf (stream) {
	let buf = Buffer.alloc(0)
	const waiting = []
	const ready = []
	stream.on('data', d => {
		buf = Buffer.concat([buf, d])
		while (buf.length >= 3) {
			const n = (buf[0] << 16) | (buf[1] << 8) | buf[2]
			if (buf.length < n + 3) break
			const f = buf.subarray(3, n + 3)
			buf = buf.subarray(n + 3)
			if (waiting.length) waiting.shift()(f)
			else ready.push(f)
		}
	})
	return () => new Promise((resolve, reject) => {
		if (ready.length) return resolve(ready.shift())
		const t = setTimeout(() => reject(new Error('timeout waiting for a frame')), 10000)
		waiting.push(f => { clearTimeout(t); resolve(f) })
	})
}

async function run (label, makePayload) {
	const peer = spawn(peerBin, ['server'], { stdio: ['pipe', 'pipe', 'pipe'] })
	let stderr = ''
	const rootLine = new Promise((resolve, reject) => {
		peer.stderr.on('data', d => {
			stderr += d.toString()
			const m = stderr.match(/^root ([0-9a-f]{64})$/m)
			if (m) resolve(m[1])
		})
		peer.on('exit', () => reject(new Error('peer exited: ' + stderr)))
	})
	const exited = new Promise(resolve => peer.on('exit', code => resolve(code)))
	const next = framesOf(peer.stdout)
	try {
		const root = await rootLine
		// Baileys checks the chain against this exported object.
		Defaults.WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')

		const creds = initAuthCreds()
		const ephemeral = Curve.generateKeyPair()
		const noise = makeNoiseHandler({ keyPair: ephemeral, NOISE_HEADER: Defaults.NOISE_WA_HEADER, logger })
		const hello = proto.HandshakeMessage.encode({ clientHello: { ephemeral: ephemeral.public } }).finish()
		peer.stdin.write(noise.encodeFrame(hello))

		const serverHello = proto.HandshakeMessage.decode(await next())
		const keyEnc = await noise.processHandshake(serverHello, creds.noiseKey)
		const payload = proto.ClientPayload.encode(makePayload(creds)).finish()
		const fin = proto.HandshakeMessage.encode({
			clientFinish: { static: keyEnc, payload: noise.encrypt(payload) }
		}).finish()
		peer.stdin.write(noise.encodeFrame(fin))
		await noise.finishInit()
		result(true, `${label}: handshake`)

		const report = Buffer.from(noise.decrypt(await next()))
		result(hex(report.subarray(0, 32)) === hex(creds.noiseKey.public),
			`${label}: ponton-got-client-static`)
		result(hex(report.subarray(32, 64)) === createHash('sha256').update(payload).digest('hex'),
			`${label}: ponton-got-client-payload`)
		const fields = Object.fromEntries(report.subarray(64).toString().split(' ').map(kv => kv.split('=')))
		result(fields.unpack === 'ok', `${label}: ponton-schema-unpacks-client-payload`, report.subarray(64).toString())

		// ponton's chain signatures verify with libsignal-node; a flipped
		// bit does not (so the check is real).
		const chain = proto.CertChain.decode(Buffer.from(fields.cert || '', 'hex'))
		const inter = proto.CertChain.NoiseCertificate.Details.decode(chain.intermediate.details)
		// libsignal wants the 0x05-prefixed form (it warns on 32 bytes).
		const djb = k => Buffer.concat([Buffer.from([5]), Buffer.from(k)])
		const rootKey = djb(Buffer.from(root, 'hex'))
		const ok1 = signalCurve.verifySignature(rootKey, chain.intermediate.details, chain.intermediate.signature)
		const ok2 = signalCurve.verifySignature(djb(inter.key), chain.leaf.details, chain.leaf.signature)
		const flipped = Buffer.from(chain.leaf.signature)
		flipped[7] ^= 1
		const bad = signalCurve.verifySignature(djb(inter.key), chain.leaf.details, flipped)
		result(ok1 === true && ok2 === true && bad === false, `${label}: libsignal-verifies-ponton-cert-signatures`,
			JSON.stringify([ok1, ok2, bad]))
		result(inter.issuerSerial === 0 && chain.intermediate.details.includes(Buffer.from([0x10, 0x00])),
			`${label}: intermediate-issuer-serial-0-on-wire`)

		// Two transport frames in one write, then one frame cut in two.
		peer.stdin.write(Buffer.concat([noise.encodeFrame(Buffer.from('first')), noise.encodeFrame(Buffer.from('second'))]))
		const a = Buffer.from(noise.decrypt(await next())).toString()
		const b = Buffer.from(noise.decrypt(await next())).toString()
		const third = noise.encodeFrame(Buffer.from('third, split'))
		peer.stdin.write(third.subarray(0, 5))
		await new Promise(resolve => setTimeout(resolve, 50))
		peer.stdin.write(third.subarray(5))
		const c = Buffer.from(noise.decrypt(await next())).toString()
		result(a === 'echo:first' && b === 'echo:second' && c === 'echo:third, split',
			`${label}: transport-both-ways`, JSON.stringify([a, b, c]))
		peer.stdin.end()
		const code = await exited
		result(code === 0, `${label}: peer-exit-clean`, `status ${code}: ${stderr}`)
		return fields
	} catch (e) {
		result(false, `${label}: run`, `${e.message} / peer: ${stderr.trim()}`)
		peer.kill()
		return null
	}
}

const config = {
	version: Defaults.DEFAULT_CONNECTION_CONFIG.version,
	browser: Defaults.DEFAULT_CONNECTION_CONFIG.browser,
	countryCode: 'US',
	syncFullHistory: false
}

// Registration payload: every DevicePairingRegistrationData field and the
// DeviceProps inside it must come out of ponton's schema as Baileys wrote them.
let regCreds
const reg = await run('register', creds => {
	regCreds = creds
	return generateRegistrationNode(creds, config)
})
if (reg) {
	const be = (n, len) => n.toString(16).padStart(2 * len, '0')
	const checks = {
		platform: String(proto.ClientPayload.UserAgent.Platform.WEB),
		version: config.version.join('.'),
		country: 'US',
		passive: '0',
		e_regid: be(regCreds.registrationId, 4),
		e_ident: hex(regCreds.signedIdentityKey.public),
		e_skey_id: be(regCreds.signedPreKey.keyId, 3),
		e_skey_val: hex(regCreds.signedPreKey.keyPair.public),
		e_skey_sig: hex(regCreds.signedPreKey.signature),
		skey_sig_valid: '1',
		os_hex: hex(Buffer.from(config.browser[0])),
		platform_type: String(proto.DeviceProps.PlatformType.CHROME),
		storage_quota_mb: '10240'
	}
	for (const [k, v] of Object.entries(checks)) {
		result(reg[k] === v, `register: field ${k}`, `ponton ${reg[k]} baileys ${v}`)
	}
}

const login = await run('login', () => generateLoginNode('15550001111:7@s.whatsapp.net', config))
if (login) {
	result(login.username === '15550001111', 'login: field username', login.username)
	result(login.device === '7', 'login: field device', login.device)
	result(login.passive === '1', 'login: field passive', login.passive)
}

process.exit(failed ? 1 : 0)
