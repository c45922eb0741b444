/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03): HChaCha20 from @noble/ciphers derives the subkey,
 * node:crypto's chacha20-poly1305 (RFC 8439) does the bulk work. Byte-identical to noble's
 * xchacha20poly1305 (test/crypto/xchacha.test.ts). Must never reuse a (key, nonce) for different data.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { hchacha } from '@noble/ciphers/chacha.js'
import { assertBytes } from './assert.js'
import { releaseBytes } from './bytes.js'
import { DecryptionFailedError } from './errors.js'

export const XCHACHA_KEY_LENGTH = 32
export const XCHACHA_NONCE_LENGTH = 24
export const XCHACHA_TAG_LENGTH = 16
/** Plaintext encrypted per call of the cipher by xchachaSeal. */
const SEAL_SLICE = 64 * 1024

// "expand 32-byte k" as little-endian words (RFC 8439 §2.3)
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

function wordsLE(bytes: Uint8Array, count: number): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 4)
  const out = new Uint32Array(count)
  for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true)
  return out
}

/** HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): 32-byte key + 16-byte nonce -> 32-byte subkey. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  assertBytes(key, 'key', 32)
  assertBytes(nonce16, 'nonce16', 16)
  const out = new Uint32Array(8)
  hchacha(SIGMA, wordsLE(key, 8), wordsLE(nonce16, 4), out)
  const bytes = new Uint8Array(32)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < 8; i++) view.setUint32(i * 4, out[i]!, true)
  return bytes
}

/** §2.3: the RFC 8439 nonce is 4 zero bytes || the last 8 bytes of the 24-byte nonce. */
function _subkeyAndNonce(key: Uint8Array, nonce: Uint8Array): [Uint8Array, Uint8Array] {
  assertBytes(key, 'key', XCHACHA_KEY_LENGTH)
  assertBytes(nonce, 'nonce', XCHACHA_NONCE_LENGTH)
  const ietfNonce = new Uint8Array(12)
  ietfNonce.set(nonce.subarray(16, 24), 4)
  return [hchacha20(key, nonce.subarray(0, 16)), ietfNonce]
}

/**
 * Encrypt and authenticate: returns `prefix` || ciphertext || 16-byte tag in one buffer (the prefix
 * lets callers frame a record without copying the ciphertext again).
 */
export function xchachaSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
  prefix: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const [subkey, ietfNonce] = _subkeyAndNonce(key, nonce)
  const cipher = createCipheriv('chacha20-poly1305', subkey, ietfNonce, { authTagLength: XCHACHA_TAG_LENGTH })
  if (aad !== undefined) cipher.setAAD(aad, { plaintextLength: plaintext.length })
  const out = new Uint8Array(prefix.length + plaintext.length + XCHACHA_TAG_LENGTH)
  out.set(prefix, 0)
  // in slices, each freed once copied: a chunk's whole ciphertext would be one more buffer of its size
  // for the GC to find (a seal worker's own piled up to 64 MiB)
  let at = prefix.length
  for (let o = 0; o < plaintext.length; o += SEAL_SLICE) {
    const body = cipher.update(plaintext.subarray(o, o + SEAL_SLICE))
    out.set(body, at)
    at += body.length
    releaseBytes(body)
  }
  out.set(cipher.final(), at)
  out.set(cipher.getAuthTag(), prefix.length + plaintext.length)
  subkey.fill(0)
  return out
}

/** Verify and decrypt ciphertext || tag; throws DecryptionFailedError on any mismatch. */
export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
  what = 'data',
): Uint8Array {
  if (sealed.length < XCHACHA_TAG_LENGTH) throw new DecryptionFailedError(what)
  const [subkey, ietfNonce] = _subkeyAndNonce(key, nonce)
  const ctLength = sealed.length - XCHACHA_TAG_LENGTH
  const decipher = createDecipheriv('chacha20-poly1305', subkey, ietfNonce, {
    authTagLength: XCHACHA_TAG_LENGTH,
  })
  decipher.setAuthTag(sealed.subarray(ctLength))
  if (aad !== undefined) decipher.setAAD(aad, { plaintextLength: ctLength })
  const out = new Uint8Array(ctLength)
  try {
    const body = decipher.update(sealed.subarray(0, ctLength))
    out.set(body, 0)
    out.set(decipher.final(), body.length)
  } catch {
    out.fill(0)
    throw new DecryptionFailedError(what)
  } finally {
    subkey.fill(0)
  }
  return out
}
