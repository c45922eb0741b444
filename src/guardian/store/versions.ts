/**
 * The replica tables of the guardian's database: signed manifests with their heads, the chunks they
 * reference, receipts, and equivocation evidence. A version becomes current in one FULL transaction;
 * chunks alone lead to no receipt. Append-only: only retention deletes, and never the newest version.
 */
import type { SqliteHandle } from '../../disk/sqlite.js'
import type { AuditLog } from './audit.js'

export interface NewVersion {
  readonly vaultId: Uint8Array
  readonly version: number
  readonly epoch: number
  readonly hash: Uint8Array
  readonly createdAt: number
  readonly manifest: Uint8Array
  readonly head: Uint8Array
  readonly chunkIds: readonly Uint8Array[]
}

/** What the successor rule needs of a held version (see replica/manifest.ts verifySuccessor). */
export interface HeldLink {
  readonly epoch: number
  readonly version: number
  readonly hash: Uint8Array
}

/** Two signed heads of one version naming different manifests, and both manifests when known. */
export interface Equivocation {
  readonly vaultId: Uint8Array
  readonly version: number
  readonly heldHead: Uint8Array
  readonly offeredHead: Uint8Array
  readonly manifests?: { readonly held: Uint8Array; readonly offered: Uint8Array }
}

export class VersionStore {
  constructor(
    private readonly sql: SqliteHandle,
    private readonly audit: AuditLog,
  ) {}

  private _column(vaultId: Uint8Array, version: number, column: 'bytes' | 'head'): Buffer | undefined {
    const r = this.sql
      .stmt(`SELECT ${column} AS v FROM manifests WHERE vault_id = ? AND version = ?`)
      .get(vaultId, version) as { v: Buffer } | undefined
    return r?.v
  }

  /** A held manifest's bytes. */
  manifest(vaultId: Uint8Array, version: number): Uint8Array | undefined {
    return this._column(vaultId, version, 'bytes')
  }

  /** The signed head of a held version. */
  headOf(vaultId: Uint8Array, version: number): Uint8Array | undefined {
    return this._column(vaultId, version, 'head')
  }

  /** A held version's place in the chain. */
  link(vaultId: Uint8Array, version: number): HeldLink | undefined {
    const r = this.sql
      .stmt('SELECT epoch, version, hash FROM manifests WHERE vault_id = ? AND version = ?')
      .get(vaultId, version) as { epoch: number; version: number; hash: Buffer } | undefined
    return r
  }

  /** Every held version's place in the chain, oldest first. */
  links(vaultId: Uint8Array): HeldLink[] {
    return this.sql
      .stmt('SELECT epoch, version, hash FROM manifests WHERE vault_id = ? ORDER BY version')
      .all(vaultId) as HeldLink[]
  }

  /**
   * Set versions aside (off the owner's chosen chain): their manifests and signed heads move to
   * `set_aside`, kept as evidence; they stop being held, and their chunks no kept version references go.
   * One transaction.
   */
  setAside(vaultId: Uint8Array, versions: readonly number[], now: number): void {
    if (versions.length === 0) return
    this.sql.atomically(() => {
      const copy = this.sql.stmt(
        `INSERT OR IGNORE INTO set_aside (vault_id, version, epoch, hash, created_at, bytes, head, set_aside_at)
           SELECT vault_id, version, epoch, hash, created_at, bytes, head, ? FROM manifests
           WHERE vault_id = ? AND version = ?`,
      )
      for (const v of versions) copy.run(now, vaultId, v)
      const aside = new Set(versions)
      const keep = new Set(
        this.list(vaultId)
          .map((r) => r.version)
          .filter((v) => !aside.has(v)),
      )
      this.prune(vaultId, keep, now)
      this.audit.record(vaultId, 'set-aside', { versions: [...versions] }, now)
    })
  }

  /** The signed heads of the versions set aside by a chain choice, oldest first. */
  setAsideHeads(vaultId: Uint8Array): Uint8Array[] {
    const rows = this.sql
      .stmt('SELECT head FROM set_aside WHERE vault_id = ? ORDER BY version, set_aside_at')
      .all(vaultId) as { head: Buffer }[]
    return rows.map((r) => r.head)
  }

  hasChunk(vaultId: Uint8Array, id: Uint8Array): boolean {
    return this.sql.stmt('SELECT 1 FROM chunks WHERE vault_id = ? AND id = ?').get(vaultId, id) !== undefined
  }

