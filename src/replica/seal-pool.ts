/**
 * Seals a stream of chunks in order, on worker threads when there are cores to spare. MAC, cipher and
 * id hash are three full passes per chunk, so this is where a build spends its CPU. In-flight chunks
 * are bounded (2 per worker), so memory stays bounded however large the input.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type ChunkKeys, type SealedChunk, sealChunk } from './chunk.js'

/**
 * A compiled worker of this folder (`seal-worker`, `open-worker`): beside this module in dist/, or in
 * dist/ when running from TypeScript sources.
 */
export function compiledWorker(name: string): string | undefined {
  const here = fileURLToPath(import.meta.url)
  const path = here.endsWith('.ts')
    ? here.replace(/([/\\])src([/\\]replica[/\\])seal-pool\.ts$/, `$1dist$1src$2${name}.js`)
    : here.replace(/seal-pool\.js$/, `${name}.js`)
  return existsSync(path) ? path : undefined
}

/** Worker threads by default: one per core beside the calling thread's, at least 1 and at most 3. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(3, availableParallelism() - 1))
}

interface Pending {
  resolve(sealed: SealedChunk): void
  reject(err: Error): void
}

export interface SealerOptions {
  /**
   * Worker threads; 0 seals on the calling thread. Default: one per core beside the calling thread's
   * (which chunks, hashes and writes), at least 1 and at most 3. Each worker is a V8 isolate of its own
   * (~30 MB); on 2 cores a second worker made backups no faster and added that much to peak RSS.
   */
  readonly workers?: number
}

export class ChunkSealer {
  private readonly workers: Worker[] = []
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  /** Set once a worker fails: every later seal fails at once instead of waiting forever. */
  private failure: Error | undefined

  constructor(
    private readonly keys: ChunkKeys,
    options: SealerOptions = {},
  ) {
    const wanted = options.workers ?? defaultWorkers()
    const path = wanted > 0 ? compiledWorker('seal-worker') : undefined
    if (path === undefined) return
    for (let i = 0; i < wanted; i++) {
      const w = new Worker(path, {
        workerData: { chunkKey: keys.chunkKey, chunkNonceKey: keys.chunkNonceKey },
      })
      w.on('message', (m: { seq: number; sealed?: SealedChunk; error?: string }) => this._settle(m))
      w.on('error', (err) => this._failAll(err))
      w.on('exit', (code) => {
        if (code !== 0) this._failAll(new Error(`seal worker exited with code ${code}`))
      })
      this.workers.push(w)
    }
  }

  /** How many worker threads seal; 0 means inline. */
  get workerCount(): number {
    return this.workers.length
  }

  private _settle(m: { seq: number; sealed?: SealedChunk; error?: string }): void {
    const p = this.pending.get(m.seq)
    if (p === undefined) return
    this.pending.delete(m.seq)
    if (m.sealed !== undefined) p.resolve(m.sealed)
    else p.reject(new Error(m.error ?? 'seal failed'))
  }

  private _failAll(err: Error): void {
    this.failure ??= err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  private _submit(plaintext: Uint8Array): Promise<SealedChunk> {
    if (this.workers.length === 0) return Promise.resolve(sealChunk(this.keys, plaintext))
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const seq = this.seq++
    const worker = this.workers[seq % this.workers.length]!
    const done = new Promise<SealedChunk>((resolve, reject) => this.pending.set(seq, { resolve, reject }))
    // the chunker hands over owned buffers, so they move to the worker without a copy
    const transferable = plaintext.byteOffset === 0 && plaintext.byteLength === plaintext.buffer.byteLength
    const job = { seq, plaintext: transferable ? plaintext : new Uint8Array(plaintext) }
    worker.postMessage(job, [job.plaintext.buffer as ArrayBuffer])
    return done
  }

  /** Seal `chunks` in order, yielding each sealed chunk. */
  async *seal(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<SealedChunk> {
    const window: Promise<SealedChunk>[] = []
    const limit = Math.max(1, this.workers.length * 2)
    for await (const chunk of chunks) {
      const p = this._submit(chunk)
      p.catch(() => {}) // observed below, in order; this only silences the early-rejection warning
      window.push(p)
      if (window.length >= limit) yield await window.shift()!
    }
    while (window.length > 0) yield await window.shift()!
  }

  /** Stop the workers; idempotent. */
  async close(): Promise<void> {
    const ws = this.workers.splice(0)
    this._failAll(new Error('sealer closed'))
    await Promise.all(ws.map((w) => w.terminate()))
  }
}
