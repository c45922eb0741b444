/**
 * What the memory tests of spawned guardians read and write: a process's resident and peak memory (from
 * /proc, Linux), and the raw length prefix an attacker sends before a message it never finishes.
 */
import { readFile, writeFile } from 'node:fs/promises'

/** Resident and peak memory of a process, in MiB (from /proc). */
export async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)![1]) / 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

/** The process's memory now, its peak set back to it first (Linux: 5 to clear_refs), for one attack. */
export async function memoryFromNow(pid: number): Promise<{ rss: number; peak: number }> {
  await writeFile(`/proc/${pid}/clear_refs`, '5')
  return memory(pid)
}

/** A varint length prefix, as the kith framing (and libp2p) writes it. */
export function varint(n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return Uint8Array.from(out)
}
