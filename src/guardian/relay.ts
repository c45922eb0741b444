/**
 * Upload once: a push offer may name fellow guardians that already hold the version. The guardian takes
 * the chunks it lacks from them first (a few fetches at a time, spread over them, on one fetch session
 * per fellow) and asks the coordinator only for what they could not give, so a home uplink carries each
 * new byte about once. A striped offer names the guardian itself among them: each member takes its own
 * stripe from the coordinator and the others' from their owners as they come (takeStripes).
 * Every chunk is verified against its id and the signed manifest's size, whoever sent it: a fellow that
 * lies or is away only costs time, and the coordinator still sends what is missing.
 */
import { equalBytes, toHex } from '../crypto/bytes.js'
import { errorFields } from '../log.js'
import type { PeerRef } from '../p2p/client.js'
import { isRemote, PeerUnreachableError } from '../p2p/errors.js'
import { FetchSessions } from '../p2p/fetch-session.js'
import { peerText, samePeer } from '../p2p/peers.js'
import { duration } from '../time/durations.js'
import { sleep } from '../time/sleep.js'
import type { GuardianContext } from './context.js'
import type { VaultRow } from './store/index.js'
import type { VersionIntake } from './versions.js'

/** Fetches from fellows in flight at once. */
const PARALLEL = 4

/** Take what `intake` still needs from the named fellows; returns the bytes they gave. */
export async function takeFromFellows(
  ctx: GuardianContext,
  vault: VaultRow,
  intake: VersionIntake,
  sources: readonly Uint8Array[],
  signal?: AbortSignal,
): Promise<number> {
  const guardians = ctx.roster(vault).guardians
  const fellows = guardians.filter(
    (g) => !samePeer(ctx.node.peerId, g.peerId) && sources.some((s) => equalBytes(s, g.peerId)),
  )
  const ids = intake.needed()
  if (fellows.length === 0 || ids.length === 0) return 0
  // all of it, a little under what the coordinator waits: after this, the coordinator sends the rest
  // (a relay step shortened below the headroom leaves half of it to the fellows, never nothing)
  const step = duration('relayStep')
  const overall = AbortSignal.timeout(Math.max(step / 2, step - duration('relayHeadroom')))
  const deadline = signal ? AbortSignal.any([signal, overall]) : overall
  const away = new Set<number>()
  let next = 0
  let taken = 0
  const sessions = new FetchSessions(ctx.node, duration('fellowChunk'), ctx.p2pLog)
  const worker = async () => {
    while (next < ids.length && !deadline.aborted && away.size < fellows.length) {
      const i = next++
      const id = ids[i]!
      for (let k = 0; k < fellows.length; k++) {
        const f = (i + k) % fellows.length
        if (away.has(f)) continue
        try {
          const data = await sessions.fetch(fellows[f]!, vault.vaultId, { what: 'chunk', id }, deadline)
          intake.accept(id, data)
          taken += data.length
          break
        } catch (err) {
          // a fellow that does not hold it may hold the next one; one that is away or lies is not asked again
          if (!isRemote(err) || err.remoteCode !== 'NOT_HELD') away.add(f)
        }
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, ids.length) }, worker))
  } finally {
    await sessions.close()
  }
  return taken
}

/**
 * The stripes of a striped push (docs/format.md §Protocol messages, striped): the manifest's distinct chunks in
 * order, each given to the member of the swarm with the fewest bytes so far (the first of equals).
 * Owner index by chunk id (hex).
 */
export function stripeOwners(
  chunks: readonly { id: Uint8Array; size: number }[],
  members: number,
): Map<string, number> {
  const owners = new Map<string, number>()
  const bytes = new Array<number>(members).fill(0)
  for (const c of chunks) {
    const hex = toHex(c.id)
    if (owners.has(hex)) continue
    let least = 0
    for (let m = 1; m < members; m++) if (bytes[m]! < bytes[least]!) least = m
    owners.set(hex, least)
    bytes[least]! += c.size
  }
  return owners
}

/**
 * The chunks still needed, largest first (the manifest's order among equals): the order an owner asks
 * the coordinator for its stripe and its fellows ask the owner, so the last to arrive, which every
 * fellow then waits for, are the smallest.
 */
export function stripeOrder(intake: VersionIntake): Uint8Array[] {
  const size = (id: Uint8Array) => intake.checked.need.get(toHex(id)) ?? 0
  return intake
    .needed()
    .map((id, i) => ({ id, i, size: size(id) }))
    .sort((a, b) => b.size - a.size || a.i - b.i)
    .map((c) => c.id)
}

/** Fetches asked of one fellow at once (its replies come in order, each as its chunk arrives there). */
const STRIPE_AHEAD = 4
/** Times a fellow's session may break (a connection lost) and be opened again before it is given up. */
const STRIPE_REOPENS = 3

