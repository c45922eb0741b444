/**
 * The signer store: one SQLite file holding what signers keep with kith (LSS clients' keys, VSS stores'
 * objects), written only by SQL statements that the fronts plan and the core replicates before it runs
 * them (core.ts). A planned batch is statements with their values written in (blobs as X'…' hex), plus
 * the store's transaction counter: `vars.data_version`, as CLN keeps it, so the store is snapshotted,
 * journaled and replayed at recovery exactly as a CLN database is (format.md §Signer store). Applying a
 * batch here and replaying its journal entry on a restored copy run the same text.
 *
 * LSS's rules (lightning-signer/validating-lightning-signer `lightning-storage-server/lssd/src/database/`):
 * a new key at version 0, an existing one at stored + 1; reads by a literal prefix in UTF-8 byte order;
 * one namespace per client key. VSS's (lightningdevkit/vss-server `rust/impls/src/postgres_store.rs`) are
 * in vss-service.ts; its objects keep a creation order (`sort`) for listing, newest first.
 */

import { SqliteHandle } from '../disk/sqlite.js'
import { Database } from '../disk/sqlite-driver.js'
import type { LssKeyValue } from './auth.js'

const MIGRATIONS = [
  `
  CREATE TABLE vars (name TEXT PRIMARY KEY, intval INTEGER NOT NULL);
  INSERT INTO vars (name, intval) VALUES ('data_version', 0), ('vss_sort', 0);
  CREATE TABLE lss_kv (
    client BLOB NOT NULL, key BLOB NOT NULL, version INTEGER NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (client, key)
  );
  CREATE TABLE vss_kv (
    user BLOB NOT NULL, store BLOB NOT NULL, key BLOB NOT NULL, version INTEGER NOT NULL,
    value BLOB NOT NULL, sort INTEGER NOT NULL,
    PRIMARY KEY (user, store, key)
  );
  CREATE INDEX vss_kv_sort ON vss_kv (user, store, sort);
  `,
  // a write larger than one journal entry: its large values, part by part, until its last entry (core.ts)
  `
  CREATE TABLE staged (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
  `,
]

const UTF8 = new TextEncoder()
const TEXT = new TextDecoder()

/** An SQL literal of bytes (X'…') or of an integer: nothing a client sends is ever SQL text. */
const blob = (b: Uint8Array) => `X'${Buffer.from(b).toString('hex')}'`
const int = (n: bigint | number) => {
  const v = BigInt(n)
  if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new RangeError('not a 64-bit integer')
  return v.toString()
}

/** A VSS object as stored. */
export interface VssObject {
  readonly key: string
  readonly version: bigint
  readonly value: Uint8Array
  readonly sort: bigint
}

/** A batch ready to replicate: the position it brings the store to, and the statements that do it. */
export interface PlannedBatch {
  readonly position: number
  readonly statements: readonly string[]
}

export class SignerStore {
  private constructor(private readonly sql: SqliteHandle) {}

  static open(path: string): SignerStore {
    return new SignerStore(SqliteHandle.open(path, MIGRATIONS))
  }

  close(): void {
    this.sql.close()
  }

  private _var(name: string): bigint {
    const r = this.sql.stmt('SELECT intval FROM vars WHERE name = ?').safeIntegers(true).get(name) as
      | { intval: bigint }
      | undefined
    return r?.intval ?? 0n
  }

  /** How many batches the store has taken (CLN's data_version): the journal's position. */
  dataVersion(): number {
    return Number(this._var('data_version'))
  }

  /** The statements of `writes`, as the batch that follows the store's newest. */
  plan(writes: readonly string[]): PlannedBatch {
    const position = this.dataVersion() + 1
    return {
      position,
      statements: [...writes, `UPDATE vars SET intval = ${position} WHERE name = 'data_version'`],
    }
  }

  /** Run a planned (and replicated) batch's statements, in one transaction. */
  apply(batch: PlannedBatch): void {
    this.sql.atomically(() => {
      for (const s of batch.statements) this.sql.db.exec(s)
    })
    if (this.dataVersion() !== batch.position)
      throw new Error('a batch did not bring the store to its position')
  }

  // --- LSS ---

  lssStored(client: Uint8Array, key: string): LssKeyValue | undefined {
    const r = this.sql
      .stmt('SELECT version, value FROM lss_kv WHERE client = ? AND key = ?')
      .safeIntegers(true)
      .get(client, UTF8.encode(key)) as { version: bigint; value: Buffer } | undefined
    return r === undefined ? undefined : { key, version: r.version, value: new Uint8Array(r.value) }
  }

  /** What an LSS batch conflicts on, with what is stored (−1 and no value for a missing key). */
  lssConflicts(client: Uint8Array, kvs: readonly LssKeyValue[]): LssKeyValue[] {
    const out: LssKeyValue[] = []
    for (const kv of kvs) {
      const stored = this.lssStored(client, kv.key)
      const expected = stored === undefined ? 0n : stored.version + 1n
      if (kv.version !== expected)
        out.push({ key: kv.key, version: stored?.version ?? -1n, value: stored?.value ?? new Uint8Array() })
    }
    return out
  }

