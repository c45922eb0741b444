/**
 * kith-cln never fails silently (the plugin in this process on its installed files; three in-process
 * guardians, W = 2; a real HTTP server and a real command as the operator's alert targets). While
 * lightningd is held, an alert that is not delivered is said in lightningd's log and the plugin's JSON log
 * (never the webhook's URL, which holds a token), and counted in its metrics. A plugin that cannot start
 * at all says why on stderr: test/e2e/cln-plugin.test.ts, where the executable is spawned.
 */

import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pluginPaths, readPluginConfig } from '../../src/cln/config.js'
import { jsonLines } from '../helpers/files.js'
import { createClnDb, installPlugin, Lightningd } from '../helpers/lightningd.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'

const fleet = localFleet()

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
    await installPlugin(
      work,
      dir,
      clnDb,
      ...['--alert-webhook', `http://127.0.0.1:${port}/hooks/${token}`, '--alert-command', 'exit 3'],
    )
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
    expect(await ln.pay(6)).toBe('continue')
    await ln.stop()
    ln.close()
    // then the operator shortens the hold to 1 s (10 s above: a plugin just started on a busy machine
    // may take seconds to reach its guardians)
    const config = await readPluginConfig(pluginPaths(dir).config)
    await writeFile(pluginPaths(dir).config, JSON.stringify({ ...config, holdMs: 1000 }))
    ln = Lightningd.inProcess(dir, clnDb)
    await ln.start()
    await ln.init()
  })

  afterAll(async () => {
    server?.close()
  })

  it("is said in lightningd's log, for each target, without the webhook's URL; lightningd is refused all the same", async () => {
    await Promise.all([gs[1]!.stop(), gs[2]!.stop()])
    expect(await ln.pay(7)).toMatch(/refuses: transaction 7 reached [01] of the 2 guardians/)
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
    const failed = (await jsonLines(pluginPaths(dir).log)).filter((l) => l['event'] === 'alert-failed')
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
