// garbage.mjs: throw malformed input at wasim's websocket and report, per
// case, whether the server closed the connection (it must, without dying):
//
//   CASE <name> closed|open|refused
//
// Usage: node garbage.mjs ws://127.0.0.1:P/ws/chat
// Uses the 'ws' package that Baileys depends on (pinned by package-lock.json).

import WebSocket from 'ws'

const url = process.argv[2]
if (!url) {
	console.error('usage: garbage.mjs WS_URL')
	process.exit(2)
}
const intro = Buffer.from([0x57, 0x41, 0x06, 0x03])
const frame = payload => {
	const b = Buffer.alloc(3 + payload.length)
	b.writeUIntBE(payload.length, 0, 3)
	payload.copy(b, 3)
	return b
}

const run = (name, target, sends, waitMs = 1500) =>
	new Promise(resolve => {
		let done = false
		const end = what => {
			if (done) return
			done = true
			process.stdout.write(`CASE ${name} ${what}\n`)
			try { ws.terminate() } catch {}
			resolve()
		}
		const ws = new WebSocket(target, { origin: 'https://web.whatsapp.com' })
		ws.on('open', async () => {
			for (const s of sends) {
				if (ws.readyState !== WebSocket.OPEN) break
				ws.send(s)
				await new Promise(r => setTimeout(r, 5))
			}
			setTimeout(() => end('open'), waitMs)
		})
		ws.on('close', () => end('closed'))
		ws.on('error', () => end(ws.readyState === WebSocket.CONNECTING ? 'refused' : 'closed'))
	})

const big = Buffer.alloc(3)
big.writeUIntBE(0xffffff, 0, 3)
const split = [...Buffer.concat([intro, frame(Buffer.from('0a0b0c', 'hex'))])].map(x => Buffer.from([x]))

await run('bad-intro', url, [Buffer.from('GET / HTTP/1.1\r\n\r\n')])
await run('huge-frame-length', url, [Buffer.concat([intro, big])])
await run('garbage-client-hello', url, [Buffer.concat([intro, frame(Buffer.from('12ff7f0102', 'hex'))])])
await run('empty-client-hello', url, [Buffer.concat([intro, frame(Buffer.alloc(0))])])
await run('hello-then-garbage-finish', url, [
	Buffer.concat([intro, frame(Buffer.concat([Buffer.from([0x12, 0x22, 0x0a, 0x20]), Buffer.alloc(32, 9)]))]),
	frame(Buffer.from('2204deadbeef', 'hex')),
])
await run('split-bytes', url, split)
await run('text-message', url, ['hello'])
await run('wrong-path', url.replace('/ws/chat', '/nope'), [intro])
process.exit(0)
