// kinds.mjs: one Baileys client, already paired with wasim (pair.mjs),
// exchanging every message kind with ponton (test/wa/55-ponton-kinds.sh,
// tool test/tools/wa_kinds).  Each message is described by one canonical
// line, the same format as ponton's wa_content_line (waweb/content.h,
// docs/whatsapp-content.md), computed here from Baileys' own message object:
//
//   MILESTONE open
//   SENT <id> <line>       one of --send-all went out (line of what Baileys
//                          built)
//   GOT <id> <line>        a message from --peer as Baileys decoded it; a
//                          poll vote on a poll seen here is decrypted with
//                          Baileys' decryptPollVote and shows the names
//   VOTE-OPENED <creator> <voter>   which account forms opened a vote
//   RESULT ok | RESULT fail <why>
//
// Usage: node kinds.mjs --url WS --root HEX64 --auth DIR --peer JID
//        [--expect N] [--send-all] [--peer-override GROUP]
//        [--timeout-ms N] [--stay-ms N]
// --send-all runs after --expect messages were received.

import makeWASocket, { WA_CERT_DETAILS, decryptPollVote, generateMessageIDV2, jidNormalizedUser, useMultiFileAuthState } from '@whiskeysockets/baileys'
import { createHash } from 'node:crypto'
import P from 'pino'

const args = process.argv.slice(2)
const opt = (name, def) => {
	const i = args.indexOf(name)
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def
}
const url = opt('--url')
const root = opt('--root')
const auth = opt('--auth')
// --peer-override: send to this chat (a group) instead of --peer.
const peer = opt('--peer')
const target = opt('--peer-override')
const expect = +opt('--expect', '0')
const sendAll = args.includes('--send-all')
if (!url || !root || !auth || !peer) {
	console.error('usage: kinds.mjs --url WS --root HEX64 --auth DIR --peer JID')
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

// --- The canonical line (mirrors waweb/content.c) -------------------------
const has = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k) && o[k] != null
const esc = (s, list) => String(s).replace(/[\\|\n\r,]/g, c =>
	c === '\\' ? '\\\\' : c === '|' ? '\\|' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : list ? '\\,' : ',')
const num = v => v == null ? 0 : Number(typeof v === 'object' ? v.toString() : v)
const hex = b => Buffer.from(b).toString('hex')

const unwrap = m => {
	for (let i = 0; i < 8 && m; i++) {
		const w = m.ephemeralMessage || m.viewOnceMessage || m.viewOnceMessageV2 ||
			m.viewOnceMessageV2Extension || m.documentWithCaptionMessage || m.editedMessage
		if (!w || !w.message) break
		m = w.message
	}
	return m
}
const textOf = m => {
	m = unwrap(m)
	if (!m) return null
	if (has(m, 'conversation')) return m.conversation
	if (m.extendedTextMessage) return m.extendedTextMessage.text ?? null
	for (const k of ['imageMessage', 'videoMessage', 'ptvMessage', 'documentMessage'])
		if (m[k]) return m[k].caption ?? null
	return null
}
const pollOf = m => m.pollCreationMessage || m.pollCreationMessageV2 || m.pollCreationMessageV3 || m.pollCreationMessageV5
const contextOf = m => {
	for (const k of ['extendedTextMessage', 'imageMessage', 'videoMessage', 'ptvMessage', 'audioMessage',
		'documentMessage', 'stickerMessage', 'locationMessage', 'liveLocationMessage', 'contactMessage',
		'contactsArrayMessage', 'groupInviteMessage'])
		if (m[k]) return m[k].contextInfo
	return pollOf(m)?.contextInfo
}

