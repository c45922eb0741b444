/**
 * `/kith/push/2.0.0`: the vault's coordinator offers versions, one after another on one stream (a
 * session, kept open between backups). For each, the guardian takes the chunks that came inline, then
 * what fellow guardians hold, asks for the rest (if any), takes them one by one, and sends its receipt
 * only once the version is durable. A small version whose chunks all came inline costs one round trip:
 * offer, receipt.
 * `/kith/push/1.0.0` is the same for one offer per stream, as older coordinators speak it. A stranger
 * is turned away before a (possibly 28 MiB) offer is read; a fenced coordinator is told so.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { toHex } from '../../crypto/bytes.js'
import { UnauthorizedPeerError } from '../../p2p/errors.js'
import { type MessageOf, MSG } from '../../p2p/messages.js'
import { peerIdBytes, samePeer } from '../../p2p/peers.js'
import { PROTOCOLS, Wire, whileOpen } from '../../p2p/wire.js'
import { headOfManifest, type Manifest, openManifest } from '../../replica/manifest.js'
import { duration } from '../../time/durations.js'
import { authorize, knownPeer } from '../access.js'
import { type GuardianContext, shortId } from '../context.js'
import { EquivocationError, FencedError, QuotaExceededError } from '../errors.js'
import { announceEvidence, keepEvidence } from '../evidence.js'
import { noteHead } from '../heads.js'
import { noteHeard } from '../heard.js'
import { type CheckedOffer, checkOffer } from '../ingest.js'
import { warnIfNearlyFull } from '../quota.js'
import { stripeOrder, stripeOwners, takeFromFellows, takeStripes } from '../relay.js'
import type { VaultRow } from '../store/index.js'
import { retain, VersionIntake } from '../versions.js'
import { refuse } from './refuse.js'

type Offer = MessageOf<'offer'>

export async function onPush(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const session = stream.protocol === PROTOCOLS.push
  const wire = new Wire(stream, stream.protocol || PROTOCOLS.push, MSG.offer.maxBytes)
  try {
    const peer = peerIdBytes(conn.remotePeer)
    if (!knownPeer(ctx, conn.remotePeer, 'coordinator')) {
      if (ctx.db.vaults.fencedAnywhere(peer)) throw new FencedError()
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    }
    await _takeOffer(ctx, wire, conn, await wire.receive(MSG.offer))
    // a session waits for the next offer; it ends when the coordinator closes it or stays quiet
    while (session) {
      const offer = await wire.receiveNext(MSG.offer, duration('pushSessionIdle'))
      if (offer === undefined) return
      await _takeOffer(ctx, wire, conn, offer)
    }
    await stream.close()
  } catch (err) {
    if (err instanceof EquivocationError) {
      keepEvidence(ctx, err.evidence)
      announceEvidence(ctx, err.evidence)
    }
    await refuse(ctx, wire, err)
  }
}

/** Take one offered version and send its receipt once it is durable. */
async function _takeOffer(ctx: GuardianContext, wire: Wire, conn: Connection, offer: Offer): Promise<void> {
  const peer = peerIdBytes(conn.remotePeer)
  const manifest = openManifest(offer.manifest)
  const started = performance.now()
  await ctx.exclusive(manifest.vaultId, async () => {
    const vault = ctx.db.vaults.require(manifest.vaultId)
    if (ctx.db.vaults.isFenced(vault.vaultId, peer)) throw new FencedError()
    authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
    noteHeard(ctx, vault.vaultId, 'coordinator')
    // the head is signed and from the vault's coordinator: seen, whether or not it is taken below
    noteHead(ctx, vault, headOfManifest(manifest))
    const intake = new VersionIntake(ctx, _checkWithRoom(ctx, vault, manifest))
    let need: Uint8Array[] = []
    let relayed = 0
    try {
      if (offer.chunks !== undefined) intake.acceptInline(offer.chunks)
      const swarm = offer.sources?.map((s) => s.peerId) ?? []
      if (
        wire.protocol === PROTOCOLS.push &&
        intake.needed().length > 0 &&
        swarm.some((p) => samePeer(ctx.node.peerId, p))
      )
        relayed = await _takeStriped(ctx, wire, vault, intake, swarm)
      // upload once: what fellow guardians already hold comes from them, the rest from the coordinator
      else if (offer.sources !== undefined && intake.needed().length > 0)
        relayed = await takeFromFellows(
          ctx,
          vault,
          intake,
          offer.sources.map((s) => s.peerId),
        )
      need = intake.needed()
      // a session's offer that brought every chunk it lacked is answered with the receipt alone
      if (need.length > 0 || wire.protocol !== PROTOCOLS.push) await wire.send(MSG.need, { chunks: need })
      await _takeChunks(wire, intake, need.length)
      await wire.send(MSG.receipt, { receipt: intake.commit() })
      ctx.metrics.pushSeconds.observe((performance.now() - started) / 1000)
    } finally {
      // retention and the head's announcement, once the receipt is out (or could not be sent)
      intake.settle()
      intake.close()
    }
    ctx.log.info({
      event: 'version-stored',
      vault: shortId(manifest.vaultId),
      version: manifest.version,
      chunks: need.length,
      inline: offer.chunks?.length ?? 0,
      relayedBytes: relayed,
      duplicate: intake.checked.duplicate,
    })
    warnIfNearlyFull(ctx, manifest.vaultId)
  })
}

