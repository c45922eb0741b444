/**
 * What the parts of one recovery share: its options, its events, the guardians it asks and what each
 * answered, the one-time recovery key, the newest roster it learned, and its one libp2p node. Nothing
 * in here is ever logged or printed but the events, which carry no key, share or content (and are logged
 * without the phone codes they show).
 */

import { toHex } from '../crypto/bytes.js'
import type { Log } from '../log.js'
import { whyOf } from '../p2p/errors.js'
import type { KithNode } from '../p2p/node.js'
import { peerText } from '../p2p/peers.js'
import type { Roster } from '../replica/roster.js'
import type { ShareEnvelope } from '../shares/share-envelope.js'
import { cleanText } from '../text.js'
import type { RecoveryTarget } from './targets.js'

export type RecoveryEvent =
  | { event: 'request-sent'; guardian: string; peerId: string; request: string; code: string }
  | { event: 'unreachable'; guardian: string; peerId: string; error: string }
  | { event: 'approved'; guardian: string; releaseAt: number }
  | { event: 'denied'; guardian: string; state: string }
  | { event: 'refused'; guardian: string; code: string; error: string }
  | { event: 'waiting'; guardian: string; code: string; error: string }
  | { event: 'share-received'; guardian: string; have: number; need: number }
  | { event: 'share-set-aside'; guardian: string; epoch: number; current: number }
  /** The owner's paper share: whether it counts (it is of the vault's current epoch). */
  | { event: 'paper-share'; epoch: number; current: number; counts: boolean }
  | { event: 'key-rebuilt'; epoch: number; shares: number; badShares: number[] }
  | {
      event: 'heads-collected'
      answered: number
      needed: number
      /** How many answering guardians the rule assumes may lie or be rolled back. */
      tolerate: number
      version: number
      /** 0 when refused before the manifest was fetched. */
      createdAt: number
      acceptedStale: boolean
      /** The newest version any answer proves exists, and whether a certificate proves it committed. */
      newest: number
      certified: number
      /** When the old node was last heard (absent: no answering guardian ever heard it). */
      lastHeard?: LastHeard
    }
  | { event: 'waiting-for-holder'; version: number; holders: string[] }
  | {
      /**
       * A restored database its journal could not bring up to date (the code says why): renamed
       * `….STALE-DO-NOT-USE`, deleted where it could not be renamed, or left under its name (and the
       * recovery fails with STALE_DATABASE_LEFT).
       */
      event: 'stale-database'
      journal: string
      path: string
      action: 'renamed' | 'removed' | 'left'
      to?: string
      error?: string
      code: string
    }
  // a journal replayed (the event and its field keep the journal's historical name)
  | { event: 'stream-replayed'; stream: string; from: number; to: number; applied: number }
  | { event: 'older-version'; version: number; newest: number }
  /** The request is closed at the guardians told (§Recovery done); the others keep it until it expires. */
  | { event: 'request-closed'; told: string[]; notTold: string[] }
  | {
      /** A guardian answered with something that does not verify: it was not used (see BadAnswer). */
      event: 'bad-guardian'
      guardian: string
      peerId: string
      what: BadAnswer
      /** The stable code of what failed (BAD_SIGNATURE, CHUNK_INTEGRITY, WRONG_VAULT, …). */
      code: string
      /** One line: what did not hold. */
      reason: string
      /** For a chunk: its id. */
      chunk?: string
    }
  | {
      event: 'restore-done'
      version: number
      createdAt: number
      files: { source: string; kind: string; path: string; size: number }[]
      /** Sources that version could not read: their files are of version `asOf` (0: it has none). */
      unread?: { source: string; asOf: number; asOfTime: number; code: string }[]
    }

/** What a guardian can answer with that must verify before it is used. */
export type BadAnswer =
  | 'freshness'
  | 'head'
  | 'seen-head'
  | 'certificate'
  | 'share'
  | 'roster'
  | 'address-record'
  | 'manifest'
  | 'chunk'
  | 'journal-head'
  | 'journal-entry'

/** How recently answering guardians heard the old node: its coordinator or its live-database plugin. */
export interface LastHeard {
  /** How many answering guardians ever heard it. */
  readonly guardians: number
  /** The most recent contact any of them had (ms ago): coordinator or plugin. */
  readonly ago: number
  /** The most recent contact from its live-database plugin (ms ago), if any. */
  readonly pluginAgo?: number
}

