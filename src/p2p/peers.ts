/**
 * Peer identities as kith stores them (the multihash bytes of the peer ID) and dialing a peer at the
 * addresses a roster or invite gives, with a deadline.
 */
import type { PeerId, Stream } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { thrownText } from '../errors.js'
import { type Log, silentLog } from '../log.js'
import { cleanText } from '../text.js'
import { duration } from '../time/durations.js'
import { PeerUnreachableError } from './errors.js'
import type { KithNode } from './node.js'

export function peerIdBytes(peer: PeerId): Uint8Array {
  return peer.toMultihash().bytes
}

export function peerIdFromBytes(bytes: Uint8Array): PeerId {
  return peerIdFromMultihash(Digest.decode(bytes))
}

/** A peer ID's text form (12D3KooW…), as logs and events name a peer. */
export const peerText = (bytes: Uint8Array): string => peerIdFromBytes(bytes).toString()

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

/**
 * Open a stream for `protocol` to the peer, trying the given addresses. A failure is PEER_UNREACHABLE
 * for the caller; libp2p's own reason goes to `log` (debug), with how long the dial took.
 * A peer reached only through a relay is reached on the relayed connection already open: that one is
 * "limited" (its relay cuts it at its limits: node.ts), and libp2p, asked to dial a peer it holds only
 * such a connection to, makes a second circuit through the relay and throws it away.
 */
export async function openStream(
  node: KithNode,
  peer: Uint8Array,
  addrs: readonly string[],
  /** One protocol, or several in order of preference (the stream's `protocol` tells which was agreed). */
  protocol: string | readonly string[],
  signal?: AbortSignal,
  log: Log = silentLog,
): Promise<Stream> {
  const id = peerIdFromBytes(peer)
  const deadline = AbortSignal.timeout(duration('dial'))
  const s = signal ? AbortSignal.any([signal, deadline]) : deadline
  const started = performance.now()
  const protocols = typeof protocol === 'string' ? [protocol] : [...protocol]
  const connected = node.getConnections(id).length > 0
  try {
    if (addrs.length > 0 && !connected) {
      await node.peerStore.merge(id, { multiaddrs: addrs.map((a) => multiaddr(a)) })
    }
    const open = node.getConnections(id).filter((c) => c.status === 'open')
    const options = { signal: s, runOnLimitedConnection: true }
    const stream =
      open.length > 0 && open.every((c) => c.limits !== undefined)
        ? await open[0]!.newStream(protocols, options)
        : await node.dialProtocol(id, protocols, options)
    log.trace({ event: 'stream-opened', peer: id.toString(), protocol: stream.protocol, connected })
    return stream
  } catch (err) {
    // libp2p's dial errors name addresses and internals: the log keeps them, the user hears which peer
    log.debug({
      event: 'dial-failed',
      peer: id.toString(),
      protocol: protocols[0],
      ms: Math.round(performance.now() - started),
      addrs: addrs.length,
      reason: cleanText(thrownText(err), 300),
    })
    throw new PeerUnreachableError(id.toString())
  }
}
