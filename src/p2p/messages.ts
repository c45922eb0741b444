/**
 * Protocol messages (docs/format.md §Protocol messages). Each is a TLV record of a message kind (16 and
 * up in the registry, codec/kinds.ts); signed records travel inside them as bytes and are verified by
 * the receiver. Every message has a size cap that the wire checks before reading it. Packed items and
 * enumerations are defined here once and used by both ends.
 */

import { REQUEST_ID_LENGTH } from '../ceremony/request.js'
import { VETO } from '../ceremony/veto.js'
import type { KindName } from '../codec/kinds.js'
import { defineRecord, type RecordDef } from '../codec/record.js'
import {
  defineSchema,
  field,
  type PackedItem,
  rawItems,
  type SchemaFields,
  type Values,
} from '../codec/schema.js'
import { COMPRESSED_PUBLIC_KEY_LENGTH } from '../crypto/ecies.js'
import { JOURNAL_ENTRY, WRITER_CERTIFICATE } from '../journal/entry.js'
import { CERTIFICATE } from '../replica/certificate.js'
import { CHAIN_CHOICE } from '../replica/choice.js'
import { MAX_CHUNK_STORED } from '../replica/chunk.js'
import { HEAD } from '../replica/head.js'
import { MANIFEST, MAX_MANIFEST_CHUNKS } from '../replica/manifest.js'
import { RECEIPT } from '../replica/receipt.js'
import { ROSTER } from '../replica/roster.js'
import { SHARE_ENVELOPE } from '../shares/share-envelope.js'
import { MAX_ADDRESS_RECORD } from './peer-records.js'

const msg = <S extends SchemaFields>(
  kind: KindName,
  name: string,
  fields: S,
  maxBytes: number,
  version = 1,
): RecordDef<S> =>
  defineRecord({ kind, schema: defineSchema(name, fields), version, maxBytes, signed: false })

/** Most chunks one drill challenge names. */
export const DRILL_MAX_CHUNKS = 16

/** What a fetch asks for (docs/format.md §Protocol messages, fetch). */
export const FETCH_WHAT = {
  head: 1,
  manifest: 2,
  chunk: 3,
  evidence: 4,
  requests: 5,
  freshness: 6,
  roster: 7,
  /** A journal's writer certificate and newest entry (§Live stream). */
  journalHead: 8,
  /** A journal's entries from a position on, as many as fit one reply. */
  entries: 9,
  /** The newest signed address records this guardian holds: its own and its fellow guardians'. */
  addresses: 10,
} as const

/** A recovery request's state as its guardian keeps it and a recoverer hears it (§Recovery request). */
export const REQUEST_STATE = {
  pending: 1,
  approved: 2,
  released: 3,
  denied: 4,
  vetoed: 5,
  superseded: 6,
  expired: 7,
  /** Too many wrong codes were typed for it: closed, like a denial. */
  locked: 8,
  /** The person who made it recovered the vault and said so (§Recovery done): closed, nothing to do. */
  finished: 9,
} as const
export type RequestState = keyof typeof REQUEST_STATE

/** One open recovery request, as a guardian reports it to the vault's coordinator. */
export interface OpenRequest {
  readonly requestId: Uint8Array
  readonly createdAt: number
}

/** request id[16] || created_at u64 */
const OPEN_REQUEST: PackedItem<OpenRequest> = {
  stride: REQUEST_ID_LENGTH + 8,
  encode: (r) => {
    const out = new Uint8Array(REQUEST_ID_LENGTH + 8)
    out.set(r.requestId, 0)
    new DataView(out.buffer).setBigUint64(REQUEST_ID_LENGTH, BigInt(r.createdAt))
    return out
  },
  decode: (b) => ({
    requestId: b.subarray(0, REQUEST_ID_LENGTH),
    createdAt: Number(new DataView(b.buffer, b.byteOffset + REQUEST_ID_LENGTH, 8).getBigUint64(0)),
  }),
}

