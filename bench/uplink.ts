/**
 * `npm run bench:uplink`: what a backup costs the node's uplink, with 5 real guardian daemons on
 * loopback (3-of-5, W = 4). One JSON object:
 * - a first backup of 64 MiB of new data, then a second version with 16 MiB of it replaced: for each,
 *   the chunk bytes the coordinator sent (each guardian's counted) against the new bytes of the version
 *   (the floor: what one copy of the new data costs), and the ratio. Target: at most 1.2.
 * Counted by the coordinator as it writes each chunk to a guardian's stream (framing and Noise add well
 * under 1 %).
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { inviteFrom, kith, startGuardian, stopAll } from './procs.js'

const MiB = 1024 * 1024
const N = 5

/** Overwrite `bytes` of `path` at `offset` with random data (in place). */
function scribble(path: string, offset: number, bytes: number): void {
  const fd = openSync(path, 'r+')
  try {
    for (let o = 0; o < bytes; o += MiB)
      writeSync(fd, randomBytes(Math.min(MiB, bytes - o)), 0, undefined, offset + o)
  } finally {
    closeSync(fd)
  }
}

const work = await mkdtemp(join(tmpdir(), 'kith-bench-uplink-'))
const guardians: ChildProcess[] = []
try {
  for (let i = 0; i < N; i++) guardians.push(await startGuardian(join(work, `g${i}`)))
  const vault = join(work, 'vault')
  kith('vault', 'init', '--data-dir', vault, '-k', '3', '-w', '4', '--json')
  const invites = guardians.map((_, i) => inviteFrom(join(work, `g${i}`)))
  kith('vault', 'add-guardian', '--data-dir', vault, '--json', ...invites)
  const file = join(work, 'data.bin')
  const fd = openSync(file, 'w')
  closeSync(fd)
  scribble(file, 0, 64 * MiB)
  kith('vault', 'add-source', 'file', file, '--data-dir', vault, '--json')
  const backup = () => {
    const t = performance.now()
    const r = JSON.parse(kith('vault', 'backup', '--data-dir', vault, '--timeout', '10m', '--json'))
    return {
      seconds: (performance.now() - t) / 1000,
      sent: r.pushed.sentBytes as number,
      fresh: r.bytesStored as number,
      receipts: r.pushed.receipts as number,
    }
  }
  const first = backup()
  scribble(file, 24 * MiB, 16 * MiB)
  const second = backup()
  const r2 = (x: number) => Math.round(x * 100) / 100
  const figure = (b: { sent: number; fresh: number; receipts: number; seconds: number }) => ({
    new_bytes: b.fresh,
    coordinator_sent_bytes: b.sent,
    ratio: r2(b.sent / b.fresh),
    receipts: b.receipts,
    backup_seconds: r2(b.seconds),
  })
  const ratios = [first, second].map((b) => b.sent / b.fresh)
  console.log(
    JSON.stringify(
      {
        bench: 'uplink',
        node: process.version,
        cores: availableParallelism(),
        guardians: N,
        write_quorum: 4,
        initial: figure(first),
        update: figure(second),
        target_ratio: 1.2,
        meets_target: ratios.every((r) => r <= 1.2),
      },
      null,
      2,
    ),
  )
} finally {
  await stopAll(guardians)
  await rm(work, { recursive: true, force: true })
}
