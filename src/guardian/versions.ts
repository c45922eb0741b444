/**
 * Storing versions: accept each chunk a checked offer asked for, commit the version in one
 * transaction, apply retention, announce the head, and sign the receipt, once, only after the commit.
 */
import { encodeRecordBody } from '../codec/record.js'
import { toHex } from '../crypto/bytes.js'
import { ProtocolViolationError } from '../p2p/errors.js'
import { MSG } from '../p2p/messages.js'
import { PROTOCOLS } from '../p2p/wire.js'
import { verifyChunkId } from '../replica/chunk.js'
import { signReceipt } from '../replica/head.js'
import { type GuardianContext, headsTopic, shortId } from './context.js'
import type { CheckedOffer } from './ingest.js'
import { versionsToKeep } from './retention.js'

/** Chunks accepted but not yet written, per offer: written in batches, since a transaction per small
 * chunk costs more than the chunk. */
const pending = new WeakMap<CheckedOffer, { chunks: { id: Uint8Array; data: Uint8Array }[]; bytes: number }>()
const BATCH_BYTES = 8 * 1024 * 1024

/** Accept one chunk of a checked offer: listed by the signed manifest, asked for, once, and intact. */
export function acceptChunk(
  ctx: GuardianContext,
  checked: CheckedOffer,
  id: Uint8Array,
  data: Uint8Array,
): void {
  const hex = toHex(id)
  const size = checked.need.get(hex)
  if (size === undefined) throw new ProtocolViolationError(PROTOCOLS.push, 'chunk not asked for')
  if (data.length !== size)
    throw new ProtocolViolationError(PROTOCOLS.push, 'chunk size differs from the manifest')
  verifyChunkId(id, data)
  checked.need.delete(hex)
  const batch = pending.get(checked) ?? { chunks: [], bytes: 0 }
  pending.set(checked, batch)
  batch.chunks.push({ id, data })
  batch.bytes += data.length
  if (batch.bytes >= BATCH_BYTES) flushChunks(ctx, checked)
}

/** Write the accepted chunks still held for an offer. */
export function flushChunks(ctx: GuardianContext, checked: CheckedOffer): void {
  const batch = pending.get(checked)
  if (batch === undefined || batch.chunks.length === 0) return
  ctx.db.putChunks(checked.manifest.vaultId, batch.chunks)
  pending.set(checked, { chunks: [], bytes: 0 })
}

/**
 * Commit a fully received version with its receipt and the retention it triggers, in one
 * transaction (one fsync), then announce its head. Returns the receipt, to send only now.
 */
export function storeVersion(ctx: GuardianContext, checked: CheckedOffer): Uint8Array {
  const m = checked.manifest
  if (checked.need.size > 0) throw new ProtocolViolationError(PROTOCOLS.push, 'chunks missing at commit')
  flushChunks(ctx, checked)
  const receipt = _signReceipt(ctx, checked)
  ctx.db.atomically(() => {
    ctx.db.commitVersion(
      {
        vaultId: m.vaultId,
        version: m.version,
        epoch: m.epoch,
        hash: m.hash,
        createdAt: m.createdAt,
        manifest: m.bytes,
        head: checked.head.bytes,
        chunkIds: m.chunks.map((c) => c.id),
      },
      ctx.now(),
    )
    ctx.db.putReceipt(m.vaultId, m.version, receipt)
    retain(ctx, m.vaultId)
  })
  ctx.say(`stored version ${m.version} of vault ${shortId(m.vaultId)}`)
  void ctx.node.services.pubsub.publish(headsTopic(m.vaultId), checked.head.bytes).catch(() => {})
  return receipt
}

/** Apply the retention policy to a vault (caller holds its lock); `orphans` also sweeps chunks of
 * interrupted pushes. */
export function retain(ctx: GuardianContext, vaultId: Uint8Array, orphans = false): void {
  const keep = versionsToKeep(ctx.db.versions(vaultId), ctx.retention)
  const freed = ctx.db.prune(vaultId, keep, ctx.now(), { orphans })
  if (freed.versions > 0) ctx.say(`pruned ${freed.versions} old version(s) of vault ${shortId(vaultId)}`)
}

function _signReceipt(ctx: GuardianContext, checked: CheckedOffer): Uint8Array {
  const m = checked.manifest
  return signReceipt(
    {
      vaultId: m.vaultId,
      epoch: m.epoch,
      version: m.version,
      manifestHash: m.hash,
      guardianKey: ctx.node.peerId.publicKey!.raw,
      createdAt: ctx.now(),
    },
    ctx.sign,
  ).bytes
}

/** The receipt for a version already held (a repeated push): the one kept, or a new one. */
export function receiptFor(ctx: GuardianContext, checked: CheckedOffer): Uint8Array {
  const m = checked.manifest
  const held = ctx.db.receipt(m.vaultId, m.version)
  if (held !== undefined) return held
  const receipt = _signReceipt(ctx, checked)
  ctx.db.putReceipt(m.vaultId, m.version, receipt)
  return receipt
}

/** Gossip a proof of equivocation; repeated every anti-entropy round, so late peers hear it too. */
export function publishEvidence(
  ctx: GuardianContext,
  vaultId: Uint8Array,
  heads: { held: Uint8Array; offered: Uint8Array },
): void {
  void ctx.node.services.pubsub
    .publish(headsTopic(vaultId), encodeRecordBody(MSG.evidence, heads))
    .catch(() => {})
}
