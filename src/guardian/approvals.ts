/**
 * The human side of the ceremony at one guardian: find a request, approve it with the code the operator
 * read out, deny it. What `kith guardian approve|deny` do, on the same database as the running daemon,
 * from another process. An approval is durable before anything can be released; release follows after
 * the vault's delay, when the recoverer next polls.
 */
import { toHex } from '../crypto/bytes.js'
import { RequestClosedError, UnknownRequestError, WrongCodeError } from './errors.js'
import type { GuardianStore, RecoveryRequestRow } from './store/index.js'

/** The one request whose id starts with `idPrefix` (hex, at least 4 characters). */
export function findRequest(db: GuardianStore, idPrefix: string): RecoveryRequestRow {
  const want = idPrefix.toLowerCase()
  const matches =
    want.length >= 4 ? db.requests.list().filter((r) => toHex(r.requestId).startsWith(want)) : []
  if (matches.length !== 1) throw new UnknownRequestError(idPrefix)
  return matches[0]!
}

/**
 * A human approves: only with the request's code, only while it waits (a vetoed one only with
 * `overrideVeto`).
 */
export function approveRequest(
  db: GuardianStore,
  idPrefix: string,
  code: string | undefined,
  options: { overrideVeto?: boolean; now?: number } = {},
): RecoveryRequestRow {
  const now = options.now ?? Date.now()
  db.requests.expire(now)
  const r = findRequest(db, idPrefix)
  const open = r.state === 'pending' || (r.state === 'vetoed' && options.overrideVeto === true)
  if (!open) throw new RequestClosedError(r.state)
  if (code === undefined || code !== r.code) {
    db.requests.wrongCode(r.vaultId, r.requestId, now)
    throw new WrongCodeError()
  }
  const vault = db.vaults.require(r.vaultId)
  // no delay: releasable at once, whatever the daemon's clock says (it may differ from this process's)
  db.requests.decide(r.vaultId, r.requestId, true, vault.releaseDelay > 0 ? now + vault.releaseDelay : 0, now)
  return db.requests.get(r.vaultId, r.requestId)!
}

export function denyRequest(db: GuardianStore, idPrefix: string, now = Date.now()): RecoveryRequestRow {
  const r = findRequest(db, idPrefix)
  if (r.state !== 'pending' && r.state !== 'approved' && r.state !== 'vetoed')
    throw new RequestClosedError(r.state)
  db.requests.decide(r.vaultId, r.requestId, false, 0, now)
  return db.requests.get(r.vaultId, r.requestId)!
}
