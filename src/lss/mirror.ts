/**
 * The local mirror of a signer's state kept through LSS: per client (its public key), keys with a
 * version and a value, under LSS's rules (lightning-signer/validating-lightning-signer
 * `lightning-storage-server/lssd/src/database/`): a new key is written at version 0, an existing one at
 * its stored version + 1, and a batch is all or nothing; a batch that breaks the rule names every key it
 * conflicts on with what is stored (version −1 and no value for a key that is not there). Reads are by a
 * literal key prefix, in UTF-8 byte order. Checking and applying are two steps, so that a batch is
 * replicated (to W guardians) between them; the caller runs one batch at a time.
 */
import { SqliteHandle } from '../disk/sqlite.js'
import type { LssKeyValue } from './auth.js'

const MIGRATIONS = [
  `
  CREATE TABLE kv (
    client BLOB NOT NULL, key BLOB NOT NULL, version INTEGER NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (client, key)
  );
  `,
]

const UTF8 = new TextEncoder()
const TEXT = new TextDecoder()

export class LssMirror {
  private constructor(private readonly sql: SqliteHandle) {}

  static open(path: string): LssMirror {
    return new LssMirror(SqliteHandle.open(path, MIGRATIONS))
  }

  close(): void {
    this.sql.close()
  }

  private _stored(client: Uint8Array, key: string): { version: bigint; value: Uint8Array } | undefined {
    const r = this.sql
      .stmt('SELECT version, value FROM kv WHERE client = ? AND key = ?')
      .safeIntegers(true)
      .get(client, UTF8.encode(key)) as { version: bigint; value: Buffer } | undefined
    return r === undefined ? undefined : { version: r.version, value: new Uint8Array(r.value) }
  }

  /** What a batch conflicts on (empty: it may be applied as it is). */
  conflicts(client: Uint8Array, kvs: readonly LssKeyValue[]): LssKeyValue[] {
    const out: LssKeyValue[] = []
    for (const kv of kvs) {
      const stored = this._stored(client, kv.key)
      const expected = stored === undefined ? 0n : stored.version + 1n
      if (kv.version !== expected)
        out.push({ key: kv.key, version: stored?.version ?? -1n, value: stored?.value ?? new Uint8Array() })
    }
    return out
  }

  /** Apply a batch checked by `conflicts` (and since replicated), in one transaction. */
  apply(client: Uint8Array, kvs: readonly LssKeyValue[]): void {
    this.sql.atomically(() => {
      const put = this.sql.stmt(
        'INSERT INTO kv (client, key, version, value) VALUES (?, ?, ?, ?) ON CONFLICT (client, key) DO UPDATE SET version = excluded.version, value = excluded.value',
      )
      for (const kv of kvs) put.run(client, UTF8.encode(kv.key), kv.version, kv.value)
    })
  }

  /** A client's keys that start with `prefix` (literally), in UTF-8 byte order. */
  get(client: Uint8Array, prefix: string): LssKeyValue[] {
    const p = UTF8.encode(prefix)
    const rows = this.sql
      .stmt('SELECT key, version, value FROM kv WHERE client = ? AND substr(key, 1, ?) = ? ORDER BY key')
      .safeIntegers(true)
      .all(client, p.length, p) as { key: Buffer; version: bigint; value: Buffer }[]
    return rows.map((r) => ({ key: TEXT.decode(r.key), version: r.version, value: new Uint8Array(r.value) }))
  }
}
