/**
 * A bare libp2p node (kith's stack) that echoes 1-message requests: the network floor for
 * bench/guardian.ts (which names the same protocol id); it also streams bulk for bench/recover.ts and
 * takes bulk for bench/guardian.ts's memory floor. Prints its address, then serves until killed.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { createKithNode } from '../src/p2p/node.js'
import { MAX_CHUNK_STORED } from '../src/replica/chunk.js'

const ECHO_PROTOCOL = '/kith-bench/echo/1.0.0'

/** KITH_BENCH_LISTEN: the address to listen on and announce (a lab's host), else loopback. */
const listen = process.env['KITH_BENCH_LISTEN']
const node = await createKithNode({
  privateKey: await generateKeyPair('Ed25519'),
  ...(listen !== undefined ? { listen: [listen], announce: [listen] } : {}),
})
await node.handle(ECHO_PROTOCOL, async (stream) => {
  const lp = lpStream(stream, { maxDataLength: 1 << 20 })
  try {
    for (;;) await lp.write((await lp.read()).subarray())
  } catch {
    stream.abort(new Error('done'))
  }
})

/** Bulk floor for bench/recover.ts: the client sends a byte count; the node streams that many bytes in
 * 1 MiB messages. */
const BLOB_PROTOCOL = '/kith-bench/blob/1.0.0'
const BLOB = new Uint8Array(1 << 20).fill(7)
await node.handle(BLOB_PROTOCOL, async (stream) => {
  const lp = lpStream(stream, { maxDataLength: 1 << 21 })
  try {
    const ask = (await lp.read()).subarray()
    let left = Number(new DataView(ask.buffer, ask.byteOffset, 8).getBigUint64(0))
    while (left > 0) {
      const n = Math.min(left, BLOB.length)
      await lp.write(BLOB.subarray(0, n))
      left -= n
    }
    await stream.close()
  } catch {
    stream.abort(new Error('done'))
  }
})
/**
 * Memory floor for bench/guardian.ts: the node takes length-prefixed messages of up to a chunk's size and
 * acknowledges each, as a guardian takes pushed chunks, and keeps nothing. Its peak RSS is what the
 * transport alone costs to receive the same bytes.
 */
const SINK_PROTOCOL = '/kith-bench/sink/1.0.0'
const ACK = new Uint8Array(1)
await node.handle(SINK_PROTOCOL, async (stream) => {
  const lp = lpStream(stream, { maxDataLength: MAX_CHUNK_STORED + 64, maxBufferSize: 3 * MAX_CHUNK_STORED })
  try {
    for (;;) {
      ;(await lp.read()).subarray()
      await lp.write(ACK)
    }
  } catch {
    stream.abort(new Error('done'))
  }
})
console.log(node.getMultiaddrs()[0]!.toString())
