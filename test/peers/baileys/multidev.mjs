// multidev.mjs: a second device joins an account while a peer is online.
// B (paired, --auth-b) sends to A (paired, --auth-a) so that B caches A's
// device list; then a new companion A2 (fresh --auth-a2, same push name as
// A, so wasim puts it on A's account) pairs through the admin API; wasim's
// devices notification must make B include A2 in its next send.
//
//   MILESTONE b cached            B sent to A once (A received it)
//   MILESTONE a2 open <jid>       A2 paired and logged in as device 2+
//   MILESTONE a2 received <text>  A2 decrypted B's next message
//   RESULT ok | RESULT fail <why>
//
// Usage: node multidev.mjs --url WS --admin HTTP --root HEX64 --auth-a DIR
//        --auth-b DIR --auth-a2 DIR --push-name NAME

import makeWASocket, { DisconnectReason, WA_CERT_DETAILS, jidNormalizedUser, useMultiFileAuthState } from '@whiskeysockets/baileys'
import P from 'pino'

const args = process.argv.slice(2)
const opt = name => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined
}
const [url, admin, root] = [opt('--url'), opt('--admin'), opt('--root')]
if (!url || !admin || !root || !opt('--auth-a') || !opt('--auth-b') || !opt('--auth-a2')) {
	console.error('usage: multidev.mjs --url WS --admin HTTP --root HEX64 --auth-a DIR --auth-b DIR --auth-a2 DIR --push-name NAME')
	process.exit(2)
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
const say = l => process.stdout.write(l + '\n')
const finish = (ok, why) => {
	say(ok ? 'RESULT ok' : `RESULT fail ${why}`)
	setTimeout(() => process.exit(ok ? 0 : 1), 50)
}
setTimeout(() => finish(false, 'timeout'), 60000).unref()
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))
const textOf = m => m.message?.conversation ?? m.message?.extendedTextMessage?.text

const open = (name, dir, extra = {}) =>
	new Promise(async (resolve, reject) => {
		const { state, saveCreds } = await useMultiFileAuthState(dir)
		const start = () => {
			const sock = makeWASocket({
				waWebSocketUrl: url,
				auth: state,
				logger: logger.child({ peer: name }),
				markOnlineOnConnect: false,
				shouldSyncHistoryMessage: () => false,
				...extra,
			})
			sock.ev.on('creds.update', saveCreds)
			sock.ev.on('connection.update', async ({ connection, lastDisconnect, qr }) => {
				if (qr) {
					const res = await fetch(`${admin}/admin/mock-phone/scan-qr`, { method: 'POST', body: qr })
					if (!res.ok) reject(new Error(`scan-qr: HTTP ${res.status}`))
				}
				if (connection === 'open') resolve({ sock, state })
				if (connection === 'close') {
					if (lastDisconnect?.error?.output?.statusCode === DisconnectReason.restartRequired) start()
					else reject(new Error(`${name} closed: ${lastDisconnect?.error?.message}`))
				}
			})
		}
		start()
	})

const got = (peer, want) =>
	new Promise(resolve => {
		peer.sock.ev.on('messages.upsert', ({ messages }) => {
			if (messages.some(m => !m.key.fromMe && textOf(m) === want)) resolve()
		})
	})

try {
	const a = await open('a', opt('--auth-a'))
	const b = await open('b', opt('--auth-b'))
	const aJid = jidNormalizedUser(a.state.creds.me.id)
	let p = got(a, 'first')
	await b.sock.sendMessage(aJid, { text: 'first' })
	await p
	say('MILESTONE b cached')
	const a2 = await open('a2', opt('--auth-a2'), { pushName: opt('--push-name') })
	say(`MILESTONE a2 open ${a2.state.creds.me.id}`)
	if (jidNormalizedUser(a2.state.creds.me.id) !== aJid) throw new Error('A2 is not on A\'s account')
	// Let the devices notification reach B.
	await new Promise(r => setTimeout(r, 500))
	p = got(a2, 'second')
	await b.sock.sendMessage(aJid, { text: 'second' })
	await p
	say('MILESTONE a2 received second')
	for (const x of [a, b, a2]) x.sock.end(undefined)
	finish(true)
} catch (err) {
	finish(false, err?.message ?? String(err))
}
