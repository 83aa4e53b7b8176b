// chunked.mjs: HTTP(S) client for test/wa/21-wasim-wss.sh, posting bodies
// the way Baileys' own e2e harness (mock-phone.ts) does: node's
// http(s).request with write()+end() and no Content-Length, i.e.
// Transfer-Encoding: chunked, on the default (keep-alive) agent.
//
//   node chunked.mjs post URL BODY [COUNT]   COUNT sequential POSTs; one line
//                                           "<status> <response body>" each
//   node chunked.mjs raw PORT TEXT           TEXT (\r \n escapes) sent as is to
//                                           127.0.0.1:PORT over plain TCP;
//                                           prints "<status> <body>" once the
//                                           server closes (or after 5 s)
// TLS certificates are not checked (wasim's are self-signed, made at start).
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'

const [mode, a, b, c] = process.argv.slice(2)

const post = (url, body) => new Promise(resolve => {
	const u = new URL(url)
	const tls = u.protocol === 'https:'
	const req = (tls ? httpsRequest : httpRequest)({
		host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST',
		...(tls ? { rejectUnauthorized: false } : {})
	}, res => {
		let data = ''
		res.setEncoding('utf8')
		res.on('data', d => { data += d })
		res.on('end', () => resolve(`${res.statusCode} ${data}`))
	})
	req.on('error', e => resolve(`error ${e.message}`))
	req.setTimeout(10000, () => req.destroy(new Error('timeout')))
	req.write(body)
	req.end()
})

if (mode === 'post' && a && b !== undefined) {
	const n = Number(c ?? 1)
	for (let i = 0; i < n; i++)
		console.log(await post(a, b))
} else if (mode === 'raw' && a && b !== undefined) {
	const text = b.replace(/\\r/g, '\r').replace(/\\n/g, '\n')
	const sock = connect(Number(a), '127.0.0.1', () => sock.write(text))
	let data = ''
	const done = () => {
		const status = data.split('\r\n')[0].split(' ')[1] ?? 'none'
		const body = data.includes('\r\n\r\n') ? data.slice(data.indexOf('\r\n\r\n') + 4) : ''
		console.log(`${status} ${body}`)
		process.exit(0)
	}
	sock.setEncoding('latin1')
	sock.on('data', d => { data += d })
	sock.on('error', done)
	sock.on('close', done)
	setTimeout(done, 5000)
} else {
	console.error('usage: chunked.mjs post URL BODY [COUNT] | raw PORT TEXT')
	process.exit(2)
}
