#!/usr/bin/env node
/**
 * The `kith` binary: the Node it runs on is checked first (before any module that needs a newer one
 * loads), then one command line, then its exit status.
 */
import { nodeTooOld } from '../runtime.js'

const tooOld = nodeTooOld(process.versions.node)
if (tooOld !== undefined) {
  console.error(`kith: ${tooOld.message} [${tooOld.code}]`)
  process.exit(1)
}
const { hideBin } = await import('yargs/helpers')
const { runCli } = await import('./run.js')
// the command is done and closed what it opened (its files, its vault, its node): exit now, not when
// libp2p's last close timer runs out (a second after every command that went online)
process.exit(await runCli(hideBin(process.argv)))
