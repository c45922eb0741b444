/**
 * The recovery part of the guardian's database (migration 2): recovery requests and their states, each
 * vault's release policy, and coordinators fenced out by a newer roster. GuardianStore extends this, so
 * callers see one store; every multi-row change is one transaction.
 */
import { SqliteFile } from '../disk/sqlite.js'
import type { VaultRow } from './store.js'

/**
 * A recovery request's life: pending → approved (→ released after the delay) | denied | vetoed;
 * pending → superseded (a newer request for the vault) | expired. Released is final: never twice.
 */
export type RequestState =
  | 'pending'
  | 'approved'
  | 'released'
  | 'denied'
  | 'vetoed'
  | 'superseded'
  | 'expired'

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

export abstract class RecoveryStore extends SqliteFile {
  abstract event(
    vaultId: Uint8Array | null,
    kind: string,
    detail: Record<string, unknown>,
    now?: number,
  ): void
  abstract requireVault(vaultId: Uint8Array): VaultRow

  /** Whether `peer` coordinated this vault before a newer roster fenced it out. */
  isFenced(vaultId: Uint8Array, peer: Uint8Array): boolean {
    return (
      this._stmt('SELECT 1 FROM fenced_coordinators WHERE vault_id = ? AND peer_id = ?').get(
        vaultId,
        peer,
      ) !== undefined
    )
  }

  /** Whether `peer` coordinated any vault here before being fenced out (a cheap pre-check). */
  fencedAnywhere(peer: Uint8Array): boolean {
    return this._stmt('SELECT 1 FROM fenced_coordinators WHERE peer_id = ?').get(peer) !== undefined
  }

  setPolicy(vaultId: Uint8Array, policy: { releaseDelay?: number; requestTtl?: number }, now: number): void {
    this.db.transaction(() => {
      const v = this.requireVault(vaultId)
      const releaseDelay = policy.releaseDelay ?? v.releaseDelay
      const requestTtl = policy.requestTtl ?? v.requestTtl
      this._stmt('UPDATE vaults SET release_delay = ?, request_ttl = ? WHERE vault_id = ?').run(
        releaseDelay,
        requestTtl,
        vaultId,
      )
      this.event(vaultId, 'policy-set', { releaseDelay, requestTtl }, now)
    })()
  }

  request(vaultId: Uint8Array, requestId: Uint8Array): RecoveryRequestRow | undefined {
    const r = this._stmt('SELECT * FROM recovery_requests WHERE vault_id = ? AND request_id = ?').get(
      vaultId,
      requestId,
    ) as RawRequest | undefined
    return r === undefined ? undefined : toRequest(r)
  }

  /** Requests, newest first; with `open`, only those still waiting for a human or for their delay. */
  requests(options: { vaultId?: Uint8Array; open?: boolean } = {}): RecoveryRequestRow[] {
    const where: string[] = []
    const args: unknown[] = []
    if (options.vaultId) {
      where.push('vault_id = ?')
      args.push(options.vaultId)
    }
    if (options.open) where.push("state IN ('pending', 'approved')")
    const sql = `SELECT * FROM recovery_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC`
    return (this._stmt(sql).all(...args) as RawRequest[]).map(toRequest)
  }

  /** Mark requests past their lifetime (and not yet released or decided against) expired. */
  expireRequests(now: number): void {
    this.db.transaction(() => {
      const due = this._stmt(
        "SELECT vault_id, request_id FROM recovery_requests WHERE state IN ('pending', 'approved') AND expires_at <= ?",
      ).all(now) as { vault_id: Buffer; request_id: Buffer }[]
      for (const r of due) this._setState(r.vault_id, r.request_id, 'expired', now)
    })()
  }

