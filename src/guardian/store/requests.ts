/**
 * The recovery tables of the guardian's database: recovery requests and their states, and each vault's
 * release policy. A request's life: pending → approved (→ released after the delay) | denied | vetoed;
 * pending → superseded (a newer request for the vault) | expired. Released is final: never twice.
 * Every multi-row change is one transaction.
 */
import type { SqliteHandle } from '../../disk/sqlite.js'
import type { RequestState } from '../../p2p/messages.js'
import { UnknownVaultError } from '../errors.js'
import type { AuditLog } from './audit.js'

export type { RequestState }

export interface RecoveryRequestRow {
  readonly vaultId: Uint8Array
  readonly requestId: Uint8Array
  readonly recoveryKey: Uint8Array
  readonly requester: Uint8Array
  readonly code: string
  readonly state: RequestState
  readonly createdAt: number
  readonly expiresAt: number
  readonly decidedAt: number | null
  readonly releaseAt: number | null
  readonly releasedAt: number | null
}

interface RawRequest {
  vault_id: Buffer
  request_id: Buffer
  recovery_key: Buffer
  requester: Buffer
  code: string
  state: RequestState
  created_at: number
  expires_at: number
  decided_at: number | null
  release_at: number | null
  released_at: number | null
}

const toRequest = (r: RawRequest): RecoveryRequestRow => ({
  vaultId: r.vault_id,
  requestId: r.request_id,
  recoveryKey: r.recovery_key,
  requester: r.requester,
  code: r.code,
  state: r.state,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  decidedAt: r.decided_at,
  releaseAt: r.release_at,
  releasedAt: r.released_at,
})

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

export class RequestStore {
  constructor(
    private readonly sql: SqliteHandle,
    private readonly audit: AuditLog,
  ) {}

  /** Set a vault's release delay and request lifetime (ms); unset ones keep their value. */
  setPolicy(vaultId: Uint8Array, policy: { releaseDelay?: number; requestTtl?: number }, now: number): void {
    this.sql.atomically(() => {
      const v = this.sql
        .stmt('SELECT release_delay, request_ttl FROM vaults WHERE vault_id = ?')
        .get(vaultId) as { release_delay: number; request_ttl: number } | undefined
      if (v === undefined) throw new UnknownVaultError()
      const releaseDelay = policy.releaseDelay ?? v.release_delay
      const requestTtl = policy.requestTtl ?? v.request_ttl
      this.sql
        .stmt('UPDATE vaults SET release_delay = ?, request_ttl = ? WHERE vault_id = ?')
        .run(releaseDelay, requestTtl, vaultId)
      this.audit.record(vaultId, 'policy-set', { releaseDelay, requestTtl }, now)
    })
  }

  get(vaultId: Uint8Array, requestId: Uint8Array): RecoveryRequestRow | undefined {
    const r = this.sql
      .stmt('SELECT * FROM recovery_requests WHERE vault_id = ? AND request_id = ?')
      .get(vaultId, requestId) as RawRequest | undefined
    return r === undefined ? undefined : toRequest(r)
  }

  /** Requests, newest first; with `open`, only those still waiting for a human or for their delay. */
  list(options: { vaultId?: Uint8Array; open?: boolean } = {}): RecoveryRequestRow[] {
    const where: string[] = []
    const args: unknown[] = []
    if (options.vaultId) {
      where.push('vault_id = ?')
      args.push(options.vaultId)
    }
    if (options.open) where.push("state IN ('pending', 'approved')")
    const sql = `SELECT * FROM recovery_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC`
    return (this.sql.stmt(sql).all(...args) as RawRequest[]).map(toRequest)
  }

  /** Mark requests past their lifetime (and not yet released or decided against) expired. */
  expire(now: number): void {
    this.sql.atomically(() => {
      const due = this.sql
        .stmt(
          "SELECT vault_id, request_id FROM recovery_requests WHERE state IN ('pending', 'approved') AND expires_at <= ?",
        )
        .all(now) as { vault_id: Buffer; request_id: Buffer }[]
      for (const r of due) this._setState(r.vault_id, r.request_id, 'expired', now)
    })
  }

