#!/usr/bin/env node
/**
 * The kith-cln plugin process of an npm install: lightningd's executable runs `node main.js <path to
 * cln-plugin.json>` (cln/installed.ts). What it does is plugin-process.ts's, shared with the release.
 */
import { runPluginProcess } from './plugin-process.js'

runPluginProcess(process.argv[2])
