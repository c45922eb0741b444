/**
 * The vault tables of the guardian's database: invites, the vaults kept (roster, epoch, newest head,
 * bytes, last contact, equivocation flag), one share envelope per vault and epoch, and coordinators
 * fenced out by a newer roster. Every multi-row change is one transaction.
 */
import type { SqliteHandle } from '../../disk/sqlite.js'
import { InviteExpiredError, InviteUnknownError, InviteUsedError } from '../../p2p/errors.js'
import { UnknownVaultError } from '../errors.js'
import type { AuditLog } from './audit.js'

export interface InviteRow {
  readonly secretHash: Uint8Array
  readonly label: string
  readonly quota: number
  readonly expiresAt: number
  /** The release delay the vault enrolled with this invite starts with. */
  readonly releaseDelay: number
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
  /** The newest valid signed head seen for the vault (pushed or gossiped), held or not. */
  readonly seenVersion: number
  readonly seenHead: Uint8Array | null
  /** The newest commit certificate held for the vault. */
  readonly certifiedVersion: number
  readonly certificate: Uint8Array | null
  /** A roster without this guardian arrived (its epoch): the data goes at `removeAt` unless kept. */
  readonly removal: { readonly epoch: number; readonly at: number; readonly kept: boolean } | null
  /** The owner's newest chain choice (signed, verified when it came) and the epoch it took effect. */
  readonly choice: Uint8Array | null
  readonly choiceEpoch: number
  /** When this guardian last heard from the vault's coordinator, and from its plugin (ms; null: never). */
  readonly coordinatorHeardAt: number | null
  readonly pluginHeardAt: number | null
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
  seen_version: number
  seen_head: Buffer | null
  certified_version: number
  certificate: Buffer | null
  removal_epoch: number | null
  remove_at: number | null
  kept_at: number | null
  choice: Buffer | null
  choice_epoch: number
  coordinator_heard_at: number | null
  plugin_heard_at: number | null
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
  seenVersion: r.seen_version,
  seenHead: r.seen_head,
  certifiedVersion: r.certified_version,
  certificate: r.certificate,
  removal:
    r.removal_epoch === null
      ? null
      : { epoch: r.removal_epoch, at: r.remove_at ?? 0, kept: r.kept_at !== null },
  choice: r.choice,
  choiceEpoch: r.choice_epoch,
  coordinatorHeardAt: r.coordinator_heard_at,
  pluginHeardAt: r.plugin_heard_at,
})

export class VaultStore {
  constructor(
    private readonly sql: SqliteHandle,
    private readonly audit: AuditLog,
  ) {}

  // ---- invites ----

