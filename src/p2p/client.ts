/**
 * The client side of the one-shot guardian protocols: enroll with an invite, send a roster, a commit
 * certificate or a veto, fetch heads, manifests, chunks and journal entries, ask for a recovery, drill.
 * Used by the coordinator, the recoverer and, for catch-up, by guardians themselves. Each call opens one
 * stream, with deadlines on every step, and verifies what it gets back; pushes are push-session.ts's.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { RecordDef } from '../codec/record.js'
import type { SchemaFields, Values } from '../codec/schema.js'
import { errorFields, type Log, silentLog } from '../log.js'
import { ProtocolViolationError } from './errors.js'
import type { Invite } from './invite.js'
import { type MessageOf, MSG, type RequestState } from './messages.js'
import type { KithNode } from './node.js'
import { openStream, peerIdFromBytes } from './peers.js'
import { abortOnFailure, closeAfterReply, PROTOCOLS, Wire } from './wire.js'

export interface PeerRef {
  readonly peerId: Uint8Array
  readonly addrs: readonly string[]
}

/** A call's deadline, and the caller's p2p logger (dial failures, failed calls; debug only). */
export interface CallOptions extends AbortOptions {
  readonly log?: Log
}

/**
 * One request, one reply: open a stream for `protocol`, send `request`, read a `reply` (or the peer's
 * named error), close. Every one-shot client below is this.
 */
async function _ask<Q extends SchemaFields, R extends SchemaFields>(
  node: KithNode,
  peer: PeerRef,
  protocol: string,
  request: RecordDef<Q>,
  values: Values<Q>,
  reply: RecordDef<R>,
  options?: CallOptions,
): Promise<Values<R>> {
  const log = options?.log ?? silentLog
  const stream = await openStream(node, peer.peerId, peer.addrs, protocol, options?.signal, log)
  const wire = new Wire(stream, protocol, reply.maxBytes)
  const fields = await abortOnFailure(stream, async () => {
    await wire.send(request, values, options)
    return wire.receive(reply, options)
  }).catch((err: unknown) => {
    log.debug({
      event: 'call-failed',
      peer: peerIdFromBytes(peer.peerId).toString(),
      protocol,
      ...errorFields(err),
    })
    throw err
  })
  await closeAfterReply(stream)
  return fields
}

/** Present an invite (its secret first, alone) with the vault's roster and this guardian's share. */
export async function enrollWithInvite(
  node: KithNode,
  invite: Invite,
  args: { roster: Uint8Array; share: Uint8Array; label: string },
  options?: CallOptions,
): Promise<{ quota: number }> {
  const stream = await openStream(
    node,
    invite.peerId,
    invite.addrs,
    PROTOCOLS.enroll,
    options?.signal,
    options?.log,
  )
  const wire = new Wire(stream, PROTOCOLS.enroll, MSG.enrolled.maxBytes)
  const reply = await abortOnFailure(stream, async () => {
    await wire.send(MSG.enrollHello, { secret: invite.secret }, options)
    await wire.receive(MSG.ack, options)
    await wire.send(
      MSG.enroll,
      { secret: invite.secret, roster: args.roster, share: args.share, label: args.label },
      options,
    )
    return wire.receive(MSG.enrolled, options)
  })
  await closeAfterReply(stream)
  return { quota: reply.quota }
}

/** Send a guardian a newer signed roster and its share of the new split (no share: it was removed). */
export async function sendRoster(
  node: KithNode,
  guardian: PeerRef,
  args: { roster: Uint8Array; share?: Uint8Array; choice?: Uint8Array },
  options?: CallOptions,
): Promise<void> {
  await _ask(
    node,
    guardian,
    PROTOCOLS.roster,
    MSG.roster,
    {
      roster: args.roster,
      ...(args.share !== undefined ? { share: args.share } : {}),
      ...(args.choice !== undefined ? { choice: args.choice } : {}),
    },
    MSG.ack,
    options,
  )
}

/** Give a guardian a version's commit certificate (docs/format.md §Commit certificate). */
export async function sendCertificate(
  node: KithNode,
  guardian: PeerRef,
  certificate: Uint8Array,
  options?: CallOptions,
): Promise<void> {
  await _ask(node, guardian, PROTOCOLS.certify, MSG.certify, { certificate }, MSG.ack, options)
}

/** Send a guardian the vault's signed veto of one recovery request. */
export async function sendVeto(
  node: KithNode,
  guardian: PeerRef,
  veto: Uint8Array,
  options?: CallOptions,
): Promise<void> {
  await _ask(node, guardian, PROTOCOLS.veto, MSG.veto, { veto }, MSG.ack, options)
}

/** Tell a guardian a recovery is done (the message is signed by the vault and recovery keys). */
export async function sendDone(
  node: KithNode,
  guardian: PeerRef,
  done: MessageOf<'done'>,
  options?: CallOptions,
): Promise<void> {
  await _ask(node, guardian, PROTOCOLS.done, MSG.done, done, MSG.ack, options)
}

export type FetchRequest =
  | { readonly what: 'head' }
  | { readonly what: 'evidence' }
  | { readonly what: 'requests' }
  | { readonly what: 'freshness' }
  | { readonly what: 'roster' }
  | { readonly what: 'addresses' }
  | { readonly what: 'journalHead'; readonly journal: string }
  | { readonly what: 'entries'; readonly journal: string; readonly from: number }
  | { readonly what: 'manifest'; readonly version: number }
  | { readonly what: 'chunk'; readonly id: Uint8Array }

/** Fetch one head, manifest, chunk or equivocation evidence of a vault. The caller verifies it (heads,
 * manifests and evidence are signed; chunks hash to their id). */
export async function fetchFromPeer(
  node: KithNode,
  peer: PeerRef,
  vaultId: Uint8Array,
  req: FetchRequest,
  options?: CallOptions,
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
    ...(req.what === 'journalHead' ? { journal: req.journal } : {}),
    ...(req.what === 'entries' ? { journal: req.journal, version: req.from } : {}),
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
  options?: CallOptions,
): Promise<RecoveryReply> {
  return _ask(node, guardian, PROTOCOLS.recover, MSG.recover, { vaultId, recoveryKey }, MSG.recovery, options)
}

/** Challenge a guardian to prove it holds its share and the named chunks (see shares/drill.ts). */
export async function drillGuardian(
  node: KithNode,
  guardian: PeerRef,
  args: { vaultId: Uint8Array; nonce: Uint8Array; chunks: readonly Uint8Array[] },
  options?: CallOptions,
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
