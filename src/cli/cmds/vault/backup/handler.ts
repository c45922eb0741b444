/**
 * `kith vault backup`: one version now, pushed to every guardian; fails unless W guardians hold it. A
 * source it could not read is said on a line of its own, the others are still stored, and the exit is
 * SOURCE_NOT_READ.
 */
import {
  type BackupReport,
  requireAllRead,
  requireCommitted,
  runBackup,
} from '../../../../coordinator/backup.js'
import { SourceNotReadError } from '../../../../coordinator/errors.js'
import { releaseOfferUnderWay } from '../../../../coordinator/offer-release.js'
import { failedSourceLine } from '../../../../coordinator/source-health.js'
import type { Vault } from '../../../../coordinator/vault.js'
import { formatSize } from '../../../../format.js'
import type { GlobalArgs } from '../../../command.js'
import { ExitStatus } from '../../../errors.js'
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
        release: await vault.releaseFile(),
        ...(bar ? { progress: bar } : {}),
      })
    } finally {
      bar?.stop()
    }
    // each source not read is said first, whatever else fails
    if (!a.json) for (const f of report.failed) say(failedSourceLine(f))
    const r = requireCommitted(report)
    const stored = vault.db.newestVersion()?.version
    if (a.json) {
      sayJson(r)
      await _releaseOffered(vault, true)
      // under --json the report above is the answer (its `failed` names each source); the error is its line
      if (r.failed.length > 0) throw new ExitStatus(1, new SourceNotReadError(r.failed, stored))
      return
    }
    for (const d of r.drained)
      say(
        `outbox: version ${d.version} now has ${d.receipts} of ${d.quorum} receipts${d.committed ? ' (committed)' : ''}`,
      )
    if (r.pushed === undefined)
      say(
        `Nothing${r.failed.length > 0 ? ' else' : ''} changed since the newest version; no new version was made.`,
      )
    else {
      say(
        `Version ${r.pushed.version} committed: ${r.pushed.receipts} guardians hold it (quorum ${r.pushed.quorum}); ${r.newChunks} new chunk(s), ${formatSize(r.bytesStored)} new.`,
      )
      for (const f of r.pushed.failures) say(`  not delivered to ${f.label}: ${f.error}`)
    }
    await _releaseOffered(vault, a.json)
    requireAllRead(r, stored)
  })
}

/** Wait for the offer of this kith file to the guardians, when there is one (said once, to a person). */
async function _releaseOffered(vault: Vault, json: boolean): Promise<void> {
  const offering = releaseOfferUnderWay(vault)
  if (offering === undefined) return
  if (!json)
    say(
      'Offering this kith file to your guardians, so a friend can give it back to you on the day (once a release)…',
    )
  await offering
}
