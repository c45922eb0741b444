/**
 * The guardians a recovery asks: from the kit, from `--guardian` multiaddrs, and from the signed roster
 * the first answer carries.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdBytes } from '../p2p/peers.js'
import { InvalidGuardianAddressError } from './errors.js'

export interface RecoveryTarget {
  readonly label: string
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
}

/** A guardian given as a multiaddr ending in /p2p/<peer id>. */
export function targetFromAddr(addr: string): RecoveryTarget {
  try {
    const ma = multiaddr(addr)
    const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
    if (id === undefined) throw new Error('no peer id')
    const peer = peerIdFromString(id)
    return { label: id.slice(-8), peerId: peerIdBytes(peer), addrs: [addr] }
  } catch {
    // whatever the parser disliked, the answer to the user is the same: this is not a guardian address
    throw new InvalidGuardianAddressError(addr)
  }
}