  createInvite(row: InviteRow, now: number): void {
    this.sql
      .stmt(
        'INSERT INTO invites (secret_hash, label, quota, created_at, expires_at, release_delay) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(row.secretHash, row.label, row.quota, now, row.expiresAt, row.releaseDelay)
    this.audit.record(
      null,
      'invite-created',
      { label: row.label, quota: row.quota, expiresAt: row.expiresAt },
      now,
    )
  }

  /** The invite for this secret hash, if it can still be used. */
  usableInvite(secretHash: Uint8Array, now: number): InviteRow {
    const r = this.sql
      .stmt('SELECT label, quota, expires_at, used_at, release_delay FROM invites WHERE secret_hash = ?')
      .get(secretHash) as
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
  enroll(args: {
    invite: InviteRow
    vaultId: Uint8Array
    label: string
    epoch: number
    roster: Uint8Array
    share: Uint8Array
    now: number
  }): void {
    this.sql.atomically(() => {
      const used = this.sql
        .stmt('UPDATE invites SET used_at = ?, vault_id = ? WHERE secret_hash = ? AND used_at IS NULL')
        .run(args.now, args.vaultId, args.invite.secretHash)
      if (used.changes !== 1) throw new InviteUsedError()
      this.sql
        .stmt(
          `INSERT INTO vaults (vault_id, label, quota, epoch, roster, last_contact, created_at, release_delay)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          args.vaultId,
          args.label,
          args.invite.quota,
          args.epoch,
          args.roster,
          args.now,
          args.now,
          args.invite.releaseDelay,
        )
      this.sql
        .stmt('INSERT INTO shares (vault_id, epoch, envelope) VALUES (?, ?, ?)')
        .run(args.vaultId, args.epoch, args.share)
      this.audit.record(args.vaultId, 'enrolled', { label: args.label, epoch: args.epoch }, args.now)
    })
  }

  /**
   * Adopt a newer roster and this guardian's share of its split, in one transaction. `fenced` is the
   * previous coordinator when the new roster names another one (a recovered node took over): its
   * pushes are refused as FENCED from now on. A coordinator the roster names is never fenced (a later
   * roster naming a fenced one again lifts its fence), and a pending removal is called off.
   */
  updateRoster(
    vaultId: Uint8Array,
    update: {
      epoch: number
      roster: Uint8Array
      share: Uint8Array
      coordinator: Uint8Array | undefined
      fenced?: Uint8Array
    },
    now: number,
  ): void {
    const { epoch, roster, share, fenced, coordinator } = update
    this.sql.atomically(() => {
      if (coordinator !== undefined) {
        const lifted = this.sql
          .stmt('DELETE FROM fenced_coordinators WHERE vault_id = ? AND peer_id = ?')
          .run(vaultId, coordinator)
        if (lifted.changes > 0) this.audit.record(vaultId, 'coordinator-unfenced', { epoch }, now)
      }
      const removal = this.sql
        .stmt(
          'UPDATE vaults SET removal_epoch = NULL, remove_at = NULL, kept_at = NULL WHERE vault_id = ? AND removal_epoch IS NOT NULL',
        )
        .run(vaultId)
      if (removal.changes > 0) this.audit.record(vaultId, 'removal-cancelled', { epoch }, now)
      if (fenced !== undefined) {
        this.sql
          .stmt(
            'INSERT OR REPLACE INTO fenced_coordinators (vault_id, peer_id, epoch, at) VALUES (?, ?, ?, ?)',
          )
          .run(vaultId, fenced, epoch, now)
        this.audit.record(vaultId, 'coordinator-fenced', { epoch }, now)
      }
      this.sql
        .stmt('UPDATE vaults SET epoch = ?, roster = ?, last_contact = ? WHERE vault_id = ?')
        .run(epoch, roster, now, vaultId)
      this.sql
        .stmt('INSERT OR REPLACE INTO shares (vault_id, epoch, envelope) VALUES (?, ?, ?)')
        .run(vaultId, epoch, share)
      this.audit.record(vaultId, 'roster-updated', { epoch }, now)
    })
  }

  /**
   * A roster signed at `epoch` leaves this guardian out: its data is deleted at `removeAt`, not now,
   * unless its human keeps it. A second delivery changes nothing; true if this call scheduled it.
   */
  scheduleRemoval(vaultId: Uint8Array, epoch: number, removeAt: number, now: number): boolean {
    return this.sql.atomically(() => {
      const r = this.sql
        .stmt(
          'UPDATE vaults SET removal_epoch = ?, remove_at = ? WHERE vault_id = ? AND removal_epoch IS NULL',
        )
        .run(epoch, removeAt, vaultId)
      if (r.changes === 1) this.audit.record(vaultId, 'removal-scheduled', { epoch, removeAt }, now)
      return r.changes === 1
    })
  }

  /** This guardian's human keeps a vault its roster dropped: nothing is deleted. False if none pending. */
  keep(vaultId: Uint8Array, now: number): boolean {
    return this.sql.atomically(() => {
      const r = this.sql
        .stmt(
          'UPDATE vaults SET kept_at = ?, remove_at = NULL WHERE vault_id = ? AND removal_epoch IS NOT NULL AND kept_at IS NULL',
        )
        .run(now, vaultId)
      if (r.changes === 1) this.audit.record(vaultId, 'removal-declined', {}, now)
      return r.changes === 1
    })
  }

  /** Vaults whose removal grace period is over (and that nobody kept). */
  dueRemovals(now: number): VaultRow[] {
    const sql = 'SELECT * FROM vaults WHERE remove_at IS NOT NULL AND kept_at IS NULL AND remove_at <= ?'
    return (this.sql.stmt(sql).all(now) as RawVault[]).map(toVault)
  }

  /** Remember a valid signed head (already verified) if it is newer than any seen. */
  noteSeen(vaultId: Uint8Array, version: number, head: Uint8Array): void {
    const sql = 'UPDATE vaults SET seen_version = ?, seen_head = ? WHERE vault_id = ? AND seen_version < ?'
    // a sighting promises nothing to anyone: no fsync of its own (a push's commit, just after it, syncs
    // it along; one lost to a power cut is heard again from the next head)
    this.sql.withoutSync(() => this.sql.stmt(sql).run(version, head, vaultId, version))
  }

  /**
   * Adopt a chain choice (verified, and its set-aside versions already moved): the head becomes the
   * newest version kept (or none), a seen head or certificate off the chosen chain is forgotten, and the
   * equivocation flag is lowered (its evidence stays).
   */
  adoptChoice(
    vaultId: Uint8Array,
    a: {
      choice: Uint8Array
      epoch: number
      head: { version: number; hash: Uint8Array; head: Uint8Array } | undefined
      forgetSeen: boolean
      forgetCertificate: boolean
    },
    now: number,
  ): void {
    this.sql.atomically(() => {
      this.sql
        .stmt('UPDATE vaults SET choice = ?, choice_epoch = ?, equivocation = 0 WHERE vault_id = ?')
        .run(a.choice, a.epoch, vaultId)
      this.sql
        .stmt('UPDATE vaults SET head_version = ?, head_hash = ?, head = ? WHERE vault_id = ?')
        .run(a.head?.version ?? 0, a.head?.hash ?? null, a.head?.head ?? null, vaultId)
      if (a.forgetSeen)
        this.sql
          .stmt('UPDATE vaults SET seen_version = ?, seen_head = ? WHERE vault_id = ?')
          .run(a.head?.version ?? 0, a.head?.head ?? null, vaultId)
      if (a.forgetCertificate)
        this.sql
          .stmt('UPDATE vaults SET certified_version = 0, certificate = NULL WHERE vault_id = ?')
          .run(vaultId)
      this.audit.record(vaultId, 'chain-chosen', { epoch: a.epoch, head: a.head?.version ?? 0 }, now)
    })
  }

  /** Write down that the vault's coordinator (or its plugin) was heard at `at`. No fsync of its own. */
  heard(vaultId: Uint8Array, who: 'coordinator' | 'plugin', at: number): void {
    const column = who === 'coordinator' ? 'coordinator_heard_at' : 'plugin_heard_at'
    this.sql.withoutSync(() =>
      this.sql
        .stmt(`UPDATE vaults SET ${column} = max(coalesce(${column}, 0), ?) WHERE vault_id = ?`)
        .run(at, vaultId),
    )
  }

  /** Keep a verified commit certificate if it is newer than the one held. */
  noteCertificate(vaultId: Uint8Array, version: number, certificate: Uint8Array): void {
    const sql =
      'UPDATE vaults SET certified_version = ?, certificate = ? WHERE vault_id = ? AND certified_version < ?'
    this.sql.stmt(sql).run(version, certificate, vaultId, version)
  }

  /** Delete this store's rows of a vault (the caller removes the vault from every store at once). */
  forget(vaultId: Uint8Array): void {
    for (const table of ['shares', 'fenced_coordinators', 'vaults'])
      this.sql.stmt(`DELETE FROM ${table} WHERE vault_id = ?`).run(vaultId)
  }

  get(vaultId: Uint8Array): VaultRow | undefined {
    const r = this.sql.stmt('SELECT * FROM vaults WHERE vault_id = ?').get(vaultId) as RawVault | undefined
    return r === undefined ? undefined : toVault(r)
  }

  /** What a vault may store here and what it stores: the quota's two numbers, read alone (every entry asks). */
  usage(vaultId: Uint8Array): { quota: number; bytesStored: number } | undefined {
    const r = this.sql.stmt('SELECT quota, bytes_stored FROM vaults WHERE vault_id = ?').get(vaultId) as
      | { quota: number; bytes_stored: number }
      | undefined
    return r === undefined ? undefined : { quota: r.quota, bytesStored: r.bytes_stored }
  }

  require(vaultId: Uint8Array): VaultRow {
    const v = this.get(vaultId)
    if (v === undefined) throw new UnknownVaultError()
    return v
  }

  all(): VaultRow[] {
    return (this.sql.stmt('SELECT * FROM vaults ORDER BY created_at').all() as RawVault[]).map(toVault)
  }

  /** The share envelope of the vault's current epoch. */
  currentShare(vaultId: Uint8Array): Uint8Array | undefined {
    const r = this.sql
      .stmt(
        'SELECT s.envelope FROM shares s JOIN vaults v ON v.vault_id = s.vault_id AND v.epoch = s.epoch WHERE s.vault_id = ?',
      )
      .get(vaultId) as { envelope: Buffer } | undefined
    return r?.envelope
  }

  /** Whether `peer` coordinated this vault before a newer roster fenced it out. */
  isFenced(vaultId: Uint8Array, peer: Uint8Array): boolean {
    const sql = 'SELECT 1 FROM fenced_coordinators WHERE vault_id = ? AND peer_id = ?'
    return this.sql.stmt(sql).get(vaultId, peer) !== undefined
  }

  /** Whether `peer` coordinated any vault here before being fenced out (a cheap pre-check). */
  fencedAnywhere(peer: Uint8Array): boolean {
    return this.sql.stmt('SELECT 1 FROM fenced_coordinators WHERE peer_id = ?').get(peer) !== undefined
  }
}
