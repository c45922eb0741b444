/**
 * One scope per test run (vitest globalSetup, both tiers): a temp root on tmpfs that every test and every
 * process it starts inherits as TMPDIR, a real-disk root for the tests that check fsync and crashes, and a
 * run id in the environment. At the end, whatever a test left behind (a process carrying the run id, a
 * network namespace with the run's prefix, a temp dir) is removed, and the run fails, naming it. A run
 * that was killed (Ctrl-C, a cancelled CI job) never reaches its end: the next run's start stops the
 * processes and removes the temp roots of every run whose vitest is gone, and says so.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processAlive } from '../../src/disk/lock.js'

/** Room a run's files may take on tmpfs (the largest test writes a few MiB; the fault suite tens). */
const FAST_ROOM = 1 << 30

/**
 * tmpfs where the machine has one with room (files there cost no disk I/O; nothing in them survives a
 * reboot), else the system's temp dir.
 */
function _fastRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK)
    const fs = statfsSync('/dev/shm')
    if (fs.bavail * fs.bsize >= FAST_ROOM) return '/dev/shm'
  } catch {
    // no /dev/shm here
  }
  return tmpdir()
}

/** A real disk: the checkout's own (its .cache is ignored by git), since the system temp may be tmpfs. */
function _diskRoot(): string {
  const root = join(import.meta.dirname, '..', '..', '.cache', 'test-disk')
  mkdirSync(root, { recursive: true })
  return root
}

/** Processes (not this one, not its workers) whose environment carries `marker`. */
function _marked(marker: string): { pid: number; args: string }[] {
  const found: { pid: number; args: string }[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) === process.pid) continue // a vitest worker
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) continue
      found.push({ pid, args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() })
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

function _namespaces(prefix: string): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((ns) => ns.startsWith(prefix))
  } catch {
    return []
  }
}

/** What earlier runs that were killed left: their processes stopped, their temp roots removed. */
function _sweepKilledRuns(): void {
  const swept: string[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const owner = /(?:^|\0)KITH_TEST_RUN_PID=(\d+)(?:\0|$)/.exec(
        readFileSync(`/proc/${pid}/environ`, 'utf8'),
      )
      if (owner === null || processAlive(Number(owner[1]))) continue
      process.kill(pid, 'SIGKILL')
      swept.push(`process ${pid}`)
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  for (const root of [_fastRoot(), _diskRoot()])
    for (const name of readdirSync(root)) {
      const owner = /^kith-run-[0-9a-f]{6}-p(\d+)-/.exec(name)
      if (owner === null || processAlive(Number(owner[1]))) continue
      rmSync(join(root, name), { recursive: true, force: true })
      swept.push(join(root, name))
    }
  if (swept.length > 0)
    console.warn(
      `removed what killed earlier test runs left: ${swept.slice(0, 8).join(', ')}${swept.length > 8 ? ', …' : ''}`,
    )
}

export function setup(): () => void {
  _sweepKilledRuns()
  const id = randomBytes(3).toString('hex')
  const fast = mkdtempSync(join(_fastRoot(), `kith-run-${id}-p${process.pid}-`))
  const disk = mkdtempSync(join(_diskRoot(), `kith-run-${id}-p${process.pid}-`))
  process.env['TMPDIR'] = fast
  process.env['KITH_TEST_DISK_DIR'] = disk
  process.env['KITH_TEST_RUN'] = id
  process.env['KITH_TEST_RUN_PID'] = String(process.pid)
  process.env['KITH_TEST_NETNS_PREFIX'] = `kt${id}`
  // npm started by a test runs on this Node (24), where it keeps a compile cache in TMPDIR that outlives it
  process.env['NODE_DISABLE_COMPILE_CACHE'] = '1'
  return () => {
    const left: string[] = []
    for (const p of _marked(`KITH_TEST_RUN=${id}`)) {
      left.push(`process ${p.pid}: ${p.args}`)
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        // exited meanwhile
      }
    }
    for (const ns of _namespaces(`kt${id}`)) {
      left.push(`network namespace ${ns}`)
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
    }
    for (const root of [fast, disk]) {
      const inside = readdirSync(root)
      if (inside.length > 0)
        left.push(`${inside.length} temp entries in ${root}: ${inside.slice(0, 5).join(', ')}`)
      rmSync(root, { recursive: true, force: true })
    }
    if (left.length === 0) return
    // vitest reports an error thrown here but still exits 0: the run fails by its exit status instead
    console.error(`\nFAIL: the tests left behind (now removed):\n  ${left.join('\n  ')}\n`)
    process.exitCode = 1
  }
}
