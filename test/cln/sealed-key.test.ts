/**
 * A sealed vault key and kith-cln, from the side of whoever takes the node's disk: nothing the plugin
 * keeps or reads names the passphrase, and the plugin works with the passphrase file gone, lost writes
 * included: it asks for a snapshot (streams/cln-db.snapshot-request) and a `kith vault watch` unlocked at
 * its start answers it; with no watch, lightningd is refused at the hold time with one alert and the line
 * saying what to do, and a `kith vault backup` by hand answers it. The plugin in this process on its
 * installed files (test/helpers/lightningd.ts), three in-process guardians, W = 2.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pluginPaths, readPluginConfig } from '../../src/cln/config.js'
import { snapshotRequestPath } from '../../src/coordinator/snapshot-request.js'
import { Vault } from '../../src/coordinator/vault.js'
import { exclusiveVault, Watcher } from '../../src/coordinator/watch.js'
import { setDurations } from '../../src/time/durations.js'
import { kithJson } from '../helpers/cli.js'
import { createClnDb, installPlugin, Lightningd } from '../helpers/lightningd.js'
import { LocalGuardian, localFleet } from '../helpers/local.js'
import { fileTempDir } from '../helpers/tmp.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
// the plugin tries an unreachable quorum again every 100 ms; it looks for the snapshot every 50 ms
afterAll(setDurations({ clnRetry: 100, clnMarkPoll: 50 }))

const PASSPHRASE = 'correct horse battery staple'

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await filesUnder(p)))
    else if (e.isFile()) out.push(p)
  }
  return out
}

describe('a sealed vault key: kith-cln never holds the passphrase, lost writes are snapshotted by the watch', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let clnDb: string
  let plugin: string
  let passFile: string
  let ln: Lightningd
  /** What the operator's alert command was run for, one line each. */
  let alerts: string
  const alerted = async () =>
    existsSync(alerts) ? (await readFile(alerts, 'utf8')).trim().split('\n').length : 0
  const said = (re: RegExp) => ln.notifications.filter((n) => re.test(n.params.message ?? ''))
  const start = async () => {
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
  }
  const stop = async () => {
    await ln.stop()
    ln.close()
  }

  beforeAll(async () => {
    gs = await Promise.all([0, 1, 2].map(() => LocalGuardian.create()))
    fleet.guardians.push(...gs)
    await Promise.all(gs.map((g) => g.start()))
    work = await fileTempDir('kith-node-')
    dir = join(work, 'vault')
    // the passphrase in a file elsewhere (a USB key), given to each command that needs the vault key
    passFile = join(await fileTempDir('kith-usb-'), 'kith-pass')
    await writeFile(passFile, `${PASSPHRASE}\n`, { mode: 0o600 })
    const v = (...args: string[]) => ['vault', ...args, '--data-dir', dir, '--passphrase-file', passFile]
    await kithJson(...v('init', '-k', '2', '-w', '2'))
    const invites = join(work, 'invites.txt')
    await writeFile(invites, gs.map((g, i) => g.invite(1e9, `friend ${i}`)).join('\n'), { mode: 0o600 })
    await kithJson(...v('add-guardian', '--invite-file', invites))
    clnDb = join(work, 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    alerts = join(work, 'alerts.txt')
    const r = await installPlugin(
      work,
      dir,
      clnDb,
      ...['--passphrase-file', passFile, '--alert-command', `echo alert >> '${alerts}'`],
    )
    expect(r).toMatchObject({ version: 1, position: 5 })
    plugin = r['plugin'] as string
  })

  it("nothing the plugin keeps names the passphrase or its file: not its settings, executable, log or the vault's files", async () => {
    const config = JSON.parse(await readFile(pluginPaths(dir).config, 'utf8')) as Record<string, unknown>
    expect(Object.keys(config)).not.toContain('passphraseFile')
    for (const f of [...(await filesUnder(dir)), plugin]) {
      const text = (await readFile(f)).toString('latin1')
      expect(text, f).not.toContain(PASSPHRASE)
      expect(text, f).not.toContain(passFile)
      expect(text, f).not.toContain('kith-pass')
    }
  })

  it('with the passphrase file gone from every disk, the plugin replicates each transaction', async () => {
    await rm(passFile)
    await start()
    for (let n = 1; n <= 5; n++) expect(await ln.pay(n)).toBe('continue')
    expect(ln.dataVersion).toBe(10)
  })

  it('lost writes beside a running watch: the plugin asks, the watch (unlocked at its start) snapshots, lightningd goes on', async () => {
    // the watch was given the passphrase when it started (a systemd credential, typed): it keeps the key
    const watchVault = await Vault.open(dir, PASSPHRASE, { lock: false })
    // no periodic round within the test: the request is answered by its file event
    const watcher = new Watcher(watchVault, {
      debounceMs: 100,
      retryMs: 10 * 60_000,
      exclusive: exclusiveVault(dir),
    })
    await watcher.start()
    try {
      const committed = () => watchVault.db.newestCommitted()?.version ?? 0
      const before = committed()
      for (const n of [6, 7, 8]) ln.commitUnreplicated(n)
      expect(await ln.pay(9)).toBe('continue')
      expect(ln.dataVersion).toBe(14)
      expect(committed()).toBeGreaterThan(before)
      expect(
        said(/transactions 11 to 13 were never replicated: asked kith vault watch for a new snapshot/),
      ).toHaveLength(1)
      expect(said(/a new snapshot at transaction 13 is committed: lightningd goes on/)).toHaveLength(1)
      // the watch deletes the request it answered, right after its round
      const request = snapshotRequestPath(dir, 'cln-db')
      await waitUntil(
        () => !existsSync(request),
        () => `${request} is still there`,
      )
      for (let n = 10; n <= 12; n++) expect(await ln.pay(n)).toBe('continue')
      // healed without a held transaction: no guardian refused the first entry after the snapshot
      expect(ln.notifications.filter((n) => n.params.level === 'broken')).toEqual([])
    } finally {
      await watcher.stop()
      await watchVault.close()
    }
  })

  it('lost writes with no watch: lightningd is held for the hold time, alerted once, refused with what to do', async () => {
    await stop()
    const config = await readPluginConfig(pluginPaths(dir).config)
    await writeFile(pluginPaths(dir).config, JSON.stringify({ ...config, holdMs: 1000 }))
    await start()
    for (const n of [13, 14]) ln.commitUnreplicated(n)
    const dv = ln.dataVersion
    // (a guardian may refuse the first entry after a snapshot until its certificate arrives: alerted, retried)
    const alertsBefore = await alerted()
    const r = await ln.pay(15)
    expect(r).toMatch(
      /kith-cln refuses: no snapshot came within the hold time \(transactions \d+ to \d+ were never replicated\): is kith vault watch running\? Run kith vault backup \(it asks for your passphrase\), then start lightningd again/,
    )
    expect(ln.dataVersion).toBe(dv) // nothing committed
    expect(await alerted()).toBe(alertsBefore + 1)
    const request = JSON.parse(await readFile(snapshotRequestPath(dir, 'cln-db'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(request).toMatchObject({ version: 1, journal: 'cln-db', position: dv })
    expect((await stat(snapshotRequestPath(dir, 'cln-db'))).mode & 0o777).toBe(0o600)
    await stop()
    await writeFile(pluginPaths(dir).config, JSON.stringify(config))
  })

  it('a kith vault backup by hand (the passphrase typed) answers the request; lightningd starts and goes on', async () => {
    const typed = join(await fileTempDir('kith-typed-'), 'pass')
    await writeFile(typed, PASSPHRASE, { mode: 0o600 })
    await kithJson('vault', 'backup', '--data-dir', dir, '--passphrase-file', typed)
    await rm(typed)
    expect(existsSync(snapshotRequestPath(dir, 'cln-db'))).toBe(false)
    await start()
    expect(await ln.pay(15)).toBe('continue')
    expect(await ln.pay(16)).toBe('continue')
    await stop()
  })

  it("an older plugin's settings naming a passphrase file: ignored (never read), said once; --refresh drops it", async () => {
    const config = await readPluginConfig(pluginPaths(dir).config)
    // the path of a file that is not there: a plugin that read it would fail
    await writeFile(pluginPaths(dir).config, JSON.stringify({ ...config, passphraseFile: passFile }))
    await start()
    expect(await ln.pay(17)).toBe('continue')
    expect(said(/cln-plugin\.json names a passphrase file; kith-cln no longer reads it/)).toHaveLength(1)
    await stop()
    expect(await kithJson('cln', 'install-plugin', '--refresh', '--data-dir', dir)).toEqual({ dropped: true })
    const refreshed = JSON.parse(await readFile(pluginPaths(dir).config, 'utf8')) as Record<string, unknown>
    expect(refreshed).toEqual({ ...config })
    expect(Object.keys(refreshed)).not.toContain('passphraseFile')
  })
})
