// abuse.mjs: log in to wasim with saved Baileys creds (see pair.mjs), then
// send well-encrypted but malformed or hostile stanzas and report what came
// back, one line per case:
//
//   CASE <name> <error code>|ok|noreply|closed
//
// The last case sends a frame that is not a binary node at all, which must
// make wasim close the connection ("closed").
//
// Usage: node abuse.mjs --url WS --root HEX64 --auth DIR

import makeWASocket, { WA_CERT_DETAILS, useMultiFileAuthState } from '@whiskeysockets/baileys'
import P from 'pino'

const args = process.argv.slice(2)
const opt = name => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined
}
const url = opt('--url')
const root = opt('--root')
const authDir = opt('--auth')
if (!url || !root || !authDir) {
	console.error('usage: abuse.mjs --url WS --root HEX64 --auth DIR')
	process.exit(2)
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
const say = l => process.stdout.write(l + '\n')
setTimeout(() => {
	say('RESULT fail timeout')
	process.exit(1)
}, 60000).unref()

const { state, saveCreds } = await useMultiFileAuthState(authDir)
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))
const sock = makeWASocket({
	waWebSocketUrl: url,
	auth: state,
	logger,
	markOnlineOnConnect: false,
	shouldSyncHistoryMessage: () => false,
	fireInitQueries: false,
})
sock.ev.on('creds.update', saveCreds)

const S = 's.whatsapp.net'
const b = n => Buffer.alloc(n, 7)
const iq = (xmlns, type, content, extra = {}) => ({
	tag: 'iq',
	attrs: { to: S, xmlns, type, ...extra },
	content,
})

const cases = [
	['upload-key-without-id', iq('encrypt', 'set', [
		{ tag: 'registration', attrs: {}, content: b(4) },
		{ tag: 'type', attrs: {}, content: Buffer.from([5]) },
		{ tag: 'identity', attrs: {}, content: b(32) },
		{ tag: 'list', attrs: {}, content: [{ tag: 'key', attrs: {}, content: [{ tag: 'value', attrs: {}, content: b(32) }] }] },
		{ tag: 'skey', attrs: {}, content: [] },
	])],
	['upload-short-registration', iq('encrypt', 'set', [
		{ tag: 'registration', attrs: {}, content: b(2) },
		{ tag: 'list', attrs: {}, content: [] },
	])],
	['upload-too-many-keys', iq('encrypt', 'set', [
		{ tag: 'registration', attrs: {}, content: b(4) },
		{ tag: 'identity', attrs: {}, content: Buffer.from(state.creds.signedIdentityKey.public) },
		{ tag: 'list', attrs: {}, content: Array.from({ length: 3000 }, (_, i) => ({
			tag: 'key', attrs: {}, content: [
				{ tag: 'id', attrs: {}, content: Buffer.from([0, i >> 8, i & 255]) },
				{ tag: 'value', attrs: {}, content: b(32) }] })) },
		{ tag: 'skey', attrs: {}, content: [] },
	])],
	['fetch-too-many-users', iq('encrypt', 'get', [
		{ tag: 'key', attrs: {}, content: Array.from({ length: 600 }, () => ({ tag: 'user', attrs: { jid: '1@s.whatsapp.net' } })) },
	])],
	['fetch-string-jid', iq('encrypt', 'get', [
		{ tag: 'key', attrs: {}, content: [{ tag: 'user', attrs: { jid: 'not a jid' } }] },
	])],
	['usync-no-query', iq('usync', 'get', [{ tag: 'usync', attrs: {}, content: [] }])],
	['usync-odd-users', iq('usync', 'get', [{
		tag: 'usync', attrs: { sid: 'x', mode: 'query', context: 'interactive' }, content: [
			{ tag: 'query', attrs: {}, content: [{ tag: 'devices', attrs: { version: '2' } }, { tag: 'lid', attrs: {} }, { tag: 'contact', attrs: {} }] },
			{ tag: 'list', attrs: {}, content: [
				{ tag: 'user', attrs: {} },
				{ tag: 'user', attrs: {}, content: [{ tag: 'contact', attrs: {}, content: 'x'.repeat(200) }] },
				{ tag: 'user', attrs: {}, content: [{ tag: 'contact', attrs: {}, content: '+' }] },
				{ tag: 'user', attrs: { jid: '123@g.us' } },
			] },
		] }])],
	['app-state-too-many', iq('w:sync:app:state', 'set', [{
		tag: 'sync', attrs: {}, content: Array.from({ length: 40 }, () => ({ tag: 'collection', attrs: { name: 'regular' } })) }])],
	['remove-other-device', iq('md', 'set', [{ tag: 'remove-companion-device', attrs: { jid: '999:3@s.whatsapp.net', reason: 'x' } }])],
	['remove-bad-jid', iq('md', 'set', [{ tag: 'remove-companion-device', attrs: { jid: 'abc' } }])],
	['link-code-after-login', iq('md', 'set', [{ tag: 'link_code_companion_reg', attrs: { stage: 'companion_finish' } }])],
	['weird-type', iq('encrypt', 'weird', [])],
	['empty-xmlns', iq('', 'get', [])],
]

const run = async () => {
	for (const [name, node] of cases) {
		try {
			const res = await sock.query(node, 5000)
			say(`CASE ${name} ${res ? 'ok' : 'noreply'}`)
		} catch (err) {
			say(`CASE ${name} ${err?.data ?? err?.output?.statusCode ?? err?.message}`)
		}
	}
	// Not answered by design (no id): must not crash anything.
	await sock.sendNode({ tag: 'iq', attrs: { to: S, type: 'get', xmlns: 'w:p' } }).catch(() => {})
	await sock.sendNode({ tag: 'message', attrs: { to: '1@s.whatsapp.net', type: 'text' } }).catch(() => {})
	// A frame that is not a node: the connection must be closed.
	sock.ev.on('connection.update', ({ connection }) => {
		if (connection === 'close') {
			say('CASE not-a-node closed')
			say('RESULT ok')
			process.exit(0)
		}
	})
	await sock.sendRawMessage(Buffer.from([0x00, 0xf8, 0xff, 0xff])).catch(() => {})
}

sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
	if (connection === 'open') run()
	else if (connection === 'close' && !sock.__ran) {
		// closed before open
	}
})
