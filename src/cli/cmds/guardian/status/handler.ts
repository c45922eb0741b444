/** `kith guardian status`: who this guardian is, where friends reach it, and what it keeps. */
import { formatAgo, formatDuration, formatSize } from '../../../../format.js'
import { reachability } from '../../../../guardian/addresses.js'
import { GUARDIAN_ADVICE as ADVICE, vaultWord } from '../../../../guardian/advice.js'
import { guardianOverview } from '../../../../guardian/setup.js'
import { systemClock } from '../../../../time/clock.js'
import { say, sayJson, stamp } from '../../../output.js'
import type { StatusArgs } from './options.js'

export async function statusHandler(a: StatusArgs): Promise<void> {
  const o = await guardianOverview(a.dataDir)
  if (a.json) return sayJson(o)
  const now = systemClock()()
  say(`Guardian ${o.peerId}`)
  for (const line of reachability(o.addrs, a.dataDir)) say(`  ${line}`)
  if (o.page === null) say('Your page: not running (the guardian is stopped, or runs with --no-web)')
  else if ('url' in o.page) say(`Your page: ${o.page.url} (to log in: ${ADVICE.open.command(a.dataDir)})`)
  else say(`!! YOUR PAGE IS NOT RUNNING: it could not listen on ${o.page.listen} (${o.page.error})`)
  say(`Vaults: ${o.vaults.length}`)
  const labels = o.vaults.map((v) => v.label)
  for (const v of o.vaults) {
    say(`  ${v.label}  ${v.vault}`)
    say(
      `    epoch ${v.epoch}, newest version ${v.version}, ${formatSize(v.bytesStored)} of ${formatSize(v.quota)}, last contact ${formatAgo(now - v.lastContact)}`,
    )
    say(
      `    shares are released ${formatDuration(v.releaseDelay)} after you approve (the owner can veto meanwhile)`,
    )
    if (v.removal?.kept)
      say(`    a new roster (epoch ${v.removal.epoch}) dropped you; you kept the data: nothing is deleted`)
    else if (v.removal)
      say(
        `    !! REMOVAL: a new roster (epoch ${v.removal.epoch}) dropped you; the data is deleted on ${stamp(v.removal.at)} unless you run: ${ADVICE.keep.command(a.dataDir, vaultWord(v.label, v.vault, labels))}`,
      )
    if (v.equivocation)
      say(
        '    !! EQUIVOCATION: two different versions with one number. Tell your friend to stop all but one node NOW.',
      )
  }
}
