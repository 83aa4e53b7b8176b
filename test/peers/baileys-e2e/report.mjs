// ponton: prints one PASS:/FAIL: line per test of a jest --json report
// (Baileys' own e2e suite, run by run.sh); a test file that failed to run
// at all counts as one FAIL.  Exit status 1 when anything failed or the
// report is missing or unreadable.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

const oneLine = s => String(s ?? '').split('\n').map(l => l.trim()).filter(Boolean).slice(0, 2).join(' | ').slice(0, 300)
let report
try {
	report = JSON.parse(readFileSync(process.argv[2], 'utf8'))
} catch (e) {
	console.log(`FAIL: baileys_e2e: no jest report (${oneLine(e.message)})`)
	process.exit(1)
}
let failed = 0, passed = 0
for (const file of report.testResults ?? []) {
	const name = basename(file.name).replace(/\.test-e2e\.ts$/, '')
	const tests = file.assertionResults ?? []
	if (tests.length === 0) {
		failed++
		console.log(`FAIL: baileys_e2e: ${name} (did not run: ${oneLine(file.message)})`)
		continue
	}
	for (const t of tests) {
		if (t.status === 'passed') {
			passed++
			console.log(`PASS: baileys_e2e: ${name} > ${t.fullName}`)
		} else {
			failed++
			console.log(`FAIL: baileys_e2e: ${name} > ${t.fullName} (${t.status}: ${oneLine(t.failureMessages?.[0])})`)
		}
	}
}
if (passed + failed === 0) {
	console.log('FAIL: baileys_e2e: the report lists no tests')
	process.exit(1)
}
console.log(`# baileys_e2e: ${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
