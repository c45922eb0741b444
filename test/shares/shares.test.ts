import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { combine as rawCombine, split as rawSplit } from 'shamir-secret-sharing'
import { describe, expect, it } from 'vitest'
import { keyCommitment } from '../../src/crypto/kdf.js'
import { generateSecretKey, schnorrPublicKey } from '../../src/crypto/schnorr.js'
import { combineRawShares, combineShares } from '../../src/shares/combine.js'
import {
  openShareEnvelope,
  type ShareEnvelope,
  sealShareEnvelope,
  shareEnvelopeFromText,
  shareEnvelopeToText,
} from '../../src/shares/share-envelope.js'
import { splitDataKey } from '../../src/shares/split.js'
import { expectCode } from '../helpers/tmp.js'

const dek = () => new Uint8Array(randomBytes(32))
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

async function vault(k: number, n: number, epoch = 1) {
  const vaultSecretKey = generateSecretKey()
  const key = dek()
  const envelopes = await splitDataKey(key, { k, n, epoch, vaultSecretKey })
  return { vaultSecretKey, key, envelopes, vaultId: schnorrPublicKey(vaultSecretKey) }
}

/** Re-sign an envelope with altered fields: what a compromised coordinator could produce. */
function resign(e: ShareEnvelope, sk: Uint8Array, change: Partial<ShareEnvelope>): ShareEnvelope {
  return sealShareEnvelope({ ...e, ...change }, sk)
}

describe('split and combine', () => {
  it('any k-subset rebuilds the key (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 7 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.integer({ min: 2, max: n }), fc.infiniteStream(fc.nat())),
          ),
        async ([n, k, picks]) => {
          const v = await vault(k, n)
          const pool = [...v.envelopes]
          const chosen: ShareEnvelope[] = []
          const it = picks[Symbol.iterator]()
          while (chosen.length < k) chosen.push(pool.splice(it.next().value % pool.length, 1)[0]!)
          const { key, badShares } = await combineShares(chosen, { vaultId: v.vaultId })
          expect(eq(key, v.key)).toBe(true)
          expect(badShares).toEqual([])
        },
      ),
      { numRuns: 30 },
    )
  })

  it('envelopes carry vault, epoch, x, k, n and the commitment', async () => {
    const v = await vault(3, 5, 7)
    const xs = new Set(v.envelopes.map((e) => e.x))
    expect(xs.size).toBe(5)
    for (const e of v.envelopes) {
      expect(e.x).toBeGreaterThan(0)
      expect([e.k, e.n, e.epoch]).toEqual([3, 5, 7])
      expect(eq(e.vaultId, v.vaultId)).toBe(true)
      expect(eq(e.commitment, keyCommitment(v.key))).toBe(true)
    }
  })

  it('paper (bech32m) form round-trips and is refused with one typo', async () => {
    const v = await vault(2, 3)
    const text = shareEnvelopeToText(v.envelopes[0]!)
    expect(text.startsWith('kshare1')).toBe(true)
    expect(eq(shareEnvelopeFromText(text).bytes, v.envelopes[0]!.bytes)).toBe(true)
    const typo = text.slice(0, 40) + (text[40] === 'q' ? 'p' : 'q') + text.slice(41)
    await expectCode(() => shareEnvelopeFromText(typo), 'INVALID_TEXT_FORM')
  })

  it('refuses thresholds outside 2 <= k <= n <= 255', async () => {
    await expectCode(
      () => splitDataKey(dek(), { k: 1, n: 3, epoch: 1, vaultSecretKey: generateSecretKey() }),
      'INVALID_THRESHOLD',
    )
    await expectCode(
      () => splitDataKey(dek(), { k: 4, n: 3, epoch: 1, vaultSecretKey: generateSecretKey() }),
      'INVALID_THRESHOLD',
    )
    await expectCode(
      () => splitDataKey(dek(), { k: 2, n: 256, epoch: 1, vaultSecretKey: generateSecretKey() }),
      'INVALID_THRESHOLD',
    )
  })

  it('handles (128, 255)', async () => {
    const v = await vault(128, 255)
    const { key } = await combineShares(v.envelopes.slice(100, 228))
    expect(eq(key, v.key)).toBe(true)
  })
})

