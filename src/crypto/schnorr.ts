/**
 * BIP340 Schnorr over secp256k1, and record signatures over tagged hashes: each record type signs under
 * its own tag, so a signature made for one type never verifies as another. Keys come from
 * @noble/secp256k1. Signing and verifying a 32-byte digest (every record's) run in libsecp256k1,
 * compiled to WebAssembly by tiny-secp256k1: about 12 times faster than noble's for a verify and 15
 * times for a signature. A guardian verifies every pushed manifest; the coordinator signs every
 * version's head and every live-state entry. Both libraries must agree on every BIP340 vector and on
 * random keys (test/crypto/signatures.test.ts).
 */
import * as secp from '@noble/secp256k1'
import { signSchnorr as libsecpSign, verifySchnorr as libsecpVerify } from 'tiny-secp256k1'
import { assertBytes } from './assert.js'
import { hmacSha256, sha256, taggedHash } from './hash.js'
import { type RandomBytes, systemRandom } from './random.js'

// noble v3's sync API needs its hash backends set; node:crypto's are the fast ones
secp.hashes.sha256 = (msg: Uint8Array) => sha256(msg)
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmacSha256(key, msg)

export const SCHNORR_SIGNATURE_LENGTH = 64
export const XONLY_PUBLIC_KEY_LENGTH = 32
export const SECRET_KEY_LENGTH = 32

/** The record types that carry a vault or guardian signature. Each maps to one tag. */
/** 'head' also signs manifests: a manifest ends with its head's signature (docs/format.md §Manifest). */
export type SignedRecordType = 'roster' | 'share' | 'head' | 'receipt' | 'veto' | 'fence' | 'writer' | 'chain'

/** The BIP340 tag a record type signs under (docs/format.md §Signatures). */
export function signatureTag(type: SignedRecordType): string {
  return `kith/${type}/v1`
}

/** A fresh secp256k1 secret key. */
export function generateSecretKey(): Uint8Array {
  return secp.utils.randomSecretKey()
}

/** BIP340 x-only public key of a secret key. */
export function schnorrPublicKey(secretKey: Uint8Array): Uint8Array {
  return secp.schnorr.getPublicKey(assertBytes(secretKey, 'secretKey', SECRET_KEY_LENGTH))
}

/** Raw BIP340 sign (for vectors); records use signRecord. Fresh auxiliary randomness unless given. */
export function schnorrSign(message: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  assertBytes(secretKey, 'secretKey', SECRET_KEY_LENGTH)
  const aux = auxRand ?? systemRandom(32)
  // libsecp256k1 takes only 32-byte messages and auxiliary randomness (noble signs the others)
  return message.length === 32 && aux.length === 32
    ? libsecpSign(message, secretKey, aux)
    : secp.schnorr.sign(message, secretKey, aux)
}

/** Raw BIP340 verify; false (never throws) for malformed keys or signatures. */
export function schnorrVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SCHNORR_SIGNATURE_LENGTH || publicKey.length !== XONLY_PUBLIC_KEY_LENGTH)
    return false
  try {
    // libsecp256k1 takes only 32-byte messages (BIP340 allows any length: noble verifies the others)
    return message.length === 32
      ? libsecpVerify(message, publicKey, signature)
      : secp.schnorr.verify(signature, message, publicKey)
  } catch {
    return false // both throw on a key off the curve or a value out of range: it verifies nothing
  }
}

/** Digest a record type's signed bytes: TaggedHash("kith/<type>/v1", bytes). */
export function recordDigest(type: SignedRecordType, signedBytes: Uint8Array): Uint8Array {
  return taggedHash(signatureTag(type), signedBytes)
}

/** Sign a record's bytes with a vault key (BIP340 aux_rand from `random`). */
export function signRecord(
  type: SignedRecordType,
  signedBytes: Uint8Array,
  secretKey: Uint8Array,
  random: RandomBytes = systemRandom,
): Uint8Array {
  return schnorrSign(recordDigest(type, signedBytes), secretKey, random(32))
}

/** Verify a record's vault signature. */
export function verifyRecord(
  type: SignedRecordType,
  signedBytes: Uint8Array,
  signature: Uint8Array,
  xonlyPublicKey: Uint8Array,
): boolean {
  return schnorrVerify(signature, recordDigest(type, signedBytes), xonlyPublicKey)
}
