/**
 * The worker threads behind the seal and open pools: each worker holds the chunk keys, takes jobs in
 * turn, and answers each by its sequence number. A worker that fails fails every job in flight and every
 * later one at once, instead of leaving them waiting forever.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ChunkKeys } from './chunk.js'

/**
 * A compiled worker of this folder (`seal-worker`, `open-worker`): beside this module in dist/, or in
 * dist/ when running from TypeScript sources.
 */
function _compiledWorker(name: string): string | undefined {
  const here = fileURLToPath(import.meta.url)
  const path = here.endsWith('.ts')
    ? here.replace(/([/\\])src([/\\]replica[/\\])chunk-workers\.ts$/, `$1dist$1src$2${name}.js`)
    : here.replace(/chunk-workers\.js$/, `${name}.js`)
  return existsSync(path) ? path : undefined
}

/** True when `bytes` is its whole buffer: it can move to a worker without a copy, taking nothing else. */
export function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
}

/** Worker threads by default: one per core beside the calling thread's, at least 1 and at most 3. */
function _defaultWorkers(): number {
  return Math.max(1, Math.min(3, availableParallelism() - 1))
}

interface Pending<R> {
  resolve(reply: R): void
  reject(err: Error): void
}

/** Worker threads running `name` (a module of this folder); none when `wanted` is 0 or it is not built. */
export class ChunkWorkers<R extends { readonly seq: number }> {
  private readonly workers: Worker[] = []
  private readonly pending = new Map<number, Pending<R>>()
  private seq = 0
  private failure: Error | undefined

  constructor(
    private readonly name: string,
    keys: ChunkKeys,
    wanted: number = _defaultWorkers(),
  ) {
    const path = wanted > 0 ? _compiledWorker(name) : undefined
    if (path === undefined) return
    for (let i = 0; i < wanted; i++) {
      const w = new Worker(path, {
        workerData: { chunkKey: keys.chunkKey, chunkNonceKey: keys.chunkNonceKey },
      })
      w.on('message', (m: R) => this._settle(m))
      w.on('error', (err) => this._failAll(err))
      w.on('exit', (code) => {
        if (code !== 0) this._failAll(new Error(`${name} exited with code ${code}`))
      })
      this.workers.push(w)
    }
  }

  /** How many worker threads there are; 0 means the caller does the work itself. */
  get count(): number {
    return this.workers.length
  }

  /** Send `job` (its `transfer` buffers move with it) to the next worker; resolves with its reply. */
  run(job: object, transfer: ArrayBuffer[]): Promise<R> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const seq = this.seq++
    const done = new Promise<R>((resolve, reject) => this.pending.set(seq, { resolve, reject }))
    this.workers[seq % this.workers.length]!.postMessage({ ...job, seq }, transfer)
    return done
  }

  private _settle(m: R): void {
    const p = this.pending.get(m.seq)
    if (p === undefined) return
    this.pending.delete(m.seq)
    p.resolve(m)
  }

  private _failAll(err: Error): void {
    this.failure ??= err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  /** Stop the workers; idempotent. */
  async close(): Promise<void> {
    const ws = this.workers.splice(0)
    this._failAll(new Error(`${this.name} closed`))
    await Promise.all(ws.map((w) => w.terminate()))
  }
}
