/**
 * `npm run bench:recover`: prints one JSON object. A real vault (3 guardian daemons, 2-of-3) holds a
 * 256 MiB file; `kith recover` runs as a process and two approvals are given. Measured: from the last
 * approval to the files being written and verified (shares, key, heads, manifest, every chunk fetched,
 * checked, decrypted and written). Floor, in the same run: the same number of bytes pulled over plain
 * libp2p (kith's stack, no kith protocol) from 3 processes in parallel. Three rounds of floor then
 * restore (each restore a new recovery, into its own directory, after the disk has written back what
 * came before); the figures are the medians. Target: ratio <= 2.
 */
import '../src/polyfill.js'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createKithNode } from '../src/p2p/node.js'
import { CLI, inviteFrom, kith, startGuardian, stopAll, waitForLine } from './procs.js'

const MiB = 1024 * 1024
const BYTES = 256 * MiB
const ECHO = join(import.meta.dirname, 'echo-node.js')
const BLOB_PROTOCOL = '/kith-bench/blob/1.0.0'
const r2 = (x: number) => Math.round(x * 100) / 100
/** Restores (and floors) measured; the figures are their medians. */
const ROUNDS = 3
/** KITH_BENCH_PROF=DIR writes a CPU profile of the recovering process there. */
const PROF = process.env['KITH_BENCH_PROF']

