/**
 * The terms a node that serves vaults relays on (circuit relay v2; docs/format.md §Reachability): who
 * holds a reservation, how many at once, and what one relayed connection may carry. Reservations are
 * counted from the relay's live ones, one per peer: a renewal replaces the one it holds and never takes
 * another slot. Members always find room; strangers share a small pool, a few per network, and one that
 * held its slot past its hold gives it up to a newcomer. It must never let libp2p renew a reservation in
 * place (its timer then keeps the first renewal's end: see `drop`), nor relay a connection without a
 * vault peer at one end.
 */
import type { CircuitRelayService, RelayReservation } from '@libp2p/circuit-relay-v2'
import type { Connection, ConnectionGater, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { duration } from '../time/durations.js'
import { hostOf, networkOf } from './addresses.js'
import type { AdmissionPolicy } from './admission.js'

export interface RelayLimits {
  /** Reservations the relay holds at once, members' and strangers' together. */
  readonly reservations: number
  /** Reservations of strangers at once (a friend's guardian not yet on a roster here, behind NAT). */
  readonly strangerReservations: number
  /** Reservations of strangers at once from one network (a /24 or /64: addresses.ts networkOf). */
  readonly strangerReservationsPerNetwork: number
  /**
   * Bytes one relayed connection carries, both ways together, before the relay cuts it: four times an
   * invite's default quota (1 GiB), so a home guardian's first whole push and all it answers fit in one
   * connection. A longer push goes on over the next connection: chunks already stored are not sent
   * again. Its low 32 bits stay below 2^31 (`checkRelayedBytes`).
   */
  readonly relayedBytes: bigint
}

/** With 32 reservations and at most 8 strangers, members always have at least 24. */
export const RELAY: RelayLimits = {
  reservations: 32,
  strangerReservations: 8,
  strangerReservationsPerNetwork: 2,
  relayedBytes: 4n * 1024n * 1024n * 1024n,
}

/**
 * `bytes`, if the relay can tell it to both ends: libp2p's encoder (protons-runtime 7.1.2) sends a
 * uint64 whose low 32 bits are 2^31 or more as 0, or as a message that does not decode, so the ends
 * would read "no limit" or fail to reserve at all (2 GiB is such a number; 4 GiB is not).
 */
export function checkRelayedBytes(bytes: bigint): bigint {
  // a limit of nothing, or one the wire cannot carry, would not be the limit the relay enforces
  if (bytes <= 0n || (bytes & 0x80000000n) !== 0n)
    throw new RangeError(`relayedBytes must be above 0 with bit 31 clear, not ${bytes}`)
  return bytes
}

/** The relay's live reservations (a node that serves vaults has a relay; another has none). */
export type Reservations = CircuitRelayService['reservations']

export interface RelayTermsDeps {
  /** The node's live connections: where a peer asking for a reservation comes from, who is still here. */
  readonly connections: () => readonly Connection[]
  /** The relay's reservations, asked at each decision (the node is made after its gater). */
  readonly reservations: () => Reservations | undefined
}

const _relayed = (addr: Multiaddr) => addr.toString().includes('/p2p-circuit')

/**
 * The relay's half of the connection gater: who may reserve, and which connections are relayed.
 * libp2p asks `denyInboundRelayReservation` before each reservation, renewals included, and makes or
 * renews the peer's reservation right after a `false`.
 */
export function relayTerms(
  policy: AdmissionPolicy,
  deps: RelayTermsDeps,
  limits: RelayLimits = RELAY,
): Pick<ConnectionGater, 'denyInboundRelayReservation' | 'denyOutboundRelayedConnection'> {
  // when each stranger holding a reservation first got it; a renewal keeps the time, a new one resets it
  const heldSince = new Map<string, number>()
  const strangersIn = (held: Reservations) => [...held.keys()].filter((p) => !policy.isMember(p))
  // a renewal is a new reservation in place of the old: libp2p's own refresh re-arms a timer that keeps
  // the first refresh's expiry (retimeable-signal 1.0.1 loses track of its listener after one reset), so
  // a reservation renewed twice was dropped minutes later, and every connection it carried was cut
  const drop = (held: Reservations, peer: PeerId) => {
    const r: RelayReservation | undefined = held.get(peer)
    r?.signal.clear()
    held.delete(peer)
  }
  const direct = (peer: PeerId) =>
    deps
      .connections()
      .filter((c) => c.remotePeer.equals(peer) && c.status === 'open' && !_relayed(c.remoteAddr))
  // a stranger evicted is told by its connection closing: its client then forgets the reservation and
  // asks again later, instead of believing in it until its renewal
  const evict = (held: Reservations, peer: PeerId) => {
    drop(held, peer)
    heldSince.delete(peer.toString())
    for (const c of direct(peer)) void c.close().catch(() => undefined /* closing already */)
  }
  const since = (peer: PeerId, now: number) => {
    const key = peer.toString()
    if (!heldSince.has(key)) heldSince.set(key, now)
    return heldSince.get(key)!
  }
  /** The stranger holding a reservation longest, if it has held it at least `atLeast` ms. */
  const longest = (held: Reservations, now: number, atLeast: number) =>
    strangersIn(held)
      .map((p) => ({ p, at: since(p, now) }))
      .filter((s) => now - s.at >= atLeast)
      .sort((a, b) => a.at - b.at)[0]?.p
  const forgetGone = (held: Reservations) => {
    // the times of strangers that hold none any more go once there are a few pools' worth: not at
    // once, since a renewal's reservation is dropped here and made again by libp2p right after
    if (heldSince.size <= 4 * limits.strangerReservations) return
    const holding = new Set(strangersIn(held).map(String))
    for (const key of heldSince.keys()) if (!holding.has(key)) heldSince.delete(key)
  }

  return {
    denyInboundRelayReservation(peer: PeerId): boolean {
      const held = deps.reservations()
      // no relay here: libp2p has nothing to reserve on, whatever this says
      if (held === undefined) return true
      const now = Date.now()
      forgetGone(held)
      if (held.has(peer)) {
        // a renewal, member or stranger: the same slot, and a stranger's hold runs on; a member that
        // left its rosters while it held one is a stranger beyond the pool, and goes
        if (!policy.isMember(peer) && strangersIn(held).length > limits.strangerReservations) {
          evict(held, peer)
          return true
        }
        drop(held, peer)
        return false
      }
      if (policy.isMember(peer)) {
        // members always find room: with the relay full, the stranger that held its slot longest goes
        if (held.size >= limits.reservations) {
          const out = longest(held, now, 0)
          if (out !== undefined) evict(held, out)
        }
        return false
      }
      // a holder that is gone cannot be relayed to (the relay dials no one): its slot is free
      for (const p of strangersIn(held)) if (direct(p).length === 0) evict(held, p)
      const from = direct(peer)[0]
      const network = networkOf(from ? hostOf(from.remoteAddr) : '')
      const strangers = strangersIn(held)
      const inNetwork = strangers.filter((p) => networkOf(hostOf(held.get(p)!.addr)) === network)
      if (inNetwork.length >= limits.strangerReservationsPerNetwork) return true
      if (strangers.length >= limits.strangerReservations || held.size >= limits.reservations) {
        // renewable, but not forever at others' expense: past its hold, a stranger yields to a newcomer
        const out = longest(held, now, duration('strangerReservationHold'))
        if (out === undefined) return true
        evict(held, out)
      }
      heldSince.set(peer.toString(), now)
      return false
    },
    // nothing is relayed unless a vault peer is at one end: strangers cannot use it to reach each other
    denyOutboundRelayedConnection(source: PeerId, destination: PeerId): boolean {
      return !policy.isMember(source) && !policy.isMember(destination)
    },
  }
}
