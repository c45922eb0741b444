/**
 * The guardian's durable state: one SQLite file (docs/format.md §Guardian database) in WAL mode with
 * synchronous=FULL, so a commit that returned is on disk before any receipt is signed. Four stores share
 * one handle: vaults (invites, rosters, shares, fencing), versions (manifests, chunks, receipts,
 * evidence), requests (recovery requests, release policy) and the audit log.
 */
import { SqliteHandle } from '../../disk/sqlite.js'
import { AuditLog } from './audit.js'
import { JournalStore } from './journals.js'
import { LoginStore } from './logins.js'
import { RequestStore } from './requests.js'
import { MIGRATIONS } from './schema.js'
import { VaultStore } from './vaults.js'
import { VersionStore } from './versions.js'

export type { AuditEvent } from './audit.js'
export type { RecoveryRequestRow, RequestState } from './requests.js'
export type { InviteRow, VaultRow } from './vaults.js'
export type { Equivocation, NewVersion } from './versions.js'

export class GuardianStore {
  readonly audit: AuditLog
  readonly vaults: VaultStore
  readonly versions: VersionStore
  readonly requests: RequestStore
  readonly journals: JournalStore
  readonly logins: LoginStore

  private constructor(private readonly sql: SqliteHandle) {
    this.audit = new AuditLog(sql)
    this.vaults = new VaultStore(sql, this.audit)
    this.versions = new VersionStore(sql, this.audit)
    this.requests = new RequestStore(sql, this.audit)
    this.journals = new JournalStore(sql, this.audit)
    this.logins = new LoginStore(sql)
  }

  static open(path: string): GuardianStore {
    return new GuardianStore(SqliteHandle.open(path, MIGRATIONS))
  }

  /** Run `fn` as one transaction across the stores. */
  atomically<T>(fn: () => T): T {
    return this.sql.atomically(fn)
  }

  /** Writes that promise nothing by themselves: no fsync of their own (the next durable commit's). */
  withoutSync<T>(fn: () => T): T {
    return this.sql.withoutSync(fn)
  }

  /**
   * Forget a vault whose signed roster no longer names this guardian, once its grace period is over:
   * its data, shares and requests, in one transaction. Equivocation evidence and the audit log stay.
   */
  removeVault(vaultId: Uint8Array, epoch: number, now: number): void {
    this.sql.atomically(() => {
      this.versions.forget(vaultId)
      this.requests.forget(vaultId)
      this.journals.forget(vaultId)
      this.vaults.forget(vaultId)
      this.audit.record(vaultId, 'vault-removed', { epoch }, now)
    })
  }

  /**
   * Remove a vault whose removal is due and that nobody kept, in one transaction with that check (a
   * `kith guardian keep` from another process wins if it came first). True if it was removed.
   */
  removeIfDue(vaultId: Uint8Array, now: number): boolean {
    return this.sql.atomically(() => {
      const v = this.vaults.get(vaultId)
      if (!v?.removal || v.removal.kept || v.removal.at > now) return false
      this.removeVault(vaultId, v.removal.epoch, now)
      return true
    })
  }

  close(): void {
    this.sql.close()
  }
}
