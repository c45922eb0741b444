/**
 * Share envelopes waiting to be delivered, at rest (docs/format.md §Coordinator database): sealed with
 * the key-encryption key like the data keys, bound to the epoch and the guardian, so a stolen database
 * without the passphrase yields no share, and a sealed share never opens for another guardian or epoch.
 *
 *     sealed = 0x01 || nonce[24] || XChaCha20-Poly1305(kek, nonce, envelope, aad = "kith/share-at-rest" || epoch u64 || peer id)
 */
import { randomBytes } from 'node:crypto'
import { concatBytes, u64be } from '../crypto/bytes.js'
import { sha256 } from '../crypto/hash.js'
import { XCHACHA_NONCE_LENGTH, xchachaOpen, xchachaSeal } from '../crypto/xchacha.js'
import type { CoordinatorStore } from './store.js'

const SEALED_SHARE_VERSION = 1
const AAD_TAG = new TextEncoder().encode('kith/share-at-rest')

const _aad = (epoch: number, peerId: Uint8Array) => concatBytes(AAD_TAG, u64be(epoch), peerId)

/** A guardian's share envelope sealed for the database, and the hash of the envelope (what a drill checks). */
export interface SealedShare {
  readonly sealed: Uint8Array
  readonly hash: Uint8Array
}

/** What binds the owner's paper share at rest in place of a guardian's peer id (AAD). */
export const PAPER_SHARE_ID = new TextEncoder().encode('kith/owner-paper-share')

export function sealShare(
  kek: Uint8Array,
  epoch: number,
  peerId: Uint8Array,
  envelope: Uint8Array,
): SealedShare {
  const nonce = new Uint8Array(randomBytes(XCHACHA_NONCE_LENGTH))
  const box = xchachaSeal(kek, nonce, envelope, _aad(epoch, peerId))
  return { sealed: concatBytes(Uint8Array.of(SEALED_SHARE_VERSION), nonce, box), hash: sha256(envelope) }
}

/** Whether stored share bytes are sealed (older kith kept the envelope itself, which starts "KITH"). */
export const isSealedShare = (stored: Uint8Array): boolean => stored[0] === SEALED_SHARE_VERSION

/** The envelope a sealed share holds; DecryptionFailedError if it is not this guardian's for this epoch. */
export function openShare(
  kek: Uint8Array,
  epoch: number,
  peerId: Uint8Array,
  stored: Uint8Array,
): Uint8Array {
  if (!isSealedShare(stored)) return stored
  const nonce = stored.subarray(1, 1 + XCHACHA_NONCE_LENGTH)
  return xchachaOpen(
    kek,
    nonce,
    stored.subarray(1 + XCHACHA_NONCE_LENGTH),
    _aad(epoch, peerId),
    'share at rest',
  )
}

/** Seal every undelivered share an older kith stored in the clear. */
export function sealLegacyShares(db: CoordinatorStore, kek: Uint8Array): void {
  const epoch = db.settings().epoch
  const sealed = new Map<Uint8Array, Uint8Array>()
  for (const g of db.guardians())
    if (g.share !== null && !isSealedShare(g.share))
      sealed.set(g.peerId, sealShare(kek, epoch, g.peerId, g.share).sealed)
  db.setShares(sealed)
}
