/**
 * ECIES for releasing a share to a recovering operator: ephemeral secp256k1 ECDH with the recipient's
 * one-time key, HKDF-SHA256, then XChaCha20-Poly1305. Only the holder of the recipient secret key opens it.
 * Layout (docs/format.md §ECIES): version(1) || ephemeral pubkey(33) || nonce(24) || ciphertext || tag(16).
 */
import * as secp from '@noble/secp256k1'
import { assertBytes } from './assert.js'
import { concatBytes } from './bytes.js'
import { DecryptionFailedError, InvalidPublicKeyError } from './errors.js'
import { hkdf } from './kdf.js'
import { type RandomBytes, systemRandom } from './random.js'
import { XCHACHA_NONCE_LENGTH, XCHACHA_TAG_LENGTH, xchachaOpen, xchachaSeal } from './xchacha.js'

export const ECIES_VERSION = 1
export const COMPRESSED_PUBLIC_KEY_LENGTH = 33
const HEADER_LENGTH = 1 + COMPRESSED_PUBLIC_KEY_LENGTH + XCHACHA_NONCE_LENGTH

/** A one-time recipient key pair (the recovery key). */
export function generateEciesKeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = secp.utils.randomSecretKey()
  return { secretKey, publicKey: secp.getPublicKey(secretKey, true) }
}

function _key(shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array, context: string): Uint8Array {
  // the x coordinate is the ECDH secret; both public keys salt it, the context labels its use
  return hkdf(shared.subarray(1), concatBytes(ephemeral, recipient), `kith/v1/ecies/${context}`, 32)
}

function _sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return secp.getSharedSecret(secretKey, publicKey, true)
  } catch {
    throw new InvalidPublicKeyError('ECIES')
  }
}

/** Encrypt `plaintext` to a compressed secp256k1 public key, for one named `context`. */
export function eciesSeal(
  recipientPublicKey: Uint8Array,
  plaintext: Uint8Array,
  context: string,
  random: RandomBytes = systemRandom,
): Uint8Array {
  assertBytes(recipientPublicKey, 'recipientPublicKey', COMPRESSED_PUBLIC_KEY_LENGTH)
  // 48 bytes reduced mod n: noble's own recipe for an unbiased secret key
  const eph = secp.utils.randomSecretKey(random(48))
  const ephPub = secp.getPublicKey(eph, true)
  const key = _key(_sharedSecret(eph, recipientPublicKey), ephPub, recipientPublicKey, context)
  eph.fill(0)
  const nonce = random(XCHACHA_NONCE_LENGTH)
  const header = concatBytes(Uint8Array.of(ECIES_VERSION), ephPub, nonce)
  const box = xchachaSeal(key, nonce, plaintext, header, header)
  key.fill(0)
  return box
}

/** Decrypt with the recipient secret key; DecryptionFailedError for anything not sealed to it. */
export function eciesOpen(recipientSecretKey: Uint8Array, box: Uint8Array, context: string): Uint8Array {
  assertBytes(recipientSecretKey, 'recipientSecretKey', 32)
  if (box.length < HEADER_LENGTH + XCHACHA_TAG_LENGTH || box[0] !== ECIES_VERSION) {
    throw new DecryptionFailedError('released share')
  }
  const header = box.subarray(0, HEADER_LENGTH)
  const ephPub = box.subarray(1, 1 + COMPRESSED_PUBLIC_KEY_LENGTH)
  const nonce = box.subarray(1 + COMPRESSED_PUBLIC_KEY_LENGTH, HEADER_LENGTH)
  const recipient = secp.getPublicKey(recipientSecretKey, true)
  let shared: Uint8Array
  try {
    shared = _sharedSecret(recipientSecretKey, ephPub)
  } catch {
    throw new DecryptionFailedError('released share')
  }
  const key = _key(shared, ephPub, recipient, context)
  try {
    return xchachaOpen(key, nonce, box.subarray(HEADER_LENGTH), header, 'released share')
  } finally {
    key.fill(0)
  }
}
