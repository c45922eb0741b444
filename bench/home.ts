/**
 * `npm run bench:home`: a backup from home, through a rate-limited uplink, in network namespaces this
 * bench makes and removes (Linux, root; `ip`, `nft` and `tc` from iproute2 and nftables). The coordinator
 * sits behind a home router whose uplink is a 40 Mbit/s token bucket, and backs up 32 MiB of new data
 * to 5 guardians (k = 3, W = 4), in two configurations, each in a lab of its own:
 * - `guardians_on_servers`: the guardians are on the internet with links as fast as the machine;
 * - `guardians_at_home`: every guardian also sends through a 40 Mbit/s token bucket of its own (its
 *   home's uplink; its downlink is not limited), so passing the version on costs each its uplink too.
 * Each is reported against the floor measured in the same lab (one plain TCP copy of the same bytes
 * through the coordinator's uplink): the backup command's time, the time until the version was committed
 * (the W-th receipt in the coordinator's database, from its log) and until all 5 held it, the bytes
 * each uplink carried, and how long the coordinator's uplink idled (sampled every 100 ms).
 * The first configuration also runs restic writing the same file to 5 repositories on the same 5 hosts
 * (`rclone serve restic` there), all 5 at once through the same uplink; restic and rclone are installed
 * with apt-get when missing (root only). Prints one JSON object.
 * KITH_BENCH_HOME=servers|home runs one configuration only and no restic; KITH_BENCH_KEEP=1 keeps the
 * data directories with debug logs.
 */
import type { ChildProcess } from 'node:child_process'
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Lab, labUnavailable } from './netns.js'
import { CLI, cpuSeconds, waitForLine } from './procs.js'

const MiB = 1024 * 1024
const DATA = 32 * MiB
const MBIT = 40
const N = 5
const SAMPLE_MS = 100

type Config = 'servers' | 'home'
const only = process.env['KITH_BENCH_HOME'] as Config | undefined
/** KITH_BENCH_KEEP=1 keeps the run's data directories and their debug logs, for a look at the timeline. */
const keep = process.env['KITH_BENCH_KEEP'] === '1'
const logLevel = keep ? ['--log-level', 'debug'] : []
/** KITH_BENCH_PROF=<dir>: the guardians write CPU profiles there (stopped with SIGTERM after the backup). */
const prof = process.env['KITH_BENCH_PROF']
const profile = prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', prof]

function ensureTools(): string | undefined {
  const missing = ['restic', 'rclone'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0)
  if (missing.length === 0) return undefined
  if (process.getuid?.() !== 0) return `needs ${missing.join(' and ')} (apt-get install ${missing.join(' ')})`
  execFileSync('sh', ['-c', `apt-get install -y -qq ${missing.join(' ')} >/dev/null`], { stdio: 'inherit' })
  return undefined
}

const unavailable = labUnavailable() ?? (only === undefined ? ensureTools() : undefined)
if (unavailable !== undefined) {
  console.log(JSON.stringify({ bench: 'home', skipped: unavailable }, null, 2))
  process.exit(0)
}

const r2 = (x: number) => Math.round(x * 100) / 100
const work = await mkdtemp(join(tmpdir(), 'kith-bench-home-'))
let lab: Lab | undefined
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    lab?.destroy()
    process.exit(1)
  })

/** The ms time of the first line of the coordinator's log with this event, or undefined. */
function eventAt(log: string, event: string): number | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes(`"event":"${event}"`)) continue
    return Date.parse((JSON.parse(line) as { time: string }).time)
  }
  return undefined
}

interface Measured {
  seconds: number
  uplinkBytes: number
  idleSeconds: number
  mbitPerSecond: number[]
}

