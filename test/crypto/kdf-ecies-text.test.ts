import { randomBytes } from 'node:crypto'
import { bech32m } from '@scure/base'
import { describe, expect, it } from 'vitest'
import { eciesOpen, eciesSeal, generateEciesKeyPair } from '../../src/crypto/ecies.js'
import { deriveDataKeys, hkdf, keyCommitment } from '../../src/crypto/kdf.js'
import { decodeText, encodeText } from '../../src/crypto/text.js'
import { expectCode, hex } from '../helpers/tmp.js'
import bech from '../vectors/bech32m.json' with { type: 'json' }
import rfc5869 from '../vectors/hkdf.json' with { type: 'json' }

describe('HKDF key schedule', () => {
  for (const [i, v] of rfc5869.vectors.entries()) {
    it(`RFC 5869 vector ${i + 1}`, () => {
      const okm = hkdf(hex(v.ikm), hex(v.salt), hex(v.info), v.length)
      expect(Buffer.from(okm).toString('hex')).toBe(v.okm)
    })
  }

  it('derives five distinct subkeys, and the commitment is one of them', () => {
    const dek = new Uint8Array(randomBytes(32))
    const keys = deriveDataKeys(dek)
    const all = Object.values(keys).map((k) => Buffer.from(k).toString('hex'))
    expect(new Set(all).size).toBe(5)
    expect(Buffer.from(keyCommitment(dek)).toString('hex')).toBe(Buffer.from(keys.commitment).toString('hex'))
  })
})

describe('ECIES share release', () => {
  it('round-trips only to the recipient and the same context', async () => {
    const r = generateEciesKeyPair()
    const msg = new Uint8Array(randomBytes(200))
    const box = eciesSeal(r.publicKey, msg, 'share-release')
    expect(Buffer.from(eciesOpen(r.secretKey, box, 'share-release')).equals(Buffer.from(msg))).toBe(true)
    await expectCode(
      () => eciesOpen(generateEciesKeyPair().secretKey, box, 'share-release'),
      'DECRYPTION_FAILED',
    )
    await expectCode(() => eciesOpen(r.secretKey, box, 'other'), 'DECRYPTION_FAILED')
    for (let i = 0; i < box.length; i += 11) {
      const bad = box.slice()
      bad[i]! ^= 0x04
      await expectCode(() => eciesOpen(r.secretKey, bad, 'share-release'), 'DECRYPTION_FAILED')
    }
  })

  it('uses a fresh ephemeral key every time', () => {
    const r = generateEciesKeyPair()
    const a = eciesSeal(r.publicKey, new Uint8Array(8), 'x')
    const b = eciesSeal(r.publicKey, new Uint8Array(8), 'x')
    expect(Buffer.from(a.subarray(1, 34)).equals(Buffer.from(b.subarray(1, 34)))).toBe(false)
  })
})

describe('bech32m text forms', () => {
  it('uses bech32m (BIP350), not bech32', () => {
    for (const s of bech.valid) expect(() => bech32m.decode(s as `${string}1${string}`)).not.toThrow()
    for (const s of bech.invalidBech32m) expect(() => bech32m.decode(s as `${string}1${string}`)).toThrow()
  })

  it('round-trips, ignores whitespace and upper case, refuses wrong prefix and typos', async () => {
    const bytes = new Uint8Array(randomBytes(32))
    const text = encodeText('vault', bytes)
    expect(text.startsWith('kvault1')).toBe(true)
    expect(Buffer.from(decodeText('vault', text)).equals(Buffer.from(bytes))).toBe(true)
    const spaced = text.toUpperCase().replace(/(.{10})/g, '$1 \n')
    expect(Buffer.from(decodeText('vault', spaced)).equals(Buffer.from(bytes))).toBe(true)
    await expectCode(() => decodeText('share', text), 'INVALID_TEXT_FORM')
    const typo = text.slice(0, 20) + (text[20] === 'q' ? 'p' : 'q') + text.slice(21)
    await expectCode(() => decodeText('vault', typo), 'INVALID_TEXT_FORM')
    await expectCode(() => decodeText('vault', 'hello'), 'INVALID_TEXT_FORM')
  })
})