  /** A client's keys that start with `prefix` (literally), in UTF-8 byte order. */
  lssGet(client: Uint8Array, prefix: string): LssKeyValue[] {
    const p = UTF8.encode(prefix)
    const rows = this.sql
      .stmt('SELECT key, version, value FROM lss_kv WHERE client = ? AND substr(key, 1, ?) = ? ORDER BY key')
      .safeIntegers(true)
      .all(client, p.length, p) as { key: Buffer; version: bigint; value: Buffer }[]
    return rows.map((r) => ({ key: TEXT.decode(r.key), version: r.version, value: new Uint8Array(r.value) }))
  }

  // --- VSS ---

  vssStored(user: string, store: string, key: string): VssObject | undefined {
    const r = this.sql
      .stmt('SELECT version, value, sort FROM vss_kv WHERE user = ? AND store = ? AND key = ?')
      .safeIntegers(true)
      .get(UTF8.encode(user), UTF8.encode(store), UTF8.encode(key)) as
      | { version: bigint; value: Buffer; sort: bigint }
      | undefined
    return r === undefined
      ? undefined
      : { key, version: r.version, value: new Uint8Array(r.value), sort: r.sort }
  }

  /**
   * A store's objects under a literal prefix, newest created first, after the `before` creation order
   * (a page token), at most `limit`; the object `exclude` (VSS's global version record) left out.
   */
  vssList(
    user: string,
    store: string,
    o: { prefix: string; before?: bigint; limit: number; exclude?: string },
  ): VssObject[] {
    const p = UTF8.encode(o.prefix)
    const rows = this.sql
      .stmt(
        'SELECT key, version, sort FROM vss_kv WHERE user = ? AND store = ? AND substr(key, 1, ?) = ? AND sort < ? AND (? IS NULL OR key != ?) ORDER BY sort DESC LIMIT ?',
      )
      .safeIntegers(true)
      .all(
        UTF8.encode(user),
        UTF8.encode(store),
        p.length,
        p,
        o.before ?? 2n ** 63n - 1n,
        o.exclude === undefined ? null : UTF8.encode(o.exclude),
        o.exclude === undefined ? null : UTF8.encode(o.exclude),
        o.limit,
      ) as { key: Buffer; version: bigint; sort: bigint }[]
    return rows.map((r) => ({
      key: TEXT.decode(r.key),
      version: r.version,
      value: new Uint8Array(),
      sort: r.sort,
    }))
  }

  /** The next creation order a batch may give (each new object in it takes the next). */
  vssNextSort(): bigint {
    return this._var('vss_sort') + 1n
  }
}

/** The statement that writes an LSS key at its version. */
export function lssPutStatement(client: Uint8Array, kv: LssKeyValue): string {
  return `INSERT INTO lss_kv (client, key, version, value) VALUES (${blob(client)}, ${blob(UTF8.encode(kv.key))}, ${int(kv.version)}, ${blob(kv.value)}) ON CONFLICT (client, key) DO UPDATE SET version = excluded.version, value = excluded.value`
}

/** The statement that writes a VSS object; `sort` is kept for an update, given for a new object. */
export function vssPutStatement(
  user: string,
  store: string,
  o: { key: string; version: bigint; value: Uint8Array; sort: bigint },
): string {
  return `INSERT INTO vss_kv (user, store, key, version, value, sort) VALUES (${blob(UTF8.encode(user))}, ${blob(UTF8.encode(store))}, ${blob(UTF8.encode(o.key))}, ${int(o.version)}, ${blob(o.value)}, ${int(o.sort)}) ON CONFLICT (user, store, key) DO UPDATE SET version = excluded.version, value = excluded.value`
}

export function vssDeleteStatement(user: string, store: string, key: string): string {
  return `DELETE FROM vss_kv WHERE user = ${blob(UTF8.encode(user))} AND store = ${blob(UTF8.encode(store))} AND key = ${blob(UTF8.encode(key))}`
}

/** The statement that records the creation orders a batch used. */
export function vssSortStatement(last: bigint): string {
  return `UPDATE vars SET intval = ${int(last)} WHERE name = 'vss_sort'`
}

/** What a signer store file holds (read-only; throws if it is not one). */
export function countSignerStore(path: string): {
  dataVersion: number
  lssClients: number
  lssKeys: number
  vssObjects: number
} {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    const one = (sql: string) => Number((db.prepare(sql).pluck().get() as number | bigint | undefined) ?? 0)
    return {
      dataVersion: one("SELECT intval FROM vars WHERE name = 'data_version'"),
      lssClients: one('SELECT count(DISTINCT client) FROM lss_kv'),
      lssKeys: one('SELECT count(*) FROM lss_kv'),
      vssObjects: one('SELECT count(*) FROM vss_kv'),
    }
  } finally {
    db.close()
  }
}
