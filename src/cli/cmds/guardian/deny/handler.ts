/** `kith guardian deny`: refuse a recovery request; nothing is released. */
import { toHex } from '../../../../crypto/bytes.js'
import { denyRequest } from '../../../../guardian/approvals.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson } from '../../../output.js'
import type { DenyArgs } from './options.js'

export async function denyHandler(a: DenyArgs): Promise<void> {
  const r = await withGuardianStore(a.dataDir, (db) => denyRequest(db, a.request, systemClock()()))
  if (a.json) return sayJson({ request: toHex(r.requestId), state: r.state })
  say('Denied. Nothing was released. Tell your friend, on a number you know, that someone asked.')
}