// content: the decoded fields as waweb/content.c sets them.
function decode(top) {
	const c = { kind: null }
	let secret = top.messageContextInfo?.messageSecret
	let m = top
	if (m.deviceSentMessage?.message) m = m.deviceSentMessage.message
	m = unwrap(m)
	if (!secret) secret = m.messageContextInfo?.messageSecret
	c.hasSecret = secret != null && secret.length === 32
	c.secret = secret
	const key = k => { if (k && k.id) c.key = k }
	const ctx = ci => {
		if (!ci) return
		if (ci.mentionedJid?.length) c.mentions = ci.mentionedJid
		if (ci.stanzaId) {
			c.reply = ci.stanzaId
			c.replyTo = ci.participant
			c.quoted = textOf(ci.quotedMessage)
		}
		if (ci.isForwarded) c.forwarded = 1
	}
	if (m.protocolMessage) {
		const pm = m.protocolMessage
		const type = pm.type ?? 0
		if (type === 0) { c.kind = 'revoke'; key(pm.key); return c }
		if (type === 14) {
			c.kind = 'edit'
			key(pm.key)
			const em = unwrap(pm.editedMessage)
			c.text = textOf(em)
			if (em) ctx(contextOf(em))
			return c
		}
		c.kind = 'protocol_other'
		c.protocolType = type
		return c
	}
	if (m.reactionMessage) {
		c.kind = 'reaction'
		key(m.reactionMessage.key)
		c.text = m.reactionMessage.text ?? ''
		return c
	}
	if (m.pollUpdateMessage) {
		c.kind = 'poll_vote'
		key(m.pollUpdateMessage.pollCreationMessageKey)
		c.vote = m.pollUpdateMessage.vote
		return c
	}
	ctx(contextOf(m))
	const media = (kind, x) => {
		c.kind = kind
		c.media = x
	}
	const p = pollOf(m)
	if (p) {
		c.kind = 'poll_create'
		c.pollName = p.name
		c.pollOptions = (p.options || []).map(o => o.optionName ?? '')
		c.selectable = num(p.selectableOptionsCount)
		if (!c.hasSecret && p.encKey?.length === 32) c.hasSecret = true
	} else if (m.imageMessage) {
		media('image', m.imageMessage)
		c.text = m.imageMessage.caption
	} else if (m.videoMessage) {
		media('video', m.videoMessage)
		c.text = m.videoMessage.caption
	} else if (m.ptvMessage) {
		media('video', m.ptvMessage)
		c.text = m.ptvMessage.caption
		c.videoNote = 1
	} else if (m.audioMessage) {
		media(m.audioMessage.ptt ? 'voice' : 'audio', m.audioMessage)
	} else if (m.documentMessage) {
		media('document', m.documentMessage)
		c.text = m.documentMessage.caption
		c.fileName = m.documentMessage.fileName
	} else if (m.stickerMessage) {
		media('sticker', m.stickerMessage)
	} else if (m.locationMessage || m.liveLocationMessage) {
		c.kind = 'location'
		const l = m.locationMessage || m.liveLocationMessage
		c.lat = l.degreesLatitude ?? 0
		c.lon = l.degreesLongitude ?? 0
		if (m.locationMessage) {
			c.locName = l.name
			c.locAddress = l.address
			c.live = l.isLive ? 1 : 0
			c.text = l.comment
		} else {
			c.live = 1
			c.text = l.caption
		}
	} else if (m.contactMessage) {
		c.kind = 'contact'
		c.contacts = [m.contactMessage]
	} else if (m.contactsArrayMessage) {
		c.kind = 'contacts'
		c.text = m.contactsArrayMessage.displayName
		c.contacts = m.contactsArrayMessage.contacts || []
	} else if (m.groupInviteMessage) {
		const g = m.groupInviteMessage
		c.kind = 'group_invite'
		c.invite = g
		c.text = g.caption
	} else if (has(m, 'conversation') || m.extendedTextMessage) {
		c.kind = 'text'
		c.text = has(m, 'conversation') ? m.conversation : m.extendedTextMessage.text ?? ''
	} else if (m.senderKeyDistributionMessage) {
		c.kind = 'protocol_other'	// a group sender key alone
		c.protocolType = -1
	} else {
		c.kind = 'unsupported'
	}
	return c
}

