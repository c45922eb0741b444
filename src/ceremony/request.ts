/**
 * A recovery request and its phone codes (docs/format.md §Recovery request). A request is a one-time
 * secp256k1 public key (the recovery key) for one vault; its id is derived from both, so every guardian
 * names it the same way. Each guardian draws a random six-digit code for the request and sends it sealed
 * to the recovery key: only the person running the recovery can read it out, and nobody (another
 * guardian, a stranger who knows every public input) can predict or choose it. The guardian never shows
 * it: its human types what the operator reads by phone, which is what authenticates the call.
 */
import { randomInt } from 'node:crypto'
import { assertBytes } from '../crypto/assert.js'
import { toHex } from '../crypto/bytes.js'
import { COMPRESSED_PUBLIC_KEY_LENGTH, eciesOpen, eciesSeal } from '../crypto/ecies.js'
import { taggedHash } from '../crypto/hash.js'
import type { RandomBytes } from '../crypto/random.js'

export const REQUEST_ID_LENGTH = 16
const CODE_DIGITS = 6

/** A request's id: the first 16 bytes of a tagged hash of the vault id and the recovery key. */
export function recoveryRequestId(vaultId: Uint8Array, recoveryKey: Uint8Array): Uint8Array {
  assertBytes(vaultId, 'vaultId', 32)
  assertBytes(recoveryKey, 'recoveryKey', COMPRESSED_PUBLIC_KEY_LENGTH)
  return taggedHash('kith/v2/recovery-request', vaultId, recoveryKey).slice(0, REQUEST_ID_LENGTH)
}

/** A fresh code from the system's CSPRNG, as "123-456". */
export function newCode(): string {
  const s = randomInt(0, 10 ** CODE_DIGITS)
    .toString()
    .padStart(CODE_DIGITS, '0')
  return `${s.slice(0, 3)}-${s.slice(3)}`
}

const _context = (requestId: Uint8Array) => `recovery-code/${toHex(requestId)}`

/** Seal a guardian's code for a request to its recovery key. */
export function sealCode(
  recoveryKey: Uint8Array,
  requestId: Uint8Array,
  code: string,
  random?: RandomBytes,
): Uint8Array {
  return eciesSeal(recoveryKey, new TextEncoder().encode(code), _context(requestId), random)
}

/** Open a sealed code with the recovery secret key; undefined if it is not a code for this request. */
export function openCode(
  recoverySecretKey: Uint8Array,
  requestId: Uint8Array,
  box: Uint8Array,
): string | undefined {
  try {
    return normalizeCode(new TextDecoder().decode(eciesOpen(recoverySecretKey, box, _context(requestId))))
  } catch {
    return undefined
  }
}

/** A code as a human typed it ("123 456", "123-456", "123456") in its canonical form, or undefined. */
export function normalizeCode(typed: string): string | undefined {
  const digits = typed.replace(/[\s-]/g, '')
  return /^\d{6}$/.test(digits) ? `${digits.slice(0, 3)}-${digits.slice(3)}` : undefined
}
