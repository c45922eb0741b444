/**
 * Catching up without the coordinator: a newer head heard on gossip, or found by asking the other
 * guardians every anti-entropy round, is pulled from a peer that has it (manifest, then missing chunks)
 * outside the vault's lock, with one deadline for the whole catch-up; the lock is taken only to check
 * again and commit, so a slow peer never stalls pushes or recovery polls. A head of a version held here
 * with another hash is a fork: kept as equivocation evidence and announced. Every valid head is noted as
 * seen (heads.ts).
 */
import { inOrderAhead } from '../ahead.js'
import { decodeUnsigned, recordKind } from '../codec/record.js'
import { equalBytes, toHex } from '../crypto/bytes.js'
import type { FetchRequest, PeerRef } from '../p2p/client.js'
import { isRemote } from '../p2p/errors.js'
import { FetchSessions } from '../p2p/fetch-session.js'
import { MSG } from '../p2p/messages.js'
import { samePeer } from '../p2p/peers.js'
import { checkEvidence, type Head, openHead } from '../replica/head.js'
import { openManifest } from '../replica/manifest.js'
import { duration } from '../time/durations.js'
import { headOffChain } from './choice.js'
import { type GuardianContext, vaultName } from './context.js'
import { EquivocationError } from './errors.js'
import { announceEvidence, keepEvidence, publishEvidence } from './evidence.js'
import { noteHead } from './heads.js'
import { checkOffer } from './ingest.js'
import { sweepRemovals } from './removal.js'
import { RoundPlan } from './round-plan.js'
import type { VaultRow } from './store/index.js'
import { retain, VersionIntake } from './versions.js'

/**
 * A head of a version this guardian holds (or has seen) with another manifest hash: proof of a fork.
 * Kept and announced once; true if it was a fork.
 */
export function checkFork(ctx: GuardianContext, vault: VaultRow, head: Head): boolean {
  if (headOffChain(vault, head)) return false
  const held = ctx.db.versions.headOf(vault.vaultId, head.version)
  const seen = vault.seenVersion === head.version ? vault.seenHead : null
  const other = held ?? seen
  if (other === undefined || other === null || equalBytes(openHead(other).manifestHash, head.manifestHash))
    return false
  const e = { vaultId: vault.vaultId, version: head.version, heldHead: other, offeredHead: head.bytes }
  if (keepEvidence(ctx, e)) announceEvidence(ctx, e)
  return true
}

/** If `peer` has a newer head, fetch its manifest and missing chunks, verify and store them. One catch-up
 * per vault at a time: a second caller joins the one in progress. */
export function catchUp(ctx: GuardianContext, vaultId: Uint8Array, peer: PeerRef): Promise<void> {
  const key = toHex(vaultId)
  const running = ctx.catchUps.get(key)
  if (running !== undefined) return running
  const p = _catchUp(ctx, vaultId, peer, AbortSignal.timeout(duration('catchUp'))).finally(() =>
    ctx.catchUps.delete(key),
  )
  ctx.catchUps.set(key, p)
  return p
}

/** Chunks a catch-up has asked for and not yet been given (one session: replies in order). */
const CATCH_UP_AHEAD = 5

async function _catchUp(ctx: GuardianContext, vaultId: Uint8Array, peer: PeerRef, signal: AbortSignal) {
  // head, manifest and chunks on one fetch session with the fellow (a stream each where it has none)
  const sessions = new FetchSessions(ctx.node, duration('step'), ctx.p2pLog)
  const fetch = (req: FetchRequest) => sessions.fetch(peer, vaultId, req, signal)
  try {
    const head = openHead(await fetch({ what: 'head' }))
    if (!equalBytes(head.vaultId, vaultId)) return
    const vault = ctx.db.vaults.require(vaultId)
    // a fellow still on the chain the owner set aside has nothing to give
    if (headOffChain(vault, head)) return
    noteHead(ctx, vault, head)
    if (head.version <= vault.headVersion) {
      checkFork(ctx, vault, head)
      return
    }
    // a push is bringing this version (or a newer one) now: taking it twice costs the fellows' uplinks
    if (ctx.arrivals.newestComing(vaultId) >= head.version) return
    const manifest = openManifest(await fetch({ what: 'manifest', version: head.version }), vaultId)
    // the manifest must be the one the head names (same signature, so same claim)
    if (!equalBytes(manifest.hash, head.manifestHash)) return
    const intake = new VersionIntake(ctx, _check(ctx, vault, manifest))
    try {
      const ids = [...intake.checked.need.keys()].map((hex) => new Uint8Array(Buffer.from(hex, 'hex')))
      // a few asked ahead of the one taken, so the fellow's replies follow each other
      let i = 0
      for await (const data of inOrderAhead(ids, CATCH_UP_AHEAD, (id) => fetch({ what: 'chunk', id })))
        intake.accept(ids[i++]!, data)
      intake.flush()
      await ctx.exclusive(vaultId, async () => {
        const now = ctx.db.vaults.require(vaultId)
        if (head.version <= now.headVersion) return
        // checked again under the lock: a push may have landed meanwhile; every chunk is here now
        const final = new VersionIntake(ctx, _check(ctx, now, manifest))
        try {
          final.commit()
          final.settle()
        } finally {
          final.close()
        }
        ctx.say(
          `caught up vault ${vaultName(ctx, vaultId)} to version ${head.version} from a fellow guardian`,
        )
      })
    } finally {
      intake.close()
    }
  } finally {
    await sessions.close()
  }
}

