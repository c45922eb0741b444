/**
 * The coordinator's durable state: the vault's settings, its guardians (pending until the vault has k),
 * rosters, sources, every version it built (the outbox until W receipts commit it) and the receipts.
 * A version is written here, with its chunks already on disk, before anything is sent.
 */

import { SqliteHandle } from '../disk/sqlite.js'
import { JournalStore } from './journal-store.js'
import { NetStore } from './net-store.js'
import { PaperShareStore } from './paper-share-store.js'
import { MIGRATIONS } from './schema.js'
import type { SourceFacts } from './source-checks.js'
import {
  type GuardianRow,
  type RawGuardian,
  type RawVersion,
  type SealedDataKey,
  type SourceRow,
  toGuardian,
  toVersion,
  type VaultSettings,
  type VersionRow,
} from './store-rows.js'

export type { GuardianRow, SealedDataKey, SourceRow, VaultSettings, VersionRow } from './store-rows.js'

export class CoordinatorStore {
  /** The journals written beside the versions. */
  readonly journals: JournalStore
  /** Where each guardian is now, and whether it answers. */
  readonly net: NetStore
  /** The owner's paper share of each epoch. */
  readonly paper: PaperShareStore

  private constructor(private readonly sql: SqliteHandle) {
    this.journals = new JournalStore(sql)
    this.net = new NetStore(sql)
    this.paper = new PaperShareStore(sql, (kind, detail, now) => this.event(kind, detail, now))
  }

  static open(path: string): CoordinatorStore {
    // undelivered shares are replaced by sealed forms: what is deleted is overwritten
    return new CoordinatorStore(SqliteHandle.open(path, MIGRATIONS, { secureDelete: true }))
  }

  private _stmt(sql: string) {
    return this.sql.stmt(sql)
  }

  /** Run `fn` as one transaction (nested calls become savepoints). */
  atomically<T>(fn: () => T): T {
    return this.sql.atomically(fn)
  }

  close(): void {
    this.sql.close()
  }

  event(kind: string, detail: Record<string, unknown>, now = Date.now()): void {
    this._stmt('INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)').run(
      now,
      kind,
      JSON.stringify(detail),
    )
  }

  // ---- vault ----

  createVault(v: VaultSettings, now: number): void {
    this._stmt(
      'INSERT INTO vault (id, vault_id, name, k, w, epoch, created_at) VALUES (1, ?, ?, ?, ?, ?, ?)',
    ).run(v.vaultId, v.name, v.k, v.w, v.epoch, now)
    this.event('vault-created', { name: v.name, k: v.k, w: v.w }, now)
  }

  settings(): VaultSettings {
    const r = this._stmt('SELECT vault_id, name, k, w, epoch FROM vault WHERE id = 1').get() as {
      vault_id: Buffer
      name: string
      k: number
      w: number
      epoch: number
    }
    return { vaultId: r.vault_id, name: r.name, k: r.k, w: r.w, epoch: r.epoch }
  }

  // ---- guardians and rosters ----

  /** Every guardian, with its newest known addresses (a signed peer record's, else the invite's). */
  guardians(): GuardianRow[] {
    const sql = `SELECT g.*, coalesce(n.addrs, g.addrs) AS addrs, n.unreachable_since, n.path
      FROM guardians g LEFT JOIN guardian_net n ON n.peer_id = g.peer_id ORDER BY g.added_at, g.peer_id`
    return (this._stmt(sql).all() as RawGuardian[]).map(toGuardian)
  }

