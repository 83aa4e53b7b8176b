// chat.mjs: one Baileys client, already paired with wasim (pair.mjs), in a
// 1:1 text conversation with another client (ponton in test/wa/40).
// Lines on stdout:
//
//   MILESTONE open
//   RECV <text>            a text from --peer, decrypted, in arrival order
//   SENT <id>              one of our --send texts went out
//   RESULT ok | RESULT fail <why>
//
// Usage: node chat.mjs --url WS --root HEX64 --auth DIR --peer JID
//        [--expect N] [--send TEXT]... [--timeout-ms N] [--stay-ms N]
// The --send texts are sent to --peer in order once --expect texts have
// been received from it; the driver then waits for the server acks and
// exits (after --stay-ms, default 1500: time for acks, receipts and
// retry receipts to be answered).

import makeWASocket, { WA_CERT_DETAILS, generateMessageIDV2, jidNormalizedUser, useMultiFileAuthState } from '@whiskeysockets/baileys'
import P from 'pino'

const args = process.argv.slice(2)
const opt = (name, def) => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def
}
const sends = []
for (let i = 0; i < args.length - 1; i++) if (args[i] === '--send') sends.push(args[i + 1])
const url = opt('--url')
const root = opt('--root')
const auth = opt('--auth')
const peer = opt('--peer')
const expect = +opt('--expect', '0')
if (!url || !root || !auth || !peer) {
	console.error('usage: chat.mjs --url WS --root HEX64 --auth DIR --peer JID')
	process.exit(2)
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
const say = l => process.stdout.write(l + '\n')
const finish = (ok, why) => {
	say(ok ? 'RESULT ok' : `RESULT fail ${why}`)
	setTimeout(() => process.exit(ok ? 0 : 1), 50)
}
setTimeout(() => finish(false, 'timeout'), +opt('--timeout-ms', '60000')).unref()
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))
const textOf = m => m.message?.conversation ?? m.message?.extendedTextMessage?.text

const sent = new Map()
try {
	const { state, saveCreds } = await useMultiFileAuthState(auth)
	const sock = makeWASocket({
		waWebSocketUrl: url,
		auth: state,
		logger,
		markOnlineOnConnect: false,
		shouldSyncHistoryMessage: () => false,
		getMessage: async key => sent.get(key.id),
	})
	sock.ev.on('creds.update', saveCreds)
	await new Promise((resolve, reject) => {
		sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
			if (connection === 'open') resolve()
			if (connection === 'close') reject(new Error(`closed: ${lastDisconnect?.error?.message}`))
		})
	})
	say('MILESTONE open')
	let got = 0
	const gotAll = new Promise(resolve => {
		if (expect === 0) resolve()
		sock.ev.on('messages.upsert', ({ messages }) => {
			for (const m of messages) {
				const t = textOf(m)
				if (m.key.fromMe || t == null) continue
				// The sender shows as its LID or PN; either names the peer
				// account through senderPn / remoteJid.
				say(`RECV ${t}`)
				if (++got >= expect) resolve()
			}
		})
	})
	await gotAll
	for (const t of sends) {
		// Known before sending: a retry receipt can arrive before
		// sendMessage resolves, and getMessage must find it.
		const id = generateMessageIDV2(sock.user?.id)
		sent.set(id, { conversation: t })
		const m = await sock.sendMessage(jidNormalizedUser(peer), { text: t }, { messageId: id })
		say(`SENT ${m.key.id}`)
	}
	// Give the last stanzas (acks, receipts) time to leave.
	setTimeout(() => finish(true), +opt('--stay-ms', '1500'))
} catch (e) {
	finish(false, e.message)
}
