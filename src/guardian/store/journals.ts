/**
 * The journal tables of the guardian's database (docs/format.md §Live stream): per journal, the
 * writer certificate in force and the newest entry; the entries themselves until a committed snapshot
 * covers them. An append is one FULL-synchronous transaction: durable before it is acknowledged. The
 * entries' bytes count in the vault's own bytes, which its one quota bounds (versions and journals).
 * Tables, columns and audit events keep the journal's historical name, stream (no migration).
 */

import { equalBytes } from '../../crypto/bytes.js'
import type { SqliteHandle } from '../../disk/sqlite.js'
import type { JournalEntry } from '../../journal/entry.js'
import { genesisHash } from '../../journal/entry.js'
import { BadEntryError } from '../../journal/errors.js'
import { TooManyJournalsError } from '../errors.js'
import type { AuditLog } from './audit.js'

export interface JournalRow {
  readonly certificate: Uint8Array
  /** The newest entry held (0: none yet). */
  readonly lastPosition: number
  readonly lastHash: Uint8Array | null
  readonly lastPrev: Uint8Array | null
  /** Entries up to here are covered by a committed snapshot and were dropped. */
  readonly covered: number
  /** That snapshot's mark at `covered`: what the first entry after it follows (null: none recorded). */
  readonly coveredHash: Uint8Array | null
  /** Bytes of the entries held. */
  readonly bytes: number
}

interface RawJournal {
  certificate: Buffer
  last_position: number
  last_hash: Buffer | null
  last_prev: Buffer | null
  covered: number
  covered_hash: Buffer | null
  bytes: number
}

/** What an append did: a new entry, the newest one replaced (a rewind), or the same entry again. */
export type AppendResult = 'appended' | 'replaced' | 'duplicate'

export class JournalStore {
  constructor(
    private readonly sql: SqliteHandle,
    private readonly audit: AuditLog,
  ) {}

  get(vaultId: Uint8Array, journal: string): JournalRow | undefined {
    const r = this.sql
      .stmt('SELECT * FROM streams WHERE vault_id = ? AND stream = ?')
      .get(vaultId, journal) as RawJournal | undefined
    return r === undefined
      ? undefined
      : {
          certificate: r.certificate,
          lastPosition: r.last_position,
          lastHash: r.last_hash,
          lastPrev: r.last_prev,
          covered: r.covered,
          coveredHash: r.covered_hash,
          bytes: r.bytes,
        }
  }

  /**
   * Adopt a (verified) writer certificate for a journal; a newer one replaces an older. A journal not
   * kept yet is refused once the vault keeps `maxJournals` (TooManyJournalsError): nothing is stored.
   */
  setCertificate(
    vaultId: Uint8Array,
    journal: string,
    certificate: Uint8Array,
    now: number,
    maxJournals: number,
  ): void {
    this.sql.atomically(() => {
      const known = this.get(vaultId, journal)
      if (known !== undefined && equalBytes(known.certificate, certificate)) return
      if (known === undefined && this.count(vaultId) >= maxJournals)
        throw new TooManyJournalsError(maxJournals)
      if (known === undefined)
        this.sql
          .stmt('INSERT INTO streams (vault_id, stream, certificate) VALUES (?, ?, ?)')
          .run(vaultId, journal, certificate)
      else
        this.sql
          .stmt('UPDATE streams SET certificate = ? WHERE vault_id = ? AND stream = ?')
          .run(certificate, vaultId, journal)
      this.audit.record(vaultId, 'stream-writer', { stream: journal }, now)
    })
  }

  /** How many journals a vault keeps here. */
  count(vaultId: Uint8Array): number {
    const r = this.sql.stmt('SELECT count(*) AS n FROM streams WHERE vault_id = ?').get(vaultId) as {
      n: number
    }
    return r.n
  }

