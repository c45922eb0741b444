/** `kith guardian keep`: a vault whose roster dropped this guardian stays, data and share, until you say. */
import { encodeText } from '../../../../crypto/text.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import { systemClock } from '../../../../time/clock.js'
import { UsageError } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { oneVault } from '../vaults.js'
import type { KeepArgs } from './options.js'

export async function keepHandler(a: KeepArgs): Promise<void> {
  const v = await withGuardianStore(a.dataDir, (db) => {
    const vault = oneVault(db, a.vault)
    if (vault.removal === null || !db.vaults.keep(vault.vaultId, systemClock()()))
      throw new UsageError(`vault "${vault.label}" is not waiting to be removed (kept already, or gone)`)
    return vault
  })
  if (a.json) return sayJson({ vault: encodeText('vault', v.vaultId), kept: true })
  say(`Kept: vault "${v.label}" stays here with its data and your share; nothing will be deleted.`)
  say('Its owner can still recover from it. Call your friend and ask what happened.')
}
