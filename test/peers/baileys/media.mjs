// media.mjs: Baileys' own media code (Utils/messages-media) as a test peer
// for ponton's waweb/media.c.  Modes:
//
//   --mode vectors --type T --in FILE
//       encrypt FILE with Baileys' encryptedStream (random media key) and
//       print one JSON line: type, mediaKey, blob (hex), fileSha256,
//       fileEncSha256 (hex), and the HKDF keys of that media key
//       (getMediaKeys): fixed vectors for the C unit tests.
//   --mode upload --url WS --root HEX64 --auth DIR --type T --in FILE
//       connect with a paired session (pair.mjs) and upload FILE with
//       Baileys' encryptedStream + waUploadToServer (media_conn from the
//       server); print "UPLOADED <directPath> <mediaKey b64>
//       <fileSha256 hex> <fileEncSha256 hex> <fileLength>".
//   --mode download --host HOST:PORT --type T --direct-path P
//       --media-key B64 --out FILE
//       download and decrypt with downloadContentFromMessage; write FILE,
//       print "DOWNLOADED <bytes> <sha256 hex>".
//   --mode chat --url WS --root HEX64 --auth DIR --peer JID
//       [--expect N --save-dir DIR] [--send TYPE:FILE]...
//       media messages with --peer: each one received is downloaded with
//       downloadMediaMessage (host from the message's url) into
//       DIR/<id> and printed "RECV-MEDIA <kind> <id> <bytes> <sha256 hex>
//       <ptt 0|1> <waveform length> <thumbnail length> <fileName|->
//       <mimetype>"; once N arrived, each --send goes out with
//       sendMessage (image with a given jpegThumbnail, ptt as
//       audio/ogg; codecs=opus with a 64-sample waveform, document as
//       application/pdf named after the file): "SENT <type> <id>
//       <directPath> <mediaKey b64>".
//
// HTTPS to wasim: the test sets NODE_EXTRA_CA_CERTS to wasim's
// self-signed certificate (--media-cert-file), so TLS stays verified.
// Ends with "RESULT ok" or "RESULT fail <why>" (exit 0 / 1).

import makeWASocket, { WA_CERT_DETAILS, downloadContentFromMessage, downloadMediaMessage, encryptedStream, getMediaKeys, jidNormalizedUser, useMultiFileAuthState } from '@whiskeysockets/baileys'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync, unlinkSync } from 'node:fs'
import P from 'pino'

const args = process.argv.slice(2)
const opt = (name, def) => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def
}
const say = l => process.stdout.write(l + '\n')
const finish = (ok, why) => {
	say(ok ? 'RESULT ok' : `RESULT fail ${why}`)
	setTimeout(() => process.exit(ok ? 0 : 1), 50)
}
setTimeout(() => finish(false, 'timeout'), +opt('--timeout-ms', '60000')).unref()
const logger = P({ level: process.env.BAILEYS_LOG || 'silent' }, P.destination(2))
const hex = b => Buffer.from(b).toString('hex')
const sha = b => createHash('sha256').update(b).digest('hex')
const mode = opt('--mode')
const type = opt('--type', 'image')

async function vectors() {
	const input = readFileSync(opt('--in'))
	const enc = await encryptedStream(input, type, { logger })
	const blob = readFileSync(enc.encFilePath)
	unlinkSync(enc.encFilePath)
	const k = await getMediaKeys(enc.mediaKey, type)
	say(JSON.stringify({
		type, mediaKey: hex(enc.mediaKey), plain: hex(input), blob: hex(blob),
		fileSha256: hex(enc.fileSha256), fileEncSha256: hex(enc.fileEncSha256),
		iv: hex(k.iv), cipherKey: hex(k.cipherKey), macKey: hex(k.macKey),
	}))
}

let saving = Promise.resolve()
const settle = async sock => {
	// Let the last acks, receipts and key writes leave, then close.
	await new Promise(r => setTimeout(r, 1000))
	await saving
	sock.end(undefined)
	await saving
}

async function connect() {
	WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(opt('--root'), 'hex')
	const { state, saveCreds } = await useMultiFileAuthState(opt('--auth'))
	const sock = makeWASocket({
		waWebSocketUrl: opt('--url'),
		auth: state,
		logger,
		markOnlineOnConnect: false,
		shouldSyncHistoryMessage: () => false,
	})
	// Writes are tracked so that the process never exits in the middle of
	// one (a half-written creds.json makes the next run pair again).
	sock.ev.on('creds.update', () => { saving = saving.then(saveCreds) })
	await new Promise((resolve, reject) => {
		sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
			if (connection === 'open') resolve()
			if (connection === 'close') reject(new Error(`closed: ${lastDisconnect?.error?.message}`))
		})
	})
	say('MILESTONE open')
	return sock
}

