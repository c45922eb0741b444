/**
 * Releasing a share to a recovering operator (docs/format.md §Recovery).
 * - A request is a one-time secp256k1 public key (the recovery key) for one vault. Its id is derived
 *   from both, so every guardian names the same request the same way.
 * - Each guardian shows its human a six-digit verification code derived from the vault, the recovery
 *   key and that guardian's own peer ID; the operator reads the same code from `kith recover` over the
 *   phone. A code is different for every guardian, so one code overheard does not approve another.
 * - The share envelope is released sealed to the recovery key (ECIES), bound to the request id.
 */
import { decodeVaultSigned, defineRecord, encodeVaultSigned, RecordKind } from '../codec/record.js'
import { defineSchema } from '../codec/tlv.js'
import { assertBytes } from '../crypto/assert.js'
import { toHex } from '../crypto/bytes.js'
import { COMPRESSED_PUBLIC_KEY_LENGTH, eciesOpen, eciesSeal } from '../crypto/ecies.js'
import { taggedHash } from '../crypto/hash.js'
import type { RandomBytes } from '../crypto/random.js'

export const REQUEST_ID_LENGTH = 8
const CODE_DIGITS = 6

/** A request's id: the first 8 bytes of a tagged hash of the vault id and the recovery key. */
export function recoveryRequestId(vaultId: Uint8Array, recoveryKey: Uint8Array): Uint8Array {
  assertBytes(vaultId, 'vaultId', 32)
  assertBytes(recoveryKey, 'recoveryKey', COMPRESSED_PUBLIC_KEY_LENGTH)
  return taggedHash('kith/v1/recovery-request', vaultId, recoveryKey).slice(0, REQUEST_ID_LENGTH)
}

/** The code one guardian's human compares with the operator's, as "123-456". */
export function verificationCode(
  vaultId: Uint8Array,
  recoveryKey: Uint8Array,
  guardianPeerId: Uint8Array,
): string {
  const h = taggedHash('kith/v1/recovery-code', vaultId, recoveryKey, guardianPeerId)
  // 48 bits reduced mod 10^6: the bias (< 2^-28) is irrelevant for a code read aloud
  const n = h.subarray(0, 6).reduce((acc, b) => acc * 256 + b, 0) % 10 ** CODE_DIGITS
  const s = n.toString().padStart(CODE_DIGITS, '0')
  return `${s.slice(0, 3)}-${s.slice(3)}`
}

/** A code as a human typed it ("123 456", "123-456", "123456") in its canonical form, or undefined. */
export function normalizeCode(typed: string): string | undefined {
  const digits = typed.replace(/[\s-]/g, '')
  return /^\d{6}$/.test(digits) ? `${digits.slice(0, 3)}-${digits.slice(3)}` : undefined
}

const _context = (requestId: Uint8Array) => `share-release/${toHex(requestId)}`

/** Seal a share envelope to a request's recovery key. */
export function sealRelease(
  recoveryKey: Uint8Array,
  requestId: Uint8Array,
  envelope: Uint8Array,
  random?: RandomBytes,
): Uint8Array {
  return eciesSeal(recoveryKey, envelope, _context(requestId), random)
}

/** Open a released share with the recovery secret key; DecryptionFailedError if it is not ours. */
export function openRelease(
  recoverySecretKey: Uint8Array,
  requestId: Uint8Array,
  box: Uint8Array,
): Uint8Array {
  return eciesOpen(recoverySecretKey, box, _context(requestId))
}

/** A vault-signed veto of one recovery request (docs/format.md §Veto). */
export const VETO = defineRecord({
  schema: defineSchema('veto', [
    { tag: 1, name: 'vault_id', type: 'bytes', length: 32 },
    { tag: 2, name: 'request_id', type: 'bytes', length: REQUEST_ID_LENGTH },
    { tag: 3, name: 'created_at', type: 'u64' },
  ]),
  kind: RecordKind.veto,
  version: 1,
  maxBytes: 160,
  signed: true,
  tag: 'veto',
})

export interface Veto {
  readonly vaultId: Uint8Array
  readonly requestId: Uint8Array
  readonly createdAt: number
  readonly bytes: Uint8Array
}

export function signVeto(
  fields: Omit<Veto, 'bytes'>,
  vaultSecretKey: Uint8Array,
  random?: RandomBytes,
): Veto {
  const { bytes } = encodeVaultSigned(
    VETO,
    { vault_id: fields.vaultId, request_id: fields.requestId, created_at: fields.createdAt },
    vaultSecretKey,
    random,
  )
  return { ...fields, bytes }
}

/** Decode a veto and verify its signature against the vault it names. */
export function openVeto(bytes: Uint8Array): Veto {
  const { fields: f, vaultId } = decodeVaultSigned(VETO, bytes)
  return { vaultId, requestId: f['request_id'] as Uint8Array, createdAt: f['created_at'] as number, bytes }
}
