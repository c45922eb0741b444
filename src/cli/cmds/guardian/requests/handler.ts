/** `kith guardian requests`: the recovery requests this guardian's human is asked to decide. */
import { toHex } from '../../../../crypto/bytes.js'
import { encodeText } from '../../../../crypto/text.js'
import { formatAgo } from '../../../../format.js'
import { withGuardianStore } from '../../../../guardian/setup.js'
import type { RequestState } from '../../../../guardian/store/index.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson } from '../../../output.js'
import type { RequestsArgs } from './options.js'

const STATE_WORDS: Record<RequestState, string> = {
  pending: 'waiting for you',
  approved: 'approved, waiting out the release delay',
  released: 'released',
  denied: 'denied',
  vetoed: 'VETOED by the vault owner',
  superseded: 'replaced by a newer request',
  expired: 'expired',
  locked: 'LOCKED: too many wrong codes were typed',
}

export async function requestsHandler(a: RequestsArgs): Promise<void> {
  const now = systemClock()()
  const rows = await withGuardianStore(a.dataDir, (db) => {
    db.requests.expire(now)
    return db.requests.list({ open: !a.all }).map((r) => ({
      request: toHex(r.requestId),
      vault: encodeText('vault', r.vaultId),
      label: db.vaults.get(r.vaultId)?.label ?? '?',
      state: r.state,
      wrongCodes: r.wrongCodes,
      ageMs: now - r.createdAt,
      expiresAt: r.expiresAt,
      ...(r.releaseAt !== null ? { releaseAt: r.releaseAt } : {}),
    }))
  })
  if (a.json) return sayJson({ requests: rows })
  if (rows.length === 0) return say(a.all ? 'No recovery requests, ever.' : 'No recovery requests waiting.')
  for (const r of rows) {
    say(`Request ${r.request} for "${r.label}" (${formatAgo(r.ageMs)}): ${STATE_WORDS[r.state]}`)
    if (r.state === 'pending') {
      say("  Your friend's recovery shows them a code for you. It is not shown here: it proves the call.")
      say('  Call them on a number you already know and ask them to read it to you. Then type it:')
      say('    kith guardian approve --code <the code they read>')
      say(`  If you did not expect this: kith guardian deny ${r.request}`)
      if (r.wrongCodes > 0) say(`  ${r.wrongCodes} wrong code(s) typed so far; 5 lock it`)
    }
  }
}
