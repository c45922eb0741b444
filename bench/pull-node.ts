/**
 * The receiving side of bench/recover.ts's floor, in a process of its own as `kith recover` is: a bare
 * libp2p node (kith's stack) pulls `bytes` in all, a share from each echo node given (bench/echo-node.ts
 * streams them), and prints one JSON line: the seconds from its first dial to the last byte, and the CPU
 * seconds it used in that time. Then it pulls the same again on the same connections and prints that too
 * (`warm`): what a process that has run this code before, and grown its heap for it, takes.
 *   node pull-node.js BYTES ADDR...
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createKithNode } from '../src/p2p/node.js'

const BLOB_PROTOCOL = '/kith-bench/blob/1.0.0'
const MiB = 1024 * 1024

const [bytesText, ...addrs] = process.argv.slice(2)
const bytes = Number(bytesText)
if (!Number.isSafeInteger(bytes) || bytes <= 0 || addrs.length === 0) {
  console.error('usage: pull-node.js BYTES ADDR...')
  process.exit(2)
}
const node = await createKithNode({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
/** Pull `bytes` in all, a share from each address: seconds and CPU seconds. */
async function pull(): Promise<{ seconds: number; cpu: number }> {
  const cpu = process.cpuUsage()
  const t = performance.now()
  await Promise.all(
    addrs.map(async (a) => {
      const stream = await node.dialProtocol(multiaddr(a), BLOB_PROTOCOL)
      // the sender streams without waiting for reads: room for all that yamux lets be in flight (16 MiB),
      // so a pause of this process (a GC, the busy machine) does not overflow it
      const lp = lpStream(stream, { maxDataLength: 1 << 21, maxBufferSize: 32 * MiB })
      const ask = new Uint8Array(8)
      const want = Math.ceil(bytes / addrs.length)
      new DataView(ask.buffer).setBigUint64(0, BigInt(want))
      await lp.write(ask)
      for (let got = 0; got < want; ) got += (await lp.read()).byteLength
      await stream.close()
    }),
  )
  const used = process.cpuUsage(cpu)
  return { seconds: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 }
}
const cold = await pull()
console.log(JSON.stringify({ ...cold, warm: await pull() }))
await node.stop()
