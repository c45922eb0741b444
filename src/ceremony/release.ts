/**
 * Share release (docs/format.md §Share release): a guardian's share envelope sealed to a request's
 * recovery key (ECIES), bound to the request id, so a box made for one request never opens as another.
 * Only the holder of the one-time recovery secret key opens it.
 */
import { toHex } from '../crypto/bytes.js'
import { eciesOpen, eciesSeal } from '../crypto/ecies.js'
import type { RandomBytes } from '../crypto/random.js'

const _context = (requestId: Uint8Array) => `share-release/${toHex(requestId)}`

/** Seal a share envelope to a request's recovery key. */
export function sealRelease(
  recoveryKey: Uint8Array,
  requestId: Uint8Array,
  envelope: Uint8Array,
  random?: RandomBytes,
): Uint8Array {
  return eciesSeal(recoveryKey, envelope, _context(requestId), random)
}

/** Open a released share with the recovery secret key; DecryptionFailedError if it is not ours. */
export function openRelease(
  recoverySecretKey: Uint8Array,
  requestId: Uint8Array,
  box: Uint8Array,
): Uint8Array {
  return eciesOpen(recoverySecretKey, box, _context(requestId))
}
