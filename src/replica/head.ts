/**
 * Heads and receipts (docs/format.md §Head, §Receipt). A head is the vault's signed claim "version v
 * of epoch e is manifest h"; gossip carries it. Its signature is the one that ends the manifest, so
 * anyone holding a manifest can rebuild its head. A receipt is a guardian's Ed25519 signature (its
 * libp2p key) that it holds that manifest durably. W receipts make a version committed.
 */
import {
  decodeRecord,
  decodeVaultSigned,
  defineRecord,
  encodeRecordBody,
  encodeSignedRecord,
  encodeVaultSigned,
  RecordKind,
  requireSignature,
} from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
import { assertBytes } from '../crypto/assert.js'
import { concatBytes, equalBytes } from '../crypto/bytes.js'
import { ed25519Verify } from '../crypto/ed25519.js'
import type { RandomBytes } from '../crypto/random.js'
import { recordDigest } from '../crypto/schnorr.js'
import { EquivocationEvidenceError } from './errors.js'

const headSchema = defineSchema('head', [
  { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
  { tag: 2, name: 'epoch', type: 'u64' },
  { tag: 3, name: 'version', type: 'u64', min: 1 },
  { tag: 4, name: 'manifest_hash', type: 'bytes', length: 32 },
])

export const HEAD = defineRecord({
  schema: headSchema,
  kind: RecordKind.head,
  version: 1,
  maxBytes: 256,
  signed: true,
  tag: 'head',
})

export interface HeadFields {
  readonly vaultId: Uint8Array
  readonly epoch: number
  readonly version: number
  readonly manifestHash: Uint8Array
}

export interface Head extends HeadFields {
  readonly bytes: Uint8Array
}

const _headValues = (f: HeadFields) => ({
  vault_id: f.vaultId,
  epoch: f.epoch,
  version: f.version,
  manifest_hash: f.manifestHash,
})

/** The signed part of a head: what the vault signs once per version (docs/format.md §Head). */
export function headSignedPart(fields: HeadFields): Uint8Array {
  return encodeRecordBody(HEAD, _headValues(fields))
}

/** Sign a head. The coordinator does this once per version: the same signature ends its manifest. */
export function signHead(fields: HeadFields, vaultSecretKey: Uint8Array, random?: RandomBytes): Head {
  assertBytes(fields.vaultId, 'vaultId', 32)
  const { bytes } = encodeVaultSigned(HEAD, _headValues(fields), vaultSecretKey, random)
  return { ...fields, bytes }
}

/** Check equivocation evidence: two vault-signed heads of one version naming different manifests. */
export function checkEvidence(
  held: Uint8Array,
  offered: Uint8Array,
): { vaultId: Uint8Array; version: number } {
  const a = openHead(held)
  const b = openHead(offered)
  if (
    !equalBytes(a.vaultId, b.vaultId) ||
    a.version !== b.version ||
    equalBytes(a.manifestHash, b.manifestHash)
  ) {
    throw new EquivocationEvidenceError()
  }
  return { vaultId: a.vaultId, version: a.version }
}

/** Rebuild a head from its fields and the signature a manifest ends with (no key needed). */
export function headFromSignature(fields: HeadFields, signature: Uint8Array): Head {
  return { ...fields, bytes: concatBytes(headSignedPart(fields), signature) }
}

export function openHead(bytes: Uint8Array): Head {
  const { fields: f, vaultId } = decodeVaultSigned(HEAD, bytes)
  return {
    vaultId,
    epoch: f['epoch'] as number,
    version: f['version'] as number,
    manifestHash: f['manifest_hash'] as Uint8Array,
    bytes,
  }
}

const receiptSchema = defineSchema('receipt', [
  { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
  { tag: 2, name: 'epoch', type: 'u64' },
  { tag: 3, name: 'version', type: 'u64', min: 1 },
  { tag: 4, name: 'manifest_hash', type: 'bytes', length: 32 },
  { tag: 5, name: 'guardian_key', type: 'bytes', length: 32 },
  { tag: 6, name: 'created_at', type: 'u64' },
])

export const RECEIPT = defineRecord({
  schema: receiptSchema,
  kind: RecordKind.receipt,
  version: 1,
  maxBytes: 256,
  signed: true,
  tag: 'receipt',
})

export interface ReceiptFields extends HeadFields {
  /** The guardian's Ed25519 public key (its libp2p identity). */
  readonly guardianKey: Uint8Array
  readonly createdAt: number
}

export interface Receipt extends ReceiptFields {
  readonly bytes: Uint8Array
}

/** Build a receipt; `sign` is the guardian's Ed25519 signer (its libp2p private key). */
export function signReceipt(fields: ReceiptFields, sign: (digest: Uint8Array) => Uint8Array): Receipt {
  const { bytes } = encodeSignedRecord(
    RECEIPT,
    {
      vault_id: fields.vaultId,
      epoch: fields.epoch,
      version: fields.version,
      manifest_hash: fields.manifestHash,
      guardian_key: fields.guardianKey,
      created_at: fields.createdAt,
    },
    (signed) => sign(recordDigest('receipt', signed)),
  )
  return { ...fields, bytes }
}

/** Decode and verify a receipt against the guardian key it names. */
export function openReceipt(bytes: Uint8Array): Receipt {
  const { fields: f, signedBytes, signature } = decodeRecord(RECEIPT, bytes)
  const guardianKey = f['guardian_key'] as Uint8Array
  requireSignature(RECEIPT, ed25519Verify(guardianKey, recordDigest('receipt', signedBytes), signature))
  return {
    vaultId: f['vault_id'] as Uint8Array,
    epoch: f['epoch'] as number,
    version: f['version'] as number,
    manifestHash: f['manifest_hash'] as Uint8Array,
    guardianKey,
    createdAt: f['created_at'] as number,
    bytes,
  }
}
