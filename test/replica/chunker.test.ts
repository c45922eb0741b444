import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/bytes.js'
import { deriveDataKeys } from '../../src/crypto/kdf.js'
import { sealChunk } from '../../src/replica/chunk.js'
import { CDC_PARAMS, chunkContentDefined, chunkFixed, gearTable } from '../../src/replica/chunker.js'

const keys = deriveDataKeys(new Uint8Array(32).fill(7))
const gear = gearTable(keys.gearSeed)
/** Small parameters so properties run on KiB-sized data; the algorithm is the same. */
const small = { min: 256, avg: 1024, max: 4096 }

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const c of it) out.push(c)
  return out
}

/** Reproducible high-entropy bytes (SHA-256 in counter mode). */
function seeded(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0, o = 0; o < length; i++, o += 32) {
    out.set(
      createHash('sha256')
        .update(`${seed}:${i}`)
        .digest()
        .subarray(0, Math.min(32, length - o)),
      o,
    )
  }
  return out
}

function* pieces(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let o = 0; o < data.length; o += size) yield data.subarray(o, o + size)
}

describe('content-defined chunking', () => {
  it('respects min/max and reassembles exactly, however the input is split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 40_000 }),
        fc.integer({ min: 1, max: 9000 }),
        async (data, piece) => {
          const whole = await collect(chunkContentDefined([data], gear, small))
          const streamed = await collect(chunkContentDefined(pieces(data, piece), gear, small))
          expect(streamed.map(toHex)).toEqual(whole.map(toHex))
          expect(Buffer.concat(whole).equals(Buffer.from(data))).toBe(true)
          whole.forEach((c, i) => {
            expect(c.length).toBeLessThanOrEqual(small.max)
            if (i < whole.length - 1) expect(c.length).toBeGreaterThan(small.min)
          })
        },
      ),
      { numRuns: 60 },
    )
  })

  it('an unchanged region of a modified file produces no new chunks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        async (seed, at, insert) => {
          const data = seeded(seed, 50_000)
          const pos = at % data.length
          const modified = Buffer.concat([data.subarray(0, pos), insert, data.subarray(pos)])
          const before = await collect(chunkContentDefined([data], gear, small))
          const after = await collect(chunkContentDefined([modified], gear, small))
          const known = new Set(before.map((c) => toHex(sealChunk(keys, c).id)))
          const oldCuts = new Set<number>()
          let o = 0
          for (const c of before) {
            o += c.length
            oldCuts.add(o)
          }
          // the first cut after the edit that the old chunking also made: from there on, all is old
          let resync = Number.POSITIVE_INFINITY
          o = 0
          for (const c of after) {
            o += c.length
            if (o >= pos + insert.length && oldCuts.has(o - insert.length)) {
              resync = o
              break
            }
          }
          o = 0
          for (const c of after) {
            const start = o
            o += c.length
            if (o <= pos || start >= resync) expect(known.has(toHex(sealChunk(keys, c).id))).toBe(true)
          }
        },
      ),
      { numRuns: 50 },
    )
  })

  it('re-synchronises within a few chunks after an edit (24 MiB, real parameters)', async () => {
    const data = seeded(42, 24 * 1024 * 1024)
    const pos = 9_000_000
    const modified = Buffer.concat([data.subarray(0, pos), Buffer.from('edited'), data.subarray(pos)])
    const ids = async (d: Uint8Array) =>
      (await collect(chunkContentDefined(pieces(d, 1 << 20), gear))).map((c) => toHex(sealChunk(keys, c).id))
    const known = new Set(await ids(data))
    const fresh = (await ids(modified)).filter((id) => !known.has(id))
    expect(fresh.length).toBeGreaterThanOrEqual(1)
    expect(fresh.length).toBeLessThanOrEqual(3)
  })

  it('uses the real parameters: 256 KiB min, 4 MiB max, about 1 MiB average', async () => {
    const data = new Uint8Array(randomBytes(24 * 1024 * 1024))
    const chunks = await collect(chunkContentDefined(pieces(data, 1 << 20), gear))
    const sizes = chunks.map((c) => c.length)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(CDC_PARAMS.max)
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThan(CDC_PARAMS.min)
    const avg = data.length / chunks.length
    expect(avg).toBeGreaterThan(0.6 * 1024 * 1024)
    expect(avg).toBeLessThan(2 * 1024 * 1024)
  })

  it('small inputs are one chunk', async () => {
    const data = new Uint8Array(randomBytes(10_000))
    expect((await collect(chunkContentDefined([data], gear))).length).toBe(1)
    expect((await collect(chunkFixed([data]))).length).toBe(1)
    expect((await collect(chunkContentDefined([], gear))).length).toBe(0)
  })

  it('the gear table depends on the key, so cut points do too', async () => {
    const data = new Uint8Array(randomBytes(12 * 1024 * 1024))
    const other = gearTable(deriveDataKeys(new Uint8Array(32).fill(8)).gearSeed)
    const a = (await collect(chunkContentDefined([data], gear))).map((c) => c.length)
    const b = (await collect(chunkContentDefined([data], other))).map((c) => c.length)
    expect(a).not.toEqual(b)
  })
})

describe('fixed chunking (SQLite)', () => {
  it('cuts at every 64 KiB, whatever the input pieces', async () => {
    const data = new Uint8Array(randomBytes(300_000))
    const chunks = await collect(chunkFixed(pieces(data, 7777)))
    expect(chunks.map((c) => c.length)).toEqual([65536, 65536, 65536, 65536, 300_000 - 4 * 65536])
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true)
  })
})