async function runConfig(config: Config, withRestic: boolean): Promise<Record<string, unknown>> {
  const dir = join(work, config)
  await mkdir(dir)
  const l = new Lab(`kb${process.pid % 1000}${config[0]}`)
  lab = l
  try {
    const hosts = Array.from({ length: N }, (_, i) => l.publicHost(`g${i}`, 10 + i))
    if (config === 'home') for (const h of hosts) l.limitEgress(h.ns, 'eth0', MBIT)
    const home = l.natHost('home', 1)
    l.limitUplink(home.router, MBIT)
    const node = (ns: string, ...args: string[]) => l.exec(ns, process.execPath, [CLI, ...args])
    const nodeAsync = (ns: string, ...args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const p = l.spawn(ns, process.execPath, [CLI, ...args])
        let out = ''
        let err = ''
        p.stdout!.on('data', (d: Buffer) => (out += d.toString()))
        p.stderr!.on('data', (d: Buffer) => (err += d.toString()))
        p.once('exit', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`kith exited ${code}: ${err}`)),
        )
      })
    /**
     * Time `fn` and count what the home's uplink carried meanwhile, sampled every SAMPLE_MS (with its
     * time: a sample may come late): the seconds the uplink ran below half its rate were left idle.
     */
    const measure = async (fn: () => Promise<unknown>): Promise<Measured> => {
      const before = l.uplinkBytes(home.router)
      const t0 = performance.now()
      const samples: { t: number; bytes: number }[] = [{ t: t0, bytes: before }]
      const sampler = setInterval(
        () => samples.push({ t: performance.now(), bytes: l.uplinkBytes(home.router) }),
        SAMPLE_MS,
      )
      try {
        await fn()
      } finally {
        clearInterval(sampler)
      }
      const t1 = performance.now()
      samples.push({ t: t1, bytes: l.uplinkBytes(home.router) })
      let idleMs = 0
      const perSecond = new Array<number>(Math.ceil((t1 - t0) / 1000)).fill(0)
      for (let i = 1; i < samples.length; i++) {
        const ms = samples[i]!.t - samples[i - 1]!.t
        const bytes = samples[i]!.bytes - samples[i - 1]!.bytes
        if ((bytes * 8) / (ms * 1000) < MBIT / 2) idleMs += ms
        perSecond[Math.min(perSecond.length - 1, Math.floor((samples[i]!.t - t0) / 1000))]! += bytes
      }
      return {
        seconds: (t1 - t0) / 1000,
        uplinkBytes: samples.at(-1)!.bytes - before,
        idleSeconds: idleMs / 1000,
        mbitPerSecond: perSecond.map((b) => r2((b * 8) / 1e6)),
      }
    }

    // the floor: one plain copy of the bytes through the same uplink
    const sink = l.spawn(hosts[0]!.ns, process.execPath, [
      '-e',
      `require('net').createServer((s) => s.resume().on('end', () => s.end())).listen(9000, '${hosts[0]!.ip}', () => console.log('ready'))`,
    ])
    await waitForLine(sink, /ready/)
    const floor = await measure(async () =>
      l.exec(home.ns, process.execPath, [
        '-e',
        `const s = require('net').connect(9000, '${hosts[0]!.ip}', () => { const b = Buffer.alloc(${MiB}); for (let i = 0; i < ${DATA / MiB}; i++) s.write(b); s.end() }); s.resume(); s.on('end', () => process.exit(0))`,
      ]),
    )

    // kith: 5 guardians, the coordinator at home
    const guardians: ChildProcess[] = []
    const invites: string[] = []
    for (const [i, h] of hosts.entries()) {
      const gdir = join(dir, `g${i}`)
      // a public address is announced, as a guardian on a server (or with a forwarded port) would
      node(
        h.ns,
        'guardian',
        'init',
        '--data-dir',
        gdir,
        '--listen',
        '/ip4/0.0.0.0/tcp/4646',
        '--announce',
        `/ip4/${h.ip}/tcp/4646`,
        '--json',
      )
      const g = l.spawn(h.ns, process.execPath, [
        ...profile,
        CLI,
        'guardian',
        'start',
        '--data-dir',
        gdir,
        '--no-web',
        ...logLevel,
      ])
      guardians.push(g)
      await waitForLine(g, /listening on/)
      const invite = node(
        h.ns,
        'guardian',
        'invite',
        '--data-dir',
        gdir,
        '--quota',
        '1GiB',
        '--release-delay',
        '0s',
        '--json',
      )
      invites.push(JSON.parse(invite).invite)
    }
    const vault = join(dir, 'vault')
    const file = join(work, 'data.bin')
    node(home.ns, 'vault', 'init', '--data-dir', vault, '-k', '3', '-w', '4', '--json')
    node(home.ns, 'vault', 'add-guardian', '--data-dir', vault, '--json', ...invites)
    node(home.ns, 'vault', 'add-source', 'file', file, '--data-dir', vault, '--json')
    const sentBefore = hosts.map((h) => l.sentBytes(h.ns, 'eth0'))
    const cpuBefore = guardians.map((g) => cpuSeconds(g.pid!))
    let report: { pushed: { receipts: number; sentBytes: number } } | undefined
    const started = Date.now()
    const kith = await measure(async () => {
      const args = ['backup', '--data-dir', vault, '--timeout', '10m', '--json', '--log-level', 'debug']
      report = JSON.parse(await nodeAsync(home.ns, 'vault', ...args))
    })
    const guardianUplinks = hosts.map((h, i) => l.sentBytes(h.ns, 'eth0') - sentBefore[i]!)
    const guardianCpu = guardians.map((g, i) => r2(cpuSeconds(g.pid!) - cpuBefore[i]!))
    const log = readFileSync(join(vault, 'kith.log'), 'utf8')
    const since = (event: string) => {
      const at = eventAt(log, event)
      return at === undefined ? undefined : (at - started) / 1000
    }
    // the W-th receipt commits it: the coordinator logs version-committed there (before it did, the
    // W-th pushed line, written right after that receipt was stored)
    const wth = log.split('\n').filter((line) => line.includes('"event":"pushed"'))[3]
    const committed =
      since('version-committed') ??
      (wth === undefined
        ? undefined
        : (Date.parse((JSON.parse(wth) as { time: string }).time) - started) / 1000)
    const allHold = since('push-done')

    const figure = (m: Measured) => ({
      seconds: r2(m.seconds),
      time_ratio_to_floor: r2(m.seconds / floor.seconds),
      uplink_bytes: m.uplinkBytes,
      bytes_ratio_to_data: r2(m.uplinkBytes / DATA),
      uplink_idle_seconds: r2(m.idleSeconds),
      uplink_mbit_each_second: m.mbitPerSecond,
    })
    const out: Record<string, unknown> = {
      floor_one_copy: { seconds: r2(floor.seconds), uplink_bytes: floor.uplinkBytes },
      kith: {
        ...figure(kith),
        committed_at_w_seconds: committed === undefined ? null : r2(committed),
        committed_ratio_to_floor: committed === undefined ? null : r2(committed / floor.seconds),
        all_hold_seconds: allHold === undefined ? null : r2(allHold),
        all_hold_ratio_to_floor: allHold === undefined ? null : r2(allHold / floor.seconds),
        phases_seconds: {
          start: r2(((eventAt(log, 'backup-started') ?? started) - started) / 1000),
          build: r2(((eventAt(log, 'version-built') ?? 0) - (eventAt(log, 'backup-started') ?? 0)) / 1000),
          push_all: r2(((eventAt(log, 'push-done') ?? 0) - (eventAt(log, 'version-built') ?? 0)) / 1000),
          after_push: r2(kith.seconds - (allHold ?? 0)),
          exit_after_close: r2(kith.seconds - ((eventAt(log, 'vault-closed') ?? started) - started) / 1000),
        },
        receipts: report?.pushed.receipts ?? 0,
        chunk_bytes_sent: report?.pushed.sentBytes ?? 0,
        guardian_uplink_bytes: guardianUplinks,
        guardian_uplink_max_ratio_to_data: r2(Math.max(...guardianUplinks) / DATA),
        /** CPU seconds each guardian used during the backup (the machine's cores are shared by all). */
        guardian_cpu_seconds: guardianCpu,
        machine_load_1min: r2(loadavg()[0]!),
      },
    }
    if (prof !== undefined)
      await Promise.all(
        guardians.map((g) => {
          g.kill('SIGTERM')
          return new Promise((resolve) => g.once('exit', resolve))
        }),
      )
    if (!withRestic) return out

    // restic: the same file to a repository on each of the same 5 hosts, all at once
    const env = { ...process.env, RESTIC_PASSWORD: 'bench-only' }
    for (const [i, h] of hosts.entries())
      l.spawn(h.ns, 'rclone', ['serve', 'restic', '--addr', `${h.ip}:8000`, join(dir, `repo${i}`)], env)
    for (const h of hosts)
      for (let attempt = 0; ; attempt++) {
        // rclone takes a moment to listen
        const r = spawnSync(
          'ip',
          ['netns', 'exec', home.ns, 'restic', '-r', `rest:http://${h.ip}:8000/`, 'init'],
          {
            env,
          },
        )
        if (r.status === 0) break
        if (attempt > 50) throw new Error(`restic init failed: ${r.stderr}`)
        await new Promise((res) => setTimeout(res, 200))
      }
    const restic = await measure(() =>
      Promise.all(
        hosts.map(
          (h) =>
            new Promise<void>((resolve, reject) => {
              const p = l.spawn(
                home.ns,
                'restic',
                ['-r', `rest:http://${h.ip}:8000/`, '--quiet', 'backup', file],
                env,
              )
              p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`restic exited ${code}`))))
            }),
        ),
      ),
    )
    return {
      ...out,
      restic_to_5_repositories: figure(restic),
      kith_time_ratio_to_restic: r2(kith.seconds / restic.seconds),
      kith_bytes_ratio_to_restic: r2(kith.uplinkBytes / restic.uplinkBytes),
    }
  } finally {
    l.destroy()
    lab = undefined
  }
}

try {
  writeFileSync(join(work, 'data.bin'), randomBytes(DATA))
  const result: Record<string, unknown> = {
    bench: 'home',
    node: process.version,
    cores: availableParallelism(),
    uplink_mbit: MBIT,
    data_bytes: DATA,
    guardians: N,
    quorum_w: 4,
  }
  if (only !== 'home') result['guardians_on_servers'] = await runConfig('servers', only === undefined)
  if (only !== 'servers') result['guardians_at_home'] = await runConfig('home', false)
  console.log(JSON.stringify(result, null, 2))
} finally {
  if (keep) console.error(`kept ${work}`)
  else await rm(work, { recursive: true, force: true })
}
