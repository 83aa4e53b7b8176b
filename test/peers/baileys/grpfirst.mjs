// grpfirst.mjs: one Baileys client, already paired with wasim (pair.mjs),
// creating groups and sending a first text in each right away (ponton's
// test/wa/46: a peer's first message in a group it just created).
// Lines on stdout:
//
//   MILESTONE open
//   GROUP <gid>             a group was made (then its first text is sent)
//   SENT <gid> <id>         its first text went out
//   RETRY <id> <count>      a retry receipt for one of ours came in
//   RECV <gid> <participant> <id> <text>   a text from someone else in
//                           one of our groups, decrypted
//   RESULT ok | RESULT fail <why>
//
// Usage: node grpfirst.mjs --url WS --root HEX64 --auth DIR --groups N
//        --member JID [--member JID]... [--stay-ms N] [--timeout-ms N]
// Each group is "first N" with the members; its text "first message N".
// Texts are kept for getMessage, so a retry receipt is answered.  The
// driver stays --stay-ms (default 3000) after the last send.
// Debugging aid: with GRPFIRST_TRACE=1 every session record Baileys
// stores for a device (".1" addresses other than GRPFIRST_TRACE_SELF) is
// printed on stderr as "GFKS <ms> <addr>: <base key>[(open)][eph <our
// ratchet key> chains <key>:<type>:<counter>,...] ..." (3 bytes of each
// key): how test/wa/46's Baileys bugs were found.

import makeWASocket, { WA_CERT_DETAILS, generateMessageIDV2, useMultiFileAuthState } from '@whiskeysockets/baileys'
import P from 'pino'

const args = process.argv.slice(2)
const opt = (name, def) => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def
}
const many = name => {
	const out = []
	for (let i = 0; i < args.length - 1; i++) if (args[i] === name) out.push(args[i + 1])
	return out
}
const members = many('--member')
const url = opt('--url')
const root = opt('--root')
const auth = opt('--auth')
const groups = +opt('--groups', '1')
if (!url || !root || !auth || members.length === 0 || !(groups >= 1 && groups <= 100)) {
	console.error('usage: grpfirst.mjs --url WS --root HEX64 --auth DIR --groups N --member JID...')
	process.exit(2)
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
const say = l => process.stdout.write(l + '\n')
const finish = (ok, why) => {
	say(ok ? 'RESULT ok' : `RESULT fail ${why}`)
	setTimeout(() => process.exit(ok ? 0 : 1), 50)
}
setTimeout(() => finish(false, 'timeout'), +opt('--timeout-ms', '120000')).unref()
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))

const sent = new Map()
try {
	const { state, saveCreds } = await useMultiFileAuthState(auth)
	if (process.env.GRPFIRST_TRACE) {
		const set = state.keys.set.bind(state.keys)
		state.keys.set = async data => {
			for (const [addr, rec] of Object.entries(data.session || {})) {
				if (!addr.endsWith('.1') || addr.startsWith(process.env.GRPFIRST_TRACE_SELF || '-')) continue
				const ss = rec ? Object.values(rec._sessions).map(x => Buffer.from(x.indexInfo.baseKey, 'base64').subarray(1, 4).toString('hex') + (x.indexInfo.closed === -1 ? '(open)' : '') + '[eph ' + Buffer.from(x.currentRatchet.ephemeralKeyPair.pubKey, 'base64').subarray(1, 4).toString('hex') + ' chains ' + Object.keys(x._chains).map(k => Buffer.from(k, 'base64').subarray(1, 4).toString('hex') + ':' + x._chains[k].chainType + ':' + x._chains[k].chainKey.counter).join(',') + ']').join(' ') : 'deleted'
				console.error(`GFKS ${Date.now()} ${addr}: ${ss}`)
			}
			return set(data)
		}
	}
	const sock = makeWASocket({
		waWebSocketUrl: url,
		auth: state,
		logger,
		markOnlineOnConnect: false,
		shouldSyncHistoryMessage: () => false,
		getMessage: async key => sent.get(key.id),
	})
	sock.ev.on('creds.update', saveCreds)
	sock.ev.on('messages.upsert', ({ messages }) => {
		for (const m of messages) {
			const t = m.message?.conversation ?? m.message?.extendedTextMessage?.text
			if (m.key.fromMe || t == null || !m.key.remoteJid?.endsWith('@g.us')) continue
			say(`RECV ${m.key.remoteJid} ${m.key.participant} ${m.key.id} ${t}`)
		}
	})
	sock.ws.on('CB:receipt', node => {
		if (node.attrs.type !== 'retry') return
		const r = (node.content || []).find(c => c.tag === 'retry')
		say(`RETRY ${node.attrs.id} ${r?.attrs?.count}`)
	})
	await new Promise((resolve, reject) => {
		sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
			if (connection === 'open') resolve()
			if (connection === 'close') reject(new Error(`closed: ${lastDisconnect?.error?.message}`))
		})
	})
	say('MILESTONE open')
	for (let i = 1; i <= groups; i++) {
		const meta = await sock.groupCreate(`first ${i}`, members)
		say(`GROUP ${meta.id}`)
		const id = generateMessageIDV2(sock.user?.id)
		const text = `first message ${i}`
		sent.set(id, { conversation: text })
		await sock.sendMessage(meta.id, { text }, { messageId: id })
		say(`SENT ${meta.id} ${id}`)
	}
	setTimeout(() => finish(true), +opt('--stay-ms', '3000'))
} catch (e) {
	finish(false, e.message)
}
