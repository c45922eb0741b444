/**
 * The guardian's durable state: one SQLite file in WAL mode with synchronous=FULL, so a commit that
 * returned is on disk before any receipt is signed. Every multi-row change is one transaction, so
 * nothing half-written is ever visible. Append-only for vault data: only retention deletes.
 */

import { SqliteFile } from '../disk/sqlite.js'
import { InviteExpiredError, InviteUnknownError, InviteUsedError } from '../p2p/errors.js'
import { UnknownVaultError } from './errors.js'
import { RecoveryStore } from './recovery-store.js'
import { MIGRATIONS } from './schema.js'

export type { RecoveryRequestRow, RequestState } from './recovery-store.js'

export interface InviteRow {
  readonly secretHash: Uint8Array
  readonly label: string
  readonly quota: number
  readonly expiresAt: number
  /** The release delay the vault enrolled with this invite starts with. */
  readonly releaseDelay?: number
}

export interface VaultRow {
  readonly vaultId: Uint8Array
  readonly label: string
  readonly quota: number
  readonly epoch: number
  readonly roster: Uint8Array
  readonly headVersion: number
  readonly headHash: Uint8Array | null
  readonly head: Uint8Array | null
  readonly bytesStored: number
  readonly lastContact: number
  readonly equivocation: boolean
  /** Release policy: time between a human's approval and the share's release; request lifetime. */
  readonly releaseDelay: number
  readonly requestTtl: number
}

interface RawVault {
  vault_id: Buffer
  label: string
  quota: number
  epoch: number
  roster: Buffer
  head_version: number
  head_hash: Buffer | null
  head: Buffer | null
  bytes_stored: number
  last_contact: number
  equivocation: number
  release_delay: number
  request_ttl: number
}

const toVault = (r: RawVault): VaultRow => ({
  vaultId: r.vault_id,
  label: r.label,
  quota: r.quota,
  epoch: r.epoch,
  roster: r.roster,
  headVersion: r.head_version,
  headHash: r.head_hash,
  head: r.head,
  bytesStored: r.bytes_stored,
  lastContact: r.last_contact,
  equivocation: r.equivocation !== 0,
  releaseDelay: r.release_delay,
  requestTtl: r.request_ttl,
})

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

export class GuardianStore extends RecoveryStore {
  static open(path: string): GuardianStore {
    return new GuardianStore(SqliteFile.openDatabase(path, MIGRATIONS))
  }

  event(vaultId: Uint8Array | null, kind: string, detail: Record<string, unknown>, now = Date.now()): void {
    this._stmt('INSERT INTO events (at, vault_id, kind, detail) VALUES (?, ?, ?, ?)').run(
      now,
      vaultId,
      kind,
      JSON.stringify(detail),
    )
  }

  // ---- invites ----

