// pair.mjs: drive the pinned Baileys (package.json) against wasim until the
// connection is 'open', printing one parseable line per milestone on stdout:
//
//   QR <text>                  a QR to scan (POST it to wasim's scan-qr)
//   PAIRCODE <code>            the pairing code Baileys asked for (--pair-code)
//   MILESTONE paired <jid> <lid>      pair-success verified, creds saved
//   MILESTONE restart <code>   the server ended the stream (515 after pairing)
//   MILESTONE open <jid> <lid> connection 'open'
//   MILESTONE offline          <ib><offline/> handled (receivedPendingNotifications)
//   MILESTONE query_error <code> <text>   answer to --query-unknown
//   MILESTONE closed <code>    the connection closed for good (with --expect-close)
//   RESULT ok | RESULT fail <why>
//
// Usage:
//   node pair.mjs --url ws://127.0.0.1:P/ws/chat --root <hex> --auth <dir>
//        [--timeout-ms 60000] [--pair-code <phone digits>] [--query-unknown]
//        [--expect-new-login | --expect-saved-login] [--expect-close]
//        [--stay-ms N] [--push-name NAME]
//
// --root is wasim's test root public key: Baileys checks the server's
// certificate chain against WA_CERT_DETAILS.PUBLIC_KEY, an exported,
// mutable object, so we point it at wasim's root at run time (nothing in
// node_modules is modified).  The auth state lives in --auth
// (useMultiFileAuthState), so a second run logs in with the saved creds.
// Exit status 0 when every expectation held, 1 otherwise (timeout included).

import makeWASocket, {
	Browsers,
	DisconnectReason,
	WA_CERT_DETAILS,
	useMultiFileAuthState,
} from '@whiskeysockets/baileys'
import P from 'pino'

const args = process.argv.slice(2)
const opt = (name, def) => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def
}
const flag = name => args.includes(name)

const url = opt('--url')
const rootHex = opt('--root')
const authDir = opt('--auth')
const timeoutMs = +opt('--timeout-ms', '60000')
const pairPhone = opt('--pair-code')
const stayMs = +opt('--stay-ms', '0')
const pushName = opt('--push-name')
if (!url || !rootHex || !authDir || !/^[0-9a-f]{64}$/.test(rootHex)) {
	console.error('usage: pair.mjs --url WS --root HEX64 --auth DIR [...]')
	process.exit(2)
}

WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootHex, 'hex')

const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))
const say = line => process.stdout.write(line + '\n')
let finished = false
// Credential writes, chained: leaving while one is half written would leave
// an empty creds.json and the next run would pair anew.
let saving = Promise.resolve()
const finish = (ok, why) => {
	if (finished) return
	finished = true
	say(ok ? 'RESULT ok' : `RESULT fail ${why}`)
	// Let the last write and stdout drain, then leave (sockets and timers
	// may still be open).
	saving.finally(() => setTimeout(() => process.exit(ok ? 0 : 1), 50))
}
setTimeout(() => finish(false, 'timeout'), timeoutMs).unref()

const { state, saveCreds: saveNow } = await useMultiFileAuthState(authDir)
const saveCreds = () => (saving = saving.then(saveNow).catch(() => {}))
const hadCreds = !!state.creds.me
let paired = false
let askedCode = false
let attempts = 0

const unknownIq = async sock => {
	try {
		await sock.query({
			tag: 'iq',
			attrs: { to: 's.whatsapp.net', type: 'get', xmlns: 'wasim:unknown' },
			content: [{ tag: 'no-such-thing', attrs: {} }],
		})
		say('MILESTONE query_error none no-error')
	} catch (err) {
		say(`MILESTONE query_error ${err?.data ?? '?'} ${err?.message ?? err}`)
	}
}

const start = () => {
	attempts++
	if (attempts > 5) {
		finish(false, 'too many reconnects')
		return
	}
	let stayTimer
	const sock = makeWASocket({
		waWebSocketUrl: url,
		auth: state,
		logger,
		browser: Browsers.macOS('Chrome'),
		markOnlineOnConnect: false,
		syncFullHistory: false,
		shouldSyncHistoryMessage: () => false,
		connectTimeoutMs: 15000,
		...(pushName ? { pushName } : {}),
	})
	sock.ev.on('creds.update', async () => {
		await saveCreds()
	})
	sock.ev.on('connection.update', async update => {
		const { connection, lastDisconnect, qr, isNewLogin, receivedPendingNotifications } = update
		if (qr) {
			if (pairPhone) {
				if (!askedCode) {
					askedCode = true
					try {
						const code = await sock.requestPairingCode(pairPhone)
						say(`PAIRCODE ${code}`)
					} catch (err) {
						finish(false, `requestPairingCode: ${err?.message ?? err}`)
					}
				}
			} else {
				say(`QR ${qr}`)
			}
		}
		if (isNewLogin) {
			paired = true
			say(`MILESTONE paired ${state.creds.me?.id} ${state.creds.me?.lid}`)
			await saveCreds()
		}
		if (receivedPendingNotifications) say('MILESTONE offline')
		if (connection === 'open') {
			await saveCreds()
			say(`MILESTONE open ${state.creds.me?.id} ${state.creds.me?.lid}`)
			if (flag('--expect-new-login') && !(paired && !hadCreds)) {
				finish(false, 'expected a new pairing')
				return
			}
			if (flag('--expect-saved-login') && (paired || !hadCreds)) {
				finish(false, 'expected a login with saved creds')
				return
			}
			if (flag('--query-unknown')) await unknownIq(sock)
			if (flag('--expect-close')) return
			stayTimer = setTimeout(() => {
				sock.end(undefined)
				finish(true)
			}, stayMs)
		}
		if (connection === 'close') {
			clearTimeout(stayTimer)
			const code = lastDisconnect?.error?.output?.statusCode
			if (code === DisconnectReason.restartRequired) {
				say(`MILESTONE restart ${code}`)
				start()
				return
			}
			say(`MILESTONE closed ${code ?? '?'}`)
			if (flag('--expect-close')) finish(true)
			else if (!finished) finish(false, `closed ${code ?? '?'}: ${lastDisconnect?.error?.message ?? ''}`)
		}
	})
}

start()
