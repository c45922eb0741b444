/**
 * Protocol messages (docs/format.md §Protocol messages). Each is a TLV record with its own kind
 * (16 and up, never shared with stored records); signed records travel inside them as bytes and are
 * verified by the receiver. Every message has a size cap that the wire checks before reading it.
 */
import { defineRecord, type RecordDef, RecordKind } from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
import { COMPRESSED_PUBLIC_KEY_LENGTH } from '../crypto/ecies.js'
import { MAX_CHUNK_STORED } from '../replica/chunk.js'
import { HEAD, RECEIPT } from '../replica/head.js'
import { MANIFEST, MAX_MANIFEST_CHUNKS } from '../replica/manifest.js'
import { ROSTER } from '../replica/roster.js'
import { SHARE_ENVELOPE } from '../shares/envelope.js'
import { REQUEST_ID_LENGTH, VETO } from '../shares/release.js'

const msg = (
  name: string,
  kind: number,
  fields: Parameters<typeof defineSchema>[1],
  maxBytes: number,
): RecordDef =>
  defineRecord({ schema: defineSchema(name, fields), kind, version: 1, maxBytes, signed: false })

/** Message kinds (docs/format.md §Protocol messages). */
export const MessageKind = {
  error: 16,
  enroll: 17,
  enrolled: 18,
  offer: 19,
  need: 20,
  chunk: 21,
  receipt: 22,
  fetch: 23,
  fetched: 24,
  evidence: 25,
  roster: 26,
  ack: 27,
  recover: 28,
  recovery: 29,
  veto: 30,
  requests: 31,
  drill: 32,
  drilled: 33,
} as const

/** Most chunks one drill challenge names. */
export const DRILL_MAX_CHUNKS = 16

/** A recovery request's state as a recoverer hears it (docs/format.md §Recovery). */
export const REQUEST_STATE = {
  pending: 1,
  approved: 2,
  released: 3,
  denied: 4,
  vetoed: 5,
  superseded: 6,
  expired: 7,
} as const

