/**
 * The recovery tables of the guardian's database: recovery requests and their states, and each vault's
 * release policy. A request's life: pending → approved (→ released after the delay) | denied | vetoed |
 * expired | locked (too many wrong codes) | superseded (it gave way to a new request: nobody asked after
 * it); pending, approved and released → finished when its maker recovered the vault and said so.
 * A share is released once: never twice. A vault holds a few open requests, who gets a slot is
 * guardian/request-slots.ts's choice, made inside the transaction that records the new one; closed ones
 * are pruned after a retention period. Every state change is a conditional update that fails if the
 * state moved since it was read (the daemon and the CLI write the same rows); every multi-row change is
 * one transaction.
 */

import { toHex } from '../../crypto/bytes.js'
import type { SqliteHandle } from '../../disk/sqlite.js'
import type { RequestState } from '../../p2p/messages.js'
import { duration } from '../../time/durations.js'
import { RequestClosedError, UnknownVaultError } from '../errors.js'
import type { SlotDecision, SlotFull } from '../request-slots.js'
import type { AuditLog } from './audit.js'

export type { RequestState }

export interface RecoveryRequestRow {
  readonly vaultId: Uint8Array
  readonly requestId: Uint8Array
  readonly recoveryKey: Uint8Array
  readonly requester: Uint8Array
  /** The IP address the request came from ('' when unknown). */
  readonly requesterIp: string
  readonly code: string
  readonly state: RequestState
  readonly createdAt: number
  readonly expiresAt: number
  readonly decidedAt: number | null
  readonly releaseAt: number | null
  readonly releasedAt: number | null
  /** Codes typed for it that did not match. */
  readonly wrongCodes: number
  /** Once released: the share envelope sealed to the recovery key, sent again on every poll. */
  readonly sealedShare: Uint8Array | null
}

/** Wrong codes after which a request is locked. */
export const MAX_WRONG_CODES = 5

interface RawRequest {
  vault_id: Buffer
  request_id: Buffer
  recovery_key: Buffer
  requester: Buffer
  requester_ip: string
  code: string
  state: RequestState
  created_at: number
  expires_at: number
  decided_at: number | null
  release_at: number | null
  released_at: number | null
  wrong_codes: number
  sealed_share: Buffer | null
}

const toRequest = (r: RawRequest): RecoveryRequestRow => ({
  vaultId: r.vault_id,
  requestId: r.request_id,
  recoveryKey: r.recovery_key,
  requester: r.requester,
  requesterIp: r.requester_ip,
  code: r.code,
  state: r.state,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  decidedAt: r.decided_at,
  releaseAt: r.release_at,
  releasedAt: r.released_at,
  wrongCodes: r.wrong_codes,
  sealedShare: r.sealed_share,
})

/** What adding a request did: recorded it (closing the one it `replaced`, if any), or refused it. */
export type AddResult =
  | { readonly added: true; readonly replaced?: Uint8Array }
  | { readonly added: false; readonly full: SlotFull }

/** Superseded requests kept per vault (the audit log keeps every one): a stranger's churn stays small. */
const KEEP_SUPERSEDED = 64

const OPEN = "state IN ('pending', 'approved')"
const CLOSED = "state IN ('released', 'denied', 'vetoed', 'superseded', 'expired', 'locked', 'finished')"
/**
 * What a finished recovery closes: every state its maker may still wait on or hear from; never a vetoed
 * one, whose red card (call the owner) stays, as a recovery the owner said is not theirs got the vault.
 */
