/** `kith guardian invite`: one invite token for one friend's vault; a secret until used. */
import { formatDuration, formatSize } from '../../../../format.js'
import { createInvite } from '../../../../guardian/setup.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson } from '../../../output.js'
import { parseDuration, parseSize } from '../../../parse.js'
import type { InviteArgs } from './options.js'

export async function inviteHandler(a: InviteArgs): Promise<void> {
  // the guardian's clock, the same one its daemon uses (KITH_CLOCK_SKEW_MS included)
  const now = systemClock()()
  const { token, quota, expiresAt } = await createInvite(a.dataDir, {
    label: a.label,
    quota: parseSize(a.quota),
    expiresAt: now + parseDuration(a.expires),
    releaseDelay: parseDuration(a.releaseDelay),
    now,
  })
  if (a.json) return sayJson({ invite: token, quota, expiresAt })
  say(
    `Invite for one vault, up to ${formatSize(quota)}, usable once until ${new Date(expiresAt).toISOString()}.`,
  )
  say(
    `After you approve a recovery of this vault, your share goes out ${formatDuration(parseDuration(a.releaseDelay))} later (the owner can veto meanwhile).`,
  )
  say('Give this to your friend (it is a secret until used):')
  say('')
  say(token)
}
