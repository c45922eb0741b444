/**
 * Catching up without the coordinator: a newer head heard on gossip, or found by asking the other
 * guardians every anti-entropy round, is pulled from a peer that has it (manifest, then missing
 * chunks), checked exactly like a push, and stored. Equivocation evidence heard on gossip is verified
 * and flags the vault here too.
 */
import { decodeUnsigned, recordKind } from '../codec/record.js'
import { equalBytes } from '../crypto/bytes.js'
import { fetchFromPeer, type PeerRef } from '../p2p/client.js'
import { MSG } from '../p2p/messages.js'
import { samePeer } from '../p2p/peers.js'
import { checkEvidence, openHead } from '../replica/head.js'
import { openManifest } from '../replica/manifest.js'
import { type GuardianContext, headsTopic, shortId } from './context.js'
import { EquivocationError } from './errors.js'
import { keepEvidence, publishEvidence } from './evidence.js'
import { checkOffer } from './ingest.js'
import { retain, VersionIntake } from './versions.js'

/** If `peer` has a newer head, fetch its manifest and missing chunks, verify and store them. */
export async function catchUp(ctx: GuardianContext, vaultId: Uint8Array, peer: PeerRef): Promise<void> {
  const head = openHead(await fetchFromPeer(ctx.node, peer, vaultId, { what: 'head' }))
  if (!equalBytes(head.vaultId, vaultId) || head.version <= ctx.db.vaults.require(vaultId).headVersion) return
  const manifest = openManifest(
    await fetchFromPeer(ctx.node, peer, vaultId, { what: 'manifest', version: head.version }),
    vaultId,
  )
  // the manifest must be the one the head names (same signature, so same claim)
  if (!equalBytes(manifest.hash, head.manifestHash)) return
  await ctx.exclusive(vaultId, async () => {
    const vault = ctx.db.vaults.require(vaultId)
    if (head.version <= vault.headVersion) return
    let intake: VersionIntake
    try {
      intake = new VersionIntake(ctx, checkOffer(ctx.db, vault, manifest))
    } catch (err) {
      if (err instanceof EquivocationError) keepEvidence(ctx, err.evidence)
      throw err
    }
    for (const hex of [...intake.checked.need.keys()]) {
      const id = new Uint8Array(Buffer.from(hex, 'hex'))
      intake.accept(id, await fetchFromPeer(ctx.node, peer, vaultId, { what: 'chunk', id }))
    }
    if (!intake.checked.duplicate) intake.commit()
    ctx.say(`caught up vault ${shortId(vaultId)} to version ${head.version} from a fellow guardian`)
  })
}

/** A message on a vault's topic: a head (maybe newer) or equivocation evidence. */
export async function onGossip(
  ctx: GuardianContext,
  topic: string,
  data: Uint8Array,
  from?: Uint8Array,
): Promise<void> {
  try {
    if (recordKind(data) === MSG.evidence.kind) return onEvidence(ctx, topic, data)
    const head = openHead(data)
    if (topic !== headsTopic(head.vaultId) || from === undefined) return
    const vault = ctx.db.vaults.get(head.vaultId)
    if (vault === undefined || head.version <= vault.headVersion) return
    const peer = ctx.roster(vault).guardians.find((g) => equalBytes(g.peerId, from))
    if (peer !== undefined) await catchUp(ctx, head.vaultId, peer)
  } catch (err) {
    // a bad or unreachable announcement changes nothing here; the next anti-entropy round retries
    ctx.log.debug({ event: 'gossip-ignored', reason: err instanceof Error ? err.message : String(err) })
  }
}

function onEvidence(ctx: GuardianContext, topic: string, data: Uint8Array): void {
  const { held, offered } = decodeUnsigned(MSG.evidence, data)
  const { vaultId, version } = checkEvidence(held, offered)
  const vault = ctx.db.vaults.get(vaultId)
  if (topic !== headsTopic(vaultId) || vault === undefined) return
  keepEvidence(ctx, { vaultId, version, heldHead: held, offeredHead: offered })
  if (!vault.equivocation)
    ctx.say(`!! EQUIVOCATION in vault ${shortId(vaultId)} reported by a fellow guardian (version ${version})`)
}

/** One round: compare heads with every other guardian of every vault, pull what is newer, re-announce
 * our head and any equivocation evidence, and prune. */
export async function antiEntropy(ctx: GuardianContext): Promise<void> {
  for (const vault of ctx.db.vaults.all()) {
    for (const g of ctx.roster(vault).guardians) {
      if (!ctx.running()) return
      if (samePeer(ctx.node.peerId, g.peerId)) continue
      await catchUp(ctx, vault.vaultId, g).catch((err: unknown) =>
        // an unreachable or refusing peer is asked again next round
        ctx.log.debug({ event: 'catch-up-failed', reason: err instanceof Error ? err.message : String(err) }),
      )
    }
    if (vault.head !== null)
      await ctx.node.services.pubsub
        .publish(headsTopic(vault.vaultId), vault.head)
        .catch((err: unknown) => ctx.log.debug({ event: 'publish-failed', reason: String(err) }))
    if (vault.equivocation)
      for (const e of ctx.db.versions.evidence(vault.vaultId)) publishEvidence(ctx, vault.vaultId, e)
    await ctx.exclusive(vault.vaultId, async () => retain(ctx, vault.vaultId, true))
  }
}
