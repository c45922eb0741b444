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
import { ConfigObject, parseConfig } from '../disk/config-file.js'
import { ConfigInvalidError } from '../disk/errors.js'
import { DEFAULT_GUARDIAN_DIR } from '../guardian/config.js'
import { UsageError } from './errors.js'

export interface ConfigFile {
  readonly vault?: { readonly dataDir?: string; readonly passphraseFile?: string }
  readonly guardian?: { readonly dataDir?: string }
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
  return readCliConfig(path, text)
}

/**
 * The config file's settings, each checked. A typo is named where it is (a usage error, exit 2), never
 * ignored: an unknown key would silently leave a default in force.
 */
export function readCliConfig(path: string, text: string): ConfigFile {
  try {
    return _settings(path, text)
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err
    const json = err.where.startsWith('line ')
    throw new UsageError(
      `the config file ${path} is ${json ? 'not JSON' : 'not valid'}: ${err.where}: ${err.why}`,
    )
  }
}

function _settings(path: string, text: string): ConfigFile {
  const c = new ConfigObject(path, parseConfig(path, text))
  const v = c.object('vault')
  const g = c.object('guardian')
  c.done()
  const vault = v && { dataDir: v.string('data-dir'), passphraseFile: v.string('passphrase-file') }
  v?.done()
  const guardianDir = g?.string('data-dir')
  g?.done()
  return {
    ...(vault !== undefined
      ? {
          vault: {
            ...(vault.dataDir !== undefined ? { dataDir: vault.dataDir } : {}),
            ...(vault.passphraseFile !== undefined ? { passphraseFile: vault.passphraseFile } : {}),
          },
        }
      : {}),
    ...(guardianDir !== undefined ? { guardian: { dataDir: guardianDir } } : {}),
  }
}

let cached: { vaultDir: string; guardianDir: string; passphraseFile?: string } | undefined

/** The defaults in force for this process. */
export function cliDefaults(): { vaultDir: string; guardianDir: string; passphraseFile?: string } {
  if (cached !== undefined) return cached
  const file = _configFile()
  const env = process.env
  const passphraseFile = env['KITH_PASSPHRASE_FILE'] ?? file.vault?.passphraseFile
  cached = {
    vaultDir: env['KITH_VAULT_DIR'] ?? file.vault?.dataDir ?? DEFAULT_VAULT_DIR,
    guardianDir: env['KITH_GUARDIAN_DIR'] ?? file.guardian?.dataDir ?? DEFAULT_GUARDIAN_DIR,
    ...(passphraseFile !== undefined ? { passphraseFile } : {}),
  }
  return cached
}