const ADDRESS_ITEM = defineSchema('address record item', { record: field.varbytes(1, MAX_ADDRESS_RECORD) })
const addressList = (tag: number) => field.list(tag, ADDRESS_ITEM, 64, MAX_ADDRESS_RECORD + 8)

/** Most fellow guardians a push offer names as holding the version's chunks. */
export const MAX_PUSH_SOURCES = 16
const SOURCE_ITEM = defineSchema('push source item', { peerId: field.varbytes(1, 64) })
/** Most bytes of chunks an offer may carry inline (a small version, in one round trip). */
export const MAX_INLINE_BYTES = 256 * 1024
/** Most chunks an offer may carry inline. */
export const MAX_INLINE_CHUNKS = 256
const INLINE_ITEM = defineSchema('inline chunk item', {
  id: field.bytes(1, 32),
  data: field.varbytes(2, MAX_INLINE_BYTES),
})
const ENTRY_ITEM = defineSchema('stream entries item', { entry: field.varbytes(1, JOURNAL_ENTRY.maxBytes) })

/** A guardian's answer to a release file offered (§Release offer): it keeps the file, or wants it. */
export const RELEASE_ANSWER = { have: 1, send: 2 } as const
/** Most bytes of a release file one part carries. */
export const RELEASE_PART_BYTES = 1024 * 1024

const ids = (tag: number, maxItems: number) => field.packed(tag, rawItems(32), maxItems)

