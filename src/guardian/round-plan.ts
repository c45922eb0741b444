/**
 * Which vaults an anti-entropy round compares with the fellows (sync.ts antiEntropy). A vault whose
 * fellows all answered with the head held here is compared again GAP rounds later; one whose head or
 * roster changed here since, or that has equivocation evidence, or was never compared in this process,
 * or whose fellows did not all answer with our head, is compared at once. A change always shows on the
 * guardian it reached (a push, a catch-up), and that guardian compares at its next round and announces
 * where a fellow lags; a guardian that starts compares every vault. The gap only spares a site's
 * thousand quiet vaults a request to each fellow every round. In memory only: it must never make a
 * vault with news wait.
 */
import { equalBytes, toHex } from '../crypto/bytes.js'
import type { VaultRow } from './store/index.js'

/** Rounds a vault in step waits before it is compared again: the safety net's period. */
export const GAP = 10

interface Entry {
  /** The round at which it is compared again. */
  readonly at: number
  /** What was in step: the head and the roster's epoch held then. */
  readonly head: Uint8Array
  readonly epoch: number
}

export class RoundPlan {
  private round = 0
  private readonly entries = new Map<string, Entry>()

  /** Whether this round compares `vault`. */
  due(vault: VaultRow): boolean {
    const e = this.entries.get(toHex(vault.vaultId))
    return (
      e === undefined ||
      e.at <= this.round ||
      vault.equivocation ||
      vault.head === null ||
      vault.epoch !== e.epoch ||
      !equalBytes(vault.head, e.head)
    )
  }

  /** Every fellow answered with `vault`'s head held here: compare it again GAP rounds later. */
  inStep(vault: VaultRow): void {
    if (vault.head === null) return
    this.entries.set(toHex(vault.vaultId), { at: this.round + GAP, head: vault.head, epoch: vault.epoch })
  }

  /** A fellow lagged or did not answer: compare `vault` again next round. */
  notInStep(vault: VaultRow): void {
    this.entries.delete(toHex(vault.vaultId))
  }

  /** The round is over; vaults no longer kept are forgotten. */
  endRound(kept: readonly VaultRow[]): void {
    this.round++
    if (this.entries.size <= kept.length) return
    const live = new Set(kept.map((v) => toHex(v.vaultId)))
    for (const key of [...this.entries.keys()]) if (!live.has(key)) this.entries.delete(key)
  }
}
