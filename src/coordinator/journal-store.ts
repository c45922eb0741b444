/**
 * The coordinator's record of its journals (docs/format.md §Coordinator database): per journal, its
 * key sealed under the key-encryption key (bound to the journal's name), the writer certificate the
 * vault key signed, and the source it follows. Composed into CoordinatorStore over the same handle.
 * The table is `streams`, the journal's historical name, kept so no migration is needed.
 */
import type { SqliteHandle } from '../disk/sqlite.js'

export interface JournalInfo {
  readonly name: string
  readonly keyNonce: Uint8Array
  readonly keySealed: Uint8Array
  readonly certificate: Uint8Array
  /** The vault source whose snapshots this journal continues. */
  readonly source: string
}

export class JournalStore {
  constructor(private readonly sql: SqliteHandle) {}

  all(): JournalInfo[] {
    const rows = this.sql.stmt('SELECT * FROM streams ORDER BY name').all() as {
      name: string
      key_nonce: Buffer
      key_sealed: Buffer
      certificate: Buffer
      source: string
    }[]
    return rows.map((r) => ({
      name: r.name,
      keyNonce: r.key_nonce,
      keySealed: r.key_sealed,
      certificate: r.certificate,
      source: r.source,
    }))
  }

  get(name: string): JournalInfo | undefined {
    return this.all().find((s) => s.name === name)
  }

  /** Record (or replace, for a re-installed writer) a journal. */
  put(s: JournalInfo, now: number): void {
    this.sql
      .stmt(
        'INSERT OR REPLACE INTO streams (name, key_nonce, key_sealed, certificate, source, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(s.name, s.keyNonce, s.keySealed, s.certificate, s.source, now)
  }
}
