/**
 * `npm run bench:site`: a site. Three guardian daemons (`kith guardian start`, as deployed: the systemd
 * unit's memory settings) keep the same 1,000 vaults, each enrolled as a coordinator enrolls (its roster
 * signed, a share held by each) and holding one small version; its coordinators run in this process, each
 * dialing from a loopback address of its own (bench/site-vaults.ts). Beside it, the floor: three more
 * daemons that keep one vault. One JSON object, each figure against the floor measured in the same run:
 * - the same push (one coordinator, one small version to its three guardians, spaced 10 ms, the two sets
 *   taking turns): p50/p99 on the site and on the floor, and the ratio (target: p50 at most 1.3x);
 * - 100 of the site's coordinators backing up at once: each one's push (dial included) p50/p99, the
 *   burst's total time, and pushes that failed;
 * - after things settle, a quiet minute: each daemon's VmRSS (target: at most 300 MB), its CPU
 *   (utime + stime, as % of one core; target: under 2 %), and the bytes the guardians of each set sent
 *   each other (every TCP segment on their connections, counted by nftables on loopback: gossip,
 *   anti-entropy, libp2p's own);
 * - startup of a guardian (stopped, started again) until it says it listens;
 * - a vault of 20 guardians (W = 15) on hosts of their own (bench/site-wide.ts): one backup of new data,
 *   the coordinator's egress against the new bytes (target: at most 1.2x).
 * Needs root for nftables and the namespaces. KITH_BENCH_SITE_VAULTS, _BURST, _IDLE_S, _WIDE (guardians;
 * 0 skips it) shrink it for a quick look.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { readGuardianConfig, writeGuardianConfig } from '../src/guardian/config.js'
import { createLog } from '../src/log.js'
import type { PeerRef } from '../src/p2p/client.js'
import { runAsDeployed } from './deployed.js'
import { pct, rssMb } from './floors.js'
import { CLI, startGuardian, stopAll, waitForLine } from './procs.js'
import { coordinatorHost, eachAtMost, guardianRef, makeInvites, SiteVault } from './site-vaults.js'
import { wideVault } from './site-wide.js'

const count = (name: string, fallback: number) => Number(process.env[`KITH_BENCH_SITE_${name}`] ?? fallback)
const VAULTS = count('VAULTS', 1000)
const BURST = Math.min(count('BURST', 100), VAULTS - 1)
const IDLE_SECONDS = count('IDLE_S', 60)
const WIDE = count('WIDE', 20)
/** Vaults enrolled at once (each its own node, three enrolls and three pushes). */
const ENROLL_PARALLEL = 12
const SPACED = 100
/**
 * Quiet before the idle minute: every daemon has run an anti-entropy round (60 s apart) since the last
 * push, and the announcements and retention of the burst are over.
 */
const SETTLE_SECONDS = 75
const MiB = 1024 * 1024

const r2 = (x: number) => Math.round(x * 100) / 100
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** CPU seconds a process has used so far (utime + stime). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // the fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

interface Daemon {
  readonly dir: string
  proc: ChildProcess
  readonly ref: PeerRef
  readonly port: number
}

/** A guardian daemon in `dir`, its port then written into its config: a restart keeps it, as rosters expect. */
async function guardian(dir: string): Promise<Daemon> {
  const proc = await startGuardian(dir)
  const ref = await guardianRef(dir)
  const bound = ref.addrs[0]!.replace(/\/p2p\/.*$/, '')
  await writeGuardianConfig(dir, { ...(await readGuardianConfig(dir)), listen: [bound] })
  return { dir, proc, ref, port: Number(/\/tcp\/(\d+)/.exec(bound)![1]) }
}

/**
 * KITH_BENCH_SITE_PROFILE=DIR: the second site guardian writes a CPU profile of its whole run into DIR
 * when it stops (right after the quiet minute: its last minute is that one).
 */
const PROFILE = process.env['KITH_BENCH_SITE_PROFILE']

