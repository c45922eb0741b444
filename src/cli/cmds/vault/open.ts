/** How a `kith vault …` command opens its vault, and where it logs. */
import { join } from 'node:path'
import { Vault } from '../../../coordinator/vault.js'
import { createLog, type Log } from '../../../log.js'
import type { GlobalArgs } from '../../command.js'
import { readPassphrase } from '../../passphrase.js'
import type { VaultArgs } from './options.js'

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