  /**
   * Record a new request. One open request per vault: a pending one is superseded by the newer request
   * (a recoverer that restarted has a new key); one already approved is not, so the newer is refused.
   * Returns false if an approved request is in the way.
   */
  add(r: Omit<RecoveryRequestRow, 'state' | 'decidedAt' | 'releaseAt' | 'releasedAt'>, now: number): boolean {
    return this.sql.atomically(() => {
      const open = this.list({ vaultId: r.vaultId, open: true })
      if (open.some((o) => o.state === 'approved')) return false
      for (const o of open) this._setState(o.vaultId, o.requestId, 'superseded', now)
      this.sql
        .stmt(
          `INSERT INTO recovery_requests (vault_id, request_id, recovery_key, requester, code, state, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(r.vaultId, r.requestId, r.recoveryKey, r.requester, r.code, r.createdAt, r.expiresAt)
      this.audit.record(r.vaultId, 'recovery-requested', { request: hex(r.requestId) }, now)
      return true
    })
  }

  /** A human's decision, durable before anything is released. */
  decide(vaultId: Uint8Array, requestId: Uint8Array, approve: boolean, releaseAt: number, now: number): void {
    this.sql.atomically(() => {
      this.sql
        .stmt(
          'UPDATE recovery_requests SET state = ?, decided_at = ?, release_at = ? WHERE vault_id = ? AND request_id = ?',
        )
        .run(approve ? 'approved' : 'denied', now, approve ? releaseAt : null, vaultId, requestId)
      this.audit.record(
        vaultId,
        approve ? 'recovery-approved' : 'recovery-denied',
        { request: hex(requestId), ...(approve ? { releaseAt } : {}) },
        now,
      )
    })
  }

  /** A vault-signed veto of one request (kept as evidence). */
  veto(vaultId: Uint8Array, requestId: Uint8Array, veto: Uint8Array, now: number): void {
    this.sql.atomically(() => {
      this.sql
        .stmt('UPDATE recovery_requests SET veto = ? WHERE vault_id = ? AND request_id = ?')
        .run(veto, vaultId, requestId)
      this._setState(vaultId, requestId, 'vetoed', now)
    })
  }

  /** A human typed a code that does not match (kept in the audit history). */
  wrongCode(vaultId: Uint8Array, requestId: Uint8Array, now: number): void {
    this.audit.record(vaultId, 'recovery-wrong-code', { request: hex(requestId) }, now)
  }

  /**
   * Mark a request released, once: true if this call did it (the caller then sends the sealed share),
   * false if it was already released or is no longer approved.
   */
  markReleased(vaultId: Uint8Array, requestId: Uint8Array, now: number): boolean {
    return this.sql.atomically(() => {
      const r = this.sql
        .stmt(
          "UPDATE recovery_requests SET state = 'released', released_at = ? WHERE vault_id = ? AND request_id = ? AND state = 'approved'",
        )
        .run(now, vaultId, requestId)
      if (r.changes === 1) this.audit.record(vaultId, 'share-released', { request: hex(requestId) }, now)
      return r.changes === 1
    })
  }

  /**
   * Whether `peer` has a live recovery request here (pending, approved or released), for `vaultId` or
   * for any vault. It may then read the vault's signed heads, manifests and encrypted chunks: all of it
   * is useless without k shares, and reading while the humans decide makes the restore fast.
   */
  hasLive(peer: Uint8Array, now: number, vaultId?: Uint8Array): boolean {
    const live = "requester = ? AND expires_at > ? AND state IN ('pending', 'approved', 'released')"
    const r = vaultId
      ? this.sql
          .stmt(`SELECT 1 FROM recovery_requests WHERE ${live} AND vault_id = ?`)
          .get(peer, now, vaultId)
      : this.sql.stmt(`SELECT 1 FROM recovery_requests WHERE ${live}`).get(peer, now)
    return r !== undefined
  }

  /** Delete this store's rows of a vault (the caller removes the vault from every store at once). */
  forget(vaultId: Uint8Array): void {
    this.sql.stmt('DELETE FROM recovery_requests WHERE vault_id = ?').run(vaultId)
  }

  private _setState(vaultId: Uint8Array, requestId: Uint8Array, state: RequestState, now: number): void {
    this.sql
      .stmt('UPDATE recovery_requests SET state = ? WHERE vault_id = ? AND request_id = ?')
      .run(state, vaultId, requestId)
    this.audit.record(vaultId, `recovery-${state}`, { request: hex(requestId) }, now)
  }
}
