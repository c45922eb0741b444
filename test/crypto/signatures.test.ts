import { randomBytes } from 'node:crypto'
import * as secp from '@noble/secp256k1'
import { describe, expect, it } from 'vitest'
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '../../src/crypto/ed25519.js'
import {
  generateSecretKey,
  schnorrPublicKey,
  schnorrSign,
  schnorrVerify,
  signRecord,
  verifyRecord,
} from '../../src/crypto/schnorr.js'
import { hex } from '../helpers/tmp.js'
import bip340 from '../vectors/bip340.json' with { type: 'json' }

describe('BIP340 Schnorr', () => {
  for (const v of bip340.vectors) {
    it(`vector ${v.index}${v.comment ? ` (${v.comment})` : ''}`, () => {
      if (v.secretKey !== '') {
        expect(Buffer.from(schnorrPublicKey(hex(v.secretKey))).toString('hex')).toBe(v.publicKey)
        const sig = schnorrSign(hex(v.message), hex(v.secretKey), hex(v.auxRand))
        expect(Buffer.from(sig).toString('hex')).toBe(v.signature)
      }
      expect(schnorrVerify(hex(v.signature), hex(v.message), hex(v.publicKey))).toBe(v.valid)
    })
  }

  it('the fast verifier (libsecp256k1) and noble agree, also on damaged signatures and keys', () => {
    for (let i = 0; i < 64; i++) {
      const sk = generateSecretKey()
      const pk = schnorrPublicKey(sk)
      const msg = new Uint8Array(randomBytes(32))
      const sig = schnorrSign(msg, sk, new Uint8Array(randomBytes(32)))
      const cases: [Uint8Array, Uint8Array, Uint8Array][] = [[sig, msg, pk]]
      const flip = (b: Uint8Array, at: number) => {
        const c = b.slice()
        c[at % c.length]! ^= 1 << (i % 8)
        return c
      }
      cases.push([flip(sig, i), msg, pk], [flip(sig, 32 + i), msg, pk], [sig, flip(msg, i), pk])
      cases.push([sig, msg, flip(pk, i)], [sig.fill(0xff, 32), msg, pk])
      for (const [s, m, p] of cases) {
        let noble: boolean
        try {
          noble = secp.schnorr.verify(s, m, p)
        } catch {
          noble = false
        }
        expect(schnorrVerify(s, m, p)).toBe(noble)
      }
    }
  })

  it('the fast signer (libsecp256k1) signs as noble does, and noble verifies it', () => {
    for (let i = 0; i < 32; i++) {
      const sk = generateSecretKey()
      const msg = new Uint8Array(randomBytes(32))
      const aux = new Uint8Array(randomBytes(32))
      const sig = schnorrSign(msg, sk, aux)
      expect(Buffer.from(sig).toString('hex')).toBe(
        Buffer.from(secp.schnorr.sign(msg, sk, aux)).toString('hex'),
      )
      expect(secp.schnorr.verify(sig, msg, schnorrPublicKey(sk))).toBe(true)
    }
    // without auxiliary randomness given, each signature takes fresh randomness: two differ, both verify
    const sk = generateSecretKey()
    const msg = new Uint8Array(32).fill(7)
    const [a, b] = [schnorrSign(msg, sk), schnorrSign(msg, sk)]
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
    for (const sig of [a, b]) expect(schnorrVerify(sig, msg, schnorrPublicKey(sk))).toBe(true)
    // a secret key out of range is refused, as noble refuses it
    expect(() => schnorrSign(msg, new Uint8Array(32))).toThrow()
    expect(() => schnorrSign(msg, new Uint8Array(32).fill(0xff))).toThrow()
  })

  it('record signatures are bound to their record type', () => {
    const sk = generateSecretKey()
    const pk = schnorrPublicKey(sk)
    const bytes = new Uint8Array(randomBytes(100))
    const sig = signRecord('head', bytes, sk)
    expect(verifyRecord('head', bytes, sig, pk)).toBe(true)
    for (const other of ['roster', 'share', 'receipt', 'veto', 'fence'] as const) {
      expect(verifyRecord(other, bytes, sig, pk)).toBe(false)
    }
    expect(verifyRecord('head', bytes, sig, schnorrPublicKey(generateSecretKey()))).toBe(false)
  })
})

describe('Ed25519 (receipts)', () => {
  it('RFC 8032 §7.1 test 1', () => {
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
    expect(Buffer.from(ed25519PublicKey(seed)).toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    )
    const sig = ed25519Sign(seed, new Uint8Array(0))
    expect(Buffer.from(sig).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    )
    expect(ed25519Verify(ed25519PublicKey(seed), new Uint8Array(0), sig)).toBe(true)
    sig[5]! ^= 1
    expect(ed25519Verify(ed25519PublicKey(seed), new Uint8Array(0), sig)).toBe(false)
    expect(ed25519Verify(new Uint8Array(31), new Uint8Array(0), sig)).toBe(false)
  })
})
