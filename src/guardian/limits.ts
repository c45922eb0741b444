/**
 * What a guardian allows strangers, who are not on any roster it keeps: how many recovery requests, how
 * often, and how many bytes of their messages it holds in memory at once; and what it allows one vault
 * beyond its quota (how many journals). The numbers are here, in one place; docs/threat-model.md
 * explains them.
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
