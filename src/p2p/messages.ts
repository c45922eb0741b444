/**
 * Protocol messages (docs/format.md §Protocol messages). Each is a TLV record with its own kind
 * (16 and up, never shared with stored records); signed records travel inside them as bytes and are
 * verified by the receiver. Every message has a size cap that the wire checks before reading it.
 */
import { defineRecord, type RecordDef, RecordKind } from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
import { MAX_CHUNK_STORED } from '../replica/chunk.js'
import { HEAD, RECEIPT } from '../replica/head.js'
import { MANIFEST, MAX_MANIFEST_CHUNKS } from '../replica/manifest.js'
import { ROSTER } from '../replica/roster.js'
import { SHARE_ENVELOPE } from '../shares/envelope.js'

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
      // 1 head, 2 manifest (by version), 3 chunk (by id), 4 equivocation evidence (an evidence message)
      { tag: 2, name: 'what', type: 'u8', min: 1, max: 4 },
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
} as const

export const FETCH_WHAT = { head: 1, manifest: 2, chunk: 3, evidence: 4 } as const

// message kinds must never collide with stored record kinds
for (const k of Object.values(MessageKind)) {
  if (Object.values(RecordKind).includes(k as never))
    throw new Error(`message kind ${k} collides with a record kind`)
}
