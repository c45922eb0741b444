#!/usr/bin/env node
/** The kith-cln plugin process that lightningd starts: `main.js <path to cln-plugin.json>`. */
import { runPlugin } from './run.js'

const configPath = process.argv[2]
if (configPath === undefined) {
  process.exit(2)
}
runPlugin(configPath, process.stdin, process.stdout).then(
  () => process.exit(0),
  (_err: unknown) => {
    process.exit(1)
  },
)
