/**
 * Chunks on their way in: every intake (a push, a catch-up) registers here while it is open, so that a
 * fellow asking for a chunk this guardian is still receiving (a striped push, docs/format.md §Protocol messages) is
 * answered as soon as it arrives instead of being told NOT_HELD. It never holds a chunk's bytes itself:
 * a waiter is handed the bytes the intake accepted, and an intake that closes without them answers none.
 */
import { toHex } from '../crypto/bytes.js'

/** What an open intake tells the guardian's fetch handler about one chunk. */
export interface Incoming {
  /** The version the intake is taking. */
  readonly version: number
  /** The chunk's bytes if it came and is not yet on disk, else undefined. */
  batched(hex: string): Uint8Array | undefined
  /** Resolves with the chunk when it comes; undefined at once if not expected, or when the intake ends. */
  arrival(hex: string): Promise<Uint8Array | undefined> | undefined
}

/** The open intakes, by vault (hex). */
export class Arrivals {
  private readonly open = new Map<string, Set<Incoming>>()

  /** Register an open intake; the function returned unregisters it. */
  add(vaultId: Uint8Array, incoming: Incoming): () => void {
    const key = toHex(vaultId)
    const set = this.open.get(key) ?? new Set<Incoming>()
    this.open.set(key, set)
    set.add(incoming)
    return () => {
      set.delete(incoming)
      if (set.size === 0 && this.open.get(key) === set) this.open.delete(key)
    }
  }

  /** The newest version an intake is taking for the vault now, or 0. */
  newestComing(vaultId: Uint8Array): number {
    let v = 0
    for (const i of this.open.get(toHex(vaultId)) ?? []) v = Math.max(v, i.version)
    return v
  }

  /**
   * The chunk if an open intake of the vault holds it in memory now; else a promise of it if one
   * expects it (undefined if that intake ends without it); else undefined: not coming.
   */
  chunk(vaultId: Uint8Array, id: Uint8Array): Uint8Array | Promise<Uint8Array | undefined> | undefined {
    const hex = toHex(id)
    const set = this.open.get(toHex(vaultId))
    if (set === undefined) return undefined
    for (const i of set) {
      const data = i.batched(hex)
      if (data !== undefined) return data
    }
    for (const i of set) {
      const coming = i.arrival(hex)
      if (coming !== undefined) return coming
    }
    return undefined
  }
}