function lineOf(c) {
	let l = c.kind
	const s = (n, v) => { if (v != null) l += `|${n}=${esc(v, false)}` }
	const list = (n, v) => { if (v && v.length) l += `|${n}=` + v.map(x => esc(x ?? '', true)).join(',') }
	const u = (n, v) => { v = num(v); if (v) l += `|${n}=${v}` }
	const x = (n, b, len) => { if (b != null && (len == null || b.length === len)) l += `|${n}=${hex(b)}` }
	s('text', c.text)
	list('mentions', c.mentions)
	s('reply', c.reply)
	s('reply_to', c.replyTo)
	s('quoted', c.quoted)
	u('forwarded', c.forwarded)
	if (c.key) {
		s('key_chat', c.key.remoteJid)
		s('key_id', c.key.id)
		l += `|key_from_me=${c.key.fromMe ? 1 : 0}`
		s('key_participant', c.key.participant)
	}
	const md = c.media
	if (md) {
		s('url', md.url)
		s('direct_path', md.directPath)
		s('mimetype', md.mimetype)
		s('file_name', c.fileName)
		x('media_key', md.mediaKey, 32)
		x('file_sha256', md.fileSha256, 32)
		x('file_enc_sha256', md.fileEncSha256, 32)
		u('file_length', md.fileLength)
		u('width', md.width)
		u('height', md.height)
		u('seconds', md.seconds)
		u('gif', md.gifPlayback ? 1 : 0)
		u('video_note', c.videoNote)
		u('animated', md.isAnimated ? 1 : 0)
		if (md.waveform?.length) x('waveform', md.waveform)
		const th = md.jpegThumbnail || md.pngThumbnail
		u('thumbnail_len', th ? th.length : 0)
	}
	if (c.kind === 'location') {
		l += `|lat=${c.lat.toFixed(6)}|lon=${c.lon.toFixed(6)}`
		s('loc_name', c.locName)
		s('loc_address', c.locAddress)
		u('live', c.live)
	}
	;(c.contacts || []).forEach((k, i) => {
		s(`contact${i}_name`, k.displayName)
		s(`contact${i}_vcard`, k.vcard)
	})
	s('poll_name', c.pollName)
	list('poll_options', c.pollOptions)
	if (c.kind === 'poll_create') l += `|selectable=${c.selectable}|secret=${c.hasSecret ? 1 : 0}`
	if (c.kind === 'poll_vote' && c.voteNames) list('vote', c.voteNames)
	if (c.invite) {
		s('invite_group', c.invite.groupJid)
		s('invite_code', c.invite.inviteCode)
		u('invite_expiration', c.invite.inviteExpiration)
		s('invite_name', c.invite.groupName)
	}
	if (c.kind === 'protocol_other') l += `|protocol_type=${c.protocolType}`
	return l
}

