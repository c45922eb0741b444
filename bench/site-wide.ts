/**
 * bench:site's wide vault: one vault of many guardians (20, W = 15), each guardian a real daemon on a host
 * of its own and the coordinator (`kith vault backup`) on another, in network namespaces (bench/netns.ts;
 * Linux, root). One backup of new data, and what the coordinator's host sent meanwhile, read from its
 * interface's counter: every byte on the wire (TCP/IP, Noise, Yamux, manifests, certificates), not the
 * coordinator's own count. The guardians pass chunks on to each other (guardian/relay.ts), so the
 * coordinator's egress should stay near one copy of the new bytes however many guardians there are.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInvite, initGuardian } from '../src/guardian/setup.js'
import { Lab, labUnavailable } from './netns.js'
import { CLI, waitForLine } from './procs.js'

export interface WideFigure {
  readonly guardians: number
  readonly write_quorum: number
  readonly new_bytes: number
  readonly coordinator_egress_bytes: number
  /** What the coordinator counted itself as chunk bytes written to guardians' streams. */
  readonly coordinator_chunk_bytes_counted: number | null
  readonly receipts: number | null
  readonly committed: boolean
  /** The backup's error, when it did not commit (QUORUM_NOT_REACHED: fewer than W receipts). */
  readonly error: string | null
  readonly backup_seconds: number
  readonly egress_ratio: number
  readonly egress_target_ratio: number
  readonly meets_egress_target: boolean
}

/** Run the wide vault in `work`; its figures, or why it was skipped. */
export async function wideVault(
  work: string,
  n: number,
  w: number,
  dataBytes: number,
): Promise<WideFigure | { skipped: string }> {
  const unavailable = labUnavailable()
  if (unavailable !== undefined) return { skipped: unavailable }
  const lab = new Lab(`kw${process.pid % 10000}`)
  try {
    const hosts = Array.from({ length: n }, (_, i) => lab.publicHost(`g${i}`, 10 + i))
    const home = lab.publicHost('coord', 200)
    const dirs = hosts.map((_, i) => join(work, `wide-g${i}`))
    // a public address announced, as a guardian on a server has
    for (const [i, h] of hosts.entries())
      await initGuardian(dirs[i]!, { listen: ['/ip4/0.0.0.0/tcp/4646'], announce: [`/ip4/${h.ip}/tcp/4646`] })
    const daemons = hosts.map((h, i) =>
      lab.spawn(h.ns, process.execPath, [CLI, 'guardian', 'start', '--data-dir', dirs[i]!, '--no-web']),
    )
    await Promise.all(daemons.map((d) => waitForLine(d, /listening on/)))
    const now = Date.now()
    const invites = await Promise.all(
      dirs.map(
        async (dir) =>
          (
            await createInvite(dir, {
              label: 'wide',
              quota: 4 * dataBytes,
              expiresAt: now + 3_600_000,
              releaseDelay: 0,
              now,
            })
          ).token,
      ),
    )
    const vault = join(work, 'wide-vault')
    const file = join(work, 'wide-data.bin')
    writeFileSync(file, randomBytes(dataBytes))
    writeFileSync(join(work, 'wide-invites.txt'), invites.join('\n'), { mode: 0o600 })
    const kith = (...args: string[]) => lab.exec(home.ns, process.execPath, [CLI, ...args])
    kith('vault', 'init', '--data-dir', vault, '-k', '8', '-w', String(w), '--json')
    kith(
      'vault',
      'add-guardian',
      '--data-dir',
      vault,
      '--invite-file',
      join(work, 'wide-invites.txt'),
      '--json',
    )
    kith('vault', 'add-source', 'file', file, '--data-dir', vault, '--json')
    const before = lab.sentBytes(home.ns, 'eth0')
    const t = performance.now()
    // a backup short of W exits 1 with its JSON error: the figures say so rather than end the bench
    let out: string
    try {
      out = kith('vault', 'backup', '--data-dir', vault, '--timeout', '10m', '--json')
    } catch (err) {
      out = String((err as { stdout?: unknown }).stdout ?? '{}')
    }
    const r = JSON.parse(out) as {
      pushed?: { receipts: number; sentBytes: number; committed: boolean }
      error?: { code: string; message: string }
    }
    const seconds = (performance.now() - t) / 1000
    const egress = lab.sentBytes(home.ns, 'eth0') - before
    const ratio = Math.round((egress / dataBytes) * 100) / 100
    return {
      guardians: n,
      write_quorum: w,
      new_bytes: dataBytes,
      coordinator_egress_bytes: egress,
      coordinator_chunk_bytes_counted: r.pushed?.sentBytes ?? null,
      receipts: r.pushed?.receipts ?? null,
      committed: r.pushed?.committed ?? false,
      error: r.error ? `${r.error.code}: ${r.error.message}` : null,
      backup_seconds: Math.round(seconds * 100) / 100,
      egress_ratio: ratio,
      egress_target_ratio: 1.2,
      meets_egress_target: r.pushed?.committed === true && ratio <= 1.2,
    }
  } finally {
    lab.destroy()
  }
}
