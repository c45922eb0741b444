/** `kith vault remove-guardian`: a new epoch without it, and the current state re-encrypted. */
import { requireCommitted, runBackup } from '../../../../coordinator/backup.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { withVault } from '../open.js'
import type { RemoveGuardianArgs } from './options.js'

export async function removeGuardianHandler(a: RemoveGuardianArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const r = await vault.removeGuardian(a.peerId)
    // the current state, re-encrypted under the new data key, goes to the remaining guardians now
    const backup = requireCommitted(await runBackup(vault, { timeoutMs: parseDuration(a.timeout) }))
    if (a.json) return sayJson({ ...r, backup })
    const s = vault.db.settings()
    say(`Epoch ${s.epoch}: guardian removed; a new data key is split ${s.k}-of-${vault.members().length}.`)
    say(
      r.removedTold
        ? '  the removed guardian deleted its copy'
        : '  the removed guardian could not be told; it keeps only data under the old key',
    )
    for (const x of r.results)
      say(`  ${x.ok ? 'ok     ' : 'pending'} ${x.label}${x.ok ? '' : `: ${x.error}`}`)
    if (backup.pushed)
      say(`Version ${backup.pushed.version} (re-encrypted) committed by ${backup.pushed.receipts} guardians.`)
  })
}
