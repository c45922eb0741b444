/** `kith guardian approve`: this human's approval, with the code the operator read out. */
import { normalizeCode } from '../../../../ceremony/request.js'
import { systemClock } from '../../../../clock.js'
import { toHex } from '../../../../crypto/bytes.js'
import { approveRequest } from '../../../../guardian/approvals.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import { say, sayJson } from '../../../output.js'
import { formatDuration } from '../../../parse.js'
import type { ApproveArgs } from './options.js'

export async function approveHandler(a: ApproveArgs): Promise<void> {
  // the guardian's clock, the same one its daemon uses (KITH_CLOCK_SKEW_MS included)
  const clock = systemClock()
  const r = await withGuardianStore(a.dataDir, (db) =>
    approveRequest(db, a.request, normalizeCode(a.code), { overrideVeto: a.overrideVeto, now: clock() }),
  )
  if (a.json) return sayJson({ request: toHex(r.requestId), state: r.state, releaseAt: r.releaseAt })
  const wait = (r.releaseAt ?? 0) - clock()
  say(
    wait > 0
      ? `Approved. Your share will be released in ${formatDuration(wait)}, when your friend's recovery asks again. Until then, the vault's owner can still veto it.`
      : "Approved. Your share goes to your friend's recovery the next time it asks (within seconds if it is running).",
  )
}
