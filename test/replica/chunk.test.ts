import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { deriveDataKeys } from '../../src/crypto/kdf.js'
import { CHUNK_OVERHEAD, openChunk, sealChunk, verifyChunkId } from '../../src/replica/chunk.js'
import { ChunkSealer } from '../../src/replica/seal-pool.js'
import { expectCode } from '../helpers/tmp.js'

const keys = deriveDataKeys(new Uint8Array(randomBytes(32)))

describe('chunks', () => {
  it('are deterministic: same plaintext, same stored bytes and id', () => {
    const pt = new Uint8Array(randomBytes(5000))
    const a = sealChunk(keys, pt)
    const b = sealChunk(keys, pt.slice())
    expect(Buffer.from(a.stored).equals(Buffer.from(b.stored))).toBe(true)
    expect(a.stored.length).toBe(pt.length + CHUNK_OVERHEAD)
    expect(Buffer.from(openChunk(keys, a.id, a.stored)).equals(Buffer.from(pt))).toBe(true)
    const otherKeys = deriveDataKeys(new Uint8Array(randomBytes(32)))
    expect(Buffer.from(sealChunk(otherKeys, pt).id).equals(Buffer.from(a.id))).toBe(false)
  })

  it('can be verified without the key, and any flipped byte is caught', async () => {
    const sealed = sealChunk(keys, new Uint8Array(randomBytes(300)))
    verifyChunkId(sealed.id, sealed.stored)
    for (let i = 0; i < sealed.stored.length; i += 13) {
      const bad = sealed.stored.slice()
      bad[i]! ^= 0x02
      await expectCode(() => verifyChunkId(sealed.id, bad), 'CHUNK_INTEGRITY')
      await expectCode(() => openChunk(keys, sealed.id, bad), 'CHUNK_INTEGRITY')
    }
  })

  it('open refuses a validly encrypted chunk whose nonce is not its keyed hash', async () => {
    // a chunk sealed under the right key but with a nonce that is not HMAC(plaintext)
    const { concatBytes } = await import('../../src/crypto/bytes.js')
    const { sha256 } = await import('../../src/crypto/hash.js')
    const { xchachaSeal } = await import('../../src/crypto/xchacha.js')
    const nonce = new Uint8Array(randomBytes(24))
    const stored = concatBytes(
      Uint8Array.of(1),
      nonce,
      xchachaSeal(keys.chunkKey, nonce, new Uint8Array(10), Uint8Array.of(1)),
    )
    const e = await expectCode(() => openChunk(keys, sha256(stored), stored), 'CHUNK_INTEGRITY')
    expect(e.message).toMatch(/nonce/)
  })

  it('the worker pool seals exactly what inline sealing does, in order', async () => {
    const inputs = Array.from({ length: 12 }, (_, i) => new Uint8Array(randomBytes(1000 + i * 5000)))
    const expected = inputs.map((pt) => Buffer.from(sealChunk(keys, pt).stored).toString('hex'))
    const sealer = new ChunkSealer(keys, { workers: 2 })
    try {
      expect(sealer.workerCount).toBe(2)
      const got: string[] = []
      for await (const s of sealer.seal(inputs.map((b) => b.slice())))
        got.push(Buffer.from(s.stored).toString('hex'))
      expect(got).toEqual(expected)
    } finally {
      await sealer.close()
    }
  })
})
