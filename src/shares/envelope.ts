/**
 * The share envelope (docs/format.md §Share envelope): one Shamir share of the data key, bound to its
 * vault, epoch, (k, n) and key commitment, signed by the vault key. Binary and bech32m ("kshare1…")
 * forms. Decoding always verifies the signature; it must never hand out an unverified share.
 */

import { decodeVaultSigned, defineRecord, encodeVaultSigned, RecordKind } from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
import { assertBytes, assertInt } from '../crypto/assert.js'
import type { RandomBytes } from '../crypto/random.js'
import { decodeText, encodeText } from '../crypto/text.js'

export const SHARE_LENGTH = 32

const schema = defineSchema('share envelope', [
  { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
  { tag: 2, name: 'epoch', type: 'u64' },
  // x = 0 decodes so that combine can name it; it is never valid (§Share envelope)
  { tag: 3, name: 'x', type: 'u8' },
  { tag: 4, name: 'k', type: 'u8', min: 2 },
  { tag: 5, name: 'n', type: 'u8', min: 2 },
  { tag: 6, name: 'share', type: 'bytes', length: SHARE_LENGTH },
  { tag: 7, name: 'commitment', type: 'bytes', length: 32 },
])

export const SHARE_ENVELOPE = defineRecord({
  schema,
  kind: RecordKind.share,
  version: 1,
  maxBytes: 512,
  signed: true,
  tag: 'share',
})

export interface ShareFields {
  /** x-only public key of the vault (the vault ID's bytes). */
  readonly vaultId: Uint8Array
  readonly epoch: number
  /** Shamir x coordinate, 1..255. */
  readonly x: number
  readonly k: number
  readonly n: number
  /** The share's y bytes: secret, never logged. */
  readonly share: Uint8Array
  readonly commitment: Uint8Array
}

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
  const { bytes } = encodeVaultSigned(
    SHARE_ENVELOPE,
    {
      vault_id: fields.vaultId,
      epoch: fields.epoch,
      x: fields.x,
      k: fields.k,
      n: fields.n,
      share: fields.share,
      commitment: fields.commitment,
    },
    vaultSecretKey,
    random,
  )
  return { ...fields, bytes }
}

/** Decode and verify an envelope against the vault key it names. */
export function openShareEnvelope(bytes: Uint8Array): ShareEnvelope {
  const { fields: f, vaultId } = decodeVaultSigned(SHARE_ENVELOPE, bytes)
  return {
    vaultId,
    epoch: f['epoch'] as number,
    x: f['x'] as number,
    k: f['k'] as number,
    n: f['n'] as number,
    share: f['share'] as Uint8Array,
    commitment: f['commitment'] as Uint8Array,
    bytes,
  }
}

/** The paper form: "kshare1…" (bech32m). */
export function shareEnvelopeToText(envelope: ShareEnvelope): string {
  return encodeText('share', envelope.bytes)
}

export function shareEnvelopeFromText(text: string): ShareEnvelope {
  return openShareEnvelope(decodeText('share', text))
}
