/**
 * The client side of every guardian protocol: enroll with an invite, push a version, fetch heads,
 * manifests and chunks. Used by the coordinator and, for catch-up, by guardians themselves. Each
 * call opens one stream, with deadlines on every step, and verifies what it gets back.
 */
import type { AbortOptions, Stream } from '@libp2p/interface'
import { inOrderAhead } from '../ahead.js'
import type { RecordDef } from '../codec/record.js'
import type { SchemaFields, Values } from '../codec/schema.js'
import { equalBytes } from '../crypto/bytes.js'
import { MAX_CHUNK_STORED } from '../replica/chunk.js'
import { openReceipt, type Receipt } from '../replica/receipt.js'
import { duration } from '../time/durations.js'
import { isRemote, PeerTimeoutError, ProtocolViolationError } from './errors.js'
import type { Invite } from './invite.js'
import { MSG, type RequestState } from './messages.js'
import type { KithNode } from './node.js'
import { guardianKey, openStream } from './peers.js'
import { PROTOCOLS, Wire } from './wire.js'

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

export interface PeerRef {
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
}

/**
 * One request, one reply: open a stream for `protocol`, send `request`, read a `reply` (or the peer's
 * named error), close. Every one-shot client below is this; only a push keeps its stream for chunks.
 */
async function _ask<Q extends SchemaFields, R extends SchemaFields>(
  node: KithNode,
  peer: PeerRef,
  protocol: string,
  request: RecordDef<Q>,
  values: Values<Q>,
  reply: RecordDef<R>,
  options?: AbortOptions,
): Promise<Values<R>> {
  const stream = await openStream(node, peer.peerId, peer.addrs, protocol, options?.signal)
  const wire = new Wire(stream, protocol, reply.maxBytes)
  const fields = await _orAbort(stream, async () => {
    await wire.send(request, values, options)
    return wire.receive(reply, options)
  })
  await _close(stream)
  return fields
}

