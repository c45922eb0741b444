/**
 * Split the 32-byte data key k-of-n with shamir-secret-sharing and wrap each share in a signed
 * envelope. Only the key is ever split, never bulk data (the library is O(bytes x n)).
 */
import { split } from 'shamir-secret-sharing'
import { assertBytes, assertInt } from '../crypto/assert.js'
import { DATA_KEY_LENGTH, keyCommitment } from '../crypto/kdf.js'
import { schnorrPublicKey } from '../crypto/schnorr.js'
import { InvalidThresholdError } from './errors.js'
import { type ShareEnvelope, sealShareEnvelope } from './share-envelope.js'

export interface SplitOptions {
  readonly k: number
  readonly n: number
  readonly epoch: number
  /** The vault's signing key; the vault ID is its x-only public key. */
  readonly vaultSecretKey: Uint8Array
}

/** Check 2 <= k <= n <= 255, the library's and the format's bounds. */
export function assertThreshold(k: number, n: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 2 || n > 255 || k > n) {
    throw new InvalidThresholdError(k, n)
  }
}

/** Split the data key into n signed share envelopes, any k of which rebuild it. */
export async function splitDataKey(dataKey: Uint8Array, options: SplitOptions): Promise<ShareEnvelope[]> {
  assertBytes(dataKey, 'dataKey', DATA_KEY_LENGTH)
  assertThreshold(options.k, options.n)
  assertInt(options.epoch, 'epoch', 0, Number.MAX_SAFE_INTEGER)
  const vaultId = schnorrPublicKey(options.vaultSecretKey)
  const commitment = keyCommitment(dataKey)
  // the library rejects Buffer subclasses; hand it a plain Uint8Array copy
  const raw = await split(Uint8Array.from(dataKey), options.n, options.k)
  const envelopes = raw.map((s) =>
    sealShareEnvelope(
      {
        vaultId,
        epoch: options.epoch,
        x: s[DATA_KEY_LENGTH]!,
        k: options.k,
        n: options.n,
        share: s.slice(0, DATA_KEY_LENGTH),
        commitment,
      },
      options.vaultSecretKey,
    ),
  )
  for (const s of raw) s.fill(0)
  return envelopes
}
