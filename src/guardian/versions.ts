/**
 * Storing versions: a VersionIntake per push or catch-up accepts each chunk a checked offer asked for
 * (batched, since a transaction per small chunk costs more than the chunk), then commits the version
 * with its receipt in one transaction and only then hands out the receipt; the retention it triggers and
 * the head's announcement follow once the receipt is out, once for a burst of pushes.
 */
import { releaseBytes, toHex } from '../crypto/bytes.js'
import { ProtocolViolationError } from '../p2p/errors.js'
import { MAX_INLINE_BYTES } from '../p2p/messages.js'
import { PROTOCOLS } from '../p2p/wire.js'
import { verifyChunkId } from '../replica/chunk.js'
import { signReceipt } from '../replica/receipt.js'
import type { Incoming } from './arrivals.js'
import { type GuardianContext, vaultName } from './context.js'
import { QuotaExceededError } from './errors.js'
import { coverJournals } from './heads.js'
import type { CheckedOffer } from './ingest.js'
import { announceDelay, retainDelay } from './later.js'
import { requireRoom } from './quota.js'
import { versionsToKeep } from './retention.js'

/**
 * Chunks written per transaction (without an fsync of its own). Each batch is held in memory until it
 * is written: at 8 MiB a friend's small computer peaked 4-5 MB higher ingesting 1 GiB (bench:guardian,
 * as deployed), and 2 MiB took in as fast.
 */
const BATCH_BYTES = 2 * 1024 * 1024

/**
 * The chunks of one checked offer, on their way to disk. While open, fellows that ask for one of them
 * are answered when it comes (arrivals.ts).
 */
export class VersionIntake implements Incoming {
  private readonly missing: Map<string, number>
  /** Chunks accepted, not yet written; `own`: its message is this intake's alone, to free once written. */
  private batch: { id: Uint8Array; data: Uint8Array; own: boolean }[] = []
  private batchBytes = 0
  private readonly unregister: () => void
  /** Chunks accepted so far, from anyone: a relay's progress. */
  accepted = 0

  private open = true
  private committed = false

  constructor(
    private readonly ctx: GuardianContext,
    readonly checked: CheckedOffer,
  ) {
    this.missing = new Map(checked.need)
    // chunks written before the commit reference no version yet: orphan sweeps must wait for them
    const key = toHex(checked.manifest.vaultId)
    ctx.intakes.set(key, (ctx.intakes.get(key) ?? 0) + 1)
    this.unregister = ctx.arrivals.add(checked.manifest.vaultId, this)
  }

  get version(): number {
    return this.checked.manifest.version
  }

  batched(hex: string): Uint8Array | undefined {
    const c = this.batch.find((b) => toHex(b.id) === hex)
    // a fellow is given it: its bytes are no longer this intake's alone to free
    if (c !== undefined) c.own = false
    return c?.data
  }

  expects(hex: string): boolean {
    return this.open && this.missing.has(hex)
  }

  /** Done with this intake, committed or not (idempotent). */
  close(): void {
    if (!this.open) return
    this.open = false
    // fetches waiting for a chunk no other open intake expects are answered none
    this.unregister()
    const key = toHex(this.checked.manifest.vaultId)
    const left = (this.ctx.intakes.get(key) ?? 1) - 1
    if (left > 0) this.ctx.intakes.set(key, left)
    else this.ctx.intakes.delete(key)
  }

  /** The chunks still to come, in the manifest's order. */
  needed(): Uint8Array[] {
    return [...this.missing.keys()].map((h) => new Uint8Array(Buffer.from(h, 'hex')))
  }

  /**
   * Accept one chunk: listed by the signed manifest, asked for, once, and intact. `message`: the chunk
   * came in a message of its own that nothing else keeps (a push's chunk): freed once written, unless a
   * fellow was given it meanwhile.
   */
  accept(id: Uint8Array, data: Uint8Array, message: 'own' | 'shared' = 'shared'): void {
    const hex = toHex(id)
    const size = this.missing.get(hex)
    if (size === undefined) throw new ProtocolViolationError(PROTOCOLS.push, 'chunk not asked for')
    if (data.length !== size)
      throw new ProtocolViolationError(PROTOCOLS.push, 'chunk size differs from the manifest')
    verifyChunkId(id, data)
    this.missing.delete(hex)
    this.accepted++
    // fetches waiting for it, through this intake or another of the vault's, get it now
    const given = this.ctx.arrivals.arrived(this.checked.manifest.vaultId, hex, data)
    this.batch.push({ id, data, own: message === 'own' && given === 0 })
    this.batchBytes += data.length
    if (this.batchBytes >= BATCH_BYTES) this.flush()
  }

  /**
   * Accept the chunks an offer carried inline: each must be one the signed manifest lists; those this
   * guardian already holds (or that came twice) are passed over. At most MAX_INLINE_BYTES in all.
   */
  acceptInline(chunks: readonly { id: Uint8Array; data: Uint8Array }[]): void {
    const bytes = chunks.reduce((n, c) => n + c.data.length, 0)
    if (bytes > MAX_INLINE_BYTES) throw new ProtocolViolationError(PROTOCOLS.push, 'too many bytes inline')
    if (this.checked.duplicate) return
    const listed = new Set(this.checked.manifest.chunks.map((c) => toHex(c.id)))
    for (const c of chunks) {
      const hex = toHex(c.id)
      if (!listed.has(hex))
        throw new ProtocolViolationError(PROTOCOLS.push, 'inline chunk not in the manifest')
      if (this.missing.has(hex)) this.accept(c.id, c.data)
    }
  }

