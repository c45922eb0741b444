/**
 * Seals a stream of chunks in order, on worker threads when there are cores to spare. MAC, cipher and
 * id hash are three full passes per chunk, so this is where a build spends its CPU. In-flight chunks
 * are bounded (2 per worker), so memory stays bounded however large the input.
 */
import { type ChunkKeys, type SealedChunk, sealChunk } from './chunk.js'
import { ChunkWorkers, ownsBuffer } from './chunk-workers.js'

export interface SealerOptions {
  /**
   * Worker threads; 0 seals on the calling thread. Default: one per core beside the calling thread's
   * (which chunks, hashes and writes), at least 1 and at most 3. Each worker is a V8 isolate of its own
   * (~30 MB); on 2 cores a second worker made backups no faster and added that much to peak RSS.
   */
  readonly workers?: number
}

type Reply = { readonly seq: number; readonly sealed?: SealedChunk; readonly error?: string }

export class ChunkSealer {
  private readonly pool: ChunkWorkers<Reply>

  constructor(
    private readonly keys: ChunkKeys,
    options: SealerOptions = {},
  ) {
    this.pool = new ChunkWorkers('seal-worker', keys, options.workers)
  }

  /** How many worker threads seal; 0 means inline. */
  get workerCount(): number {
    return this.pool.count
  }

  private async _submit(plaintext: Uint8Array): Promise<SealedChunk> {
    if (this.pool.count === 0) return sealChunk(this.keys, plaintext)
    // the chunker hands over owned buffers, so they move to the worker without a copy
    const own = ownsBuffer(plaintext) ? plaintext : new Uint8Array(plaintext)
    const m = await this.pool.run({ plaintext: own }, [own.buffer as ArrayBuffer])
    if (m.sealed === undefined) throw new Error(m.error ?? 'seal failed')
    return m.sealed
  }

  /** Seal `chunks` in order, yielding each sealed chunk. */
  async *seal(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<SealedChunk> {
    const window: Promise<SealedChunk>[] = []
    const limit = Math.max(1, this.pool.count * 2)
    for await (const chunk of chunks) {
      const p = this._submit(chunk)
      p.catch(() => {}) // observed below, in order; this only silences the early-rejection warning
      window.push(p)
      if (window.length >= limit) yield await window.shift()!
    }
    while (window.length > 0) yield await window.shift()!
  }

  /** Stop the workers; idempotent. */
  close(): Promise<void> {
    return this.pool.close()
  }
}
