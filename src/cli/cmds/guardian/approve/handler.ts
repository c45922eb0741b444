/** `kith guardian approve`: this human's approval, with the code the operator read out. */
import { normalizeCode } from '../../../../ceremony/request.js'
import { toHex } from '../../../../crypto/bytes.js'
import { formatDuration } from '../../../../format.js'
import { approveRequest } from '../../../../guardian/approvals.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson } from '../../../output.js'
import type { ApproveArgs } from './options.js'

export async function approveHandler(a: ApproveArgs): Promise<void> {
  // the guardian's clock, the same one its daemon uses (KITH_CLOCK_SKEW_MS included)
  const clock = systemClock()
  const { r, label } = await withGuardianStore(a.dataDir, (db) => {
    const r = approveRequest(db, a.request, normalizeCode(a.code), {
      overrideVeto: a.overrideVeto,
      now: clock(),
    })
    return { r, label: db.vaults.get(r.vaultId)?.label ?? '?' }
  })
  if (a.json) return sayJson({ request: toHex(r.requestId), label, state: r.state, releaseAt: r.releaseAt })
  const wait = (r.releaseAt ?? 0) - clock()
  say(
    wait > 0
      ? `Approved the recovery of "${label}". Your share will be released in ${formatDuration(wait)}, when your friend's recovery asks again. Until then, the vault's owner can still veto it.`
      : `Approved the recovery of "${label}". Your share goes to your friend's recovery the next time it asks (within seconds if it is running).`,
  )
}