/**
 * Take the chunks of the other members' stripes from them, each as soon as its owner has it (a fellow
 * answers for a chunk it is still receiving when it comes: arrivals.ts). A fellow not taking the push
 * yet (NOT_HELD) is asked again, one not reached is dialled again a few times; one that sends a wrong
 * chunk is not asked again.
 * Ends when every fellow gave its stripe or was given up, when `signal` aborts (the coordinator left),
 * when no chunk came to this guardian from anyone for stripeStall, at relayStep - relayHeadroom, or,
 * once `own` settled (this guardian's own stripe is in: its fellows got theirs at the same pace), when
 * the others' took as long again as the own stripe did, at least stripeStall; from then on an owner
 * that does not give one chunk within fellowChunk is given up. A fellow that trickles its stripe so
 * keeps nobody waiting past that: what is left, the coordinator sends. Returns the bytes fellows gave.
 */
export async function takeStripes(
  ctx: GuardianContext,
  vault: VaultRow,
  intake: VersionIntake,
  swarm: readonly Uint8Array[],
  owners: ReadonlyMap<string, number>,
  signal: AbortSignal,
  own: Promise<unknown>,
): Promise<number> {
  const guardians = ctx.roster(vault).guardians
  const stripes = new Map<number, Uint8Array[]>()
  for (const id of stripeOrder(intake)) {
    const o = owners.get(toHex(id))
    if (o === undefined || samePeer(ctx.node.peerId, swarm[o]!)) continue
    if (!guardians.some((g) => equalBytes(g.peerId, swarm[o]!))) continue // only the roster's guardians
    const list = stripes.get(o)
    if (list === undefined) stripes.set(o, [id])
    else list.push(id)
  }
  if (stripes.size === 0) return 0
  // nothing came from anyone for a whole period: the fellows left give no more
  const stalled = new AbortController()
  let seen = intake.accepted
  const watch = setInterval(() => {
    if (intake.accepted === seen) stalled.abort()
    seen = intake.accepted
  }, duration('stripeStall'))
  // all of it, a little under what the coordinator waits for the next need (as takeFromFellows)
  const step = duration('relayStep')
  const overall = AbortSignal.timeout(Math.max(step / 2, step - duration('relayHeadroom')))
  // once the own stripe is in: the others' get as long again (at least stripeStall), and each chunk
  // asked from then on fellowChunk
  const late = new AbortController()
  const started = performance.now()
  let ownIn = false
  let grace: ReturnType<typeof setTimeout> | undefined
  const phase = () => {
    ownIn = true
    const ms = Math.max(duration('stripeStall'), performance.now() - started)
    if (!late.signal.aborted) grace = setTimeout(() => late.abort(), ms)
  }
  own.then(phase, phase)
  const stop = AbortSignal.any([signal, stalled.signal, overall, late.signal])
  const sessions = new FetchSessions(ctx.node, duration('relayStep'), ctx.p2pLog)
  let taken = 0
  const fellow = async (peer: PeerRef, ids: Uint8Array[]) => {
    let away = false
    let broken = 0
    const drop = (err: unknown) => {
      // its stripe comes from the coordinator instead
      if (!away)
        ctx.log.info({ event: 'stripe-fellow-dropped', peer: peerText(peer.peerId), ...errorFields(err) })
      away = true
    }
    // the workers' dials fail together: one pause (and one of the tries) for all of them
    let pausing: Promise<void> | undefined
    const redial = async (err: unknown) => {
      if (pausing === undefined) {
        if (++broken > STRIPE_REOPENS) return drop(err)
        pausing = sleep(duration('stripeRetry')).finally(() => {
          pausing = undefined
        })
      }
      await pausing
    }
    const worker = async () => {
      while (ids.length > 0 && !away && !stop.aborted) {
        const id = ids.shift()!
        let data: Uint8Array
        const limit = ownIn ? AbortSignal.any([stop, AbortSignal.timeout(duration('fellowChunk'))]) : stop
        try {
          data = await sessions.fetch(peer, vault.vaultId, { what: 'chunk', id }, limit)
        } catch (err) {
          if (stop.aborted) return
          ids.push(id)
          // a chunk not given within fellowChunk once the own stripe is in: a slow owner, given up
          if (limit.aborted) {
            drop(err)
            continue
          }
          // not taking this push yet (its offer is on its way): asked again; a stream that broke, or a
          // dial that failed (its gate still busy with the other fellows' handshakes), is tried again
          // after a pause, a few times; a fellow that refuses or answers wrongly is not
          if (isRemote(err) && err.remoteCode === 'NOT_HELD') await sleep(duration('stripeRetry'))
          else if (isRemote(err)) drop(err)
          else if (err instanceof PeerUnreachableError) await redial(err)
          else if (++broken > STRIPE_REOPENS) drop(err)
          continue
        }
        try {
          intake.accept(id, data)
          taken += data.length
        } catch (err) {
          // a wrong chunk: this fellow is not asked again
          drop(err)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(STRIPE_AHEAD, ids.length) }, worker))
  }
  try {
    await Promise.all(
      [...stripes].map(([o, ids]) => fellow(guardians.find((g) => equalBytes(g.peerId, swarm[o]!))!, ids)),
    )
  } finally {
    clearInterval(watch)
    late.abort()
    clearTimeout(grace)
    await sessions.close()
  }
  return taken
}
