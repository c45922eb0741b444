/**
 * The client side of a push (`/kith/push/2.0.0`, or 1.0.0 with an older guardian): offer a version, send
 * the chunks the guardian lacks within a window, verify its receipt. Kept-open sessions belong to a
 * PushSessions that its owner (the vault) closes; nothing is kept at module level.
 */
import type { AbortOptions, Stream } from '@libp2p/interface'
import { inOrderAhead } from '../ahead.js'
import { equalBytes } from '../crypto/bytes.js'
import { errorFields, type Log, silentLog } from '../log.js'
import { MAX_CHUNK_STORED } from '../replica/chunk.js'
import { openReceipt, type Receipt } from '../replica/receipt.js'
import { duration } from '../time/durations.js'
import type { PeerRef } from './client.js'
import { isRemote, PeerTimeoutError, ProtocolViolationError } from './errors.js'
import { MSG } from './messages.js'
import type { KithNode } from './node.js'
import { guardianKey, openStream, peerText } from './peers.js'
import { abortOnFailure, closeAfterReply, PROTOCOLS, Wire } from './wire.js'

/**
 * Bytes of chunks a pusher may have sent and not yet seen acknowledged: two of the largest chunks, as
 * many small ones as fit (a SQLite source's chunks are a few pages each). What a guardian must buffer.
 */
export const PUSH_WINDOW_BYTES = 2 * MAX_CHUNK_STORED
/** Chunks a pusher reads beside the one it sends (its chunk store's reads wait on the disk). */
const READ_AHEAD = 7

/** Byte counts of a push, for a progress display. */
export interface PushProgress {
  /** The guardian asked for these chunks. */
  need(chunkIds: readonly Uint8Array[]): void
  /** This many more bytes of chunks were sent. */
  sent(bytes: number): void
}

/** A guardian's session: one version's push at a time on it. */
interface PushSession {
  readonly stream: Stream
  readonly wire: Wire
  busy: boolean
}

function _usable(s: PushSession): boolean {
  const st = s.stream
  return st.status === 'open' && st.writeStatus === 'writable' && st.remoteWriteStatus === 'writable'
}

export interface PushArgs {
  manifest: Uint8Array
  manifestHash: Uint8Array
  chunk: (id: Uint8Array) => Promise<Uint8Array>
  progress?: PushProgress
  /**
   * Fellow guardians that hold this version: the guardian takes what it can from them first. Naming
   * the guardian itself too makes the offer striped (docs/format.md §Protocol messages): the guardian first asks for
   * its own stripe, takes the others' from their owners, then may ask once more for what they did not
   * give.
   */
  sources?: readonly Uint8Array[]
  /** Chunks read ahead of the one sent (READ_AHEAD): less when many guardians are pushed to at once. */
  readAhead?: number
  /**
   * Chunks to send with the offer (a small version: at most MAX_INLINE_BYTES in all), those the
   * guardian most likely lacks. A guardian speaking only /kith/push/1.0.0 asks for them instead.
   */
  inline?: readonly Uint8Array[]
}

/** A guardian's receipt for a push, and what this node sent for it. */
export interface PushResult {
  readonly receipt: Receipt
  readonly sentChunks: number
  readonly sentBytes: number
}

/**
 * Kept-open push sessions of one node, per guardian: the next version to a guardian goes on the stream
 * the last one used, with no stream to open. One push at a time uses a session; a second push to the
 * same guardian meanwhile opens a stream of its own. Its owner closes it (before stopping the node).
 */
export class PushSessions {
  private readonly kept = new Map<string, PushSession>()
  private closed = false

  constructor(
    private readonly node: KithNode,
    /** The owner's p2p logger: sessions opened, and kept ones found broken and replaced. */
    private readonly log: Log = silentLog,
  ) {}

  /**
   * Push one version: offer the manifest (with small versions' chunks inline), send only the chunks the
   * guardian still lacks, and return its verified receipt (sent only once everything is durable there).
   * The stream stays open for the next push to this guardian. A kept stream found closed when used is
   * replaced once: an offer may be repeated (a version already held gets its receipt again).
   */
  async push(guardian: PeerRef, args: PushArgs, options?: AbortOptions): Promise<PushResult> {
    const key = Buffer.from(guardian.peerId).toString('hex')
    const kept = this.kept
    let session = kept.get(key)
    if (session !== undefined && (session.busy || !_usable(session))) {
      if (!session.busy) kept.delete(key)
      session = undefined
    }
    if (session !== undefined) {
      session.busy = true
      try {
        return await _push(session, guardian, args, options)
      } catch (err) {
        // a session the guardian ended while it sat idle fails before any answer: try a new stream
        if (isRemote(err) || err instanceof PeerTimeoutError || options?.signal?.aborted) throw err
        this.log.debug({
          event: 'push-session-replaced',
          peer: peerText(guardian.peerId),
          ...errorFields(err),
        })
      } finally {
        session.busy = false
        if (this.closed || !_usable(session)) kept.delete(key)
        // closed while this push ran: its session ends with it
        if (this.closed) void closeAfterReply(session.stream)
      }
    }
    const fresh = await this._open(guardian, [PROTOCOLS.push, PROTOCOLS.pushOnce], options)
    fresh.busy = true
    const stream = fresh.stream
    const r = await _push(fresh, guardian, args, options)
    fresh.busy = false
    if (stream.protocol !== PROTOCOLS.push || this.closed) await closeAfterReply(stream)
    else if (_usable(fresh) && !kept.get(key)?.busy) {
      const old = kept.get(key)
      kept.set(key, fresh)
      if (old !== undefined) void closeAfterReply(old.stream)
    } else await closeAfterReply(stream)
    return r
  }

