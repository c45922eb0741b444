#!/usr/bin/env node
/**
 * The `kith` binary: the Node it runs on is checked first (before any module that needs a newer one
 * loads), then one command line, then its exit status.
 */
import { NODE_MAJOR, NodeTooOldError } from '../runtime.js'

if (Number(process.versions.node.split('.')[0]) < NODE_MAJOR) {
  const err = new NodeTooOldError(process.versions.node)
  console.error(`kith: ${err.message} [${err.code}]`)
  process.exit(1)
}
const { hideBin } = await import('yargs/helpers')
const { runCli } = await import('./run.js')
process.exitCode = await runCli(hideBin(process.argv))
