/** `kith vault backup`: one version now, pushed to every guardian; fails unless W guardians hold it. */
import { type BackupReport, requireCommitted, runBackup } from '../../../../coordinator/backup.js'
import { formatSize } from '../../../../format.js'
import type { GlobalArgs } from '../../../command.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration } from '../../../parse.js'
import { uploadBar } from '../../../progress.js'
import { withVault } from '../open.js'
import type { BackupArgs } from './options.js'

export async function backupHandler(a: BackupArgs & GlobalArgs): Promise<void> {
  await withVault(a, async (vault) => {
    const bar = uploadBar(a.json)
    let report: BackupReport
    try {
      report = await runBackup(vault, {
        timeoutMs: parseDuration(a.timeout),
        ...(bar ? { progress: bar } : {}),
      })
    } finally {
      bar?.stop()
    }
    const r = requireCommitted(report)
    if (a.json) return sayJson(r)
    for (const d of r.drained)
      say(
        `outbox: version ${d.version} now has ${d.receipts} of ${d.quorum} receipts${d.committed ? ' (committed)' : ''}`,
      )
    if (r.pushed === undefined)
      return say('Nothing changed since the newest version; no new version was made.')
    say(
      `Version ${r.pushed.version} committed: ${r.pushed.receipts} guardians hold it (quorum ${r.pushed.quorum}); ${r.newChunks} new chunk(s), ${formatSize(r.bytesStored)} new.`,
    )
    for (const f of r.pushed.failures) say(`  not delivered to ${f.label}: ${f.error}`)
  })
}
