/**
 * Journals (docs/format.md §Live stream): beside its versions, a vault carries append-only journals of
 * small entries, one per transaction of a live database (CLN's `db_write` now, VLS's state store next).
 * This module knows nothing of CLN: an entry is an opaque payload at a position.
 *
 * - A **writer certificate** (kind 13), signed once by the vault key, names the journal and the Ed25519
 *   writer key that may append to it: BIP340 costs milliseconds, Ed25519 through node:crypto tens of
 *   microseconds, which is what a per-transaction path can afford.
 * - A **journal entry** (kind 14) is a position, the hash of the entry it follows, and the payload
 *   encrypted under the journal key (random, carried in the vault state of every version), signed by the
 *   writer key. Entries are hash-chained; the first after a snapshot follows the snapshot's mark.
 *
 * The journal was first called the live stream: its format keeps that historical name (the record
 * name 'stream entry', the kind `streamEntry`, the tagged-hash tags `kith/stream-*`, §Live stream).
 */
import {
  decodeUnsigned,
  decodeVaultSigned,
  defineRecord,
  encodeRecordBody,
  encodeVaultSigned,
} from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import { concatBytes, u64be } from '../crypto/bytes.js'
import { ED25519_SIGNATURE_LENGTH, ed25519Verify } from '../crypto/ed25519.js'
import { taggedHash } from '../crypto/hash.js'
import { type RandomBytes, systemRandom } from '../crypto/random.js'
import { XCHACHA_NONCE_LENGTH, xchachaOpen, xchachaSeal } from '../crypto/xchacha.js'
import { BadEntryError } from './errors.js'

/** Most bytes of one entry's encrypted payload (a large CLN transaction is a few hundred KiB). */
export const MAX_PAYLOAD = 8 * 1024 * 1024

const certSchema = defineSchema('writer certificate', {
  vaultId: field.bytes(1, 32),
  journal: field.utf8(2, 32),
  writerKey: field.bytes(3, 32),
  createdAt: field.u64(4),
})

export const WRITER_CERTIFICATE = defineRecord({
  kind: 'writerCertificate',
  schema: certSchema,
  version: 1,
  maxBytes: 256,
  signed: true,
  tag: 'writer',
})

export type WriterCertificateFields = Values<typeof certSchema.fields>
export interface WriterCertificate extends WriterCertificateFields {
  readonly bytes: Uint8Array
}

export function signWriterCertificate(
  f: WriterCertificateFields,
  vaultSecretKey: Uint8Array,
  random?: RandomBytes,
): WriterCertificate {
  const values = { vaultId: f.vaultId, journal: f.journal, writerKey: f.writerKey, createdAt: f.createdAt }
  return { ...values, bytes: encodeVaultSigned(WRITER_CERTIFICATE, values, vaultSecretKey, random).bytes }
}

/** Decode a writer certificate and verify the vault's signature on it. */
export function openWriterCertificate(bytes: Uint8Array): WriterCertificate {
  return { ...decodeVaultSigned(WRITER_CERTIFICATE, bytes).fields, bytes }
}

const entrySchema = defineSchema('stream entry', {
  vaultId: field.bytes(1, 32),
  journal: field.utf8(2, 32),
  position: field.u64(3),
  prev: field.bytes(4, 32),
  payload: field.varbytes(5, MAX_PAYLOAD),
  signature: field.bytes(6, ED25519_SIGNATURE_LENGTH),
})

export const JOURNAL_ENTRY = defineRecord({
  kind: 'streamEntry',
  schema: entrySchema,
  version: 1,
  maxBytes: MAX_PAYLOAD + 512,
  signed: false,
})

export interface JournalEntry {
  readonly vaultId: Uint8Array
  readonly journal: string
  readonly position: number
  readonly prev: Uint8Array
  /** nonce[24] || XChaCha20-Poly1305 ciphertext. */
  readonly payload: Uint8Array
  readonly signature: Uint8Array
  /** The whole record. */
  readonly bytes: Uint8Array
  /** What the next entry names as `prev`. */
  readonly hash: Uint8Array
}

const _utf8 = (s: string) => new TextEncoder().encode(s)

/** The hash an entry is signed over and chained by: vault, journal, position, prev and payload. */
function _entryHash(
  vaultId: Uint8Array,
  journal: string,
  position: number,
  prev: Uint8Array,
  payload: Uint8Array,
) {
  return taggedHash(
    'kith/stream-entry',
    vaultId,
    _utf8(journal),
    u64be(position),
    prev,
    taggedHash('kith/stream-payload', payload),
  )
}

/** The mark a journal starts from before its first entry (a snapshot taken at `position` with no entry). */
export function genesisHash(vaultId: Uint8Array, journal: string, position: number): Uint8Array {
  return taggedHash('kith/stream-genesis', vaultId, _utf8(journal), u64be(position))
}

const _aad = (vaultId: Uint8Array, journal: string, position: number, prev: Uint8Array) =>
  concatBytes(vaultId, _utf8(journal), u64be(position), prev)

/** A new entry: `plaintext` sealed under the journal key and signed by the writer (node:crypto Ed25519). */
export function makeEntry(args: {
  vaultId: Uint8Array
  journal: string
  position: number
  prev: Uint8Array
  plaintext: Uint8Array
  journalKey: Uint8Array
  sign: (message: Uint8Array) => Uint8Array
  random?: RandomBytes
}): JournalEntry {
  const nonce = (args.random ?? systemRandom)(XCHACHA_NONCE_LENGTH)
  const aad = _aad(args.vaultId, args.journal, args.position, args.prev)
  const payload = concatBytes(nonce, xchachaSeal(args.journalKey, nonce, args.plaintext, aad))
  const hash = _entryHash(args.vaultId, args.journal, args.position, args.prev, payload)
  const signature = args.sign(hash)
  const values = {
    vaultId: args.vaultId,
    journal: args.journal,
    position: args.position,
    prev: args.prev,
    payload,
    signature,
  }
  return { ...values, bytes: encodeRecordBody(JOURNAL_ENTRY, values), hash }
}

/** Decode an entry and verify its writer's signature (the certificate was checked by the caller). */
export function openEntry(bytes: Uint8Array, writerKey: Uint8Array): JournalEntry {
  const f = decodeUnsigned(JOURNAL_ENTRY, bytes)
  const hash = _entryHash(f.vaultId, f.journal, f.position, f.prev, f.payload)
  if (!ed25519Verify(writerKey, hash, f.signature)) throw new BadEntryError(f.position, 'signature')
  return { ...f, bytes, hash }
}

/** The plaintext of an entry (whose signature was verified), under the journal key. */
export function entryPlaintext(e: JournalEntry, journalKey: Uint8Array): Uint8Array {
  const nonce = e.payload.subarray(0, XCHACHA_NONCE_LENGTH)
  return xchachaOpen(
    journalKey,
    nonce,
    e.payload.subarray(XCHACHA_NONCE_LENGTH),
    _aad(e.vaultId, e.journal, e.position, e.prev),
    'journal entry',
  )
}
