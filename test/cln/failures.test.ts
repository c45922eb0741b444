/**
 * kith-cln never fails silently (the real plugin, spawned as lightningd spawns it; three in-process
 * guardians, W = 2; a real HTTP server and a real command as the operator's alert targets). A plugin
 * that cannot run says why in one line on stderr and as a `log` notification at `broken`, and exits
 * non-zero. While lightningd is held, an alert that is not delivered is said in lightningd's log and the
 * plugin's JSON log (never the webhook's URL, which holds a token), and counted in its metrics.
 */

import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pluginPaths } from '../../src/cln/config.js'
import { kithJson } from '../helpers/cli.js'
import { CLI } from '../helpers/daemons.js'
import { createClnDb, Lightningd } from '../helpers/lightningd.js'
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

describe('an alert that fails while lightningd is held', () => {
  let gs: LocalGuardian[]
  let ln: Lightningd
  let dir: string
  let server: Server
  const token = 'T0KEN-5ecret-abc123'

  beforeAll(async () => {
    let work: string
    ;({ gs, work, dir } = await localVault(3, 2, 2, fleet))
    // the operator's webhook is down (it answers 500); its command fails too
    server = createServer((_req, res) => {
      res.statusCode = 500
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const clnDb = join(work, 'lightningd.sqlite3')
    createClnDb(clnDb, 5)
    const installed = await kithJson(
      ...['cln', 'install-plugin', '--db', clnDb, '--plugin-dir', join(work, 'plugins'), '--data-dir', dir],
      ...[
        '--hold',
        '1s',
        '--alert-webhook',
        `http://127.0.0.1:${port}/hooks/${token}`,
        '--alert-command',
        'exit 3',
      ],
    )
    ln = new Lightningd(installed['plugin'] as string, clnDb)
    await ln.start()
    await ln.init()
    expect(await ln.pay(6)).toBe('continue')
  })

  afterAll(async () => {
    server?.close()
  })

  it("is said in lightningd's log, for each target, without the webhook's URL; lightningd is refused all the same", async () => {
    await Promise.all([gs[1]!.stop(), gs[2]!.stop()])
    expect(await ln.pay(7)).toMatch(/refuses: transaction 7 reached 1 of the 2 guardians/)
    const broken = ln.notifications
      .filter((n) => n.params.level === 'broken')
      .map((n) => n.params.message ?? '')
    expect(broken).toContainEqual(
      expect.stringMatching(
        /the operator's alert was not delivered \(webhook: answered 500\); lightningd is held all the same/,
      ),
    )
    expect(broken).toContainEqual(
      expect.stringMatching(/the operator's alert was not delivered \(command: exited with 3\)/),
    )
    expect(broken.join('\n') + ln.stderr).not.toContain(token)
  })

  it("is in the plugin's JSON log, by target, and counted in its metrics when it stops", async () => {
    await ln.stop()
    ln.close()
    const log = await readFile(pluginPaths(dir).log, 'utf8')
    const failed = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['event'] === 'alert-failed')
    expect(failed).toEqual([
      expect.objectContaining({ level: 'warn', component: 'cln', target: 'webhook', reason: 'answered 500' }),
      expect.objectContaining({
        level: 'warn',
        component: 'cln',
        target: 'command',
        reason: 'exited with 3',
      }),
    ])
    expect(log).not.toContain(token)
    const metrics = await readFile(pluginPaths(dir).metrics, 'utf8')
    expect(metrics).toContain('kith_cln_alerts_total{target="webhook",outcome="failed"} 1')
    expect(metrics).toContain('kith_cln_alerts_total{target="command",outcome="failed"} 1')
  })
})
