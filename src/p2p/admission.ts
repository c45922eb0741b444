/**
 * Who gets a connection (libp2p's connection gater): a node that serves vaults keeps room for their own
 * peers. Before the handshake, one network (a /24 or /64: addresses.ts networkOf) may hold only a few
 * half-open connections, except that a host where a member lives (an address a roster gives for one of
 * its guardians) has a few of its own: a site's servers, or a vault's twenty guardians, often share a
 * /24, and their fellows' dials must not be refused as one asker's. After the handshake (the peer ID is
 * then known), a member of any vault is always let in, while strangers share a few slots, with caps per
 * network and per peer. libp2p's own rate limit per address, its cap on handshakes at once (node.ts) and
 * its upgrade timeout do the rest.
 * Whom it relays for, as a relay: relay-terms.ts.
 */
import type { Connection, ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import { duration } from '../time/durations.js'
import { hostOf, networkOf } from './addresses.js'

export interface AdmissionLimits {
  /** Connections of strangers at once, all addresses together. */
  readonly strangerSlots: number
  /** Connections of strangers at once from one network (one asker may have a whole /64). */
  readonly strangersPerNetwork: number
  /** Connections of one stranger peer at once. */
  readonly connectionsPerPeer: number
  /**
   * Connections from one network still in their handshake (each counts for `connectionUpgrade`); a
   * member's host has as many of its own.
   */
  readonly pendingPerNetwork: number
}

/** With a serving node's maxConnections of 256 (node.ts), members always have at least 232. */
export const ADMISSION: AdmissionLimits = {
  strangerSlots: 24,
  strangersPerNetwork: 6,
  connectionsPerPeer: 2,
  pendingPerNetwork: 4,
}

export interface AdmissionPolicy {
  /** A peer this node must always make room for: a guardian or coordinator of a vault it keeps. */
  isMember(peer: PeerId): boolean
  /** Whether a member lives at this host (an IP address as addresses.ts hostOf gives it). */
  isMemberHost?(host: string): boolean
}

/**
 * The gater. `connections` is the node's live connection list (the node is created after its gater,
 * so it is asked for them at each decision).
 */
export function admissionGater(
  policy: AdmissionPolicy,
  connections: () => readonly Connection[],
  limits: AdmissionLimits = ADMISSION,
): ConnectionGater {
  // where a connection's handshake is counted: its host's own slots if a member lives there, else its
  // network's (shared by every other host of it)
  const slotsOf = (maConn: MultiaddrConnection) => {
    const host = hostOf(maConn.remoteAddr)
    return policy.isMemberHost?.(host) === true ? `host ${host}` : networkOf(host)
  }
  // whose slots each connection took (a roster may change during its handshake)
  const counted = new WeakMap<MultiaddrConnection, string>()
  // half-open connections by network (or member host), and when each started. One counts until its
  // handshake is done, it closes, or its time is up: a connection whose dialer gave up (a backlog the kernel kept while this
  // process was paused or starved of CPU) must not hold the network's slots for the whole timeout, or
  // the vault's own peers in that network are refused, dial after dial, long after the pause.
  const pending = new Map<string, { conn: MultiaddrConnection; at: number }[]>()
  const live = (network: string, now: number) =>
    (pending.get(network) ?? []).filter(
      (p) => p.conn.status === 'open' && now - p.at < duration('connectionUpgrade'),
    )
  // every network's finished entries go, not only the asking one's: one that never comes back (a
  // scanner, a dialer that gave up) must not keep its connection objects here for the daemon's life
  const sweep = (now: number) => {
    for (const network of [...pending.keys()]) {
      const open = live(network, now)
      if (open.length > 0) pending.set(network, open)
      else pending.delete(network)
    }
  }
  return {
    denyInboundConnection(maConn: MultiaddrConnection): boolean {
      const slots = slotsOf(maConn)
      const now = Date.now()
      sweep(now)
      const open = pending.get(slots) ?? []
      if (open.length >= limits.pendingPerNetwork) return true
      open.push({ conn: maConn, at: now })
      pending.set(slots, open)
      counted.set(maConn, slots)
      return false
    },
    denyInboundEncryptedConnection(peer: PeerId, maConn: MultiaddrConnection): boolean {
      // this one's handshake is done
      const slots = counted.get(maConn) ?? slotsOf(maConn)
      const open = live(slots, Date.now()).filter((p) => p.conn !== maConn)
      if (open.length > 0) pending.set(slots, open)
      else pending.delete(slots)
      const network = networkOf(hostOf(maConn.remoteAddr))
      if (policy.isMember(peer)) return false
      const strangers = connections().filter((c) => !policy.isMember(c.remotePeer))
      if (strangers.length >= limits.strangerSlots) return true
      const inNetwork = strangers.filter((c) => networkOf(hostOf(c.remoteAddr)) === network)
      if (inNetwork.length >= limits.strangersPerNetwork) return true
      return strangers.filter((c) => c.remotePeer.equals(peer)).length >= limits.connectionsPerPeer
    },
  }
}
