/**
 * Floors the benches measure in the same run: a plain libp2p round trip on a kept-open stream to another
 * process (bench/echo-node.ts), and one durable SQLite append (WAL, synchronous=FULL).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import Database from 'better-sqlite3'
import type { createKithNode } from '../src/p2p/node.js'
import { waitForLine } from './procs.js'

const ECHO = join(import.meta.dirname, 'echo-node.js')
/** Served by bench/echo-node.ts. */
const ECHO_PROTOCOL = '/kith-bench/echo/1.0.0'

/** The p-th percentile of `xs`, to the microsecond. */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 1000) / 1000
}

/** `samples` round trips of `bytes` on one kept-open stream to an echo node in another process (ms). */
export async function echoRtt(
  node: Awaited<ReturnType<typeof createKithNode>>,
  samples: number,
  bytes = 1024,
): Promise<number[]> {
  const proc = spawn(process.execPath, [ECHO], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const addr = await waitForLine(proc, /(\/ip4\/\S+)/)
    const lp = lpStream(await node.dialProtocol(multiaddr(addr), ECHO_PROTOCOL), { maxDataLength: 1 << 20 })
    const msg = randomBytes(bytes)
    const times: number[] = []
    for (let i = 0; i < samples + 20; i++) {
      const t = performance.now()
      await lp.write(msg)
      await lp.read()
      if (i >= 20) times.push(performance.now() - t)
    }
    return times
  } finally {
    proc.kill('SIGKILL')
  }
}

/** `samples` durable appends of `bytes` to a SQLite file in `dir` (ms each). */
export function sqliteCommits(dir: string, samples: number, bytes = 1024): number[] {
  const db = new Database(join(dir, 'floor.sqlite3'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, data BLOB)')
  const insert = db.prepare('INSERT INTO t (data) VALUES (?)')
  const data = randomBytes(bytes)
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const t = performance.now()
    insert.run(data)
    times.push(performance.now() - t)
  }
  db.close()
  return times
}
