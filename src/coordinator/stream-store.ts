/**
 * The coordinator's record of its live streams (docs/format.md §Coordinator database): per stream, its
 * key sealed under the key-encryption key (bound to the stream's name), the writer certificate the
 * vault key signed, and the source it follows. Composed into CoordinatorStore over the same handle.
 */
import type { SqliteHandle } from '../disk/sqlite.js'

export interface StreamInfo {
  readonly name: string
  readonly keyNonce: Uint8Array
  readonly keySealed: Uint8Array
  readonly certificate: Uint8Array
  /** The vault source whose snapshots this stream continues. */
  readonly source: string
}

export class StreamStore {
  constructor(private readonly sql: SqliteHandle) {}

  all(): StreamInfo[] {
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

  get(name: string): StreamInfo | undefined {
    return this.all().find((s) => s.name === name)
  }

  /** Record (or replace, for a re-installed writer) a stream. */
  put(s: StreamInfo, now: number): void {
    this.sql
      .stmt(
        'INSERT OR REPLACE INTO streams (name, key_nonce, key_sealed, certificate, source, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(s.name, s.keyNonce, s.keySealed, s.certificate, s.source, now)
  }
}
