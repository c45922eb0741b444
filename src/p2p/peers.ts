/**
 * Peer identities as kith stores them (the multihash bytes of the peer ID) and dialing a peer at the
 * addresses a roster or invite gives, with a deadline.
 */
import type { PeerId, Stream } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { duration } from '../time/durations.js'
import { PeerUnreachableError } from './errors.js'
import type { KithNode } from './node.js'

export function peerIdBytes(peer: PeerId): Uint8Array {
  return peer.toMultihash().bytes
}

export function peerIdFromBytes(bytes: Uint8Array): PeerId {
  return peerIdFromMultihash(Digest.decode(bytes))
}

/** The raw Ed25519 key inside a guardian's peer ID (its receipts are signed with it); empty if none. */
export function guardianKey(peerId: Uint8Array): Uint8Array {
  return peerIdFromBytes(peerId).publicKey?.raw ?? new Uint8Array(0)
}

/** The raw Ed25519 keys (hex) of a roster's guardians: what their receipts verify under. */
export function guardianKeys(guardians: readonly { readonly peerId: Uint8Array }[]): Set<string> {
  const keys = new Set<string>()
  for (const g of guardians) {
    const raw = guardianKey(g.peerId)
    if (raw.length > 0) keys.add(toHex(raw))
  }
  return keys
}

export function samePeer(peer: PeerId, bytes: Uint8Array): boolean {
  return equalBytes(peerIdBytes(peer), bytes)
}

/** Open a stream for `protocol` to the peer, trying the given addresses. */
export async function openStream(
  node: KithNode,
  peer: Uint8Array,
  addrs: readonly string[],
  /** One protocol, or several in order of preference (the stream's `protocol` tells which was agreed). */
  protocol: string | readonly string[],
  signal?: AbortSignal,
): Promise<Stream> {
  const id = peerIdFromBytes(peer)
  const deadline = AbortSignal.timeout(duration('dial'))
  const s = signal ? AbortSignal.any([signal, deadline]) : deadline
  try {
    if (addrs.length > 0 && node.getConnections(id).length === 0) {
      await node.peerStore.merge(id, { multiaddrs: addrs.map((a) => multiaddr(a)) })
    }
    return await node.dialProtocol(id, typeof protocol === 'string' ? protocol : [...protocol], { signal: s })
  } catch {
    // libp2p's dial errors name addresses and internals; the user needs to hear which peer
    throw new PeerUnreachableError(id.toString())
  }
}