  createInvite(row: InviteRow, now: number): void {
    this._stmt(
      'INSERT INTO invites (secret_hash, label, quota, created_at, expires_at, release_delay) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(row.secretHash, row.label, row.quota, now, row.expiresAt, row.releaseDelay ?? 0)
    this.event(null, 'invite-created', { label: row.label, quota: row.quota, expiresAt: row.expiresAt }, now)
  }

  /** The invite for this secret hash, if it can still be used. */
  usableInvite(secretHash: Uint8Array, now: number): InviteRow {
    const r = this._stmt(
      'SELECT label, quota, expires_at, used_at, release_delay FROM invites WHERE secret_hash = ?',
    ).get(secretHash) as
      | { label: string; quota: number; expires_at: number; used_at: number | null; release_delay: number }
      | undefined
    if (r === undefined) throw new InviteUnknownError()
    if (r.used_at !== null) throw new InviteUsedError()
    if (r.expires_at <= now) throw new InviteExpiredError()
    return {
      secretHash,
      label: r.label,
      quota: r.quota,
      expiresAt: r.expires_at,
      releaseDelay: r.release_delay,
    }
  }

  // ---- vaults ----

  /** Bind an invite to a new vault: mark it used and store roster and share, in one transaction. */
  enrollVault(args: {
    invite: InviteRow
    vaultId: Uint8Array
    label: string
    epoch: number
    roster: Uint8Array
    share: Uint8Array
    now: number
  }): void {
    this.db.transaction(() => {
      const used = this._stmt(
        'UPDATE invites SET used_at = ?, vault_id = ? WHERE secret_hash = ? AND used_at IS NULL',
      ).run(args.now, args.vaultId, args.invite.secretHash)
      if (used.changes !== 1) throw new InviteUsedError()
      this._stmt(
        `INSERT INTO vaults (vault_id, label, quota, epoch, roster, last_contact, created_at, release_delay)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        args.vaultId,
        args.label,
        args.invite.quota,
        args.epoch,
        args.roster,
        args.now,
        args.now,
        args.invite.releaseDelay ?? 0,
      )
      this._stmt('INSERT INTO shares (vault_id, epoch, envelope) VALUES (?, ?, ?)').run(
        args.vaultId,
        args.epoch,
        args.share,
      )
      this.event(args.vaultId, 'enrolled', { label: args.label, epoch: args.epoch }, args.now)
    })()
  }

  /**
   * Adopt a newer roster and this guardian's share of its split, in one transaction. `fenced` is the
   * previous coordinator when the new roster names another one (a recovered node took over): its
   * pushes are refused as FENCED from now on.
   */
  updateRoster(
    vaultId: Uint8Array,
    epoch: number,
    roster: Uint8Array,
    share: Uint8Array,
    now: number,
    fenced?: Uint8Array,
  ): void {
    this.db.transaction(() => {
      if (fenced !== undefined) {
        this._stmt(
          'INSERT OR REPLACE INTO fenced_coordinators (vault_id, peer_id, epoch, at) VALUES (?, ?, ?, ?)',
        ).run(vaultId, fenced, epoch, now)
        this.event(vaultId, 'coordinator-fenced', { epoch }, now)
      }
      this._stmt('UPDATE vaults SET epoch = ?, roster = ?, last_contact = ? WHERE vault_id = ?').run(
        epoch,
        roster,
        now,
        vaultId,
      )
      this._stmt('INSERT OR REPLACE INTO shares (vault_id, epoch, envelope) VALUES (?, ?, ?)').run(
        vaultId,
        epoch,
        share,
      )
      this.event(vaultId, 'roster-updated', { epoch }, now)
    })()
  }

  /** Forget a vault whose signed roster no longer names this guardian: all its data, in one transaction.
   * The audit log keeps the fact. */
  removeVault(vaultId: Uint8Array, epoch: number, now: number): void {
    this.db.transaction(() => {
      for (const table of [
        'chunks',
        'manifest_chunks',
        'manifests',
        'receipts',
        'shares',
        'equivocations',
        'recovery_requests',
        'fenced_coordinators',
        'vaults',
      ]) {
        this._stmt(`DELETE FROM ${table} WHERE vault_id = ?`).run(vaultId)
      }
      this.event(vaultId, 'vault-removed', { epoch }, now)
    })()
  }

  vault(vaultId: Uint8Array): VaultRow | undefined {
    const r = this._stmt('SELECT * FROM vaults WHERE vault_id = ?').get(vaultId) as RawVault | undefined
    return r === undefined ? undefined : toVault(r)
  }

  requireVault(vaultId: Uint8Array): VaultRow {
    const v = this.vault(vaultId)
    if (v === undefined) throw new UnknownVaultError()
    return v
  }

  vaults(): VaultRow[] {
    return (this._stmt('SELECT * FROM vaults ORDER BY created_at').all() as RawVault[]).map(toVault)
  }

  // ---- manifests and chunks ----

  private _manifestColumn(
    vaultId: Uint8Array,
    version: number,
    column: 'bytes' | 'head' | 'hash',
  ): Buffer | undefined {
    const r = this._stmt(`SELECT ${column} AS v FROM manifests WHERE vault_id = ? AND version = ?`).get(
      vaultId,
      version,
    ) as { v: Buffer } | undefined
    return r?.v
  }

  /** A held manifest's bytes. */
  manifest(vaultId: Uint8Array, version: number): Uint8Array | undefined {
    return this._manifestColumn(vaultId, version, 'bytes')
  }

  /** The signed head of a held version. */
  headOf(vaultId: Uint8Array, version: number): Uint8Array | undefined {
    return this._manifestColumn(vaultId, version, 'head')
  }

  manifestHash(vaultId: Uint8Array, version: number): Uint8Array | undefined {
    return this._manifestColumn(vaultId, version, 'hash')
  }

  hasChunk(vaultId: Uint8Array, id: Uint8Array): boolean {
    return this._stmt('SELECT 1 FROM chunks WHERE vault_id = ? AND id = ?').get(vaultId, id) !== undefined
  }

  chunk(vaultId: Uint8Array, id: Uint8Array): Uint8Array | undefined {
    const r = this._stmt('SELECT data FROM chunks WHERE vault_id = ? AND id = ?').get(vaultId, id) as
      | { data: Buffer }
      | undefined
    return r?.data
  }

  /** Store one verified chunk (idempotent) and count its bytes against the vault. */
  /**
   * Store verified chunks (idempotent) in one transaction and count their bytes against the vault.
   * Chunks alone lead to no receipt: they are written without an fsync of their own, and the FULL
   * commit of their version, which fsyncs the WAL, makes them durable with every frame before it.
   */
  putChunks(vaultId: Uint8Array, chunks: readonly { id: Uint8Array; data: Uint8Array }[]): void {
    this.db.pragma('synchronous = NORMAL')
    try {
      this.atomically(() => {
        let added = 0
        const insert = this._stmt(
          'INSERT OR IGNORE INTO chunks (vault_id, id, size, data) VALUES (?, ?, ?, ?)',
        )
        for (const c of chunks) {
          if (insert.run(vaultId, c.id, c.data.length, c.data).changes === 1) added += c.data.length
        }
        this._stmt('UPDATE vaults SET bytes_stored = bytes_stored + ? WHERE vault_id = ?').run(added, vaultId)
      })
    } finally {
      this.db.pragma('synchronous = FULL')
    }
  }

  /** Make a version durable and current: manifest, chunk references, head, in one transaction. */
  commitVersion(v: NewVersion, now: number): void {
    this.db.transaction(() => {
      this._stmt(
        `INSERT INTO manifests (vault_id, version, epoch, hash, created_at, size, bytes, head)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(v.vaultId, v.version, v.epoch, v.hash, v.createdAt, v.manifest.length, v.manifest, v.head)
      const ref = this._stmt(
        'INSERT OR IGNORE INTO manifest_chunks (vault_id, version, chunk_id) VALUES (?, ?, ?)',
      )
      for (const id of v.chunkIds) ref.run(v.vaultId, v.version, id)
      this._stmt(
        `UPDATE vaults SET head_version = ?, head_hash = ?, head = ?, last_contact = ?,
           bytes_stored = bytes_stored + ? WHERE vault_id = ? AND head_version < ?`,
      ).run(v.version, v.hash, v.head, now, v.manifest.length, v.vaultId, v.version)
      this.event(v.vaultId, 'version-stored', { version: v.version }, now)
    })()
  }

  /** Every held version of a vault, for retention. */
  versions(vaultId: Uint8Array): { version: number; createdAt: number }[] {
    return this._stmt(
      'SELECT version, created_at AS createdAt FROM manifests WHERE vault_id = ? ORDER BY version',
    ).all(vaultId) as { version: number; createdAt: number }[]
  }

  /**
   * Delete the versions not in `keep` and then every chunk no kept version references, in one
   * transaction, and recount the vault's bytes. Chunks are only swept when a version went, or when
   * `orphans` asks for it (chunks of interrupted pushes). The caller holds the vault's lock, so no
   * push is mid-way.
   */
  prune(
    vaultId: Uint8Array,
    keep: ReadonlySet<number>,
    now: number,
    options: { orphans?: boolean } = {},
  ): { versions: number; chunks: number } {
    return this.db.transaction(() => {
      let versions = 0
      for (const { version } of this.versions(vaultId)) {
        if (keep.has(version)) continue
        for (const table of ['manifests', 'manifest_chunks', 'receipts']) {
          this._stmt(`DELETE FROM ${table} WHERE vault_id = ? AND version = ?`).run(vaultId, version)
        }
        versions++
      }
      if (versions === 0 && !options.orphans) return { versions, chunks: 0 }
      const chunks = this._stmt(
        `DELETE FROM chunks WHERE vault_id = ? AND id NOT IN
           (SELECT chunk_id FROM manifest_chunks WHERE vault_id = ?)`,
      ).run(vaultId, vaultId).changes
      this._stmt(
        `UPDATE vaults SET bytes_stored =
             (SELECT coalesce(sum(size), 0) FROM chunks WHERE vault_id = @v) +
             (SELECT coalesce(sum(size), 0) FROM manifests WHERE vault_id = @v)
           WHERE vault_id = @v`,
      ).run({ v: vaultId })
      if (versions > 0 || chunks > 0) this.event(vaultId, 'pruned', { versions, chunks }, now)
      return { versions, chunks }
    })()
  }

  putReceipt(vaultId: Uint8Array, version: number, receipt: Uint8Array): void {
    this._stmt('INSERT OR REPLACE INTO receipts (vault_id, version, receipt) VALUES (?, ?, ?)').run(
      vaultId,
      version,
      receipt,
    )
  }

  receipt(vaultId: Uint8Array, version: number): Uint8Array | undefined {
    const r = this._stmt('SELECT receipt FROM receipts WHERE vault_id = ? AND version = ?').get(
      vaultId,
      version,
    ) as { receipt: Buffer } | undefined
    return r?.receipt
  }

  /**
   * Keep the proof of an equivocation (two vault-signed heads of one version, and both manifests when
   * known) and flag the vault. Recording the same pair twice changes nothing.
   */
  recordEquivocation(
    e: { vaultId: Uint8Array; version: number; heldHead: Uint8Array; offeredHead: Uint8Array },
    manifests: { held: Uint8Array; offered: Uint8Array } | undefined,
    now: number,
  ): void {
    this.db.transaction(() => {
      const r = this._stmt(
        `INSERT OR IGNORE INTO equivocations
           (vault_id, version, held_head, offered_head, held_manifest, offered_manifest, detected_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        e.vaultId,
        e.version,
        e.heldHead,
        e.offeredHead,
        manifests?.held ?? null,
        manifests?.offered ?? null,
        now,
      )
      if (r.changes === 0) return
      this._stmt('UPDATE vaults SET equivocation = 1 WHERE vault_id = ?').run(e.vaultId)
      this.event(e.vaultId, 'equivocation', { version: e.version }, now)
    })()
  }

  /** The signed head pairs proving equivocation in a vault. */
  evidence(vaultId: Uint8Array): { held: Uint8Array; offered: Uint8Array }[] {
    const rows = this._stmt('SELECT held_head, offered_head FROM equivocations WHERE vault_id = ?').all(
      vaultId,
    ) as {
      held_head: Buffer
      offered_head: Buffer
    }[]
    return rows.map((r) => ({ held: r.held_head, offered: r.offered_head }))
  }
}
