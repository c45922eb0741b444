/**
 * The human side of the ceremony at one guardian: approve a request with the code the operator read out
 * (the code alone finds it), deny it. What `kith guardian approve|deny` do, on the same database as the
 * running daemon, from another process. Wrong codes are counted and lock a request; every decision is a
 * conditional update of the state it read. An approval is durable before anything can be released;
 * release follows after the vault's delay, when the recoverer next polls.
 */
import { timingSafeEqual } from 'node:crypto'
import { toHex } from '../crypto/bytes.js'
import { AmbiguousCodeError, RequestClosedError, UnknownRequestError, WrongCodeError } from './errors.js'
import type { GuardianStore, RecoveryRequestRow, RequestState } from './store/index.js'

/** The one request whose id starts with `idPrefix` (hex, at least 4 characters). */
export function findRequest(db: GuardianStore, idPrefix: string): RecoveryRequestRow {
  const want = idPrefix.toLowerCase()
  const matches =
    want.length >= 4 ? db.requests.list().filter((r) => toHex(r.requestId).startsWith(want)) : []
  if (matches.length !== 1) throw new UnknownRequestError(idPrefix)
  return matches[0]!
}

const _same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/**
 * A human approves with the code the operator read out: the one open request it belongs to, or, with
 * `idPrefix`, that request only. Only while it waits (a vetoed one only with `overrideVeto`). A code that
 * matches nothing counts as a wrong code against every request it could have been for.
 */
export function approveRequest(
  db: GuardianStore,
  idPrefix: string | undefined,
  code: string | undefined,
  options: { overrideVeto?: boolean; now?: number } = {},
): RecoveryRequestRow {
  const now = options.now ?? Date.now()
  db.requests.expire(now)
  const from: RequestState[] = options.overrideVeto ? ['pending', 'vetoed'] : ['pending']
  let candidates: RecoveryRequestRow[]
  if (idPrefix !== undefined) {
    const r = findRequest(db, idPrefix)
    if (!from.includes(r.state)) throw new RequestClosedError(r.state)
    candidates = [r]
  } else candidates = db.requests.list().filter((r) => from.includes(r.state))
  const matching = code === undefined ? [] : candidates.filter((r) => _same(r.code, code))
  if (matching.length > 1) throw new AmbiguousCodeError(matching.map((r) => toHex(r.requestId)))
  const r = matching[0]
  if (r === undefined) {
    let locked = false
    for (const c of candidates) locked = db.requests.wrongCode(c.vaultId, c.requestId, now) || locked
    throw new WrongCodeError(locked)
  }
  const vault = db.vaults.require(r.vaultId)
  // no delay: releasable at once, whatever the daemon's clock says (it may differ from this process's)
  const releaseAt = vault.releaseDelay > 0 ? now + vault.releaseDelay : 0
  db.requests.decide(r.vaultId, r.requestId, { approve: true, releaseAt, from }, now)
  return db.requests.get(r.vaultId, r.requestId)!
}

export function denyRequest(db: GuardianStore, idPrefix: string, now = Date.now()): RecoveryRequestRow {
  const r = findRequest(db, idPrefix)
  const from: RequestState[] = ['pending', 'approved', 'vetoed']
  if (!from.includes(r.state)) throw new RequestClosedError(r.state)
  db.requests.decide(r.vaultId, r.requestId, { approve: false, releaseAt: 0, from }, now)
  return db.requests.get(r.vaultId, r.requestId)!
}

/**
 * Deny every request still waiting (pending) for these vaults at once: what a friend does when a
 * stranger keeps asking from several networks (each denied network is kept out for an hour). Approved
 * requests stay as they are. Returns the requests denied.
 */
export function denyWaiting(
  db: GuardianStore,
  vaultIds: readonly Uint8Array[],
  now = Date.now(),
): RecoveryRequestRow[] {
  db.requests.expire(now)
  const denied: RecoveryRequestRow[] = []
  for (const vaultId of vaultIds)
    for (const r of db.requests.list({ vaultId, open: true }).filter((x) => x.state === 'pending')) {
      try {
        db.requests.decide(r.vaultId, r.requestId, { approve: false, releaseAt: 0, from: ['pending'] }, now)
        denied.push(db.requests.get(r.vaultId, r.requestId)!)
      } catch (err) {
        // decided meanwhile (approved in another process, or it gave way): left as it is now
        if (!(err instanceof RequestClosedError)) throw err
      }
    }
  return denied
}