/** Take `count` chunks from the coordinator, each acknowledged once accepted. */
async function _takeChunks(wire: Wire, intake: VersionIntake, count: number): Promise<void> {
  for (let i = count; i > 0; i--) {
    const c = await wire.receive(MSG.chunk)
    intake.accept(c.id, c.data, 'own')
    await wire.send(MSG.ack, {})
  }
}

/**
 * A striped offer (its sources name this guardian too): ask the coordinator for this guardian's own
 * stripe and take it, while the other stripes come from their owners as they get them; the caller then
 * asks the coordinator for whatever they did not give. Returns the bytes fellows gave.
 */
async function _takeStriped(
  ctx: GuardianContext,
  wire: Wire,
  vault: VaultRow,
  intake: VersionIntake,
  swarm: readonly Uint8Array[],
): Promise<number> {
  const owners = stripeOwners(intake.checked.manifest.chunks, swarm.length)
  const me = swarm.findIndex((p) => samePeer(ctx.node.peerId, p))
  const mine = stripeOrder(intake).filter((id) => owners.get(toHex(id)) === me)
  await wire.send(MSG.need, { chunks: mine })
  // the coordinator gone (its deadline passed, the session cut): no one waits for this push any more,
  // and the vault's lock is not held for it
  const open = whileOpen(wire.stream)
  const done = new AbortController()
  const signal = AbortSignal.any([open.signal, done.signal])
  const started = performance.now()
  let fellowsMs = 0
  let ownMs = 0
  const own = _takeChunks(wire, intake, mine.length).then(() => {
    ownMs = performance.now() - started
  })
  const fellows = takeStripes(ctx, vault, intake, swarm, owners, signal, own).finally(() => {
    fellowsMs = performance.now() - started
  })
  let taken: number
  try {
    try {
      await own
    } catch (err) {
      done.abort()
      await fellows.catch(() => undefined)
      throw err
    }
    taken = await fellows
  } finally {
    open.release()
  }
  // when its own stripe and the others' were in: which of them the version waited for
  ctx.log.info({
    event: 'stripes-taken',
    version: intake.checked.manifest.version,
    own: mine.length,
    ownMs: Math.round(ownMs),
    fellowsMs: Math.round(fellowsMs),
    fromFellows: taken,
    left: intake.needed().length,
  })
  return taken
}

/**
 * checkOffer; an offer that would not fit in the quota (its versions and journals together) is checked
 * again after the vault's retention, which runs once a burst of pushes is over (guardian/later.ts), is
 * applied now (the caller holds the vault's lock): versions the policy drops never cost a push its room.
 */
function _checkWithRoom(ctx: GuardianContext, vault: VaultRow, manifest: Manifest): CheckedOffer {
  try {
    return checkOffer(ctx.db, vault, manifest)
  } catch (err) {
    if (!(err instanceof QuotaExceededError)) throw err
    retain(ctx, vault.vaultId)
    return checkOffer(ctx.db, ctx.db.vaults.require(vault.vaultId), manifest)
  }
}
