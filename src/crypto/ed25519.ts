/**
 * Ed25519 (RFC 8032) on node:crypto, for what guardians sign with their libp2p identity key (receipts).
 * Keys are raw 32-byte seeds / public keys; the DER wrapping below is fixed by RFC 8410.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { assertBytes } from './assert.js'
import { concatBytes } from './bytes.js'

const PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])
const SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

export const ED25519_PUBLIC_KEY_LENGTH = 32
export const ED25519_SIGNATURE_LENGTH = 64

function privateKeyObject(seed: Uint8Array) {
  assertBytes(seed, 'seed', 32)
  return createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_PREFIX, seed)), format: 'der', type: 'pkcs8' })
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length))
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject(seed)))
}

/** A signer that parses the key once (for a daemon signing many receipts). */
export function ed25519Signer(seed: Uint8Array): (message: Uint8Array) => Uint8Array {
  const key = privateKeyObject(seed)
  return (message) => new Uint8Array(sign(null, message, key))
}

/** Parsed public keys, by hex: a guardian verifies every entry of a journal with the same writer key. */
const KEY_CACHE = new Map<string, KeyObject>()
const KEY_CACHE_SIZE = 256

function _publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('hex')
  let key = KEY_CACHE.get(id)
  if (key === undefined) {
    key = createPublicKey({
      key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)),
      format: 'der',
      type: 'spki',
    })
    if (KEY_CACHE.size >= KEY_CACHE_SIZE) KEY_CACHE.delete(KEY_CACHE.keys().next().value!)
    KEY_CACHE.set(id, key)
  }
  return key
}

/** False (never throws) for a malformed key or signature. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH)
    return false
  try {
    return verify(null, message, _publicKeyObject(publicKey), signature)
  } catch {
    return false // a key node:crypto cannot parse verifies nothing
  }
}
