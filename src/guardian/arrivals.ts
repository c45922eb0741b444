/**
 * Chunks on their way in: every intake (a push, a catch-up) registers here while it is open, so that a
 * fellow asking for a chunk this guardian is still receiving (a striped push, docs/format.md §Protocol messages) is
 * answered as soon as it arrives instead of being told NOT_HELD. It never holds a chunk's bytes itself:
 * a waiter is handed the bytes an intake accepted. Waiters are kept by vault and chunk, not by intake:
 * the chunk may come through any open intake of the vault (a push and a catch-up of the same version),
 * and a waiter is answered none only once no open intake of the vault still expects it.
 */
import { toHex } from '../crypto/bytes.js'

/** What an open intake tells the guardian's fetch handler about one chunk. */
export interface Incoming {
  /** The version the intake is taking. */
  readonly version: number
  /** The chunk's bytes if it came and is not yet on disk, else undefined. */
  batched(hex: string): Uint8Array | undefined
  /** Whether the intake still expects the chunk. */
  expects(hex: string): boolean
}

type Waiter = (data: Uint8Array | undefined) => void

/** The open intakes, by vault (hex), and the fetches waiting for a chunk, by vault and chunk (hex). */
export class Arrivals {
  private readonly open = new Map<string, Set<Incoming>>()
  private readonly waiting = new Map<string, Map<string, Set<Waiter>>>()

  /** Register an open intake; the function returned unregisters it. */
  add(vaultId: Uint8Array, incoming: Incoming): () => void {
    const key = toHex(vaultId)
    const set = this.open.get(key) ?? new Set<Incoming>()
    this.open.set(key, set)
    set.add(incoming)
    return () => {
      set.delete(incoming)
      if (set.size === 0 && this.open.get(key) === set) this.open.delete(key)
      this._expire(key)
    }
  }

  /** An intake of the vault accepted a chunk: every fetch waiting for it gets it. Returns how many. */
  arrived(vaultId: Uint8Array, hex: string, data: Uint8Array): number {
    const key = toHex(vaultId)
    const byChunk = this.waiting.get(key)
    const waiters = byChunk?.get(hex)
    if (byChunk === undefined || waiters === undefined) return 0
    byChunk.delete(hex)
    if (byChunk.size === 0) this.waiting.delete(key)
    for (const w of waiters) w(data)
    return waiters.size
  }

  /** The newest version an intake is taking for the vault now, or 0. */
  newestComing(vaultId: Uint8Array): number {
    let v = 0
    for (const i of this.open.get(toHex(vaultId)) ?? []) v = Math.max(v, i.version)
    return v
  }

  /**
   * The chunk if an open intake of the vault holds it in memory now; else a promise of it if one
   * expects it (undefined once no open intake expects it, or when `signal` aborts: the waiter is gone
   * then); else undefined: not coming.
   */
  chunk(
    vaultId: Uint8Array,
    id: Uint8Array,
    signal?: AbortSignal,
  ): Uint8Array | Promise<Uint8Array | undefined> | undefined {
    const hex = toHex(id)
    const key = toHex(vaultId)
    const set = this.open.get(key)
    if (set === undefined) return undefined
    for (const i of set) {
      const data = i.batched(hex)
      if (data !== undefined) return data
    }
    if (![...set].some((i) => i.expects(hex))) return undefined
    if (signal?.aborted) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      const byChunk = this.waiting.get(key) ?? new Map<string, Set<Waiter>>()
      this.waiting.set(key, byChunk)
      const waiters = byChunk.get(hex) ?? new Set<Waiter>()
      byChunk.set(hex, waiters)
      const gone = () => {
        waiters.delete(waiter)
        if (waiters.size === 0 && byChunk.get(hex) === waiters) byChunk.delete(hex)
        if (byChunk.size === 0 && this.waiting.get(key) === byChunk) this.waiting.delete(key)
        resolve(undefined)
      }
      const waiter: Waiter = (data) => {
        signal?.removeEventListener('abort', gone)
        resolve(data)
      }
      waiters.add(waiter)
      signal?.addEventListener('abort', gone, { once: true })
    })
  }

  /** Fetches waiting in the vault (tests, metrics). */
  waiters(vaultId: Uint8Array): number {
    let n = 0
    for (const w of this.waiting.get(toHex(vaultId))?.values() ?? []) n += w.size
    return n
  }

  /** An intake of the vault closed: waiters for a chunk no open intake still expects get none. */
  private _expire(key: string): void {
    const byChunk = this.waiting.get(key)
    if (byChunk === undefined) return
    const set = this.open.get(key)
    for (const [hex, waiters] of [...byChunk]) {
      if (set !== undefined && [...set].some((i) => i.expects(hex))) continue
      byChunk.delete(hex)
      for (const w of waiters) w(undefined)
    }
    if (byChunk.size === 0) this.waiting.delete(key)
  }
}