  chunk(vaultId: Uint8Array, id: Uint8Array): Uint8Array | undefined {
    const r = this.sql.stmt('SELECT data FROM chunks WHERE vault_id = ? AND id = ?').get(vaultId, id) as
      | { data: Buffer }
      | undefined
    return r?.data
  }

  /**
   * Store verified chunks (idempotent) in one transaction and count their bytes against the vault.
   * Chunks alone lead to no receipt: they are written without an fsync of their own, and the FULL
   * commit of their version, which fsyncs the WAL, makes them durable with every frame before it.
   */
  putChunks(vaultId: Uint8Array, chunks: readonly { id: Uint8Array; data: Uint8Array }[]): void {
    this.sql.withoutSync(() =>
      this.sql.atomically(() => {
        let added = 0
        const insert = this.sql.stmt(
          'INSERT OR IGNORE INTO chunks (vault_id, id, size, data) VALUES (?, ?, ?, ?)',
        )
        for (const c of chunks) {
          if (insert.run(vaultId, c.id, c.data.length, c.data).changes === 1) added += c.data.length
        }
        this.sql
          .stmt('UPDATE vaults SET bytes_stored = bytes_stored + ? WHERE vault_id = ?')
          .run(added, vaultId)
      }),
    )
  }

  /** Make a version durable and current: manifest, chunk references, head, in one transaction. */
  commit(v: NewVersion, now: number): void {
    this.sql.atomically(() => {
      this.sql
        .stmt(
          `INSERT INTO manifests (vault_id, version, epoch, hash, created_at, size, bytes, head)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(v.vaultId, v.version, v.epoch, v.hash, v.createdAt, v.manifest.length, v.manifest, v.head)
      const ref = this.sql.stmt(
        'INSERT OR IGNORE INTO manifest_chunks (vault_id, version, chunk_id) VALUES (?, ?, ?)',
      )
      for (const id of v.chunkIds) ref.run(v.vaultId, v.version, id)
      this.sql
        .stmt(
          `UPDATE vaults SET head_version = ?, head_hash = ?, head = ?, last_contact = ?,
             bytes_stored = bytes_stored + ? WHERE vault_id = ? AND head_version < ?`,
        )
        .run(v.version, v.hash, v.head, now, v.manifest.length, v.vaultId, v.version)
      this.audit.record(v.vaultId, 'version-stored', { version: v.version }, now)
    })
  }

  /** What a vault uses here: chunks held and their bytes, and the bytes of its manifests. */
  usage(vaultId: Uint8Array): { chunks: number; chunkBytes: number; manifestBytes: number } {
    const c = this.sql
      .stmt('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM chunks WHERE vault_id = ?')
      .get(vaultId) as { n: number; bytes: number }
    const m = this.sql
      .stmt('SELECT coalesce(sum(size), 0) AS bytes FROM manifests WHERE vault_id = ?')
      .get(vaultId) as { bytes: number }
    return { chunks: c.n, chunkBytes: c.bytes, manifestBytes: m.bytes }
  }

  /** Every held version of a vault, for retention. */
  list(vaultId: Uint8Array): { version: number; createdAt: number }[] {
    return this.sql
      .stmt('SELECT version, created_at AS createdAt FROM manifests WHERE vault_id = ? ORDER BY version')
      .all(vaultId) as { version: number; createdAt: number }[]
  }

  /**
   * Delete the versions not in `keep` and then the chunks no kept version references, in one
   * transaction, and count the vault's bytes down. Only the chunks the deleted versions listed are
   * looked at (an index probe each), so a pruning costs what the pruned version held, not what the vault
   * holds. `orphans` sweeps every chunk no version references instead (chunks of interrupted pushes)
   * and recounts the vault's bytes from scratch; `keepChunks` sweeps none: the caller holds the vault's
   * lock, but a catch-up writes its chunks outside it, before its version is committed.
   */
  prune(
    vaultId: Uint8Array,
    keep: ReadonlySet<number>,
    now: number,
    options: { orphans?: boolean; keepChunks?: boolean } = {},
  ): { versions: number; chunks: number } {
    return this.sql.atomically(() => {
      let versions = 0
      let freed = 0
      const candidates: Buffer[] = []
      const sweep = options.keepChunks !== true
      for (const { version } of this.list(vaultId)) {
        if (keep.has(version)) continue
        if (sweep && !options.orphans)
          for (const r of this.sql
            .stmt('SELECT chunk_id FROM manifest_chunks WHERE vault_id = ? AND version = ?')
            .all(vaultId, version) as { chunk_id: Buffer }[])
            candidates.push(r.chunk_id)
        const m = this.sql
          .stmt('SELECT size FROM manifests WHERE vault_id = ? AND version = ?')
          .get(vaultId, version) as { size: number }
        freed += m.size
        for (const table of ['manifests', 'manifest_chunks', 'receipts'])
          this.sql.stmt(`DELETE FROM ${table} WHERE vault_id = ? AND version = ?`).run(vaultId, version)
        versions++
      }
      if (versions === 0 && !options.orphans) return { versions, chunks: 0 }
      let chunks = 0
      if (sweep && options.orphans) {
        chunks = this.sql
          .stmt(
            `DELETE FROM chunks WHERE vault_id = ? AND id NOT IN
               (SELECT chunk_id FROM manifest_chunks WHERE vault_id = ?)`,
          )
          .run(vaultId, vaultId).changes
        // a vault's bytes are its chunks, its manifests and its journals' entries (one quota for all)
        this.sql
          .stmt(
            `UPDATE vaults SET bytes_stored =
                 (SELECT coalesce(sum(size), 0) FROM chunks WHERE vault_id = @v) +
                 (SELECT coalesce(sum(size), 0) FROM manifests WHERE vault_id = @v) +
                 (SELECT coalesce(sum(bytes), 0) FROM streams WHERE vault_id = @v)
               WHERE vault_id = @v`,
          )
          .run({ v: vaultId })
      } else {
        const drop = this.sql.stmt(
          `DELETE FROM chunks WHERE vault_id = ? AND id = ? AND NOT EXISTS
             (SELECT 1 FROM manifest_chunks WHERE vault_id = ? AND chunk_id = ?) RETURNING size`,
        )
        for (const id of candidates) {
          const r = drop.get(vaultId, id, vaultId, id) as { size: number } | undefined
          if (r === undefined) continue
          chunks++
          freed += r.size
        }
        this.sql
          .stmt('UPDATE vaults SET bytes_stored = max(0, bytes_stored - ?) WHERE vault_id = ?')
          .run(freed, vaultId)
      }
      if (versions > 0 || chunks > 0) this.audit.record(vaultId, 'pruned', { versions, chunks }, now)
      return { versions, chunks }
    })
  }

  putReceipt(vaultId: Uint8Array, version: number, receipt: Uint8Array): void {
    this.sql
      .stmt('INSERT OR REPLACE INTO receipts (vault_id, version, receipt) VALUES (?, ?, ?)')
      .run(vaultId, version, receipt)
  }

  receipt(vaultId: Uint8Array, version: number): Uint8Array | undefined {
    const r = this.sql
      .stmt('SELECT receipt FROM receipts WHERE vault_id = ? AND version = ?')
      .get(vaultId, version) as { receipt: Buffer } | undefined
    return r?.receipt
  }

  /**
   * Keep the proof of an equivocation and flag the vault. Recording the same pair twice changes
   * nothing; returns whether this call recorded something new.
   */
  recordEquivocation(e: Equivocation, now: number, flag = true): boolean {
    return this.sql.atomically(() => {
      const r = this.sql
        .stmt(
          `INSERT OR IGNORE INTO equivocations
             (vault_id, version, held_head, offered_head, held_manifest, offered_manifest, detected_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          e.vaultId,
          e.version,
          e.heldHead,
          e.offeredHead,
          e.manifests?.held ?? null,
          e.manifests?.offered ?? null,
          now,
        )
      if (r.changes === 0) return false
      if (flag) this.sql.stmt('UPDATE vaults SET equivocation = 1 WHERE vault_id = ?').run(e.vaultId)
      this.audit.record(e.vaultId, 'equivocation', { version: e.version }, now)
      return true
    })
  }

  /** The signed head pairs proving equivocation in a vault. */
  evidence(vaultId: Uint8Array): { held: Uint8Array; offered: Uint8Array }[] {
    const rows = this.sql
      .stmt('SELECT held_head, offered_head FROM equivocations WHERE vault_id = ?')
      .all(vaultId) as { held_head: Buffer; offered_head: Buffer }[]
    return rows.map((r) => ({ held: r.held_head, offered: r.offered_head }))
  }

  /** Delete this store's rows of a vault, equivocation evidence included (the caller removes the
   * vault from every store at once). */
  forget(vaultId: Uint8Array): void {
    // equivocation evidence stays: proof that two coordinators ran is never deleted by a roster
    for (const table of ['chunks', 'manifest_chunks', 'manifests', 'receipts'])
      this.sql.stmt(`DELETE FROM ${table} WHERE vault_id = ?`).run(vaultId)
  }
}
