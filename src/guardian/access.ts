/**
 * Who may use a vault's protocols: its coordinator, and for reading, the guardians its signed roster
 * names. A cheap pre-check over every vault kept here (the rosters in memory, indexed by peer: it runs
 * for every connection and stream) turns a stranger away before any large message is read; each request
 * is then authorized against its own vault's roster.
 */
import type { PeerId } from '@libp2p/interface'
import { UnauthorizedPeerError } from '../p2p/errors.js'
import { samePeer } from '../p2p/peers.js'
import type { Roster } from '../replica/roster.js'
import type { GuardianContext } from './context.js'
import type { Role } from './members.js'

/** Whether `peer` is the vault's coordinator (or, for 'members', one of its guardians). */
export function allowed(roster: Roster, peer: PeerId, allow: Role): boolean {
  if (roster.coordinator !== undefined && samePeer(peer, roster.coordinator)) return true
  return allow === 'members' && roster.guardians.some((g) => samePeer(peer, g.peerId))
}

/** Whether `peer` coordinates (or, for 'members', guards) any vault kept here: one lookup, not a walk. */
export function knownPeer(ctx: GuardianContext, peer: PeerId, allow: Role): boolean {
  return ctx.gossip.names(peer, allow)
}

/** Require `peer` to be the vault's coordinator (or, for 'members', one of its guardians). */
export function authorize(roster: Roster, peer: PeerId, allow: Role): Roster {
  if (allowed(roster, peer, allow)) return roster
  throw new UnauthorizedPeerError(peer.toString())
}