const FINISHABLE: readonly RequestState[] = ['pending', 'approved', 'released']

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
    if (options.open) where.push(OPEN)
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
      for (const r of due) this._setState(r.vault_id, r.request_id, 'expired', ['pending', 'approved'], now)
    })
  }

  /**
   * Record a new request if `choose`, shown the vault's open requests and those denied since
   * `deniedSince`, gives it a slot; the request it replaces (still pending) is superseded in the same
   * transaction.
   */
  add(
    r: Omit<
      RecoveryRequestRow,
      'state' | 'decidedAt' | 'releaseAt' | 'releasedAt' | 'wrongCodes' | 'sealedShare'
    >,
    deniedSince: number,
    choose: (held: { open: RecoveryRequestRow[]; denied: RecoveryRequestRow[] }) => SlotDecision,
    now: number,
  ): AddResult {
    return this.sql.atomically(() => {
      const rows = (where: string, ...args: unknown[]) =>
        (
          this.sql
            .stmt(`SELECT * FROM recovery_requests WHERE vault_id = ? AND ${where}`)
            .all(r.vaultId, ...args) as RawRequest[]
        ).map(toRequest)
      const slot = choose({
        open: rows(OPEN),
        denied: rows("state = 'denied' AND decided_at >= ?", deniedSince),
      })
      if (!slot.take) return { added: false, full: slot.full }
      if (slot.replaces !== undefined) this._supersede(r.vaultId, slot.replaces, now)
      this.sql
        .stmt(
          `INSERT INTO recovery_requests
             (vault_id, request_id, recovery_key, requester, requester_ip, code, state, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          r.vaultId,
          r.requestId,
          r.recoveryKey,
          r.requester,
          r.requesterIp,
          r.code,
          r.createdAt,
          r.expiresAt,
        )
      this.audit.record(r.vaultId, 'recovery-requested', { request: toHex(r.requestId) }, now)
      return slot.replaces === undefined ? { added: true } : { added: true, replaced: slot.replaces }
    })
  }

  /**
   * Requests of a vault that recovered it since `since` (their share went out here, or their maker said
   * it is done), newest first, at most 64.
   */
  recovered(vaultId: Uint8Array, since: number): RecoveryRequestRow[] {
    const rows = this.sql
      .stmt(
        `SELECT * FROM recovery_requests WHERE vault_id = ? AND state IN ('released', 'finished')
           AND max(coalesce(released_at, 0), coalesce(decided_at, 0)) >= ? ORDER BY created_at DESC LIMIT 64`,
      )
      .all(vaultId, since) as RawRequest[]
    return rows.map(toRequest)
  }

  /** The addresses this vault's requests kept here came from, each once. */
  addressesSeen(vaultId: Uint8Array): string[] {
    return (
      this.sql
        .stmt('SELECT DISTINCT requester_ip FROM recovery_requests WHERE vault_id = ?')
        .all(vaultId) as { requester_ip: string }[]
    ).map((x) => x.requester_ip)
  }

  /** Delete requests closed before `before` (released, denied, vetoed, expired): the audit log keeps them. */
  pruneClosed(before: number): number {
    return this.sql
      .stmt(
        `DELETE FROM recovery_requests WHERE ${CLOSED} AND coalesce(released_at, decided_at, expires_at) < ?`,
      )
      .run(before).changes
  }

  /**
   * A human's decision, durable before anything is released; only from one of the states `from` (what
   * the caller read): RequestClosedError if it moved since.
   */
  decide(
    vaultId: Uint8Array,
    requestId: Uint8Array,
    decision: { approve: boolean; releaseAt: number; from: readonly RequestState[] },
    now: number,
  ): void {
    const { approve, releaseAt, from } = decision
    this.sql.atomically(() => {
      // an approved request lives at least a day past its release, whatever its lifetime had left
      const r = this.sql
        .stmt(
          `UPDATE recovery_requests SET state = ?, decided_at = ?, release_at = ?, expires_at = max(expires_at, ?) WHERE vault_id = ? AND request_id = ? AND state IN (${_list(from)})`,
        )
        .run(
          approve ? 'approved' : 'denied',
          now,
          approve ? releaseAt : null,
          approve ? Math.max(releaseAt, now) + duration('approvedRequestLife') : 0,
          vaultId,
          requestId,
          ...from,
        )
      if (r.changes !== 1) throw new RequestClosedError(this.get(vaultId, requestId)?.state ?? 'expired')
      this.audit.record(
        vaultId,
        approve ? 'recovery-approved' : 'recovery-denied',
        { request: toHex(requestId), ...(approve ? { releaseAt } : {}) },
        now,
      )
    })
  }

  /** A vault-signed veto of one request still open (kept as evidence); false if it was not open. */
  veto(vaultId: Uint8Array, requestId: Uint8Array, veto: Uint8Array, now: number): boolean {
    return this.sql.atomically(() => {
      if (!this._setState(vaultId, requestId, 'vetoed', ['pending', 'approved'], now)) return false
      this.sql
        .stmt('UPDATE recovery_requests SET veto = ? WHERE vault_id = ? AND request_id = ?')
        .run(veto, vaultId, requestId)
      return true
    })
  }

  /**
   * The person who made this request recovered the vault and said so (ceremony/done.ts): it closes,
   * whatever it was waiting for (a released one too: its share is not sent again). The state it left,
   * or undefined if it was closed already.
   */
  finish(vaultId: Uint8Array, requestId: Uint8Array, now: number): RequestState | undefined {
    return this.sql.atomically(() => {
      const before = this.get(vaultId, requestId)?.state
      if (before === undefined || !FINISHABLE.includes(before)) return undefined
      this._setState(vaultId, requestId, 'finished', [before], now)
      this.sql
        .stmt(
          'UPDATE recovery_requests SET decided_at = ?, sealed_share = NULL WHERE vault_id = ? AND request_id = ?',
        )
        .run(now, vaultId, requestId)
      return before
    })
  }

  /**
   * A human typed a code that does not match this pending (or vetoed) request (kept in the audit history); at
   * MAX_WRONG_CODES it is locked. True if this call locked it.
   */
  wrongCode(vaultId: Uint8Array, requestId: Uint8Array, now: number): boolean {
    return this.sql.atomically(() => {
      const r = this.sql
        .stmt(
          "UPDATE recovery_requests SET wrong_codes = wrong_codes + 1 WHERE vault_id = ? AND request_id = ? AND state IN ('pending', 'vetoed') RETURNING wrong_codes",
        )
        .get(vaultId, requestId) as { wrong_codes: number } | undefined
      if (r === undefined) return false
      this.audit.record(vaultId, 'recovery-wrong-code', { request: toHex(requestId) }, now)
      return (
        r.wrong_codes >= MAX_WRONG_CODES && this._setState(vaultId, requestId, 'locked', ['pending'], now)
      )
    })
  }

  /**
   * Mark a request released, once: true if this call did it (the caller then sends the sealed share),
   * false if it was already released or is no longer approved.
   */
  markReleased(vaultId: Uint8Array, requestId: Uint8Array, sealedShare: Uint8Array, now: number): boolean {
    return this.sql.atomically(() => {
      const r = this.sql
        .stmt(
          "UPDATE recovery_requests SET state = 'released', released_at = ?, sealed_share = ? WHERE vault_id = ? AND request_id = ? AND state = 'approved'",
        )
        .run(now, sealedShare, vaultId, requestId)
      if (r.changes === 1) this.audit.record(vaultId, 'share-released', { request: toHex(requestId) }, now)
      return r.changes === 1
    })
  }

  /**
   * Whether `peer` has a live request here (pending, approved or released: it may read the vault's
   * signed head, which freshness needs from more guardians than approve) or, with `approved`, one this
   * guardian's human approved (approved or released: it may read manifests and encrypted chunks).
   * For `vaultId`, or for any vault.
   */
  hasRequest(
    peer: Uint8Array,
    now: number,
    options: { vaultId?: Uint8Array; approved?: boolean } = {},
  ): boolean {
    const states = options.approved ? "('approved', 'released')" : "('pending', 'approved', 'released')"
    const live = `requester = ? AND expires_at > ? AND state IN ${states}`
    const r = options.vaultId
      ? this.sql
          .stmt(`SELECT 1 FROM recovery_requests WHERE ${live} AND vault_id = ?`)
          .get(peer, now, options.vaultId)
      : this.sql.stmt(`SELECT 1 FROM recovery_requests WHERE ${live}`).get(peer, now)
    return r !== undefined
  }

  /** Delete this store's rows of a vault (the caller removes the vault from every store at once). */
  forget(vaultId: Uint8Array): void {
    this.sql.stmt('DELETE FROM recovery_requests WHERE vault_id = ?').run(vaultId)
  }

  /**
   * Close a pending request that gives way to a new one; the oldest superseded rows beyond a few are
   * deleted at once (the audit log keeps them), so churn does not grow the table.
   */
  private _supersede(vaultId: Uint8Array, requestId: Uint8Array, now: number): void {
    const moved = this.sql
      .stmt(
        "UPDATE recovery_requests SET state = 'superseded', decided_at = ? WHERE vault_id = ? AND request_id = ? AND state = 'pending'",
      )
      .run(now, vaultId, requestId)
    // the choice was made on rows read in this transaction: the state cannot have moved since
    if (moved.changes !== 1) throw new RequestClosedError(this.get(vaultId, requestId)?.state ?? 'expired')
    this.audit.record(vaultId, 'recovery-superseded', { request: toHex(requestId) }, now)
    this.sql
      .stmt(
        `DELETE FROM recovery_requests WHERE vault_id = ? AND state = 'superseded' AND request_id NOT IN
           (SELECT request_id FROM recovery_requests WHERE vault_id = ? AND state = 'superseded'
              ORDER BY decided_at DESC LIMIT ?)`,
      )
      .run(vaultId, vaultId, KEEP_SUPERSEDED)
  }

  /** Move a request to `state` if it is in one of `from`; true if it moved (and the audit log says so). */
  private _setState(
    vaultId: Uint8Array,
    requestId: Uint8Array,
    state: RequestState,
    from: readonly RequestState[],
    now: number,
  ): boolean {
    const r = this.sql
      .stmt(
        `UPDATE recovery_requests SET state = ? WHERE vault_id = ? AND request_id = ? AND state IN (${_list(from)})`,
      )
      .run(state, vaultId, requestId, ...from)
    if (r.changes === 1) this.audit.record(vaultId, `recovery-${state}`, { request: toHex(requestId) }, now)
    return r.changes === 1
  }
}

/** SQL placeholders for a list of states. */
const _list = (states: readonly RequestState[]) => states.map(() => '?').join(', ')
