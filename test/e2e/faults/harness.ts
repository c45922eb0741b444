/**
 * One fault-injection run with real processes: 4 guardian daemons and the `kith` CLI as coordinator
 * (2-of-4, W=3), a few backups, and at each step one fault drawn from a seeded generator:
 * - SIGKILL of a guardian, or of the coordinator, at a random point while pushing;
 * - a SIGSTOP/SIGCONT partition of a guardian during a backup;
 * - a guardian whose disk fills up (a file-size limit on its process);
 * - corrupted chunk bytes, or a corrupted SQLite page, on a stopped guardian;
 * - duplicated and reordered pushes of versions already sent;
 * - skewed clocks (KITH_CLOCK_SKEW_MS) on guardians and the coordinator.
 * Then everything is healed and the invariants are checked:
 * 1. no version that got W receipts is ever unrecoverable (a real recovery with approvals restores it);
 * 2. a guardian's newest version never goes backwards (sampled after every step);
 * 3. one manifest per (vault, version) is accepted, across all guardians;
 * 4. a restore never returns a version older than the newest committed one;
 * 5. no share is released without a durable approval before it (guardians' audit logs).
 * The seed is printed by the caller; the same seed replays the same faults at the same steps.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pushToGuardians } from '../../../src/coordinator/push.js'
import { Vault } from '../../../src/coordinator/vault.js'
import { toHex } from '../../../src/crypto/bytes.js'
import { Database } from '../../../src/disk/sqlite-driver.js'
import { approveRequest } from '../../../src/guardian/approvals.js'
import { GuardianStore } from '../../../src/guardian/store/index.js'
import { Recovery } from '../../../src/recovery/session.js'
import { CLI, GuardianProcess } from '../../helpers/daemons.js'
import { runTracked, spawnTracked } from '../../helpers/procs.js'

/** A small seeded generator (mulberry32): the same seed gives the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface FaultRunResult {
  readonly seed: number
  readonly faults: readonly string[]
  readonly breaks: readonly string[]
  readonly committed: number
  readonly restored: number
  /** Why the outbox could not be drained after healing (not a break: nothing committed is at risk). */
  readonly unhealed?: string
}

const FAULTS = [
  'none',
  'kill-guardian',
  'kill-coordinator',
  'partition',
  'replay',
  'corrupt-chunk',
  'corrupt-page',
] as const

