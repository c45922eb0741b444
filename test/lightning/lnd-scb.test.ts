/**
 * LND channel.backup framing (src/lightning/lnd-scb.ts). LND keeps no channel.backup in its tests, so the
 * golden files (test/vectors/lnd-scb.json) come from an independent Python implementation of LND's
 * multi.go / single.go / lnencrypt/crypto.go under LND's own test key ring (lnencrypt/test_utils.go).
 */
import { randomBytes } from 'node:crypto'
import * as secp from '@noble/secp256k1'
import { describe, expect, it } from 'vitest'
import { xchachaSeal } from '../../src/crypto/xchacha.js'
import {
  LND_MULTI_MIN_LENGTH,
  LND_SINGLE_MIN_LENGTH,
  lndBackupKey,
  parseLndMultiBackup,
} from '../../src/lightning/lnd-scb.js'
import { expectCode, hex } from '../helpers/tmp.js'
import vectors from '../vectors/lnd-scb.json' with { type: 'json' }

const key = hex(vectors.key)
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** A file as LND packs one: a random nonce, then the sealed plaintext with the nonce as associated data. */
function pack(plaintext: Uint8Array, k = key): Uint8Array {
  const nonce = randomBytes(24)
  return xchachaSeal(k, nonce, plaintext, nonce, nonce)
}

describe('LND channel.backup', () => {
  it("derives the key as LND does from its test key ring's base key", () => {
    const pub = secp.getPublicKey(hex(vectors.testWalletPrivKey), true)
    expect(toHex(pub)).toBe(vectors.basePubKey)
    expect(toHex(lndBackupKey(pub))).toBe(vectors.key)
    expect(() => lndBackupKey(pub.subarray(1))).toThrow(TypeError)
  })

  for (const v of vectors.cases) {
    it(`reads the golden file: ${v.name}`, () => {
      const file = hex(v.file)
      const framing = parseLndMultiBackup(file)
      expect(toHex(framing.nonce)).toBe(v.nonce)
      expect(framing.ciphertextLength).toBe(v.expect.ciphertextLength)
      expect(framing.plaintextLength).toBe(v.expect.plaintextLength)
      // without the key the version is never known, the channels only for a backup of none
      expect(framing.version).toBeUndefined()
      expect(framing.channels).toBe(v.expect.channels === 0 ? 0 : undefined)
      expect(framing.maxChannels).toBeGreaterThanOrEqual(v.expect.channels)
      const opened = parseLndMultiBackup(file, { key })
      expect(opened.version).toBe(v.expect.version)
      expect(opened.channels).toBe(v.expect.channels)
    })
  }

  it('sizes the golden Singles as LND does: none below the smallest it writes', () => {
    const lengths = vectors.cases.flatMap((v) => v.expect.singleLengths)
    expect(lengths.length).toBeGreaterThan(0)
    // the one with no address and no lease is exactly the smallest
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(LND_SINGLE_MIN_LENGTH)
    expect(LND_MULTI_MIN_LENGTH).toBe(45)
  })

  it('refuses an empty file', async () => {
    const err = await expectCode(() => parseLndMultiBackup(new Uint8Array(0)), 'SOURCE_MISMATCH')
    expect(err.message).toBe('the file is not an LND channel.backup (multi-channel backup): it is empty')
  })

  it('refuses a truncated file, whatever the cut', async () => {
    const file = hex(vectors.cases[1]!.file)
    for (const cut of [1, 24, 44, 45, 100, file.length - 1]) {
      const truncated = file.subarray(0, cut)
      if (cut < LND_MULTI_MIN_LENGTH) {
        const err = await expectCode(() => parseLndMultiBackup(truncated), 'SOURCE_MISMATCH')
        expect(err.message).toContain(`it is ${cut} bytes; LND writes at least 45`)
      } else if (cut - LND_MULTI_MIN_LENGTH < LND_SINGLE_MIN_LENGTH && cut > LND_MULTI_MIN_LENGTH) {
        // between a backup of no channels and one of a channel: no length LND writes
        await expectCode(() => parseLndMultiBackup(truncated), 'SOURCE_MISMATCH')
      } else {
        // a cut the length alone cannot tell from a real file: the tag can
        await expectCode(() => parseLndMultiBackup(truncated, { key }), 'DECRYPTION_FAILED')
      }
    }
  })

  it('refuses random text, and a file of one repeated byte', async () => {
    const text = new TextEncoder().encode(
      Array.from(randomBytes(600), (b) => 'abcdefghij klmnopqrstuvwxyz,.\n0123456789'[b % 40]).join(''),
    )
    const err = await expectCode(() => parseLndMultiBackup(text), 'SOURCE_MISMATCH')
    expect(err.message).toContain('it is text')
    const blank = new Uint8Array(500)
    const err2 = await expectCode(() => parseLndMultiBackup(blank), 'SOURCE_MISMATCH')
    expect(err2.message).toContain('nonce is one repeated byte')
  })

  it('refuses a SQLite database given as a channel.backup, and names the source', async () => {
    const db = new Uint8Array(4096)
    db.set(new TextEncoder().encode('SQLite format 3\0'))
    db.set(randomBytes(100), 16)
    const err = await expectCode(() => parseLndMultiBackup(db, { source: 'lnd-backup' }), 'SOURCE_MISMATCH')
    expect(err.message).toBe(
      'lnd-backup is not an LND channel.backup (multi-channel backup): it is a SQLite database',
    )
  })

  it('with the key: a wrong key or a flipped byte fails to decrypt', async () => {
    const file = hex(vectors.cases[1]!.file)
    await expectCode(() => parseLndMultiBackup(file, { key: randomBytes(32) }), 'DECRYPTION_FAILED')
    const flipped = file.slice()
    flipped[100]! ^= 1
    expect(parseLndMultiBackup(flipped).ciphertextLength).toBe(file.length - 24)
    await expectCode(() => parseLndMultiBackup(flipped, { key }), 'DECRYPTION_FAILED')
  })

  it('with the key: refuses Singles that do not fill the plaintext as they say', async () => {
    const golden = hex(vectors.cases[1]!.plaintext)
    // says three channels, holds two
    const three = golden.slice()
    three[4] = 3
    const err = await expectCode(() => parseLndMultiBackup(pack(three), { key }), 'SOURCE_MISMATCH')
    expect(err.message).toContain('it names 3 channels and ends after 2')
    // the second Single's length runs past the end
    const long = golden.slice(0, golden.length - 1)
    const err2 = await expectCode(() => parseLndMultiBackup(pack(long), { key }), 'SOURCE_MISMATCH')
    expect(err2.message).toContain('ends inside channel 2')
  })

  it('with the key: a multi version LND does not know is reported, its channels not guessed', () => {
    const plaintext = hex(vectors.cases[1]!.plaintext)
    plaintext[0] = 1
    const read = parseLndMultiBackup(pack(plaintext), { key })
    expect(read.version).toBe(1)
    expect(read.channels).toBeUndefined()
  })
})
