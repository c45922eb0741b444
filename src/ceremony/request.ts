/**
 * A recovery request and its phone codes (docs/format.md §Recovery request). A request is a one-time
 * secp256k1 public key (the recovery key) for one vault; its id is derived from both, so every guardian
 * names it the same way. Each guardian's human compares a six-digit code, derived from the vault, the
 * recovery key and that guardian's own peer ID, with the one the operator reads out by phone: one code
 * overheard approves no other guardian. A code never crosses the network.
 */
import { assertBytes } from '../crypto/assert.js'
import { COMPRESSED_PUBLIC_KEY_LENGTH } from '../crypto/ecies.js'
import { taggedHash } from '../crypto/hash.js'

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
