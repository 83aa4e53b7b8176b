// msg.mjs: two Baileys clients, already paired with wasim (pair.mjs), send
// each other a 1:1 text through it.  Milestones on stdout:
//
//   MILESTONE open a|b
//   MILESTONE received b <text>        B decrypted A's message
//   MILESTONE read a                   A saw B's read receipt
//   MILESTONE received a <text>        A decrypted B's reply
//   MILESTONE presence a available     (--presence) A subscribed to B and
//                                      saw B come online
//   MILESTONE chatstate b composing    (--presence) B saw A typing
//   MILESTONE media b ok <bytes>       (--document) B downloaded and decrypted
//                                      A's document from wasim's media server
//   RESULT ok | RESULT fail <why>
//
// Usage: node msg.mjs --url WS --root HEX64 --auth-a DIR --auth-b DIR
//        [--text T] [--b-late-ms N]
// --b-late-ms: connect B only N ms after A sent (B gets it from its
// offline queue at login).
// --group: A creates a group with B, then the same exchange happens in the
// group (milestones: MILESTONE group <jid>, received b/a as above).

import makeWASocket, { WA_CERT_DETAILS, downloadMediaMessage, jidNormalizedUser, useMultiFileAuthState } from '@whiskeysockets/baileys'
import { createHash, randomBytes } from 'node:crypto'
import P from 'pino'

const args = process.argv.slice(2)
const opt = (name, def) => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def
}
const url = opt('--url')
const root = opt('--root')
const authA = opt('--auth-a')
const authB = opt('--auth-b')
const text = opt('--text', 'hello from A via wasim')
const bLate = +opt('--b-late-ms', '-1')
if (!url || !root || !authA || !authB) {
	console.error('usage: msg.mjs --url WS --root HEX64 --auth-a DIR --auth-b DIR')
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

// Sent messages by id: an app's message store, which Baileys asks
// (getMessage) when a peer sends a retry receipt.
const sent = new Map()
const getMessage = async key => sent.get(key.id)

const connect = async (name, dir) => {
	const { state, saveCreds } = await useMultiFileAuthState(dir)
	const sock = makeWASocket({
		waWebSocketUrl: url,
		auth: state,
		logger: logger.child({ peer: name }),
		markOnlineOnConnect: false,
		shouldSyncHistoryMessage: () => false,
		getMessage,
	})
	sock.ev.on('messages.upsert', ({ messages }) => {
		for (const m of messages) if (m.key.fromMe && m.message) sent.set(m.key.id, m.message)
	})
	sock.ev.on('creds.update', saveCreds)
	await new Promise((resolve, reject) => {
		sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
			if (connection === 'open') resolve()
			if (connection === 'close') reject(new Error(`${name} closed: ${lastDisconnect?.error?.message}`))
		})
	})
	say(`MILESTONE open ${name}`)
	return { sock, state }
}

const textOf = m => m.message?.conversation ?? m.message?.extendedTextMessage?.text

const waitText = (peer, name, want) =>
	new Promise(resolve => {
		peer.sock.ev.on('messages.upsert', ({ messages }) => {
			for (const m of messages) {
				if (!m.key.fromMe && textOf(m) === want) {
					say(`MILESTONE received ${name} ${want}`)
					resolve(m)
				}
			}
		})
	})

try {
	const a = await connect('a', authA)
	const aDelivered = new Promise(resolve => {
		a.sock.ev.on('messages.update', updates => {
			for (const u of updates) {
				if (u.update?.status >= 4) {
					resolve()
				}
			}
		})
		// In groups, receipts are per participant; Baileys may also fold
		// one into the buffered upsert of our own message.
		a.sock.ev.on('message-receipt.update', updates => {
			for (const u of updates) {
				if (u.receipt?.readTimestamp) resolve()
			}
		})
		a.sock.ev.on('messages.upsert', ({ messages }) => {
			for (const m of messages) {
				if (m.key.fromMe && m.userReceipt?.some(r => r.readTimestamp)) resolve()
			}
		})
	})
	let b
	let bGot
	const bState = (await useMultiFileAuthState(authB)).state
	const bJid = jidNormalizedUser(bState.creds.me.id)
	if (bLate < 0) {
		b = await connect('b', authB)
		bGot = waitText(b, 'b', text)
	}
	if (args.includes('--presence') && b) {
		const online = new Promise(resolve => {
			a.sock.ev.on('presence.update', ({ presences }) => {
				for (const p of Object.values(presences)) {
					if (p.lastKnownPresence === 'available') resolve()
				}
			})
		})
		const typing = new Promise(resolve => {
			b.sock.ev.on('presence.update', ({ presences }) => {
				for (const p of Object.values(presences)) {
					if (p.lastKnownPresence === 'composing') resolve()
				}
			})
		})
		await a.sock.presenceSubscribe(bJid)
		// Baileys only sends 'available' once it knows a push name.
		b.sock.authState.creds.me.name = 'User B'
		await b.sock.sendPresenceUpdate('available')
		await online
		say('MILESTONE presence a available')
		await a.sock.sendPresenceUpdate('composing', bJid)
		await typing
		say('MILESTONE chatstate b composing')
	}
	if (args.includes('--document') && b) {
		// wasim's media server has a self-signed certificate.
		process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
		const doc = randomBytes(200 * 1024)
		const digest = createHash('sha256').update(doc).digest('hex')
		const bDoc = new Promise(resolve => {
			b.sock.ev.on('messages.upsert', ({ messages }) => {
				for (const m of messages) if (m.message?.documentMessage) resolve(m)
			})
		})
		await a.sock.sendMessage(bJid, { document: doc, mimetype: 'application/octet-stream', fileName: 'blob.bin' })
		const m = await bDoc
		const got = await downloadMediaMessage(m, 'buffer', {})
		if (createHash('sha256').update(got).digest('hex') === digest) say(`MILESTONE media b ok ${got.length}`)
		else say('MILESTONE media b mismatch')
	}
	let chat = bJid
	if (args.includes('--group')) {
		const meta = await a.sock.groupCreate('wasim group', [bJid])
		say(`MILESTONE group ${meta.id} ${meta.participants.length}`)
		chat = meta.id
	}
	const first = await a.sock.sendMessage(chat, { text })
	sent.set(first.key.id, first.message)
	if (bLate >= 0) {
		await new Promise(r => setTimeout(r, bLate))
		// Listen before the offline queue is flushed at login.
		const { state, saveCreds } = await useMultiFileAuthState(authB)
		const sock = makeWASocket({
			waWebSocketUrl: url,
			auth: state,
			logger: logger.child({ peer: 'b' }),
			markOnlineOnConnect: false,
			shouldSyncHistoryMessage: () => false,
			getMessage,
		})
		sock.ev.on('creds.update', saveCreds)
		b = { sock, state }
		bGot = waitText(b, 'b', text)
	}
	const got = await bGot
	// B is "inactive" (no presence), so its delivery receipt has type
	// inactive, which Baileys does not turn into a status; a read receipt
	// does (status 4 = READ).
	await b.sock.readMessages([got.key])
	await aDelivered
	say('MILESTONE read a')
	const reply = 'reply from B'
	const aGot = waitText(a, 'a', reply)
	await b.sock.sendMessage(chat === bJid ? jidNormalizedUser(a.state.creds.me.id) : chat, { text: reply })
	await aGot
	a.sock.end(undefined)
	b.sock.end(undefined)
	finish(true)
} catch (err) {
	finish(false, err?.message ?? String(err))
}
