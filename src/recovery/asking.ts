/**
 * Asking the guardians (docs/format.md §Recovery request), from the recovering side: one poll of one
 * guardian with the one-time recovery key, what its answer means, and the roster it shows once its human
 * approved (which names the guardians the kit did not). A "not now" refusal (too many requests, rate
 * limits, busy) is never taken as an answer: the recoverer keeps asking.
 */
import { openRelease } from '../ceremony/release.js'
import { openCode } from '../ceremony/request.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import { KithError } from '../errors.js'
import { type RecoveryReply, requestRecovery } from '../p2p/client.js'
import { isRemote } from '../p2p/errors.js'
import { openAddressRecord } from '../p2p/peer-records.js'
import { peerIdFromBytes } from '../p2p/peers.js'
import { WrongVaultError } from '../replica/errors.js'
import { openRoster, type Roster } from '../replica/roster.js'
import { ShareMismatchError } from '../shares/errors.js'
import { openShareEnvelope } from '../shares/share-envelope.js'
import { cleanText } from '../text.js'
import { duration } from '../time/durations.js'
import { sleep } from '../time/sleep.js'
import type { RecoveryContext, Tracked } from './context.js'

/** States after which a guardian is not asked again. */
export const FINAL = new Set(['released', 'denied', 'vetoed', 'superseded', 'expired', 'locked', 'refused'])
/** Refusals that say "not now" rather than "no". */
const TRANSIENT = new Set(['TOO_MANY_REQUESTS', 'RATE_LIMITED', 'GUARDIAN_BUSY'])

/** Ask one guardian once, and take in what it answers. */
export async function poll(ctx: RecoveryContext, t: Tracked): Promise<void> {
  let reply: RecoveryReply
  try {
    reply = await requestRecovery(await ctx.node(), t, ctx.opts.vaultId, ctx.recoveryKey.publicKey, {
      signal: AbortSignal.timeout(duration('askRecovery')),
      log: ctx.p2pLog,
    })
  } catch (err) {
    _failed(ctx, t, err)
    return
  }
  // the guardian's code, sealed to our recovery key: only this run can read it out. Read once: it is
  // only announced, and each read is an ECDH, every poll of every guardian still waiting for its human
  const code =
    !t.announced && reply.sealedCode !== undefined
      ? openCode(ctx.recoveryKey.secretKey, ctx.requestId, reply.sealedCode)
      : undefined
  // announced once the guardian took the request: with its code (pending), or without (already decided)
  if (!t.announced && (code !== undefined || reply.state !== 'pending'))
    ctx.say({
      event: 'request-sent',
      guardian: t.label,
      peerId: peerIdFromBytes(t.peerId).toString(),
      request: toHex(ctx.requestId),
      code: code ?? '',
    })
  t.announced ||= code !== undefined || reply.state !== 'pending'
  t.reachable = true
  t.waiting = undefined
  if (reply.roster !== undefined) adoptRoster(ctx, t, reply.roster)
  if (reply.addresses !== undefined) await adoptAddresses(ctx, t, reply.addresses)
  if (reply.sealedShare !== undefined && t.share === undefined && !_takeShare(ctx, t, reply.sealedShare))
    return
  if (reply.state !== t.state) {
    if (reply.state === 'approved')
      ctx.say({ event: 'approved', guardian: t.label, releaseAt: reply.releaseAt ?? 0 })
    else if (reply.state !== 'pending' && reply.state !== 'released')
      ctx.say({ event: 'denied', guardian: t.label, state: reply.state })
    t.state = reply.state
  }
}

/**
 * Poll every guardian of `targets()` still open, then ask `done()` for an answer; again every poll
 * interval. Undefined once none is left open, or at the deadline (or abort): the caller says which.
 */
export async function pollUntil<T>(
  ctx: RecoveryContext,
  targets: () => Iterable<Tracked>,
  done: () => Promise<T | undefined> | T | undefined,
): Promise<T | undefined> {
  const open = () => [...targets()].filter((t) => !FINAL.has(t.state ?? ''))
  for (;;) {
    await Promise.all(open().map((t) => poll(ctx, t)))
    const answer = await done()
    if (answer !== undefined) return answer
    if (open().length === 0 || pastDeadline(ctx)) return undefined
    await sleep(ctx.opts.pollMs ?? duration('recoveryPoll'), ctx.opts.signal)
  }
}

