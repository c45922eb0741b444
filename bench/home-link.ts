/**
 * KITH_BENCH_UPLINK_MBIT for bench/guardian.ts: a guardian taking a backup at a home uplink's rate. The
 * bench (the coordinator's side) runs on one host of a network-namespace lab (bench/netns.ts), the
 * processes it starts (the guardian, the floor's node) on another, and all the coordinator's side sends
 * goes through a token bucket of that rate (tc tbf on its interface, as bench:home's uplink). Root only.
 */
import { spawn } from 'node:child_process'
import { Lab, labUnavailable } from './netns.js'

/** Set by the outer run for the bench it runs inside the lab: where the guardian's side is. */
const LINK_ENV = 'KITH_BENCH_LINK'

/** The lab's link as the bench inside it sees it. */
export interface HomeLink {
  readonly mbit: number
  /** Where the guardian listens, on its host (announced as is: libp2p tells a public address only once
   * confirmed, or announced). */
  readonly guardianAddr: string
  /** `[cmd, args]` running `cmd args` on the guardian's host (the floor's node listening on its address). */
  wrap(cmd: string, args: readonly string[]): [string, string[]]
}

/**
 * With KITH_BENCH_UPLINK_MBIT set, outside the lab: make the lab, run `script` (this bench) on the
 * coordinator's host with the same environment, its output passed through, remove the lab, and exit
 * with its status. Inside the lab (or without the setting): the link, or undefined.
 */
export async function homeLink(script: string): Promise<HomeLink | undefined> {
  const inside = process.env[LINK_ENV]
  if (inside !== undefined) {
    const { mbit, ns, ip } = JSON.parse(inside) as { mbit: number; ns: string; ip: string }
    return {
      mbit,
      guardianAddr: `/ip4/${ip}/tcp/4646`,
      // the floor's node listens beside the guardian (bench/echo-node.ts)
      wrap: (cmd, args) => [
        'ip',
        ['netns', 'exec', ns, 'env', `KITH_BENCH_LISTEN=/ip4/${ip}/tcp/4647`, cmd, ...args],
      ],
    }
  }
  const text = process.env['KITH_BENCH_UPLINK_MBIT']
  if (text === undefined) return undefined
  const mbit = Number(text)
  const why = Number.isFinite(mbit) && mbit > 0 ? labUnavailable() : `not a rate in Mbit/s: ${text}`
  if (why !== undefined) {
    console.error(`bench: KITH_BENCH_UPLINK_MBIT=${text}: ${why}`)
    process.exit(1)
  }
  const lab = new Lab(`kg${process.pid % 10000}`)
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      lab.destroy()
      process.exit(1)
    })
  let status = 1
  try {
    const guardian = lab.publicHost('g', 10)
    const coordinator = lab.publicHost('c', 20)
    // bench:home's uplink: a token bucket with 64 KiB of burst and up to 400 ms of queue
    lab.exec(coordinator.ns, 'tc', [
      ...['qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', `${mbit}mbit`],
      ...['burst', '64kb', 'latency', '400ms'],
    ])
    const env = { ...process.env, [LINK_ENV]: JSON.stringify({ mbit, ns: guardian.ns, ip: guardian.ip }) }
    const inner = spawn('ip', ['netns', 'exec', coordinator.ns, process.execPath, script], {
      stdio: 'inherit',
      env,
    })
    status = await new Promise<number>((r) => inner.once('exit', (code) => r(code ?? 1)))
  } finally {
    lab.destroy()
  }
  process.exit(status)
}
