/**
 * The guardian's lock per vault: pushes, catch-ups, roster changes and pruning of one vault run one at a
 * time, in the order they asked, while other vaults go on. It lives in the daemon's memory (one daemon
 * per data directory); a stopping daemon waits for what holds or awaits it.
 */
import { toHex } from '../crypto/bytes.js'

export class VaultLocks {
  /** Per vault (hex), the settling of the newest holder: the next one runs after it. */
  private readonly chains = new Map<string, Promise<unknown>>()

  /** Run `fn` alone for this vault, after whatever holds or awaits the lock; its result is the caller's. */
  exclusive<T>(vaultId: Uint8Array, fn: () => Promise<T>): Promise<T> {
    const key = toHex(vaultId)
    const prev = this.chains.get(key) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    // the caller gets `next` with its error; the chain only needs to know it settled
    const settled = next.catch(() => undefined)
    this.chains.set(key, settled)
    void settled.then(() => this.chains.get(key) === settled && this.chains.delete(key))
    return next
  }

  /** What holds or awaits a lock now, each settling when it is done. */
  pending(): Promise<unknown>[] {
    return [...this.chains.values()]
  }
}
