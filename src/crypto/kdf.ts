/**
 * The key schedule: every subkey kith uses is HKDF-SHA256 (RFC 5869) of the 32-byte data key under
 * its own label. The commitment is published; it must never let anyone derive another subkey.
 */
import { hkdfSync } from 'node:crypto'
import { assertBytes, assertInt } from './assert.js'

/** RFC 5869 HKDF-SHA256 (extract then expand). */
export function hkdf(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: string | Uint8Array,
  length: number,
): Uint8Array {
  assertInt(length, 'length', 1, 255 * 32)
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
}

export const DATA_KEY_LENGTH = 32

/** Salt shared by all data-key derivations: binds them to this format version. */
const SCHEDULE_SALT = new TextEncoder().encode('kith/v1/key-schedule')

/** HKDF `info` labels, one per purpose (docs/format.md §Key schedule). */
export const KEY_LABELS = {
  chunkKey: 'kith/v1/chunk-key',
  chunkNonceKey: 'kith/v1/chunk-nonce-key',
  gearSeed: 'kith/v1/gear-seed',
  manifestKey: 'kith/v1/manifest-body-key',
  commitment: 'kith/v1/key-commitment',
} as const

export interface DataKeys {
  /** XChaCha20-Poly1305 key for chunks. */
  readonly chunkKey: Uint8Array
  /** HMAC key whose output over a chunk's plaintext is its nonce. */
  readonly chunkNonceKey: Uint8Array
  /** Seed of the chunker's gear table, so cut points do not leak file structure. */
  readonly gearSeed: Uint8Array
  /** XChaCha20-Poly1305 key for manifest bodies. */
  readonly manifestKey: Uint8Array
  /** Public commitment to the data key; a rebuilt key is checked against it. */
  readonly commitment: Uint8Array
}

/** Derive every subkey from the data key (DEK). */
export function deriveDataKeys(dataKey: Uint8Array): DataKeys {
  assertBytes(dataKey, 'dataKey', DATA_KEY_LENGTH)
  const d = (label: string) => hkdf(dataKey, SCHEDULE_SALT, label, 32)
  return {
    chunkKey: d(KEY_LABELS.chunkKey),
    chunkNonceKey: d(KEY_LABELS.chunkNonceKey),
    gearSeed: d(KEY_LABELS.gearSeed),
    manifestKey: d(KEY_LABELS.manifestKey),
    commitment: d(KEY_LABELS.commitment),
  }
}

/** The key commitment alone (published in rosters and share envelopes). */
export function keyCommitment(dataKey: Uint8Array): Uint8Array {
  assertBytes(dataKey, 'dataKey', DATA_KEY_LENGTH)
  return hkdf(dataKey, SCHEDULE_SALT, KEY_LABELS.commitment, 32)
}