  addInvitedGuardian(
    g: {
      peerId: Uint8Array
      addrs: readonly string[]
      label: string
      quota: number
      invite: string
      inviteExpires: number
    },
    now: number,
  ): void {
    this._stmt(
      `INSERT INTO guardians (peer_id, addrs, label, quota, invite, invite_expires, added_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(g.peerId, JSON.stringify(g.addrs), g.label, g.quota, g.invite, g.inviteExpires, now)
    this.event('guardian-invited', { label: g.label }, now)
  }

  /**
   * Adopt a new epoch in one transaction: its signed roster, and for each guardian it names, the
   * share envelope to deliver (sealed under the key-encryption key) and its hash. Guardians it does not
   * name stop being members.
   */
  adoptRoster(
    epoch: number,
    roster: Uint8Array,
    shares: ReadonlyMap<string, { readonly sealed: Uint8Array; readonly hash: Uint8Array }>,
    now: number,
    newDataKey?: SealedDataKey,
    choice?: Uint8Array,
    paper?: Uint8Array,
  ): void {
    this.atomically(() => {
      if (paper !== undefined)
        this._stmt('INSERT INTO paper_shares (epoch, sealed) VALUES (?, ?)').run(epoch, paper)
      if (newDataKey !== undefined) this.putDataKey(epoch, newDataKey)
      if (choice !== undefined) {
        this._stmt('INSERT INTO chain_choices (epoch, bytes) VALUES (?, ?)').run(epoch, choice)
        this.event('chain-chosen', { epoch }, now)
      }
      this._stmt('INSERT INTO rosters (epoch, bytes) VALUES (?, ?)').run(epoch, roster)
      this._stmt('UPDATE vault SET epoch = ? WHERE id = 1').run(epoch)
      for (const g of this.guardians()) {
        const share = shares.get(Buffer.from(g.peerId).toString('hex'))
        this._stmt('UPDATE guardians SET member = ?, share = ?, share_hash = ? WHERE peer_id = ?').run(
          share ? 1 : 0,
          share?.sealed ?? null,
          share?.hash ?? null,
          g.peerId,
        )
      }
      this.event('roster', { epoch, guardians: shares.size }, now)
    })
  }

  /** Take over a roster the guardians already hold (a resumed vault): its members hold their shares. */
  importRoster(
    epoch: number,
    roster: Uint8Array,
    guardians: readonly { peerId: Uint8Array; addrs: readonly string[]; label: string }[],
    now: number,
  ): void {
    this.atomically(() => {
      this._stmt('INSERT INTO rosters (epoch, bytes) VALUES (?, ?)').run(epoch, roster)
      for (const g of guardians)
        this._stmt(
          `INSERT INTO guardians (peer_id, addrs, label, quota, member, delivered_epoch, added_at)
           VALUES (?, ?, ?, 0, 1, ?, ?)`,
        ).run(g.peerId, JSON.stringify(g.addrs), g.label, epoch, now)
      this.event('roster-imported', { epoch, guardians: guardians.length }, now)
    })
  }

  /** Mark a version committed without receipts of ours (a resumed vault's newest version). */
  markCommitted(version: number, now: number): void {
    this._stmt('UPDATE versions SET committed_at = ? WHERE version = ? AND committed_at IS NULL').run(
      now,
      version,
    )
  }

  /** SHA-256 of the share envelope a guardian holds for the current epoch (what a drill checks). */
  shareHash(peerId: Uint8Array): Uint8Array | undefined {
    const r = this._stmt('SELECT share_hash FROM guardians WHERE peer_id = ?').get(peerId) as
      | { share_hash: Buffer | null }
      | undefined
    return r?.share_hash ?? undefined
  }

  /** Replace guardians' stored undelivered shares (sealing those an older kith kept in the clear). */
  setShares(sealed: ReadonlyMap<Uint8Array, Uint8Array>): void {
    if (sealed.size === 0) return
    this.atomically(() => {
      for (const [peerId, s] of sealed)
        this._stmt('UPDATE guardians SET share = ? WHERE peer_id = ?').run(s, peerId)
    })
    this.sql.checkpoint()
  }

  /** A guardian acknowledged the roster of `epoch` (and so holds its share): forget the secrets it needed. */
  markDelivered(peerId: Uint8Array, epoch: number, now: number): void {
    this._stmt(
      `UPDATE guardians SET delivered_epoch = ?, share = NULL, invite = NULL, invite_expires = NULL, last_contact = ?
       WHERE peer_id = ?`,
    ).run(epoch, now, peerId)
  }

  /** Store the sealed data key in force from `fromEpoch` on. */
  putDataKey(fromEpoch: number, key: SealedDataKey): void {
    this._stmt('INSERT INTO data_keys (from_epoch, nonce, sealed) VALUES (?, ?, ?)').run(
      fromEpoch,
      key.nonce,
      key.sealed,
    )
  }

  /** The sealed data key in force at `epoch`. */
  dataKeyAt(epoch: number): SealedDataKey & { fromEpoch: number } {
    const r = this._stmt(
      'SELECT from_epoch, nonce, sealed FROM data_keys WHERE from_epoch <= ? ORDER BY from_epoch DESC LIMIT 1',
    ).get(epoch) as { from_epoch: number; nonce: Buffer; sealed: Buffer }
    return { fromEpoch: r.from_epoch, nonce: r.nonce, sealed: r.sealed }
  }

  /** Forget a guardian (after it was told it is no longer one). */
  deleteGuardian(peerId: Uint8Array, now: number): void {
    this._stmt('DELETE FROM guardians WHERE peer_id = ?').run(peerId)
    this.event('guardian-removed', {}, now)
  }

  roster(epoch: number): Uint8Array | undefined {
    return (
      this._stmt('SELECT bytes FROM rosters WHERE epoch = ?').get(epoch) as { bytes: Buffer } | undefined
    )?.bytes
  }

  touchGuardian(peerId: Uint8Array, now: number): void {
    this._stmt('UPDATE guardians SET last_contact = ? WHERE peer_id = ?').run(now, peerId)
  }

  // ---- sources ----

  sources(): SourceRow[] {
    return this._stmt('SELECT name, kind, path FROM sources ORDER BY added_at, name').all() as SourceRow[]
  }

  /** What each source was found to be (coordinator/source-checks.ts), by name. */
  sourceFacts(): Map<string, SourceFacts> {
    const rows = this._stmt('SELECT name, facts FROM sources WHERE facts IS NOT NULL').all() as {
      name: string
      facts: string
    }[]
    return new Map(rows.map((r) => [r.name, JSON.parse(r.facts) as SourceFacts]))
  }

  setSourceFacts(facts: ReadonlyMap<string, SourceFacts>): void {
    this.atomically(() => {
      const set = this._stmt('UPDATE sources SET facts = ? WHERE name = ?')
      for (const [name, f] of facts) set.run(JSON.stringify(f), name)
    })
  }

  addSource(s: SourceRow, now: number): void {
    this._stmt('INSERT INTO sources (name, kind, path, added_at) VALUES (?, ?, ?, ?)').run(
      s.name,
      s.kind,
      s.path,
      now,
    )
    this.event('source-added', { name: s.name, kind: s.kind }, now)
  }

  removeSource(name: string, now: number): boolean {
    const removed = this._stmt('DELETE FROM sources WHERE name = ?').run(name).changes === 1
    if (removed) this.event('source-removed', { name }, now)
    return removed
  }

  /** The newest chain choice this vault signed (sent with every roster), if any. */
  newestChoice(): Uint8Array | undefined {
    const r = this._stmt('SELECT bytes FROM chain_choices ORDER BY epoch DESC LIMIT 1').get() as
      | { bytes: Buffer }
      | undefined
    return r?.bytes
  }

  /** The versions held here from `from` on, oldest first: each one's number and manifest hash. */
  chainFrom(from: number): { version: number; hash: Uint8Array }[] {
    return this._stmt('SELECT version, hash FROM versions WHERE version >= ? ORDER BY version').all(from) as {
      version: number
      hash: Uint8Array
    }[]
  }

  // ---- versions (the outbox) and receipts ----

  newestVersion(): VersionRow | undefined {
    const r = this._stmt('SELECT * FROM versions ORDER BY version DESC LIMIT 1').get() as
      | RawVersion
      | undefined
    return r === undefined ? undefined : toVersion(r)
  }

  version(version: number): VersionRow | undefined {
    const r = this._stmt('SELECT * FROM versions WHERE version = ?').get(version) as RawVersion | undefined
    return r === undefined ? undefined : toVersion(r)
  }

  /**
   * Versions built and not yet committed, oldest first. One older than the newest committed version is
   * superseded, not pending: guardians refuse it as a rollback, and the newer version holds every source
   * as it is now, so it is never sent again (a coordinator killed mid-push can leave one behind).
   */
  outbox(): VersionRow[] {
    return (
      this._stmt(
        `SELECT * FROM versions WHERE committed_at IS NULL AND version >
           (SELECT COALESCE(MAX(version), 0) FROM versions WHERE committed_at IS NOT NULL) ORDER BY version`,
      ).all() as RawVersion[]
    ).map(toVersion)
  }

  newestCommitted(): VersionRow | undefined {
    const r = this._stmt(
      'SELECT * FROM versions WHERE committed_at IS NOT NULL ORDER BY version DESC LIMIT 1',
    ).get() as RawVersion | undefined
    return r === undefined ? undefined : toVersion(r)
  }

  addVersion(v: Omit<VersionRow, 'committedAt'>): void {
    this._stmt(
      'INSERT INTO versions (version, epoch, hash, manifest, created_at) VALUES (?, ?, ?, ?, ?)',
    ).run(v.version, v.epoch, v.hash, v.manifest, v.createdAt)
    this.event('version-built', { version: v.version }, v.createdAt)
  }

  /** Record a verified receipt; commit the version once `quorum` guardians hold it. Returns the count. */
  addReceipt(version: number, peerId: Uint8Array, receipt: Uint8Array, quorum: number, now: number): number {
    return this.atomically(() => {
      this._stmt('INSERT OR IGNORE INTO deliveries (version, peer_id, receipt, at) VALUES (?, ?, ?, ?)').run(
        version,
        peerId,
        receipt,
        now,
      )
      const n = (
        this._stmt('SELECT count(*) AS n FROM deliveries WHERE version = ?').get(version) as { n: number }
      ).n
      if (n >= quorum) {
        const r = this._stmt(
          'UPDATE versions SET committed_at = ? WHERE version = ? AND committed_at IS NULL',
        ).run(now, version)
        if (r.changes === 1) this.event('version-committed', { version, receipts: n }, now)
      }
      return n
    })
  }

  /** The newest events of these kinds (at most 20), newest first; `detail` is their JSON. */
  eventsOf(...kinds: string[]): { kind: string; at: number; detail: string }[] {
    const which = kinds.map(() => '?').join(', ')
    const sql = `SELECT kind, at, detail FROM events WHERE kind IN (${which}) ORDER BY seq DESC LIMIT 20`
    return this._stmt(sql).all(...kinds) as { kind: string; at: number; detail: string }[]
  }

  /** Every verified receipt for a version (what its commit certificate bundles). */
  receiptsOf(version: number): Uint8Array[] {
    const rows = this._stmt('SELECT receipt FROM deliveries WHERE version = ? ORDER BY peer_id').all(
      version,
    ) as {
      receipt: Buffer
    }[]
    return rows.map((r) => r.receipt)
  }

  /** The newest version each guardian has a receipt for. */
  receiptedVersions(): Map<string, number> {
    const rows = this._stmt('SELECT peer_id, max(version) AS v FROM deliveries GROUP BY peer_id').all() as {
      peer_id: Buffer
      v: number
    }[]
    return new Map(rows.map((r) => [r.peer_id.toString('hex'), r.v]))
  }
}
