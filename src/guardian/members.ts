/**
 * Who the rosters a guardian follows name, by peer: each vault's coordinator and its guardians, kept as
 * rosters are joined and left (gossip.ts VaultGossip), so the gate in front of every connection and
 * stream asks one map instead of walking every roster (a site keeps a thousand vaults, and each of its
 * fellows' streams walked them all). It must name a peer exactly where access.ts `allowed` would.
 * It also counts the hosts the rosters give in their guardians' addresses, for the gate before a
 * connection's handshake (p2p/admission.ts), when the peer is not known yet.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { toHex } from '../crypto/bytes.js'
import { hostOf } from '../p2p/addresses.js'
import type { Roster } from '../replica/roster.js'

/** As what a peer is asked about: the vault's coordinator, or any member (coordinator or guardian). */
export type Role = 'coordinator' | 'members'

export class RosterMembers {
  /** Hex of a coordinator's peer ID bytes -> the rosters naming it so, by topic. */
  private readonly coordinators = new Map<string, Map<string, Roster>>()
  /** Hex of a guardian's peer ID bytes -> the rosters naming it so, by topic. */
  private readonly guardians = new Map<string, Map<string, Roster>>()
  /** IP address of a guardian's host -> how many roster entries give it. */
  private readonly hosts = new Map<string, number>()

  /** Index the peers `roster` names, under its topic. */
  add(topic: string, roster: Roster): void {
    if (roster.coordinator !== undefined) _put(this.coordinators, toHex(roster.coordinator), topic, roster)
    for (const g of roster.guardians) _put(this.guardians, toHex(g.peerId), topic, roster)
    for (const host of _hosts(roster)) this.hosts.set(host, (this.hosts.get(host) ?? 0) + 1)
  }

  /** Forget what `roster` named under its topic. */
  remove(topic: string, roster: Roster): void {
    if (roster.coordinator !== undefined) _drop(this.coordinators, toHex(roster.coordinator), topic)
    for (const g of roster.guardians) _drop(this.guardians, toHex(g.peerId), topic)
    for (const host of _hosts(roster)) {
      const left = (this.hosts.get(host) ?? 0) - 1
      if (left > 0) this.hosts.set(host, left)
      else this.hosts.delete(host)
    }
  }

  /** Whether a roster gives this IP address (as p2p/addresses.ts hostOf reads one) for a guardian. */
  namesHost(host: string): boolean {
    return this.hosts.has(host)
  }

  /** Whether any roster names the peer (its ID bytes) as `allow` says. */
  names(peer: Uint8Array, allow: Role): boolean {
    const key = toHex(peer)
    return this.coordinators.has(key) || (allow === 'members' && this.guardians.has(key))
  }

  /** The rosters naming the peer (its ID bytes) as `allow` says, each once. */
  naming(peer: Uint8Array, allow: Role): Roster[] {
    const key = toHex(peer)
    const found = new Map(this.coordinators.get(key))
    if (allow === 'members') for (const [topic, r] of this.guardians.get(key) ?? []) found.set(topic, r)
    return [...found.values()]
  }
}

/** The IP addresses in a roster's guardians' addresses, each once per guardian. */
function _hosts(roster: Roster): string[] {
  const found: string[] = []
  for (const g of roster.guardians) {
    const own = new Set<string>()
    for (const a of g.addrs) {
      try {
        own.add(hostOf(multiaddr(a)))
      } catch {
        // not an address this node can read: no host of a member
      }
    }
    own.delete('')
    found.push(...own)
  }
  return found
}

function _put(index: Map<string, Map<string, Roster>>, peer: string, topic: string, roster: Roster): void {
  const rosters = index.get(peer) ?? new Map<string, Roster>()
  rosters.set(topic, roster)
  index.set(peer, rosters)
}

function _drop(index: Map<string, Map<string, Roster>>, peer: string, topic: string): void {
  const rosters = index.get(peer)
  rosters?.delete(topic)
  if (rosters?.size === 0) index.delete(peer)
}