/** Stop a daemon and start it again; seconds from the start until it says it listens. */
async function restart(d: Daemon): Promise<number> {
  await stopAll([d.proc])
  const t = performance.now()
  d.proc = spawn(process.execPath, [CLI, 'guardian', 'start', '--data-dir', d.dir, '--no-web'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await waitForLine(d.proc, /listening on/)
  return (performance.now() - t) / 1000
}

/**
 * nftables counters of the bytes sent on loopback to or from each set's ports: with no coordinator
 * connected, what a set's guardians send each other. A table of this run's own, removed after.
 */
function loopbackCounters(sets: Record<string, readonly number[]>) {
  const table = `kith_bench_site_${process.pid}`
  const rules = Object.entries(sets).flatMap(([name, ports]) =>
    ['sport', 'dport'].map(
      (dir) => `oifname "lo" tcp ${dir} { ${ports.join(', ')} } counter name "${name}" accept`,
    ),
  )
  const counters = Object.keys(sets).map((name) => `counter ${name} {}`)
  execFileSync('nft', ['-f', '-'], {
    input: `table inet ${table} {\n${counters.join('\n')}\nchain out { type filter hook output priority 0; policy accept;\n${rules.join('\n')}\n}\n}\n`,
  })
  return {
    bytes(): Record<string, number> {
      const out = JSON.parse(
        execFileSync('nft', ['-j', 'list', 'counters', 'table', 'inet', table], { encoding: 'utf8' }),
      )
      const found = (out.nftables as { counter?: { name: string; bytes: number } }[]).flatMap((x) =>
        x.counter ? [[x.counter.name, x.counter.bytes] as const] : [],
      )
      return Object.fromEntries(found)
    },
    remove: () => execFileSync('nft', ['delete', 'table', 'inet', table]),
  }
}

const settings = runAsDeployed()
const work = await mkdtemp(join(tmpdir(), 'kith-bench-site-'))
/** The coordinators' p2p log: why a dial failed, for the JSON. */
const logFile = join(work, 'coordinators.log')
const log = createLog('bench-site', { file: logFile, level: 'debug' })
/** Dials that failed (each coordinator's, from its log) and the first one's reason. */
function dialFailures(): { count: number; first: string | null } {
  const failed = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"dial-failed"'))
  return { count: failed.length, first: failed.length > 0 ? String(JSON.parse(failed[0]!).reason) : null }
}
const site: Daemon[] = []
const floor: Daemon[] = []
const vaults: SiteVault[] = []
let counters: ReturnType<typeof loopbackCounters> | undefined
try {
  for (let i = 0; i < 3; i++) {
    const options = process.env['NODE_OPTIONS']
    if (i === 1 && PROFILE !== undefined)
      process.env['NODE_OPTIONS'] = `${options ?? ''} --cpu-prof --cpu-prof-dir=${PROFILE}`
    site.push(await guardian(join(work, `site${i}`)))
    if (options === undefined) delete process.env['NODE_OPTIONS']
    else process.env['NODE_OPTIONS'] = options
  }
  for (let i = 0; i < 3; i++) floor.push(await guardian(join(work, `floor${i}`)))

  // the site's vaults: a thousand coordinators, a dozen at a time, each enrolled and given a version
  const refs = site.map((d) => d.ref)
  for (let i = 0; i < VAULTS; i++) vaults.push(await SiteVault.create(i, refs, 2, 2, log))
  const invites = await Promise.all(site.map((d) => makeInvites(d.dir, d.ref, VAULTS)))
  let t = performance.now()
  let retries = 0
  await eachAtMost(vaults, ENROLL_PARALLEL, async (v, i) => {
    // a coordinator that could not reach a guardian tries again, as `kith vault add-guardian` is run again
    for (let attempt = 1; ; attempt++) {
      await v.open()
      try {
        await v.enroll(invites.map((list) => list[i]!))
        await v.backup()
        return
      } catch (err) {
        if (attempt === 3) throw err
        retries++
      } finally {
        await v.close()
      }
      await sleep(1000)
    }
  })
  const enrollSeconds = (performance.now() - t) / 1000
  const lone = await SiteVault.create(
    VAULTS,
    floor.map((d) => d.ref),
    2,
    2,
  )
  await lone.open()
  await lone.enroll(await Promise.all(floor.map(async (d) => (await makeInvites(d.dir, d.ref, 1))[0]!)))

  // the same push to the site and to the floor, spaced, taking turns (the first 10 of each to warm up)
  const one = vaults[0]!
  await one.open()
  const spaced = { site: [] as number[], floor: [] as number[] }
  for (let i = 0; i < SPACED + 10; i++) {
    const order = i % 2 === 0 ? (['site', 'floor'] as const) : (['floor', 'site'] as const)
    for (const which of order) {
      await sleep(10)
      const ms = await (which === 'site' ? one : lone).backup()
      if (i >= 10) spaced[which].push(ms)
    }
  }
  await one.close()
  await lone.close()

  // the burst: BURST coordinators, their nodes up, back up at once
  const burst = vaults.slice(1, 1 + BURST)
  await Promise.all(burst.map((v) => v.open()))
  const times: number[] = []
  const failures: string[] = []
  t = performance.now()
  await Promise.all(
    burst.map((v) =>
      v.backup().then(
        (ms) => void times.push(ms),
        (err: unknown) => void failures.push(err instanceof Error ? err.message : String(err)),
      ),
    ),
  )
  const burstSeconds = (performance.now() - t) / 1000
  await Promise.all(burst.map((v) => v.close()))

  // the quiet minute
  await sleep(SETTLE_SECONDS * 1000)
  const all = [...site, ...floor]
  counters = loopbackCounters({ site: site.map((d) => d.port), floor: floor.map((d) => d.port) })
  const cpu0 = all.map((d) => cpuSeconds(d.proc.pid!))
  const bytes0 = counters.bytes()
  t = performance.now()
  await sleep(IDLE_SECONDS * 1000)
  const minutes = (performance.now() - t) / 60_000
  const bytes1 = counters.bytes()
  const cpuPct = all.map((d, i) => r2(((cpuSeconds(d.proc.pid!) - cpu0[i]!) / (minutes * 60)) * 100))
  const rss = all.map((d) => rssMb(d.proc.pid!))
  const perMinute = (name: string) => Math.round((bytes1[name]! - bytes0[name]!) / minutes)
  counters.remove()
  counters = undefined
  const startup = { site: await restart(site[0]!), floor: await restart(floor[0]!) }
  await stopAll(all.map((d) => d.proc))

  const wide =
    WIDE > 0
      ? await wideVault(work, WIDE, Math.min(15, WIDE), 16 * MiB)
      : { skipped: 'KITH_BENCH_SITE_WIDE=0' }

  const siteRss = rss.slice(0, 3)
  const siteCpu = cpuPct.slice(0, 3)
  const pushRatio = r2(pct(spaced.site, 50) / pct(spaced.floor, 50))
  console.log(
    JSON.stringify(
      {
        bench: 'site',
        node: process.version,
        cores: availableParallelism(),
        memory_settings: settings,
        // its CPU figure includes the profiler's own sampling
        profiled: PROFILE !== undefined ? 'site guardian 2 (--cpu-prof)' : null,
        vaults: VAULTS,
        guardians: 3,
        enroll_seconds: r2(enrollSeconds),
        enroll_retries: retries,
        coordinator_dials_failed: dialFailures(),
        coordinators_dial_from: `${coordinatorHost(0)} … ${coordinatorHost(VAULTS)}`,
        spaced_push_ms: {
          samples: SPACED,
          site: { p50: pct(spaced.site, 50), p99: pct(spaced.site, 99) },
          floor_one_vault: { p50: pct(spaced.floor, 50), p99: pct(spaced.floor, 99) },
          p50_ratio: pushRatio,
          p50_target_ratio: 1.3,
        },
        burst: {
          coordinators: BURST,
          push_ms: { p50: pct(times, 50), p99: pct(times, 99) },
          total_seconds: r2(burstSeconds),
          failed: failures.length,
          first_failure: failures[0] ?? null,
        },
        startup_seconds: {
          site: r2(startup.site),
          floor_one_vault: r2(startup.floor),
          ratio: r2(startup.site / startup.floor),
        },
        idle: {
          seconds: Math.round(minutes * 60),
          rss_mb: { site: siteRss, floor_one_vault: rss.slice(3) },
          cpu_pct_of_core: { site: siteCpu, floor_one_vault: cpuPct.slice(3) },
          guardian_bytes_per_minute: { site: perMinute('site'), floor_one_vault: perMinute('floor') },
        },
        wide_vault: wide,
        meets_rss_target: siteRss.every((m) => m > 0 && m <= 300),
        meets_push_target: pushRatio <= 1.3,
        meets_cpu_target: siteCpu.every((c) => c < 2),
        meets_wide_egress_target: 'meets_egress_target' in wide ? wide.meets_egress_target : null,
      },
      null,
      2,
    ),
  )
} finally {
  counters?.remove()
  await Promise.all(vaults.map((v) => v.close()))
  await stopAll([...site, ...floor].map((d) => d.proc))
  await rm(work, { recursive: true, force: true })
}
