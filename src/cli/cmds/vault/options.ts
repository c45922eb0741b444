/** Options every `kith vault …` command takes, and how each opens its vault. */
import { join } from 'node:path'
import { DEFAULT_VAULT_DIR, Vault } from '../../../coordinator/vault.js'
import { createLog, type Log } from '../../../log.js'
import type { GlobalArgs } from '../../command.js'
import { dataDirOption, jsonOption, passphraseFileOption } from '../../options.js'
import { readPassphrase } from '../../passphrase.js'

export interface VaultArgs {
  readonly dataDir: string
  readonly passphraseFile?: string
  readonly json: boolean
}

export const vaultOptions = {
  dataDir: dataDirOption(DEFAULT_VAULT_DIR, 'where the vault keeps its keys and state'),
  passphraseFile: passphraseFileOption,
  json: jsonOption,
} as const

/** Open the vault for one command and close it after. `lock` (every command that changes the vault)
 * makes this process the only one allowed to: a second one is refused with VAULT_BUSY. */
export async function withVault<T>(a: VaultArgs, fn: (v: Vault) => Promise<T>, lock = true): Promise<T> {
  const vault = await Vault.open(a.dataDir, await readPassphrase(a.passphraseFile), { lock })
  try {
    return await fn(vault)
  } finally {
    await vault.close()
  }
}

/** The coordinator's structured log: --log-file, or kith.log in the vault directory. */
export function vaultLog(a: VaultArgs & GlobalArgs): Log {
  return createLog('coordinator', { file: a.logFile ?? join(a.dataDir, 'kith.log'), level: a.logLevel })
}