/** Run a client's steps; if one fails, abort the stream so the peer's handler stops at once. */
async function _orAbort<T>(stream: Stream, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps()
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/** Close after the last reply. The answer is already in hand: a peer that reset the stream after
 * answering changes nothing, so a failed close is not an error of the call. */
async function _close(stream: Stream): Promise<void> {
  await stream.close().catch(() => undefined)
}

/** Present an invite (its secret first, alone) with the vault's roster and this guardian's share. */
export async function enrollWithInvite(
  node: KithNode,
  invite: Invite,
  args: { roster: Uint8Array; share: Uint8Array; label: string },
  options?: AbortOptions,
): Promise<{ quota: number }> {
  const stream = await openStream(node, invite.peerId, invite.addrs, PROTOCOLS.enroll, options?.signal)
  const wire = new Wire(stream, PROTOCOLS.enroll, MSG.enrolled.maxBytes)
  const reply = await _orAbort(stream, async () => {
    await wire.send(MSG.enrollHello, { secret: invite.secret }, options)
    await wire.receive(MSG.ack, options)
    await wire.send(
      MSG.enroll,
      { secret: invite.secret, roster: args.roster, share: args.share, label: args.label },
      options,
    )
    return wire.receive(MSG.enrolled, options)
  })
  await _close(stream)
  return { quota: reply.quota }
}

/** Send a guardian a newer signed roster and its share of the new split (no share: it was removed). */
export async function sendRoster(
  node: KithNode,
  guardian: PeerRef,
  args: { roster: Uint8Array; share?: Uint8Array },
  options?: AbortOptions,
): Promise<void> {
  await _ask(
    node,
    guardian,
    PROTOCOLS.roster,
    MSG.roster,
    { roster: args.roster, ...(args.share !== undefined ? { share: args.share } : {}) },
    MSG.ack,
    options,
  )
}

/** Give a guardian a version's commit certificate (docs/format.md §Commit certificate). */
export async function sendCertificate(
  node: KithNode,
  guardian: PeerRef,
  certificate: Uint8Array,
  options?: AbortOptions,
): Promise<void> {
  await _ask(node, guardian, PROTOCOLS.certify, MSG.certify, { certificate }, MSG.ack, options)
}

/** Send a guardian the vault's signed veto of one recovery request. */
export async function sendVeto(
  node: KithNode,
  guardian: PeerRef,
  veto: Uint8Array,
  options?: AbortOptions,
): Promise<void> {
  await _ask(node, guardian, PROTOCOLS.veto, MSG.veto, { veto }, MSG.ack, options)
}

/**
 * Kept-open push sessions (`/kith/push/2.0.0`), per node and guardian: the next version to a guardian
 * goes on the stream the last one used, with no stream to open. One push at a time uses a session; a
 * second push to the same guardian meanwhile opens a stream of its own.
 */
interface PushSession {
  readonly stream: Stream
  readonly wire: Wire
  busy: boolean
}
const sessions = new WeakMap<KithNode, Map<string, PushSession>>()

function _sessionsOf(node: KithNode): Map<string, PushSession> {
  const m = sessions.get(node) ?? new Map<string, PushSession>()
  sessions.set(node, m)
  return m
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
  /** Fellow guardians that hold this version: the guardian takes what it can from them first. */
  sources?: readonly Uint8Array[]
  /**
   * Chunks to send with the offer (a small version: at most MAX_INLINE_BYTES in all), those the
   * guardian most likely lacks. A guardian speaking only /kith/push/1.0.0 asks for them instead.
   */
  inline?: readonly Uint8Array[]
}

/**
 * Push one version: offer the manifest (with small versions' chunks inline), send only the chunks the
 * guardian still lacks, and return its verified receipt (sent only once everything is durable there).
 * The stream stays open for the next push to this guardian. A kept stream found closed when used is
 * replaced once: an offer may be repeated (a version already held gets its receipt again).
 */
export async function pushVersion(
  node: KithNode,
  guardian: PeerRef,
  args: PushArgs,
  options?: AbortOptions,
): Promise<{ receipt: Receipt; sentChunks: number; sentBytes: number }> {
  const key = Buffer.from(guardian.peerId).toString('hex')
  const kept = _sessionsOf(node)
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
    } finally {
      session.busy = false
      if (!_usable(session)) kept.delete(key)
    }
  }
  const stream = await openStream(
    node,
    guardian.peerId,
    guardian.addrs,
    [PROTOCOLS.push, PROTOCOLS.pushOnce],
    options?.signal,
  )
  const fresh: PushSession = {
    stream,
    wire: new Wire(stream, stream.protocol || PROTOCOLS.push, MSG.need.maxBytes),
    busy: true,
  }
  const r = await _push(fresh, guardian, args, options)
  fresh.busy = false
  if (stream.protocol !== PROTOCOLS.push) await _close(stream)
  else if (_usable(fresh) && !kept.get(key)?.busy) {
    const old = kept.get(key)
    kept.set(key, fresh)
    if (old !== undefined) void _close(old.stream)
  } else await _close(stream)
  return r
}

