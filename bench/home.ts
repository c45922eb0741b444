/**
 * `npm run bench:home`: a backup from home, through a rate-limited uplink, in network namespaces this
 * bench makes and removes (Linux, root; `ip`, `nft` and `tc` from iproute2 and nftables). The coordinator
 * sits behind a home router whose uplink is a 40 Mbit/s token bucket; 5 guardians are on the internet
 * side. It backs up 32 MiB of new data and reports, each against the floor (one plain TCP copy of the
 * same bytes through the same uplink, timed in the same run):
 * - kith: the backup's time and the bytes its uplink carried;
 * - restic writing the same file to 5 repositories on the same 5 hosts (`rclone serve restic` there), all
 *   5 at once through the same uplink.
 * restic and rclone are installed with apt-get when missing (root only). Prints one JSON object.
 */
import type { ChildProcess } from 'node:child_process'
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Lab, labUnavailable } from './netns.js'
import { CLI, waitForLine } from './procs.js'

const MiB = 1024 * 1024
const DATA = 32 * MiB
const MBIT = 40
const N = 5

function ensureTools(): string | undefined {
  const missing = ['restic', 'rclone'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0)
  if (missing.length === 0) return undefined
  if (process.getuid?.() !== 0) return `needs ${missing.join(' and ')} (apt-get install ${missing.join(' ')})`
  execFileSync('sh', ['-c', `apt-get install -y -qq ${missing.join(' ')} >/dev/null`], { stdio: 'inherit' })
  return undefined
}

const unavailable = labUnavailable() ?? ensureTools()
if (unavailable !== undefined) {
  console.log(JSON.stringify({ bench: 'home', skipped: unavailable }, null, 2))
  process.exit(0)
}

const r2 = (x: number) => Math.round(x * 100) / 100
const work = await mkdtemp(join(tmpdir(), 'kith-bench-home-'))
const lab = new Lab(`kb${process.pid % 10000}`)
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    lab.destroy()
    process.exit(1)
  })
try {
  const hosts = Array.from({ length: N }, (_, i) => lab.publicHost(`g${i}`, 10 + i))
  const home = lab.natHost('home', 1)
  lab.limitUplink(home.router, MBIT)
  const node = (ns: string, ...args: string[]) => lab.exec(ns, process.execPath, [CLI, ...args])
  /** Time `fn` and count what the home's uplink carried meanwhile. */
  const measure = async (fn: () => Promise<unknown> | unknown) => {
    const before = lab.uplinkBytes(home.router)
    const t = performance.now()
    await fn()
    return { seconds: (performance.now() - t) / 1000, uplinkBytes: lab.uplinkBytes(home.router) - before }
  }

  // the floor: one plain copy of the bytes through the same uplink
  const sink = lab.spawn(hosts[0]!.ns, process.execPath, [
    '-e',
    `require('net').createServer((s) => s.resume().on('end', () => s.end())).listen(9000, '${hosts[0]!.ip}', () => console.log('ready'))`,
  ])
  await waitForLine(sink, /ready/)
  const floor = await measure(() =>
    lab.exec(home.ns, process.execPath, [
      '-e',
      `const s = require('net').connect(9000, '${hosts[0]!.ip}', () => { const b = Buffer.alloc(${MiB}); for (let i = 0; i < ${DATA / MiB}; i++) s.write(b); s.end() }); s.resume(); s.on('end', () => process.exit(0))`,
    ]),
  )

  // kith: 5 guardians on the internet, the coordinator at home
  const guardians: ChildProcess[] = []
  const invites: string[] = []
  for (const [i, h] of hosts.entries()) {
    const dir = join(work, `g${i}`)
    // a public address is announced, as a guardian on a server would
    node(
      h.ns,
      'guardian',
      'init',
      '--data-dir',
      dir,
      '--listen',
      '/ip4/0.0.0.0/tcp/4646',
      '--announce',
      `/ip4/${h.ip}/tcp/4646`,
      '--json',
    )
    const g = lab.spawn(h.ns, process.execPath, [CLI, 'guardian', 'start', '--data-dir', dir, '--no-web'])
    guardians.push(g)
    await waitForLine(g, /listening on/)
    invites.push(
      JSON.parse(
        node(
          h.ns,
          'guardian',
          'invite',
          '--data-dir',
          dir,
          '--quota',
          '1GiB',
          '--release-delay',
          '0s',
          '--json',
        ),
      ).invite,
    )
  }
  const vault = join(work, 'vault')
  const file = join(work, 'data.bin')
  writeFileSync(file, randomBytes(DATA))
  node(home.ns, 'vault', 'init', '--data-dir', vault, '-k', '3', '-w', '4', '--json')
  node(home.ns, 'vault', 'add-guardian', '--data-dir', vault, '--json', ...invites)
  node(home.ns, 'vault', 'add-source', 'file', file, '--data-dir', vault, '--json')
  let report: { pushed: { receipts: number; sentBytes: number } } | undefined
  const kith = await measure(() => {
    report = JSON.parse(node(home.ns, 'vault', 'backup', '--data-dir', vault, '--timeout', '10m', '--json'))
  })

  // restic: the same file to a repository on each of the same 5 hosts, all at once
  const env = { ...process.env, RESTIC_PASSWORD: 'bench-only' }
  for (const [i, h] of hosts.entries())
    lab.spawn(h.ns, 'rclone', ['serve', 'restic', '--addr', `${h.ip}:8000`, join(work, `repo${i}`)], env)
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
            const p = lab.spawn(
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

  const figure = (m: { seconds: number; uplinkBytes: number }) => ({
    seconds: r2(m.seconds),
    uplink_bytes: m.uplinkBytes,
    time_ratio_to_floor: r2(m.seconds / floor.seconds),
    bytes_ratio_to_data: r2(m.uplinkBytes / DATA),
  })
  console.log(
    JSON.stringify(
      {
        bench: 'home',
        node: process.version,
        cores: availableParallelism(),
        uplink_mbit: MBIT,
        data_bytes: DATA,
        guardians: N,
        floor_one_copy: { seconds: r2(floor.seconds), uplink_bytes: floor.uplinkBytes },
        kith: {
          ...figure(kith),
          receipts: report?.pushed.receipts ?? 0,
          chunk_bytes_sent: report?.pushed.sentBytes ?? 0,
        },
        restic_to_5_repositories: figure(restic),
        kith_time_ratio_to_restic: r2(kith.seconds / restic.seconds),
        kith_bytes_ratio_to_restic: r2(kith.uplinkBytes / restic.uplinkBytes),
      },
      null,
      2,
    ),
  )
} finally {
  lab.destroy()
  await rm(work, { recursive: true, force: true })
}