export interface RecoveryOptions {
  readonly vaultId: Uint8Array
  readonly guardians: readonly RecoveryTarget[]
  readonly outDir: string
  readonly acceptStale?: boolean
  /** Answering guardians assumed able to lie or be rolled back; default min(1, W − 1). */
  readonly tolerate?: number
  /** Restore this older version on purpose instead of the newest (with the stale-state warning). */
  readonly version?: number
  /** Give up waiting for approvals after this long; default: the table's recoveryWait. */
  readonly waitMs?: number
  /** Between polls of a guardian; default: the table's recoveryPoll. */
  readonly pollMs?: number
  readonly onEvent?: (e: RecoveryEvent) => void
  readonly signal?: AbortSignal
  /** The process's logger: the recovery logs its events and steps through children of it. */
  readonly log?: Log
  /**
   * Given (for --resume): the old node was heard within oldNodeRecent; resolves true once the operator
   * says it is stopped for good, false to refuse (OLD_NODE_RECENT) before anything is restored.
   */
  readonly confirmOldNodeStopped?: (heard: LastHeard) => Promise<boolean>
  /** The owner's paper share (verified, of this vault): it counts toward k like a guardian's. */
  readonly paperShare?: ShareEnvelope
}

/** A guardian being asked, and what it answered so far. */
export interface Tracked extends RecoveryTarget {
  /** The kit's name, or the tail of its peer id until the signed roster names it. */
  label: string
  state?: string
  /** Whether its request's code was shown (once it first accepted the request). */
  announced?: boolean
  /** The code of a "not now" refusal, while it lasts. */
  waiting?: string
  reachable?: boolean
  /** Its released share envelope, once opened and verified. */
  share?: Uint8Array
  shareEpoch?: number
  /** Its share's x, to name it if the combine finds that share bad. */
  shareX?: number
  /** Where to reach it: the kit's addresses, then those of the newest signed record seen (`seq`). */
  addrs: readonly string[]
  seq?: number
}

export interface RecoveryContext {
  readonly opts: RecoveryOptions
  readonly requestId: Uint8Array
  readonly recoveryKey: { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array }
  /** By peer id (hex). */
  readonly targets: Map<string, Tracked>
  /** The newest valid roster any guardian showed (after approving). */
  roster: Roster | undefined
  node(): Promise<KithNode>
  /** Tell the event to `onEvent`, and log it (without a phone code). */
  say(e: RecoveryEvent): void
  /**
   * A guardian's answer did not verify and was dropped: said once per guardian and kind of answer
   * (a `bad-guardian` event, logged as a warning), with `err`'s code and one line.
   */
  distrust(t: Tracked, what: BadAnswer, why: unknown, chunk?: string): void
  /** The recovery's own log lines (module `recovery`): steps, answers, what failed and why. */
  readonly log: Log
  /** What its network calls log (module `p2p`). */
  readonly p2pLog: Log
  /** When waiting for humans stops. */
  readonly deadline: number
}

/** Events that say something went wrong with a guardian: logged as warnings. */
const WARNINGS = new Set<RecoveryEvent['event']>([
  'unreachable',
  'refused',
  'denied',
  'bad-guardian',
  'stale-database',
])

/** Log an event as a line of its own: everything in it but a phone code, which only the terminal shows. */
export function logEvent(log: Log, e: RecoveryEvent): void {
  const line =
    e.event === 'request-sent'
      ? { event: e.event, guardian: e.guardian, peerId: e.peerId, request: e.request, decided: e.code === '' }
      : e
  if (WARNINGS.has(e.event)) log.warn(line)
  else log.info(line)
}

/** A recovery's `distrust`: each guardian's bad answer of one kind said once, whatever it repeats. */
export function distruster(say: (e: RecoveryEvent) => void): RecoveryContext['distrust'] {
  const said = new Set<string>()
  return (t, what, why, chunk) => {
    const key = `${toHex(t.peerId)} ${what}`
    if (said.has(key)) return
    said.add(key)
    say({
      event: 'bad-guardian',
      guardian: cleanText(t.label, 64),
      peerId: peerText(t.peerId),
      what,
      ...whyOf(why),
      ...(chunk !== undefined ? { chunk } : {}),
    })
  }
}

/** Whether a guardian's human approved this recovery's request (it may then serve data). */
export const approvedBy = (t: Tracked): boolean => t.state === 'approved' || t.state === 'released'