  /**
   * Commit the fully received version with its receipt in one transaction (one fsync). Returns the
   * receipt, to send only now; then settle(). A version already held gets the receipt kept for it (or a
   * new one).
   */
  commit(): Uint8Array {
    const ctx = this.ctx
    const m = this.checked.manifest
    if (this.checked.duplicate) return receiptFor(ctx, this.checked)
    if (this.missing.size > 0) throw new ProtocolViolationError(PROTOCOLS.push, 'chunks missing at commit')
    const receipt = _signReceipt(ctx, this.checked)
    // its chunks are referenced from here on (the transaction below runs with nothing in between), so
    // this intake no longer holds back the chunk sweeps of retention
    this.close()
    try {
      ctx.db.atomically(() => this._commit(receipt))
    } catch (err) {
      // journal entries took the room while the chunks came (the offer fitted when checked): the chunks
      // written so far are referenced by nothing, and go now, not at the next anti-entropy round
      if (err instanceof QuotaExceededError) retain(ctx, m.vaultId, true)
      throw err
    }
    this.committed = true
    // its commit certificate came first (a catch-up): the journals' marks it carries apply now
    if (ctx.db.vaults.get(m.vaultId)?.certifiedVersion === m.version) coverJournals(ctx, m.vaultId, m.version)
    return receipt
  }

  /** The commit's one transaction: the last batch, the quota checked again, the version, its receipt. */
  private _commit(receipt: Uint8Array): void {
    const ctx = this.ctx
    const m = this.checked.manifest
    this.flush()
    // the chunks are counted in the vault's bytes by now; the manifest is what this adds
    requireRoom(ctx.db, m.vaultId, m.bytes.length)
    ctx.db.versions.commit(
      {
        vaultId: m.vaultId,
        version: m.version,
        epoch: m.epoch,
        hash: m.hash,
        createdAt: m.createdAt,
        manifest: m.bytes,
        head: this.checked.head.bytes,
        chunkIds: m.chunks.map((c) => c.id),
      },
      ctx.now(),
    )
    ctx.db.versions.putReceipt(m.vaultId, m.version, receipt)
  }

  /**
   * After the receipt is out: say so, and ask for the head's announcement and the retention the new
   * version triggers (guardian/later.ts: once a burst of pushes is over, not at each). Nothing there is
   * promised to anyone, so a crash before it loses nothing: the next round of anti-entropy announces
   * the head and applies retention.
   */
  settle(): void {
    if (!this.committed) return
    this.committed = false
    const ctx = this.ctx
    const m = this.checked.manifest
    const head = this.checked.head.bytes
    const key = toHex(m.vaultId)
    ctx.say(`stored version ${m.version} of vault ${vaultName(ctx, m.vaultId)}`)
    ctx.later.ask(`${key}/announce`, announceDelay(), () => {
      void ctx.gossip
        .publish(m.vaultId, head)
        .catch((err: unknown) => ctx.log.debug({ event: 'publish-failed', reason: String(err) }))
    })
    ctx.later.ask(`${key}/retain`, retainDelay(), () => {
      void ctx
        .exclusive(m.vaultId, async () => {
          if (ctx.running()) retain(ctx, m.vaultId)
        })
        .catch((err: unknown) => ctx.log.debug({ event: 'retain-failed', reason: String(err) }))
    })
  }

  /** Write what is batched (the catch-up does before it takes the vault's lock to commit). */
  flush(): void {
    if (this.batch.length === 0) return
    this.ctx.db.versions.putChunks(this.checked.manifest.vaultId, this.batch)
    for (const c of this.batch) if (c.own) _releaseMessage(c.data)
    this.batch = []
    this.batchBytes = 0
  }
}

/**
 * Free the message a chunk came in, now that it is written: V8 frees a buffer only at a full collection,
 * and chunk messages (up to 4 MiB each) piled up by the tens of MiB until one came. Only a message of
 * its own: one over 64 KiB spans several Noise frames, so the length-prefixed reader assembled it into a
 * buffer of its own, which holds nothing but the record's header, the id and these bytes.
 */
function _releaseMessage(data: Uint8Array): void {
  if (data.byteLength >= 64 * 1024) releaseBytes(data, 1024)
}

/** Apply the retention policy to a vault (caller holds its lock); `orphans` also sweeps chunks of
 * interrupted pushes. */
export function retain(ctx: GuardianContext, vaultId: Uint8Array, orphans = false): void {
  const keep = versionsToKeep(ctx.db.versions.list(vaultId), ctx.retention)
  // an intake in progress has chunks no version references yet: they are not orphans, and stay until a
  // later sweep (every anti-entropy round) finds no intake open
  const intake = (ctx.intakes.get(toHex(vaultId)) ?? 0) > 0
  const freed = ctx.db.withoutSync(() =>
    ctx.db.versions.prune(vaultId, keep, ctx.now(), { orphans, keepChunks: intake }),
  )
  if (freed.versions > 0)
    ctx.say(`pruned ${freed.versions} old version(s) of vault ${vaultName(ctx, vaultId)}`)
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
function receiptFor(ctx: GuardianContext, checked: CheckedOffer): Uint8Array {
  const m = checked.manifest
  const held = ctx.db.versions.receipt(m.vaultId, m.version)
  if (held !== undefined) return held
  const receipt = _signReceipt(ctx, checked)
  ctx.db.versions.putReceipt(m.vaultId, m.version, receipt)
  return receipt
}
