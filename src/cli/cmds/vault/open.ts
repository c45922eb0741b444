/** How a `kith vault …` command opens its vault, and where it logs. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { vaultPaths } from '../../../coordinator/paths.js'
import { Vault } from '../../../coordinator/vault.js'
import { closeLog, createLog, errorFields, type Log, silentLog } from '../../../log.js'
import type { GlobalArgs } from '../../command.js'
import { ExitStatus } from '../../errors.js'
import { note } from '../../output.js'
import { readPassphrase } from '../../passphrase.js'
import type { VaultArgs } from './options.js'

/** Open the vault for one command and close it after. `lock` (every command that changes the vault)
 * makes this process the only one allowed to: while another one changes it (a watch's round), this one
 * waits its turn, saying so on stderr, then gives up with VAULT_BUSY. The vault logs to the command's log
 * (vaultLog). */
export async function withVault<T>(
  a: VaultArgs & Partial<GlobalArgs>,
  fn: (v: Vault) => Promise<T>,
  lock = true,
): Promise<T> {
  const log = vaultLog(a)
  try {
    let vault: Vault
    try {
      vault = await Vault.open(a.dataDir, await readPassphrase(a.passphraseFile), {
        lock,
        log,
        onWait: (pid) => note(`waiting for another kith process (pid ${pid}) to finish with this vault…`),
      })
    } catch (err) {
      // a vault that does not open (busy, a wrong passphrase) is a failed command too
      log.error({ event: 'failed', ...errorFields(err) })
      throw err
    }
    try {
      return await fn(vault)
    } catch (err) {
      // a command that printed its answer and ends with a status (a failed drill) logs what failed
      const failure = err instanceof ExitStatus ? err.failure : err
      if (failure !== undefined) vault.log.error({ event: 'failed', ...errorFields(failure) })
      throw err
    } finally {
      await vault.close()
    }
  } finally {
    closeLog(log)
  }
}

/**
 * The coordinator's structured log: --log-file, or kith.log in the vault directory. Where no vault lives
 * (the command is about to say so), no file is made there.
 */
export function vaultLog(a: VaultArgs & Partial<GlobalArgs>): Log {
  if (a.logFile === undefined && !existsSync(vaultPaths(a.dataDir).key)) return silentLog
  return createLog('coordinator', {
    file: a.logFile ?? join(a.dataDir, 'kith.log'),
    level: a.logLevel ?? 'info',
  })
}
