/**
 * The share envelope (docs/format.md §Share envelope): one Shamir share of the data key, bound to its
 * vault, epoch, (k, n) and key commitment, signed by the vault key. Binary and bech32m ("kshare1…")
 * forms. Decoding always verifies the signature; it must never hand out an unverified share.
 */

import { decodeVaultSigned, defineRecord, encodeVaultSigned } from '../codec/record.js'
import { defineSchema, field, type Values } from '../codec/schema.js'
import { assertBytes, assertInt } from '../crypto/assert.js'
import type { RandomBytes } from '../crypto/random.js'
import { decodeText, encodeText } from '../crypto/text.js'

export const SHARE_LENGTH = 32

const schema = defineSchema('share envelope', {
  /** x-only public key of the vault (the vault ID's bytes). */
  vaultId: field.bytes(1, 32),
  epoch: field.u64(2),
  /** Shamir x coordinate, 1..255; 0 decodes so that combine can name it, and is never valid. */
  x: field.u8(3),
  k: field.u8(4, { min: 2 }),
  n: field.u8(5, { min: 2 }),
  /** The share's y bytes: secret, never logged. */
  share: field.bytes(6, SHARE_LENGTH),
  commitment: field.bytes(7, 32),
})

export const SHARE_ENVELOPE = defineRecord({
  kind: 'share',
  schema,
  version: 1,
  maxBytes: 512,
  signed: true,
  tag: 'share',
})

export type ShareFields = Values<typeof schema.fields>

export interface ShareEnvelope extends ShareFields {
  /** The encoded, signed envelope. */
  readonly bytes: Uint8Array
}

/** Sign and encode an envelope with the vault secret key. */
export function sealShareEnvelope(
  fields: ShareFields,
  vaultSecretKey: Uint8Array,
  random?: RandomBytes,
): ShareEnvelope {
  assertBytes(fields.vaultId, 'vaultId', 32)
  assertInt(fields.epoch, 'epoch', 0, Number.MAX_SAFE_INTEGER)
  const values: ShareFields = {
    vaultId: fields.vaultId,
    epoch: fields.epoch,
    x: fields.x,
    k: fields.k,
    n: fields.n,
    share: fields.share,
    commitment: fields.commitment,
  }
  const { bytes } = encodeVaultSigned(SHARE_ENVELOPE, values, vaultSecretKey, random)
  return { ...values, bytes }
}

/** Decode and verify an envelope against the vault key it names. */
export function openShareEnvelope(bytes: Uint8Array): ShareEnvelope {
  return { ...decodeVaultSigned(SHARE_ENVELOPE, bytes).fields, bytes }
}

/** The paper form: "kshare1…" (bech32m). */
export function shareEnvelopeToText(envelope: ShareEnvelope): string {
  return encodeText('share', envelope.bytes)
}

export function shareEnvelopeFromText(text: string): ShareEnvelope {
  return openShareEnvelope(decodeText('share', text))
}