  /**
   * Open a session with each guardian that has none, ahead of its first push (while the version is
   * still being built): the dial, handshake and protocol choice are then off the push's path. Best
   * effort: one that cannot be opened now is opened by its push, which says why.
   */
  async warm(guardians: readonly PeerRef[], options?: AbortOptions): Promise<void> {
    await Promise.all(
      guardians.map(async (g) => {
        const key = Buffer.from(g.peerId).toString('hex')
        if (this.kept.has(key) || this.closed) return
        try {
          const session = await this._open(g, [PROTOCOLS.push], options)
          if (this.kept.has(key) || this.closed) void closeAfterReply(session.stream)
          else this.kept.set(key, session)
        } catch {
          // its push opens one and says why not
        }
      }),
    )
  }

  /** A new session with the guardian, on the first of `protocols` it speaks (not yet busy). */
  private async _open(guardian: PeerRef, protocols: string[], options?: AbortOptions): Promise<PushSession> {
    const stream = await openStream(
      this.node,
      guardian.peerId,
      guardian.addrs,
      protocols,
      options?.signal,
      this.log,
    )
    this.log.debug({
      event: 'push-session-opened',
      peer: peerText(guardian.peerId),
      protocol: stream.protocol,
    })
    return {
      stream,
      wire: new Wire(stream, stream.protocol || PROTOCOLS.push, MSG.need.maxBytes),
      busy: false,
    }
  }

  /** Close every kept session (one in use closes when its push ends); later pushes keep none. Idempotent. */
  close(): void {
    this.closed = true
    for (const [key, s] of this.kept) {
      if (s.busy) continue
      this.kept.delete(key)
      void closeAfterReply(s.stream)
    }
  }
}

/**
 * Send the chunks a need asked for, each read a few ahead, with at most PUSH_WINDOW_BYTES of them
 * unacknowledged (what the guardian must buffer); returns their bytes once all are acknowledged.
 */
async function _sendChunks(
  wire: Wire,
  need: readonly Uint8Array[],
  args: PushArgs,
  options?: AbortOptions,
): Promise<number> {
  const unacked: number[] = []
  let unackedBytes = 0
  let bytes = 0
  const acked = async () => {
    await wire.receive(MSG.ack, options)
    unackedBytes -= unacked.shift()!
  }
  let i = 0
  for await (const data of inOrderAhead(need, args.readAhead ?? READ_AHEAD, (id) => args.chunk(id))) {
    const id = need[i++]!
    while (unacked.length > 0 && unackedBytes + data.length > PUSH_WINDOW_BYTES) await acked()
    await wire.send(MSG.chunk, { id, data }, options)
    unacked.push(data.length)
    unackedBytes += data.length
    bytes += data.length
    args.progress?.sent(data.length)
  }
  while (unacked.length > 0) await acked()
  return bytes
}

/** One offer and what follows it, on a session's stream (aborted if anything fails). */
async function _push(
  session: PushSession,
  guardian: PeerRef,
  args: PushArgs,
  options?: AbortOptions,
): Promise<PushResult> {
  const { stream, wire } = session
  const inline = stream.protocol === PROTOCOLS.push ? (args.inline ?? []) : []
  // with sources, the guardian first takes chunks from its fellows before it answers: only the push's
  // own deadline bounds that step
  const relayed = args.sources !== undefined && args.sources.length > 0
  const { receipt, sent, bytes } = await abortOnFailure(stream, async () => {
    const chunks = await Promise.all(inline.map(async (id) => ({ id, data: await args.chunk(id) })))
    await wire.send(
      MSG.offer,
      {
        manifest: args.manifest,
        ...(relayed ? { sources: args.sources!.map((peerId) => ({ peerId })) } : {}),
        ...(chunks.length > 0 ? { chunks } : {}),
      },
      options,
    )
    let bytes = chunks.reduce((n, c) => n + c.data.length, 0)
    const step = relayed ? { ...options, timeoutMs: duration('relayStep') } : options
    // on a session, a guardian that lacks nothing more answers with its receipt at once
    const [needed, early] =
      stream.protocol === PROTOCOLS.push
        ? await wire.receiveEither(MSG.need, MSG.receipt, step)
        : [await wire.receive(MSG.need, step), undefined]
    if (chunks.length > 0) args.progress?.sent(bytes)
    if (early !== undefined) return { receipt: openReceipt(early.receipt), sent: chunks.length, bytes }
    let sent = chunks.length
    let need = needed!.chunks
    // a striped offer's first need is the guardian's own stripe; one more may follow, for what its
    // fellows did not give (at most once, on a session, when fellows were named)
    for (let round = relayed && stream.protocol === PROTOCOLS.push ? 2 : 1; ; ) {
      args.progress?.need(need)
      bytes += await _sendChunks(wire, need, args, options)
      sent += need.length
      if (--round === 0) break
      const [more, receipt] = await wire.receiveEither(MSG.need, MSG.receipt, step)
      if (receipt !== undefined) return { receipt: openReceipt(receipt.receipt), sent, bytes }
      need = more!.chunks
    }
    const receipt = openReceipt((await wire.receive(MSG.receipt, options)).receipt)
    return { receipt, sent, bytes }
  })
  // the receipt must be the guardian's own, for exactly this manifest
  if (
    !equalBytes(receipt.manifestHash, args.manifestHash) ||
    !equalBytes(receipt.guardianKey, guardianKey(guardian.peerId))
  ) {
    stream.abort(new Error('receipt for another manifest or signer'))
    throw new ProtocolViolationError(PROTOCOLS.push, 'receipt for another manifest or signer')
  }
  return { receipt, sentChunks: sent, sentBytes: bytes }
}
