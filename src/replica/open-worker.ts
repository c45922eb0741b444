/**
 * Worker-thread body of the open pool: checks and decrypts each stored chunk it is sent and transfers
 * the plaintext back, or names why it failed. It holds the chunk keys for its lifetime and never posts
 * them back.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { type ChunkKeys, openChunk } from './chunk.js'
import { ChunkIntegrityError } from './errors.js'

const keys = workerData as ChunkKeys

parentPort?.on('message', (job: { seq: number; id: Uint8Array; stored: Uint8Array; idVerified: boolean }) => {
  try {
    const plaintext = openChunk(keys, job.id, job.stored, job.idVerified)
    parentPort!.postMessage({ seq: job.seq, plaintext }, [plaintext.buffer as ArrayBuffer])
  } catch (err) {
    parentPort!.postMessage({
      seq: job.seq,
      ...(err instanceof ChunkIntegrityError
        ? { integrity: err.reason }
        : { error: err instanceof Error ? err.message : 'open failed' }),
    })
  }
})
