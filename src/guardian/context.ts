/**
 * What a running guardian's parts share: its store, its node, the key it signs receipts with, its
 * clock, its voice and the per-vault lock. Handlers and sync take this, not the Guardian class.
 */
import { toHex } from '../crypto/bytes.js'
import type { Log } from '../log.js'
import type { Metrics } from '../metrics.js'
import type { KithNode } from '../p2p/node.js'
import type { Roster } from '../replica/roster.js'
import type { Arrivals } from './arrivals.js'
import type { VaultGossip } from './gossip.js'
import type { Later } from './later.js'
import type { RateLimiter, ReadBudget } from './limits.js'
import type { MemoryBudget } from './memory.js'
import type { ReleaseFiles } from './release-files.js'
import type { RequestAttendance } from './request-slots.js'
import type { RetentionPolicy } from './retention.js'
import type { GuardianStore, VaultRow } from './store/index.js'

export interface GuardianContext {
  /** Its data directory: the commands its lines advise name it (advice.ts). */
  readonly dataDir: string
  readonly db: GuardianStore
  readonly node: KithNode
  /** Signs with the libp2p Ed25519 identity (receipts). */
  readonly sign: (digest: Uint8Array) => Uint8Array
  /** This guardian's addresses, as a signed address record made now. */
  readonly ownAddressRecord: () => Promise<Uint8Array>
  readonly retention: RetentionPolicy
  /** How long a vault whose roster dropped this guardian is kept before its data is deleted. */
  readonly removalGraceMs: number
  now(): number
  /** One human line (never secrets); also logged. */
  say(line: string): void
  /**
   * Tell the guardian's human who is not watching (guardian.json `notify`: webhook, ntfy, command);
   * `once` (a key) sends it only the first time while this daemon runs. Never a secret in it.
   */
  notify(
    kind: string,
    title: string,
    message: string,
    fields: Record<string, string | number>,
    once?: string,
  ): void
  /** Structured log (never secrets). */
  readonly log: Log
  /** What its own network calls log (module `p2p`): catch-ups' and relays' sessions to its fellows. */
  readonly p2pLog: Log
  /** Prometheus metrics, served on the guardian's local server. */
  readonly metrics: Metrics
  /** Run `fn` alone for this vault: pushes, catch-ups, roster changes and pruning never interleave. */
  exclusive<T>(vaultId: Uint8Array, fn: () => Promise<T>): Promise<T>
  /** The vault's current roster, its signature verified once per process rather than per request. */
  roster(vault: VaultRow): Roster
  /** False once the guardian is stopping. */
  running(): boolean
  /** Tries at new recovery requests per network, requests per peer, and "slots full" lines per vault. */
  readonly requestLimits: {
    readonly byNetwork: RateLimiter
    readonly byPeer: RateLimiter
    readonly floods: RateLimiter
  }
  /** When each open recovery request was last asked after (a quiet one may give way). */
  readonly requestAttendance: RequestAttendance
  /** Bytes held at once for what peers send and what is sent them, by whom (guardian/memory.ts). */
  readonly memory: MemoryBudget
  /** Bytes held at once for rosters presented by peers that coordinate nothing here yet. */
  readonly rosterBudget: ReadBudget
  /** The vaults' gossip topics. */
  readonly gossip: VaultGossip
  /** Work done once a burst of pushes is over: head announcements, retention. */
  readonly later: Later
  /** Catch-ups in progress, by vault (hex): a second one for the same vault joins the first. */
  readonly catchUps: Map<string, Promise<void>>
  /** Intakes writing chunks outside the vault's lock, by vault (hex): orphan sweeps wait for them. */
  readonly intakes: Map<string, number>
  /** Chunks intakes are receiving now, that a fellow may be given as they come (arrivals.ts). */
  readonly arrivals: Arrivals
  /** The kith release files kept for the vaults' day of recovery (docs/format.md §Release files). */
  readonly releaseFiles: ReleaseFiles
}

/** A vault id as shown in a human line. */
export const shortId = (id: Uint8Array): string => toHex(id).slice(0, 12)

/** A vault as its friend's lines name it: the label given at its invite, then its short id. */
export function vaultName(ctx: { readonly db: GuardianContext['db'] }, id: Uint8Array): string {
  const label = ctx.db.vaults.get(id)?.label
  return label ? `"${cleanLabel(label)}" (${shortId(id)})` : shortId(id)
}

/** A label as a line may show it: printable, bounded (another party chose it). */
const cleanLabel = (label: string): string => label.replace(/[^\p{L}\p{N} ._'-]/gu, '?').slice(0, 40)
