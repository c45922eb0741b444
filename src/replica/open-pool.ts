/**
 * Opens stored chunks (id check, decryption, keyed-hash check) on worker threads when there are cores to
 * spare, so that a restore's calling thread only moves bytes: the network in, the files out. A failure
 * comes back as the same named error openChunk throws.
 */
import { Worker } from 'node:worker_threads'
import { toHex } from '../crypto/bytes.js'
import { type ChunkKeys, openChunk } from './chunk.js'
import { ChunkIntegrityError } from './errors.js'
import { compiledWorker, defaultWorkers, type SealerOptions } from './seal-pool.js'

interface Pending {
  readonly id: Uint8Array
  resolve(plaintext: Uint8Array): void
  reject(err: Error): void
}

type Reply = {
  seq: number
  plaintext?: Uint8Array
  integrity?: ChunkIntegrityError['reason']
  error?: string
}

/**
 * Whether `stored` may move to a worker with its whole buffer: the buffer is its own, or holds only it
 * and the few bytes of the message that carried it. A message of 128 KiB or more never fits one
 * network frame, so its buffer was made for it alone (joined from its frames); a smaller one may share
 * a frame's buffer with other messages, and is copied.
 */
function _movable(stored: Uint8Array): boolean {
  if (stored.byteOffset === 0 && stored.byteLength === stored.buffer.byteLength) return true
  return stored.byteLength >= 128 * 1024 && stored.buffer.byteLength - stored.byteLength <= 64
}

export class ChunkOpener {
  private readonly workers: Worker[] = []
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  /** Set once a worker fails: every later open fails at once instead of waiting forever. */
  private failure: Error | undefined

  constructor(
    private readonly keys: ChunkKeys,
    options: SealerOptions = {},
  ) {
    const wanted = options.workers ?? defaultWorkers()
    const path = wanted > 0 ? compiledWorker('open-worker') : undefined
    if (path === undefined) return
    for (let i = 0; i < wanted; i++) {
      const w = new Worker(path, {
        workerData: { chunkKey: keys.chunkKey, chunkNonceKey: keys.chunkNonceKey },
      })
      w.on('message', (m: Reply) => this._settle(m))
      w.on('error', (err) => this._failAll(err))
      w.on('exit', (code) => {
        if (code !== 0) this._failAll(new Error(`open worker exited with code ${code}`))
      })
      this.workers.push(w)
    }
  }

  /** How many worker threads open chunks; 0 means on the calling thread. */
  get workerCount(): number {
    return this.workers.length
  }

  /**
   * Check and decrypt one stored chunk (openChunk, on a worker). `stored` moves to the worker, with
   * its buffer, when that buffer is its own (see _movable): the caller must not use it afterwards.
   */
  open(id: Uint8Array, stored: Uint8Array, idVerified = false): Promise<Uint8Array> {
    if (this.workers.length === 0) {
      try {
        return Promise.resolve(openChunk(this.keys, id, stored, idVerified))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const seq = this.seq++
    const worker = this.workers[seq % this.workers.length]!
    const done = new Promise<Uint8Array>((resolve, reject) => this.pending.set(seq, { id, resolve, reject }))
    const job = { seq, id, stored: _movable(stored) ? stored : new Uint8Array(stored), idVerified }
    worker.postMessage(job, [job.stored.buffer as ArrayBuffer])
    return done
  }

  private _settle(m: Reply): void {
    const p = this.pending.get(m.seq)
    if (p === undefined) return
    this.pending.delete(m.seq)
    if (m.plaintext !== undefined) p.resolve(m.plaintext)
    else if (m.integrity !== undefined) p.reject(new ChunkIntegrityError(toHex(p.id), m.integrity))
    else p.reject(new Error(m.error ?? 'open failed'))
  }

  private _failAll(err: Error): void {
    this.failure ??= err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  /** Stop the workers; idempotent. */
  async close(): Promise<void> {
    const ws = this.workers.splice(0)
    this._failAll(new Error('opener closed'))
    await Promise.all(ws.map((w) => w.terminate()))
  }
}
