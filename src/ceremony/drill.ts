/**
 * Recovery drill proofs (docs/format.md §Drill). Neither reveals anything the coordinator does not know.
 * - share: HMAC-SHA256 keyed by SHA-256 of the guardian's share envelope over a fresh nonce; the
 *   coordinator keeps that hash from when it split the key, never the share.
 * - chunk: SHA-256(tag || nonce || stored chunk bytes); the coordinator recomputes it from its own copy.
 */
import { hmacSha256, sha256 } from '../crypto/hash.js'

const SHARE_TAG = new TextEncoder().encode('kith/v1/drill-share')
const CHUNK_TAG = new TextEncoder().encode('kith/v1/drill-chunk')

export function shareProof(envelopeHash: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hmacSha256(envelopeHash, SHARE_TAG, nonce)
}

export function chunkProof(nonce: Uint8Array, stored: Uint8Array): Uint8Array {
  return sha256(CHUNK_TAG, nonce, stored)
}
