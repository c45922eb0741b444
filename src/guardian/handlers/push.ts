/**
 * `/kith/push/1.0.0`: the vault's coordinator offers a version; the guardian answers with the chunks it
 * lacks, takes them one by one, and sends its receipt only once the version is durable. A stranger is
 * turned away before a (possibly 28 MiB) offer is read; a fenced coordinator is told so.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { UnauthorizedPeerError } from '../../p2p/errors.js'
import { MSG } from '../../p2p/messages.js'
import { peerIdBytes } from '../../p2p/peers.js'
import { PROTOCOLS, Wire } from '../../p2p/wire.js'
import { headOfManifest, openManifest } from '../../replica/manifest.js'
import { authorize, knownPeer } from '../access.js'
import { type GuardianContext, shortId } from '../context.js'
import { EquivocationError, FencedError } from '../errors.js'
import { announceEvidence, keepEvidence } from '../evidence.js'
import { noteHead } from '../heads.js'
import { checkOffer } from '../ingest.js'
import { takeFromFellows } from '../relay.js'
import { VersionIntake } from '../versions.js'
import { refuse } from './refuse.js'

export async function onPush(ctx: GuardianContext, stream: Stream, conn: Connection): Promise<void> {
  const wire = new Wire(stream, PROTOCOLS.push, MSG.offer.maxBytes)
  try {
    const peer = peerIdBytes(conn.remotePeer)
    if (!knownPeer(ctx, conn.remotePeer, 'coordinator')) {
      if (ctx.db.vaults.fencedAnywhere(peer)) throw new FencedError()
      throw new UnauthorizedPeerError(conn.remotePeer.toString())
    }
    const offer = await wire.receive(MSG.offer)
    const manifest = openManifest(offer.manifest)
    const started = performance.now()
    await ctx.exclusive(manifest.vaultId, async () => {
      const vault = ctx.db.vaults.require(manifest.vaultId)
      if (ctx.db.vaults.isFenced(vault.vaultId, peer)) throw new FencedError()
      authorize(ctx.roster(vault), conn.remotePeer, 'coordinator')
      // the head is signed and from the vault's coordinator: seen, whether or not it is taken below
      noteHead(ctx, vault, headOfManifest(manifest))
      const intake = new VersionIntake(ctx, checkOffer(ctx.db, vault, manifest))
      let receipt: Uint8Array
      let need: Uint8Array[] = []
      let relayed = 0
      try {
        // upload once: what fellow guardians already hold comes from them, the rest from the coordinator
        if (offer.sources !== undefined)
          relayed = await takeFromFellows(
            ctx,
            vault,
            intake,
            offer.sources.map((s) => s.peerId),
          )
        need = intake.needed()
        await wire.send(MSG.need, { chunks: need })
        for (let i = need.length; i > 0; i--) {
          const c = await wire.receive(MSG.chunk)
          intake.accept(c.id, c.data)
          await wire.send(MSG.ack, {})
        }
        receipt = intake.commit()
      } finally {
        intake.close()
      }
      ctx.log.info({
        event: 'version-stored',
        vault: shortId(manifest.vaultId),
        version: manifest.version,
        chunks: need.length,
        relayedBytes: relayed,
        duplicate: intake.checked.duplicate,
      })
      const held = ctx.db.vaults.get(manifest.vaultId)
      if (held !== undefined && held.bytesStored >= 0.9 * held.quota)
        ctx.notify(
          'quota',
          `"${held.label}" is nearly at its limit`,
          `Your friend's node "${held.label}" uses ${Math.round((100 * held.bytesStored) / held.quota)}% of the space you gave it. Tell your friend: what would not fit is refused.`,
          { vault: held.label, bytesStored: held.bytesStored, quota: held.quota },
          `quota:${shortId(manifest.vaultId)}`,
        )
      await wire.send(MSG.receipt, { receipt })
      ctx.metrics.pushSeconds.observe((performance.now() - started) / 1000)
      await stream.close()
    })
  } catch (err) {
    if (err instanceof EquivocationError) {
      keepEvidence(ctx, err.evidence)
      announceEvidence(ctx, err.evidence)
    }
    await refuse(ctx, wire, err)
  }
}
