/**
 * Receipts (docs/format.md §Receipt): a guardian's Ed25519 signature, with its libp2p key, that it holds
 * a manifest and all its chunks durably. W receipts make a version committed. A receipt is only ever
 * signed after the commit that makes its claim true.
 */
import { decodeRecord, defineRecord, encodeSignedRecord, requireSignature } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import { ed25519Verify } from '../crypto/ed25519.js'
import { recordDigest } from '../crypto/schnorr.js'

const schema = defineSchema('receipt', {
  vaultId: field.bytes(1, 32),
  epoch: field.u64(2),
  version: field.u64(3, { min: 1 }),
  manifestHash: field.bytes(4, 32),
  /** The guardian's Ed25519 public key (its libp2p identity). */
  guardianKey: field.bytes(5, 32),
  createdAt: field.u64(6),
})

export const RECEIPT = defineRecord({
  kind: 'receipt',
  schema,
  version: 1,
  maxBytes: 256,
  signed: true,
  tag: 'receipt',
})

export type ReceiptFields = Values<typeof schema.fields>

export interface Receipt extends ReceiptFields {
  readonly bytes: Uint8Array
}

/** Build a receipt; `sign` is the guardian's Ed25519 signer (its libp2p private key). */
export function signReceipt(fields: ReceiptFields, sign: (digest: Uint8Array) => Uint8Array): Receipt {
  const values: ReceiptFields = {
    vaultId: fields.vaultId,
    epoch: fields.epoch,
    version: fields.version,
    manifestHash: fields.manifestHash,
    guardianKey: fields.guardianKey,
    createdAt: fields.createdAt,
  }
  const { bytes } = encodeSignedRecord(RECEIPT, values, (signed) => sign(recordDigest('receipt', signed)))
  return { ...values, bytes }
}

/** Decode and verify a receipt against the guardian key it names. */
export function openReceipt(bytes: Uint8Array): Receipt {
  const { fields, signedBytes, signature } = decodeRecord(RECEIPT, bytes)
  requireSignature(
    RECEIPT,
    ed25519Verify(fields.guardianKey, recordDigest('receipt', signedBytes), signature),
  )
  return { ...fields, bytes }
}
