// grpmsg.mjs: one Baileys client, already paired with wasim (pair.mjs), in
// a group conversation (ponton's test/wa/45).  Lines on stdout:
//
//   MILESTONE open
//   GROUP <gid>                      --create made this group
//   RECV <participant> <id> <text>   a text in the group from someone else,
//                                    decrypted, in arrival order
//   SENT <id>                        one of our --send texts went out
//   RECEIPT <participant> <id> <read|delivery>   a receipt for one of ours
//   REACTION <participant> <target id> <emoji>   a reaction in any group
//   RESULT ok | RESULT fail <why>
//
// Usage: node grpmsg.mjs --url WS --root HEX64 --auth DIR
//        (--create SUBJECT [--member JID]... | --group GID)
//        [--expect N] [--send TEXT]... [--read] [--timeout-ms N]
//        [--stay-ms N] [--expect-receipts N]
// The --send texts go to the group in order once --expect texts have been
// received; with --read every received text is marked read.  The driver
// then stays --stay-ms (default 1500: acks, receipts, retry receipts) and
// exits; with --expect-receipts N it first waits for N receipts.

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
const sends = many('--send')
const members = many('--member')
const url = opt('--url')
const root = opt('--root')
const auth = opt('--auth')
const create = opt('--create')
let group = opt('--group')
const expect = +opt('--expect', '0')
const expectReceipts = +opt('--expect-receipts', '0')
if (!url || !root || !auth || (!create && !group)) {
	console.error('usage: grpmsg.mjs --url WS --root HEX64 --auth DIR (--create S | --group GID)')
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
	// Listen before "open": the offline queue may come at once.
	const early = []
	let onText = m => early.push(m)
	sock.ev.on('messages.upsert', ({ messages }) => {
		for (const m of messages) {
			const r = m.message?.reactionMessage
			if (r && !m.key.fromMe) say(`REACTION ${m.key.participant} ${r.key?.id} ${r.text}`)
			const t = textOf(m)
			if (m.key.fromMe || t == null || !m.key.remoteJid?.endsWith('@g.us')) continue
			onText(m)
		}
	})
	let receipts = 0
	let receiptWaiter = () => {}
	sock.ev.on('message-receipt.update', updates => {
		for (const u of updates) {
			const kind = u.receipt?.readTimestamp ? 'read' : 'delivery'
			say(`RECEIPT ${u.receipt?.userJid} ${u.key.id} ${kind}`)
			receipts++
			receiptWaiter()
		}
	})
	await new Promise((resolve, reject) => {
		sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
			if (connection === 'open') resolve()
			if (connection === 'close') reject(new Error(`closed: ${lastDisconnect?.error?.message}`))
		})
	})
	say('MILESTONE open')
	if (create) {
		const meta = await sock.groupCreate(create, members)
		group = meta.id
		say(`GROUP ${group}`)
	}
	let got = 0
	const gotAll = new Promise(resolve => {
		onText = m => {
			if (m.key.remoteJid !== group) return
			say(`RECV ${m.key.participant} ${m.key.id} ${textOf(m)}`)
			if (args.includes('--read')) sock.readMessages([m.key])
			if (++got >= expect) resolve()
		}
		for (const m of early) onText(m)
		if (expect === 0) resolve()
	})
	await gotAll
	for (const t of sends) {
		const id = generateMessageIDV2(sock.user?.id)
		sent.set(id, { conversation: t })
		const m = await sock.sendMessage(group, { text: t }, { messageId: id })
		say(`SENT ${m.key.id}`)
	}
	if (expectReceipts > 0)
		await new Promise(resolve => {
			receiptWaiter = () => { if (receipts >= expectReceipts) resolve() }
			receiptWaiter()
		})
	setTimeout(() => finish(true), +opt('--stay-ms', '1500'))
} catch (e) {
	finish(false, e.message)
}
