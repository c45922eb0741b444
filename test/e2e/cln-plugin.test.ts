/**
 * kith-cln as lightningd runs it: the installed executable, spawned with its stdio piped, under the
 * lightningd emulator; three in-process guardians, W = 2. A hook may come before init; the plugin is
 * killed (SIGKILL) again and again at random points, after its answer or mid-hook, and nothing lightningd
 * committed is lost: the recovery rebuilds the database exactly. Its files are on a real disk (durable),
 * as a crash test's should be. A plugin that cannot start at all says why in one line on stderr and as a
 * `log` notification at `broken`, and exits non-zero. The rest of the plugin's story runs in process:
 * test/cln/plugin.test.ts and test/cln/failures.test.ts.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { RecoverRun, statusJson } from '../helpers/cli.js'
import { CLI } from '../helpers/daemons.js'
import { createClnDb, dumpDb, installPlugin, Lightningd } from '../helpers/lightningd.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { runTracked } from '../helpers/procs.js'
import { tempDir } from '../helpers/tmp.js'

const fleet = localFleet()
const MAIN = join(CLI, '..', '..', 'cln', 'main.js')

/** The plugin's notifications on stdout (lightningd's JSON-RPC), parsed. */
const notifications = (stdout: string) =>
  stdout
    .split('\n\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { method: string; params: { level: string; message: string } })

describe('kith-cln that cannot run says why', () => {
  it('no cln-plugin.json: one line on stderr and one broken log notification, exit 1', async () => {
    const missing = join(await tempDir(), 'cln-plugin.json')
    const r = await runTracked(process.execPath, [MAIN, missing])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^kith-cln: stopped: the kith-cln plugin's file .* is missing .* \[PLUGIN_NOT_INSTALLED\]$/,
      ),
    ])
    expect(notifications(r.stdout)).toEqual([
      { jsonrpc: '2.0', method: 'log', params: { level: 'broken', message: r.stderr.trim() } },
    ])
  })

  it('a cln-plugin.json broken by hand: CONFIG_INVALID, where', async () => {
    const path = join(await tempDir(), 'cln-plugin.json')
    await writeFile(path, '{"version": 1, "vaultDir": "/v", "stream": "cln-db", "db": "/l", "holdMs": "3s"}')
    const r = await runTracked(process.execPath, [MAIN, path])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /^kith-cln: stopped: .*cln-plugin\.json is not valid: field "holdMs": must be a number.*\[CONFIG_INVALID\]\n$/,
    )
  })

  it('started without its config path: says how it must be started, exit 2', async () => {
    const r = await runTracked(process.execPath, [MAIN])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^kith-cln: no config file given/)
  })
})

describe('CLN: the kith-cln executable, killed at random points', () => {
  let gs: LocalGuardian[]
  let work: string
  let dir: string
  let clnDb: string
  let plugin: string
  let ln: Lightningd
  const held = () =>
    gs.map((g) => g.guardian.db.journals.get(g.guardian.db.vaults.all()[0]!.vaultId, 'cln-db'))

  beforeAll(async () => {
    let v: (...args: string[]) => string[]
    ;({ gs, work, dir, v } = await localVault(3, 2, 2, fleet, { durable: true }))
    clnDb = join(work, 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    expect((await statusJson(...v('status', '--offline')))['vault']).toBeDefined()
    const r = await installPlugin(work, dir, clnDb)
    plugin = r['plugin'] as string
  })

  it('lightningd starts the executable; a hook before init, then each transaction held by W first', async () => {
    ln = Lightningd.spawned(plugin, clnDb)
    await ln.start()
    expect(await ln.pay(1)).toBe('continue') // before init
    await ln.init()
    for (let n = 2; n <= 5; n++) expect(await ln.pay(n)).toBe('continue')
    expect(ln.dataVersion).toBe(10)
    expect(held().filter((s) => s?.lastPosition === 10).length).toBeGreaterThanOrEqual(2)
  })

  it('killed again and again at random points (after the answer, or mid-hook): nothing committed is lost', async () => {
    let seed = 12345
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % k
    }
    let n = 400
    for (let round = 0; round < 5; round++) {
      for (let i = rand(6); i > 0; i--) expect(await ln.pay(n++)).toBe('continue')
      if (rand(2) === 0) expect(await ln.pay(n++, false)).toBe('continue')
      else await ln.payAndDie(n++)
      await ln.kill()
      ln.close()
      ln = Lightningd.spawned(plugin, clnDb)
      await ln.start()
      await ln.init()
    }
    expect(await ln.pay(n++)).toBe('continue')
    await ln.stop()
    ln.close()
    const vault = (await statusJson('vault', 'status', '--data-dir', dir, '--offline'))['vault'] as string
    const r = await RecoverRun.approvedBy(vault, gs, join(work, 'out'))
    expect((await r.done).code).toBe(0)
    const done = await r.event('restore-done')
    const file = (done['files'] as { source: string; path: string }[]).find((f) => f.source === 'cln-db')!
    expect(dumpDb(file.path)).toBe(dumpDb(clnDb))
  })
})
