/** `kith vault remove-guardian`: a new epoch without it, and the current state re-encrypted. */
import { requireAllRead, requireCommitted, runBackup } from '../../../../coordinator/backup.js'
import { SourceNotReadError } from '../../../../coordinator/errors.js'
import { failedSourceLine } from '../../../../coordinator/source-health.js'
import { ExitStatus } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { withVault } from '../open.js'
import type { RemoveGuardianArgs } from './options.js'

export async function removeGuardianHandler(a: RemoveGuardianArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const r = await vault.removeGuardian(a.peerId)
    // the current state, re-encrypted under the new data key, goes to the remaining guardians now
    const report = await runBackup(vault, { timeoutMs: parseDuration(a.timeout) })
    // a source the re-encrypted version could not read is said, as by vault backup
    if (!a.json) for (const f of report.failed) say(failedSourceLine(f))
    const backup = requireCommitted(report)
    const stored = vault.db.newestVersion()?.version
    if (a.json) {
      sayJson({ ...r, backup })
      if (backup.failed.length > 0) throw new ExitStatus(1, new SourceNotReadError(backup.failed, stored))
      return
    }
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
    requireAllRead(backup, stored)
  })
}