export const MSG = {
  /** Any step may be answered with this instead: a stable code and one human line. */
  error: msg('error', 'error reply', { code: field.utf8(1, 64), message: field.utf8(2, 512) }, 1024),
  enroll: msg(
    'enroll',
    'enroll request',
    {
      secret: field.bytes(1, 32),
      roster: field.varbytes(2, ROSTER.maxBytes),
      share: field.varbytes(3, SHARE_ENVELOPE.maxBytes),
      label: field.utf8(4, 64),
    },
    ROSTER.maxBytes + 1024,
  ),
  enrolled: msg('enrolled', 'enrolled', { quota: field.u64(1) }, 64),
  offer: msg(
    'offer',
    'push offer',
    {
      manifest: field.varbytes(1, MANIFEST.maxBytes),
      /** Fellow guardians that already hold this version: take the chunks from them first. */
      sources: field.optional(field.list(2, SOURCE_ITEM, MAX_PUSH_SOURCES, 72)),
      /** Chunks of the version, sent with it (/kith/push/2.0.0; at most MAX_INLINE_BYTES in all). */
      chunks: field.optional(field.list(3, INLINE_ITEM, MAX_INLINE_CHUNKS, MAX_INLINE_BYTES + 48)),
    },
    MANIFEST.maxBytes + 2048 + MAX_INLINE_BYTES + MAX_INLINE_CHUNKS * 48,
  ),
  need: msg('need', 'push need', { chunks: ids(1, MAX_MANIFEST_CHUNKS) }, MAX_MANIFEST_CHUNKS * 32 + 64),
  chunk: msg(
    'chunk',
    'chunk data',
    { id: field.bytes(1, 32), data: field.varbytes(2, MAX_CHUNK_STORED) },
    MAX_CHUNK_STORED + 64,
  ),
  receipt: msg('receiptMessage', 'push receipt', { receipt: field.varbytes(1, RECEIPT.maxBytes) }, 512),
  fetch: msg(
    'fetch',
    'fetch request',
    {
      vaultId: field.bytes(1, 32),
      what: field.enumeration(2, FETCH_WHAT),
      /** The manifest's version, for a manifest. */
      version: field.optional(field.u64(3)),
      /** The chunk's id, for a chunk. */
      chunkId: field.optional(field.bytes(4, 32)),
      /** The journal's name, for a journal head or entries (`version` is then the first position). */
      journal: field.optional(field.utf8(5, 32)),
    },
    160,
  ),
  fetched: msg(
    'fetched',
    'fetch reply',
    { data: field.varbytes(1, MANIFEST.maxBytes) },
    MANIFEST.maxBytes + 64,
  ),
  /** Gossiped proof of equivocation: two vault-signed heads, one version, two manifests. */
  evidence: msg(
    'evidence',
    'equivocation evidence',
    { held: field.varbytes(1, HEAD.maxBytes), offered: field.varbytes(2, HEAD.maxBytes) },
    2 * HEAD.maxBytes + 64,
  ),
  /** A newer signed roster, with this guardian's share of the new split (absent if it was removed). */
  roster: msg(
    'rosterUpdate',
    'roster update',
    {
      roster: field.varbytes(1, ROSTER.maxBytes),
      share: field.optional(field.varbytes(2, SHARE_ENVELOPE.maxBytes)),
      /** The owner's newest chain choice after a fork (§Chain choice), sent with every later roster. */
      choice: field.optional(field.varbytes(3, CHAIN_CHOICE.maxBytes)),
    },
    ROSTER.maxBytes + CHAIN_CHOICE.maxBytes + 1024,
  ),
  /** A step that succeeded and has nothing else to say. */
  ack: msg('ack', 'ack', {}, 16),
  /** Ask for (or about) a vault's share, with a one-time recovery key; repeated to poll. */
  recover: msg(
    'recover',
    'recovery request',
    { vaultId: field.bytes(1, 32), recoveryKey: field.bytes(2, COMPRESSED_PUBLIC_KEY_LENGTH) },
    128,
  ),
  /** Where a request stands; the vault's signed roster; the sealed share exactly once, when released. */
  recovery: msg(
    'recovery',
    'recovery reply',
    {
      requestId: field.bytes(1, REQUEST_ID_LENGTH),
      state: field.enumeration(2, REQUEST_STATE),
      releaseAt: field.optional(field.u64(3)),
      /** Only once this guardian's human approved the request. */
      roster: field.optional(field.varbytes(4, ROSTER.maxBytes)),
      sealedShare: field.optional(field.varbytes(5, SHARE_ENVELOPE.maxBytes + 128)),
      /** This guardian's code for the request, sealed to the recovery key; while it is pending. */
      sealedCode: field.optional(field.varbytes(6, 128)),
      /** Where the vault's guardians are now (signed address records); only once approved. */
      addresses: field.optional(addressList(7)),
    },
    ROSTER.maxBytes + SHARE_ENVELOPE.maxBytes + 64 * (MAX_ADDRESS_RECORD + 16) + 512,
    2,
  ),
  veto: msg('vetoMessage', 'veto', { veto: field.varbytes(1, VETO.maxBytes) }, 256),
  /** A recovery is done (§Recovery done): signed by the vault key and by the request's recovery key. */
  done: msg(
    'recoveryDone',
    'recovery done',
    {
      vaultId: field.bytes(1, 32),
      requestId: field.bytes(2, REQUEST_ID_LENGTH),
      createdAt: field.u64(3),
      vaultSig: field.bytes(4, 64),
      recoverySig: field.bytes(5, 64),
    },
    256,
  ),
  /** A drill challenge: prove the share (keyed by it) and the chunks (hashed with the nonce). */
  drill: msg(
    'drill',
    'drill challenge',
    { vaultId: field.bytes(1, 32), nonce: field.bytes(2, 32), chunks: ids(3, DRILL_MAX_CHUNKS) },
    32 * DRILL_MAX_CHUNKS + 128,
  ),
  /** The proofs: HMAC of the nonce under the share's hash; SHA-256(nonce || chunk) each, zero if lacking. */
  drilled: msg(
    'drilled',
    'drill answer',
    {
      shareProof: field.bytes(1, 32),
      chunkProofs: ids(2, DRILL_MAX_CHUNKS),
      head: field.optional(field.varbytes(3, HEAD.maxBytes)),
    },
    32 * DRILL_MAX_CHUNKS + HEAD.maxBytes + 128,
  ),
  /** The first message of an enrollment: the invite's secret, checked before anything large is read. */
  enrollHello: msg('enrollHello', 'enroll hello', { secret: field.bytes(1, 32) }, 64),
  /** A version's commit certificate, from the coordinator once W guardians hold it. */
  certify: msg(
    'certify',
    'certificate',
    { certificate: field.varbytes(1, CERTIFICATE.maxBytes) },
    CERTIFICATE.maxBytes + 64,
  ),
  /** What a guardian knows of a vault's newest version: held, seen, and certified. */
  freshness: msg(
    'freshness',
    'freshness',
    {
      /** The head of the newest version it holds (data included). */
      held: field.optional(field.varbytes(1, HEAD.maxBytes)),
      /** A newer valid head it has seen (pushed or gossiped) without holding its data. */
      seen: field.optional(field.varbytes(2, HEAD.maxBytes)),
      /** The newest commit certificate it holds. */
      certificate: field.optional(field.varbytes(3, CERTIFICATE.maxBytes)),
      /** How long ago (ms, by the guardian's clock) it last heard from the vault's coordinator. */
      coordinatorHeard: field.optional(field.u64(4)),
      /** How long ago it last heard from the coordinator's live-database plugin (a journal's writer). */
      pluginHeard: field.optional(field.u64(5)),
    },
    2 * HEAD.maxBytes + CERTIFICATE.maxBytes + 96,
  ),
  /**
   * Open a journal (§Live stream): the vault-signed certificate of the writer key. The journal's
   * messages keep its historical name, stream, in their kinds and record names.
   */
  journalOpen: msg(
    'streamOpen',
    'stream open',
    { certificate: field.varbytes(1, WRITER_CERTIFICATE.maxBytes) },
    WRITER_CERTIFICATE.maxBytes + 64,
  ),
  /** Where a guardian's copy of a journal ends: its newest entry's position and hash (0 and none: empty). */
  journalState: msg('streamState', 'stream state', { position: field.u64(1), hash: field.bytes(2, 32) }, 96),
  /** One entry to append (or, at the newest position, to replace). */
  entry: msg(
    'entryMessage',
    'stream entry',
    { entry: field.varbytes(1, JOURNAL_ENTRY.maxBytes) },
    JOURNAL_ENTRY.maxBytes + 64,
  ),
  /** A durable append. */
  entryAck: msg('entryAck', 'entry ack', { position: field.u64(1) }, 32),
  /** A journal's head (its writer certificate and newest entry), or a run of its entries. */
  journalEntries: msg(
    'streamEntries',
    'stream entries',
    {
      certificate: field.optional(field.varbytes(1, WRITER_CERTIFICATE.maxBytes)),
      entries: field.list(2, ENTRY_ITEM, 4096, JOURNAL_ENTRY.maxBytes + 64),
    },
    JOURNAL_ENTRY.maxBytes + 4096,
  ),
  /** Signed address records (libp2p peer records): where guardians are now. */
  addresses: msg(
    'addresses',
    'address records',
    { records: addressList(1) },
    64 * (MAX_ADDRESS_RECORD + 16) + 64,
  ),
  /** Open recovery requests of a vault, for its coordinator. */
  requests: msg(
    'requests',
    'open requests',
    {
      requests: field.packed(1, OPEN_REQUEST, 64),
      /** Requests that recovered the vault lately: released here, or their maker said it is done. */
      recovered: field.optional(field.packed(2, OPEN_REQUEST, 64)),
    },
    2 * (REQUEST_ID_LENGTH + 8) * 64 + 64,
    2,
  ),
  /** A kith release file the vault's coordinator runs, offered to a guardian (§Release offer). */
  releaseOffer: msg(
    'releaseOffer',
    'release offer',
    { vaultId: field.bytes(1, 32), name: field.utf8(2, 64), sha256: field.bytes(3, 32), size: field.u64(4) },
    192,
  ),
  releaseAnswer: msg('releaseAnswer', 'release answer', { answer: field.enumeration(1, RELEASE_ANSWER) }, 32),
  /** The next bytes of the release file offered, in order. */
  releasePart: msg(
    'releasePart',
    'release part',
    { data: field.varbytes(1, RELEASE_PART_BYTES) },
    RELEASE_PART_BYTES + 64,
  ),
} as const

/** The typed content of one message. */
export type MessageOf<K extends keyof typeof MSG> = Values<(typeof MSG)[K]['schema']['fields']>
