/**
 * Where a command's defaults come from, weakest first: kith's built-in ones, then the config file
 * (`$KITH_CONFIG`, else `~/.config/kith/config.json`, if it exists), then `KITH_*` environment variables;
 * a command-line option beats them all (docs/operator.md §Configuration). Read once per process.
 *
 *     { "vault": { "data-dir": "…", "passphrase-file": "…" }, "guardian": { "data-dir": "…" } }
 *
 * Environment: KITH_VAULT_DIR, KITH_GUARDIAN_DIR, KITH_PASSPHRASE_FILE.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_VAULT_DIR } from '../coordinator/paths.js'
import { DEFAULT_GUARDIAN_DIR } from '../guardian/config.js'
import { UsageError } from './errors.js'

interface ConfigFile {
  readonly vault?: { readonly 'data-dir'?: string; readonly 'passphrase-file'?: string }
  readonly guardian?: { readonly 'data-dir'?: string }
}

function _configFile(): ConfigFile {
  const path = process.env['KITH_CONFIG'] ?? join(homedir(), '.config', 'kith', 'config.json')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    if (process.env['KITH_CONFIG'] !== undefined) throw new UsageError(`cannot read the config file ${path}`)
    return {}
  }
  try {
    return JSON.parse(text) as ConfigFile
  } catch {
    throw new UsageError(`the config file ${path} is not JSON`)
  }
}

let cached: { vaultDir: string; guardianDir: string; passphraseFile?: string } | undefined

/** The defaults in force for this process. */
export function cliDefaults(): { vaultDir: string; guardianDir: string; passphraseFile?: string } {
  if (cached !== undefined) return cached
  const file = _configFile()
  const env = process.env
  const passphraseFile = env['KITH_PASSPHRASE_FILE'] ?? file.vault?.['passphrase-file']
  cached = {
    vaultDir: env['KITH_VAULT_DIR'] ?? file.vault?.['data-dir'] ?? DEFAULT_VAULT_DIR,
    guardianDir: env['KITH_GUARDIAN_DIR'] ?? file.guardian?.['data-dir'] ?? DEFAULT_GUARDIAN_DIR,
    ...(passphraseFile !== undefined ? { passphraseFile } : {}),
  }
  return cached
}
