// peer.mjs: one long-running Baileys client for the bridge's end-to-end
// scenarios (test/e2e/e2e.py drives it).  It pairs with wasim (printing the
// QR for the test to scan) or logs in with saved creds, then:
//
//   stdin, one JSON object per line:
//     {"id": N, "fn": "<socket function>", "args": [...]}
//       calls sock[fn](...args) (sendMessage, groupCreate,
//       groupParticipantsUpdate, groupInviteCode, sendPresenceUpdate,
//       readMessages, ...); Buffers are written {"$b64": "..."} both ways.
//       Answer: {"id": N, "ok": <result>} or {"id": N, "err": "<message>"}.
//     {"id": N, "fn": "$download", "args": [<message object>]}
//       downloads a received media message: {"id": N, "ok": {"$b64": ...}}
//     {"id": N, "fn": "$quit"}  ends the socket and exits 0.
//   stdout, one JSON object per line:
//     {"ev": "qr", "data": "<qr text>"}, {"ev": "open", "data": {"jid", "lid"}}
//     {"ev": "<Baileys event name>", "data": ...} for the events below
//     {"ev": "msg", "data": {chat, sender, senderPn, id, fromMe, kind, text,
//        raw}}: each message of messages.upsert, flattened for matching:
//        kind is the first key of the message object (conversation,
//        extendedTextMessage, imageMessage, reactionMessage,
//        protocolMessage...), text the text / caption / reaction emoji.
//
// Usage: node peer.mjs --url WS --root HEX64 --auth DIR [--push-name NAME]
// Media: wasim's media server has a self-signed certificate; the caller
// makes node trust it with NODE_EXTRA_CA_CERTS (TLS stays verified).

import makeWASocket, {
	Browsers,
	DisconnectReason,
	WA_CERT_DETAILS,
	downloadMediaMessage,
	useMultiFileAuthState,
} from '@whiskeysockets/baileys'
import P from 'pino'
import readline from 'node:readline'

const args = process.argv.slice(2)
const opt = name => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined
}
const url = opt('--url')
const root = opt('--root')
const auth = opt('--auth')
const pushName = opt('--push-name')
if (!url || !root || !auth) {
	console.error('usage: peer.mjs --url WS --root HEX64 --auth DIR [--push-name NAME]')
	process.exit(2)
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))

// JSON with Buffers / Uint8Arrays as {"$b64": ...}, Longs as numbers.
const enc = v => JSON.stringify(v, (k, x) => {
	if (x && x.type === 'Buffer' && Array.isArray(x.data))
		return { $b64: Buffer.from(x.data).toString('base64') }
	if (x instanceof Uint8Array) return { $b64: Buffer.from(x).toString('base64') }
	if (typeof x === 'bigint') return Number(x)
	if (x && typeof x === 'object' && typeof x.low === 'number' && typeof x.high === 'number' &&
	    typeof x.unsigned === 'boolean')
		return x.high * 4294967296 + (x.low >>> 0)
	return x
})
const dec = v => {
	if (Array.isArray(v)) return v.map(dec)
	if (v && typeof v === 'object') {
		if (typeof v.$b64 === 'string' && Object.keys(v).length === 1)
			return Buffer.from(v.$b64, 'base64')
		const o = {}
		for (const [k, x] of Object.entries(v)) o[k] = dec(x)
		return o
	}
	return v
}
const emit = (ev, data) => process.stdout.write(enc({ ev, data }) + '\n')

// Messages we sent, for retry receipts (getMessage).
const sent = new Map()
const SENT_MAX = 2048
const flatten = m => {
	const msg = m.message ?? {}
	const keys = Object.keys(msg).filter(k => k !== 'messageContextInfo' && k !== 'senderKeyDistributionMessage')
	const kind = keys[0] ?? null
	const body = kind ? msg[kind] : null
	let text = null
	if (typeof body === 'string') text = body
	else if (body && typeof body === 'object')
		text = body.text ?? body.caption ?? body.name ?? body.displayName ?? null
	return {
		chat: m.key.remoteJid, sender: m.key.participant ?? m.key.remoteJid,
		senderPn: m.key.senderPn ?? m.key.participantPn ?? null,
		id: m.key.id, fromMe: !!m.key.fromMe, kind, text, pushName: m.pushName ?? null,
		raw: m,
	}
}

let sock
let attempts = 0
const start = async () => {
	if (++attempts > 8) {
		emit('fatal', 'too many reconnects')
		process.exit(1)
	}
	const { state, saveCreds } = await useMultiFileAuthState(auth)
	sock = makeWASocket({
		waWebSocketUrl: url,
		auth: state,
		logger,
		browser: Browsers.macOS('Chrome'),
		markOnlineOnConnect: false,
		syncFullHistory: false,
		shouldSyncHistoryMessage: () => false,
		connectTimeoutMs: 15000,
		// A retry receipt can arrive before sendMessage has resolved (and
		// before the message is in `sent`): wait for it a little, or the
		// retry is not answered and the peer never gets the message.
		getMessage: async key => {
			for (let i = 0; i < 50 && !sent.has(key.id); i++)
				await new Promise(r => setTimeout(r, 100))
			return sent.get(key.id)
		},
		...(pushName ? { pushName } : {}),
	})
	sock.ev.on('creds.update', saveCreds)
	sock.ev.on('connection.update', async u => {
		if (u.qr) emit('qr', u.qr)
		if (u.connection === 'open') {
			attempts = 0
			emit('open', { jid: state.creds.me?.id, lid: state.creds.me?.lid })
		}
		if (u.connection === 'close') {
			const code = u.lastDisconnect?.error?.output?.statusCode
			emit('close', { code: code ?? null })
			if (code === DisconnectReason.loggedOut) process.exit(1)
			setTimeout(start, code === DisconnectReason.restartRequired ? 0 : 500)
		}
	})
	sock.ev.on('messages.upsert', ({ messages, type }) => {
		for (const m of messages) emit('msg', { ...flatten(m), upsertType: type })
	})
	for (const name of ['messages.update', 'messages.reaction', 'message-receipt.update',
		'groups.upsert', 'groups.update', 'group-participants.update', 'presence.update',
		'chats.update', 'contacts.update'])
		sock.ev.on(name, data => emit(name, data))
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async line => {
	let req
	try {
		req = JSON.parse(line)
	} catch {
		emit('bad-request', line)
		return
	}
	const answer = o => process.stdout.write(enc({ id: req.id, ...o }) + '\n')
	try {
		if (req.fn === '$quit') {
			sock?.end(undefined)
			answer({ ok: true })
			setTimeout(() => process.exit(0), 100)
			return
		}
		if (req.fn === '$download') {
			const buf = await downloadMediaMessage(dec(req.args[0]), 'buffer', {}, {
				logger, reuploadRequest: sock.updateMediaMessage,
			})
			answer({ ok: buf })
			return
		}
		if (typeof sock?.[req.fn] !== 'function') throw new Error(`no function ${req.fn}`)
		const a = dec(req.args ?? [])
		const r = await sock[req.fn](...a)
		if (req.fn === 'sendMessage' && r?.key?.id) {
			sent.set(r.key.id, r.message)
			if (sent.size > SENT_MAX) sent.delete(sent.keys().next().value)
		}
		answer({ ok: r ?? null })
	} catch (e) {
		answer({ err: String(e?.message ?? e) })
	}
})
rl.on('close', () => {
	sock?.end(undefined)
	setTimeout(() => process.exit(0), 100)
})

start()
