// grpadmin.mjs: one Baileys client (already paired with wasim by pair.mjs)
// for group administration, presence and chat-state tests against ponton
// (test/wa/50-ponton-groups.sh).  Commands on stdin, one per line; each
// answered "RESULT <cmd> ok [data]" or "RESULT <cmd> fail <why>":
//
//   subject <gid> <text>             groupUpdateSubject
//   add|remove|promote|demote <gid> <jid>   groupParticipantsUpdate:
//                                    RESULT <cmd> ok <jid>:<status>
//   join <code>                      groupAcceptInvite: RESULT join ok <gid>
//   info <gid>                       groupMetadata: RESULT info ok <n>
//                                    <subject> | <desc>
//   typing <jid> composing|recording|paused   sendPresenceUpdate
//   presence available|unavailable  sendPresenceUpdate
//   subscribe <jid>                  presenceSubscribe
//   quit                             end the socket, exit 0 (also at EOF)
//
// Events, one line each:
//   OPEN <jid> <lid>
//   EV upsert <gid> <subject>                          groups.upsert
//   EV update <gid> <key>=<value>…                     groups.update
//   EV participants <gid> <action> <author|-> <jid[/pn]>,…
//                                                      group-participants.update
//   EV presence <chat> <participant> <lastKnownPresence>   presence.update
//
// Usage: node grpadmin.mjs --url WS --root HEX64 --auth DIR

import makeWASocket, { WA_CERT_DETAILS, useMultiFileAuthState } from '@whiskeysockets/baileys'
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
if (!url || !root || !auth) {
	console.error('usage: grpadmin.mjs --url WS --root HEX64 --auth DIR')
	process.exit(2)
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
const say = l => process.stdout.write(l + '\n')
setTimeout(() => { say('TIMEOUT'); process.exit(1) }, 400000).unref()
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))

const { state, saveCreds } = await useMultiFileAuthState(auth)
const sock = makeWASocket({
	waWebSocketUrl: url,
	auth: state,
	logger,
	markOnlineOnConnect: false,
	shouldSyncHistoryMessage: () => false,
})
sock.ev.on('creds.update', saveCreds)
await new Promise((resolve, reject) => {
	sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
		if (connection === 'open') resolve()
		if (connection === 'close') reject(new Error(`closed: ${lastDisconnect?.error?.message}`))
	})
}).catch(e => { say(`ERROR ${e.message}`); process.exit(1) })
say(`OPEN ${state.creds.me?.id} ${state.creds.me?.lid}`)

const who = p => typeof p === 'string' ? p : `${p.id}${p.phoneNumber ? '/' + p.phoneNumber : ''}`
sock.ev.on('groups.upsert', gs => {
	for (const g of gs) say(`EV upsert ${g.id} ${g.subject}`)
})
sock.ev.on('groups.update', us => {
	for (const u of us) {
		const kv = Object.entries(u).filter(([k]) => k !== 'id')
			.map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
		say(`EV update ${u.id} ${kv.join(' ')}`)
	}
})
sock.ev.on('group-participants.update', u => {
	say(`EV participants ${u.id} ${u.action} ${u.author || '-'} ${u.participants.map(who).join(',')}`)
})
sock.ev.on('presence.update', u => {
	for (const [p, v] of Object.entries(u.presences))
		say(`EV presence ${u.id} ${p} ${v.lastKnownPresence}`)
})

const run = async line => {
	const f = line.trim().split(/\s+/)
	const rest = n => line.trim().split(/\s+/).slice(n).join(' ')
	switch (f[0]) {
	case 'subject':
		await sock.groupUpdateSubject(f[1], rest(2))
		return ''
	case 'add': case 'remove': case 'promote': case 'demote': {
		const r = await sock.groupParticipantsUpdate(f[1], [f[2]], f[0])
		return r.map(x => `${x.jid}:${x.status}`).join(' ')
	}
	case 'join':
		return await sock.groupAcceptInvite(f[1])
	case 'info': {
		const m = await sock.groupMetadata(f[1])
		return `${m.participants.length} ${m.subject} | ${m.desc ?? '-'}`
	}
	case 'typing':
		await sock.sendPresenceUpdate(f[2], f[1])
		return ''
	case 'presence':
		// Baileys ignores presence without a push name; wasim's pairing
		// does not always give one.
		if (!state.creds.me.name) state.creds.me.name = 'Bailey'
		await sock.sendPresenceUpdate(f[1])
		return ''
	case 'subscribe':
		await sock.presenceSubscribe(f[1])
		return ''
	default:
		throw new Error('unknown command')
	}
}

const quit = () => {
	say('BYE')
	sock.end(undefined)
	setTimeout(() => process.exit(0), 200)
}
const rl = readline.createInterface({ input: process.stdin })
let chain = Promise.resolve()
rl.on('line', line => {
	chain = chain.then(async () => {
		const cmd = line.trim().split(/\s+/)[0]
		if (!cmd) return
		if (cmd === 'quit') return quit()
		try {
			const r = await run(line)
			say(`RESULT ${cmd} ok${r ? ' ' + r : ''}`)
		} catch (e) {
			say(`RESULT ${cmd} fail ${(e.message || String(e)).replace(/\s+/g, ' ')}`)
		}
	})
})
rl.on('close', () => { chain = chain.then(quit) })