// --- The client -------------------------------------------------------------
const sent = new Map()		// id -> message, for retries (getMessage)
const polls = new Map()		// poll id -> { secret, options, creators }
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
	const me = jidNormalizedUser(sock.user.id)
	const meLid = sock.user.lid ? jidNormalizedUser(sock.user.lid) : null
	let got = 0
	const gotAll = new Promise(resolve => {
		if (expect === 0) resolve()
		sock.ev.on('messages.upsert', ({ messages }) => {
			for (const m of messages) {
				if (m.key.fromMe || !m.message) continue
				if (m.key.remoteJid === 'status@broadcast') continue
				const c = decode(m.message)
				if (c.kind === 'protocol_other') continue
				const from = [m.key.participant, m.key.participantAlt, m.key.remoteJid, m.key.remoteJidAlt, m.key.senderPn]
					.filter(Boolean).map(j => jidNormalizedUser(j))
				if (c.kind === 'poll_create' && c.hasSecret)
					polls.set(m.key.id, { secret: c.secret, options: c.pollOptions, creators: from })
				if (c.kind === 'poll_vote' && polls.has(c.key.id)) {
					const p = polls.get(c.key.id)
					opened: for (const cr of [...p.creators, me, meLid].filter(Boolean))
						for (const v of from) {
							try {
								const vote = decryptPollVote(c.vote, {
									pollCreatorJid: cr, pollMsgId: c.key.id,
									pollEncKey: p.secret, voterJid: v,
								})
								const byHash = new Map(p.options.map(o =>
									[createHash('sha256').update(o).digest('hex'), o]))
								c.voteNames = (vote.selectedOptions || []).map(h => byHash.get(hex(h))).filter(Boolean)
								say(`VOTE-OPENED ${cr} ${v}`)
								break opened
							} catch (e) { /* next form */ }
						}
				}
				say(`GOT ${m.key.id} ${lineOf(c)}`)
				if (++got >= expect) resolve()
			}
		})
	})
	await gotAll
	if (sendAll) {
		const to = target || jidNormalizedUser(peer)
		// The mention names the peer (ponton), in a group too.
		const who = jidNormalizedUser(peer)
		const n = who.split('@')[0]
		const out = []
		const send = async (content, opts) => {
			const id = generateMessageIDV2(sock.user?.id)
			const m = await sock.sendMessage(to, content, { messageId: id, ...opts })
			sent.set(m.key.id, m.message)
			say(`SENT ${m.key.id} ${lineOf(decode(m.message))}`)
			out.push(m)
			return m
		}
		const relay = async message => {
			const id = generateMessageIDV2(sock.user?.id)
			sent.set(id, message)
			await sock.relayMessage(to, message, { messageId: id })
			say(`SENT ${id} ${lineOf(decode(message))}`)
		}
		const fake = (k, extra) => Object.assign({
			url: `https://mmg.whatsapp.net/v/t62.7118-24/baileys-${k}.enc`,
			directPath: `/v/t62.7118-24/baileys-${k}.enc?oh=y`,
			mediaKey: Buffer.alloc(32, k), fileSha256: Buffer.alloc(32, 0x40 + k),
			fileEncSha256: Buffer.alloc(32, 0x80 + k), fileLength: 2000 + k,
			mediaKeyTimestamp: 1700000100,
		}, extra)
		const m1 = await send({ text: '*gras* _italique_ ~barré~ ```code``` and a | pipe\nnew line' })
		const m2 = await send({ text: `hi @${n}`, mentions: [who] })
		await send({ text: 'a reply' }, { quoted: m1 })
		await relay({ imageMessage: fake(1, { mimetype: 'image/jpeg', caption: 'photo *caption*', width: 800, height: 600 }) })
		await relay({ videoMessage: fake(2, { mimetype: 'video/mp4', caption: 'clip', seconds: 9, width: 640, height: 360 }) })
		await relay({ audioMessage: fake(3, { mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 6, waveform: Buffer.from([0, 10, 50, 99, 20]) }) })
		await relay({ audioMessage: fake(4, { mimetype: 'audio/mpeg', seconds: 180 }) })
		await relay({ documentMessage: fake(5, { mimetype: 'text/plain', fileName: 'notes.txt', caption: 'my notes' }) })
		await relay({ stickerMessage: fake(6, { mimetype: 'image/webp', width: 512, height: 512, isAnimated: false }) })
		await send({ location: { degreesLatitude: 40.689247, degreesLongitude: -74.044502, name: 'Statue', address: 'Liberty Island' } })
		await send({ contacts: { displayName: 'Carol', contacts: [{ vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;waid=15550002222:+1 555 000 2222\nEND:VCARD' }] } })
		await send({ contacts: { displayName: '2 contacts', contacts: [
			{ displayName: 'Dan', vcard: 'BEGIN:VCARD\nFN:Dan\nEND:VCARD' },
			{ displayName: 'Eve', vcard: 'BEGIN:VCARD\nFN:Eve\nEND:VCARD' }] } })
		await send({ poll: { name: 'Single?', values: ['yes', 'no, never'], selectableCount: 1 } })
		await send({ poll: { name: 'Multi?', values: ['a', 'b', 'c'], selectableCount: 0 } })
		await send({ react: { text: '❤️', key: m1.key } })
		await send({ react: { text: '', key: m1.key } })
		await send({ text: 'edited by Baileys', edit: m1.key })
		await send({ delete: m2.key })
		await relay({ groupInviteMessage: { groupJid: '120363000000000002@g.us', inviteCode: 'XyZ987', inviteExpiration: 1900000001, groupName: 'Baileys group', caption: 'come' } })
	}
	// Give the last stanzas (acks, receipts) time to leave.
	setTimeout(() => finish(true), +opt('--stay-ms', '1500'))
} catch (e) {
	finish(false, e.message)
}
