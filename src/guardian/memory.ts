/**
 * What a guardian holds in memory for its peers, in one budget (docs/threat-model.md, §Protocol messages):
 * each inbound stream gets a lease charged to its peer's accounts (a member's own share, its vault's and
 * all members'; or the strangers' pool, kept apart so that no member crowds out a recovery from a new
 * machine); the wire takes each message's length from it before reading the message, and each answer's
 * before sending it. It never waits for room and never overdraws: what does not fit is refused
 * GUARDIAN_BUSY.
 */
import { toHex } from '../crypto/bytes.js'
import type { StreamMemory } from '../p2p/wire.js'
import { BusyError } from './errors.js'
import { MEMBER_STREAM_COST, MEMORY_SHARES, STRANGER_STREAM_COST } from './limits.js'

/** How the budget is shared (guardian/limits.ts MEMORY_SHARES gives the numbers and their reasons). */
export interface MemoryShares {
  /** Bytes held at once for every member together (a peer a roster here names). */
  readonly members: number
  /** For every peer on no roster here, together. */
  readonly strangers: number
  /** For the peers one vault's roster names (its coordinator and its guardians), together. */
  readonly vault: number
  /** For one member. */
  readonly peer: number
}

/** An account a lease is charged to (`strangers`, `members`, `vault:<hex id>`, `peer:<id>`), its cap. */
export interface MemoryAccount {
  readonly key: string
  readonly cap: number
}

export class MemoryBudget {
  private total = 0
  /** Bytes held by account; an account holding nothing has no entry, so the map stays bounded. */
  private readonly used = new Map<string, number>()

  constructor(readonly shares: MemoryShares = MEMORY_SHARES) {}

  /** Bytes held now: in all (at most members + strangers), or on one account. */
  held(key?: string): number {
    return key === undefined ? this.total : (this.used.get(key) ?? 0)
  }

  /** A lease for one stream, charged to each of `accounts`. */
  lease(accounts: readonly MemoryAccount[]): MemoryLease {
    return new MemoryLease(this, accounts)
  }

  /**
   * The lease of a new stream from `peer`, its opening cost already held (BusyError if it does not
   * fit): a stranger's (`vaults` empty: no roster here names it) on the strangers' pool; a member's on
   * its own share, on all members', and on the share of the vault naming it that holds least now, so
   * that a guardian of several vaults is not refused for one vault's flood.
   */
  streamLease(peer: string, vaults: readonly Uint8Array[]): MemoryLease {
    const groups = vaults.map((id) => `vault:${toHex(id)}`)
    const lease =
      groups.length === 0
        ? this.lease([{ key: 'strangers', cap: this.shares.strangers }])
        : this.lease([
            { key: `peer:${peer}`, cap: this.shares.peer },
            { key: groups.reduce((a, b) => (this.held(b) < this.held(a) ? b : a)), cap: this.shares.vault },
            { key: 'members', cap: this.shares.members },
          ])
    lease.hold(groups.length === 0 ? STRANGER_STREAM_COST : MEMBER_STREAM_COST)
    return lease
  }

  /** Take `bytes` on every account, or on none if one of them has no room. */
  _take(accounts: readonly MemoryAccount[], bytes: number): boolean {
    if (accounts.some((a) => this.held(a.key) + bytes > a.cap)) return false
    this.total += bytes
    for (const a of accounts) this.used.set(a.key, this.held(a.key) + bytes)
    return true
  }

  _give(accounts: readonly MemoryAccount[], bytes: number): void {
    this.total -= bytes
    for (const a of accounts) {
      const left = this.held(a.key) - bytes
      if (left > 0) this.used.set(a.key, left)
      else this.used.delete(a.key)
    }
  }
}

/** What one stream holds: taken from its accounts as it reads and sends, all given back by `end`. */
export class MemoryLease implements StreamMemory {
  private holding = 0

  constructor(
    private readonly budget: MemoryBudget,
    readonly accounts: readonly MemoryAccount[],
  ) {}

  /** Hold `bytes` more, or throw BusyError (GUARDIAN_BUSY) if one of its accounts has no room. */
  hold(bytes: number): void {
    if (!this.budget._take(this.accounts, bytes)) throw new BusyError()
    this.holding += bytes
  }

  free(bytes: number): void {
    const n = Math.min(bytes, this.holding)
    if (n <= 0) return
    this.holding -= n
    this.budget._give(this.accounts, n)
  }

  /** Give back everything: the stream's handler is done, and what its peer sends after is dropped. */
  end(): void {
    this.free(this.holding)
  }
}
