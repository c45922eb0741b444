/**
 * What a running guardian's parts share: its store, its node, the key it signs receipts with, its
 * clock, its voice and the per-vault lock. Handlers and sync take this, not the Guardian class.
 */
import { toHex } from '../crypto/bytes.js'
import type { Log } from '../log.js'
import type { KithNode } from '../p2p/node.js'
import type { Roster } from '../replica/roster.js'
import type { RetentionPolicy } from './retention.js'
import type { GuardianStore, VaultRow } from './store/index.js'

export interface GuardianContext {
  readonly db: GuardianStore
  readonly node: KithNode
  /** Signs with the libp2p Ed25519 identity (receipts). */
  readonly sign: (digest: Uint8Array) => Uint8Array
  readonly retention: RetentionPolicy
  now(): number
  /** One human line (never secrets); also logged. */
  say(line: string): void
  /** Structured log (never secrets). */
  readonly log: Log
  /** Run `fn` alone for this vault: pushes, catch-ups, roster changes and pruning never interleave. */
  exclusive<T>(vaultId: Uint8Array, fn: () => Promise<T>): Promise<T>
  /** The vault's current roster, its signature verified once per process rather than per request. */
  roster(vault: VaultRow): Roster
  /** False once the guardian is stopping. */
  running(): boolean
}

/** The gossip topic of a vault's heads (and equivocation evidence). */
export const headsTopic = (vaultId: Uint8Array): string => `/kith/heads/1.0.0/${toHex(vaultId)}`

/** A vault id as shown in a human line. */
export const shortId = (id: Uint8Array): string => toHex(id).slice(0, 12)
