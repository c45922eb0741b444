/**
 * Floors the benches measure in the same run: a plain libp2p round trip on a kept-open stream to another
 * process (bench/echo-node.ts), the peak memory of that process taking bulk it drops, and one durable
 * SQLite append (WAL, synchronous=FULL).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { Database } from '../src/disk/sqlite-driver.js'
import type { createKithNode } from '../src/p2p/node.js'
import type { MemoryLimit } from './memory-limit.js'
import { waitForLine } from './procs.js'

const ECHO = join(import.meta.dirname, 'echo-node.js')
/** Served by bench/echo-node.ts. */
const ECHO_PROTOCOL = '/kith-bench/echo/1.0.0'
const SINK_PROTOCOL = '/kith-bench/sink/1.0.0'

/** A process's peak resident memory so far (VmHWM), in MB; -1 if it cannot be read. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : -1
}

/** A process's resident memory now (VmRSS), in MB; -1 if it cannot be read. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : -1
}

/** The p-th percentile of `xs`, to the microsecond. */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 1000) / 1000
}

/**
 * An echo node in another process and one kept-open stream to it: round trips timed one at a time, so
 * a bench can interleave them with what it measures (a busy moment of the machine then weighs on both).
 * With `limit`, the process runs inside that memory cgroup.
 */
export async function echoNode(
  node: Awaited<ReturnType<typeof createKithNode>>,
  limit?: Pick<MemoryLimit, 'wrap'>,
): Promise<{
  rtt(bytes?: number): Promise<number>
  sink(messages: Iterable<Uint8Array>, windowBytes: number): Promise<void>
  peakRssMb(): number
  close(): void
}> {
  const [cmd, args] = limit ? limit.wrap(process.execPath, [ECHO]) : [process.execPath, [ECHO]]
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const addr = await waitForLine(proc, /(\/ip4\/\S+)/)
    const lp = lpStream(await node.dialProtocol(multiaddr(addr), ECHO_PROTOCOL), { maxDataLength: 1 << 20 })
    const messages = new Map<number, Uint8Array>()
    return {
      async rtt(bytes = 1024) {
        const msg = messages.get(bytes) ?? randomBytes(bytes)
        messages.set(bytes, msg)
        const t = performance.now()
        await lp.write(msg)
        await lp.read()
        return performance.now() - t
      },
      /** Send the messages on one new stream of the sink protocol, at most `windowBytes` of them unacked. */
      async sink(messages, windowBytes) {
        const out = lpStream(await node.dialProtocol(multiaddr(addr), SINK_PROTOCOL), {
          maxDataLength: 16,
        })
        const unacked: number[] = []
        let unackedBytes = 0
        const acked = async () => {
          await out.read()
          unackedBytes -= unacked.shift()!
        }
        for (const m of messages) {
          while (unacked.length > 0 && unackedBytes + m.length > windowBytes) await acked()
          await out.write(m)
          unacked.push(m.length)
          unackedBytes += m.length
        }
        while (unacked.length > 0) await acked()
        await out.unwrap().close()
      },
      peakRssMb: () => peakRssMb(proc.pid!),
      close: () => proc.kill('SIGKILL'),
    }
  } catch (err) {
    proc.kill('SIGKILL')
    throw err
  }
}

/** `samples` round trips of `bytes` on one kept-open stream to an echo node in another process (ms). */
export async function echoRtt(
  node: Awaited<ReturnType<typeof createKithNode>>,
  samples: number,
  bytes = 1024,
): Promise<number[]> {
  const echo = await echoNode(node)
  try {
    const times: number[] = []
    for (let i = 0; i < samples + 20; i++) {
      const t = await echo.rtt(bytes)
      if (i >= 20) times.push(t)
    }
    return times
  } finally {
    echo.close()
  }
}

/** A SQLite file in `dir` (WAL, synchronous=FULL) taking durable appends of `bytes`, timed one at a time. */
export function sqliteAppender(dir: string): { commit(bytes?: number): number; close(): void } {
  const db = new Database(join(dir, 'floor.sqlite3'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, data BLOB)')
  const insert = db.prepare('INSERT INTO t (data) VALUES (?)')
  const data = new Map<number, Uint8Array>()
  return {
    commit(bytes = 1024) {
      const d = data.get(bytes) ?? randomBytes(bytes)
      data.set(bytes, d)
      const t = performance.now()
      insert.run(d)
      return performance.now() - t
    },
    close: () => db.close(),
  }
}

/** `samples` durable appends of `bytes` to a SQLite file in `dir` (ms each). */
export function sqliteCommits(dir: string, samples: number, bytes = 1024): number[] {
  const db = sqliteAppender(dir)
  const times = Array.from({ length: samples }, () => db.commit(bytes))
  db.close()
  return times
}
