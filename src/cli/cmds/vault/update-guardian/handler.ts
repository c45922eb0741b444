/** `kith vault update-guardian`: the manual way to follow a guardian that moved. */
import { multiaddr } from '@multiformats/multiaddr'
import { UnknownGuardianError } from '../../../../coordinator/errors.js'
import { peerIdFromBytes } from '../../../../p2p/peers.js'
import { checkLabel } from '../../../../text.js'
import { UsageError } from '../../../errors.js'
import { say, sayJson } from '../../../output.js'
import { withVault } from '../open.js'
import type { UpdateGuardianArgs } from './options.js'

export async function updateGuardianHandler(a: UpdateGuardianArgs): Promise<void> {
  const addrs = a.addr.map((x) => {
    try {
      return multiaddr(checkLabel(x, 'address', 256))
        .toString()
        .replace(/\/p2p\/[^/]+$/, '')
    } catch {
      throw new UsageError(`not a multiaddr: ${x} (try /ip4/203.0.113.7/tcp/4646 or /dns4/host/tcp/4646)`)
    }
  })
  const g = await withVault(a, async (vault) => {
    const g = vault.db.guardians().find((x) => peerIdFromBytes(x.peerId).toString() === a.peerId)
    if (g === undefined) throw new UnknownGuardianError(a.peerId)
    // as if a record was signed now: a record the guardian signs later still replaces it
    vault.db.net.offer(g.peerId, addrs, Math.max(Date.now(), vault.db.net.seq(g.peerId) + 1), vault.now())
    return g
  })
  if (a.json) return sayJson({ peerId: a.peerId, label: g.label, addrs })
  say(`${g.label} is now reached at ${addrs.join(', ')}. Print a new recovery kit: kith vault kit --out …`)
}
