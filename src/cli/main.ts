#!/usr/bin/env node
/** The `kith` binary: the polyfill first, then one command line, then its exit status. */
import '../polyfill.js'
import { hideBin } from 'yargs/helpers'
import { runCli } from './run.js'

process.exitCode = await runCli(hideBin(process.argv))
