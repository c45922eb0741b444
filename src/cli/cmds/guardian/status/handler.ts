/** `kith guardian status`: who this guardian is, where friends reach it, and what it keeps. */
import { systemClock } from '../../../../clock.js'
import { guardianOverview } from '../../../../guardian/setup.js'
import { say, sayJson, stamp } from '../../../output.js'
import { formatAgo, formatDuration, formatSize } from '../../../parse.js'
import type { StatusArgs } from './options.js'

/** How friends reach this guardian, in plain words, from the addresses it has now. */
function reachability(addrs: readonly string[]): string[] {
  if (addrs.length === 0) return ['not running (start it to see how friends reach it)']
  const relayed = addrs.filter((a) => a.includes('/p2p-circuit'))
  const direct = addrs.filter((a) => !a.includes('/p2p-circuit'))
  const open = direct.filter(
    (a) => !/\/ip4\/(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)|\/ip6\/(::1|f[cd])/.test(a),
  )
  const out: string[] = []
  if (open.length > 0) out.push(`friends can reach it directly at ${open.join(', ')}`)
  if (relayed.length > 0) out.push(`friends can reach it through a relay: ${relayed.join(', ')}`)
  if (out.length === 0)
    out.push(
      `only home-network addresses (${direct.join(', ')}): friends elsewhere cannot reach it. Name a relay (kith guardian init --relay …) or forward the port`,
    )
  return out
}

export async function statusHandler(a: StatusArgs): Promise<void> {
  const o = await guardianOverview(a.dataDir)
  if (a.json) return sayJson(o)
  const now = systemClock()()
  say(`Guardian ${o.peerId}`)
  for (const line of reachability(o.addrs)) say(`  ${line}`)
  say(`Vaults: ${o.vaults.length}`)
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
        `    !! REMOVAL: a new roster (epoch ${v.removal.epoch}) dropped you; the data is deleted on ${stamp(v.removal.at)} unless you run: kith guardian keep "${v.label}"`,
      )
    if (v.equivocation)
      say(
        '    !! EQUIVOCATION: two different versions with one number. Tell your friend to stop all but one node NOW.',
      )
  }
}
