/**
 * SHA-256, HMAC-SHA256 and BIP340-style tagged hashes, on node:crypto (SHA-NI fast path).
 * Every domain in kith hashes under its own tag; no two record types may share one.
 */
import { createHash, createHmac } from 'node:crypto'

export function sha256(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** HMAC-SHA256(key, parts...): the keyed hash of docs/format.md §Conventions. */
export function hmacSha256(key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const h = createHmac('sha256', key)
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** BIP340 (Design section): TaggedHash(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m). */
export function taggedHash(tag: string, ...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  // recomputed per call rather than cached: one short hash, and no state kept between calls
  const t = sha256(new TextEncoder().encode(tag))
  return sha256(t, t, ...parts)
}
