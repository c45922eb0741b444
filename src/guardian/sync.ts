/**
 * Catching up without the coordinator: a newer head heard on gossip, or found by asking the other
 * guardians every anti-entropy round, is pulled from a peer that has it (manifest, then missing
 * chunks), checked exactly like a push, and stored. Equivocation evidence heard on gossip is verified
 * and flags the vault here too.
 */
import { decodeRecord } from '../codec/record.js'
import { equalBytes } from '../crypto/bytes.js'
import { fetchFromPeer, type PeerRef } from '../p2p/client.js'
import { MSG } from '../p2p/messages.js'
import { samePeer } from '../p2p/peers.js'
import { checkEvidence, openHead } from '../replica/head.js'
import { openManifest } from '../replica/manifest.js'
import { type GuardianContext, headsTopic, shortId } from './context.js'
import { checkOffer } from './ingest.js'
import { acceptChunk, publishEvidence, retain, storeVersion } from './versions.js'

/** If `peer` has a newer head, fetch its manifest and missing chunks, verify and store them. */
export async function catchUp(ctx: GuardianContext, vaultId: Uint8Array, peer: PeerRef): Promise<void> {
  const head = openHead(await fetchFromPeer(ctx.node, peer, vaultId, { what: 'head' }))
  if (!equalBytes(head.vaultId, vaultId) || head.version <= ctx.db.requireVault(vaultId).headVersion) return
  const manifest = openManifest(
    await fetchFromPeer(ctx.node, peer, vaultId, { what: 'manifest', version: head.version }),
    vaultId,
  )
  // the manifest must be the one the head names (same signature, so same claim)
  if (!equalBytes(manifest.hash, head.manifestHash)) return
  await ctx.exclusive(vaultId, async () => {
    const vault = ctx.db.requireVault(vaultId)
    if (head.version <= vault.headVersion) return
    const checked = checkOffer(ctx.db, vault, manifest, ctx.now())
    for (const hex of [...checked.need.keys()]) {
      const id = new Uint8Array(Buffer.from(hex, 'hex'))
      acceptChunk(ctx, checked, id, await fetchFromPeer(ctx.node, peer, vaultId, { what: 'chunk', id }))
    }
    if (!checked.duplicate) storeVersion(ctx, checked)
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
    if (data[4] === MSG.evidence.kind) return onEvidence(ctx, topic, data)
    const head = openHead(data)
    if (topic !== headsTopic(head.vaultId) || from === undefined) return
    const vault = ctx.db.vault(head.vaultId)
    if (vault === undefined || head.version <= vault.headVersion) return
    const peer = ctx.roster(vault).guardians.find((g) => equalBytes(g.peerId, from))
    if (peer !== undefined) await catchUp(ctx, head.vaultId, peer)
  } catch {
    // a bad or unreachable announcement is ignored; the next anti-entropy round retries
  }
}

function onEvidence(ctx: GuardianContext, topic: string, data: Uint8Array): void {
  const f = decodeRecord(MSG.evidence, data).fields
  const held = f['held'] as Uint8Array
  const offered = f['offered'] as Uint8Array
  const { vaultId, version } = checkEvidence(held, offered)
  const vault = ctx.db.vault(vaultId)
  if (topic !== headsTopic(vaultId) || vault === undefined) return
  ctx.db.recordEquivocation({ vaultId, version, heldHead: held, offeredHead: offered }, undefined, ctx.now())
  if (!vault.equivocation)
    ctx.say(`!! EQUIVOCATION in vault ${shortId(vaultId)} reported by a fellow guardian (version ${version})`)
}

/** One round: compare heads with every other guardian of every vault, pull what is newer, re-announce
 * our head and any equivocation evidence, and prune. */
export async function antiEntropy(ctx: GuardianContext): Promise<void> {
  for (const vault of ctx.db.vaults()) {
    for (const g of ctx.roster(vault).guardians) {
      if (!ctx.running()) return
      if (samePeer(ctx.node.peerId, g.peerId)) continue
      await catchUp(ctx, vault.vaultId, g).catch(() => {})
    }
    if (vault.head !== null)
      await ctx.node.services.pubsub.publish(headsTopic(vault.vaultId), vault.head).catch(() => {})
    if (vault.equivocation)
      for (const e of ctx.db.evidence(vault.vaultId)) publishEvidence(ctx, vault.vaultId, e)
    await ctx.exclusive(vault.vaultId, async () => retain(ctx, vault.vaultId, true))
  }
}
