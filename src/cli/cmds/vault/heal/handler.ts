/** `kith vault heal`: choose this node's chain after a fork, and back up under the new epoch. */
import { requireCommitted, runBackup } from '../../../../coordinator/backup.js'
import { healVault } from '../../../../coordinator/heal.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { withVault } from '../open.js'
import type { HealArgs } from './options.js'

export async function healHandler(a: HealArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const r = await healVault(vault)
    // the current state under the new epoch and data key: the vault's newest version from now on
    const backup = requireCommitted(await runBackup(vault, { timeoutMs: parseDuration(a.timeout) }))
    if (a.json) return sayJson({ ...r, epoch: vault.db.settings().epoch, backup })
    const s = vault.db.settings()
    say(
      `Epoch ${s.epoch}: this node's versions ${r.first}–${r.version} are the vault's chain; guardians set aside the other copy's versions and keep the proof.`,
    )
    for (const x of r.results)
      say(
        `  ${x.ok ? 'ok     ' : 'pending'} ${x.label}${x.ok ? '' : `: ${x.error} (it gets the choice with the roster on the next backup)`}`,
      )
    if (backup.pushed)
      say(
        `Version ${backup.pushed.version} (epoch ${s.epoch}) committed by ${backup.pushed.receipts} guardians.`,
      )
    say('Make sure the other copy stays stopped: anything it sends now is refused as an old epoch.')
  })
}
