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
import { KIND, type KindName } from './kinds.js'
import type { BytesField, Schema, SchemaFields, Values } from './schema.js'
import { decodeFields, encodeFields } from './tlv.js'

export const RECORD_MAGIC = new Uint8Array([0x4b, 0x49, 0x54, 0x48]) // "KITH"
export const HEADER_LENGTH = 6
export const SIGNATURE_LENGTH = 64

export interface RecordDef<S extends SchemaFields = SchemaFields> {
  readonly schema: Schema<S>
  /** The kind number, from the registry (codec/kinds.ts). */
  readonly kind: number
  readonly version: number
  /** Largest encoded record accepted, signature included. */
  readonly maxBytes: number
  /** Whether a 64-byte signature follows the fields. */
  readonly signed: boolean
  /** The signature tag of a vault-signed record (docs/format.md §Signatures). */
  readonly tag?: SignedRecordType
}

/** Define a record of a registered kind; its number comes from the registry, never from here. */
export function defineRecord<S extends SchemaFields>(def: {
  readonly kind: KindName
  readonly schema: Schema<S>
  readonly version: number
  readonly maxBytes: number
  readonly signed: boolean
  readonly tag?: SignedRecordType
}): RecordDef<S> {
  return { ...def, kind: KIND[def.kind] }
}

/** Encode an unsigned record, or the signed part of a signed one. */
export function encodeRecordBody<S extends SchemaFields>(def: RecordDef<S>, values: Values<S>): Uint8Array {
  const out = encodeFields(def.schema, values, HEADER_LENGTH)
  out.set(RECORD_MAGIC, 0)
  out[4] = def.kind
  out[5] = def.version
  const total = out.length + (def.signed ? SIGNATURE_LENGTH : 0)
  if (total > def.maxBytes) throw new RecordTooLargeError(def.schema.record, total, def.maxBytes)
  return out
}

/** Append a signature made by `sign` over the signed part. */
export function encodeSignedRecord<S extends SchemaFields>(
  def: RecordDef<S>,
  values: Values<S>,
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

export interface DecodedRecord<S extends SchemaFields> {
  readonly fields: Values<S>
  /** Header and fields: what the signature covers, and what a record id hashes. */
  readonly signedBytes: Uint8Array
  /** Empty for unsigned records. */
  readonly signature: Uint8Array
}

/** The kind byte of framed bytes, to tell messages apart before decoding one. */
export function recordKind(bytes: Uint8Array): number | undefined {
  return bytes[4]
}

/** Decode framing and fields; the signature is returned, not checked. */
export function decodeRecord<S extends SchemaFields>(def: RecordDef<S>, bytes: Uint8Array): DecodedRecord<S> {
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

/** Decode an unsigned record's fields. */
export function decodeUnsigned<S extends SchemaFields>(def: RecordDef<S>, bytes: Uint8Array): Values<S> {
  return decodeRecord(def, bytes).fields
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
export function encodeVaultSigned<S extends SchemaFields>(
  def: RecordDef<S>,
  values: Values<S>,
  vaultSecretKey: Uint8Array,
  random?: RandomBytes,
): { bytes: Uint8Array; signedBytes: Uint8Array } {
  return encodeSignedRecord(def, values, (signed) => signRecord(_tag(def), signed, vaultSecretKey, random))
}

/** The fields every vault-signed record has: the vault's key is its id. */
export type VaultSignedFields = SchemaFields & { readonly vaultId: BytesField }

/**
 * Decode a vault-signed record and verify it against the vault key in its `vault_id` field.
 * Nothing is returned unless the signature holds.
 */
export function decodeVaultSigned<S extends VaultSignedFields>(
  def: RecordDef<S>,
  bytes: Uint8Array,
): DecodedRecord<S> {
  const decoded = decodeRecord(def, bytes)
  // the schema's type guarantees the field; checked again here rather than cast
  const vaultId: unknown = Reflect.get(decoded.fields, 'vaultId')
  if (!(vaultId instanceof Uint8Array)) throw new TypeError(`${def.schema.record} has no vault_id`)
  requireSignature(def, verifyRecord(_tag(def), decoded.signedBytes, decoded.signature, vaultId))
  return decoded
}

/** A record's id: SHA-256 of its signed part (the signature itself is not covered, so re-signing
 * identical content never looks like a different record). */
export function recordId(signedBytes: Uint8Array): Uint8Array {
  return sha256(signedBytes)
}