export const MSG = {
  /** Any step may be answered with this instead: a stable code and one human line. */
  error: msg(
    'error reply',
    MessageKind.error,
    [
      { tag: 1, name: 'code', type: 'utf8', max: 64 },
      { tag: 2, name: 'message', type: 'utf8', max: 512 },
    ],
    1024,
  ),
  enroll: msg(
    'enroll request',
    MessageKind.enroll,
    [
      { tag: 1, name: 'secret', type: 'bytes', length: 32 },
      { tag: 2, name: 'roster', type: 'varbytes', max: ROSTER.maxBytes },
      { tag: 3, name: 'share', type: 'varbytes', max: SHARE_ENVELOPE.maxBytes },
      { tag: 4, name: 'label', type: 'utf8', max: 64 },
    ],
    ROSTER.maxBytes + 1024,
  ),
  enrolled: msg('enrolled', MessageKind.enrolled, [{ tag: 1, name: 'quota', type: 'u64' }], 64),
  offer: msg(
    'push offer',
    MessageKind.offer,
    [{ tag: 1, name: 'manifest', type: 'varbytes', max: MANIFEST.maxBytes }],
    MANIFEST.maxBytes + 1024,
  ),
  need: msg(
    'push need',
    MessageKind.need,
    [{ tag: 1, name: 'chunks', type: 'packed', stride: 32, maxItems: MAX_MANIFEST_CHUNKS }],
    MAX_MANIFEST_CHUNKS * 32 + 64,
  ),
  chunk: msg(
    'chunk data',
    MessageKind.chunk,
    [
      { tag: 1, name: 'id', type: 'bytes', length: 32 },
      { tag: 2, name: 'data', type: 'varbytes', max: MAX_CHUNK_STORED },
    ],
    MAX_CHUNK_STORED + 64,
  ),
  receipt: msg(
    'push receipt',
    MessageKind.receipt,
    [{ tag: 1, name: 'receipt', type: 'varbytes', max: RECEIPT.maxBytes }],
    512,
  ),
  fetch: msg(
    'fetch request',
    MessageKind.fetch,
    [
      { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
      // 1 head, 2 manifest (by version), 3 chunk (by id), 4 equivocation evidence (an evidence message),
      // 5 open recovery requests (a requests message)
      { tag: 2, name: 'what', type: 'u8', min: 1, max: 5 },
      { tag: 3, name: 'version', type: 'u64', optional: true },
      { tag: 4, name: 'chunk_id', type: 'bytes', length: 32, optional: true },
    ],
    128,
  ),
  fetched: msg(
    'fetch reply',
    MessageKind.fetched,
    [{ tag: 1, name: 'data', type: 'varbytes', max: MANIFEST.maxBytes }],
    MANIFEST.maxBytes + 64,
  ),
  /** A newer signed roster, with this guardian's share of the new split (absent if it was removed). */
  roster: msg(
    'roster update',
    MessageKind.roster,
    [
      { tag: 1, name: 'roster', type: 'varbytes', max: ROSTER.maxBytes },
      { tag: 2, name: 'share', type: 'varbytes', max: SHARE_ENVELOPE.maxBytes, optional: true },
    ],
    ROSTER.maxBytes + 1024,
  ),
  /** A step that succeeded and has nothing else to say. */
  ack: msg('ack', MessageKind.ack, [], 16),
  /** Gossiped proof of equivocation: two vault-signed heads, one version, two manifests. */
  evidence: msg(
    'equivocation evidence',
    MessageKind.evidence,
    [
      { tag: 1, name: 'held', type: 'varbytes', max: HEAD.maxBytes },
      { tag: 2, name: 'offered', type: 'varbytes', max: HEAD.maxBytes },
    ],
    2 * HEAD.maxBytes + 64,
  ),
  /** Ask for (or about) a vault's share, with a one-time recovery key; repeated to poll. */
  recover: msg(
    'recovery request',
    MessageKind.recover,
    [
      { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
      { tag: 2, name: 'recovery_key', type: 'bytes', length: COMPRESSED_PUBLIC_KEY_LENGTH },
    ],
    128,
  ),
  /** Where a request stands; the vault's signed roster; the sealed share exactly once, when released. */
  recovery: msg(
    'recovery reply',
    MessageKind.recovery,
    [
      { tag: 1, name: 'request_id', type: 'bytes', length: REQUEST_ID_LENGTH },
      { tag: 2, name: 'state', type: 'u8', min: 1, max: 7 },
      { tag: 3, name: 'release_at', type: 'u64', optional: true },
      { tag: 4, name: 'roster', type: 'varbytes', max: ROSTER.maxBytes },
      { tag: 5, name: 'sealed_share', type: 'varbytes', max: SHARE_ENVELOPE.maxBytes + 128, optional: true },
    ],
    ROSTER.maxBytes + SHARE_ENVELOPE.maxBytes + 256,
  ),
  veto: msg('veto', MessageKind.veto, [{ tag: 1, name: 'veto', type: 'varbytes', max: VETO.maxBytes }], 256),
  /** A drill challenge: prove the share (keyed by it) and the chunks (hashed with the nonce). */
  drill: msg(
    'drill challenge',
    MessageKind.drill,
    [
      { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
      { tag: 2, name: 'nonce', type: 'bytes', length: 32 },
      { tag: 3, name: 'chunks', type: 'packed', stride: 32, maxItems: DRILL_MAX_CHUNKS },
    ],
    32 * DRILL_MAX_CHUNKS + 128,
  ),
  /** The proofs: HMAC of the nonce under the share's hash; SHA-256(nonce || chunk) each, zero if lacking. */
  drilled: msg(
    'drill answer',
    MessageKind.drilled,
    [
      { tag: 1, name: 'share_proof', type: 'bytes', length: 32 },
      { tag: 2, name: 'chunk_proofs', type: 'packed', stride: 32, maxItems: DRILL_MAX_CHUNKS },
      { tag: 3, name: 'head', type: 'varbytes', max: HEAD.maxBytes, optional: true },
    ],
    32 * DRILL_MAX_CHUNKS + HEAD.maxBytes + 128,
  ),
  /** Open recovery requests of a vault, for its coordinator: 16 bytes each, request id then created_at. */
  requests: msg(
    'open requests',
    MessageKind.requests,
    [{ tag: 1, name: 'requests', type: 'packed', stride: 16, maxItems: 64 }],
    16 * 64 + 32,
  ),
} as const

export const FETCH_WHAT = { head: 1, manifest: 2, chunk: 3, evidence: 4, requests: 5 } as const

// message kinds must never collide with stored record kinds
for (const k of Object.values(MessageKind)) {
  if (Object.values(RecordKind).includes(k as never))
    throw new Error(`message kind ${k} collides with a record kind`)
}