/** The coordinator's CLI, spawned with its environment (its clock's skew). */
function cli(env: Record<string, string>, ...args: string[]) {
  return runTracked(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Read-only look at a guardian's database (works beside the running daemon); undefined if unreadable. */
function peek<T>(dir: string, fn: (db: Database) => T): T | undefined {
  try {
    const db = new Database(join(dir, 'guardian.sqlite3'), { readonly: true, fileMustExist: true })
    try {
      return fn(db)
    } finally {
      db.close()
    }
  } catch {
    return undefined
  }
}

export async function faultRun(seed: number, steps = 4): Promise<FaultRunResult> {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const faults: string[] = []
  const breaks: string[] = []
  // kills and corrupted pages: on a real disk, as crash tests are (test/helpers/tmp.ts)
  const root = await mkdtemp(join(process.env['KITH_TEST_DISK_DIR'] ?? tmpdir(), `kith-fault-${seed}-`))
  const gs = await Promise.all([0, 1, 2, 3].map((i) => GuardianProcess.init(join(root, `g${i}`))))
  const lost = new Set<number>()
  let destructive = false
  try {
    for (const g of gs)
      if (rnd() < 0.2) {
        const skew = Math.round((rnd() - 0.5) * 6 * 3600_000)
        g.env = { KITH_CLOCK_SKEW_MS: String(skew) }
        faults.push(`clock-skew-guardian(${skew}ms)`)
      }
    const coordinatorEnv: Record<string, string> = {}
    if (rnd() < 0.2) {
      const skew = Math.round((rnd() - 0.5) * 6 * 3600_000)
      coordinatorEnv['KITH_CLOCK_SKEW_MS'] = String(skew)
      faults.push(`clock-skew-coordinator(${skew}ms)`)
    }
    if (rnd() < 0.25) {
      const i = Math.floor(rnd() * 4)
      gs[i]!.fileSizeKb = 700 + Math.floor(rnd() * 900)
      destructive = true
      faults.push(`disk-full(g${i},${gs[i]!.fileSizeKb}KiB)`)
    }
    await Promise.all(gs.map((g) => g.start()))
    // read before any fault: a guardian whose database is corrupted later cannot say who it is
    const peerIds = await Promise.all(gs.map(async (g) => (await g.status()).peerId))

    const dir = join(root, 'vault')
    const kith = async (...args: string[]) => {
      const r = await cli(coordinatorEnv, ...args)
      if (r.code !== 0) throw new Error(`kith ${args.join(' ')} failed: ${r.stderr}`)
      return r.stdout
    }
    const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir, '--json']
    await kith(...v('init', '-k', '2', '-w', '3'))
    await kith(...v('add-guardian', ...(await Promise.all(gs.map((g) => g.inviteText('1GiB'))))))
    const data = join(root, 'channels.bin')
    const scb = join(root, 'channel.backup')
    await writeFile(data, randomBytes(300 * 1024))
    await writeFile(scb, randomBytes(2000))
    await kith(...v('add-source', 'file', data, '--name', 'db'))
    await kith(...v('add-source', 'lnd-scb', scb))

    const newest = [0, 0, 0, 0]
    const sampleHeads = (when: string) => {
      for (const [i, g] of gs.entries()) {
        const head = peek(
          g.dir,
          (db) =>
            (db.prepare('SELECT max(head_version) AS v FROM vaults').get() as { v: number | null }).v ?? 0,
        )
        if (head === undefined) continue
        if (head < newest[i]!) breaks.push(`g${i} went back from version ${newest[i]} to ${head} (${when})`)
        newest[i] = Math.max(newest[i]!, head)
      }
    }
    const backup = (timeout = '8s') =>
      spawnTracked(process.execPath, [CLI, ...v('backup', '--timeout', timeout)], {
        env: { ...process.env, ...coordinatorEnv },
        stdio: 'ignore',
      })
    const exit = (p: ChildProcess) =>
      new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', r)))
    const running = () => [0, 1, 2, 3].filter((i) => gs[i]!.proc !== undefined && !lost.has(i))

    await kith(...v('backup', '--timeout', '20s')).catch(() => {})
    sampleHeads('first backup')
    for (let step = 1; step <= steps; step++) {
      // the node changes: a few pages of its database, and a new channel.backup by rename
      const fh = await open(data, 'r+')
      await fh.write(randomBytes(4096), 0, 4096, Math.floor(rnd() * 70) * 4096)
      await fh.close()
      await writeFile(`${scb}.tmp`, randomBytes(2000 + step))
      await rename(`${scb}.tmp`, scb)

      let fault = pick(FAULTS)
      if ((fault === 'corrupt-page' || fault === 'corrupt-chunk') && destructive) fault = 'replay'
      if (running().length === 0 && fault !== 'replay' && fault !== 'kill-coordinator') fault = 'none'
      faults.push(fault)
      switch (fault) {
        case 'none':
          await exit(backup())
          break
        case 'kill-guardian': {
          const i = pick(running())
          const p = backup()
          await sleep(rnd() * 600)
          await gs[i]!.stop('SIGKILL')
          await exit(p)
          await gs[i]!.start().catch(() => lost.add(i))
          break
        }
        case 'kill-coordinator': {
          const p = backup()
          await sleep(300 + rnd() * 900)
          p.kill('SIGKILL')
          await exit(p)
          await exit(backup())
          break
        }
        case 'partition': {
          const i = pick(running())
          gs[i]!.proc!.kill('SIGSTOP')
          await exit(backup('4s'))
          gs[i]!.proc!.kill('SIGCONT')
          break
        }
        case 'replay': {
          await exit(backup())
          // the coordinator's own pushes again, older ones after newer: duplicated and reordered
          const vault = await Vault.open(dir)
          try {
            const committed = vault.db.newestCommitted()
            const versions = [1, committed?.version ?? 1, Math.max(1, (committed?.version ?? 1) - 1)]
            const rows = vault.db.outbox().concat(committed ? [committed] : [])
            for (const n of versions) {
              const row = rows.find((r) => r.version === n) ?? committed
              if (row) await pushToGuardians(vault, row, AbortSignal.timeout(8000))
            }
          } finally {
            await vault.close()
          }
          break
        }
        case 'corrupt-chunk': {
          destructive = true
          const i = pick(running())
          await exit(backup())
          await gs[i]!.stop()
          const db = new Database(join(gs[i]!.dir, 'guardian.sqlite3'))
          const row = db.prepare('SELECT id, data FROM chunks ORDER BY random() LIMIT 1').get() as
            | { id: Buffer; data: Buffer }
            | undefined
          if (row) {
            row.data[Math.floor(rnd() * row.data.length)]! ^= 0xff
            db.prepare('UPDATE chunks SET data = ? WHERE id = ?').run(row.data, row.id)
          }
          db.close()
          await gs[i]!.start().catch(() => lost.add(i))
          break
        }
        case 'corrupt-page': {
          destructive = true
          const i = pick(running())
          await exit(backup())
          await gs[i]!.stop()
          const path = join(gs[i]!.dir, 'guardian.sqlite3')
          const pages = Math.floor((await stat(path)).size / 4096)
          if (pages > 2) {
            const fh2 = await open(path, 'r+')
            await fh2.write(randomBytes(4096), 0, 4096, (1 + Math.floor(rnd() * (pages - 1))) * 4096)
            await fh2.close()
          }
          await gs[i]!.start().catch(() => lost.add(i))
          // a guardian that cannot read its own database is lost; the others must carry the vault
          if (gs[i]!.proc === undefined || gs[i]!.proc!.exitCode !== null) lost.add(i)
          break
        }
      }
      sampleHeads(`step ${step} (${fault})`)
    }

    // heal: every reachable guardian back, the outbox drained
    for (const [i, g] of gs.entries()) {
      if (lost.has(i)) continue
      g.proc?.kill('SIGCONT')
      if (g.proc === undefined || g.proc.exitCode !== null) {
        g.proc = undefined
        await g.start().catch(() => lost.add(i))
      }
    }
    let healed = ''
    for (let tries = 0; tries < 3; tries++) {
      const r = await cli(coordinatorEnv, ...v('backup', '--timeout', '15s'))
      healed = r.code === 0 ? '' : r.stderr.trim()
      if (r.code === 0) break
    }
    sampleHeads('healed')

    // invariant 3: one manifest per version, on every guardian, and no equivocation evidence anywhere
    const seen = new Map<number, string>()
    for (const [i, g] of gs.entries()) {
      const rows = peek(g.dir, (db) => db.prepare('SELECT version, hash FROM manifests').all()) as
        | { version: number; hash: Buffer }[]
        | undefined
      for (const r of rows ?? []) {
        const h = toHex(r.hash)
        const other = seen.get(r.version)
        if (other !== undefined && other !== h) breaks.push(`two manifests for version ${r.version} (g${i})`)
        seen.set(r.version, h)
      }
      const ev = peek(
        g.dir,
        (db) => (db.prepare('SELECT count(*) AS n FROM equivocations').get() as { n: number }).n,
      )
      if (ev) breaks.push(`g${i} recorded equivocation`)
    }

    // invariants 1 and 4: a real recovery (k approvals by the guardians' humans) restores the newest
    // committed version or newer, and when nothing is pending, exactly the current files
    const vault = await Vault.open(dir, undefined, { lock: false })
    const committed = vault.db.newestCommitted()?.version ?? 0
    const built = vault.db.newestVersion()?.version ?? 0
    const vaultId = vault.vaultId
    const targets = vault.members().map((g) => ({ label: toHex(g.peerId), peerId: g.peerId, addrs: g.addrs }))
    await vault.close()
    const byPeer = new Map(peerIds.map((id, i) => [id, gs[i]!]))
    const approved = new Set<string>()
    const out = join(root, 'restored')
    const recovery = new Recovery({
      vaultId,
      guardians: targets,
      outDir: out,
      pollMs: 100,
      waitMs: 60_000,
      onEvent: (e) => {
        if (e.event !== 'request-sent' || approved.has(e.peerId)) return
        approved.add(e.peerId)
        const g = byPeer.get(e.peerId)!
        const db = GuardianStore.open(join(g.dir, 'guardian.sqlite3'))
        try {
          // the human approves on the guardian's machine, with that machine's (maybe skewed) clock
          approveRequest(db, e.request, e.code, {
            now: Date.now() + Number(g.env['KITH_CLOCK_SKEW_MS'] ?? 0),
          })
        } finally {
          db.close()
        }
      },
    })
    let restored = 0
    try {
      const result = await recovery.run()
      result.dataKey.fill(0)
      restored = result.version
      if (restored < committed) breaks.push(`restored version ${restored} older than committed ${committed}`)
      if (restored === built && committed === built) {
        for (const f of result.files) {
          const want = await readFile(f.kind === 'file' ? data : scb)
          if (!want.equals(await readFile(f.written)))
            breaks.push(`restored ${f.source} differs from the source`)
        }
      }
    } catch (err) {
      if (committed > 0)
        breaks.push(`committed version ${committed} unrecoverable: ${(err as Error).message}`)
    } finally {
      await recovery.close()
    }

    // invariant 5: every released share was approved, durably, before
    for (const [i, g] of gs.entries()) {
      const events = peek(g.dir, (db) =>
        db
          .prepare(
            "SELECT seq, kind, detail FROM events WHERE kind IN ('recovery-approved', 'share-released')",
          )
          .all(),
      ) as { seq: number; kind: string; detail: string }[] | undefined
      const approvedAt = new Map<string, number>()
      for (const e of events ?? []) {
        const request = (JSON.parse(e.detail) as { request: string }).request
        if (e.kind === 'recovery-approved') approvedAt.set(request, e.seq)
        else if (!((approvedAt.get(request) ?? Number.POSITIVE_INFINITY) < e.seq))
          breaks.push(`g${i} released request ${request} without an approval before it`)
      }
    }
    return { seed, faults, breaks, committed, restored, ...(healed ? { unhealed: healed } : {}) }
  } finally {
    await Promise.all(gs.map((g) => g.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  }
}
