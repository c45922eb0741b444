/**
 * Record framing (docs/format.md §Records): "KITH" || kind(u8) || version(u8) || TLV fields [|| sig(64)].
 * Size, magic, kind and version are checked before any field is parsed. A signed record's signature
 * covers every byte before it; checking it against the right key is the record module's job.
 */
import { sha256 } from '../crypto/hash.js'
import type { RandomBytes } from '../crypto/random.js'
import { type SignedRecordType, signRecord, verifyRecord } from '../crypto/schnorr.js'
import {
  BadSignatureError,
  MalformedRecordError,
  RecordTooLargeError,
  UnsupportedFormatError,
} from './errors.js'
import { decodeFields, encodeFields, type Fields, type Schema } from './tlv.js'

export const RECORD_MAGIC = new Uint8Array([0x4b, 0x49, 0x54, 0x48]) // "KITH"
export const HEADER_LENGTH = 6
export const SIGNATURE_LENGTH = 64

/** Record kinds (docs/format.md §Kinds). A kind number is never reused. */
export const RecordKind = {
  roster: 1,
  share: 2,
  manifest: 3,
  manifestBody: 4,
  head: 5,
  receipt: 6,
  veto: 11,
} as const

export interface RecordDef {
  readonly schema: Schema
  readonly kind: number
  readonly version: number
  /** Largest encoded record accepted, signature included. */
  readonly maxBytes: number
  /** Whether a 64-byte signature follows the fields. */
  readonly signed: boolean
  /** The signature tag of a signed record (docs/format.md §Signatures). */
  readonly tag?: SignedRecordType
}

export function defineRecord(def: RecordDef): RecordDef {
  return def
}

/** Encode an unsigned record, or the signed part of a signed one. */
export function encodeRecordBody(def: RecordDef, values: Fields): Uint8Array {
  const fields = encodeFields(def.schema, values)
  const out = new Uint8Array(HEADER_LENGTH + fields.length)
  out.set(RECORD_MAGIC, 0)
  out[4] = def.kind
  out[5] = def.version
  out.set(fields, HEADER_LENGTH)
  const total = out.length + (def.signed ? SIGNATURE_LENGTH : 0)
  if (total > def.maxBytes) throw new RecordTooLargeError(def.schema.record, total, def.maxBytes)
  return out
}

/** Append a signature made by `sign` over the signed part. */
export function encodeSignedRecord(
  def: RecordDef,
  values: Fields,
  sign: (signedBytes: Uint8Array) => Uint8Array,
): { bytes: Uint8Array; signedBytes: Uint8Array } {
  const signedBytes = encodeRecordBody(def, values)
  const sig = sign(signedBytes)
  if (sig.length !== SIGNATURE_LENGTH) throw new RangeError('signature must be 64 bytes')
  const bytes = new Uint8Array(signedBytes.length + SIGNATURE_LENGTH)
  bytes.set(signedBytes, 0)
  bytes.set(sig, signedBytes.length)
  return { bytes, signedBytes: bytes.subarray(0, signedBytes.length) }
}

export interface DecodedRecord {
  readonly fields: Fields
  /** Header and fields: what the signature covers, and what a record id hashes. */
  readonly signedBytes: Uint8Array
  /** Empty for unsigned records. */
  readonly signature: Uint8Array
}

/** Decode framing and fields; the signature is returned, not checked. */
export function decodeRecord(def: RecordDef, bytes: Uint8Array): DecodedRecord {
  const name = def.schema.record
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (bytes.length > def.maxBytes) throw new RecordTooLargeError(name, bytes.length, def.maxBytes)
  const sigLength = def.signed ? SIGNATURE_LENGTH : 0
  if (bytes.length < HEADER_LENGTH + sigLength) throw new MalformedRecordError(name, 'truncated')
  for (let i = 0; i < RECORD_MAGIC.length; i++) {
    if (bytes[i] !== RECORD_MAGIC[i]) throw new MalformedRecordError(name, 'magic')
  }
  if (bytes[4] !== def.kind) throw new MalformedRecordError(name, 'wrong-kind')
  if (bytes[5] !== def.version) throw new UnsupportedFormatError(name, bytes[5]!)
  const end = bytes.length - sigLength
  const fields = decodeFields(def.schema, bytes.subarray(HEADER_LENGTH, end))
  return { fields, signedBytes: bytes.subarray(0, end), signature: bytes.subarray(end) }
}

/** Throw BadSignatureError unless `ok`; keeps each record's verify path one line. */
export function requireSignature(def: RecordDef, ok: boolean): void {
  if (!ok) throw new BadSignatureError(def.schema.record)
}

function _tag(def: RecordDef): SignedRecordType {
  // a vault-signed record without its own tag is a definition bug, never a runtime choice
  if (def.tag === undefined) throw new TypeError(`${def.schema.record} has no signature tag`)
  return def.tag
}

/** Encode and sign with the vault key, under the record's own tag. */
export function encodeVaultSigned(
  def: RecordDef,
  values: Fields,
  vaultSecretKey: Uint8Array,
  random?: RandomBytes,
): { bytes: Uint8Array; signedBytes: Uint8Array } {
  return encodeSignedRecord(def, values, (signed) => signRecord(_tag(def), signed, vaultSecretKey, random))
}

/**
 * Decode a vault-signed record and verify it against the vault key in its `vault_id` field
 * (every vault-signed record has one). Nothing is returned unless the signature holds.
 */
export function decodeVaultSigned(
  def: RecordDef,
  bytes: Uint8Array,
): DecodedRecord & { vaultId: Uint8Array } {
  const decoded = decodeRecord(def, bytes)
  const vaultId = decoded.fields['vault_id'] as Uint8Array
  requireSignature(def, verifyRecord(_tag(def), decoded.signedBytes, decoded.signature, vaultId))
  return { ...decoded, vaultId }
}

/** A record's id: SHA-256 of its signed part (the signature itself is not covered, so re-signing
 * identical content never looks like a different record). */
export function recordId(signedBytes: Uint8Array): Uint8Array {
  return sha256(signedBytes)
}
