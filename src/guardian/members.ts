/**
 * Who the rosters a guardian follows name, by peer: each vault's coordinator and its guardians, kept as
 * rosters are joined and left (gossip.ts VaultGossip), so the gate in front of every connection and
 * stream asks one map instead of walking every roster (a site keeps a thousand vaults, and each of its
 * fellows' streams walked them all). It must name a peer exactly where access.ts `allowed` would.
 */
import { toHex } from '../crypto/bytes.js'
import type { Roster } from '../replica/roster.js'

/** As what a peer is asked about: the vault's coordinator, or any member (coordinator or guardian). */
export type Role = 'coordinator' | 'members'

export class RosterMembers {
  /** Hex of a coordinator's peer ID bytes -> the rosters naming it so, by topic. */
  private readonly coordinators = new Map<string, Map<string, Roster>>()
  /** Hex of a guardian's peer ID bytes -> the rosters naming it so, by topic. */
  private readonly guardians = new Map<string, Map<string, Roster>>()

  /** Index the peers `roster` names, under its topic. */
  add(topic: string, roster: Roster): void {
    if (roster.coordinator !== undefined) _put(this.coordinators, toHex(roster.coordinator), topic, roster)
    for (const g of roster.guardians) _put(this.guardians, toHex(g.peerId), topic, roster)
  }

  /** Forget what `roster` named under its topic. */
  remove(topic: string, roster: Roster): void {
    if (roster.coordinator !== undefined) _drop(this.coordinators, toHex(roster.coordinator), topic)
    for (const g of roster.guardians) _drop(this.guardians, toHex(g.peerId), topic)
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