describe("the library's traps each give a named error and never a key", () => {
  it('the raw library really is silent (why these checks exist)', async () => {
    const key = dek()
    const raw = await rawSplit(key, 5, 3)
    expect(eq(await rawCombine(raw.slice(0, 2)), key)).toBe(false) // k-1 shares: wrong key, no error
    const x0 = Uint8Array.from(raw[0]!)
    x0[32] = 0
    expect(eq(await rawCombine([x0, raw[1]!, raw[2]!]), x0.subarray(0, 32))).toBe(true) // x=0 forces output
  })

  it('k-1 shares', async () => {
    const v = await vault(3, 5)
    const e = await expectCode(() => combineShares(v.envelopes.slice(0, 2)), 'INSUFFICIENT_SHARES')
    expect(e.message).toMatch(/2 valid share\(s\), but 3/)
  })

  it('an x = 0 share', async () => {
    const v = await vault(3, 5)
    const forged = resign(v.envelopes[0]!, v.vaultSecretKey, { x: 0 })
    await expectCode(() => combineShares([forged, ...v.envelopes.slice(1, 3)]), 'INVALID_SHARE_INDEX')
    const raw = v.envelopes.map((e) => ({ x: e.x, y: e.share }))
    await expectCode(
      () => combineRawShares([{ x: 0, y: raw[0]!.y }, raw[1]!, raw[2]!], 3, keyCommitment(v.key)),
      'INVALID_SHARE_INDEX',
    )
  })

  it('shares from another split of another key (same vault and epoch)', async () => {
    const v = await vault(3, 5)
    const other = await splitDataKey(dek(), { k: 3, n: 5, epoch: 1, vaultSecretKey: v.vaultSecretKey })
    const e = await expectCode(() => combineShares([...v.envelopes.slice(0, 2), other[0]!]), 'SHARE_MISMATCH')
    expect(e.message).toMatch(/commitment/)
  })

  it('shares from another split of the same key (a re-split at the same epoch)', async () => {
    const v = await vault(3, 5)
    const again = await splitDataKey(v.key, { k: 3, n: 5, epoch: 1, vaultSecretKey: v.vaultSecretKey })
    const mixed = [
      ...v.envelopes.slice(0, 2),
      again.find((a) => !v.envelopes.slice(0, 2).some((b) => b.x === a.x))!,
    ]
    await expectCode(() => combineShares(mixed), 'KEY_COMMITMENT_MISMATCH')
  })

  it('shares from another vault or epoch', async () => {
    const v = await vault(2, 3)
    const w = await vault(2, 3)
    const e = await expectCode(() => combineShares([v.envelopes[0]!, w.envelopes[1]!]), 'SHARE_MISMATCH')
    expect(e.message).toMatch(/vault/)
    await expectCode(() => combineShares(v.envelopes.slice(0, 2), { vaultId: w.vaultId }), 'SHARE_MISMATCH')
    const later = resign(v.envelopes[1]!, v.vaultSecretKey, { epoch: 2 })
    await expectCode(() => combineShares([v.envelopes[0]!, later]), 'SHARE_MISMATCH')
  })

  it('a duplicate share counts once', async () => {
    const v = await vault(3, 5)
    await expectCode(
      () => combineShares([v.envelopes[0]!, v.envelopes[0]!, v.envelopes[1]!]),
      'DUPLICATE_SHARE',
    )
  })

  it('a flipped byte anywhere in an envelope', async () => {
    const v = await vault(2, 3)
    const bytes = v.envelopes[0]!.bytes
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice()
      bad[i]! ^= 0x10
      let code = ''
      try {
        await combineShares([bad, v.envelopes[1]!.bytes])
      } catch (err) {
        code = (err as { code: string }).code
      }
      expect(['BAD_SIGNATURE', 'MALFORMED_RECORD', 'UNSUPPORTED_FORMAT', 'RECORD_TOO_LARGE']).toContain(code)
    }
  })

  for (const where of ['lowest', 'highest'] as const) {
    it(`a flipped share byte under a valid signature (${where} x): k shares fail, more than k name it`, async () => {
      const v = await vault(3, 5)
      const byX = [...v.envelopes].sort((a, b) => a.x - b.x)
      const victim = where === 'lowest' ? byX[0]! : byX[4]!
      const y = victim.share.slice()
      y[0]! ^= 0x01
      const bad = resign(victim, v.vaultSecretKey, { share: y })
      const others = v.envelopes.filter((e) => e.x !== victim.x)
      await expectCode(() => combineShares([others[0]!, others[1]!, bad]), 'KEY_COMMITMENT_MISMATCH')
      const { key, badShares } = await combineShares([...others, bad])
      expect(eq(key, v.key)).toBe(true)
      expect(badShares).toEqual([bad.x])
    })
  }

  it('openShareEnvelope refuses a signature by another key', async () => {
    const v = await vault(2, 3)
    const forged = resign(v.envelopes[0]!, generateSecretKey(), {})
    await expectCode(() => openShareEnvelope(forged.bytes), 'BAD_SIGNATURE')
  })
})