async function upload() {
	const sock = await connect()
	const input = readFileSync(opt('--in'))
	// A voice note is an audio upload (ptt is a flag of audioMessage).
	const upType = type === 'ptt' ? 'audio' : type
	const enc = await encryptedStream(input, upType, { logger })
	const up = await sock.waUploadToServer(enc.encFilePath, {
		mediaType: upType,
		fileEncSha256B64: Buffer.from(enc.fileEncSha256).toString('base64'),
		timeoutMs: 30000,
	})
	unlinkSync(enc.encFilePath)
	say(`UPLOADED ${up.directPath} ${Buffer.from(enc.mediaKey).toString('base64')} ` +
	    `${hex(enc.fileSha256)} ${hex(enc.fileEncSha256)} ${enc.fileLength}`)
	await settle(sock)
}

async function download() {
	const stream = await downloadContentFromMessage({
		mediaKey: Buffer.from(opt('--media-key'), 'base64'),
		directPath: opt('--direct-path'),
	}, type, { host: opt('--host') })
	const chunks = []
	for await (const c of stream) chunks.push(c)
	const data = Buffer.concat(chunks)
	writeFileSync(opt('--out'), data)
	say(`DOWNLOADED ${data.length} ${sha(data)}`)
}

const mediaKinds = ['imageMessage', 'audioMessage', 'documentMessage', 'videoMessage', 'stickerMessage']

async function chat() {
	const sends = []
	for (let i = 0; i < args.length - 1; i++) if (args[i] === '--send') sends.push(args[i + 1])
	const expect = +opt('--expect', '0')
	const dir = opt('--save-dir', '.')
	const sock = await connect()
	let got = 0, pending = 0
	const gotAll = new Promise((resolve, reject) => {
		if (expect === 0) resolve()
		sock.ev.on('messages.upsert', async ({ messages }) => {
			for (const m of messages) {
				const kind = mediaKinds.find(k => m.message?.[k])
				if (m.key.fromMe || !kind) continue
				const media = m.message[kind]
				pending++
				try {
					const data = await downloadMediaMessage(m, 'buffer', {},
					    { logger, reuploadRequest: sock.updateMediaMessage })
					writeFileSync(`${dir}/${m.key.id}`, data)
					say(`RECV-MEDIA ${kind.replace('Message', '')} ${m.key.id} ${data.length} ${sha(data)} ` +
					    `${media.ptt ? 1 : 0} ${media.waveform?.length ?? 0} ${media.jpegThumbnail?.length ?? 0} ` +
					    `${media.fileName || '-'} ${media.mimetype}`)
				} catch (e) {
					say(`RECV-MEDIA-FAIL ${kind} ${m.key.id} ${e.message}`)
				}
				pending--
				if (++got >= expect) resolve()
			}
		})
	})
	await gotAll
	const peer = jidNormalizedUser(opt('--peer'))
	for (const s of sends) {
		const [t, file] = s.split(/:(.*)/s)
		const buf = readFileSync(file)
		let content
		if (t === 'image') content = { image: buf, mimetype: 'image/jpeg', jpegThumbnail: Buffer.from(buf.subarray(0, 64)) }
		else if (t === 'ptt') content = { audio: buf, ptt: true, mimetype: 'audio/ogg; codecs=opus', seconds: 1,
			waveform: new Uint8Array(64).map((_, i) => (i * 3) % 101) }
		else if (t === 'document') content = { document: buf, mimetype: 'application/pdf', fileName: file.split('/').pop() }
		else throw new Error(`cannot send ${t}`)
		const r = await sock.sendMessage(peer, content)
		const sent = r.message?.[mediaKinds.find(k => r.message?.[k])]
		say(`SENT ${t} ${r.key.id} ${sent?.directPath} ${Buffer.from(sent?.mediaKey ?? []).toString('base64')}`)
	}
	await new Promise(r => setTimeout(r, 500))
	await settle(sock)
}

try {
	if (mode === 'vectors') await vectors()
	else if (mode === 'chat') await chat()
	else if (mode === 'upload') await upload()
	else if (mode === 'download') await download()
	else throw new Error(`unknown --mode ${mode}`)
	finish(true)
} catch (e) {
	finish(false, e.message)
}
