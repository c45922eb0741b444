/**
 * `npm run bench:crypto`: prints one JSON object. Throughput of the chunk+encrypt pipeline over
 * 256 MiB against raw node:crypto chacha20-poly1305 measured in the same run (the floor), as a
 * ratio; and Shamir split/combine timings. Each figure is the best of `REPEATS` runs, so both sides
 * of a ratio get the same treatment on a noisy machine.
 */
import { createCipheriv, randomBytes } from 'node:crypto'
import { availableParallelism, cpus } from 'node:os'
import { combine, split } from 'shamir-secret-sharing'
import { deriveDataKeys } from '../src/crypto/kdf.js'
import { generateSecretKey } from '../src/crypto/schnorr.js'
import { chunkContentDefined, gearTable } from '../src/replica/chunker.js'
import { ChunkSealer } from '../src/replica/seal-pool.js'
import { combineShares } from '../src/shares/combine.js'
import { splitDataKey } from '../src/shares/split.js'

const TOTAL = 256 * 1024 * 1024
const PIECE = 1024 * 1024
const REPEATS = 3
const MB = 1e6

const data = new Uint8Array(randomBytes(TOTAL))
function* pieces(): Generator<Uint8Array> {
  for (let o = 0; o < TOTAL; o += PIECE) yield data.subarray(o, o + PIECE)
}

async function best(fn: () => Promise<void> | void): Promise<number> {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now()
    await fn()
    min = Math.min(min, performance.now() - t)
  }
  return min
}

async function rawChacha(): Promise<number> {
  const key = randomBytes(32)
  const ms = await best(() => {
    const c = createCipheriv('chacha20-poly1305', key, randomBytes(12), { authTagLength: 16 })
    for (const p of pieces()) c.update(p)
    c.final()
    c.getAuthTag()
  })
  return TOTAL / MB / (ms / 1000)
}

async function pipeline(workers: number): Promise<{ mbps: number; chunks: number; workers: number }> {
  const keys = deriveDataKeys(new Uint8Array(randomBytes(32)))
  const gear = gearTable(keys.gearSeed)
  const sealer = new ChunkSealer(keys, { workers })
  let chunks = 0
  try {
    const ms = await best(async () => {
      chunks = 0
      for await (const _ of sealer.seal(chunkContentDefined(pieces(), gear))) chunks++
    })
    return { mbps: TOTAL / MB / (ms / 1000), chunks, workers: sealer.workerCount }
  } finally {
    await sealer.close()
  }
}

async function shamir(k: number, n: number) {
  const key = new Uint8Array(randomBytes(32))
  let raw: Uint8Array[] = []
  const splitMs = await best(async () => {
    raw = await split(key, n, k)
  })
  const combineMs = await best(async () => {
    await combine(raw.slice(0, k))
  })
  const vaultSecretKey = generateSecretKey()
  let envelopes: Awaited<ReturnType<typeof splitDataKey>> = []
  const splitSignedMs = await best(async () => {
    envelopes = await splitDataKey(key, { k, n, epoch: 1, vaultSecretKey })
  })
  const combineVerifiedMs = await best(async () => {
    await combineShares(envelopes.slice(0, k))
  })
  const r = (x: number) => Math.round(x * 1000) / 1000
  return {
    k,
    n,
    split_ms: r(splitMs),
    combine_ms: r(combineMs),
    split_signed_ms: r(splitSignedMs),
    combine_verified_ms: r(combineVerifiedMs),
  }
}

const raw = await rawChacha()
const parallel = await pipeline(Math.min(4, availableParallelism()))
const inline = await pipeline(0)
const ratio = parallel.mbps / raw
const round = (x: number) => Math.round(x * 10) / 10
console.log(
  JSON.stringify(
    {
      bench: 'crypto',
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      bytes: TOTAL,
      repeats: REPEATS,
      raw_chacha20_poly1305_mb_s: round(raw),
      pipeline_mb_s: round(parallel.mbps),
      pipeline_workers: parallel.workers,
      pipeline_chunks: parallel.chunks,
      pipeline_inline_mb_s: round(inline.mbps),
      ratio: Math.round(ratio * 1000) / 1000,
      inline_ratio: Math.round((inline.mbps / raw) * 1000) / 1000,
      target_ratio: 0.6,
      meets_target: ratio >= 0.6,
      shamir: [await shamir(3, 5), await shamir(10, 20), await shamir(128, 255)],
    },
    null,
    2,
  ),
)