  /**
   * Record a new request. One open request per vault: a pending one is superseded by the newer request
   * (a recoverer that restarted has a new key); one already approved is not, so the newer is refused.
   * Returns false if an approved request is in the way.
   */
  addRequest(
    r: Omit<RecoveryRequestRow, 'state' | 'decidedAt' | 'releaseAt' | 'releasedAt'>,
    now: number,
  ): boolean {
    return this.db.transaction(() => {
      const open = this.requests({ vaultId: r.vaultId, open: true })
      if (open.some((o) => o.state === 'approved')) return false
      for (const o of open) this._setState(o.vaultId, o.requestId, 'superseded', now)
      this._stmt(
        `INSERT INTO recovery_requests (vault_id, request_id, recovery_key, requester, code, state, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ).run(r.vaultId, r.requestId, r.recoveryKey, r.requester, r.code, r.createdAt, r.expiresAt)
      this.event(r.vaultId, 'recovery-requested', { request: Buffer.from(r.requestId).toString('hex') }, now)
      return true
    })()
  }

  /** A human's decision, durable before anything is released. */
  decide(vaultId: Uint8Array, requestId: Uint8Array, approve: boolean, releaseAt: number, now: number): void {
    this.db.transaction(() => {
      this._stmt(
        'UPDATE recovery_requests SET state = ?, decided_at = ?, release_at = ? WHERE vault_id = ? AND request_id = ?',
      ).run(approve ? 'approved' : 'denied', now, approve ? releaseAt : null, vaultId, requestId)
      this.event(
        vaultId,
        approve ? 'recovery-approved' : 'recovery-denied',
        { request: Buffer.from(requestId).toString('hex'), ...(approve ? { releaseAt } : {}) },
        now,
      )
    })()
  }

  /** A vault-signed veto of one request (kept as evidence). */
  veto(vaultId: Uint8Array, requestId: Uint8Array, veto: Uint8Array, now: number): void {
    this.db.transaction(() => {
      this._stmt('UPDATE recovery_requests SET veto = ? WHERE vault_id = ? AND request_id = ?').run(
        veto,
        vaultId,
        requestId,
      )
      this._setState(vaultId, requestId, 'vetoed', now)
    })()
  }

  /**
   * Mark a request released, once: true if this call did it (the caller then sends the sealed share),
   * false if it was already released or is no longer approved.
   */
  markReleased(vaultId: Uint8Array, requestId: Uint8Array, now: number): boolean {
    return this.db.transaction(() => {
      const r = this._stmt(
        "UPDATE recovery_requests SET state = 'released', released_at = ? WHERE vault_id = ? AND request_id = ? AND state = 'approved'",
      ).run(now, vaultId, requestId)
      if (r.changes === 1)
        this.event(vaultId, 'share-released', { request: Buffer.from(requestId).toString('hex') }, now)
      return r.changes === 1
    })()
  }

  /**
   * Whether `peer` has a live recovery request here (pending, approved or released), for `vaultId` or
   * for any vault. It may then read the vault's signed heads, manifests and encrypted chunks: all of it
   * is useless without k shares, and reading while the humans decide makes the restore fast.
   */
  hasRequest(peer: Uint8Array, now: number, vaultId?: Uint8Array): boolean {
    const live = "requester = ? AND expires_at > ? AND state IN ('pending', 'approved', 'released')"
    const r = vaultId
      ? this._stmt(`SELECT 1 FROM recovery_requests WHERE ${live} AND vault_id = ?`).get(peer, now, vaultId)
      : this._stmt(`SELECT 1 FROM recovery_requests WHERE ${live}`).get(peer, now)
    return r !== undefined
  }

  /** The share envelope of the vault's current epoch. */
  currentShare(vaultId: Uint8Array): Uint8Array | undefined {
    const r = this._stmt(
      'SELECT s.envelope FROM shares s JOIN vaults v ON v.vault_id = s.vault_id AND v.epoch = s.epoch WHERE s.vault_id = ?',
    ).get(vaultId) as { envelope: Buffer } | undefined
    return r?.envelope
  }

  private _setState(vaultId: Uint8Array, requestId: Uint8Array, state: RequestState, now: number): void {
    this._stmt('UPDATE recovery_requests SET state = ? WHERE vault_id = ? AND request_id = ?').run(
      state,
      vaultId,
      requestId,
    )
    this.event(vaultId, `recovery-${state}`, { request: Buffer.from(requestId).toString('hex') }, now)
  }
}