/** checkOffer, keeping the evidence of an equivocation it finds (as a push would, without announcing). */
function _check(ctx: GuardianContext, vault: VaultRow, manifest: ReturnType<typeof openManifest>) {
  try {
    return checkOffer(ctx.db, vault, manifest)
  } catch (err) {
    if (err instanceof EquivocationError) keepEvidence(ctx, err.evidence)
    throw err
  }
}

/** A message on a vault's topic (from a roster peer: the topic validator saw to it): a head or evidence. */
export async function onGossip(
  ctx: GuardianContext,
  topic: string,
  data: Uint8Array,
  from?: Uint8Array,
): Promise<void> {
  try {
    const vaultId = ctx.gossip.vaultOf(topic)
    if (vaultId === undefined || from === undefined) return
    if (recordKind(data) === MSG.evidence.kind) return onEvidence(ctx, vaultId, data)
    const vault = ctx.db.vaults.get(vaultId)
    // the head held here, byte for byte: checked when it came, and nothing to learn from
    if (vault === undefined || (vault.head !== null && equalBytes(vault.head, data))) return
    const head = openHead(data)
    if (!equalBytes(head.vaultId, vaultId) || headOffChain(vault, head)) return
    noteHead(ctx, vault, head)
    if (head.version <= vault.headVersion) {
      checkFork(ctx, vault, head)
      return
    }
    const peer = ctx.roster(vault).guardians.find((g) => equalBytes(g.peerId, from))
    if (peer !== undefined) await catchUp(ctx, vaultId, peer)
  } catch (err) {
    // a bad or unreachable announcement changes nothing here; the next anti-entropy round retries
    ctx.log.debug({ event: 'gossip-ignored', reason: err instanceof Error ? err.message : String(err) })
  }
}

function onEvidence(ctx: GuardianContext, vaultId: Uint8Array, data: Uint8Array): void {
  const { held, offered } = decodeUnsigned(MSG.evidence, data)
  const proven = checkEvidence(held, offered)
  const vault = ctx.db.vaults.get(vaultId)
  if (vault === undefined || !equalBytes(proven.vaultId, vaultId)) return
  keepEvidence(ctx, { vaultId, version: proven.version, heldHead: held, offeredHead: offered })
  if (!vault.equivocation)
    ctx.say(
      `!! EQUIVOCATION in vault ${vaultName(ctx, vaultId)} reported by a fellow guardian (version ${proven.version})`,
    )
}

/**
 * What `peer` answers for the vault's head, asked on the round's one fetch session with it: the very
 * head held here (the same signed bytes: nothing to pull, check or announce), another answer (the
 * catch-up looks at it), or none (away: not asked again this round, so one fellow that is down costs a
 * round one dial, not one per vault).
 */
async function _askHead(
  vault: VaultRow,
  peer: PeerRef,
  sessions: FetchSessions,
): Promise<'same' | 'other' | 'away'> {
  if (vault.head === null) return 'other'
  try {
    const head = await sessions.fetch(peer, vault.vaultId, { what: 'head' })
    return equalBytes(head, vault.head) ? 'same' : 'other'
  } catch (err) {
    return isRemote(err) ? 'other' : 'away'
  }
}

/**
 * One round: compare heads with every other guardian of each vault the plan says is due (round-plan.ts:
 * every vault whose head or roster changed here, and the others now and then), on one fetch session per
 * fellow; pull what is newer, re-announce our head where a fellow did not answer with it, publish any
 * equivocation evidence, and prune. A vault whose fellows all hold our head costs one small request
 * each and no signature check, and waits longer for the next: a site keeps a thousand quiet vaults.
 */
export async function antiEntropy(ctx: GuardianContext, plan: RoundPlan = new RoundPlan()): Promise<void> {
  await sweepRemovals(ctx)
  const sessions = new FetchSessions(ctx.node, duration('step'), ctx.p2pLog)
  const away = new Set<string>()
  const vaults = ctx.db.vaults.all()
  try {
    for (const vault of vaults) {
      if (!ctx.running()) return
      if (!plan.due(vault)) continue
      if (await _round(ctx, vault, sessions, away)) plan.inStep(vault)
      else plan.notInStep(vault)
    }
  } finally {
    plan.endRound(vaults)
    await sessions.close()
  }
}

/** Compare one vault with its fellows (and prune it); true if every fellow answered with our head. */
async function _round(
  ctx: GuardianContext,
  vault: VaultRow,
  sessions: FetchSessions,
  away: Set<string>,
): Promise<boolean> {
  let inStep = true
  for (const g of ctx.roster(vault).guardians) {
    if (!ctx.running()) return false
    if (samePeer(ctx.node.peerId, g.peerId)) continue
    const answer = away.has(toHex(g.peerId)) ? 'away' : await _askHead(vault, g, sessions)
    if (answer === 'same') continue
    inStep = false
    if (answer === 'away') {
      away.add(toHex(g.peerId))
      continue
    }
    await catchUp(ctx, vault.vaultId, g).catch((err: unknown) =>
      // a refusing peer is asked again next round
      ctx.log.debug({ event: 'catch-up-failed', reason: err instanceof Error ? err.message : String(err) }),
    )
  }
  if (vault.head !== null && !inStep)
    await ctx.gossip
      .publish(vault.vaultId, vault.head)
      .catch((err: unknown) => ctx.log.debug({ event: 'publish-failed', reason: String(err) }))
  if (vault.equivocation)
    for (const e of ctx.db.versions.evidence(vault.vaultId)) publishEvidence(ctx, vault.vaultId, e)
  await ctx.exclusive(vault.vaultId, async () => retain(ctx, vault.vaultId, true))
  return inStep
}
