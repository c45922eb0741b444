/**
 * Encrypted chunks (docs/format.md §Chunk). Deterministic AEAD: the nonce is the keyed hash of the
 * plaintext, so identical plaintext gives identical stored bytes (dedup across versions). The id is
 * SHA-256 of the stored bytes, so anyone can verify a chunk without the key. Never store a chunk
 * under an id that was not computed from its bytes.
 */
import { concatBytes, equalBytes, toHex } from '../crypto/bytes.js'
import { DecryptionFailedError } from '../crypto/errors.js'
import { hmacSha256, sha256 } from '../crypto/hash.js'
import { XCHACHA_NONCE_LENGTH, XCHACHA_TAG_LENGTH, xchachaOpen, xchachaSeal } from '../crypto/xchacha.js'
import { ChunkIntegrityError } from './errors.js'

export const CHUNK_FORMAT_VERSION = 1
/** version(1) || nonce(24) || ciphertext || tag(16) */
export const CHUNK_OVERHEAD = 1 + XCHACHA_NONCE_LENGTH + XCHACHA_TAG_LENGTH
export const CHUNK_ID_LENGTH = 32
/** Largest plaintext in one chunk (the CDC maximum). */
export const MAX_CHUNK_PLAINTEXT = 4 * 1024 * 1024
export const MAX_CHUNK_STORED = MAX_CHUNK_PLAINTEXT + CHUNK_OVERHEAD

const AAD = Uint8Array.of(CHUNK_FORMAT_VERSION)

export interface ChunkKeys {
  readonly chunkKey: Uint8Array
  readonly chunkNonceKey: Uint8Array
}

export interface SealedChunk {
  /** SHA-256 of `stored`. */
  readonly id: Uint8Array
  readonly stored: Uint8Array
  readonly plainLength: number
  /** The keyed plaintext hash (= the nonce); restore re-derives it from the decrypted bytes. */
  readonly mac: Uint8Array
}

/** The keyed plaintext hash: HMAC-SHA256(chunkNonceKey, plaintext), first 24 bytes. */
export function chunkMac(keys: ChunkKeys, plaintext: Uint8Array): Uint8Array {
  return hmacSha256(keys.chunkNonceKey, plaintext).subarray(0, XCHACHA_NONCE_LENGTH)
}

export function sealChunk(keys: ChunkKeys, plaintext: Uint8Array): SealedChunk {
  if (plaintext.length > MAX_CHUNK_PLAINTEXT) throw new RangeError('chunk plaintext over 4 MiB')
  const nonce = chunkMac(keys, plaintext)
  const stored = xchachaSeal(keys.chunkKey, nonce, plaintext, AAD, concatBytes(AAD, nonce))
  return { id: sha256(stored), stored, plainLength: plaintext.length, mac: nonce }
}

/** Keyless check a guardian runs on every chunk it receives: its bytes hash to its id. */
export function verifyChunkId(id: Uint8Array, stored: Uint8Array): void {
  if (
    stored.length > MAX_CHUNK_STORED ||
    stored.length < CHUNK_OVERHEAD ||
    stored[0] !== CHUNK_FORMAT_VERSION
  ) {
    throw new ChunkIntegrityError(toHex(id), 'format')
  }
  if (!equalBytes(sha256(stored), id)) throw new ChunkIntegrityError(toHex(id), 'hash')
}

/**
 * Verify the id (unless the caller just did), authenticate and decrypt, then check the nonce is the
 * plaintext's keyed hash.
 */
export function openChunk(
  keys: ChunkKeys,
  id: Uint8Array,
  stored: Uint8Array,
  idVerified = false,
): Uint8Array {
  if (!idVerified) verifyChunkId(id, stored)
  const nonce = stored.subarray(1, 1 + XCHACHA_NONCE_LENGTH)
  let plaintext: Uint8Array
  try {
    plaintext = xchachaOpen(keys.chunkKey, nonce, stored.subarray(1 + XCHACHA_NONCE_LENGTH), AAD, 'chunk')
  } catch (err) {
    if (err instanceof DecryptionFailedError) throw new ChunkIntegrityError(toHex(id), 'decrypt')
    throw err
  }
  if (!equalBytes(chunkMac(keys, plaintext), nonce)) throw new ChunkIntegrityError(toHex(id), 'nonce')
  return plaintext
}
