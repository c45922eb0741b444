/**
 * `npm run bench:backup`: prints one JSON object about `kith vault backup` (a real coordinator process
 * pushing to 3 real guardian daemons on loopback), against restic on the same data when restic is
 * installed (`apt-get install restic`):
 * - initial backup of a 256 MiB SQLite database: MB/s, and the time ratio to restic;
 * - bytes added after 200 random row rewrites (~200 pages of 4 KiB), against restic's added bytes;
 * - the coordinator's peak RSS backing up a 1 GiB file;
 * - restic writing the same database to 3 repositories at once (what kith does for 3 guardians);
 * - both through a rate-limited home uplink to 5 guardians / repositories: bench:home's figures
 *   (network namespaces, root only; otherwise why not).
 * - where the initial backup's time went: each process's CPU seconds (the coordinator and each guardian)
 *   against the wall time; KITH_BENCH_PROF=DIR also writes a CPU profile of every process there.
 * Targets: initial time <= 2 x restic writing to as many repositories (3, at once); incremental bytes
 * <= 0.5 x restic; RSS <= 250 MB.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database } from '../src/disk/sqlite-driver.js'
import { CLI, cpuSeconds, inviteFrom, kith, startGuardian, stopAll } from './procs.js'

const MiB = 1024 * 1024
const DB_BYTES = 256 * MiB
const REWRITES = 200
const BIG_BYTES = 1024 * MiB
/** KITH_BENCH_PROF=DIR: every process this bench starts writes a CPU profile there. */
const PROF = process.env['KITH_BENCH_PROF']
if (PROF)
  process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${PROF}`

/** Run `kith vault backup`, timing it and sampling its peak RSS. */
async function timedBackup(
  vaultDir: string,
): Promise<{ seconds: number; rssMb: number; cpuSeconds: number; report: { bytesStored: number } }> {
  const t = performance.now()
  const proc = spawn(
    process.execPath,
    [CLI, 'vault', 'backup', '--data-dir', vaultDir, '--timeout', '10m', '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  let rssKb = 0
  let cpu = 0
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const sampler = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))
      if (m) rssKb = Math.max(rssKb, Number(m[1]))
      // the last reading before it exits: its CPU seconds to within the 20 ms between readings
      const c = cpuSeconds(proc.pid!)
      if (Number.isFinite(c)) cpu = c
    } catch {
      // the process has exited
    }
  }, 20)
  const code = await new Promise<number | null>((r) => proc.once('exit', r))
  clearInterval(sampler)
  if (code !== 0) throw new Error(`backup failed (${code}):\n${out}`)
  return {
    seconds: (performance.now() - t) / 1000,
    rssMb: Math.round(rssKb / 1024),
    cpuSeconds: cpu,
    report: JSON.parse(out),
  }
}

function makeDatabase(path: string): number[] {
  const db = new Database(path)
  db.pragma('page_size = 4096')
  db.pragma('journal_mode = DELETE')
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)')
  const insert = db.prepare('INSERT INTO t (data) VALUES (?)')
  const rows = Math.floor(DB_BYTES / 4096)
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(randomBytes(3000))
  })()
  db.close()
  return Array.from({ length: rows }, (_, i) => i + 1)
}

function rewriteRows(path: string, ids: number[]): void {
  const db = new Database(path)
  const update = db.prepare('UPDATE t SET data = ? WHERE id = ?')
  db.transaction(() => {
    for (let i = 0; i < REWRITES; i++)
      update.run(randomBytes(3000), ids[Math.floor(Math.random() * ids.length)])
  })()
  db.close()
}

const hasRestic = spawnSync('restic', ['version']).status === 0
function restic(repo: string, ...args: string[]): { seconds: number; added: number } {
  const t = performance.now()
  const r = spawnSync('restic', ['--repo', repo, '--json', ...args], {
    env: { ...process.env, RESTIC_PASSWORD: 'bench-only' },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  })
  if (r.status !== 0) throw new Error(`restic ${args[0]} failed: ${r.stderr}`)
  const summary = r.stdout
    .split('\n')
    .filter((l) => l.includes('"summary"'))
    .map((l) => JSON.parse(l) as { data_added: number })[0]
  return { seconds: (performance.now() - t) / 1000, added: summary?.data_added ?? 0 }
}

/** `restic backup` as a child process, resolving when it exits 0. */
function resticAsync(repo: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('restic', ['--repo', repo, '--quiet', ...args], {
      env: { ...process.env, RESTIC_PASSWORD: 'bench-only' },
      stdio: 'ignore',
    })
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`restic exited ${code}`))))
  })
}

/** bench:home's figures (both through a rate-limited home uplink), or why it could not run here. */
function throughUplink(): unknown {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, 'home.js')], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    timeout: 15 * 60_000,
  })
  if (r.status !== 0)
    return { failed: (r.stderr || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ') }
  return JSON.parse(r.stdout)
}

const work = await mkdtemp(join(tmpdir(), 'kith-bench-backup-'))
const guardians: ChildProcess[] = []
try {
  for (let i = 0; i < 3; i++) guardians.push(await startGuardian(join(work, `g${i}`)))
  const vault = join(work, 'vault')
  kith('vault', 'init', '--data-dir', vault, '-k', '2', '-w', '2', '--json')
  const invites = [0, 1, 2].map((i) => inviteFrom(join(work, `g${i}`), '8GiB'))
  kith('vault', 'add-guardian', '--data-dir', vault, '--json', ...invites)
  const dbPath = join(work, 'channels.sqlite3')
  const ids = makeDatabase(dbPath)
  kith('vault', 'add-source', 'sqlite', dbPath, '--name', 'db', '--data-dir', vault, '--json')

  const guardianCpu = () => guardians.map((g) => cpuSeconds(g.pid!))
  const cpuBefore = guardianCpu()
  const initial = await timedBackup(vault)
  const initialGuardianCpu = guardianCpu().map((c, i) => c - cpuBefore[i]!)
  let resticInitial: { seconds: number; added: number } | undefined
  const repo = join(work, 'restic-repo')
  if (hasRestic) {
    spawnSync('restic', ['init', '--repo', repo], { env: { ...process.env, RESTIC_PASSWORD: 'bench-only' } })
    resticInitial = restic(repo, 'backup', dbPath)
  }
  // what kith does for its 3 guardians, restic does once per repository: 3 at once
  let resticToAll: number | undefined
  if (hasRestic) {
    const repos = [0, 1, 2].map((i) => join(work, `restic-repo-${i}`))
    for (const r of repos)
      spawnSync('restic', ['init', '--repo', r], { env: { ...process.env, RESTIC_PASSWORD: 'bench-only' } })
    const t = performance.now()
    await Promise.all(repos.map((r) => resticAsync(r, 'backup', dbPath)))
    resticToAll = (performance.now() - t) / 1000
  }
  rewriteRows(dbPath, ids)
  const incremental = await timedBackup(vault)
  const resticIncremental = hasRestic ? restic(repo, 'backup', dbPath) : undefined

  // 1 GiB for the memory figure: a plain file source (content-defined chunks)
  kith('vault', 'sources', '--remove', 'db', '--data-dir', vault, '--json')
  const big = join(work, 'big.bin')
  const block = randomBytes(16 * MiB)
  writeFileSync(big, Buffer.alloc(0))
  for (let o = 0; o < BIG_BYTES; o += block.length)
    writeFileSync(big, randomBytes(block.length), { flag: 'a' })
  kith('vault', 'add-source', 'file', big, '--data-dir', vault, '--json')
  const large = await timedBackup(vault)

  const r2 = (x: number) => Math.round(x * 100) / 100
  const initialRatio = resticInitial ? initial.seconds / resticInitial.seconds : undefined
  const bytesRatio = resticIncremental
    ? incremental.report.bytesStored / Math.max(1, resticIncremental.added)
    : undefined
  console.log(
    JSON.stringify(
      {
        bench: 'backup',
        node: process.version,
        cores: availableParallelism(),
        guardians: 3,
        restic: hasRestic,
        initial_bytes: DB_BYTES,
        initial_seconds: r2(initial.seconds),
        initial_mb_s: Math.round(DB_BYTES / 1e6 / initial.seconds),
        restic_initial_seconds: resticInitial ? r2(resticInitial.seconds) : null,
        initial_time_ratio: initialRatio !== undefined ? r2(initialRatio) : null,
        restic_to_3_repositories_seconds: resticToAll !== undefined ? r2(resticToAll) : null,
        initial_time_ratio_to_restic_3: resticToAll !== undefined ? r2(initial.seconds / resticToAll) : null,
        initial_target_ratio_to_restic_3: 2,
        meets_initial_target: resticToAll !== undefined ? initial.seconds / resticToAll <= 2 : null,
        // where the time went: CPU seconds of each process over the initial backup's wall seconds
        initial_cpu_seconds: {
          coordinator: r2(initial.cpuSeconds),
          guardians: initialGuardianCpu.map(r2),
        },
        incremental_page_rewrites: REWRITES,
        incremental_bytes_added_per_guardian: incremental.report.bytesStored,
        restic_incremental_bytes_added: resticIncremental?.added ?? null,
        incremental_bytes_ratio: bytesRatio !== undefined ? r2(bytesRatio) : null,
        incremental_target_ratio: 0.5,
        meets_incremental_target: bytesRatio !== undefined ? bytesRatio <= 0.5 : null,
        large_bytes: BIG_BYTES,
        large_mb_s: Math.round(BIG_BYTES / 1e6 / large.seconds),
        coordinator_peak_rss_mb: large.rssMb,
        rss_target_mb: 250,
        meets_rss_target: large.rssMb > 0 && large.rssMb <= 250,
        // kith and restic to 5 guardians / repositories through a 40 Mbit/s home uplink (bench:home)
        through_uplink: throughUplink(),
      },
      null,
      2,
    ),
  )
  void block
} finally {
  await stopAll(guardians)
  await rm(work, { recursive: true, force: true })
}
