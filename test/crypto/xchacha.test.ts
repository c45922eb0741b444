import { randomBytes } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { releaseBytes } from '../../src/crypto/bytes.js'
import { hchacha20, xchachaOpen, xchachaSeal } from '../../src/crypto/xchacha.js'
import { expectCode, hex } from '../helpers/tmp.js'
import vectors from '../vectors/xchacha.json' with { type: 'json' }

describe('XChaCha20-Poly1305 (HChaCha20 + node:crypto)', () => {
  it('matches the draft HChaCha20 vector (§2.2.1)', () => {
    const v = vectors.hchacha20
    expect(Buffer.from(hchacha20(hex(v.key), hex(v.nonce))).toString('hex')).toBe(v.subkey)
  })

  it('matches the draft AEAD vector (§A.3.1) both ways', () => {
    const v = vectors.aead
    const sealed = xchachaSeal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad))
    expect(Buffer.from(sealed).toString('hex')).toBe(v.ciphertext + v.tag)
    expect(Buffer.from(xchachaOpen(hex(v.key), hex(v.nonce), sealed, hex(v.aad))).toString('hex')).toBe(
      v.plaintext,
    )
  })

  it('is byte-identical to @noble/ciphers xchacha20poly1305 for random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        (key, nonce, pt, aad) => {
          const ours = xchachaSeal(key, nonce, pt, aad)
          const theirs = xchacha20poly1305(key, nonce, aad).encrypt(pt)
          expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true)
          expect(Buffer.from(xchachaOpen(key, nonce, theirs, aad)).equals(Buffer.from(pt))).toBe(true)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('seals a plaintext of several 64 KiB slices as noble does in one pass, with a prefix', () => {
    const key = randomBytes(32)
    const nonce = new Uint8Array(randomBytes(24))
    for (const length of [65536, 65537, 3 * 65536 + 11]) {
      const pt = new Uint8Array(randomBytes(length))
      const ours = xchachaSeal(key, nonce, pt, Uint8Array.of(1), Uint8Array.of(9, 9))
      const theirs = xchacha20poly1305(key, nonce, Uint8Array.of(1)).encrypt(pt)
      expect(Buffer.from(ours.subarray(2)).equals(Buffer.from(theirs))).toBe(true)
      expect([...ours.subarray(0, 2)]).toEqual([9, 9])
    }
  })

  it('releaseBytes frees a buffer it is the whole of, and leaves a view of a larger one', () => {
    const whole = new Uint8Array(1024)
    releaseBytes(whole)
    expect(whole.byteLength).toBe(0)
    const big = new Uint8Array(1024)
    const view = big.subarray(0, 10)
    releaseBytes(view)
    expect(big.byteLength).toBe(1024)
    expect(view.byteLength).toBe(10)
  })

  it('refuses any flipped bit in ciphertext, tag, nonce or aad', async () => {
    const key = randomBytes(32)
    const nonce = new Uint8Array(randomBytes(24))
    const aad = new Uint8Array(randomBytes(8))
    const sealed = xchachaSeal(key, nonce, new Uint8Array(randomBytes(100)), aad)
    for (let i = 0; i < sealed.length; i += 7) {
      const bad = sealed.slice()
      bad[i]! ^= 0x01
      await expectCode(() => xchachaOpen(key, nonce, bad, aad), 'DECRYPTION_FAILED')
    }
    const badNonce = nonce.slice()
    badNonce[3]! ^= 0x80
    await expectCode(() => xchachaOpen(key, badNonce, sealed, aad), 'DECRYPTION_FAILED')
    await expectCode(() => xchachaOpen(key, nonce, sealed, new Uint8Array(8)), 'DECRYPTION_FAILED')
    await expectCode(() => xchachaOpen(key, nonce, sealed.subarray(0, 10), aad), 'DECRYPTION_FAILED')
  })
})
