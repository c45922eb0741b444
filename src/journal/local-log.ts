/**
 * The writer's own log of a journal (docs/format.md §Live stream, "writer's log"): every entry it
 * made since the snapshot the journal now starts from (its base), kept so that a guardian that was away
 * can be sent what it missed, and so that a snapshot can name the hash of the entry at its position.
 * One SQLite file beside the vault (0600, WAL): an entry is in it before lightningd may commit it (it is
 * written while the entry is on its way to the guardians).
 */
import { SqliteHandle } from '../disk/sqlite.js'

const MIGRATIONS = [
  `
  CREATE TABLE base (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL, hash BLOB NOT NULL);
  CREATE TABLE entries (position INTEGER PRIMARY KEY, prev BLOB NOT NULL, hash BLOB NOT NULL, entry BLOB NOT NULL);
  `,
]

/** A position and the hash the next entry follows. */
export interface JournalPoint {
  readonly position: number
  readonly hash: Uint8Array
}

export class LocalLog {
  private constructor(private readonly sql: SqliteHandle) {}

  /**
   * WAL, synchronous=FULL: an entry is on disk before lightningd hears `continue`, so the log never falls
   * behind what lightningd commits.
   */
  static open(path: string): LocalLog {
    return new LocalLog(SqliteHandle.open(path, MIGRATIONS))
  }

  close(): void {
    this.sql.close()
  }

  /** Where the journal starts: the snapshot position and hash the first entry follows. */
  base(): JournalPoint | undefined {
    const r = this.sql.stmt('SELECT position, hash FROM base WHERE id = 1').get() as
      | { position: number; hash: Buffer }
      | undefined
    return r === undefined ? undefined : { position: r.position, hash: r.hash }
  }

  /** Start over from a snapshot at `point` (an initial or a new one): entries before it go. */
  setBase(point: JournalPoint): void {
    this.sql.atomically(() => {
      this.sql
        .stmt('INSERT OR REPLACE INTO base (id, position, hash) VALUES (1, ?, ?)')
        .run(point.position, point.hash)
      this.sql.stmt('DELETE FROM entries WHERE position <= ?').run(point.position)
    })
  }

  /** Forget everything: a new writer starts the journal again from a new snapshot. */
  reset(): void {
    this.sql.atomically(() => {
      this.sql.stmt('DELETE FROM base').run()
      this.sql.stmt('DELETE FROM entries').run()
    })
  }

  /** The newest entry, with the hash it followed. */
  newest(): (JournalPoint & { prev: Uint8Array }) | undefined {
    const r = this.sql
      .stmt('SELECT position, prev, hash FROM entries ORDER BY position DESC LIMIT 1')
      .get() as { position: number; prev: Buffer; hash: Buffer } | undefined
    return r === undefined ? undefined : { position: r.position, prev: r.prev, hash: r.hash }
  }

  /** The newest point: the newest entry, else the base. */
  tip(): JournalPoint | undefined {
    return this.newest() ?? this.base()
  }

  /** Keep an entry, durably (a rewind replaces the newest). */
  put(e: { position: number; prev: Uint8Array; hash: Uint8Array; bytes: Uint8Array }): void {
    this.sql
      .stmt('INSERT OR REPLACE INTO entries (position, prev, hash, entry) VALUES (?, ?, ?, ?)')
      .run(e.position, e.prev, e.hash, e.bytes)
  }

  /** The hash of the entry at `position` (or of the base there), if the log has it. */
  hashAt(position: number): Uint8Array | undefined {
    const r = this.sql.stmt('SELECT hash FROM entries WHERE position = ?').get(position) as
      | { hash: Buffer }
      | undefined
    if (r !== undefined) return r.hash
    const b = this.base()
    return b !== undefined && b.position === position ? b.hash : undefined
  }

  *entriesFrom(position: number): Generator<{ position: number; bytes: Uint8Array }> {
    const rows = this.sql
      .stmt('SELECT position, entry FROM entries WHERE position >= ? ORDER BY position')
      .all(position) as { position: number; entry: Buffer }[]
    for (const r of rows) yield { position: r.position, bytes: r.entry }
  }

  /** Bytes of the entries kept (what compaction weighs against the database's size). */
  bytes(): number {
    return (this.sql.stmt('SELECT coalesce(sum(length(entry)), 0) AS n FROM entries').get() as { n: number })
      .n
  }

  /** A committed snapshot covers the journal up to `position`: older entries are no longer needed. */
  trim(position: number): void {
    this.sql.stmt('DELETE FROM entries WHERE position < ?').run(position)
  }
}

/**
 * The position a 32-bit counter (CLN's `data_version`, which wraps at 2^32) stands for, next to the
 * newest position known: the one closest to it.
 */
export function positionOf(known: number, counter: number): number {
  const era = Math.floor(known / 2 ** 32)
  const candidates = [era - 1, era, era + 1].map((e) => e * 2 ** 32 + counter).filter((p) => p >= 0)
  return candidates.reduce((best, p) => (Math.abs(p - known) < Math.abs(best - known) ? p : best))
}
