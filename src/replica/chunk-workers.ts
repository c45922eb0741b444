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
 * The workers' code in a release executable, where no file lies beside this module: each worker bundled
 * on its own by scripts/release.mjs and written into the release's bundle as a string (an esbuild
 * `define`), by name. Declared nowhere else, so outside a release `typeof` finds nothing.
 */
declare const KITH_EMBEDDED_WORKERS: Readonly<Record<string, string>> | undefined

/** Where a worker's code is: a file to load, or (in a release) the code itself. */
type WorkerSource = { readonly file: string } | { readonly code: string }

/** Worker `name` of this folder: embedded in a release, else compiled (_compiledWorker). */
function _workerSource(name: string): WorkerSource | undefined {
  if (typeof KITH_EMBEDDED_WORKERS === 'object') {
    const code = KITH_EMBEDDED_WORKERS[name]
    // a release without it is a broken build: said at once, not sealed slower on one thread
    if (code === undefined) throw new Error(`this release carries no ${name}`)
    return { code }
  }
  const file = _compiledWorker(name)
  return file === undefined ? undefined : { file }
}

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
    const source = wanted > 0 ? _workerSource(name) : undefined
    if (source === undefined) return
    const workerData = { chunkKey: keys.chunkKey, chunkNonceKey: keys.chunkNonceKey }
    for (let i = 0; i < wanted; i++) {
      const w =
        'code' in source
          ? new Worker(source.code, { eval: true, workerData })
          : new Worker(source.file, { workerData })
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
