/**
 * Worker-thread body of the seal pool: seals each chunk it is sent and transfers the result back.
 * It holds the chunk keys for its lifetime and must never post them or any plaintext back.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { releaseBytes } from '../crypto/bytes.js'
import { type ChunkKeys, sealChunk } from './chunk.js'

const keys = workerData as ChunkKeys

parentPort?.on('message', (job: { seq: number; plaintext: Uint8Array }) => {
  try {
    const sealed = sealChunk(keys, job.plaintext)
    job.plaintext.fill(0)
    // freed now, not at this thread's next full collection (plaintexts piled up to 64 MiB here)
    releaseBytes(job.plaintext)
    parentPort!.postMessage({ seq: job.seq, sealed }, [sealed.stored.buffer as ArrayBuffer])
  } catch (err) {
    parentPort!.postMessage({ seq: job.seq, error: err instanceof Error ? err.message : 'seal failed' })
  }
})
