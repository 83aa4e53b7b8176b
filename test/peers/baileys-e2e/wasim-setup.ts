// ponton's glue for Baileys' own e2e suite (not part of Baileys): passed to
// jest as --setupFilesAfterEnv by test/peers/baileys-e2e/run.sh, which copies
// it into the work copy's root.  Points Baileys' certificate check at
// wasim's test root before any test connects; wasim's chain is signed by
// that root, not by WhatsApp's.
import { WA_CERT_DETAILS } from './src/Defaults/index'

const root = process.env.WASIM_ROOT_PUB ?? ''
if (!/^[0-9a-f]{64}$/.test(root)) {
	throw new Error('WASIM_ROOT_PUB must be 64 hex digits (wasim port file)')
}
WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root, 'hex')