/** Seconds to pull BYTES over plain libp2p from 3 processes at once (a third each). */
async function floorSeconds(): Promise<number> {
  const procs = [0, 1, 2].map(() => spawn(process.execPath, [ECHO], { stdio: ['ignore', 'pipe', 'inherit'] }))
  const node = await createKithNode({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
  try {
    const addrs = await Promise.all(procs.map((p) => waitForLine(p, /(\/ip4\/\S+)/)))
    const t = performance.now()
    await Promise.all(
      addrs.map(async (a) => {
        const stream = await node.dialProtocol(multiaddr(a), BLOB_PROTOCOL)
        // the sender streams without waiting for reads: room for all that yamux lets be in flight (16 MiB), so
        // a pause of this process (a GC, the busy machine) does not overflow it
        const lp = lpStream(stream, { maxDataLength: 1 << 21, maxBufferSize: 32 * MiB })
        const ask = new Uint8Array(8)
        const want = Math.ceil(BYTES / 3)
        new DataView(ask.buffer).setBigUint64(0, BigInt(want))
        await lp.write(ask)
        for (let got = 0; got < want; ) got += (await lp.read()).byteLength
        await stream.close()
      }),
    )
    return (performance.now() - t) / 1000
  } finally {
    await node.stop()
    await stopAll(procs)
  }
}

const work = await mkdtemp(join(tmpdir(), 'kith-bench-recover-'))
const guardians: ChildProcess[] = []
try {
  for (let i = 0; i < 3; i++) guardians.push(await startGuardian(join(work, `g${i}`)))
  const vault = join(work, 'vault')
  kith('vault', 'init', '--data-dir', vault, '-k', '2', '-w', '2', '--json')
  const dirs = [0, 1, 2].map((i) => join(work, `g${i}`))
  const invites = dirs.map((d) => inviteFrom(d))
  kith('vault', 'add-guardian', '--data-dir', vault, '--json', ...invites)
  const big = join(work, 'channels.bin')
  writeFileSync(big, Buffer.alloc(0))
  for (let o = 0; o < BYTES; o += 16 * MiB) writeFileSync(big, randomBytes(16 * MiB), { flag: 'a' })
  kith('vault', 'add-source', 'file', big, '--data-dir', vault, '--json')
  kith('vault', 'backup', '--data-dir', vault, '--timeout', '10m', '--json')
  kith('vault', 'kit', '--data-dir', vault, '--out', join(work, 'kit'), '--json')
  const peers = dirs.map((d) => JSON.parse(kith('guardian', 'status', '--data-dir', d, '--json')).peerId)

  /** One recovery into `out`: `kith recover` as a process, two approvals, timed from the last one. */
  const restoreOnce = async (out: string) => {
    const recover = spawn(
      process.execPath,
      [
        ...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : []),
        CLI,
        'recover',
        '--json',
        '--poll',
        '50ms',
        '--kit',
        join(work, 'kit.txt'),
        '--out',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const events: Record<string, unknown>[] = []
    let buffered = ''
    let done: (t: number) => void = () => {}
    const restored = new Promise<number>((resolve, reject) => {
      done = resolve
      recover.once('exit', (code) => reject(new Error(`kith recover exited (${code}) before restoring`)))
    })
    recover.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const e = JSON.parse(buffered.slice(0, nl))
        buffered = buffered.slice(nl + 1)
        events.push({ ...e, seen: performance.now() })
        if (e.event === 'restore-done') done(performance.now())
      }
    })
    const sent = async (peer: string) => {
      while (!events.some((e) => e['event'] === 'request-sent' && e['peerId'] === peer)) {
        if (recover.exitCode !== null) throw new Error(`kith recover exited (${recover.exitCode})`)
        await new Promise((r) => setTimeout(r, 20))
      }
      return events.find((e) => e['event'] === 'request-sent' && e['peerId'] === peer)!
    }
    for (const i of [0, 1]) await sent(peers[i])
    const first = await sent(peers[0])
    // each friend types the code the operator reads out; the code finds the request
    kith('guardian', 'approve', '--code', first['code'] as string, '--data-dir', dirs[0]!)
    const second = await sent(peers[1])
    kith('guardian', 'approve', '--code', second['code'] as string, '--data-dir', dirs[1]!)
    // the clock starts when the last approval is durable: when the friend's `approve` returns
    const t0 = performance.now()
    const t1 = await restored
    await new Promise((r) => (recover.exitCode === null ? recover.once('exit', r) : r(undefined)))
    // the third friend was asked too and never answered: it turns the request down, so the next round's
    // request meets no earlier one waiting
    const third = events.find((e) => e['event'] === 'request-sent' && e['peerId'] === peers[2])
    if (third !== undefined) kith('guardian', 'deny', third['request'] as string, '--data-dir', dirs[2]!)
    const restoreSeconds = (t1 - t0) / 1000
    const at = (kind: string) => events.find((e) => e['event'] === kind)?.['seen'] as number
    const phases = {
      to_key_rebuilt: r2((at('key-rebuilt') - t0) / 1000),
      to_heads_collected: r2((at('heads-collected') - t0) / 1000),
      to_restore_done: r2((t1 - t0) / 1000),
    }
    return { seconds: restoreSeconds, phases }
  }
  // rounds of floor then restore, one after the other: a shared machine's slow minute weighs on both
  const rounds: { floor: number; restore: number; phases: Record<string, number> }[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const floor = await floorSeconds()
    // what the disk still has to write back (the backup, the last restore) is not the restore's cost
    execFileSync('sync')
    const r = await restoreOnce(join(work, `out${i}`))
    rounds.push({ floor: r2(floor), restore: r2(r.seconds), phases: r.phases })
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  const restoreSeconds = med(rounds.map((r) => r.restore))
  const floor = med(rounds.map((r) => r.floor))
  console.log(
    JSON.stringify(
      {
        bench: 'recover',
        node: process.version,
        cores: availableParallelism(),
        guardians: 3,
        bytes: BYTES,
        rounds,
        restore_seconds: r2(restoreSeconds),
        restore_mb_s: Math.round(BYTES / 1e6 / restoreSeconds),
        libp2p_floor_seconds: r2(floor),
        libp2p_floor_mb_s: Math.round(BYTES / 1e6 / floor),
        ratio: r2(restoreSeconds / floor),
        target_ratio: 2,
        meets_target: restoreSeconds / floor <= 2,
      },
      null,
      2,
    ),
  )
} finally {
  await stopAll(guardians)
  await rm(work, { recursive: true, force: true })
}