/** Waiting for humans is over: the deadline passed or the recovery was aborted. */
export const pastDeadline = (ctx: RecoveryContext): boolean =>
  Date.now() > ctx.deadline || ctx.opts.signal?.aborted === true

function _failed(ctx: RecoveryContext, t: Tracked, err: unknown): void {
  if (isRemote(err) && TRANSIENT.has(err.remoteCode)) {
    // busy with other requests (perhaps a stranger's): keep asking, this is not an answer. Said once
    // until it answers: a refused try costs our network a token there, so RATE_LIMITED comes next
    if (t.waiting === undefined)
      ctx.say({ event: 'waiting', guardian: t.label, code: err.remoteCode, error: err.message })
    t.waiting = err.remoteCode
    t.reachable = true
  } else if (isRemote(err)) {
    // the guardian answered with a refusal (e.g. it does not keep this vault): final for this run
    if (t.state !== 'refused')
      ctx.say({ event: 'refused', guardian: t.label, code: err.remoteCode, error: err.message })
    t.state = 'refused'
    t.reachable = true
  } else if (t.reachable !== false) {
    t.reachable = false
    ctx.say({
      event: 'unreachable',
      guardian: t.label,
      peerId: peerIdFromBytes(t.peerId).toString(),
      error: err instanceof KithError ? err.message : String(err),
    })
  }
}

/** Open a released share; false (and the guardian refused for this run) if it does not verify. */
function _takeShare(ctx: RecoveryContext, t: Tracked, sealed: Uint8Array): boolean {
  try {
    const envelope = openShareEnvelope(openRelease(ctx.recoveryKey.secretKey, ctx.requestId, sealed))
    if (!equalBytes(envelope.vaultId, ctx.opts.vaultId)) throw new ShareMismatchError('vault', envelope.x)
    t.share = envelope.bytes
    t.shareEpoch = envelope.epoch
    t.shareX = envelope.x
    const have = [...ctx.targets.values()].filter((x) => x.share).length
    ctx.say({ event: 'share-received', guardian: t.label, have, need: envelope.k })
    return true
  } catch (err) {
    // a release that does not open or verify: this guardian's share is unusable for this request
    ctx.distrust(t, 'share', err)
    t.state = 'refused'
    return false
  }
}

/**
 * Where the guardians are now, from an approving guardian: each verified record newer than what is known
 * puts its addresses first, so a guardian that moved since the kit was printed is still found.
 */
async function adoptAddresses(
  ctx: RecoveryContext,
  from: Tracked,
  records: readonly { record: Uint8Array }[],
): Promise<void> {
  for (const { record } of records) {
    const r = await openAddressRecord(record)
    // each record is signed by the guardian it names: one that does not verify was made up by `from`
    if (r === undefined)
      ctx.distrust(from, 'address-record', {
        code: 'BAD_SIGNATURE',
        reason: 'an address record not signed by the guardian it names',
      })
    const t = r && ctx.targets.get(toHex(r.peerId))
    if (r === undefined || t === undefined || r.seq <= (t.seq ?? 0)) continue
    t.addrs = [...r.addrs, ...t.addrs.filter((a) => !r.addrs.includes(a))]
    t.seq = r.seq
  }
}

/** Keep the newest valid roster of this vault, and learn guardians the kit did not list. */
function adoptRoster(ctx: RecoveryContext, from: Tracked, bytes: Uint8Array): void {
  let roster: Roster
  try {
    roster = openRoster(bytes)
    if (!equalBytes(roster.vaultId, ctx.opts.vaultId)) throw new WrongVaultError('roster')
  } catch (err) {
    // a roster that does not verify teaches nothing; the guardian's other answers still count
    ctx.distrust(from, 'roster', err)
    return
  }
  if (ctx.roster !== undefined && roster.epoch <= ctx.roster.epoch) return
  ctx.roster = roster
  for (const g of roster.guardians) {
    const known = ctx.targets.get(toHex(g.peerId))
    // the owner's signed roster names each guardian, also those given only by address (one safe line)
    const label = cleanText(g.label, 64)
    if (known) known.label = label
    else ctx.targets.set(toHex(g.peerId), { label, peerId: g.peerId, addrs: g.addrs })
  }
}
