/**
 * Rebuild the data key from share envelopes. shamir-secret-sharing verifies nothing (k-1 shares,
 * an x=0 share, a foreign or flipped share all give a wrong key silently), so every envelope is
 * checked first and the result is compared with the key commitment. Never returns an unchecked key.
 */
import { combine } from 'shamir-secret-sharing'
import { equalBytes } from '../crypto/bytes.js'
import { keyCommitment } from '../crypto/kdf.js'
import {
  DuplicateShareError,
  InsufficientSharesError,
  InvalidShareIndexError,
  KeyCommitmentMismatchError,
  ShareMismatchError,
} from './errors.js'
import { openShareEnvelope, SHARE_LENGTH, type ShareEnvelope } from './share-envelope.js'

/** A bare Shamir point: x in 1..255, y the 32 share bytes. */
export interface RawShare {
  readonly x: number
  readonly y: Uint8Array
}

/** Upper bound on subsets tried while isolating bad shares; (k=3, m=10) needs at most 120. */
const MAX_SUBSET_TRIES = 4096

async function _interpolate(points: readonly RawShare[]): Promise<Uint8Array> {
  return combine(
    points.map((p) => {
      const s = new Uint8Array(SHARE_LENGTH + 1)
      s.set(p.y, 0)
      s[SHARE_LENGTH] = p.x
      return s
    }),
  )
}

async function _matches(points: readonly RawShare[], commitment: Uint8Array): Promise<Uint8Array | null> {
  const key = await _interpolate(points)
  if (equalBytes(keyCommitment(key), commitment)) return key
  key.fill(0)
  return null
}

function* _subsets(m: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i)
  while (true) {
    yield idx.slice()
    let i = k - 1
    while (i >= 0 && idx[i] === m - k + i) i--
    if (i < 0) return
    idx[i]!++
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1
  }
}

/** A rebuilt key that matched its commitment, and the shares (by x) proven not to fit it. */
export interface CombineResult {
  readonly key: Uint8Array
  readonly badShares: readonly number[]
}

/**
 * Combine bare points under threshold k and check the result against `commitment`.
 * It tries the k lowest x first, then other k-subsets, returns the first key that matches, and
 * names every other point that disagrees with it. With no matching subset it throws.
 */
export async function combineRawShares(
  points: readonly RawShare[],
  k: number,
  commitment: Uint8Array,
): Promise<CombineResult> {
  const seen = new Set<number>()
  for (const p of points) {
    if (!Number.isInteger(p.x) || p.x < 1 || p.x > 255) throw new InvalidShareIndexError(p.x)
    if (seen.has(p.x)) throw new DuplicateShareError(p.x)
    if (p.y.length !== SHARE_LENGTH) throw new InvalidShareIndexError(p.x)
    seen.add(p.x)
  }
  if (points.length < k) throw new InsufficientSharesError(points.length, k)
  const sorted = [...points].sort((a, b) => a.x - b.x)
  const found = await _findConsistentSubset(sorted, k, commitment)
  if (found === null) throw new KeyCommitmentMismatchError(points.length)
  // every share outside the subset is checked too: one that does not fit is named, even if unused
  const base = found.chosen.slice(1)
  const badShares: number[] = []
  for (const p of sorted) {
    if (found.chosen.includes(p)) continue
    const check = await _matches([...base, p], commitment)
    if (check === null) badShares.push(p.x)
    else check.fill(0)
  }
  return { key: found.key, badShares }
}

/** The k lowest shares if they match, else the first k-subset (bounded search) that does. */
async function _findConsistentSubset(
  sorted: readonly RawShare[],
  k: number,
  commitment: Uint8Array,
): Promise<{ key: Uint8Array; chosen: RawShare[] } | null> {
  let tries = 0
  for (const subset of _subsets(sorted.length, k)) {
    if (++tries > MAX_SUBSET_TRIES) return null
    const chosen = subset.map((i) => sorted[i]!)
    const key = await _matches(chosen, commitment)
    if (key !== null) return { key, chosen }
  }
  return null
}

export interface CombineExpectations {
  /** The vault the operator is recovering (from the recovery kit); every envelope must match it. */
  readonly vaultId?: Uint8Array
  /** The epoch expected, if known. */
  readonly epoch?: number
}

/**
 * Verify envelopes (signature, same vault/epoch/k/n/commitment, valid distinct x, at least k) and
 * rebuild the data key, checked against the commitment. Accepts envelopes or their encoded bytes.
 * Bad shares among more than k are named in `badShares`; the key returned always matches.
 */
export async function combineShares(
  input: readonly (ShareEnvelope | Uint8Array)[],
  expect: CombineExpectations = {},
): Promise<CombineResult> {
  // re-verify even decoded envelopes: an object may have been built without a signature check
  const envelopes = input.map((e) => openShareEnvelope(e instanceof Uint8Array ? e : e.bytes))
  if (envelopes.length === 0) throw new InsufficientSharesError(0, 2)
  const ref = envelopes[0]!
  for (const e of envelopes) {
    if (expect.vaultId !== undefined && !equalBytes(e.vaultId, expect.vaultId))
      throw new ShareMismatchError('vault', e.x)
    if (expect.epoch !== undefined && e.epoch !== expect.epoch) throw new ShareMismatchError('epoch', e.x)
    if (!equalBytes(e.vaultId, ref.vaultId)) throw new ShareMismatchError('vault', e.x)
    if (e.epoch !== ref.epoch) throw new ShareMismatchError('epoch', e.x)
    if (e.k !== ref.k) throw new ShareMismatchError('threshold', e.x)
    if (e.n !== ref.n) throw new ShareMismatchError('count', e.x)
    if (!equalBytes(e.commitment, ref.commitment)) throw new ShareMismatchError('commitment', e.x)
  }
  return combineRawShares(
    envelopes.map((e) => ({ x: e.x, y: e.share })),
    ref.k,
    ref.commitment,
  )
}