  /**
   * Append an entry (its signature verified): the next position after the newest, chained to it; or a
   * replacement of the newest (same position, same predecessor: the writer's transaction was not
   * committed); or the first entry after the mark of a committed snapshot, chained to that mark: the only
   * way past a gap, and the only first entry. An older position is accepted only as the very entry
   * already held there. Refused: anything else (BadEntryError), and nothing is written.
   * `room(bytes)` is asked, in the same transaction, whether the bytes the entry adds fit the vault's
   * quota, and throws if not: nothing is written then.
   */
  append(e: JournalEntry, room: (bytes: number) => void): AppendResult {
    return this.sql.atomically(() => {
      const s = this.get(e.vaultId, e.journal)
      if (s === undefined) throw new BadEntryError(e.position, 'journal')
      const last = s.lastPosition
      let result: AppendResult
      // a committed snapshot covers everything up to s.covered: the entry after it follows its mark (the
      // writer's next entry to a guardian that missed what it covers), or the genesis hash there (a
      // writer that starts again from a snapshot at that position: a reinstall, a recovered node)
      const followsMark =
        e.position === s.covered + 1 &&
        ((s.coveredHash !== null && equalBytes(e.prev, s.coveredHash)) ||
          equalBytes(e.prev, genesisHash(e.vaultId, e.journal, s.covered)))
      if (s.lastHash === null || e.position > last) {
        if (e.position <= s.covered) throw new BadEntryError(e.position, 'position')
        // past a gap, or with nothing held yet, nothing here vouches for the entry before it but a mark:
        // taken on faith, it would stand where the writer's own next entry must go (docs/format.md §Live
        // stream)
        const chained = s.lastHash !== null && e.position === last + 1 && equalBytes(e.prev, s.lastHash)
        if (!chained && !followsMark) throw new BadEntryError(e.position, 'chain')
        result = 'appended'
      } else if (e.position === last) {
        if (equalBytes(e.hash, s.lastHash)) return 'duplicate'
        // what a committed snapshot covers is never replaced
        if (e.position <= s.covered) throw new BadEntryError(e.position, 'position')
        if ((s.lastPrev === null || !equalBytes(e.prev, s.lastPrev)) && !followsMark)
          throw new BadEntryError(e.position, 'chain')
        result = 'replaced'
      } else {
        const held = this.sql
          .stmt('SELECT hash FROM stream_entries WHERE vault_id = ? AND stream = ? AND position = ?')
          .get(e.vaultId, e.journal, e.position) as { hash: Buffer } | undefined
        if (held !== undefined && equalBytes(held.hash, e.hash)) return 'duplicate'
        throw new BadEntryError(e.position, 'position')
      }
      const added =
        e.bytes.length - (result === 'replaced' ? this._size(e.vaultId, e.journal, e.position) : 0)
      room(added)
      this.sql
        .stmt(
          'INSERT OR REPLACE INTO stream_entries (vault_id, stream, position, prev, hash, entry) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(e.vaultId, e.journal, e.position, e.prev, e.hash, e.bytes)
      this.sql
        .stmt(
          'UPDATE streams SET last_position = ?, last_hash = ?, last_prev = ?, bytes = bytes + ? WHERE vault_id = ? AND stream = ?',
        )
        .run(e.position, e.hash, e.prev, added, e.vaultId, e.journal)
      this._count(e.vaultId, added)
      return result
    })
  }

  /** The vault's own bytes (what its quota bounds) move with its journals'. */
  private _count(vaultId: Uint8Array, bytes: number): void {
    if (bytes !== 0)
      this.sql
        .stmt('UPDATE vaults SET bytes_stored = max(0, bytes_stored + ?) WHERE vault_id = ?')
        .run(bytes, vaultId)
  }

  private _size(vaultId: Uint8Array, journal: string, position: number): number {
    const r = this.sql
      .stmt(
        'SELECT length(entry) AS n FROM stream_entries WHERE vault_id = ? AND stream = ? AND position = ?',
      )
      .get(vaultId, journal, position) as { n: number } | undefined
    return r?.n ?? 0
  }

  /** The newest entry held, if any. */
  newest(vaultId: Uint8Array, journal: string): Uint8Array | undefined {
    const r = this.sql
      .stmt(
        'SELECT entry FROM stream_entries WHERE vault_id = ? AND stream = ? ORDER BY position DESC LIMIT 1',
      )
      .get(vaultId, journal) as { entry: Buffer } | undefined
    return r?.entry
  }

  /** Entries from `from` on, in order, up to about `maxBytes` (at least one if there is one). */
  entries(vaultId: Uint8Array, journal: string, from: number, maxBytes: number): Uint8Array[] {
    const rows = this.sql
      .stmt(
        'SELECT entry FROM stream_entries WHERE vault_id = ? AND stream = ? AND position >= ? ORDER BY position LIMIT 4096',
      )
      .iterate(vaultId, journal, from) as IterableIterator<{ entry: Buffer }>
    const out: Uint8Array[] = []
    let bytes = 0
    for (const r of rows) {
      if (out.length > 0 && bytes + r.entry.length > maxBytes) break
      out.push(r.entry)
      bytes += r.entry.length
    }
    return out
  }

  /**
   * A committed snapshot covers the journal up to `position`, where its mark is `hash`: drop those
   * entries, and keep the mark, which the first entry after it must follow.
   */
  cover(vaultId: Uint8Array, journal: string, position: number, hash: Uint8Array, now: number): number {
    return this.sql.atomically(() => {
      const s = this.get(vaultId, journal)
      if (s === undefined || position < s.covered) return 0
      if (position === s.covered) {
        // a mark kept before its hash was: the hash now, nothing more to drop
        if (s.coveredHash === null && position > 0)
          this.sql
            .stmt('UPDATE streams SET covered_hash = ? WHERE vault_id = ? AND stream = ?')
            .run(hash, vaultId, journal)
        return 0
      }
      // the newest entry stays, so a writer that reconnects still finds its chain
      const keepFrom = Math.min(position, s.lastPosition - 1)
      const freed = this.sql
        .stmt(
          'SELECT coalesce(sum(length(entry)), 0) AS n, count(*) AS c FROM stream_entries WHERE vault_id = ? AND stream = ? AND position <= ?',
        )
        .get(vaultId, journal, keepFrom) as { n: number; c: number }
      this.sql
        .stmt('DELETE FROM stream_entries WHERE vault_id = ? AND stream = ? AND position <= ?')
        .run(vaultId, journal, keepFrom)
      this.sql
        .stmt(
          'UPDATE streams SET covered = ?, covered_hash = ?, bytes = bytes - ? WHERE vault_id = ? AND stream = ?',
        )
        .run(position, hash, freed.n, vaultId, journal)
      this._count(vaultId, -freed.n)
      this.audit.record(vaultId, 'stream-covered', { stream: journal, position, dropped: freed.c }, now)
      return freed.c
    })
  }

  /** Delete this store's rows of a vault (the caller removes the vault from every store at once). */
  forget(vaultId: Uint8Array): void {
    for (const table of ['stream_entries', 'streams'])
      this.sql.stmt(`DELETE FROM ${table} WHERE vault_id = ?`).run(vaultId)
  }
}
