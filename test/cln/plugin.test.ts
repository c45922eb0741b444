/**
 * A CLN node's live database, end to end in this process: the kith-cln plugin (`runPlugin`, on its
 * installed files) under a lightningd emulator that speaks the plugin protocol over in-memory pipes and
 * commits each transaction only after `continue`; three in-process guardians, W = 2; the recovery from
 * the guardians alone. The installed executable, spawned and killed mid-hook, is test/e2e/cln-plugin.test.ts.
 */
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pluginPaths, readPluginConfig } from '../../src/cln/config.js'
import { Vault } from '../../src/coordinator/vault.js'
import { exclusiveVault, Watcher } from '../../src/coordinator/watch.js'
import { Database } from '../../src/disk/sqlite-driver.js'
import { setDurations } from '../../src/time/durations.js'
import { kithJson, RecoverRun, statusJson } from '../helpers/cli.js'
import {
  createClnDb,
  dataVersionOf,
  dumpDb,
  installPlugin,
  Lightningd,
  paymentWrites,
} from '../helpers/lightningd.js'
import { endOpenRequests, type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
// the plugin tries an unreachable quorum again every 100 ms instead of every second
afterAll(setDurations({ clnRetry: 100 }))

describe('CLN live database: kith-cln under a lightningd emulator, 3 guardians, W = 2', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let v: (...args: string[]) => string[]
  let clnDb: string
  let plugin: string
  let ln: Lightningd
  let vault: string
  /** A recovery by every guardian into `out` (what earlier ones left open denied first): the restored database. */
  const recovered = async (out: string): Promise<{ path: string; events: RecoverRun }> => {
    closeOpenRequests()
    const r = await RecoverRun.approvedBy(vault, gs, join(work, out))
    expect((await r.done).code).toBe(0)
    const done = await r.event('restore-done')
    const file = (done['files'] as { source: string; path: string }[]).find((f) => f.source === 'cln-db')!
    return { path: file.path, events: r }
  }
  const held = () =>
    gs.map((g) => g.guardian.db.journals.get(g.guardian.db.vaults.all()[0]!.vaultId, 'cln-db'))
  /** What earlier recoveries left open runs out (denied, it would hold this network out for an hour). */
  const closeOpenRequests = () => endOpenRequests(gs)

  beforeAll(async () => {
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet))
    clnDb = join(work, 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    vault = (await statusJson(...v('status', '--offline')))['vault'] as string
  })

  it('install-plugin takes the first snapshot and writes one executable; no secret is on its command line', async () => {
    const r = await installPlugin(work, dir, clnDb)
    expect(r).toMatchObject({ version: 1, position: 5 })
    plugin = r['plugin'] as string
    expect((await stat(plugin)).mode & 0o777).toBe(0o700)
    const script = await readFile(plugin, 'utf8')
    const secrets = JSON.parse(await readFile(pluginPaths(dir).secrets, 'utf8')) as Record<string, string>
    for (const s of [secrets['writerSeed']!, secrets['streamKey']!]) expect(script).not.toContain(s)
    expect((await stat(pluginPaths(dir).secrets)).mode & 0o777).toBe(0o600)
  })

  it('a hook before init, then every transaction is held by W guardians before lightningd commits it', async () => {
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    expect(await ln.pay(1)).toBe('continue') // before init
    await ln.init()
    for (let n = 2; n <= 30; n++) expect(await ln.pay(n)).toBe('continue')
    expect(ln.dataVersion).toBe(35)
    expect(held().filter((s) => s?.lastPosition === 35).length).toBeGreaterThanOrEqual(2)
  })

  it('a rewind: a transaction lightningd never committed is replaced by the one it sends again', async () => {
    expect(await ln.pay(100, false)).toBe('continue') // answered, then lightningd dies before committing
    await ln.stop()
    ln.close()
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    expect(ln.dataVersion).toBe(35)
    expect(await ln.pay(36)).toBe('continue') // data_version 36 again, other statements
    expect(held().filter((s) => s?.lastPosition === 36).length).toBeGreaterThanOrEqual(2)
  })

  it('a lower data_version halts lightningd: nothing is replicated', async () => {
    const r = await ln.transaction(paymentWrites(999, 30), 30)
    expect(r).toMatch(/lower/)
    expect(
      ln.notifications.some(
        (n) => n.params.level === 'broken' && /went back in time/.test(n.params.message ?? ''),
      ),
    ).toBe(true)
  })

  it('lost writes: the plugin asks the running watch for a new snapshot, then the transaction goes on', async () => {
    const watchVault = await Vault.open(dir, undefined, { lock: false })
    const watcher = new Watcher(watchVault, {
      debounceMs: 100,
      retryMs: 10 * 60_000,
      exclusive: exclusiveVault(dir),
    })
    await watcher.start()
    try {
      for (const n of [37, 38, 39]) ln.commitUnreplicated(n)
      expect(await ln.pay(40)).toBe('continue')
      expect((await statusJson(...v('status', '--offline')))['committedVersion']).toBe(2)
      for (let n = 41; n <= 45; n++) expect(await ln.pay(n)).toBe('continue')
    } finally {
      await watcher.stop()
      await watchVault.close()
    }
  })

  it('the recovery rebuilds the database exactly as lightningd committed it', async () => {
    const file = await recovered('out')
    expect(await file.events.event('stream-replayed')).toMatchObject({
      stream: 'cln-db',
      from: 39,
      to: 45,
      applied: 6,
    })
    expect(dumpDb(file.path)).toBe(dumpDb(clnDb))
    expect(dataVersionOf(file.path)).toBe(45)
    const db = new Database(file.path, { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()
  })

  it('lightningd dies between the answer and the commit: the recovery is at most that one transaction ahead', async () => {
    expect(await ln.pay(46, false)).toBe('continue')
    await ln.stop()
    ln.close()
    const expected = join(work, 'expected.sqlite3')
    await copyFile(clnDb, expected)
    const e = new Database(expected)
    e.transaction(() => {
      for (const w of paymentWrites(46, 46)) e.exec(w)
    })()
    e.close()
    const file = await recovered('out-2')
    expect(dumpDb(file.path)).toBe(dumpDb(expected))
  })

  it('W guardians down: lightningd waits the hold time, the operator is told, then it is refused', async () => {
    // the operator chose a hold of 1 s (the other tests keep 10 s: a plugin just started on a loaded
    // machine may take seconds to reach its guardians, and lightningd would be refused meanwhile)
    const config = await readPluginConfig(pluginPaths(dir).config)
    await writeFile(pluginPaths(dir).config, JSON.stringify({ ...config, holdMs: 1000 }))
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    // lightningd restarted without committing 46: it sends 46 again (a rewind), with a new payment
    expect(ln.dataVersion).toBe(45)
    await Promise.all([gs[1]!.stop(), gs[2]!.stop()])
    const t0 = Date.now()
    const r = await ln.pay(47)
    // one guardian is up, but W is 2 (on a loaded machine even that one may not have answered in 1 s)
    expect(r).toMatch(/refuses: transaction 46 reached [01] of the 2 guardians/)
    // it held lightningd for the whole hold time before refusing
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
    expect(
      ln.notifications.some(
        (n) => n.params.level === 'broken' && /lightningd waits up to 1 s/.test(n.params.message ?? ''),
      ),
    ).toBe(true)
    expect(ln.dataVersion).toBe(45)
    // a refused hook stops lightningd, as CLN does; the guardians return and it starts again
    await ln.stop()
    ln.close()
    await writeFile(pluginPaths(dir).config, JSON.stringify(config))
    await Promise.all([gs[1]!.start(), gs[2]!.start()])
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    expect(await ln.pay(47)).toBe('continue')
    expect(ln.dataVersion).toBe(46)
  })

  it("a guardian restarted under a running plugin: the writer's link to it reopens, and W counts it", async () => {
    await gs[2]!.stop()
    expect(await ln.pay(1000)).toBe('continue') // guardians 0 and 1 are W
    await gs[2]!.start()
    await gs[1]!.stop()
    try {
      // now W needs the restarted guardian: the plugin's link to it broke, and is opened again
      expect(await ln.pay(1001)).toBe('continue')
      const g = gs[2]!.guardian.db
      expect(g.journals.get(g.vaults.all()[0]!.vaultId, 'cln-db')?.lastPosition).toBe(ln.dataVersion)
    } finally {
      await gs[1]!.start()
    }
  })

  it('beside a running watch, compaction happens while transactions continue; nothing is refused', async () => {
    const watchVault = await Vault.open(dir, undefined, { lock: false })
    const watcher = new Watcher(watchVault, { debounceMs: 100, retryMs: 200, exclusive: exclusiveVault(dir) })
    await watcher.start()
    try {
      const before = (await statusJson(...v('status', '--offline')))['committedVersion'] as number
      // large transactions (64 KiB each): the entries since the snapshot outweigh the database after ~16
      for (let n = 48; n < 68; n++) expect(await ln.pay(n, true, 64 * 1024)).toBe('continue')
      await waitUntil(
        async () => ((await statusJson(...v('status', '--offline')))['committedVersion'] as number) > before,
      )
      await waitUntil(() => held().some((s) => (s?.covered ?? 0) > 46))
    } finally {
      await watcher.stop()
      await watchVault.close()
    }
  })

  it('a guardian that withholds its newest entries cannot roll the database back', async () => {
    const db = gs[0]!.guardian.db
    const vaultId = db.vaults.all()[0]!.vaultId
    const newest = db.journals.newest.bind(db.journals)
    const entries = db.journals.entries.bind(db.journals)
    const upTo = ln.dataVersion - 3
    db.journals.newest = () => entries(vaultId, 'cln-db', upTo, 1 << 20)[0] ?? newest(vaultId, 'cln-db')
    db.journals.entries = (id, journal, from, max) =>
      entries(id, journal, from, max).filter((_e, i) => from + i <= upTo)
    try {
      const file = await recovered('out-4')
      expect(dataVersionOf(file.path)).toBe(ln.dataVersion)
      expect(dumpDb(file.path)).toBe(dumpDb(clnDb))
    } finally {
      db.journals.newest = newest
      db.journals.entries = entries
    }
  })

  it('compaction: a committed snapshot lets the guardians drop the entries it covers', async () => {
    for (let n = 70; n < 75; n++) expect(await ln.pay(n)).toBe('continue')
    const before = held().map((s) => s?.bytes ?? 0)
    await kithJson(...v('backup'))
    // the commit certificate reaches the guardians after the backup answered: each drops what it covers
    await waitUntil(() => held().some((s) => s?.covered === ln.dataVersion))
    await waitUntil(
      () => held().every((s, i) => (s?.bytes ?? 0) < before[i]! || before[i] === 0),
      () => JSON.stringify({ before, after: held().map((s) => s?.bytes) }),
    )
    await ln.stop()
    ln.close()
  })

  it('a reinstall (as after a recovery) starts the journal again from a new snapshot; lightningd goes on', async () => {
    const r = await installPlugin(work, dir, clnDb)
    expect(r['position']).toBe(dataVersionOf(clnDb))
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    for (let n = 900; n < 905; n++) expect(await ln.pay(n)).toBe('continue')
    expect(held().filter((s) => s?.lastPosition === ln.dataVersion).length).toBeGreaterThanOrEqual(2)
    await ln.stop()
    ln.close()
  })

  it("the plugin's hook latencies are written for Prometheus when it stops (and every 10 s)", async () => {
    const text = await readFile(pluginPaths(dir).metrics, 'utf8')
    expect(text).toContain('kith_cln_hook_seconds_count 5')
    expect(text).toContain(`kith_cln_data_version ${dataVersionOf(clnDb)}`)
    expect(text).toContain('kith_cln_refusals_total 0')
    // a histogram: every hook in the +Inf bucket, and no bucket counting more than the next one up (how
    // fast the hooks were is the bench's to say: a loaded machine may take longer than 0.1 s for each)
    const buckets = [...text.matchAll(/kith_cln_hook_seconds_bucket\{le="([^"]+)"\} (\d+)/g)].map((m) =>
      Number(m[2]),
    )
    expect(buckets.length).toBeGreaterThan(5)
    expect(buckets.at(-1)).toBe(5)
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b))
  })
})
