/**
 * What a guardian allows strangers, who are not on any roster it keeps: how many recovery requests, how
 * often, and how many bytes of their messages it holds in memory at once; what it allows one vault
 * beyond its quota (how many journals); and how much of its memory each peer, member or stranger, may
 * hold. The numbers are here, in one place; docs/threat-model.md explains them.
 */
import { MINUTE } from '../time/units.js'
import type { SlotCaps } from './request-slots.js'

/**
 * Open recovery requests per vault: a few at once, one per requester, two per network (a /24 or /64:
 * guardian/request-slots.ts), so one asker with many addresses holds what one home would.
 */
export const REQUEST_CAPS: SlotCaps = { perVault: 8, perRequester: 1, perNetwork: 2 }

/** Bytes held at once for the messages of peers not known to be on a roster here: 4 MiB. */
export const STRANGER_READ_BUDGET = 4 * 1024 * 1024

/** Bytes held at once for rosters presented by peers not yet a vault's coordinator: two of the largest. */
export const STRANGER_ROSTER_BUDGET = 2 * 1_300_000 + 2048

/**
 * Journals one vault may keep here. Each journal name its vault key certifies gets a row of its own, so
 * without a cap a vault could open names without end; 8 is as many as a version's vault state can carry
 * the keys of (docs/format.md §Vault state): a ninth could never be read back at a recovery.
 */
export const MAX_JOURNALS_PER_VAULT = 8

/** A token bucket per key: `burst` at once, refilled at `perMinute`; the map of keys stays bounded. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
    private readonly maxKeys = 4096,
  ) {}

  /** Take one token for `key`; false if it has none left. */
  take(key: string, now: number): boolean {
    const tokens = this._tokens(key, now)
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now })
      return false
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now })
    if (this.buckets.size > this.maxKeys) this._forgetFull(now)
    return true
  }

  /** Whether `key` has a token now, taking none. */
  available(key: string, now: number): boolean {
    return this._tokens(key, now) >= 1
  }

  private _tokens(key: string, now: number): number {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    return Math.min(this.burst, b.tokens + ((now - b.at) * this.perMinute) / MINUTE)
  }

  /** Drop the keys whose bucket has refilled: they are the same as never seen. */
  private _forgetFull(now: number): void {
    for (const [key, b] of this.buckets)
      if (b.tokens + ((now - b.at) * this.perMinute) / MINUTE >= this.burst) this.buckets.delete(key)
  }
}

/**
 * Tries at a new recovery request a guardian takes per network, refused ones too (a refusal costs its
 * network a token: probing for a free slot is as slow as asking); requests it records per peer (polls
 * of a known one are free); and how often it tells its human that a vault's slots are full (once an
 * hour per vault).
 */
export function requestLimiters(): { byNetwork: RateLimiter; byPeer: RateLimiter; floods: RateLimiter } {
  return {
    byNetwork: new RateLimiter(4, 4),
    byPeer: new RateLimiter(2, 2),
    floods: new RateLimiter(1, 1 / 60),
  }
}

/**
 * Bytes a guardian holds at once for messages from peers it cannot yet tell apart from strangers. A
 * stream reserves its protocol's cap before the first byte is read and gives it back when done; when the
 * budget is spent, new streams are refused until some finish.
 */
export class ReadBudget {
  private used = 0

  constructor(readonly total: number) {}

  reserve(bytes: number): boolean {
    if (this.used + bytes > this.total) return false
    this.used += bytes
    return true
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes)
  }
}

/**
 * The Yamux receive window of a guardian's streams at most (the initial one stays the protocol's 256 KiB),
 * and what a paused stream may hold unread: a stream is paused whenever its handler is not reading
 * (p2p/wire.ts), so what its peer sends meanwhile waits in this window. libp2p takes one muxer
 * configuration per node, so strangers and members get the same; what differs is how many streams and
 * bytes each may hold (MEMORY_SHARES). 1 MiB a round trip is 20 MiB/s at 50 ms, more than a home uplink
 * gives one guardian; libp2p's default, 16 MiB, let every stream hold that much.
 */
export const GUARDIAN_STREAM_WINDOW = 1024 * 1024

/**
 * Bytes a guardian holds at once for what peers send it and for its answers not yet sent (a fetched
 * chunk waits in memory until its peer reads it), by whom (guardian/memory.ts); what does not fit is
 * refused GUARDIAN_BUSY, before it is read. One member's share holds the most an honest coordinator
 * sends at once (a 28 MiB offer, two 4 MiB chunks in flight, an 8 MiB journal entry, a dozen streams);
 * a vault's (its coordinator and the guardians its roster names, who may be invented names) is one
 * member and a half, so a fellow guardian cannot crowd out the vault's own coordinator; all members
 * together hold at most 256 MiB, so one vault's flood leaves 160 MiB to the others; strangers keep
 * their 4 MiB apart, so that no member's flood refuses a recovery from a new machine.
 */
export const MEMORY_SHARES = {
  members: 256 * 1024 * 1024,
  strangers: STRANGER_READ_BUDGET,
  vault: 96 * 1024 * 1024,
  peer: 64 * 1024 * 1024,
} as const

/**
 * What opening a stream costs a member: all its peer can make it hold unread (the window, and what one
 * read of the socket brings past the message being read), counted until its handler is done.
 */
export const MEMBER_STREAM_COST = GUARDIAN_STREAM_WINDOW + 64 * 1024

/**
 * What opening a stream costs a stranger: enough for any first message a stranger may send. Its
 * protocols read a message or two and answer within milliseconds; whatever it sends after its handler
 * is done is dropped unread.
 */
export const STRANGER_STREAM_COST = 4 * 1024