/** One offer and what follows it, on a session's stream (aborted if anything fails). */
async function _push(
  session: PushSession,
  guardian: PeerRef,
  args: PushArgs,
  options?: AbortOptions,
): Promise<{ receipt: Receipt; sentChunks: number; sentBytes: number }> {
  const { stream, wire } = session
  const inline = stream.protocol === PROTOCOLS.push ? (args.inline ?? []) : []
  // with sources, the guardian first takes chunks from its fellows before it answers: only the push's
  // own deadline bounds that step
  const relayed = args.sources !== undefined && args.sources.length > 0
  const { receipt, sent, bytes } = await _orAbort(stream, async () => {
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
    const need = needed!.chunks
    args.progress?.need(need)
    // the guardian acks each stored chunk; keeping PUSH_WINDOW_BYTES unacked bounds what it must buffer
    const unacked: number[] = []
    let unackedBytes = 0
    const acked = async () => {
      await wire.receive(MSG.ack, options)
      unackedBytes -= unacked.shift()!
    }
    let i = 0
    for await (const data of inOrderAhead(need, READ_AHEAD, (id) => args.chunk(id))) {
      const id = need[i++]!
      while (unacked.length > 0 && unackedBytes + data.length > PUSH_WINDOW_BYTES) await acked()
      await wire.send(MSG.chunk, { id, data }, options)
      unacked.push(data.length)
      unackedBytes += data.length
      bytes += data.length
      args.progress?.sent(data.length)
    }
    while (unacked.length > 0) await acked()
    const receipt = openReceipt((await wire.receive(MSG.receipt, options)).receipt)
    return { receipt, sent: need.length + chunks.length, bytes }
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

export type FetchRequest =
  | { readonly what: 'head' }
  | { readonly what: 'evidence' }
  | { readonly what: 'requests' }
  | { readonly what: 'freshness' }
  | { readonly what: 'roster' }
  | { readonly what: 'addresses' }
  | { readonly what: 'streamHead'; readonly stream: string }
  | { readonly what: 'entries'; readonly stream: string; readonly from: number }
  | { readonly what: 'manifest'; readonly version: number }
  | { readonly what: 'chunk'; readonly id: Uint8Array }

/** Fetch one head, manifest, chunk or equivocation evidence of a vault. The caller verifies it (heads,
 * manifests and evidence are signed; chunks hash to their id). */
export async function fetchFromPeer(
  node: KithNode,
  peer: PeerRef,
  vaultId: Uint8Array,
  req: FetchRequest,
  options?: AbortOptions,
): Promise<Uint8Array> {
  const reply = await _ask(
    node,
    peer,
    PROTOCOLS.fetch,
    MSG.fetch,
    fetchFields(vaultId, req),
    MSG.fetched,
    options,
  )
  return reply.data
}

/** A fetch message's fields for `req`. */
export function fetchFields(vaultId: Uint8Array, req: FetchRequest): Values<typeof MSG.fetch.schema.fields> {
  return {
    vaultId,
    what: req.what,
    ...(req.what === 'manifest' ? { version: req.version } : {}),
    ...(req.what === 'chunk' ? { chunkId: req.id } : {}),
    ...(req.what === 'streamHead' ? { stream: req.stream } : {}),
    ...(req.what === 'entries' ? { stream: req.stream, version: req.from } : {}),
  }
}

/** Where a recovery request stands at one guardian (docs/format.md §Recovery request). */
export interface RecoveryReply {
  readonly requestId: Uint8Array
  readonly state: RequestState
  readonly releaseAt?: number
  /** The vault's signed roster, as this guardian holds it (unverified here); only once approved. */
  readonly roster?: Uint8Array
  /** The share envelope sealed to the recovery key: present once, in the reply that released it. */
  readonly sealedShare?: Uint8Array
  /** This guardian's phone code for the request, sealed to the recovery key; while it is pending. */
  readonly sealedCode?: Uint8Array
  /** Signed address records of the vault's guardians (unverified here); only once approved. */
  readonly addresses?: readonly { readonly record: Uint8Array }[]
}

/** Make (or poll) a recovery request for a vault with a one-time recovery public key. */
export async function requestRecovery(
  node: KithNode,
  guardian: PeerRef,
  vaultId: Uint8Array,
  recoveryKey: Uint8Array,
  options?: AbortOptions,
): Promise<RecoveryReply> {
  return _ask(node, guardian, PROTOCOLS.recover, MSG.recover, { vaultId, recoveryKey }, MSG.recovery, options)
}

/** Challenge a guardian to prove it holds its share and the named chunks (see shares/drill.ts). */
export async function drillGuardian(
  node: KithNode,
  guardian: PeerRef,
  args: { vaultId: Uint8Array; nonce: Uint8Array; chunks: readonly Uint8Array[] },
  options?: AbortOptions,
): Promise<{ shareProof: Uint8Array; chunkProofs: readonly Uint8Array[]; head?: Uint8Array }> {
  const r = await _ask(
    node,
    guardian,
    PROTOCOLS.drill,
    MSG.drill,
    { vaultId: args.vaultId, nonce: args.nonce, chunks: args.chunks },
    MSG.drilled,
    options,
  )
  if (r.chunkProofs.length !== args.chunks.length)
    throw new ProtocolViolationError(PROTOCOLS.drill, 'wrong number of chunk proofs')
  return r
}
