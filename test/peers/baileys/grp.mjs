// grp.mjs: group administration between two Baileys clients already paired
// with wasim (pair.mjs).  A is the admin, B the member.  Milestones:
//
//   MILESTONE created <gid>
//   MILESTONE b add             B saw itself added (groups.upsert: an added
//                               member gets <create reason=add>) and got no
//                               <add> (group-participants.update)
//   MILESTONE b promote         B saw itself promoted
//   MILESTONE b subject <s>     B saw the new subject (groups.update)
//   MILESTONE b received <t>    B decrypted A's group text
//   MILESTONE a add-409         adding B twice is refused per participant
//   MILESTONE b remove          B saw itself removed
//   MILESTONE b not-received    B got nothing of a text sent after removal
//   MILESTONE a leave-seen      after B was re-added and left, A saw the remove
//   MILESTONE b query-403       B, no longer a member, cannot read the metadata
//   RESULT ok | RESULT fail <why>
//
// Usage: node grp.mjs --url WS --root HEX64 --auth-a DIR --auth-b DIR

import makeWASocket, { WA_CERT_DETAILS, jidNormalizedUser, useMultiFileAuthState } from '@whiskeysockets/baileys'
import P from 'pino'

const args = process.argv.slice(2)
const opt = name => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined
}
const url = opt('--url')
const root = opt('--root')
if (!url || !root || !opt('--auth-a') || !opt('--auth-b')) {
	console.error('usage: grp.mjs --url WS --root HEX64 --auth-a DIR --auth-b DIR')
	process.exit(2)
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
const say = l => process.stdout.write(l + '\n')
const finish = (ok, why) => {
	say(ok ? 'RESULT ok' : `RESULT fail ${why}`)
	setTimeout(() => process.exit(ok ? 0 : 1), 50)
}
setTimeout(() => finish(false, 'timeout'), 90000).unref()
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))

const connect = async (name, dir) => {
	const { state, saveCreds } = await useMultiFileAuthState(dir)
	const sock = makeWASocket({
		waWebSocketUrl: url,
		auth: state,
		logger: logger.child({ peer: name }),
		markOnlineOnConnect: false,
		shouldSyncHistoryMessage: () => false,
	})
	sock.ev.on('creds.update', saveCreds)
	await new Promise((resolve, reject) => {
		sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
			if (connection === 'open') resolve()
			if (connection === 'close') reject(new Error(`${name} closed: ${lastDisconnect?.error?.message}`))
		})
	})
	return { sock, state }
}

// Resolve when pred(event) holds for an event of type ev on sock.
const when = (sock, ev, pred, ms = 15000) =>
	new Promise((resolve, reject) => {
		const t = setTimeout(() => reject(new Error(`no ${ev} in ${ms} ms`)), ms)
		sock.ev.on(ev, e => {
			if (pred(e)) {
				clearTimeout(t)
				resolve(e)
			}
		})
	})
const textOf = m => m.message?.conversation ?? m.message?.extendedTextMessage?.text
const sleep = ms => new Promise(r => setTimeout(r, ms))

try {
	const a = await connect('a', opt('--auth-a'))
	const b = await connect('b', opt('--auth-b'))
	const bJid = jidNormalizedUser(b.state.creds.me.id)
	const meta = await a.sock.groupCreate('admin test', [])
	const gid = meta.id
	say(`MILESTONE created ${gid}`)
	const participantIs = (e, action) => e.id === gid && e.action === action

	const upserted = us => us.some(u => u.id === gid)
	// B, the new member, must get the <create> only, not the <add> the
	// members already there get.
	let selfAdd = false
	const onSelfAdd = e => { if (participantIs(e, 'add')) selfAdd = true }
	b.sock.ev.on('group-participants.update', onSelfAdd)
	let p = when(b.sock, 'groups.upsert', upserted)
	await a.sock.groupParticipantsUpdate(gid, [bJid], 'add')
	await p
	await sleep(1000)
	b.sock.ev.off('group-participants.update', onSelfAdd)
	if (selfAdd) throw new Error('the added member also got <add>')
	say('MILESTONE b add')

	p = when(b.sock, 'group-participants.update', e => participantIs(e, 'promote'))
	await a.sock.groupParticipantsUpdate(gid, [bJid], 'promote')
	await p
	say('MILESTONE b promote')

	p = when(b.sock, 'groups.update', us => us.some(u => u.id === gid && u.subject === 'renamed'))
	await a.sock.groupUpdateSubject(gid, 'renamed')
	await p
	say('MILESTONE b subject renamed')

	p = when(b.sock, 'messages.upsert', ({ messages }) => messages.some(m => textOf(m) === 'members only'))
	await a.sock.sendMessage(gid, { text: 'members only' })
	await p
	say('MILESTONE b received members only')

	const again = await a.sock.groupParticipantsUpdate(gid, [bJid], 'add')
	if (again[0]?.status === '409') say('MILESTONE a add-409')

	p = when(b.sock, 'group-participants.update', e => participantIs(e, 'remove'))
	await a.sock.groupParticipantsUpdate(gid, [bJid], 'remove')
	await p
	say('MILESTONE b remove')

	let leaked = false
	b.sock.ev.on('messages.upsert', ({ messages }) => {
		if (messages.some(m => textOf(m) === 'after removal')) leaked = true
	})
	await a.sock.sendMessage(gid, { text: 'after removal' })
	await sleep(2000)
	if (!leaked) say('MILESTONE b not-received')

	p = when(b.sock, 'groups.upsert', upserted)
	await a.sock.groupParticipantsUpdate(gid, [bJid], 'add')
	await p
	p = when(a.sock, 'group-participants.update', e => participantIs(e, 'remove'))
	await b.sock.groupLeave(gid)
	await p
	say('MILESTONE a leave-seen')

	try {
		await b.sock.groupMetadata(gid)
	} catch (err) {
		if (err?.data === 403 || err?.output?.statusCode === 403) say('MILESTONE b query-403')
	}
	a.sock.end(undefined)
	b.sock.end(undefined)
	finish(true)
} catch (err) {
	finish(false, err?.message ?? String(err))
}
