/**
 * `npm run bench:recover`: prints one JSON object. A real vault (3 guardian daemons, 2-of-3) holds a
 * 256 MiB file; `kith recover` runs as a process and two approvals are given. Measured: from the last
 * approval to the files being written and verified (shares, key, heads, manifest, every chunk fetched,
 * checked, decrypted and written). Floor, in the same run: the same number of bytes pulled over plain
 * libp2p (kith's stack, no kith protocol) from 3 processes in parallel, by a process started for it, as
 * `kith recover` is (bench/pull-node.ts). The same process then pulls them again: the warm floor, which
 * the JSON gives beside it. Three rounds of floor then restore (each restore a new recovery, into its
 * own directory, after the disk has written back what came before); the figures are the medians, in
 * seconds and in the receiving process's CPU seconds. Target: ratio <= 2.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CLI, cpuSeconds, inviteFrom, kith, onCpu, startGuardian, stopAll, waitForLine } from './procs.js'

const MiB = 1024 * 1024
const BYTES = 256 * MiB
const ECHO = join(import.meta.dirname, 'echo-node.js')
const PULL = join(import.meta.dirname, 'pull-node.js')
const run = promisify(execFile)
const r2 = (x: number) => Math.round(x * 100) / 100
/** Restores (and floors) measured; the figures are their medians. */
const ROUNDS = 3
/** KITH_BENCH_PROF=DIR writes a CPU profile of the recovering process there. */
const PROF = process.env['KITH_BENCH_PROF']
/**
 * KITH_BENCH_PIN=1 (2 cores or more, taskset): the senders (guardians; the floor's echo nodes) run on
 * CPU 0, the receiver (`kith recover`; the floor's pull-node) on CPU 1, as two machines would.
 * Unpinned, the two sides share the cores, and each takes what the other waits on.
 */
const PIN = process.env['KITH_BENCH_PIN'] === '1' && availableParallelism() >= 2

type Pulled = { seconds: number; cpu: number }

/**
 * Pull BYTES over plain libp2p from 3 processes at once (a third each), into a process of its own
 * started for it (bench/pull-node.ts), as `kith recover` is: the seconds it took, and the CPU seconds
 * the receiving process used.
 */
async function floorTransfer(): Promise<Pulled & { warm: Pulled }> {
  const procs = [0, 1, 2].map(() => {
    const [cmd, args] = onCpu(PIN, 0, process.execPath, [ECHO])
    return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  })
  try {
    const addrs = await Promise.all(procs.map((p) => waitForLine(p, /(\/ip4\/\S+)/)))
    const [cmd, args] = onCpu(PIN, 1, process.execPath, [PULL, String(BYTES), ...addrs])
    const { stdout } = await run(cmd, args)
    return JSON.parse(stdout) as Pulled & { warm: Pulled }
  } finally {
    await stopAll(procs)
  }
}

const work = await mkdtemp(join(tmpdir(), 'kith-bench-recover-'))
const guardians: ChildProcess[] = []
try {
  for (let i = 0; i < 3; i++) guardians.push(await startGuardian(join(work, `g${i}`), PIN ? 0 : undefined))
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
    const [cmd, args] = onCpu(PIN, 1, process.execPath, [
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
    ])
    const recover = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const events: Record<string, unknown>[] = []
    let buffered = ''
    let cpuAtDone = 0
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
        if (e.event === 'restore-done') {
          cpuAtDone = cpuSeconds(recover.pid!)
          done(performance.now())
        }
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
    const cpuAtStart = cpuSeconds(recover.pid!)
    const t1 = await restored
    await new Promise((r) => (recover.exitCode === null ? recover.once('exit', r) : r(undefined)))
    // the third friend was asked too and never answered: the finished recovery closed its request there,
    // so the next round's request meets no earlier one waiting (it says whom it could not tell)
    const closed = events.find((e) => e['event'] === 'request-closed')
    if (closed === undefined || (closed['notTold'] as string[]).length > 0)
      throw new Error(`the recovery did not close its request everywhere: ${JSON.stringify(closed)}`)
    const restoreSeconds = (t1 - t0) / 1000
    const at = (kind: string) => events.find((e) => e['event'] === kind)?.['seen'] as number
    const phases = {
      to_key_rebuilt: r2((at('key-rebuilt') - t0) / 1000),
      to_heads_collected: r2((at('heads-collected') - t0) / 1000),
      to_restore_done: r2((t1 - t0) / 1000),
    }
    return { seconds: restoreSeconds, cpu: cpuAtDone - cpuAtStart, phases }
  }
  // rounds of floor then restore, one after the other: a shared machine's slow minute weighs on both
  const rounds: {
    floor: number
    restore: number
    floor_warm: number
    floor_cpu: number
    restore_cpu: number
    phases: Record<string, number>
  }[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const floor = await floorTransfer()
    // what the disk still has to write back (the backup, the last restore) is not the restore's cost
    execFileSync('sync')
    const r = await restoreOnce(join(work, `out${i}`))
    rounds.push({
      floor: r2(floor.seconds),
      restore: r2(r.seconds),
      floor_warm: r2(floor.warm.seconds),
      floor_cpu: r2(floor.cpu),
      restore_cpu: r2(r.cpu),
      phases: r.phases,
    })
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  const restoreSeconds = med(rounds.map((r) => r.restore))
  const floor = med(rounds.map((r) => r.floor))
  const floorWarm = med(rounds.map((r) => r.floor_warm))
  const restoreCpu = med(rounds.map((r) => r.restore_cpu))
  const floorCpu = med(rounds.map((r) => r.floor_cpu))
  console.log(
    JSON.stringify(
      {
        bench: 'recover',
        node: process.version,
        cores: availableParallelism(),
        pinned: PIN,
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
        libp2p_floor_warm_seconds: r2(floorWarm),
        ratio_to_warm_floor: r2(restoreSeconds / floorWarm),
        restore_cpu_seconds: r2(restoreCpu),
        floor_receiver_cpu_seconds: r2(floorCpu),
        cpu_ratio: r2(restoreCpu / floorCpu),
      },
      null,
      2,
    ),
  )
} finally {
  await stopAll(guardians)
  await rm(work, { recursive: true, force: true })
}
