/** `kith guardian deny`: refuse a recovery request, or all still waiting; nothing is released. */
import { toHex } from '../../../../crypto/bytes.js'
import { denyRequest, denyWaiting } from '../../../../guardian/approvals.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import { systemClock } from '../../../../time/clock.js'
import { UsageError } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { matchVaults, oneVault } from '../vaults.js'
import type { DenyArgs } from './options.js'

export async function denyHandler(a: DenyArgs): Promise<void> {
  if (a.allWaiting === (a.request !== undefined))
    throw new UsageError('name one request to deny, or pass --all-waiting (not both)')
  if (a.vault !== undefined && !a.allWaiting) throw new UsageError('--vault goes with --all-waiting')
  const now = systemClock()()
  if (a.allWaiting) {
    const denied = await withGuardianStore(a.dataDir, (db) =>
      denyWaiting(
        db,
        (a.vault === undefined ? matchVaults(db, undefined) : [oneVault(db, a.vault)]).map((v) => v.vaultId),
        now,
      ),
    )
    if (a.json) return sayJson({ denied: denied.map((r) => toHex(r.requestId)) })
    return say(
      denied.length === 0
        ? 'No request was waiting. Nothing changed.'
        : `Denied ${denied.length} waiting request(s). Nothing was released. Tell your friend, on a number you know, that someone asked.`,
    )
  }
  const r = await withGuardianStore(a.dataDir, (db) => denyRequest(db, a.request!, now))
  if (a.json) return sayJson({ request: toHex(r.requestId), state: r.state })
  say('Denied. Nothing was released. Tell your friend, on a number you know, that someone asked.')
}
