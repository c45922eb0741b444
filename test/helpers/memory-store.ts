import { toHex } from '../../src/crypto/bytes.js'
import { verifyChunkId } from '../../src/replica/chunk.js'
import type { ChunkSink, ChunkSource } from '../../src/replica/chunk-store.js'

/** In-memory chunk store for unit tests of pure logic only. */
export class MemoryChunkStore implements ChunkSource, ChunkSink {
  readonly chunks = new Map<string, Uint8Array>()
  puts = 0
  async put(id: Uint8Array, stored: Uint8Array): Promise<void> {
    verifyChunkId(id, stored)
    this.puts++
    this.chunks.set(toHex(id), stored)
  }
  async get(id: Uint8Array): Promise<Uint8Array | undefined> {
    return this.chunks.get(toHex(id))
  }
}
