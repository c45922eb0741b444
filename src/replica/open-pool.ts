/**
 * Opens stored chunks (id check, decryption, keyed-hash check) on worker threads when there are cores to
 * spare, so that a restore's calling thread only moves bytes: the network in, the files out. A failure
 * comes back as the same named error openChunk throws.
 */
import { toHex } from '../crypto/bytes.js'
import { type ChunkKeys, openChunk } from './chunk.js'
import { ChunkWorkers, ownsBuffer } from './chunk-workers.js'
import { ChunkIntegrityError } from './errors.js'
import type { SealerOptions } from './seal-pool.js'

type Reply = {
  readonly seq: number
  readonly plaintext?: Uint8Array
  readonly integrity?: ChunkIntegrityError['reason']
  readonly error?: string
}

/**
 * Whether `stored` may move to a worker with its whole buffer: the buffer is its own, or holds only it
 * and the few bytes of the message that carried it. A message of 128 KiB or more never fits one
 * network frame, so its buffer was made for it alone (joined from its frames); a smaller one may share
 * a frame's buffer with other messages, and is copied.
 */
function _movable(stored: Uint8Array): boolean {
  if (ownsBuffer(stored)) return true
  return stored.byteLength >= 128 * 1024 && stored.buffer.byteLength - stored.byteLength <= 64
}

export class ChunkOpener {
  private readonly pool: ChunkWorkers<Reply>

  constructor(
    private readonly keys: ChunkKeys,
    options: SealerOptions = {},
  ) {
    this.pool = new ChunkWorkers('open-worker', keys, options.workers)
  }

  /** How many worker threads open chunks; 0 means on the calling thread. */
  get workerCount(): number {
    return this.pool.count
  }

  /**
   * Check and decrypt one stored chunk (openChunk, on a worker). `stored` moves to the worker, with
   * its buffer, when that buffer is its own (see _movable): the caller must not use it afterwards.
   */
  async open(id: Uint8Array, stored: Uint8Array, idVerified = false): Promise<Uint8Array> {
    if (this.pool.count === 0) return openChunk(this.keys, id, stored, idVerified)
    const own = _movable(stored) ? stored : new Uint8Array(stored)
    const m = await this.pool.run({ id, stored: own, idVerified }, [own.buffer as ArrayBuffer])
    if (m.plaintext !== undefined) return m.plaintext
    if (m.integrity !== undefined) throw new ChunkIntegrityError(toHex(id), m.integrity)
    throw new Error(m.error ?? 'open failed')
  }

  /** Stop the workers; idempotent. */
  close(): Promise<void> {
    return this.pool.close()
  }
}
